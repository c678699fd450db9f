//! Steam lobbies among offline instances, as a pure state machine: no sockets, no Godot, no clock. Each
//! instance runs one [`LobbyProtocol`]; it is fed the game's calls, messages from other instances (each from
//! a known user, over a reliable ordered link per pair of instances) and the time, and produces messages to
//! send and events (GodotSteam's lobby signals).
//!
//! # Rules (Valve's `isteammatchmaking.h`, kept here)
//! - The owner holds the lobby: members send it their calls (join, leave, member data, chat) and it tells
//!   every member what changed, so all members see the same changes in the same order. Lobby data is set by
//!   the owner only; chat reaches every member, sender included.
//! - When the owner leaves, it hands the lobby to the member that joined first; when it vanishes (its link
//!   is lost), every member makes that same member the owner, and the others rejoin it. A member that does
//!   not rejoin in [`REJOIN_GRACE`] is dropped as disconnected. An empty lobby is gone.
//! - A search asks every visible instance for the lobbies it owns; only public or invisible, joinable lobbies
//!   with room are shown, filtered by the search's filters, which then reset.
//!
//! # Driving it
//! Feed [`LobbyProtocol::handle_message`] with each message a link delivers and
//! [`LobbyProtocol::handle_link_lost`] when a link to a user ends; call [`LobbyProtocol::update`] every
//! frame; send every [`LobbyProtocol::next_outgoing`] to its user; turn [`LobbyProtocol::next_event`]s into
//! signals.

pub mod calls;
pub mod limits;
pub mod links;
pub mod search;
pub mod wire;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use crate::steam_types::{SteamId, SteamResult};
use limits::Limit;
use search::Filters;
use wire::{GameServer, LobbyMessage, MemberRecord, Snapshot, Summary};

/// `ELobbyType`.
pub mod lobby_type {
    pub const PRIVATE: u8 = 0;
    pub const FRIENDS_ONLY: u8 = 1;
    pub const PUBLIC: u8 = 2;
    pub const INVISIBLE: u8 = 3;
    pub const PRIVATE_UNIQUE: u8 = 4;
}

/// `EChatRoomEnterResponse`.
pub mod enter_response {
    pub const SUCCESS: i32 = 1;
    pub const DOESNT_EXIST: i32 = 2;
    pub const NOT_ALLOWED: i32 = 3;
    pub const FULL: i32 = 4;
    pub const ERROR: i32 = 5;
}

/// `EChatMemberStateChange`.
pub mod member_state {
    pub const ENTERED: i32 = 0x1;
    pub const LEFT: i32 = 0x2;
    pub const DISCONNECTED: i32 = 0x4;
}

/// `EChatEntryType::k_EChatEntryTypeChatMsg`, the type of every lobby chat message.
pub const CHAT_ENTRY_TYPE_CHAT_MSG: i32 = 1;

/// How long a join waits for the owner's answer (and for someone to say who the owner is).
pub const JOIN_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a search waits for the instances it asked.
pub const SEARCH_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a new owner waits for the other members to rejoin it.
pub const REJOIN_GRACE: Duration = Duration::from_secs(10);
/// How long a member waits for the new owner to take it back before it counts that one gone too: longer
/// than [`REJOIN_GRACE`], so that an heir holding an early rejoin answers (or turns it away) first.
pub const MEMBER_REJOIN_TIMEOUT: Duration = Duration::from_secs(15);

/// The Steam ID of lobby number `account`: a chat account (type 8) with the lobby and matchmaking-lobby
/// instance flags, in the public universe, as Steam's own lobby IDs are (`0x0186…`, 109775241…); never a
/// user's ID.
pub fn lobby_id(account: u32) -> SteamId {
    const LOBBY_BASE: u64 = (1 << 56) | (8 << 52) | (0x60000 << 32);
    SteamId(LOBBY_BASE | u64::from(account))
}

/// Steam's `CSteamID::IsLobby`: a chat account with the lobby instance flag (`isLobby` in GDScript).
pub fn is_lobby_like(id: SteamId) -> bool {
    const LOBBY_FLAG: u64 = 0x40000;
    id.account_type() == 8 && (id.0 >> 32) & 0xf_ffff & LOBBY_FLAG != 0
}

/// Whether `id` has the shape of the lobby IDs this protocol makes and accepts from peers.
pub fn is_lobby_id(id: SteamId) -> bool {
    id.0 & !u64::from(u32::MAX) == lobby_id(0).0 && id.account_id() != 0
}

/// What a lobby signal reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LobbyEvent {
    /// `lobby_created(connect, lobby_id)`.
    Created { result: SteamResult, lobby: SteamId },
    /// `lobby_joined(lobby_id, permissions, locked, response)`.
    Joined { lobby: SteamId, response: i32 },
    /// `lobby_chat_update(lobby_id, changed_id, making_change_id, chat_state)`.
    ChatUpdate {
        lobby: SteamId,
        changed: SteamId,
        making_change: SteamId,
        state: i32,
    },
    /// `lobby_data_update(success, lobby_id, member_id)`: `member` is the lobby for lobby data.
    DataUpdate { lobby: SteamId, member: SteamId },
    /// `lobby_match_list(lobbies)`.
    MatchList { lobbies: Vec<SteamId> },
    /// `lobby_message(lobby_id, user, message, chat_type)`.
    Message {
        lobby: SteamId,
        user: SteamId,
        body: Vec<u8>,
    },
    /// `lobby_kicked(lobby_id, admin_id, due_to_disconnect)`: this user is no longer in the lobby because its
    /// owner no longer counts it in (it lost its link to the owner, say).
    Kicked { lobby: SteamId, admin: SteamId },
    /// `lobby_data_update(0, lobby_id, lobby_id)`: [`LobbyProtocol::request_data`] found no such lobby.
    DataUnavailable { lobby: SteamId },
    /// `lobby_game_created(lobby_id, server_id, server_ip, port)`.
    GameCreated {
        lobby: SteamId,
        server: SteamId,
        ip: String,
        port: u16,
    },
    /// `lobby_invite(inviter, lobby, game)`: `game` is the game's ID (its app ID).
    Invited {
        inviter: SteamId,
        lobby: SteamId,
        game: u64,
    },
}

/// Why a call was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LobbyError {
    /// Not a lobby this instance is in.
    NotInLobby(SteamId),
    /// Only the owner may do this.
    NotOwner(SteamId),
    /// A value past a lobby limit.
    PastLimit(Limit),
    /// A type or comparison that is not one of Steam's.
    InvalidArgument(String),
    /// The user is not a member of the lobby.
    NotAMember(SteamId, SteamId),
}

impl std::fmt::Display for LobbyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotInLobby(lobby) => write!(f, "not a member of lobby {}", lobby.0),
            Self::NotOwner(lobby) => write!(f, "only the owner of lobby {} may do this", lobby.0),
            Self::PastLimit(limit) => write!(f, "{limit}"),
            Self::InvalidArgument(what) => f.write_str(what),
            Self::NotAMember(user, lobby) => {
                write!(f, "{} is not a member of lobby {}", user.0, lobby.0)
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Member {
    user: SteamId,
    data: BTreeMap<String, String>,
}

/// A lobby this instance is in, as owner or member; members hold a replica of the owner's.
#[derive(Debug, Clone)]
struct Lobby {
    owner: SteamId,
    lobby_type: u8,
    joinable: bool,
    max_members: u32,
    data: BTreeMap<String, String>,
    /// In the order they joined.
    members: Vec<Member>,
    /// While this instance takes a lobby over: members yet to rejoin, and until when they may.
    awaiting_rejoin: Option<(BTreeSet<SteamId>, Duration)>,
    /// When this member asked a new owner to take it back, until its WELCOME comes.
    rejoin_sent: Option<Duration>,
    /// The game server the owner named (`setLobbyGameServer`).
    game_server: Option<GameServer>,
}

impl Lobby {
    fn member(&self, user: SteamId) -> Option<&Member> {
        self.members.iter().find(|member| member.user == user)
    }

    fn member_mut(&mut self, user: SteamId) -> Option<&mut Member> {
        self.members.iter_mut().find(|member| member.user == user)
    }

    fn remove_member(&mut self, user: SteamId) -> bool {
        let before = self.members.len();
        self.members.retain(|member| member.user != user);
        self.members.len() != before
    }

    fn snapshot(&self, lobby: SteamId) -> Snapshot {
        Snapshot {
            lobby: lobby.0,
            owner: self.owner.0,
            lobby_type: self.lobby_type,
            joinable: self.joinable,
            max_members: self.max_members,
            data: entries(&self.data),
            members: self
                .members
                .iter()
                .map(|member| MemberRecord {
                    user: member.user.0,
                    data: entries(&member.data),
                })
                .collect(),
            game_server: self.game_server.clone(),
        }
    }

    fn from_snapshot(snapshot: Snapshot) -> Self {
        Self {
            owner: SteamId(snapshot.owner),
            lobby_type: snapshot.lobby_type,
            joinable: snapshot.joinable,
            max_members: snapshot.max_members,
            data: snapshot.data.into_iter().collect(),
            members: snapshot
                .members
                .into_iter()
                .map(|member| Member {
                    user: SteamId(member.user),
                    data: member.data.into_iter().collect(),
                })
                .collect(),
            awaiting_rejoin: None,
            rejoin_sent: None,
            game_server: snapshot.game_server,
        }
    }

    /// Whether a search shows it: public and invisible lobbies (Valve: invisible ones are "returned by
    /// search, but not visible to other friends") that are joinable and have room.
    fn is_listed(&self) -> bool {
        matches!(self.lobby_type, lobby_type::PUBLIC | lobby_type::INVISIBLE)
            && self.joinable
            && (self.members.len() as u32) < self.max_members
    }
}

fn entries(map: &BTreeMap<String, String>) -> Vec<(String, String)> {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// A join waiting for an answer.
#[derive(Debug)]
struct Joining {
    /// The owner asked, once known.
    owner: Option<SteamId>,
    /// Instances asked who the owner is that have not answered.
    asked: BTreeSet<SteamId>,
    since: Duration,
}

/// A search waiting for answers.
#[derive(Debug)]
struct Search {
    request: u32,
    asked: BTreeSet<SteamId>,
    found: Vec<Summary>,
    filters: Filters,
    since: Duration,
}

/// One instance's lobbies: see the [module documentation](self).
#[derive(Debug)]
pub struct LobbyProtocol {
    me: SteamId,
    rng: fastrand::Rng,
    lobbies: BTreeMap<SteamId, Lobby>,
    joining: BTreeMap<SteamId, Joining>,
    search: Option<Search>,
    /// Filters of the next search.
    filters: Filters,
    next_request: u32,
    /// What the last search found: `getLobbyData` and `getNumLobbyMembers` answer for these too.
    found: BTreeMap<SteamId, Summary>,
    /// Members that rejoined this instance as the new owner of a lobby before it noticed the old owner gone
    /// (their link to it ended first), and since when: answered once it takes over, or told they are out
    /// after [`REJOIN_GRACE`] if the old owner stays.
    early_rejoins: BTreeMap<SteamId, BTreeMap<SteamId, Duration>>,
    /// Members that left through this instance as the heir before it took over: they leave at the takeover.
    early_leaves: BTreeMap<SteamId, BTreeSet<SteamId>>,
    outgoing: VecDeque<(SteamId, LobbyMessage)>,
    events: VecDeque<LobbyEvent>,
    /// The game's ID, for invitations (see [`Self::set_game_id`]).
    game_id: u64,
    /// `requestLobbyData` calls waiting for answers: who was asked and has not answered, and since when.
    data_requests: BTreeMap<SteamId, (BTreeSet<SteamId>, Duration)>,
}

impl LobbyProtocol {
    /// The lobbies of user `me`; `seed` picks lobby numbers (fixed in tests, random otherwise).
    pub fn new(me: SteamId, seed: u64) -> Self {
        Self {
            me,
            rng: fastrand::Rng::with_seed(seed),
            lobbies: BTreeMap::new(),
            joining: BTreeMap::new(),
            search: None,
            filters: Filters::default(),
            next_request: 1,
            found: BTreeMap::new(),
            early_rejoins: BTreeMap::new(),
            early_leaves: BTreeMap::new(),
            outgoing: VecDeque::new(),
            events: VecDeque::new(),
            game_id: 0,
            data_requests: BTreeMap::new(),
        }
    }

    /// The game's ID that invitations carry (a Steam game's is its app ID).
    pub fn set_game_id(&mut self, game_id: u64) {
        self.game_id = game_id;
    }

    /// The instances in `visible` but this one: whom a search or a join asks.
    fn others_among(&self, visible: &[SteamId]) -> BTreeSet<SteamId> {
        visible
            .iter()
            .copied()
            .filter(|&user| user != self.me)
            .collect()
    }

    pub fn next_outgoing(&mut self) -> Option<(SteamId, LobbyMessage)> {
        self.outgoing.pop_front()
    }

    pub fn next_event(&mut self) -> Option<LobbyEvent> {
        self.events.pop_front()
    }

    /// Whether a call left something to send or to report, which its driver should not hold back.
    pub fn has_pending(&self) -> bool {
        !self.outgoing.is_empty() || !self.events.is_empty()
    }

    /// Users this instance has a lobby with (its links to anyone else may close).
    pub fn is_linked_through_a_lobby(&self, user: SteamId) -> bool {
        self.lobbies.values().any(|lobby| {
            lobby.owner == user || (lobby.owner == self.me && lobby.member(user).is_some())
        }) || self
            .joining
            .values()
            .any(|joining| joining.owner == Some(user))
    }

    // ---- the game's calls -------------------------------------------------------------------------

    /// `createLobby`: `Created`, then `Joined` and `DataUpdate`, or `Created` with the failure.
    pub fn create(&mut self, lobby_type: u8, max_members: u32) -> Result<SteamId, LobbyError> {
        let checked = if lobby_type > lobby_type::PRIVATE_UNIQUE {
            Err(LobbyError::InvalidArgument(format!(
                "lobby type {lobby_type} is not one of LOBBY_TYPE_*"
            )))
        } else {
            limits::check_max_members(max_members).map_err(LobbyError::PastLimit)
        };
        if let Err(error) = checked {
            self.events.push_back(LobbyEvent::Created {
                result: SteamResult::INVALID_PARAM,
                lobby: SteamId(0),
            });
            return Err(error);
        }
        let lobby = loop {
            let candidate = lobby_id(self.rng.u32(1..));
            if !self.lobbies.contains_key(&candidate) {
                break candidate;
            }
        };
        self.lobbies.insert(
            lobby,
            Lobby {
                owner: self.me,
                lobby_type,
                joinable: true,
                max_members,
                data: BTreeMap::new(),
                members: vec![Member {
                    user: self.me,
                    data: BTreeMap::new(),
                }],
                awaiting_rejoin: None,
                rejoin_sent: None,
                game_server: None,
            },
        );
        self.events.push_back(LobbyEvent::Created {
            result: SteamResult::OK,
            lobby,
        });
        self.events.push_back(LobbyEvent::Joined {
            lobby,
            response: enter_response::SUCCESS,
        });
        self.events.push_back(LobbyEvent::DataUpdate {
            lobby,
            member: lobby,
        });
        Ok(lobby)
    }

    /// `joinLobby`: asks the owner (found by the last search, or by asking `visible` instances) and reports
    /// `Joined` with its answer.
    pub fn join(&mut self, now: Duration, lobby: SteamId, visible: &[SteamId]) {
        if self.lobbies.contains_key(&lobby) {
            self.events.push_back(LobbyEvent::Joined {
                lobby,
                response: enter_response::SUCCESS,
            });
            return;
        }
        if self.joining.contains_key(&lobby) {
            return;
        }
        let owner = self.found.get(&lobby).map(|summary| SteamId(summary.owner));
        let asked: BTreeSet<SteamId> = match owner {
            Some(owner) => {
                self.send(owner, LobbyMessage::Join { lobby: lobby.0 });
                BTreeSet::new()
            }
            None => self.others_among(visible),
        };
        if owner.is_none() {
            if asked.is_empty() || !is_lobby_id(lobby) {
                self.events.push_back(LobbyEvent::Joined {
                    lobby,
                    response: enter_response::DOESNT_EXIST,
                });
                return;
            }
            for &user in &asked {
                self.send(user, LobbyMessage::Locate { lobby: lobby.0 });
            }
        }
        self.joining.insert(
            lobby,
            Joining {
                owner,
                asked,
                since: now,
            },
        );
    }

    /// `leaveLobby`: the others see this user leave; an owner hands the lobby to the first member.
    pub fn leave(&mut self, lobby: SteamId) -> Result<(), LobbyError> {
        let Some(state) = self.lobbies.remove(&lobby) else {
            return Err(LobbyError::NotInLobby(lobby));
        };
        if state.owner != self.me {
            self.send(state.owner, LobbyMessage::Leave { lobby: lobby.0 });
            return Ok(());
        }
        let Some(heir) = state
            .members
            .iter()
            .map(|member| member.user)
            .find(|&user| user != self.me)
        else {
            return Ok(()); // Empty: the lobby is gone.
        };
        let me = self.me;
        for member in state.members.iter().filter(|member| member.user != me) {
            self.send(
                member.user,
                LobbyMessage::Owner {
                    lobby: lobby.0,
                    owner: heir.0,
                },
            );
        }
        Ok(())
    }

    /// `setLobbyData` (owner only): every member gets `DataUpdate` for the lobby.
    pub fn set_data(&mut self, lobby: SteamId, key: &str, value: &str) -> Result<(), LobbyError> {
        limits::check_entry(key, value).map_err(LobbyError::PastLimit)?;
        let state = self.owned_mut(lobby)?;
        if state.data.get(key).is_some_and(|known| known == value) {
            // Steam sends lobby data only when it changed (an owner re-setting it in its own
            // lobby_data_update handler would otherwise loop).
            return Ok(());
        }
        let mut data: Vec<(String, String)> = entries(&state.data);
        data.retain(|(k, _)| k != key);
        data.push((key.into(), value.into()));
        limits::check_lobby_data(&data).map_err(LobbyError::PastLimit)?;
        state.data.insert(key.into(), value.into());
        self.tell_members(lobby, |lobby| LobbyMessage::Data {
            lobby,
            key: key.into(),
            value: Some(value.into()),
        });
        self.events.push_back(LobbyEvent::DataUpdate {
            lobby,
            member: lobby,
        });
        Ok(())
    }

    /// `deleteLobbyData` (owner only); `Ok(false)` when there was no such key.
    pub fn delete_data(&mut self, lobby: SteamId, key: &str) -> Result<bool, LobbyError> {
        let state = self.owned_mut(lobby)?;
        if state.data.remove(key).is_none() {
            return Ok(false);
        }
        self.tell_members(lobby, |lobby| LobbyMessage::Data {
            lobby,
            key: key.into(),
            value: None,
        });
        self.events.push_back(LobbyEvent::DataUpdate {
            lobby,
            member: lobby,
        });
        Ok(true)
    }

    /// `getLobbyData`: "" for a key not set or a lobby neither joined nor found by the last search.
    pub fn data(&self, lobby: SteamId, key: &str) -> &str {
        if let Some(state) = self.lobbies.get(&lobby) {
            return state.data.get(key).map_or("", String::as_str);
        }
        self.found
            .get(&lobby)
            .and_then(|summary| summary.data.iter().find(|(k, _)| k == key))
            .map_or("", |(_, value)| value.as_str())
    }

    /// Every key and value of a lobby's data (joined or found), in key order.
    pub fn all_data(&self, lobby: SteamId) -> Vec<(String, String)> {
        match self.lobbies.get(&lobby) {
            Some(state) => entries(&state.data),
            None => self
                .found
                .get(&lobby)
                .map(|summary| summary.data.clone())
                .unwrap_or_default(),
        }
    }

    /// `setLobbyMemberData` for this user: goes through the owner, which tells every member.
    pub fn set_member_data(
        &mut self,
        lobby: SteamId,
        key: &str,
        value: &str,
    ) -> Result<(), LobbyError> {
        limits::check_entry(key, value).map_err(LobbyError::PastLimit)?;
        let me = self.me;
        let state = self
            .lobbies
            .get_mut(&lobby)
            .ok_or(LobbyError::NotInLobby(lobby))?;
        let owner = state.owner;
        if owner != me {
            self.send(
                owner,
                LobbyMessage::SetMemberData {
                    lobby: lobby.0,
                    key: key.into(),
                    value: value.into(),
                },
            );
            return Ok(());
        }
        self.apply_member_data(lobby, me, key, value)
            .map_err(LobbyError::PastLimit)
    }

    /// `getLobbyMemberData`: "" if not set or not a member.
    pub fn member_data(&self, lobby: SteamId, user: SteamId, key: &str) -> &str {
        self.lobbies
            .get(&lobby)
            .and_then(|state| state.member(user))
            .and_then(|member| member.data.get(key))
            .map_or("", String::as_str)
    }

    /// `sendLobbyChatMsg`: every member gets `Message`, this one included.
    pub fn send_chat(&mut self, lobby: SteamId, body: &[u8]) -> Result<(), LobbyError> {
        limits::check_chat(body).map_err(LobbyError::PastLimit)?;
        let state = self
            .lobbies
            .get(&lobby)
            .ok_or(LobbyError::NotInLobby(lobby))?;
        if state.owner != self.me {
            let owner = state.owner;
            self.send(
                owner,
                LobbyMessage::Chat {
                    lobby: lobby.0,
                    body: body.to_vec(),
                },
            );
            return Ok(());
        }
        let me = self.me;
        self.relay_chat(lobby, me, body);
        Ok(())
    }

    /// `setLobbyOwner` (owner only): `new_owner`, a member, owns the lobby; this user stays a member. Every
    /// member gets `DataUpdate` for the lobby.
    pub fn set_owner(
        &mut self,
        now: Duration,
        lobby: SteamId,
        new_owner: SteamId,
    ) -> Result<(), LobbyError> {
        let me = self.me;
        let state = self.owned_mut(lobby)?;
        if new_owner == me {
            return Ok(());
        }
        if state.member(new_owner).is_none() {
            return Err(LobbyError::NotAMember(new_owner, lobby));
        }
        state.owner = new_owner;
        state.awaiting_rejoin = None;
        state.rejoin_sent = Some(now);
        self.tell_members(lobby, |lobby| LobbyMessage::Transfer {
            lobby,
            owner: new_owner.0,
        });
        // After the transfer on the same link, so the new owner knows it owns the lobby when this comes.
        self.send(new_owner, LobbyMessage::Rejoin { lobby: lobby.0 });
        self.events.push_back(LobbyEvent::DataUpdate {
            lobby,
            member: lobby,
        });
        Ok(())
    }

    /// `setLobbyGameServer` (owner only): every member, this one included, gets `GameCreated`.
    pub fn set_game_server(
        &mut self,
        lobby: SteamId,
        server: GameServer,
    ) -> Result<(), LobbyError> {
        limits::check_game_server(&server).map_err(LobbyError::PastLimit)?;
        let state = self.owned_mut(lobby)?;
        state.game_server = Some(server.clone());
        let message = server.clone();
        self.tell_members(lobby, |lobby| LobbyMessage::GameServer {
            lobby,
            server: message.clone(),
        });
        self.events.push_back(LobbyEvent::GameCreated {
            lobby,
            server: SteamId(server.steam_id),
            ip: server.ip,
            port: server.port,
        });
        Ok(())
    }

    /// `getLobbyGameServer`: the game server the owner named, if any.
    pub fn game_server(&self, lobby: SteamId) -> Option<&GameServer> {
        self.lobbies.get(&lobby)?.game_server.as_ref()
    }

    /// `requestLobbyData`: fresh data of a lobby (joined or not), then `DataUpdate` for it, or
    /// `DataUnavailable` if no instance in sight has it.
    pub fn request_data(&mut self, now: Duration, lobby: SteamId, visible: &[SteamId]) {
        if self.lobbies.contains_key(&lobby) {
            // A member's copy is always up to date.
            self.events.push_back(LobbyEvent::DataUpdate {
                lobby,
                member: lobby,
            });
            return;
        }
        let asked: BTreeSet<SteamId> = match self.found.get(&lobby) {
            Some(summary) => [SteamId(summary.owner)].into(),
            None => self.others_among(visible),
        };
        if asked.is_empty() || !is_lobby_id(lobby) {
            self.events.push_back(LobbyEvent::DataUnavailable { lobby });
            return;
        }
        for &user in &asked {
            self.send(user, LobbyMessage::DataRequest { lobby: lobby.0 });
        }
        self.data_requests.insert(lobby, (asked, now));
    }

    /// `inviteUserToLobby`: `invitee` gets `Invited` (any user in sight; Steam asks for a friend).
    pub fn invite(&mut self, lobby: SteamId, invitee: SteamId) -> Result<(), LobbyError> {
        if !self.lobbies.contains_key(&lobby) {
            return Err(LobbyError::NotInLobby(lobby));
        }
        if !invitee.is_valid() || invitee == self.me {
            return Err(LobbyError::InvalidArgument(format!(
                "{} cannot be invited",
                invitee.0
            )));
        }
        self.send(invitee, LobbyMessage::Invite { lobby: lobby.0 });
        Ok(())
    }

    /// `setLobbyJoinable` (owner only).
    pub fn set_joinable(&mut self, lobby: SteamId, joinable: bool) -> Result<(), LobbyError> {
        self.owned_mut(lobby)?.joinable = joinable;
        self.tell_settings(lobby);
        Ok(())
    }

    /// `setLobbyType` (owner only).
    pub fn set_type(&mut self, lobby: SteamId, lobby_type: u8) -> Result<(), LobbyError> {
        if lobby_type > lobby_type::PRIVATE_UNIQUE {
            return Err(LobbyError::InvalidArgument(format!(
                "lobby type {lobby_type} is not one of LOBBY_TYPE_*"
            )));
        }
        self.owned_mut(lobby)?.lobby_type = lobby_type;
        self.tell_settings(lobby);
        Ok(())
    }

    /// `setLobbyMemberLimit` (owner only; members already in stay).
    pub fn set_member_limit(&mut self, lobby: SteamId, max_members: u32) -> Result<(), LobbyError> {
        limits::check_max_members(max_members).map_err(LobbyError::PastLimit)?;
        self.owned_mut(lobby)?.max_members = max_members;
        self.tell_settings(lobby);
        Ok(())
    }

    /// `getLobbyMemberLimit`: 0 for a lobby neither joined nor found.
    pub fn member_limit(&self, lobby: SteamId) -> u32 {
        match self.lobbies.get(&lobby) {
            Some(state) => state.max_members,
            None => self
                .found
                .get(&lobby)
                .map_or(0, |summary| summary.max_members),
        }
    }

    /// `getLobbyMemberByIndex` and `getNumLobbyMembers`: the members in the order they joined (none for a
    /// lobby this user is not in, as Steam says).
    pub fn members(&self, lobby: SteamId) -> Vec<SteamId> {
        self.lobbies.get(&lobby).map_or_else(Vec::new, |state| {
            state.members.iter().map(|member| member.user).collect()
        })
    }

    /// How many members a lobby has: for a found lobby, as many as its search answer said.
    pub fn member_count(&self, lobby: SteamId) -> u32 {
        match self.lobbies.get(&lobby) {
            Some(state) => state.members.len() as u32,
            None => self.found.get(&lobby).map_or(0, |summary| summary.members),
        }
    }

    /// `getLobbyOwner`: `None` for a lobby this user is not in.
    pub fn owner(&self, lobby: SteamId) -> Option<SteamId> {
        self.lobbies.get(&lobby).map(|state| state.owner)
    }

    /// The lobbies this user is in.
    pub fn lobbies(&self) -> Vec<SteamId> {
        self.lobbies.keys().copied().collect()
    }

    /// The filters `addRequestLobbyList*Filter` add to, for the next search.
    pub fn filters_mut(&mut self) -> &mut Filters {
        &mut self.filters
    }

    /// `requestLobbyList`: asks every `visible` instance, then reports `MatchList`; the filters reset.
    pub fn request_list(&mut self, now: Duration, visible: &[SteamId]) {
        let filters = self.take_filters();
        self.request_list_with(now, visible, filters);
    }

    /// The filters added since the last search, which the next search would use; they reset.
    pub fn take_filters(&mut self) -> Filters {
        std::mem::take(&mut self.filters)
    }

    /// A search with `filters` (taken earlier with [`Self::take_filters`]).
    pub fn request_list_with(&mut self, now: Duration, visible: &[SteamId], filters: Filters) {
        let request = self.next_request;
        self.next_request = self.next_request.wrapping_add(1);
        let found = self.listed_here();
        let asked = self.others_among(visible);
        for &user in &asked {
            self.send(user, LobbyMessage::ListRequest { request });
        }
        // A search in progress is replaced, as a new CallResult replaces Steam's.
        self.search = Some(Search {
            request,
            asked,
            found,
            filters,
            since: now,
        });
        self.finish_search_if_answered();
    }

    // ---- what the network brings ------------------------------------------------------------------

    /// A message `from` a user, over the link with it.
    pub fn handle_message(&mut self, now: Duration, from: SteamId, message: LobbyMessage) {
        match message {
            LobbyMessage::Join { lobby } => self.on_join(from, SteamId(lobby)),
            LobbyMessage::Welcome(snapshot) => self.on_welcome(from, snapshot),
            LobbyMessage::Refuse { lobby, response } => {
                let lobby = SteamId(lobby);
                if self.joining.get(&lobby).and_then(|j| j.owner) == Some(from) {
                    self.joining.remove(&lobby);
                    // A refusal cannot say SUCCESS: only a WELCOME lets a user in.
                    let response = if response == enter_response::SUCCESS {
                        enter_response::ERROR
                    } else {
                        response
                    };
                    self.events
                        .push_back(LobbyEvent::Joined { lobby, response });
                }
            }
            LobbyMessage::Leave { lobby } => self.on_leave(from, SteamId(lobby)),
            LobbyMessage::Rejoin { lobby } => self.on_rejoin(now, from, SteamId(lobby)),
            LobbyMessage::SetMemberData { lobby, key, value } => {
                let lobby = SteamId(lobby);
                if self.owns_with_member(lobby, from)
                    && self.apply_member_data(lobby, from, &key, &value).is_err()
                {
                    log::warn!(
                        "lobby {}: member {} sent more member data than a member holds; ignored",
                        lobby.0,
                        from.0
                    );
                }
            }
            LobbyMessage::Chat { lobby, body } => {
                let lobby = SteamId(lobby);
                if self.owns_with_member(lobby, from) {
                    self.relay_chat(lobby, from, &body);
                }
            }
            LobbyMessage::Entered { lobby, member } => {
                let lobby = SteamId(lobby);
                let user = SteamId(member.user);
                let Some(state) = self.replica_from(lobby, from) else {
                    return;
                };
                if state.member(user).is_some()
                    || state.members.len() >= limits::MAX_MEMBERS as usize
                {
                    return;
                }
                state.members.push(Member {
                    user,
                    data: member.data.into_iter().collect(),
                });
                self.events.push_back(LobbyEvent::ChatUpdate {
                    lobby,
                    changed: user,
                    making_change: user,
                    state: member_state::ENTERED,
                });
            }
            LobbyMessage::Gone {
                lobby,
                member,
                state,
            } => {
                let (lobby, user) = (SteamId(lobby), SteamId(member));
                let state = if state == member_state::LEFT {
                    member_state::LEFT
                } else {
                    member_state::DISCONNECTED
                };
                let me = self.me;
                let Some(replica) = self.replica_from(lobby, from) else {
                    return;
                };
                if user == me {
                    // The owner no longer counts this instance in: it is out of the lobby, as Steam's
                    // LobbyKicked_t says of a user who lost its connection.
                    self.lobbies.remove(&lobby);
                    self.events
                        .push_back(LobbyEvent::Kicked { lobby, admin: from });
                    return;
                }
                if user == replica.owner {
                    // The instance this member turned to as the new owner has left the lobby too.
                    self.take_over_from(now, lobby, user, state);
                    return;
                }
                if replica.remove_member(user) {
                    self.events.push_back(LobbyEvent::ChatUpdate {
                        lobby,
                        changed: user,
                        making_change: user,
                        state,
                    });
                }
            }
            LobbyMessage::Data { lobby, key, value } => {
                let lobby = SteamId(lobby);
                let Some(state) = self.replica_from(lobby, from) else {
                    return;
                };
                match value {
                    Some(value) => {
                        let mut data = entries(&state.data);
                        data.retain(|(k, _)| *k != key);
                        data.push((key.clone(), value.clone()));
                        if limits::check_lobby_data(&data).is_err() {
                            log::warn!(
                                "lobby {}: the owner sent more lobby data than a lobby holds; ignored",
                                lobby.0
                            );
                            return;
                        }
                        state.data.insert(key, value);
                    }
                    None => {
                        state.data.remove(&key);
                    }
                }
                self.events.push_back(LobbyEvent::DataUpdate {
                    lobby,
                    member: lobby,
                });
            }
            LobbyMessage::MemberData {
                lobby,
                member,
                key,
                value,
            } => {
                let (lobby, user) = (SteamId(lobby), SteamId(member));
                let Some(state) = self.replica_from(lobby, from) else {
                    return;
                };
                let Some(member) = state.member_mut(user) else {
                    return;
                };
                let mut data = entries(&member.data);
                data.retain(|(k, _)| *k != key);
                data.push((key.clone(), value.clone()));
                if limits::check_member_data(&data).is_err() {
                    log::warn!(
                        "lobby {}: the owner sent more member data than a member holds; ignored",
                        lobby.0
                    );
                    return;
                }
                member.data.insert(key, value);
                self.events.push_back(LobbyEvent::DataUpdate {
                    lobby,
                    member: user,
                });
            }
            LobbyMessage::Settings {
                lobby,
                lobby_type,
                joinable,
                max_members,
            } => {
                if let Some(state) = self.replica_from(SteamId(lobby), from) {
                    state.lobby_type = lobby_type;
                    state.joinable = joinable;
                    state.max_members = max_members;
                }
            }
            LobbyMessage::ChatFrom {
                lobby,
                from: user,
                body,
            } => {
                let (lobby, user) = (SteamId(lobby), SteamId(user));
                let Some(state) = self.replica_from(lobby, from) else {
                    return;
                };
                if state.member(user).is_some() {
                    self.events
                        .push_back(LobbyEvent::Message { lobby, user, body });
                }
            }
            LobbyMessage::Owner { lobby, owner } => {
                self.on_handover(now, from, SteamId(lobby), SteamId(owner))
            }
            LobbyMessage::Transfer { lobby, owner } => {
                self.on_transfer(now, from, SteamId(lobby), SteamId(owner))
            }
            LobbyMessage::GameServer { lobby, server } => {
                let lobby = SteamId(lobby);
                if let Some(state) = self.replica_from(lobby, from) {
                    state.game_server = Some(server.clone());
                    self.events.push_back(LobbyEvent::GameCreated {
                        lobby,
                        server: SteamId(server.steam_id),
                        ip: server.ip,
                        port: server.port,
                    });
                }
            }
            LobbyMessage::DataRequest { lobby } => {
                let summary = self
                    .lobbies
                    .get(&SteamId(lobby))
                    .filter(|state| state.owner == self.me)
                    .map(|state| Summary {
                        lobby,
                        owner: self.me.0,
                        members: state.members.len() as u32,
                        max_members: state.max_members,
                        data: entries(&state.data),
                    });
                self.send(from, LobbyMessage::DataAnswer { lobby, summary });
            }
            LobbyMessage::DataAnswer { lobby, summary } => {
                self.on_data_answer(from, SteamId(lobby), summary)
            }
            LobbyMessage::Invite { lobby } => {
                let lobby = SteamId(lobby);
                if is_lobby_id(lobby) {
                    self.events.push_back(LobbyEvent::Invited {
                        inviter: from,
                        lobby,
                        game: self.game_id,
                    });
                }
            }
            LobbyMessage::ListRequest { request } => {
                let lobbies = self.listed_here();
                self.send(from, LobbyMessage::List { request, lobbies });
            }
            LobbyMessage::List { request, lobbies } => self.on_list(from, request, lobbies),
            LobbyMessage::Locate { lobby } => {
                let owner = self
                    .lobbies
                    .get(&SteamId(lobby))
                    .map_or(0, |state| state.owner.0);
                self.send(from, LobbyMessage::Located { lobby, owner });
            }
            LobbyMessage::Located { lobby, owner } => {
                self.on_located(from, SteamId(lobby), SteamId(owner))
            }
        }
    }

    /// The link with `user` ended (it vanished, or left the network): it is gone from every lobby, and a
    /// lobby it owned passes to the first member.
    pub fn handle_link_lost(&mut self, now: Duration, user: SteamId) {
        let lobbies: Vec<SteamId> = self.lobbies.keys().copied().collect();
        for lobby in lobbies {
            let Some(state) = self.lobbies.get(&lobby) else {
                continue;
            };
            if state.owner == self.me {
                self.drop_member(lobby, user, member_state::DISCONNECTED);
            } else if state.owner == user {
                self.take_over_from(now, lobby, user, member_state::DISCONNECTED);
            }
        }
        let failed: Vec<SteamId> = self
            .joining
            .iter_mut()
            .filter_map(|(&lobby, joining)| {
                joining.asked.remove(&user);
                let owner_lost = joining.owner == Some(user);
                (owner_lost || (joining.owner.is_none() && joining.asked.is_empty()))
                    .then_some(lobby)
            })
            .collect();
        for lobby in failed {
            let joining = self.joining.remove(&lobby);
            let response = if joining.and_then(|j| j.owner).is_some() {
                enter_response::ERROR
            } else {
                enter_response::DOESNT_EXIST
            };
            self.events
                .push_back(LobbyEvent::Joined { lobby, response });
        }
        if let Some(search) = &mut self.search {
            search.asked.remove(&user);
        }
        self.finish_search_if_answered();
        let requests: Vec<SteamId> = self
            .data_requests
            .iter()
            .filter(|(_, (asked, _))| asked.contains(&user))
            .map(|(&lobby, _)| lobby)
            .collect();
        for lobby in requests {
            self.on_data_answer(user, lobby, None);
        }
    }

    /// Timeouts: unanswered joins and searches, members that did not rejoin a new owner.
    pub fn update(&mut self, now: Duration) {
        let expired: Vec<SteamId> = self
            .joining
            .iter()
            .filter(|(_, joining)| now.saturating_sub(joining.since) >= JOIN_TIMEOUT)
            .map(|(&lobby, _)| lobby)
            .collect();
        for lobby in expired {
            let joining = self.joining.remove(&lobby);
            let response = if joining.and_then(|j| j.owner).is_some() {
                enter_response::ERROR
            } else {
                enter_response::DOESNT_EXIST
            };
            self.events
                .push_back(LobbyEvent::Joined { lobby, response });
        }
        let unanswered: Vec<SteamId> = self
            .data_requests
            .iter()
            .filter(|(_, (_, since))| now.saturating_sub(*since) >= JOIN_TIMEOUT)
            .map(|(&lobby, _)| lobby)
            .collect();
        for lobby in unanswered {
            self.data_requests.remove(&lobby);
            self.events.push_back(LobbyEvent::DataUnavailable { lobby });
        }
        if let Some(search) = &mut self.search
            && now.saturating_sub(search.since) >= SEARCH_TIMEOUT
        {
            search.asked.clear();
        }
        self.finish_search_if_answered();
        let overdue: Vec<(SteamId, Vec<SteamId>)> = self
            .lobbies
            .iter_mut()
            .filter_map(|(&lobby, state)| {
                let (missing, deadline) = state.awaiting_rejoin.as_ref()?;
                if now < *deadline {
                    return None;
                }
                let missing = missing.iter().copied().collect();
                state.awaiting_rejoin = None;
                Some((lobby, missing))
            })
            .collect();
        for (lobby, missing) in overdue {
            for user in missing {
                self.drop_member(lobby, user, member_state::DISCONNECTED);
            }
        }
        let unanswered: Vec<(SteamId, SteamId)> = self
            .lobbies
            .iter()
            .filter(|(_, state)| {
                state
                    .rejoin_sent
                    .is_some_and(|since| now.saturating_sub(since) >= MEMBER_REJOIN_TIMEOUT)
            })
            .map(|(&lobby, state)| (lobby, state.owner))
            .collect();
        for (lobby, heir) in unanswered {
            // The heir never took this member back: it is gone too; the next one is turned to.
            self.take_over_from(now, lobby, heir, member_state::DISCONNECTED);
        }
        let mut refused = Vec::new();
        self.early_rejoins.retain(|&lobby, rejoins| {
            rejoins.retain(|&user, &mut since| {
                let waiting = now.saturating_sub(since) < REJOIN_GRACE;
                if !waiting {
                    refused.push((user, lobby));
                }
                waiting
            });
            !rejoins.is_empty()
        });
        for (user, lobby) in refused {
            self.send_out(user, lobby);
        }
    }

    // ---- owner side -------------------------------------------------------------------------------

    fn on_join(&mut self, from: SteamId, lobby: SteamId) {
        let me = self.me;
        let response = match self.lobbies.get(&lobby) {
            Some(state) if state.owner == me => {
                if state.member(from).is_some() {
                    None
                } else if !state.joinable {
                    Some(enter_response::NOT_ALLOWED)
                } else if state.members.len() as u32 >= state.max_members {
                    Some(enter_response::FULL)
                } else {
                    None
                }
            }
            _ => Some(enter_response::DOESNT_EXIST),
        };
        if let Some(response) = response {
            self.send(
                from,
                LobbyMessage::Refuse {
                    lobby: lobby.0,
                    response,
                },
            );
            return;
        }
        let Some(state) = self.lobbies.get_mut(&lobby) else {
            return;
        };
        let entered = state.member(from).is_none();
        if entered {
            state.members.push(Member {
                user: from,
                data: BTreeMap::new(),
            });
        }
        let snapshot = state.snapshot(lobby);
        if entered {
            let others: Vec<SteamId> = state
                .members
                .iter()
                .map(|member| member.user)
                .filter(|&user| user != me && user != from)
                .collect();
            for user in others {
                self.send(
                    user,
                    LobbyMessage::Entered {
                        lobby: lobby.0,
                        member: MemberRecord {
                            user: from.0,
                            data: Vec::new(),
                        },
                    },
                );
            }
            self.events.push_back(LobbyEvent::ChatUpdate {
                lobby,
                changed: from,
                making_change: from,
                state: member_state::ENTERED,
            });
        }
        self.send(from, LobbyMessage::Welcome(snapshot));
    }

    fn on_rejoin(&mut self, now: Duration, from: SteamId, lobby: SteamId) {
        let me = self.me;
        let Some(state) = self.lobbies.get_mut(&lobby) else {
            // This instance left the lobby (with its owner, say): the rejoiner turns to the next heir.
            self.send(
                from,
                LobbyMessage::Gone {
                    lobby: lobby.0,
                    member: me.0,
                    state: member_state::LEFT,
                },
            );
            return;
        };
        if state.member(from).is_none() || from == me {
            self.send_out(from, lobby);
            return;
        }
        if state.owner != me {
            // The member turned to this instance as the new owner before this instance knew it is one (it
            // has not noticed the owner gone yet, or the owner's hand-over is still on its way): held until
            // then, or refused after the grace.
            self.early_rejoins
                .entry(lobby)
                .or_default()
                .entry(from)
                .or_insert(now);
            return;
        }
        if let Some((missing, _)) = &mut state.awaiting_rejoin {
            missing.remove(&from);
        }
        let snapshot = state.snapshot(lobby);
        self.send(from, LobbyMessage::Welcome(snapshot));
    }

    /// A member leaves: the owner drops it; the heir that has not yet noticed the owner gone keeps the leave
    /// for its takeover.
    fn on_leave(&mut self, from: SteamId, lobby: SteamId) {
        let Some(state) = self.lobbies.get(&lobby) else {
            return;
        };
        if state.owner == self.me {
            self.drop_member(lobby, from, member_state::LEFT);
        } else if self.is_heir_of(lobby) && state.member(from).is_some() {
            if let Some(rejoins) = self.early_rejoins.get_mut(&lobby) {
                rejoins.remove(&from);
            }
            self.early_leaves.entry(lobby).or_default().insert(from);
        }
    }

    /// Whether this instance (a member) would own `lobby` if its owner were gone.
    fn is_heir_of(&self, lobby: SteamId) -> bool {
        self.lobbies.get(&lobby).is_some_and(|state| {
            state
                .members
                .iter()
                .map(|member| member.user)
                .find(|&user| user != state.owner)
                == Some(self.me)
        })
    }

    /// Tells `user` it is not a member of `lobby` (as far as this instance, the owner it turned to, knows).
    fn send_out(&mut self, user: SteamId, lobby: SteamId) {
        self.send(
            user,
            LobbyMessage::Gone {
                lobby: lobby.0,
                member: user.0,
                state: member_state::DISCONNECTED,
            },
        );
    }

    /// Owner: `user` is no longer a member (it left, or vanished).
    fn drop_member(&mut self, lobby: SteamId, user: SteamId, state: i32) {
        let me = self.me;
        let Some(lobby_state) = self.lobbies.get_mut(&lobby) else {
            return;
        };
        if lobby_state.owner != me || user == me || !lobby_state.remove_member(user) {
            return;
        }
        if let Some((missing, _)) = &mut lobby_state.awaiting_rejoin {
            missing.remove(&user);
        }
        self.tell_members(lobby, |lobby| LobbyMessage::Gone {
            lobby,
            member: user.0,
            state,
        });
        self.events.push_back(LobbyEvent::ChatUpdate {
            lobby,
            changed: user,
            making_change: user,
            state,
        });
    }

    fn apply_member_data(
        &mut self,
        lobby: SteamId,
        user: SteamId,
        key: &str,
        value: &str,
    ) -> Result<(), Limit> {
        let Some(member) = self
            .lobbies
            .get_mut(&lobby)
            .and_then(|state| state.member_mut(user))
        else {
            return Ok(());
        };
        if member.data.get(key).is_some_and(|known| known == value) {
            return Ok(());
        }
        let mut data = entries(&member.data);
        data.retain(|(k, _)| k != key);
        data.push((key.into(), value.into()));
        limits::check_member_data(&data)?;
        member.data.insert(key.into(), value.into());
        self.tell_members(lobby, |lobby| LobbyMessage::MemberData {
            lobby,
            member: user.0,
            key: key.into(),
            value: value.into(),
        });
        self.events.push_back(LobbyEvent::DataUpdate {
            lobby,
            member: user,
        });
        Ok(())
    }

    fn relay_chat(&mut self, lobby: SteamId, from: SteamId, body: &[u8]) {
        self.tell_members(lobby, |lobby| LobbyMessage::ChatFrom {
            lobby,
            from: from.0,
            body: body.to_vec(),
        });
        self.events.push_back(LobbyEvent::Message {
            lobby,
            user: from,
            body: body.to_vec(),
        });
    }

    fn tell_settings(&mut self, lobby: SteamId) {
        let Some(state) = self.lobbies.get(&lobby) else {
            return;
        };
        let (lobby_type, joinable, max_members) =
            (state.lobby_type, state.joinable, state.max_members);
        self.tell_members(lobby, |lobby| LobbyMessage::Settings {
            lobby,
            lobby_type,
            joinable,
            max_members,
        });
    }

    /// Sends to every member but this one.
    fn tell_members(&mut self, lobby: SteamId, message: impl Fn(u64) -> LobbyMessage) {
        let Some(state) = self.lobbies.get(&lobby) else {
            return;
        };
        let others: Vec<SteamId> = state
            .members
            .iter()
            .map(|member| member.user)
            .filter(|&user| user != self.me)
            .collect();
        for user in others {
            self.send(user, message(lobby.0));
        }
    }

    fn owned_mut(&mut self, lobby: SteamId) -> Result<&mut Lobby, LobbyError> {
        let me = self.me;
        match self.lobbies.get_mut(&lobby) {
            None => Err(LobbyError::NotInLobby(lobby)),
            Some(state) if state.owner != me => Err(LobbyError::NotOwner(lobby)),
            Some(state) => Ok(state),
        }
    }

    fn owns_with_member(&self, lobby: SteamId, user: SteamId) -> bool {
        self.lobbies.get(&lobby).is_some_and(|state| {
            state.owner == self.me && user != self.me && state.member(user).is_some()
        })
    }

    /// The lobbies this instance owns that a search shows.
    fn listed_here(&self) -> Vec<Summary> {
        let mut listed: Vec<Summary> = self
            .lobbies
            .iter()
            .filter(|(_, state)| state.owner == self.me && state.is_listed())
            .map(|(&lobby, state)| Summary {
                lobby: lobby.0,
                owner: self.me.0,
                members: state.members.len() as u32,
                max_members: state.max_members,
                data: entries(&state.data),
            })
            .collect();
        listed.sort_by_key(|summary| summary.lobby);
        listed.truncate(limits::MAX_LISTED_PER_OWNER);
        // A search answer travels as one packet: lobbies past the budget are left out of it.
        let mut bytes = 0;
        listed.retain(|summary| {
            bytes += limits::summary_bytes(summary.data.iter());
            bytes <= limits::MAX_LIST_ANSWER_BYTES
        });
        listed
    }

    // ---- member side ------------------------------------------------------------------------------

    /// The replica of `lobby` if `from` owns it (as this member knows it); messages about a lobby from
    /// anyone else are not believed.
    fn replica_from(&mut self, lobby: SteamId, from: SteamId) -> Option<&mut Lobby> {
        let me = self.me;
        self.lobbies
            .get_mut(&lobby)
            .filter(|state| state.owner == from && state.owner != me)
    }

    fn on_welcome(&mut self, from: SteamId, snapshot: Snapshot) {
        let lobby = SteamId(snapshot.lobby);
        let me = self.me;
        let holds_me = snapshot.members.iter().any(|member| member.user == me.0);
        if SteamId(snapshot.owner) != from || !holds_me {
            return;
        }
        let awaited = self.joining.get(&lobby).and_then(|j| j.owner) == Some(from);
        let rejoined = self
            .lobbies
            .get(&lobby)
            .is_some_and(|state| state.owner == from);
        if !awaited && !rejoined {
            // Too late (the join timed out, or this user left meanwhile): the owner counts this user in, so
            // say it leaves, or it stays a member nobody plays as.
            self.send(from, LobbyMessage::Leave { lobby: lobby.0 });
            return;
        }
        let replica = Lobby::from_snapshot(snapshot);
        let previous = self.lobbies.insert(lobby, replica);
        if awaited {
            self.joining.remove(&lobby);
            self.events.push_back(LobbyEvent::Joined {
                lobby,
                response: enter_response::SUCCESS,
            });
        } else if let Some(previous) = previous {
            self.report_changes(lobby, &previous);
        }
    }

    /// Events for what a new owner's snapshot changed in this member's copy (changes it made while this
    /// member was still turning to it): who entered or is gone, and whose data changed.
    fn report_changes(&mut self, lobby: SteamId, previous: &Lobby) {
        let Some(current) = self.lobbies.get_mut(&lobby) else {
            return;
        };
        current.rejoin_sent = None;
        let mut events = Vec::new();
        for member in &current.members {
            match previous.member(member.user) {
                None => events.push(LobbyEvent::ChatUpdate {
                    lobby,
                    changed: member.user,
                    making_change: member.user,
                    state: member_state::ENTERED,
                }),
                Some(before) if before.data != member.data => events.push(LobbyEvent::DataUpdate {
                    lobby,
                    member: member.user,
                }),
                Some(_) => {}
            }
        }
        for member in &previous.members {
            if current.member(member.user).is_none() {
                events.push(LobbyEvent::ChatUpdate {
                    lobby,
                    changed: member.user,
                    making_change: member.user,
                    state: member_state::DISCONNECTED,
                });
            }
        }
        if previous.data != current.data {
            events.push(LobbyEvent::DataUpdate {
                lobby,
                member: lobby,
            });
        }
        self.events.extend(events);
    }

    /// The owner `from` gives `lobby` to `new_owner` and stays a member: everyone turns to the new owner.
    fn on_transfer(&mut self, now: Duration, from: SteamId, lobby: SteamId, new_owner: SteamId) {
        let me = self.me;
        let Some(state) = self.lobbies.get_mut(&lobby) else {
            return;
        };
        if state.owner != from || from == me || state.member(new_owner).is_none() {
            return;
        }
        state.owner = new_owner;
        if new_owner == me {
            let missing = state
                .members
                .iter()
                .map(|member| member.user)
                .filter(|&user| user != me)
                .collect();
            state.awaiting_rejoin = Some((missing, now + REJOIN_GRACE));
            state.rejoin_sent = None;
        } else {
            state.rejoin_sent = Some(now);
            self.send(new_owner, LobbyMessage::Rejoin { lobby: lobby.0 });
        }
        self.events.push_back(LobbyEvent::DataUpdate {
            lobby,
            member: lobby,
        });
        if new_owner == me {
            for user in self
                .early_rejoins
                .remove(&lobby)
                .unwrap_or_default()
                .into_keys()
            {
                self.on_rejoin(now, user, lobby);
            }
        }
    }

    /// The owner `from` leaves `lobby` and hands it to `heir`.
    fn on_handover(&mut self, now: Duration, from: SteamId, lobby: SteamId, heir: SteamId) {
        let Some(state) = self.lobbies.get(&lobby) else {
            return;
        };
        if state.owner != from || from == self.me || state.member(heir).is_none() || heir == from {
            return;
        }
        self.take_over_from(now, lobby, from, member_state::LEFT);
    }

    /// `old_owner` is gone (`how`: left or disconnected): the first member left becomes the owner; if that
    /// is this instance it waits for the others to rejoin, else it rejoins the new owner.
    fn take_over_from(&mut self, now: Duration, lobby: SteamId, old_owner: SteamId, how: i32) {
        let me = self.me;
        let Some(state) = self.lobbies.get_mut(&lobby) else {
            return;
        };
        state.remove_member(old_owner);
        let Some(heir) = state.members.first().map(|member| member.user) else {
            self.lobbies.remove(&lobby);
            return;
        };
        state.owner = heir;
        if heir == me {
            let missing = state
                .members
                .iter()
                .map(|member| member.user)
                .filter(|&user| user != me)
                .collect();
            state.awaiting_rejoin = Some((missing, now + REJOIN_GRACE));
        }
        self.events.push_back(LobbyEvent::ChatUpdate {
            lobby,
            changed: old_owner,
            making_change: old_owner,
            state: how,
        });
        if heir != me {
            state.rejoin_sent = Some(now);
            self.send(heir, LobbyMessage::Rejoin { lobby: lobby.0 });
            return;
        }
        state.rejoin_sent = None;
        for user in self.early_leaves.remove(&lobby).unwrap_or_default() {
            self.drop_member(lobby, user, member_state::LEFT);
        }
        for user in self
            .early_rejoins
            .remove(&lobby)
            .unwrap_or_default()
            .into_keys()
        {
            self.on_rejoin(now, user, lobby);
        }
    }

    // ---- searches and look-ups --------------------------------------------------------------------

    fn on_list(&mut self, from: SteamId, request: u32, lobbies: Vec<Summary>) {
        let Some(search) = &mut self.search else {
            return;
        };
        if search.request != request || !search.asked.remove(&from) {
            return;
        }
        // An instance answers for its own lobbies only.
        search.found.extend(
            lobbies
                .into_iter()
                .filter(|summary| summary.owner == from.0 && is_lobby_id(SteamId(summary.lobby))),
        );
        self.finish_search_if_answered();
    }

    fn finish_search_if_answered(&mut self) {
        if self
            .search
            .as_ref()
            .is_none_or(|search| !search.asked.is_empty())
        {
            return;
        }
        let Some(search) = self.search.take() else {
            return;
        };
        let mut seen = BTreeSet::new();
        let found: Vec<Summary> = search
            .found
            .into_iter()
            .filter(|summary| seen.insert(summary.lobby))
            .collect();
        let shown = search.filters.apply(found);
        self.found = shown
            .iter()
            .map(|summary| (SteamId(summary.lobby), summary.clone()))
            .collect();
        self.events.push_back(LobbyEvent::MatchList {
            lobbies: shown.iter().map(|summary| SteamId(summary.lobby)).collect(),
        });
    }

    fn on_data_answer(&mut self, from: SteamId, lobby: SteamId, summary: Option<Summary>) {
        let Some((asked, _)) = self.data_requests.get_mut(&lobby) else {
            return;
        };
        if !asked.remove(&from) {
            return;
        }
        match summary.filter(|summary| summary.owner == from.0 && summary.lobby == lobby.0) {
            Some(summary) => {
                self.data_requests.remove(&lobby);
                self.found.insert(lobby, summary);
                self.events.push_back(LobbyEvent::DataUpdate {
                    lobby,
                    member: lobby,
                });
            }
            None if asked.is_empty() => {
                self.data_requests.remove(&lobby);
                self.found.remove(&lobby);
                self.events.push_back(LobbyEvent::DataUnavailable { lobby });
            }
            None => {}
        }
    }

    fn on_located(&mut self, from: SteamId, lobby: SteamId, owner: SteamId) {
        let Some(joining) = self.joining.get_mut(&lobby) else {
            return;
        };
        if joining.owner.is_some() || !joining.asked.remove(&from) {
            return;
        }
        if owner.is_valid() && owner != self.me {
            joining.owner = Some(owner);
            joining.asked.clear();
            self.send(owner, LobbyMessage::Join { lobby: lobby.0 });
        } else if joining.asked.is_empty() {
            self.joining.remove(&lobby);
            self.events.push_back(LobbyEvent::Joined {
                lobby,
                response: enter_response::DOESNT_EXIST,
            });
        }
    }

    fn send(&mut self, to: SteamId, message: LobbyMessage) {
        self.outgoing.push_back((to, message));
    }
}
