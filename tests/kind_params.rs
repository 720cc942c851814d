//! Typed params end to end: the messages a pipeline author sees for an
//! unknown family, a misspelt param, a wrong type or a bound; what a kind
//! reads back from the canonical params; and a `task.json` that lacks a
//! field failing the stage that reads it, naming the file and the field.

mod common;

use common::Work;
use seqlab::kind::{read_params, ParamSchema, Params};
use seqlab::models::{Family, PosEncoding};
use seqlab::stages::train::TrainParams;
use serde_json::json;

/// `seqlab run` on `yaml` fails before running anything; stderr is returned.
fn refused(yaml: &str) -> String {
    let w = Work::new();
    w.write("p.yaml", yaml);
    let r = w.run("p.yaml", &[]);
    assert_eq!(r.code, 2, "{}", r.text());
    assert!(!r.stderr.contains("panicked"), "{}", r.text());
    r.stderr
}

const DATA: &str = "  data:\n    kind: automaton\n    params: {task: parity, length: 4, train_size: 8, test_size: 8}\n";

#[test]
fn an_unknown_family_is_refused_naming_file_line_and_param() {
    let e = refused(&format!(
        "name: x\nstages:\n{DATA}  train:\n    kind: train\n    needs: [data]\n    params: {{model: lstmm, steps: 1}}\n"
    ));
    assert!(e.contains("p.yaml:9:"), "{e}");
    assert!(e.contains("stages.train.params.model"), "{e}");
    assert!(
        e.contains(
            "`lstmm` is not one of transformer, lstm, gru, mlp, linear_rnn; did you mean `lstm`?"
        ),
        "{e}"
    );
}

#[test]
fn misspelt_wrongly_typed_and_out_of_range_params_are_refused() {
    let e = refused(&format!(
        "name: x\nstages:\n{DATA}  train:\n    kind: train\n    needs: [data]\n    params: {{model: lstm, lrr: 0.1, steps: 0, width: wide}}\n"
    ));
    assert!(e.contains("unknown parameter `lrr`"), "{e}");
    assert!(e.contains("did you mean `lr`?"), "{e}");
    assert!(e.contains("`steps` must be at least 1"), "{e}");
    assert!(e.contains("expected an integer, found \"wide\""), "{e}");
    // A matrix cell names its instance.
    let e = refused(&format!(
        "name: x\nstages:\n{DATA}  train:\n    kind: train\n    needs: [data]\n    matrix: {{model: [transformer]}}\n    params: {{width: 30, heads: 4}}\n"
    ));
    assert!(
        e.contains(
            "the width (30) must be a multiple of `heads` (4) (in train[model=transformer])"
        ),
        "{e}"
    );
}

#[test]
fn an_unknown_backend_is_refused_with_the_choices() {
    let w = Work::new();
    w.write(
        "p.yaml",
        "name: x\nstages:\n  a:\n    kind: command\n    params: {cmd: [true]}\n",
    );
    let r = w.run("p.yaml", &["--backend", "flexx"]);
    assert_eq!(r.code, 2, "{}", r.text());
    assert!(
        r.stderr.contains("[possible values: flex, cuda]"),
        "{}",
        r.text()
    );
}

#[test]
fn canonical_params_read_back_with_nulls_as_defaults() {
    let schema = ParamSchema::of::<TrainParams>();
    let canonical = schema
        .resolve(
            json!({"model": "lstm", "lr": 1, "steps": 10.0})
                .as_object()
                .unwrap(),
        )
        .unwrap();
    // Another family's params are null in the key …
    for k in ["heads", "pos", "dropout", "negative_eigenvalues"] {
        assert!(canonical[k].is_null(), "{k}: {canonical:?}");
    }
    assert_eq!(canonical["lr"], json!(1.0));
    assert_eq!(canonical["steps"], json!(10));
    // … and their defaults when read back.
    let p: TrainParams = read_params(&canonical).unwrap();
    assert_eq!(
        (p.model, p.heads, p.pos, p.steps),
        (Family::Lstm, 4, PosEncoding::Learned, 10)
    );
    let c = p.train_config();
    assert_eq!(
        (c.grad_clip, c.target_acc, c.warmup_steps, c.window),
        (Some(1.0), None, 100, 2)
    );
    // A transformer keeps them.
    let canonical = schema
        .resolve(
            json!({"model": "transformer", "pos": "rope"})
                .as_object()
                .unwrap(),
        )
        .unwrap();
    assert_eq!(
        (canonical["heads"].clone(), canonical["pos"].clone()),
        (json!(4), json!("rope"))
    );
    assert!(canonical["negative_eigenvalues"].is_null());
    assert!(p.unused().contains(&"heads"));
}

#[test]
fn a_task_json_without_a_field_fails_the_reader_naming_file_and_field() {
    let w = Work::new();
    // A data stage whose task.json lacks `n_states`.
    w.write(
        "bad.json",
        r#"{"task": "parity", "n_actions_vocab": 2, "test_seed": 1}"#,
    );
    w.write(
        "p.yaml",
        "name: x\nstages:\n  data:\n    kind: command\n    deps: [bad.json]\n    params: {cmd: [sh, -c, 'cp bad.json $SEQLAB_OUT/task.json']}\n  train:\n    kind: train\n    needs: [data]\n    params: {model: lstm, steps: 1}\n",
    );
    let r = w.run("p.yaml", &[]);
    assert_eq!(r.code, 1, "{}", r.text());
    assert!(!r.stderr.contains("panicked"), "{}", r.text());
    assert!(
        r.stderr.contains("task.json: missing field `n_states`"),
        "{}",
        r.text()
    );
}
