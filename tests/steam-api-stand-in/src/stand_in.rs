//! The process-wide Steam stand-in behind the exports: one offline backend while "Steam" is initialised,
//! the interface objects handed out, the registered callback objects, the manual-dispatch queue and the
//! dispatch contract.
//!
//! Every export's behaviour lives here as a Rust function returning `Result<_, Fatal>`; the exports abort
//! with the error's text, and the tests look at the error instead. All state sits behind one `Mutex`
//! because the extension may call from several threads; it is never held while a callback object runs,
//! since a callback may call straight back into the API (GodotSteam games accept a session from the
//! signal handler the callback emits).

use std::collections::{HashMap, VecDeque};
use std::ffi::{c_char, c_int, c_void};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use messages_engine::backend::config::{ConfigSources, LocalConfig, resolve};
use messages_engine::backend::local::LocalBackend;
use messages_engine::backend::local::transport::system_clock;
use messages_engine::backend::{
    BackendEvent, MessagesBackend, RealTimeStatus, ReceivedMessage, SessionInfo,
};
use messages_engine::steam_types::{
    ConnectionState, InitError, InitStatus, MAX_STEAM_PACKET_SIZE, SteamId, SteamResult,
};

use crate::address::{fill_c_array, identity_of, parse_remote_address, steam_id64, write_c_string};
use crate::contract::{DispatchContract, ManualFunction, Violation};
use crate::types::{
    CALLBACK_FLAG_GAME_SERVER, CALLBACK_FLAG_REGISTERED, CCallbackBase, CallbackMsg_t,
    ERR_MSG_SIZE, HSteamPipe, HSteamUser, SESSION_FAILED_CALLBACK, SESSION_REQUEST_CALLBACK,
    SteamNetConnectionInfo_t, SteamNetConnectionRealTimeStatus_t, SteamNetworkingIPAddr,
    SteamNetworkingIdentity, SteamNetworkingMessage_t, SteamNetworkingMessagesSessionFailed_t,
    SteamNetworkingMessagesSessionRequest_t, init_result,
};

/// Set to `1` to play a machine without a running Steam client: `SteamAPI_IsSteamRunning` is false and
/// `SteamAPI_InitFlat` fails with `k_ESteamAPIInitResult_NoSteamClient`.
pub const NOT_RUNNING_ENV: &str = "STEAM_STAND_IN_NOT_RUNNING";
/// Log level of the engine's messages on stderr (`error` ... `trace`; `warn` unless set).
pub const LOG_ENV: &str = "STEAM_STAND_IN_LOG";
/// Set to `1` for a `SendMessageToUser` that does nothing and returns `k_EResultOK` at once: the benchmark
/// of the extension's own cost on the Steam path, up to the flat Steam call.
pub const DISCARD_SENDS_ENV: &str = "STEAM_STAND_IN_DISCARD_SENDS";

/// The one user of this stand-in, as Steam numbers its first user.
const STEAM_USER: HSteamUser = 1;

/// Something real Steam would crash on, or answer wrongly without a word: the export prints it and aborts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fatal {
    /// The callback-dispatch contract of `steam_api.h` was broken.
    Contract(Violation),
    /// An interface pointer handed out before a `SteamAPI_Shutdown` (real Steam: use after free).
    StaleInterface { function: &'static str },
    /// A null interface pointer (what the accessors return before init).
    NullInterface { function: &'static str },
    /// A pointer the stand-in never handed out.
    UnknownInterface {
        function: &'static str,
        /// The pointer's address.
        address: usize,
    },
    /// One interface passed where another was expected.
    WrongInterface {
        function: &'static str,
        expected: InterfaceKind,
        found: InterfaceKind,
    },
    /// A message with no `m_pfnRelease` given to `SteamAPI_SteamNetworkingMessage_t_Release`.
    MessageWithoutRelease,
    /// An export the stand-in has no implementation for.
    NotImplemented { function: &'static str },
}

impl fmt::Display for Fatal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Contract(violation) => write!(f, "dispatch contract violated: {violation}"),
            Self::StaleInterface { function } => write!(
                f,
                "{function} called through an interface pointer from before SteamAPI_Shutdown"
            ),
            Self::NullInterface { function } => write!(
                f,
                "{function} called through a null interface pointer (the accessors return null until \
                 SteamAPI_InitFlat succeeds)"
            ),
            Self::UnknownInterface { function, address } => write!(
                f,
                "{function} called through {address:#x}, which is no interface pointer the stand-in \
                 handed out"
            ),
            Self::WrongInterface {
                function,
                expected,
                found,
            } => write!(
                f,
                "{function} called through the {found:?} interface, not {expected:?}"
            ),
            Self::MessageWithoutRelease => write!(
                f,
                "SteamAPI_SteamNetworkingMessage_t_Release called on a message without m_pfnRelease"
            ),
            Self::NotImplemented { function } => write!(f, "{function} is not implemented"),
        }
    }
}

impl From<Violation> for Fatal {
    fn from(violation: Violation) -> Self {
        Self::Contract(violation)
    }
}

/// Which interface an interface object stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum InterfaceKind {
    /// `ISteamNetworkingMessages` (`SteamNetworkingMessages002`).
    NetworkingMessages,
    /// `ISteamUser` (`SteamUser023`).
    User,
}

/// What an interface accessor returns: opaque to callers, it records the kind and the generation (the
/// `SteamAPI_InitFlat` count) it was handed out in. Never freed, so that a stale pointer still points at
/// readable memory and can be recognised.
#[repr(C)]
#[derive(Debug)]
pub struct Interface {
    /// Which interface this is.
    pub kind: InterfaceKind,
    /// The `SteamAPI_InitFlat` it belongs to (1 for the first).
    pub generation: u64,
}

/// "Steam" while initialised.
struct Live {
    backend: LocalBackend,
    generation: u64,
    pipe: HSteamPipe,
    /// Interface objects handed out in this generation, by kind (addresses).
    interfaces: HashMap<u32, usize>,
}

/// A `CCallbackBase` registered with `SteamAPI_RegisterCallback` (its address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Registration {
    object: usize,
    callback: c_int,
}

/// A callback's parameter struct, boxed so its address stays put while callers read it.
enum CallbackParam {
    SessionRequest(Box<SteamNetworkingMessagesSessionRequest_t>),
    SessionFailed(Box<SteamNetworkingMessagesSessionFailed_t>),
}

impl CallbackParam {
    /// The callback Steam posts for `event`; none for what only the local backend reports (persona names).
    fn of(event: BackendEvent) -> Option<Self> {
        Some(match event {
            BackendEvent::SessionRequest { remote } => {
                Self::SessionRequest(Box::new(SteamNetworkingMessagesSessionRequest_t {
                    identity_remote: identity_of(remote),
                }))
            }
            BackendEvent::SessionFailed {
                remote,
                reason,
                state,
                debug_message,
            } => {
                let mut info = empty_connection_info();
                info.identity_remote = identity_of(remote);
                info.state = state.0;
                info.end_reason = reason;
                fill_c_array(&debug_message, &mut info.end_debug);
                fill_c_array(
                    &format!("messages session with steamid:{remote}"),
                    &mut info.connection_description,
                );
                Self::SessionFailed(Box::new(SteamNetworkingMessagesSessionFailed_t { info }))
            }
            BackendEvent::PersonaStateChange { .. } | BackendEvent::Lobby(_) => return None,
        })
    }

    fn callback(&self) -> c_int {
        match self {
            Self::SessionRequest(_) => SESSION_REQUEST_CALLBACK,
            Self::SessionFailed(_) => SESSION_FAILED_CALLBACK,
        }
    }

    fn size(&self) -> c_int {
        let size = match self {
            Self::SessionRequest(_) => size_of::<SteamNetworkingMessagesSessionRequest_t>(),
            Self::SessionFailed(_) => size_of::<SteamNetworkingMessagesSessionFailed_t>(),
        };
        size as c_int
    }

    fn as_mut_ptr(&mut self) -> *mut c_void {
        match self {
            Self::SessionRequest(param) => std::ptr::from_mut(&mut **param).cast(),
            Self::SessionFailed(param) => std::ptr::from_mut(&mut **param).cast(),
        }
    }
}

/// Everything the exports share.
struct State {
    live: Option<Live>,
    /// Successful `SteamAPI_InitFlat`s so far.
    generation: u64,
    /// Every interface object ever handed out: address, kind, generation.
    interfaces: Vec<(usize, InterfaceKind, u64)>,
    contract: DispatchContract,
    registrations: Vec<Registration>,
    /// Manual dispatch: callbacks `RunFrame` collected and `GetNextCallback` has not handed out yet.
    queue: VecDeque<CallbackParam>,
    /// Manual dispatch: the callback handed out, kept alive until `FreeLastCallback`.
    handed_out: Option<CallbackParam>,
    /// `SteamAPI_RunCallbacks` is running callback objects (a nested call does nothing).
    dispatching: bool,
}

static STATE: Mutex<State> = Mutex::new(State {
    live: None,
    generation: 0,
    interfaces: Vec::new(),
    contract: DispatchContract::new(),
    registrations: Vec::new(),
    queue: VecDeque::new(),
    handed_out: None,
    dispatching: false,
});

fn lock() -> MutexGuard<'static, State> {
    // A panic while the lock was held aborted the process already (see `exports::guard`); the state itself
    // is still consistent enough to keep going in tests.
    STATE.lock().unwrap_or_else(PoisonError::into_inner)
}

impl State {
    /// The live "Steam" if `this` is the current interface of `kind`, else why not.
    fn live_for(
        &mut self,
        this: *mut c_void,
        kind: InterfaceKind,
        function: &'static str,
    ) -> Result<&mut Live, Fatal> {
        if this.is_null() {
            return Err(Fatal::NullInterface { function });
        }
        let address = this as usize;
        let Some(&(_, found, generation)) = self
            .interfaces
            .iter()
            .find(|(handed_out, ..)| *handed_out == address)
        else {
            return Err(Fatal::UnknownInterface { function, address });
        };
        if found != kind {
            return Err(Fatal::WrongInterface {
                function,
                expected: kind,
                found,
            });
        }
        match self.live.as_mut() {
            Some(live) if live.generation == generation => Ok(live),
            _ => Err(Fatal::StaleInterface { function }),
        }
    }
}

// ---- Initialisation ----

/// `SteamAPI_IsSteamRunning`.
pub fn is_steam_running() -> bool {
    !std::env::var(NOT_RUNNING_ENV).is_ok_and(|value| value == "1")
}

/// `SteamAPI_InitFlat`: opens the offline backend, unless already initialised (real Steam does not open
/// again either). Writes Steam's kind of message into `err_msg` (may be null).
///
/// # Safety
/// `err_msg` must be null or point at a `SteamErrMsg` (1024 bytes).
pub unsafe fn init(err_msg: *mut c_char) -> c_int {
    install_logger();
    let (status, message) = {
        let mut state = lock();
        if state.live.is_some() {
            (init_result::OK, String::new())
        } else if !is_steam_running() {
            (
                init_result::NO_STEAM_CLIENT,
                format!(
                    "Cannot create IPC pipe to Steam client process.  Steam is probably not running. \
                     (steam_api stand-in: {NOT_RUNNING_ENV}=1)"
                ),
            )
        } else {
            match open_backend() {
                Ok(backend) => {
                    state.generation += 1;
                    let generation = state.generation;
                    state.live = Some(Live {
                        backend,
                        generation,
                        // A new pipe per init, as a real re-init gets, so stale pipes stand out.
                        pipe: i32::try_from(generation).unwrap_or(i32::MAX),
                        interfaces: HashMap::new(),
                    });
                    (init_result::OK, String::new())
                }
                Err(error) => (error.status as c_int, error.message),
            }
        }
    };
    if status != init_result::OK {
        log::warn!("SteamAPI_InitFlat failed ({status}): {message}");
    }
    // SAFETY: the caller passes a SteamErrMsg or null.
    unsafe { write_c_string(&message, err_msg, ERR_MSG_SIZE) };
    status
}

/// The local backend as the process's arguments and environment configure it, for the app of
/// `SteamAppId` (what GodotSteam and the extension set before initialising Steam).
fn open_backend() -> Result<LocalBackend, InitError> {
    let env: HashMap<String, String> = std::env::vars_os()
        .map(|(key, value)| {
            (
                key.to_string_lossy().into_owned(),
                value.to_string_lossy().into_owned(),
            )
        })
        .collect();
    let sources = ConfigSources {
        args: user_args(std::env::args_os().map(|arg| arg.to_string_lossy().into_owned())),
        env,
        settings: HashMap::new(),
    };
    // The backend kind is the extension's business: "Steam" here is always the local backend.
    let (_, local) = resolve(&sources).map_err(|error| InitError {
        status: InitStatus::FailedGeneric,
        message: format!("steam_api stand-in: {error}"),
    })?;
    let app_id = sources
        .env
        .get("SteamAppId")
        .and_then(|id| id.trim().parse().ok())
        .unwrap_or(0);
    LocalBackend::open(LocalConfig { app_id, ..local }, system_clock())
}

/// A process's user arguments: what follows the first `--` (Godot passes its own arguments before it).
pub fn user_args(args: impl IntoIterator<Item = String>) -> Vec<String> {
    args.into_iter()
        .skip_while(|arg| arg != "--")
        .skip(1)
        .collect()
}

/// `SteamAPI_Shutdown`: not reference-counted in real Steam, so one call ends everything: the backend,
/// the pipe, every interface pointer and every queued callback. Registered callback objects stay: they
/// belong to the caller.
pub fn shutdown() {
    let live = {
        let mut state = lock();
        state.queue.clear();
        state.handed_out = None;
        state.contract.shutdown();
        state.live.take()
    };
    // Dropped unlocked: the backend tells its peers goodbye, which need not block other threads' calls.
    drop(live);
}

/// `SteamAPI_GetHSteamPipe`: non-zero only while initialised, new after every init.
pub fn pipe() -> HSteamPipe {
    lock().live.as_ref().map_or(0, |live| live.pipe)
}

/// `SteamAPI_GetHSteamUser`: non-zero only while initialised.
pub fn user() -> HSteamUser {
    if lock().live.is_some() { STEAM_USER } else { 0 }
}

/// An interface accessor (`SteamAPI_SteamUser_v023`, ...): null unless initialised, else this generation's
/// interface object of `kind`.
pub fn interface(kind: InterfaceKind) -> *mut c_void {
    let mut state = lock();
    let state = &mut *state;
    let Some(live) = state.live.as_mut() else {
        return std::ptr::null_mut();
    };
    let address = *live.interfaces.entry(kind as u32).or_insert_with(|| {
        let object = Box::leak(Box::new(Interface {
            kind,
            generation: live.generation,
        }));
        let address = std::ptr::from_mut(object) as usize;
        state.interfaces.push((address, kind, live.generation));
        address
    });
    address as *mut c_void
}

/// Whether `this` may be used for a call to `function` on the interface `kind`, without aborting: the check
/// every interface call makes first.
pub fn check_interface(
    this: *mut c_void,
    kind: InterfaceKind,
    function: &'static str,
) -> Result<(), Fatal> {
    lock().live_for(this, kind, function).map(|_| ())
}

// ---- ISteamUser ----

/// `ISteamUser::GetSteamID`.
pub fn steam_id(this: *mut c_void) -> Result<u64, Fatal> {
    let mut state = lock();
    let live = state.live_for(this, InterfaceKind::User, "SteamAPI_ISteamUser_GetSteamID")?;
    Ok(live.backend.local_steam_id().0)
}

/// `ISteamUser::BLoggedOn`: logged on whenever initialised.
pub fn logged_on(this: *mut c_void) -> Result<bool, Fatal> {
    check_interface(this, InterfaceKind::User, "SteamAPI_ISteamUser_BLoggedOn").map(|()| true)
}

// ---- ISteamNetworkingMessages ----

/// The Steam ID of the identity at `identity`, if Steam could open a Messages session with it (Steam
/// supports only Steam ID identities there, and answers `k_EResultInvalidSteamID` for anything else).
///
/// # Safety
/// `identity` must be null or point at a `SteamNetworkingIdentity`.
unsafe fn session_peer(identity: *const SteamNetworkingIdentity) -> Option<SteamId> {
    if identity.is_null() {
        return None;
    }
    // SAFETY: non-null, and the caller promises an identity; it is packed, so any address is aligned.
    let identity = unsafe { identity.read_unaligned() };
    Some(SteamId(steam_id64(&identity))).filter(|remote| remote.is_session_peer())
}

/// `ISteamNetworkingMessages::SendMessageToUser`, with the checks the extension makes before its backend
/// (the engine validates little itself).
///
/// # Safety
/// `identity` must be null or point at an identity, `data` at `size` readable bytes unless null.
pub unsafe fn send_message_to_user(
    this: *mut c_void,
    identity: *const SteamNetworkingIdentity,
    data: *const c_void,
    size: u32,
    flags: c_int,
    channel: c_int,
) -> Result<c_int, Fatal> {
    static DISCARD_SENDS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *DISCARD_SENDS
        .get_or_init(|| std::env::var(DISCARD_SENDS_ENV).is_ok_and(|value| value == "1"))
    {
        return Ok(SteamResult::OK.0);
    }
    let mut state = lock();
    let live = state.live_for(
        this,
        InterfaceKind::NetworkingMessages,
        "SteamAPI_ISteamNetworkingMessages_SendMessageToUser",
    )?;
    if identity.is_null() {
        return Ok(SteamResult::INVALID_PARAM.0);
    }
    // SAFETY: the caller's promise.
    let Some(remote) = (unsafe { session_peer(identity) }) else {
        return Ok(SteamResult::INVALID_STEAM_ID.0);
    };
    let size = size as usize;
    if channel < 0 || size > MAX_STEAM_PACKET_SIZE || (data.is_null() && size > 0) {
        return Ok(SteamResult::INVALID_PARAM.0);
    }
    let payload = if size == 0 {
        &[][..]
    } else {
        // SAFETY: non-null and `size` bytes long, as the caller promises; Steam copies before returning.
        unsafe { std::slice::from_raw_parts(data.cast::<u8>(), size) }
    };
    Ok(live
        .backend
        .send_message_to_user(remote, payload, flags, channel)
        .0)
}

/// A received message as Steam hands it out, with its payload in the same allocation's ownership.
#[repr(C)]
struct OwnedMessage {
    /// First, so a pointer to the message is a pointer to the whole.
    message: SteamNetworkingMessage_t,
    payload: Box<[u8]>,
}

/// `m_pfnRelease` of the messages the stand-in allocates: frees the message and its payload.
///
/// # Safety
/// `message` must come from `ReceiveMessagesOnChannel` and not have been released before.
unsafe extern "C" fn release_owned_message(message: *mut SteamNetworkingMessage_t) {
    if !message.is_null() {
        // SAFETY: allocated as a Box<OwnedMessage> whose first field is the message (repr(C)).
        drop(unsafe { Box::from_raw(message.cast::<OwnedMessage>()) });
    }
}

fn allocate_message(received: &ReceivedMessage<'_>) -> *mut SteamNetworkingMessage_t {
    let mut owned = Box::new(OwnedMessage {
        message: SteamNetworkingMessage_t {
            data: std::ptr::null_mut(),
            size: received.payload.len() as c_int,
            connection: received.connection,
            identity_peer: identity_of(received.sender),
            connection_user_data: received.connection_user_data,
            time_received_usec: received.time_received_usec,
            message_number: received.message_number,
            free_data: None,
            release: Some(release_owned_message),
            channel: received.channel,
            flags: received.flags,
            user_data: received.user_data,
            lane: 0,
            pad: 0,
        },
        payload: received.payload.into(),
    });
    // The payload's heap buffer does not move with the box.
    owned.message.data = owned.payload.as_mut_ptr().cast();
    Box::into_raw(owned).cast()
}

/// `ISteamNetworkingMessages::ReceiveMessagesOnChannel`: up to `max` messages into `out`, each to be freed
/// with `SteamAPI_SteamNetworkingMessage_t_Release`.
///
/// # Safety
/// `out` must be null or have room for `max` pointers.
pub unsafe fn receive_messages_on_channel(
    this: *mut c_void,
    channel: c_int,
    out: *mut *mut SteamNetworkingMessage_t,
    max: c_int,
) -> Result<c_int, Fatal> {
    let mut state = lock();
    let live = state.live_for(
        this,
        InterfaceKind::NetworkingMessages,
        "SteamAPI_ISteamNetworkingMessages_ReceiveMessagesOnChannel",
    )?;
    let Ok(max) = usize::try_from(max) else {
        return Ok(0);
    };
    if out.is_null() || max == 0 || channel < 0 {
        return Ok(0);
    }
    let mut count = 0;
    live.backend
        .receive_messages_on_channel(channel, max, &mut |received| {
            if count < max {
                // SAFETY: `count < max`, and the caller gave room for `max` pointers.
                unsafe { out.add(count).write(allocate_message(received)) };
                count += 1;
            }
        });
    Ok(count as c_int)
}

/// `AcceptSessionWithUser`, `CloseSessionWithUser` and `CloseChannelWithUser`: false for an identity Steam
/// opens no session with or a negative channel, else the backend's answer.
///
/// # Safety
/// `identity` must be null or point at an identity.
pub unsafe fn session_call(
    this: *mut c_void,
    function: &'static str,
    identity: *const SteamNetworkingIdentity,
    call: impl FnOnce(&mut LocalBackend, SteamId) -> bool,
) -> Result<bool, Fatal> {
    let mut state = lock();
    let live = state.live_for(this, InterfaceKind::NetworkingMessages, function)?;
    // SAFETY: the caller's promise.
    Ok(match unsafe { session_peer(identity) } {
        Some(remote) => call(&mut live.backend, remote),
        None => false,
    })
}

/// `ISteamNetworkingMessages::GetSessionConnectionInfo`: fills both structs that are not null (all zero
/// when there is no session) and returns the state.
///
/// # Safety
/// `identity` must be null or point at an identity; `info` and `status` null or writable.
pub unsafe fn session_connection_info(
    this: *mut c_void,
    identity: *const SteamNetworkingIdentity,
    info: *mut SteamNetConnectionInfo_t,
    status: *mut SteamNetConnectionRealTimeStatus_t,
) -> Result<c_int, Fatal> {
    let mut state = lock();
    let live = state.live_for(
        this,
        InterfaceKind::NetworkingMessages,
        "SteamAPI_ISteamNetworkingMessages_GetSessionConnectionInfo",
    )?;
    // SAFETY: the caller's promise.
    let session = match unsafe { session_peer(identity) } {
        Some(remote) => live.backend.session_connection_info(remote),
        None => SessionInfo::default(),
    };
    let exists = session.state != ConnectionState::NONE;
    if !info.is_null() {
        let value = if exists {
            connection_info(&session)
        } else {
            empty_connection_info()
        };
        // SAFETY: non-null and writable, as the caller promises; packed(4) matches Steam's alignment.
        unsafe { info.write_unaligned(value) };
    }
    if !status.is_null() {
        let value = if exists {
            real_time_status(&session.status)
        } else {
            empty_status()
        };
        // SAFETY: as above.
        unsafe { status.write_unaligned(value) };
    }
    Ok(session.state.0)
}

const fn empty_connection_info() -> SteamNetConnectionInfo_t {
    SteamNetConnectionInfo_t {
        identity_remote: SteamNetworkingIdentity {
            identity_type: 0,
            size: 0,
            data: [0; 128],
        },
        user_data: 0,
        listen_socket: 0,
        address_remote: SteamNetworkingIPAddr {
            ipv6: [0; 16],
            port: 0,
        },
        pad1: 0,
        pop_remote: 0,
        pop_relay: 0,
        state: 0,
        end_reason: 0,
        end_debug: [0; 128],
        connection_description: [0; 128],
        flags: 0,
        reserved: [0; 63],
    }
}

const fn empty_status() -> SteamNetConnectionRealTimeStatus_t {
    SteamNetConnectionRealTimeStatus_t {
        state: 0,
        ping: 0,
        quality_local: 0.0,
        quality_remote: 0.0,
        out_packets_per_sec: 0.0,
        out_bytes_per_sec: 0.0,
        in_packets_per_sec: 0.0,
        in_bytes_per_sec: 0.0,
        send_rate_bytes_per_second: 0,
        pending_unreliable: 0,
        pending_reliable: 0,
        sent_unacked_reliable: 0,
        queue_time_usec: 0,
        max_jitter_usec: 0,
        reserved: [0; 15],
    }
}

fn connection_info(session: &SessionInfo) -> SteamNetConnectionInfo_t {
    let connection = &session.connection;
    let mut info = empty_connection_info();
    info.identity_remote = identity_of(connection.identity);
    info.user_data = connection.user_data;
    info.listen_socket = connection.listen_socket;
    info.address_remote = parse_remote_address(&connection.remote_address);
    info.pop_remote = connection.remote_pop;
    info.pop_relay = connection.pop_relay;
    info.state = connection.state.0;
    info.end_reason = connection.end_reason;
    fill_c_array(&connection.end_debug, &mut info.end_debug);
    fill_c_array(&connection.description, &mut info.connection_description);
    info.flags = connection.flags;
    info
}

fn real_time_status(status: &RealTimeStatus) -> SteamNetConnectionRealTimeStatus_t {
    SteamNetConnectionRealTimeStatus_t {
        state: status.state.0,
        ping: status.ping,
        quality_local: status.local_quality,
        quality_remote: status.remote_quality,
        out_packets_per_sec: status.out_packets_per_sec,
        out_bytes_per_sec: status.out_bytes_per_sec,
        in_packets_per_sec: status.in_packets_per_sec,
        in_bytes_per_sec: status.in_bytes_per_sec,
        send_rate_bytes_per_second: status.send_rate_bytes_per_sec,
        pending_unreliable: status.pending_unreliable,
        pending_reliable: status.pending_reliable,
        sent_unacked_reliable: status.sent_unacked_reliable,
        queue_time_usec: status.queue_time_usec,
        // The engine does not measure jitter: negative means "no data" in Steam's header.
        max_jitter_usec: -1,
        reserved: [0; 15],
    }
}

// ---- Callbacks, the standard way ----

/// `SteamAPI_RegisterCallback`: records the object for `callback` and sets its registered flag, as Steam
/// does (and `m_iCallback`, which the SDK's `STEAM_CALLBACK` objects leave 0). Allowed before init; the
/// registration outlives `SteamAPI_Shutdown`.
///
/// # Safety
/// `object` must be null or a live `CCallbackBase` that stays valid until it is unregistered.
pub unsafe fn register_callback(object: *mut CCallbackBase, callback: c_int) -> Result<(), Fatal> {
    if object.is_null() {
        return Ok(());
    }
    let mut state = lock();
    let address = object as usize;
    // Registering again moves the object to the new ID, as the SDK's `CCallback::Register` does.
    if let Some(index) = state.registrations.iter().position(|r| r.object == address) {
        let old = state.registrations.remove(index);
        state.contract.unregister_callback(old.callback);
    }
    state.contract.register_callback(callback)?;
    state.registrations.push(Registration {
        object: address,
        callback,
    });
    // SAFETY: a live object, as the caller promises; written under the lock like every flag change.
    unsafe {
        (*object).callback_flags |= CALLBACK_FLAG_REGISTERED;
        (*object).callback = callback;
    }
    Ok(())
}

/// `SteamAPI_UnregisterCallback`: forgets the object and clears its registered flag.
///
/// # Safety
/// `object` must be null or a live `CCallbackBase`.
pub unsafe fn unregister_callback(object: *mut CCallbackBase) {
    if object.is_null() {
        return;
    }
    let mut state = lock();
    let address = object as usize;
    if let Some(index) = state.registrations.iter().position(|r| r.object == address) {
        let old = state.registrations.remove(index);
        state.contract.unregister_callback(old.callback);
    }
    // SAFETY: a live object, as the caller promises.
    unsafe { (*object).callback_flags &= !CALLBACK_FLAG_REGISTERED };
}

/// Clears `dispatching` when `run_callbacks` ends, however it ends.
struct Dispatching;

impl Drop for Dispatching {
    fn drop(&mut self) {
        lock().dispatching = false;
    }
}

/// `SteamAPI_RunCallbacks`: polls the backend and runs every registered object for each callback, with
/// the lock released during each call. An object unregistered by an earlier callback is not called; a
/// `SteamAPI_Shutdown` from a callback drops the rest; a nested call does nothing.
pub fn run_callbacks() -> Result<(), Fatal> {
    let (params, generation) = {
        let mut state = lock();
        state.contract.run_callbacks()?;
        if state.dispatching {
            return Ok(());
        }
        let Some(live) = state.live.as_mut() else {
            return Ok(());
        };
        let mut events = Vec::new();
        live.backend.poll(&mut events);
        let generation = live.generation;
        state.dispatching = true;
        let params: Vec<CallbackParam> = events.into_iter().filter_map(CallbackParam::of).collect();
        (params, generation)
    };
    let _dispatching = Dispatching;
    for mut param in params {
        let callback = param.callback();
        let objects: Vec<usize> = lock()
            .registrations
            .iter()
            .filter(|registration| registration.callback == callback)
            .map(|registration| registration.object)
            .collect();
        for object in objects {
            {
                let state = lock();
                if state.live.as_ref().map(|live| live.generation) != Some(generation) {
                    return Ok(());
                }
                let registration = Registration { object, callback };
                if !state.registrations.contains(&registration) {
                    continue;
                }
                // SAFETY: registered, so alive (the SDK's destructors unregister).
                let flags = unsafe { (*(object as *const CCallbackBase)).callback_flags };
                if flags & CALLBACK_FLAG_GAME_SERVER != 0 {
                    // Game server objects run from SteamGameServer_RunCallbacks, which has no server here.
                    continue;
                }
            }
            // SAFETY: a registered object; its vtable's first slot is `Run(void*)`.
            unsafe { run_object(object as *mut CCallbackBase, param.as_mut_ptr()) };
        }
    }
    Ok(())
}

/// Calls `object->Run(param)` through the object's vtable.
///
/// # Safety
/// `object` must be a live `CCallbackBase` with a valid vtable, `param` the struct for its callback ID.
pub unsafe fn run_object(object: *mut CCallbackBase, param: *mut c_void) {
    // SAFETY: the caller's promise.
    unsafe {
        let vtable = (*object).vtable;
        ((*vtable).run)(object, param);
    }
}

// ---- Callbacks, manual dispatch ----

/// `SteamAPI_ManualDispatch_Init`.
pub fn manual_dispatch_init() -> Result<(), Fatal> {
    Ok(lock().contract.manual_dispatch_init()?)
}

static WRONG_PIPE_REPORTED: AtomicBool = AtomicBool::new(false);

/// Whether `pipe` is the live one; says once on stderr when it is not (a stale pipe after a re-init, or a
/// call before init), which real Steam ignores.
fn is_current_pipe(state: &State, pipe: HSteamPipe, function: &str) -> bool {
    let current = state.live.as_ref().map_or(0, |live| live.pipe);
    if pipe != 0 && pipe == current {
        return true;
    }
    if !WRONG_PIPE_REPORTED.swap(true, Ordering::Relaxed) {
        crate::exports::report(&format!(
            "{function} called with pipe {pipe} while the current pipe is {current}; ignored (said once)"
        ));
    }
    false
}

/// `SteamAPI_ManualDispatch_RunFrame`: polls the backend and queues its callbacks.
pub fn manual_dispatch_run_frame(pipe: HSteamPipe) -> Result<(), Fatal> {
    let mut state = lock();
    state.contract.manual_function(ManualFunction::RunFrame)?;
    if !is_current_pipe(&state, pipe, ManualFunction::RunFrame.name()) {
        return Ok(());
    }
    let mut events = Vec::new();
    if let Some(live) = state.live.as_mut() {
        live.backend.poll(&mut events);
    }
    state
        .queue
        .extend(events.into_iter().filter_map(CallbackParam::of));
    Ok(())
}

/// `SteamAPI_ManualDispatch_GetNextCallback`: hands out the next queued callback; its parameter stays valid
/// until `SteamAPI_ManualDispatch_FreeLastCallback`.
///
/// # Safety
/// `out` must be null or writable.
pub unsafe fn manual_dispatch_next_callback(
    pipe: HSteamPipe,
    out: *mut CallbackMsg_t,
) -> Result<bool, Fatal> {
    let mut state = lock();
    state
        .contract
        .manual_function(ManualFunction::GetNextCallback)?;
    if out.is_null() || !is_current_pipe(&state, pipe, ManualFunction::GetNextCallback.name()) {
        return Ok(false);
    }
    let Some(mut param) = state.queue.pop_front() else {
        return Ok(false);
    };
    let message = CallbackMsg_t {
        steam_user: STEAM_USER,
        callback: param.callback(),
        param: param.as_mut_ptr().cast(),
        param_size: param.size(),
    };
    // SAFETY: non-null and writable, as the caller promises.
    unsafe { out.write_unaligned(message) };
    state.handed_out = Some(param);
    state.contract.callback_handed_out();
    Ok(true)
}

/// `SteamAPI_ManualDispatch_FreeLastCallback`.
pub fn manual_dispatch_free_last_callback(_pipe: HSteamPipe) -> Result<(), Fatal> {
    let mut state = lock();
    state
        .contract
        .manual_function(ManualFunction::FreeLastCallback)?;
    state.handed_out = None;
    Ok(())
}

/// `SteamAPI_ManualDispatch_GetAPICallResult`: no call results exist here (nothing the extensions call
/// returns a `SteamAPICall_t`), so there is never one to fetch.
pub fn manual_dispatch_call_result() -> Result<bool, Fatal> {
    lock()
        .contract
        .manual_function(ManualFunction::GetApiCallResult)?;
    Ok(false)
}

// ---- Logging ----

/// The engine's `log` messages on stderr: this library has its own copy of `log`, which the extension's
/// logger does not reach.
struct StderrLogger;

impl log::Log for StderrLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            crate::exports::report(&format!("[{}] {}", record.level(), record.args()));
        }
    }

    fn flush(&self) {}
}

fn install_logger() {
    static LOGGER: StderrLogger = StderrLogger;
    if log::set_logger(&LOGGER).is_ok() {
        let level = std::env::var(LOG_ENV)
            .ok()
            .and_then(|level| level.parse().ok())
            .unwrap_or(log::LevelFilter::Warn);
        log::set_max_level(level);
    }
}

/// Back to a fresh process's state (shut down, nothing registered, neither dispatch style used), for
/// tests that each need a clean contract. Interface objects handed out earlier stay known, and stale.
#[cfg(test)]
pub(crate) fn reset_for_tests() {
    shutdown();
    let mut state = lock();
    state.registrations.clear();
    state.contract = DispatchContract::new();
    state.dispatching = false;
}
