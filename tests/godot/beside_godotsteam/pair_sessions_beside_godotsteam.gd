## Two processes, each with the GodotSteam look-alike and our addon on the Steam backend over the Steam API
## stand-in, set up the two ways games do it:
## - a: GodotSteam initialises first and pumps callbacks itself every frame (embed_callbacks);
## - b: ours initialises first; GodotSteam second, pumped by the script's own Steam.run_callbacks().
## One Steam callback reaches both extensions' signals whoever pumps; b accepts the session from GodotSteam's
## signal handler (as GodotSteam's tutorials do), calling ours while Steam is running callbacks; messages
## then flow both ways. The stand-in aborts if the two dispatch styles are mixed.
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
var our_requests: Array = []
var its_requests: Array = []
var pumping := false


func _initialize() -> void:
	for arg in OS.get_cmdline_user_args():
		if arg.begins_with("--role="):
			role = arg.get_slice("=", 1)
		elif arg.begins_with("--peer-local-id="):
			peer = BASE_ID + int(arg.get_slice("=", 1))
	ours = Engine.get_singleton("SteamNetworkingMessages")
	steam = Engine.get_singleton("Steam")
	ours.network_messages_session_request.connect(func(remote: int) -> void: our_requests.append(remote))
	steam.network_messages_session_request.connect(_on_godotsteam_request)
	if role == "a":
		t.eq(steam.steamInitEx(0, true)["status"], 0, "a: GodotSteam initialises first, embedding callbacks")
		t.eq(ours.steamInitEx()["status"], 0, "a: ours initialises second")
	else:
		t.eq(ours.steamInitEx()["status"], 0, "b: ours initialises first")
		t.eq(steam.steamInitEx(0, false)["status"], 0, "b: GodotSteam initialises second")
		pumping = true
	t.eq(ours.getSteamID(), steam.getSteamID(), "%s: both extensions see the same user" % role)

	if role == "a":
		t.eq(ours.sendMessageToUser(peer, "hello".to_utf8_buffer(), RELIABLE, 0), 1, "a: send returns RESULT_OK")
		t.eq(await _text(0), "hi", "a: b answered")
	else:
		await _until(func() -> bool: return not its_requests.is_empty() and not our_requests.is_empty())
		t.ok(its_requests.has(peer), "b: GodotSteam's network_messages_session_request names a")
		t.ok(our_requests.has(peer), "b: our network_messages_session_request names a")
		t.eq(await _text(0), "hello", "b: a's message arrives once accepted")
		t.eq(ours.sendMessageToUser(peer, "hi".to_utf8_buffer(), RELIABLE, 0), 1, "b: reply returns RESULT_OK")
	# Both stay until each has what it waits for, then a little longer for the last packets.
	await _frames(60)
	pumping = false
	ours.steamShutdown()
	steam.steamShutdown()
	t.finish(self)


## GodotSteam's tutorials accept in the handler of `Steam`'s signal, which runs inside SteamAPI_RunCallbacks.
func _on_godotsteam_request(remote: int) -> void:
	its_requests.append(remote)
	t.ok(ours.acceptSessionWithUser(remote), "%s: ours accepts from GodotSteam's signal handler" % role)


func _process(_delta: float) -> bool:
	if pumping:
		steam.run_callbacks()
	return false


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
