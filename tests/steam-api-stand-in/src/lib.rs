//! A stand-in for Steam's `libsteam_api.so`, for tests only (never shipped): it exports the flat Steamworks
//! C functions that godot-steam-messages and GodotSteam-style extensions call, and implements Steam
//! Networking Messages on top of the offline engine (`messages-engine`'s local backend). With it, two
//! Godot processes run the extension's Steam backend against each other without Steam.
//!
//! It models real Steam where that is known (one `SteamAPI_Shutdown` ends everything, interface pointers
//! die with it, a new pipe per init, the registered flag of callback objects), and it turns what real Steam
//! would answer with a crash or a silent loss into a message on stderr and an abort:
//! - a call through an interface pointer from before `SteamAPI_Shutdown`;
//! - any mix of manual callback dispatch with `SteamAPI_RunCallbacks` or registered callback objects, which
//!   `steam_api.h` forbids (see [`contract`]);
//! - a call to an export it does not implement.
//!
//! Configuration comes from the process, as the extension's local backend reads it: user arguments after
//! `--` (`--steam-local-id=`, `--steam-peer=`, ...), `GODOT_STEAM_*` variables, and `SteamAppId`.
//! `STEAM_STAND_IN_NOT_RUNNING=1` plays a machine without Steam; `STEAM_STAND_IN_LOG=debug` shows the
//! engine's log.

pub mod address;
pub mod contract;
pub mod exports;
pub mod stand_in;
pub mod types;

#[cfg(test)]
mod round_trip_tests;
