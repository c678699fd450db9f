## Before steamInit every call reports GodotSteam's error and returns GodotSteam's default, and Godot keeps
## running.
extends SceneTree

const Check = preload("res://lib/check.gd")
const ErrorLog = preload("res://lib/error_log.gd")

var t := Check.new()
var steam: Object


func _init() -> void:
	steam = Engine.get_singleton("SteamNetworkingMessages")
	polling_every_frame_prints_godotsteams_error_once_then_a_count()
	messages_functions_return_godotsteam_defaults()
	persona_functions_report_the_friends_class()
	lobby_functions_report_the_matchmaking_class()
	steam_id_is_zero()
	init_result_is_empty_before_any_attempt()
	shutdown_and_run_callbacks_are_harmless()
	t.finish(self)


func polling_every_frame_prints_godotsteams_error_once_then_a_count() -> void:
	var log := ErrorLog.new()
	OS.add_logger(log)
	for frame in 1000:
		steam.receiveMessagesOnChannel(0, 32)
	OS.remove_logger(log)
	var printed := log.errors.filter(func(error: String) -> bool: return error.contains("receiveMessagesOnChannel"))
	t.eq(printed.size(), 4, "1,000 calls print 4 errors (the 1st, 10th, 100th and 1,000th)")
	if printed.size() == 4:
		t.eq(printed[0], "[STEAM] Networking Messages class not found when calling: receiveMessagesOnChannel", "the first is GodotSteam's own line")
		t.ok(printed[3].contains("1000 calls so far"), "the last carries the count: %s" % printed[3])


func lobby_functions_report_the_matchmaking_class() -> void:
	var log := ErrorLog.new()
	OS.add_logger(log)
	var lobby := 109775240917155841
	steam.createLobby(2, 4)
	steam.requestLobbyList()
	var values := [
		steam.getNumLobbyMembers(lobby),
		steam.getLobbyOwner(lobby),
		steam.getLobbyData(lobby, "k"),
		steam.setLobbyData(lobby, "k", "v"),
		steam.sendLobbyChatMsg(lobby, "hi"),
	]
	OS.remove_logger(log)
	t.eq(values, [0, 0, "", false, false], "lobby functions return GodotSteam's defaults")
	t.eq(log.errors, [
		"[STEAM] Matchmaking class not found when calling: createLobby",
		"[STEAM] Matchmaking class not found when calling: requestLobbyList",
		"[STEAM] Matchmaking class not found when calling: getNumLobbyMembers",
		"[STEAM] Matchmaking class not found when calling: getLobbyOwner",
		"[STEAM] Matchmaking class not found when calling: getLobbyData",
		"[STEAM] Matchmaking class not found when calling: setLobbyData",
		"[STEAM] Matchmaking class not found when calling: sendLobbyChatMsg",
	], "each prints GodotSteam's Matchmaking line")


func persona_functions_report_the_friends_class() -> void:
	var log := ErrorLog.new()
	OS.add_logger(log)
	var name: String = steam.getPersonaName()
	var friend: String = steam.getFriendPersonaName(76561197960265729)
	var requested: bool = steam.requestUserInformation(76561197960265729, true)
	OS.remove_logger(log)
	t.eq([name, friend, requested], ["", "", false], "getPersonaName and getFriendPersonaName return \"\", requestUserInformation false")
	t.eq(log.errors, [
		"[STEAM] Friends class not found when calling: getPersonaName",
		"[STEAM] Friends class not found when calling: getFriendPersonaName",
		"[STEAM] Friends class not found when calling: requestUserInformation",
	], "each prints GodotSteam's Friends line")


func messages_functions_return_godotsteam_defaults() -> void:
	var peer := 76561197960287930
	t.eq(steam.acceptSessionWithUser(peer), false, "acceptSessionWithUser returns false")
	t.eq(steam.closeChannelWithUser(peer, 0), false, "closeChannelWithUser returns false")
	t.eq(steam.closeSessionWithUser(peer), false, "closeSessionWithUser returns false")
	t.eq(steam.getSessionConnectionInfo(peer, true, true), {}, "getSessionConnectionInfo returns {}")
	t.eq(steam.receiveMessagesOnChannel(0, 10), [], "receiveMessagesOnChannel returns []")
	t.eq(steam.sendMessageToUser(peer, PackedByteArray([1, 2, 3]), 8, 0), 0, "sendMessageToUser returns 0")


func steam_id_is_zero() -> void:
	t.eq(steam.getSteamID(), 0, "getSteamID is 0")


func init_result_is_empty_before_any_attempt() -> void:
	t.eq(steam.get_steam_init_result(), {}, "get_steam_init_result is {}")


func shutdown_and_run_callbacks_are_harmless() -> void:
	steam.run_callbacks()
	steam.steamShutdown()
	steam.steamShutdown()
	t.eq(steam.getSteamID(), 0, "still uninitialised after steamShutdown and run_callbacks")
