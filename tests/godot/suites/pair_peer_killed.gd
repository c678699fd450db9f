## A peer killed mid-session is detected: network_messages_session_failed fires with a timeout reason and
## getSessionConnectionInfo reports it.
## allow-exit: b
extends SceneTree

const Check = preload("res://lib/check.gd")
const Peer = preload("res://lib/peer.gd")
const MISC_TIMEOUT := 5003
const PROBLEM_DETECTED_LOCALLY := 5

var t := Check.new()
var p: Peer


func _initialize() -> void:
	p = Peer.new(self, t)
	if p.role == "a":
		p.send_text("hello")
		t.eq(await p.wait_for_text(0, "goodbye"), "dying", "a: b answered before dying")
		await p.wait_for(func() -> bool: return not p.failures.is_empty(), "session_failed", 30.0)
		if not p.failures.is_empty():
			var failure: Dictionary = p.failures[0]
			t.eq(failure["remote"], p.peer_id, "a: the failure names b")
			t.eq(failure["reason"], MISC_TIMEOUT, "a: the reason is CONNECTION_END_MISC_TIMEOUT")
			t.eq(failure["state"], PROBLEM_DETECTED_LOCALLY, "a: the state is PROBLEM_DETECTED_LOCALLY")
			t.ok(failure["debug"] != "", "a: a debug message explains it: %s" % failure["debug"])
		var info: Dictionary = p.steam.getSessionConnectionInfo(p.peer_id, true, true)
		t.eq(info.get("connection_state"), PROBLEM_DETECTED_LOCALLY, "a: session info reports the problem")
		t.eq(info.get("end_reason"), MISC_TIMEOUT, "a: session info has the end reason")
		t.eq(p.send_text("anyone?"), 3, "a: sends return RESULT_NO_CONNECTION")
		t.finish(self)
	else:
		await p.wait_for(func() -> bool: return not p.requests.is_empty(), "the request")
		p.steam.acceptSessionWithUser(p.peer_id)
		p.send_text("dying")
		await p.settle(20)
		print("%d passed, %d failed" % [t.passed, t.failed])
		# Die without any shutdown: no goodbye reaches a.
		OS.kill(OS.get_process_id())
