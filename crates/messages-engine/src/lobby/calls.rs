//! The game's lobby calls as GodotSteam makes them (no time, no peer list): [`Lobbies`] fills in what the
//! protocol needs from what its driver saw at its last poll.

use std::ops::{Deref, DerefMut};
use std::time::Duration;

use super::LobbyProtocol;
use crate::steam_types::SteamId;

/// One instance's lobbies, as a backend offers them to the game.
#[derive(Debug)]
pub struct Lobbies {
    protocol: LobbyProtocol,
    now: Duration,
    visible: Vec<SteamId>,
}

impl Lobbies {
    pub fn new(protocol: LobbyProtocol) -> Self {
        Self {
            protocol,
            now: Duration::ZERO,
            visible: Vec::new(),
        }
    }

    /// The driver's view at its last poll: the time, and the instances a search or a join may ask.
    pub fn set_context(&mut self, now: Duration, visible: Vec<SteamId>) {
        self.now = now;
        self.visible = visible;
    }

    /// `joinLobby`.
    pub fn join_lobby(&mut self, lobby: SteamId) {
        self.protocol.join(self.now, lobby, &self.visible);
    }

    /// `requestLobbyList`.
    pub fn request_lobby_list(&mut self) {
        self.protocol.request_list(self.now, &self.visible);
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
