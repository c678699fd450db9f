## The baseline: Godot's own ENetConnection and ENetPacketPeer, driven from GDScript. "b" listens on
## 127.0.0.1:(ENET_BASE_PORT + its local ID) and "a" connects to it; `service()` runs every frame and sends
## are flushed at the end of the frame, as the local backend flushes its own.
##
## ENetPacketPeer has no get_packet_channel(): a packet's channel comes with its EVENT_RECEIVE, so the
## channels of the packets queued on the peer are kept here in arrival order.
extends "res://lib/link.gd"

var host: ENetConnection
var peer: ENetPacketPeer
var connected := false
## Data packets received (queued on the peer), read or not.
var data_events := 0
## Channels of the packets queued on `peer`, oldest at `channel_head`.
var channels := PackedByteArray()
var channel_head := 0
## Data packets read while looking for control messages, not yet returned by `drain_data`.
var data_read_early := 0
## Time spent in the frames' ENetConnection.service() loops that received packets, and the packets: what
## ENetConnection costs GDScript per packet on top of get_packet(), for the cost benchmark.
var service_usec := 0
var receive_events := 0


func open() -> String:
	host = ENetConnection.new()
	var error := OK
	if role == "b":
		error = host.create_host_bound("127.0.0.1", Bench.ENET_BASE_PORT + my_local_id, 4, 2)
	else:
		error = host.create_host(4, 2)
		if error == OK:
			peer = host.connect_to_host("127.0.0.1", Bench.ENET_BASE_PORT + peer_local_id, 2)
			if peer == null:
				error = FAILED
	if error != OK:
		return "ENetConnection set-up failed: %s" % error_string(error)
	return ""


func service() -> void:
	if host == null:
		return
	var start := Time.get_ticks_usec()
	var received_before := receive_events
	while true:
		var event: Array = host.service()
		var type: int = event[0]
		if type == ENetConnection.EVENT_NONE:
			break
		if type == ENetConnection.EVENT_RECEIVE:
			var channel: int = event[3]
			channels.append(channel)
			receive_events += 1
			if channel == DATA:
				data_events += 1
		elif type == ENetConnection.EVENT_CONNECT:
			peer = event[1]
			connected = true
		elif type == ENetConnection.EVENT_DISCONNECT:
			connected = false
		elif type == ENetConnection.EVENT_ERROR:
			push_error("ENetConnection.service() reported an error")
			break
	if receive_events > received_before:
		service_usec += Time.get_ticks_usec() - start


func end_frame() -> void:
	if host != null:
		host.flush()


func is_connected_to_peer() -> bool:
	return connected


func send_control(text: String) -> void:
	if peer != null:
		peer.send(CONTROL, text.to_utf8_buffer(), ENetPacketPeer.FLAG_RELIABLE)


## Control and data share the peer's one packet queue: reading it keeps control messages, and the data
## read on the way is counted by the next `drain_data`.
func collect_control() -> void:
	data_read_early += drain_data(1 << 30)


func send_burst(payload: PackedByteArray, count: int, reliable: bool) -> int:
	var flags := ENetPacketPeer.FLAG_RELIABLE if reliable else ENetPacketPeer.FLAG_UNSEQUENCED
	var to := peer
	for i in count:
		var error := to.send(DATA, payload, flags)
		if error != OK:
			send_errors += 1
			last_send_error = error
			return i
	return count


func drain_data(max_messages: int) -> int:
	if peer == null:
		return 0
	var from := peer
	var count := data_read_early
	data_read_early = 0
	var bytes := 0
	while count < max_messages and from.get_available_packet_count() > 0:
		var channel := channels[channel_head]
		channel_head += 1
		var payload := from.get_packet()
		if channel == CONTROL:
			inbox.append(payload.get_string_from_utf8())
		else:
			bytes += payload.size()
			count += 1
	bytes_received += bytes
	forget_read_channels()
	return count


func forget_read_channels() -> void:
	if channel_head == channels.size():
		channels.clear()
		channel_head = 0


func time_sends(payload: PackedByteArray, count: int) -> int:
	var to := peer
	var failed := 0
	var start := Time.get_ticks_usec()
	for i in count:
		if to.send(DATA, payload, ENetPacketPeer.FLAG_RELIABLE) != OK:
			failed += 1
	var elapsed := Time.get_ticks_usec() - start
	send_errors += failed
	return elapsed


## `service()` counts data packets as they arrive, so nothing needs to be sent.
func cost_round_queued(_round: int, total: int) -> bool:
	return data_events >= total


## get_packet() returns the payload and the channel comes from the queue kept by `service()`, so both
## variants read both.
func time_receives(count: int, _batch: int, _read_fields: bool) -> Array:
	var from := peer
	var queued := channels
	var head := channel_head
	var received := 0
	var sum := 0
	var start := Time.get_ticks_usec()
	for i in count:
		var channel := queued[head + i]
		var payload := from.get_packet()
		sum += payload.size() + channel
		received += 1
	var elapsed := Time.get_ticks_usec() - start
	channel_head += count
	forget_read_channels()
	checksum += sum
	return [elapsed, received]


func close() -> void:
	if peer != null and peer.is_active():
		peer.peer_disconnect()
	if host != null:
		host.flush()
