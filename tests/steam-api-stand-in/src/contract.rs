//! Steam's callback-dispatch contract as a small state machine, free of any FFI so it is tested on its own.
//!
//! `steam_api.h` offers two ways to receive callbacks: registered callback objects run by
//! `SteamAPI_RunCallbacks`, or manual dispatch (`SteamAPI_ManualDispatch_*`), and says that a process using
//! manual dispatch "must NOT use SteamAPI_RunCallbacks [...] STEAM_CALLBACK, CCallResult, CCallback, or
//! CCallbackManual". Real Steam does not check this: mixing the two silently loses callbacks in one or the
//! other. Two extensions in one Godot process (ours and GodotSteam) can mix them without either noticing,
//! so the stand-in refuses every mix, loudly, the moment it happens.
//!
//! The contract is process-wide and manual dispatch, once on, stays on (also across `SteamAPI_Shutdown`):
//! the header states no way back, and a process that switches is mixing the two.

use std::fmt;

/// The manual-dispatch functions that need `SteamAPI_ManualDispatch_Init` first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManualFunction {
    /// `SteamAPI_ManualDispatch_RunFrame`.
    RunFrame,
    /// `SteamAPI_ManualDispatch_GetNextCallback`.
    GetNextCallback,
    /// `SteamAPI_ManualDispatch_FreeLastCallback`.
    FreeLastCallback,
    /// `SteamAPI_ManualDispatch_GetAPICallResult`.
    GetApiCallResult,
}

impl ManualFunction {
    /// The exported function's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::RunFrame => "SteamAPI_ManualDispatch_RunFrame",
            Self::GetNextCallback => "SteamAPI_ManualDispatch_GetNextCallback",
            Self::FreeLastCallback => "SteamAPI_ManualDispatch_FreeLastCallback",
            Self::GetApiCallResult => "SteamAPI_ManualDispatch_GetAPICallResult",
        }
    }
}

/// A call that breaks the contract: what was mixed, and in which order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// `SteamAPI_RegisterCallback` after `SteamAPI_ManualDispatch_Init`.
    RegisterAfterManualDispatch { callback: i32 },
    /// `SteamAPI_RunCallbacks` after `SteamAPI_ManualDispatch_Init`.
    RunCallbacksAfterManualDispatch,
    /// `SteamAPI_ManualDispatch_Init` while callback objects are registered (their IDs).
    ManualDispatchWhileRegistered { callbacks: Vec<i32> },
    /// `SteamAPI_ManualDispatch_Init` after `SteamAPI_RunCallbacks` was called.
    ManualDispatchAfterRunCallbacks,
    /// A manual-dispatch function before `SteamAPI_ManualDispatch_Init`.
    ManualFunctionBeforeInit { function: ManualFunction },
    /// `SteamAPI_ManualDispatch_GetNextCallback` while the previous callback was not freed.
    NextCallbackBeforeFree,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const RULE: &str = "a process using manual dispatch must not use SteamAPI_RunCallbacks or \
                            registered callback objects (steam_api.h, \"Manual callback loop\")";
        match self {
            Self::RegisterAfterManualDispatch { callback } => write!(
                f,
                "SteamAPI_RegisterCallback (callback {callback}) after SteamAPI_ManualDispatch_Init: {RULE}"
            ),
            Self::RunCallbacksAfterManualDispatch => write!(
                f,
                "SteamAPI_RunCallbacks after SteamAPI_ManualDispatch_Init: {RULE}"
            ),
            Self::ManualDispatchWhileRegistered { callbacks } => write!(
                f,
                "SteamAPI_ManualDispatch_Init while {} callback object(s) registered with \
                 SteamAPI_RegisterCallback (callbacks {callbacks:?}): {RULE}",
                callbacks.len()
            ),
            Self::ManualDispatchAfterRunCallbacks => write!(
                f,
                "SteamAPI_ManualDispatch_Init after SteamAPI_RunCallbacks was used: {RULE}"
            ),
            Self::ManualFunctionBeforeInit { function } => write!(
                f,
                "{} before SteamAPI_ManualDispatch_Init: manual dispatch must be switched on before any \
                 other manual dispatch function is used",
                function.name()
            ),
            Self::NextCallbackBeforeFree => write!(
                f,
                "SteamAPI_ManualDispatch_GetNextCallback again before SteamAPI_ManualDispatch_FreeLastCallback \
                 released the previous callback"
            ),
        }
    }
}

/// Which dispatch style the process has used so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatchContract {
    /// `SteamAPI_ManualDispatch_Init` was called.
    manual: bool,
    /// `SteamAPI_RunCallbacks` was called.
    ran_callbacks: bool,
    /// Callback IDs of the objects registered now, one entry per object.
    registered: Vec<i32>,
    /// `SteamAPI_ManualDispatch_GetNextCallback` handed out a callback not freed yet.
    handed_out: bool,
}

impl Default for DispatchContract {
    fn default() -> Self {
        Self::new()
    }
}

impl DispatchContract {
    /// A process that has used neither style yet.
    pub const fn new() -> Self {
        Self {
            manual: false,
            ran_callbacks: false,
            registered: Vec::new(),
            handed_out: false,
        }
    }

    /// Whether manual dispatch is on.
    pub fn is_manual(&self) -> bool {
        self.manual
    }

    /// `SteamAPI_RegisterCallback` of an object for `callback`.
    pub fn register_callback(&mut self, callback: i32) -> Result<(), Violation> {
        if self.manual {
            return Err(Violation::RegisterAfterManualDispatch { callback });
        }
        self.registered.push(callback);
        Ok(())
    }

    /// `SteamAPI_UnregisterCallback` of an object that was registered for `callback` (unregistering one that
    /// is not registered is allowed and does not reach the contract).
    pub fn unregister_callback(&mut self, callback: i32) {
        if let Some(index) = self.registered.iter().position(|&id| id == callback) {
            self.registered.swap_remove(index);
        }
    }

    /// `SteamAPI_RunCallbacks`.
    pub fn run_callbacks(&mut self) -> Result<(), Violation> {
        if self.manual {
            return Err(Violation::RunCallbacksAfterManualDispatch);
        }
        self.ran_callbacks = true;
        Ok(())
    }

    /// `SteamAPI_ManualDispatch_Init` (again is fine: steamworks-rs calls it after every init).
    pub fn manual_dispatch_init(&mut self) -> Result<(), Violation> {
        if !self.registered.is_empty() {
            let mut callbacks = self.registered.clone();
            callbacks.sort_unstable();
            return Err(Violation::ManualDispatchWhileRegistered { callbacks });
        }
        if self.ran_callbacks {
            return Err(Violation::ManualDispatchAfterRunCallbacks);
        }
        self.manual = true;
        Ok(())
    }

    /// Any other manual-dispatch function; `GetNextCallback` also must follow a `FreeLastCallback`.
    pub fn manual_function(&mut self, function: ManualFunction) -> Result<(), Violation> {
        if !self.manual {
            return Err(Violation::ManualFunctionBeforeInit { function });
        }
        match function {
            ManualFunction::GetNextCallback if self.handed_out => {
                Err(Violation::NextCallbackBeforeFree)
            }
            ManualFunction::FreeLastCallback => {
                self.handed_out = false;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// `GetNextCallback` returned a callback, which the caller must free before asking for the next.
    pub fn callback_handed_out(&mut self) {
        self.handed_out = true;
    }

    /// `SteamAPI_Shutdown` dropped every queued callback, the handed-out one too.
    pub fn shutdown(&mut self) {
        self.handed_out = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manual() -> DispatchContract {
        let mut contract = DispatchContract::default();
        contract.manual_dispatch_init().unwrap();
        contract
    }

    #[test]
    fn registered_objects_and_run_callbacks_go_together() {
        let mut contract = DispatchContract::default();
        contract.register_callback(1251).unwrap();
        contract.register_callback(1252).unwrap();
        contract.run_callbacks().unwrap();
        contract.unregister_callback(1251);
        contract.run_callbacks().unwrap();
        contract.register_callback(1251).unwrap();
        assert!(!contract.is_manual());
    }

    #[test]
    fn manual_dispatch_alone_is_allowed_and_may_be_switched_on_again() {
        let mut contract = manual();
        contract.manual_dispatch_init().unwrap();
        for _ in 0..3 {
            contract.manual_function(ManualFunction::RunFrame).unwrap();
            contract
                .manual_function(ManualFunction::GetNextCallback)
                .unwrap();
            contract.callback_handed_out();
            contract
                .manual_function(ManualFunction::FreeLastCallback)
                .unwrap();
        }
        contract
            .manual_function(ManualFunction::GetApiCallResult)
            .unwrap();
        // An empty queue hands nothing out, so asking again needs no free.
        contract
            .manual_function(ManualFunction::GetNextCallback)
            .unwrap();
        contract
            .manual_function(ManualFunction::GetNextCallback)
            .unwrap();
        assert!(contract.is_manual());
    }

    #[test]
    fn objects_registered_and_unregistered_before_manual_dispatch_are_fine() {
        let mut contract = DispatchContract::default();
        contract.register_callback(1251).unwrap();
        contract.unregister_callback(1251);
        contract.unregister_callback(1251);
        contract.manual_dispatch_init().unwrap();
    }

    #[test]
    fn registering_after_manual_dispatch_is_a_violation() {
        let mut contract = manual();
        assert_eq!(
            contract.register_callback(1252),
            Err(Violation::RegisterAfterManualDispatch { callback: 1252 })
        );
    }

    #[test]
    fn run_callbacks_after_manual_dispatch_is_a_violation() {
        let mut contract = manual();
        assert_eq!(
            contract.run_callbacks(),
            Err(Violation::RunCallbacksAfterManualDispatch)
        );
    }

    #[test]
    fn manual_dispatch_while_objects_are_registered_is_a_violation_naming_them() {
        let mut contract = DispatchContract::default();
        contract.register_callback(1252).unwrap();
        contract.register_callback(1251).unwrap();
        let violation = contract.manual_dispatch_init().unwrap_err();
        assert_eq!(
            violation,
            Violation::ManualDispatchWhileRegistered {
                callbacks: vec![1251, 1252]
            }
        );
        assert!(violation.to_string().contains("2 callback object(s)"));
        assert!(!contract.is_manual());
    }

    #[test]
    fn manual_dispatch_after_run_callbacks_is_a_violation() {
        let mut contract = DispatchContract::default();
        contract.run_callbacks().unwrap();
        assert_eq!(
            contract.manual_dispatch_init(),
            Err(Violation::ManualDispatchAfterRunCallbacks)
        );
    }

    #[test]
    fn manual_functions_before_manual_dispatch_init_are_violations() {
        for function in [
            ManualFunction::RunFrame,
            ManualFunction::GetNextCallback,
            ManualFunction::FreeLastCallback,
            ManualFunction::GetApiCallResult,
        ] {
            let mut contract = DispatchContract::default();
            let violation = contract.manual_function(function).unwrap_err();
            assert_eq!(violation, Violation::ManualFunctionBeforeInit { function });
            assert!(violation.to_string().starts_with(function.name()));
        }
    }

    #[test]
    fn next_callback_before_freeing_the_last_is_a_violation_until_shutdown() {
        let mut contract = manual();
        contract
            .manual_function(ManualFunction::GetNextCallback)
            .unwrap();
        contract.callback_handed_out();
        assert_eq!(
            contract.manual_function(ManualFunction::GetNextCallback),
            Err(Violation::NextCallbackBeforeFree)
        );
        contract.shutdown();
        contract
            .manual_function(ManualFunction::GetNextCallback)
            .unwrap();
    }

    #[test]
    fn every_violation_names_both_sides_in_order() {
        let texts = [
            Violation::RegisterAfterManualDispatch { callback: 1251 }.to_string(),
            Violation::RunCallbacksAfterManualDispatch.to_string(),
            Violation::ManualDispatchWhileRegistered {
                callbacks: vec![1251],
            }
            .to_string(),
            Violation::ManualDispatchAfterRunCallbacks.to_string(),
        ];
        for text in texts {
            let later = text.split(' ').next().unwrap();
            assert!(later.starts_with("SteamAPI_"), "{text}");
            assert!(
                text.contains(" after ") || text.contains(" while "),
                "{text}"
            );
        }
    }
}
