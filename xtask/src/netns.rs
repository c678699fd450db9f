//! The lossy-link suite for real: two Godot processes in their own network namespaces, joined by a veth pair
//! whose receivers drop 20% of packets (iptables `statistic`). The harness cuts the link (iptables DROP)
//! when both report `PHASE cut-ready` and restores it when both report `PHASE failed-seen`.
//!
//! Needs root, `ip` and `iptables` (CI installs Debian's iptables); elsewhere it is skipped, saying so.

use std::fs;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::godot::Godot;
use crate::process;
use crate::suite::{SuiteOutcome, check_log};

const SCRIPT: &str = "res://netns/netns_link.gd";
const TIMEOUT: Duration = Duration::from_secs(400);
const LOSS: &str = "0.2";
/// Addresses inside our own namespaces only.
const ADDRESS_A: &str = "10.213.7.1";
const ADDRESS_B: &str = "10.213.7.2";
const LOCAL_ID_A: u32 = 60;
const LOCAL_ID_B: u32 = 61;
const BASE_STEAM_ID: u64 = 76_561_197_960_265_728;
const BASE_PORT: u32 = 47_500;

/// Why the suite cannot run here, if it cannot. As root on a Debian-like machine without `ip` or `iptables`,
/// installs them first (Debian packages iproute2 and iptables), saying so.
pub fn unavailable() -> Option<String> {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0");
    if !root {
        return Some(
            "needs root for network namespaces; run `sudo cargo xtask test --filter netns_link` \
             with iproute2 and iptables installed to include it"
                .into(),
        );
    }
    let missing = || {
        ["ip", "iptables"].into_iter().find(|tool| {
            !Command::new(tool)
                .arg("-V")
                .output()
                .is_ok_and(|output| output.status.success())
        })
    };
    if missing().is_some() {
        install_tools();
    }
    missing()
        .map(|tool| format!("needs `{tool}`: install the Debian packages iproute2 and iptables"))
}

/// `apt-get install iproute2 iptables`, where apt-get exists; its failure leaves the suite skipped.
fn install_tools() {
    let has_apt = Command::new("apt-get")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    if !has_apt {
        return;
    }
    eprintln!("installing iproute2 and iptables with apt-get for the network-namespace suite...");
    let quiet = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(std::process::Stdio::null())
            .output()
            .is_ok_and(|output| output.status.success())
    };
    let installed = quiet(&["update", "-qq"])
        && quiet(&[
            "install",
            "-y",
            "-qq",
            "--no-install-recommends",
            "iproute2",
            "iptables",
        ]);
    if !installed {
        eprintln!("apt-get could not install them");
    }
}

/// Two namespaces and a veth pair, removed again on drop.
struct Link {
    a: String,
    b: String,
}

impl Link {
    fn create() -> Result<Self, String> {
        let id = std::process::id() % 100_000;
        let link = Self {
            a: format!("gsm-a-{id}"),
            b: format!("gsm-b-{id}"),
        };
        let (veth_a, veth_b) = (format!("gsma{id}"), format!("gsmb{id}"));
        let steps: Vec<Vec<String>> = vec![
            words(&format!("ip netns add {}", link.a)),
            words(&format!("ip netns add {}", link.b)),
            words(&format!(
                "ip link add {veth_a} type veth peer name {veth_b}"
            )),
            words(&format!("ip link set {veth_a} netns {}", link.a)),
            words(&format!("ip link set {veth_b} netns {}", link.b)),
            words(&format!(
                "ip -n {} addr add {ADDRESS_A}/24 dev {veth_a}",
                link.a
            )),
            words(&format!(
                "ip -n {} addr add {ADDRESS_B}/24 dev {veth_b}",
                link.b
            )),
            words(&format!("ip -n {} link set {veth_a} up", link.a)),
            words(&format!("ip -n {} link set {veth_b} up", link.b)),
            words(&format!("ip -n {} link set lo up", link.a)),
            words(&format!("ip -n {} link set lo up", link.b)),
        ];
        for step in steps {
            run(&step)?;
        }
        for namespace in [&link.a, &link.b] {
            run(&words(&format!(
                "ip netns exec {namespace} iptables -A INPUT -m statistic --mode random --probability {LOSS} -j DROP"
            )))?;
        }
        Ok(link)
    }

    fn cut(&self, cut: bool) -> Result<(), String> {
        let action = if cut { "-I INPUT 1" } else { "-D INPUT" };
        for namespace in [&self.a, &self.b] {
            run(&words(&format!(
                "ip netns exec {namespace} iptables {action} -j DROP"
            )))?;
        }
        Ok(())
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        for namespace in [&self.a, &self.b] {
            let _ = run(&words(&format!("ip netns del {namespace}")));
        }
    }
}

fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

fn run(command: &[String]) -> Result<(), String> {
    let output = Command::new(&command[0])
        .args(&command[1..])
        .output()
        .map_err(|error| format!("{}: {error}", command.join(" ")))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{} failed: {}",
            command.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

fn start(
    godot: &Godot,
    project: &Path,
    namespace: &str,
    log: &Path,
    args: &[String],
) -> Result<Child, String> {
    let mut command = godot.isolated_command_via("ip", &["netns", "exec", namespace]);
    command
        .arg("--headless")
        .arg("--path")
        .arg(project)
        .args(["-s", SCRIPT, "--"])
        .args(args);
    process::spawn_logged(command, log).map_err(|error| format!("in {namespace}: {error}"))
}

fn both_logs_have(logs: &[&Path; 2], line: &str) -> bool {
    logs.iter().all(|log| {
        fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .any(|text| text.trim() == line)
    })
}

/// Runs the suite; the outcome counts both processes' checks.
pub fn run_suite(godot: &Godot, project: &Path, logs_dir: &Path) -> SuiteOutcome {
    let mut outcome = SuiteOutcome::default();
    let link = match Link::create() {
        Ok(link) => link,
        Err(error) => {
            outcome.problems.push(error);
            return outcome;
        }
    };
    let id = |local: u32| BASE_STEAM_ID + u64::from(local);
    let args = |role: &str, me: u32, peer: u32, bind: &str, peer_address: &str| -> Vec<String> {
        vec![
            "--steam-backend=local".into(),
            format!("--role={role}"),
            format!("--steam-local-id={me}"),
            format!("--peer-local-id={peer}"),
            format!("--steam-bind={bind}"),
            format!(
                "--steam-peer={}@{peer_address}:{}",
                id(peer),
                BASE_PORT + peer
            ),
        ]
    };
    let log_a = logs_dir.join("netns_link.a.log");
    let log_b = logs_dir.join("netns_link.b.log");
    let children = start(
        godot,
        project,
        &link.a,
        &log_a,
        &args("a", LOCAL_ID_A, LOCAL_ID_B, ADDRESS_A, ADDRESS_B),
    )
    .and_then(|a| {
        start(
            godot,
            project,
            &link.b,
            &log_b,
            &args("b", LOCAL_ID_B, LOCAL_ID_A, ADDRESS_B, ADDRESS_A),
        )
        .map(|b| (a, b))
    });
    let (mut a, mut b) = match children {
        Ok(children) => children,
        Err(error) => {
            outcome.problems.push(error);
            return outcome;
        }
    };
    let logs = [log_a.as_path(), log_b.as_path()];
    let started = Instant::now();
    let mut phase = 0;
    let mut exit_codes = [None, None];
    while exit_codes.iter().any(Option::is_none) {
        if started.elapsed() > TIMEOUT {
            process::kill_all([&mut a, &mut b]);
            outcome
                .problems
                .push(format!("timed out after {}s", TIMEOUT.as_secs()));
            break;
        }
        if phase == 0 && both_logs_have(&logs, "PHASE cut-ready") {
            if let Err(error) = link.cut(true) {
                outcome.problems.push(error);
            }
            phase = 1;
        } else if phase == 1 && both_logs_have(&logs, "PHASE failed-seen") {
            if let Err(error) = link.cut(false) {
                outcome.problems.push(error);
            }
            phase = 2;
        }
        for (index, child) in [&mut a, &mut b].into_iter().enumerate() {
            if exit_codes[index].is_none()
                && let Ok(Some(status)) = child.try_wait()
            {
                exit_codes[index] = Some(status.code().unwrap_or(-1));
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    for (role, log, code) in [("a", &log_a, exit_codes[0]), ("b", &log_b, exit_codes[1])] {
        let mut part = SuiteOutcome::default();
        check_log(&fs::read_to_string(log).unwrap_or_default(), &mut part);
        if let Some(code) = code.filter(|&code| code != 0) {
            part.problems.push(format!("Godot exited with code {code}"));
        }
        outcome.tally.passed += part.tally.passed;
        outcome.tally.failed += part.tally.failed;
        outcome.problems.extend(
            part.problems
                .into_iter()
                .map(|problem| format!("[{role}] {problem}")),
        );
    }
    drop(link);
    outcome
}
