//! Cross-node exclusion for one cache key: a lease file, where `flock` cannot
//! be trusted (many NFS setups lose, ignore or refuse it).
//!
//! A lease is `leases/<key>.lease`, holding its owner (host, pid, job), a
//! random token and an expiry. It is created by writing a complete temp file
//! and `link()`ing it into place, which fails when a lease exists — an atomic
//! test-and-set on every POSIX file system, NFS included. While held, a
//! heartbeat thread renews the expiry (temp file + rename). A lease whose
//! expiry has passed (its node died or hangs) is taken over; on the owner's
//! own host it is taken over at once when the owner is gone. Two processes
//! that both believe they hold a key after a lost lease do harmless
//! duplicate work: objects and records are written idempotently.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::index::now;
use super::record::unique_suffix;

/// How long a lease lasts without renewal: a dead node's keys heal after this.
pub(crate) const LEASE_TTL: Duration = Duration::from_secs(120);

/// Who holds a lease.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    /// `hostname/boot-id`: containers on two nodes may share a hostname.
    pub host: String,
    pub pid: u32,
    /// `slurm 123_4`, or `local`.
    pub job: String,
}

impl Owner {
    /// This process.
    pub fn me(job: &str) -> Owner {
        Owner {
            host: host_identity(),
            pid: std::process::id(),
            job: job.to_string(),
        }
    }
}

/// The content of a lease file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeaseInfo {
    #[serde(flatten)]
    pub owner: Owner,
    pub token: String,
    pub acquired: f64,
    pub expires: f64,
}

impl LeaseInfo {
    pub(crate) fn expired(&self) -> bool {
        self.expires < now()
    }

    /// Whether its owner may still be working: not expired, and on this
    /// host, its process still exists (a killed holder leaves its file).
    pub fn live(&self) -> bool {
        !self.expired() && (self.owner.host != host_identity() || pid_alive(self.owner.pid))
    }
}

/// `hostname/boot-id` of this machine.
pub(crate) fn host_identity() -> String {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    format!("{}/{boot}", super::index::host())
}

fn pid_alive(pid: u32) -> bool {
    // Signal 0 checks existence; EPERM means it exists under another user.
    let r = unsafe { libc::kill(pid as libc::pid_t, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// The lease file a worker holds, for its SIGTERM handler (a C string, or
/// null). Set only after [`release_on_termination`].
static HELD: AtomicPtr<libc::c_char> = AtomicPtr::new(std::ptr::null_mut());
static RELEASE_ON_TERMINATION: AtomicBool = AtomicBool::new(false);

extern "C" fn on_termination(sig: libc::c_int) {
    // Only async-signal-safe calls: unlink, signal, raise.
    let p = HELD.load(Ordering::SeqCst);
    if !p.is_null() {
        unsafe { libc::unlink(p) };
    }
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

/// In a process that holds one lease at a time and may be ended by SIGTERM
/// (a Slurm job cancelled or out of time: Slurm sends SIGTERM before
/// SIGKILL), remove the held lease on SIGTERM or SIGINT, so another node may
/// take the key at once instead of after the lease expires.
pub(crate) fn release_on_termination() {
    RELEASE_ON_TERMINATION.store(true, Ordering::SeqCst);
    for sig in [libc::SIGTERM, libc::SIGINT] {
        let handler = on_termination as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: installing a handler that only makes async-signal-safe calls.
        unsafe { libc::signal(sig, handler) };
    }
}

/// Read a lease file; `None` when absent or unreadable.
pub fn read(path: &Path) -> Option<LeaseInfo> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// A held lease; renewed while alive, removed on drop.
pub(crate) struct Lease {
    path: PathBuf,
    token: String,
    /// Dropping it wakes and stops the heartbeat at once.
    stop: Option<mpsc::Sender<()>>,
    heartbeat: Option<std::thread::JoinHandle<()>>,
}

fn write_temp(dir: &Path, info: &LeaseInfo) -> anyhow::Result<PathBuf> {
    let tmp = dir.join(format!(".lease-{}", unique_suffix()));
    // Not synced: after a crash of the machine every lease is stale anyway.
    let mut f =
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(&serde_json::to_vec(info)?)?;
    Ok(tmp)
}

impl Lease {
    /// Wait until the lease at `path` is ours. `local_lock_held`: the caller
    /// holds this key's `flock`, so a lease from this host is stale whatever
    /// its pid says. Returns whether we had to wait.
    pub(crate) fn acquire(
        path: &Path,
        owner: &Owner,
        ttl: Duration,
        local_lock_held: bool,
    ) -> anyhow::Result<(Lease, bool)> {
        let mut waited = false;
        let mut pause = Duration::from_millis(100);
        loop {
            if let Some(lease) = Lease::try_acquire(path, owner, ttl, local_lock_held)? {
                return Ok((lease, waited));
            }
            if !waited {
                if let Some(other) = read(path) {
                    tracing::info!(
                        "waiting for the lease {} held by pid {} on {} ({})",
                        path.display(),
                        other.owner.pid,
                        other.owner.host,
                        other.owner.job
                    );
                }
            }
            waited = true;
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }

    /// Take the lease if it is free or stale now.
    pub(crate) fn try_acquire(
        path: &Path,
        owner: &Owner,
        ttl: Duration,
        local_lock_held: bool,
    ) -> anyhow::Result<Option<Lease>> {
        let dir = path.parent().expect("leases have a parent");
        std::fs::create_dir_all(dir)?;
        let acquired = now();
        let info = LeaseInfo {
            owner: owner.clone(),
            token: unique_suffix() + &format!("-{:016x}", rand::random::<u64>()),
            acquired,
            expires: acquired + ttl.as_secs_f64(),
        };
        let tmp = write_temp(dir, &info)?;
        let result = (|| -> anyhow::Result<bool> {
            for _ in 0..3 {
                match std::fs::hard_link(&tmp, path) {
                    Ok(()) => return Ok(true),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(e) => {
                        return Err(e).with_context(|| format!("creating lease {}", path.display()))
                    }
                }
                let Some(stale) = Self::stale(path, owner, ttl, local_lock_held) else {
                    return Ok(false);
                };
                // Take the stale lease away under a unique name, then make
                // sure it was the stale one we judged (not a fresh lease
                // another taker linked meanwhile, which we put back).
                let aside = dir.join(format!(".lease-stale-{}", unique_suffix()));
                match std::fs::rename(path, &aside) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(e.into()),
                }
                let taken = read(&aside);
                if taken.as_ref().map(|t| &t.token) != stale.as_ref().map(|s| &s.token) {
                    let _ = std::fs::hard_link(&aside, path);
                    let _ = std::fs::remove_file(&aside);
                    return Ok(false);
                }
                let _ = std::fs::remove_file(&aside);
                if let Some(s) = stale {
                    tracing::info!(
                        "took over the stale lease {} of pid {} on {} ({})",
                        path.display(),
                        s.owner.pid,
                        s.owner.host,
                        s.owner.job
                    );
                }
            }
            Ok(false)
        })();
        let _ = std::fs::remove_file(&tmp);
        if !result? {
            return Ok(None);
        }
        if RELEASE_ON_TERMINATION.load(Ordering::SeqCst) {
            use std::os::unix::ffi::OsStrExt;
            if let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) {
                // Leaked on purpose: the handler may read it at any moment.
                HELD.store(c.into_raw(), Ordering::SeqCst);
            }
        }
        let (stop, stopped) = mpsc::channel();
        let heartbeat = {
            let (path, info) = (path.to_path_buf(), info.clone());
            std::thread::Builder::new()
                .name("seqlab-lease".into())
                .spawn(move || heartbeat(&path, &stopped, info, ttl))
                .ok()
        };
        Ok(Some(Lease {
            path: path.to_path_buf(),
            token: info.token,
            stop: Some(stop),
            heartbeat,
        }))
    }

    /// `Some(what was there)` when the existing lease may be taken over
    /// (`Some(None)` for an unreadable one older than `ttl`).
    #[allow(clippy::option_option)]
    fn stale(
        path: &Path,
        me: &Owner,
        ttl: Duration,
        local_lock_held: bool,
    ) -> Option<Option<LeaseInfo>> {
        match read(path) {
            Some(info) => {
                let same_host = info.owner.host == me.host;
                let gone = same_host && (local_lock_held || !pid_alive(info.owner.pid));
                (info.expired() || gone).then_some(Some(info))
            }
            None => {
                let age = std::fs::metadata(path)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())?;
                (age > ttl).then_some(None)
            }
        }
    }
}

/// Renew the lease every quarter of its lifetime while it is still ours,
/// until `stop` is dropped.
fn heartbeat(path: &Path, stop: &mpsc::Receiver<()>, mut info: LeaseInfo, ttl: Duration) {
    let period = ttl / 4;
    while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(period) {
        if read(path).map(|i| i.token) != Some(info.token.clone()) {
            tracing::warn!(
                "lost the lease {} (taken over after expiring); the key may run twice, harmlessly",
                path.display()
            );
            return;
        }
        info.expires = now() + ttl.as_secs_f64();
        let dir = path.parent().expect("leases have a parent");
        if let Ok(tmp) = write_temp(dir, &info) {
            if std::fs::rename(&tmp, path).is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        HELD.store(std::ptr::null_mut(), Ordering::SeqCst);
        drop(self.stop.take());
        if let Some(h) = self.heartbeat.take() {
            let _ = h.join();
        }
        if read(&self.path).is_some_and(|i| i.token == self.token) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(host: &str, pid: u32) -> Owner {
        Owner {
            host: host.into(),
            pid,
            job: "test".into(),
        }
    }

    #[test]
    fn a_lease_excludes_another_host_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.lease");
        let a = Lease::try_acquire(&path, &owner("a", 1), LEASE_TTL, false)
            .unwrap()
            .expect("free");
        assert_eq!(read(&path).unwrap().owner, owner("a", 1));
        assert!(Lease::try_acquire(&path, &owner("b", 2), LEASE_TTL, false)
            .unwrap()
            .is_none());
        drop(a);
        assert!(!path.exists(), "released leases are removed");
        let b = Lease::try_acquire(&path, &owner("b", 2), LEASE_TTL, false).unwrap();
        assert!(b.is_some());
        // Only the lease file remains in the directory (no temp files).
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("k.lease")]);
    }

    #[test]
    fn an_expired_lease_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.lease");
        let ttl = Duration::from_millis(300);
        // Host `a` takes the lease, then stops renewing it (a dead node):
        // forget the guard so neither heartbeat nor drop runs.
        let mut a = Lease::try_acquire(&path, &owner("a", 1), ttl, false)
            .unwrap()
            .unwrap();
        a.stop.take();
        a.heartbeat.take().unwrap().join().unwrap();
        std::mem::forget(a);
        assert!(Lease::try_acquire(&path, &owner("b", 2), ttl, false)
            .unwrap()
            .is_none());
        std::thread::sleep(ttl + Duration::from_millis(100));
        let b = Lease::try_acquire(&path, &owner("b", 2), ttl, false).unwrap();
        assert!(b.is_some(), "an expired lease is taken over");
        assert_eq!(read(&path).unwrap().owner, owner("b", 2));
    }

    #[test]
    fn a_live_holder_renews_its_lease() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.lease");
        let ttl = Duration::from_millis(400);
        let _a = Lease::try_acquire(&path, &owner("a", 1), ttl, false)
            .unwrap()
            .unwrap();
        let first = read(&path).unwrap().expires;
        std::thread::sleep(ttl * 2);
        assert!(read(&path).unwrap().expires > first, "renewed");
        assert!(Lease::try_acquire(&path, &owner("b", 2), ttl, false)
            .unwrap()
            .is_none());
    }

    #[test]
    fn on_its_own_host_a_dead_holders_lease_heals_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.lease");
        let me = Owner::me("local");
        // A child that has exited: its pid is gone.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let mut ghost = Lease::try_acquire(
            &path,
            &Owner {
                pid: dead,
                ..me.clone()
            },
            LEASE_TTL,
            false,
        )
        .unwrap()
        .unwrap();
        ghost.stop.take();
        ghost.heartbeat.take().unwrap().join().unwrap();
        std::mem::forget(ghost);
        assert!(Lease::try_acquire(&path, &me, LEASE_TTL, false)
            .unwrap()
            .is_some());
    }
}
