//! Deterministic identifiers: every id, token and key a fake hands out comes
//! from an [`IdGen`] seeded from a `u64`, never from OS randomness, so one
//! scenario seed yields byte-identical ids in every run.

/// A SplitMix64 generator (Steele, Lea & Flood 2014): tiny, fast, and good
/// enough to make ids look random; not cryptographic (nothing here needs it).
#[derive(Debug, Clone)]
pub struct IdGen {
    state: u64,
}

const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

impl IdGen {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// A generator for one purpose, independent of the others drawn from the
    /// same seed (so adding a draw in one fake does not shift another's ids).
    pub fn derive(seed: u64, purpose: &str) -> Self {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325; // FNV-1a over the purpose
        for b in purpose.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        Self::new(seed ^ h)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// `len` lowercase hex digits (e.g. 40 for a git object id).
    pub fn hex(&mut self, len: usize) -> String {
        let mut out = String::with_capacity(len + 16);
        while out.len() < len {
            out.push_str(&format!("{:016x}", self.next_u64()));
        }
        out.truncate(len);
        out
    }

    /// `len` characters from `[A-Za-z0-9]` (the alphabet of GitHub tokens).
    pub fn alphanumeric(&mut self, len: usize) -> String {
        (0..len).map(|_| ALPHANUMERIC[(self.next_u64() % ALPHANUMERIC.len() as u64) as usize] as char).collect()
    }

    /// A version-4-shaped UUID as 32 lowercase hex digits without dashes
    /// (how Sentry and GlitchTip print DSN keys and event ids).
    pub fn uuid_simple(&mut self) -> String {
        let hi = self.next_u64();
        let lo = self.next_u64();
        let hi = (hi & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
        let lo = (lo & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
        format!("{hi:016x}{lo:016x}")
    }

    /// A version-4-shaped UUID in its usual dashed form
    /// (`8-4-4-4-12` hex digits: how Microsoft Graph prints object ids).
    pub fn uuid(&mut self) -> String {
        let h = self.uuid_simple();
        format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
    }
}

/// `bytes` as lowercase hex, two digits a byte (how a digest becomes an id).
pub fn lower_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_ids() {
        let mut a = IdGen::new(42);
        let mut b = IdGen::new(42);
        assert_eq!(a.hex(40), b.hex(40));
        assert_eq!(a.alphanumeric(36), b.alphanumeric(36));
        assert_ne!(IdGen::new(1).next_u64(), IdGen::new(2).next_u64());
    }

    #[test]
    fn lower_hex_spells_each_byte_as_format_does() {
        let bytes: Vec<u8> = (0..=255).collect();
        let by_format: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(lower_hex(&bytes), by_format);
    }

    #[test]
    fn shapes() {
        let mut g = IdGen::derive(7, "x");
        let sha = g.hex(40);
        assert_eq!(sha.len(), 40);
        assert!(sha.chars().all(|c| c.is_ascii_hexdigit()));
        let u = g.uuid_simple();
        assert_eq!(u.len(), 32);
        assert_eq!(&u[12..13], "4");
        assert!(matches!(&u[16..17], "8" | "9" | "a" | "b"));
        assert!(g.alphanumeric(36).chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
