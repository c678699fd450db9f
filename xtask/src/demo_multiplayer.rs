//! `cargo xtask demo --multiplayer`: the demo project's multiplayer scene
//! (`godot-project/multiplayer/multiplayer.tscn`), Godot's high-level multiplayer over
//! `SteamMessagesMultiplayerPeer`: a host (local ID 1) and two clients (local IDs 2 and 3) on the offline "local"
//! backend. The host's `MultiplayerSpawner` gives each player an avatar it owns, replicated by a
//! `MultiplayerSynchronizer`; chat goes to everyone by RPC.
//!
//! - **Windowed** (when a display is available and `--headless` is not given): three small windows side by side;
//!   move your avatar with the arrow keys, chat, then close the windows.
//! - **Headless** (`--headless`, or no display): the host starts first; once it prints that it is hosting, the
//!   clients join. Each instance runs the scene's scripted exchange (`--mp-script`): it says hello and moves its
//!   avatar to a spot given by its Steam ID, and exits once it has seen every other avatar there and every other
//!   player's chat. Their output is printed as one transcript, each line prefixed with its instance. The run
//!   fails after [`HEADLESS_TIMEOUT`] (all are killed), if an instance exits non-zero or reports a script error,
//!   or if a transcript lacks an avatar or a chat of every other player, or its finish.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::demo::{
    DEMO_PROJECT, LOCAL_STEAM_ID_BASE, describe, forward_lines, has_display, run_windows,
};
use crate::{addon, godot, process, suite};

/// The multiplayer scene, passed to Godot as its scene to run.
const SCENE: &str = "res://multiplayer/multiplayer.tscn";
/// Longest the headless run may take before every instance is killed (the scene's own deadline is 90 s).
const HEADLESS_TIMEOUT: Duration = Duration::from_secs(120);
/// Window size of each instance in the windowed demo.
const WINDOW_SIZE: &str = "440x440";
/// What the host prints once it hosts; the clients start then.
const HOSTING: &str = "hosting as Steam ID";
/// Transcript lines each instance must show once per other player.
const SAW_AVATAR: &str = "saw avatar of peer ";
const RECEIVED_CHAT: &str = "received chat from peer ";
/// The line an instance prints when its exchange is complete.
const FINISHED: &str = "] finished";

/// One instance: the host or a client.
#[derive(Debug, Clone)]
struct Player {
    /// `host`, `client 2` or `client 3`, the prefix of its transcript lines.
    label: String,
    local_id: u64,
    /// Where its window goes in the windowed demo.
    window_position: &'static str,
}

impl Player {
    fn steam_id(&self) -> u64 {
        LOCAL_STEAM_ID_BASE + self.local_id
    }
}

fn players() -> [Player; 3] {
    [
        Player {
            label: "host".into(),
            local_id: 1,
            window_position: "20,60",
        },
        Player {
            label: "client 2".into(),
            local_id: 2,
            window_position: "480,60",
        },
        Player {
            label: "client 3".into(),
            local_id: 3,
            window_position: "940,60",
        },
    ]
}

/// Runs the multiplayer demo on `addon`; a headless run writes its transcript to `transcript`.
pub fn play(
    godot: &godot::Godot,
    root: &Path,
    addon: &Path,
    headless: bool,
    transcript: &mut dyn Write,
) -> Result<(), String> {
    let project = root.join(DEMO_PROJECT);
    addon::link_into_project(root, &project, addon)?;
    let players = players();
    if headless {
        run_headless(godot, &project, &players, transcript)
    } else if has_display() {
        run_windowed(godot, &project, &players)
    } else {
        eprintln!(
            "no display ($DISPLAY and $WAYLAND_DISPLAY are unset): running the scripted multiplayer demo headless"
        );
        run_headless(godot, &project, &players, transcript)
    }
}

/// The command that starts `player` on the multiplayer scene: the host when `host` is `None`, else a client of
/// `host`.
fn player_command(
    godot: &godot::Godot,
    project: &Path,
    player: &Player,
    host: Option<&Player>,
    godot_args: &[&str],
    user_args: &[&str],
) -> Command {
    let mut command = godot.command();
    command
        .arg("--path")
        .arg(project)
        .args(godot_args)
        .arg(SCENE)
        .arg("--")
        .arg("--steam-backend=local")
        .arg(format!("--steam-local-id={}", player.local_id))
        .arg(format!("--mp-players={}", players().len()))
        .args(host.map(|host| format!("--mp-host={}", host.steam_id())))
        .args(user_args)
        .stdin(Stdio::null());
    command
}

/// The host, then the clients, as windows side by side; returns once all are closed.
fn run_windowed(godot: &godot::Godot, project: &Path, players: &[Player]) -> Result<(), String> {
    let host = &players[0];
    let commands = players.iter().enumerate().map(|(index, player)| {
        let godot_args = [
            "--position",
            player.window_position,
            "--resolution",
            WINDOW_SIZE,
        ];
        let host = (index > 0).then_some(host);
        let command = player_command(godot, project, player, host, &godot_args, &[]);
        (player.label.clone(), command)
    });
    let announcement = format!(
        "demo: three windows are open (host Steam ID {}, clients {} and {}); close them to finish",
        players[0].steam_id(),
        players[1].steam_id(),
        players[2].steam_id()
    );
    run_windows(commands.collect(), &announcement)
}

/// Every instance headless and scripted, the host first; writes their merged output to `out` and checks it.
fn run_headless(
    godot: &godot::Godot,
    project: &Path,
    players: &[Player],
    out: &mut dyn Write,
) -> Result<(), String> {
    let (lines, received) = mpsc::channel::<(usize, String)>();
    let width = players
        .iter()
        .map(|player| player.label.len())
        .max()
        .unwrap_or(0);
    let mut transcripts = vec![Vec::new(); players.len()];
    let mut write_line = |index: usize, line: String, transcripts: &mut Vec<Vec<String>>| {
        // A transcript that cannot be written is no reason to stop the exchange.
        let _ = writeln!(out, "{:<width$} | {line}", players[index].label);
        transcripts[index].push(line);
    };
    let deadline = Instant::now() + HEADLESS_TIMEOUT;
    let mut children: Vec<Child> = Vec::new();
    let mut problems = Vec::new();
    for (index, player) in players.iter().enumerate() {
        let host = (index > 0).then(|| &players[0]);
        let mut command = player_command(
            godot,
            project,
            player,
            host,
            &["--headless"],
            &["--mp-script"],
        );
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(error) => {
                process::kill_all(children.iter_mut());
                return Err(format!("cannot start Godot for {}: {error}", player.label));
            }
        };
        forward_lines(child.stdout.take(), index, lines.clone());
        forward_lines(child.stderr.take(), index, lines.clone());
        children.push(child);
        if index == 0 {
            // The clients join once the host is up, so none waits out a connection attempt to nobody.
            let hosting = wait_for_host(&received, &mut children[0], deadline, |index, line| {
                write_line(index, line, &mut transcripts)
            });
            if let Err(problem) = hosting {
                problems.push(problem);
                break;
            }
        }
    }
    // Only the reader threads hold senders now, so the channel closes once every process's output has ended.
    drop(lines);

    let mut timed_out = false;
    if problems.is_empty() {
        loop {
            match received.recv_timeout(Duration::from_millis(100)) {
                Ok((index, line)) => write_line(index, line, &mut transcripts),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {}
            }
            if !timed_out && Instant::now() >= deadline {
                timed_out = true;
                process::kill_all(children.iter_mut());
            }
        }
    } else {
        process::kill_all(children.iter_mut());
        while let Ok((index, line)) = received.recv_timeout(Duration::from_secs(1)) {
            write_line(index, line, &mut transcripts);
        }
    }

    if timed_out {
        problems.push(format!(
            "the exchange did not finish within {} s; every instance was killed",
            HEADLESS_TIMEOUT.as_secs()
        ));
    }
    let started = children.len();
    for ((player, mut child), transcript) in players.iter().zip(children).zip(&transcripts) {
        match child.wait() {
            Ok(status) if status.success() => {}
            Ok(status) => problems.push(format!("{} {}", player.label, describe(status))),
            Err(error) => problems.push(format!("waiting for {}: {error}", player.label)),
        }
        problems.extend(transcript_problems(player, players.len(), transcript));
    }
    if started < players.len() {
        problems.push(format!(
            "only {started} of {} instances were started",
            players.len()
        ));
    }
    if problems.is_empty() {
        let _ = writeln!(
            out,
            "demo: every player saw every other avatar at its spot and every other chat, and exited cleanly"
        );
        Ok(())
    } else {
        Err(format!(
            "the headless multiplayer demo failed: {}",
            problems.join("; ")
        ))
    }
}

/// Passes lines to `write` until the host (index 0) prints that it is hosting; an error if it exits first or
/// the deadline passes.
fn wait_for_host(
    received: &Receiver<(usize, String)>,
    host: &mut Child,
    deadline: Instant,
    mut write: impl FnMut(usize, String),
) -> Result<(), String> {
    loop {
        match received.recv_timeout(Duration::from_millis(100)) {
            Ok((index, line)) => {
                let hosting = index == 0 && line.contains(HOSTING);
                write(index, line);
                if hosting {
                    return Ok(());
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                return Err("the host's output ended before it hosted".into());
            }
        }
        if let Ok(Some(status)) = host.try_wait() {
            return Err(format!("the host {} before hosting", describe(status)));
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "the host did not start hosting within {} s",
                HEADLESS_TIMEOUT.as_secs()
            ));
        }
    }
}

/// What is wrong with one instance's output: script errors, or a missing avatar, chat or finish.
fn transcript_problems(player: &Player, players: usize, transcript: &[String]) -> Vec<String> {
    let mut problems: Vec<String> = transcript
        .iter()
        .filter(|line| {
            // Any error of the addon's in a clean run is a fault (players leaving at the end included).
            line.contains(ADDON_ERROR)
                || suite::FATAL_LOG_MARKERS
                    .iter()
                    .any(|marker| line.contains(marker))
        })
        .map(|line| format!("{} reported: {}", player.label, line.trim()))
        .collect();
    let own_prefix = format!("[mp {}]", player.steam_id());
    let own: Vec<&str> = transcript
        .iter()
        .filter(|line| line.starts_with(&own_prefix))
        .map(String::as_str)
        .collect();
    let others = players - 1;
    for (what, marker) in [("avatars", SAW_AVATAR), ("chats", RECEIVED_CHAT)] {
        let seen = peers_named(&own, marker);
        if seen.len() < others {
            problems.push(format!(
                "{} saw the {what} of {} of the {others} other players",
                player.label,
                seen.len()
            ));
        }
    }
    if !own.iter().any(|line| line.contains(FINISHED)) {
        problems.push(format!("{} never finished its exchange", player.label));
    }
    problems
}

/// The distinct peer IDs that follow `marker` in `lines`.
fn peers_named(lines: &[&str], marker: &str) -> BTreeSet<u64> {
    lines
        .iter()
        .filter_map(|line| {
            let rest = &line[line.find(marker)? + marker.len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect()
}

/// How Godot prints an error the addon pushed.
const ADDON_ERROR: &str = "ERROR: [STEAM]";

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    const COMPLETE: &str = "\
[mp 76561197960265729] hosting as Steam ID 76561197960265729, peer 1
[mp 76561197960265729] received chat from peer 55: \"hello from peer 55\"
[mp 76561197960265729] saw avatar of peer 55 at (50, 110)
[mp 76561197960265729] received chat from peer 77: \"hello from peer 77\"
[mp 76561197960265729] saw avatar of peer 77 at (150, 40)
[mp 76561197960265729] finished
";

    #[test]
    fn a_complete_transcript_passes() {
        let host = &players()[0];
        assert!(transcript_problems(host, 3, &lines(COMPLETE)).is_empty());
    }

    #[test]
    fn a_missing_peer_a_script_error_or_no_finish_fails() {
        let host = &players()[0];
        let one_avatar = COMPLETE.replace("saw avatar of peer 77", "saw avatar of peer 55");
        assert_eq!(transcript_problems(host, 3, &lines(&one_avatar)).len(), 1);
        let broken = format!("SCRIPT ERROR: Invalid call.\n{COMPLETE}");
        assert_eq!(transcript_problems(host, 3, &lines(&broken)).len(), 1);
        let unfinished = COMPLETE.replace("] finished", "] FAILED: late");
        assert_eq!(transcript_problems(host, 3, &lines(&unfinished)).len(), 1);
    }

    #[test]
    fn an_error_of_the_addon_fails() {
        let host = &players()[0];
        let error =
            format!("{COMPLETE}ERROR: [STEAM] put_packet: no connected peer for target 55\n");
        assert_eq!(transcript_problems(host, 3, &lines(&error)).len(), 1);
    }

    #[test]
    fn another_instances_lines_do_not_count() {
        let client = &players()[1];
        assert_eq!(transcript_problems(client, 3, &lines(COMPLETE)).len(), 3);
    }
}
