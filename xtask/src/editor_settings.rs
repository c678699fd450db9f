//! The `editor_settings` suite: every setting under Project Settings → Steam → Networking Messages, as the
//! editor saves it into `project.godot`, reaches the backend.
//!
//! `tests/godot-editor-settings/` holds the project file in the editor's own format and the suite script; they
//! are copied into a fresh project under `target/` with the staged addon. The suite runs twice: with no user
//! arguments (every saved value is in force), and with `--steam-broadcast=false` (a user argument beats the
//! saved value, and the saved backend and local ID start the local backend without a LAN broadcast).

use std::fs;
use std::path::Path;

use crate::addon;
use crate::godot::Godot;
use crate::suite::{self, SuiteOutcome};

const FIXTURE: &str = "tests/godot-editor-settings";
const SCRIPT: &str = "test_editor_settings.gd";

pub fn run(root: &Path, godot: &Godot, addon: &Path, logs: &Path) -> SuiteOutcome {
    let prepared =
        suite::fresh_project(root, "editor-settings-project", addon).and_then(|project| {
            let fixture = root.join(FIXTURE);
            for (from, to) in [
                (fixture.join("project.godot"), "project.godot"),
                (fixture.join(SCRIPT), SCRIPT),
                (
                    root.join(suite::TEST_PROJECT).join("lib/check.gd"),
                    "check.gd",
                ),
            ] {
                fs::copy(&from, project.join(to))
                    .map_err(|error| format!("copying {}: {error}", from.display()))?;
            }
            addon::register_extension(&project)?;
            Ok(project)
        });
    let project = match prepared {
        Ok(project) => project,
        Err(error) => return SuiteOutcome::broken(format!("cannot prepare the project: {error}")),
    };
    let script = project.join(SCRIPT);
    let mut outcome = SuiteOutcome::default();
    for (run, args) in [
        ("saved", Vec::new()),
        ("argument", vec!["--steam-broadcast=false".to_owned()]),
    ] {
        let log_path = logs.join(format!("editor_settings.{run}.log"));
        let child = suite::start_suite(godot, &project, &script, &log_path, &args);
        outcome.absorb(run, suite::finish_suite(child, &log_path, &script));
    }
    outcome
}
