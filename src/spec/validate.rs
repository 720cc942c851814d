//! Checks that need the whole pipeline: kinds exist, references resolve, no
//! cycles, matrices are well formed, `where:` parses, `deps:` exist. Params
//! are checked per instance by the planner (they depend on matrix cells).

use std::collections::HashSet;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use serde_yaml::Value;

use super::error::{SpecError, SpecErrors};
use super::limits::paren_depth;
use super::load::LoadedPipeline;
use crate::kind::{closest, Registry};

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !s.starts_with('-')
}

/// More problems than this are not looked for: a file with thousands is
/// better fixed from the first ones, and suggestions cost time per problem.
pub(crate) const MAX_ERRORS: usize = 50;

/// Validate everything that does not depend on sweep expansion.
pub fn validate(p: &LoadedPipeline, registry: &Registry) -> Result<(), SpecErrors> {
    let mut errors = Vec::new();
    let spec = &p.spec;
    let help = |mut e: SpecError, h: String| {
        e.help = Some(h);
        e
    };
    if spec.stages.is_empty() {
        errors.push(p.error_at_key("stages", "the pipeline has no stages"));
    }
    let names: Vec<&str> = spec.stages.keys().map(String::as_str).collect();
    'stages: for (name, stage) in &spec.stages {
        if errors.len() >= MAX_ERRORS {
            break;
        }
        let at = format!("stages.{name}");
        if !is_identifier(name) {
            errors.push(help(
                p.error_at_key(&at, format!("`{name}` is not a valid stage name")),
                "use letters, digits, `_` and `-` (names become environment variables)".into(),
            ));
        }
        if registry.get(&stage.kind).is_none() {
            let known: Vec<&str> = registry.names().collect();
            let h = match closest(&stage.kind, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("known kinds: {}", known.join(", ")),
            };
            errors.push(help(
                p.error_at_value(
                    &format!("{at}.kind"),
                    format!("unknown stage kind `{}`", stage.kind),
                ),
                h,
            ));
        }
        let needs: HashSet<&str> = stage.needs.iter().map(String::as_str).collect();
        for (field, list) in [("needs", &stage.needs), ("gather", &stage.gather)] {
            let mut seen: HashSet<&str> = HashSet::new();
            for (i, dep) in list.iter().enumerate() {
                if errors.len() >= MAX_ERRORS {
                    break 'stages;
                }
                let here = format!("{at}.{field}.{i}");
                let repeated = !seen.insert(dep.as_str());
                if dep == name {
                    errors.push(
                        p.error_at_value(&here, format!("stage `{name}` cannot depend on itself")),
                    );
                } else if !spec.stages.contains_key(dep) {
                    let h = match closest(dep, names.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("stages are: {}", names.join(", ")),
                    };
                    errors.push(help(
                        p.error_at_value(&here, format!("no stage named `{dep}`")),
                        h,
                    ));
                } else if repeated {
                    errors.push(p.error_at_value(&here, format!("`{dep}` is listed twice")));
                } else if field == "gather" && needs.contains(dep.as_str()) {
                    errors.push(help(
                        p.error_at_value(&here, format!("`{dep}` is in both `needs` and `gather`")),
                        "`needs` fans out over its instances, `gather` collects them: choose one"
                            .into(),
                    ));
                }
            }
        }
        for (axis, values) in &stage.matrix {
            let here = format!("{at}.matrix.{axis}");
            if !is_identifier(axis) {
                errors.push(p.error_at_key(&here, format!("`{axis}` is not a valid axis name")));
            }
            if values.is_empty() {
                errors.push(help(
                    p.error_at_value(&here, format!("matrix axis `{axis}` has no values")),
                    "give at least one value, or remove the axis".into(),
                ));
            }
            for (i, v) in values.iter().enumerate() {
                if errors.len() >= MAX_ERRORS {
                    break 'stages;
                }
                if matches!(
                    v,
                    Value::Sequence(_) | Value::Mapping(_) | Value::Tagged(_) | Value::Null
                ) {
                    errors.push(help(
                        p.error_at_value(
                            &format!("{here}.{i}"),
                            "a matrix value must be a string, number or boolean",
                        ),
                        "put structured values in `params` and sweep over a name that selects them"
                            .into(),
                    ));
                }
            }
            if stage.params.contains_key(Value::String(axis.clone())) {
                errors.push(help(
                    p.error_at_key(
                        &format!("{at}.params.{axis}"),
                        format!("`{axis}` is set in both `params` and `matrix`"),
                    ),
                    "a matrix axis is passed as a parameter already; remove one of the two".into(),
                ));
            }
        }
        if let Some(w) = &stage.where_ {
            for (i, expr) in w.expressions().into_iter().enumerate() {
                let path = match w {
                    super::WhereClause::One(_) => format!("{at}.where"),
                    super::WhereClause::All(_) => format!("{at}.where.{i}"),
                };
                // Checked before parsing: the expression parser and evaluator
                // recurse once per level.
                let limit = p.limits.max_expression_chars;
                if expr.chars().count() > limit || paren_depth(expr) > p.limits.max_depth {
                    errors.push(help(
                        p.error_at_value(
                            &path,
                            format!(
                                "the expression is longer than {limit} characters or nested deeper than {} parentheses",
                                p.limits.max_depth
                            ),
                        ),
                        "split it into a list of shorter conditions (all must hold)".into(),
                    ));
                } else if let Err(e) =
                    evalexpr::build_operator_tree::<evalexpr::DefaultNumericTypes>(expr)
                {
                    errors.push(help(
                        p.error_at_value(&path, format!("cannot parse `{expr}`: {e}")),
                        "write e.g. `model != \"mlp\" || layers == 1`".into(),
                    ));
                }
            }
        }
        if let Err(issues) = stage.resources.check() {
            for (field, message) in issues {
                errors.push(help(
                    p.error_at_value(&format!("{at}.resources.{field}"), message),
                    "see `resources:` in docs/pipeline.md".into(),
                ));
            }
        }
        if stage.retries > super::resources::MAX_RETRIES {
            errors.push(help(
                p.error_at_value(
                    &format!("{at}.retries"),
                    format!("`retries` is {}; at most {} are allowed", stage.retries, super::resources::MAX_RETRIES),
                ),
                "retries repeat scheduler failures (time limit, memory, node failure); a stage that fails by itself fails again".into(),
            ));
        }
        for (i, dep) in stage.deps.iter().enumerate() {
            if errors.len() >= MAX_ERRORS {
                break 'stages;
            }
            if !p.root.join(dep).is_file() {
                errors.push(help(
                    p.error_at_value(
                        &format!("{at}.deps.{i}"),
                        format!("dependency file `{dep}` does not exist"),
                    ),
                    format!("paths in `deps` are relative to {}", p.root.display()),
                ));
            }
        }
    }
    if let Some(cycle) = find_cycle(p) {
        let first = cycle[0].clone();
        let text = cycle
            .iter()
            .chain(std::iter::once(&first))
            .cloned()
            .collect::<Vec<_>>()
            .join(" → ");
        errors.push(help(
            p.error_at_key(
                &format!("stages.{first}"),
                format!("the stages form a cycle: {text}"),
            ),
            "remove one of these `needs`/`gather` entries".into(),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(SpecErrors(errors))
    }
}

/// A cycle among stages as a list of names in dependency order, if any.
fn find_cycle(p: &LoadedPipeline) -> Option<Vec<String>> {
    let mut graph = DiGraph::<&str, ()>::new();
    let nodes: Vec<NodeIndex> = p.spec.stages.keys().map(|n| graph.add_node(n)).collect();
    for (i, stage) in p.spec.stages.values().enumerate() {
        for dep in stage.needs.iter().chain(&stage.gather) {
            if let Some(j) = p.spec.stages.get_index_of(dep) {
                if i != j {
                    graph.add_edge(nodes[j], nodes[i], ());
                }
            }
        }
    }
    let scc: HashSet<NodeIndex> = tarjan_scc(&graph)
        .into_iter()
        .find(|c| c.len() > 1)?
        .into_iter()
        .collect();
    // Walk inside the component from its first stage until we return to it.
    let start = *scc.iter().min()?;
    let mut path = vec![start];
    let mut on_path: HashSet<NodeIndex> = HashSet::from([start]);
    loop {
        let cur = *path.last()?;
        let next = graph.neighbors(cur).filter(|n| scc.contains(n)).min()?;
        if on_path.contains(&next) {
            let i = path.iter().position(|&n| n == next)?;
            path.drain(..i);
            break;
        }
        on_path.insert(next);
        path.push(next);
    }
    Some(path.into_iter().map(|n| graph[n].to_string()).collect())
}
