//! The cache: content-addressed objects, the SQLite index of executions, the
//! cache key, locks and the file-hash snapshot.
//!
//! Layout under the cache directory (default `./cache`):
//!
//! | path | what |
//! |---|---|
//! | `objects/ab/cdef…` | file contents and output manifests, named by blake3, read-only |
//! | `index.sqlite` | runs, executions, artifacts, verifications, file-hash snapshot (WAL) |
//! | `locks/<key>.lock` | one per cache key; held (flock) while that key executes |
//! | `tmp/<key>.<pid>/` | an execution in progress: its inputs, outputs and scratch |
//! | `quarantine/` | objects `verify` found damaged, moved aside |

pub mod damage;
pub mod filehash;
pub mod index;
pub mod key;
pub mod lock;
pub mod manifest;
pub mod store;

use std::path::{Path, PathBuf};

use anyhow::Context;

/// An open cache directory.
pub struct Cache {
    pub root: PathBuf,
    pub store: store::Store,
}

impl Cache {
    /// Open (creating if needed) the cache at `root`.
    pub fn open(root: &Path) -> anyhow::Result<Cache> {
        for sub in ["objects", "locks", "tmp"] {
            std::fs::create_dir_all(root.join(sub)).with_context(|| {
                format!(
                    "cannot create the cache directory {}",
                    root.join(sub).display()
                )
            })?;
        }
        let root = root.canonicalize()?;
        Ok(Cache {
            store: store::Store::new(root.join("objects")),
            root,
        })
    }

    /// A new connection to the index (one per thread).
    pub fn index(&self) -> anyhow::Result<index::Index> {
        // Switching a new database to WAL answers SQLITE_BUSY at once (the
        // busy timeout does not apply), so connections are opened one at a time.
        let guard = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.root.join("locks").join("index-open.lock"))?;
        guard.lock().context("locking the index for opening")?;
        index::Index::open(&self.root.join("index.sqlite"))
    }

    pub fn lock_path(&self, key: &str) -> PathBuf {
        self.root.join("locks").join(format!("{key}.lock"))
    }

    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Held (shared) by every run for its whole duration.
    pub fn shared_guard(&self) -> anyhow::Result<std::fs::File> {
        let f = self.guard_file()?;
        f.lock_shared().context("locking the cache for a run")?;
        Ok(f)
    }

    /// Held (exclusive) by `gc`: it waits for running runs to finish.
    pub fn exclusive_guard(&self) -> anyhow::Result<std::fs::File> {
        let f = self.guard_file()?;
        if f.try_lock().is_err() {
            tracing::warn!("waiting for running `seqlab run` processes on this cache to finish");
            f.lock().context("locking the cache for gc")?;
        }
        Ok(f)
    }

    fn guard_file(&self) -> anyhow::Result<std::fs::File> {
        Ok(std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.root.join("locks").join("cache.lock"))?)
    }
}
