//! Bytes from the network: decoding never panics, and what decodes re-encodes to the same bytes (a batch
//! message by message).
#![no_main]

use messages_engine::backend::local::wire::{self, Frame};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(frame) = Frame::decode(data) {
        assert_eq!(frame.encode(), data);
        if let Frame::Batch(batch) = frame {
            let mut again = Vec::new();
            wire::start_batch(&mut again);
            for entry in batch.entries() {
                let payload = &data[entry.payload];
                wire::append_to_batch(&mut again, entry.channel, entry.flags, entry.number, payload);
            }
            assert_eq!(again, data);
        }
    }
    if let Some(presence) = wire::decode_presence(data) {
        assert_eq!(wire::encode_presence(&presence), data);
    }
});
