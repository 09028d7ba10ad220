//! A persistent cache of compiled schema sets, so that a short-lived process (the CLI) does
//! not parse and compile the same schema documents on every start.
//!
//! An entry is one file per schema set, named by a hash of the canonical entry paths and the
//! catalog path. It holds:
//! - a header: magic, format version, lengths and the xxh3 hash of everything after the
//!   header (a truncated, bit-flipped or partly written file fails here);
//! - the build it was written by (crate version and a fingerprint of the crate's sources,
//!   [`BUILD`]: a file from another build is foreign, since the serialised layout follows the
//!   code), the key, and every file the set depends on (`sources::Dependency`: schema
//!   documents and catalog files with size, modification time and content hash, and
//!   locations that were tried and did not exist). A file whose device, inode and change
//!   time were recorded (`sources::Stamp`: only when it had not changed for a few seconds
//!   before it was read) and are unchanged is not read again; others are hashed;
//! - the compiled set (postcard; shared simple types, patterns and enumerations written once,
//!   see `shared`; regexes and lookup tables rebuilt on reading, regexes only on first use).
//!   After decoding, `check` verifies every index the validator follows (a set that decodes
//!   but breaks the compiler's invariants is damaged, not used).
//!
//! **Architecture invariant:** an entry is used only if every check passes; otherwise the set
//! is compiled from the sources, as without a cache, and the entry rewritten. A cache entry
//! can cost time but never change a verdict. Writes go to a temporary file renamed into
//! place, so readers see a whole entry or none; a failed write is reported, not an error.
//! After a write, entries not written for 30 days are removed (`prune`).
//!
//! The component model ([`SchemaSet::model`]) is not stored: validation does not use it, and
//! a set read from the cache loads it from the sources when a tool asks for it.

mod check;
pub(crate) mod shared;
mod sources;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::compile::{
    names::FxHashMap, AttributeIndex, AttributeRule, ElementIndex, ElementRule, ModelSource,
    NameId, TypeIndex, TypeRule,
};
use crate::identity::IdentityConstraintSet;
use crate::schema::{self, Catalog, NamespaceId, NamespaceTable, SchemaError};
use crate::SchemaSet;

use sources::{Dependency, RecordingStore};

const MAGIC: &[u8; 8] = b"XSDCSET\0";
/// The layout of the header; the body's layout is covered by [`BUILD`].
const FORMAT_VERSION: u32 = 1;
/// magic, format version, header length (u32), body length (u64), xxh3 of the rest (u64).
const PREAMBLE_LEN: usize = 8 + 4 + 4 + 8 + 8;
/// Entries not written for this long are removed when another entry is written (a set in
/// daily use is then compiled once more; sets of deleted or moved schemas do not pile up).
const MAX_ENTRY_AGE: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);
/// Temporary files of writers that died are removed after this long.
const MAX_TEMPORARY_AGE: std::time::Duration = std::time::Duration::from_secs(3600);
/// The file name extension of entries.
const EXTENSION: &str = "xsdset";

/// The build that writes and reads entries: crate version and source fingerprint (see
/// build.rs).
pub const BUILD: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "+",
    env!("XSD_VALIDATOR_SOURCE_HASH")
);

/// Where the cache lives.
#[derive(Debug, Clone)]
pub struct SchemaCache {
    dir: PathBuf,
}

/// What [`SchemaCache::compile`] did.
#[derive(Debug)]
#[non_exhaustive]
pub enum CacheOutcome {
    /// The set was read from the cache.
    Hit,
    /// The set was compiled; `written` says whether the new entry could be stored.
    Compiled {
        why: Miss,
        written: Result<(), CacheError>,
    },
    /// The entry paths could not be made canonical (a missing entry file): compiled without
    /// the cache, which reports the problem.
    Bypassed,
}

/// Why no cache entry was used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Miss {
    /// No entry for this set.
    Absent,
    /// Written by another build of the validator.
    Foreign,
    /// A source file changed (the message names it and how).
    Stale(String),
    /// Not a whole, readable entry (truncated, damaged, unreadable).
    Corrupt(String),
}

impl fmt::Display for Miss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Miss::Absent => f.write_str("no cache entry"),
            Miss::Foreign => f.write_str("cache entry written by another build"),
            Miss::Stale(why) => write!(f, "cache entry is stale: {why}"),
            Miss::Corrupt(why) => write!(f, "cache entry is damaged: {why}"),
        }
    }
}

/// A cache entry that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write schema cache entry {path}: {source}")]
#[non_exhaustive]
pub struct CacheError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// What identifies a set: the canonical entry paths and catalog path, as given to compile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Key {
    entries: Vec<PathBuf>,
    catalog: Option<PathBuf>,
}

#[derive(Serialize, Deserialize)]
struct Header {
    build: String,
    key: Key,
    dependencies: Vec<Dependency>,
}

/// The serialised fields of a [`SchemaSet`] (all but the model).
#[derive(Serialize)]
struct SetRef<'a> {
    namespaces: &'a NamespaceTable,
    names: &'a crate::compile::names::NameTable,
    types: &'a [TypeRule],
    elements: &'a [ElementRule],
    attributes: &'a [AttributeRule],
    global_elements: &'a FxHashMap<NameId, ElementIndex>,
    global_attributes: &'a FxHashMap<NameId, AttributeIndex>,
    global_types: &'a FxHashMap<NameId, TypeIndex>,
    xsi_namespace: NamespaceId,
    identity: &'a IdentityConstraintSet,
}

#[derive(Deserialize)]
struct SetOwned {
    namespaces: NamespaceTable,
    names: crate::compile::names::NameTable,
    types: Vec<TypeRule>,
    elements: Vec<ElementRule>,
    attributes: Vec<AttributeRule>,
    global_elements: FxHashMap<NameId, ElementIndex>,
    global_attributes: FxHashMap<NameId, AttributeIndex>,
    global_types: FxHashMap<NameId, TypeIndex>,
    xsi_namespace: NamespaceId,
    identity: IdentityConstraintSet,
}

impl SchemaCache {
    /// A cache in `dir` (created when the first entry is written).
    pub fn new(dir: impl Into<PathBuf>) -> SchemaCache {
        SchemaCache { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The set made of `entries` (and `catalog`), from the cache if a valid entry exists,
    /// else compiled as by [`SchemaSet::compile`] and stored. Compile errors are returned as
    /// without a cache and nothing is stored.
    pub fn compile(
        &self,
        entries: &[PathBuf],
        catalog: Option<&Path>,
    ) -> Result<(SchemaSet, CacheOutcome), Vec<SchemaError>> {
        let Some(key) = canonical_key(entries, catalog) else {
            return SchemaSet::compile(entries, catalog).map(|s| (s, CacheOutcome::Bypassed));
        };
        let path = self.entry_path(&key);
        let why = match std::fs::read(&path) {
            Ok(bytes) => match read_entry(&bytes, &key) {
                Ok(set) => return Ok((set, CacheOutcome::Hit)),
                Err(miss) => miss,
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Miss::Absent,
            Err(e) => Miss::Corrupt(e.to_string()),
        };
        let (set, dependencies) = compile_recording(&key)?;
        let written = write_entry(&path, &key, dependencies, &set);
        if written.is_ok() {
            prune(&self.dir, std::time::SystemTime::now());
        }
        Ok((set, CacheOutcome::Compiled { why, written }))
    }

    /// The entry file of a set.
    fn entry_path(&self, key: &Key) -> PathBuf {
        let mut text = String::new();
        for e in &key.entries {
            text.push_str(&e.to_string_lossy());
            text.push('\0');
        }
        text.push('\u{1}');
        if let Some(c) = &key.catalog {
            text.push_str(&c.to_string_lossy());
        }
        let hash = xxhash_rust::xxh3::xxh3_128(text.as_bytes());
        self.dir.join(format!("{hash:032x}.{EXTENSION}"))
    }
}

impl SchemaSet {
    /// [`SchemaSet::compile`] through the compiled-schema cache in `cache` (see
    /// [`SchemaCache::compile`], which also says whether the cache was used).
    pub fn compile_cached(
        entries: &[PathBuf],
        catalog: Option<&Path>,
        cache: &SchemaCache,
    ) -> Result<SchemaSet, Vec<SchemaError>> {
        cache.compile(entries, catalog).map(|(set, _)| set)
    }
}

fn canonical_key(entries: &[PathBuf], catalog: Option<&Path>) -> Option<Key> {
    let entries = entries
        .iter()
        .map(std::fs::canonicalize)
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    let catalog = match catalog {
        Some(c) => Some(std::fs::canonicalize(c).ok()?),
        None => None,
    };
    Some(Key { entries, catalog })
}

/// Loads and compiles the set of `key`, recording every file read or tried.
fn compile_recording(key: &Key) -> Result<(SchemaSet, Vec<Dependency>), Vec<SchemaError>> {
    let catalog = key
        .catalog
        .as_deref()
        .map(Catalog::load)
        .transpose()
        .map_err(|e| vec![e])?;
    let store = RecordingStore::new();
    let model = schema::run(&store, &key.entries, catalog.as_ref())?;
    let set = SchemaSet::from_model(model)?;
    let mut dependencies = store.into_dependencies();
    if let Some(catalog) = &catalog {
        dependencies.extend(
            catalog
                .sources()
                .iter()
                .map(|(path, hash)| Dependency::present(path, *hash)),
        );
    }
    Ok((set, dependencies))
}

fn read_entry(bytes: &[u8], key: &Key) -> Result<SchemaSet, Miss> {
    let corrupt = |what: &str| Miss::Corrupt(what.to_owned());
    let (preamble, rest) = bytes
        .split_first_chunk::<PREAMBLE_LEN>()
        .ok_or_else(|| corrupt("shorter than its header"))?;
    let field = |at: usize, len: usize| preamble.get(at..at + len).unwrap_or(&[]);
    if field(0, 8) != MAGIC {
        return Err(corrupt("not a schema cache entry"));
    }
    let u32_at = |at| field(at, 4).try_into().map(u32::from_le_bytes).unwrap_or(0);
    let u64_at = |at| field(at, 8).try_into().map(u64::from_le_bytes).unwrap_or(0);
    if u32_at(8) != FORMAT_VERSION {
        return Err(Miss::Foreign);
    }
    let header_len = u32_at(12) as usize;
    let body_len = usize::try_from(u64_at(16)).unwrap_or(usize::MAX);
    if header_len.checked_add(body_len) != Some(rest.len()) {
        return Err(corrupt("truncated or extended"));
    }
    if xxhash_rust::xxh3::xxh3_64(rest) != u64_at(24) {
        return Err(corrupt("checksum mismatch"));
    }
    let (header, body) = rest.split_at(header_len);
    let header: Header = decode_all(header).map_err(|e| Miss::Corrupt(format!("header: {e}")))?;
    if header.build != BUILD {
        return Err(Miss::Foreign);
    }
    if header.key != *key {
        // Two keys with one file name: a hash collision, treated like a missing entry.
        return Err(Miss::Absent);
    }
    let mut buffer = Vec::new();
    for dependency in &header.dependencies {
        if let Some(change) = dependency.change(&mut buffer) {
            return Err(Miss::Stale(change));
        }
    }
    let set: SetOwned = shared::scoped(|| decode_all(body))
        .map_err(|e| Miss::Corrupt(format!("compiled set: {e}")))?;
    let set = SchemaSet {
        model: ModelSource::Sources {
            entries: key.entries.clone(),
            catalog: key.catalog.clone(),
            model: OnceLock::new(),
        },
        namespaces: set.namespaces,
        names: set.names,
        types: set.types,
        elements: set.elements,
        attributes: set.attributes,
        global_elements: set.global_elements,
        global_attributes: set.global_attributes,
        global_types: set.global_types,
        xsi_namespace: set.xsi_namespace,
        identity: set.identity,
    };
    check::check(&set).map_err(|why| Miss::Corrupt(format!("compiled set: {why}")))?;
    Ok(set)
}

/// Decodes `bytes` as one `T`, with nothing left over.
fn decode_all<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, postcard::Error> {
    match postcard::take_from_bytes(bytes)? {
        (value, []) => Ok(value),
        _ => Err(postcard::Error::DeserializeBadEncoding),
    }
}

/// The bytes of an entry.
fn encode_entry(
    key: &Key,
    dependencies: Vec<Dependency>,
    set: &SchemaSet,
) -> Result<Vec<u8>, postcard::Error> {
    let header = postcard::to_allocvec(&Header {
        build: BUILD.to_owned(),
        key: key.clone(),
        dependencies,
    })?;
    let body = shared::scoped(|| {
        postcard::to_allocvec(&SetRef {
            namespaces: &set.namespaces,
            names: &set.names,
            types: &set.types,
            elements: &set.elements,
            attributes: &set.attributes,
            global_elements: &set.global_elements,
            global_attributes: &set.global_attributes,
            global_types: &set.global_types,
            xsi_namespace: set.xsi_namespace,
            identity: &set.identity,
        })
    })?;
    seal(&header, &body)
}

/// An entry made of an encoded header and body: the preamble (magic, format version, lengths,
/// xxh3 checksum of both) followed by them.
fn seal(header: &[u8], body: &[u8]) -> Result<Vec<u8>, postcard::Error> {
    let mut bytes = Vec::with_capacity(PREAMBLE_LEN + header.len() + body.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    let header_len =
        u32::try_from(header.len()).map_err(|_| postcard::Error::SerializeBufferFull)?;
    bytes.extend_from_slice(&header_len.to_le_bytes());
    bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(header);
    hasher.update(body);
    bytes.extend_from_slice(&hasher.digest().to_le_bytes());
    bytes.extend_from_slice(header);
    bytes.extend_from_slice(body);
    Ok(bytes)
}

/// Writes an entry atomically: a temporary file in the same directory, renamed into place.
fn write_entry(
    path: &Path,
    key: &Key,
    dependencies: Vec<Dependency>,
    set: &SchemaSet,
) -> Result<(), CacheError> {
    let fail = |source: std::io::Error| CacheError {
        path: path.to_path_buf(),
        source,
    };
    let bytes = encode_entry(key, dependencies, set)
        .map_err(|e| fail(std::io::Error::other(e.to_string())))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let file_name = path
        .file_name()
        .map_or_else(Default::default, |n| n.to_string_lossy());
    let temporary = dir.join(format!(".{file_name}.{}.{nanos}.tmp", std::process::id()));
    let result =
        std::fs::write(&temporary, &bytes).and_then(|()| std::fs::rename(&temporary, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result.map_err(fail)
}

/// Removes old entries and abandoned temporary files from `dir`; runs only after a compile,
/// never on the fast path. Failures are ignored: another process may be pruning too.
fn prune(dir: &Path, now: std::time::SystemTime) {
    let Ok(files) = std::fs::read_dir(dir) else {
        return;
    };
    for file in files.flatten() {
        let name = file.file_name();
        let name = name.to_string_lossy();
        let max_age = if name.ends_with(&format!(".{EXTENSION}")) {
            MAX_ENTRY_AGE
        } else if name.starts_with('.') && name.ends_with(".tmp") {
            MAX_TEMPORARY_AGE
        } else {
            continue;
        };
        let age = file
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|modified| now.duration_since(modified).ok());
        if age.is_some_and(|age| age > max_age) {
            let _ = std::fs::remove_file(file.path());
        }
    }
}

#[cfg(test)]
mod tests;
