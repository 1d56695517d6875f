//! The one drawing model of an IVR tree, which every drawing format is written from: Mermaid
//! (here, for the Markdown plan and `graph`), Graphviz DOT and SVG (in the binary, for
//! `graph` and `report`). A tree, and a plan's [`TreeDiff`] of it, becomes a [`Diagram`]:
//! boxes (the entry, the menus, where calls end) and arrows labelled with keys, each marked
//! with how the plan changes it. The writers choose only syntax, wording and layout, so the
//! three formats cannot disagree about what a tree holds or what a plan changes in it.

use std::collections::{BTreeMap, BTreeSet};

use spec::model::{AudioId, IvrNode, IvrTree, Key, KeyAction, Prompt};

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
        // The model's equality of a node's own fields, as the plan's node step compares them.
        let fields_differ = b.without_keys() != a.without_keys();
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

/// One tree to draw.
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

/// What a box stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

/// How a box or an arrow changes in a plan.
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

/// What a box says under its title, for each format to word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caption {
    /// Nothing.
    None,
    /// Lines of text: what enters the tree, or why a box is there.
    Lines(Vec<String>),
    /// A menu's spoken prompt, whitespace runs collapsed to one space.
    Say(String),
    /// A menu's audio prompt: the audio's name where known.
    Play {
        /// The audio.
        id: AudioId,
        /// Its name, from the spec or the name recorded at upload.
        name: Option<String>,
    },
}

/// A box.
#[derive(Clone, Debug)]
pub struct Item {
    /// What it stands for.
    pub kind: ItemKind,
    /// Its name: the tree's (entry), the node's, the queue's, the number forwarded to.
    pub name: String,
    /// Its first line: `ivr main`, `language`, `queue support`, `forward 849…`, `hang up`.
    pub title: String,
    /// What it says under the title, unshortened.
    pub caption: Caption,
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
pub struct Diagram {
    /// The tree's name.
    pub tree: String,
    /// Every box: the entry first, then the menus (the start first, the others by name,
    /// removed ones among them), then where calls end, in the order arrows first reach them.
    pub items: Vec<Item>,
    /// The entry arrow, then every key's arrow, menu by menu in the order of `items` and key
    /// by key (a changed key's new arrow, then its old one, removed), then the keys that go
    /// from menus that stay.
    pub edges: Vec<Edge>,
}

impl Diagram {
    /// The diagram of `chart`, audio prompts named by `audio_names`. With a diff, removed
    /// nodes and keys are drawn too (from the diff), and everything is marked with how it
    /// changes.
    pub fn of(chart: &Chart<'_>, audio_names: &BTreeMap<AudioId, String>) -> Diagram {
        let no_diff = TreeDiff::default();
        let diff = chart.diff.unwrap_or(&no_diff);
        let tree = chart.tree;
        let mut items = vec![Item {
            kind: ItemKind::Entry,
            name: chart.name.to_owned(),
            title: format!("ivr {}", chart.name),
            caption: if chart.entry.is_empty() {
                Caption::None
            } else {
                Caption::Lines(chart.entry.to_vec())
            },
            change: Change::Same,
        }];

        // Nodes of the tree, then removed ones, each in name order; the start node first so
        // that it is drawn first in its row.
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
                caption: prompt(&node.prompt, audio_names),
                change: *change,
            });
        }

        let mut edges = Vec::new();
        if let Some(&start) = index.get(&(ItemKind::Menu, tree.start.clone())) {
            edges.push(Edge {
                from: 0,
                to: start,
                label: String::new(),
                // Calls stop entering a start node that goes (a deleted tree's).
                change: match items[start].change {
                    Change::Removed => Change::Removed,
                    _ => Change::Same,
                },
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
                    index.insert(target.clone(), items.len());
                    items.push(ending(target));
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
        Diagram {
            tree: chart.name.to_owned(),
            items,
            edges,
        }
    }
}

/// A menu's caption.
fn prompt(prompt: &Prompt, audio_names: &BTreeMap<AudioId, String>) -> Caption {
    match prompt {
        Prompt::Say { text, .. } => {
            Caption::Say(text.split_whitespace().collect::<Vec<_>>().join(" "))
        }
        Prompt::Play { audio } => Caption::Play {
            id: audio.clone(),
            name: audio_names.get(audio).cloned(),
        },
    }
}

/// The box of a place calls end (or of a node the tree lacks), first reached by an arrow.
fn ending((kind, name): (ItemKind, String)) -> Item {
    let (kind, title, caption) = match kind {
        ItemKind::Queue => (kind, format!("queue {name}"), Caption::None),
        ItemKind::Forward => (kind, format!("forward {name}"), Caption::None),
        ItemKind::Hangup => (kind, "hang up".to_owned(), Caption::None),
        _ => (
            ItemKind::Missing,
            name.clone(),
            Caption::Lines(vec!["no such node".to_owned()]),
        ),
    };
    Item {
        kind,
        name,
        title,
        caption,
        change: Change::Same,
    }
}
