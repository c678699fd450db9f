//! The lobby rules, between protocols joined by in-memory links (reliable and ordered per pair, as the
//! transport's are) on a manual clock. Every message goes through its bytes, so what is tested is what travels.

use std::collections::VecDeque;
use std::time::Duration;

use super::wire::{self, LobbyMessage};
use super::*;

fn user(index: usize) -> SteamId {
    SteamId(SteamId::INDIVIDUAL_PUBLIC_BASE + 1 + index as u64)
}

struct World {
    nodes: Vec<LobbyProtocol>,
    alive: Vec<bool>,
    /// (from, to, bytes) in flight, in sending order.
    wire: VecDeque<(usize, usize, Vec<u8>)>,
    events: Vec<Vec<LobbyEvent>>,
    now: Duration,
}

impl World {
    fn new(count: usize) -> Self {
        Self {
            nodes: (0..count)
                .map(|index| LobbyProtocol::new(user(index), index as u64 + 1))
                .collect(),
            alive: vec![true; count],
            wire: VecDeque::new(),
            events: vec![Vec::new(); count],
            now: Duration::from_secs(1),
        }
    }

    /// A new instance joins the world (the next user, with its own seed); its index.
    fn add_node(&mut self) -> usize {
        let index = self.nodes.len();
        self.nodes
            .push(LobbyProtocol::new(user(index), index as u64 + 1));
        self.alive.push(true);
        self.events.push(Vec::new());
        index
    }

    fn index_of(&self, id: SteamId) -> Option<usize> {
        (0..self.nodes.len()).find(|&index| user(index) == id)
    }

    fn visible(&self, index: usize) -> Vec<SteamId> {
        (0..self.nodes.len())
            .filter(|&other| other != index && self.alive[other])
            .map(user)
            .collect()
    }

    /// Moves messages and events until nothing is in flight.
    fn settle(&mut self) {
        loop {
            for index in 0..self.nodes.len() {
                while let Some((to, message)) = self.nodes[index].next_outgoing() {
                    if let Some(to) = self.index_of(to) {
                        self.wire.push_back((index, to, wire::encode(&message)));
                    }
                }
                while let Some(event) = self.nodes[index].next_event() {
                    self.events[index].push(event);
                }
            }
            let Some((from, to, bytes)) = self.wire.pop_front() else {
                break;
            };
            if self.alive[to] && self.alive[from] {
                let message = wire::decode(&bytes).expect("what a protocol sends decodes");
                self.nodes[to].handle_message(self.now, user(from), message);
            }
        }
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        for node in &mut self.nodes {
            node.update(self.now);
        }
        self.settle();
    }

    /// `index` vanishes: every live node that had a lobby with it loses its link.
    fn kill(&mut self, index: usize) {
        self.alive[index] = false;
        for other in 0..self.nodes.len() {
            if self.alive[other] {
                self.nodes[other].handle_link_lost(self.now, user(index));
            }
        }
        self.settle();
    }

    fn take_events(&mut self, index: usize) -> Vec<LobbyEvent> {
        std::mem::take(&mut self.events[index])
    }

    fn create(&mut self, index: usize, max_members: u32) -> SteamId {
        let lobby = self.nodes[index]
            .create(lobby_type::PUBLIC, max_members)
            .unwrap();
        self.settle();
        lobby
    }

    fn join(&mut self, index: usize, lobby: SteamId) {
        let visible = self.visible(index);
        self.nodes[index].join(self.now, lobby, &visible);
        self.settle();
    }

    fn search(&mut self, index: usize) -> Vec<SteamId> {
        let visible = self.visible(index);
        self.nodes[index].request_list(self.now, &visible);
        self.settle();
        self.take_events(index)
            .into_iter()
            .find_map(|event| match event {
                LobbyEvent::MatchList { lobbies } => Some(lobbies),
                _ => None,
            })
            .expect("a match list")
    }

    /// A lobby created by 0 with 1.. joined, events cleared.
    fn lobby_of(count: usize) -> (Self, SteamId) {
        let mut world = Self::new(count);
        let lobby = world.create(0, 250);
        for index in 1..count {
            world.join(index, lobby);
        }
        for index in 0..count {
            world.take_events(index);
        }
        (world, lobby)
    }
}

fn joined(events: &[LobbyEvent]) -> Vec<(SteamId, i32)> {
    events
        .iter()
        .filter_map(|event| match event {
            LobbyEvent::Joined { lobby, response } => Some((*lobby, *response)),
            _ => None,
        })
        .collect()
}

fn chat_updates(events: &[LobbyEvent]) -> Vec<(SteamId, i32)> {
    events
        .iter()
        .filter_map(|event| match event {
            LobbyEvent::ChatUpdate { changed, state, .. } => Some((*changed, *state)),
            _ => None,
        })
        .collect()
}

#[test]
fn lobby_ids_are_chat_room_ids_never_users() {
    let lobby = lobby_id(12345);
    assert_eq!(lobby.account_type(), 8, "k_EAccountTypeChat");
    assert_eq!(lobby.0 >> 56, 1, "public universe");
    assert!(is_lobby_id(lobby));
    assert!(!is_lobby_id(user(0)));
    assert!(!is_lobby_id(lobby_id(0)));
    // GDScript's isLobby is Steam's IsLobby: the chat type and the lobby flag are enough.
    assert!(is_lobby_like(lobby));
    assert!(is_lobby_like(SteamId(0x0184_0000_0000_0001)));
    assert!(!is_lobby_like(user(0)));
    assert!(
        !is_lobby_like(SteamId(0x0180_0000_0000_0001)),
        "a chat room that is not a lobby"
    );
}

#[test]
fn creating_a_lobby_reports_created_then_joined_then_data_update() {
    let mut world = World::new(1);
    let lobby = world.create(0, 4);
    assert_eq!(
        world.take_events(0),
        [
            LobbyEvent::Created {
                result: SteamResult::OK,
                lobby
            },
            LobbyEvent::Joined {
                lobby,
                response: enter_response::SUCCESS
            },
            LobbyEvent::DataUpdate {
                lobby,
                member: lobby
            },
        ]
    );
    assert_eq!(world.nodes[0].owner(lobby), Some(user(0)));
    assert_eq!(world.nodes[0].members(lobby), [user(0)]);
}

#[test]
fn a_lobby_of_more_than_250_members_is_not_created() {
    let mut world = World::new(1);
    assert!(world.nodes[0].create(lobby_type::PUBLIC, 251).is_err());
    assert!(world.nodes[0].create(lobby_type::PUBLIC, 0).is_err());
    assert!(world.nodes[0].create(9, 4).is_err());
    world.settle();
    let events = world.take_events(0);
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|event| matches!(
        event,
        LobbyEvent::Created { result, lobby } if *result != SteamResult::OK && !lobby.is_valid()
    )));
}

#[test]
fn a_search_finds_public_lobbies_and_a_join_makes_a_member_everyone_sees() {
    let mut world = World::new(3);
    let lobby = world.create(0, 4);
    world.nodes[0].set_data(lobby, "game", "demo").unwrap();
    world.settle();
    world.take_events(0);
    world.nodes[1]
        .filters_mut()
        .add_string("game", "demo", search::comparison::EQUAL);
    assert_eq!(world.search(1), [lobby]);
    assert_eq!(world.nodes[1].data(lobby, "game"), "demo");
    world.join(1, lobby);
    assert_eq!(
        joined(&world.take_events(1)),
        [(lobby, enter_response::SUCCESS)]
    );
    assert_eq!(world.nodes[1].members(lobby), [user(0), user(1)]);
    assert_eq!(world.nodes[1].owner(lobby), Some(user(0)));
    assert_eq!(
        chat_updates(&world.take_events(0)),
        [(user(1), member_state::ENTERED)]
    );
    world.join(2, lobby);
    assert_eq!(
        chat_updates(&world.take_events(1)),
        [(user(2), member_state::ENTERED)]
    );
    for index in 0..3 {
        assert_eq!(
            world.nodes[index].members(lobby),
            [user(0), user(1), user(2)]
        );
    }
}

#[test]
fn filters_reset_after_each_search() {
    let mut world = World::new(2);
    let lobby = world.create(0, 4);
    world.nodes[1]
        .filters_mut()
        .add_string("game", "other", search::comparison::EQUAL);
    assert_eq!(world.search(1), []);
    assert_eq!(world.search(1), [lobby]);
}

#[test]
fn private_friends_only_full_and_closed_lobbies_never_show_in_a_search() {
    let mut world = World::new(3);
    let private = world.nodes[0].create(lobby_type::PRIVATE, 4).unwrap();
    let friends = world.nodes[0].create(lobby_type::FRIENDS_ONLY, 4).unwrap();
    let invisible = world.nodes[0].create(lobby_type::INVISIBLE, 4).unwrap();
    let full = world.create(0, 2);
    let closed = world.create(0, 4);
    let open = world.create(0, 4);
    world.join(1, full);
    world.nodes[0].set_joinable(closed, false).unwrap();
    world.settle();
    let mut shown = world.search(2);
    shown.sort_by_key(|lobby| lobby.0);
    let mut expected = vec![open, invisible];
    expected.sort_by_key(|lobby| lobby.0);
    assert_eq!(shown, expected, "public and invisible lobbies show");
    for hidden in [private, friends, full, closed] {
        assert!(!shown.contains(&hidden));
    }
}

#[test]
fn a_joiner_finds_the_owner_of_a_lobby_it_only_knows_by_id() {
    let (mut world, lobby) = World::lobby_of(2);
    // 2 never searched: it asks who owns the lobby, and 1 (a member) says it is 0.
    world.add_node();
    world.join(2, lobby);
    assert_eq!(
        joined(&world.take_events(2)),
        [(lobby, enter_response::SUCCESS)]
    );
    assert_eq!(world.nodes[2].members(lobby), [user(0), user(1), user(2)]);
}

#[test]
fn joining_an_unknown_full_or_closed_lobby_says_why() {
    let mut world = World::new(3);
    let full = world.create(0, 1);
    let closed = world.create(0, 4);
    world.nodes[0].set_joinable(closed, false).unwrap();
    world.join(1, full);
    world.join(1, closed);
    world.join(1, lobby_id(999));
    world.join(1, user(0));
    assert_eq!(
        joined(&world.take_events(1)),
        [
            (full, enter_response::FULL),
            (closed, enter_response::NOT_ALLOWED),
            (lobby_id(999), enter_response::DOESNT_EXIST),
            (user(0), enter_response::DOESNT_EXIST),
        ]
    );
    assert_eq!(world.nodes[0].members(full), [user(0)]);
}

#[test]
fn lobby_data_is_the_owners_to_set_and_reaches_every_member_and_later_joiners() {
    let (mut world, lobby) = World::lobby_of(2);
    assert_eq!(
        world.nodes[1].set_data(lobby, "map", "x"),
        Err(LobbyError::NotOwner(lobby))
    );
    world.nodes[0].set_data(lobby, "map", "dune").unwrap();
    world.settle();
    assert_eq!(world.nodes[1].data(lobby, "map"), "dune");
    assert!(world.take_events(1).contains(&LobbyEvent::DataUpdate {
        lobby,
        member: lobby
    }));
    world.add_node();
    world.join(2, lobby);
    assert_eq!(world.nodes[2].data(lobby, "map"), "dune");
    assert!(world.nodes[0].delete_data(lobby, "map").unwrap());
    world.settle();
    assert_eq!(world.nodes[2].data(lobby, "map"), "");
}

#[test]
fn keys_values_and_chat_past_steams_limits_are_refused() {
    let (mut world, lobby) = World::lobby_of(2);
    let long_key = "k".repeat(limits::MAX_KEY_BYTES + 1);
    let long_value = "v".repeat(limits::MAX_VALUE_BYTES + 1);
    assert_eq!(
        world.nodes[0].set_data(lobby, &long_key, "v"),
        Err(LobbyError::PastLimit(Limit::KeyLength))
    );
    assert_eq!(
        world.nodes[0].set_data(lobby, "k", &long_value),
        Err(LobbyError::PastLimit(Limit::ValueLength))
    );
    assert!(world.nodes[0].set_data(lobby, "", "v").is_err());
    assert_eq!(
        world.nodes[1].send_chat(lobby, &vec![1; limits::MAX_CHAT_BYTES + 1]),
        Err(LobbyError::PastLimit(Limit::ChatLength))
    );
    assert!(
        world.nodes[0]
            .set_data(
                lobby,
                &"k".repeat(255),
                &"v".repeat(limits::MAX_VALUE_BYTES)
            )
            .is_ok()
    );
    assert!(
        world.nodes[1]
            .send_chat(lobby, &vec![1; limits::MAX_CHAT_BYTES])
            .is_ok()
    );
}

#[test]
fn member_data_goes_through_the_owner_to_every_member() {
    let (mut world, lobby) = World::lobby_of(3);
    world.nodes[2]
        .set_member_data(lobby, "ready", "yes")
        .unwrap();
    world.settle();
    for index in 0..3 {
        assert_eq!(
            world.nodes[index].member_data(lobby, user(2), "ready"),
            "yes"
        );
        assert!(world.take_events(index).contains(&LobbyEvent::DataUpdate {
            lobby,
            member: user(2)
        }));
    }
}

#[test]
fn chat_reaches_every_member_sender_included_in_one_order() {
    let (mut world, lobby) = World::lobby_of(3);
    world.nodes[1].send_chat(lobby, b"one").unwrap();
    world.nodes[2].send_chat(lobby, b"two").unwrap();
    world.nodes[0].send_chat(lobby, b"three").unwrap();
    world.settle();
    let mut orders = Vec::new();
    for index in 0..3 {
        let said: Vec<(SteamId, Vec<u8>)> = world
            .take_events(index)
            .into_iter()
            .filter_map(|event| match event {
                LobbyEvent::Message { user, body, .. } => Some((user, body)),
                _ => None,
            })
            .collect();
        assert_eq!(said.len(), 3, "node {index}: {said:?}");
        orders.push(said);
    }
    assert_eq!(orders[0], orders[1]);
    assert_eq!(orders[0], orders[2]);
}

#[test]
fn a_member_that_leaves_is_seen_leaving_and_an_empty_lobby_is_gone() {
    let (mut world, lobby) = World::lobby_of(2);
    world.nodes[1].leave(lobby).unwrap();
    world.settle();
    assert_eq!(
        chat_updates(&world.take_events(0)),
        [(user(1), member_state::LEFT)]
    );
    assert_eq!(world.nodes[0].members(lobby), [user(0)]);
    assert_eq!(world.nodes[1].members(lobby), []);
    world.nodes[0].leave(lobby).unwrap();
    world.settle();
    assert_eq!(world.search(1), []);
    assert_eq!(
        world.nodes[1].leave(lobby),
        Err(LobbyError::NotInLobby(lobby))
    );
}

#[test]
fn an_owner_that_leaves_hands_the_lobby_to_the_first_member_and_the_rest_follow() {
    let (mut world, lobby) = World::lobby_of(3);
    world.nodes[0].set_data(lobby, "map", "dune").unwrap();
    world.settle();
    world.nodes[0].leave(lobby).unwrap();
    world.settle();
    for index in 1..3 {
        assert_eq!(
            world.nodes[index].owner(lobby),
            Some(user(1)),
            "node {index}"
        );
        assert_eq!(world.nodes[index].members(lobby), [user(1), user(2)]);
        assert_eq!(world.nodes[index].data(lobby, "map"), "dune");
        assert!(chat_updates(&world.take_events(index)).contains(&(user(0), member_state::LEFT)));
    }
    // The new owner rules: its data reaches 2, 2's chat goes through it, and it answers searches.
    world.nodes[1].set_data(lobby, "map", "ice").unwrap();
    world.nodes[2].send_chat(lobby, b"hi").unwrap();
    world.settle();
    assert_eq!(world.nodes[2].data(lobby, "map"), "ice");
    assert!(
        world
            .take_events(2)
            .iter()
            .any(|event| matches!(event, LobbyEvent::Message { body, .. } if body == b"hi"))
    );
    assert_eq!(world.search(0), [lobby]);
    // No member is dropped for not rejoining: 2 did.
    world.advance(REJOIN_GRACE * 2);
    assert_eq!(world.nodes[1].members(lobby), [user(1), user(2)]);
}

#[test]
fn a_vanished_member_shows_as_disconnected() {
    let (mut world, lobby) = World::lobby_of(3);
    world.kill(2);
    for index in 0..2 {
        assert_eq!(
            chat_updates(&world.take_events(index)),
            [(user(2), member_state::DISCONNECTED)],
            "node {index}"
        );
        assert_eq!(world.nodes[index].members(lobby), [user(0), user(1)]);
    }
}

#[test]
fn when_the_owner_vanishes_the_first_member_takes_over() {
    let (mut world, lobby) = World::lobby_of(4);
    world.kill(0);
    for index in 1..4 {
        assert_eq!(
            world.nodes[index].owner(lobby),
            Some(user(1)),
            "node {index}"
        );
        assert_eq!(
            world.nodes[index].members(lobby),
            [user(1), user(2), user(3)]
        );
        assert_eq!(
            chat_updates(&world.take_events(index)),
            [(user(0), member_state::DISCONNECTED)]
        );
    }
    world.nodes[3].send_chat(lobby, b"still here").unwrap();
    world.settle();
    assert!(
        world
            .take_events(2)
            .iter()
            .any(|event| matches!(event, LobbyEvent::Message { .. }))
    );
}

#[test]
fn a_member_that_never_rejoins_the_new_owner_is_dropped_after_the_grace() {
    let (mut world, lobby) = World::lobby_of(3);
    // 2 vanishes together with the owner, before the others learn of it.
    world.alive[2] = false;
    world.kill(0);
    assert_eq!(world.nodes[1].members(lobby), [user(1), user(2)]);
    world.take_events(1);
    world.advance(REJOIN_GRACE);
    assert_eq!(world.nodes[1].members(lobby), [user(1)]);
    assert_eq!(
        chat_updates(&world.take_events(1)),
        [(user(2), member_state::DISCONNECTED)]
    );
}

#[test]
fn messages_about_a_lobby_from_anyone_but_its_owner_are_ignored() {
    let (mut world, lobby) = World::lobby_of(3);
    let forged = [
        LobbyMessage::Data {
            lobby: lobby.0,
            key: "map".into(),
            value: Some("forged".into()),
        },
        LobbyMessage::Gone {
            lobby: lobby.0,
            member: user(0).0,
            state: member_state::LEFT,
        },
        LobbyMessage::Owner {
            lobby: lobby.0,
            owner: user(1).0,
        },
        LobbyMessage::ChatFrom {
            lobby: lobby.0,
            from: user(0).0,
            body: b"forged".to_vec(),
        },
        LobbyMessage::Welcome(super::wire::Snapshot {
            lobby: lobby.0,
            owner: user(1).0,
            lobby_type: lobby_type::PUBLIC,
            joinable: true,
            max_members: 4,
            data: Vec::new(),
            members: vec![],
            game_server: None,
        }),
    ];
    for message in forged {
        // 1 is a member, not the owner: 2 believes none of it.
        world.nodes[2].handle_message(world.now, user(1), message);
    }
    world.settle();
    assert_eq!(world.nodes[2].owner(lobby), Some(user(0)));
    assert_eq!(world.nodes[2].members(lobby), [user(0), user(1), user(2)]);
    assert_eq!(world.nodes[2].data(lobby, "map"), "");
    assert_eq!(world.take_events(2), []);
    // Nor does the owner take member calls from a non-member.
    world.nodes[0].handle_message(
        world.now,
        user(7),
        LobbyMessage::Chat {
            lobby: lobby.0,
            body: b"x".to_vec(),
        },
    );
    world.settle();
    assert_eq!(world.take_events(0), []);
}

#[test]
fn a_search_ends_when_an_instance_never_answers() {
    let mut world = World::new(3);
    let lobby = world.create(0, 4);
    world.take_events(0);
    world.alive[2] = false; // Listed as visible by 1, but gone.
    let visible = vec![user(0), user(2)];
    world.nodes[1].request_list(world.now, &visible);
    world.settle();
    assert!(world.take_events(1).is_empty());
    world.advance(SEARCH_TIMEOUT);
    assert_eq!(
        world.take_events(1),
        [LobbyEvent::MatchList {
            lobbies: vec![lobby]
        }]
    );
}

#[test]
fn a_join_the_owner_never_answers_fails_after_the_timeout() {
    let mut world = World::new(2);
    let lobby = world.create(0, 4);
    world.search(1);
    world.alive[0] = false;
    world.join(1, lobby);
    world.advance(JOIN_TIMEOUT);
    assert_eq!(
        joined(&world.take_events(1)),
        [(lobby, enter_response::ERROR)]
    );
}

#[test]
fn a_member_that_rejoins_the_heir_before_the_heir_notices_the_owner_gone_stays_in() {
    // Seen on loopback: 2's link to the vanished owner timed out before 1's did.
    let (mut world, lobby) = World::lobby_of(3);
    world.alive[0] = false;
    world.nodes[2].handle_link_lost(world.now, user(0));
    world.settle();
    assert_eq!(
        world.nodes[1].owner(lobby),
        Some(user(0)),
        "1 has not noticed yet"
    );
    world.nodes[1].handle_link_lost(world.now, user(0));
    world.settle();
    for index in 1..3 {
        assert_eq!(
            world.nodes[index].owner(lobby),
            Some(user(1)),
            "node {index}"
        );
        assert_eq!(world.nodes[index].members(lobby), [user(1), user(2)]);
    }
    world.advance(REJOIN_GRACE * 2);
    assert_eq!(world.nodes[2].members(lobby), [user(1), user(2)]);
}

#[test]
fn a_member_that_lost_only_its_own_link_to_a_live_owner_is_kicked() {
    let (mut world, lobby) = World::lobby_of(3);
    // 2 alone lost the owner (a cut between them); 1 still hears 0.
    world.nodes[2].handle_link_lost(world.now, user(0));
    world.settle();
    world.advance(REJOIN_GRACE);
    assert_eq!(world.nodes[2].members(lobby), []);
    assert_eq!(world.nodes[1].owner(lobby), Some(user(0)));
    assert!(
        world.take_events(2).contains(&LobbyEvent::Kicked {
            lobby,
            admin: user(1)
        }),
        "told with lobby_kicked, as Steam tells a user who lost its connection"
    );
}

#[test]
fn a_welcome_after_the_join_timed_out_makes_the_user_leave_again() {
    let mut world = World::new(2);
    let lobby = world.create(0, 4);
    world.search(1);
    let visible = world.visible(1);
    world.nodes[1].join(world.now, lobby, &visible);
    // The Join is still on its way when the join times out.
    world.now += JOIN_TIMEOUT;
    world.nodes[1].update(world.now);
    world.settle();
    assert_eq!(
        joined(&world.take_events(1)),
        [(lobby, enter_response::ERROR)]
    );
    assert_eq!(world.nodes[1].members(lobby), []);
    assert_eq!(
        world.nodes[0].members(lobby),
        [user(0)],
        "no member nobody plays as"
    );
}

#[test]
fn a_member_repeating_rejoin_gets_one_answer() {
    let (mut world, lobby) = World::lobby_of(3);
    for _ in 0..10_000 {
        world.nodes[1].handle_message(world.now, user(2), LobbyMessage::Rejoin { lobby: lobby.0 });
    }
    assert_eq!(world.nodes[1].early_rejoins[&lobby].len(), 1);
    world.alive[0] = false;
    world.nodes[1].handle_link_lost(world.now, user(0));
    let welcomes = std::iter::from_fn(|| world.nodes[1].next_outgoing())
        .filter(|(_, message)| matches!(message, LobbyMessage::Welcome(_)))
        .count();
    assert_eq!(welcomes, 1);
}

#[test]
fn an_owner_cannot_grow_a_members_copy_past_the_lobby_limits() {
    let (mut world, lobby) = World::lobby_of(2);
    for key in 0..1_000 {
        let data = LobbyMessage::Data {
            lobby: lobby.0,
            key: format!("k{key}"),
            value: Some("v".repeat(limits::MAX_VALUE_BYTES)),
        };
        world.nodes[1].handle_message(world.now, user(0), data);
        let member_data = LobbyMessage::MemberData {
            lobby: lobby.0,
            member: user(1).0,
            key: format!("k{key}"),
            value: "v".repeat(1024),
        };
        world.nodes[1].handle_message(world.now, user(0), member_data);
    }
    assert!(limits::data_bytes(&world.nodes[1].all_data(lobby)) <= limits::MAX_LOBBY_DATA_BYTES);
    let bad_type = wire::encode(&LobbyMessage::Settings {
        lobby: lobby.0,
        lobby_type: 9,
        joinable: true,
        max_members: 4,
    });
    assert_eq!(
        wire::decode(&bad_type),
        Err(wire::DecodeError::PastLimit(Limit::LobbyType))
    );
}

#[test]
fn a_refusal_saying_success_is_reported_as_an_error() {
    let mut world = World::new(2);
    let lobby = world.create(0, 4);
    world.search(1);
    let visible = world.visible(1);
    world.nodes[1].join(world.now, lobby, &visible);
    while world.nodes[1].next_outgoing().is_some() {}
    let refusal = LobbyMessage::Refuse {
        lobby: lobby.0,
        response: enter_response::SUCCESS,
    };
    world.nodes[1].handle_message(world.now, user(0), refusal);
    world.settle();
    assert_eq!(
        joined(&world.take_events(1)),
        [(lobby, enter_response::ERROR)]
    );
}

#[test]
fn a_search_answer_fits_in_one_link_packet_however_much_data_the_lobbies_hold() {
    let mut world = World::new(2);
    for _ in 0..17 {
        let lobby = world.create(0, 4);
        for key in 0..31 {
            let key = format!("{key:0>255}");
            world.nodes[0]
                .set_data(lobby, &key, &"v".repeat(limits::MAX_VALUE_BYTES))
                .unwrap();
        }
    }
    world.settle();
    world.nodes[0].handle_message(world.now, user(1), LobbyMessage::ListRequest { request: 1 });
    let (_, answer) = world.nodes[0].next_outgoing().unwrap();
    let LobbyMessage::List { lobbies, .. } = &answer else {
        panic!("{answer:?}");
    };
    assert!(!lobbies.is_empty());
    assert!(wire::encode(&answer).len() < links::MAX_PACKET_BYTES);
}

#[test]
fn a_member_that_leaves_through_the_heir_before_the_takeover_is_seen_leaving() {
    let (mut world, lobby) = World::lobby_of(4);
    world.alive[0] = false;
    world.nodes[2].handle_link_lost(world.now, user(0)); // 2 turns to 1 early
    world.settle();
    world.nodes[2].leave(lobby).unwrap(); // 1 is not the owner yet
    world.settle();
    world.nodes[3].handle_link_lost(world.now, user(0));
    world.nodes[1].handle_link_lost(world.now, user(0));
    world.settle();
    world.advance(REJOIN_GRACE * 2);
    for index in [1, 3] {
        assert_eq!(
            world.nodes[index].members(lobby),
            [user(1), user(3)],
            "node {index}"
        );
        assert!(chat_updates(&world.take_events(index)).contains(&(user(2), member_state::LEFT)));
    }
    assert_eq!(world.nodes[2].members(lobby), []);
}

#[test]
fn when_the_owner_and_its_heir_leave_at_once_the_next_member_owns_the_lobby() {
    let (mut world, lobby) = World::lobby_of(3);
    world.nodes[1].leave(lobby).unwrap();
    world.nodes[0].leave(lobby).unwrap();
    world.settle();
    assert_eq!(world.nodes[2].owner(lobby), Some(user(2)));
    assert_eq!(world.nodes[2].members(lobby), [user(2)]);
}

#[test]
fn a_member_that_turns_to_the_new_owner_late_hears_of_what_changed_meanwhile() {
    let (mut world, lobby) = World::lobby_of(3);
    world.alive[0] = false;
    world.nodes[1].handle_link_lost(world.now, user(0)); // 1 owns it; 2 has not noticed
    world.settle();
    world.add_node();
    world.nodes[3].join(world.now, lobby, &[user(1)]);
    world.nodes[1].set_data(lobby, "map", "ice").unwrap();
    world.settle();
    world.take_events(2);
    world.nodes[2].handle_link_lost(world.now, user(0));
    world.settle();
    assert_eq!(world.nodes[2].members(lobby), [user(1), user(2), user(3)]);
    let events = world.take_events(2);
    assert!(chat_updates(&events).contains(&(user(3), member_state::ENTERED)));
    assert!(events.contains(&LobbyEvent::DataUpdate {
        lobby,
        member: lobby
    }));
}

#[test]
fn a_member_whose_new_owner_never_answers_turns_to_the_next_one() {
    let (mut world, lobby) = World::lobby_of(4);
    // The owner and its heir vanish; 3 only hears of the owner's loss.
    world.alive[0] = false;
    world.alive[1] = false;
    world.nodes[2].handle_link_lost(world.now, user(0));
    world.nodes[3].handle_link_lost(world.now, user(0));
    world.settle();
    world.advance(REJOIN_GRACE);
    world.advance(REJOIN_GRACE);
    for index in [2, 3] {
        assert_eq!(
            world.nodes[index].owner(lobby),
            Some(user(2)),
            "node {index}"
        );
        assert_eq!(world.nodes[index].members(lobby), [user(2), user(3)]);
    }
}

#[test]
fn set_owner_gives_the_lobby_to_a_member_and_the_old_owner_stays() {
    let (mut world, lobby) = World::lobby_of(3);
    assert_eq!(
        world.nodes[0].set_owner(world.now, lobby, user(7)),
        Err(LobbyError::NotAMember(user(7), lobby))
    );
    assert_eq!(
        world.nodes[1].set_owner(world.now, lobby, user(2)),
        Err(LobbyError::NotOwner(lobby))
    );
    world.nodes[0].set_owner(world.now, lobby, user(2)).unwrap();
    world.settle();
    for index in 0..3 {
        assert_eq!(
            world.nodes[index].owner(lobby),
            Some(user(2)),
            "node {index}"
        );
        assert_eq!(
            world.nodes[index].members(lobby),
            [user(0), user(1), user(2)]
        );
        assert!(world.take_events(index).contains(&LobbyEvent::DataUpdate {
            lobby,
            member: lobby
        }));
    }
    // The new owner rules, and nobody is dropped for not rejoining.
    assert!(world.nodes[0].set_data(lobby, "k", "v").is_err());
    world.nodes[2].set_data(lobby, "k", "v").unwrap();
    world.nodes[0].send_chat(lobby, b"via 2").unwrap();
    world.settle();
    world.advance(REJOIN_GRACE * 2);
    assert_eq!(world.nodes[0].data(lobby, "k"), "v");
    assert!(
        world
            .take_events(1)
            .iter()
            .any(|event| matches!(event, LobbyEvent::Message { body, .. } if body == b"via 2"))
    );
    assert_eq!(world.nodes[2].members(lobby), [user(0), user(1), user(2)]);
}

#[test]
fn an_invitation_reaches_the_invitee_with_the_inviter() {
    let (mut world, lobby) = World::lobby_of(2);
    world.add_node();
    world.nodes[1].invite(lobby, user(2)).unwrap();
    world.settle();
    assert_eq!(
        world.take_events(2),
        [LobbyEvent::Invited {
            inviter: user(1),
            lobby,
            game: 0
        }]
    );
    assert_eq!(
        world.nodes[2].invite(lobby, user(0)),
        Err(LobbyError::NotInLobby(lobby))
    );
}

#[test]
fn a_member_that_turns_to_the_new_owner_before_the_new_owner_knows_is_taken_back() {
    let (mut world, lobby) = World::lobby_of(3);
    world.nodes[0].set_owner(world.now, lobby, user(2)).unwrap();
    let from_owner: Vec<(SteamId, LobbyMessage)> =
        std::iter::from_fn(|| world.nodes[0].next_outgoing()).collect();
    // 1 hears of the transfer first and turns to 2, which has not heard of it yet.
    for (to, message) in &from_owner {
        if *to == user(1) {
            world.nodes[1].handle_message(world.now, user(0), message.clone());
        }
    }
    let from_one: Vec<(SteamId, LobbyMessage)> =
        std::iter::from_fn(|| world.nodes[1].next_outgoing()).collect();
    for (to, message) in from_one {
        assert_eq!(to, user(2));
        world.nodes[2].handle_message(world.now, user(1), message);
    }
    for (to, message) in from_owner {
        if to == user(2) {
            world.nodes[2].handle_message(world.now, user(0), message);
        }
    }
    world.settle();
    world.advance(REJOIN_GRACE * 2);
    for index in 0..3 {
        assert_eq!(
            world.nodes[index].owner(lobby),
            Some(user(2)),
            "node {index}"
        );
        assert_eq!(
            world.nodes[index].members(lobby),
            [user(0), user(1), user(2)],
            "node {index}"
        );
    }
}

#[test]
fn setting_data_to_the_value_it_has_sends_nothing() {
    let (mut world, lobby) = World::lobby_of(2);
    world.nodes[0].set_data(lobby, "map", "dune").unwrap();
    world.nodes[1]
        .set_member_data(lobby, "ready", "yes")
        .unwrap();
    world.settle();
    world.take_events(0);
    world.take_events(1);
    world.nodes[0].set_data(lobby, "map", "dune").unwrap();
    world.nodes[1]
        .set_member_data(lobby, "ready", "yes")
        .unwrap();
    world.settle();
    assert_eq!(world.take_events(0), []);
    assert_eq!(world.take_events(1), []);
}

#[test]
fn the_game_server_the_owner_names_reaches_every_member_and_later_joiners() {
    let (mut world, lobby) = World::lobby_of(2);
    let server = wire::GameServer {
        ip: "127.0.0.1".into(),
        port: 27015,
        steam_id: 0,
    };
    assert_eq!(
        world.nodes[1].set_game_server(lobby, server.clone()),
        Err(LobbyError::NotOwner(lobby))
    );
    world.nodes[0]
        .set_game_server(lobby, server.clone())
        .unwrap();
    world.settle();
    for index in 0..2 {
        assert_eq!(world.nodes[index].game_server(lobby), Some(&server));
        assert!(world.take_events(index).contains(&LobbyEvent::GameCreated {
            lobby,
            server: SteamId(0),
            ip: "127.0.0.1".into(),
            port: 27015
        }));
    }
    world.add_node();
    world.join(2, lobby);
    assert_eq!(world.nodes[2].game_server(lobby), Some(&server));
}

#[test]
fn request_data_refreshes_a_lobby_not_joined_or_says_it_is_gone() {
    let mut world = World::new(2);
    let lobby = world.create(0, 4);
    world.nodes[0].set_data(lobby, "map", "dune").unwrap();
    world.settle();
    let visible = world.visible(1);
    world.nodes[1].request_data(world.now, lobby, &visible);
    world.settle();
    assert_eq!(
        world.take_events(1),
        [LobbyEvent::DataUpdate {
            lobby,
            member: lobby
        }]
    );
    assert_eq!(world.nodes[1].data(lobby, "map"), "dune");
    world.nodes[0].leave(lobby).unwrap();
    world.nodes[1].request_data(world.now, lobby, &visible);
    world.settle();
    assert_eq!(
        world.take_events(1),
        [LobbyEvent::DataUnavailable { lobby }]
    );
    assert_eq!(world.nodes[1].data(lobby, "map"), "");
}
