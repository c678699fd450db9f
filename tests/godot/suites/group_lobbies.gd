## Lobbies offline, written the way games built on GodotSteam use them: a hosts a public lobby and sets its
## data; b and c find it with requestLobbyList and a string filter, join, read the members and the owner, send
## Networking Messages to every member they found, and chat through the lobby. Then a leaves and the lobby
## passes to b, who changes its data and closes it to newcomers (a's join comes back FULL, and the full lobby
## no longer shows in searches); c's game is killed and b sees it disconnected. Bad input gets GodotSteam's
## return values and an error.
## args: --steam-backend=local
## processes: 3
## allow-exit: c
extends SceneTree

const Check = preload("res://lib/check.gd")
const ErrorLog = preload("res://lib/error_log.gd")
const Group = preload("res://lib/group.gd")
const LOBBY_TYPE_PUBLIC := 2
const LOBBY_COMPARISON_EQUAL := 0
const RESULT_OK := 1
const RESULT_INVALID_PARAM := 8
const CHAT_ROOM_ENTER_RESPONSE_SUCCESS := 1
const CHAT_ROOM_ENTER_RESPONSE_DOESNT_EXIST := 2
const CHAT_ROOM_ENTER_RESPONSE_FULL := 4
const CHAT_MEMBER_STATE_CHANGE_LEFT := 2
const CHAT_MEMBER_STATE_CHANGE_DISCONNECTED := 4
const CHAT_ENTRY_TYPE_CHAT_MSG := 1
const RELIABLE := 8

var t := Check.new()
var g: Group
var steam: Object
## What each lobby signal brought, in order: [signal name, arguments...].
var lobby_events: Array = []
var match_lists: Array = []
var chats: Array = []
var texts: Dictionary = {}
var lobby := 0
## A value only this run's lobby has, so other lobbies on the machine are not found.
var tag := ""


func _initialize() -> void:
	g = Group.new(self, t)
	steam = SteamNetworkingMessages
	tag = "group_lobbies-%d" % g.host_steam_id
	steam.lobby_created.connect(func(connect: int, lobby_id: int) -> void:
		lobby_events.append(["lobby_created", connect, lobby_id]))
	steam.lobby_joined.connect(func(lobby_id: int, permissions: int, locked: bool, response: int) -> void:
		lobby_events.append(["lobby_joined", lobby_id, permissions, locked, response]))
	steam.lobby_data_update.connect(func(success: int, lobby_id: int, member_id: int) -> void:
		lobby_events.append(["lobby_data_update", success, lobby_id, member_id]))
	steam.lobby_chat_update.connect(func(lobby_id: int, changed: int, making_change: int, state: int) -> void:
		lobby_events.append(["lobby_chat_update", lobby_id, changed, making_change, state]))
	steam.lobby_match_list.connect(func(lobbies: Array) -> void: match_lists.append(lobbies))
	steam.lobby_message.connect(func(lobby_id: int, user: int, message: String, chat_type: int) -> void:
		chats.append([lobby_id, user, message, chat_type]))
	steam.network_messages_session_request.connect(func(remote: int) -> void:
		steam.acceptSessionWithUser(remote))
	await _bad_input_before_any_lobby()
	if g.role == "a":
		await _host()
	else:
		await _find_and_join()
	await _everyone_in()
	await _messages_to_every_member()
	await _chat()
	match g.role:
		"a":
			await _a_leaves_then_finds_the_lobby_full()
		"b":
			await _b_takes_over()
		"c":
			await _c_is_killed()
	t.finish(self)


func _bad_input_before_any_lobby() -> void:
	var log := ErrorLog.new()
	OS.add_logger(log)
	var unknown := 109775240917155840 + 424242
	t.eq(steam.getNumLobbyMembers(unknown), 0, "%s: no members for a lobby not joined" % g.role)
	t.eq(steam.getLobbyOwner(unknown), 0, "%s: no owner for a lobby not joined" % g.role)
	t.eq(steam.getLobbyData(unknown, "game"), "", "%s: no data for a lobby not known" % g.role)
	t.eq(steam.getLobbyMemberByIndex(unknown, 0), 0, "%s: no member by index either" % g.role)
	t.eq(steam.setLobbyData(unknown, "game", "x"), false, "%s: setLobbyData on a lobby not joined is false" % g.role)
	t.eq(steam.sendLobbyChatMsg(unknown, "x"), false, "%s: sendLobbyChatMsg to a lobby not joined is false" % g.role)
	steam.createLobby(LOBBY_TYPE_PUBLIC, 251)
	steam.addRequestLobbyListStringFilter("game", "x", 99)
	OS.remove_logger(log)
	t.eq(log.errors.size(), 4, "%s: each failed call says why: %s" % [g.role, log.errors])
	await g.wait_for(func() -> bool: return _events("lobby_created").size() == 1, "lobby_created for a lobby too big")
	t.eq(_events("lobby_created")[0].slice(1), [RESULT_INVALID_PARAM, 0], "%s: a lobby of 251 is not created" % g.role)
	steam.joinLobby(unknown)
	await g.wait_for(func() -> bool: return _events("lobby_joined").size() == 1, "lobby_joined for a lobby that does not exist")
	t.eq(_events("lobby_joined")[0][4], CHAT_ROOM_ENTER_RESPONSE_DOESNT_EXIST, "%s: joining an unknown lobby: DOESNT_EXIST" % g.role)
	lobby_events.clear()


func _host() -> void:
	steam.createLobby(LOBBY_TYPE_PUBLIC, 4)
	await g.wait_for(func() -> bool: return _events("lobby_data_update").size() >= 1, "the lobby created")
	lobby = _events("lobby_created")[0][2]
	t.ok(steam.isLobby(lobby), "a: the new ID is a lobby's")
	t.eq(_names(lobby_events.slice(0, 3)), ["lobby_created", "lobby_joined", "lobby_data_update"], "a: created, joined, data update, in Steam's order")
	t.eq(_events("lobby_created")[0][1], RESULT_OK, "a: lobby_created says RESULT_OK")
	t.eq(_events("lobby_joined")[0].slice(1), [lobby, 0, false, CHAT_ROOM_ENTER_RESPONSE_SUCCESS], "a: lobby_joined: the lobby, no permissions, unlocked, SUCCESS")
	t.eq(steam.setLobbyData(lobby, "game", tag), true, "a: the owner sets lobby data")
	t.eq(steam.getLobbyOwner(lobby), g.my_steam_id, "a: owns the lobby")


func _find_and_join() -> void:
	# a may not have created it yet: search until it shows (and, for c, until b is in).
	var found := false
	while not found:
		steam.addRequestLobbyListStringFilter("game", tag, LOBBY_COMPARISON_EQUAL)
		var before := match_lists.size()
		steam.requestLobbyList()
		if not await g.wait_for(func() -> bool: return match_lists.size() > before, "a lobby list"):
			return
		var lobbies: Array = match_lists[-1]
		# c joins after b, so that the order of members is known: a search tells how many are in.
		var members_before := 1 if g.role == "b" else 2
		found = lobbies.size() == 1 and steam.getNumLobbyMembers(lobbies[0]) == members_before
		if found:
			lobby = lobbies[0]
		else:
			await g.frames(10)
	t.eq(steam.getLobbyData(lobby, "game"), tag, "%s: a found lobby's data reads before joining" % g.role)
	steam.joinLobby(lobby)
	await g.wait_for(func() -> bool: return _events("lobby_joined").size() == 1, "lobby_joined")
	t.eq(_events("lobby_joined")[0].slice(1), [lobby, 0, false, CHAT_ROOM_ENTER_RESPONSE_SUCCESS], "%s: joined" % g.role)


func _everyone_in() -> void:
	var everyone := [g.steam_id_of("a"), g.steam_id_of("b"), g.steam_id_of("c")]
	await g.wait_for(func() -> bool: return _members() == everyone, "three members")
	t.eq(_members(), everyone, "%s: the members, in the order they joined" % g.role)
	t.eq(steam.getNumLobbyMembers(lobby), 3, "%s: getNumLobbyMembers" % g.role)
	t.eq(steam.getLobbyOwner(lobby), g.steam_id_of("a"), "%s: a owns the lobby" % g.role)
	t.eq(steam.getLobbyData(lobby, "game"), tag, "%s: every member reads the lobby data" % g.role)
	t.eq(steam.getLobbyMemberByIndex(lobby, 3), 0, "%s: no member past the last" % g.role)
	t.eq(steam.getLobbyMemberByIndex(lobby, -1), 0, "%s: nor before the first" % g.role)


func _messages_to_every_member() -> void:
	for member in _members():
		if member != g.my_steam_id:
			t.eq(steam.sendMessageToUser(member, ("hello from %s" % g.role).to_utf8_buffer(), RELIABLE, 0), RESULT_OK, "%s: a message to member %d" % [g.role, member])
	var others := _members().filter(func(member: int) -> bool: return member != g.my_steam_id)
	await g.wait_for(func() -> bool:
		for message in steam.receiveMessagesOnChannel(0, 16):
			texts[message["identity"]] = message["payload"].get_string_from_utf8()
		return texts.size() == others.size(), "a message from every other member")
	for member in others:
		t.eq(texts.get(member, ""), "hello from %s" % _role_of(member), "%s: the message of member %d" % [g.role, member])


func _chat() -> void:
	t.eq(steam.sendLobbyChatMsg(lobby, "chat from %s" % g.role), true, "%s: sendLobbyChatMsg" % g.role)
	await g.wait_for(func() -> bool: return chats.size() >= 3, "three chat messages")
	var said := {}
	for chat in chats:
		t.eq([chat[0], chat[3]], [lobby, CHAT_ENTRY_TYPE_CHAT_MSG], "%s: a chat message of the lobby, CHAT_MSG" % g.role)
		said[chat[1]] = chat[2]
	for role in ["a", "b", "c"]:
		t.eq(said.get(g.steam_id_of(role), ""), "chat from %s" % role, "%s: %s's chat message, own included" % [g.role, role])
	var log := ErrorLog.new()
	OS.add_logger(log)
	if g.role != "a":
		t.eq(steam.setLobbyData(lobby, "game", "mine"), false, "%s: a member may not set lobby data" % g.role)
	else:
		t.eq(steam.setLobbyData(lobby, "k".repeat(256), "v"), false, "a: a key past 255 bytes is refused")
	t.eq(steam.sendLobbyChatMsg(lobby, "x".repeat(4096)), false, "%s: a chat message past 4 KiB is refused" % g.role)
	OS.remove_logger(log)
	t.eq(log.errors.size(), 2, "%s: both say why: %s" % [g.role, log.errors])
	# a leaves next, which makes b the owner: not before b and c made their checks as members.
	if g.role == "a":
		var checked := [0]
		await g.wait_for(func() -> bool:
			checked[0] += steam.receiveMessagesOnChannel(2, 4).size()
			return checked[0] == 2, "b's and c's checks as members")
	else:
		steam.sendMessageToUser(g.steam_id_of("a"), "checked".to_utf8_buffer(), RELIABLE, 2)


func _a_leaves_then_finds_the_lobby_full() -> void:
	steam.leaveLobby(lobby)
	t.eq(steam.getNumLobbyMembers(lobby), 0, "a: out of the lobby at once")
	# b, owning it, closes it to newcomers and says so.
	await g.wait_for(func() -> bool:
		return steam.receiveMessagesOnChannel(1, 1).size() == 1, "b's word that the lobby is full")
	var before := match_lists.size()
	steam.addRequestLobbyListStringFilter("game", tag, LOBBY_COMPARISON_EQUAL)
	steam.requestLobbyList()
	await g.wait_for(func() -> bool: return match_lists.size() > before, "a lobby list")
	t.eq(match_lists[-1], [], "a: a full lobby does not show in searches")
	var joins := _events("lobby_joined").size()
	steam.joinLobby(lobby)
	await g.wait_for(func() -> bool: return _events("lobby_joined").size() > joins, "the answer to joining a full lobby")
	t.eq(_events("lobby_joined")[-1][4], CHAT_ROOM_ENTER_RESPONSE_FULL, "a: joining the full lobby: FULL")
	# Lets c go (c stays a member until a's join was answered).
	steam.sendMessageToUser(g.steam_id_of("c"), "tried".to_utf8_buffer(), RELIABLE, 1)
	await g.frames(30)


func _b_takes_over() -> void:
	var a := g.steam_id_of("a")
	var c := g.steam_id_of("c")
	await g.wait_for(func() -> bool: return steam.getLobbyOwner(lobby) == g.my_steam_id, "b owning the lobby")
	t.ok(_chat_updates().has([a, a, CHAT_MEMBER_STATE_CHANGE_LEFT]), "b: a left (lobby_chat_update LEFT)")
	t.eq(_members(), [g.my_steam_id, c], "b: b and c are left")
	t.eq(steam.setLobbyData(lobby, "phase", "2"), true, "b: the new owner sets lobby data")
	t.eq(steam.setLobbyMemberLimit(lobby, 2), true, "b: and makes the lobby full")
	t.eq(steam.getLobbyMemberLimit(lobby), 2, "b: the new limit reads back")
	steam.sendMessageToUser(a, "full".to_utf8_buffer(), RELIABLE, 1)
	await g.wait_for(func() -> bool: return _chat_updates().has([c, c, CHAT_MEMBER_STATE_CHANGE_DISCONNECTED]), "c disconnected")
	t.eq(_members(), [g.my_steam_id], "b: alone in the lobby")


func _c_is_killed() -> void:
	var a := g.steam_id_of("a")
	await g.wait_for(func() -> bool: return steam.getLobbyData(lobby, "phase") == "2", "the new owner's data")
	t.eq(steam.getLobbyOwner(lobby), g.steam_id_of("b"), "c: b owns the lobby")
	t.ok(_chat_updates().has([a, a, CHAT_MEMBER_STATE_CHANGE_LEFT]), "c: a left (lobby_chat_update LEFT)")
	await g.wait_for(func() -> bool:
		return steam.receiveMessagesOnChannel(1, 1).size() == 1, "a's attempt to join")
	print("%d passed, %d failed" % [t.passed, t.failed])
	OS.kill(OS.get_process_id())


func _events(name: String) -> Array:
	return lobby_events.filter(func(event: Array) -> bool: return event[0] == name)


func _names(events: Array) -> Array:
	return events.map(func(event: Array) -> String: return event[0])


func _chat_updates() -> Array:
	return _events("lobby_chat_update").map(func(event: Array) -> Array: return event.slice(2))


func _members() -> Array:
	var members := []
	for index in steam.getNumLobbyMembers(lobby):
		members.append(steam.getLobbyMemberByIndex(lobby, index))
	return members


func _role_of(steam_id: int) -> String:
	for role in ["a", "b", "c"]:
		if g.steam_id_of(role) == steam_id:
			return role
	return "?"
