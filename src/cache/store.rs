//! Content-addressed objects: `objects/ab/cdef…`, named by blake3, written
//! by rename so a reader never sees half an object, and read-only.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::manifest::{hash_file, Manifest};

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

    pub fn object_path(&self, hash: &str) -> PathBuf {
        self.dir.join(&hash[..2]).join(&hash[2..])
    }

    pub fn contains(&self, hash: &str) -> bool {
        self.object_path(hash).exists()
    }

    /// Move `src` (whose content hashes to `hash`) into the store. The file
    /// must be on the cache's file system (outputs are written under
    /// `cache/tmp`), so the move is one atomic rename.
    pub fn adopt(&self, src: &Path, hash: &str, executable: bool) -> anyhow::Result<()> {
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
    pub fn put_bytes(&self, bytes: &[u8], scratch: &Path) -> anyhow::Result<String> {
        let hash = blake3::hash(bytes).to_hex().to_string();
        if !self.contains(&hash) {
            let tmp = scratch.join(format!(".object-{hash}"));
            fs::write(&tmp, bytes)?;
            self.adopt(&tmp, &hash, false)?;
        }
        Ok(hash)
    }

    pub fn read(&self, hash: &str) -> anyhow::Result<Vec<u8>> {
        let path = self.object_path(hash);
        fs::read(&path).with_context(|| format!("object {hash} is missing from the cache"))
    }

    /// Move every file of the output directory `dir` into the store and
    /// record the manifest; returns the tree hash.
    pub fn ingest_tree(&self, dir: &Path, scratch: &Path) -> anyhow::Result<(String, Manifest)> {
        let manifest = Manifest::scan(dir)?;
        for f in &manifest.files {
            self.adopt(&dir.join(&f.path), &f.hash, f.executable)?;
        }
        let tree = self.put_bytes(&manifest.to_bytes(), scratch)?;
        Ok((tree, manifest))
    }

    pub fn manifest(&self, tree: &str) -> anyhow::Result<Manifest> {
        Manifest::from_bytes(&self.read(tree)?)
    }

    /// The bytes of the file at `path` in output tree `tree`, if it has one.
    pub fn read_file(&self, tree: &str, path: &str) -> anyhow::Result<Option<Vec<u8>>> {
        match self.manifest(tree)?.files.iter().find(|f| f.path == path) {
            Some(f) => self.read(&f.hash).map(Some),
            None => Ok(None),
        }
    }

    /// Recreate the tree `tree` at `dest` (hard links to the objects, copies
    /// across file systems). `dest` must not exist.
    pub fn materialize(&self, tree: &str, dest: &Path) -> anyhow::Result<Manifest> {
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
pub fn remove_tree(path: &Path) -> std::io::Result<()> {
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
