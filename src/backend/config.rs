//! Which backend runs, and the local backend's settings: from user command-line arguments (after Godot's
//! `--`), environment variables and project settings, in that order of precedence. Plain Rust: the Godot side
//! only collects the raw strings.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::time::Duration;

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
}

/// The same options as user arguments (`--steam-backend=local`) and environment variables.
const OPTIONS: &[(&str, &str, &str)] = &[
    ("backend", "GODOT_STEAM_BACKEND", setting::BACKEND),
    ("local-id", "GODOT_STEAM_LOCAL_ID", setting::LOCAL_ID),
    ("bind", "GODOT_STEAM_BIND", setting::BIND_ADDRESS),
    ("peer", "GODOT_STEAM_PEERS", setting::PEERS),
    (
        "fake-loss",
        "GODOT_STEAM_FAKE_LOSS",
        setting::FAKE_PACKET_LOSS,
    ),
    ("fake-lag", "GODOT_STEAM_FAKE_LAG", setting::FAKE_PACKET_LAG),
    (
        "fake-jitter",
        "GODOT_STEAM_FAKE_JITTER",
        setting::FAKE_PACKET_JITTER,
    ),
    (
        "connect-timeout",
        "GODOT_STEAM_CONNECT_TIMEOUT",
        setting::CONNECT_TIMEOUT,
    ),
    (
        "idle-timeout",
        "GODOT_STEAM_IDLE_TIMEOUT",
        setting::IDLE_TIMEOUT,
    ),
    ("broadcast", "GODOT_STEAM_BROADCAST", setting::BROADCAST),
    (
        "max-sessions",
        "GODOT_STEAM_MAX_SESSIONS",
        setting::MAX_SESSIONS,
    ),
];

/// Every project setting the configuration reads.
pub fn setting_names() -> impl Iterator<Item = &'static str> {
    OPTIONS.iter().map(|&(_, _, setting)| setting)
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
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(180),
            broadcast: false,
            max_sessions: DEFAULT_MAX_SESSIONS,
            app_id: 0,
            plain_enet: false,
            seed: None,
        }
    }
}

impl LocalConfig {
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
    /// The values of option `name`: all `--steam-NAME=` arguments if any, else the environment variable, else
    /// the project setting. Lists are comma-separated in the environment and settings.
    fn values(&self, name: &str) -> Vec<String> {
        let Some(&(_, env, setting)) = OPTIONS.iter().find(|(option, _, _)| *option == name) else {
            return Vec::new();
        };
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
            .get(env)
            .or_else(|| self.settings.get(setting))
            .map(String::as_str)
            .unwrap_or("");
        text.split(',')
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn value(&self, name: &str) -> Option<String> {
        self.values(name).pop()
    }

    fn number<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, ConfigError> {
        self.value(name)
            .map(|text| {
                text.parse::<T>().map_err(|_| {
                    ConfigError(format!("--steam-{name}: '{text}' is not a valid number"))
                })
            })
            .transpose()
    }
}

/// Works out the backend and the local backend's settings.
pub fn resolve(sources: &ConfigSources) -> Result<(BackendKind, LocalConfig), ConfigError> {
    let kind = match sources.value("backend").as_deref() {
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
        local_id: sources.number::<u32>("local-id")?.filter(|&id| id != 0),
        ..LocalConfig::default()
    };
    if let Some(id) = config.local_id
        && u64::from(id) > u64::from(u16::MAX - BASE_PORT)
    {
        return Err(ConfigError(format!(
            "--steam-local-id: {id} is too large (at most {})",
            u16::MAX - BASE_PORT
        )));
    }
    if let Some(ip) = sources.value("bind") {
        config.bind_ip = ip
            .parse()
            .map_err(|_| ConfigError(format!("--steam-bind: '{ip}' is not an IP address")))?;
    }
    for peer in sources.values("peer") {
        config.peers.push(parse_peer(&peer)?);
    }
    if let Some(loss) = sources.number::<f32>("fake-loss")? {
        if !(0.0..=100.0).contains(&loss) {
            return Err(ConfigError(format!(
                "--steam-fake-loss: {loss} is not a percentage"
            )));
        }
        config.fake_loss_percent = loss;
    }
    let millis = |name: &str| -> Result<Option<Duration>, ConfigError> {
        Ok(sources.number::<u64>(name)?.map(Duration::from_millis))
    };
    config.fake_lag = millis("fake-lag")?.unwrap_or(config.fake_lag);
    config.fake_jitter = millis("fake-jitter")?.unwrap_or(config.fake_jitter);
    config.connect_timeout = millis("connect-timeout")?
        .filter(|timeout| !timeout.is_zero())
        .unwrap_or(config.connect_timeout);
    config.idle_timeout = millis("idle-timeout")?
        .filter(|timeout| !timeout.is_zero())
        .unwrap_or(config.idle_timeout);
    if let Some(max_sessions) = sources.number::<usize>("max-sessions")? {
        if !(1..=MAX_MAX_SESSIONS).contains(&max_sessions) {
            return Err(ConfigError(format!(
                "--steam-max-sessions: {max_sessions} is not between 1 and {MAX_MAX_SESSIONS}"
            )));
        }
        config.max_sessions = max_sessions;
    }
    config.broadcast = match sources.value("broadcast").as_deref() {
        None | Some("false" | "0" | "no") => false,
        Some("true" | "1" | "yes") => true,
        Some(other) => {
            return Err(ConfigError(format!(
                "--steam-broadcast: '{other}' is not true or false"
            )));
        }
    };
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
