//! A `seqlab run` killed at any moment leaves a cache that verifies clean and
//! that the next run completes; a damaged object is found by `verify` and
//! redone by the next run.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use crate::common::{counts, with_state, Rng, Work};

const N: usize = 40;

/// 40 instances, each sleeping a pseudo-random 10-50 ms (from `a`, `b`)
/// then writing two files, and one instance gathering them all.
fn crash_pipeline(a: u64, b: u64) -> String {
    let values: Vec<String> = (1..=N).map(|i| i.to_string()).collect();
    format!(
        r#"name: crash
stages:
  work:
    kind: command
    matrix: {{i: [{}]}}
    params:
      cmd: [sh, -c, 'sleep 0.0$(( 10 + ($SEQLAB_PARAM_I * {a} + {b}) % 41 )); echo $SEQLAB_PARAM_I > $SEQLAB_OUT/x; mkdir $SEQLAB_OUT/sub; seq 1 $SEQLAB_PARAM_I > $SEQLAB_OUT/sub/seq']
  total:
    kind: command
    gather: [work]
    params: {{cmd: [sh, -c, 'cat $SEQLAB_IN_WORK/*/x | sort -n | tr "\n" " " > $SEQLAB_OUT/all']}}
"#,
        values.join(", ")
    )
}

#[test]
fn sigkill_at_random_moments_never_damages_the_cache() {
    let w = Work::new();
    let mut rng = Rng(0x5eed_1ab5);
    let (a, b) = (rng.range(3, 97), rng.range(0, 40));
    w.write("crash.yaml", &crash_pipeline(a, b));
    let mut completed_before = 0;
    for round in 0..3 {
        let delay = Duration::from_millis(rng.range(20, 400));
        let mut child = w.spawn_quiet(&["run", "crash.yaml", "-j", "2"]);
        let start = Instant::now();
        std::thread::sleep(delay);
        // SAFETY: kill(2) on a child we spawned and have not reaped yet.
        let rc = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGKILL) };
        assert_eq!(rc, 0, "kill failed");
        let status = child.wait().unwrap();
        let killed = std::os::unix::process::ExitStatusExt::signal(&status) == Some(9);
        eprintln!(
            "round {round}: killed after {:?} (by the signal: {killed})",
            start.elapsed()
        );
        // Let the orphaned `sh` children of the killed run finish writing
        // into their (abandoned) temp dirs.
        std::thread::sleep(Duration::from_millis(60));

        let v = w.seqlab(&["verify"]);
        assert_eq!(v.code, 0, "verify after kill {round}:\n{}", v.text());
        assert!(
            v.stdout.contains("0 damaged, 0 output trees incomplete"),
            "{}",
            v.text()
        );

        // Whatever is cached is complete and correct.
        let st = w.status("crash.yaml", &[]);
        assert_eq!(st.len(), N + 1);
        let cached = with_state(&st, "cached");
        assert!(
            cached.len() >= completed_before,
            "cached results were lost: {} < {completed_before}",
            cached.len()
        );
        completed_before = cached.len();
        eprintln!("  {} of {} instances cached", cached.len(), N + 1);
        for name in cached.iter().filter(|n| n.starts_with("work[")) {
            let i: usize = name["work[i=".len()..name.len() - 1].parse().unwrap();
            assert_eq!(w.output(name, "x"), format!("{i}\n"));
            let seq: String = (1..=i).map(|k| format!("{k}\n")).collect();
            assert_eq!(w.output(name, "sub/seq"), seq);
        }
        for r in &st {
            assert!(
                r.state == "cached" || r.state == "never-run",
                "unexpected state after a kill: {r:?}"
            );
        }
    }

    let r = w.run("crash.yaml", &["-j", "2"]).ok();
    let s = r.summary();
    assert_eq!(s.failed + s.skipped, 0);
    assert_eq!(s.executed + s.cached, N + 1);
    assert_eq!(s.cached, completed_before);
    let st = w.status("crash.yaml", &[]);
    assert_eq!(with_state(&st, "cached").len(), N + 1, "{st:?}");
    let expected: String = (1..=N).map(|i| format!("{i} ")).collect();
    assert_eq!(w.output("total", "all"), expected);
    assert_eq!(w.seqlab(&["verify"]).code, 0);
    // Stale temp dirs of the killed runs are collectable; objects are all live.
    let gc = w.seqlab(&["gc"]).ok();
    assert!(gc.stdout.starts_with("removed "), "{}", gc.stdout);
    assert!(std::fs::read_dir(w.cache().join("tmp"))
        .unwrap()
        .next()
        .is_none());
    assert_eq!(
        w.run("crash.yaml", &[]).ok().summary(),
        counts(0, N + 1, 0, 0)
    );
}

const SMALL: &str = r#"name: small
stages:
  make:
    kind: command
    matrix: {i: [1, 2, 3]}
    params: {cmd: [sh, -c, 'echo made-$SEQLAB_PARAM_I > $SEQLAB_OUT/x']}
  down:
    kind: command
    needs: [make]
    params: {cmd: [sh, -c, 'echo down-$(cat $SEQLAB_IN_MAKE/x) > $SEQLAB_OUT/y']}
"#;

#[test]
fn a_flipped_byte_is_found_quarantined_and_redone() {
    let w = Work::new();
    w.write("s.yaml", SMALL);
    assert_eq!(w.run("s.yaml", &[]).ok().summary(), counts(6, 0, 0, 0));
    assert_eq!(w.seqlab(&["verify"]).ok().code, 0);

    let show = w.show("make[i=2]");
    let tree = show["outputs"].as_str().unwrap().to_string();
    let file = &show["files"][0];
    assert_eq!(file["path"], "x");
    let hash = file["hash"].as_str().unwrap().to_string();
    let object = std::path::PathBuf::from(file["object"].as_str().unwrap());
    let mode = std::fs::metadata(&object).unwrap().permissions().mode();
    assert_eq!(mode & 0o222, 0, "objects are stored read-only");

    std::fs::set_permissions(&object, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut bytes = std::fs::read(&object).unwrap();
    assert_eq!(bytes, b"made-2\n");
    bytes[0] ^= 0x01;
    std::fs::File::create(&object)
        .unwrap()
        .write_all(&bytes)
        .unwrap();

    let v = w.seqlab(&["verify"]);
    assert_eq!(v.code, 1, "{}", v.text());
    assert!(
        v.stdout.contains(&format!("DAMAGED object {hash}")),
        "{}",
        v.text()
    );
    assert!(
        v.stdout.contains(&format!("INCOMPLETE output tree {tree}")),
        "{}",
        v.text()
    );
    // make[i=2], and down[i=2] built on its outputs (damage propagates).
    assert!(
        v.stdout
            .contains("1 damaged, 1 output trees incomplete, 2 cache entries invalidated"),
        "{}",
        v.text()
    );
    assert!(!object.exists(), "the damaged object is moved aside");
    assert!(w.cache().join("quarantine").join(&hash).exists());

    let vj = w.seqlab(&["verify", "--format", "json"]).ok().json();
    assert_eq!(
        vj["damaged"].as_array().unwrap().len(),
        0,
        "already quarantined"
    );

    // Status predicts the invalidated instance and (not knowing it will
    // rerun to the same bytes) its consumer.
    let st = w.status("s.yaml", &[]);
    let not_cached: Vec<&str> = st
        .iter()
        .filter(|r| r.state != "cached")
        .map(|r| r.instance.as_str())
        .collect();
    assert_eq!(not_cached, vec!["make[i=2]", "down[i=2]"], "{st:?}");
    assert_eq!(st[4].reason, "input make[i=2] will run");

    let r = w.run("s.yaml", &[]).ok();
    assert_eq!(r.summary(), counts(2, 4, 0, 0));
    let log = w
        .seqlab(&["log", "--format", "json", "-n", "2"])
        .ok()
        .json();
    assert_eq!(log[0]["instance"], "down[i=2]");
    assert_eq!(log[1]["instance"], "make[i=2]");
    assert_eq!(log[1]["status"], "ok");
    assert_eq!(std::fs::read(&object).unwrap(), b"made-2\n");
    assert_eq!(w.output("down[i=2]", "y"), "down-made-2\n");

    let v = w.seqlab(&["verify"]);
    assert_eq!(v.code, 0, "{}", v.text());
    assert!(v.stdout.contains("0 damaged"), "{}", v.text());
}

#[test]
fn a_deleted_object_is_reported_and_redone() {
    let w = Work::new();
    w.write("s.yaml", SMALL);
    w.run("s.yaml", &[]).ok();
    let show = w.show("down[i=3]");
    let object = show["files"][0]["object"].as_str().unwrap().to_string();
    std::fs::remove_file(&object).unwrap();
    let v = w.seqlab(&["verify"]);
    assert_eq!(v.code, 1, "{}", v.text());
    assert!(v.stdout.contains("INCOMPLETE output tree"), "{}", v.text());
    assert_eq!(w.run("s.yaml", &[]).ok().summary(), counts(1, 5, 0, 0));
    assert_eq!(w.seqlab(&["verify"]).code, 0);
}

/// An entry `verify` invalidated did run before: `status` should say its
/// outputs are damaged, not that it never ran (`why_run` has that message,
/// but `last_of_instance(.., ok_only)` no longer sees the `damaged` row).
#[test]
fn status_names_damage_as_the_reason_after_verify() {
    let w = Work::new();
    w.write("s.yaml", SMALL);
    w.run("s.yaml", &[]).ok();
    let object = w.show("make[i=1]")["files"][0]["object"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::set_permissions(&object, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(&object, b"tampered\n").unwrap();
    assert_eq!(w.seqlab(&["verify"]).code, 1);
    let st = w.status("s.yaml", &[]);
    assert_eq!(st[0].instance, "make[i=1]");
    assert_eq!(st[0].state, "stale", "{st:?}");
    assert!(st[0].reason.contains("damaged"), "{st:?}");
}
