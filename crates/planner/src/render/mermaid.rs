//! IVR trees as Mermaid flowcharts: nodes show their prompt, edges their key, queue / forward /
//! hang-up endings are terminal shapes, the entry box the numbers routed to the tree; with a
//! [`TreeDiff`], added, changed and removed nodes and keys are styled apart. Several trees make
//! one document with a subgraph each. Used by the Markdown plan (a tree per block) and by
//! `graph`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use spec::model::{AudioId, IvrNode, IvrTree, Key, KeyAction, Prompt};

use crate::render::short_audio;

/// How a tree changes, node by node and key by key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TreeDiff {
    /// Nodes that are new.
    pub added: BTreeSet<String>,
    /// Nodes whose fields (prompt, timing, start) change.
    pub changed: BTreeSet<String>,
    /// Nodes that go away, with their keys (drawn dashed).
    pub removed: BTreeMap<String, IvrNode>,
    /// Keys that are new (on nodes that stay or are new).
    pub keys_added: BTreeSet<(String, Key)>,
    /// Keys whose action changes, with the old action.
    pub keys_changed: BTreeMap<(String, Key), KeyAction>,
    /// Keys that go away from nodes that stay, with the old action.
    pub keys_removed: BTreeMap<(String, Key), KeyAction>,
}

impl TreeDiff {
    /// True when nothing changes.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.changed.is_empty()
            && self.removed.is_empty()
            && self.keys_added.is_empty()
            && self.keys_changed.is_empty()
            && self.keys_removed.is_empty()
    }
}

/// The diff of a tree from `before` (live) to `after` (desired); a missing side is a tree
/// with no nodes.
pub fn tree_diff(before: Option<&IvrTree>, after: Option<&IvrTree>) -> TreeDiff {
    let empty = BTreeMap::new();
    let (b_nodes, b_start) = before.map_or((&empty, ""), |t| (&t.nodes, t.start.as_str()));
    let (a_nodes, a_start) = after.map_or((&empty, ""), |t| (&t.nodes, t.start.as_str()));
    let mut diff = TreeDiff::default();
    for (name, a) in a_nodes {
        let Some(b) = b_nodes.get(name) else {
            diff.added.insert(name.clone());
            for key in a.keys.keys() {
                diff.keys_added.insert((name.clone(), *key));
            }
            continue;
        };
        let fields_differ = (
            &b.prompt,
            b.barge_in,
            b.loop_count,
            b.delay_ms,
            b.keypress_timeout,
        ) != (
            &a.prompt,
            a.barge_in,
            a.loop_count,
            a.delay_ms,
            a.keypress_timeout,
        );
        if fields_differ || (name == b_start) != (name == a_start) {
            diff.changed.insert(name.clone());
        }
        for (key, action) in &a.keys {
            match b.keys.get(key) {
                None => {
                    diff.keys_added.insert((name.clone(), *key));
                }
                Some(old) if old != action => {
                    diff.keys_changed.insert((name.clone(), *key), old.clone());
                }
                Some(_) => {}
            }
        }
        for (key, old) in &b.keys {
            if !a.keys.contains_key(key) {
                diff.keys_removed.insert((name.clone(), *key), old.clone());
            }
        }
    }
    for (name, b) in b_nodes {
        if !a_nodes.contains_key(name) {
            diff.removed.insert(name.clone(), b.clone());
        }
    }
    diff
}

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

fn node_label(name: &str, node: &IvrNode, audio_names: &BTreeMap<AudioId, String>) -> String {
    let prompt = match &node.prompt {
        Prompt::Say { text, .. } => shorten(text, 60),
        Prompt::Play { audio } => match audio_names.get(audio) {
            Some(audio_name) => format!("play {}", shorten(audio_name, 60)),
            None => format!("play {}", short_audio(audio)),
        },
    };
    format!("<b>{}</b><br/>{}", escape(name), escape(&prompt))
}

/// Where an edge goes: another node, or an ending.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Node(String),
    Queue(String),
    Forward(String),
    Hangup,
}

fn target(action: &KeyAction) -> Target {
    match action {
        KeyAction::Goto { node } => Target::Node(node.clone()),
        KeyAction::Queue { queue } => Target::Queue(queue.clone()),
        KeyAction::Forward { to, .. } => Target::Forward(to.clone()),
        KeyAction::Hangup => Target::Hangup,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum EdgeStyle {
    Same,
    Added,
    Changed,
    Removed,
}

/// One tree in a Mermaid document.
#[derive(Clone, Copy, Debug)]
pub struct Chart<'a> {
    /// The tree's name.
    pub name: &'a str,
    /// The tree (for a removed tree, one with no nodes: the diff holds what goes).
    pub tree: &'a IvrTree,
    /// How it changes, for a plan.
    pub diff: Option<&'a TreeDiff>,
    /// What enters the tree (the numbers routed to it), one line each under its name in the
    /// entry box; empty to show the name only.
    pub entry: &'a [String],
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

/// Several trees as one Mermaid document: one `flowchart TD`, so that it renders as one
/// diagram (Mermaid draws only the first of several `flowchart` headers). One chart is drawn
/// as is; several get a `subgraph` each, and their ids a per-tree prefix (`t0_n1`) so that
/// no two trees share a node.
pub fn mermaid_charts(charts: &[Chart<'_>], audio_names: &BTreeMap<AudioId, String>) -> String {
    let mut out = String::from("flowchart TD\n");
    let mut styles = Styles::default();
    let nested = charts.len() > 1;
    for (i, chart) in charts.iter().enumerate() {
        if nested {
            let _ = writeln!(out, "  subgraph t{i}[\"ivr {}\"]", escape(chart.name));
            draw(
                &mut out,
                chart,
                &format!("t{i}_"),
                "    ",
                audio_names,
                &mut styles,
            );
            out.push_str("  end\n");
        } else {
            draw(&mut out, chart, "", "  ", audio_names, &mut styles);
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
    ] {
        if !members.is_empty() {
            let _ = writeln!(out, "  class {} {class}", members.join(","));
        }
    }
    for (i, style) in styles.links {
        let css = match style {
            EdgeStyle::Added => "stroke:#1a7f37,stroke-width:2px",
            EdgeStyle::Changed => "stroke:#9a6700,stroke-width:2px",
            EdgeStyle::Removed => "stroke:#cf222e,stroke-width:2px,stroke-dasharray:5 5",
            EdgeStyle::Same => continue,
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
    links: Vec<(usize, EdgeStyle)>,
    link_count: usize,
}

/// The nodes and links of one tree, ids prefixed with `prefix`, lines indented by `indent`.
fn draw(
    out: &mut String,
    chart: &Chart<'_>,
    prefix: &str,
    indent: &str,
    audio_names: &BTreeMap<AudioId, String>,
    styles: &mut Styles,
) {
    let no_diff = TreeDiff::default();
    let diff = chart.diff.unwrap_or(&no_diff);
    let tree = chart.tree;

    // Stable ids: node names may hold anything, ids must not.
    let mut names: BTreeSet<&str> = tree.nodes.keys().map(String::as_str).collect();
    names.extend(diff.removed.keys().map(String::as_str));
    let ids: BTreeMap<&str, String> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (*n, format!("{prefix}n{i}")))
        .collect();

    let mut edges: Vec<(String, Key, Target, EdgeStyle)> = Vec::new();
    for (name, node) in &tree.nodes {
        for (key, action) in &node.keys {
            let at = (name.clone(), *key);
            let style = if diff.keys_added.contains(&at) {
                EdgeStyle::Added
            } else if diff.keys_changed.contains_key(&at) {
                EdgeStyle::Changed
            } else {
                EdgeStyle::Same
            };
            edges.push((name.clone(), *key, target(action), style));
            if let Some(old) = diff.keys_changed.get(&at) {
                edges.push((name.clone(), *key, target(old), EdgeStyle::Removed));
            }
        }
    }
    for ((name, key), old) in &diff.keys_removed {
        edges.push((name.clone(), *key, target(old), EdgeStyle::Removed));
    }
    for (name, node) in &diff.removed {
        for (key, action) in &node.keys {
            edges.push((name.clone(), *key, target(action), EdgeStyle::Removed));
        }
    }

    let mut endings: BTreeSet<Target> = BTreeSet::new();
    for (_, _, t, _) in &edges {
        if !matches!(t, Target::Node(_)) {
            endings.insert(t.clone());
        }
    }
    let ending_ids: BTreeMap<&Target, String> = endings
        .iter()
        .enumerate()
        .map(|(i, t)| (t, format!("{prefix}e{i}")))
        .collect();
    let id_of = |t: &Target| -> String {
        match t {
            Target::Node(n) => ids
                .get(n.as_str())
                .cloned()
                .unwrap_or_else(|| format!("{prefix}missing_{}", escape_id(n))),
            other => ending_ids.get(other).cloned().unwrap_or_default(),
        }
    };

    let entry = format!("{prefix}entry");
    let _ = writeln!(
        out,
        "{indent}{entry}([\"{}\"]):::entry",
        entry_label(chart.name, chart.entry)
    );
    if let Some(id) = ids.get(tree.start.as_str())
        && tree.nodes.contains_key(&tree.start)
    {
        let _ = writeln!(out, "{indent}{entry} --> {id}");
        styles.link_count += 1;
    }
    for name in &names {
        let id = &ids[name];
        let node = tree
            .nodes
            .get(*name)
            .or_else(|| diff.removed.get(*name))
            .expect("every id comes from the tree or the removed nodes");
        let _ = writeln!(
            out,
            "{indent}{id}[\"{}\"]",
            node_label(name, node, audio_names)
        );
    }
    for (t, id) in &ending_ids {
        let _ = match t {
            Target::Queue(q) => writeln!(out, "{indent}{id}([\"queue {}\"]):::ending", escape(q)),
            Target::Forward(to) => {
                writeln!(out, "{indent}{id}[/\"forward {}\"/]:::ending", escape(to))
            }
            Target::Hangup => writeln!(out, "{indent}{id}((\"hang up\")):::ending"),
            Target::Node(_) => Ok(()),
        };
    }
    for (from, key, to, style) in &edges {
        let arrow = if *style == EdgeStyle::Removed {
            "-.->"
        } else {
            "-->"
        };
        let _ = writeln!(
            out,
            "{indent}{} {arrow}|\"{}\"| {}",
            ids[from.as_str()],
            escape(key.as_str()),
            id_of(to)
        );
        if *style != EdgeStyle::Same {
            styles.links.push((styles.link_count, *style));
        }
        styles.link_count += 1;
    }

    for (members, set) in [
        (&mut styles.added, diff.added.iter().collect::<Vec<_>>()),
        (&mut styles.changed, diff.changed.iter().collect()),
        (&mut styles.removed, diff.removed.keys().collect()),
    ] {
        members.extend(set.iter().filter_map(|n| ids.get(n.as_str()).cloned()));
    }
}

/// `ivr main`, then the lines that enter it (at most [`ENTRY_LINES`], the rest counted).
fn entry_label(name: &str, entry: &[String]) -> String {
    let mut label = format!("ivr {}", escape(name));
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
