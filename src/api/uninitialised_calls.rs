//! GodotSteam's "class not found" error for calls made before initialisation, printed once per function
//! and then as a running count, so a game that polls every frame without Steam does not flood its log.

use std::collections::HashMap;

use godot::global::godot_error;

/// How many calls each function received before initialisation.
#[derive(Debug, Default)]
pub struct UninitialisedCalls {
    counts: HashMap<&'static str, u64>,
}

impl UninitialisedCalls {
    /// Counts a call to `function` and prints what [`message`] says for it.
    pub fn report(&mut self, function: &'static str) {
        let count = self.counts.entry(function).or_default();
        *count += 1;
        if let Some(text) = message(function, *count) {
            godot_error!("{text}");
        }
    }

    /// Starts counting afresh: after a successful initialisation, a later misuse is news again.
    pub fn clear(&mut self) {
        self.counts.clear();
    }
}

/// What the `count`th call to `function` before initialisation prints: GodotSteam's own line the first time,
/// the same line with the running count at the 10th, 100th, 1,000th… call, nothing otherwise.
pub fn message(function: &str, count: u64) -> Option<String> {
    // GodotSteam names the Steam interface each function belongs to.
    let interface = match function {
        "getPersonaName" | "getFriendPersonaName" | "requestUserInformation" => "Friends",
        name if is_matchmaking(name) => "Matchmaking",
        name if is_apps(name) => "Apps",
        _ => "Networking Messages",
    };
    let text = format!("[STEAM] {interface} class not found when calling: {function}");
    match count {
        1 => Some(text),
        _ if is_power_of_ten(count) => Some(format!(
            "{text} ({count} calls so far: call steamInit or steamInitEx first and check its result; \
             repeats are counted, printed at 10, 100, 1000, …)"
        )),
        _ => None,
    }
}

/// GodotSteam's lobby functions (`ISteamMatchmaking`).
fn is_matchmaking(function: &str) -> bool {
    function.contains("Lobby")
        || function.starts_with("addRequestLobbyList")
        || function == "isLobby"
}

/// GodotSteam's app functions (`ISteamApps`).
fn is_apps(function: &str) -> bool {
    function == "isSubscribed"
}

fn is_power_of_ten(mut n: u64) -> bool {
    while n >= 10 && n.is_multiple_of(10) {
        n /= 10;
    }
    n == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_call_prints_godotsteams_own_line() {
        assert_eq!(
            message("receiveMessagesOnChannel", 1).as_deref(),
            Some(
                "[STEAM] Networking Messages class not found when calling: receiveMessagesOnChannel"
            )
        );
    }

    #[test]
    fn repeats_print_only_at_powers_of_ten_with_the_count() {
        let printed: Vec<u64> = (1..=20_000)
            .filter(|&count| message("sendMessageToUser", count).is_some())
            .collect();
        assert_eq!(printed, [1, 10, 100, 1_000, 10_000]);
        let tenth = message("sendMessageToUser", 10).unwrap();
        assert!(tenth.starts_with(
            "[STEAM] Networking Messages class not found when calling: sendMessageToUser (10 calls"
        ));
    }
}
