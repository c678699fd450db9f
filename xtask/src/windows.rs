//! The Windows x86_64 libraries, built on this Linux machine, and the check that they load.
//!
//! rustup cannot fetch a Windows standard library here, and Debian packages none for current Rust, so std is
//! built from source (`-Zbuild-std`) by Debian unstable's `rustc`, `cargo` and `rust-src`, provisioned into
//! `.cache/windows-rust/` like Godot (unpacked, started through their own dynamic loader) and linked by the
//! MinGW-w64 GCC of the machine's own Debian (`gcc-mingw-w64-x86-64`, its win32 thread model: the DLL then needs
//! no MinGW runtime DLL). As root, that package is installed when missing.
//!
//! The load check: the DLL imports only Windows system DLLs and `steam_api64.dll`, exports `gdext_rust_init`,
//! and under Wine a small MinGW program (`tests/windows-load/loader.c`) loads it from a folder holding
//! `steam_api64.dll` and resolves the entry symbol, as Godot's Windows build does.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use crate::addon::copy;
use crate::{godot, process};

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

/// `cargo xtask build --target windows-x86_64`: the Windows library into the drop-in addon.
pub fn build(root: &Path, release: bool) -> Result<(), String> {
    let addon = root.join(crate::addon::ADDON_DIR);
    build_profile_into(root, &addon, release)?;
    eprintln!(
        "installed the Windows {} build in {}/{BIN_DIR}/",
        if release { "RELEASE" } else { "DEBUG" },
        crate::addon::ADDON_DIR
    );
    Ok(())
}

/// Builds the release library and installs it with `steam_api64.dll` into `addon/bin/windows-x86_64/`.
pub fn build_into(root: &Path, addon: &Path) -> Result<(), String> {
    build_profile_into(root, addon, true)
}

fn build_profile_into(root: &Path, addon: &Path, release: bool) -> Result<(), String> {
    let toolchain = Toolchain::ensure(root)?;
    let bin = addon.join(BIN_DIR);
    fs::create_dir_all(&bin).map_err(|error| format!("creating {}: {error}", bin.display()))?;
    let target_dir = root.join("target").join("windows");
    let profile = if release { "release" } else { "debug" };
    eprintln!("building the extension for Windows ({profile})...");
    let mut cargo = toolchain.cargo();
    cargo
        .current_dir(root)
        .args(["build", "--lib", "--package", "godot-steam-messages"])
        .args(["--target", TARGET, "-Zbuild-std=std,panic_abort"])
        .arg("--target-dir")
        .arg(&target_dir);
    if release {
        cargo.arg("--release");
    }
    let status = cargo
        .status()
        .map_err(|error| format!("cannot run the Windows cargo: {error}"))?;
    if !status.success() {
        return Err("the Windows build failed".into());
    }
    let built = target_dir.join(TARGET).join(profile).join(BUILT_NAME);
    let installed = bin.join(BUILT_NAME);
    copy(&built, &installed)?;
    if release {
        // MinGW keeps the full symbol table (about 13 MB of the 25): games ship without it; exports stay.
        let stripped = Command::new(STRIP)
            .arg("--strip-all")
            .arg(&installed)
            .output()
            .map_err(|error| format!("cannot run {STRIP}: {error}"))?;
        checked(stripped, &format!("{STRIP} {}", installed.display()))?;
    }
    let steam = find_steam_dll(&target_dir.join(TARGET).join(profile).join("build"))?;
    copy(&steam, &bin.join(STEAM_DLL))
}

/// `steam_api64.dll` as steamworks-sys's build script left it for the Windows target.
fn find_steam_dll(build_dir: &Path) -> Result<PathBuf, String> {
    let entries = fs::read_dir(build_dir)
        .map_err(|error| format!("reading {}: {error}", build_dir.display()))?;
    entries
        .flatten()
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with("steamworks-sys-")
        })
        .map(|entry| entry.path().join("out").join(STEAM_DLL))
        .filter(|path| path.is_file())
        .max_by_key(|path| fs::metadata(path).and_then(|meta| meta.modified()).ok())
        .ok_or_else(|| {
            format!(
                "no {STEAM_DLL} in steamworks-sys's build output under {}",
                build_dir.display()
            )
        })
}

/// Debian unstable's Rust, unpacked, with wrappers that start it through its own loader.
struct Toolchain {
    cargo: PathBuf,
    rustc: PathBuf,
}

impl Toolchain {
    fn ensure(root: &Path) -> Result<Self, String> {
        ensure_mingw()?;
        let cache = root.join(".cache").join("windows-rust");
        let tree = godot::provision_debian_packages(
            &cache,
            &["rustc", "cargo", "rust-src"],
            "the Windows toolchain",
        )?;
        let (loader, library_path) = godot::unpacked_loader(&tree)?;
        let wrappers = cache.join("bin");
        fs::create_dir_all(&wrappers)
            .map_err(|error| format!("creating {}: {error}", wrappers.display()))?;
        let mut paths = Vec::new();
        for program in ["cargo", "rustc"] {
            let wrapper = wrappers.join(program);
            let script = format!(
                "#!/bin/sh\n# Written by cargo xtask: Debian unstable's {program}, started through its own loader.\n\
                 exec {} --library-path {} {} \"$@\"\n",
                shell_quote(&loader.to_string_lossy()),
                shell_quote(&library_path.to_string_lossy()),
                shell_quote(&tree.join("usr/bin").join(program).to_string_lossy()),
            );
            fs::write(&wrapper, script)
                .map_err(|error| format!("writing {}: {error}", wrapper.display()))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755))
                    .map_err(|error| format!("making {} executable: {error}", wrapper.display()))?;
            }
            paths.push(wrapper);
        }
        Ok(Self {
            cargo: paths[0].clone(),
            rustc: paths[1].clone(),
        })
    }

    fn cargo(&self) -> Command {
        let mut command = Command::new(&self.cargo);
        command
            .env("RUSTC", &self.rustc)
            // `-Zbuild-std` is a nightly flag; this toolchain accepts it under the bootstrap switch.
            .env("RUSTC_BOOTSTRAP", "1")
            .env("CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER", LINKER)
            // The outer cargo's own settings are not this toolchain's.
            .env_remove("RUSTC_WRAPPER")
            .env_remove("RUSTFLAGS")
            .env_remove("RUSTUP_TOOLCHAIN")
            .env_remove("CARGO");
        command
    }
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// The MinGW-w64 GCC on PATH, installed from Debian as root when missing.
fn ensure_mingw() -> Result<(), String> {
    if runs(LINKER) {
        return Ok(());
    }
    if !godot::is_root() {
        return Err(format!(
            "{LINKER} is missing: install Debian's {MINGW_PACKAGE} (sudo apt-get install {MINGW_PACKAGE})"
        ));
    }
    eprintln!("installing {MINGW_PACKAGE} (the linker for Windows)...");
    let install = || {
        Command::new("apt-get")
            .args([
                "install",
                "-y",
                "-q",
                "--no-install-recommends",
                MINGW_PACKAGE,
            ])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|status| status.success())
    };
    if !install() {
        let _ = Command::new("apt-get").args(["update", "-q"]).status();
        if !install() {
            return Err(format!("apt-get could not install {MINGW_PACKAGE}"));
        }
    }
    if runs(LINKER) {
        Ok(())
    } else {
        Err(format!(
            "{LINKER} still does not run after installing {MINGW_PACKAGE}"
        ))
    }
}

/// Whether `program --version` succeeds (Wine's debug output silenced).
fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .env("WINEDEBUG", "-all")
        .output()
        .is_ok_and(|output| output.status.success())
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
        let code = process::wait_with_timeout(process::spawn_logged(command, &log)?, WINE_TIMEOUT)?;
        let text = fs::read_to_string(&log).unwrap_or_default();
        if code != 0 || !text.contains("loaded:") {
            let said: Vec<&str> = text
                .lines()
                .filter(|line| !line.trim().is_empty())
                .take(5)
                .collect();
            return Err(format!(
                "{} did not load under Wine (exit code {code}): {}",
                library.display(),
                said.join(" | ")
            ));
        }
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

fn checked(output: Output, what: &str) -> Result<String, String> {
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
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

    #[test]
    fn shell_quoting_survives_quotes_and_spaces() {
        assert_eq!(shell_quote("a b'c"), "'a b'\\''c'");
    }
}
