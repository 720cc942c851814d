//! Invalid pipeline files: each must be rejected before anything runs, with
//! a non-zero exit, no panic or debug dump, and a message that starts with
//! `FILE:LINE:` at the right line and says what is wrong.
//!
//! Pipelines are written as a list of lines, so line N of the file is item
//! N-1 of the list (the expected line numbers are checked against that).

use crate::common::Work;

/// Write `lines` as `file`, run `seqlab run file extra...`, and check the
/// failure. `line` is the expected 1-based line (0: no line, e.g. `--set`).
fn reject(file: &str, lines: &[&str], extra: &[&str], line: usize, fragments: &[&str]) -> String {
    let w = Work::new();
    let mut text = lines.join("\n");
    if !lines.is_empty() {
        text.push('\n');
    }
    w.write(file, &text);
    let r = w.run(file, extra);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert_ne!(r.code, 0, "an invalid pipeline was accepted:\n{}", r.text());
    assert_eq!(r.code, 2, "usage/spec errors exit with 2:\n{}", r.text());
    for bad in [
        "panicked",
        "RUST_BACKTRACE",
        "stack backtrace",
        "SpecError {",
        "SpecErrors(",
        "Error {",
    ] {
        assert!(
            !all.contains(bad),
            "output contains `{bad}` (a panic or Debug dump):\n{all}"
        );
    }
    if line > 0 {
        let at = format!("{file}:{line}:");
        assert!(all.contains(&at), "expected `{at}` in:\n{all}");
        // The first error names the right line (not a later one).
        let first = all
            .lines()
            .find(|l| l.contains(&format!("{file}:")))
            .unwrap();
        assert!(first.contains(&at), "first error is not at {at}: {first}");
    }
    for f in fragments {
        assert!(all.contains(f), "expected `{f}` in:\n{all}");
    }
    assert!(
        !w.cache().join("index.sqlite").exists(),
        "nothing may run (or even open the cache) for an invalid pipeline"
    );
    all
}

const OK_STAGE: [&str; 3] = ["  a:", "    kind: command", "    params: {cmd: [true]}"];

#[test]
fn unknown_top_level_key() {
    reject(
        "top.yaml",
        &[
            "name: x", // 1
            "stages:", // 2
            OK_STAGE[0],
            OK_STAGE[1],
            OK_STAGE[2],  // 5
            "stagez: {}", // 6
        ],
        &[],
        6,
        &["unknown field `stagez`", "did you mean `stages`?"],
    );
}

#[test]
fn unknown_stage_key_suggests_needs() {
    reject(
        "typo.yaml",
        &[
            "name: x",
            "stages:",
            OK_STAGE[0],
            OK_STAGE[1],
            OK_STAGE[2], // 5
            "  b:",
            "    kind: command",
            "    nedds: [a]", // 8
            "    params: {cmd: [true]}",
        ],
        &[],
        8,
        &["stages.b", "unknown field `nedds`", "did you mean `needs`?"],
    );
}

#[test]
fn unknown_kind_suggests_command() {
    reject(
        "kind.yaml",
        &[
            "name: x",
            "stages:",
            "  a:",
            "    kind: comand", // 4
            "    params: {cmd: [true]}",
        ],
        &[],
        4,
        &[
            "stages.a.kind",
            "unknown stage kind `comand`",
            "did you mean `command`?",
        ],
    );
}

#[test]
fn matrix_given_a_string() {
    reject(
        "mstr.yaml",
        &[
            "name: x",
            "stages:",
            "  a:",
            "    kind: command",
            "    matrix: \"i\"", // 5
            "    params: {cmd: [true]}",
        ],
        &[],
        5,
        &["stages.a.matrix", "invalid type: string", "expected a map"],
    );
}

#[test]
fn needs_given_a_number() {
    reject(
        "nnum.yaml",
        &[
            "name: x",
            "stages:",
            OK_STAGE[0],
            OK_STAGE[1],
            OK_STAGE[2],
            "  b:",
            "    kind: command",
            "    needs: 3", // 8
            "    params: {cmd: [true]}",
        ],
        &[],
        8,
        &[
            "stages.b.needs",
            "invalid type: integer",
            "expected a sequence",
        ],
    );
}

#[test]
fn needs_naming_no_stage_suggests_the_closest() {
    reject(
        "needs.yaml",
        &[
            "name: x",
            "stages:",
            "  train:",
            "    kind: command",
            "    params: {cmd: [true]}",
            "  eval:",
            "    kind: command",
            "    params: {cmd: [true]}",
            "    needs:",
            "      - train",
            "      - trian", // 11
        ],
        &[],
        11,
        &[
            "stages.eval.needs.1",
            "no stage named `trian`",
            "did you mean `train`?",
        ],
    );
}

#[test]
fn gather_naming_no_stage() {
    reject(
        "gather.yaml",
        &[
            "name: x",
            "stages:",
            "  train:",
            "    kind: command",
            "    params: {cmd: [true]}",
            "  report:",
            "    kind: command",
            "    gather: [zzzzzz]", // 8
            "    params: {cmd: [true]}",
        ],
        &[],
        8,
        &[
            "stages.report.gather.0",
            "no stage named `zzzzzz`",
            "stages are: train, report",
        ],
    );
}

#[test]
fn cycle_is_named() {
    reject(
        "cycle.yaml",
        &[
            "name: x",
            "stages:",
            OK_STAGE[0],
            OK_STAGE[1],
            OK_STAGE[2],
            "  b:", // 6
            "    kind: command",
            "    needs: [a, c]",
            "    params: {cmd: [true]}",
            "  c:", // 10
            "    kind: command",
            "    needs: [b]",
            "    params: {cmd: [true]}",
        ],
        &[],
        6,
        &["cycle", "b → c → b"],
    );
}

#[test]
fn self_dependency() {
    reject(
        "self.yaml",
        &[
            "name: x",
            "stages:",
            "  a:",
            "    kind: command",
            "    params: {cmd: [true]}",
            "    gather: [a]", // 6
        ],
        &[],
        6,
        &["stages.a.gather.0", "stage `a` cannot depend on itself"],
    );
}

#[test]
fn duplicate_instance_names() {
    reject(
        "dup.yaml",
        &[
            "name: x",
            "stages:",
            "  a:",
            "    kind: command",
            "    params: {cmd: [true]}",
            "    matrix: {i: [1, \"1\"]}", // 6
        ],
        &[],
        6,
        &["both named `a[i=1]`"],
    );
}

#[test]
fn mapping_valued_extra_param_is_refused() {
    reject(
        "map.yaml",
        &[
            "name: x",
            "stages:",
            "  a:",
            "    kind: command",
            "    params:",
            "      cmd: [true]",
            "      x: {y: 1}", // 7
        ],
        &[],
        7,
        &["stages.a.params.x", "must be a string, number or boolean"],
    );
}

#[test]
fn missing_required_cmd() {
    reject(
        "nocmd.yaml",
        &[
            "name: x",
            "stages:",
            "  a:",
            "    kind: command",
            "    params: {x: 1}", // 5
        ],
        &[],
        5,
        &["missing required parameter `cmd`"],
    );
}

#[test]
fn cmd_of_the_wrong_type() {
    reject(
        "cmdtype.yaml",
        &[
            "name: x",
            "stages:",
            "  a:",
            "    kind: command",
            "    params:",
            "      cmd: 5", // 6
        ],
        &[],
        6,
        &["stages.a.params.cmd", "expected a list of strings"],
    );
}

#[test]
fn empty_matrix_axis() {
    reject(
        "axis.yaml",
        &[
            "name: x",
            "stages:",
            "  a:",
            "    kind: command",
            "    params: {cmd: [true]}",
            "    matrix:",
            "      i: [1, 2]",
            "      j: []", // 8
        ],
        &[],
        8,
        &["matrix axis `j` has no values"],
    );
}

#[test]
fn where_that_does_not_parse() {
    reject(
        "where.yaml",
        &[
            "name: x",
            "stages:",
            "  a:",
            "    kind: command",
            "    params: {cmd: [true]}",
            "    matrix: {i: [1, 2]}",
            "    where: \"(i == 1\"", // 7
        ],
        &[],
        7,
        &["stages.a.where", "cannot parse `(i == 1`"],
    );
}

#[test]
fn where_naming_an_unknown_coordinate() {
    reject(
        "where2.yaml",
        &[
            "name: x",
            "stages:",
            "  a:",
            "    kind: command",
            "    params: {cmd: [true]}",
            "    matrix: {i: [1, 2]}",
            "    where: \"j == 1\"", // 7
        ],
        &[],
        7,
        &["`j == 1`", "coordinates here: i"],
    );
}

#[test]
fn deps_naming_a_missing_file() {
    // `real.sh` exists (written below) and is fine; only `nope.txt` is wrong.
    let w = Work::new();
    w.write("real.sh", "echo hi\n");
    w.write(
        "deps.yaml",
        "name: x\nstages:\n  a:\n    kind: command\n    params: {cmd: [true]}\n    deps:\n      - real.sh\n      - nope.txt\n",
    );
    let r = w.run("deps.yaml", &[]);
    assert_eq!(r.code, 2, "{}", r.text());
    assert!(r.stderr.contains("deps.yaml:8:"), "{}", r.text());
    assert!(
        r.stderr
            .contains("dependency file `nope.txt` does not exist"),
        "{}",
        r.text()
    );
    assert!(!r.stderr.contains("real.sh"), "{}", r.text());
}

#[test]
fn axis_in_both_params_and_matrix() {
    reject(
        "both.yaml",
        &[
            "name: x",
            "stages:",
            "  a:",
            "    kind: command",
            "    matrix: {lr: [0.1, 0.2]}",
            "    params:",
            "      cmd: [true]",
            "      lr: 0.3", // 8
        ],
        &[],
        8,
        &[
            "stages.a.params.lr",
            "`lr` is set in both `params` and `matrix`",
        ],
    );
}

#[test]
fn yaml_syntax_error_bad_indentation() {
    reject(
        "syntax.yaml",
        &[
            "name: x",
            "stages:",
            "  a:",
            "    kind: command",
            "    params: {cmd: [true]}",
            "   oops: 1", // 6
            "  b:",
            "    kind: command",
        ],
        &[],
        6,
        &["did not find expected key"],
    );
}

#[test]
fn yaml_syntax_error_tab_indentation() {
    reject(
        "tab.yaml",
        &[
            "name: x",
            "stages:",
            "  a:",
            "    kind: command",
            "\tparams: {cmd: [true]}", // 5
        ],
        &[],
        5,
        &["tab"],
    );
}

#[test]
fn empty_file() {
    reject("empty.yaml", &[], &[], 1, &["the pipeline file is empty"]);
    reject("blank.yaml", &["", "   ", ""], &[], 1, &["empty"]);
}

#[test]
fn missing_name() {
    reject(
        "noname.yaml",
        &[
            "stages:", // 1
            OK_STAGE[0],
            OK_STAGE[1],
            OK_STAGE[2],
        ],
        &[],
        1,
        &["missing field `name`"],
    );
}

#[test]
fn set_with_a_bad_stage_name() {
    let all = reject(
        "set.yaml",
        &[
            "name: x",
            "stages:",
            "  train:",
            "    kind: command",
            "    params: {cmd: [true]}",
        ],
        &["--set", "trian.params.x=1"],
        0,
        &[
            "--set",
            "trian.params.x=1",
            "no stage named `trian`",
            "did you mean `train`?",
        ],
    );
    assert!(!all.contains("set.yaml:"), "{all}");
}

#[test]
fn set_with_a_bad_section() {
    reject(
        "set2.yaml",
        &[
            "name: x",
            "stages:",
            "  train:",
            "    kind: command",
            "    params: {cmd: [true]}",
        ],
        &["--set", "train.parms.x=1"],
        0,
        &["cannot set `parms`", "did you mean `params`?"],
    );
}

#[test]
fn several_errors_are_reported_together() {
    let all = reject(
        "many.yaml",
        &[
            "name: x",
            "stages:",
            "  a:",
            "    kind: comand", // 4
            "    params: {cmd: [true]}",
            "  b:",
            "    kind: command",
            "    needs: [zz]", // 8
            "    params: {cmd: [true]}",
        ],
        &[],
        4,
        &["many.yaml:8:", "2 errors in the pipeline; nothing was run"],
    );
    assert!(all.find("many.yaml:4:").unwrap() < all.find("many.yaml:8:").unwrap());
}

/// Each error line starts with a single `error: ` prefix.
#[test]
fn error_prefix_is_not_repeated() {
    let w = Work::new();
    w.write(
        "p.yaml",
        "name: x\nstages:\n  a:\n    kind: comand\n    params: {cmd: [true]}\n",
    );
    let r = w.run("p.yaml", &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.starts_with("error: p.yaml:4:"),
        "expected `error: p.yaml:4:...`, got:\n{}",
        r.stderr
    );
}
