//! Partial plans (`--target`, `--exclude`): which objects a plan of part of a project covers,
//! what the live read must hold for it, and the plan of that part.
//!
//! A target brings in what it needs to exist (Terraform's `-target`): the objects its address
//! patterns match, what those own (a tree's nodes and keys, a queue's routings, a group's or
//! an agent's memberships), and, transitively, what each of them refers to in the spec (a key
//! press its node, its tree and the queue it sends calls to; a tree its start node; a queue
//! its audio). A target that deletes an object brings in the live objects that still use it
//! (they must let go of it first), and one that moves a tree's start brings in the whole tree
//! (every node is recreated). An exclusion takes out (OpenTofu's `-exclude`) the objects its
//! patterns match, what they own, and, transitively, what needs them in the spec. Exclusion
//! wins over a target. A live object the part would delete while something left out still
//! uses it is left out too (PCC would refuse the delete).
//!
//! The plan of the part is the whole planner run on both models cut down to the part, so
//! ordering, renames, `ignore:` and the stale check work as for a whole plan; the safety
//! guards count what the read saw of each kind, not only the part (docs/plan-format.md).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use spec::model::{Model, NumberRoute};
use spec::{Address, Kind, Pattern, Policy};

use crate::moves;
use crate::object::{Object, flatten, references};
use crate::plan::{Action, Plan, SetAside, audio_addresses, plan_setting_aside};
use crate::safety;

/// What a partial plan was asked for: `--target` and `--exclude` address patterns, as given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// Plan only these objects and what they need.
    pub target: Vec<Pattern>,
    /// Leave out these objects and what needs them.
    pub exclude: Vec<Pattern>,
}

impl Request {
    /// True when nothing is targeted or excluded: a whole plan.
    pub fn is_whole(&self) -> bool {
        self.target.is_empty() && self.exclude.is_empty()
    }
}

/// A partial plan's record of what it covers, in the plan (and so in a saved plan, under its
/// integrity digest, and in every rendering).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partial {
    /// The `--target` patterns.
    pub target: Vec<Pattern>,
    /// The `--exclude` patterns.
    pub exclude: Vec<Pattern>,
    /// The objects `--exclude` took out (those matched, and what needs them), among the
    /// objects of the spec and of the live read.
    pub excluded: Vec<Address>,
    /// Objects of the spec and of the live read that the plan leaves out, per kind (the
    /// excluded ones included). Parts of the live project the read did not cover are not
    /// counted: the plan cannot say what they hold.
    pub left_out: BTreeMap<Kind, usize>,
    /// Objects the plan covers, per kind (whether or not they change).
    pub covered: BTreeMap<Kind, usize>,
}

/// What a request selects from the objects known so far, and what the live read must hold for
/// the selection to be complete.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// The objects the plan covers.
    pub selected: BTreeSet<Address>,
    /// The objects `--exclude` took out.
    pub excluded: BTreeSet<Address>,
    /// Every object known (spec, live model, and what the read only named).
    pub known: BTreeSet<Address>,
    /// The patterns that match no known object, each with its flag (`--target`, `--exclude`).
    pub unmatched: Vec<(&'static str, Pattern)>,
    /// The kinds the read must hold in full.
    pub kinds: BTreeSet<Kind>,
    /// The groups, queues and trees whose members, routings, or nodes and keys must be read.
    pub parents: BTreeSet<Address>,
    /// Parent kinds of which every parent's children must be read: a deleted object's users
    /// may be under any of them (a queue's under any tree).
    pub every: BTreeSet<Kind>,
    /// The parents the read must not descend into (excluded ones), when nothing is targeted.
    pub skip: BTreeSet<Address>,
}

/// The group, queue or tree whose per-parent list holds `address`, for the kinds read that way
/// (memberships, routings, nodes, key presses); `None` for the others.
pub fn holder(address: &Address) -> Option<Address> {
    parent_of(address).filter(|parent| parent != address)
}

/// The kinds that own others and whose owned objects are read per parent.
pub const PARENT_KINDS: [Kind; 3] = [Kind::Group, Kind::Queue, Kind::IvrTree];

/// The group, queue or tree whose per-parent list holds `address` (itself for those kinds);
/// `None` for the kinds read in one list.
pub fn parent_of(address: &Address) -> Option<Address> {
    match address {
        Address::Group(_) | Address::Queue(_) | Address::IvrTree(_) => Some(address.clone()),
        Address::Membership { group, .. } => Some(Address::Group(group.clone())),
        Address::Routing { queue, .. } => Some(Address::Queue(queue.clone())),
        Address::IvrNode { tree, .. } | Address::IvrKey { tree, .. } => {
            Some(Address::IvrTree(tree.clone()))
        }
        _ => None,
    }
}

/// The parent kinds whose children can use an object of `kind`: where the users of a deleted
/// object are read (a key press uses a queue; a routing a group; a membership an agent).
fn users_under(kind: Kind) -> &'static [Kind] {
    match kind {
        Kind::Queue => &[Kind::IvrTree],
        Kind::Group => &[Kind::Queue],
        Kind::Agent => &[Kind::Group],
        _ => &[],
    }
}

/// The kinds of objects that can use an object of `kind` (numbers use trees and queues).
fn user_kinds(kind: Kind) -> &'static [Kind] {
    match kind {
        Kind::Agent => &[Kind::Membership],
        Kind::Group => &[Kind::Membership, Kind::Routing],
        Kind::Queue => &[Kind::Routing, Kind::IvrKey, Kind::Number],
        Kind::IvrTree => &[Kind::IvrNode, Kind::IvrKey, Kind::Number],
        Kind::IvrNode => &[Kind::IvrKey],
        _ => &[],
    }
}

/// The prefixes of the addresses under `parent`, as plans print them and as written: what a
/// pattern is asked about before the parent's children are read.
fn child_prefixes(parent: &Address) -> Vec<String> {
    let kinds: &[&str] = match parent.kind() {
        Kind::Group => &["membership"],
        Kind::Queue => &["routing"],
        Kind::IvrTree => &["ivr_node", "ivr_key"],
        _ => &[],
    };
    let (encoded, written) = (parent.name(), parent.unencoded_name());
    kinds
        .iter()
        .flat_map(|k| [format!("{k}.{encoded}/"), format!("{k}.{written}/")])
        .collect()
}

/// Both sides of a plan, flattened, with the live side renamed as `moved:` says.
struct Sides {
    want: BTreeMap<Address, Object>,
    have: BTreeMap<Address, Object>,
    /// The live model with its renames made.
    live: Model,
    /// Live audio by address.
    live_audio: BTreeSet<Address>,
    /// What a live address is called once renamed.
    renames: Vec<(Address, Address)>,
}

impl Sides {
    fn new(desired: &Model, live: &Model, policy: &Policy) -> Sides {
        let (renamed, made, _) = moves::resolve(desired, live, policy, &[]);
        let live = renamed.unwrap_or_else(|| live.clone());
        let want = flatten(desired);
        let mut have = flatten(&live);
        if desired.settings.is_none() {
            have.remove(&Address::Settings);
        }
        let audio_at = audio_addresses(desired, &live);
        let live_audio = live.audio.keys().map(|id| audio_at[id].clone()).collect();
        let renames = made.into_iter().map(|(to, from)| (from, to)).collect();
        Sides {
            want,
            have,
            live,
            live_audio,
            renames,
        }
    }

    /// `address` as it is called once the renames are made.
    fn renamed(&self, address: &Address) -> Address {
        self.renames
            .iter()
            .find_map(|(from, to)| address.renamed(from, to))
            .unwrap_or_else(|| address.clone())
    }
}

/// What `desired`'s object at `address` needs to exist: what it refers to (its owners
/// included), and, for a tree, its start node.
fn needs(address: &Address, object: &Object, desired: &Model) -> Vec<Address> {
    let mut out = references(address, object, desired);
    if let Address::IvrTree(tree) = address
        && let Some(t) = desired.ivr.get(tree)
        && t.nodes.contains_key(&t.start)
    {
        out.push(Address::IvrNode {
            tree: tree.clone(),
            node: t.start.clone(),
        });
    }
    out
}

/// Selects the part of a project that `request` asks for, from the spec (`desired`), the live
/// project as read so far (`live`), and the addresses the read only named (`named`: server ids
/// of lists read to name references, parents whose children were not read).
pub fn select(
    desired: &Model,
    live: &Model,
    named: &BTreeSet<Address>,
    policy: &Policy,
    request: &Request,
) -> Selection {
    let sides = Sides::new(desired, live, policy);
    let desired_audio: BTreeSet<Address> = desired
        .audio
        .values()
        .map(|a| Address::Audio(a.name.clone()))
        .collect();
    let mut known: BTreeSet<Address> = sides
        .want
        .keys()
        .chain(sides.have.keys())
        .chain(&sides.live_audio)
        .chain(&desired_audio)
        .cloned()
        .collect();
    known.extend(named.iter().map(|a| sides.renamed(a)));

    // Who needs whom, in the spec; who uses whom, live.
    let mut needed_by: BTreeMap<Address, BTreeSet<Address>> = BTreeMap::new();
    for (address, object) in &sides.want {
        for need in needs(address, object, desired) {
            needed_by.entry(need).or_default().insert(address.clone());
        }
    }
    let mut used_by: BTreeMap<Address, BTreeSet<Address>> = BTreeMap::new();
    for (address, object) in &sides.have {
        for used in references(address, object, &sides.live) {
            used_by.entry(used).or_default().insert(address.clone());
        }
    }
    let owned = |address: &Address| -> Vec<Address> {
        known
            .iter()
            .filter(|k| k.owners().contains(address))
            .cloned()
            .collect()
    };
    let start_moves: BTreeSet<&String> = desired
        .ivr
        .iter()
        .filter(|(name, tree)| {
            sides
                .live
                .ivr
                .get(*name)
                .is_some_and(|live| !live.start.is_empty() && live.start != tree.start)
        })
        .map(|(name, _)| name)
        .collect();

    let mut unmatched = Vec::new();
    let matching = |flag: &'static str, patterns: &[Pattern], unmatched: &mut Vec<_>| {
        let mut found = BTreeSet::new();
        for pattern in patterns {
            let hits: Vec<&Address> = known.iter().filter(|a| pattern.matches(a)).collect();
            if hits.is_empty() {
                unmatched.push((flag, pattern.clone()));
            }
            found.extend(hits.into_iter().cloned());
        }
        found
    };
    let targeted = matching("--target", &request.target, &mut unmatched);
    let excluded_seeds = matching("--exclude", &request.exclude, &mut unmatched);

    // Exclusion: what is matched, what it owns, and what needs it, transitively.
    let mut excluded = BTreeSet::new();
    let mut work: Vec<Address> = excluded_seeds.into_iter().collect();
    while let Some(address) = work.pop() {
        if !excluded.insert(address.clone()) {
            continue;
        }
        work.extend(owned(&address));
        work.extend(needed_by.get(&address).into_iter().flatten().cloned());
    }

    // Targets: what is matched, what it owns, and what it needs, transitively.
    let mut selected = BTreeSet::new();
    if request.target.is_empty() {
        selected = known.clone();
    } else {
        // What a target owns comes with it (a tree's nodes and keys); what it needs comes
        // alone (a queue a key sends calls to, without its routings).
        let mut work: Vec<Address> = Vec::new();
        let mut seeds: Vec<Address> = targeted.into_iter().collect();
        while let Some(address) = seeds.pop() {
            seeds.extend(owned(&address));
            work.push(address);
        }
        while let Some(address) = work.pop() {
            if !selected.insert(address.clone()) {
                continue;
            }
            match sides.want.get(&address) {
                Some(object) => work.extend(needs(&address, object, desired)),
                None => work.extend(address.owners()),
            }
            if sides.have.contains_key(&address) && !sides.want.contains_key(&address) {
                // A delete: what still uses it must let go first.
                work.extend(used_by.get(&address).into_iter().flatten().cloned());
            }
            if let Some(Address::IvrTree(tree)) = parent_of(&address)
                && start_moves.contains(&tree)
            {
                // The start moves: every node of the tree is recreated, start first.
                work.extend(
                    known
                        .iter()
                        .filter(|k| parent_of(k) == Some(Address::IvrTree(tree.clone())))
                        .cloned(),
                );
            }
        }
    }
    selected.retain(|a| !excluded.contains(a));

    // A delete that something left out still uses cannot be made: PCC refuses to delete an
    // object in use. It is left out, with what it owns.
    loop {
        let blocked: Vec<Address> = selected
            .iter()
            .filter(|a| sides.have.contains_key(*a) && !sides.want.contains_key(*a))
            .filter(|a| {
                used_by
                    .get(*a)
                    .into_iter()
                    .flatten()
                    .any(|user| !selected.contains(user))
            })
            .cloned()
            .collect();
        if blocked.is_empty() {
            break;
        }
        for address in blocked {
            selected.remove(&address);
            for child in owned(&address) {
                selected.remove(&child);
            }
        }
    }

    let mut kinds: BTreeSet<Kind> = selected.iter().map(Address::kind).collect();
    let mut every = BTreeSet::new();
    for address in &selected {
        if sides.have.contains_key(address) && !sides.want.contains_key(address) {
            kinds.extend(user_kinds(address.kind()));
            every.extend(users_under(address.kind()));
        }
    }
    for pattern in &request.target {
        kinds.extend(pattern.kinds());
    }
    let mut parents: BTreeSet<Address> = selected.iter().filter_map(holder).collect();
    // A parent deleted goes with what it holds: that is read too.
    parents.extend(
        selected
            .iter()
            .filter(|a| PARENT_KINDS.contains(&a.kind()))
            .filter(|a| sides.have.contains_key(*a) && !sides.want.contains_key(*a))
            .cloned(),
    );
    let mut skip = BTreeSet::new();
    if request.target.is_empty() {
        kinds.extend(Kind::ALL);
        every.extend(PARENT_KINDS);
        skip = excluded
            .iter()
            .filter(|a| PARENT_KINDS.contains(&a.kind()))
            .cloned()
            .collect();
    } else {
        // A parent whose children a target may match is read, to find them.
        for parent in known.iter().filter(|a| PARENT_KINDS.contains(&a.kind())) {
            let prefixes = child_prefixes(parent);
            let may = |p: &Pattern| prefixes.iter().any(|prefix| p.may_match_under(prefix));
            if request.target.iter().any(may) && !excluded.contains(parent) {
                parents.insert(parent.clone());
            }
        }
    }
    Selection {
        selected,
        excluded,
        known,
        unmatched,
        kinds,
        parents,
        every,
        skip,
    }
}

/// `model` cut down to the objects `keep` accepts (audio apart: see [`plan_partial`]). Owners
/// come with what they own only when kept themselves; a selection always keeps the owners of
/// what it keeps.
fn project(model: &Model, keep: &dyn Fn(&Address) -> bool) -> Model {
    let mut out = Model {
        settings: model.settings.clone().filter(|_| keep(&Address::Settings)),
        ..Model::default()
    };
    for (uid, agent) in &model.agents {
        if keep(&Address::Agent(uid.clone())) {
            out.agents.insert(uid.clone(), agent.clone());
        }
    }
    for (name, group) in &model.groups {
        if keep(&Address::Group(name.clone())) {
            let mut group = group.clone();
            group.agents.retain(|agent| {
                keep(&Address::Membership {
                    group: name.clone(),
                    agent: agent.clone(),
                })
            });
            out.groups.insert(name.clone(), group);
        }
    }
    for (name, queue) in &model.queues {
        if keep(&Address::Queue(name.clone())) {
            let mut queue = queue.clone();
            queue.routing.retain(|group, _| {
                keep(&Address::Routing {
                    queue: name.clone(),
                    group: group.clone(),
                })
            });
            out.queues.insert(name.clone(), queue);
        }
    }
    for (name, tree) in &model.ivr {
        if keep(&Address::IvrTree(name.clone())) {
            let mut tree = tree.clone();
            tree.nodes.retain(|node, _| {
                keep(&Address::IvrNode {
                    tree: name.clone(),
                    node: node.clone(),
                })
            });
            for (node, n) in &mut tree.nodes {
                n.keys.retain(|key, _| {
                    keep(&Address::IvrKey {
                        tree: name.clone(),
                        node: node.clone(),
                        key: *key,
                    })
                });
            }
            out.ivr.insert(name.clone(), tree);
        }
    }
    for (digits, number) in &model.numbers {
        if keep(&Address::Number(digits.clone())) {
            out.numbers.insert(digits.clone(), number.clone());
        }
    }
    // Managed or not as in `model`; managed, only the entries kept.
    out.blacklist = model.blacklist.as_ref().map(|entries| {
        entries
            .iter()
            .filter(|(digits, _)| keep(&Address::Blacklist((*digits).clone())))
            .map(|(digits, entry)| (digits.clone(), *entry))
            .collect()
    });
    out
}

/// The plan of the part `selection` covers: both models cut down to it, planned as a whole,
/// with the safety guards counted over every live object the read knows of (`known_live`
/// adds the objects it only named, which the live model does not hold), and the record of
/// what was covered and left out.
pub fn plan_partial(
    desired: &Model,
    live: &Model,
    known_live: &BTreeSet<Address>,
    policy: &Policy,
    set_aside: &[SetAside],
    request: &Request,
    selection: &Selection,
) -> Plan {
    let sides = Sides::new(desired, live, policy);
    let selected = &selection.selected;
    let keep_desired = |a: &Address| selected.contains(a);
    let keep_live = |a: &Address| selected.contains(&sides.renamed(a));
    let mut want = project(desired, &keep_desired);
    want.audio = desired
        .audio
        .iter()
        .filter(|(_, a)| selected.contains(&Address::Audio(a.name.clone())))
        .map(|(id, a)| (id.clone(), a.clone()))
        .collect();
    let mut have = project(live, &keep_live);
    let audio_at = audio_addresses(desired, &sides.live);
    have.audio = live
        .audio
        .iter()
        .filter(|(id, _)| want.audio.contains_key(*id) || selected.contains(&audio_at[*id]))
        .map(|(id, a)| (id.clone(), a.clone()))
        .collect();
    // A number routed to a tree or a queue outside the part keeps pointing there: the
    // selection never keeps a number without what it routes to, so this only guards a model
    // built some other way.
    for number in want.numbers.values_mut() {
        if let Some(NumberRoute::Ivr(t)) = &number.route
            && !want.ivr.contains_key(t)
            && !have.ivr.contains_key(t)
        {
            number.route = None;
        }
    }

    let mut plan = plan_setting_aside(&want, &have, policy, set_aside);

    // The guards count every live object the read saw of a kind, not only the part's: a
    // share of the part alone would be inflated, and the project's count is the one a whole
    // plan uses. What only some parents' lists hold (nodes, keys, memberships, routings) is
    // counted over the parents read, and `check` then never lets that count fall below the
    // kind's `min_objects` (safety.rs).
    let ignored =
        |a: &Address| policy.is_ignored(a) || a.owners().iter().any(|o| policy.is_ignored(o));
    let mut existing: BTreeMap<Kind, usize> = BTreeMap::new();
    let mut counted: BTreeSet<Address> = flatten(live).into_keys().collect();
    counted.extend(known_live.iter().cloned());
    for address in counted.iter().filter(|a| !ignored(a)) {
        if address.kind() != Kind::Audio && address.kind() != Kind::Settings {
            *existing.entry(address.kind()).or_default() += 1;
        }
    }
    plan.existing = existing;
    plan.safety = safety::check_partial(
        &plan.steps,
        &plan.existing,
        &policy.safety,
        *desired == Model::default(),
        true,
    );

    let mut left_out: BTreeMap<Kind, usize> = BTreeMap::new();
    let mut covered: BTreeMap<Kind, usize> = BTreeMap::new();
    for address in &selection.known {
        let bucket = if selected.contains(address) {
            &mut covered
        } else {
            &mut left_out
        };
        *bucket.entry(address.kind()).or_default() += 1;
    }
    plan.partial = Some(Partial {
        target: request.target.clone(),
        exclude: request.exclude.clone(),
        excluded: selection.excluded.iter().cloned().collect(),
        left_out,
        covered,
    });
    plan
}

/// What the stale check of a saved partial plan must read under parents: the groups, queues
/// and trees that hold what the plan touches, requires or deletes (`only`), and the parent
/// kinds of which every parent must be read because the plan deletes an object that children
/// of any of them could now use (`every`). `None` for a whole plan: everything is read.
pub fn stale_parents(plan: &Plan) -> Option<(BTreeSet<Address>, BTreeSet<Kind>)> {
    plan.partial.as_ref()?;
    let reads = &plan.reads;
    let only: BTreeSet<Address> = reads
        .touched
        .keys()
        .chain(&reads.required)
        .chain(reads.referrers.keys())
        .chain(reads.referrers.values().flatten())
        .filter_map(holder)
        .collect();
    let mut every = BTreeSet::new();
    for step in &plan.steps {
        if step.action == Action::Delete && step.replace.is_none() {
            every.extend(users_under(step.kind()));
        }
    }
    Some((only, every))
}
