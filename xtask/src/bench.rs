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

/// The Godot project the benchmark scripts run in.
pub const BENCH_PROJECT: &str = "benches/godot";
/// Where results and logs go.
const OUTPUT_DIR: &str = "target/bench";

/// Local IDs (Steam ID = base + ID on the local backend, UDP port 47500 + ID; the ENet baseline listens on
/// 47600 + ID), in the range kept for benchmarks so that tests and the demo running at the same time do not
/// clash: (a, b) for our pairs, the baseline's pairs and the sessions benchmark.
const OURS_IDS: (u32, u32) = (50, 51);
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
pub fn run(root: &Path, quick: bool) -> Result<(), String> {
    let started = Instant::now();
    run_criterion(root, quick)?;
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
    for run in 1..=plan.runs {
        for kind in Kind::ALL {
            for side in [Side::Ours, Side::Baseline] {
                let pair = plan.pair(kind, side, run);
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
            .collect(),
        criterion: criterion_results(&root.join("target").join("criterion")),
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

// ---------------------------------------------------------------------------------------------------------
// What to run
// ---------------------------------------------------------------------------------------------------------

/// The API under test, or the baseline it is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// GodotSteam's API (`Steam.*`) on the local backend.
    Ours,
    /// Godot's `ENetConnection` / `ENetPacketPeer`.
    Baseline,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Ours => "ours",
            Side::Baseline => "enet",
        }
    }

    /// The `--impl` value the scripts take.
    fn script_impl(self) -> &'static str {
        match self {
            Side::Ours => "steam",
            Side::Baseline => "enet",
        }
    }

    fn from_script_impl(text: &str) -> Option<Side> {
        match text {
            "steam" => Some(Side::Ours),
            "enet" => Some(Side::Baseline),
            _ => None,
        }
    }
}

/// One benchmark script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Throughput,
    Cost,
    Latency,
    Sessions,
    Leak,
}

impl Kind {
    const ALL: [Kind; 5] = [
        Kind::Throughput,
        Kind::Cost,
        Kind::Latency,
        Kind::Sessions,
        Kind::Leak,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::Throughput => "throughput",
            Kind::Cost => "cost",
            Kind::Latency => "latency",
            Kind::Sessions => "sessions",
            Kind::Leak => "leak",
        }
    }
}

/// One throughput workload.
#[derive(Debug, Clone, Copy)]
struct Workload {
    size: u32,
    reliable: bool,
    count: u32,
}

/// Longest the Criterion benchmark may take (a full run takes about a minute; a hang must not stall CI).
const CRITERION_TIMEOUT: Duration = Duration::from_secs(600);

/// Runs the Criterion benchmark (`benches/local_transport.rs`): measured in full, or with `quick` once per
/// benchmark without measuring (Criterion's `--test`), so a benchmark that no longer finishes fails CI.
fn run_criterion(root: &Path, quick: bool) -> Result<(), String> {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .current_dir(root)
        .args(["bench", "--bench", "local_transport", "--"]);
    if quick {
        command.arg("--test");
    }
    eprintln!(
        "criterion: cargo bench --bench local_transport{}",
        if quick { " -- --test" } else { "" }
    );
    let child = command
        .spawn()
        .map_err(|error| format!("starting cargo bench: {error}"))?;
    match crate::process::wait_with_timeout(child, CRITERION_TIMEOUT) {
        Ok(0) => Ok(()),
        Ok(code) => Err(format!(
            "cargo bench --bench local_transport exited with {code}"
        )),
        Err(error) => Err(format!("cargo bench --bench local_transport: {error}")),
    }
}

/// Run counts and message counts, full or quick.
#[derive(Debug, Clone)]
struct Plan {
    runs: usize,
    workloads: Vec<Workload>,
    cost_messages: u32,
    pings: u32,
    sessions: Vec<u32>,
    leak_first: u32,
    leak_count: u32,
    /// Longest one process pair may run.
    pair_timeout: Duration,
}

impl Plan {
    fn new(quick: bool) -> Self {
        // Messages per payload size: (100 B, 1 KiB, 64 KiB).
        let (runs, counts, cost_messages, pings, leak_first, leak_count, timeout) = if quick {
            (2, [20_000, 5_000, 100], 15_000, 500, 10_000, 100_000, 60)
        } else {
            (
                5,
                [100_000, 50_000, 1_000],
                60_000,
                3_000,
                100_000,
                1_000_000,
                300,
            )
        };
        let sizes = [100, 1024, 65_536];
        let workloads = [true, false]
            .into_iter()
            .flat_map(|reliable| {
                sizes
                    .into_iter()
                    .zip(counts)
                    .map(move |(size, count)| Workload {
                        size,
                        reliable,
                        count,
                    })
            })
            .collect();
        Self {
            runs,
            workloads,
            cost_messages,
            pings,
            sessions: vec![1, 100, 1_000],
            leak_first,
            leak_count,
            pair_timeout: Duration::from_secs(timeout),
        }
    }

    /// The process pair that runs `kind` for `side` in run number `run`.
    fn pair(&self, kind: Kind, side: Side, run: usize) -> Pair {
        let (a_id, b_id) = match (kind, side) {
            (Kind::Sessions, _) => SESSIONS_IDS,
            (_, Side::Ours) => OURS_IDS,
            (_, Side::Baseline) => ENET_IDS,
        };
        // The scripts give up a little before the xtask would kill them, so they can say why.
        let script_timeout = self.pair_timeout.as_secs().saturating_sub(10).max(10);
        let role_args = |role: &str, id: u32, peer: u32| {
            let mut args = vec![
                format!("--impl={}", side.script_impl()),
                format!("--role={role}"),
                format!("--local-id={id}"),
                format!("--peer-local-id={peer}"),
                format!("--timeout-s={script_timeout}"),
            ];
            // The sessions benchmark's b stands in for the peers with plain ENet, whatever is measured.
            if side == Side::Ours && !(kind == Kind::Sessions && role == "b") {
                args.push("--steam-backend=local".into());
                args.push(format!("--steam-local-id={id}"));
            }
            args
        };
        let mut a_args = role_args("a", a_id, b_id);
        let mut b_args = role_args("b", b_id, a_id);
        let mut a_env = Vec::new();
        let extra: Vec<String> = match kind {
            Kind::Throughput => vec![format!(
                "--workloads={}",
                self.workloads
                    .iter()
                    .map(|w| format!(
                        "{}:{}:{}",
                        w.size,
                        if w.reliable { "reliable" } else { "unreliable" },
                        w.count
                    ))
                    .collect::<Vec<_>>()
                    .join(",")
            )],
            Kind::Cost => vec![format!("--count={}", self.cost_messages)],
            Kind::Latency => vec![format!("--count={}", self.pings)],
            Kind::Sessions => {
                let most = self.sessions.iter().copied().max().unwrap_or(0);
                if side == Side::Ours {
                    a_env.push(("GODOT_STEAM_PEERS".to_owned(), session_peers(most, b_id)));
                    // The stand-in is Godot's ENetConnection, which has no ENet checksum.
                    a_env.push(("GODOT_STEAM_PLAIN_ENET".to_owned(), "1".to_owned()));
                    // Past the default of 128, plus the session with b itself.
                    a_env.push((
                        "GODOT_STEAM_MAX_SESSIONS".to_owned(),
                        (most + 1).to_string(),
                    ));
                }
                vec![
                    format!(
                        "--sessions={}",
                        self.sessions
                            .iter()
                            .map(u32::to_string)
                            .collect::<Vec<_>>()
                            .join(",")
                    ),
                    format!("--first-remote={FIRST_REMOTE_LOCAL_ID}"),
                ]
            }
            Kind::Leak => vec![
                format!("--count={}", self.leak_count),
                format!("--first={}", self.leak_first),
            ],
        };
        a_args.extend(extra.iter().cloned());
        b_args.extend(extra);
        Pair {
            name: format!("{}-{}-run{run}", kind.name(), side.name()),
            script: format!("{}.gd", kind.name()),
            a_args,
            b_args,
            a_env,
            // The sessions benchmark's stand-in serves until stopped.
            stop_b_after_a: kind == Kind::Sessions,
        }
    }

    /// The table's rows, in order.
    fn metrics(&self) -> Vec<MetricDef> {
        let mut defs = Vec::new();
        let group =
            "Throughput, two processes on loopback (msg/s from first to last message received)";
        for w in &self.workloads {
            let mode = if w.reliable { "reliable" } else { "unreliable" };
            defs.push(MetricDef::new(
                format!("throughput/{mode}/{}", w.size),
                group,
                format!("{mode} {}", size_label(w.size)),
                "msg/s",
                Better::Higher,
            ));
        }
        for w in self.workloads.iter().filter(|w| !w.reliable) {
            defs.push(MetricDef::new(
                format!("delivered/unreliable/{}", w.size),
                group,
                format!("unreliable {}: share delivered", size_label(w.size)),
                "%",
                Better::Higher,
            ));
        }
        let group = "Main-thread cost per message in GDScript (100 B, reliable)";
        for (key, label) in [
            (
                "cost/send",
                "send: sendMessageToUser vs ENetPacketPeer.send",
            ),
            (
                "cost/receive-batch",
                "receive, 1000 per call: receiveMessagesOnChannel vs get_packet",
            ),
            (
                "cost/receive-read",
                "receive, 1000 per call, reading payload and channel",
            ),
            ("cost/receive-single", "receive, 1 per call"),
        ] {
            defs.push(MetricDef::new(key, group, label, "ns", Better::Lower));
        }
        defs.push(
            MetricDef::new(
                "cost/dictionary-floor",
                group,
                "Godot alone: copy and free one 10-key message dictionary (Dictionary.duplicate)",
                "ns",
                Better::Lower,
            )
            .without_ratio(),
        );
        defs.push(
            MetricDef::new(
                "cost/enet-service",
                group,
                "ENetConnection.service() per packet received (baseline only)",
                "ns",
                Better::Lower,
            )
            .without_ratio(),
        );
        let group = "Round trip, 100 B reliable ping-pong, both ends polling every frame";
        defs.push(MetricDef::new(
            "latency/p50",
            group,
            "p50",
            "µs",
            Better::Lower,
        ));
        defs.push(MetricDef::new(
            "latency/p99",
            group,
            "p99",
            "µs",
            Better::Lower,
        ));
        let group = "Memory: resident set (VmRSS) of the process holding the sessions (baseline: connections)";
        defs.push(MetricDef::new(
            "sessions/start",
            group,
            "before starting the backend (baseline: the ENet host)",
            "MiB",
            Better::Lower,
        ));
        defs.push(MetricDef::new(
            "sessions/idle",
            group,
            "started, no session yet",
            "MiB",
            Better::Lower,
        ));
        for &count in &self.sessions {
            defs.push(MetricDef::new(
                format!("sessions/{count}"),
                group,
                format!(
                    "{} open session{}",
                    thousands(f64::from(count), 0),
                    plural(count)
                ),
                "MiB",
                Better::Lower,
            ));
        }
        if let (Some(&fewest), Some(&most)) = (self.sessions.first(), self.sessions.last()) {
            defs.push(MetricDef::new(
                "sessions/per-session",
                group,
                format!(
                    "per session, {} to {}",
                    thousands(f64::from(fewest), 0),
                    thousands(f64::from(most), 0)
                ),
                "KiB",
                Better::Lower,
            ));
        }
        let group = "Memory over a long stream of 100 B reliable messages (flat means no leak)";
        let first = thousands(f64::from(self.leak_first), 0);
        let last = thousands(f64::from(self.leak_count), 0);
        for side in ["receiver", "sender"] {
            defs.push(MetricDef::new(
                format!("leak/{side}/first"),
                group,
                format!("{side}, after {first} messages"),
                "MiB",
                Better::Lower,
            ));
            defs.push(MetricDef::new(
                format!("leak/{side}/last"),
                group,
                format!("{side}, after {last} messages"),
                "MiB",
                Better::Lower,
            ));
            defs.push(
                MetricDef::new(
                    format!("leak/{side}/growth"),
                    group,
                    format!("{side}, growth from {first} to {last}"),
                    "MiB",
                    Better::Lower,
                )
                .without_ratio(),
            );
        }
        defs
    }
}

/// `GODOT_STEAM_PEERS` for the sessions benchmark: `count` Steam IDs, all at the stand-in's address.
fn session_peers(count: u32, stand_in_id: u32) -> String {
    let port = ENET_BASE_PORT + stand_in_id;
    (0..u64::from(count))
        .map(|index| {
            format!(
                "{}@127.0.0.1:{port}",
                BASE_STEAM_ID + FIRST_REMOTE_LOCAL_ID + index
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn size_label(size: u32) -> String {
    if size >= 1024 && size.is_multiple_of(1024) {
        format!("{} KiB", size / 1024)
    } else {
        format!("{size} B")
    }
}

fn plural(count: u32) -> &'static str {
    if count == 1 { "" } else { "s" }
}

// ---------------------------------------------------------------------------------------------------------
// Running a process pair
// ---------------------------------------------------------------------------------------------------------

/// Two Godot processes running one script: "b" starts first and says `BENCH_READY`, then "a".
#[derive(Debug, Clone)]
struct Pair {
    name: String,
    script: String,
    a_args: Vec<String>,
    b_args: Vec<String>,
    a_env: Vec<(String, String)>,
    /// "b" serves until "a" is done, then is killed.
    stop_b_after_a: bool,
}

/// What a pair printed, and what went wrong.
#[derive(Debug, Default)]
struct PairOutcome {
    results: Vec<Value>,
    problems: Vec<String>,
}

struct Runner<'a> {
    godot: &'a godot::Godot,
    project: &'a Path,
    logs: &'a Path,
    timeout: Duration,
}

/// A started Godot process and the lines of its standard output.
struct Process {
    role: &'static str,
    child: Child,
    lines: mpsc::Receiver<String>,
    log: PathBuf,
    seen: Vec<String>,
    exited: Option<(Instant, i32)>,
    killed: bool,
}

impl Process {
    /// Collects the lines printed so far.
    fn collect(&mut self) {
        self.seen.extend(self.lines.try_iter());
    }

    /// Notes the exit if it happened.
    fn poll(&mut self) {
        if self.exited.is_none()
            && let Ok(Some(status)) = self.child.try_wait()
        {
            self.exited = Some((Instant::now(), status.code().unwrap_or(-1)));
        }
    }

    fn kill(&mut self) {
        if self.exited.is_none() {
            let _ = self.child.kill();
            let code = self
                .child
                .wait()
                .map_or(-1, |status| status.code().unwrap_or(-1));
            self.exited = Some((Instant::now(), code));
            self.killed = true;
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Runner<'_> {
    fn run(&self, pair: &Pair) -> PairOutcome {
        let mut outcome = PairOutcome::default();
        let mut b = match self.start(pair, "b", &pair.b_args, &[]) {
            Ok(process) => process,
            Err(error) => {
                outcome.problems.push(error);
                return outcome;
            }
        };
        let ready_by = Instant::now() + READY_TIMEOUT;
        while !b.seen.iter().any(|line| line.trim() == "BENCH_READY") {
            b.collect();
            b.poll();
            if b.exited.is_some() || Instant::now() > ready_by {
                b.kill();
                b.collect();
                outcome.problems.push("b never became ready".into());
                self.finish(&mut [b], &mut outcome);
                return outcome;
            }
            thread::sleep(Duration::from_millis(5));
        }
        let a = match self.start(pair, "a", &pair.a_args, &pair.a_env) {
            Ok(process) => process,
            Err(error) => {
                outcome.problems.push(error);
                b.kill();
                self.finish(&mut [b], &mut outcome);
                return outcome;
            }
        };
        let mut processes = [a, b];
        let deadline = Instant::now() + self.timeout;
        loop {
            for process in &mut processes {
                process.collect();
                process.poll();
            }
            let [a, b] = &mut processes;
            match (a.exited, b.exited) {
                (Some(_), Some(_)) => break,
                _ if Instant::now() > deadline => {
                    outcome.problems.push(format!(
                        "timed out after {}s; killed",
                        self.timeout.as_secs()
                    ));
                    a.kill();
                    b.kill();
                }
                (Some(_), None) if pair.stop_b_after_a => b.kill(),
                (Some((at, _)), None) | (None, Some((at, _))) if at.elapsed() > EXIT_GRACE => {
                    outcome
                        .problems
                        .push("one process did not finish after the other exited; killed".into());
                    a.kill();
                    b.kill();
                }
                _ => thread::sleep(Duration::from_millis(10)),
            }
        }
        // The stand-in is stopped on purpose: its exit code says nothing.
        if pair.stop_b_after_a {
            processes[1].killed = false;
            processes[1].exited = Some((Instant::now(), 0));
        }
        self.finish(&mut processes, &mut outcome);
        outcome
    }

    fn start(
        &self,
        pair: &Pair,
        role: &'static str,
        user_args: &[String],
        env: &[(String, String)],
    ) -> Result<Process, String> {
        let log_path = self.logs.join(format!("{}.{role}.log", pair.name));
        let mut log = fs::File::create(&log_path)
            .map_err(|error| format!("creating {}: {error}", log_path.display()))?;
        let stderr = log
            .try_clone()
            .map_err(|error| format!("sharing {}: {error}", log_path.display()))?;
        let mut command = self.godot.isolated_command();
        command
            .arg("--headless")
            .arg("--path")
            .arg(self.project)
            .arg("-s")
            .arg(format!("res://{}", pair.script))
            .arg("--")
            .args(user_args);
        let mut child = command
            .envs(env.iter().map(|(key, value)| (key, value)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|error| format!("cannot start Godot: {error}"))?;
        let stdout = child.stdout.take().ok_or("Godot gave no stdout")?;
        let (sender, lines) = mpsc::channel();
        // Copies stdout into the log (stderr goes there directly) and hands each line over.
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = writeln!(log, "{line}");
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Process {
            role,
            child,
            lines,
            log: log_path,
            seen: Vec::new(),
            exited: None,
            killed: false,
        })
    }

    /// Reads the processes' results and problems once they have exited.
    fn finish(&self, processes: &mut [Process], outcome: &mut PairOutcome) {
        for process in processes.iter_mut() {
            // The reader thread ends with the process; give it a moment to pass the last lines on.
            let flushed_by = Instant::now() + Duration::from_secs(2);
            loop {
                match process.lines.recv_timeout(Duration::from_millis(50)) {
                    Ok(line) => process.seen.push(line),
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                    Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() > flushed_by => break,
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                }
            }
            let role = process.role;
            for line in &process.seen {
                match parse_line(line) {
                    Some(Line::Result(value)) => outcome.results.push(value),
                    Some(Line::Error(text)) => outcome.problems.push(format!("[{role}] {text}")),
                    None => {}
                }
            }
            let log = fs::read_to_string(&process.log).unwrap_or_default();
            if log.contains(DEBUG_BUILD_MARKER) {
                outcome.problems.push(format!(
                    "[{role}] a debug build of the extension was loaded (log: {})",
                    process.log.display()
                ));
            }
            if let Some(line) = log.lines().find(|line| {
                crate::suite::FATAL_LOG_MARKERS
                    .iter()
                    .any(|marker| line.contains(marker))
            }) {
                outcome.problems.push(format!(
                    "[{role}] {} (log: {})",
                    line.trim(),
                    process.log.display()
                ));
            }
            match process.exited {
                Some((_, code)) if code != 0 && !process.killed => outcome
                    .problems
                    .push(format!("[{role}] Godot exited with code {code}")),
                _ => {}
            }
        }
    }
}

/// A line a benchmark script printed for the xtask.
#[derive(Debug, PartialEq)]
enum Line {
    Result(Value),
    Error(String),
}

fn parse_line(line: &str) -> Option<Line> {
    let line = line.trim();
    if let Some(text) = line.strip_prefix("BENCH_ERROR ") {
        return Some(Line::Error(text.to_owned()));
    }
    let json = line.strip_prefix("BENCH ")?;
    Some(match serde_json::from_str::<Value>(json) {
        Ok(value) if value.is_object() => Line::Result(value),
        _ => Line::Error(format!("unreadable result line: {line}")),
    })
}

// ---------------------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------------------

/// Which way is better for a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Better {
    Higher,
    Lower,
}

impl Better {
    fn word(self) -> &'static str {
        match self {
            Better::Higher => "higher",
            Better::Lower => "lower",
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone)]
struct MetricDef {
    key: String,
    group: &'static str,
    label: String,
    unit: &'static str,
    better: Better,
    /// Whether ours / baseline means anything (not for differences that may be near zero).
    ratio: bool,
}

impl MetricDef {
    fn new(
        key: impl Into<String>,
        group: &'static str,
        label: impl Into<String>,
        unit: &'static str,
        better: Better,
    ) -> Self {
        Self {
            key: key.into(),
            group,
            label: label.into(),
            unit,
            better,
            ratio: true,
        }
    }

    fn without_ratio(mut self) -> Self {
        self.ratio = false;
        self
    }
}

/// Median, min and max of a figure over the runs.
#[derive(Debug, Clone, PartialEq)]
struct Stats {
    median: f64,
    min: f64,
    max: f64,
    samples: Vec<f64>,
}

impl Stats {
    fn of(samples: &[f64]) -> Option<Stats> {
        let mut sorted: Vec<f64> = samples.iter().copied().filter(|v| v.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let middle = sorted.len() / 2;
        let median = if sorted.len() % 2 == 1 {
            sorted[middle]
        } else {
            (sorted[middle - 1] + sorted[middle]) / 2.0
        };
        Some(Stats {
            median,
            min: sorted[0],
            max: sorted[sorted.len() - 1],
            samples: samples.to_vec(),
        })
    }

    fn json(&self) -> Value {
        json!({"median": self.median, "min": self.min, "max": self.max, "samples": self.samples})
    }
}

/// A row with its figures.
#[derive(Debug, Clone)]
struct Row {
    def: MetricDef,
    ours: Option<Stats>,
    baseline: Option<Stats>,
}

impl Row {
    /// Ours / baseline, of the medians.
    fn ratio(&self) -> Option<f64> {
        if !self.def.ratio {
            return None;
        }
        let ours = self.ours.as_ref()?.median;
        let baseline = self.baseline.as_ref()?.median;
        (baseline > 0.0 && ours >= 0.0).then(|| ours / baseline)
    }
}

/// Every run's value of every figure, per side.
#[derive(Debug, Default)]
struct Samples {
    values: BTreeMap<(String, bool), Vec<f64>>,
}

impl Samples {
    fn push(&mut self, side: Side, key: impl Into<String>, value: Option<f64>) {
        if let Some(value) = value {
            self.values
                .entry((key.into(), side == Side::Ours))
                .or_default()
                .push(value);
        }
    }

    /// Files one `BENCH` result line under its figures.
    fn record(&mut self, side: Side, result: &Value) {
        let number = |key: &str| result.get(key).and_then(Value::as_f64);
        // The script says which API it measured; trust that over the caller.
        let side = result
            .get("impl")
            .and_then(Value::as_str)
            .and_then(Side::from_script_impl)
            .unwrap_or(side);
        let mib = |kib: Option<f64>| kib.filter(|&kib| kib >= 0.0).map(|kib| kib / 1024.0);
        match result.get("bench").and_then(Value::as_str).unwrap_or("") {
            "throughput" => {
                let size = number("size").unwrap_or(0.0);
                let reliable = result.get("reliable").and_then(Value::as_bool) == Some(true);
                let mode = if reliable { "reliable" } else { "unreliable" };
                self.push(
                    side,
                    format!("throughput/{mode}/{size}"),
                    number("messages_per_second"),
                );
                if !reliable {
                    self.push(
                        side,
                        format!("delivered/unreliable/{size}"),
                        number("delivered").map(|share| share * 100.0),
                    );
                }
            }
            "cost-send" => self.push(side, "cost/send", number("ns_per_message")),
            "cost-receive" => {
                self.push(side, "cost/receive-batch", number("batched_ns_per_message"));
                self.push(side, "cost/receive-read", number("reading_ns_per_message"));
                self.push(side, "cost/receive-single", number("single_ns_per_message"));
                self.push(side, "cost/enet-service", number("service_ns_per_packet"));
                self.push(side, "cost/dictionary-floor", number("dictionary_floor_ns"));
            }
            "latency" => {
                self.push(side, "latency/p50", number("p50_usec"));
                self.push(side, "latency/p99", number("p99_usec"));
            }
            "sessions" => {
                self.push(side, "sessions/start", mib(number("rss_start_kib")));
                self.push(side, "sessions/idle", mib(number("rss_idle_kib")));
                let rss = result.get("rss_kib").and_then(Value::as_object);
                let mut steps: Vec<(f64, f64)> = Vec::new();
                for (count, kib) in rss.into_iter().flatten() {
                    let kib = kib.as_f64();
                    self.push(side, format!("sessions/{count}"), mib(kib));
                    if let (Ok(count), Some(kib)) = (count.parse::<f64>(), kib) {
                        steps.push((count, kib));
                    }
                }
                steps.sort_by(|x, y| x.0.total_cmp(&y.0));
                if let (Some(fewest), Some(most)) = (steps.first(), steps.last())
                    && most.0 > fewest.0
                {
                    self.push(
                        side,
                        "sessions/per-session",
                        Some((most.1 - fewest.1) / (most.0 - fewest.0)),
                    );
                }
            }
            "leak" => {
                let role = result.get("side").and_then(Value::as_str).unwrap_or("?");
                let first = mib(number("rss_first_kib"));
                let last = mib(number("rss_last_kib"));
                self.push(side, format!("leak/{role}/first"), first);
                self.push(side, format!("leak/{role}/last"), last);
                if let (Some(first), Some(last)) = (first, last) {
                    self.push(side, format!("leak/{role}/growth"), Some(last - first));
                }
            }
            _ => {}
        }
    }

    fn row(&self, def: MetricDef) -> Row {
        let stats = |ours: bool| {
            self.values
                .get(&(def.key.clone(), ours))
                .and_then(|values| Stats::of(values))
        };
        Row {
            ours: stats(true),
            baseline: stats(false),
            def,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------------------

/// Where the benchmarks ran.
#[derive(Debug, Clone)]
struct Machine {
    nproc: usize,
    cpu: String,
    memory: String,
    kernel: String,
    godot: String,
    commit: String,
    date: String,
    /// /proc/loadavg's 1, 5 and 15 minute averages before and after the benchmarks.
    load_before: String,
    load_after: String,
}

impl Machine {
    fn detect(root: &Path, godot_version: &str, load_before: String) -> Self {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let field = |text: &str, name: &str| {
            text.lines()
                .find_map(|line| {
                    let (key, value) = line.split_once(':')?;
                    (key.trim() == name).then(|| value.trim().to_owned())
                })
                .unwrap_or_else(|| "unknown".into())
        };
        let commit = Command::new("git")
            .current_dir(root)
            .args(["describe", "--always", "--dirty", "--abbrev=12"])
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
            .unwrap_or_else(|| "unknown".into());
        Self {
            nproc: thread::available_parallelism().map_or(0, usize::from),
            cpu: field(&cpuinfo, "model name"),
            memory: field(&meminfo, "MemTotal"),
            kernel: fs::read_to_string("/proc/sys/kernel/osrelease")
                .map_or_else(|_| "unknown".into(), |text| text.trim().to_owned()),
            godot: godot_version.to_owned(),
            commit,
            date: utc_timestamp(SystemTime::now()),
            load_before,
            load_after: load_average(),
        }
    }
}

/// The 1, 5 and 15 minute load averages, as /proc/loadavg gives them.
fn load_average() -> String {
    fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".into(),
        |text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        },
    )
}

/// Everything the run produced.
struct Report {
    machine: Machine,
    quick: bool,
    runs: usize,
    wall_seconds: f64,
    rows: Vec<Row>,
    criterion: Vec<CriterionRow>,
    problems: Vec<String>,
}

impl Report {
    fn heading(&self) -> String {
        let m = &self.machine;
        format!(
            "{} run{}{}, release build, {}; {} CPUs ({}), {} RAM, Linux {}, load average {} before and {} \
             after; Godot {}; commit {}",
            self.runs,
            if self.runs == 1 { "" } else { "s" },
            if self.quick { " (--quick)" } else { "" },
            m.date,
            m.nproc,
            m.cpu,
            m.memory,
            m.kernel,
            m.load_before,
            m.load_after,
            m.godot,
            m.commit
        )
    }

    /// The cells of one row: label, ours, baseline, ratio, better.
    fn cells(row: &Row) -> [String; 5] {
        let figure = |stats: &Option<Stats>| {
            stats.as_ref().map_or_else(
                || "-".to_owned(),
                |s| {
                    let decimals = decimals_for(s.median);
                    format!(
                        "{} [{} - {}]",
                        thousands(s.median, decimals),
                        thousands(s.min, decimals),
                        thousands(s.max, decimals)
                    )
                },
            )
        };
        [
            format!("{} ({})", row.def.label, row.def.unit),
            figure(&row.ours),
            figure(&row.baseline),
            row.ratio()
                .map_or_else(|| "-".to_owned(), |ratio| format!("{ratio:.2}x")),
            row.def.better.word().to_owned(),
        ]
    }

    const HEADERS: [&'static str; 5] = [
        "benchmark",
        "ours: median [min - max]",
        "ENet baseline: median [min - max]",
        "ours / ENet",
        "better",
    ];

    /// The plain-text table for the terminal.
    fn text(&self) -> String {
        let mut lines: Vec<Option<[String; 5]>> = vec![Some(Self::HEADERS.map(str::to_owned))];
        let mut group = "";
        let mut groups = Vec::new();
        for row in &self.rows {
            if row.def.group != group {
                group = row.def.group;
                groups.push((lines.len(), group));
                lines.push(None);
            }
            lines.push(Some(Self::cells(row)));
        }
        let mut widths = [0; 5];
        for cells in lines.iter().flatten() {
            for (width, cell) in widths.iter_mut().zip(cells) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut out = format!("\n{}\n", self.heading());
        for (index, cells) in lines.iter().enumerate() {
            match cells {
                Some(cells) => {
                    let mut line = String::new();
                    for (column, (cell, width)) in cells.iter().zip(widths).enumerate() {
                        let pad = width - cell.chars().count();
                        if column == 0 {
                            let _ = write!(line, "{cell}{}", " ".repeat(pad));
                        } else {
                            let _ = write!(line, "  {}{cell}", " ".repeat(pad));
                        }
                    }
                    out.push_str(line.trim_end());
                    out.push('\n');
                }
                None => {
                    let title = groups
                        .iter()
                        .find(|(at, _)| *at == index)
                        .map_or("", |(_, title)| title);
                    let _ = writeln!(out, "\n{title}");
                }
            }
        }
        if !self.criterion.is_empty() {
            let _ = writeln!(
                out,
                "\nRust only, no Godot (Criterion, from target/criterion: measured by a full run, not by --quick)"
            );
            for row in &self.criterion {
                let _ = writeln!(out, "{}", row.text());
            }
        }
        for problem in &self.problems {
            let _ = writeln!(out, "FAILED: {problem}");
        }
        out
    }

    fn markdown(&self) -> String {
        let mut out = String::from("# Benchmarks\n\n");
        let _ = writeln!(out, "{}.\n", self.heading());
        let _ = writeln!(
            out,
            "Each figure is the median of {} runs, with the min and max in brackets. *Ours* is GodotSteam's \
             Networking Messages API (`Steam.sendMessageToUser`, `Steam.receiveMessagesOnChannel`) on the local \
             backend; the baseline is the same workload in GDScript with Godot's `ENetConnection` and \
             `ENetPacketPeer`, measured in the same run. Ratios are ours / baseline, of the medians; whether \
             higher or lower is better is in the last column. Produced by `cargo xtask bench{}` in {:.0} s; \
             the scripts are in `benches/godot/`.",
            self.runs,
            if self.quick { " --quick" } else { "" },
            self.wall_seconds
        );
        let mut group = "";
        for row in &self.rows {
            if row.def.group != group {
                group = row.def.group;
                let _ = writeln!(out, "\n## {group}\n");
                let _ = writeln!(out, "| {} |", Self::HEADERS.join(" | "));
                let _ = writeln!(out, "|---|---:|---:|---:|---|");
            }
            let cells = Self::cells(row).map(|cell| cell.replace('|', "\\|"));
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        }
        out.push_str(METHOD_NOTES);
        if !self.criterion.is_empty() {
            let _ = writeln!(
                out,
                "\n## Rust only, no Godot (Criterion)\n\nFrom `target/criterion/`: measured by a full \
                 `cargo xtask bench` (or `cargo bench --bench local_transport`); `--quick` only checks that the \
                 benchmark runs. Median time per iteration with its 95% confidence interval.\n"
            );
            let _ = writeln!(
                out,
                "| benchmark | ours | baseline | ours / baseline | measured |"
            );
            let _ = writeln!(out, "|---|---:|---:|---:|---|");
            for row in &self.criterion {
                let _ = writeln!(out, "{}", row.markdown());
            }
        }
        if !self.problems.is_empty() {
            let _ = writeln!(out, "\n## Failures\n");
            for problem in &self.problems {
                let _ = writeln!(out, "- {problem}");
            }
        }
        out
    }

    fn json(&self) -> Value {
        let m = &self.machine;
        json!({
            "date": m.date,
            "quick": self.quick,
            "runs": self.runs,
            "wall_seconds": self.wall_seconds,
            "machine": {
                "nproc": m.nproc,
                "cpu": m.cpu,
                "memory": m.memory,
                "kernel": m.kernel,
                "godot": m.godot,
                "commit": m.commit,
                "load_average_before": m.load_before,
                "load_average_after": m.load_after,
            },
            "metrics": self.rows.iter().map(|row| json!({
                "key": row.def.key,
                "group": row.def.group,
                "label": row.def.label,
                "unit": row.def.unit,
                "better": row.def.better.word(),
                "ours": row.ours.as_ref().map(Stats::json),
                "baseline": row.baseline.as_ref().map(Stats::json),
                "ratio": row.ratio(),
            })).collect::<Vec<_>>(),
            "criterion": self.criterion.iter().map(CriterionRow::json).collect::<Vec<_>>(),
            "problems": self.problems,
        })
    }
}

/// How the figures were taken, for readers of results.md.
const METHOD_NOTES: &str = "
## Method

- Every benchmark runs two headless Godot processes on 127.0.0.1, unthrottled (the project sets
  `application/run/low_processor_mode_sleep_usec` to 0; headless Godot otherwise sleeps 6.9 ms a frame). Both
  poll once a frame; the baseline calls `ENetConnection.service()` until it returns nothing at the start of
  the frame and `flush()` at its end, as the local backend flushes at the end of every frame.
- Throughput: the sender offers up to 1 MiB (at most 2,000 messages) a frame, as fast as the API takes it,
  backing off a frame on `RESULT_LIMIT_EXCEEDED`; the receiver drains up to 4,096 messages a call, reads each
  payload, and counts messages after its first receive call over the time from that call to the last
  message. Unreliable figures count delivered messages: bursts overflow socket buffers, so their rate is the
  delivered burst's and the share delivered says how much was lost. ENet sends unsequenced packets larger
  than its MTU as reliable fragments, so 64 KiB \"unreliable\" messages are reliable in both stacks.
- Cost: `Time.get_ticks_usec()` around loops of API calls only: sends in per-frame chunks of 1,000, receives
  over messages already queued. Messages go in rounds of at most 10,000 (inside the local backend's 4 MiB
  send window) after an untimed warm-up round. `ENetPacketPeer` has no `get_packet_channel()`: the channel
  comes with the `service()` event, which is why the baseline also lists what its `service()` loop costs
  per packet. The dictionary row is Godot by itself, with no networking: GDScript copying GodotSteam's 10-key
  message dictionary into an array of 1,000 and freeing them, which is what every received message becomes
  in this API, so no `receiveMessagesOnChannel` can cost less; measured in both processes.
- Memory is VmRSS from `/proc/self/status`, read by the process itself after 60 settling frames. For the
  sessions figures, b stands in for 1,000 peers with one ENet host that accepts each session (ours) or opens
  1,000 client connections (the baseline, whose `ENetConnection` connects to one peer only, so a listens).
";

/// Decimal places that keep a figure readable without false precision.
fn decimals_for(value: f64) -> usize {
    match value.abs() {
        v if v >= 100.0 => 0,
        v if v >= 10.0 => 1,
        _ => 2,
    }
}

/// `value` with `decimals` places and thin thousands separators (commas).
fn thousands(value: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::new();
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let sign = if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{fraction}")
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC`.
fn utc_timestamp(time: SystemTime) -> String {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The Gregorian date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

// ---------------------------------------------------------------------------------------------------------
// Criterion results, if any
// ---------------------------------------------------------------------------------------------------------

/// One Criterion benchmark (group and input) with our function and the baseline function side by side.
#[derive(Debug, Clone)]
struct CriterionRow {
    name: String,
    ours: Option<CriterionEstimate>,
    baseline: Option<(String, CriterionEstimate)>,
}

/// Criterion's median time per iteration (ns) with its confidence interval, and when it was measured.
#[derive(Debug, Clone)]
struct CriterionEstimate {
    median_ns: f64,
    lower_ns: f64,
    upper_ns: f64,
    measured: String,
}

impl CriterionRow {
    fn ratio(&self) -> Option<f64> {
        let ours = self.ours.as_ref()?;
        let (_, baseline) = self.baseline.as_ref()?;
        (baseline.median_ns > 0.0).then(|| ours.median_ns / baseline.median_ns)
    }

    fn cell(estimate: Option<&CriterionEstimate>) -> String {
        estimate.map_or_else(
            || "-".into(),
            |e| {
                format!(
                    "{} µs [{} - {}]",
                    thousands(e.median_ns / 1000.0, decimals_for(e.median_ns / 1000.0)),
                    thousands(e.lower_ns / 1000.0, decimals_for(e.median_ns / 1000.0)),
                    thousands(e.upper_ns / 1000.0, decimals_for(e.median_ns / 1000.0))
                )
            },
        )
    }

    fn baseline_cell(&self) -> String {
        match &self.baseline {
            Some((name, estimate)) => format!("{} ({name})", Self::cell(Some(estimate))),
            None => "-".into(),
        }
    }

    fn ratio_cell(&self) -> String {
        self.ratio()
            .map_or_else(|| "-".into(), |ratio| format!("{ratio:.2}x"))
    }

    fn measured(&self) -> &str {
        self.ours
            .as_ref()
            .or(self.baseline.as_ref().map(|(_, e)| e))
            .map_or("", |e| e.measured.as_str())
    }

    fn text(&self) -> String {
        format!(
            "  {}: ours {}, {}, ours / baseline {} (measured {})",
            self.name,
            Self::cell(self.ours.as_ref()),
            self.baseline_cell(),
            self.ratio_cell(),
            self.measured()
        )
    }

    fn markdown(&self) -> String {
        format!(
            "| {} | {} | {} | {} | {} |",
            self.name,
            Self::cell(self.ours.as_ref()),
            self.baseline_cell(),
            self.ratio_cell(),
            self.measured()
        )
    }

    fn json(&self) -> Value {
        let estimate = |e: &CriterionEstimate| {
            json!({"median_ns": e.median_ns, "lower_ns": e.lower_ns, "upper_ns": e.upper_ns,
                   "measured": e.measured})
        };
        json!({
            "name": self.name,
            "ours": self.ours.as_ref().map(estimate),
            "baseline": self.baseline.as_ref().map(|(name, e)| json!({"function": name, "estimate": estimate(e)})),
            "ratio": self.ratio(),
        })
    }
}

/// Reads `<dir>/**/new/{benchmark,estimates}.json`. Functions named `local_backend` are ours; any other
/// function of the same group and input is the baseline.
fn criterion_results(dir: &Path) -> Vec<CriterionRow> {
    let mut found: BTreeMap<String, Vec<(String, CriterionEstimate)>> = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let Ok(entries) = fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            if path.file_name().is_some_and(|name| name == "new") {
                if let Some((name, function, estimate)) = read_criterion(&path) {
                    found.entry(name).or_default().push((function, estimate));
                }
            } else if path.file_name().is_none_or(|name| name != "report") {
                pending.push(path);
            }
        }
    }
    found
        .into_iter()
        .map(|(name, mut functions)| {
            functions.sort_by(|x, y| x.0.cmp(&y.0));
            let ours_at = functions
                .iter()
                .position(|(function, _)| function == "local_backend");
            let ours = ours_at.map(|at| functions.remove(at).1);
            CriterionRow {
                name,
                ours,
                baseline: functions.into_iter().next(),
            }
        })
        .collect()
}

/// One Criterion benchmark: (group and input, function, estimate).
fn read_criterion(new_dir: &Path) -> Option<(String, String, CriterionEstimate)> {
    let read = |file: &str| -> Option<Value> {
        serde_json::from_str(&fs::read_to_string(new_dir.join(file)).ok()?).ok()
    };
    let benchmark = read("benchmark.json")?;
    let estimates = read("estimates.json")?;
    let group = benchmark.get("group_id")?.as_str()?;
    let function = benchmark
        .get("function_id")
        .and_then(Value::as_str)
        .unwrap_or("");
    let input = benchmark
        .get("value_str")
        .and_then(Value::as_str)
        .unwrap_or("");
    let median = estimates.get("median")?;
    let interval = median.get("confidence_interval")?;
    let measured = fs::metadata(new_dir.join("estimates.json"))
        .and_then(|meta| meta.modified())
        .map_or_else(|_| "unknown".into(), utc_timestamp);
    let name = if input.is_empty() {
        group.to_owned()
    } else {
        format!("{group}/{input}")
    };
    Some((
        name,
        function.to_owned(),
        CriterionEstimate {
            median_ns: median.get("point_estimate")?.as_f64()?,
            lower_ns: interval.get("lower_bound")?.as_f64()?,
            upper_ns: interval.get("upper_bound")?.as_f64()?,
            measured,
        },
    ))
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
