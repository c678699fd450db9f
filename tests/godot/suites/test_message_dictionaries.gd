## Message dictionaries: every message is its own Dictionary with its own payload, whatever mix of channels,
## send flags and batch sizes it arrives in. The instance sends to its own Steam ID, which the local backend
## delivers like any other peer's messages.
## args: --steam-backend=local --steam-local-id=44
extends SceneTree

const Check = preload("res://lib/check.gd")
const RELIABLE := 8
const UNRELIABLE := 0
const KEYS := ["payload", "size", "connection", "identity", "receiver_user_data", "time_received",
	"message_number", "channel", "flags", "sender_user_data"]

var t := Check.new()
var steam: Object
var me := 0


func _initialize() -> void:
	steam = Engine.get_singleton("SteamNetworkingMessages")
	t.eq(steam.steamInitEx()["status"], 0, "the local backend initialises")
	me = steam.getSteamID()
	await open_session()
	await each_message_has_gdscript_types_and_its_own_values()
	await messages_do_not_share_dictionaries_or_payloads()
	await mixed_flags_in_one_batch_keep_their_own_flags()
	await large_batches_come_back_whole_and_in_order()
	await payload_sizes_from_one_byte_to_the_maximum_round_trip()
	await an_empty_payload_is_a_message_as_on_steam()
	t.finish(self)


func receive_all(channel: int, count: int) -> Array:
	var messages := []
	for frame in 300:
		messages.append_array(steam.receiveMessagesOnChannel(channel, count - messages.size()))
		if messages.size() >= count:
			break
		await process_frame
	return messages


func open_session() -> void:
	steam.sendMessageToUser(me, PackedByteArray([1]), RELIABLE, 0)
	for frame in 300:
		if steam.acceptSessionWithUser(me):
			break
		await process_frame
	t.eq((await receive_all(0, 1)).size(), 1, "the first message to oneself arrives once accepted")


func each_message_has_gdscript_types_and_its_own_values() -> void:
	steam.sendMessageToUser(me, "abc".to_utf8_buffer(), RELIABLE, 7)
	steam.sendMessageToUser(me, "defgh".to_utf8_buffer(), RELIABLE, 7)
	var messages := await receive_all(7, 2)
	t.eq(messages.size(), 2, "both messages on channel 7 arrive")
	if messages.size() != 2:
		return
	var types := []
	for key in KEYS:
		types.append(typeof(messages[0][key]))
	t.eq(types, [TYPE_PACKED_BYTE_ARRAY] + Array(range(9)).map(func(_i): return TYPE_INT),
		"payload is a PackedByteArray and every other value an int")
	t.eq(messages[0].keys(), KEYS, "GodotSteam's keys in its order")
	t.eq(typeof(messages[0].keys()[0]), TYPE_STRING, "keys are Strings, as GodotSteam's are")
	t.eq([messages[0]["payload"].get_string_from_utf8(), messages[1]["payload"].get_string_from_utf8()],
		["abc", "defgh"], "each payload is its own message's")
	t.eq([messages[0]["size"], messages[1]["size"]], [3, 5], "each size is its own payload's length")
	t.eq(messages[1]["message_number"] - messages[0]["message_number"], 1, "message numbers count up")
	t.eq([messages[0]["channel"], messages[1]["channel"]], [7, 7], "channel is the channel received on")
	t.eq([messages[0]["identity"], messages[1]["identity"]], [me, me], "identity is the sender's Steam ID")


func messages_do_not_share_dictionaries_or_payloads() -> void:
	for i in 3:
		steam.sendMessageToUser(me, PackedByteArray([i, i]), RELIABLE, 2)
	var messages := await receive_all(2, 3)
	t.eq(messages.size(), 3, "three messages arrive")
	if messages.size() != 3:
		return
	messages[0]["payload"][0] = 99
	messages[0]["size"] = -1
	messages[0]["extra"] = true
	t.eq(messages[1]["payload"], PackedByteArray([1, 1]), "writing one payload leaves the next alone")
	t.eq(messages[1]["size"], 2, "writing one dictionary leaves the next alone")
	t.eq(messages[2].has("extra"), false, "a key added to one dictionary is not in the others")
	steam.sendMessageToUser(me, PackedByteArray([5]), RELIABLE, 2)
	var later := await receive_all(2, 1)
	t.eq(later.size() == 1 and later[0].keys() == KEYS and later[0]["size"] == 1, true,
		"messages received later are untouched by edits to earlier ones")


func mixed_flags_in_one_batch_keep_their_own_flags() -> void:
	var sent := []
	for i in 12:
		var flags := RELIABLE if i % 3 != 0 else UNRELIABLE
		sent.append(flags)
		steam.sendMessageToUser(me, PackedByteArray([i]), flags, 3)
	var messages := await receive_all(3, 12)
	# Unreliable messages may be dropped, so compare by payload.
	var wrong := []
	for message in messages:
		var index: int = message["payload"][0]
		if (message["flags"] & RELIABLE) != sent[index]:
			wrong.append(index)
	t.ok(messages.size() >= 8, "the reliable messages arrive (%d of 12 in all)" % messages.size())
	t.eq(wrong, [], "each message keeps its own send flags within one batch")


func large_batches_come_back_whole_and_in_order() -> void:
	const COUNT := 5000
	for i in COUNT:
		var payload := PackedByteArray()
		payload.resize(4)
		payload.encode_u32(0, i)
		steam.sendMessageToUser(me, payload, RELIABLE, 4)
	var messages := await receive_all(4, COUNT)
	var out_of_order := 0
	for i in messages.size():
		if messages[i]["payload"].decode_u32(0) != i or messages[i]["size"] != 4:
			out_of_order += 1
	t.eq(messages.size(), COUNT, "all %d messages arrive" % COUNT)
	t.eq(out_of_order, 0, "each in order with its own payload")
	t.eq(steam.receiveMessagesOnChannel(4, 10), [], "nothing more is left")


func payload_sizes_from_one_byte_to_the_maximum_round_trip() -> void:
	var sizes := [1, 2, 255, 1200, 65536, 512 * 1024]
	for size in sizes:
		var payload := PackedByteArray()
		payload.resize(size)
		for i in range(0, size, 997):
			payload[i] = i % 256
		payload[size - 1] = 0xAB
		steam.sendMessageToUser(me, payload, RELIABLE, 5)
	var messages := await receive_all(5, sizes.size())
	var got := []
	var intact := true
	for message in messages:
		var payload: PackedByteArray = message["payload"]
		got.append(payload.size())
		intact = intact and payload[payload.size() - 1] == 0xAB and message["size"] == payload.size()
		for i in range(0, payload.size() - 1, 997):
			intact = intact and payload[i] == i % 256
	t.eq(got, sizes, "every payload size comes back at its size")
	t.ok(intact, "every payload comes back byte for byte")


## Steam refuses only payloads over MAX_STEAM_PACKET_SIZE; an empty one is a message like any other.
func an_empty_payload_is_a_message_as_on_steam() -> void:
	t.eq(steam.sendMessageToUser(me, PackedByteArray(), RELIABLE, 5), 1, "an empty reliable send is RESULT_OK")
	t.eq(steam.sendMessageToUser(me, PackedByteArray(), UNRELIABLE, 5), 1, "an empty unreliable send is RESULT_OK")
	var messages := await receive_all(5, 2)
	t.eq(messages.size(), 2, "both empty messages arrive")
	t.eq(messages.map(func(message): return [message["size"], message["payload"].size()]), [[0, 0], [0, 0]],
		"each arrives with size 0 and an empty payload")
