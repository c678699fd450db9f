//! `cargo xtask soak --minutes N`: a long run (not in CI) of two Godot processes with steady traffic and
//! session churn, checking that resident memory stays flat and that nothing leaks at exit.

use std::path::Path;
use std::time::Duration;

use crate::suite::{self, TEST_PROJECT};
use crate::{addon, godot};

pub fn run(root: &Path, minutes: u32, release: bool) -> Result<(), String> {
    let addon = addon::stage(root, release)?;
    let project = root.join(TEST_PROJECT);
    addon::link_into_project(root, &project, &addon)?;
    let godot = godot::ensure_godot(root)?;
    let logs = root.join("target").join("godot-tests");
    std::fs::create_dir_all(&logs).map_err(|error| error.to_string())?;
    suite::set_suite_timeout(Duration::from_secs(u64::from(minutes) * 60 + 120));
    let script = project.join("soak").join("soak.gd");
    eprintln!(
        "soaking for {minutes} minute(s); resident memory every 10 s in target/godot-tests/soak.*.log"
    );
    let outcome = suite::run_pair(
        &godot,
        &project,
        &script,
        &logs,
        62,
        &[format!("--minutes={minutes}")],
    );
    println!(
        "soak: {} passed, {} failed",
        outcome.tally.passed, outcome.tally.failed
    );
    if outcome.problems.is_empty() {
        Ok(())
    } else {
        Err(outcome.problems.join("; "))
    }
}
