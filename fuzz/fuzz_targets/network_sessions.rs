//! Three local backends (sessions and ENet) on the in-memory network, driven by any sequence of API calls,
//! time, kills and restarts, cut links, network conditions and garbage datagrams. After every step: no
//! panic, and what GDScript would see holds Steam's promises — reliable messages arrive from the process
//! that sent them, intact, at most once and in order per sender and channel; unreliable ones intact or not
//! at all; no more sessions than the limit; every state one Steam reports.
#![no_main]

use std::collections::HashMap;
use std::time::Duration;

use messages_engine::backend::MessagesBackend;
use messages_engine::backend::config::DEFAULT_MAX_SESSIONS;
use messages_engine::backend::local::memory_network::Conditions;
use messages_engine::backend::local::simulation::{Simulation, address, id};
use messages_engine::steam_types::{ConnectionState, send_flags};
use libfuzzer_sys::fuzz_target;

const PROCESSES: usize = 3;
const CHANNELS: i32 = 3;
/// Marks the payloads this target sends, so a delivered payload can be checked to be one of them.
const MAGIC: u32 = 0x5eed_f00d;

const HEADER: usize = 24;

/// A payload naming its sender, the sender's run, its channel, whether it was sent reliably and its number
/// (counted apart for reliable and unreliable ones), padded to `len`.
fn payload(sender: usize, run: u32, channel: i32, reliable: bool, number: u32, len: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(HEADER + len);
    for field in [MAGIC, sender as u32, run, channel as u32, u32::from(reliable), number] {
        bytes.extend_from_slice(&field.to_le_bytes());
    }
    bytes.extend((0..len).map(|index| (index as u32 ^ number) as u8));
    bytes
}

fn parse(bytes: &[u8]) -> Option<[u32; 6]> {
    if bytes.len() < HEADER {
        return None;
    }
    let field = |index: usize| u32::from_le_bytes(bytes[index * 4..index * 4 + 4].try_into().unwrap());
    let fields = [field(0), field(1), field(2), field(3), field(4), field(5)];
    let padding_intact = bytes[HEADER..]
        .iter()
        .enumerate()
        .all(|(index, &byte)| byte == (index as u32 ^ fields[5]) as u8);
    (fields[0] == MAGIC && padding_intact).then_some(fields)
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, ops)) = data.split_first() else {
        return;
    };
    let mut world = Simulation::new(PROCESSES, u64::from(seed), Conditions::default());
    let mut runs = [0u32; PROCESSES + 1];
    // Next number per (sender, receiver, channel, reliable), and the last reliable number each receiver got
    // per (sender, sender's run, channel).
    let mut next_number: HashMap<(usize, usize, i32, bool), u32> = HashMap::new();
    let mut last_reliable: HashMap<(usize, usize, u32, i32), u32> = HashMap::new();
    for chunk in ops.chunks(3) {
        let (op, a, b) = (chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0));
        let x = 1 + usize::from(a) % PROCESSES;
        let y = 1 + usize::from(b) % PROCESSES;
        let channel = i32::from(b / 3) % CHANNELS;
        match op % 12 {
            0..=2 => {
                let flags = match op % 12 {
                    0 => send_flags::RELIABLE,
                    1 => send_flags::UNRELIABLE,
                    _ => send_flags::RELIABLE | send_flags::AUTORESTART_BROKEN_SESSION,
                };
                let reliable = flags & send_flags::RELIABLE != 0;
                let number = next_number.entry((x, y, channel, reliable)).or_insert(0);
                let bytes = payload(x, runs[x], channel, reliable, *number, usize::from(a) * 7);
                *number += 1;
                if let Some(backend) = world.backend(x) {
                    backend.send_message_to_user(id(y), &bytes, flags, channel);
                }
            }
            3 => {
                if let Some(backend) = world.backend(x) {
                    backend.accept_session_with_user(id(y));
                }
            }
            4 => {
                if let Some(backend) = world.backend(x) {
                    backend.close_session_with_user(id(y));
                }
            }
            5 => {
                if let Some(backend) = world.backend(x) {
                    backend.close_channel_with_user(id(y), channel);
                }
            }
            6 => {
                for step in 0..=u32::from(a) {
                    world.step();
                    if step % 8 == 0 {
                        accept_requests(&mut world);
                    }
                }
            }
            7 => world.run_for(Duration::from_millis(u64::from(a) * 50)),
            8 => {
                if world.is_running(x) {
                    world.kill(x);
                } else if world.start(x) {
                    runs[x] += 1;
                }
            }
            9 => world.network.cut(address(x), address(y), b % 2 == 0),
            10 => world.network.set_conditions(Conditions {
                loss: f64::from(a % 40) / 100.0,
                duplicate: f64::from(b % 20) / 100.0,
                delay: Duration::from_millis(u64::from(a % 8)),
                jitter: Duration::from_millis(u64::from(b % 8)),
            }),
            _ => {
                let garbage: Vec<u8> = chunk.iter().cycle().take(usize::from(a)).copied().collect();
                world.network.inject(address(y), address(x), &garbage);
            }
        }
        check_what_gdscript_sees(&mut world, &mut last_reliable);
    }
});

/// Accepts every pending request, as a game that talks to anyone does.
fn accept_requests(world: &mut Simulation) {
    for local in 1..=PROCESSES {
        for event in world.take_events(local) {
            if let messages_engine::backend::BackendEvent::SessionRequest { remote } = event
                && let Some(backend) = world.backend(local)
            {
                backend.accept_session_with_user(remote);
            }
        }
    }
}

fn check_what_gdscript_sees(
    world: &mut Simulation,
    last_reliable: &mut HashMap<(usize, usize, u32, i32), u32>,
) {
    for local in 1..=PROCESSES {
        if !world.is_running(local) {
            continue;
        }
        for channel in 0..CHANNELS {
            for (sender, bytes) in world.receive_from(local, channel) {
                let fields = parse(&bytes).expect("a payload arrives intact");
                let [_, from, run, sent_channel, reliable, number] = fields;
                let from = from as usize;
                assert_eq!(sender, id(from), "the sender is the process that sent it");
                assert_eq!(sent_channel as i32, channel, "on the channel it was sent on");
                assert_ne!(from, local, "nobody receives its own messages");
                if reliable == 0 {
                    continue;
                }
                // Reliable ones: at most once and in order, across the sessions of the sender's run (what a
                // failed or closed session lost leaves a gap, never a repeat or a step back).
                let key = (local, from, run, channel);
                if let Some(&last) = last_reliable.get(&key) {
                    assert!(number > last, "reliable {number} after {last}");
                }
                last_reliable.insert(key, number);
            }
        }
        let sessions = world
            .backend(local)
            .map_or(0, |backend| backend.session_count());
        assert!(sessions <= DEFAULT_MAX_SESSIONS);
        for remote in 1..=PROCESSES {
            let state = world.state(local, remote);
            assert!(
                [
                    ConnectionState::NONE,
                    ConnectionState::CONNECTING,
                    ConnectionState::CONNECTED,
                    ConnectionState::CLOSED_BY_PEER,
                    ConnectionState::PROBLEM_DETECTED_LOCALLY,
                ]
                .contains(&state),
                "{state:?}"
            );
        }
    }
}
