## The host stops Steam (steamShutdown) without closing its SteamMessagesMultiplayerPeer, so its goodbye never
## goes out; its Steam closes the session instead, which Steam reports to b with no callback, only as
## RESULT_NO_CONNECTION on b's next send. b, sending RPCs every frame (several per frame, as synchronizers do),
## gets server_disconnected once, well before the 10 s keep-alive timeout could have said it (5 s allowed on a
## busy machine; the time is printed), and none of its put_packet calls in that frame fails with an error:
## the peer changes its connection status in its poll, as Godot's other peers do.
## args: --steam-backend=local
## processes: 2
## allow-exit: a
extends SceneTree

const Check = preload("res://lib/check.gd")
const ErrorLog = preload("res://lib/error_log.gd")
const Group = preload("res://lib/group.gd")
const RpcNode = preload("res://lib/rpc_node.gd")
## Far below the peer timeout (10 s), far above the few frames it takes.
const NOTICE_LIMIT_MS := 5000
const RPCS_PER_FRAME := 5

var t := Check.new()
var g: Group
var rpc_node: Node


func _initialize() -> void:
	g = Group.new(self, t)
	rpc_node = RpcNode.new()
	rpc_node.name = "Rpc"
	root.add_child(rpc_node)
	var mp := get_multiplayer()
	var peer := SteamMessagesMultiplayerPeer.new()
	if g.role == "a":
		t.eq(peer.create_host(4), OK, "a: create_host")
	else:
		t.eq(peer.create_client(g.host_steam_id), OK, "b: create_client")
	mp.multiplayer_peer = peer
	await g.wait_for(func() -> bool: return mp.get_peers().size() == 1, "connected")
	if g.role == "a":
		await g.wait_for(func() -> bool: return rpc_node.heard("ready", mp.get_peers()[0]), "b ready")
		# Stop Steam under the peer: no BYE, the session just closes.
		SteamNetworkingMessages.steamShutdown()
		print("a: stopped Steam at %d ms" % Time.get_ticks_msec())
		print("%d passed, %d failed" % [t.passed, t.failed])
		# Stays up past b's deadline without answering anything, then leaves.
		await g.frames(1)
		var until := Time.get_ticks_msec() + NOTICE_LIMIT_MS + 5000
		while Time.get_ticks_msec() < until:
			await process_frame
		OS.kill(OS.get_process_id())
	else:
		var log := ErrorLog.new()
		OS.add_logger(log)
		rpc_node.rpc_id(1, "say", "ready")
		var sequence := [0]
		var started := Time.get_ticks_msec()
		var noticed: bool = await g.wait_for(func() -> bool:
			if mp.multiplayer_peer.get_connection_status() == MultiplayerPeer.CONNECTION_CONNECTED:
				for i in RPCS_PER_FRAME:
					sequence[0] += 1
					rpc_node.rpc_id(1, "unreliable_on_2", sequence[0], PackedByteArray())
			return g.server_disconnected > 0, "server_disconnected", 60.0)
		var took := Time.get_ticks_msec() - started
		OS.remove_logger(log)
		print("b: server_disconnected %d ms after b said ready (%d RPCs sent)" % [took, sequence[0]])
		t.ok(noticed and took < NOTICE_LIMIT_MS, "b: the host's stop is noticed from the closed session, in %d ms (not the 10 s timeout)" % took)
		await g.frames(10)
		t.eq(g.server_disconnected, 1, "b: server_disconnected once")
		t.eq(g.connection_failed, 0, "b: no connection_failed")
		t.eq(mp.multiplayer_peer.get_connection_status(), MultiplayerPeer.CONNECTION_DISCONNECTED, "b: disconnected")
		t.eq(log.errors, [], "b: no error while the host went away (an RPC of a frame never meets a peer that stopped being connected mid-frame)")
		t.finish(self)
