//! An output tree as a list of files: the unit the cache stores and keys on.
//! Its hash (the "tree hash") is blake3 of its canonical JSON; empty
//! directories are not recorded.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Relative path with `/` separators.
    pub path: String,
    pub size: u64,
    pub executable: bool,
    /// blake3 of the content.
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Manifest {
    /// Sorted by path.
    pub files: Vec<FileEntry>,
}

impl Manifest {
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("manifest serialises")
    }

    pub(crate) fn tree_hash(&self) -> String {
        blake3::hash(&self.to_bytes()).to_hex().to_string()
    }

    pub(crate) fn from_bytes(bytes: &[u8]) -> anyhow::Result<Manifest> {
        serde_json::from_slice(bytes).context("reading an output manifest")
    }

    pub(crate) fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }

    /// Describe the files under `dir` (hashing each), sorted by path.
    /// Symbolic links and special files are refused (see [`output_files`]).
    pub fn scan(dir: &Path) -> anyhow::Result<Manifest> {
        let mut files = Vec::new();
        for (rel, path) in output_files(dir)? {
            use std::os::unix::fs::PermissionsExt;
            let meta = std::fs::symlink_metadata(&path)?;
            files.push(FileEntry {
                path: rel,
                size: meta.len(),
                executable: meta.permissions().mode() & 0o111 != 0,
                hash: hash_file(&path)?,
            });
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(Manifest { files })
    }
}

/// Every regular file under the output directory `dir`, as (relative path
/// with `/` separators, full path), sorted by relative path. Nothing is
/// followed: a symbolic link (whose target is not part of the outputs, and
/// may lie anywhere) or a special file (a FIFO, a socket, a device) is
/// refused with a message naming it. The walk keeps its own stack, so a deep
/// tree cannot overflow a thread's.
pub(crate) fn output_files(dir: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let entry = entry?;
            let path = entry.path();
            let ty = entry.file_type()?;
            let rel = path.strip_prefix(dir)?.to_string_lossy().replace('\\', "/");
            if ty.is_symlink() {
                bail!("output `{rel}` is a symbolic link; write a regular file instead");
            } else if ty.is_dir() {
                pending.push(path);
            } else if ty.is_file() {
                out.push((rel, path));
            } else {
                bail!("output `{rel}` is not a regular file (a FIFO, socket or device); write a regular file instead");
            }
        }
    }
    out.sort();
    Ok(out)
}

/// blake3 of a file's content, as hex.
pub(crate) fn hash_file(path: &Path) -> anyhow::Result<String> {
    let mut hasher = blake3::Hasher::new();
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    hasher
        .update_reader(file)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(hasher.finalize().to_hex().to_string())
}
