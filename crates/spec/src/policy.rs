//! What a spec says about how it may be applied: which live objects it does not own
//! (`ignore:`), the safety guards that stop a plan from deleting too much (`safety:`), and
//! which live objects now go by another name (`moved:`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The apply policy of a spec.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Address globs (`agent.hr-*`, `group.temp-?`) of live objects the spec does not own:
    /// they are never changed or deleted, and shown as ignored.
    pub ignore: Vec<String>,
    /// Delete guards.
    pub safety: Safety,
    /// Renames (`moved:`): a live object under the old name is the object the spec now
    /// declares under the new one, renamed in place instead of deleted and created. Sorted by
    /// kind, then `from`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moved: Vec<Moved>,
}

/// One `moved:` entry, validated: `from` and `to` are names of the same kind, `to` is declared
/// in the spec and `from` is not, no other entry shares either, and none chains into another.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Moved {
    /// What is renamed.
    pub kind: MovedKind,
    /// The old name: what the live object may still be called.
    pub from: String,
    /// The new name, declared in the spec.
    pub to: String,
}

/// The kinds PCC can rename in place: a `PUT` takes a new name for them
/// (docs/pcc-api-assumptions.md, "Writes").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovedKind {
    /// An agent group (`PUT /v1/group/{id}` `{name}`).
    Group,
    /// A queue (`PUT /v1/queue/{id}` with `name`).
    Queue,
    /// An IVR tree (`PUT /v1/ivrtree/{id}` `{tree_name}`).
    IvrTree,
}

impl MovedKind {
    /// Every kind, in address order.
    pub const ALL: [MovedKind; 3] = [MovedKind::Group, MovedKind::Queue, MovedKind::IvrTree];

    /// The spelling used in addresses: `group`, `queue`, `ivr_tree`.
    pub fn as_str(self) -> &'static str {
        match self {
            MovedKind::Group => "group",
            MovedKind::Queue => "queue",
            MovedKind::IvrTree => "ivr_tree",
        }
    }
}

impl Policy {
    /// True when `address` (for example `agent.hr-bob`) matches an `ignore:` pattern.
    pub fn is_ignored(&self, address: &str) -> bool {
        self.ignore
            .iter()
            .any(|pattern| glob_match(pattern, address))
    }
}

/// Guards that make `apply` refuse a plan unless forced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Safety {
    /// Refuse a plan that deletes more than this share (in percent) of the live objects of
    /// any kind... (default 25).
    pub max_delete_percent: u32,
    /// ...when that kind has at least this many live objects (default 8).
    pub min_objects: u32,
    /// Refuse a plan that deletes a phone number or changes where it routes to nothing
    /// (default true).
    pub protect_numbers: bool,
    /// Per-kind overrides, keyed by kind (`agent`, `group`, `membership`, `queue`, `routing`,
    /// `ivr_tree`, `ivr_node`, `ivr_key`, `number`, `audio`).
    pub kinds: BTreeMap<String, KindSafety>,
}

impl Default for Safety {
    fn default() -> Self {
        Safety {
            max_delete_percent: 25,
            min_objects: 8,
            protect_numbers: true,
            kinds: BTreeMap::new(),
        }
    }
}

impl Safety {
    /// The delete threshold for `kind`: `(max_delete_percent, min_objects)`.
    pub fn threshold(&self, kind: &str) -> (u32, u32) {
        let over = self.kinds.get(kind);
        (
            over.and_then(|k| k.max_delete_percent)
                .unwrap_or(self.max_delete_percent),
            over.and_then(|k| k.min_objects).unwrap_or(self.min_objects),
        )
    }
}

/// A per-kind override of the delete guard.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindSafety {
    /// Overrides [`Safety::max_delete_percent`].
    pub max_delete_percent: Option<u32>,
    /// Overrides [`Safety::min_objects`].
    pub min_objects: Option<u32>,
}

/// A name as plan addresses print it, decoded: each `%` and the two hex digits after it are
/// the byte they spell (`sales%2Fen` is `sales/en`, `50%25` is `50%`). `None` when a `%` is
/// not followed by two hex digits or the bytes are not UTF-8.
pub fn percent_decode(name: &str) -> Option<String> {
    if !name.contains('%') {
        return Some(name.to_owned());
    }
    let mut bytes = Vec::with_capacity(name.len());
    let mut rest = name;
    while let Some(at) = rest.find('%') {
        bytes.extend_from_slice(&rest.as_bytes()[..at]);
        let hex = rest
            .get(at + 1..at + 3)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))?;
        bytes.push(u8::from_str_radix(hex, 16).ok()?);
        rest = &rest[at + 3..];
    }
    bytes.extend_from_slice(rest.as_bytes());
    String::from_utf8(bytes).ok()
}

/// Matches `*` (any run of characters, `/` and `.` included) and `?` (one character).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}
