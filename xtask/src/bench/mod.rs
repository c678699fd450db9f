//! `cargo xtask bench [--quick]`: benchmarks of the GDScript-facing API on the release build, each against
//! a baseline measured in the same run: the same workload written with Godot's own `ENetConnection` and
//! `ENetPacketPeer` in GDScript.
//!
//! Every benchmark is a pair of headless Godot processes on loopback running one script of the benchmark
//! project (`benches/godot/`): ours on the local backend, the baseline with plain ENet. The scripts print
//! `BENCH {json}` result lines (and `BENCH_ERROR text` on failure), which are parsed here.
//!
//! 1. `throughput.gd`: messages per second for 100 B, 1 KiB and 64 KiB payloads, reliable and unreliable.
//! 2. `cost.gd`: main-thread nanoseconds per message of the send and receive calls themselves.
//! 3. `latency.gd`: round-trip p50 and p99 of a 100 B reliable ping-pong.
//! 4. `sessions.gd`: resident memory with 1, 100 and 1,000 open sessions (connections for the baseline).
//! 5. `leak.gd`: resident memory after 1,000,000 messages against after the first 100,000.
//! 6. `multiplayer.gd`: Godot's high-level multiplayer, `SteamMessagesMultiplayerPeer` against
//!    `ENetMultiplayerPeer`: reliable RPCs per second, RPC round trip p50/p99, and 100 synchronized nodes at
//!    60 Hz (loopback bytes per second, CPU per frame of host and client, updates applied per second).
//!
//! Each figure is the median of several runs (5, or 2 with `--quick`, which also sends fewer messages) with
//! its min and max. The table is printed and written to `target/bench/results.md` and `results.json`, with the
//! machine and date; each process's log goes to `target/bench/logs/`. The Criterion benchmark runs first (in
//! full, or once without measuring with `--quick`) and its results in `target/criterion/` are added.
//! Benchmarks assert nothing about
//! timings: a run fails only when a process fails.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::{addon, godot};

mod criterion;
mod plan;
mod report;
mod results;
mod runner;

use criterion::*;
use plan::*;
use report::*;
use results::*;
use runner::*;

/// The Godot project the benchmark scripts run in.
pub const BENCH_PROJECT: &str = "benches/godot";
/// Where results and logs go.
const OUTPUT_DIR: &str = "target/bench";

/// Local IDs (Steam ID = base + ID on the local backend, UDP port 47500 + ID; the ENet baseline listens on
/// 47600 + ID), in the range kept for benchmarks so that tests and the demo running at the same time do not
/// clash: (a, b) for our pairs, the baseline's pairs and the sessions benchmark.
const OURS_IDS: (u32, u32) = (50, 51);
/// The Steam API stand-in's switch for a `SendMessageToUser` that does nothing
/// (`tests/steam-api-stand-in`'s `DISCARD_SENDS_ENV`).
const STAND_IN_DISCARD_SENDS_ENV: &str = "STEAM_STAND_IN_DISCARD_SENDS";
const ENET_IDS: (u32, u32) = (52, 53);
const SESSIONS_IDS: (u32, u32) = (54, 55);
/// Steam ID of local ID 0, and the port base the GDScript ENet baseline uses (`lib/bench.gd`).
const BASE_STEAM_ID: u64 = 76_561_197_960_265_728;
const ENET_BASE_PORT: u32 = 47_600;
/// The sessions benchmark's remote Steam IDs are BASE_STEAM_ID + this + 0, 1, ...: not local IDs, so only the
/// `GODOT_STEAM_PEERS` entries the xtask sets say where they are.
const FIRST_REMOTE_LOCAL_ID: u64 = 100_000;

/// How long "b" may take to start listening.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one process may outlive the other before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(15);
/// What godot-rust prints at start-up when the library is a debug build: the benchmarks must not measure one.
const DEBUG_BUILD_MARKER: &str = "safeguards strict";

/// Runs every benchmark, prints the table and writes `target/bench/results.{md,json}`.
pub fn run(root: &Path, quick: bool, only: Option<&str>) -> Result<(), String> {
    let started = Instant::now();
    if only.is_none() {
        run_criterion(root, quick)?;
    }
    // A staged release addon of its own: a `cargo xtask test` or `demo` started meanwhile cannot swap it.
    let addon = addon::stage(root, true)?;
    let project = root.join(BENCH_PROJECT);
    let out_dir = root.join(OUTPUT_DIR);
    addon::link_into_project(root, &project, &addon)?;
    let godot = godot::ensure_godot(root)?;
    eprintln!("using Godot {}", godot.version);

    let logs = out_dir.join("logs");
    // Old logs would mix with this run's.
    let _ = fs::remove_dir_all(&logs);
    fs::create_dir_all(&logs).map_err(|error| format!("creating {}: {error}", logs.display()))?;

    let plan = Plan::new(quick);
    // Other work on the machine skews timings: say how busy it was.
    let load_before = load_average();
    let runner = Runner {
        godot: &godot,
        project: &project,
        logs: &logs,
        timeout: plan.pair_timeout,
    };
    let mut samples = Samples::default();
    let mut problems = Vec::new();
    let mut steam_project = None;
    for run in 1..=plan.runs {
        for kind in Kind::ALL
            .into_iter()
            .filter(|kind| only.is_none_or(|only| kind.name().contains(only)))
        {
            for &side in kind.sides() {
                let mut pair = plan.pair(kind, side, run);
                if kind == Kind::SteamPathSend {
                    pair.project = Some(steam_path_project(root, &addon, &mut steam_project)?);
                }
                let pair_started = Instant::now();
                let outcome = runner.run(&pair);
                eprintln!(
                    "run {run}/{}: {:<10} {:<8} {:>5.1}s{}",
                    plan.runs,
                    kind.name(),
                    side.name(),
                    pair_started.elapsed().as_secs_f64(),
                    if outcome.problems.is_empty() {
                        String::new()
                    } else {
                        format!("  FAILED: {}", outcome.problems.join("; "))
                    }
                );
                for result in &outcome.results {
                    samples.record(side, result);
                }
                problems.extend(outcome.problems.into_iter().map(|problem| {
                    format!("run {run} {} {}: {problem}", kind.name(), side.name())
                }));
            }
        }
    }

    let report = Report {
        machine: Machine::detect(root, &godot.version, load_before),
        quick,
        runs: plan.runs,
        wall_seconds: started.elapsed().as_secs_f64(),
        rows: plan
            .metrics()
            .into_iter()
            .map(|def| samples.row(def))
            // With --only, the rows of the benchmarks that did not run are left out.
            .filter(|row| only.is_none() || row.ours.is_some() || row.baseline.is_some())
            .collect(),
        // Left out when it did not run: what target/criterion/ holds is from another run.
        criterion: if only.is_none() {
            criterion_results(&root.join("target").join("criterion"))
        } else {
            Default::default()
        },
        problems,
    };
    println!("{}", report.text());
    let markdown = out_dir.join("results.md");
    let json_path = out_dir.join("results.json");
    fs::write(&markdown, report.markdown())
        .map_err(|error| format!("writing {}: {error}", markdown.display()))?;
    let json_text = serde_json::to_string_pretty(&report.json())
        .map_err(|error| format!("encoding results: {error}"))?;
    fs::write(&json_path, json_text + "\n")
        .map_err(|error| format!("writing {}: {error}", json_path.display()))?;
    println!(
        "wrote {} and {} (logs in {}) in {:.0}s",
        markdown.display(),
        json_path.display(),
        logs.display(),
        report.wall_seconds
    );
    if report.problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} benchmark process pair(s) failed; see the logs",
            report.problems.len()
        ))
    }
}

/// `target/bench/steam-path/`, made once: the benchmark project's settings and scripts with the addon over
/// the Steam API stand-in, for [`Kind::SteamPathSend`].
fn steam_path_project(
    root: &Path,
    addon: &Path,
    made: &mut Option<PathBuf>,
) -> Result<PathBuf, String> {
    if let Some(project) = made {
        return Ok(project.clone());
    }
    let dir = root.join(OUTPUT_DIR).join("steam-path");
    let _ = fs::remove_dir_all(&dir);
    let stand_in = crate::steam_stand_in::build(root, true)?;
    let staged =
        crate::steam_path::stage_addon_over_stand_in(&dir.join("addon"), addon, &stand_in)?;
    let project = dir.join("project");
    fs::create_dir_all(&project)
        .map_err(|error| format!("creating {}: {error}", project.display()))?;
    let bench_project = root.join(BENCH_PROJECT);
    addon::copy(
        &bench_project.join("project.godot"),
        &project.join("project.godot"),
    )?;
    addon::symlink(&bench_project.join("lib"), &project.join("lib"))?;
    let script = format!("{}.gd", Kind::SteamPathSend.name());
    addon::symlink(&bench_project.join(&script), &project.join(&script))?;
    addon::link_into_project(root, &project, &staged)?;
    addon::register_extension(&project)?;
    *made = Some(project.clone());
    Ok(project)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_take_the_median_of_odd_and_even_counts() {
        let odd = Stats::of(&[5.0, 1.0, 3.0]).unwrap();
        assert_eq!((odd.median, odd.min, odd.max), (3.0, 1.0, 5.0));
        let even = Stats::of(&[4.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!(even.median, 2.5);
        assert_eq!(Stats::of(&[]), None);
        assert_eq!(Stats::of(&[f64::NAN]), None);
    }

    #[test]
    fn result_lines_are_told_apart() {
        assert_eq!(
            parse_line("BENCH {\"bench\":\"latency\",\"p50_usec\":12}"),
            Some(Line::Result(json!({"bench": "latency", "p50_usec": 12})))
        );
        assert_eq!(
            parse_line("BENCH_ERROR handshake timed out (a)"),
            Some(Line::Error("handshake timed out (a)".into()))
        );
        assert!(matches!(parse_line("BENCH {oops"), Some(Line::Error(_))));
        assert_eq!(parse_line("BENCH_READY"), None);
        assert_eq!(parse_line("Godot Engine v4.6"), None);
    }

    #[test]
    fn results_are_filed_under_their_figures() {
        let mut samples = Samples::default();
        samples.record(
            Side::Ours,
            &json!({"bench": "throughput", "impl": "steam", "size": 100, "reliable": false,
                    "messages_per_second": 1000.0, "delivered": 0.5}),
        );
        samples.record(
            Side::Ours,
            &json!({"bench": "sessions", "impl": "enet", "rss_idle_kib": 1024,
                    "rss_kib": {"1": 2048, "100": 3072, "1000": 4096}}),
        );
        let row = samples.row(MetricDef::new(
            "delivered/unreliable/100",
            "g",
            "l",
            "%",
            Better::Higher,
        ));
        assert_eq!(row.ours.unwrap().median, 50.0);
        // The line said enet, so it is the baseline's.
        let row = samples.row(MetricDef::new(
            "sessions/per-session",
            "g",
            "l",
            "KiB",
            Better::Lower,
        ));
        assert!(row.ours.is_none());
        assert!((row.baseline.unwrap().median - 2048.0 / 999.0).abs() < 1e-9);
    }

    #[test]
    fn ratios_need_both_sides() {
        let def = MetricDef::new("k", "g", "l", "u", Better::Lower);
        let row = Row {
            def: def.clone(),
            ours: Stats::of(&[3.0]),
            baseline: Stats::of(&[2.0]),
        };
        assert_eq!(row.ratio(), Some(1.5));
        let row = Row {
            def: def.clone().without_ratio(),
            ..row
        };
        assert_eq!(row.ratio(), None);
        let row = Row {
            def,
            ours: Stats::of(&[3.0]),
            baseline: None,
        };
        assert_eq!(row.ratio(), None);
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(thousands(1_234_567.0, 0), "1,234,567");
        assert_eq!(thousands(999.5, 1), "999.5");
        assert_eq!(thousands(-12_345.678, 2), "-12,345.68");
        assert_eq!(thousands(-0.001, 2), "0.00");
    }

    #[test]
    fn dates_are_gregorian() {
        assert_eq!(utc_timestamp(UNIX_EPOCH), "1970-01-01 00:00:00 UTC");
        let leap_day = UNIX_EPOCH + Duration::from_secs(951_782_400 + 3_661);
        assert_eq!(utc_timestamp(leap_day), "2000-02-29 01:01:01 UTC");
        let later = UNIX_EPOCH + Duration::from_secs(1_767_225_599);
        assert_eq!(utc_timestamp(later), "2025-12-31 23:59:59 UTC");
    }

    #[test]
    fn plans_differ_only_in_size() {
        let (quick, full) = (Plan::new(true), Plan::new(false));
        assert_eq!(quick.runs, 2);
        assert_eq!(full.runs, 5);
        assert_eq!(quick.workloads.len(), full.workloads.len());
        assert_eq!(quick.metrics().len(), full.metrics().len());
        let pair = full.pair(Kind::Sessions, Side::Ours, 1);
        assert!(pair.stop_b_after_a);
        assert!(pair.a_args.iter().any(|arg| arg == "--steam-backend=local"));
        assert!(!pair.b_args.iter().any(|arg| arg == "--steam-backend=local"));
        let peers = &pair.a_env[0].1;
        assert_eq!(peers.split(',').count(), 1_000);
        assert!(peers.starts_with("76561197960365728@127.0.0.1:47655,"));
    }
}
