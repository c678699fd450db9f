//! Builds the extension and lays out the addon: the `.gdextension` file, the library and `libsteam_api`.
//!
//! Two places get an addon, and they never share a library:
//! - `addons/godot_steam_messages/` in the repository is the drop-in folder users copy. Only
//!   `cargo xtask build [--release]` writes its `bin/`, and says which build it installed.
//! - The xtask's own projects (tests, demo, benchmarks) link to a staged copy per profile under
//!   `target/addon/<debug|release>/`, so a test run never swaps the library a user built for shipping.

use std::fs;
use std::path::{Path, PathBuf};

use crate::cargo_build;

/// The drop-in addon folder inside the repository.
pub const ADDON_DIR: &str = "addons/godot_steam_messages";
/// The addon's folder name, in `addons/` of the repository and of projects.
pub const ADDON_NAME: &str = "godot_steam_messages";
pub const CRATE_NAME: &str = "godot-steam-messages";
pub const STEAM_SYS: &str = "steamworks-sys";

/// `cargo xtask build`: builds the extension and installs it with the Steam redistributable into the
/// drop-in addon's `bin/<platform>/`, then points the demo project at that addon.
pub fn build(root: &Path, release: bool) -> Result<(), String> {
    let addon = root.join(ADDON_DIR);
    let installed = build_library_into(root, release, &addon)?;
    let megabytes = fs::metadata(&installed).map_or(0, |metadata| metadata.len()) / 1_000_000;
    if release {
        eprintln!(
            "installed the RELEASE build ({megabytes} MB) in {ADDON_DIR}/: ready to copy into a game"
        );
    } else {
        eprintln!(
            "installed a DEBUG build ({megabytes} MB) in {ADDON_DIR}/: for development only; games \
             should ship `cargo xtask build --release`"
        );
    }
    // The demo project follows whichever addon the last task built.
    link_into_project(root, &root.join(crate::demo::DEMO_PROJECT), &addon)
}

/// Builds the extension for this machine and installs it, with Steam's library, into
/// `addon/bin/<platform>/`; returns the installed library.
pub fn build_library_into(root: &Path, release: bool, addon: &Path) -> Result<PathBuf, String> {
    let built = cargo_build(root, release)?;
    install_libraries(&built, addon)
}

/// `cargo xtask install --project PATH`: builds the addon, copies it into the Godot project at `project` and
/// registers it in the project's `.godot/extension_list.cfg`.
pub fn install(root: &Path, project: &Path, release: bool) -> Result<(), String> {
    if !project.join("project.godot").is_file() {
        return Err(format!(
            "{} has no project.godot: give the folder of a Godot project",
            project.display()
        ));
    }
    build(root, release)?;
    let destination = project.join("addons").join(ADDON_NAME);
    if let Ok(metadata) = fs::symlink_metadata(&destination) {
        let removed = if metadata.is_dir() {
            fs::remove_dir_all(&destination)
        } else {
            fs::remove_file(&destination)
        };
        removed.map_err(|error| format!("removing {}: {error}", destination.display()))?;
    }
    copy_dir(&root.join(ADDON_DIR), &destination)?;
    register_extension(project)?;
    eprintln!(
        "installed into {} and registered in .godot/extension_list.cfg: `Steam` resolves from the first run",
        destination.display()
    );
    Ok(())
}

/// The line `.godot/extension_list.cfg` holds for the addon.
pub const EXTENSION_ENTRY: &str =
    "res://addons/godot_steam_messages/godot_steam_messages.gdextension";

/// Adds the addon to the project's `.godot/extension_list.cfg` (kept as it is otherwise), as the editor's first
/// scan would. Godot loads only the extensions listed there, and loads them before compiling scripts: without
/// the entry a game run does not load the extension, and the first editor session or import loads it too late
/// for GDScript to learn the `Steam` name (`Identifier "Steam" not declared`).
pub fn register_extension(project: &Path) -> Result<(), String> {
    register_extension_entry(project, EXTENSION_ENTRY)
}

/// Adds `entry` (a `res://` path of a `.gdextension` file) to the project's `.godot/extension_list.cfg`,
/// created if missing, other lines kept: Godot loads only the extensions listed there.
pub fn register_extension_entry(project: &Path, entry: &str) -> Result<(), String> {
    let dir = project.join(".godot");
    fs::create_dir_all(&dir).map_err(|error| format!("creating {}: {error}", dir.display()))?;
    let list = dir.join("extension_list.cfg");
    let mut text = fs::read_to_string(&list).unwrap_or_default();
    if text.lines().any(|line| line.trim() == entry) {
        return Ok(());
    }
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(entry);
    text.push('\n');
    fs::write(&list, text).map_err(|error| format!("writing {}: {error}", list.display()))
}

/// Copies a folder tree (files and folders; symbolic links are followed).
pub fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    fs::create_dir_all(to).map_err(|error| format!("creating {}: {error}", to.display()))?;
    let entries =
        fs::read_dir(from).map_err(|error| format!("reading {}: {error}", from.display()))?;
    for entry in entries.flatten() {
        let source = entry.path();
        let destination = to.join(entry.file_name());
        if source.is_dir() {
            copy_dir(&source, &destination)?;
        } else {
            copy(&source, &destination)?;
        }
    }
    Ok(())
}

/// Builds the extension and stages a complete addon for the xtask's own projects in
/// `target/addon/<profile>/godot_steam_messages/`; returns that folder. The drop-in addon is not touched.
pub fn stage(root: &Path, release: bool) -> Result<PathBuf, String> {
    let built = cargo_build(root, release)?;
    let profile = if release { "release" } else { "debug" };
    let staged = root
        .join("target")
        .join("addon")
        .join(profile)
        .join(ADDON_NAME);
    copy_addon_files(root, &staged)?;
    install_libraries(&built, &staged)?;
    Ok(staged)
}

/// Copies the addon's own files (the `.gdextension`, its `.uid`, README, notice, icon: everything but `bin/`)
/// into `to`, creating it.
pub fn copy_addon_files(root: &Path, to: &Path) -> Result<(), String> {
    fs::create_dir_all(to).map_err(|error| format!("creating {}: {error}", to.display()))?;
    let source = root.join(ADDON_DIR);
    let entries =
        fs::read_dir(&source).map_err(|error| format!("reading {}: {error}", source.display()))?;
    for entry in entries.flatten() {
        if entry.path().is_file() {
            copy(&entry.path(), &to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

/// What `cargo build` produced.
struct Built {
    library: PathBuf,
    steam_library: PathBuf,
}

/// `cargo build` of the extension library; where it and `libsteam_api` are.
fn cargo_build(root: &Path, release: bool) -> Result<Built, String> {
    let cargo = cargo_build::build_library(root, CRATE_NAME, release, "the extension")?;
    let library = cargo
        .shared_library("godot_steam_messages")
        .ok_or("cargo reported no shared library for the extension")?;
    let steam_library = cargo
        .build_script_out_dir(STEAM_SYS)
        .map(|dir| dir.join(steam_library_name()))
        .filter(|path| path.exists())
        .ok_or("cannot find libsteam_api in steamworks-sys's build output")?;
    Ok(Built {
        library,
        steam_library,
    })
}

/// Copies the built library and Steam's into `addon/bin/<platform>/`; returns the installed library's path.
fn install_libraries(built: &Built, addon: &Path) -> Result<PathBuf, String> {
    let bin = addon.join("bin").join(platform_dir()?);
    fs::create_dir_all(&bin).map_err(|error| format!("creating {}: {error}", bin.display()))?;
    let installed = bin.join(
        built
            .library
            .file_name()
            .ok_or("library has no file name")?,
    );
    copy(&built.library, &installed)?;
    copy(
        &built.steam_library,
        &bin.join(built.steam_library.file_name().unwrap_or_default()),
    )?;
    Ok(installed)
}

/// Makes `project/addons/godot_steam_messages` a link to `addon` (both inside the workspace), replacing a
/// link to another addon.
pub fn link_into_project(root: &Path, project: &Path, addon: &Path) -> Result<(), String> {
    let addons = project.join("addons");
    fs::create_dir_all(&addons)
        .map_err(|error| format!("creating {}: {error}", addons.display()))?;
    let link = addons.join(ADDON_NAME);
    // Relative, so the link survives moving the checkout.
    let depth = addons
        .strip_prefix(root)
        .map_err(|_| format!("{} is outside the workspace", project.display()))?
        .components()
        .count();
    let inside = addon
        .strip_prefix(root)
        .map_err(|_| format!("{} is outside the workspace", addon.display()))?;
    let target = Path::new(&"../".repeat(depth)).join(inside);
    if let Ok(metadata) = fs::symlink_metadata(&link) {
        if fs::read_link(&link).is_ok_and(|existing| existing == target) {
            return Ok(());
        }
        let removed = if metadata.is_dir() {
            fs::remove_dir_all(&link)
        } else {
            fs::remove_file(&link)
        };
        removed.map_err(|error| format!("removing {}: {error}", link.display()))?;
    }
    symlink(&target, &link)
}

/// Makes `link` a symbolic link to `target` (relative to the link's folder, or absolute).
pub fn symlink(target: &Path, link: &Path) -> Result<(), String> {
    #[cfg(unix)]
    let linked = std::os::unix::fs::symlink(target, link);
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

pub fn copy(from: &Path, to: &Path) -> Result<(), String> {
    // Remove first: overwriting a library a running Godot has mapped would corrupt that process.
    let _ = fs::remove_file(to);
    fs::copy(from, to)
        .map(|_| ())
        .map_err(|error| format!("copying {} to {}: {error}", from.display(), to.display()))
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
pub fn platform_dir() -> Result<&'static str, String> {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => Ok("linux-x86_64"),
        ("linux", "aarch64") => Ok("linux-arm64"),
        ("windows", "x86_64") => Ok("windows-x86_64"),
        ("macos", _) => Ok("macos"),
        (os, arch) => Err(format!("no addon layout for {os}/{arch}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registering_adds_the_entry_once_and_keeps_other_extensions() {
        let project = std::env::temp_dir().join(format!("gsm-register-{}", std::process::id()));
        let _ = fs::remove_dir_all(&project);
        fs::create_dir_all(project.join(".godot")).unwrap();
        let list = project.join(".godot/extension_list.cfg");
        fs::write(&list, "res://addons/other/other.gdextension").unwrap();
        register_extension(&project).unwrap();
        register_extension(&project).unwrap();
        let text = fs::read_to_string(&list).unwrap();
        let _ = fs::remove_dir_all(&project);
        assert_eq!(
            text,
            format!("res://addons/other/other.gdextension\n{EXTENSION_ENTRY}\n")
        );
    }
}
