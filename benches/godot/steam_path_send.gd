## The extension's own cost of a send on the Steam backend: `Steam.sendMessageToUser` into a `libsteam_api`
## whose `SendMessageToUser` does nothing (the test tree's stand-in with STEAM_STAND_IN_DISCARD_SENDS=1), and,
## in the same process, the floor of any call into the extension with the same arguments (an internal
## do-nothing method). Both are timed alike: loops of 1,000 calls, one loop a frame, after a warm-up, both
## through an untyped reference (the internal class cannot be named in GDScript, which a typed, validated
## call needs), so the difference is the extension's own work on the Steam path.
##
## User arguments: --role=a|b --count=N (a measures; b only stands by until stopped)
extends SceneTree

const Bench = preload("res://lib/bench.gd")
const PAYLOAD_SIZE := 100
const CHUNK := 1000
const SEND_RELIABLE := 8
const RESULT_OK := 1


func _initialize() -> void:
	var args := Bench.user_args()
	if args.get("role", "a") == "b":
		print("BENCH_READY")
		return
	var init: Dictionary = Steam.steamInitEx()
	if init.get("status") != 0:
		Bench.fail("steamInitEx failed: %s" % init.get("verbal"))
		quit(1)
		return
	if Steam.getBackend() != "steam":
		Bench.fail("expected the Steam backend, got '%s'" % Steam.getBackend())
		quit(1)
		return
	var count := maxi(int(args.get("count", "60000")), CHUNK)
	var payload := Bench.payload(PAYLOAD_SIZE)
	# Any individual account's Steam ID: the stand-in discards the message.
	var peer_id := Bench.BASE_ID + 9
	var floor_probe: Object = ClassDB.instantiate("SteamMessagesCallFloor")
	var api: Object = Steam
	var steam_usec := 0
	var floor_usec := 0
	var timed := 0
	var failed := 0
	# The first round warms up and is not counted.
	for round in 2:
		var done := 0
		while done < count:
			var start := Time.get_ticks_usec()
			for i in CHUNK:
				if api.sendMessageToUser(peer_id, payload, SEND_RELIABLE, 0) != RESULT_OK:
					failed += 1
			var middle := Time.get_ticks_usec()
			for i in CHUNK:
				floor_probe.sendMessageToUser(peer_id, payload, SEND_RELIABLE, 0)
			var end := Time.get_ticks_usec()
			if round > 0:
				steam_usec += middle - start
				floor_usec += end - middle
				timed += CHUNK
			done += CHUNK
			await process_frame
	if failed > 0:
		Bench.fail("%d sends failed" % failed)
		quit(1)
		return
	Bench.emit({
		"bench": "steam-path-send", "impl": "steam", "count": timed,
		"ns_per_message": steam_usec * 1000.0 / timed, "floor_ns_per_call": floor_usec * 1000.0 / timed,
	})
	Steam.steamShutdown()
	quit(0)
