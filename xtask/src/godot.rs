//! Finding, or provisioning, a Godot 4 (4.5 or newer) that can run headless tests.
//!
//! [`ensure_godot`] tries, in order:
//!
//! 1. `$GODOT`, if set (it must report 4.5 or newer);
//! 2. `godot` on `PATH`, if its `--version` is 4.5 or newer;
//! 3. Debian unstable's `godot` package, provisioned into `<workspace>/.cache/godot/`.
//!
//! Provisioning downloads the package together with its *complete* dependency closure
//! (glibc included) through a private apt configuration, without touching the system's
//! apt state or installing anything, and unpacks the `.deb`s with `dpkg-deb -x`. The
//! binary is then started through the unpacked dynamic loader
//! (`ld-linux-*.so --library-path <private libs> <godot>`), so a Godot built against
//! Debian unstable's newer glibc runs on older Debian-based systems such as bookworm.
//! The mirror is the one the machine's apt already uses (read from `/etc/apt`), or
//! `$GODOT_DEBIAN_MIRROR` if set. A marker file is written only after the unpacked Godot
//! answered `--version`, so an interrupted run simply provisions again; once the marker
//! exists, later calls need no network and only a few `stat`s.

use std::env;
use std::ffi::OsString;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Oldest Godot the tests support (the extension is built against the 4.5 API).
const MIN_VERSION: (u32, u32) = (4, 5);
/// Upper bound for `godot --version`, so a broken or interactive `godot` cannot hang us.
const VERSION_TIMEOUT: Duration = Duration::from_secs(60);
/// Debian suite and package that carry a recent enough Godot.
const DEBIAN_SUITE: &str = "unstable";
const DEBIAN_PACKAGE: &str = "godot";
/// Overrides the Debian mirror URI otherwise taken from the system's apt sources.
const MIRROR_ENV: &str = "GODOT_DEBIAN_MIRROR";
/// Where Debian keeps the archive signing keys (package `debian-archive-keyring`).
const DEBIAN_KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";

/// How to start Godot: program plus leading args (e.g. the dynamic loader and
/// `--library-path ...`).
///
/// For a provisioned Godot, `program` is the unpacked `ld-linux-*.so` and `prefix_args`
/// are `--library-path <dirs> <path to the godot ELF>`. Two consequences:
/// - the loader ignores `$LD_LIBRARY_PATH`. Libraries a GDExtension links against
///   (e.g. `libsteam_api.so`) must be found through an `$ORIGIN` RUNPATH on the extension,
///   which is what exported games need too;
/// - inside Godot, `OS.get_executable_path()` names the loader, not Godot.
#[derive(Debug, Clone)]
pub struct Godot {
    /// The executable to spawn (Godot itself, or the dynamic loader of a provisioned Godot).
    pub program: PathBuf,
    /// Arguments that must precede Godot's own arguments.
    pub prefix_args: Vec<OsString>,
    /// Godot's `--version` output, e.g. `4.6.3.stable.debian4.6.3+ds-3`.
    pub version: String,
}

impl Godot {
    /// A Command ready for extra args (e.g. `.arg("--headless")`), in the caller's environment: the demo
    /// honours a developer's `GODOT_STEAM_*` settings.
    pub fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.prefix_args);
        without_borrow_backtraces(&mut command);
        command
    }

    /// Like [`Godot::command`], without the caller's `GODOT_STEAM_*` variables, for tests and benchmarks:
    /// the extension reads them as settings, and a developer's own (say `GODOT_STEAM_FAKE_LOSS`) must not
    /// change what they run.
    pub fn isolated_command(&self) -> Command {
        let mut command = self.command();
        without_steam_env(&mut command);
        command
    }

    /// Like [`Godot::isolated_command`], started through `wrapper` (e.g. `ip netns exec NAME`).
    pub fn isolated_command_via(&self, wrapper: &str, wrapper_args: &[&str]) -> Command {
        let mut command = Command::new(wrapper);
        command
            .args(wrapper_args)
            .arg(&self.program)
            .args(&self.prefix_args);
        without_borrow_backtraces(&mut command);
        without_steam_env(&mut command);
        command
    }
}

/// Sets `RUST_LIB_BACKTRACE=0` unless the caller chose a value. With `RUST_BACKTRACE` set (common in a
/// developer's shell), a debug build of the extension (gdext's strict safeguards) captures a backtrace on
/// every `bind`/`bind_mut`: about 150 µs each, which made a 40,000-RPC frame take 7 s instead of 0.6 s and
/// a busy machine's frame outlast the peer's 10 s timeout. Panics still print their backtraces: the panic
/// hook reads `RUST_BACKTRACE` alone.
fn without_borrow_backtraces(command: &mut Command) {
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        command.env("RUST_LIB_BACKTRACE", "0");
    }
}

fn without_steam_env(command: &mut Command) {
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("GODOT_STEAM_") {
            command.env_remove(key);
        }
    }
}

/// Finds or provisions Godot: $GODOT if set; else `godot` on PATH if its `--version` is 4.5 or
/// newer; else provisions Debian unstable's `godot` package into `<workspace_root>/.cache/godot/`
/// (cached: a second call does no network and is fast).
///
/// `$GODOT` older than 4.5 is an error; an unusable `godot` on `PATH` is skipped with a note.
/// Provisioning prints progress to stderr and needs Linux (x86_64 or aarch64) with `apt-get`
/// and `dpkg-deb`; `$GODOT_DEBIAN_MIRROR` overrides the Debian mirror it downloads from.
pub fn ensure_godot(workspace_root: &Path) -> Result<Godot, String> {
    if let Some(program) = env::var_os("GODOT").filter(|value| !value.is_empty()) {
        let program = PathBuf::from(program);
        return with_checked_version(plain(program.clone()))
            .map_err(|e| format!("$GODOT ({}): {e}", program.display()));
    }
    if let Some(program) = find_on_path("godot") {
        match with_checked_version(plain(program.clone())) {
            Ok(godot) => return Ok(godot),
            // Not fatal: fall back to a private copy, but say why the local one was skipped.
            Err(e) => eprintln!("note: not using {}: {e}", program.display()),
        }
    }
    provision(&workspace_root.join(".cache").join("godot"))
}

/// A Godot that is started directly, without a loader in front.
fn plain(program: PathBuf) -> Godot {
    Godot {
        program,
        prefix_args: Vec::new(),
        version: String::new(),
    }
}

/// Runs `--headless --version`, fills in `version`, and rejects anything older than
/// [`MIN_VERSION`].
fn with_checked_version(mut godot: Godot) -> Result<Godot, String> {
    let mut command = godot.command();
    command.args(["--headless", "--version"]);
    let output = match output_with_timeout(command, VERSION_TIMEOUT) {
        Ok(Some(output)) => output,
        Ok(None) => {
            return Err(format!(
                "`--version` did not finish within {VERSION_TIMEOUT:?}"
            ));
        }
        Err(e) => return Err(format!("cannot run it: {e}")),
    };
    if !output.status.success() {
        return Err(format!(
            "`--version` failed ({}):\n{}",
            output.status,
            tail(&output)
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let (version, (major, minor)) = parse_version(&stdout)
        .ok_or_else(|| format!("cannot parse its `--version` output {:?}", stdout.trim()))?;
    if (major, minor) < MIN_VERSION {
        return Err(format!(
            "it is Godot {version}, but {}.{} or newer is required",
            MIN_VERSION.0, MIN_VERSION.1
        ));
    }
    godot.version = version;
    Ok(godot)
}

/// Extracts the version line and its `(major, minor)` from `godot --version` output
/// such as `4.6.3.stable.debian` (the Debian build appends the package version without a
/// separator: `4.6.3.stable.debian4.6.3+ds-3`).
fn parse_version(output: &str) -> Option<(String, (u32, u32))> {
    output.lines().map(str::trim).find_map(|line| {
        let mut parts = line.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor_digits: String = parts
            .next()?
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        Some((line.to_owned(), (major, minor_digits.parse().ok()?)))
    })
}

/// Looks `name` up on `PATH` like a shell would.
fn find_on_path(name: &str) -> Option<PathBuf> {
    let file_name = format!("{name}{}", env::consts::EXE_SUFFIX);
    env::split_paths(&env::var_os("PATH")?)
        .map(|dir| dir.join(&file_name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    let Ok(metadata) = fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        metadata.is_file() && metadata.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        metadata.is_file()
    }
}

/// Like [`Command::output`], but gives up (killing the child) after `timeout`;
/// `Ok(None)` means it timed out.
fn output_with_timeout(mut command: Command, timeout: Duration) -> io::Result<Option<Output>> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    // Drain both pipes concurrently so a chatty child cannot block on a full pipe.
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            // Best effort: the child may have exited in the meantime.
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        thread::sleep(Duration::from_millis(10));
    };
    Ok(Some(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }))
}

fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buffer = Vec::new();
        if let Some(mut pipe) = pipe {
            // A read error just truncates the diagnostics; the exit status still counts.
            let _ = pipe.read_to_end(&mut buffer);
        }
        buffer
    })
}

/// The last lines of a command's stderr and stdout, for error messages.
fn tail(output: &Output) -> String {
    const LINES: usize = 30;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(LINES);
    lines[start..]
        .iter()
        .map(|line| format!("    {line}\n"))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Provisioning from Debian unstable
// ---------------------------------------------------------------------------------------

/// Platform facts for the Debian architecture we download.
struct Target {
    /// Debian architecture name, as apt knows it.
    deb_arch: &'static str,
    /// Multiarch library directory name.
    triplet: &'static str,
    /// File name of the dynamic loader (`PT_INTERP` basename).
    loader: &'static str,
}

fn host_target() -> Result<Target, String> {
    const SET_GODOT: &str = "install Godot 4.5 or newer and set $GODOT to its path";
    if !cfg!(target_os = "linux") {
        return Err(format!(
            "no Godot 4.5+ found, and automatic provisioning only works on Debian-based Linux; {SET_GODOT}"
        ));
    }
    // The architecture xtask itself was built for is the one that can run here.
    match env::consts::ARCH {
        "x86_64" => Ok(Target {
            deb_arch: "amd64",
            triplet: "x86_64-linux-gnu",
            loader: "ld-linux-x86-64.so.2",
        }),
        "aarch64" => Ok(Target {
            deb_arch: "arm64",
            triplet: "aarch64-linux-gnu",
            loader: "ld-linux-aarch64.so.1",
        }),
        other => Err(format!(
            "no Godot 4.5+ found, and automatic provisioning supports only x86_64 and aarch64 (this is {other}); {SET_GODOT}"
        )),
    }
}

/// Paths inside `.cache/godot/`.
struct Layout {
    cache: PathBuf,
}

impl Layout {
    /// Contains the Godot version; exists only once the unpacked Godot has been verified.
    fn marker(&self) -> PathBuf {
        self.cache.join("ready")
    }
    /// The unpacked file system tree (`usr/bin/godot`, `usr/lib/...`).
    fn root(&self) -> PathBuf {
        self.cache.join("root")
    }
    /// Where a run unpacks before renaming to [`Layout::root`]; the suffix is our pid.
    fn partial_root(&self) -> PathBuf {
        self.cache
            .join(format!("{PARTIAL_PREFIX}{}", std::process::id()))
    }
    fn apt(&self) -> PathBuf {
        self.cache.join("apt")
    }
    fn apt_conf(&self) -> PathBuf {
        self.apt().join("apt.conf")
    }
    fn sources_list(&self) -> PathBuf {
        self.apt().join("sources.list")
    }
    /// Deliberately absent/empty stand-ins for the system's parts directories.
    fn empty_dir(&self) -> PathBuf {
        self.apt().join("empty.d")
    }
    fn state(&self) -> PathBuf {
        self.apt().join("state")
    }
    fn status(&self) -> PathBuf {
        self.state().join("status")
    }
    fn apt_cache(&self) -> PathBuf {
        self.apt().join("cache")
    }
    fn archives(&self) -> PathBuf {
        self.apt_cache().join("archives")
    }
    fn log(&self) -> PathBuf {
        self.apt().join("log")
    }
}

const PARTIAL_PREFIX: &str = "root.partial.";

fn provision(cache: &Path) -> Result<Godot, String> {
    let target = host_target()?;
    let layout = Layout {
        cache: cache.to_path_buf(),
    };
    if let Some(godot) = cached(&layout, &target) {
        return Ok(godot);
    }
    provision_uncached(&layout, &target).map_err(|e| {
        let mut message = format!(
            "could not provision Godot into {}: {e}",
            layout.cache.display()
        );
        if !is_root() {
            message.push_str("\n(not running as root: if apt refused, run this once as root)");
        }
        message.push_str("\nAlternatively install Godot 4.5 or newer and set $GODOT to its path.");
        message
    })
}

/// The already provisioned Godot, if the marker and the files it vouches for are present.
fn cached(layout: &Layout, target: &Target) -> Option<Godot> {
    let version = fs::read_to_string(layout.marker()).ok()?.trim().to_owned();
    if version.is_empty() {
        return None;
    }
    let mut godot = locate(&layout.root(), target).ok()?;
    godot.version = version;
    Some(godot)
}

fn provision_uncached(layout: &Layout, target: &Target) -> Result<Godot, String> {
    let started = Instant::now();
    eprintln!(
        "provisioning Godot: no $GODOT and no Godot >= {}.{} on PATH; fetching Debian {DEBIAN_SUITE}'s \
         `{DEBIAN_PACKAGE}` package into {} (one-time)",
        MIN_VERSION.0,
        MIN_VERSION.1,
        layout.cache.display()
    );
    let debs = fetch_and_unpack(layout, target, &[DEBIAN_PACKAGE], "Godot")?;
    eprintln!("provisioning Godot: verifying...");
    let godot = with_checked_version(locate(&layout.root(), target)?)
        .map_err(|e| format!("the unpacked Godot does not work: {e}"))?;
    write_atomically(&layout.marker(), &format!("{}\n", godot.version))?;
    // The unpacked tree is all we need; the .debs would only double the disk usage.
    for deb in &debs {
        let _ = fs::remove_file(deb);
    }
    eprintln!(
        "provisioning Godot: ready, Godot {} (took {:.0}s)",
        godot.version,
        started.elapsed().as_secs_f64()
    );
    Ok(godot)
}

/// Downloads `packages` from Debian unstable with their complete dependency closure (glibc included) and
/// unpacks them into `<cache>/root/`, for another toolchain than Godot (see [`crate::windows`]). Returns the
/// unpacked tree; the first call writes a marker, so later calls need no network.
pub fn provision_debian_packages(
    cache: &Path,
    packages: &[&str],
    label: &str,
) -> Result<PathBuf, String> {
    let target = host_target()?;
    let layout = Layout {
        cache: cache.to_path_buf(),
    };
    let wanted = packages.join(" ");
    if fs::read_to_string(layout.marker()).is_ok_and(|marker| marker.trim() == wanted) {
        return Ok(layout.root());
    }
    eprintln!(
        "provisioning {label}: fetching Debian {DEBIAN_SUITE}'s `{wanted}` into {} (one-time)",
        layout.cache.display()
    );
    let debs = fetch_and_unpack(&layout, &target, packages, label)?;
    write_atomically(&layout.marker(), &format!("{wanted}\n"))?;
    for deb in &debs {
        let _ = fs::remove_file(deb);
    }
    Ok(layout.root())
}

/// The dynamic loader and library directories of an unpacked tree, to start its programs with (see
/// [`locate`]): `(loader, library path)`.
pub fn unpacked_loader(root: &Path) -> Result<(PathBuf, OsString), String> {
    let target = host_target()?;
    locate_loader(root, &target)
}

/// Downloads `packages` and their dependencies through the private apt configuration and unpacks them into
/// the layout's root, swapped in at once; returns the downloaded `.deb` files.
fn fetch_and_unpack(
    layout: &Layout,
    target: &Target,
    packages: &[&str],
    label: &str,
) -> Result<Vec<PathBuf>, String> {
    remove_stale_partials(layout);
    let mirror = debian_mirror()?;
    write_apt_config(layout, target, &mirror)?;

    eprintln!(
        "provisioning {label}: updating the package index from {} ({DEBIAN_SUITE})...",
        mirror.uri
    );
    apt_get(layout, target, &["-q", "update"])?;

    let install = |options: &[&str]| {
        let mut args: Vec<&str> = options.to_vec();
        args.push("install");
        args.extend(packages);
        apt_get(layout, target, &args)
    };
    let closure = install(&["-qq", "--simulate"])
        .map(|out| parse_simulated_installs(&String::from_utf8_lossy(&out.stdout)))?;
    for wanted in packages {
        closure
            .iter()
            .find(|package| package.name == *wanted)
            .ok_or_else(|| format!("apt would not install `{wanted}` (no such package?)"))?;
    }
    // Only what is not in the private archive cache yet gets listed here.
    let uris = install(&["-qq", "--print-uris"])?;
    let (count, bytes) = download_totals(&String::from_utf8_lossy(&uris.stdout));
    eprintln!(
        "provisioning {label}: downloading {count} of {} packages ({})...",
        closure.len(),
        megabytes(bytes),
    );
    let download_started = Instant::now();
    install(&["-q", "-y", "--download-only"])?;
    eprintln!(
        "provisioning {label}: downloaded {} in {:.1}s",
        megabytes(bytes),
        download_started.elapsed().as_secs_f64()
    );

    eprintln!(
        "provisioning {label}: unpacking {} packages...",
        closure.len()
    );
    let debs: Vec<PathBuf> = closure
        .iter()
        .map(|package| layout.archives().join(package.deb_file_name()))
        .collect();
    let partial = layout.partial_root();
    remove_dir_if_exists(&partial)?;
    create_dir(&partial)?;
    for deb in &debs {
        // `dpkg-deb -x` only extracts files: no maintainer scripts, no system changes.
        run_checked(
            Command::new("dpkg-deb").arg("-x").arg(deb).arg(&partial),
            "dpkg-deb -x",
        )
        .map_err(|e| format!("{e}(while unpacking {})", deb.display()))?;
    }
    // Swap the finished tree in at once, so a half-unpacked tree is never used.
    remove_dir_if_exists(&layout.root())?;
    fs::rename(&partial, layout.root()).map_err(|e| {
        format!(
            "cannot rename {} to {}: {e}",
            partial.display(),
            layout.root().display()
        )
    })?;
    Ok(debs)
}

/// Builds the [`Godot`] for an unpacked tree: the tree's own loader, its library
/// directories, and the real `godot` ELF.
fn locate(root: &Path, target: &Target) -> Result<Godot, String> {
    let (loader, library_path) = locate_loader(root, target)?;
    let binary = resolve_inside(root, Path::new("usr/bin/godot"))
        .ok_or_else(|| format!("no usr/bin/godot under {}", root.display()))?;
    if !is_elf(&binary) {
        return Err(format!("{} is not an ELF executable", binary.display()));
    }
    // $LD_LIBRARY_PATH is deliberately not carried over (ld.so ignores it with --library-path):
    // `cargo run` points it at target/, which would hide a missing $ORIGIN runpath on the extension.
    Ok(Godot {
        program: loader,
        prefix_args: vec![
            "--library-path".into(),
            library_path,
            binary.into_os_string(),
        ],
        version: String::new(),
    })
}

/// The unpacked tree's own dynamic loader and the `--library-path` value for it.
fn locate_loader(root: &Path, target: &Target) -> Result<(PathBuf, OsString), String> {
    let (triplet, loader_name) = (target.triplet, target.loader);
    // Prefer the real file in the multiarch directory; the /lib64 style paths are symlinks.
    let loader_candidates = [
        format!("usr/lib/{triplet}/{loader_name}"),
        format!("lib/{triplet}/{loader_name}"),
        format!("usr/lib64/{loader_name}"),
        format!("lib64/{loader_name}"),
        format!("usr/lib/{loader_name}"),
        format!("lib/{loader_name}"),
    ];
    let loader = loader_candidates
        .iter()
        .find_map(|candidate| resolve_inside(root, Path::new(candidate)))
        .ok_or_else(|| format!("no {loader_name} under {}", root.display()))?;
    // libpulse finds libpulsecommon through a RUNPATH pointing at the *host's* /usr/lib,
    // hence the explicit pulseaudio entry.
    let library_dirs: Vec<PathBuf> = [
        format!("usr/lib/{triplet}"),
        format!("lib/{triplet}"),
        format!("usr/lib/{triplet}/pulseaudio"),
    ]
    .iter()
    .map(|dir| root.join(dir))
    .filter(|dir| dir.is_dir())
    .collect();
    let mut library_path = OsString::new();
    for (index, dir) in library_dirs.iter().enumerate() {
        // ld.so splits --library-path on both ':' and ';'.
        if dir.to_string_lossy().contains([':', ';']) {
            return Err(format!(
                "{} contains ':' or ';', which ld.so cannot handle",
                dir.display()
            ));
        }
        if index > 0 {
            library_path.push(":");
        }
        library_path.push(dir);
    }

    Ok((loader, library_path))
}

/// Resolves `relative` inside the unpacked `root`, following symlinks the way they would
/// resolve if `root` were `/` (absolute link targets must not escape to the host's files).
/// Returns the canonical path of a regular file inside `root`, or `None`.
fn resolve_inside(root: &Path, relative: &Path) -> Option<PathBuf> {
    let mut path = root.join(relative);
    for _ in 0..32 {
        let metadata = fs::symlink_metadata(&path).ok()?;
        if !metadata.file_type().is_symlink() {
            let real = fs::canonicalize(&path).ok()?;
            let inside = real.starts_with(fs::canonicalize(root).ok()?);
            return (metadata.is_file() && inside).then_some(real);
        }
        let link = fs::read_link(&path).ok()?;
        path = match link.strip_prefix("/") {
            Ok(from_root) => root.join(from_root),
            Err(_) => path.parent()?.join(link),
        };
    }
    None
}

fn is_elf(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut magic))
        .is_ok()
        && magic == *b"\x7fELF"
}

/// Deletes unpack directories left behind by interrupted runs (whose process is gone).
fn remove_stale_partials(layout: &Layout) {
    let Ok(entries) = fs::read_dir(&layout.cache) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|name| name.strip_prefix(PARTIAL_PREFIX))
        else {
            continue;
        };
        if !process_alive(pid) {
            // Best effort: a leftover only wastes disk space.
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether process `pid` exists and is not a zombie (a killed run may linger unreaped).
fn process_alive(pid: &str) -> bool {
    let Ok(stat) = fs::read_to_string(Path::new("/proc").join(pid).join("stat")) else {
        return false;
    };
    // Format: `pid (command) state ...`; the command may itself contain ')'.
    let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
    !state.is_some_and(|rest| rest.starts_with('Z'))
}

/// The Debian mirror to download from, and the keyring that verifies it.
struct Mirror {
    uri: String,
    keyring: Option<String>,
}

/// One `deb` entry of the system's apt sources (only the fields we need).
#[derive(Debug, PartialEq)]
struct Source {
    uri: String,
    suites: Vec<String>,
    components: Vec<String>,
    signed_by: Option<String>,
}

/// Picks the mirror: `$GODOT_DEBIAN_MIRROR`, else the system's entry for the main Debian
/// archive (component `main`, not the security archive).
fn debian_mirror() -> Result<Mirror, String> {
    let default_keyring = || {
        Path::new(DEBIAN_KEYRING)
            .is_file()
            .then(|| DEBIAN_KEYRING.to_owned())
    };
    if let Ok(uri) = env::var(MIRROR_ENV)
        && !uri.trim().is_empty()
    {
        return Ok(Mirror {
            uri: uri.trim().to_owned(),
            keyring: default_keyring(),
        });
    }
    let sources = system_sources();
    let best = sources
        .iter()
        .filter(|source| looks_like_debian_main_archive(source))
        // `min_by_key` of the reversed score: the best, and the first among equals.
        .min_by_key(|source| std::cmp::Reverse(debian_archive_score(source)))
        .ok_or_else(|| {
            let seen: Vec<&str> = sources.iter().map(|source| source.uri.as_str()).collect();
            format!(
                "found no Debian archive in the apt sources under /etc/apt (saw: {}); \
                 set ${MIRROR_ENV} to a Debian mirror URI (what precedes the suite in a `deb` line)",
                if seen.is_empty() {
                    "none".to_owned()
                } else {
                    seen.join(", ")
                }
            )
        })?;
    // Use the keyring the system trusts for that mirror; an inline key block or a missing
    // file falls back to Debian's keyring (or, failing that, apt's trusted.gpg.d).
    let keyring = best
        .signed_by
        .as_deref()
        .filter(|value| !value.contains('\n') && Path::new(value).is_file())
        .map(str::to_owned)
        .or_else(default_keyring);
    Ok(Mirror {
        uri: best.uri.clone(),
        keyring,
    })
}

fn looks_like_debian_main_archive(source: &Source) -> bool {
    let uri = source.uri.to_ascii_lowercase();
    let signed_by_debian = source
        .signed_by
        .as_deref()
        .is_some_and(|keyring| keyring.contains("debian-archive-keyring"));
    source
        .components
        .iter()
        .any(|component| component == "main")
        && !uri.contains("security")
        && !uri.starts_with("cdrom:")
        && !source.suites.iter().any(|suite| suite.contains("security"))
        && (uri.contains("debian") || signed_by_debian)
}

/// Higher is more certainly the official archive; ties keep the first entry.
fn debian_archive_score(source: &Source) -> u8 {
    let keyring = source.signed_by.as_deref().unwrap_or_default();
    let path_is_debian = source.uri.trim_end_matches('/').ends_with("/debian");
    u8::from(keyring.contains("debian-archive-keyring")) * 2 + u8::from(path_is_debian)
}

/// All `deb` entries from `/etc/apt/sources.list` and `/etc/apt/sources.list.d/`.
fn system_sources() -> Vec<Source> {
    let mut files = vec![PathBuf::from("/etc/apt/sources.list")];
    if let Ok(entries) = fs::read_dir("/etc/apt/sources.list.d") {
        let mut parts: Vec<PathBuf> = entries.flatten().map(|entry| entry.path()).collect();
        parts.sort();
        files.extend(parts);
    }
    let mut sources = Vec::new();
    for file in files {
        let Ok(text) = fs::read_to_string(&file) else {
            continue;
        };
        match file.extension().and_then(|extension| extension.to_str()) {
            Some("sources") => sources.extend(parse_deb822_sources(&text)),
            Some("list") => sources.extend(text.lines().filter_map(parse_one_line_source)),
            // Disabled or backup files (`*.disabled`, `*.save`, ...) are ignored, as apt does.
            _ => {}
        }
    }
    sources
}

/// Parses a one-line-style entry: `deb [opt=value ...] uri suite component...`.
fn parse_one_line_source(line: &str) -> Option<Source> {
    let line = line.split('#').next().unwrap_or_default();
    let mut tokens = line.split_whitespace();
    if tokens.next()? != "deb" {
        return None;
    }
    let mut signed_by = None;
    let mut token = tokens.next()?;
    if let Some(first_option) = token.strip_prefix('[') {
        // Options may be written `[a=b c=d]` or `[ a=b c=d ]`.
        let mut option = first_option;
        loop {
            let (text, last) = match option.strip_suffix(']') {
                Some(text) => (text, true),
                None => (option, false),
            };
            if let Some(("signed-by", value)) = text.split_once('=') {
                signed_by = Some(value.to_owned());
            }
            if last {
                break;
            }
            option = tokens.next()?;
        }
        token = tokens.next()?;
    }
    Some(Source {
        uri: token.to_owned(),
        suites: vec![tokens.next()?.to_owned()],
        components: tokens.map(str::to_owned).collect(),
        signed_by,
    })
}

/// Parses deb822-style `.sources` stanzas (`Types:`, `URIs:`, `Suites:`, ...).
fn parse_deb822_sources(text: &str) -> Vec<Source> {
    let mut sources = Vec::new();
    let mut fields: Vec<(String, String)> = Vec::new();
    // A trailing blank line flushes the last stanza.
    for line in text.lines().chain(std::iter::once("")) {
        if line.starts_with('#') {
            continue;
        }
        if line.trim().is_empty() {
            sources.extend(deb822_stanza_sources(&fields));
            fields.clear();
        } else if line.starts_with([' ', '\t']) {
            // Continuation line (e.g. an inline Signed-By key block).
            if let Some((_, value)) = fields.last_mut() {
                value.push('\n');
                value.push_str(line.trim());
            }
        } else if let Some((key, value)) = line.split_once(':') {
            fields.push((key.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    sources
}

fn deb822_stanza_sources(fields: &[(String, String)]) -> Vec<Source> {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let words = |name: &str| -> Vec<String> {
        field(name)
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    let enabled = field("enabled").is_none_or(|value| !value.eq_ignore_ascii_case("no"));
    if !enabled || !words("types").iter().any(|kind| kind == "deb") {
        return Vec::new();
    }
    let signed_by = field("signed-by").map(str::to_owned);
    words("uris")
        .into_iter()
        .map(|uri| Source {
            uri,
            suites: words("suites"),
            components: words("components"),
            signed_by: signed_by.clone(),
        })
        .collect()
}

/// Writes the private apt configuration: a sources list with only Debian unstable `main`,
/// an empty dpkg status (so apt resolves the *whole* dependency closure), and a config
/// file that neutralises system settings that would leak into, or out of, the private setup.
fn write_apt_config(layout: &Layout, target: &Target, mirror: &Mirror) -> Result<(), String> {
    for dir in [
        layout.state().join("lists").join("partial"),
        layout.archives().join("partial"),
        layout.log(),
        layout.empty_dir(),
    ] {
        create_dir(&dir)?;
    }
    let mut options = Vec::new();
    if let Some(keyring) = &mirror.keyring {
        options.push(format!("signed-by={keyring}"));
    }
    // Only the package lists: no translations, no AppStream (DEP-11) metadata, ...
    options.push("target=Packages".to_owned());
    let sources = format!(
        "deb [{}] {} {DEBIAN_SUITE} main\n",
        options.join(" "),
        mirror.uri
    );
    write_atomically(&layout.sources_list(), &sources)?;
    write_atomically(&layout.status(), "")?;
    let arch = target.deb_arch;
    let conf = format!(
        "// Written by xtask (godot.rs): private apt setup that downloads Debian {DEBIAN_SUITE}'s \
         `{DEBIAN_PACKAGE}`.\n\
         // Hooks meant for the system's apt state must not run for this private one.\n\
         #clear APT::Update::Pre-Invoke;\n\
         #clear APT::Update::Post-Invoke;\n\
         #clear APT::Update::Post-Invoke-Success;\n\
         #clear DPkg::Pre-Invoke;\n\
         #clear DPkg::Post-Invoke;\n\
         #clear DPkg::Pre-Install-Pkgs;\n\
         // Pins and foreign architectures of the system do not apply here.\n\
         #clear APT::Default-Release;\n\
         #clear APT::Architectures;\n\
         APT::Architectures {{ \"{arch}\"; }};\n"
    );
    write_atomically(&layout.apt_conf(), &conf)
}

/// Runs `apt-get` with the private configuration; output is captured and shown on failure.
fn apt_get(layout: &Layout, target: &Target, args: &[&str]) -> Result<Output, String> {
    let dirs = [
        // Paths go on the command line rather than into apt.conf to avoid quoting issues.
        ("Dir::Etc::SourceList", layout.sources_list()),
        ("Dir::Etc::SourceParts", layout.empty_dir()),
        (
            "Dir::Etc::Preferences",
            layout.empty_dir().join("preferences"),
        ),
        ("Dir::Etc::PreferencesParts", layout.empty_dir()),
        ("Dir::State", layout.state()),
        ("Dir::State::status", layout.status()),
        ("Dir::Cache", layout.apt_cache()),
        ("Dir::Log", layout.log()),
    ];
    let settings = [
        ("APT::Architecture", target.deb_arch),
        ("APT::Install-Recommends", "false"),
        ("APT::Install-Suggests", "false"),
        // As root, apt downloads as user `_apt`, which may not be able to write to the
        // workspace; it would warn and fall back to root anyway.
        ("APT::Sandbox::User", "root"),
    ];
    let mut options: Vec<OsString> = vec!["-c".into(), layout.apt_conf().into()];
    let values = dirs
        .iter()
        .map(|(key, path)| (*key, path.as_os_str()))
        .chain(
            settings
                .iter()
                .map(|(key, value)| (*key, std::ffi::OsStr::new(value))),
        );
    for (key, value) in values {
        let mut option = OsString::from(format!("{key}="));
        option.push(value);
        options.extend(["-o".into(), option]);
    }

    let mut command = Command::new("apt-get");
    command.args(&options).args(args).env("LC_ALL", "C");
    let output = run_checked(&mut command, &format!("apt-get {}", args.join(" ")))?;
    // Surface apt's warnings (e.g. about signatures) even when it succeeded.
    for line in String::from_utf8_lossy(&output.stderr).lines() {
        if line.starts_with("W:") || line.starts_with("E:") {
            eprintln!("provisioning Godot: apt: {line}");
        }
    }
    Ok(output)
}

/// Runs a command to completion, capturing its output; a failure becomes an `Err` with the
/// tail of the output.
fn run_checked(command: &mut Command, what: &str) -> Result<Output, String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `{what}`: {e}{}", missing_tool_hint(&e)))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(format!(
            "`{what}` failed ({}):\n{}",
            describe(output.status),
            tail(&output)
        ))
    }
}

fn missing_tool_hint(error: &io::Error) -> &'static str {
    if error.kind() == io::ErrorKind::NotFound {
        " (provisioning needs apt-get and dpkg-deb, i.e. a Debian-based system)"
    } else {
        ""
    }
}

fn describe(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exit code {code}"),
        None => status.to_string(),
    }
}

/// A package apt would install, from `apt-get --simulate` output.
#[derive(Debug)]
struct Package {
    name: String,
    version: String,
    arch: String,
}

impl Package {
    /// The file name apt gives the downloaded package in its archive cache
    /// (`name_version_arch.deb`, with the epoch colon escaped as `%3a`).
    fn deb_file_name(&self) -> String {
        format!(
            "{}_{}_{}.deb",
            self.name,
            self.version.replace(':', "%3a"),
            self.arch
        )
    }
}

/// Parses lines like `Inst libc6 (2.43-7 Debian:unstable [amd64])`.
fn parse_simulated_installs(output: &str) -> Vec<Package> {
    output
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("Inst ")?;
            let (name, rest) = rest.split_once(' ')?;
            let inner = rest.split_once('(')?.1.rsplit_once(')')?.0;
            let version = inner.split_whitespace().next()?;
            let arch = inner.rsplit_once('[')?.1.strip_suffix(']')?;
            // Multiarch spelling `name:arch` is not part of the file name.
            let name = name.split(':').next()?;
            Some(Package {
                name: name.to_owned(),
                version: version.to_owned(),
                arch: arch.to_owned(),
            })
        })
        .collect()
}

/// Counts packages and bytes in `apt-get --print-uris` output (`'uri' file size hash`).
fn download_totals(output: &str) -> (usize, u64) {
    output
        .lines()
        .filter(|line| line.starts_with('\''))
        .filter_map(|line| line.split_whitespace().nth(2)?.parse::<u64>().ok())
        .fold((0, 0), |(count, bytes), size| (count + 1, bytes + size))
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn create_dir(dir: &Path) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

fn remove_dir_if_exists(dir: &Path) -> Result<(), String> {
    match fs::remove_dir_all(dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            Err(format!("cannot remove {}: {e}", dir.display()))
        }
        _ => Ok(()),
    }
}

/// Writes via a temporary file and a rename, so readers never see a partial file.
fn write_atomically(path: &Path, contents: &str) -> Result<(), String> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".tmp{}", std::process::id()));
    let temporary = PathBuf::from(temporary);
    fs::write(&temporary, contents)
        .and_then(|()| fs::rename(&temporary, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Whether we run as root (only used to word error messages).
pub fn is_root() -> bool {
    fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|line| line.strip_prefix("Uid:"))
            .and_then(|uids| uids.split_whitespace().next())
            == Some("0")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        assert_eq!(
            parse_version("4.6.3.stable.debian4.6.3+ds-3"),
            Some(("4.6.3.stable.debian4.6.3+ds-3".to_owned(), (4, 6)))
        );
        assert_eq!(
            parse_version("some warning\n4.5.stable.official.876b29033\n").map(|v| v.1),
            Some((4, 5))
        );
        assert_eq!(
            parse_version("3.5.2.stable.official").map(|v| v.1),
            Some((3, 5))
        );
        assert_eq!(parse_version("4.10-beta1").map(|v| v.1), Some((4, 10)));
        assert_eq!(parse_version("Godot Engine\n"), None);
    }

    #[test]
    fn parses_one_line_sources() {
        let source = parse_one_line_source(
            "deb [ arch=amd64 signed-by=/usr/share/keyrings/k.gpg ] http://m.example/debian bookworm main contrib # x",
        );
        assert_eq!(
            source,
            Some(Source {
                uri: "http://m.example/debian".into(),
                suites: vec!["bookworm".into()],
                components: vec!["main".into(), "contrib".into()],
                signed_by: Some("/usr/share/keyrings/k.gpg".into()),
            })
        );
        assert_eq!(
            parse_one_line_source("deb-src http://m.example/debian bookworm main"),
            None
        );
        assert_eq!(
            parse_one_line_source("# deb http://m.example/debian bookworm main"),
            None
        );
        let plain =
            parse_one_line_source("deb http://m.example/debian sid main").map(|s| s.signed_by);
        assert_eq!(plain, Some(None));
    }

    #[test]
    fn picks_main_archive_from_deb822() {
        let text = "Types: deb\n# a comment inside the stanza\nURIs: http://m.example/debian\n\
                    Suites: bookworm bookworm-updates\nComponents: main\n\
                    Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n\
                    Types: deb\nURIs: http://m.example/debian-security\nSuites: bookworm-security\n\
                    Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n\
                    Types: deb\nURIs: http://off.example/debian\nSuites: sid\nComponents: main\nEnabled: no\n";
        let sources = parse_deb822_sources(text);
        assert_eq!(sources.len(), 2);
        let main: Vec<_> = sources
            .iter()
            .filter(|s| looks_like_debian_main_archive(s))
            .collect();
        assert_eq!(main.len(), 1);
        assert_eq!(main[0].uri, "http://m.example/debian");
    }

    #[test]
    fn parses_simulated_installs() {
        let output = "Inst libc6 (2.43-7 Debian:unstable [amd64])\nConf libc6 (2.43-7 Debian:unstable [amd64])\n\
                      Inst zlib1g (1:1.3.dfsg+really1.3.2-4 Debian:unstable [amd64])\n";
        let packages = parse_simulated_installs(output);
        assert_eq!(packages.len(), 2);
        assert_eq!(
            packages[1].deb_file_name(),
            "zlib1g_1%3a1.3.dfsg+really1.3.2-4_amd64.deb"
        );
    }

    #[test]
    fn sums_download_sizes() {
        let output = "'http://m/a.deb' a_1_amd64.deb 100 MD5Sum:x\n'http://m/b.deb' b_1_all.deb 23 MD5Sum:y\n";
        assert_eq!(download_totals(output), (2, 123));
    }
}
