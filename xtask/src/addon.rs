//! Builds the extension and lays out the addon folder: the library and `libsteam_api` side by side.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The addon folder inside the repository; projects get it through a link (see [`link_into_project`]).
pub const ADDON_DIR: &str = "addons/godot_steam_messages";
const CRATE_NAME: &str = "godot-steam-messages";
const STEAM_SYS: &str = "steamworks-sys";

/// `cargo build` of the extension, then copies it and the Steam redistributable into `bin/<platform>/`.
pub fn build(root: &Path, release: bool) -> Result<(), String> {
    let platform = platform_dir()?;
    let mut cargo = Command::new(env_or("CARGO", "cargo"));
    cargo
        .current_dir(root)
        .args(["build", "--package", CRATE_NAME, "--lib"])
        .arg("--message-format=json-render-diagnostics")
        .stdout(Stdio::piped());
    if release {
        cargo.arg("--release");
    }
    eprintln!(
        "building the extension ({})...",
        if release { "release" } else { "debug" }
    );
    let mut child = cargo
        .spawn()
        .map_err(|error| format!("cannot run cargo: {error}"))?;
    let stdout = child.stdout.take().ok_or("cargo gave no output")?;
    let mut library = None;
    let mut steam_out_dir = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|error| format!("reading cargo output: {error}"))?;
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        let package = message["package_id"].as_str().unwrap_or_default();
        match message["reason"].as_str() {
            Some("compiler-artifact") if message["target"]["name"] == "godot_steam_messages" => {
                library = message["filenames"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|name| name.as_str())
                    .find(|name| is_shared_library(name))
                    .map(PathBuf::from);
            }
            Some("build-script-executed") if package.contains(STEAM_SYS) => {
                steam_out_dir = message["out_dir"].as_str().map(PathBuf::from);
            }
            _ => {}
        }
    }
    let status = child
        .wait()
        .map_err(|error| format!("waiting for cargo: {error}"))?;
    if !status.success() {
        return Err("cargo build failed".into());
    }
    let library = library.ok_or("cargo reported no shared library for the extension")?;
    let steam_library = steam_out_dir
        .map(|dir| dir.join(steam_library_name()))
        .filter(|path| path.exists())
        .ok_or("cannot find libsteam_api in steamworks-sys's build output")?;

    let bin = root.join(ADDON_DIR).join("bin").join(platform);
    fs::create_dir_all(&bin).map_err(|error| format!("creating {}: {error}", bin.display()))?;
    let installed = bin.join(library.file_name().ok_or("library has no file name")?);
    copy(&library, &installed)?;
    copy(
        &steam_library,
        &bin.join(steam_library.file_name().unwrap_or_default()),
    )?;
    eprintln!("installed {}", installed.display());
    link_into_project(root, &root.join("godot-project"))
}

/// Makes `project/addons/godot_steam_messages` point at the repository's addon folder.
pub fn link_into_project(root: &Path, project: &Path) -> Result<(), String> {
    let addons = project.join("addons");
    fs::create_dir_all(&addons)
        .map_err(|error| format!("creating {}: {error}", addons.display()))?;
    let link = addons.join("godot_steam_messages");
    if fs::symlink_metadata(&link).is_ok() {
        return Ok(());
    }
    // Relative, so the link survives moving the checkout.
    let depth = project
        .strip_prefix(root)
        .map_err(|_| format!("{} is outside the workspace", project.display()))?
        .components()
        .count();
    let target = Path::new(&"../".repeat(depth + 1)).join(ADDON_DIR);
    #[cfg(unix)]
    let linked = std::os::unix::fs::symlink(&target, &link);
    #[cfg(not(unix))]
    let linked: std::io::Result<()> = Err(std::io::Error::other("no symlinks"));
    linked.map_err(|error| {
        format!(
            "linking {} -> {}: {error}",
            link.display(),
            target.display()
        )
    })
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    // Remove first: overwriting a library a running Godot has mapped would corrupt that process.
    let _ = fs::remove_file(to);
    fs::copy(from, to)
        .map(|_| ())
        .map_err(|error| format!("copying {} to {}: {error}", from.display(), to.display()))
}

fn is_shared_library(name: &str) -> bool {
    [".so", ".dll", ".dylib"]
        .iter()
        .any(|extension| name.ends_with(extension))
}

fn steam_library_name() -> &'static str {
    if cfg!(windows) {
        "steam_api64.dll"
    } else if cfg!(target_os = "macos") {
        "libsteam_api.dylib"
    } else {
        "libsteam_api.so"
    }
}

/// The `bin/` subfolder the `.gdextension` file names for this machine.
fn platform_dir() -> Result<&'static str, String> {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => Ok("linux-x86_64"),
        ("linux", "aarch64") => Ok("linux-arm64"),
        ("windows", "x86_64") => Ok("windows-x86_64"),
        ("macos", _) => Ok("macos"),
        (os, arch) => Err(format!("no addon layout for {os}/{arch}")),
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}
