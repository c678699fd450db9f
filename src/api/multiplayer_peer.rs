//! `SteamMessagesMultiplayerPeer`: Godot's high-level multiplayer (RPCs, `MultiplayerSpawner`,
//! `MultiplayerSynchronizer`) over Networking Messages. A thin driver: the protocol (handshake, keep-alives,
//! relay, ordering) is `messages_engine::multiplayer::PeerProtocol`; this class moves its bytes to and from the
//! backend of the `SteamNetworkingMessages` singleton and turns its events into Godot's signals.

use std::time::{Duration, Instant};

use godot::classes::multiplayer_peer::{ConnectionStatus, TransferMode};
use godot::classes::{IMultiplayerPeerExtension, MultiplayerPeerExtension, Object};
use godot::global::{Error, godot_error, godot_warn};
use godot::meta::conv::RawPtr;
use godot::obj::Singleton;
use godot::prelude::*;

use super::SteamNetworkingMessages;
use crate::backend::MessagesBackend;
use crate::steam_types::{SteamId, SteamResult, send_flags};
use messages_engine::multiplayer::{
    self as protocol, DEFAULT_BASE_CHANNEL, MAX_PAYLOAD_SIZE, PeerEvent, PeerProtocol,
    ProtocolConfig,
};

/// Most messages read from one Steam channel per poll; the rest wait for the next frame.
const MAX_MESSAGES_PER_CHANNEL: usize = 4096;

/// A [MultiplayerPeer] over Steam Networking Messages: set it as [member MultiplayerAPI.multiplayer_peer] and use
/// RPCs, [MultiplayerSpawner] and [MultiplayerSynchronizer] as with [ENetMultiplayerPeer], between Steam users —
/// or, on the local backend, between instances on one machine with no Steam at all.
///
/// Call [method SteamNetworkingMessages.steamInitEx] first; the peer uses that singleton's backend. The host is
/// peer 1; a client is [code]CONNECTION_CONNECTING[/code] until the host has assigned its peer ID, and
/// [signal MultiplayerAPI.connection_failed] fires when the host refuses, does not answer within 10 s, or the
/// Steam session fails. Peers that vanish are noticed within 10 s (keep-alives), at once when Steam says their
/// session closed ([code]RESULT_NO_CONNECTION[/code] to a send), at the next poll either way. Clients see each other
/// through the host (the host relays). Transfer channels 0 to 31 use Steam channels
/// [member steam_channel_base] + 1 to + 32; [code]TRANSFER_MODE_UNRELIABLE_ORDERED[/code] is unreliable and
/// drops any packet older than one already delivered from the same peer on the same channel.
///
/// Reliable packets are never dropped: when Steam's send window to a peer is full (it has too much unread,
/// [code]RESULT_LIMIT_EXCEEDED[/code]) they wait, in order, and go as that peer reads, as with ENet. What a peer
/// sent before it left is delivered before its [signal MultiplayerAPI.peer_disconnected].
///
/// [b]Mesh mode[/b] ([method create_mesh], [method add_mesh_peer]), as [ENetMultiplayerPeer]'s: no host; each
/// peer picks its own ID and adds every other by Steam ID and peer ID (from a lobby's members, say), and talks
/// to each directly. Both sides of each pair must add each other, with the same IDs; the pair connects when
/// both have ([signal MultiplayerPeer.peer_connected]), or [signal mesh_peer_failed] fires after 10 s.
///
/// Not [code]SteamMultiplayerPeer[/code]: GodotSteam's own peer (on Networking Sockets) may be installed too.
#[derive(GodotClass)]
#[class(tool, base = MultiplayerPeerExtension)]
pub struct SteamMessagesMultiplayerPeer {
    base: Base<MultiplayerPeerExtension>,
    protocol: Option<PeerProtocol>,
    started: Instant,
    target_peer: i32,
    transfer_channel: i32,
    transfer_mode: TransferMode,
    refusing: bool,
    /// The packet `get_packet` last handed to Godot, alive until the next call.
    current_packet: Vec<u8>,
    /// Users whose session Steam called broken while sending outside `poll`: the protocol hears of them at
    /// the next `poll`, where Godot expects connection changes (as with ENet), not in the middle of a frame's
    /// `put_packet` calls.
    broken_sessions: Vec<SteamId>,
    /// The Steam channel below the peer's channels: control messages use it, transfer channel `c` uses
    /// `steam_channel_base + 1 + c`. Both sides must use the same. Default 16, clear of the small channels
    /// games use with [method SteamNetworkingMessages.sendMessageToUser]. Set it before creating the host or
    /// client.
    #[var(get = get_steam_channel_base, set = set_steam_channel_base)]
    steam_channel_base: i64,
    /// Optional: decides which Steam session requests the peer accepts, called with the requester's Steam ID
    /// and returning [code]true[/code] to accept. Without it, a host accepts everyone (and refuses, with a
    /// reason the client reports at once, those it cannot take), a client accepts only its host, and a mesh
    /// peer the users it added. Requests
    /// the peer does not accept are left to the game (its own
    /// [signal SteamNetworkingMessages.network_messages_session_request] handler).
    #[var]
    session_request_filter: Callable,
}

#[godot_api]
impl IMultiplayerPeerExtension for SteamMessagesMultiplayerPeer {
    fn init(base: Base<MultiplayerPeerExtension>) -> Self {
        Self {
            base,
            protocol: None,
            started: Instant::now(),
            target_peer: 0,
            transfer_channel: 0,
            transfer_mode: TransferMode::RELIABLE,
            refusing: false,
            current_packet: Vec::new(),
            broken_sessions: Vec::new(),
            steam_channel_base: i64::from(DEFAULT_BASE_CHANNEL),
            session_request_filter: Callable::invalid(),
        }
    }

    unsafe fn get_packet_rawptr(
        &mut self,
        r_buffer: RawPtr<*mut RawPtr<*const u8>>,
        r_buffer_size: RawPtr<*mut i32>,
    ) -> Error {
        let Some(protocol) = self.protocol.as_mut() else {
            return Error::ERR_UNAVAILABLE;
        };
        let Some(packet) = protocol.peek_packet() else {
            return Error::ERR_UNAVAILABLE;
        };
        self.current_packet.clear();
        self.current_packet.extend_from_slice(packet.payload);
        protocol.pop_packet();
        let Ok(size) = i32::try_from(self.current_packet.len()) else {
            return Error::ERR_OUT_OF_MEMORY;
        };
        // SAFETY: Godot passes valid out-pointers; the buffer lives in `self` until the next call.
        unsafe {
            *r_buffer.ptr() = RawPtr::new(self.current_packet.as_ptr());
            *r_buffer_size.ptr() = size;
        }
        Error::OK
    }

    unsafe fn put_packet_rawptr(
        &mut self,
        p_buffer: RawPtr<*const u8>,
        p_buffer_size: i32,
    ) -> Error {
        let Ok(size) = usize::try_from(p_buffer_size) else {
            return Error::ERR_INVALID_PARAMETER;
        };
        let payload: &[u8] = if size == 0 || p_buffer.ptr().is_null() {
            &[]
        } else {
            // SAFETY: Godot passes a buffer of `p_buffer_size` bytes, valid during the call.
            unsafe { std::slice::from_raw_parts(p_buffer.ptr(), size) }
        };
        self.put(payload)
    }

    fn get_available_packet_count(&self) -> i32 {
        self.protocol.as_ref().map_or(0, |protocol| {
            i32::try_from(protocol.packet_count()).unwrap_or(i32::MAX)
        })
    }

    fn get_max_packet_size(&self) -> i32 {
        i32::try_from(MAX_PAYLOAD_SIZE).unwrap_or(i32::MAX)
    }

    fn get_packet_channel(&self) -> i32 {
        self.next_packet()
            .map_or(0, |packet| i32::try_from(packet.channel).unwrap_or(0))
    }

    fn get_packet_mode(&self) -> TransferMode {
        self.next_packet()
            .map_or(TransferMode::RELIABLE, |packet| godot_mode(packet.mode))
    }

    fn set_transfer_channel(&mut self, channel: i32) {
        self.transfer_channel = channel;
    }

    fn get_transfer_channel(&self) -> i32 {
        self.transfer_channel
    }

    fn set_transfer_mode(&mut self, mode: TransferMode) {
        self.transfer_mode = mode;
    }

    fn get_transfer_mode(&self) -> TransferMode {
        self.transfer_mode
    }

    fn set_target_peer(&mut self, peer: i32) {
        self.target_peer = peer;
    }

    fn get_packet_peer(&self) -> i32 {
        self.next_packet().map_or(0, |packet| packet.from)
    }

    fn is_server(&self) -> bool {
        self.protocol.as_ref().is_some_and(PeerProtocol::is_server)
    }

    fn poll(&mut self) {
        let now = self.now();
        let Some(protocol) = self.protocol.as_mut() else {
            return;
        };
        let broken = &mut self.broken_sessions;
        let moved = with_backend(|backend| {
            // The control channel first (a new peer is known before its data); departures apply in `update`.
            backend.receive_messages_on_channels(
                protocol.steam_channels_in_reading_order(),
                MAX_MESSAGES_PER_CHANNEL,
                &mut |message| {
                    protocol.handle_packet(now, message.sender, message.channel, message.payload)
                },
            );
            for remote in broken.drain(..) {
                protocol.handle_session_broken(now, remote);
            }
            protocol.update(now);
            flush(protocol, backend, broken);
            for remote in broken.drain(..) {
                protocol.handle_session_broken(now, remote);
            }
        });
        if moved.is_none() {
            // Steam stopped (steamShutdown, here or in GodotSteam): every peer is gone.
            protocol.update(now);
        }
        self.emit_events();
    }

    fn close(&mut self) {
        let now = self.now();
        if let Some(protocol) = self.protocol.as_mut() {
            protocol.close(now);
            let _ = with_backend(|backend| flush(protocol, backend, &mut self.broken_sessions));
        }
        // Closed: nobody is left to be told of.
        self.broken_sessions.clear();
        self.refusing = false;
        self.disconnect_from_sessions();
    }

    fn disconnect_peer(&mut self, peer: i32, force: bool) {
        let now = self.now();
        let Some(protocol) = self.protocol.as_mut() else {
            godot_error!("[STEAM] disconnect_peer: the peer is not active");
            return;
        };
        if let Err(error) = protocol.disconnect_peer(now, peer, force) {
            godot_error!("[STEAM] disconnect_peer({peer}): {error}");
            return;
        }
        let _ = with_backend(|backend| flush(protocol, backend, &mut self.broken_sessions));
        self.emit_events();
    }

    fn get_unique_id(&self) -> i32 {
        self.protocol.as_ref().map_or(0, PeerProtocol::unique_id)
    }

    fn set_refuse_new_connections(&mut self, enable: bool) {
        self.refusing = enable;
        if let Some(protocol) = self.protocol.as_mut() {
            protocol.set_refuse_new_connections(enable);
        }
    }

    fn is_refusing_new_connections(&self) -> bool {
        self.refusing
    }

    fn is_server_relay_supported(&self) -> bool {
        // The protocol relays between clients and announces them itself; SceneMultiplayer must not do it
        // again.
        false
    }

    fn get_connection_status(&self) -> ConnectionStatus {
        match self.protocol.as_ref().map(PeerProtocol::connection_status) {
            Some(protocol::ConnectionStatus::Connected) => ConnectionStatus::CONNECTED,
            Some(protocol::ConnectionStatus::Connecting) => ConnectionStatus::CONNECTING,
            _ => ConnectionStatus::DISCONNECTED,
        }
    }
}

#[godot_api]
impl SteamMessagesMultiplayerPeer {
    /// Hosts a game as peer 1 for up to [param max_clients] clients (1 to 4095). Returns [code]OK[/code], or
    /// [code]ERR_ALREADY_IN_USE[/code] if this peer is active ([method MultiplayerPeer.close] first),
    /// [code]ERR_UNCONFIGURED[/code] before [method SteamNetworkingMessages.steamInitEx], or
    /// [code]ERR_INVALID_PARAMETER[/code].
    #[func]
    fn create_host(&mut self, #[opt(default = 32)] max_clients: i64) -> Error {
        let Ok(max_clients) = u32::try_from(max_clients) else {
            godot_error!("[STEAM] create_host: max_clients must be 1 to 4095 (got {max_clients})");
            return Error::ERR_INVALID_PARAMETER;
        };
        let now = self.now();
        self.start(|protocol| protocol.host(now, max_clients))
    }

    /// Starts a mesh in which this peer is [param unique_id] (1 to 2147483647; 1 is not a host here, as with
    /// [ENetMultiplayerPeer]). The status is [code]CONNECTION_CONNECTED[/code] at once; add the other peers
    /// with [method add_mesh_peer]. Returns [code]OK[/code], or an error as [method create_host] does.
    #[func]
    fn create_mesh(&mut self, unique_id: i64) -> Error {
        let now = self.now();
        self.start(|protocol| protocol.mesh(now, unique_id))
    }

    /// Adds the Steam user [param steam_id] to the mesh as peer [param peer_id]. That user must add this peer
    /// too, with this peer's ID: once both have, [signal MultiplayerPeer.peer_connected] fires on each side.
    /// Until then nothing is sent to it. If it has not answered within 10 s, or it expects other IDs,
    /// [signal mesh_peer_failed] fires instead and it may be added again. Returns [code]OK[/code];
    /// [code]ERR_UNCONFIGURED[/code] if this peer is not in mesh mode; [code]ERR_ALREADY_IN_USE[/code] if that
    /// peer ID or Steam user was added already; [code]ERR_INVALID_PARAMETER[/code] for an ID out of range,
    /// this peer's own, or Steam ID 0.
    #[func]
    fn add_mesh_peer(&mut self, steam_id: i64, peer_id: i64) -> Error {
        let now = self.now();
        let Some(protocol) = self.protocol.as_mut() else {
            godot_error!(
                "[STEAM] add_mesh_peer: the peer is not in mesh mode: call create_mesh() first"
            );
            return Error::ERR_UNCONFIGURED;
        };
        let steam_id = SteamId::from_gdscript(steam_id);
        let Ok(peer) = i32::try_from(peer_id) else {
            godot_error!("[STEAM] add_mesh_peer: peer ID {peer_id} out of range (1 to 2147483647)");
            return Error::ERR_INVALID_PARAMETER;
        };
        if let Err(error) = protocol.add_mesh_peer(now, steam_id, peer) {
            godot_error!("[STEAM] add_mesh_peer({peer_id}): {error}");
            return match error {
                protocol::MeshError::NotMesh => Error::ERR_UNCONFIGURED,
                protocol::MeshError::PeerIdInUse(_) | protocol::MeshError::SteamIdInUse(_) => {
                    Error::ERR_ALREADY_IN_USE
                }
                _ => Error::ERR_INVALID_PARAMETER,
            };
        }
        let _ = with_backend(|backend| flush(protocol, backend, &mut self.broken_sessions));
        Error::OK
    }

    /// Emitted when a peer added with [method add_mesh_peer] did not connect: [param reason] says why (no
    /// answer within 10 s, other IDs on its side, another protocol version, or a failed Steam session). It is
    /// forgotten and may be added again.
    #[signal]
    fn mesh_peer_failed(peer_id: i64, steam_id: i64, reason: GString);

    /// Joins the game hosted by [param host_steam_id]. Returns [code]OK[/code] while the connection is
    /// attempted ([signal MultiplayerAPI.connected_to_server] or [signal MultiplayerAPI.connection_failed]
    /// follows), or an error as [method create_host] does.
    #[func]
    fn create_client(&mut self, host_steam_id: i64) -> Error {
        let host = SteamId::from_gdscript(host_steam_id);
        let now = self.now();
        self.start(|protocol| protocol.client(now, host))
    }

    /// The Steam ID of the peer with [param peer_id] (this one's for its own ID), 0 if there is none.
    #[func]
    fn get_steam_id_for_peer_id(&self, peer_id: i64) -> i64 {
        let Some(protocol) = self.protocol.as_ref() else {
            return 0;
        };
        let Ok(peer_id) = i32::try_from(peer_id) else {
            return 0;
        };
        if peer_id != 0 && peer_id == protocol.unique_id() {
            return protocol.local_steam_id().to_gdscript();
        }
        protocol
            .steam_id_for_peer(peer_id)
            .map_or(0, SteamId::to_gdscript)
    }

    /// The peer ID of the user [param steam_id] in this game (1 for the host), 0 if they are not in it.
    #[func]
    fn get_peer_id_for_steam_id(&self, steam_id: i64) -> i64 {
        let Some(protocol) = self.protocol.as_ref() else {
            return 0;
        };
        let steam_id = SteamId::from_gdscript(steam_id);
        if steam_id == protocol.local_steam_id() {
            return i64::from(protocol.unique_id());
        }
        protocol.peer_for_steam_id(steam_id).map_or(0, i64::from)
    }

    #[func]
    fn get_steam_channel_base(&self) -> i64 {
        self.steam_channel_base
    }

    #[func]
    fn set_steam_channel_base(&mut self, base: i64) {
        if self.protocol.as_ref().is_some_and(|protocol| {
            protocol.connection_status() != protocol::ConnectionStatus::Disconnected
        }) {
            godot_error!("[STEAM] steam_channel_base cannot change while the peer is active");
            return;
        }
        let limit = i64::from(i32::MAX) - i64::from(protocol::MAX_TRANSFER_CHANNELS);
        if !(0..=limit).contains(&base) {
            godot_error!("[STEAM] steam_channel_base must be 0 to {limit} (got {base})");
            return;
        }
        self.steam_channel_base = base;
    }

    /// Accepts a Steam session request addressed to this peer; connected to the singleton's signal.
    #[func(gd_self)]
    fn _on_steam_session_request(this: Gd<Self>, remote_steam_id: i64) {
        let remote = SteamId::from_gdscript(remote_steam_id);
        // Read and released before the filter runs: it may call back into this peer.
        let (wanted, filter) = {
            let peer = this.bind();
            let wanted = peer
                .protocol
                .as_ref()
                .is_some_and(|protocol| protocol.should_accept_session(remote));
            (wanted, peer.session_request_filter.clone())
        };
        if !wanted {
            return;
        }
        if filter.is_valid()
            && !filter
                .call(&[remote_steam_id.to_variant()])
                .try_to::<bool>()
                .unwrap_or(false)
        {
            return;
        }
        let _ = with_backend(|backend| backend.accept_session_with_user(remote));
    }

    /// Ends the connection with a user whose Steam session failed; connected to the singleton's signal.
    #[func]
    fn _on_steam_session_failed(
        &mut self,
        _reason: i64,
        remote_steam_id: i64,
        _connection_state: i64,
        _debug_message: GString,
    ) {
        let now = self.now();
        if let Some(protocol) = self.protocol.as_mut() {
            protocol.handle_session_failed(now, SteamId::from_gdscript(remote_steam_id));
        }
    }
}

impl SteamMessagesMultiplayerPeer {
    fn now(&self) -> Duration {
        self.started.elapsed()
    }

    fn next_packet(&self) -> Option<protocol::ReceivedPacket<'_>> {
        self.protocol.as_ref().and_then(PeerProtocol::peek_packet)
    }

    /// Starts hosting or joining with a fresh protocol on the singleton's Steam ID.
    fn start(
        &mut self,
        begin: impl FnOnce(&mut PeerProtocol) -> Result<(), protocol::SetupError>,
    ) -> Error {
        if self.get_connection_status() != ConnectionStatus::DISCONNECTED {
            godot_error!("[STEAM] the peer is already active: call close() first");
            return Error::ERR_ALREADY_IN_USE;
        }
        let Some(local) = with_backend(|backend| backend.local_steam_id()) else {
            godot_error!(
                "[STEAM] SteamMessagesMultiplayerPeer needs Steam: call SteamNetworkingMessages.steamInitEx() first"
            );
            return Error::ERR_UNCONFIGURED;
        };
        let config = ProtocolConfig {
            base_channel: i32::try_from(self.steam_channel_base).unwrap_or(DEFAULT_BASE_CHANNEL),
            ..ProtocolConfig::default()
        };
        let mut protocol = match PeerProtocol::new(local, config) {
            Ok(protocol) => protocol,
            Err(error) => {
                godot_error!("[STEAM] SteamMessagesMultiplayerPeer: {error}");
                return Error::ERR_INVALID_PARAMETER;
            }
        };
        if let Err(error) = begin(&mut protocol) {
            godot_error!("[STEAM] SteamMessagesMultiplayerPeer: {error}");
            return match error {
                protocol::SetupError::AlreadyActive => Error::ERR_ALREADY_IN_USE,
                _ => Error::ERR_INVALID_PARAMETER,
            };
        }
        protocol.set_refuse_new_connections(self.refusing);
        self.broken_sessions.clear();
        let _ = with_backend(|backend| flush(&mut protocol, backend, &mut self.broken_sessions));
        self.protocol = Some(protocol);
        self.connect_to_sessions();
        Error::OK
    }

    fn put(&mut self, payload: &[u8]) -> Error {
        let now = self.now();
        let Some(protocol) = self.protocol.as_mut() else {
            godot_error!("[STEAM] put_packet: the peer is not active");
            return Error::ERR_UNCONFIGURED;
        };
        let Some(mode) = protocol::TransferMode::from_godot(self.transfer_mode.ord().into()) else {
            return Error::ERR_INVALID_PARAMETER;
        };
        let Ok(channel) = u32::try_from(self.transfer_channel) else {
            godot_error!(
                "[STEAM] put_packet: transfer channel {} is negative",
                self.transfer_channel
            );
            return Error::ERR_INVALID_PARAMETER;
        };
        match protocol.send(now, self.target_peer, channel, mode, payload) {
            Ok(()) => {
                // Sent now rather than at the next poll: a reply should not wait a frame. Behind packets a
                // full send window holds back, it waits for the poll's flush instead (offering the backlog
                // again on every put would cost a burst quadratic time).
                if !protocol.is_backlogged() {
                    let broken = &mut self.broken_sessions;
                    let _ = with_backend(|backend| flush(protocol, backend, broken));
                }
                Error::OK
            }
            Err(error) => {
                godot_error!("[STEAM] put_packet: {error}");
                match error {
                    protocol::SendError::NotConnected => Error::ERR_UNCONFIGURED,
                    protocol::SendError::PayloadTooLarge(_) => Error::ERR_OUT_OF_MEMORY,
                    _ => Error::ERR_INVALID_PARAMETER,
                }
            }
        }
    }

    /// Turns the protocol's events into `peer_connected`/`peer_disconnected`. The connection status changes
    /// the other events describe are what `SceneMultiplayer` turns into `connected_to_server`,
    /// `connection_failed` and `server_disconnected`.
    fn emit_events(&mut self) {
        let mut events = Vec::new();
        if let Some(protocol) = self.protocol.as_mut() {
            while let Some(event) = protocol.next_event() {
                events.push(event);
            }
        }
        for event in events {
            match event {
                PeerEvent::PeerConnected(id) => {
                    // `base_mut()` lets handlers call back into this peer while the signal is emitted.
                    self.base_mut()
                        .emit_signal("peer_connected", &[i64::from(id).to_variant()]);
                }
                PeerEvent::PeerDisconnected(id) => {
                    self.base_mut()
                        .emit_signal("peer_disconnected", &[i64::from(id).to_variant()]);
                }
                PeerEvent::ConnectionFailed(reason) => {
                    godot_warn!("[STEAM] connection failed: {reason:?}");
                }
                PeerEvent::ServerDisconnected(reason) => {
                    godot_warn!("[STEAM] disconnected from the host: {reason:?}");
                }
                PeerEvent::ConnectionSucceeded => {}
                PeerEvent::MeshPeerFailed {
                    peer,
                    steam_id,
                    reason,
                } => {
                    godot_warn!(
                        "[STEAM] mesh peer {peer} (Steam ID {steam_id}) did not connect: {reason}"
                    );
                    // A handler may add it again at once, calling back into this peer.
                    self.base_mut().emit_signal(
                        "mesh_peer_failed",
                        &[
                            i64::from(peer).to_variant(),
                            steam_id.to_gdscript().to_variant(),
                            GString::from(reason.to_string().as_str()).to_variant(),
                        ],
                    );
                }
            }
        }
    }

    fn connect_to_sessions(&mut self) {
        let mut singleton = SteamNetworkingMessages::singleton().upcast::<Object>();
        let this = self.to_gd();
        for (signal, method) in SESSION_SIGNALS {
            let callable = Callable::from_object_method(&this, method);
            if !singleton.is_connected(signal, &callable) {
                singleton.connect(signal, &callable);
            }
        }
    }

    fn disconnect_from_sessions(&mut self) {
        let mut singleton = SteamNetworkingMessages::singleton().upcast::<Object>();
        let this = self.to_gd();
        for (signal, method) in SESSION_SIGNALS {
            let callable = Callable::from_object_method(&this, method);
            if singleton.is_connected(signal, &callable) {
                singleton.disconnect(signal, &callable);
            }
        }
    }
}

/// The singleton's session signals and the methods of this class that follow them.
const SESSION_SIGNALS: [(&str, &str); 2] = [
    (
        "network_messages_session_request",
        "_on_steam_session_request",
    ),
    (
        "network_messages_session_failed",
        "_on_steam_session_failed",
    ),
];

/// Runs `call` with the singleton's backend; `None` when Steam is not initialised.
fn with_backend<R>(call: impl FnOnce(&mut dyn MessagesBackend) -> R) -> Option<R> {
    SteamNetworkingMessages::singleton()
        .bind_mut()
        .with_backend(call)
}

/// Sends what the protocol queued. A user Steam answers with `k_EResultNoConnection` has a broken session
/// (failed, or closed by the peer, which Steam reports with no callback): it is closed, as Steam asks before a
/// new one can start, and added to `broken` for the protocol to hear of (see
/// [`PeerProtocol::handle_session_broken`]).
fn flush(
    protocol: &mut PeerProtocol,
    backend: &mut dyn MessagesBackend,
    broken: &mut Vec<SteamId>,
) {
    let mut found: Vec<SteamId> = Vec::new();
    protocol.flush(&mut |to, channel, reliable, bytes| {
        // No Nagle delay: the protocol batches nothing, and a game's packets should leave at once.
        let flags = if reliable {
            send_flags::RELIABLE | send_flags::NO_NAGLE
        } else {
            send_flags::UNRELIABLE | send_flags::NO_NAGLE
        };
        let result = backend.send_message_to_user(to, bytes, flags, channel);
        if result == SteamResult::LIMIT_EXCEEDED {
            // That user has too much unread: a reliable packet waits for the next frame.
            return false;
        }
        if result == SteamResult::NO_CONNECTION {
            if !found.contains(&to) {
                found.push(to);
            }
        } else if result != SteamResult::OK {
            log::debug!("multiplayer peer: send to {to} on channel {channel} returned {result:?}");
        }
        true
    });
    for remote in found {
        log::debug!("multiplayer peer: the session with {remote} is broken; closing it");
        backend.close_session_with_user(remote);
        if !broken.contains(&remote) {
            broken.push(remote);
        }
    }
}

fn godot_mode(mode: protocol::TransferMode) -> TransferMode {
    match mode {
        protocol::TransferMode::Unreliable => TransferMode::UNRELIABLE,
        protocol::TransferMode::UnreliableOrdered => TransferMode::UNRELIABLE_ORDERED,
        protocol::TransferMode::Reliable => TransferMode::RELIABLE,
    }
}
