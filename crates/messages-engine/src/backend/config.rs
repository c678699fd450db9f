//! Which backend runs, and the local backend's settings: from user command-line arguments (after Godot's
//! `--`), environment variables and project settings, in that order of precedence. Plain Rust: the Godot side
//! only collects the raw strings.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::time::Duration;

use crate::backend::local::wire::PERSONA_NAME_MAX_BYTES;
use crate::steam_types::SteamId;

/// Project settings read by [`resolve`] (all under `steam/networking_messages/`).
pub mod setting {
    pub const BACKEND: &str = "steam/networking_messages/backend";
    pub const LOCAL_ID: &str = "steam/networking_messages/local/local_id";
    pub const BIND_ADDRESS: &str = "steam/networking_messages/local/bind_address";
    pub const PEERS: &str = "steam/networking_messages/local/peers";
    pub const FAKE_PACKET_LOSS: &str = "steam/networking_messages/local/fake_packet_loss_percent";
    pub const FAKE_PACKET_LAG: &str = "steam/networking_messages/local/fake_packet_lag_ms";
    pub const FAKE_PACKET_JITTER: &str = "steam/networking_messages/local/fake_packet_jitter_ms";
    pub const CONNECT_TIMEOUT: &str = "steam/networking_messages/local/connect_timeout_ms";
    pub const IDLE_TIMEOUT: &str = "steam/networking_messages/local/idle_timeout_ms";
    pub const BROADCAST: &str = "steam/networking_messages/local/lan_broadcast";
    pub const MAX_SESSIONS: &str = "steam/networking_messages/local/max_sessions";
    pub const PERSONA_NAME: &str = "steam/networking_messages/local/persona_name";
}

/// What an option holds: how its text is read and checked, and what the editor offers for it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OptionKind {
    /// One of the comma-separated words; the first is the default.
    Choice(&'static str),
    /// A whole number from `min` to `max`.
    Integer { min: i64, max: i64, default: i64 },
    /// A number from `min` to `max`, edited in steps of `step`.
    Decimal {
        min: f64,
        max: f64,
        step: f64,
        default: f64,
    },
    /// Yes or no (`true`/`false`, `1`/`0`, `yes`/`no`; a bare `--steam-NAME` is yes); off by default.
    Switch,
    /// An IP address; empty by default.
    Address,
    /// A list of `STEAMID@host:port`; empty by default.
    PeerList,
    /// Free text, taken whole (commas included); empty by default.
    Text,
}

/// One option of the configuration: its user argument (`--steam-NAME=`), environment variable and project
/// setting, and what it holds. The one table of them, [`OPTIONS`], drives both [`resolve`] and the project
/// settings the extension registers in the editor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConfigOption {
    /// The NAME of `--steam-NAME=`.
    pub argument: &'static str,
    pub env: &'static str,
    pub setting: &'static str,
    pub kind: OptionKind,
}

/// Steam's connect timeout (TimeoutInitial), the local backend's default.
pub const DEFAULT_CONNECT_TIMEOUT_MS: i64 = 10_000;
/// A few minutes of idling before an unused session is dropped.
pub const DEFAULT_IDLE_TIMEOUT_MS: i64 = 180_000;
/// Highest local ID a user may configure: its port must fit in 16 bits.
pub const MAX_CONFIGURED_LOCAL_ID: i64 = (u16::MAX - BASE_PORT) as i64;

const fn option(
    argument: &'static str,
    env: &'static str,
    setting: &'static str,
    kind: OptionKind,
) -> ConfigOption {
    ConfigOption {
        argument,
        env,
        setting,
        kind,
    }
}

const BACKEND: ConfigOption = option(
    "backend",
    "GODOT_STEAM_BACKEND",
    setting::BACKEND,
    OptionKind::Choice("steam,local"),
);
const LOCAL_ID: ConfigOption = option(
    "local-id",
    "GODOT_STEAM_LOCAL_ID",
    setting::LOCAL_ID,
    // 0 (the default) picks a free one.
    OptionKind::Integer {
        min: 0,
        max: MAX_CONFIGURED_LOCAL_ID,
        default: 0,
    },
);
const BIND: ConfigOption = option(
    "bind",
    "GODOT_STEAM_BIND",
    setting::BIND_ADDRESS,
    OptionKind::Address,
);
const PEER: ConfigOption = option(
    "peer",
    "GODOT_STEAM_PEERS",
    setting::PEERS,
    OptionKind::PeerList,
);
const FAKE_LOSS: ConfigOption = option(
    "fake-loss",
    "GODOT_STEAM_FAKE_LOSS",
    setting::FAKE_PACKET_LOSS,
    OptionKind::Decimal {
        min: 0.0,
        max: 100.0,
        step: 0.1,
        default: 0.0,
    },
);
const FAKE_LAG: ConfigOption = option(
    "fake-lag",
    "GODOT_STEAM_FAKE_LAG",
    setting::FAKE_PACKET_LAG,
    OptionKind::Integer {
        min: 0,
        max: 5_000,
        default: 0,
    },
);
const FAKE_JITTER: ConfigOption = option(
    "fake-jitter",
    "GODOT_STEAM_FAKE_JITTER",
    setting::FAKE_PACKET_JITTER,
    OptionKind::Integer {
        min: 0,
        max: 5_000,
        default: 0,
    },
);
const CONNECT_TIMEOUT: ConfigOption = option(
    "connect-timeout",
    "GODOT_STEAM_CONNECT_TIMEOUT",
    setting::CONNECT_TIMEOUT,
    OptionKind::Integer {
        min: 100,
        max: 600_000,
        default: DEFAULT_CONNECT_TIMEOUT_MS,
    },
);
const IDLE_TIMEOUT: ConfigOption = option(
    "idle-timeout",
    "GODOT_STEAM_IDLE_TIMEOUT",
    setting::IDLE_TIMEOUT,
    OptionKind::Integer {
        min: 1_000,
        max: 3_600_000,
        default: DEFAULT_IDLE_TIMEOUT_MS,
    },
);
const BROADCAST: ConfigOption = option(
    "broadcast",
    "GODOT_STEAM_BROADCAST",
    setting::BROADCAST,
    OptionKind::Switch,
);
const MAX_SESSIONS: ConfigOption = option(
    "max-sessions",
    "GODOT_STEAM_MAX_SESSIONS",
    setting::MAX_SESSIONS,
    OptionKind::Integer {
        min: 1,
        max: MAX_MAX_SESSIONS as i64,
        default: DEFAULT_MAX_SESSIONS as i64,
    },
);

const PERSONA_NAME: ConfigOption = option(
    "persona-name",
    "GODOT_STEAM_PERSONA_NAME",
    setting::PERSONA_NAME,
    OptionKind::Text,
);

/// Every option, in the order the editor lists them.
pub const OPTIONS: &[ConfigOption] = &[
    BACKEND,
    LOCAL_ID,
    BIND,
    PEER,
    FAKE_LOSS,
    FAKE_LAG,
    FAKE_JITTER,
    CONNECT_TIMEOUT,
    IDLE_TIMEOUT,
    BROADCAST,
    MAX_SESSIONS,
    PERSONA_NAME,
];

/// Every project setting the configuration reads.
pub fn setting_names() -> impl Iterator<Item = &'static str> {
    OPTIONS.iter().map(|option| option.setting)
}

/// Local IDs map to ports `BASE_PORT + id`, so instances on one machine find each other with no setup.
pub const BASE_PORT: u16 = 47_500;
/// Highest local ID an instance picks for itself, and the range same-machine peers are looked for in.
pub const MAX_LOCAL_ID: u32 = 64;
/// Sessions the local backend holds at once unless configured: a full Steam lobby's worth and more. Every
/// session costs each network pump a visit to its connection slots, so the default is sized for games rather
/// than unbounded (with 1,024 sessions' worth of slots, the 100 B round trip was 55 µs instead of 41 µs).
pub const DEFAULT_MAX_SESSIONS: usize = 128;
/// Most `--steam-max-sessions` accepts.
pub const MAX_MAX_SESSIONS: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Steam,
    Local,
}

/// Settings of the local backend.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalConfig {
    /// The instance's local ID (Steam ID = public individual base + ID); `None` picks a free one.
    pub local_id: Option<u32>,
    /// Address to bind: loopback unless the user asks for LAN (`--steam-bind=0.0.0.0`).
    pub bind_ip: IpAddr,
    /// Peers on other machines.
    pub peers: Vec<(SteamId, SocketAddr)>,
    pub fake_loss_percent: f32,
    pub fake_lag: Duration,
    pub fake_jitter: Duration,
    /// How long a session may stay unaccepted (or unreachable) before it fails.
    pub connect_timeout: Duration,
    /// How long a session may stay unused before it is dropped silently.
    pub idle_timeout: Duration,
    /// Announce this instance on the LAN by UDP broadcast (opt-in) and learn peers' addresses from theirs.
    pub broadcast: bool,
    /// Most sessions held at once; further peers cannot be reached or heard until some close.
    pub max_sessions: usize,
    /// This player's persona name (`getPersonaName`, and `getFriendPersonaName` on the other instances);
    /// `None` gives [`LocalConfig::default_persona_name`].
    pub persona_name: Option<String>,
    /// The game's Steam app ID (from `steamInit`, not from these sources): instances announce it and list
    /// only peers of the same app, as Steam shows a game only its own players.
    pub app_id: u32,
    /// Speak plain ENet, without the checksum that binds each datagram to its connection (see
    /// `local::ENET_CHECKSUM`), so a host built on Godot's own `ENetConnection` (which has no checksum) can
    /// stand in for peers, as the sessions benchmark's does. Set only by [`PLAIN_ENET_ENV`]; such a link is
    /// open to late packets of a closed connection again.
    pub plain_enet: bool,
    /// Fixes every random choice (ENet's connect IDs, this run's instance, simulated loss) so that a run
    /// replays exactly: for deterministic tests only; no option or variable sets it.
    pub seed: Option<u64>,
}

/// Environment variable (`1`) that sets [`LocalConfig::plain_enet`]: a harness's knob, not a game's option,
/// so it has no user argument or project setting.
pub const PLAIN_ENET_ENV: &str = "GODOT_STEAM_PLAIN_ENET";

impl Default for LocalConfig {
    fn default() -> Self {
        Self {
            local_id: None,
            bind_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            peers: Vec::new(),
            fake_loss_percent: 0.0,
            fake_lag: Duration::ZERO,
            fake_jitter: Duration::ZERO,
            // Steam's defaults: 10 s to connect (TimeoutInitial), a few minutes of idling.
            connect_timeout: Duration::from_millis(DEFAULT_CONNECT_TIMEOUT_MS as u64),
            idle_timeout: Duration::from_millis(DEFAULT_IDLE_TIMEOUT_MS as u64),
            broadcast: false,
            max_sessions: DEFAULT_MAX_SESSIONS,
            persona_name: None,
            app_id: 0,
            plain_enet: false,
            seed: None,
        }
    }
}

impl LocalConfig {
    /// The persona name of an instance whose player chose none: readable, and different per instance.
    pub fn default_persona_name(steam_id: SteamId) -> String {
        match Self::local_id_of(steam_id) {
            Some(id) => format!("Player {id}"),
            None => format!("Player {steam_id}"),
        }
    }

    /// The Steam ID of local ID `id`: an individual account in the public universe.
    pub fn steam_id_of(id: u32) -> SteamId {
        SteamId(SteamId::INDIVIDUAL_PUBLIC_BASE + u64::from(id))
    }

    /// The local ID behind a Steam ID, when it is one of ours.
    pub fn local_id_of(steam_id: SteamId) -> Option<u32> {
        let id = steam_id.0.checked_sub(SteamId::INDIVIDUAL_PUBLIC_BASE)?;
        u32::try_from(id)
            .ok()
            .filter(|id| (1..=MAX_LOCAL_ID).contains(id))
    }

    /// The UDP port of local ID `id`.
    pub fn port_of(id: u32) -> u16 {
        BASE_PORT + id as u16
    }

    /// Where to reach `steam_id`: an explicit peer, else a same-machine instance by its local ID.
    pub fn address_of(&self, steam_id: SteamId) -> Option<SocketAddr> {
        if let Some((_, address)) = self.peers.iter().find(|(id, _)| *id == steam_id) {
            return Some(*address);
        }
        let id = Self::local_id_of(steam_id)?;
        Some(SocketAddr::new(
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            Self::port_of(id),
        ))
    }
}

/// The raw strings the configuration comes from.
#[derive(Debug, Default, Clone)]
pub struct ConfigSources {
    /// User arguments (Godot's `OS.get_cmdline_user_args()`).
    pub args: Vec<String>,
    pub env: HashMap<String, String>,
    /// Project settings, stringified; list settings joined with commas.
    pub settings: HashMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl ConfigSources {
    /// The values of `option`: all `--steam-NAME=` arguments if any, else the environment variable, else
    /// the project setting. Lists are comma-separated in the environment and settings.
    fn values(&self, option: &ConfigOption) -> Vec<String> {
        let name = option.argument;
        let prefix = format!("--steam-{name}=");
        let bare_flag = format!("--steam-{name}");
        let from_args: Vec<String> = self
            .args
            .iter()
            .filter_map(|arg| {
                // A bare `--steam-NAME` switches a yes/no option on.
                if *arg == bare_flag {
                    return Some("true".to_owned());
                }
                arg.strip_prefix(&prefix).map(str::to_owned)
            })
            .collect();
        if !from_args.is_empty() {
            return from_args;
        }
        let text = self
            .env
            .get(option.env)
            .or_else(|| self.settings.get(option.setting))
            .map(String::as_str)
            .unwrap_or("");
        text.split(',')
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn value(&self, option: &ConfigOption) -> Option<String> {
        self.values(option).pop()
    }

    /// An [`OptionKind::Integer`] option's value, checked against its range; `None` when unset.
    fn integer(&self, option: &ConfigOption) -> Result<Option<i64>, ConfigError> {
        let OptionKind::Integer { min, max, .. } = option.kind else {
            return Ok(None);
        };
        let name = option.argument;
        let Some(text) = self.value(option) else {
            return Ok(None);
        };
        let number = text
            .parse::<i64>()
            .map_err(|_| ConfigError(format!("--steam-{name}: '{text}' is not a valid number")))?;
        if !(min..=max).contains(&number) {
            return Err(ConfigError(format!(
                "--steam-{name}: {number} is not between {min} and {max}"
            )));
        }
        Ok(Some(number))
    }

    /// An [`OptionKind::Decimal`] option's value, checked against its range; `None` when unset.
    fn decimal(&self, option: &ConfigOption) -> Result<Option<f64>, ConfigError> {
        let OptionKind::Decimal { min, max, .. } = option.kind else {
            return Ok(None);
        };
        let name = option.argument;
        let Some(text) = self.value(option) else {
            return Ok(None);
        };
        let number = text
            .parse::<f64>()
            .ok()
            .filter(|number| number.is_finite())
            .ok_or_else(|| {
                ConfigError(format!("--steam-{name}: '{text}' is not a valid number"))
            })?;
        if !(min..=max).contains(&number) {
            return Err(ConfigError(format!(
                "--steam-{name}: {number} is not between {min} and {max}"
            )));
        }
        Ok(Some(number))
    }

    /// An [`OptionKind::Text`] option's value, whole and trimmed: the last `--steam-NAME=` argument, else the
    /// environment variable, else the project setting; `None` when empty.
    fn text(&self, option: &ConfigOption) -> Option<String> {
        let prefix = format!("--steam-{}=", option.argument);
        let text = self
            .args
            .iter()
            .rev()
            .find_map(|arg| arg.strip_prefix(&prefix))
            .or_else(|| self.env.get(option.env).map(String::as_str))
            .or_else(|| self.settings.get(option.setting).map(String::as_str))?
            .trim();
        (!text.is_empty()).then(|| text.to_owned())
    }

    /// An [`OptionKind::Switch`] option's value (off when unset).
    fn switch(&self, option: &ConfigOption) -> Result<bool, ConfigError> {
        match self.value(option).as_deref() {
            None | Some("false" | "0" | "no") => Ok(false),
            Some("true" | "1" | "yes") => Ok(true),
            Some(other) => Err(ConfigError(format!(
                "--steam-{}: '{other}' is not true or false",
                option.argument
            ))),
        }
    }
}

/// Works out the backend and the local backend's settings.
pub fn resolve(sources: &ConfigSources) -> Result<(BackendKind, LocalConfig), ConfigError> {
    let kind = match sources.value(&BACKEND).as_deref() {
        None | Some("steam") => BackendKind::Steam,
        Some("local") => BackendKind::Local,
        Some(other) => {
            return Err(ConfigError(format!(
                "unknown backend '{other}': use \"steam\" or \"local\""
            )));
        }
    };
    let mut config = LocalConfig {
        // A local ID of 0 (the project setting's default) means "pick one".
        local_id: sources
            .integer(&LOCAL_ID)?
            .filter(|&id| id != 0)
            .map(|id| id as u32),
        ..LocalConfig::default()
    };
    if let Some(ip) = sources.value(&BIND) {
        config.bind_ip = ip
            .parse()
            .map_err(|_| ConfigError(format!("--steam-bind: '{ip}' is not an IP address")))?;
    }
    for peer in sources.values(&PEER) {
        config.peers.push(parse_peer(&peer)?);
    }
    if let Some(loss) = sources.decimal(&FAKE_LOSS)? {
        config.fake_loss_percent = loss as f32;
    }
    let millis = |option: &ConfigOption| -> Result<Option<Duration>, ConfigError> {
        Ok(sources
            .integer(option)?
            .map(|ms| Duration::from_millis(ms as u64)))
    };
    config.fake_lag = millis(&FAKE_LAG)?.unwrap_or(config.fake_lag);
    config.fake_jitter = millis(&FAKE_JITTER)?.unwrap_or(config.fake_jitter);
    config.connect_timeout = millis(&CONNECT_TIMEOUT)?.unwrap_or(config.connect_timeout);
    config.idle_timeout = millis(&IDLE_TIMEOUT)?.unwrap_or(config.idle_timeout);
    if let Some(max_sessions) = sources.integer(&MAX_SESSIONS)? {
        config.max_sessions = max_sessions as usize;
    }
    config.broadcast = sources.switch(&BROADCAST)?;
    if let Some(name) = sources.text(&PERSONA_NAME) {
        if name.len() > PERSONA_NAME_MAX_BYTES {
            return Err(ConfigError(format!(
                "--steam-persona-name: '{name}' is longer than Steam's {PERSONA_NAME_MAX_BYTES} bytes"
            )));
        }
        if name.chars().any(char::is_control) {
            return Err(ConfigError(format!(
                "--steam-persona-name: {name:?} has control characters"
            )));
        }
        config.persona_name = Some(name);
    }
    config.plain_enet = sources
        .env
        .get(PLAIN_ENET_ENV)
        .is_some_and(|value| value == "1");
    Ok((kind, config))
}

/// `STEAMID@host:port`.
fn parse_peer(text: &str) -> Result<(SteamId, SocketAddr), ConfigError> {
    let error = || ConfigError(format!("--steam-peer: '{text}' is not STEAMID@host:port"));
    let (id, address) = text.split_once('@').ok_or_else(error)?;
    let id = id
        .parse::<u64>()
        .ok()
        .filter(|&id| id != 0)
        .ok_or_else(error)?;
    let address = address
        .to_socket_addrs()
        .ok()
        .and_then(|mut addresses| addresses.next())
        .ok_or_else(error)?;
    Ok((SteamId(id), address))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(args: &[&str], env: &[(&str, &str)], settings: &[(&str, &str)]) -> ConfigSources {
        let pairs = |items: &[(&str, &str)]| {
            items
                .iter()
                .map(|(key, value)| (key.to_string(), value.to_string()))
                .collect()
        };
        ConfigSources {
            args: args.iter().map(|arg| arg.to_string()).collect(),
            env: pairs(env),
            settings: pairs(settings),
        }
    }

    /// The default as the editor writes it into `project.godot`, as text.
    fn default_text(option: &ConfigOption) -> String {
        match option.kind {
            OptionKind::Choice(words) => words.split(',').next().unwrap().to_owned(),
            OptionKind::Integer { default, .. } => default.to_string(),
            OptionKind::Decimal { default, .. } => default.to_string(),
            OptionKind::Switch => "false".to_owned(),
            OptionKind::Address | OptionKind::PeerList | OptionKind::Text => String::new(),
        }
    }

    #[test]
    fn every_options_editor_default_resolves_to_the_default_configuration() {
        let defaults: Vec<(&str, String)> = OPTIONS
            .iter()
            .map(|option| (option.setting, default_text(option)))
            .collect();
        let settings: Vec<(&str, &str)> = defaults
            .iter()
            .map(|(name, text)| (*name, text.as_str()))
            .collect();
        assert_eq!(
            resolve(&sources(&[], &[], &settings)).unwrap(),
            (BackendKind::Steam, LocalConfig::default())
        );
    }

    #[test]
    fn numbers_outside_an_options_range_are_errors_naming_the_range() {
        for option in OPTIONS {
            let (below, above) = match option.kind {
                OptionKind::Integer { min, max, .. } => {
                    ((min - 1).to_string(), (max + 1).to_string())
                }
                OptionKind::Decimal { min, max, .. } => {
                    ((min - 1.0).to_string(), (max + 1.0).to_string())
                }
                _ => continue,
            };
            for value in [below, above] {
                let arg = format!("--steam-{}={value}", option.argument);
                let error = resolve(&sources(&[&arg], &[], &[])).unwrap_err();
                assert!(error.0.contains("is not between"), "{arg}: {error}");
            }
        }
    }

    #[test]
    fn every_option_is_named_once_in_each_source() {
        for names in [
            OPTIONS
                .iter()
                .map(|option| option.argument)
                .collect::<Vec<_>>(),
            OPTIONS.iter().map(|option| option.env).collect(),
            OPTIONS.iter().map(|option| option.setting).collect(),
        ] {
            let unique: std::collections::HashSet<_> = names.iter().collect();
            assert_eq!(unique.len(), names.len(), "{names:?}");
        }
    }

    #[test]
    fn the_persona_name_is_taken_whole_from_each_source() {
        let name = |sources: ConfigSources| resolve(&sources).unwrap().1.persona_name;
        assert_eq!(
            name(sources(&["--steam-persona-name=Smith, Ada"], &[], &[])),
            Some("Smith, Ada".to_owned())
        );
        assert_eq!(
            name(sources(
                &[],
                &[("GODOT_STEAM_PERSONA_NAME", " Zoë ")],
                &[(setting::PERSONA_NAME, "Bob")]
            )),
            Some("Zoë".to_owned())
        );
        assert_eq!(
            name(sources(&[], &[], &[(setting::PERSONA_NAME, "Bob")])),
            Some("Bob".to_owned())
        );
        assert_eq!(
            name(sources(&[], &[], &[(setting::PERSONA_NAME, "")])),
            None
        );
    }

    #[test]
    fn a_persona_name_steam_could_not_hold_is_an_error() {
        let long = format!("--steam-persona-name={}", "x".repeat(128));
        assert!(resolve(&sources(&[&long], &[], &[])).is_err());
        let fits = format!("--steam-persona-name={}", "x".repeat(127));
        assert!(resolve(&sources(&[&fits], &[], &[])).is_ok());
        assert!(resolve(&sources(&["--steam-persona-name=a\tb"], &[], &[])).is_err());
    }

    #[test]
    fn the_default_persona_name_says_which_instance_it_is() {
        assert_eq!(
            LocalConfig::default_persona_name(LocalConfig::steam_id_of(3)),
            "Player 3"
        );
    }

    #[test]
    fn steam_is_the_default_backend() {
        let (kind, config) = resolve(&ConfigSources::default()).unwrap();
        assert_eq!(kind, BackendKind::Steam);
        assert_eq!(config, LocalConfig::default());
    }

    #[test]
    fn argument_beats_environment_beats_project_setting() {
        let all = sources(
            &["--steam-backend=local"],
            &[("GODOT_STEAM_BACKEND", "steam")],
            &[(setting::BACKEND, "steam")],
        );
        assert_eq!(resolve(&all).unwrap().0, BackendKind::Local);
        let env = sources(
            &[],
            &[("GODOT_STEAM_BACKEND", "local")],
            &[(setting::BACKEND, "steam")],
        );
        assert_eq!(resolve(&env).unwrap().0, BackendKind::Local);
        let setting = sources(&[], &[], &[(setting::BACKEND, "local")]);
        assert_eq!(resolve(&setting).unwrap().0, BackendKind::Local);
    }

    #[test]
    fn unknown_backend_is_an_error() {
        assert!(resolve(&sources(&["--steam-backend=lan"], &[], &[])).is_err());
    }

    #[test]
    fn local_id_maps_to_a_public_individual_steam_id_and_back() {
        let id = LocalConfig::steam_id_of(3);
        assert_eq!(id, SteamId(76_561_197_960_265_731));
        assert_eq!(LocalConfig::local_id_of(id), Some(3));
        assert_eq!(LocalConfig::local_id_of(SteamId(5)), None);
    }

    #[test]
    fn same_machine_peers_are_found_by_local_id() {
        let config = LocalConfig::default();
        let address = config.address_of(LocalConfig::steam_id_of(2)).unwrap();
        assert_eq!(address, "127.0.0.1:47502".parse().unwrap());
        assert_eq!(config.address_of(SteamId(76_561_198_000_000_000)), None);
    }

    #[test]
    fn explicit_peers_are_parsed_and_win() {
        let (_, config) = resolve(&sources(
            &[
                "--steam-peer=76561197960265730@10.0.0.7:47502",
                "--steam-peer=5@[::1]:9000",
            ],
            &[],
            &[],
        ))
        .unwrap();
        assert_eq!(config.peers.len(), 2);
        assert_eq!(
            config.address_of(LocalConfig::steam_id_of(2)),
            Some("10.0.0.7:47502".parse().unwrap())
        );
        assert_eq!(
            config.address_of(SteamId(5)),
            Some("[::1]:9000".parse().unwrap())
        );
    }

    #[test]
    fn peers_from_environment_are_comma_separated() {
        let (_, config) = resolve(&sources(
            &[],
            &[("GODOT_STEAM_PEERS", "7@127.0.0.1:1, 8@127.0.0.1:2")],
            &[],
        ))
        .unwrap();
        assert_eq!(config.peers.len(), 2);
    }

    #[test]
    fn malformed_values_are_errors() {
        for arg in [
            "--steam-local-id=abc",
            "--steam-local-id=70000",
            "--steam-peer=nope",
            "--steam-peer=0@127.0.0.1:1",
            "--steam-bind=home",
            "--steam-fake-loss=150",
            "--steam-fake-lag=-1",
        ] {
            assert!(resolve(&sources(&[arg], &[], &[])).is_err(), "{arg}");
        }
    }

    #[test]
    fn simulated_network_conditions_are_read() {
        let (_, config) = resolve(&sources(
            &[
                "--steam-fake-loss=20",
                "--steam-fake-lag=50",
                "--steam-fake-jitter=10",
            ],
            &[],
            &[],
        ))
        .unwrap();
        assert_eq!(config.fake_loss_percent, 20.0);
        assert_eq!(config.fake_lag, Duration::from_millis(50));
        assert_eq!(config.fake_jitter, Duration::from_millis(10));
    }

    #[test]
    fn max_sessions_defaults_to_a_lobby_and_can_be_raised_within_bounds() {
        let max = |args: &[&str]| resolve(&sources(args, &[], &[])).map(|(_, c)| c.max_sessions);
        assert_eq!(max(&[]).unwrap(), DEFAULT_MAX_SESSIONS);
        assert_eq!(max(&["--steam-max-sessions=1001"]).unwrap(), 1001);
        let from_env = resolve(&sources(&[], &[("GODOT_STEAM_MAX_SESSIONS", "7")], &[]));
        assert_eq!(from_env.unwrap().1.max_sessions, 7);
        for bad in ["0", "4097", "-3", "many"] {
            assert!(
                max(&[&format!("--steam-max-sessions={bad}")]).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn plain_enet_is_only_for_a_harness_that_sets_its_variable() {
        assert!(!resolve(&sources(&[], &[], &[])).unwrap().1.plain_enet);
        let set = resolve(&sources(&[], &[(PLAIN_ENET_ENV, "1")], &[]));
        assert!(set.unwrap().1.plain_enet);
    }

    #[test]
    fn lan_broadcast_is_opt_in() {
        assert!(!resolve(&ConfigSources::default()).unwrap().1.broadcast);
        assert!(
            resolve(&sources(&["--steam-broadcast"], &[], &[]))
                .unwrap()
                .1
                .broadcast
        );
        assert!(
            resolve(&sources(&[], &[], &[(setting::BROADCAST, "true")]))
                .unwrap()
                .1
                .broadcast
        );
        assert!(resolve(&sources(&["--steam-broadcast=maybe"], &[], &[])).is_err());
    }

    #[test]
    fn unrelated_user_arguments_are_ignored() {
        let (kind, _) = resolve(&sources(
            &["--level=3", "--steam-backend=local", "x"],
            &[],
            &[],
        ))
        .unwrap();
        assert_eq!(kind, BackendKind::Local);
    }
}
