//! The editor's class reference (F1 → `SteamNetworkingMessages`, `SteamMessagesMultiplayerPeer`).
//!
//! Each page comes from `doc_classes/<class>.xml`, embedded in the library and handed to the editor at the
//! editor stage. Those files are generated from the doc comments of the classes, their functions, properties
//! and signals by gdext's `register-docs` (feature `class-reference-source`, only for regenerating them);
//! `SteamNetworkingMessages`' is completed with the constants' descriptions from [`crate::constants::GROUPS`]:
//! our constants are registered by hand under GodotSteam's enum names, which gdext's documentation does not
//! see. A test fails when a file is out of date (`UPDATE_CLASS_REFERENCE=1` rewrites them).
//!
//! Why not let gdext register the documentation itself: it would do so in every library that has it (and warn
//! in exported games), and always at load. An editor that finds the addon in its first scan loads it late;
//! `godot --headless --import` then quits with a documentation refresh still queued, which runs after the
//! editor freed its documentation and crashes once any extension documentation was loaded (Godot bugs
//! #111048/#111645, see `lib.rs`). So the page is handed over only when the library loads with the editor.

use std::fmt::Write;

use crate::constants::GROUPS;

/// The class's XML as gdext built it, completed with the constants' descriptions; `None` if gdext has no
/// documentation for the class.
pub fn class_xml(gdext_documents: impl IntoIterator<Item = String>, class: &str) -> Option<String> {
    gdext_document(gdext_documents, class).map(|document| with_constants(&document))
}

/// The class's XML as gdext built it; `None` if gdext has no documentation for the class.
fn gdext_document(
    gdext_documents: impl IntoIterator<Item = String>,
    class: &str,
) -> Option<String> {
    let marker = format!("<class name=\"{class}\"");
    gdext_documents
        .into_iter()
        .find(|document| document.contains(&marker))
}

/// Adds a `<constant>` entry, with its description, for every constant in [`GROUPS`].
fn with_constants(document: &str) -> String {
    let mut entries = String::new();
    for group in GROUPS {
        for (name, value, description) in group.constants {
            let enum_attribute = match group.enum_name {
                Some(name) if group.is_bitfield() => {
                    format!(" enum=\"{name}\" is_bitfield=\"true\"")
                }
                Some(name) => format!(" enum=\"{name}\""),
                None => String::new(),
            };
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

/// The class reference the editor shows, as generated (see the module's documentation).
pub const CLASS_XML: &str = include_str!("../../doc_classes/SteamNetworkingMessages.xml");
/// The multiplayer peer's page, as generated.
pub const PEER_CLASS_XML: &str = include_str!("../../doc_classes/SteamMessagesMultiplayerPeer.xml");
/// Every page the library hands to the editor, by class.
pub const CLASS_DOCUMENTS: [(&str, &str); 2] = [
    ("SteamNetworkingMessages", CLASS_XML),
    ("SteamMessagesMultiplayerPeer", PEER_CLASS_XML),
];

/// Hands [`CLASS_XML`] to the editor's help. Call at the editor stage. Skipped when the editor is already
/// running (the library was found by a scan and loaded late): the page then appears from the next start.
pub fn register() {
    use godot::obj::Singleton;
    // The main loop starts after the editor stage when the library loads with the editor.
    if godot::classes::Engine::singleton()
        .get_main_loop()
        .is_some()
    {
        log::info!(
            "loaded after the editor started: the class reference appears from the next start"
        );
        return;
    }
    // SAFETY: called on the main thread at the editor stage, with the binding initialised; the buffer is valid
    // UTF-8 of the given length, and Godot copies it.
    for (_, xml) in CLASS_DOCUMENTS {
        unsafe {
            godot::sys::interface_fn!(editor_help_load_xml_from_utf8_chars_and_len)(
                xml.as_ptr().cast::<std::ffi::c_char>(),
                xml.len() as i64,
            );
        }
    }
}

/// The class XML of `class` built from the doc comments now (gdext's documentation, plus the constants for
/// `SteamNetworkingMessages`).
#[cfg(feature = "class-reference-source")]
pub fn generated_xml(class: &str) -> Option<String> {
    let documents = godot::docs::__gather_xml_docs();
    if class == "SteamNetworkingMessages" {
        class_xml(documents, class)
    } else {
        gdext_document(documents, class)
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
    fn flags_godotsteam_binds_as_a_bitfield_are_marked_as_one() {
        let xml = class_xml([GDEXT_DOCUMENT.to_owned()], "SteamNetworkingMessages").unwrap();
        assert!(xml.contains(
            "<constant name=\"CHAT_MEMBER_STATE_CHANGE_LEFT\" value=\"2\" enum=\"ChatMemberStateChange\" is_bitfield=\"true\">"
        ));
        assert!(
            xml.contains("<constant name=\"LOBBY_TYPE_PUBLIC\" value=\"2\" enum=\"LobbyType\">")
        );
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

    /// Regenerate with `UPDATE_CLASS_REFERENCE=1 cargo test --lib --features class-reference-source`.
    #[cfg(feature = "class-reference-source")]
    #[test]
    fn the_embedded_class_reference_is_generated_from_the_current_doc_comments() {
        for (class, embedded) in CLASS_DOCUMENTS {
            let generated = generated_xml(class).expect("gdext documented the class");
            if std::env::var_os("UPDATE_CLASS_REFERENCE").is_some() {
                let path = format!("{}/doc_classes/{class}.xml", env!("CARGO_MANIFEST_DIR"));
                std::fs::write(path, &generated).unwrap();
                continue;
            }
            assert!(
                generated == embedded,
                "doc_classes/{class}.xml is out of date: run \
                 UPDATE_CLASS_REFERENCE=1 cargo test --lib --features class-reference-source"
            );
        }
    }

    #[test]
    fn the_embedded_class_reference_documents_the_class() {
        assert!(CLASS_XML.contains("<class name=\"SteamNetworkingMessages\""));
        assert!(CLASS_XML.contains("<method name=\"sendMessageToUser\""));
        assert!(CLASS_XML.contains("<constant name=\"RESULT_OK\""));
    }

    #[test]
    fn descriptions_are_escaped_for_xml() {
        assert_eq!(escape("a < b & \"c\""), "a &lt; b &amp; &quot;c&quot;");
    }
}
