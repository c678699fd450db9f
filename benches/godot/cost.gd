## Main-thread cost per message of the API calls themselves, in GDScript (100 B, reliable).
##
## The messages go in rounds. In each, "a" sends the round's messages in per-frame chunks, timing only its
## send calls; "b" lets them all arrive unread, then times only the receive calls that take them, one way per
## round in turn: big batches; big batches reading each message's payload and channel; one message per call.
## Then b asks for the next round. Rounds stay well inside the local backend's send window (4 MiB unread,
## after which sends return RESULT_LIMIT_EXCEEDED), and the first round is a warm-up, timed by neither side,
## so the heap has grown before anything is timed.
##
## User arguments: --impl=steam|enet --role=a|b --local-id=N --peer-local-id=M --count=N --timeout-s=S
##   (--count messages are timed, a third each way)
extends "res://lib/bench_script.gd"

const Bench = preload("res://lib/bench.gd")
const PAYLOAD_SIZE := 100
## Sends timed per frame, and messages per receive call in the batched ways.
const SEND_CHUNK := 1000
const RECEIVE_BATCH := 1000
## Most messages in a round: 1 MB of payload.
const MOST_PER_ROUND := 10000
const WAYS: Array[String] = ["batched", "reading", "single"]

func _initialize() -> void:
	var args := Bench.user_args()
	var impl: String = args.get("impl", "steam")
	if not await start(args):
		return
	var error := ""
	# Each way gets whole rounds of the same size.
	var per_way := maxi(int(args.get("count", "30000")) / WAYS.size(), 1)
	var rounds_per_way := ceili(float(per_way) / MOST_PER_ROUND)
	var round_size := ceili(float(per_way) / rounds_per_way)
	# The warm-up round first, then the ways in turn.
	var rounds := 1 + rounds_per_way * WAYS.size()
	if link.role == "a":
		error = await time_sending(rounds, round_size, impl)
	else:
		error = await time_receiving(rounds, round_size, impl)
	await stop(error)


func time_sending(rounds: int, round_size: int, impl: String) -> String:
	var payload := Bench.payload(PAYLOAD_SIZE)
	var usec := 0
	for round in rounds:
		var sent := 0
		while sent < round_size:
			var chunk := mini(SEND_CHUNK, round_size - sent)
			var elapsed: int = link.time_sends(payload, chunk)
			if round > 0:
				usec += elapsed
			sent += chunk
			await link.next_frame()
		if link.send_errors > 0:
			return "%d sends failed (last result %d)" % [link.send_errors, link.last_send_error]
		link.cost_round_sent(round)
		if await link.wait_control("next", timeout_s) == "":
			return "b did not take round %d" % round
	var timed := (rounds - 1) * round_size
	Bench.emit({"bench": "cost-send", "impl": impl, "count": timed, "ns_per_message": usec * 1000.0 / timed})
	link.send_control("bye")
	for i in 10:
		await link.next_frame()
	return ""


func time_receiving(rounds: int, round_size: int, impl: String) -> String:
	var deadline := Time.get_ticks_msec() + int(timeout_s * 1000.0)
	var usec := {}
	var counts := {}
	for way in WAYS:
		usec[way] = 0
		counts[way] = 0
	for round in rounds:
		while not link.cost_round_queued(round, (round + 1) * round_size):
			if Time.get_ticks_msec() > deadline:
				return "round %d did not arrive" % round
			await link.next_frame()
		var way: String = WAYS[(round - 1) % WAYS.size()] if round > 0 else "reading"
		var batch := 1 if way == "single" else RECEIVE_BATCH
		var timed: Array = link.time_receives(round_size, batch, way == "reading")
		if timed[1] != round_size:
			return "round %d: received %d of %d queued messages" % [round, timed[1], round_size]
		if round > 0:
			usec[way] += timed[0]
			counts[way] += round_size
		link.send_control("next")
		await link.next_frame()
	var result := {"bench": "cost-receive", "impl": impl, "batch": RECEIVE_BATCH, "round": round_size}
	for way in WAYS:
		result["%s_ns_per_message" % way] = usec[way] * 1000.0 / counts[way]
	result["dictionary_floor_ns"] = time_dictionary_copies(round_size)
	if impl == "enet":
		# What ENetConnection adds in GDScript: the service() loop that hands over each packet.
		result["service_ns_per_packet"] = link.service_usec * 1000.0 / maxi(link.receive_events, 1)
	Bench.emit(result)
	await link.wait_control("bye", 10.0)
	return ""



## Godot's own cost for what each received message becomes in GodotSteam's API: a copy of its 10-key message
## dictionary, stored in an array and freed with it, with no networking at all. A receive call returning such
## dictionaries cannot cost less than this, whoever builds them.
func time_dictionary_copies(count: int) -> float:
	var template := {
		"payload": Bench.payload(PAYLOAD_SIZE), "size": PAYLOAD_SIZE, "connection": 0, "identity": 0,
		"receiver_user_data": 0, "time_received": 0, "message_number": 0, "channel": 0, "flags": 8,
		"sender_user_data": 0,
	}
	var usec := 0
	var done := 0
	while done < count:
		var start := Time.get_ticks_usec()
		var batch := []
		batch.resize(RECEIVE_BATCH)
		for i in RECEIVE_BATCH:
			batch[i] = template.duplicate()
		batch = []
		usec += Time.get_ticks_usec() - start
		done += RECEIVE_BATCH
	return usec * 1000.0 / done
