## Round-trip time of a 100 B reliable message: "a" sends a ping and, the frame its echo arrives, the next;
## "b" echoes every message the frame it arrives. Both poll every frame; the first pings warm up.
##
## User arguments: --impl=steam|enet --role=a|b --local-id=N --peer-local-id=M --count=N --timeout-s=S
extends "res://lib/bench_script.gd"

const Bench = preload("res://lib/bench.gd")
const PAYLOAD_SIZE := 100
const WARM_UP := 100

func _initialize() -> void:
	var args := Bench.user_args()
	var impl: String = args.get("impl", "steam")
	if not await start(args):
		return
	var error := ""
	var count := int(args.get("count", "2000"))
	if link.role == "a":
		error = await ping(count, impl)
	else:
		error = await echo()
	await stop(error)


func ping(count: int, impl: String) -> String:
	var payload := Bench.payload(PAYLOAD_SIZE)
	var deadline := Time.get_ticks_msec() + int(timeout_s * 1000.0)
	var rtts: Array[int] = []
	var sent_at := Time.get_ticks_usec()
	var frames := 0
	link.send_burst(payload, 1, true)
	while rtts.size() < count + WARM_UP:
		if link.drain_data(16) > 0:
			var now := Time.get_ticks_usec()
			rtts.append(now - sent_at)
			sent_at = now
			link.send_burst(payload, 1, true)
		if Time.get_ticks_msec() > deadline:
			return "only %d of %d pings came back" % [rtts.size(), count + WARM_UP]
		frames += 1
		await link.next_frame()
	var measured := rtts.slice(WARM_UP)
	link.send_control("bye")
	Bench.emit({
		"bench": "latency", "impl": impl, "count": measured.size(),
		"p50_usec": Bench.percentile(measured, 0.5), "p99_usec": Bench.percentile(measured, 0.99),
		"frames_per_ping": float(frames) / rtts.size(),
	})
	for i in 10:
		await link.next_frame()
	return ""


## Echoes until a says bye, (ENet) disconnects, or has sent nothing for SILENCE_S after its first ping: a
## reports the figures, and a missing bye must not keep b running past the runner's grace for the pair.
const SILENCE_S := 10.0


func echo() -> String:
	var payload := Bench.payload(PAYLOAD_SIZE)
	var deadline := Time.get_ticks_msec() + int(timeout_s * 1000.0)
	var last_ping := 0
	while link.take_control("bye") == "" and link.is_connected_to_peer():
		var got: int = link.drain_data(16)
		if got > 0:
			link.send_burst(payload, got, true)
			last_ping = Time.get_ticks_msec()
		elif last_ping > 0 and Time.get_ticks_msec() - last_ping > int(SILENCE_S * 1000.0):
			print("b: no bye from a; stopped after %d s without a ping" % int(SILENCE_S))
			return ""
		if Time.get_ticks_msec() > deadline:
			return "a never finished"
		await link.next_frame()
	return ""

