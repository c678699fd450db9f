//! A mesh peer's side (`ENetMultiplayerPeer`'s mesh mode): every peer picks its own ID, is told the Steam ID
//! and peer ID of each other peer (from a lobby, say), and talks to each directly; there is no host and no
//! relay.
//!
//! Both ends of a link add each other. Each sends MESH ("I am `a`, and you are `b` to me", with a nonce new
//! for each handshake) until it hears the same from the other end with the IDs it expects, then counts the
//! link connected and answers (MESH with `answer` set; answers are never answered, and repeats at most once
//! per HELLO interval, so two connected peers do not trade introductions forever). Data from a peer still
//! being greeted (Steam's channels are independent lanes: its data may overtake its answer) is held, bounded,
//! until its introduction is read, and dropped if the handshake fails. A peer that does not answer within the
//! handshake timeout, or whose IDs differ, fails ([`PeerEvent::MeshPeerFailed`]) and may be added again.
//! Connected peers keep alive and time out, leave and are disconnected as a host's clients are. An
//! introduction with a new nonce from a connected peer means it started over without a goodbye (its game
//! restarted, or it dropped this peer and added it again): its old link is disconnected and the handshake
//! starts over, with the IDs checked again.

use std::collections::BTreeMap;
use std::time::Duration;

use foldhash::HashMap;

use super::host::{REJOIN_GUARD, ReplyLimiter};
use super::ordering::{OrderedReceiver, OrderedSender};
use super::wire::{self, ByeReason, Control, DataHeader};
use super::{Core, DisconnectError, MeshError, MeshFailure, PeerEvent, SendError, TransferMode};
use crate::steam_types::SteamId;

/// Most packets, and bytes, held per peer being greeted; past either, new ones are dropped.
const HELD_MAX_PACKETS: usize = 256;
const HELD_MAX_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// MESH sent, repeated at `next_hello`, until `deadline`.
    Greeting {
        deadline: Duration,
        next_hello: Duration,
    },
    Connected,
    /// BYE sent by `disconnect_peer`; gone when the peer acknowledges or at `until`.
    Leaving {
        until: Duration,
    },
}

#[derive(Debug, Clone)]
struct MeshPeer {
    steam_id: SteamId,
    phase: Phase,
    /// The nonce of this side's introductions to it, new for each handshake.
    own_nonce: u64,
    /// The nonce of its introduction, once connected.
    their_nonce: Option<u64>,
    connected_at: Duration,
    last_heard: Duration,
    last_sent: Duration,
    /// When this side last answered its introduction.
    last_answer: Option<Duration>,
    ordered: OrderedReceiver,
    /// Data (transfer channel, packet) that came while it was being greeted.
    held: Vec<(u32, Vec<u8>)>,
    held_bytes: usize,
}

#[derive(Debug)]
pub(super) struct MeshState {
    own_id: u32,
    /// By peer ID: a B-tree so that every walk over the peers is in a fixed order.
    peers: BTreeMap<u32, MeshPeer>,
    by_steam_id: HashMap<SteamId, u32>,
    sequences: OrderedSender,
    /// Limits BYE "not a peer" answers to strangers.
    strangers: ReplyLimiter,
    /// Reused list of peers to drop in `update`.
    scratch: Vec<u32>,
}

impl MeshState {
    pub fn new(own_id: u32) -> Self {
        Self {
            own_id,
            peers: BTreeMap::new(),
            by_steam_id: HashMap::default(),
            sequences: OrderedSender::default(),
            strangers: ReplyLimiter::new(),
            scratch: Vec::new(),
        }
    }

    pub fn unique_id(&self) -> i32 {
        self.own_id as i32
    }

    /// Starts greeting `steam_id` as peer `peer`; the first MESH is queued now.
    pub fn add(
        &mut self,
        core: &mut Core,
        now: Duration,
        steam_id: SteamId,
        peer: i32,
    ) -> Result<(), MeshError> {
        let id = u32::try_from(peer)
            .ok()
            .filter(|&id| wire::is_mesh_id(id) && id != self.own_id)
            .ok_or(MeshError::InvalidPeerId(peer))?;
        if !steam_id.is_valid() || steam_id == core.local {
            return Err(MeshError::InvalidSteamId(steam_id));
        }
        if self.peers.contains_key(&id) {
            return Err(MeshError::PeerIdInUse(peer));
        }
        if self.by_steam_id.contains_key(&steam_id) {
            return Err(MeshError::SteamIdInUse(steam_id));
        }
        self.greet(core, now, steam_id, id, now);
        Ok(())
    }

    /// Starts the handshake with `steam_id` as peer `id`; its first MESH goes at the next update at or after
    /// `first_hello`.
    fn greet(
        &mut self,
        core: &mut Core,
        now: Duration,
        steam_id: SteamId,
        id: u32,
        first_hello: Duration,
    ) {
        self.peers.insert(
            id,
            MeshPeer {
                steam_id,
                phase: Phase::Greeting {
                    deadline: now + core.config.handshake_timeout,
                    next_hello: first_hello,
                },
                own_nonce: core.rng.u64(..),
                their_nonce: None,
                connected_at: now,
                last_heard: now,
                last_sent: now,
                last_answer: None,
                ordered: OrderedReceiver::default(),
                held: Vec::new(),
                held_bytes: 0,
            },
        );
        self.by_steam_id.insert(steam_id, id);
        if first_hello <= now {
            self.introduce(core, now, id);
        }
    }

    /// Queues MESH (not an answer) to peer `id` and schedules the next.
    fn introduce(&mut self, core: &mut Core, now: Duration, id: u32) {
        let own_id = self.own_id;
        let Some(remote) = self.peers.get_mut(&id) else {
            return;
        };
        let nonce = remote.own_nonce;
        let Phase::Greeting { deadline, .. } = remote.phase else {
            return;
        };
        core.send_control(remote.steam_id, true, |out| {
            wire::encode_mesh(out, false, nonce, own_id, id)
        });
        remote.phase = Phase::Greeting {
            deadline,
            next_hello: now + core.config.hello_interval,
        };
        remote.last_sent = now;
    }

    /// Whether `steam_id` was added as a peer, connected or not.
    pub fn has_peer(&self, steam_id: SteamId) -> bool {
        self.by_steam_id.contains_key(&steam_id)
    }

    /// Whether `steam_id` is a peer past the handshake.
    pub fn is_connected_with(&self, steam_id: SteamId) -> bool {
        self.peer_for(steam_id).is_some()
    }

    pub fn steam_id_for(&self, peer: i32) -> Option<SteamId> {
        let remote = self.peers.get(&u32::try_from(peer).ok()?)?;
        (remote.phase == Phase::Connected).then_some(remote.steam_id)
    }

    pub fn peer_for(&self, steam_id: SteamId) -> Option<i32> {
        let id = *self.by_steam_id.get(&steam_id)?;
        (self.peers.get(&id)?.phase == Phase::Connected).then_some(id as i32)
    }

    pub fn connected_peers(&self) -> Vec<i32> {
        self.peers
            .iter()
            .filter(|(_, remote)| remote.phase == Phase::Connected)
            .map(|(&id, _)| id as i32)
            .collect()
    }

    pub fn on_packet(
        &mut self,
        core: &mut Core,
        now: Duration,
        from: SteamId,
        steam_channel: i32,
        data: &[u8],
    ) {
        if steam_channel == core.control_channel() {
            self.on_control(core, now, from, data);
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
        let Some(remote) = self.peers.get_mut(&id) else {
            core.stats.unexpected += 1;
            return;
        };
        match remote.phase {
            Phase::Greeting { .. } => {
                // Its answer may still be on its way on the control channel: kept until it is read.
                if remote.held.len() < HELD_MAX_PACKETS
                    && remote.held_bytes + data.len() <= HELD_MAX_BYTES
                {
                    remote.held.push((channel, data.to_vec()));
                    remote.held_bytes += data.len();
                    core.stats.held += 1;
                } else {
                    core.stats.held_dropped += 1;
                }
            }
            Phase::Connected => {
                remote.last_heard = now;
                deliver(core, id, remote, channel, header, payload);
            }
            Phase::Leaving { .. } => core.stats.unexpected += 1,
        }
    }

    fn on_control(&mut self, core: &mut Core, now: Duration, from: SteamId, data: &[u8]) {
        let control = match Control::decode(data) {
            Ok(control) => control,
            Err(_) => {
                core.stats.malformed += 1;
                return;
            }
        };
        let known = self
            .by_steam_id
            .get(&from)
            .and_then(|&id| Some((id, self.peers.get(&id)?.phase)));
        match control {
            Control::Mesh {
                version,
                answer,
                nonce,
                sender,
                receiver,
            } => {
                // Not added (yet): dropped, as it repeats its introduction until this side adds it too.
                let Some((id, phase)) = known else {
                    core.stats.unexpected += 1;
                    return;
                };
                if version == wire::PROTOCOL_VERSION
                    && phase == Phase::Connected
                    && !self.on_reintroduction(core, now, id, answer, nonce)
                {
                    return;
                }
                // Started over (or being greeted): this is the first introduction of a handshake.
                let phase = self.peers.get(&id).map_or(phase, |remote| remote.phase);
                let failure = if version != wire::PROTOCOL_VERSION {
                    Some(MeshFailure::VersionMismatch { theirs: version })
                } else if sender != id || receiver != self.own_id {
                    Some(MeshFailure::IdMismatch {
                        they_are: sender,
                        you_are: receiver,
                    })
                } else {
                    None
                };
                if let Some(reason) = failure {
                    match phase {
                        Phase::Greeting { .. } => {
                            // Our view of the IDs, once, so that its side fails with the reason too rather than
                            // waiting out its timeout (it has us as a stranger from now on: no reply comes).
                            self.introduce(core, now, id);
                            self.fail(core, id, reason);
                        }
                        _ => core.stats.unexpected += 1,
                    }
                    return;
                }
                match phase {
                    Phase::Greeting { .. } => self.connect(core, now, id, nonce, !answer),
                    Phase::Connected | Phase::Leaving { .. } => core.stats.unexpected += 1,
                }
            }
            Control::Bye { reason } => match known {
                Some((id, Phase::Leaving { .. })) => self.remove(core, id, true),
                Some((_, Phase::Connected)) if reason == ByeReason::Ack => {
                    core.stats.unexpected += 1
                }
                Some((id, Phase::Connected)) => {
                    self.send_control(core, now, id, |out| wire::encode_bye(out, ByeReason::Ack));
                    self.remove(core, id, true);
                }
                // A peer being greeted that says it is done with us: it closed, or dropped us, and will
                // introduce itself again if it adds us again. Never answered: no BYE ping-pong.
                Some((_, Phase::Greeting { .. })) | None => core.stats.unexpected += 1,
            },
            Control::Ping => match known {
                Some((id, Phase::Connected)) => {
                    if let Some(remote) = self.peers.get_mut(&id) {
                        remote.last_heard = now;
                    }
                }
                Some(_) => {}
                None => self.not_a_peer(core, now, from),
            },
            // A host's or a client's packets: never taken in a mesh.
            _ => core.stats.unexpected += 1,
        }
    }

    /// Peer `id`'s handshake succeeded with its introduction `nonce`; `answer`: tell it so (it is still
    /// waiting for our introduction). What it sent meanwhile is delivered now, after `PeerConnected`.
    fn connect(&mut self, core: &mut Core, now: Duration, id: u32, nonce: u64, answer: bool) {
        let Some(remote) = self.peers.get_mut(&id) else {
            return;
        };
        remote.phase = Phase::Connected;
        remote.their_nonce = Some(nonce);
        remote.connected_at = now;
        remote.last_heard = now;
        core.events.push_back(PeerEvent::PeerConnected(id as i32));
        for (channel, bytes) in std::mem::take(&mut remote.held) {
            if let Ok((header, payload)) = wire::decode_data(&bytes) {
                deliver(core, id, remote, channel, header, payload);
            }
        }
        remote.held_bytes = 0;
        if answer {
            self.answer(core, now, id);
        }
    }

    /// Answers peer `id`'s introduction, at most once per HELLO interval: a peer flooding introductions gets
    /// no more answers than one repeating them.
    fn answer(&mut self, core: &mut Core, now: Duration, id: u32) {
        let own_id = self.own_id;
        let interval = core.config.hello_interval;
        let Some(remote) = self.peers.get_mut(&id) else {
            return;
        };
        if remote
            .last_answer
            .is_some_and(|last| now.saturating_sub(last) < interval)
        {
            core.stats.duplicate_hellos += 1;
            return;
        }
        remote.last_answer = Some(now);
        remote.last_sent = now;
        let nonce = remote.own_nonce;
        core.send_control(remote.steam_id, true, |out| {
            wire::encode_mesh(out, true, nonce, own_id, id)
        });
    }

    /// A MESH of this version from connected peer `id`. True if it started over: its old link is gone
    /// (`PeerDisconnected`), and the packet is to be taken as the first introduction of a new handshake, which
    /// checks the IDs again. Godot hears of the departure before any new arrival (see
    /// [`super::PeerProtocol::next_event`]).
    fn on_reintroduction(
        &mut self,
        core: &mut Core,
        now: Duration,
        id: u32,
        answer: bool,
        nonce: u64,
    ) -> bool {
        let Some(remote) = self.peers.get_mut(&id) else {
            return false;
        };
        if remote.their_nonce == Some(nonce) {
            remote.last_heard = now;
            if answer {
                core.stats.duplicate_hellos += 1;
            } else {
                // A repeat sent before our answer reached it.
                self.answer(core, now, id);
            }
            return false;
        }
        if now.saturating_sub(remote.connected_at) < REJOIN_GUARD {
            // A peer cannot churn connections faster than this; a real new start repeats its introduction.
            core.stats.duplicate_hellos += 1;
            return false;
        }
        let steam_id = remote.steam_id;
        self.remove(core, id, true);
        self.greet(core, now, steam_id, id, now + core.config.hello_interval);
        true
    }

    fn fail(&mut self, core: &mut Core, id: u32, reason: MeshFailure) {
        let Some(remote) = self.peers.remove(&id) else {
            return;
        };
        core.stats.held_dropped += remote.held.len() as u64;
        self.by_steam_id.remove(&remote.steam_id);
        core.events.push_back(PeerEvent::MeshPeerFailed {
            peer: id as i32,
            steam_id: remote.steam_id,
            reason,
        });
    }

    /// Traffic from a Steam ID that is not a peer (one dropped earlier, or of a previous mesh): tell it, so it
    /// does not wait out its timeout.
    fn not_a_peer(&mut self, core: &mut Core, now: Duration, from: SteamId) {
        core.stats.unexpected += 1;
        if self.strangers.allow(from, now) {
            core.send_control(from, true, |out| wire::encode_bye(out, ByeReason::NotAPeer));
        }
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
        let own_id = self.own_id;
        // A peer that left before Godot was told is still a valid target; only connected ones are sent to.
        let addressable = |id: u32| {
            id != own_id
                && (matches!(self.peers.get(&id), Some(p) if p.phase == Phase::Connected)
                    || core.departure_untold(id))
        };
        let valid = match target {
            0 => true,
            target if target > 0 => addressable(target as u32),
            target => target.unsigned_abs() == own_id || addressable(target.unsigned_abs()),
        };
        if !valid {
            return Err(SendError::UnknownTarget(target));
        }
        let header = DataHeader {
            mode,
            peer: own_id as i32,
            sequence: (mode == TransferMode::UnreliableOrdered)
                .then(|| self.sequences.next(channel)),
        };
        let connected = self
            .peers
            .iter_mut()
            .filter(|(_, remote)| remote.phase == Phase::Connected)
            .map(|(&id, remote)| (id, remote.steam_id, &mut remote.last_sent));
        core.send_data(now, target, channel, header, payload, connected);
        Ok(())
    }

    pub fn on_session_failed(&mut self, core: &mut Core, remote: SteamId) {
        let Some(&id) = self.by_steam_id.get(&remote) else {
            return;
        };
        match self.peers.get(&id).map(|peer| peer.phase) {
            Some(Phase::Greeting { .. }) => self.fail(core, id, MeshFailure::SessionFailed),
            Some(Phase::Connected) => self.remove(core, id, true),
            Some(Phase::Leaving { .. }) => self.remove(core, id, true),
            None => {}
        }
    }

    pub fn update(&mut self, core: &mut Core, now: Duration) {
        let mut due = std::mem::take(&mut self.scratch);
        due.clear();
        let mut introductions = Vec::new();
        let config = &core.config;
        for (&id, remote) in self.peers.iter_mut() {
            match remote.phase {
                Phase::Greeting {
                    deadline,
                    next_hello,
                } => {
                    if now >= deadline {
                        due.push(id);
                    } else if now >= next_hello {
                        introductions.push(id);
                    }
                }
                Phase::Connected => {
                    if now.saturating_sub(remote.last_heard) > config.peer_timeout {
                        due.push(id);
                    } else if now.saturating_sub(remote.last_sent) >= config.keepalive_interval {
                        core.outbox.push(
                            remote.steam_id,
                            config.base_channel,
                            false,
                            wire::encode_ping,
                        );
                        remote.last_sent = now;
                    }
                }
                Phase::Leaving { until } => {
                    if now >= until {
                        due.push(id);
                    }
                }
            }
        }
        for id in introductions {
            self.introduce(core, now, id);
        }
        for &id in &due {
            match self.peers.get(&id).map(|peer| peer.phase) {
                Some(Phase::Greeting { .. }) => self.fail(core, id, MeshFailure::Timeout),
                Some(Phase::Connected) => {
                    // Best effort: if only the way here is broken, the peer learns at once.
                    self.send_control(core, now, id, |out| {
                        wire::encode_bye(out, ByeReason::TimedOut)
                    });
                    self.remove(core, id, true);
                }
                Some(Phase::Leaving { .. }) => self.remove(core, id, true),
                None => {}
            }
        }
        self.scratch = due;
    }

    /// Disconnects connected peer `peer` (BYE; see [`super::PeerProtocol::disconnect_peer`]).
    pub fn disconnect(
        &mut self,
        core: &mut Core,
        now: Duration,
        peer: i32,
        force: bool,
    ) -> Result<(), DisconnectError> {
        let id = u32::try_from(peer).map_err(|_| DisconnectError::UnknownPeer(peer))?;
        let phase = match self.peers.get(&id) {
            Some(remote) => remote.phase,
            None => return Err(DisconnectError::UnknownPeer(peer)),
        };
        match (phase, force) {
            // Godot never heard of it: not a peer to disconnect.
            (Phase::Greeting { .. }, _) => return Err(DisconnectError::UnknownPeer(peer)),
            (Phase::Connected, _) => {
                self.send_control(core, now, id, |out| {
                    wire::encode_bye(out, ByeReason::Leaving)
                });
                if force {
                    self.remove(core, id, false);
                } else if let Some(remote) = self.peers.get_mut(&id) {
                    remote.phase = Phase::Leaving {
                        until: now + core.config.disconnect_linger,
                    };
                }
            }
            (Phase::Leaving { .. }, true) => self.remove(core, id, false),
            (Phase::Leaving { .. }, false) => {}
        }
        Ok(())
    }

    /// Tells every peer it is over, best effort: those being greeted too, which may count this one connected
    /// already.
    pub fn close(self, core: &mut Core) {
        let channel = core.control_channel();
        let bye = core
            .outbox
            .encode(|out| wire::encode_bye(out, ByeReason::Closing));
        for remote in self.peers.values() {
            if !matches!(remote.phase, Phase::Leaving { .. }) {
                core.outbox
                    .push_again(remote.steam_id, channel, true, bye.clone());
            }
        }
        core.outbox.discard_unqueued(bye);
    }

    fn send_control(
        &mut self,
        core: &mut Core,
        now: Duration,
        id: u32,
        write: impl FnOnce(&mut Vec<u8>),
    ) {
        if let Some(remote) = self.peers.get_mut(&id) {
            core.send_control(remote.steam_id, true, write);
            remote.last_sent = now;
        }
    }

    /// Forgets peer `id`; `event`: report `PeerDisconnected`.
    fn remove(&mut self, core: &mut Core, id: u32, event: bool) {
        let Some(remote) = self.peers.remove(&id) else {
            return;
        };
        core.stats.held_dropped += remote.held.len() as u64;
        self.by_steam_id.remove(&remote.steam_id);
        if event {
            core.events
                .push_back(PeerEvent::PeerDisconnected(id as i32));
        }
    }
}

/// Delivers a connected peer's data packet, dropping stale unreliable-ordered ones.
fn deliver(
    core: &mut Core,
    id: u32,
    remote: &mut MeshPeer,
    channel: u32,
    header: DataHeader,
    payload: &[u8],
) {
    let fresh = header
        .sequence
        .is_none_or(|sequence| remote.ordered.accept(channel, sequence));
    if fresh {
        core.inbox.push(id as i32, channel, header.mode, payload);
    } else {
        core.stats.stale += 1;
    }
}
