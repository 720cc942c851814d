//! Sweep expansion: `matrix`, `needs` (fan out), `gather` (collect) and
//! `where` (filter) turn stages into instances.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};
use serde_json::Value;

use super::filter::holds;
use super::{InputRef, Instance, Plan};
use crate::kind::{Coords, JsonMap, Registry};
use crate::spec::{LoadedPipeline, SpecError, SpecErrors, StageSpec};

/// Expand a validated pipeline into its instances.
pub fn expand(p: &LoadedPipeline, registry: &Registry) -> Result<Plan, SpecErrors> {
    let mut errors: Vec<SpecError> = Vec::new();
    let mut instances: Vec<Instance> = Vec::new();
    // Instance indices of each expanded stage.
    let mut by_stage: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut names: HashMap<String, String> = HashMap::new();

    for name in stage_order(p) {
        let stage = &p.spec.stages[name];
        let Some(kind) = registry.get(&stage.kind) else {
            continue;
        };
        let at = format!("stages.{name}");
        let raw_params = match yaml_params(stage) {
            Ok(m) => m,
            Err(e) => {
                errors.push(p.error_at_key(&format!("{at}.params"), e));
                continue;
            }
        };
        let mut own = Vec::new();
        for (combo, chosen) in fan_out(stage, &by_stage, &instances) {
            for cell in matrix_cells(stage) {
                if let Some(axis) = cell.0.keys().find(|k| combo.0.contains_key(*k)) {
                    errors.push(p.error_at_key(
                        &format!("{at}.matrix.{axis}"),
                        format!("axis `{axis}` is already a coordinate inherited through `needs`; rename it"),
                    ));
                    continue;
                }
                let coords = combo.merged(&cell);
                match keep(stage, &coords) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(m) => {
                        errors.push(p.error_at_value(&format!("{at}.where"), m));
                        continue;
                    }
                }
                let mut inputs: Vec<InputRef> = stage
                    .needs
                    .iter()
                    .zip(&chosen)
                    .map(|(s, &i)| InputRef {
                        stage: s.clone(),
                        gathered: false,
                        instances: vec![i],
                    })
                    .collect();
                for g in &stage.gather {
                    let matching: Vec<usize> = by_stage[g.as_str()]
                        .iter()
                        .copied()
                        .filter(|&i| instances[i].coords.compatible(&coords))
                        .collect();
                    if matching.is_empty() {
                        errors.push(p.error_at_value(
                            &format!("{at}.gather"),
                            format!(
                                "`{}` would gather no instance of `{g}`",
                                coords.instance_name(name)
                            ),
                        ));
                    }
                    inputs.push(InputRef {
                        stage: g.clone(),
                        gathered: true,
                        instances: matching,
                    });
                }
                let mut params = raw_params.clone();
                for (k, v) in &cell.0 {
                    params.insert(k.clone(), v.clone());
                }
                let instance_name = coords.instance_name(name);
                let params = match kind.resolve_params(&params) {
                    Ok(r) => r,
                    Err(issues) => {
                        for issue in issues {
                            let section = if cell.0.contains_key(&issue.param) {
                                "matrix"
                            } else {
                                "params"
                            };
                            let mut e = p.error_at_key(
                                &format!("{at}.{section}.{}", issue.param),
                                if cell.0.is_empty() {
                                    issue.message
                                } else {
                                    format!("{} (in {instance_name})", issue.message)
                                },
                            );
                            e.help = issue.help;
                            errors.push(e);
                        }
                        continue;
                    }
                };
                if let Some(first) = names.insert(instance_name.clone(), name.to_string()) {
                    errors.push(p.error_at_key(
                        &format!("{at}.matrix"),
                        format!("two instances are both named `{instance_name}` (first from stage `{first}`); matrix values must differ as text"),
                    ));
                    continue;
                }
                own.push(instances.len());
                instances.push(Instance {
                    stage: name.to_string(),
                    name: instance_name,
                    coords,
                    kind: kind.clone(),
                    params,
                    inputs,
                    deps: stage.deps.clone(),
                });
            }
        }
        if own.is_empty() && errors.is_empty() {
            errors.push(p.error_at_key(&at, format!("stage `{name}` has no instances: `where` filtered every cell out, or an input has none")));
        }
        by_stage.insert(name, own);
    }
    errors.dedup_by(|a, b| a.line == b.line && a.message == b.message);
    if !errors.is_empty() {
        return Err(SpecErrors(errors));
    }
    let mut graph = DiGraph::with_capacity(instances.len(), instances.len());
    for i in 0..instances.len() {
        graph.add_node(i);
    }
    for (i, inst) in instances.iter().enumerate() {
        for up in inst.upstream() {
            graph.add_edge(NodeIndex::new(up), NodeIndex::new(i), ());
        }
    }
    Ok(Plan {
        pipeline: p.spec.name.clone(),
        workspace: p.root.clone(),
        instances,
        graph,
    })
}

/// Stages in an order where each follows the stages it depends on (the
/// validator has ruled out cycles; file order breaks ties).
fn stage_order(p: &LoadedPipeline) -> Vec<&str> {
    let stages = &p.spec.stages;
    let mut done: Vec<&str> = Vec::with_capacity(stages.len());
    while done.len() < stages.len() {
        let before = done.len();
        for (name, s) in stages {
            if !done.contains(&name.as_str())
                && s.needs
                    .iter()
                    .chain(&s.gather)
                    .all(|d| done.contains(&d.as_str()) || !stages.contains_key(d))
            {
                done.push(name);
            }
        }
        if done.len() == before {
            break; // a cycle: reported by validation
        }
    }
    done
}

/// The stage's params as JSON (keys must be strings).
fn yaml_params(stage: &StageSpec) -> Result<JsonMap, String> {
    match serde_json::to_value(&stage.params) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err("`params` must be a mapping".into()),
        Err(e) => Err(format!(
            "`params` cannot be read: {e} (keys must be strings)"
        )),
    }
}

/// One entry per combination of upstream instances under `needs`, joined on
/// shared coordinates: (merged coordinates, chosen instance per need).
fn fan_out(
    stage: &StageSpec,
    by_stage: &HashMap<&str, Vec<usize>>,
    all: &[Instance],
) -> Vec<(Coords, Vec<usize>)> {
    let mut combos = vec![(Coords::default(), Vec::new())];
    for need in &stage.needs {
        let Some(ups) = by_stage.get(need.as_str()) else {
            return Vec::new();
        };
        let mut next = Vec::new();
        for (coords, chosen) in &combos {
            for &u in ups {
                if all[u].coords.compatible(coords) {
                    let mut c = chosen.clone();
                    c.push(u);
                    next.push((coords.merged(&all[u].coords), c));
                }
            }
        }
        combos = next;
    }
    combos
}

/// The cartesian product of the stage's own matrix axes, in axis order.
fn matrix_cells(stage: &StageSpec) -> Vec<Coords> {
    let mut cells = vec![Coords::default()];
    for (axis, values) in &stage.matrix {
        let values: Vec<Value> = values
            .iter()
            .filter_map(|v| serde_json::to_value(v).ok())
            .collect();
        cells = cells
            .into_iter()
            .flat_map(|c| {
                values.iter().map(move |v| {
                    let mut c = c.clone();
                    c.0.insert(axis.clone(), v.clone());
                    c
                })
            })
            .collect();
    }
    cells
}

fn keep(stage: &StageSpec, coords: &Coords) -> Result<bool, String> {
    match &stage.where_ {
        None => Ok(true),
        Some(w) => {
            for expr in w.expressions() {
                if !holds(expr, coords)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
    }
}
