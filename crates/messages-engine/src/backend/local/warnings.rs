//! Warnings that a peer or a flood can repeat thousands of times a second (dropped messages, refused
//! requests): the first is logged in full, the rest are counted and summed up in one line per interval.

use std::time::Duration;

use foldhash::HashMap;

/// At most one line per kind of warning in this long.
pub const REPORT_INTERVAL: Duration = Duration::from_secs(5);

/// What went wrong, one kind per repeated warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WarningKind {
    SocketError,
    RequestRefused,
    HeldFull,
    InboxFull,
    NoPeerSlot,
    IdClaimed,
}

impl WarningKind {
    /// The summary line's words for what was held back.
    pub fn summary(self) -> &'static str {
        match self {
            Self::SocketError => "socket errors",
            Self::RequestRefused => "session requests refused (too many pending)",
            Self::HeldFull => "messages dropped (too much held before the session was accepted)",
            Self::InboxFull => {
                "messages dropped (receive queues full: call receiveMessagesOnChannel)"
            }
            Self::NoPeerSlot => "sessions refused (no free connection slot)",
            Self::IdClaimed => {
                "connections refused (claiming the Steam ID of a live session's peer)"
            }
        }
    }
}

#[derive(Debug, Default)]
struct Tally {
    last_logged: Option<Duration>,
    held_back: u64,
}

/// Counts repeated warnings of each kind between the lines that get logged.
#[derive(Debug, Default)]
pub struct RepeatedWarnings {
    kinds: HashMap<WarningKind, Tally>,
}

impl RepeatedWarnings {
    /// Whether this occurrence is logged in full: the first of its kind, or the first after a quiet
    /// [`REPORT_INTERVAL`]. Otherwise it is counted for the next summary.
    pub fn admit(&mut self, kind: WarningKind, now: Duration) -> bool {
        let tally = self.kinds.entry(kind).or_default();
        match tally.last_logged {
            Some(last) if now.saturating_sub(last) < REPORT_INTERVAL => {
                tally.held_back += 1;
                false
            }
            _ => {
                tally.last_logged = Some(now);
                true
            }
        }
    }

    /// The kinds with occurrences held back for a full interval, and how many: each is due one summary line.
    pub fn take_summaries(&mut self, now: Duration) -> Vec<(WarningKind, u64)> {
        let mut due = Vec::new();
        for (kind, tally) in &mut self.kinds {
            let interval_over = tally
                .last_logged
                .is_none_or(|last| now.saturating_sub(last) >= REPORT_INTERVAL);
            if tally.held_back > 0 && interval_over {
                due.push((*kind, std::mem::take(&mut tally.held_back)));
                tally.last_logged = Some(now);
            }
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    #[test]
    fn the_first_warning_is_logged_and_the_flood_after_it_is_counted() {
        let mut warnings = RepeatedWarnings::default();
        assert!(warnings.admit(WarningKind::HeldFull, ms(0)));
        for step in 1..=10_000 {
            assert!(!warnings.admit(WarningKind::HeldFull, ms(step / 10)));
        }
        assert!(warnings.take_summaries(ms(4_999)).is_empty());
        assert_eq!(
            warnings.take_summaries(ms(5_000)),
            vec![(WarningKind::HeldFull, 10_000)]
        );
        assert!(warnings.take_summaries(ms(20_000)).is_empty(), "once");
    }

    #[test]
    fn a_steady_flood_makes_one_line_per_interval() {
        let mut warnings = RepeatedWarnings::default();
        let mut lines = 0;
        for millis in 0..60_000 {
            for _ in 0..10 {
                lines += usize::from(warnings.admit(WarningKind::InboxFull, ms(millis)));
            }
            lines += warnings.take_summaries(ms(millis)).len();
        }
        // The first in full, then a summary every 5 s.
        assert!((12..=13).contains(&lines), "{lines} lines");
    }

    #[test]
    fn kinds_are_counted_apart_and_a_warning_after_quiet_is_logged_in_full() {
        let mut warnings = RepeatedWarnings::default();
        assert!(warnings.admit(WarningKind::HeldFull, ms(0)));
        assert!(warnings.admit(WarningKind::RequestRefused, ms(1)));
        assert!(!warnings.admit(WarningKind::HeldFull, ms(2)));
        assert_eq!(
            warnings.take_summaries(ms(6_000)),
            vec![(WarningKind::HeldFull, 1)]
        );
        assert!(warnings.admit(WarningKind::RequestRefused, ms(7_000)));
    }
}
