//! Runs the test suites: `cargo test`, then each GDScript suite in its own headless Godot process.
//!
//! A suite is `tests/godot/suites/test_*.gd`, a `SceneTree` script that prints `N passed, N failed` and quits
//! with a non-zero code on failure. Godot's exit code does not reflect script errors, so the log is read too:
//! any `SCRIPT ERROR` or leaked object fails the suite.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{addon, godot};

/// The Godot project the suites run in.
pub const TEST_PROJECT: &str = "tests/godot";
/// Longest a single suite may run before it is killed and failed.
const SUITE_TIMEOUT: Duration = Duration::from_secs(300);

/// Log lines that fail a suite whatever it printed.
const FATAL_LOG_MARKERS: &[&str] = &[
    "SCRIPT ERROR",
    "ObjectDB instances leaked",
    "Parse Error",
    "Failed to load script",
    "handle_crash",
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
    if !skip_rust {
        run_cargo_tests(root)?;
    }
    addon::build(root, release)?;
    let project = root.join(TEST_PROJECT);
    addon::link_into_project(root, &project)?;
    let godot = godot::ensure_godot(root)?;
    eprintln!("using Godot {}", godot.version);

    let suites = find_suites(&project.join("suites"), filter)?;
    if suites.is_empty() {
        return Err("no GDScript suite matched".into());
    }
    let logs = root.join("target").join("godot-tests");
    fs::create_dir_all(&logs).map_err(|error| format!("creating {}: {error}", logs.display()))?;

    let mut total = Tally::default();
    let mut failed_suites = Vec::new();
    for suite in &suites {
        let name = suite
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or("suite")
            .to_owned();
        let log_path = logs.join(format!("{name}.log"));
        let outcome = run_suite(&godot, &project, suite, &log_path);
        total.passed += outcome.tally.passed;
        total.failed += outcome.tally.failed;
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
            failed_suites.push(name);
        }
    }
    // A suite that broke without counting a failed check still fails the run.
    let failed = total.failed.max(failed_suites.len() as u64);
    println!("godot: {} passed, {failed} failed", total.passed);
    if failed_suites.is_empty() {
        Ok(())
    } else {
        Err(format!("failed suites: {}", failed_suites.join(", ")))
    }
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
            name.starts_with("test_")
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

fn run_suite(godot: &godot::Godot, project: &Path, suite: &Path, log_path: &Path) -> SuiteOutcome {
    let script = format!(
        "res://suites/{}",
        suite
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("")
    );
    let mut outcome = SuiteOutcome::default();
    let log = match fs::File::create(log_path) {
        Ok(file) => file,
        Err(error) => {
            outcome.problems.push(format!("cannot create log: {error}"));
            return outcome;
        }
    };
    let log_err = match log.try_clone() {
        Ok(file) => file,
        Err(error) => {
            outcome.problems.push(format!("cannot share log: {error}"));
            return outcome;
        }
    };
    let mut command = godot.command();
    command
        .arg("--headless")
        .arg("--path")
        .arg(project)
        .arg("-s")
        .arg(&script)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err);
    let status = match run_with_timeout(command, SUITE_TIMEOUT) {
        Ok(status) => status,
        Err(error) => {
            outcome.problems.push(error);
            None
        }
    };
    let text = fs::read_to_string(log_path).unwrap_or_default();
    check_log(&text, &mut outcome);
    match status {
        Some(0) => {}
        Some(code) => outcome
            .problems
            .push(format!("Godot exited with code {code}")),
        None => {}
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

/// Runs `command`, killing it after `timeout`. `Ok(Some(code))` when it exited, `Ok(None)` never.
fn run_with_timeout(mut command: Command, timeout: Duration) -> Result<Option<i32>, String> {
    let mut child = command
        .spawn()
        .map_err(|error| format!("cannot start Godot: {error}"))?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(Some(status.code().unwrap_or(-1))),
            Ok(None) if started.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "timed out after {}s and was killed",
                    timeout.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(error) => return Err(format!("waiting for Godot: {error}")),
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
