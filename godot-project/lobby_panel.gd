## The demo's lobby panel, written as a GodotSteam user would (plain `Steam.` lobby calls and signals from
## GodotSteam's documentation): Host makes a public lobby named after this player; Find lists the demo's
## lobbies (a string filter on the "game" key); Join enters the selected one; Leave leaves. The members of the
## lobby this player is in are handed to the demo's peer list (signal `member_found`), so chat and avatars
## reach them over Networking Messages, and lobby events show in the demo's log.
extends VBoxContainer

## A member of our lobby, to talk to over Networking Messages.
signal member_found(steam_id: int)
## A line for the demo's log (BBCode).
signal said(bbcode: String)

## The "game" value the demo's lobbies carry, so searches find only them.
const GAME := "godot-steam-messages demo"
const MAX_MEMBERS := 4

## The lobby this player is in; 0 for none.
var lobby_id := 0
var _found: Array = []
var _list: ItemList
var _status: Label
var _join: Button
var _leave: Button


func _ready() -> void:
	var buttons := HBoxContainer.new()
	add_child(buttons)
	_button(buttons, "Host", _on_host)
	_button(buttons, "Find", find_lobbies)
	_join = _button(buttons, "Join", _on_join)
	_join.disabled = true
	_leave = _button(buttons, "Leave", leave_lobby)
	_leave.disabled = true
	_list = ItemList.new()
	_list.custom_minimum_size = Vector2(0, 52)
	_list.focus_mode = Control.FOCUS_NONE
	_list.item_selected.connect(func(_index: int) -> void: _join.disabled = lobby_id != 0)
	add_child(_list)
	_status = Label.new()
	_status.text = "Not in a lobby"
	_status.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	add_child(_status)
	Steam.lobby_created.connect(_on_lobby_created)
	Steam.lobby_joined.connect(_on_lobby_joined)
	Steam.lobby_chat_update.connect(_on_lobby_chat_update)
	Steam.lobby_match_list.connect(_on_lobby_match_list)
	Steam.lobby_data_update.connect(func(_success: int, _lobby: int, _member: int) -> void: _refresh())
	Steam.lobby_kicked.connect(_on_lobby_kicked)


## Makes a public lobby for MAX_MEMBERS players (lobby_created, then lobby_joined, follow).
func host_lobby() -> void:
	if lobby_id == 0:
		Steam.createLobby(Steam.LOBBY_TYPE_PUBLIC, MAX_MEMBERS)


## Asks for the demo's lobbies (lobby_match_list follows).
func find_lobbies() -> void:
	Steam.addRequestLobbyListStringFilter("game", GAME, Steam.LOBBY_COMPARISON_EQUAL)
	Steam.addRequestLobbyListDistanceFilter(Steam.LOBBY_DISTANCE_FILTER_WORLDWIDE)
	Steam.requestLobbyList()


## Joins a lobby by ID (lobby_joined follows).
func join_lobby(lobby: int) -> void:
	if lobby_id == 0:
		Steam.joinLobby(lobby)


## A button in `row` that does not take the keyboard focus (the arrow keys move the avatar).
func _button(row: HBoxContainer, text: String, on_pressed: Callable) -> Button:
	var button := Button.new()
	button.text = text
	button.focus_mode = Control.FOCUS_NONE
	button.pressed.connect(on_pressed)
	row.add_child(button)
	return button


func leave_lobby() -> void:
	if lobby_id != 0:
		Steam.leaveLobby(lobby_id)
		said.emit("[color=gray]left lobby %d[/color]" % lobby_id)
		lobby_id = 0
		_refresh()


## The lobbies the last search found.
func found_lobbies() -> Array:
	return _found


## The members of our lobby, in the order they joined.
func members() -> Array:
	var list := []
	for index in Steam.getNumLobbyMembers(lobby_id):
		list.append(Steam.getLobbyMemberByIndex(lobby_id, index))
	return list


func _on_host() -> void:
	host_lobby()


func _on_join() -> void:
	var selected := _list.get_selected_items()
	if not selected.is_empty():
		join_lobby(_found[selected[0]])


func _on_lobby_created(connect: int, lobby: int) -> void:
	if connect != Steam.RESULT_OK:
		said.emit("[color=salmon]could not create a lobby (result %d)[/color]" % connect)
		return
	Steam.setLobbyData(lobby, "game", GAME)
	Steam.setLobbyData(lobby, "name", "%s's lobby" % Steam.getPersonaName())


func _on_lobby_joined(lobby: int, _permissions: int, _locked: bool, response: int) -> void:
	if response != Steam.CHAT_ROOM_ENTER_RESPONSE_SUCCESS:
		said.emit("[color=salmon]could not join lobby %d (response %d)[/color]" % [lobby, response])
		return
	lobby_id = lobby
	said.emit("[color=gray]in lobby %d, owned by %d[/color]" % [lobby, Steam.getLobbyOwner(lobby)])
	_refresh()


func _on_lobby_chat_update(lobby: int, changed: int, _making_change: int, state: int) -> void:
	if lobby != lobby_id:
		return
	var what := "entered"
	if state & Steam.CHAT_MEMBER_STATE_CHANGE_LEFT:
		what = "left"
	elif state & Steam.CHAT_MEMBER_STATE_CHANGE_DISCONNECTED:
		what = "disconnected"
	said.emit("[color=gray]%d %s the lobby[/color]" % [changed, what])
	_refresh()


func _on_lobby_kicked(lobby: int, _admin: int, _due_to_disconnect: int) -> void:
	if lobby == lobby_id:
		said.emit("[color=salmon]dropped from lobby %d[/color]" % lobby)
		lobby_id = 0
		_refresh()


func _on_lobby_match_list(lobbies: Array) -> void:
	_found = lobbies
	_list.clear()
	for lobby in lobbies:
		var title := Steam.getLobbyData(lobby, "name")
		_list.add_item("%s  %d/%d" % [title if title != "" else str(lobby), Steam.getNumLobbyMembers(lobby), Steam.getLobbyMemberLimit(lobby)])
	_join.disabled = true
	said.emit("[color=gray]found %d lobb%s[/color]" % [lobbies.size(), "y" if lobbies.size() == 1 else "ies"])


func _refresh() -> void:
	_leave.disabled = lobby_id == 0
	if lobby_id == 0:
		_status.text = "Not in a lobby"
		return
	var list := members()
	for member in list:
		member_found.emit(member)
	var owner := Steam.getLobbyOwner(lobby_id)
	var owner_name := Steam.getFriendPersonaName(owner)
	_status.text = "%s: %d/%d, owner %s" % [Steam.getLobbyData(lobby_id, "name"), list.size(), Steam.getLobbyMemberLimit(lobby_id), owner_name if owner_name != "" else str(owner)]
