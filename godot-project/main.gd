## Two-client demo of Steam's Networking Messages, written as a GodotSteam user would: every Steam call is
## a plain `Steam.` call from GodotSteam's documentation, so this script can be copied into a GodotSteam
## project as is.
##
## Each window shows its Steam ID, the peers it knows of (select one to talk to it), lobbies to host, find and
## join (lobby_panel.gd; their members join the peer list), a chat (reliable,
## channel 0), a play field whose avatar you move with the arrow keys or WASD (its position goes to the
## selected peer unreliably, 30 times a second, on channel 1), session requests with an Accept button, and a
## live view of the session with the selected peer.
##
## Peers come from messages and session requests, from a Steam ID typed into the box under the list or passed
## as `--demo-peer=<steam id>` after `--`, and, on this extension's offline "local" backend, from
## `getVisiblePeers()` (other instances on this machine).
##
## With `--demo-script` among the user arguments, or in a headless run, demo_script.gd drives a scripted
## exchange through the same functions and prints a transcript instead of waiting for input.
extends Control

## A chat message arrived from a peer.
signal chat_received(from_steam_id: int, text: String)
## A peer's avatar position arrived (normalised, 0..1 on both axes).
signal avatar_received(from_steam_id: int, at: Vector2)
## A peer asked for a session (see `network_messages_session_request`); `accepted` tells whether it was
## accepted at once (auto-accept).
signal session_requested(remote_steam_id: int, accepted: bool)
## A session could not be established or broke (see `network_messages_session_failed`).
signal session_failed(remote_steam_id: int, reason: int, debug_message: String)

const Arena := preload("res://arena.gd")
const DemoScript := preload("res://demo_script.gd")
const LobbyPanel := preload("res://lobby_panel.gd")

const CHAT_CHANNEL := 0
const AVATAR_CHANNEL := 1
const AVATAR_SEND_INTERVAL := 1.0 / 30.0
const INFO_REFRESH_INTERVAL := 0.25
const PEER_REFRESH_INTERVAL := 1.0
## How fast the avatar moves, in play-field widths (or heights) per second.
const AVATAR_SPEED := 0.5
## A peer's avatar disappears when no position arrived for this long.
const AVATAR_TIMEOUT_MSEC := 3000
const MAX_MESSAGES_PER_FRAME := 64
const MAX_CHAT_LENGTH := 500

## Our Steam ID; 0 when Steam did not start.
var my_steam_id := 0
## "steam" or "local".
var backend_name := ""
## steamInitEx()'s text: success or why Steam did not start.
var init_verbal := ""
## The peer chat and avatar positions go to; 0 for none.
var selected_peer := 0
## The peer named by `--demo-peer=<steam id>`, 0 without it.
var demo_peer := 0
## Whether the avatar position is sent 30 times a second on its own (the scripted demo sends it itself).
var auto_stream_avatar := true
## The local avatar, normalised.
var my_avatar := Vector2(0.5, 0.5)

var _peers: Array[int] = []  # in list order
var _visible_peers: Array = []
var _pending_requests := {}  # Steam ID -> its row in the requests box
var _peer_avatars := {}  # Steam ID -> {"at": Vector2, "time": msec}
var _stalled := {}  # Steam ID -> true: its session failed or was closed; no positions until it talks again
var _last_states := {}  # Steam ID -> the session state the peer list showed last
var _send_timer := 0.0
var _info_timer := 0.0
var _peer_timer := 0.0
var _state_names := {
	Steam.CONNECTION_STATE_NONE: "none",
	Steam.CONNECTION_STATE_CONNECTING: "connecting",
	Steam.CONNECTION_STATE_FINDING_ROUTE: "finding route",
	Steam.CONNECTION_STATE_CONNECTED: "connected",
	Steam.CONNECTION_STATE_CLOSED_BY_PEER: "closed by peer",
	Steam.CONNECTION_STATE_PROBLEM_DETECTED_LOCALLY: "problem",
}

var _header: Label
var _swatch: ColorRect
var _peer_list: ItemList
var _add_input: LineEdit
var _auto_accept: CheckBox
var _requests_box: VBoxContainer
var _lobby_column: VBoxContainer
## The lobby panel; null where lobbies are not offered (this extension's Steam backend without GodotSteam).
var lobby_panel: LobbyPanel
var _info_title: Label
var _info: Label
var _arena: Arena
var _chat_log: RichTextLabel
var _chat_input: LineEdit


func _ready() -> void:
	_build_ui()
	var init: Dictionary = Steam.steamInitEx()
	init_verbal = init["verbal"]
	if init["status"] != Steam.STEAM_API_INIT_RESULT_OK:
		_header.text = "Steam did not start: %s" % init_verbal
		_log("[color=salmon]Steam did not start (status %d): %s[/color]" % [init["status"], _escape(init_verbal)])
	else:
		_start()
	if _scripted():
		add_child(DemoScript.new(self))


func _start() -> void:
	my_steam_id = Steam.getSteamID()
	backend_name = _backend_name()
	var me := persona_name(my_steam_id)
	_header.text = "%sSteam ID %d  ·  %s backend" % ["" if me == "" else me + "  ·  ", my_steam_id, backend_name]
	# Two windows side by side are told apart by their titles too.
	get_window().title = "Steam ID %d · %s backend · godot-steam-messages demo" % [my_steam_id, backend_name]
	_swatch.color = color_of(my_steam_id)
	# Start somewhere that depends on the Steam ID, so two windows do not start on top of each other.
	my_avatar = Vector2(0.2 + 0.6 * float(my_steam_id % 2), 0.35 + 0.3 * float((my_steam_id >> 1) % 2))
	_log("Steam started: %s" % _escape(init_verbal))
	Steam.network_messages_session_request.connect(_on_session_request)
	Steam.network_messages_session_failed.connect(_on_session_failed)
	if backend_name == "local" or ClassDB.class_exists("Steam"):
		lobby_panel = LobbyPanel.new()
		lobby_panel.member_found.connect(_add_peer)
		lobby_panel.said.connect(_log)
		_lobby_column.add_child(_title("Lobbies"))
		_lobby_column.add_child(lobby_panel)
	demo_peer = int(_user_arg("demo-peer", "0"))
	if demo_peer != 0:
		select_peer(demo_peer)
	_refresh_peers()
	_refresh_info()
	_arena.grab_focus()
	if not _user_arg("demo-screenshot", "").is_empty() and not _scripted():
		await get_tree().create_timer(3.0).timeout
		await save_screenshot_if_asked()


func _process(delta: float) -> void:
	if my_steam_id == 0:
		return
	_receive_chat()
	_receive_avatars()
	if _arena.has_focus():
		_move_avatar(delta)
	_send_timer += delta
	if _send_timer >= AVATAR_SEND_INTERVAL:
		_send_timer = fmod(_send_timer, AVATAR_SEND_INTERVAL)
		if auto_stream_avatar:
			send_avatar()
	_peer_timer += delta
	if _peer_timer >= PEER_REFRESH_INTERVAL:
		_peer_timer = 0.0
		_refresh_peers()
	_info_timer += delta
	if _info_timer >= INFO_REFRESH_INTERVAL:
		_info_timer = 0.0
		_refresh_info()
	_update_arena()


func _exit_tree() -> void:
	# Tell peers at once that we are gone, rather than letting their sessions time out.
	if my_steam_id != 0:
		if lobby_panel:
			lobby_panel.leave_lobby()
		for peer in _peers:
			if session_state(peer) != Steam.CONNECTION_STATE_NONE:
				Steam.closeSessionWithUser(peer)


# ---- Sending and receiving ----


## Sends a chat line to the selected peer (reliable, channel 0); returns Steam's result code.
func send_chat(text: String) -> int:
	text = text.strip_edges().left(MAX_CHAT_LENGTH)
	if text.is_empty():
		return Steam.RESULT_INVALID_PARAM
	if selected_peer == 0:
		_log("[color=gray]Select a peer first (or type a Steam ID under the peer list).[/color]")
		return Steam.RESULT_INVALID_PARAM
	_stalled.erase(selected_peer)
	# Reliable; AUTORESTART_BROKEN_SESSION opens a fresh session if the peer closed ours (say, it restarted).
	var flags: int = Steam.NETWORKING_SEND_RELIABLE | Steam.NETWORKING_SEND_AUTORESTART_BROKEN_SESSION
	var result: int = Steam.sendMessageToUser(selected_peer, text.to_utf8_buffer(), flags, CHAT_CHANNEL)
	if result == Steam.RESULT_OK:
		_log("[color=#%s]you → %s:[/color] %s" % [color_of(my_steam_id).to_html(false), _escape(peer_name(selected_peer)), _escape(text)])
	else:
		_log("[color=salmon]sending to %s failed: result %d[/color]" % [_escape(peer_name(selected_peer)), result])
	return result


## Sends the avatar's position to the selected peer (unreliable, channel 1): two 32-bit floats.
func send_avatar() -> int:
	if selected_peer == 0 or _stalled.has(selected_peer):
		return Steam.RESULT_NO_CONNECTION
	var payload := PackedByteArray()
	payload.resize(8)
	payload.encode_float(0, my_avatar.x)
	payload.encode_float(4, my_avatar.y)
	# Unreliable: a lost position is replaced by the next one 33 ms later. No AUTORESTART_BROKEN_SESSION here, so
	# a peer that left is not called again 30 times a second.
	var result: int = Steam.sendMessageToUser(selected_peer, payload, Steam.NETWORKING_SEND_UNRELIABLE, AVATAR_CHANNEL)
	if result == Steam.RESULT_NO_CONNECTION:
		_stalled[selected_peer] = true
		_log("[color=gray]the session with %s is %s: avatar positions paused until it talks again or you select it[/color]" % [
			_escape(peer_name(selected_peer)), state_name(session_state(selected_peer))])
	return result


func _receive_chat() -> void:
	for message in Steam.receiveMessagesOnChannel(CHAT_CHANNEL, MAX_MESSAGES_PER_FRAME):
		var sender: int = message["identity"]
		var text: String = message["payload"].get_string_from_utf8()
		_heard_from(sender)
		_log("[color=#%s]%s:[/color] %s" % [color_of(sender).to_html(false), _escape(peer_name(sender)), _escape(text)])
		chat_received.emit(sender, text)


func _receive_avatars() -> void:
	for message in Steam.receiveMessagesOnChannel(AVATAR_CHANNEL, MAX_MESSAGES_PER_FRAME):
		var payload: PackedByteArray = message["payload"]
		if payload.size() != 8:
			continue  # not an avatar position
		var at := Vector2(payload.decode_float(0), payload.decode_float(4))
		if not at.is_finite():
			continue
		at = at.clamp(Vector2.ZERO, Vector2.ONE)
		var sender: int = message["identity"]
		_heard_from(sender)
		_peer_avatars[sender] = {"at": at, "time": Time.get_ticks_msec()}
		avatar_received.emit(sender, at)


## A message from `peer` proves it is there: list it, and talk to it if nobody is selected yet.
func _heard_from(peer: int) -> void:
	_stalled.erase(peer)
	_add_peer(peer)
	if selected_peer == 0:
		select_peer(peer)


# ---- Sessions ----


func _on_session_request(remote_steam_id: int) -> void:
	# List the peer but do not select it: sending to it (avatar positions) would accept the session at once.
	_stalled.erase(remote_steam_id)
	_add_peer(remote_steam_id)
	# Steam repeats the request while the peer keeps sending: show it once.
	if _pending_requests.has(remote_steam_id):
		session_requested.emit(remote_steam_id, false)
		return
	if _auto_accept.button_pressed:
		var accepted: bool = Steam.acceptSessionWithUser(remote_steam_id)
		_log("[color=gray]session request from %s: accepted automatically (%s)[/color]" % [_escape(peer_name(remote_steam_id)), accepted])
		session_requested.emit(remote_steam_id, accepted)
		return
	_log("[color=gray]session request from %s: accept it on the left[/color]" % _escape(peer_name(remote_steam_id)))
	var row := HBoxContainer.new()
	var label := Label.new()
	label.text = "%s wants to talk" % peer_name(remote_steam_id)
	label.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	row.add_child(label)
	var accept := Button.new()
	accept.text = "Accept"
	accept.focus_mode = Control.FOCUS_NONE
	accept.pressed.connect(accept_session.bind(remote_steam_id))
	row.add_child(accept)
	_requests_box.add_child(row)
	_pending_requests[remote_steam_id] = row
	session_requested.emit(remote_steam_id, false)
	_refresh_peers()


## Accepts the session `remote_steam_id` asked for; messages it sent so far are then delivered.
func accept_session(remote_steam_id: int) -> bool:
	var accepted: bool = Steam.acceptSessionWithUser(remote_steam_id)
	_log("[color=gray]accepted the session with %s (%s)[/color]" % [_escape(peer_name(remote_steam_id)), accepted])
	_drop_request(remote_steam_id)
	select_peer(remote_steam_id)
	return accepted


func _on_session_failed(reason: int, remote_steam_id: int, connection_state: int, debug_message: String) -> void:
	_log("[color=salmon]session with %s failed (reason %d, state %s): %s[/color]" % [
		_escape(peer_name(remote_steam_id)), reason, state_name(connection_state), _escape(debug_message)])
	_stalled[remote_steam_id] = true
	_drop_request(remote_steam_id)
	session_failed.emit(remote_steam_id, reason, debug_message)


func _drop_request(remote_steam_id: int) -> void:
	if _pending_requests.has(remote_steam_id):
		_pending_requests[remote_steam_id].queue_free()
		_pending_requests.erase(remote_steam_id)


## Turns auto-accept on or off, as the check box does.
func set_auto_accept(on: bool) -> void:
	_auto_accept.button_pressed = on


func _on_auto_accept_toggled(on: bool) -> void:
	if on:
		for peer in _pending_requests.keys():
			accept_session(peer)


## The session's CONNECTION_STATE_* with `peer` (CONNECTION_STATE_NONE without one).
func session_state(peer: int) -> int:
	return Steam.getSessionConnectionInfo(peer, false, false).get("connection_state", Steam.CONNECTION_STATE_NONE)


# ---- Peers ----


## Makes `peer` the one chat and avatar positions go to.
func select_peer(peer: int) -> void:
	if peer <= 0 or peer == my_steam_id:
		return
	_add_peer(peer)
	selected_peer = peer
	_stalled.erase(peer)
	var index := _peers.find(peer)
	if index >= 0 and not _peer_list.is_selected(index):
		_peer_list.select(index)
	_refresh_info()


## Other instances the local backend sees. GodotSteam itself has no such call (on Steam you find friends
## through the Friends or Matchmaking APIs), so it is looked up by name.
func visible_peers() -> Array:
	if Steam.has_method("getVisiblePeers"):
		return Steam.call("getVisiblePeers")
	return []


func _add_peer(peer: int) -> void:
	if peer <= 0 or peer == my_steam_id or peer in _peers:
		return
	_peers.append(peer)
	var index := _peer_list.add_item(str(peer))
	_peer_list.set_item_custom_fg_color(index, color_of(peer))
	_peer_list.set_item_metadata(index, peer)


func _refresh_peers() -> void:
	_visible_peers = visible_peers()
	for peer in _visible_peers:
		_add_peer(peer)
	for index in _peers.size():
		var peer := _peers[index]
		var state := session_state(peer)
		if state != _last_states.get(peer, Steam.CONNECTION_STATE_NONE):
			_log("[color=gray]session with %s: %s[/color]" % [_escape(peer_name(peer)), state_name(state)])
			_last_states[peer] = state
		if _pending_requests.has(peer) and state == Steam.CONNECTION_STATE_CONNECTED:
			# Sending to a peer accepts its pending request too (for example after selecting it).
			_log("[color=gray]the session with %s was accepted by sending to it[/color]" % _escape(peer_name(peer)))
			_drop_request(peer)
		var status := ""
		if _pending_requests.has(peer):
			status = "wants to talk"
		elif state != Steam.CONNECTION_STATE_NONE:
			status = state_name(state)
		elif peer in _visible_peers:
			status = "visible"
		var persona := persona_name(peer)
		var label := str(peer) if persona == "" else "%s · %s" % [persona, short_id(peer)]
		_peer_list.set_item_text(index, "%s  %s" % [label, status])


func _on_peer_selected(index: int) -> void:
	select_peer(_peer_list.get_item_metadata(index))


func _on_add_peer(_text := "") -> void:
	var text := _add_input.text.strip_edges().trim_prefix("steamid:")
	if not text.is_valid_int() or int(text) <= 0:
		_log("[color=salmon]'%s' is not a Steam ID (a number like 76561197960265729)[/color]" % _escape(text))
		return
	_add_input.clear()
	select_peer(int(text))
	_refresh_peers()


# ---- Display ----


func _refresh_info() -> void:
	if selected_peer == 0:
		_info_title.text = "Session"
		_info.text = "Select a peer to see\nthe session with it."
		return
	_info_title.text = "Session with %s" % peer_name(selected_peer)
	var info: Dictionary = Steam.getSessionConnectionInfo(selected_peer, true, true)
	var state: int = info.get("connection_state", Steam.CONNECTION_STATE_NONE)
	var lines := PackedStringArray()
	lines.append("state    %s" % state_name(state))
	if state == Steam.CONNECTION_STATE_NONE:
		lines.append("(none yet: sending opens one)")
	var ping := int(info.get("ping", -1))
	lines.append("ping     %s" % ("%d ms" % ping if ping >= 0 else "-"))
	lines.append("quality  %.2f / %.2f" % [float(info.get("local_quality", 0.0)), float(info.get("remote_quality", 0.0))])
	lines.append("out/s    %5.1f pkt %s" % [float(info.get("packets_out_per_second", 0.0)), _bytes(info.get("bytes_out_per_second", 0.0))])
	lines.append("in/s     %5.1f pkt %s" % [float(info.get("packets_in_per_second", 0.0)), _bytes(info.get("bytes_in_per_second", 0.0))])
	lines.append("pending  %s reliable" % _bytes(info.get("pending_reliable", 0)))
	lines.append("         %s unreliable" % _bytes(info.get("pending_unreliable", 0)))
	lines.append("unacked  %s" % _bytes(info.get("sent_unacknowledged_reliable", 0)))
	var address: String = str(info.get("remote_address", ""))
	if not address.is_empty():
		lines.append("address  %s" % address)
	if int(info.get("end_reason", 0)) != 0:
		lines.append("ended    %d %s" % [int(info.get("end_reason", 0)), str(info.get("end_debug", ""))])
	_info.text = "\n".join(lines)


func _update_arena() -> void:
	var list: Array[Dictionary] = []
	var now := Time.get_ticks_msec()
	for peer in _peer_avatars.keys():
		var avatar: Dictionary = _peer_avatars[peer]
		if now - int(avatar["time"]) > AVATAR_TIMEOUT_MSEC:
			_peer_avatars.erase(peer)
			continue
		var persona := persona_name(peer)
		list.append({"at": avatar["at"], "color": color_of(peer), "label": persona if persona != "" else short_id(peer), "you": false})
	list.append({"at": my_avatar, "color": color_of(my_steam_id), "label": "you", "you": true})
	_arena.show_avatars(list)


func _move_avatar(delta: float) -> void:
	var direction := Vector2.ZERO
	if Input.is_key_pressed(KEY_LEFT) or Input.is_physical_key_pressed(KEY_A):
		direction.x -= 1.0
	if Input.is_key_pressed(KEY_RIGHT) or Input.is_physical_key_pressed(KEY_D):
		direction.x += 1.0
	if Input.is_key_pressed(KEY_UP) or Input.is_physical_key_pressed(KEY_W):
		direction.y -= 1.0
	if Input.is_key_pressed(KEY_DOWN) or Input.is_physical_key_pressed(KEY_S):
		direction.y += 1.0
	if direction != Vector2.ZERO:
		my_avatar = (my_avatar + direction.normalized() * AVATAR_SPEED * delta).clamp(Vector2.ZERO, Vector2.ONE)


func _log(bbcode: String) -> void:
	_chat_log.append_text("[color=gray]%s[/color] %s\n" % [Time.get_time_string_from_system(), bbcode])


func _on_chat_submitted(_text := "") -> void:
	if send_chat(_chat_input.text) == Steam.RESULT_OK:
		_chat_input.clear()


## A stable color for a Steam ID.
static func color_of(steam_id: int) -> Color:
	return Color.from_hsv(fmod(float(steam_id % 9973) * 0.618034, 1.0), 0.6, 0.95)


## The last digits of a Steam ID, enough to tell peers apart in a log.
static func short_id(steam_id: int) -> String:
	return "…" + str(steam_id).right(6)


## How the demo names a peer: its persona name once known, with the end of its Steam ID.
## Plain text: escape it for the BBCode log.
func peer_name(steam_id: int) -> String:
	var persona := persona_name(steam_id)
	return short_id(steam_id) if persona == "" else "%s (%s)" % [persona, short_id(steam_id)]


## A peer's persona name, "" until it is known: GodotSteam's getFriendPersonaName, which this addon stands in
## for on the local backend (on the Steam backend only GodotSteam's own `Steam` answers it).
func persona_name(steam_id: int) -> String:
	var ours := Steam == Engine.get_singleton("SteamNetworkingMessages")
	if (ours and backend_name != "local") or not Steam.has_method("getFriendPersonaName"):
		return ""
	return Steam.getFriendPersonaName(steam_id)


## A readable name for a CONNECTION_STATE_* value.
func state_name(state: int) -> String:
	return _state_names.get(state, "state %d" % state)


static func _bytes(amount: Variant) -> String:
	var value := float(amount)
	if value >= 1024.0 * 1024.0:
		return "%.1f MB" % (value / 1024.0 / 1024.0)
	if value >= 1024.0:
		return "%.1f KB" % (value / 1024.0)
	return "%d B" % int(value)


static func _escape(text: String) -> String:
	return text.replace("[", "[lb]")


## "steam" or "local". getBackend() is this extension's; with GodotSteam it is always Steam.
func _backend_name() -> String:
	if Steam.has_method("getBackend"):
		return Steam.call("getBackend")
	return "local" if init_verbal.contains("local backend") else "steam"


## Whether demo_script.gd drives this instance: `--demo-script`, or no display to show anything on.
static func _scripted() -> bool:
	return _user_flag("demo-script") or DisplayServer.get_name() == "headless"


## With `--demo-screenshot=<file.png>` (a debugging aid), saves what the window shows to that file.
func save_screenshot_if_asked() -> void:
	var path := _user_arg("demo-screenshot", "")
	if path.is_empty() or DisplayServer.get_name() == "headless":
		return
	await RenderingServer.frame_post_draw
	var error := get_viewport().get_texture().get_image().save_png(path)
	print("screenshot %s: %s" % [path, error_string(error)])


## The value of `--name=value` among the user arguments (after `--`), else `default`.
static func _user_arg(option: String, default: String) -> String:
	for arg in OS.get_cmdline_user_args():
		if arg.begins_with("--%s=" % option):
			return arg.get_slice("=", 1)
	return default


static func _user_flag(option: String) -> bool:
	return ("--" + option) in OS.get_cmdline_user_args()


# ---- Layout (built in code so the scene file stays a single node) ----


func _build_ui() -> void:
	var ui_theme := Theme.new()
	ui_theme.default_font_size = 13
	theme = ui_theme
	var mono := SystemFont.new()
	mono.font_names = PackedStringArray(["DejaVu Sans Mono", "Menlo", "Consolas", "monospace"])

	var background := ColorRect.new()
	background.color = Color(0.16, 0.17, 0.2)
	background.set_anchors_and_offsets_preset(Control.PRESET_FULL_RECT)
	add_child(background)
	var margin := MarginContainer.new()
	margin.set_anchors_and_offsets_preset(Control.PRESET_FULL_RECT)
	for side in ["left", "right", "top", "bottom"]:
		margin.add_theme_constant_override("margin_" + side, 6)
	add_child(margin)
	var page := VBoxContainer.new()
	margin.add_child(page)

	var top := HBoxContainer.new()
	page.add_child(top)
	_swatch = ColorRect.new()
	_swatch.custom_minimum_size = Vector2(14, 14)
	_swatch.size_flags_vertical = Control.SIZE_SHRINK_CENTER
	_swatch.color = Color.DIM_GRAY
	top.add_child(_swatch)
	_header = Label.new()
	_header.text = "Starting Steam…"
	_header.add_theme_font_size_override("font_size", 15)
	_header.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	_header.clip_text = true
	top.add_child(_header)

	var columns := HBoxContainer.new()
	columns.size_flags_vertical = Control.SIZE_EXPAND_FILL
	page.add_child(columns)

	var left := VBoxContainer.new()
	left.custom_minimum_size = Vector2(232, 0)
	columns.add_child(left)
	left.add_child(_title("Peers"))
	_peer_list = ItemList.new()
	_peer_list.custom_minimum_size = Vector2(0, 96)
	_peer_list.focus_mode = Control.FOCUS_NONE
	_peer_list.item_selected.connect(_on_peer_selected)
	left.add_child(_peer_list)
	var add_row := HBoxContainer.new()
	left.add_child(add_row)
	_add_input = LineEdit.new()
	_add_input.placeholder_text = "Steam ID"
	_add_input.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	_add_input.text_submitted.connect(_on_add_peer)
	add_row.add_child(_add_input)
	var add_button := Button.new()
	add_button.text = "Add"
	add_button.focus_mode = Control.FOCUS_NONE
	add_button.pressed.connect(_on_add_peer)
	add_row.add_child(add_button)

	var request_row := HBoxContainer.new()
	left.add_child(request_row)
	var requests_title := _title("Requests")
	requests_title.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	request_row.add_child(requests_title)
	_auto_accept = CheckBox.new()
	_auto_accept.text = "auto-accept"
	_auto_accept.focus_mode = Control.FOCUS_NONE
	_auto_accept.toggled.connect(_on_auto_accept_toggled)
	request_row.add_child(_auto_accept)
	_requests_box = VBoxContainer.new()
	left.add_child(_requests_box)
	_lobby_column = VBoxContainer.new()
	left.add_child(_lobby_column)

	_info_title = _title("Session")
	left.add_child(_info_title)
	_info = Label.new()
	_info.add_theme_font_override("font", mono)
	_info.add_theme_font_size_override("font_size", 12)
	_info.size_flags_vertical = Control.SIZE_EXPAND_FILL
	_info.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	left.add_child(_info)

	var right := VBoxContainer.new()
	right.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	columns.add_child(right)
	_arena = Arena.new()
	_arena.custom_minimum_size = Vector2(0, 200)
	_arena.size_flags_vertical = Control.SIZE_EXPAND_FILL
	_arena.size_flags_stretch_ratio = 1.2
	right.add_child(_arena)
	_chat_log = RichTextLabel.new()
	_chat_log.bbcode_enabled = true
	_chat_log.scroll_following = true
	_chat_log.selection_enabled = true
	_chat_log.focus_mode = Control.FOCUS_NONE
	_chat_log.size_flags_vertical = Control.SIZE_EXPAND_FILL
	_chat_log.add_theme_font_size_override("normal_font_size", 12)
	right.add_child(_chat_log)
	var chat_row := HBoxContainer.new()
	right.add_child(chat_row)
	_chat_input = LineEdit.new()
	_chat_input.placeholder_text = "Say something to the selected peer"
	_chat_input.max_length = MAX_CHAT_LENGTH
	_chat_input.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	_chat_input.text_submitted.connect(_on_chat_submitted)
	chat_row.add_child(_chat_input)
	var send := Button.new()
	send.text = "Send"
	send.focus_mode = Control.FOCUS_NONE
	send.pressed.connect(_on_chat_submitted)
	chat_row.add_child(send)


func _title(text: String) -> Label:
	var label := Label.new()
	label.text = text
	label.add_theme_color_override("font_color", Color(0.6, 0.75, 1.0))
	return label
