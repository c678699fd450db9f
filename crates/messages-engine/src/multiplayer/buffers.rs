//! The byte queues between the protocol and its driver, built so that the per-packet path allocates nothing
//! once warmed up: packets live back to back in one reused byte buffer, and a queue entry is a range of it.
//! A broadcast is encoded once and queued for each recipient with the same range.

use std::collections::VecDeque;
use std::ops::Range;

use super::{PacketSink, ReceivedPacket, TransferMode};
use crate::steam_types::SteamId;

/// Buffers that grew past this (a burst of large packets) are given back once they empty, down to
/// [`KEEP_BYTES`], so one burst does not pin its memory for the rest of the session.
const SHRINK_ABOVE_BYTES: usize = 4 * 1024 * 1024;
const KEEP_BYTES: usize = 64 * 1024;
/// The inbox drops the bytes of packets already read, and the outbox those of packets already sent, once
/// they are this many and half the buffer.
const COMPACT_ABOVE_BYTES: usize = 64 * 1024;

fn shrink(bytes: &mut Vec<u8>) {
    if bytes.capacity() > SHRINK_ABOVE_BYTES {
        bytes.shrink_to(KEEP_BYTES);
    }
}

/// [`shrink`] for a buffer that may still hold bytes: `shrink_to` never drops below its length.
fn shrink_unless_used(bytes: &mut Vec<u8>) {
    if bytes.capacity() > SHRINK_ABOVE_BYTES && bytes.len() < KEEP_BYTES {
        bytes.shrink_to(KEEP_BYTES);
    }
}

/// A packet queued for sending.
#[derive(Debug, Clone)]
struct Outgoing {
    to: SteamId,
    steam_channel: i32,
    reliable: bool,
    bytes: Range<usize>,
}

/// Packets waiting for [`super::PeerProtocol::flush`], in the order they were queued.
#[derive(Debug, Default)]
pub struct Outbox {
    bytes: Vec<u8>,
    queue: Vec<Outgoing>,
    /// Reused by `flush` when it gathers the bytes of refused packets into a fresh buffer.
    spare_bytes: Vec<u8>,
    /// Users a reliable packet to was refused during the current flush.
    blocked: Vec<SteamId>,
    /// How many packets the last flush kept.
    backlog: usize,
}

impl Outbox {
    /// Encodes one packet with `write` and queues it for `to`; returns its bytes' range, so that the same
    /// packet can be queued for more recipients with [`Outbox::push_again`].
    pub fn push(
        &mut self,
        to: SteamId,
        steam_channel: i32,
        reliable: bool,
        write: impl FnOnce(&mut Vec<u8>),
    ) -> Range<usize> {
        let start = self.bytes.len();
        write(&mut self.bytes);
        let range = start..self.bytes.len();
        self.push_again(to, steam_channel, reliable, range.clone());
        range
    }

    /// Queues bytes already in the outbox (from [`Outbox::push`] since the last flush) for another recipient.
    pub fn push_again(
        &mut self,
        to: SteamId,
        steam_channel: i32,
        reliable: bool,
        bytes: Range<usize>,
    ) {
        self.queue.push(Outgoing {
            to,
            steam_channel,
            reliable,
            bytes,
        });
    }

    /// Encodes bytes that may be queued for several recipients or none: call [`Outbox::push_again`] for each.
    /// Bytes never queued are dropped at the next flush.
    pub fn encode(&mut self, write: impl FnOnce(&mut Vec<u8>)) -> Range<usize> {
        let start = self.bytes.len();
        write(&mut self.bytes);
        start..self.bytes.len()
    }

    /// Drops bytes encoded by the last [`Outbox::encode`] that nobody was given (nothing to send them to).
    pub fn discard_unqueued(&mut self, range: Range<usize>) {
        let queued = self.queue.last().is_some_and(|last| last.bytes == range);
        if !queued && range.end == self.bytes.len() {
            self.bytes.truncate(range.start);
        }
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether the last flush kept packets the sink refused.
    pub fn is_backlogged(&self) -> bool {
        self.backlog > 0
    }

    /// Hands every queued packet to `sink` in order. A reliable packet the sink refuses (Steam's send window
    /// to that user is full) stays queued for the next flush, and so does every reliable packet after it to
    /// the same user, so their order holds; a refused unreliable packet is dropped, as Steam drops it.
    ///
    /// Kept packets stay where their bytes are: a backlog that waits many frames is not copied every frame.
    /// Their bytes are gathered into a fresh buffer only once most of the buffer is bytes already sent, so
    /// the copying stays in proportion to what was sent and the buffer to what still waits.
    pub fn flush(&mut self, sink: &mut PacketSink<'_>) {
        let mut kept = 0;
        let mut kept_bytes = 0;
        for index in 0..self.queue.len() {
            let packet = &self.queue[index];
            let keep = if packet.reliable && self.blocked.contains(&packet.to) {
                true
            } else {
                let bytes = &self.bytes[packet.bytes.clone()];
                let taken = sink(packet.to, packet.steam_channel, packet.reliable, bytes);
                if !taken && packet.reliable {
                    self.blocked.push(packet.to);
                }
                !taken && packet.reliable
            };
            if keep {
                kept_bytes += packet.bytes.len();
                self.queue.swap(kept, index);
                kept += 1;
            }
        }
        self.blocked.clear();
        self.queue.truncate(kept);
        self.backlog = kept;
        if kept == 0 {
            self.bytes.clear();
        } else if self.bytes.len() > COMPACT_ABOVE_BYTES && kept_bytes < self.bytes.len() / 2 {
            self.spare_bytes.clear();
            for packet in &mut self.queue {
                let start = self.spare_bytes.len();
                self.spare_bytes
                    .extend_from_slice(&self.bytes[packet.bytes.clone()]);
                packet.bytes = start..self.spare_bytes.len();
            }
            std::mem::swap(&mut self.bytes, &mut self.spare_bytes);
            self.spare_bytes.clear();
            shrink(&mut self.spare_bytes);
        }
        shrink_unless_used(&mut self.bytes);
    }

    /// Drops every queued packet (closing: nothing queued before goes out after).
    pub fn clear(&mut self) {
        self.queue.clear();
        self.bytes.clear();
        self.backlog = 0;
        shrink(&mut self.bytes);
    }
}

/// A received packet waiting for the game; its payload is at `start..start + len` in absolute offsets.
#[derive(Debug, Clone, Copy)]
struct Incoming {
    from: i32,
    channel: u32,
    mode: TransferMode,
    start: usize,
    len: usize,
}

/// Received packets waiting for the game, oldest first.
#[derive(Debug, Default)]
pub struct Inbox {
    bytes: Vec<u8>,
    /// Absolute offset of `bytes[0]`: entries keep absolute offsets, so dropping read bytes from the front
    /// of `bytes` does not touch them.
    base: usize,
    queue: VecDeque<Incoming>,
}

impl Inbox {
    pub fn push(&mut self, from: i32, channel: u32, mode: TransferMode, payload: &[u8]) {
        let start = self.base + self.bytes.len();
        self.bytes.extend_from_slice(payload);
        self.queue.push_back(Incoming {
            from,
            channel,
            mode,
            start,
            len: payload.len(),
        });
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// The oldest packet, left in the queue.
    pub fn peek(&self) -> Option<ReceivedPacket<'_>> {
        let packet = self.queue.front()?;
        let start = packet.start - self.base;
        Some(ReceivedPacket {
            from: packet.from,
            channel: packet.channel,
            mode: packet.mode,
            payload: &self.bytes[start..start + packet.len],
        })
    }

    /// Whether a packet from `peer` waits.
    pub fn has_from(&self, peer: i32) -> bool {
        self.queue.iter().any(|packet| packet.from == peer)
    }

    /// Removes the oldest packet; false if there was none.
    pub fn pop(&mut self) -> bool {
        if self.queue.pop_front().is_none() {
            return false;
        }
        match self.queue.front() {
            None => self.clear(),
            Some(next) => {
                let read = next.start - self.base;
                if read > COMPACT_ABOVE_BYTES && read > self.bytes.len() / 2 {
                    self.bytes.drain(..read);
                    self.base = next.start;
                }
            }
        }
        true
    }

    pub fn clear(&mut self) {
        self.queue.clear();
        self.bytes.clear();
        self.base = 0;
        shrink(&mut self.bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: SteamId = SteamId(76_561_197_960_265_730);
    const B: SteamId = SteamId(76_561_197_960_265_731);

    #[test]
    fn outbox_hands_over_packets_in_order_and_shares_broadcast_bytes() {
        let mut outbox = Outbox::default();
        let range = outbox.push(A, 16, true, |out| out.extend_from_slice(b"one"));
        outbox.push_again(B, 16, true, range);
        outbox.push(B, 17, false, |out| out.extend_from_slice(b"two"));
        let mut seen = Vec::new();
        outbox.flush(&mut |to, channel, reliable, bytes| {
            seen.push((to, channel, reliable, bytes.to_vec()));
            true
        });
        assert_eq!(
            seen,
            vec![
                (A, 16, true, b"one".to_vec()),
                (B, 16, true, b"one".to_vec()),
                (B, 17, false, b"two".to_vec()),
            ]
        );
        assert_eq!(outbox.len(), 0);
        outbox.flush(&mut |_, _, _, _| panic!("flushed twice"));
    }

    #[test]
    fn a_refused_reliable_packet_and_the_reliable_ones_after_it_to_that_user_wait_for_the_next_flush()
     {
        let mut outbox = Outbox::default();
        outbox.push(A, 16, true, |out| out.extend_from_slice(b"r1"));
        let shared = outbox.push(A, 17, true, |out| out.extend_from_slice(b"r2"));
        outbox.push_again(B, 17, true, shared);
        outbox.push(A, 18, false, |out| out.extend_from_slice(b"u1"));
        outbox.push(A, 16, false, |out| out.extend_from_slice(b"u2"));
        outbox.push(A, 16, true, |out| out.extend_from_slice(b"r3"));
        let mut seen = Vec::new();
        // A's window is full for r1 and u1; B's is open.
        outbox.flush(&mut |to, _, _, bytes| {
            seen.push((to, bytes.to_vec()));
            !(to == A && (bytes == b"r1" || bytes == b"u1"))
        });
        let offered = |seen: &[(SteamId, Vec<u8>)]| -> Vec<(SteamId, String)> {
            seen.iter()
                .map(|(to, bytes)| (*to, String::from_utf8(bytes.clone()).unwrap()))
                .collect()
        };
        let expected = [(A, "r1"), (B, "r2"), (A, "u1"), (A, "u2")];
        let expected: Vec<(SteamId, String)> = expected
            .iter()
            .map(|(to, text)| (*to, text.to_string()))
            .collect();
        assert_eq!(
            offered(&seen),
            expected,
            "nothing reliable to A after r1; u1 dropped"
        );
        assert_eq!(outbox.len(), 3);
        assert!(outbox.is_backlogged());
        seen.clear();
        outbox.push(B, 16, true, |out| out.extend_from_slice(b"new"));
        outbox.flush(&mut |to, _, _, bytes| {
            seen.push((to, bytes.to_vec()));
            true
        });
        let expected = [(A, "r1"), (A, "r2"), (A, "r3"), (B, "new")];
        let expected: Vec<(SteamId, String)> = expected
            .iter()
            .map(|(to, text)| (*to, text.to_string()))
            .collect();
        assert_eq!(offered(&seen), expected);
        assert_eq!(outbox.len(), 0);
        assert!(!outbox.is_backlogged());
    }

    #[test]
    fn a_backlog_behind_many_sent_packets_drops_their_bytes_and_stays_intact() {
        let mut outbox = Outbox::default();
        let payload = |n: usize| vec![(n % 251) as u8; 100 + n % 7];
        outbox.push(A, 16, true, |out| out.extend_from_slice(&payload(0)));
        // A's window stays shut while B takes 2,000 packets over many frames.
        let mut sent_to_b = 0;
        for frame in 0..20 {
            for n in 0..100 {
                let n = frame * 100 + n + 1;
                outbox.push(B, 16, true, |out| out.extend_from_slice(&payload(n)));
            }
            outbox.flush(&mut |to, _, _, _| {
                sent_to_b += usize::from(to == B);
                to == B
            });
            assert_eq!(outbox.len(), 1, "only A's packet waits");
            assert!(
                outbox.bytes.len() <= 2 * COMPACT_ABOVE_BYTES,
                "sent bytes are dropped, not kept for the backlog: {} bytes",
                outbox.bytes.len()
            );
        }
        assert_eq!(sent_to_b, 2_000);
        let mut seen = Vec::new();
        outbox.flush(&mut |to, _, _, bytes| {
            seen.push((to, bytes.to_vec()));
            true
        });
        assert_eq!(seen, vec![(A, payload(0))]);
        assert!(!outbox.is_backlogged());
    }

    #[test]
    fn reliable_packets_reach_each_user_once_and_in_order_whatever_the_sink_refuses() {
        let users = [A, B, SteamId(A.0 + 7)];
        for seed in 0..200 {
            let mut random = fastrand::Rng::with_seed(seed);
            let mut outbox = Outbox::default();
            let mut sent: Vec<(SteamId, u32)> = Vec::new();
            let mut received: Vec<(SteamId, u32)> = Vec::new();
            let mut next = 0u32;
            for _frame in 0..60 {
                for _ in 0..random.usize(0..40) {
                    next += 1;
                    let size = random.usize(4..3_000);
                    let mut payload = next.to_le_bytes().to_vec();
                    payload.resize(size, next as u8);
                    let to = users[random.usize(..users.len())];
                    if random.bool() {
                        let range =
                            outbox.push(to, 16, true, |out| out.extend_from_slice(&payload));
                        sent.push((to, next));
                        let other = users[random.usize(..users.len())];
                        if other != to {
                            outbox.push_again(other, 16, true, range);
                            sent.push((other, next));
                        }
                    } else {
                        let range = outbox.encode(|out| out.extend_from_slice(&payload));
                        outbox.discard_unqueued(range);
                    }
                }
                let open: Vec<bool> = users.iter().map(|_| random.u8(..) > 60).collect();
                outbox.flush(&mut |to, _, _, bytes| {
                    let index = users.iter().position(|user| *user == to).unwrap();
                    if !open[index] {
                        return false;
                    }
                    let number = u32::from_le_bytes(bytes[..4].try_into().unwrap());
                    assert!(
                        bytes[4..].iter().all(|byte| *byte == number as u8),
                        "seed {seed}: intact"
                    );
                    received.push((to, number));
                    true
                });
            }
            outbox.flush(&mut |to, _, _, bytes| {
                received.push((to, u32::from_le_bytes(bytes[..4].try_into().unwrap())));
                true
            });
            for user in users {
                let of = |list: &[(SteamId, u32)]| -> Vec<u32> {
                    list.iter()
                        .filter(|(to, _)| *to == user)
                        .map(|(_, n)| *n)
                        .collect()
                };
                assert_eq!(of(&received), of(&sent), "seed {seed}: user {user}");
            }
        }
    }

    #[test]
    fn outbox_drops_bytes_nobody_was_given() {
        let mut outbox = Outbox::default();
        let range = outbox.encode(|out| out.extend_from_slice(b"nobody"));
        outbox.discard_unqueued(range);
        assert!(outbox.bytes.is_empty());
    }

    #[test]
    fn inbox_peeks_and_pops_in_order_and_compacts() {
        let mut inbox = Inbox::default();
        let big = vec![7u8; 100 * 1024];
        inbox.push(2, 0, TransferMode::Reliable, &big);
        inbox.push(3, 1, TransferMode::Unreliable, b"small");
        inbox.push(4, 2, TransferMode::UnreliableOrdered, b"");
        assert_eq!(inbox.len(), 3);
        assert_eq!(inbox.peek().map(|p| p.payload.len()), Some(big.len()));
        assert!(inbox.pop());
        // The big payload's bytes were dropped from the front; the rest still reads right.
        assert_eq!(inbox.bytes.len(), 5);
        let packet = inbox.peek().unwrap();
        assert_eq!(
            (packet.from, packet.channel, packet.mode, packet.payload),
            (3, 1, TransferMode::Unreliable, &b"small"[..])
        );
        inbox.push(5, 0, TransferMode::Reliable, b"later");
        assert!(inbox.pop());
        assert_eq!(
            inbox.peek().map(|p| (p.from, p.payload.len())),
            Some((4, 0))
        );
        assert!(inbox.pop());
        assert_eq!(inbox.peek().map(|p| p.payload), Some(&b"later"[..]));
        assert!(inbox.pop());
        assert!(!inbox.pop());
        assert!(inbox.peek().is_none());
    }
}
