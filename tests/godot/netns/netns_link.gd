## Run by `cargo xtask test` in two network namespaces joined by a veth pair whose INPUT drops 20% of packets
## (iptables statistic). Phases are announced as `PHASE name` lines; the harness cuts the link after
## `cut-ready` and restores it after `failed-seen`.
extends SceneTree

const Check = preload("res://lib/check.gd")
const Peer = preload("res://lib/peer.gd")
const COUNT := 10000
const CHANNELS := 3
const AUTORESTART := 32

var t := Check.new()
var p: Peer


func _initialize() -> void:
	p = Peer.new(self, t)
	if p.role == "a":
		await transfer_as_sender()
	else:
		await transfer_as_receiver()
	print("failures before the cut: %s" % [p.failures])
	print("PHASE cut-ready")
	await survive_the_cut()
	print("PHASE failed-seen")
	await recover()
	await p.settle(60)
	t.finish(self)


func transfer_as_sender() -> void:
	p.send_text("hello")
	t.eq(await p.wait_for_text(0, "ready", 90.0), "ready", "a: connected over the lossy link")
	for i in COUNT:
		var payload := PackedByteArray()
		payload.resize(8)
		payload.encode_u32(0, i)
		p.steam.sendMessageToUser(p.peer_id, payload, p.RELIABLE, i % CHANNELS)
		if i % 500 == 0:
			await process_frame
	t.eq(await p.wait_for_text(CHANNELS, "b's verdict", 240.0), "all in order", "a: b got everything in order")


func transfer_as_receiver() -> void:
	await p.wait_for(func() -> bool: return not p.requests.is_empty(), "a session request", 90.0)
	p.steam.acceptSessionWithUser(p.peer_id)
	# The request comes with a's connection, as on Steam: over a lossy link its first message may still be
	# on the way.
	t.eq(await p.wait_for_text(0, "a's hello", 90.0), "hello", "b: a's first message arrives")
	p.send_text("ready")
	var next := [0, 1, 2]
	var wrong := [0]
	var received := [0]
	await p.wait_for(func() -> bool:
		for channel in CHANNELS:
			for message in p.steam.receiveMessagesOnChannel(channel, 1000):
				var index: int = message["payload"].decode_u32(0)
				if index != next[channel]:
					wrong[0] += 1
				next[channel] = index + CHANNELS
				received[0] += 1
		return received[0] >= COUNT, "%d reliable messages" % COUNT, 240.0)
	t.eq(received[0], COUNT, "b: all %d messages arrived through 20%% loss" % COUNT)
	t.eq(wrong[0], 0, "b: exactly once and in order")
	p.send_text("all in order" if wrong[0] == 0 and received[0] == COUNT else "broken", p.RELIABLE, CHANNELS)
	await p.settle(30)


## Keeps talking while the harness cuts the link, until the session fails.
func survive_the_cut() -> void:
	var last := [0]
	await p.wait_for(func() -> bool:
		if Time.get_ticks_msec() - last[0] > 100:
			last[0] = Time.get_ticks_msec()
			p.send_text("ping", p.RELIABLE, 5)
		p.steam.receiveMessagesOnChannel(5, 100)
		return not p.failures.is_empty(), "session_failed after the cut", 60.0)
	if not p.failures.is_empty():
		t.eq(p.failures[0]["remote"], p.peer_id, "%s: session_failed names the peer" % p.role)
		t.eq(p.failures[0]["reason"], 5003, "%s: the reason is CONNECTION_END_MISC_TIMEOUT" % p.role)


## After the harness restores the link, a send with AUTORESTART_BROKEN_SESSION opens a working session.
func recover() -> void:
	var requests_before := p.requests.size()
	if p.role == "a":
		var last := [0]
		var reply := []
		await p.wait_for(func() -> bool:
			if Time.get_ticks_msec() - last[0] > 1000:
				last[0] = Time.get_ticks_msec()
				p.send_text("again", p.RELIABLE | AUTORESTART, 6)
			reply.append_array(p.steam.receiveMessagesOnChannel(6, 10))
			return not reply.is_empty(), "recovery", 90.0)
		t.ok(not reply.is_empty(), "a: AUTORESTART_BROKEN_SESSION recovered the session after the link came back")
		p.send_text("thanks", p.RELIABLE, 7)
		await p.linger()
	else:
		await p.wait_for(func() -> bool: return p.requests.size() > requests_before, "a's fresh session", 90.0)
		t.eq(p.steam.acceptSessionWithUser(p.peer_id), true, "b: accepts the fresh session")
		t.eq(p.send_text("recovered", p.RELIABLE | AUTORESTART, 6), 1, "b: answers on the fresh session")
		# Stay until a has the answer: quitting drops what is still in flight over the lossy link.
		t.eq(await p.wait_for_text(7, "a's thanks", 60.0), "thanks", "b: a got the answer")
