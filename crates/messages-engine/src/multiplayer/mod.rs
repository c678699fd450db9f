//! The protocol core of a Godot `MultiplayerPeer` over Steam Networking Messages, as a pure state machine: no
//! Godot, no sockets, no Steam, no clock. It is fed received packets, Steam session failures and the time, and
//! produces packets to send, events (Godot's signals) and received packets (Godot's `get_packet`).
//!
//! # Roles
//! A [`PeerProtocol`] hosts ([`PeerProtocol::host`], peer ID 1), joins a host ([`PeerProtocol::client`]), or
//! is one peer of a mesh ([`PeerProtocol::mesh`] and [`PeerProtocol::add_mesh_peer`], as
//! `ENetMultiplayerPeer`'s mesh mode: no host, every peer talks to every other directly; see [`mesh`] for its
//! handshake); after [`PeerProtocol::close`], or once a client's connection ended, the same object can
//! start again.
//!
//! A client sends HELLO until the host answers WELCOME (its peer ID and the peers already there) or REFUSE.
//! Nothing but HELLO goes to a host before WELCOME, and nothing but WELCOME or REFUSE goes to a client before
//! the host counts it as connected. Both sides send a PING whenever they have sent nothing to the other for
//! [`ProtocolConfig::keepalive_interval`], and drop a peer heard nothing from for
//! [`ProtocolConfig::peer_timeout`], so no connection stays in limbo. The host relays between clients (see
//! [`ProtocolConfig::server_relay`]) and tells each client who joins and leaves. See [`wire`] for the bytes.
//!
//! # Driving it (what a `MultiplayerPeerExtension` does)
//! - **Each frame** (`_poll`): feed the backend's events (`SessionRequest { remote }`: accept the session if
//!   [`PeerProtocol::should_accept_session`]; `SessionFailed { remote }`:
//!   [`PeerProtocol::handle_session_failed`]); read every Steam channel in the order of
//!   [`PeerProtocol::steam_channels_in_reading_order`] (the control channel first), giving each message to
//!   [`PeerProtocol::handle_packet`]; call
//!   [`PeerProtocol::update`]; [`PeerProtocol::flush`] to the backend (`reliable` means
//!   `NETWORKING_SEND_RELIABLE`, otherwise unreliable); then turn [`PeerProtocol::next_event`]s into signals:
//!   [`PeerEvent::PeerConnected`] and [`PeerEvent::PeerDisconnected`] are `peer_connected`/`peer_disconnected`;
//!   the other three only say why [`PeerProtocol::connection_status`] changed, from which Godot's
//!   `SceneMultiplayer` derives `connected_to_server`, `connection_failed` and `server_disconnected` itself.
//! - `_put_packet`: [`PeerProtocol::send`] with the peer's target, transfer channel and mode, then flush (or
//!   flush once per frame; either is fine).
//! - `_get_packet` and friends: [`PeerProtocol::peek_packet`] (sender, channel, mode, payload of the next
//!   packet) and [`PeerProtocol::pop_packet`]; `_get_available_packet_count`: [`PeerProtocol::packet_count`].
//! - `_close`, `_disconnect_peer`: [`PeerProtocol::close`], [`PeerProtocol::disconnect_peer`], then flush so
//!   the BYE goes out.
//! - `_is_server_relay_supported`: `!config.server_relay`. With the default (`server_relay` on) this
//!   protocol relays and announces peers itself, so `SceneMultiplayer` must not do it a second time.
//! - `_get_max_packet_size`: [`MAX_PAYLOAD_SIZE`].
//!
//! Steam queues each channel apart, so the order of a frame's messages across channels is lost; the read
//! order and one rule restore it. The control channel is read first, so the packet that introduces a sender
//! (WELCOME, JOINED) is taken before that sender's data of the same frame; departures (BYE, LEFT) take effect
//! at [`PeerProtocol::update`], after every channel was read, so what a peer sent before it left is delivered
//! before its departure, as ENet delivers a peer's packets before its disconnection. Data that still comes
//! before its sender's introduction (another lane of Steam's was faster) is held by the client until that
//! packet is read, instead of dropped. Reading the control channel last instead made a client hold a whole
//! frame of a new peer's data, which a busy frame overflowed: reliable packets were lost.
//!
//! Times are any monotonic `Duration` (time since the driver started, say); they only need to not go back.

mod buffers;
mod client;
mod host;
mod mesh;
mod ordering;
pub mod wire;

#[cfg(test)]
mod harness;
#[cfg(test)]
mod mesh_tests;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::fmt;
use std::ops::Range;
use std::time::Duration;

use buffers::{Inbox, Outbox};
use client::ClientState;
use host::HostState;
use mesh::MeshState;
pub use wire::{ByeReason, RefuseReason};

use crate::steam_types::{MAX_STEAM_PACKET_SIZE, SteamId};

/// Transfer channels per peer, 0 to 31; each has its own Steam channel (`B + 1 + channel`) and its own order.
/// 32 is as many as games use with ENet (whose own limit is 255) while keeping the channels the driver polls
/// each frame few.
pub const MAX_TRANSFER_CHANNELS: u32 = 32;
/// Most departure packets a frame defers to [`PeerProtocol::update`]; past it (a flood) they are handled at
/// once. A host has at most one per client and a client one per peer.
const MAX_DEFERRED_DEPARTURES: usize = 4096;

/// Largest payload [`PeerProtocol::send`] takes: Steam's largest message minus the largest header.
pub const MAX_PAYLOAD_SIZE: usize = MAX_STEAM_PACKET_SIZE - wire::DATA_HEADER_MAX;

/// Most clients a host takes, as ENet's limit (4095 peers).
pub const MAX_CLIENTS: u32 = 4095;

/// The host's peer ID, as in Godot (`MultiplayerPeer.TARGET_PEER_SERVER`).
pub const HOST_PEER_ID: i32 = 1;

/// The default base Steam channel: the control channel, with transfer channels on the 32 channels above it
/// (16 to 48). Games using the Networking Messages API directly pick small channels (0, 1, 2...), so the
/// peer stays out of their way there; and it is below 128, as Steam says small channel numbers are cheapest.
pub const DEFAULT_BASE_CHANNEL: i32 = 16;

/// How a packet travels: Godot's `MultiplayerPeer.TransferMode`, with the same values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferMode {
    /// Steam unreliable: may be lost, may arrive out of order.
    Unreliable = 0,
    /// Steam unreliable, and a packet older than one already delivered from the same sender on the same
    /// transfer channel is dropped.
    UnreliableOrdered = 1,
    /// Steam reliable: arrives exactly once, in order per sender and transfer channel.
    Reliable = 2,
}

impl TransferMode {
    /// The mode from Godot's enum value; `None` for any other.
    pub fn from_godot(value: i64) -> Option<Self> {
        match value {
            0 => Some(Self::Unreliable),
            1 => Some(Self::UnreliableOrdered),
            2 => Some(Self::Reliable),
            _ => None,
        }
    }
}

/// Godot's `MultiplayerPeer.ConnectionStatus`, with the same values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionStatus {
    /// Neither hosting nor a client (idle, closed, or a client whose connection ended).
    Disconnected = 0,
    /// A client waiting for the host's answer.
    Connecting = 1,
    /// Hosting, or a client the host welcomed.
    Connected = 2,
}

/// Tuning. Both sides of a connection should use the same `base_channel`; the rest may differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolConfig {
    /// The control channel; transfer channel `c` is Steam channel `base_channel + 1 + c`. Default
    /// [`DEFAULT_BASE_CHANNEL`].
    pub base_channel: i32,
    /// How long a client waits for WELCOME or REFUSE before `ConnectionFailed(Timeout)`. Default 10 s, as
    /// Steam's own session timeout: a host that has not answered by then is not coming.
    pub handshake_timeout: Duration,
    /// How often a client repeats HELLO while waiting. Default 500 ms. HELLO is sent reliably, but Steam may
    /// hold a session's first messages until the remote accepts, and a host that was not hosting yet when the
    /// first one came has dropped it: repeating makes the join start as soon as the host is ready.
    pub hello_interval: Duration,
    /// A PING goes to a peer that was sent nothing for this long. Default 1 s.
    pub keepalive_interval: Duration,
    /// A peer heard nothing from for this long is disconnected. Default 10 s, Steam's own.
    pub peer_timeout: Duration,
    /// How long a graceful [`PeerProtocol::disconnect_peer`] waits for the remote's acknowledgement before
    /// reporting the peer disconnected anyway. Default 2 s: several round trips on any Steam relay route.
    pub disconnect_linger: Duration,
    /// Whether the host relays packets between clients and tells clients about each other (default true), so
    /// clients see one another as peers, as Godot's server relay does. Off: clients see only the host. The
    /// driver answers `_is_server_relay_supported` with the opposite, so `SceneMultiplayer` relays exactly
    /// when this protocol does not.
    pub server_relay: bool,
    /// Seed of the host's peer ID choice and the client's nonces; `None` seeds from the system. Tests fix it.
    pub seed: Option<u64>,
}

impl Default for ProtocolConfig {
    fn default() -> Self {
        Self {
            base_channel: DEFAULT_BASE_CHANNEL,
            handshake_timeout: Duration::from_secs(10),
            hello_interval: Duration::from_millis(500),
            keepalive_interval: Duration::from_secs(1),
            peer_timeout: Duration::from_secs(10),
            disconnect_linger: Duration::from_secs(2),
            server_relay: true,
            seed: None,
        }
    }
}

/// Why a [`ProtocolConfig`] was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// `base_channel` is negative or leaves no room for the transfer channels above it.
    BaseChannel(i32),
    /// A duration that must be positive is zero.
    ZeroDuration(&'static str),
    /// `keepalive_interval` is not below `peer_timeout`: idle peers would time out.
    KeepaliveNotBelowTimeout,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BaseChannel(channel) => write!(
                f,
                "base channel {channel} out of range (0 to {})",
                i32::MAX - MAX_TRANSFER_CHANNELS as i32
            ),
            Self::ZeroDuration(name) => write!(f, "{name} must be above zero"),
            Self::KeepaliveNotBelowTimeout => {
                write!(f, "keepalive_interval must be below peer_timeout")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

impl ProtocolConfig {
    /// Checks the settings; [`PeerProtocol::new`] does.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.base_channel < 0 || self.base_channel > i32::MAX - MAX_TRANSFER_CHANNELS as i32 {
            return Err(ConfigError::BaseChannel(self.base_channel));
        }
        for (name, value) in [
            ("handshake_timeout", self.handshake_timeout),
            ("hello_interval", self.hello_interval),
            ("keepalive_interval", self.keepalive_interval),
            ("peer_timeout", self.peer_timeout),
        ] {
            if value.is_zero() {
                return Err(ConfigError::ZeroDuration(name));
            }
        }
        if self.keepalive_interval >= self.peer_timeout {
            return Err(ConfigError::KeepaliveNotBelowTimeout);
        }
        Ok(())
    }
}

/// Why a client's connection attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureReason {
    /// No answer within [`ProtocolConfig::handshake_timeout`].
    Timeout,
    /// The host said no.
    Refused(RefuseReason),
    /// Steam reported the session with the host failed.
    SessionFailed,
    /// The client gave up itself (`disconnect_peer(1, false)` while connecting).
    Cancelled,
}

/// Why a client lost its host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisconnectReason {
    /// The host closed (or restarted and no longer knows this client).
    HostClosed,
    /// The host disconnected this client.
    Kicked,
    /// This client left (`disconnect_peer(1, false)`).
    Left,
    /// Nothing heard from the host for [`ProtocolConfig::peer_timeout`], or the host timed this client out.
    Timeout,
    /// Steam reported the session with the host failed.
    SessionFailed,
}

/// Something that happened, for the driver to turn into Godot signals; each fires exactly once per
/// occurrence, and none after [`PeerProtocol::close`].
///
/// Every `PeerConnected(id)` is followed by exactly one `PeerDisconnected(id)`, except after `close()` and for
/// a peer removed with `disconnect_peer(id, true)` (Godot: force means no `peer_disconnected`). When a client
/// loses its host it reports `PeerDisconnected` for every other client it saw, then for the host (1), then
/// `ServerDisconnected`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeerEvent {
    /// `peer_connected(id)`.
    PeerConnected(i32),
    /// `peer_disconnected(id)`.
    PeerDisconnected(i32),
    /// A client was welcomed: status went from connecting to connected. `PeerConnected(1)` and one
    /// `PeerConnected` for each client already there follow.
    ConnectionSucceeded,
    /// A client's attempt ended without a connection: status went from connecting to disconnected.
    ConnectionFailed(FailureReason),
    /// A client's connection ended: status went from connected to disconnected.
    ServerDisconnected(DisconnectReason),
    /// A mesh peer added with [`PeerProtocol::add_mesh_peer`] never connected; it is forgotten and may be
    /// added again. No `PeerConnected` fired for it, so none of the other events will.
    MeshPeerFailed {
        peer: i32,
        steam_id: SteamId,
        reason: MeshFailure,
    },
}

/// Why a mesh peer's handshake failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MeshFailure {
    /// It did not introduce itself within [`ProtocolConfig::handshake_timeout`] (it never added this peer,
    /// is not in mesh mode, or is not running).
    Timeout,
    /// It introduced itself with other IDs than this side expects: it is `they_are` and takes this peer for
    /// `you_are`. The game gave the two sides different peer IDs.
    IdMismatch { they_are: u32, you_are: u32 },
    /// It speaks another protocol version.
    VersionMismatch { theirs: u16 },
    /// Steam reported the session with it failed.
    SessionFailed,
}

impl fmt::Display for MeshFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => write!(f, "it did not answer in time (has it added this peer?)"),
            Self::IdMismatch { they_are, you_are } => write!(
                f,
                "it says it is peer {they_are} and takes this peer for {you_are}: both sides must use the same IDs"
            ),
            Self::VersionMismatch { theirs } => write!(
                f,
                "it speaks protocol version {theirs}, this peer {}",
                wire::PROTOCOL_VERSION
            ),
            Self::SessionFailed => write!(f, "the Steam session with it failed"),
        }
    }
}

/// Why [`PeerProtocol::add_mesh_peer`] did not add a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeshError {
    /// Not in mesh mode ([`PeerProtocol::mesh`] first; Godot's `ERR_UNCONFIGURED`).
    NotMesh,
    /// The peer ID is not 1..=2^31-1, or is this peer's own.
    InvalidPeerId(i32),
    /// The Steam ID is 0 or this peer's own.
    InvalidSteamId(SteamId),
    /// A peer with this ID was added already (Godot's `ERR_ALREADY_IN_USE`).
    PeerIdInUse(i32),
    /// This Steam user was added already, under another or the same ID (`ERR_ALREADY_IN_USE`).
    SteamIdInUse(SteamId),
}

impl fmt::Display for MeshError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotMesh => write!(
                f,
                "the multiplayer peer is not in mesh mode: create_mesh() first"
            ),
            Self::InvalidPeerId(id) => {
                write!(
                    f,
                    "peer ID {id} out of range (1 to 2147483647, not this peer's own)"
                )
            }
            Self::InvalidSteamId(id) => write!(f, "cannot add Steam ID {id} as a mesh peer"),
            Self::PeerIdInUse(id) => write!(f, "peer ID {id} was added already"),
            Self::SteamIdInUse(id) => write!(f, "Steam ID {id} was added already"),
        }
    }
}

impl std::error::Error for MeshError {}

/// Why [`PeerProtocol::host`] or [`PeerProtocol::client`] did not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupError {
    /// Already hosting or a client: `close()` first (Godot's `ERR_ALREADY_IN_USE`).
    AlreadyActive,
    /// `max_clients` is 0 or above [`MAX_CLIENTS`].
    InvalidMaxClients(u32),
    /// The host's Steam ID is 0 or this peer's own.
    InvalidHost(SteamId),
    /// A mesh peer's own ID is not 1..=2^31-1.
    InvalidUniqueId(i64),
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AlreadyActive => {
                write!(f, "the multiplayer peer is already active: close it first")
            }
            Self::InvalidMaxClients(count) => {
                write!(f, "max_clients {count} out of range (1 to {MAX_CLIENTS})")
            }
            Self::InvalidHost(id) => write!(f, "cannot connect to Steam ID {id}"),
            Self::InvalidUniqueId(id) => {
                write!(f, "unique ID {id} out of range (1 to 2147483647)")
            }
        }
    }
}

impl std::error::Error for SetupError {}

/// Why [`PeerProtocol::send`] sent nothing. Nothing is ever queued for later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// Not hosting and not a connected client (connecting, leaving or closed).
    NotConnected,
    /// No connected peer has this ID (the target, or for a negative target the peer it excludes).
    UnknownTarget(i32),
    /// The transfer channel is not below [`MAX_TRANSFER_CHANNELS`].
    InvalidChannel(u32),
    /// The payload is over [`MAX_PAYLOAD_SIZE`].
    PayloadTooLarge(usize),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotConnected => write!(f, "the multiplayer peer is not connected"),
            Self::UnknownTarget(target) => write!(f, "no connected peer for target {target}"),
            Self::InvalidChannel(channel) => write!(
                f,
                "transfer channel {channel} out of range (0 to {})",
                MAX_TRANSFER_CHANNELS - 1
            ),
            Self::PayloadTooLarge(size) => write!(
                f,
                "packet of {size} bytes is over the limit of {MAX_PAYLOAD_SIZE} bytes"
            ),
        }
    }
}

impl std::error::Error for SendError {}

/// Why [`PeerProtocol::disconnect_peer`] did nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisconnectError {
    /// Not hosting, not a client, not a mesh.
    NotActive,
    /// The host has no client with this ID; or a client was asked for another peer than 1; or a mesh has
    /// no connected peer with this ID.
    UnknownPeer(i32),
}

impl fmt::Display for DisconnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotActive => write!(f, "the multiplayer peer is not active"),
            Self::UnknownPeer(peer) => write!(f, "no peer {peer} to disconnect"),
        }
    }
}

impl std::error::Error for DisconnectError {}

/// A received packet, borrowed from the protocol until [`PeerProtocol::pop_packet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceivedPacket<'a> {
    /// The peer that sent it (also when the host relayed it).
    pub from: i32,
    /// The transfer channel it was sent on.
    pub channel: u32,
    /// The mode it was sent with.
    pub mode: TransferMode,
    /// The bytes the sender gave to `send`.
    pub payload: &'a [u8],
}

/// Traffic dropped, by cause. None of it ever produced an event or a packet for the game.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProtocolStats {
    /// Packets that are not this protocol's (truncated, unknown kind, out-of-range values).
    pub malformed: u64,
    /// Well-formed packets that make no sense here: from a Steam ID that is not a peer, of a kind the
    /// receiving side never takes, for a state it is not in, or claiming an ID they may not.
    pub unexpected: u64,
    /// HELLOs answered already (a client repeating itself, or flooding).
    pub duplicate_hellos: u64,
    /// Unreliable-ordered packets older than one already delivered.
    pub stale: u64,
    /// Packets a client addressed to peers the host does not have.
    pub undeliverable: u64,
    /// Packets a client held because they came before the control packet introducing their sender.
    pub held: u64,
    /// Held packets dropped because that control packet never came, or the hold was full.
    pub held_dropped: u64,
}

/// Where [`PeerProtocol::flush`] hands each packet: `(to, steam_channel, reliable, bytes)`; returns false
/// when the backend refused it for now (`k_EResultLimitExceeded`: too much unread by that user), true
/// otherwise (sent, or failed for good).
pub type PacketSink<'a> = dyn FnMut(SteamId, i32, bool, &[u8]) -> bool + 'a;

/// Whether a client's state goes on or has ended (the protocol is then idle).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    Ended,
}

/// What the roles share: settings, randomness and the queues to and from the driver.
#[derive(Debug)]
struct Core {
    config: ProtocolConfig,
    local: SteamId,
    rng: fastrand::Rng,
    outbox: Outbox,
    inbox: Inbox,
    events: VecDeque<PeerEvent>,
    /// Peers whose `PeerDisconnected` was queued during the frame that last ended (see
    /// [`PeerProtocol::next_event`]).
    departures_this_frame: Vec<i32>,
    /// Departure control packets (BYE, LEFT) read this frame, applied at the next `update`: after the
    /// data channels, whatever the read order.
    deferred_departures: Vec<(SteamId, Vec<u8>)>,
    stats: ProtocolStats,
}

impl Core {
    /// Whether `peer` has left but Godot has not been told yet (its `PeerDisconnected` is still queued, perhaps
    /// held back while its last packets are read). Godot still counts it connected and may address it, so a
    /// packet for it goes nowhere, quietly, as to any peer that just vanished.
    fn departure_untold(&self, peer: u32) -> bool {
        self.events
            .iter()
            .any(|event| matches!(event, PeerEvent::PeerDisconnected(gone) if gone.unsigned_abs() == peer))
    }

    fn control_channel(&self) -> i32 {
        self.config.base_channel
    }

    fn data_channel(&self, transfer_channel: u32) -> i32 {
        self.config.base_channel + 1 + transfer_channel as i32
    }

    /// The transfer channel a Steam channel carries, if it is one of this protocol's data channels.
    fn transfer_channel(&self, steam_channel: i32) -> Option<u32> {
        let offset = i64::from(steam_channel) - i64::from(self.config.base_channel) - 1;
        (0..i64::from(MAX_TRANSFER_CHANNELS))
            .contains(&offset)
            .then_some(offset as u32)
    }

    /// Encodes one DATA packet (`header`, then `payload`) on transfer channel `channel` and queues it for each
    /// connected peer `(id, Steam ID, its last-sent time)` of `connected` that Godot's `target` addresses
    /// (>0 that peer, otherwise everyone but `-target`); their last-sent time becomes `now`.
    fn send_data<'a>(
        &mut self,
        now: Duration,
        target: i32,
        channel: u32,
        header: wire::DataHeader,
        payload: &[u8],
        connected: impl Iterator<Item = (u32, SteamId, &'a mut Duration)>,
    ) {
        let steam_channel = self.data_channel(channel);
        let reliable = header.mode == TransferMode::Reliable;
        let bytes = self.outbox.encode(|out| {
            wire::encode_data_header(out, header);
            out.extend_from_slice(payload);
        });
        for (id, steam_id, last_sent) in connected {
            let addressed = if target > 0 {
                id == target as u32
            } else {
                id != target.unsigned_abs()
            };
            if addressed {
                self.outbox
                    .push_again(steam_id, steam_channel, reliable, bytes.clone());
                *last_sent = now;
            }
        }
        self.outbox.discard_unqueued(bytes);
    }

    /// Queues a control packet for `to`.
    fn send_control(&mut self, to: SteamId, reliable: bool, write: impl FnOnce(&mut Vec<u8>)) {
        let channel = self.control_channel();
        self.outbox.push(to, channel, reliable, write);
    }
}

#[derive(Debug)]
enum Role {
    Idle,
    // Boxed: their states differ in size by kilobytes, and only one is ever live.
    Host(Box<HostState>),
    Client(Box<ClientState>),
    Mesh(Box<MeshState>),
}

/// A Godot `MultiplayerPeer`'s protocol over Steam Networking Messages: see the [module](self) for how a
/// driver runs it.
#[derive(Debug)]
pub struct PeerProtocol {
    core: Core,
    role: Role,
    refuse_new_connections: bool,
}

impl PeerProtocol {
    /// An idle protocol for the Steam user `local` (the Steam ID this process sends as).
    pub fn new(local: SteamId, config: ProtocolConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let rng = match config.seed {
            Some(seed) => fastrand::Rng::with_seed(seed),
            None => fastrand::Rng::new(),
        };
        Ok(Self {
            core: Core {
                config,
                local,
                rng,
                outbox: Outbox::default(),
                inbox: Inbox::default(),
                events: VecDeque::new(),
                departures_this_frame: Vec::new(),
                deferred_departures: Vec::new(),
                stats: ProtocolStats::default(),
            },
            role: Role::Idle,
            refuse_new_connections: false,
        })
    }

    /// The settings this protocol runs with.
    pub fn config(&self) -> &ProtocolConfig {
        &self.core.config
    }

    /// The Steam ID this protocol sends as.
    pub fn local_steam_id(&self) -> SteamId {
        self.core.local
    }

    /// Starts hosting as peer 1 for up to `max_clients` clients (1 to [`MAX_CLIENTS`]). Status is connected at
    /// once, as with ENet's `create_server`.
    pub fn host(&mut self, now: Duration, max_clients: u32) -> Result<(), SetupError> {
        let _ = now;
        if !matches!(self.role, Role::Idle) {
            return Err(SetupError::AlreadyActive);
        }
        if max_clients == 0 || max_clients > MAX_CLIENTS {
            return Err(SetupError::InvalidMaxClients(max_clients));
        }
        self.refuse_new_connections = false;
        self.core.inbox.clear();
        self.role = Role::Host(Box::new(HostState::new(max_clients)));
        Ok(())
    }

    /// Starts joining the host with Steam ID `host`: status is connecting until the host answers, and HELLO is
    /// queued at once.
    pub fn client(&mut self, now: Duration, host: SteamId) -> Result<(), SetupError> {
        if !matches!(self.role, Role::Idle) {
            return Err(SetupError::AlreadyActive);
        }
        if !host.is_valid() || host == self.core.local {
            return Err(SetupError::InvalidHost(host));
        }
        self.refuse_new_connections = false;
        self.core.inbox.clear();
        self.role = Role::Client(Box::new(ClientState::start(&mut self.core, now, host)));
        Ok(())
    }

    /// Starts a mesh in which this peer is `unique_id` (1 to 2^31-1, as `ENetMultiplayerPeer.create_mesh`):
    /// status is connected at once, and peers join with [`PeerProtocol::add_mesh_peer`].
    pub fn mesh(&mut self, now: Duration, unique_id: i64) -> Result<(), SetupError> {
        let _ = now;
        if !matches!(self.role, Role::Idle) {
            return Err(SetupError::AlreadyActive);
        }
        let id = u32::try_from(unique_id)
            .ok()
            .filter(|&id| wire::is_mesh_id(id))
            .ok_or(SetupError::InvalidUniqueId(unique_id))?;
        self.refuse_new_connections = false;
        self.core.inbox.clear();
        self.role = Role::Mesh(Box::new(MeshState::new(id)));
        Ok(())
    }

    /// Adds the Steam user `steam_id` to the mesh as peer `peer_id`: introductions go both ways until that
    /// user, who must add this peer with this peer's ID, answers; then `PeerConnected(peer_id)`. Without an
    /// answer within [`ProtocolConfig::handshake_timeout`], or with other IDs than expected,
    /// [`PeerEvent::MeshPeerFailed`] instead.
    pub fn add_mesh_peer(
        &mut self,
        now: Duration,
        steam_id: SteamId,
        peer_id: i32,
    ) -> Result<(), MeshError> {
        match &mut self.role {
            Role::Mesh(mesh) => mesh.add(&mut self.core, now, steam_id, peer_id),
            _ => Err(MeshError::NotMesh),
        }
    }

    /// Takes one message received from Steam: `from` its sender, `steam_channel` the channel it was read
    /// from. Anything malformed or unexpected is dropped and counted in [`PeerProtocol::stats`].
    pub fn handle_packet(&mut self, now: Duration, from: SteamId, steam_channel: i32, data: &[u8]) {
        if !from.is_valid() || from == self.core.local {
            self.core.stats.unexpected += 1;
            return;
        }
        if steam_channel == self.core.control_channel() {
            let departure = matches!(
                wire::Control::decode(data),
                Ok(wire::Control::Bye { .. } | wire::Control::Left { .. })
            );
            if departure
                && self.may_depart(from)
                && self.core.deferred_departures.len() < MAX_DEFERRED_DEPARTURES
            {
                self.core.deferred_departures.push((from, data.to_vec()));
                return;
            }
            // Control packets from one sender keep their order: a departure it sent first applies first.
            self.apply_deferred_departures(now, |sender| sender == from);
        }
        self.dispatch(now, from, steam_channel, data);
    }

    /// Whether a departure from `from` is one this side takes (the host's, on a client; a client's, on the
    /// host): only those wait for `update`; anything else is handled, and counted as unexpected, at once.
    fn may_depart(&self, from: SteamId) -> bool {
        match &self.role {
            Role::Idle => false,
            Role::Host(host) => host.has_client(from),
            Role::Client(client) => client.host() == from,
            Role::Mesh(mesh) => mesh.has_peer(from),
        }
    }

    /// Applies, in the order they came, the deferred departures whose sender `which` selects.
    fn apply_deferred_departures(&mut self, now: Duration, which: impl Fn(SteamId) -> bool) {
        if self.core.deferred_departures.is_empty() {
            return;
        }
        let (due, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.core.deferred_departures)
            .into_iter()
            .partition(|(sender, _)| which(*sender));
        self.core.deferred_departures = kept;
        let control_channel = self.core.control_channel();
        for (from, data) in due {
            self.dispatch(now, from, control_channel, &data);
        }
    }

    /// Gives a packet to the role that handles it.
    fn dispatch(&mut self, now: Duration, from: SteamId, steam_channel: i32, data: &[u8]) {
        let flow = match &mut self.role {
            Role::Idle => {
                self.core.stats.unexpected += 1;
                Flow::Continue
            }
            Role::Host(host) => {
                host.on_packet(
                    &mut self.core,
                    now,
                    from,
                    steam_channel,
                    data,
                    self.refuse_new_connections,
                );
                Flow::Continue
            }
            Role::Client(client) => {
                client.on_packet(&mut self.core, now, from, steam_channel, data)
            }
            Role::Mesh(mesh) => {
                mesh.on_packet(&mut self.core, now, from, steam_channel, data);
                Flow::Continue
            }
        };
        self.after(flow);
    }

    /// Steam reported the session with `remote` failed (`network_messages_session_failed`): a client whose
    /// host it is fails or disconnects; a host drops that client.
    pub fn handle_session_failed(&mut self, now: Duration, remote: SteamId) {
        let flow = match &mut self.role {
            Role::Idle => Flow::Continue,
            Role::Host(host) => {
                host.on_session_failed(&mut self.core, now, remote);
                Flow::Continue
            }
            Role::Client(client) => client.on_session_failed(&mut self.core, remote),
            Role::Mesh(mesh) => {
                mesh.on_session_failed(&mut self.core, remote);
                Flow::Continue
            }
        };
        self.after(flow);
    }

    /// Steam answered a send to `remote` with `k_EResultNoConnection`: that session failed or the peer closed
    /// it, which Steam reports with no callback (a peer whose BYE was lost in its shutdown closes so). A peer
    /// connected there is gone, as on [`PeerProtocol::handle_session_failed`]; a handshake in progress goes
    /// on, its HELLO repeats opening a new session once the driver has closed the broken one, as Steam asks.
    pub fn handle_session_broken(&mut self, now: Duration, remote: SteamId) {
        let ends_a_peer = match &self.role {
            Role::Idle => false,
            Role::Host(host) => host.has_client(remote),
            Role::Client(client) => client.is_past_handshake_with(remote),
            Role::Mesh(mesh) => mesh.is_connected_with(remote),
        };
        if ends_a_peer {
            self.handle_session_failed(now, remote);
        }
    }

    /// Runs the timers: handshake timeout and HELLO repeats, keep-alives, peer timeouts, graceful
    /// disconnects that were not acknowledged. Call it every frame.
    pub fn update(&mut self, now: Duration) {
        self.apply_deferred_departures(now, |_| true);
        let flow = match &mut self.role {
            Role::Idle => Flow::Continue,
            Role::Host(host) => {
                host.update(&mut self.core, now);
                Flow::Continue
            }
            Role::Client(client) => client.update(&mut self.core, now),
            Role::Mesh(mesh) => {
                mesh.update(&mut self.core, now);
                Flow::Continue
            }
        };
        self.after(flow);
        // Departures queued this frame, not those already held back a frame: those go out now whatever the
        // game read.
        let held_back = std::mem::take(&mut self.core.departures_this_frame);
        let departures = self.core.events.iter().filter_map(|event| match event {
            PeerEvent::PeerDisconnected(peer) if !held_back.contains(peer) => Some(*peer),
            _ => None,
        });
        self.core.departures_this_frame = departures.collect();
    }

    /// Sends `payload` to Godot's `target` (0 everyone, >0 that peer, <0 everyone but -target) on transfer
    /// channel `channel` with `mode`. A client sends everything to the host, which relays it. A target that
    /// left before Godot was told (see [`PeerProtocol::next_event`]) gets nothing, without an error. Fails,
    /// sending nothing, if this peer is not connected, the target is not a connected peer, the channel is not below
    /// [`MAX_TRANSFER_CHANNELS`] or the payload is over [`MAX_PAYLOAD_SIZE`].
    pub fn send(
        &mut self,
        now: Duration,
        target: i32,
        channel: u32,
        mode: TransferMode,
        payload: &[u8],
    ) -> Result<(), SendError> {
        if self.connection_status() != ConnectionStatus::Connected {
            return Err(SendError::NotConnected);
        }
        if channel >= MAX_TRANSFER_CHANNELS {
            return Err(SendError::InvalidChannel(channel));
        }
        if payload.len() > MAX_PAYLOAD_SIZE {
            return Err(SendError::PayloadTooLarge(payload.len()));
        }
        match &mut self.role {
            Role::Idle => Err(SendError::NotConnected),
            Role::Host(host) => host.send(&mut self.core, now, target, channel, mode, payload),
            Role::Client(client) => {
                client.send(&mut self.core, now, target, channel, mode, payload)
            }
            Role::Mesh(mesh) => mesh.send(&mut self.core, now, target, channel, mode, payload),
        }
    }

    /// Hands every packet queued since the last flush to `sink(to, steam_channel, reliable, bytes)`, in order.
    /// Reliable packets the sink refuses wait for the next flush (see [`PacketSink`]): reliable data is
    /// never dropped because a peer reads slowly, as with ENet.
    pub fn flush(&mut self, sink: &mut PacketSink<'_>) {
        self.core.outbox.flush(sink);
    }

    /// Whether the last [`PeerProtocol::flush`] kept reliable packets back (a user's send window was full):
    /// a driver then need not flush again before its next frame.
    pub fn is_backlogged(&self) -> bool {
        self.core.outbox.is_backlogged()
    }

    /// How many packets wait for [`PeerProtocol::flush`].
    pub fn outgoing_count(&self) -> usize {
        self.core.outbox.len()
    }

    /// The next event, oldest first. A peer's `PeerDisconnected` waits while packets that peer sent before it
    /// left are still to be read, for one frame at most (other peers' events pass it): Godot's
    /// `SceneMultiplayer` reads packets after the peer's poll, where the signals fire, and drops those of a
    /// peer it has been told is gone. So a client's last RPCs before it leaves arrive, as with ENet.
    pub fn next_event(&mut self) -> Option<PeerEvent> {
        let core = &self.core;
        let holding = !core.departures_this_frame.is_empty()
            && matches!(self.role, Role::Host(_) | Role::Client(_) | Role::Mesh(_))
            && self.connection_status() == ConnectionStatus::Connected;
        // Peers whose departure is held: nothing about them passes it (a mesh peer that started over connects
        // again under the same ID only after Godot heard it leave).
        let mut held: Vec<i32> = Vec::new();
        let next = self.core.events.iter().position(|event| match event {
            PeerEvent::PeerDisconnected(peer)
                if holding
                    && core.departures_this_frame.contains(peer)
                    && core.inbox.has_from(*peer) =>
            {
                held.push(*peer);
                false
            }
            PeerEvent::PeerConnected(peer) | PeerEvent::PeerDisconnected(peer) => {
                !held.contains(peer)
            }
            PeerEvent::MeshPeerFailed { peer, .. } => !held.contains(peer),
            _ => true,
        })?;
        self.core.events.remove(next)
    }

    /// How many received packets wait for the game.
    pub fn packet_count(&self) -> usize {
        self.core.inbox.len()
    }

    /// The next received packet (sender, transfer channel, mode, payload), left in the queue.
    pub fn peek_packet(&self) -> Option<ReceivedPacket<'_>> {
        self.core.inbox.peek()
    }

    /// Removes the next received packet; false if there was none.
    pub fn pop_packet(&mut self) -> bool {
        self.core.inbox.pop()
    }

    /// Godot's connection status: connected while hosting, connecting until a client is welcomed, and
    /// connected until a client's connection has ended (also while it waits for the host to acknowledge its
    /// leaving, as ENet does).
    pub fn connection_status(&self) -> ConnectionStatus {
        match &self.role {
            Role::Idle => ConnectionStatus::Disconnected,
            Role::Host(_) | Role::Mesh(_) => ConnectionStatus::Connected,
            Role::Client(client) => client.status(),
        }
    }

    /// This peer's ID: 1 while hosting, the host's choice once a client is welcomed, 0 otherwise (a client
    /// learns its ID from the host, so it has none while connecting).
    pub fn unique_id(&self) -> i32 {
        match &self.role {
            Role::Idle => 0,
            Role::Host(_) => HOST_PEER_ID,
            Role::Client(client) => client.unique_id(),
            Role::Mesh(mesh) => mesh.unique_id(),
        }
    }

    /// Whether this peer hosts (a mesh peer does not, whatever its ID, as with ENet).
    pub fn is_server(&self) -> bool {
        matches!(self.role, Role::Host(_))
    }

    /// Disconnects `peer`. The host drops that client; a client can only give 1 and leaves its host. Either
    /// way the remote is told (BYE, best effort). Godot's meaning of `force`: with it, the peer is gone at once
    /// and no `PeerDisconnected` fires for it (a client's `disconnect_peer(1, true)` is a `close()`); without
    /// it, `PeerDisconnected` fires once the remote acknowledges or after
    /// [`ProtocolConfig::disconnect_linger`]. A peer being disconnected can no longer be sent to, and the other
    /// clients are told it left at once.
    pub fn disconnect_peer(
        &mut self,
        now: Duration,
        peer: i32,
        force: bool,
    ) -> Result<(), DisconnectError> {
        let result = match &mut self.role {
            Role::Idle => Err(DisconnectError::NotActive),
            Role::Host(host) => host
                .disconnect(&mut self.core, now, peer, force)
                .map(|()| Flow::Continue),
            Role::Client(client) => client.disconnect(&mut self.core, now, peer, force),
            Role::Mesh(mesh) => mesh
                .disconnect(&mut self.core, now, peer, force)
                .map(|()| Flow::Continue),
        };
        result.map(|flow| self.after(flow))
    }

    /// Closes the peer: a BYE to every peer (best effort: flush afterwards), then back to disconnected at
    /// once, with every pending event and packet dropped. Nothing fires afterwards. `host` or `client` may
    /// follow at once.
    pub fn close(&mut self, now: Duration) {
        let _ = now;
        // As ENet's close: what was still queued is dropped; only the BYEs go.
        self.core.outbox.clear();
        match std::mem::replace(&mut self.role, Role::Idle) {
            Role::Idle => {}
            Role::Host(host) => host.close(&mut self.core),
            Role::Client(client) => client.close(&mut self.core),
            Role::Mesh(mesh) => mesh.close(&mut self.core),
        }
        self.refuse_new_connections = false;
        self.core.events.clear();
        self.core.departures_this_frame.clear();
        self.core.deferred_departures.clear();
        self.core.inbox.clear();
    }

    /// While true, a host refuses new clients (REFUSE, so they fail at once); those connected stay. A mesh
    /// takes only the peers the game adds, and ignores it.
    /// `host`, `client` and `close` reset it to false, as ENet does.
    pub fn set_refuse_new_connections(&mut self, refuse: bool) {
        self.refuse_new_connections = refuse;
    }

    /// Whether a host refuses new clients (see [`PeerProtocol::set_refuse_new_connections`]).
    pub fn is_refusing_new_connections(&self) -> bool {
        self.refuse_new_connections
    }

    /// Whether the driver should accept a Steam session request from `remote`. A host accepts everyone, also
    /// when full or refusing: Steam delivers nothing from an unaccepted session, so the host could not send
    /// its REFUSE, and the client would wait out its whole timeout instead of failing at once with the
    /// reason. A client accepts only its host; a mesh peer the users it added; an idle peer nobody.
    pub fn should_accept_session(&self, remote: SteamId) -> bool {
        if !remote.is_valid() || remote == self.core.local {
            return false;
        }
        match &self.role {
            Role::Idle => false,
            Role::Host(_) => true,
            Role::Client(client) => client.host_steam_id() == remote,
            Role::Mesh(mesh) => mesh.has_peer(remote),
        }
    }

    /// The Steam channels this protocol uses: the control channel, then the transfer channels.
    pub fn steam_channels(&self) -> Range<i32> {
        let base = self.core.config.base_channel;
        base..base + 1 + MAX_TRANSFER_CHANNELS as i32
    }

    /// The order in which the driver reads [`Self::steam_channels`] each frame: the control channel, then the
    /// transfer channels (see the module documentation).
    pub fn steam_channels_in_reading_order(&self) -> Range<i32> {
        self.steam_channels()
    }

    /// The Steam ID of connected peer `peer` (on a client: the host, and the other clients the host told it
    /// about; this peer's own ID gives its own Steam ID).
    pub fn steam_id_for_peer(&self, peer: i32) -> Option<SteamId> {
        if peer != 0 && peer == self.unique_id() {
            return Some(self.core.local);
        }
        match &self.role {
            Role::Idle => None,
            Role::Host(host) => host.steam_id_for(peer),
            Role::Client(client) => client.steam_id_for(peer),
            Role::Mesh(mesh) => mesh.steam_id_for(peer),
        }
    }

    /// The peer ID of the connected peer with Steam ID `steam_id` (this peer's own Steam ID gives its own ID).
    pub fn peer_for_steam_id(&self, steam_id: SteamId) -> Option<i32> {
        if steam_id == self.core.local {
            return Some(self.unique_id()).filter(|&id| id != 0);
        }
        match &self.role {
            Role::Idle => None,
            Role::Host(host) => host.peer_for(steam_id),
            Role::Client(client) => client.peer_for(steam_id),
            Role::Mesh(mesh) => mesh.peer_for(steam_id),
        }
    }

    /// IDs of the peers this peer can send to, ascending (not for the hot path: it allocates).
    pub fn connected_peers(&self) -> Vec<i32> {
        match &self.role {
            Role::Idle => Vec::new(),
            Role::Host(host) => host.connected_peers(),
            Role::Client(client) => client.connected_peers(),
            Role::Mesh(mesh) => mesh.connected_peers(),
        }
    }

    /// Dropped traffic so far, by cause.
    pub fn stats(&self) -> ProtocolStats {
        self.core.stats
    }

    /// A client whose connection ended goes back to idle, as ENet's does; what it received is dropped with it.
    fn after(&mut self, flow: Flow) {
        if flow == Flow::Ended {
            self.role = Role::Idle;
            self.refuse_new_connections = false;
            self.core.inbox.clear();
        }
    }
}
