## One end of the transport under test, as the benchmark scripts see it: a connection to the other process
## with a data channel (0) and a reliable control channel (1) for short text messages that pace the runs.
##
## Subclasses (steam_link.gd, enet_link.gd) hold the per-message loops, each written the way a game would
## call that API, so the scripts add no call per message on top of the API under test.
extends RefCounted

const Bench = preload("res://lib/bench.gd")
const DATA := 0
const CONTROL := 1

var tree: SceneTree
## "a" or "b", from `--role`.
var role := ""
var my_local_id := 0
var peer_local_id := 0
## Control messages received and not yet taken, oldest first.
var inbox: Array[String] = []
## Sends the API refused with something other than "queue full".
var send_errors := 0
var last_send_error := 0
## Payload bytes read by `drain_data`, and a sum over the fields `time_receives` reads (so they are used).
var bytes_received := 0
var checksum := 0


func _init(scene_tree: SceneTree, args: Dictionary) -> void:
	tree = scene_tree
	role = args.get("role", "")
	my_local_id = int(args.get("local-id", "0"))
	peer_local_id = int(args.get("peer-local-id", "0"))


## Starts the transport; "" on success, else what went wrong.
func open() -> String:
	return "open() is not implemented"


## Network work at the start of every frame (ENetConnection needs `service()`; Steam's API does not).
func service() -> void:
	pass


## Network work at the end of every frame, after this frame's sends.
func end_frame() -> void:
	pass


## Whether messages can be sent to the peer yet.
func is_connected_to_peer() -> bool:
	return true


## Sends a short reliable text on the control channel.
func send_control(_text: String) -> void:
	pass


## Moves newly received control messages into `inbox`.
func collect_control() -> void:
	pass


## Sends `payload` `count` times on the data channel; returns how many the API accepted before it asked to
## back off (or failed, counted in `send_errors`).
func send_burst(_payload: PackedByteArray, _count: int, _reliable: bool) -> int:
	return 0


## Receives up to `max_messages` data messages, reading each payload as a game would; returns how many.
func drain_data(_max_messages: int) -> int:
	return 0


## Times `count` reliable sends of `payload` (only the API calls); microseconds.
func time_sends(_payload: PackedByteArray, _count: int) -> int:
	return 0


## Tells the receiver of the cost benchmark that round `round` is all sent, if the API needs telling.
func cost_round_sent(_round: int) -> void:
	pass


## Whether round `round` of the cost benchmark is all queued here, unread (`total` data messages have been
## sent since the start).
func cost_round_queued(_round: int, _total: int) -> bool:
	return false


## Times receiving `count` queued messages (only the API calls), `batch` per call where the API batches;
## with `read_fields`, also reads each message's payload and channel. Returns [microseconds, messages].
func time_receives(_count: int, _batch: int, _read_fields: bool) -> Array:
	return [0, 0]


## Shuts the transport down, telling the peer.
func close() -> void:
	pass


## Ends this frame and starts the next.
func next_frame() -> void:
	end_frame()
	await tree.process_frame
	service()


## Waits, frame by frame, for a control message starting with `prefix` and returns it ("" after `timeout_s`).
func wait_control(prefix: String, timeout_s: float) -> String:
	var deadline := Time.get_ticks_msec() + int(timeout_s * 1000.0)
	while true:
		var found := take_control(prefix)
		if found != "":
			return found
		if Time.get_ticks_msec() > deadline:
			return ""
		await next_frame()
	return ""


## The oldest control message starting with `prefix`, removed from the inbox; "" if none.
func take_control(prefix: String) -> String:
	collect_control()
	for i in inbox.size():
		if inbox[i].begins_with(prefix):
			var text := inbox[i]
			inbox.remove_at(i)
			return text
	return ""


## Connects the two processes: "a" says hello, "b" answers ready. False after `timeout_s`.
func handshake(timeout_s: float) -> bool:
	var deadline := Time.get_ticks_msec() + int(timeout_s * 1000.0)
	while not is_connected_to_peer():
		if Time.get_ticks_msec() > deadline:
			return false
		await next_frame()
	var left := maxf(0.1, (deadline - Time.get_ticks_msec()) / 1000.0)
	if role == "a":
		send_control("hello")
		return await wait_control("ready", left) != ""
	if await wait_control("hello", left) == "":
		return false
	send_control("ready")
	return true
