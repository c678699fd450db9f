//! The networking engine behind godot-steam-messages, with no Godot and no Steam in it: Steam's Networking
//! Messages types, the `MessagesBackend` trait the extension calls, and the offline `local` backend (a
//! deterministic session state machine driven over ENet).
//!
//! It lives apart from the extension so that other programs can run Steam's session semantics without Godot:
//! the Steam API stand-in the tests use is one.

pub mod backend;
pub mod lobby;
pub mod multiplayer;
pub mod steam_types;
