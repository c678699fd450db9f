//! `cargo xtask demo`: two instances of the demo project (`godot-project/`) talking over the offline "local"
//! backend, as local IDs 1 and 2, each told the other's Steam ID with `--demo-peer`.
//!
//! - **Windowed** (when a display is available and `--headless` is not given): two 640x480 windows side by
//!   side; chat, move the avatars and watch the sessions, then close both windows.
//! - **Headless** (`--headless`, or no display): both instances run the demo's scripted exchange
//!   (`--demo-script`); their output is printed as one transcript, each line prefixed with its client. The run
//!   fails if it takes longer than [`HEADLESS_TIMEOUT`] (both are killed), if either instance exits non-zero
//!   or reports a script error, or if either transcript lacks a chat message received from the other.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use crate::{addon, godot, process, suite};

/// The demo project, relative to the workspace root.
pub const DEMO_PROJECT: &str = "godot-project";
/// Steam ID of local ID 0 on the local backend; local ID N is this plus N.
pub(crate) const LOCAL_STEAM_ID_BASE: u64 = 76_561_197_960_265_728;
/// Longest the headless exchange may take before both instances are killed.
const HEADLESS_TIMEOUT: Duration = Duration::from_secs(60);
/// Window size of each instance in the windowed demo.
const WINDOW_SIZE: &str = "640x480";
/// What a client's transcript shows when a chat message from the other client arrived.
const RECEIVED_CHAT: &str = "received chat from";

/// One of the two demo instances.
#[derive(Debug, Clone)]
struct Client {
    /// `client 1` or `client 2`, the prefix of its transcript lines.
    label: String,
    local_id: u64,
    /// Where its window goes in the windowed demo.
    window_position: &'static str,
}

impl Client {
    fn steam_id(&self) -> u64 {
        LOCAL_STEAM_ID_BASE + self.local_id
    }
}

/// Builds the addon, then runs the two-client demo or, with `multiplayer`, the multiplayer one: windowed, or
/// scripted when `headless` is set or no display is available.
pub fn run(root: &Path, headless: bool, multiplayer: bool) -> Result<(), String> {
    let addon = addon::stage(root, false)?;
    let godot = godot::ensure_godot(root)?;
    eprintln!("using Godot {}", godot.version);
    let play = if multiplayer {
        crate::demo_multiplayer::play
    } else {
        play
    };
    play(&godot, root, &addon, headless, &mut std::io::stdout())
}

/// Runs the demo on `addon` (`cargo xtask test` runs it headless on the addon it staged, debug or release);
/// a headless run writes its transcript to `transcript`.
pub fn play(
    godot: &godot::Godot,
    root: &Path,
    addon: &Path,
    headless: bool,
    transcript: &mut dyn Write,
) -> Result<(), String> {
    let project = root.join(DEMO_PROJECT);
    addon::link_into_project(root, &project, addon)?;
    let clients = [
        Client {
            label: "client 1".into(),
            local_id: 1,
            window_position: "40,60",
        },
        Client {
            label: "client 2".into(),
            local_id: 2,
            window_position: "700,60",
        },
    ];
    if headless {
        run_headless(godot, &project, &clients, transcript)
    } else if has_display() {
        run_windowed(godot, &project, &clients)
    } else {
        eprintln!(
            "no display ($DISPLAY and $WAYLAND_DISPLAY are unset): running the scripted demo headless"
        );
        run_headless(godot, &project, &clients, transcript)
    }
}

/// Whether windows can be opened: always on Windows and macOS, elsewhere when an X11 or Wayland display is set.
pub(crate) fn has_display() -> bool {
    if cfg!(any(windows, target_os = "macos")) {
        return true;
    }
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()))
}

/// The command that starts `client`: the demo project on the local backend, talking to `peer`.
fn client_command(
    godot: &godot::Godot,
    project: &Path,
    client: &Client,
    peer: &Client,
    godot_args: &[&str],
    user_args: &[&str],
) -> Command {
    let mut command = godot.command();
    command
        .arg("--path")
        .arg(project)
        .args(godot_args)
        .arg("--")
        .arg("--steam-backend=local")
        .arg(format!("--steam-local-id={}", client.local_id))
        .arg(format!("--demo-peer={}", peer.steam_id()))
        .args(user_args)
        .stdin(Stdio::null());
    command
}

/// Both clients as windows side by side; returns once both are closed.
fn run_windowed(godot: &godot::Godot, project: &Path, clients: &[Client; 2]) -> Result<(), String> {
    let commands = clients.iter().enumerate().map(|(index, client)| {
        let peer = &clients[1 - index];
        let godot_args = [
            "--position",
            client.window_position,
            "--resolution",
            WINDOW_SIZE,
        ];
        let command = client_command(godot, project, client, peer, &godot_args, &[]);
        (client.label.clone(), command)
    });
    let announcement = format!(
        "demo: two windows are open (Steam IDs {} and {}); close both to finish",
        clients[0].steam_id(),
        clients[1].steam_id()
    );
    run_windows(commands.collect(), &announcement)
}

/// Starts every `(label, command)` (game windows), prints `announcement`, and returns once all are closed:
/// an error naming each that failed to start or exited badly.
pub(crate) fn run_windows(
    commands: Vec<(String, Command)>,
    announcement: &str,
) -> Result<(), String> {
    let mut children = Vec::new();
    for (label, mut command) in commands {
        match command.spawn() {
            Ok(child) => children.push((label, child)),
            Err(error) => {
                process::kill_all(children.iter_mut().map(|(_, child)| child));
                return Err(format!("cannot start Godot for {label}: {error}"));
            }
        }
    }
    println!("{announcement}");
    let mut problems = Vec::new();
    for (label, mut child) in children {
        match child.wait() {
            Ok(status) if status.success() => {}
            Ok(status) => problems.push(format!("{label} {}", describe(status))),
            Err(error) => problems.push(format!("waiting for {label}: {error}")),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Both clients headless with `--demo-script`; writes their merged output to `out` and checks the outcome.
fn run_headless(
    godot: &godot::Godot,
    project: &Path,
    clients: &[Client; 2],
    out: &mut dyn Write,
) -> Result<(), String> {
    let (lines, received) = mpsc::channel::<(usize, String)>();
    let mut children: Vec<Child> = Vec::new();
    for (index, client) in clients.iter().enumerate() {
        let peer = &clients[1 - index];
        let mut command = client_command(
            godot,
            project,
            client,
            peer,
            &["--headless"],
            &["--demo-script"],
        );
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(error) => {
                process::kill_all(children.iter_mut());
                return Err(format!("cannot start Godot for {}: {error}", client.label));
            }
        };
        forward_lines(child.stdout.take(), index, lines.clone());
        forward_lines(child.stderr.take(), index, lines.clone());
        children.push(child);
    }
    // Only the reader threads hold senders now, so the channel closes once both processes' output has ended.
    drop(lines);

    let width = clients
        .iter()
        .map(|client| client.label.len())
        .max()
        .unwrap_or(0);
    let mut transcripts = vec![Vec::new(); clients.len()];
    let deadline = Instant::now() + HEADLESS_TIMEOUT;
    let mut timed_out = false;
    loop {
        match received.recv_timeout(Duration::from_millis(100)) {
            Ok((index, line)) => {
                // A transcript that cannot be written is no reason to stop the exchange.
                let _ = writeln!(out, "{:<width$} | {line}", clients[index].label);
                transcripts[index].push(line);
            }
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {}
        }
        if !timed_out && Instant::now() >= deadline {
            timed_out = true;
            process::kill_all(children.iter_mut());
        }
    }

    let mut problems = Vec::new();
    if timed_out {
        problems.push(format!(
            "the exchange did not finish within {} s; both clients were killed",
            HEADLESS_TIMEOUT.as_secs()
        ));
    }
    for ((client, mut child), transcript) in clients.iter().zip(children).zip(&transcripts) {
        match child.wait() {
            Ok(status) if status.success() => {}
            Ok(status) => problems.push(format!("{} {}", client.label, describe(status))),
            Err(error) => problems.push(format!("waiting for {}: {error}", client.label)),
        }
        problems.extend(transcript_problems(client, transcript));
    }
    if problems.is_empty() {
        let _ = writeln!(
            out,
            "demo: both clients exchanged chat and avatar positions, closed their sessions and exited cleanly"
        );
        Ok(())
    } else {
        Err(format!("the headless demo failed: {}", problems.join("; ")))
    }
}

/// What is wrong with one client's output: script errors, or no chat received from the other client.
fn transcript_problems(client: &Client, transcript: &[String]) -> Vec<String> {
    let mut problems: Vec<String> = transcript
        .iter()
        .filter(|line| {
            suite::FATAL_LOG_MARKERS
                .iter()
                .any(|marker| line.contains(marker))
        })
        .map(|line| format!("{} reported: {}", client.label, line.trim()))
        .collect();
    let own_prefix = format!("[demo {}]", client.steam_id());
    let got_reply = transcript
        .iter()
        .any(|line| line.starts_with(&own_prefix) && line.contains(RECEIVED_CHAT));
    if !got_reply {
        problems.push(format!(
            "{} never received a chat message from the other client",
            client.label
        ));
    }
    problems
}

/// Sends each line `pipe` produces to `lines`, tagged with the client's index, from a thread of its own.
pub(crate) fn forward_lines<R: Read + Send + 'static>(
    pipe: Option<R>,
    index: usize,
    lines: Sender<(usize, String)>,
) {
    let Some(pipe) = pipe else {
        return;
    };
    thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut buffer = Vec::new();
        // A read error ends this client's transcript early; its exit code still counts.
        while reader
            .read_until(b'\n', &mut buffer)
            .is_ok_and(|read| read > 0)
        {
            let line = String::from_utf8_lossy(&buffer).trim_end().to_owned();
            buffer.clear();
            if lines.send((index, line)).is_err() {
                break;
            }
        }
    });
}

pub(crate) fn describe(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exited with code {code}"),
        None => format!("ended abnormally ({status})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Client {
        Client {
            label: "client 1".into(),
            local_id: 1,
            window_position: "0,0",
        }
    }

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn a_received_chat_line_passes() {
        let transcript = lines(
            "Godot Engine v4.6\n[demo 76561197960265729] received chat from 76561197960265730: \"hi\"\n",
        );
        assert!(transcript_problems(&client(), &transcript).is_empty());
    }

    #[test]
    fn a_missing_reply_or_a_script_error_fails() {
        let silent = lines("[demo 76561197960265729] sent chat: \"hello\"\n");
        assert_eq!(transcript_problems(&client(), &silent).len(), 1);
        let broken = lines(
            "SCRIPT ERROR: Invalid call.\n[demo 76561197960265729] received chat from 76561197960265730: \"hi\"\n",
        );
        assert_eq!(transcript_problems(&client(), &broken).len(), 1);
    }

    #[test]
    fn another_clients_line_does_not_count() {
        let transcript =
            lines("[demo 76561197960265730] received chat from 76561197960265729: \"hi\"\n");
        assert_eq!(transcript_problems(&client(), &transcript).len(), 1);
    }
}
