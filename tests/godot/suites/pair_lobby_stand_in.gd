## GodotSteam's lobby functions are ours to answer on the local backend only. There, a invites b to a private
## lobby (private lobbies never show in searches): b gets lobby_invite and join_requested, and joins as
## GodotSteam's tutorials do, on join_requested; a chat message goes both ways; a gives the lobby to b with
## setLobbyOwner. On the Steam backend they are GodotSteam's: each call says so and returns GodotSteam's
## failure value, and no lobby signal comes.
extends SceneTree

const Check = preload("res://lib/check.gd")
const ErrorLog = preload("res://lib/error_log.gd")
const Peer = preload("res://lib/peer.gd")
const LOBBY_TYPE_PRIVATE := 0
const CHAT_ROOM_ENTER_RESPONSE_SUCCESS := 1

var t := Check.new()
var p: Peer
var lobby_signals := 0
var joined: Array = []
var chats: Array = []
var found: Array = []
var invites: Array = []
var servers: Array = []
var data_updates: Array = []
var join_requests: Array = []


func _initialize() -> void:
	p = Peer.new(self, t)
	p.steam.network_messages_session_request.connect(func(remote: int) -> void: p.steam.acceptSessionWithUser(remote))
	for name in ["lobby_created", "lobby_joined", "lobby_chat_update", "lobby_data_update", "lobby_match_list", "lobby_message", "lobby_invite", "join_requested", "lobby_kicked", "lobby_game_created"]:
		p.steam.connect(name, func(_a = null, _b = null, _c = null, _d = null) -> void: lobby_signals += 1)
	p.steam.lobby_joined.connect(func(lobby: int, _permissions: int, _locked: bool, response: int) -> void:
		joined.append([lobby, response]))
	p.steam.lobby_message.connect(func(_lobby: int, user: int, message: String, _type: int) -> void:
		chats.append([user, message]))
	p.steam.lobby_match_list.connect(func(lobbies: Array) -> void: found.append(lobbies))
	p.steam.lobby_game_created.connect(func(lobby: int, server: int, ip: String, port: int) -> void: servers.append([lobby, server, ip, port]))
	p.steam.lobby_data_update.connect(func(success: int, lobby: int, member: int) -> void: data_updates.append([success, lobby, member]))
	p.steam.lobby_invite.connect(func(inviter: int, lobby: int, game: int) -> void: invites.append([inviter, lobby, game]))
	p.steam.join_requested.connect(func(lobby: int, friend: int) -> void:
		join_requests.append([lobby, friend])
		p.steam.joinLobby(lobby))
	if p.backend == "local":
		await _a_private_lobby_found_by_id()
	else:
		await _not_offered_on_steam()
	p.send_text("done")
	t.eq(await p.wait_for_text(0, "the peer's done"), "done", "%s: the peer is done too" % p.role)
	await p.settle()
	t.finish(self)


func _a_private_lobby_found_by_id() -> void:
	var lobby := 0
	if p.role == "a":
		p.steam.createLobby(LOBBY_TYPE_PRIVATE, 2)
		await p.wait_for(func() -> bool: return joined.size() == 1, "the lobby created")
		lobby = joined[0][0]
		# b must be in sight for the invitation to reach it.
		await p.wait_for(func() -> bool: return p.steam.getVisiblePeers().has(p.peer_id), "b in sight")
		t.eq(p.steam.inviteUserToLobby(lobby, p.peer_id), true, "a: invites b")
	else:
		p.steam.requestLobbyList()
		await p.wait_for(func() -> bool: return found.size() == 1 and joined.size() == 1, "a search and the join")
		lobby = joined[0][0]
		t.eq(invites.map(func(invite: Array) -> Array: return invite.slice(0, 2)), [[p.peer_id, lobby]], "b: lobby_invite from a, for that lobby")
		t.eq(join_requests, [[lobby, p.peer_id]], "b: join_requested, the lobby and who invited")
		t.eq(joined[0], [lobby, CHAT_ROOM_ENTER_RESPONSE_SUCCESS], "b: joins the private lobby it was invited to")
		t.ok(not found[0].has(lobby), "b: a private lobby does not show in searches")
	await p.wait_for(func() -> bool: return p.steam.getNumLobbyMembers(lobby) == 2, "two members")
	t.eq(p.steam.getLobbyOwner(lobby), p.my_id if p.role == "a" else p.peer_id, "%s: a owns it" % p.role)
	p.steam.sendLobbyChatMsg(lobby, "hi from %s ✓" % p.role)
	await p.wait_for(func() -> bool: return chats.size() == 2, "both chat messages")
	var texts := {}
	for chat in chats:
		texts[chat[0]] = chat[1]
	t.eq(texts, {p.my_id: "hi from %s ✓" % p.role, p.peer_id: "hi from %s ✓" % ("b" if p.role == "a" else "a")}, "%s: both chat messages, UTF-8 intact" % p.role)
	var b := p.peer_id if p.role == "a" else p.my_id
	if p.role == "a":
		p.steam.setLobbyGameServer(lobby, "127.0.0.1", 27015)
	await p.wait_for(func() -> bool: return servers.size() == 1, "lobby_game_created")
	t.eq(servers, [[lobby, 0, "127.0.0.1", 27015]], "%s: lobby_game_created names the owner's game server" % p.role)
	t.eq(p.steam.getLobbyGameServer(lobby), {"ret": true, "ip": "127.0.0.1", "port": 27015, "id": 0}, "%s: getLobbyGameServer" % p.role)
	t.eq(p.steam.requestLobbyData(lobby), true, "%s: requestLobbyData" % p.role)
	await p.wait_for(func() -> bool: return data_updates.has([1, lobby, lobby]), "lobby_data_update after requestLobbyData")
	if p.role == "a":
		t.eq(p.steam.setLobbyOwner(lobby, p.BASE_ID + 1000000), false, "a: setLobbyOwner to a non-member is false")
		t.eq(p.steam.setLobbyOwner(lobby, b), true, "a: gives the lobby to b")
	await p.wait_for(func() -> bool: return p.steam.getLobbyOwner(lobby) == b, "b owning the lobby")
	t.eq(p.steam.getNumLobbyMembers(lobby), 2, "%s: both are still members" % p.role)
	t.eq(p.steam.isSubscribed(), true, "%s: isSubscribed" % p.role)


func _not_offered_on_steam() -> void:
	var log := ErrorLog.new()
	OS.add_logger(log)
	var lobby := 109775240917155841
	p.steam.createLobby(2, 4)
	p.steam.joinLobby(lobby)
	p.steam.requestLobbyList()
	var values := [
		p.steam.getNumLobbyMembers(lobby),
		p.steam.getLobbyOwner(lobby),
		p.steam.getLobbyData(lobby, "k"),
		p.steam.setLobbyData(lobby, "k", "v"),
		p.steam.sendLobbyChatMsg(lobby, "hi"),
		p.steam.getAllLobbyData(lobby),
		p.steam.inviteUserToLobby(lobby, p.peer_id),
		p.steam.setLobbyOwner(lobby, p.peer_id),
		p.steam.isSubscribed(),
	]
	OS.remove_logger(log)
	t.eq(values, [0, 0, "", false, false, {}, false, false, false], "%s: GodotSteam's failure values" % p.role)
	t.eq(log.errors.size(), 12, "%s: each call says why" % p.role)
	for error in log.errors:
		t.ok(error.contains("not offered on the Steam backend"), "%s: %s" % [p.role, error])
	await p.settle(60)
	t.eq(lobby_signals, 0, "%s: no lobby signal from us on Steam" % p.role)
