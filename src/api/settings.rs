//! Project settings under `steam/`, as GodotSteam defines them, and initialisation on startup.

use godot::classes::{Os, ProjectSettings};
use godot::prelude::*;
use godot::register::info::PropertyHint;

use super::SteamNetworkingMessages;
use crate::backend::config::{self, ConfigOption, ConfigSources, OptionKind};

pub const APP_ID: &str = "steam/initialization/app_id";
pub const INITIALIZE_ON_STARTUP: &str = "steam/initialization/initialize_on_startup";
pub const EMBED_CALLBACKS: &str = "steam/initialization/embed_callbacks";

/// Adds our settings to the project (visible in Project Settings) without overriding saved values: the
/// initialisation settings GodotSteam defines, then every option of the backend configuration's table.
pub fn register() {
    add_setting(
        APP_ID,
        0.to_variant(),
        VariantType::INT,
        PropertyHint::RANGE,
        "0,4294967295,1",
    );
    for name in [INITIALIZE_ON_STARTUP, EMBED_CALLBACKS] {
        add_setting(
            name,
            false.to_variant(),
            VariantType::BOOL,
            PropertyHint::NONE,
            "",
        );
    }
    for option in config::OPTIONS {
        let (default, kind, hint, hint_string) = editor_property(option);
        add_setting(option.setting, default, kind, hint, &hint_string);
    }
}

/// How the editor shows `option`: its default, type, hint and hint string.
fn editor_property(option: &ConfigOption) -> (Variant, VariantType, PropertyHint, String) {
    match option.kind {
        OptionKind::Choice(words) => (
            words.split(',').next().unwrap_or("").to_variant(),
            VariantType::STRING,
            PropertyHint::ENUM,
            words.to_owned(),
        ),
        OptionKind::Integer { min, max, default } => (
            default.to_variant(),
            VariantType::INT,
            PropertyHint::RANGE,
            format!("{min},{max},1"),
        ),
        OptionKind::Decimal {
            min,
            max,
            step,
            default,
        } => (
            default.to_variant(),
            VariantType::FLOAT,
            PropertyHint::RANGE,
            format!("{min},{max},{step}"),
        ),
        OptionKind::Switch => (
            false.to_variant(),
            VariantType::BOOL,
            PropertyHint::NONE,
            String::new(),
        ),
        OptionKind::Text => (
            "".to_variant(),
            VariantType::STRING,
            PropertyHint::NONE,
            String::new(),
        ),
        OptionKind::Address => (
            "".to_variant(),
            VariantType::STRING,
            PropertyHint::NONE,
            String::new(),
        ),
        OptionKind::PeerList => (
            PackedStringArray::new().to_variant(),
            VariantType::PACKED_STRING_ARRAY,
            PropertyHint::NONE,
            String::new(),
        ),
    }
}

/// Everything the backend choice and the local backend's settings come from: user arguments, our
/// environment variables and project settings, as strings.
pub fn config_sources() -> ConfigSources {
    let args = Os::singleton()
        .get_cmdline_user_args()
        .as_slice()
        .iter()
        .map(|arg| arg.to_string())
        .collect();
    let env = std::env::vars()
        .filter(|(name, _)| name.starts_with("GODOT_STEAM_"))
        .collect();
    let project = ProjectSettings::singleton();
    let settings = config::setting_names()
        .filter(|name| project.has_setting(*name))
        .map(|name| (name.to_owned(), setting_text(&project.get_setting(name))))
        .collect();
    ConfigSources {
        args,
        env,
        settings,
    }
}

/// A setting as the text the configuration parser reads; lists become comma-separated.
///
/// Dispatches on the Variant's own type: gdext 0.5's `try_to::<PackedStringArray>()` is not type-checked and
/// turns a `String`, `int` or `bool` (what the editor writes for most settings) into an empty list.
fn setting_text(value: &Variant) -> String {
    let join = |items: Vec<String>| items.join(",");
    match value.get_type() {
        VariantType::NIL => String::new(),
        VariantType::PACKED_STRING_ARRAY => join(
            value
                .to::<PackedStringArray>()
                .as_slice()
                .iter()
                .map(GString::to_string)
                .collect(),
        ),
        VariantType::ARRAY => join(
            value
                .to::<VarArray>()
                .iter_shared()
                .map(|item| item.stringify().to_string())
                .collect(),
        ),
        _ => value.stringify().to_string(),
    }
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
