//! Result records: one immutable JSON file per successful execution,
//! `results/<2 hex>/<key>.json`, written by whoever executed the key (a
//! worker on any node) after its objects are in the store — Bazel's order:
//! blobs before the entry that names them. A key's record means success; the
//! index (`index.sqlite`) is only a view that controllers build from records,
//! so a lost or damaged index is rebuilt from them (`seqlab index rebuild`).
//!
//! | path | what |
//! |---|---|
//! | `results/ab/<key>.json` | the result of `key`: never rewritten |
//! | `results/failed/ab/<key>.<attempt>.json` | a failed execution (history only) |
//! | `results/invalidated/ab/<key>.<time>.json` | a result `verify` found damaged, moved aside |
//!
//! Every file is written to a temp file, synced, and `link()`ed into place:
//! a reader never sees half a record, and an existing record is never
//! replaced (`link` fails where `rename` would overwrite).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::index::{host, now, SEQLAB_VERSION};
use super::key::{InputBinding, KeyComponents};

/// Bumped when the record's shape changes incompatibly.
pub(crate) const RECORD_FORMAT: u32 = 1;

/// An execution's outputs: the tree and its size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outputs {
    pub tree: String,
    pub files: usize,
    pub bytes: u64,
}

/// Success or failure; only successes live at `results/ab/<key>.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordStatus {
    Ok,
    Failed,
}

/// Everything the index keeps about one execution, so it can be rebuilt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultRecord {
    pub format: u32,
    pub key: String,
    pub components: KeyComponents,
    pub pipeline: String,
    pub instance: String,
    pub stage: String,
    pub kind: String,
    pub kind_version: u32,
    pub params: crate::kind::JsonMap,
    /// The inputs as the key saw them (labels and output trees).
    pub inputs: Vec<InputBinding>,
    /// The cache keys of the upstream instances, where known.
    #[serde(default)]
    pub input_keys: Vec<String>,
    pub outputs: Option<Outputs>,
    pub status: RecordStatus,
    pub started: f64,
    pub ended: f64,
    pub duration: f64,
    pub host: String,
    pub pid: u32,
    pub seqlab_version: String,
    /// The scheduler's job (`slurm 123_4`) or `local`.
    #[serde(default)]
    pub job: String,
    pub error: Option<String>,
}

/// The fields of a record that describe the instance, known before it runs.
#[derive(Debug, Clone)]
pub struct RecordHead {
    pub key: String,
    pub components: KeyComponents,
    pub pipeline: String,
    pub instance: String,
    pub stage: String,
    pub input_keys: Vec<String>,
    pub job: String,
}

impl ResultRecord {
    /// A record of an execution of `head` that ran from `started` to `ended`.
    pub fn new(
        head: &RecordHead,
        started: f64,
        ended: f64,
        result: Result<Outputs, String>,
    ) -> ResultRecord {
        let (outputs, error, status) = match result {
            Ok(o) => (Some(o), None, RecordStatus::Ok),
            Err(e) => (None, Some(e), RecordStatus::Failed),
        };
        ResultRecord {
            format: RECORD_FORMAT,
            key: head.key.clone(),
            kind: head.components.kind.clone(),
            kind_version: head.components.kind_version,
            params: head.components.params.clone(),
            inputs: head.components.inputs.clone(),
            components: head.components.clone(),
            pipeline: head.pipeline.clone(),
            instance: head.instance.clone(),
            stage: head.stage.clone(),
            input_keys: head.input_keys.clone(),
            outputs,
            status,
            started,
            ended,
            duration: ended - started,
            host: host(),
            pid: std::process::id(),
            seqlab_version: SEQLAB_VERSION.to_string(),
            job: head.job.clone(),
            error,
        }
    }

    pub fn tree(&self) -> Option<&str> {
        self.outputs.as_ref().map(|o| o.tree.as_str())
    }
}

/// The `results/` directory of a cache.
pub struct Records {
    dir: PathBuf,
    /// Where records are written before being linked into place (the cache's
    /// `tmp/`, on the same file system).
    tmp: PathBuf,
}

fn shard(key: &str) -> &str {
    &key[..2.min(key.len())]
}

/// A unique suffix for file names: pid, time and a process-wide counter.
pub(crate) fn unique_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}-{}",
        std::process::id(),
        (now() * 1e6) as u64,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

impl Records {
    pub fn new(dir: PathBuf, tmp: PathBuf) -> Records {
        Records { dir, tmp }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self, key: &str) -> PathBuf {
        self.dir.join(shard(key)).join(format!("{key}.json"))
    }

    fn failed_path(&self, key: &str, attempt: &str) -> PathBuf {
        self.dir
            .join("failed")
            .join(shard(key))
            .join(format!("{key}.{attempt}.json"))
    }

    /// The success record of `key`, if there is one. A record that cannot be
    /// read (truncated by a full disk on a file system without atomic
    /// rename, say) counts as absent: the key runs again.
    pub fn read(&self, key: &str) -> Option<ResultRecord> {
        read_record(&self.path(key)).ok()
    }

    pub fn exists(&self, key: &str) -> bool {
        self.path(key).exists()
    }

    /// Store the record of a successful execution. If `key` has a record
    /// already (another process executed it too, after a lost lease), that one
    /// stays and is returned: the first result of a key is its result.
    pub(crate) fn write_ok(&self, record: &ResultRecord) -> anyhow::Result<ResultRecord> {
        anyhow::ensure!(record.status == RecordStatus::Ok, "not a success");
        let path = self.path(&record.key);
        match self.link_new(&path, record)? {
            true => Ok(record.clone()),
            false => match read_record(&path) {
                Ok(existing) => Ok(existing),
                // Unreadable: move it aside and store ours.
                Err(_) => {
                    self.move_aside(&record.key, "unreadable record")?;
                    self.link_new(&path, record)?;
                    Ok(record.clone())
                }
            },
        }
    }

    /// Store the record of a failed execution (history), named by `attempt`.
    pub(crate) fn write_failed(
        &self,
        record: &ResultRecord,
        attempt: &str,
    ) -> anyhow::Result<PathBuf> {
        let path = self.failed_path(&record.key, attempt);
        self.link_new(&path, record)?;
        Ok(path)
    }

    /// The failure record of `key` written by `attempt`, if any.
    pub(crate) fn read_failed(&self, key: &str, attempt: &str) -> Option<ResultRecord> {
        read_record(&self.failed_path(key, attempt)).ok()
    }

    /// Move the success record of `key` to `results/invalidated/` (verify
    /// found its outputs damaged, or they are gone), so the key runs again.
    /// Returns whether there was one.
    pub(crate) fn move_aside(&self, key: &str, why: &str) -> anyhow::Result<bool> {
        let path = self.path(key);
        if !path.exists() {
            return Ok(false);
        }
        let dest_dir = self.dir.join("invalidated").join(shard(key));
        std::fs::create_dir_all(&dest_dir)?;
        let dest = dest_dir.join(format!("{key}.{}.json", unique_suffix()));
        match std::fs::rename(&path, &dest) {
            Ok(()) => {
                tracing::debug!("result record of {key} moved aside: {why}");
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e).with_context(|| format!("moving {} aside", path.display())),
        }
    }

    /// Write `record` to a synced temp file and link it to `path`; `false`
    /// when `path` exists already (nothing is replaced).
    fn link_new(&self, path: &Path, record: &ResultRecord) -> anyhow::Result<bool> {
        let parent = path.parent().expect("records have a parent");
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
        std::fs::create_dir_all(&self.tmp)?;
        let tmp = self.tmp.join(format!(".record-{}", unique_suffix()));
        let result = (|| -> anyhow::Result<bool> {
            let mut f = std::fs::File::create(&tmp)
                .with_context(|| format!("creating {}", tmp.display()))?;
            f.write_all(&serde_json::to_vec_pretty(record)?)?;
            f.sync_all()?;
            drop(f);
            match std::fs::hard_link(&tmp, path) {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
                Err(e) => Err(e).with_context(|| format!("writing {}", path.display())),
            }
        })();
        let _ = std::fs::remove_file(&tmp);
        result
    }

    /// Every record under `results/` of one kind: success records
    /// (`Which::Ok`), failures, or invalidated ones. Unreadable files are
    /// returned as errors beside the good ones, never fatal.
    pub fn scan(&self, which: Which) -> (Vec<ResultRecord>, Vec<String>) {
        let root = match which {
            Which::Ok => self.dir.clone(),
            Which::Failed => self.dir.join("failed"),
            Which::Invalidated => self.dir.join("invalidated"),
        };
        let (mut out, mut bad) = (Vec::new(), Vec::new());
        let Ok(shards) = std::fs::read_dir(&root) else {
            return (out, bad);
        };
        for shard in shards.flatten() {
            let name = shard.file_name().to_string_lossy().into_owned();
            if name.len() != 2 || !shard.path().is_dir() {
                continue;
            }
            let Ok(files) = std::fs::read_dir(shard.path()) else {
                continue;
            };
            for f in files.flatten() {
                let p = f.path();
                if p.extension().is_some_and(|e| e == "json") {
                    match read_record(&p) {
                        Ok(r) => out.push(r),
                        Err(e) => bad.push(format!("{}: {e:#}", p.display())),
                    }
                }
            }
        }
        out.sort_by(|a, b| a.ended.total_cmp(&b.ended).then(a.key.cmp(&b.key)));
        (out, bad)
    }
}

/// Which records [`Records::scan`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Ok,
    Failed,
    Invalidated,
}

fn read_record(path: &Path) -> anyhow::Result<ResultRecord> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let r: ResultRecord = serde_json::from_slice(&bytes)
        .with_context(|| format!("parsing the result record {}", path.display()))?;
    anyhow::ensure!(
        r.format <= RECORD_FORMAT,
        "{} was written by a newer seqlab (record format {})",
        path.display(),
        r.format
    );
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::key::{KeyComponents, KEY_FORMAT};

    fn head(key: &str) -> RecordHead {
        RecordHead {
            key: key.into(),
            components: KeyComponents {
                format: KEY_FORMAT,
                kind: "command".into(),
                kind_version: 1,
                params: Default::default(),
                inputs: vec![],
                deps: Default::default(),
                settings: Default::default(),
            },
            pipeline: "p".into(),
            instance: "a".into(),
            stage: "a".into(),
            input_keys: vec![],
            job: "local".into(),
        }
    }

    fn outputs(tree: &str) -> Outputs {
        Outputs {
            tree: tree.into(),
            files: 1,
            bytes: 3,
        }
    }

    #[test]
    fn the_first_record_of_a_key_stays() {
        let dir = tempfile::tempdir().unwrap();
        let recs = Records::new(dir.path().join("results"), dir.path().join("tmp"));
        let key = "ab".repeat(32);
        assert!(recs.read(&key).is_none());
        let first = ResultRecord::new(&head(&key), 1.0, 2.0, Ok(outputs("t1")));
        let second = ResultRecord::new(&head(&key), 3.0, 4.0, Ok(outputs("t2")));
        assert_eq!(recs.write_ok(&first).unwrap().tree(), Some("t1"));
        assert_eq!(recs.write_ok(&second).unwrap().tree(), Some("t1"));
        assert_eq!(recs.read(&key).unwrap(), first);
        // No temp file is left behind.
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0
        );
        assert!(recs.move_aside(&key, "test").unwrap());
        assert!(recs.read(&key).is_none());
        assert_eq!(recs.scan(Which::Invalidated).0, vec![first]);
        assert_eq!(recs.write_ok(&second).unwrap().tree(), Some("t2"));
    }

    #[test]
    fn an_unreadable_record_is_replaced_and_reported_by_scan() {
        let dir = tempfile::tempdir().unwrap();
        let recs = Records::new(dir.path().join("results"), dir.path().join("tmp"));
        let key = "cd".repeat(32);
        std::fs::create_dir_all(recs.path(&key).parent().unwrap()).unwrap();
        std::fs::write(recs.path(&key), b"{\"format\": 1, \"ke").unwrap();
        let (ok, bad) = recs.scan(Which::Ok);
        assert!(ok.is_empty());
        assert_eq!(bad.len(), 1, "{bad:?}");
        let r = ResultRecord::new(&head(&key), 1.0, 2.0, Ok(outputs("t")));
        assert_eq!(recs.write_ok(&r).unwrap(), r);
        assert_eq!(recs.scan(Which::Ok).0, vec![r]);
    }

    #[test]
    fn failures_are_history_beside_the_results() {
        let dir = tempfile::tempdir().unwrap();
        let recs = Records::new(dir.path().join("results"), dir.path().join("tmp"));
        let key = "ef".repeat(32);
        let r = ResultRecord::new(&head(&key), 1.0, 2.0, Err("boom".into()));
        recs.write_failed(&r, "local-1").unwrap();
        assert!(recs.read(&key).is_none());
        assert_eq!(
            recs.read_failed(&key, "local-1").unwrap().error.unwrap(),
            "boom"
        );
        assert_eq!(recs.scan(Which::Failed).0.len(), 1);
        assert!(recs.scan(Which::Ok).0.is_empty());
    }
}
