//! The local backend's Steam semantics, between two backends on real loopback UDP sockets, driven by one
//! manual clock so timeouts are deterministic.
//!
//! Two kinds of waits keep the tests independent of the machine's speed: what only needs datagrams to cross
//! is awaited with the manual clock stopped (`wait_for`), so no protocol timeout can fire however slowly the
//! kernel moves them; what needs protocol time (timeouts, repeats, retransmissions) advances the clock step by
//! step (`run_until`, `run_for`). Wall-clock deadlines are only a safety net, far above any need.

use std::collections::{HashMap, HashSet};
use std::net::UdpSocket;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use messages_engine::backend::config::LocalConfig;
use messages_engine::backend::local::transport::Clock;
use messages_engine::backend::local::wire::{Frame, PROTOCOL_VERSION};
use messages_engine::backend::local::{self, LocalBackend};
use messages_engine::backend::{BackendEvent, MessagesBackend};
use messages_engine::steam_types::{ConnectionState, SteamId, SteamResult, send_flags};

mod common;
use common::loopback_socket;

const RELIABLE: i32 = send_flags::RELIABLE;
const STEP: Duration = Duration::from_millis(5);
/// The Steam app ID the tests' backends run as. They announce themselves to the same-machine port range like
/// any instance: an app ID no game uses keeps them out of a game's or the Godot suites' `getVisiblePeers()`.
const TEST_APP_ID: u32 = 3_999_999_001;
/// Wall-clock safety net for any wait: far above what a busy machine needs.
const PATIENCE: Duration = Duration::from_secs(60);
/// Protocol time within which whatever a test awaits must happen (the longest, a vanished peer's timeout,
/// takes about 10 s).
const PROTOCOL_PATIENCE: Duration = Duration::from_secs(60);

struct Pair {
    a: LocalBackend,
    b: LocalBackend,
    a_id: SteamId,
    b_id: SteamId,
    time: Arc<AtomicU64>,
    /// Session events (requests, failures) each side posted.
    a_events: Vec<BackendEvent>,
    b_events: Vec<BackendEvent>,
    /// Persona changes each side posted, kept apart: presence announcements bring them at any time.
    a_persona_changes: Vec<(SteamId, i32)>,
    b_persona_changes: Vec<(SteamId, i32)>,
}

fn pair() -> Pair {
    pair_with(LocalConfig {
        connect_timeout: Duration::from_secs(3),
        ..LocalConfig::default()
    })
}

fn pair_with(config: LocalConfig) -> Pair {
    let config = LocalConfig {
        app_id: if config.app_id == 0 {
            TEST_APP_ID
        } else {
            config.app_id
        },
        ..config
    };
    let time = Arc::new(AtomicU64::new(1_000_000));
    let clock_time = Arc::clone(&time);
    let clock: Clock = Arc::new(move || Duration::from_micros(clock_time.load(Ordering::SeqCst)));
    let a_socket = loopback_socket();
    let b_socket = loopback_socket();
    let (a_id, b_id) = (LocalConfig::steam_id_of(1), LocalConfig::steam_id_of(2));
    let mut a_config = config.clone();
    a_config.peers = vec![(b_id, b_socket.local_addr().unwrap())];
    let mut b_config = config;
    b_config.peers = vec![(a_id, a_socket.local_addr().unwrap())];
    Pair {
        a: LocalBackend::with_socket(a_id, a_socket, a_config, clock.clone()).unwrap(),
        b: LocalBackend::with_socket(b_id, b_socket, b_config, clock).unwrap(),
        a_id,
        b_id,
        time,
        a_events: Vec::new(),
        b_events: Vec::new(),
        a_persona_changes: Vec::new(),
        b_persona_changes: Vec::new(),
    }
}

impl Pair {
    /// The protocol time both backends see.
    fn now(&self) -> Duration {
        Duration::from_micros(self.time.load(Ordering::SeqCst))
    }

    /// Polls both backends without advancing protocol time.
    fn poll(&mut self) {
        self.a.poll(&mut self.a_events);
        self.b.poll(&mut self.b_events);
        take_persona_changes(&mut self.a_events, &mut self.a_persona_changes);
        take_persona_changes(&mut self.b_events, &mut self.b_persona_changes);
    }

    /// Advances protocol time by one step and polls.
    fn step(&mut self) {
        self.time
            .fetch_add(STEP.as_micros() as u64, Ordering::SeqCst);
        self.poll();
        // Let the kernel move the datagrams.
        std::thread::sleep(Duration::from_micros(200));
    }

    /// Advances protocol time by `duration`, step by step.
    fn run_for(&mut self, duration: Duration) {
        for _ in 0..(duration.as_millis() / STEP.as_millis()).max(1) {
            self.step();
        }
    }

    /// Advances protocol time step by step until `done`: for what takes protocol time (timeouts, repeated
    /// requests, retransmissions of what a full socket buffer dropped).
    fn run_until(&mut self, what: &str, mut done: impl FnMut(&mut Self) -> bool) {
        let (start, deadline) = (self.now(), Instant::now() + PATIENCE);
        while !done(self) {
            assert!(
                self.now() - start < PROTOCOL_PATIENCE,
                "{what} did not happen within {PROTOCOL_PATIENCE:?} of protocol time"
            );
            assert!(Instant::now() < deadline, "timed out waiting for: {what}");
            self.step();
        }
    }

    /// Waits for what only needs datagrams to cross, with protocol time stopped: polls both backends until
    /// `done`, however long the kernel takes.
    fn wait_for(&mut self, what: &str, mut done: impl FnMut(&mut Self) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while !done(self) {
            assert!(Instant::now() < deadline, "timed out waiting for: {what}");
            self.poll();
            std::thread::sleep(Duration::from_micros(100));
        }
    }

    /// a sees its session with b connected.
    fn sees_connected(&mut self) -> bool {
        self.a.session_connection_info(self.b_id).state == ConnectionState::CONNECTED
    }
}

impl Pair {
    /// a opens a session with `first` on channel 0, b accepts; returns once a sees it connected.
    fn connect(&mut self, first: &[u8]) {
        self.a.send_message_to_user(self.b_id, first, RELIABLE, 0);
        self.wait_for("request", |p| requests(&p.b_events) > 0);
        self.b.accept_session_with_user(self.a_id);
        self.wait_for("connected", Pair::sees_connected);
    }
}

fn receive(backend: &mut LocalBackend, channel: i32) -> Vec<Vec<u8>> {
    let mut payloads = Vec::new();
    backend.receive_messages_on_channel(channel, usize::MAX, &mut |message| {
        payloads.push(message.payload.to_vec())
    });
    payloads
}

fn requests(events: &[BackendEvent]) -> usize {
    events
        .iter()
        .filter(|event| matches!(event, BackendEvent::SessionRequest { .. }))
        .count()
}

#[test]
fn first_message_posts_a_session_request_and_is_held_until_accepted() {
    let mut p = pair();
    assert_eq!(
        p.a.send_message_to_user(p.b_id, b"hi", RELIABLE, 0),
        SteamResult::OK
    );
    p.wait_for("a session request", |p| requests(&p.b_events) > 0);
    assert_eq!(
        p.b_events[0],
        BackendEvent::SessionRequest { remote: p.a_id }
    );
    assert!(
        receive(&mut p.b, 0).is_empty(),
        "nothing is delivered before accept"
    );
    assert!(p.b.accept_session_with_user(p.a_id));
    assert_eq!(receive(&mut p.b, 0), vec![b"hi".to_vec()]);
    p.wait_for("the sender sees the accept", Pair::sees_connected);
}

/// A hand-made peer: one ENet connection to b on the pair's clock, over which a test sends frames of its
/// choosing under a Steam ID of its choosing (as a hostile or buggy peer could).
struct RawPeer {
    host: rusty_enet::Host<UdpSocket>,
    peer: rusty_enet::PeerID,
    connected: bool,
    disconnected: bool,
}

impl RawPeer {
    fn connect(p: &Pair) -> Self {
        let time = Arc::clone(&p.time);
        let mut host = rusty_enet::Host::new(
            loopback_socket(),
            rusty_enet::HostSettings {
                peer_limit: 1,
                channel_limit: 2,
                time: Box::new(move || Duration::from_micros(time.load(Ordering::SeqCst))),
                checksum: Some(Box::new(local::ENET_CHECKSUM)),
                ..rusty_enet::HostSettings::default()
            },
        )
        .unwrap();
        let peer = host.connect(p.b.local_address(), 2, 0).unwrap().id();
        Self {
            host,
            peer,
            connected: false,
            disconnected: false,
        }
    }

    /// Moves its packets; true once connected.
    fn pump(&mut self) -> bool {
        while let Ok(Some(event)) = self.host.service() {
            match event {
                rusty_enet::Event::Connect { .. } => self.connected = true,
                rusty_enet::Event::Disconnect { .. } => self.disconnected = true,
                rusty_enet::Event::Receive { .. } => {}
            }
        }
        self.host.flush();
        self.connected
    }

    fn send(&mut self, enet_channel: u8, frame: &Frame<'_>) {
        let packet = if enet_channel == 0 {
            rusty_enet::Packet::reliable(frame.encode())
        } else {
            rusty_enet::Packet::unreliable(frame.encode())
        };
        self.host
            .peer_mut(self.peer)
            .send(enet_channel, &packet)
            .unwrap();
        self.host.flush();
    }

    /// Connects and says HELLO as `from`, as a real peer's first packet, from a process run of its own.
    fn hello(p: &mut Pair, from: SteamId) -> Self {
        let mut raw = Self::connect(p);
        p.wait_for("the raw peer connects", |_| raw.pump());
        let to = p.b_id;
        raw.send(
            0,
            &Frame::Hello {
                version: PROTOCOL_VERSION,
                from,
                to,
                instance: 0x5eed_0000_0000_0001,
            },
        );
        raw
    }
}

/// Steam posts the request for each new incoming connection, before any message: on a lossy link the first
/// messages can sit behind retransmissions for seconds while the sender's connect timeout runs.
#[test]
fn a_connection_request_alone_posts_a_session_request() {
    let mut p = pair();
    let from = SteamId(76_561_198_100_000_001);
    let mut raw = RawPeer::hello(&mut p, from);
    p.wait_for("a session request", |p| {
        raw.pump();
        requests(&p.b_events) > 0
    });
    assert_eq!(
        p.b_events,
        vec![BackendEvent::SessionRequest { remote: from }]
    );
    assert!(p.b.accept_session_with_user(from));
}

/// Steam documents that a received message's flags carry only the reliable bit, as the message travelled.
#[test]
fn received_flags_say_only_how_the_message_travelled() {
    let mut p = pair();
    let from = SteamId(76_561_198_100_000_002);
    let mut raw = RawPeer::hello(&mut p, from);
    let data = |flags| Frame::Data {
        channel: 0,
        flags,
        number: 1,
        payload: b"x",
    };
    raw.send(1, &data(-1));
    raw.send(0, &data(0));
    p.wait_for("a session request", |p| {
        raw.pump();
        requests(&p.b_events) > 0
    });
    p.b.accept_session_with_user(from);
    let mut flags = Vec::new();
    p.wait_for("both messages", |p| {
        raw.pump();
        p.b.receive_messages_on_channel(0, 10, &mut |message| flags.push(message.flags));
        flags.len() == 2
    });
    flags.sort();
    assert_eq!(flags, vec![send_flags::UNRELIABLE, RELIABLE]);
}

/// Steam never delivers a message over MAX_STEAM_PACKET_SIZE: one from a peer breaks the protocol, fails its
/// session, and reaches no GDScript.
#[test]
fn a_message_over_max_steam_packet_size_from_a_peer_fails_its_session() {
    use messages_engine::steam_types::MAX_STEAM_PACKET_SIZE;
    let mut p = pair();
    let from = SteamId(76_561_198_100_000_003);
    let mut raw = RawPeer::hello(&mut p, from);
    p.wait_for("a session request", |p| {
        raw.pump();
        requests(&p.b_events) > 0
    });
    p.b.accept_session_with_user(from);
    let huge = vec![7u8; MAX_STEAM_PACKET_SIZE + 1];
    raw.send(
        0,
        &Frame::Data {
            channel: 0,
            flags: RELIABLE,
            number: 1,
            payload: &huge,
        },
    );
    p.run_until("the session fails", |p| {
        raw.pump();
        p.b_events
            .iter()
            .any(|event| matches!(event, BackendEvent::SessionFailed { reason: 5001, .. }))
    });
    assert!(receive(&mut p.b, 0).is_empty(), "nothing is delivered");
}

#[test]
fn accepting_an_unknown_user_returns_false() {
    let mut p = pair();
    assert!(!p.b.accept_session_with_user(p.a_id));
}

#[test]
fn requests_repeat_while_the_peer_keeps_sending() {
    // The default connect timeout (10 s): the sender's session outlasts the repeats.
    let mut p = pair_with(LocalConfig::default());
    p.a.send_message_to_user(p.b_id, b"1", RELIABLE, 0);
    p.wait_for("first request", |p| requests(&p.b_events) == 1);
    for repeat in 2..=4 {
        p.a.send_message_to_user(p.b_id, b"again", RELIABLE, 0);
        p.run_until("a repeated request", |p| requests(&p.b_events) == repeat);
    }
}

#[test]
fn reliable_messages_arrive_exactly_once_and_in_order_per_channel() {
    let mut p = pair();
    p.b.send_message_to_user(p.a_id, b"open", RELIABLE, 9);
    p.a.send_message_to_user(p.b_id, b"open", RELIABLE, 9);
    p.wait_for("both connected", |p| {
        p.sees_connected()
            && p.b.session_connection_info(p.a_id).state == ConnectionState::CONNECTED
    });
    let count = 3_000u32;
    for i in 0..count {
        let channel = (i % 3) as i32;
        let result =
            p.a.send_message_to_user(p.b_id, &i.to_le_bytes(), RELIABLE, channel);
        assert_eq!(result, SteamResult::OK);
        if i % 200 == 0 {
            p.step();
        }
    }
    let mut got: [Vec<u32>; 3] = Default::default();
    p.run_until("all messages", |p| {
        for (channel, list) in got.iter_mut().enumerate() {
            for payload in receive(&mut p.b, channel as i32) {
                list.push(u32::from_le_bytes(payload.try_into().unwrap()));
            }
        }
        got.iter().map(Vec::len).sum::<usize>() >= count as usize
    });
    for (channel, list) in got.iter().enumerate() {
        let expected: Vec<u32> = (0..count).filter(|i| (i % 3) as usize == channel).collect();
        assert_eq!(list, &expected, "channel {channel}");
    }
}

#[test]
fn sending_to_a_requesting_peer_accepts_its_session() {
    let mut p = pair();
    p.a.send_message_to_user(p.b_id, b"from a", RELIABLE, 0);
    p.wait_for("request", |p| requests(&p.b_events) > 0);
    p.b.send_message_to_user(p.a_id, b"from b", RELIABLE, 0);
    assert_eq!(receive(&mut p.b, 0), vec![b"from a".to_vec()]);
    p.wait_for("a receives", |p| !receive(&mut p.a, 0).is_empty());
    assert_eq!(
        requests(&p.a_events),
        0,
        "a started the session, so it gets no request"
    );
}

#[test]
fn unaccepted_session_fails_on_the_sender_after_the_connect_timeout() {
    let mut p = pair();
    p.a.send_message_to_user(p.b_id, b"knock", RELIABLE, 0);
    p.run_for(Duration::from_secs(2));
    assert!(p.a_events.is_empty());
    p.run_until("failure", |p| !p.a_events.is_empty());
    match &p.a_events[0] {
        BackendEvent::SessionFailed {
            remote,
            reason,
            state,
            ..
        } => {
            assert_eq!(*remote, p.b_id);
            assert_eq!(*reason, 5003);
            assert_eq!(*state, ConnectionState::PROBLEM_DETECTED_LOCALLY);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        p.a.send_message_to_user(p.b_id, b"again", RELIABLE, 0),
        SteamResult::NO_CONNECTION
    );
}

#[test]
fn closed_session_is_closed_by_peer_on_the_other_side_until_autorestart() {
    let mut p = pair();
    p.connect(b"hello");
    assert!(p.b.close_session_with_user(p.a_id));
    p.wait_for("closed by peer", |p| {
        p.a.session_connection_info(p.b_id).state == ConnectionState::CLOSED_BY_PEER
    });
    assert!(p.a_events.is_empty(), "closing posts no callback");
    assert_eq!(
        p.a.send_message_to_user(p.b_id, b"x", RELIABLE, 0),
        SteamResult::NO_CONNECTION
    );
    let restart = RELIABLE | send_flags::AUTORESTART_BROKEN_SESSION;
    assert_eq!(
        p.a.send_message_to_user(p.b_id, b"again", restart, 0),
        SteamResult::OK
    );
    let before = requests(&p.b_events);
    p.wait_for("a new request", |p| requests(&p.b_events) > before);
    p.b.accept_session_with_user(p.a_id);
    // Unread messages of the closed session were discarded with it.
    assert_eq!(receive(&mut p.b, 0), vec![b"again".to_vec()]);
}

/// Steam's CloseChannelWithUser returns false and changes nothing for a channel with no traffic, even on a
/// session that has no open channel yet (a pending request).
#[test]
fn closing_a_channel_never_opened_returns_false_and_changes_nothing() {
    let mut p = pair();
    p.a.send_message_to_user(p.b_id, b"one", RELIABLE, 1);
    p.wait_for("request", |p| requests(&p.b_events) > 0);
    assert!(
        !p.b.close_channel_with_user(p.a_id, 1),
        "the pending request has no open channel"
    );
    assert!(
        p.b.accept_session_with_user(p.a_id),
        "the request is still there"
    );
    assert!(!p.b.close_channel_with_user(p.a_id, 7));
    assert_eq!(receive(&mut p.b, 1), vec![b"one".to_vec()]);
    assert_eq!(
        p.b.session_connection_info(p.a_id).state,
        ConnectionState::CONNECTED
    );
}

#[test]
fn closing_the_last_channel_closes_the_session() {
    let mut p = pair();
    p.a.send_message_to_user(p.b_id, b"one", RELIABLE, 1);
    p.wait_for("request", |p| requests(&p.b_events) > 0);
    p.b.accept_session_with_user(p.a_id);
    assert_eq!(receive(&mut p.b, 1).len(), 1);
    assert!(p.b.close_channel_with_user(p.a_id, 1));
    assert_eq!(
        p.b.session_connection_info(p.a_id).state,
        ConnectionState::NONE
    );
    p.wait_for("closed by peer", |p| {
        p.a.session_connection_info(p.b_id).state == ConnectionState::CLOSED_BY_PEER
    });
    let restart = RELIABLE | send_flags::AUTORESTART_BROKEN_SESSION;
    let before = requests(&p.b_events);
    p.a.send_message_to_user(p.b_id, b"two", restart, 1);
    p.wait_for("a new request", |p| requests(&p.b_events) > before);
}

#[test]
fn vanished_peer_fails_the_session() {
    let mut p = pair();
    p.connect(b"hello");
    // Simulate a killed process: its socket goes away without a word.
    std::mem::forget(std::mem::replace(
        &mut p.b,
        LocalBackend::with_socket(
            p.b_id,
            loopback_socket(),
            LocalConfig::default(),
            Arc::new(|| Duration::ZERO),
        )
        .unwrap(),
    ));
    p.a.send_message_to_user(p.b_id, b"anyone?", RELIABLE, 0);
    p.run_until("failure", |p| {
        p.a_events
            .iter()
            .any(|event| matches!(event, BackendEvent::SessionFailed { reason: 5003, .. }))
    });
    assert_eq!(
        p.a.session_connection_info(p.b_id).state,
        ConnectionState::PROBLEM_DETECTED_LOCALLY
    );
}

#[test]
fn session_info_reports_state_address_and_traffic() {
    let mut p = pair();
    p.connect(b"hello");
    for _ in 0..50 {
        p.a.send_message_to_user(p.b_id, &[7; 100], RELIABLE, 0);
    }
    p.run_for(Duration::from_millis(1_200));
    let info = p.a.session_connection_info(p.b_id);
    assert_eq!(info.connection.identity, p.b_id);
    assert_eq!(info.connection.remote_address, "127.0.0.1");
    assert!(info.status.ping >= 0, "{info:?}");
    assert!(info.status.out_bytes_per_sec > 0.0 || info.status.out_packets_per_sec >= 0.0);
    assert_eq!(
        p.a.session_connection_info(SteamId(12345)).state,
        ConnectionState::NONE
    );
}

#[test]
fn unknown_peer_fails_with_no_route() {
    let mut p = pair();
    let stranger = SteamId(76_561_198_999_999_999);
    assert_eq!(
        p.a.send_message_to_user(stranger, b"?", RELIABLE, 0),
        SteamResult::OK
    );
    p.step();
    assert!(matches!(
        p.a_events.as_slice(),
        [BackendEvent::SessionFailed { reason: 5008, .. }]
    ));
}

#[test]
fn full_send_buffer_before_connecting_returns_limit_exceeded() {
    let mut p = pair();
    let big = vec![0u8; 300 * 1024];
    let results: Vec<SteamResult> = (0..5)
        .map(|_| p.a.send_message_to_user(p.b_id, &big, RELIABLE, 0))
        .collect();
    assert_eq!(results[0], SteamResult::OK);
    assert!(
        results.contains(&SteamResult::LIMIT_EXCEEDED),
        "{results:?}"
    );
}

#[test]
fn unreliable_no_delay_before_connecting_is_ignored() {
    let mut p = pair();
    let flags = send_flags::UNRELIABLE | send_flags::NO_DELAY;
    assert_eq!(
        p.a.send_message_to_user(p.b_id, b"now", flags, 0),
        SteamResult::IGNORED
    );
}

#[test]
fn garbage_datagrams_do_not_disturb_a_session() {
    let mut p = pair();
    p.connect(b"before");
    let attacker = loopback_socket();
    let mut rng = fastrand::Rng::with_seed(1);
    for _ in 0..500 {
        let len = rng.usize(0..1200);
        let junk: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
        attacker.send_to(&junk, p.b.local_address()).unwrap();
    }
    p.a.send_message_to_user(p.b_id, b"after", RELIABLE, 0);
    let mut got = Vec::new();
    // The junk may fill b's socket buffer: what it drops, ENet sends again in protocol time.
    p.run_until("after", |p| {
        got.extend(receive(&mut p.b, 0));
        got.len() >= 2
    });
    assert_eq!(got, vec![b"before".to_vec(), b"after".to_vec()]);
}

#[test]
fn instances_see_each_other_through_presence() {
    let mut p = pair();
    assert!(p.a.visible_peers().is_empty());
    p.wait_for("presence", |p| {
        p.a.visible_peers() == vec![p.b_id] && p.b.visible_peers() == vec![p.a_id]
    });
}

/// A launch line shared by every instance (`--steam-peer` for each of them) lists our own ID too: nothing is
/// sent there, or whatever stands at that address (a relay in front of the peer) takes us for the peer.
#[test]
fn presence_goes_to_configured_peers_but_not_to_an_address_configured_for_our_own_id() {
    let (own, other) = (loopback_socket(), loopback_socket());
    for socket in [&own, &other] {
        socket.set_nonblocking(true).unwrap();
    }
    let (id, peer_id) = (LocalConfig::steam_id_of(1), LocalConfig::steam_id_of(2));
    let time = Arc::new(AtomicU64::new(1_000_000));
    let clock_time = Arc::clone(&time);
    let clock: Clock = Arc::new(move || Duration::from_micros(clock_time.load(Ordering::SeqCst)));
    let socket = loopback_socket();
    let backend_address = socket.local_addr().unwrap();
    let mut backend = LocalBackend::with_socket(
        id,
        socket,
        LocalConfig {
            app_id: TEST_APP_ID,
            peers: vec![
                (id, own.local_addr().unwrap()),
                (peer_id, other.local_addr().unwrap()),
            ],
            ..LocalConfig::default()
        },
        clock,
    )
    .unwrap();
    let mut buffer = [0u8; 2048];
    let mut events = Vec::new();
    let deadline = Instant::now() + PATIENCE;
    let mut announcements = 0;
    while announcements < 3 {
        assert!(Instant::now() < deadline, "timed out waiting for presence");
        time.fetch_add(1_100_000, Ordering::SeqCst);
        backend.poll(&mut events);
        std::thread::sleep(Duration::from_millis(1));
        while let Ok((_, from)) = other.recv_from(&mut buffer) {
            announcements += usize::from(from == backend_address);
        }
    }
    // Only this backend's datagrams count: an ephemeral port can be a local-ID port that other tests'
    // backends announce themselves to.
    while let Ok((_, from)) = own.recv_from(&mut buffer) {
        assert_ne!(
            from, backend_address,
            "nothing is sent to the address configured for our own ID"
        );
    }
}

#[test]
fn instances_of_another_app_id_are_not_listed() {
    let (a_app, b_app) = (TEST_APP_ID, TEST_APP_ID + 1);
    let mut p = pair_with(LocalConfig {
        app_id: a_app,
        ..LocalConfig::default()
    });
    let time = Arc::clone(&p.time);
    let mut other_game = LocalBackend::with_socket(
        LocalConfig::steam_id_of(3),
        loopback_socket(),
        LocalConfig {
            app_id: b_app,
            // Announces itself straight to a, every second of the shared clock.
            peers: vec![(p.a_id, p.a.local_address())],
            ..LocalConfig::default()
        },
        Arc::new(move || Duration::from_micros(time.load(Ordering::SeqCst))),
    )
    .unwrap();
    let mut ignored = Vec::new();
    p.wait_for("a hears b", |p| {
        other_game.poll(&mut ignored);
        p.a.visible_peers() == vec![p.b_id]
    });
    // Three announcements' worth of the other game's presence.
    for _ in 0..(3_000 / STEP.as_millis()) {
        other_game.poll(&mut ignored);
        p.step();
    }
    assert_eq!(
        p.a.visible_peers(),
        vec![p.b_id],
        "only the same app's instance"
    );
}

/// Connects `count` ENet peers from one attacker host and sends each a HELLO with its own forged Steam ID
/// (numbered from `first`) followed by data, then runs protocol time until b has dealt with every one: posted
/// its request, turned it away, or left it without a connection slot until it gave up. The attacker runs on
/// the pair's clock, so its retries keep pace with b's timers. Returns the attacker host, so its connections
/// stay up, and the most sessions b held meanwhile.
fn forge_requests(p: &mut Pair, first: u64, count: u64) -> (rusty_enet::Host<UdpSocket>, usize) {
    let (target, to) = (p.b.local_address(), p.b_id);
    let time = Arc::clone(&p.time);
    let mut attacker = rusty_enet::Host::new(
        loopback_socket(),
        rusty_enet::HostSettings {
            peer_limit: count as usize,
            channel_limit: 2,
            time: Box::new(move || Duration::from_micros(time.load(Ordering::SeqCst))),
            checksum: Some(Box::new(local::ENET_CHECKSUM)),
            ..rusty_enet::HostSettings::default()
        },
    )
    .unwrap();
    let forged: HashMap<rusty_enet::PeerID, SteamId> = (0..count)
        .map(|index| {
            let peer = attacker.connect(target, 2, 0).unwrap();
            // A forged peer that finds no free connection slot knocks again for 5 s, then gives up.
            peer.set_timeout(32, 5_000, 5_000);
            (peer.id(), SteamId(76_561_198_100_000_000 + first + index))
        })
        .collect();
    let mut unanswered: HashSet<SteamId> = forged.values().copied().collect();
    let mut most_sessions = p.b.session_count();
    let mut seen_events = p.b_events.len();
    let deadline = Instant::now() + PATIENCE;
    while !unanswered.is_empty() {
        assert!(
            Instant::now() < deadline,
            "b dealt with only {} of {count} forged peers",
            count as usize - unanswered.len()
        );
        while let Ok(Some(event)) = attacker.service() {
            match event {
                rusty_enet::Event::Connect { peer, .. } => {
                    // HELLO at once, as a real peer does, then data.
                    let hello = Frame::Hello {
                        version: PROTOCOL_VERSION,
                        from: forged[&peer.id()],
                        to,
                        instance: 1,
                    }
                    .encode();
                    let data = Frame::Data {
                        channel: 0,
                        flags: RELIABLE,
                        number: 1,
                        payload: b"forged",
                    }
                    .encode();
                    let _ = peer.send(0, &rusty_enet::Packet::reliable(hello));
                    let _ = peer.send(0, &rusty_enet::Packet::reliable(data));
                }
                rusty_enet::Event::Disconnect { peer, .. } => {
                    unanswered.remove(&forged[&peer.id()]);
                }
                rusty_enet::Event::Receive { .. } => {}
            }
        }
        attacker.flush();
        p.step();
        most_sessions = most_sessions.max(p.b.session_count());
        for event in &p.b_events[seen_events..] {
            if let BackendEvent::SessionRequest { remote } = event {
                unanswered.remove(remote);
            }
        }
        seen_events = p.b_events.len();
    }
    (attacker, most_sessions)
}

#[test]
fn a_flood_of_forged_session_requests_is_capped_and_the_real_session_keeps_working() {
    use messages_engine::backend::local::MAX_PENDING_SESSIONS;
    let mut p = pair();
    p.connect(b"real");
    // More forged peers than b has connection slots: some wait for a slot and try again.
    let (_attacker, most_sessions) = forge_requests(&mut p, 0, 600);
    assert!(
        most_sessions <= MAX_PENDING_SESSIONS + 1,
        "{most_sessions} sessions"
    );
    // The real request plus at least a full set of forged ones.
    assert!(
        requests(&p.b_events) > MAX_PENDING_SESSIONS,
        "the forged requests did arrive"
    );
    p.a.send_message_to_user(p.b_id, b"still here", RELIABLE, 0);
    let mut got = Vec::new();
    // b's socket may still be busy with the flood: what it drops, ENet sends again in protocol time.
    p.run_until("the real message", |p| {
        got.extend(receive(&mut p.b, 0));
        got.iter().any(|payload| payload == b"still here")
    });
    assert!(
        !got.iter().any(|payload| payload == b"forged"),
        "nothing forged is delivered unaccepted"
    );
}

#[test]
fn unanswered_requests_expire_after_the_connect_timeout() {
    let mut p = pair();
    let (_attacker, _) = forge_requests(&mut p, 0, 20);
    assert_eq!(requests(&p.b_events), 20);
    assert_eq!(p.b.session_count(), 20);
    // The connect timeout (3 s) counts from the requests' last activity, the poll that posted them.
    p.run_for(Duration::from_millis(2_900));
    assert_eq!(p.b.session_count(), 20, "pending until the connect timeout");
    p.run_for(Duration::from_millis(200));
    assert_eq!(p.b.session_count(), 0, "pending requests expired");
}

#[test]
fn a_peer_restarted_on_the_same_port_opens_a_fresh_session() {
    let mut p = pair();
    p.a.send_message_to_user(p.b_id, b"hello", RELIABLE, 0);
    p.wait_for("request", |p| requests(&p.b_events) == 1);
    p.b.accept_session_with_user(p.a_id);
    assert_eq!(receive(&mut p.b, 0), vec![b"hello".to_vec()]);
    for _ in 0..500 {
        p.a.send_message_to_user(p.b_id, &[0; 1000], RELIABLE, 1);
    }
    p.step();
    // Shut a down mid-transfer and start it again on the same port.
    let a_address = p.a.local_address();
    let b_address = p.b.local_address();
    let clock_time = Arc::clone(&p.time);
    let clock: Clock = Arc::new(move || Duration::from_micros(clock_time.load(Ordering::SeqCst)));
    let config = LocalConfig {
        peers: vec![(p.b_id, b_address)],
        connect_timeout: Duration::from_secs(3),
        app_id: TEST_APP_ID,
        ..LocalConfig::default()
    };
    let placeholder =
        LocalBackend::with_socket(p.a_id, loopback_socket(), config.clone(), clock.clone())
            .unwrap();
    drop(std::mem::replace(&mut p.a, placeholder));
    p.a = LocalBackend::with_socket(p.a_id, UdpSocket::bind(a_address).unwrap(), config, clock)
        .unwrap();
    p.wait_for("closed by peer", |p| {
        receive(&mut p.b, 1);
        p.b.session_connection_info(p.a_id).state == ConnectionState::CLOSED_BY_PEER
    });
    p.a.send_message_to_user(p.b_id, b"back", RELIABLE, 0);
    p.wait_for("a fresh request", |p| requests(&p.b_events) == 2);
    p.b.accept_session_with_user(p.a_id);
    assert_eq!(receive(&mut p.b, 0), vec![b"back".to_vec()]);
}

#[test]
fn a_receiver_that_does_not_read_makes_the_sender_see_limit_exceeded_until_it_reads() {
    use messages_engine::backend::local::session::SEND_WINDOW_BYTES;
    let mut p = pair();
    p.connect(b"open");
    assert_eq!(receive(&mut p.b, 0).len(), 1);
    let chunk = [3u8; 1024];
    let mut accepted = 0usize;
    let mut refused = false;
    for _ in 0..(SEND_WINDOW_BYTES as usize / chunk.len() * 2) {
        match p.a.send_message_to_user(p.b_id, &chunk, RELIABLE, 1) {
            SteamResult::OK => accepted += 1,
            SteamResult::LIMIT_EXCEEDED => {
                refused = true;
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
        if accepted.is_multiple_of(256) {
            p.step();
        }
    }
    assert!(refused, "the sender was stopped by the window");
    assert!(accepted * chunk.len() <= SEND_WINDOW_BYTES as usize);
    // Memory on the receiver is bounded by the window, and nothing was lost.
    let mut got = 0;
    p.run_until("everything accepted arrives", |p| {
        got += receive(&mut p.b, 1).len();
        got >= accepted
    });
    assert_eq!(got, accepted);
    p.run_until("the window reopens", |p| {
        p.a.send_message_to_user(p.b_id, &chunk, RELIABLE, 1) == SteamResult::OK
    });
}

#[test]
fn large_reliable_messages_keep_flowing_through_the_send_window() {
    let mut p = pair();
    p.connect(b"open");
    receive(&mut p.b, 0);
    let chunk = vec![5u8; 64 * 1024];
    let (mut sent, mut got) = (0, 0);
    p.run_until("200 messages of 64 KiB", |p| {
        while sent < 200 && p.a.send_message_to_user(p.b_id, &chunk, RELIABLE, 2) == SteamResult::OK
        {
            sent += 1;
        }
        got += receive(&mut p.b, 2).len();
        got == 200
    });
}

/// Runs `flood` and returns the most heap it held at once, in KiB: what this thread allocated and had not yet
/// freed, counted by allocation-counter's allocator. Per thread, since the tests beside this one allocate too
/// (the process's resident memory, measured before, counted theirs: a CI run saw 117 MiB for a 72 MiB bound).
/// Both backends and whatever the test builds run on this thread; the kernel's socket buffers are not heap.
fn peak_heap_kib(flood: impl FnOnce()) -> u64 {
    allocation_counter::measure(flood).bytes_max / 1024
}

#[test]
fn ten_thousand_forged_session_requests_leave_memory_and_the_real_session_alone() {
    use messages_engine::backend::local::MAX_PENDING_SESSIONS;
    let mut p = pair();
    p.connect(b"hello");
    // Waves of forged peers, each with its own Steam ID, connecting, saying HELLO, sending, then vanishing.
    const WAVE: u64 = 2_000;
    let peak_kib = peak_heap_kib(|| {
        let mut forged = 0;
        while forged < 10_000 {
            let (mut attacker, most_sessions) = forge_requests(&mut p, forged, WAVE);
            forged += WAVE;
            assert!(
                most_sessions <= MAX_PENDING_SESSIONS + 1,
                "{most_sessions} sessions"
            );
            for index in 0..attacker.peer_limit() {
                if let Some(peer) = attacker.get_peer_mut(rusty_enet::PeerID(index)) {
                    peer.reset();
                }
            }
        }
    });
    let forged_requests = requests(&p.b_events) - 1;
    println!(
        "{forged_requests} forged requests got through; the heap peaked {peak_kib} KiB above where it was"
    );
    assert!(forged_requests >= 1_000, "the flood did reach the receiver");
    // About 2 MiB here (the forged peers' ENet host included); a receiver that kept anything per forged peer
    // (10,000 of them) would pass this by far.
    assert!(
        peak_kib < 8 * 1024,
        "memory stays bounded: peaked {peak_kib} KiB above the start"
    );
    p.a.send_message_to_user(p.b_id, b"still here", RELIABLE, 0);
    let mut got = Vec::new();
    p.run_until("the real message", |p| {
        got.extend(receive(&mut p.b, 0));
        got.iter().any(|payload| payload == b"still here")
    });
}

#[test]
fn sessions_past_the_configured_limit_fail_with_a_reason_naming_the_limit() {
    use messages_engine::backend::local::MAX_PENDING_SESSIONS;
    let max_sessions = 2;
    // Connection slots: two per session plus one per pending request; each new peer takes one at once.
    let slots = 2 * max_sessions + MAX_PENDING_SESSIONS;
    let peers: Vec<SteamId> = (0..=slots as u32)
        .map(|i| LocalConfig::steam_id_of(1_000 + i))
        .collect();
    let nowhere = "127.0.0.1:9".parse().unwrap();
    let config = LocalConfig {
        max_sessions,
        peers: peers.iter().map(|&peer| (peer, nowhere)).collect(),
        app_id: TEST_APP_ID,
        ..LocalConfig::default()
    };
    let clock: Clock = Arc::new(|| Duration::from_secs(1));
    let socket = loopback_socket();
    let mut backend =
        LocalBackend::with_socket(LocalConfig::steam_id_of(1), socket, config, clock).unwrap();
    let mut events = Vec::new();
    for &peer in &peers[..slots] {
        assert_eq!(
            backend.send_message_to_user(peer, b"hi", RELIABLE, 0),
            SteamResult::OK
        );
    }
    backend.poll(&mut events);
    assert!(events.is_empty(), "within the limit: {events:?}");
    let one_too_many = peers[slots];
    // As Steam does, the send is taken and the failure comes as a callback.
    assert_eq!(
        backend.send_message_to_user(one_too_many, b"hi", RELIABLE, 0),
        SteamResult::OK
    );
    backend.poll(&mut events);
    match events.as_slice() {
        [
            BackendEvent::SessionFailed {
                remote,
                reason: 5008,
                debug_message,
                ..
            },
        ] => {
            assert_eq!(*remote, one_too_many);
            assert!(
                debug_message.contains("at most 2")
                    && debug_message.contains("--steam-max-sessions"),
                "{debug_message}"
            );
        }
        other => panic!("expected one session failure, got {other:?}"),
    }
}

thread_local! {
    /// The warnings logged on this thread: each test runs its backends on its own thread.
    static WARNINGS: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Keeps the warnings the backends log, per thread, for the tests to count.
struct ThreadWarnings;

impl log::Log for ThreadWarnings {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Warn
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            WARNINGS.with(|lines| lines.borrow_mut().push(record.args().to_string()));
        }
    }

    fn flush(&self) {}
}

fn capture_warnings() {
    static LOGGER: ThreadWarnings = ThreadWarnings;
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        log::set_logger(&LOGGER).unwrap();
        log::set_max_level(log::LevelFilter::Warn);
    });
}

fn warnings_containing(text: &str) -> Vec<String> {
    WARNINGS.with(|lines| {
        lines
            .borrow()
            .iter()
            .filter(|line| line.contains(text))
            .cloned()
            .collect()
    })
}

/// A peer that floods an unaccepted session past what b holds makes one full warning, then one line per
/// interval with the count of the rest (it once made a line per dropped message: 176 MB of log in 25 s).
#[test]
fn a_flood_of_dropped_messages_logs_one_warning_then_a_count() {
    capture_warnings();
    let mut p = pair();
    p.a.send_message_to_user(p.b_id, b"first", RELIABLE, 0);
    p.wait_for("a session request", |p| requests(&p.b_events) > 0);
    // Empty messages, many times what b holds for a session nobody accepted: each counts for its overhead.
    for _ in 0..8 * 1024 {
        let sent =
            p.a.send_message_to_user(p.b_id, &[], send_flags::UNRELIABLE, 0);
        assert_eq!(sent, SteamResult::OK);
        p.poll();
    }
    p.wait_for("a dropped message", |_| {
        !warnings_containing("dropped a message").is_empty()
    });
    p.run_until("a count of the rest", |_| {
        !warnings_containing("more messages dropped").is_empty()
    });
    assert_eq!(warnings_containing("dropped a message").len(), 1);
    let summary = warnings_containing("more messages dropped");
    assert_eq!(summary.len(), 1, "{summary:?}");
    assert!(
        summary[0].contains("too much held before the session was accepted"),
        "{summary:?}"
    );
}

/// A receiver whose application never reads, flooded with empty reliable and 1-byte unreliable messages (which
/// once grew it without bound: 129 MB to 1.98 GB in 20 s): reliable ones stop at the sender's window, counted
/// per message; unreliable ones are dropped once the receive queues hold their limit; memory stays under the
/// documented bound.
#[test]
fn a_receiver_that_never_reads_stays_under_its_memory_bound_whatever_the_message_sizes() {
    use messages_engine::backend::local::INBOX_UNRELIABLE_LIMIT_BYTES;
    use messages_engine::backend::local::session::{RECEIVE_WINDOW_BYTES, message_cost};
    capture_warnings();
    let mut p = pair();
    p.connect(b"open");
    let mut reliable = 0u64;
    let peak_kib = peak_heap_kib(|| {
        p.run_until("the receive queues are full", |p| {
            while p.a.send_message_to_user(p.b_id, &[], RELIABLE, 0) == SteamResult::OK {
                reliable += 1;
            }
            for _ in 0..2_000 {
                p.a.send_message_to_user(p.b_id, &[1], send_flags::UNRELIABLE, 1);
            }
            !warnings_containing("receive queues are full").is_empty()
        });
    });
    assert!(
        reliable <= RECEIVE_WINDOW_BYTES / message_cost(0),
        "{reliable} empty reliable messages got through the send window"
    );
    let bound_kib = (INBOX_UNRELIABLE_LIMIT_BYTES + RECEIVE_WINDOW_BYTES) / 1024;
    println!(
        "the heap peaked {peak_kib} KiB above where it was; the documented bound is {bound_kib} KiB"
    );
    assert!(peak_kib < bound_kib, "peaked {peak_kib} KiB");
}

fn failures(events: &[BackendEvent]) -> Vec<(i32, SteamId)> {
    events
        .iter()
        .filter_map(|event| match event {
            BackendEvent::SessionFailed { reason, remote, .. } => Some((*reason, *remote)),
            BackendEvent::SessionRequest { .. }
            | BackendEvent::PersonaStateChange { .. }
            | BackendEvent::Lobby(_) => None,
        })
        .collect()
}

/// A killed peer started again with the same local ID: its first send fails the old session on the other
/// side at once (as on Steam, where the new process no longer knows it) and opens a fresh one, instead of
/// the other side sending into the void until the 10 s silence timeout, then failing the new session too.
#[test]
fn a_peer_killed_and_started_again_fails_the_old_session_at_once_and_opens_a_fresh_one() {
    let mut p = pair();
    p.connect(b"hello");
    assert_eq!(receive(&mut p.b, 0), vec![b"hello".to_vec()]);
    p.b.send_message_to_user(p.a_id, b"to the first run", RELIABLE, 0);
    p.wait_for("a hears b", |p| !receive(&mut p.a, 0).is_empty());
    // Kill a: no word to b.
    let a_address = p.a.local_address();
    let config = LocalConfig {
        peers: vec![(p.b_id, p.b.local_address())],
        connect_timeout: Duration::from_secs(3),
        app_id: TEST_APP_ID,
        ..LocalConfig::default()
    };
    let clock_time = Arc::clone(&p.time);
    let clock: Clock = Arc::new(move || Duration::from_micros(clock_time.load(Ordering::SeqCst)));
    let stand_in = LocalBackend::with_socket(
        LocalConfig::steam_id_of(3),
        loopback_socket(),
        config.clone(),
        clock.clone(),
    )
    .unwrap();
    std::mem::replace(&mut p.a, stand_in).vanish();
    // The time a process takes to start again; b's session is still up (its timeout is 10 s).
    p.run_for(Duration::from_secs(2));
    assert_eq!(
        p.b.session_connection_info(p.a_id).state,
        ConnectionState::CONNECTED
    );
    assert!(failures(&p.b_events).is_empty());
    p.a = LocalBackend::with_socket(p.a_id, UdpSocket::bind(a_address).unwrap(), config, clock)
        .unwrap();
    let requests_before = requests(&p.b_events);
    p.a.send_message_to_user(p.b_id, b"back", RELIABLE, 0);
    p.wait_for("the old session failed and a fresh request", |p| {
        requests(&p.b_events) > requests_before
    });
    assert_eq!(failures(&p.b_events), vec![(5010, p.a_id)]);
    assert!(p.b.accept_session_with_user(p.a_id));
    assert_eq!(receive(&mut p.b, 0), vec![b"back".to_vec()]);
    p.b.send_message_to_user(p.a_id, b"welcome back", RELIABLE, 0);
    let mut got = Vec::new();
    p.wait_for("the new run hears b", |p| {
        got.extend(receive(&mut p.a, 0));
        !got.is_empty()
    });
    assert_eq!(got, vec![b"welcome back".to_vec()]);
}

/// A third process claiming a live peer's Steam ID in its HELLO is refused: the session stays with the
/// process it was opened with, nothing of the stranger's is delivered, and nothing fails.
#[test]
fn a_stranger_claiming_a_live_peers_steam_id_is_refused_and_the_session_goes_on() {
    let mut p = pair();
    p.connect(b"hello");
    assert_eq!(receive(&mut p.b, 0).len(), 1);
    let a_id = p.a_id;
    let mut stranger = RawPeer::hello(&mut p, a_id);
    stranger.send(
        0,
        &Frame::Data {
            channel: 0,
            flags: RELIABLE,
            number: 2,
            payload: b"forged",
        },
    );
    p.wait_for("the stranger is turned away", |_| {
        stranger.pump();
        stranger.disconnected
    });
    p.a.send_message_to_user(p.b_id, b"real", RELIABLE, 0);
    let mut got = Vec::new();
    p.wait_for("the real peer's message", |p| {
        got.extend(receive(&mut p.b, 0));
        !got.is_empty()
    });
    assert_eq!(got, vec![b"real".to_vec()]);
    assert_eq!(
        p.b.session_connection_info(p.a_id).state,
        ConnectionState::CONNECTED
    );
    assert!(failures(&p.b_events).is_empty());
    assert_eq!(requests(&p.b_events), 1, "no new request for the claim");
}

/// A presence announcement for a local ID from a port that is not that ID's claims an ID that is not the
/// sender's: it is ignored, and cannot redirect the ID's traffic.
#[test]
fn a_presence_announcement_from_another_port_does_not_claim_a_local_id() {
    use messages_engine::backend::local::wire::{Presence, encode_presence};
    let mut p = pair();
    let claimed = LocalConfig::steam_id_of(9);
    let impostor = loopback_socket();
    for steam_id in [claimed, p.a_id] {
        let announcement = encode_presence(&Presence {
            steam_id,
            app_id: TEST_APP_ID,
            instance: 1,
            lobby_port: 0,
            persona_name: "impostor".to_owned(),
        });
        impostor
            .send_to(&announcement, p.b.local_address())
            .unwrap();
    }
    p.wait_for("b hears a", |p| p.b.visible_peers() == vec![p.a_id]);
    assert_eq!(p.b.visible_peers(), vec![p.a_id]);
}

/// A reliable message sent before the sender closes the session and exits, while the receiver is busy
/// elsewhere (it polls only after the sender is gone), still arrives: closing flushes what was sent.
#[test]
fn a_message_sent_just_before_closing_and_exiting_arrives() {
    let mut p = pair();
    p.connect(b"open");
    // Both directions in use, as a ping and its echo.
    p.b.send_message_to_user(p.a_id, b"echo", RELIABLE, 0);
    p.wait_for("the echo", |p| !receive(&mut p.a, 0).is_empty());
    assert_eq!(
        p.a.send_message_to_user(p.b_id, b"bye", RELIABLE, 1),
        SteamResult::OK
    );
    let mut events = Vec::new();
    for _ in 0..10 {
        p.a.poll(&mut events);
    }
    assert!(p.a.close_session_with_user(p.b_id));
    p.a.poll(&mut events);
    let Pair { a, mut b, .. } = p;
    drop(a);
    let mut b_events = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut got = Vec::new();
    while got.is_empty() && Instant::now() < deadline {
        b.poll(&mut b_events);
        got = receive(&mut b, 1);
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(got, vec![b"bye".to_vec()]);
}

/// After a frame's first message, small ones to a peer share ENet packets (BATCH frames). Whatever the mix of
/// sizes, channels and kinds sent in one frame, reliable messages still arrive once each and in order per
/// channel, and unreliable ones intact.
#[test]
fn a_frames_messages_of_every_size_and_kind_arrive_as_sent() {
    let mut p = pair();
    p.connect(b"open");
    p.wait_for("the first message", |p| receive(&mut p.b, 0).len() == 1);
    let message = |i: u32| -> Vec<u8> {
        // Mostly small; every 7th too large for a batch; every 50th larger than a datagram.
        let len = match i {
            i if i % 50 == 0 => 5_000,
            i if i % 7 == 0 => 1_500,
            i => (i % 90) as usize,
        };
        let mut payload = i.to_le_bytes().to_vec();
        payload.resize(4 + len, (i % 251) as u8);
        payload
    };
    let count = 600u32;
    let mut sent_unreliable = 0;
    for frame in 0..3 {
        for i in (frame * count / 3)..((frame + 1) * count / 3) {
            let (flags, channel) = if i % 5 == 4 {
                (send_flags::UNRELIABLE, 2)
            } else {
                (RELIABLE, (i % 2) as i32)
            };
            if flags == send_flags::UNRELIABLE {
                sent_unreliable += 1;
            }
            assert_eq!(
                p.a.send_message_to_user(p.b_id, &message(i), flags, channel),
                SteamResult::OK
            );
        }
        p.poll();
    }
    let reliable_count = (count - sent_unreliable) as usize;
    let mut got: [Vec<Vec<u8>>; 3] = Default::default();
    p.run_until("every reliable message", |p| {
        for (channel, list) in got.iter_mut().enumerate() {
            list.extend(receive(&mut p.b, channel as i32));
        }
        got[0].len() + got[1].len() >= reliable_count
    });
    for (channel, received) in got.iter().take(2).enumerate() {
        let expected: Vec<Vec<u8>> = (0..count)
            .filter(|i| i % 5 != 4 && (i % 2) as usize == channel)
            .map(message)
            .collect();
        assert_eq!(received, &expected, "channel {channel}");
    }
    assert!(got[2].len() <= sent_unreliable as usize);
    for payload in &got[2] {
        let i = u32::from_le_bytes(payload[..4].try_into().unwrap());
        assert_eq!(i % 5, 4, "only unreliable messages on channel 2");
        assert_eq!(payload, &message(i), "unreliable message {i} intact");
    }
}

/// Reading many channels in one call (as the multiplayer peer does each frame) gives each channel's messages
/// in order, channel after channel, at most `max_per_channel` from each.
#[test]
fn receiving_several_channels_at_once_goes_channel_by_channel() {
    let mut p = pair();
    p.connect(b"open");
    p.wait_for("the first message", |p| receive(&mut p.b, 0).len() == 1);
    for i in 0..12u8 {
        let channel = [5, 2, 3][usize::from(i % 3)];
        p.a.send_message_to_user(p.b_id, &[i], RELIABLE, channel);
    }
    // Reliable messages share one ordered stream: once this one is read, the others wait at b.
    p.a.send_message_to_user(p.b_id, b"last", RELIABLE, 9);
    p.wait_for("the last message", |p| !receive(&mut p.b, 9).is_empty());
    let mut got = Vec::new();
    p.b.receive_messages_on_channels(0..8, 3, &mut |message| {
        got.push((message.channel, message.payload[0]))
    });
    assert_eq!(
        got,
        vec![
            (2, 1),
            (2, 4),
            (2, 7),
            (3, 2),
            (3, 5),
            (3, 8),
            (5, 0),
            (5, 3),
            (5, 6)
        ]
    );
    let mut rest = Vec::new();
    p.b.receive_messages_on_channels(0..8, 100, &mut |message| {
        rest.push((message.channel, message.payload[0]))
    });
    assert_eq!(rest, vec![(2, 10), (3, 11), (5, 9)]);
}

/// Messages sent in the same frame as the close, after the frame's first, travel in a batch not yet handed to
/// ENet when the session closes: they still leave ahead of the close, as unbatched messages did.
#[test]
fn a_frames_batched_messages_arrive_when_the_session_is_closed_in_the_same_frame() {
    let mut p = pair();
    p.connect(b"open");
    p.wait_for("the first message", |p| receive(&mut p.b, 0).len() == 1);
    let count = 50u32;
    for i in 0..count {
        assert_eq!(
            p.a.send_message_to_user(p.b_id, &i.to_le_bytes(), RELIABLE, 3),
            SteamResult::OK
        );
    }
    assert!(p.a.close_session_with_user(p.b_id));
    let mut got = Vec::new();
    p.wait_for("every message sent before the close", |p| {
        got.extend(receive(&mut p.b, 3));
        got.len() >= count as usize
    });
    let expected: Vec<Vec<u8>> = (0..count).map(|i| i.to_le_bytes().to_vec()).collect();
    assert_eq!(got, expected);
}

fn take_persona_changes(events: &mut Vec<BackendEvent>, changes: &mut Vec<(SteamId, i32)>) {
    events.retain(|event| match event {
        BackendEvent::PersonaStateChange { user, flags } => {
            changes.push((*user, *flags));
            false
        }
        _ => true,
    });
}

/// Each instance learns the other's persona name from its presence announcements: one
/// `persona_state_change` with NAME and NAME_FIRST_SET when it arrives, none for the same name announced again.
#[test]
fn a_persona_name_arrives_once_with_the_first_set_flag() {
    use messages_engine::steam_types::persona_change::{NAME, NAME_FIRST_SET};
    let mut p = pair();
    assert_eq!(p.b.friend_persona_name(p.a_id), Some(""), "not heard yet");
    assert_eq!(
        p.a.persona_name(),
        Some("Player 1"),
        "the default names the local ID"
    );
    p.run_until("b hears a's name", |p| {
        p.b.friend_persona_name(p.a_id) == Some("Player 1")
    });
    p.run_for(Duration::from_secs(3));
    assert_eq!(p.b_persona_changes, vec![(p.a_id, NAME | NAME_FIRST_SET)]);
    assert_eq!(p.a_persona_changes, vec![(p.b_id, NAME | NAME_FIRST_SET)]);
    assert_eq!(
        p.a.friend_persona_name(p.a_id),
        Some("Player 1"),
        "our own name for our own ID"
    );
}

/// A chosen persona name is announced as chosen, commas and all.
#[test]
fn a_chosen_persona_name_is_announced() {
    let mut p = pair_with(LocalConfig {
        persona_name: Some("Smith, Ada 🦀".to_owned()),
        ..LocalConfig::default()
    });
    p.run_until("b hears a's name", |p| {
        p.b.friend_persona_name(p.a_id) == Some("Smith, Ada 🦀")
    });
}

/// Honest peers: b reads channel 1 and leaves channel 2 for later. Each empty message on channel 2 counts
/// `message_cost(0)` against the receive window and travels in a batch with a ~1.2 KB message on channel 1:
/// once channel 1 is read, what the unread ones hold stays within the window (keeping the batch's packet
/// would hold 26 MB against the window's 8 MiB).
#[test]
fn unread_messages_of_a_batch_keep_only_their_own_bytes_once_the_rest_is_read() {
    use messages_engine::backend::local::session::RECEIVE_WINDOW_BYTES;
    let mut p = pair();
    p.connect(b"open");
    p.wait_for("the first message", |p| receive(&mut p.b, 0).len() == 1);
    const PAIRS: usize = 20_000;
    let big = vec![9u8; 1_159];
    let mut read = 0usize;
    let info = allocation_counter::measure(|| {
        let mut sent = 0;
        let mut big_owed = false;
        while sent < PAIRS {
            // The frame's first message leaves alone; the rest go in batches.
            for _ in 0..200 {
                if sent == PAIRS {
                    break;
                }
                if !big_owed {
                    if p.a.send_message_to_user(p.b_id, &[], RELIABLE, 2) != SteamResult::OK {
                        break;
                    }
                    big_owed = true;
                }
                if p.a.send_message_to_user(p.b_id, &big, RELIABLE, 1) != SteamResult::OK {
                    break;
                }
                big_owed = false;
                sent += 1;
            }
            p.step();
            read += receive(&mut p.b, 1).len();
        }
        p.run_until("every channel-1 message", |p| {
            read += receive(&mut p.b, 1).len();
            read >= PAIRS
        });
        p.run_for(Duration::from_millis(500));
    });
    let held_kib = info.bytes_current / 1024;
    println!(
        "{PAIRS} unread empty messages (window cost {} KiB) hold {held_kib} KiB; receive window {} KiB",
        PAIRS as u64 * 160 / 1024,
        RECEIVE_WINDOW_BYTES / 1024
    );
    assert!(
        (held_kib as u64) < RECEIVE_WINDOW_BYTES / 1024,
        "{held_kib} KiB held for {PAIRS} unread empty messages"
    );
    assert_eq!(receive(&mut p.b, 2).len(), PAIRS);
}

/// A hostile stranger, never accepted: each batch holds one empty message (held, cost 160) and one of
/// 500 KB (dropped: over the held limit). What is held stays within the held limits (keeping the batch's
/// packet would hold 29 MB against 2.3 MiB).
#[test]
fn a_strangers_held_messages_keep_only_their_own_bytes_of_the_batches_they_came_in() {
    use messages_engine::backend::local::session::{
        HELD_UNRELIABLE_LIMIT_BYTES, PRE_ACCEPT_RECEIVE_WINDOW_BYTES,
    };
    use messages_engine::backend::local::wire;
    let mut p = pair_with(LocalConfig {
        connect_timeout: Duration::from_secs(600),
        ..LocalConfig::default()
    });
    let from = SteamId(76_561_198_100_000_077);
    let mut raw = RawPeer::hello(&mut p, from);
    p.wait_for("a session request", |p| {
        raw.pump();
        requests(&p.b_events) > 0
    });
    const BATCHES: usize = 60;
    let info = allocation_counter::measure(|| {
        let big = vec![3u8; 500_000];
        for i in 0..BATCHES {
            let mut bytes = Vec::new();
            wire::start_batch(&mut bytes);
            wire::append_to_batch(&mut bytes, 5, 0, 2 * i as i64, &[]);
            wire::append_to_batch(&mut bytes, 0, 0, 2 * i as i64 + 1, &big);
            raw.host
                .peer_mut(raw.peer)
                .send(1, &rusty_enet::Packet::unreliable(bytes))
                .unwrap();
            raw.host.flush();
            p.run_for(Duration::from_millis(20));
            raw.pump();
        }
        for step in 0..4_000 {
            p.step();
            raw.pump();
            if step % 100 == 0 {
                // Keeps the stranger heard from (as the real peer's keep-alives would).
                raw.send(1, &Frame::Read { bytes: 0 });
            }
        }
    });
    let held_kib = info.bytes_current / 1024;
    let bound_kib = (HELD_UNRELIABLE_LIMIT_BYTES + PRE_ACCEPT_RECEIVE_WINDOW_BYTES) / 1024;
    println!(
        "a stranger's {BATCHES} batches left {held_kib} KiB held; the bound is {bound_kib} KiB"
    );
    assert!(p.b.accept_session_with_user(from));
    assert_eq!(
        receive(&mut p.b, 5).len(),
        BATCHES,
        "every empty message held"
    );
    assert!((held_kib as u64) < bound_kib, "{held_kib} KiB held");
}
