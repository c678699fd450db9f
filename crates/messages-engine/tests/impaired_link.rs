//! The local backend across a hostile link: a UDP relay between two backends delays, jitters, reorders,
//! duplicates and drops datagrams, on real loopback sockets and the real clock.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use messages_engine::backend::config::LocalConfig;
use messages_engine::backend::local::LocalBackend;
use messages_engine::backend::local::transport::system_clock;
use messages_engine::backend::{BackendEvent, MessagesBackend};
use messages_engine::steam_types::{SteamId, SteamResult, send_flags};
use udp_relay::{Impairment, Relay};

mod common;
use common::loopback_socket;

/// An app ID no game uses: these backends announce themselves on the same-machine port range, and must not show
/// up in a running game's or the Godot suites' `getVisiblePeers()`.
const TEST_APP_ID: u32 = 3_999_999_002;

fn pair_through(impairment: Impairment) -> (LocalBackend, LocalBackend, SteamId, SteamId, Relay) {
    let (a_id, b_id) = (LocalConfig::steam_id_of(1), LocalConfig::steam_id_of(2));
    let b_socket = loopback_socket();
    let relay = Relay::start(b_socket.local_addr().unwrap(), impairment, 99).unwrap();
    let a = LocalBackend::with_socket(
        a_id,
        loopback_socket(),
        LocalConfig {
            peers: vec![(b_id, relay.for_a)],
            app_id: TEST_APP_ID,
            ..LocalConfig::default()
        },
        system_clock(),
    )
    .unwrap();
    let b = LocalBackend::with_socket(
        b_id,
        b_socket,
        LocalConfig {
            peers: vec![(a_id, relay.for_b)],
            app_id: TEST_APP_ID,
            ..LocalConfig::default()
        },
        system_clock(),
    )
    .unwrap();
    (a, b, a_id, b_id, relay)
}

#[test]
fn reliable_messages_survive_delay_jitter_reordering_duplication_and_loss() {
    transfer_through(
        Impairment {
            loss: 0.1,
            duplicate: 0.1,
            delay: Duration::from_millis(20),
            jitter: Duration::from_millis(15),
        },
        10_000,
    );
}

/// 20% of datagrams lost each way: more than a third of round trips fail, and some packets are lost six or
/// seven times in a row; the link must hold (ENet alone gave up on such links: see `PEER_TIMEOUT`).
#[test]
fn reliable_messages_survive_heavy_loss() {
    transfer_through(
        Impairment {
            loss: 0.2,
            duplicate: 0.0,
            delay: Duration::from_millis(1),
            jitter: Duration::ZERO,
        },
        10_000,
    );
}

/// Sends `count` reliable messages over four channels (and an unreliable one after each) from a to b, as fast as
/// the send window allows, through a relay
/// with `impairment`: every reliable one arrives exactly once and in order, every unreliable one intact or not
/// at all, and no session fails.
fn transfer_through(impairment: Impairment, count: u32) {
    let (mut a, mut b, a_id, b_id, _relay) = pair_through(impairment);
    const CHANNELS: u32 = 4;
    let mut events = Vec::new();
    let mut sent = 0;
    let mut next: HashMap<i32, u32> = (0..CHANNELS as i32).map(|c| (c, c as u32)).collect();
    let mut received = 0;
    let mut unreliable = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    while received < count {
        assert!(
            Instant::now() < deadline,
            "only {received} of {count} arrived"
        );
        // As fast as the send window lets a: what does not fit now (RESULT_LIMIT_EXCEEDED) goes later.
        while sent < count {
            let channel = (sent % CHANNELS) as i32;
            let result =
                a.send_message_to_user(b_id, &sent.to_le_bytes(), send_flags::RELIABLE, channel);
            if result == SteamResult::LIMIT_EXCEEDED {
                break;
            }
            assert_eq!(result, SteamResult::OK);
            a.send_message_to_user(b_id, &[sent as u8; 32], send_flags::UNRELIABLE, 9);
            sent += 1;
        }
        a.poll(&mut events);
        b.poll(&mut events);
        if events
            .iter()
            .any(|event| matches!(event, BackendEvent::SessionRequest { .. }))
        {
            b.accept_session_with_user(a_id);
        }
        events.retain(|event| matches!(event, BackendEvent::SessionFailed { .. }));
        assert!(events.is_empty(), "no session failed: {events:?}");
        for channel in 0..CHANNELS as i32 {
            b.receive_messages_on_channel(channel, usize::MAX, &mut |message| {
                let index = u32::from_le_bytes(message.payload.try_into().unwrap());
                let expected = next.get_mut(&channel).unwrap();
                assert_eq!(
                    index, *expected,
                    "channel {channel}: exactly once and in order"
                );
                *expected += CHANNELS;
                received += 1;
            });
        }
        b.receive_messages_on_channel(9, usize::MAX, &mut |message| {
            assert!(
                message.payload.len() == 32
                    && message
                        .payload
                        .iter()
                        .all(|&byte| byte == message.payload[0]),
                "unreliable messages arrive intact"
            );
            unreliable += 1;
        });
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(received, count);
    println!("unreliable: {unreliable} of {count} delivered (duplicates count twice)");
}

/// One side closes the session in every request handler while the other keeps sending with
/// AUTORESTART_BROKEN_SESSION: every cycle is a fresh session (connection slots reused at once, stale packets
/// of the closed connection still in flight), and none of them fails; each is closed by the peer, which Steam
/// does not report.
#[test]
fn sessions_closed_in_every_request_handler_keep_reopening_without_failing() {
    let (mut a, mut b, a_id, b_id, _relay) = pair_through(Impairment {
        loss: 0.0,
        duplicate: 0.0,
        delay: Duration::ZERO,
        jitter: Duration::ZERO,
    });
    const CYCLES: usize = 1000;
    let restart = send_flags::RELIABLE | send_flags::AUTORESTART_BROKEN_SESSION;
    let (mut a_events, mut b_events) = (Vec::new(), Vec::new());
    let mut cycles = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    while cycles < CYCLES {
        assert!(
            Instant::now() < deadline,
            "only {cycles} of {CYCLES} cycles"
        );
        let result = a.send_message_to_user(b_id, b"again", restart, 0);
        assert!(
            [SteamResult::OK, SteamResult::LIMIT_EXCEEDED].contains(&result),
            "{result:?}"
        );
        a.poll(&mut a_events);
        b.poll(&mut b_events);
        for event in b_events.drain(..) {
            if event == (BackendEvent::SessionRequest { remote: a_id }) {
                assert!(b.close_session_with_user(a_id));
                cycles += 1;
            }
        }
        a_events.retain(|event| matches!(event, BackendEvent::SessionFailed { .. }));
        assert!(a_events.is_empty(), "after {cycles} cycles: {a_events:?}");
        std::thread::sleep(Duration::from_micros(200));
    }
}
