//! The report: the machine, the table, and `results.md` / `results.json`.

use super::*;

/// Where the benchmarks ran.
#[derive(Debug, Clone)]
pub(super) struct Machine {
    pub(super) nproc: usize,
    pub(super) cpu: String,
    pub(super) memory: String,
    pub(super) kernel: String,
    pub(super) godot: String,
    pub(super) commit: String,
    pub(super) date: String,
    /// /proc/loadavg's 1, 5 and 15 minute averages before and after the benchmarks.
    pub(super) load_before: String,
    pub(super) load_after: String,
}

impl Machine {
    pub(super) fn detect(root: &Path, godot_version: &str, load_before: String) -> Self {
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
pub(super) fn load_average() -> String {
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
pub(super) struct Report {
    pub(super) machine: Machine,
    pub(super) quick: bool,
    pub(super) runs: usize,
    pub(super) wall_seconds: f64,
    pub(super) rows: Vec<Row>,
    pub(super) criterion: Vec<CriterionRow>,
    pub(super) problems: Vec<String>,
}

impl Report {
    pub(super) fn heading(&self) -> String {
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
    pub(super) fn cells(row: &Row) -> [String; 5] {
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
    pub(super) fn text(&self) -> String {
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

    pub(super) fn markdown(&self) -> String {
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
                let mut headers = Self::HEADERS.map(str::to_owned);
                if row.def.baseline != "ENet baseline" {
                    headers[2] = format!("{}: median [min - max]", row.def.baseline);
                    headers[3] = "ours / baseline".to_owned();
                }
                let _ = writeln!(out, "| {} |", headers.join(" | "));
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

    pub(super) fn json(&self) -> Value {
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
pub(super) const METHOD_NOTES: &str = "
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
pub(super) fn decimals_for(value: f64) -> usize {
    match value.abs() {
        v if v >= 100.0 => 0,
        v if v >= 10.0 => 1,
        _ => 2,
    }
}

/// `value` with `decimals` places and thin thousands separators (commas).
pub(super) fn thousands(value: f64, decimals: usize) -> String {
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
pub(super) fn utc_timestamp(time: SystemTime) -> String {
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
pub(super) fn civil_from_days(days: u64) -> (u64, u64, u64) {
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
