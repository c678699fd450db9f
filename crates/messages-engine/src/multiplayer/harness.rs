//! Several [`PeerProtocol`]s on an in-memory Steam: a manual clock, and a seeded network that loses, delays
//! and reorders unreliable messages, delays reliable ones (in order per sender, receiver and Steam channel,
//! never lost while the link is up), and can cut links. Each node is driven as the real driver will be: per
//! frame, session requests answered with `should_accept_session`, messages read in the driver's order (the
//! control channel first), then `update`, `flush`, events and packets drained. Every random choice follows
//! the seed, so a failure replays.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::wire::{self, Control};
use super::{
    ConnectionStatus, DisconnectError, MeshError, PeerEvent, PeerProtocol, ProtocolConfig,
    SendError, SetupError, TransferMode,
};
use crate::steam_types::SteamId;

/// Protocol time per frame: a game at 100 fps.
pub const FRAME: Duration = Duration::from_millis(10);

/// The Steam ID of node `index`.
pub fn steam_id(index: usize) -> SteamId {
    SteamId(SteamId::INDIVIDUAL_PUBLIC_BASE + 100 + index as u64)
}

/// What the network does to messages.
#[derive(Debug, Clone, Copy, Default)]
pub struct Conditions {
    /// Chance (0 to 1) an unreliable message is lost.
    pub loss: f64,
    /// Time every message takes.
    pub delay: Duration,
    /// Up to this much more, per message: unreliable messages overtake one another, and reliable ones on
    /// different Steam channels too (Steam queues channels apart).
    pub jitter: Duration,
}

/// A received packet, copied out of the protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub from: i32,
    pub channel: u32,
    pub mode: TransferMode,
    pub payload: Vec<u8>,
}

/// What happened at a node, in order: for the exactly-once checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Started,
    /// A mesh started: there a peer that left may connect again (its game restarted, or it was added again).
    MeshStarted,
    /// The game disconnected this peer with force: gone, without an event.
    Forced(i32),
    Closed,
    Event(PeerEvent),
    Packet {
        from: i32,
    },
}

/// A message as it went onto the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub at: Duration,
    pub from: SteamId,
    pub to: SteamId,
    pub channel: i32,
    pub reliable: bool,
    pub bytes: Vec<u8>,
}

#[derive(Debug)]
struct InFlight {
    due: Duration,
    sequence: u64,
    message: Sent,
}

/// One game process.
pub struct Node {
    pub steam_id: SteamId,
    pub protocol: PeerProtocol,
    /// False: the game is frozen: it runs no frame, so it sends nothing and reads nothing; what is sent to it
    /// waits, as Steam keeps receiving for it.
    pub up: bool,
    /// Steam sessions this node accepted (or opened by sending).
    accepted: BTreeSet<SteamId>,
    /// Events not yet taken by the test.
    fresh: Vec<PeerEvent>,
    pub packets: Vec<Packet>,
    pub log: Vec<Entry>,
}

pub struct World {
    pub now: Duration,
    pub nodes: Vec<Node>,
    pub conditions: Conditions,
    rng: fastrand::Rng,
    in_flight: Vec<InFlight>,
    sequence: u64,
    /// Latest due time of reliable messages per (from, to, channel), so they stay in order.
    reliable_due: BTreeMap<(SteamId, SteamId, i32), Duration>,
    /// Directed links whose messages are all lost.
    cut: BTreeSet<(SteamId, SteamId)>,
    /// Every message sent, when recording.
    pub wire: Vec<Sent>,
    pub record: bool,
}

impl World {
    /// `count` idle nodes with the default configuration.
    pub fn new(count: usize, seed: u64, conditions: Conditions) -> Self {
        Self::with_config(count, seed, conditions, ProtocolConfig::default())
    }

    pub fn with_config(
        count: usize,
        seed: u64,
        conditions: Conditions,
        config: ProtocolConfig,
    ) -> Self {
        let nodes = (0..count)
            .map(|index| Node {
                steam_id: steam_id(index),
                protocol: PeerProtocol::new(
                    steam_id(index),
                    ProtocolConfig {
                        seed: Some(seed.wrapping_mul(1000).wrapping_add(index as u64)),
                        ..config.clone()
                    },
                )
                .expect("valid configuration"),
                up: true,
                accepted: BTreeSet::new(),
                fresh: Vec::new(),
                packets: Vec::new(),
                log: Vec::new(),
            })
            .collect();
        Self {
            // Not zero: nothing may mistake the start for "never".
            now: Duration::from_secs(1),
            nodes,
            conditions,
            rng: fastrand::Rng::with_seed(seed),
            in_flight: Vec::new(),
            sequence: 0,
            reliable_due: BTreeMap::new(),
            cut: BTreeSet::new(),
            wire: Vec::new(),
            record: false,
        }
    }

    pub fn host(&mut self, index: usize, max_clients: u32) -> Result<(), SetupError> {
        let now = self.now;
        let result = self.nodes[index].protocol.host(now, max_clients);
        if result.is_ok() {
            self.nodes[index].log.push(Entry::Started);
        }
        result
    }

    /// `create_mesh(unique_id)` on node `index`.
    pub fn mesh(&mut self, index: usize, unique_id: i64) -> Result<(), SetupError> {
        let now = self.now;
        let result = self.nodes[index].protocol.mesh(now, unique_id);
        if result.is_ok() {
            self.nodes[index].log.push(Entry::MeshStarted);
        }
        result
    }

    /// `add_mesh_peer` on node `index` for node `other` as peer `peer_id`, then a flush, as the driver does.
    pub fn add_mesh_peer(
        &mut self,
        index: usize,
        other: usize,
        peer_id: i32,
    ) -> Result<(), MeshError> {
        let now = self.now;
        let steam_id = self.nodes[other].steam_id;
        let result = self.nodes[index]
            .protocol
            .add_mesh_peer(now, steam_id, peer_id);
        self.flush(index);
        result
    }

    /// Node `i` becomes mesh peer `i + 1` and adds every other node as theirs.
    pub fn mesh_all(&mut self) {
        let count = self.nodes.len();
        for index in 0..count {
            self.mesh(index, index as i64 + 1).expect("mesh");
        }
        for index in 0..count {
            for other in (0..count).filter(|&other| other != index) {
                self.add_mesh_peer(index, other, other as i32 + 1)
                    .expect("add mesh peer");
            }
        }
    }

    pub fn client(&mut self, index: usize, host: usize) -> Result<(), SetupError> {
        let host = self.nodes[host].steam_id;
        self.client_of(index, host)
    }

    pub fn client_of(&mut self, index: usize, host: SteamId) -> Result<(), SetupError> {
        let now = self.now;
        let result = self.nodes[index].protocol.client(now, host);
        if result.is_ok() {
            self.nodes[index].log.push(Entry::Started);
        }
        self.flush(index);
        result
    }

    /// `close()`, then a flush, as the driver does.
    pub fn close(&mut self, index: usize) {
        let now = self.now;
        self.drain(index);
        self.nodes[index].protocol.close(now);
        self.nodes[index].log.push(Entry::Closed);
        self.flush(index);
    }

    pub fn disconnect(
        &mut self,
        index: usize,
        peer: i32,
        force: bool,
    ) -> Result<(), DisconnectError> {
        let now = self.now;
        self.drain(index);
        let result = self.nodes[index].protocol.disconnect_peer(now, peer, force);
        if force && result.is_ok() {
            self.nodes[index].log.push(Entry::Forced(peer));
        }
        self.flush(index);
        self.drain(index);
        result
    }

    pub fn send(
        &mut self,
        index: usize,
        target: i32,
        channel: u32,
        mode: TransferMode,
        payload: &[u8],
    ) -> Result<(), SendError> {
        let now = self.now;
        let result = self.nodes[index]
            .protocol
            .send(now, target, channel, mode, payload);
        self.flush(index);
        result
    }

    /// The game of node `index` crashed and started again: a fresh protocol, no BYE, no session state.
    pub fn restart(&mut self, index: usize) {
        let config = self.nodes[index].protocol.config().clone();
        let seed = config.seed.map(|seed| seed.wrapping_add(7919));
        let node = &mut self.nodes[index];
        node.protocol =
            PeerProtocol::new(node.steam_id, ProtocolConfig { seed, ..config }).expect("valid");
        node.accepted.clear();
        node.log.push(Entry::Closed);
    }

    /// Loses every message from `a` to `b` and from `b` to `a` from now on.
    pub fn cut(&mut self, a: usize, b: usize) {
        let (a, b) = (self.nodes[a].steam_id, self.nodes[b].steam_id);
        self.cut.insert((a, b));
        self.cut.insert((b, a));
    }

    /// Steam reports the session between `a` and `b` failed, on both sides.
    pub fn fail_session(&mut self, a: usize, b: usize) {
        let now = self.now;
        let (steam_a, steam_b) = (self.nodes[a].steam_id, self.nodes[b].steam_id);
        self.nodes[a].protocol.handle_session_failed(now, steam_b);
        self.nodes[b].protocol.handle_session_failed(now, steam_a);
        self.nodes[a].accepted.remove(&steam_b);
        self.nodes[b].accepted.remove(&steam_a);
        self.drain(a);
        self.drain(b);
    }

    /// Gives node `index` a message as if Steam delivered it from `from` (bypassing the network).
    pub fn inject(&mut self, index: usize, from: SteamId, channel: i32, bytes: &[u8]) {
        let now = self.now;
        self.nodes[index]
            .protocol
            .handle_packet(now, from, channel, bytes);
        self.drain(index);
    }

    /// One frame: the network delivers what is due, then every running node runs as its driver would.
    pub fn step(&mut self) {
        self.now += FRAME;
        let now = self.now;
        let mut due: Vec<InFlight> = Vec::new();
        let mut index = 0;
        // A frozen node's messages wait for it, as Steam keeps receiving for a game that does not read.
        let frozen: BTreeSet<SteamId> = self
            .nodes
            .iter()
            .filter(|n| !n.up)
            .map(|n| n.steam_id)
            .collect();
        while index < self.in_flight.len() {
            let message = &self.in_flight[index];
            if message.due <= now && !frozen.contains(&message.message.to) {
                due.push(self.in_flight.swap_remove(index));
            } else {
                index += 1;
            }
        }
        // Per receiver, as its driver reads: each data channel in turn, then the control channel, each in
        // arrival order.
        let control = self.nodes[0].protocol.config().base_channel;
        due.sort_by_key(|m| {
            let channel = m.message.channel;
            (m.message.to, channel == control, channel, m.due, m.sequence)
        });
        for in_flight in due {
            let message = in_flight.message;
            let Some(node) = self.nodes.iter_mut().find(|n| n.steam_id == message.to) else {
                continue;
            };
            if !node.accepted.contains(&message.from) {
                // Steam holds nothing for a session nobody accepts; dropping is close enough here.
                if !node.protocol.should_accept_session(message.from) {
                    continue;
                }
                node.accepted.insert(message.from);
            }
            node.protocol
                .handle_packet(now, message.from, message.channel, &message.bytes);
        }
        for index in 0..self.nodes.len() {
            if self.nodes[index].up {
                self.nodes[index].protocol.update(now);
                self.flush(index);
                self.drain(index);
            }
        }
    }

    /// Steps for `duration` of protocol time.
    pub fn run(&mut self, duration: Duration) {
        let end = self.now + duration;
        while self.now < end {
            self.step();
        }
    }

    /// Steps until `done` holds (true) or `limit` passed (false).
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&World) -> bool) -> bool {
        let end = self.now + limit;
        while self.now < end {
            if done(self) {
                return true;
            }
            self.step();
        }
        done(self)
    }

    /// The events node `index` reported since the last call.
    pub fn events(&mut self, index: usize) -> Vec<PeerEvent> {
        self.drain(index);
        std::mem::take(&mut self.nodes[index].fresh)
    }

    /// The packets node `index` received since the last call.
    pub fn packets(&mut self, index: usize) -> Vec<Packet> {
        self.drain(index);
        std::mem::take(&mut self.nodes[index].packets)
    }

    pub fn id(&self, index: usize) -> i32 {
        self.nodes[index].protocol.unique_id()
    }

    pub fn status(&self, index: usize) -> ConnectionStatus {
        self.nodes[index].protocol.connection_status()
    }

    /// Hosts on node 0 and connects nodes 1.. one after the other; returns their peer IDs by node index.
    pub fn connect_all(&mut self, max_clients: u32) -> Vec<i32> {
        self.host(0, max_clients).expect("host");
        for index in 1..self.nodes.len() {
            self.client(index, 0).expect("client");
            assert!(
                self.run_until(Duration::from_secs(5), |world| world.status(index)
                    == ConnectionStatus::Connected),
                "node {index} did not connect"
            );
        }
        // Let the last announcements arrive.
        self.run(Duration::from_millis(500));
        (0..self.nodes.len()).map(|index| self.id(index)).collect()
    }

    fn flush(&mut self, index: usize) {
        let now = self.now;
        let from = self.nodes[index].steam_id;
        let mut outgoing = Vec::new();
        self.nodes[index]
            .protocol
            .flush(&mut |to, channel, reliable, bytes| {
                outgoing.push((to, channel, reliable, bytes.to_vec()));
                true
            });
        if !self.nodes[index].up {
            return;
        }
        for (to, channel, reliable, bytes) in outgoing {
            // Sending to a user accepts their session, as on Steam.
            self.nodes[index].accepted.insert(to);
            let message = Sent {
                at: now,
                from,
                to,
                channel,
                reliable,
                bytes,
            };
            if self.record {
                self.wire.push(message.clone());
            }
            if self.cut.contains(&(from, to))
                || (!reliable && self.rng.f64() < self.conditions.loss)
            {
                continue;
            }
            let jitter = self.conditions.jitter.as_micros() as u64;
            let mut due =
                now + self.conditions.delay + Duration::from_micros(self.rng.u64(0..=jitter));
            if reliable {
                let last = self.reliable_due.entry((from, to, channel)).or_default();
                due = due.max(*last);
                *last = due;
            }
            self.sequence += 1;
            self.in_flight.push(InFlight {
                due,
                sequence: self.sequence,
                message,
            });
        }
    }

    fn drain(&mut self, index: usize) {
        let node = &mut self.nodes[index];
        while let Some(event) = node.protocol.next_event() {
            node.fresh.push(event);
            node.log.push(Entry::Event(event));
        }
        while let Some(packet) = node.protocol.peek_packet() {
            node.log.push(Entry::Packet { from: packet.from });
            node.packets.push(Packet {
                from: packet.from,
                channel: packet.channel,
                mode: packet.mode,
                payload: packet.payload.to_vec(),
            });
            node.protocol.pop_packet();
        }
    }

    /// Checks every node's log against the exactly-once rules; panics with the node and its log if broken.
    pub fn check_invariants(&self) {
        for (index, node) in self.nodes.iter().enumerate() {
            if let Err(problem) = check_log(&node.log) {
                panic!("node {index}: {problem}\nlog: {:?}", node.log);
            }
        }
    }

    /// Control packets of `kind` node `from` sent to node `to`, from the recording.
    pub fn count_sent(&self, from: usize, to: usize, kind: u8) -> usize {
        let (from, to) = (self.nodes[from].steam_id, self.nodes[to].steam_id);
        let base = self.nodes[0].protocol.config().base_channel;
        self.wire
            .iter()
            .filter(|m| {
                m.from == from && m.to == to && m.channel == base && m.bytes.first() == Some(&kind)
            })
            .count()
    }
}

/// The exactly-once rules over one node's log: within each run (from `Started` to `Closed` or the end of a
/// client's connection), each peer connects at most once and disconnects at most once, only after it
/// connected; at most one of each status event, in a possible order; nothing after the end; packets only from
/// connected peers.
pub fn check_log(log: &[Entry]) -> Result<(), String> {
    let mut connected: BTreeSet<i32> = BTreeSet::new();
    let mut ever: BTreeSet<i32> = BTreeSet::new();
    let mut succeeded = false;
    let mut running = false;
    let mut mesh = false;
    for (at, entry) in log.iter().enumerate() {
        match entry {
            Entry::Started | Entry::MeshStarted => {
                connected.clear();
                ever.clear();
                succeeded = false;
                running = true;
                mesh = *entry == Entry::MeshStarted;
            }
            Entry::Closed => running = false,
            Entry::Forced(id) => {
                connected.remove(id);
                if mesh {
                    ever.remove(id);
                }
            }
            Entry::Event(event) if !running => {
                return Err(format!("{event:?} at {at} outside a run"));
            }
            Entry::Event(PeerEvent::PeerConnected(id)) => {
                if !ever.insert(*id) {
                    return Err(format!("peer {id} connected twice (at {at})"));
                }
                connected.insert(*id);
            }
            Entry::Event(PeerEvent::PeerDisconnected(id)) => {
                if !connected.remove(id) {
                    return Err(format!(
                        "peer {id} disconnected without being connected (at {at})"
                    ));
                }
                if mesh {
                    ever.remove(id);
                }
            }
            Entry::Event(PeerEvent::ConnectionSucceeded) => {
                if mesh || succeeded || !connected.is_empty() {
                    return Err(format!("ConnectionSucceeded out of place at {at}"));
                }
                succeeded = true;
            }
            Entry::Event(PeerEvent::ConnectionFailed(_)) => {
                if mesh || succeeded || !connected.is_empty() {
                    return Err(format!("ConnectionFailed after connecting at {at}"));
                }
                running = false;
            }
            Entry::Event(PeerEvent::ServerDisconnected(_)) => {
                if mesh || !succeeded || !connected.is_empty() {
                    return Err(format!(
                        "ServerDisconnected with peers still connected at {at}"
                    ));
                }
                running = false;
            }
            Entry::Event(PeerEvent::MeshPeerFailed { peer, .. }) => {
                if connected.contains(peer) {
                    return Err(format!(
                        "connected peer {peer} failed its handshake at {at}"
                    ));
                }
            }
            Entry::Packet { from } => {
                if !connected.contains(from) {
                    return Err(format!("packet from {from}, not a connected peer, at {at}"));
                }
            }
        }
    }
    Ok(())
}

/// The control packet in `bytes`, for tests reading the wire.
pub fn control(bytes: &[u8]) -> Option<Control<'_>> {
    Control::decode(bytes).ok()
}

/// Encodes a control packet with one of [`wire`]'s encoders.
pub fn encoded(write: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut bytes = Vec::new();
    write(&mut bytes);
    bytes
}

/// A DATA packet's bytes.
pub fn data(mode: TransferMode, peer: i32, sequence: Option<u32>, payload: &[u8]) -> Vec<u8> {
    encoded(|out| {
        wire::encode_data_header(
            out,
            wire::DataHeader {
                mode,
                peer,
                sequence,
            },
        );
        out.extend_from_slice(payload);
    })
}
