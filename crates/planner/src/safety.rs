//! The safety guards: a plan that deletes too large a share of a kind, deletes or unbinds a
//! phone number, or lets a blacklisted caller through again, is refused by `apply` unless forced. The guards are computed into the plan so
//! that `plan` can show them; a saved plan carries what they were computed from (thresholds,
//! whether the spec declared anything), and `apply` computes them again from the steps and the
//! live project it reads ([`recheck`]), never trusting the verdict a file holds.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use spec::model::{Model, Number};
use spec::policy::Safety;

use crate::object::{Object, flatten};
use crate::plan::{Action, Plan, Step};
use spec::{Address, Kind};

/// The guards a plan trips, and what they were computed from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetyReport {
    /// Every tripped guard; empty for a safe plan.
    pub violations: Vec<Violation>,
    /// The spec's thresholds (`safety:`), which [`recheck`] applies again.
    pub thresholds: Safety,
    /// The spec declares nothing (the `empty_spec` guard).
    pub declares_nothing: bool,
}

/// One tripped guard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "guard", rename_all = "snake_case")]
pub enum Violation {
    /// The plan deletes more than the allowed share of a kind's live objects.
    TooManyDeletes {
        /// The kind.
        kind: Kind,
        /// Objects of the kind the plan deletes (replacements do not count: they come back).
        deletes: usize,
        /// Live objects of the kind (ignored objects excluded).
        existing: usize,
        /// The allowed share, in percent.
        max_percent: u32,
    },
    /// The plan deletes a phone number.
    DeletesNumber {
        /// The number.
        number: String,
        /// Its nickname, for people.
        nickname: Option<String>,
    },
    /// The plan leaves a phone number routing nowhere.
    UnbindsNumber {
        /// The number.
        number: String,
        /// Its nickname, for people.
        nickname: Option<String>,
    },
    /// The plan lets a blacklisted caller reach what their entry blocked: it deletes the
    /// entry, or stops it blocking the IVR or the queues.
    Unblocks {
        /// The caller's number (digits).
        number: String,
        /// What the caller reaches again: `the IVR`, `the queues`, or both.
        reaches: String,
    },
    /// The spec declares nothing, so the plan deletes every live object it manages: an empty
    /// file or a wrong path looks like this, whatever the other guards say.
    EmptySpec {
        /// Objects the plan deletes.
        deletes: usize,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = |number: &str, nickname: &Option<String>| match nickname {
            Some(n) => format!("{number} ({n})"),
            None => number.to_owned(),
        };
        match self {
            Violation::TooManyDeletes {
                kind,
                deletes,
                existing,
                max_percent,
            } => write!(
                f,
                "too many deletes of {kind}: {} is over {max_percent}% ({deletes}/{existing}); \
                 use --force",
                percent(*deletes, *existing, *max_percent)
            ),
            Violation::DeletesNumber { number, nickname } => write!(
                f,
                "deletes number {}: calls to it will fail; use --force",
                label(number, nickname)
            ),
            Violation::UnbindsNumber { number, nickname } => write!(
                f,
                "unbinds number {}: it will route calls nowhere; use --force",
                label(number, nickname)
            ),
            Violation::Unblocks { number, reaches } => write!(
                f,
                "unblocks blacklisted caller {number}: they reach {reaches} again; use --force"
            ),
            Violation::EmptySpec { deletes } => write!(
                f,
                "the spec declares nothing: this plan deletes every live object it manages \
                 ({deletes}); use --force"
            ),
        }
    }
}

/// `part / whole` as a percentage with up to two decimals (`40%`, `37.5%`, `25.01%`), more
/// only when needed so that a share over the limit never prints as the limit itself.
fn percent(part: usize, whole: usize, limit: u32) -> String {
    let exact = part as f64 * 100.0 / whole.max(1) as f64;
    let mut shown = String::new();
    for decimals in 2..=6 {
        shown = format!("{exact:.decimals$}");
        if shown.contains('.') {
            shown = shown.trim_end_matches('0').trim_end_matches('.').to_owned();
        }
        if shown.parse::<f64>().ok() != Some(f64::from(limit)) {
            break;
        }
    }
    format!("{shown}%")
}

/// The guards `steps` trip, given the live counts per kind and whether the spec declares
/// anything.
pub(crate) fn check(
    steps: &[Step],
    existing: &BTreeMap<Kind, usize>,
    safety: &Safety,
    declares_nothing: bool,
) -> SafetyReport {
    check_partial(steps, existing, safety, declares_nothing, false)
}

/// True for the kinds a partial read counts only under the parents it read (a tree's nodes
/// and keys, a queue's routings, a group's memberships): their count in the whole project
/// is not known, only that it is at least this.
fn counted_under_parents(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Membership | Kind::Routing | Kind::IvrNode | Kind::IvrKey
    )
}

/// [`check`], for a plan that is `partial` or not. A partial plan's counts of the kinds read
/// under parents are lower bounds of the project's, so its delete share is an upper bound:
/// the guard trips when the deletes exceed the share of the larger of the count read and the
/// kind's `min_objects`. Every delete a whole plan of the project would refuse is refused
/// (were the project's count `n`, a refusal needs `n ≥ min_objects` and deletes over the share
/// of `n`, which is at least the count read), and deleting a few keys of a small tree is not.
pub(crate) fn check_partial(
    steps: &[Step],
    existing: &BTreeMap<Kind, usize>,
    safety: &Safety,
    declares_nothing: bool,
    partial: bool,
) -> SafetyReport {
    let mut violations = Vec::new();
    let mut deletes: BTreeMap<Kind, usize> = BTreeMap::new();
    for step in steps {
        if step.action == Action::Delete && step.replace.is_none() {
            *deletes.entry(step.kind()).or_default() += 1;
        }
    }
    let total: usize = deletes.values().sum();
    if declares_nothing && total > 0 {
        // First: the one that explains all the others.
        violations.push(Violation::EmptySpec { deletes: total });
    }
    for (&kind, &count) in &deletes {
        let total = existing.get(&kind).copied().unwrap_or(0);
        let (max_percent, min_objects) = safety.threshold(kind);
        let trips = if partial && counted_under_parents(kind) {
            count * 100 > max_percent as usize * total.max(min_objects as usize)
        } else {
            total >= min_objects as usize && count * 100 > max_percent as usize * total
        };
        if trips {
            violations.push(Violation::TooManyDeletes {
                kind,
                deletes: count,
                existing: total,
                max_percent,
            });
        }
    }
    if safety.protect_numbers {
        for step in steps {
            let Address::Number(number) = &step.address else {
                continue;
            };
            let before = match &step.before {
                Some(Object::Number(n)) => Some(n),
                _ => None,
            };
            let after = match &step.after {
                Some(Object::Number(n)) => Some(n),
                _ => None,
            };
            let nickname = |n: Option<&Number>| n.and_then(|n| n.nickname.clone());
            match (step.action, before, after) {
                (Action::Delete, Some(b), _) => violations.push(Violation::DeletesNumber {
                    number: number.clone(),
                    nickname: nickname(Some(b)),
                }),
                (Action::Update, Some(b), Some(a)) if b.route.is_some() && a.route.is_none() => {
                    violations.push(Violation::UnbindsNumber {
                        number: number.clone(),
                        nickname: nickname(Some(a)).or(nickname(Some(b))),
                    })
                }
                _ => {}
            }
        }
    }
    if safety.protect_numbers {
        violations.extend(steps.iter().filter_map(unblocks));
    }
    SafetyReport {
        violations,
        thresholds: safety.clone(),
        declares_nothing,
    }
}

/// What a blacklist step lets through that the live entry blocked, if anything.
fn unblocks(step: &Step) -> Option<Violation> {
    let Address::Blacklist(number) = &step.address else {
        return None;
    };
    let Some(Object::Blacklist(before)) = &step.before else {
        return None;
    };
    let after = match (&step.action, &step.after) {
        (Action::Delete, _) => None,
        (_, Some(Object::Blacklist(after))) => Some(after),
        _ => return None,
    };
    let ivr = before.ivr && !after.is_some_and(|a| a.ivr);
    let queue = before.queue && !after.is_some_and(|a| a.queue);
    let reaches = match (ivr, queue) {
        (true, true) => "the IVR and the queues",
        (true, false) => "the IVR",
        (false, true) => "the queues",
        (false, false) => return None,
    };
    Some(Violation::Unblocks {
        number: number.clone(),
        reaches: reaches.to_owned(),
    })
}

/// The guards of `plan` computed again, for `apply` of a saved plan: from its steps, its
/// thresholds, and the live project as read now (`live_now`, which holds at least every kind
/// the plan deletes from). The plan's own `violations` are not looked at: a file can say
/// anything. A kind's object count is the smaller of the count the plan was made with and the
/// count now, leaving out what the plan ignored: a share deleted is never made smaller by
/// objects that appeared since, nor by a count written into the file.
pub fn recheck(plan: &Plan, live_now: &Model) -> SafetyReport {
    recheck_known(plan, live_now, &BTreeSet::new())
}

/// [`recheck`] of a read that named more objects than its model holds (`named`: the groups,
/// queues and trees a partial read listed without reading what they hold, say), which count
/// too. A partial plan is checked as [`check_partial`] says.
pub fn recheck_known(plan: &Plan, live_now: &Model, named: &BTreeSet<Address>) -> SafetyReport {
    let ignored: BTreeSet<&Address> = plan.ignored.iter().map(|i| &i.address).collect();
    let mut now: BTreeMap<Kind, usize> = BTreeMap::new();
    let mut all: BTreeSet<Address> = flatten(live_now).into_keys().collect();
    all.extend(named.iter().filter(|a| a.kind() != Kind::Audio).cloned());
    for address in &all {
        if !ignored.contains(address) {
            *now.entry(address.kind()).or_default() += 1;
        }
    }
    // Audio is never deleted, so its count guards nothing.
    let existing: BTreeMap<Kind, usize> = now
        .into_iter()
        .map(|(kind, n)| {
            let then = plan.existing.get(&kind).copied().unwrap_or(n);
            (kind, n.min(then))
        })
        .collect();
    check_partial(
        &plan.steps,
        &existing,
        &plan.safety.thresholds,
        plan.safety.declares_nothing,
        plan.partial.is_some(),
    )
}
