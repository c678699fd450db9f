//! Bridges the `log` crate to Godot's output, so backend diagnostics appear in the editor's Output panel.

use godot::global::{godot_error, godot_print, godot_warn};
use log::{Level, LevelFilter, Log, Metadata, Record};

struct GodotLogger;

impl Log for GodotLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        match record.level() {
            Level::Error => godot_error!("[STEAM] {}", record.args()),
            Level::Warn => godot_warn!("[STEAM] {}", record.args()),
            _ => godot_print!("[STEAM] {}", record.args()),
        }
    }

    fn flush(&self) {}
}

static LOGGER: GodotLogger = GodotLogger;

/// Installs the bridge once. The level comes from `GODOT_STEAM_LOG` (`error`, `warn`, `info`, `debug`,
/// `trace`), `warn` by default so a game's output stays quiet.
pub fn install() {
    let level = std::env::var("GODOT_STEAM_LOG")
        .ok()
        .and_then(|text| text.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::Warn);
    // Fails only if a logger is already set (a second load in the same process): keep that one.
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(level);
    }
}
