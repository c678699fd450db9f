//! The local backend: Steam's Networking Messages semantics between processes on one machine or a LAN, with
//! no Steam. Reliability, ordering, fragmentation and timeouts come from ENet (`rusty_enet`); this module adds
//! Steam's sessions on top.
//!
//! Each side sends over the ENet connection it opened itself and receives over the one the peer opened, so a
//! direction's messages always travel one connection in order and two peers connecting at once need no
//! tie-break. The initiator's first packet, HELLO, names both Steam IDs (ENet's own connect data is only 32
//! bits). The receiver answers ACCEPT and CLOSE back over the same connection.

mod batches;
mod checksum;
pub mod memory_network;
pub mod peers;
pub mod session;
pub mod simulation;
pub mod transport;
pub mod warnings;
pub mod wire;

use std::collections::VecDeque;
use std::net::{SocketAddr, UdpSocket};
use std::ops::Range;
use std::time::Duration;

use foldhash::HashMap;
use rusty_enet::{Host, HostSettings, Packet, PeerID};

use batches::{Finished, OutgoingBatches};

use super::config::{LocalConfig, MAX_LOCAL_ID};
use super::{
    BackendEvent, ConnectionInfo, MessagesBackend, RealTimeStatus, ReceivedMessage, SessionInfo,
};
use crate::lobby::LobbyProtocol;
use crate::lobby::calls::Lobbies;
use crate::lobby::links::{LinkEvent, LobbyLinks};
use crate::steam_types::{
    InitError, InitStatus, MAX_STEAM_PACKET_SIZE, SteamId, SteamResult, persona_change, send_flags,
};
use peers::Peers;
use session::{END_NO_ROUTE, END_PEER_RESTARTED, END_PROTOCOL, END_TIMEOUT, Inbound};
use transport::{Clock, Datagrams, ImpairedSocket, Impairment};
use warnings::{RepeatedWarnings, WarningKind};
use wire::{Frame, PROTOCOL_VERSION};

/// ENet's CRC32 over every datagram, seeded with the connection's random 32-bit connect ID. It is what binds a
/// datagram to one connection: ENet's own session ID has two bits and ENet reuses a freed peer slot at once, so
/// without it a late packet of a closed connection (a retransmitted DISCONNECT, typically) is taken for one of
/// the next connection on that slot and kills it — a session closed and reopened in a loop failed within a few
/// hundred cycles. Hosts speaking to this backend must use it too.
pub const ENET_CHECKSUM: fn(&[&[u8]]) -> u32 = checksum::enet_crc32;

/// ENet channel for everything reliable (HELLO first, so it precedes data), and for unreliable data.
const RELIABLE_CHANNEL: u8 = 0;
const UNRELIABLE_CHANNEL: u8 = 1;
/// Most unreliable bytes (counted by [`session::message_cost`]) waiting in receive queues across all
/// channels; beyond it new unreliable messages are dropped (logged). Reliable ones are bounded per peer by
/// the receive window.
pub const INBOX_UNRELIABLE_LIMIT_BYTES: u64 = 64 * 1024 * 1024;
/// ENet's own peer timeout (limit, minimum, maximum in ms), only a backstop. ENet doubles a packet's
/// retransmission timer on every loss without bound, and gives up once that timer passes the minimum: with a
/// 10 s minimum, a packet lost six times in a row dropped a live link on a 20% lossy one. Whether a peer still
/// answers is decided by [`PEER_SILENCE_TIMEOUT`] instead.
const PEER_TIMEOUT: (u32, u32, u32) = (32, 60_000, 60_000);
/// A session whose peer sent nothing at all for this long fails ("the peer stopped responding"), as Steam's
/// TimeoutConnected. Peers send a keep-alive on every connection each [`KEEPALIVE_INTERVAL`].
const PEER_SILENCE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often each connection carries a keep-alive: an unreliable frame the peer takes as a sign of life (a
/// repeated HELLO or ACCEPT while the handshake is not done, else a READ repeating the last report).
const KEEPALIVE_INTERVAL: Duration = Duration::from_millis(500);
/// ENet's packet throttle (interval in ms, acceleration, deceleration): ENet's defaults but never slowing down,
/// so unreliable packets (and keep-alives) are not dropped before they are even sent.
const THROTTLE: (u32, u32, u32) = (5_000, 2, 0);
/// Steam's `k_nSteamNetworkConnectionInfoFlags_Unauthenticated | _Unencrypted`: nobody vouches for local IDs.
const INFO_FLAGS: i32 = 1 | 2;
/// How often an instance announces itself to the others, and how long an announcement counts.
const PRESENCE_INTERVAL: Duration = Duration::from_secs(1);
const PRESENCE_EXPIRY: Duration = Duration::from_secs(3);
/// Most sessions from peers we have not accepted; a flood of forged requests stops here.
pub const MAX_PENDING_SESSIONS: usize = 128;
/// ENet disconnect data meaning "this instance shut down": the peer's session is closed, not failed.
const DISCONNECT_SHUTDOWN: u32 = 0x4753_4d43;
/// ENet disconnect data refusing a HELLO: the peer holds a live session with this Steam ID, bound to another
/// process run.
const DISCONNECT_ID_IN_USE: u32 = 0x4753_4d44;
/// How long a session's peer must have been silent before another run of a process claiming its Steam ID is
/// taken for the peer restarted (three keep-alive intervals: a live peer is never that quiet).
const CLAIM_SILENCE: Duration = Duration::from_millis(1_500);

/// ENet peer slots for `max_sessions`: each session uses up to two connections (one per direction), plus one
/// for each pending request. Every network pump visits every slot, so there are no more than that.
pub fn peer_limit(max_sessions: usize) -> usize {
    2 * max_sessions + MAX_PENDING_SESSIONS
}
/// After its first receive call of a frame, a game's receive calls pump the network themselves only if the
/// last pump is older than this: a tight loop of one-message receives must not pay a full pump each time.
const PUMP_INTERVAL: Duration = Duration::from_micros(200);
/// Messages a receive call hands over between two looks at the clock (to pump again after [`PUMP_INTERVAL`]).
const RECEIVE_CHUNK: usize = 64;
/// The smallest READ report worth a packet; smaller ones wait for the periodic report.
const READ_REPORT_BYTES: u64 = 256 * 1024;
const READ_REPORT_INTERVAL: Duration = Duration::from_millis(50);
/// How often the lobby links are pumped when no lobby call waits. Lobby traffic is a few messages a second,
/// but a pump visits every one of the links' 512 ENet slots twice: on every poll, it doubled the cost of an
/// idle frame (criterion's `idle_frame`, 1.32 to 2.85 µs) at the 1,000+ frames a second of a light game. A
/// lobby message may so wait up to 5 ms more on each side, which no lobby signal's user can tell.
const LOBBY_PUMP_INTERVAL: Duration = Duration::from_millis(5);
/// How long an incoming connection may stay silent before its HELLO.
const HELLO_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one attempt to open our connection may take before it is started afresh; each further attempt
/// waits twice as long, up to [`CONNECT_ATTEMPT_MAX`]. ENet retries a CONNECT it got no answer to after
/// 0.5 s, then 1 s, 2 s, 4 s… (its starting round-trip estimate, doubled on every loss and never reset): on a
/// 20% lossy link one join in ten took over 7 s, some over 10 s, where Steam keeps retrying at a steady pace.
/// A fresh attempt starts that backoff from the beginning; the growth still lets a link whose round trip
/// exceeds the first attempt connect.
const CONNECT_ATTEMPT_FIRST: Duration = Duration::from_secs(1);
/// How often a connection we opened is pinged until ENet has measured its round trip; until then it is not
/// taken for up. ENet gives each reliable packet the retransmission timer of the round-trip estimate at its
/// first send, and doubles it on every loss; before its first acknowledgement the estimate is ENet's default
/// of 500 ms, and the connecting side gets no sample from the handshake. Data sent at once thus carried a
/// 0.5 s, 1 s, 2 s, 4 s… schedule for good. Worse, ENet reports the connecting side connected before the
/// other side is (that side waits for the acknowledgement of its VERIFY_CONNECT, itself retried on the same
/// schedule) and that side refuses everything meanwhile: on a 20% lossy link one first message in five took
/// over 3 s, some over 10 s. A ping's acknowledgement proves both sides connected and sets the estimate; a
/// connection that gets none within its attempt's length is started afresh ([`CONNECT_ATTEMPT_FIRST`]).
const MEASURE_PING_INTERVAL: Duration = Duration::from_millis(100);
const CONNECT_ATTEMPT_MAX: Duration = Duration::from_secs(4);

/// How long connect attempt number `attempt` (from 0) may take before the next one starts.
fn connect_attempt_length(attempt: u32) -> Duration {
    CONNECT_ATTEMPT_FIRST
        .saturating_mul(1 << attempt.min(8))
        .min(CONNECT_ATTEMPT_MAX)
}

/// One ENet connection and what we know about it.
#[derive(Debug, Clone, Copy)]
struct Connection {
    /// The Steam ID at the other end, once known (at once for ours, after HELLO for theirs).
    remote: Option<SteamId>,
    /// We opened it (we send our data over it).
    outgoing: bool,
    /// ENet finished connecting.
    connected: bool,
    /// When it was opened or accepted, to drop incoming connections that never say HELLO.
    since: Duration,
    /// For ours: which attempt to connect it is (from 0; see [`connect_attempt_length`]).
    attempt: u32,
    /// For ours, once connected: ENet has measured the round trip (or we stopped waiting), so our HELLO and
    /// data go out (see [`MEASURE_PING_INTERVAL`]). Always set for theirs.
    measured: bool,
    /// For ours, while not `measured`: when we last pinged it.
    last_ping: Duration,
    /// For ours: the peer sent something back over it, so it has our HELLO. Until then our keep-alives on it
    /// are copies of the HELLO: the reliable one can take seconds on a lossy link (ENet retransmits it on a
    /// round-trip estimate still near its 500 ms default), and the peer drops a connection whose HELLO has
    /// not come within [`HELLO_TIMEOUT`].
    heard_back: bool,
}

impl Connection {
    /// Ours, up and measured: our data goes out over it.
    fn carries_data(&self) -> bool {
        self.connected && self.measured
    }
}

/// Networking Messages over ENet, without Steam: over UDP, or over a [`memory_network`] in deterministic
/// tests.
pub struct LocalBackend<D: Datagrams + 'static = UdpSocket> {
    local_id: SteamId,
    config: LocalConfig,
    host: Host<ImpairedSocket<D>>,
    clock: Clock,
    /// Each remote user's session and connections.
    peers: Peers,
    connections: HashMap<PeerID, Connection>,
    inbox: HashMap<i32, VecDeque<Inbound>>,
    /// What the unreliable messages waiting in `inbox` count for.
    inbox_unreliable_cost: u64,
    events: Vec<BackendEvent>,
    local_address: SocketAddr,
    /// Instances heard from recently: where they listen and when they last said so.
    visible: HashMap<SteamId, Visible>,
    /// The lobby links, on a socket of their own; `None` until [`Self::with_lobby_socket`].
    lobby_links: Option<LobbyLinks<ImpairedSocket<D>>>,
    lobbies: Lobbies,
    /// The first poll that drove the lobbies: discovery counts from it.
    lobbies_started: Option<Duration>,
    /// When the lobby links are pumped next, unless a lobby call brings it forward.
    next_lobby_pump: Duration,
    /// This player's persona name, announced with our presence.
    persona_name: String,
    /// Other instances' persona names, kept once heard (as Steam keeps names of users no longer around).
    persona_names: HashMap<SteamId, String>,
    last_presence: Option<Duration>,
    last_pump: Duration,
    /// No receive call has pumped since the last `poll`, which runs once a frame after the game's scripts.
    first_receive_of_frame: bool,
    /// A send of this frame went out at once (see [`Self::send_on_ready_session`]).
    sent_at_once_this_frame: bool,
    /// The frame's later small messages, not yet handed to ENet: see [`Self::enet`].
    batches: OutgoingBatches,
    last_read_report: Duration,
    last_keepalive: Duration,
    warnings: RepeatedWarnings,
    /// Random for this run of the process: our sessions' peers bind them to it (see [`wire::Frame::Hello`]).
    instance: u64,
    /// Tell peers on drop that we shut down (not when simulating a killed process).
    announce_shutdown: bool,
}

/// An instance heard from recently.
#[derive(Debug, Clone, Copy)]
struct Visible {
    address: SocketAddr,
    seen: Duration,
    /// Its lobby links' port on `address`'s IP (0: none).
    lobby_port: u16,
}

impl Visible {
    fn lobby_address(&self) -> Option<SocketAddr> {
        (self.lobby_port != 0).then(|| SocketAddr::new(self.address.ip(), self.lobby_port))
    }
}

impl LocalBackend {
    /// Binds this instance's port and starts the ENet host, and the lobby links on a port of their own.
    /// Without a configured local ID, takes the first free one.
    pub fn open(config: LocalConfig, clock: Clock) -> Result<Self, InitError> {
        let (local_id, socket) = bind(&config)?;
        let lobby_socket = UdpSocket::bind(SocketAddr::new(config.bind_ip, 0))
            .map_err(|error| failed(format!("cannot bind the lobby socket: {error}")))?;
        Self::with_socket(LocalConfig::steam_id_of(local_id), socket, config, clock)?
            .with_lobby_socket(lobby_socket)
    }
}

impl<D: Datagrams + 'static> LocalBackend<D> {
    /// Runs on an already bound socket as `local_id` (tests bind ephemeral ports, or use an in-memory network).
    pub fn with_socket(
        local_id: SteamId,
        socket: D,
        config: LocalConfig,
        clock: Clock,
    ) -> Result<Self, InitError> {
        let impairment = Impairment {
            loss_percent: config.fake_loss_percent,
            lag: config.fake_lag,
            jitter: config.fake_jitter,
        };
        // With a seed, every random choice follows it: the simulated loss here, ENet's (its connect IDs), and
        // this run's instance.
        let seed = config.seed;
        let socket = ImpairedSocket::new(socket, impairment, clock.clone(), seed);
        if config.broadcast {
            socket
                .set_broadcast(true)
                .map_err(|error| failed(format!("cannot enable UDP broadcast: {error}")))?;
        }
        let local_address = socket
            .local_addr()
            .map_err(|error| failed(error.to_string()))?;
        let host_clock = clock.clone();
        let host = Host::new(
            socket,
            HostSettings {
                peer_limit: peer_limit(config.max_sessions),
                channel_limit: 2,
                time: Box::new(move || host_clock()),
                checksum: if config.plain_enet {
                    None
                } else {
                    Some(Box::new(ENET_CHECKSUM))
                },
                seed: seed.map(|seed| seed as u32),
                ..HostSettings::default()
            },
        )
        .map_err(|error| failed(format!("cannot start the ENet host: {error:?}")))?;
        log::info!("local backend: Steam ID {local_id} on {local_address}");
        let game_id = u64::from(config.app_id);
        // The configuration refuses names a presence cannot carry; a config built in code gets the default.
        let persona_name = config
            .persona_name
            .clone()
            .filter(|name| !name.is_empty() && !name.chars().any(char::is_control))
            .unwrap_or_else(|| LocalConfig::default_persona_name(local_id));
        Ok(Self {
            local_id,
            config,
            host,
            clock,
            peers: Peers::default(),
            connections: HashMap::default(),
            inbox: HashMap::default(),
            inbox_unreliable_cost: 0,
            events: Vec::new(),
            local_address,
            visible: HashMap::default(),
            lobby_links: None,
            lobbies_started: None,
            next_lobby_pump: Duration::ZERO,
            lobbies: Lobbies::new({
                let mut protocol =
                    LobbyProtocol::new(local_id, seed.unwrap_or_else(|| fastrand::u64(..)));
                protocol.set_game_id(game_id);
                protocol
            }),
            persona_name,
            persona_names: HashMap::default(),
            last_presence: None,
            last_pump: Duration::ZERO,
            first_receive_of_frame: true,
            sent_at_once_this_frame: false,
            batches: OutgoingBatches::default(),
            last_read_report: Duration::ZERO,
            last_keepalive: Duration::ZERO,
            warnings: RepeatedWarnings::default(),
            instance: seed.map_or_else(
                || fastrand::u64(..),
                |seed| fastrand::Rng::with_seed(seed).u64(..),
            ),
            announce_shutdown: true,
        })
    }

    /// Offers Steam's lobbies over links on `socket` (bound apart from the messages' socket, on the same IP).
    pub fn with_lobby_socket(mut self, socket: D) -> Result<Self, InitError> {
        let clock = self.clock.clone();
        let socket = ImpairedSocket::new(
            socket,
            Impairment::default(),
            clock.clone(),
            self.config.seed,
        );
        let address = socket
            .local_addr()
            .map_err(|error| failed(format!("the lobby socket has no address: {error}")))?;
        let links = LobbyLinks::new(
            socket,
            address,
            self.local_id,
            move || clock(),
            self.config.seed,
        )
        .map_err(failed)?;
        self.lobby_links = Some(links);
        Ok(self)
    }

    /// The UDP address this instance listens on.
    pub fn local_address(&self) -> SocketAddr {
        self.local_address
    }

    /// Ends this instance without a word to its peers, as a killed process does: their sessions learn of it
    /// only from the silence (for tests of what peers see).
    pub fn vanish(mut self) {
        self.announce_shutdown = false;
        if let Some(links) = self.lobby_links.take() {
            links.vanish();
        }
    }

    /// How many sessions exist, in any state (for tests and memory measurements).
    pub fn session_count(&self) -> usize {
        self.peers.len()
    }

    fn now(&self) -> Duration {
        (self.clock)()
    }

    /// Moves packets between ENet and the sessions, without running the timers.
    fn pump_network(&mut self) {
        self.last_pump = self.now();
        self.hand_batches_to_enet();
        self.host.socket_mut().start_reading();
        loop {
            // Sends what is queued, reads the socket, sends the acknowledgements; one event.
            let event = match self.host.service() {
                Ok(Some(event)) => event.no_ref(),
                Ok(None) => break,
                Err(error) => {
                    self.warn(WarningKind::SocketError, || {
                        format!("local backend socket error: {error}")
                    });
                    break;
                }
            };
            self.on_enet_event(event);
            // The other events that read brought, without I/O. A further `service` would pass over every
            // peer slot twice more (most of a pump's cost in a busy process), so there is one only if ENet
            // stopped reading before the socket was empty (it reads at most 256 datagrams a call, and stops
            // at a connection or disconnection).
            while let Some(event) = self.host.check_events() {
                let event = event.no_ref();
                self.on_enet_event(event);
            }
            if self.host.socket().read_to_end() {
                break;
            }
        }
        self.start_measured_connections();
    }

    fn on_enet_event(&mut self, event: rusty_enet::EventNoRef) {
        match event {
            rusty_enet::EventNoRef::Connect { peer, .. } => self.on_connect(peer),
            rusty_enet::EventNoRef::Disconnect { peer, data } => self.on_disconnect(peer, data),
            rusty_enet::EventNoRef::Receive {
                peer,
                channel_id,
                packet,
            } => self.on_packet(peer, channel_id, packet),
        }
    }

    fn on_connect(&mut self, peer: PeerID) {
        let now = self.now();
        let known = self.connections.get_mut(&peer);
        match known {
            Some(connection) if connection.outgoing => {
                connection.connected = true;
                let Some(remote) = connection.remote else {
                    return;
                };
                connection.last_ping = now;
                // Connected: from now on the silence timeout watches the peer. The throttle settings travel
                // reliably: their acknowledgement is the first round-trip sample.
                self.configure_connected(peer);
                if let Some(session) = self.peers.session_mut(&remote) {
                    session.last_heard = now;
                }
                self.start_when_measured(peer, now);
            }
            _ => {
                self.configure_connected(peer);
                let since = self.now();
                self.connections.insert(
                    peer,
                    Connection {
                        remote: None,
                        outgoing: false,
                        connected: true,
                        since,
                        attempt: 0,
                        measured: true,
                        last_ping: Duration::ZERO,
                        heard_back: false,
                    },
                );
            }
        }
    }

    /// ENet settings for a connected connection: its timeout only as a backstop ([`PEER_TIMEOUT`]), and no
    /// throttling of unreliable packets, which would otherwise starve the keep-alives on a lossy link.
    fn configure_connected(&mut self, peer: PeerID) {
        let peer = self.enet().peer_mut(peer);
        peer.set_timeout(PEER_TIMEOUT.0, PEER_TIMEOUT.1, PEER_TIMEOUT.2);
        peer.set_throttle(THROTTLE.0, THROTTLE.1, THROTTLE.2);
    }

    fn on_disconnect(&mut self, peer: PeerID, data: u32) {
        let Some(connection) = self.connections.remove(&peer) else {
            return;
        };
        let Some(remote) = connection.remote else {
            return;
        };
        if let Some(record) = self.peers.get_mut(&remote) {
            let links = &mut record.links;
            if links.outgoing == Some(peer) {
                links.outgoing = None;
            }
            if links.incoming == Some(peer) {
                links.incoming = None;
            }
        }
        let Some(session) = self.peers.session_mut(&remote) else {
            return;
        };
        if session.phase.is_broken() {
            return;
        }
        if data == DISCONNECT_SHUTDOWN {
            session.closed_by_peer();
            self.close_links(remote, false);
            return;
        }
        if data == DISCONNECT_ID_IN_USE {
            self.fail_session(
                remote,
                END_PROTOCOL,
                "Refused: the peer holds a live session with another process using this Steam ID",
            );
            return;
        }
        let we_talked = session.accepted_locally || session.sending_since.is_some();
        if !we_talked {
            // A peer we never accepted went away: forget it quietly, as Steam does.
            self.close_links(remote, false);
            self.peers.remove(&remote);
            return;
        }
        let connecting = connection.outgoing && !connection.measured;
        let now = (self.clock)();
        let within_connect_timeout = session
            .sending_since
            .is_some_and(|since| now.saturating_sub(since) < self.config.connect_timeout);
        // ENet ends a connection still connecting on its own only at the connect timeout. Earlier, it is a stale
        // DISCONNECT of a closed connection whose slot this one reuses (rusty_enet skips the session check
        // while connecting): connect again; the session's own timer still reports a peer that cannot be reached.
        if connecting && within_connect_timeout && self.ensure_outgoing(remote).is_ok() {
            log::debug!("reconnecting to {remote}: the connection ended while connecting");
            return;
        }
        let debug = if connecting {
            "Timed out attempting to connect"
        } else {
            "Connection dropped: the peer stopped responding"
        };
        self.fail_session(remote, END_TIMEOUT, debug);
    }

    fn on_packet(&mut self, peer: PeerID, channel: u8, packet: Packet) {
        let frame = match Frame::decode(packet.data()) {
            Ok(frame) => frame,
            Err(error) => {
                log::debug!(
                    "dropped a malformed packet from connection {}: {error}",
                    peer.0
                );
                return;
            }
        };
        let Some(connection) = self.connections.get_mut(&peer) else {
            return;
        };
        if connection.outgoing {
            connection.heard_back = true;
        }
        let connection = *connection;
        // Each frame that reaches a session counts as hearing from the peer (`last_heard`), where the frame's own
        // session look-up happens: no extra look-up or clock read per data packet.
        match (frame, connection.remote) {
            (
                Frame::Hello {
                    version,
                    from,
                    to,
                    instance,
                },
                None,
            ) if !connection.outgoing => {
                self.on_hello(peer, version, from, to, instance);
            }
            (Frame::Hello { .. }, _) => {
                log::debug!("dropped a repeated HELLO on connection {}", peer.0);
            }
            (_, None) => {
                log::debug!("dropped a packet before HELLO on connection {}", peer.0);
            }
            (
                Frame::Data {
                    channel: message_channel,
                    flags: _,
                    number,
                    payload,
                },
                Some(remote),
            ) if !connection.outgoing => {
                let flags = received_flags(channel);
                let payload_start = packet.data().len() - payload.len();
                let arrived = Arrived::Alone {
                    packet,
                    payload_start,
                };
                self.on_data(remote, message_channel, flags, number, arrived);
            }
            (Frame::Batch(batch), Some(remote)) if !connection.outgoing => {
                let flags = received_flags(channel);
                let bytes = batch.bytes();
                for entry in batch.entries() {
                    let arrived = Arrived::InBatch(&bytes[entry.payload]);
                    if !self.on_data(remote, entry.channel, flags, entry.number, arrived) {
                        break;
                    }
                }
            }
            (Frame::Data { .. } | Frame::Batch(_), Some(_)) => {
                log::debug!("dropped data sent back over our own connection {}", peer.0);
            }
            (Frame::Accept { instance }, Some(remote)) => {
                if let Some(session) = self.peers.session_mut(&remote) {
                    session.peer_instance.get_or_insert(instance);
                    let now = (self.clock)();
                    // The peer accepting is activity; its ACCEPT repeated as a keep-alive is not, or a
                    // session the peer accepted would never reach the idle timeout.
                    if !session.accepted_remotely {
                        session.last_activity = now;
                    }
                    session.accepted_by_peer();
                    session.last_heard = now;
                }
            }
            (Frame::Read { bytes }, Some(remote)) => {
                if let Some(session) = self.peers.session_mut(&remote) {
                    // Also the keep-alive.
                    session.last_heard = (self.clock)();
                    // Never backwards, never beyond what we sent: a confused peer cannot open the window wide.
                    let bytes = bytes.min(session.reliable_sent);
                    session.reliable_read_by_peer = session.reliable_read_by_peer.max(bytes);
                }
            }
            (Frame::Close, Some(remote)) => {
                if let Some(session) = self.peers.session_mut(&remote) {
                    session.closed_by_peer();
                }
                self.close_links(remote, false);
            }
        }
    }

    fn on_hello(&mut self, peer: PeerID, version: u8, from: SteamId, to: SteamId, instance: u64) {
        if version != PROTOCOL_VERSION || to != self.local_id || !from.is_session_peer() {
            log::debug!(
                "refused HELLO (version {version}, from {from}, to {to}) on connection {}",
                peer.0
            );
            self.connections.remove(&peer);
            self.enet().peer_mut(peer).disconnect_now(0);
            return;
        }
        if !self.claim_is_admitted(peer, from, instance) {
            return;
        }
        if !self.peers.contains(&from) && self.peers.pending_requests() >= MAX_PENDING_SESSIONS {
            self.warn(WarningKind::RequestRefused, || {
                format!(
                    "refused a session request from {from}: {MAX_PENDING_SESSIONS} requests are already pending"
                )
            });
            self.connections.remove(&peer);
            self.enet().peer_mut(peer).disconnect_now(0);
            return;
        }
        if let Some(connection) = self.connections.get_mut(&peer) {
            connection.remote = Some(from);
        }
        let now = self.now();
        // A HELLO after the session broke starts a fresh one (the peer reopened it).
        if self
            .peers
            .session(&from)
            .is_some_and(|session| session.phase.is_broken())
        {
            self.drop_session(from);
        }
        self.hand_batches_to_enet();
        let record = self.peers.open(from, now);
        if let Some(old) = record.links.incoming.replace(peer)
            && old != peer
        {
            self.connections.remove(&old);
            self.host.peer_mut(old).disconnect_later(0);
        }
        let session = &mut record.session;
        session.peer_instance.get_or_insert(instance);
        session.last_activity = now;
        session.last_heard = now;
        session.peer_connected();
        if session.accepted_locally {
            // We talk to them already: tell the new connection so their side is accepted too.
            let accept = Frame::Accept {
                instance: self.instance,
            };
            self.send_control(peer, &accept);
        }
    }

    /// Whether a HELLO from `from`'s process run `instance` may go on. A live session is bound to the process
    /// run it was opened with: another one claiming the same Steam ID (a stranger, or the peer restarted) is
    /// refused while the session's peer still answers, so a session is never taken over. Once the peer has
    /// been silent for [`CLAIM_SILENCE`], the claimant is taken for the peer restarted: the old session fails
    /// at once (as on Steam, where the restarted peer no longer knows it) and the claimant's becomes a fresh
    /// request.
    fn claim_is_admitted(&mut self, peer: PeerID, from: SteamId, instance: u64) -> bool {
        let now = self.now();
        let Some(session) = self.peers.session(&from) else {
            return true;
        };
        let bound_elsewhere = session.peer_instance.is_some_and(|bound| bound != instance);
        if session.phase.is_broken() || !bound_elsewhere {
            return true;
        }
        if now.saturating_sub(session.last_heard) < CLAIM_SILENCE {
            self.warn(WarningKind::IdClaimed, || {
                format!(
                    "refused a connection claiming to be {from}: a live session with {from} belongs to another process"
                )
            });
            self.connections.remove(&peer);
            self.enet()
                .peer_mut(peer)
                .disconnect_now(DISCONNECT_ID_IN_USE);
            return false;
        }
        self.fail_session(
            from,
            END_PEER_RESTARTED,
            "The peer restarted: its new run opened a fresh session",
        );
        self.drop_session(from);
        true
    }

    /// A message from `remote` (a DATA frame, or one of a BATCH). False when the session is gone or failed,
    /// so the rest of a batch is not looked at.
    fn on_data(
        &mut self,
        remote: SteamId,
        channel: i32,
        flags: i32,
        number: i64,
        arrived: Arrived<'_>,
    ) -> bool {
        let payload_len = arrived.len();
        if payload_len > MAX_STEAM_PACKET_SIZE {
            // Steam-like peers never send one: GDScript must not get what Steam would never deliver.
            self.fail_session(
                remote,
                END_PROTOCOL,
                "The peer sent a message over MAX_STEAM_PACKET_SIZE",
            );
            return false;
        }
        // The pump's time: what one pump takes from ENet arrived together (and no clock read per message).
        let now = self.last_pump;
        let Some(session) = self.peers.session_mut(&remote) else {
            return false;
        };
        if session.phase.is_broken() {
            return false;
        }
        session.last_activity = now;
        session.last_heard = now;
        session.traffic.received(payload_len);
        if flags & send_flags::RELIABLE != 0 && !session.received_reliable(payload_len) {
            // Steam-like peers never do this: they stop at their send window.
            self.fail_session(
                remote,
                END_PROTOCOL,
                "The peer sent more than the receive window allows",
            );
            return false;
        }
        let time_received_usec = i64::try_from(now.as_micros()).unwrap_or(i64::MAX);
        let message = match arrived {
            Arrived::Alone {
                packet,
                payload_start,
            } => Inbound::new(
                remote,
                channel,
                flags,
                number,
                time_received_usec,
                packet,
                payload_start,
            ),
            Arrived::InBatch(payload) => {
                Inbound::copied(remote, channel, flags, number, time_received_usec, payload)
            }
        };
        if session.accepted_locally {
            session.open_channels.insert(channel);
            self.deliver(message);
        } else if !session.hold(message) {
            self.warn(WarningKind::HeldFull, || {
                format!(
                    "dropped a message from {remote}: too much held before the session was accepted"
                )
            });
        }
        true
    }

    fn deliver(&mut self, message: Inbound) {
        // Reliable data is bounded per peer by the send window; only unreliable data can pile up past it,
        // and unreliable data may be dropped.
        let reliable = message.flags & send_flags::RELIABLE != 0;
        let cost = session::message_cost(message.payload().len());
        if !reliable && self.inbox_unreliable_cost + cost > INBOX_UNRELIABLE_LIMIT_BYTES {
            self.warn(WarningKind::InboxFull, || {
                format!(
                    "dropped a message from {} on channel {}: receive queues are full (call receiveMessagesOnChannel)",
                    message.sender, message.channel
                )
            });
            return;
        }
        if !reliable {
            self.inbox_unreliable_cost += cost;
        }
        self.inbox
            .entry(message.channel)
            .or_default()
            .push_back(message);
    }

    /// Fresh packets first: what arrived since the end of the last frame is seen this frame, not the next.
    fn pump_before_receiving(&mut self) {
        if self.first_receive_of_frame || self.now().saturating_sub(self.last_pump) >= PUMP_INTERVAL
        {
            self.first_receive_of_frame = false;
            self.pump_network();
        }
    }

    /// Hands up to `max_messages` of `channel`'s received messages to `sink`, oldest first.
    fn drain_inbox(
        &mut self,
        channel: i32,
        max_messages: usize,
        sink: &mut dyn FnMut(&ReceivedMessage<'_>),
    ) -> usize {
        let mut delivered = 0;
        while delivered < max_messages {
            let Some(queue) = self.inbox.get_mut(&channel) else {
                break;
            };
            let count = (max_messages - delivered)
                .min(queue.len())
                .min(RECEIVE_CHUNK);
            if count == 0 {
                break;
            }
            let peers = &mut self.peers;
            for message in queue.drain(..count) {
                if message.flags & send_flags::RELIABLE == 0 {
                    self.inbox_unreliable_cost = self
                        .inbox_unreliable_cost
                        .saturating_sub(session::message_cost(message.payload().len()));
                } else if let Some(session) = peers.session_mut(&message.sender) {
                    session.read_reliable(message.payload().len());
                }
                sink(&ReceivedMessage {
                    payload: message.payload(),
                    connection: 0,
                    sender: message.sender,
                    connection_user_data: 0,
                    time_received_usec: message.time_received_usec,
                    message_number: message.number,
                    channel: message.channel,
                    flags: message.flags,
                    user_data: 0,
                });
            }
            delivered += count;
            // A long call (thousands of messages, each becoming a Dictionary in GDScript) keeps draining the
            // socket meanwhile, or a burst overflows its buffer and unreliable messages are lost there.
            if delivered < max_messages
                && self.now().saturating_sub(self.last_pump) >= PUMP_INTERVAL
            {
                self.pump_network();
            }
        }
        delivered
    }

    /// Logs a warning that a peer or a flood may repeat: in full the first time, then counted (see
    /// [`warnings`]).
    fn warn(&mut self, kind: WarningKind, message: impl FnOnce() -> String) {
        let now = self.now();
        if self.warnings.admit(kind, now) {
            log::warn!("{}", message());
        }
    }

    /// One line per kind of warning held back in the last interval.
    fn report_held_back_warnings(&mut self, now: Duration) {
        for (kind, count) in self.warnings.take_summaries(now) {
            log::warn!(
                "{count} more {} in the last {} s",
                kind.summary(),
                warnings::REPORT_INTERVAL.as_secs()
            );
        }
    }

    /// Sends one of our control frames (HELLO, ACCEPT, CLOSE, READ): reliable, its buffer moved uncopied.
    fn send_control(&mut self, peer: PeerID, frame: &Frame<'_>) -> bool {
        self.send_raw(peer, RELIABLE_CHANNEL, Packet::reliable(frame.encode()))
    }

    /// A send on a session that is already up, which is nearly every send: one look-up of the session and
    /// one of its connection, no clock read, straight to ENet. `None` when the session is not in that state
    /// (none yet, broken, not accepted by us, not connected, or earlier messages still queued): the general
    /// path in `send_message_to_user` sets the session up, tries this again, and otherwise queues.
    fn send_on_ready_session(
        &mut self,
        remote: SteamId,
        data: &[u8],
        flags: i32,
        channel: i32,
        reliable: bool,
    ) -> Option<SteamResult> {
        let record = self.peers.get_mut(&remote)?;
        let peer = record.links.outgoing?;
        let session = &mut record.session;
        let ready = !session.phase.is_broken()
            && session.accepted_locally
            && session.sending_since.is_some()
            && session.outbox.is_empty()
            && self
                .connections
                .get(&peer)
                .is_some_and(Connection::carries_data);
        if !ready {
            return None;
        }
        session.sent_since_timers = true;
        if reliable && !session.window_allows(data.len()) {
            return Some(SteamResult::LIMIT_EXCEEDED);
        }
        session.open_channels.insert(channel);
        let number = session.next_number;
        session.record_sent(data.len(), reliable);
        if self.sent_at_once_this_frame && OutgoingBatches::fits(data.len()) {
            // Not the frame's first: into the peer's batch, handed to ENet before ENet is next used (at the
            // latest by the end-of-frame flush), as the message itself would have waited there.
            if let Some(full) = self
                .batches
                .push(peer, reliable, channel, flags, number, data)
            {
                self.send_batch(full);
            }
            return Some(SteamResult::OK);
        }
        let frame = Frame::Data {
            channel,
            flags,
            number,
            payload: data,
        }
        .encode();
        let (enet_channel, packet) = packet_for(frame, reliable);
        // `enet()` first hands over the batches under way: a large message leaves after what was sent before.
        let sent = self
            .enet()
            .get_peer_mut(peer)
            .is_some_and(|peer| peer.send(enet_channel, &packet).is_ok());
        // The first message of a frame leaves at once; the rest of the frame's wait for the flush at its end,
        // sharing datagrams (and, if small, ENet packets: see `batches`). A reply then does not wait for the
        // rest of the frame (on each side of a round trip), and a burst costs one more datagram.
        if !self.sent_at_once_this_frame {
            self.sent_at_once_this_frame = true;
            self.enet().flush();
        }
        Some(if sent {
            SteamResult::OK
        } else {
            SteamResult::FAIL
        })
    }

    /// ENet, once the batches under way are handed to it: every use of ENet goes through here, so batched
    /// messages keep their place before whatever is sent, flushed, pumped or disconnected after them.
    /// (Where the borrow checker needs ENet apart from `self`, [`Self::hand_batches_to_enet`] comes first.)
    fn enet(&mut self) -> &mut Host<ImpairedSocket<D>> {
        self.hand_batches_to_enet();
        &mut self.host
    }

    fn hand_batches_to_enet(&mut self) {
        if !self.batches.is_empty() {
            for batch in self.batches.take_all() {
                queue_batch(&mut self.host, batch);
            }
        }
    }

    fn send_batch(&mut self, batch: Finished) {
        queue_batch(&mut self.host, batch);
    }

    fn send_raw(&mut self, peer: PeerID, channel: u8, packet: Packet) -> bool {
        match self.enet().get_peer_mut(peer) {
            Some(peer) => peer.send(channel, &packet).is_ok(),
            None => false,
        }
    }

    /// Sends the session's queued frames once its outgoing connection is up.
    fn flush_outbox(&mut self, remote: SteamId) {
        let Some(peer) = self.ready_outgoing(remote) else {
            return;
        };
        let Some(session) = self.peers.session_mut(&remote) else {
            return;
        };
        let queued = std::mem::take(&mut session.outbox);
        session.outbox_bytes = 0;
        for message in queued {
            let (channel, packet) = packet_for(message.frame, message.reliable);
            self.send_raw(peer, channel, packet);
        }
    }

    fn ready_outgoing(&self, remote: SteamId) -> Option<PeerID> {
        let peer = self.peers.links(&remote).outgoing?;
        self.connections
            .get(&peer)
            .filter(|connection| connection.carries_data())
            .map(|_| peer)
    }

    /// Sends our HELLO and the session's queued frames over our connection `peer` once ENet has measured its
    /// round trip (see [`MEASURE_PING_INTERVAL`]); pings it meanwhile. True once sent.
    fn start_when_measured(&mut self, peer: PeerID, now: Duration) -> bool {
        self.hand_batches_to_enet();
        let Some(connection) = self.connections.get_mut(&peer) else {
            return false;
        };
        let Some(remote) = connection.remote else {
            return false;
        };
        if !connection.outgoing || !connection.connected || connection.measured {
            return false;
        }
        let enet_peer = self.host.peer_mut(peer);
        // ENet's variance is zero until the first sample, and at least 1 ms after it.
        if enet_peer.round_trip_time_variance().is_zero() {
            if now.saturating_sub(connection.last_ping) >= MEASURE_PING_INTERVAL {
                connection.last_ping = now;
                enet_peer.ping();
            }
            return false;
        }
        connection.measured = true;
        let hello = Frame::Hello {
            version: PROTOCOL_VERSION,
            from: self.local_id,
            to: remote,
            instance: self.instance,
        };
        self.send_control(peer, &hello);
        self.flush_outbox(remote);
        true
    }

    /// [`Self::start_when_measured`] for every connection of ours still waiting.
    fn start_measured_connections(&mut self) {
        if self
            .connections
            .values()
            .all(|connection| connection.measured)
        {
            return;
        }
        let now = self.now();
        let waiting: Vec<PeerID> = self
            .connections
            .iter()
            .filter(|(_, connection)| !connection.measured && connection.connected)
            .map(|(peer, _)| *peer)
            .collect();
        for peer in waiting {
            self.start_when_measured(peer, now);
        }
    }

    /// Opens our connection to `remote` if there is none; why not when it cannot.
    fn ensure_outgoing(&mut self, remote: SteamId) -> Result<(), String> {
        if self.peers.links(&remote).outgoing.is_some() {
            return Ok(());
        }
        self.open_outgoing(remote, 0)
    }

    /// Starts connect attempt `attempt` to `remote`.
    fn open_outgoing(&mut self, remote: SteamId, attempt: u32) -> Result<(), String> {
        let Some(address) = self.address_of(remote) else {
            return Err("No address known for this Steam ID (see --steam-peer)".to_owned());
        };
        // While connecting, ENet keeps trying for the whole connect timeout (as Steam does), so a lossy link
        // or a peer that starts late still connects; the session's own timer reports the failure.
        let connect_ms = u32::try_from(self.config.connect_timeout.as_millis()).unwrap_or(u32::MAX);
        let peer = match self.enet().connect(address, 2, 0) {
            Ok(peer) => {
                peer.set_timeout(PEER_TIMEOUT.0, connect_ms, connect_ms.saturating_add(1_000));
                peer.id()
            }
            Err(_) => {
                self.warn(WarningKind::NoPeerSlot, || {
                    format!("no free ENet peer slot to reach {remote}")
                });
                return Err(format!(
                    "Too many sessions: the local backend holds at most {} at once (see --steam-max-sessions)",
                    self.config.max_sessions
                ));
            }
        };
        let since = self.now();
        self.connections.insert(
            peer,
            Connection {
                remote: Some(remote),
                outgoing: true,
                connected: false,
                since,
                attempt,
                measured: false,
                last_ping: Duration::ZERO,
                heard_back: false,
            },
        );
        self.peers.open(remote, since).links.outgoing = Some(peer);
        Ok(())
    }

    /// Starts afresh each attempt to open our connection that is not up (connected and measured, see
    /// [`MEASURE_PING_INTERVAL`]) within its length ([`CONNECT_ATTEMPT_FIRST`]), while its session still waits. The abandoned ENet peer is reset: its late
    /// answers fail the checksum of the next attempt's connect ID ([`ENET_CHECKSUM`]), and the half-open
    /// connection it left at the peer, if any, expires there on its own.
    fn retry_stalled_connects(&mut self, now: Duration) {
        let stalled: Vec<(PeerID, SteamId, u32)> = self
            .connections
            .iter()
            .filter(|(_, connection)| {
                connection.outgoing
                    && !connection.measured
                    && now.saturating_sub(connection.since)
                        >= connect_attempt_length(connection.attempt)
            })
            .filter_map(|(peer, connection)| Some((*peer, connection.remote?, connection.attempt)))
            .collect();
        for (peer, remote, attempt) in stalled {
            let waiting = self
                .peers
                .session(&remote)
                .is_some_and(|session| !session.phase.is_broken());
            if !waiting || self.peers.links(&remote).outgoing != Some(peer) {
                continue;
            }
            self.connections.remove(&peer);
            self.enet().peer_mut(peer).reset();
            if let Some(record) = self.peers.get_mut(&remote) {
                record.links.outgoing = None;
            }
            log::debug!("connect attempt {attempt} to {remote} stalled: starting another");
            if self
                .open_outgoing(remote, attempt.saturating_add(1))
                .is_err()
            {
                self.fail_session(remote, END_NO_ROUTE, "Timed out attempting to connect");
            }
        }
    }

    /// Accepts `remote`'s session: releases held messages and tells the peer.
    fn accept(&mut self, remote: SteamId) {
        let Some(session) = self.peers.session_mut(&remote) else {
            return;
        };
        let was_accepted = session.accepted_locally;
        let released = session.accept();
        for message in released {
            self.deliver(message);
        }
        if !was_accepted && let Some(peer) = self.peers.links(&remote).incoming {
            let accept = Frame::Accept {
                instance: self.instance,
            };
            self.send_control(peer, &accept);
        }
    }

    fn fail_session(&mut self, remote: SteamId, reason: i32, debug: &str) {
        let Some(session) = self.peers.session_mut(&remote) else {
            return;
        };
        if !session.fail(reason, debug) {
            return;
        }
        log::info!("session with {remote} failed ({reason}): {debug}");
        let state = session.phase.connection_state();
        self.events.push(BackendEvent::SessionFailed {
            remote,
            reason,
            state,
            debug_message: debug.to_owned(),
        });
        self.close_links(remote, false);
    }

    /// Drops both connections with `remote`, first telling the peer when `notify` is set.
    fn close_links(&mut self, remote: SteamId, notify: bool) {
        let Some(record) = self.peers.get_mut(&remote) else {
            return;
        };
        let links = std::mem::take(&mut record.links);
        for peer in links.all() {
            let connected = self
                .connections
                .remove(&peer)
                .is_some_and(|connection| connection.connected);
            if notify && connected {
                self.send_control(peer, &Frame::Close);
            }
            // Later: queued reliable data (and the CLOSE) is flushed first.
            self.enet().peer_mut(peer).disconnect_later(0);
        }
    }

    fn drop_session(&mut self, remote: SteamId) {
        self.close_links(remote, false);
        self.peers.remove(&remote);
    }

    /// Sends each connected connection a keep-alive every [`KEEPALIVE_INTERVAL`], so the peer hears from us
    /// even when no data flows or a lost packet holds the reliable stream back. Until the handshake is done the
    /// keep-alive repeats it: our HELLO on our connection until the peer accepts, our ACCEPT on theirs once we
    /// have accepted. Their reliable copies can sit behind ENet's retransmission backoff for many seconds on a
    /// lossy link, long enough for the connect timeout to fail a session both sides want.
    fn send_keepalives(&mut self, now: Duration) {
        if now.saturating_sub(self.last_keepalive) < KEEPALIVE_INTERVAL {
            return;
        }
        self.last_keepalive = now;
        let keepalives: Vec<(PeerID, Vec<u8>)> = self
            .connections
            .iter()
            .filter(|(_, connection)| connection.connected)
            .filter_map(|(peer, connection)| {
                let remote = connection.remote?;
                let session = self.peers.session(&remote)?;
                let frame = if connection.outgoing
                    && (!session.accepted_remotely || !connection.heard_back)
                {
                    Frame::Hello {
                        version: PROTOCOL_VERSION,
                        from: self.local_id,
                        to: remote,
                        instance: self.instance,
                    }
                } else if !connection.outgoing && session.accepted_locally {
                    Frame::Accept {
                        instance: self.instance,
                    }
                } else {
                    Frame::Read {
                        bytes: session.reliable_read_reported,
                    }
                };
                Some((*peer, frame.encode()))
            })
            .collect();
        for (peer, frame) in keepalives {
            let (channel, packet) = packet_for(frame, false);
            self.send_raw(peer, channel, packet);
        }
    }

    /// Sessions whose peer has sent nothing for [`PEER_SILENCE_TIMEOUT`] although a connection to it is up.
    fn silent_peers(&self, now: Duration) -> Vec<SteamId> {
        self.peers
            .iter()
            .filter(|(_, record)| {
                let session = &record.session;
                !session.phase.is_broken()
                    && now.saturating_sub(session.last_heard) >= PEER_SILENCE_TIMEOUT
                    && record
                        .links
                        .all()
                        .any(|peer| self.connections.get(&peer).is_some_and(|c| c.connected))
            })
            .map(|(remote, _)| *remote)
            .collect()
    }

    /// Timers: requests, connect timeouts, silent peers, idle sessions, traffic rates.
    fn run_timers(&mut self, now: Duration) {
        self.send_keepalives(now);
        self.retry_stalled_connects(now);
        for remote in self.silent_peers(now) {
            let we_talked = self
                .peers
                .session(&remote)
                .is_some_and(|session| session.accepted_locally || session.sending_since.is_some());
            if we_talked {
                self.fail_session(
                    remote,
                    END_TIMEOUT,
                    "Connection dropped: the peer stopped responding",
                );
            } else {
                // A peer we never accepted went quiet: forget it, as Steam does.
                self.drop_session(remote);
            }
        }
        let mut requests = Vec::new();
        let mut timed_out = Vec::new();
        let mut idle = Vec::new();
        for (remote, record) in self.peers.iter_mut() {
            let session = &mut record.session;
            if std::mem::take(&mut session.sent_since_timers) {
                session.last_activity = now;
            }
            session.traffic.tick(now);
            if session.take_request(now) {
                requests.push(*remote);
            }
            if session.connect_timed_out(now, self.config.connect_timeout) {
                timed_out.push(*remote);
            }
            if session.idle_for(now) >= self.config.idle_timeout {
                idle.push(*remote);
            }
        }
        for remote in requests {
            self.events.push(BackendEvent::SessionRequest { remote });
        }
        for remote in timed_out {
            let reachable = self
                .peers
                .links(&remote)
                .outgoing
                .is_some_and(|peer| self.connections.get(&peer).is_some_and(|c| c.connected));
            let debug = if reachable {
                "Timed out attempting to connect: the peer did not accept the session"
            } else {
                "Timed out attempting to connect"
            };
            self.fail_session(remote, END_TIMEOUT, debug);
        }
        // Requests nobody answered expire once their sender has given up (it times out just the same).
        let expired: Vec<SteamId> = self
            .peers
            .iter()
            .filter(|(_, record)| {
                let session = &record.session;
                !session.accepted_locally
                    && session.sending_since.is_none()
                    && session.idle_for(now) >= self.config.connect_timeout
            })
            .map(|(remote, _)| *remote)
            .collect();
        for remote in expired {
            self.drop_session(remote);
        }
        let silent: Vec<PeerID> = self
            .connections
            .iter()
            .filter(|(_, connection)| {
                connection.remote.is_none() && now.saturating_sub(connection.since) >= HELLO_TIMEOUT
            })
            .map(|(peer, _)| *peer)
            .collect();
        for peer in silent {
            self.connections.remove(&peer);
            self.enet().peer_mut(peer).disconnect_now(0);
        }
        for remote in idle {
            // Steam posts nothing for sessions that time out from inactivity.
            log::debug!("session with {remote} timed out from inactivity");
            self.close_links(remote, true);
            self.peers.remove(&remote);
        }
    }

    /// Where `remote` listens: a configured peer, else an announced address, else a same-machine local ID.
    fn address_of(&self, remote: SteamId) -> Option<SocketAddr> {
        if let Some((_, address)) = self.config.peers.iter().find(|(id, _)| *id == remote) {
            return Some(*address);
        }
        if let Some(visible) = self.visible.get(&remote) {
            return Some(visible.address);
        }
        self.config.address_of(remote)
    }

    /// Announces this instance once a second to same-machine ports, configured peers and, when enabled, the
    /// LAN broadcast address; records the announcements heard.
    fn exchange_presence(&mut self, now: Duration) {
        for (presence, address) in self.host.socket_mut().take_presence() {
            // A local ID listens on its own port, or where `--steam-peer` says: an announcement from anywhere
            // else claims an ID that is not the sender's, and must not redirect that ID's traffic.
            let own_port = LocalConfig::local_id_of(presence.steam_id)
                .is_some_and(|id| LocalConfig::port_of(id) == address.port());
            let configured = self
                .config
                .peers
                .iter()
                .any(|&(id, peer_address)| id == presence.steam_id && peer_address == address);
            if presence.steam_id != self.local_id
                && presence.app_id == self.config.app_id
                && (own_port || configured)
            {
                self.visible.insert(
                    presence.steam_id,
                    Visible {
                        address,
                        seen: now,
                        lobby_port: presence.lobby_port,
                    },
                );
                self.notice_restart(presence.steam_id, presence.instance);
                self.learn_persona_name(presence.steam_id, presence.persona_name);
            }
        }
        self.visible
            .retain(|_, visible| now.saturating_sub(visible.seen) < PRESENCE_EXPIRY);
        if self
            .last_presence
            .is_some_and(|last| now.saturating_sub(last) < PRESENCE_INTERVAL)
        {
            return;
        }
        self.last_presence = Some(now);
        let announcement = wire::encode_presence(&wire::Presence {
            steam_id: self.local_id,
            app_id: self.config.app_id,
            instance: self.instance,
            lobby_port: self.lobby_port(),
            persona_name: self.persona_name.clone(),
        });
        let own_port = self.local_address.port();
        let mut targets: Vec<SocketAddr> = (1..=MAX_LOCAL_ID)
            .map(LocalConfig::port_of)
            .filter(|&port| port != own_port)
            .map(|port| SocketAddr::from(([127, 0, 0, 1], port)))
            .collect();
        // Not to an address configured for our own ID: a launch line shared by every instance lists them all,
        // and announcing to our own entry sends our presence where the peer expects only itself (a relay in
        // front of that peer took it for the peer and sent its traffic back to us).
        let local_id = self.local_id;
        targets.extend(
            self.config
                .peers
                .iter()
                .filter(|(id, _)| *id != local_id)
                .map(|(_, address)| *address),
        );
        if self.config.broadcast {
            targets.extend(
                (1..=MAX_LOCAL_ID)
                    .map(|id| SocketAddr::from(([255, 255, 255, 255], LocalConfig::port_of(id)))),
            );
        }
        let socket = self.host.socket();
        for target in targets {
            socket.send_datagram(&announcement, target);
        }
    }

    /// The port of the lobby links (0 when there are none).
    fn lobby_port(&self) -> u16 {
        self.lobby_links
            .as_ref()
            .and_then(|links| links.local_address())
            .map_or(0, |address| address.port())
    }

    /// Moves lobby messages between the links and the protocol, runs its timers, and posts its events.
    fn drive_lobbies(&mut self, now: Duration) {
        let Some(links) = &mut self.lobby_links else {
            return;
        };
        if now < self.next_lobby_pump && !self.lobbies.has_pending() {
            // Calls made before the next pump are stamped with this poll's time, not the last pump's.
            self.lobbies.set_now(now);
            return;
        }
        self.next_lobby_pump = now + LOBBY_PUMP_INTERVAL;
        let visible = &self.visible;
        let lobby_address_of = |user: SteamId| visible.get(&user).and_then(Visible::lobby_address);
        let mut arrived = Vec::new();
        links.poll(lobby_address_of, &mut arrived);
        for event in arrived {
            match event {
                LinkEvent::Message { from, message } => {
                    self.lobbies.handle_message(now, from, message)
                }
                LinkEvent::Lost { user } => self.lobbies.handle_link_lost(now, user),
            }
        }
        self.lobbies.update(now);
        while let Some((to, message)) = self.lobbies.next_outgoing() {
            links.send(to, lobby_address_of(to), &message);
        }
        links.flush();
        while let Some(event) = self.lobbies.next_event() {
            self.events.push(BackendEvent::Lobby(event));
        }
        let mut visible_ids: Vec<SteamId> = visible.keys().copied().collect();
        visible_ids.sort();
        // Every instance in sight announces itself once a second: after a round and a half since our first
        // poll, everyone has been heard.
        let started = *self.lobbies_started.get_or_insert(now);
        let discovered = now.saturating_sub(started) >= PRESENCE_INTERVAL * 3 / 2;
        self.lobbies.set_context(now, visible_ids, discovered);
    }

    /// A trusted announcement's persona name: the first one heard, or a new one, is a `persona_state_change`.
    fn learn_persona_name(&mut self, user: SteamId, name: String) {
        let flags = match self.persona_names.get(&user) {
            Some(known) if *known == name => return,
            Some(_) => persona_change::NAME,
            None => persona_change::NAME | persona_change::NAME_FIRST_SET,
        };
        self.persona_names.insert(user, name);
        self.events
            .push(BackendEvent::PersonaStateChange { user, flags });
    }

    /// A trusted announcement (from the ID's own port, or its configured address) of `remote`'s process run
    /// `instance`. If our session with `remote` is bound to another run, that run has ended and the new one
    /// does not know the session: fail it at once (Steam learns the same from the restarted peer's "no
    /// connection" answer to the old session's traffic), rather than after the silence timeout with every
    /// send meanwhile lost.
    fn notice_restart(&mut self, remote: SteamId, instance: u64) {
        let restarted = self.peers.session(&remote).is_some_and(|session| {
            !session.phase.is_broken()
                && session.peer_instance.is_some_and(|bound| bound != instance)
        });
        if restarted {
            self.fail_session(
                remote,
                END_PEER_RESTARTED,
                "The peer restarted: its new run does not know this session",
            );
        }
    }

    /// Tells each peer how much of its reliable data our application has read, which opens its send window.
    /// Sent back over the peer's own connection, at most once per poll.
    fn report_reads(&mut self, now: Duration) {
        let periodic = now.saturating_sub(self.last_read_report) >= READ_REPORT_INTERVAL;
        if periodic {
            self.last_read_report = now;
        }
        let mut reports = Vec::new();
        for record in self.peers.iter_mut().map(|(_, record)| record) {
            let session = &mut record.session;
            let owed = session.reliable_read - session.reliable_read_reported;
            if owed == 0 || !(periodic || owed >= READ_REPORT_BYTES) {
                continue;
            }
            if let Some(peer) = record.links.incoming
                && let Some(bytes) = session.take_read_report()
            {
                reports.push((peer, bytes));
            }
        }
        for (peer, bytes) in reports {
            self.send_control(peer, &Frame::Read { bytes });
        }
    }

    fn discard_unread(&mut self, remote: SteamId, channel: i32) {
        let Some(queue) = self.inbox.get_mut(&channel) else {
            return;
        };
        let (mut unreliable_freed, mut reliable_freed) = (0, 0);
        queue.retain(|message| {
            let keep = message.sender != remote;
            if !keep {
                let cost = session::message_cost(message.payload().len());
                if message.flags & send_flags::RELIABLE != 0 {
                    reliable_freed += cost;
                } else {
                    unreliable_freed += cost;
                }
            }
            keep
        });
        self.inbox_unreliable_cost = self.inbox_unreliable_cost.saturating_sub(unreliable_freed);
        // Discarded counts as read: the peer's window must not stay closed by data nobody will read.
        if let Some(session) = self.peers.session_mut(&remote) {
            session.reliable_read += reliable_freed;
        }
    }

    fn remote_address(&self, remote: SteamId) -> String {
        let links = self.peers.links(&remote);
        [links.outgoing, links.incoming]
            .into_iter()
            .flatten()
            .find_map(|peer| self.host.get_peer(peer).and_then(|peer| peer.address()))
            .map(|address| address.ip().to_string())
            .unwrap_or_default()
    }

    fn ping_and_quality(&self, remote: SteamId) -> (i32, f32) {
        let links = self.peers.links(&remote);
        let peer = [links.outgoing, links.incoming]
            .into_iter()
            .flatten()
            .find_map(|peer| self.host.get_peer(peer).filter(|peer| peer.connected()));
        match peer {
            Some(peer) => {
                let ping = i32::try_from(peer.round_trip_time().as_millis()).unwrap_or(i32::MAX);
                let loss =
                    peer.packet_loss() as f32 / rusty_enet::consts::PEER_PACKET_LOSS_SCALE as f32;
                (ping, (1.0 - loss).clamp(0.0, 1.0))
            }
            None => (-1, 0.0),
        }
    }
}

impl<D: Datagrams + 'static> MessagesBackend for LocalBackend<D> {
    fn kind(&self) -> super::config::BackendKind {
        super::config::BackendKind::Local
    }

    fn local_steam_id(&self) -> SteamId {
        self.local_id
    }

    fn send_message_to_user(
        &mut self,
        remote: SteamId,
        data: &[u8],
        flags: i32,
        channel: i32,
    ) -> SteamResult {
        let reliable = flags & send_flags::RELIABLE != 0;
        if let Some(result) = self.send_on_ready_session(remote, data, flags, channel, reliable) {
            return result;
        }
        let now = self.now();
        if let Some(session) = self.peers.session(&remote)
            && session.phase.is_broken()
        {
            if flags & send_flags::AUTORESTART_BROKEN_SESSION == 0 {
                return SteamResult::NO_CONNECTION;
            }
            self.drop_session(remote);
        }
        let session = &mut self.peers.open(remote, now).session;
        // Before accepting: a session we send on is connected only once the peer accepts too.
        session.sending_since.get_or_insert(now);
        // Sending to a peer accepts their session.
        if !session.accepted_locally {
            self.accept(remote);
        }
        if let Err(why) = self.ensure_outgoing(remote) {
            // Like Steam, the send is accepted and the failure arrives as a callback.
            self.fail_session(remote, END_NO_ROUTE, &why);
            return SteamResult::OK;
        }
        // Set up now: straight to ENet if the connection is up and nothing earlier waits for it.
        if let Some(result) = self.send_on_ready_session(remote, data, flags, channel, reliable) {
            return result;
        }
        let Some(session) = self.peers.session_mut(&remote) else {
            return SteamResult::FAIL;
        };
        session.last_activity = now;
        if reliable && !session.window_allows(data.len()) {
            return SteamResult::LIMIT_EXCEEDED;
        }
        session.open_channels.insert(channel);
        if !reliable && flags & send_flags::NO_DELAY != 0 {
            return SteamResult::IGNORED;
        }
        let frame = session.data_frame(channel, flags, data);
        if session.queue(frame, data.len(), reliable) {
            session.record_sent(data.len(), reliable);
            SteamResult::OK
        } else {
            SteamResult::LIMIT_EXCEEDED
        }
    }

    fn receive_messages_on_channel(
        &mut self,
        channel: i32,
        max_messages: usize,
        sink: &mut dyn FnMut(&ReceivedMessage<'_>),
    ) -> usize {
        self.pump_before_receiving();
        self.drain_inbox(channel, max_messages, sink)
    }

    fn receive_messages_on_channels(
        &mut self,
        channels: Range<i32>,
        max_per_channel: usize,
        sink: &mut dyn FnMut(&ReceivedMessage<'_>),
    ) -> usize {
        // One pump decision (a clock read) for all the channels, not one per channel.
        self.pump_before_receiving();
        channels
            .map(|channel| self.drain_inbox(channel, max_per_channel, sink))
            .sum()
    }

    fn accept_session_with_user(&mut self, remote: SteamId) -> bool {
        match self.peers.session(&remote) {
            Some(session) if !session.phase.is_broken() => {
                self.accept(remote);
                true
            }
            _ => false,
        }
    }

    fn close_session_with_user(&mut self, remote: SteamId) -> bool {
        if !self.peers.contains(&remote) {
            return false;
        }
        // "Immediately free up resources": unread messages from the user go too.
        let channels: Vec<i32> = self.inbox.keys().copied().collect();
        for channel in channels {
            self.discard_unread(remote, channel);
        }
        self.close_links(remote, true);
        self.peers.remove(&remote);
        true
    }

    fn close_channel_with_user(&mut self, remote: SteamId, channel: i32) -> bool {
        let Some(session) = self.peers.session_mut(&remote) else {
            return false;
        };
        // As Steam: a channel never opened (no message sent or received on it) changes nothing.
        if !session.open_channels.remove(&channel) {
            return false;
        }
        let last_channel = session.open_channels.is_empty();
        // Unread messages from this user on this channel go with it.
        self.discard_unread(remote, channel);
        if last_channel {
            self.close_links(remote, true);
            self.peers.remove(&remote);
        }
        true
    }

    fn session_connection_info(&mut self, remote: SteamId) -> SessionInfo {
        let Some(session) = self.peers.session(&remote) else {
            return SessionInfo::default();
        };
        let state = session.phase.connection_state();
        let (pending_unreliable, pending_reliable) = session.pending_bytes();
        let (ping, quality) = self.ping_and_quality(remote);
        let rates = session.traffic.rates;
        let remote_address = self.remote_address(remote);
        let send_rate = rates[1] as i32;
        let queued = i64::from(pending_reliable) + i64::from(pending_unreliable);
        let queue_time_usec = if queued == 0 || send_rate <= 0 {
            0
        } else {
            queued * 1_000_000 / i64::from(send_rate)
        };
        SessionInfo {
            state,
            connection: ConnectionInfo {
                identity: remote,
                user_data: 0,
                listen_socket: 0,
                description: format!("local session with {remote} ({remote_address})"),
                remote_address,
                remote_pop: 0,
                pop_relay: 0,
                state,
                end_reason: session.end_reason,
                end_debug: session.end_debug.clone(),
                flags: INFO_FLAGS,
            },
            status: RealTimeStatus {
                state,
                ping,
                local_quality: quality,
                remote_quality: quality,
                out_packets_per_sec: rates[0],
                out_bytes_per_sec: rates[1],
                in_packets_per_sec: rates[2],
                in_bytes_per_sec: rates[3],
                send_rate_bytes_per_sec: send_rate,
                pending_unreliable,
                pending_reliable,
                sent_unacked_reliable: 0,
                queue_time_usec,
            },
        }
    }

    fn visible_peers(&self) -> Vec<SteamId> {
        let mut peers: Vec<SteamId> = self.visible.keys().copied().collect();
        peers.sort();
        peers
    }

    fn persona_name(&self) -> Option<&str> {
        Some(&self.persona_name)
    }

    fn lobbies(&mut self) -> Option<&mut Lobbies> {
        self.lobby_links.as_ref()?;
        Some(&mut self.lobbies)
    }

    fn friend_persona_name(&self, user: SteamId) -> Option<&str> {
        if user == self.local_id {
            return Some(&self.persona_name);
        }
        Some(self.persona_names.get(&user).map_or("", String::as_str))
    }

    fn poll(&mut self, events: &mut Vec<BackendEvent>) {
        // A game that received this frame has pumped already: what arrived since waits for its next frame's
        // first receive, which pumps before anything else. Pumping again here would cost two more passes over
        // every ENet peer slot each frame (most of an idle frame's cost); the flush below still sends
        // what this frame queued.
        if self.first_receive_of_frame {
            self.pump_network();
        }
        // One clock read for all the timers.
        let now = self.now();
        self.exchange_presence(now);
        self.drive_lobbies(now);
        self.run_timers(now);
        self.report_reads(now);
        self.report_held_back_warnings(now);
        self.enet().flush();
        self.first_receive_of_frame = true;
        self.sent_at_once_this_frame = false;
        events.append(&mut self.events);
    }
}

impl<D: Datagrams + 'static> Drop for LocalBackend<D> {
    fn drop(&mut self) {
        if !self.announce_shutdown {
            return;
        }
        // Tell peers at once, ahead of any queued data, rather than letting them time out: their sessions
        // become closed by peer.
        for peer in self.connections.keys().copied().collect::<Vec<_>>() {
            self.enet()
                .peer_mut(peer)
                .disconnect_now(DISCONNECT_SHUTDOWN);
        }
        self.enet().flush();
    }
}

/// As on Steam, a received message's flags say only whether it travelled reliably: the ENet channel it came
/// on, whatever bits the sender wrote.
fn received_flags(enet_channel: u8) -> i32 {
    if enet_channel == RELIABLE_CHANNEL {
        send_flags::RELIABLE
    } else {
        send_flags::UNRELIABLE
    }
}

/// A received message's payload as it reaches `LocalBackend::on_data`.
enum Arrived<'a> {
    /// A DATA frame's: the end of its packet, from `payload_start` on, kept uncopied.
    Alone {
        packet: Packet,
        payload_start: usize,
    },
    /// One message of a BATCH frame's, copied out if kept (see [`session::Inbound`]).
    InBatch(&'a [u8]),
}

impl Arrived<'_> {
    fn len(&self) -> usize {
        match self {
            Arrived::Alone {
                packet,
                payload_start,
            } => packet.data().len() - payload_start,
            Arrived::InBatch(payload) => payload.len(),
        }
    }
}

/// The ENet channel and packet for a frame; the frame's buffer moves into the packet uncopied. Unreliable
/// frames are "always unreliable": ENet sends a plain unreliable packet larger than one datagram as reliable
/// fragments (acknowledged, retransmitted, holding back what follows), where Steam's unreliable messages of
/// any size are lost whole when a piece is.
fn packet_for(frame: Vec<u8>, reliable: bool) -> (u8, Packet) {
    if reliable {
        (RELIABLE_CHANNEL, Packet::reliable(frame))
    } else {
        (
            UNRELIABLE_CHANNEL,
            Packet::always_unreliable_unsequenced(frame),
        )
    }
}

/// Queues a finished batch in ENet. The connection carried data when the batch began, and nothing has
/// touched ENet since (see `LocalBackend::enet`), so it still does.
fn queue_batch<S: rusty_enet::Socket>(host: &mut Host<S>, batch: Finished) {
    let (channel, packet) = packet_for(batch.frame, batch.reliable);
    let queued = host
        .get_peer_mut(batch.peer)
        .is_some_and(|peer| peer.send(channel, &packet).is_ok());
    if !queued {
        log::debug!(
            "a batch of messages for connection {} could not be queued",
            batch.peer.0
        );
    }
}

fn failed(message: String) -> InitError {
    InitError {
        status: InitStatus::FailedGeneric,
        message,
    }
}

/// Binds the configured local ID's port, or the first free one.
fn bind(config: &LocalConfig) -> Result<(u32, UdpSocket), InitError> {
    let try_bind =
        |id: u32| UdpSocket::bind(SocketAddr::new(config.bind_ip, LocalConfig::port_of(id)));
    if let Some(id) = config.local_id {
        return try_bind(id).map(|socket| (id, socket)).map_err(|error| {
            failed(format!(
                "local backend: cannot use local ID {id} (UDP port {}): {error}; is another instance using it?",
                LocalConfig::port_of(id)
            ))
        });
    }
    (1..=MAX_LOCAL_ID)
        .find_map(|id| try_bind(id).ok().map(|socket| (id, socket)))
        .ok_or_else(|| {
            failed(format!(
                "local backend: all {MAX_LOCAL_ID} local IDs are in use"
            ))
        })
}
