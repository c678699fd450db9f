//! The sizes a lobby holds at most: Steam's where Valve documents one (`isteammatchmaking.h`), ours where it
//! does not, so that neither a game nor a peer can grow a lobby without bound.

/// Most members of a lobby (Valve: "max of 250").
pub const MAX_MEMBERS: u32 = 250;
/// Longest key of lobby or member data, in bytes (`k_nMaxLobbyKeyLength`).
pub const MAX_KEY_BYTES: usize = 255;
/// Longest value of lobby or member data, in bytes: Steam's 8 KiB (`k_cubChatMetadataMax`), less the
/// terminating zero it counts.
pub const MAX_VALUE_BYTES: usize = 8 * 1024 - 1;
/// Longest chat message, in bytes: Steam's 4 KiB, less the terminating zero GodotSteam sends after the text.
pub const MAX_CHAT_BYTES: usize = 4 * 1024 - 1;
/// Most bytes (keys and values) of one lobby's data. Steam documents no total; this keeps a lobby's
/// snapshot, sent whole to each joining member, small.
pub const MAX_LOBBY_DATA_BYTES: usize = 256 * 1024;
/// Most bytes (keys and values) of one member's data.
pub const MAX_MEMBER_DATA_BYTES: usize = 8 * 1024;
/// Most lobbies one instance shows in a search answer (Steam returns at most 50 by default).
pub const MAX_LISTED_PER_OWNER: usize = 256;

/// Most bytes of lobby data one search answer carries (it travels as one packet, see
/// [`super::links::MAX_PACKET_BYTES`]); an owner's lobbies past it are left out of the answer.
pub const MAX_LIST_ANSWER_BYTES: usize = 1024 * 1024;

/// About what a lobby with `data` weighs in a search answer: its data and a fixed part.
pub fn summary_bytes<'a>(data: impl Iterator<Item = &'a (String, String)>) -> usize {
    64 + data
        .map(|(key, value)| key.len() + value.len() + 8)
        .sum::<usize>()
}

/// Longest game server IP text (an IPv6 address with a zone fits).
pub const MAX_SERVER_IP_BYTES: usize = 64;

/// A limit a value went past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    KeyLength,
    ValueLength,
    ChatLength,
    LobbyData,
    MemberData,
    Members,
    ListedLobbies,
    LobbyType,
    GameServerAddress,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            Self::KeyLength => format!("keys are at most {MAX_KEY_BYTES} bytes"),
            Self::ValueLength => format!("values are at most {MAX_VALUE_BYTES} bytes"),
            Self::ChatLength => format!("chat messages are at most {MAX_CHAT_BYTES} bytes"),
            Self::LobbyData => {
                format!("a lobby holds at most {MAX_LOBBY_DATA_BYTES} bytes of data")
            }
            Self::MemberData => {
                format!("a member holds at most {MAX_MEMBER_DATA_BYTES} bytes of member data")
            }
            Self::Members => format!("a lobby has 1 to {MAX_MEMBERS} members"),
            Self::ListedLobbies => format!("at most {MAX_LISTED_PER_OWNER} lobbies per owner"),
            Self::LobbyType => "lobby types are 0 to 4 (LOBBY_TYPE_*)".to_string(),
            Self::GameServerAddress => {
                format!("a game server's IP is at most {MAX_SERVER_IP_BYTES} characters")
            }
        };
        f.write_str(&text)
    }
}

/// One key and value, on their own.
pub fn check_entry(key: &str, value: &str) -> Result<(), Limit> {
    if key.is_empty() || key.len() > MAX_KEY_BYTES {
        return Err(Limit::KeyLength);
    }
    if value.len() > MAX_VALUE_BYTES {
        return Err(Limit::ValueLength);
    }
    Ok(())
}

pub fn check_chat(body: &[u8]) -> Result<(), Limit> {
    if body.len() > MAX_CHAT_BYTES {
        return Err(Limit::ChatLength);
    }
    Ok(())
}

pub fn check_max_members(max_members: u32) -> Result<(), Limit> {
    if !(1..=MAX_MEMBERS).contains(&max_members) {
        return Err(Limit::Members);
    }
    Ok(())
}

/// Bytes of keys and values together.
pub fn data_bytes(entries: &[(String, String)]) -> usize {
    entries
        .iter()
        .map(|(key, value)| key.len() + value.len())
        .sum()
}

pub fn check_lobby_data(entries: &[(String, String)]) -> Result<(), Limit> {
    entries
        .iter()
        .try_for_each(|(key, value)| check_entry(key, value))?;
    if data_bytes(entries) > MAX_LOBBY_DATA_BYTES {
        return Err(Limit::LobbyData);
    }
    Ok(())
}

pub fn check_member_data(entries: &[(String, String)]) -> Result<(), Limit> {
    entries
        .iter()
        .try_for_each(|(key, value)| check_entry(key, value))?;
    if data_bytes(entries) > MAX_MEMBER_DATA_BYTES {
        return Err(Limit::MemberData);
    }
    Ok(())
}

pub fn check_lobby_type(lobby_type: u8) -> Result<(), Limit> {
    if lobby_type > 4 {
        return Err(Limit::LobbyType);
    }
    Ok(())
}

pub fn check_game_server(server: &super::wire::GameServer) -> Result<(), Limit> {
    if server.ip.len() > MAX_SERVER_IP_BYTES {
        return Err(Limit::GameServerAddress);
    }
    Ok(())
}
