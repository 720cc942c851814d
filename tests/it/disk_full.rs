//! A full disk (issue 15, item 10): the failing stage's own error is
//! reported and recorded, its temp directory is removed, and an index write
//! that fails too does not mask the stage's error.
//!
//! The disk is a 4 MiB tmpfs mounted in a private mount namespace
//! (`unshare -rm`); where the system does not allow one the test says so and
//! passes without checking anything.

use std::process::Command;

use crate::common::{Work, BIN};

/// Run `script` (sh) in a new user + mount namespace with `$T` a fresh 4 MiB
/// tmpfs; `None` when namespaces are not available here.
fn in_small_disk(w: &Work, script: &str) -> Option<String> {
    let mount_point = w.join("disk");
    std::fs::create_dir_all(&mount_point).unwrap();
    let probe = Command::new("unshare")
        .args(["-rm", "sh", "-c"])
        .arg(format!(
            "mount -t tmpfs -o size=4m tmpfs '{}' && umount '{}'",
            mount_point.display(),
            mount_point.display()
        ))
        .output();
    match probe {
        Ok(o) if o.status.success() => {}
        other => {
            eprintln!("SKIPPED: cannot mount a tmpfs in a private namespace here: {other:?}");
            return None;
        }
    }
    let full = format!(
        "set -u\nT='{}'\nmount -t tmpfs -o size=4m tmpfs \"$T\" || exit 99\nS() {{ '{}' --cache \"$T/cache\" -q \"$@\"; }}\n{script}",
        mount_point.display(),
        BIN
    );
    let out = Command::new("unshare")
        .args(["-rm", "sh", "-c", &full])
        .current_dir(w.path())
        .env_remove("SEQLAB_LOG")
        .output()
        .unwrap();
    let text = format!(
        "{}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the script failed:\n{text}");
    Some(text)
}

fn value<'a>(text: &'a str, key: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in:\n{text}"))
}

/// The stage fills the disk inside its own output directory: removing its
/// temp directory frees the space, so its failure is recorded with its own
/// message, and nothing of it stays behind.
#[test]
fn a_stage_that_fills_the_disk_fails_with_its_own_error() {
    let w = Work::new();
    w.write(
        "p.yaml",
        r#"name: fill
stages:
  fill:
    kind: command
    params: {cmd: [sh, -c, 'dd if=/dev/zero of=$SEQLAB_OUT/big bs=64k count=1000']}
  fine:
    kind: command
    params: {cmd: [sh, -c, 'echo ok > $SEQLAB_OUT/x']}
"#,
    );
    let Some(text) = in_small_disk(
        &w,
        r#"S log >/dev/null
S run p.yaml -j 1 > run.out 2> run.err; echo "RUN_EXIT=$?"
echo "TMP_LEFT=$(ls -A "$T/cache/tmp" | wc -l)"
echo "--- run"; cat run.out run.err
echo "--- log"; S log
S log --format json > log.json
"#,
    ) else {
        return;
    };
    assert_eq!(value(&text, "RUN_EXIT"), "1", "{text}");
    assert_eq!(value(&text, "TMP_LEFT"), "0", "{text}");
    let run = text.split("--- run").nth(1).unwrap();
    assert!(run.contains("No space left on device"), "{text}");
    assert!(!run.contains("database or disk is full"), "{text}");
    assert!(run.contains("1 executed, 0 cached, 1 failed"), "{text}");
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.join("log.json")).unwrap()).unwrap();
    let failed: Vec<&serde_json::Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{log:#}");
    assert_eq!(failed[0]["instance"], "fill");
    assert!(
        failed[0]["error"]
            .as_str()
            .unwrap()
            .contains("No space left on device"),
        "{log:#}"
    );
}

/// The stage fills the disk elsewhere, so the index cannot record anything
/// afterwards: the run still reports the stage's own error (and that the
/// record failed), exits 1 like any failed stage, and leaves no temp dir.
#[test]
fn an_index_write_failure_does_not_mask_the_stage_error() {
    let w = Work::new();
    w.write(
        "p.yaml",
        r#"name: fill
stages:
  fill:
    kind: command
    params: {cmd: [sh, -c, 'dd if=/dev/zero of=$SEQLAB_PARAM_DIR/big bs=64k count=1000']}
"#,
    );
    let Some(text) = in_small_disk(
        &w,
        r#"S log >/dev/null
mkdir "$T/fill"
S run p.yaml --set "fill.params.dir=$T/fill" > run.out 2> run.err; echo "RUN_EXIT=$?"
echo "TMP_LEFT=$(ls -A "$T/cache/tmp" | wc -l)"
echo "--- run"; cat run.out run.err
rm "$T/fill/big"
echo "--- after"; S verify
"#,
    ) else {
        return;
    };
    assert_eq!(value(&text, "RUN_EXIT"), "1", "{text}");
    assert_eq!(value(&text, "TMP_LEFT"), "0", "{text}");
    let run = text
        .split("--- run")
        .nth(1)
        .unwrap()
        .split("--- after")
        .next()
        .unwrap();
    assert!(run.contains("fill failed"), "{text}");
    assert!(run.contains("No space left on device"), "{text}");
    assert!(run.contains("could not record"), "{text}");
    let after = text.split("--- after").nth(1).unwrap();
    assert!(after.contains("0 damaged"), "{text}");
}
