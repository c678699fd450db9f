//! Registers [`crate::constants::GROUPS`] on the singleton class, under GodotSteam's enum names (as flags
//! where GodotSteam binds flags).

use godot::obj::GodotClass;
use godot::prelude::*;
// gdext's own `#[constant]` cannot name an enum; its registration type can.
use godot::register::private::constant::{ConstantKind, ExportConstant, IntegerConstant};

use super::SteamNetworkingMessages;
use crate::constants::GROUPS;

/// Binds every constant; call once, after the class is registered.
pub fn register() {
    let class = SteamNetworkingMessages::class_id();
    for group in GROUPS {
        let constants = group
            .constants
            .iter()
            .map(|&(name, value, _)| IntegerConstant::new(name, value));
        let kind = match group.enum_name {
            Some(enum_name) if group.is_bitfield() => ConstantKind::Bitfield {
                name: StringName::from(enum_name),
                flags: constants.collect(),
            },
            Some(enum_name) => ConstantKind::Enum {
                name: StringName::from(enum_name),
                enumerators: constants.collect(),
            },
            None => {
                for constant in constants {
                    ExportConstant::new(class, ConstantKind::Integer(constant)).register();
                }
                continue;
            }
        };
        ExportConstant::new(class, kind).register();
    }
}
