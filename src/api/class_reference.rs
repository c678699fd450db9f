//! The editor's class reference (F1 → `SteamNetworkingMessages`), in the editor library only (feature
//! `editor-docs`, which turns on gdext's `register-docs`).
//!
//! gdext turns the class's, functions' and signals' doc comments into the class XML and hands it to the editor.
//! Our constants are registered by hand under GodotSteam's enum names (see [`super::constants`]), which gdext's
//! documentation does not see, so this adds their descriptions from [`crate::constants::GROUPS`] and hands the
//! completed XML to the editor again; the later load replaces the earlier one.

use std::fmt::Write;

use crate::constants::GROUPS;

/// The class's XML as gdext built it, completed with the constants' descriptions; `None` if gdext has no
/// documentation for the class.
pub fn class_xml(gdext_documents: impl IntoIterator<Item = String>, class: &str) -> Option<String> {
    let marker = format!("<class name=\"{class}\"");
    let document = gdext_documents
        .into_iter()
        .find(|document| document.contains(&marker))?;
    Some(with_constants(&document))
}

/// Adds a `<constant>` entry, with its description, for every constant in [`GROUPS`].
fn with_constants(document: &str) -> String {
    let mut entries = String::new();
    for group in GROUPS {
        for (name, value, description) in group.constants {
            let enum_attribute = group
                .enum_name
                .map_or_else(String::new, |name| format!(" enum=\"{name}\""));
            let _ = writeln!(
                entries,
                "<constant name=\"{name}\" value=\"{value}\"{enum_attribute}>{}</constant>",
                escape(description)
            );
        }
    }
    if let Some(end) = document.find("</constants>") {
        format!("{}{entries}{}", &document[..end], &document[end..])
    } else if let Some(members) = document.find("<members>") {
        format!(
            "{}<constants>\n{entries}</constants>\n{}",
            &document[..members],
            &document[members..]
        )
    } else if let Some(end) = document.rfind("</class>") {
        format!(
            "{}<constants>\n{entries}</constants>\n{}",
            &document[..end],
            &document[end..]
        )
    } else {
        document.to_owned()
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Hands the completed class XML to the editor's help. Call at the editor stage, after gdext has registered
/// its own version.
#[cfg(feature = "editor-docs")]
pub fn register() {
    let class = <super::SteamNetworkingMessages as godot::obj::GodotClass>::class_id().to_string();
    let Some(xml) = class_xml(godot::docs::__gather_xml_docs(), &class) else {
        log::warn!("no class reference was built for {class}");
        return;
    };
    // SAFETY: called on the main thread at the editor stage, with the binding initialised; the buffer is valid
    // UTF-8 of the given length (Godot copies it).
    unsafe {
        godot::sys::interface_fn!(editor_help_load_xml_from_utf8_chars_and_len)(
            xml.as_ptr().cast::<std::ffi::c_char>(),
            xml.len() as i64,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GDEXT_DOCUMENT: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<class name=\"SteamNetworkingMessages\" \
        inherits=\"Object\">\n<brief_description>b</brief_description>\n<description>d</description>\n\
        <methods></methods>\n\n<signals></signals>\n<members></members>\n</class>";

    #[test]
    fn every_constant_gets_a_described_entry_under_its_enum() {
        let xml = class_xml([GDEXT_DOCUMENT.to_owned()], "SteamNetworkingMessages").unwrap();
        let count: usize = GROUPS.iter().map(|group| group.constants.len()).sum();
        assert_eq!(xml.matches("<constant name=").count(), count);
        assert!(xml.contains(
            "<constant name=\"RESULT_OK\" value=\"1\" enum=\"Result\">Success: for [method sendMessageToUser], the message was queued.</constant>"
        ));
        assert!(xml.contains("<constant name=\"MAX_STEAM_PACKET_SIZE\" value=\"524288\">"));
        let constants = xml.find("<constants>").unwrap();
        assert!(constants < xml.find("<members>").unwrap());
    }

    #[test]
    fn the_constants_join_a_block_gdext_already_wrote() {
        let document = GDEXT_DOCUMENT.replace(
            "<signals>",
            "<constants><constant name=\"A\" value=\"1\">a</constant></constants>\n<signals>",
        );
        let xml = class_xml([document], "SteamNetworkingMessages").unwrap();
        assert_eq!(xml.matches("<constants>").count(), 1);
        assert!(xml.contains("<constant name=\"A\""));
        assert!(xml.contains("<constant name=\"RESULT_OK\""));
    }

    #[test]
    fn other_classes_documents_are_not_taken() {
        let other = GDEXT_DOCUMENT.replace("SteamNetworkingMessages", "Other");
        assert!(class_xml([other], "SteamNetworkingMessages").is_none());
    }

    #[test]
    fn descriptions_are_escaped_for_xml() {
        assert_eq!(escape("a < b & \"c\""), "a &lt; b &amp; &quot;c&quot;");
    }
}
