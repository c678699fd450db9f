## Shared set-up for group suites (three or more processes, Godot's high-level multiplayer over
## SteamMessagesMultiplayerPeer): the role, the Steam IDs, every MultiplayerAPI signal recorded with the time
## it fired, and a wait that looks frame by frame with a deadline. Role `a` hosts; `b`, `c`, ... run as the
## host's local ID + 1, + 2, ... (see xtask/src/suite.rs).
extends RefCounted

const BASE_ID := 76561197960265728
## Deadline of a wait unless told otherwise: generous, for a busy machine.
const TIMEOUT_S := 120.0

var tree: SceneTree
var check: RefCounted
var role := ""
var host_steam_id := 0
var my_steam_id := 0
## Every signal, in order: [ticks_ms, signal name, peer ID (0 when the signal has none)].
var events: Array = []
var connected: Array[int] = []
var disconnected: Array[int] = []
var connected_to_server := 0
var connection_failed := 0
var server_disconnected := 0


func _init(scene_tree: SceneTree, checker: RefCounted) -> void:
	tree = scene_tree
	check = checker
	# The local backend, unless the harness runs the suite on the Steam one (over its stand-in).
	var expected_backend := "local"
	for arg in OS.get_cmdline_user_args():
		if arg.begins_with("--role="):
			role = arg.get_slice("=", 1)
		elif arg.begins_with("--host-local-id="):
			host_steam_id = BASE_ID + int(arg.get_slice("=", 1))
		elif arg.begins_with("--expect-backend="):
			expected_backend = arg.get_slice("=", 1)
	check.eq(SteamNetworkingMessages.steamInitEx()["status"], 0, "%s: Steam initialises" % role)
	check.eq(SteamNetworkingMessages.getBackend(), expected_backend, "%s: on the %s backend" % [role, expected_backend])
	my_steam_id = SteamNetworkingMessages.getSteamID()
	check.eq(my_steam_id, steam_id_of(role), "%s: runs as its role's Steam ID" % role)
	var mp := tree.get_multiplayer()
	mp.peer_connected.connect(_on_peer_connected)
	mp.peer_disconnected.connect(_on_peer_disconnected)
	mp.connected_to_server.connect(_on_connected_to_server)
	mp.connection_failed.connect(_on_connection_failed)
	mp.server_disconnected.connect(_on_server_disconnected)


## The Steam ID the harness gives a role ("a" is the host).
func steam_id_of(which: String) -> int:
	return host_steam_id + (which.unicode_at(0) - "a".unicode_at(0))


## The time (ticks ms) `signal_name` fired for `id` the `nth` time (0 for the first), -1 if it did not.
func time_of(signal_name: String, id := 0, nth := 0) -> int:
	var seen := 0
	for event in events:
		if event[1] == signal_name and event[2] == id:
			if seen == nth:
				return event[0]
			seen += 1
	return -1


## How many times `signal_name` fired, for any peer, since event index `from`.
func count_any_since(from: int, signal_name: String) -> int:
	var count := 0
	for i in range(from, events.size()):
		if events[i][1] == signal_name:
			count += 1
	return count


## How many times `signal_name` fired (for `id`) since event index `from`.
func count_since(from: int, signal_name: String, id := 0) -> int:
	var count := 0
	for i in range(from, events.size()):
		if events[i][1] == signal_name and events[i][2] == id:
			count += 1
	return count


## Waits until `condition` is true, a frame at a time; false (and a failed check) after `timeout` seconds.
func wait_for(condition: Callable, what: String, timeout := TIMEOUT_S) -> bool:
	var deadline := Time.get_ticks_msec() + int(timeout * 1000.0)
	while not condition.call():
		if Time.get_ticks_msec() > deadline:
			check.ok(false, "%s: timed out waiting for %s" % [role, what])
			return false
		await tree.process_frame
	return true


## Whether `values` only ever go up (an unreliable-ordered channel's sequence numbers as they arrived).
static func increasing(values: Array) -> bool:
	for i in range(1, values.size()):
		if values[i] <= values[i - 1]:
			return false
	return true


## Whether no value of `values` comes twice.
static func unique(values: Array) -> bool:
	var seen := {}
	for value in values:
		if seen.has(value):
			return false
		seen[value] = true
	return true


## Lets `frames` frames pass (packets already sent go out; nothing is waited for).
func frames(count: int) -> void:
	for i in count:
		await tree.process_frame


func _record(signal_name: String, id: int) -> void:
	var now := Time.get_ticks_msec()
	print("%s at %d ms: %s %d" % [role, now, signal_name, id])
	events.append([now, signal_name, id])


func _on_peer_connected(id: int) -> void:
	connected.append(id)
	_record("peer_connected", id)


func _on_peer_disconnected(id: int) -> void:
	disconnected.append(id)
	_record("peer_disconnected", id)


func _on_connected_to_server() -> void:
	connected_to_server += 1
	_record("connected_to_server", 0)


func _on_connection_failed() -> void:
	connection_failed += 1
	_record("connection_failed", 0)


func _on_server_disconnected() -> void:
	server_disconnected += 1
	_record("server_disconnected", 0)
