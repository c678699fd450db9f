//! The protocol's behaviour, one rule per test, on the in-memory network of [`super::harness`].

use std::time::Duration;

use super::harness::{self, Conditions, FRAME, World, control, data, encoded, steam_id};
use super::wire::{self, Control};
use super::*;

use ConnectionStatus::{Connected, Connecting, Disconnected};
use PeerEvent::{
    ConnectionFailed, ConnectionSucceeded, PeerConnected, PeerDisconnected, ServerDisconnected,
};
use TransferMode::{Reliable, Unreliable, UnreliableOrdered};

fn secs(seconds: u64) -> Duration {
    Duration::from_secs(seconds)
}

fn millis(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

const BASE: i32 = DEFAULT_BASE_CHANNEL;

fn rough() -> Conditions {
    Conditions {
        loss: 0.2,
        delay: millis(30),
        jitter: millis(60),
    }
}

/// Every packet a protocol queued, as (to, Steam channel, reliable, bytes).
fn flushed(protocol: &mut PeerProtocol) -> Vec<(SteamId, i32, bool, Vec<u8>)> {
    let mut out = Vec::new();
    protocol.flush(&mut |to, channel, reliable, bytes| {
        out.push((to, channel, reliable, bytes.to_vec()));
        true
    });
    out
}

/// Hands everything `from` queued to `to` as the driver reads it in a frame: channel by channel, in
/// [`PeerProtocol::steam_channels_in_reading_order`], each channel's packets in the order they were sent.
fn deliver(now: Duration, from: &mut PeerProtocol, to: &mut PeerProtocol) {
    let out = flushed(from);
    hand_over(now, from.local_steam_id(), &out, to);
}

/// Hands `to` the packets addressed to it among `out`, which `sender` flushed, as [`deliver`] does.
fn hand_over(
    now: Duration,
    sender: SteamId,
    out: &[(SteamId, i32, bool, Vec<u8>)],
    to: &mut PeerProtocol,
) {
    let address = to.local_steam_id();
    for channel in to.steam_channels_in_reading_order() {
        let addressed = out
            .iter()
            .filter(|packet| packet.0 == address && packet.1 == channel);
        for (_, _, _, bytes) in addressed {
            to.handle_packet(now, sender, channel, bytes);
        }
    }
}

/// A host (protocol 0) and a client (protocol 1) it has welcomed, at `now`.
fn host_and_client(now: Duration) -> (PeerProtocol, PeerProtocol) {
    let mut host = protocol(0);
    let mut client = protocol(1);
    host.host(now, 4).unwrap();
    client.client(now, steam_id(0)).unwrap();
    deliver(now, &mut client, &mut host);
    deliver(now, &mut host, &mut client);
    (host, client)
}

fn events_of(protocol: &mut PeerProtocol) -> Vec<PeerEvent> {
    std::iter::from_fn(|| protocol.next_event()).collect()
}

fn protocol(index: usize) -> PeerProtocol {
    PeerProtocol::new(
        steam_id(index),
        ProtocolConfig {
            seed: Some(index as u64),
            ..ProtocolConfig::default()
        },
    )
    .unwrap()
}

/// What `to` received from the `from` peer ID, as the u32 counters the tests put in payloads, per channel.
fn counters(packets: &[harness::Packet], from: i32, channel: u32) -> Vec<u32> {
    packets
        .iter()
        .filter(|p| p.from == from && p.channel == channel)
        .map(|p| u32::from_le_bytes(p.payload[..4].try_into().unwrap()))
        .collect()
}

// --- Connecting -------------------------------------------------------------------------------------------

#[test]
fn clients_connect_and_see_the_host_and_each_other() {
    let mut world = World::new(4, 1, Conditions::default());
    world.host(0, 8).unwrap();
    assert_eq!((world.status(0), world.id(0)), (Connected, 1));
    world.client(1, 0).unwrap();
    assert_eq!(
        (world.status(1), world.id(1)),
        (Connecting, 0),
        "no ID before the host gives one"
    );
    world.run(millis(100));
    assert_eq!(world.status(1), Connected);
    let a = world.id(1);
    world.client(2, 0).unwrap();
    world.run(millis(100));
    world.client(3, 0).unwrap();
    world.run(millis(100));
    let (b, c) = (world.id(2), world.id(3));

    for id in [a, b, c] {
        assert!(id >= 2, "{id} is in Godot's generate_unique_id range");
    }
    assert!(a != b && b != c && a != c);
    assert_eq!(
        world.events(0),
        vec![PeerConnected(a), PeerConnected(b), PeerConnected(c)]
    );
    assert_eq!(
        world.events(1),
        vec![
            ConnectionSucceeded,
            PeerConnected(1),
            PeerConnected(b),
            PeerConnected(c)
        ]
    );
    assert_eq!(
        world.events(2),
        vec![
            ConnectionSucceeded,
            PeerConnected(1),
            PeerConnected(a),
            PeerConnected(c)
        ]
    );
    let mut first_two = [a, b];
    first_two.sort();
    assert_eq!(
        world.events(3),
        vec![
            ConnectionSucceeded,
            PeerConnected(1),
            PeerConnected(first_two[0]),
            PeerConnected(first_two[1])
        ]
    );
    // Everyone maps every peer ID to the right Steam ID and back, their own included.
    let ids = [1, a, b, c];
    for viewer in 0..4 {
        for (index, &id) in ids.iter().enumerate() {
            let protocol = &world.nodes[viewer].protocol;
            assert_eq!(
                protocol.steam_id_for_peer(id),
                Some(steam_id(index)),
                "{viewer} on {id}"
            );
            assert_eq!(
                protocol.peer_for_steam_id(steam_id(index)),
                Some(id),
                "{viewer} on {index}"
            );
        }
        assert_eq!(world.nodes[viewer].protocol.steam_id_for_peer(999), None);
    }
    assert_eq!(world.nodes[0].protocol.connected_peers().len(), 3);
    world.check_invariants();
}

#[test]
fn connecting_to_nobody_fails_once_after_the_timeout_having_repeated_hello() {
    let mut world = World::new(1, 2, Conditions::default());
    world.record = true;
    let nobody = SteamId(SteamId::INDIVIDUAL_PUBLIC_BASE + 999);
    world.client_of(0, nobody).unwrap();
    world.run(secs(10) - FRAME * 2);
    assert_eq!(world.status(0), Connecting);
    assert_eq!(world.events(0), vec![]);
    world.run(FRAME * 2);
    assert_eq!(
        world.events(0),
        vec![ConnectionFailed(FailureReason::Timeout)]
    );
    assert_eq!((world.status(0), world.id(0)), (Disconnected, 0));
    let hellos = world
        .wire
        .iter()
        .filter(|m| {
            m.to == nobody && m.channel == BASE && m.bytes.first() == Some(&wire::kind::HELLO)
        })
        .count();
    assert_eq!(hellos, 20, "one HELLO at once and one every 500 ms");
    assert!(world.wire.iter().all(|m| m.reliable && m.channel == BASE));
    world.run(secs(20));
    assert_eq!(world.events(0), vec![], "failed exactly once");
}

#[test]
fn a_client_that_starts_before_the_host_joins_once_it_hosts() {
    let mut world = World::new(2, 3, Conditions::default());
    world.client(1, 0).unwrap();
    world.run(secs(3));
    assert_eq!(
        world.status(1),
        Connecting,
        "the idle host accepts no session"
    );
    world.host(0, 4).unwrap();
    world.run(millis(600));
    assert_eq!(world.status(1), Connected, "a repeated HELLO got through");
    assert_eq!(world.events(0), vec![PeerConnected(world.id(1))]);
}

#[test]
fn a_host_refusing_new_connections_refuses_at_once_and_keeps_its_clients() {
    let mut world = World::new(3, 4, Conditions::default());
    world.host(0, 8).unwrap();
    world.client(1, 0).unwrap();
    world.run(millis(100));
    world.events(0);
    world.events(1);
    world.nodes[0].protocol.set_refuse_new_connections(true);
    world.client(2, 0).unwrap();
    world.run(millis(100));
    assert_eq!(
        world.events(2),
        vec![ConnectionFailed(FailureReason::Refused(
            RefuseReason::NotAccepting
        ))]
    );
    assert_eq!(world.status(2), Disconnected);
    assert_eq!(world.events(0), vec![], "nothing happened on the host");
    assert_eq!(world.events(1), vec![]);
    assert_eq!(world.status(1), Connected);
    world.nodes[0].protocol.set_refuse_new_connections(false);
    world.client(2, 0).unwrap();
    world.run(millis(100));
    assert_eq!(world.status(2), Connected);
    world.check_invariants();
}

/// A "not a peer" answer to a departed client's last packets does not use up the answer its rejoining HELLO
/// gets: the REFUSE goes out at once, not a second later.
#[test]
fn a_refusal_is_not_held_back_by_a_not_a_peer_answer_just_before() {
    let now = secs(1);
    let mut host = protocol(0);
    host.host(now, 4).unwrap();
    host.set_refuse_new_connections(true);
    let stranger = steam_id(7);
    host.handle_packet(now, stranger, BASE + 1, &data(Reliable, 5, None, b"late"));
    host.handle_packet(
        now,
        stranger,
        BASE,
        &encoded(|out| wire::encode_hello(out, 9)),
    );
    let answers: Vec<bool> = flushed(&mut host)
        .iter()
        .map(|(_, _, _, bytes)| matches!(control(bytes), Some(Control::Refuse { nonce: 9, .. })))
        .collect();
    assert_eq!(answers, vec![false, true], "a BYE, then the REFUSE");
}

#[test]
fn a_full_host_refuses_until_a_client_leaves() {
    let mut world = World::new(4, 5, Conditions::default());
    world.host(0, 2).unwrap();
    for index in [1, 2] {
        world.client(index, 0).unwrap();
        world.run(millis(100));
    }
    world.client(3, 0).unwrap();
    world.run(millis(100));
    assert_eq!(
        world.events(3),
        vec![ConnectionFailed(FailureReason::Refused(RefuseReason::Full))]
    );
    world.close(1);
    world.run(millis(100));
    world.client(3, 0).unwrap();
    world.run(millis(100));
    assert_eq!(world.status(3), Connected);
    world.check_invariants();
}

#[test]
fn a_client_of_another_protocol_version_is_refused_with_the_hosts_version() {
    let mut host = protocol(0);
    host.host(secs(1), 4).unwrap();
    let mut hello = encoded(|out| wire::encode_hello(out, 42));
    hello[5..7].copy_from_slice(&99u16.to_le_bytes());
    host.handle_packet(secs(1), steam_id(1), BASE, &hello);
    let out = flushed(&mut host);
    assert_eq!(out.len(), 1);
    let (to, channel, reliable, bytes) = &out[0];
    assert_eq!((*to, *channel, *reliable), (steam_id(1), BASE, true));
    let host_version = wire::PROTOCOL_VERSION;
    assert_eq!(
        control(bytes),
        Some(Control::Refuse {
            nonce: 42,
            reason: RefuseReason::VersionMismatch { host_version }
        })
    );
    assert_eq!(events_of(&mut host), vec![]);
}

#[test]
fn setup_errors_leave_the_protocol_as_it_was() {
    let mut peer = protocol(0);
    assert_eq!(peer.host(secs(1), 0), Err(SetupError::InvalidMaxClients(0)));
    assert_eq!(
        peer.host(secs(1), MAX_CLIENTS + 1),
        Err(SetupError::InvalidMaxClients(MAX_CLIENTS + 1))
    );
    assert_eq!(
        peer.client(secs(1), SteamId(0)),
        Err(SetupError::InvalidHost(SteamId(0)))
    );
    assert_eq!(
        peer.client(secs(1), steam_id(0)),
        Err(SetupError::InvalidHost(steam_id(0)))
    );
    assert_eq!(peer.connection_status(), Disconnected);
    peer.host(secs(1), MAX_CLIENTS).unwrap();
    assert_eq!(peer.host(secs(1), 4), Err(SetupError::AlreadyActive));
    assert_eq!(
        peer.client(secs(1), steam_id(1)),
        Err(SetupError::AlreadyActive)
    );
    assert!(peer.is_server());
}

#[test]
fn configuration_is_checked() {
    assert_eq!(ProtocolConfig::default().validate(), Ok(()));
    let with = |change: fn(&mut ProtocolConfig)| {
        let mut config = ProtocolConfig::default();
        change(&mut config);
        PeerProtocol::new(steam_id(0), config).map(|_| ())
    };
    assert_eq!(
        with(|c| c.base_channel = -1),
        Err(ConfigError::BaseChannel(-1))
    );
    assert_eq!(
        with(|c| c.base_channel = i32::MAX),
        Err(ConfigError::BaseChannel(i32::MAX))
    );
    assert_eq!(with(|c| c.base_channel = i32::MAX - 32), Ok(()));
    assert_eq!(
        with(|c| c.peer_timeout = Duration::ZERO),
        Err(ConfigError::ZeroDuration("peer_timeout"))
    );
    assert_eq!(
        with(|c| c.keepalive_interval = c.peer_timeout),
        Err(ConfigError::KeepaliveNotBelowTimeout)
    );
    let zero_base = PeerProtocol::new(
        steam_id(0),
        ProtocolConfig {
            base_channel: 0,
            ..ProtocolConfig::default()
        },
    )
    .unwrap();
    assert_eq!(zero_base.steam_channels(), 0..33);
    assert_eq!(protocol(0).steam_channels(), 16..49);
}

#[test]
fn session_policy_accepts_everyone_while_hosting_and_only_the_host_as_client() {
    let stranger = steam_id(50);
    let mut idle = protocol(0);
    assert!(!idle.should_accept_session(stranger));
    idle.host(secs(1), 1).unwrap();
    assert!(idle.should_accept_session(stranger));
    idle.set_refuse_new_connections(true);
    assert!(
        idle.should_accept_session(stranger),
        "so the REFUSE can reach it"
    );
    assert!(!idle.should_accept_session(SteamId(0)));
    assert!(!idle.should_accept_session(steam_id(0)), "not itself");
    let mut client = protocol(1);
    client.client(secs(1), steam_id(0)).unwrap();
    assert!(client.should_accept_session(steam_id(0)));
    assert!(!client.should_accept_session(stranger));
    client.close(secs(1));
    assert!(!client.should_accept_session(steam_id(0)));
}

// --- Transfer -----------------------------------------------------------------------------------------

#[test]
fn client_to_client_goes_through_the_host_and_names_the_true_sender() {
    let mut world = World::new(4, 6, Conditions::default());
    world.record = true;
    let ids = world.connect_all(8);
    let (a, b) = (ids[1], ids[2]);
    for index in 0..4 {
        world.events(index);
    }
    world.send(1, b, 3, Reliable, b"to b").unwrap();
    world.send(1, 0, 4, Reliable, b"to all").unwrap();
    world.send(1, -b, 5, Reliable, b"all but b").unwrap();
    world.send(1, 1, 6, Reliable, b"to host").unwrap();
    world
        .send(0, -a, 7, Reliable, b"host to all but a")
        .unwrap();
    world.run(millis(100));
    // Sorted: Steam queues channels apart, so packets on different channels have no order.
    let got = |world: &mut World, index| -> Vec<(i32, u32, Vec<u8>)> {
        let mut packets: Vec<_> = world
            .packets(index)
            .into_iter()
            .map(|p| {
                assert_eq!(p.mode, Reliable);
                (p.from, p.channel, p.payload)
            })
            .collect();
        packets.sort_by_key(|(_, channel, _)| *channel);
        packets
    };
    assert_eq!(
        got(&mut world, 0),
        vec![
            (a, 4, b"to all".to_vec()),
            (a, 5, b"all but b".to_vec()),
            (a, 6, b"to host".to_vec())
        ]
    );
    assert_eq!(
        got(&mut world, 1),
        vec![],
        "nothing comes back to the sender"
    );
    assert_eq!(
        got(&mut world, 2),
        vec![
            (a, 3, b"to b".to_vec()),
            (a, 4, b"to all".to_vec()),
            (1, 7, b"host to all but a".to_vec())
        ]
    );
    assert_eq!(
        got(&mut world, 3),
        vec![
            (a, 4, b"to all".to_vec()),
            (a, 5, b"all but b".to_vec()),
            (1, 7, b"host to all but a".to_vec())
        ]
    );
    // Clients never talk to each other directly: every message a client sent went to the host.
    for message in &world.wire {
        if message.from != steam_id(0) {
            assert_eq!(message.to, steam_id(0));
        }
    }
    world.check_invariants();
}

#[test]
fn reliable_arrives_exactly_once_and_in_order_per_channel_on_a_rough_network() {
    let mut world = World::new(3, 7, rough());
    let ids = world.connect_all(8);
    let (a, b) = (ids[1], ids[2]);
    for i in 0..300u32 {
        let channel = (i % 2) * 5;
        world
            .send(1, b, channel, Reliable, &i.to_le_bytes())
            .unwrap();
        world
            .send(0, b, channel, Reliable, &i.to_le_bytes())
            .unwrap();
        if i % 3 == 0 {
            world.step();
        }
    }
    world.run(secs(1));
    let packets = world.packets(2);
    for from in [a, 1] {
        assert_eq!(
            counters(&packets, from, 0),
            (0..300).step_by(2).collect::<Vec<_>>()
        );
        assert_eq!(
            counters(&packets, from, 5),
            (1..300).step_by(2).collect::<Vec<_>>()
        );
    }
    assert_eq!(packets.len(), 600);
    world.check_invariants();
}

#[test]
fn unreliable_ordered_never_delivers_an_older_packet_after_a_newer_one() {
    let conditions = Conditions {
        loss: 0.1,
        delay: millis(20),
        jitter: millis(120),
    };
    let mut world = World::new(3, 8, conditions);
    let ids = world.connect_all(8);
    let a = ids[1];
    for i in 0..600u32 {
        world
            .send(1, 0, 2, UnreliableOrdered, &i.to_le_bytes())
            .unwrap();
        world
            .send(0, 0, 2, UnreliableOrdered, &i.to_le_bytes())
            .unwrap();
        world.step();
    }
    world.run(secs(1));
    let mut delivered = 0;
    for (index, from) in [(0, a), (2, a), (2, 1), (1, 1)] {
        let packets = world.packets(index);
        let seen = counters(&packets, from, 2);
        assert!(
            seen.windows(2).all(|w| w[0] < w[1]),
            "node {index} from {from}: {seen:?}"
        );
        assert!(packets.iter().all(|p| p.mode == UnreliableOrdered));
        delivered += seen.len();
        // Put back for the other sender's check on the same node.
        world.nodes[index].packets = packets;
    }
    assert!(delivered > 600, "most arrived ({delivered})");
    let stale: u64 = (0..3).map(|i| world.nodes[i].protocol.stats().stale).sum();
    assert!(
        stale > 0,
        "the network reordered, so some were dropped as stale"
    );
}

#[test]
fn unreliable_arrives_intact_at_most_once_in_any_order() {
    let conditions = Conditions {
        loss: 0.3,
        delay: millis(10),
        jitter: millis(100),
    };
    let mut world = World::new(2, 9, conditions);
    world.connect_all(4);
    for i in 0..500u32 {
        world.send(1, 1, 0, Unreliable, &i.to_le_bytes()).unwrap();
        world.step();
    }
    world.run(secs(1));
    let mut seen = counters(&world.packets(0), world.id(1), 0);
    let in_order = seen.windows(2).all(|w| w[0] < w[1]);
    assert!(!in_order, "unreliable is not reordered back");
    let count = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), count, "none twice");
    assert!(count > 250 && count < 500, "some lost, most not: {count}");
}

#[test]
fn nothing_is_sent_to_a_peer_before_it_is_connected() {
    let mut world = World::new(3, 10, Conditions::default());
    world.record = true;
    assert_eq!(
        world.send(0, 0, 0, Reliable, b"idle"),
        Err(SendError::NotConnected)
    );
    world.host(0, 4).unwrap();
    assert_eq!(
        world.send(0, 0, 0, Reliable, b"nobody yet"),
        Ok(()),
        "a broadcast to no one is fine"
    );
    world.client(1, 0).unwrap();
    assert_eq!(
        world.send(1, 1, 0, Reliable, b"early"),
        Err(SendError::NotConnected)
    );
    assert_eq!(
        world.send(0, 12345, 0, Reliable, b"who"),
        Err(SendError::UnknownTarget(12345))
    );
    assert_eq!(
        world.send(0, 1, 0, Reliable, b"me"),
        Err(SendError::UnknownTarget(1))
    );
    world.run(millis(200));
    let a = world.id(1);
    world.send(0, a, 0, Reliable, b"now").unwrap();
    world.send(1, 1, 0, Reliable, b"now").unwrap();
    world.client(2, 0).unwrap();
    world.run(millis(200));
    let first = |world: &World, from: usize, to: usize| -> Vec<u8> {
        let (from, to) = (steam_id(from), steam_id(to));
        world
            .wire
            .iter()
            .find(|m| m.from == from && m.to == to)
            .map(|m| m.bytes.clone())
            .unwrap()
    };
    for client in [1, 2] {
        assert!(matches!(
            control(&first(&world, client, 0)),
            Some(Control::Hello { .. })
        ));
        assert!(matches!(
            control(&first(&world, 0, client)),
            Some(Control::Welcome { .. })
        ));
    }
    assert_eq!(
        world.send(1, 777, 0, Reliable, b"x"),
        Err(SendError::UnknownTarget(777))
    );
    assert_eq!(
        world.send(1, -777, 0, Reliable, b"x"),
        Err(SendError::UnknownTarget(-777))
    );
    assert_eq!(
        world.send(1, a, 0, Reliable, b"x"),
        Err(SendError::UnknownTarget(a)),
        "not to itself"
    );
}

#[test]
fn channel_and_size_limits_are_errors_and_the_limits_work() {
    let mut world = World::new(2, 11, Conditions::default());
    world.record = true;
    world.connect_all(4);
    assert_eq!(
        world.send(1, 1, MAX_TRANSFER_CHANNELS, Reliable, b"x"),
        Err(SendError::InvalidChannel(MAX_TRANSFER_CHANNELS))
    );
    let too_big = vec![1u8; MAX_PAYLOAD_SIZE + 1];
    let error = world.send(1, 1, 0, Reliable, &too_big).unwrap_err();
    assert_eq!(error, SendError::PayloadTooLarge(MAX_PAYLOAD_SIZE + 1));
    assert!(
        error.to_string().contains(&MAX_PAYLOAD_SIZE.to_string()),
        "{error}"
    );
    let largest: Vec<u8> = (0..MAX_PAYLOAD_SIZE).map(|i| i as u8).collect();
    world
        .send(1, 1, MAX_TRANSFER_CHANNELS - 1, Reliable, &largest)
        .unwrap();
    world
        .send(0, 0, MAX_TRANSFER_CHANNELS - 1, UnreliableOrdered, &largest)
        .unwrap();
    world.run(millis(100));
    let on_host = world.packets(0);
    assert_eq!(on_host.len(), 1);
    assert_eq!(on_host[0].channel, MAX_TRANSFER_CHANNELS - 1);
    assert!(on_host[0].payload == largest, "intact");
    assert!(world.packets(1)[0].payload == largest);
    assert!(
        world
            .wire
            .iter()
            .all(|m| m.bytes.len() <= crate::steam_types::MAX_STEAM_PACKET_SIZE)
    );
    let top = world
        .wire
        .iter()
        .filter(|m| m.channel == BASE + 1 + MAX_TRANSFER_CHANNELS as i32 - 1)
        .count();
    assert_eq!(top, 2, "transfer channel 31 is Steam channel B + 32");
}

// --- Keep-alives and timeouts ---------------------------------------------------------------------------

#[test]
fn an_idle_connection_stays_up_on_keepalives() {
    let mut world = World::new(2, 12, rough());
    world.record = true;
    world.connect_all(4);
    world.events(0);
    world.events(1);
    world.run(secs(60));
    assert_eq!(world.events(0), vec![]);
    assert_eq!(world.events(1), vec![]);
    for (from, to) in [(0, 1), (1, 0)] {
        let pings = world.count_sent(from, to, wire::kind::PING);
        assert!(
            (55..=62).contains(&pings),
            "{from} -> {to}: {pings} pings in 60 s"
        );
    }
}

#[test]
fn a_silent_client_is_disconnected_on_the_host_and_the_others_within_the_timeout() {
    let mut world = World::new(4, 13, Conditions::default());
    let ids = world.connect_all(8);
    let a = ids[1];
    for index in 0..4 {
        world.events(index);
    }
    world.nodes[1].up = false;
    let silent_at = world.now;
    assert!(world.run_until(secs(20), |w| {
        w.nodes[0].protocol.peer_for_steam_id(steam_id(1)).is_none()
    }));
    let took = world.now - silent_at;
    let config = ProtocolConfig::default();
    assert!(
        took > config.peer_timeout - config.keepalive_interval,
        "{took:?}"
    );
    assert!(took <= config.peer_timeout + FRAME, "{took:?}");
    world.run(millis(100));
    for index in [0, 2, 3] {
        assert_eq!(
            world.events(index),
            vec![PeerDisconnected(a)],
            "node {index}"
        );
    }
    world.run(secs(20));
    for index in [0, 2, 3] {
        assert_eq!(world.events(index), vec![], "node {index}");
    }
    world.check_invariants();
}

/// A client that keeps repeating its HELLO (its WELCOME is late on a lossy link, so it sends nothing else) is
/// alive: the host does not time it out.
#[test]
fn a_client_repeating_its_hello_is_not_timed_out_by_the_host() {
    let start = secs(1);
    let mut host = protocol(0);
    let mut client = protocol(1);
    host.host(start, 4).unwrap();
    client.client(start, steam_id(0)).unwrap();
    let hello = flushed(&mut client).remove(0).3;
    host.handle_packet(start, steam_id(1), BASE, &hello);
    assert!(matches!(events_of(&mut host)[..], [PeerConnected(_)]));
    let mut now = start;
    while now < start + secs(25) {
        now += millis(500);
        host.handle_packet(now, steam_id(1), BASE, &hello);
        host.update(now);
        flushed(&mut host);
    }
    assert_eq!(events_of(&mut host), vec![]);
    assert_eq!(host.connected_peers().len(), 1);
}

#[test]
fn a_silent_host_gives_server_disconnected_within_the_timeout() {
    let mut world = World::new(3, 14, Conditions::default());
    let ids = world.connect_all(8);
    for index in 0..3 {
        world.events(index);
    }
    world.nodes[0].up = false;
    let silent_at = world.now;
    assert!(world.run_until(secs(20), |w| w.status(1) == Disconnected
        && w.status(2) == Disconnected));
    assert!(world.now - silent_at <= ProtocolConfig::default().peer_timeout + FRAME);
    assert_eq!(
        world.events(1),
        vec![
            PeerDisconnected(ids[2]),
            PeerDisconnected(1),
            ServerDisconnected(DisconnectReason::Timeout)
        ]
    );
    assert_eq!(
        world.events(2),
        vec![
            PeerDisconnected(ids[1]),
            PeerDisconnected(1),
            ServerDisconnected(DisconnectReason::Timeout)
        ]
    );
    assert_eq!(
        (world.id(1), world.nodes[1].protocol.connected_peers()),
        (0, vec![])
    );
    world.check_invariants();
}

#[test]
fn a_cut_link_times_out_on_both_sides_and_the_others_stay() {
    let mut world = World::new(3, 32, Conditions::default());
    let ids = world.connect_all(8);
    for index in 0..3 {
        world.events(index);
    }
    world.cut(0, 1);
    world.run(ProtocolConfig::default().peer_timeout + millis(100));
    assert_eq!(world.events(0), vec![PeerDisconnected(ids[1])]);
    assert_eq!(
        world.events(1),
        lost_host(&[ids[2]], DisconnectReason::Timeout)
    );
    assert_eq!(world.events(2), vec![PeerDisconnected(ids[1])]);
    assert_eq!(world.status(2), Connected);
    world.check_invariants();
}

#[test]
fn a_failed_session_fails_the_attempt_or_ends_the_connection() {
    let mut world = World::new(4, 15, Conditions::default());
    let ids = world.connect_all(8);
    for index in 0..4 {
        world.events(index);
    }
    world.fail_session(1, 0);
    assert_eq!(
        world.events(1),
        lost_host(&[ids[2], ids[3]], DisconnectReason::SessionFailed),
        "every other peer, then the host"
    );
    assert_eq!(world.events(0), vec![PeerDisconnected(ids[1])]);
    world.run(millis(100));
    assert_eq!(world.events(2), vec![PeerDisconnected(ids[1])]);
    // While connecting.
    world.client(1, 0).unwrap();
    world.fail_session(1, 0);
    assert_eq!(
        world.events(1),
        vec![ConnectionFailed(FailureReason::SessionFailed)]
    );
    assert_eq!(world.status(1), Disconnected);
    world.check_invariants();
}

// --- Disconnecting -------------------------------------------------------------------------------------

/// The events of a client losing its host: the other clients (ascending), the host, the reason.
fn lost_host(others: &[i32], reason: DisconnectReason) -> Vec<PeerEvent> {
    let mut others = others.to_vec();
    others.sort();
    others
        .into_iter()
        .map(PeerDisconnected)
        .chain([PeerDisconnected(1), ServerDisconnected(reason)])
        .collect()
}

#[test]
fn disconnect_peer_without_force_reports_once_the_client_acknowledges() {
    let mut world = World::new(
        4,
        17,
        Conditions {
            delay: millis(50),
            ..Conditions::default()
        },
    );
    let ids = world.connect_all(8);
    let a = ids[1];
    for index in 0..4 {
        world.events(index);
    }
    world.disconnect(0, a, false).unwrap();
    assert_eq!(
        world.events(0),
        vec![],
        "not before the client acknowledged"
    );
    assert_eq!(
        world.send(0, a, 0, Reliable, b"x"),
        Err(SendError::UnknownTarget(a))
    );
    assert_eq!(world.nodes[0].protocol.steam_id_for_peer(a), None);
    world.run(millis(90));
    assert_eq!(world.events(0), vec![]);
    world.run(millis(100));
    assert_eq!(world.events(0), vec![PeerDisconnected(a)]);
    assert_eq!(
        world.events(1),
        lost_host(&[ids[2], ids[3]], DisconnectReason::Kicked)
    );
    assert_eq!(world.events(2), vec![PeerDisconnected(a)]);
    assert_eq!(world.events(3), vec![PeerDisconnected(a)]);
    world.run(secs(15));
    for index in 0..4 {
        assert_eq!(world.events(index), vec![]);
    }
    world.check_invariants();
}

#[test]
fn disconnect_peer_without_force_reports_after_the_linger_when_the_client_is_gone() {
    let mut world = World::new(2, 18, Conditions::default());
    let ids = world.connect_all(4);
    world.events(0);
    world.nodes[1].up = false;
    world.disconnect(0, ids[1], false).unwrap();
    world.run(ProtocolConfig::default().disconnect_linger - FRAME);
    assert_eq!(world.events(0), vec![]);
    world.run(FRAME * 2);
    assert_eq!(world.events(0), vec![PeerDisconnected(ids[1])]);
    world.run(secs(15));
    assert_eq!(world.events(0), vec![], "not again at the timeout");
}

#[test]
fn disconnect_peer_with_force_fires_nothing_on_the_host_but_tells_everyone_else() {
    let mut world = World::new(3, 19, Conditions::default());
    let ids = world.connect_all(8);
    let a = ids[1];
    for index in 0..3 {
        world.events(index);
    }
    world.disconnect(0, a, true).unwrap();
    assert_eq!(
        world.nodes[0].protocol.peer_for_steam_id(steam_id(1)),
        None,
        "gone at once"
    );
    world.run(secs(15));
    assert_eq!(
        world.events(0),
        vec![],
        "force: no peer_disconnected, as Godot says"
    );
    assert_eq!(
        world.events(1),
        lost_host(&[ids[2]], DisconnectReason::Kicked)
    );
    assert_eq!(world.events(2), vec![PeerDisconnected(a)]);
    assert_eq!(
        world.disconnect(0, a, true),
        Err(DisconnectError::UnknownPeer(a))
    );
}

#[test]
fn a_client_leaving_gracefully_is_connected_until_the_host_acknowledges() {
    let mut world = World::new(
        3,
        20,
        Conditions {
            delay: millis(50),
            ..Conditions::default()
        },
    );
    let ids = world.connect_all(8);
    for index in 0..3 {
        world.events(index);
    }
    assert_eq!(
        world.disconnect(1, 5, false),
        Err(DisconnectError::UnknownPeer(5))
    );
    world.disconnect(1, 1, false).unwrap();
    assert_eq!(
        world.status(1),
        Connected,
        "as ENet, until the host acknowledged"
    );
    assert_eq!(
        world.send(1, 1, 0, Reliable, b"x"),
        Err(SendError::NotConnected)
    );
    world.run(millis(200));
    assert_eq!(world.status(1), Disconnected);
    assert_eq!(
        world.events(1),
        lost_host(&[ids[2]], DisconnectReason::Left)
    );
    assert_eq!(world.events(0), vec![PeerDisconnected(ids[1])]);
    assert_eq!(world.events(2), vec![PeerDisconnected(ids[1])]);
    world.check_invariants();
}

/// What a client sent just before leaving (its last RPCs) travels in the same frame as its BYE. Steam queues
/// channels apart; the host applies the departure only after every channel of that frame was read, and reports it
/// only after those packets are read, here and at the other clients (through the relay, before LEFT).
#[test]
fn packets_a_client_sent_just_before_leaving_are_read_before_its_departure_everywhere() {
    let mut world = World::new(3, 23, Conditions::default());
    let ids = world.connect_all(8);
    for index in 0..3 {
        world.events(index);
        world.packets(index);
    }
    for counter in 0..3u32 {
        world
            .send(1, 0, 1, Reliable, &counter.to_le_bytes())
            .unwrap();
    }
    world.disconnect(1, 1, false).unwrap();
    world.run(millis(200));
    for index in [0, 2] {
        assert_eq!(
            counters(&world.packets(index), ids[1], 1),
            vec![0, 1, 2],
            "node {index}"
        );
        assert_eq!(world.events(index), vec![PeerDisconnected(ids[1])]);
        let log = &world.nodes[index].log;
        let departure = log
            .iter()
            .position(|entry| *entry == harness::Entry::Event(PeerDisconnected(ids[1])))
            .unwrap();
        let last_packet = log
            .iter()
            .rposition(|entry| *entry == harness::Entry::Packet { from: ids[1] })
            .unwrap();
        assert!(last_packet < departure, "node {index}: {log:?}");
    }
    world.check_invariants();
}

/// The departure waits for the game to read those packets one frame at most: a driver that never reads
/// still gets every event.
#[test]
fn a_departure_waits_for_unread_packets_one_frame_at_most() {
    let now = secs(1);
    let mut host = protocol(0);
    let mut client = protocol(1);
    host.host(now, 4).unwrap();
    client.client(now, steam_id(0)).unwrap();
    let exchange = |from: &mut PeerProtocol, to: &mut PeerProtocol| deliver(now, from, to);
    exchange(&mut client, &mut host);
    exchange(&mut host, &mut client);
    let id = client.unique_id();
    assert_eq!(events_of(&mut host), vec![PeerConnected(id)]);
    client.send(now, 1, 0, Reliable, b"last words").unwrap();
    client.disconnect_peer(now, 1, false).unwrap();
    exchange(&mut client, &mut host);
    host.update(now);
    assert_eq!(
        events_of(&mut host),
        vec![],
        "held while its packet is unread"
    );
    host.update(now + FRAME);
    assert_eq!(events_of(&mut host), vec![PeerDisconnected(id)]);
    let packet = host.peek_packet().map(|p| (p.from, p.payload.to_vec()));
    assert_eq!(packet, Some((id, b"last words".to_vec())));
}

/// Godot counts a peer connected until it is told the peer left, and its synchronizers keep addressing the
/// peer meanwhile: while the departure is held back, a packet for it goes nowhere without an error. Once Godot
/// was told, addressing it is an error again.
#[test]
fn the_host_may_address_a_client_that_left_until_godot_is_told() {
    let now = secs(1);
    let (mut host, mut client) = host_and_client(now);
    let id = client.unique_id();
    assert_eq!(events_of(&mut host), vec![PeerConnected(id)]);
    client.send(now, 1, 0, Reliable, b"last words").unwrap();
    client.disconnect_peer(now, 1, false).unwrap();
    deliver(now, &mut client, &mut host);
    host.update(now);
    assert_eq!(
        events_of(&mut host),
        vec![],
        "held while its packet is unread"
    );
    flushed(&mut host);
    assert_eq!(host.send(now, id, 0, Unreliable, b"sync"), Ok(()));
    assert_eq!(host.send(now, -id, 0, Reliable, b"to the others"), Ok(()));
    assert_eq!(
        flushed(&mut host),
        vec![],
        "nothing goes to the departed client"
    );
    host.update(now + FRAME);
    assert_eq!(events_of(&mut host), vec![PeerDisconnected(id)]);
    assert_eq!(
        host.send(now + FRAME, id, 0, Unreliable, b"sync"),
        Err(SendError::UnknownTarget(id))
    );
}

/// The same at a client, for another client the host said has left.
#[test]
fn a_client_may_address_a_peer_that_left_until_godot_is_told() {
    let now = secs(1);
    let mut host = protocol(0);
    let mut staying = protocol(1);
    let mut leaving = protocol(2);
    host.host(now, 4).unwrap();
    staying.client(now, steam_id(0)).unwrap();
    leaving.client(now, steam_id(0)).unwrap();
    deliver(now, &mut staying, &mut host);
    deliver(now, &mut leaving, &mut host);
    let welcomes = flushed(&mut host);
    hand_over(now, steam_id(0), &welcomes, &mut staying);
    hand_over(now, steam_id(0), &welcomes, &mut leaving);
    let gone = leaving.unique_id();
    assert!(staying.connected_peers().contains(&gone));
    events_of(&mut staying);
    leaving.send(now, 0, 0, Reliable, b"last words").unwrap();
    leaving.disconnect_peer(now, 1, false).unwrap();
    deliver(now, &mut leaving, &mut host);
    host.update(now);
    deliver(now, &mut host, &mut staying);
    staying.update(now);
    assert_eq!(
        events_of(&mut staying),
        vec![],
        "held while its packet is unread"
    );
    flushed(&mut staying);
    assert_eq!(staying.send(now, gone, 0, Unreliable, b"sync"), Ok(()));
    assert_eq!(
        flushed(&mut staying),
        vec![],
        "nothing is sent for the departed peer"
    );
    assert_eq!(
        staying.send(now, -gone, 0, Reliable, b"to the others"),
        Ok(())
    );
    staying.update(now + FRAME);
    assert_eq!(events_of(&mut staying), vec![PeerDisconnected(gone)]);
    assert_eq!(
        staying.send(now + FRAME, gone, 0, Unreliable, b"sync"),
        Err(SendError::UnknownTarget(gone))
    );
}

/// Steam answers a send with NoConnection once the peer closed the session, and posts no callback for that: a
/// client that shut down without its BYE getting out is gone at once, not at the peer timeout.
#[test]
fn a_client_whose_session_steam_calls_broken_is_gone_at_once() {
    let now = secs(1);
    let (mut host, _client) = host_and_client(now);
    let id = host.connected_peers()[0];
    assert_eq!(events_of(&mut host), vec![PeerConnected(id)]);
    host.handle_session_broken(now, steam_id(1));
    assert_eq!(events_of(&mut host), vec![PeerDisconnected(id)]);
    assert_eq!(host.connected_peers(), Vec::<i32>::new());
}

/// The same at a client for its host: the server is gone.
#[test]
fn a_connected_client_whose_session_with_the_host_is_broken_is_disconnected_at_once() {
    let now = secs(1);
    let (_host, mut client) = host_and_client(now);
    assert_eq!(client.connection_status(), Connected);
    events_of(&mut client);
    client.handle_session_broken(now, steam_id(0));
    assert_eq!(client.connection_status(), Disconnected);
    assert_eq!(
        events_of(&mut client),
        vec![
            PeerDisconnected(1),
            ServerDisconnected(DisconnectReason::SessionFailed)
        ]
    );
}

/// A client joining a host it knew before (the session of the host's last run still broken) goes on
/// connecting: the driver closes the broken session and the next HELLO starts a new one.
#[test]
fn a_broken_session_during_the_handshake_does_not_fail_it() {
    let now = secs(1);
    let mut host = protocol(0);
    let mut client = protocol(1);
    host.host(now, 4).unwrap();
    client.client(now, steam_id(0)).unwrap();
    flushed(&mut client);
    client.handle_session_broken(now, steam_id(0));
    client.update(now + secs(2));
    assert_eq!(client.connection_status(), Connecting);
    assert_eq!(events_of(&mut client), vec![]);
    deliver(now + secs(2), &mut client, &mut host);
    deliver(now + secs(2), &mut host, &mut client);
    assert_eq!(client.connection_status(), Connected);
}

/// A frame can bring a client its WELCOME together with more of the host's data than the client may hold
/// for unknown senders (256 packets): none of it may be lost. Read after the data, the WELCOME came too late
/// and reliable RPCs were dropped on a busy machine.
#[test]
fn a_burst_arriving_with_the_welcome_is_delivered_whole() {
    const COUNT: u32 = 1_000;
    let now = secs(1);
    let mut host = protocol(0);
    let mut client = protocol(1);
    host.host(now, 4).unwrap();
    client.client(now, steam_id(0)).unwrap();
    deliver(now, &mut client, &mut host);
    let id = host.connected_peers()[0];
    for counter in 0..COUNT {
        host.send(now, id, 3, Reliable, &counter.to_le_bytes())
            .unwrap();
    }
    deliver(now, &mut host, &mut client);
    client.update(now);
    assert_eq!(client.connection_status(), Connected);
    let mut received = Vec::new();
    while let Some(packet) = client.peek_packet() {
        received.push(u32::from_le_bytes(packet.payload[..4].try_into().unwrap()));
        client.pop_packet();
    }
    assert_eq!(received, (0..COUNT).collect::<Vec<_>>());
    assert_eq!(client.stats().held_dropped, 0);
}

/// The same for a peer introduced by JOINED: its relayed burst in the frame of its JOINED all arrives.
#[test]
fn a_burst_relayed_from_a_new_peer_in_the_frame_of_its_joined_is_delivered_whole() {
    const COUNT: u32 = 1_000;
    let now = secs(1);
    let mut host = protocol(0);
    let mut first = protocol(1);
    let mut second = protocol(2);
    host.host(now, 4).unwrap();
    first.client(now, steam_id(0)).unwrap();
    deliver(now, &mut first, &mut host);
    deliver(now, &mut host, &mut first);
    assert_eq!(first.connection_status(), Connected);
    second.client(now, steam_id(0)).unwrap();
    deliver(now, &mut second, &mut host);
    // The host's WELCOME goes to `second`; the JOINED for `first` stays on the way a while.
    let out = flushed(&mut host);
    for channel in second.steam_channels_in_reading_order() {
        for (to, _, _, bytes) in out.iter().filter(|packet| packet.1 == channel) {
            if *to == second.local_steam_id() {
                second.handle_packet(now, host.local_steam_id(), channel, bytes);
            }
        }
    }
    let second_id = second.unique_id();
    for counter in 0..COUNT {
        second
            .send(now, 0, 3, Reliable, &counter.to_le_bytes())
            .unwrap();
    }
    deliver(now, &mut second, &mut host);
    // One frame brings `first` the JOINED of `second` and everything relayed from it.
    let relayed = flushed(&mut host);
    for channel in first.steam_channels_in_reading_order() {
        for (to, _, _, bytes) in out
            .iter()
            .chain(&relayed)
            .filter(|packet| packet.1 == channel)
        {
            if *to == first.local_steam_id() {
                first.handle_packet(now, host.local_steam_id(), channel, bytes);
            }
        }
    }
    first.update(now);
    let mut received = Vec::new();
    while let Some(packet) = first.peek_packet() {
        assert_eq!(packet.from, second_id);
        received.push(u32::from_le_bytes(packet.payload[..4].try_into().unwrap()));
        first.pop_packet();
    }
    assert_eq!(received, (0..COUNT).collect::<Vec<_>>());
    assert_eq!(first.stats().held_dropped, 0);
}

#[test]
fn a_client_forcing_its_disconnect_closes_at_once_without_events() {
    let mut world = World::new(2, 21, Conditions::default());
    let ids = world.connect_all(4);
    world.events(1);
    world.disconnect(1, 1, true).unwrap();
    assert_eq!(world.status(1), Disconnected);
    world.run(millis(100));
    assert_eq!(world.events(1), vec![]);
    assert_eq!(
        world.events(0),
        vec![PeerConnected(ids[1]), PeerDisconnected(ids[1])]
    );
    assert_eq!(
        world.disconnect(1, 1, true),
        Err(DisconnectError::NotActive)
    );
}

#[test]
fn cancelling_a_connection_attempt_fails_it_once() {
    let mut world = World::new(1, 22, Conditions::default());
    world.client_of(0, steam_id(9)).unwrap();
    world.disconnect(0, 1, false).unwrap();
    assert_eq!(
        world.events(0),
        vec![ConnectionFailed(FailureReason::Cancelled)]
    );
    world.run(secs(15));
    assert_eq!(world.events(0), vec![]);
}

// --- Close, re-host, re-join -----------------------------------------------------------------------------

#[test]
fn after_close_nothing_fires_and_pending_events_and_packets_are_dropped() {
    let mut host = protocol(0);
    host.host(secs(1), 4).unwrap();
    host.handle_packet(
        secs(1),
        steam_id(1),
        BASE,
        &encoded(|out| wire::encode_hello(out, 1)),
    );
    assert_eq!(host.packet_count(), 0);
    host.close(secs(1));
    assert_eq!(host.next_event(), None);
    assert_eq!(
        (host.connection_status(), host.unique_id()),
        (Disconnected, 0)
    );
    let out = flushed(&mut host);
    assert!(
        out.iter().any(|(to, _, _, bytes)| *to == steam_id(1)
            && control(bytes)
                == Some(Control::Bye {
                    reason: ByeReason::Closing
                })),
        "a BYE still goes out: {out:?}"
    );
    host.handle_packet(
        secs(2),
        steam_id(1),
        BASE + 1,
        &data(Reliable, 1, None, b"late"),
    );
    host.update(secs(30));
    assert_eq!((host.next_event(), host.packet_count()), (None, 0));
}

#[test]
fn a_host_closes_and_hosts_again_on_the_same_object_and_clients_rejoin() {
    let mut world = World::new(
        4,
        23,
        Conditions {
            delay: millis(20),
            ..Conditions::default()
        },
    );
    let mut all_ids = Vec::new();
    for round in 0..3 {
        let ids = world.connect_all(8);
        all_ids.extend_from_slice(&ids[1..]);
        world.run(millis(200));
        world.events(0);
        world.close(0);
        assert_eq!(world.status(0), Disconnected);
        world.run(millis(100));
        for index in 1..4 {
            let others: Vec<i32> = (1..4).filter(|&i| i != index).map(|i| ids[i]).collect();
            let events = world.events(index);
            assert_eq!(
                events[events.len() - 4..],
                lost_host(&others, DisconnectReason::HostClosed)[..],
                "round {round}, node {index}"
            );
            assert_eq!(world.status(index), Disconnected);
        }
        world.run(secs(12));
        for index in 0..4 {
            assert!(
                world.events(index).is_empty(),
                "round {round}, node {index}: nothing after close"
            );
        }
    }
    let count = all_ids.len();
    all_ids.sort();
    all_ids.dedup();
    assert_eq!(all_ids.len(), count, "IDs are new each time");
    world.check_invariants();
}

#[test]
fn a_client_closes_and_rejoins_at_once_on_the_same_object() {
    let mut world = World::new(3, 24, rough());
    let ids = world.connect_all(8);
    for index in 0..3 {
        world.events(index);
    }
    world.close(1);
    world.client(1, 0).unwrap();
    assert!(world.run_until(secs(2), |w| w.status(1) == Connected));
    world.run(millis(500));
    let new_a = world.id(1);
    assert_ne!(new_a, ids[1]);
    assert_eq!(
        world.events(0),
        vec![PeerDisconnected(ids[1]), PeerConnected(new_a)]
    );
    assert_eq!(
        world.events(2),
        vec![PeerDisconnected(ids[1]), PeerConnected(new_a)]
    );
    assert_eq!(
        world.events(1),
        vec![ConnectionSucceeded, PeerConnected(1), PeerConnected(ids[2])]
    );
    world.check_invariants();
}

#[test]
fn a_client_whose_game_restarted_replaces_its_old_peer() {
    let mut world = World::new(3, 25, Conditions::default());
    let ids = world.connect_all(8);
    for index in 0..3 {
        world.events(index);
    }
    world.restart(1);
    world.client(1, 0).unwrap();
    assert!(world.run_until(secs(2), |w| w.status(1) == Connected));
    world.run(millis(100));
    let new_a = world.id(1);
    assert_eq!(
        world.events(0),
        vec![PeerDisconnected(ids[1]), PeerConnected(new_a)]
    );
    assert_eq!(
        world.events(2),
        vec![PeerDisconnected(ids[1]), PeerConnected(new_a)]
    );
    world.check_invariants();
}

#[test]
fn clients_of_a_host_that_restarted_learn_it_at_once_not_after_the_timeout() {
    let mut world = World::new(3, 26, Conditions::default());
    world.connect_all(8);
    world.restart(0);
    world.host(0, 8).unwrap();
    let restarted_at = world.now;
    assert!(world.run_until(secs(20), |w| w.status(1) == Disconnected
        && w.status(2) == Disconnected));
    assert!(
        world.now - restarted_at < secs(2),
        "{:?}",
        world.now - restarted_at
    );
    assert!(matches!(
        world.events(1).last(),
        Some(ServerDisconnected(DisconnectReason::HostClosed))
    ));
    world.client(1, 0).unwrap();
    world.run(millis(100));
    assert_eq!(world.status(1), Connected);
    world.check_invariants();
}

#[test]
fn peer_ids_are_random_in_godots_range_and_never_reused_by_a_host() {
    let mut world = World::new(2, 27, Conditions::default());
    world.host(0, 4).unwrap();
    let mut ids = Vec::new();
    for _ in 0..100 {
        world.client(1, 0).unwrap();
        world.run(millis(30));
        ids.push(world.id(1));
        world.close(1);
        world.run(millis(30));
    }
    assert!(ids.iter().all(|&id| id >= 2));
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len());
    world.check_invariants();
}

// --- Hostile and malformed input --------------------------------------------------------------------------

#[test]
fn random_garbage_from_strangers_never_panics_and_never_makes_an_event() {
    let mut world = World::new(4, 28, Conditions::default());
    world.host(0, 8).unwrap();
    world.client(1, 0).unwrap();
    world.run(millis(100));
    world.client_of(2, steam_id(77)).unwrap();
    for index in 0..4 {
        world.events(index);
    }
    let mut rng = fastrand::Rng::with_seed(28);
    for round in 0..20_000 {
        let stranger = SteamId(SteamId::INDIVIDUAL_PUBLIC_BASE + 1000 + rng.u64(0..50));
        let from = if rng.bool() {
            stranger
        } else {
            SteamId(rng.u64(..))
        };
        let channel = match rng.u8(0..10) {
            0 => rng.i32(..),
            _ => rng.i32(BASE - 2..BASE + 40),
        };
        let len = rng.usize(0..48);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
        if let Some(first) = bytes.first_mut() {
            *first = rng.u8(0..9);
        }
        let to = rng.usize(0..4);
        world.inject(to, from, channel, &bytes);
        if round % 100 == 0 {
            world.step();
        }
    }
    world.run(secs(1));
    for index in 0..4 {
        assert_eq!(world.events(index), vec![], "node {index}");
        assert!(world.packets(index).is_empty(), "node {index}");
    }
    let stats = world.nodes[0].protocol.stats();
    assert!(stats.malformed > 0 && stats.unexpected > 0, "{stats:?}");
    assert_eq!((world.status(1), world.status(2)), (Connected, Connecting));
}

#[test]
fn random_garbage_from_peers_never_panics_or_breaks_the_exactly_once_rules() {
    for seed in 0..4 {
        let mut world = World::new(3, 100 + seed, Conditions::default());
        world.connect_all(8);
        let mut rng = fastrand::Rng::with_seed(seed);
        for round in 0..5_000 {
            let (to, from) = match rng.u8(0..3) {
                0 => (1, 0),
                1 => (0, rng.usize(1..3)),
                _ => (2, 0),
            };
            let channel = rng.i32(BASE..BASE + 34);
            let len = rng.usize(0..32);
            let mut bytes: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
            if let Some(first) = bytes.first_mut() {
                *first = rng.u8(0..9);
            }
            let from = steam_id(from);
            world.inject(to, from, channel, &bytes);
            if round % 50 == 0 {
                world.step();
            }
        }
        world.run(secs(15));
        world.check_invariants();
    }
}

#[test]
fn a_client_cannot_speak_for_another() {
    let mut world = World::new(4, 29, Conditions::default());
    let ids = world.connect_all(8);
    let (a, b, c) = (ids[1], ids[2], ids[3]);
    for index in 0..4 {
        world.events(index);
    }
    // c writes to b directly, as the host would, claiming to relay a's packet: only the host relays.
    let before = world.nodes[2].protocol.stats().unexpected;
    world.inject(
        2,
        steam_id(3),
        BASE + 1,
        &data(Reliable, a, None, b"forged"),
    );
    world.inject(
        2,
        steam_id(3),
        BASE,
        &encoded(|out| wire::encode_left(out, a as u32)),
    );
    assert_eq!(world.nodes[2].protocol.stats().unexpected, before + 2);
    // c sends the host-only control packets to the host.
    world.inject(
        0,
        steam_id(3),
        BASE,
        &encoded(|out| wire::encode_joined(out, a as u32, steam_id(3))),
    );
    world.inject(
        0,
        steam_id(3),
        BASE,
        &encoded(|out| wire::encode_left(out, a as u32)),
    );
    world.inject(
        0,
        steam_id(3),
        BASE,
        &encoded(|out| wire::encode_welcome(out, 1, a as u32, std::iter::empty())),
    );
    // The host names the sender by its Steam ID: whatever c writes, b sees c.
    world.inject(
        0,
        steam_id(3),
        BASE + 1,
        &data(Reliable, b, None, b"from c"),
    );
    // The host's packet cannot claim to come from b itself.
    world.inject(
        2,
        steam_id(0),
        BASE + 1,
        &data(Reliable, b, None, b"from myself?"),
    );
    world.run(millis(100));
    for index in 0..4 {
        assert_eq!(world.events(index), vec![], "node {index}");
    }
    let packets = world.packets(2);
    assert_eq!(packets.len(), 1);
    assert_eq!(
        (packets[0].from, &packets[0].payload[..]),
        (c, &b"from c"[..])
    );
    assert!(world.packets(1).is_empty() && world.packets(0).is_empty());
}

#[test]
fn hello_floods_are_dropped_and_counted() {
    let mut world = World::new(3, 30, Conditions::default());
    world.record = true;
    world.host(0, 1).unwrap();
    world.client(1, 0).unwrap();
    world.run(secs(2));
    let a = world.id(1);
    for index in 0..3 {
        world.events(index);
    }
    // The connected client's own HELLO, replayed: answered already.
    let hello = world
        .wire
        .iter()
        .find(|m| {
            m.from == steam_id(1)
                && control(&m.bytes).is_some_and(|c| matches!(c, Control::Hello { .. }))
        })
        .map(|m| m.bytes.clone())
        .unwrap();
    for _ in 0..1000 {
        world.inject(0, steam_id(1), BASE, &hello);
    }
    assert_eq!(world.events(0), vec![]);
    assert!(world.nodes[0].protocol.stats().duplicate_hellos >= 1000);
    // A full host refuses a flood at most once a second.
    world.wire.clear();
    for nonce in 0..1000 {
        world.inject(
            0,
            steam_id(2),
            BASE,
            &encoded(|out| wire::encode_hello(out, nonce)),
        );
    }
    world.run(millis(2500));
    assert_eq!(world.count_sent(0, 2, wire::kind::REFUSE), 1);
    // New runs of a connected client's game, a thousand in a frame: one replaces it, the rest are dropped.
    for nonce in 5000..6000 {
        world.inject(
            0,
            steam_id(1),
            BASE,
            &encoded(|out| wire::encode_hello(out, nonce)),
        );
    }
    let events = world.events(0);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0], PeerDisconnected(a));
    assert!(matches!(events[1], PeerConnected(_)));
}

#[test]
fn data_read_before_the_control_packet_that_introduces_its_sender_is_held_not_lost() {
    let now = secs(1);
    let mut nodes = [protocol(0), protocol(1), protocol(2)];
    nodes[0].host(now, 4).unwrap();
    // Delivers what node `from` queued to each node; with `data_first`, data channels before the control
    // channel: the race the driver's read order cannot rule out, as Steam fills channels on its own thread.
    let deliver = |nodes: &mut [PeerProtocol; 3], from: usize, data_first: bool| {
        let mut out = flushed(&mut nodes[from]);
        if data_first {
            out.sort_by_key(|(_, channel, _, _)| -channel);
        }
        for (to, channel, _, bytes) in out {
            let to = nodes.iter().position(|n| n.local_steam_id() == to).unwrap();
            nodes[to].handle_packet(now, steam_id(from), channel, &bytes);
        }
    };
    nodes[1].client(now, steam_id(0)).unwrap();
    deliver(&mut nodes, 1, false);
    nodes[0].send(now, 0, 0, Reliable, b"welcome gift").unwrap();
    deliver(&mut nodes, 0, true);
    assert_eq!(
        events_of(&mut nodes[1]),
        vec![ConnectionSucceeded, PeerConnected(1)]
    );
    let first = nodes[1].peek_packet().map(|p| (p.from, p.payload.to_vec()));
    assert_eq!(first, Some((1, b"welcome gift".to_vec())));
    nodes[1].pop_packet();
    // Node 2 joins; its first packet to node 1 reaches it before the JOINED that introduces node 2.
    nodes[2].client(now, steam_id(0)).unwrap();
    deliver(&mut nodes, 2, false);
    let b = {
        let out = flushed(&mut nodes[0]);
        let (welcome, joined): (Vec<_>, Vec<_>) =
            out.into_iter().partition(|(to, ..)| *to == steam_id(2));
        for (_, channel, _, bytes) in welcome {
            nodes[2].handle_packet(now, steam_id(0), channel, &bytes);
        }
        let b = nodes[2].unique_id();
        nodes[2]
            .send(now, nodes[1].unique_id(), 0, Reliable, b"hi")
            .unwrap();
        deliver(&mut nodes, 2, false);
        let mut relayed = flushed(&mut nodes[0]);
        relayed.extend(joined);
        for (_, channel, _, bytes) in relayed {
            nodes[1].handle_packet(now, steam_id(0), channel, &bytes);
        }
        b
    };
    assert_eq!(events_of(&mut nodes[1]), vec![PeerConnected(b)]);
    let next = nodes[1].peek_packet().map(|p| (p.from, p.payload.to_vec()));
    assert_eq!(next, Some((b, b"hi".to_vec())));
    assert_eq!(nodes[1].stats().held, 2);
    // A packet whose sender is never introduced is dropped after a while, not kept.
    nodes[1].handle_packet(
        now,
        steam_id(0),
        BASE + 1,
        &data(Reliable, 424242, None, b"orphan"),
    );
    nodes[1].update(now + millis(10));
    nodes[1].update(now + secs(2));
    nodes[1].update(now + secs(2));
    assert_eq!(nodes[1].stats().held_dropped, 1);
    assert_eq!(nodes[1].packet_count(), 1);
}

#[test]
fn without_server_relay_clients_see_only_the_host() {
    let config = ProtocolConfig {
        server_relay: false,
        ..ProtocolConfig::default()
    };
    let mut world = World::with_config(3, 31, Conditions::default(), config);
    let ids = world.connect_all(8);
    assert_eq!(world.events(1), vec![ConnectionSucceeded, PeerConnected(1)]);
    assert_eq!(world.events(2), vec![ConnectionSucceeded, PeerConnected(1)]);
    assert_eq!(
        world.send(1, ids[2], 0, Reliable, b"x"),
        Err(SendError::UnknownTarget(ids[2]))
    );
    world.send(1, 0, 0, Reliable, b"all").unwrap();
    world.run(millis(100));
    assert_eq!(world.packets(0).len(), 1);
    assert!(world.packets(2).is_empty());
    world.close(1);
    world.run(millis(100));
    assert_eq!(world.events(2), vec![], "no LEFT either");
}

// --- Everything at once ------------------------------------------------------------------------------

/// Random joins, leaves, kicks, closes, silences and traffic on a rough network, for several seeds: the
/// exactly-once rules hold throughout, and once things calm down every client sees exactly the host's peers.
#[test]
fn chaos_keeps_every_event_exactly_once_and_views_converge() {
    for seed in 0..6 {
        let mut world = World::new(6, 200 + seed, rough());
        let mut rng = fastrand::Rng::with_seed(seed);
        world.host(0, 4).unwrap();
        let mut silent_until = [Duration::ZERO; 6];
        for _ in 0..6000 {
            let now = world.now;
            for (index, until) in silent_until.iter().enumerate() {
                world.nodes[index].up = index == 0 || now >= *until;
            }
            let index = rng.usize(1..6);
            if !world.nodes[index].up {
                // A frozen game does nothing.
                world.step();
                continue;
            }
            match rng.u16(0..1000) {
                0..=9 if world.status(index) == Disconnected => {
                    let _ = world.client(index, 0);
                }
                10..=11 => world.close(index),
                12 => {
                    let _ = world.disconnect(index, 1, rng.bool());
                }
                13..=14 => {
                    let peers = world.nodes[0].protocol.connected_peers();
                    if !peers.is_empty() {
                        let victim = peers[rng.usize(0..peers.len())];
                        world.disconnect(0, victim, rng.bool()).unwrap();
                    }
                }
                15 => silent_until[index] = now + Duration::from_millis(rng.u64(500..15_000)),
                16..=300 => {
                    let peers = world.nodes[index].protocol.connected_peers();
                    let target = match rng.u8(0..3) {
                        0 => 0,
                        _ if peers.is_empty() => 1,
                        1 => peers[rng.usize(0..peers.len())],
                        _ => -peers[rng.usize(0..peers.len())],
                    };
                    let mode = TransferMode::from_godot(rng.i64(0..3)).unwrap();
                    let _ = world.send(index, target, rng.u32(0..4), mode, &[7; 40]);
                }
                _ => {}
            }
            world.step();
        }
        for node in &mut world.nodes {
            node.up = true;
        }
        world.run(secs(15));
        world.check_invariants();
        // The run did what it is for: many joins and leaves of every kind, and traffic.
        let host_log = &world.nodes[0].log;
        let count =
            |wanted: fn(&harness::Entry) -> bool| host_log.iter().filter(|e| wanted(e)).count();
        let joins = count(|e| matches!(e, harness::Entry::Event(PeerConnected(_))));
        let leaves = count(|e| matches!(e, harness::Entry::Event(PeerDisconnected(_))));
        let packets = count(|e| matches!(e, harness::Entry::Packet { .. }));
        eprintln!("seed {seed}: {joins} joins, {leaves} leaves, {packets} packets on the host");
        assert!(
            joins >= 10 && leaves >= 5 && packets >= 100,
            "seed {seed}: {joins} {leaves} {packets}"
        );
        let mut expected = world.nodes[0].protocol.connected_peers();
        expected.push(1);
        expected.sort();
        for index in 1..6 {
            if world.status(index) == Connected {
                let mut seen = world.nodes[index].protocol.connected_peers();
                seen.push(world.id(index));
                seen.sort();
                assert_eq!(seen, expected, "seed {seed}, node {index}");
            }
        }
    }
}
