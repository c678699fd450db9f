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
const Group = preload("res://lib/group.gd")
const RpcNode = preload("res://lib/rpc_node.gd")
const COUNT := 200
## Each role's mesh peer ID.
const IDS := {"a": 1, "b": 20, "c": 300}

var t := Check.new()
var g: Group
var role := ""
var peer: SteamMessagesMultiplayerPeer
var rpc_node: Node
var mesh_failures: Array = []


func _initialize() -> void:
	g = Group.new(self, t)
	role = g.role
	rpc_node = RpcNode.new()
	rpc_node.name = "Rpc"
	root.add_child(rpc_node)
	var mp := get_multiplayer()
	peer = SteamMessagesMultiplayerPeer.new()
	peer.mesh_peer_failed.connect(func(id: int, steam_id: int, reason: String) -> void:
		mesh_failures.append([id, steam_id, reason]))
	var me: int = IDS[role]
	t.eq(peer.create_mesh(me), OK, "%s: create_mesh(%d)" % [role, me])
	for other: String in IDS:
		if other != role:
			t.eq(peer.add_mesh_peer(g.steam_id_of(other), IDS[other]), OK, "%s: add_mesh_peer(%s)" % [role, other])
	mp.multiplayer_peer = peer
	t.eq(mp.get_unique_id(), me, "%s: the multiplayer API sees the chosen ID" % role)

	await g.wait_for(func() -> bool: return mp.get_peers().size() == 2, "both others connected")
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
			t.eq(peer.get_steam_id_for_peer_id(IDS[other]), g.steam_id_of(other), "%s: %s's peer ID maps to its Steam ID" % [role, other])
			t.eq(peer.get_peer_id_for_steam_id(g.steam_id_of(other)), IDS[other], "%s: and back" % role)

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
	await g.wait_for(func() -> bool: return others.all(func(other: int) -> bool:
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

	# Leaving: once everyone has everything, c closes; then a disconnects b.
	rpc_node.rpc("say", "ready")
	await g.wait_for(func() -> bool: return others.all(func(other: int) -> bool: return rpc_node.heard("ready", other)), "ready from both others")
	match role:
		"c":
			peer.close()
			t.eq(peer.get_connection_status(), MultiplayerPeer.CONNECTION_DISCONNECTED, "c: closed")
		"a":
			await g.wait_for(func() -> bool: return g.disconnected.has(IDS["c"]), "c's departure")
			peer.disconnect_peer(IDS["b"])
			await g.wait_for(func() -> bool: return g.disconnected.has(IDS["b"]), "b's departure")
			t.eq(g.disconnected.count(IDS["c"]), 1, "a: peer_disconnected once for c, who closed")
			t.eq(g.disconnected.count(IDS["b"]), 1, "a: peer_disconnected once for b, whom it disconnected")
		"b":
			await g.wait_for(func() -> bool: return g.disconnected.has(IDS["c"]) and g.disconnected.has(IDS["a"]), "c's departure and a's")
			t.eq(g.disconnected.count(IDS["c"]), 1, "b: peer_disconnected once for c, who closed")
			t.eq(g.disconnected.count(IDS["a"]), 1, "b: peer_disconnected once for a, who disconnected it")
			t.eq(peer.get_connection_status(), MultiplayerPeer.CONNECTION_CONNECTED, "b: still in its mesh, alone")
	var seen := [g.connected.size(), g.disconnected.size()]
	for i in 60:
		await process_frame
	t.eq([g.connected.size(), g.disconnected.size()], seen, "%s: no signal fires twice" % role)
	t.eq(g.connected.size(), 2, "%s: peer_connected once per other peer" % role)
	t.eq(g.connection_failed, 0, "%s: connection_failed never fires in a mesh" % role)
	# Godot's SceneMultiplayer reports a peer's own close as server_disconnected (with ENet's mesh too).
	t.eq(g.server_disconnected, 1 if role == "c" else 0, "%s: server_disconnected only for c's own close" % role)
	t.eq(mesh_failures, [], "%s: mesh_peer_failed never fires" % role)
	get_multiplayer().multiplayer_peer = null
	SteamNetworkingMessages.steamShutdown()
	t.finish(self)
