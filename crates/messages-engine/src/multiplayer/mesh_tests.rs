//! Mesh mode, one rule per test, on the in-memory network of [`super::harness`].

use std::time::Duration;

use super::harness::{self, Conditions, World, control, steam_id};
use super::wire::{self, Control};
use super::*;

use PeerEvent::{MeshPeerFailed, PeerConnected, PeerDisconnected};
use TransferMode::{Reliable, Unreliable, UnreliableOrdered};

fn secs(seconds: u64) -> Duration {
    Duration::from_secs(seconds)
}

fn millis(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

fn rough() -> Conditions {
    Conditions {
        loss: 0.2,
        delay: millis(30),
        jitter: millis(60),
    }
}

/// Peer IDs of node `index`'s packets, in order.
fn senders(world: &mut World, index: usize) -> Vec<i32> {
    world.packets(index).iter().map(|p| p.from).collect()
}

#[test]
fn mesh_peers_that_add_each_other_connect_once_and_map_ids_both_ways() {
    let mut world = World::new(3, 1, Conditions::default());
    world.mesh_all();
    for index in 0..3 {
        assert_eq!(world.status(index), ConnectionStatus::Connected);
        assert_eq!(world.id(index), index as i32 + 1);
        assert!(
            !world.nodes[index].protocol.is_server(),
            "no host in a mesh"
        );
    }
    world.run(millis(200));
    for index in 0..3 {
        let mut expected: Vec<PeerEvent> = (1..=3)
            .filter(|&id| id != index as i32 + 1)
            .map(PeerConnected)
            .collect();
        let mut seen = world.events(index);
        seen.sort_by_key(|event| format!("{event:?}"));
        expected.sort_by_key(|event| format!("{event:?}"));
        assert_eq!(seen, expected, "node {index}");
        let protocol = &world.nodes[index].protocol;
        for other in 0..3 {
            let id = other as i32 + 1;
            assert_eq!(protocol.steam_id_for_peer(id), Some(steam_id(other)));
            assert_eq!(protocol.peer_for_steam_id(steam_id(other)), Some(id));
        }
    }
    world.run(secs(30));
    for index in 0..3 {
        assert_eq!(world.events(index), vec![], "idle links stay up");
    }
    world.check_invariants();
}

#[test]
fn nothing_is_sent_to_a_mesh_peer_before_it_answers() {
    let mut world = World::new(2, 2, Conditions::default());
    world.mesh(0, 1).unwrap();
    world.mesh(1, 2).unwrap();
    world.add_mesh_peer(0, 1, 2).unwrap();
    assert_eq!(world.nodes[0].protocol.connected_peers(), Vec::<i32>::new());
    assert_eq!(
        world.send(0, 2, 0, Reliable, b"early"),
        Err(SendError::UnknownTarget(2))
    );
    // A broadcast while nobody is connected goes nowhere, without an error (as with ENet).
    assert_eq!(world.send(0, 0, 0, Reliable, b"to all"), Ok(()));
    world.run(secs(1));
    assert_eq!(world.events(0), vec![]);
    assert_eq!(world.packets(1), vec![]);
}

#[test]
fn a_mesh_peer_only_one_side_added_fails_once_after_the_timeout_having_repeated_its_introduction() {
    let mut world = World::new(2, 3, Conditions::default());
    world.record = true;
    world.mesh(0, 1).unwrap();
    world.mesh(1, 2).unwrap();
    world.add_mesh_peer(0, 1, 2).unwrap();
    world.run(secs(10) - millis(20));
    assert_eq!(world.events(0), vec![]);
    world.run(millis(40));
    assert_eq!(
        world.events(0),
        vec![MeshPeerFailed {
            peer: 2,
            steam_id: steam_id(1),
            reason: MeshFailure::Timeout
        }]
    );
    assert_eq!(
        world.events(1),
        vec![],
        "the side that added nobody hears of nothing"
    );
    let introductions = world.count_sent(0, 1, wire::kind::MESH);
    assert!(
        (15..=21).contains(&introductions),
        "repeated every 500 ms: {introductions}"
    );
    // Forgotten: it can be added again.
    assert_eq!(world.add_mesh_peer(0, 1, 2), Ok(()));
    world.check_invariants();
}

#[test]
fn a_mesh_peer_added_late_by_the_other_side_connects_then() {
    let mut world = World::new(2, 4, Conditions::default());
    world.mesh(0, 1).unwrap();
    world.mesh(1, 2).unwrap();
    world.add_mesh_peer(0, 1, 2).unwrap();
    world.run(secs(4));
    assert_eq!(world.events(0), vec![]);
    world.add_mesh_peer(1, 0, 1).unwrap();
    world.run(millis(100));
    assert_eq!(world.events(0), vec![PeerConnected(2)]);
    assert_eq!(world.events(1), vec![PeerConnected(1)]);
    world.check_invariants();
}

#[test]
fn mesh_peers_that_disagree_on_their_ids_both_fail_with_the_mismatch() {
    let mut world = World::new(2, 5, Conditions::default());
    world.mesh(0, 1).unwrap();
    world.mesh(1, 2).unwrap();
    // Node 0 takes node 1 for 3; node 1 is 2.
    world.add_mesh_peer(0, 1, 3).unwrap();
    world.add_mesh_peer(1, 0, 1).unwrap();
    world.run(millis(200));
    assert_eq!(
        world.events(0),
        vec![MeshPeerFailed {
            peer: 3,
            steam_id: steam_id(1),
            reason: MeshFailure::IdMismatch {
                they_are: 2,
                you_are: 1
            }
        }]
    );
    assert_eq!(
        world.events(1),
        vec![MeshPeerFailed {
            peer: 1,
            steam_id: steam_id(0),
            reason: MeshFailure::IdMismatch {
                they_are: 1,
                you_are: 3
            }
        }]
    );
    world.run(secs(15));
    assert_eq!((world.events(0), world.events(1)), (vec![], vec![]));
    world.check_invariants();
}

#[test]
fn mesh_packets_go_straight_to_the_addressed_peers_naming_their_sender() {
    let mut world = World::new(3, 6, Conditions::default());
    world.mesh_all();
    world.run(millis(200));
    for index in 0..3 {
        world.events(index);
    }
    world.record = true;
    world.send(1, 0, 0, Reliable, b"all").unwrap();
    world.send(1, 3, 1, Unreliable, b"three").unwrap();
    world.send(1, -1, 2, UnreliableOrdered, b"not one").unwrap();
    world.run(millis(100));
    let zero = world.packets(0);
    let two = world.packets(2);
    assert_eq!(
        zero.iter()
            .map(|p| (p.from, p.channel, p.mode, p.payload.as_slice()))
            .collect::<Vec<_>>(),
        vec![(2, 0, Reliable, &b"all"[..])]
    );
    let mut at_three: Vec<_> = two
        .iter()
        .map(|p| (p.from, p.channel, p.mode, p.payload.clone()))
        .collect();
    at_three.sort_by_key(|p| p.1);
    assert_eq!(
        at_three,
        vec![
            (2, 0, Reliable, b"all".to_vec()),
            (2, 1, Unreliable, b"three".to_vec()),
            (2, 2, UnreliableOrdered, b"not one".to_vec()),
        ]
    );
    // Straight from the sender: nothing went through node 0 to node 2.
    let (zero_id, two_id) = (steam_id(0), steam_id(2));
    assert!(
        world
            .wire
            .iter()
            .all(|m| !(m.from == zero_id && m.to == two_id))
    );
    assert_eq!(
        world.send(1, 2, 0, Reliable, b"self"),
        Err(SendError::UnknownTarget(2)),
        "a peer does not send to itself"
    );
    assert_eq!(
        world.send(1, 9, 0, Reliable, b"nobody"),
        Err(SendError::UnknownTarget(9))
    );
    world.check_invariants();
}

#[test]
fn reliable_mesh_packets_arrive_once_and_in_order_over_a_lossy_link() {
    for seed in 0..5 {
        let mut world = World::new(3, 100 + seed, rough());
        world.mesh_all();
        assert!(
            world.run_until(secs(8), |world| (0..3).all(|index| world.nodes[index]
                .protocol
                .connected_peers()
                .len()
                == 2)),
            "seed {seed}: the mesh did not form"
        );
        for round in 0..200u32 {
            for index in 0..3 {
                world
                    .send(index, 0, 3, Reliable, &round.to_le_bytes())
                    .unwrap();
            }
            world.step();
        }
        world.run(secs(5));
        for index in 0..3 {
            let packets = world.packets(index);
            for other in (1..=3).filter(|&id| id != index as i32 + 1) {
                let rounds: Vec<u32> = packets
                    .iter()
                    .filter(|p| p.from == other)
                    .map(|p| u32::from_le_bytes(p.payload[..4].try_into().unwrap()))
                    .collect();
                assert_eq!(
                    rounds,
                    (0..200).collect::<Vec<_>>(),
                    "seed {seed}: node {index} from {other}"
                );
            }
        }
        world.check_invariants();
    }
}

#[test]
fn a_mesh_peer_that_closes_is_disconnected_on_the_others_at_once() {
    let mut world = World::new(3, 7, Conditions::default());
    world.mesh_all();
    world.run(millis(200));
    for index in 0..3 {
        world.events(index);
    }
    world.send(2, 0, 0, Reliable, b"last words").unwrap();
    world.close(2);
    world.run(millis(100));
    for index in 0..2 {
        assert_eq!(
            senders(&mut world, index),
            vec![3],
            "delivered before the departure"
        );
        assert_eq!(world.events(index), vec![PeerDisconnected(3)]);
    }
    assert_eq!(world.events(2), vec![], "nothing fires after close");
    assert_eq!(world.status(2), ConnectionStatus::Disconnected);
    world.check_invariants();
}

#[test]
fn a_mesh_peer_that_vanishes_times_out_on_the_others() {
    let mut world = World::new(3, 8, Conditions::default());
    world.mesh_all();
    world.run(millis(200));
    for index in 0..3 {
        world.events(index);
    }
    world.cut(0, 2);
    world.cut(1, 2);
    world.run(secs(9));
    assert_eq!(world.events(0), vec![], "not before the timeout");
    world.run(secs(2));
    assert_eq!(world.events(0), vec![PeerDisconnected(3)]);
    assert_eq!(world.events(1), vec![PeerDisconnected(3)]);
    assert_eq!(
        world.events(2),
        vec![PeerDisconnected(1), PeerDisconnected(2)]
    );
    world.check_invariants();
}

#[test]
fn disconnecting_a_mesh_peer_fires_once_on_both_sides_and_it_can_be_added_again() {
    let mut world = World::new(2, 9, Conditions::default());
    world.mesh_all();
    world.run(millis(200));
    world.events(0);
    world.events(1);
    world.disconnect(0, 2, false).unwrap();
    assert_eq!(
        world.send(0, 2, 0, Reliable, b"gone"),
        Err(SendError::UnknownTarget(2))
    );
    world.run(millis(100));
    assert_eq!(world.events(0), vec![PeerDisconnected(2)]);
    assert_eq!(world.events(1), vec![PeerDisconnected(1)]);
    assert_eq!(
        world.disconnect(0, 2, false),
        Err(DisconnectError::UnknownPeer(2))
    );
    world.add_mesh_peer(0, 1, 2).unwrap();
    world.add_mesh_peer(1, 0, 1).unwrap();
    world.run(millis(100));
    assert_eq!(world.events(0), vec![PeerConnected(2)]);
    assert_eq!(world.events(1), vec![PeerConnected(1)]);
    // Forced: gone at once on this side, without an event; the other side is told.
    world.disconnect(1, 1, true).unwrap();
    assert_eq!(world.events(1), vec![]);
    world.run(millis(100));
    assert_eq!(world.events(0), vec![PeerDisconnected(2)]);
    world.check_invariants();
}

#[test]
fn a_mesh_peer_whose_game_restarted_is_disconnected_then_connected_again() {
    let mut world = World::new(2, 10, Conditions::default());
    world.mesh_all();
    world.run(millis(200));
    world.events(0);
    world.events(1);
    world.send(1, 1, 0, UnreliableOrdered, b"old").unwrap();
    world.run(millis(100));
    world.packets(0);
    world.restart(1);
    world.mesh(1, 2).unwrap();
    world.add_mesh_peer(1, 0, 1).unwrap();
    // Within a second of connecting, a new start is not taken (no churn); its repeated introduction is.
    world.run(millis(500));
    assert_eq!(world.events(0), vec![]);
    world.run(secs(2));
    assert_eq!(world.events(0), vec![PeerDisconnected(2), PeerConnected(2)]);
    assert_eq!(world.events(1), vec![PeerConnected(1)]);
    // Its unreliable-ordered numbering starts over, and is taken: it is a new peer.
    world.send(1, 1, 0, UnreliableOrdered, b"new").unwrap();
    world.run(millis(100));
    assert_eq!(
        world
            .packets(0)
            .iter()
            .map(|p| p.payload.clone())
            .collect::<Vec<_>>(),
        vec![b"new".to_vec()]
    );
    world.check_invariants();
}

#[test]
fn mesh_setup_errors_leave_the_protocol_as_it_was() {
    let mut world = World::new(2, 11, Conditions::default());
    let other = steam_id(1);
    let now = world.now;
    let protocol = &mut world.nodes[0].protocol;
    assert_eq!(
        protocol.add_mesh_peer(now, other, 2),
        Err(MeshError::NotMesh)
    );
    for bad in [0, -1, i64::from(i32::MAX) + 1] {
        assert_eq!(
            protocol.mesh(now, bad),
            Err(SetupError::InvalidUniqueId(bad))
        );
    }
    assert_eq!(protocol.connection_status(), ConnectionStatus::Disconnected);
    protocol.mesh(now, 5).unwrap();
    assert_eq!(protocol.unique_id(), 5);
    assert_eq!(protocol.mesh(now, 6), Err(SetupError::AlreadyActive));
    assert_eq!(protocol.host(now, 4), Err(SetupError::AlreadyActive));
    for bad in [0, -3, 5] {
        assert_eq!(
            protocol.add_mesh_peer(now, other, bad),
            Err(MeshError::InvalidPeerId(bad))
        );
    }
    for bad in [SteamId(0), steam_id(0)] {
        assert_eq!(
            protocol.add_mesh_peer(now, bad, 2),
            Err(MeshError::InvalidSteamId(bad))
        );
    }
    protocol.add_mesh_peer(now, other, 2).unwrap();
    assert_eq!(
        protocol.add_mesh_peer(now, steam_id(9), 2),
        Err(MeshError::PeerIdInUse(2))
    );
    assert_eq!(
        protocol.add_mesh_peer(now, other, 3),
        Err(MeshError::SteamIdInUse(other))
    );
    assert_eq!(
        protocol.disconnect_peer(now, 2, false),
        Err(DisconnectError::UnknownPeer(2)),
        "Godot never heard of a peer still being greeted"
    );
    protocol.close(now);
    assert_eq!(protocol.connection_status(), ConnectionStatus::Disconnected);
    protocol.mesh(now, 1).unwrap();
    assert_eq!(protocol.unique_id(), 1);
    assert!(!protocol.is_server());
}

#[test]
fn a_mesh_accepts_sessions_only_from_the_users_it_added() {
    let mut world = World::new(3, 12, Conditions::default());
    world.mesh(0, 1).unwrap();
    assert!(!world.nodes[0].protocol.should_accept_session(steam_id(1)));
    world.add_mesh_peer(0, 1, 2).unwrap();
    let protocol = &world.nodes[0].protocol;
    assert!(protocol.should_accept_session(steam_id(1)));
    assert!(!protocol.should_accept_session(steam_id(2)));
}

#[test]
fn strangers_and_garbage_never_make_a_mesh_event() {
    let mut world = World::new(2, 13, Conditions::default());
    world.mesh_all();
    world.run(millis(200));
    world.events(0);
    let stranger = SteamId(SteamId::INDIVIDUAL_PUBLIC_BASE + 555);
    let base = DEFAULT_BASE_CHANNEL;
    let mut rng = fastrand::Rng::with_seed(13);
    for _ in 0..2000 {
        let len = rng.usize(0..40);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
        if let Some(first) = bytes.first_mut() {
            *first = rng.u8(0..10);
        }
        let channel = base + rng.i32(0..4);
        world.inject(0, stranger, channel, &bytes);
        world.inject(0, steam_id(1), base, &bytes);
    }
    // A stranger's well-formed introduction is not taken either.
    let mut mesh = Vec::new();
    wire::encode_mesh(&mut mesh, false, 1, 9, 1);
    world.inject(0, stranger, base, &mesh);
    world.run(millis(100));
    let events = world.events(0);
    assert!(
        events
            .iter()
            .all(|event| matches!(event, PeerDisconnected(2))),
        "only the real peer may go (garbage may hold a BYE): {events:?}"
    );
    assert_eq!(world.nodes[0].protocol.peer_for_steam_id(stranger), None);
    assert!(matches!(
        control(&mesh),
        Some(Control::Mesh { sender: 9, .. })
    ));
    world.check_invariants();
}

#[test]
fn mesh_chaos_keeps_every_event_exactly_once_and_views_converge() {
    for seed in 0..20 {
        let count = 5;
        let mut world = World::new(count, 300 + seed, rough());
        let mut rng = fastrand::Rng::with_seed(seed);
        world.mesh_all();
        for _ in 0..4000 {
            let index = rng.usize(0..count);
            match rng.u16(0..1000) {
                0..=2 => {
                    world.close(index);
                    world.mesh(index, index as i64 + 1).unwrap();
                }
                // Its game crashed and started again: no goodbye.
                3 => {
                    world.restart(index);
                    world.mesh(index, index as i64 + 1).unwrap();
                }
                4..=30 => {
                    let other = rng.usize(0..count);
                    let _ = world.add_mesh_peer(index, other, other as i32 + 1);
                }
                31..=33 => {
                    let peers = world.nodes[index].protocol.connected_peers();
                    if !peers.is_empty() {
                        let victim = peers[rng.usize(0..peers.len())];
                        world.disconnect(index, victim, rng.bool()).unwrap();
                    }
                }
                34..=300 => {
                    let peers = world.nodes[index].protocol.connected_peers();
                    let target = match rng.u8(0..3) {
                        0 => 0,
                        _ if peers.is_empty() => 0,
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
        // Everyone adds everyone it lacks, every second, as a game would on `peer_disconnected` and a
        // failure, until the mesh is whole (a departure still on its way when a peer was re-added makes it
        // lack one again).
        let whole = |world: &World| {
            (0..count).all(|index| world.nodes[index].protocol.connected_peers().len() == count - 1)
        };
        let mut rounds = 0;
        while !whole(&world) && rounds < 30 {
            for index in 0..count {
                for other in (0..count).filter(|&other| other != index) {
                    let _ = world.add_mesh_peer(index, other, other as i32 + 1);
                }
            }
            world.run(secs(1));
            rounds += 1;
        }
        world.check_invariants();
        // The run did what it is for: many joins and leaves, and traffic.
        let logs = world.nodes.iter().flat_map(|node| node.log.iter());
        let (mut joins, mut leaves, mut packets) = (0, 0, 0);
        for entry in logs {
            match entry {
                harness::Entry::Event(PeerConnected(_)) => joins += 1,
                harness::Entry::Event(PeerDisconnected(_)) => leaves += 1,
                harness::Entry::Packet { .. } => packets += 1,
                _ => {}
            }
        }
        eprintln!("seed {seed}: {joins} joins, {leaves} leaves, {packets} packets");
        assert!(
            joins >= 40 && leaves >= 10 && packets >= 200,
            "seed {seed}: {joins} {leaves} {packets}"
        );
        for index in 0..count {
            let expected: Vec<i32> = (1..=count as i32)
                .filter(|&id| id != index as i32 + 1)
                .collect();
            assert_eq!(
                world.nodes[index].protocol.connected_peers(),
                expected,
                "seed {seed}, node {index}"
            );
        }
    }
}

/// Two mesh peers (1 and 2) connected, their events taken.
fn connected_pair(seed: u64) -> World {
    let mut world = World::new(2, seed, Conditions::default());
    world.mesh_all();
    world.run(millis(200));
    assert_eq!(world.events(0), vec![PeerConnected(2)]);
    assert_eq!(world.events(1), vec![PeerConnected(1)]);
    world
}

#[test]
fn a_peer_that_restarts_while_this_one_is_frozen_is_reported_gone_before_it_is_back() {
    let mut world = connected_pair(20);
    world.run(secs(2));
    world.send(1, 1, 0, Reliable, b"last words").unwrap();
    world.nodes[0].up = false;
    world.restart(1);
    world.mesh(1, 2).unwrap();
    world.add_mesh_peer(1, 0, 1).unwrap();
    world.run(millis(700));
    world.nodes[0].up = true;
    world.run(secs(5));
    assert_eq!(world.events(0), vec![PeerDisconnected(2), PeerConnected(2)]);
    assert_eq!(world.nodes[0].protocol.connected_peers(), vec![2]);
    world.check_invariants();
}

#[test]
fn a_peer_that_restarts_under_another_id_fails_the_handshake_on_both_sides_instead_of_keeping_the_old_link()
 {
    let mut world = connected_pair(21);
    world.run(secs(2));
    world.restart(1);
    world.mesh(1, 5).unwrap();
    world.add_mesh_peer(1, 0, 1).unwrap();
    // Node 0 keeps sending on what it thinks is its link with 2.
    for _ in 0..300 {
        let _ = world.send(0, 0, 0, Reliable, b"s");
        world.step();
    }
    let failure = |they_are, you_are| MeshFailure::IdMismatch { they_are, you_are };
    assert_eq!(
        world.events(0),
        vec![
            PeerDisconnected(2),
            MeshPeerFailed {
                peer: 2,
                steam_id: steam_id(1),
                reason: failure(5, 1)
            }
        ]
    );
    assert_eq!(
        world.events(1),
        vec![MeshPeerFailed {
            peer: 1,
            steam_id: steam_id(0),
            reason: failure(1, 2)
        }]
    );
    assert_eq!(
        world.packets(1),
        vec![],
        "nothing from a peer that never connected"
    );
    assert_eq!(
        world.add_mesh_peer(0, 1, 5),
        Ok(()),
        "node 0 may add it under its new ID"
    );
    world.check_invariants();
}

#[test]
fn a_peer_that_dropped_this_one_and_adds_it_again_is_reconnected_on_both_sides() {
    let mut world = connected_pair(22);
    world.run(secs(2));
    let now = world.now;
    // Only node 1 hears its session failed; it drops node 0 without a word, then its game adds it again.
    world.nodes[1]
        .protocol
        .handle_session_failed(now, steam_id(0));
    assert_eq!(world.events(1), vec![PeerDisconnected(1)]);
    world.add_mesh_peer(1, 0, 1).unwrap();
    world.run(secs(2));
    assert_eq!(
        world.events(0),
        vec![PeerDisconnected(2), PeerConnected(2)],
        "node 0 learns its peer started over, so its game sends its state again"
    );
    assert_eq!(world.events(1), vec![PeerConnected(1)]);
    world.check_invariants();
}

#[test]
fn introductions_with_ever_new_nonces_cannot_churn_a_connection() {
    let mut world = connected_pair(23);
    world.run(secs(2));
    let base = DEFAULT_BASE_CHANNEL;
    for nonce in 0..500u64 {
        let mut mesh = Vec::new();
        wire::encode_mesh(&mut mesh, nonce % 2 == 0, 1_000 + nonce, 2, 1);
        world.inject(0, steam_id(1), base, &mesh);
    }
    world.run(secs(1));
    let events = world.events(0);
    assert!(
        events.len() <= 2,
        "one restart at most, not one per packet: {events:?}"
    );
    world.check_invariants();
}

#[test]
fn a_flood_of_repeated_introductions_gets_one_answer_per_interval() {
    let mut world = World::new(2, 24, Conditions::default());
    world.record = true;
    world.mesh_all();
    world.run(secs(2));
    // Node 1's own introduction to node 0, as a peer repeating it would send it.
    let introduction = world
        .wire
        .iter()
        .find(|m| {
            m.from == steam_id(1)
                && matches!(control(&m.bytes), Some(Control::Mesh { answer: false, .. }))
        })
        .expect("node 1 introduced itself")
        .bytes
        .clone();
    world.events(0);
    world.wire.clear();
    for _ in 0..10_000 {
        world.inject(0, steam_id(1), DEFAULT_BASE_CHANNEL, &introduction);
    }
    world.run(secs(1));
    let answers = world.count_sent(0, 1, wire::kind::MESH);
    assert!(answers <= 3, "{answers} answers to 10,000 repeats");
    assert_eq!(world.events(0), vec![]);
    world.check_invariants();
}

#[test]
fn data_that_overtakes_the_answer_is_held_and_delivered_after_peer_connected() {
    let mut world = World::new(2, 25, Conditions::default());
    world.mesh(0, 1).unwrap();
    world.add_mesh_peer(0, 1, 2).unwrap();
    let base = DEFAULT_BASE_CHANNEL;
    let data = |payload: &[u8]| {
        let mut bytes = Vec::new();
        wire::encode_data_header(
            &mut bytes,
            wire::DataHeader {
                mode: Reliable,
                peer: 2,
                sequence: None,
            },
        );
        bytes.extend_from_slice(payload);
        bytes
    };
    world.inject(0, steam_id(1), base + 1, &data(b"first"));
    world.inject(0, steam_id(1), base + 1, &data(b"second"));
    assert_eq!(world.events(0), vec![]);
    assert_eq!(
        world.packets(0),
        vec![],
        "held while its answer is not read"
    );
    let mut answer = Vec::new();
    wire::encode_mesh(&mut answer, true, 42, 2, 1);
    world.inject(0, steam_id(1), base, &answer);
    assert_eq!(world.events(0), vec![PeerConnected(2)]);
    assert_eq!(
        world
            .packets(0)
            .iter()
            .map(|p| (p.from, p.payload.clone()))
            .collect::<Vec<_>>(),
        vec![(2, b"first".to_vec()), (2, b"second".to_vec())]
    );
    assert_eq!(world.nodes[0].protocol.stats().held, 2);
    world.check_invariants();
}
