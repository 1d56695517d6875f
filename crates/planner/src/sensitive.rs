//! Values that may hold credentials (`spec::model::Sensitive`) in a plan: shown redacted by
//! every rendering, saved as a digest, and so unknown in a plan read back from a file.
//!
//! - [`fill_sensitive`]: gives a saved plan's values back their real value, from where the
//!   plan took them (the live project now, the spec), matched by address, field and digest.
//! - [`revealed`]: a plan whose values show as they are, for `--show-sensitive` on a terminal.

use std::collections::BTreeMap;
use std::fmt;

use spec::Model;

use crate::object::{Object, flatten};
use crate::plan::Plan;
use spec::Address;

/// A value a step writes whose real value was not found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unfilled {
    /// The step's object.
    pub address: Address,
    /// The field (`event_url`).
    pub field: &'static str,
    /// The value as shown (redacted).
    pub shown: String,
}

impl fmt::Display for Unfilled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} = {}", self.address, self.field, self.shown)
    }
}

/// Fills in every value the plan's steps write whose real value the plan does not hold (a
/// saved plan holds only digests), from `sources` (the live project as read now, the spec as
/// loaded now): the value of the same field of the object at the same address, when its
/// digest is the planned one. A value is never taken from another object or field: a plan
/// edited to send one webhook's token to another URL finds nothing. Answers what is still
/// missing (empty: every value is known, the plan can be applied).
pub fn fill_sensitive(plan: &mut Plan, sources: &[&Model]) -> Vec<Unfilled> {
    let flat: Vec<BTreeMap<Address, Object>> = sources.iter().map(|m| flatten(m)).collect();
    let mut missing = Vec::new();
    for step in &mut plan.steps {
        let Some(after) = &mut step.after else {
            continue;
        };
        for (field, value) in after.sensitive_fields_mut() {
            if value.expose().is_some() {
                continue;
            }
            let found = flat.iter().any(|objects| {
                objects
                    .get(&step.address)
                    .into_iter()
                    .flat_map(Object::sensitive_fields)
                    .filter(|(f, _)| *f == field)
                    .any(|(_, v)| value.fill_from(v))
            });
            if !found {
                missing.push(Unfilled {
                    address: step.address.clone(),
                    field,
                    shown: value.to_string(),
                });
            }
        }
    }
    missing
}

/// The values the plan's steps hold, shown as they are: `--show-sensitive` on a terminal.
/// For rendering only; a revealed plan still saves redacted.
pub fn revealed(plan: &Plan) -> Plan {
    let mut plan = plan.clone();
    for step in &mut plan.steps {
        for object in [&mut step.before, &mut step.after].into_iter().flatten() {
            for (_, value) in object.sensitive_fields_mut() {
                *value = value.revealed();
            }
        }
    }
    plan
}

/// True when every value the plan's steps write is known (nothing to fill in).
pub fn all_known(plan: &Plan) -> bool {
    plan.steps
        .iter()
        .filter_map(|s| s.after.as_ref())
        .flat_map(Object::sensitive_fields)
        .all(|(_, v)| v.expose().is_some())
}
