//! `seqlab dag`: the instance graph as a text tree, Graphviz dot or Mermaid.

use std::fmt::Write;

use petgraph::graph::NodeIndex;
use petgraph::Direction;

use crate::plan::Plan;

/// Each root instance with its descendants indented below it; an instance
/// reached again is shown as `(see above)` instead of repeating its subtree.
pub fn text(plan: &Plan) -> String {
    let mut out = String::new();
    let mut shown = vec![false; plan.instances.len()];
    fn walk(plan: &Plan, i: usize, depth: usize, shown: &mut [bool], out: &mut String) {
        let inst = &plan.instances[i];
        let again = std::mem::replace(&mut shown[i], true);
        let _ = writeln!(
            out,
            "{}{} ({}){}",
            "  ".repeat(depth),
            inst.name,
            inst.kind.name(),
            if again { " (see above)" } else { "" }
        );
        if !again {
            let mut kids: Vec<usize> = plan
                .graph
                .neighbors(NodeIndex::new(i))
                .map(|n| n.index())
                .collect();
            kids.sort_unstable();
            kids.dedup();
            for k in kids {
                walk(plan, k, depth + 1, shown, out);
            }
        }
    }
    for i in 0..plan.instances.len() {
        if plan
            .graph
            .neighbors_directed(NodeIndex::new(i), Direction::Incoming)
            .next()
            .is_none()
        {
            walk(plan, i, 0, &mut shown, &mut out);
        }
    }
    out
}

fn edges(plan: &Plan) -> Vec<(usize, usize)> {
    let mut e: Vec<(usize, usize)> = plan
        .graph
        .edge_indices()
        .filter_map(|e| plan.graph.edge_endpoints(e))
        .map(|(a, b)| (a.index(), b.index()))
        .collect();
    e.sort_unstable();
    e.dedup();
    e
}

pub fn dot(plan: &Plan) -> String {
    let mut out = format!(
        "digraph \"{}\" {{\n  rankdir=LR;\n",
        plan.pipeline.replace('"', "'")
    );
    for (i, inst) in plan.instances.iter().enumerate() {
        let _ = writeln!(
            out,
            "  n{i} [label=\"{}\\n({})\"];",
            inst.name.replace('"', "'"),
            inst.kind.name()
        );
    }
    for (a, b) in edges(plan) {
        let _ = writeln!(out, "  n{a} -> n{b};");
    }
    out.push_str("}\n");
    out
}

pub fn mermaid(plan: &Plan) -> String {
    let mut out = String::from("flowchart LR\n");
    for (i, inst) in plan.instances.iter().enumerate() {
        let _ = writeln!(out, "  n{i}[\"{}\"]", inst.name.replace('"', "'"));
    }
    for (a, b) in edges(plan) {
        let _ = writeln!(out, "  n{a} --> n{b}");
    }
    out
}
