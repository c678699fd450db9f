//! Steam callbacks received the standard way: an object laid out as Steam's C++ `CCallbackBase`, registered with
//! `SteamAPI_RegisterCallback` and run by `SteamAPI_RunCallbacks`.
//!
//! This is how GodotSteam (and every C++ game) receives callbacks. The `steamworks` crate's client instead
//! switches the whole process to manual dispatch, which Steam's `steam_api.h` forbids mixing with registered
//! objects and `SteamAPI_RunCallbacks`: beside GodotSteam, one side would drain the other's callbacks. Here,
//! whoever pumps Steam (we every frame, GodotSteam whenever its game calls `run_callbacks`) runs everyone's.

use std::ffi::{c_int, c_void};
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use steamworks::sys;

use crate::backend::BackendEvent;

/// Reads one callback's parameter struct into the event GDScript receives.
pub type Decode = unsafe fn(param: *const c_void) -> BackendEvent;

/// `CCallbackBase`'s virtual functions. Steam's library is C++ and calls them through this table.
///
/// The Itanium C++ ABI (Linux, macOS, MinGW-built code) lists virtual functions in declaration order:
/// `Run(void*)`, `Run(void*, bool, SteamAPICall_t)`, `GetCallbackSizeBytes()`. MSVC, which builds Steam's
/// Windows DLL, groups overloads and lists them in reverse: the three-argument `Run` first. On 64-bit targets
/// a member function takes `this` as its first argument in the platform's C convention, so `extern "C"`
/// functions fit both.
#[repr(C)]
struct VirtualTable {
    #[cfg(not(windows))]
    run: unsafe extern "C" fn(this: *mut CallbackObject, param: *mut c_void),
    run_call_result: unsafe extern "C" fn(
        this: *mut CallbackObject,
        param: *mut c_void,
        io_failure: bool,
        call: sys::SteamAPICall_t,
    ),
    #[cfg(windows)]
    run: unsafe extern "C" fn(this: *mut CallbackObject, param: *mut c_void),
    callback_size_bytes: unsafe extern "C" fn(this: *mut CallbackObject) -> c_int,
}

// `this` is passed in a register only on 64-bit targets; 32-bit MSVC's `thiscall` would need another table.
const _: () = assert!(std::mem::size_of::<usize>() == 8);

static VIRTUAL_TABLE: VirtualTable = VirtualTable {
    run: run_callback,
    run_call_result,
    callback_size_bytes,
};

/// Steam's `k_ECallbackFlagsRegistered`, set and cleared by Steam itself.
const FLAG_REGISTERED: u8 = 0x01;

/// A `CCallbackBase` followed by what we need to handle it. Steam only touches the first three fields.
#[repr(C)]
struct CallbackObject {
    virtual_table: *const VirtualTable,
    callback_flags: u8,
    callback_id: c_int,
    param_size: c_int,
    decode: Decode,
    events: Arc<Mutex<Vec<BackendEvent>>>,
    // Steam keeps the address from registration until unregistration.
    _pinned: PhantomPinned,
}

// The C++ base must sit at the very start, laid out exactly as the bindings' `CCallbackBase`.
const _: () = {
    assert!(std::mem::offset_of!(CallbackObject, virtual_table) == 0);
    assert!(
        std::mem::offset_of!(CallbackObject, callback_flags)
            == std::mem::offset_of!(sys::CCallbackBase, m_nCallbackFlags)
    );
    assert!(
        std::mem::offset_of!(CallbackObject, callback_id)
            == std::mem::offset_of!(sys::CCallbackBase, m_iCallback)
    );
};

impl CallbackObject {
    fn new(
        callback_id: c_int,
        param_size: usize,
        decode: Decode,
        events: Arc<Mutex<Vec<BackendEvent>>>,
    ) -> Pin<Box<Self>> {
        Box::pin(Self {
            virtual_table: &VIRTUAL_TABLE,
            callback_flags: 0,
            callback_id,
            param_size: c_int::try_from(param_size).unwrap_or(c_int::MAX),
            decode,
            events,
            _pinned: PhantomPinned,
        })
    }
}

/// One registered callback; unregistered when dropped.
pub struct Registration {
    object: Pin<Box<CallbackObject>>,
}

impl Registration {
    /// Registers a handler for callback `callback_id`, whose parameter struct is `param_size` bytes: `decode`
    /// turns it into an event appended to `events`.
    ///
    /// # Safety
    /// `decode` must read exactly the struct Steam passes for `callback_id`.
    pub unsafe fn register(
        callback_id: c_int,
        param_size: usize,
        decode: Decode,
        events: Arc<Mutex<Vec<BackendEvent>>>,
    ) -> Self {
        let mut object = CallbackObject::new(callback_id, param_size, decode, events);
        // SAFETY: the object is pinned on the heap and stays registered until `Drop` unregisters it.
        unsafe {
            let base = object.as_mut().get_unchecked_mut() as *mut CallbackObject;
            sys::SteamAPI_RegisterCallback(base.cast::<sys::CCallbackBase>(), callback_id);
        }
        Self { object }
    }

    /// Whether Steam marked the object registered.
    pub fn is_registered(&self) -> bool {
        self.object.callback_flags & FLAG_REGISTERED != 0
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: the pointer is the one registered; unregistering an object Steam no longer lists is a
        // no-op in Steam, and works whether or not Steam is still initialised.
        unsafe {
            let base = self.object.as_mut().get_unchecked_mut() as *mut CallbackObject;
            sys::SteamAPI_UnregisterCallback(base.cast::<sys::CCallbackBase>());
        }
    }
}

unsafe extern "C" fn run_callback(this: *mut CallbackObject, param: *mut c_void) {
    if this.is_null() || param.is_null() {
        return;
    }
    // SAFETY: Steam calls back with the object it was given and the parameter struct of its callback ID.
    let object = unsafe { &*this };
    let event = unsafe { (object.decode)(param) };
    // A poisoned lock only means a panic elsewhere; the queue itself is still a valid Vec.
    object
        .events
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(event);
}

/// Runs every registered callback object of the process (`SteamAPI_RunCallbacks`): ours, which only queue
/// events, and GodotSteam's, which emit its signals at once, so a game's handlers run inside. The caller holds
/// no borrow of the extension, as those handlers may call it; one of them calling our `run_callbacks()` again
/// does nothing, since Steam's loop is already running below it.
pub fn run_process_callbacks() {
    // SAFETY: a plain call into Steam's loop; without an initialised Steam it does nothing.
    run_unless_running(|| unsafe { sys::SteamAPI_RunCallbacks() });
}

thread_local! {
    static RUNNING_CALLBACKS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `run` unless it is already running further up this thread's stack.
fn run_unless_running(run: impl FnOnce()) {
    if RUNNING_CALLBACKS.replace(true) {
        return;
    }
    /// Clears the mark even if `run` unwinds.
    struct Running;
    impl Drop for Running {
        fn drop(&mut self) {
            RUNNING_CALLBACKS.set(false);
        }
    }
    let _running = Running;
    run();
}

unsafe extern "C" fn run_call_result(
    this: *mut CallbackObject,
    param: *mut c_void,
    _io_failure: bool,
    _call: sys::SteamAPICall_t,
) {
    // As Steam's own `CCallbackImpl`: a callback object treats a call result as its callback.
    unsafe { run_callback(this, param) }
}

unsafe extern "C" fn callback_size_bytes(this: *mut CallbackObject) -> c_int {
    if this.is_null() {
        return 0;
    }
    // SAFETY: Steam calls back with the object it was given.
    unsafe { (*this).param_size }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steam_types::SteamId;

    /// What Steam's C++ does with a `CCallbackBase*`: loads the table from the object's first word and calls
    /// the slot the platform's C++ ABI gives the function.
    unsafe fn slot(object: *mut CallbackObject, index: usize) -> *const c_void {
        unsafe {
            let table = object.cast::<*const *const c_void>().read();
            table.add(index).read()
        }
    }

    const RUN_SLOT: usize = if cfg!(windows) { 1 } else { 0 };
    const RUN_CALL_RESULT_SLOT: usize = if cfg!(windows) { 0 } else { 1 };
    const SIZE_SLOT: usize = 2;

    unsafe fn decode_test(param: *const c_void) -> BackendEvent {
        BackendEvent::SessionRequest {
            remote: SteamId(unsafe { param.cast::<u64>().read() }),
        }
    }

    fn object_and_queue() -> (Pin<Box<CallbackObject>>, Arc<Mutex<Vec<BackendEvent>>>) {
        let events = Arc::new(Mutex::new(Vec::new()));
        let object = CallbackObject::new(1251, 136, decode_test, Arc::clone(&events));
        (object, events)
    }

    #[test]
    fn steam_calling_run_through_the_table_queues_the_decoded_event() {
        let (mut object, events) = object_and_queue();
        let this = unsafe { object.as_mut().get_unchecked_mut() as *mut CallbackObject };
        let mut param = 76_561_197_960_265_729_u64;
        unsafe {
            let run: unsafe extern "C" fn(*mut CallbackObject, *mut c_void) =
                std::mem::transmute(slot(this, RUN_SLOT));
            run(this, (&raw mut param).cast());
        }
        assert_eq!(
            *events.lock().unwrap(),
            [BackendEvent::SessionRequest {
                remote: SteamId(76_561_197_960_265_729)
            }]
        );
    }

    #[test]
    fn the_call_result_overload_runs_the_callback_too() {
        let (mut object, events) = object_and_queue();
        let this = unsafe { object.as_mut().get_unchecked_mut() as *mut CallbackObject };
        let mut param = 5_u64;
        unsafe {
            let run: unsafe extern "C" fn(*mut CallbackObject, *mut c_void, bool, u64) =
                std::mem::transmute(slot(this, RUN_CALL_RESULT_SLOT));
            run(this, (&raw mut param).cast(), false, 0);
        }
        assert_eq!(events.lock().unwrap().len(), 1);
    }

    #[test]
    fn a_pump_started_inside_a_running_pump_does_nothing() {
        let mut runs = 0;
        run_unless_running(|| {
            runs += 1;
            run_unless_running(|| runs += 1);
        });
        assert_eq!(runs, 1);
    }

    #[test]
    fn the_next_pump_runs_after_one_that_unwound() {
        let unwound =
            std::panic::catch_unwind(|| run_unless_running(|| panic!("a handler panicked")));
        assert!(unwound.is_err());
        let mut ran = false;
        run_unless_running(|| ran = true);
        assert!(ran);
    }

    #[test]
    fn the_size_slot_reports_the_parameter_struct_size() {
        let (mut object, _) = object_and_queue();
        let this = unsafe { object.as_mut().get_unchecked_mut() as *mut CallbackObject };
        let size = unsafe {
            let size: unsafe extern "C" fn(*mut CallbackObject) -> c_int =
                std::mem::transmute(slot(this, SIZE_SLOT));
            size(this)
        };
        assert_eq!(size, 136);
    }
}
