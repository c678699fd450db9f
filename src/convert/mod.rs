//! The one place where backend values become Godot values and back: Steam IDs, messages, session info.

mod engine_calls;
pub mod lobby;
mod message;

pub use engine_calls::EngineCalls;
pub use message::MessageDictionaries;

use godot::builtin::{
    GString, PackedByteArray, PackedStringArray, VarDictionary, Variant, VariantType,
};

use crate::backend::SessionInfo;
use crate::backend::config::{BackendKind, LocalConfig};
use crate::identity::{IdentityError, IdentityRegistry};
use crate::steam_types::{SteamId, SteamResult};

/// Why a GDScript value could not be used as a peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerError {
    /// An ID Steam opens no session with (0, no account number, not a user or game server): Steam's
    /// `SendMessageToUser` returns `k_EResultInvalidSteamID` for it.
    InvalidSteamId(SteamId),
    /// A string that names no usable identity.
    Identity(IdentityError),
    /// Neither an `int` nor a `String`.
    WrongType(VariantType),
}

impl std::fmt::Display for PeerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InvalidSteamId(steam_id) => write!(
                f,
                "remote_steam_id {} is not the Steam ID of a user or game server (RESULT_INVALID_STEAMID)",
                steam_id.to_gdscript()
            ),
            Self::Identity(error) => error.fmt(f),
            Self::WrongType(found) => write!(
                f,
                "remote_steam_id must be an int Steam ID or a String identity reference, not {found:?}"
            ),
        }
    }
}

impl PeerError {
    /// What `sendMessageToUser` returns for this peer: Steam's own code for an unusable Steam ID, else
    /// `RESULT_INVALID_PARAM` for an argument Steam's typed API would not even take.
    pub fn send_result(&self) -> SteamResult {
        match self {
            Self::InvalidSteamId(_) => SteamResult::INVALID_STEAM_ID,
            Self::Identity(_) | Self::WrongType(_) => SteamResult::INVALID_PARAM,
        }
    }
}

/// A peer as GDScript passes it: an `int` Steam ID (the u64's bit pattern), or a `String` identity reference
/// (`StringName` too) resolved through `identities`.
pub fn peer_from_variant(
    calls: &EngineCalls,
    value: &Variant,
    identities: &IdentityRegistry,
) -> Result<SteamId, PeerError> {
    // Ints first, without a type switch: they are what GodotSteam code passes.
    if let Some(bits) = calls.int_of(value) {
        return peer_from_int(bits);
    }
    let steam_id = match value.get_type() {
        VariantType::STRING | VariantType::STRING_NAME => {
            let text = value.stringify().to_string();
            identities.resolve(&text).map_err(PeerError::Identity)?
        }
        other => return Err(PeerError::WrongType(other)),
    };
    valid(steam_id)
}

/// A peer as an `int` Steam ID (the u64's bit pattern).
pub fn peer_from_int(bits: i64) -> Result<SteamId, PeerError> {
    valid(SteamId::from_gdscript(bits))
}

fn valid(steam_id: SteamId) -> Result<SteamId, PeerError> {
    if steam_id.is_session_peer() {
        Ok(steam_id)
    } else {
        Err(PeerError::InvalidSteamId(steam_id))
    }
}

/// The bytes of a payload GDScript passed, without copying them.
pub fn payload_bytes<'a>(calls: &EngineCalls, payload: &'a PackedByteArray) -> &'a [u8] {
    calls.bytes_of(payload)
}

/// Session info as GodotSteam's dictionary: `connection_state` always, then the connection and status parts
/// that were asked for.
pub fn session_info_to_dictionary(
    info: &SessionInfo,
    get_connection: bool,
    get_status: bool,
) -> VarDictionary {
    let mut dictionary = VarDictionary::new();
    dictionary.set("connection_state", info.state.0);
    if get_connection {
        let connection = &info.connection;
        dictionary.set("identity", connection.identity.to_gdscript());
        dictionary.set("user_data", connection.user_data);
        dictionary.set("listen_socket", i64::from(connection.listen_socket));
        dictionary.set(
            "remote_address",
            &GString::from(connection.remote_address.as_str()),
        );
        dictionary.set("remote_pop", i64::from(connection.remote_pop));
        dictionary.set("pop_relay", i64::from(connection.pop_relay));
        dictionary.set("connection_state", connection.state.0);
        dictionary.set("end_reason", connection.end_reason);
        dictionary.set("end_debug", &GString::from(connection.end_debug.as_str()));
        dictionary.set(
            "debug_description",
            &GString::from(connection.description.as_str()),
        );
        dictionary.set("info_flags", connection.flags);
    }
    if get_status {
        let status = &info.status;
        dictionary.set("state", status.state.0);
        dictionary.set("ping", status.ping);
        dictionary.set("local_quality", status.local_quality);
        dictionary.set("remote_quality", status.remote_quality);
        dictionary.set("packets_out_per_second", status.out_packets_per_sec);
        dictionary.set("bytes_out_per_second", status.out_bytes_per_sec);
        dictionary.set("packets_in_per_second", status.in_packets_per_sec);
        dictionary.set("bytes_in_per_second", status.in_bytes_per_sec);
        dictionary.set("send_rate", status.send_rate_bytes_per_sec);
        dictionary.set("pending_unreliable", status.pending_unreliable);
        dictionary.set("pending_reliable", status.pending_reliable);
        dictionary.set("sent_unacknowledged_reliable", status.sent_unacked_reliable);
        dictionary.set("queue_time", status.queue_time_usec);
    }
    dictionary
}

/// The backend choice and the local backend's settings as a dictionary keyed like the project settings
/// under `steam/networking_messages/` (`backend`, then the `local/` ones), for `getBackendSettings`.
pub fn backend_settings_to_dictionary(kind: BackendKind, local: &LocalConfig) -> VarDictionary {
    let millis =
        |duration: std::time::Duration| i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
    let mut peers = PackedStringArray::new();
    for (steam_id, address) in &local.peers {
        peers.push(&GString::from(format!("{steam_id}@{address}").as_str()));
    }
    let mut dictionary = VarDictionary::new();
    let backend = match kind {
        BackendKind::Steam => "steam",
        BackendKind::Local => "local",
    };
    dictionary.set("backend", &GString::from(backend));
    dictionary.set("local_id", local.local_id.map_or(0, i64::from));
    dictionary.set(
        "bind_address",
        &GString::from(local.bind_ip.to_string().as_str()),
    );
    dictionary.set("peers", &peers);
    dictionary.set("lan_broadcast", local.broadcast);
    dictionary.set(
        "fake_packet_loss_percent",
        f64::from(local.fake_loss_percent),
    );
    dictionary.set("fake_packet_lag_ms", millis(local.fake_lag));
    dictionary.set("fake_packet_jitter_ms", millis(local.fake_jitter));
    dictionary.set("connect_timeout_ms", millis(local.connect_timeout));
    dictionary.set("idle_timeout_ms", millis(local.idle_timeout));
    dictionary.set(
        "persona_name",
        &GString::from(local.persona_name.as_deref().unwrap_or("")),
    );
    dictionary.set(
        "max_sessions",
        i64::try_from(local.max_sessions).unwrap_or(i64::MAX),
    );
    dictionary
}
