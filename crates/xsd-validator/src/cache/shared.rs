//! Serialising `Arc`-shared values once: a simple type's base chain, its patterns and its
//! enumeration are shared by every type derived from it. Writing each `Arc` by value would
//! copy them once per derived type and, worse, lose the sharing on reading: derivation checks
//! (`SimpleType::is_derived_from`, for xsi:type and union members) compare types by address.
//!
//! Within [`scoped`], the first occurrence of an `Arc` is written as its value and later ones
//! as a back reference (its position in post order, which the reader reproduces); built-in
//! simple types are written by name and read back as the process-wide instances.
//!
//! A back reference can only name a value read before, so what is read is acyclic. But an
//! edited entry could still describe a simple type nested thousands of levels deep (value
//! checks recurse through union members and list items: a stack overflow) or a union whose
//! members, shared, expand to 2^60 checks (`union(U, U)` of `union(V, V)` ...: a loop in
//! effect). Each simple type read is therefore weighed from the weights of the types it
//! refers to, and reading fails beyond the limits of `datatypes::weight` (as compiling does).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use serde::de::{DeserializeOwned, Error as _};
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::compile::names::FxHashMap;
use crate::datatypes::facet::Enumeration;
use crate::datatypes::pattern::Pattern;
use crate::datatypes::weight::{simple_weight, Weight, MAX_SIMPLE_DEPTH};
use crate::datatypes::{Builtin, SimpleType, Value};

/// Deepest nesting of shared values written by value inside one another (a simple type
/// written inside the union that first mentions it, ...): reading recurses this deep, so
/// it is refused before the stack runs out. Above [`MAX_SIMPLE_DEPTH`], which also counts
/// patterns and enumerations inside facets.
const MAX_NESTING: u32 = MAX_SIMPLE_DEPTH + 8;

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
    /// Reading: address of each value read -> its [`Shareable::weigh`] result, when not
    /// [`Weight::LEAF`].
    weights: FxHashMap<usize, Weight>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table {
            written: HashMap::new(),
            written_content: HashMap::new(),
            next: 0,
            read: Vec::new(),
            weights: FxHashMap::default(),
        }
    }
}

#[derive(Default)]
pub(crate) struct Tables {
    /// Reading: how many shared values are being read inside one another.
    nesting: u32,
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

    /// For values that refer to others of their type: the weight of a value just read,
    /// given the weights of those it refers to (`of`; all read before it). `None` when it
    /// is beyond the limits.
    fn weigh(&self, of: &dyn Fn(&Arc<Self>) -> Weight) -> Option<Weight> {
        let _ = of;
        Some(Weight::LEAF)
    }

    /// Whether the values a value just read holds are in canonical form
    /// ([`super::check::canonical`]).
    fn check_values(&self) -> Result<(), String> {
        Ok(())
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

    fn weigh(&self, of: &dyn Fn(&Arc<Self>) -> Weight) -> Option<Weight> {
        Some(simple_weight(self, of)).filter(Weight::within_limits)
    }

    fn check_values(&self) -> Result<(), String> {
        let facets = self.facets();
        facets
            .min
            .iter()
            .chain(&facets.max)
            .try_for_each(|bound| super::check::canonical(&bound.value))
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

    fn check_values(&self) -> Result<(), String> {
        self.values.iter().try_for_each(super::check::canonical)
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
    /// Leaves one level of nesting, also on an early return.
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            with_tables(|t| t.nesting = t.nesting.saturating_sub(1));
        }
    }
    let nesting = with_tables(|t| {
        t.nesting = t.nesting.saturating_add(1);
        t.nesting
    })
    .ok_or_else(|| D::Error::custom("shared value read outside a cache scope"))?;
    let _leave = Leave;
    if nesting > MAX_NESTING {
        return Err(D::Error::custom("shared values nested too deeply"));
    }
    match Entry::<T>::deserialize(d)? {
        Entry::Static(key) => {
            T::from_static(key).ok_or_else(|| D::Error::custom("unknown built-in value"))
        }
        Entry::Back(position) => with_tables(|t| T::table(t).read.get(position as usize).cloned())
            .flatten()
            .ok_or_else(|| D::Error::custom("back reference to an unread shared value")),
        Entry::New(value) => {
            value.check_values().map_err(D::Error::custom)?;
            let value = Arc::new(value);
            let weighed = with_tables(|t| {
                let table = T::table(t);
                let weights = &table.weights;
                let weight = value.weigh(&|v| {
                    let address = Arc::as_ptr(v) as usize;
                    weights.get(&address).copied().unwrap_or(Weight::LEAF)
                })?;
                if weight != Weight::LEAF {
                    table.weights.insert(Arc::as_ptr(&value) as usize, weight);
                }
                table.read.push(Arc::clone(&value));
                Some(())
            })
            .ok_or_else(|| D::Error::custom("shared value read outside a cache scope"))?;
            weighed.ok_or_else(|| {
                D::Error::custom("shared value nested too deeply or expanding to too many checks")
            })?;
            Ok(value)
        }
    }
}

thread_local! {
    /// Reading the items of a list value.
    static IN_LIST: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// `#[serde(deserialize_with = "crate::cache::shared::list_items")]` for the items of a
/// list [`Value`]. A list of lists is not in any XSD value space, and refusing one before
/// reading it bounds the recursion: an edited entry could nest lists about as deep as it is
/// long, and reading, comparing or dropping such a value would overflow the stack.
pub(crate) fn list_items<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Value>, D::Error> {
    /// Clears the flag when the outer list is read, also on an error.
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            IN_LIST.with(|f| f.set(false));
        }
    }
    if IN_LIST.with(|f| f.replace(true)) {
        return Err(D::Error::custom("a list value inside a list value"));
    }
    let _leave = Leave;
    Vec::<Value>::deserialize(d)
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
