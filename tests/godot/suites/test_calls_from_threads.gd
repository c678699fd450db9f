## Calls from a GDScript Thread are refused with an error naming the thread rule, never run off the main
## thread (the backend is not thread-safe) and never crash; the main thread keeps working afterwards. Each
## refused call stops its thread function with one script error.
## args: --steam-backend=local --steam-local-id=45
## expect-script-errors: 3
## expect-panics: 3
extends SceneTree

const Check = preload("res://lib/check.gd")
const RELIABLE := 8

var t := Check.new()
var steam: Object
var me := 0
## What each thread function got to before its call was refused.
var reached := {}


func _initialize() -> void:
	steam = Engine.get_singleton("SteamNetworkingMessages")
	t.eq(steam.steamInitEx()["status"], 0, "the local backend initialises")
	me = steam.getSteamID()
	for function in [send_from_thread, receive_from_thread, session_info_from_thread]:
		var thread := Thread.new()
		thread.start(function)
		t.eq(thread.wait_to_finish(), null, "%s: the call is refused" % function.get_method())
	t.eq(reached, {}, "no thread got past its call")
	t.eq(steam.sendMessageToUser(me, PackedByteArray([1, 2]), RELIABLE, 0), 1,
		"the main thread still sends afterwards")
	var messages := []
	for frame in 300:
		steam.acceptSessionWithUser(me)
		messages.append_array(steam.receiveMessagesOnChannel(0, 10))
		if not messages.is_empty():
			break
		await process_frame
	t.eq(messages.map(func(message): return message["payload"]), [PackedByteArray([1, 2])],
		"and receives its own message once")
	t.finish(self)


func send_from_thread() -> Variant:
	var result = steam.sendMessageToUser(me, PackedByteArray([9]), RELIABLE, 0)
	reached["send"] = result
	return result


func receive_from_thread() -> Variant:
	var result = steam.receiveMessagesOnChannel(0, 10)
	reached["receive"] = result
	return result


func session_info_from_thread() -> Variant:
	var result = steam.getSessionConnectionInfo(me, true, true)
	reached["session info"] = result
	return result
