//! User arguments and environment text: configuration parsing never panics.
#![no_main]

use messages_engine::backend::config::{ConfigSources, resolve};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut sources = ConfigSources::default();
    for (index, part) in text.split('\n').enumerate() {
        match index % 3 {
            0 => sources.args.push(part.to_owned()),
            1 => {
                sources.env.insert("GODOT_STEAM_PEERS".into(), part.to_owned());
            }
            _ => {
                sources
                    .settings
                    .insert("steam/networking_messages/local/local_id".into(), part.to_owned());
            }
        }
    }
    let _ = resolve(&sources);
});
