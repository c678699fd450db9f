//! The Windows x86_64 libraries, built on this Linux machine, and the check that they load.
//!
//! Built by the cross toolchain of [`crate::debian_rust`] and linked by the MinGW-w64 GCC of the machine's own
//! Debian (`gcc-mingw-w64-x86-64`, its win32 thread model: the DLL then needs no MinGW runtime DLL).
//!
//! The load check: the DLL imports only Windows system DLLs and `steam_api64.dll`, exports `gdext_rust_init`,
//! and under Wine a small MinGW program (`tests/windows-load/loader.c`) loads it from a folder holding
//! `steam_api64.dll` and resolves the entry symbol, as Godot's Windows build does.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::debian_rust::{CrossPlatform, checked, ensure_debian_tool, run_load_check, runs};

const TARGET: &str = "x86_64-pc-windows-gnu";
const LINKER: &str = "x86_64-w64-mingw32-gcc";
const OBJDUMP: &str = "x86_64-w64-mingw32-objdump";
const STRIP: &str = "x86_64-w64-mingw32-strip";
const MINGW_PACKAGE: &str = "gcc-mingw-w64-x86-64";
const BIN_DIR: &str = "bin/windows-x86_64";
const BUILT_NAME: &str = "godot_steam_messages.dll";
const STEAM_DLL: &str = "steam_api64.dll";
const ENTRY_SYMBOL: &str = "gdext_rust_init";
/// DLLs of the MinGW runtime: a DLL importing one would not start on a player's Windows.
const MINGW_RUNTIME_DLLS: &[&str] = &["libgcc_s", "libwinpthread", "libstdc++", "libssp"];
/// Longest a Wine run of the loader may take (the first one also creates the Wine prefix).
const WINE_TIMEOUT: Duration = Duration::from_secs(300);

const PLATFORM: CrossPlatform = CrossPlatform {
    label: "Windows",
    target: TARGET,
    linker: LINKER,
    bin_dir: BIN_DIR,
    library: BUILT_NAME,
    steam_library: STEAM_DLL,
    // MinGW keeps the full symbol table (about 13 MB of the 25): games ship without it; exports stay.
    strip: (STRIP, "--strip-all"),
};

/// `cargo xtask build --target windows-x86_64`: the Windows library into the drop-in addon.
pub fn build(root: &Path, release: bool) -> Result<(), String> {
    ensure_linker()?;
    PLATFORM.build(root, release)
}

/// Builds the release library and installs it with `steam_api64.dll` into `addon/bin/windows-x86_64/`.
pub fn build_into(root: &Path, addon: &Path) -> Result<(), String> {
    ensure_linker()?;
    PLATFORM.build_into(root, addon, true)
}

fn ensure_linker() -> Result<(), String> {
    ensure_debian_tool(LINKER, &[MINGW_PACKAGE], "the linker for Windows")
}

/// What the load check found.
pub enum LoadCheck {
    Loaded,
    /// Wine is not installed: the import and export checks ran, the load did not.
    Skipped(String),
}

/// Checks every Windows library in `bin` (a folder holding them and `steam_api64.dll`).
pub fn check_loads(root: &Path, bin: &Path) -> Result<LoadCheck, String> {
    let libraries = [bin.join(BUILT_NAME)];
    for library in &libraries {
        check_imports_and_exports(library)?;
    }
    // Debian's `wine64` package puts its loader outside PATH; the `wine` package adds /usr/bin/wine.
    let Some(wine) = ["wine64", "wine", "/usr/lib/wine/wine64"]
        .into_iter()
        .find(|wine| runs(wine))
    else {
        return Ok(LoadCheck::Skipped(
            "Wine is not installed (Debian's wine64); the import and export tables were checked"
                .into(),
        ));
    };
    let fixture = root.join("tests").join("windows-load");
    let loader = bin.join("loader.exe");
    mingw(&fixture.join("loader.c"), &loader, &[])?;
    // Never shipped: only beside the loader in this check folder (see the source's comment).
    mingw(
        &fixture.join("bcryptprimitives.c"),
        &bin.join("bcryptprimitives.dll"),
        &["-shared", "-ladvapi32"],
    )?;
    let prefix = bin.join("wine-prefix");
    for library in &libraries {
        let log = bin.join(format!(
            "{}.wine.log",
            library.file_name().unwrap_or_default().to_string_lossy()
        ));
        let mut command = Command::new(wine);
        command
            .current_dir(bin)
            .arg(&loader)
            .arg(library.file_name().unwrap_or_default())
            .arg(ENTRY_SYMBOL)
            .env("WINEPREFIX", &prefix)
            .env("WINEDEBUG", "-all")
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
            .env_remove("DISPLAY");
        run_load_check(command, &log, WINE_TIMEOUT, library, "Wine")?;
    }
    let wineserver = Path::new(wine).with_file_name("wineserver");
    let wineserver = if wineserver.is_file() {
        wineserver
    } else {
        PathBuf::from("wineserver")
    };
    let _ = Command::new(wineserver)
        .arg("-k")
        .env("WINEPREFIX", &prefix)
        .status();
    Ok(LoadCheck::Loaded)
}

fn mingw(source: &Path, output: &Path, extra: &[&str]) -> Result<(), String> {
    let result = Command::new(LINKER)
        .arg("-O2")
        .arg("-o")
        .arg(output)
        .arg(source)
        .args(extra)
        .output()
        .map_err(|error| format!("cannot run {LINKER}: {error}"))?;
    checked(result, &format!("compiling {}", source.display())).map(|_| ())
}

/// The DLL imports no MinGW runtime DLL, imports `steam_api64.dll`, and exports the GDExtension entry.
fn check_imports_and_exports(library: &Path) -> Result<(), String> {
    let output = Command::new(OBJDUMP)
        .arg("-p")
        .arg(library)
        .output()
        .map_err(|error| format!("cannot run {OBJDUMP}: {error}"))?;
    let text = checked(output, &format!("{OBJDUMP} -p {}", library.display()))?;
    let imports = imported_dlls(&text);
    let mut problems = Vec::new();
    for import in &imports {
        let lower = import.to_lowercase();
        if MINGW_RUNTIME_DLLS
            .iter()
            .any(|runtime| lower.starts_with(runtime))
        {
            problems.push(format!("imports the MinGW runtime {import}"));
        }
    }
    if !imports
        .iter()
        .any(|import| import.eq_ignore_ascii_case(STEAM_DLL))
    {
        problems.push(format!("does not import {STEAM_DLL} (imports {imports:?})"));
    }
    if !exports(&text, ENTRY_SYMBOL) {
        problems.push(format!("does not export {ENTRY_SYMBOL}"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}: {}", library.display(), problems.join("; ")))
    }
}

/// The `DLL Name:` entries of `objdump -p` output.
fn imported_dlls(objdump: &str) -> Vec<String> {
    objdump
        .lines()
        .filter_map(|line| line.trim().strip_prefix("DLL Name:"))
        .map(|name| name.trim().to_owned())
        .collect()
}

/// Whether `objdump -p` output lists `symbol` in the export name table.
fn exports(objdump: &str, symbol: &str) -> bool {
    let Some(table) = objdump.split("[Ordinal/Name Pointer] Table").nth(1) else {
        return false;
    };
    table
        .lines()
        .skip(1)
        .take_while(|line| line.trim().is_empty() || line.starts_with(['\t', ' ']))
        .any(|line| line.trim().starts_with('[') && line.split_whitespace().last() == Some(symbol))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OBJDUMP_OUTPUT: &str = "\
There is an export table in .edata at 0x1000

[Ordinal/Name Pointer] Table
\t[   0] gdext_rust_init
\t[   1] other_symbol

The Import Tables (interpreted .idata section contents)
\tDLL Name: KERNEL32.dll
\tvma:  Hint/Ord Member-Name Bound-To
\tDLL Name: steam_api64.dll
\tDLL Name: ntdll.dll
";

    #[test]
    fn imported_dlls_are_read_from_objdump() {
        assert_eq!(
            imported_dlls(OBJDUMP_OUTPUT),
            ["KERNEL32.dll", "steam_api64.dll", "ntdll.dll"]
        );
    }

    #[test]
    fn the_entry_symbol_is_found_in_the_export_table_only() {
        assert!(exports(OBJDUMP_OUTPUT, "gdext_rust_init"));
        assert!(!exports(OBJDUMP_OUTPUT, "KERNEL32.dll"));
        assert!(!exports("no table", "gdext_rust_init"));
    }
}
