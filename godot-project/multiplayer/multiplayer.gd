## Multiplayer demo: Godot's high-level multiplayer over SteamMessagesMultiplayerPeer, one host and any number of
## clients. Start it with this scene's path before `--`, then, after `--`: `--steam-backend=local
## --steam-local-id=<n>` for the offline backend, and on clients `--mp-host=<the host's Steam ID>`.
##
## The host's MultiplayerSpawner gives every player (the host too) an avatar whose authority is that player; the
## owner moves it (arrow keys) and the avatar's MultiplayerSynchronizer replicates its position to everyone
## (client to client through the host's relay). A chat line goes to everyone by RPC.
##
## With `--mp-script` (or in a headless run) the instance runs a scripted exchange instead: once all
## `--mp-players=<n>` players (3 by default) are connected and spawned, it says hello on the chat and moves its
## avatar to a spot given by its Steam ID. It prints each event as a line starting with `[mp <steam id>]`
## ("saw avatar of peer N at (x, y)", "received chat from peer N: ..."). When it has seen every other avatar at
## its final spot and every other player's chat, a client tells the host; once everyone has, the host tells the
## clients, which close and exit, then the host exits. Exit code 0 on success, 1 on failure or after TIMEOUT_S.
extends Control

const Avatar := preload("res://multiplayer/avatar.gd")

## The scripted run fails if it has not finished within this many seconds.
const TIMEOUT_S := 90.0
## Size of the play field, in pixels.
const FIELD_SIZE := Vector2(400, 220)
## Avatar speed, in pixels per second.
const SPEED := 160.0
## The row along the bottom of the field where avatars start, each at its own place (see `start_of`).
const START_ROW_Y := 150.0
const MAX_CHAT_LENGTH := 200

var my_steam_id := 0
var host_steam_id := 0  # 0 on the host
var scripted := false
var players := 3
var peer: SteamMessagesMultiplayerPeer

var _header: Label
var _field: ColorRect
var _players: Node2D
var _spawner: MultiplayerSpawner
var _chat_log: RichTextLabel
var _chat_input: LineEdit

# The scripted run's progress.
var _deadline_msec := 0
var _done := false
var _chats := {}  # peer ID -> the text it said
var _avatars_seen := {}  # peer ID -> true once its avatar was seen at its final spot
var _reached := false
var _finished_peers := {}  # on the host: client peer IDs that saw everything
var _all_finished := false  # on a client: the host said everyone is done


func _ready() -> void:
	_build_ui()
	scripted = _flag("mp-script") or DisplayServer.get_name() == "headless"
	players = int(_arg("mp-players", "3"))
	host_steam_id = int(_arg("mp-host", "0"))
	if scripted:
		Engine.max_fps = 60
		_deadline_msec = Time.get_ticks_msec() + int(TIMEOUT_S * 1000.0)

	var init: Dictionary = SteamNetworkingMessages.steamInitEx()
	if init["status"] != SteamNetworkingMessages.STEAM_API_INIT_RESULT_OK:
		_fail("Steam did not start: %s" % init["verbal"])
		return
	my_steam_id = SteamNetworkingMessages.getSteamID()
	SteamNetworkingMessages.persona_state_change.connect(_on_persona_state_change)
	get_window().title = "Steam ID %d · %s · multiplayer demo" % [my_steam_id, "host" if host_steam_id == 0 else "client"]

	multiplayer.peer_connected.connect(_on_peer_connected)
	multiplayer.peer_disconnected.connect(_on_peer_disconnected)
	multiplayer.connected_to_server.connect(_on_connected_to_server)
	multiplayer.connection_failed.connect(_on_connection_failed)
	multiplayer.server_disconnected.connect(_on_server_disconnected)
	if host_steam_id == 0:
		peer = SteamMessagesMultiplayerPeer.new()
		var error := peer.create_host(players)
		if error != OK:
			_fail("create_host failed: %s" % error_string(error))
			return
		multiplayer.multiplayer_peer = peer
		_say("hosting as Steam ID %d, peer 1" % my_steam_id)
		_spawner.spawn([1, my_steam_id])
	else:
		_join()
	_refresh_header()
	if scripted and not _done:
		_run_script()


func _process(delta: float) -> void:
	if scripted and not _done and Time.get_ticks_msec() > _deadline_msec:
		_fail("not finished within %d s; still waiting for: %s" % [TIMEOUT_S, _missing()])
	if peer == null or multiplayer.multiplayer_peer == null:
		return
	var mine := _my_avatar()
	if mine != null and not scripted and not _chat_input.has_focus():
		var direction := Vector2(
			float(Input.is_physical_key_pressed(KEY_RIGHT)) - float(Input.is_physical_key_pressed(KEY_LEFT)),
			float(Input.is_physical_key_pressed(KEY_DOWN)) - float(Input.is_physical_key_pressed(KEY_UP)))
		if direction != Vector2.ZERO:
			# The whole avatar, label included, stays in the field.
			var extent: Rect2 = mine.extent()
			mine.position = (mine.position + direction.normalized() * SPEED * delta).clamp(-extent.position, FIELD_SIZE - extent.end)
	if scripted and not _done:
		_check_avatars()


func _unhandled_input(event: InputEvent) -> void:
	# A click on the play field gives the arrow keys back to the avatar.
	if event is InputEventMouseButton and event.pressed:
		_chat_input.release_focus()


## Says `text` to everyone.
@rpc("any_peer", "reliable")
func chat(text: String) -> void:
	var from := multiplayer.get_remote_sender_id()
	text = text.left(MAX_CHAT_LENGTH)
	_chats[from] = text
	_say('received chat from peer %d: "%s"' % [from, text])
	_log("[b]peer %d:[/b] %s" % [from, text.replace("[", "[lb]")])


## A client tells the host it saw everything (scripted run).
@rpc("any_peer", "reliable")
func report_finished() -> void:
	if multiplayer.is_server():
		var from := multiplayer.get_remote_sender_id()
		_finished_peers[from] = true
		_say("peer %d saw everything" % from)


## The host tells the clients everyone saw everything (scripted run).
@rpc("authority", "reliable")
func everyone_finished() -> void:
	_all_finished = true


func _join() -> void:
	peer = SteamMessagesMultiplayerPeer.new()
	var error := peer.create_client(host_steam_id)
	if error != OK:
		_fail("create_client failed: %s" % error_string(error))
		return
	multiplayer.multiplayer_peer = peer
	_say("joining the host %d" % host_steam_id)


## The spawn function of the host's MultiplayerSpawner, run on every peer: `data` is [peer ID, Steam ID].
func _spawn_avatar(data: Variant) -> Node:
	var avatar := Avatar.new()
	avatar.peer_id = data[0]
	avatar.steam_id = data[1]
	avatar.name = str(avatar.peer_id)
	avatar.mine = avatar.peer_id == multiplayer.get_unique_id()
	avatar.color = _color_of(avatar.steam_id)
	avatar.position = start_of(avatar.steam_id)
	avatar.set_multiplayer_authority(avatar.peer_id)
	avatar.persona = persona_name(avatar.steam_id)
	return avatar


## A player's persona name, "" until it is known. GodotSteam's getFriendPersonaName, which this addon answers
## on the local backend only (on Steam, GodotSteam's own Steam singleton does).
func persona_name(steam_id: int) -> String:
	if SteamNetworkingMessages.getBackend() != "local":
		return ""
	return SteamNetworkingMessages.getFriendPersonaName(steam_id)


func _on_persona_state_change(steam_id: int, _flags: int) -> void:
	for avatar in _players.get_children():
		if avatar.steam_id == steam_id:
			avatar.persona = persona_name(steam_id)
	_refresh_header()


func _on_peer_connected(id: int) -> void:
	_log("peer %d connected" % id)
	_refresh_header()
	if multiplayer.is_server():
		_spawner.spawn([id, peer.get_steam_id_for_peer_id(id)])


func _on_peer_disconnected(id: int) -> void:
	_log("peer %d left" % id)
	_refresh_header()
	if multiplayer.is_server():
		var avatar := _players.get_node_or_null(str(id))
		if avatar != null:
			avatar.queue_free()


func _on_connected_to_server() -> void:
	_say("joined as peer %d" % multiplayer.get_unique_id())
	_refresh_header()


func _on_connection_failed() -> void:
	# The host may not be up yet: try again (the scripted run has its deadline).
	_say("could not join %d; trying again" % host_steam_id)
	_rejoin.call_deferred()


func _rejoin() -> void:
	if _done:
		return
	multiplayer.multiplayer_peer = null
	_join()


func _on_server_disconnected() -> void:
	_log("the host left")
	_refresh_header()
	if scripted and not _done and not _all_finished:
		_fail("the host left before the end")


## The scripted run: wait for everyone, say hello, move to the spot, then wait for the others.
func _run_script() -> void:
	_say("scripted run: waiting for %d players" % players)
	await _until(_everyone_here)
	if _done:
		return
	var others := _others()
	_say("all %d players are here; I am peer %d; others: %s" % [players, multiplayer.get_unique_id(), others])
	var hello := "hello from peer %d" % multiplayer.get_unique_id()
	chat.rpc(hello)
	_say('sent chat: "%s"' % hello)
	var target := spot_of(my_steam_id)
	var mine := _my_avatar()
	while mine.position != target:
		mine.position = mine.position.move_toward(target, SPEED * get_process_delta_time())
		await get_tree().process_frame
		if _done:
			return
	_reached = true
	_say("my avatar reached (%d, %d)" % [target.x, target.y])
	await _until(_saw_everything)
	if _done:
		return
	_say("saw every other avatar at its spot and every other chat")
	if multiplayer.is_server():
		await _until(func() -> bool: return _clients().all(func(id: int) -> bool: return _finished_peers.has(id)))
		if _done:
			return
		everyone_finished.rpc()
		_say("everyone is finished; waiting for the clients to leave")
		await _until(func() -> bool: return multiplayer.get_peers().is_empty())
		if _done:
			return
	else:
		report_finished.rpc_id(1)
		await _until(func() -> bool: return _all_finished)
		if _done:
			return
		_say("the host says everyone is finished; leaving")
	_finish()


func _everyone_here() -> bool:
	if peer.get_connection_status() != MultiplayerPeer.CONNECTION_CONNECTED:
		return false
	return multiplayer.get_peers().size() == players - 1 and _players.get_child_count() == players and _my_avatar() != null


func _saw_everything() -> bool:
	return _reached and _others().all(func(id: int) -> bool: return _avatars_seen.has(id) and _chats.has(id))


## Prints each other avatar the first time it stands on its player's spot.
func _check_avatars() -> void:
	for avatar in _players.get_children():
		var id: int = avatar.peer_id
		if id == multiplayer.get_unique_id() or _avatars_seen.has(id):
			continue
		if avatar.position == spot_of(avatar.steam_id):
			_avatars_seen[id] = true
			_say("saw avatar of peer %d at (%d, %d)" % [id, avatar.position.x, avatar.position.y])


## What the scripted run still waits for.
func _missing() -> String:
	if multiplayer.multiplayer_peer == null or peer == null or peer.get_connection_status() != MultiplayerPeer.CONNECTION_CONNECTED:
		return "not connected"
	var missing: Array[String] = []
	if multiplayer.get_peers().size() != players - 1:
		missing.append("%d of %d other players connected" % [multiplayer.get_peers().size(), players - 1])
	if _players.get_child_count() != players:
		missing.append("%d of %d avatars spawned" % [_players.get_child_count(), players])
	for id in _others():
		if not _avatars_seen.has(id):
			missing.append("avatar of peer %d" % id)
		if not _chats.has(id):
			missing.append("chat from peer %d" % id)
	if multiplayer.is_server():
		for id in _clients():
			if not _finished_peers.has(id):
				missing.append("peer %d finishing" % id)
	elif not _all_finished:
		missing.append("the host's word that everyone is finished")
	return ", ".join(missing) if not missing.is_empty() else "nothing"


## Where the scripted run moves the avatar of the player with this Steam ID.
## Where a player's avatar appears: apart from the others' (a window shows each one), on a row below every
## spot, so reaching its spot always takes a move that the synchronizer must carry.
static func start_of(steam_id: int) -> Vector2:
	var n := absi(steam_id % 4)
	return Vector2(30 + 90 * n, START_ROW_Y)


static func spot_of(steam_id: int) -> Vector2:
	var n := absi(steam_id % 12)
	return Vector2(50 + 90 * (n % 4), 40 + 70 * (n % 3))


func _my_avatar() -> Node2D:
	return _players.get_node_or_null(str(multiplayer.get_unique_id())) as Node2D


func _others() -> Array[int]:
	var others: Array[int] = []
	others.assign(multiplayer.get_peers())
	others.sort()
	return others


func _clients() -> Array[int]:
	return _others().filter(func(id: int) -> bool: return id != 1)


func _until(condition: Callable) -> void:
	while not _done and not condition.call():
		await get_tree().process_frame


func _finish() -> void:
	_say("finished")
	_quit(0)


func _fail(why: String) -> void:
	_say("FAILED: %s" % why)
	_quit(1)


func _quit(code: int) -> void:
	if _done:
		return
	_done = true
	_say("exit code %d" % code)
	if peer != null:
		peer.close()
	multiplayer.multiplayer_peer = null
	# A frame for the departure to go out before Steam shuts down.
	await get_tree().process_frame
	SteamNetworkingMessages.steamShutdown()
	get_tree().quit(code)


func _say(text: String) -> void:
	if my_steam_id == 0:
		print("[mp] %s" % text)
	else:
		print("[mp %d] %s" % [my_steam_id, text])
	_log(text.replace("[", "[lb]"))


func _log(text: String) -> void:
	if _chat_log != null:
		_chat_log.append_text(text + "\n")


func _refresh_header() -> void:
	var role := "host" if host_steam_id == 0 else "client of %d" % host_steam_id
	var me := multiplayer.get_unique_id() if multiplayer.multiplayer_peer != null else 0
	var name := persona_name(my_steam_id)
	_header.text = "%sSteam ID %d · %s · peer %d · %d other(s)" % [
		"" if name == "" else name + " · ", my_steam_id, role, me, multiplayer.get_peers().size() if me != 0 else 0]


func _on_chat_submitted(text: String) -> void:
	text = text.strip_edges().left(MAX_CHAT_LENGTH)
	_chat_input.clear()
	_chat_input.release_focus()
	if text.is_empty() or multiplayer.multiplayer_peer == null:
		return
	chat.rpc(text)
	_log("[b]you:[/b] %s" % text.replace("[", "[lb]"))


func _build_ui() -> void:
	var box := VBoxContainer.new()
	box.name = "Box"
	box.set_anchors_and_offsets_preset(Control.PRESET_FULL_RECT)
	box.offset_left = 8
	box.offset_top = 8
	box.offset_right = -8
	box.offset_bottom = -8
	add_child(box)
	_header = Label.new()
	# Wrapped: a long client header would otherwise widen the box past the window.
	_header.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	box.add_child(_header)
	var hint := Label.new()
	hint.text = "Arrow keys move your avatar (click the field first if typing); Enter sends the chat line."
	hint.add_theme_font_size_override("font_size", 11)
	hint.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	box.add_child(hint)
	_field = ColorRect.new()
	_field.name = "Field"
	_field.color = Color(0.10, 0.11, 0.14)
	_field.custom_minimum_size = FIELD_SIZE
	_field.size_flags_horizontal = Control.SIZE_SHRINK_BEGIN
	_field.clip_contents = true
	box.add_child(_field)
	_players = Node2D.new()
	_players.name = "Players"
	_field.add_child(_players)
	_spawner = MultiplayerSpawner.new()
	_spawner.name = "Spawner"
	_spawner.spawn_function = _spawn_avatar
	_field.add_child(_spawner)
	_spawner.spawn_path = _spawner.get_path_to(_players)
	_chat_log = RichTextLabel.new()
	_chat_log.bbcode_enabled = true
	_chat_log.scroll_following = true
	_chat_log.size_flags_vertical = Control.SIZE_EXPAND_FILL
	box.add_child(_chat_log)
	_chat_input = LineEdit.new()
	_chat_input.placeholder_text = "say something to everyone, then Enter"
	_chat_input.max_length = MAX_CHAT_LENGTH
	_chat_input.text_submitted.connect(_on_chat_submitted)
	box.add_child(_chat_input)


static func _color_of(steam_id: int) -> Color:
	return Color.from_hsv(fposmod(float(steam_id % 7) / 7.0 + 0.1, 1.0), 0.6, 0.95)


func _flag(option: String) -> bool:
	return ("--" + option) in OS.get_cmdline_user_args()


func _arg(option: String, fallback: String) -> String:
	for arg in OS.get_cmdline_user_args():
		if arg.begins_with("--%s=" % option):
			return arg.get_slice("=", 1)
	return fallback
