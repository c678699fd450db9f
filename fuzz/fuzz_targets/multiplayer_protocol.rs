//! The multiplayer peer's protocol, as host, client or mesh peer, under any sequence of packets from the
//! network (well-formed or not, from peers or strangers), timer runs, sends, disconnects, session failures and
//! restarts: no panic, and Godot's rules hold throughout: a peer connects at most once before it disconnects,
//! disconnects only once connected, and sends packets only while connected.
#![no_main]

use std::collections::BTreeSet;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use messages_engine::multiplayer::wire::{self, Control};
use messages_engine::multiplayer::{
    DEFAULT_BASE_CHANNEL, PeerEvent, PeerProtocol, ProtocolConfig, TransferMode,
};
use messages_engine::steam_types::SteamId;

const LOCAL: SteamId = SteamId(76_561_197_960_265_728);

fn remote(index: u8) -> SteamId {
    SteamId(LOCAL.0 + 1 + u64::from(index % 3))
}

/// Starts the role the byte picks; a mesh adds the first two remotes as peers 2 and 3.
fn start(protocol: &mut PeerProtocol, now: Duration, role: u8) {
    match role % 3 {
        0 => {
            let _ = protocol.host(now, 4);
        }
        1 => {
            let _ = protocol.client(now, remote(0));
        }
        _ => {
            let _ = protocol.mesh(now, 1);
            let _ = protocol.add_mesh_peer(now, remote(0), 2);
            let _ = protocol.add_mesh_peer(now, remote(1), 3);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&role, mut rest)) = data.split_first() else {
        return;
    };
    let config = ProtocolConfig {
        seed: Some(7),
        ..ProtocolConfig::default()
    };
    let mut protocol = PeerProtocol::new(LOCAL, config).expect("default configuration");
    let mut now = Duration::from_secs(1);
    let mut role = role;
    start(&mut protocol, now, role);
    let mut connected: BTreeSet<i32> = BTreeSet::new();
    // The nonce of the client's last HELLO, so that an input can answer it as its host would.
    let mut hello_nonce = 0u64;
    while rest.len() >= 3 {
        let (op, a, b) = (rest[0], rest[1], rest[2]);
        rest = &rest[3..];
        now += Duration::from_millis(u64::from(a % 16) * 10);
        match op % 9 {
            // A packet: `b` bytes of what follows, from one of three users, on the control channel or a data one.
            0..=2 => {
                let len = usize::from(b % 64).min(rest.len());
                let (bytes, after) = rest.split_at(len);
                rest = after;
                let channel = DEFAULT_BASE_CHANNEL + i32::from(op % 3);
                protocol.handle_packet(now, remote(a), channel, bytes);
            }
            3 => protocol.update(now),
            4 => {
                let target = i32::from(b as i8);
                let mode = TransferMode::from_godot(i64::from(a % 3)).expect("a mode");
                let _ = protocol.send(now, target, u32::from(b % 4), mode, &[a; 20]);
            }
            5 => {
                let _ = protocol.disconnect_peer(now, i32::from(b % 4), a % 2 == 0);
            }
            6 => {
                if a % 2 == 0 {
                    protocol.handle_session_failed(now, remote(b));
                } else {
                    protocol.handle_session_broken(now, remote(b));
                }
            }
            7 => {
                protocol.close(now);
                connected.clear();
                role = b;
                start(&mut protocol, now, role);
            }
            // The answer a well-behaved remote gives, which random bytes would rarely find: a client is
            // welcomed (with another client listed), a HELLO reaches a host, a mesh peer introduces itself.
            _ => {
                let mut bytes = Vec::new();
                let from = match role % 3 {
                    0 => {
                        wire::encode_hello(&mut bytes, u64::from(b));
                        remote(a)
                    }
                    1 => {
                        let listed = [(3 + u32::from(b % 2), remote(1))];
                        wire::encode_welcome(
                            &mut bytes,
                            hello_nonce,
                            2 + u32::from(b),
                            listed.into_iter(),
                        );
                        remote(0)
                    }
                    _ => {
                        let sender = 2 + u32::from(a % 2);
                        wire::encode_mesh(&mut bytes, b % 2 == 0, u64::from(b / 2), sender, 1);
                        remote(a % 2)
                    }
                };
                protocol.handle_packet(now, from, DEFAULT_BASE_CHANNEL, &bytes);
            }
        }
        protocol.flush(&mut |_, channel, _, bytes| {
            if channel == DEFAULT_BASE_CHANNEL
                && let Ok(Control::Hello { nonce, .. }) = Control::decode(bytes)
            {
                hello_nonce = nonce;
            }
            a % 5 != 0
        });
        while let Some(event) = protocol.next_event() {
            match event {
                PeerEvent::PeerConnected(id) => {
                    assert!(connected.insert(id), "peer {id} connected twice");
                }
                PeerEvent::PeerDisconnected(id) => {
                    assert!(
                        connected.remove(&id),
                        "peer {id} left without being connected"
                    );
                }
                PeerEvent::ConnectionFailed(_) | PeerEvent::ServerDisconnected(_) => {
                    assert!(
                        connected.is_empty(),
                        "the connection ended with peers still connected"
                    );
                }
                PeerEvent::MeshPeerFailed { peer, .. } => {
                    assert!(
                        !connected.contains(&peer),
                        "connected peer {peer} failed its handshake"
                    );
                }
                PeerEvent::ConnectionSucceeded => {}
            }
        }
        while let Some(packet) = protocol.peek_packet() {
            assert!(
                connected.contains(&packet.from),
                "a packet from {}, not a connected peer",
                packet.from
            );
            protocol.pop_packet();
        }
    }
});
