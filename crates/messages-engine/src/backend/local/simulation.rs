//! Several local backends as separate processes on one [`MemoryNetwork`] and one [`ManualClock`]: the
//! world deterministic tests and the engine fuzz target run in. Processes can be killed and started again
//! on the same address, each run with its own seeded randomness.

use std::net::SocketAddr;
use std::time::Duration;

use super::LocalBackend;
use super::memory_network::{Conditions, ManualClock, MemoryEndpoint, MemoryNetwork};
use crate::backend::config::LocalConfig;
use crate::backend::{BackendEvent, MessagesBackend};
use crate::steam_types::{ConnectionState, SteamId};

/// A local backend on the in-memory network.
pub type SimulatedBackend = LocalBackend<MemoryEndpoint>;

/// Protocol time per [`Simulation::step`]: a frame of a game running at 1,000 fps, fine enough for ENet's
/// timers.
pub const STEP: Duration = Duration::from_millis(1);

/// The app ID every simulated process runs as.
const APP_ID: u32 = 480;

/// Processes with local IDs 1 to `count`, each configured with every other's address.
pub struct Simulation {
    pub clock: ManualClock,
    pub network: MemoryNetwork,
    /// Indexed by local ID (index 0 unused); `None` while that process is not running.
    backends: Vec<Option<SimulatedBackend>>,
    /// The events each process's polls produced and the test has not taken yet.
    pub events: Vec<Vec<BackendEvent>>,
    pub seed: u64,
    /// Runs started so far, so that every run of a process has its own randomness.
    runs: u64,
    /// Whether each process also runs its lobby links, on [`lobby_address`].
    lobbies: bool,
}

/// Where the process with local ID `local` listens.
pub fn address(local: usize) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 40_000 + local as u16))
}

/// Where the lobby links of the process with local ID `local` listen (announced in its presence).
pub fn lobby_address(local: usize) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 41_000 + local as u16))
}

/// The Steam ID of the process with local ID `local`.
pub fn id(local: usize) -> SteamId {
    LocalConfig::steam_id_of(local as u32)
}

impl Simulation {
    /// `count` running processes on a network with `conditions`; every random choice follows `seed`.
    pub fn new(count: usize, seed: u64, conditions: Conditions) -> Self {
        Self::build(count, seed, conditions, false)
    }

    /// As [`Self::new`], each process with its lobby links too, as `LocalBackend::open` makes it for a game
    /// (left out elsewhere: three more ENet hosts of 512 slots each would slow the fuzz target).
    pub fn with_lobbies(count: usize, seed: u64, conditions: Conditions) -> Self {
        Self::build(count, seed, conditions, true)
    }

    fn build(count: usize, seed: u64, conditions: Conditions, lobbies: bool) -> Self {
        // Beyond that, lobby addresses would be other processes' addresses.
        assert!(count < 1_000, "a simulation has fewer than 1,000 processes");
        let clock = ManualClock::new();
        // Not zero: nothing may mistake the start for "never".
        clock.advance(Duration::from_secs(1));
        let network = MemoryNetwork::new(clock.clock(), seed);
        network.set_conditions(conditions);
        let mut simulation = Self {
            clock,
            network,
            backends: (0..=count).map(|_| None).collect(),
            events: vec![Vec::new(); count + 1],
            seed,
            runs: 0,
            lobbies,
        };
        for local in 1..=count {
            simulation.start(local);
        }
        simulation
    }

    /// How many processes the simulation has room for.
    pub fn count(&self) -> usize {
        self.backends.len() - 1
    }

    /// Starts the process with local ID `local` (again, if it ran before); false if it is running.
    pub fn start(&mut self, local: usize) -> bool {
        self.start_named(local, None)
    }

    /// As [`Self::start`], its player named `persona_name` (else the default name).
    pub fn start_named(&mut self, local: usize, persona_name: Option<&str>) -> bool {
        if self.backends.get(local).is_none_or(Option::is_some) || local == 0 {
            return false;
        }
        self.runs += 1;
        let config = LocalConfig {
            local_id: Some(local as u32),
            peers: (1..=self.count())
                .filter(|&other| other != local)
                .map(|other| (id(other), address(other)))
                .collect(),
            app_id: APP_ID,
            seed: Some(self.seed.wrapping_mul(1_000_003).wrapping_add(self.runs)),
            persona_name: persona_name.map(str::to_owned),
            ..LocalConfig::default()
        };
        let Ok(socket) = self.network.bind(address(local)) else {
            return false;
        };
        let Ok(mut backend) =
            LocalBackend::with_socket(id(local), socket, config, self.clock.clock())
        else {
            return false;
        };
        if self.lobbies {
            let Ok(lobby_socket) = self.network.bind(lobby_address(local)) else {
                return false;
            };
            let Ok(with_lobbies) = backend.with_lobby_socket(lobby_socket) else {
                return false;
            };
            backend = with_lobbies;
        }
        self.backends[local] = Some(backend);
        self.events[local].clear();
        true
    }

    /// Ends the process with local ID `local` as a kill does: without a word to its peers.
    pub fn kill(&mut self, local: usize) {
        if let Some(backend) = self.backends.get_mut(local).and_then(Option::take) {
            backend.vanish();
        }
    }

    pub fn is_running(&self, local: usize) -> bool {
        self.backends.get(local).is_some_and(Option::is_some)
    }

    /// The process with local ID `local`, if it runs.
    pub fn backend(&mut self, local: usize) -> Option<&mut SimulatedBackend> {
        self.backends.get_mut(local).and_then(Option::as_mut)
    }

    pub fn now(&self) -> Duration {
        self.clock.now()
    }

    /// Advances protocol time by one [`STEP`] and lets every running process do a frame's work.
    pub fn step(&mut self) {
        self.clock.advance(STEP);
        for (backend, events) in self.backends.iter_mut().zip(&mut self.events) {
            if let Some(backend) = backend {
                backend.poll(events);
            }
        }
    }

    /// Steps through `duration` of protocol time.
    pub fn run_for(&mut self, duration: Duration) {
        for _ in 0..duration.as_millis() / STEP.as_millis() {
            self.step();
        }
    }

    /// Steps until `done`; false if `limit` of protocol time passed first.
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&mut Self) -> bool) -> bool {
        let start = self.now();
        while !done(self) {
            if self.now() - start >= limit {
                return false;
            }
            self.step();
        }
        true
    }

    /// The events of `local` not taken yet.
    pub fn take_events(&mut self, local: usize) -> Vec<BackendEvent> {
        self.events
            .get_mut(local)
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// `local`'s session state with `remote` (`NONE` if `local` is not running).
    pub fn state(&mut self, local: usize, remote: usize) -> ConnectionState {
        self.backend(local)
            .map_or(ConnectionState::NONE, |backend| {
                backend.session_connection_info(id(remote)).state
            })
    }

    /// Every payload waiting for `local` on `channel`, oldest first, with its sender.
    pub fn receive_from(&mut self, local: usize, channel: i32) -> Vec<(SteamId, Vec<u8>)> {
        let mut messages = Vec::new();
        if let Some(backend) = self.backend(local) {
            backend.receive_messages_on_channel(channel, usize::MAX, &mut |message| {
                messages.push((message.sender, message.payload.to_vec()))
            });
        }
        messages
    }

    /// Every payload waiting for `local` on `channel`, oldest first.
    pub fn receive(&mut self, local: usize, channel: i32) -> Vec<Vec<u8>> {
        self.receive_from(local, channel)
            .into_iter()
            .map(|(_, payload)| payload)
            .collect()
    }
}
