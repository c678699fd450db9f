//! The toolchain for libraries this machine cross-builds (Windows x86_64, Linux arm64): rustup cannot fetch
//! another target's standard library here, and Debian packages none for current Rust, so std is built from
//! source (`-Zbuild-std`) by Debian unstable's `rustc`, `cargo` and `rust-src`, provisioned into
//! `.cache/windows-rust/` like Godot (unpacked, started through their own dynamic loader), and linked by a
//! cross GCC from the machine's own Debian, installed as root when missing.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use crate::addon::{ADDON_DIR, copy};
use crate::{godot, process};

/// A platform this machine cross-builds: what the build makes and where the addon keeps it.
pub struct CrossPlatform {
    /// For messages: "Windows", "Linux arm64".
    pub label: &'static str,
    /// The Rust target triple.
    pub target: &'static str,
    /// The cross GCC that links it.
    pub linker: &'static str,
    /// The addon's folder for the platform, `bin/<platform>`.
    pub bin_dir: &'static str,
    /// The extension's library as cargo names it, and as the addon ships it.
    pub library: &'static str,
    /// Steam's library for the platform, from steamworks-sys's build output.
    pub steam_library: &'static str,
    /// The strip program and its option for release builds.
    pub strip: (&'static str, &'static str),
}

impl CrossPlatform {
    /// `cargo xtask build --target ...`: the library into the drop-in addon (the cross linker must be there).
    pub fn build(&self, root: &Path, release: bool) -> Result<(), String> {
        self.build_into(root, &root.join(ADDON_DIR), release)?;
        eprintln!(
            "installed the {} {} build in {ADDON_DIR}/{}/",
            self.label,
            if release { "RELEASE" } else { "DEBUG" },
            self.bin_dir
        );
        Ok(())
    }

    /// Builds the library and installs it with Steam's into `addon/<bin_dir>/`.
    pub fn build_into(&self, root: &Path, addon: &Path, release: bool) -> Result<(), String> {
        let toolchain = Toolchain::ensure(root)?;
        let bin = addon.join(self.bin_dir);
        fs::create_dir_all(&bin).map_err(|error| format!("creating {}: {error}", bin.display()))?;
        eprintln!(
            "building the extension for {} ({})...",
            self.label,
            if release { "release" } else { "debug" }
        );
        let output = toolchain.build_library(root, self.target, self.linker, release)?;
        let installed = bin.join(self.library);
        copy(&output.join(self.library), &installed)?;
        if release {
            let (strip, option) = self.strip;
            let stripped = Command::new(strip)
                .arg(option)
                .arg(&installed)
                .output()
                .map_err(|error| format!("cannot run {strip}: {error}"))?;
            checked(stripped, &format!("{strip} {}", installed.display()))?;
        }
        let steam = find_steam_library(&output.join("build"), self.steam_library)?;
        copy(&steam, &bin.join(self.steam_library))
    }
}

/// Debian unstable's Rust, unpacked, with wrappers that start it through its own loader.
pub struct Toolchain {
    cargo: PathBuf,
    rustc: PathBuf,
}

impl Toolchain {
    /// Provisions the toolchain once (later calls find it in `.cache/`).
    pub fn ensure(root: &Path) -> Result<Self, String> {
        // The folder's name predates the second target; renaming it would only download it again.
        let cache = root.join(".cache").join("windows-rust");
        let tree = godot::provision_debian_packages(
            &cache,
            &["rustc", "cargo", "rust-src"],
            "the cross-building Rust toolchain",
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

    /// `cargo build` of the extension's library for `target` (a Rust target triple), linked by `linker`;
    /// returns the profile's output folder. Every target builds into `target/cross/`, so what runs on this
    /// machine during the build (build scripts, Godot's binding generator, proc macros) is compiled once.
    pub fn build_library(
        &self,
        root: &Path,
        target: &str,
        linker: &str,
        release: bool,
    ) -> Result<PathBuf, String> {
        let target_dir = root.join("target").join("cross");
        let profile = if release { "release" } else { "debug" };
        let linker_variable = format!(
            "CARGO_TARGET_{}_LINKER",
            target.to_uppercase().replace('-', "_")
        );
        let mut cargo = Command::new(&self.cargo);
        cargo
            .current_dir(root)
            .env("RUSTC", &self.rustc)
            // `-Zbuild-std` is a nightly flag; this toolchain accepts it under the bootstrap switch.
            .env("RUSTC_BOOTSTRAP", "1")
            .env(linker_variable, linker)
            // The outer cargo's own settings are not this toolchain's.
            .env_remove("RUSTC_WRAPPER")
            .env_remove("RUSTFLAGS")
            .env_remove("RUSTUP_TOOLCHAIN")
            .env_remove("CARGO")
            .args(["build", "--lib", "--package", "godot-steam-messages"])
            .args(["--target", target, "-Zbuild-std=std,panic_abort"])
            .arg("--target-dir")
            .arg(&target_dir);
        if release {
            cargo.arg("--release");
        }
        let status = cargo
            .status()
            .map_err(|error| format!("cannot run the cross-building cargo: {error}"))?;
        if !status.success() {
            return Err(format!("the {target} build failed"));
        }
        Ok(target_dir.join(target).join(profile))
    }
}

/// `program` on PATH, from Debian's `packages`, installed as root when missing (`why` says what it is for).
pub fn ensure_debian_tool(program: &str, packages: &[&str], why: &str) -> Result<(), String> {
    ensure_debian_packages(|| runs(program), packages, why)
}

/// Installs Debian's `packages` as root unless `ready` says what they provide is there.
pub fn ensure_debian_packages(
    ready: impl Fn() -> bool,
    packages: &[&str],
    why: &str,
) -> Result<(), String> {
    if ready() {
        return Ok(());
    }
    let list = packages.join(" ");
    if !godot::is_root() {
        return Err(format!(
            "{why} is missing: install Debian's {list} (sudo apt-get install {list})"
        ));
    }
    eprintln!("installing {list} ({why})...");
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|status| status.success())
    };
    if !install() {
        let _ = Command::new("apt-get").args(["update", "-q"]).status();
        if !install() {
            return Err(format!("apt-get could not install {list}"));
        }
    }
    if ready() {
        Ok(())
    } else {
        Err(format!("{why} is still missing after installing {list}"))
    }
}

/// Whether `program --version` succeeds (Wine's debug output silenced).
pub fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .env("WINEDEBUG", "-all")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// The steamworks-sys build output file `name` (Steam's library as the build script copied it for a target),
/// the newest if several builds left one.
fn find_steam_library(build_dir: &Path, name: &str) -> Result<PathBuf, String> {
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
        .map(|entry| entry.path().join("out").join(name))
        .filter(|path| path.is_file())
        .max_by_key(|path| fs::metadata(path).and_then(|meta| meta.modified()).ok())
        .ok_or_else(|| {
            format!(
                "no {name} in steamworks-sys's build output under {}",
                build_dir.display()
            )
        })
}

/// Runs a load-check `command` (a loader program under Wine or qemu-user, which prints "loaded:" once it has
/// the entry symbol) with its output in `log`; `library` and `runner` name what failed to load, and where.
pub fn run_load_check(
    command: Command,
    log: &Path,
    timeout: Duration,
    library: &Path,
    runner: &str,
) -> Result<(), String> {
    let code = process::wait_with_timeout(process::spawn_logged(command, log)?, timeout)?;
    let text = fs::read_to_string(log).unwrap_or_default();
    if code == 0 && text.contains("loaded:") {
        return Ok(());
    }
    let said: Vec<&str> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .take(5)
        .collect();
    Err(format!(
        "{} did not load under {runner} (exit code {code}): {}",
        library.display(),
        said.join(" | ")
    ))
}

/// The standard output of a command that succeeded; its standard error, with `what`, if it failed.
pub fn checked(output: Output, what: &str) -> Result<String, String> {
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_survives_quotes_and_spaces() {
        assert_eq!(shell_quote("a b'c"), "'a b'\\''c'");
    }
}
