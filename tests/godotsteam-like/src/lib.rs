//! godotsteam-like: a small GodotSteam look-alike GDExtension, for tests only.
//!
//! Users install the real GodotSteam beside godot-steam-messages, and CI has no Steam: this library stands in
//! for GodotSteam 4.x where the two meet. It provides the `Steam` singleton ([`steam::Steam`]); registers its
//! Steam callbacks the standard C++ way (`STEAM_CALLBACK` members from Valve's headers, in
//! `callbacks.cpp`) when that singleton is constructed at load, before any init; initialises Steam with
//! `SteamAPI_InitFlat`; pumps `SteamAPI_RunCallbacks()` every frame (`embed_callbacks`) or on
//! `Steam.run_callbacks()`; and `steamShutdown()` calls `SteamAPI_Shutdown()`.
//!
//! Its entry symbol differs from godot-steam-messages' (`gdext_rust_init`), so both load in one process.

mod callbacks;
mod steam;

use godot::init::{ExtensionLibrary, InitStage, gdextension};

struct GodotSteamLike;

#[gdextension(entry_symbol = godotsteam_like_init)]
unsafe impl ExtensionLibrary for GodotSteamLike {
    fn on_main_loop_frame() {
        steam::Steam::on_frame();
    }

    fn on_stage_deinit(stage: InitStage) {
        // Before scripts are torn down (see `disconnect_all_signals`).
        if stage == InitStage::MainLoop {
            steam::Steam::disconnect_all_signals();
        }
    }
}
