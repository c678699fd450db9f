//! An in-memory datagram network and a manual clock, so that whole local backends (their session rules and
//! ENet under them) run deterministically in tests: nothing reads the system clock, every random choice is
//! seeded, and a fault found once replays exactly from its seed.
//!
//! The network can lose, duplicate, delay and reorder datagrams (jitter), and cut the link between two
//! addresses; a process that ends frees its address, as a killed process frees its UDP port.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rusty_enet::SocketOptions;

use super::transport::{Clock, Datagrams};

/// A clock that moves only when told to.
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    nanos: Arc<AtomicU64>,
}

impl ManualClock {
    pub fn new() -> Self {
        Self::default()
    }

    /// This clock as the backends and ENet read it.
    pub fn clock(&self) -> Clock {
        let nanos = self.nanos.clone();
        Arc::new(move || Duration::from_nanos(nanos.load(Ordering::Relaxed)))
    }

    pub fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Relaxed))
    }

    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.nanos.fetch_add(by, Ordering::Relaxed);
    }
}

/// What the network does to every datagram.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Conditions {
    /// Chance (0 to 1) that a datagram is lost.
    pub loss: f64,
    /// Chance (0 to 1) that a datagram arrives twice.
    pub duplicate: f64,
    /// Time every datagram takes.
    pub delay: Duration,
    /// Up to this much more, chosen per datagram: datagrams overtake one another.
    pub jitter: Duration,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct InFlight {
    due: Duration,
    sequence: u64,
    from: SocketAddr,
    to: SocketAddr,
    bytes: Vec<u8>,
}

/// What the network did, for tests to check that it did something.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetworkCounts {
    pub sent: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub delivered: u64,
    /// Arrived at an address nobody listens on.
    pub undeliverable: u64,
}

struct NetworkState {
    clock: Clock,
    rng: fastrand::Rng,
    conditions: Conditions,
    /// Directed pairs whose datagrams are all lost.
    cut: HashSet<(SocketAddr, SocketAddr)>,
    in_flight: BinaryHeap<Reverse<InFlight>>,
    inboxes: HashMap<SocketAddr, VecDeque<(SocketAddr, Vec<u8>)>>,
    sequence: u64,
    counts: NetworkCounts,
    /// Every datagram sent while recording (before loss), to replay later as stale or forged traffic.
    recorded: Option<Vec<Datagram>>,
}

/// A datagram as sent: from, to, bytes.
pub type Datagram = (SocketAddr, SocketAddr, Vec<u8>);

impl NetworkState {
    fn send(&mut self, from: SocketAddr, to: SocketAddr, bytes: &[u8]) {
        self.counts.sent += 1;
        if let Some(recorded) = &mut self.recorded {
            recorded.push((from, to, bytes.to_vec()));
        }
        if self.cut.contains(&(from, to)) || self.rng.f64() < self.conditions.loss {
            self.counts.lost += 1;
            return;
        }
        let copies = if self.rng.f64() < self.conditions.duplicate {
            self.counts.duplicated += 1;
            2
        } else {
            1
        };
        for _ in 0..copies {
            let jitter = self.conditions.jitter.as_nanos() as u64;
            let extra = if jitter == 0 {
                0
            } else {
                self.rng.u64(0..=jitter)
            };
            self.sequence += 1;
            self.in_flight.push(Reverse(InFlight {
                due: (self.clock)() + self.conditions.delay + Duration::from_nanos(extra),
                sequence: self.sequence,
                from,
                to,
                bytes: bytes.to_vec(),
            }));
        }
    }

    /// Moves the datagrams whose time has come into their receivers' queues.
    fn deliver_due(&mut self) {
        let now = (self.clock)();
        while self
            .in_flight
            .peek()
            .is_some_and(|Reverse(datagram)| datagram.due <= now)
        {
            let Some(Reverse(datagram)) = self.in_flight.pop() else {
                break;
            };
            match self.inboxes.get_mut(&datagram.to) {
                Some(inbox) => {
                    self.counts.delivered += 1;
                    inbox.push_back((datagram.from, datagram.bytes));
                }
                None => self.counts.undeliverable += 1,
            }
        }
    }
}

/// A network of in-memory endpoints sharing one clock. Cloning gives another handle to the same network.
#[derive(Clone)]
pub struct MemoryNetwork {
    state: Rc<RefCell<NetworkState>>,
}

impl MemoryNetwork {
    /// A perfect network (no loss, no delay) whose random choices follow `seed`.
    pub fn new(clock: Clock, seed: u64) -> Self {
        Self {
            state: Rc::new(RefCell::new(NetworkState {
                clock,
                rng: fastrand::Rng::with_seed(seed),
                conditions: Conditions::default(),
                cut: HashSet::new(),
                in_flight: BinaryHeap::new(),
                inboxes: HashMap::new(),
                sequence: 0,
                counts: NetworkCounts::default(),
                recorded: None,
            })),
        }
    }

    /// Listens on `address`; fails with `AddrInUse` while another endpoint holds it.
    pub fn bind(&self, address: SocketAddr) -> io::Result<MemoryEndpoint> {
        let mut state = self.state.borrow_mut();
        if state.inboxes.contains_key(&address) {
            return Err(io::Error::from(io::ErrorKind::AddrInUse));
        }
        state.inboxes.insert(address, VecDeque::new());
        Ok(MemoryEndpoint {
            address,
            state: self.state.clone(),
        })
    }

    pub fn set_conditions(&self, conditions: Conditions) {
        self.state.borrow_mut().conditions = conditions;
    }

    /// Loses (or, with `cut` false, lets through again) every datagram between `a` and `b`, both ways.
    pub fn cut(&self, a: SocketAddr, b: SocketAddr, cut: bool) {
        let mut state = self.state.borrow_mut();
        for pair in [(a, b), (b, a)] {
            if cut {
                state.cut.insert(pair);
            } else {
                state.cut.remove(&pair);
            }
        }
    }

    /// Sends a datagram that claims to come from `from`, as a hostile host on the network could.
    pub fn inject(&self, from: SocketAddr, to: SocketAddr, bytes: &[u8]) {
        self.state.borrow_mut().send(from, to, bytes);
    }

    /// Keeps a copy of every datagram sent from now on.
    pub fn start_recording(&self) {
        self.state.borrow_mut().recorded = Some(Vec::new());
    }

    /// The datagrams sent since recording started, oldest first; recording stops.
    pub fn take_recorded(&self) -> Vec<Datagram> {
        self.state.borrow_mut().recorded.take().unwrap_or_default()
    }

    pub fn counts(&self) -> NetworkCounts {
        self.state.borrow().counts
    }
}

/// One bound address of a [`MemoryNetwork`]; dropping it frees the address, and what is still on its way to
/// it is lost.
pub struct MemoryEndpoint {
    address: SocketAddr,
    state: Rc<RefCell<NetworkState>>,
}

impl Drop for MemoryEndpoint {
    fn drop(&mut self) {
        self.state.borrow_mut().inboxes.remove(&self.address);
    }
}

impl Datagrams for MemoryEndpoint {
    fn send_to(&self, bytes: &[u8], address: SocketAddr) -> io::Result<usize> {
        self.state.borrow_mut().send(self.address, address, bytes);
        Ok(bytes.len())
    }

    fn recv_from(&self, buffer: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let mut state = self.state.borrow_mut();
        state.deliver_due();
        let Some((from, bytes)) = state
            .inboxes
            .get_mut(&self.address)
            .and_then(VecDeque::pop_front)
        else {
            return Err(io::Error::from(io::ErrorKind::WouldBlock));
        };
        // As UDP does, a datagram longer than the buffer is cut to it.
        let size = bytes.len().min(buffer.len());
        buffer[..size].copy_from_slice(&bytes[..size]);
        Ok((size, from))
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.address)
    }

    fn set_broadcast(&self, _on: bool) -> io::Result<()> {
        // Broadcast datagrams go to an address nobody binds: lost, as on a network that filters them.
        Ok(())
    }

    fn prepare(&self, _options: SocketOptions) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    fn receive(endpoint: &MemoryEndpoint) -> Option<Vec<u8>> {
        let mut buffer = [0u8; 64];
        endpoint
            .recv_from(&mut buffer)
            .ok()
            .map(|(size, _)| buffer[..size].to_vec())
    }

    #[test]
    fn datagrams_arrive_only_once_their_delay_has_passed() {
        let clock = ManualClock::new();
        let network = MemoryNetwork::new(clock.clock(), 1);
        network.set_conditions(Conditions {
            delay: Duration::from_millis(10),
            ..Conditions::default()
        });
        let (a, b) = (
            network.bind(address(1)).unwrap(),
            network.bind(address(2)).unwrap(),
        );
        a.send_to(b"hi", address(2)).unwrap();
        clock.advance(Duration::from_millis(9));
        assert_eq!(receive(&b), None);
        clock.advance(Duration::from_millis(1));
        assert_eq!(receive(&b).as_deref(), Some(&b"hi"[..]));
    }

    #[test]
    fn a_cut_link_loses_everything_both_ways_until_restored() {
        let clock = ManualClock::new();
        let network = MemoryNetwork::new(clock.clock(), 1);
        let (a, b) = (
            network.bind(address(1)).unwrap(),
            network.bind(address(2)).unwrap(),
        );
        network.cut(address(1), address(2), true);
        a.send_to(b"lost", address(2)).unwrap();
        b.send_to(b"lost", address(1)).unwrap();
        assert_eq!((receive(&a), receive(&b)), (None, None));
        network.cut(address(1), address(2), false);
        a.send_to(b"back", address(2)).unwrap();
        assert_eq!(receive(&b).as_deref(), Some(&b"back"[..]));
    }

    #[test]
    fn an_address_is_held_until_its_endpoint_is_dropped() {
        let network = MemoryNetwork::new(ManualClock::new().clock(), 1);
        let first = network.bind(address(1)).unwrap();
        assert_eq!(
            network.bind(address(1)).err().map(|error| error.kind()),
            Some(io::ErrorKind::AddrInUse)
        );
        drop(first);
        assert!(network.bind(address(1)).is_ok());
    }

    #[test]
    fn the_same_seed_loses_and_reorders_the_same_datagrams() {
        let run = |seed| {
            let clock = ManualClock::new();
            let network = MemoryNetwork::new(clock.clock(), seed);
            network.set_conditions(Conditions {
                loss: 0.3,
                duplicate: 0.2,
                delay: Duration::from_millis(1),
                jitter: Duration::from_millis(5),
            });
            let (a, b) = (
                network.bind(address(1)).unwrap(),
                network.bind(address(2)).unwrap(),
            );
            for index in 0..100u8 {
                a.send_to(&[index], address(2)).unwrap();
            }
            clock.advance(Duration::from_millis(10));
            std::iter::from_fn(|| receive(&b)).collect::<Vec<_>>()
        };
        let first = run(5);
        assert_eq!(first, run(5));
        assert_ne!(first, run(6));
        assert!(first.len() > 50 && first.len() < 120, "{}", first.len());
        assert!(first.windows(2).any(|pair| pair[0] > pair[1]), "reordered");
    }
}
