## SteamMessagesMultiplayerPeer in one process on the local backend: errors before initialisation, hosting,
## hosting twice, close and host again, a second peer object after the first is freed, bad transfer channels,
## mesh mode's errors, and a client whose host does not exist failing once with connection_failed within the
## handshake timeout.
## args: --steam-backend=local --steam-local-id=46
extends SceneTree

const Check = preload("res://lib/check.gd")
## Steam ID of a local ID nobody runs in this test.
const NOBODY := 76561197960265728 + 63

var t := Check.new()
var failed := 0
var succeeded := 0


func _initialize() -> void:
	var early := SteamMessagesMultiplayerPeer.new()
	t.eq(early.create_host(), ERR_UNCONFIGURED, "create_host before steamInitEx is ERR_UNCONFIGURED")
	t.eq(early.get_connection_status(), MultiplayerPeer.CONNECTION_DISCONNECTED, "and the peer stays disconnected")
	t.eq(SteamNetworkingMessages.steamInitEx()["status"], 0, "the local backend initialises")

	var host := SteamMessagesMultiplayerPeer.new()
	t.eq(host.steam_channel_base, 16, "steam_channel_base defaults to 16")
	t.eq(host.create_host(0), ERR_INVALID_PARAMETER, "max_clients 0 is ERR_INVALID_PARAMETER")
	t.eq(host.create_host(4), OK, "create_host returns OK")
	t.eq(host.get_unique_id(), 1, "the host is peer 1")
	t.eq(host.get_connection_status(), MultiplayerPeer.CONNECTION_CONNECTED, "a host is connected at once")
	t.eq(host.get_steam_id_for_peer_id(1), SteamNetworkingMessages.getSteamID(), "peer 1 is this Steam user")
	t.eq(host.get_peer_id_for_steam_id(SteamNetworkingMessages.getSteamID()), 1, "and back")
	t.eq(host.get_peer_id_for_steam_id(NOBODY), 0, "an unknown user has no peer ID")
	t.eq(host.create_host(), ERR_ALREADY_IN_USE, "hosting twice is ERR_ALREADY_IN_USE")
	host.steam_channel_base = 40
	t.eq(host.steam_channel_base, 16, "steam_channel_base cannot change while active")
	host.transfer_channel = 32
	t.ok(host.put_packet(PackedByteArray([1])) != OK, "transfer channel 32 is refused")
	host.transfer_channel = 0
	host.close()
	t.eq(host.get_connection_status(), MultiplayerPeer.CONNECTION_DISCONNECTED, "close disconnects")
	t.eq(host.create_host(), OK, "hosting again after close works")
	host.close()
	host = null
	var second := SteamMessagesMultiplayerPeer.new()
	t.eq(second.create_host(), OK, "a second peer object hosts after the first is gone")
	second.close()

	# Mesh mode: errors as ENetMultiplayerPeer's, and a peer that never answers fails once with the signal.
	var mesh := SteamMessagesMultiplayerPeer.new()
	t.eq(mesh.add_mesh_peer(NOBODY, 2), ERR_UNCONFIGURED, "add_mesh_peer before create_mesh is ERR_UNCONFIGURED")
	t.eq(mesh.create_mesh(0), ERR_INVALID_PARAMETER, "unique ID 0 is ERR_INVALID_PARAMETER")
	t.eq(mesh.create_mesh(2147483648), ERR_INVALID_PARAMETER, "a unique ID past 2^31-1 is ERR_INVALID_PARAMETER")
	t.eq(mesh.create_mesh(7), OK, "create_mesh returns OK")
	t.eq(mesh.get_unique_id(), 7, "the mesh peer has the ID it chose")
	t.eq(mesh.get_connection_status(), MultiplayerPeer.CONNECTION_CONNECTED, "a mesh is connected at once")
	t.eq(mesh.create_host(), ERR_ALREADY_IN_USE, "hosting while in a mesh is ERR_ALREADY_IN_USE")
	var own := SteamNetworkingMessages.getSteamID()
	t.eq(mesh.add_mesh_peer(own, 2), ERR_INVALID_PARAMETER, "adding this Steam user is ERR_INVALID_PARAMETER")
	t.eq(mesh.add_mesh_peer(0, 2), ERR_INVALID_PARAMETER, "adding Steam ID 0 is ERR_INVALID_PARAMETER")
	t.eq(mesh.add_mesh_peer(NOBODY, 7), ERR_INVALID_PARAMETER, "adding with this peer's own ID is ERR_INVALID_PARAMETER")
	t.eq(mesh.add_mesh_peer(NOBODY, -2), ERR_INVALID_PARAMETER, "a negative peer ID is ERR_INVALID_PARAMETER")
	t.eq(mesh.add_mesh_peer(NOBODY, 2), OK, "add_mesh_peer returns OK while it tries")
	t.eq(mesh.add_mesh_peer(NOBODY, 3), ERR_ALREADY_IN_USE, "the same Steam user twice is ERR_ALREADY_IN_USE")
	t.eq(mesh.add_mesh_peer(NOBODY - 1, 2), ERR_ALREADY_IN_USE, "the same peer ID twice is ERR_ALREADY_IN_USE")
	t.eq(mesh.get_steam_id_for_peer_id(2), 0, "a peer not connected yet has no Steam ID")
	var failures: Array = []
	mesh.mesh_peer_failed.connect(func(peer_id: int, steam_id: int, reason: String) -> void:
		failures.append([peer_id, steam_id, reason]))
	var mesh_started := Time.get_ticks_msec()
	while failures.is_empty() and Time.get_ticks_msec() - mesh_started < 60000:
		mesh.poll()
		await process_frame
	var mesh_waited := Time.get_ticks_msec() - mesh_started
	t.eq(failures.size(), 1, "mesh_peer_failed fires once for a peer that never answers")
	if failures.size() == 1:
		t.eq(failures[0].slice(0, 2), [2, NOBODY], "with its peer ID and Steam ID")
		t.ok(String(failures[0][2]).length() > 0, "and a reason: %s" % failures[0][2])
	t.ok(mesh_waited >= 9000, "not before the 10 s handshake timeout (%d ms)" % mesh_waited)
	t.eq(mesh.add_mesh_peer(NOBODY, 2), OK, "a failed peer may be added again")
	mesh.close()
	t.eq(mesh.get_connection_status(), MultiplayerPeer.CONNECTION_DISCONNECTED, "close ends the mesh")

	# A client of nobody: CONNECTING, then connection_failed once, through SceneMultiplayer as a game sees it.
	var client := SteamMessagesMultiplayerPeer.new()
	t.eq(client.create_client(0), ERR_INVALID_PARAMETER, "host Steam ID 0 is ERR_INVALID_PARAMETER")
	t.eq(client.create_client(NOBODY), OK, "create_client returns OK while it tries")
	t.eq(client.get_connection_status(), MultiplayerPeer.CONNECTION_CONNECTING, "a client is connecting first")
	get_multiplayer().connection_failed.connect(func() -> void: failed += 1)
	get_multiplayer().connected_to_server.connect(func() -> void: succeeded += 1)
	get_multiplayer().multiplayer_peer = client
	var started := Time.get_ticks_msec()
	while failed == 0 and Time.get_ticks_msec() - started < 60000:
		await process_frame
	var waited := Time.get_ticks_msec() - started
	t.eq(failed, 1, "connection_failed fires once")
	t.ok(waited >= 9000, "not before the 10 s handshake timeout (%d ms)" % waited)
	for i in 30:
		await process_frame
	t.eq(failed, 1, "and only once")
	t.eq(succeeded, 0, "connected_to_server never fires")
	t.eq(client.get_connection_status(), MultiplayerPeer.CONNECTION_DISCONNECTED, "the client ends disconnected")
	get_multiplayer().multiplayer_peer = null
	SteamNetworkingMessages.steamShutdown()
	t.finish(self)
