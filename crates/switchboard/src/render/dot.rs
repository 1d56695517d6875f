//! A [`Diagram`] as Graphviz DOT (`graph --format dot`): menus are rounded boxes with their
//! prompt, queues and forwards distinct shapes, hang-ups circles; plan changes are coloured.

use std::fmt::Write;

use planner::render::Diagram;
use planner::render::diagram::{Change, ItemKind};

use crate::render::{text, wrap_lines};

/// One `digraph` per drawing, concatenated (Graphviz's `dot` draws each).
pub fn dot(diagrams: &[Diagram]) -> String {
    diagrams.iter().map(one).collect::<Vec<_>>().join("\n")
}

fn one(d: &Diagram) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", escape(&format!("ivr {}", d.tree)));
    out.push_str("  graph [rankdir=TB, nodesep=0.4, ranksep=0.6, fontname=\"Helvetica\"];\n");
    out.push_str("  node [fontname=\"Helvetica\", fontsize=11, margin=\"0.15,0.08\"];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=10];\n");
    for (i, item) in d.items.iter().enumerate() {
        let mut lines = vec![item.title.clone()];
        let (width, max) = match item.kind {
            ItemKind::Entry => (40, 3),
            _ => (30, 3),
        };
        lines.extend(wrap_lines(&text(item), width, max));
        let label = lines
            .iter()
            .map(|l| escape(l))
            .collect::<Vec<_>>()
            .join("\\n");
        let shape = match item.kind {
            ItemKind::Entry => {
                "shape=box, style=\"rounded,filled\", fillcolor=\"#24292f\", fontcolor=white"
            }
            ItemKind::Menu => "shape=box, style=\"rounded,filled\", fillcolor=white",
            ItemKind::Missing => "shape=box, style=\"dashed\", color=\"#cf222e\"",
            ItemKind::Queue => "shape=box, style=\"filled\", fillcolor=\"#ddf4ff\", peripheries=2",
            ItemKind::Forward => "shape=parallelogram, style=\"filled\", fillcolor=\"#fbefff\"",
            ItemKind::Hangup => "shape=circle, style=\"filled\", fillcolor=\"#f6f8fa\"",
        };
        let _ = writeln!(
            out,
            "  {} [{shape}, label=\"{label}\"{}];",
            id(i),
            node_change(item.change)
        );
    }
    for e in &d.edges {
        let label = if e.label.is_empty() {
            String::new()
        } else {
            format!("label=\"{}\"", escape(&e.label))
        };
        let style = edge_change(e.change);
        let attrs: Vec<&str> = [label.as_str(), style]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        if attrs.is_empty() {
            let _ = writeln!(out, "  {} -> {};", id(e.from), id(e.to));
        } else {
            let _ = writeln!(
                out,
                "  {} -> {} [{}];",
                id(e.from),
                id(e.to),
                attrs.join(", ")
            );
        }
    }
    out.push_str("}\n");
    out
}

fn id(i: usize) -> String {
    if i == 0 {
        "entry".to_owned()
    } else {
        format!("n{i}")
    }
}

fn node_change(change: Change) -> &'static str {
    match change {
        Change::Same => "",
        Change::Added => ", color=\"#1a7f37\", fillcolor=\"#dafbe1\", penwidth=2",
        Change::Changed => ", color=\"#9a6700\", fillcolor=\"#fff8c5\", penwidth=2",
        Change::Removed => {
            ", color=\"#cf222e\", fillcolor=\"#ffebe9\", penwidth=2, style=\"dashed,filled\""
        }
    }
}

fn edge_change(change: Change) -> &'static str {
    match change {
        Change::Same => "",
        Change::Added => "color=\"#1a7f37\", fontcolor=\"#1a7f37\", penwidth=2",
        Change::Changed => "color=\"#9a6700\", fontcolor=\"#9a6700\", penwidth=2",
        Change::Removed => "color=\"#cf222e\", fontcolor=\"#cf222e\", style=dashed",
    }
}

/// Makes text safe inside a double-quoted DOT string: `spec::text::dot` (hazards escaped,
/// credentials redacted, backslashes and quotes escaped).
pub fn escape(s: &str) -> String {
    spec::text::dot(s)
}
