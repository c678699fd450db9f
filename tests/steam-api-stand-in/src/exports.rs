//! The flat Steamworks C functions this library exports, under Steam's names and signatures
//! (`steam_api.h`, `steam_api_internal.h`, `steam_api_flat.h`). Each is a thin shell around
//! [`crate::stand_in`]: it turns the stand-in's `Fatal` answers, and any panic, into a message on stderr
//! and an abort, so that nothing a real Steam would crash on, and nothing the stand-in gets wrong, passes
//! silently or unwinds into C.
//!
//! C enum returns (`EResult`, `ESteamAPIInitResult`, `ESteamNetworkingConnectionState`) are `int` here, as
//! they are in the C ABI. Functions the stand-in does not implement exist so that an extension importing
//! them still loads (Godot loads extensions with `RTLD_NOW`); calling one aborts with its name.

// Steam's function names.
#![allow(non_snake_case)]

use std::ffi::{c_char, c_int, c_void};
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};

use messages_engine::backend::MessagesBackend;

use crate::address::{
    format_ip_address, is_ipv6_all_zeros, set_steam_id64, steam_id64, write_c_string,
};
use crate::stand_in::{self, Fatal, InterfaceKind};
use crate::types::{
    CCallbackBase, CallbackMsg_t, HSteamPipe, HSteamUser, SteamNetConnectionInfo_t,
    SteamNetConnectionRealTimeStatus_t, SteamNetworkingIPAddr, SteamNetworkingIdentity,
    SteamNetworkingMessage_t,
};

/// Writes `steam_api stand-in: <text>` to stderr, ignoring a closed stderr (there is nowhere else to say it).
pub fn report(text: &str) {
    let _ = writeln!(std::io::stderr(), "steam_api stand-in: {text}");
}

/// Reports `text` and aborts: the loud version of what real Steam does with a crash or not at all.
pub fn die(text: &str) -> ! {
    report(text);
    std::process::abort()
}

/// Runs an export's body: its value, or an abort naming what went wrong (a `Fatal` answer or a panic).
fn guard<T>(function: &'static str, body: impl FnOnce() -> Result<T, Fatal>) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => value,
        Ok(Err(fatal)) => die(&fatal.to_string()),
        Err(panic) => {
            let text = panic
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(no message)".to_owned());
            die(&format!("{function} panicked: {text}"))
        }
    }
}

// ---- steam_api.h / steam_api_internal.h ----

/// `SteamAPI_InitFlat`: starts the offline backend; `k_ESteamAPIInitResult_OK` (0) or a failure code with
/// a message in `err_msg`.
///
/// # Safety
/// `err_msg` must be null or point at a 1024-byte `SteamErrMsg`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SteamAPI_InitFlat(err_msg: *mut c_char) -> c_int {
    // SAFETY: the caller's promise.
    guard("SteamAPI_InitFlat", || {
        Ok(unsafe { stand_in::init(err_msg) })
    })
}

/// `SteamAPI_Shutdown`: ends everything at once (not reference-counted, like Steam's).
#[unsafe(no_mangle)]
pub extern "C" fn SteamAPI_Shutdown() {
    guard("SteamAPI_Shutdown", || {
        stand_in::shutdown();
        Ok(())
    })
}

/// `SteamAPI_IsSteamRunning`: true unless `STEAM_STAND_IN_NOT_RUNNING=1`.
#[unsafe(no_mangle)]
pub extern "C" fn SteamAPI_IsSteamRunning() -> bool {
    guard("SteamAPI_IsSteamRunning", || {
        Ok(stand_in::is_steam_running())
    })
}

/// `SteamAPI_GetHSteamPipe`: 0 unless initialised.
#[unsafe(no_mangle)]
pub extern "C" fn SteamAPI_GetHSteamPipe() -> HSteamPipe {
    guard("SteamAPI_GetHSteamPipe", || Ok(stand_in::pipe()))
}

/// `SteamAPI_GetHSteamUser`: 0 unless initialised.
#[unsafe(no_mangle)]
pub extern "C" fn SteamAPI_GetHSteamUser() -> HSteamUser {
    guard("SteamAPI_GetHSteamUser", || Ok(stand_in::user()))
}

/// `SteamAPI_RegisterCallback`.
///
/// # Safety
/// `object` must be null or a `CCallbackBase` that stays alive until unregistered.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SteamAPI_RegisterCallback(object: *mut CCallbackBase, callback: c_int) {
    // SAFETY: the caller's promise.
    guard("SteamAPI_RegisterCallback", || unsafe {
        stand_in::register_callback(object, callback)
    })
}

/// `SteamAPI_UnregisterCallback`.
///
/// # Safety
/// `object` must be null or a live `CCallbackBase`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SteamAPI_UnregisterCallback(object: *mut CCallbackBase) {
    // SAFETY: the caller's promise.
    guard("SteamAPI_UnregisterCallback", || {
        unsafe { stand_in::unregister_callback(object) };
        Ok(())
    })
}

/// `SteamAPI_RunCallbacks`: runs the registered objects for what happened since the last call.
#[unsafe(no_mangle)]
pub extern "C" fn SteamAPI_RunCallbacks() {
    guard("SteamAPI_RunCallbacks", stand_in::run_callbacks)
}

/// `SteamAPI_ManualDispatch_Init`.
#[unsafe(no_mangle)]
pub extern "C" fn SteamAPI_ManualDispatch_Init() {
    guard(
        "SteamAPI_ManualDispatch_Init",
        stand_in::manual_dispatch_init,
    )
}

/// `SteamAPI_ManualDispatch_RunFrame`.
#[unsafe(no_mangle)]
pub extern "C" fn SteamAPI_ManualDispatch_RunFrame(pipe: HSteamPipe) {
    guard("SteamAPI_ManualDispatch_RunFrame", || {
        stand_in::manual_dispatch_run_frame(pipe)
    })
}

/// `SteamAPI_ManualDispatch_GetNextCallback`.
///
/// # Safety
/// `out` must be null or point at a writable `CallbackMsg_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SteamAPI_ManualDispatch_GetNextCallback(
    pipe: HSteamPipe,
    out: *mut CallbackMsg_t,
) -> bool {
    // SAFETY: the caller's promise.
    guard("SteamAPI_ManualDispatch_GetNextCallback", || unsafe {
        stand_in::manual_dispatch_next_callback(pipe, out)
    })
}

/// `SteamAPI_ManualDispatch_FreeLastCallback`.
#[unsafe(no_mangle)]
pub extern "C" fn SteamAPI_ManualDispatch_FreeLastCallback(pipe: HSteamPipe) {
    guard("SteamAPI_ManualDispatch_FreeLastCallback", || {
        stand_in::manual_dispatch_free_last_callback(pipe)
    })
}

/// `SteamAPI_ManualDispatch_GetAPICallResult`: always false (there are no call results); `failed` is left
/// alone.
#[unsafe(no_mangle)]
pub extern "C" fn SteamAPI_ManualDispatch_GetAPICallResult(
    _pipe: HSteamPipe,
    _api_call: u64,
    _callback: *mut c_void,
    _callback_size: c_int,
    _callback_expected: c_int,
    _failed: *mut bool,
) -> bool {
    guard(
        "SteamAPI_ManualDispatch_GetAPICallResult",
        stand_in::manual_dispatch_call_result,
    )
}

// ---- Interface accessors ----

/// `SteamAPI_SteamNetworkingMessages_SteamAPI_v002`: null unless initialised.
#[unsafe(no_mangle)]
pub extern "C" fn SteamAPI_SteamNetworkingMessages_SteamAPI_v002() -> *mut c_void {
    guard("SteamAPI_SteamNetworkingMessages_SteamAPI_v002", || {
        Ok(stand_in::interface(InterfaceKind::NetworkingMessages))
    })
}

/// `SteamAPI_SteamUser_v023`: null unless initialised.
#[unsafe(no_mangle)]
pub extern "C" fn SteamAPI_SteamUser_v023() -> *mut c_void {
    guard("SteamAPI_SteamUser_v023", || {
        Ok(stand_in::interface(InterfaceKind::User))
    })
}

// ---- ISteamUser ----

/// `SteamAPI_ISteamUser_GetSteamID`: the backend's Steam ID.
#[unsafe(no_mangle)]
pub extern "C" fn SteamAPI_ISteamUser_GetSteamID(this: *mut c_void) -> u64 {
    guard("SteamAPI_ISteamUser_GetSteamID", || {
        stand_in::steam_id(this)
    })
}

/// `SteamAPI_ISteamUser_BLoggedOn`: true while initialised.
#[unsafe(no_mangle)]
pub extern "C" fn SteamAPI_ISteamUser_BLoggedOn(this: *mut c_void) -> bool {
    guard("SteamAPI_ISteamUser_BLoggedOn", || {
        stand_in::logged_on(this)
    })
}

// ---- ISteamNetworkingMessages ----

/// `SteamAPI_ISteamNetworkingMessages_SendMessageToUser`: an `EResult`.
///
/// # Safety
/// `identity` must point at an identity; `data` at `size` bytes (or be null with `size` 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SteamAPI_ISteamNetworkingMessages_SendMessageToUser(
    this: *mut c_void,
    identity: *const SteamNetworkingIdentity,
    data: *const c_void,
    size: u32,
    flags: c_int,
    channel: c_int,
) -> c_int {
    // SAFETY: the caller's promise.
    guard(
        "SteamAPI_ISteamNetworkingMessages_SendMessageToUser",
        || unsafe { stand_in::send_message_to_user(this, identity, data, size, flags, channel) },
    )
}

/// `SteamAPI_ISteamNetworkingMessages_ReceiveMessagesOnChannel`: how many messages were written to `out`.
///
/// # Safety
/// `out` must have room for `max` pointers.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SteamAPI_ISteamNetworkingMessages_ReceiveMessagesOnChannel(
    this: *mut c_void,
    channel: c_int,
    out: *mut *mut SteamNetworkingMessage_t,
    max: c_int,
) -> c_int {
    // SAFETY: the caller's promise.
    guard(
        "SteamAPI_ISteamNetworkingMessages_ReceiveMessagesOnChannel",
        || unsafe { stand_in::receive_messages_on_channel(this, channel, out, max) },
    )
}

/// `SteamAPI_ISteamNetworkingMessages_AcceptSessionWithUser`.
///
/// # Safety
/// `identity` must point at an identity.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SteamAPI_ISteamNetworkingMessages_AcceptSessionWithUser(
    this: *mut c_void,
    identity: *const SteamNetworkingIdentity,
) -> bool {
    const NAME: &str = "SteamAPI_ISteamNetworkingMessages_AcceptSessionWithUser";
    // SAFETY: the caller's promise.
    guard(NAME, || unsafe {
        stand_in::session_call(this, NAME, identity, |backend, remote| {
            backend.accept_session_with_user(remote)
        })
    })
}

/// `SteamAPI_ISteamNetworkingMessages_CloseSessionWithUser`.
///
/// # Safety
/// `identity` must point at an identity.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SteamAPI_ISteamNetworkingMessages_CloseSessionWithUser(
    this: *mut c_void,
    identity: *const SteamNetworkingIdentity,
) -> bool {
    const NAME: &str = "SteamAPI_ISteamNetworkingMessages_CloseSessionWithUser";
    // SAFETY: the caller's promise.
    guard(NAME, || unsafe {
        stand_in::session_call(this, NAME, identity, |backend, remote| {
            backend.close_session_with_user(remote)
        })
    })
}

/// `SteamAPI_ISteamNetworkingMessages_CloseChannelWithUser`: false for a negative channel.
///
/// # Safety
/// `identity` must point at an identity.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SteamAPI_ISteamNetworkingMessages_CloseChannelWithUser(
    this: *mut c_void,
    identity: *const SteamNetworkingIdentity,
    channel: c_int,
) -> bool {
    const NAME: &str = "SteamAPI_ISteamNetworkingMessages_CloseChannelWithUser";
    // SAFETY: the caller's promise.
    guard(NAME, || unsafe {
        stand_in::session_call(this, NAME, identity, |backend, remote| {
            channel >= 0 && backend.close_channel_with_user(remote, channel)
        })
    })
}

/// `SteamAPI_ISteamNetworkingMessages_GetSessionConnectionInfo`: the `ESteamNetworkingConnectionState`.
///
/// # Safety
/// `identity` must point at an identity; `info` and `status` must be null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SteamAPI_ISteamNetworkingMessages_GetSessionConnectionInfo(
    this: *mut c_void,
    identity: *const SteamNetworkingIdentity,
    info: *mut SteamNetConnectionInfo_t,
    status: *mut SteamNetConnectionRealTimeStatus_t,
) -> c_int {
    // SAFETY: the caller's promise.
    guard(
        "SteamAPI_ISteamNetworkingMessages_GetSessionConnectionInfo",
        || unsafe { stand_in::session_connection_info(this, identity, info, status) },
    )
}

/// `SteamAPI_SteamNetworkingMessage_t_Release`: `msg->m_pfnRelease(msg)`, as Steam's inline `Release`.
///
/// # Safety
/// `message` must be null or a message from `ReceiveMessagesOnChannel`, not released before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SteamAPI_SteamNetworkingMessage_t_Release(
    message: *mut SteamNetworkingMessage_t,
) {
    if message.is_null() {
        return;
    }
    // SAFETY: a live message, as the caller promises.
    let release = unsafe { (*message).release };
    match release {
        // SAFETY: the message's own release function, called once.
        Some(release) => unsafe { release(message) },
        None => die(&Fatal::MessageWithoutRelease.to_string()),
    }
}

// ---- Identity and address helpers ----

/// `SteamAPI_SteamNetworkingIdentity_SetSteamID64`.
///
/// # Safety
/// `identity` must be null or point at a writable identity.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SteamAPI_SteamNetworkingIdentity_SetSteamID64(
    identity: *mut SteamNetworkingIdentity,
    steam_id: u64,
) {
    // SAFETY: the caller's promise; the struct is packed, so any address is aligned for it.
    if let Some(identity) = unsafe { identity.as_mut() } {
        set_steam_id64(identity, steam_id);
    }
}

/// `SteamAPI_SteamNetworkingIdentity_GetSteamID64`: 0 unless it is a Steam ID identity.
///
/// # Safety
/// `identity` must be null or point at an identity.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SteamAPI_SteamNetworkingIdentity_GetSteamID64(
    identity: *mut SteamNetworkingIdentity,
) -> u64 {
    // SAFETY: as above.
    unsafe { identity.as_ref() }.map_or(0, steam_id64)
}

/// `SteamAPI_SteamNetworkingIPAddr_IsIPv6AllZeros`.
///
/// # Safety
/// `address` must be null or point at an address.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SteamAPI_SteamNetworkingIPAddr_IsIPv6AllZeros(
    address: *mut SteamNetworkingIPAddr,
) -> bool {
    // SAFETY: as above.
    unsafe { address.as_ref() }.is_none_or(is_ipv6_all_zeros)
}

/// `SteamAPI_SteamNetworkingIPAddr_ToString`: Steam's text of the address into `buffer`, truncated to
/// `size` bytes with its NUL.
///
/// # Safety
/// `address` must be null or point at an address; `buffer` null or `size` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SteamAPI_SteamNetworkingIPAddr_ToString(
    address: *mut SteamNetworkingIPAddr,
    buffer: *mut c_char,
    size: u32,
    with_port: bool,
) {
    // SAFETY: as above.
    let Some(address) = (unsafe { address.as_ref() }) else {
        return;
    };
    let text = format_ip_address(address, with_port);
    // SAFETY: the caller's promise.
    unsafe { write_c_string(&text, buffer, size as usize) };
}

// ---- Not implemented ----

/// Reports that `function` has no implementation here, and aborts.
fn not_implemented(function: &'static str) -> ! {
    die(&Fatal::NotImplemented { function }.to_string())
}

/// `SteamAPI_ISteamNetworkingSockets_CloseConnection`: not implemented (aborts).
#[unsafe(no_mangle)]
pub extern "C" fn SteamAPI_ISteamNetworkingSockets_CloseConnection(
    _this: *mut c_void,
    _connection: u32,
    _reason: c_int,
    _debug: *const c_char,
    _linger: bool,
) -> bool {
    not_implemented("SteamAPI_ISteamNetworkingSockets_CloseConnection")
}

/// `SteamAPI_ISteamNetworkingSockets_CloseListenSocket`: not implemented (aborts).
#[unsafe(no_mangle)]
pub extern "C" fn SteamAPI_ISteamNetworkingSockets_CloseListenSocket(
    _this: *mut c_void,
    _socket: u32,
) -> bool {
    not_implemented("SteamAPI_ISteamNetworkingSockets_CloseListenSocket")
}

/// `SteamGameServer_GetHSteamPipe`: not implemented (aborts; there is no game server).
#[unsafe(no_mangle)]
pub extern "C" fn SteamGameServer_GetHSteamPipe() -> HSteamPipe {
    not_implemented("SteamGameServer_GetHSteamPipe")
}

/// `SteamGameServer_Shutdown`: not implemented (aborts; there is no game server).
#[unsafe(no_mangle)]
pub extern "C" fn SteamGameServer_Shutdown() {
    not_implemented("SteamGameServer_Shutdown")
}
