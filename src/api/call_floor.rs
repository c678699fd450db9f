//! Not part of the API: the benchmark's floor for a call from GDScript into this extension.
//!
//! `cargo xtask bench` times `sendMessageToUser` on the Steam backend against a `libsteam_api` whose
//! `SendMessageToUser` does nothing, and this method beside it in the same process: the same arguments
//! through the same binding layer (gdext's ptrcall, `&mut self`), doing nothing. The difference is what the
//! extension itself adds on the Steam path. Registered as an internal class: hidden from the editor and its
//! class reference.

use godot::prelude::*;

/// The floor of an extension call with `sendMessageToUser`'s arguments (benchmark only).
#[derive(GodotClass)]
#[class(internal, init, base = RefCounted)]
pub struct SteamMessagesCallFloor {
    calls: u64,
}

#[godot_api]
impl SteamMessagesCallFloor {
    /// Takes `sendMessageToUser`'s arguments and returns `RESULT_OK` (1) without doing anything else.
    #[func(rename = sendMessageToUser)]
    fn send_message_to_user(
        &mut self,
        remote_steam_id: i64,
        data: PackedByteArray,
        flags: i64,
        channel: i64,
    ) -> i64 {
        // Kept so the arguments are not optimised away.
        self.calls += 1;
        std::hint::black_box((remote_steam_id, &data, flags, channel));
        1
    }
}
