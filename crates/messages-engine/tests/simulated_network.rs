//! The local backend's session rules, replayed exactly: whole backends (sessions and ENet) on an in-memory
//! network that loses, duplicates, delays and reorders datagrams, with one manual clock and every random
//! choice seeded. Nothing here depends on the machine's speed or on the kernel: a failure names its seed and
//! fails again the same way.

use std::time::Duration;

use messages_engine::backend::BackendEvent;
use messages_engine::backend::MessagesBackend;
use messages_engine::backend::local::memory_network::Conditions;
use messages_engine::backend::local::simulation::{SimulatedBackend, Simulation, address, id};
use messages_engine::lobby::{LobbyEvent, enter_response, lobby_type, member_state};
use messages_engine::steam_types::{ConnectionState, SteamResult, send_flags};

const RELIABLE: i32 = send_flags::RELIABLE;
const RESTART: i32 = send_flags::RELIABLE | send_flags::AUTORESTART_BROKEN_SESSION;

/// A lossy, reordering link: 5% lost, 5% duplicated, 2–5 ms one way.
const ROUGH: Conditions = Conditions {
    loss: 0.05,
    duplicate: 0.05,
    delay: Duration::from_millis(2),
    jitter: Duration::from_millis(3),
};

/// The tests' view of a [`Simulation`]: a missing process or a missed deadline fails the test, naming the
/// seed that replays it.
struct World(Simulation);

impl std::ops::Deref for World {
    type Target = Simulation;
    fn deref(&self) -> &Simulation {
        &self.0
    }
}

impl std::ops::DerefMut for World {
    fn deref_mut(&mut self) -> &mut Simulation {
        &mut self.0
    }
}

impl World {
    fn new(count: usize, seed: u64, conditions: Conditions) -> Self {
        Self(Simulation::new(count, seed, conditions))
    }

    fn with_lobbies(count: usize, seed: u64, conditions: Conditions) -> Self {
        Self(Simulation::with_lobbies(count, seed, conditions))
    }

    fn backend(&mut self, local: usize) -> &mut SimulatedBackend {
        self.0.backend(local).expect("that process runs")
    }

    fn start(&mut self, local: usize) {
        assert!(self.0.start(local), "process {local} starts");
    }

    /// Steps until `done`, failing after `limit` of protocol time.
    fn run_until(&mut self, limit: Duration, what: &str, mut done: impl FnMut(&mut Self) -> bool) {
        let start = self.now();
        while !done(self) {
            assert!(
                self.now() - start < limit,
                "seed {}: {what} did not happen within {limit:?}",
                self.seed
            );
            self.step();
        }
    }
}

fn is_request_from(event: &BackendEvent, remote: usize) -> bool {
    *event == (BackendEvent::SessionRequest { remote: id(remote) })
}

fn failures(events: &[BackendEvent]) -> Vec<(i32, String)> {
    events
        .iter()
        .filter_map(|event| match event {
            BackendEvent::SessionFailed {
                reason,
                debug_message,
                ..
            } => Some((*reason, debug_message.clone())),
            BackendEvent::SessionRequest { .. }
            | BackendEvent::PersonaStateChange { .. }
            | BackendEvent::Lobby(_) => None,
        })
        .collect()
}

/// Counter payloads, so a test can tell which messages arrived and in what order.
fn numbered(index: u32) -> [u8; 4] {
    index.to_le_bytes()
}

fn number_of(payload: &[u8]) -> u32 {
    u32::from_le_bytes(payload.try_into().expect("a numbered payload"))
}

/// 1 sends to 2 and 2 accepts; both see the session connected.
fn connect(world: &mut World) {
    assert_eq!(
        world
            .backend(1)
            .send_message_to_user(id(2), b"hi", RELIABLE, 0),
        SteamResult::OK
    );
    world.run_until(Duration::from_secs(5), "2's request", |world| {
        world.events[2]
            .iter()
            .any(|event| is_request_from(event, 1))
    });
    world.take_events(2);
    assert!(world.backend(2).accept_session_with_user(id(1)));
    world.run_until(Duration::from_secs(5), "both connected", |world| {
        world.state(1, 2) == ConnectionState::CONNECTED
            && world.state(2, 1) == ConnectionState::CONNECTED
    });
    assert_eq!(world.receive(2, 0), vec![b"hi".to_vec()]);
}

/// Issue 10's fault 1: 2 closes the session in every request handler while 1 keeps sending with
/// AUTORESTART_BROKEN_SESSION. Every cycle reuses ENet's connection slots at once with the closed
/// connection's datagrams still in flight (delayed, duplicated, reordered); no reopened session may fail.
#[test]
fn sessions_closed_in_every_request_handler_reopen_without_failing_over_a_rough_link() {
    for seed in 1..=4 {
        let mut world = World::new(2, seed, ROUGH);
        let mut cycles = 0;
        world.run_until(Duration::from_secs(600), "250 cycles", |world| {
            let result = world
                .backend(1)
                .send_message_to_user(id(2), b"again", RESTART, 0);
            assert!(
                [SteamResult::OK, SteamResult::LIMIT_EXCEEDED].contains(&result),
                "seed {seed}: {result:?}"
            );
            for event in world.take_events(2) {
                if is_request_from(&event, 1) {
                    assert!(world.backend(2).close_session_with_user(id(1)));
                    cycles += 1;
                }
            }
            let failed = failures(&world.take_events(1));
            assert!(
                failed.is_empty(),
                "seed {seed}, after {cycles} cycles: {failed:?}"
            );
            cycles >= 250
        });
    }
}

/// The stale-packet case of fault 1 on its own, 100 times over: the datagrams that closed a session (its
/// CLOSE and ENet's DISCONNECT, and what was in flight), replayed at the reopened session in each of its first
/// steps while it connects and after, change nothing. ENet's session ID has only two bits and freed connection
/// slots are reused at once; the checksum seeded with each connection's ID is what tells connections apart.
#[test]
fn datagrams_of_a_closed_session_replayed_at_its_successor_change_nothing() {
    for seed in 1..=2 {
        let mut world = World::new(2, seed, Conditions::default());
        connect(&mut world);
        for cycle in 0..100u32 {
            world.step();
            world.network.start_recording();
            assert!(world.backend(1).close_session_with_user(id(2)));
            world.run_for(Duration::from_millis(20));
            let stale = world.network.take_recorded();
            assert!(!stale.is_empty(), "the close was recorded");
            world.receive(2, 0);
            world.take_events(2);
            assert_eq!(
                world
                    .backend(1)
                    .send_message_to_user(id(2), &numbered(cycle), RESTART, 0),
                SteamResult::OK
            );
            let mut accepted = false;
            let mut received = Vec::new();
            for round in 0..30 {
                for (from, to, bytes) in &stale {
                    world.network.inject(*from, *to, bytes);
                }
                world.step();
                if !accepted
                    && world.events[2]
                        .iter()
                        .any(|event| is_request_from(event, 1))
                {
                    accepted = world.backend(2).accept_session_with_user(id(1));
                }
                received.extend(world.receive(2, 0));
                assert_eq!(
                    (failures(&world.events[1]), failures(&world.events[2])),
                    (vec![], vec![]),
                    "seed {seed}, cycle {cycle}, round {round}"
                );
            }
            assert!(accepted, "seed {seed}, cycle {cycle}");
            assert_eq!(
                received,
                vec![numbered(cycle).to_vec()],
                "seed {seed}, cycle {cycle}"
            );
            assert_eq!(world.state(1, 2), ConnectionState::CONNECTED);
        }
    }
}

/// Issue 10's fault 2: a peer killed and started again with the same ID. Its old session fails on the other
/// side as soon as the new run connects (once the old run has been silent for 1.5 s), not 10 s later; the
/// new run gets a request and, once it accepts, every message sent after the failure.
#[test]
fn a_killed_and_restarted_peer_fails_the_old_session_at_once_and_the_new_run_gets_what_follows() {
    for seed in 1..=4 {
        let mut world = World::new(2, seed, ROUGH);
        connect(&mut world);
        world.kill(2);
        world.run_for(Duration::from_millis(500));
        world.start(2);
        let restarted = world.now();
        // 1 keeps sending, as a game does, numbering what it sends after it has seen the failure.
        let mut failed_at = None;
        let mut next = 0u32;
        let mut accepted = false;
        let mut received = Vec::new();
        world.run_until(Duration::from_secs(30), "the new run's messages", |world| {
            let after_failure = failed_at.is_some();
            let payload = if after_failure {
                next += 1;
                numbered(next - 1)
            } else {
                [0xff; 4]
            };
            world
                .backend(1)
                .send_message_to_user(id(2), &payload, RESTART, 0);
            for (reason, debug) in failures(&world.take_events(1)) {
                assert_eq!(reason, 5010, "seed {seed}: {debug}");
                assert!(failed_at.is_none(), "seed {seed}: one failure");
                failed_at = Some(world.now());
            }
            if !accepted
                && world.events[2]
                    .iter()
                    .any(|event| is_request_from(event, 1))
            {
                accepted = world.backend(2).accept_session_with_user(id(1));
            }
            received.extend(world.receive(2, 0));
            received.len() >= 100
        });
        let failed_at = failed_at.expect("the old session failed");
        assert!(
            failed_at - restarted < Duration::from_millis(1500),
            "seed {seed}: failed {:?} after the restart",
            failed_at - restarted
        );
        // What the old run was sent is gone with it, as on Steam; what follows the failure arrives in order.
        let numbers: Vec<u32> = received
            .iter()
            .filter(|payload| payload.as_slice() != [0xff; 4])
            .map(|payload| number_of(payload))
            .collect();
        assert_eq!(numbers, (0..numbers.len() as u32).collect::<Vec<_>>());
        assert!(numbers.len() >= 90, "seed {seed}: {}", numbers.len());
    }
}

/// A link cut both ways for longer than the silence timeout: both sides fail the session (each learns it
/// only from the silence), and once the link is back, sending with AUTORESTART opens a fresh session that
/// carries messages both ways.
#[test]
fn a_cut_link_fails_both_sides_and_a_restarted_session_works_once_it_is_back() {
    for seed in 1..=4 {
        let mut world = World::new(2, seed, ROUGH);
        connect(&mut world);
        world.network.cut(address(1), address(2), true);
        let cut_at = world.now();
        let (mut one_failed, mut two_failed) = (false, false);
        world.run_until(Duration::from_secs(30), "both failures", |world| {
            world
                .backend(1)
                .send_message_to_user(id(2), b"x", RELIABLE, 0);
            world
                .backend(2)
                .send_message_to_user(id(1), b"y", RELIABLE, 0);
            one_failed |= !failures(&world.take_events(1)).is_empty();
            two_failed |= !failures(&world.take_events(2)).is_empty();
            one_failed && two_failed
        });
        assert!(world.now() - cut_at >= Duration::from_secs(9));
        world.network.cut(address(1), address(2), false);
        world.run_for(Duration::from_millis(100));
        world.receive(1, 0);
        world.receive(2, 0);
        let (mut at_one, mut at_two) = (Vec::new(), Vec::new());
        world.run_until(Duration::from_secs(15), "messages both ways", |world| {
            world
                .backend(1)
                .send_message_to_user(id(2), b"to 2", RESTART, 0);
            world
                .backend(2)
                .send_message_to_user(id(1), b"to 1", RESTART, 0);
            let failed = (
                failures(&world.take_events(1)),
                failures(&world.take_events(2)),
            );
            assert_eq!(failed, (vec![], vec![]), "seed {seed}");
            at_one.extend(world.receive(1, 0));
            at_two.extend(world.receive(2, 0));
            !at_one.is_empty() && !at_two.is_empty()
        });
        assert!(at_one.iter().all(|payload| payload == b"to 1"));
        assert!(at_two.iter().all(|payload| payload == b"to 2"));
    }
}

/// Both sides send their first message in the same frame: each one's sending accepts the other's session,
/// both end connected with nothing lost, and neither times out waiting for an ACCEPT.
#[test]
fn two_peers_opening_sessions_to_each_other_at_once_both_connect_and_stay_connected() {
    for seed in 1..=8 {
        let mut world = World::new(2, seed, ROUGH);
        for index in 0..50 {
            world
                .backend(1)
                .send_message_to_user(id(2), &numbered(index), RELIABLE, 0);
            world
                .backend(2)
                .send_message_to_user(id(1), &numbered(index), RELIABLE, 0);
            world.step();
        }
        let (mut at_one, mut at_two) = (Vec::new(), Vec::new());
        world.run_for(Duration::from_secs(20));
        at_one.extend(world.receive(1, 0));
        at_two.extend(world.receive(2, 0));
        let expected: Vec<Vec<u8>> = (0..50).map(|index| numbered(index).to_vec()).collect();
        assert_eq!(
            (failures(&world.events[1]), failures(&world.events[2])),
            (vec![], vec![]),
            "seed {seed}"
        );
        assert_eq!((&at_one, &at_two), (&expected, &expected), "seed {seed}");
        assert_eq!(world.state(1, 2), ConnectionState::CONNECTED);
        assert_eq!(world.state(2, 1), ConnectionState::CONNECTED);
    }
}

/// Steam's FakePacketLoss=20 with 30 ms of lag, as the multiplayer suite's lossy link: 20% of datagrams lost in
/// each direction, 30–40 ms one way.
const LOSSY: Conditions = Conditions {
    loss: 0.2,
    duplicate: 0.0,
    delay: Duration::from_millis(30),
    jitter: Duration::from_millis(10),
};

/// A first message and the reply to it (a join and its answer) each need a new connection on a 20% lossy
/// link. Before the backend measured each connection's round trip before sending on it, and restarted stalled
/// connects, one such exchange in five took over 3 s and some failed the connect timeout (ENet's doubling
/// retransmission timer, started from its 500 ms default). Now every seed here ends within 8 s, nothing fails.
#[test]
fn a_first_message_and_its_reply_cross_a_twenty_percent_lossy_link_well_within_the_connect_timeout()
{
    for seed in 1..=100 {
        let mut world = World::new(2, seed, LOSSY);
        world
            .backend(1)
            .send_message_to_user(id(2), b"join", RELIABLE, 0);
        let mut replied = false;
        world.run_until(Duration::from_secs(8), "the reply", |world| {
            let failed = (failures(&world.take_events(1)), failures(&world.events[2]));
            assert_eq!(failed, (vec![], vec![]), "seed {}", world.seed);
            if world.events[2]
                .iter()
                .any(|event| is_request_from(event, 1))
            {
                world.take_events(2);
                assert!(world.backend(2).accept_session_with_user(id(1)));
            }
            if !replied && world.receive(2, 0) == vec![b"join".to_vec()] {
                replied = true;
                world
                    .backend(2)
                    .send_message_to_user(id(1), b"welcome", RELIABLE, 0);
            }
            world.receive(1, 0) == vec![b"welcome".to_vec()]
        });
    }
}

/// An unreliable message larger than one datagram goes out in unreliable fragments: losing one loses the
/// message, as on Steam (and with Godot's ENet peer). ENet sends the fragments of a plain unreliable packet reliably (acknowledged,
/// retransmitted, in order), which made every such message arrive and cost an acknowledgement per fragment.
#[test]
fn an_unreliable_message_larger_than_a_datagram_is_lost_with_any_of_its_fragments() {
    const COUNT: u32 = 200;
    let message = |index: u32| -> Vec<u8> {
        let mut bytes = numbered(index).to_vec();
        bytes.extend((0..4_000u32).map(|at| (at.wrapping_mul(31) ^ index) as u8));
        bytes
    };
    let mut world = World::new(2, 5, LOSSY);
    connect(&mut world);
    let mut delivered = Vec::new();
    for index in 0..COUNT {
        let sent = world.backend(1).send_message_to_user(
            id(2),
            &message(index),
            send_flags::UNRELIABLE,
            1,
        );
        assert_eq!(sent, SteamResult::OK);
        // One a frame at 60 Hz, as a game sends its state.
        world.run_for(Duration::from_millis(16));
        delivered.extend(world.receive(2, 1));
    }
    world.run_for(Duration::from_secs(5));
    delivered.extend(world.receive(2, 1));
    for payload in &delivered {
        assert_eq!(
            *payload,
            message(number_of(&payload[..4])),
            "intact or not at all"
        );
    }
    // Each message is three datagrams: about half arrive at 20% loss; reliable fragments got all 200 through.
    assert!(
        (COUNT as usize / 5..COUNT as usize * 4 / 5).contains(&delivered.len()),
        "{} of {COUNT} delivered",
        delivered.len()
    );
}

/// What makes this file's tests worth having: the same seed gives the same run, datagram for datagram.
#[test]
fn the_same_seed_replays_the_same_run() {
    let run = |seed| {
        let mut world = World::new(3, seed, ROUGH);
        let mut trace = Vec::new();
        for index in 0..3000u32 {
            let (from, to) = (1 + index as usize % 3, 1 + (index as usize + 1) % 3);
            world.backend(from).send_message_to_user(
                id(to),
                &numbered(index),
                RESTART,
                (index % 3) as i32,
            );
            if index % 700 == 0 {
                world.backend(to).close_session_with_user(id(from));
            }
            world.step();
            for local in 1..=3 {
                for event in world.take_events(local) {
                    if let BackendEvent::SessionRequest { remote } = event {
                        world.backend(local).accept_session_with_user(remote);
                    }
                    trace.push(format!("{:?} {local} {event:?}", world.now()));
                }
                for channel in 0..3 {
                    for payload in world.receive(local, channel) {
                        trace.push(format!("{:?} {local} {}", world.now(), number_of(&payload)));
                    }
                }
            }
        }
        (trace, world.network.counts())
    };
    let first = run(11);
    assert!(first.0.len() > 2000, "{} entries", first.0.len());
    assert_eq!(first, run(11));
    assert_ne!(first, run(12));
}

/// Steam's idle timeout (the local backend's default, 180 s) ends a session nobody sends on, silently.
#[test]
fn a_session_nobody_sends_on_closes_after_the_idle_timeout() {
    let mut world = World::new(2, 21, Conditions::default());
    connect(&mut world);
    world.run_for(Duration::from_secs(170));
    assert_eq!(
        world.state(1, 2),
        ConnectionState::CONNECTED,
        "still open at 170 s"
    );
    world.run_for(Duration::from_secs(15));
    // 2 last heard of the session first (1's message; 1 then heard its accept), so 2 idles out first, and 1
    // sees the peer close.
    assert_eq!(
        world.state(2, 1),
        ConnectionState::NONE,
        "closed after 180 s"
    );
    assert_ne!(
        world.state(1, 2),
        ConnectionState::CONNECTED,
        "closed on the other side too"
    );
    assert_eq!(
        failures(&world.take_events(2)),
        Vec::new(),
        "without a failure"
    );
}

/// Sending is activity, though a send on an established session reads no clock (the timers stamp it): a
/// session one side keeps sending on never reaches the idle timeout, with the other side silent.
#[test]
fn a_session_kept_busy_by_one_side_alone_never_goes_idle() {
    let mut world = World::new(2, 22, Conditions::default());
    connect(&mut world);
    for second in 0..200 {
        assert_eq!(
            world.state(1, 2),
            ConnectionState::CONNECTED,
            "open at {second} s"
        );
        let sent = world.backend(1).send_message_to_user(
            id(2),
            &numbered(second),
            send_flags::UNRELIABLE,
            0,
        );
        assert_eq!(sent, SteamResult::OK);
        world.run_for(Duration::from_secs(1));
    }
    let received: Vec<u32> = world.receive(2, 0).iter().map(|p| number_of(p)).collect();
    assert_eq!(
        received,
        (0..200).collect::<Vec<_>>(),
        "every message arrived"
    );
    assert_eq!(failures(&world.take_events(1)), Vec::new());
}

/// A receive call handing over many messages (each becomes a Dictionary in GDScript, which takes a while)
/// keeps taking in what reaches the socket meanwhile, rather than leaving it to overflow: what arrives
/// during the call is in the same call's result.
#[test]
fn a_long_receive_call_takes_in_what_arrives_meanwhile() {
    let delay = Duration::from_millis(5);
    let mut world = World::new(
        2,
        31,
        Conditions {
            delay,
            ..Conditions::default()
        },
    );
    connect(&mut world);
    let send = |world: &mut World, numbers: std::ops::Range<u32>| {
        for number in numbers {
            let sent = world.backend(1).send_message_to_user(
                id(2),
                &numbered(number),
                send_flags::UNRELIABLE,
                0,
            );
            assert_eq!(sent, SteamResult::OK);
        }
    };
    send(&mut world, 0..100);
    world.run_for(delay * 3);
    // The second hundred is on its way when 2 starts reading the first.
    send(&mut world, 100..200);
    world.step();
    let clock = world.clock.clone();
    let mut received = Vec::new();
    world
        .backend(2)
        .receive_messages_on_channel(0, 1_000, &mut |message| {
            received.push(number_of(message.payload));
            // GDScript's work on each message.
            clock.advance(Duration::from_micros(100));
        });
    assert_eq!(received, (0..200).collect::<Vec<_>>());
}

/// The first message of a frame leaves at once, so a reply does not wait for the end of the frame; the
/// frame's later messages leave together with the frame's end (its poll), sharing datagrams.
#[test]
fn the_first_message_of_a_frame_leaves_at_once_and_the_rest_at_its_end() {
    let mut world = World::new(2, 32, Conditions::default());
    connect(&mut world);
    world.step();
    for text in [b"first", b"later"] {
        let sent = world
            .backend(1)
            .send_message_to_user(id(2), text, RELIABLE, 0);
        assert_eq!(sent, SteamResult::OK);
    }
    // 2 reads before 1's frame ends.
    assert_eq!(world.receive(2, 0), vec![b"first".to_vec()]);
    world.step();
    assert_eq!(world.receive(2, 0), vec![b"later".to_vec()]);
}

/// A player who comes back under another name: the others get `persona_state_change` with NAME alone (the
/// name was set before), and the new name reads back.
#[test]
fn a_known_player_back_under_another_name_is_a_name_change() {
    use messages_engine::steam_types::persona_change::{NAME, NAME_FIRST_SET};
    let mut world = World::new(2, 33, Conditions::default());
    let name_changes_at_1 = |world: &mut World| -> Vec<i32> {
        world
            .take_events(1)
            .into_iter()
            .filter_map(|event| match event {
                BackendEvent::PersonaStateChange { user, flags } if user == id(2) => Some(flags),
                _ => None,
            })
            .collect()
    };
    world.run_until(Duration::from_secs(5), "1 hears 2's name", |world| {
        world.backend(1).friend_persona_name(id(2)) == Some("Player 2")
    });
    assert_eq!(name_changes_at_1(&mut world), vec![NAME | NAME_FIRST_SET]);
    world.kill(2);
    assert!(world.start_named(2, Some("Bob")));
    world.run_until(Duration::from_secs(5), "1 hears 2's new name", |world| {
        world.backend(1).friend_persona_name(id(2)) == Some("Bob")
    });
    assert_eq!(name_changes_at_1(&mut world), vec![NAME]);
}

// ---- lobbies, whose links each process pumps on its own cadence ----------------------------------------

fn lobby_events(events: Vec<BackendEvent>) -> Vec<LobbyEvent> {
    events
        .into_iter()
        .filter_map(|event| match event {
            BackendEvent::Lobby(event) => Some(event),
            _ => None,
        })
        .collect()
}

#[test]
fn a_lobby_call_is_reported_at_the_next_poll_with_no_time_passing() {
    let mut world = World::with_lobbies(1, 1, Conditions::default());
    // This frame pumped the lobby links: the next pump is not due for a while.
    world.step();
    world.take_events(1);
    let lobbies = world
        .backend(1)
        .lobbies()
        .expect("the local backend offers lobbies");
    let lobby = lobbies
        .create(lobby_type::PUBLIC, 4)
        .expect("a public lobby of 4 is created");
    let mut events = Vec::new();
    world.backend(1).poll(&mut events);
    assert_eq!(
        lobby_events(events).first(),
        Some(&LobbyEvent::Created {
            result: SteamResult::OK,
            lobby
        })
    );
}

#[test]
fn a_lobby_is_found_and_joined_over_a_rough_link() {
    let mut world = World::with_lobbies(2, 3, ROUGH);
    let lobby = world
        .backend(1)
        .lobbies()
        .expect("lobbies offered")
        .create(lobby_type::PUBLIC, 4)
        .expect("created");
    // Searching at once, as games do after steamInitEx: the search waits for a round of presence.
    world
        .backend(2)
        .lobbies()
        .expect("lobbies offered")
        .request_lobby_list();
    let mut found = Vec::new();
    world.run_until(Duration::from_secs(10), "the search's answer", |world| {
        for event in lobby_events(world.take_events(2)) {
            if let LobbyEvent::MatchList { lobbies } = event {
                found = lobbies;
                return true;
            }
        }
        false
    });
    assert_eq!(found, vec![lobby], "seed {}", world.seed);
    world
        .backend(2)
        .lobbies()
        .expect("lobbies offered")
        .join_lobby(lobby);
    world.run_until(Duration::from_secs(10), "b's join", |world| {
        lobby_events(world.take_events(2)).contains(&LobbyEvent::Joined {
            lobby,
            response: enter_response::SUCCESS,
        })
    });
    let owner_sees = |events: Vec<LobbyEvent>| {
        events.iter().any(|event| {
            matches!(event, LobbyEvent::ChatUpdate { lobby: seen, changed, state, .. }
                if *seen == lobby && *changed == id(2) && *state == member_state::ENTERED)
        })
    };
    world.run_until(Duration::from_secs(10), "a hears b enter", |world| {
        owner_sees(lobby_events(world.take_events(1)))
    });
}

/// On a 20% lossy link the reliable HELLO that opens a connection can take over 5 s: ENet retransmits it on a
/// round-trip estimate still near its 500 ms default, doubled on each loss. The peer drops a connection whose
/// HELLO has not come within 5 s, and the sender's session then failed ("the peer stopped responding"): once
/// in about 1,500 exchanges here, and once in a CI run of `pair_lossy_link`. Our keep-alives on a connection
/// the peer has not answered on yet are now copies of the HELLO. These seeds include the two of 3,000 that
/// failed so (1157, 1598); with each, nothing fails, and the reply arrives and stays delivered.
#[test]
fn a_reply_over_a_lossy_link_survives_a_hello_that_enet_takes_seconds_to_deliver() {
    for seed in (1150..=1160).chain(1590..=1600) {
        let mut world = World::new(2, seed, LOSSY);
        world
            .backend(1)
            .send_message_to_user(id(2), b"join", RELIABLE, 0);
        let mut replied = false;
        let mut reply_at = None;
        let start = world.now();
        while reply_at.is_none_or(|at| world.now() - at < Duration::from_secs(10)) {
            let failed = (failures(&world.take_events(1)), failures(&world.events[2]));
            assert_eq!(failed, (vec![], vec![]), "seed {seed} at {:?}", world.now());
            if world.events[2]
                .iter()
                .any(|event| is_request_from(event, 1))
            {
                world.take_events(2);
                assert!(world.backend(2).accept_session_with_user(id(1)));
            }
            if !replied && world.receive(2, 0) == vec![b"join".to_vec()] {
                replied = true;
                world
                    .backend(2)
                    .send_message_to_user(id(1), b"welcome", RELIABLE, 0);
            }
            if reply_at.is_none() && world.receive(1, 0) == vec![b"welcome".to_vec()] {
                reply_at = Some(world.now());
            }
            assert!(
                world.now() - start < Duration::from_secs(30),
                "seed {seed}: no reply within 30 s"
            );
            world.step();
        }
    }
}
