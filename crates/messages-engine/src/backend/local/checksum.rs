//! ENet's datagram checksum, computed fast. ENet's CRC32 is the IEEE one (reflected, initial value and final
//! XOR of all ones), written in network byte order; `crc32fast` computes the same with carry-less
//! multiplication where the CPU has it, so peers using rusty_enet's own `crc32` still understand us.

/// The CRC32 of `buffers` taken as one byte string, as [`rusty_enet::crc32`] returns it.
pub fn enet_crc32(buffers: &[&[u8]]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    for buffer in buffers {
        hasher.update(buffer);
    }
    hasher.finalize().to_be()
}

#[cfg(test)]
mod tests {
    use super::enet_crc32;

    #[test]
    fn matches_rusty_enets_checksum_for_any_bytes_and_split() {
        let mut random = fastrand::Rng::with_seed(7);
        for _ in 0..2_000 {
            let len = random.usize(0..3_000);
            let bytes: Vec<u8> = (0..len).map(|_| random.u8(..)).collect();
            let cut = random.usize(0..=len);
            let buffers: [&[u8]; 2] = [&bytes[..cut], &bytes[cut..]];
            assert_eq!(
                enet_crc32(&buffers),
                rusty_enet::crc32(&buffers),
                "{len} bytes cut at {cut}"
            );
        }
        assert_eq!(enet_crc32(&[]), rusty_enet::crc32(&[]));
    }
}
