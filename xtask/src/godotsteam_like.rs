//! Stages the GodotSteam look-alike (`tests/godotsteam-like`) into a Godot project, where the real GodotSteam
//! would be: `addons/godotsteam/`, with a `.gdextension` file and `bin/libgodotsteam_like.so`.
//!
//! The file names contain "godotsteam" on purpose: godot-steam-messages recognises GodotSteam by the path of
//! its loaded extension (`register_steam_alias` in `src/lib.rs`), and must recognise this stand-in the same
//! way. The caller puts a `libsteam_api.so` (normally the Steam API stand-in) into [`bin_dir`]; the look-alike
//! finds it there through its `$ORIGIN` rpath.

use std::fs;
use std::path::{Path, PathBuf};

const PACKAGE: &str = "godotsteam-like";
/// The cargo target name of the look-alike's library.
const TARGET_NAME: &str = "godotsteam_like";
/// Where GodotSteam's addon lives in a project.
const ADDON_DIR: &str = "addons/godotsteam";
const GDEXTENSION_FILE: &str = "godotsteam.gdextension";
const LIBRARY_FILE: &str = "libgodotsteam_like.so";

/// The `.gdextension` path as `.godot/extension_list.cfg` lists it.
pub const EXTENSION_ENTRY: &str = "res://addons/godotsteam/godotsteam.gdextension";

/// The look-alike's `bin/` folder in `project`: its library, and the `libsteam_api.so` the caller puts beside it.
pub fn bin_dir(project: &Path) -> PathBuf {
    project.join(ADDON_DIR).join("bin")
}

/// Builds the look-alike (`cargo build -p godotsteam-like [--release]`) and installs it into
/// `project/addons/godotsteam/` with its `.gdextension` file, registered in `.godot/extension_list.cfg` so a
/// headless run loads it. Leaves `libsteam_api.so` to the caller.
pub fn stage(root: &Path, release: bool, project: &Path) -> Result<(), String> {
    let library = cargo_build(root, release)?;
    let bin = bin_dir(project);
    fs::create_dir_all(&bin).map_err(|error| format!("creating {}: {error}", bin.display()))?;
    crate::addon::copy(&library, &bin.join(LIBRARY_FILE))?;
    let gdextension = project.join(ADDON_DIR).join(GDEXTENSION_FILE);
    fs::write(&gdextension, gdextension_text())
        .map_err(|error| format!("writing {}: {error}", gdextension.display()))?;
    crate::addon::register_extension_entry(project, EXTENSION_ENTRY)
}

/// The `.gdextension` file: GodotSteam's entry point name replaced by the look-alike's, Linux only (where
/// the suites run: x86_64 here, arm64 in the release workflow), debug and release both pointing at the one
/// library staged.
fn gdextension_text() -> String {
    let library = format!("res://{ADDON_DIR}/bin/{LIBRARY_FILE}");
    format!(
        "; Test fixture: a GodotSteam look-alike staged by `cargo xtask` (tests/godotsteam-like).\n\
         \n\
         [configuration]\n\
         entry_symbol = \"godotsteam_like_init\"\n\
         compatibility_minimum = \"4.5\"\n\
         reloadable = false\n\
         \n\
         [libraries]\n\
         linux.debug.x86_64 = \"{library}\"\n\
         linux.release.x86_64 = \"{library}\"\n\
         linux.debug.arm64 = \"{library}\"\n\
         linux.release.arm64 = \"{library}\"\n"
    )
}

/// `cargo build` of the look-alike; the built library's path.
fn cargo_build(root: &Path, release: bool) -> Result<PathBuf, String> {
    crate::cargo_build::build_library(root, PACKAGE, release, "the GodotSteam look-alike")?
        .shared_library(TARGET_NAME)
        .ok_or_else(|| "cargo reported no shared library for the GodotSteam look-alike".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_is_found_where_godotsteam_would_be_and_named_like_it() {
        let text = gdextension_text();
        assert!(text.contains("entry_symbol = \"godotsteam_like_init\""));
        assert!(text.contains(
            "linux.debug.x86_64 = \"res://addons/godotsteam/bin/libgodotsteam_like.so\""
        ));
        assert!(text.contains(
            "linux.release.x86_64 = \"res://addons/godotsteam/bin/libgodotsteam_like.so\""
        ));
        // godot-steam-messages detects GodotSteam by this word in the loaded extension's path.
        assert!(EXTENSION_ENTRY.to_lowercase().contains("godotsteam"));
        assert!(bin_dir(Path::new("p")).ends_with("addons/godotsteam/bin"));
    }

    #[test]
    fn registering_appends_once_and_keeps_other_extensions() {
        let project =
            std::env::temp_dir().join(format!("gsm-godotsteam-like-{}", std::process::id()));
        let _ = fs::remove_dir_all(&project);
        fs::create_dir_all(project.join(".godot")).unwrap();
        let list = project.join(".godot/extension_list.cfg");
        fs::write(
            &list,
            "res://addons/godot_steam_messages/godot_steam_messages.gdextension",
        )
        .unwrap();
        crate::addon::register_extension_entry(&project, EXTENSION_ENTRY).unwrap();
        crate::addon::register_extension_entry(&project, EXTENSION_ENTRY).unwrap();
        let text = fs::read_to_string(&list).unwrap();
        let _ = fs::remove_dir_all(&project);
        assert_eq!(
            text,
            format!(
                "res://addons/godot_steam_messages/godot_steam_messages.gdextension\n{EXTENSION_ENTRY}\n"
            )
        );
    }
}
