## SteamMessagesMultiplayerPeer in one process on the local backend: errors before initialisation, hosting,
## hosting twice, close and host again, a second peer object after the first is freed, bad transfer channels,
## and a client whose host does not exist failing once with connection_failed within the handshake timeout.
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
