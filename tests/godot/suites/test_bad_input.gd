## Bad input on a running backend: a clear error and GodotSteam's return value, never a crash.
## args: --steam-backend=local --steam-local-id=40
## expect-script-errors: 6
extends SceneTree

const Check = preload("res://lib/check.gd")
const PEER := 76561197960265728 + 41

var t := Check.new()
var steam: Object


func _init() -> void:
	steam = Engine.get_singleton("SteamNetworkingMessages")
	t.eq(steam.steamInitEx()["status"], 0, "the local backend initialises")
	t.eq(steam.getSteamID(), 76561197960265728 + 40, "getSteamID is local ID 40's Steam ID")
	t.eq(steam.isSteamRunning(), true, "isSteamRunning is true on the local backend")
	negative_and_huge_channels_are_refused()
	max_messages_out_of_range_is_handled()
	steam_id_zero_is_refused()
	ids_steam_cannot_use_return_invalid_steamid_at_once()
	wrong_variant_types_for_a_steam_id_are_refused()
	unknown_identity_references_are_refused()
	oversized_payload_is_invalid_param()
	wrong_types_for_typed_arguments_do_not_crash()
	t.finish(self)


func negative_and_huge_channels_are_refused() -> void:
	var data := PackedByteArray([1])
	t.eq(steam.sendMessageToUser(PEER, data, 8, -1), 8, "send on channel -1 returns RESULT_INVALID_PARAM")
	t.eq(steam.sendMessageToUser(PEER, data, 8, 1 << 40), 8, "send on channel 2^40 returns RESULT_INVALID_PARAM")
	t.eq(steam.receiveMessagesOnChannel(-5, 10), [], "receive on channel -5 returns []")
	t.eq(steam.closeChannelWithUser(PEER, -1), false, "closeChannelWithUser on channel -1 returns false")


func max_messages_out_of_range_is_handled() -> void:
	t.eq(steam.receiveMessagesOnChannel(0, -1), [], "max_messages -1 returns []")
	t.eq(steam.receiveMessagesOnChannel(0, 0), [], "max_messages 0 returns []")
	t.eq(steam.receiveMessagesOnChannel(0, 9223372036854775807), [], "a huge max_messages returns what there is")


func steam_id_zero_is_refused() -> void:
	t.eq(steam.sendMessageToUser(0, PackedByteArray([1]), 8, 0), 19, "send to Steam ID 0 returns RESULT_INVALID_STEAMID, as Steam does")
	t.eq(steam.acceptSessionWithUser(0), false, "accept Steam ID 0 returns false")
	t.eq(steam.getSessionConnectionInfo(0, true, true), {}, "session info for Steam ID 0 is {}")


## Steam's SendMessageToUser returns k_EResultInvalidSteamID at once for an ID that has no account number or
## is not a user's or game server's; nothing is queued and no session appears.
func ids_steam_cannot_use_return_invalid_steamid_at_once() -> void:
	var individual := 76561197960265728 + 41
	var cases := {
		"1": 1,
		"account number 0": 76561197960265728,
		"account type invalid": individual & ~(0xf << 52),
		"a clan (type 7)": (individual & ~(0xf << 52)) | (7 << 52),
		"-1 (all bits set)": -1,
	}
	for what in cases:
		t.eq(steam.sendMessageToUser(cases[what], PackedByteArray([1]), 8, 0), steam.RESULT_INVALID_STEAMID, "send to %s returns RESULT_INVALID_STEAMID" % what)
		t.eq(steam.getSessionConnectionInfo(cases[what], false, false), {}, "no session with %s" % what)
	t.eq(steam.getSessionConnectionInfo("steamid:1", false, false), {}, "no session with steamid:1 as an identity string")
	t.eq(steam.sendMessageToUser(steam.getIdentitySteamID64("steamid:1"), PackedByteArray([1]), 8, 0), steam.RESULT_INVALID_STEAMID, "send to steamid:1 resolved returns RESULT_INVALID_STEAMID")
	var game_server := (individual & ~(0xf << 52)) | (3 << 52)
	t.eq(steam.sendMessageToUser(game_server, PackedByteArray([1]), 8, 0), steam.RESULT_OK, "a game server's Steam ID is a valid peer, as on Steam")
	steam.closeSessionWithUser(game_server)


func wrong_variant_types_for_a_steam_id_are_refused() -> void:
	for value in [null, 1.5, [1], {"a": 1}, Vector2(1, 2), PackedByteArray([1]), self, true]:
		t.eq(steam.acceptSessionWithUser(value), false, "accept with a %s returns false" % type_string(typeof(value)))
	# sendMessageToUser's Steam ID is an int, as in GodotSteam: Godot converts what it can (false and 1.5
	# become IDs Steam cannot use) and refuses the rest before the call (see
	# wrong_types_for_typed_arguments_do_not_crash).
	for value in [1.5, false]:
		t.eq(steam.sendMessageToUser(value, PackedByteArray([1]), 8, 0), steam.RESULT_INVALID_STEAMID, "send to %s returns RESULT_INVALID_STEAMID" % var_to_str(value))
	var freed := Node.new()
	freed.free()
	t.eq(steam.closeSessionWithUser(freed), false, "a freed object as Steam ID returns false")


func unknown_identity_references_are_refused() -> void:
	t.eq(steam.closeChannelWithUser("nobody", 0), false, "an unknown reference returns false")
	t.eq(steam.acceptSessionWithUser("steamid:abc"), false, "a malformed identity string returns false")
	steam.addIdentity("empty")
	t.eq(steam.closeSessionWithUser("empty"), false, "a reference without a Steam ID returns false")


func oversized_payload_is_invalid_param() -> void:
	var data := PackedByteArray()
	data.resize(524288 + 1)
	t.eq(steam.sendMessageToUser(PEER, data, 8, 0), 8, "a payload over MAX_STEAM_PACKET_SIZE returns RESULT_INVALID_PARAM")
	t.eq(steam.sendMessageToUser(PEER, PackedByteArray([1]), 1 << 40, 0), 8, "flags beyond 32 bits return RESULT_INVALID_PARAM")


func wrong_types_for_typed_arguments_do_not_crash() -> void:
	# Godot refuses these before our code runs: each is one script error (counted by the runner) that ends
	# only the calling function.
	t.eq(string_channel(), null, "a String channel is refused")
	t.eq(string_payload(), null, "a String payload is refused")
	t.eq(object_flags(), null, "an Object as flags is refused")
	t.eq(string_steam_id(), null, "a String Steam ID is refused by sendMessageToUser")
	t.eq(array_steam_id(), null, "an Array Steam ID is refused by sendMessageToUser")
	t.eq(null_steam_id(), null, "a null Steam ID is refused by sendMessageToUser")
	t.eq(steam.getSteamID(), 76561197960265728 + 40, "the backend still runs")


func string_channel() -> Variant:
	return steam.receiveMessagesOnChannel("zero", 10)


func string_payload() -> Variant:
	return steam.sendMessageToUser(PEER, "not bytes", 8, 0)


func object_flags() -> Variant:
	return steam.sendMessageToUser(PEER, PackedByteArray([1]), self, 0)


func string_steam_id() -> Variant:
	return steam.sendMessageToUser("host", PackedByteArray([1]), 8, 0)


func array_steam_id() -> Variant:
	return steam.sendMessageToUser([1], PackedByteArray([1]), 8, 0)


func null_steam_id() -> Variant:
	return steam.sendMessageToUser(null, PackedByteArray([1]), 8, 0)
