//! The lobby protocol's links: one ENet connection per pair of instances, on a socket of the lobby's own, so
//! lobby traffic never mixes with Networking Messages sessions (a lobby link is no session: nobody accepts
//! it, and closing a session leaves lobbies alone).
//!
//! The side that dials first says HELLO (its Steam ID and the one it dials); the other side believes the
//! claim only if the connection comes from the lobby address that user announces, so an instance cannot
//! speak for another. Then each packet is one [`LobbyMessage`]. Messages to a user wait while its link
//! connects; a link that ends (disconnected, timed out, never connected) is reported once as lost.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rusty_enet::{Host, HostSettings, Packet, PeerID, Socket};

use super::wire::{self, LobbyMessage};
use crate::steam_types::SteamId;

/// Largest lobby packet: a snapshot of a full lobby with all its data fits several times over.
pub const MAX_PACKET_BYTES: usize = 4 * 1024 * 1024;
/// Most links at once: every same-machine instance and configured peer, with room to spare.
pub const MAX_LINKS: usize = 512;
/// ENet's timeouts for a lobby link (limit, minimum ms, maximum ms): a vanished instance leaves its
/// lobbies within seconds, as a Steam user who lost their connection does.
const LINK_TIMEOUT: (u32, u32, u32) = (32, 3_000, 5_000);
const TAG_HELLO: u8 = 0;
const TAG_MESSAGE: u8 = 1;
const HELLO_LEN: usize = 1 + 8 + 8;
/// Messages waiting for one link to connect, at most: a peer that never answers cannot grow them for ever.
const MAX_WAITING: usize = 1024;
/// Longest a closing instance waits for its links to take their last packets and goodbye.
pub const GOODBYE_PATIENCE: Duration = Duration::from_millis(250);
/// How long a connection may stay unnamed (no HELLO) before it is closed: nobody holds link slots by
/// connecting and saying nothing.
const HELLO_TIMEOUT: Duration = Duration::from_secs(5);

/// What the links bring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkEvent {
    Message {
        from: SteamId,
        message: LobbyMessage,
    },
    /// The link with `user` ended; messages to it open a new one.
    Lost { user: SteamId },
}

#[derive(Debug)]
enum Link {
    /// We dialed `user`; messages wait until it connects.
    Dialing {
        user: SteamId,
        waiting: Vec<Vec<u8>>,
    },
    /// Someone dialed us (at this time) and has not said who it is yet.
    Unnamed {
        since: Duration,
    },
    /// Someone dialed us and says it is `user`, whose presence has not told us where it takes lobby links
    /// yet (announcements come once a second): what it sends waits until the claim can be checked, or until
    /// [`HELLO_TIMEOUT`] after it dialed.
    Claimed {
        user: SteamId,
        since: Duration,
        held: Vec<Vec<u8>>,
    },
    Ready {
        user: SteamId,
    },
}

/// The lobby links of one instance.
pub struct LobbyLinks<S: Socket<Address = SocketAddr>> {
    host: Host<S>,
    me: SteamId,
    links: HashMap<PeerID, Link>,
    /// The link each user's messages go over (a user may also have dialed us: both links are its).
    by_user: HashMap<SteamId, PeerID>,
    /// Users a message could not go to (no address, no free link, too much waiting): reported lost at the
    /// next poll, so the protocol never waits for an answer to a message that never left.
    unreachable: Vec<SteamId>,
    time: Arc<dyn Fn() -> Duration + Send + Sync>,
    local_address: Option<SocketAddr>,
    /// Say goodbye when dropped (not when simulating a killed process).
    goodbye: bool,
}

impl<S: Socket<Address = SocketAddr>> LobbyLinks<S> {
    /// Links of user `me` over `socket` (bound at `local_address`), on `time`'s clock.
    pub fn new(
        socket: S,
        local_address: SocketAddr,
        me: SteamId,
        time: impl Fn() -> Duration + Send + Sync + 'static,
        seed: Option<u64>,
    ) -> Result<Self, String> {
        let time: Arc<dyn Fn() -> Duration + Send + Sync> = Arc::new(time);
        let host_time = Arc::clone(&time);
        let mut host = Host::new(
            socket,
            HostSettings {
                peer_limit: MAX_LINKS,
                channel_limit: 1,
                time: Box::new(move || host_time()),
                checksum: Some(Box::new(crate::backend::local::ENET_CHECKSUM)),
                seed: seed.map(|seed| seed as u32),
                ..HostSettings::default()
            },
        )
        .map_err(|error| format!("cannot start the lobby links: {error:?}"))?;
        host.set_maximum_packet_size(MAX_PACKET_BYTES)
            .map_err(|error| format!("{error:?}"))?;
        Ok(Self {
            host,
            me,
            links: HashMap::new(),
            by_user: HashMap::new(),
            unreachable: Vec::new(),
            time,
            local_address: Some(local_address),
            goodbye: true,
        })
    }

    /// Sends `message` to `to`, dialing `address` (its lobby address) first if there is no link.
    pub fn send(&mut self, to: SteamId, address: Option<SocketAddr>, message: &LobbyMessage) {
        let mut bytes = Vec::with_capacity(64);
        bytes.push(TAG_MESSAGE);
        bytes.extend_from_slice(&wire::encode(message));
        if bytes.len() > MAX_PACKET_BYTES {
            log::warn!("lobby: a message to {to} is past {MAX_PACKET_BYTES} bytes; not sent");
            return;
        }
        if let Some(&peer) = self.by_user.get(&to) {
            match self.links.get_mut(&peer) {
                Some(Link::Dialing { waiting, .. }) if waiting.len() < MAX_WAITING => {
                    waiting.push(bytes)
                }
                Some(Link::Ready { .. }) => self.send_bytes(peer, &bytes),
                _ => {
                    log::warn!("lobby: {to} does not take messages; its link is closed");
                    self.unreachable.push(to);
                }
            }
            return;
        }
        let Some(address) = address else {
            log::warn!("lobby: no address for {to}; a message to it is dropped");
            self.unreachable.push(to);
            return;
        };
        match self.host.connect(address, 1, 0) {
            Ok(peer) => {
                peer.set_timeout(LINK_TIMEOUT.0, LINK_TIMEOUT.1, LINK_TIMEOUT.2);
                let id = peer.id();
                self.links.insert(
                    id,
                    Link::Dialing {
                        user: to,
                        waiting: vec![bytes],
                    },
                );
                self.by_user.insert(to, id);
            }
            Err(_) => {
                log::warn!("lobby: no free link for {to}; a message to it is dropped");
                self.unreachable.push(to);
            }
        }
    }

    /// Where the links listen.
    pub fn local_address(&self) -> Option<SocketAddr> {
        self.local_address
    }

    /// Ends without a word, as a killed process does (for tests of what the others see).
    pub fn vanish(mut self) {
        self.goodbye = false;
    }

    /// Sends what is queued now rather than at the next poll.
    pub fn flush(&mut self) {
        self.host.flush();
    }

    /// Takes what arrived; `lobby_address_of` says where each user's lobby links come from.
    pub fn poll(
        &mut self,
        lobby_address_of: impl Fn(SteamId) -> Option<SocketAddr>,
        events: &mut Vec<LinkEvent>,
    ) {
        for user in std::mem::take(&mut self.unreachable) {
            self.close_user(user, events);
        }
        let now = (self.time)();
        let silent: Vec<PeerID> = self
            .links
            .iter()
            .filter(|(_, link)| {
                matches!(link, Link::Unnamed { since } if now.saturating_sub(*since) >= HELLO_TIMEOUT)
            })
            .map(|(&peer, _)| peer)
            .collect();
        for peer in silent {
            self.drop_link(peer);
        }
        let claims: Vec<PeerID> = self
            .links
            .iter()
            .filter(|(_, link)| matches!(link, Link::Claimed { .. }))
            .map(|(&peer, _)| peer)
            .collect();
        for peer in claims {
            self.check_claim(peer, now, &lobby_address_of, events);
        }
        loop {
            let event = match self.host.service() {
                Ok(Some(event)) => event.no_ref(),
                Ok(None) => break,
                Err(error) => {
                    log::warn!("lobby links: socket error: {error:?}");
                    break;
                }
            };
            match event {
                rusty_enet::EventNoRef::Connect { peer, .. } => self.on_connect(peer),
                rusty_enet::EventNoRef::Disconnect { peer, .. } => self.on_disconnect(peer, events),
                rusty_enet::EventNoRef::Receive { peer, packet, .. } => {
                    self.on_packet(peer, packet.data(), &lobby_address_of, events)
                }
            }
        }
    }

    fn on_connect(&mut self, peer: PeerID) {
        match self.links.get_mut(&peer) {
            Some(Link::Dialing { user, waiting }) => {
                let (user, waiting) = (*user, std::mem::take(waiting));
                self.links.insert(peer, Link::Ready { user });
                let mut hello = Vec::with_capacity(HELLO_LEN);
                hello.push(TAG_HELLO);
                hello.extend_from_slice(&self.me.0.to_le_bytes());
                hello.extend_from_slice(&user.0.to_le_bytes());
                self.send_bytes(peer, &hello);
                for bytes in waiting {
                    self.send_bytes(peer, &bytes);
                }
            }
            _ => {
                let since = (self.time)();
                self.links.insert(peer, Link::Unnamed { since });
                self.host.peer_mut(peer).set_timeout(
                    LINK_TIMEOUT.0,
                    LINK_TIMEOUT.1,
                    LINK_TIMEOUT.2,
                );
            }
        }
    }

    fn on_disconnect(&mut self, peer: PeerID, events: &mut Vec<LinkEvent>) {
        match self.links.remove(&peer) {
            Some(Link::Dialing { user, .. } | Link::Ready { user }) => {
                self.close_user(user, events)
            }
            Some(Link::Unnamed { .. } | Link::Claimed { .. }) | None => {}
        }
    }

    /// Ends every link with `user` (ours and the one it dialed) and reports it lost, once.
    fn close_user(&mut self, user: SteamId, events: &mut Vec<LinkEvent>) {
        let peers: Vec<PeerID> = self
            .links
            .iter()
            .filter(|(_, link)| matches!(link, Link::Dialing { user: u, .. } | Link::Ready { user: u } if *u == user))
            .map(|(&peer, _)| peer)
            .collect();
        for peer in peers {
            self.drop_link(peer);
        }
        let had_link = self.by_user.remove(&user).is_some();
        if had_link && !events.contains(&LinkEvent::Lost { user }) {
            events.push(LinkEvent::Lost { user });
        }
    }

    fn on_packet(
        &mut self,
        peer: PeerID,
        bytes: &[u8],
        lobby_address_of: &impl Fn(SteamId) -> Option<SocketAddr>,
        events: &mut Vec<LinkEvent>,
    ) {
        match (self.links.get(&peer), bytes.first()) {
            (Some(Link::Unnamed { .. }), Some(&TAG_HELLO)) if bytes.len() == HELLO_LEN => {
                let from = SteamId(u64::from_le_bytes(
                    bytes[1..9].try_into().unwrap_or_default(),
                ));
                let to = SteamId(u64::from_le_bytes(
                    bytes[9..17].try_into().unwrap_or_default(),
                ));
                let Some(Link::Unnamed { since }) = self.links.get(&peer) else {
                    return;
                };
                if to != self.me || !from.is_valid() {
                    log::warn!("lobby: refused a link whose HELLO names {from} to {to}");
                    self.drop_link(peer);
                    return;
                }
                let since = *since;
                self.links.insert(
                    peer,
                    Link::Claimed {
                        user: from,
                        since,
                        held: Vec::new(),
                    },
                );
                self.check_claim(peer, (self.time)(), lobby_address_of, events);
            }
            (Some(Link::Claimed { .. }), Some(&TAG_MESSAGE)) => {
                if let Some(Link::Claimed { held, .. }) = self.links.get_mut(&peer)
                    && held.len() < MAX_WAITING
                {
                    held.push(bytes.to_vec());
                } else {
                    log::warn!("lobby: an unconfirmed link sent too much; link closed");
                    self.drop_link(peer);
                }
            }
            (Some(&Link::Ready { user }), _) => self.on_message_bytes(peer, user, bytes, events),
            _ => {
                log::warn!("lobby: a link sent a packet out of turn; link closed");
                self.lose(peer, events);
            }
        }
    }

    /// A link that says it is a user: believed once that user's presence says its lobby links come from the
    /// link's address (then what it sent meanwhile is delivered), refused if the presence names another
    /// address, or if none comes in [`HELLO_TIMEOUT`].
    fn check_claim(
        &mut self,
        peer: PeerID,
        now: Duration,
        lobby_address_of: &impl Fn(SteamId) -> Option<SocketAddr>,
        events: &mut Vec<LinkEvent>,
    ) {
        let Some(Link::Claimed { user, since, .. }) = self.links.get(&peer) else {
            return;
        };
        let (user, since) = (*user, *since);
        let address = self.host.peer_mut(peer).address();
        match lobby_address_of(user) {
            Some(announced) if Some(announced) == address => {
                let Some(Link::Claimed { held, .. }) =
                    self.links.insert(peer, Link::Ready { user })
                else {
                    return;
                };
                // Answers go back over the link the user opened, unless ours is already up.
                self.by_user.entry(user).or_insert(peer);
                for bytes in held {
                    self.on_message_bytes(peer, user, &bytes, events);
                }
            }
            None if now.saturating_sub(since) < HELLO_TIMEOUT => {}
            announced => {
                log::warn!(
                    "lobby: refused a link claiming to be {user} from {address:?}: {user} announces its lobbies at {announced:?}"
                );
                self.drop_link(peer);
            }
        }
    }

    fn on_message_bytes(
        &mut self,
        peer: PeerID,
        user: SteamId,
        bytes: &[u8],
        events: &mut Vec<LinkEvent>,
    ) {
        if !matches!(self.links.get(&peer), Some(Link::Ready { .. })) {
            return;
        }
        match bytes.split_first() {
            Some((&TAG_MESSAGE, body)) => match wire::decode(body) {
                Ok(message) => events.push(LinkEvent::Message {
                    from: user,
                    message,
                }),
                Err(error) => {
                    log::warn!("lobby: {user} sent a bad message ({error}); link closed");
                    self.close_user(user, events);
                }
            },
            _ => {
                log::warn!("lobby: {user} sent a packet out of turn; link closed");
                self.close_user(user, events);
            }
        }
    }

    fn lose(&mut self, peer: PeerID, events: &mut Vec<LinkEvent>) {
        match self.links.get(&peer) {
            Some(&(Link::Ready { user } | Link::Dialing { user, .. })) => {
                self.close_user(user, events)
            }
            _ => self.drop_link(peer),
        }
    }

    fn drop_link(&mut self, peer: PeerID) {
        self.links.remove(&peer);
        self.host.peer_mut(peer).disconnect_now(0);
    }

    fn send_bytes(&mut self, peer: PeerID, bytes: &[u8]) {
        let packet = Packet::reliable(bytes);
        if let Some(enet_peer) = self.host.get_peer_mut(peer)
            && enet_peer.send(0, &packet).is_err()
        {
            log::warn!("lobby: ENet refused a packet of {} bytes", bytes.len());
        }
    }
}

impl<S: Socket<Address = SocketAddr>> Drop for LobbyLinks<S> {
    /// Leaving says goodbye on every link, after what is queued (an owner's hand-over, say) was received:
    /// ENet drops packets still undelivered when a disconnection overtakes them. Waits at most
    /// [`GOODBYE_PATIENCE`], then closes what is left at once.
    fn drop(&mut self) {
        let peers: Vec<PeerID> = self.links.keys().copied().collect();
        if peers.is_empty() || !self.goodbye {
            return;
        }
        for &peer in &peers {
            self.host.peer_mut(peer).disconnect_later(0);
        }
        let deadline = std::time::Instant::now() + GOODBYE_PATIENCE;
        while std::time::Instant::now() < deadline
            && peers.iter().any(|&peer| {
                self.host
                    .get_peer_mut(peer)
                    .is_some_and(|peer| peer.state() != rusty_enet::PeerState::Disconnected)
            })
        {
            while let Ok(Some(_)) = self.host.service() {}
            std::thread::sleep(Duration::from_millis(1));
        }
        for peer in peers {
            self.host.peer_mut(peer).disconnect_now(0);
        }
    }
}
