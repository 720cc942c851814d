//! Write-then-rename: a file appears at its final path complete or not at
//! all. The temporary file sits in the destination folder (same file system,
//! so the rename is atomic) and is removed if it is dropped unfinished.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::error::FetchError;

/// A temporary file that becomes `target` on [`AtomicFile::commit`] and
/// disappears otherwise.
pub(crate) struct AtomicFile {
    tmp: PathBuf,
    target: PathBuf,
    file: Option<File>,
}

impl AtomicFile {
    /// Create `.<name>.partial-<pid>-<n>` next to `target`.
    pub fn create(target: &Path) -> Result<Self, FetchError> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| FetchError::io(dir, e))?;
        let name = target
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(
            ".{name}.partial-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let file = File::create(&tmp).map_err(|e| FetchError::io(&tmp, e))?;
        Ok(AtomicFile {
            tmp,
            target: target.to_path_buf(),
            file: Some(file),
        })
    }

    /// The open temporary file.
    pub fn file(&mut self) -> &mut File {
        self.file.as_mut().expect("file open until commit")
    }

    /// Flush to disk and rename onto the target.
    pub(crate) fn commit(mut self) -> Result<PathBuf, FetchError> {
        let f = self.file.take().expect("file open until commit");
        f.sync_all().map_err(|e| FetchError::io(&self.tmp, e))?;
        drop(f);
        std::fs::rename(&self.tmp, &self.target).map_err(|e| FetchError::io(&self.target, e))?;
        Ok(self.target.clone())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn commit_renames_and_drop_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        let mut a = AtomicFile::create(&target).unwrap();
        a.file().write_all(b"data").unwrap();
        assert!(!target.exists());
        a.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"data");
        {
            let mut b = AtomicFile::create(&dir.path().join("gone.txt")).unwrap();
            b.file().write_all(b"half").unwrap();
        }
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.txt")]);
    }
}
