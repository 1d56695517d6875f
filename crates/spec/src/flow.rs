//! Walking a caller through the call flow: which menus they hear, which key each step takes,
//! and where the call ends. Used by flow tests (`tests:`), `simulate` and `plan`.
//!
//! PCC semantics as switchboard models them (docs/pcc-api-assumptions.md, "Call flow"): a key
//! the node defines follows its action; a key it does not define follows `invalid` when the
//! node has one; once the caller's keys run out they stay silent and `timeout` applies; a node
//! with no branch for what the caller did hangs up. A number routed straight to a queue puts
//! the call in that queue at once.

use std::collections::BTreeSet;
use std::fmt;

use crate::model::{Key, KeyAction, Model, NumberRoute, Prompt};

/// A caller's path through the flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Walk {
    /// The number dialled.
    pub number: String,
    /// Every menu the caller heard, in order.
    pub steps: Vec<Step>,
    /// Where the call ended.
    pub end: End,
    /// Keys the caller still had when the call left the IVR (or never entered one): a flow
    /// test whose keys are not all used cannot be walked as written.
    pub unused_keys: String,
}

/// One menu the caller heard and what happened next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The IVR tree.
    pub tree: String,
    /// The node.
    pub node: String,
    /// What the caller heard.
    pub prompt: Prompt,
    /// The key the caller pressed, or `None` when they stayed silent.
    pub pressed: Option<char>,
    /// The branch taken: the key itself, [`Key::Invalid`] for a key the node does not define,
    /// [`Key::Timeout`] for silence, or `None` when the node has no branch for it (PCC hangs
    /// up).
    pub branch: Option<Key>,
    /// The branch's action, when there is a branch.
    pub action: Option<KeyAction>,
}

/// Where a call ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// The call waits in this queue for an agent.
    Queue(String),
    /// The call is forwarded to a phone number.
    Forward {
        /// The number called.
        to: String,
        /// The caller id shown.
        caller_id: Option<String>,
    },
    /// The call ends: a `hangup` key, or no branch for what the caller did.
    Hangup,
    /// The silent caller goes round a loop for ever (through `back: true` keys): the walk came
    /// back to this node with no keys left to press.
    Loop {
        /// The IVR tree.
        tree: String,
        /// The node reached a second time.
        node: String,
    },
    /// The walk could not go on.
    Error(WalkError),
}

/// Why a walk could not go on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WalkError {
    /// The number is not in the model.
    UnknownNumber,
    /// The number routes nowhere.
    NoRoute,
    /// The number's IVR tree is not in the model.
    UnknownTree(String),
    /// A node that the flow goes to is not in its tree.
    UnknownNode {
        /// The IVR tree.
        tree: String,
        /// The missing node.
        node: String,
    },
    /// A character a phone cannot press (only `0`-`9`, `*`, `#`).
    NotAKey(char),
}

/// Walks a caller who dials `number` and presses `keys` (`0`-`9`, `*`, `#`), then stays
/// silent.
pub fn walk(model: &Model, number: &str, keys: &str) -> Walk {
    let mut walk = Walk {
        number: number.to_owned(),
        steps: Vec::new(),
        end: End::Hangup,
        unused_keys: keys.to_owned(),
    };
    if let Some(bad) = keys.chars().find(|&c| Key::from_dtmf(c).is_none()) {
        walk.end = End::Error(WalkError::NotAKey(bad));
        return walk;
    }
    let Some(dialled) = model.numbers.get(number) else {
        walk.end = End::Error(WalkError::UnknownNumber);
        return walk;
    };
    let tree_name = match &dialled.route {
        None => {
            walk.end = End::Error(WalkError::NoRoute);
            return walk;
        }
        Some(NumberRoute::Queue(queue)) => {
            walk.end = End::Queue(queue.clone());
            return walk;
        }
        Some(NumberRoute::Ivr(tree)) => tree,
    };
    let Some(tree) = model.ivr.get(tree_name) else {
        walk.end = End::Error(WalkError::UnknownTree(tree_name.clone()));
        return walk;
    };

    let keys: Vec<char> = keys.chars().collect();
    let mut next = 0;
    let mut node_name = tree.start.clone();
    // A state is a node and how many keys were pressed so far; keys are never un-pressed, so
    // a repeated state means the silent caller is going round a loop.
    let mut seen = BTreeSet::new();
    walk.end = loop {
        if !seen.insert((node_name.clone(), next)) {
            break End::Loop {
                tree: tree_name.clone(),
                node: node_name,
            };
        }
        let Some(node) = tree.nodes.get(&node_name) else {
            break End::Error(WalkError::UnknownNode {
                tree: tree_name.clone(),
                node: node_name,
            });
        };
        let pressed = keys.get(next).copied();
        let branch = match pressed {
            Some(c) => {
                next += 1;
                let key = Key::from_dtmf(c).expect("keys were checked above");
                if node.keys.contains_key(&key) {
                    Some(key)
                } else {
                    Some(Key::Invalid).filter(|k| node.keys.contains_key(k))
                }
            }
            None => Some(Key::Timeout).filter(|k| node.keys.contains_key(k)),
        };
        let action = branch.map(|key| node.keys[&key].clone());
        walk.steps.push(Step {
            tree: tree_name.clone(),
            node: node_name.clone(),
            prompt: node.prompt.clone(),
            pressed,
            branch,
            action: action.clone(),
        });
        match action {
            None | Some(KeyAction::Hangup) => break End::Hangup,
            Some(KeyAction::Queue { queue }) => break End::Queue(queue),
            Some(KeyAction::Forward { to, caller_id }) => break End::Forward { to, caller_id },
            Some(KeyAction::Goto { node }) => node_name = node,
        }
    };
    walk.unused_keys = keys[next..].iter().collect();
    walk
}

impl Walk {
    /// The path as one line: `main/language [1] -> main/english [2] -> queue `support``.
    pub fn path(&self) -> String {
        let mut parts: Vec<String> = self
            .steps
            .iter()
            .map(|step| {
                let input = match (step.pressed, step.branch) {
                    (Some(c), Some(Key::Invalid)) => format!("{c}: invalid"),
                    (Some(c), _) => c.to_string(),
                    (None, _) => "silence".to_owned(),
                };
                format!("{}/{} [{input}]", step.tree, step.node)
            })
            .collect();
        parts.push(self.end.to_string());
        parts.join(" -> ")
    }
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            End::Queue(queue) => write!(f, "queue `{queue}`"),
            End::Forward { to, .. } => write!(f, "forward to `{to}`"),
            End::Hangup => f.write_str("hang up"),
            End::Loop { tree, node } => {
                write!(f, "a silent loop back to `{tree}/{node}`")
            }
            End::Error(err) => err.fmt(f),
        }
    }
}

impl fmt::Display for WalkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WalkError::UnknownNumber => f.write_str("the number does not exist"),
            WalkError::NoRoute => f.write_str("the number routes nowhere"),
            WalkError::UnknownTree(tree) => write!(f, "ivr `{tree}` does not exist"),
            WalkError::UnknownNode { tree, node } => {
                write!(f, "node `{node}` does not exist in ivr `{tree}`")
            }
            WalkError::NotAKey(c) => {
                write!(
                    f,
                    "`{c}` is not a key a phone can press (`0`-`9`, `*`, `#`)"
                )
            }
        }
    }
}
