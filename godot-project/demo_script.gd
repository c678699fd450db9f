## The scripted exchange main.gd runs with `--demo-script` (or in a headless run) instead of waiting for input.
##
## The instance with the lower Steam ID says hello on the chat; the other accepts the session automatically and
## replies. Both then send 30 avatar positions (30 per second, unreliable), say "done", print the session's
## state and ping, meet in a lobby (the lower Steam ID hosts it, the other finds and joins it; where lobbies
## are offered), say "bye" and close the session. Each event is printed as one line starting with
## `[demo <steam id>]`. The process exits with 0 on success; 1 if Steam did not start, 2 if no peer was found,
## 3 if the peer did not answer within TIMEOUT_S (or the session failed while waiting), 4 if anything else went
## wrong (a failed send or session, or no avatar position at all).
##
## The peer is `--demo-peer=<steam id>` if given, else the first instance getVisiblePeers() reports (local
## backend), else whoever sends a session request first.
extends Node

## Longest wait for the peer to appear, for its chat, and for its "done" (a failed session ends it sooner).
const TIMEOUT_S := 20.0
## Longest wait for the peer's "bye" before closing anyway.
const BYE_TIMEOUT_S := 5.0
const AVATAR_UPDATES := 30
const DONE_PREFIX := "done:"
const BYE := "bye"

var main: Node  # main.gd
var my_id := 0
var peer_id := 0
var _chats: Array[String] = []  # texts the peer sent, in order
var _avatars_received := 0
var _failures := 0


func _init(demo_main: Node) -> void:
	main = demo_main
	name = "DemoScript"


func _ready() -> void:
	_run()


func _run() -> void:
	if main.my_steam_id == 0:
		_fail(1, "Steam did not start: %s" % main.init_verbal)
		return
	my_id = main.my_steam_id
	# Headless Godot would otherwise spin as fast as it can.
	Engine.max_fps = 60
	main.auto_stream_avatar = false
	main.set_auto_accept(true)
	main.chat_received.connect(_on_chat)
	main.avatar_received.connect(_on_avatar)
	main.session_requested.connect(_on_request)
	main.session_failed.connect(_on_failed)
	_say("started on the %s backend: %s" % [main.backend_name, main.init_verbal])

	peer_id = main.demo_peer
	if peer_id == 0:
		_say("waiting for another instance (getVisiblePeers or a session request)")
		var found: bool = await _wait_for(func() -> bool:
			var seen: Array = main.visible_peers()
			if peer_id == 0 and not seen.is_empty():
				peer_id = seen[0]
			return peer_id != 0, TIMEOUT_S)
		if not found:
			_fail(2, "no other instance appeared within %d s" % TIMEOUT_S)
			return
	main.select_peer(peer_id)
	var leader := my_id < peer_id
	_say("peer is %d; %s" % [peer_id, "I have the lower Steam ID, so I start" if leader else "waiting for its hello"])

	if leader:
		_send_chat("hello from %d" % my_id)
		if not await _wait_for_peer(func() -> bool: return not _chats.is_empty()):
			_fail(3, "no reply from %d %s" % [peer_id, _why()])
			return
		_say("got a reply: the session works both ways")
	else:
		if not await _wait_for_peer(func() -> bool: return not _chats.is_empty()):
			_fail(3, "no hello from %d %s" % [peer_id, _why()])
			return
		_send_chat("hello back from %d" % my_id)

	_say("sending %d avatar positions at 30 Hz (unreliable, channel %d)" % [AVATAR_UPDATES, main.AVATAR_CHANNEL])
	# Both avatars circle the middle of the field, on opposite sides.
	var phase := 0.0 if leader else PI
	for i in AVATAR_UPDATES:
		var angle := phase + TAU * float(i) / float(AVATAR_UPDATES)
		main.my_avatar = Vector2(0.5, 0.5) + Vector2(cos(angle), sin(angle)) * 0.3
		var result: int = main.send_avatar()
		if result != Steam.RESULT_OK:
			_say("avatar position %d not sent: result %d" % [i + 1, result])
		await get_tree().create_timer(1.0 / 30.0).timeout
	_send_chat("%s sent %d avatar positions" % [DONE_PREFIX, AVATAR_UPDATES])
	if not await _wait_for_peer(_peer_said.bind(DONE_PREFIX)):
		_fail(3, "the peer did not finish its avatar positions %s" % _why())
		return
	# Unreliable positions sent just before the peer's "done" may still be on their way.
	await _frames(10)
	_say("avatar positions: sent %d, received %d of %d" % [AVATAR_UPDATES, _avatars_received, AVATAR_UPDATES])
	if _avatars_received == 0:
		_failures += 1
		_say("FAILED: no avatar position arrived")

	var info: Dictionary = Steam.getSessionConnectionInfo(peer_id, true, true)
	_say("session: state %s, ping %d ms, %.1f packets/s out, %.1f in, %d bytes pending reliable, remote %s" % [
		main.state_name(info.get("connection_state", 0)), info.get("ping", 0),
		info.get("packets_out_per_second", 0.0), info.get("packets_in_per_second", 0.0),
		info.get("pending_reliable", 0), info.get("remote_address", "?")])

	if main.lobby_panel and not await _meet_in_a_lobby(leader):
		return

	# Both sides print their session info before either closes: wait for the peer's "bye" (or its close).
	_send_chat(BYE)
	await _wait_for(func() -> bool:
		var state: int = main.session_state(peer_id)
		return _peer_said(BYE) or state != Steam.CONNECTION_STATE_CONNECTED, BYE_TIMEOUT_S)
	await _frames(10)
	await main.save_screenshot_if_asked()
	_say("closing the session: closeSessionWithUser returned %s" % Steam.closeSessionWithUser(peer_id))
	if _failures > 0:
		_fail(4, "%d problem(s) during the exchange" % _failures)
		return
	_say("exchange complete")
	_finish(0)


## The leader hosts a lobby with the panel's Host; the other finds it with Find and enters it with Join; both
## wait until the lobby shows them both. False (after failing the run) if that does not happen in TIMEOUT_S.
func _meet_in_a_lobby(leader: bool) -> bool:
	var panel: Node = main.lobby_panel
	var lobby_name := "%s's lobby" % main.persona_name(my_id if leader else peer_id)
	if leader:
		_say("hosting a lobby")
		panel.host_lobby()
	else:
		_say('looking for "%s"' % lobby_name)
		var target := [0]
		var searches := [0]
		var found: bool = await _wait_for(func() -> bool:
			for lobby in panel.found_lobbies():
				if Steam.getLobbyData(lobby, "name") == lobby_name:
					target[0] = lobby
			if target[0] == 0 and Engine.get_process_frames() % 30 == 0:
				searches[0] += 1
				panel.find_lobbies()
			return target[0] != 0, TIMEOUT_S)
		if not found:
			_fail(4, "the peer's lobby did not show in %d searches" % searches[0])
			return false
		_say("found lobby %d; joining" % target[0])
		panel.join_lobby(target[0])
	var together: bool = await _wait_for(func() -> bool:
		return panel.lobby_id != 0 and panel.members().has(my_id) and panel.members().has(peer_id), TIMEOUT_S)
	if not together:
		_fail(4, "the lobby did not show both players within %d s" % TIMEOUT_S)
		return false
	_say("in lobby %d with %d members, owner %d" % [panel.lobby_id, panel.members().size(), Steam.getLobbyOwner(panel.lobby_id)])
	return true


func _send_chat(text: String) -> void:
	var result: int = main.send_chat(text)
	if result == Steam.RESULT_OK:
		_say('sent chat: "%s"' % text)
	else:
		_failures += 1
		_say('FAILED to send chat "%s": result %d' % [text, result])


func _on_chat(from_steam_id: int, text: String) -> void:
	_say('received chat from %d: "%s"' % [from_steam_id, text])
	if from_steam_id == peer_id:
		_chats.append(text)


func _on_avatar(from_steam_id: int, at: Vector2) -> void:
	if from_steam_id != peer_id:
		return
	_avatars_received += 1
	_say("avatar position %d from %d: (%.2f, %.2f)" % [_avatars_received, from_steam_id, at.x, at.y])


func _on_request(remote_steam_id: int, accepted: bool) -> void:
	if peer_id == 0:
		peer_id = remote_steam_id
	_say("session request from %d: %s" % [remote_steam_id, "accepted" if accepted else "not accepted"])


func _on_failed(remote_steam_id: int, reason: int, debug_message: String) -> void:
	_failures += 1
	_say("FAILED: session with %d failed (reason %d): %s" % [remote_steam_id, reason, debug_message])


func _peer_said(prefix: String) -> bool:
	return _chats.any(func(text: String) -> bool: return text.begins_with(prefix))


## Waits for something the peer does: false after TIMEOUT_S seconds or as soon as the session fails.
func _wait_for_peer(condition: Callable) -> bool:
	var failures_before := _failures
	await _wait_for(func() -> bool: return condition.call() or _failures > failures_before, TIMEOUT_S)
	return condition.call()


## How a wait for the peer ended, for the failure message.
func _why() -> String:
	return "(the session failed)" if _failures > 0 else "within %d s" % TIMEOUT_S


## Waits frame by frame until `condition` holds; false if it still does not after `timeout` seconds.
func _wait_for(condition: Callable, timeout: float) -> bool:
	var deadline := Time.get_ticks_msec() + int(timeout * 1000.0)
	while not condition.call():
		if Time.get_ticks_msec() > deadline:
			return false
		await get_tree().process_frame
	return true


func _frames(count: int) -> void:
	for i in count:
		await get_tree().process_frame


func _say(text: String) -> void:
	if my_id == 0:
		print("[demo] %s" % text)
	else:
		print("[demo %d] %s" % [my_id, text])


func _fail(code: int, why: String) -> void:
	_say("FAILED: %s" % why)
	_finish(code)


func _finish(code: int) -> void:
	_say("exit code %d" % code)
	get_tree().quit(code)
