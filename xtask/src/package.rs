//! `cargo xtask package`: the zip a Godot user downloads, `target/dist/godot-steam-messages-<version>.zip`,
//! holding exactly `addons/godot_steam_messages/` (the Asset Library's layout) with every platform this
//! machine can build, then checks what it wrote as a user would meet it:
//!
//! - the zip holds the addon and nothing else, with each platform's library and Steam's;
//! - unpacked into a brand-new project, the README's Quick start runs between two processes, and the editor's
//!   help page describes every member;
//! - the Windows DLL loads under Wine (see [`crate::windows`]), where Wine is available;
//! - the Linux arm64 library loads under qemu-user (see [`crate::linux_arm64`]), where qemu-user is available.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::addon::{self, ADDON_DIR, ADDON_NAME};
use crate::suite::SuiteOutcome;
use crate::{class_reference, godot, linux_arm64, quick_start, windows};

/// `prebuilt`: a folder of `bin/<platform>/` folders built elsewhere (the release workflow's macOS, Linux
/// arm64 and native Windows builds), copied in after this machine's builds and replacing them.
pub fn run(
    root: &Path,
    skip_windows: bool,
    skip_linux_arm64: bool,
    prebuilt: Option<&Path>,
) -> Result<(), String> {
    let staging = root.join("target").join("package");
    let _ = fs::remove_dir_all(&staging);
    let addon = staging.join(ADDON_DIR);
    addon::copy_addon_files(root, &addon)?;
    addon::copy(&root.join("LICENSE"), &addon.join("LICENSE"))?;
    addon::build_library_into(root, true, &addon)?;
    let windows_built = if skip_windows {
        println!("package: Windows skipped (--skip-windows)");
        false
    } else {
        windows::build_into(root, &addon)?;
        true
    };
    if skip_linux_arm64 {
        println!("package: Linux arm64 skipped (--skip-linux-arm64)");
    } else {
        linux_arm64::build_into(root, &addon)?;
    }
    if let Some(prebuilt) = prebuilt {
        addon::copy_dir(prebuilt, &addon.join("bin"))?;
    }
    let zip = root
        .join("target")
        .join("dist")
        .join(format!("godot-steam-messages-{}.zip", crate_version(root)?));
    write_zip(&staging, &zip)?;
    println!("package: wrote {}", zip.display());
    let arm64_built = addon.join(linux_arm64::BIN_DIR).is_dir();
    let outcome = check(root, &zip, windows_built, arm64_built);
    for problem in &outcome.problems {
        println!("package: FAILED: {problem}");
    }
    println!(
        "package: {} checks passed, {} failed",
        outcome.tally.passed, outcome.tally.failed
    );
    if outcome.problems.is_empty() {
        Ok(())
    } else {
        Err("the package failed its checks".into())
    }
}

/// The version in the extension crate's `Cargo.toml`.
fn crate_version(root: &Path) -> Result<String, String> {
    let manifest = fs::read_to_string(root.join("Cargo.toml"))
        .map_err(|error| format!("reading Cargo.toml: {error}"))?;
    manifest
        .lines()
        .find_map(|line| {
            let value = line
                .trim()
                .strip_prefix("version")?
                .trim()
                .strip_prefix('=')?;
            Some(value.trim().trim_matches('"').to_owned())
        })
        .ok_or_else(|| "Cargo.toml has no version".into())
}

/// Zips every file under `staging`, named by its path relative to it.
fn write_zip(staging: &Path, zip_path: &Path) -> Result<(), String> {
    if let Some(dir) = zip_path.parent() {
        fs::create_dir_all(dir).map_err(|error| format!("creating {}: {error}", dir.display()))?;
    }
    let file = fs::File::create(zip_path)
        .map_err(|error| format!("creating {}: {error}", zip_path.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    let mut files = Vec::new();
    collect_files(staging, &mut files)?;
    files.sort();
    for path in files {
        let name = path
            .strip_prefix(staging)
            .map_err(|_| format!("{} is outside the staging folder", path.display()))?
            .to_string_lossy()
            .replace('\\', "/");
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(0o644);
        zip.start_file(name.as_str(), options)
            .map_err(|error| format!("zipping {name}: {error}"))?;
        let bytes =
            fs::read(&path).map_err(|error| format!("reading {}: {error}", path.display()))?;
        zip.write_all(&bytes)
            .map_err(|error| format!("zipping {name}: {error}"))?;
    }
    zip.finish()
        .map_err(|error| format!("finishing {}: {error}", zip_path.display()))?;
    Ok(())
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        fs::read_dir(dir).map_err(|error| format!("reading {}: {error}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

/// The files every package holds, relative to the addon folder.
const COMMON_FILES: &[&str] = &[
    "godot_steam_messages.gdextension",
    "godot_steam_messages.gdextension.uid",
    "LICENSE",
    "README.md",
    "STEAM_REDISTRIBUTABLE.md",
    "icon.svg",
];

/// The two files of a platform's `bin/` folder: the extension's library and Steam's.
fn platform_files(platform: &str) -> Option<[String; 2]> {
    let (library, steam) = if platform.starts_with("linux-") {
        ("libgodot_steam_messages.so", "libsteam_api.so")
    } else if platform.starts_with("windows-") {
        ("godot_steam_messages.dll", "steam_api64.dll")
    } else if platform == "macos" {
        ("libgodot_steam_messages.dylib", "libsteam_api.dylib")
    } else {
        return None;
    };
    Some([
        format!("bin/{platform}/{library}"),
        format!("bin/{platform}/{steam}"),
    ])
}

/// What a zip with these file names (relative to the addon folder) lacks or holds too much: the common
/// files, this machine's platform, Windows when it was built here, and every platform folder present must be
/// complete; nothing else may be there.
fn layout_problems(names: &[String], required_platforms: &[&str]) -> Vec<String> {
    let mut expected: Vec<String> = COMMON_FILES.iter().map(|file| (*file).to_owned()).collect();
    let mut platforms: Vec<String> = required_platforms.iter().map(|p| (*p).to_owned()).collect();
    for name in names {
        if let Some(platform) = name
            .strip_prefix("bin/")
            .and_then(|rest| rest.split('/').next())
            && !platforms.iter().any(|known| known == platform)
        {
            platforms.push(platform.to_owned());
        }
    }
    let mut problems = Vec::new();
    for platform in &platforms {
        match platform_files(platform) {
            Some(files) => expected.extend(files),
            None => problems.push(format!("unknown platform folder bin/{platform}")),
        }
    }
    for name in &expected {
        if !names.contains(name) {
            problems.push(format!("missing {name}"));
        }
    }
    for name in names {
        if !expected.contains(name) && !name.ends_with('/') {
            problems.push(format!("unexpected {name}"));
        }
    }
    problems
}

/// Every check of the written zip; each counts once.
fn check(root: &Path, zip_path: &Path, windows_built: bool, arm64_built: bool) -> SuiteOutcome {
    let mut outcome = SuiteOutcome::default();
    let mut record = |name: &str, result: Result<(), String>| {
        println!(
            "package check {name}: {}",
            if result.is_ok() { "passed" } else { "FAILED" }
        );
        outcome.absorb(name, SuiteOutcome::from_result(result));
    };
    let checks = root.join("target").join("package-check");
    let _ = fs::remove_dir_all(&checks);
    record("layout", check_layout(zip_path, windows_built, arm64_built));
    let godot = match godot::ensure_godot(root) {
        Ok(godot) => godot,
        Err(error) => {
            record("godot", Err(error));
            return outcome;
        }
    };
    let logs = checks.join("logs");
    let _ = fs::create_dir_all(&logs);
    let quick_start_project = checks.join("quick-start");
    match unpack_into_new_project(zip_path, &quick_start_project) {
        Ok(()) => {
            let result = quick_start::run_in_project(root, &godot, &quick_start_project, &logs);
            outcome_into_record(&mut record, "quick start from the unpacked zip", result);
        }
        Err(error) => record("quick start from the unpacked zip", Err(error)),
    }
    let reference_project = checks.join("class-reference");
    let result = unpack_into_new_project(zip_path, &reference_project)
        .and_then(|()| class_reference::install_fixture(root, &reference_project))
        .and_then(|()| class_reference::check_project(&godot, &reference_project, &logs));
    record("class reference from the unpacked zip", result);
    if windows_built {
        let dll_dir = checks.join("windows");
        let result = unpack(zip_path, &dll_dir).and_then(|()| {
            windows::check_loads(root, &dll_dir.join(ADDON_DIR).join("bin/windows-x86_64"))
        });
        match result {
            Ok(windows::LoadCheck::Loaded) => record("Windows DLL loads under Wine", Ok(())),
            Ok(windows::LoadCheck::Skipped(reason)) => {
                println!("package check Windows DLL loads under Wine: skipped ({reason})");
            }
            Err(error) => record("Windows DLL loads under Wine", Err(error)),
        }
    }
    if arm64_built {
        const NAME: &str = "Linux arm64 library loads under qemu-user";
        let arm64_dir = checks.join("linux-arm64");
        let result = unpack(zip_path, &arm64_dir).and_then(|()| {
            linux_arm64::check_loads(root, &arm64_dir.join(ADDON_DIR).join(linux_arm64::BIN_DIR))
        });
        match result {
            Ok(linux_arm64::LoadCheck::Loaded) => record(NAME, Ok(())),
            Ok(linux_arm64::LoadCheck::Skipped(reason)) => {
                println!("package check {NAME}: skipped ({reason})");
            }
            Err(error) => record(NAME, Err(error)),
        }
    }
    outcome
}

fn outcome_into_record(
    record: &mut impl FnMut(&str, Result<(), String>),
    name: &str,
    outcome: SuiteOutcome,
) {
    if outcome.problems.is_empty() {
        record(name, Ok(()));
    } else {
        record(name, Err(outcome.problems.join("; ")));
    }
}

/// The zip holds exactly the expected files, all under `addons/godot_steam_messages/`.
fn check_layout(zip_path: &Path, windows: bool, linux_arm64: bool) -> Result<(), String> {
    let archive = open(zip_path)?;
    let prefix = format!("addons/{ADDON_NAME}/");
    let mut outside = Vec::new();
    let mut names = Vec::new();
    for name in archive.file_names().filter_map(Result::ok) {
        match name.strip_prefix(&prefix) {
            Some(inside) => names.push(inside.to_owned()),
            None => outside.push(name.into_owned()),
        }
    }
    let mut required = vec![addon::platform_dir()?];
    if windows {
        required.push("windows-x86_64");
    }
    if linux_arm64 {
        required.push("linux-arm64");
    }
    let mut problems = layout_problems(&names, &required);
    problems.extend(
        outside
            .into_iter()
            .map(|name| format!("{name} is outside {prefix}")),
    );
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// A brand-new project folder with the zip unpacked into it and the extension registered, as the addon's
/// README tells users to do.
fn unpack_into_new_project(zip_path: &Path, project: &Path) -> Result<(), String> {
    unpack(zip_path, project)?;
    addon::register_extension(project)
}

fn unpack(zip_path: &Path, into: &Path) -> Result<(), String> {
    let _ = fs::remove_dir_all(into);
    fs::create_dir_all(into).map_err(|error| format!("creating {}: {error}", into.display()))?;
    open(zip_path)?
        .extract(into)
        .map_err(|error| format!("unpacking {}: {error}", zip_path.display()))
}

fn open(zip_path: &Path) -> Result<zip::ZipArchive<fs::File>, String> {
    let file = fs::File::open(zip_path)
        .map_err(|error| format!("opening {}: {error}", zip_path.display()))?;
    zip::ZipArchive::new(file).map_err(|error| format!("reading {}: {error}", zip_path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn a_zip_of_a_staging_folder_holds_its_files_under_their_relative_names() {
        let dir = std::env::temp_dir().join(format!("gsm-package-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let addon = dir.join("staging/addons/godot_steam_messages/bin");
        fs::create_dir_all(&addon).unwrap();
        fs::write(addon.join("lib.so"), b"library").unwrap();
        let zip_path = dir.join("out.zip");
        write_zip(&dir.join("staging"), &zip_path).unwrap();
        let mut archive = open(&zip_path).unwrap();
        let names: Vec<String> = archive
            .file_names()
            .filter_map(Result::ok)
            .map(|name| name.into_owned())
            .collect();
        assert_eq!(names, ["addons/godot_steam_messages/bin/lib.so"]);
        let mut text = String::new();
        archive
            .by_name("addons/godot_steam_messages/bin/lib.so")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        let _ = fs::remove_dir_all(&dir);
        assert_eq!(text, "library");
    }

    fn names(files: &[&str]) -> Vec<String> {
        files.iter().map(|file| (*file).to_owned()).collect()
    }

    fn complete_linux() -> Vec<String> {
        let mut files = names(COMMON_FILES);
        files.extend(platform_files("linux-x86_64").unwrap());
        files
    }

    #[test]
    fn a_complete_package_has_no_layout_problem() {
        assert_eq!(
            layout_problems(&complete_linux(), &["linux-x86_64"]),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_required_platform_that_was_not_built_is_reported() {
        let problems = layout_problems(&complete_linux(), &["linux-x86_64", "windows-x86_64"]);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("windows-x86_64/godot_steam_messages.dll"));
    }

    #[test]
    fn a_prebuilt_platform_must_be_complete() {
        let mut files = complete_linux();
        files.push("bin/macos/libgodot_steam_messages.dylib".to_owned());
        let problems = layout_problems(&files, &["linux-x86_64"]);
        assert_eq!(problems, ["missing bin/macos/libsteam_api.dylib"]);
    }

    #[test]
    fn stray_files_are_reported() {
        let mut files = complete_linux();
        files.push("notes.txt".to_owned());
        assert_eq!(
            layout_problems(&files, &["linux-x86_64"]),
            ["unexpected notes.txt"]
        );
    }

    #[test]
    fn the_version_is_read_from_the_crate_manifest() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let version = crate_version(root).unwrap();
        assert!(version.split('.').count() == 3, "{version}");
    }
}
