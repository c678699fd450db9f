//! What the benchmarks run: the two sides, the scripts, the workloads and how many runs of each.

use super::*;

/// The API under test, or the baseline it is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    /// GodotSteam's API (`Steam.*`) on the local backend.
    Ours,
    /// Godot's `ENetConnection` / `ENetPacketPeer`.
    Baseline,
}

impl Side {
    pub(super) fn name(self) -> &'static str {
        match self {
            Side::Ours => "ours",
            Side::Baseline => "enet",
        }
    }

    /// The `--impl` value the scripts take.
    pub(super) fn script_impl(self) -> &'static str {
        match self {
            Side::Ours => "steam",
            Side::Baseline => "enet",
        }
    }

    pub(super) fn from_script_impl(text: &str) -> Option<Side> {
        match text {
            "steam" => Some(Side::Ours),
            "enet" => Some(Side::Baseline),
            _ => None,
        }
    }
}

/// One benchmark script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Throughput,
    Cost,
    Latency,
    Sessions,
    Leak,
    /// Godot's high-level multiplayer: our peer class against `ENetMultiplayerPeer`.
    Multiplayer,
    /// A send's cost on the Steam backend, over the Steam API stand-in with sends that do nothing, against
    /// the floor of any call into the extension (one process measures both).
    SteamPathSend,
}

impl Kind {
    pub(super) const ALL: [Kind; 7] = [
        Kind::Throughput,
        Kind::Cost,
        Kind::Latency,
        Kind::Sessions,
        Kind::Leak,
        Kind::Multiplayer,
        Kind::SteamPathSend,
    ];

    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Throughput => "throughput",
            Kind::Cost => "cost",
            Kind::Latency => "latency",
            Kind::Sessions => "sessions",
            Kind::Leak => "leak",
            Kind::Multiplayer => "multiplayer",
            Kind::SteamPathSend => "steam_path_send",
        }
    }

    /// The sides run: both, except where one process measures ours and its baseline.
    pub(super) fn sides(self) -> &'static [Side] {
        match self {
            Kind::SteamPathSend => &[Side::Ours],
            _ => &[Side::Ours, Side::Baseline],
        }
    }
}

/// One throughput workload.
#[derive(Debug, Clone, Copy)]
pub(super) struct Workload {
    pub(super) size: u32,
    pub(super) reliable: bool,
    pub(super) count: u32,
}

/// Longest the built Criterion benchmark may run (a full run takes about a minute; a hang must not stall CI).
pub(super) const CRITERION_TIMEOUT: Duration = Duration::from_secs(600);

/// Runs the Criterion benchmark (`benches/local_transport.rs`): measured in full, or with `quick` once per
/// benchmark without measuring (Criterion's `--test`), so a benchmark that no longer finishes fails CI.
pub(super) fn run_criterion(root: &Path, quick: bool) -> Result<(), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // Compiled first, without a deadline: on a busy machine the build alone can outlast it.
    let built = Command::new(&cargo)
        .current_dir(root)
        .args(["bench", "--bench", "local_transport", "--no-run"])
        .status()
        .map_err(|error| format!("starting cargo bench --no-run: {error}"))?;
    if !built.success() {
        return Err("building the Criterion benchmark failed".into());
    }
    let mut command = Command::new(&cargo);
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
pub(super) struct Plan {
    pub(super) runs: usize,
    pub(super) workloads: Vec<Workload>,
    pub(super) cost_messages: u32,
    pub(super) pings: u32,
    pub(super) sessions: Vec<u32>,
    pub(super) leak_first: u32,
    pub(super) leak_count: u32,
    /// The multiplayer benchmark: reliable RPCs, round trips, synchronized nodes and seconds of syncing.
    pub(super) multiplayer_rpcs: u32,
    pub(super) multiplayer_pings: u32,
    pub(super) multiplayer_nodes: u32,
    pub(super) multiplayer_sync_seconds: u32,
    /// Longest one process pair may run.
    pub(super) pair_timeout: Duration,
}

impl Plan {
    pub(super) fn new(quick: bool) -> Self {
        // RPCs, round trips and seconds of syncing for the multiplayer benchmark.
        let (multiplayer_rpcs, multiplayer_pings, multiplayer_sync_seconds) = if quick {
            (10_000, 300, 3)
        } else {
            (50_000, 2_000, 10)
        };
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
            multiplayer_rpcs,
            multiplayer_pings,
            multiplayer_nodes: 100,
            multiplayer_sync_seconds,
            pair_timeout: Duration::from_secs(timeout),
        }
    }

    /// The process pair that runs `kind` for `side` in run number `run`.
    pub(super) fn pair(&self, kind: Kind, side: Side, run: usize) -> Pair {
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
            if kind == Kind::SteamPathSend {
                args.push("--steam-backend=steam".into());
                args.push(format!("--steam-local-id={id}"));
            } else if side == Side::Ours && !(kind == Kind::Sessions && role == "b") {
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
            Kind::SteamPathSend => {
                a_env.push((STAND_IN_DISCARD_SENDS_ENV.to_owned(), "1".to_owned()));
                vec![format!("--count={}", self.cost_messages)]
            }
            Kind::Multiplayer => vec![
                format!("--rpcs={}", self.multiplayer_rpcs),
                format!("--pings={}", self.multiplayer_pings),
                format!("--nodes={}", self.multiplayer_nodes),
                format!("--sync-seconds={}", self.multiplayer_sync_seconds),
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
            // The sessions benchmark's stand-in serves until stopped; the Steam path's b only stands by.
            stop_b_after_a: matches!(kind, Kind::Sessions | Kind::SteamPathSend),
            project: None,
        }
    }

    /// The table's rows, in order.
    pub(super) fn metrics(&self) -> Vec<MetricDef> {
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
        defs.push(
            MetricDef::new(
                "steam-path/send",
                "Steam path: a send's cost in the extension, up to a `SendMessageToUser` that does nothing (100 B, untyped calls)",
                "sendMessageToUser on the Steam backend vs a do-nothing extension method with the same arguments",
                "ns",
                Better::Lower,
            )
            .with_baseline("call floor"),
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
        let group = "Godot multiplayer, host and one client: SteamMessagesMultiplayerPeer (local backend) vs ENetMultiplayerPeer";
        defs.push(MetricDef::new(
            "multiplayer/rpcs",
            group,
            "reliable RPCs per second, 100 B argument, client to host",
            "RPC/s",
            Better::Higher,
        ));
        defs.push(MetricDef::new(
            "multiplayer/rtt-p50",
            group,
            "RPC round trip p50 (ping RPC answered by a pong RPC)",
            "µs",
            Better::Lower,
        ));
        defs.push(MetricDef::new(
            "multiplayer/rtt-p99",
            group,
            "RPC round trip p99",
            "µs",
            Better::Lower,
        ));
        defs.push(MetricDef::new(
            "multiplayer/rtt-frames",
            group,
            "RPC round trip in frames of the pinging side (mean; the p50 and p99 above depend on where in its frame each side polls)",
            "frames",
            Better::Lower,
        ));
        let nodes = self.multiplayer_nodes;
        defs.push(MetricDef::new(
            "multiplayer/sync-bandwidth",
            group,
            format!("{nodes} synchronized nodes at 60 Hz: loopback traffic, both directions"),
            "KiB/s",
            Better::Lower,
        ));
        defs.push(MetricDef::new(
            "multiplayer/sync-cpu-host",
            group,
            format!("{nodes} synchronized nodes at 60 Hz: host CPU per frame (whole process)"),
            "µs",
            Better::Lower,
        ));
        defs.push(MetricDef::new(
            "multiplayer/sync-cpu-client",
            group,
            format!("{nodes} synchronized nodes at 60 Hz: client CPU per frame (whole process)"),
            "µs",
            Better::Lower,
        ));
        defs.push(MetricDef::new(
            "multiplayer/sync-updates",
            group,
            "position updates applied per node per second at the client",
            "Hz",
            Better::Higher,
        ));
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
pub(super) fn session_peers(count: u32, stand_in_id: u32) -> String {
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

pub(super) fn size_label(size: u32) -> String {
    if size >= 1024 && size.is_multiple_of(1024) {
        format!("{} KiB", size / 1024)
    } else {
        format!("{size} B")
    }
}

pub(super) fn plural(count: u32) -> &'static str {
    if count == 1 { "" } else { "s" }
}
