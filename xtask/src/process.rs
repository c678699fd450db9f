//! Child processes of the xtask: started with their output in a log file, waited for with a deadline, and
//! killed when it passes.

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Starts `command` with no input and its output (both streams) in a new file at `log`.
pub fn spawn_logged(mut command: Command, log: &Path) -> Result<Child, String> {
    let file =
        fs::File::create(log).map_err(|error| format!("creating {}: {error}", log.display()))?;
    let file_err = file
        .try_clone()
        .map_err(|error| format!("sharing {}: {error}", log.display()))?;
    let program = command.get_program().to_string_lossy().into_owned();
    command
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(file_err)
        .spawn()
        .map_err(|error| format!("cannot start {program}: {error}"))
}

/// Waits for `child`, killing it after `timeout`; its exit code.
pub fn wait_with_timeout(mut child: Child, timeout: Duration) -> Result<i32, String> {
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status.code().unwrap_or(-1)),
            Ok(None) if started.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "timed out after {}s and was killed",
                    timeout.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(error) => return Err(format!("waiting for the process: {error}")),
        }
    }
}

/// Kills every child still running and reaps it; used on timeouts and failed starts.
pub fn kill_all<'a>(children: impl IntoIterator<Item = &'a mut Child>) {
    for child in children {
        // It may have exited in the meantime, which is what we want anyway.
        let _ = child.kill();
        let _ = child.wait();
    }
}
