//! A UDP impairment relay for tests: it sits between two peers on loopback and delays, jitters (so
//! reorders), duplicates and drops their datagrams. Peer A talks to `for_a` as if it were B; B talks to
//! `for_b` as if it were A. Used by the Rust tests (`tests/impaired_link.rs`) and by `cargo xtask test`'s
//! relay suite between two Godot processes.

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the relay does to every datagram: `loss` and `duplicate` are probabilities (0 to 1); each copy is
/// held for `delay` plus up to `jitter`.
#[derive(Debug, Clone, Copy)]
pub struct Impairment {
    pub loss: f64,
    pub duplicate: f64,
    pub delay: Duration,
    pub jitter: Duration,
}

/// A running relay; stops when dropped.
pub struct Relay {
    pub for_a: SocketAddr,
    pub for_b: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Relay {
    /// Starts relaying between whoever talks to `for_a` and `b_address`; `seed` makes the impairment
    /// decisions repeatable.
    pub fn start(
        b_address: SocketAddr,
        impairment: Impairment,
        seed: u64,
    ) -> std::io::Result<Self> {
        let side_a = UdpSocket::bind("127.0.0.1:0")?;
        let side_b = UdpSocket::bind("127.0.0.1:0")?;
        side_a.set_nonblocking(true)?;
        side_b.set_nonblocking(true)?;
        let (for_a, for_b) = (side_a.local_addr()?, side_b.local_addr()?);
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            relay_loop(&side_a, &side_b, b_address, impairment, seed, &stopping);
        });
        Ok(Self {
            for_a,
            for_b,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn relay_loop(
    side_a: &UdpSocket,
    side_b: &UdpSocket,
    b_address: SocketAddr,
    impairment: Impairment,
    seed: u64,
    stop: &AtomicBool,
) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut a_address: Option<SocketAddr> = None;
    // Datagrams in flight: when they are due, whether they came from A, and their bytes.
    let mut in_flight: Vec<(Instant, bool, Vec<u8>)> = Vec::new();
    let mut buffer = vec![0u8; 65_536];
    while !stop.load(Ordering::Relaxed) {
        let mut idle = true;
        for from_a in [true, false] {
            let socket = if from_a { side_a } else { side_b };
            while let Ok((size, source)) = socket.recv_from(&mut buffer) {
                idle = false;
                // A is whoever talks to `for_a`, except B itself: a datagram from B there (its presence
                // announcement, say) must not turn the relay around and send B's traffic back to B.
                if from_a && source == b_address {
                    continue;
                }
                if from_a {
                    a_address = Some(source);
                }
                if rng.f64() < impairment.loss {
                    continue;
                }
                let copies = if rng.f64() < impairment.duplicate {
                    2
                } else {
                    1
                };
                for _ in 0..copies {
                    let jitter = rng.u64(0..=impairment.jitter.as_micros() as u64);
                    let due = Instant::now() + impairment.delay + Duration::from_micros(jitter);
                    in_flight.push((due, from_a, buffer[..size].to_vec()));
                }
            }
        }
        let now = Instant::now();
        let mut index = 0;
        while index < in_flight.len() {
            if in_flight[index].0 > now {
                index += 1;
                continue;
            }
            // Whatever is due goes, in no particular order: jitter reorders.
            let (_, from_a, bytes) = in_flight.swap_remove(index);
            let _ = match (from_a, a_address) {
                (true, _) => side_b.send_to(&bytes, b_address),
                (false, Some(a)) => side_a.send_to(&bytes, a),
                (false, None) => Ok(0),
            };
        }
        if idle {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}
