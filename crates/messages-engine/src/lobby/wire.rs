//! The lobby protocol's messages and their bytes (postcard). Every message travels reliably and in order on
//! the link between two instances; which user sent it is the link's business, never a field a peer fills in.
//!
//! [`decode`] checks each field against the lobby limits, so the protocol only ever sees messages it could
//! have produced itself.

use serde::{Deserialize, Serialize};

use super::limits::{self, Limit};

/// One key and value of lobby or member data.
pub type Entry = (String, String);

/// A lobby's member as the owner sends it: ID and member data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRecord {
    pub user: u64,
    pub data: Vec<Entry>,
}

/// Everything a member holds of a lobby, sent whole when it joins or when a new owner takes over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub lobby: u64,
    pub owner: u64,
    pub lobby_type: u8,
    pub joinable: bool,
    pub max_members: u32,
    pub data: Vec<Entry>,
    /// In the order they joined: the first after the owner takes over when the owner goes.
    pub members: Vec<MemberRecord>,
    pub game_server: Option<GameServer>,
}

/// A lobby's game server (`setLobbyGameServer`): its IP as text, port and Steam ID (any may be unset).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameServer {
    pub ip: String,
    pub port: u16,
    pub steam_id: u64,
}

/// What a lobby search shows of a lobby.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub lobby: u64,
    pub owner: u64,
    pub members: u32,
    pub max_members: u32,
    pub data: Vec<Entry>,
}

/// A lobby protocol message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LobbyMessage {
    /// To an owner: let me in.
    Join { lobby: u64 },
    /// To an owner: I am in.
    Welcome(Snapshot),
    /// To a would-be member: no (an `EChatRoomEnterResponse`).
    Refuse { lobby: u64, response: i32 },
    /// To the owner: I leave.
    Leave { lobby: u64 },
    /// To the new owner after a handover: I am still a member.
    Rejoin { lobby: u64 },
    /// To the owner: set my member data.
    SetMemberData {
        lobby: u64,
        key: String,
        value: String,
    },
    /// To the owner: a chat message for everyone.
    Chat { lobby: u64, body: Vec<u8> },
    /// To members: someone entered (with their member data).
    Entered { lobby: u64, member: MemberRecord },
    /// To members: someone is gone (`EChatMemberStateChange`: left or disconnected).
    Gone { lobby: u64, member: u64, state: i32 },
    /// To members: lobby data changed (`None`: deleted).
    Data {
        lobby: u64,
        key: String,
        value: Option<String>,
    },
    /// To members: a member's data changed.
    MemberData {
        lobby: u64,
        member: u64,
        key: String,
        value: String,
    },
    /// To members: the lobby's type, joinability or size changed.
    Settings {
        lobby: u64,
        lobby_type: u8,
        joinable: bool,
        max_members: u32,
    },
    /// To members: a chat message, sender included.
    ChatFrom {
        lobby: u64,
        from: u64,
        body: Vec<u8>,
    },
    /// To members: the owner leaves and hands the lobby to `owner`.
    Owner { lobby: u64, owner: u64 },
    /// To members: the owner gives the lobby to `owner` and stays a member.
    Transfer { lobby: u64, owner: u64 },
    /// To members: the owner named the lobby's game server.
    GameServer { lobby: u64, server: GameServer },
    /// To anyone: the lobby's data, if you own it (`requestLobbyData`).
    DataRequest { lobby: u64 },
    /// The answer: the lobby as a search shows it, or `None` if the sender does not own it.
    DataAnswer {
        lobby: u64,
        summary: Option<Summary>,
    },
    /// To a user: join this lobby (`inviteUserToLobby`).
    Invite { lobby: u64 },
    /// To anyone: which of your lobbies can be found?
    ListRequest { request: u32 },
    /// The answer: the lobbies the sender owns that a search shows.
    List { request: u32, lobbies: Vec<Summary> },
    /// To anyone: who owns this lobby?
    Locate { lobby: u64 },
    /// The answer, from a member or the owner (`0`: not a lobby I am in).
    Located { lobby: u64, owner: u64 },
}

/// Why received bytes are not a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Not postcard bytes of a [`LobbyMessage`].
    Malformed,
    /// A message, with a field past a lobby limit.
    PastLimit(Limit),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Malformed => f.write_str("malformed lobby message"),
            Self::PastLimit(limit) => write!(f, "lobby message past a limit: {limit}"),
        }
    }
}

pub fn encode(message: &LobbyMessage) -> Vec<u8> {
    // Serializing into a Vec only fails for types serde cannot express; ours are plain data.
    postcard::to_allocvec(message).expect("lobby messages are plain data")
}

/// The message in `bytes`, checked against the lobby limits; trailing bytes make it malformed.
pub fn decode(bytes: &[u8]) -> Result<LobbyMessage, DecodeError> {
    let (message, rest) =
        postcard::take_from_bytes::<LobbyMessage>(bytes).map_err(|_| DecodeError::Malformed)?;
    if !rest.is_empty() {
        return Err(DecodeError::Malformed);
    }
    check(&message).map_err(DecodeError::PastLimit)?;
    Ok(message)
}

fn check(message: &LobbyMessage) -> Result<(), Limit> {
    match message {
        LobbyMessage::Welcome(snapshot) => check_snapshot(snapshot),
        LobbyMessage::GameServer { server, .. } => limits::check_game_server(server),
        LobbyMessage::DataAnswer {
            summary: Some(summary),
            ..
        } => {
            limits::check_max_members(summary.max_members)?;
            limits::check_lobby_data(&summary.data)
        }
        LobbyMessage::SetMemberData { key, value, .. }
        | LobbyMessage::MemberData { key, value, .. } => limits::check_entry(key, value),
        LobbyMessage::Data { key, value, .. } => {
            limits::check_entry(key, value.as_deref().unwrap_or(""))
        }
        LobbyMessage::Chat { body, .. } | LobbyMessage::ChatFrom { body, .. } => {
            limits::check_chat(body)
        }
        LobbyMessage::Entered { member, .. } => limits::check_member_data(&member.data),
        LobbyMessage::Settings {
            max_members,
            lobby_type,
            ..
        } => {
            limits::check_lobby_type(*lobby_type)?;
            limits::check_max_members(*max_members)
        }
        LobbyMessage::List { lobbies, .. } => {
            if lobbies.len() > limits::MAX_LISTED_PER_OWNER {
                return Err(Limit::ListedLobbies);
            }
            lobbies.iter().try_for_each(|summary| {
                limits::check_max_members(summary.max_members)?;
                limits::check_lobby_data(&summary.data)
            })
        }
        LobbyMessage::Join { .. }
        | LobbyMessage::Refuse { .. }
        | LobbyMessage::Leave { .. }
        | LobbyMessage::Rejoin { .. }
        | LobbyMessage::Gone { .. }
        | LobbyMessage::Owner { .. }
        | LobbyMessage::Transfer { .. }
        | LobbyMessage::Invite { .. }
        | LobbyMessage::DataRequest { .. }
        | LobbyMessage::DataAnswer { summary: None, .. }
        | LobbyMessage::ListRequest { .. }
        | LobbyMessage::Locate { .. }
        | LobbyMessage::Located { .. } => Ok(()),
    }
}

fn check_snapshot(snapshot: &Snapshot) -> Result<(), Limit> {
    limits::check_lobby_type(snapshot.lobby_type)?;
    limits::check_max_members(snapshot.max_members)?;
    limits::check_lobby_data(&snapshot.data)?;
    if let Some(server) = &snapshot.game_server {
        limits::check_game_server(server)?;
    }
    if snapshot.members.len() > limits::MAX_MEMBERS as usize {
        return Err(Limit::Members);
    }
    snapshot
        .members
        .iter()
        .try_for_each(|member| limits::check_member_data(&member.data))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> Snapshot {
        Snapshot {
            lobby: 109_775_241_000_000_001,
            owner: 76_561_197_960_265_729,
            lobby_type: 2,
            joinable: true,
            max_members: 4,
            data: vec![("mode".into(), "coop".into())],
            members: vec![MemberRecord {
                user: 76_561_197_960_265_729,
                data: vec![("ready".into(), "1".into())],
            }],
            game_server: None,
        }
    }

    #[test]
    fn every_message_round_trips() {
        let messages = [
            LobbyMessage::Join { lobby: 7 },
            LobbyMessage::Welcome(snapshot()),
            LobbyMessage::Refuse {
                lobby: 7,
                response: 4,
            },
            LobbyMessage::Chat {
                lobby: 7,
                body: b"gg".to_vec(),
            },
            LobbyMessage::Data {
                lobby: 7,
                key: "k".into(),
                value: None,
            },
            LobbyMessage::List {
                request: 3,
                lobbies: vec![Summary {
                    lobby: 7,
                    owner: 8,
                    members: 1,
                    max_members: 4,
                    data: vec![("k".into(), "v".into())],
                }],
            },
        ];
        for message in messages {
            assert_eq!(decode(&encode(&message)), Ok(message));
        }
    }

    #[test]
    fn truncated_extended_or_garbage_bytes_are_malformed() {
        let bytes = encode(&LobbyMessage::Welcome(snapshot()));
        for end in 0..bytes.len() {
            assert!(decode(&bytes[..end]).is_err(), "cut at {end}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer), Err(DecodeError::Malformed));
        assert_eq!(decode(&[0xff; 16]), Err(DecodeError::Malformed));
    }

    #[test]
    fn fields_past_the_lobby_limits_are_refused_on_decode() {
        let long_key = "k".repeat(limits::MAX_KEY_BYTES + 1);
        let bytes = encode(&LobbyMessage::Data {
            lobby: 7,
            key: long_key,
            value: None,
        });
        assert_eq!(
            decode(&bytes),
            Err(DecodeError::PastLimit(Limit::KeyLength))
        );
        let body = vec![0; limits::MAX_CHAT_BYTES + 1];
        let bytes = encode(&LobbyMessage::Chat { lobby: 7, body });
        assert_eq!(
            decode(&bytes),
            Err(DecodeError::PastLimit(Limit::ChatLength))
        );
        let mut crowded = snapshot();
        crowded.members = vec![crowded.members[0].clone(); limits::MAX_MEMBERS as usize + 1];
        let bytes = encode(&LobbyMessage::Welcome(crowded));
        assert_eq!(decode(&bytes), Err(DecodeError::PastLimit(Limit::Members)));
    }
}
