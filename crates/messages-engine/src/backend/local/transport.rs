//! The local backend's datagram socket as ENet sees it, with optional simulated loss, lag and jitter (in the
//! spirit of Steam's FakePacketLoss/FakePacketLag) applied to outgoing datagrams. The datagrams travel over a
//! real UDP socket, or over a [`super::memory_network`] in deterministic tests.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusty_enet::{MTU_MAX, PacketReceived, Socket, SocketOptions};

use super::wire;

/// The time source shared by the session logic and ENet, so tests can drive both with one clock.
pub type Clock = Arc<dyn Fn() -> Duration + Send + Sync>;

/// A clock counting from its creation.
pub fn system_clock() -> Clock {
    let start = Instant::now();
    Arc::new(move || start.elapsed())
}

/// Simulated network conditions for outgoing datagrams.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Impairment {
    pub loss_percent: f32,
    pub lag: Duration,
    pub jitter: Duration,
}

impl Impairment {
    fn is_none(&self) -> bool {
        self.loss_percent <= 0.0 && self.lag.is_zero() && self.jitter.is_zero()
    }
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Delayed {
    due: Duration,
    sequence: u64,
    address: SocketAddr,
    bytes: Vec<u8>,
}

/// What the local backend needs from a datagram socket: a real [`UdpSocket`], or an endpoint of an
/// in-memory network.
pub trait Datagrams {
    /// Sends one datagram; like UDP, delivery is not promised.
    fn send_to(&self, bytes: &[u8], address: SocketAddr) -> io::Result<usize>;
    /// The next datagram received, or an error of kind `WouldBlock` when there is none.
    fn recv_from(&self, buffer: &mut [u8]) -> io::Result<(usize, SocketAddr)>;
    fn local_addr(&self) -> io::Result<SocketAddr>;
    fn set_broadcast(&self, on: bool) -> io::Result<()>;
    /// Makes the socket non-blocking with the buffer sizes ENet asks for.
    fn prepare(&self, options: SocketOptions) -> io::Result<()>;
}

impl Datagrams for UdpSocket {
    fn send_to(&self, bytes: &[u8], address: SocketAddr) -> io::Result<usize> {
        UdpSocket::send_to(self, bytes, address)
    }

    fn recv_from(&self, buffer: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        UdpSocket::recv_from(self, buffer)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        UdpSocket::local_addr(self)
    }

    fn set_broadcast(&self, on: bool) -> io::Result<()> {
        UdpSocket::set_broadcast(self, on)
    }

    fn prepare(&self, options: SocketOptions) -> io::Result<()> {
        // The buffer sizes ENet asks for (the C library sets them too; std cannot): the OS default is small
        // enough that bursts of small unreliable messages overflow it.
        let socket = socket2::SockRef::from(self);
        let _ = socket.set_recv_buffer_size(options.receive_buffer);
        let _ = socket.set_send_buffer_size(options.send_buffer);
        self.set_nonblocking(true)
    }
}

/// A datagram socket for ENet that can drop and delay what it sends.
pub struct ImpairedSocket<D: Datagrams = UdpSocket> {
    socket: D,
    impairment: Impairment,
    clock: Clock,
    rng: fastrand::Rng,
    delayed: BinaryHeap<Reverse<Delayed>>,
    sequence: u64,
    /// Presence announcements read off the socket, for the backend to collect.
    presence: Vec<(wire::Presence, SocketAddr)>,
    /// A read found the socket empty since [`Self::start_reading`].
    read_to_end: bool,
}

impl<D: Datagrams> ImpairedSocket<D> {
    /// `seed` fixes the random choice of datagrams lost and their jitter (tests that replay exactly).
    pub fn new(socket: D, impairment: Impairment, clock: Clock, seed: Option<u64>) -> Self {
        Self {
            socket,
            impairment,
            clock,
            rng: seed.map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed),
            delayed: BinaryHeap::new(),
            sequence: 0,
            presence: Vec::new(),
            read_to_end: false,
        }
    }

    /// Sends a bare datagram outside ENet (presence announcements); errors are ignored like lost packets.
    pub fn send_datagram(&self, bytes: &[u8], address: SocketAddr) {
        let _ = self.socket.send_to(bytes, address);
    }

    /// Starts watching for a read that finds the socket empty (see [`Self::read_to_end`]).
    pub fn start_reading(&mut self) {
        self.read_to_end = false;
    }

    /// Whether ENet read the socket until it was empty since [`Self::start_reading`]: then a further
    /// `service` would only find nothing, after two more passes over every peer slot.
    pub fn read_to_end(&self) -> bool {
        self.read_to_end
    }

    /// The presence announcements received since the last call.
    pub fn take_presence(&mut self) -> Vec<(wire::Presence, SocketAddr)> {
        std::mem::take(&mut self.presence)
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.socket.set_broadcast(on)
    }

    /// Sends the delayed datagrams whose time has come.
    fn release_due(&mut self) {
        // Every datagram sent or read passes here: without impairment nothing is ever delayed.
        if self.delayed.is_empty() {
            return;
        }
        let now = (self.clock)();
        while self
            .delayed
            .peek()
            .is_some_and(|Reverse(delayed)| delayed.due <= now)
        {
            if let Some(Reverse(delayed)) = self.delayed.pop() {
                // A lost datagram is what UDP allows; ENet retransmits reliable data.
                let _ = self.socket.send_to(&delayed.bytes, delayed.address);
            }
        }
    }
}

impl<D: Datagrams + 'static> Socket for ImpairedSocket<D> {
    type Address = SocketAddr;
    type Error = io::Error;

    fn init(&mut self, options: SocketOptions) -> Result<(), io::Error> {
        self.socket.prepare(options)
    }

    fn send(&mut self, address: SocketAddr, buffer: &[u8]) -> Result<usize, io::Error> {
        self.release_due();
        if self.impairment.is_none() {
            return match self.socket.send_to(buffer, address) {
                Ok(sent) => Ok(sent),
                // The datagram is gone, as on any lossy network; ENet copes.
                Err(error) if is_transient(&error) => Ok(buffer.len()),
                Err(error) => Err(error),
            };
        }
        if self.rng.f32() * 100.0 < self.impairment.loss_percent {
            return Ok(buffer.len());
        }
        let jitter = self.impairment.jitter.as_micros() as u64;
        let extra = if jitter == 0 {
            0
        } else {
            self.rng.u64(0..=jitter)
        };
        self.sequence += 1;
        self.delayed.push(Reverse(Delayed {
            due: (self.clock)() + self.impairment.lag + Duration::from_micros(extra),
            sequence: self.sequence,
            address,
            bytes: buffer.to_vec(),
        }));
        self.release_due();
        Ok(buffer.len())
    }

    fn receive(
        &mut self,
        buffer: &mut [u8; MTU_MAX],
    ) -> Result<Option<(SocketAddr, PacketReceived)>, io::Error> {
        self.release_due();
        loop {
            match self.socket.recv_from(buffer) {
                Ok((size, address)) => {
                    if let Some(presence) = wire::decode_presence(&buffer[..size]) {
                        self.presence.push((presence, address));
                        continue;
                    }
                    return Ok(Some((address, PacketReceived::Complete(size))));
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    self.read_to_end = true;
                    return Ok(None);
                }
                // An ICMP "port unreachable" from an earlier send to a peer that is gone: keep reading.
                Err(error) if is_transient(&error) => continue,
                Err(error) => return Err(error),
            }
        }
    }
}

fn is_transient(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    )
}
