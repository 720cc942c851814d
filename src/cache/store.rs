//! Content-addressed objects: `objects/ab/cdef…`, named by blake3, written
//! by rename so a reader never sees half an object, and read-only.
//!
//! Each object's bytes are synced to disk before its rename: the result record
//! that names an object is synced when it is written
//! ([`super::record`]), and after a power cut it must never name an object
//! whose bytes had not yet left the page cache (a file of the right name and
//! the wrong content).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::manifest::{hash_file, output_files, FileEntry, Manifest};

pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub fn new(dir: PathBuf) -> Store {
        Store { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn object_path(&self, hash: &str) -> PathBuf {
        self.dir.join(&hash[..2]).join(&hash[2..])
    }

    pub fn contains(&self, hash: &str) -> bool {
        self.object_path(hash).exists()
    }

    /// Move `src` (whose content hashes to `hash`) into the store. The file
    /// must be on the cache's file system (outputs are written under
    /// `cache/tmp`), so the move is one atomic rename.
    pub(crate) fn adopt(&self, src: &Path, hash: &str, executable: bool) -> anyhow::Result<()> {
        let dest = self.object_path(hash);
        if dest.exists() {
            fs::remove_file(src).ok();
            return Ok(());
        }
        fs::create_dir_all(dest.parent().expect("objects have a parent"))?;
        let mode = if executable { 0o555 } else { 0o444 };
        fs::set_permissions(src, fs::Permissions::from_mode(mode))?;
        fs::rename(src, &dest)
            .with_context(|| format!("storing {} in the cache", src.display()))?;
        Ok(())
    }

    /// Store `bytes` as an object; returns its hash.
    pub(crate) fn put_bytes(&self, bytes: &[u8], scratch: &Path) -> anyhow::Result<String> {
        let hash = blake3::hash(bytes).to_hex().to_string();
        if !self.contains(&hash) {
            let tmp = scratch.join(format!(".object-{hash}"));
            let mut f = fs::File::create(&tmp)?;
            std::io::Write::write_all(&mut f, bytes)?;
            f.sync_data()?;
            drop(f);
            self.adopt(&tmp, &hash, false)?;
        }
        Ok(hash)
    }

    pub fn read(&self, hash: &str) -> anyhow::Result<Vec<u8>> {
        let path = self.object_path(hash);
        fs::read(&path).with_context(|| format!("object {hash} is missing from the cache"))
    }

    /// Store every file of the output directory `dir` and the manifest;
    /// returns the tree hash. The walk follows nothing ([`output_files`]).
    /// A file the stage alone links to is moved in (one rename, no copy of
    /// large outputs); a file with other links, which may lie outside the
    /// cache, is copied, so that nothing outside the cache is moved,
    /// chmod-ed, or linked to the store.
    pub(crate) fn ingest_tree(
        &self,
        dir: &Path,
        scratch: &Path,
    ) -> anyhow::Result<(String, Manifest)> {
        let mut files = Vec::new();
        for (i, (rel, path)) in output_files(dir)?.into_iter().enumerate() {
            let (hash, size, executable) = self
                .ingest_file(&path, &scratch.join(format!(".ingest-{i}")))
                .with_context(|| format!("storing output `{rel}`"))?;
            files.push(FileEntry {
                path: rel,
                size,
                executable,
                hash,
            });
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let manifest = Manifest { files };
        let tree = self.put_bytes(&manifest.to_bytes(), scratch)?;
        Ok((tree, manifest))
    }

    /// Store the regular file at `src` (opened without following a link);
    /// `copy` is where a copy is made when one is needed. Returns (hash,
    /// size, executable).
    fn ingest_file(&self, src: &Path, copy: &Path) -> anyhow::Result<(String, u64, bool)> {
        use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
        let file = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(src)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            bail!("not a regular file");
        }
        let executable = meta.permissions().mode() & 0o111 != 0;
        if meta.nlink() == 1 {
            // Ours alone: hash it, then move it in.
            let mut hasher = blake3::Hasher::new();
            hasher.update_reader(&file)?;
            let hash = hasher.finalize().to_hex().to_string();
            // Through the open file: the mode changes on the inode checked.
            file.set_permissions(fs::Permissions::from_mode(if executable {
                0o555
            } else {
                0o444
            }))?;
            let dest = self.object_path(&hash);
            if dest.exists() {
                return Ok((hash, meta.len(), executable));
            }
            fs::create_dir_all(dest.parent().expect("objects have a parent"))?;
            file.sync_data()?;
            fs::rename(src, &dest)?;
            // A process still running could have swapped the name for
            // something else between the open and the rename. Another inode
            // with the same bytes is a concurrent store of the same object
            // (its rename landed after ours), not a swap.
            let stored = fs::symlink_metadata(&dest)?;
            if (stored.dev(), stored.ino()) != (meta.dev(), meta.ino()) && !self.check(&hash)? {
                let _ = fs::remove_file(&dest);
                bail!("the file was replaced while it was being stored");
            }
            return Ok((hash, meta.len(), executable));
        }
        // Linked from elsewhere. Often an input passed through (already an
        // object: nothing to store); otherwise copy the bytes, hashing what
        // is written.
        let mut hasher = blake3::Hasher::new();
        hasher.update_reader(&file)?;
        let hash = hasher.finalize().to_hex().to_string();
        if self.contains(&hash) {
            return Ok((hash, meta.len(), executable));
        }
        std::io::Seek::seek(&mut &file, std::io::SeekFrom::Start(0))?;
        let mut out = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(copy)?;
        let mut hasher = blake3::Hasher::new();
        let mut reader = std::io::BufReader::with_capacity(1 << 20, &file);
        let mut size = 0u64;
        loop {
            let buf = std::io::BufRead::fill_buf(&mut reader)?;
            if buf.is_empty() {
                break;
            }
            hasher.update(buf);
            std::io::Write::write_all(&mut out, buf)?;
            let n = buf.len();
            size += n as u64;
            std::io::BufRead::consume(&mut reader, n);
        }
        out.sync_data()?;
        drop(out);
        let hash = hasher.finalize().to_hex().to_string();
        self.adopt(copy, &hash, executable)?;
        Ok((hash, size, executable))
    }

    pub fn manifest(&self, tree: &str) -> anyhow::Result<Manifest> {
        Manifest::from_bytes(&self.read(tree)?)
    }

    /// The bytes of the file at `path` in output tree `tree`, if it has one.
    pub(crate) fn read_file(&self, tree: &str, path: &str) -> anyhow::Result<Option<Vec<u8>>> {
        match self.manifest(tree)?.files.iter().find(|f| f.path == path) {
            Some(f) => self.read(&f.hash).map(Some),
            None => Ok(None),
        }
    }

    /// Recreate the tree `tree` at `dest` (hard links to the objects, copies
    /// across file systems). `dest` must not exist.
    pub(crate) fn materialize(&self, tree: &str, dest: &Path) -> anyhow::Result<Manifest> {
        let manifest = self.manifest(tree)?;
        fs::create_dir_all(dest)?;
        for f in &manifest.files {
            let target = dest.join(&f.path);
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent)?;
            }
            let object = self.object_path(&f.hash);
            if fs::hard_link(&object, &target).is_err() {
                fs::copy(&object, &target)
                    .with_context(|| format!("object {} for {} is missing", f.hash, f.path))?;
            }
        }
        Ok(manifest)
    }

    /// Re-hash one object; `Ok(false)` when its content no longer matches.
    pub fn check(&self, hash: &str) -> anyhow::Result<bool> {
        let path = self.object_path(hash);
        if !path.exists() {
            bail!("object {hash} is missing");
        }
        Ok(hash_file(&path)? == hash)
    }

    /// Every object hash in the store.
    pub fn all(&self) -> anyhow::Result<Vec<String>> {
        let mut out = Vec::new();
        for shard in fs::read_dir(&self.dir)? {
            let shard = shard?;
            if !shard.file_type()?.is_dir() {
                continue;
            }
            let prefix = shard.file_name().to_string_lossy().into_owned();
            for obj in fs::read_dir(shard.path())? {
                let name = obj?.file_name().to_string_lossy().into_owned();
                if !name.starts_with('.') {
                    out.push(format!("{prefix}{name}"));
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

/// Remove a directory tree even where we made it read-only.
pub(crate) fn remove_tree(path: &Path) -> std::io::Result<()> {
    if !path.exists() {
        return Ok(());
    }
    if fs::remove_dir_all(path).is_ok() {
        return Ok(());
    }
    fn writable(p: &Path) {
        if let Ok(meta) = fs::symlink_metadata(p) {
            if meta.is_dir() {
                let _ = fs::set_permissions(p, fs::Permissions::from_mode(0o755));
                if let Ok(rd) = fs::read_dir(p) {
                    for e in rd.flatten() {
                        writable(&e.path());
                    }
                }
            }
        }
    }
    writable(path);
    fs::remove_dir_all(path)
}
