## GodotSteam's older identity-reference API: names stand for Steam IDs wherever a Steam ID is taken.
extends SceneTree

const Check = preload("res://lib/check.gd")
const ALICE := 76561197960287930

var t := Check.new()
var steam: Object


func _init() -> void:
	steam = Engine.get_singleton("SteamNetworkingMessages")
	reference_holds_the_steam_id_set_on_it()
	added_reference_starts_without_steam_id()
	cleared_reference_loses_its_steam_id()
	unknown_reference_reads_as_zero()
	references_are_accepted_where_steam_ids_are()
	t.finish(self)


func reference_holds_the_steam_id_set_on_it() -> void:
	steam.setIdentitySteamID64("host", ALICE)
	t.eq(steam.getIdentitySteamID64("host"), ALICE, "getIdentitySteamID64 returns the Steam ID set")


func added_reference_starts_without_steam_id() -> void:
	t.eq(steam.addIdentity("guest"), true, "addIdentity returns true")
	t.eq(steam.getIdentitySteamID64("guest"), 0, "a new reference has Steam ID 0")


func cleared_reference_loses_its_steam_id() -> void:
	steam.setIdentitySteamID64("temp", ALICE)
	steam.clearIdentity("temp")
	t.eq(steam.getIdentitySteamID64("temp"), 0, "clearIdentity resets the Steam ID")


func unknown_reference_reads_as_zero() -> void:
	t.eq(steam.getIdentitySteamID64("nobody"), 0, "an unknown reference reads as 0")


func references_are_accepted_where_steam_ids_are() -> void:
	# Not initialised: the call fails for that reason, not for the argument type.
	t.eq(steam.acceptSessionWithUser("host"), false, "acceptSessionWithUser takes a reference name")
	t.eq(steam.acceptSessionWithUser("steamid:%d" % ALICE), false, "acceptSessionWithUser takes a Steam identity string")
	t.eq(steam.closeSessionWithUser("host"), false, "closeSessionWithUser takes a reference name")
	t.eq(steam.sendMessageToUser(steam.getIdentitySteamID64("host"), PackedByteArray([1]), 8, 0), 0, "sendMessageToUser takes the int a reference resolves to")
