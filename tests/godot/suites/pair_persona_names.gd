## Persona names, GodotSteam's getPersonaName / getFriendPersonaName / persona_state_change. On the local backend
## each instance announces its name with its presence: the other's arrives once, with NAME and NAME_FIRST_SET,
## and reads back by Steam ID; by default an instance is "Player <local ID>". On the Steam backend these are
## GodotSteam's to answer: "" and no signal.
extends SceneTree

const Check = preload("res://lib/check.gd")
const ErrorLog = preload("res://lib/error_log.gd")
const Peer = preload("res://lib/peer.gd")
const PERSONA_CHANGE_NAME := 1
const PERSONA_CHANGE_NAME_FIRST_SET := 1024
## Several presence announcements (one a second): time for a repeated name to show up as a second signal.
const ANNOUNCEMENTS_S := 3.5

var t := Check.new()
var p: Peer
var changes: Array = []


func _initialize() -> void:
	p = Peer.new(self, t)
	# Only the peer's: other instances of the same app on this machine announce themselves too.
	p.steam.persona_state_change.connect(func(steam_id: int, flags: int) -> void:
		if steam_id == p.peer_id:
			changes.append([steam_id, flags]))
	if p.backend == "local":
		await _names_on_the_local_backend()
	else:
		await _names_on_steam()
	p.send_text("seen")
	t.eq(await p.wait_for_text(0, "the peer's seen"), "seen", "%s: the peer is done too" % p.role)
	await p.settle()
	t.finish(self)


func _names_on_the_local_backend() -> void:
	var mine := "Player %d" % (p.my_id - p.BASE_ID)
	var theirs := "Player %d" % (p.peer_id - p.BASE_ID)
	t.eq(p.steam.getPersonaName(), mine, "%s: the default name says the local ID" % p.role)
	t.eq(p.steam.getFriendPersonaName(p.my_id), mine, "%s: our own Steam ID gives our own name" % p.role)
	t.eq(p.steam.getFriendPersonaName(p.BASE_ID + 1000000), "", "%s: a user never heard of has no name yet" % p.role)
	t.eq(p.steam.getFriendPersonaName(0), "", "%s: an invalid Steam ID has none" % p.role)
	t.eq(p.steam.requestUserInformation(p.BASE_ID + 1000000, true), true, "%s: requestUserInformation: a user never heard of is still to come" % p.role)
	t.eq(p.steam.requestUserInformation(p.my_id, true), false, "%s: requestUserInformation: our own name is known" % p.role)
	await p.wait_for(func() -> bool: return not changes.is_empty(), "the peer's name")
	t.eq(p.steam.getFriendPersonaName(p.peer_id), theirs, "%s: the peer's name reads back by its Steam ID" % p.role)
	t.eq(p.steam.requestUserInformation(p.peer_id, true), false, "%s: requestUserInformation: the peer's name is known now" % p.role)
	await _seconds(ANNOUNCEMENTS_S)
	t.eq(changes, [[p.peer_id, PERSONA_CHANGE_NAME | PERSONA_CHANGE_NAME_FIRST_SET]], "%s: one persona_state_change, NAME and NAME_FIRST_SET" % p.role)


func _names_on_steam() -> void:
	var log := ErrorLog.new()
	OS.add_logger(log)
	t.eq(p.steam.getPersonaName(), "", "%s: getPersonaName is GodotSteam's on the Steam backend" % p.role)
	t.eq(p.steam.getFriendPersonaName(p.peer_id), "", "%s: getFriendPersonaName too" % p.role)
	t.eq(p.steam.requestUserInformation(p.peer_id, true), false, "%s: requestUserInformation too" % p.role)
	OS.remove_logger(log)
	t.eq(log.errors.size(), 3, "%s: each call says why" % p.role)
	for error in log.errors:
		t.ok(error.contains("not offered on the Steam backend"), "%s: %s" % [p.role, error])
	await _seconds(ANNOUNCEMENTS_S)
	t.eq(changes, [], "%s: no persona_state_change from us on Steam" % p.role)


func _seconds(seconds: float) -> void:
	var until := Time.get_ticks_msec() + int(seconds * 1000.0)
	while Time.get_ticks_msec() < until:
		await process_frame
