//! Per-object stale checks for saved plans: the plan records a fingerprint of every live object
//! its steps touch (and what refers to the objects it deletes, and which untouched objects its
//! creates need), so that `apply` can re-read the live project and name exactly the objects
//! that changed since planning. Objects the plan does not touch may change freely.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use spec::model::Model;

use crate::moves;
use crate::object::{Object, fingerprint, flatten, references};
use crate::plan::{Action, Plan, Step, referrers};
use spec::Address;

/// What a plan read from the live project.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reads {
    /// Every object a step touches, with the SHA-256 of its live value's canonical JSON;
    /// `None` when the object was absent.
    pub touched: BTreeMap<Address, Option<String>>,
    /// Every object the plan deletes, with the live objects that referred to it (all of them
    /// are deleted or updated by the plan first). A new referrer would make the delete fail.
    pub referrers: BTreeMap<Address, Vec<Address>>,
    /// Live objects the plan does not touch but that its creates and updates refer to.
    pub required: BTreeSet<Address>,
}

/// A touched object that is no longer as the plan read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaleObject {
    /// The object.
    pub address: Address,
    /// What changed.
    pub why: StaleReason,
}

/// What changed about a touched object since planning.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaleReason {
    /// It was absent and now exists.
    Appeared,
    /// It existed and is now gone.
    Vanished,
    /// Its value changed.
    Changed,
    /// The plan deletes it, and this object now refers to it.
    NewReferrer(Address),
    /// The plan's creates or updates refer to it, and it is gone.
    RequiredGone,
}

impl fmt::Display for StaleObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = &self.address;
        match &self.why {
            StaleReason::Appeared => write!(f, "{a} now exists (created since the plan was made)"),
            StaleReason::Vanished => write!(f, "{a} was deleted since the plan was made"),
            StaleReason::Changed => write!(f, "{a} changed since the plan was made"),
            StaleReason::NewReferrer(r) => write!(
                f,
                "{a} is now used by {r}, which the plan does not remove, so it cannot be deleted"
            ),
            StaleReason::RequiredGone => write!(
                f,
                "{a} was deleted since the plan was made, and the plan refers to it"
            ),
        }
    }
}

pub(crate) fn reads(
    steps: &[Step],
    have: &BTreeMap<Address, Object>,
    desired: &Model,
    live_referrers: &BTreeMap<Address, Vec<Address>>,
) -> Reads {
    let mut reads = Reads::default();
    for step in steps {
        reads
            .touched
            .entry(step.address.clone())
            .or_insert_with(|| have.get(&step.address).map(fingerprint));
        if step.action == Action::Delete {
            let mut refs = live_referrers
                .get(&step.address)
                .cloned()
                .unwrap_or_default();
            refs.sort();
            reads.referrers.insert(step.address.clone(), refs);
        }
    }
    for step in steps {
        let Some(after) = &step.after else { continue };
        for target in references(&step.address, after, desired) {
            if !matches!(target, Address::Audio(_)) && !reads.touched.contains_key(&target) {
                reads.required.insert(target);
            }
        }
    }
    reads
}

/// True when every object `plan` touches is now in `live_now` as the plan leaves it (created
/// or updated to its planned value, or deleted): the plan was already applied, by this
/// switchboard or another run. Its stale check then fails on every object, and saying
/// "already applied" is more use than the list.
pub fn already_applied(plan: &Plan, live_now: &Model) -> bool {
    if plan.steps.is_empty() {
        return false;
    }
    let now = flatten(live_now);
    // The last step at an address leaves it as it ends (a replacement's create half).
    let mut end: BTreeMap<&Address, Option<&Object>> = BTreeMap::new();
    for step in &plan.steps {
        end.insert(&step.address, step.after.as_ref());
    }
    end.into_iter()
        .all(|(address, after)| match (address, after) {
            (Address::Audio(_), Some(Object::Audio { id, .. })) => live_now.audio.contains_key(id),
            (_, Some(after)) => now.get(address).map(fingerprint) == Some(fingerprint(after)),
            (_, None) => !now.contains_key(address),
        })
}

/// The objects `plan` touches that are no longer as it read them in `live_now`, sorted by
/// address. Empty means the plan can still be applied as reviewed.
pub fn stale(plan: &Plan, live_now: &Model) -> Vec<StaleObject> {
    // The plan read the live project with its renames made; so is the project now, where it
    // still can be. A rename that cannot be made again is stale at its old address (gone) or
    // its new one (taken).
    let mut out = Vec::new();
    let mut renamed: Option<Model> = None;
    let mut settled = BTreeSet::new();
    for step in &plan.steps {
        let Some(from) = &step.moved_from else {
            continue;
        };
        let current = renamed.as_ref().unwrap_or(live_now);
        let why = match (
            moves::exists(current, from),
            moves::exists(current, &step.address),
        ) {
            (true, false) => {
                moves::rename(
                    renamed.get_or_insert_with(|| live_now.clone()),
                    from,
                    &step.address,
                );
                continue;
            }
            (false, false) => StaleObject {
                address: from.clone(),
                why: StaleReason::Vanished,
            },
            (_, true) => StaleObject {
                address: step.address.clone(),
                why: StaleReason::Appeared,
            },
        };
        out.push(why);
        settled.insert(step.address.clone());
    }
    let live_now = renamed.as_ref().unwrap_or(live_now);
    let mut now = flatten(live_now);
    let audio_ids: BTreeMap<Address, &spec::model::AudioId> = plan
        .steps
        .iter()
        .filter_map(|s| match &s.after {
            Some(Object::Audio { id, .. }) => Some((s.address.clone(), id)),
            _ => None,
        })
        .collect();
    if !plan.reads.touched.contains_key(&Address::Settings) {
        now.remove(&Address::Settings);
    }
    for (address, was) in &plan.reads.touched {
        if settled.contains(address) {
            continue;
        }
        let is = match (address, audio_ids.get(address)) {
            // Audio is known by content: an upload is stale once that content is on the server.
            (Address::Audio(_), Some(id)) => live_now
                .audio
                .contains_key(*id)
                .then(|| "present".to_owned()),
            _ => now.get(address).map(fingerprint),
        };
        let why = match (was, &is) {
            (None, None) => None,
            (None, Some(_)) => Some(StaleReason::Appeared),
            (Some(_), None) => Some(StaleReason::Vanished),
            (Some(a), Some(b)) if a != b => Some(StaleReason::Changed),
            (Some(_), Some(_)) => None,
        };
        if let Some(why) = why {
            out.push(StaleObject {
                address: address.clone(),
                why,
            });
        }
    }
    if !plan.reads.referrers.is_empty() {
        let index = referrers(&now, live_now);
        for (address, known) in &plan.reads.referrers {
            if !now.contains_key(address) {
                continue;
            }
            for r in index.get(address).into_iter().flatten() {
                if known.binary_search(r).is_err() {
                    out.push(StaleObject {
                        address: address.clone(),
                        why: StaleReason::NewReferrer(r.clone()),
                    });
                }
            }
        }
    }
    for address in &plan.reads.required {
        if !now.contains_key(address) {
            out.push(StaleObject {
                address: address.clone(),
                why: StaleReason::RequiredGone,
            });
        }
    }
    out.sort_by(|a, b| a.address.cmp(&b.address));
    out
}
