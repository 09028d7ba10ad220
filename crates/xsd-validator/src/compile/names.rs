//! Interned expanded names, so that content-model steps and attribute lookups compare
//! integers instead of strings.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::schema::{NamespaceId, NamespaceTable};

/// A fast multiplicative hasher (the Fx hash of rustc) for the set's lookup tables. Hash
/// flooding is no concern: the tables are built from the schema, and instance names only
/// look up, so the cost of a lookup is bounded by the schema's own bucket sizes.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        // Fixed-size reads only: a variable-length copy of the tail would be a memcpy call,
        // which costs more than hashing a short name (instance names are looked up per
        // element and attribute).
        let mut rest = bytes;
        while let Some((word, tail)) = rest.split_first_chunk::<8>() {
            self.add(u64::from_le_bytes(*word));
            rest = tail;
        }
        if let Some((word, tail)) = rest.split_first_chunk::<4>() {
            self.add(u64::from(u32::from_le_bytes(*word)));
            rest = tail;
        }
        if let Some((word, tail)) = rest.split_first_chunk::<2>() {
            self.add(u64::from(u16::from_le_bytes(*word)));
            rest = tail;
        }
        if let Some(&byte) = rest.first() {
            self.add(u64::from(byte));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// `HashMap` with [`FxHasher`].
pub(crate) type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// An interned expanded name (namespace plus local part) of some declaration in the set.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct NameId(pub(crate) u32);

/// A namespace that no component of the schema set uses: matches only "any" and "not"
/// wildcards.
pub(crate) const FOREIGN_NAMESPACE: NamespaceId = NamespaceId(u32::MAX);

/// The names of all declarations (and named types).
///
/// The local parts are stored one after another in one string, and the lookup index is an
/// open-addressing table of name ids: reading a set from the cache then costs a few
/// allocations in all instead of two per name (a cache entry stores `text` and `names`; the
/// index is rebuilt, one hash per name).
#[derive(Debug, Default)]
pub(crate) struct NameTable {
    /// The local parts, one after another.
    text: String,
    /// Per name: its namespace and where its local part ends in `text` (it starts where the
    /// previous one ends).
    names: Vec<(NamespaceId, u32)>,
    /// Slots of name id + 1 (0: empty), placed by [`slot_hash`] and linear probing; a power
    /// of two long and at most half full, so that every probe sequence meets an empty slot.
    index: Vec<u32>,
}

/// Where the probe for a name starts, before masking to the table's length.
fn slot_hash(namespace: NamespaceId, local: &str) -> usize {
    let mut h = FxHasher::default();
    h.write(local.as_bytes());
    h.write_u32(namespace.0);
    // The multiply leaves the low bits weakest; the table uses them.
    (h.finish() >> 32) as usize ^ h.finish() as usize
}

/// Serialised as the text and the name list; the index is rebuilt.
impl serde::Serialize for NameTable {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&(&self.text, &self.names), s)
    }
}

impl<'de> serde::Deserialize<'de> for NameTable {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let (text, names) =
            <(String, Vec<(NamespaceId, u32)>) as serde::Deserialize>::deserialize(d)?;
        // Each local part must be a piece of `text` (ends ascending, on char boundaries),
        // so that `local` never fails or panics, and no name may occur twice.
        let mut start = 0;
        for &(_, end) in &names {
            if end < start || !text.is_char_boundary(end as usize) {
                return Err(D::Error::custom("name table: bad name boundary"));
            }
            start = end;
        }
        if start as usize != text.len() || u32::try_from(names.len()).is_err() {
            return Err(D::Error::custom("name table: text and names disagree"));
        }
        let mut table = NameTable {
            text,
            names,
            index: Vec::new(),
        };
        if !table.rebuild_index(table.names.len()) {
            return Err(D::Error::custom("name table: a name occurs twice"));
        }
        Ok(table)
    }
}

impl NameTable {
    pub(crate) fn intern(&mut self, namespace: NamespaceId, local: &str) -> NameId {
        if let Some(id) = self.get(namespace, local) {
            return id;
        }
        let id = NameId(u32::try_from(self.names.len()).unwrap_or(u32::MAX));
        self.text.push_str(local);
        let end = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        self.names.push((namespace, end));
        // Not yet present (looked up above), so neither insert can meet it.
        if self.names.len() * 2 > self.index.len() {
            self.rebuild_index(self.names.len() * 2);
        } else {
            self.insert(id);
        }
        id
    }

    /// A fresh index with room for `capacity` names; false if a name occurs twice.
    fn rebuild_index(&mut self, capacity: usize) -> bool {
        let len = (capacity.max(4) * 2).next_power_of_two();
        self.index = vec![0; len];
        (0..self.names.len()).all(|i| self.insert(NameId(i as u32)))
    }

    /// Puts `id` into the first empty slot of its probe sequence (the index is at most half
    /// full, so there is one); false if an equal name is met on the way.
    fn insert(&mut self, id: NameId) -> bool {
        let (namespace, local) = (self.namespace(id), self.local(id));
        let mask = self.index.len() - 1;
        let mut slot = slot_hash(namespace, local) & mask;
        loop {
            match self.index.get(slot).copied() {
                Some(0) | None => break,
                Some(entry) => {
                    let other = NameId(entry - 1);
                    if self.namespace(other) == namespace && self.local(other) == local {
                        return false;
                    }
                }
            }
            slot = (slot + 1) & mask;
        }
        if let Some(s) = self.index.get_mut(slot) {
            *s = id.0.saturating_add(1);
        }
        true
    }

    pub(crate) fn get(&self, namespace: NamespaceId, local: &str) -> Option<NameId> {
        let mask = self.index.len().checked_sub(1)?;
        let mut slot = slot_hash(namespace, local) & mask;
        loop {
            let entry = *self.index.get(slot)?;
            let id = NameId(entry.checked_sub(1)?);
            if self.namespace(id) == namespace && self.local(id) == local {
                return Some(id);
            }
            slot = (slot + 1) & mask;
        }
    }

    /// Number of interned names (ids are `0..len`).
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    pub(crate) fn namespace(&self, id: NameId) -> NamespaceId {
        self.names
            .get(id.0 as usize)
            .map_or(NamespaceId::ABSENT, |(ns, _)| *ns)
    }

    pub(crate) fn local(&self, id: NameId) -> &str {
        let i = id.0 as usize;
        let start = match i.checked_sub(1) {
            Some(previous) => self.names.get(previous).map_or(0, |&(_, end)| end),
            None => 0,
        };
        let end = self.names.get(i).map_or(start, |&(_, end)| end);
        self.text.get(start as usize..end as usize).unwrap_or("")
    }

    /// `local` or `{uri}local`, for messages.
    pub(crate) fn display(&self, id: NameId, namespaces: &NamespaceTable) -> String {
        match namespaces.uri(self.namespace(id)) {
            Some(uri) => format!("{{{uri}}}{}", self.local(id)),
            None => self.local(id).to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_idempotent_and_namespace_sensitive() {
        let mut t = NameTable::default();
        let a = t.intern(NamespaceId::ABSENT, "a");
        let b = t.intern(NamespaceId(1), "a");
        assert_ne!(a, b);
        assert_eq!(t.intern(NamespaceId::ABSENT, "a"), a);
        assert_eq!(t.get(NamespaceId(1), "a"), Some(b));
        assert_eq!(t.get(NamespaceId(2), "a"), None);
        assert_eq!(t.local(b), "a");
        assert_eq!(t.namespace(b), NamespaceId(1));
    }

    #[test]
    fn lookups_survive_growth_and_a_round_trip() {
        let mut t = NameTable::default();
        let ids: Vec<NameId> = (0..1000)
            .map(|i| t.intern(NamespaceId(i % 3), &format!("n{}", i / 3)))
            .collect();
        // An empty local part is a name too (its text is empty).
        let empty = t.intern(NamespaceId(5), "");
        let bytes = postcard::to_allocvec(&t).unwrap();
        let read: NameTable = postcard::from_bytes(&bytes).unwrap();
        for table in [&t, &read] {
            for (i, &id) in ids.iter().enumerate() {
                let (ns, local) = (NamespaceId(i as u32 % 3), format!("n{}", i / 3));
                assert_eq!(table.get(ns, &local), Some(id));
                assert_eq!((table.namespace(id), table.local(id)), (ns, &*local));
            }
            assert_eq!(table.get(NamespaceId(5), ""), Some(empty));
            assert_eq!(table.get(NamespaceId(4), "n1"), None);
            assert_eq!(table.get(NamespaceId(0), "n1x"), None);
        }
    }

    #[test]
    fn a_damaged_name_list_is_refused() {
        let decode = |text: &str, names: &[(NamespaceId, u32)]| {
            let bytes = postcard::to_allocvec(&(text, names)).unwrap();
            postcard::from_bytes::<NameTable>(&bytes).map(|t| t.len())
        };
        let ns = NamespaceId::ABSENT;
        assert_eq!(decode("ab", &[(ns, 1), (ns, 2)]), Ok(2));
        // Ends beyond the text, descending, inside a character, short of the text's end.
        assert!(decode("ab", &[(ns, 1), (ns, 3)]).is_err());
        assert!(decode("ab", &[(ns, 2), (ns, 1)]).is_err());
        assert!(decode("\u{e4}", &[(ns, 1), (ns, 2)]).is_err());
        assert!(decode("ab", &[(ns, 1)]).is_err());
        // The same name twice.
        assert!(decode("aa", &[(ns, 1), (ns, 2)]).is_err());
        assert_eq!(decode("aa", &[(ns, 1), (NamespaceId(1), 2)]), Ok(2));
    }
}
