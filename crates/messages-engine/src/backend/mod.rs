//! The messages backend: what `SteamNetworkingMessages` needs from a network, with no Godot types.
//!
//! `local` is the offline network of this crate; the extension adds the Steam backend behind the same trait.
//! Every value crossing this trait is plain Rust, so backends are testable without Godot or Steam.

pub mod config;
pub mod local;

use std::ops::Range;

use crate::steam_types::{ConnectionState, SteamId, SteamResult};

/// One received message, borrowed from the backend for the time it takes to copy it into Godot.
///
/// The payload is a borrowed slice so it is copied exactly once, straight into a `PackedByteArray`.
#[derive(Debug, Clone, Copy)]
pub struct ReceivedMessage<'a> {
    pub payload: &'a [u8],
    /// Connection handle; Steam leaves it 0 for Networking Messages.
    pub connection: u32,
    pub sender: SteamId,
    /// User data of the connection the message arrived on (`m_nConnUserData`).
    pub connection_user_data: i64,
    /// Local receive timestamp in microseconds.
    pub time_received_usec: i64,
    pub message_number: i64,
    pub channel: i32,
    pub flags: i32,
    /// `m_nUserData` of the message.
    pub user_data: i64,
}

/// `SteamNetConnectionInfo_t`, as plain Rust.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnectionInfo {
    pub identity: SteamId,
    pub user_data: i64,
    pub listen_socket: u32,
    pub remote_address: String,
    pub remote_pop: u32,
    pub pop_relay: u32,
    pub state: ConnectionState,
    pub end_reason: i32,
    pub end_debug: String,
    pub description: String,
    pub flags: i32,
}

/// `SteamNetConnectionRealTimeStatus_t`, as plain Rust.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RealTimeStatus {
    pub state: ConnectionState,
    pub ping: i32,
    pub local_quality: f32,
    pub remote_quality: f32,
    pub out_packets_per_sec: f32,
    pub out_bytes_per_sec: f32,
    pub in_packets_per_sec: f32,
    pub in_bytes_per_sec: f32,
    pub send_rate_bytes_per_sec: i32,
    pub pending_unreliable: i32,
    pub pending_reliable: i32,
    pub sent_unacked_reliable: i32,
    pub queue_time_usec: i64,
}

/// What `GetSessionConnectionInfo` reports; all zero when there is no session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionInfo {
    pub state: ConnectionState,
    pub connection: ConnectionInfo,
    pub status: RealTimeStatus,
}

/// Something that happened on the network, turned into a GDScript signal by the per-frame poll.
#[derive(Debug, Clone, PartialEq)]
pub enum BackendEvent {
    /// `SteamNetworkingMessagesSessionRequest_t`: a peer wants to talk to us.
    SessionRequest { remote: SteamId },
    /// `SteamNetworkingMessagesSessionFailed_t`: a session could not be set up or broke.
    SessionFailed {
        remote: SteamId,
        reason: i32,
        state: ConnectionState,
        debug_message: String,
    },
    /// `PersonaStateChange_t`: what we know of `user` changed (`flags`: [`crate::steam_types::persona_change`]).
    /// Only the local backend sends it, when another instance's persona name arrives or changes.
    PersonaStateChange { user: SteamId, flags: i32 },
    /// A lobby callback (`LobbyCreated_t`, `LobbyEnter_t`, ...): only from a backend that offers lobbies.
    Lobby(crate::lobby::LobbyEvent),
}

/// The Networking Messages interface, one implementation per network.
///
/// Arguments are already validated by the caller (non-zero Steam IDs, channels >= 0, payloads within
/// [`crate::steam_types::MAX_STEAM_PACKET_SIZE`]); a backend still must not panic on anything.
pub trait MessagesBackend {
    /// Which backend this is.
    fn kind(&self) -> config::BackendKind;

    /// A short name for logs and the demo ("steam", "local").
    fn name(&self) -> &'static str {
        match self.kind() {
            config::BackendKind::Steam => "steam",
            config::BackendKind::Local => "local",
        }
    }

    /// The Steam ID this process talks as.
    fn local_steam_id(&self) -> SteamId;

    /// `ISteamNetworkingMessages::SendMessageToUser`.
    fn send_message_to_user(
        &mut self,
        remote: SteamId,
        data: &[u8],
        flags: i32,
        channel: i32,
    ) -> SteamResult;

    /// `ISteamNetworkingMessages::ReceiveMessagesOnChannel`: hands up to `max_messages` messages to `sink`,
    /// oldest first, and returns how many it handed over.
    fn receive_messages_on_channel(
        &mut self,
        channel: i32,
        max_messages: usize,
        sink: &mut dyn FnMut(&ReceivedMessage<'_>),
    ) -> usize;

    /// [`Self::receive_messages_on_channel`] on each of `channels` in turn, up to `max_per_channel` from
    /// each; returns how many it handed over. For a reader of many channels each frame (the multiplayer peer
    /// reads 33): a backend may do once what each call would repeat.
    fn receive_messages_on_channels(
        &mut self,
        channels: Range<i32>,
        max_per_channel: usize,
        sink: &mut dyn FnMut(&ReceivedMessage<'_>),
    ) -> usize {
        channels
            .map(|channel| self.receive_messages_on_channel(channel, max_per_channel, sink))
            .sum()
    }

    /// `ISteamNetworkingMessages::AcceptSessionWithUser`.
    fn accept_session_with_user(&mut self, remote: SteamId) -> bool;

    /// `ISteamNetworkingMessages::CloseSessionWithUser`.
    fn close_session_with_user(&mut self, remote: SteamId) -> bool;

    /// `ISteamNetworkingMessages::CloseChannelWithUser`.
    fn close_channel_with_user(&mut self, remote: SteamId, channel: i32) -> bool;

    /// `ISteamNetworkingMessages::GetSessionConnectionInfo`.
    fn session_connection_info(&mut self, remote: SteamId) -> SessionInfo;

    /// Runs the backend's own work and appends what happened since the last poll to `events`. Callbacks
    /// shared with the rest of the process are run before, by [`Self::shared_callback_pump`].
    fn poll(&mut self, events: &mut Vec<BackendEvent>);

    /// What runs callbacks this backend shares with other code in the process, to be called before each
    /// [`Self::poll`] while nothing of the backend is borrowed: on Steam, `SteamAPI_RunCallbacks` also runs
    /// GodotSteam's callback objects, which emit its signals at once, and a game's handler of those may call
    /// this API. None for backends of their own.
    fn shared_callback_pump(&self) -> Option<fn()> {
        None
    }

    /// Whether the network under this backend was stopped by someone else, so that no other method may be
    /// called: on Steam, another extension's `steamShutdown()` (GodotSteam's) ends the Steam this backend
    /// uses and leaves its interface dangling. The caller then drops the backend. Never for backends of
    /// their own.
    fn stopped_elsewhere(&self) -> bool {
        false
    }

    /// Other instances this one currently sees (the local backend's discovery); none on Steam.
    fn visible_peers(&self) -> Vec<SteamId> {
        Vec::new()
    }

    /// This player's persona name (`ISteamFriends::GetPersonaName`) on a backend that stands in for Steam's
    /// friends; `None` on Steam, where GodotSteam's is the real one.
    fn persona_name(&self) -> Option<&str> {
        None
    }

    /// `user`'s persona name (`ISteamFriends::GetFriendPersonaName`): empty until it arrives (announced by
    /// [`BackendEvent::PersonaStateChange`]); `None` on Steam, as [`Self::persona_name`].
    fn friend_persona_name(&self, user: SteamId) -> Option<&str> {
        let _ = user;
        None
    }

    /// Steam's lobbies (`ISteamMatchmaking`) on a backend that stands in for them; `None` on Steam, where
    /// GodotSteam's are the real ones, and where the backend could not open its lobby socket.
    fn lobbies(&mut self) -> Option<&mut crate::lobby::calls::Lobbies> {
        None
    }

    /// `ISteamFriends::RequestUserInformation`: `false` when `user`'s name is known already, `true` when a
    /// [`BackendEvent::PersonaStateChange`] will say it arrived; `None` on Steam, as [`Self::persona_name`].
    fn request_user_information(&self, user: SteamId) -> Option<bool> {
        self.friend_persona_name(user).map(str::is_empty)
    }
}
