//! The files a compiled set depends on, recorded while it is loaded and checked before a
//! cache entry is used.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use crate::schema::loader::{DocumentStore, FileStore};

/// One file the set was built from, or a location that was tried and did not exist (an
/// unresolved include or import, a local `xml.xsd` before the built-in one is taken): a file
/// appearing there later changes the set too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Dependency {
    pub path: PathBuf,
    pub state: FileState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum FileState {
    Absent,
    Present {
        len: u64,
        /// Modification time in nanoseconds since the epoch (0 when unknown).
        mtime_ns: u128,
        /// xxh3 of the bytes that were compiled.
        hash: u64,
    },
}

impl Dependency {
    /// A file read with content hash `hash`; size and time from a `stat` after the read (if
    /// the file changed in between, the hash no longer matches and the entry is stale).
    pub(crate) fn present(path: &Path, hash: u64) -> Dependency {
        let (len, mtime_ns) = match std::fs::metadata(path) {
            Ok(m) => (m.len(), mtime_ns(&m)),
            Err(_) => (u64::MAX, 0),
        };
        Dependency {
            path: path.to_path_buf(),
            state: FileState::Present {
                len,
                mtime_ns,
                hash,
            },
        }
    }

    /// Why the file no longer is as recorded, or `None` if it is. `buffer` is scratch space
    /// for hashing, reused across files so that reading them costs no fresh pages.
    pub(crate) fn change(&self, buffer: &mut [u8]) -> Option<String> {
        let path = self.path.display();
        match (&self.state, std::fs::metadata(&self.path)) {
            (FileState::Absent, Err(_)) => None,
            (FileState::Absent, Ok(_)) => Some(format!("{path} exists now")),
            (FileState::Present { .. }, Err(e)) => Some(format!("{path}: {e}")),
            (
                FileState::Present {
                    len,
                    mtime_ns: recorded_mtime,
                    hash,
                },
                Ok(m),
            ) => {
                if m.len() != *len {
                    return Some(format!("{path} changed size"));
                }
                if mtime_ns(&m) != *recorded_mtime {
                    return Some(format!("{path} was modified"));
                }
                // Size and time can stay the same across an edit (coarse clocks, copies that
                // keep times), so the content decides.
                match hash_file(&self.path, buffer) {
                    Ok(current) if current == *hash => None,
                    Ok(_) => Some(format!("{path} has other content")),
                    Err(e) => Some(format!("{path}: {e}")),
                }
            }
        }
    }
}

/// The xxh3 hash of a file's content, read in pieces of `buffer`'s size.
fn hash_file(path: &Path, buffer: &mut [u8]) -> std::io::Result<u64> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    loop {
        match file.read(buffer) {
            Ok(0) => return Ok(hasher.digest()),
            Ok(n) => hasher.update(buffer.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn mtime_ns(m: &std::fs::Metadata) -> u128 {
    m.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos())
}

/// Reads from the file system like [`FileStore`] and records every fetch.
pub(crate) struct RecordingStore {
    pub dependencies: Mutex<Vec<Dependency>>,
}

impl RecordingStore {
    pub(crate) fn new() -> RecordingStore {
        RecordingStore {
            dependencies: Mutex::new(Vec::new()),
        }
    }

    fn record(&self, dependency: Dependency) {
        if let Ok(mut list) = self.dependencies.lock() {
            list.push(dependency);
        }
    }

    pub(crate) fn into_dependencies(self) -> Vec<Dependency> {
        let mut list = self.dependencies.into_inner().unwrap_or_default();
        list.sort_by(|a, b| a.path.cmp(&b.path));
        list.dedup();
        list
    }
}

impl DocumentStore for RecordingStore {
    fn fetch(&self, path: &Path) -> Result<(PathBuf, String), String> {
        let canonical = match std::fs::canonicalize(path) {
            Ok(c) => c,
            Err(e) => {
                self.record(Dependency {
                    path: path.to_path_buf(),
                    state: FileState::Absent,
                });
                return Err(format!("cannot open: {e}"));
            }
        };
        let bytes = match std::fs::read(&canonical) {
            Ok(b) => b,
            // Exists but unreadable: compiling fails or goes on without it; recorded as
            // absent, a later readable file is then a change.
            Err(e) => {
                self.record(Dependency {
                    path: path.to_path_buf(),
                    state: FileState::Absent,
                });
                return Err(format!("cannot read: {e}"));
            }
        };
        let hash = xxhash_rust::xxh3::xxh3_64(&bytes);
        // The path as asked for: a symbolic link that points elsewhere later is a change.
        self.record(Dependency::present(path, hash));
        FileStore::decode(canonical, bytes)
    }
}
