//! A lobby search's filters (`addRequestLobbyList*Filter`) and how they pick and order what owners answered.

use super::wire::Summary;

/// `ELobbyComparison`.
pub mod comparison {
    pub const EQUAL_TO_OR_LESS_THAN: i32 = -2;
    pub const LESS_THAN: i32 = -1;
    pub const EQUAL: i32 = 0;
    pub const GREATER_THAN: i32 = 1;
    pub const EQUAL_TO_OR_GREATER_THAN: i32 = 2;
    pub const NOT_EQUAL: i32 = 3;
}

/// Steam's default count of lobbies a search returns.
pub const DEFAULT_RESULT_COUNT: usize = 50;

/// The filters of the next search. Steam resets them after each `requestLobbyList`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    strings: Vec<(String, String, i32)>,
    numbers: Vec<(String, i64, i32)>,
    near: Vec<(String, i64)>,
    slots_available: Option<u32>,
    result_count: Option<usize>,
}

impl Filters {
    /// Only lobbies whose `key` compares to `value` as `comparison` says (strings compare by bytes; Steam's
    /// string filters are equality tests in practice, and the ordering ones follow the same rule).
    pub fn add_string(&mut self, key: &str, value: &str, comparison: i32) {
        self.strings.push((key.into(), value.into(), comparison));
    }

    /// Only lobbies whose `key`, read as an integer, compares to `value` as `comparison` says.
    pub fn add_number(&mut self, key: &str, value: i64, comparison: i32) {
        self.numbers.push((key.into(), value, comparison));
    }

    /// Order results by how close `key`'s integer is to `value` (the first such filter weighs most).
    pub fn add_near_value(&mut self, key: &str, value: i64) {
        self.near.push((key.into(), value));
    }

    /// Only lobbies with at least `slots` free places.
    pub fn add_slots_available(&mut self, slots: u32) {
        self.slots_available = Some(slots);
    }

    /// At most `count` results.
    pub fn add_result_count(&mut self, count: usize) {
        self.result_count = Some(count);
    }

    /// Whether `comparison` is one of `ELobbyComparison`'s values.
    pub fn is_comparison(comparison: i32) -> bool {
        (comparison::EQUAL_TO_OR_LESS_THAN..=comparison::NOT_EQUAL).contains(&comparison)
    }

    /// The lobbies the filters keep, closest first when near-value filters ask for an order, at most the
    /// result count.
    pub fn apply(&self, mut found: Vec<Summary>) -> Vec<Summary> {
        found.retain(|summary| self.keeps(summary));
        if !self.near.is_empty() {
            // Stable: lobbies equally near keep the order owners answered in.
            found.sort_by_key(|summary| {
                self.near
                    .iter()
                    .map(|(key, value)| {
                        number(summary, key).map_or(u64::MAX, |number| number.abs_diff(*value))
                    })
                    .collect::<Vec<_>>()
            });
        }
        found.truncate(self.result_count.unwrap_or(DEFAULT_RESULT_COUNT));
        found
    }

    fn keeps(&self, summary: &Summary) -> bool {
        let free = summary.max_members.saturating_sub(summary.members);
        free >= self.slots_available.unwrap_or(1)
            && self.strings.iter().all(|(key, value, comparison)| {
                compares(value_of(summary, key).cmp(value.as_str()), *comparison)
            })
            && self.numbers.iter().all(|(key, value, comparison)| {
                number(summary, key).is_some_and(|number| compares(number.cmp(value), *comparison))
            })
    }
}

/// Whether `lobby`'s value stands to the filter's value as `comparison` asks (`ordering` is lobby vs filter).
fn compares(ordering: std::cmp::Ordering, comparison: i32) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    match comparison {
        comparison::EQUAL_TO_OR_LESS_THAN => ordering != Greater,
        comparison::LESS_THAN => ordering == Less,
        comparison::EQUAL => ordering == Equal,
        comparison::GREATER_THAN => ordering == Greater,
        comparison::EQUAL_TO_OR_GREATER_THAN => ordering != Less,
        comparison::NOT_EQUAL => ordering != Equal,
        _ => false,
    }
}

fn value_of<'a>(summary: &'a Summary, key: &str) -> &'a str {
    summary
        .data
        .iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, value)| value.as_str())
}

fn number(summary: &Summary, key: &str) -> Option<i64> {
    value_of(summary, key).trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lobby(id: u64, members: u32, data: &[(&str, &str)]) -> Summary {
        Summary {
            lobby: id,
            owner: 1,
            members,
            max_members: 4,
            data: data
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn ids(found: Vec<Summary>) -> Vec<u64> {
        found.into_iter().map(|summary| summary.lobby).collect()
    }

    #[test]
    fn a_string_filter_keeps_the_lobbies_whose_value_matches() {
        let mut filters = Filters::default();
        filters.add_string("game", "demo", comparison::EQUAL);
        let found = vec![
            lobby(1, 1, &[("game", "demo")]),
            lobby(2, 1, &[("game", "other")]),
            lobby(3, 1, &[]),
        ];
        assert_eq!(ids(filters.apply(found.clone())), [1]);
        let mut filters = Filters::default();
        filters.add_string("game", "demo", comparison::NOT_EQUAL);
        assert_eq!(ids(filters.apply(found)), [2, 3]);
    }

    #[test]
    fn numerical_filters_compare_numbers_and_skip_lobbies_without_one() {
        let mut filters = Filters::default();
        filters.add_number("level", 10, comparison::EQUAL_TO_OR_GREATER_THAN);
        let found = vec![
            lobby(1, 1, &[("level", "9")]),
            lobby(2, 1, &[("level", "10")]),
            lobby(3, 1, &[("level", "100")]),
            lobby(4, 1, &[("level", "x")]),
        ];
        assert_eq!(ids(filters.apply(found)), [2, 3]);
    }

    #[test]
    fn full_lobbies_never_show_and_slot_filters_ask_for_more_room() {
        let found = vec![lobby(1, 4, &[]), lobby(2, 3, &[]), lobby(3, 1, &[])];
        assert_eq!(ids(Filters::default().apply(found.clone())), [2, 3]);
        let mut filters = Filters::default();
        filters.add_slots_available(2);
        assert_eq!(ids(filters.apply(found)), [3]);
    }

    #[test]
    fn near_value_filters_order_and_result_count_cuts() {
        let mut filters = Filters::default();
        filters.add_near_value("skill", 50);
        filters.add_result_count(2);
        let found = vec![
            lobby(1, 1, &[("skill", "10")]),
            lobby(2, 1, &[("skill", "55")]),
            lobby(3, 1, &[("skill", "47")]),
        ];
        assert_eq!(ids(filters.apply(found)), [3, 2]);
    }
}
