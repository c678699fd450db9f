## The GDScript surface matches GodotSteam's bindings: names, argument names, defaults, signals, constants.
extends SceneTree

const Check = preload("res://lib/check.gd")
const CLASS := "SteamNetworkingMessages"

var t := Check.new()


func _init() -> void:
	singleton_is_registered()
	messages_methods_have_godotsteam_arguments_and_no_defaults()
	init_methods_have_godotsteam_defaults()
	identity_methods_exist()
	signals_have_godotsteam_arguments()
	send_flag_constants_have_steam_values()
	connection_end_constants_have_steam_values()
	connection_state_constants_have_steam_values()
	result_constants_have_steam_values()
	init_result_constants_have_steam_values()
	persona_functions_signal_and_constants_are_godotsteams()
	lobby_functions_signals_and_constants_are_godotsteams()
	every_documented_project_setting_is_registered()
	t.finish(self)


func method_info(name: String) -> Dictionary:
	for method in ClassDB.class_get_method_list(CLASS, true):
		if method["name"] == name:
			return method
	return {}


func arg_names(method: Dictionary) -> Array:
	var names := []
	for arg in method.get("args", []):
		names.append(arg["name"])
	return names


func singleton_is_registered() -> void:
	t.ok(Engine.has_singleton(CLASS), "engine singleton %s exists" % CLASS)
	t.ok(ClassDB.class_exists(CLASS), "class %s is registered" % CLASS)


func messages_methods_have_godotsteam_arguments_and_no_defaults() -> void:
	var expected := {
		"acceptSessionWithUser": ["remote_steam_id"],
		"closeChannelWithUser": ["remote_steam_id", "channel"],
		"closeSessionWithUser": ["remote_steam_id"],
		"getSessionConnectionInfo": ["remote_steam_id", "get_connection", "get_status"],
		"receiveMessagesOnChannel": ["channel", "max_messages"],
		"sendMessageToUser": ["remote_steam_id", "data", "flags", "channel"],
	}
	var returns := {
		"acceptSessionWithUser": TYPE_BOOL,
		"closeChannelWithUser": TYPE_BOOL,
		"closeSessionWithUser": TYPE_BOOL,
		"getSessionConnectionInfo": TYPE_DICTIONARY,
		"receiveMessagesOnChannel": TYPE_ARRAY,
		"sendMessageToUser": TYPE_INT,
	}
	for name in expected:
		var method := method_info(name)
		t.ok(not method.is_empty(), "%s is bound" % name)
		t.eq(arg_names(method), expected[name], "%s argument names" % name)
		t.eq(method.get("default_args", []).size(), 0, "%s has no default arguments" % name)
		t.eq(method.get("return", {}).get("type", -1), returns[name], "%s return type" % name)
	var send := method_info("sendMessageToUser")
	t.eq(send["args"][1]["type"], TYPE_PACKED_BYTE_ARRAY, "sendMessageToUser data is a PackedByteArray")


func init_methods_have_godotsteam_defaults() -> void:
	for name in ["steamInit", "steamInitEx"]:
		var method := method_info(name)
		t.eq(arg_names(method), ["app_id", "embed_callbacks"], "%s argument names" % name)
		t.eq(method.get("default_args", []), [0, false], "%s defaults" % name)
	t.eq(method_info("steamInit").get("return", {}).get("type", -1), TYPE_BOOL, "steamInit returns bool")
	t.eq(method_info("steamInitEx").get("return", {}).get("type", -1), TYPE_DICTIONARY, "steamInitEx returns Dictionary")
	for name in ["get_steam_init_result", "steamShutdown", "run_callbacks", "getSteamID", "isSteamRunning"]:
		var method := method_info(name)
		t.ok(not method.is_empty(), "%s is bound" % name)
		t.eq(arg_names(method), [], "%s takes no arguments" % name)


func identity_methods_exist() -> void:
	var expected := {
		"addIdentity": ["reference_name"],
		"setIdentitySteamID64": ["reference_name", "steam_id"],
		"getIdentitySteamID64": ["reference_name"],
		"clearIdentity": ["reference_name"],
	}
	for name in expected:
		t.eq(arg_names(method_info(name)), expected[name], "%s argument names" % name)


func signals_have_godotsteam_arguments() -> void:
	var request := ClassDB.class_get_signal(CLASS, "network_messages_session_request")
	t.eq(arg_names(request), ["remote_steam_id"], "network_messages_session_request arguments")
	t.eq(request["args"][0]["type"], TYPE_INT, "session request remote_steam_id is int")
	var failed := ClassDB.class_get_signal(CLASS, "network_messages_session_failed")
	t.eq(arg_names(failed), ["reason", "remote_steam_id", "connection_state", "debug_message"], "network_messages_session_failed arguments")
	var types := []
	for arg in failed.get("args", []):
		types.append(arg["type"])
	t.eq(types, [TYPE_INT, TYPE_INT, TYPE_INT, TYPE_STRING], "network_messages_session_failed argument types")


func check_constants(expected: Dictionary, enum_name: String) -> void:
	for name in expected:
		t.ok(ClassDB.class_has_integer_constant(CLASS, name), "constant %s exists" % name)
		t.eq(ClassDB.class_get_integer_constant(CLASS, name), expected[name], "constant %s" % name)
		t.eq(String(ClassDB.class_get_integer_constant_enum(CLASS, name)), enum_name, "constant %s belongs to '%s'" % [name, enum_name])


func send_flag_constants_have_steam_values() -> void:
	check_constants({
		"NETWORKING_SEND_UNRELIABLE": 0,
		"NETWORKING_SEND_NO_NAGLE": 1,
		"NETWORKING_SEND_URELIABLE_NO_NAGLE": 1,
		"NETWORKING_SEND_NO_DELAY": 4,
		"NETWORKING_SEND_UNRELIABLE_NO_DELAY": 5,
		"NETWORKING_SEND_RELIABLE": 8,
		"NETWORKING_SEND_RELIABLE_NO_NAGLE": 9,
		"NETWORKING_SEND_USE_CURRENT_THREAD": 16,
		"NETWORKING_SEND_AUTORESTART_BROKEN_SESSION": 32,
		"MAX_STEAM_PACKET_SIZE": 524288,
	}, "")
	# Through the singleton, as GDScript writes them.
	var steam = Engine.get_singleton(CLASS)
	t.eq(steam.NETWORKING_SEND_RELIABLE, 8, "constants read through the singleton")


func connection_end_constants_have_steam_values() -> void:
	check_constants({
		"CONNECTION_END_INVALID": 0,
		"CONNECTION_END_APP_MIN": 1000,
		"CONNECTION_END_APP_GENERIC": 1000,
		"CONNECTION_END_MAX": 1999,
		"CONNECTION_END_APP_MAX": 1999,
		"CONNECTION_END_APP_EXCEPTION_MIN": 2000,
		"CONNECTION_END_APP_EXCEPTION_GENERIC": 2000,
		"CONNECTION_END_APP_EXCEPTION_MAX": 2999,
		"CONNECTION_END_LOCAL_MIN": 3000,
		"CONNECTION_END_LOCAL_OFFLINE_MODE": 3001,
		"CONNECTION_END_LOCAL_MANY_RELAY_CONNECTIVITY": 3002,
		"CONNECTION_END_LOCAL_HOSTED_sERVER_PRIMARY_RELAY": 3003,
		"CONNECTION_END_LOCAL_HOSTED_SERVER_PRIMARY_RELAY": 3003,
		"CONNECTION_END_LOCAL_NETWORK_CONFIG": 3004,
		"CONNECTION_END_LOCAL_RIGHTS": 3005,
		"CONNECTION_END_NO_PUBLIC_ADDRESS": 3006,
		"CONNECTION_END_LOCAL_MAX": 3999,
		"CONNECTION_END_REMOVE_MIN": 4000,
		"CONNECTION_END_REMOTE_TIMEOUT": 4001,
		"CONNECTION_END_REMOTE_BAD_CRYPT": 4002,
		"CONNECTION_END_REMOTE_BAD_CERT": 4003,
		"CONNECTION_END_REMOTE_NOT_LOGGED_IN": 4004,
		"CONNECTION_END_REMOTE_NOT_RUNNING_APP": 4005,
		"CONNECTION_END_BAD_PROTOCOL_VERSION": 4006,
		"CONNECTION_END_REMOTE_P2P_ICE_NO_PUBLIC_ADDRESSES": 4007,
		"CONNECTION_END_REMOTE_MAX": 4999,
		"CONNECTION_END_MISC_MIN": 5000,
		"CONNECTION_END_MISC_GENERIC": 5001,
		"CONNECTION_END_MISC_INTERNAL_ERROR": 5002,
		"CONNECTION_END_MISC_TIMEOUT": 5003,
		"CONNECTION_END_MISC_RELAY_CONNECTIVITY": 5004,
		"CONNECTION_END_MISC_STEAM_CONNECTIVITY": 5005,
		"CONNECTION_END_MISC_NO_RELAY_SESSIONS_TO_CLIENT": 5006,
		"CONNECTION_END_MISC_P2P_RENDEZVOUS": 5008,
		"CONNECTION_END_MISC_P2P_NAT_FIREWALL": 5009,
		"CONNECTION_END_MISC_PEER_SENT_NO_CONNECTION": 5010,
		"CONNECTION_END_MISC_MAX": 5999,
	}, "NetworkingConnectionEnd")


func connection_state_constants_have_steam_values() -> void:
	check_constants({
		"CONNECTION_STATE_NONE": 0,
		"CONNECTION_STATE_CONNECTING": 1,
		"CONNECTION_STATE_FINDING_ROUTE": 2,
		"CONNECTION_STATE_CONNECTED": 3,
		"CONNECTION_STATE_CLOSED_BY_PEER": 4,
		"CONNECTION_STATE_PROBLEM_DETECTED_LOCALLY": 5,
		"CONNECTION_STATE_FIN_WAIT": -1,
		"CONNECTION_STATE_LINGER": -2,
		"CONNECTION_STATE_DEAD": -3,
	}, "NetworkingConnectionState")


func result_constants_have_steam_values() -> void:
	check_constants({
		"RESULT_NONE": 0,
		"RESULT_OK": 1,
		"RESULT_FAIL": 2,
		"RESULT_NO_CONNECTION": 3,
		"RESULT_INVALID_PARAM": 8,
		"RESULT_INVALID_STATE": 11,
		"RESULT_LIMIT_EXCEEDED": 25,
		"RESULT_CONNECT_FAILED": 35,
		"RESULT_IGNORED": 41,
	}, "Result")


func init_result_constants_have_steam_values() -> void:
	check_constants({
		"STEAM_API_INIT_RESULT_OK": 0,
		"STEAM_API_INIT_RESULT_FAILED_GENERIC": 1,
		"STEAM_API_INIT_RESULT_NO_STEAM_CLIENT": 2,
		"STEAM_API_INIT_RESULT_VERSION_MISMATCH": 3,
	}, "SteamAPIInitResult")


func persona_functions_signal_and_constants_are_godotsteams() -> void:
	t.eq(arg_names(method_info("getPersonaName")), [], "getPersonaName takes no arguments")
	t.eq(method_info("getPersonaName").get("return", {}).get("type", -1), TYPE_STRING, "getPersonaName returns String")
	var friend := method_info("getFriendPersonaName")
	t.eq(arg_names(friend), ["steam_id"], "getFriendPersonaName argument names")
	t.eq(friend.get("args", [{}])[0].get("type", -1), TYPE_INT, "getFriendPersonaName takes an int Steam ID")
	t.eq(friend.get("return", {}).get("type", -1), TYPE_STRING, "getFriendPersonaName returns String")
	var request := method_info("requestUserInformation")
	t.eq(arg_names(request), ["steam_id", "require_name_only"], "requestUserInformation argument names")
	t.eq(request.get("return", {}).get("type", -1), TYPE_BOOL, "requestUserInformation returns bool")
	var change := ClassDB.class_get_signal(CLASS, "persona_state_change")
	t.eq(arg_names(change), ["steam_id", "flags"], "persona_state_change arguments")
	check_constants({
		"PERSONA_CHANGE_NAME": 1,
		"PERSONA_CHANGE_STATUS": 2,
		"PERSONA_CHANGE_COME_ONLINE": 4,
		"PERSONA_CHANGE_GONE_OFFLINE": 8,
		"PERSONA_CHANGE_GAME_PLAYED": 16,
		"PERSONA_CHANGE_GAME_SERVER": 32,
		"PERSONA_CHANGE_AVATAR": 64,
		"PERSONA_CHANGE_JOINED_SOURCE": 128,
		"PERSONA_CHANGE_LEFT_SOURCE": 256,
		"PERSONA_CHANGE_RELATIONSHIP_CHANGED": 512,
		"PERSONA_CHANGE_NAME_FIRST_SET": 1024,
		"PERSONA_CHANGE_FACEBOOK_INFO": 2048,
		"PERSONA_CHANGE_NICKNAME": 4096,
		"PERSONA_CHANGE_STEAM_LEVEL": 8192,
		"PERSONA_CHANGE_RICH_PRESENCE": 16384,
	}, "PersonaChange")


## The settings the README documents under steam/ all show in Project Settings.
func lobby_functions_signals_and_constants_are_godotsteams() -> void:
	var expected := {
		"createLobby": [["lobby_type", "max_members"], TYPE_NIL],
		"joinLobby": [["steam_lobby_id"], TYPE_NIL],
		"leaveLobby": [["steam_lobby_id"], TYPE_NIL],
		"getNumLobbyMembers": [["steam_lobby_id"], TYPE_INT],
		"getLobbyMemberByIndex": [["steam_lobby_id", "member"], TYPE_INT],
		"getLobbyOwner": [["steam_lobby_id"], TYPE_INT],
		"setLobbyData": [["steam_lobby_id", "key", "value"], TYPE_BOOL],
		"getLobbyData": [["steam_lobby_id", "key"], TYPE_STRING],
		"getAllLobbyData": [["steam_lobby_id"], TYPE_DICTIONARY],
		"deleteLobbyData": [["steam_lobby_id", "key"], TYPE_BOOL],
		"setLobbyJoinable": [["steam_lobby_id", "joinable"], TYPE_BOOL],
		"setLobbyType": [["steam_lobby_id", "lobby_type"], TYPE_BOOL],
		"setLobbyMemberLimit": [["steam_lobby_id", "max_members"], TYPE_BOOL],
		"getLobbyMemberLimit": [["steam_lobby_id"], TYPE_INT],
		"requestLobbyList": [[], TYPE_NIL],
		"addRequestLobbyListDistanceFilter": [["distance_filter"], TYPE_NIL],
		"addRequestLobbyListStringFilter": [["key_to_match", "value_to_match", "comparison_type"], TYPE_NIL],
		"addRequestLobbyListNumericalFilter": [["key_to_match", "value_to_match", "comparison_type"], TYPE_NIL],
		"addRequestLobbyListNearValueFilter": [["key_to_match", "value_to_be_close_to"], TYPE_NIL],
		"addRequestLobbyListFilterSlotsAvailable": [["slots_available"], TYPE_NIL],
		"addRequestLobbyListResultCountFilter": [["max_results"], TYPE_NIL],
		"sendLobbyChatMsg": [["steam_lobby_id", "message_body"], TYPE_BOOL],
		"getLobbyMemberData": [["steam_lobby_id", "steam_id_user", "key"], TYPE_STRING],
		"setLobbyMemberData": [["steam_lobby_id", "key", "value"], TYPE_NIL],
		"isLobby": [["steam_id"], TYPE_BOOL],
		"setLobbyOwner": [["steam_lobby_id", "steam_id_new_owner"], TYPE_BOOL],
		"inviteUserToLobby": [["steam_lobby_id", "steam_id_invitee"], TYPE_BOOL],
		"isSubscribed": [[], TYPE_BOOL],
		"requestLobbyData": [["steam_lobby_id"], TYPE_BOOL],
		"setLobbyGameServer": [["steam_lobby_id", "server_ip", "server_port", "steam_id_game_server"], TYPE_NIL],
		"getLobbyGameServer": [["steam_lobby_id"], TYPE_DICTIONARY],
	}
	for name in expected:
		var method := method_info(name)
		t.eq(arg_names(method), expected[name][0], "%s arguments" % name)
		t.eq(method.get("return", {}).get("type", -1), expected[name][1], "%s return type" % name)
	t.eq(method_info("createLobby").get("default_args", []), [2], "createLobby: max_members defaults to 2, as GodotSteam's")
	t.eq(method_info("setLobbyGameServer").get("default_args", []), ["0", 0, 0], "setLobbyGameServer: GodotSteam's defaults")
	var signals := {
		"lobby_created": ["connect", "lobby_id"],
		"lobby_joined": ["lobby", "permissions", "locked", "response"],
		"lobby_chat_update": ["lobby_id", "changed_id", "making_change_id", "chat_state"],
		"lobby_data_update": ["success", "lobby_id", "member_id"],
		"lobby_match_list": ["lobbies"],
		"lobby_message": ["lobby_id", "user", "message", "chat_type"],
		"lobby_invite": ["inviter", "lobby", "game"],
		"join_requested": ["lobby_id", "steam_id"],
		"lobby_kicked": ["lobby_id", "admin_id", "due_to_disconnect"],
		"lobby_game_created": ["lobby_id", "server_id", "server_ip", "port"],
	}
	for name in signals:
		t.eq(arg_names(ClassDB.class_get_signal(CLASS, name)), signals[name], "%s arguments" % name)
	var constants := {
		"LOBBY_TYPE_PRIVATE": 0, "LOBBY_TYPE_FRIENDS_ONLY": 1, "LOBBY_TYPE_PUBLIC": 2, "LOBBY_TYPE_INVISIBLE": 3,
		"LOBBY_TYPE_PRIVATE_UNIQUE": 4,
		"LOBBY_COMPARISON_EQUAL_TO_OR_LESS_THAN": -2, "LOBBY_COMPARISON_LESS_THAN": -1, "LOBBY_COMPARISON_EQUAL": 0,
		"LOBBY_COMPARISON_GREATER_THAN": 1, "LOBBY_COMPARISON_EQUAL_TO_GREATER_THAN": 2, "LOBBY_COMPARISON_NOT_EQUAL": 3,
		"LOBBY_DISTANCE_FILTER_CLOSE": 0, "LOBBY_DISTANCE_FILTER_DEFAULT": 1, "LOBBY_DISTANCE_FILTER_FAR": 2,
		"LOBBY_DISTANCE_FILTER_WORLDWIDE": 3,
		"CHAT_ROOM_ENTER_RESPONSE_SUCCESS": 1, "CHAT_ROOM_ENTER_RESPONSE_DOESNT_EXIST": 2,
		"CHAT_ROOM_ENTER_RESPONSE_NOT_ALLOWED": 3, "CHAT_ROOM_ENTER_RESPONSE_FULL": 4, "CHAT_ROOM_ENTER_RESPONSE_ERROR": 5,
		"CHAT_ROOM_ENTER_RESPONSE_RATE_LIMIT_EXCEEDED": 15,
		"CHAT_MEMBER_STATE_CHANGE_ENTERED": 1, "CHAT_MEMBER_STATE_CHANGE_LEFT": 2,
		"CHAT_MEMBER_STATE_CHANGE_DISCONNECTED": 4, "CHAT_MEMBER_STATE_CHANGE_KICKED": 8,
		"CHAT_MEMBER_STATE_CHANGE_BANNED": 16,
		"CHAT_ENTRY_TYPE_CHAT_MSG": 1, "MAX_LOBBY_KEY_LENGTH": 255, "CHAT_METADATA_MAX": 8192,
	}
	for name in constants:
		t.eq(ClassDB.class_get_integer_constant(CLASS, name), constants[name], name)
	t.eq(ClassDB.class_get_integer_constant_enum(CLASS, "LOBBY_TYPE_PUBLIC"), &"LobbyType", "LOBBY_TYPE_* are the LobbyType enum")
	t.ok(not ClassDB.is_class_enum_bitfield(CLASS, &"LobbyType"), "LobbyType is an enum, as GodotSteam binds it")
	# GodotSteam binds these with BIND_BITFIELD_FLAG.
	t.ok(ClassDB.is_class_enum_bitfield(CLASS, &"ChatMemberStateChange"), "ChatMemberStateChange is a bitfield")
	t.ok(ClassDB.is_class_enum_bitfield(CLASS, &"PersonaChange"), "PersonaChange is a bitfield")


func every_documented_project_setting_is_registered() -> void:
	var missing := []
	for name in ["steam/initialization/app_id", "steam/initialization/initialize_on_startup",
			"steam/initialization/embed_callbacks", "steam/networking_messages/backend"]:
		if not ProjectSettings.has_setting(name):
			missing.append(name)
	for name in ["local_id", "bind_address", "peers", "lan_broadcast", "fake_packet_loss_percent",
			"fake_packet_lag_ms", "fake_packet_jitter_ms", "connect_timeout_ms", "idle_timeout_ms", "max_sessions",
			"persona_name"]:
		if not ProjectSettings.has_setting("steam/networking_messages/local/" + name):
			missing.append(name)
	t.eq(missing, [], "every documented setting is registered")
