//! Nothing a pipeline controls reaches outside the cache and the report
//! directory (issue 15, items 1–5): a report's `dir` cannot delete a
//! directory, a stage cannot make seqlab move, chmod or link outside files
//! into the store, matrix values never become path syntax, and a stage
//! cannot change the stored objects it reads.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{Run, Work, BIN};

/// `seqlab --cache CACHE -q ARGS` in the working directory `cwd`.
fn seqlab_in(cwd: &Path, cache: &Path, args: &[&str]) -> Run {
    let out = Command::new(BIN)
        .current_dir(cwd)
        .arg("--cache")
        .arg(cache)
        .arg("-q")
        .args(args)
        .env_remove("SEQLAB_LOG")
        .output()
        .expect("seqlab starts");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn report_pipeline(dir: &str) -> String {
    format!(
        "name: rep\nstages:\n  page:\n    kind: report\n    params: {{ dir: \"{dir}\", title: t }}\n"
    )
}

/// Every file under `dir` (relative paths, sorted).
fn listing(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(root: &Path, d: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Item 1: `dir: "."` emptied the working directory (the pipeline file
/// included) when the cache lived elsewhere.
#[test]
fn report_dir_cannot_be_the_working_directory() {
    let w = Work::new();
    let outside = Work::new();
    let ws = w.join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::write(ws.join("p.yaml"), report_pipeline(".")).unwrap();
    std::fs::write(ws.join("precious.txt"), "keep me\n").unwrap();
    let before = listing(&ws);
    let r = seqlab_in(&ws, &outside.cache(), &["run", "p.yaml"]);
    assert_ne!(r.code, 0, "{}", r.text());
    assert_eq!(listing(&ws), before, "the working directory was changed");
    assert_eq!(
        std::fs::read_to_string(ws.join("precious.txt")).unwrap(),
        "keep me\n"
    );
    let text = r.text();
    assert!(text.contains("working directory"), "{text}");
    assert!(text.contains("`dir`"), "{text}");
}

/// Item 1, the other places a report may not replace: the pipeline's own
/// directory, the cache or a directory holding it, and a non-empty directory
/// seqlab did not create. Each is refused before anything runs and nothing in
/// it changes. (`/` is refused too; that case is a unit test of the check, so
/// that a regression can never run `rm -rf /`.)
#[test]
fn report_dir_refuses_places_it_does_not_own() {
    let w = Work::new();
    w.write("sub/p.yaml", &report_pipeline("sub"));
    w.write("data/mine.csv", "1,2\n");
    let cases: [(&str, &str, &str); 3] = [
        ("sub/p.yaml", "sub", "pipeline"),
        ("cache", "cache", "cache"),
        ("data", "data", "did not create"),
    ];
    w.seqlab(&["log"]).ok(); // create the cache
    for (i, (_, dir, words)) in cases.iter().enumerate() {
        let file = format!("p{i}.yaml");
        w.write(&file, &report_pipeline(dir));
        let before = listing(w.path());
        let r = w.run(if i == 0 { "sub/p.yaml" } else { &file }, &[]);
        assert_ne!(r.code, 0, "dir {dir}: {}", r.text());
        assert!(r.text().contains(words), "dir {dir}: {}", r.text());
        assert!(r.text().contains("pick another"), "dir {dir}: {}", r.text());
        let after = listing(w.path());
        // The cache may gain its run record; nothing outside it changes.
        let outside = |l: &Vec<String>| -> Vec<String> {
            l.iter()
                .filter(|p| !p.starts_with("cache/"))
                .cloned()
                .collect()
        };
        assert_eq!(outside(&after), outside(&before), "dir {dir} changed files");
        // Nothing ran: the report instance has no execution.
        let log = w.seqlab(&["log", "--format", "json"]).ok().json();
        assert_eq!(log.as_array().unwrap().len(), 0, "dir {dir}: {log:#}");
    }
    assert_eq!(
        std::fs::read_to_string(w.join("data/mine.csv")).unwrap(),
        "1,2\n"
    );
}

/// What seqlab published itself it may replace; an empty directory it may fill.
#[test]
fn report_dir_republishes_its_own_and_fills_an_empty_one() {
    let w = Work::new();
    w.write("p.yaml", &report_pipeline("out/page"));
    w.run("p.yaml", &[]).ok();
    assert!(w.join("out/page/index.html").is_file());
    // A second run (cached) publishes again over its own directory.
    w.run("p.yaml", &[]).ok();
    assert!(w.join("out/page/index.html").is_file());
    std::fs::create_dir_all(w.join("empty")).unwrap();
    w.write("q.yaml", &report_pipeline("empty"));
    w.run("q.yaml", &[]).ok();
    assert!(w.join("empty/index.html").is_file());
}

fn victim(w: &Work) -> PathBuf {
    let v = w.join("victim");
    std::fs::create_dir_all(&v).unwrap();
    std::fs::write(v.join("a.txt"), "alpha\n").unwrap();
    std::fs::write(v.join("b.txt"), "beta\n").unwrap();
    std::fs::set_permissions(v.join("b.txt"), std::fs::Permissions::from_mode(0o600)).unwrap();
    v
}

/// Item 2: a stage that replaces `$SEQLAB_OUT` by a symbolic link to another
/// directory had that directory's files moved into the cache.
#[test]
fn replaced_output_root_is_refused_and_its_target_untouched() {
    let w = Work::new();
    let v = victim(&w);
    w.write(
        "p.yaml",
        &format!(
            r#"name: evil
stages:
  swap:
    kind: command
    params:
      cmd: [sh, -c, 'rmdir "$SEQLAB_OUT" && ln -s "$SEQLAB_PARAM_VICTIM" "$SEQLAB_OUT"']
      victim: {}
"#,
            v.display()
        ),
    );
    let r = w.run("p.yaml", &[]);
    assert_eq!(r.code, 1, "{}", r.text());
    assert!(
        r.text().contains("output directory") && r.text().contains("replaced"),
        "{}",
        r.text()
    );
    assert_eq!(std::fs::read_to_string(v.join("a.txt")).unwrap(), "alpha\n");
    assert_eq!(std::fs::read_to_string(v.join("b.txt")).unwrap(), "beta\n");
    let mode = std::fs::metadata(v.join("b.txt"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(w.seqlab(&["verify"]).code, 0);
}

/// Item 2, the rest of the walk: symbolic links and special files inside the
/// outputs are refused with a message naming them.
#[test]
fn symlinks_and_fifos_in_outputs_are_refused() {
    let w = Work::new();
    let v = victim(&w);
    w.write(
        "p.yaml",
        &format!(
            r#"name: odd
stages:
  link:
    kind: command
    params:
      cmd: [sh, -c, 'ln -s "$SEQLAB_PARAM_VICTIM" "$SEQLAB_OUT/v"']
      victim: {}
  fifo:
    kind: command
    params:
      cmd: [sh, -c, 'mkfifo "$SEQLAB_OUT/pipe"']
"#,
            v.display()
        ),
    );
    let r = w.run("p.yaml", &[]);
    assert_eq!(r.code, 1, "{}", r.text());
    assert!(r.text().contains("`v` is a symbolic link"), "{}", r.text());
    assert!(
        r.text().contains("`pipe` is not a regular file"),
        "{}",
        r.text()
    );
    assert_eq!(listing(&v), vec!["a.txt", "b.txt"]);
}

/// Item 3: a hard link to an outside file was taken into the store as is: the
/// outside file became read-only for everyone, and editing it later damaged
/// the cache. Now the content is copied.
#[test]
fn hard_linked_output_is_copied_not_adopted() {
    let w = Work::new();
    let secret = w.join("secret.txt");
    std::fs::write(&secret, "top secret\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let ino = std::fs::metadata(&secret).unwrap().ino();
    w.write(
        "p.yaml",
        &format!(
            r#"name: link
stages:
  grab:
    kind: command
    params:
      cmd: [sh, -c, 'ln "$SEQLAB_PARAM_SECRET" "$SEQLAB_OUT/s.txt"']
      secret: {}
"#,
            secret.display()
        ),
    );
    w.run("p.yaml", &[]).ok();
    let meta = std::fs::metadata(&secret).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600, "mode changed");
    assert_eq!(meta.ino(), ino);
    assert_eq!(
        meta.nlink(),
        1,
        "the store keeps no link to the outside file"
    );
    assert_eq!(w.output("grab", "s.txt"), "top secret\n");
    // Editing the outside file no longer reaches the cache.
    std::fs::write(&secret, "changed\n").unwrap();
    let v = w.seqlab(&["verify"]);
    assert_eq!(v.code, 0, "{}", v.text());
    assert_eq!(w.output("grab", "s.txt"), "top secret\n");
}

/// Item 4: matrix values with `../` and `/` became directory names under a
/// gathering stage's inputs: one overwrote a file outside the cache and the
/// gathering stage saw 2 of its 4 inputs.
#[test]
fn matrix_values_never_become_path_syntax() {
    let w = Work::new();
    let v = w.join("victim");
    std::fs::create_dir_all(&v).unwrap();
    std::fs::write(v.join("out.txt"), "original\n").unwrap();
    // Enough `..` to reach `/` from anywhere, then the victim's absolute path.
    let escape = format!(
        "{}{}",
        "../".repeat(40),
        v.display().to_string().trim_start_matches('/')
    );
    w.write(
        "p.yaml",
        &format!(
            r#"name: labels
stages:
  make:
    kind: command
    matrix: {{ v: [plain, "{escape}", "a/b", "%2F"] }}
    params: {{ cmd: [sh, -c, 'printf "%s\n" "$SEQLAB_PARAM_V" > $SEQLAB_OUT/out.txt'] }}
  all:
    kind: command
    gather: [make]
    params:
      cmd: [sh, -c, 'ls "$SEQLAB_IN_MAKE" | wc -l | tr -d " " > $SEQLAB_OUT/n; cat "$SEQLAB_IN_MAKE"/*/out.txt | sort > $SEQLAB_OUT/all']
"#
        ),
    );
    w.run("p.yaml", &[]).ok();
    assert_eq!(
        std::fs::read_to_string(v.join("out.txt")).unwrap(),
        "original\n"
    );
    assert_eq!(listing(&v), vec!["out.txt"]);
    assert_eq!(w.output("all", "n"), "4\n");
    let mut expected = ["plain", escape.as_str(), "a/b", "%2F"];
    expected.sort();
    let expected: String = expected.iter().map(|s| format!("{s}\n")).collect();
    assert_eq!(w.output("all", "all"), expected);
}

/// Why-item 5: inputs are hard links to the stored objects, so a stage
/// running as root could append to its upstream's object; the next run
/// reported everything cached. Now the stage fails, and the damaged object is
/// never reused: the upstream runs again and its object is as it was.
#[test]
fn a_stage_cannot_change_its_input_objects() {
    let w = Work::new();
    let tamper = r#"name: tamper
stages:
  up:
    kind: command
    params: { cmd: [sh, -c, 'echo hello > $SEQLAB_OUT/f.txt; mkdir $SEQLAB_OUT/d; echo deep > $SEQLAB_OUT/d/g.txt'] }
  down:
    kind: command
    needs: [up]
    params: { cmd: [sh, -c, 'echo x >> "$SEQLAB_IN_UP/f.txt"; echo y > "$SEQLAB_IN_UP/d/g.txt"; echo done > $SEQLAB_OUT/d'] }
"#;
    w.write("p.yaml", tamper);
    let r = w.run("p.yaml", &[]);
    assert_eq!(r.code, 1, "{}", r.text());
    assert!(r.text().contains("down"), "{}", r.text());
    // Whatever happened, the cache holds no changed object.
    let v = w.seqlab(&["verify"]);
    assert_eq!(v.code, 0, "{}", v.text());
    // A well-behaved consumer now sees the upstream's original bytes.
    w.write(
        "p.yaml",
        &tamper.replace(
            r#"echo x >> "$SEQLAB_IN_UP/f.txt"; echo y > "$SEQLAB_IN_UP/d/g.txt"; echo done > $SEQLAB_OUT/d"#,
            r#"cat "$SEQLAB_IN_UP/f.txt" "$SEQLAB_IN_UP/d/g.txt" > $SEQLAB_OUT/d"#,
        ),
    );
    w.run("p.yaml", &[]).ok();
    assert_eq!(w.output("up", "f.txt"), "hello\n");
    assert_eq!(w.output("down", "d"), "hello\ndeep\n");
    assert_eq!(w.seqlab(&["verify"]).code, 0);
}
