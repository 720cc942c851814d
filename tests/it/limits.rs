//! Bad input never panics, aborts or hangs (issue 15, items 9 and 11):
//! nesting depth, file size, number of stages and of instances are limited
//! with clear errors given before the work they would cause, planning is
//! linear in the instances, and param names that would collide (or hold NUL
//! bytes) as environment variables are refused naming the param.

use std::process::{Child, Stdio};
use std::time::Duration;

use crate::common::{Run, Work};
use crate::watchdog;

/// A hang detector, not a speed target: every case here is answered in well
/// under a second; 10 s of CPU time means the engine is stuck (the issue's
/// threshold; CPU time, so a busy machine does not count against it).
const HANG: Duration = Duration::from_secs(10);
const WALL: Duration = Duration::from_secs(120);

/// Wait for `child` under the [`HANG`] watchdog; `None` when it hung.
fn wait_bounded(mut child: Child) -> Option<Run> {
    match watchdog::wait(&mut child, HANG, WALL) {
        watchdog::Ended::Hung { .. } => None,
        watchdog::Ended::Exited(_) => {
            let out = child.wait_with_output().unwrap();
            Some(Run {
                code: out.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            })
        }
    }
}

/// `seqlab ARGS` in `w`, bounded by [`HANG`]; panics if it hung. Output goes
/// to files, not pipes, so a large output cannot block the child.
fn bounded(w: &Work, args: &[&str]) -> Run {
    let (out, err) = (w.join("stdout.txt"), w.join("stderr.txt"));
    let child = w
        .command(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let mut r = wait_bounded(child)
        .unwrap_or_else(|| panic!("`seqlab {}` ran over {HANG:?} of CPU time", args.join(" ")));
    r.stdout = std::fs::read_to_string(&out).unwrap_or_default();
    r.stderr = std::fs::read_to_string(&err).unwrap_or_default();
    r
}

/// A spec error: exit 2, no panic, each fragment in the message.
fn refused(r: &Run, fragments: &[&str]) {
    assert_eq!(r.code, 2, "{}", r.text());
    assert!(!r.text().contains("panicked"), "{}", r.text());
    for f in fragments {
        assert!(r.text().contains(f), "expected `{f}` in:\n{}", r.text());
    }
}

const HEAD: &str = "name: lim\nstages:\n";

/// A mapping key inside `params` (`? [x, y] : z`) panicked at
/// `src/plan/expand.rs:65` when another stage gathered the stage.
#[test]
fn complex_key_in_gathered_params_is_an_error_not_a_panic() {
    let w = Work::new();
    w.write(
        "p.yaml",
        &format!(
            "{HEAD}  a:\n    kind: command\n    params:\n      cmd: [true]\n      ? [x, y]\n      : z\n  b:\n    kind: command\n    gather: [a]\n    params: {{cmd: [true]}}\n"
        ),
    );
    let r = bounded(&w, &["dag", "p.yaml"]);
    refused(&r, &["stages.a.params", "keys must be strings"]);
    // The same with `needs`.
    w.write(
        "q.yaml",
        &format!(
            "{HEAD}  a:\n    kind: command\n    params:\n      cmd: [true]\n      ? {{k: 1}}\n      : z\n  b:\n    kind: command\n    needs: [a]\n    params: {{cmd: [true]}}\n"
        ),
    );
    refused(&bounded(&w, &["dag", "q.yaml"]), &["keys must be strings"]);
}

/// 100,000-deep nesting in a 200 KB file took 36 s (quadratic in the
/// depth) before "recursion limit exceeded"; now it is refused at once,
/// naming the line.
#[test]
fn deep_nesting_is_refused_quickly() {
    let w = Work::new();
    let n = 100_000;
    let flow = format!(
        "{HEAD}  a:\n    kind: command\n    params:\n      cmd: [true]\n      deep: {}{}\n",
        "[".repeat(n),
        "]".repeat(n)
    );
    w.write("flow.yaml", &flow);
    refused(
        &bounded(&w, &["dag", "flow.yaml"]),
        &["flow.yaml:7:", "nested deeper than"],
    );
    let braces = format!(
        "{HEAD}  a:\n    kind: command\n    params:\n      cmd: [true]\n      deep: {}{}\n",
        "{a: ".repeat(n),
        "}".repeat(n)
    );
    w.write("braces.yaml", &braces);
    refused(
        &bounded(&w, &["dag", "braces.yaml"]),
        &["nested deeper than"],
    );
    // Block sequences nest without indentation: `- - - - x`.
    let block = format!(
        "{HEAD}  a:\n    kind: command\n    params:\n      cmd: [true]\n      deep:\n        {}x\n",
        "- ".repeat(n)
    );
    w.write("block.yaml", &block);
    refused(
        &bounded(&w, &["dag", "block.yaml"]),
        &["nested deeper than"],
    );
    // Ordinary nesting passes the loader (the `command` kind then says its
    // extra params must be scalars).
    w.write(
        "ok.yaml",
        &format!(
            "{HEAD}  a:\n    kind: command\n    params:\n      cmd: [true]\n      deep: {}1{}\n",
            "[".repeat(20),
            "]".repeat(20)
        ),
    );
    let r = bounded(&w, &["dag", "ok.yaml"]);
    refused(&r, &["stages.a.params.deep: must be a string"]);
    assert!(!r.text().contains("nested deeper"), "{}", r.text());
}

/// A 10 MB file with 120k stages took 73 s; it is refused before it is read.
#[test]
fn huge_files_and_too_many_stages_are_refused() {
    let w = Work::new();
    let mut text = String::from(HEAD);
    let mut i = 0;
    while text.len() < 10_000_000 {
        text.push_str(&format!(
            "  s{i}:\n    kind: command\n    params: {{cmd: [echo, {i}]}}\n    description: padding padding padding\n"
        ));
        i += 1;
    }
    w.write("big.yaml", &text);
    refused(
        &bounded(&w, &["dag", "big.yaml"]),
        &["big.yaml", "larger than"],
    );
    // Under the size limit but over the stage limit.
    let mut text = String::from(HEAD);
    for i in 0..12_000 {
        text.push_str(&format!(
            "  s{i}: {{kind: command, params: {{cmd: [true]}}}}\n"
        ));
    }
    w.write("many.yaml", &text);
    refused(
        &bounded(&w, &["dag", "many.yaml"]),
        &["12000 stages", "at most"],
    );
}

/// A matrix of 10⁹ cells aborted the process (`memory allocation of
/// 471859200 bytes failed`); the count is checked before any cell is built.
#[test]
fn huge_matrices_are_refused_before_expansion() {
    let w = Work::new();
    let axes: String = (0..9)
        .map(|k| format!("a{k}: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "))
        .collect();
    w.write(
        "m.yaml",
        &format!(
            "{HEAD}  a:\n    kind: command\n    matrix: {{{axes}}}\n    params: {{cmd: [true]}}\n"
        ),
    );
    refused(
        &bounded(&w, &["dag", "m.yaml"]),
        &["stages.a", "1000000000 instances", "--max-instances"],
    );
    // Fan-out multiplies too: 1000 × 1000 through `needs`.
    let thousand: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
    w.write(
        "n.yaml",
        &format!(
            "{HEAD}  a:\n    kind: command\n    matrix: {{i: [{0}]}}\n    params: {{cmd: [true]}}\n  b:\n    kind: command\n    needs: [a]\n    matrix: {{j: [{0}]}}\n    params: {{cmd: [true]}}\n",
            thousand.join(", ")
        ),
    );
    refused(
        &bounded(&w, &["dag", "n.yaml"]),
        &["stages.b", "1000000 instances"],
    );
    // The limit is the user's to raise.
    let small: Vec<String> = (0..300).map(|i| i.to_string()).collect();
    w.write(
        "s.yaml",
        &format!(
            "{HEAD}  a:\n    kind: command\n    matrix: {{i: [{}]}}\n    params: {{cmd: [true]}}\n",
            small.join(", ")
        ),
    );
    assert_eq!(bounded(&w, &["dag", "s.yaml"]).code, 0);
    refused(
        &bounded(&w, &["dag", "s.yaml", "--max-instances", "100"]),
        &["300 instances", "at most 100"],
    );
}

/// Gathering used to compare every instance with every upstream instance:
/// planning was quadratic. 20,000 cells each gathering its one match plan at
/// once now.
#[test]
fn planning_is_linear_in_the_instances() {
    let w = Work::new();
    let n: Vec<String> = (0..20_000).map(|i| i.to_string()).collect();
    w.write(
        "g.yaml",
        &format!(
            "{HEAD}  a:\n    kind: command\n    matrix: {{i: [{0}]}}\n    params: {{cmd: [true]}}\n  b:\n    kind: command\n    needs: [a]\n    params: {{cmd: [true]}}\n  c:\n    kind: command\n    gather: [b]\n    matrix: {{i: [{0}]}}\n    params: {{cmd: [true]}}\n",
            n.join(", ")
        ),
    );
    let r = bounded(&w, &["dag", "g.yaml"]);
    assert_eq!(r.code, 0, "{}", &r.stderr);
    assert!(r.stdout.contains("c[i=19999]"), "{}", &r.stdout[..200]);
}

/// Param names that differ only in `-` and `_` mapped to one variable,
/// silently dropping one.
#[test]
fn params_mapping_to_one_environment_variable_are_refused() {
    let w = Work::new();
    w.write(
        "p.yaml",
        &format!("{HEAD}  a:\n    kind: command\n    params:\n      cmd: [true]\n      a-b: 1\n      a_b: 2\n"),
    );
    refused(
        &bounded(&w, &["run", "p.yaml"]),
        &["`a-b`", "`a_b`", "SEQLAB_PARAM_A_B"],
    );
    // A matrix axis counts as a param.
    w.write(
        "q.yaml",
        &format!("{HEAD}  a:\n    kind: command\n    matrix: {{x-y: [1]}}\n    params:\n      cmd: [true]\n      x_y: 2\n"),
    );
    refused(&bounded(&w, &["run", "q.yaml"]), &["SEQLAB_PARAM_X_Y"]);
}

/// A NUL byte in a param gave "cannot start `true` (is it installed and on
/// PATH?)".
#[test]
fn nul_bytes_in_params_are_refused_naming_the_param() {
    let w = Work::new();
    w.write(
        "p.yaml",
        &format!("{HEAD}  a:\n    kind: command\n    params:\n      cmd: [true]\n      label: \"a\\0b\"\n"),
    );
    let r = bounded(&w, &["run", "p.yaml"]);
    refused(&r, &["`label`", "NUL"]);
    assert!(!r.text().contains("cannot start"), "{}", r.text());
    w.write(
        "q.yaml",
        &format!("{HEAD}  a:\n    kind: command\n    params:\n      cmd: [echo, \"x\\0y\"]\n"),
    );
    refused(&bounded(&w, &["run", "q.yaml"]), &["`cmd`", "NUL"]);
    w.write(
        "r.yaml",
        &format!("{HEAD}  a:\n    kind: command\n    matrix: {{v: [\"1\\0\"]}}\n    params:\n      cmd: [true]\n"),
    );
    refused(&bounded(&w, &["run", "r.yaml"]), &["`v`", "NUL"]);
}

/// The hang detector itself: a busy child is stopped once it has used the
/// CPU time allowed; a quiet one that exits is not.
#[test]
fn the_watchdog_stops_a_busy_child() {
    let busy = std::process::Command::new("sh")
        .args(["-c", "while :; do :; done"])
        .spawn()
        .unwrap();
    let mut busy = busy;
    match watchdog::wait(&mut busy, Duration::from_millis(300), WALL) {
        watchdog::Ended::Hung { cpu, .. } => assert!(cpu >= Duration::from_millis(300)),
        watchdog::Ended::Exited(s) => panic!("a busy loop exited: {s}"),
    }
    let mut quiet = std::process::Command::new("sh")
        .args(["-c", "sleep 0.5"])
        .spawn()
        .unwrap();
    match watchdog::wait(&mut quiet, Duration::from_millis(300), WALL) {
        watchdog::Ended::Exited(s) => assert!(s.success()),
        watchdog::Ended::Hung { .. } => panic!("a sleeping child counted as busy"),
    }
}
