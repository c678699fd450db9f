//! The host's side: answering HELLOs, choosing peer IDs, relaying between clients, announcing who joins and
//! leaves, keep-alives and client timeouts, and disconnecting clients.

use std::collections::BTreeMap;
use std::time::Duration;

use foldhash::{HashMap, HashSet};

use super::ordering::{OrderedReceiver, OrderedSender};
use super::wire::{self, ByeReason, Control, DataHeader, RefuseReason};
use super::{Core, DisconnectError, HOST_PEER_ID, PeerEvent, SendError, TransferMode};
use crate::steam_types::SteamId;

/// A HELLO with a new nonce from a Steam ID whose client connected less than this long ago is dropped rather
/// than taken as that user's restarted game, so one user cannot churn join and leave events. A client that
/// closes properly sends BYE first and is not held back; one that crashed needs longer than this to restart.
pub(super) const REJOIN_GUARD: Duration = Duration::from_secs(1);
/// Answers to traffic the host does not take (REFUSE, BYE "not a peer") go to each Steam ID at most this
/// often per kind, so a flood gets no more out of the host than a trickle. Apart per kind: a "not a peer"
/// answer to a departed client's last packets must not hold back the REFUSE to its rejoining HELLO.
const REPLY_INTERVAL: Duration = Duration::from_secs(1);
/// How many Steam IDs the reply limiter remembers.
const REPLY_MEMORY: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Connected,
    /// BYE sent by `disconnect_peer`; gone when the client acknowledges or at `until`.
    Leaving {
        until: Duration,
    },
}

#[derive(Debug, Clone)]
struct Client {
    steam_id: SteamId,
    /// The nonce of the HELLO it joined with: the same again is a repeat, another is a new run of its game.
    nonce: u64,
    phase: Phase,
    connected_at: Duration,
    last_heard: Duration,
    last_sent: Duration,
    /// What the host itself delivered from this client, unreliable ordered.
    ordered: OrderedReceiver,
}

/// Remembers whom the host answered lately, to answer each at most once per [`REPLY_INTERVAL`].
#[derive(Debug)]
pub(super) struct ReplyLimiter {
    recent: [(SteamId, Duration); REPLY_MEMORY],
    next: usize,
}

impl ReplyLimiter {
    pub fn new() -> Self {
        Self {
            recent: [(SteamId(0), Duration::ZERO); REPLY_MEMORY],
            next: 0,
        }
    }

    pub fn allow(&mut self, to: SteamId, now: Duration) -> bool {
        if let Some(entry) = self.recent.iter_mut().find(|(id, _)| *id == to) {
            if now.saturating_sub(entry.1) < REPLY_INTERVAL {
                return false;
            }
            entry.1 = now;
            return true;
        }
        self.recent[self.next] = (to, now);
        self.next = (self.next + 1) % REPLY_MEMORY;
        true
    }
}

#[derive(Debug)]
pub(super) struct HostState {
    max_clients: u32,
    /// By peer ID: a B-tree so that every walk over the clients (broadcasts, timeouts) is in a fixed order.
    clients: BTreeMap<u32, Client>,
    by_steam_id: HashMap<SteamId, u32>,
    /// Every ID given out in this hosting session, so none is given twice.
    issued: HashSet<u32>,
    sequences: OrderedSender,
    /// Limits REFUSE answers.
    refusals: ReplyLimiter,
    /// Limits BYE "not a peer" answers.
    strangers: ReplyLimiter,
    /// Reused list of clients to drop in `update`.
    scratch: Vec<u32>,
}

impl HostState {
    pub fn new(max_clients: u32) -> Self {
        Self {
            max_clients,
            clients: BTreeMap::new(),
            by_steam_id: HashMap::default(),
            issued: HashSet::default(),
            sequences: OrderedSender::default(),
            refusals: ReplyLimiter::new(),
            strangers: ReplyLimiter::new(),
            scratch: Vec::new(),
        }
    }

    pub fn steam_id_for(&self, peer: i32) -> Option<SteamId> {
        let client = self.clients.get(&u32::try_from(peer).ok()?)?;
        (client.phase == Phase::Connected).then_some(client.steam_id)
    }

    /// Whether `steam_id` is a client of this host, connected or joining.
    pub fn has_client(&self, steam_id: SteamId) -> bool {
        self.by_steam_id.contains_key(&steam_id)
    }

    pub fn peer_for(&self, steam_id: SteamId) -> Option<i32> {
        let id = *self.by_steam_id.get(&steam_id)?;
        (self.clients.get(&id)?.phase == Phase::Connected).then_some(id as i32)
    }

    pub fn connected_peers(&self) -> Vec<i32> {
        self.connected().map(|(&id, _)| id as i32).collect()
    }

    fn connected(&self) -> impl Iterator<Item = (&u32, &Client)> {
        self.clients
            .iter()
            .filter(|(_, client)| client.phase == Phase::Connected)
    }

    pub fn on_packet(
        &mut self,
        core: &mut Core,
        now: Duration,
        from: SteamId,
        steam_channel: i32,
        data: &[u8],
        refusing: bool,
    ) {
        if steam_channel == core.control_channel() {
            self.on_control(core, now, from, data, refusing);
            return;
        }
        let Some(channel) = core.transfer_channel(steam_channel) else {
            core.stats.unexpected += 1;
            return;
        };
        let (header, payload) = match wire::decode_data(data) {
            Ok(decoded) => decoded,
            Err(_) => {
                core.stats.malformed += 1;
                return;
            }
        };
        let Some(&id) = self.by_steam_id.get(&from) else {
            self.not_a_peer(core, now, from);
            return;
        };
        let Some(client) = self.clients.get_mut(&id) else {
            core.stats.unexpected += 1;
            return;
        };
        if client.phase != Phase::Connected {
            // Being disconnected: what it still sends is dropped, as it was told.
            core.stats.unexpected += 1;
            return;
        }
        client.last_heard = now;
        self.route(core, now, id, channel, header, payload);
    }

    fn on_control(
        &mut self,
        core: &mut Core,
        now: Duration,
        from: SteamId,
        data: &[u8],
        refusing: bool,
    ) {
        let control = match Control::decode(data) {
            Ok(control) => control,
            Err(_) => {
                core.stats.malformed += 1;
                return;
            }
        };
        let known = self.by_steam_id.get(&from).copied();
        match control {
            Control::Hello { version, nonce } => {
                self.on_hello(core, now, from, version, nonce, refusing)
            }
            Control::Bye { reason } => {
                match known.and_then(|id| Some((id, self.clients.get(&id)?.phase))) {
                    Some((id, Phase::Leaving { .. })) => self.remove(core, now, id, true, false),
                    Some((_, Phase::Connected)) if reason == ByeReason::Ack => {
                        core.stats.unexpected += 1
                    }
                    Some((id, Phase::Connected)) => {
                        self.send_control(core, now, id, true, |out| {
                            wire::encode_bye(out, ByeReason::Ack)
                        });
                        self.remove(core, now, id, true, true);
                    }
                    // Never answered: two peers that do not know each other must not trade BYEs forever.
                    None => core.stats.unexpected += 1,
                }
            }
            Control::Ping => match known.and_then(|id| self.clients.get_mut(&id)) {
                Some(client) if client.phase == Phase::Connected => client.last_heard = now,
                Some(_) => {}
                None => self.not_a_peer(core, now, from),
            },
            // WELCOME, REFUSE, JOINED, LEFT: a host's packets, never taken from a client.
            _ => core.stats.unexpected += 1,
        }
    }

    fn on_hello(
        &mut self,
        core: &mut Core,
        now: Duration,
        from: SteamId,
        version: u16,
        nonce: u64,
        refusing: bool,
    ) {
        if version != wire::PROTOCOL_VERSION {
            let reason = RefuseReason::VersionMismatch {
                host_version: wire::PROTOCOL_VERSION,
            };
            self.refuse(core, now, from, nonce, reason);
            return;
        }
        if let Some(&id) = self.by_steam_id.get(&from)
            && let Some(client) = self.clients.get(&id)
        {
            let repeat = client.nonce == nonce;
            let too_soon = now.saturating_sub(client.connected_at) < REJOIN_GUARD;
            if repeat || too_soon || client.phase != Phase::Connected {
                // A repeat is answered already (WELCOME is reliable); a leaving client finishes first. A
                // repeat still shows the client alive: one that has not read its WELCOME yet (delayed on a
                // lossy link) sends nothing else.
                if repeat
                    && let Some(client) = self.clients.get_mut(&id)
                    && client.phase == Phase::Connected
                {
                    client.last_heard = client.last_heard.max(now);
                }
                core.stats.duplicate_hellos += 1;
                return;
            }
            // The same user's game started again without a BYE: its old peer is gone.
            self.remove(core, now, id, true, true);
        }
        if refusing {
            self.refuse(core, now, from, nonce, RefuseReason::NotAccepting);
            return;
        }
        if self.connected().count() >= self.max_clients as usize {
            self.refuse(core, now, from, nonce, RefuseReason::Full);
            return;
        }
        let id = loop {
            let candidate = core.rng.u32(2..=i32::MAX as u32);
            if self.issued.insert(candidate) {
                break candidate;
            }
        };
        // The newcomer learns who is there, and they learn of it, only when the host relays between them.
        let listed: Vec<(u32, SteamId)> = if core.config.server_relay {
            self.connected()
                .map(|(&id, client)| (id, client.steam_id))
                .collect()
        } else {
            Vec::new()
        };
        core.send_control(from, true, |out| {
            wire::encode_welcome(out, nonce, id, listed.into_iter());
        });
        self.tell_others(core, now, id, |out| wire::encode_joined(out, id, from));
        self.clients.insert(
            id,
            Client {
                steam_id: from,
                nonce,
                phase: Phase::Connected,
                connected_at: now,
                last_heard: now,
                last_sent: now,
                ordered: OrderedReceiver::default(),
            },
        );
        self.by_steam_id.insert(from, id);
        core.events.push_back(PeerEvent::PeerConnected(id as i32));
    }

    fn refuse(
        &mut self,
        core: &mut Core,
        now: Duration,
        to: SteamId,
        nonce: u64,
        reason: RefuseReason,
    ) {
        if self.refusals.allow(to, now) {
            core.send_control(to, true, |out| wire::encode_refuse(out, nonce, reason));
        } else {
            core.stats.duplicate_hellos += 1;
        }
    }

    /// Traffic from a Steam ID that is not a client (one dropped earlier, or of a previous hosting session):
    /// tell it, so it does not wait out its timeout.
    fn not_a_peer(&mut self, core: &mut Core, now: Duration, from: SteamId) {
        core.stats.unexpected += 1;
        if self.strangers.allow(from, now) {
            core.send_control(from, true, |out| wire::encode_bye(out, ByeReason::NotAPeer));
        }
    }

    /// Delivers a client's packet here and relays it, as its target says.
    fn route(
        &mut self,
        core: &mut Core,
        now: Duration,
        from: u32,
        channel: u32,
        header: DataHeader,
        payload: &[u8],
    ) {
        let target = header.peer;
        let deliver_here = match target {
            0 | HOST_PEER_ID => true,
            target if target > 0 => false,
            target => target.unsigned_abs() != HOST_PEER_ID as u32,
        };
        if deliver_here && let Some(client) = self.clients.get_mut(&from) {
            let fresh = header
                .sequence
                .is_none_or(|sequence| client.ordered.accept(channel, sequence));
            if fresh {
                core.inbox.push(from as i32, channel, header.mode, payload);
            } else {
                core.stats.stale += 1;
            }
        }
        if target == HOST_PEER_ID {
            return;
        }
        if !core.config.server_relay {
            if !deliver_here {
                core.stats.undeliverable += 1;
            }
            return;
        }
        if target > HOST_PEER_ID {
            let addressee = self.clients.get(&(target as u32));
            let connected = addressee.is_some_and(|c| c.phase == Phase::Connected);
            if !connected || target as u32 == from {
                core.stats.undeliverable += 1;
                return;
            }
        }
        // The relayed packet names its original sender and keeps its sequence number.
        let relayed = DataHeader {
            mode: header.mode,
            peer: from as i32,
            sequence: header.sequence,
        };
        let excluded = if target < 0 { target.unsigned_abs() } else { 0 };
        let steam_channel = core.data_channel(channel);
        let reliable = header.mode == TransferMode::Reliable;
        let bytes = core.outbox.encode(|out| {
            wire::encode_data_header(out, relayed);
            out.extend_from_slice(payload);
        });
        for (&id, client) in self.clients.iter_mut() {
            let addressed = if target > HOST_PEER_ID {
                id == target as u32
            } else {
                id != from && id != excluded
            };
            if addressed && client.phase == Phase::Connected {
                core.outbox
                    .push_again(client.steam_id, steam_channel, reliable, bytes.clone());
                client.last_sent = now;
            }
        }
        core.outbox.discard_unqueued(bytes);
    }

    pub fn send(
        &mut self,
        core: &mut Core,
        now: Duration,
        target: i32,
        channel: u32,
        mode: TransferMode,
        payload: &[u8],
    ) -> Result<(), SendError> {
        // A client that left before Godot was told is still a valid target; only connected ones are sent to.
        let addressable = |id: u32| {
            matches!(self.clients.get(&id), Some(c) if c.phase == Phase::Connected)
                || core.departure_untold(id)
        };
        let valid = match target {
            0 => true,
            HOST_PEER_ID => false,
            target if target > 0 => addressable(target as u32),
            target => target == -HOST_PEER_ID || addressable(target.unsigned_abs()),
        };
        if !valid {
            return Err(SendError::UnknownTarget(target));
        }
        let header = DataHeader {
            mode,
            peer: HOST_PEER_ID,
            sequence: (mode == TransferMode::UnreliableOrdered)
                .then(|| self.sequences.next(channel)),
        };
        let connected = self
            .clients
            .iter_mut()
            .filter(|(_, client)| client.phase == Phase::Connected)
            .map(|(&id, client)| (id, client.steam_id, &mut client.last_sent));
        core.send_data(now, target, channel, header, payload, connected);
        Ok(())
    }

    pub fn on_session_failed(&mut self, core: &mut Core, now: Duration, remote: SteamId) {
        let Some(&id) = self.by_steam_id.get(&remote) else {
            return;
        };
        let was_connected = self
            .clients
            .get(&id)
            .is_some_and(|c| c.phase == Phase::Connected);
        self.remove(core, now, id, true, was_connected);
    }

    pub fn update(&mut self, core: &mut Core, now: Duration) {
        let mut expired = std::mem::take(&mut self.scratch);
        expired.clear();
        let config = &core.config;
        for (&id, client) in self.clients.iter_mut() {
            match client.phase {
                Phase::Connected => {
                    if now.saturating_sub(client.last_heard) > config.peer_timeout {
                        expired.push(id);
                    } else if now.saturating_sub(client.last_sent) >= config.keepalive_interval {
                        let channel = config.base_channel;
                        core.outbox
                            .push(client.steam_id, channel, false, wire::encode_ping);
                        client.last_sent = now;
                    }
                }
                Phase::Leaving { until } => {
                    if now >= until {
                        expired.push(id);
                    }
                }
            }
        }
        for &id in &expired {
            let connected = self
                .clients
                .get(&id)
                .is_some_and(|c| c.phase == Phase::Connected);
            if connected {
                // Best effort: if only the way here is broken, the client learns at once.
                self.send_control(core, now, id, true, |out| {
                    wire::encode_bye(out, ByeReason::TimedOut)
                });
            }
            self.remove(core, now, id, true, connected);
        }
        self.scratch = expired;
    }

    pub fn disconnect(
        &mut self,
        core: &mut Core,
        now: Duration,
        peer: i32,
        force: bool,
    ) -> Result<(), DisconnectError> {
        let id = u32::try_from(peer).map_err(|_| DisconnectError::UnknownPeer(peer))?;
        let Some(client) = self.clients.get_mut(&id) else {
            return Err(DisconnectError::UnknownPeer(peer));
        };
        match (client.phase, force) {
            (Phase::Connected, _) => {
                client.phase = Phase::Leaving {
                    until: now + core.config.disconnect_linger,
                };
                self.send_control(core, now, id, true, |out| {
                    wire::encode_bye(out, ByeReason::Kicked)
                });
                self.tell_others(core, now, id, |out| wire::encode_left(out, id));
                if force {
                    self.remove(core, now, id, false, false);
                }
            }
            (Phase::Leaving { .. }, true) => self.remove(core, now, id, false, false),
            (Phase::Leaving { .. }, false) => {}
        }
        Ok(())
    }

    /// Tells every client it is over, best effort.
    pub fn close(self, core: &mut Core) {
        let channel = core.control_channel();
        let bye = core
            .outbox
            .encode(|out| wire::encode_bye(out, ByeReason::Closing));
        for (_, client) in self.connected() {
            core.outbox
                .push_again(client.steam_id, channel, true, bye.clone());
        }
        core.outbox.discard_unqueued(bye);
    }

    fn send_control(
        &mut self,
        core: &mut Core,
        now: Duration,
        id: u32,
        reliable: bool,
        write: impl FnOnce(&mut Vec<u8>),
    ) {
        if let Some(client) = self.clients.get_mut(&id) {
            core.send_control(client.steam_id, reliable, write);
            client.last_sent = now;
        }
    }

    /// Sends one control packet to every connected client but `except`, when the host relays: only then do
    /// clients hear of each other.
    fn tell_others(
        &mut self,
        core: &mut Core,
        now: Duration,
        except: u32,
        write: impl FnOnce(&mut Vec<u8>),
    ) {
        if !core.config.server_relay {
            return;
        }
        let channel = core.control_channel();
        let bytes = core.outbox.encode(write);
        for (&other, client) in self.clients.iter_mut() {
            if other != except && client.phase == Phase::Connected {
                core.outbox
                    .push_again(client.steam_id, channel, true, bytes.clone());
                client.last_sent = now;
            }
        }
        core.outbox.discard_unqueued(bytes);
    }

    /// Forgets client `id`; `event`: report `PeerDisconnected`; `announce`: tell the others (not told yet).
    fn remove(&mut self, core: &mut Core, now: Duration, id: u32, event: bool, announce: bool) {
        let Some(client) = self.clients.remove(&id) else {
            return;
        };
        self.by_steam_id.remove(&client.steam_id);
        if event {
            core.events
                .push_back(PeerEvent::PeerDisconnected(id as i32));
        }
        if announce {
            self.tell_others(core, now, id, |out| wire::encode_left(out, id));
        }
    }
}
