//! Renames (`moved:` in a spec): which moves a live project still needs. Renaming an object in
//! a model with everything that refers to it by name is `spec::Model::rename`, which follows
//! `spec::Address::renamed`, as the executor's id map does.
//!
//! PCC refers to groups, queues and trees by server id, so a rename on the server carries
//! every membership, routing, key press and number along. The planner mirrors that: it renames
//! the live model first and diffs what is left, so nothing that hangs on a renamed object is
//! recreated, and the object itself gets one update step that carries its old address.

use std::collections::BTreeMap;

use spec::model::Model;
use spec::{Address, Policy};

use crate::plan::{SetAside, Warning};

/// True when `model` has the group, queue or tree at `address`.
pub(crate) fn exists(model: &Model, address: &Address) -> bool {
    model.holds(address)
}

/// The moves `policy` declares that `live` still needs, as `to → from`, and `live` with them
/// made. A move is made when the spec declares `to` and not `from`, and `live` has `from` and
/// not `to`. When `live` has both, the move is not made (Terraform does the same): `to` is the
/// live object of that name, and `from`, which the spec no longer declares, is planned like
/// any object outside the spec; a warning says so. A move that an `ignore:` pattern covers (at
/// either address) is not made either, and the plan leaves `from` alone: ignored objects are
/// never changed, and the entry says that `from` is the object called `to`. So is a move
/// whose `from` the live read set aside (two live objects share the name, and `ignore:`
/// covers it): it is not in `live`, but the warning says why the move is not made.
pub(crate) fn resolve(
    desired: &Model,
    live: &Model,
    policy: &Policy,
    set_aside: &[SetAside],
) -> (Option<Model>, BTreeMap<Address, Address>, Vec<Warning>) {
    let mut renamed: Option<Model> = None;
    let mut made = BTreeMap::new();
    let mut warnings = Vec::new();
    for moved in &policy.moved {
        let (from, to) = (moved.from_address(), moved.to_address());
        if !exists(desired, &to) || exists(desired, &from) {
            // The spec's own checks rule this out; a model built some other way may not.
            continue;
        }
        if let Some(aside) = set_aside.iter().find(|a| a.address == from) {
            let pattern = aside.pattern.clone();
            warnings.push(Warning::MoveIgnored { from, to, pattern });
            continue;
        }
        let current = renamed.as_ref().unwrap_or(live);
        if !exists(current, &from) {
            continue;
        }
        // Before the both-live case: a live `from` whose move `ignore:` blocks is left alone
        // by the plan (see `plan::ignored`), never deleted in the move's place.
        let ignored_by = [&from, &to]
            .into_iter()
            .find_map(|a| policy.ignoring(a).map(ToString::to_string));
        if let Some(pattern) = ignored_by {
            warnings.push(Warning::MoveIgnored { from, to, pattern });
            continue;
        }
        if exists(current, &to) {
            warnings.push(Warning::MoveTargetExists { from, to });
            continue;
        }
        renamed
            .get_or_insert_with(|| live.clone())
            .rename(&from, &to);
        made.insert(to, from);
    }
    (renamed, made, warnings)
}
