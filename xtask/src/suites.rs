//! Runs the test suites: `cargo test`, then each GDScript suite in its own headless Godot process.
//!
//! A suite is `tests/godot/suites/test_*.gd`, a `SceneTree` script that prints `N passed, N failed` and quits
//! with a non-zero code on failure. Godot's exit code does not reflect script errors, so the log is read too:
//! any `SCRIPT ERROR` or leaked object fails the suite.
//!
//! `pair_*.gd` suites run as two Godot processes at once on the local backend, with the user arguments
//! `--role=a|b --steam-local-id=N --peer-local-id=M`; both must pass. A suite's first lines may add user
//! arguments with a `## args: ...` line.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use udp_relay as relay;

use crate::{addon, demo, editor_settings, godot, netns, quick_start};

/// The Godot project the suites run in.
pub const TEST_PROJECT: &str = "tests/godot";
/// Longest a single suite may run before it is killed and failed (the soak run sets its own).
const SUITE_TIMEOUT: Duration = Duration::from_secs(300);

thread_local! {
    /// The suite timeout in force; the soak run raises it for its own duration.
    static TIMEOUT: std::cell::Cell<Duration> = const { std::cell::Cell::new(SUITE_TIMEOUT) };
}

/// Sets the timeout for suites started from now on.
pub fn set_suite_timeout(timeout: Duration) {
    TIMEOUT.with(|cell| cell.set(timeout));
}

/// Log lines that fail a suite (or a benchmark run, or the headless demo) whatever else it printed.
pub const FATAL_LOG_MARKERS: &[&str] = &[
    "SCRIPT ERROR",
    "ObjectDB instances leaked",
    "Parse Error",
    "Failed to load script",
    "handle_crash",
    // A Rust panic in the extension, which gdext turns into an error and a default return value.
    "panicked",
];

/// Totals over every suite.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub passed: u64,
    pub failed: u64,
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
    if selected(filter, "readme_quick_start") {
        let outcome = quick_start::run(root, &godot, &addon, &logs);
        run.record(
            "readme_quick_start",
            outcome,
            logs.join("readme_quick_start.*.log"),
        );
    }
    // Local IDs for pair suites, clear of the ones the demo and users pick first.
    let mut next_local_id = 20;
    for suite in &suites {
        let name = suite
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or("suite")
            .to_owned();
        let extra_args = declared_args(suite);
        let outcome = if name.starts_with("pair_") {
            next_local_id += 2;
            run_pair(&godot, &project, suite, &logs, next_local_id, &extra_args)
        } else {
            let log_path = logs.join(format!("{name}.log"));
            let child = start_suite(&godot, &project, suite, &log_path, &extra_args);
            finish_suite(child, &log_path, suite)
        };
        run.record(&name, outcome, logs.join(format!("{name}*.log")));
    }
    if selected(filter, "demo_headless") {
        // The README's run command on a machine without a display: two clients, a checked transcript, kept in
        // a log rather than in the summary.
        let log_path = logs.join("demo_headless.log");
        let result = fs::File::create(&log_path)
            .map_err(|error| format!("creating {}: {error}", log_path.display()))
            .and_then(|mut log| demo::play(&godot, root, &addon, true, &mut log));
        let outcome = SuiteOutcome {
            tally: Tally {
                passed: u64::from(result.is_ok()),
                failed: u64::from(result.is_err()),
            },
            problems: result.err().into_iter().collect(),
        };
        run.record("demo_headless", outcome, log_path);
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
    let started = fs::File::create(&log_path)
        .and_then(|log| Ok((log.try_clone()?, log)))
        .map_err(|error| error.to_string())
        .and_then(|(stdout, stderr)| {
            godot
                .isolated_command()
                .arg("--headless")
                .arg("--path")
                .arg(&project)
                .arg("--import")
                .stdin(Stdio::null())
                .stdout(stdout)
                .stderr(stderr)
                .spawn()
                .map_err(|error| error.to_string())
        });
    match started.and_then(|child| wait_with_timeout(child, SUITE_TIMEOUT)) {
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
    run_pair_named(godot, project, &script, "relay_link", logs, A, &args)
}

fn run_cargo_tests(root: &Path) -> Result<(), String> {
    eprintln!("running cargo test...");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root)
        .args(["test", "--workspace"])
        .status()
        .map_err(|error| format!("cannot run cargo test: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err("cargo test failed".into())
    }
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
            (name.starts_with("test_") || name.starts_with("pair_"))
                && name.ends_with(".gd")
                && filter.is_none_or(|text| name.contains(text))
        })
        .collect();
    suites.sort();
    Ok(suites)
}

/// What one suite run showed.
#[derive(Debug, Default)]
pub struct SuiteOutcome {
    pub tally: Tally,
    pub problems: Vec<String>,
}

impl SuiteOutcome {
    /// A suite that could not run at all.
    pub fn broken(problem: String) -> Self {
        Self {
            tally: Tally {
                passed: 0,
                failed: 1,
            },
            problems: vec![problem],
        }
    }

    /// Adds the outcome of one part of the suite (a role, a run), its problems labelled with `part`.
    pub fn absorb(&mut self, part: &str, other: SuiteOutcome) {
        self.tally.passed += other.tally.passed;
        self.tally.failed += other.tally.failed;
        self.problems.extend(
            other
                .problems
                .into_iter()
                .map(|problem| format!("[{part}] {problem}")),
        );
    }
}

/// An empty project folder `target/<name>/` whose `addons/godot_steam_messages` links to `addon`.
pub fn fresh_project(root: &Path, name: &str, addon: &Path) -> Result<PathBuf, String> {
    let project = root.join("target").join(name);
    let _ = fs::remove_dir_all(&project);
    fs::create_dir_all(&project)
        .map_err(|error| format!("creating {}: {error}", project.display()))?;
    addon::link_into_project(root, &project, addon)?;
    Ok(project)
}

/// A `## key: value` line among a suite's first lines.
fn header(suite: &Path, key: &str) -> Option<String> {
    let text = fs::read_to_string(suite).ok()?;
    let prefix = format!("## {key}:");
    text.lines().take(10).find_map(|line| {
        line.trim()
            .strip_prefix(&prefix)
            .map(|value| value.trim().to_owned())
    })
}

/// User arguments a suite asks for in a `## args:` line.
fn declared_args(suite: &Path) -> Vec<String> {
    header(suite, "args")
        .map(|args| args.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// A Godot process running one suite, or why it could not start.
type Started = Result<std::process::Child, String>;

pub fn start_suite(
    godot: &godot::Godot,
    project: &Path,
    suite: &Path,
    log_path: &Path,
    user_args: &[String],
) -> Started {
    // The script's path inside the project, as Godot names it.
    let relative = suite.strip_prefix(project).unwrap_or(suite);
    let script = format!("res://{}", relative.to_string_lossy().replace('\\', "/"));
    let log = fs::File::create(log_path).map_err(|error| format!("cannot create log: {error}"))?;
    let log_err = log
        .try_clone()
        .map_err(|error| format!("cannot share log: {error}"))?;
    let mut command = godot.isolated_command();
    command
        .arg("--headless")
        .arg("--path")
        .arg(project)
        .arg("-s")
        .arg(&script);
    if !user_args.is_empty() {
        command.arg("--").args(user_args);
    }
    command
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .spawn()
        .map_err(|error| format!("cannot start Godot: {error}"))
}

/// Waits for a suite's process and reads its log. A suite may declare `## expect-script-errors: N`
/// (deliberate wrong-type calls, which Godot reports as script errors): exactly N are then allowed.
pub fn finish_suite(child: Started, log_path: &Path, suite: &Path) -> SuiteOutcome {
    let mut outcome = SuiteOutcome::default();
    let status =
        child.and_then(|child| wait_with_timeout(child, TIMEOUT.with(std::cell::Cell::get)));
    let text = fs::read_to_string(log_path).unwrap_or_default();
    check_log(&text, &mut outcome);
    if let Some(expected) =
        header(suite, "expect-script-errors").and_then(|n| n.parse::<usize>().ok())
    {
        let found = text
            .lines()
            .filter(|line| line.contains("SCRIPT ERROR"))
            .count();
        outcome
            .problems
            .retain(|problem| !problem.starts_with("log has 'SCRIPT ERROR'"));
        if found != expected {
            outcome.problems.push(format!(
                "expected {expected} script errors from deliberate bad calls, found {found}"
            ));
        }
    }
    match status {
        Ok(0) => {}
        Ok(code) => outcome
            .problems
            .push(format!("Godot exited with code {code}")),
        Err(error) => outcome.problems.push(error),
    }
    outcome
}

/// Runs a pair suite: both roles at once, each with its own log.
pub fn run_pair(
    godot: &godot::Godot,
    project: &Path,
    suite: &Path,
    logs: &Path,
    first_id: u32,
    extra_args: &[String],
) -> SuiteOutcome {
    let name = suite
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or("pair");
    run_pair_named(godot, project, suite, name, logs, first_id, extra_args)
}

/// [`run_pair`] with logs named `name.a.log` and `name.b.log`.
fn run_pair_named(
    godot: &godot::Godot,
    project: &Path,
    suite: &Path,
    name: &str,
    logs: &Path,
    first_id: u32,
    extra_args: &[String],
) -> SuiteOutcome {
    let roles = [("a", first_id, first_id + 1), ("b", first_id + 1, first_id)];
    let started: Vec<(String, PathBuf, Started)> = roles
        .iter()
        .map(|&(role, id, peer)| {
            let log_path = logs.join(format!("{name}.{role}.log"));
            let mut args = vec![
                "--steam-backend=local".to_owned(),
                format!("--role={role}"),
                format!("--steam-local-id={id}"),
                format!("--peer-local-id={peer}"),
            ];
            args.extend_from_slice(extra_args);
            let child = start_suite(godot, project, suite, &log_path, &args);
            (role.to_owned(), log_path, child)
        })
        .collect();
    // `## allow-exit: b` lets a role end by killing itself (its summary must still be printed).
    let allowed_exit = header(suite, "allow-exit").unwrap_or_default();
    let mut outcome = SuiteOutcome::default();
    for (role, log_path, child) in started {
        let mut part = finish_suite(child, &log_path, suite);
        if allowed_exit
            .split_whitespace()
            .any(|allowed| allowed == role)
        {
            part.problems
                .retain(|problem| !problem.starts_with("Godot exited with code"));
        }
        outcome.absorb(&role, part);
    }
    outcome
}

/// Reads a suite's log: the last `N passed, N failed` line and any fatal marker.
pub fn check_log(text: &str, outcome: &mut SuiteOutcome) {
    let mut summary = None;
    for line in text.lines() {
        if let Some(tally) = parse_summary(line) {
            summary = Some(tally);
        }
        if let Some(marker) = FATAL_LOG_MARKERS
            .iter()
            .find(|marker| line.contains(*marker))
        {
            outcome
                .problems
                .push(format!("log has '{marker}': {}", line.trim()));
        }
        if line.trim_start().starts_with("FAIL ") {
            outcome.problems.push(line.trim().to_owned());
        }
    }
    match summary {
        Some(tally) => outcome.tally = tally,
        None => outcome
            .problems
            .push("no 'N passed, N failed' line: the suite did not finish".into()),
    }
}

/// Parses `N passed, N failed` (optionally `, N skipped`), alone on a line.
pub fn parse_summary(line: &str) -> Option<Tally> {
    let mut parts = line.trim().split(", ");
    let passed = parts.next()?.strip_suffix(" passed")?.parse().ok()?;
    let failed = parts.next()?.strip_suffix(" failed")?.parse().ok()?;
    Some(Tally { passed, failed })
}

/// Waits for `child`, killing it after `timeout`; its exit code.
pub fn wait_with_timeout(mut child: std::process::Child, timeout: Duration) -> Result<i32, String> {
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status.code().unwrap_or(-1)),
            Ok(None) if started.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "timed out after {}s and was killed",
                    timeout.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(error) => return Err(format!("waiting for the process: {error}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_line_is_parsed() {
        assert_eq!(
            parse_summary("12 passed, 3 failed"),
            Some(Tally {
                passed: 12,
                failed: 3
            })
        );
        assert_eq!(
            parse_summary("  4 passed, 0 failed, 1 skipped"),
            Some(Tally {
                passed: 4,
                failed: 0
            })
        );
        assert_eq!(parse_summary("passed, failed"), None);
        assert_eq!(parse_summary("ERROR: 1 passed"), None);
    }

    #[test]
    fn script_error_in_log_fails_the_suite_even_when_checks_passed() {
        let mut outcome = SuiteOutcome::default();
        check_log("SCRIPT ERROR: boom\n3 passed, 0 failed\n", &mut outcome);
        assert_eq!(
            outcome.tally,
            Tally {
                passed: 3,
                failed: 0
            }
        );
        assert_eq!(outcome.problems.len(), 1);
    }

    #[test]
    fn missing_summary_fails_the_suite() {
        let mut outcome = SuiteOutcome::default();
        check_log("Godot Engine v4.6\n", &mut outcome);
        assert!(!outcome.problems.is_empty());
    }

    #[test]
    fn clean_log_has_no_problems() {
        let mut outcome = SuiteOutcome::default();
        check_log("PASS a\nPASS b\n2 passed, 0 failed\n", &mut outcome);
        assert!(outcome.problems.is_empty());
    }
}
