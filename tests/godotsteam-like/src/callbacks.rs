//! The bridge to `callbacks.cpp`: the C++ object whose `STEAM_CALLBACK` members Steam calls, and the
//! `extern "C"` functions those members forward to.
//!
//! A forwarded callback is counted (for `get_callbacks_received`) and then handed to the sink the `Steam`
//! singleton installs, which emits its signal. Without a sink (no singleton: unit tests, or after unload) it
//! is only counted, so nothing here touches Godot by itself.

use std::collections::BTreeMap;
use std::ffi::{CStr, c_char, c_void};
use std::ptr::NonNull;
use std::sync::Mutex;

unsafe extern "C" {
    fn godotsteam_like_callbacks_create() -> *mut c_void;
    fn godotsteam_like_callbacks_destroy(callbacks: *mut c_void);
    #[cfg(test)]
    fn godotsteam_like_callbacks_dispatch(
        callbacks: *mut c_void,
        callback_id: i32,
        param: *mut c_void,
    ) -> bool;
}

/// A Steam callback as GodotSteam hands it to GDScript: the fields its signal carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackEvent {
    /// `SteamNetworkingMessagesSessionRequest_t`.
    SessionRequest { remote_steam_id: u64 },
    /// `SteamNetworkingMessagesSessionFailed_t`.
    SessionFailed {
        reason: i32,
        remote_steam_id: u64,
        connection_state: i32,
        debug_message: String,
    },
    /// `PersonaStateChange_t`: a callback our addon has no interest in, passing through the same dispatcher.
    PersonaStateChange { steam_id: u64, flags: i32 },
}

/// Where forwarded callbacks go after being counted: a plain function, so it needs no state of its own.
pub type EventSink = fn(&CallbackEvent);

/// Callbacks received so far, by Steam callback ID (`k_iCallback`).
static RECEIVED: Mutex<BTreeMap<i32, i64>> = Mutex::new(BTreeMap::new());
/// The `Steam` singleton's signal emitter, while it exists.
static SINK: Mutex<Option<EventSink>> = Mutex::new(None);

/// Installs (or with `None` removes) the function that turns callbacks into signals.
pub fn set_sink(sink: Option<EventSink>) {
    *SINK.lock().unwrap_or_else(|poison| poison.into_inner()) = sink;
}

/// How many callbacks of each Steam callback ID have been received since the library was loaded.
pub fn received_counts() -> BTreeMap<i32, i64> {
    RECEIVED
        .lock()
        .unwrap_or_else(|poison| poison.into_inner())
        .clone()
}

fn deliver(callback_id: i32, event: CallbackEvent) {
    *RECEIVED
        .lock()
        .unwrap_or_else(|poison| poison.into_inner())
        .entry(callback_id)
        .or_default() += 1;
    // Copied out so no lock is held while the signal runs GDScript, which may call back into `Steam`.
    let sink = *SINK.lock().unwrap_or_else(|poison| poison.into_inner());
    if let Some(sink) = sink {
        sink(&event);
    }
}

/// The C++ object holding the `STEAM_CALLBACK` members; they stay registered with Steam while it lives.
#[derive(Debug)]
pub struct Registration(NonNull<c_void>);

impl Registration {
    /// Constructs the object, which registers its callbacks (`SteamAPI_RegisterCallback`).
    pub fn register() -> Option<Self> {
        // SAFETY: plain constructor; the result is either null or an object only `Drop` destroys.
        NonNull::new(unsafe { godotsteam_like_callbacks_create() }).map(Self)
    }

    /// Calls the member registered for `callback_id` with `param` the way libsteam_api's dispatcher does
    /// (through `CCallbackBase::Run`). Returns whether a member takes that ID.
    ///
    /// # Safety
    /// `param` must point to a valid value of the callback struct whose `k_iCallback` is `callback_id`.
    #[cfg(test)]
    pub unsafe fn dispatch(&self, callback_id: i32, param: *mut c_void) -> bool {
        // SAFETY: `self.0` is a live object; the caller vouches for `param`.
        unsafe { godotsteam_like_callbacks_dispatch(self.0.as_ptr(), callback_id, param) }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: created by `godotsteam_like_callbacks_create`, destroyed once, here.
        unsafe { godotsteam_like_callbacks_destroy(self.0.as_ptr()) }
    }
}

/// The text of a fixed-size C string field, which Steam NUL-terminates but which is read no further than
/// its capacity in any case.
fn fixed_c_string(text: *const c_char, capacity: usize) -> String {
    if text.is_null() || capacity == 0 {
        return String::new();
    }
    // SAFETY: the field is `capacity` bytes long (the C++ side passes its `sizeof`).
    let bytes = unsafe { std::slice::from_raw_parts(text.cast::<u8>(), capacity) };
    CStr::from_bytes_until_nul(bytes).map_or_else(
        |_| String::from_utf8_lossy(bytes).into_owned(),
        |text| text.to_string_lossy().into_owned(),
    )
}

/// Called by the `SteamNetworkingMessagesSessionRequest_t` member.
#[unsafe(no_mangle)]
extern "C" fn godotsteam_like_session_request(callback_id: i32, remote_steam_id: u64) {
    deliver(
        callback_id,
        CallbackEvent::SessionRequest { remote_steam_id },
    );
}

/// Called by the `SteamNetworkingMessagesSessionFailed_t` member.
#[unsafe(no_mangle)]
extern "C" fn godotsteam_like_session_failed(
    callback_id: i32,
    reason: i32,
    remote_steam_id: u64,
    connection_state: i32,
    debug_message: *const c_char,
    debug_message_capacity: usize,
) {
    let debug_message = fixed_c_string(debug_message, debug_message_capacity);
    deliver(
        callback_id,
        CallbackEvent::SessionFailed {
            reason,
            remote_steam_id,
            connection_state,
            debug_message,
        },
    );
}

/// Called by the `PersonaStateChange_t` member.
#[unsafe(no_mangle)]
extern "C" fn godotsteam_like_persona_state_change(callback_id: i32, steam_id: u64, flags: i32) {
    deliver(
        callback_id,
        CallbackEvent::PersonaStateChange { steam_id, flags },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use steamworks_sys as sys;

    /// Runs the real `STEAM_CALLBACK` members with structs laid out by Valve's headers (through the
    /// bindings), as Steam's dispatcher would, and checks what reaches Rust. No Steam client, no Godot.
    #[test]
    fn steam_callback_members_forward_the_fields_godotsteam_reads() {
        static EVENTS: Mutex<Vec<CallbackEvent>> = Mutex::new(Vec::new());
        fn record(event: &CallbackEvent) {
            EVENTS.lock().unwrap().push(event.clone());
        }
        set_sink(Some(record));
        let registration = Registration::register().expect("callbacks object");
        let before = received_counts();

        let remote = 76_561_197_960_287_930_u64;
        // SAFETY: all-zero is a valid value of these plain C structs.
        let mut request: sys::SteamNetworkingMessagesSessionRequest_t =
            unsafe { std::mem::zeroed() };
        request.m_identityRemote.m_eType =
            sys::ESteamNetworkingIdentityType::k_ESteamNetworkingIdentityType_SteamID;
        request.m_identityRemote.__bindgen_anon_1.m_steamID64 = remote;

        let mut failed: sys::SteamNetworkingMessagesSessionFailed_t = unsafe { std::mem::zeroed() };
        failed.m_info.m_identityRemote = request.m_identityRemote;
        failed.m_info.m_eEndReason = 4001;
        failed.m_info.m_eState =
            sys::ESteamNetworkingConnectionState::k_ESteamNetworkingConnectionState_ProblemDetectedLocally;
        for (slot, byte) in failed.m_info.m_szEndDebug.iter_mut().zip(b"timed out") {
            *slot = *byte as c_char;
        }

        let mut persona: sys::PersonaStateChange_t = unsafe { std::mem::zeroed() };
        persona.m_ulSteamID = remote;
        persona.m_nChangeFlags = 1;

        let request_id = sys::SteamNetworkingMessagesSessionRequest_t_k_iCallback as i32;
        let failed_id = sys::SteamNetworkingMessagesSessionFailed_t_k_iCallback as i32;
        let persona_id = sys::PersonaStateChange_t_k_iCallback as i32;
        // SAFETY: each pointer is to the struct its ID names.
        unsafe {
            assert!(registration.dispatch(request_id, (&raw mut request).cast()));
            assert!(registration.dispatch(failed_id, (&raw mut failed).cast()));
            assert!(registration.dispatch(persona_id, (&raw mut persona).cast()));
            assert!(!registration.dispatch(1, (&raw mut persona).cast()));
        }
        set_sink(None);
        drop(registration);

        assert_eq!(
            *EVENTS.lock().unwrap(),
            [
                CallbackEvent::SessionRequest {
                    remote_steam_id: remote
                },
                CallbackEvent::SessionFailed {
                    reason: 4001,
                    remote_steam_id: remote,
                    connection_state: 5,
                    debug_message: "timed out".into(),
                },
                CallbackEvent::PersonaStateChange {
                    steam_id: remote,
                    flags: 1
                },
            ]
        );
        let after = received_counts();
        for id in [request_id, failed_id, persona_id] {
            assert_eq!(
                after.get(&id).copied().unwrap_or(0) - before.get(&id).copied().unwrap_or(0),
                1,
                "callback {id} counted once"
            );
        }
        // The IDs GodotSteam users know from Valve's documentation.
        assert_eq!((request_id, failed_id, persona_id), (1251, 1252, 304));
    }

    #[test]
    fn fixed_strings_stop_at_the_terminator_or_the_capacity() {
        let text = *b"abc\0def";
        assert_eq!(fixed_c_string(text.as_ptr().cast(), text.len()), "abc");
        let unterminated = *b"abcd";
        assert_eq!(fixed_c_string(unterminated.as_ptr().cast(), 4), "abcd");
        assert_eq!(fixed_c_string(std::ptr::null(), 8), "");
    }
}
