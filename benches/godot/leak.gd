## Resident memory over a long stream: "a" sends --count 100 B reliable messages, keeping at most WINDOW
## unacknowledged (b acknowledges every ACK_EVERY), so queues stay the same size throughout; both record
## their RSS once --first messages have gone through and again at the end. Flat means nothing leaks.
##
## User arguments: --impl=steam|enet --role=a|b --local-id=N --peer-local-id=M --count=N --first=N
##   --timeout-s=S
extends "res://lib/bench_script.gd"

const Bench = preload("res://lib/bench.gd")
const PAYLOAD_SIZE := 100
const WINDOW := 20000
const ACK_EVERY := 5000
const BURST := 2000
const RECEIVE_BATCH := 4096

func _initialize() -> void:
	var args := Bench.user_args()
	var impl: String = args.get("impl", "steam")
	if not await start(args):
		return
	var error := ""
	var count := int(args.get("count", "1000000"))
	var first := int(args.get("first", "100000"))
	if link.role == "a":
		error = await send_stream(count, first, impl)
	else:
		error = await receive_stream(count, first, impl)
	await stop(error)


func send_stream(count: int, first: int, impl: String) -> String:
	var payload := Bench.payload(PAYLOAD_SIZE)
	var deadline := Time.get_ticks_msec() + int(timeout_s * 1000.0)
	var sent := 0
	var acked := 0
	var rss_first := -1
	while acked < count:
		var room := mini(mini(BURST, WINDOW - (sent - acked)), count - sent)
		if room > 0:
			sent += link.send_burst(payload, room, true)
			if link.send_errors > 0:
				return "send failed with %d" % link.last_send_error
		var ack: String = link.take_control("got:")
		while ack != "":
			acked = maxi(acked, int(ack.get_slice(":", 1)))
			ack = link.take_control("got:")
		if rss_first < 0 and acked >= first:
			rss_first = Bench.rss_kib()
		if Time.get_ticks_msec() > deadline:
			return "timed out with %d of %d acknowledged" % [acked, count]
		await link.next_frame()
	var rss_last := Bench.rss_kib()
	Bench.emit({"bench": "leak", "impl": impl, "side": "sender", "first": first, "count": count,
		"rss_first_kib": rss_first, "rss_last_kib": rss_last})
	link.send_control("bye")
	for i in 10:
		await link.next_frame()
	return ""


func receive_stream(count: int, first: int, impl: String) -> String:
	var deadline := Time.get_ticks_msec() + int(timeout_s * 1000.0)
	var received := 0
	var acked := 0
	var rss_first := -1
	while true:
		received += link.drain_data(RECEIVE_BATCH)
		if received - acked >= ACK_EVERY or (received >= count and acked < received):
			acked = received
			link.send_control("got:%d" % acked)
		if rss_first < 0 and received >= first:
			rss_first = Bench.rss_kib()
		if received >= count:
			break
		if Time.get_ticks_msec() > deadline:
			return "timed out with %d of %d received" % [received, count]
		await link.next_frame()
	var rss_last := Bench.rss_kib()
	Bench.emit({"bench": "leak", "impl": impl, "side": "receiver", "first": first, "count": count,
		"rss_first_kib": rss_first, "rss_last_kib": rss_last})
	await link.wait_control("bye", 10.0)
	return ""

