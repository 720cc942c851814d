//! Per-key execution locks that heal themselves.
//!
//! Each cache key has a lock file held with `flock` while that key executes.
//! The kernel drops an `flock` when its holder exits, however it exits, so a
//! lock left by a killed process is simply free: no stale-lock detection, no
//! `--unlock`. A second process wanting the same key waits, then finds the
//! first one's result in the index.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

use anyhow::Context;

/// A held lock; released on drop (or by the kernel on exit).
pub(crate) struct KeyLock {
    _file: File,
}

fn open(path: &Path) -> anyhow::Result<File> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("opening lock {}", path.display()))
}

impl KeyLock {
    /// Block until the lock is ours. Returns whether we had to wait.
    pub(crate) fn acquire(path: &Path) -> anyhow::Result<(KeyLock, bool)> {
        let file = open(path)?;
        match file.try_lock() {
            Ok(()) => Ok((KeyLock { _file: file }, false)),
            Err(TryLockError::WouldBlock) => {
                file.lock()
                    .with_context(|| format!("waiting for lock {}", path.display()))?;
                Ok((KeyLock { _file: file }, true))
            }
            Err(TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("locking {}", path.display()))
            }
        }
    }

    /// Take the lock only if it is free now.
    pub(crate) fn try_acquire(path: &Path) -> anyhow::Result<Option<KeyLock>> {
        let file = open(path)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(KeyLock { _file: file })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("locking {}", path.display()))
            }
        }
    }
}
