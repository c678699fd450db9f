//! One session with one remote user, as the local backend keeps it: Steam's rules about acceptance,
//! held messages, requests and failure, with no networking and no Godot in it.

use std::collections::{BTreeSet, VecDeque};
use std::time::Duration;

use rusty_enet::Packet;

use super::wire::Frame;
use crate::steam_types::{ConnectionState, SteamId};

/// How often a session request is repeated while the peer keeps sending and nobody accepts.
pub const REQUEST_REPEAT: Duration = Duration::from_secs(1);
/// What each message counts for, on top of its payload, against every limit below: the memory a held empty
/// message really takes (its ENet packet, frame header and queue entry measured about 150 bytes), so a flood of
/// empty or 1-byte messages is bounded like one of large ones.
pub const MESSAGE_OVERHEAD_BYTES: usize = 160;

/// The bytes a message of `payload_len` counts for against the limits.
pub fn message_cost(payload_len: usize) -> u64 {
    (payload_len + MESSAGE_OVERHEAD_BYTES) as u64
}

/// Most unreliable bytes (counted by [`message_cost`]) held for a session nobody has accepted yet; more are
/// dropped. Held reliable data is bounded by [`PRE_ACCEPT_WINDOW_BYTES`].
pub const HELD_UNRELIABLE_LIMIT_BYTES: u64 = 256 * 1024;
/// Most unreliable bytes (counted by [`message_cost`]) queued for a peer before its connection is up; reliable
/// ones are bounded by the send window.
pub const OUTBOX_UNRELIABLE_LIMIT_BYTES: u64 = 1024 * 1024;

/// Most reliable bytes (counted by [`message_cost`]) sent to a peer and not yet read by its application;
/// beyond it sends return `RESULT_LIMIT_EXCEEDED`, so a receiver that does not drain holds memory back on
/// both sides.
pub const SEND_WINDOW_BYTES: u64 = 4 * 1024 * 1024;
/// The send window until the peer accepts: what a session nobody accepted can make the peer hold. Steam keeps
/// such messages in the sender's 512 KiB send buffer; here they wait at the receiver, so this also bounds
/// what unaccepted (and unauthenticated) peers cost it.
pub const PRE_ACCEPT_WINDOW_BYTES: u64 = 1024 * 1024;
/// Most unread reliable bytes a receiver keeps from one peer; a peer that ignores the window is cut off.
pub const RECEIVE_WINDOW_BYTES: u64 = 2 * SEND_WINDOW_BYTES;
/// The same before we accepted the session.
pub const PRE_ACCEPT_RECEIVE_WINDOW_BYTES: u64 = 2 * PRE_ACCEPT_WINDOW_BYTES;

/// `CONNECTION_END_MISC_GENERIC`: the peer broke the protocol (ignored the send window).
pub const END_PROTOCOL: i32 = 5001;
/// `CONNECTION_END_MISC_TIMEOUT`.
pub const END_TIMEOUT: i32 = 5003;
/// `CONNECTION_END_APP_GENERIC`: the peer closed the session.
pub const END_CLOSED_BY_PEER: i32 = 1000;
/// `CONNECTION_END_MISC_P2P_RENDEZVOUS`: no way to reach the peer.
pub const END_NO_ROUTE: i32 = 5008;
/// `CONNECTION_END_MISC_PEER_SENT_NO_CONNECTION`: the peer no longer knows the session (it restarted).
pub const END_PEER_RESTARTED: i32 = 5010;

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Set up, not yet accepted by both sides.
    Connecting,
    Connected,
    /// The peer closed it: sends fail until a fresh session is started.
    ClosedByPeer,
    /// Timed out or lost: sends fail until a fresh session is started.
    Failed,
}

impl Phase {
    pub fn connection_state(self) -> ConnectionState {
        match self {
            Phase::Connecting => ConnectionState::CONNECTING,
            Phase::Connected => ConnectionState::CONNECTED,
            Phase::ClosedByPeer => ConnectionState::CLOSED_BY_PEER,
            Phase::Failed => ConnectionState::PROBLEM_DETECTED_LOCALLY,
        }
    }

    pub fn is_broken(self) -> bool {
        matches!(self, Phase::ClosedByPeer | Phase::Failed)
    }
}

/// A message received from the peer, waiting to be read.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub sender: SteamId,
    pub channel: i32,
    pub flags: i32,
    pub number: i64,
    pub time_received_usec: i64,
    bytes: InboundBytes,
}

/// Where a received message's payload is.
#[derive(Debug, Clone)]
enum InboundBytes {
    /// The end of the ENet packet it came in alone: kept, so the payload is copied only once, into Godot.
    InPacket {
        packet: Packet,
        payload_start: usize,
    },
    /// A copy of one message of a batch (see [`super::batches`]). Keeping the shared packet instead would
    /// hold the batch's other messages in memory as long as any one of them waits, beyond what the limits
    /// count for it ([`message_cost`]: its own payload and 160 bytes).
    Copied(Box<[u8]>),
}

impl Inbound {
    /// A message whose payload is `packet`'s bytes from `payload_start` on.
    pub fn new(
        sender: SteamId,
        channel: i32,
        flags: i32,
        number: i64,
        time_received_usec: i64,
        packet: Packet,
        payload_start: usize,
    ) -> Self {
        let payload_start = payload_start.min(packet.data().len());
        Self {
            sender,
            channel,
            flags,
            number,
            time_received_usec,
            bytes: InboundBytes::InPacket {
                packet,
                payload_start,
            },
        }
    }

    /// A message with a copy of `payload`.
    pub fn copied(
        sender: SteamId,
        channel: i32,
        flags: i32,
        number: i64,
        time_received_usec: i64,
        payload: &[u8],
    ) -> Self {
        Self {
            sender,
            channel,
            flags,
            number,
            time_received_usec,
            bytes: InboundBytes::Copied(payload.into()),
        }
    }

    pub fn payload(&self) -> &[u8] {
        match &self.bytes {
            InboundBytes::InPacket {
                packet,
                payload_start,
            } => &packet.data()[*payload_start..],
            InboundBytes::Copied(bytes) => bytes,
        }
    }
}

/// A message to the peer, waiting for the connection.
#[derive(Debug, Clone)]
pub struct Outbound {
    pub frame: Vec<u8>,
    pub reliable: bool,
}

/// Byte and packet counters, with the per-second rates of the last full second.
#[derive(Debug, Clone, Default)]
pub struct Traffic {
    pub bytes_out: u64,
    pub packets_out: u64,
    pub bytes_in: u64,
    pub packets_in: u64,
    window_start: Duration,
    window: [u64; 4],
    pub rates: [f32; 4],
}

impl Traffic {
    pub fn sent(&mut self, bytes: usize) {
        self.bytes_out += bytes as u64;
        self.packets_out += 1;
    }

    pub fn received(&mut self, bytes: usize) {
        self.bytes_in += bytes as u64;
        self.packets_in += 1;
    }

    /// Closes the measuring window once a second: rates are packets out, bytes out, packets in, bytes in.
    pub fn tick(&mut self, now: Duration) {
        let elapsed = now.saturating_sub(self.window_start);
        if elapsed < Duration::from_secs(1) {
            return;
        }
        let totals = [
            self.packets_out,
            self.bytes_out,
            self.packets_in,
            self.bytes_in,
        ];
        let seconds = elapsed.as_secs_f32();
        for ((rate, total), start) in self.rates.iter_mut().zip(totals).zip(self.window) {
            *rate = total.saturating_sub(start) as f32 / seconds;
        }
        self.window = totals;
        self.window_start = now;
    }
}

/// A session with one remote user.
#[derive(Debug)]
pub struct Session {
    pub remote: SteamId,
    pub phase: Phase,
    /// We accepted (explicitly, or by sending to the peer).
    pub accepted_locally: bool,
    /// The peer accepted our messages.
    pub accepted_remotely: bool,
    /// Messages received before we accepted, and what their unreliable ones count for.
    pub held: VecDeque<Inbound>,
    pub held_unreliable_cost: u64,
    /// Messages waiting for our outgoing connection: their frame bytes, and what their unreliable ones count
    /// for.
    pub outbox: VecDeque<Outbound>,
    pub outbox_bytes: usize,
    pub outbox_unreliable_cost: u64,
    /// A request is owed to GDScript: the peer opened a connection to us, or sent new data since the last one.
    pub request_due: bool,
    pub last_request: Option<Duration>,
    /// When we first sent to the peer in this session, for the connect timeout.
    pub sending_since: Option<Duration>,
    pub last_activity: Duration,
    /// We sent on the session since the timers last ran, which then count it as activity at their time:
    /// a send reads no clock.
    pub sent_since_timers: bool,
    /// When the peer last sent us anything (data, control frames, keep-alives), for the silence timeout.
    pub last_heard: Duration,
    /// The run of the peer's process this session is with (from its HELLO or ACCEPT), once known.
    pub peer_instance: Option<u64>,
    pub open_channels: BTreeSet<i32>,
    pub next_number: i64,
    pub end_reason: i32,
    pub end_debug: String,
    pub traffic: Traffic,
    /// Reliable payload bytes we sent in this session.
    pub reliable_sent: u64,
    /// Of those, how many the peer's application has read (from its READ frames).
    pub reliable_read_by_peer: u64,
    /// Reliable payload bytes received from the peer (held, queued or read).
    pub reliable_received: u64,
    /// Of those, how many our application has read, and how many we last reported.
    pub reliable_read: u64,
    pub reliable_read_reported: u64,
}

impl Session {
    pub fn new(remote: SteamId, now: Duration) -> Self {
        Self {
            remote,
            phase: Phase::Connecting,
            accepted_locally: false,
            accepted_remotely: false,
            held: VecDeque::new(),
            held_unreliable_cost: 0,
            outbox: VecDeque::new(),
            outbox_bytes: 0,
            outbox_unreliable_cost: 0,
            request_due: false,
            last_request: None,
            sending_since: None,
            last_activity: now,
            sent_since_timers: false,
            last_heard: now,
            peer_instance: None,
            open_channels: BTreeSet::new(),
            next_number: 1,
            end_reason: 0,
            end_debug: String::new(),
            traffic: Traffic {
                window_start: now,
                ..Traffic::default()
            },
            reliable_sent: 0,
            reliable_read_by_peer: 0,
            reliable_received: 0,
            reliable_read: 0,
            reliable_read_reported: 0,
        }
    }

    /// Holds a message from a peer we have not accepted; false if it was dropped (an unreliable one past
    /// [`HELD_UNRELIABLE_LIMIT_BYTES`], or the session is broken and takes nothing more). Reliable ones are
    /// bounded by the receive window, checked before.
    pub fn hold(&mut self, message: Inbound) -> bool {
        if self.phase.is_broken() {
            return false;
        }
        self.request_due = true;
        if message.flags & crate::steam_types::send_flags::RELIABLE == 0 {
            let cost = message_cost(message.payload().len());
            if self.held_unreliable_cost + cost > HELD_UNRELIABLE_LIMIT_BYTES {
                return false;
            }
            self.held_unreliable_cost += cost;
        }
        self.held.push_back(message);
        true
    }

    /// The peer opened a connection to us (its HELLO): a request is owed at once, as Steam posts one for each
    /// new incoming connection, before any message has arrived. Its first messages may still be on the way
    /// (on a lossy link, behind retransmissions for seconds), and the peer's connect timeout runs meanwhile.
    /// It also means the peer accepted the session: a peer connects to us only to send, and sending accepts,
    /// as on Steam. Its ACCEPT may still be on the way (retransmitted over a lossy link, or after its first
    /// messages): a session we opened must not read as connecting while messages flow, and our replies to a
    /// session it opened must not wait for an ACCEPT to beat the connect timeout. A session we have not
    /// accepted stays a request.
    pub fn peer_connected(&mut self) {
        if self.phase.is_broken() {
            return;
        }
        self.accepted_remotely = true;
        if self.accepted_locally {
            self.phase = Phase::Connected;
        } else {
            self.request_due = true;
        }
    }

    /// Accepts the session; returns the held messages, now deliverable, oldest first.
    pub fn accept(&mut self) -> VecDeque<Inbound> {
        self.accepted_locally = true;
        self.request_due = false;
        self.held_unreliable_cost = 0;
        if self.accepted_remotely || self.sending_since.is_none() {
            self.phase = Phase::Connected;
        }
        for message in &self.held {
            self.open_channels.insert(message.channel);
        }
        std::mem::take(&mut self.held)
    }

    /// Counts a message just sent or queued: its number is taken and its bytes are traffic (and, if
    /// reliable, count against the send window until the peer reports them read).
    /// The DATA frame carrying the next message sent on this session.
    pub fn data_frame(&self, channel: i32, flags: i32, payload: &[u8]) -> Vec<u8> {
        Frame::Data {
            channel,
            flags,
            number: self.next_number,
            payload,
        }
        .encode()
    }

    pub fn record_sent(&mut self, len: usize, reliable: bool) {
        self.next_number += 1;
        self.traffic.sent(len);
        if reliable {
            self.reliable_sent += message_cost(len);
        }
    }

    /// The peer accepted what we send.
    pub fn accepted_by_peer(&mut self) {
        self.accepted_remotely = true;
        if !self.phase.is_broken() {
            self.phase = Phase::Connected;
        }
    }

    /// Whether a session request should be posted now.
    pub fn take_request(&mut self, now: Duration) -> bool {
        let repeat_due = self
            .last_request
            .is_none_or(|last| now.saturating_sub(last) >= REQUEST_REPEAT);
        if self.accepted_locally || !self.request_due || !repeat_due {
            return false;
        }
        self.request_due = false;
        self.last_request = Some(now);
        true
    }

    /// Whether our messages have gone unaccepted (or undelivered) for longer than `timeout`.
    pub fn connect_timed_out(&self, now: Duration, timeout: Duration) -> bool {
        !self.phase.is_broken()
            && !self.accepted_remotely
            && self
                .sending_since
                .is_some_and(|since| now.saturating_sub(since) >= timeout)
    }

    /// Marks the session failed; returns false if it already was broken (report a failure once).
    pub fn fail(&mut self, reason: i32, debug: &str) -> bool {
        if self.phase.is_broken() {
            return false;
        }
        self.phase = Phase::Failed;
        self.end_reason = reason;
        self.end_debug = debug.to_owned();
        self.clear_queues();
        true
    }

    /// The peer closed the session.
    pub fn closed_by_peer(&mut self) {
        if self.phase.is_broken() {
            return;
        }
        self.phase = Phase::ClosedByPeer;
        self.end_reason = END_CLOSED_BY_PEER;
        self.end_debug = "Session closed by peer".into();
        self.clear_queues();
    }

    fn clear_queues(&mut self) {
        self.held.clear();
        self.held_unreliable_cost = 0;
        self.outbox.clear();
        self.outbox_bytes = 0;
        self.outbox_unreliable_cost = 0;
    }

    /// Queues a frame of `payload_len` until the connection is up; false when the session is broken or, for
    /// an unreliable one, the outbox is full (reliable ones are bounded by the send window).
    pub fn queue(&mut self, frame: Vec<u8>, payload_len: usize, reliable: bool) -> bool {
        if self.phase.is_broken() {
            return false;
        }
        if !reliable {
            let cost = message_cost(payload_len);
            if self.outbox_unreliable_cost + cost > OUTBOX_UNRELIABLE_LIMIT_BYTES {
                return false;
            }
            self.outbox_unreliable_cost += cost;
        }
        self.outbox_bytes += frame.len();
        self.outbox.push_back(Outbound { frame, reliable });
        true
    }

    pub fn pending_bytes(&self) -> (i32, i32) {
        let reliable: usize = self
            .outbox
            .iter()
            .filter(|message| message.reliable)
            .map(|message| message.frame.len())
            .sum();
        let unreliable = self.outbox_bytes - reliable;
        (clamp_i32(unreliable), clamp_i32(reliable))
    }

    /// Whether a reliable message of `payload_len` fits in the send window (the smaller one until the peer
    /// accepted).
    pub fn window_allows(&self, payload_len: usize) -> bool {
        let unread = self
            .reliable_sent
            .saturating_sub(self.reliable_read_by_peer);
        let window = if self.accepted_remotely {
            SEND_WINDOW_BYTES
        } else {
            PRE_ACCEPT_WINDOW_BYTES
        };
        unread + message_cost(payload_len) <= window
    }

    /// Counts a reliable message of `payload_len` received; false when the peer has overrun the receive
    /// window (the smaller one until we accepted).
    pub fn received_reliable(&mut self, payload_len: usize) -> bool {
        self.reliable_received += message_cost(payload_len);
        let window = if self.accepted_locally {
            RECEIVE_WINDOW_BYTES
        } else {
            PRE_ACCEPT_RECEIVE_WINDOW_BYTES
        };
        self.reliable_received.saturating_sub(self.reliable_read) <= window
    }

    /// Our application read (or discarded) a reliable message of `payload_len`.
    pub fn read_reliable(&mut self, payload_len: usize) {
        self.reliable_read += message_cost(payload_len);
    }

    /// The READ report owed to the peer, if our application read more since the last one.
    pub fn take_read_report(&mut self) -> Option<u64> {
        (self.reliable_read > self.reliable_read_reported).then(|| {
            self.reliable_read_reported = self.reliable_read;
            self.reliable_read
        })
    }

    pub fn idle_for(&self, now: Duration) -> Duration {
        now.saturating_sub(self.last_activity)
    }
}

fn clamp_i32(value: usize) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEER: SteamId = SteamId(76_561_197_960_265_730);

    fn message(channel: i32, payload: &[u8]) -> Inbound {
        Inbound::new(
            PEER,
            channel,
            8,
            1,
            0,
            Packet::reliable(payload.to_vec()),
            0,
        )
    }

    fn secs(seconds: u64) -> Duration {
        Duration::from_secs(seconds)
    }

    #[test]
    fn held_messages_are_released_in_order_on_accept() {
        let mut session = Session::new(PEER, secs(0));
        session.hold(message(0, b"a"));
        session.hold(message(1, b"b"));
        let released: Vec<_> = session
            .accept()
            .into_iter()
            .map(|m| m.payload().to_vec())
            .collect();
        assert_eq!(released, vec![b"a".to_vec(), b"b".to_vec()]);
        assert!(session.held.is_empty());
        assert_eq!(
            session.open_channels.iter().copied().collect::<Vec<_>>(),
            vec![0, 1]
        );
    }

    #[test]
    fn request_is_posted_once_then_repeated_only_after_new_data_and_a_second() {
        let mut session = Session::new(PEER, secs(0));
        assert!(
            !session.take_request(secs(0)),
            "no request before the peer reaches out"
        );
        session.hold(message(0, b"a"));
        assert!(session.take_request(secs(0)));
        assert!(
            !session.take_request(secs(0)),
            "not twice for the same data"
        );
        session.hold(message(0, b"b"));
        assert!(
            !session.take_request(Duration::from_millis(500)),
            "not within a second"
        );
        assert!(session.take_request(secs(1)));
        assert!(!session.take_request(secs(5)), "no new data, no repeat");
    }

    #[test]
    fn a_peer_connecting_is_a_request_before_any_data_arrives() {
        let mut session = Session::new(PEER, secs(0));
        session.peer_connected();
        assert!(session.take_request(secs(0)));
        assert!(session.held.is_empty());
        session.accept();
        session.peer_connected();
        assert!(
            !session.take_request(secs(2)),
            "an accepted session is asked no more"
        );
    }

    #[test]
    fn a_session_we_opened_is_connected_once_the_peer_connects_back() {
        let mut session = Session::new(PEER, secs(0));
        session.sending_since = Some(secs(0));
        session.accept();
        assert_eq!(
            session.phase,
            Phase::Connecting,
            "its ACCEPT has not arrived"
        );
        session.peer_connected();
        assert_eq!(session.phase, Phase::Connected);
        assert!(!session.connect_timed_out(secs(60), secs(10)));
    }

    #[test]
    fn a_peer_connecting_to_a_session_we_did_not_open_leaves_it_a_request() {
        let mut session = Session::new(PEER, secs(0));
        session.peer_connected();
        assert_eq!(session.phase, Phase::Connecting);
        assert!(session.take_request(secs(0)));
    }

    #[test]
    fn replies_to_a_peer_that_connected_first_never_wait_for_its_accept() {
        let mut session = Session::new(PEER, secs(0));
        session.peer_connected();
        session.accept();
        session.sending_since = Some(secs(1));
        assert_eq!(session.phase, Phase::Connected);
        assert!(!session.connect_timed_out(secs(60), secs(10)));
    }

    #[test]
    fn accepted_session_posts_no_request() {
        let mut session = Session::new(PEER, secs(0));
        session.accept();
        session.hold(message(0, b"a"));
        assert!(!session.take_request(secs(3)));
    }

    fn unreliable(payload: &[u8]) -> Inbound {
        Inbound::new(PEER, 0, 0, 1, 0, Packet::unreliable(payload.to_vec()), 0)
    }

    #[test]
    fn held_unreliable_messages_are_bounded_counting_their_overhead() {
        let mut session = Session::new(PEER, secs(0));
        let fits = (HELD_UNRELIABLE_LIMIT_BYTES / message_cost(0)) as usize;
        for _ in 0..fits {
            assert!(session.hold(unreliable(b"")));
        }
        assert!(!session.hold(unreliable(b"")), "empty messages count too");
        assert!(
            session.hold(message(0, b"reliable")),
            "reliable ones are bounded by the window"
        );
        assert_eq!(session.held.len(), fits + 1);
    }

    #[test]
    fn unreliable_outbox_is_bounded_and_reliable_frames_are_left_to_the_window() {
        let mut session = Session::new(PEER, secs(0));
        let fits = (OUTBOX_UNRELIABLE_LIMIT_BYTES / message_cost(0)) as usize;
        for _ in 0..fits {
            assert!(session.queue(vec![0; 17], 0, false));
        }
        assert!(!session.queue(vec![0; 17], 0, false));
        assert!(session.queue(vec![0; 17], 0, true));
        assert_eq!(session.pending_bytes(), (fits as i32 * 17, 17));
    }

    #[test]
    fn empty_messages_fill_the_send_window_too() {
        let mut session = Session::new(PEER, secs(0));
        session.accepted_by_peer();
        let mut sent = 0u64;
        while session.window_allows(0) {
            session.record_sent(0, true);
            sent += 1;
        }
        assert_eq!(sent, SEND_WINDOW_BYTES / message_cost(0));
    }

    #[test]
    fn the_send_window_is_smaller_until_the_peer_accepts() {
        let mut session = Session::new(PEER, secs(0));
        session.record_sent(
            PRE_ACCEPT_WINDOW_BYTES as usize - MESSAGE_OVERHEAD_BYTES,
            true,
        );
        assert!(!session.window_allows(0));
        session.accepted_by_peer();
        assert!(session.window_allows(0));
    }

    #[test]
    fn unaccepted_sender_times_out_after_the_connect_timeout() {
        let mut session = Session::new(PEER, secs(0));
        session.sending_since = Some(secs(0));
        assert!(!session.connect_timed_out(secs(9), secs(10)));
        assert!(session.connect_timed_out(secs(10), secs(10)));
        session.accepted_by_peer();
        assert!(!session.connect_timed_out(secs(60), secs(10)));
    }

    #[test]
    fn failure_is_reported_once_and_clears_queues() {
        let mut session = Session::new(PEER, secs(0));
        session.queue(vec![1, 2, 3], 3, true);
        assert!(session.fail(END_TIMEOUT, "gone"));
        assert!(!session.fail(END_TIMEOUT, "gone again"));
        assert_eq!(
            session.phase.connection_state(),
            ConnectionState::PROBLEM_DETECTED_LOCALLY
        );
        assert_eq!(session.outbox_bytes, 0);
        assert_eq!(session.end_reason, END_TIMEOUT);
    }

    #[test]
    fn broken_session_takes_no_more_messages() {
        let mut session = Session::new(PEER, secs(0));
        session.fail(END_TIMEOUT, "gone");
        assert!(!session.hold(message(0, b"late")));
        assert!(!session.queue(vec![1], 1, true));
        assert!(session.held.is_empty() && session.outbox.is_empty());
    }

    #[test]
    fn closed_by_peer_is_broken_with_its_state() {
        let mut session = Session::new(PEER, secs(0));
        session.accept();
        session.closed_by_peer();
        assert!(session.phase.is_broken());
        assert_eq!(
            session.phase.connection_state(),
            ConnectionState::CLOSED_BY_PEER
        );
        session.accepted_by_peer();
        assert_eq!(
            session.phase,
            Phase::ClosedByPeer,
            "a late accept does not revive it"
        );
    }

    #[test]
    fn send_window_opens_as_the_peer_reads() {
        let mut session = Session::new(PEER, secs(0));
        session.accepted_by_peer();
        let largest = SEND_WINDOW_BYTES as usize - MESSAGE_OVERHEAD_BYTES;
        assert!(session.window_allows(largest));
        assert!(!session.window_allows(largest + 1));
        session.reliable_sent = SEND_WINDOW_BYTES;
        assert!(!session.window_allows(0));
        session.reliable_read_by_peer = message_cost(10);
        assert!(session.window_allows(10));
        assert!(!session.window_allows(11));
    }

    #[test]
    fn receive_window_is_enforced_and_read_reports_are_owed_once() {
        let mut session = Session::new(PEER, secs(0));
        session.accept();
        assert!(session.received_reliable(RECEIVE_WINDOW_BYTES as usize - MESSAGE_OVERHEAD_BYTES));
        assert!(!session.received_reliable(0));
        session.reliable_read = 100;
        assert_eq!(session.take_read_report(), Some(100));
        assert_eq!(session.take_read_report(), None);
    }

    #[test]
    fn traffic_rates_cover_the_last_second() {
        let mut traffic = Traffic::default();
        traffic.sent(100);
        traffic.sent(100);
        traffic.received(50);
        traffic.tick(secs(1));
        assert_eq!(traffic.rates, [2.0, 200.0, 1.0, 50.0]);
        traffic.tick(secs(2));
        assert_eq!(traffic.rates, [0.0, 0.0, 0.0, 0.0]);
    }
}
