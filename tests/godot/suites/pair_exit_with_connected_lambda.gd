## A lambda and a method connected to the singleton's signals, called from the per-frame callback poll, do
## not crash Godot at exit (the runner checks both exit codes and logs).
extends SceneTree

const Check = preload("res://lib/check.gd")
const BASE_ID := 76561197960265728

var t := Check.new()
var by_method := []


func _initialize() -> void:
	var role := ""
	var peer_id := 0
	for arg in OS.get_cmdline_user_args():
		if arg.begins_with("--role="):
			role = arg.get_slice("=", 1)
		elif arg.begins_with("--peer-local-id="):
			peer_id = BASE_ID + int(arg.get_slice("=", 1))
	t.eq(Steam.steamInitEx()["status"], 0, "%s: initialised" % role)
	var by_lambda := []
	Steam.network_messages_session_request.connect(func(remote_steam_id: int) -> void:
		by_lambda.append(remote_steam_id)
		Steam.acceptSessionWithUser(remote_steam_id))
	Steam.network_messages_session_request.connect(_on_request)
	if role == "a":
		Steam.sendMessageToUser(peer_id, "hi".to_utf8_buffer(), 8, 0)
		var answer := []
		while answer.is_empty():
			answer = Steam.receiveMessagesOnChannel(0, 1)
			await process_frame
		t.eq(answer[0]["payload"].get_string_from_utf8(), "accepted by lambda", "a: b's lambda accepted")
	else:
		while by_lambda.is_empty():
			await process_frame
		t.eq(by_lambda, [peer_id], "b: the lambda got the request")
		t.eq(by_method, [peer_id], "b: the method got the request")
		Steam.sendMessageToUser(peer_id, "accepted by lambda".to_utf8_buffer(), 8, 0)
		for i in 30:
			await process_frame
	t.finish(self)


func _on_request(remote_steam_id: int) -> void:
	by_method.append(remote_steam_id)
