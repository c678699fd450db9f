//! The constants GodotSteam binds for Networking Messages: names and values exactly as GodotSteam has them,
//! its spelling mistakes included, so GDScript copied from its documentation compiles.
//!
//! Where GodotSteam's documentation page and its C++ source spell a name differently (for example
//! `CONNECTION_END_MAX` and `CONNECTION_END_APP_MAX`), both names are bound with the same value.

/// A group of integer constants; `enum_name` is the GodotSteam enum they are bound under, if any.
#[derive(Debug)]
pub struct ConstantGroup {
    pub enum_name: Option<&'static str>,
    pub constants: &'static [(&'static str, i64)],
}

/// Every constant the singleton binds, in GodotSteam's order.
pub const GROUPS: &[ConstantGroup] = &[
    // Plain constants in GodotSteam (BIND_CONSTANT), not an enum.
    ConstantGroup {
        enum_name: None,
        constants: &[
            ("NETWORKING_SEND_UNRELIABLE", 0),
            ("NETWORKING_SEND_NO_NAGLE", 1),
            ("NETWORKING_SEND_URELIABLE_NO_NAGLE", 1),
            ("NETWORKING_SEND_NO_DELAY", 4),
            ("NETWORKING_SEND_UNRELIABLE_NO_DELAY", 5),
            ("NETWORKING_SEND_RELIABLE", 8),
            ("NETWORKING_SEND_RELIABLE_NO_NAGLE", 9),
            ("NETWORKING_SEND_USE_CURRENT_THREAD", 16),
            ("NETWORKING_SEND_AUTORESTART_BROKEN_SESSION", 32),
            ("MAX_STEAM_PACKET_SIZE", 524288),
        ],
    },
    ConstantGroup {
        enum_name: Some("NetworkingConnectionEnd"),
        constants: &[
            ("CONNECTION_END_INVALID", 0),
            ("CONNECTION_END_APP_MIN", 1000),
            ("CONNECTION_END_APP_GENERIC", 1000),
            ("CONNECTION_END_APP_MAX", 1999),
            ("CONNECTION_END_MAX", 1999),
            ("CONNECTION_END_APP_EXCEPTION_MIN", 2000),
            ("CONNECTION_END_APP_EXCEPTION_GENERIC", 2000),
            ("CONNECTION_END_APP_EXCEPTION_MAX", 2999),
            ("CONNECTION_END_LOCAL_MIN", 3000),
            ("CONNECTION_END_LOCAL_OFFLINE_MODE", 3001),
            ("CONNECTION_END_LOCAL_MANY_RELAY_CONNECTIVITY", 3002),
            ("CONNECTION_END_LOCAL_HOSTED_SERVER_PRIMARY_RELAY", 3003),
            ("CONNECTION_END_LOCAL_HOSTED_sERVER_PRIMARY_RELAY", 3003),
            ("CONNECTION_END_LOCAL_NETWORK_CONFIG", 3004),
            ("CONNECTION_END_LOCAL_RIGHTS", 3005),
            ("CONNECTION_END_NO_PUBLIC_ADDRESS", 3006),
            ("CONNECTION_END_LOCAL_MAX", 3999),
            ("CONNECTION_END_REMOVE_MIN", 4000),
            ("CONNECTION_END_REMOTE_TIMEOUT", 4001),
            ("CONNECTION_END_REMOTE_BAD_CRYPT", 4002),
            ("CONNECTION_END_REMOTE_BAD_CERT", 4003),
            ("CONNECTION_END_REMOTE_NOT_LOGGED_IN", 4004),
            ("CONNECTION_END_REMOTE_NOT_RUNNING_APP", 4005),
            ("CONNECTION_END_BAD_PROTOCOL_VERSION", 4006),
            ("CONNECTION_END_REMOTE_P2P_ICE_NO_PUBLIC_ADDRESSES", 4007),
            ("CONNECTION_END_REMOTE_MAX", 4999),
            ("CONNECTION_END_MISC_MIN", 5000),
            ("CONNECTION_END_MISC_GENERIC", 5001),
            ("CONNECTION_END_MISC_INTERNAL_ERROR", 5002),
            ("CONNECTION_END_MISC_TIMEOUT", 5003),
            ("CONNECTION_END_MISC_RELAY_CONNECTIVITY", 5004),
            ("CONNECTION_END_MISC_STEAM_CONNECTIVITY", 5005),
            ("CONNECTION_END_MISC_NO_RELAY_SESSIONS_TO_CLIENT", 5006),
            ("CONNECTION_END_MISC_P2P_RENDEZVOUS", 5008),
            ("CONNECTION_END_MISC_P2P_NAT_FIREWALL", 5009),
            ("CONNECTION_END_MISC_PEER_SENT_NO_CONNECTION", 5010),
            ("CONNECTION_END_MISC_MAX", 5999),
            ("CONNECTION_END_FORCE32BIT", 2147483647),
        ],
    },
    ConstantGroup {
        enum_name: Some("NetworkingConnectionState"),
        constants: &[
            ("CONNECTION_STATE_NONE", 0),
            ("CONNECTION_STATE_CONNECTING", 1),
            ("CONNECTION_STATE_FINDING_ROUTE", 2),
            ("CONNECTION_STATE_CONNECTED", 3),
            ("CONNECTION_STATE_CLOSED_BY_PEER", 4),
            ("CONNECTION_STATE_PROBLEM_DETECTED_LOCALLY", 5),
            ("CONNECTION_STATE_FIN_WAIT", -1),
            ("CONNECTION_STATE_LINGER", -2),
            ("CONNECTION_STATE_DEAD", -3),
            ("CONNECTION_STATE_FORCE_32BIT", 2147483647),
        ],
    },
    ConstantGroup {
        enum_name: Some("NetworkingIdentityType"),
        constants: &[
            ("IDENTITY_TYPE_INVALID", 0),
            ("IDENTITY_TYPE_STEAMID", 16),
            ("IDENTITY_TYPE_IP_ADDRESS", 1),
            ("IDENTITY_TYPE_GENERIC_STRING", 2),
            ("IDENTITY_TYPE_GENERIC_BYTES", 3),
            ("IDENTITY_TYPE_UNKNOWN_TYPE", 4),
            ("IDENTITY_TYPE_XBOX_PAIRWISE", 17),
            ("IDENTITY_TYPE_SONY_PSN", 18),
            ("IDENTITY_TYPE_FORCE_32BIT", 2147483647),
        ],
    },
    ConstantGroup {
        enum_name: Some("SteamAPIInitResult"),
        constants: &[
            ("STEAM_API_INIT_RESULT_OK", 0),
            ("STEAM_API_INIT_RESULT_FAILED_GENERIC", 1),
            ("STEAM_API_INIT_RESULT_NO_STEAM_CLIENT", 2),
            ("STEAM_API_INIT_RESULT_VERSION_MISMATCH", 3),
        ],
    },
    ConstantGroup {
        enum_name: Some("Result"),
        constants: &[
            ("RESULT_NONE", 0),
            ("RESULT_OK", 1),
            ("RESULT_FAIL", 2),
            ("RESULT_NO_CONNECTION", 3),
            ("RESULT_INVALID_PASSWORD", 5),
            ("RESULT_LOGGED_IN_ELSEWHERE", 6),
            ("RESULT_INVALID_PROTOCOL_VER", 7),
            ("RESULT_INVALID_PARAM", 8),
            ("RESULT_FILE_NOT_FOUND", 9),
            ("RESULT_BUSY", 10),
            ("RESULT_INVALID_STATE", 11),
            ("RESULT_INVALID_NAME", 12),
            ("RESULT_INVALID_EMAIL", 13),
            ("RESULT_DUPLICATE_NAME", 14),
            ("RESULT_ACCESS_DENIED", 15),
            ("RESULT_TIMEOUT", 16),
            ("RESULT_BANNED", 17),
            ("RESULT_ACCOUNT_NOT_FOUND", 18),
            ("RESULT_INVALID_STEAMID", 19),
            ("RESULT_SERVICE_UNAVAILABLE", 20),
            ("RESULT_NOT_LOGGED_ON", 21),
            ("RESULT_PENDING", 22),
            ("RESULT_ENCRYPTION_FAILURE", 23),
            ("RESULT_INSUFFICIENT_PRIVILEGE", 24),
            ("RESULT_LIMIT_EXCEEDED", 25),
            ("RESULT_REVOKED", 26),
            ("RESULT_EXPIRED", 27),
            ("RESULT_ALREADY_REDEEMED", 28),
            ("RESULT_DUPLICATE_REQUEST", 29),
            ("RESULT_ALREADY_OWNED", 30),
            ("RESULT_IP_NOT_FOUND", 31),
            ("RESULT_PERSIST_FAILED", 32),
            ("RESULT_LOCKING_FAILED", 33),
            ("RESULT_LOG_ON_SESSION_REPLACED", 34),
            ("RESULT_CONNECT_FAILED", 35),
            ("RESULT_HANDSHAKE_FAILED", 36),
            ("RESULT_IO_FAILURE", 37),
            ("RESULT_REMOTE_DISCONNECT", 38),
            ("RESULT_SHOPPING_CART_NOT_FOUND", 39),
            ("RESULT_BLOCKED", 40),
            ("RESULT_IGNORED", 41),
            ("RESULT_NO_MATCH", 42),
            ("RESULT_ACCOUNT_DISABLED", 43),
            ("RESULT_SERVICE_READ_ONLY", 44),
            ("RESULT_ACCOUNT_NOT_FEATURED", 45),
            ("RESULT_ADMINISTRATOR_OK", 46),
            ("RESULT_CONTENT_VERSION", 47),
            ("RESULT_TRY_ANOTHER_CM", 48),
            ("RESULT_PASSWORD_REQUIRED_TO_KICK_SESSION", 49),
            ("RESULT_ALREADY_LOGGED_IN_ELSEWHERE", 50),
            ("RESULT_SUSPENDED", 51),
            ("RESULT_CANCELLED", 52),
            ("RESULT_DATA_CORRUPTION", 53),
            ("RESULT_DISK_FULL", 54),
            ("RESULT_REMOTE_CALL_FAILED", 55),
            ("RESULT_PASSWORD_UNSET", 56),
            ("RESULT_EXTERNAL_ACCOUNT_UNLINKED", 57),
            ("RESULT_PSN_TICKET_INVALID", 58),
            ("RESULT_EXTERNAL_ACCOUNT_ALREADY_LINKED", 59),
            ("RESULT_REMOTE_FILE_CONFLICT", 60),
            ("RESULT_ILLEGAL_PASSWORD", 61),
            ("RESULT_SAME_AS_PREVIOUS_VALUE", 62),
            ("RESULT_ACCOUNT_LOG_ON_DENIED", 63),
            ("RESULT_CANNOT_USE_OLD_PASSWORD", 64),
            ("RESULT_INVALID_LOG_IN_AUTH_CODE", 65),
            ("RESULT_ACCOUNT_LOG_ON_DENIED_NO_MAIL", 66),
            ("RESULT_HARDWARE_NOT_CAPABLE_OF_IPT", 67),
            ("RESULT_IPT_INIT_ERROR", 68),
            ("RESULT_PARENTAL_CONTROL_RESTRICTED", 69),
            ("RESULT_FACEBOOK_QUERY_ERROR", 70),
            ("RESULT_EXPIRED_LOGIN_AUTH_CODE", 71),
            ("RESULT_IP_LOGIN_RESTRICTION_FAILED", 72),
            ("RESULT_ACCOUNT_LOCKED_DOWN", 73),
            ("RESULT_ACCOUNT_LOG_ON_DENIED_VERIFIED_EMAIL_REQUIRED", 74),
            ("RESULT_NO_MATCHING_URL", 75),
            ("RESULT_BAD_RESPONSE", 76),
            ("RESULT_REQUIRE_PASSWORD_REENTRY", 77),
            ("RESULT_VALUE_OUT_OF_RANGE", 78),
            ("RESULT_UNEXPECTED_ERROR", 79),
            ("RESULT_DISABLED", 80),
            ("RESULT_INVALID_CEG_SUBMISSION", 81),
            ("RESULT_RESTRICTED_DEVICE", 82),
            ("RESULT_REGION_LOCKED", 83),
            ("RESULT_RATE_LIMIT_EXCEEDED", 84),
            ("RESULT_ACCOUNT_LOGIN_DENIED_NEED_TWO_FACTOR", 85),
            ("RESULT_ITEM_DELETED", 86),
            ("RESULT_ACCOUNT_LOGIN_DENIED_THROTTLE", 87),
            ("RESULT_TWO_FACTOR_CODE_MISMATCH", 88),
            ("RESULT_TWO_FACTOR_ACTIVATION_CODE_MISMATCH", 89),
            ("RESULT_ACCOUNT_ASSOCIATED_TO_MULTIPLE_PARTNERS", 90),
            ("RESULT_NOT_MODIFIED", 91),
            ("RESULT_NO_MOBILE_DEVICE", 92),
            ("RESULT_TIME_NOT_SYNCED", 93),
            ("RESULT_SMS_CODE_FAILED", 94),
            ("RESULT_ACCOUNT_LIMIT_EXCEEDED", 95),
            ("RESULT_ACCOUNT_ACTIVITY_LIMIT_EXCEEDED", 96),
            ("RESULT_PHONE_ACTIVITY_LIMIT_EXCEEDED", 97),
            ("RESULT_REFUND_TO_WALLET", 98),
            ("RESULT_EMAIL_SEND_FAILURE", 99),
            ("RESULT_NOT_SETTLED", 100),
            ("RESULT_NEED_CAPTCHA", 101),
            ("RESULT_GSLT_DENIED", 102),
            ("RESULT_GS_OWNER_DENIED", 103),
            ("RESULT_INVALID_ITEM_TYPE", 104),
            ("RESULT_IP_BANNED", 105),
            ("RESULT_GSLT_EXPIRED", 106),
            ("RESULT_INSUFFICIENT_FUNDS", 107),
            ("RESULT_TOO_MANY_PENDING", 108),
            ("RESULT_NO_SITE_LICENSES_FOUND", 109),
            ("RESULT_WG_NETWORK_SEND_EXCEEDED", 110),
            ("RESULT_ACCOUNT_NOT_FRIENDS", 111),
            ("RESULT_LIMITED_USER_ACCOUNT", 112),
            ("RESULT_CANT_REMOVE_ITEM", 113),
            ("RESULT_ACCOUNT_DELETED", 114),
            ("RESULT_EXISTING_USER_CANCELLED_LICENSE", 115),
            ("RESULT_COMMUNITY_COOLDOWN", 116),
            ("RESULT_NO_LAUNCHER_SPECIFIED", 117),
            ("RESULT_MUST_AGREE_TO_SSA", 118),
            ("RESULT_LAUNCHER_MIGRATED", 119),
            ("RESULT_STEAM_REALM_MISMATCH", 120),
            ("RESULT_INVALID_SIGNATURE", 121),
            ("RESULT_PARSE_FAILURE", 122),
            ("RESULT_NO_VERIFIED_PHONE", 123),
            ("RESULT_INSUFFICIENT_BATTERY", 124),
            ("RESULT_CHARGER_REQUIRED", 125),
            ("RESULT_CACHED_CREDENTIAL_INVALID", 126),
            ("RESULT_PHONE_NUMBER_IS_VOIP", 127),
            ("RESULT_NOT_SUPPORTED", 128),
            ("RESULT_FAMILY_SIZE_LIMIT_EXCEEDED", 129),
            ("RESULT_OFFLINE_APP_CACHE_INVALID", 130),
        ],
    },
];

/// The value of a bound constant, by name.
pub fn value_of(name: &str) -> Option<i64> {
    GROUPS
        .iter()
        .flat_map(|group| group.constants.iter())
        .find(|(constant, _)| *constant == name)
        .map(|&(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steam_types::{
        ConnectionState, InitStatus, MAX_STEAM_PACKET_SIZE, SteamResult, send_flags,
    };
    use std::collections::HashSet;

    #[test]
    fn constant_names_are_unique() {
        let mut seen = HashSet::new();
        for group in GROUPS {
            for (name, _) in group.constants {
                assert!(seen.insert(*name), "{name} is bound twice");
            }
        }
    }

    #[test]
    fn send_flags_match_steam() {
        assert_eq!(
            value_of("NETWORKING_SEND_UNRELIABLE"),
            Some(send_flags::UNRELIABLE.into())
        );
        assert_eq!(
            value_of("NETWORKING_SEND_NO_NAGLE"),
            Some(send_flags::NO_NAGLE.into())
        );
        assert_eq!(value_of("NETWORKING_SEND_URELIABLE_NO_NAGLE"), Some(1));
        assert_eq!(
            value_of("NETWORKING_SEND_NO_DELAY"),
            Some(send_flags::NO_DELAY.into())
        );
        assert_eq!(value_of("NETWORKING_SEND_UNRELIABLE_NO_DELAY"), Some(5));
        assert_eq!(
            value_of("NETWORKING_SEND_RELIABLE"),
            Some(send_flags::RELIABLE.into())
        );
        assert_eq!(value_of("NETWORKING_SEND_RELIABLE_NO_NAGLE"), Some(9));
        assert_eq!(
            value_of("NETWORKING_SEND_USE_CURRENT_THREAD"),
            Some(send_flags::USE_CURRENT_THREAD.into())
        );
        assert_eq!(
            value_of("NETWORKING_SEND_AUTORESTART_BROKEN_SESSION"),
            Some(send_flags::AUTORESTART_BROKEN_SESSION.into())
        );
    }

    #[test]
    fn max_packet_size_is_512_kib() {
        assert_eq!(
            value_of("MAX_STEAM_PACKET_SIZE"),
            Some(MAX_STEAM_PACKET_SIZE as i64)
        );
    }

    #[test]
    fn result_codes_used_by_the_backends_have_their_names() {
        for (name, code) in [
            ("RESULT_NONE", SteamResult::NONE),
            ("RESULT_OK", SteamResult::OK),
            ("RESULT_FAIL", SteamResult::FAIL),
            ("RESULT_NO_CONNECTION", SteamResult::NO_CONNECTION),
            ("RESULT_INVALID_PARAM", SteamResult::INVALID_PARAM),
            ("RESULT_INVALID_STATE", SteamResult::INVALID_STATE),
            ("RESULT_LIMIT_EXCEEDED", SteamResult::LIMIT_EXCEEDED),
            ("RESULT_CONNECT_FAILED", SteamResult::CONNECT_FAILED),
            ("RESULT_IGNORED", SteamResult::IGNORED),
        ] {
            assert_eq!(value_of(name), Some(code.0.into()), "{name}");
        }
    }

    #[test]
    fn connection_states_match_steam() {
        for (name, state) in [
            ("CONNECTION_STATE_NONE", ConnectionState::NONE),
            ("CONNECTION_STATE_CONNECTING", ConnectionState::CONNECTING),
            (
                "CONNECTION_STATE_FINDING_ROUTE",
                ConnectionState::FINDING_ROUTE,
            ),
            ("CONNECTION_STATE_CONNECTED", ConnectionState::CONNECTED),
            (
                "CONNECTION_STATE_CLOSED_BY_PEER",
                ConnectionState::CLOSED_BY_PEER,
            ),
            (
                "CONNECTION_STATE_PROBLEM_DETECTED_LOCALLY",
                ConnectionState::PROBLEM_DETECTED_LOCALLY,
            ),
            ("CONNECTION_STATE_FIN_WAIT", ConnectionState::FIN_WAIT),
            ("CONNECTION_STATE_LINGER", ConnectionState::LINGER),
            ("CONNECTION_STATE_DEAD", ConnectionState::DEAD),
        ] {
            assert_eq!(value_of(name), Some(state.0.into()), "{name}");
        }
    }

    #[test]
    fn init_results_match_steam() {
        assert_eq!(
            value_of("STEAM_API_INIT_RESULT_OK"),
            Some(InitStatus::Ok as i64)
        );
        assert_eq!(
            value_of("STEAM_API_INIT_RESULT_FAILED_GENERIC"),
            Some(InitStatus::FailedGeneric as i64)
        );
        assert_eq!(
            value_of("STEAM_API_INIT_RESULT_NO_STEAM_CLIENT"),
            Some(InitStatus::NoSteamClient as i64)
        );
        assert_eq!(
            value_of("STEAM_API_INIT_RESULT_VERSION_MISMATCH"),
            Some(InitStatus::VersionMismatch as i64)
        );
    }

    #[test]
    fn godotsteam_spelling_mistakes_are_kept() {
        assert_eq!(value_of("CONNECTION_END_REMOVE_MIN"), Some(4000));
        assert_eq!(value_of("CONNECTION_END_BAD_PROTOCOL_VERSION"), Some(4006));
        assert_eq!(value_of("CONNECTION_END_NO_PUBLIC_ADDRESS"), Some(3006));
        assert_eq!(
            value_of("CONNECTION_END_LOCAL_HOSTED_sERVER_PRIMARY_RELAY"),
            Some(3003)
        );
    }

    #[test]
    fn later_connection_end_reasons_are_bound() {
        for (name, value) in [
            ("CONNECTION_END_APP_GENERIC", 1000),
            ("CONNECTION_END_APP_EXCEPTION_GENERIC", 2000),
            ("CONNECTION_END_REMOTE_P2P_ICE_NO_PUBLIC_ADDRESSES", 4007),
            ("CONNECTION_END_MISC_P2P_RENDEZVOUS", 5008),
            ("CONNECTION_END_MISC_P2P_NAT_FIREWALL", 5009),
            ("CONNECTION_END_MISC_PEER_SENT_NO_CONNECTION", 5010),
        ] {
            assert_eq!(value_of(name), Some(value), "{name}");
        }
    }
}
