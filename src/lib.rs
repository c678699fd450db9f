//! godot-steam-messages: GodotSteam's Networking Messages API for Godot 4, as a Rust GDExtension.
//!
//! GDScript sees one engine singleton, [`api::SteamNetworkingMessages`] (also registered as `Steam` when no
//! other extension provides that name). It sits on a [`backend::MessagesBackend`]: real Steam, or the offline
//! local backend.

pub mod api;
pub mod backend;
pub mod constants;
pub mod convert;
pub mod identity;
mod logging;

pub use messages_engine::lobby;
pub use messages_engine::steam_types;

use godot::classes::{ClassDb, Engine, GDExtensionManager};
use godot::init::{ExtensionLibrary, InitStage, gdextension};
use godot::obj::Singleton;
use godot::prelude::*;

use api::SteamNetworkingMessages;

/// Our singleton's own name.
const SINGLETON_NAME: &str = "SteamNetworkingMessages";
/// The name GodotSteam's singleton has; ours takes it only when it is free.
const STEAM_ALIAS: &str = "Steam";

struct GodotSteamMessages;

#[gdextension]
unsafe impl ExtensionLibrary for GodotSteamMessages {
    fn on_stage_init(stage: InitStage) {
        match stage {
            InitStage::Scene => {
                logging::install();
                api::constants::register();
                api::settings::register();
                // Before scripts are compiled, so `Steam.` resolves in every script, `-s` ones included.
                register_steam_alias();
            }
            InitStage::Editor => api::class_reference::register(),
            InitStage::MainLoop => {
                // Every extension has registered its classes by now: give the name back to a real GodotSteam
                // that loaded after us.
                yield_steam_alias_to_godotsteam();
                if !SteamNetworkingMessages::in_editor() {
                    api::settings::initialize_on_startup();
                }
            }
            _ => {}
        }
    }

    fn on_main_loop_frame() {
        if SteamNetworkingMessages::in_editor() {
            return;
        }
        SteamNetworkingMessages::pump_callbacks(&mut SteamNetworkingMessages::singleton());
    }

    fn on_stage_deinit(stage: InitStage) {
        // Whatever frees the singleton from here on is the unload itself, not a script.
        api::teardown::start();
        // The editor loads extensions found by a first scan late (after main-loop start-up), so the singleton
        // may be missing here: look before touching it.
        if stage == InitStage::MainLoop && Engine::singleton().has_singleton(SINGLETON_NAME) {
            let singleton = SteamNetworkingMessages::singleton();
            // Before scripts are torn down: a lambda still connected to an extension singleton's signal
            // crashes Godot at exit.
            SteamNetworkingMessages::disconnect_all_signals(&singleton);
            unregister_steam_alias(&singleton);
            // No `bind_mut()` here: debug builds capture a backtrace per borrow, which crashes this late in an
            // editor import. The backend shuts down when the singleton is freed.
        }
        if stage == InitStage::MainLoop && Engine::singleton().is_editor_hint() {
            unregister_classes_before_editor_teardown();
        }
    }
}

/// Registers our singleton as `Steam` too, unless GodotSteam is (or is about to be) there.
fn register_steam_alias() {
    let mut engine = Engine::singleton();
    if engine.has_singleton(STEAM_ALIAS) || ClassDb::singleton().class_exists(STEAM_ALIAS) {
        log::info!("a '{STEAM_ALIAS}' singleton already exists; not registering the alias");
        return;
    }
    // GodotSteam as a GDExtension may register after us at this same stage; its library is loaded already.
    let godotsteam_loaded = GDExtensionManager::singleton()
        .get_loaded_extensions()
        .as_slice()
        .iter()
        .any(|path| path.to_string().to_lowercase().contains("godotsteam"));
    if godotsteam_loaded {
        log::info!("GodotSteam is loaded; not registering the '{STEAM_ALIAS}' alias");
        return;
    }
    let singleton = SteamNetworkingMessages::singleton();
    engine.register_singleton(STEAM_ALIAS, &singleton.upcast::<Object>());
}

fn yield_steam_alias_to_godotsteam() {
    let singleton = SteamNetworkingMessages::singleton();
    if ClassDb::singleton().class_exists(STEAM_ALIAS) && unregister_steam_alias(&singleton) {
        log::warn!(
            "another extension defines '{STEAM_ALIAS}'; our '{STEAM_ALIAS}' alias was removed"
        );
    }
}

/// Removes the `Steam` name if it is ours; returns whether it was.
fn unregister_steam_alias(singleton: &Gd<SteamNetworkingMessages>) -> bool {
    let mut engine = Engine::singleton();
    let ours = engine.has_singleton(STEAM_ALIAS)
        && engine
            .get_singleton(STEAM_ALIAS)
            .is_some_and(|object| object.instance_id() == singleton.instance_id());
    if ours {
        engine.unregister_singleton(STEAM_ALIAS);
    }
    ours
}

/// Works around Godot bug #111048/#111645 (crash on the first `--headless --import` of a project with this
/// addon). An editor that finds a new `.gdextension` during its first scan loads it late and regenerates the
/// class reference: a worker thread queues `EditorHelp::_gen_extensions_docs` as a deferred call. `--import`
/// quits before that call runs, so `Main::cleanup` flushes it after `EditorHelp` has freed its documentation,
/// and `DocTools::generate` writes through a null pointer for every extension class still in ClassDB.
/// The shutdown callback (`InitStage::MainLoop` deinit) runs just before that flush, so we unregister our
/// classes here (freeing the singleton exactly as gdext would) instead of at their own levels' deinit, which
/// then finds nothing left to do. Editor only: a game keeps the normal teardown order.
fn unregister_classes_before_editor_teardown() {
    use godot::init::InitLevel;
    for level in [
        InitLevel::Editor,
        InitLevel::Scene,
        InitLevel::Servers,
        InitLevel::Core,
    ] {
        godot_core::registry::class::unregister_classes(level);
    }
}
