//! The Criterion benchmark: running it, and reading its results from `target/criterion/`.

use super::*;

/// One Criterion benchmark (group and input) with our function and the baseline function side by side.
#[derive(Debug, Clone)]
pub(super) struct CriterionRow {
    pub(super) name: String,
    pub(super) ours: Option<CriterionEstimate>,
    pub(super) baseline: Option<(String, CriterionEstimate)>,
}

/// Criterion's median time per iteration (ns) with its confidence interval, and when it was measured.
#[derive(Debug, Clone)]
pub(super) struct CriterionEstimate {
    pub(super) median_ns: f64,
    pub(super) lower_ns: f64,
    pub(super) upper_ns: f64,
    pub(super) measured: String,
}

impl CriterionRow {
    pub(super) fn ratio(&self) -> Option<f64> {
        let ours = self.ours.as_ref()?;
        let (_, baseline) = self.baseline.as_ref()?;
        (baseline.median_ns > 0.0).then(|| ours.median_ns / baseline.median_ns)
    }

    pub(super) fn cell(estimate: Option<&CriterionEstimate>) -> String {
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

    pub(super) fn baseline_cell(&self) -> String {
        match &self.baseline {
            Some((name, estimate)) => format!("{} ({name})", Self::cell(Some(estimate))),
            None => "-".into(),
        }
    }

    pub(super) fn ratio_cell(&self) -> String {
        self.ratio()
            .map_or_else(|| "-".into(), |ratio| format!("{ratio:.2}x"))
    }

    pub(super) fn measured(&self) -> &str {
        self.ours
            .as_ref()
            .or(self.baseline.as_ref().map(|(_, e)| e))
            .map_or("", |e| e.measured.as_str())
    }

    pub(super) fn text(&self) -> String {
        format!(
            "  {}: ours {}, {}, ours / baseline {} (measured {})",
            self.name,
            Self::cell(self.ours.as_ref()),
            self.baseline_cell(),
            self.ratio_cell(),
            self.measured()
        )
    }

    pub(super) fn markdown(&self) -> String {
        format!(
            "| {} | {} | {} | {} | {} |",
            self.name,
            Self::cell(self.ours.as_ref()),
            self.baseline_cell(),
            self.ratio_cell(),
            self.measured()
        )
    }

    pub(super) fn json(&self) -> Value {
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
pub(super) fn criterion_results(dir: &Path) -> Vec<CriterionRow> {
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
pub(super) fn read_criterion(new_dir: &Path) -> Option<(String, String, CriterionEstimate)> {
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
