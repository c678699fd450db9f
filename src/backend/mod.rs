//! The messages backend: the trait, its plain-Rust types and the offline `local` backend come from the
//! `messages-engine` crate (no Godot, no Steam); `steam` is the running Steam client's interface.

pub use messages_engine::backend::*;

pub mod steam;

/// Starts the backend `sources` select; `steam_sharing` says whether another extension uses Steam too.
pub fn open(
    app_id: u32,
    sources: &config::ConfigSources,
    steam_sharing: steam::SteamSharing,
) -> Result<Box<dyn MessagesBackend>, crate::steam_types::InitError> {
    let (kind, local) =
        config::resolve(sources).map_err(|error| crate::steam_types::InitError {
            status: crate::steam_types::InitStatus::FailedGeneric,
            message: error.to_string(),
        })?;
    match kind {
        config::BackendKind::Steam => {
            Ok(Box::new(steam::SteamBackend::init(app_id, steam_sharing)?))
        }
        config::BackendKind::Local => Ok(Box::new(local::LocalBackend::open(
            config::LocalConfig { app_id, ..local },
            local::transport::system_clock(),
        )?)),
    }
}
