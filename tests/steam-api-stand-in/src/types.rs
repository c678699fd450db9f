//! Steam's C structs as the flat API passes them, declared again so that this library needs no Steam
//! bindings. Field names follow Steam's headers (`m_eType` is `identity_type`, and so on); the packing
//! follows the `#pragma pack` around each struct in Steam's headers on Linux (`VALVE_CALLBACK_PACK_SMALL`:
//! 4; the identity, address and Networking Messages callback structs: 1), and the tests compare every size
//! and offset with the bindings `steamworks-sys` generated from those headers.

// Steam's own type names (`SteamNetworkingMessage_t`, ...), so that code reads like the headers it mirrors.
#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_int, c_void};

/// `HSteamPipe`.
pub type HSteamPipe = i32;
/// `HSteamUser`.
pub type HSteamUser = i32;

/// `k_ESteamNetworkingIdentityType_Invalid`.
pub const IDENTITY_TYPE_INVALID: i32 = 0;
/// `k_ESteamNetworkingIdentityType_SteamID`.
pub const IDENTITY_TYPE_STEAM_ID: i32 = 16;
/// `k_ESteamNetworkingIdentityType_IPAddress`.
pub const IDENTITY_TYPE_IP_ADDRESS: i32 = 1;

/// `SteamNetworkingMessagesSessionRequest_t::k_iCallback`.
pub const SESSION_REQUEST_CALLBACK: c_int = 1251;
/// `SteamNetworkingMessagesSessionFailed_t::k_iCallback`.
pub const SESSION_FAILED_CALLBACK: c_int = 1252;

/// `CCallbackBase::k_ECallbackFlagsRegistered`: set by `SteamAPI_RegisterCallback`, cleared by
/// `SteamAPI_UnregisterCallback` (the SDK's destructors test it).
pub const CALLBACK_FLAG_REGISTERED: u8 = 0x01;
/// `CCallbackBase::k_ECallbackFlagsGameServer`: the object listens on the game server's pipe.
pub const CALLBACK_FLAG_GAME_SERVER: u8 = 0x02;

/// `ESteamAPIInitResult` values.
pub mod init_result {
    pub const OK: i32 = 0;
    pub const FAILED_GENERIC: i32 = 1;
    pub const NO_STEAM_CLIENT: i32 = 2;
}

/// Size of `SteamErrMsg`, the buffer `SteamAPI_InitFlat` writes its message into.
pub const ERR_MSG_SIZE: usize = 1024;

/// `SteamNetworkingIPAddr`: an IPv6 address (IPv4 as `::ffff:a.b.c.d`) and a port in host byte order.
#[repr(C, packed)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SteamNetworkingIPAddr {
    /// `m_ipv6` (or `m_ipv4`, the same bytes).
    pub ipv6: [u8; 16],
    /// `m_port`.
    pub port: u16,
}

/// `SteamNetworkingIdentity`: a type tag, the size of the data, and 128 bytes of union.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct SteamNetworkingIdentity {
    /// `m_eType` (`ESteamNetworkingIdentityType`).
    pub identity_type: i32,
    /// `m_cbSize`.
    pub size: c_int,
    /// The union: `m_steamID64` in its first 8 bytes (native byte order), `m_ip`, strings, ...
    pub data: [u8; 128],
}

impl Default for SteamNetworkingIdentity {
    /// The invalid identity (all zero), as `SteamNetworkingIdentity::Clear` leaves it.
    fn default() -> Self {
        Self {
            identity_type: IDENTITY_TYPE_INVALID,
            size: 0,
            data: [0; 128],
        }
    }
}

impl std::fmt::Debug for SteamNetworkingIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (identity_type, size) = (self.identity_type, self.size);
        f.debug_struct("SteamNetworkingIdentity")
            .field("identity_type", &identity_type)
            .field("size", &size)
            .finish_non_exhaustive()
    }
}

/// `SteamNetworkingMessage_t`: outside the headers' `pack(4)` region, so naturally aligned.
#[repr(C)]
#[derive(Debug)]
pub struct SteamNetworkingMessage_t {
    /// `m_pData`.
    pub data: *mut c_void,
    /// `m_cbSize`.
    pub size: c_int,
    /// `m_conn`: 0 for Networking Messages.
    pub connection: u32,
    /// `m_identityPeer`.
    pub identity_peer: SteamNetworkingIdentity,
    /// `m_nConnUserData`.
    pub connection_user_data: i64,
    /// `m_usecTimeReceived`.
    pub time_received_usec: i64,
    /// `m_nMessageNumber`.
    pub message_number: i64,
    /// `m_pfnFreeData`.
    pub free_data: Option<unsafe extern "C" fn(*mut SteamNetworkingMessage_t)>,
    /// `m_pfnRelease`: what `SteamNetworkingMessage_t::Release` calls.
    pub release: Option<unsafe extern "C" fn(*mut SteamNetworkingMessage_t)>,
    /// `m_nChannel`.
    pub channel: c_int,
    /// `m_nFlags`.
    pub flags: c_int,
    /// `m_nUserData`.
    pub user_data: i64,
    /// `m_idxLane`.
    pub lane: u16,
    /// `_pad1__`.
    pub pad: u16,
}

/// `SteamNetConnectionInfo_t` (696 bytes, `pack(4)`).
#[repr(C, packed(4))]
#[derive(Clone, Copy)]
pub struct SteamNetConnectionInfo_t {
    /// `m_identityRemote`.
    pub identity_remote: SteamNetworkingIdentity,
    /// `m_nUserData`.
    pub user_data: i64,
    /// `m_hListenSocket`.
    pub listen_socket: u32,
    /// `m_addrRemote`.
    pub address_remote: SteamNetworkingIPAddr,
    /// `m__pad1`.
    pub pad1: u16,
    /// `m_idPOPRemote`.
    pub pop_remote: u32,
    /// `m_idPOPRelay`.
    pub pop_relay: u32,
    /// `m_eState` (`ESteamNetworkingConnectionState`).
    pub state: c_int,
    /// `m_eEndReason`.
    pub end_reason: c_int,
    /// `m_szEndDebug`.
    pub end_debug: [c_char; 128],
    /// `m_szConnectionDescription`.
    pub connection_description: [c_char; 128],
    /// `m_nFlags`.
    pub flags: c_int,
    /// `reserved`.
    pub reserved: [u32; 63],
}

/// `SteamNetConnectionRealTimeStatus_t` (120 bytes, `pack(4)`).
#[repr(C, packed(4))]
#[derive(Clone, Copy, Debug)]
pub struct SteamNetConnectionRealTimeStatus_t {
    /// `m_eState`.
    pub state: c_int,
    /// `m_nPing`.
    pub ping: c_int,
    /// `m_flConnectionQualityLocal`.
    pub quality_local: f32,
    /// `m_flConnectionQualityRemote`.
    pub quality_remote: f32,
    /// `m_flOutPacketsPerSec`.
    pub out_packets_per_sec: f32,
    /// `m_flOutBytesPerSec`.
    pub out_bytes_per_sec: f32,
    /// `m_flInPacketsPerSec`.
    pub in_packets_per_sec: f32,
    /// `m_flInBytesPerSec`.
    pub in_bytes_per_sec: f32,
    /// `m_nSendRateBytesPerSecond`.
    pub send_rate_bytes_per_second: c_int,
    /// `m_cbPendingUnreliable`.
    pub pending_unreliable: c_int,
    /// `m_cbPendingReliable`.
    pub pending_reliable: c_int,
    /// `m_cbSentUnackedReliable`.
    pub sent_unacked_reliable: c_int,
    /// `m_usecQueueTime`.
    pub queue_time_usec: i64,
    /// `m_usecMaxJitter`: negative when there is no measurement.
    pub max_jitter_usec: i32,
    /// `reserved`.
    pub reserved: [u32; 15],
}

/// `SteamNetworkingMessagesSessionRequest_t` (callback 1251, `pack(1)`).
#[repr(C, packed)]
#[derive(Clone, Copy, Debug)]
pub struct SteamNetworkingMessagesSessionRequest_t {
    /// `m_identityRemote`.
    pub identity_remote: SteamNetworkingIdentity,
}

/// `SteamNetworkingMessagesSessionFailed_t` (callback 1252, `pack(1)`).
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct SteamNetworkingMessagesSessionFailed_t {
    /// `m_info`.
    pub info: SteamNetConnectionInfo_t,
}

/// `CallbackMsg_t`, what `SteamAPI_ManualDispatch_GetNextCallback` fills (`pack(4)`: 20 bytes).
#[repr(C, packed(4))]
#[derive(Clone, Copy, Debug)]
pub struct CallbackMsg_t {
    /// `m_hSteamUser`.
    pub steam_user: HSteamUser,
    /// `m_iCallback`.
    pub callback: c_int,
    /// `m_pubParam`: the callback struct, valid until `SteamAPI_ManualDispatch_FreeLastCallback`.
    pub param: *mut u8,
    /// `m_cubParam`.
    pub param_size: c_int,
}

/// The virtual functions of `CCallbackBase`, in declaration order: with the Itanium C++ ABI (Linux) an
/// object's vtable pointer points at the first of them, and a member function takes `this` as its first
/// argument under the C calling convention.
#[repr(C)]
pub struct CCallbackBaseVTable {
    /// `virtual void Run( void *pvParam )`: what `SteamAPI_RunCallbacks` calls for a callback.
    pub run: unsafe extern "C" fn(this: *mut CCallbackBase, param: *mut c_void),
    /// `virtual void Run( void *pvParam, bool bIOFailure, SteamAPICall_t hSteamAPICall )`: for call results.
    pub run_call_result: unsafe extern "C" fn(
        this: *mut CCallbackBase,
        param: *mut c_void,
        io_failure: bool,
        api_call: u64,
    ),
    /// `virtual int GetCallbackSizeBytes()`.
    pub callback_size_bytes: unsafe extern "C" fn(this: *mut CCallbackBase) -> c_int,
}

/// `CCallbackBase`, the C++ object behind `STEAM_CALLBACK` and `CCallback<>`: a vtable pointer, flags and
/// the callback ID.
#[repr(C)]
#[derive(Debug)]
pub struct CCallbackBase {
    /// The vtable pointer.
    pub vtable: *const CCallbackBaseVTable,
    /// `m_nCallbackFlags`.
    pub callback_flags: u8,
    /// `m_iCallback`.
    pub callback: c_int,
}

#[cfg(test)]
mod tests {
    use std::mem::{offset_of, size_of};

    use steamworks_sys as sys;

    use super::*;

    /// Asserts that two structs have the same size and that each listed field pair sits at the same offset.
    macro_rules! same_layout {
        ($ours:ty, $theirs:ty, [$(($a:ident, $b:ident)),* $(,)?]) => {{
            assert_eq!(
                size_of::<$ours>(),
                size_of::<$theirs>(),
                "size of {}",
                stringify!($theirs)
            );
            assert_eq!(
                std::mem::align_of::<$ours>(),
                std::mem::align_of::<$theirs>(),
                "alignment of {}",
                stringify!($theirs)
            );
            $(
                assert_eq!(
                    offset_of!($ours, $a),
                    offset_of!($theirs, $b),
                    "offset of {}::{}",
                    stringify!($theirs),
                    stringify!($b)
                );
            )*
        }};
    }

    #[test]
    fn address_and_identity_match_steams_layout() {
        same_layout!(
            SteamNetworkingIPAddr,
            sys::SteamNetworkingIPAddr,
            [(port, m_port)]
        );
        assert_eq!(size_of::<SteamNetworkingIPAddr>(), 18);
        same_layout!(
            SteamNetworkingIdentity,
            sys::SteamNetworkingIdentity,
            [
                (identity_type, m_eType),
                (size, m_cbSize),
                (data, __bindgen_anon_1)
            ]
        );
        assert_eq!(size_of::<SteamNetworkingIdentity>(), 136);
    }

    #[test]
    fn message_matches_steams_layout() {
        same_layout!(
            SteamNetworkingMessage_t,
            sys::SteamNetworkingMessage_t,
            [
                (data, m_pData),
                (size, m_cbSize),
                (connection, m_conn),
                (identity_peer, m_identityPeer),
                (connection_user_data, m_nConnUserData),
                (time_received_usec, m_usecTimeReceived),
                (message_number, m_nMessageNumber),
                (free_data, m_pfnFreeData),
                (release, m_pfnRelease),
                (channel, m_nChannel),
                (flags, m_nFlags),
                (user_data, m_nUserData),
                (lane, m_idxLane),
                (pad, _pad1__),
            ]
        );
    }

    #[test]
    fn connection_info_and_status_match_steams_layout() {
        same_layout!(
            SteamNetConnectionInfo_t,
            sys::SteamNetConnectionInfo_t,
            [
                (identity_remote, m_identityRemote),
                (user_data, m_nUserData),
                (listen_socket, m_hListenSocket),
                (address_remote, m_addrRemote),
                (pad1, m__pad1),
                (pop_remote, m_idPOPRemote),
                (pop_relay, m_idPOPRelay),
                (state, m_eState),
                (end_reason, m_eEndReason),
                (end_debug, m_szEndDebug),
                (connection_description, m_szConnectionDescription),
                (flags, m_nFlags),
                (reserved, reserved),
            ]
        );
        same_layout!(
            SteamNetConnectionRealTimeStatus_t,
            sys::SteamNetConnectionRealTimeStatus_t,
            [
                (state, m_eState),
                (ping, m_nPing),
                (quality_local, m_flConnectionQualityLocal),
                (quality_remote, m_flConnectionQualityRemote),
                (out_packets_per_sec, m_flOutPacketsPerSec),
                (out_bytes_per_sec, m_flOutBytesPerSec),
                (in_packets_per_sec, m_flInPacketsPerSec),
                (in_bytes_per_sec, m_flInBytesPerSec),
                (send_rate_bytes_per_second, m_nSendRateBytesPerSecond),
                (pending_unreliable, m_cbPendingUnreliable),
                (pending_reliable, m_cbPendingReliable),
                (sent_unacked_reliable, m_cbSentUnackedReliable),
                (queue_time_usec, m_usecQueueTime),
                (max_jitter_usec, m_usecMaxJitter),
                (reserved, reserved),
            ]
        );
    }

    #[test]
    fn session_callbacks_match_steams_layout() {
        same_layout!(
            SteamNetworkingMessagesSessionRequest_t,
            sys::SteamNetworkingMessagesSessionRequest_t,
            [(identity_remote, m_identityRemote)]
        );
        same_layout!(
            SteamNetworkingMessagesSessionFailed_t,
            sys::SteamNetworkingMessagesSessionFailed_t,
            [(info, m_info)]
        );
        assert_eq!(
            SESSION_REQUEST_CALLBACK,
            sys::SteamNetworkingMessagesSessionRequest_t_k_iCallback as c_int
        );
        assert_eq!(
            SESSION_FAILED_CALLBACK,
            sys::SteamNetworkingMessagesSessionFailed_t_k_iCallback as c_int
        );
    }

    #[test]
    fn dispatch_structs_match_steams_layout() {
        same_layout!(
            CallbackMsg_t,
            sys::CallbackMsg_t,
            [
                (steam_user, m_hSteamUser),
                (callback, m_iCallback),
                (param, m_pubParam),
                (param_size, m_cubParam),
            ]
        );
        same_layout!(
            CCallbackBase,
            sys::CCallbackBase,
            [
                (vtable, vtable_),
                (callback_flags, m_nCallbackFlags),
                (callback, m_iCallback),
            ]
        );
        assert_eq!(
            CALLBACK_FLAG_REGISTERED as u32,
            sys::CCallbackBase_k_ECallbackFlagsRegistered as u32
        );
        assert_eq!(
            CALLBACK_FLAG_GAME_SERVER as u32,
            sys::CCallbackBase_k_ECallbackFlagsGameServer as u32
        );
    }

    #[test]
    fn constants_match_steams() {
        assert_eq!(
            IDENTITY_TYPE_STEAM_ID,
            sys::ESteamNetworkingIdentityType::k_ESteamNetworkingIdentityType_SteamID as i32
        );
        assert_eq!(
            IDENTITY_TYPE_IP_ADDRESS,
            sys::ESteamNetworkingIdentityType::k_ESteamNetworkingIdentityType_IPAddress as i32
        );
        assert_eq!(size_of::<sys::SteamErrMsg>(), ERR_MSG_SIZE);
        assert_eq!(
            init_result::NO_STEAM_CLIENT,
            sys::ESteamAPIInitResult::k_ESteamAPIInitResult_NoSteamClient as i32
        );
    }
}
