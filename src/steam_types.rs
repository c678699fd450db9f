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
