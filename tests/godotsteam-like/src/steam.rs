//! The `Steam` singleton: the part of GodotSteam 4.16's `Steam` class that matters when it shares a process
//! with godot-steam-messages (initialisation, callbacks, shutdown), with GodotSteam's names and behaviour.
//!
//! Steam is one per process, so its state lives in statics rather than in the object: every method can then
//! take `&self`, and a GDScript signal handler running inside `SteamAPI_RunCallbacks` can call any method
//! again (no `bind_mut` is ever held across a callback).

use std::ffi::{CStr, c_char, c_int};
use std::sync::atomic::{AtomicBool, Ordering};

use godot::classes::{Engine, Object, Os};
use godot::obj::Singleton;
use godot::prelude::*;
use steamworks_sys as sys;

use crate::callbacks::{self, CallbackEvent, Registration};

unsafe extern "C" {
    // Declared again with an `int` return: a stand-in (or a future Steam) may return a code the bindings'
    // Rust enum does not list, which must not become undefined behaviour.
    #[link_name = "SteamAPI_InitFlat"]
    fn init_flat(error_message: *mut sys::SteamErrMsg) -> c_int;
}

/// GodotSteam's `is_init_success`: set by a successful init and, as in GodotSteam, not cleared by
/// `steamShutdown()`, so unloading shuts Steam down again (GodotSteam's destructor does).
static INIT_SUCCESS: AtomicBool = AtomicBool::new(false);
/// GodotSteam's `were_callbacks_embedded`: `SteamAPI_RunCallbacks()` every frame until `steamShutdown()`.
static CALLBACKS_EMBEDDED: AtomicBool = AtomicBool::new(false);

/// `STEAM_API_INIT_RESULT_OK`.
const INIT_RESULT_OK: i64 = 0;

/// Test fixture: a look-alike of GodotSteam's `Steam` singleton (initialisation, callbacks and shutdown only).
///
/// Its Steam callbacks are `STEAM_CALLBACK` members registered when this singleton is constructed at
/// extension load, before any initialisation, as GodotSteam's are.
#[derive(GodotClass)]
#[class(singleton, base = Object)]
pub struct Steam {
    base: Base<Object>,
    /// Whether this is the engine singleton: the first instance, made at class registration. Any other (the
    /// editor's documentation pass instantiates classes to read defaults) neither registers callbacks nor
    /// shuts Steam down when freed.
    is_singleton: bool,
    /// Dropped after [`Drop::drop`] ran, so callbacks are unregistered after the shutdown, as GodotSteam's
    /// members are destroyed after its destructor's body.
    _registration: Option<Registration>,
}

/// Set when the singleton instance has been constructed.
static SINGLETON_CONSTRUCTED: AtomicBool = AtomicBool::new(false);

#[godot_api]
impl IObject for Steam {
    fn init(base: Base<Object>) -> Self {
        let is_singleton = !SINGLETON_CONSTRUCTED.swap(true, Ordering::SeqCst);
        let mut registration = None;
        if is_singleton {
            registration = Registration::register();
            if registration.is_none() {
                godot_error!("[STEAM] could not create the Steam callback objects");
            }
            callbacks::set_sink(Some(emit_callback_signal));
        }
        Self {
            base,
            is_singleton,
            _registration: registration,
        }
    }
}

impl Drop for Steam {
    fn drop(&mut self) {
        if !self.is_singleton {
            return;
        }
        callbacks::set_sink(None);
        SINGLETON_CONSTRUCTED.store(false, Ordering::SeqCst);
        if INIT_SUCCESS.swap(false, Ordering::SeqCst) {
            // SAFETY: plain C call; harmless if Steam was shut down already.
            unsafe { sys::SteamAPI_Shutdown() };
        }
        CALLBACKS_EMBEDDED.store(false, Ordering::SeqCst);
    }
}

#[godot_api]
impl Steam {
    /// Posted when a remote user sends a message and there is no session with them yet.
    #[signal]
    fn network_messages_session_request(remote_steam_id: i64);

    /// Posted when a session could not be established or broke in an unusual way.
    #[signal]
    fn network_messages_session_failed(
        reason: i64,
        remote_steam_id: i64,
        connection_state: i64,
        debug_message: GString,
    );

    /// Posted when a user's persona (name, status, avatar...) changes.
    #[signal]
    fn persona_state_change(steam_id: i64, flags: i64);

    /// Initialises Steam (`SteamAPI_InitFlat`); true on success. A non-zero [param app_id] is put in the
    /// `SteamAppId`/`SteamGameId` environment first; [param embed_callbacks] runs callbacks every frame.
    #[func(rename = steamInit)]
    fn steam_init(
        &self,
        #[opt(default = 0)] app_id: i64,
        #[opt(default = false)] embed_callbacks: bool,
    ) -> bool {
        initialize(app_id, embed_callbacks).0 == INIT_RESULT_OK
    }

    /// As [method steamInit], returning GodotSteam's [code]{"status": int, "verbal": String}[/code]; status
    /// is a `STEAM_API_INIT_RESULT_*` value (0 OK, 1 generic failure, 2 no Steam client, 3 version mismatch).
    #[func(rename = steamInitEx)]
    fn steam_init_ex(
        &self,
        #[opt(default = 0)] app_id: i64,
        #[opt(default = false)] embed_callbacks: bool,
    ) -> VarDictionary {
        let (status, verbal) = initialize(app_id, embed_callbacks);
        let mut result = VarDictionary::new();
        result.set("status", status);
        result.set("verbal", &GString::from(verbal.as_str()));
        result
    }

    /// Shuts Steam down (`SteamAPI_Shutdown()`) and stops embedded callbacks. Called whether or not Steam
    /// was initialised, as GodotSteam does.
    #[func(rename = steamShutdown)]
    fn steam_shutdown(&self) {
        // SAFETY: plain C call.
        unsafe { sys::SteamAPI_Shutdown() };
        CALLBACKS_EMBEDDED.store(false, Ordering::SeqCst);
    }

    /// Runs Steam's callbacks now (`SteamAPI_RunCallbacks()`); their signals are emitted before it returns.
    // `gd_self`: nothing of this object is borrowed while GDScript handlers run inside the callbacks.
    #[func(gd_self)]
    fn run_callbacks(_this: Gd<Self>) {
        run_steam_callbacks();
    }

    /// Whether a Steam client is running (`SteamAPI_IsSteamRunning()`).
    #[func(rename = isSteamRunning)]
    fn is_steam_running(&self) -> bool {
        // SAFETY: plain C call, valid before initialisation too.
        unsafe { sys::SteamAPI_IsSteamRunning() }
    }

    /// The local user's Steam ID; 0 when Steam is not initialised.
    #[func(rename = getSteamID)]
    fn get_steam_id(&self) -> i64 {
        let Some(user) = steam_user() else {
            return 0;
        };
        // SAFETY: `user` is the live interface Steam returned. Steam IDs cross into Godot as the bit
        // pattern of the u64, as GodotSteam passes them.
        unsafe { sys::SteamAPI_ISteamUser_GetSteamID(user) as i64 }
    }

    /// Whether the local user is logged on to Steam; false when Steam is not initialised.
    #[func(rename = loggedOn)]
    fn logged_on(&self) -> bool {
        // SAFETY: `user` is the live interface Steam returned.
        steam_user().is_some_and(|user| unsafe { sys::SteamAPI_ISteamUser_BLoggedOn(user) })
    }

    /// Test hook (not in GodotSteam): how many Steam callbacks of each callback ID
    /// ([code]k_iCallback[/code], e.g. 1251 for a session request) this look-alike has received.
    #[func]
    fn get_callbacks_received(&self) -> VarDictionary {
        let mut counts = VarDictionary::new();
        for (id, count) in callbacks::received_counts() {
            counts.set(i64::from(id), count);
        }
        counts
    }
}

impl Steam {
    /// The per-frame hook: GodotSteam's `embed_callbacks` (it connects `run_callbacks` to the scene tree's
    /// `process_frame`). Never in the editor, where GodotSteam's game-time code does not run either.
    pub fn on_frame() {
        if CALLBACKS_EMBEDDED.load(Ordering::SeqCst) && !Engine::singleton().is_editor_hint() {
            run_steam_callbacks();
        }
    }

    /// Disconnects everything connected to this singleton's signals. Called before scripts are torn down at
    /// exit: a GDScript lambda still connected to a gdext engine singleton's signal crashes Godot there.
    pub fn disconnect_all_signals() {
        if !Engine::singleton().has_singleton("Steam") {
            return;
        }
        let mut object = Steam::singleton().upcast::<Object>();
        for signal in [
            "network_messages_session_request",
            "network_messages_session_failed",
            "persona_state_change",
        ] {
            for connection in object.get_signal_connection_list(signal).iter_shared() {
                if let Some(callable) = connection
                    .get("callable")
                    .and_then(|value| value.try_to::<Callable>().ok())
                {
                    object.disconnect(signal, &callable);
                }
            }
        }
    }
}

fn run_steam_callbacks() {
    // SAFETY: plain C call; a no-op before initialisation.
    unsafe { sys::SteamAPI_RunCallbacks() };
}

/// GodotSteam's `SteamUser()`: the user interface, or `None` when Steam is not (or no longer) initialised.
fn steam_user() -> Option<*mut sys::ISteamUser> {
    // SAFETY: plain C call; returns null without an initialised Steam.
    let user = unsafe { sys::SteamAPI_SteamUser_v023() };
    (!user.is_null()).then_some(user)
}

/// `steamInit`/`steamInitEx`: the status and the text GodotSteam reports.
fn initialize(app_id: i64, embed_callbacks: bool) -> (i64, String) {
    if app_id != 0 {
        // Through Godot, as GodotSteam does (`OS::set_environment`), so Steam reads it from this process.
        let os = Os::singleton();
        os.set_environment("SteamAppId", &app_id.to_string());
        os.set_environment("SteamGameId", &app_id.to_string());
    }
    let mut message: sys::SteamErrMsg = [0; 1024];
    // SAFETY: `message` is the buffer of the size Steam writes into.
    let status = i64::from(unsafe { init_flat(&raw mut message) });
    if status == INIT_RESULT_OK {
        INIT_SUCCESS.store(true, Ordering::SeqCst);
        if embed_callbacks {
            CALLBACKS_EMBEDDED.store(true, Ordering::SeqCst);
        }
    }
    (status, verbal(status, &message))
}

/// GodotSteam's `verbal`: Steam's own message, or the documented text for the status when Steam gave none.
pub fn verbal(status: i64, message: &[c_char]) -> String {
    let bytes: Vec<u8> = message.iter().map(|&byte| byte as u8).collect();
    let text = CStr::from_bytes_until_nul(&bytes)
        .map(|text| text.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !text.is_empty() {
        return text;
    }
    match status {
        0 => "Steamworks active",
        1 => "Failed (generic)",
        2 => "Cannot connect to Steam, client probably isn't running",
        3 => "Steam client appears to be out of date",
        _ => "Unknown Steam initialization result",
    }
    .to_owned()
}

/// The sink for forwarded callbacks: emits the matching signal on the `Steam` singleton, from inside
/// `SteamAPI_RunCallbacks` as GodotSteam does. Through the plain `Object`, so no Rust borrow is held while a
/// handler runs (it may call back into `Steam` or into `SteamNetworkingMessages`).
fn emit_callback_signal(event: &CallbackEvent) {
    let mut object = Steam::singleton().upcast::<Object>();
    // Steam IDs as the bit pattern of the u64, the way GodotSteam's uint64_t arguments reach GDScript.
    match event {
        CallbackEvent::SessionRequest { remote_steam_id } => {
            object.emit_signal(
                "network_messages_session_request",
                &[(*remote_steam_id as i64).to_variant()],
            );
        }
        CallbackEvent::SessionFailed {
            reason,
            remote_steam_id,
            connection_state,
            debug_message,
        } => {
            object.emit_signal(
                "network_messages_session_failed",
                &[
                    i64::from(*reason).to_variant(),
                    (*remote_steam_id as i64).to_variant(),
                    i64::from(*connection_state).to_variant(),
                    GString::from(debug_message.as_str()).to_variant(),
                ],
            );
        }
        CallbackEvent::PersonaStateChange { steam_id, flags } => {
            object.emit_signal(
                "persona_state_change",
                &[
                    (*steam_id as i64).to_variant(),
                    i64::from(*flags).to_variant(),
                ],
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> Vec<c_char> {
        let mut buffer = vec![0 as c_char; 64];
        for (slot, byte) in buffer.iter_mut().zip(text.bytes()) {
            *slot = byte as c_char;
        }
        buffer
    }

    #[test]
    fn verbal_prefers_steams_message_and_falls_back_to_godotsteams_texts() {
        assert_eq!(
            verbal(2, &message("No steamclient")),
            "No steamclient".to_owned()
        );
        assert_eq!(verbal(0, &message("")), "Steamworks active");
        assert_eq!(
            verbal(2, &message("")),
            "Cannot connect to Steam, client probably isn't running"
        );
        assert_eq!(
            verbal(3, &message("")),
            "Steam client appears to be out of date"
        );
    }
}
