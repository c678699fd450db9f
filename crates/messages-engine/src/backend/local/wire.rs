//! The local backend's frames: what one ENet packet carries. Parsing never panics; anything malformed is
//! reported as an error and dropped by the caller.
//!
//! ```text
//! HELLO  = 1, version: u8, from: u64, to: u64, instance: u64
//!                                                   first packet on a connection, from its initiator;
//!                                                   instance is random per process run
//! DATA   = 2, channel: u32, flags: u32, number: u64, payload...
//! ACCEPT = 3, instance: u64                         the receiver accepted the sender's session
//! CLOSE  = 4                                        the sender closed its session with the receiver
//! READ   = 5, bytes: u64                            the receiver's application has read this many bytes
//!                                                   of the sender's reliable payloads (the send window)
//! BATCH  = 6, then one or more of:                  several messages in one packet (see `batches`)
//!          channel: u32, flags: u32, number: u64, length: u32, payload (length bytes)
//! ```
//! Integers are little-endian.

use std::fmt;
use std::ops::Range;

use crate::steam_types::SteamId;

/// Bumped whenever a frame's layout or meaning changes (2: READ counts [`super::session::message_cost`],
/// HELLO carries the instance; 3: every datagram carries ENet's checksum, see
/// [`super::ENET_CHECKSUM`]; 4: BATCH); peers with another version are refused.
pub const PROTOCOL_VERSION: u8 = 4;

const HELLO: u8 = 1;
const DATA: u8 = 2;
const ACCEPT: u8 = 3;
const CLOSE: u8 = 4;
const READ: u8 = 5;
const BATCH: u8 = 6;

const HELLO_LEN: usize = 1 + 1 + 8 + 8 + 8;
/// Bytes before a DATA frame's payload.
pub const DATA_HEADER_LEN: usize = 1 + 4 + 4 + 8;
/// Bytes before each message's payload in a BATCH frame.
pub const BATCH_ENTRY_HEADER_LEN: usize = 4 + 4 + 8 + 4;

/// A decoded frame. `Data` borrows its payload from the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    Hello {
        version: u8,
        from: SteamId,
        to: SteamId,
        /// Random for each run of the sending process: a session is bound to it, so a restarted peer, or
        /// another process claiming the same Steam ID, is told apart from the one the session is with.
        instance: u64,
    },
    Data {
        channel: i32,
        flags: i32,
        number: i64,
        payload: &'a [u8],
    },
    /// Carries the acceptor's instance, so the initiator's session is bound to it too.
    Accept {
        instance: u64,
    },
    Close,
    Read {
        bytes: u64,
    },
    /// Messages that would each have been a `Data` frame; checked whole when decoded.
    Batch(Batch<'a>),
}

/// A decoded BATCH frame: the whole packet, every entry of which is known to be well formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batch<'a> {
    packet: &'a [u8],
}

/// One message of a BATCH frame. Its payload is `packet[payload]`, a range of the packet the batch was
/// decoded from, so a received message can keep the packet and borrow from it, uncopied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchEntry {
    pub channel: i32,
    pub flags: i32,
    pub number: i64,
    pub payload: Range<usize>,
}

impl<'a> Batch<'a> {
    /// The packet's entries in the order they were sent.
    pub fn entries(&self) -> impl Iterator<Item = BatchEntry> + 'a {
        let packet = self.packet;
        let mut at = 1;
        std::iter::from_fn(move || {
            // Decoding checked every entry: none can fail here.
            let (entry, next) = batch_entry(packet, at).ok()??;
            at = next;
            Some(entry)
        })
    }

    /// The packet's bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.packet
    }
}

/// The entry at `at` of a BATCH packet and where the next one starts; `None` at the end of the packet.
fn batch_entry(packet: &[u8], at: usize) -> Result<Option<(BatchEntry, usize)>, WireError> {
    if at == packet.len() {
        return Ok(None);
    }
    let truncated = WireError::Truncated {
        kind: BATCH,
        len: packet.len(),
    };
    let header = packet
        .get(at..at + BATCH_ENTRY_HEADER_LEN)
        .ok_or(truncated.clone())?;
    let channel = read_u32(&header[0..4]);
    let channel =
        i32::try_from(channel).map_err(|_| WireError::NegativeChannel(i64::from(channel)))?;
    let length = read_u32(&header[16..20]) as usize;
    let start = at + BATCH_ENTRY_HEADER_LEN;
    let end = start.checked_add(length).ok_or(truncated.clone())?;
    if end > packet.len() {
        return Err(truncated);
    }
    let entry = BatchEntry {
        channel,
        flags: read_u32(&header[4..8]) as i32,
        number: read_u64(&header[8..16]) as i64,
        payload: start..end,
    };
    Ok(Some((entry, end)))
}

/// Starts a BATCH frame in `buffer` (which must be empty).
pub fn start_batch(buffer: &mut Vec<u8>) {
    debug_assert!(buffer.is_empty());
    buffer.push(BATCH);
}

/// Appends one message to a BATCH frame begun with [`start_batch`]. `payload` must be shorter than 4 GiB
/// (messages are at most `MAX_STEAM_PACKET_SIZE`).
pub fn append_to_batch(
    buffer: &mut Vec<u8>,
    channel: i32,
    flags: i32,
    number: i64,
    payload: &[u8],
) {
    buffer.extend_from_slice(&(channel as u32).to_le_bytes());
    buffer.extend_from_slice(&(flags as u32).to_le_bytes());
    buffer.extend_from_slice(&(number as u64).to_le_bytes());
    buffer.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    buffer.extend_from_slice(payload);
}

/// Why bytes from the network were not a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireError {
    Empty,
    UnknownKind(u8),
    Truncated { kind: u8, len: usize },
    TrailingBytes { kind: u8, len: usize },
    NegativeChannel(i64),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "empty frame"),
            Self::UnknownKind(kind) => write!(f, "unknown frame kind {kind}"),
            Self::Truncated { kind, len } => {
                write!(f, "frame kind {kind} truncated at {len} bytes")
            }
            Self::TrailingBytes { kind, len } => {
                write!(f, "frame kind {kind} has trailing bytes ({len} in all)")
            }
            Self::NegativeChannel(channel) => write!(f, "channel {channel} out of range"),
        }
    }
}

impl std::error::Error for WireError {}

impl Frame<'_> {
    /// Parses one packet.
    pub fn decode(bytes: &[u8]) -> Result<Frame<'_>, WireError> {
        let (&kind, body) = bytes.split_first().ok_or(WireError::Empty)?;
        let exact = |expected: usize| -> Result<(), WireError> {
            match bytes.len() {
                len if len < expected => Err(WireError::Truncated { kind, len }),
                len if len > expected => Err(WireError::TrailingBytes { kind, len }),
                _ => Ok(()),
            }
        };
        match kind {
            HELLO => {
                exact(HELLO_LEN)?;
                Ok(Frame::Hello {
                    version: body[0],
                    from: SteamId(read_u64(&body[1..9])),
                    to: SteamId(read_u64(&body[9..17])),
                    instance: read_u64(&body[17..25]),
                })
            }
            DATA => {
                if bytes.len() < DATA_HEADER_LEN {
                    return Err(WireError::Truncated {
                        kind,
                        len: bytes.len(),
                    });
                }
                let channel = read_u32(&body[0..4]);
                let channel = i32::try_from(channel)
                    .map_err(|_| WireError::NegativeChannel(i64::from(channel)))?;
                Ok(Frame::Data {
                    channel,
                    flags: read_u32(&body[4..8]) as i32,
                    number: read_u64(&body[8..16]) as i64,
                    payload: &body[16..],
                })
            }
            ACCEPT => exact(9).map(|()| Frame::Accept {
                instance: read_u64(&body[0..8]),
            }),
            READ => exact(9).map(|()| Frame::Read {
                bytes: read_u64(&body[0..8]),
            }),
            CLOSE => exact(1).map(|()| Frame::Close),
            BATCH => {
                // At least one entry; each whole; nothing after the last.
                let mut at = 1;
                let mut entries = 0;
                while let Some((_, next)) = batch_entry(bytes, at)? {
                    at = next;
                    entries += 1;
                }
                if entries == 0 {
                    return Err(WireError::Truncated { kind, len: 1 });
                }
                Ok(Frame::Batch(Batch { packet: bytes }))
            }
            other => Err(WireError::UnknownKind(other)),
        }
    }

    /// Serialises the frame into a new buffer.
    pub fn encode(&self) -> Vec<u8> {
        match *self {
            Frame::Hello {
                version,
                from,
                to,
                instance,
            } => {
                let mut bytes = Vec::with_capacity(HELLO_LEN);
                bytes.push(HELLO);
                bytes.push(version);
                bytes.extend_from_slice(&from.0.to_le_bytes());
                bytes.extend_from_slice(&to.0.to_le_bytes());
                bytes.extend_from_slice(&instance.to_le_bytes());
                bytes
            }
            Frame::Data {
                channel,
                flags,
                number,
                payload,
            } => {
                let mut bytes = Vec::with_capacity(DATA_HEADER_LEN + payload.len());
                bytes.push(DATA);
                bytes.extend_from_slice(&(channel as u32).to_le_bytes());
                bytes.extend_from_slice(&(flags as u32).to_le_bytes());
                bytes.extend_from_slice(&(number as u64).to_le_bytes());
                bytes.extend_from_slice(payload);
                bytes
            }
            Frame::Accept { instance } => {
                let mut frame = vec![ACCEPT];
                frame.extend_from_slice(&instance.to_le_bytes());
                frame
            }
            Frame::Close => vec![CLOSE],
            Frame::Read { bytes } => {
                let mut frame = vec![READ];
                frame.extend_from_slice(&bytes.to_le_bytes());
                frame
            }
            Frame::Batch(batch) => batch.packet.to_vec(),
        }
    }
}

/// Marks a presence announcement: a bare UDP datagram beside ENet's traffic on the same socket, saying
/// "Steam ID X of app Y listens here, in its process run Z, takes lobby links on port L, and its player is
/// called N". Its magic and a length that must match the name's keep it apart from ENet's own datagrams.
const PRESENCE_MAGIC: [u8; 8] = *b"GSMPRES5";
/// An announcement's length before the name's bytes (the last of these is the name's length).
pub const PRESENCE_FIXED_LEN: usize = 31;
/// Longest persona name in UTF-8 bytes: Steam's `k_cchPersonaNameMax` (128) less its terminating NUL.
pub const PERSONA_NAME_MAX_BYTES: usize = 127;

/// What a presence announcement says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    pub steam_id: SteamId,
    /// The announcing game's Steam app ID: as on Steam, games only see players of their own app.
    pub app_id: u32,
    /// The announcing process run (as in [`Frame::Hello`]): a peer that restarted announces a new one, which
    /// ends its old sessions at once, as Steam's "no connection" reply to the old session's traffic does.
    pub instance: u64,
    /// The port of the instance's lobby links on the announcing address (0: it offers no lobbies).
    pub lobby_port: u16,
    /// The player's persona name (`getFriendPersonaName`), at most [`PERSONA_NAME_MAX_BYTES`].
    pub persona_name: String,
}

/// A presence announcement's bytes; a name longer than [`PERSONA_NAME_MAX_BYTES`] is cut at a character
/// boundary (the configuration refuses such names, so only a caller bypassing it can get here).
pub fn encode_presence(presence: &Presence) -> Vec<u8> {
    let name = truncate_name(&presence.persona_name);
    let mut bytes = Vec::with_capacity(PRESENCE_FIXED_LEN + name.len());
    bytes.extend_from_slice(&PRESENCE_MAGIC);
    bytes.extend_from_slice(&presence.steam_id.0.to_le_bytes());
    bytes.extend_from_slice(&presence.app_id.to_le_bytes());
    bytes.extend_from_slice(&presence.instance.to_le_bytes());
    bytes.extend_from_slice(&presence.lobby_port.to_le_bytes());
    // At most 127, so it fits the byte.
    bytes.push(name.len() as u8);
    bytes.extend_from_slice(name.as_bytes());
    bytes
}

fn truncate_name(name: &str) -> &str {
    let mut end = name.len().min(PERSONA_NAME_MAX_BYTES);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// What a presence datagram announces, or `None` if the datagram is something else.
pub fn decode_presence(bytes: &[u8]) -> Option<Presence> {
    if bytes.len() < PRESENCE_FIXED_LEN || bytes[..8] != PRESENCE_MAGIC {
        return None;
    }
    let name_len = usize::from(bytes[PRESENCE_FIXED_LEN - 1]);
    if name_len == 0
        || name_len > PERSONA_NAME_MAX_BYTES
        || bytes.len() != PRESENCE_FIXED_LEN + name_len
    {
        return None;
    }
    // What the configuration would refuse is not a name either.
    let persona_name = std::str::from_utf8(&bytes[PRESENCE_FIXED_LEN..])
        .ok()
        .filter(|name| !name.chars().any(char::is_control))?;
    let steam_id = SteamId(read_u64(&bytes[8..16]));
    steam_id.is_valid().then(|| Presence {
        steam_id,
        app_id: read_u32(&bytes[16..20]),
        instance: read_u64(&bytes[20..28]),
        lobby_port: u16::from_le_bytes([bytes[28], bytes[29]]),
        persona_name: persona_name.to_owned(),
    })
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

    fn round_trip(frame: Frame<'_>) {
        let bytes = frame.encode();
        assert_eq!(Frame::decode(&bytes), Ok(frame));
    }

    #[test]
    fn every_frame_kind_round_trips() {
        round_trip(Frame::Hello {
            version: PROTOCOL_VERSION,
            from: SteamId(76_561_197_960_265_729),
            to: SteamId(u64::MAX),
            instance: 0x0123_4567_89ab_cdef,
        });
        round_trip(Frame::Data {
            channel: i32::MAX,
            flags: 8,
            number: 42,
            payload: b"hello",
        });
        round_trip(Frame::Data {
            channel: 0,
            flags: 0,
            number: 0,
            payload: &[],
        });
        round_trip(Frame::Accept { instance: 7 });
        round_trip(Frame::Close);
        round_trip(Frame::Read { bytes: u64::MAX });
    }

    #[test]
    fn empty_packet_is_rejected() {
        assert_eq!(Frame::decode(&[]), Err(WireError::Empty));
    }

    #[test]
    fn unknown_kind_is_rejected() {
        assert_eq!(Frame::decode(&[99, 1, 2]), Err(WireError::UnknownKind(99)));
    }

    #[test]
    fn every_truncation_of_every_frame_is_rejected_without_panic() {
        let frames = [
            Frame::Hello {
                version: 1,
                from: SteamId(1),
                to: SteamId(2),
                instance: 3,
            }
            .encode(),
            Frame::Data {
                channel: 3,
                flags: 8,
                number: 7,
                payload: b"",
            }
            .encode(),
        ];
        for bytes in frames {
            for len in 1..bytes.len() {
                assert!(
                    Frame::decode(&bytes[..len]).is_err(),
                    "{len} bytes of {bytes:?}"
                );
            }
        }
    }

    #[test]
    fn trailing_bytes_after_fixed_frames_are_rejected() {
        assert!(Frame::decode(&[ACCEPT, 0]).is_err());
        assert!(Frame::decode(&[ACCEPT, 0, 0, 0, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(Frame::decode(&[CLOSE, 0]).is_err());
        let mut hello = Frame::Hello {
            version: 1,
            from: SteamId(1),
            to: SteamId(2),
            instance: 3,
        }
        .encode();
        hello.push(0);
        assert!(Frame::decode(&hello).is_err());
    }

    #[test]
    fn channel_above_i32_is_rejected() {
        let mut bytes = Frame::Data {
            channel: 0,
            flags: 0,
            number: 0,
            payload: b"x",
        }
        .encode();
        bytes[1..5].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            Frame::decode(&bytes),
            Err(WireError::NegativeChannel(i64::from(u32::MAX)))
        );
    }

    fn batch_of(messages: &[(i32, i32, i64, &[u8])]) -> Vec<u8> {
        let mut bytes = Vec::new();
        start_batch(&mut bytes);
        for &(channel, flags, number, payload) in messages {
            append_to_batch(&mut bytes, channel, flags, number, payload);
        }
        bytes
    }

    #[test]
    fn a_batch_yields_its_messages_in_order_with_their_payloads() {
        let messages: [(i32, i32, i64, &[u8]); 3] = [
            (0, 8, 5, b"first"),
            (i32::MAX, 0, 6, b""),
            (7, 8, 7, b"third"),
        ];
        let bytes = batch_of(&messages);
        let Ok(Frame::Batch(batch)) = Frame::decode(&bytes) else {
            panic!("not a batch: {:?}", Frame::decode(&bytes));
        };
        let entries: Vec<BatchEntry> = batch.entries().collect();
        assert_eq!(entries.len(), 3);
        for (entry, (channel, flags, number, payload)) in entries.iter().zip(messages) {
            assert_eq!(
                (entry.channel, entry.flags, entry.number),
                (channel, flags, number)
            );
            assert_eq!(&bytes[entry.payload.clone()], payload);
        }
        assert_eq!(Frame::Batch(batch).encode(), bytes);
    }

    #[test]
    fn a_batch_without_messages_is_rejected() {
        assert!(Frame::decode(&[BATCH]).is_err());
    }

    #[test]
    fn a_batch_cut_anywhere_but_between_messages_is_rejected() {
        let bytes = batch_of(&[(1, 8, 1, b"abc"), (2, 8, 2, b"defg")]);
        let first_alone = batch_of(&[(1, 8, 1, b"abc")]);
        for len in 1..bytes.len() {
            if len == first_alone.len() {
                // ENet delivers packets whole: a cut here would have to be made on purpose.
                assert_eq!(bytes[..len], first_alone);
                assert!(Frame::decode(&bytes[..len]).is_ok());
            } else {
                assert!(Frame::decode(&bytes[..len]).is_err(), "{len} bytes");
            }
        }
        assert!(Frame::decode(&bytes).is_ok());
    }

    #[test]
    fn a_batch_message_claiming_more_bytes_than_follow_is_rejected() {
        let mut bytes = batch_of(&[(1, 8, 1, b"abc")]);
        let length_at = 1 + BATCH_ENTRY_HEADER_LEN - 4;
        for claimed in [4, u32::MAX] {
            bytes[length_at..length_at + 4].copy_from_slice(&claimed.to_le_bytes());
            assert!(Frame::decode(&bytes).is_err(), "claimed {claimed}");
        }
    }

    #[test]
    fn a_batch_with_a_channel_above_i32_anywhere_is_rejected() {
        let mut bytes = batch_of(&[(1, 8, 1, b"abc"), (2, 8, 2, b"d")]);
        let second = 1 + BATCH_ENTRY_HEADER_LEN + 3;
        bytes[second..second + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            Frame::decode(&bytes),
            Err(WireError::NegativeChannel(i64::from(u32::MAX)))
        );
    }

    fn presence(steam_id: SteamId, app_id: u32, persona_name: &str) -> Presence {
        Presence {
            steam_id,
            app_id,
            instance: 0x0123_4567_89ab_cdef,
            lobby_port: 47_999,
            persona_name: persona_name.to_owned(),
        }
    }

    #[test]
    fn presence_round_trips_and_rejects_other_datagrams() {
        let id = SteamId(76_561_197_960_265_729);
        for name in ["Ada", "Zoë 🦀", "Smith, Ada"] {
            let announced = presence(id, 480, name);
            assert_eq!(
                decode_presence(&encode_presence(&announced)),
                Some(announced)
            );
        }
        assert_eq!(
            decode_presence(&encode_presence(&presence(SteamId(0), 480, "x"))),
            None
        );
        assert_eq!(decode_presence(b"GSMPRES5short"), None);
        assert_eq!(decode_presence(&[0; PRESENCE_FIXED_LEN]), None);
        // Earlier formats (no app ID; no instance; no name) are not mistaken for this one.
        let mut first_format = b"GSMPRES1".to_vec();
        first_format.extend_from_slice(&id.0.to_le_bytes());
        assert_eq!(decode_presence(&first_format), None);
        let mut third_format = b"GSMPRES3".to_vec();
        third_format.extend_from_slice(&id.0.to_le_bytes());
        third_format.extend_from_slice(&480u32.to_le_bytes());
        third_format.extend_from_slice(&[0; 8]);
        assert_eq!(decode_presence(&third_format), None);
        let fourth_format = [b"GSMPRES4".as_slice(), &[0; 21], b"\x03Ada"].concat();
        assert_eq!(decode_presence(&fourth_format), None);
    }

    #[test]
    fn a_presence_whose_name_length_or_text_is_wrong_is_not_one() {
        let bytes = encode_presence(&presence(SteamId(76_561_197_960_265_729), 480, "Ada"));
        assert_eq!(
            decode_presence(&bytes[..bytes.len() - 1]),
            None,
            "cut short"
        );
        let mut longer = bytes.clone();
        longer.push(b'!');
        assert_eq!(decode_presence(&longer), None, "trailing bytes");
        let mut invalid = bytes.clone();
        let last = invalid.len() - 1;
        invalid[last] = 0xff;
        assert_eq!(decode_presence(&invalid), None, "not UTF-8");
        for name in ["", "a\u{7}b"] {
            let bytes = encode_presence(&presence(SteamId(76_561_197_960_265_729), 480, name));
            assert_eq!(decode_presence(&bytes), None, "{name:?}");
        }
    }

    #[test]
    fn a_long_persona_name_is_cut_at_a_character_boundary() {
        let long = "é".repeat(100);
        let bytes = encode_presence(&presence(SteamId(76_561_197_960_265_729), 480, &long));
        let decoded = decode_presence(&bytes).unwrap();
        assert_eq!(decoded.persona_name, "é".repeat(63));
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..20_000 {
            let len = rng.usize(0..64);
            let bytes: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
            let _ = Frame::decode(&bytes);
        }
    }
}
