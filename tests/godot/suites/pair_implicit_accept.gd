## Sending to a peer that requested a session accepts it: no acceptSessionWithUser call needed.
extends SceneTree

const Check = preload("res://lib/check.gd")
const Peer = preload("res://lib/peer.gd")

var t := Check.new()
var p: Peer


func _initialize() -> void:
	p = Peer.new(self, t)
	if p.backend == "local":
		# Both instances are alive from here until each has seen the other.
		await p.wait_for(func() -> bool: return p.steam.getVisiblePeers().has(p.peer_id), "presence")
		t.ok(p.steam.getVisiblePeers().has(p.peer_id), "%s: getVisiblePeers lists the other instance" % p.role)
	if p.role == "a":
		p.send_text("ping")
		t.eq(await p.wait_for_text(0, "pong"), "pong", "a: b answered without accepting explicitly")
		t.eq(p.requests, [], "a: no request for the session a started")
		p.send_text("bye")
	else:
		await p.wait_for(func() -> bool: return not p.requests.is_empty(), "the request")
		t.eq(p.send_text("pong"), 1, "b: sending to the requester returns RESULT_OK")
		var held: Array = p.steam.receiveMessagesOnChannel(0, 10)
		t.eq(held.size(), 1, "b: sending released a's held message")
		t.eq(await p.wait_for_text(0, "bye"), "bye", "b: later messages arrive directly")
		t.eq(p.requests.size(), 1, "b: a single request for one session")
	t.eq(p.failures, [], "%s: no session failed" % p.role)
	await p.settle()
	t.finish(self)
