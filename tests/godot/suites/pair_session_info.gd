## getSessionConnectionInfo returns real values, and payload size limits hold between two processes.
extends SceneTree

const Check = preload("res://lib/check.gd")
const Peer = preload("res://lib/peer.gd")
const MAX_SIZE := 524288

var t := Check.new()
var p: Peer


func _initialize() -> void:
	p = Peer.new(self, t)
	if p.role == "a":
		p.send_text("hello")
		t.eq(await p.wait_for_text(0, "ready"), "ready", "a: connected")
		await check_info()
		var big := PackedByteArray()
		big.resize(MAX_SIZE)
		for i in MAX_SIZE:
			big[i] = i % 253
		var too_big := PackedByteArray()
		too_big.resize(MAX_SIZE + 1)
		t.eq(p.steam.sendMessageToUser(p.peer_id, too_big, p.RELIABLE, 2), 8, "a: MAX_STEAM_PACKET_SIZE + 1 bytes returns RESULT_INVALID_PARAM")
		t.eq(p.steam.sendMessageToUser(p.peer_id, big, p.RELIABLE, 2), 1, "a: exactly MAX_STEAM_PACKET_SIZE bytes is sent")
		t.eq(await p.wait_for_text(0, "verdict"), "512 KiB intact", "a: b got the largest message intact")
	else:
		await p.wait_for(func() -> bool: return not p.requests.is_empty(), "the request")
		p.steam.acceptSessionWithUser(p.peer_id)
		p.steam.receiveMessagesOnChannel(0, 10)
		p.send_text("ready")
		var got := []
		await p.wait_for(func() -> bool:
			got.append_array(p.steam.receiveMessagesOnChannel(2, 10))
			return not got.is_empty(), "the big message")
		var expected := PackedByteArray()
		expected.resize(MAX_SIZE)
		for i in MAX_SIZE:
			expected[i] = i % 253
		var intact: bool = got.size() == 1 and got[0]["size"] == MAX_SIZE and got[0]["payload"] == expected
		t.ok(intact, "b: the 512 KiB message arrived intact")
		p.send_text("512 KiB intact" if intact else "broken")
	await p.settle()
	t.finish(self)


func check_info() -> void:
	# Let traffic flow for over a second so the rates have a full window.
	for i in 80:
		p.steam.sendMessageToUser(p.peer_id, PackedByteArray([1, 2, 3]), p.RELIABLE, 7)
		await process_frame
	var start := Time.get_ticks_msec()
	while Time.get_ticks_msec() - start < 1200:
		p.steam.sendMessageToUser(p.peer_id, PackedByteArray([1, 2, 3]), p.RELIABLE, 7)
		await process_frame
	var info: Dictionary = p.steam.getSessionConnectionInfo(p.peer_id, true, true)
	var keys := ["connection_state", "identity", "user_data", "listen_socket", "remote_address", "remote_pop",
		"pop_relay", "end_reason", "end_debug", "debug_description", "info_flags", "state", "ping",
		"local_quality", "remote_quality", "packets_out_per_second", "bytes_out_per_second",
		"packets_in_per_second", "bytes_in_per_second", "send_rate", "pending_unreliable", "pending_reliable",
		"sent_unacknowledged_reliable", "queue_time"]
	t.eq(info.keys(), keys, "a: GodotSteam's keys in GodotSteam's order")
	t.eq(info.get("connection_state"), 3, "a: connection_state is CONNECTED")
	t.eq(info.get("state"), 3, "a: state is CONNECTED")
	t.eq(info.get("identity"), p.peer_id, "a: identity is b")
	t.eq(info.get("remote_address"), "127.0.0.1", "a: remote_address is b's address")
	t.ok(info.get("ping", -1) >= 0 and info.get("ping", -1) < 1000, "a: ping is measured (%s ms)" % info.get("ping"))
	t.ok(info.get("packets_out_per_second", 0.0) > 0.0, "a: packets out per second > 0 (%s)" % info.get("packets_out_per_second"))
	t.ok(info.get("bytes_out_per_second", 0.0) > 0.0, "a: bytes out per second > 0 (%s)" % info.get("bytes_out_per_second"))
	t.eq(info.get("end_reason"), 0, "a: no end reason on a live session")
	t.ok(String(info.get("debug_description", "")).contains(str(p.peer_id)), "a: debug_description names the peer")
	var only_state: Dictionary = p.steam.getSessionConnectionInfo(p.peer_id, false, false)
	t.eq(only_state.keys(), ["connection_state"], "a: without details only connection_state")
	var nobody: Dictionary = p.steam.getSessionConnectionInfo(76561197960265727 + 999, true, true)
	t.eq(nobody.get("connection_state"), 0, "a: no session reads CONNECTION_STATE_NONE")
	t.eq(nobody.get("ping"), 0, "a: no session has zeros, not garbage")
