//! The change blocks that the text and Markdown renderings share: one block per object, with
//! what it owns folded in (a group's members and a queue's routing as set changes, a node's
//! keys as one line each), changed fields only for updates.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::object::Object;
use crate::plan::{Change, ChangeAction, Plan, Replace};
use crate::render::{
    Style, is_audio_field, is_long_text, key_label, sides, terminal, value, word_diff,
};
use spec::{Address, Kind};

/// How a line is marked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sign {
    Add,
    Change,
    Remove,
    Replace,
    /// A `#` comment.
    Note,
}

impl Sign {
    pub fn of(action: ChangeAction) -> Sign {
        match action {
            ChangeAction::Create => Sign::Add,
            ChangeAction::Update => Sign::Change,
            ChangeAction::Replace => Sign::Replace,
            ChangeAction::Delete => Sign::Remove,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Sign::Add => "+",
            Sign::Change => "~",
            Sign::Remove => "-",
            Sign::Replace => "-/+",
            Sign::Note => "",
        }
    }
}

/// One line: `depth` 0 for the object, 1 for its fields.
#[derive(Debug)]
pub(crate) struct Line {
    pub sign: Sign,
    pub depth: u8,
    pub text: String,
}

/// Everything shown about one object.
#[derive(Debug)]
pub(crate) struct Block {
    /// The object the block is about.
    pub anchor: Address,
    /// How many changes (addresses) the block shows.
    pub changes: usize,
    pub lines: Vec<Line>,
}

impl Block {
    pub fn kind(&self) -> Kind {
        self.anchor.kind()
    }
}

/// The object a change is shown under: memberships under their group, routings under their
/// queue, keys under their node.
fn anchor(address: &Address) -> Address {
    match address {
        Address::Membership { group, .. } => Address::Group(group.clone()),
        Address::Routing { queue, .. } => Address::Queue(queue.clone()),
        Address::IvrKey { tree, node, .. } => Address::IvrNode {
            tree: tree.clone(),
            node: node.clone(),
        },
        other => other.clone(),
    }
}

pub(crate) fn blocks(plan: &Plan, style: Style) -> Vec<Block> {
    let mut groups: BTreeMap<Address, (Option<Change<'_>>, Vec<Change<'_>>)> = BTreeMap::new();
    for change in plan.changes() {
        let a = anchor(change.address);
        let entry = groups.entry(a.clone()).or_default();
        if a == *change.address {
            entry.0 = Some(change);
        } else {
            entry.1.push(change);
        }
    }
    groups
        .into_iter()
        .map(|(anchor, (own, children))| block(plan, anchor, own, &children, style))
        .collect()
}

fn block(
    plan: &Plan,
    anchor: Address,
    own: Option<Change<'_>>,
    children: &[Change<'_>],
    style: Style,
) -> Block {
    let mut lines = Vec::new();
    // Notes, labels and names hold live names: each line is made safe for a terminal as a
    // whole. Field lines are made of quoted values and word diffs, escaped as they are built.
    let note = |depth: u8, text: String| Line {
        sign: Sign::Note,
        depth,
        text: terminal(&text),
    };
    match &own {
        Some(c) if c.moved_from.is_some() => {
            let from = c.moved_from.map(ToString::to_string).unwrap_or_default();
            // Terraform's wording: a bare rename "has moved"; a rename with other changes is
            // an update that was moved.
            if c.changed_fields == ["name"] {
                lines.push(note(0, format!("# {anchor} has moved from {from}")));
            } else {
                lines.push(note(0, format!("# {anchor} will be updated in place")));
                lines.push(note(0, format!("# (moved from {from})")));
            }
        }
        Some(c) => {
            let what = match c.action {
                ChangeAction::Create => "will be created",
                ChangeAction::Update => "will be updated in place",
                ChangeAction::Replace => "must be replaced",
                ChangeAction::Delete => "will be destroyed",
            };
            lines.push(note(0, format!("# {anchor} {what}")));
            if let Some(reason) = c.reason {
                lines.push(note(0, format!("# ({})", short_reason(reason))));
            }
        }
        None => {
            let what = match anchor.kind() {
                Kind::Group => "members",
                Kind::Queue => "routing",
                _ => "keys",
            };
            lines.push(note(0, format!("# {anchor}: {what} will change")));
        }
    }
    let sign = own.map_or(Sign::Change, |c| Sign::of(c.action));
    lines.push(Line {
        sign,
        depth: 0,
        text: terminal(&anchor),
    });
    if let Some(c) = &own {
        field_lines(plan, c, style, &mut lines);
    }
    match anchor.kind() {
        Kind::Group => set_line(
            "members",
            children,
            |c| match c.address {
                Address::Membership { agent, .. } => agent.clone(),
                _ => String::new(),
            },
            &mut lines,
        ),
        Kind::Queue => {
            set_line("routing", children, routing_label, &mut lines);
            for c in children {
                if let (Some(reason), Address::Routing { group, .. }) = (c.reason, c.address) {
                    lines.push(note(
                        1,
                        format!(
                            "# routing to {group} is recreated: {}",
                            short_reason(reason)
                        ),
                    ));
                }
            }
        }
        _ => {
            for c in children {
                key_line(c, &mut lines);
            }
        }
    }
    Block {
        anchor,
        changes: usize::from(own.is_some()) + children.len(),
        lines,
    }
}

pub(crate) fn short_reason(reason: &Replace) -> String {
    match reason {
        Replace::RoutingPriority => "PCC cannot change a routing's priority in place".to_owned(),
        Replace::TreeStart { from, to, .. } => format!(
            "the tree's start moves from `{from}` to `{to}`, and PCC cannot move a tree's root"
        ),
    }
}

fn forcing_field(reason: Option<&Replace>) -> Option<&'static str> {
    match reason? {
        Replace::RoutingPriority => Some("primary"),
        Replace::TreeStart { .. } => Some("start"),
    }
}

fn field_lines(plan: &Plan, c: &Change<'_>, style: Style, lines: &mut Vec<Line>) {
    let (before, after) = sides(c);
    let shown: Vec<&String> = match c.action {
        ChangeAction::Create => after.keys().collect(),
        ChangeAction::Delete => before.keys().collect(),
        ChangeAction::Update | ChangeAction::Replace => c.changed_fields.iter().collect(),
    };
    let width = shown.iter().map(|f| f.len()).max().unwrap_or(0);
    let forcing = forcing_field(c.reason);
    for field in &shown {
        lines.push(field_line(
            plan, field, &before, &after, width, forcing, style,
        ));
    }
    let total = before
        .keys()
        .chain(after.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let hidden = total - shown.len().min(total);
    if hidden > 0 && matches!(c.action, ChangeAction::Update | ChangeAction::Replace) {
        let s = if hidden == 1 { "" } else { "s" };
        lines.push(Line {
            sign: Sign::Note,
            depth: 1,
            text: format!("# ({hidden} unchanged field{s} hidden)"),
        });
    }
}

fn field_line(
    plan: &Plan,
    field: &str,
    before: &Map<String, Value>,
    after: &Map<String, Value>,
    width: usize,
    forcing: Option<&str>,
    style: Style,
) -> Line {
    let b = before.get(field);
    let a = after.get(field);
    let name = format!("{field:<width$}");
    let (sign, mut text) = match (b, a) {
        (None, Some(a)) => (Sign::Add, format!("{name} = {}", value(field, a, plan))),
        (Some(b), None) => (Sign::Remove, format!("{name} = {}", value(field, b, plan))),
        (Some(Value::String(old)), Some(Value::String(new)))
            if is_long_text(old, new) && !is_audio_field(field) =>
        {
            (
                Sign::Change,
                format!("{name} = \"{}\"", word_diff(old, new, style)),
            )
        }
        (Some(b), Some(a)) => (
            Sign::Change,
            format!(
                "{name} = {} -> {}",
                value(field, b, plan),
                value(field, a, plan)
            ),
        ),
        (None, None) => (Sign::Note, String::new()),
    };
    if forcing == Some(field) {
        text.push_str(" # forces replacement");
    }
    Line {
        sign,
        depth: 1,
        text,
    }
}

fn routing_label(c: &Change<'_>) -> String {
    let Address::Routing { group, .. } = c.address else {
        return String::new();
    };
    let level = |o: Option<&Object>| match o {
        Some(Object::Routing(r)) if r.primary => "primary",
        _ => "overflow",
    };
    match c.action {
        ChangeAction::Replace | ChangeAction::Update => {
            format!("{group} ({} -> {})", level(c.before), level(c.after))
        }
        ChangeAction::Create => format!("{group} ({})", level(c.after)),
        ChangeAction::Delete => format!("{group} ({})", level(c.before)),
    }
}

/// One line for a set of owned objects: `members: + alice, - bob`, or without per-item signs
/// when every item changes the same way.
fn set_line(
    what: &str,
    children: &[Change<'_>],
    label: impl Fn(&Change<'_>) -> String,
    lines: &mut Vec<Line>,
) {
    if children.is_empty() {
        return;
    }
    let first = children[0].action;
    let uniform = children.iter().all(|c| c.action == first);
    let items: Vec<String> = children
        .iter()
        .map(|c| {
            if uniform {
                label(c)
            } else {
                format!("{} {}", Sign::of(c.action).symbol(), label(c))
            }
        })
        .collect();
    lines.push(Line {
        sign: if uniform {
            Sign::of(first)
        } else {
            Sign::Change
        },
        depth: 1,
        text: terminal(&format!("{what}: {}", items.join(", "))),
    });
}

fn key_line(c: &Change<'_>, lines: &mut Vec<Line>) {
    let Address::IvrKey { key, .. } = c.address else {
        return;
    };
    let label = |o: Option<&Object>| match o {
        Some(Object::IvrKey(a)) => key_label(a),
        _ => String::new(),
    };
    let text = match c.action {
        ChangeAction::Create => format!("key {key}: {}", label(c.after)),
        ChangeAction::Delete => format!("key {key}: {}", label(c.before)),
        ChangeAction::Update | ChangeAction::Replace => {
            let (b, a) = (label(c.before), label(c.after));
            if b == a {
                format!("key {key}: {a}")
            } else {
                format!("key {key}: {b} -> {a}")
            }
        }
    };
    lines.push(Line {
        sign: Sign::of(c.action),
        depth: 1,
        text: terminal(&text),
    });
}
