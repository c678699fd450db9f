//! Lobby values as GodotSteam hands them to GDScript.

use godot::builtin::{GString, VarArray, VarDictionary};
use godot::meta::ToGodot;

use crate::steam_types::SteamId;

/// `getAllLobbyData`'s dictionary: `{0: {"index": 0, "key": k, "value": v}, 1: ...}` in key order.
pub fn all_lobby_data(entries: &[(String, String)]) -> VarDictionary {
    let mut all = VarDictionary::new();
    for (index, (key, value)) in entries.iter().enumerate() {
        let mut entry = VarDictionary::new();
        entry.set("index", index as i64);
        entry.set("key", &GString::from(key.as_str()));
        entry.set("value", &GString::from(value.as_str()));
        all.set(index as i64, &entry);
    }
    all
}

/// `lobby_match_list`'s untyped array of lobby IDs.
pub fn lobby_ids(lobbies: &[SteamId]) -> VarArray {
    let mut array = VarArray::new();
    for lobby in lobbies {
        array.push(&lobby.to_gdscript().to_variant());
    }
    array
}

/// A chat message's text as GodotSteam reads it: UTF-8 up to the first NUL (GodotSteam's senders end their
/// text with one; Godot's decoder stops there).
pub fn chat_text(body: &[u8]) -> GString {
    let text = body.split(|&byte| byte == 0).next().unwrap_or_default();
    GString::from(String::from_utf8_lossy(text).as_ref())
}

/// `getLobbyGameServer`'s dictionary: `{"ret": false}`, or `ret` true with `ip`, `port` and `id`.
pub fn game_server(server: Option<&crate::lobby::wire::GameServer>) -> VarDictionary {
    let mut dictionary = VarDictionary::new();
    dictionary.set("ret", server.is_some());
    if let Some(server) = server {
        dictionary.set("ip", &GString::from(server.ip.as_str()));
        dictionary.set("port", i64::from(server.port));
        dictionary.set("id", server.steam_id as i64);
    }
    dictionary
}
