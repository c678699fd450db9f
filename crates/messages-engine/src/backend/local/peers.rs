//! What the local backend knows about each remote Steam ID, in one record: its session and the ENet
//! connections that carry it. The two are created and dropped together, so no connection outlives the
//! session it belongs to and no look-up finds one without the other.

use std::time::Duration;

use foldhash::HashMap;
use rusty_enet::PeerID;

use super::session::Session;
use crate::steam_types::SteamId;

/// The two connections of one session: ours (we send over it) and the peer's (it sends over it).
#[derive(Debug, Default, Clone, Copy)]
pub struct Links {
    pub outgoing: Option<PeerID>,
    pub incoming: Option<PeerID>,
}

impl Links {
    /// Both connections that exist.
    pub fn all(&self) -> impl Iterator<Item = PeerID> {
        [self.outgoing, self.incoming].into_iter().flatten()
    }
}

/// One remote user: the session with it and its connections.
#[derive(Debug)]
pub struct Peer {
    pub session: Session,
    pub links: Links,
}

/// Every remote user the backend holds a session with.
#[derive(Debug, Default)]
pub struct Peers {
    by_id: HashMap<SteamId, Peer>,
}

impl Peers {
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn contains(&self, remote: &SteamId) -> bool {
        self.by_id.contains_key(remote)
    }

    pub fn get(&self, remote: &SteamId) -> Option<&Peer> {
        self.by_id.get(remote)
    }

    pub fn get_mut(&mut self, remote: &SteamId) -> Option<&mut Peer> {
        self.by_id.get_mut(remote)
    }

    pub fn session(&self, remote: &SteamId) -> Option<&Session> {
        self.by_id.get(remote).map(|peer| &peer.session)
    }

    pub fn session_mut(&mut self, remote: &SteamId) -> Option<&mut Session> {
        self.by_id.get_mut(remote).map(|peer| &mut peer.session)
    }

    /// The connections of `remote`'s session (none if there is no session).
    pub fn links(&self, remote: &SteamId) -> Links {
        self.by_id
            .get(remote)
            .map(|peer| peer.links)
            .unwrap_or_default()
    }

    /// `remote`'s record, with a fresh session if it had none.
    pub fn open(&mut self, remote: SteamId, now: Duration) -> &mut Peer {
        self.by_id.entry(remote).or_insert_with(|| Peer {
            session: Session::new(remote, now),
            links: Links::default(),
        })
    }

    pub fn remove(&mut self, remote: &SteamId) -> Option<Peer> {
        self.by_id.remove(remote)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&SteamId, &Peer)> {
        self.by_id.iter()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&SteamId, &mut Peer)> {
        self.by_id.iter_mut()
    }

    /// Requests nobody answered yet: sessions a peer opened that we neither accepted nor sent on.
    pub fn pending_requests(&self) -> usize {
        self.by_id
            .values()
            .filter(|peer| !peer.session.accepted_locally && peer.session.sending_since.is_none())
            .count()
    }
}
