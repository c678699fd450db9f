## Two processes: request -> accept, nothing delivered before accept, then 10,000 reliable messages over
## three channels arrive exactly once and in order.
extends SceneTree

const Check = preload("res://lib/check.gd")
const Peer = preload("res://lib/peer.gd")
const COUNT := 10000
const CHANNELS := 3

var t := Check.new()
var p: Peer


func _initialize() -> void:
	p = Peer.new(self, t)
	if p.role == "a":
		await run_sender()
	else:
		await run_receiver()
	t.eq(p.failures, [], "%s: no session failed" % p.role)
	await p.settle()
	t.finish(self)


func run_sender() -> void:
	t.eq(p.send_text("hello"), 1, "a: first send returns RESULT_OK")
	t.eq(await p.wait_for_text(0, "b's ready"), "ready", "a: b accepted and answered")
	var results := {}
	for i in COUNT:
		var payload := PackedByteArray()
		payload.resize(8)
		payload.encode_u32(0, i)
		payload.encode_u32(4, i % CHANNELS)
		var result: int = p.steam.sendMessageToUser(p.peer_id, payload, p.RELIABLE, i % CHANNELS)
		results[result] = results.get(result, 0) + 1
	t.eq(results, {1: COUNT}, "a: every send returns RESULT_OK")
	t.eq(await p.wait_for_text(CHANNELS, "b's verdict"), "all %d in order" % COUNT, "a: b got everything in order")
	t.eq(p.requests, [], "a: the initiator gets no session request")


func run_receiver() -> void:
	await p.wait_for(func() -> bool: return not p.requests.is_empty(), "a session request")
	t.eq(p.requests[0], p.peer_id, "b: the request names a's Steam ID")
	t.eq(p.steam.receiveMessagesOnChannel(0, 100), [], "b: nothing is delivered before accepting")
	t.eq(p.steam.acceptSessionWithUser(p.peer_id), true, "b: acceptSessionWithUser returns true")
	var first: Array = p.steam.receiveMessagesOnChannel(0, 100)
	t.eq(first.size(), 1, "b: the held message arrives after accepting")
	if first.size() == 1:
		t.eq(first[0]["payload"].get_string_from_utf8(), "hello", "b: it is a's first message")
		t.eq(first[0]["identity"], p.peer_id, "b: identity is a's Steam ID")
		t.eq(first[0].keys(), ["payload", "size", "connection", "identity", "receiver_user_data",
			"time_received", "message_number", "channel", "flags", "sender_user_data"], "b: GodotSteam's message keys in its order")
		t.eq(first[0]["size"], 5, "b: size is the payload's length")
		t.eq(first[0]["flags"] & 8, 8, "b: flags say it was sent reliably")
		t.ok(first[0]["time_received"] > 0, "b: time_received is set")
		t.eq(first[0]["message_number"], 1, "b: the first message of the session is number 1")
	t.eq(p.send_text("ready"), 1, "b: answer")
	var next := []
	for channel in CHANNELS:
		next.append(channel)
	var wrong := []
	var received := [0]
	await p.wait_for(func() -> bool:
		for channel in CHANNELS:
			for message in p.steam.receiveMessagesOnChannel(channel, 1000):
				var index: int = message["payload"].decode_u32(0)
				if index != next[channel] or message["channel"] != channel or message["size"] != 8:
					wrong.append([channel, index, next[channel]])
				next[channel] = index + CHANNELS
				received[0] += 1
		return received[0] >= COUNT, "%d messages" % COUNT)
	t.eq(received[0], COUNT, "b: exactly %d messages arrived" % COUNT)
	t.eq(wrong.slice(0, 5), [], "b: every channel's messages arrived once and in order")
	await p.settle(10)
	var extra := 0
	for channel in CHANNELS:
		extra += p.steam.receiveMessagesOnChannel(channel, 1000).size()
	t.eq(extra, 0, "b: no duplicates arrive afterwards")
	var verdict := "all %d in order" % COUNT if wrong.is_empty() and received[0] == COUNT else "broken"
	p.send_text(verdict, p.RELIABLE, CHANNELS)
