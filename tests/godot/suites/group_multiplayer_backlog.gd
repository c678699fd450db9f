## A burst of reliable RPCs larger than Steam's send window, over SteamMessagesMultiplayerPeer on the local
## backend: a hosts, b joins and sends 40,000 reliable RPCs with a 100 B argument in one frame (with Steam's
## per-message accounting, about three times the 4 MiB the backend lets a peer leave unread). The backend
## refuses what does not fit (k_EResultLimitExceeded); the peer keeps those packets and sends them as the
## host reads: every RPC arrives once, in order, intact. Then b sends its last words and closes in the same
## frame: the host runs that RPC before it reports b's departure.
## args: --steam-backend=local
## processes: 2
extends SceneTree

const Check = preload("res://lib/check.gd")
const Group = preload("res://lib/group.gd")
const BulkNode = preload("res://lib/bulk_node.gd")
const COUNT := 40000

var t := Check.new()
var g: Group
var bulk: Node
var peer: SteamMessagesMultiplayerPeer
## Whether b's last words had run when its peer_disconnected fired (host).
var last_words_before_departure := false


func _initialize() -> void:
	g = Group.new(self, t)
	bulk = BulkNode.new()
	bulk.name = "Bulk"
	root.add_child(bulk)
	var mp := get_multiplayer()
	peer = SteamMessagesMultiplayerPeer.new()
	if g.role == "a":
		t.eq(peer.create_host(4), OK, "a: create_host")
		mp.peer_disconnected.connect(func(_id: int) -> void: last_words_before_departure = not bulk.last_words_from.is_empty())
	else:
		t.eq(peer.create_client(g.host_steam_id), OK, "b: create_client")
	mp.multiplayer_peer = peer
	await g.wait_for(func() -> bool: return mp.get_peers().size() == 1, "the other connected")
	if g.role == "b":
		await _send_burst()
	else:
		await _receive_burst()
	t.finish(self)


func _send_burst() -> void:
	var refused := 0
	var started := Time.get_ticks_msec()
	for i in COUNT:
		if bulk.rpc_id(1, "take", i, BulkNode.pattern(i)) != OK:
			refused += 1
	print("b: the burst took %d ms" % (Time.get_ticks_msec() - started))
	t.eq(refused, 0, "b: every RPC of the burst is accepted")
	await g.wait_for(func() -> bool: return bulk.words.has("all here"), "the host to have the whole burst")
	bulk.rpc_id(1, "last_words")
	peer.close()
	# The BYE goes out with the close; let a few frames pass before quitting.
	await g.frames(10)


func _receive_burst() -> void:
	await g.wait_for(func() -> bool: return bulk.sequences.size() >= COUNT, "the whole burst")
	var in_order: bool = bulk.sequences.size() == COUNT
	if in_order:
		for i in COUNT:
			if bulk.sequences[i] != i:
				in_order = false
				break
	t.ok(in_order, "a: all %d RPCs arrived once and in order (got %d)" % [COUNT, bulk.sequences.size()])
	t.eq(bulk.corrupted, 0, "a: every payload intact")
	var peers := get_multiplayer().get_peers()
	if peers.is_empty():
		t.ok(false, "a: b still connected after the burst")
		return
	bulk.rpc_id(peers[0], "say", "all here")
	await g.wait_for(func() -> bool: return g.disconnected.size() == 1, "b's departure")
	t.ok(last_words_before_departure, "a: b's last words ran before peer_disconnected")
	t.eq(bulk.last_words_from.size(), 1, "a: b's last words arrived once")
	await g.frames(5)
	t.eq(g.count_since(0, "peer_disconnected", g.disconnected[0]), 1, "a: peer_disconnected once")
