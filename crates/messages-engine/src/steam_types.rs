//! Steam's value types, as plain Rust: IDs, result codes, connection states, send flags.

use std::fmt;

/// A 64-bit Steam ID. GDScript sees its bit pattern as a signed `int` (see [`SteamId::from_gdscript`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SteamId(pub u64);

impl SteamId {
    /// Steam ID of the first individual account in the public universe (account number 0).
    pub const INDIVIDUAL_PUBLIC_BASE: u64 = 76_561_197_960_265_728;

    /// The ID from GDScript's `int`, which carries the u64's bit pattern.
    pub fn from_gdscript(value: i64) -> Self {
        Self(value as u64)
    }

    /// The ID as GDScript's `int` (same bit pattern).
    pub fn to_gdscript(self) -> i64 {
        self.0 as i64
    }

    pub fn is_valid(self) -> bool {
        self.0 != 0
    }

    /// The account number, the low 32 bits.
    pub fn account_id(self) -> u32 {
        self.0 as u32
    }

    /// `EAccountType`, bits 52 to 55.
    pub fn account_type(self) -> u8 {
        ((self.0 >> 52) & 0xf) as u8
    }

    /// Whether Steam can open a Networking Messages session with this ID: a non-zero account number of an
    /// individual (or console) user or of a game server, as Steam's `IsValidSteamIDForIdentity` decides;
    /// `SendMessageToUser` returns `k_EResultInvalidSteamID` for any other.
    pub fn is_session_peer(self) -> bool {
        const INDIVIDUAL: u8 = 1;
        const GAME_SERVER: u8 = 3;
        const ANON_GAME_SERVER: u8 = 4;
        const CONSOLE_USER: u8 = 9;
        self.account_id() != 0
            && matches!(
                self.account_type(),
                INDIVIDUAL | GAME_SERVER | ANON_GAME_SERVER | CONSOLE_USER
            )
    }
}

impl fmt::Display for SteamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An `EResult` code, kept as the raw integer so unknown codes from Steam pass through unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SteamResult(pub i32);

impl SteamResult {
    pub const NONE: Self = Self(0);
    pub const OK: Self = Self(1);
    pub const FAIL: Self = Self(2);
    pub const NO_CONNECTION: Self = Self(3);
    pub const INVALID_PARAM: Self = Self(8);
    pub const INVALID_STATE: Self = Self(11);
    pub const INVALID_STEAM_ID: Self = Self(19);
    pub const LIMIT_EXCEEDED: Self = Self(25);
    pub const CONNECT_FAILED: Self = Self(35);
    pub const IGNORED: Self = Self(41);
}

/// `ESteamNetworkingConnectionState`, kept as the raw integer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ConnectionState(pub i32);

impl ConnectionState {
    pub const NONE: Self = Self(0);
    pub const CONNECTING: Self = Self(1);
    pub const FINDING_ROUTE: Self = Self(2);
    pub const CONNECTED: Self = Self(3);
    pub const CLOSED_BY_PEER: Self = Self(4);
    pub const PROBLEM_DETECTED_LOCALLY: Self = Self(5);
    pub const FIN_WAIT: Self = Self(-1);
    pub const LINGER: Self = Self(-2);
    pub const DEAD: Self = Self(-3);
}

/// `k_nSteamNetworkingSend_*` bits.
/// `EPersonaChange`: what a `PersonaStateChange_t` says changed (GodotSteam's `PERSONA_CHANGE_*`).
pub mod persona_change {
    pub const NAME: i32 = 0x0001;
    pub const STATUS: i32 = 0x0002;
    pub const COME_ONLINE: i32 = 0x0004;
    pub const GONE_OFFLINE: i32 = 0x0008;
    pub const GAME_PLAYED: i32 = 0x0010;
    pub const GAME_SERVER: i32 = 0x0020;
    pub const AVATAR: i32 = 0x0040;
    pub const JOINED_SOURCE: i32 = 0x0080;
    pub const LEFT_SOURCE: i32 = 0x0100;
    pub const RELATIONSHIP_CHANGED: i32 = 0x0200;
    pub const NAME_FIRST_SET: i32 = 0x0400;
    /// `k_EPersonaChangeBroadcast`, which GodotSteam names `PERSONA_CHANGE_FACEBOOK_INFO`.
    pub const FACEBOOK_INFO: i32 = 0x0800;
    pub const NICKNAME: i32 = 0x1000;
    pub const STEAM_LEVEL: i32 = 0x2000;
    pub const RICH_PRESENCE: i32 = 0x4000;
}

pub mod send_flags {
    pub const UNRELIABLE: i32 = 0;
    pub const NO_NAGLE: i32 = 1;
    pub const NO_DELAY: i32 = 4;
    pub const RELIABLE: i32 = 8;
    pub const USE_CURRENT_THREAD: i32 = 16;
    pub const AUTORESTART_BROKEN_SESSION: i32 = 32;
}

/// Largest message Steam sends (`k_cbMaxSteamNetworkingSocketsMessageSizeSend`, 512 KiB).
pub const MAX_STEAM_PACKET_SIZE: usize = 512 * 1024;

/// `ESteamAPIInitResult`: what `steamInitEx` reports in `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitStatus {
    Ok = 0,
    FailedGeneric = 1,
    NoSteamClient = 2,
    VersionMismatch = 3,
}

/// Why initialisation failed: the status GodotSteam reports and Steam's own message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitError {
    pub status: InitStatus,
    pub message: String,
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.status, self.message)
    }
}

impl std::error::Error for InitError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn individual_and_game_server_ids_can_be_session_peers() {
        assert!(SteamId(SteamId::INDIVIDUAL_PUBLIC_BASE + 1).is_session_peer());
        // A persistent game server (type 3) and an anonymous one (type 4), public universe.
        assert!(SteamId(0x0100_0000_0000_0001 | (3 << 52)).is_session_peer());
        assert!(SteamId(0x0100_0000_0000_0001 | (4 << 52)).is_session_peer());
    }

    #[test]
    fn ids_steam_cannot_open_a_session_with_are_not_session_peers() {
        let individual = SteamId::INDIVIDUAL_PUBLIC_BASE + 5;
        for (id, why) in [
            (0, "nil"),
            (1, "no account type"),
            (SteamId::INDIVIDUAL_PUBLIC_BASE, "account number 0"),
            (individual & !(0xf << 52), "account type invalid"),
            ((individual & !(0xf << 52)) | (7 << 52), "a clan"),
            ((individual & !(0xf << 52)) | (8 << 52), "a chat"),
            (u64::MAX, "all bits set"),
        ] {
            assert!(!SteamId(id).is_session_peer(), "{why}: {id}");
        }
    }
}
