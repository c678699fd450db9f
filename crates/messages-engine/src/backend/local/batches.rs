//! Outgoing batches: the small messages a frame sends to one peer after its first, coalesced into one ENet
//! packet (a BATCH frame, see [`super::wire`]) per peer and kind (reliable or not) instead of one packet each.
//!
//! A message sent through ENet costs an ENet packet, an outgoing command and, on the receiving side, an
//! incoming command and an acknowledgement, each allocated and freed; for messages of 100 bytes that was
//! most of a send's and a receive's cost. Steam's own transport also packs messages into shared packets.
//! What a batch holds would have waited in ENet's queue for the end-of-frame flush anyway: batches are handed
//! to ENet before anything else touches it (see `LocalBackend::enet`), so nothing leaves later or in another
//! order than unbatched, and a lost datagram loses what it carried, as before.

use rusty_enet::PeerID;

use super::wire;

/// Largest BATCH frame: with ENet's headers it fits one datagram of ENet's default MTU (1,392 bytes), so a
/// batch is never cut into fragments.
pub const BATCH_LIMIT: usize = 1_200;

/// A batch under way for one peer and kind.
#[derive(Debug)]
struct Pending {
    peer: PeerID,
    reliable: bool,
    frame: Vec<u8>,
}

/// The batches under way: a few at a time (one per peer and kind sent to since ENet was last touched).
#[derive(Debug, Default)]
pub struct OutgoingBatches {
    pending: Vec<Pending>,
}

/// A finished BATCH frame to send.
#[derive(Debug, PartialEq, Eq)]
pub struct Finished {
    pub peer: PeerID,
    pub reliable: bool,
    pub frame: Vec<u8>,
}

impl OutgoingBatches {
    /// Whether a message of `payload_len` bytes can travel in a batch (larger ones go alone).
    pub fn fits(payload_len: usize) -> bool {
        1 + wire::BATCH_ENTRY_HEADER_LEN + payload_len <= BATCH_LIMIT
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Adds a message that [`Self::fits`] to `peer`'s batch of its kind. When the batch has no room left for
    /// it, that batch is returned finished, to be sent before anything else to `peer`, and a new one begins
    /// with this message.
    pub fn push(
        &mut self,
        peer: PeerID,
        reliable: bool,
        channel: i32,
        flags: i32,
        number: i64,
        payload: &[u8],
    ) -> Option<Finished> {
        debug_assert!(Self::fits(payload.len()));
        let entry_len = wire::BATCH_ENTRY_HEADER_LEN + payload.len();
        // The newest batch is the likeliest target: a frame's messages mostly go to one peer in a row.
        let found = self
            .pending
            .iter_mut()
            .rev()
            .find(|pending| pending.peer == peer && pending.reliable == reliable);
        let (finished, pending) = match found {
            Some(pending) if pending.frame.len() + entry_len <= BATCH_LIMIT => (None, pending),
            Some(pending) => {
                let full = std::mem::replace(&mut pending.frame, new_batch());
                let finished = Finished {
                    peer,
                    reliable,
                    frame: full,
                };
                (Some(finished), pending)
            }
            None => {
                self.pending.push(Pending {
                    peer,
                    reliable,
                    frame: new_batch(),
                });
                let last = self.pending.len() - 1;
                (None, &mut self.pending[last])
            }
        };
        wire::append_to_batch(&mut pending.frame, channel, flags, number, payload);
        finished
    }

    /// Takes every batch under way.
    pub fn take_all(&mut self) -> impl Iterator<Item = Finished> + '_ {
        self.pending.drain(..).map(
            |Pending {
                 peer,
                 reliable,
                 frame,
             }| Finished {
                peer,
                reliable,
                frame,
            },
        )
    }
}

fn new_batch() -> Vec<u8> {
    let mut frame = Vec::with_capacity(BATCH_LIMIT);
    wire::start_batch(&mut frame);
    frame
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::local::wire::{BatchEntry, Frame};

    /// Channel, number and payload of each message.
    type Messages = Vec<(i32, i64, Vec<u8>)>;

    fn entries(frame: &[u8]) -> Messages {
        let Ok(Frame::Batch(batch)) = Frame::decode(frame) else {
            panic!("not a batch: {frame:?}");
        };
        batch
            .entries()
            .map(
                |BatchEntry {
                     channel,
                     number,
                     payload,
                     ..
                 }| (channel, number, frame[payload].to_vec()),
            )
            .collect()
    }

    #[test]
    fn messages_to_one_peer_share_a_batch_in_the_order_sent() {
        let mut batches = OutgoingBatches::default();
        for number in 0..3 {
            assert_eq!(batches.push(PeerID(4), true, 1, 8, number, b"abc"), None);
        }
        let finished: Vec<Finished> = batches.take_all().collect();
        assert_eq!(finished.len(), 1);
        assert_eq!((finished[0].peer, finished[0].reliable), (PeerID(4), true));
        assert_eq!(
            entries(&finished[0].frame),
            (0..3).map(|n| (1, n, b"abc".to_vec())).collect::<Vec<_>>()
        );
        assert!(batches.is_empty());
    }

    #[test]
    fn each_peer_and_kind_has_its_own_batch() {
        let mut batches = OutgoingBatches::default();
        batches.push(PeerID(1), true, 0, 8, 1, b"a");
        batches.push(PeerID(2), true, 0, 8, 1, b"b");
        batches.push(PeerID(1), false, 0, 0, 2, b"c");
        batches.push(PeerID(1), true, 0, 8, 3, b"d");
        let finished: Vec<Finished> = batches.take_all().collect();
        let summary: Vec<(PeerID, bool, Messages)> = finished
            .iter()
            .map(|batch| (batch.peer, batch.reliable, entries(&batch.frame)))
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    PeerID(1),
                    true,
                    vec![(0, 1, b"a".to_vec()), (0, 3, b"d".to_vec())]
                ),
                (PeerID(2), true, vec![(0, 1, b"b".to_vec())]),
                (PeerID(1), false, vec![(0, 2, b"c".to_vec())]),
            ]
        );
    }

    #[test]
    fn a_full_batch_is_handed_back_and_the_message_starts_the_next() {
        let mut batches = OutgoingBatches::default();
        let payload = [7u8; 100];
        let per_batch = (BATCH_LIMIT - 1) / (wire::BATCH_ENTRY_HEADER_LEN + payload.len());
        let mut finished = Vec::new();
        for number in 0..(per_batch as i64 * 2 + 1) {
            finished.extend(batches.push(PeerID(3), false, 2, 0, number, &payload));
        }
        finished.extend(batches.take_all());
        let numbers: Vec<Vec<i64>> = finished
            .iter()
            .map(|batch| {
                assert!(batch.frame.len() <= BATCH_LIMIT);
                entries(&batch.frame)
                    .into_iter()
                    .map(|(_, n, _)| n)
                    .collect()
            })
            .collect();
        let per_batch = per_batch as i64;
        assert_eq!(
            numbers,
            vec![
                (0..per_batch).collect::<Vec<_>>(),
                (per_batch..2 * per_batch).collect(),
                vec![2 * per_batch],
            ]
        );
    }

    #[test]
    fn only_messages_that_leave_room_for_the_batch_header_fit() {
        let largest = BATCH_LIMIT - 1 - wire::BATCH_ENTRY_HEADER_LEN;
        assert!(OutgoingBatches::fits(largest));
        assert!(!OutgoingBatches::fits(largest + 1));
        let mut batches = OutgoingBatches::default();
        batches.push(PeerID(0), true, 0, 8, 0, &vec![1; largest]);
        assert_eq!(batches.take_all().next().unwrap().frame.len(), BATCH_LIMIT);
    }
}
