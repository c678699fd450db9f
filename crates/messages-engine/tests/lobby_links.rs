//! Lobbies between instances over real loopback links: each instance runs the lobby protocol over its own
//! ENet host and socket, on the real clock, as the local backend will.

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use messages_engine::lobby::links::{LinkEvent, LobbyLinks};
use messages_engine::lobby::wire::LobbyMessage;
use messages_engine::lobby::{
    LobbyEvent, LobbyProtocol, enter_response, lobby_type, member_state, search,
};
use messages_engine::steam_types::SteamId;

mod common;
use common::loopback_socket;

/// Wall-clock safety net: far above what a busy machine needs (a vanished owner is noticed in about 5 s).
const PATIENCE: Duration = Duration::from_secs(60);

type Directory = Arc<Mutex<HashMap<SteamId, SocketAddr>>>;

struct Instance {
    id: SteamId,
    protocol: LobbyProtocol,
    links: LobbyLinks<UdpSocket>,
    directory: Directory,
    events: Vec<LobbyEvent>,
    start: Instant,
}

impl Instance {
    fn new(index: u64, directory: &Directory) -> Self {
        let id = SteamId(SteamId::INDIVIDUAL_PUBLIC_BASE + 100 + index);
        let socket = loopback_socket();
        let address = socket.local_addr().unwrap();
        directory.lock().unwrap().insert(id, address);
        let start = Instant::now();
        Self {
            id,
            protocol: LobbyProtocol::new(id, index),
            links: LobbyLinks::new(socket, address, id, move || start.elapsed(), None).unwrap(),
            directory: Arc::clone(directory),
            events: Vec::new(),
            start,
        }
    }

    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    fn visible(&self) -> Vec<SteamId> {
        let directory = self.directory.lock().unwrap();
        directory
            .keys()
            .copied()
            .filter(|&id| id != self.id)
            .collect()
    }

    /// One frame: what arrived, timeouts, what to send, events.
    fn step(&mut self) {
        let mut arrived = Vec::new();
        let directory = Arc::clone(&self.directory);
        self.links.poll(
            |user| directory.lock().unwrap().get(&user).copied(),
            &mut arrived,
        );
        let now = self.now();
        for event in arrived {
            match event {
                LinkEvent::Message { from, message } => {
                    self.protocol.handle_message(now, from, message)
                }
                LinkEvent::Lost { user } => self.protocol.handle_link_lost(now, user),
            }
        }
        self.protocol.update(now);
        while let Some((to, message)) = self.protocol.next_outgoing() {
            let address = self.directory.lock().unwrap().get(&to).copied();
            self.links.send(to, address, &message);
        }
        while let Some(event) = self.protocol.next_event() {
            self.events.push(event);
        }
    }
}

fn run_until(
    instances: &mut [Instance],
    what: &str,
    mut done: impl FnMut(&mut [Instance]) -> bool,
) {
    let deadline = Instant::now() + PATIENCE;
    while !done(instances) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        for instance in instances.iter_mut() {
            instance.step();
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn take_match_list(instance: &mut Instance) -> Option<Vec<SteamId>> {
    let position = instance
        .events
        .iter()
        .position(|event| matches!(event, LobbyEvent::MatchList { .. }))?;
    match instance.events.remove(position) {
        LobbyEvent::MatchList { lobbies } => Some(lobbies),
        _ => None,
    }
}

fn has_joined(instance: &Instance) -> Option<i32> {
    instance.events.iter().find_map(|event| match event {
        LobbyEvent::Joined { response, .. } => Some(*response),
        _ => None,
    })
}

fn messages(instance: &Instance) -> Vec<Vec<u8>> {
    instance
        .events
        .iter()
        .filter_map(|event| match event {
            LobbyEvent::Message { body, .. } => Some(body.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn three_instances_find_join_and_chat_then_the_first_member_takes_over_from_a_vanished_owner() {
    let directory = Directory::default();
    let mut instances: Vec<Instance> = (0..3)
        .map(|index| Instance::new(index, &directory))
        .collect();
    let ids: Vec<SteamId> = instances.iter().map(|instance| instance.id).collect();
    let lobby = instances[0].protocol.create(lobby_type::PUBLIC, 4).unwrap();
    instances[0]
        .protocol
        .set_data(lobby, "game", "links-test")
        .unwrap();
    for index in [1, 2] {
        let visible = instances[index].visible();
        let now = instances[index].now();
        let protocol = &mut instances[index].protocol;
        protocol
            .filters_mut()
            .add_string("game", "links-test", search::comparison::EQUAL);
        protocol.request_list(now, &visible);
        run_until(&mut instances, "a match list", |instances| {
            instances[index]
                .events
                .iter()
                .any(|event| matches!(event, LobbyEvent::MatchList { .. }))
        });
        assert_eq!(take_match_list(&mut instances[index]), Some(vec![lobby]));
        let (now, visible) = (instances[index].now(), instances[index].visible());
        instances[index].protocol.join(now, lobby, &visible);
        run_until(&mut instances, "joined", |instances| {
            has_joined(&instances[index]).is_some()
        });
        assert_eq!(has_joined(&instances[index]), Some(enter_response::SUCCESS));
    }
    run_until(&mut instances, "everyone sees three members", |instances| {
        instances
            .iter()
            .all(|instance| instance.protocol.members(lobby) == ids)
    });
    instances[1]
        .protocol
        .send_chat(lobby, b"hello from 1")
        .unwrap();
    run_until(&mut instances, "the chat message everywhere", |instances| {
        instances
            .iter()
            .all(|instance| messages(instance) == [b"hello from 1".to_vec()])
    });
    // The owner vanishes without a word (its socket stays open, unanswered): the link times out.
    let owner = instances.remove(0);
    std::mem::forget(owner);
    run_until(
        &mut instances,
        "the first member owning the lobby",
        |instances| {
            instances
                .iter()
                .all(|instance| instance.protocol.owner(lobby) == Some(ids[1]))
        },
    );
    for instance in &instances {
        assert_eq!(
            instance.protocol.members(lobby),
            ids[1..],
            "{}: {:?}",
            instance.id.0,
            instance.events
        );
        assert!(instance.events.iter().any(|event| matches!(
            event,
            LobbyEvent::ChatUpdate { changed, state, .. }
                if *changed == ids[0] && *state == member_state::DISCONNECTED
        )));
    }
    instances[1]
        .protocol
        .send_chat(lobby, b"still here")
        .unwrap();
    run_until(&mut instances, "chat through the new owner", |instances| {
        messages(&instances[0]).contains(&b"still here".to_vec())
    });
}

#[test]
fn a_link_claiming_a_user_from_another_address_is_refused() {
    let directory = Directory::default();
    let mut owner = Instance::new(10, &directory);
    let lobby = owner.protocol.create(lobby_type::PUBLIC, 4).unwrap();
    // The impostor announces itself, then claims to be the victim, whose lobby address is elsewhere.
    let mut impostor = Instance::new(11, &directory);
    let victim = SteamId(SteamId::INDIVIDUAL_PUBLIC_BASE + 112);
    directory
        .lock()
        .unwrap()
        .insert(victim, loopback_socket().local_addr().unwrap());
    impostor.id = victim;
    let socket = loopback_socket();
    let address = socket.local_addr().unwrap();
    impostor.links = LobbyLinks::new(socket, address, victim, || Duration::ZERO, None).unwrap();
    let owner_address = directory.lock().unwrap()[&owner.id];
    impostor.links.send(
        owner.id,
        Some(owner_address),
        &LobbyMessage::Join { lobby: lobby.0 },
    );
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        owner.step();
        impostor.step();
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(owner.protocol.members(lobby), [owner.id]);
    assert!(
        !owner
            .events
            .iter()
            .any(|event| matches!(event, LobbyEvent::ChatUpdate { .. }))
    );
}

#[test]
fn an_owner_that_leaves_hands_the_lobby_over_and_is_seen_leaving_not_vanishing() {
    let directory = Directory::default();
    let mut instances: Vec<Instance> = (20..23)
        .map(|index| Instance::new(index, &directory))
        .collect();
    let ids: Vec<SteamId> = instances.iter().map(|instance| instance.id).collect();
    let lobby = instances[0]
        .protocol
        .create(lobby_type::PRIVATE, 4)
        .unwrap();
    for index in [1, 2] {
        let (now, visible) = (instances[index].now(), instances[index].visible());
        instances[index].protocol.join(now, lobby, &visible);
        run_until(&mut instances, "joined", |instances| {
            has_joined(&instances[index]).is_some()
        });
    }
    run_until(&mut instances, "everyone sees three members", |instances| {
        instances
            .iter()
            .all(|instance| instance.protocol.members(lobby) == ids)
    });
    instances[0].protocol.leave(lobby).unwrap();
    run_until(
        &mut instances,
        "the first member owning the lobby",
        |instances| {
            instances[1..].iter().all(|instance| {
                instance.protocol.owner(lobby) == Some(ids[1])
                    && instance.protocol.members(lobby) == ids[1..]
            })
        },
    );
    // The old owner exits; its links closing changes nothing more.
    drop(instances.remove(0));
    directory.lock().unwrap().remove(&ids[0]);
    let settle = Instant::now() + Duration::from_millis(500);
    run_until(&mut instances, "a moment", |_| Instant::now() >= settle);
    for instance in &instances {
        let departures: Vec<i32> = instance
            .events
            .iter()
            .filter_map(|event| match event {
                LobbyEvent::ChatUpdate { changed, state, .. } if *changed == ids[0] => Some(*state),
                _ => None,
            })
            .collect();
        assert_eq!(
            departures,
            [member_state::LEFT],
            "{}: {:?}",
            instance.id.0,
            instance.events
        );
    }
}

#[test]
fn a_link_from_a_user_not_yet_announced_waits_for_its_announcement() {
    let directory = Directory::default();
    let mut owner = Instance::new(30, &directory);
    let lobby = owner.protocol.create(lobby_type::PUBLIC, 4).unwrap();
    let mut joiner = Instance::new(31, &directory);
    // The owner has not heard the joiner's presence yet (it comes once a second).
    let joiner_address = directory.lock().unwrap().remove(&joiner.id).unwrap();
    let (now, visible) = (joiner.now(), vec![owner.id]);
    joiner.protocol.join(now, lobby, &visible);
    let announced_at = Instant::now() + Duration::from_millis(500);
    let deadline = Instant::now() + PATIENCE;
    while has_joined(&joiner).is_none() {
        assert!(Instant::now() < deadline, "timed out waiting for the join");
        if Instant::now() >= announced_at {
            directory.lock().unwrap().insert(joiner.id, joiner_address);
        }
        owner.step();
        joiner.step();
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(has_joined(&joiner), Some(enter_response::SUCCESS));
    assert_eq!(owner.protocol.members(lobby), [owner.id, joiner.id]);
}
