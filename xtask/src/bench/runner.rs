//! Running one benchmark: a pair of headless Godot processes, their ready handshake, output and exit.

use super::*;

/// Two Godot processes running one script: "b" starts first and says `BENCH_READY`, then "a".
#[derive(Debug, Clone)]
pub(super) struct Pair {
    pub(super) name: String,
    pub(super) script: String,
    pub(super) a_args: Vec<String>,
    pub(super) b_args: Vec<String>,
    pub(super) a_env: Vec<(String, String)>,
    /// "b" serves until "a" is done, then is killed.
    pub(super) stop_b_after_a: bool,
    /// The Godot project to run in, if not the benchmark project.
    pub(super) project: Option<PathBuf>,
}

/// What a pair printed, and what went wrong.
#[derive(Debug, Default)]
pub(super) struct PairOutcome {
    pub(super) results: Vec<Value>,
    pub(super) problems: Vec<String>,
}

pub(super) struct Runner<'a> {
    pub(super) godot: &'a godot::Godot,
    pub(super) project: &'a Path,
    pub(super) logs: &'a Path,
    pub(super) timeout: Duration,
}

/// A started Godot process and the lines of its standard output.
pub(super) struct Process {
    pub(super) role: &'static str,
    pub(super) child: Child,
    pub(super) lines: mpsc::Receiver<String>,
    pub(super) log: PathBuf,
    pub(super) seen: Vec<String>,
    pub(super) exited: Option<(Instant, i32)>,
    pub(super) killed: bool,
}

impl Process {
    /// Collects the lines printed so far.
    pub(super) fn collect(&mut self) {
        self.seen.extend(self.lines.try_iter());
    }

    /// Notes the exit if it happened.
    pub(super) fn poll(&mut self) {
        if self.exited.is_none()
            && let Ok(Some(status)) = self.child.try_wait()
        {
            self.exited = Some((Instant::now(), status.code().unwrap_or(-1)));
        }
    }

    pub(super) fn kill(&mut self) {
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
    pub(super) fn run(&self, pair: &Pair) -> PairOutcome {
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

    pub(super) fn start(
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
            .arg(pair.project.as_deref().unwrap_or(self.project))
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
    pub(super) fn finish(&self, processes: &mut [Process], outcome: &mut PairOutcome) {
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
pub(super) enum Line {
    Result(Value),
    Error(String),
}

pub(super) fn parse_line(line: &str) -> Option<Line> {
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
