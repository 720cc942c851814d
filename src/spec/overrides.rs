//! `--set STAGE.params.KEY=VALUE` and `--set STAGE.matrix.AXIS=[...]`:
//! command-line edits applied after parsing and before validation, so an
//! overridden value is checked exactly like one written in the file.

use std::path::PathBuf;

use serde_yaml::Value;

use super::error::SpecError;
use super::load::LoadedPipeline;
use crate::kind::closest;

/// One parsed `--set` argument.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Override {
    pub stage: String,
    pub section: String,
    pub keys: Vec<String>,
    pub value: Value,
    raw: String,
}

fn set_error(raw: &str, message: String, help: &str) -> SpecError {
    SpecError {
        file: PathBuf::from("--set"),
        line: 0,
        column: 0,
        field: raw.to_string(),
        message,
        help: Some(help.to_string()),
    }
}

const FORM: &str = "write `--set STAGE.params.NAME=VALUE` or `--set STAGE.matrix.AXIS=[v1, v2]`";

impl Override {
    /// Parse `stage.params.a.b=value`; the value is read as YAML (`3`, `0.1`,
    /// `true`, `[1, 2]`, `text`).
    pub fn parse(raw: &str) -> Result<Override, SpecError> {
        let (path, value) = raw
            .split_once('=')
            .ok_or_else(|| set_error(raw, "missing `=`".into(), FORM))?;
        let parts: Vec<String> = path.split('.').map(str::to_string).collect();
        if parts.len() < 3 || parts.iter().any(String::is_empty) {
            return Err(set_error(
                raw,
                format!("`{path}` is not STAGE.SECTION.KEY"),
                FORM,
            ));
        }
        if parts[1] != "params" && parts[1] != "matrix" {
            let hint = closest(&parts[1], ["params", "matrix"])
                .map(|s| format!("did you mean `{s}`? {FORM}"))
                .unwrap_or_else(|| FORM.to_string());
            return Err(set_error(raw, format!("cannot set `{}`", parts[1]), &hint));
        }
        let value: Value = serde_yaml::from_str(value).map_err(|e| {
            set_error(
                raw,
                format!("the value is not valid YAML: {e}"),
                "quote text values",
            )
        })?;
        Ok(Override {
            stage: parts[0].clone(),
            section: parts[1].clone(),
            keys: parts[2..].to_vec(),
            value,
            raw: raw.to_string(),
        })
    }

    /// Apply to a loaded pipeline.
    pub fn apply(&self, pipeline: &mut LoadedPipeline) -> Result<(), SpecError> {
        let names: Vec<String> = pipeline.spec.stages.keys().cloned().collect();
        let stage = pipeline.spec.stages.get_mut(&self.stage).ok_or_else(|| {
            let help = closest(&self.stage, names.iter().map(String::as_str))
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| format!("stages are: {}", names.join(", ")));
            set_error(&self.raw, format!("no stage named `{}`", self.stage), &help)
        })?;
        if self.section == "matrix" {
            let Value::Sequence(values) = &self.value else {
                return Err(set_error(
                    &self.raw,
                    "a matrix axis takes a list".into(),
                    FORM,
                ));
            };
            if self.keys.len() != 1 {
                return Err(set_error(
                    &self.raw,
                    "a matrix axis has no sub-keys".into(),
                    FORM,
                ));
            }
            stage.matrix.insert(self.keys[0].clone(), values.clone());
            return Ok(());
        }
        let mut map = &mut stage.params;
        for key in &self.keys[..self.keys.len() - 1] {
            let k = Value::String(key.clone());
            let entry = map
                .entry(k)
                .or_insert_with(|| Value::Mapping(Default::default()));
            map = match entry {
                Value::Mapping(m) => m,
                _ => {
                    return Err(set_error(
                        &self.raw,
                        format!("`{key}` is not a mapping, so it has no sub-keys"),
                        FORM,
                    ))
                }
            };
        }
        let last = Value::String(self.keys.last().expect("three parts").clone());
        map.insert(last, self.value.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::load_str;
    use std::path::Path;

    #[test]
    fn sets_nested_params_and_matrix() {
        let mut p = load_str(
            "name: x\nstages:\n  a:\n    kind: command\n    params: {cmd: [true]}\n",
            Path::new("p.yaml"),
        )
        .unwrap();
        Override::parse("a.params.model.layers=2")
            .unwrap()
            .apply(&mut p)
            .unwrap();
        Override::parse("a.matrix.i=[1, 2]")
            .unwrap()
            .apply(&mut p)
            .unwrap();
        let a = &p.spec.stages["a"];
        let layers = a.params.get("model").and_then(|m| m.get("layers"));
        assert_eq!(layers, Some(&Value::from(2)));
        assert_eq!(a.matrix["i"], vec![Value::from(1), Value::from(2)]);
    }

    #[test]
    fn rejects_bad_forms_with_help() {
        let e = Override::parse("a.parms.x=1").unwrap_err();
        assert!(e.to_string().contains("did you mean `params`"), "{e}");
        assert!(Override::parse("a.params.x").is_err());
        let mut p = load_str(
            "name: x\nstages:\n  train:\n    kind: command\n",
            Path::new("p"),
        )
        .unwrap();
        let e = Override::parse("trian.params.x=1")
            .unwrap()
            .apply(&mut p)
            .unwrap_err();
        assert!(e.to_string().contains("did you mean `train`"), "{e}");
    }
}
