//! Identity references: the names GDScript written for GodotSteam's older API uses instead of Steam IDs.
//!
//! GodotSteam kept a table of `SteamNetworkingIdentity` values under string names (`addIdentity`,
//! `setIdentitySteamID64`, ...). Networking Messages peers are Steam users, so a reference here resolves to a
//! Steam ID; Steam's own identity strings (`"steamid:76561197960287930"`) are accepted as well.

use std::collections::HashMap;
use std::fmt;

use crate::steam_types::SteamId;

/// Why a string could not be used as a peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityError {
    /// Neither a registered reference nor a Steam identity string.
    Unknown(String),
    /// A registered reference that holds no Steam ID (added but never set, or cleared).
    NoSteamId(String),
    /// Looked like `steamid:...` but the number is not a valid Steam ID.
    Malformed(String),
}

impl fmt::Display for IdentityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(name) => write!(
                f,
                "unknown identity reference '{name}': register it with addIdentity() and setIdentitySteamID64(), or pass \"steamid:<64-bit id>\""
            ),
            Self::NoSteamId(name) => write!(
                f,
                "identity reference '{name}' holds no Steam ID: call setIdentitySteamID64() first"
            ),
            Self::Malformed(text) => write!(f, "'{text}' is not a valid Steam identity string"),
        }
    }
}

impl std::error::Error for IdentityError {}

/// The prefix of a Steam ID in Steam's identity strings (`SteamNetworkingIdentity::ToString`).
const STEAM_ID_PREFIX: &str = "steamid:";

/// Named identities, as GodotSteam's `networking_identities` map.
#[derive(Debug, Default)]
pub struct IdentityRegistry {
    /// `None` is an identity that exists but is still invalid (as after `addIdentity`).
    identities: HashMap<String, Option<SteamId>>,
}

impl IdentityRegistry {
    /// `addIdentity`: (re)creates an empty, invalid identity under `name`. Always true, as in GodotSteam.
    pub fn add(&mut self, name: &str) -> bool {
        self.identities.insert(name.to_owned(), None);
        true
    }

    /// `setIdentitySteamID64`: stores a Steam ID under `name`, creating the reference if needed.
    pub fn set_steam_id(&mut self, name: &str, steam_id: SteamId) {
        let value = steam_id.is_valid().then_some(steam_id);
        self.identities.insert(name.to_owned(), value);
    }

    /// `getIdentitySteamID64`: the Steam ID under `name`, or `None` if the name is unknown or holds none.
    pub fn steam_id(&self, name: &str) -> Option<SteamId> {
        self.identities.get(name).copied().flatten()
    }

    /// `clearIdentity`: makes the identity invalid again (the name stays known); false if unknown.
    pub fn clear(&mut self, name: &str) -> bool {
        match self.identities.get_mut(name) {
            Some(value) => {
                *value = None;
                true
            }
            None => false,
        }
    }

    /// Whether `name` is a registered reference.
    pub fn contains(&self, name: &str) -> bool {
        self.identities.contains_key(name)
    }

    /// Turns a peer given as a string into a Steam ID: a registered reference first, then a Steam identity
    /// string.
    pub fn resolve(&self, reference: &str) -> Result<SteamId, IdentityError> {
        if let Some(value) = self.identities.get(reference) {
            return value.ok_or_else(|| IdentityError::NoSteamId(reference.to_owned()));
        }
        parse_identity_string(reference)
    }
}

/// Parses Steam's identity string for a Steam user, `"steamid:<u64>"`.
pub fn parse_identity_string(text: &str) -> Result<SteamId, IdentityError> {
    let Some(number) = text.strip_prefix(STEAM_ID_PREFIX) else {
        return Err(IdentityError::Unknown(text.to_owned()));
    };
    match number.parse::<u64>() {
        Ok(id) if id != 0 => Ok(SteamId(id)),
        _ => Err(IdentityError::Malformed(text.to_owned())),
    }
}

/// Steam's identity string for a Steam ID, the inverse of [`parse_identity_string`].
pub fn identity_string(steam_id: SteamId) -> String {
    format!("{STEAM_ID_PREFIX}{}", steam_id.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: SteamId = SteamId(76_561_197_960_287_930);

    #[test]
    fn steam_identity_string_resolves_to_its_steam_id() {
        let registry = IdentityRegistry::default();
        assert_eq!(registry.resolve("steamid:76561197960287930"), Ok(ALICE));
    }

    #[test]
    fn identity_string_round_trips() {
        assert_eq!(parse_identity_string(&identity_string(ALICE)), Ok(ALICE));
    }

    #[test]
    fn registered_reference_resolves_to_the_steam_id_set_on_it() {
        let mut registry = IdentityRegistry::default();
        assert!(registry.add("host"));
        registry.set_steam_id("host", ALICE);
        assert_eq!(registry.resolve("host"), Ok(ALICE));
        assert_eq!(registry.steam_id("host"), Some(ALICE));
    }

    #[test]
    fn unknown_reference_is_an_error_not_an_invalid_identity() {
        let registry = IdentityRegistry::default();
        assert_eq!(
            registry.resolve("nobody"),
            Err(IdentityError::Unknown("nobody".into()))
        );
    }

    #[test]
    fn added_but_unset_reference_has_no_steam_id() {
        let mut registry = IdentityRegistry::default();
        registry.add("host");
        assert_eq!(
            registry.resolve("host"),
            Err(IdentityError::NoSteamId("host".into()))
        );
    }

    #[test]
    fn adding_an_existing_reference_resets_it_as_godotsteam_does() {
        let mut registry = IdentityRegistry::default();
        registry.set_steam_id("host", ALICE);
        assert!(registry.add("host"));
        assert_eq!(registry.steam_id("host"), None);
    }

    #[test]
    fn cleared_reference_is_known_but_invalid() {
        let mut registry = IdentityRegistry::default();
        registry.set_steam_id("host", ALICE);
        assert!(registry.clear("host"));
        assert!(registry.contains("host"));
        assert_eq!(registry.steam_id("host"), None);
        assert!(!registry.clear("nobody"));
    }

    #[test]
    fn malformed_steam_identity_strings_are_rejected() {
        for text in [
            "steamid:",
            "steamid:abc",
            "steamid:0",
            "steamid:-5",
            "steamid:99999999999999999999",
        ] {
            assert_eq!(
                parse_identity_string(text),
                Err(IdentityError::Malformed(text.into())),
                "{text}"
            );
        }
    }
}
