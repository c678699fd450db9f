## Resident memory of a process holding 1, 100 and 1,000 open sessions ("a"); "b" provides the peers.
##
## Ours: a opens sessions with the Networking Messages API on the local backend to 1,000 distinct Steam IDs,
## which GODOT_STEAM_PEERS (set by the xtask) all maps to b's address. b stands in for all of them with one
## ENetConnection host: it accepts every connection and answers each session's HELLO frame with an ACCEPT
## frame (wire format in src/backend/local/wire.rs), so every session is fully connected.
##
## Baseline: a listens with one ENetConnection host (Godot's ENetConnection connects to one peer only, so
## the many-connection side is the listening one) and b opens 1,000 client ENetConnections to it, more each
## time a asks over the first connection.
##
## Either way each session or connection carries one 100 B reliable message from a, and a reads VmRSS once
## every session of a step is connected and a few frames have passed.
##
## User arguments: --impl=steam|enet --role=a|b --local-id=N --peer-local-id=M --sessions=1,100,1000
##   --first-remote=LOCAL_ID (ours: a's remote Steam IDs are BASE_ID + this + 0..n-1) --timeout-s=S
extends SceneTree

const Bench = preload("res://lib/bench.gd")
const PAYLOAD_SIZE := 100
## The local backend's frame kinds (src/backend/local/wire.rs).
const FRAME_HELLO := 1
const FRAME_ACCEPT := 3
const CONNECTION_STATE_CONNECTED := 3
const CONTROL := 1
## Frames to let pass before reading memory, so allocations settle.
const SETTLE_FRAMES := 60

var timeout_s := 120.0
var deadline := 0


func _initialize() -> void:
	var args := Bench.user_args()
	timeout_s = float(args.get("timeout-s", "120"))
	deadline = Time.get_ticks_msec() + int(timeout_s * 1000.0)
	var error := ""
	var steam: bool = args.get("impl") == "steam"
	if args.get("role") == "a":
		error = await hold(args, SteamHolder.new() if steam else EnetHolder.new())
	elif steam:
		error = await stand_in(args)
	else:
		error = await connect_many(args)
	if error != "":
		Bench.fail("%s (%s)" % [error, args.get("role")])
	quit(1 if error != "" else 0)


func timed_out() -> bool:
	return Time.get_ticks_msec() > deadline


## "a": opens sessions in steps and records RSS at each.
func hold(args: Dictionary, holder: Holder) -> String:
	var steps: Array[int] = []
	for step in args.get("sessions", "1,100,1000").split(",", false):
		steps.append(int(step))
	var rss_start := Bench.rss_kib()
	var error := holder.open(args, steps[-1], Bench.payload(PAYLOAD_SIZE))
	if error != "":
		return error
	await settle(holder)
	var result := {"bench": "sessions", "impl": args.get("impl"), "rss_start_kib": rss_start,
		"rss_idle_kib": Bench.rss_kib()}
	var rss := {}
	for step in steps:
		holder.grow_to(step)
		while holder.connected_count() < step:
			if timed_out():
				return "only %d of %d sessions connected" % [holder.connected_count(), step]
			holder.service()
			await process_frame
		await settle(holder)
		rss[str(step)] = Bench.rss_kib()
	result["rss_kib"] = rss
	Bench.emit(result)
	holder.close()
	return ""


func settle(holder: Holder) -> void:
	for i in SETTLE_FRAMES:
		holder.service()
		await process_frame


## What holds the sessions in "a".
class Holder:
	func open(_args: Dictionary, _most: int, _payload: PackedByteArray) -> String:
		return ""

	## Opens sessions (or has them opened) until there are `total`.
	func grow_to(_total: int) -> void:
		pass

	func connected_count() -> int:
		return 0

	func service() -> void:
		pass

	func close() -> void:
		pass


## Ours: sessions with the Networking Messages API on the local backend.
class SteamHolder extends Holder:
	var first_remote := 0
	var opened := 0
	var payload := PackedByteArray()

	func open(args: Dictionary, _most: int, data: PackedByteArray) -> String:
		payload = data
		first_remote = Bench.BASE_ID + int(args.get("first-remote", "100000"))
		var init: Dictionary = Steam.steamInitEx()
		if init.get("status") != 0:
			return "steamInitEx failed: %s" % init.get("verbal")
		return ""

	func grow_to(total: int) -> void:
		while opened < total:
			Steam.sendMessageToUser(first_remote + opened, payload, 8, 0)
			opened += 1

	func connected_count() -> int:
		var connected := 0
		for index in opened:
			var info: Dictionary = Steam.getSessionConnectionInfo(first_remote + index, false, false)
			if info.get("connection_state") == CONNECTION_STATE_CONNECTED:
				connected += 1
		return connected

	func close() -> void:
		Steam.steamShutdown()


## Baseline: one listening ENetConnection; b connects, and opens more when asked over its first connection.
class EnetHolder extends Holder:
	var host := ENetConnection.new()
	var peers: Array[ENetPacketPeer] = []
	var payload := PackedByteArray()

	func open(args: Dictionary, most: int, data: PackedByteArray) -> String:
		payload = data
		var port := Bench.ENET_BASE_PORT + int(args.get("local-id"))
		var error := host.create_host_bound("127.0.0.1", port, most + 8, 2)
		return "" if error == OK else "create_host_bound failed: %s" % error_string(error)

	func grow_to(total: int) -> void:
		# b opens the first connection by itself.
		if total > 1 and not peers.is_empty():
			peers[0].send(CONTROL, ("more:%d" % total).to_utf8_buffer(), ENetPacketPeer.FLAG_RELIABLE)

	func connected_count() -> int:
		return peers.size()

	func service() -> void:
		while true:
			var event: Array = host.service()
			var type: int = event[0]
			if type == ENetConnection.EVENT_NONE or type == ENetConnection.EVENT_ERROR:
				break
			var peer: ENetPacketPeer = event[1]
			if type == ENetConnection.EVENT_CONNECT:
				peers.append(peer)
				peer.send(0, payload, ENetPacketPeer.FLAG_RELIABLE)
			elif type == ENetConnection.EVENT_DISCONNECT:
				peers.erase(peer)
			elif type == ENetConnection.EVENT_RECEIVE:
				peer.get_packet()
		host.flush()

	func close() -> void:
		if not peers.is_empty():
			peers[0].send(CONTROL, "done".to_utf8_buffer(), ENetPacketPeer.FLAG_RELIABLE)
		host.flush()
		host.destroy()


## "b" for ours: one ENet host standing in for every remote Steam ID, until the xtask stops it.
func stand_in(args: Dictionary) -> String:
	var host := ENetConnection.new()
	var port := Bench.ENET_BASE_PORT + int(args.get("local-id"))
	var error := host.create_host_bound("127.0.0.1", port, 2048, 2)
	if error != OK:
		return "create_host_bound failed: %s" % error_string(error)
	print("BENCH_READY")
	# ACCEPT carries the accepting process run's 64-bit instance (little-endian), one for the whole stand-in.
	var accept := PackedByteArray([FRAME_ACCEPT])
	accept.resize(9)
	accept.encode_u64(1, (randi() << 32) | randi())
	while not timed_out():
		while true:
			var event: Array = host.service()
			if event[0] == ENetConnection.EVENT_NONE or event[0] == ENetConnection.EVENT_ERROR:
				break
			if event[0] == ENetConnection.EVENT_RECEIVE:
				var peer: ENetPacketPeer = event[1]
				var packet := peer.get_packet()
				if packet.size() > 0 and packet[0] == FRAME_HELLO:
					peer.send(0, accept, ENetPacketPeer.FLAG_RELIABLE)
		host.flush()
		await process_frame
	return ""


## "b" for the baseline: client ENetConnections to a, one at first and more when a asks.
func connect_many(args: Dictionary) -> String:
	var port := Bench.ENET_BASE_PORT + int(args.get("peer-local-id"))
	var hosts: Array[ENetConnection] = []
	var wanted := 1
	print("BENCH_READY")
	while not timed_out():
		while hosts.size() < wanted:
			var host := ENetConnection.new()
			var error := host.create_host(1, 2)
			if error != OK:
				return "create_host failed after %d connections: %s" % [hosts.size(), error_string(error)]
			if host.connect_to_host("127.0.0.1", port, 2) == null:
				return "connect_to_host failed after %d connections" % hosts.size()
			hosts.append(host)
		for host in hosts:
			while true:
				var event: Array = host.service()
				if event[0] == ENetConnection.EVENT_NONE or event[0] == ENetConnection.EVENT_ERROR:
					break
				if event[0] == ENetConnection.EVENT_RECEIVE:
					var peer: ENetPacketPeer = event[1]
					var text := peer.get_packet().get_string_from_utf8()
					if event[3] == CONTROL and text.begins_with("more:"):
						wanted = int(text.get_slice(":", 1))
					elif event[3] == CONTROL and text == "done":
						return ""
		await process_frame
	return ""
