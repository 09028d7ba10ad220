//! Serialising `Arc`-shared values once: a simple type's base chain, its patterns and its
//! enumeration are shared by every type derived from it. Writing each `Arc` by value would
//! copy them once per derived type and, worse, lose the sharing on reading: derivation checks
//! (`SimpleType::is_derived_from`, for xsi:type and union members) compare types by address.
//!
//! Within [`scoped`], the first occurrence of an `Arc` is written as its value and later ones
//! as a back reference (its position in post order, which the reader reproduces); built-in
//! simple types are written by name and read back as the process-wide instances.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use serde::de::{DeserializeOwned, Error as _};
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::datatypes::facet::Enumeration;
use crate::datatypes::pattern::Pattern;
use crate::datatypes::{Builtin, SimpleType};

/// The values seen so far of one shared type.
pub(crate) struct Table<T> {
    /// Writing: address of the `Arc`'s value -> position.
    written: HashMap<usize, u32>,
    /// Writing: [`Shareable::content_key`] -> position.
    written_content: HashMap<String, u32>,
    /// Writing: the position of the next new value.
    next: u32,
    /// Reading: the values in position order.
    read: Vec<Arc<T>>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table {
            written: HashMap::new(),
            written_content: HashMap::new(),
            next: 0,
            read: Vec::new(),
        }
    }
}

#[derive(Default)]
pub(crate) struct Tables {
    simple: Table<SimpleType>,
    pattern: Table<Pattern>,
    enumeration: Table<Enumeration>,
}

thread_local! {
    static TABLES: RefCell<Option<Tables>> = const { RefCell::new(None) };
}

/// Runs `f` (one serialisation or deserialisation of a whole set) with fresh tables.
pub(crate) fn scoped<R>(f: impl FnOnce() -> R) -> R {
    /// Removes the tables even if `f` unwinds.
    struct Reset(Option<Tables>);
    impl Drop for Reset {
        fn drop(&mut self) {
            let previous = self.0.take();
            TABLES.with(|t| *t.borrow_mut() = previous);
        }
    }
    let previous = TABLES.with(|t| t.borrow_mut().replace(Tables::default()));
    let _reset = Reset(previous);
    f()
}

/// A type whose `Arc`s are written once per scope.
pub(crate) trait Shareable: Serialize + DeserializeOwned + 'static {
    fn table(tables: &mut Tables) -> &mut Table<Self>;

    /// A key for a process-wide instance (built-in types), written instead of the value.
    fn static_key(&self) -> Option<u16> {
        None
    }

    fn from_static(_key: u16) -> Option<Arc<Self>> {
        None
    }

    /// For values that are interchangeable when equal and never compared by address: a key
    /// under which equal values are written once (and so shared when read).
    fn content_key(&self) -> Option<String> {
        None
    }
}

impl Shareable for SimpleType {
    fn table(tables: &mut Tables) -> &mut Table<Self> {
        &mut tables.simple
    }

    fn static_key(&self) -> Option<u16> {
        let builtin = self.static_builtin()?;
        Builtin::ALL
            .iter()
            .position(|&b| b == builtin)
            .and_then(|i| u16::try_from(i).ok())
    }

    fn from_static(key: u16) -> Option<Arc<Self>> {
        Builtin::ALL
            .get(usize::from(key))
            .map(|&b| SimpleType::builtin(b))
    }
}

impl Shareable for Pattern {
    fn table(tables: &mut Tables) -> &mut Table<Self> {
        &mut tables.pattern
    }

    /// A pattern is a function of its sources. Types restricted by the same pattern text
    /// (XÖV's UUID pattern, say) then share one regex, built once on first use.
    fn content_key(&self) -> Option<String> {
        // NUL cannot occur in XML text, so the joined key is unambiguous.
        Some(self.sources().join("\0"))
    }
}

impl Shareable for Enumeration {
    fn table(tables: &mut Tables) -> &mut Table<Self> {
        &mut tables.enumeration
    }
}

/// Variant order is the format: `EntryRef` (writing) and `Entry` (reading) must agree.
#[derive(Serialize)]
enum EntryRef<'a, T> {
    Static(u16),
    Back(u32),
    New(&'a T),
}

#[derive(Deserialize)]
enum Entry<T> {
    Static(u16),
    Back(u32),
    New(T),
}

fn with_tables<R>(f: impl FnOnce(&mut Tables) -> R) -> Option<R> {
    TABLES.with(|t| t.borrow_mut().as_mut().map(f))
}

pub(crate) fn serialize<T: Shareable, S: Serializer>(
    value: &Arc<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    if let Some(key) = value.static_key() {
        return EntryRef::<T>::Static(key).serialize(s);
    }
    let address = Arc::as_ptr(value) as usize;
    let content = value.content_key();
    let seen = with_tables(|t| {
        let table = T::table(t);
        table.written.get(&address).copied().or_else(|| {
            content
                .as_ref()
                .and_then(|key| table.written_content.get(key).copied())
        })
    })
    .ok_or_else(|| S::Error::custom("shared value written outside a cache scope"))?;
    if let Some(position) = seen {
        return EntryRef::<T>::Back(position).serialize(s);
    }
    // The value's own shared parts are numbered first (post order), as when reading.
    let ok = EntryRef::New(&**value).serialize(s)?;
    with_tables(|t| {
        let table = T::table(t);
        let position = table.next;
        table.next = position.saturating_add(1);
        table.written.insert(address, position);
        if let Some(key) = content {
            table.written_content.insert(key, position);
        }
    });
    Ok(ok)
}

pub(crate) fn deserialize<'de, T: Shareable, D: Deserializer<'de>>(
    d: D,
) -> Result<Arc<T>, D::Error> {
    match Entry::<T>::deserialize(d)? {
        Entry::Static(key) => {
            T::from_static(key).ok_or_else(|| D::Error::custom("unknown built-in value"))
        }
        Entry::Back(position) => with_tables(|t| T::table(t).read.get(position as usize).cloned())
            .flatten()
            .ok_or_else(|| D::Error::custom("back reference to an unread shared value")),
        Entry::New(value) => {
            let value = Arc::new(value);
            with_tables(|t| T::table(t).read.push(Arc::clone(&value)))
                .ok_or_else(|| D::Error::custom("shared value read outside a cache scope"))?;
            Ok(value)
        }
    }
}

struct ArcRef<'a, T>(&'a Arc<T>);

impl<T: Shareable> Serialize for ArcRef<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize(self.0, s)
    }
}

struct ArcOwned<T>(Arc<T>);

impl<'de, T: Shareable> Deserialize<'de> for ArcOwned<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize(d).map(ArcOwned)
    }
}

/// `#[serde(with = "crate::cache::shared::option")]` for `Option<Arc<T>>`.
pub(crate) mod option {
    use super::*;

    pub(crate) fn serialize<T: Shareable, S: Serializer>(
        value: &Option<Arc<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        value.as_ref().map(ArcRef).serialize(s)
    }

    pub(crate) fn deserialize<'de, T: Shareable, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Arc<T>>, D::Error> {
        Ok(Option::<ArcOwned<T>>::deserialize(d)?.map(|a| a.0))
    }
}

/// `#[serde(with = "crate::cache::shared::vec")]` for `Vec<Arc<T>>`.
pub(crate) mod vec {
    use super::*;

    pub(crate) fn serialize<T: Shareable, S: Serializer>(
        value: &[Arc<T>],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(value.iter().map(ArcRef))
    }

    pub(crate) fn deserialize<'de, T: Shareable, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<Arc<T>>, D::Error> {
        Ok(Vec::<ArcOwned<T>>::deserialize(d)?
            .into_iter()
            .map(|a| a.0)
            .collect())
    }
}
