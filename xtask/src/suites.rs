//! Runs the test suites: `cargo test`, then each GDScript suite (`tests/godot/suites/test_*.gd`) in its own
//! headless Godot process (see [`crate::suite`]), then the scenarios that need more than one process.
//!
//! `pair_*.gd` suites run as two Godot processes at once on the local backend, with the user arguments
//! `--role=a|b --steam-local-id=N --peer-local-id=M --host-local-id=H`; both must pass. `group_*.gd` suites
//! run the same way as `## processes: N` processes (roles a, b, c, …; `a` is the host). A suite's first lines
//! may add user arguments with a `## args: ...` line.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use udp_relay as relay;

use crate::suite::{
    SUITE_TIMEOUT, SuiteOutcome, TEST_PROJECT, Tally, declared_args, finish_suite, fresh_project,
    run_pair, start_suite,
};
use crate::{
    addon, class_reference, demo, demo_multiplayer, editor_settings, godot, netns, process,
    quick_start, steam_path,
};

/// The local backend's highest local ID: instances find each other only on local IDs 1 to 64, so a suite's
/// processes on higher ones never meet.
const MAX_LOCAL_ID: u32 = 64;
/// The first local ID given to pair and group suites, clear of the ones the demo and users pick first.
const FIRST_SUITE_LOCAL_ID: u32 = 21;

/// Hands out consecutive local IDs to pair and group suites, each suite's processes a run of its own, always
/// within `FIRST_SUITE_LOCAL_ID..=MAX_LOCAL_ID`: once the range is spent it starts over, which is safe
/// because suites run one at a time.
#[derive(Debug)]
struct SuiteLocalIds {
    next: u32,
}

impl Default for SuiteLocalIds {
    fn default() -> Self {
        Self {
            next: FIRST_SUITE_LOCAL_ID,
        }
    }
}

impl SuiteLocalIds {
    /// The first of `count` consecutive local IDs for one suite.
    fn take(&mut self, count: u32) -> u32 {
        if self.next + count - 1 > MAX_LOCAL_ID {
            self.next = FIRST_SUITE_LOCAL_ID;
        }
        let first = self.next;
        self.next += count;
        first
    }
}

pub fn run_all(
    root: &Path,
    release: bool,
    filter: Option<&str>,
    skip_rust: bool,
) -> Result<(), String> {
    // Every part runs whatever an earlier one did, and the summary reports them all.
    let rust = (!skip_rust).then(|| run_cargo_tests(root));
    let godot = run_godot_suites(root, release, filter);
    println!();
    println!("== summary of cargo xtask test");
    match &rust {
        None => println!("rust (cargo test): skipped (--skip-rust)"),
        Some(Ok(())) => println!("rust (cargo test): passed"),
        Some(Err(error)) => println!("rust (cargo test): FAILED: {error} (its output is above)"),
    }
    let mut failures = Vec::new();
    if let Some(Err(error)) = rust {
        failures.push(error);
    }
    match godot {
        Ok(run) => {
            for (name, outcome, log) in &run.suites {
                report(name, outcome, log);
            }
            for (name, reason) in &run.skipped {
                println!("suite {name}: skipped ({reason})");
            }
            // A suite that broke without counting a failed check still fails the run.
            let failed_suites = run.failed_suites();
            let failed = run.total.failed.max(failed_suites.len() as u64);
            println!("godot: {} passed, {failed} failed", run.total.passed);
            if run.suites.is_empty() {
                failures.push("no GDScript suite matched".into());
            } else if !failed_suites.is_empty() {
                failures.push(format!("failed suites: {}", failed_suites.join(", ")));
            }
        }
        Err(error) => {
            println!("godot: could not run the suites: {error}");
            failures.push(error);
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}

/// The GDScript suites' outcomes, in the order they ran.
#[derive(Default)]
struct GodotRun {
    suites: Vec<(String, SuiteOutcome, PathBuf)>,
    skipped: Vec<(String, String)>,
    total: Tally,
}

impl GodotRun {
    /// Records a suite's outcome, printing it at once too (the summary repeats it).
    fn record(&mut self, name: &str, outcome: SuiteOutcome, log: PathBuf) {
        report(name, &outcome, &log);
        self.total.passed += outcome.tally.passed;
        self.total.failed += outcome.tally.failed;
        self.suites.push((name.to_owned(), outcome, log));
    }

    fn failed_suites(&self) -> Vec<&str> {
        self.suites
            .iter()
            .filter(|(_, outcome, _)| !outcome.problems.is_empty())
            .map(|(name, _, _)| name.as_str())
            .collect()
    }
}

/// Whether the suite `name` is selected by `--filter`.
fn selected(filter: Option<&str>, name: &str) -> bool {
    filter.is_none_or(|text| name.contains(text))
}

fn run_godot_suites(root: &Path, release: bool, filter: Option<&str>) -> Result<GodotRun, String> {
    let addon = addon::stage(root, release)?;
    let project = root.join(TEST_PROJECT);
    addon::link_into_project(root, &project, &addon)?;
    let godot = godot::ensure_godot(root)?;
    eprintln!("using Godot {}", godot.version);

    let suites = find_suites(&project.join("suites"), filter)?;
    let logs = root.join("target").join("godot-tests");
    fs::create_dir_all(&logs).map_err(|error| format!("creating {}: {error}", logs.display()))?;

    let mut run = GodotRun::default();
    if selected(filter, "first_import") {
        let outcome = first_import(root, &godot, &addon, &logs);
        run.record("first_import", outcome, logs.join("first_import.log"));
    }
    if selected(filter, "editor_settings") {
        let outcome = editor_settings::run(root, &godot, &addon, &logs);
        run.record(
            "editor_settings",
            outcome,
            logs.join("editor_settings.*.log"),
        );
    }
    if selected(filter, "class_reference") {
        let outcome = class_reference::run(root, &godot, &addon, &logs);
        run.record(
            "class_reference",
            outcome,
            logs.join("class_reference.editor*.log"),
        );
    }
    if selected(filter, "readme_quick_start") {
        let outcome = quick_start::run(root, &godot, &addon, &logs);
        run.record(
            "readme_quick_start",
            outcome,
            logs.join("readme_quick_start.*.log"),
        );
    }
    if selected(filter, "readme_multiplayer") {
        let outcome = quick_start::run_multiplayer(root, &godot, &addon, &logs);
        run.record(
            "readme_multiplayer",
            outcome,
            logs.join("readme_multiplayer.*.log"),
        );
    }
    let mut local_ids = SuiteLocalIds::default();
    for suite in &suites {
        let name = suite
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or("suite")
            .to_owned();
        let extra_args = declared_args(suite);
        let outcome = if name.starts_with("pair_") || name.starts_with("group_") {
            let first_id = local_ids.take(crate::suite::processes(suite));
            run_pair(&godot, &project, suite, &logs, first_id, &extra_args)
        } else {
            let log_path = logs.join(format!("{name}.log"));
            let child = start_suite(&godot, &project, suite, &log_path, &extra_args);
            finish_suite(child, &log_path, suite)
        };
        run.record(&name, outcome, logs.join(format!("{name}*.log")));
    }
    let steam_selected = |name: &str| selected(filter, name);
    match steam_path::run(root, &godot, &addon, release, &logs, &steam_selected) {
        Ok(ran) => {
            for (name, outcome, log) in ran {
                run.record(&name, outcome, log);
            }
        }
        Err(error) => run.record(
            "steam_path",
            SuiteOutcome::broken(error),
            logs.join("steam_path.*.log"),
        ),
    }
    if selected(filter, "demo_headless") {
        // The README's run command on a machine without a display: two clients, a checked transcript, kept in
        // a log rather than in the summary.
        let log_path = logs.join("demo_headless.log");
        let result = fs::File::create(&log_path)
            .map_err(|error| format!("creating {}: {error}", log_path.display()))
            .and_then(|mut log| demo::play(&godot, root, &addon, true, &mut log));
        let outcome = SuiteOutcome::from_result(result);
        run.record("demo_headless", outcome, log_path);
    }
    if selected(filter, "demo_multiplayer_headless") {
        // `cargo xtask demo --multiplayer` without a display: a host and two clients, a checked transcript.
        let log_path = logs.join("demo_multiplayer_headless.log");
        let result = fs::File::create(&log_path)
            .map_err(|error| format!("creating {}: {error}", log_path.display()))
            .and_then(|mut log| demo_multiplayer::play(&godot, root, &addon, true, &mut log));
        let outcome = SuiteOutcome::from_result(result);
        run.record("demo_multiplayer_headless", outcome, log_path);
    }
    if selected(filter, "relay_link") {
        let outcome = relay_link(&godot, &project, &logs);
        run.record("relay_link", outcome, logs.join("relay_link.*.log"));
    }
    if selected(filter, "netns_link") {
        match netns::unavailable() {
            Some(reason) => {
                println!("suite netns_link: skipped ({reason})");
                run.skipped.push(("netns_link".into(), reason));
            }
            None => {
                let outcome = netns::run_suite(&godot, &project, &logs);
                run.record("netns_link", outcome, logs.join("netns_link.*.log"));
            }
        }
    }
    Ok(run)
}

fn report(name: &str, outcome: &SuiteOutcome, log_path: &Path) {
    if outcome.problems.is_empty() {
        println!(
            "suite {name}: {} passed, {} failed",
            outcome.tally.passed, outcome.tally.failed
        );
    } else {
        println!("suite {name}: FAILED (log: {})", log_path.display());
        for problem in &outcome.problems {
            println!("    {problem}");
        }
    }
}

/// The first `--headless --import` of a fresh project with the addon (what export pipelines run) must exit
/// cleanly: Godot once crashed there (see `unregister_classes_before_editor_teardown` in the extension).
fn first_import(root: &Path, godot: &godot::Godot, addon: &Path, logs: &Path) -> SuiteOutcome {
    let mut outcome = SuiteOutcome::default();
    let prepared = fresh_project(root, "first-import-project", addon).and_then(|project| {
        fs::write(
            project.join("project.godot"),
            "config_version=5\n\n[application]\n\nconfig/name=\"first import\"\n",
        )
        .map_err(|error| error.to_string())?;
        Ok(project)
    });
    let project = match prepared {
        Ok(project) => project,
        Err(error) => return SuiteOutcome::broken(format!("cannot prepare the project: {error}")),
    };
    let log_path = logs.join("first_import.log");
    let mut command = godot.isolated_command();
    command
        .arg("--headless")
        .arg("--path")
        .arg(&project)
        .arg("--import");
    let started = process::spawn_logged(command, &log_path);
    match started.and_then(|child| process::wait_with_timeout(child, SUITE_TIMEOUT)) {
        Ok(0) => outcome.tally.passed = 1,
        Ok(code) => {
            outcome.tally.failed = 1;
            outcome
                .problems
                .push(format!("Godot exited with code {code} on the first import"));
        }
        Err(error) => {
            outcome.tally.failed = 1;
            outcome.problems.push(error);
        }
    }
    outcome
}

/// The lossy-link scenario between two Godot processes through the harness's impairment relay (10% loss, 5%
/// duplication, 20 ms delay, 15 ms jitter that reorders), instead of the backend's own simulation.
fn relay_link(godot: &godot::Godot, project: &Path, logs: &Path) -> SuiteOutcome {
    const A: u32 = 56;
    const B: u32 = 57;
    let steam_id = |local: u32| 76_561_197_960_265_728 + u64::from(local);
    let b_address = SocketAddr::from(([127, 0, 0, 1], 47_500 + B as u16));
    let impairment = relay::Impairment {
        loss: 0.1,
        duplicate: 0.05,
        delay: Duration::from_millis(20),
        jitter: Duration::from_millis(15),
    };
    // A new seed each run: over many CI runs the suite meets many loss patterns.
    let relay = match relay::Relay::start(b_address, impairment, fastrand::u64(..)) {
        Ok(relay) => relay,
        Err(error) => {
            let mut outcome = SuiteOutcome::default();
            outcome
                .problems
                .push(format!("cannot start the relay: {error}"));
            return outcome;
        }
    };
    // Each side reaches the other only through the relay (explicit peers win over same-machine discovery).
    let args = [
        format!("--steam-peer={}@{}", steam_id(B), relay.for_a),
        format!("--steam-peer={}@{}", steam_id(A), relay.for_b),
    ];
    let script = project.join("suites").join("pair_lossy_link.gd");
    crate::suite::run_pair_named(godot, project, &script, "relay_link", logs, A, &args)
}

fn run_cargo_tests(root: &Path) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // The second run checks that the embedded class reference matches the doc comments (see
    // `src/api/class_reference.rs`); the feature it needs is never in the shipped library.
    let runs: [&[&str]; 2] = [
        &["test", "--workspace"],
        &[
            "test",
            "--lib",
            "--features",
            "class-reference-source",
            "class_reference",
        ],
    ];
    for args in runs {
        eprintln!("running cargo {}...", args.join(" "));
        let status = Command::new(&cargo)
            .current_dir(root)
            .args(args)
            .status()
            .map_err(|error| format!("cannot run cargo test: {error}"))?;
        if !status.success() {
            return Err(format!("cargo {} failed", args.join(" ")));
        }
    }
    Ok(())
}

fn find_suites(dir: &Path, filter: Option<&str>) -> Result<Vec<PathBuf>, String> {
    let entries =
        fs::read_dir(dir).map_err(|error| format!("reading {}: {error}", dir.display()))?;
    let mut suites: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or("");
            ["test_", "pair_", "group_"]
                .iter()
                .any(|prefix| name.starts_with(prefix))
                && name.ends_with(".gd")
                && filter.is_none_or(|text| name.contains(text))
        })
        .collect();
    suites.sort();
    Ok(suites)
}

#[cfg(test)]
mod local_id_tests {
    use super::*;

    #[test]
    fn suite_local_ids_stay_within_the_range_instances_find_each_other_in() {
        let mut ids = SuiteLocalIds::default();
        for round in 0..100 {
            let count = 2 + round % 3;
            let first = ids.take(count);
            assert!(
                first >= FIRST_SUITE_LOCAL_ID && first + count - 1 <= MAX_LOCAL_ID,
                "round {round}: {first}..{}",
                first + count - 1
            );
        }
    }

    #[test]
    fn consecutive_suites_get_runs_of_their_own() {
        let mut ids = SuiteLocalIds::default();
        assert_eq!(ids.take(2), 21);
        assert_eq!(ids.take(3), 23);
        assert_eq!(ids.take(2), 26);
    }
}
