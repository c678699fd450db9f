//! The Steam backend under test without Steam: the extension's `src/backend/steam/` runs against the test
//! tree's Steam API stand-in (`tests/steam-api-stand-in/`, a `libsteam_api.so` of our own over the local
//! engine that enforces Steam's callback-dispatch contract), in two projects:
//!
//! - `steam_path/<pair or group suite>`: the `pair_*.gd` suites, two processes on the Steam backend, and the
//!   `group_multiplayer_*.gd` suites (Godot's high-level multiplayer), two or three;
//! - `beside_godotsteam/<suite>`: the suites of `tests/godot/beside_godotsteam/`, with a GodotSteam look-alike
//!   (`tests/godotsteam-like/`: the `Steam` singleton, standard C++ callbacks, `SteamAPI_RunCallbacks`) loaded
//!   in the same process, as users install both addons;
//! - `beside_godotsteam/readme_example`: the README's "Beside GodotSteam" script, as printed, as the main scene
//!   of two instances that greet each other.
//!
//! The stand-in is only ever copied into these projects' folders under `target/steam-path/`; it never ships.

use std::fs;
use std::path::{Path, PathBuf};

use crate::suite::{SuiteOutcome, TEST_PROJECT, finish_suite, run_pair_named, start_suite};
use crate::{addon, godot, godotsteam_like, quick_start, steam_stand_in};

/// Pair and group suites that need the local backend itself: its simulated loss and presence are not Steam's.
const LOCAL_ONLY_SUITES: &[&str] = &["pair_lossy_link", "group_multiplayer_lossy"];

/// The group suites that run on the Steam backend too: Godot's high-level multiplayer over
/// `SteamMessagesMultiplayerPeer`, which must run unchanged on both backends.
const GROUP_SUITES_PREFIX: &str = "group_multiplayer_";

/// The folder of the suites that run beside the GodotSteam look-alike, inside the test project.
const BESIDE_GODOTSTEAM_SUITES: &str = "beside_godotsteam";

/// Local IDs for these suites' processes: after the other suites' (20 to about 40), wrapping back to 20 (those
/// have ended by then) to stay within the local engine's same-machine range (up to 64).
const FIRST_LOCAL_ID: u32 = 42;
const LAST_LOCAL_ID: u32 = 63;

/// The Steam ID the local engine (and so the stand-in) gives local ID `n`.
const BASE_STEAM_ID: u64 = 76_561_197_960_265_728;

/// The README section whose example runs beside the look-alike.
const README_SECTION: &str = "Beside GodotSteam";

/// One suite's name, outcome and log pattern.
pub type Ran = (String, SuiteOutcome, PathBuf);

/// Runs every suite of both projects; an error only when the stand-in or a project cannot be built.
pub fn run(
    root: &Path,
    godot: &godot::Godot,
    staged_addon: &Path,
    release: bool,
    logs: &Path,
    selected: &dyn Fn(&str) -> bool,
) -> Result<Vec<Ran>, String> {
    let mut ran = Vec::new();
    let run_alone = |name: &str| selected(&format!("steam_path/{name}"));
    let run_beside = |name: &str| selected(&format!("{BESIDE_GODOTSTEAM_SUITES}/{name}"));
    let test_project = root.join(TEST_PROJECT);
    let mut pair_suites: Vec<PathBuf> = suites_in(&test_project.join("suites"), "pair_")?;
    pair_suites.extend(suites_in(
        &test_project.join("suites"),
        GROUP_SUITES_PREFIX,
    )?);
    pair_suites.retain(|suite| !LOCAL_ONLY_SUITES.contains(&stem(suite)) && run_alone(stem(suite)));
    let beside_suites: Vec<PathBuf> = suites_in(&test_project.join(BESIDE_GODOTSTEAM_SUITES), "")?
        .into_iter()
        .filter(|suite| run_beside(stem(suite)))
        .collect();
    let readme_example = run_beside("readme_example");
    if pair_suites.is_empty() && beside_suites.is_empty() && !readme_example {
        return Ok(ran);
    }

    let stand_in = steam_stand_in::build(root, release)?;
    let addon = stage_addon_over_stand_in(
        &root.join("target").join("steam-path").join("addon"),
        staged_addon,
        &stand_in,
    )?;
    let mut next_local_id = FIRST_LOCAL_ID - 2;

    if !pair_suites.is_empty() {
        let project = project_folder(root, &test_project, "alone", &addon)?;
        let args = [
            "--steam-backend=steam".to_owned(),
            "--expect-backend=steam".to_owned(),
        ];
        for suite in pair_suites {
            let suite = project
                .join("suites")
                .join(suite.file_name().unwrap_or_default());
            let name = format!("steam_path/{}", stem(&suite));
            let log_name = format!("steam_path.{}", stem(&suite));
            let mut extra = crate::suite::declared_args(&suite);
            // The group suites ask for the local backend when run on their own; here the Steam one runs.
            extra.retain(|arg| !arg.starts_with("--steam-backend="));
            extra.extend_from_slice(&args);
            next_local_id = next_first_id(next_local_id, crate::suite::processes(&suite));
            let outcome = run_pair_named(
                godot,
                &project,
                &suite,
                &log_name,
                logs,
                next_local_id,
                &extra,
            );
            ran.push((name, outcome, logs.join(format!("{log_name}.*.log"))));
        }
    }

    if !beside_suites.is_empty() {
        let project = project_folder(root, &test_project, "beside-godotsteam", &addon)?;
        godotsteam_like::stage(root, release, &project)?;
        addon::copy(
            &stand_in,
            &godotsteam_like::bin_dir(&project).join("libsteam_api.so"),
        )?;
        for suite in beside_suites {
            let suite = project
                .join(BESIDE_GODOTSTEAM_SUITES)
                .join(suite.file_name().unwrap_or_default());
            let name = format!("{BESIDE_GODOTSTEAM_SUITES}/{}", stem(&suite));
            let log_name = format!("{BESIDE_GODOTSTEAM_SUITES}.{}", stem(&suite));
            let mut args = crate::suite::declared_args(&suite);
            args.extend(["--steam-backend=steam".to_owned()]);
            next_local_id = next_first_id(next_local_id, 2);
            let outcome = if stem(&suite).starts_with("pair_") {
                run_pair_named(
                    godot,
                    &project,
                    &suite,
                    &log_name,
                    logs,
                    next_local_id,
                    &args,
                )
            } else {
                args.push(format!("--steam-local-id={next_local_id}"));
                let log_path = logs.join(format!("{log_name}.log"));
                let child = start_suite(godot, &project, &suite, &log_path, &args);
                finish_suite(child, &log_path, &suite)
            };
            ran.push((name, outcome, logs.join(format!("{log_name}*.log"))));
        }
    }
    if readme_example {
        let outcome = SuiteOutcome::from_result(run_readme_example(
            root,
            godot,
            &addon,
            &stand_in,
            release,
            logs,
            next_first_id(next_local_id, 2),
        ));
        ran.push((
            format!("{BESIDE_GODOTSTEAM_SUITES}/readme_example"),
            outcome,
            logs.join("beside_godotsteam.readme_example.*.log"),
        ));
    }
    Ok(ran)
}

/// The first of the next two free local IDs after `current`.
/// The first local ID of the next suite's `processes`, after a suite that started at `current`.
fn next_first_id(current: u32, processes: u32) -> u32 {
    let next = current + 2;
    if next + processes - 1 > LAST_LOCAL_ID {
        20
    } else {
        next
    }
}

/// The README's "Beside GodotSteam" example in a new project with both addons: two instances, each told the
/// other's Steam ID with `--friend=`, must each print the other's hello.
fn run_readme_example(
    root: &Path,
    godot: &godot::Godot,
    addon: &Path,
    stand_in: &Path,
    release: bool,
    logs: &Path,
    first_local_id: u32,
) -> Result<(), String> {
    let project = root.join("target").join("steam-path").join("readme-beside");
    let _ = fs::remove_dir_all(&project);
    fs::create_dir_all(&project)
        .map_err(|error| format!("creating {}: {error}", project.display()))?;
    addon::link_into_project(root, &project, addon)?;
    addon::register_extension(&project)?;
    godotsteam_like::stage(root, release, &project)?;
    addon::copy(
        stand_in,
        &godotsteam_like::bin_dir(&project).join("libsteam_api.so"),
    )?;
    let readme = fs::read_to_string(root.join("README.md"))
        .map_err(|error| format!("reading README.md: {error}"))?;
    let script = quick_start::section_script(&readme, README_SECTION).ok_or(format!(
        "README.md has no ```gdscript block under ## {README_SECTION}"
    ))?;
    quick_start::write_main_scene(&project, script)?;
    let ids = [first_local_id, first_local_id + 1];
    let args_of = |me: u32, friend: u32| {
        vec![
            "--steam-backend=steam".to_owned(),
            format!("--steam-local-id={me}"),
            format!("--friend={}", BASE_STEAM_ID + u64::from(friend)),
        ]
    };
    let a = args_of(ids[0], ids[1]);
    let b = args_of(ids[1], ids[0]);
    quick_start::exchange_hellos(
        godot,
        &project,
        logs,
        "beside_godotsteam.readme_example",
        [&a, &b],
    )
}

/// A copy of the staged addon in `dir` whose `libsteam_api.so` is the stand-in, after checking that the
/// stand-in defines every Steam function the extension imports (Godot loads extensions with every symbol
/// resolved).
pub fn stage_addon_over_stand_in(
    dir: &Path,
    staged_addon: &Path,
    stand_in: &Path,
) -> Result<PathBuf, String> {
    let addon = dir.join(addon::ADDON_NAME);
    let _ = fs::remove_dir_all(&addon);
    addon::copy_dir(staged_addon, &addon)?;
    let bin = addon.join("bin").join(addon::platform_dir()?);
    let extension = fs::read_dir(&bin)
        .map_err(|error| format!("reading {}: {error}", bin.display()))?
        .flatten()
        .map(|entry| entry.path())
        .find(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.contains("godot_steam_messages"))
        })
        .ok_or_else(|| format!("no extension library in {}", bin.display()))?;
    steam_stand_in::check_exports_cover(&extension, stand_in)?;
    addon::copy(stand_in, &bin.join("libsteam_api.so"))?;
    Ok(addon)
}

/// `target/steam-path/<name>/`: the test project's settings and scripts (linked, so suites keep their
/// `res://` paths) with the stand-in addon.
fn project_folder(
    root: &Path,
    test_project: &Path,
    name: &str,
    addon: &Path,
) -> Result<PathBuf, String> {
    let project = root.join("target").join("steam-path").join(name);
    let _ = fs::remove_dir_all(&project);
    fs::create_dir_all(&project)
        .map_err(|error| format!("creating {}: {error}", project.display()))?;
    addon::copy(
        &test_project.join("project.godot"),
        &project.join("project.godot"),
    )?;
    for folder in ["lib", "suites", BESIDE_GODOTSTEAM_SUITES] {
        addon::symlink(&test_project.join(folder), &project.join(folder))?;
    }
    addon::link_into_project(root, &project, addon)?;
    addon::register_extension(&project)?;
    Ok(project)
}

/// The `.gd` files of `dir` whose names start with `prefix`, sorted.
fn suites_in(dir: &Path, prefix: &str) -> Result<Vec<PathBuf>, String> {
    let mut suites: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|error| format!("reading {}: {error}", dir.display()))?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension().is_some_and(|extension| extension == "gd")
                && stem(path).starts_with(prefix)
        })
        .collect();
    suites.sort();
    Ok(suites)
}

fn stem(path: &Path) -> &str {
    path.file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or("suite")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_ids_stay_within_the_local_engines_same_machine_range() {
        let mut id = FIRST_LOCAL_ID - 2;
        for round in 0..100 {
            let processes = 2 + round % 3;
            id = next_first_id(id, processes);
            assert!(
                id >= 20 && id + processes - 1 <= LAST_LOCAL_ID,
                "{id} + {processes}"
            );
        }
    }

    #[test]
    fn pair_ids_stay_within_the_local_engines_same_machine_range() {
        let mut id = FIRST_LOCAL_ID - 2;
        for _ in 0..100 {
            id = next_first_id(id, 2);
            assert!(
                (20..=LAST_LOCAL_ID).contains(&id) && id < LAST_LOCAL_ID,
                "{id}"
            );
        }
    }
}
