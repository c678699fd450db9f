//! `cargo xtask fuzz`: a bounded coverage-guided fuzzing run (cargo-fuzz / libFuzzer) of every target in
//! `fuzz/`, starting from the committed seed corpus.

use std::path::Path;
use std::process::Command;

/// The fuzz targets, as named in `fuzz/Cargo.toml`.
const TARGETS: &[&str] = &[
    "wire_decode",
    "session_rules",
    "config_sources",
    "network_sessions",
    "multiplayer_protocol",
];

pub fn run(root: &Path, seconds: u32) -> Result<(), String> {
    ensure_cargo_fuzz()?;
    let fuzz_dir = root.join("fuzz");
    for target in TARGETS {
        eprintln!("fuzzing {target} for {seconds}s...");
        let corpus = fuzz_dir.join("corpus").join(target);
        // libFuzzer refuses a missing corpus directory, and git keeps no empty one.
        std::fs::create_dir_all(&corpus)
            .map_err(|error| format!("cannot create {}: {error}", corpus.display()))?;
        let status = Command::new(cargo())
            .current_dir(&fuzz_dir)
            // cargo-fuzz needs nightly flags; the stable toolchain accepts them under this switch.
            .env("RUSTC_BOOTSTRAP", "1")
            .args(["fuzz", "run", target])
            .arg(&corpus)
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .status()
            .map_err(|error| format!("cannot run cargo fuzz: {error}"))?;
        if !status.success() {
            return Err(format!(
                "fuzz target {target} failed: see fuzz/artifacts/{target}/ for the input"
            ));
        }
    }
    println!("fuzz: {} passed, 0 failed", TARGETS.len());
    Ok(())
}

/// Installs cargo-fuzz from crates.io when it is missing.
fn ensure_cargo_fuzz() -> Result<(), String> {
    let present = Command::new(cargo())
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|output| output.status.success());
    if present {
        return Ok(());
    }
    eprintln!("installing cargo-fuzz...");
    let status = Command::new(cargo())
        .args(["install", "cargo-fuzz", "--locked"])
        .status()
        .map_err(|error| format!("cannot run cargo install: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err("installing cargo-fuzz failed".into())
    }
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}
