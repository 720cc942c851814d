//! Hashes of declared workspace files (`deps:`), with a snapshot of size,
//! mtime and inode so an unchanged file is not read again (a no-op run reads
//! no file contents). The content hash, not the snapshot, enters the key.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use rusqlite::{params, OptionalExtension};

use super::index::Index;
use super::manifest::hash_file;

#[derive(Default)]
pub(crate) struct FileHasher {
    memo: HashMap<std::path::PathBuf, String>,
}

impl FileHasher {
    pub fn hash(&mut self, index: &Index, path: &Path) -> anyhow::Result<String> {
        if let Some(h) = self.memo.get(path) {
            return Ok(h.clone());
        }
        let abs = path
            .canonicalize()
            .map_err(|e| anyhow::anyhow!("dependency {}: {e}", path.display()))?;
        let meta = std::fs::metadata(&abs)?;
        let key = abs.to_string_lossy().into_owned();
        let (size, mtime, inode) = (
            meta.len() as i64,
            meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
            meta.ino() as i64,
        );
        let cached: Option<String> = index
            .conn
            .prepare_cached("SELECT hash FROM file_hashes WHERE path = ?1 AND size = ?2 AND mtime_ns = ?3 AND inode = ?4")?
            .query_row(params![key, size, mtime, inode], |r| r.get(0))
            .optional()?;
        let hash = match cached {
            Some(h) => h,
            None => {
                let h = hash_file(&abs)?;
                index.conn.execute(
                    "INSERT OR REPLACE INTO file_hashes (path, size, mtime_ns, inode, hash) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![key, size, mtime, inode, h],
                )?;
                h
            }
        };
        self.memo.insert(path.to_path_buf(), hash.clone());
        Ok(hash)
    }
}
