//! Shared helpers for the integration tests: a temporary workspace with its
//! own cache, and a way to drive the built `seqlab` binary inside it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_seqlab");

/// A temporary directory holding pipeline files and a `cache/` directory.
pub struct Work {
    pub dir: tempfile::TempDir,
}

/// The outcome of one `seqlab` invocation.
/// `c` started in the background, its output captured (`wait_with_output`) or
/// thrown away.
pub fn start(mut c: Command, capture: bool) -> Child {
    let out = || {
        if capture {
            Stdio::piped()
        } else {
            Stdio::null()
        }
    };
    c.stdout(out())
        .stderr(out())
        .spawn()
        .expect("seqlab starts")
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// stdout and stderr together, for messages.
    pub fn text(&self) -> String {
        format!(
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "seqlab failed:\n{}", self.text());
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.text()))
    }

    /// The counts of the closing `run` summary line.
    pub fn summary(&self) -> Summary {
        let line = self
            .stdout
            .lines()
            .rev()
            .find(|l| l.contains(" executed, "))
            .unwrap_or_else(|| panic!("no run summary:\n{}", self.text()));
        let num = |word: &str| -> usize {
            let before = line
                .split(&format!(" {word}"))
                .next()
                .unwrap_or_else(|| panic!("no `{word}` in {line}"));
            before
                .rsplit(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no count before `{word}` in {line}"))
        };
        Summary {
            executed: num("executed"),
            cached: num("cached"),
            failed: num("failed"),
            skipped: num("skipped"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub executed: usize,
    pub cached: usize,
    pub failed: usize,
    pub skipped: usize,
}

/// `(executed, cached, failed, skipped)` for terse assertions.
pub fn counts(executed: usize, cached: usize, failed: usize, skipped: usize) -> Summary {
    Summary {
        executed,
        cached,
        failed,
        skipped,
    }
}

/// One row of `status --format json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub instance: String,
    pub state: String,
    pub reason: String,
}

impl Work {
    pub fn new() -> Work {
        Work {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn cache(&self) -> PathBuf {
        self.join("cache")
    }

    /// Write `text` to `rel` (creating parent directories); returns the path.
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, text).unwrap();
        p
    }

    /// A `seqlab` command run in the workspace with its cache.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.current_dir(self.path())
            .arg("--cache")
            .arg(self.cache())
            .arg("-q")
            .args(args)
            .env_remove("SEQLAB_LOG")
            .env_remove("RUST_BACKTRACE");
        c
    }

    /// `seqlab ARGS` started in the background, its output captured (read it
    /// with `wait_with_output`).
    pub fn spawn(&self, args: &[&str]) -> Child {
        start(self.command(args), true)
    }

    /// `seqlab ARGS` started in the background, its output thrown away.
    pub fn spawn_quiet(&self, args: &[&str]) -> Child {
        start(self.command(args), false)
    }

    pub fn seqlab(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().expect("seqlab starts"))
    }

    pub fn run(&self, pipeline: &str, extra: &[&str]) -> Run {
        let mut args = vec!["run", pipeline];
        args.extend_from_slice(extra);
        self.seqlab(&args)
    }

    pub fn status(&self, pipeline: &str, extra: &[&str]) -> Vec<Status> {
        let mut args = vec!["status", pipeline, "--format", "json"];
        args.extend_from_slice(extra);
        let r = self.seqlab(&args).ok();
        parse_status(&r.json())
    }

    /// `show INSTANCE --format json`.
    pub fn show(&self, what: &str) -> Value {
        self.seqlab(&["show", what, "--format", "json"]).ok().json()
    }

    /// The content of output file `file` of `instance` (from its cached object).
    pub fn output(&self, instance: &str, file: &str) -> String {
        let p = self.show(instance);
        let f = p["files"]
            .as_array()
            .expect("files array")
            .iter()
            .find(|f| f["path"] == file)
            .unwrap_or_else(|| panic!("{instance} has no output {file}: {p:#}"));
        std::fs::read_to_string(f["object"].as_str().unwrap()).unwrap()
    }
}

pub fn parse_status(v: &Value) -> Vec<Status> {
    v.as_array()
        .expect("status is an array")
        .iter()
        .map(|r| Status {
            instance: r["instance"].as_str().expect("instance").to_string(),
            state: r["state"].as_str().expect("state").to_string(),
            reason: r["reason"].as_str().expect("reason").to_string(),
        })
        .collect()
}

/// Instance names in `rows` whose state is `state`, sorted.
pub fn with_state(rows: &[Status], state: &str) -> Vec<String> {
    let mut v: Vec<String> = rows
        .iter()
        .filter(|r| r.state == state)
        .map(|r| r.instance.clone())
        .collect();
    v.sort();
    v
}

/// Make every file and directory under `p` writable again (the cache stores
/// objects read-only), so the temp dir can be removed or an object edited.
pub fn make_writable(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::symlink_metadata(p) {
        let mode = meta.permissions().mode() | 0o200;
        let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode));
        if meta.is_dir() {
            if let Ok(rd) = std::fs::read_dir(p) {
                for e in rd.flatten() {
                    make_writable(&e.path());
                }
            }
        }
    }
}

impl Drop for Work {
    fn drop(&mut self) {
        make_writable(self.dir.path());
    }
}

/// A deterministic pseudo-random generator (xorshift64*) for test timings.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}
