//! GodotSteam's lobby functions (`ISteamMatchmaking`), standing in for Steam's on the local backend: lobbies
//! among the game instances that see each other. On the Steam backend they are not ours (GodotSteam's are the
//! real ones): each prints why and returns GodotSteam's failure value. Their signals are declared with the
//! others in the main block (gdext takes signals there only).

use godot::global::godot_error;
use godot::prelude::*;

use super::{SteamNetworkingMessages, report_not_offered_on_steam};
use crate::convert;
use crate::lobby::calls::Lobbies;
use crate::lobby::search::Filters;
use crate::lobby::wire::GameServer;
use crate::lobby::{LobbyError, is_lobby_like};
use crate::steam_types::SteamId;

#[godot_api(secondary)]
impl SteamNetworkingMessages {
    /// Creates a lobby owned by this player, of type [param lobby_type] (a [code]LOBBY_TYPE_*[/code] value) for
    /// at most [param max_members] (1 to 250). Posts [signal lobby_created], then [signal lobby_joined] and
    /// [signal lobby_data_update]; [signal lobby_created] reports [constant RESULT_INVALID_PARAM] for a type or
    /// size out of range.
    #[func(rename = createLobby)]
    fn create_lobby(&mut self, lobby_type: i64, #[opt(default = 2)] max_members: i64) {
        const NAME: &str = "createLobby";
        let kind = u8::try_from(lobby_type).unwrap_or(u8::MAX);
        let size = u32::try_from(max_members).unwrap_or(0);
        self.with_lobbies(NAME, (), |lobbies| {
            if let Err(error) = lobbies.create(kind, size) {
                godot_error!(
                    "[STEAM] {NAME}: {error} (got type {lobby_type}, max_members {max_members})"
                );
            }
        });
    }

    /// Joins [param steam_lobby_id], found by [method requestLobbyList] or known by its ID alone. Posts
    /// [signal lobby_joined] with a [code]CHAT_ROOM_ENTER_RESPONSE_*[/code] value: success, or why not
    /// (full, not joinable, does not exist).
    #[func(rename = joinLobby)]
    fn join_lobby(&mut self, steam_lobby_id: i64) {
        let lobby = SteamId::from_gdscript(steam_lobby_id);
        self.with_lobbies("joinLobby", (), |lobbies| lobbies.join_lobby(lobby));
    }

    /// Leaves [param steam_lobby_id]: the other members get [signal lobby_chat_update] with
    /// [constant CHAT_MEMBER_STATE_CHANGE_LEFT]; an owner hands the lobby to the member who joined first.
    #[func(rename = leaveLobby)]
    fn leave_lobby(&mut self, steam_lobby_id: i64) {
        const NAME: &str = "leaveLobby";
        let lobby = SteamId::from_gdscript(steam_lobby_id);
        self.with_lobbies(NAME, (), |lobbies| {
            if let Err(error) = lobbies.leave(lobby) {
                godot_error!("[STEAM] {NAME}: {error}");
            }
        });
    }

    /// How many members [param steam_lobby_id] has: for a lobby this player is in, or one the last search
    /// found; 0 otherwise.
    #[func(rename = getNumLobbyMembers)]
    fn get_num_lobby_members(&mut self, steam_lobby_id: i64) -> i64 {
        let lobby = SteamId::from_gdscript(steam_lobby_id);
        self.with_lobbies("getNumLobbyMembers", 0, |lobbies| {
            i64::from(lobbies.member_count(lobby))
        })
    }

    /// The Steam ID of member number [param member] (0 to [method getNumLobbyMembers] − 1, in the order they
    /// joined) of a lobby this player is in; 0 otherwise.
    #[func(rename = getLobbyMemberByIndex)]
    fn get_lobby_member_by_index(&mut self, steam_lobby_id: i64, member: i64) -> i64 {
        let lobby = SteamId::from_gdscript(steam_lobby_id);
        self.with_lobbies("getLobbyMemberByIndex", 0, |lobbies| {
            usize::try_from(member)
                .ok()
                .and_then(|index| lobbies.members(lobby).get(index).copied())
                .map_or(0, SteamId::to_gdscript)
        })
    }

    /// The owner of a lobby this player is in; 0 otherwise.
    #[func(rename = getLobbyOwner)]
    fn get_lobby_owner(&mut self, steam_lobby_id: i64) -> i64 {
        let lobby = SteamId::from_gdscript(steam_lobby_id);
        self.with_lobbies("getLobbyOwner", 0, |lobbies| {
            lobbies.owner(lobby).map_or(0, SteamId::to_gdscript)
        })
    }

    /// Sets [param key] to [param value] in the lobby's data (the owner only; keys up to 255 bytes, values up
    /// to 8 KiB). Every member gets [signal lobby_data_update]. Returns [code]false[/code] with an error
    /// otherwise.
    #[func(rename = setLobbyData)]
    fn set_lobby_data(&mut self, steam_lobby_id: i64, key: GString, value: GString) -> bool {
        const NAME: &str = "setLobbyData";
        let lobby = SteamId::from_gdscript(steam_lobby_id);
        let (key, value) = (key.to_string(), value.to_string());
        self.with_lobbies(NAME, false, |lobbies| {
            reported(NAME, lobbies.set_data(lobby, &key, &value)).is_some()
        })
    }

    /// The value of [param key] in the data of a lobby this player is in or the last search found;
    /// [code]""[/code] if none.
    #[func(rename = getLobbyData)]
    fn get_lobby_data(&mut self, steam_lobby_id: i64, key: GString) -> GString {
        let lobby = SteamId::from_gdscript(steam_lobby_id);
        let key = key.to_string();
        self.with_lobbies("getLobbyData", GString::new(), |lobbies| {
            GString::from(lobbies.data(lobby, &key))
        })
    }

    /// Every key and value of a lobby's data, as GodotSteam returns them:
    /// [code]{0: {"index": 0, "key": "...", "value": "..."}, ...}[/code].
    #[func(rename = getAllLobbyData)]
    fn get_all_lobby_data(&mut self, steam_lobby_id: i64) -> VarDictionary {
        let lobby = SteamId::from_gdscript(steam_lobby_id);
        self.with_lobbies("getAllLobbyData", VarDictionary::new(), |lobbies| {
            convert::lobby::all_lobby_data(&lobbies.all_data(lobby))
        })
    }

    /// Removes [param key] from the lobby's data (the owner only). Returns [code]false[/code] if there was no
    /// such key, or with an error if this player may not.
    #[func(rename = deleteLobbyData)]
    fn delete_lobby_data(&mut self, steam_lobby_id: i64, key: GString) -> bool {
        const NAME: &str = "deleteLobbyData";
        let lobby = SteamId::from_gdscript(steam_lobby_id);
        let key = key.to_string();
        self.with_lobbies(NAME, false, |lobbies| {
            reported(NAME, lobbies.delete_data(lobby, &key)).unwrap_or(false)
        })
    }

    /// Whether others may join (the owner only; new lobbies are joinable). A closed lobby does not show in
    /// searches.
    #[func(rename = setLobbyJoinable)]
    fn set_lobby_joinable(&mut self, steam_lobby_id: i64, joinable: bool) -> bool {
        const NAME: &str = "setLobbyJoinable";
        let lobby = SteamId::from_gdscript(steam_lobby_id);
        self.with_lobbies(NAME, false, |lobbies| {
            reported(NAME, lobbies.set_joinable(lobby, joinable)).is_some()
        })
    }

    /// Changes the lobby's type (the owner only); only public and invisible lobbies show in searches.
    #[func(rename = setLobbyType)]
    fn set_lobby_type(&mut self, steam_lobby_id: i64, lobby_type: i64) -> bool {
        const NAME: &str = "setLobbyType";
        let lobby = SteamId::from_gdscript(steam_lobby_id);
        let kind = u8::try_from(lobby_type).unwrap_or(u8::MAX);
        self.with_lobbies(NAME, false, |lobbies| {
            reported(NAME, lobbies.set_type(lobby, kind)).is_some()
        })
    }

    /// Changes how many members the lobby takes, 1 to 250 (the owner only; members already in stay).
    #[func(rename = setLobbyMemberLimit)]
    fn set_lobby_member_limit(&mut self, steam_lobby_id: i64, max_members: i64) -> bool {
        const NAME: &str = "setLobbyMemberLimit";
        let lobby = SteamId::from_gdscript(steam_lobby_id);
        let size = u32::try_from(max_members).unwrap_or(0);
        self.with_lobbies(NAME, false, |lobbies| {
            reported(NAME, lobbies.set_member_limit(lobby, size)).is_some()
        })
    }

    /// How many members the lobby takes; 0 for a lobby neither joined nor found.
    #[func(rename = getLobbyMemberLimit)]
    fn get_lobby_member_limit(&mut self, steam_lobby_id: i64) -> i64 {
        let lobby = SteamId::from_gdscript(steam_lobby_id);
        self.with_lobbies("getLobbyMemberLimit", 0, |lobbies| {
            i64::from(lobbies.member_limit(lobby))
        })
    }

    /// Asks every game instance in sight for its lobbies: [signal lobby_match_list] brings the public and
    /// invisible ones that are joinable and have room, filtered by the [code]addRequestLobbyList*[/code]
    /// filters added since the last search (they reset).
    #[func(rename = requestLobbyList)]
    fn request_lobby_list(&mut self) {
        self.with_lobbies("requestLobbyList", (), Lobbies::request_lobby_list);
    }

    /// Accepted for compatibility: every instance in sight is near.
    #[func(rename = addRequestLobbyListDistanceFilter)]
    fn add_request_lobby_list_distance_filter(&mut self, distance_filter: i64) {
        const NAME: &str = "addRequestLobbyListDistanceFilter";
        self.with_lobbies(NAME, (), |_| {
            if !(0..=3).contains(&distance_filter) {
                godot_error!(
                    "[STEAM] {NAME}: {distance_filter} is not a LOBBY_DISTANCE_FILTER_* value"
                );
            }
        });
    }

    /// Only lobbies whose [param key_to_match] compares to [param value_to_match] as
    /// [param comparison_type] (a [code]LOBBY_COMPARISON_*[/code] value) says.
    #[func(rename = addRequestLobbyListStringFilter)]
    fn add_request_lobby_list_string_filter(
        &mut self,
        key_to_match: GString,
        value_to_match: GString,
        comparison_type: i64,
    ) {
        const NAME: &str = "addRequestLobbyListStringFilter";
        let (key, value) = (key_to_match.to_string(), value_to_match.to_string());
        self.with_filters(NAME, comparison_type, |filters, comparison| {
            filters.add_string(&key, &value, comparison)
        });
    }

    /// Only lobbies whose [param key_to_match], read as an integer, compares to [param value_to_match] as
    /// [param comparison_type] says.
    #[func(rename = addRequestLobbyListNumericalFilter)]
    fn add_request_lobby_list_numerical_filter(
        &mut self,
        key_to_match: GString,
        value_to_match: i64,
        comparison_type: i64,
    ) {
        const NAME: &str = "addRequestLobbyListNumericalFilter";
        let key = key_to_match.to_string();
        self.with_filters(NAME, comparison_type, |filters, comparison| {
            filters.add_number(&key, value_to_match, comparison)
        });
    }

    /// Orders results by how close [param key_to_match]'s integer is to [param value_to_be_close_to].
    #[func(rename = addRequestLobbyListNearValueFilter)]
    fn add_request_lobby_list_near_value_filter(
        &mut self,
        key_to_match: GString,
        value_to_be_close_to: i64,
    ) {
        let key = key_to_match.to_string();
        self.with_lobbies("addRequestLobbyListNearValueFilter", (), |lobbies| {
            lobbies
                .filters_mut()
                .add_near_value(&key, value_to_be_close_to)
        });
    }

    /// Only lobbies with at least [param slots_available] free places.
    #[func(rename = addRequestLobbyListFilterSlotsAvailable)]
    fn add_request_lobby_list_filter_slots_available(&mut self, slots_available: i64) {
        let slots = u32::try_from(slots_available.max(0)).unwrap_or(u32::MAX);
        self.with_lobbies("addRequestLobbyListFilterSlotsAvailable", (), |lobbies| {
            lobbies.filters_mut().add_slots_available(slots)
        });
    }

    /// At most [param max_results] lobbies (Steam's default is 50).
    #[func(rename = addRequestLobbyListResultCountFilter)]
    fn add_request_lobby_list_result_count_filter(&mut self, max_results: i64) {
        let count = usize::try_from(max_results.max(0)).unwrap_or(usize::MAX);
        self.with_lobbies("addRequestLobbyListResultCountFilter", (), |lobbies| {
            lobbies.filters_mut().add_result_count(count)
        });
    }

    /// Sends [param message_body] (up to 4,095 bytes of UTF-8) to every member, this player included, as
    /// [signal lobby_message]. Returns [code]false[/code] with an error if not a member or too long.
    #[func(rename = sendLobbyChatMsg)]
    fn send_lobby_chat_msg(&mut self, steam_lobby_id: i64, message_body: GString) -> bool {
        const NAME: &str = "sendLobbyChatMsg";
        let lobby = SteamId::from_gdscript(steam_lobby_id);
        let body = message_body.to_string();
        self.with_lobbies(NAME, false, |lobbies| {
            reported(NAME, lobbies.send_chat(lobby, body.as_bytes())).is_some()
        })
    }

    /// [param steam_id_user]'s member data under [param key], in a lobby this player is in; [code]""[/code]
    /// otherwise.
    #[func(rename = getLobbyMemberData)]
    fn get_lobby_member_data(
        &mut self,
        steam_lobby_id: i64,
        steam_id_user: i64,
        key: GString,
    ) -> GString {
        let (lobby, user) = (
            SteamId::from_gdscript(steam_lobby_id),
            SteamId::from_gdscript(steam_id_user),
        );
        let key = key.to_string();
        self.with_lobbies("getLobbyMemberData", GString::new(), |lobbies| {
            GString::from(lobbies.member_data(lobby, user, &key))
        })
    }

    /// Sets this player's own member data (every member gets [signal lobby_data_update] with this player's
    /// ID).
    #[func(rename = setLobbyMemberData)]
    fn set_lobby_member_data(&mut self, steam_lobby_id: i64, key: GString, value: GString) {
        const NAME: &str = "setLobbyMemberData";
        let lobby = SteamId::from_gdscript(steam_lobby_id);
        let (key, value) = (key.to_string(), value.to_string());
        self.with_lobbies(NAME, (), |lobbies| {
            reported(NAME, lobbies.set_member_data(lobby, &key, &value));
        });
    }

    /// Gives the lobby to [param steam_id_new_owner], a member (the owner only); this player stays a member.
    /// Every member gets [signal lobby_data_update] for the lobby.
    #[func(rename = setLobbyOwner)]
    fn set_lobby_owner(&mut self, steam_lobby_id: i64, steam_id_new_owner: i64) -> bool {
        const NAME: &str = "setLobbyOwner";
        let (lobby, owner) = (
            SteamId::from_gdscript(steam_lobby_id),
            SteamId::from_gdscript(steam_id_new_owner),
        );
        self.with_lobbies(NAME, false, |lobbies| {
            let now = lobbies.now();
            reported(NAME, lobbies.set_owner(now, lobby, owner)).is_some()
        })
    }

    /// Invites [param steam_id_invitee] (another game instance) to a lobby this player is in: it gets
    /// [signal lobby_invite], then [signal join_requested], since there is no Steam overlay offline in which
    /// to accept (a game that joins on [signal join_requested], as GodotSteam's tutorials do, joins at once).
    /// Returns [code]true[/code] if the invitation was sent.
    #[func(rename = inviteUserToLobby)]
    fn invite_user_to_lobby(&mut self, steam_lobby_id: i64, steam_id_invitee: i64) -> bool {
        const NAME: &str = "inviteUserToLobby";
        let (lobby, invitee) = (
            SteamId::from_gdscript(steam_lobby_id),
            SteamId::from_gdscript(steam_id_invitee),
        );
        self.with_lobbies(NAME, false, |lobbies| {
            reported(NAME, lobbies.invite(lobby, invitee)).is_some()
        })
    }

    /// Whether this player owns the game: always [code]true[/code] on the local backend (GodotSteam's
    /// [code]ISteamApps[/code] call answers on Steam).
    #[func(rename = isSubscribed)]
    fn is_subscribed(&mut self) -> bool {
        self.with_lobbies("isSubscribed", false, |_| true)
    }

    /// Refreshes the data of [param steam_lobby_id], joined or not (a lobby not in a search's results, say):
    /// [signal lobby_data_update] follows, with [param success] 0 if no game instance in sight has that lobby.
    /// Returns [code]true[/code] when asked.
    #[func(rename = requestLobbyData)]
    fn request_lobby_data(&mut self, steam_lobby_id: i64) -> bool {
        let lobby = SteamId::from_gdscript(steam_lobby_id);
        self.with_lobbies("requestLobbyData", false, |lobbies| {
            lobbies.request_lobby_data(lobby);
            true
        })
    }

    /// Names the lobby's game server (the owner only): every member gets [signal lobby_game_created].
    /// [param server_ip] is kept as written; [code]"0"[/code], 0 and 0 mean none, as in GodotSteam.
    #[func(rename = setLobbyGameServer)]
    fn set_lobby_game_server(
        &mut self,
        steam_lobby_id: i64,
        #[opt(default = "0")] server_ip: GString,
        #[opt(default = 0)] server_port: i64,
        #[opt(default = 0)] steam_id_game_server: i64,
    ) {
        const NAME: &str = "setLobbyGameServer";
        let lobby = SteamId::from_gdscript(steam_lobby_id);
        let Ok(port) = u16::try_from(server_port) else {
            godot_error!("[STEAM] {NAME}: server_port must be 0 to 65535 (got {server_port})");
            return;
        };
        let server = GameServer {
            ip: server_ip.to_string(),
            port,
            steam_id: steam_id_game_server as u64,
        };
        self.with_lobbies(NAME, (), |lobbies| {
            reported(NAME, lobbies.set_game_server(lobby, server));
        });
    }

    /// The lobby's game server, as GodotSteam returns it: [code]{"ret": true, "ip": ..., "port": ..., "id": ...}[/code],
    /// or [code]{"ret": false}[/code] when the owner named none (or this player is not a member).
    #[func(rename = getLobbyGameServer)]
    fn get_lobby_game_server(&mut self, steam_lobby_id: i64) -> VarDictionary {
        let lobby = SteamId::from_gdscript(steam_lobby_id);
        self.with_lobbies("getLobbyGameServer", VarDictionary::new(), |lobbies| {
            convert::lobby::game_server(lobbies.game_server(lobby))
        })
    }

    /// Whether [param steam_id] is a lobby's Steam ID (a chat account with the lobby flag), as GodotSteam's
    /// [code]isLobby[/code].
    #[func(rename = isLobby)]
    fn is_lobby(&self, steam_id: i64) -> bool {
        is_lobby_like(SteamId::from_gdscript(steam_id))
    }
}

impl SteamNetworkingMessages {
    /// Runs `call` with the backend's lobbies, or reports why there are none and returns `fallback`,
    /// GodotSteam's value for that function.
    fn with_lobbies<R>(
        &mut self,
        function: &'static str,
        fallback: R,
        call: impl FnOnce(&mut Lobbies) -> R,
    ) -> R {
        self.drop_backend_stopped_elsewhere();
        let Some(backend) = self.backend.as_deref_mut() else {
            self.uninitialised_calls.report(function);
            return fallback;
        };
        if backend.kind() == crate::backend::config::BackendKind::Steam {
            report_not_offered_on_steam(function);
            return fallback;
        }
        match backend.lobbies() {
            Some(lobbies) => call(lobbies),
            None => {
                godot_error!(
                    "[STEAM] {function}: lobbies are not available (the lobby socket could not be opened)"
                );
                fallback
            }
        }
    }

    /// A search filter with a checked `LOBBY_COMPARISON_*` value.
    fn with_filters(
        &mut self,
        function: &'static str,
        comparison_type: i64,
        add: impl FnOnce(&mut Filters, i32),
    ) {
        self.with_lobbies(function, (), |lobbies| {
            match i32::try_from(comparison_type)
                .ok()
                .filter(|&comparison| Filters::is_comparison(comparison))
            {
                Some(comparison) => add(lobbies.filters_mut(), comparison),
                None => godot_error!(
                    "[STEAM] {function}: {comparison_type} is not a LOBBY_COMPARISON_* value (-2 to 3)"
                ),
            }
        });
    }
}

/// A lobby call's value, or `None` with its error printed.
fn reported<T>(function: &str, result: Result<T, LobbyError>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) => {
            godot_error!("[STEAM] {function}: {error}");
            None
        }
    }
}
