//! The game's lobby calls as GodotSteam makes them (no time, no peer list): [`Lobbies`] fills in what the
//! protocol needs from what its driver saw at its last poll.
//!
//! Steam's lobby directory is a server, ready when Steam is; ours is the instances in sight, which announce
//! themselves once a second. A search or a join by ID made before the driver heard a full round of
//! announcements (a game that searches right after `steamInitEx`, as most do) waits for it, rather than
//! asking nobody and finding nothing.

use std::ops::{Deref, DerefMut};
use std::time::Duration;

use super::LobbyProtocol;
use super::search::Filters;
use crate::steam_types::SteamId;

/// A call held until discovery has had its round.
#[derive(Debug)]
enum Deferred {
    Search(Filters),
    Join(SteamId),
}

/// One instance's lobbies, as a backend offers them to the game.
#[derive(Debug)]
pub struct Lobbies {
    protocol: LobbyProtocol,
    now: Duration,
    visible: Vec<SteamId>,
    discovered: bool,
    deferred: Vec<Deferred>,
}

impl Lobbies {
    pub fn new(protocol: LobbyProtocol) -> Self {
        Self {
            protocol,
            now: Duration::ZERO,
            visible: Vec::new(),
            discovered: false,
            deferred: Vec::new(),
        }
    }

    /// The driver's view at its poll: the time, the instances a search or a join may ask, and whether it
    /// has heard a full round of announcements (calls made before then run now).
    pub fn set_context(&mut self, now: Duration, visible: Vec<SteamId>, discovered: bool) {
        self.now = now;
        self.visible = visible;
        self.discovered = discovered;
        if discovered {
            for call in std::mem::take(&mut self.deferred) {
                match call {
                    Deferred::Search(filters) => {
                        self.protocol
                            .request_list_with(self.now, &self.visible, filters)
                    }
                    Deferred::Join(lobby) => self.protocol.join(self.now, lobby, &self.visible),
                }
            }
        }
    }

    /// The time at a poll that did not refresh the rest of the context.
    pub fn set_now(&mut self, now: Duration) {
        self.now = now;
    }

    /// The time at the driver's last poll.
    pub fn now(&self) -> Duration {
        self.now
    }

    /// `joinLobby`.
    pub fn join_lobby(&mut self, lobby: SteamId) {
        if self.discovered {
            self.protocol.join(self.now, lobby, &self.visible);
        } else {
            self.deferred.push(Deferred::Join(lobby));
        }
    }

    /// `requestLobbyData`.
    pub fn request_lobby_data(&mut self, lobby: SteamId) {
        self.protocol.request_data(self.now, lobby, &self.visible);
    }

    /// `requestLobbyList`.
    pub fn request_lobby_list(&mut self) {
        let filters = self.protocol.take_filters();
        if self.discovered {
            self.protocol
                .request_list_with(self.now, &self.visible, filters);
        } else {
            // A later search replaces this one, as on Steam.
            self.deferred
                .retain(|call| !matches!(call, Deferred::Search(_)));
            self.deferred.push(Deferred::Search(filters));
        }
    }
}

impl Deref for Lobbies {
    type Target = LobbyProtocol;

    fn deref(&self) -> &LobbyProtocol {
        &self.protocol
    }
}

impl DerefMut for Lobbies {
    fn deref_mut(&mut self) -> &mut LobbyProtocol {
        &mut self.protocol
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lobby::wire::LobbyMessage;

    fn user(index: u64) -> SteamId {
        SteamId(SteamId::INDIVIDUAL_PUBLIC_BASE + index)
    }

    #[test]
    fn a_search_before_discovery_asks_everyone_heard_by_then() {
        let mut lobbies = Lobbies::new(LobbyProtocol::new(user(1), 1));
        lobbies.set_context(Duration::ZERO, Vec::new(), false);
        lobbies.filters_mut().add_slots_available(2);
        lobbies.request_lobby_list();
        assert!(lobbies.next_outgoing().is_none(), "nobody is asked yet");
        assert!(lobbies.next_event().is_none(), "and nothing is reported");
        lobbies.set_context(Duration::from_secs(2), vec![user(2), user(3)], true);
        let asked: Vec<SteamId> = std::iter::from_fn(|| lobbies.next_outgoing())
            .filter(|(_, message)| matches!(message, LobbyMessage::ListRequest { .. }))
            .map(|(to, _)| to)
            .collect();
        assert_eq!(asked.len(), 2);
        assert_eq!(
            lobbies.take_filters(),
            Filters::default(),
            "the search took its filters"
        );
    }

    #[test]
    fn a_join_by_id_before_discovery_waits_for_it() {
        let mut lobbies = Lobbies::new(LobbyProtocol::new(user(1), 1));
        lobbies.set_context(Duration::ZERO, Vec::new(), false);
        lobbies.join_lobby(crate::lobby::lobby_id(7));
        assert!(
            lobbies.next_event().is_none(),
            "not DOESNT_EXIST before anyone could be asked"
        );
        lobbies.set_context(Duration::from_secs(2), vec![user(2)], true);
        assert!(matches!(
            lobbies.next_outgoing(),
            Some((to, LobbyMessage::Locate { .. })) if to == user(2)
        ));
    }
}
