//! Drawings of IVR trees for `graph` and `report`: a tree (and, for a plan, its diff) becomes
//! a [`Drawing`] of boxes and labelled arrows, which [`dot`] writes as Graphviz and [`svg`]
//! lays out and draws itself. Mermaid comes from the planner (`planner::render::mermaid`), which
//! the Markdown plan uses too.

pub mod dot;
pub mod html;
pub mod svg;

use std::collections::{BTreeMap, BTreeSet};

use planner::render::TreeDiff;
use spec::Model;
use spec::model::{IvrNode, IvrTree, Key, KeyAction, NumberRoute};

use crate::callflow;

/// What a box stands for.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ItemKind {
    /// Where calls come in: the tree and the numbers routed to it.
    Entry,
    /// An IVR node (a menu).
    Menu,
    /// A node a key goes to that the tree does not have.
    Missing,
    /// The call waits in a queue.
    Queue,
    /// The call is forwarded.
    Forward,
    /// The call ends.
    Hangup,
}

/// How an item or an arrow changes in a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Unchanged (or no plan).
    Same,
    /// New.
    Added,
    /// Changed in place.
    Changed,
    /// Goes away.
    Removed,
}

impl Change {
    /// The CSS class (and the word shown).
    pub fn class(self) -> &'static str {
        match self {
            Change::Same => "same",
            Change::Added => "added",
            Change::Changed => "changed",
            Change::Removed => "removed",
        }
    }
}

/// A box.
#[derive(Clone, Debug)]
pub struct Item {
    /// What it stands for.
    pub kind: ItemKind,
    /// Its name: the node's name, the queue's name, the number forwarded to.
    pub name: String,
    /// Its first line, bold: `language`, `queue support`, `forward 849…`, `hang up`.
    pub title: String,
    /// More text under the title (a menu's prompt, an entry's numbers), unshortened.
    pub text: String,
    /// How it changes.
    pub change: Change,
}

/// A labelled arrow between two items.
#[derive(Clone, Debug)]
pub struct Edge {
    /// Index of the item it leaves.
    pub from: usize,
    /// Index of the item it reaches.
    pub to: usize,
    /// The key (`1`, `timeout`, ...), or empty for the entry arrow.
    pub label: String,
    /// How it changes.
    pub change: Change,
}

/// One IVR tree, ready to draw.
#[derive(Clone, Debug)]
pub struct Drawing {
    /// The tree's name.
    pub tree: String,
    /// Every box; the first is the entry.
    pub items: Vec<Item>,
    /// Every arrow, in a stable order (by node, then key).
    pub edges: Vec<Edge>,
}

/// The drawing of `tree` (named `name`) of `model`. With `diff`, removed nodes and keys are
/// drawn too (from the diff), and everything is marked with how it changes.
pub fn drawing(model: &Model, name: &str, tree: &IvrTree, diff: Option<&TreeDiff>) -> Drawing {
    let no_diff = TreeDiff::default();
    let diff = diff.unwrap_or(&no_diff);
    let numbers = entry_numbers(model, name);
    let mut items = vec![Item {
        kind: ItemKind::Entry,
        name: name.to_owned(),
        title: format!("ivr {name}"),
        text: if numbers.is_empty() {
            "no number routes here".to_owned()
        } else {
            numbers.join(", ")
        },
        change: Change::Same,
    }];

    // Nodes of the tree, then removed ones, each in name order; the start node first so that
    // it is drawn first in its row.
    let mut nodes: Vec<(&String, &IvrNode, Change)> = Vec::new();
    for (n, node) in &tree.nodes {
        let change = if diff.added.contains(n) {
            Change::Added
        } else if diff.changed.contains(n) {
            Change::Changed
        } else {
            Change::Same
        };
        nodes.push((n, node, change));
    }
    for (n, node) in &diff.removed {
        nodes.push((n, node, Change::Removed));
    }
    nodes.sort_by_key(|(n, _, _)| (**n != tree.start, (*n).clone()));
    let mut index: BTreeMap<(ItemKind, String), usize> = BTreeMap::new();
    for (n, node, change) in &nodes {
        index.insert((ItemKind::Menu, (*n).clone()), items.len());
        items.push(Item {
            kind: ItemKind::Menu,
            name: (*n).clone(),
            title: (*n).clone(),
            text: callflow::prompt_label(model, &node.prompt),
            change: *change,
        });
    }

    let mut edges = Vec::new();
    if let Some(&start) = index.get(&(ItemKind::Menu, tree.start.clone())) {
        edges.push(Edge {
            from: 0,
            to: start,
            label: String::new(),
            change: Change::Same,
        });
    }
    let mut arrows: Vec<(String, Key, KeyAction, Change)> = Vec::new();
    for (n, node, node_change) in &nodes {
        for (key, action) in &node.keys {
            let at = ((*n).clone(), *key);
            let change = if *node_change == Change::Removed {
                Change::Removed
            } else if diff.keys_added.contains(&at) {
                Change::Added
            } else if diff.keys_changed.contains_key(&at) {
                Change::Changed
            } else {
                Change::Same
            };
            arrows.push(((*n).clone(), *key, action.clone(), change));
            if let Some(old) = diff.keys_changed.get(&at) {
                arrows.push(((*n).clone(), *key, old.clone(), Change::Removed));
            }
        }
    }
    for ((n, key), old) in &diff.keys_removed {
        arrows.push((n.clone(), *key, old.clone(), Change::Removed));
    }
    let mut endings: BTreeSet<(ItemKind, String)> = BTreeSet::new();
    for (from, key, action, change) in arrows {
        let target = match &action {
            KeyAction::Goto { node } => (ItemKind::Menu, node.clone()),
            KeyAction::Queue { queue } => (ItemKind::Queue, queue.clone()),
            KeyAction::Forward { to, .. } => (ItemKind::Forward, to.clone()),
            KeyAction::Hangup => (ItemKind::Hangup, String::new()),
        };
        let to = match index.get(&target) {
            Some(&i) => i,
            None => {
                let (kind, name) = target.clone();
                let kind = if kind == ItemKind::Menu {
                    ItemKind::Missing
                } else {
                    kind
                };
                let title = match kind {
                    ItemKind::Queue => format!("queue {name}"),
                    ItemKind::Forward => format!("forward {name}"),
                    ItemKind::Hangup => "hang up".to_owned(),
                    _ => name.clone(),
                };
                let text = if kind == ItemKind::Missing {
                    "no such node".to_owned()
                } else {
                    String::new()
                };
                endings.insert(target.clone());
                index.insert(target, items.len());
                items.push(Item {
                    kind,
                    name,
                    title,
                    text,
                    change: Change::Same,
                });
                items.len() - 1
            }
        };
        edges.push(Edge {
            from: index[&(ItemKind::Menu, from)],
            to,
            label: key.as_str().to_owned(),
            change,
        });
    }
    // An ending reached only by removed arrows goes away with them.
    for (i, item) in items.iter_mut().enumerate() {
        if matches!(
            item.kind,
            ItemKind::Queue | ItemKind::Forward | ItemKind::Hangup
        ) && edges
            .iter()
            .filter(|e| e.to == i)
            .all(|e| e.change == Change::Removed)
        {
            item.change = Change::Removed;
        }
    }
    Drawing {
        tree: name.to_owned(),
        items,
        edges,
    }
}

/// The numbers routed to the tree `name`, as `842473082686 (Hotline)`, in digit order: what
/// an entry box names.
pub fn entry_numbers(model: &Model, name: &str) -> Vec<String> {
    model
        .numbers
        .iter()
        .filter(|(_, n)| matches!(&n.route, Some(NumberRoute::Ivr(tree)) if tree == name))
        .map(|(digits, n)| match &n.nickname {
            Some(nick) => format!("{digits} ({nick})"),
            None => digits.clone(),
        })
        .collect()
}

/// Text wrapped at word boundaries into lines of at most `width` characters, at most
/// `max_lines` lines, the last one ending in `…` when the text is cut.
pub fn wrap_lines(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut cut = false;
    for word in text.split_whitespace() {
        let word: String = if word.chars().count() > width {
            let w: String = word.chars().take(width.saturating_sub(1)).collect();
            format!("{w}…")
        } else {
            word.to_owned()
        };
        let fits =
            current.is_empty() || current.chars().count() + 1 + word.chars().count() <= width;
        if fits {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(&word);
        } else {
            lines.push(std::mem::take(&mut current));
            if lines.len() == max_lines {
                cut = true;
                break;
            }
            current = word;
        }
    }
    if !cut && !current.is_empty() {
        lines.push(current);
    }
    if cut && let Some(last) = lines.last_mut() {
        let mut shortened: String = last.chars().take(width.saturating_sub(1)).collect();
        shortened = shortened.trim_end().to_owned();
        shortened.push('…');
        *last = shortened;
    }
    lines
}
