## Godot's high-level multiplayer, a host and one client on loopback: SteamMessagesMultiplayerPeer on the
## local backend (--impl=steam) against Godot's ENetMultiplayerPeer (--impl=enet), the same scene and RPCs.
## "b" hosts, "a" joins.
##
## 1. Reliable RPCs per second: a calls `sink` on b with a 100 B PackedByteArray --rpcs times, in bursts of
##    1,000 a frame; b times the first to the last arrival.
## 2. RPC round trip: a calls `ping` on b, which answers `pong` from within the RPC; a sends the next ping in
##    the frame the pong arrives. --pings round trips after 100 to warm up; p50 and p99. Both run at 1,000 fps
##    (Engine.max_fps) meanwhile: a fast game's frame loop, which leaves the CPU between frames, so the figure
##    says how many frames a message waits rather than how two spinning processes share two cores.
## 3. Synchronization: b spawns --nodes Node2Ds through a MultiplayerSpawner, each with a
##    MultiplayerSynchronizer replicating its position every network frame; both run at 60 fps
##    (Engine.max_fps) and b moves every node every frame for --sync-seconds. Measured: loopback bytes per
##    second (/proc/net/dev, both directions: everything the two processes send each other, protocol
##    overhead and keep-alives included), CPU time per frame of each process (/proc/self/stat: all its
##    threads), and at a the position updates applied per node per second.
##
## User arguments: --impl=steam|enet --role=a|b --local-id=N --peer-local-id=M --rpcs=N --pings=N --nodes=N
## --sync-seconds=S --timeout-s=S
extends SceneTree

const Bench = preload("res://lib/bench.gd")
const BenchNode = preload("res://lib/multiplayer_bench_node.gd")
const PAYLOAD_SIZE := 100
const BURST := 1000
const WARM_UP := 100
const SYNC_FPS := 60
const PING_FPS := 1000

var impl := ""
var role := ""
var deadline_msec := 0
var node
var world: Node
var spawner: MultiplayerSpawner
var peer: MultiplayerPeer


func _initialize() -> void:
	var args := Bench.user_args()
	impl = args.get("impl", "steam")
	role = args.get("role", "a")
	deadline_msec = Time.get_ticks_msec() + int(float(args.get("timeout-s", "120")) * 1000.0)
	node = BenchNode.new()
	node.name = "Bench"
	root.add_child(node)
	world = Node.new()
	world.name = "World"
	root.add_child(world)
	spawner = MultiplayerSpawner.new()
	spawner.name = "Spawner"
	spawner.spawn_path = NodePath("..")
	spawner.spawn_function = _spawn_mover
	world.add_child(spawner)
	var error := _open(args)
	if error == "":
		print("BENCH_READY")
		error = await _run(args)
	if error != "":
		Bench.fail("%s (%s)" % [error, role])
	if peer != null:
		peer.close()
	for i in 5:
		await process_frame
	quit(1 if error != "" else 0)


func _open(args: Dictionary) -> String:
	var local_id := int(args.get("local-id", "0"))
	var peer_local_id := int(args.get("peer-local-id", "0"))
	var result := OK
	if impl == "steam":
		var init: Dictionary = Steam.steamInitEx()
		if init.get("status") != 0:
			return "steamInitEx failed: %s" % init.get("verbal")
		var steam_peer := SteamMessagesMultiplayerPeer.new()
		if role == "b":
			result = steam_peer.create_host(1)
		else:
			result = steam_peer.create_client(Bench.BASE_ID + peer_local_id)
		peer = steam_peer
	else:
		var enet_peer := ENetMultiplayerPeer.new()
		if role == "b":
			result = enet_peer.create_server(Bench.ENET_BASE_PORT + local_id, 1)
		else:
			result = enet_peer.create_client("127.0.0.1", Bench.ENET_BASE_PORT + peer_local_id)
		peer = enet_peer
	if result != OK:
		return "creating the peer failed: %s" % error_string(result)
	get_multiplayer().multiplayer_peer = peer
	return ""


func _run(args: Dictionary) -> String:
	if not await _until(func() -> bool: return get_multiplayer().get_peers().size() == 1, "the other side"):
		return "never connected"
	var error := ""
	if role == "a":
		error = await _send_rpcs(int(args.get("rpcs", "20000")))
		if error == "":
			Engine.max_fps = PING_FPS
			error = await _ping(int(args.get("pings", "1000")))
			Engine.max_fps = 0
		if error == "":
			error = await _follow_sync(int(args.get("nodes", "100")))
		if error == "":
			node.rpc_id(1, "say", "done")
			await _frames(10)
	else:
		error = await _sink_rpcs(int(args.get("rpcs", "20000")))
		# Through a's round trips, until the synchronization sets its own rate.
		Engine.max_fps = PING_FPS
		if error == "":
			error = await _lead_sync(int(args.get("nodes", "100")), float(args.get("sync-seconds", "5")))
		if error == "":
			await _until(func() -> bool: return node.heard("done"), "a's done")
	return error


# --- 1. Reliable RPCs per second ---------------------------------------------------------------------------

func _send_rpcs(count: int) -> String:
	var payload := Bench.payload(PAYLOAD_SIZE)
	var sent := 0
	while sent < count:
		for i in mini(BURST, count - sent):
			if node.rpc_id(1, "sink", sent, payload) != OK:
				return "rpc_id refused RPC %d" % sent
			sent += 1
		await process_frame
	if not await _until(func() -> bool: return node.heard("sunk"), "b to have every RPC"):
		return "b never had every RPC"
	return ""


func _sink_rpcs(count: int) -> String:
	if not await _until(func() -> bool: return node.sunk >= count, "every RPC"):
		return "only %d of %d RPCs arrived" % [node.sunk, count]
	var seconds := float(node.last_sunk_usec - node.first_sunk_usec) / 1e6
	Bench.emit({
		"bench": "multiplayer-rpcs", "impl": impl, "count": count,
		"rpcs_per_second": count / seconds if seconds > 0.0 else 0.0,
	})
	node.rpc_id(get_multiplayer().get_peers()[0], "say", "sunk")
	return ""


# --- 2. RPC round trip -------------------------------------------------------------------------------------

func _ping(count: int) -> String:
	var payload := Bench.payload(PAYLOAD_SIZE)
	var rtts: Array[int] = []
	var sequence := 0
	var sent_at := Time.get_ticks_usec()
	var began := sent_at
	var frames := 0
	node.rpc_id(1, "ping", sequence, payload)
	while rtts.size() < count + WARM_UP:
		frames += 1
		if node.pong_sequence == sequence:
			rtts.append(node.pong_usec - sent_at)
			sequence += 1
			sent_at = Time.get_ticks_usec()
			node.rpc_id(1, "ping", sequence, payload)
		if Time.get_ticks_msec() > deadline_msec:
			return "only %d of %d pongs came back" % [rtts.size(), count + WARM_UP]
		await process_frame
	var measured := rtts.slice(WARM_UP)
	Bench.emit({
		"bench": "multiplayer-rtt", "impl": impl, "count": measured.size(),
		"p50_usec": Bench.percentile(measured, 0.5), "p99_usec": Bench.percentile(measured, 0.99),
		"frames_per_ping": float(frames) / rtts.size(),
		"usec_per_frame": float(Time.get_ticks_usec() - began) / frames,
	})
	return ""


# --- 3. Synchronization ------------------------------------------------------------------------------------

## The spawner's spawn_function, on b for spawn() and on a for b's spawn packets: a Node2D whose position a
## synchronizer sends every network frame.
func _spawn_mover(index: int) -> Node:
	var mover := Node2D.new()
	mover.name = "Mover%d" % index
	mover.position = Vector2(index, 0)
	var config := SceneReplicationConfig.new()
	config.add_property(NodePath(".:position"))
	config.property_set_replication_mode(NodePath(".:position"), SceneReplicationConfig.REPLICATION_MODE_ALWAYS)
	config.property_set_spawn(NodePath(".:position"), true)
	var sync := MultiplayerSynchronizer.new()
	sync.name = "Sync"
	sync.replication_config = config
	sync.replication_interval = 0.0
	mover.add_child(sync)
	return mover


func _movers() -> Array[Node2D]:
	var movers: Array[Node2D] = []
	for child in world.get_children():
		if child is Node2D:
			movers.append(child)
	return movers


func _lead_sync(count: int, seconds: float) -> String:
	for index in count:
		spawner.spawn(index)
	if not await _until(func() -> bool: return node.heard("spawned"), "a to have every node"):
		return "a never had every node"
	Engine.max_fps = SYNC_FPS
	var movers := _movers()
	node.rpc_id(get_multiplayer().get_peers()[0], "say", "start")
	var start := _sample()
	var frames := 0
	var end_usec: int = start.usec + int(seconds * 1e6)
	while Time.get_ticks_usec() < end_usec:
		for mover in movers:
			mover.position.x += 1.0
		frames += 1
		await process_frame
	var end := _sample()
	node.rpc_id(get_multiplayer().get_peers()[0], "say", "stop")
	Engine.max_fps = 0
	var elapsed := float(end.usec - start.usec) / 1e6
	Bench.emit({
		"bench": "multiplayer-sync", "impl": impl, "side": "host", "nodes": count, "frames": frames,
		"seconds": elapsed,
		"loopback_bytes_per_second": float(end.loopback - start.loopback) / elapsed,
		"cpu_usec_per_frame": float(end.cpu_usec - start.cpu_usec) / frames,
	})
	return ""


func _follow_sync(count: int) -> String:
	if not await _until(func() -> bool: return _movers().size() >= count, "every spawned node"):
		return "only %d of %d nodes spawned" % [_movers().size(), count]
	node.rpc_id(1, "say", "spawned")
	if not await _until(func() -> bool: return node.heard("start"), "b's start"):
		return "b never started"
	Engine.max_fps = SYNC_FPS
	var movers := _movers()
	var last: Array[float] = []
	for mover in movers:
		last.append(mover.position.x)
	var start := _sample()
	var frames := 0
	var updates := 0
	while not node.heard("stop"):
		if Time.get_ticks_msec() > deadline_msec:
			return "b never stopped"
		await process_frame
		frames += 1
		for i in movers.size():
			var x: float = movers[i].position.x
			if x != last[i]:
				updates += 1
				last[i] = x
	var end := _sample()
	Engine.max_fps = 0
	var elapsed := float(end.usec - start.usec) / 1e6
	Bench.emit({
		"bench": "multiplayer-sync", "impl": impl, "side": "client", "nodes": count, "frames": frames,
		"seconds": elapsed,
		"cpu_usec_per_frame": float(end.cpu_usec - start.cpu_usec) / frames,
		"updates_per_node_per_second": float(updates) / count / elapsed,
	})
	return ""


## Now: ticks µs, this process's CPU time in µs (user + system, all threads) and loopback bytes received
## (on loopback, every byte sent is received once).
func _sample() -> Dictionary:
	return {"usec": Time.get_ticks_usec(), "cpu_usec": _cpu_usec(), "loopback": _loopback_bytes()}


func _cpu_usec() -> int:
	var file := FileAccess.open("/proc/self/stat", FileAccess.READ)
	if file == null:
		return 0
	var text := file.get_line()
	# Fields after the command name (which may hold spaces) in parentheses: state is the first, utime the
	# 12th and stime the 13th, in clock ticks of 10 ms.
	var fields := text.substr(text.rfind(")") + 2).split(" ")
	return (int(fields[11]) + int(fields[12])) * 10000


func _loopback_bytes() -> int:
	var file := FileAccess.open("/proc/net/dev", FileAccess.READ)
	if file == null:
		return 0
	while not file.eof_reached():
		var line := file.get_line().strip_edges()
		if line.begins_with("lo:"):
			return int(line.trim_prefix("lo:").strip_edges().split(" ", false)[0])
	return 0


func _until(condition: Callable, what: String) -> bool:
	while not condition.call():
		if Time.get_ticks_msec() > deadline_msec:
			print("timed out waiting for ", what)
			return false
		await process_frame
	return true


func _frames(count: int) -> void:
	for i in count:
		await process_frame
