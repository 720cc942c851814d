//! The Slurm executor on a real one-node cluster (`tools/slurm-up.sh`, which
//! `tools/test.sh` runs; it sets SEQLAB_TEST_SLURM). Without a cluster these
//! tests fail, unless SEQLAB_SKIP_SLURM=1 says to skip them.
//!
//! `sbatch`, `squeue` and `scancel` are reached through shims on PATH that
//! log every call (and the keys each submission carries) before running the
//! real command, so the tests count what the controller asks of Slurm.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use crate::common::{counts, start, with_state, Run, Work};

/// The tests take turns on the one node, so that none waits in the queue
/// behind another's jobs.
static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Whether the tests may use the cluster (with the turn on it held);
/// panics when it is missing and skipping was not asked for.
fn cluster() -> Option<std::sync::MutexGuard<'static, ()>> {
    if std::env::var_os("SEQLAB_TEST_SLURM").is_some() {
        return Some(TURN.lock().unwrap_or_else(|e| e.into_inner()));
    }
    if std::env::var("SEQLAB_SKIP_SLURM").as_deref() == Ok("1") {
        eprintln!("SEQLAB_SKIP_SLURM=1: skipping a Slurm test");
        return None;
    }
    panic!(
        "no Slurm cluster for the tests: run them through tools/test.sh, or start one with \
         `eval \"$(tools/slurm-up.sh)\"`; SEQLAB_SKIP_SLURM=1 skips these tests"
    );
}

/// A workspace whose `seqlab` commands see shims for the Slurm commands.
struct Cluster {
    w: Work,
    shims: PathBuf,
}

/// Fast polling for tests; a short grace (the file system is local).
const FAST: [&str; 6] = [
    "--slurm-poll",
    "0.3",
    "--slurm-poll-max",
    "2",
    "--slurm-grace",
    "2",
];

impl Cluster {
    fn new() -> Cluster {
        let w = Work::new();
        let shims = w.join("shims");
        std::fs::create_dir_all(&shims).unwrap();
        for cmd in ["sbatch", "squeue", "scancel"] {
            let real = which(cmd);
            let log = shims.join("calls.log");
            let keys = shims.join("keys.log");
            // sbatch also logs the key of every job file its submission runs.
            let extra = if cmd == "sbatch" {
                format!(
                    r#"for a in "$@"; do case "$a" in --wrap=*) dir=$(printf '%s' "$a" | sed -n "s/.*--batch '\([^']*\)'.*/\1/p");; esac; done
for f in "$dir"/*.json; do grep -o '"key":"[0-9a-f]*"' "$f" | head -n 1 >> '{}'; done
"#,
                    keys.display()
                )
            } else {
                String::new()
            };
            let script = format!(
                "#!/bin/sh\necho \"{cmd} $*\" >> '{}'\n{extra}exec '{}' \"$@\"\n",
                log.display(),
                real.display()
            );
            let path = shims.join(cmd);
            std::fs::write(&path, script).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        Cluster { w, shims }
    }

    fn command(&self, args: &[&str]) -> std::process::Command {
        let mut c = self.w.command(args);
        let path = std::env::var("PATH").unwrap_or_default();
        c.env("PATH", format!("{}:{path}", self.shims.display()));
        c
    }

    /// `seqlab ARGS` in the background, output captured.
    fn spawn(&self, args: &[&str]) -> Child {
        start(self.command(args), true)
    }

    /// `seqlab ARGS` in the background, output thrown away.
    fn spawn_quiet(&self, args: &[&str]) -> Child {
        start(self.command(args), false)
    }

    fn seqlab(&self, args: &[&str]) -> Run {
        let out = self.command(args).output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn run_slurm(&self, pipeline: &str, extra: &[&str]) -> Run {
        let mut args = vec!["run", pipeline, "--executor", "slurm"];
        args.extend_from_slice(&FAST);
        args.extend_from_slice(extra);
        self.seqlab(&args)
    }

    /// How often each Slurm command was called so far.
    fn calls(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for line in read(&self.shims.join("calls.log")).lines() {
            let cmd = line.split(' ').next().unwrap_or_default().to_string();
            *m.entry(cmd).or_default() += 1;
        }
        m
    }

    fn count(&self, cmd: &str) -> usize {
        self.calls().get(cmd).copied().unwrap_or(0)
    }

    /// Keys submitted so far, with how many times each.
    fn submitted_keys(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for line in read(&self.shims.join("keys.log")).lines() {
            *m.entry(line.to_string()).or_default() += 1;
        }
        m
    }
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

fn which(cmd: &str) -> PathBuf {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {cmd}"))
        .output()
        .unwrap();
    let p = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(!p.is_empty(), "{cmd} is not on PATH");
    PathBuf::from(p)
}

/// The `slurm: …` summary line: (sbatch, polls, squeue) as reported.
fn reported(r: &Run) -> (usize, usize, usize) {
    let line = r
        .stdout
        .lines()
        .find(|l| l.starts_with("slurm: "))
        .unwrap_or_else(|| panic!("no slurm line:\n{}", r.text()));
    let num = |word: &str| -> usize {
        line.split(&format!(" {word}"))
            .next()
            .unwrap()
            .rsplit(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    (num("sbatch calls"), num("polls"), num("squeue calls"))
}

/// Every output file's content hash, by instance and path, except
/// `timing.json` (wall-clock seconds: different on every run, local too).
fn contents(w: &Work, names: &[String]) -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    for n in names {
        for f in w.show(n)["files"].as_array().unwrap() {
            let path = f["path"].as_str().unwrap().to_string();
            if path != "timing.json" {
                out.insert((n.clone(), path), f["hash"].as_str().unwrap().to_string());
            }
        }
    }
    out
}

fn tree(w: &Work, name: &str) -> String {
    w.show(name)["outputs"].as_str().unwrap().to_string()
}

const QUICK_TINY: [&str; 8] = [
    "--set",
    "train.params.steps=40",
    "--set",
    "train.params.width=16",
    "--set",
    "data.params.test_size=200",
    "--set",
    "train.params.eval_every=20",
];

#[test]
fn quick_on_slurm_is_bit_identical_to_local_and_a_second_run_submits_nothing() {
    let Some(_turn) = cluster() else {
        return;
    };
    let quick = std::fs::canonicalize("pipelines/quick.yaml").unwrap();
    let quick = quick.to_str().unwrap();
    let local = Work::new();
    let mut args = vec!["run", quick];
    args.extend_from_slice(&QUICK_TINY);
    local.seqlab(&args).ok();
    let names: Vec<String> = local
        .status(quick, &QUICK_TINY)
        .into_iter()
        .map(|s| s.instance)
        .collect();
    assert_eq!(names.len(), 5);

    let c = Cluster::new();
    let r = c.run_slurm(quick, &QUICK_TINY);
    assert_eq!(r.code, 0, "{}", r.text());
    assert_eq!(r.summary(), counts(5, 0, 0, 0));
    // Whole trees for the data and the trainings; file by file (less the
    // wall-clock timings) for the evaluations.
    for n in names.iter().filter(|n| !n.starts_with("evaluate")) {
        assert_eq!(tree(&c.w, n), tree(&local, n), "{n}");
    }
    let (slurm, here) = (contents(&c.w, &names), contents(&local, &names));
    assert_eq!(slurm, here);
    assert!(slurm.len() > 10, "{slurm:?}");
    // Every result was produced by a Slurm job.
    for n in &names {
        let rec = c.w.show(n);
        let key = rec["key"].as_str().unwrap();
        let record: serde_json::Value = serde_json::from_str(&read(
            &c.w.cache()
                .join("results")
                .join(&key[..2])
                .join(format!("{key}.json")),
        ))
        .unwrap();
        assert!(
            record["job"].as_str().unwrap().starts_with("slurm "),
            "{record:#}"
        );
    }
    let (sbatch, _, squeue) = reported(&r);
    assert_eq!(sbatch, c.count("sbatch"));
    assert_eq!(squeue, c.count("squeue"));
    // data, then both trainings as one array, then the evaluations (one
    // array, or two jobs when the trainings end in different polls).
    assert!(
        (3..=4).contains(&sbatch),
        "{}",
        read(&c.shims.join("calls.log"))
    );

    let before = c.calls();
    let again = c.run_slurm(quick, &QUICK_TINY);
    assert_eq!(again.code, 0, "{}", again.text());
    assert_eq!(again.summary(), counts(0, 5, 0, 0));
    assert_eq!(c.calls(), before, "a cached run asked Slurm something");
}

#[test]
fn a_failing_stage_skips_its_descendants_and_the_run_fails() {
    let Some(_turn) = cluster() else {
        return;
    };
    let c = Cluster::new();
    c.w.write(
        "p.yaml",
        r#"name: fails
stages:
  bad:
    kind: command
    params: { cmd: [sh, -c, 'echo "the disk is on fire" >&2; exit 3'] }
  after:
    kind: command
    needs: [bad]
    params: { cmd: [sh, -c, 'true'] }
  good:
    kind: command
    params: { cmd: [sh, -c, 'echo fine > $SEQLAB_OUT/x'] }
"#,
    );
    let r = c.run_slurm("p.yaml", &[]);
    assert_eq!(r.code, 1, "{}", r.text());
    assert_eq!(r.summary(), counts(1, 0, 1, 1));
    assert!(r.stdout.contains("FAILED  bad"), "{}", r.text());
    assert!(r.stdout.contains("skipped after"), "{}", r.text());
    let log = c.w.seqlab(&["log", "bad", "--format", "json"]).ok().json();
    let error = log[0]["error"].as_str().unwrap();
    assert!(error.contains("exit"), "{error}");
    assert_eq!(log[0]["status"], "failed");
}

/// A stage that, on its first attempt only, writes its Slurm job id to
/// `mark` and sleeps (to be cancelled); later attempts finish at once.
fn sleeper(mark: &Path, retries: u32) -> String {
    format!(
        r#"name: sleepy
stages:
  nap:
    kind: command
    retries: {retries}
    params:
      cmd: [sh, -c, 'if [ ! -e {m} ]; then echo $SLURM_JOB_ID > {m}.tmp; mv {m}.tmp {m}; sleep 60; fi; echo rested > $SEQLAB_OUT/x']
"#,
        m = mark.display()
    )
}

/// Start a Slurm run of `pipeline`, wait for `mark`, `scancel` the job it
/// names, and return how the run ended.
fn cancel_first_attempt(c: &Cluster, mark: &Path) -> Run {
    let mut args = vec!["run", "p.yaml", "--executor", "slurm"];
    args.extend_from_slice(&FAST);
    let child = c.spawn(&args);
    let start = Instant::now();
    while !mark.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the job never started"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let job = read(mark).trim().to_string();
    let st = std::process::Command::new("scancel")
        .arg(&job)
        .status()
        .unwrap();
    assert!(st.success());
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn a_cancelled_job_is_reported_as_cancelled_or_retried() {
    let Some(_turn) = cluster() else {
        return;
    };
    // Without retries: the run fails and says the job was cancelled.
    let c = Cluster::new();
    let mark = c.w.join("started");
    c.w.write("p.yaml", &sleeper(&mark, 0));
    let r = cancel_first_attempt(&c, &mark);
    assert_eq!(r.code, 1, "{}", r.text());
    assert!(r.stdout.contains("FAILED  nap"), "{}", r.text());
    assert!(
        r.stdout.contains("was cancelled (CANCELLED)"),
        "{}",
        r.text()
    );
    // The worker gave its lease back on Slurm's SIGTERM (another node could
    // take the key at once, not after the lease expires).
    let leases: Vec<_> = std::fs::read_dir(c.w.cache().join("leases"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(leases.is_empty(), "{leases:?}");

    // With `retries: 1`: submitted again, and the run completes.
    let c = Cluster::new();
    let mark = c.w.join("started");
    c.w.write("p.yaml", &sleeper(&mark, 1));
    let r = cancel_first_attempt(&c, &mark);
    assert_eq!(r.code, 0, "{}", r.text());
    assert_eq!(r.summary(), counts(1, 0, 0, 0));
    assert!(
        r.stderr.contains("was cancelled (CANCELLED)") && r.stderr.contains("retry 1 of 1"),
        "{}",
        r.text()
    );
    assert_eq!(c.count("sbatch"), 2);
    assert!(r.stdout.contains("1 retried"), "{}", r.text());
}

#[test]
fn a_killed_controller_is_rerun_without_submitting_any_key_twice() {
    let Some(_turn) = cluster() else {
        return;
    };
    let c = Cluster::new();
    let log = c.w.join("executions.log");
    let values: Vec<String> = (1..=6).map(|i| i.to_string()).collect();
    c.w.write(
        "p.yaml",
        &format!(
            r#"name: slow
stages:
  step:
    kind: command
    matrix: {{i: [{}]}}
    params:
      cmd: [sh, -c, 'echo $SEQLAB_INSTANCE >> {log}; sleep 2; echo $SEQLAB_PARAM_I > $SEQLAB_OUT/x']
  next:
    kind: command
    needs: [step]
    params:
      cmd: [sh, -c, 'echo $SEQLAB_INSTANCE >> {log}; cp $SEQLAB_IN_STEP/x $SEQLAB_OUT/x']
"#,
            values.join(", "),
            log = log.display()
        ),
    );
    let mut args = vec!["run", "p.yaml", "--executor", "slurm"];
    args.extend_from_slice(&FAST);
    let mut child = c.spawn_quiet(&args);
    // Kill the controller once its first array is in the queue.
    let start = Instant::now();
    while c.count("sbatch") == 0 {
        assert!(start.elapsed() < Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: kill(2) on a child we spawned and have not reaped yet.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGKILL) };
    child.wait().unwrap();

    let r = c.run_slurm("p.yaml", &[]);
    assert_eq!(r.code, 0, "{}", r.text());
    let s = r.summary();
    assert_eq!(s.executed + s.cached, 12, "{}", r.text());
    // Every key was submitted once, across both controllers.
    let keys = c.submitted_keys();
    assert_eq!(keys.len(), 12, "{keys:?}");
    assert!(keys.values().all(|&n| n == 1), "submitted twice: {keys:?}");
    assert!(r.stdout.contains("adopted"), "{}", r.text());
    // And executed once.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for line in read(&log).lines() {
        *seen.entry(line.to_string()).or_default() += 1;
    }
    assert_eq!(seen.len(), 12, "{seen:?}");
    assert!(seen.values().all(|&n| n == 1), "executed twice: {seen:?}");
    let st = c.w.status("p.yaml", &[]);
    assert_eq!(with_state(&st, "cached").len(), 12);
}

#[test]
fn a_200_instance_sweep_uses_arrays_and_one_squeue_per_poll() {
    let Some(_turn) = cluster() else {
        return;
    };
    let c = Cluster::new();
    let values: Vec<String> = (1..=200).map(|i| i.to_string()).collect();
    c.w.write(
        "p.yaml",
        &format!(
            r#"name: sweep
stages:
  cell:
    kind: command
    matrix: {{i: [{}]}}
    params:
      cmd: [sh, -c, 'echo $SEQLAB_PARAM_I > $SEQLAB_OUT/x']
  total:
    kind: command
    gather: [cell]
    params:
      cmd: [sh, -c, 'cat $SEQLAB_IN_CELL/*/x | sort -n | tr "\n" " " > $SEQLAB_OUT/all']
"#,
            values.join(", ")
        ),
    );
    let r = c.run_slurm("p.yaml", &["--slurm-array-max", "64"]);
    assert_eq!(r.code, 0, "{}", r.text());
    assert_eq!(r.summary(), counts(201, 0, 0, 0));
    let expected: String = (1..=200).map(|i| format!("{i} ")).collect();
    assert_eq!(c.w.output("total", "all"), expected);
    let (sbatch, polls, squeue) = reported(&r);
    // 200 cells in arrays of at most 64 (4 submissions), then `total`.
    assert_eq!(sbatch, 5);
    assert_eq!(c.count("sbatch"), 5);
    assert_eq!(c.count("squeue"), squeue);
    // One squeue per poll, plus the one looking for an earlier run's jobs.
    assert!(
        squeue <= polls + 1,
        "{squeue} squeue calls in {polls} polls"
    );
    let keys = c.submitted_keys();
    assert_eq!(keys.len(), 201);
    assert_eq!(c.w.seqlab(&["verify"]).code, 0);
}

#[test]
fn status_shows_queued_and_running_instances_with_their_jobs() {
    let Some(_turn) = cluster() else {
        return;
    };
    let c = Cluster::new();
    let mark = c.w.join("started");
    c.w.write("p.yaml", &sleeper(&mark, 0));
    let mut args = vec!["run", "p.yaml", "--executor", "slurm"];
    args.extend_from_slice(&FAST);
    let child = c.spawn(&args);
    let start = Instant::now();
    while !mark.exists() {
        assert!(start.elapsed() < Duration::from_secs(120));
        std::thread::sleep(Duration::from_millis(100));
    }
    let job = read(&mark).trim().to_string();
    let st = c.w.status("p.yaml", &[]);
    assert_eq!(st[0].state, "running", "{st:?}");
    assert!(st[0].reason.contains(&format!("slurm {job}")), "{st:?}");
    std::process::Command::new("scancel")
        .arg(&job)
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn ctrl_c_cancels_the_runs_jobs_and_status_shows_them_queued() {
    let Some(_turn) = cluster() else {
        return;
    };
    let c = Cluster::new();
    c.w.write(
        "p.yaml",
        r#"name: later
stages:
  wait:
    kind: command
    params: { cmd: [sh, -c, 'echo done > $SEQLAB_OUT/x'] }
"#,
    );
    let mut args = vec!["run", "p.yaml", "--executor", "slurm"];
    args.extend_from_slice(&FAST);
    // Held in the queue for two minutes.
    args.push("--slurm-sbatch=--begin=now+120");
    let child = c.spawn(&args);
    let start = Instant::now();
    let job = loop {
        let st = c.w.status("p.yaml", &[]);
        if st[0].state == "queued" {
            break st[0].reason.trim_start_matches("slurm job ").to_string();
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{st:?}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let comment = std::process::Command::new("squeue")
        .args(["-h", "-j", &job, "-o", "%k"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&comment.stdout).starts_with("seqlab:"),
        "{comment:?}"
    );
    // SAFETY: kill(2) on a child we spawned and have not reaped yet.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let state = std::process::Command::new("squeue")
        .args(["-h", "--states=all", "-j", &job, "-o", "%T"])
        .output()
        .unwrap();
    let state = String::from_utf8_lossy(&state.stdout).trim().to_string();
    assert!(
        state.is_empty() || state == "CANCELLED",
        "job {job} is {state}"
    );
    assert!(c.count("scancel") >= 1);
}
