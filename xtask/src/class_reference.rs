//! The `class_reference` suite: what the editor's help (F1) shows for `SteamNetworkingMessages`.
//!
//! `tests/godot-class-reference/` is a project with one editor plugin, which opens the class's help page in a
//! real (headless) editor as F1 does and prints the page's text. The page must describe the class and every
//! member, name GodotSteam's calls, signals and constants, and show no BBCode that failed to render.
//!
//! Godot's `--doctool --gdextension-docs` cannot serve here: it writes empty templates from ClassDB for C++
//! authors to fill, whatever documentation the extension registers at run time.

use std::fs;
use std::path::{Path, PathBuf};

use crate::addon;
use crate::godot::Godot;
use crate::process;
use crate::suite::{self, SUITE_TIMEOUT, SuiteOutcome};

const FIXTURE: &str = "tests/godot-class-reference";
const PLUGIN: &str = "addons/read_class_reference";
const BEGIN: &str = "CLASS REFERENCE BEGIN";
const END: &str = "CLASS REFERENCE END";
/// What Godot's help page shows for a member without a description.
const NO_DESCRIPTION: &str = "There is currently no description";

/// Names the page must show whatever else it has: GodotSteam's calls, signals and a few constants.
const REQUIRED_NAMES: &[&str] = &[
    "acceptSessionWithUser",
    "closeChannelWithUser",
    "closeSessionWithUser",
    "getSessionConnectionInfo",
    "receiveMessagesOnChannel",
    "sendMessageToUser",
    "steamInit",
    "steamInitEx",
    "network_messages_session_request",
    "network_messages_session_failed",
    "NETWORKING_SEND_RELIABLE",
    "RESULT_OK",
    "CONNECTION_STATE_CONNECTED",
    "MAX_STEAM_PACKET_SIZE",
];
/// Markup that means a description's BBCode or Markdown did not render.
const UNRENDERED_MARKUP: &[&str] = &[
    "[code]", "[/code]", "[i]", "[/i]", "[b]", "[method ", "[param ",
];

pub fn run(root: &Path, godot: &Godot, addon: &Path, logs: &Path) -> SuiteOutcome {
    let result = prepare(root, addon).and_then(|project| check_project(godot, &project, logs));
    SuiteOutcome::from_result(result)
}

/// A new project holding the fixture and the addon, registered.
fn prepare(root: &Path, addon: &Path) -> Result<PathBuf, String> {
    let project = suite::fresh_project(root, "class-reference-project", addon)?;
    install_fixture(root, &project)?;
    addon::register_extension(&project)?;
    Ok(project)
}

/// Copies the reading plugin and its project file into `project` (which has the addon already).
pub fn install_fixture(root: &Path, project: &Path) -> Result<(), String> {
    let fixture = root.join(FIXTURE);
    let plugin = project.join(PLUGIN);
    fs::create_dir_all(&plugin)
        .map_err(|error| format!("creating {}: {error}", plugin.display()))?;
    for file in [
        "project.godot",
        "addons/read_class_reference/plugin.cfg",
        "addons/read_class_reference/plugin.gd",
    ] {
        fs::copy(fixture.join(file), project.join(file))
            .map_err(|error| format!("copying {file}: {error}"))?;
    }
    Ok(())
}

/// Opens the editor on `project` (the addon and the fixture installed) and checks the help page it shows.
///
/// Godot's editor merges an extension's documentation into its help only when it starts with its own
/// documentation cache present; the very first editor start of a Godot version builds that cache and shows
/// extension classes undocumented. So a page without descriptions is read again from a second start, as a
/// user would see it after restarting the editor; a second start must show everything.
pub fn check_project(godot: &Godot, project: &Path, logs: &Path) -> Result<(), String> {
    let mut problems = Vec::new();
    for attempt in 1..=2 {
        let log = logs.join(format!("class_reference.editor{attempt}.log"));
        let mut command = godot.isolated_command();
        command
            .args(["--headless", "--editor", "--path"])
            .arg(project);
        let code =
            process::wait_with_timeout(process::spawn_logged(command, &log)?, SUITE_TIMEOUT)?;
        let text = fs::read_to_string(&log).unwrap_or_default();
        let Some(page) = help_page(&text) else {
            return Err(format!(
                "the editor printed no help page (exit code {code}; log: {})",
                log.display()
            ));
        };
        problems = page_problems(page);
        problems.extend(
            text.lines()
                .filter(|line| {
                    suite::FATAL_LOG_MARKERS
                        .iter()
                        .any(|marker| line.contains(marker))
                })
                .map(|line| format!("editor start {attempt}: {}", line.trim())),
        );
        let undocumented = problems
            .iter()
            .any(|problem| problem.contains(NO_DESCRIPTION));
        if problems.is_empty() || !undocumented {
            break;
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("the class reference page: {}", problems.join("; ")))
    }
}

/// The page text the plugin printed between its markers.
fn help_page(log: &str) -> Option<&str> {
    let start = log.find(BEGIN)? + BEGIN.len();
    let end = log[start..].find(END)? + start;
    Some(&log[start..end])
}

/// What is wrong with the help page's text: undocumented members, missing names, markup left raw.
pub fn page_problems(page: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let undocumented = page.matches(NO_DESCRIPTION).count();
    if undocumented > 0 {
        problems.push(format!("{undocumented} entries say \"{NO_DESCRIPTION}\""));
    }
    for name in REQUIRED_NAMES {
        if !page.contains(name) {
            problems.push(format!("{name} is missing"));
        }
    }
    if !page.contains("Description") {
        problems.push("the class has no description".to_owned());
    }
    for markup in UNRENDERED_MARKUP {
        if let Some(at) = page.find(markup) {
            let context: String = page[at.saturating_sub(60)..].chars().take(120).collect();
            problems.push(format!(
                "unrendered {markup}: …{}…",
                context.replace('\n', " ")
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(extra: &str) -> String {
        format!(
            "Class: SteamNetworkingMessages\nDescription\n{}\n{extra}",
            REQUIRED_NAMES.join("\n")
        )
    }

    #[test]
    fn a_fully_described_page_passes() {
        assert_eq!(page_problems(&page("")), Vec::<String>::new());
    }

    #[test]
    fn an_undescribed_member_is_reported() {
        let problems = page_problems(&page("There is currently no description for this method."));
        assert_eq!(problems.len(), 1, "{problems:?}");
    }

    #[test]
    fn a_missing_function_is_reported() {
        let problems = page_problems(&page("").replace("sendMessageToUser", "other"));
        assert_eq!(problems, vec!["sendMessageToUser is missing".to_owned()]);
    }

    #[test]
    fn raw_markup_is_reported() {
        let problems = page_problems(&page("a CONNECTION_END_[i] value"));
        assert_eq!(problems.len(), 1, "{problems:?}");
    }

    #[test]
    fn the_page_is_read_between_the_markers() {
        let log = format!("noise\n{BEGIN}\npage\n{END}\nmore");
        assert_eq!(help_page(&log), Some("\npage\n"));
        assert_eq!(help_page("no page"), None);
    }
}
