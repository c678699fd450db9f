## Unreliable messages arrive intact or not at all, and never before the session is accepted.
extends SceneTree

const Check = preload("res://lib/check.gd")
const Peer = preload("res://lib/peer.gd")
const COUNT := 2000
const SIZE := 200

var t := Check.new()
var p: Peer


func make_payload(index: int) -> PackedByteArray:
	var payload := PackedByteArray()
	payload.resize(SIZE)
	for i in SIZE:
		payload[i] = (index * 31 + i) % 251
	payload.encode_u32(0, index)
	return payload


func _initialize() -> void:
	p = Peer.new(self, t)
	if p.role == "a":
		p.send_text("open", p.RELIABLE, 0)
		t.eq(await p.wait_for_text(0, "ready"), "ready", "a: b accepted")
		for i in COUNT:
			p.steam.sendMessageToUser(p.peer_id, make_payload(i), p.UNRELIABLE, 1)
			if i % 100 == 0:
				await process_frame
		p.send_text("sent", p.RELIABLE, 0)
		t.eq(await p.wait_for_text(0, "verdict"), "intact", "a: everything b got was intact")
	else:
		await p.wait_for(func() -> bool: return not p.requests.is_empty(), "the request")
		p.steam.acceptSessionWithUser(p.peer_id)
		p.steam.receiveMessagesOnChannel(0, 10)
		p.send_text("ready")
		var got := [0]
		var corrupt := [0]
		var done := [false]
		await p.wait_for(func() -> bool:
			for message in p.steam.receiveMessagesOnChannel(1, 1000):
				got[0] += 1
				var payload: PackedByteArray = message["payload"]
				if payload != make_payload(payload.decode_u32(0)) or message["flags"] & 8 != 0:
					corrupt[0] += 1
			for message in p.steam.receiveMessagesOnChannel(0, 10):
				done[0] = true
			return done[0], "a's end marker")
		for i in 20:
			await process_frame
			got[0] += p.steam.receiveMessagesOnChannel(1, 1000).size()
		t.eq(corrupt[0], 0, "b: no unreliable message was corrupted")
		t.ok(got[0] > 0 and got[0] <= COUNT, "b: %d of %d unreliable messages arrived" % [got[0], COUNT])
		p.send_text("intact" if corrupt[0] == 0 else "corrupt")
	await p.settle()
	t.finish(self)
