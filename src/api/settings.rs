//! Project settings under `steam/`, as GodotSteam defines them, and initialisation on startup.

use godot::classes::ProjectSettings;
use godot::prelude::*;
use godot::register::info::PropertyHint;

use super::SteamNetworkingMessages;

pub const APP_ID: &str = "steam/initialization/app_id";
pub const INITIALIZE_ON_STARTUP: &str = "steam/initialization/initialize_on_startup";
pub const EMBED_CALLBACKS: &str = "steam/initialization/embed_callbacks";

/// Adds our settings to the project (visible in Project Settings) without overriding saved values.
pub fn register() {
    add_setting(
        APP_ID,
        0.to_variant(),
        VariantType::INT,
        PropertyHint::RANGE,
        "0,4294967295,1",
    );
    add_setting(
        INITIALIZE_ON_STARTUP,
        false.to_variant(),
        VariantType::BOOL,
        PropertyHint::NONE,
        "",
    );
    add_setting(
        EMBED_CALLBACKS,
        false.to_variant(),
        VariantType::BOOL,
        PropertyHint::NONE,
        "",
    );
}

fn add_setting(
    name: &str,
    default: Variant,
    kind: VariantType,
    hint: PropertyHint,
    hint_string: &str,
) {
    let mut settings = ProjectSettings::singleton();
    if !settings.has_setting(name) {
        settings.set_setting(name, &default);
    }
    settings.set_initial_value(name, &default);
    settings.set_as_basic(name, true);
    let mut info = VarDictionary::new();
    info.set("name", name);
    info.set("type", kind.ord());
    info.set("hint", hint.ord());
    info.set("hint_string", hint_string);
    settings.add_property_info(&info);
}

/// Starts Steam before the first frame when `initialize_on_startup` is set, as GodotSteam does.
pub fn initialize_on_startup() {
    let settings = ProjectSettings::singleton();
    if !settings
        .get_setting(INITIALIZE_ON_STARTUP)
        .try_to::<bool>()
        .unwrap_or(false)
    {
        return;
    }
    let app_id = app_id();
    let embed_callbacks = settings
        .get_setting(EMBED_CALLBACKS)
        .try_to::<bool>()
        .unwrap_or(false);
    let result = SteamNetworkingMessages::singleton()
        .bind_mut()
        .initialize(app_id, embed_callbacks);
    log::info!(
        "initialize_on_startup: status {:?}, {}",
        result.status,
        result.verbal
    );
}

/// `steam/initialization/app_id`, 0 when unset.
pub fn app_id() -> i64 {
    ProjectSettings::singleton()
        .get_setting(APP_ID)
        .try_to::<i64>()
        .unwrap_or(0)
}
