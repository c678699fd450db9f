//! The Steam API stand-in (`tests/steam-api-stand-in`, never shipped): a `libsteam_api.so` over the offline
//! engine that lets the extension's Steam backend run between two Godot processes without Steam. Here:
//! building it, and checking that it defines every Steam symbol an extension imports. Godot loads
//! extensions with `RTLD_NOW`, so one missing symbol makes the whole extension fail to load, with a loader
//! message that is easy to miss in a test log; the check names the symbols instead.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The stand-in's cargo package.
const PACKAGE: &str = "steam-api-stand-in";
/// Its library target. The xtask copies the library as `libsteam_api.so` (the file name extensions linked
/// against Steam look for) into its test projects only.
const LIBRARY_TARGET: &str = "steam_api_stand_in";
/// Name prefixes of the symbols Steam's library exports.
const STEAM_PREFIXES: [&str; 3] = ["SteamAPI_", "SteamGameServer_", "SteamInternal_"];

/// Builds the stand-in (`cargo build -p steam-api-stand-in [--release]`) and returns the path of the
/// library cargo reports (`libsteam_api_stand_in.so`).
pub fn build(root: &Path, release: bool) -> Result<PathBuf, String> {
    crate::cargo_build::build_library(root, PACKAGE, release, "the Steam API stand-in")?
        .shared_library(LIBRARY_TARGET)
        .ok_or_else(|| format!("cargo reported no shared library for {PACKAGE}"))
}

/// Fails, naming them, if `extension` imports Steam symbols (`SteamAPI_*`, `SteamGameServer_*`,
/// `SteamInternal_*`) that the stand-in library `stand_in` does not define.
pub fn check_exports_cover(extension: &Path, stand_in: &Path) -> Result<(), String> {
    let imports = steam_symbols(&nm(&["-D", "--undefined-only"], extension)?);
    let defined = steam_symbols(&nm(&["-D", "--defined-only"], stand_in)?);
    let missing: Vec<&String> = imports.difference(&defined).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let list: Vec<&str> = missing.iter().map(|name| name.as_str()).collect();
    Err(format!(
        "{} imports {} Steam function(s) the stand-in {} does not define, so Godot could not load it \
         (add them to tests/steam-api-stand-in/src/exports.rs): {}",
        extension.display(),
        missing.len(),
        stand_in.display(),
        list.join(", ")
    ))
}

/// `nm ARGS library`'s output.
fn nm(args: &[&str], library: &Path) -> Result<String, String> {
    let output = Command::new("nm")
        .args(args)
        .arg(library)
        .output()
        .map_err(|error| format!("cannot run nm (binutils): {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "nm {} {} failed: {}",
            args.join(" "),
            library.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The Steam symbol names in `nm` output: the last column of each line, without a symbol version
/// (`name@VERSION`).
fn steam_symbols(nm_output: &str) -> BTreeSet<String> {
    nm_output
        .lines()
        .filter_map(|line| line.split_whitespace().last())
        .map(|symbol| symbol.split('@').next().unwrap_or(symbol))
        .filter(|symbol| {
            STEAM_PREFIXES
                .iter()
                .any(|prefix| symbol.starts_with(prefix))
        })
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steam_symbols_are_read_from_both_nm_forms_without_versions() {
        let undefined = [
            "                 U SteamAPI_InitFlat",
            "                 U memcpy@GLIBC_2.14",
            "                 U SteamGameServer_Shutdown",
            "                 U SteamInternal_FindOrCreateUserInterface@v1",
            "                 w __gmon_start__",
        ]
        .join("\n");
        let defined =
            "0000000000012340 T SteamAPI_InitFlat\n0000000000012350 T rust_eh_personality\n";
        assert_eq!(
            steam_symbols(&undefined).into_iter().collect::<Vec<_>>(),
            [
                "SteamAPI_InitFlat",
                "SteamGameServer_Shutdown",
                "SteamInternal_FindOrCreateUserInterface"
            ]
        );
        assert_eq!(
            steam_symbols(defined).into_iter().collect::<Vec<_>>(),
            ["SteamAPI_InitFlat"]
        );
    }

    /// On real libraries, when the debug extension and stand-in are built (else skipped): the stand-in
    /// imports no Steam symbol, and a library that defines none (the extension) is told what it lacks.
    #[test]
    fn coverage_is_checked_with_nm_on_built_libraries() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let stand_in = root.join("target/debug/libsteam_api_stand_in.so");
        let extension = root.join("target/debug/libgodot_steam_messages.so");
        let has_nm = Command::new("nm").arg("--version").output().is_ok();
        if !stand_in.exists() || !extension.exists() || !has_nm {
            eprintln!("skipped: needs nm and both debug libraries built");
            return;
        }
        check_exports_cover(&stand_in, &stand_in).unwrap();
        let error = check_exports_cover(&extension, &extension).unwrap_err();
        assert!(error.contains("SteamAPI_InitFlat"), "{error}");
    }
}
