//! What a spec says about how it may be applied: which live objects it does not own
//! (`ignore:`), the safety guards that stop a plan from deleting too much (`safety:`), and
//! which live objects now go by another name (`moved:`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::address::{Address, Kind, Pattern};

/// The apply policy of a spec.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Address globs (`agent.hr-*`, `group.temp-?`) of live objects the spec does not own:
    /// they are never changed or deleted, and shown as ignored.
    pub ignore: Vec<Pattern>,
    /// Delete guards.
    pub safety: Safety,
    /// Renames (`moved:`): a live object under the old name is the object the spec now
    /// declares under the new one, renamed in place instead of deleted and created. Sorted by
    /// kind, then `from`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moved: Vec<Moved>,
}

/// One `moved:` entry, validated: `from` and `to` are names of the same kind, a kind PCC
/// renames in place ([`Kind::is_renamable`]); `to` is declared in the spec and `from` is not,
/// no other entry shares either, and none chains into another.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Moved {
    /// What is renamed: a group, a queue or an IVR tree.
    pub kind: Kind,
    /// The old name: what the live object may still be called.
    pub from: String,
    /// The new name, declared in the spec.
    pub to: String,
}

impl Moved {
    /// The address of the live object under its old name.
    pub fn from_address(&self) -> Address {
        Address::named(self.kind, &*self.from).expect("a renamable kind is named by one name")
    }

    /// The address of the object under its new name.
    pub fn to_address(&self) -> Address {
        Address::named(self.kind, &*self.to).expect("a renamable kind is named by one name")
    }
}

impl Policy {
    /// The first `ignore:` pattern that matches `address` (encoded or as written, see
    /// [`Pattern::matches`]).
    pub fn ignoring(&self, address: &Address) -> Option<&Pattern> {
        self.ignore.iter().find(|pattern| pattern.matches(address))
    }

    /// True when an `ignore:` pattern matches `address`.
    pub fn is_ignored(&self, address: &Address) -> bool {
        self.ignoring(address).is_some()
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
    /// Per-kind overrides (every kind but the settings, which are never deleted).
    pub kinds: BTreeMap<Kind, KindSafety>,
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
    pub fn threshold(&self, kind: Kind) -> (u32, u32) {
        let over = self.kinds.get(&kind);
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
