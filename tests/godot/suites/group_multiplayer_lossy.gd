## Godot's high-level multiplayer over SteamMessagesMultiplayerPeer on a bad link: three processes on the local
## backend with its simulated 20% loss, 30 ms lag and 10 ms jitter on every side (client to client traffic
## crosses two such links through the host's relay). a hosts, b and c join. Each sends 300 reliable RPCs on
## each of two channels to everyone, and unreliable-ordered ones on a third: the reliable ones arrive exactly
## once and in order from every sender, the unreliable-ordered ones never go backwards. Then everyone idles for
## longer than the 10 s peer timeout: the keep-alives keep every connection, and no peer_disconnected,
## server_disconnected or connection_failed fires until the orderly end.
## args: --steam-backend=local --steam-fake-loss=20 --steam-fake-lag=30 --steam-fake-jitter=10
## processes: 3
extends SceneTree

const Check = preload("res://lib/check.gd")
const Group = preload("res://lib/group.gd")
const RpcNode = preload("res://lib/rpc_node.gd")
const COUNT := 300
## The peer timeout (10 s) and a margin: idle this long, a peer without keep-alives would be dropped.
const IDLE_MS := 12000

var t := Check.new()
var g: Group
var role := ""
var peer: SteamMessagesMultiplayerPeer
var rpc_node: Node


func _initialize() -> void:
	g = Group.new(self, t)
	role = g.role
	rpc_node = RpcNode.new()
	rpc_node.name = "Rpc"
	root.add_child(rpc_node)
	var mp := get_multiplayer()
	peer = SteamMessagesMultiplayerPeer.new()
	if role == "a":
		t.eq(peer.create_host(8), OK, "a: create_host")
	else:
		t.eq(peer.create_client(g.host_steam_id), OK, "%s: create_client" % role)
	mp.multiplayer_peer = peer
	var joining := Time.get_ticks_msec()
	await g.wait_for(func() -> bool: return mp.get_peers().size() == 2, "everyone connected")
	print("%s: everyone connected after %d ms" % [role, Time.get_ticks_msec() - joining])
	var others: Array[int] = []
	others.assign(mp.get_peers())
	others.sort()
	if role != "a":
		t.eq(g.connected_to_server, 1, "%s: connected_to_server once over the lossy link" % role)

	# Everyone knows everyone is connected before sending: a client still waiting for its WELCOME (lost
	# and resent) would otherwise hold, and may drop, unreliable packets that came before it.
	rpc_node.rpc("say", "connected")
	await _wait_word(others, "connected")

	# Traffic: every process to everyone, client to client through the host.
	var sending := Time.get_ticks_msec()
	for i in COUNT:
		rpc_node.rpc("reliable_on_0", i)
		rpc_node.rpc("reliable_on_3", i)
		rpc_node.rpc("ordered_on_1", i)
		if i % 20 == 19:
			await process_frame
	rpc_node.rpc("say", "done")
	await _wait_word(others, "done")
	# Channels are independent: "done" on channel 5 may overtake the last RPCs on 0 and 3 (see
	# group_multiplayer_rpc); what arrived is then checked whole.
	await g.wait_for(func() -> bool: return others.all(func(other: int) -> bool:
		return rpc_node.sequences("reliable0", other).size() >= COUNT \
			and rpc_node.sequences("reliable3", other).size() >= COUNT), "every reliable RPC from everyone")
	print("%s: all traffic in after %d ms" % [role, Time.get_ticks_msec() - sending])
	var expected := range(COUNT)
	for other in others:
		t.eq(rpc_node.sequences("reliable0", other), expected, "%s: reliable channel 0 from %d: all, once, in order" % [role, other])
		t.eq(rpc_node.sequences("reliable3", other), expected, "%s: reliable channel 3 from %d: all, once, in order" % [role, other])
		var ordered: Array = rpc_node.sequences("ordered1", other)
		t.ok(Group.increasing(ordered), "%s: unreliable-ordered from %d never older after newer (%d of %d arrived)" % [role, other, ordered.size(), COUNT])
		t.ok(ordered.size() > 0 and ordered.size() < COUNT, "%s: unreliable-ordered from %d: some arrived, some were lost (the link really is lossy): %d of %d" % [role, other, ordered.size(), COUNT])

	# Idle: nothing but the peer's own keep-alives for longer than the peer timeout, everyone at once (each
	# starts when it knows everyone has checked the traffic).
	rpc_node.rpc("say", "idle")
	await _wait_word(others, "idle")
	var idle_from := Time.get_ticks_msec()
	var before_idle: int = g.events.size()
	while Time.get_ticks_msec() - idle_from < IDLE_MS:
		await process_frame
	t.eq(g.events.size(), before_idle, "%s: no signal while idle for %d ms" % [role, IDLE_MS])
	t.eq(mp.get_peers().size(), 2, "%s: still connected to both others after idling" % role)
	rpc_node.rpc("say", "awake")
	await _wait_word(others, "awake")
	t.eq(g.disconnected, [] as Array[int], "%s: no peer_disconnected before the end" % role)
	t.eq([g.server_disconnected, g.connection_failed], [0, 0], "%s: no server_disconnected or connection_failed before the end" % role)
	t.eq(peer.get_connection_status(), MultiplayerPeer.CONNECTION_CONNECTED, "%s: connected" % role)

	# The end: once both clients have checked, the host asks them to close.
	if role == "a":
		await _wait_word(others, "checked")
		rpc_node.rpc("say", "bye")
		await g.wait_for(func() -> bool: return others.all(func(id: int) -> bool: return g.disconnected.has(id)), "b and c leaving")
		t.eq(g.connected.size(), 2, "a: peer_connected once per client")
		for other in others:
			t.eq(g.disconnected.count(other), 1, "a: peer_disconnected once for %d" % other)
	else:
		rpc_node.rpc_id(1, "say", "checked")
		await g.wait_for(func() -> bool: return rpc_node.heard("bye", 1), "the host's bye")
		# Leaving gracefully: the peer ends the connection once the host acknowledged the BYE, so the host
		# hears it even when the link drops it a few times.
		var leaving: int = g.events.size()
		peer.disconnect_peer(1)
		await g.wait_for(func() -> bool: return g.server_disconnected > 0, "server_disconnected after leaving")
		t.eq(g.count_since(leaving, "server_disconnected"), 1, "%s: server_disconnected once after leaving" % role)
		t.eq(g.count_since(leaving, "peer_disconnected", 1), 1, "%s: peer_disconnected once for the host after leaving" % role)
	get_multiplayer().multiplayer_peer = null
	SteamNetworkingMessages.steamShutdown()
	t.finish(self)


func _wait_word(from: Array[int], word: String) -> void:
	await g.wait_for(func() -> bool: return from.all(func(id: int) -> bool: return rpc_node.heard(word, id)), "'%s' from %s" % [word, str(from)])
