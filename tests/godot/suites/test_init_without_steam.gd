## With no Steam client, initialisation fails the way GodotSteam reports it, and nothing breaks afterwards.
extends SceneTree

const Check = preload("res://lib/check.gd")

var t := Check.new()
var steam: Object


func _init() -> void:
	steam = Engine.get_singleton("SteamNetworkingMessages")
	steam_is_not_running()
	steam_init_ex_reports_no_steam_client_with_steams_message()
	steam_init_returns_false()
	init_result_keeps_the_last_attempt()
	calls_after_a_failed_init_still_report_not_initialised()
	out_of_range_app_id_is_refused()
	t.finish(self)


func steam_is_not_running() -> void:
	t.eq(steam.isSteamRunning(), false, "isSteamRunning is false")


func steam_init_ex_reports_no_steam_client_with_steams_message() -> void:
	var result: Dictionary = steam.steamInitEx()
	t.eq(result.keys(), ["status", "verbal"], "steamInitEx returns {status, verbal}")
	t.eq(result.get("status"), steam.STEAM_API_INIT_RESULT_NO_STEAM_CLIENT, "status is STEAM_API_INIT_RESULT_NO_STEAM_CLIENT")
	t.ok(result.get("verbal", "") is String and not String(result.get("verbal", "")).is_empty(), "verbal carries Steam's message: %s" % result.get("verbal"))


func steam_init_returns_false() -> void:
	t.eq(steam.steamInit(480, false), false, "steamInit(480) returns false")


func init_result_keeps_the_last_attempt() -> void:
	var result: Dictionary = steam.get_steam_init_result()
	t.eq(result.get("status"), 2, "get_steam_init_result has the last status")


func calls_after_a_failed_init_still_report_not_initialised() -> void:
	t.eq(steam.getSteamID(), 0, "getSteamID stays 0")
	t.eq(steam.sendMessageToUser(76561197960287930, PackedByteArray([1]), 0, 0), 0, "sendMessageToUser returns 0")


func out_of_range_app_id_is_refused() -> void:
	var result: Dictionary = steam.steamInitEx(-5)
	t.eq(result.get("status"), steam.STEAM_API_INIT_RESULT_FAILED_GENERIC, "negative app_id gives FAILED_GENERIC")
	t.ok(String(result.get("verbal", "")).contains("app_id"), "the message names app_id: %s" % result.get("verbal"))
