## Two processes with the GodotSteam look-alike and our addon on the Steam backend over the Steam API stand-in,
## where nobody pumps GodotSteam: it is initialised without embed_callbacks and the script never calls
## Steam.run_callbacks(). Our own per-frame pump (SteamAPI_RunCallbacks) is then what runs GodotSteam's callback
## objects, so every handler of GodotSteam's signals runs inside our pump. Such a handler must be able to call
## all of ours, as GodotSteam's tutorials do (accept from network_messages_session_request), including our
## run_callbacks(), a nested pump which must do no harm.
extends SceneTree

const Check = preload("res://lib/check.gd")
const BASE_ID := 76561197960265728
const RELIABLE := 8
const TIMEOUT_MS := 60000

var t := Check.new()
var role := ""
var peer := 0
var ours: Object
var steam: Object
var handled := 0


func _initialize() -> void:
	for arg in OS.get_cmdline_user_args():
		if arg.begins_with("--role="):
			role = arg.get_slice("=", 1)
		elif arg.begins_with("--peer-local-id="):
			peer = BASE_ID + int(arg.get_slice("=", 1))
	ours = Engine.get_singleton("SteamNetworkingMessages")
	steam = Engine.get_singleton("Steam")
	steam.network_messages_session_request.connect(_on_godotsteam_request)
	t.eq(ours.steamInitEx()["status"], 0, "%s: ours initialises first" % role)
	t.eq(steam.steamInitEx(0, false)["status"], 0, "%s: GodotSteam joins, not pumped by anyone else" % role)

	if role == "a":
		t.eq(ours.sendMessageToUser(peer, "hello".to_utf8_buffer(), RELIABLE, 0), 1, "a: send returns RESULT_OK")
		t.eq(await _text(0), "hi", "a: b answered")
	else:
		await _until(func() -> bool: return handled > 0)
		t.eq(handled, 1, "b: GodotSteam's handler ran once, to its end")
		t.eq(await _text(0), "hello", "b: a's message arrives once accepted from the handler")
		t.eq(ours.sendMessageToUser(peer, "hi".to_utf8_buffer(), RELIABLE, 0), 1, "b: reply returns RESULT_OK")
	await _frames(60)
	ours.steamShutdown()
	steam.steamShutdown()
	t.finish(self)


## Runs inside our frame pump: GodotSteam's objects are run by our SteamAPI_RunCallbacks.
func _on_godotsteam_request(remote: int) -> void:
	t.eq(remote, peer, "%s: GodotSteam's network_messages_session_request names the peer" % role)
	t.ok(ours.acceptSessionWithUser(remote), "%s: ours accepts from inside its own pump" % role)
	var info: Dictionary = ours.getSessionConnectionInfo(remote, true, true)
	t.ok(int(info.get("connection_state", 0)) > 0, "%s: ours reports the accepted session" % role)
	ours.run_callbacks()
	t.eq(ours.getSteamID(), steam.getSteamID(), "%s: ours still answers after a nested run_callbacks()" % role)
	handled += 1


func _text(channel: int) -> String:
	var got := []
	await _until(func() -> bool:
		got.append_array(ours.receiveMessagesOnChannel(channel, 1))
		return not got.is_empty())
	return "" if got.is_empty() else got[0]["payload"].get_string_from_utf8()


func _until(condition: Callable) -> void:
	var deadline := Time.get_ticks_msec() + TIMEOUT_MS
	while not condition.call():
		if Time.get_ticks_msec() > deadline:
			t.ok(false, "%s: timed out" % role)
			return
		await process_frame


func _frames(count: int) -> void:
	for i in count:
		await process_frame
