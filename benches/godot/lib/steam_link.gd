## The API under test: GodotSteam's Networking Messages (`Steam.sendMessageToUser`,
## `Steam.receiveMessagesOnChannel`) on the local backend. The peer is addressed by its Steam ID.
extends "res://lib/link.gd"

const SEND_RELIABLE := 8
const SEND_UNRELIABLE := 0
const RESULT_OK := 1
const RESULT_LIMIT_EXCEEDED := 25

var peer_id := 0
## "all-sent" control messages read: cost benchmark rounds the sender has finished.
var rounds_sent := 0


func open() -> String:
	var init: Dictionary = Steam.steamInitEx()
	if init.get("status") != 0:
		return "steamInitEx failed: %s" % init.get("verbal")
	if Steam.getBackend() != "local":
		return "expected the local backend, got '%s'" % Steam.getBackend()
	peer_id = Bench.BASE_ID + peer_local_id
	Steam.network_messages_session_request.connect(_on_session_request)
	return ""


var pending_control: Array[String] = []


func _on_session_request(remote_steam_id: int) -> void:
	if remote_steam_id == peer_id:
		Steam.acceptSessionWithUser(remote_steam_id)


func send_control(text: String) -> void:
	pending_control.append(text)
	flush_control()


## Sends queued control messages; one refused with RESULT_LIMIT_EXCEEDED (the peer has not read enough of
## what was sent yet) waits for the next frame, as a game would.
func flush_control() -> void:
	while not pending_control.is_empty():
		var result: int = Steam.sendMessageToUser(peer_id, pending_control[0].to_utf8_buffer(), SEND_RELIABLE, CONTROL)
		if result == RESULT_LIMIT_EXCEEDED:
			return
		pending_control.pop_front()


func service() -> void:
	flush_control()


func collect_control() -> void:
	for message: Dictionary in Steam.receiveMessagesOnChannel(CONTROL, 64):
		var text: String = message["payload"].get_string_from_utf8()
		if text == "all-sent":
			rounds_sent += 1
		else:
			inbox.append(text)


func send_burst(payload: PackedByteArray, count: int, reliable: bool) -> int:
	var flags := SEND_RELIABLE if reliable else SEND_UNRELIABLE
	var id := peer_id
	for i in count:
		var result: int = Steam.sendMessageToUser(id, payload, flags, DATA)
		if result != RESULT_OK:
			if result != RESULT_LIMIT_EXCEEDED:
				send_errors += 1
				last_send_error = result
			return i
	return count


func drain_data(max_messages: int) -> int:
	var count := 0
	var bytes := 0
	for message: Dictionary in Steam.receiveMessagesOnChannel(DATA, max_messages):
		var payload: PackedByteArray = message["payload"]
		bytes += payload.size()
		count += 1
	bytes_received += bytes
	return count


func time_sends(payload: PackedByteArray, count: int) -> int:
	var id := peer_id
	var failed := 0
	var start := Time.get_ticks_usec()
	for i in count:
		if Steam.sendMessageToUser(id, payload, SEND_RELIABLE, DATA) != RESULT_OK:
			failed += 1
	var elapsed := Time.get_ticks_usec() - start
	send_errors += failed
	return elapsed


## Reliable messages travel one ordered ENet channel in the local backend, so once this control message is
## read, every data message sent before it is queued.
func cost_round_sent(_round: int) -> void:
	send_control("all-sent")


func cost_round_queued(round: int, _total: int) -> bool:
	collect_control()
	return rounds_sent > round


func time_receives(count: int, batch: int, read_fields: bool) -> Array:
	var received := 0
	var sum := 0
	var calls_left := count + 1000
	var start := Time.get_ticks_usec()
	if read_fields:
		while received < count and calls_left > 0:
			calls_left -= 1
			for message: Dictionary in Steam.receiveMessagesOnChannel(DATA, mini(batch, count - received)):
				var payload: PackedByteArray = message["payload"]
				var channel: int = message["channel"]
				sum += payload.size() + channel
				received += 1
	else:
		while received < count and calls_left > 0:
			calls_left -= 1
			received += Steam.receiveMessagesOnChannel(DATA, mini(batch, count - received)).size()
	var elapsed := Time.get_ticks_usec() - start
	checksum += sum
	return [elapsed, received]


func close() -> void:
	Steam.closeSessionWithUser(peer_id)
