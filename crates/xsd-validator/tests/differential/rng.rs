//! SplitMix64 with a seed per case (hashed from the case id), so every mutant is reproducible
//! from its id alone and independent of which other cases ran.

#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// Seeded from a case id (FNV-1a), so a sampled run builds the same mutant as a full run.
    pub fn for_case(id: &str) -> Rng {
        let mut hash: u64 = 0xCBF2_9CE4_8422_2325;
        for b in id.bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01B3);
        }
        Rng { state: hash }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// An index below `n` (0 when `n` is 0).
    pub fn index(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// One element of a non-empty slice; `None` for an empty one.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            return None;
        }
        items.get(self.index(items.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_id_same_sequence() {
        let mut a = Rng::for_case("xbau/x/y/min/drop-1");
        let mut b = Rng::for_case("xbau/x/y/min/drop-1");
        let mut c = Rng::for_case("xbau/x/y/min/drop-2");
        let (x, y, z) = (a.next_u64(), b.next_u64(), c.next_u64());
        assert_eq!(x, y);
        assert_ne!(x, z);
        for _ in 0..1000 {
            assert!(a.index(7) < 7);
        }
        assert_eq!(a.index(0), 0);
        assert_eq!(a.pick::<u8>(&[]), None);
    }
}
