//! The `readme_quick_start` suite: README.md's Install and Quick start, followed as written in a brand-new
//! project. The Quick start's GDScript block is taken from the README itself, so the suite fails when the
//! README's example stops working.
//!
//! 1. The install step (the addon copied and registered, as `cargo xtask install` does): the first
//!    `--headless --import` of the new project exits cleanly, with no `Identifier "Steam" not declared`.
//! 2. Without Steam and without the local backend, the example reports the failed initialisation once and
//!    stops polling: no flood of "class not found" errors.
//! 3. Two instances started as the README says (`-- --steam-backend=local`) find each other and each receives
//!    the other's hello.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::addon;
use crate::godot::Godot;
use crate::process;
use crate::suite::{self, SuiteOutcome};

/// Longest the two instances may take to exchange their hellos (it takes about two seconds).
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(120);
/// Frames the instance without Steam runs before it quits.
const FRAMES_WITHOUT_STEAM: &str = "300";
/// What the example prints for each message it receives.
const RECEIVED: &str = "says hello from";
/// GodotSteam's error for a call before initialisation.
const NOT_INITIALISED: &str = "class not found when calling";

/// One step of the suite: the Godot to run, the project and the logs folder.
type Step = fn(&Godot, &Path, &Path) -> Result<(), String>;

pub fn run(root: &Path, godot: &Godot, addon: &Path, logs: &Path) -> SuiteOutcome {
    // Install: the addon in `addons/` (here a link) and registered, as `cargo xtask install` does.
    let prepared = suite::fresh_project(root, "quick-start-project", addon).and_then(|project| {
        addon::register_extension(&project)?;
        Ok(project)
    });
    match prepared {
        Ok(project) => run_in_project(root, godot, &project, logs),
        Err(error) => SuiteOutcome::broken(format!("cannot prepare the project: {error}")),
    }
}

/// The README section whose host/join example `readme_multiplayer` runs.
const MULTIPLAYER_SECTION: &str = "Godot multiplayer: `SteamMessagesMultiplayerPeer`";
/// Local IDs of the multiplayer example's host and client.
const MULTIPLAYER_IDS: [u32; 2] = [50, 51];
/// The Steam ID the local backend gives local ID `n`.
const BASE_STEAM_ID: u64 = 76_561_197_960_265_728;

/// The `readme_multiplayer` suite: the README's `SteamMessagesMultiplayerPeer` example, as printed, as the main
/// scene of a new project; a host and a client started as the README says (`--join=` the host's Steam ID) must
/// each print the other's RPC.
pub fn run_multiplayer(root: &Path, godot: &Godot, addon: &Path, logs: &Path) -> SuiteOutcome {
    let result =
        suite::fresh_project(root, "readme-multiplayer-project", addon).and_then(|project| {
            addon::register_extension(&project)?;
            let readme = fs::read_to_string(root.join("README.md"))
                .map_err(|error| format!("reading README.md: {error}"))?;
            let script = section_script(&readme, MULTIPLAYER_SECTION).ok_or(format!(
                "README.md has no ```gdscript block under ## {MULTIPLAYER_SECTION}"
            ))?;
            write_main_scene(&project, script)?;
            let [host, client] = MULTIPLAYER_IDS;
            let host_args = [
                "--steam-backend=local".to_owned(),
                format!("--steam-local-id={host}"),
            ];
            let client_args = [
                "--steam-backend=local".to_owned(),
                format!("--steam-local-id={client}"),
                format!("--join={}", BASE_STEAM_ID + u64::from(host)),
            ];
            exchange_hellos(
                godot,
                &project,
                logs,
                "readme_multiplayer",
                [&host_args, &client_args],
            )
        });
    SuiteOutcome::from_result(result)
}

/// The Quick start in `project`, which has the addon installed and registered: writes the README's script as
/// the main scene, then runs the steps. Logs go to `logs`.
pub fn run_in_project(root: &Path, godot: &Godot, project: &Path, logs: &Path) -> SuiteOutcome {
    if let Err(error) = write_project_files(root, project) {
        return SuiteOutcome::broken(format!("cannot prepare the project: {error}"));
    }
    let mut outcome = SuiteOutcome::default();
    let steps: [(&str, Step); 3] = [
        ("import", first_import),
        ("without Steam", without_steam),
        ("two instances", two_instances),
    ];
    for (step, check) in steps {
        let result = check(godot, project, logs);
        outcome.absorb(step, SuiteOutcome::from_result(result));
    }
    outcome
}

/// The Quick start's GDScript block: the first ```gdscript block under the `## Quick start` heading.
pub fn quick_start_script(readme: &str) -> Option<String> {
    section_script(readme, "Quick start")
}

/// The first ```gdscript block under the `## <heading>` heading of the README.
pub fn section_script(readme: &str, heading: &str) -> Option<String> {
    let section = readme.split(&format!("\n## {heading}\n")).nth(1)?;
    let section = section.split("\n## ").next()?;
    let code = section.split("```gdscript\n").nth(1)?;
    Some(code.split("\n```").next()?.to_owned() + "\n")
}

/// The project file and a main scene whose root node carries the Quick start script from README.md.
fn write_project_files(root: &Path, project: &Path) -> Result<(), String> {
    let readme = fs::read_to_string(root.join("README.md"))
        .map_err(|error| format!("reading README.md: {error}"))?;
    let script = quick_start_script(&readme)
        .ok_or("README.md has no ```gdscript block under ## Quick start")?;
    write_main_scene(project, script)
}

/// Writes `project.godot` and a main scene whose root node carries `script`.
pub fn write_main_scene(project: &Path, script: String) -> Result<(), String> {
    let files = [
        (
            "project.godot",
            "config_version=5\n\n[application]\n\nconfig/name=\"quick start\"\n\
             run/main_scene=\"res://main.tscn\"\n"
                .to_owned(),
        ),
        (
            "main.tscn",
            "[gd_scene load_steps=2 format=3]\n\n\
             [ext_resource type=\"Script\" path=\"res://main.gd\" id=\"1\"]\n\n\
             [node name=\"Main\" type=\"Node\"]\nscript = ExtResource(\"1\")\n"
                .to_owned(),
        ),
        ("main.gd", script),
    ];
    for (name, text) in files {
        fs::write(project.join(name), text).map_err(|error| format!("writing {name}: {error}"))?;
    }
    Ok(())
}

fn first_import(godot: &Godot, project: &Path, logs: &Path) -> Result<(), String> {
    let log = logs.join("readme_quick_start.import.log");
    let mut command = godot.isolated_command();
    command
        .args(["--headless", "--import", "--path"])
        .arg(project);
    let code = process::wait_with_timeout(process::spawn_logged(command, &log)?, EXCHANGE_TIMEOUT)?;
    // With the extension registered, not even the first import reports `Identifier "Steam" not declared`.
    let mut problems = fatal_lines(&fs::read_to_string(&log).unwrap_or_default());
    if code != 0 {
        problems.push(format!("the first import exited with code {code}"));
    }
    joined(problems)
}

fn without_steam(godot: &Godot, project: &Path, logs: &Path) -> Result<(), String> {
    let log = logs.join("readme_quick_start.without_steam.log");
    let mut command = godot.isolated_command();
    command
        .args(["--headless", "--quit-after", FRAMES_WITHOUT_STEAM, "--path"])
        .arg(project);
    let code = process::wait_with_timeout(process::spawn_logged(command, &log)?, EXCHANGE_TIMEOUT)?;
    let text = fs::read_to_string(&log).unwrap_or_default();
    let mut problems = fatal_lines(&text);
    if code != 0 {
        problems.push(format!("exited with code {code}"));
    }
    let reported = text.matches("Steam failed:").count();
    if reported != 1 {
        problems.push(format!(
            "the failed initialisation was reported {reported} times, not once"
        ));
    }
    let flood = text.matches(NOT_INITIALISED).count();
    if flood > 0 {
        problems.push(format!(
            "{flood} '{NOT_INITIALISED}' errors: the example kept polling after init failed"
        ));
    }
    joined(problems)
}

fn two_instances(godot: &Godot, project: &Path, logs: &Path) -> Result<(), String> {
    let args = ["--steam-backend=local".to_owned()];
    exchange_hellos(godot, project, logs, "readme_quick_start", [&args, &args])
}

/// Runs the project's main scene twice at once, with `args[i]` as the user arguments of instance `a`/`b`
/// (logs `<log_name>.a.log`, `.b.log`), until each has printed a received hello.
pub fn exchange_hellos(
    godot: &Godot,
    project: &Path,
    logs: &Path,
    log_name: &str,
    args: [&[String]; 2],
) -> Result<(), String> {
    let logs: Vec<PathBuf> = ["a", "b"]
        .iter()
        .map(|name| logs.join(format!("{log_name}.{name}.log")))
        .collect();
    let mut children = Vec::new();
    for (log, args) in logs.iter().zip(args) {
        let mut command = godot.isolated_command();
        command
            .args(["--headless", "--path"])
            .arg(project)
            .arg("--")
            .args(args);
        match process::spawn_logged(command, log) {
            Ok(child) => children.push(child),
            Err(error) => {
                process::kill_all(&mut children);
                return Err(error);
            }
        }
    }
    // The example runs until it is closed, as a game does: wait for both hellos (or an early exit), then stop.
    let started = Instant::now();
    let received = |log: &PathBuf| {
        fs::read_to_string(log)
            .unwrap_or_default()
            .contains(RECEIVED)
    };
    let mut problems = Vec::new();
    loop {
        if logs.iter().all(received) {
            break;
        }
        if children
            .iter_mut()
            .any(|child| child.try_wait().is_ok_and(|status| status.is_some()))
        {
            problems.push("an instance exited before both hellos arrived".to_owned());
            break;
        }
        if started.elapsed() > EXCHANGE_TIMEOUT {
            problems.push(format!(
                "no hello exchanged within {} s",
                EXCHANGE_TIMEOUT.as_secs()
            ));
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    process::kill_all(&mut children);
    for (name, log) in ["a", "b"].iter().zip(&logs) {
        let text = fs::read_to_string(log).unwrap_or_default();
        problems.extend(
            fatal_lines(&text)
                .into_iter()
                .map(|line| format!("[{name}] {line}")),
        );
        if !text.contains(RECEIVED) {
            problems.push(format!("[{name}] never printed '… {RECEIVED} …'"));
        }
    }
    joined(problems)
}

/// Lines with a marker that fails any suite (script errors, leaks, crashes).
fn fatal_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| {
            suite::FATAL_LOG_MARKERS
                .iter()
                .any(|marker| line.contains(marker))
        })
        .map(|line| line.trim().to_owned())
        .collect()
}

fn joined(problems: Vec<String>) -> Result<(), String> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quick_start_block_is_found_under_its_heading_only() {
        let readme = "# x\n```gdscript\nwrong\n```\n## Quick start\n\ntext\n\n```gdscript\nextends Node\n\
                      ```\n\n```gdscript\nsecond\n```\n## API\n";
        assert_eq!(
            quick_start_script(readme).as_deref(),
            Some("extends Node\n")
        );
        assert_eq!(
            quick_start_script("## Install\n```gdscript\nx\n```\n"),
            None
        );
    }

    #[test]
    fn the_readme_has_a_quick_start_script() {
        let readme = include_str!("../../README.md");
        let script = quick_start_script(readme).expect("README.md has a Quick start block");
        assert!(script.starts_with("extends Node"));
    }
}
