//! The Linux arm64 libraries, cross-built on this x86_64 machine, and the check that they load.
//!
//! Built by the cross toolchain of [`crate::debian_rust`] and linked by Debian's `gcc-aarch64-linux-gnu`
//! (which brings the arm64 C library to link and run against). steamworks-sys supplies Steam's
//! `linuxarm64/libsteam_api.so`.
//!
//! The check: the library is an AArch64 ELF that needs only the C runtime and `libsteam_api.so`, finds the
//! latter through its `$ORIGIN` run path, and exports `gdext_rust_init`; under qemu-user (Debian's
//! `qemu-user`) a small arm64 program (`tests/linux-arm64-load/loader.c`) loads it with every symbol
//! resolved at once from a folder holding `libsteam_api.so`, as Godot's arm64 build does.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::debian_rust::{CrossPlatform, checked, ensure_debian_packages, run_load_check, runs};

const TARGET: &str = "aarch64-unknown-linux-gnu";
const LINKER: &str = "aarch64-linux-gnu-gcc";
const READELF: &str = "aarch64-linux-gnu-readelf";
const STRIP: &str = "aarch64-linux-gnu-strip";
const GCC_PACKAGE: &str = "gcc-aarch64-linux-gnu";
/// The arm64 C library to link against (only recommended by the GCC package, which apt leaves out here).
const LIBC_PACKAGE: &str = "libc6-dev-arm64-cross";
/// Where Debian's cross C library lives, for qemu-user to find the arm64 loader and libc.
const SYSROOT: &str = "/usr/aarch64-linux-gnu";
pub const BIN_DIR: &str = "bin/linux-arm64";
const BUILT_NAME: &str = "libgodot_steam_messages.so";
const STEAM_LIBRARY: &str = "libsteam_api.so";
const ENTRY_SYMBOL: &str = "gdext_rust_init";
/// The only libraries the extension may need: glibc's parts, GCC's unwinder and Steam's.
const ALLOWED_NEEDED: &[&str] = &[
    "libc.so.6",
    "libm.so.6",
    "libdl.so.2",
    "libpthread.so.0",
    "librt.so.1",
    "libgcc_s.so.1",
    "ld-linux-aarch64.so.1",
    STEAM_LIBRARY,
];
const QEMU_TIMEOUT: Duration = Duration::from_secs(120);

const PLATFORM: CrossPlatform = CrossPlatform {
    label: "Linux arm64",
    target: TARGET,
    linker: LINKER,
    bin_dir: BIN_DIR,
    library: BUILT_NAME,
    steam_library: STEAM_LIBRARY,
    // As the native release build ships: no debug sections; the dynamic symbols stay.
    strip: (STRIP, "--strip-debug"),
};

/// `cargo xtask build --target linux-arm64`: the arm64 library into the drop-in addon.
pub fn build(root: &Path, release: bool) -> Result<(), String> {
    ensure_linker()?;
    PLATFORM.build(root, release)
}

/// Builds the release library and installs it with `libsteam_api.so` into `addon/bin/linux-arm64/`.
pub fn build_into(root: &Path, addon: &Path) -> Result<(), String> {
    ensure_linker()?;
    PLATFORM.build_into(root, addon, true)
}

fn ensure_linker() -> Result<(), String> {
    ensure_debian_packages(
        || runs(LINKER) && Path::new(SYSROOT).join("lib").join("crti.o").is_file(),
        &[GCC_PACKAGE, LIBC_PACKAGE],
        "the linker and C library for Linux arm64",
    )
}

/// What the load check found.
pub enum LoadCheck {
    Loaded,
    /// qemu-user is not installed: the ELF checks ran, the load did not.
    Skipped(String),
}

/// Checks the arm64 library in `bin` (a folder holding it and `libsteam_api.so`).
pub fn check_loads(root: &Path, bin: &Path) -> Result<LoadCheck, String> {
    let library = bin.join(BUILT_NAME);
    check_elf(&library)?;
    let Some(qemu) = ["qemu-aarch64", "qemu-aarch64-static"]
        .into_iter()
        .find(|qemu| runs(qemu))
    else {
        return Ok(LoadCheck::Skipped(
            "qemu-user is not installed (Debian's qemu-user); the ELF headers, needed libraries and exports were checked"
                .into(),
        ));
    };
    let loader = bin.join("loader");
    let compiled = Command::new(LINKER)
        .arg("-O2")
        .arg("-o")
        .arg(&loader)
        .arg(root.join("tests").join("linux-arm64-load").join("loader.c"))
        .arg("-ldl")
        .output()
        .map_err(|error| format!("cannot run {LINKER}: {error}"))?;
    checked(compiled, "compiling the arm64 loader")?;
    let log = bin.join("loader.qemu.log");
    let mut command = Command::new(qemu);
    command
        .current_dir(bin)
        .args(["-L", SYSROOT])
        .arg(&loader)
        .arg(format!("./{BUILT_NAME}"))
        .arg(ENTRY_SYMBOL);
    run_load_check(command, &log, QEMU_TIMEOUT, &library, qemu)?;
    Ok(LoadCheck::Loaded)
}

/// The library is AArch64, needs nothing beyond [`ALLOWED_NEEDED`] (Steam's included), runs with an
/// `$ORIGIN` run path and exports the GDExtension entry.
fn check_elf(library: &Path) -> Result<(), String> {
    let output = Command::new(READELF)
        .args(["--file-header", "--dynamic", "--dyn-syms", "--wide"])
        .arg(library)
        .output()
        .map_err(|error| format!("cannot run {READELF}: {error}"))?;
    let text = checked(output, &format!("{READELF} {}", library.display()))?;
    let problems = elf_problems(&text);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}: {}", library.display(), problems.join("; ")))
    }
}

/// What `readelf --file-header --dynamic --dyn-syms --wide` output says is wrong with the library.
fn elf_problems(readelf: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let machine = readelf
        .lines()
        .find_map(|line| line.trim().strip_prefix("Machine:"))
        .map(str::trim);
    if machine != Some("AArch64") {
        problems.push(format!("is not an AArch64 library (machine {machine:?})"));
    }
    let bracketed = |kind: &str| -> Vec<String> {
        readelf
            .lines()
            .filter(|line| line.contains(kind))
            .filter_map(|line| {
                let start = line.find('[')?;
                let end = line.rfind(']')?;
                Some(line[start + 1..end].to_owned())
            })
            .collect()
    };
    let needed = bracketed("(NEEDED)");
    for library in &needed {
        if !ALLOWED_NEEDED.contains(&library.as_str()) {
            problems.push(format!(
                "needs {library}, which a player's machine may lack"
            ));
        }
    }
    if !needed.iter().any(|library| library == STEAM_LIBRARY) {
        problems.push(format!("does not need {STEAM_LIBRARY} (needs {needed:?})"));
    }
    let mut run_paths = bracketed("(RUNPATH)");
    run_paths.extend(bracketed("(RPATH)"));
    if !run_paths
        .iter()
        .any(|paths| paths.split(':').any(|path| path == "$ORIGIN"))
    {
        problems.push(format!(
            "has no $ORIGIN run path (run paths {run_paths:?}): {STEAM_LIBRARY} beside it would not be found"
        ));
    }
    let exported = readelf.lines().any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.len() >= 8
            && fields[3] == "FUNC"
            && fields[4] == "GLOBAL"
            && fields[6] != "UND"
            && fields[7] == ENTRY_SYMBOL
    });
    if !exported {
        problems.push(format!("does not export {ENTRY_SYMBOL}"));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "\
ELF Header:
  Class:                             ELF64
  Machine:                           AArch64

Dynamic section at offset 0x4d0000 contains 30 entries:
  Tag        Type                         Name/Value
 0x0000000000000001 (NEEDED)             Shared library: [libsteam_api.so]
 0x0000000000000001 (NEEDED)             Shared library: [libgcc_s.so.1]
 0x0000000000000001 (NEEDED)             Shared library: [libc.so.6]
 0x000000000000001d (RUNPATH)            Library runpath: [$ORIGIN]

Symbol table '.dynsym' contains 3 entries:
   Num:    Value          Size Type    Bind   Vis      Ndx Name
     1: 0000000000000000     0 FUNC    GLOBAL DEFAULT  UND dlopen@GLIBC_2.34
     2: 00000000001a2b30    64 FUNC    GLOBAL DEFAULT   12 gdext_rust_init
";

    #[test]
    fn a_library_that_godot_and_a_player_can_load_passes() {
        assert_eq!(elf_problems(GOOD), Vec::<String>::new());
    }

    #[test]
    fn a_wrong_machine_a_foreign_dependency_no_run_path_or_no_entry_are_each_reported() {
        let bad = GOOD
            .replace("AArch64", "Advanced Micro Devices X86-64")
            .replace("[libgcc_s.so.1]", "[libstdc++.so.6]")
            .replace("[$ORIGIN]", "[/usr/lib]")
            .replace("gdext_rust_init", "other_symbol");
        let problems = elf_problems(&bad);
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[1].contains("libstdc++.so.6"));
    }

    #[test]
    fn an_imported_entry_symbol_is_not_an_export() {
        let imported = GOOD.replace(
            "00000000001a2b30    64 FUNC    GLOBAL DEFAULT   12 gdext_rust_init",
            "0000000000000000     0 FUNC    GLOBAL DEFAULT  UND gdext_rust_init",
        );
        assert!(elf_problems(&imported)[0].contains("does not export"));
    }
}
