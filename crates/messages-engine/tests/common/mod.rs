//! What the integration tests share.

use std::net::UdpSocket;

use messages_engine::backend::config::{LocalConfig, MAX_LOCAL_ID};

/// A loopback UDP socket on an ephemeral port outside the same-machine range (local IDs 1–64). Ephemeral
/// ports include that range, and every backend announces its presence there: a test socket that landed in it
/// would hear the backends of tests running beside it (a CI run failed so, its "nothing is sent here" socket
/// having drawn port 47,5xx).
pub fn loopback_socket() -> UdpSocket {
    let same_machine_range = LocalConfig::port_of(1)..=LocalConfig::port_of(MAX_LOCAL_ID);
    // Held until a port outside the range is found, so the next bind cannot draw the same one again.
    let mut in_range = Vec::new();
    loop {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("a loopback UDP socket");
        let port = socket
            .local_addr()
            .expect("a bound socket's address")
            .port();
        if !same_machine_range.contains(&port) {
            return socket;
        }
        in_range.push(socket);
    }
}
