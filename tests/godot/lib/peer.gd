## Shared set-up for pair suites (two processes, on the local backend or, with `--expect-backend=steam`, on the
## Steam backend over the test tree's Steam API stand-in): the role this process plays, both Steam IDs, the
## signals received, and helpers that wait frame by frame with a deadline.
extends RefCounted

const BASE_ID := 76561197960265728
const RELIABLE := 8
const UNRELIABLE := 0
const TIMEOUT_S := 60.0

var tree: SceneTree
var check: RefCounted
var steam: Object
var role := ""
## The backend the harness selected: "local" unless `--expect-backend=` says otherwise.
var backend := "local"
var my_id := 0
var peer_id := 0
var requests: Array = []
var failures: Array = []


func _init(scene_tree: SceneTree, checker: RefCounted) -> void:
	tree = scene_tree
	check = checker
	for arg in OS.get_cmdline_user_args():
		if arg.begins_with("--role="):
			role = arg.get_slice("=", 1)
		elif arg.begins_with("--peer-local-id="):
			peer_id = BASE_ID + int(arg.get_slice("=", 1))
		elif arg.begins_with("--expect-backend="):
			backend = arg.get_slice("=", 1)
	steam = Engine.get_singleton("SteamNetworkingMessages")
	var init: Dictionary = steam.steamInitEx()
	check.eq(init.get("status"), 0, "%s: the %s backend initialises (%s)" % [role, backend, init.get("verbal")])
	check.eq(steam.getBackend(), backend, "%s: getBackend is %s" % [role, backend])
	my_id = steam.getSteamID()
	steam.network_messages_session_request.connect(_on_request)
	steam.network_messages_session_failed.connect(_on_failed)


## Events are printed as they come, with the time, so a failed run's log tells what happened when.
func _on_request(remote_steam_id: int) -> void:
	print("%s at %d ms: session request from %d" % [role, Time.get_ticks_msec(), remote_steam_id])
	requests.append(remote_steam_id)


func _on_failed(reason: int, remote_steam_id: int, connection_state: int, debug_message: String) -> void:
	print("%s at %d ms: session with %d failed (%d, state %d): %s" % [role, Time.get_ticks_msec(), remote_steam_id, reason, connection_state, debug_message])
	failures.append({"reason": reason, "remote": remote_steam_id, "state": connection_state, "debug": debug_message})


## Waits until `condition` is true, a frame at a time; false (and a failed check) after `timeout` seconds.
func wait_for(condition: Callable, what: String, timeout := TIMEOUT_S) -> bool:
	var deadline := Time.get_ticks_msec() + int(timeout * 1000.0)
	while not condition.call():
		if Time.get_ticks_msec() > deadline:
			check.ok(false, "%s: timed out waiting for %s" % [role, what])
			return false
		await tree.process_frame
	return true


## Waits for one text message on `channel` and returns it ("" on timeout).
func wait_for_text(channel: int, what: String, timeout := TIMEOUT_S) -> String:
	var received := []
	var got: bool = await wait_for(func() -> bool:
		received.append_array(steam.receiveMessagesOnChannel(channel, 1))
		return not received.is_empty(), what, timeout)
	if not got:
		return ""
	return received[0]["payload"].get_string_from_utf8()


func send_text(text: String, flags := RELIABLE, channel := 0) -> int:
	return steam.sendMessageToUser(peer_id, text.to_utf8_buffer(), flags, channel)


## Lets a few frames pass so the last packets leave before this process exits.
func settle(frames := 30) -> void:
	for i in frames:
		await tree.process_frame


## After sending the last message: stays until the peer leaves (the session stops reading connected) or
## `timeout` seconds pass. On a lossy link the last message may need retransmissions that quitting would stop.
func linger(timeout := 30.0) -> void:
	var deadline := Time.get_ticks_msec() + int(timeout * 1000.0)
	while Time.get_ticks_msec() < deadline and steam.getSessionConnectionInfo(peer_id, false, false).get("connection_state") == 3:
		await tree.process_frame
