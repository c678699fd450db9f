## MultiplayerSpawner and MultiplayerSynchronizer over SteamMessagesMultiplayerPeer, three processes on the
## local backend: a hosts, b and c join. The host spawns, through a spawner's spawn_function, one node per peer
## (its own and each client's), each with a synchronizer replicating `position` (always, unreliable) and
## `score` (on change, reliable), owned by that peer. Every process gets every node (a client also the other
## client's), each owner moves its own node and every other process sees the final values (client to client
## through the host's relay), never an older score after a newer one; nodes the host frees are despawned
## everywhere.
## args: --steam-backend=local
## processes: 3
extends SceneTree

const Check = preload("res://lib/check.gd")
const Group = preload("res://lib/group.gd")
const RpcNode = preload("res://lib/rpc_node.gd")
const SyncPlayer = preload("res://lib/sync_player.gd")
const STEPS := 50
const FINAL_POSITION := Vector2(STEPS, 2 * STEPS)

var t := Check.new()
var g: Group
var role := ""
var peer: SteamMessagesMultiplayerPeer
var rpc_node: Node
var world: Node
var spawner: MultiplayerSpawner
## Names of the nodes the spawner's signals reported, in order.
var spawned: Array[String] = []
var despawned: Array[String] = []


func _initialize() -> void:
	g = Group.new(self, t)
	role = g.role
	rpc_node = RpcNode.new()
	rpc_node.name = "Rpc"
	root.add_child(rpc_node)
	# The same tree in every process: /root/World holds the players and the spawner that spawns them there.
	world = Node.new()
	world.name = "World"
	root.add_child(world)
	spawner = MultiplayerSpawner.new()
	spawner.name = "Spawner"
	spawner.spawn_path = NodePath("..")
	spawner.spawn_function = _spawn_player
	spawner.spawned.connect(func(node: Node) -> void: spawned.append(String(node.name)))
	spawner.despawned.connect(func(node: Node) -> void: despawned.append(String(node.name)))
	world.add_child(spawner)

	var mp := get_multiplayer()
	peer = SteamMessagesMultiplayerPeer.new()
	if role == "a":
		t.eq(peer.create_host(8), OK, "a: create_host")
	else:
		t.eq(peer.create_client(g.host_steam_id), OK, "%s: create_client" % role)
	mp.multiplayer_peer = peer
	await g.wait_for(func() -> bool: return mp.get_peers().size() == 2, "everyone connected")
	var me := mp.get_unique_id()
	var ids := {}
	for which in ["a", "b", "c"]:
		ids[which] = peer.get_peer_id_for_steam_id(g.steam_id_of(which))
	t.eq(ids["a"], 1, "%s: the host is peer 1" % role)
	t.eq(ids[role], me, "%s: its own peer ID by its Steam ID" % role)
	t.ok(ids["b"] > 1 and ids["c"] > 1 and ids["b"] != ids["c"], "%s: b and c have their own peer IDs (%d, %d)" % [role, ids["b"], ids["c"]])
	var all_ids: Array[int] = [ids["a"], ids["b"], ids["c"]]
	var others: Array = all_ids.filter(func(id: int) -> bool: return id != me)

	# Spawning: the host spawns one node per peer; every process ends up with all three.
	if role == "a":
		for id in all_ids:
			var node: Node = spawner.spawn(id)
			t.ok(node != null and node.get_parent() == world, "a: spawned the node of peer %d" % id)
	await g.wait_for(func() -> bool: return all_ids.all(func(id: int) -> bool: return _player(id) != null), "all three nodes")
	for id in all_ids:
		var node = _player(id)
		if node == null:
			continue
		t.eq(node.get_multiplayer_authority(), id, "%s: node %s is owned by peer %d" % [role, node.name, id])
		t.eq(node.get_node("Sync").get_multiplayer_authority(), id, "%s: the synchronizer of %s is owned by peer %d" % [role, node.name, id])
	if role == "a":
		t.eq(spawned, [], "a: the spawner's spawned signal is for remote spawns only")
	else:
		var expected_names: Array[String] = []
		for id in all_ids:
			expected_names.append(_name_of(id))
		var got := spawned.duplicate()
		got.sort()
		expected_names.sort()
		t.eq(got, expected_names, "%s: spawned once for each node, the other client's included" % role)
	t.eq(world.get_child_count(), 4, "%s: the world holds the spawner and three nodes" % role)

	# Syncing: each owner moves its own node, one step a frame, then leaves it at the final values.
	var mine = _player(me)
	for step in range(1, STEPS + 1):
		mine.score = step
		mine.position = Vector2(step, 2 * step)
		await process_frame
	await g.wait_for(func() -> bool: return others.all(func(id: int) -> bool: return _has_final(id)), "the final values of every other node")
	for id in others:
		var node = _player(id)
		if node == null:
			continue
		t.eq(node.score, STEPS, "%s: the score of %s reached its final value" % [role, node.name])
		t.eq(node.position, FINAL_POSITION, "%s: the position of %s reached its final value" % [role, node.name])
		t.ok(_non_decreasing(node.score_history), "%s: the score of %s never went back (%d updates: %s)" % [role, node.name, node.score_history.size(), str(node.score_history)])
	t.eq(mine.score, STEPS, "%s: no update overwrote its own node" % role)
	# Each owner's last values must have gone out before it stops syncing: everyone says when it has seen
	# all final values, and nobody goes quiet before hearing that from both others.
	rpc_node.rpc("say", "synced")
	await _wait_word_from(others, "synced")

	# Despawning: the clients stop syncing (so nothing of theirs arrives for a node already gone), then the host
	# frees c's node, then the other two.
	if role == "a":
		await _wait_word_from([ids["b"], ids["c"]], "quiet")
		_player(ids["c"]).queue_free()
		await g.wait_for(func() -> bool: return _player(ids["c"]) == null, "c's node freed")
		await _wait_word_from([ids["b"], ids["c"]], "c's node gone")
		_player(ids["b"]).queue_free()
		_player(1).queue_free()
		await _wait_word_from([ids["b"], ids["c"]], "all gone")
		t.eq(world.get_child_count(), 1, "a: only the spawner is left")
		rpc_node.rpc("say", "bye")
		await g.wait_for(func() -> bool: return g.disconnected.has(ids["b"]) and g.disconnected.has(ids["c"]), "b and c leaving")
		t.eq(g.connected.size(), 2, "a: peer_connected once per client")
		t.eq(g.disconnected.size(), 2, "a: peer_disconnected once per client")
	else:
		mine.get_node("Sync").public_visibility = false
		rpc_node.rpc_id(1, "say", "quiet")
		await g.wait_for(func() -> bool: return _player(ids["c"]) == null, "c's node despawned")
		var c_only: Array[String] = [_name_of(ids["c"])]
		t.eq(despawned, c_only, "%s: despawned fired for c's node alone" % role)
		t.ok(_player(ids["b"]) != null and _player(1) != null, "%s: the other nodes are still there" % role)
		rpc_node.rpc_id(1, "say", "c's node gone")
		await g.wait_for(func() -> bool: return _player(ids["b"]) == null and _player(1) == null, "the other nodes despawned")
		var got := despawned.duplicate()
		got.sort()
		var expected_names: Array[String] = [_name_of(1), _name_of(ids["b"]), _name_of(ids["c"])]
		expected_names.sort()
		t.eq(got, expected_names, "%s: despawned once for each node" % role)
		await g.wait_for(func() -> bool: return world.get_child_count() == 1, "the world empty but for the spawner")
		rpc_node.rpc_id(1, "say", "all gone")
		await g.wait_for(func() -> bool: return rpc_node.heard("bye", 1), "the host's bye")
		peer.close()
		await g.wait_for(func() -> bool: return g.server_disconnected > 0, "server_disconnected after closing")
		t.eq(g.connected_to_server, 1, "%s: connected_to_server once" % role)
	t.eq(g.connection_failed, 0, "%s: connection_failed never fires" % role)
	t.eq(spawned.size(), 0 if role == "a" else 3, "%s: no spawn twice" % role)
	get_multiplayer().multiplayer_peer = null
	SteamNetworkingMessages.steamShutdown()
	t.finish(self)


## The spawner's spawn_function, run by the host's spawn() and in each client for the host's spawn packet:
## a node named after its owner, owned (with its synchronizer) by that peer.
func _spawn_player(id: int) -> Node:
	var player: Node2D = SyncPlayer.new()
	player.name = _name_of(id)
	var config := SceneReplicationConfig.new()
	config.add_property(NodePath(".:position"))
	config.property_set_replication_mode(NodePath(".:position"), SceneReplicationConfig.REPLICATION_MODE_ALWAYS)
	config.property_set_spawn(NodePath(".:position"), true)
	config.add_property(NodePath(".:score"))
	config.property_set_replication_mode(NodePath(".:score"), SceneReplicationConfig.REPLICATION_MODE_ON_CHANGE)
	config.property_set_spawn(NodePath(".:score"), true)
	var sync := MultiplayerSynchronizer.new()
	sync.name = "Sync"
	sync.replication_config = config
	sync.replication_interval = 0.02
	sync.delta_interval = 0.02
	player.add_child(sync)
	# Recursive: the synchronizer too. Set before the node enters the tree, as Godot requires.
	player.set_multiplayer_authority(id)
	return player


func _name_of(id: int) -> String:
	return "Player_%d" % id


## The node of peer `id` under the world, null if there is none (untyped: its script has `score`).
func _player(id: int):
	return world.get_node_or_null(_name_of(id))


func _has_final(id: int) -> bool:
	var node = _player(id)
	return node != null and node.score == STEPS and node.position == FINAL_POSITION


func _wait_word_from(from: Array, word: String) -> void:
	await g.wait_for(func() -> bool: return from.all(func(id: int) -> bool: return rpc_node.heard(word, id)), "'%s' from %s" % [word, str(from)])


func _non_decreasing(values: Array) -> bool:
	for i in range(1, values.size()):
		if values[i] < values[i - 1]:
			return false
	return true
