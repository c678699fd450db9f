//! The universal macOS library (Apple silicon and Intel in one `.dylib`), built on a Mac: rustup's standard
//! library for each architecture, one cargo build for each, joined with `lipo`, next to Steam's
//! `libsteam_api.dylib` (universal already). This machine cannot run it; the release workflow's macOS job
//! does (`cargo xtask build --release --target macos-universal`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::addon::{ADDON_DIR, CRATE_NAME, STEAM_SYS, copy};
use crate::cargo_build;

const TARGETS: [&str; 2] = ["aarch64-apple-darwin", "x86_64-apple-darwin"];
const BIN_DIR: &str = "bin/macos";
const LIBRARY: &str = "libgodot_steam_messages.dylib";
const STEAM_LIBRARY: &str = "libsteam_api.dylib";
/// What `lipo -archs` must list for a library a Mac of either kind loads.
const ARCHITECTURES: [&str; 2] = ["arm64", "x86_64"];

/// `cargo xtask build --target macos-universal`.
pub fn build_universal(root: &Path, release: bool) -> Result<(), String> {
    if !cfg!(target_os = "macos") {
        return Err(
            "a universal macOS library is built on macOS (lipo and Apple's linker); the release workflow's \
             macOS job builds it"
                .into(),
        );
    }
    let mut slices: Vec<PathBuf> = Vec::new();
    let mut steam_library = None;
    for target in TARGETS {
        let added = Command::new("rustup")
            .args(["target", "add", target])
            .status()
            .map_err(|error| format!("cannot run rustup: {error}"))?;
        if !added.success() {
            return Err(format!(
                "rustup could not add the {target} standard library"
            ));
        }
        let built = cargo_build::build_library_for(
            root,
            CRATE_NAME,
            release,
            &format!("the extension for {target}"),
            Some(target),
        )?;
        slices.push(
            built
                .shared_library("godot_steam_messages")
                .ok_or_else(|| format!("cargo reported no library for {target}"))?,
        );
        steam_library = built
            .build_script_out_dir(STEAM_SYS)
            .map(|dir| dir.join(STEAM_LIBRARY))
            .filter(|path| path.is_file());
    }
    let bin = root.join(ADDON_DIR).join(BIN_DIR);
    fs::create_dir_all(&bin).map_err(|error| format!("creating {}: {error}", bin.display()))?;
    let universal = bin.join(LIBRARY);
    let joined = Command::new("lipo")
        .arg("-create")
        .arg("-output")
        .arg(&universal)
        .args(&slices)
        .status()
        .map_err(|error| format!("cannot run lipo: {error}"))?;
    if !joined.success() {
        return Err("lipo could not join the two libraries".into());
    }
    let steam = steam_library.ok_or("no libsteam_api.dylib in steamworks-sys's build output")?;
    copy(&steam, &bin.join(STEAM_LIBRARY))?;
    for library in [universal, bin.join(STEAM_LIBRARY)] {
        let output = Command::new("lipo")
            .arg("-archs")
            .arg(&library)
            .output()
            .map_err(|error| format!("cannot run lipo: {error}"))?;
        let listed = String::from_utf8_lossy(&output.stdout);
        if let Some(missing) = missing_architecture(&listed) {
            return Err(format!(
                "{} has no {missing} slice (lipo -archs: {})",
                library.display(),
                listed.trim()
            ));
        }
    }
    eprintln!(
        "installed the universal macOS {} build in {ADDON_DIR}/{BIN_DIR}/",
        if release { "RELEASE" } else { "DEBUG" }
    );
    Ok(())
}

/// The first of [`ARCHITECTURES`] that `lipo -archs` output does not list.
fn missing_architecture(lipo_archs: &str) -> Option<&'static str> {
    let listed: Vec<&str> = lipo_archs.split_whitespace().collect();
    ARCHITECTURES
        .into_iter()
        .find(|architecture| !listed.contains(architecture))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_universal_library_lists_both_architectures() {
        assert_eq!(missing_architecture("x86_64 arm64\n"), None);
        assert_eq!(missing_architecture("arm64"), Some("x86_64"));
        assert_eq!(missing_architecture("x86_64 arm64e"), Some("arm64"));
    }

    #[test]
    fn elsewhere_it_says_where_it_is_built() {
        if !cfg!(target_os = "macos") {
            let error = build_universal(Path::new("."), true).unwrap_err();
            assert!(error.contains("on macOS"), "{error}");
        }
    }
}
