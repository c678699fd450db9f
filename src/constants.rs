//! The constants GodotSteam binds for Networking Messages: names and values exactly as GodotSteam has them,
//! its spelling mistakes included, so GDScript copied from its documentation compiles.
//!
//! Where GodotSteam's documentation page and its C++ source spell a name differently (for example
//! `CONNECTION_END_MAX` and `CONNECTION_END_APP_MAX`), both names are bound with the same value.

/// A group of integer constants; `enum_name` is the GodotSteam enum they are bound under, if any. Each constant
/// is `(name, value, description)`; the description is what the editor's class reference shows for it.
#[derive(Debug)]
pub struct ConstantGroup {
    pub enum_name: Option<&'static str>,
    pub constants: &'static [(&'static str, i64, &'static str)],
}

/// The enums GodotSteam binds as flags (`BIND_BITFIELD_FLAG`) rather than as enum constants: their values are
/// combined, and GDScript and the class reference show them as a `BitField`.
const BITFIELD_ENUMS: &[&str] = &["PersonaChange", "ChatMemberStateChange"];

impl ConstantGroup {
    /// Whether this group is bound as a set of flags.
    pub fn is_bitfield(&self) -> bool {
        self.enum_name
            .is_some_and(|name| BITFIELD_ENUMS.contains(&name))
    }
}

/// Every constant the singleton binds, in GodotSteam's order.
pub const GROUPS: &[ConstantGroup] = &[
    // Plain constants in GodotSteam (BIND_CONSTANT), not an enum.
    ConstantGroup {
        enum_name: None,
        constants: &[
            (
                "NETWORKING_SEND_UNRELIABLE",
                0,
                "Send without delivery guarantee: the message may be lost or arrive out of order, never twice. Nagle's delay may batch it with others.",
            ),
            (
                "NETWORKING_SEND_NO_NAGLE",
                1,
                "Send at once instead of waiting briefly to batch with later messages (Nagle). Combine with [constant NETWORKING_SEND_UNRELIABLE] or [constant NETWORKING_SEND_RELIABLE].",
            ),
            (
                "NETWORKING_SEND_URELIABLE_NO_NAGLE",
                1,
                "GodotSteam's spelling of unreliable without Nagle's delay (same value as [constant NETWORKING_SEND_NO_NAGLE]); kept so copied scripts compile.",
            ),
            (
                "NETWORKING_SEND_NO_DELAY",
                4,
                "Drop the message rather than queue it if it cannot go out right away (for example while the session is still being set up). Only meaningful for unreliable messages.",
            ),
            (
                "NETWORKING_SEND_UNRELIABLE_NO_DELAY",
                5,
                "Unreliable, sent now or dropped: for data that is worthless a moment later, such as positions.",
            ),
            (
                "NETWORKING_SEND_RELIABLE",
                8,
                "Guaranteed, in-order delivery on the channel, retransmitted until acknowledged. Nagle's delay may batch it with others.",
            ),
            (
                "NETWORKING_SEND_RELIABLE_NO_NAGLE",
                9,
                "Reliable and sent at once, without waiting to batch with later messages.",
            ),
            (
                "NETWORKING_SEND_USE_CURRENT_THREAD",
                16,
                "Steam's hint to do the send work on the calling thread. Accepted and ignored by the local backend.",
            ),
            (
                "NETWORKING_SEND_AUTORESTART_BROKEN_SESSION",
                32,
                "If the session with the user failed or was closed, start a new one for this message instead of returning [constant RESULT_NO_CONNECTION]. Messages queued on the broken session are lost.",
            ),
            (
                "MAX_STEAM_PACKET_SIZE",
                524288,
                "Largest payload one message may carry, in bytes (512 KiB). [method sendMessageToUser] refuses larger ones with [constant RESULT_INVALID_PARAM].",
            ),
        ],
    },
    ConstantGroup {
        enum_name: Some("NetworkingConnectionEnd"),
        constants: &[
            (
                "CONNECTION_END_INVALID",
                0,
                "No reason: the session has not ended.",
            ),
            (
                "CONNECTION_END_APP_MIN",
                1000,
                "First reason code of the range an application may use for a normal end (1000 to 1999).",
            ),
            (
                "CONNECTION_END_APP_GENERIC",
                1000,
                "Closed by the application, normal end; the usual code when a game closes on purpose.",
            ),
            (
                "CONNECTION_END_APP_MAX",
                1999,
                "Last reason code of the application's normal-end range.",
            ),
            (
                "CONNECTION_END_MAX",
                1999,
                "GodotSteam's documentation name for [constant CONNECTION_END_APP_MAX] (same value).",
            ),
            (
                "CONNECTION_END_APP_EXCEPTION_MIN",
                2000,
                "First reason code of the range an application may use for an unusual end (2000 to 2999).",
            ),
            (
                "CONNECTION_END_APP_EXCEPTION_GENERIC",
                2000,
                "Closed by the application because something went wrong.",
            ),
            (
                "CONNECTION_END_APP_EXCEPTION_MAX",
                2999,
                "Last reason code of the application's unusual-end range.",
            ),
            (
                "CONNECTION_END_LOCAL_MIN",
                3000,
                "First reason code of problems found on this machine (3000 to 3999).",
            ),
            (
                "CONNECTION_END_LOCAL_OFFLINE_MODE",
                3001,
                "Steam is in offline mode here, so no connection can be made.",
            ),
            (
                "CONNECTION_END_LOCAL_MANY_RELAY_CONNECTIVITY",
                3002,
                "This machine cannot reach most of Steam's relays: its own network is likely down.",
            ),
            (
                "CONNECTION_END_LOCAL_HOSTED_SERVER_PRIMARY_RELAY",
                3003,
                "A hosted game server cannot reach the relay it depends on.",
            ),
            (
                "CONNECTION_END_LOCAL_HOSTED_sERVER_PRIMARY_RELAY",
                3003,
                "GodotSteam's misspelt name for [constant CONNECTION_END_LOCAL_HOSTED_SERVER_PRIMARY_RELAY] (same value); kept so copied scripts compile.",
            ),
            (
                "CONNECTION_END_LOCAL_NETWORK_CONFIG",
                3004,
                "Steam could not get the network configuration it needs.",
            ),
            (
                "CONNECTION_END_LOCAL_RIGHTS",
                3005,
                "This Steam account is not allowed to make the connection.",
            ),
            (
                "CONNECTION_END_NO_PUBLIC_ADDRESS",
                3006,
                "This machine has no public address for a direct peer-to-peer route (GodotSteam's name for Steam's local P2P ICE reason).",
            ),
            (
                "CONNECTION_END_LOCAL_MAX",
                3999,
                "Last reason code of the local-problem range.",
            ),
            (
                "CONNECTION_END_REMOVE_MIN",
                4000,
                "First reason code of problems with the remote side (4000 to 4999); GodotSteam's spelling of REMOTE_MIN.",
            ),
            (
                "CONNECTION_END_REMOTE_TIMEOUT",
                4001,
                "The remote side stopped answering after the session was up.",
            ),
            (
                "CONNECTION_END_REMOTE_BAD_CRYPT",
                4002,
                "The remote side's encryption handshake was invalid.",
            ),
            (
                "CONNECTION_END_REMOTE_BAD_CERT",
                4003,
                "The remote side's certificate was invalid or not trusted.",
            ),
            (
                "CONNECTION_END_REMOTE_NOT_LOGGED_IN",
                4004,
                "The remote user is not logged in to Steam.",
            ),
            (
                "CONNECTION_END_REMOTE_NOT_RUNNING_APP",
                4005,
                "The remote user is not running this game (wrong or no app ID).",
            ),
            (
                "CONNECTION_END_BAD_PROTOCOL_VERSION",
                4006,
                "The remote side speaks an incompatible protocol version (an old or newer client).",
            ),
            (
                "CONNECTION_END_REMOTE_P2P_ICE_NO_PUBLIC_ADDRESSES",
                4007,
                "The remote side has no public address for a direct peer-to-peer route.",
            ),
            (
                "CONNECTION_END_REMOTE_MAX",
                4999,
                "Last reason code of the remote-problem range.",
            ),
            (
                "CONNECTION_END_MISC_MIN",
                5000,
                "First reason code of other problems (5000 to 5999).",
            ),
            (
                "CONNECTION_END_MISC_GENERIC",
                5001,
                "A failure with no more precise reason.",
            ),
            (
                "CONNECTION_END_MISC_INTERNAL_ERROR",
                5002,
                "An internal error of the networking library.",
            ),
            (
                "CONNECTION_END_MISC_TIMEOUT",
                5003,
                "The session could not be set up in time, or the other side stopped answering (the local backend reports a silent peer this way).",
            ),
            (
                "CONNECTION_END_MISC_RELAY_CONNECTIVITY",
                5004,
                "Steam's relay network could not be reached.",
            ),
            (
                "CONNECTION_END_MISC_STEAM_CONNECTIVITY",
                5005,
                "The Steam servers could not be reached.",
            ),
            (
                "CONNECTION_END_MISC_NO_RELAY_SESSIONS_TO_CLIENT",
                5006,
                "A server has no relay session to the client that wanted to connect.",
            ),
            (
                "CONNECTION_END_MISC_P2P_RENDEZVOUS",
                5008,
                "The two peers could not be introduced to each other through Steam's signalling.",
            ),
            (
                "CONNECTION_END_MISC_P2P_NAT_FIREWALL",
                5009,
                "A direct route failed because of NAT or firewall rules, and relays were not allowed.",
            ),
            (
                "CONNECTION_END_MISC_PEER_SENT_NO_CONNECTION",
                5010,
                "The peer answered that it has no such session, for example because it restarted; resend with [constant NETWORKING_SEND_AUTORESTART_BROKEN_SESSION] to start a new one.",
            ),
            (
                "CONNECTION_END_MISC_MAX",
                5999,
                "Last reason code of the other-problems range.",
            ),
            (
                "CONNECTION_END_FORCE32BIT",
                2147483647,
                "Steam's marker that keeps the enumeration 32 bits wide; never reported.",
            ),
        ],
    },
    ConstantGroup {
        enum_name: Some("NetworkingConnectionState"),
        constants: &[
            ("CONNECTION_STATE_NONE", 0, "No session with the user."),
            (
                "CONNECTION_STATE_CONNECTING",
                1,
                "The session is being set up: the first message was sent and the other side has not answered yet, or its request waits for [method acceptSessionWithUser].",
            ),
            (
                "CONNECTION_STATE_FINDING_ROUTE",
                2,
                "Steam is looking for a route through its relays or a direct path.",
            ),
            (
                "CONNECTION_STATE_CONNECTED",
                3,
                "The session is up: messages flow both ways.",
            ),
            (
                "CONNECTION_STATE_CLOSED_BY_PEER",
                4,
                "The other side closed the session (or refused it) before we closed ours.",
            ),
            (
                "CONNECTION_STATE_PROBLEM_DETECTED_LOCALLY",
                5,
                "The session failed on our side: a timeout or a network problem. [signal network_messages_session_failed] says why.",
            ),
            (
                "CONNECTION_STATE_FIN_WAIT",
                -1,
                "Steam-internal: closing, waiting for the last data to go out. Never returned to scripts.",
            ),
            (
                "CONNECTION_STATE_LINGER",
                -2,
                "Steam-internal: closed but flushing. Never returned to scripts.",
            ),
            (
                "CONNECTION_STATE_DEAD",
                -3,
                "Steam-internal: the session object is dead. Never returned to scripts.",
            ),
            (
                "CONNECTION_STATE_FORCE_32BIT",
                2147483647,
                "Steam's marker that keeps the enumeration 32 bits wide; never reported.",
            ),
        ],
    },
    ConstantGroup {
        enum_name: Some("NetworkingIdentityType"),
        constants: &[
            ("IDENTITY_TYPE_INVALID", 0, "An empty or invalid identity."),
            (
                "IDENTITY_TYPE_STEAMID",
                16,
                "A Steam user or game server, by 64-bit Steam ID: the only kind Networking Messages sessions use.",
            ),
            (
                "IDENTITY_TYPE_IP_ADDRESS",
                1,
                "An identity that is an IP address.",
            ),
            (
                "IDENTITY_TYPE_GENERIC_STRING",
                2,
                "An application-defined identity string.",
            ),
            (
                "IDENTITY_TYPE_GENERIC_BYTES",
                3,
                "Application-defined identity bytes.",
            ),
            (
                "IDENTITY_TYPE_UNKNOWN_TYPE",
                4,
                "An identity of a kind this version does not know.",
            ),
            (
                "IDENTITY_TYPE_XBOX_PAIRWISE",
                17,
                "An Xbox pairwise identity.",
            ),
            (
                "IDENTITY_TYPE_SONY_PSN",
                18,
                "A PlayStation Network identity.",
            ),
            (
                "IDENTITY_TYPE_FORCE_32BIT",
                2147483647,
                "Steam's marker that keeps the enumeration 32 bits wide; never used.",
            ),
        ],
    },
    ConstantGroup {
        enum_name: Some("SteamAPIInitResult"),
        constants: &[
            (
                "STEAM_API_INIT_RESULT_OK",
                0,
                "Steam (or the local backend) started.",
            ),
            (
                "STEAM_API_INIT_RESULT_FAILED_GENERIC",
                1,
                "Steam could not start for a reason not covered below; the [code]verbal[/code] text says which.",
            ),
            (
                "STEAM_API_INIT_RESULT_NO_STEAM_CLIENT",
                2,
                "No running Steam client for this user. To develop without Steam, select the local backend in Project Settings.",
            ),
            (
                "STEAM_API_INIT_RESULT_VERSION_MISMATCH",
                3,
                "The Steam client is older than the Steam API library shipped with the game.",
            ),
        ],
    },
    ConstantGroup {
        enum_name: Some("Result"),
        constants: &[
            (
                "RESULT_NONE",
                0,
                "No result: returned by calls made before [method steamInitEx] succeeded.",
            ),
            (
                "RESULT_OK",
                1,
                "Success: for [method sendMessageToUser], the message was queued.",
            ),
            ("RESULT_FAIL", 2, "Generic failure."),
            (
                "RESULT_NO_CONNECTION",
                3,
                "No session, or the session with the user is broken (send with [constant NETWORKING_SEND_AUTORESTART_BROKEN_SESSION] to start a new one).",
            ),
            ("RESULT_INVALID_PASSWORD", 5, "Wrong password or ticket."),
            (
                "RESULT_LOGGED_IN_ELSEWHERE",
                6,
                "The user is logged in somewhere else.",
            ),
            (
                "RESULT_INVALID_PROTOCOL_VER",
                7,
                "Incompatible protocol version.",
            ),
            (
                "RESULT_INVALID_PARAM",
                8,
                "An argument was not valid: a negative channel, bad flags, a payload over [constant MAX_STEAM_PACKET_SIZE].",
            ),
            ("RESULT_FILE_NOT_FOUND", 9, "A file was not found."),
            (
                "RESULT_BUSY",
                10,
                "The called method is busy; nothing was done.",
            ),
            (
                "RESULT_INVALID_STATE",
                11,
                "The object is in a state that does not allow the call.",
            ),
            ("RESULT_INVALID_NAME", 12, "A name was not valid."),
            (
                "RESULT_INVALID_EMAIL",
                13,
                "An e-mail address was not valid.",
            ),
            ("RESULT_DUPLICATE_NAME", 14, "A name is already taken."),
            ("RESULT_ACCESS_DENIED", 15, "Access was denied."),
            ("RESULT_TIMEOUT", 16, "The operation timed out."),
            ("RESULT_BANNED", 17, "The user is VAC-banned."),
            ("RESULT_ACCOUNT_NOT_FOUND", 18, "No such account."),
            (
                "RESULT_INVALID_STEAMID",
                19,
                "The Steam ID is not valid, or not a user's or game server's.",
            ),
            (
                "RESULT_SERVICE_UNAVAILABLE",
                20,
                "The service is not available right now.",
            ),
            ("RESULT_NOT_LOGGED_ON", 21, "The user is not logged on."),
            (
                "RESULT_PENDING",
                22,
                "The request is still being processed.",
            ),
            (
                "RESULT_ENCRYPTION_FAILURE",
                23,
                "Encryption or decryption failed.",
            ),
            ("RESULT_INSUFFICIENT_PRIVILEGE", 24, "Not enough privilege."),
            (
                "RESULT_LIMIT_EXCEEDED",
                25,
                "A limit was exceeded: for [method sendMessageToUser], too much data is already queued for the user.",
            ),
            ("RESULT_REVOKED", 26, "Access was revoked."),
            ("RESULT_EXPIRED", 27, "A licence or guest pass has expired."),
            (
                "RESULT_ALREADY_REDEEMED",
                28,
                "The guest pass was already redeemed.",
            ),
            (
                "RESULT_DUPLICATE_REQUEST",
                29,
                "The request duplicates one in progress; ignored.",
            ),
            ("RESULT_ALREADY_OWNED", 30, "The user already owns this."),
            ("RESULT_IP_NOT_FOUND", 31, "The IP address was not found."),
            ("RESULT_PERSIST_FAILED", 32, "Saving a change failed."),
            ("RESULT_LOCKING_FAILED", 33, "Acquiring a lock failed."),
            (
                "RESULT_LOG_ON_SESSION_REPLACED",
                34,
                "The log-on session was replaced.",
            ),
            ("RESULT_CONNECT_FAILED", 35, "Connecting failed."),
            (
                "RESULT_HANDSHAKE_FAILED",
                36,
                "The authentication handshake failed.",
            ),
            ("RESULT_IO_FAILURE", 37, "A generic input/output failure."),
            (
                "RESULT_REMOTE_DISCONNECT",
                38,
                "The remote side disconnected.",
            ),
            (
                "RESULT_SHOPPING_CART_NOT_FOUND",
                39,
                "The shopping cart was not found.",
            ),
            ("RESULT_BLOCKED", 40, "A user blocked the action."),
            ("RESULT_IGNORED", 41, "The target is ignoring the sender."),
            ("RESULT_NO_MATCH", 42, "Nothing matched the request."),
            ("RESULT_ACCOUNT_DISABLED", 43, "The account is disabled."),
            (
                "RESULT_SERVICE_READ_ONLY",
                44,
                "The service is read-only right now.",
            ),
            (
                "RESULT_ACCOUNT_NOT_FEATURED",
                45,
                "The account does not have the required feature.",
            ),
            (
                "RESULT_ADMINISTRATOR_OK",
                46,
                "Allowed only because the requester is an administrator.",
            ),
            (
                "RESULT_CONTENT_VERSION",
                47,
                "The content version does not match.",
            ),
            (
                "RESULT_TRY_ANOTHER_CM",
                48,
                "The connection manager cannot serve the user; try another one.",
            ),
            (
                "RESULT_PASSWORD_REQUIRED_TO_KICK_SESSION",
                49,
                "The user is logged in elsewhere; a password is needed to end that session.",
            ),
            (
                "RESULT_ALREADY_LOGGED_IN_ELSEWHERE",
                50,
                "The user is logged in elsewhere; wait and retry.",
            ),
            ("RESULT_SUSPENDED", 51, "The operation is suspended."),
            ("RESULT_CANCELLED", 52, "The operation was cancelled."),
            ("RESULT_DATA_CORRUPTION", 53, "Data was found corrupted."),
            ("RESULT_DISK_FULL", 54, "Not enough disk space."),
            (
                "RESULT_REMOTE_CALL_FAILED",
                55,
                "A remote call or its result failed.",
            ),
            (
                "RESULT_PASSWORD_UNSET",
                56,
                "No password has been set for the account.",
            ),
            (
                "RESULT_EXTERNAL_ACCOUNT_UNLINKED",
                57,
                "The external account is not linked to a Steam account.",
            ),
            (
                "RESULT_PSN_TICKET_INVALID",
                58,
                "The PlayStation Network ticket is not valid.",
            ),
            (
                "RESULT_EXTERNAL_ACCOUNT_ALREADY_LINKED",
                59,
                "The external account is already linked to another Steam account.",
            ),
            (
                "RESULT_REMOTE_FILE_CONFLICT",
                60,
                "Local and remote files conflict.",
            ),
            (
                "RESULT_ILLEGAL_PASSWORD",
                61,
                "The new password is not allowed.",
            ),
            (
                "RESULT_SAME_AS_PREVIOUS_VALUE",
                62,
                "The new value is the same as the old one.",
            ),
            (
                "RESULT_ACCOUNT_LOG_ON_DENIED",
                63,
                "Log-on was denied pending a second-factor code.",
            ),
            (
                "RESULT_CANNOT_USE_OLD_PASSWORD",
                64,
                "The new password may not be an old one.",
            ),
            (
                "RESULT_INVALID_LOG_IN_AUTH_CODE",
                65,
                "The log-in code is not valid.",
            ),
            (
                "RESULT_ACCOUNT_LOG_ON_DENIED_NO_MAIL",
                66,
                "Log-on was denied and no e-mail could be sent for the code.",
            ),
            (
                "RESULT_HARDWARE_NOT_CAPABLE_OF_IPT",
                67,
                "The hardware cannot do Intel Identity Protection Technology.",
            ),
            (
                "RESULT_IPT_INIT_ERROR",
                68,
                "Intel Identity Protection Technology failed to start.",
            ),
            (
                "RESULT_PARENTAL_CONTROL_RESTRICTED",
                69,
                "Parental controls forbid the operation.",
            ),
            (
                "RESULT_FACEBOOK_QUERY_ERROR",
                70,
                "A Facebook query failed.",
            ),
            (
                "RESULT_EXPIRED_LOGIN_AUTH_CODE",
                71,
                "The log-in code has expired.",
            ),
            (
                "RESULT_IP_LOGIN_RESTRICTION_FAILED",
                72,
                "Log-on from this IP address is restricted.",
            ),
            (
                "RESULT_ACCOUNT_LOCKED_DOWN",
                73,
                "The account is locked down for security.",
            ),
            (
                "RESULT_ACCOUNT_LOG_ON_DENIED_VERIFIED_EMAIL_REQUIRED",
                74,
                "Log-on needs a verified e-mail address.",
            ),
            ("RESULT_NO_MATCHING_URL", 75, "No URL matched."),
            ("RESULT_BAD_RESPONSE", 76, "A response was malformed."),
            (
                "RESULT_REQUIRE_PASSWORD_REENTRY",
                77,
                "The user must enter the password again.",
            ),
            ("RESULT_VALUE_OUT_OF_RANGE", 78, "A value was out of range."),
            (
                "RESULT_UNEXPECTED_ERROR",
                79,
                "Something unexpected happened.",
            ),
            ("RESULT_DISABLED", 80, "The service is disabled."),
            (
                "RESULT_INVALID_CEG_SUBMISSION",
                81,
                "The CEG submission was not valid.",
            ),
            ("RESULT_RESTRICTED_DEVICE", 82, "The device is restricted."),
            ("RESULT_REGION_LOCKED", 83, "Not available in this region."),
            (
                "RESULT_RATE_LIMIT_EXCEEDED",
                84,
                "Too many requests: rate limited for now.",
            ),
            (
                "RESULT_ACCOUNT_LOGIN_DENIED_NEED_TWO_FACTOR",
                85,
                "Log-on needs a two-factor code.",
            ),
            ("RESULT_ITEM_DELETED", 86, "The item was deleted."),
            (
                "RESULT_ACCOUNT_LOGIN_DENIED_THROTTLE",
                87,
                "Too many log-on attempts: throttled.",
            ),
            (
                "RESULT_TWO_FACTOR_CODE_MISMATCH",
                88,
                "The two-factor code is wrong.",
            ),
            (
                "RESULT_TWO_FACTOR_ACTIVATION_CODE_MISMATCH",
                89,
                "The two-factor activation code is wrong.",
            ),
            (
                "RESULT_ACCOUNT_ASSOCIATED_TO_MULTIPLE_PARTNERS",
                90,
                "The account is tied to several partners.",
            ),
            ("RESULT_NOT_MODIFIED", 91, "Nothing changed."),
            (
                "RESULT_NO_MOBILE_DEVICE",
                92,
                "The account has no mobile device.",
            ),
            (
                "RESULT_TIME_NOT_SYNCED",
                93,
                "The clocks are too far apart.",
            ),
            ("RESULT_SMS_CODE_FAILED", 94, "The SMS code check failed."),
            (
                "RESULT_ACCOUNT_LIMIT_EXCEEDED",
                95,
                "Too many accounts use this resource.",
            ),
            (
                "RESULT_ACCOUNT_ACTIVITY_LIMIT_EXCEEDED",
                96,
                "Too many changes on this account.",
            ),
            (
                "RESULT_PHONE_ACTIVITY_LIMIT_EXCEEDED",
                97,
                "Too many changes to this phone number.",
            ),
            (
                "RESULT_REFUND_TO_WALLET",
                98,
                "The refund goes to the Steam wallet instead.",
            ),
            (
                "RESULT_EMAIL_SEND_FAILURE",
                99,
                "An e-mail could not be sent.",
            ),
            (
                "RESULT_NOT_SETTLED",
                100,
                "The payment has not settled yet.",
            ),
            ("RESULT_NEED_CAPTCHA", 101, "A captcha must be solved."),
            (
                "RESULT_GSLT_DENIED",
                102,
                "The game server log-on token was denied.",
            ),
            (
                "RESULT_GS_OWNER_DENIED",
                103,
                "The game server owner is denied.",
            ),
            (
                "RESULT_INVALID_ITEM_TYPE",
                104,
                "The item type is not valid.",
            ),
            ("RESULT_IP_BANNED", 105, "The IP address is banned."),
            (
                "RESULT_GSLT_EXPIRED",
                106,
                "The game server log-on token has expired.",
            ),
            ("RESULT_INSUFFICIENT_FUNDS", 107, "Not enough funds."),
            (
                "RESULT_TOO_MANY_PENDING",
                108,
                "Too many operations are pending.",
            ),
            (
                "RESULT_NO_SITE_LICENSES_FOUND",
                109,
                "No site licence was found.",
            ),
            (
                "RESULT_WG_NETWORK_SEND_EXCEEDED",
                110,
                "The WG network send limit was exceeded.",
            ),
            (
                "RESULT_ACCOUNT_NOT_FRIENDS",
                111,
                "The accounts are not friends.",
            ),
            (
                "RESULT_LIMITED_USER_ACCOUNT",
                112,
                "Limited user accounts cannot do this.",
            ),
            (
                "RESULT_CANT_REMOVE_ITEM",
                113,
                "The item cannot be removed.",
            ),
            ("RESULT_ACCOUNT_DELETED", 114, "The account was deleted."),
            (
                "RESULT_EXISTING_USER_CANCELLED_LICENSE",
                115,
                "The user cancelled the licence.",
            ),
            (
                "RESULT_COMMUNITY_COOLDOWN",
                116,
                "A community cool-down is in force.",
            ),
            (
                "RESULT_NO_LAUNCHER_SPECIFIED",
                117,
                "No launcher was given.",
            ),
            (
                "RESULT_MUST_AGREE_TO_SSA",
                118,
                "The user must accept the Steam Subscriber Agreement first.",
            ),
            (
                "RESULT_LAUNCHER_MIGRATED",
                119,
                "The launcher has moved; use the new one.",
            ),
            (
                "RESULT_STEAM_REALM_MISMATCH",
                120,
                "The Steam realm does not match.",
            ),
            (
                "RESULT_INVALID_SIGNATURE",
                121,
                "A signature was not valid.",
            ),
            ("RESULT_PARSE_FAILURE", 122, "Parsing failed."),
            (
                "RESULT_NO_VERIFIED_PHONE",
                123,
                "The account has no verified phone number.",
            ),
            (
                "RESULT_INSUFFICIENT_BATTERY",
                124,
                "The device's battery is too low.",
            ),
            (
                "RESULT_CHARGER_REQUIRED",
                125,
                "The device must be charging.",
            ),
            (
                "RESULT_CACHED_CREDENTIAL_INVALID",
                126,
                "The cached credential is no longer valid.",
            ),
            (
                "RESULT_PHONE_NUMBER_IS_VOIP",
                127,
                "VoIP phone numbers are not accepted.",
            ),
            (
                "RESULT_NOT_SUPPORTED",
                128,
                "The operation is not supported.",
            ),
            (
                "RESULT_FAMILY_SIZE_LIMIT_EXCEEDED",
                129,
                "The Steam family is full.",
            ),
            (
                "RESULT_OFFLINE_APP_CACHE_INVALID",
                130,
                "The offline app cache is not valid.",
            ),
        ],
    },
    ConstantGroup {
        enum_name: Some("PersonaChange"),
        constants: &[
            (
                "PERSONA_CHANGE_NAME",
                0x0001,
                "The user's persona name changed or arrived.",
            ),
            (
                "PERSONA_CHANGE_STATUS",
                0x0002,
                "The user's online status changed (Steam only).",
            ),
            (
                "PERSONA_CHANGE_COME_ONLINE",
                0x0004,
                "The user came online (Steam only).",
            ),
            (
                "PERSONA_CHANGE_GONE_OFFLINE",
                0x0008,
                "The user went offline (Steam only).",
            ),
            (
                "PERSONA_CHANGE_GAME_PLAYED",
                0x0010,
                "The game the user plays changed (Steam only).",
            ),
            (
                "PERSONA_CHANGE_GAME_SERVER",
                0x0020,
                "The server the user plays on changed (Steam only).",
            ),
            (
                "PERSONA_CHANGE_AVATAR",
                0x0040,
                "The user's avatar changed (Steam only).",
            ),
            (
                "PERSONA_CHANGE_JOINED_SOURCE",
                0x0080,
                "The user joined a source (Steam only).",
            ),
            (
                "PERSONA_CHANGE_LEFT_SOURCE",
                0x0100,
                "The user left a source (Steam only).",
            ),
            (
                "PERSONA_CHANGE_RELATIONSHIP_CHANGED",
                0x0200,
                "The friendship changed (Steam only).",
            ),
            (
                "PERSONA_CHANGE_NAME_FIRST_SET",
                0x0400,
                "The user's persona name arrived for the first time; comes with [constant PERSONA_CHANGE_NAME].",
            ),
            (
                "PERSONA_CHANGE_FACEBOOK_INFO",
                0x0800,
                "Steam's broadcast flag, under GodotSteam's name (Steam only).",
            ),
            (
                "PERSONA_CHANGE_NICKNAME",
                0x1000,
                "The nickname you gave the user changed (Steam only).",
            ),
            (
                "PERSONA_CHANGE_STEAM_LEVEL",
                0x2000,
                "The user's Steam level changed (Steam only).",
            ),
            (
                "PERSONA_CHANGE_RICH_PRESENCE",
                0x4000,
                "The user's rich presence changed (Steam only).",
            ),
        ],
    },
    // ---- Matchmaking (lobbies, offered on the local backend) ----
    ConstantGroup {
        enum_name: None,
        constants: &[
            (
                "MAX_LOBBY_KEY_LENGTH",
                255,
                "Longest key of lobby or member data, in bytes.",
            ),
            (
                "CHAT_METADATA_MAX",
                8192,
                "Size limit of a lobby or member data value, in bytes, its terminating zero included.",
            ),
        ],
    },
    ConstantGroup {
        enum_name: Some("LobbyType"),
        constants: &[
            (
                "LOBBY_TYPE_PRIVATE",
                0,
                "Only joinable by invitation or by its ID; never in searches.",
            ),
            (
                "LOBBY_TYPE_FRIENDS_ONLY",
                1,
                "Shown to friends; never in searches (offline, joinable by its ID).",
            ),
            ("LOBBY_TYPE_PUBLIC", 2, "Shown in searches and to friends."),
            (
                "LOBBY_TYPE_INVISIBLE",
                3,
                "Shown in searches, not to friends.",
            ),
            (
                "LOBBY_TYPE_PRIVATE_UNIQUE",
                4,
                "A private lobby Steam keeps unique per user; created by Steam's web API.",
            ),
        ],
    },
    ConstantGroup {
        enum_name: Some("LobbyComparison"),
        constants: &[
            (
                "LOBBY_COMPARISON_EQUAL_TO_OR_LESS_THAN",
                -2,
                "The lobby's value is at most the filter's.",
            ),
            (
                "LOBBY_COMPARISON_LESS_THAN",
                -1,
                "The lobby's value is below the filter's.",
            ),
            (
                "LOBBY_COMPARISON_EQUAL",
                0,
                "The lobby's value is the filter's.",
            ),
            (
                "LOBBY_COMPARISON_GREATER_THAN",
                1,
                "The lobby's value is above the filter's.",
            ),
            (
                "LOBBY_COMPARISON_EQUAL_TO_GREATER_THAN",
                2,
                "The lobby's value is at least the filter's (GodotSteam's name).",
            ),
            (
                "LOBBY_COMPARISON_NOT_EQUAL",
                3,
                "The lobby's value is not the filter's.",
            ),
        ],
    },
    ConstantGroup {
        enum_name: Some("LobbyDistanceFilter"),
        constants: &[
            (
                "LOBBY_DISTANCE_FILTER_CLOSE",
                0,
                "Same region only. Offline, every instance in sight is close.",
            ),
            (
                "LOBBY_DISTANCE_FILTER_DEFAULT",
                1,
                "Same or nearby regions.",
            ),
            ("LOBBY_DISTANCE_FILTER_FAR", 2, "Half the world."),
            ("LOBBY_DISTANCE_FILTER_WORLDWIDE", 3, "Anywhere."),
        ],
    },
    ConstantGroup {
        enum_name: Some("ChatRoomEnterResponse"),
        constants: &[
            ("CHAT_ROOM_ENTER_RESPONSE_SUCCESS", 1, "Entered the lobby."),
            (
                "CHAT_ROOM_ENTER_RESPONSE_DOESNT_EXIST",
                2,
                "No such lobby (or it is gone).",
            ),
            (
                "CHAT_ROOM_ENTER_RESPONSE_NOT_ALLOWED",
                3,
                "The lobby is not joinable.",
            ),
            (
                "CHAT_ROOM_ENTER_RESPONSE_FULL",
                4,
                "The lobby has as many members as it takes.",
            ),
            (
                "CHAT_ROOM_ENTER_RESPONSE_ERROR",
                5,
                "Something went wrong (the owner did not answer).",
            ),
            (
                "CHAT_ROOM_ENTER_RESPONSE_BANNED",
                6,
                "Banned from the lobby.",
            ),
            (
                "CHAT_ROOM_ENTER_RESPONSE_LIMITED",
                7,
                "A limited account cannot join.",
            ),
            (
                "CHAT_ROOM_ENTER_RESPONSE_CLAN_DISABLED",
                8,
                "The clan's chat is disabled.",
            ),
            (
                "CHAT_ROOM_ENTER_RESPONSE_COMMUNITY_BAN",
                9,
                "Banned from the Steam community.",
            ),
            (
                "CHAT_ROOM_ENTER_RESPONSE_MEMBER_BLOCKED_YOU",
                10,
                "A member blocked this player.",
            ),
            (
                "CHAT_ROOM_ENTER_RESPONSE_YOU_BLOCKED_MEMBER",
                11,
                "This player blocked a member.",
            ),
            (
                "CHAT_ROOM_ENTER_RESPONSE_RATE_LIMIT_EXCEEDED",
                15,
                "Too many joins in too little time.",
            ),
        ],
    },
    ConstantGroup {
        enum_name: Some("ChatMemberStateChange"),
        constants: &[
            (
                "CHAT_MEMBER_STATE_CHANGE_ENTERED",
                0x1,
                "The member entered.",
            ),
            ("CHAT_MEMBER_STATE_CHANGE_LEFT", 0x2, "The member left."),
            (
                "CHAT_MEMBER_STATE_CHANGE_DISCONNECTED",
                0x4,
                "The member's game vanished without leaving.",
            ),
            (
                "CHAT_MEMBER_STATE_CHANGE_KICKED",
                0x8,
                "The member was kicked.",
            ),
            (
                "CHAT_MEMBER_STATE_CHANGE_BANNED",
                0x10,
                "The member was banned.",
            ),
        ],
    },
    ConstantGroup {
        enum_name: Some("ChatEntryType"),
        constants: &[
            ("CHAT_ENTRY_TYPE_INVALID", 0, "Not a chat entry."),
            (
                "CHAT_ENTRY_TYPE_CHAT_MSG",
                1,
                "A chat message: what [signal lobby_message] brings.",
            ),
            ("CHAT_ENTRY_TYPE_TYPING", 2, "Someone is typing."),
            ("CHAT_ENTRY_TYPE_INVITE_GAME", 3, "An invitation to a game."),
            ("CHAT_ENTRY_TYPE_EMOTE", 4, "An emote."),
            (
                "CHAT_ENTRY_TYPE_LEFT_CONVERSATION",
                6,
                "Someone left the conversation.",
            ),
            (
                "CHAT_ENTRY_TYPE_ENTERED",
                7,
                "Someone entered the conversation.",
            ),
            ("CHAT_ENTRY_TYPE_WAS_KICKED", 8, "Someone was kicked."),
            ("CHAT_ENTRY_TYPE_WAS_BANNED", 9, "Someone was banned."),
            ("CHAT_ENTRY_TYPE_DISCONNECTED", 10, "Someone disconnected."),
            (
                "CHAT_ENTRY_TYPE_HISTORICAL_CHAT",
                11,
                "A message from before this player joined.",
            ),
            (
                "CHAT_ENTRY_TYPE_LINK_BLOCKED",
                14,
                "A link was removed by the chat filter.",
            ),
        ],
    },
];
/// The value of a bound constant, by name.
pub fn value_of(name: &str) -> Option<i64> {
    GROUPS
        .iter()
        .flat_map(|group| group.constants.iter())
        .find(|(constant, _, _)| *constant == name)
        .map(|&(_, value, _)| value)
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
            for (name, _, _) in group.constants {
                assert!(seen.insert(*name), "{name} is bound twice");
            }
        }
    }

    #[test]
    fn every_constant_is_described_for_the_class_reference() {
        for group in GROUPS {
            for (name, _, description) in group.constants {
                assert!(!description.trim().is_empty(), "{name} has no description");
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
    fn persona_changes_are_steams_flags() {
        use crate::steam_types::persona_change;
        for (name, value) in [
            ("PERSONA_CHANGE_NAME", persona_change::NAME),
            (
                "PERSONA_CHANGE_NAME_FIRST_SET",
                persona_change::NAME_FIRST_SET,
            ),
            (
                "PERSONA_CHANGE_FACEBOOK_INFO",
                persona_change::FACEBOOK_INFO,
            ),
            (
                "PERSONA_CHANGE_RICH_PRESENCE",
                persona_change::RICH_PRESENCE,
            ),
        ] {
            assert_eq!(value_of(name), Some(i64::from(value)), "{name}");
        }
    }

    #[test]
    fn lobby_constants_are_steams_values() {
        use crate::lobby::{enter_response, lobby_type, member_state, search::comparison};
        for (name, value) in [
            ("LOBBY_TYPE_PUBLIC", i64::from(lobby_type::PUBLIC)),
            ("LOBBY_TYPE_INVISIBLE", i64::from(lobby_type::INVISIBLE)),
            (
                "LOBBY_COMPARISON_EQUAL_TO_OR_LESS_THAN",
                i64::from(comparison::EQUAL_TO_OR_LESS_THAN),
            ),
            (
                "LOBBY_COMPARISON_EQUAL_TO_GREATER_THAN",
                i64::from(comparison::EQUAL_TO_OR_GREATER_THAN),
            ),
            (
                "LOBBY_COMPARISON_NOT_EQUAL",
                i64::from(comparison::NOT_EQUAL),
            ),
            (
                "CHAT_ROOM_ENTER_RESPONSE_FULL",
                i64::from(enter_response::FULL),
            ),
            (
                "CHAT_MEMBER_STATE_CHANGE_DISCONNECTED",
                i64::from(member_state::DISCONNECTED),
            ),
            (
                "CHAT_ENTRY_TYPE_CHAT_MSG",
                i64::from(crate::lobby::CHAT_ENTRY_TYPE_CHAT_MSG),
            ),
            (
                "MAX_LOBBY_KEY_LENGTH",
                crate::lobby::limits::MAX_KEY_BYTES as i64,
            ),
        ] {
            assert_eq!(value_of(name), Some(value), "{name}");
        }
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
