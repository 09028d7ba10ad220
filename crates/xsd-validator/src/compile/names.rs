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

/// The names of all declarations, by local part first (the cheap, selective key).
#[derive(Debug, Default)]
pub(crate) struct NameTable {
    by_local: FxHashMap<Box<str>, Vec<(NamespaceId, NameId)>>,
    names: Vec<(NamespaceId, Box<str>)>,
}

/// Cached as the list of names; the lookup map is rebuilt.
impl serde::Serialize for NameTable {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&self.names, s)
    }
}

impl<'de> serde::Deserialize<'de> for NameTable {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let names = <Vec<(NamespaceId, Box<str>)> as serde::Deserialize>::deserialize(d)?;
        let mut by_local: FxHashMap<Box<str>, Vec<(NamespaceId, NameId)>> = FxHashMap::default();
        by_local.reserve(names.len());
        for (i, (namespace, local)) in names.iter().enumerate() {
            let id = NameId(u32::try_from(i).map_err(serde::de::Error::custom)?);
            by_local
                .entry(local.clone())
                .or_default()
                .push((*namespace, id));
        }
        Ok(NameTable { by_local, names })
    }
}

impl NameTable {
    pub(crate) fn intern(&mut self, namespace: NamespaceId, local: &str) -> NameId {
        if let Some(id) = self.get(namespace, local) {
            return id;
        }
        let id = NameId(u32::try_from(self.names.len()).unwrap_or(u32::MAX));
        self.names.push((namespace, local.into()));
        self.by_local
            .entry(local.into())
            .or_default()
            .push((namespace, id));
        id
    }

    pub(crate) fn get(&self, namespace: NamespaceId, local: &str) -> Option<NameId> {
        self.by_local
            .get(local)?
            .iter()
            .find(|(ns, _)| *ns == namespace)
            .map(|&(_, id)| id)
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
        self.names.get(id.0 as usize).map_or("", |(_, l)| l)
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
}
