//! Where a stage's outputs may be published (the `report` kind's `dir`).
//! Publishing replaces the directory's whole content, so the place must be
//! one seqlab owns: not the working directory, the pipeline's directory,
//! `/`, the cache or anything holding it, and not a non-empty directory
//! seqlab did not create (it marks the ones it creates with [`MARKER`]).
//! Checked before the run starts and again before each publish.

use std::path::{Component, Path, PathBuf};

use crate::cache::Cache;
use crate::plan::Plan;

/// The file seqlab leaves in each directory it publishes, naming what made it.
pub(crate) const MARKER: &str = ".seqlab-published";

/// `path` made absolute against `cwd`, with `.` and `..` resolved: symbolic
/// links in the part that exists are resolved by the file system, the rest
/// (which does not exist yet) lexically.
fn resolve(path: &Path, cwd: &Path) -> PathBuf {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    let mut out = PathBuf::from("/");
    for c in abs.components() {
        match c {
            Component::RootDir | Component::Prefix(_) | Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(n) => {
                out.push(n);
                if let Ok(real) = out.canonicalize() {
                    out = real;
                }
            }
        }
    }
    out
}

/// Why `dest` may not be published to, or its absolute path. `pipeline_dir`
/// is the directory of the pipeline file.
pub(crate) fn check_publish_dir(
    dest: &Path,
    cwd: &Path,
    pipeline_dir: &Path,
    cache_root: &Path,
) -> Result<PathBuf, String> {
    let real = |p: &Path| resolve(p, cwd);
    let target = real(dest);
    let (cwd, pipeline_dir, cache_root) = (real(cwd), real(pipeline_dir), real(cache_root));
    let holds = |place: &Path| place.starts_with(&target);
    let why = if target == Path::new("/") {
        Some("is `/`".to_string())
    } else if holds(&cwd) {
        Some("is (or holds) the working directory".to_string())
    } else if holds(&pipeline_dir) {
        Some("is (or holds) the pipeline's directory".to_string())
    } else if holds(&cache_root) {
        Some("is (or holds) the cache".to_string())
    } else if target.starts_with(&cache_root) {
        Some("is inside the cache".to_string())
    } else if std::fs::symlink_metadata(dest).is_ok_and(|m| m.file_type().is_symlink()) {
        Some("is a symbolic link".to_string())
    } else {
        match std::fs::read_dir(&target) {
            Ok(mut entries) => {
                let empty = entries.next().is_none();
                (!empty && !published_by_seqlab(&target))
                    .then(|| "is a non-empty directory seqlab did not create".to_string())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(_) if target.exists() => Some("is not a directory".to_string()),
            Err(_) => None,
        }
    };
    match why {
        None => Ok(target),
        Some(w) => Err(format!(
            "the report `dir` {} {w}; publishing replaces a directory's whole content, so pick another (e.g. `reports/<pipeline>`, the default)",
            dest.display()
        )),
    }
}

/// Whether seqlab published `dir`: it holds the marker, or (published
/// before the marker existed) a report's page and input side by side.
fn published_by_seqlab(dir: &Path) -> bool {
    dir.join(MARKER).is_file()
        || (dir.join("index.html").is_file() && dir.join("report_input.json").is_file())
}

/// Check every publishing instance's directory before anything runs.
pub(crate) fn check_plan(cache: &Cache, plan: &Plan) -> anyhow::Result<()> {
    let cwd = std::env::current_dir()?;
    for inst in &plan.instances {
        if let Some(dest) = inst.kind.publish_dir(&inst.params, &plan.pipeline)? {
            check_publish_dir(&dest, &cwd, &plan.workspace, &cache.root)
                .map_err(|m| anyhow::anyhow!("{}: {m}", inst.name))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_places_seqlab_does_not_own() {
        let t = tempfile::tempdir().unwrap();
        let cwd = t.path().join("work");
        let cache = cwd.join("cache");
        std::fs::create_dir_all(&cache).unwrap();
        std::fs::create_dir_all(cwd.join("data")).unwrap();
        std::fs::write(cwd.join("data/x.csv"), "1").unwrap();
        let check = |d: &str| check_publish_dir(Path::new(d), &cwd, &cwd.join("p"), &cache);
        assert!(check("/").unwrap_err().contains("is `/`"));
        assert!(check("/..").unwrap_err().contains("is `/`"));
        assert!(check(".").unwrap_err().contains("working directory"));
        assert!(check("..").unwrap_err().contains("working directory"));
        assert!(check("p").unwrap_err().contains("pipeline's directory"));
        assert!(check("cache").unwrap_err().contains("the cache"));
        assert!(check("cache/objects")
            .unwrap_err()
            .contains("inside the cache"));
        assert!(check("data").unwrap_err().contains("did not create"));
        assert!(check("reports/x/../../data")
            .unwrap_err()
            .contains("did not create"));
        assert_eq!(check("reports/x").unwrap(), cwd.join("reports/x"));
        std::fs::write(cwd.join("data").join(MARKER), "").unwrap();
        assert!(check("data").is_ok());
        // Published by an older seqlab, without the marker.
        std::fs::create_dir_all(cwd.join("old")).unwrap();
        std::fs::write(cwd.join("old/index.html"), "").unwrap();
        assert!(check("old").is_err());
        std::fs::write(cwd.join("old/report_input.json"), "").unwrap();
        assert!(check("old").is_ok());
        std::os::unix::fs::symlink(&cwd, cwd.join("link")).unwrap();
        assert!(check("link").unwrap_err().contains("working directory"));
    }
}
