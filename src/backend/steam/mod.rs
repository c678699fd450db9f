//! The Steam backend: `ISteamNetworkingMessages` of the running Steam client, through the flat C API that the
//! `steamworks` crate binds (`steamworks::sys`).
//!
//! It shares the process with other users of Steam (GodotSteam above all), so it keeps Steam's rules for a
//! shared process: callbacks arrive through registered objects and `SteamAPI_RunCallbacks` (see
//! [`callback`]), never manual dispatch; Steam is initialised only if nobody has, and shut down only by its
//! owner; and every call first checks that Steam is still the one we started with, because another
//! extension's `steamShutdown()` leaves our interface pointer dangling.
//!
//! The crate's safe `Client` is not used: it turns on manual dispatch for the whole process and shuts Steam
//! down when dropped. The flat functions whose C return type is an enum are declared again here with `int`
//! returns: Steam may return codes the bindings' Rust enums do not list, which must not become UB.

mod callback;

use std::ffi::{c_char, c_int, c_void};
use std::sync::{Arc, Mutex};

use steamworks::sys;

use super::{
    BackendEvent, ConnectionInfo, MessagesBackend, RealTimeStatus, ReceivedMessage, SessionInfo,
};
use crate::steam_types::{ConnectionState, InitError, InitStatus, SteamId, SteamResult};
use callback::Registration;

unsafe extern "C" {
    #[link_name = "SteamAPI_InitFlat"]
    fn init_flat_raw(error_message: *mut sys::SteamErrMsg) -> c_int;

    #[link_name = "SteamAPI_ISteamNetworkingMessages_SendMessageToUser"]
    fn send_message_to_user_raw(
        this: *mut sys::ISteamNetworkingMessages,
        identity: *const sys::SteamNetworkingIdentity,
        data: *const c_void,
        size: u32,
        flags: c_int,
        channel: c_int,
    ) -> c_int;

    #[link_name = "SteamAPI_ISteamNetworkingMessages_GetSessionConnectionInfo"]
    fn get_session_connection_info_raw(
        this: *mut sys::ISteamNetworkingMessages,
        identity: *const sys::SteamNetworkingIdentity,
        info: *mut sys::SteamNetConnectionInfo_t,
        status: *mut sys::SteamNetConnectionRealTimeStatus_t,
    ) -> c_int;
}

/// Largest batch read from Steam at once; more messages stay queued in Steam for the next call.
const RECEIVE_BATCH: usize = 256;

/// Who else in the process uses Steam, which decides whether our shutdown may end it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SteamSharing {
    /// Nothing else here uses Steam: if we started it, we stop it.
    Alone,
    /// Another extension (GodotSteam) uses Steam too: it owns Steam's lifetime, and we never shut Steam down.
    WithOtherExtension,
}

/// The running Steam client's Networking Messages interface.
pub struct SteamBackend {
    messages: *mut sys::ISteamNetworkingMessages,
    /// The Steam pipe when we started; Steam gives a new one after a shutdown and re-initialisation, and 0 while
    /// it is shut down.
    pipe: sys::HSteamPipe,
    /// Whether `SteamAPI_Shutdown` is ours to call when this backend stops.
    shuts_down_steam: bool,
    local_id: SteamId,
    /// Filled by Steam callbacks during `SteamAPI_RunCallbacks` (ours or anyone's), drained by `poll`.
    pending_events: Arc<Mutex<Vec<BackendEvent>>>,
    /// Keeps our callback objects registered; clearing it unregisters them.
    callbacks: Vec<Registration>,
    receive_buffer: Vec<*mut sys::SteamNetworkingMessage_t>,
}

impl SteamBackend {
    /// Starts the Steam API (`SteamAPI_InitFlat`) unless another part of the process already has, in which case
    /// this joins it. A non-zero `app_id` is handed to Steam through the `SteamAppId`/`SteamGameId`
    /// environment, as GodotSteam does; it cannot change the app of a Steam someone else started.
    pub fn init(app_id: u32, sharing: SteamSharing) -> Result<Self, InitError> {
        let already_running = current_pipe() != 0;
        if already_running {
            log::info!("Steam is already initialised in this process; sharing it");
        } else {
            start_steam(app_id)?;
        }
        let pipe = current_pipe();
        // SAFETY: Steam is initialised; the accessors return process-wide interface pointers (null if absent).
        let (messages, user) = unsafe {
            (
                sys::SteamAPI_SteamNetworkingMessages_SteamAPI_v002(),
                sys::SteamAPI_SteamUser_v023(),
            )
        };
        if pipe == 0 || messages.is_null() || user.is_null() {
            if !already_running && sharing == SteamSharing::Alone {
                // SAFETY: we started Steam just now and nothing else uses it.
                unsafe { sys::SteamAPI_Shutdown() };
            }
            return Err(InitError {
                status: InitStatus::FailedGeneric,
                message: "Steam returned no ISteamNetworkingMessages or ISteamUser interface"
                    .into(),
            });
        }
        // SAFETY: a valid ISteamUser of the running Steam.
        let local_id = SteamId(unsafe { sys::SteamAPI_ISteamUser_GetSteamID(user) });
        let pending_events = Arc::new(Mutex::new(Vec::new()));
        // SAFETY: each decoder reads the struct Steam sends with that callback ID.
        let callbacks = unsafe {
            vec![
                Registration::register(
                    sys::SteamNetworkingMessagesSessionRequest_t_k_iCallback as c_int,
                    std::mem::size_of::<sys::SteamNetworkingMessagesSessionRequest_t>(),
                    decode_session_request,
                    Arc::clone(&pending_events),
                ),
                Registration::register(
                    sys::SteamNetworkingMessagesSessionFailed_t_k_iCallback as c_int,
                    std::mem::size_of::<sys::SteamNetworkingMessagesSessionFailed_t>(),
                    decode_session_failed,
                    Arc::clone(&pending_events),
                ),
            ]
        };
        if callbacks.iter().any(|callback| !callback.is_registered()) {
            log::warn!(
                "Steam did not mark our callbacks registered; session signals may not arrive"
            );
        }
        Ok(Self {
            messages,
            pipe,
            shuts_down_steam: !already_running && sharing == SteamSharing::Alone,
            local_id,
            pending_events,
            callbacks,
            receive_buffer: Vec::with_capacity(RECEIVE_BATCH),
        })
    }

    /// `SteamAPI_IsSteamRunning`: whether a Steam client runs for this user; needs no initialisation.
    pub fn is_steam_running() -> bool {
        // SAFETY: a plain query of the Steam client library.
        unsafe { sys::SteamAPI_IsSteamRunning() }
    }
}

/// The process's Steam pipe: 0 while Steam is not initialised.
fn current_pipe() -> sys::HSteamPipe {
    // SAFETY: a plain query; valid before, during and after initialisation.
    unsafe { sys::SteamAPI_GetHSteamPipe() }
}

fn start_steam(app_id: u32) -> Result<(), InitError> {
    if app_id != 0 {
        // SAFETY (std): called on Godot's main thread before Steam starts any thread of its own.
        unsafe {
            std::env::set_var("SteamAppId", app_id.to_string());
            std::env::set_var("SteamGameId", app_id.to_string());
        }
    }
    let mut error_message: sys::SteamErrMsg = [0; 1024];
    // SAFETY: the buffer is the 1024 bytes Steam writes its message into.
    let result = unsafe { init_flat_raw(&mut error_message) };
    let status = match result {
        0 => return Ok(()),
        2 => InitStatus::NoSteamClient,
        3 => InitStatus::VersionMismatch,
        _ => InitStatus::FailedGeneric,
    };
    let mut error = InitError {
        status,
        message: c_text(&error_message),
    };
    // With no Steam installed at all the SDK reports a generic failure (it cannot load steamclient);
    // GodotSteam users test for NO_STEAM_CLIENT to ask the player to start Steam.
    if error.status == InitStatus::FailedGeneric && !SteamBackend::is_steam_running() {
        error.status = InitStatus::NoSteamClient;
    }
    Err(error)
}

impl Drop for SteamBackend {
    fn drop(&mut self) {
        // Unregistered before any shutdown, so Steam never holds a pointer to a freed object. Steam is ours to
        // stop only if we started it, nothing else uses it, and it is still the Steam we started.
        self.callbacks.clear();
        if self.shuts_down_steam && !self.stopped_elsewhere() {
            // SAFETY: we initialised Steam and no other extension shares it.
            unsafe { sys::SteamAPI_Shutdown() };
        }
    }
}

fn identity_of(remote: SteamId) -> sys::SteamNetworkingIdentity {
    // SAFETY: an all-zero identity is the "invalid" identity, which SetSteamID64 then fills.
    let mut identity: sys::SteamNetworkingIdentity = unsafe { std::mem::zeroed() };
    unsafe { sys::SteamAPI_SteamNetworkingIdentity_SetSteamID64(&mut identity, remote.0) };
    identity
}

fn steam_id_of(identity: &sys::SteamNetworkingIdentity) -> SteamId {
    let mut copy = *identity;
    // SAFETY: reads a Steam ID out of an identity Steam gave us; returns 0 for other identity kinds.
    SteamId(unsafe { sys::SteamAPI_SteamNetworkingIdentity_GetSteamID64(&mut copy) })
}

fn c_text(text: &[c_char]) -> String {
    let bytes: Vec<u8> = text
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Reads a C enum field as `int`, whatever value Steam wrote into it.
fn raw_enum<T>(field: &T) -> i32 {
    debug_assert_eq!(std::mem::size_of::<T>(), 4);
    // SAFETY: the field is a 4-byte C enum.
    unsafe { std::ptr::from_ref(field).cast::<i32>().read_unaligned() }
}

fn remote_address(address: &sys::SteamNetworkingIPAddr) -> String {
    let mut copy = *address;
    // SAFETY: plain queries on a copy of an address Steam gave us; the buffer outlives the call.
    unsafe {
        if sys::SteamAPI_SteamNetworkingIPAddr_IsIPv6AllZeros(&mut copy) {
            return String::new();
        }
        let mut buffer = [0 as c_char; 64];
        sys::SteamAPI_SteamNetworkingIPAddr_ToString(
            &mut copy,
            buffer.as_mut_ptr(),
            buffer.len() as u32,
            // The IP alone, as GodotSteam reports it (and the local backend).
            false,
        );
        c_text(&buffer)
    }
}

fn connection_info(info: &sys::SteamNetConnectionInfo_t) -> ConnectionInfo {
    ConnectionInfo {
        identity: steam_id_of(&info.m_identityRemote),
        user_data: info.m_nUserData,
        listen_socket: info.m_hListenSocket,
        remote_address: remote_address(&info.m_addrRemote),
        remote_pop: info.m_idPOPRemote,
        pop_relay: info.m_idPOPRelay,
        state: ConnectionState(raw_enum(&info.m_eState)),
        end_reason: info.m_eEndReason,
        end_debug: c_text(&info.m_szEndDebug),
        description: c_text(&info.m_szConnectionDescription),
        flags: info.m_nFlags,
    }
}

fn real_time_status(status: &sys::SteamNetConnectionRealTimeStatus_t) -> RealTimeStatus {
    RealTimeStatus {
        state: ConnectionState(raw_enum(&status.m_eState)),
        ping: status.m_nPing,
        local_quality: status.m_flConnectionQualityLocal,
        remote_quality: status.m_flConnectionQualityRemote,
        out_packets_per_sec: status.m_flOutPacketsPerSec,
        out_bytes_per_sec: status.m_flOutBytesPerSec,
        in_packets_per_sec: status.m_flInPacketsPerSec,
        in_bytes_per_sec: status.m_flInBytesPerSec,
        send_rate_bytes_per_sec: status.m_nSendRateBytesPerSecond,
        pending_unreliable: status.m_cbPendingUnreliable,
        pending_reliable: status.m_cbPendingReliable,
        sent_unacked_reliable: status.m_cbSentUnackedReliable,
        queue_time_usec: status.m_usecQueueTime,
    }
}

impl MessagesBackend for SteamBackend {
    fn kind(&self) -> super::config::BackendKind {
        super::config::BackendKind::Steam
    }

    fn local_steam_id(&self) -> SteamId {
        self.local_id
    }

    fn send_message_to_user(
        &mut self,
        remote: SteamId,
        data: &[u8],
        flags: i32,
        channel: i32,
    ) -> SteamResult {
        let identity = identity_of(remote);
        let Ok(size) = u32::try_from(data.len()) else {
            return SteamResult::INVALID_PARAM;
        };
        // SAFETY: the interface pointer lives as long as the client; Steam copies the data before returning.
        SteamResult(unsafe {
            send_message_to_user_raw(
                self.messages,
                &identity,
                data.as_ptr().cast(),
                size,
                flags,
                channel,
            )
        })
    }

    fn receive_messages_on_channel(
        &mut self,
        channel: i32,
        max_messages: usize,
        sink: &mut dyn FnMut(&ReceivedMessage<'_>),
    ) -> usize {
        let mut delivered = 0;
        while delivered < max_messages {
            let batch = (max_messages - delivered).min(RECEIVE_BATCH);
            self.receive_buffer.clear();
            self.receive_buffer.resize(batch, std::ptr::null_mut());
            // SAFETY: the buffer has room for `batch` pointers; Steam fills at most that many.
            let count = unsafe {
                sys::SteamAPI_ISteamNetworkingMessages_ReceiveMessagesOnChannel(
                    self.messages,
                    channel,
                    self.receive_buffer.as_mut_ptr(),
                    batch as c_int,
                )
            };
            let count = usize::try_from(count).unwrap_or(0).min(batch);
            for &message in &self.receive_buffer[..count] {
                if message.is_null() {
                    continue;
                }
                // SAFETY: Steam handed us ownership of a valid message until we release it below.
                let raw = unsafe { &*message };
                let payload = match usize::try_from(raw.m_cbSize) {
                    Ok(size) if size > 0 && !raw.m_pData.is_null() => {
                        // SAFETY: Steam guarantees m_pData points at m_cbSize bytes.
                        unsafe { std::slice::from_raw_parts(raw.m_pData.cast::<u8>(), size) }
                    }
                    _ => &[],
                };
                sink(&ReceivedMessage {
                    payload,
                    connection: raw.m_conn,
                    sender: steam_id_of(&raw.m_identityPeer),
                    connection_user_data: raw.m_nConnUserData,
                    time_received_usec: raw.m_usecTimeReceived,
                    message_number: raw.m_nMessageNumber,
                    channel: raw.m_nChannel,
                    flags: raw.m_nFlags,
                    user_data: raw.m_nUserData,
                });
                // SAFETY: released exactly once, after its last use.
                unsafe { sys::SteamAPI_SteamNetworkingMessage_t_Release(message) };
                delivered += 1;
            }
            if count < batch {
                break;
            }
        }
        delivered
    }

    fn accept_session_with_user(&mut self, remote: SteamId) -> bool {
        let identity = identity_of(remote);
        // SAFETY: valid interface and identity.
        unsafe {
            sys::SteamAPI_ISteamNetworkingMessages_AcceptSessionWithUser(self.messages, &identity)
        }
    }

    fn close_session_with_user(&mut self, remote: SteamId) -> bool {
        let identity = identity_of(remote);
        // SAFETY: valid interface and identity.
        unsafe {
            sys::SteamAPI_ISteamNetworkingMessages_CloseSessionWithUser(self.messages, &identity)
        }
    }

    fn close_channel_with_user(&mut self, remote: SteamId, channel: i32) -> bool {
        let identity = identity_of(remote);
        // SAFETY: valid interface and identity.
        unsafe {
            sys::SteamAPI_ISteamNetworkingMessages_CloseChannelWithUser(
                self.messages,
                &identity,
                channel,
            )
        }
    }

    fn session_connection_info(&mut self, remote: SteamId) -> SessionInfo {
        let identity = identity_of(remote);
        // Zeroed first: Steam leaves both structs untouched when there is no session.
        // SAFETY: both are plain C structs for which all-zero is valid.
        let mut info: sys::SteamNetConnectionInfo_t = unsafe { std::mem::zeroed() };
        let mut status: sys::SteamNetConnectionRealTimeStatus_t = unsafe { std::mem::zeroed() };
        // SAFETY: valid interface, identity and out-pointers.
        let state = unsafe {
            get_session_connection_info_raw(self.messages, &identity, &mut info, &mut status)
        };
        SessionInfo {
            state: ConnectionState(state),
            connection: connection_info(&info),
            status: real_time_status(&status),
        }
    }

    fn poll(&mut self, events: &mut Vec<BackendEvent>) {
        // Our callback objects queued these during `SteamAPI_RunCallbacks`, whoever ran it.
        let mut pending = self
            .pending_events
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        events.append(&mut pending);
    }

    fn stopped_elsewhere(&self) -> bool {
        current_pipe() != self.pipe
    }

    fn shared_callback_pump(&self) -> Option<fn()> {
        Some(callback::run_process_callbacks)
    }
}

/// `SteamNetworkingMessagesSessionRequest_t`: a peer wants to talk to us.
///
/// # Safety
/// `param` points at a `SteamNetworkingMessagesSessionRequest_t`.
unsafe fn decode_session_request(param: *const c_void) -> BackendEvent {
    // SAFETY: per the contract; read unaligned as Steam packs its callback structs.
    let request = unsafe {
        param
            .cast::<sys::SteamNetworkingMessagesSessionRequest_t>()
            .read_unaligned()
    };
    BackendEvent::SessionRequest {
        remote: steam_id_of(&{ request.m_identityRemote }),
    }
}

/// `SteamNetworkingMessagesSessionFailed_t`, converted straight into the event GDScript receives.
///
/// # Safety
/// `param` points at a `SteamNetworkingMessagesSessionFailed_t`.
unsafe fn decode_session_failed(param: *const c_void) -> BackendEvent {
    // SAFETY: per the contract; read unaligned as Steam packs its callback structs.
    let failed = unsafe {
        param
            .cast::<sys::SteamNetworkingMessagesSessionFailed_t>()
            .read_unaligned()
    };
    let info = connection_info(&{ failed.m_info });
    BackendEvent::SessionFailed {
        remote: info.identity,
        reason: info.end_reason,
        state: info.state,
        debug_message: info.end_debug,
    }
}

/// Steam's own text for an init failure may be empty; keep something readable.
pub fn describe(error: &InitError) -> &str {
    if error.message.is_empty() {
        match error.status {
            InitStatus::Ok => "",
            InitStatus::FailedGeneric => "Some other failure",
            InitStatus::NoSteamClient => "Cannot connect to Steam, client probably isn't running",
            InitStatus::VersionMismatch => "Steam client appears to be out of date",
        }
    } else {
        &error.message
    }
}
