//! Unreliable-ordered delivery: each sender numbers its unreliable-ordered packets per transfer channel, and a
//! receiver delivers a packet only if it is newer than every one it delivered from that sender on that
//! channel. Late packets are dropped, never held: that is the mode's promise (latest state wins).
//!
//! Sequence numbers are u32 and compared with serial-number arithmetic (RFC 1982), so they wrap around safely;
//! a sender's counter is shared by all its targets, so a receiver sees gaps, never a jump of 2^31 in practice.

use super::MAX_TRANSFER_CHANNELS;

const CHANNELS: usize = MAX_TRANSFER_CHANNELS as usize;

// One bit per channel in `OrderedReceiver::seen`.
const _: () = assert!(CHANNELS <= u32::BITS as usize);

/// Whether `candidate` comes after `newest` in wrap-around order. Exactly half the sequence space apart is
/// neither newer nor older: such a packet is dropped.
pub fn is_newer(candidate: u32, newest: u32) -> bool {
    (candidate.wrapping_sub(newest) as i32) > 0
}

/// The next sequence number of each transfer channel, on the sending side.
#[derive(Debug, Clone, Default)]
pub struct OrderedSender {
    next: [u32; CHANNELS],
}

impl OrderedSender {
    /// The number for the next packet on `channel` (which the caller has checked is in range).
    pub fn next(&mut self, channel: u32) -> u32 {
        let slot = &mut self.next[channel as usize % CHANNELS];
        let sequence = *slot;
        *slot = sequence.wrapping_add(1);
        sequence
    }
}

/// What one receiver has delivered from one sender: the newest sequence number per transfer channel.
#[derive(Debug, Clone, Default)]
pub struct OrderedReceiver {
    newest: [u32; CHANNELS],
    /// Bit `c` is set once a packet on channel `c` was delivered: before that, any number is accepted.
    seen: u32,
}

impl OrderedReceiver {
    /// Whether a packet numbered `sequence` on `channel` is to be delivered; if so it becomes the newest.
    pub fn accept(&mut self, channel: u32, sequence: u32) -> bool {
        let index = channel as usize % CHANNELS;
        let bit = 1u32 << index;
        if self.seen & bit != 0 && !is_newer(sequence, self.newest[index]) {
            return false;
        }
        self.seen |= bit;
        self.newest[index] = sequence;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_wraps_around() {
        assert!(is_newer(1, 0));
        assert!(is_newer(0, u32::MAX));
        assert!(is_newer(5, u32::MAX - 5));
        assert!(!is_newer(u32::MAX, 0));
        assert!(!is_newer(7, 7));
        assert!(!is_newer(1 << 31, 0), "half the space apart is not newer");
    }

    #[test]
    fn receiver_drops_older_and_duplicates_after_newer() {
        let mut receiver = OrderedReceiver::default();
        assert!(receiver.accept(0, 10));
        assert!(!receiver.accept(0, 10), "a duplicate");
        assert!(!receiver.accept(0, 9), "older than the newest delivered");
        assert!(receiver.accept(0, 15), "gaps are fine");
        assert!(!receiver.accept(0, 11));
    }

    #[test]
    fn receiver_accepts_anything_first_and_keeps_channels_apart() {
        let mut receiver = OrderedReceiver::default();
        assert!(receiver.accept(3, u32::MAX));
        assert!(receiver.accept(4, 0), "another channel has its own order");
        assert!(receiver.accept(3, 0), "wrapped around after u32::MAX");
        assert!(!receiver.accept(3, u32::MAX));
        assert!(receiver.accept(MAX_TRANSFER_CHANNELS - 1, 0));
    }

    #[test]
    fn sender_numbers_each_channel_from_zero_and_wraps() {
        let mut sender = OrderedSender::default();
        assert_eq!(sender.next(0), 0);
        assert_eq!(sender.next(0), 1);
        assert_eq!(sender.next(1), 0);
        sender.next[2] = u32::MAX;
        assert_eq!(sender.next(2), u32::MAX);
        assert_eq!(sender.next(2), 0);
    }
}
