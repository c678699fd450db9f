//! The Steam backend: `ISteamNetworkingMessages` of the running Steam client, through the `steamworks` crate.
//!
//! The crate's safe wrapper falls short for GodotSteam's API (its `SessionRequest` rejects the session when
//! dropped, it cannot accept or close by Steam ID, and it hides the result code of a send), so the calls go
//! through the flat C API. The flat functions whose C return type is an enum are declared again here with
//! `int` returns: Steam may return codes the bindings' Rust enums do not list, which must not become UB.

use std::ffi::{c_char, c_int, c_void};
use std::sync::{Arc, Mutex};

use steamworks::sys;

use super::{
    BackendEvent, ConnectionInfo, MessagesBackend, RealTimeStatus, ReceivedMessage, SessionInfo,
};
use crate::steam_types::{ConnectionState, InitError, InitStatus, SteamId, SteamResult};

unsafe extern "C" {
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

/// The running Steam client's Networking Messages interface.
pub struct SteamBackend {
    client: steamworks::Client,
    messages: *mut sys::ISteamNetworkingMessages,
    local_id: SteamId,
    /// Filled by Steam callbacks during `run_callbacks`, drained by `poll`.
    pending_events: Arc<Mutex<Vec<BackendEvent>>>,
    /// Keeps our callbacks registered; dropping them unregisters.
    _callbacks: [steamworks::CallbackHandle; 2],
    receive_buffer: Vec<*mut sys::SteamNetworkingMessage_t>,
}

impl SteamBackend {
    /// Starts the Steam API (`SteamAPI_InitFlat`). A non-zero `app_id` is handed to Steam through the
    /// `SteamAppId`/`SteamGameId` environment, as GodotSteam does.
    pub fn init(app_id: u32) -> Result<Self, InitError> {
        if app_id != 0 {
            // SAFETY (std): called on Godot's main thread before Steam starts any thread of its own.
            unsafe {
                std::env::set_var("SteamAppId", app_id.to_string());
                std::env::set_var("SteamGameId", app_id.to_string());
            }
        }
        let client = steamworks::Client::init().map_err(|error| {
            let mut error = init_error(error);
            // With no Steam installed at all the SDK reports a generic failure (it cannot load
            // steamclient); GodotSteam users test for NO_STEAM_CLIENT to ask the player to start Steam.
            if error.status == InitStatus::FailedGeneric && !Self::is_steam_running() {
                error.status = InitStatus::NoSteamClient;
            }
            error
        })?;
        // SAFETY: the Steam API is initialised; the accessor returns a process-wide interface pointer.
        let messages = unsafe { sys::SteamAPI_SteamNetworkingMessages_SteamAPI_v002() };
        if messages.is_null() {
            return Err(InitError {
                status: InitStatus::FailedGeneric,
                message: "Steam returned no ISteamNetworkingMessages interface".into(),
            });
        }
        let local_id = SteamId(client.user().steam_id().raw());
        let pending_events = Arc::new(Mutex::new(Vec::new()));
        let requests = Arc::clone(&pending_events);
        let failures = Arc::clone(&pending_events);
        let callbacks = [
            client.register_callback(move |request: SessionRequestCallback| {
                push_event(
                    &requests,
                    BackendEvent::SessionRequest {
                        remote: request.remote,
                    },
                );
            }),
            client.register_callback(move |failed: SessionFailedCallback| {
                push_event(&failures, failed.event);
            }),
        ];
        Ok(Self {
            client,
            messages,
            local_id,
            pending_events,
            _callbacks: callbacks,
            receive_buffer: Vec::with_capacity(RECEIVE_BATCH),
        })
    }

    /// `SteamAPI_IsSteamRunning`: whether a Steam client runs for this user; needs no initialisation.
    pub fn is_steam_running() -> bool {
        // SAFETY: a plain query of the Steam client library.
        unsafe { sys::SteamAPI_IsSteamRunning() }
    }
}

fn init_error(error: steamworks::SteamAPIInitError) -> InitError {
    use steamworks::SteamAPIInitError as E;
    let (status, message) = match error {
        E::FailedGeneric(message) => (InitStatus::FailedGeneric, message),
        E::NoSteamClient(message) => (InitStatus::NoSteamClient, message),
        E::VersionMismatch(message) => (InitStatus::VersionMismatch, message),
    };
    InitError { status, message }
}

fn push_event(events: &Mutex<Vec<BackendEvent>>, event: BackendEvent) {
    // A poisoned lock only means a panic elsewhere; the queue itself is still a valid Vec.
    events
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(event);
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
        self.client.run_callbacks();
        let mut pending = self
            .pending_events
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        events.append(&mut pending);
    }
}

/// `SteamNetworkingMessagesSessionRequest_t`, read ourselves: the crate's own type hides the remote identity
/// and its wrapper rejects the session when dropped, which GodotSteam never does.
struct SessionRequestCallback {
    remote: SteamId,
}

// SAFETY: ID and layout are those of SteamNetworkingMessagesSessionRequest_t.
unsafe impl steamworks::Callback for SessionRequestCallback {
    const ID: i32 = sys::SteamNetworkingMessagesSessionRequest_t_k_iCallback as i32;

    unsafe fn from_raw(raw: *mut c_void) -> Self {
        // SAFETY: Steam passes a SteamNetworkingMessagesSessionRequest_t for this callback ID.
        let request = unsafe {
            raw.cast::<sys::SteamNetworkingMessagesSessionRequest_t>()
                .read_unaligned()
        };
        Self {
            remote: steam_id_of(&request.m_identityRemote),
        }
    }
}

/// `SteamNetworkingMessagesSessionFailed_t`, converted straight into the event GDScript receives.
struct SessionFailedCallback {
    event: BackendEvent,
}

// SAFETY: ID and layout are those of SteamNetworkingMessagesSessionFailed_t.
unsafe impl steamworks::Callback for SessionFailedCallback {
    const ID: i32 = sys::SteamNetworkingMessagesSessionFailed_t_k_iCallback as i32;

    unsafe fn from_raw(raw: *mut c_void) -> Self {
        // SAFETY: Steam passes a SteamNetworkingMessagesSessionFailed_t for this callback ID.
        let failed = unsafe {
            raw.cast::<sys::SteamNetworkingMessagesSessionFailed_t>()
                .read_unaligned()
        };
        let info = connection_info(&{ failed.m_info });
        Self {
            event: BackendEvent::SessionFailed {
                remote: info.identity,
                reason: info.end_reason,
                state: info.state,
                debug_message: info.end_debug,
            },
        }
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
