//! One GDScript suite in a headless Godot process: starting it, waiting for it, and reading its log.
//!
//! A suite is a `SceneTree` script that prints `N passed, N failed` and quits with a non-zero code on
//! failure. Godot's exit code does not reflect script errors, so the log is read too: any `SCRIPT ERROR` or
//! leaked object fails the suite. A suite's first lines may add user arguments with a `## args: ...` line.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Duration;

use crate::{addon, godot, process};

/// The Godot project the suites run in.
pub const TEST_PROJECT: &str = "tests/godot";
/// Longest a single suite may run before it is killed and failed (the soak run sets its own).
pub const SUITE_TIMEOUT: Duration = Duration::from_secs(300);

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
    // A Rust panic in the extension, which gdext turns into an error and a default return value: Rust's
    // own wording, and gdext 0.5's ("ERROR: [panic src/file.rs:142]", which says no "panicked").
    "panicked",
    "[panic ",
    // The Steam API stand-in of the Steam-path suites, on a broken Steam rule (it then aborts).
    "steam_api stand-in:",
];

/// Totals over every suite.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub passed: u64,
    pub failed: u64,
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

    /// One check that passed (`Ok`) or failed with its problem (`Err`).
    pub fn from_result(result: Result<(), String>) -> Self {
        Self {
            tally: Tally {
                passed: u64::from(result.is_ok()),
                failed: u64::from(result.is_err()),
            },
            problems: result.err().into_iter().collect(),
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
pub fn declared_args(suite: &Path) -> Vec<String> {
    header(suite, "args")
        .map(|args| args.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// A Godot process running one suite, or why it could not start.
type Started = Result<Child, String>;

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
    process::spawn_logged(command, log_path)
}

/// With the suite header `## <header>: N`, a log line containing `marker` is no longer a problem by itself:
/// exactly N such lines must be in the log instead.
fn allow_expected_markers(
    text: &str,
    suite: &Path,
    header_name: &str,
    marker: &str,
    what: &str,
    outcome: &mut SuiteOutcome,
) {
    let Some(expected) = header(suite, header_name).and_then(|n| n.parse::<usize>().ok()) else {
        return;
    };
    let found = text.lines().filter(|line| line.contains(marker)).count();
    let problem = format!("log has '{marker}'");
    outcome
        .problems
        .retain(|reported| !reported.starts_with(&problem));
    if found != expected {
        outcome
            .problems
            .push(format!("expected {expected} {what}, found {found}"));
    }
}

/// Waits for a suite's process and reads its log. A suite may declare `## expect-script-errors: N`
/// (deliberate wrong-type calls, which Godot reports as script errors): exactly N are then allowed.
pub fn finish_suite(child: Started, log_path: &Path, suite: &Path) -> SuiteOutcome {
    let mut outcome = SuiteOutcome::default();
    let status = child
        .and_then(|child| process::wait_with_timeout(child, TIMEOUT.with(std::cell::Cell::get)));
    let text = fs::read_to_string(log_path).unwrap_or_default();
    check_log(&text, &mut outcome);
    // Deliberate wrong-type calls, which Godot reports as script errors.
    allow_expected_markers(
        &text,
        suite,
        "expect-script-errors",
        "SCRIPT ERROR",
        "script errors from deliberate bad calls",
        &mut outcome,
    );
    // `## expect-panics: N`: exactly N of gdext's refusals (each an "[panic ...]" error), from calls a
    // suite makes on purpose that godot-rust itself refuses (from another thread, say); any other is a bug.
    allow_expected_markers(
        &text,
        suite,
        "expect-panics",
        "[panic ",
        "refusals by godot-rust from deliberate bad calls",
        &mut outcome,
    );
    match status {
        Ok(0) => {}
        Ok(code) => outcome
            .problems
            .push(format!("Godot exited with code {code}")),
        Err(error) => outcome.problems.push(error),
    }
    outcome
}

/// How many processes a multi-process suite runs: `## processes: N` (2 to 26), else 2.
pub fn processes(suite: &Path) -> u32 {
    header(suite, "processes")
        .and_then(|count| count.parse::<u32>().ok())
        .filter(|count| (2..=26).contains(count))
        .unwrap_or(2)
}

/// Runs a pair suite (or a group: see [`processes`]): every role at once, each with its own log.
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

/// [`run_pair`] with logs named `name.a.log`, `name.b.log`, … Role `a` runs as local ID `first_id`, `b` as
/// the next, and so on; each gets `--role=`, `--steam-local-id=`, `--peer-local-id=` (`b`'s for `a`, `a`'s for
/// the others) and `--host-local-id=` (`a`'s).
pub fn run_pair_named(
    godot: &godot::Godot,
    project: &Path,
    suite: &Path,
    name: &str,
    logs: &Path,
    first_id: u32,
    extra_args: &[String],
) -> SuiteOutcome {
    let roles: Vec<(String, u32, u32)> = (0..processes(suite))
        .map(|index| {
            let role = char::from(b'a' + index as u8).to_string();
            let peer = if index == 0 { first_id + 1 } else { first_id };
            (role, first_id + index, peer)
        })
        .collect();
    let started: Vec<(String, PathBuf, Started)> = roles
        .iter()
        .map(|(role, id, peer)| {
            let (role, id, peer) = (role.as_str(), *id, *peer);
            let log_path = logs.join(format!("{name}.{role}.log"));
            // The local backend unless the suite's runner picks another.
            let chosen = extra_args
                .iter()
                .any(|arg| arg.starts_with("--steam-backend="));
            let mut args = vec![
                if chosen {
                    String::new()
                } else {
                    "--steam-backend=local".to_owned()
                },
                format!("--role={role}"),
                format!("--steam-local-id={id}"),
                format!("--peer-local-id={peer}"),
                format!("--host-local-id={first_id}"),
            ];
            args.retain(|arg| !arg.is_empty());
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
    fn a_godot_rust_panic_in_log_fails_the_suite_even_when_checks_passed() {
        let mut outcome = SuiteOutcome::default();
        let log = "ERROR: [panic /x/godot-core-0.5.5/src/signal/typed_signal.rs:142]\n  signals() allows only one signal configuration at a time\n1 passed, 0 failed\n";
        check_log(log, &mut outcome);
        assert_eq!(outcome.problems.len(), 1, "{:?}", outcome.problems);
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
