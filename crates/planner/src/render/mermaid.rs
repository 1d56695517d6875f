//! [`Diagram`]s of IVR trees as Mermaid flowcharts: nodes show their prompt, edges their key,
//! queue / forward / hang-up endings are terminal shapes, the entry box the numbers routed to
//! the tree; with a [`TreeDiff`], added, changed and removed nodes and keys are styled apart.
//! Several trees make one document with a subgraph each. Used by the Markdown plan (a tree per
//! block) and by `graph`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use spec::model::{AudioId, IvrTree};

use crate::render::diagram::{Caption, Change, Chart, Diagram, Edge, ItemKind, TreeDiff};
use crate::render::short_audio;

/// Text inside a quoted Mermaid label: `spec::text::mermaid` (no `%%` directive or comment,
/// no quote, no backtick, no line break).
fn escape(s: &str) -> String {
    spec::text::mermaid(s)
}

fn shorten(s: &str, max: usize) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= max {
        s
    } else {
        let cut: String = s.chars().take(max - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

/// A menu's box: its name in bold over its prompt, shortened.
fn menu_label(name: &str, caption: &Caption) -> String {
    let prompt = match caption {
        Caption::Say(text) => shorten(text, 60),
        Caption::Play {
            name: Some(audio_name),
            ..
        } => format!("play {}", shorten(audio_name, 60)),
        Caption::Play { id, name: None } => format!("play {}", short_audio(id)),
        Caption::Lines(lines) => shorten(&lines.join(" "), 60),
        Caption::None => String::new(),
    };
    format!("<b>{}</b><br/>{}", escape(name), escape(&prompt))
}

/// Entry lines shown at most; the rest are counted.
const ENTRY_LINES: usize = 4;

/// `tree` as a Mermaid flowchart. With `diff`, added nodes and keys are green, changed ones
/// amber, and removed ones (taken from the diff) red and dashed.
pub fn mermaid(tree_name: &str, tree: &IvrTree, diff: Option<&TreeDiff>) -> String {
    mermaid_with_audio_names(tree_name, tree, diff, &BTreeMap::new())
}

/// [`mermaid`], with audio prompts shown by name (`play welcome-es`) where `audio_names` knows
/// the file, by content id otherwise.
pub fn mermaid_with_audio_names(
    tree_name: &str,
    tree: &IvrTree,
    diff: Option<&TreeDiff>,
    audio_names: &BTreeMap<AudioId, String>,
) -> String {
    let chart = Chart {
        name: tree_name,
        tree,
        diff,
        entry: &[],
    };
    mermaid_charts(&[chart], audio_names)
}

/// Several trees as one Mermaid document ([`mermaid_diagrams`]).
pub fn mermaid_charts(charts: &[Chart<'_>], audio_names: &BTreeMap<AudioId, String>) -> String {
    let diagrams: Vec<Diagram> = charts
        .iter()
        .map(|chart| Diagram::of(chart, audio_names))
        .collect();
    mermaid_diagrams(&diagrams)
}

/// Several diagrams as one Mermaid document: one `flowchart TD`, so that it renders as one
/// diagram (Mermaid draws only the first of several `flowchart` headers). One diagram is
/// drawn as is; several get a `subgraph` each, and their ids a per-tree prefix (`t0_n1`) so
/// that no two trees share a node.
pub fn mermaid_diagrams(diagrams: &[Diagram]) -> String {
    let mut out = String::from("flowchart TD\n");
    let mut styles = Styles::default();
    let nested = diagrams.len() > 1;
    for (i, diagram) in diagrams.iter().enumerate() {
        if nested {
            let _ = writeln!(out, "  subgraph t{i}[\"ivr {}\"]", escape(&diagram.tree));
            draw(&mut out, diagram, &format!("t{i}_"), "    ", &mut styles);
            out.push_str("  end\n");
        } else {
            draw(&mut out, diagram, "", "  ", &mut styles);
        }
    }

    out.push_str("  classDef entry fill:#f6f8fa,stroke:#57606a\n");
    out.push_str("  classDef ending fill:#f6f8fa,stroke:#8c959f\n");
    out.push_str("  classDef added fill:#dafbe1,stroke:#1a7f37,stroke-width:2px\n");
    out.push_str("  classDef changed fill:#fff8c5,stroke:#9a6700,stroke-width:2px\n");
    out.push_str(
        "  classDef removed fill:#ffebe9,stroke:#cf222e,stroke-width:2px,stroke-dasharray:5 5\n",
    );
    for (class, members) in [
        ("added", &styles.added),
        ("changed", &styles.changed),
        ("removed", &styles.removed),
        ("removed", &styles.endings_removed),
    ] {
        if !members.is_empty() {
            let _ = writeln!(out, "  class {} {class}", members.join(","));
        }
    }
    for (i, change) in styles.links {
        let css = match change {
            Change::Added => "stroke:#1a7f37,stroke-width:2px",
            Change::Changed => "stroke:#9a6700,stroke-width:2px",
            Change::Removed => "stroke:#cf222e,stroke-width:2px,stroke-dasharray:5 5",
            Change::Same => continue,
        };
        let _ = writeln!(out, "  linkStyle {i} {css}");
    }
    out
}

/// What the whole document styles after its trees: node classes by id, and links by their
/// index in the document (Mermaid counts links across subgraphs).
#[derive(Default)]
struct Styles {
    added: Vec<String>,
    changed: Vec<String>,
    removed: Vec<String>,
    /// Endings that go away, styled apart from the menus (a line of their own).
    endings_removed: Vec<String>,
    links: Vec<(usize, Change)>,
    link_count: usize,
}

/// The boxes and links of one diagram, ids prefixed with `prefix`, lines indented by
/// `indent`. Menus are numbered by name (`n0`, `n1`...) and endings by kind and name (`e0`...)
/// whatever the diagram's order, and links are listed by menu name: those of the menus that
/// stay (a changed key's old action right after its new one), then the keys that go from
/// menus that stay, then the links of removed menus. A key to a node the tree lacks points at
/// an id of its own that no box declares.
fn draw(out: &mut String, d: &Diagram, prefix: &str, indent: &str, styles: &mut Styles) {
    let of_kind = |kinds: &[ItemKind]| -> Vec<usize> {
        let mut found: Vec<usize> = (0..d.items.len())
            .filter(|&i| kinds.contains(&d.items[i].kind))
            .collect();
        found.sort_by(|&a, &b| {
            let (a, b) = (&d.items[a], &d.items[b]);
            (a.kind, &a.name).cmp(&(b.kind, &b.name))
        });
        found
    };
    let menus = of_kind(&[ItemKind::Menu]);
    let endings = of_kind(&[ItemKind::Queue, ItemKind::Forward, ItemKind::Hangup]);
    let mut ids: BTreeMap<usize, String> = BTreeMap::new();
    ids.insert(0, format!("{prefix}entry"));
    for (n, &i) in menus.iter().enumerate() {
        ids.insert(i, format!("{prefix}n{n}"));
    }
    for (n, &i) in endings.iter().enumerate() {
        ids.insert(i, format!("{prefix}e{n}"));
    }
    for (i, item) in d.items.iter().enumerate() {
        if item.kind == ItemKind::Missing {
            ids.insert(i, format!("{prefix}missing_{}", escape_id(&item.name)));
        }
    }

    let entry = &d.items[0];
    let _ = writeln!(
        out,
        "{indent}{}([\"{}\"]):::entry",
        ids[&0],
        entry_label(&entry.name, &entry.caption)
    );
    let (from_entry, keys): (Vec<_>, Vec<_>) = d.edges.iter().partition(|e| e.from == 0);
    for edge in from_entry {
        link(out, indent, &ids, edge, None, styles);
    }
    for &i in &menus {
        let item = &d.items[i];
        let _ = writeln!(
            out,
            "{indent}{}[\"{}\"]",
            ids[&i],
            menu_label(&item.name, &item.caption)
        );
    }
    for &i in &endings {
        let item = &d.items[i];
        let name = escape(&item.name);
        let _ = match item.kind {
            ItemKind::Queue => writeln!(out, "{indent}{}([\"queue {name}\"]):::ending", ids[&i]),
            ItemKind::Forward => {
                writeln!(out, "{indent}{}[/\"forward {name}\"/]:::ending", ids[&i])
            }
            _ => writeln!(out, "{indent}{}((\"hang up\")):::ending", ids[&i]),
        };
    }
    // Keys that still lead somewhere, to tell a changed key's old arrow from a removed key.
    let kept: BTreeSet<(usize, &str)> = keys
        .iter()
        .filter(|e| e.change != Change::Removed)
        .map(|e| (e.from, e.label.as_str()))
        .collect();
    let mut keys = keys;
    keys.sort_by_key(|e| {
        let rank = if d.items[e.from].change == Change::Removed {
            2
        } else if e.change == Change::Removed && !kept.contains(&(e.from, e.label.as_str())) {
            1
        } else {
            0
        };
        (rank, &d.items[e.from].name)
    });
    for edge in keys {
        link(out, indent, &ids, edge, Some(&edge.label), styles);
    }

    for &i in &menus {
        let members = match d.items[i].change {
            Change::Added => &mut styles.added,
            Change::Changed => &mut styles.changed,
            Change::Removed => &mut styles.removed,
            Change::Same => continue,
        };
        members.push(ids[&i].clone());
    }
    // An ending that only removed keys reach goes away with them, as DOT and SVG draw it.
    styles.endings_removed.extend(
        endings
            .iter()
            .filter(|&&i| d.items[i].change == Change::Removed)
            .map(|i| ids[i].clone()),
    );
}

/// One link, dashed when it goes away, its style noted by its index in the document.
fn link(
    out: &mut String,
    indent: &str,
    ids: &BTreeMap<usize, String>,
    edge: &Edge,
    label: Option<&str>,
    styles: &mut Styles,
) {
    let arrow = if edge.change == Change::Removed {
        "-.->"
    } else {
        "-->"
    };
    let label = label.map_or(String::new(), |l| format!("|\"{}\"|", escape(l)));
    let _ = writeln!(
        out,
        "{indent}{} {arrow}{label} {}",
        ids[&edge.from], ids[&edge.to]
    );
    if edge.change != Change::Same {
        styles.links.push((styles.link_count, edge.change));
    }
    styles.link_count += 1;
}

/// `ivr main`, then the lines that enter it (at most [`ENTRY_LINES`], the rest counted).
fn entry_label(name: &str, caption: &Caption) -> String {
    let mut label = format!("ivr {}", escape(name));
    let Caption::Lines(entry) = caption else {
        return label;
    };
    if entry.is_empty() {
        return label;
    }
    label = format!("<b>{label}</b>");
    for line in entry.iter().take(ENTRY_LINES) {
        label.push_str("<br/>");
        label.push_str(&escape(&shorten(line, 60)));
    }
    if entry.len() > ENTRY_LINES {
        let _ = write!(label, "<br/>and {} more", entry.len() - ENTRY_LINES);
    }
    label
}

fn escape_id(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}
