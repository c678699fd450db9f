## Godot's high-level multiplayer over SteamMessagesMultiplayerPeer, three processes on the local backend: a
## hosts, b and c join. Everyone sees everyone (clients through the host's relay); RPCs in every transfer mode
## and on several channels arrive as their mode promises, between clients too, with the true sender; a client
## that closes is reported once to the others; the host's disconnect_peer ends a client's connection with
## server_disconnected once. Every signal fires exactly once per event.
## args: --steam-backend=local
## processes: 3
extends SceneTree

const Check = preload("res://lib/check.gd")
const RpcNode = preload("res://lib/rpc_node.gd")
const Group = preload("res://lib/group.gd")
const BASE_ID := 76561197960265728
const COUNT := 200
const TIMEOUT_MS := 120000

var t := Check.new()
var role := ""
var host_steam_id := 0
var peer: SteamMessagesMultiplayerPeer
var rpc_node: Node
var connected: Array[int] = []
var disconnected: Array[int] = []
var connected_to_server := 0
var connection_failed := 0
var server_disconnected := 0


func _initialize() -> void:
	# The local backend, unless the harness runs the suite on the Steam one (over its stand-in).
	var expected_backend := "local"
	for arg in OS.get_cmdline_user_args():
		if arg.begins_with("--role="):
			role = arg.get_slice("=", 1)
		elif arg.begins_with("--host-local-id="):
			host_steam_id = BASE_ID + int(arg.get_slice("=", 1))
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
	mp.connected_to_server.connect(func() -> void: connected_to_server += 1)
	mp.connection_failed.connect(func() -> void: connection_failed += 1)
	mp.server_disconnected.connect(func() -> void: server_disconnected += 1)
	peer = SteamMessagesMultiplayerPeer.new()
	if role == "a":
		t.eq(peer.create_host(8), OK, "a: create_host")
	else:
		t.eq(peer.create_client(host_steam_id), OK, "%s: create_client" % role)
	mp.multiplayer_peer = peer

	await _until(func() -> bool: return mp.get_peers().size() == 2, "everyone connected")
	var others: Array[int] = []
	others.assign(mp.get_peers())
	others.sort()
	var me := mp.get_unique_id()
	t.ok(role == "a" and me == 1 or role != "a" and me > 1, "%s: peer ID %d (the host is 1)" % [role, me])
	if role != "a":
		t.ok(others.has(1), "%s: sees the host" % role)
		t.eq(connected_to_server, 1, "%s: connected_to_server once" % role)
		t.eq(peer.get_steam_id_for_peer_id(1), host_steam_id, "%s: peer 1 is the host's Steam ID" % role)
	for other in others:
		t.eq(peer.get_peer_id_for_steam_id(peer.get_steam_id_for_peer_id(other)), other, "%s: peer %d maps to its Steam ID and back" % [role, other])

	# Every mode, several channels, to everyone at once (client to client through the host).
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
	# Channels are independent (as with ENet and Steam): "done" on channel 5 may overtake the last RPCs on 0
	# and 3, so the count is waited for too; what arrived is then checked whole.
	await _until(func() -> bool: return others.all(func(other: int) -> bool:
		return rpc_node.heard("done", other) \
			and rpc_node.sequences("reliable0", other).size() >= COUNT \
			and rpc_node.sequences("reliable3", other).size() >= COUNT), "done and every reliable RPC from everyone")
	var expected := range(COUNT)
	for other in others:
		t.eq(rpc_node.sequences("reliable0", other), expected, "%s: reliable channel 0 from %d: all, once, in order" % [role, other])
		t.eq(rpc_node.sequences("reliable3", other), expected, "%s: reliable channel 3 from %d: all, once, in order" % [role, other])
		var ordered: Array = rpc_node.sequences("ordered1", other)
		t.ok(Group.increasing(ordered), "%s: unreliable-ordered from %d never older after newer (%d arrived)" % [role, other, ordered.size()])
		var unreliable: Array = rpc_node.sequences("unreliable2", other)
		t.ok(unreliable.size() <= COUNT and Group.unique(unreliable), "%s: unreliable from %d at most once each (%d arrived)" % [role, other, unreliable.size()])

	# Leaving: the host asks c to close once b and c have everything; then it disconnects b.
	var b_id := 0
	var c_id := 0
	if role == "a":
		await _until(func() -> bool: return others.all(func(other: int) -> bool: return rpc_node.heard("ready", other)), "ready from b and c")
		b_id = _peer_of_role(others, "b")
		c_id = _peer_of_role(others, "c")
		rpc_node.rpc_id(c_id, "say", "leave")
		await _until(func() -> bool: return disconnected.has(c_id), "c's departure")
		await _until(func() -> bool: return rpc_node.heard("saw c leave", b_id), "b seeing c leave")
		peer.disconnect_peer(b_id)
		await _until(func() -> bool: return disconnected.has(b_id), "b's departure")
		t.eq(connected.size(), 2, "a: peer_connected once per client")
		t.eq(disconnected.count(c_id), 1, "a: peer_disconnected once for c, who closed")
		t.eq(disconnected.count(b_id), 1, "a: peer_disconnected once for b, who was disconnected")
	else:
		rpc_node.rpc_id(1, "say", "ready")
		if role == "c":
			await _until(func() -> bool: return rpc_node.heard("leave", 1), "the host's word to leave")
			peer.close()
			t.eq(peer.get_connection_status(), MultiplayerPeer.CONNECTION_DISCONNECTED, "c: closed")
			# SceneMultiplayer reports a client's own close as server_disconnected, at its next poll.
			await _until(func() -> bool: return server_disconnected > 0, "server_disconnected after closing")
		else:
			c_id = others[0] if others[0] != 1 else others[1]
			await _until(func() -> bool: return disconnected.has(c_id), "c's departure, through the host")
			rpc_node.rpc_id(1, "say", "saw c leave")
			await _until(func() -> bool: return server_disconnected > 0, "server_disconnected")
			t.eq(disconnected.count(c_id), 1, "b: peer_disconnected once for c")
			t.eq(disconnected.count(1), 1, "b: peer_disconnected once for the host")
			t.eq(peer.get_connection_status(), MultiplayerPeer.CONNECTION_DISCONNECTED, "b: disconnected")
	# Nothing more fires afterwards.
	var seen := [connected.size(), disconnected.size(), server_disconnected, connection_failed]
	for i in 60:
		await process_frame
	t.eq([connected.size(), disconnected.size(), server_disconnected, connection_failed], seen, "%s: no signal fires twice" % role)
	t.eq(connection_failed, 0, "%s: connection_failed never fires" % role)
	t.eq(server_disconnected, 0 if role == "a" else 1, "%s: server_disconnected once on each client, never on the host" % role)
	get_multiplayer().multiplayer_peer = null
	SteamNetworkingMessages.steamShutdown()
	t.finish(self)


## The peer ID of role "b" or "c" as the host sees them: the host asked each for nothing but knows them only
## by ID, so the roles' local IDs (b is the host's + 1) decide through their Steam IDs.
func _peer_of_role(others: Array[int], wanted: String) -> int:
	var offset := 1 if wanted == "b" else 2
	for other in others:
		if peer.get_steam_id_for_peer_id(other) == host_steam_id + offset:
			return other
	return 0


func _until(condition: Callable, what: String) -> void:
	var deadline := Time.get_ticks_msec() + TIMEOUT_MS
	while not condition.call():
		if Time.get_ticks_msec() > deadline:
			t.ok(false, "%s: timed out waiting for %s" % [role, what])
			return
		await process_frame
