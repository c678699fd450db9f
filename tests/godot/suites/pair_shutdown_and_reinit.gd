## steamShutdown() with open sessions, initialising again afterwards, and quitting mid-transfer leave nothing
## behind: the port is free again, the peer sees the session closed, and both processes exit cleanly.
extends SceneTree

const Check = preload("res://lib/check.gd")
const Peer = preload("res://lib/peer.gd")
const CLOSED_BY_PEER := 4

var t := Check.new()
var p: Peer


func _initialize() -> void:
	p = Peer.new(self, t)
	if p.role == "a":
		await run_a()
	else:
		await run_b()
	t.finish(self)


func blast(count: int) -> void:
	var payload := PackedByteArray()
	payload.resize(1000)
	for i in count:
		p.steam.sendMessageToUser(p.peer_id, payload, p.RELIABLE, 1)


func run_a() -> void:
	p.send_text("hello")
	t.eq(await p.wait_for_text(0, "ack"), "ack", "a: session is up")
	blast(2000)
	await process_frame
	# Shut down in the middle of the transfer, with the session open.
	p.steam.steamShutdown()
	t.eq(p.steam.getSteamID(), 0, "a: shut down")
	t.eq(p.steam.sendMessageToUser(p.peer_id, PackedByteArray([1]), p.RELIABLE, 0), 0, "a: calls after steamShutdown report not initialised")
	var again: Dictionary = p.steam.steamInitEx()
	t.eq(again.get("status"), 0, "a: initialises again on the same local ID (the port was released)")
	t.eq(p.steam.getSteamID(), p.my_id, "a: same Steam ID after re-initialising")
	t.eq(p.send_text("back"), 1, "a: a fresh session after re-initialising")
	t.eq(await p.wait_for_text(0, "welcome back"), "welcome back", "a: b accepted the fresh session")
	blast(2000)
	# Quit with data still in flight; the runner checks the exit code and the log.
	await process_frame


func run_b() -> void:
	await p.wait_for(func() -> bool: return p.requests.size() == 1, "the request")
	p.steam.acceptSessionWithUser(p.peer_id)
	p.steam.receiveMessagesOnChannel(0, 10)
	p.send_text("ack")
	await p.wait_for(func() -> bool:
		p.steam.receiveMessagesOnChannel(1, 10000)
		return p.steam.getSessionConnectionInfo(p.peer_id, false, false).get("connection_state") == CLOSED_BY_PEER,
		"a's shutdown to close the session")
	t.ok(true, "b: a's steamShutdown closed the session for b")
	await p.wait_for(func() -> bool: return p.requests.size() == 2, "a's fresh session")
	p.steam.acceptSessionWithUser(p.peer_id)
	var messages: Array = p.steam.receiveMessagesOnChannel(0, 10)
	t.eq(messages.size(), 1, "b: the fresh session's message arrives")
	p.send_text("welcome back")
	var received := [0]
	await p.wait_for(func() -> bool:
		received[0] += p.steam.receiveMessagesOnChannel(1, 10000).size()
		return p.steam.getSessionConnectionInfo(p.peer_id, false, false).get("connection_state") != 3,
		"a to quit")
	# Quitting drops whatever was still queued: how much arrived is not a guarantee, only information.
	print("b: %d messages arrived before a quit" % received[0])
	t.eq(p.failures, [], "b: a quitting closed the session rather than failing it")
