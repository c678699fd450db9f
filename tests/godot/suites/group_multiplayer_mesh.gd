## SteamMessagesMultiplayerPeer's mesh mode, three processes: a, b and c each create a mesh with an ID of their
## own choosing (a is 1, which makes it no host) and add the other two by Steam ID. Everyone connects to
## everyone directly, once; RPCs in every transfer mode and on several channels arrive as their mode promises,
## with the true sender; c closes and is reported once to a and b; a disconnects b, and each reports the other
## once. Nothing else fires: no connection_failed, no mesh_peer_failed, and server_disconnected only where
## Godot reports c's own close so.
## args: --steam-backend=local
## processes: 3
extends SceneTree

const Check = preload("res://lib/check.gd")
const RpcNode = preload("res://lib/rpc_node.gd")
const BASE_ID := 76561197960265728
const COUNT := 200
const TIMEOUT_MS := 120000
## Each role's mesh peer ID, and its Steam ID's offset from a's.
const IDS := {"a": 1, "b": 20, "c": 300}
const OFFSETS := {"a": 0, "b": 1, "c": 2}

var t := Check.new()
var role := ""
var first_steam_id := 0
var peer: SteamMessagesMultiplayerPeer
var rpc_node: Node
var connected: Array[int] = []
var disconnected: Array[int] = []
var mesh_failures: Array = []
var connection_failed := 0
var server_disconnected := 0


func _initialize() -> void:
	var expected_backend := "local"
	for arg in OS.get_cmdline_user_args():
		if arg.begins_with("--role="):
			role = arg.get_slice("=", 1)
		elif arg.begins_with("--host-local-id="):
			first_steam_id = BASE_ID + int(arg.get_slice("=", 1))
		elif arg.begins_with("--expect-backend="):
			expected_backend = arg.get_slice("=", 1)
	t.eq(SteamNetworkingMessages.steamInitEx()["status"], 0, "%s: Steam initialises" % role)
	t.eq(SteamNetworkingMessages.getBackend(), expected_backend, "%s: on the %s backend" % [role, expected_backend])
	rpc_node = RpcNode.new()
	rpc_node.name = "Rpc"
	root.add_child(rpc_node)
	var mp := get_multiplayer()
	mp.peer_connected.connect(func(id: int) -> void: connected.append(id))
	mp.peer_disconnected.connect(func(id: int) -> void: disconnected.append(id))
	mp.connection_failed.connect(func() -> void: connection_failed += 1)
	mp.server_disconnected.connect(func() -> void: server_disconnected += 1)
	peer = SteamMessagesMultiplayerPeer.new()
	peer.mesh_peer_failed.connect(func(id: int, steam_id: int, reason: String) -> void:
		mesh_failures.append([id, steam_id, reason]))
	var me: int = IDS[role]
	t.eq(peer.create_mesh(me), OK, "%s: create_mesh(%d)" % [role, me])
	t.eq(SteamNetworkingMessages.getSteamID(), first_steam_id + OFFSETS[role], "%s: the Steam ID the others expect" % role)
	for other: String in IDS:
		if other != role:
			t.eq(peer.add_mesh_peer(first_steam_id + OFFSETS[other], IDS[other]), OK, "%s: add_mesh_peer(%s)" % [role, other])
	mp.multiplayer_peer = peer
	t.eq(mp.get_unique_id(), me, "%s: the multiplayer API sees the chosen ID" % role)

	await _until(func() -> bool: return mp.get_peers().size() == 2, "both others connected")
	var others: Array[int] = []
	others.assign(mp.get_peers())
	others.sort()
	var expected_others: Array[int] = []
	for other: String in IDS:
		if other != role:
			expected_others.append(IDS[other])
	expected_others.sort()
	t.eq(others, expected_others, "%s: sees the others under the IDs they chose" % role)
	for other: String in IDS:
		if other != role:
			t.eq(peer.get_steam_id_for_peer_id(IDS[other]), first_steam_id + OFFSETS[other], "%s: %s's peer ID maps to its Steam ID" % [role, other])
			t.eq(peer.get_peer_id_for_steam_id(first_steam_id + OFFSETS[other]), IDS[other], "%s: and back" % role)

	var padding := PackedByteArray()
	padding.resize(100)
	for i in COUNT:
		rpc_node.rpc("reliable_on_0", i)
		rpc_node.rpc("reliable_on_3", i)
		rpc_node.rpc("ordered_on_1", i)
		rpc_node.rpc("unreliable_on_2", i, padding)
		if i % 20 == 19:
			await process_frame
	rpc_node.rpc("say", "done")
	await _until(func() -> bool: return others.all(func(other: int) -> bool:
		return rpc_node.heard("done", other) \
			and rpc_node.sequences("reliable0", other).size() >= COUNT \
			and rpc_node.sequences("reliable3", other).size() >= COUNT), "done and every reliable RPC from everyone")
	var expected := range(COUNT)
	for other in others:
		t.eq(rpc_node.sequences("reliable0", other), expected, "%s: reliable channel 0 from %d: all, once, in order" % [role, other])
		t.eq(rpc_node.sequences("reliable3", other), expected, "%s: reliable channel 3 from %d: all, once, in order" % [role, other])
		var ordered: Array = rpc_node.sequences("ordered1", other)
		t.ok(_increasing(ordered), "%s: unreliable-ordered from %d never older after newer (%d arrived)" % [role, other, ordered.size()])
		var unreliable: Array = rpc_node.sequences("unreliable2", other)
		t.ok(unreliable.size() <= COUNT and _unique(unreliable), "%s: unreliable from %d at most once each (%d arrived)" % [role, other, unreliable.size()])

	# Leaving: once everyone has everything, c closes; then a disconnects b.
	rpc_node.rpc("say", "ready")
	await _until(func() -> bool: return others.all(func(other: int) -> bool: return rpc_node.heard("ready", other)), "ready from both others")
	match role:
		"c":
			peer.close()
			t.eq(peer.get_connection_status(), MultiplayerPeer.CONNECTION_DISCONNECTED, "c: closed")
		"a":
			await _until(func() -> bool: return disconnected.has(IDS["c"]), "c's departure")
			peer.disconnect_peer(IDS["b"])
			await _until(func() -> bool: return disconnected.has(IDS["b"]), "b's departure")
			t.eq(disconnected.count(IDS["c"]), 1, "a: peer_disconnected once for c, who closed")
			t.eq(disconnected.count(IDS["b"]), 1, "a: peer_disconnected once for b, whom it disconnected")
		"b":
			await _until(func() -> bool: return disconnected.has(IDS["c"]) and disconnected.has(IDS["a"]), "c's departure and a's")
			t.eq(disconnected.count(IDS["c"]), 1, "b: peer_disconnected once for c, who closed")
			t.eq(disconnected.count(IDS["a"]), 1, "b: peer_disconnected once for a, who disconnected it")
			t.eq(peer.get_connection_status(), MultiplayerPeer.CONNECTION_CONNECTED, "b: still in its mesh, alone")
	var seen := [connected.size(), disconnected.size()]
	for i in 60:
		await process_frame
	t.eq([connected.size(), disconnected.size()], seen, "%s: no signal fires twice" % role)
	t.eq(connected.size(), 2, "%s: peer_connected once per other peer" % role)
	t.eq(connection_failed, 0, "%s: connection_failed never fires in a mesh" % role)
	# Godot's SceneMultiplayer reports a peer's own close as server_disconnected (with ENet's mesh too).
	t.eq(server_disconnected, 1 if role == "c" else 0, "%s: server_disconnected only for c's own close" % role)
	t.eq(mesh_failures, [], "%s: mesh_peer_failed never fires" % role)
	get_multiplayer().multiplayer_peer = null
	SteamNetworkingMessages.steamShutdown()
	t.finish(self)


func _increasing(values: Array) -> bool:
	for i in range(1, values.size()):
		if values[i] <= values[i - 1]:
			return false
	return true


func _unique(values: Array) -> bool:
	var seen := {}
	for value in values:
		if seen.has(value):
			return false
		seen[value] = true
	return true


func _until(condition: Callable, what: String) -> void:
	var deadline := Time.get_ticks_msec() + TIMEOUT_MS
	while not condition.call():
		if Time.get_ticks_msec() > deadline:
			t.ok(false, "%s: timed out waiting for %s" % [role, what])
			return
		await process_frame
