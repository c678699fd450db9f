//! What Steam's inline helpers of `SteamNetworkingIdentity` and `SteamNetworkingIPAddr` do, as plain Rust on
//! our structs, plus the text helpers the exports need. Steam's behaviour is taken from its headers and
//! from Valve's open-source GameNetworkingSockets, which shares these helpers with the Steam client.

use std::ffi::c_char;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use messages_engine::steam_types::SteamId;

use crate::types::{IDENTITY_TYPE_STEAM_ID, SteamNetworkingIPAddr, SteamNetworkingIdentity};

/// `SteamNetworkingIdentity::SetSteamID64`: type SteamID, size 8, the ID in the union's first bytes.
pub fn set_steam_id64(identity: &mut SteamNetworkingIdentity, steam_id: u64) {
    identity.identity_type = IDENTITY_TYPE_STEAM_ID;
    identity.size = 8;
    identity.data[..8].copy_from_slice(&steam_id.to_ne_bytes());
}

/// `SteamNetworkingIdentity::GetSteamID64`: the ID, or 0 when the identity is of another type.
pub fn steam_id64(identity: &SteamNetworkingIdentity) -> u64 {
    if identity.identity_type != IDENTITY_TYPE_STEAM_ID {
        return 0;
    }
    let mut bytes = [0; 8];
    bytes.copy_from_slice(&identity.data[..8]);
    u64::from_ne_bytes(bytes)
}

/// A Steam ID identity.
pub fn identity_of(steam_id: SteamId) -> SteamNetworkingIdentity {
    let mut identity = SteamNetworkingIdentity::default();
    set_steam_id64(&mut identity, steam_id.0);
    identity
}

/// `SteamNetworkingIPAddr::IsIPv6AllZeros`: the 16 address bytes are zero (the port does not count).
pub fn is_ipv6_all_zeros(address: &SteamNetworkingIPAddr) -> bool {
    address.ipv6 == [0; 16]
}

/// `SteamNetworkingIPAddr::IsIPv4`: an IPv4-mapped address, `::ffff:a.b.c.d`.
pub fn is_ipv4(address: &SteamNetworkingIPAddr) -> bool {
    address.ipv6[..10] == [0; 10] && address.ipv6[10..12] == [0xff, 0xff]
}

/// `SteamNetworkingIPAddr` of an IP and port (IPv4 mapped into IPv6, as Steam stores it).
pub fn ip_address(ip: IpAddr, port: u16) -> SteamNetworkingIPAddr {
    let v6 = match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    };
    SteamNetworkingIPAddr {
        ipv6: v6.octets(),
        port,
    }
}

/// The engine's remote address text (an IP, or an IP and port) as `SteamNetworkingIPAddr`; all zero when
/// it is empty or not an address, as Steam leaves an unknown address.
pub fn parse_remote_address(text: &str) -> SteamNetworkingIPAddr {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return ip_address(ip, 0);
    }
    if let Ok(socket) = text.parse::<SocketAddr>() {
        return ip_address(socket.ip(), socket.port());
    }
    SteamNetworkingIPAddr::default()
}

/// `SteamNetworkingIPAddr::ToString` as the Steam client formats it: `1.2.3.4` / `1.2.3.4:27015` for IPv4,
/// `::1` / `[::1]:27015` for IPv6 (RFC 5952; brackets only around an address followed by a port).
pub fn format_ip_address(address: &SteamNetworkingIPAddr, with_port: bool) -> String {
    let port = address.port;
    let bytes = address.ipv6;
    if is_ipv4(address) {
        let [a, b, c, d] = [bytes[12], bytes[13], bytes[14], bytes[15]];
        if with_port {
            format!("{a}.{b}.{c}.{d}:{port}")
        } else {
            format!("{a}.{b}.{c}.{d}")
        }
    } else {
        let ip = Ipv6Addr::from(bytes);
        if with_port {
            format!("[{ip}]:{port}")
        } else {
            ip.to_string()
        }
    }
}

/// Copies `text` into the C buffer `buffer` of `size` bytes as `snprintf` would: truncated to fit with its
/// terminating NUL (at a character boundary, so the result stays UTF-8). Nothing happens when `size` is 0.
///
/// # Safety
/// `buffer` must be null or point at `size` writable bytes.
pub unsafe fn write_c_string(text: &str, buffer: *mut c_char, size: usize) {
    if buffer.is_null() || size == 0 {
        return;
    }
    let length = truncated_length(text, size - 1);
    // SAFETY: the caller promises `size` bytes; we write `length + 1 <= size` of them.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr().cast::<c_char>(), buffer, length);
        *buffer.add(length) = 0;
    }
}

/// Copies `text` into a fixed C array, truncated to leave room for the NUL; the rest of the array is zeroed.
pub fn fill_c_array(text: &str, array: &mut [c_char]) {
    array.fill(0);
    if array.is_empty() {
        return;
    }
    let length = truncated_length(text, array.len() - 1);
    for (slot, byte) in array.iter_mut().zip(&text.as_bytes()[..length]) {
        *slot = *byte as c_char;
    }
}

/// The longest prefix of `text` of at most `max` bytes that ends at a character boundary.
fn truncated_length(text: &str, max: usize) -> usize {
    let mut length = text.len().min(max);
    while !text.is_char_boundary(length) {
        length -= 1;
    }
    length
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::IDENTITY_TYPE_IP_ADDRESS;

    #[test]
    fn steam_id_identities_round_trip_and_other_types_read_as_zero() {
        let mut identity = SteamNetworkingIdentity::default();
        assert_eq!(steam_id64(&identity), 0);
        set_steam_id64(&mut identity, 76_561_197_960_265_729);
        assert_eq!({ identity.identity_type }, IDENTITY_TYPE_STEAM_ID);
        assert_eq!({ identity.size }, 8);
        assert_eq!(steam_id64(&identity), 76_561_197_960_265_729);
        identity.identity_type = IDENTITY_TYPE_IP_ADDRESS;
        assert_eq!(steam_id64(&identity), 0);
    }

    #[test]
    fn ipv4_addresses_are_mapped_and_print_without_brackets() {
        let address = parse_remote_address("1.2.3.4");
        assert!(is_ipv4(&address));
        assert!(!is_ipv6_all_zeros(&address));
        assert_eq!(
            address.ipv6,
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]
        );
        assert_eq!(format_ip_address(&address, false), "1.2.3.4");
        let with_port = SteamNetworkingIPAddr {
            port: 27015,
            ..address
        };
        assert_eq!(format_ip_address(&with_port, true), "1.2.3.4:27015");
    }

    #[test]
    fn ipv6_addresses_print_in_rfc_5952_form_bracketed_before_a_port() {
        let loopback = ip_address("::1".parse().unwrap(), 27015);
        assert!(!is_ipv4(&loopback));
        assert_eq!(format_ip_address(&loopback, false), "::1");
        assert_eq!(format_ip_address(&loopback, true), "[::1]:27015");
        let long = ip_address("2001:db8:0:0:1:0:0:1".parse().unwrap(), 0);
        assert_eq!(format_ip_address(&long, false), "2001:db8::1:0:0:1");
    }

    #[test]
    fn unknown_remote_addresses_are_all_zeros() {
        for text in ["", "somewhere", "1.2.3"] {
            let address = parse_remote_address(text);
            assert!(is_ipv6_all_zeros(&address), "{text}");
        }
        let all_zero = SteamNetworkingIPAddr::default();
        assert_eq!(format_ip_address(&all_zero, false), "::");
        // The port does not make an address non-zero.
        let port_only = SteamNetworkingIPAddr {
            port: 5,
            ..all_zero
        };
        assert!(is_ipv6_all_zeros(&port_only));
        let with_port = parse_remote_address("127.0.0.1:47501");
        assert_eq!(format_ip_address(&with_port, true), "127.0.0.1:47501");
    }

    #[test]
    fn c_strings_are_truncated_like_snprintf_at_character_boundaries() {
        let mut buffer = [1 as c_char; 8];
        unsafe { write_c_string("1.2.3.4:27015", buffer.as_mut_ptr(), buffer.len()) };
        assert_eq!(buffer.map(|c| c as u8), *b"1.2.3.4\0");
        let mut small = [1 as c_char; 4];
        unsafe { write_c_string("aé", small.as_mut_ptr(), 3) };
        // "é" takes two bytes and does not fit with the NUL: only "a" is written, and byte 3 is untouched.
        assert_eq!(small.map(|c| c as u8), [b'a', 0, 1, 1]);
        unsafe { write_c_string("x", small.as_mut_ptr(), 0) };
        unsafe { write_c_string("x", std::ptr::null_mut(), 8) };
        let mut array = [7 as c_char; 4];
        fill_c_array("hello", &mut array);
        assert_eq!(array.map(|c| c as u8), *b"hel\0");
    }
}
