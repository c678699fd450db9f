## The hunt's close/reopen loop: b closes the session in every network_messages_session_request handler
## while a sends every frame with AUTORESTART_BROKEN_SESSION. Every cycle is a fresh session that b's next
## request closes again; none of a's sessions may fail (a close by the peer is not reported, as on Steam).
extends SceneTree

const Check = preload("res://lib/check.gd")
const Peer = preload("res://lib/peer.gd")
const AUTORESTART := 32
const CYCLES := 200

var t := Check.new()
var p: Peer
var closed := 0
var closing := true


func _initialize() -> void:
	p = Peer.new(self, t)
	if p.role == "a":
		await run_a()
	else:
		await run_b()
	await p.settle()
	t.finish(self)


func run_a() -> void:
	var results := {}
	var done := false
	var deadline := Time.get_ticks_msec() + 180_000
	while not done and Time.get_ticks_msec() < deadline:
		var result: int = p.steam.sendMessageToUser(p.peer_id, "again".to_utf8_buffer(), p.RELIABLE | AUTORESTART, 0)
		results[result] = results.get(result, 0) + 1
		if not p.failures.is_empty():
			break
		for message in p.steam.receiveMessagesOnChannel(1, 10):
			done = done or message["payload"].get_string_from_utf8() == "enough"
		await process_frame
	t.ok(done, "a: b said enough after its close/reopen cycles")
	t.eq(p.failures, [], "a: no session failed while b closed it in every request handler")
	t.ok(results.keys().all(func(result: int) -> bool: return result in [1, 25]), "a: every send returned RESULT_OK or RESULT_LIMIT_EXCEEDED (%s)" % [results])


func run_b() -> void:
	p.steam.network_messages_session_request.connect(func(remote: int) -> void:
		if closing and p.steam.closeSessionWithUser(remote):
			closed += 1)
	await p.wait_for(func() -> bool: return closed >= CYCLES, "%d sessions closed in the request handler" % CYCLES, 120.0)
	t.ok(closed >= CYCLES, "b: %d sessions opened by a and closed in the request handler" % closed)
	# Accept the next one, to tell a to stop.
	closing = false
	var seen := p.requests.size()
	await p.wait_for(func() -> bool: return p.requests.size() > seen, "one more request")
	p.steam.acceptSessionWithUser(p.peer_id)
	t.eq(p.send_text("enough", p.RELIABLE, 1), 1, "b: tells a to stop")
	await p.wait_for(func() -> bool: return p.steam.getSessionConnectionInfo(p.peer_id, false, true).get("pending_reliable", 1) == 0, "the stop message to leave", 30.0)
	await p.linger()
	t.eq(p.failures, [], "b: no session failed")
