//! The GDScript-facing `SteamNetworkingMessages` singleton: argument checks, GodotSteam's defaults and
//! return values, signals. Everything else lives in the backend and in `convert`.

pub mod call_floor;
pub mod class_reference;
pub mod constants;
mod lobbies;
pub mod multiplayer_peer;
pub mod settings;
pub mod teardown;
mod uninitialised_calls;

use godot::classes::notify::ObjectNotification;
use godot::classes::{Engine, Object};
use godot::global::{godot_error, godot_print};
use godot::prelude::*;

use crate::backend::{self, BackendEvent, MessagesBackend};
use crate::convert::{self, EngineCalls, MessageDictionaries, PeerError};
use crate::identity::IdentityRegistry;
use crate::lobby::LobbyEvent;
use crate::steam_types::{InitError, InitStatus, MAX_STEAM_PACKET_SIZE, SteamId, SteamResult};
use uninitialised_calls::UninitialisedCalls;

/// Most messages one `receiveMessagesOnChannel` call returns; the rest stay queued for the next call.
pub const MAX_MESSAGES_PER_CALL: usize = 65_536;

/// Steam's Networking Messages API, as GodotSteam binds it.
///
/// Send messages to other Steam users by Steam ID, without opening connections: a session is set up on the
/// first message and the receiver accepts it in answer to [signal network_messages_session_request].
/// Call [method steamInitEx] first. Signals are emitted once per frame from the main loop.
///
/// The same object is also registered as the [code]Steam[/code] singleton when no other extension (such as
/// GodotSteam) provides one, so GDScript written for GodotSteam runs unchanged.
#[derive(GodotClass)]
#[class(singleton, base = Object)]
pub struct SteamNetworkingMessages {
    base: Base<Object>,
    backend: Option<Box<dyn MessagesBackend>>,
    init_result: Option<InitResult>,
    identities: IdentityRegistry,
    engine_calls: EngineCalls,
    message_dictionaries: MessageDictionaries,
    events: Vec<BackendEvent>,
    uninitialised_calls: UninitialisedCalls,
    /// `SteamAPI_RunCallbacks` is running under [`Self::pump_callbacks`]: a backend stopped meanwhile (by a
    /// GodotSteam signal handler) waits in `stopped_while_dispatching` until it returns, so that our callback
    /// objects are not unregistered and freed while Steam is walking its list of them.
    dispatching_shared_callbacks: bool,
    stopped_while_dispatching: Vec<Box<dyn MessagesBackend>>,
}

/// What the last initialisation attempt reported, for `get_steam_init_result`.
#[derive(Debug, Clone)]
pub struct InitResult {
    pub status: InitStatus,
    pub verbal: String,
}

#[godot_api]
impl IObject for SteamNetworkingMessages {
    fn init(base: Base<Object>) -> Self {
        Self {
            base,
            backend: None,
            init_result: None,
            identities: IdentityRegistry::default(),
            engine_calls: EngineCalls::load(),
            message_dictionaries: MessageDictionaries::default(),
            events: Vec::new(),
            uninitialised_calls: UninitialisedCalls::default(),
            dispatching_shared_callbacks: false,
            stopped_while_dispatching: Vec::new(),
        }
    }

    // `Steam.free()` from a script would leave the engine, the `Steam` name and the per-frame callbacks
    // pointing at a freed object: refused with an error; the unload itself frees it.
    fn on_notification(&mut self, what: ObjectNotification) {
        if what == ObjectNotification::PREDELETE && !teardown::started() {
            godot_error!(
                "[STEAM] SteamNetworkingMessages is an engine singleton and cannot be freed; call steamShutdown() to stop it"
            );
            self.base_mut().cancel_free();
        }
    }
}

#[godot_api]
impl SteamNetworkingMessages {
    /// Posted when a remote user sends us a message and we have no session with them yet. Nothing from them
    /// is delivered until you call [method acceptSessionWithUser] (or send to them). Repeats while they keep
    /// sending.
    #[signal]
    fn network_messages_session_request(remote_steam_id: i64);

    /// Posted when a session could not be established or broke in an unusual way. [param reason] is a
    /// `CONNECTION_END_*` value, [param connection_state] a `CONNECTION_STATE_*` value.
    #[signal]
    fn network_messages_session_failed(
        reason: i64,
        remote_steam_id: i64,
        connection_state: i64,
        debug_message: GString,
    );

    /// Posted when what we know of a user changed; [param flags] are `PERSONA_CHANGE_*` values. On the local
    /// backend: another game instance's persona name arrived ([constant PERSONA_CHANGE_NAME] and
    /// [constant PERSONA_CHANGE_NAME_FIRST_SET]) or changed ([constant PERSONA_CHANGE_NAME]). Never posted on
    /// the Steam backend, where GodotSteam's signal is the real one.
    #[signal]
    fn persona_state_change(steam_id: i64, flags: i64);

    /// Posted in answer to [method createLobby]: [param connect] is [constant RESULT_OK] with the new
    /// lobby's ID, or why it failed with [param lobby_id] 0. Local backend only.
    #[signal]
    fn lobby_created(connect: i64, lobby_id: i64);

    /// Posted when this player entered a lobby ([method createLobby], [method joinLobby]), or could not:
    /// [param response] is a [code]CHAT_ROOM_ENTER_RESPONSE_*[/code] value. [param permissions] is always 0
    /// and [param locked] [code]false[/code], as on Steam. Local backend only.
    #[signal]
    fn lobby_joined(lobby: i64, permissions: i64, locked: bool, response: i64);

    /// Posted when a member entered or left a lobby this player is in: [param chat_state] is a
    /// [code]CHAT_MEMBER_STATE_CHANGE_*[/code] value ([constant CHAT_MEMBER_STATE_CHANGE_DISCONNECTED] for a
    /// member whose game vanished). Local backend only.
    #[signal]
    fn lobby_chat_update(lobby_id: i64, changed_id: i64, making_change_id: i64, chat_state: i64);

    /// Posted when a lobby's data ([param member_id] is the lobby's ID) or a member's data
    /// ([param member_id] is that member) changed; [param success] is 1. Local backend only.
    #[signal]
    fn lobby_data_update(success: i64, lobby_id: i64, member_id: i64);

    /// Posted in answer to [method requestLobbyList]: the IDs of the lobbies found. Local backend only.
    #[signal]
    fn lobby_match_list(lobbies: VarArray);

    /// Posted for each chat message of a lobby this player is in, its own included: [param chat_type] is
    /// [constant CHAT_ENTRY_TYPE_CHAT_MSG]. Local backend only.
    #[signal]
    fn lobby_message(lobby_id: i64, user: i64, message: GString, chat_type: i64);

    /// Posted when this player is no longer in [param lobby_id] though it did not leave: the owner's game no
    /// longer counts it in (this player's link to it was lost). [param due_to_disconnect] is 1, as on Steam.
    /// Local backend only.
    #[signal]
    fn lobby_kicked(lobby_id: i64, admin_id: i64, due_to_disconnect: i64);

    /// Posted to every member when the owner named the lobby's game server
    /// ([method setLobbyGameServer]). Local backend only.
    #[signal]
    fn lobby_game_created(lobby_id: i64, server_id: i64, server_ip: GString, port: i64);

    /// Posted when another game instance invited this player to a lobby ([method inviteUserToLobby]);
    /// [param game] is the game's app ID. Local backend only.
    #[signal]
    fn lobby_invite(inviter: i64, lobby: i64, game: i64);

    /// Posted when this player accepted an invitation to [param lobby_id] from [param steam_id]: offline
    /// there is no overlay to accept in, so right after [signal lobby_invite]. Join it with
    /// [method joinLobby]. Local backend only.
    #[signal]
    fn join_requested(lobby_id: i64, steam_id: i64);

    // ---- Initialisation (GodotSteam 4.14+) ----

    /// Starts Steam. Returns [code]true[/code] on success. A non-zero [param app_id] (else the project
    /// setting [code]steam/initialization/app_id[/code]) is used instead of [code]steam_appid.txt[/code].
    /// Callbacks are always run once per frame, so [param embed_callbacks] is
    /// accepted for compatibility only.
    #[func(rename = steamInit)]
    fn steam_init(
        &mut self,
        #[opt(default = 0)] app_id: i64,
        #[opt(default = false)] embed_callbacks: bool,
    ) -> bool {
        self.initialize(app_id, embed_callbacks).status == InitStatus::Ok
    }

    /// Starts Steam and returns [code]{"status": int, "verbal": String}[/code]: status is a
    /// `STEAM_API_INIT_RESULT_*` value (0 is success, 2 means no Steam client is running).
    #[func(rename = steamInitEx)]
    fn steam_init_ex(
        &mut self,
        #[opt(default = 0)] app_id: i64,
        #[opt(default = false)] embed_callbacks: bool,
    ) -> VarDictionary {
        let result = self.initialize(app_id, embed_callbacks);
        init_result_dictionary(&result)
    }

    /// The [code]{"status", "verbal"}[/code] dictionary of the last [method steamInit] or
    /// [method steamInitEx]; empty before any attempt.
    #[func]
    fn get_steam_init_result(&self) -> VarDictionary {
        self.init_result
            .as_ref()
            .map(init_result_dictionary)
            .unwrap_or_default()
    }

    /// Shuts Steam down and closes every session. Safe to call when not initialised.
    #[func(rename = steamShutdown)]
    fn steam_shutdown(&mut self) {
        self.shut_down();
    }

    /// Runs Steam callbacks now and emits their signals. They also run once per frame on their own, so
    /// calling this is never required.
    #[func(gd_self)]
    fn run_callbacks(mut this: Gd<Self>) {
        Self::pump_callbacks(&mut this);
    }

    /// The local user's Steam ID, 0 before initialisation.
    #[func(rename = getSteamID)]
    fn get_steam_id(&mut self) -> i64 {
        self.drop_backend_stopped_elsewhere();
        self.backend
            .as_ref()
            .map_or(0, |backend| backend.local_steam_id().to_gdscript())
    }

    /// Whether a Steam client is running for this user. With the local backend selected, always
    /// [code]true[/code]: the offline stand-in for Steam is available.
    #[func(rename = isSteamRunning)]
    fn is_steam_running(&self) -> bool {
        let local = backend::config::resolve(&settings::config_sources())
            .is_ok_and(|(kind, _)| kind == backend::config::BackendKind::Local);
        local || backend::steam::SteamBackend::is_steam_running()
    }

    /// Not in GodotSteam: which backend runs, [code]"steam"[/code] or [code]"local"[/code] (the offline
    /// stand-in for Steam); [code]""[/code] before initialisation.
    #[func(rename = getBackend)]
    fn get_backend(&mut self) -> GString {
        self.drop_backend_stopped_elsewhere();
        self.backend
            .as_ref()
            .map_or_else(GString::new, |backend| GString::from(backend.name()))
    }

    /// Not in GodotSteam: the Steam IDs of other game instances the local backend currently hears from
    /// (same machine, configured peers, LAN broadcast) that run the same Steam app ID, as Steam shows a game
    /// only its own players. Always empty on Steam.
    #[func(rename = getVisiblePeers)]
    fn get_visible_peers(&mut self) -> VarArray {
        self.drop_backend_stopped_elsewhere();
        let mut peers = VarArray::new();
        if let Some(backend) = self.backend.as_deref() {
            for peer in backend.visible_peers() {
                peers.push(&peer.to_gdscript().to_variant());
            }
        }
        peers
    }

    /// Not in GodotSteam: the backend and local-backend settings in force for this process, after user
    /// arguments ([code]--steam-local-id=2[/code]), `GODOT_STEAM_*` environment variables and the
    /// project settings under [code]steam/networking_messages/[/code], in that order. Keys are the settings'
    /// names: [code]backend, local_id, bind_address, peers, lan_broadcast, fake_packet_loss_percent,
    /// fake_packet_lag_ms, fake_packet_jitter_ms, connect_timeout_ms, idle_timeout_ms, max_sessions,
    /// persona_name[/code] ([code]""[/code]: the default name).
    /// [code]local_id[/code] 0 means "the first free one" ([method getSteamID] tells which after
    /// initialisation). Works before initialisation; on an invalid setting, prints why and returns
    /// [code]{}[/code].
    #[func(rename = getBackendSettings)]
    fn get_backend_settings(&self) -> VarDictionary {
        match backend::config::resolve(&settings::config_sources()) {
            Ok((kind, local)) => convert::backend_settings_to_dictionary(kind, &local),
            Err(error) => {
                godot_error!("[STEAM] getBackendSettings: {error}");
                VarDictionary::new()
            }
        }
    }

    // ---- Friends: persona names, offline ----

    /// This player's persona name. On the local backend, the one chosen with
    /// [code]--steam-persona-name=Ada[/code], [code]GODOT_STEAM_PERSONA_NAME[/code] or the project setting
    /// [code]steam/networking_messages/local/persona_name[/code], else [code]"Player N"[/code] after the
    /// local ID. Not offered on the Steam backend (use GodotSteam's): prints why and returns
    /// [code]""[/code].
    #[func(rename = getPersonaName)]
    fn get_persona_name(&mut self) -> GString {
        const NAME: &str = "getPersonaName";
        self.drop_backend_stopped_elsewhere();
        let Some(backend) = self.backend.as_deref() else {
            self.uninitialised_calls.report(NAME);
            return GString::new();
        };
        match backend.persona_name() {
            Some(name) => GString::from(name),
            None => {
                report_not_offered_on_steam(NAME);
                GString::new()
            }
        }
    }

    /// The persona name of [param steam_id], another game instance on the local backend (its own name for
    /// this player's Steam ID). [code]""[/code] until [signal persona_state_change] says it arrived: names
    /// come with the instances' presence announcements, about once a second. Not offered on the Steam
    /// backend (use GodotSteam's): prints why and returns [code]""[/code].
    #[func(rename = getFriendPersonaName)]
    fn get_friend_persona_name(&mut self, steam_id: i64) -> GString {
        const NAME: &str = "getFriendPersonaName";
        self.drop_backend_stopped_elsewhere();
        let Some(backend) = self.backend.as_deref() else {
            self.uninitialised_calls.report(NAME);
            return GString::new();
        };
        let user = SteamId::from_gdscript(steam_id);
        if !user.is_valid() {
            godot_error!("[STEAM] {NAME}: {steam_id} is not a valid Steam ID");
            return GString::new();
        }
        match backend.friend_persona_name(user) {
            Some(name) => GString::from(name),
            None => {
                report_not_offered_on_steam(NAME);
                GString::new()
            }
        }
    }

    /// Whether [param steam_id]'s persona name is still to come: [code]true[/code] means
    /// [signal persona_state_change] will say when it arrived (on the local backend, once that instance is
    /// heard), [code]false[/code] that [method getFriendPersonaName] has it now. [param require_name_only] is
    /// accepted for compatibility (there are no avatars offline). Not offered on the Steam backend (use
    /// GodotSteam's): prints why and returns [code]false[/code].
    #[func(rename = requestUserInformation)]
    fn request_user_information(&mut self, steam_id: i64, require_name_only: bool) -> bool {
        const NAME: &str = "requestUserInformation";
        let _ = require_name_only;
        self.drop_backend_stopped_elsewhere();
        let Some(backend) = self.backend.as_deref() else {
            self.uninitialised_calls.report(NAME);
            return false;
        };
        let user = SteamId::from_gdscript(steam_id);
        if !user.is_valid() {
            godot_error!("[STEAM] {NAME}: {steam_id} is not a valid Steam ID");
            return false;
        }
        backend.request_user_information(user).unwrap_or_else(|| {
            report_not_offered_on_steam(NAME);
            false
        })
    }

    // ---- Networking Messages ----

    /// Accepts a session requested by [param remote_steam_id] (see [signal network_messages_session_request]).
    /// Returns [code]false[/code] if there is no session with the user, pending or otherwise.
    /// [param remote_steam_id] is an [code]int[/code] Steam ID or a [code]String[/code] identity reference.
    #[func(rename = acceptSessionWithUser)]
    fn accept_session_with_user(&mut self, remote_steam_id: Variant) -> bool {
        self.with_peer(
            "acceptSessionWithUser",
            &remote_steam_id,
            false,
            |backend, remote| backend.accept_session_with_user(remote),
        )
    }

    /// Closes one channel with the user. Once every channel is closed, the session closes and new data from
    /// the user raises [signal network_messages_session_request] again.
    #[func(rename = closeChannelWithUser)]
    fn close_channel_with_user(&mut self, remote_steam_id: Variant, channel: i64) -> bool {
        const NAME: &str = "closeChannelWithUser";
        let Some(channel) = checked_channel(NAME, channel) else {
            return false;
        };
        self.with_peer(NAME, &remote_steam_id, false, |backend, remote| {
            backend.close_channel_with_user(remote, channel)
        })
    }

    /// Closes the session with the user at once and frees its resources.
    #[func(rename = closeSessionWithUser)]
    fn close_session_with_user(&mut self, remote_steam_id: Variant) -> bool {
        self.with_peer(
            "closeSessionWithUser",
            &remote_steam_id,
            false,
            |backend, remote| backend.close_session_with_user(remote),
        )
    }

    /// Information about the session with the user. Always has [code]connection_state[/code] (0 when there is
    /// no session); [param get_connection] adds [code]identity, user_data, listen_socket, remote_address,
    /// remote_pop, pop_relay, end_reason, end_debug, debug_description, info_flags[/code];
    /// [param get_status] adds [code]state, ping, local_quality, remote_quality, packets_out_per_second,
    /// bytes_out_per_second, packets_in_per_second, bytes_in_per_second, send_rate, pending_unreliable,
    /// pending_reliable, sent_unacknowledged_reliable, queue_time[/code].
    #[func(rename = getSessionConnectionInfo)]
    fn get_session_connection_info(
        &mut self,
        remote_steam_id: Variant,
        get_connection: bool,
        get_status: bool,
    ) -> VarDictionary {
        self.with_peer(
            "getSessionConnectionInfo",
            &remote_steam_id,
            VarDictionary::new(),
            |backend, remote| {
                let info = backend.session_connection_info(remote);
                convert::session_info_to_dictionary(&info, get_connection, get_status)
            },
        )
    }

    /// Returns up to [param max_messages] messages received on [param channel], oldest first, each a
    /// dictionary with [code]payload[/code] (PackedByteArray), [code]size, connection, identity,
    /// receiver_user_data, time_received, message_number, channel, flags, sender_user_data[/code].
    #[func(rename = receiveMessagesOnChannel)]
    fn receive_messages_on_channel(&mut self, channel: i64, max_messages: i64) -> VarArray {
        const NAME: &str = "receiveMessagesOnChannel";
        self.drop_backend_stopped_elsewhere();
        let Some(backend) = self.backend.as_deref_mut() else {
            self.uninitialised_calls.report(NAME);
            return VarArray::new();
        };
        let Some(channel) = checked_channel(NAME, channel) else {
            return VarArray::new();
        };
        let Ok(max_messages) = usize::try_from(max_messages) else {
            godot_error!("[STEAM] {NAME}: max_messages must not be negative (got {max_messages})");
            return VarArray::new();
        };
        let max_messages = max_messages.min(MAX_MESSAGES_PER_CALL);
        self.message_dictionaries
            .collect(&self.engine_calls, |sink| {
                backend.receive_messages_on_channel(channel, max_messages, sink);
            })
    }

    /// Sends [param data] to the user on [param channel], opening a session if needed (and accepting theirs).
    /// [param flags] is a sum of `NETWORKING_SEND_*`. An empty [param data] is a message like any other, as on
    /// Steam (it arrives with [code]size[/code] 0). Returns a `RESULT_*` code:
    /// [code]RESULT_OK[/code] (1) when queued, [code]RESULT_INVALID_PARAM[/code] (8) for an oversized
    /// payload (over [code]MAX_STEAM_PACKET_SIZE[/code]) or a bad argument, [code]RESULT_INVALID_STEAMID[/code]
    /// (19) for an ID that is not a user's or game server's, [code]RESULT_NO_CONNECTION[/code] (3)
    /// when the session is broken, [code]RESULT_LIMIT_EXCEEDED[/code] (25) when the send queue is full.
    /// [param remote_steam_id] is an [code]int[/code], as in GodotSteam 4.8 and later (the session functions
    /// also take identity references; for a send, resolve one with [method getIdentitySteamID64]).
    #[func(rename = sendMessageToUser)]
    fn send_message_to_user(
        &mut self,
        // Typed, not a Variant: a call with typed arguments then goes through Godot's validated ptrcall, which
        // skips converting every argument from a Variant (about 40% of the call's cost).
        remote_steam_id: i64,
        data: PackedByteArray,
        flags: i64,
        channel: i64,
    ) -> i64 {
        const NAME: &str = "sendMessageToUser";
        let failed = i64::from(SteamResult::NONE.0);
        self.drop_backend_stopped_elsewhere();
        if self.backend.is_none() {
            self.uninitialised_calls.report(NAME);
            return failed;
        }
        let invalid = i64::from(SteamResult::INVALID_PARAM.0);
        let Some(channel) = checked_channel(NAME, channel) else {
            return invalid;
        };
        let Ok(flags) = i32::try_from(flags) else {
            godot_error!("[STEAM] {NAME}: flags {flags} is not a NETWORKING_SEND_* bitmask");
            return invalid;
        };
        let payload = convert::payload_bytes(&self.engine_calls, &data);
        if payload.len() > MAX_STEAM_PACKET_SIZE {
            godot_error!(
                "[STEAM] {NAME}: payload of {} bytes is over MAX_STEAM_PACKET_SIZE ({MAX_STEAM_PACKET_SIZE})",
                payload.len()
            );
            return invalid;
        }
        let Some(backend) = self.backend.as_deref_mut() else {
            return failed;
        };
        let result = match convert::peer_from_int(remote_steam_id) {
            Ok(remote) => i64::from(
                backend
                    .send_message_to_user(remote, payload, flags, channel)
                    .0,
            ),
            Err(error) => {
                report_peer_error(NAME, &error);
                i64::from(error.send_result().0)
            }
        };
        self.engine_calls.release_bytes(data);
        result
    }

    // ---- Identity references (GodotSteam's older, string-addressed API) ----

    /// Creates an empty identity under [param reference_name] (replacing any identity of that name), as
    /// GodotSteam did; returns [code]true[/code].
    #[func(rename = addIdentity)]
    fn add_identity(&mut self, reference_name: GString) -> bool {
        self.identities.add(&reference_name.to_string())
    }

    /// Sets the Steam ID of the identity [param reference_name], creating it if needed. Afterwards the name
    /// can be passed wherever a Steam ID is taken.
    #[func(rename = setIdentitySteamID64)]
    fn set_identity_steam_id64(&mut self, reference_name: GString, steam_id: i64) {
        self.identities.set_steam_id(
            &reference_name.to_string(),
            SteamId::from_gdscript(steam_id),
        );
    }

    /// The Steam ID of the identity [param reference_name], 0 if it has none.
    #[func(rename = getIdentitySteamID64)]
    fn get_identity_steam_id64(&self, reference_name: GString) -> i64 {
        self.identities
            .steam_id(&reference_name.to_string())
            .map_or(0, SteamId::to_gdscript)
    }

    /// Clears the identity [param reference_name] (it then holds no Steam ID).
    #[func(rename = clearIdentity)]
    fn clear_identity(&mut self, reference_name: GString) {
        if !self.identities.clear(&reference_name.to_string()) {
            godot_error!("[STEAM] clearIdentity: unknown identity reference '{reference_name}'");
        }
    }
}

impl SteamNetworkingMessages {
    /// Runs the backend's callbacks and emits their signals. Takes the object rather than `&mut self` so that
    /// no borrow is held while signal handlers run: they may call back into the singleton.
    pub fn pump_callbacks(this: &mut Gd<Self>) {
        let shared_pump = {
            let mut singleton = this.bind_mut();
            singleton.drop_backend_stopped_elsewhere();
            let Some(backend) = singleton.backend.as_deref() else {
                return;
            };
            let pump = backend.shared_callback_pump();
            singleton.dispatching_shared_callbacks = pump.is_some();
            pump
        };
        // Unborrowed: on Steam this runs GodotSteam's callbacks too, and a game's handler of its signals may
        // call any of our functions (GodotSteam's tutorials accept sessions there), even shut us down.
        if let Some(run) = shared_pump {
            run();
        }
        let events = {
            let mut singleton = this.bind_mut();
            let singleton = &mut *singleton;
            singleton.dispatching_shared_callbacks = false;
            singleton.stopped_while_dispatching.clear();
            singleton.drop_backend_stopped_elsewhere();
            let Some(backend) = singleton.backend.as_deref_mut() else {
                return;
            };
            backend.poll(&mut singleton.events);
            std::mem::take(&mut singleton.events)
        };
        for event in events {
            match event {
                BackendEvent::SessionRequest { remote } => {
                    this.signals()
                        .network_messages_session_request()
                        .emit(remote.to_gdscript());
                }
                BackendEvent::PersonaStateChange { user, flags } => {
                    this.signals()
                        .persona_state_change()
                        .emit(user.to_gdscript(), i64::from(flags));
                }
                BackendEvent::SessionFailed {
                    remote,
                    reason,
                    state,
                    debug_message,
                } => {
                    this.signals().network_messages_session_failed().emit(
                        i64::from(reason),
                        remote.to_gdscript(),
                        i64::from(state.0),
                        &GString::from(debug_message.as_str()),
                    );
                }
                BackendEvent::Lobby(event) => emit_lobby_event(this, event),
            }
        }
    }

    /// Stops the backend, closing every session; a no-op when not initialised.
    pub fn shut_down(&mut self) {
        if let Some(backend) = self.backend.take() {
            log::info!("{} backend shut down", backend.name());
            self.retire(backend);
        }
        self.events.clear();
    }

    /// Drops a stopped backend, or keeps it until Steam's callback loop below us returns.
    fn retire(&mut self, backend: Box<dyn MessagesBackend>) {
        if self.dispatching_shared_callbacks {
            self.stopped_while_dispatching.push(backend);
        }
    }

    fn active_description(&self) -> String {
        match self.backend.as_deref() {
            Some(backend) if backend.kind() == backend::config::BackendKind::Steam => {
                "Steamworks active.".into()
            }
            Some(backend) => format!(
                "Steamworks active ({} backend, Steam ID {}).",
                backend.name(),
                backend.local_steam_id()
            ),
            None => String::new(),
        }
    }

    /// Drops the backend if the network under it was stopped by someone else (GodotSteam's `steamShutdown()`
    /// ends the Steam we share), so calls answer as before initialisation instead of using a dead interface.
    fn drop_backend_stopped_elsewhere(&mut self) {
        if self
            .backend
            .as_deref()
            .is_some_and(|backend| backend.stopped_elsewhere())
        {
            godot_error!(
                "[STEAM] Steam was shut down by another part of the game (such as GodotSteam's steamShutdown()); \
                 SteamNetworkingMessages stopped with it. Call steamInit() again once Steam is initialised."
            );
            if let Some(backend) = self.backend.take() {
                self.retire(backend);
            }
            self.events.clear();
        }
    }

    /// Runs `call` with the running backend, or returns `None` when there is none: for the multiplayer peer,
    /// which shares this singleton's backend.
    pub fn with_backend<R>(
        &mut self,
        call: impl FnOnce(&mut dyn MessagesBackend) -> R,
    ) -> Option<R> {
        self.drop_backend_stopped_elsewhere();
        self.backend.as_mut().map(|backend| call(backend.as_mut()))
    }

    /// Whether a backend is running.
    pub fn is_initialised(&self) -> bool {
        self.backend.is_some()
    }

    /// `steamInitEx` without the dictionary; also used by `initialize_on_startup`.
    pub fn initialize(&mut self, app_id: i64, _embed_callbacks: bool) -> InitResult {
        // As GodotSteam: 0 means "use the project setting".
        let app_id = if app_id == 0 {
            settings::app_id()
        } else {
            app_id
        };
        let result = match self.start_backend(app_id) {
            Ok(()) => {
                self.uninitialised_calls.clear();
                InitResult {
                    status: InitStatus::Ok,
                    verbal: self.active_description(),
                }
            }
            Err(error) => {
                log::warn!("initialisation failed: {error}");
                if error.status == InitStatus::NoSteamClient {
                    log::warn!(
                        "to develop without Steam, select the local backend: Project Settings → Steam → \
                         Networking Messages → Backend = local, or the user argument --steam-backend=local"
                    );
                }
                InitResult {
                    status: error.status,
                    verbal: backend::steam::describe(&error).to_owned(),
                }
            }
        };
        self.init_result = Some(result.clone());
        result
    }

    fn start_backend(&mut self, app_id: i64) -> Result<(), InitError> {
        self.drop_backend_stopped_elsewhere();
        if self.backend.is_some() {
            return Ok(());
        }
        let app_id = u32::try_from(app_id).map_err(|_| InitError {
            status: InitStatus::FailedGeneric,
            message: format!("app_id {app_id} is not a Steam app ID (0 to 4294967295)"),
        })?;
        let backend = backend::open(app_id, &settings::config_sources(), steam_sharing())?;
        if backend.kind() != backend::config::BackendKind::Steam {
            // Always shown (not only at GODOT_STEAM_LOG=info): users need this ID to reach the instance.
            let steam_id = backend.local_steam_id();
            let local_id = backend::config::LocalConfig::local_id_of(steam_id)
                .map_or_else(String::new, |id| format!(" (local ID {id})"));
            godot_print!(
                "[STEAM] {} backend: this instance is Steam ID {}{local_id}",
                backend.name(),
                steam_id.to_gdscript()
            );
        }
        self.backend = Some(backend);
        Ok(())
    }

    /// Runs `call` with the backend and the peer GDScript passed, or reports why it cannot and returns
    /// `fallback`, GodotSteam's value for that function.
    fn with_peer<R>(
        &mut self,
        function: &'static str,
        remote_steam_id: &Variant,
        fallback: R,
        call: impl FnOnce(&mut dyn MessagesBackend, SteamId) -> R,
    ) -> R {
        self.drop_backend_stopped_elsewhere();
        let Some(backend) = self.backend.as_deref_mut() else {
            self.uninitialised_calls.report(function);
            return fallback;
        };
        match convert::peer_from_variant(&self.engine_calls, remote_steam_id, &self.identities) {
            Ok(remote) => call(backend, remote),
            Err(error) => {
                report_peer_error(function, &error);
                fallback
            }
        }
    }

    /// Disconnects every connection to this object's signals. Called before scripts are torn down at exit,
    /// where a lambda still connected to an extension singleton's signal makes Godot crash.
    pub fn disconnect_all_signals(this: &Gd<Self>) {
        let mut object = this.clone().upcast::<Object>();
        for signal in [
            "network_messages_session_request",
            "network_messages_session_failed",
            "persona_state_change",
            "lobby_created",
            "lobby_joined",
            "lobby_chat_update",
            "lobby_data_update",
            "lobby_match_list",
            "lobby_message",
            "lobby_invite",
            "join_requested",
            "lobby_kicked",
            "lobby_game_created",
        ] {
            for connection in object.get_signal_connection_list(signal).iter_shared() {
                if let Some(callable) = connection
                    .get("callable")
                    .and_then(|value| value.try_to::<Callable>().ok())
                {
                    object.disconnect(signal, &callable);
                }
            }
        }
    }

    /// Whether this runs inside the editor, where nothing networked should happen.
    pub fn in_editor() -> bool {
        Engine::singleton().is_editor_hint()
    }
}

/// Whether another extension (GodotSteam) defines the `Steam` class and so owns Steam's lifetime. Our own
/// `Steam` is only a second name of this singleton, never a class.
fn steam_sharing() -> backend::steam::SteamSharing {
    if godot::classes::ClassDb::singleton().class_exists("Steam") {
        backend::steam::SteamSharing::WithOtherExtension
    } else {
        backend::steam::SteamSharing::Alone
    }
}

fn init_result_dictionary(result: &InitResult) -> VarDictionary {
    let mut dictionary = VarDictionary::new();
    dictionary.set("status", result.status as i64);
    dictionary.set("verbal", &GString::from(result.verbal.as_str()));
    dictionary
}

/// A lobby callback as GodotSteam's signal.
fn emit_lobby_event(this: &mut Gd<SteamNetworkingMessages>, event: LobbyEvent) {
    let mut signals = this.signals();
    match event {
        LobbyEvent::Created { result, lobby } => signals
            .lobby_created()
            .emit(i64::from(result.0), lobby.to_gdscript()),
        LobbyEvent::Joined { lobby, response } => {
            signals
                .lobby_joined()
                .emit(lobby.to_gdscript(), 0, false, i64::from(response))
        }
        LobbyEvent::ChatUpdate {
            lobby,
            changed,
            making_change,
            state,
        } => signals.lobby_chat_update().emit(
            lobby.to_gdscript(),
            changed.to_gdscript(),
            making_change.to_gdscript(),
            i64::from(state),
        ),
        LobbyEvent::DataUpdate { lobby, member } => {
            signals
                .lobby_data_update()
                .emit(1, lobby.to_gdscript(), member.to_gdscript())
        }
        LobbyEvent::MatchList { lobbies } => signals
            .lobby_match_list()
            .emit(&convert::lobby::lobby_ids(&lobbies)),
        LobbyEvent::DataUnavailable { lobby } => {
            signals
                .lobby_data_update()
                .emit(0, lobby.to_gdscript(), lobby.to_gdscript())
        }
        LobbyEvent::Kicked { lobby, admin } => {
            signals
                .lobby_kicked()
                .emit(lobby.to_gdscript(), admin.to_gdscript(), 1)
        }
        LobbyEvent::GameCreated {
            lobby,
            server,
            ip,
            port,
        } => signals.lobby_game_created().emit(
            lobby.to_gdscript(),
            server.to_gdscript(),
            &GString::from(ip.as_str()),
            i64::from(port),
        ),
        LobbyEvent::Invited {
            inviter,
            lobby,
            game,
        } => {
            signals
                .lobby_invite()
                .emit(inviter.to_gdscript(), lobby.to_gdscript(), game as i64);
            // gdext hands out one signal at a time from a `signals()` value: a fresh one for the second.
            this.signals()
                .join_requested()
                .emit(lobby.to_gdscript(), inviter.to_gdscript());
        }
        LobbyEvent::Message { lobby, user, body } => signals.lobby_message().emit(
            lobby.to_gdscript(),
            user.to_gdscript(),
            &convert::lobby::chat_text(&body),
            i64::from(crate::lobby::CHAT_ENTRY_TYPE_CHAT_MSG),
        ),
    }
}

/// The local backend's stand-ins for GodotSteam's friends functions are not ours to answer on Steam.
fn report_not_offered_on_steam(function: &str) {
    godot_error!(
        "[STEAM] {function}: not offered on the Steam backend; call GodotSteam's Steam.{function}() (this addon only stands in for it on the local backend)"
    );
}

fn report_peer_error(function: &str, error: &PeerError) {
    godot_error!("[STEAM] {function}: {error}");
}

/// Channels are `int` in Steam's API and must be >= 0 here.
fn checked_channel(function: &str, channel: i64) -> Option<i32> {
    match i32::try_from(channel) {
        Ok(channel) if channel >= 0 => Some(channel),
        _ => {
            godot_error!(
                "[STEAM] {function}: channel must be between 0 and {} (got {channel})",
                i32::MAX
            );
            None
        }
    }
}
