//! A client's side: joining (HELLO until WELCOME or REFUSE), the peers the host announces, keep-alives and
//! the host's timeout, sending through the host, and leaving.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use super::ordering::{OrderedReceiver, OrderedSender};
use super::wire::{self, ByeReason, Control, DataHeader};
use super::{
    ConnectionStatus, Core, DisconnectError, DisconnectReason, FailureReason, Flow, HOST_PEER_ID,
    PeerEvent, SendError, TransferMode,
};
use crate::steam_types::SteamId;

/// Most packets, and bytes, a client holds for senders it does not know yet; past either, new ones are
/// dropped. The hold only bridges the moment between reading the control channel and the data channels.
const HELD_MAX_PACKETS: usize = 256;
const HELD_MAX_BYTES: usize = 4 * 1024 * 1024;
/// A held packet is dropped once it is this old and has sat through two updates (two frames, so at least one
/// full read of the control channel came after it): the control packet it waited for is not coming.
const HELD_LIFETIME: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// HELLO sent, repeated at `next_hello`, until `deadline`.
    Connecting {
        deadline: Duration,
        next_hello: Duration,
    },
    Connected,
    /// BYE sent; ends when the host acknowledges it or at `until`.
    Leaving {
        until: Duration,
    },
}

/// A peer this client can send to: the host, or another client the host announced.
#[derive(Debug, Clone)]
struct Remote {
    steam_id: SteamId,
    ordered: OrderedReceiver,
}

/// A data packet from the host that came before the control packet introducing its sender.
#[derive(Debug)]
struct Held {
    at: Duration,
    update: u64,
    channel: u32,
    bytes: Vec<u8>,
}

#[derive(Debug)]
pub(super) struct ClientState {
    host: SteamId,
    /// Random per attempt, echoed in WELCOME and REFUSE so answers to an earlier attempt are told apart.
    nonce: u64,
    phase: Phase,
    /// Given by WELCOME; 0 before.
    id: u32,
    last_heard: Duration,
    last_sent: Duration,
    /// The host (1) and the other clients, by peer ID.
    peers: BTreeMap<u32, Remote>,
    sequences: OrderedSender,
    held: VecDeque<Held>,
    held_bytes: usize,
    /// Updates so far, to age held packets by frames as well as time.
    updates: u64,
}

impl ClientState {
    /// The host's Steam ID: the only sender a client takes packets from.
    pub fn host(&self) -> SteamId {
        self.host
    }

    /// Starts joining `host`: the first HELLO is queued now.
    pub fn start(core: &mut Core, now: Duration, host: SteamId) -> Self {
        let nonce = core.rng.u64(..);
        core.send_control(host, true, |out| wire::encode_hello(out, nonce));
        Self {
            host,
            nonce,
            phase: Phase::Connecting {
                deadline: now + core.config.handshake_timeout,
                next_hello: now + core.config.hello_interval,
            },
            id: 0,
            last_heard: now,
            last_sent: now,
            peers: BTreeMap::new(),
            sequences: OrderedSender::default(),
            held: VecDeque::new(),
            held_bytes: 0,
            updates: 0,
        }
    }

    pub fn status(&self) -> ConnectionStatus {
        match self.phase {
            Phase::Connecting { .. } => ConnectionStatus::Connecting,
            Phase::Connected | Phase::Leaving { .. } => ConnectionStatus::Connected,
        }
    }

    pub fn unique_id(&self) -> i32 {
        self.id as i32
    }

    pub fn host_steam_id(&self) -> SteamId {
        self.host
    }

    pub fn steam_id_for(&self, peer: i32) -> Option<SteamId> {
        let peer = u32::try_from(peer).ok()?;
        self.peers.get(&peer).map(|remote| remote.steam_id)
    }

    pub fn peer_for(&self, steam_id: SteamId) -> Option<i32> {
        self.peers
            .iter()
            .find(|(_, remote)| remote.steam_id == steam_id)
            .map(|(&id, _)| id as i32)
    }

    pub fn connected_peers(&self) -> Vec<i32> {
        match self.phase {
            Phase::Connected => self.peers.keys().map(|&id| id as i32).collect(),
            _ => Vec::new(),
        }
    }

    pub fn on_packet(
        &mut self,
        core: &mut Core,
        now: Duration,
        from: SteamId,
        steam_channel: i32,
        data: &[u8],
    ) -> Flow {
        if from != self.host {
            // Only the host talks to a client; anyone else (another client, a stranger) is dropped.
            core.stats.unexpected += 1;
            return Flow::Continue;
        }
        if steam_channel == core.control_channel() {
            return self.on_control(core, now, data);
        }
        match core.transfer_channel(steam_channel) {
            Some(channel) => self.on_data(core, now, None, channel, data),
            None => core.stats.unexpected += 1,
        }
        Flow::Continue
    }

    fn on_control(&mut self, core: &mut Core, now: Duration, data: &[u8]) -> Flow {
        let control = match Control::decode(data) {
            Ok(control) => control,
            Err(_) => {
                core.stats.malformed += 1;
                return Flow::Continue;
            }
        };
        let connecting = matches!(self.phase, Phase::Connecting { .. });
        if !connecting {
            self.last_heard = now;
        }
        match control {
            Control::Welcome { nonce, id, peers } if connecting && nonce == self.nonce => {
                let mut known = BTreeMap::new();
                known.insert(HOST_PEER_ID as u32, Remote::new(self.host));
                for (peer, steam_id) in peers.iter() {
                    let duplicate = known.insert(peer, Remote::new(steam_id)).is_some();
                    if duplicate || peer == id {
                        // A host never sends this; taking part of it would make events nobody can undo.
                        core.stats.unexpected += 1;
                        return Flow::Continue;
                    }
                }
                self.id = id;
                self.phase = Phase::Connected;
                self.last_heard = now;
                core.events.push_back(PeerEvent::ConnectionSucceeded);
                core.events.extend(
                    known
                        .keys()
                        .map(|&peer| PeerEvent::PeerConnected(peer as i32)),
                );
                self.peers = known;
                self.release_held(core, now);
            }
            Control::Refuse { nonce, reason } if connecting && nonce == self.nonce => {
                core.events
                    .push_back(PeerEvent::ConnectionFailed(FailureReason::Refused(reason)));
                return Flow::Ended;
            }
            Control::Joined { id, steam_id } if !connecting => {
                if id == self.id || self.peers.contains_key(&id) {
                    core.stats.unexpected += 1;
                } else {
                    self.peers.insert(id, Remote::new(steam_id));
                    core.events.push_back(PeerEvent::PeerConnected(id as i32));
                    self.release_held(core, now);
                }
            }
            Control::Left { id } if !connecting => {
                if self.peers.remove(&id).is_some() {
                    core.events
                        .push_back(PeerEvent::PeerDisconnected(id as i32));
                } else {
                    core.stats.unexpected += 1;
                }
            }
            Control::Bye { reason } if !connecting => match self.phase {
                Phase::Leaving { .. } => return self.end(core, DisconnectReason::Left),
                _ if reason == ByeReason::Ack => core.stats.unexpected += 1,
                _ => {
                    self.send_bye(core, now, ByeReason::Ack);
                    return self.end(core, disconnect_reason(reason));
                }
            },
            Control::Ping if !connecting => {}
            // HELLO (never for a client), answers to another attempt, and anything before WELCOME but
            // WELCOME or REFUSE (a BYE meant for an earlier connection, say).
            _ => core.stats.unexpected += 1,
        }
        Flow::Continue
    }

    /// A data packet from the host: just received, or held since `held` (when and at which update).
    fn on_data(
        &mut self,
        core: &mut Core,
        now: Duration,
        held: Option<(Duration, u64)>,
        channel: u32,
        data: &[u8],
    ) {
        let (header, payload) = match wire::decode_data(data) {
            Ok(decoded) => decoded,
            Err(_) => {
                core.stats.malformed += 1;
                return;
            }
        };
        if matches!(self.phase, Phase::Connecting { .. }) {
            self.hold(core, now, held, channel, data);
            return;
        }
        self.last_heard = now;
        let Ok(sender) = u32::try_from(header.peer) else {
            core.stats.unexpected += 1;
            return;
        };
        if sender == self.id || !(sender == HOST_PEER_ID as u32 || wire::is_client_id(sender)) {
            core.stats.unexpected += 1;
            return;
        }
        let Some(remote) = self.peers.get_mut(&sender) else {
            // Its JOINED is on the control channel, maybe not read yet.
            self.hold(core, now, held, channel, data);
            return;
        };
        if let Some(sequence) = header.sequence
            && !remote.ordered.accept(channel, sequence)
        {
            core.stats.stale += 1;
            return;
        }
        core.inbox
            .push(sender as i32, channel, header.mode, payload);
    }

    fn hold(
        &mut self,
        core: &mut Core,
        now: Duration,
        held: Option<(Duration, u64)>,
        channel: u32,
        data: &[u8],
    ) {
        if self.held.len() >= HELD_MAX_PACKETS || self.held_bytes + data.len() > HELD_MAX_BYTES {
            core.stats.held_dropped += 1;
            return;
        }
        let (at, update) = match held {
            Some(since) => since,
            None => {
                core.stats.held += 1;
                (now, self.updates)
            }
        };
        self.held_bytes += data.len();
        self.held.push_back(Held {
            at,
            update,
            channel,
            bytes: data.to_vec(),
        });
    }

    /// Delivers, in the order they came, the held packets whose sender is now known; the others stay held.
    fn release_held(&mut self, core: &mut Core, now: Duration) {
        if self.held.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.held);
        self.held_bytes = 0;
        for held in pending {
            self.on_data(
                core,
                now,
                Some((held.at, held.update)),
                held.channel,
                &held.bytes,
            );
        }
    }

    fn expire_held(&mut self, core: &mut Core, now: Duration) {
        let updates = self.updates;
        let before = self.held.len();
        self.held.retain(|held| {
            updates < held.update + 2 || now.saturating_sub(held.at) < HELD_LIFETIME
        });
        core.stats.held_dropped += (before - self.held.len()) as u64;
        self.held_bytes = self.held.iter().map(|held| held.bytes.len()).sum();
    }

    /// Whether `remote` is this client's host and the handshake with it is over (connected or leaving).
    pub fn is_past_handshake_with(&self, remote: SteamId) -> bool {
        remote == self.host && !matches!(self.phase, Phase::Connecting { .. })
    }

    pub fn on_session_failed(&mut self, core: &mut Core, remote: SteamId) -> Flow {
        if remote != self.host {
            return Flow::Continue;
        }
        match self.phase {
            Phase::Connecting { .. } => {
                core.events
                    .push_back(PeerEvent::ConnectionFailed(FailureReason::SessionFailed));
                Flow::Ended
            }
            Phase::Connected => self.end(core, DisconnectReason::SessionFailed),
            Phase::Leaving { .. } => self.end(core, DisconnectReason::Left),
        }
    }

    pub fn update(&mut self, core: &mut Core, now: Duration) -> Flow {
        self.updates += 1;
        match self.phase {
            Phase::Connecting {
                deadline,
                next_hello,
            } => {
                if now >= deadline {
                    // The host may have welcomed us after all, its answer lost on the way: tell it we are gone.
                    self.send_bye(core, now, ByeReason::Leaving);
                    core.events
                        .push_back(PeerEvent::ConnectionFailed(FailureReason::Timeout));
                    return Flow::Ended;
                }
                if now >= next_hello {
                    let nonce = self.nonce;
                    core.send_control(self.host, true, |out| wire::encode_hello(out, nonce));
                    self.last_sent = now;
                    self.phase = Phase::Connecting {
                        deadline,
                        next_hello: now + core.config.hello_interval,
                    };
                }
            }
            Phase::Connected => {
                if now.saturating_sub(self.last_heard) > core.config.peer_timeout {
                    // Best effort: if only the way back is broken, the host learns at once.
                    self.send_bye(core, now, ByeReason::TimedOut);
                    return self.end(core, DisconnectReason::Timeout);
                }
                if now.saturating_sub(self.last_sent) >= core.config.keepalive_interval {
                    core.send_control(self.host, false, wire::encode_ping);
                    self.last_sent = now;
                }
            }
            Phase::Leaving { until } => {
                if now >= until {
                    return self.end(core, DisconnectReason::Left);
                }
            }
        }
        self.expire_held(core, now);
        Flow::Continue
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
        if self.phase != Phase::Connected {
            return Err(SendError::NotConnected);
        }
        let known =
            |id: u32| id == HOST_PEER_ID as u32 || id == self.id || self.peers.contains_key(&id);
        let valid = match target {
            0 | HOST_PEER_ID => true,
            target if target > 0 => target as u32 != self.id && known(target as u32),
            target => known(target.unsigned_abs()),
        };
        if !valid {
            // Godot still counts a peer connected until it is told the peer left: nothing goes to it, quietly.
            if target > 0 && core.departure_untold(target as u32) {
                return Ok(());
            }
            if target >= 0 || !core.departure_untold(target.unsigned_abs()) {
                return Err(SendError::UnknownTarget(target));
            }
        }
        let header = DataHeader {
            mode,
            peer: target,
            sequence: (mode == TransferMode::UnreliableOrdered)
                .then(|| self.sequences.next(channel)),
        };
        let steam_channel = core.data_channel(channel);
        core.outbox.push(
            self.host,
            steam_channel,
            mode == TransferMode::Reliable,
            |out| {
                wire::encode_data_header(out, header);
                out.extend_from_slice(payload);
            },
        );
        self.last_sent = now;
        Ok(())
    }

    pub fn disconnect(
        &mut self,
        core: &mut Core,
        now: Duration,
        peer: i32,
        force: bool,
    ) -> Result<Flow, DisconnectError> {
        if peer != HOST_PEER_ID {
            return Err(DisconnectError::UnknownPeer(peer));
        }
        if force {
            // Godot: a client's forced disconnect from its host is a close, with no events.
            self.close(core);
            return Ok(Flow::Ended);
        }
        Ok(match self.phase {
            Phase::Connecting { .. } => {
                self.send_bye(core, now, ByeReason::Leaving);
                core.events
                    .push_back(PeerEvent::ConnectionFailed(FailureReason::Cancelled));
                Flow::Ended
            }
            Phase::Connected => {
                self.send_bye(core, now, ByeReason::Leaving);
                self.phase = Phase::Leaving {
                    until: now + core.config.disconnect_linger,
                };
                Flow::Continue
            }
            Phase::Leaving { .. } => Flow::Continue,
        })
    }

    /// Tells the host this client is gone (unless it was told already), best effort.
    pub fn close(&self, core: &mut Core) {
        if !matches!(self.phase, Phase::Leaving { .. }) {
            core.send_control(self.host, true, |out| {
                wire::encode_bye(out, ByeReason::Closing)
            });
        }
    }

    fn send_bye(&mut self, core: &mut Core, now: Duration, reason: ByeReason) {
        core.send_control(self.host, true, |out| wire::encode_bye(out, reason));
        self.last_sent = now;
    }

    /// The connection is over: every peer this client saw disconnects, the host last.
    fn end(&mut self, core: &mut Core, reason: DisconnectReason) -> Flow {
        for &id in self.peers.keys().filter(|&&id| id != HOST_PEER_ID as u32) {
            core.events
                .push_back(PeerEvent::PeerDisconnected(id as i32));
        }
        core.events
            .push_back(PeerEvent::PeerDisconnected(HOST_PEER_ID));
        core.events.push_back(PeerEvent::ServerDisconnected(reason));
        self.peers.clear();
        Flow::Ended
    }
}

impl Remote {
    fn new(steam_id: SteamId) -> Self {
        Self {
            steam_id,
            ordered: OrderedReceiver::default(),
        }
    }
}

/// What the host's BYE means for this client.
fn disconnect_reason(reason: ByeReason) -> DisconnectReason {
    match reason {
        ByeReason::Kicked => DisconnectReason::Kicked,
        ByeReason::TimedOut => DisconnectReason::Timeout,
        ByeReason::Closing | ByeReason::Leaving | ByeReason::NotAPeer | ByeReason::Ack => {
            DisconnectReason::HostClosed
        }
    }
}
