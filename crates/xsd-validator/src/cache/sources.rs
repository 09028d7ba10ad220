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
        /// When the file had settled before it was read: an unchanged stamp then shows an
        /// unchanged file without reading it.
        stamp: Option<Stamp>,
    },
}

/// What identifies one version of a file without reading it (Unix): device, inode and
/// status-change time. Unlike the modification time, the change time cannot be set by a
/// user (`touch -d`, `cp -p` and `rsync -t` set the former; a copy is a new inode), and
/// every write moves it on.
///
/// File systems store times at a granularity (a clock tick up to seconds), so a write in
/// the same tick as the recorded time would leave it unchanged. A stamp is therefore only
/// recorded for a file whose change time lay at least [`SETTLED_AFTER`] before it was
/// examined (`stat` before the read): any later write gets a later change time. Files
/// changed just before a compile, and all files on platforms without these fields, are
/// compared by content hash, as are files whose stamp differs but size and modification
/// time do not. (The clock of a network file system's server running more than
/// [`SETTLED_AFTER`] behind this machine's defeats the margin; this is the same assumption
/// as git's and make's.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Stamp {
    dev: u64,
    ino: u64,
    ctime_ns: i128,
}

/// How long a file must have been unchanged before it was read for its stamp to be trusted:
/// well above the coarsest timestamp granularity of common file systems (2 s: FAT).
const SETTLED_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

impl Stamp {
    #[cfg(unix)]
    fn of(m: &std::fs::Metadata) -> Option<Stamp> {
        use std::os::unix::fs::MetadataExt;
        Some(Stamp {
            dev: m.dev(),
            ino: m.ino(),
            ctime_ns: i128::from(m.ctime()) * 1_000_000_000 + i128::from(m.ctime_nsec()),
        })
    }

    #[cfg(not(unix))]
    fn of(_: &std::fs::Metadata) -> Option<Stamp> {
        None
    }

    /// The stamp of `m` if its change time lies [`SETTLED_AFTER`] before `now` (taken
    /// before `m` was).
    fn settled(m: &std::fs::Metadata, now: std::time::SystemTime) -> Option<Stamp> {
        let stamp = Stamp::of(m)?;
        let now_ns = now.duration_since(UNIX_EPOCH).ok()?.as_nanos();
        let settled_ns = now_ns.checked_sub(SETTLED_AFTER.as_nanos())?;
        (stamp.ctime_ns < i128::try_from(settled_ns).ok()?).then_some(stamp)
    }
}

impl Dependency {
    /// A file whose content has hash `hash`; `stat` is its metadata, taken at `now` before
    /// the content was read (a write in between moves its times on: the entry is stale),
    /// or `None` if there is none (the entry will be stale).
    pub(crate) fn read(
        path: &Path,
        stat: Option<&std::fs::Metadata>,
        now: std::time::SystemTime,
        hash: u64,
    ) -> Dependency {
        let state = match stat {
            Some(m) => FileState::Present {
                len: m.len(),
                mtime_ns: mtime_ns(m),
                hash,
                stamp: Stamp::settled(m, now),
            },
            None => FileState::Present {
                len: u64::MAX,
                mtime_ns: 0,
                hash,
                stamp: None,
            },
        };
        Dependency {
            path: path.to_path_buf(),
            state,
        }
    }

    /// A file read earlier with content hash `hash` (a catalog); size and time from a
    /// `stat` now, no stamp: the content decides (if the file changed in between, the hash
    /// no longer matches and the entry is stale).
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
                stamp: None,
            },
        }
    }

    /// Why the file no longer is as recorded, or `None` if it is. `buffer` is scratch space
    /// for hashing, reused across files so that reading them costs no fresh pages, and
    /// allocated on first need (most files are checked by their stamp).
    pub(crate) fn change(&self, buffer: &mut Vec<u8>) -> Option<String> {
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
                    stamp,
                },
                Ok(m),
            ) => {
                if m.len() != *len {
                    return Some(format!("{path} changed size"));
                }
                if mtime_ns(&m) != *recorded_mtime {
                    return Some(format!("{path} was modified"));
                }
                if stamp.is_some() && *stamp == Stamp::of(&m) {
                    return None;
                }
                // Size and time can stay the same across an edit (coarse clocks, copies that
                // keep times), so the content decides.
                if buffer.is_empty() {
                    buffer.resize(HASH_BUFFER_LEN, 0);
                }
                match hash_file(&self.path, buffer) {
                    Ok(current) if current == *hash => None,
                    Ok(_) => Some(format!("{path} has other content")),
                    Err(e) => Some(format!("{path}: {e}")),
                }
            }
        }
    }
}

/// Source files are hashed in pieces of this size.
const HASH_BUFFER_LEN: usize = 64 << 10;

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
        // The stat before the read, for the stamp (see `Stamp`); of the path as asked for:
        // a symbolic link that points elsewhere later is a change.
        let now = std::time::SystemTime::now();
        let stat = std::fs::metadata(path).ok();
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
        self.record(Dependency::read(path, stat.as_ref(), now, hash));
        FileStore::decode(canonical, bytes)
    }
}
