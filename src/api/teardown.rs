//! Whether the extension is being unloaded: until then the singleton refuses to be freed.

use std::sync::atomic::{AtomicBool, Ordering};

static STARTED: AtomicBool = AtomicBool::new(false);

/// Marks the start of the extension's teardown: from now on the singleton may be freed.
pub fn start() {
    STARTED.store(true, Ordering::SeqCst);
}

/// Whether the teardown has started.
pub fn started() -> bool {
    STARTED.load(Ordering::SeqCst)
}
