//! The multiplayer peer's packets, as bytes. Decoding never panics and rejects anything malformed (the caller
//! drops it and counts it); encoding appends to a caller's buffer so the hot path allocates nothing.
//!
//! Every packet starts with a kind byte. Integers are little-endian. Peer IDs are Godot's: 1 is the host,
//! clients are 2..=2^31-1.
//!
//! On the control channel (the base Steam channel `B`):
//! ```text
//! HELLO   = 0x01, magic "GMPP", version: u16, nonce: u64      client -> host, reliable, repeated until answered
//! WELCOME = 0x02, nonce: u64, your_id: u32, count: u16,       host -> client, reliable: the peers already
//!           count x (id: u32, steam_id: u64)                   connected (empty when the host does not relay)
//! REFUSE  = 0x03, nonce: u64, reason: u8, host_version: u16   host -> client, reliable; 1 full, 2 not accepting
//!                                                              new connections, 3 wrong protocol version
//! JOINED  = 0x04, id: u32, steam_id: u64                       host -> clients, reliable: a client connected
//! LEFT    = 0x05, id: u32                                      host -> clients, reliable: a client is gone
//! BYE     = 0x06, reason: u8                                   either way, reliable: 0 closing, 1 leaving,
//!                                                              2 kicked, 3 acknowledging a BYE, 4 you are not
//!                                                              my peer, 5 timed out
//! PING    = 0x07                                               either way, unreliable keep-alive
//! MESH    = 0x08, magic "GMPP", version: u16, answer: u8,     mesh peer -> mesh peer, reliable: "I am
//!           nonce: u64, sender_id: u32, receiver_id: u32       sender_id, and you are receiver_id to me";
//!                                                              answer 0 repeated until answered, 1 answers;
//!                                                              the nonce is random per create_mesh
//! ```
//! The first 15 bytes of HELLO and the whole of REFUSE never change between versions, so that a host can
//! always refuse a client of another version and the client can always read why.
//!
//! On transfer channel `c` (Steam channel `B + 1 + c`):
//! ```text
//! DATA    = mode: u8 (Godot's TransferMode: 0 unreliable, 1 unreliable ordered, 2 reliable),
//!           peer: i32, [sequence: u32 if mode is 1], payload...
//! ```
//! `peer` is the target (Godot's: 0 all, >0 that peer, <0 all but -peer) when a client sends to the host, and
//! the original sender when the host delivers to a client (or a mesh peer to another): the host knows who
//! sent by the Steam ID, and a client needs no target since it is the target. The sequence is the original sender's, per transfer channel.

use std::fmt;

use super::TransferMode;
use crate::steam_types::SteamId;

/// Marks a HELLO as this protocol's, so stray traffic on the control channel is not taken for a join.
pub const MAGIC: [u8; 4] = *b"GMPP";
/// Bumped whenever a packet's layout or meaning changes; hosts refuse clients of another version.
pub const PROTOCOL_VERSION: u16 = 1;

/// Packet kinds on the control channel.
pub mod kind {
    pub const HELLO: u8 = 0x01;
    pub const WELCOME: u8 = 0x02;
    pub const REFUSE: u8 = 0x03;
    pub const JOINED: u8 = 0x04;
    pub const LEFT: u8 = 0x05;
    pub const BYE: u8 = 0x06;
    pub const PING: u8 = 0x07;
    pub const MESH: u8 = 0x08;
}

/// Length of the part of HELLO every version shares: kind, magic, version, nonce.
pub const HELLO_LEN: usize = 1 + 4 + 2 + 8;
const WELCOME_HEADER_LEN: usize = 1 + 8 + 4 + 2;
const WELCOME_ENTRY_LEN: usize = 4 + 8;
const REFUSE_LEN: usize = 1 + 8 + 1 + 2;
const JOINED_LEN: usize = 1 + 4 + 8;
const LEFT_LEN: usize = 1 + 4;
const BYE_LEN: usize = 1 + 1;
const PING_LEN: usize = 1;
/// Length of the part of MESH every version shares: kind, magic, version.
const MESH_COMMON_LEN: usize = 1 + 4 + 2;
const MESH_LEN: usize = MESH_COMMON_LEN + 1 + 8 + 4 + 4;

/// Bytes before a DATA payload without a sequence number.
pub const DATA_HEADER_LEN: usize = 1 + 4;
/// Bytes before a DATA payload with a sequence number (unreliable ordered): the largest header.
pub const DATA_HEADER_MAX: usize = DATA_HEADER_LEN + 4;

/// Most peers a WELCOME can list (its count is a u16).
pub const MAX_WELCOME_PEERS: usize = u16::MAX as usize;

/// Whether `id` may be a client's peer ID: Godot's `generate_unique_id` range, 2..=2^31-1.
pub fn is_client_id(id: u32) -> bool {
    id >= 2 && id <= i32::MAX as u32
}

/// Whether `id` may be a mesh peer's ID: any positive Godot peer ID, 1..=2^31-1 (as `ENetMultiplayerPeer`'s
/// `create_mesh` takes).
pub fn is_mesh_id(id: u32) -> bool {
    id >= 1 && id <= i32::MAX as u32
}

/// Why the host refused a HELLO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefuseReason {
    /// The host has `max_clients` clients already.
    Full,
    /// The host was told to refuse new connections (`set_refuse_new_connections(true)`).
    NotAccepting,
    /// The client speaks another protocol version than the host.
    VersionMismatch { host_version: u16 },
    /// A reason code this version does not know (from a newer host).
    Other(u8),
}

impl RefuseReason {
    fn code(self) -> u8 {
        match self {
            RefuseReason::Full => 1,
            RefuseReason::NotAccepting => 2,
            RefuseReason::VersionMismatch { .. } => 3,
            RefuseReason::Other(code) => code,
        }
    }
}

/// Why a BYE was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByeReason {
    /// The sender closed its peer (`close()`).
    Closing,
    /// A client leaves its host (`disconnect_peer(1)`).
    Leaving,
    /// The host removed the client (`disconnect_peer(id)`).
    Kicked,
    /// The answer to a BYE, so the side that sent it knows it arrived.
    Ack,
    /// The host does not know the sender as a peer (it restarted, or dropped the client earlier).
    NotAPeer,
    /// The sender heard nothing from the receiver for its peer timeout and dropped it.
    TimedOut,
}

impl ByeReason {
    fn code(self) -> u8 {
        match self {
            ByeReason::Closing => 0,
            ByeReason::Leaving => 1,
            ByeReason::Kicked => 2,
            ByeReason::Ack => 3,
            ByeReason::NotAPeer => 4,
            ByeReason::TimedOut => 5,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => ByeReason::Closing,
            1 => ByeReason::Leaving,
            2 => ByeReason::Kicked,
            3 => ByeReason::Ack,
            4 => ByeReason::NotAPeer,
            5 => ByeReason::TimedOut,
            _ => return None,
        })
    }
}

/// The peers a WELCOME lists, borrowed from the packet; every entry was checked by [`Control::decode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerList<'a> {
    bytes: &'a [u8],
}

impl<'a> PeerList<'a> {
    /// How many peers are listed.
    pub fn len(&self) -> usize {
        self.bytes.len() / WELCOME_ENTRY_LEN
    }

    /// Whether no peer is listed (the first client, or a host that does not relay).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Each listed peer: its ID and Steam ID.
    pub fn iter(&self) -> impl Iterator<Item = (u32, SteamId)> + 'a {
        self.bytes
            .chunks_exact(WELCOME_ENTRY_LEN)
            .map(|entry| (read_u32(&entry[0..4]), SteamId(read_u64(&entry[4..12]))))
    }
}

/// A decoded control packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control<'a> {
    /// `version` may differ from [`PROTOCOL_VERSION`]: the host answers such a HELLO with a REFUSE.
    Hello {
        version: u16,
        /// Random per connection attempt; the answer echoes it.
        nonce: u64,
    },
    /// The client is connected as peer `id`; `peers` were there before it.
    Welcome {
        nonce: u64,
        id: u32,
        peers: PeerList<'a>,
    },
    /// The client may not join.
    Refuse { nonce: u64, reason: RefuseReason },
    /// Client `id`, Steam user `steam_id`, connected to the host.
    Joined { id: u32, steam_id: SteamId },
    /// Client `id` is gone.
    Left { id: u32 },
    /// The sender is done with the receiver.
    Bye { reason: ByeReason },
    /// Nothing but "still here".
    Ping,
    /// A mesh peer introduces itself: it is `sender` and expects the receiver to be `receiver`. `answer` is
    /// false while it waits to hear the same from the receiver, true when it replies to one. `nonce` is new
    /// each time the sender starts a mesh. Of another `version` than [`PROTOCOL_VERSION`] only the version
    /// is read (the rest is then 0).
    Mesh {
        version: u16,
        answer: bool,
        nonce: u64,
        sender: u32,
        receiver: u32,
    },
}

/// Why bytes from the network were not a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireError {
    /// No bytes at all.
    Empty,
    /// A first byte that is no packet kind (or, on a data channel, no transfer mode).
    UnknownKind(u8),
    /// Fewer bytes than the packet kind needs.
    Truncated { kind: u8, len: usize },
    /// More bytes than the packet kind has.
    TrailingBytes { kind: u8, len: usize },
    /// A HELLO without [`MAGIC`].
    BadMagic,
    /// A peer ID outside 2..=2^31-1 where a client's ID belongs.
    InvalidPeerId(u32),
    /// Steam ID 0 where a peer's Steam ID belongs.
    InvalidSteamId,
    /// A DATA packet whose first byte is not a transfer mode.
    InvalidMode(u8),
    /// A BYE or REFUSE reason code that does not exist.
    InvalidReason { kind: u8, code: u8 },
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "empty packet"),
            Self::UnknownKind(kind) => write!(f, "unknown packet kind {kind}"),
            Self::Truncated { kind, len } => {
                write!(f, "packet kind {kind} truncated at {len} bytes")
            }
            Self::TrailingBytes { kind, len } => {
                write!(f, "packet kind {kind} has trailing bytes ({len} in all)")
            }
            Self::BadMagic => write!(f, "HELLO without the protocol's magic"),
            Self::InvalidPeerId(id) => write!(f, "peer ID {id} out of range"),
            Self::InvalidSteamId => write!(f, "Steam ID 0"),
            Self::InvalidMode(mode) => write!(f, "unknown transfer mode {mode}"),
            Self::InvalidReason { kind, code } => {
                write!(f, "unknown reason {code} in packet kind {kind}")
            }
        }
    }
}

impl std::error::Error for WireError {}

impl Control<'_> {
    /// Parses one packet from the control channel.
    pub fn decode(bytes: &[u8]) -> Result<Control<'_>, WireError> {
        let (&kind, body) = bytes.split_first().ok_or(WireError::Empty)?;
        let len = bytes.len();
        let exact = |expected: usize| -> Result<(), WireError> {
            match len {
                len if len < expected => Err(WireError::Truncated { kind, len }),
                len if len > expected => Err(WireError::TrailingBytes { kind, len }),
                _ => Ok(()),
            }
        };
        match kind {
            kind::HELLO => {
                if len < HELLO_LEN {
                    return Err(WireError::Truncated { kind, len });
                }
                if body[0..4] != MAGIC {
                    return Err(WireError::BadMagic);
                }
                let version = read_u16(&body[4..6]);
                // A later version may append fields; this one's HELLO is exactly its length.
                if version == PROTOCOL_VERSION && len > HELLO_LEN {
                    return Err(WireError::TrailingBytes { kind, len });
                }
                Ok(Control::Hello {
                    version,
                    nonce: read_u64(&body[6..14]),
                })
            }
            kind::WELCOME => {
                if len < WELCOME_HEADER_LEN {
                    return Err(WireError::Truncated { kind, len });
                }
                let id = read_u32(&body[8..12]);
                if !is_client_id(id) {
                    return Err(WireError::InvalidPeerId(id));
                }
                let count = usize::from(read_u16(&body[12..14]));
                exact(WELCOME_HEADER_LEN + count * WELCOME_ENTRY_LEN)?;
                let peers = PeerList {
                    bytes: &bytes[WELCOME_HEADER_LEN..],
                };
                for (peer, steam_id) in peers.iter() {
                    if !is_client_id(peer) {
                        return Err(WireError::InvalidPeerId(peer));
                    }
                    if !steam_id.is_valid() {
                        return Err(WireError::InvalidSteamId);
                    }
                }
                Ok(Control::Welcome {
                    nonce: read_u64(&body[0..8]),
                    id,
                    peers,
                })
            }
            kind::REFUSE => {
                exact(REFUSE_LEN)?;
                let host_version = read_u16(&body[9..11]);
                let reason = match body[8] {
                    1 => RefuseReason::Full,
                    2 => RefuseReason::NotAccepting,
                    3 => RefuseReason::VersionMismatch { host_version },
                    0 => return Err(WireError::InvalidReason { kind, code: 0 }),
                    other => RefuseReason::Other(other),
                };
                Ok(Control::Refuse {
                    nonce: read_u64(&body[0..8]),
                    reason,
                })
            }
            kind::JOINED => {
                exact(JOINED_LEN)?;
                let id = read_u32(&body[0..4]);
                if !is_client_id(id) {
                    return Err(WireError::InvalidPeerId(id));
                }
                let steam_id = SteamId(read_u64(&body[4..12]));
                if !steam_id.is_valid() {
                    return Err(WireError::InvalidSteamId);
                }
                Ok(Control::Joined { id, steam_id })
            }
            kind::LEFT => {
                exact(LEFT_LEN)?;
                let id = read_u32(&body[0..4]);
                if !is_client_id(id) {
                    return Err(WireError::InvalidPeerId(id));
                }
                Ok(Control::Left { id })
            }
            kind::BYE => {
                exact(BYE_LEN)?;
                let reason = ByeReason::from_code(body[0]).ok_or(WireError::InvalidReason {
                    kind,
                    code: body[0],
                })?;
                Ok(Control::Bye { reason })
            }
            kind::PING => exact(PING_LEN).map(|()| Control::Ping),
            kind::MESH => {
                if len < MESH_COMMON_LEN {
                    return Err(WireError::Truncated { kind, len });
                }
                if body[0..4] != MAGIC {
                    return Err(WireError::BadMagic);
                }
                let version = read_u16(&body[4..6]);
                if version != PROTOCOL_VERSION {
                    return Ok(Control::Mesh {
                        version,
                        answer: false,
                        nonce: 0,
                        sender: 0,
                        receiver: 0,
                    });
                }
                exact(MESH_LEN)?;
                let answer = match body[6] {
                    0 => false,
                    1 => true,
                    code => return Err(WireError::InvalidReason { kind, code }),
                };
                let nonce = read_u64(&body[7..15]);
                let sender = read_u32(&body[15..19]);
                let receiver = read_u32(&body[19..23]);
                for id in [sender, receiver] {
                    if !is_mesh_id(id) {
                        return Err(WireError::InvalidPeerId(id));
                    }
                }
                Ok(Control::Mesh {
                    version,
                    answer,
                    nonce,
                    sender,
                    receiver,
                })
            }
            other => Err(WireError::UnknownKind(other)),
        }
    }
}

/// Appends a HELLO.
pub fn encode_hello(out: &mut Vec<u8>, nonce: u64) {
    out.push(kind::HELLO);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&PROTOCOL_VERSION.to_le_bytes());
    out.extend_from_slice(&nonce.to_le_bytes());
}

/// Appends a WELCOME listing `peers` (at most [`MAX_WELCOME_PEERS`]; the host never has more clients).
pub fn encode_welcome(
    out: &mut Vec<u8>,
    nonce: u64,
    id: u32,
    peers: impl ExactSizeIterator<Item = (u32, SteamId)>,
) {
    let count = peers.len().min(MAX_WELCOME_PEERS);
    out.push(kind::WELCOME);
    out.extend_from_slice(&nonce.to_le_bytes());
    out.extend_from_slice(&id.to_le_bytes());
    out.extend_from_slice(&(count as u16).to_le_bytes());
    for (peer, steam_id) in peers.take(count) {
        out.extend_from_slice(&peer.to_le_bytes());
        out.extend_from_slice(&steam_id.0.to_le_bytes());
    }
}

/// Appends a REFUSE.
pub fn encode_refuse(out: &mut Vec<u8>, nonce: u64, reason: RefuseReason) {
    out.push(kind::REFUSE);
    out.extend_from_slice(&nonce.to_le_bytes());
    out.push(reason.code());
    out.extend_from_slice(&PROTOCOL_VERSION.to_le_bytes());
}

/// Appends a JOINED.
pub fn encode_joined(out: &mut Vec<u8>, id: u32, steam_id: SteamId) {
    out.push(kind::JOINED);
    out.extend_from_slice(&id.to_le_bytes());
    out.extend_from_slice(&steam_id.0.to_le_bytes());
}

/// Appends a LEFT.
pub fn encode_left(out: &mut Vec<u8>, id: u32) {
    out.push(kind::LEFT);
    out.extend_from_slice(&id.to_le_bytes());
}

/// Appends a BYE.
pub fn encode_bye(out: &mut Vec<u8>, reason: ByeReason) {
    out.push(kind::BYE);
    out.push(reason.code());
}

/// Appends a PING.
pub fn encode_ping(out: &mut Vec<u8>) {
    out.push(kind::PING);
}

/// Appends a MESH: this peer is `sender` and takes the receiver for `receiver`.
pub fn encode_mesh(out: &mut Vec<u8>, answer: bool, nonce: u64, sender: u32, receiver: u32) {
    out.push(kind::MESH);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&PROTOCOL_VERSION.to_le_bytes());
    out.push(u8::from(answer));
    out.extend_from_slice(&nonce.to_le_bytes());
    out.extend_from_slice(&sender.to_le_bytes());
    out.extend_from_slice(&receiver.to_le_bytes());
}

/// A DATA packet's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataHeader {
    pub mode: TransferMode,
    /// The target when a client sends to the host; the original sender when the host delivers.
    pub peer: i32,
    /// The sender's sequence number on this transfer channel: `Some` exactly for unreliable ordered.
    pub sequence: Option<u32>,
}

/// Appends a DATA header; the payload follows it.
pub fn encode_data_header(out: &mut Vec<u8>, header: DataHeader) {
    out.push(header.mode as u8);
    out.extend_from_slice(&header.peer.to_le_bytes());
    if header.mode == TransferMode::UnreliableOrdered {
        out.extend_from_slice(&header.sequence.unwrap_or(0).to_le_bytes());
    }
}

/// Parses a DATA packet into its header and payload.
pub fn decode_data(bytes: &[u8]) -> Result<(DataHeader, &[u8]), WireError> {
    let (&mode_byte, _) = bytes.split_first().ok_or(WireError::Empty)?;
    let mode =
        TransferMode::from_godot(i64::from(mode_byte)).ok_or(WireError::InvalidMode(mode_byte))?;
    let header_len = if mode == TransferMode::UnreliableOrdered {
        DATA_HEADER_MAX
    } else {
        DATA_HEADER_LEN
    };
    if bytes.len() < header_len {
        return Err(WireError::Truncated {
            kind: mode_byte,
            len: bytes.len(),
        });
    }
    let peer = read_u32(&bytes[1..5]) as i32;
    let sequence = (mode == TransferMode::UnreliableOrdered).then(|| read_u32(&bytes[5..9]));
    Ok((
        DataHeader {
            mode,
            peer,
            sequence,
        },
        &bytes[header_len..],
    ))
}

fn read_u16(bytes: &[u8]) -> u16 {
    let mut buffer = [0; 2];
    buffer.copy_from_slice(&bytes[..2]);
    u16::from_le_bytes(buffer)
}

fn read_u32(bytes: &[u8]) -> u32 {
    let mut buffer = [0; 4];
    buffer.copy_from_slice(&bytes[..4]);
    u32::from_le_bytes(buffer)
}

fn read_u64(bytes: &[u8]) -> u64 {
    let mut buffer = [0; 8];
    buffer.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEAM: SteamId = SteamId(76_561_197_960_265_730);

    fn encoded(write: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut bytes = Vec::new();
        write(&mut bytes);
        bytes
    }

    fn every_control_packet() -> Vec<Vec<u8>> {
        vec![
            encoded(|out| encode_hello(out, 0x0123_4567_89ab_cdef)),
            encoded(|out| {
                encode_welcome(
                    out,
                    9,
                    77,
                    [(5, STEAM), (i32::MAX as u32, SteamId(u64::MAX))].into_iter(),
                )
            }),
            encoded(|out| encode_welcome(out, 9, 2, std::iter::empty())),
            encoded(|out| encode_refuse(out, 3, RefuseReason::Full)),
            encoded(|out| encode_refuse(out, 3, RefuseReason::NotAccepting)),
            encoded(|out| encode_refuse(out, 3, RefuseReason::VersionMismatch { host_version: 1 })),
            encoded(|out| encode_joined(out, 42, STEAM)),
            encoded(|out| encode_left(out, 42)),
            encoded(|out| encode_bye(out, ByeReason::Kicked)),
            encoded(encode_ping),
            encoded(|out| encode_mesh(out, false, 77, 1, i32::MAX as u32)),
            encoded(|out| encode_mesh(out, true, 77, 7, 3)),
        ]
    }

    #[test]
    fn every_control_packet_round_trips() {
        assert_eq!(
            Control::decode(&encoded(|out| encode_hello(out, 7))),
            Ok(Control::Hello {
                version: PROTOCOL_VERSION,
                nonce: 7
            })
        );
        let welcome =
            encoded(|out| encode_welcome(out, 9, 77, [(5, STEAM), (6, SteamId(1))].into_iter()));
        match Control::decode(&welcome) {
            Ok(Control::Welcome {
                nonce: 9,
                id: 77,
                peers,
            }) => {
                assert_eq!(
                    peers.iter().collect::<Vec<_>>(),
                    vec![(5, STEAM), (6, SteamId(1))]
                );
            }
            other => panic!("{other:?}"),
        }
        for reason in [
            RefuseReason::Full,
            RefuseReason::NotAccepting,
            RefuseReason::VersionMismatch {
                host_version: PROTOCOL_VERSION,
            },
            RefuseReason::Other(200),
        ] {
            assert_eq!(
                Control::decode(&encoded(|out| encode_refuse(out, 3, reason))),
                Ok(Control::Refuse { nonce: 3, reason })
            );
        }
        assert_eq!(
            Control::decode(&encoded(|out| encode_joined(out, 42, STEAM))),
            Ok(Control::Joined {
                id: 42,
                steam_id: STEAM
            })
        );
        assert_eq!(
            Control::decode(&encoded(|out| encode_left(out, 42))),
            Ok(Control::Left { id: 42 })
        );
        for reason in [
            ByeReason::Closing,
            ByeReason::Leaving,
            ByeReason::Kicked,
            ByeReason::Ack,
            ByeReason::NotAPeer,
            ByeReason::TimedOut,
        ] {
            assert_eq!(
                Control::decode(&encoded(|out| encode_bye(out, reason))),
                Ok(Control::Bye { reason })
            );
        }
        assert_eq!(Control::decode(&[kind::PING]), Ok(Control::Ping));
    }

    #[test]
    fn every_truncation_and_extension_of_every_control_packet_is_rejected() {
        for bytes in every_control_packet() {
            for len in 0..bytes.len() {
                assert!(
                    Control::decode(&bytes[..len]).is_err(),
                    "{len} bytes of {bytes:?}"
                );
            }
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(Control::decode(&longer).is_err(), "{longer:?}");
        }
    }

    #[test]
    fn hello_of_another_version_is_read_with_trailing_fields() {
        let mut hello = encoded(|out| encode_hello(out, 5));
        hello[5..7].copy_from_slice(&2u16.to_le_bytes());
        hello.extend_from_slice(b"future fields");
        assert_eq!(
            Control::decode(&hello),
            Ok(Control::Hello {
                version: 2,
                nonce: 5
            })
        );
    }

    #[test]
    fn mesh_introductions_round_trip() {
        for (answer, sender, receiver) in [(false, 1, 2), (true, i32::MAX as u32, 1)] {
            assert_eq!(
                Control::decode(&encoded(|out| encode_mesh(
                    out, answer, 77, sender, receiver
                ))),
                Ok(Control::Mesh {
                    version: PROTOCOL_VERSION,
                    answer,
                    nonce: 77,
                    sender,
                    receiver
                })
            );
        }
    }

    #[test]
    fn mesh_introductions_with_ids_outside_the_peer_range_or_a_bad_answer_flag_are_rejected() {
        for id in [0, i32::MAX as u32 + 1, u32::MAX] {
            assert_eq!(
                Control::decode(&encoded(|out| encode_mesh(out, false, 77, id, 2))),
                Err(WireError::InvalidPeerId(id))
            );
            assert_eq!(
                Control::decode(&encoded(|out| encode_mesh(out, false, 77, 2, id))),
                Err(WireError::InvalidPeerId(id))
            );
        }
        let mut flag = encoded(|out| encode_mesh(out, false, 77, 2, 3));
        flag[7] = 2;
        assert!(matches!(
            Control::decode(&flag),
            Err(WireError::InvalidReason { .. })
        ));
        let mut magic = encoded(|out| encode_mesh(out, false, 77, 2, 3));
        magic[2] = b'X';
        assert_eq!(Control::decode(&magic), Err(WireError::BadMagic));
    }

    #[test]
    fn a_mesh_introduction_of_another_version_is_read_for_its_version_only() {
        let mut mesh = encoded(|out| encode_mesh(out, false, 77, 2, 3));
        mesh[5..7].copy_from_slice(&9u16.to_le_bytes());
        mesh.truncate(7);
        assert_eq!(
            Control::decode(&mesh),
            Ok(Control::Mesh {
                version: 9,
                answer: false,
                nonce: 0,
                sender: 0,
                receiver: 0
            })
        );
    }

    #[test]
    fn hello_without_magic_is_rejected() {
        let mut hello = encoded(|out| encode_hello(out, 5));
        hello[1] = b'X';
        assert_eq!(Control::decode(&hello), Err(WireError::BadMagic));
    }

    #[test]
    fn ids_outside_the_client_range_are_rejected() {
        for id in [0, 1, i32::MAX as u32 + 1, u32::MAX] {
            assert_eq!(
                Control::decode(&encoded(|out| encode_joined(out, id, STEAM))),
                Err(WireError::InvalidPeerId(id))
            );
            assert_eq!(
                Control::decode(&encoded(|out| encode_left(out, id))),
                Err(WireError::InvalidPeerId(id))
            );
            assert_eq!(
                Control::decode(&encoded(|out| encode_welcome(
                    out,
                    1,
                    id,
                    std::iter::empty()
                ))),
                Err(WireError::InvalidPeerId(id))
            );
            assert_eq!(
                Control::decode(&encoded(|out| encode_welcome(
                    out,
                    1,
                    5,
                    [(id, STEAM)].into_iter()
                ))),
                Err(WireError::InvalidPeerId(id))
            );
        }
        assert_eq!(
            Control::decode(&encoded(|out| encode_joined(out, 5, SteamId(0)))),
            Err(WireError::InvalidSteamId)
        );
    }

    #[test]
    fn unknown_bye_reasons_are_rejected() {
        assert!(matches!(
            Control::decode(&[kind::BYE, 6]),
            Err(WireError::InvalidReason { .. })
        ));
        assert!(matches!(
            Control::decode(&[kind::REFUSE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]),
            Err(WireError::InvalidReason { .. })
        ));
    }

    #[test]
    fn data_round_trips_in_every_mode() {
        for (mode, sequence) in [
            (TransferMode::Unreliable, None),
            (TransferMode::UnreliableOrdered, Some(u32::MAX)),
            (TransferMode::Reliable, None),
        ] {
            let header = DataHeader {
                mode,
                peer: -7,
                sequence,
            };
            let mut bytes = encoded(|out| encode_data_header(out, header));
            bytes.extend_from_slice(b"payload");
            assert_eq!(decode_data(&bytes), Ok((header, &b"payload"[..])));
            // An empty payload is a packet too.
            let empty = encoded(|out| encode_data_header(out, header));
            assert_eq!(decode_data(&empty), Ok((header, &b""[..])));
            for len in 0..empty.len() {
                assert!(decode_data(&empty[..len]).is_err());
            }
        }
        assert_eq!(
            decode_data(&[3, 0, 0, 0, 0]),
            Err(WireError::InvalidMode(3))
        );
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = fastrand::Rng::with_seed(11);
        for _ in 0..50_000 {
            let len = rng.usize(0..48);
            let mut bytes: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
            if let Some(first) = bytes.first_mut() {
                // Mostly known kinds, so the parsers get past the first byte.
                *first = rng.u8(0..9);
            }
            let _ = Control::decode(&bytes);
            let _ = decode_data(&bytes);
        }
    }
}
