//! `cargo build` of one package's library, reading cargo's JSON messages for what it built: the one way the
//! xtask builds the extension and the test tree's libraries.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What one `cargo build --message-format=json` reported.
pub struct Reported {
    messages: Vec<serde_json::Value>,
}

impl Reported {
    /// The shared library (`.so`, `.dll`, `.dylib`) built for the library target `target_name`.
    pub fn shared_library(&self, target_name: &str) -> Option<PathBuf> {
        self.messages
            .iter()
            .filter(|message| {
                message["reason"] == "compiler-artifact" && message["target"]["name"] == target_name
            })
            .flat_map(|message| message["filenames"].as_array().into_iter().flatten())
            .filter_map(|name| name.as_str())
            .find(|name| is_shared_library(name))
            .map(PathBuf::from)
    }

    /// The `OUT_DIR` of the build script of the package whose ID contains `package`.
    pub fn build_script_out_dir(&self, package: &str) -> Option<PathBuf> {
        self.messages
            .iter()
            .filter(|message| {
                message["reason"] == "build-script-executed"
                    && message["package_id"]
                        .as_str()
                        .is_some_and(|id| id.contains(package))
            })
            .find_map(|message| message["out_dir"].as_str().map(PathBuf::from))
    }
}

/// `cargo build --package <package> --lib [--release]` in `root`, announced as building `what`; diagnostics go
/// to the terminal as usual.
pub fn build_library(
    root: &Path,
    package: &str,
    release: bool,
    what: &str,
) -> Result<Reported, String> {
    build_library_for(root, package, release, what, None)
}

/// [`build_library`] for the Rust target triple `target` (this machine's when `None`), with a standard
/// library rustup has for it.
pub fn build_library_for(
    root: &Path,
    package: &str,
    release: bool,
    what: &str,
    target: Option<&str>,
) -> Result<Reported, String> {
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    cargo
        .current_dir(root)
        .args(["build", "--package", package, "--lib"])
        .arg("--message-format=json-render-diagnostics")
        .stdout(Stdio::piped());
    if release {
        cargo.arg("--release");
    }
    if let Some(target) = target {
        cargo.args(["--target", target]);
    }
    eprintln!(
        "building {what} ({})...",
        if release { "release" } else { "debug" }
    );
    let mut child = cargo
        .spawn()
        .map_err(|error| format!("cannot run cargo: {error}"))?;
    let stdout = child.stdout.take().ok_or("cargo gave no output")?;
    let mut messages = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|error| format!("reading cargo output: {error}"))?;
        if let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) {
            messages.push(message);
        }
    }
    let status = child
        .wait()
        .map_err(|error| format!("waiting for cargo: {error}"))?;
    if !status.success() {
        return Err(format!("cargo build of {what} failed"));
    }
    Ok(Reported { messages })
}

fn is_shared_library(name: &str) -> bool {
    [".so", ".dll", ".dylib"]
        .iter()
        .any(|extension| name.ends_with(extension))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reported(lines: &[&str]) -> Reported {
        Reported {
            messages: lines
                .iter()
                .map(|line| serde_json::from_str(line).unwrap())
                .collect(),
        }
    }

    #[test]
    fn the_shared_library_of_the_named_target_is_found() {
        let cargo = reported(&[
            r#"{"reason":"compiler-artifact","target":{"name":"steam_api_stand_in"},"filenames":["/t/debug/libsteam_api_stand_in.rlib","/t/debug/libsteam_api_stand_in.so"]}"#,
            r#"{"reason":"compiler-artifact","target":{"name":"messages_engine"},"filenames":["/t/x.so"]}"#,
        ]);
        assert_eq!(
            cargo.shared_library("steam_api_stand_in"),
            Some(PathBuf::from("/t/debug/libsteam_api_stand_in.so"))
        );
        assert_eq!(cargo.shared_library("other"), None);
    }

    #[test]
    fn a_build_scripts_out_dir_is_found_by_package() {
        let cargo = reported(&[
            r#"{"reason":"build-script-executed","package_id":"registry+https://github.com/rust-lang/crates.io-index#steamworks-sys@0.13.0","out_dir":"/t/build/steamworks-sys-1/out"}"#,
        ]);
        assert_eq!(
            cargo.build_script_out_dir("steamworks-sys"),
            Some(PathBuf::from("/t/build/steamworks-sys-1/out"))
        );
        assert_eq!(cargo.build_script_out_dir("godot"), None);
    }
}
