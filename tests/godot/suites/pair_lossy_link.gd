## Over a bad link (the local backend's simulated 20% loss, 30 ms lag and 10 ms jitter on both sides),
## 10,000 reliable messages over three channels still arrive exactly once and in order, and unreliable ones
## arrive intact or not at all.
## args: --steam-fake-loss=20 --steam-fake-lag=30 --steam-fake-jitter=10
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
	t.eq(p.failures, [], "%s: the session survived the bad link" % p.role)
	if p.role == "b":
		# b sent the last message: stay until a has it and leaves.
		await p.linger()
	await p.settle(60)
	t.finish(self)


func run_sender() -> void:
	# Send once b's instance is up (it announces itself): a session to a peer that is not running yet fails
	# after the connect timeout, as on Steam, and b may start seconds later on a busy machine.
	await p.wait_for(func() -> bool: return p.steam.getVisiblePeers().has(p.peer_id), "b's instance is up", 90.0)
	p.send_text("hello")
	t.eq(await p.wait_for_text(0, "ready", 90.0), "ready", "a: connected over the bad link")
	for i in COUNT:
		var payload := PackedByteArray()
		payload.resize(8)
		payload.encode_u32(0, i)
		p.steam.sendMessageToUser(p.peer_id, payload, p.RELIABLE, i % CHANNELS)
		var junk := PackedByteArray()
		junk.resize(64)
		junk.fill(i % 256)
		p.steam.sendMessageToUser(p.peer_id, junk, p.UNRELIABLE, 9)
		if i % 500 == 0:
			await process_frame
	t.eq(await p.wait_for_text(CHANNELS, "b's verdict", 240.0), "all in order, unreliable intact", "a: b's verdict")


func run_receiver() -> void:
	await p.wait_for(func() -> bool: return not p.requests.is_empty(), "a session request", 90.0)
	p.steam.acceptSessionWithUser(p.peer_id)
	# The request comes with a's connection, as on Steam: over a lossy link its first message may still be
	# on the way.
	t.eq(await p.wait_for_text(0, "a's hello", 90.0), "hello", "b: a's first message arrives")
	p.send_text("ready")
	var next := [0, 1, 2]
	var wrong := []
	var received := [0]
	var unreliable := [0, 0]
	await p.wait_for(func() -> bool:
		for channel in CHANNELS:
			for message in p.steam.receiveMessagesOnChannel(channel, 1000):
				var index: int = message["payload"].decode_u32(0)
				if index != next[channel]:
					wrong.append([channel, index, next[channel]])
				next[channel] = index + CHANNELS
				received[0] += 1
		for message in p.steam.receiveMessagesOnChannel(9, 1000):
			var payload: PackedByteArray = message["payload"]
			var intact := payload.size() == 64
			for byte in payload:
				intact = intact and byte == payload[0]
			unreliable[0 if intact else 1] += 1
		return received[0] >= COUNT, "%d reliable messages" % COUNT, 240.0)
	t.eq(received[0], COUNT, "b: all %d reliable messages arrived" % COUNT)
	t.eq(wrong.slice(0, 5), [], "b: exactly once and in order on every channel")
	t.eq(unreliable[1], 0, "b: no corrupted unreliable message")
	t.ok(unreliable[0] < COUNT, "b: %d of %d unreliable messages arrived (some were lost)" % [unreliable[0], COUNT])
	var ok: bool = received[0] == COUNT and wrong.is_empty() and unreliable[1] == 0
	p.send_text("all in order, unreliable intact" if ok else "broken", p.RELIABLE, CHANNELS)
