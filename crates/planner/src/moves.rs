//! Renames (`moved:` in a spec): which moves a live project still needs, and the one walk that
//! makes a rename: [`rename_keys`] moves every entry of a map keyed by address that the rename
//! reaches (by `spec::Address::renamed`, the one rule of what a rename changes). The executor
//! calls it on its id map; [`rename`] calls it on the model flattened into its addressed
//! objects, and builds the model back from them. So no kind can follow a rename in the plan
//! and not in the server ids, or the other way round.
//!
//! PCC refers to groups, queues and trees by server id, so a rename on the server carries
//! every membership, routing, key press and number along. The planner mirrors that: it renames
//! the live model first and diffs what is left, so nothing that hangs on a renamed object is
//! recreated, and the object itself gets one update step that carries its old address.

use std::collections::BTreeMap;

use spec::model::{KeyAction, Model, NumberRoute};
use spec::{Address, Policy};

use crate::apply::put;
use crate::object::{Object, flatten};
use crate::plan::{Action, SetAside, Warning};

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
        rename(renamed.get_or_insert_with(|| live.clone()), &from, &to);
        made.insert(to, from);
    }
    (renamed, made, warnings)
}

/// Files every entry of `filed` that the rename of the group, queue or IVR tree at `from` to
/// `to` reaches under its new address: the object itself, and what names it in its key
/// (memberships and routings of a group, routings of a queue, nodes and key presses of a
/// tree). Does nothing when `to` is already filed. The one walk of a rename: the executor's
/// id map and the planner's model ([`rename`]) both go through it.
pub fn rename_keys<V>(filed: &mut BTreeMap<Address, V>, from: &Address, to: &Address) {
    if filed.contains_key(to) {
        return;
    }
    let moving: Vec<(Address, Address)> = filed
        .keys()
        .filter_map(|old| Some((old.clone(), old.renamed(from, to)?)))
        .collect();
    let mut moved = Vec::with_capacity(moving.len());
    for (old, new) in moving {
        if let Some(value) = filed.remove(&old) {
            moved.push((new, value));
        }
    }
    filed.extend(moved);
}

/// Renames the group, queue or IVR tree at `from` in `model` to `to`'s name: its objects, by
/// [`rename_keys`] over the model's addressed objects, and every name that refers to it
/// (key presses and numbers sending calls to a queue, numbers answering with a tree). Does
/// nothing when `from` is absent or `to` already there.
pub(crate) fn rename(model: &mut Model, from: &Address, to: &Address) {
    if !model.holds(from) || model.holds(to) {
        return;
    }
    let mut objects = flatten(model);
    rename_keys(&mut objects, from, to);
    let refer = |make: fn(String) -> Address, name: &mut String| {
        if let Some(Address::Queue(new) | Address::IvrTree(new)) =
            make(name.clone()).renamed(from, to)
        {
            *name = new;
        }
    };
    for object in objects.values_mut() {
        match object {
            Object::IvrKey(KeyAction::Queue { queue }) => refer(Address::Queue, queue),
            Object::Number(number) => match &mut number.route {
                Some(NumberRoute::Queue(queue)) => refer(Address::Queue, queue),
                Some(NumberRoute::Ivr(tree)) => refer(Address::IvrTree, tree),
                None => {}
            },
            _ => {}
        }
    }
    // Built back in address order, parents first; what `flatten` leaves out (audio, and
    // whether the blacklist is managed) is kept as it was.
    let mut built = Model {
        audio: std::mem::take(&mut model.audio),
        blacklist: model.blacklist.as_ref().map(|_| BTreeMap::new()),
        ..Model::default()
    };
    for (address, object) in &objects {
        put(&mut built, address, Action::Create, Some(object));
    }
    *model = built;
}
