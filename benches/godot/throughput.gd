## Throughput between two processes: "a" sends each workload (payload size, reliable or unreliable) as fast
## as the API accepts, in per-frame bursts; "b" drains every frame and reports messages per second from the
## first message to the last, and how many of those sent arrived.
##
## User arguments: --impl=steam|enet --role=a|b --local-id=N --peer-local-id=M
##   --workloads=SIZE:MODE:COUNT,...   (MODE is reliable or unreliable)   --timeout-s=S
extends "res://lib/bench_script.gd"

const Bench = preload("res://lib/bench.gd")
## Most bytes "a" offers the API per frame (whole messages; at least one, at most BURST_MAX_MESSAGES).
const BURST_BYTES := 1 << 20
const BURST_MAX_MESSAGES := 2000
## Most messages "b" takes per receive call.
const RECEIVE_BATCH := 4096
## Unreliable workloads end this long after the last message, once the end marker has arrived.
const UNRELIABLE_QUIET_MS := 150

func _initialize() -> void:
	var args := Bench.user_args()
	if not await start(args):
		return
	var error := ""
	var workloads := parse_workloads(args.get("workloads", ""))
	if link.role == "a":
		error = await send_all(workloads, args.get("impl", ""))
	else:
		error = await receive_all(workloads, args.get("impl", ""))
	await stop(error)


func parse_workloads(text: String) -> Array[Dictionary]:
	var workloads: Array[Dictionary] = []
	for item in text.split(",", false):
		var parts := item.split(":")
		workloads.append({"size": int(parts[0]), "reliable": parts[1] == "reliable", "count": int(parts[2])})
	return workloads


func send_all(workloads: Array[Dictionary], impl: String) -> String:
	for index in workloads.size():
		var workload := workloads[index]
		var payload := Bench.payload(workload["size"])
		var count: int = workload["count"]
		var burst := clampi(BURST_BYTES / payload.size(), 1, BURST_MAX_MESSAGES)
		link.send_control("start:%d" % index)
		if await link.wait_control("go:%d" % index, timeout_s) == "":
			return "workload %d: no go from b" % index
		var sent := 0
		var frames := 0
		var start := Time.get_ticks_usec()
		while sent < count:
			sent += link.send_burst(payload, mini(burst, count - sent), workload["reliable"])
			if link.send_errors > 0:
				return "workload %d: send failed with %d" % [index, link.last_send_error]
			frames += 1
			await link.next_frame()
		var seconds := (Time.get_ticks_usec() - start) / 1e6
		link.send_control("end:%d:%d" % [index, sent])
		if await link.wait_control("ack:%d" % index, timeout_s) == "":
			return "workload %d: no ack from b" % index
		Bench.emit({
			"bench": "throughput-send", "impl": impl, "size": payload.size(),
			"reliable": workload["reliable"], "sent": sent, "send_seconds": seconds, "frames": frames,
		})
	link.send_control("bye")
	for i in 10:
		await link.next_frame()
	return ""


func receive_all(workloads: Array[Dictionary], impl: String) -> String:
	var deadline := Time.get_ticks_msec() + int(timeout_s * 1000.0)
	for index in workloads.size():
		var workload := workloads[index]
		if await link.wait_control("start:%d" % index, timeout_s) == "":
			return "workload %d: no start from a" % index
		link.send_control("go:%d" % index)
		var received := 0
		var first_batch := 0
		var first_usec := 0
		var last_usec := 0
		var sent := -1
		var end_msec := 0
		var frames := 0
		while true:
			var got: int = link.drain_data(RECEIVE_BATCH)
			if got > 0:
				last_usec = Time.get_ticks_usec()
				if received == 0:
					first_usec = last_usec
					first_batch = got
				received += got
			if sent < 0:
				var end: String = link.take_control("end:%d:" % index)
				if end != "":
					sent = int(end.get_slice(":", 2))
					end_msec = Time.get_ticks_msec()
			if sent >= 0 and received >= sent:
				break
			var now := Time.get_ticks_msec()
			if sent >= 0 and not workload["reliable"] and now - end_msec > UNRELIABLE_QUIET_MS \
					and now - last_usec / 1000 > UNRELIABLE_QUIET_MS:
				break
			if now > deadline:
				return "workload %d: timed out with %d of %d received" % [index, received, sent]
			frames += 1
			await link.next_frame()
		# Messages after the first receive call, over the time since it; null if everything came at once.
		var seconds := (last_usec - first_usec) / 1e6
		var rate: Variant = (received - first_batch) / seconds if seconds > 0.0 else null
		Bench.emit({
			"bench": "throughput", "impl": impl, "size": workload["size"], "reliable": workload["reliable"],
			"sent": sent, "received": received, "seconds": seconds, "messages_per_second": rate,
			"delivered": float(received) / maxi(sent, 1), "frames": frames,
		})
		link.send_control("ack:%d" % index)
	await link.wait_control("bye", 10.0)
	return ""

