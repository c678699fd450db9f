//! The local backend's cost over the raw transport: moving the same messages through `LocalBackend`
//! (sessions, frames, receive queues) and through a bare `rusty_enet` host pair, both on loopback UDP, and
//! what a game's frame costs when nothing arrives. The bare hosts have as many peer slots as the backend's
//! (with the default settings): ENet visits every slot on each pump. Run with
//! `cargo bench --bench local_transport`; `cargo xtask bench` reports the ratios.

use std::net::UdpSocket;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rusty_enet::{Event, Host, HostSettings, Packet, PeerID};

use godot_steam_messages::backend::MessagesBackend;
use godot_steam_messages::backend::config::LocalConfig;
use godot_steam_messages::backend::local::transport::system_clock;
use godot_steam_messages::backend::local::wire::DATA_HEADER_LEN;
use godot_steam_messages::backend::local::{self, LocalBackend};
use godot_steam_messages::steam_types::{SteamId, SteamResult, send_flags};

/// Messages per iteration.
const BATCH: usize = 1_000;

struct BackendPair {
    a: LocalBackend,
    b: LocalBackend,
    b_id: SteamId,
}

/// Each backend also runs its lobby links on a second socket, as `LocalBackend::open` sets it up for a game.
fn with_lobby_socket(backend: LocalBackend) -> LocalBackend {
    backend
        .with_lobby_socket(UdpSocket::bind("127.0.0.1:0").unwrap())
        .unwrap()
}

fn backend_pair() -> BackendPair {
    let a_socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b_socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (a_id, b_id) = (LocalConfig::steam_id_of(1), LocalConfig::steam_id_of(2));
    let config = |peer: SteamId, socket: &UdpSocket| LocalConfig {
        peers: vec![(peer, socket.local_addr().unwrap())],
        ..LocalConfig::default()
    };
    let a_config = config(b_id, &b_socket);
    let b_config = config(a_id, &a_socket);
    let clock = system_clock();
    let mut pair = BackendPair {
        a: with_lobby_socket(
            LocalBackend::with_socket(a_id, a_socket, a_config, clock.clone()).unwrap(),
        ),
        b: with_lobby_socket(LocalBackend::with_socket(b_id, b_socket, b_config, clock).unwrap()),
        b_id,
    };
    // Open and accept the session once; the benchmark measures steady-state traffic.
    pair.a
        .send_message_to_user(b_id, b"open", send_flags::RELIABLE, 0);
    let mut events = Vec::new();
    loop {
        pair.a.poll(&mut events);
        pair.b.poll(&mut events);
        if pair.b.accept_session_with_user(a_id) {
            let mut got = 0;
            pair.b.receive_messages_on_channel(0, 10, &mut |_| got += 1);
            if got > 0 {
                break;
            }
        }
        std::thread::sleep(Duration::from_micros(100));
    }
    pair
}

fn move_through_backend(pair: &mut BackendPair, payload: &[u8]) {
    let mut events = Vec::new();
    let mut sent = 0;
    let mut received = 0;
    while received < BATCH {
        // As a game sends: until the send window (4 MiB the receiver has not read) is full, then again once
        // the receiver's reads are reported.
        while sent < BATCH {
            let result = pair
                .a
                .send_message_to_user(pair.b_id, payload, send_flags::RELIABLE, 0);
            match result {
                SteamResult::OK => sent += 1,
                SteamResult::LIMIT_EXCEEDED => break,
                other => panic!("send failed with {other:?}"),
            }
        }
        // Both poll as a game's frame does: b's poll reports what it read, which reopens a's window.
        pair.a.poll(&mut events);
        pair.b.poll(&mut events);
        received += pair
            .b
            .receive_messages_on_channel(0, BATCH, &mut |message| {
                std::hint::black_box(message.payload);
            });
        events.clear();
    }
}

struct EnetPair {
    a: Host<UdpSocket>,
    b: Host<UdpSocket>,
    a_to_b: PeerID,
}

fn enet_pair() -> EnetPair {
    let host = |socket: UdpSocket| {
        Host::new(
            socket,
            HostSettings {
                channel_limit: 2,
                peer_limit: local::peer_limit(LocalConfig::default().max_sessions),
                ..HostSettings::default()
            },
        )
        .unwrap()
    };
    let b_socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b_address = b_socket.local_addr().unwrap();
    let mut a = host(UdpSocket::bind("127.0.0.1:0").unwrap());
    let mut b = host(b_socket);
    let a_to_b = a.connect(b_address, 2, 0).unwrap().id();
    let mut connected = false;
    while !connected {
        while let Ok(Some(event)) = a.service() {
            connected |= matches!(event, Event::Connect { .. });
        }
        while let Ok(Some(_)) = b.service() {}
        std::thread::sleep(Duration::from_micros(100));
    }
    EnetPair { a, b, a_to_b }
}

fn move_through_enet(pair: &mut EnetPair, frame: &[u8]) {
    for _ in 0..BATCH {
        let packet = Packet::reliable(frame);
        let _ = pair.a.peer_mut(pair.a_to_b).send(0, &packet);
    }
    let mut received = 0;
    while received < BATCH {
        while let Ok(Some(_)) = pair.a.service() {}
        while let Ok(Some(event)) = pair.b.service() {
            if let Event::Receive { packet, .. } = event {
                // The same work our receive path does at least: own the bytes.
                std::hint::black_box(packet.data().to_vec());
                received += 1;
            }
        }
    }
}

fn reliable_messages(c: &mut Criterion) {
    let mut group = c.benchmark_group("reliable_1000_messages");
    group.sample_size(20);
    for size in [100usize, 1024, 16 * 1024] {
        let payload = vec![7u8; size];
        let frame = vec![7u8; size + DATA_HEADER_LEN];
        group.throughput(Throughput::Bytes((size * BATCH) as u64));
        let mut backends = backend_pair();
        group.bench_with_input(
            BenchmarkId::new("local_backend", size),
            &payload,
            |b, payload| b.iter(|| move_through_backend(&mut backends, payload)),
        );
        let mut enet = enet_pair();
        group.bench_with_input(
            BenchmarkId::new("bare_rusty_enet", size),
            &frame,
            |b, frame| b.iter(|| move_through_enet(&mut enet, frame)),
        );
    }
    group.finish();
}

/// A game's frame in which nothing arrives: the backend's two receive calls (data and control channels) and
/// its per-frame poll, against the bare host's `service()` until it has nothing and its `flush()`.
fn idle_frame(c: &mut Criterion) {
    let mut group = c.benchmark_group("idle_frame");
    let mut backends = backend_pair();
    let mut events = Vec::new();
    group.bench_function("local_backend", |b| {
        b.iter(|| {
            let mut got = 0;
            backends
                .a
                .receive_messages_on_channel(0, 16, &mut |_| got += 1);
            backends
                .a
                .receive_messages_on_channel(1, 64, &mut |_| got += 1);
            backends.a.poll(&mut events);
            events.clear();
            std::hint::black_box(got);
        })
    });
    let mut enet = enet_pair();
    group.bench_function("bare_rusty_enet", |b| {
        b.iter(|| {
            while let Ok(Some(event)) = enet.a.service() {
                std::hint::black_box(event);
            }
            enet.a.flush();
        })
    });
    group.finish();
}

criterion_group!(benches, reliable_messages, idle_frame);
criterion_main!(benches);
