//! The figures: which way is better for each, and their median, min and max over the runs.

use super::*;

/// Which way is better for a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Better {
    Higher,
    Lower,
}

impl Better {
    pub(super) fn word(self) -> &'static str {
        match self {
            Better::Higher => "higher",
            Better::Lower => "lower",
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone)]
pub(super) struct MetricDef {
    pub(super) key: String,
    pub(super) group: &'static str,
    pub(super) label: String,
    pub(super) unit: &'static str,
    pub(super) better: Better,
    /// Whether ours / baseline means anything (not for differences that may be near zero).
    pub(super) ratio: bool,
    /// What the baseline column holds, for the group's table header.
    pub(super) baseline: &'static str,
}

impl MetricDef {
    pub(super) fn new(
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
            baseline: "ENet baseline",
        }
    }

    /// A baseline other than Godot's ENet, named in the group's table header.
    pub(super) fn with_baseline(mut self, baseline: &'static str) -> Self {
        self.baseline = baseline;
        self
    }

    pub(super) fn without_ratio(mut self) -> Self {
        self.ratio = false;
        self
    }
}

/// Median, min and max of a figure over the runs.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Stats {
    pub(super) median: f64,
    pub(super) min: f64,
    pub(super) max: f64,
    pub(super) samples: Vec<f64>,
}

impl Stats {
    pub(super) fn of(samples: &[f64]) -> Option<Stats> {
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

    pub(super) fn json(&self) -> Value {
        json!({"median": self.median, "min": self.min, "max": self.max, "samples": self.samples})
    }
}

/// A row with its figures.
#[derive(Debug, Clone)]
pub(super) struct Row {
    pub(super) def: MetricDef,
    pub(super) ours: Option<Stats>,
    pub(super) baseline: Option<Stats>,
}

impl Row {
    /// Ours / baseline, of the medians.
    pub(super) fn ratio(&self) -> Option<f64> {
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
pub(super) struct Samples {
    pub(super) values: BTreeMap<(String, bool), Vec<f64>>,
}

impl Samples {
    pub(super) fn push(&mut self, side: Side, key: impl Into<String>, value: Option<f64>) {
        if let Some(value) = value {
            self.values
                .entry((key.into(), side == Side::Ours))
                .or_default()
                .push(value);
        }
    }

    /// Files one `BENCH` result line under its figures.
    pub(super) fn record(&mut self, side: Side, result: &Value) {
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
            // One process measures both: the Steam path and, as its baseline, the call floor.
            "steam-path-send" => {
                self.push(Side::Ours, "steam-path/send", number("ns_per_message"));
                self.push(
                    Side::Baseline,
                    "steam-path/send",
                    number("floor_ns_per_call"),
                );
            }
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
            "multiplayer-rpcs" => self.push(side, "multiplayer/rpcs", number("rpcs_per_second")),
            "multiplayer-rtt" => {
                self.push(side, "multiplayer/rtt-p50", number("p50_usec"));
                self.push(side, "multiplayer/rtt-p99", number("p99_usec"));
                self.push(side, "multiplayer/rtt-frames", number("frames_per_ping"));
            }
            "multiplayer-sync" => {
                if result.get("side").and_then(Value::as_str) == Some("host") {
                    self.push(
                        side,
                        "multiplayer/sync-bandwidth",
                        number("loopback_bytes_per_second").map(|bytes| bytes / 1024.0),
                    );
                    self.push(
                        side,
                        "multiplayer/sync-cpu-host",
                        number("cpu_usec_per_frame"),
                    );
                } else {
                    self.push(
                        side,
                        "multiplayer/sync-cpu-client",
                        number("cpu_usec_per_frame"),
                    );
                    self.push(
                        side,
                        "multiplayer/sync-updates",
                        number("updates_per_node_per_second"),
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

    pub(super) fn row(&self, def: MetricDef) -> Row {
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
