## GDScript written for GodotSteam (`Steam.` everywhere) runs unchanged against our singleton.
extends SceneTree

const Check = preload("res://lib/check.gd")

var t := Check.new()
var requests := []


func _init() -> void:
	steam_is_the_same_object()
	godotsteam_style_calls_compile_and_run()
	signals_connect_through_the_alias()
	t.finish(self)


func steam_is_the_same_object() -> void:
	t.ok(Engine.has_singleton("Steam"), "a Steam singleton exists")
	t.ok(Engine.get_singleton("Steam") == Engine.get_singleton("SteamNetworkingMessages"), "Steam is SteamNetworkingMessages")


func godotsteam_style_calls_compile_and_run() -> void:
	var init: Dictionary = Steam.steamInitEx()
	t.ok(init.has("status"), "Steam.steamInitEx() returns a status")
	t.eq(Steam.receiveMessagesOnChannel(0, 32), [], "Steam.receiveMessagesOnChannel works")
	t.eq(Steam.NETWORKING_SEND_RELIABLE, 8, "Steam.NETWORKING_SEND_RELIABLE")
	t.eq(Steam.CONNECTION_STATE_CONNECTED, 3, "Steam.CONNECTION_STATE_CONNECTED")


func signals_connect_through_the_alias() -> void:
	Steam.network_messages_session_request.connect(_on_session_request)
	Steam.network_messages_session_request.emit(1234)
	t.eq(requests, [1234], "a handler connected through Steam receives the signal")
	Steam.network_messages_session_request.disconnect(_on_session_request)


func _on_session_request(remote_steam_id: int) -> void:
	requests.append(remote_steam_id)
