//! The exports called as a C caller would, within this test process: init, shutdown and re-init, stale
//! interfaces, sends, callback objects with a hand-made vtable (calling back into the API from inside the
//! callback), manual dispatch, and a message round trip with a second engine instance in the same process.
//!
//! The stand-in is a process-wide singleton, so these tests run one at a time and each starts from a fresh
//! state. Calls that would abort are made through `stand_in`'s non-aborting functions instead.

use std::ffi::{c_char, c_int, c_void};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use messages_engine::backend::MessagesBackend;
use messages_engine::backend::config::LocalConfig;
use messages_engine::backend::local::LocalBackend;
use messages_engine::backend::local::transport::system_clock;
use messages_engine::steam_types::{ConnectionState, SteamId, SteamResult, send_flags};

use crate::address::{identity_of, steam_id64};
use crate::contract::Violation;
use crate::exports::*;
use crate::stand_in::{self, Fatal, InterfaceKind};
use crate::types::*;

/// Serialises the tests that use the process-wide stand-in, and resets it before and after each.
struct Serial(#[allow(dead_code)] MutexGuard<'static, ()>);

impl Drop for Serial {
    fn drop(&mut self) {
        stand_in::reset_for_tests();
    }
}

fn serial() -> Serial {
    static SERIAL: Mutex<()> = Mutex::new(());
    let guard = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    stand_in::reset_for_tests();
    Serial(guard)
}

/// A Steam ID no engine instance listens for: individual, but outside the same-machine local ID range.
const NOBODY: SteamId = SteamId(76_561_198_000_000_000);

fn init() -> HSteamPipe {
    let mut message = [0 as c_char; ERR_MSG_SIZE];
    let status = unsafe { SteamAPI_InitFlat(message.as_mut_ptr()) };
    let text: Vec<u8> = message
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    assert_eq!(
        status,
        init_result::OK,
        "{}",
        String::from_utf8_lossy(&text)
    );
    assert!(text.is_empty());
    SteamAPI_GetHSteamPipe()
}

/// Calls `poll` until `done` or 10 s pass.
fn wait_for(what: &str, mut poll: impl FnMut() -> bool) {
    let start = Instant::now();
    while !poll() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

// ---- A C++-style callback object with a hand-made vtable ----

/// What a recorder's `Run` saw.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Request {
        remote: u64,
    },
    Failed {
        remote: u64,
        state: c_int,
        end_reason: c_int,
        end_debug: String,
        description: String,
        /// `GetSessionConnectionInfo`'s answer, asked from inside the callback.
        state_asked_inside: c_int,
    },
}

/// A `CCallbackBase` subclass: the base first, as the SDK's `CCallback<>` has it, then our fields.
#[repr(C)]
struct Recorder {
    base: CCallbackBase,
    seen: Vec<Seen>,
    /// Accept the session from inside the callback, as a GodotSteam signal handler does.
    accept: bool,
    /// Unregister itself from inside the callback.
    unregister_after_first: bool,
}

unsafe extern "C" fn recorder_run(this: *mut CCallbackBase, param: *mut c_void) {
    let recorder = unsafe { &mut *this.cast::<Recorder>() };
    let callback = recorder.base.callback;
    let messages = SteamAPI_SteamNetworkingMessages_SteamAPI_v002();
    // Nested RunCallbacks does nothing (and must not deadlock).
    SteamAPI_RunCallbacks();
    match callback {
        SESSION_REQUEST_CALLBACK => {
            let request = unsafe {
                param
                    .cast::<SteamNetworkingMessagesSessionRequest_t>()
                    .read_unaligned()
            };
            let remote = steam_id64(&{ request.identity_remote });
            if recorder.accept {
                let identity = identity_of(SteamId(remote));
                let accepted = unsafe {
                    SteamAPI_ISteamNetworkingMessages_AcceptSessionWithUser(messages, &identity)
                };
                assert!(accepted);
            }
            recorder.seen.push(Seen::Request { remote });
        }
        SESSION_FAILED_CALLBACK => {
            let failed = unsafe {
                param
                    .cast::<SteamNetworkingMessagesSessionFailed_t>()
                    .read_unaligned()
            };
            let info = failed.info;
            let remote = steam_id64(&{ info.identity_remote });
            let identity = identity_of(SteamId(remote));
            let state_asked_inside = unsafe {
                SteamAPI_ISteamNetworkingMessages_GetSessionConnectionInfo(
                    messages,
                    &identity,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                )
            };
            recorder.seen.push(Seen::Failed {
                remote,
                state: info.state,
                end_reason: info.end_reason,
                end_debug: text(&info.end_debug),
                description: text(&info.connection_description),
                state_asked_inside,
            });
        }
        other => panic!("callback {other} was never registered"),
    }
    if recorder.unregister_after_first {
        unsafe { SteamAPI_UnregisterCallback(this) };
    }
}

unsafe extern "C" fn recorder_run_call_result(
    _this: *mut CCallbackBase,
    _param: *mut c_void,
    _io_failure: bool,
    _api_call: u64,
) {
    unreachable!("no call results are registered");
}

unsafe extern "C" fn recorder_size(this: *mut CCallbackBase) -> c_int {
    match unsafe { (*this).callback } {
        SESSION_REQUEST_CALLBACK => size_of::<SteamNetworkingMessagesSessionRequest_t>() as c_int,
        _ => size_of::<SteamNetworkingMessagesSessionFailed_t>() as c_int,
    }
}

static RECORDER_VTABLE: CCallbackBaseVTable = CCallbackBaseVTable {
    run: recorder_run,
    run_call_result: recorder_run_call_result,
    callback_size_bytes: recorder_size,
};

/// A heap recorder, owned through a raw pointer because the stand-in writes into it too.
struct Owned(*mut Recorder);

impl Owned {
    fn new(callback: c_int) -> Self {
        Self(Box::into_raw(Box::new(Recorder {
            base: CCallbackBase {
                vtable: &RECORDER_VTABLE,
                callback_flags: 0,
                callback,
            },
            seen: Vec::new(),
            accept: false,
            unregister_after_first: false,
        })))
    }

    fn base(&self) -> *mut CCallbackBase {
        self.0.cast()
    }

    /// Read between calls into the stand-in, never while a callback runs.
    fn get(&self) -> &Recorder {
        unsafe { &*self.0 }
    }

    fn get_mut(&mut self) -> &mut Recorder {
        unsafe { &mut *self.0 }
    }

    fn register(&self) {
        let callback = self.get().base.callback;
        unsafe { SteamAPI_RegisterCallback(self.base(), callback) };
    }

    fn is_registered(&self) -> bool {
        self.get().base.callback_flags & CALLBACK_FLAG_REGISTERED != 0
    }
}

impl Drop for Owned {
    /// Unregisters if still registered, as the SDK's `~CCallbackImpl` does, then frees.
    fn drop(&mut self) {
        if self.is_registered() {
            unsafe { SteamAPI_UnregisterCallback(self.base()) };
        }
        drop(unsafe { Box::from_raw(self.0) });
    }
}

fn text(array: &[c_char]) -> String {
    let bytes: Vec<u8> = array
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

// ---- Tests ----

#[test]
fn init_shutdown_and_reinit_behave_like_steam() {
    let _serial = serial();
    assert_eq!(SteamAPI_GetHSteamPipe(), 0);
    assert_eq!(SteamAPI_GetHSteamUser(), 0);
    assert!(SteamAPI_SteamNetworkingMessages_SteamAPI_v002().is_null());
    assert!(SteamAPI_SteamUser_v023().is_null());
    assert!(SteamAPI_IsSteamRunning());

    let first_pipe = init();
    assert_ne!(first_pipe, 0);
    assert_ne!(SteamAPI_GetHSteamUser(), 0);
    let messages = SteamAPI_SteamNetworkingMessages_SteamAPI_v002();
    let user = SteamAPI_SteamUser_v023();
    assert!(!messages.is_null() && !user.is_null());
    assert_eq!(SteamAPI_SteamNetworkingMessages_SteamAPI_v002(), messages);
    let steam_id = SteamId(SteamAPI_ISteamUser_GetSteamID(user));
    assert!(LocalConfig::local_id_of(steam_id).is_some(), "{steam_id}");
    assert!(SteamAPI_ISteamUser_BLoggedOn(user));

    // Init again: no second backend, same pipe, same interfaces (real Steam does not re-open).
    assert_eq!(init(), first_pipe);
    assert_eq!(SteamAPI_SteamUser_v023(), user);
    assert_eq!(SteamId(SteamAPI_ISteamUser_GetSteamID(user)), steam_id);

    // One shutdown ends everything.
    SteamAPI_Shutdown();
    assert_eq!(SteamAPI_GetHSteamPipe(), 0);
    assert_eq!(SteamAPI_GetHSteamUser(), 0);
    assert!(SteamAPI_SteamUser_v023().is_null());
    let stale = stand_in::check_interface(messages, InterfaceKind::NetworkingMessages, "F");
    assert_eq!(stale, Err(Fatal::StaleInterface { function: "F" }));
    assert_eq!(
        stand_in::steam_id(user),
        Err(Fatal::StaleInterface {
            function: "SteamAPI_ISteamUser_GetSteamID"
        })
    );
    // A second shutdown is harmless.
    SteamAPI_Shutdown();

    // A fresh "Steam": new pipe, new interfaces; the old ones stay stale.
    let second_pipe = init();
    assert_ne!(second_pipe, 0);
    assert_ne!(second_pipe, first_pipe);
    let new_messages = SteamAPI_SteamNetworkingMessages_SteamAPI_v002();
    assert_ne!(new_messages, messages);
    assert!(
        stand_in::check_interface(new_messages, InterfaceKind::NetworkingMessages, "F").is_ok()
    );
    assert_eq!(
        stand_in::check_interface(messages, InterfaceKind::NetworkingMessages, "F"),
        Err(Fatal::StaleInterface { function: "F" })
    );
    let stale_text = Fatal::StaleInterface {
        function: "SteamAPI_ISteamUser_GetSteamID",
    }
    .to_string();
    assert_eq!(
        stale_text,
        "SteamAPI_ISteamUser_GetSteamID called through an interface pointer from before SteamAPI_Shutdown"
    );
}

#[test]
fn bad_interface_pointers_are_told_apart() {
    let _serial = serial();
    init();
    let messages = SteamAPI_SteamNetworkingMessages_SteamAPI_v002();
    assert_eq!(
        stand_in::check_interface(std::ptr::null_mut(), InterfaceKind::User, "F"),
        Err(Fatal::NullInterface { function: "F" })
    );
    let mut not_an_interface = 0_u64;
    let address = std::ptr::from_mut(&mut not_an_interface).cast::<c_void>();
    assert_eq!(
        stand_in::check_interface(address, InterfaceKind::User, "F"),
        Err(Fatal::UnknownInterface {
            function: "F",
            address: address as usize
        })
    );
    assert_eq!(
        stand_in::check_interface(messages, InterfaceKind::User, "F"),
        Err(Fatal::WrongInterface {
            function: "F",
            expected: InterfaceKind::User,
            found: InterfaceKind::NetworkingMessages
        })
    );
}

#[test]
fn without_a_steam_client_init_fails_with_no_steam_client() {
    let _serial = serial();
    // SAFETY (std): the other tests that read the environment hold the same serial lock.
    unsafe { std::env::set_var(stand_in::NOT_RUNNING_ENV, "1") };
    let mut message = [0 as c_char; ERR_MSG_SIZE];
    let status = unsafe { SteamAPI_InitFlat(message.as_mut_ptr()) };
    let running = SteamAPI_IsSteamRunning();
    unsafe { std::env::remove_var(stand_in::NOT_RUNNING_ENV) };
    assert_eq!(status, init_result::NO_STEAM_CLIENT);
    assert!(!running);
    assert!(text(&message).contains("Steam is probably not running"));
    assert_eq!(SteamAPI_GetHSteamPipe(), 0);
    // And a null message buffer is allowed.
    assert_eq!(
        unsafe { SteamAPI_InitFlat(std::ptr::null_mut()) },
        init_result::OK
    );
}

#[test]
fn sends_are_checked_as_steam_checks_them() {
    let _serial = serial();
    init();
    let messages = SteamAPI_SteamNetworkingMessages_SteamAPI_v002();
    let payload = b"hello";
    let send = |identity: *const SteamNetworkingIdentity, data: *const c_void, size, channel| unsafe {
        SteamAPI_ISteamNetworkingMessages_SendMessageToUser(
            messages,
            identity,
            data,
            size,
            send_flags::RELIABLE,
            channel,
        )
    };
    let nobody = identity_of(NOBODY);
    let data = payload.as_ptr().cast();
    assert_eq!(
        send(std::ptr::null(), data, 5, 0),
        SteamResult::INVALID_PARAM.0
    );
    assert_eq!(
        send(&identity_of(SteamId(0)), data, 5, 0),
        SteamResult::INVALID_STEAM_ID.0
    );
    // A non-Steam-ID identity reads as Steam ID 0.
    let mut ip_identity = identity_of(NOBODY);
    ip_identity.identity_type = IDENTITY_TYPE_IP_ADDRESS;
    assert_eq!(
        send(&ip_identity, data, 5, 0),
        SteamResult::INVALID_STEAM_ID.0
    );
    assert_eq!(send(&nobody, data, 5, -1), SteamResult::INVALID_PARAM.0);
    assert_eq!(
        send(&nobody, std::ptr::null(), 5, 0),
        SteamResult::INVALID_PARAM.0
    );
    let too_big = (messages_engine::steam_types::MAX_STEAM_PACKET_SIZE + 1) as u32;
    assert_eq!(
        send(&nobody, data, too_big, 0),
        SteamResult::INVALID_PARAM.0
    );
    // Nobody listens, but like Steam the send is accepted and the failure comes as a callback.
    assert_eq!(send(&nobody, data, 5, 0), SteamResult::OK.0);
    // An empty message is a message (to someone else: the session with NOBODY is broken now).
    let nobody_else = identity_of(SteamId(NOBODY.0 + 1));
    assert_eq!(
        send(&nobody_else, std::ptr::null(), 0, 0),
        SteamResult::OK.0
    );

    let mut out = [std::ptr::null_mut(); 4];
    let receive = |channel, out: *mut *mut SteamNetworkingMessage_t, max| unsafe {
        SteamAPI_ISteamNetworkingMessages_ReceiveMessagesOnChannel(messages, channel, out, max)
    };
    assert_eq!(receive(0, out.as_mut_ptr(), 4), 0);
    assert_eq!(receive(-1, out.as_mut_ptr(), 4), 0);
    assert_eq!(receive(0, out.as_mut_ptr(), -4), 0);
    assert_eq!(receive(0, std::ptr::null_mut(), 4), 0);
    unsafe {
        assert!(!SteamAPI_ISteamNetworkingMessages_AcceptSessionWithUser(
            messages,
            std::ptr::null()
        ));
        assert!(!SteamAPI_ISteamNetworkingMessages_CloseChannelWithUser(
            messages, &nobody, -1
        ));
        assert!(!SteamAPI_ISteamNetworkingMessages_CloseSessionWithUser(
            messages,
            &identity_of(SteamId(0))
        ));
        SteamAPI_SteamNetworkingMessage_t_Release(std::ptr::null_mut());
    }
}

#[test]
fn a_failed_session_reaches_a_registered_object_which_may_call_back_in() {
    let _serial = serial();
    // Registered before init, as the SDK's STEAM_CALLBACK members of a global object are.
    let mut failed = Owned::new(SESSION_FAILED_CALLBACK);
    failed.get_mut().unregister_after_first = true;
    failed.register();
    assert!(failed.is_registered());
    let requests = Owned::new(SESSION_REQUEST_CALLBACK);
    requests.register();
    init();
    let messages = SteamAPI_SteamNetworkingMessages_SteamAPI_v002();
    let nobody = identity_of(NOBODY);
    let sent = unsafe {
        SteamAPI_ISteamNetworkingMessages_SendMessageToUser(
            messages,
            &nobody,
            b"x".as_ptr().cast(),
            1,
            send_flags::RELIABLE,
            0,
        )
    };
    assert_eq!(sent, SteamResult::OK.0);
    wait_for("the session failure", || {
        SteamAPI_RunCallbacks();
        !failed.get().seen.is_empty()
    });
    let seen = failed.get().seen.clone();
    let [
        Seen::Failed {
            remote,
            state,
            end_reason,
            end_debug,
            description,
            state_asked_inside,
        },
    ] = seen.as_slice()
    else {
        panic!("expected one failure, saw {seen:?}");
    };
    assert_eq!(*remote, NOBODY.0);
    assert_eq!(*state, ConnectionState::PROBLEM_DETECTED_LOCALLY.0);
    assert_ne!(*end_reason, 0);
    assert!(!end_debug.is_empty());
    assert!(description.contains(&NOBODY.to_string()), "{description}");
    assert_eq!(
        *state_asked_inside,
        ConnectionState::PROBLEM_DETECTED_LOCALLY.0
    );
    // It unregistered itself from inside its callback: flag cleared, never called again.
    assert!(!failed.is_registered());
    assert!(requests.is_registered());
    for _ in 0..3 {
        SteamAPI_RunCallbacks();
    }
    assert_eq!(failed.get().seen.len(), 1);
    assert!(requests.get().seen.is_empty());

    // Registrations survive a shutdown; RunCallbacks without Steam does nothing.
    SteamAPI_Shutdown();
    SteamAPI_RunCallbacks();
    assert!(requests.is_registered());
}

#[test]
fn registering_an_object_again_moves_it_to_the_new_callback() {
    let _serial = serial();
    let object = Owned::new(SESSION_REQUEST_CALLBACK);
    object.register();
    unsafe { SteamAPI_RegisterCallback(object.base(), SESSION_FAILED_CALLBACK) };
    assert_eq!(object.get().base.callback, SESSION_FAILED_CALLBACK);
    unsafe { SteamAPI_UnregisterCallback(object.base()) };
    assert!(!object.is_registered());
    // Unregistering again, or a null object, is harmless; with nothing registered, manual dispatch is
    // allowed.
    unsafe { SteamAPI_UnregisterCallback(object.base()) };
    unsafe { SteamAPI_UnregisterCallback(std::ptr::null_mut()) };
    assert_eq!(stand_in::manual_dispatch_init(), Ok(()));
}

#[test]
fn a_message_round_trip_with_another_engine_instance() {
    let _serial = serial();
    let mut requests = Owned::new(SESSION_REQUEST_CALLBACK);
    requests.get_mut().accept = true;
    requests.register();
    init();
    let messages = SteamAPI_SteamNetworkingMessages_SteamAPI_v002();
    let us = SteamId(SteamAPI_ISteamUser_GetSteamID(SteamAPI_SteamUser_v023()));

    // The other player: an engine instance of its own in this process, found by its local ID.
    let mut other = LocalBackend::open(LocalConfig::default(), system_clock()).unwrap();
    let them = other.local_steam_id();
    assert_eq!(
        other.send_message_to_user(us, b"hello", send_flags::RELIABLE, 3),
        SteamResult::OK
    );
    let mut events = Vec::new();
    let mut received = Vec::new();
    wait_for("the message", || {
        other.poll(&mut events);
        SteamAPI_RunCallbacks();
        let mut out = [std::ptr::null_mut(); 8];
        let count = unsafe {
            SteamAPI_ISteamNetworkingMessages_ReceiveMessagesOnChannel(
                messages,
                3,
                out.as_mut_ptr(),
                out.len() as c_int,
            )
        };
        for &message in &out[..count as usize] {
            let raw = unsafe { &*message };
            let payload =
                unsafe { std::slice::from_raw_parts(raw.data.cast::<u8>(), raw.size as usize) };
            received.push((
                payload.to_vec(),
                steam_id64(&{ raw.identity_peer }),
                raw.channel,
                raw.flags & send_flags::RELIABLE,
                raw.release.is_some() && raw.free_data.is_none(),
            ));
            unsafe { SteamAPI_SteamNetworkingMessage_t_Release(message) };
        }
        !received.is_empty()
    });
    assert_eq!(
        requests.get().seen,
        [Seen::Request { remote: them.0 }],
        "the request came first, and was accepted from inside the callback"
    );
    assert_eq!(
        received,
        [(b"hello".to_vec(), them.0, 3, send_flags::RELIABLE, true)]
    );

    // The session as Steam's structs describe it.
    let them_identity = identity_of(them);
    let mut info = std::mem::MaybeUninit::<SteamNetConnectionInfo_t>::uninit();
    let mut status = std::mem::MaybeUninit::<SteamNetConnectionRealTimeStatus_t>::uninit();
    let state = unsafe {
        SteamAPI_ISteamNetworkingMessages_GetSessionConnectionInfo(
            messages,
            &them_identity,
            info.as_mut_ptr(),
            status.as_mut_ptr(),
        )
    };
    let (info, status) = unsafe { (info.assume_init(), status.assume_init()) };
    assert_eq!(state, ConnectionState::CONNECTED.0);
    assert_eq!({ info.state }, state);
    assert_eq!({ status.state }, state);
    assert_eq!(steam_id64(&{ info.identity_remote }), them.0);
    let mut address = info.address_remote;
    assert!(!unsafe { SteamAPI_SteamNetworkingIPAddr_IsIPv6AllZeros(&mut address) });
    let mut buffer = [0 as c_char; 64];
    unsafe {
        SteamAPI_SteamNetworkingIPAddr_ToString(
            &mut address,
            buffer.as_mut_ptr(),
            buffer.len() as u32,
            false,
        )
    };
    assert_eq!(text(&buffer), "127.0.0.1");
    assert!(text(&info.connection_description).contains(&them.to_string()));

    // And back: our reply reaches the other instance.
    let reply = unsafe {
        SteamAPI_ISteamNetworkingMessages_SendMessageToUser(
            messages,
            &them_identity,
            b"hi".as_ptr().cast(),
            2,
            send_flags::RELIABLE,
            1,
        )
    };
    assert_eq!(reply, SteamResult::OK.0);
    let mut replies = Vec::new();
    wait_for("the reply", || {
        SteamAPI_RunCallbacks();
        other.poll(&mut events);
        other.receive_messages_on_channel(1, 8, &mut |message| {
            replies.push((message.payload.to_vec(), message.sender));
        });
        !replies.is_empty()
    });
    assert_eq!(replies, [(b"hi".to_vec(), us)]);

    // Closing the session and asking again: no session, both structs zeroed.
    assert!(unsafe {
        SteamAPI_ISteamNetworkingMessages_CloseSessionWithUser(messages, &them_identity)
    });
    let mut info = std::mem::MaybeUninit::<SteamNetConnectionInfo_t>::uninit();
    let state = unsafe {
        SteamAPI_ISteamNetworkingMessages_GetSessionConnectionInfo(
            messages,
            &them_identity,
            info.as_mut_ptr(),
            std::ptr::null_mut(),
        )
    };
    let info = unsafe { info.assume_init() };
    assert_eq!(state, ConnectionState::NONE.0);
    assert_eq!(
        { info.identity_remote.identity_type },
        IDENTITY_TYPE_INVALID
    );
    assert_eq!(text(&info.end_debug), "");
}

#[test]
fn manual_dispatch_queues_callbacks_until_each_is_freed() {
    let _serial = serial();
    SteamAPI_ManualDispatch_Init();
    let pipe = init();
    // steamworks-rs switches manual dispatch on after every init: again is fine.
    SteamAPI_ManualDispatch_Init();
    let messages = SteamAPI_SteamNetworkingMessages_SteamAPI_v002();
    let nobody = identity_of(NOBODY);
    let sent = unsafe {
        SteamAPI_ISteamNetworkingMessages_SendMessageToUser(
            messages,
            &nobody,
            b"x".as_ptr().cast(),
            1,
            send_flags::RELIABLE,
            0,
        )
    };
    assert_eq!(sent, SteamResult::OK.0);
    let mut message = CallbackMsg_t {
        steam_user: 0,
        callback: 0,
        param: std::ptr::null_mut(),
        param_size: 0,
    };
    wait_for("the queued failure", || {
        SteamAPI_ManualDispatch_RunFrame(pipe);
        unsafe { SteamAPI_ManualDispatch_GetNextCallback(pipe, &mut message) }
    });
    assert_eq!({ message.callback }, SESSION_FAILED_CALLBACK);
    assert_eq!({ message.steam_user }, SteamAPI_GetHSteamUser());
    assert_eq!(
        { message.param_size } as usize,
        size_of::<SteamNetworkingMessagesSessionFailed_t>()
    );
    // Asking for the next one before freeing this one breaks the contract; the parameter stays valid.
    assert_eq!(
        unsafe { stand_in::manual_dispatch_next_callback(pipe, &mut message) },
        Err(Fatal::Contract(Violation::NextCallbackBeforeFree))
    );
    let failed = unsafe {
        message
            .param
            .cast::<SteamNetworkingMessagesSessionFailed_t>()
            .read_unaligned()
    };
    assert_eq!(steam_id64(&{ failed.info.identity_remote }), NOBODY.0);
    SteamAPI_ManualDispatch_FreeLastCallback(pipe);
    assert!(!unsafe { SteamAPI_ManualDispatch_GetNextCallback(pipe, &mut message) });
    let mut failed_flag = false;
    assert!(!SteamAPI_ManualDispatch_GetAPICallResult(
        pipe,
        1,
        std::ptr::null_mut(),
        0,
        0,
        &mut failed_flag
    ));
    // A stale pipe is ignored.
    SteamAPI_ManualDispatch_RunFrame(pipe + 100);
    assert!(!unsafe { SteamAPI_ManualDispatch_GetNextCallback(pipe + 100, &mut message) });

    // The standard way is now refused.
    assert_eq!(
        stand_in::run_callbacks(),
        Err(Fatal::Contract(Violation::RunCallbacksAfterManualDispatch))
    );
    let object = Owned::new(SESSION_REQUEST_CALLBACK);
    assert_eq!(
        unsafe { stand_in::register_callback(object.base(), SESSION_REQUEST_CALLBACK) },
        Err(Fatal::Contract(Violation::RegisterAfterManualDispatch {
            callback: SESSION_REQUEST_CALLBACK
        }))
    );
    assert!(!object.is_registered());
    let text = Fatal::Contract(Violation::RunCallbacksAfterManualDispatch).to_string();
    assert!(
        text.starts_with(
            "dispatch contract violated: SteamAPI_RunCallbacks after SteamAPI_ManualDispatch_Init"
        ),
        "{text}"
    );
}

#[test]
fn manual_dispatch_after_the_standard_way_is_refused() {
    let _serial = serial();
    let object = Owned::new(SESSION_FAILED_CALLBACK);
    object.register();
    assert_eq!(
        stand_in::manual_dispatch_init(),
        Err(Fatal::Contract(Violation::ManualDispatchWhileRegistered {
            callbacks: vec![SESSION_FAILED_CALLBACK]
        }))
    );
    drop(object);
    SteamAPI_RunCallbacks();
    assert_eq!(
        stand_in::manual_dispatch_init(),
        Err(Fatal::Contract(Violation::ManualDispatchAfterRunCallbacks))
    );
    // And manual functions need manual dispatch on.
    assert!(matches!(
        stand_in::manual_dispatch_run_frame(1),
        Err(Fatal::Contract(Violation::ManualFunctionBeforeInit { .. }))
    ));
}

#[test]
fn identity_and_address_exports_follow_steams_helpers() {
    let mut identity = SteamNetworkingIdentity::default();
    unsafe {
        assert_eq!(
            SteamAPI_SteamNetworkingIdentity_GetSteamID64(&mut identity),
            0
        );
        SteamAPI_SteamNetworkingIdentity_SetSteamID64(&mut identity, NOBODY.0);
        assert_eq!(
            SteamAPI_SteamNetworkingIdentity_GetSteamID64(&mut identity),
            NOBODY.0
        );
        assert_eq!(
            SteamAPI_SteamNetworkingIdentity_GetSteamID64(std::ptr::null_mut()),
            0
        );
        SteamAPI_SteamNetworkingIdentity_SetSteamID64(std::ptr::null_mut(), 1);
    }
    assert_eq!({ identity.identity_type }, IDENTITY_TYPE_STEAM_ID);
    assert_eq!({ identity.size }, 8);

    let mut address = crate::address::ip_address("::1".parse().unwrap(), 27015);
    let mut buffer = [0 as c_char; 32];
    let mut to_string = |address: &mut SteamNetworkingIPAddr, size: u32, with_port| {
        buffer.fill(0);
        unsafe {
            SteamAPI_SteamNetworkingIPAddr_ToString(address, buffer.as_mut_ptr(), size, with_port)
        };
        text(&buffer)
    };
    assert_eq!(to_string(&mut address, 32, true), "[::1]:27015");
    assert_eq!(to_string(&mut address, 32, false), "::1");
    assert_eq!(to_string(&mut address, 4, true), "[::");
    let mut v4 = crate::address::ip_address("10.0.0.7".parse().unwrap(), 47502);
    assert_eq!(to_string(&mut v4, 32, true), "10.0.0.7:47502");
    unsafe {
        assert!(!SteamAPI_SteamNetworkingIPAddr_IsIPv6AllZeros(&mut v4));
        assert!(SteamAPI_SteamNetworkingIPAddr_IsIPv6AllZeros(
            &mut SteamNetworkingIPAddr::default()
        ));
        SteamAPI_SteamNetworkingIPAddr_ToString(
            std::ptr::null_mut(),
            buffer.as_mut_ptr(),
            32,
            true,
        );
    }
}

#[test]
fn user_arguments_are_those_after_the_first_double_dash() {
    let args = |list: &[&str]| stand_in::user_args(list.iter().map(|arg| arg.to_string()));
    assert_eq!(
        args(&[
            "godot",
            "--path",
            "x",
            "--",
            "--steam-local-id=3",
            "--",
            "y"
        ]),
        ["--steam-local-id=3", "--", "y"]
    );
    assert!(args(&["godot", "--headless"]).is_empty());
}
