//! Received messages as GodotSteam's message dictionaries.

use godot::builtin::{GString, VarArray, VarDictionary, Variant};
use godot::meta::ToGodot;

use super::engine_calls::{DictionaryTemplate, EngineCalls};
use crate::backend::ReceivedMessage;
use crate::steam_types::SteamId;

/// GodotSteam's message keys, as `String` Variants made once.
struct MessageKeys {
    payload: Variant,
    size: Variant,
    connection: Variant,
    identity: Variant,
    receiver_user_data: Variant,
    time_received: Variant,
    message_number: Variant,
    channel: Variant,
    flags: Variant,
    sender_user_data: Variant,
}

impl MessageKeys {
    fn new() -> Self {
        let key = |name: &str| GString::from(name).to_variant();
        Self {
            payload: key("payload"),
            size: key("size"),
            connection: key("connection"),
            identity: key("identity"),
            receiver_user_data: key("receiver_user_data"),
            time_received: key("time_received"),
            message_number: key("message_number"),
            channel: key("channel"),
            flags: key("flags"),
            sender_user_data: key("sender_user_data"),
        }
    }

    /// A message dictionary with every key in GodotSteam's order, `shared`'s values filled in, the payload null
    /// and the per-message ints 0.
    fn template(&self, shared: &SharedFields) -> DictionaryTemplate {
        let mut dictionary = VarDictionary::new();
        dictionary.set(&self.payload, &Variant::nil());
        dictionary.set(&self.size, 0);
        dictionary.set(&self.connection, i64::from(shared.connection));
        dictionary.set(&self.identity, shared.sender.to_gdscript());
        dictionary.set(&self.receiver_user_data, shared.connection_user_data);
        dictionary.set(&self.time_received, 0);
        dictionary.set(&self.message_number, 0);
        dictionary.set(&self.channel, i64::from(shared.channel));
        dictionary.set(&self.flags, i64::from(shared.flags));
        dictionary.set(&self.sender_user_data, shared.user_data);
        DictionaryTemplate::new(&dictionary)
    }
}

/// The fields a run of messages usually shares (same sender, channel and kind), which come from a template
/// instead of being written per message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SharedFields {
    connection: u32,
    sender: SteamId,
    connection_user_data: i64,
    channel: i32,
    flags: i32,
    user_data: i64,
}

impl SharedFields {
    fn of(message: &ReceivedMessage<'_>) -> Self {
        Self {
            connection: message.connection,
            sender: message.sender,
            connection_user_data: message.connection_user_data,
            channel: message.channel,
            flags: message.flags,
            user_data: message.user_data,
        }
    }
}

/// Builds the `Array` of message dictionaries `receiveMessagesOnChannel` returns.
///
/// Each message costs one dictionary copy, one payload copy and four int writes: the keys are made once and
/// the values a run of messages shares come from a template made once per run.
pub struct MessageDictionaries {
    keys: MessageKeys,
    /// The template of the last run, kept across calls since a game usually hears the same peers.
    last_template: Option<(SharedFields, DictionaryTemplate)>,
}

impl Default for MessageDictionaries {
    fn default() -> Self {
        Self {
            keys: MessageKeys::new(),
            last_template: None,
        }
    }
}

impl MessageDictionaries {
    /// Runs `receive`, which hands over messages one by one, and returns them as GodotSteam's dictionaries in
    /// the order received.
    pub fn collect(
        &mut self,
        calls: &EngineCalls,
        receive: impl FnOnce(&mut dyn FnMut(&ReceivedMessage<'_>)),
    ) -> VarArray {
        let keys = &self.keys;
        let mut template = self.last_template.take();
        let mut array = calls.array_builder();
        receive(&mut |message| {
            let shared = SharedFields::of(message);
            let template = match &mut template {
                Some((fields, template)) if *fields == shared => template,
                other => &other.insert((shared, keys.template(&shared))).1,
            };
            let mut dictionary = array.push_copy(template);
            dictionary.set_bytes(&keys.payload, message.payload);
            dictionary.set_int(&keys.size, message.payload.len() as i64);
            dictionary.set_int(&keys.time_received, message.time_received_usec);
            dictionary.set_int(&keys.message_number, message.message_number);
        });
        self.last_template = template;
        array.finish()
    }
}
