//! The session state machine under any sequence of events: no panic, and its invariants hold throughout.
#![no_main]

use std::time::Duration;

use messages_engine::backend::local::session::{
    HELD_UNRELIABLE_LIMIT_BYTES, Inbound, OUTBOX_UNRELIABLE_LIMIT_BYTES, Phase, Session,
    message_cost,
};
use messages_engine::steam_types::SteamId;
use libfuzzer_sys::fuzz_target;
use rusty_enet::Packet;

fuzz_target!(|data: &[u8]| {
    let remote = SteamId(76_561_197_960_265_730);
    let mut session = Session::new(remote, Duration::ZERO);
    let mut now = Duration::ZERO;
    for chunk in data.chunks(3) {
        let (op, a, b) = (chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0));
        now += Duration::from_millis(u64::from(a) * 40);
        let size = usize::from(b) * 997;
        match op % 10 {
            0 => {
                let flags = if b % 2 == 0 { 8 } else { 0 };
                let packet = Packet::reliable(vec![a; size]);
                session.hold(Inbound::new(remote, i32::from(a), flags, 1, 0, packet, 0));
            }
            1 => {
                let released = session.accept();
                assert!(session.held.is_empty());
                assert!(released.iter().all(|message| session.open_channels.contains(&message.channel)));
            }
            2 => {
                let _ = session.take_request(now);
            }
            3 => {
                session.sending_since.get_or_insert(now);
            }
            4 => session.accepted_by_peer(),
            5 => {
                let _ = session.fail(5003, "fuzz");
            }
            6 => session.closed_by_peer(),
            7 => {
                let _ = session.queue(vec![0; size], size, b % 2 == 0);
            }
            8 => session.traffic.tick(now),
            _ => session.peer_connected(),
        }
        let held_unreliable: u64 = session
            .held
            .iter()
            .filter(|message| message.flags & 8 == 0)
            .map(|message| message_cost(message.payload().len()))
            .sum();
        assert_eq!(session.held_unreliable_cost, held_unreliable);
        assert!(session.held_unreliable_cost <= HELD_UNRELIABLE_LIMIT_BYTES);
        let queued: usize = session.outbox.iter().map(|message| message.frame.len()).sum();
        assert_eq!(session.outbox_bytes, queued);
        let queued_unreliable: u64 = session
            .outbox
            .iter()
            .filter(|message| !message.reliable)
            .map(|message| message_cost(message.frame.len()))
            .sum();
        assert_eq!(session.outbox_unreliable_cost, queued_unreliable);
        assert!(session.outbox_unreliable_cost <= OUTBOX_UNRELIABLE_LIMIT_BYTES);
        if session.phase.is_broken() {
            assert!(session.held.is_empty() && session.outbox.is_empty());
        }
        if session.accepted_locally {
            assert!(!session.take_request(now));
        }
        if session.phase == Phase::Connected {
            assert!(session.accepted_locally || session.accepted_remotely);
        }
    }
});
