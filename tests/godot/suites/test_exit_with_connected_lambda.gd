## A lambda and a method connected to the singleton's signals, called once, do not crash Godot at exit
## (the runner checks the exit code and the log).
extends SceneTree

const Check = preload("res://lib/check.gd")

var t := Check.new()
var calls := 0


func _init() -> void:
	var steam := Engine.get_singleton("SteamNetworkingMessages")
	steam.network_messages_session_request.connect(func(remote_steam_id: int) -> void: calls += remote_steam_id)
	steam.network_messages_session_failed.connect(_on_failed)
	steam.network_messages_session_request.emit(2)
	steam.network_messages_session_failed.emit(5003, 3, 5, "timeout")
	t.eq(calls, 5, "the lambda and the method were both called")
	t.finish(self)


func _on_failed(reason: int, remote_steam_id: int, _state: int, _debug: String) -> void:
	calls += remote_steam_id
