//! Request and device ids, drawn from the caller's random source.

use rand_core::RngCore;

/// 16 random bytes shaped as a UUID v4 (version nibble 4, variant 10xx).
fn uuid_v4_bytes(rng: &mut dyn RngCore) -> [u8; 16] {
    let mut b = [0u8; 16];
    rng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    b
}

/// A byte's two lower-case hex digits (a table, not `write!` per byte: ids are drawn
/// for every request).
fn hex_digits(b: u8) -> [u8; 2] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 0x0f)]]
}

/// Digits (and dashes) written into a buffer, as a string. The strict check is a
/// fraction of `from_utf8_lossy`'s chunk walk, and only ASCII was written, so it
/// never falls back.
fn ascii_string(out: &[u8]) -> String {
    std::str::from_utf8(out).map_or_else(|_| String::new(), str::to_owned)
}

/// `bytes` as lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = vec![0u8; bytes.len().saturating_mul(2)];
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair.copy_from_slice(&hex_digits(*b));
    }
    ascii_string(&out)
}

/// 32 lower-case hex digits in UUID v4 shape without dashes: the auth `x-request-id`.
pub fn request_id_hex(rng: &mut dyn RngCore) -> String {
    // A fixed buffer, one string at the end (this runs per auth request).
    let mut out = [0u8; 32];
    for (pair, b) in out.chunks_exact_mut(2).zip(uuid_v4_bytes(rng)) {
        pair.copy_from_slice(&hex_digits(b));
    }
    ascii_string(&out)
}

/// A dashed 8-4-4-4-12 UUID v4: the gateway `X-Request-Id`.
pub fn request_id_uuid(rng: &mut dyn RngCore) -> String {
    // Where each byte's two digits go: dashes sit at 8, 13, 18 and 23.
    const AT: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
    // Bytes first, one string at the end: pushing chars one by one cost twice as much.
    let mut out = [b'-'; 36];
    for (b, at) in uuid_v4_bytes(rng).into_iter().zip(AT) {
        out[at..at + 2].copy_from_slice(&hex_digits(b));
    }
    ascii_string(&out)
}

/// A 32-hex device id, as the JS SDK generates when none is stored.
pub fn device_id(rng: &mut dyn RngCore) -> String {
    request_id_hex(rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn shapes_match_the_js_sdk() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let h = request_id_hex(&mut rng);
        assert_eq!(h.len(), 32);
        assert!(
            h.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(&h[12..13], "4");
        assert!("89ab".contains(&h[16..17]));
        let u = request_id_uuid(&mut rng);
        assert_eq!(u.len(), 36);
        assert_eq!(u.matches('-').count(), 4);
        assert_eq!(&u[14..15], "4");
        let dashes: Vec<usize> = u.match_indices('-').map(|(i, _)| i).collect();
        assert_eq!(dashes, [8, 13, 18, 23], "8-4-4-4-12: {u}");
        assert!("89ab".contains(&u[19..20]), "{u}");
        assert!(u.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit()));
        assert_ne!(request_id_hex(&mut rng), h, "fresh per call");
    }
}
