//! The one place where backend values become Godot values and back: Steam IDs, messages, session info.

use godot::builtin::{GString, PackedByteArray, VarDictionary, Variant, VariantType};
use godot::meta::ToGodot;

use crate::backend::{ReceivedMessage, SessionInfo};
use crate::identity::{IdentityError, IdentityRegistry};
use crate::steam_types::SteamId;

/// Why a GDScript value could not be used as a peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerError {
    /// Steam ID 0 (`k_steamIDNil`): no user.
    NilSteamId,
    /// A string that names no usable identity.
    Identity(IdentityError),
    /// Neither an `int` nor a `String`.
    WrongType(VariantType),
}

impl std::fmt::Display for PeerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NilSteamId => write!(f, "remote_steam_id is 0, which is no Steam user"),
            Self::Identity(error) => error.fmt(f),
            Self::WrongType(found) => write!(
                f,
                "remote_steam_id must be an int Steam ID or a String identity reference, not {found:?}"
            ),
        }
    }
}

/// A peer as GDScript passes it: an `int` Steam ID (the u64's bit pattern), or a `String` identity reference
/// (`StringName` too) resolved through `identities`.
pub fn peer_from_variant(
    value: &Variant,
    identities: &IdentityRegistry,
) -> Result<SteamId, PeerError> {
    let steam_id = match value.get_type() {
        VariantType::INT => SteamId::from_gdscript(value.to::<i64>()),
        VariantType::STRING | VariantType::STRING_NAME => {
            let text = value.stringify().to_string();
            identities.resolve(&text).map_err(PeerError::Identity)?
        }
        other => return Err(PeerError::WrongType(other)),
    };
    if steam_id.is_valid() {
        Ok(steam_id)
    } else {
        Err(PeerError::NilSteamId)
    }
}

/// Dictionary keys built once, and a template message dictionary: message dictionaries are made per message,
/// in the hottest loop we have, and each call into Godot costs. Copying the template (one call) and setting
/// only what differs from it is much cheaper than inserting ten keys.
pub struct MessageKeys {
    template: VarDictionary,
    payload: Variant,
    size: Variant,
    connection: Variant,
    identity: Variant,
    receiver_user_data: Variant,
    time_received: Variant,
    message_number: Variant,
    channel: Variant,
    flags: Variant,
    sender_user_data: Variant,
}

impl Default for MessageKeys {
    fn default() -> Self {
        let key = |name: &str| GString::from(name).to_variant();
        let mut keys = Self {
            template: VarDictionary::new(),
            payload: key("payload"),
            size: key("size"),
            connection: key("connection"),
            identity: key("identity"),
            receiver_user_data: key("receiver_user_data"),
            time_received: key("time_received"),
            message_number: key("message_number"),
            channel: key("channel"),
            flags: key("flags"),
            sender_user_data: key("sender_user_data"),
        };
        // GodotSteam's keys, in its order, with the values most messages share.
        let template = &mut keys.template;
        template.set(&keys.payload, &PackedByteArray::new());
        for key in [
            &keys.size,
            &keys.connection,
            &keys.identity,
            &keys.receiver_user_data,
            &keys.time_received,
            &keys.message_number,
            &keys.channel,
            &keys.flags,
            &keys.sender_user_data,
        ] {
            template.set(key, 0);
        }
        keys
    }
}

/// A received message as GodotSteam's dictionary, keys in GodotSteam's order. The payload is copied once.
pub fn message_to_dictionary(keys: &MessageKeys, message: &ReceivedMessage<'_>) -> VarDictionary {
    let mut dictionary = keys.template.duplicate_shallow();
    dictionary.set(&keys.payload, &PackedByteArray::from(message.payload));
    dictionary.set(&keys.size, message.payload.len() as i64);
    dictionary.set(&keys.identity, message.sender.to_gdscript());
    dictionary.set(&keys.time_received, message.time_received_usec);
    dictionary.set(&keys.message_number, message.message_number);
    // The template holds 0 for these; most messages leave them so.
    let mostly_zero = [
        (&keys.connection, i64::from(message.connection)),
        (&keys.receiver_user_data, message.connection_user_data),
        (&keys.channel, i64::from(message.channel)),
        (&keys.flags, i64::from(message.flags)),
        (&keys.sender_user_data, message.user_data),
    ];
    for (key, value) in mostly_zero {
        if value != 0 {
            dictionary.set(key, value);
        }
    }
    dictionary
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
