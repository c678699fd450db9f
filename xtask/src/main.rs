//! `cargo xtask`: the project's tasks, in Rust so they run wherever cargo does.
//!
//! - `build [--release] [--target windows-x86_64|linux-arm64|macos-universal]`: builds the extension and
//!   installs it with `libsteam_api` into the addon's `bin/` (Windows and Linux arm64 cross-built on Linux;
//!   the universal macOS library on a Mac).
//! - `install --project PATH`: the release addon copied into a Godot project and registered there.
//! - `test`: Rust tests, then the GDScript suites in a real headless Godot (provisioned if missing).
//! - `demo [--headless] [--multiplayer]`: two demo clients on the local backend, or with `--multiplayer` a host
//!   and two clients of Godot's multiplayer over `SteamMessagesMultiplayerPeer`.
//! - `bench [--quick] [--only NAME]`: benchmarks against Godot's own ENet, written to `target/bench/`.
//! - `package [--skip-windows] [--skip-linux-arm64]`: the release zip in `target/dist/`, checked as a user
//!   would meet it.
//! - `fuzz [--seconds N]`: bounded fuzzing of the network parsers and session rules.

mod addon;
mod bench;
mod cargo_build;
mod class_reference;
mod debian_rust;
mod demo;
mod demo_multiplayer;
mod editor_settings;
mod fuzz;
mod godot;
mod godotsteam_like;
mod linux_arm64;
mod macos;
mod netns;
mod package;
mod process;
mod quick_start;
mod soak;
mod steam_path;
mod steam_stand_in;
mod suite;
mod suites;
mod windows;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Tasks for godot-steam-messages")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Build the extension and install it into addons/godot_steam_messages/bin/.
    Build {
        /// Optimised build (what games should ship).
        #[arg(long)]
        release: bool,
        /// Build for another platform than this machine's: `windows-x86_64` or `linux-arm64` (cross-built
        /// on Linux), or `macos-universal` (Apple silicon and Intel in one library, on a Mac).
        #[arg(long, value_parser = ["windows-x86_64", "linux-arm64", "macos-universal"])]
        target: Option<String>,
    },
    /// The download for users: target/dist/godot-steam-messages-<version>.zip with every platform built here,
    /// then checked (layout, a Quick start from the unpacked zip, the class reference, the Windows DLL under
    /// Wine and the Linux arm64 library under qemu-user).
    Package {
        /// Leave out the Windows build (it needs the cross toolchain, provisioned on first use).
        #[arg(long)]
        skip_windows: bool,
        /// Leave out the Linux arm64 build (cross-built here; the release workflow builds it natively).
        #[arg(long)]
        skip_linux_arm64: bool,
        /// A folder of `<platform>/` library folders built elsewhere (the release workflow's), added to `bin/`.
        #[arg(long)]
        prebuilt: Option<PathBuf>,
    },
    /// Build the addon and install it into a Godot project, registered so that `Steam` resolves at once.
    Install {
        /// The Godot project's folder (the one holding project.godot).
        #[arg(long)]
        project: PathBuf,
        /// Install a debug build instead of the release build games ship.
        #[arg(long)]
        debug: bool,
    },
    /// Run every test: cargo test, then the GDScript suites in headless Godot.
    Test {
        /// Test the release build of the extension.
        #[arg(long)]
        release: bool,
        /// Only run GDScript suites whose file name contains this text.
        #[arg(long)]
        filter: Option<String>,
        /// Skip `cargo test` (the Rust unit tests).
        #[arg(long)]
        skip_rust: bool,
    },
    /// Two demo clients on the local backend: windows side by side, or the scripted exchange headless.
    Demo {
        /// Run the scripted exchange headless and check its transcript (the default without a display).
        #[arg(long)]
        headless: bool,
        /// The multiplayer demo instead: a host and two clients over `SteamMessagesMultiplayerPeer`
        /// (`godot-project/multiplayer/`), with a spawner, synchronizers and chat by RPC.
        #[arg(long)]
        multiplayer: bool,
    },
    /// Benchmarks of the GDScript API on the release build against Godot's own ENet, in headless Godot.
    Bench {
        /// A short run (seconds), as CI does so the benchmarks cannot rot.
        #[arg(long)]
        quick: bool,
        /// Only the benchmark scripts whose name contains this text (throughput, cost, latency, sessions,
        /// leak, multiplayer); the Criterion benchmark is then skipped.
        #[arg(long)]
        only: Option<String>,
    },
    /// Fuzz every network parser and the session rules for a bounded time (installs cargo-fuzz if needed).
    Fuzz {
        /// Seconds per target.
        #[arg(long, default_value_t = 30)]
        seconds: u32,
    },
    /// A long run with steady traffic and session churn: memory must stay flat (not part of `test`).
    Soak {
        #[arg(long, default_value_t = 10)]
        minutes: u32,
        #[arg(long)]
        release: bool,
    },
    /// Print the Godot command the tests use, provisioning Godot if needed.
    Godot,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = workspace_root();
    let outcome = match cli.task {
        Task::Build { release, target } => match target.as_deref() {
            Some("windows-x86_64") => windows::build(&root, release),
            Some("linux-arm64") => linux_arm64::build(&root, release),
            Some("macos-universal") => macos::build_universal(&root, release),
            _ => addon::build(&root, release),
        },
        Task::Package {
            skip_windows,
            skip_linux_arm64,
            prebuilt,
        } => package::run(&root, skip_windows, skip_linux_arm64, prebuilt.as_deref()),
        Task::Install { project, debug } => addon::install(&root, &project, !debug),
        Task::Test {
            release,
            filter,
            skip_rust,
        } => suites::run_all(&root, release, filter.as_deref(), skip_rust),
        Task::Demo {
            headless,
            multiplayer,
        } => demo::run(&root, headless, multiplayer),
        Task::Bench { quick, only } => bench::run(&root, quick, only.as_deref()),
        Task::Fuzz { seconds } => fuzz::run(&root, seconds),
        Task::Soak { minutes, release } => soak::run(&root, minutes, release),
        Task::Godot => godot::ensure_godot(&root).map(|godot| {
            println!("Godot {}: {:?}", godot.version, godot.command());
        }),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: the parent of this crate's folder.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in a subfolder of the workspace")
        .to_path_buf()
}
