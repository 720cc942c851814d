//! Sweep expansion: `matrix`, `needs` (fan out), `gather` (collect) and
//! `where` (filter) turn stages into instances.
//!
//! The size of what a stage would create is computed before it is built and
//! checked against the pipeline's [`Limits`](crate::spec::Limits): the number
//! of instances and the plan's size in values (params, coordinates, inputs
//! per instance). Joins hash on shared coordinates ([`super::join`]), so the
//! cost is linear in what is created.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};
use serde_json::Value;

use super::filter::Condition;
use super::join::Groups;
use super::{InputRef, Instance, Plan};
use crate::kind::{Coords, JsonMap, Registry};
use crate::spec::validate::MAX_ERRORS;
use crate::spec::{LoadedPipeline, SpecError, SpecErrors, StageSpec};

/// Longest gathered-input directory name most file systems allow.
const MAX_FILE_NAME: usize = 255;

/// Expand a validated pipeline into its instances.
pub fn expand(p: &LoadedPipeline, registry: &Registry) -> Result<Plan, SpecErrors> {
    let limits = p.limits;
    let mut errors: Vec<SpecError> = Vec::new();
    let mut instances: Vec<Instance> = Vec::new();
    // Instance indices of each expanded stage.
    let mut by_stage: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut names: HashMap<String, String> = HashMap::new();
    // Values held by the plan so far (see `Limits::max_plan_values`).
    let mut plan_values: u64 = 0;
    let too_many = |at: &str, what: String| -> SpecError {
        let mut e = p.error_at_key(at, what);
        e.help = Some(
            "sweep fewer values, split the study into several pipelines, or raise the limit with `--max-instances N`"
                .into(),
        );
        e
    };

    'stages: for name in stage_order(p) {
        if errors.len() >= MAX_ERRORS {
            break;
        }
        let stage = &p.spec.stages[name];
        let Some(kind) = registry.get(&stage.kind) else {
            continue;
        };
        // A stage whose input stage could not be expanded is skipped: that
        // stage's own error says what to fix.
        if stage
            .needs
            .iter()
            .chain(&stage.gather)
            .any(|d| !by_stage.contains_key(d.as_str()))
        {
            continue;
        }
        let at = format!("stages.{name}");
        let raw_params = match yaml_params(stage) {
            Ok(m) => m,
            Err(e) => {
                errors.push(p.error_at_key(&format!("{at}.params"), e));
                continue;
            }
        };
        let mut conditions = Vec::new();
        for expr in stage.where_.iter().flat_map(|w| w.expressions()) {
            match Condition::parse(expr) {
                Ok(c) => conditions.push(c),
                Err(m) => {
                    errors.push(p.error_at_value(&format!("{at}.where"), m));
                    continue 'stages;
                }
            }
        }

        // Size before work: cells × fan-out against the instance limit.
        let cell_count = matrix_size(stage);
        let room = limits.max_instances.saturating_sub(instances.len()) as u128;
        let value_room = limits.max_plan_values.saturating_sub(plan_values) as u128;
        if cell_count > room {
            errors.push(too_many(
                &at,
                format!(
                    "stage `{name}` would have {cell_count} instances from its matrix alone; the plan may have at most {}",
                    limits.max_instances
                ),
            ));
            continue;
        }
        let combos = match fan_out(stage, &by_stage, &instances, room, value_room) {
            Ok(c) => c,
            Err(n) => {
                errors.push(too_many(
                    &at,
                    format!(
                        "stage `{name}` would have at least {n} instances through `needs` (or their coordinates would exceed {} values); the plan may have at most {} instances",
                        limits.max_plan_values, limits.max_instances
                    ),
                ));
                continue;
            }
        };
        let count = combos.len() as u128 * cell_count;
        if count > room {
            errors.push(too_many(
                &at,
                format!(
                    "stage `{name}` would have {count} instances ({} from `needs` × {cell_count} matrix cells); the plan may have at most {}",
                    combos.len(),
                    limits.max_instances
                ),
            ));
            continue;
        }
        let axes = combos.first().map_or(0, |c| c.0 .0.len()) + stage.matrix.len();
        if axes > limits.max_axes {
            let mut e = p.error_at_key(
                &at,
                format!(
                    "instances of `{name}` would have {axes} coordinates (matrix axes, own and inherited); at most {} are allowed",
                    limits.max_axes
                ),
            );
            e.help = Some("sweep over fewer axes; a list value can select a whole setting".into());
            errors.push(e);
            continue;
        }
        let per_instance =
            1 + count_values(&raw_params) + (axes + stage.needs.len() + stage.deps.len()) as u64;
        if plan_values as u128 + count * per_instance as u128 > limits.max_plan_values as u128 {
            let mut e = p.error_at_key(
                &at,
                format!(
                    "stage `{name}` would add {count} instances of {per_instance} values each (params, coordinates, inputs); a plan may hold at most {} values",
                    limits.max_plan_values
                ),
            );
            e.help = Some(
                "put large data in a file the stage reads (listed in `deps`), not in `params`"
                    .into(),
            );
            errors.push(e);
            continue;
        }
        plan_values += (count * per_instance as u128) as u64;

        let cells = matrix_cells(stage);
        if let (Some((combo, _)), Some(cell)) = (combos.first(), cells.first()) {
            if let Some(axis) = cell.0.keys().find(|k| combo.0.contains_key(*k)) {
                errors.push(p.error_at_key(
                    &format!("{at}.matrix.{axis}"),
                    format!("axis `{axis}` is already a coordinate inherited through `needs`; rename it"),
                ));
                continue;
            }
        }
        // Gathered instances, grouped once per gathered stage.
        let mut gathers: Vec<(&String, Groups)> = Vec::new();
        if let (Some((combo, _)), Some(cell)) = (combos.first(), cells.first()) {
            let sample = combo.merged(cell);
            for g in &stage.gather {
                let ups = &by_stage[g.as_str()];
                if let Some(&u) = ups
                    .iter()
                    .find(|&&u| instances[u].coords.dir_name().len() > MAX_FILE_NAME)
                {
                    errors.push(p.error_at_key(
                        &format!("stages.{g}.matrix"),
                        format!(
                            "`{}` is gathered by `{name}`, which sees it as a directory named by its coordinates; that name would be longer than {MAX_FILE_NAME} bytes",
                            instances[u].name
                        ),
                    ));
                    continue 'stages;
                }
                gathers.push((g, Groups::new(ups, &instances, &sample)));
            }
        }

        let mut own = Vec::new();
        for (combo, chosen) in &combos {
            for cell in &cells {
                let coords = combo.merged(cell);
                match keep(&conditions, &coords) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(m) => {
                        errors.push(p.error_at_value(&format!("{at}.where"), m));
                        continue 'stages;
                    }
                }
                let mut inputs: Vec<InputRef> = stage
                    .needs
                    .iter()
                    .zip(chosen)
                    .map(|(s, &i)| InputRef {
                        stage: s.clone(),
                        gathered: false,
                        instances: vec![i],
                    })
                    .collect();
                for (g, groups) in &gathers {
                    let edges = groups.count(&coords, &instances) as u64;
                    plan_values += edges;
                    if plan_values > limits.max_plan_values {
                        errors.push(too_many(
                            &format!("{at}.gather"),
                            format!(
                                "stage `{name}` gathers so many instances that the plan would hold more than {} values",
                                limits.max_plan_values
                            ),
                        ));
                        continue 'stages;
                    }
                    let matching = groups.matching(&coords, &instances);
                    if matching.is_empty() {
                        errors.push(p.error_at_value(
                            &format!("{at}.gather"),
                            format!(
                                "`{}` would gather no instance of `{g}`",
                                coords.instance_name(name)
                            ),
                        ));
                        if errors.len() >= MAX_ERRORS {
                            break 'stages;
                        }
                    }
                    inputs.push(InputRef {
                        stage: (*g).clone(),
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
                        if errors.len() >= MAX_ERRORS {
                            break 'stages;
                        }
                        continue;
                    }
                };
                if let Some(first) = names.insert(instance_name.clone(), name.to_string()) {
                    errors.push(p.error_at_key(
                        &format!("{at}.matrix"),
                        format!("two instances are both named `{instance_name}` (first from stage `{first}`); matrix values must differ as text"),
                    ));
                    if errors.len() >= MAX_ERRORS {
                        break 'stages;
                    }
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
                    // Checked by validation; an unchecked plan runs with defaults.
                    resources: stage.resources.check().unwrap_or_default(),
                    retries: stage.retries,
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
        executor: p.spec.executor,
    })
}

/// Stages in an order where each follows the stages it depends on (the
/// validator has ruled out cycles; file order breaks ties). Kahn's algorithm
/// with the ready stages taken in file order.
fn stage_order(p: &LoadedPipeline) -> Vec<&str> {
    let stages = &p.spec.stages;
    let mut missing: Vec<usize> = vec![0; stages.len()];
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); stages.len()];
    for (i, s) in stages.values().enumerate() {
        let mut deps: Vec<usize> = s
            .needs
            .iter()
            .chain(&s.gather)
            .filter_map(|d| stages.get_index_of(d))
            .collect();
        deps.sort_unstable();
        deps.dedup();
        missing[i] = deps.len();
        for d in deps {
            users[d].push(i);
        }
    }
    let mut ready: std::collections::BTreeSet<usize> =
        (0..stages.len()).filter(|&i| missing[i] == 0).collect();
    let mut done = Vec::with_capacity(stages.len());
    while let Some(i) = ready.pop_first() {
        done.push(
            stages
                .get_index(i)
                .map(|(n, _)| n.as_str())
                .unwrap_or_default(),
        );
        for &u in &users[i] {
            missing[u] -= 1;
            if missing[u] == 0 {
                ready.insert(u);
            }
        }
    }
    done // stages on a cycle are left out: validation reports the cycle
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

/// Values in a JSON map, counting every nested value once.
fn count_values(m: &JsonMap) -> u64 {
    fn count(v: &Value) -> u64 {
        1 + match v {
            Value::Array(a) => a.iter().map(count).sum(),
            Value::Object(o) => o.values().map(count).sum(),
            _ => 0,
        }
    }
    m.values().map(count).sum()
}

/// One entry per combination of upstream instances under `needs`, joined on
/// shared coordinates: (merged coordinates, chosen instance per need).
/// `Err(n)` when some step would hold `n` combinations, more than `room`, or
/// more coordinate values than `value_room` (counted before they are built).
fn fan_out(
    stage: &StageSpec,
    by_stage: &HashMap<&str, Vec<usize>>,
    all: &[Instance],
    room: u128,
    value_room: u128,
) -> Result<Vec<(Coords, Vec<usize>)>, u128> {
    let mut combos = vec![(Coords::default(), Vec::new())];
    for need in &stage.needs {
        let (Some(ups), Some(first)) = (by_stage.get(need.as_str()), combos.first()) else {
            return Ok(Vec::new());
        };
        let Some(&u0) = ups.first() else {
            return Ok(Vec::new());
        };
        let groups = Groups::new(ups, all, &first.0);
        let size: u128 = combos
            .iter()
            .map(|(c, _)| groups.count(c, all) as u128)
            .sum();
        let width = (first.0 .0.len() + all[u0].coords.0.len() + first.1.len() + 1) as u128;
        if size > room || size * width > value_room {
            return Err(size);
        }
        let mut next = Vec::with_capacity(size as usize);
        for (coords, chosen) in &combos {
            for u in groups.matching(coords, all) {
                let mut c = chosen.clone();
                c.push(u);
                next.push((coords.merged(&all[u].coords), c));
            }
        }
        combos = next;
    }
    Ok(combos)
}

/// The number of cells of the stage's own matrix (saturating).
fn matrix_size(stage: &StageSpec) -> u128 {
    stage
        .matrix
        .values()
        .fold(1u128, |n, v| n.saturating_mul(v.len() as u128))
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

fn keep(conditions: &[Condition], coords: &Coords) -> Result<bool, String> {
    for c in conditions {
        if !c.holds(coords)? {
            return Ok(false);
        }
    }
    Ok(true)
}
