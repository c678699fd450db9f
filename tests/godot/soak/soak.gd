## The soak run (`cargo xtask soak --minutes N`, not in CI): steady reliable and unreliable traffic both ways
## with session churn (a closes and reopens the session every 20 s); resident memory sampled every 10 s must
## stay flat after the first minute, and the runner fails on leak warnings at exit.
extends SceneTree

const Check = preload("res://lib/check.gd")
const Peer = preload("res://lib/peer.gd")
const AUTORESTART := 32

var t := Check.new()
var p: Peer


func resident_kib() -> int:
	# /proc files report no size, so read it through a process that prints it.
	var output := []
	OS.execute("grep", ["VmRSS", "/proc/%d/status" % OS.get_process_id()], output)
	if output.is_empty() or not String(output[0]).contains(":"):
		return -1
	return int(String(output[0]).split(":")[1].strip_edges().split(" ")[0])


func _initialize() -> void:
	p = Peer.new(self, t)
	var minutes := 1.0
	for arg in OS.get_cmdline_user_args():
		if arg.begins_with("--minutes="):
			minutes = float(arg.get_slice("=", 1))
	var end := Time.get_ticks_msec() + int(minutes * 60000.0)
	var next_sample := Time.get_ticks_msec()
	var next_churn := Time.get_ticks_msec() + 20000
	var samples: Array[int] = []
	var sent := 0
	var received := 0
	var payload := PackedByteArray()
	payload.resize(200)
	while Time.get_ticks_msec() < end:
		for i in 20:
			if p.steam.sendMessageToUser(p.peer_id, payload, p.RELIABLE | AUTORESTART, i % 4) == 1:
				sent += 1
		p.steam.sendMessageToUser(p.peer_id, payload, p.UNRELIABLE | AUTORESTART, 9)
		for request in p.requests:
			p.steam.acceptSessionWithUser(request)
		p.requests.clear()
		for channel in [0, 1, 2, 3, 9]:
			received += p.steam.receiveMessagesOnChannel(channel, 1000).size()
		if p.role == "a" and Time.get_ticks_msec() > next_churn:
			next_churn += 20000
			p.steam.closeSessionWithUser(p.peer_id)
		if Time.get_ticks_msec() >= next_sample:
			next_sample += 10000
			samples.append(resident_kib())
			print("SOAK rss_kib=%d sent=%d received=%d" % [samples[-1], sent, received])
		await process_frame
	t.ok(received > 0, "%s: traffic flowed (%d sent, %d received)" % [p.role, sent, received])
	if samples.size() >= 8:
		var settled := samples[6]
		var last := samples[-1]
		t.ok(last - settled < max(settled / 20, 4096), "%s: resident memory flat after the first minute (%d -> %d KiB)" % [p.role, settled, last])
	t.eq(p.failures.filter(func(f: Dictionary) -> bool: return f["reason"] != 5003), [], "%s: no unexpected session failures" % p.role)
	p.steam.closeSessionWithUser(p.peer_id)
	await p.settle(30)
	t.finish(self)
