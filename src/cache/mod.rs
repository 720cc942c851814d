//! The cache: content-addressed objects, the SQLite index of executions, the
//! cache key, locks and the file-hash snapshot.
//!
//! Layout under the cache directory (default `./cache`):
//!
//! | path | what |
//! |---|---|
//! | `objects/ab/cdef…` | file contents and output manifests, named by blake3, read-only |
//! | `results/ab/<key>.json` | one immutable result record per successful key (see [`record`]) |
//! | `index.sqlite` | runs, executions, artifacts, verifications, file-hash snapshot (WAL); a view rebuilt from `results/` when lost or damaged; may live elsewhere (`--index`) |
//! | `locks/<key>.lock` | one per cache key; held (flock) while that key executes |
//! | `leases/<key>.lease` | the same, across nodes (see [`lease`]) |
//! | `jobs/` | job files of instances handed to `seqlab worker` processes, Slurm logs |
//! | `tmp/<key>.<pid>/` | an execution in progress: its inputs, outputs and scratch |
//! | `quarantine/` | objects `verify` found damaged, moved aside |

pub mod damage;
pub mod filehash;
pub mod heal;
pub mod index;
pub mod key;
pub mod lease;
pub mod lock;
pub mod manifest;
pub mod record;
pub mod store;

use std::path::{Path, PathBuf};

use anyhow::Context;

/// An open cache directory.
pub struct Cache {
    pub root: PathBuf,
    pub store: store::Store,
    pub records: record::Records,
    /// The index file: `<root>/index.sqlite` unless placed elsewhere (SQLite's
    /// WAL needs a local disk; the object store may be on NFS).
    pub index_path: PathBuf,
}

/// The index file name inside a cache.
pub(crate) const INDEX_FILE: &str = "index.sqlite";

impl Cache {
    /// Open (creating if needed) the cache at `root`, its index inside it.
    pub fn open(root: &Path) -> anyhow::Result<Cache> {
        Cache::open_with_index(root, None)
    }

    /// Open the cache at `root` with its index at `index` (default
    /// `<root>/index.sqlite`). Never opens the index itself: workers, which
    /// must not touch it, open caches too.
    pub(crate) fn open_with_index(root: &Path, index: Option<&Path>) -> anyhow::Result<Cache> {
        for sub in ["objects", "locks", "tmp", "results"] {
            std::fs::create_dir_all(root.join(sub)).with_context(|| {
                format!(
                    "cannot create the cache directory {}",
                    root.join(sub).display()
                )
            })?;
        }
        let root = root.canonicalize()?;
        let index_path = match index {
            None => root.join(INDEX_FILE),
            Some(p) => {
                let parent = p.parent().filter(|d| !d.as_os_str().is_empty());
                if let Some(dir) = parent {
                    std::fs::create_dir_all(dir).with_context(|| {
                        format!("cannot create the index directory {}", dir.display())
                    })?;
                }
                let dir = parent.unwrap_or(Path::new(".")).canonicalize()?;
                dir.join(p.file_name().context("the index path names no file")?)
            }
        };
        Ok(Cache {
            store: store::Store::new(root.join("objects")),
            records: record::Records::new(root.join("results"), root.join("tmp")),
            root,
            index_path,
        })
    }

    /// A new connection to the index (one per thread). The first connection a
    /// process opens checks the file and rebuilds it from the result records
    /// when it is missing or damaged (see [`heal`]).
    pub fn index(&self) -> anyhow::Result<index::Index> {
        heal::open(self)
    }

    /// Held while opening the index or replacing its file: switching a new
    /// database to WAL answers SQLITE_BUSY at once (the busy timeout does
    /// not apply), so connections are opened one at a time. It lives beside
    /// the index, which may be outside the cache.
    pub(crate) fn index_open_guard(&self) -> anyhow::Result<std::fs::File> {
        let mut name = self.index_path.as_os_str().to_owned();
        name.push(".open-lock");
        let guard = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(PathBuf::from(name))?;
        guard.lock().context("locking the index for opening")?;
        Ok(guard)
    }

    pub(crate) fn lock_path(&self, key: &str) -> PathBuf {
        self.root.join("locks").join(format!("{key}.lock"))
    }

    pub(crate) fn lease_path(&self, key: &str) -> PathBuf {
        self.root.join("leases").join(format!("{key}.lease"))
    }

    /// Job files, keys lists and scheduler logs of instances run by
    /// `seqlab worker` processes.
    pub(crate) fn jobs_dir(&self) -> PathBuf {
        self.root.join("jobs")
    }

    pub(crate) fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Held (shared) by every run for its whole duration.
    pub(crate) fn shared_guard(&self) -> anyhow::Result<std::fs::File> {
        let f = self.guard_file()?;
        f.lock_shared().context("locking the cache for a run")?;
        Ok(f)
    }

    /// Held (exclusive) by `gc`: it waits for running runs to finish.
    pub(crate) fn exclusive_guard(&self) -> anyhow::Result<std::fs::File> {
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
