## Departures and refusals over SteamMessagesMultiplayerPeer, three processes on the local backend: a hosts, b
## and c join. c kills itself (no goodbye): the host and b each report peer_disconnected for it exactly once,
## within the 10 s peer timeout (up to 40 s allowed on a busy machine; the times are printed). Then the host
## refuses new connections: b, closing and joining again with a new peer object, gets connection_failed at once
## (the host's REFUSE, well before the 10 s handshake timeout); once the host accepts again, b joins with a new
## peer ID. Finally the host kills itself: b gets peer_disconnected for it and server_disconnected, once each,
## within the bound. A client's refused attempt, its departures and the host's never fire anything twice.
## args: --steam-backend=local
## processes: 3
## allow-exit: a c
extends SceneTree

const Check = preload("res://lib/check.gd")
const Group = preload("res://lib/group.gd")
const RpcNode = preload("res://lib/rpc_node.gd")
## The documented bound on noticing a vanished peer (ProtocolConfig::peer_timeout, Steam's own)...
const PEER_TIMEOUT_MS := 10000
## ... and what a busy machine may stretch it to.
const DETECTION_LIMIT_MS := 40000
## A refusal comes back in one round trip; far below the 10 s handshake timeout even on a busy machine.
const REFUSAL_LIMIT_MS := 5000
## Steam channel of the suite's own messages while b is not connected: below the peer's channels (16 up).
const SIDE_CHANNEL := 0

var t := Check.new()
var g: Group
var role := ""
var peer: SteamMessagesMultiplayerPeer
var rpc_node: Node
## Side-channel texts received, with the sender's Steam ID: "text/steam id".
var side_words: Array[String] = []


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
	await g.wait_for(func() -> bool: return mp.get_peers().size() == 2, "everyone connected")
	var ids := {}
	for which in ["a", "b", "c"]:
		ids[which] = peer.get_peer_id_for_steam_id(g.steam_id_of(which))
	t.ok(ids["a"] == 1 and ids["b"] > 1 and ids["c"] > 1 and ids["b"] != ids["c"], "%s: peer IDs a %d, b %d, c %d" % [role, ids["a"], ids["b"], ids["c"]])
	if role == "a":
		await run_host(ids)
	elif role == "b":
		await run_b(ids)
	else:
		await run_c(ids)


func run_host(ids: Dictionary) -> void:
	var mp := get_multiplayer()
	var b_id: int = ids["b"]
	var c_id: int = ids["c"]
	await _wait_word_from([b_id, c_id], "ready")

	# c dies once everyone knows everyone.
	rpc_node.rpc_id(c_id, "say", "die")
	await g.wait_for(func() -> bool: return rpc_node.heard("dying", c_id), "c's last word")
	var last_word := Time.get_ticks_msec()
	rpc_node.rpc_id(c_id, "say", "heard dying")
	await g.wait_for(func() -> bool: return g.disconnected.has(c_id), "c's departure", 60.0)
	var detected := g.time_of("peer_disconnected", c_id)
	_check_detection("a: c's death noticed", last_word, detected)
	t.eq(mp.get_peers(), PackedInt32Array([b_id]), "a: b is the only peer left")
	t.eq(peer.get_peer_id_for_steam_id(g.steam_id_of("c")), 0, "a: c's Steam ID maps to no peer any more")
	await g.wait_for(func() -> bool: return rpc_node.heard("saw c leave", b_id), "b seeing c leave")

	# Refusing: b leaves and tries again with a new peer object.
	peer.refuse_new_connections = true
	t.ok(peer.refuse_new_connections, "a: refusing new connections")
	var before_refusal: int = g.events.size()
	rpc_node.rpc_id(b_id, "say", "rejoin")
	await g.wait_for(func() -> bool: return g.disconnected.has(b_id), "b leaving")
	await _wait_side_word("refused", g.steam_id_of("b"))
	t.eq(g.count_any_since(before_refusal, "peer_connected"), 0, "a: no peer_connected for the refused attempt")
	t.eq(g.connected.size(), 2, "a: peer_connected only for b and c so far")
	t.eq(mp.get_peers(), PackedInt32Array(), "a: no peers while refusing")
	peer.refuse_new_connections = false
	t.ok(not peer.refuse_new_connections, "a: accepting again")
	_side_send(g.steam_id_of("b"), "open")
	await g.wait_for(func() -> bool: return g.connected.size() == 3, "b joining again")
	var new_b: int = g.connected[2]
	t.eq(peer.get_steam_id_for_peer_id(new_b), g.steam_id_of("b"), "a: the new peer is b")
	t.ok(new_b != b_id and new_b > 1, "a: b's new peer ID %d is not its old %d" % [new_b, b_id])
	await _wait_word_from([new_b], "rejoined")

	var first_two := g.connected.slice(0, 2)
	first_two.sort()
	var b_and_c: Array[int] = [b_id, c_id]
	b_and_c.sort()
	t.eq(first_two, b_and_c, "a: peer_connected once for b and once for c (in either order)")
	t.eq(g.connected[2], new_b, "a: then once for b's new connection")
	t.eq(g.disconnected.count(c_id), 1, "a: peer_disconnected once for c")
	t.eq(g.disconnected.count(b_id), 1, "a: peer_disconnected once for b's first connection")
	t.eq(g.disconnected.size(), 2, "a: no other peer_disconnected")
	t.eq(g.connection_failed + g.server_disconnected + g.connected_to_server, 0, "a: no client signal on the host")

	# The host dies once b is ready for it.
	rpc_node.rpc_id(new_b, "say", "host dying")
	await g.wait_for(func() -> bool: return rpc_node.heard("heard host dying", new_b), "b's answer")
	print("%d passed, %d failed" % [t.passed, t.failed])
	# Die without any shutdown: no goodbye reaches b.
	OS.kill(OS.get_process_id())


func run_b(ids: Dictionary) -> void:
	var mp := get_multiplayer()
	var c_id: int = ids["c"]
	var old_id := mp.get_unique_id()
	rpc_node.rpc_id(1, "say", "ready")

	await g.wait_for(func() -> bool: return rpc_node.heard("dying", c_id), "c's last word")
	var last_word := Time.get_ticks_msec()
	rpc_node.rpc_id(c_id, "say", "heard dying")
	await g.wait_for(func() -> bool: return g.disconnected.has(c_id), "c's departure", 60.0)
	_check_detection("b: c's death noticed (told by the host)", last_word, g.time_of("peer_disconnected", c_id))
	t.eq(mp.get_peers(), PackedInt32Array([1]), "b: the host is the only peer left")
	rpc_node.rpc_id(1, "say", "saw c leave")

	# Leaving, then joining a host that refuses, with a new peer object.
	await g.wait_for(func() -> bool: return rpc_node.heard("rejoin", 1), "the host's word to rejoin")
	peer.close()
	await g.wait_for(func() -> bool: return g.server_disconnected == 1, "server_disconnected after closing")
	var refused := SteamMessagesMultiplayerPeer.new()
	var asked := Time.get_ticks_msec()
	t.eq(refused.create_client(g.host_steam_id), OK, "b: create_client with a new object")
	mp.multiplayer_peer = refused
	await g.wait_for(func() -> bool: return g.connection_failed > 0, "connection_failed from the refusing host", 30.0)
	var took := g.time_of("connection_failed") - asked
	print("b: refused after %d ms" % took)
	t.ok(g.connection_failed == 1 and took >= 0 and took < REFUSAL_LIMIT_MS, "b: refused in %d ms, well before the 10 s handshake timeout (limit %d ms)" % [took, REFUSAL_LIMIT_MS])
	t.eq(refused.get_connection_status(), MultiplayerPeer.CONNECTION_DISCONNECTED, "b: the refused peer is disconnected")
	t.eq(g.connected_to_server, 1, "b: no connected_to_server for the refused attempt")
	_side_send(g.host_steam_id, "refused")

	# Joining again once the host accepts.
	await _wait_side_word("open", g.host_steam_id)
	var again := SteamMessagesMultiplayerPeer.new()
	t.eq(again.create_client(g.host_steam_id), OK, "b: create_client again")
	mp.multiplayer_peer = again
	peer = again
	await g.wait_for(func() -> bool: return g.connected_to_server == 2, "connected_to_server again")
	var new_id := mp.get_unique_id()
	t.ok(new_id > 1 and new_id != old_id, "b: a new peer ID %d (was %d)" % [new_id, old_id])
	t.eq(mp.get_peers(), PackedInt32Array([1]), "b: the host is its only peer (c is gone)")
	rpc_node.rpc_id(1, "say", "rejoined")

	# The host's death.
	await g.wait_for(func() -> bool: return rpc_node.heard("host dying", 1), "the host's last word")
	var before_death: int = g.events.size()
	var host_last_word := Time.get_ticks_msec()
	rpc_node.rpc_id(1, "say", "heard host dying")
	await g.wait_for(func() -> bool: return g.server_disconnected == 2, "server_disconnected after the host died", 60.0)
	_check_detection("b: the host's death noticed", host_last_word, g.time_of("server_disconnected", 0, 1))
	t.eq(peer.get_connection_status(), MultiplayerPeer.CONNECTION_DISCONNECTED, "b: disconnected")
	# Anything more would fire by now; a long look makes "once" mean something.
	await _quiet_for(120)
	t.eq(g.count_since(before_death, "server_disconnected"), 1, "b: server_disconnected once for the host's death")
	t.eq(g.count_since(before_death, "peer_disconnected", 1), 1, "b: peer_disconnected once for the host")
	t.eq(g.count_since(before_death, "connection_failed"), 0, "b: no connection_failed for the host's death")
	t.eq(g.disconnected.count(c_id), 1, "b: peer_disconnected once for c over the whole run")
	t.eq(g.connection_failed, 1, "b: connection_failed once over the whole run (the refusal)")
	t.eq(g.connected_to_server, 2, "b: connected_to_server twice over the whole run")
	mp.multiplayer_peer = null
	SteamNetworkingMessages.steamShutdown()
	t.finish(self)


func run_c(ids: Dictionary) -> void:
	var b_id: int = ids["b"]
	rpc_node.rpc_id(1, "say", "ready")
	await g.wait_for(func() -> bool: return rpc_node.heard("die", 1), "the host's word to die")
	rpc_node.rpc("say", "dying")
	await g.wait_for(func() -> bool: return rpc_node.heard("heard dying", 1) and rpc_node.heard("heard dying", b_id), "the others hearing it")
	t.eq(g.disconnected, [] as Array[int], "c: nobody left before it died")
	print("%d passed, %d failed" % [t.passed, t.failed])
	# Die without any shutdown: no goodbye reaches anyone.
	OS.kill(OS.get_process_id())


## Checks a detection came, within the (busy machine's) limit, and says how long it took against the
## documented 10 s.
func _check_detection(what: String, since: int, at: int) -> void:
	var took := at - since
	print("%s: detected after %d ms (peer timeout %d ms)" % [what, took, PEER_TIMEOUT_MS])
	t.ok(at >= 0 and took <= DETECTION_LIMIT_MS, "%s after %d ms (documented %d ms, limit %d ms)" % [what, took, PEER_TIMEOUT_MS, DETECTION_LIMIT_MS])


func _wait_word_from(from: Array, word: String) -> void:
	await g.wait_for(func() -> bool: return from.all(func(id: int) -> bool: return rpc_node.heard(word, id)), "'%s' from %s" % [word, str(from)])


func _side_send(to_steam_id: int, text: String) -> void:
	var result: int = SteamNetworkingMessages.sendMessageToUser(to_steam_id, text.to_utf8_buffer(), 8, SIDE_CHANNEL)
	t.eq(result, 1, "%s: side message '%s' sent" % [role, text])


func _wait_side_word(text: String, from_steam_id: int) -> void:
	var key := "%s/%d" % [text, from_steam_id]
	await g.wait_for(func() -> bool:
		for message in SteamNetworkingMessages.receiveMessagesOnChannel(SIDE_CHANNEL, 16):
			side_words.append("%s/%d" % [message["payload"].get_string_from_utf8(), message["identity"]])
		return side_words.has(key), "side message '%s'" % text)


## Lets `count` frames pass, in which nothing is expected to happen.
func _quiet_for(count: int) -> void:
	await g.frames(count)
