## closeSessionWithUser and closeChannelWithUser as both sides see them, and AUTORESTART_BROKEN_SESSION.
extends SceneTree

const Check = preload("res://lib/check.gd")
const Peer = preload("res://lib/peer.gd")
const AUTORESTART := 32
const CLOSED_BY_PEER := 4

var t := Check.new()
var p: Peer


func state_of(peer: int) -> int:
	return p.steam.getSessionConnectionInfo(peer, false, false).get("connection_state", -99)


func _initialize() -> void:
	p = Peer.new(self, t)
	if p.role == "a":
		await run_a()
	else:
		await run_b()
	t.eq(p.failures, [], "%s: closing posts no session_failed" % p.role)
	await p.settle()
	t.finish(self)


func run_a() -> void:
	p.send_text("hello")
	t.eq(await p.wait_for_text(0, "ack"), "ack", "a: session is up")
	# b closes the session.
	await p.wait_for(func() -> bool: return state_of(p.peer_id) == CLOSED_BY_PEER, "closed by peer")
	t.eq(state_of(p.peer_id), CLOSED_BY_PEER, "a: the session reads CONNECTION_STATE_CLOSED_BY_PEER")
	t.eq(p.send_text("lost"), 3, "a: sending on the closed session returns RESULT_NO_CONNECTION")
	t.eq(p.send_text("again", p.RELIABLE | AUTORESTART), 1, "a: AUTORESTART_BROKEN_SESSION opens a fresh session")
	t.eq(await p.wait_for_text(0, "second ack"), "ack 2", "a: b accepted the fresh session")
	# b closes its last channel, which closes the session again.
	await p.wait_for(func() -> bool: return state_of(p.peer_id) == CLOSED_BY_PEER, "closed by peer again")
	t.eq(p.send_text("third", p.RELIABLE | AUTORESTART, 5), 1, "a: restart after the channel closed")
	t.eq(await p.wait_for_text(5, "third ack"), "ack 3", "a: b got a new request after its channel closed")


func run_b() -> void:
	await p.wait_for(func() -> bool: return p.requests.size() == 1, "the request")
	p.steam.acceptSessionWithUser(p.peer_id)
	t.eq(p.steam.receiveMessagesOnChannel(0, 10).size(), 1, "b: got hello")
	p.send_text("ack")
	await p.settle(5)
	t.eq(p.steam.closeSessionWithUser(p.peer_id), true, "b: closeSessionWithUser returns true")
	t.eq(state_of(p.peer_id), 0, "b: the session is gone at once")
	t.eq(p.steam.closeSessionWithUser(p.peer_id), false, "b: closing it again returns false")
	await p.wait_for(func() -> bool: return p.requests.size() == 2, "a new request after the close")
	t.eq(p.steam.receiveMessagesOnChannel(0, 10), [], "b: the new session is held until accepted")
	p.steam.acceptSessionWithUser(p.peer_id)
	var messages: Array = p.steam.receiveMessagesOnChannel(0, 10)
	t.eq(messages.size(), 1, "b: only the restarted session's message arrives (\"lost\" was never sent)")
	if messages.size() == 1:
		t.eq(messages[0]["payload"].get_string_from_utf8(), "again", "b: it is the restarted message")
	p.send_text("ack 2")
	await p.settle(5)
	t.eq(p.steam.closeChannelWithUser(p.peer_id, 0), true, "b: closeChannelWithUser returns true")
	t.eq(state_of(p.peer_id), 0, "b: closing the last open channel closed the session")
	await p.wait_for(func() -> bool: return p.requests.size() == 3, "a request after the channel closed")
	p.steam.acceptSessionWithUser(p.peer_id)
	t.eq(p.steam.receiveMessagesOnChannel(5, 10).size(), 1, "b: got the third message")
	p.send_text("ack 3", p.RELIABLE, 5)
	await p.settle(20)
