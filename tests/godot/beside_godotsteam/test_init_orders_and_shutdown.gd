## One process with a GodotSteam look-alike (tests/godotsteam-like: the `Steam` singleton, Valve's C++ callback
## objects, SteamAPI_RunCallbacks) and our addon on the Steam backend, over the Steam API stand-in, which
## aborts on a broken Steam rule. Who owns `Steam`, both initialisation orders, GodotSteam's steamShutdown()
## followed by our calls, and our steamShutdown() leaving GodotSteam's Steam running.
extends SceneTree

const Check = preload("res://lib/check.gd")

var t := Check.new()


func _initialize() -> void:
	var ours: Object = Engine.get_singleton("SteamNetworkingMessages")
	var steam: Object = Engine.get_singleton("Steam")
	t.ok(steam != null and steam != ours, "Steam is the other extension's singleton, not our alias")
	t.eq(steam.get_class(), "Steam", "Steam is GodotSteam's class")
	t.eq(ours.get_class(), "SteamNetworkingMessages", "ours stays reachable as SteamNetworkingMessages")

	# GodotSteam first, as a game that has used it for lobbies does.
	t.eq(steam.steamInitEx(0, true)["status"], 0, "GodotSteam initialises Steam first")
	t.eq(ours.steamInitEx()["status"], 0, "ours joins the Steam it started")
	t.eq(ours.getBackend(), "steam", "ours runs the Steam backend")
	var me: int = steam.getSteamID()
	t.ok(me != 0, "GodotSteam sees a user")
	t.eq(ours.getSteamID(), me, "both see the same user")
	await _frames(5)

	# GodotSteam shuts Steam down: our calls answer as before initialisation instead of using a dead interface.
	steam.steamShutdown()
	var other := me + 1
	t.eq(ours.sendMessageToUser(other, PackedByteArray([1, 2, 3]), 8, 0), 0, "send after its shutdown returns 0, as before initialisation")
	t.eq(ours.receiveMessagesOnChannel(0, 10), [], "receive after its shutdown returns []")
	t.eq(ours.acceptSessionWithUser(other), false, "accept after its shutdown returns false")
	t.eq(ours.closeSessionWithUser(other), false, "closeSession after its shutdown returns false")
	t.eq(ours.closeChannelWithUser(other, 0), false, "closeChannel after its shutdown returns false")
	t.eq(ours.getSessionConnectionInfo(other, true, true), {}, "session info after its shutdown is {}")
	t.eq(ours.getSteamID(), 0, "getSteamID after its shutdown is 0")
	t.eq(ours.getBackend(), "", "no backend runs after its shutdown")
	await _frames(5)

	# Steam again: GodotSteam re-initialises it and ours follows.
	t.eq(steam.steamInitEx(0, true)["status"], 0, "GodotSteam initialises Steam again")
	t.eq(ours.steamInitEx()["status"], 0, "ours initialises again after its shutdown")
	t.eq(ours.getSteamID(), steam.getSteamID(), "both see the user again")
	await _frames(5)

	# Our shutdown does not end the Steam GodotSteam uses.
	ours.steamShutdown()
	t.ok(steam.getSteamID() != 0, "GodotSteam's Steam runs on after our steamShutdown")
	t.ok(steam.loggedOn(), "GodotSteam still logged on after our steamShutdown")
	steam.steamShutdown()
	await _frames(2)

	# Ours first (it starts Steam), GodotSteam second, pumping only when the script calls run_callbacks().
	t.eq(ours.steamInitEx()["status"], 0, "ours initialises Steam first")
	t.eq(steam.steamInitEx(0, false)["status"], 0, "GodotSteam initialises after us")
	t.eq(steam.getSteamID(), ours.getSteamID(), "both see the same user in this order too")
	for i in 5:
		steam.run_callbacks()
		ours.run_callbacks()
		await process_frame
	ours.steamShutdown()
	t.ok(steam.getSteamID() != 0, "beside GodotSteam, ours never shuts Steam down, even when it started it")
	steam.steamShutdown()
	t.eq(ours.getSteamID(), 0, "after both shut down, ours is not initialised")
	t.finish(self)


func _frames(count: int) -> void:
	for i in count:
		await process_frame
