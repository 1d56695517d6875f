//! The order of a plan's steps: a DAG derived from what each object refers to before and after
//! the change, so that no step ever names a missing object or deletes one still in use (the
//! server checks references and never cascades).
//!
//! The rules, for a step on object X and an object Y that X refers to:
//! - X created or updated to refer to Y, and Y created: X after Y's create.
//! - X deleted, or updated away from Y, and Y deleted: Y's delete after X's step.
//! - The create half of a replacement after its delete half (same natural key).
//! - A tree's start node created after the old root's delete: the first node created becomes
//!   the root, so the root slot must be free.
//!
//! - Make before break for callers, where a number or a key starts sending calls somewhere: a
//!   number that moves to a tree (or is created on it) after every create and update of that
//!   tree's nodes and keys, so that it never answers on a half-built menu, and a failure there
//!   leaves it where it was; a number or key that sends calls to a queue after the creates and
//!   updates of that queue's routings, and a routing after the memberships of its group, so
//!   that no caller waits in a queue that rings nobody. When a tree or a queue is deleted, the
//!   numbers that leave it move before its nodes, keys or routings go. A queue whose groups
//!   change gets its new routings before it loses its old ones.
//!
//! - A renamed object (`moved:`) is used under its new name only after its rename: every
//!   step on an object it owns, or whose value before or after refers to it, waits for the
//!   rename. PCC refers by id and would not mind, but the executor's look-ups, and any reader
//!   of the plan, go by name.
//!
//! References include ownership (a key refers to its node, a node to its tree) and a non-start
//! node refers to its tree's start node, which gives "start node first" on create and "other
//! nodes before the root" on delete. Keys refer to the nodes they go to, and nothing refers to
//! a key, so IVR cycles need no special case: keys come after all the nodes they name.

use std::collections::{BTreeSet, HashMap};

use spec::model::{KeyAction, Model, NumberRoute};

use crate::object::{Object, references};
use crate::plan::{Action, Draft, Step};
use spec::Address;

/// Orders the drafts. Among the steps that are ready, creates come first (in kind order),
/// then updates, then deletes (in reverse kind order), each by address: "make before break",
/// so that a caller hits a gap for as short a time as possible. Returns the steps and, if the
/// dependencies had a cycle, the addresses caught in it.
pub(crate) fn schedule(
    drafts: Vec<Draft>,
    desired: &Model,
    live: &Model,
) -> (Vec<Step>, Option<Vec<Address>>) {
    let n = drafts.len();
    let mut creates: HashMap<&Address, usize> = HashMap::new();
    let mut deletes: HashMap<&Address, usize> = HashMap::new();
    for (i, d) in drafts.iter().enumerate() {
        match d.action {
            Action::Create => {
                creates.insert(&d.address, i);
            }
            Action::Delete => {
                deletes.insert(&d.address, i);
            }
            Action::Update => {}
        }
    }

    // edges[a] holds b when b must run after a.
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, d) in drafts.iter().enumerate() {
        if let Some(after) = &d.after {
            for target in references(&d.address, after, desired) {
                if let Some(&j) = creates.get(&target) {
                    edges[j].push(i);
                }
            }
        }
        if let Some(before) = &d.before {
            for target in references(&d.address, before, live) {
                if let Some(&j) = deletes.get(&target) {
                    edges[i].push(j);
                }
            }
        }
        if d.action == Action::Create {
            if d.replace.is_some()
                && let Some(&j) = deletes.get(&d.address)
            {
                edges[j].push(i);
            }
            if let (Address::IvrNode { tree, node }, Some(Object::IvrNode { start: true, .. })) =
                (&d.address, &d.after)
                && let Some(l) = live.ivr.get(tree)
                && l.start != *node
            {
                let old_root = Address::IvrNode {
                    tree: tree.clone(),
                    node: l.start.clone(),
                };
                if let Some(&j) = deletes.get(&old_root) {
                    edges[j].push(i);
                }
            }
        }
    }

    renames_first(&drafts, desired, live, &mut edges);
    callers_first(&drafts, &mut edges);

    let rank = |d: &Draft| -> (u8, i32) {
        let kind = d.address.kind() as i32;
        match d.action {
            Action::Create => (0, kind),
            Action::Update => (1, kind),
            Action::Delete => (2, -kind),
        }
    };
    let mut indegree = vec![0usize; n];
    for targets in &edges {
        for &t in targets {
            indegree[t] += 1;
        }
    }
    let mut ready: BTreeSet<((u8, i32), &Address, usize)> = BTreeSet::new();
    for (i, d) in drafts.iter().enumerate() {
        if indegree[i] == 0 {
            ready.insert((rank(d), &d.address, i));
        }
    }
    let mut order = Vec::with_capacity(n);
    while let Some(first) = ready.pop_first() {
        let i = first.2;
        order.push(i);
        for &t in &edges[i] {
            indegree[t] -= 1;
            if indegree[t] == 0 {
                ready.insert((rank(&drafts[t]), &drafts[t].address, t));
            }
        }
    }
    let mut cycle = None;
    if order.len() < n {
        let placed: BTreeSet<usize> = order.iter().copied().collect();
        let mut rest: Vec<usize> = (0..n).filter(|i| !placed.contains(i)).collect();
        rest.sort_by(|&a, &b| {
            (rank(&drafts[a]), &drafts[a].address).cmp(&(rank(&drafts[b]), &drafts[b].address))
        });
        cycle = Some(rest.iter().map(|&i| drafts[i].address.clone()).collect());
        order.extend(rest);
    }

    let mut position = vec![0usize; n];
    for (pos, &i) in order.iter().enumerate() {
        position[i] = pos;
    }
    let mut depends: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (a, targets) in edges.iter().enumerate() {
        for &b in targets {
            // In a cycle some edges point backwards; a step never waits for a later one.
            if position[a] < position[b] {
                depends[position[b]].push(position[a]);
            }
        }
    }
    let mut slots: Vec<Option<Draft>> = drafts.into_iter().map(Some).collect();
    let steps = order
        .iter()
        .zip(depends)
        .map(|(&i, mut depends_on)| {
            depends_on.sort_unstable();
            depends_on.dedup();
            let d = slots[i].take().expect("each draft is placed once");
            Step {
                address: d.address,
                action: d.action,
                replace: d.replace,
                moved_from: d.moved_from,
                before: d.before,
                after: d.after,
                changed_fields: d.changed_fields,
                depends_on,
            }
        })
        .collect();
    (steps, cycle)
}

/// The edges from each rename to the steps that use the new name. None can close a cycle: a
/// rename waits only for the audio its queue plays, and audio waits for nothing.
fn renames_first(drafts: &[Draft], desired: &Model, live: &Model, edges: &mut [Vec<usize>]) {
    let renames: HashMap<&Address, usize> = drafts
        .iter()
        .enumerate()
        .filter(|(_, d)| d.moved_from.is_some())
        .map(|(i, d)| (&d.address, i))
        .collect();
    if renames.is_empty() {
        return;
    }
    for (i, d) in drafts.iter().enumerate() {
        let mut uses: BTreeSet<Address> = d
            .after
            .iter()
            .flat_map(|after| references(&d.address, after, desired))
            .chain(
                d.before
                    .iter()
                    .flat_map(|before| references(&d.address, before, live)),
            )
            .collect();
        // A key belongs to its node, which belongs to its tree: the key is named by the tree's
        // name too.
        if let Address::IvrNode { tree, .. } | Address::IvrKey { tree, .. } = &d.address {
            uses.insert(Address::IvrTree(tree.clone()));
        }
        for target in &uses {
            if let Some(&j) = renames.get(target)
                && j != i
            {
                edges[j].push(i);
            }
        }
    }
}

/// The make-before-break edges for callers (see the module docs). None of them can close a
/// cycle: what a number or key waits for (node, key, routing and membership creates and
/// updates) never waits for a number or a key; the deletes that wait for numbers belong to a
/// tree or queue that is deleted whole, which nothing created waits for; and a routing
/// delete that waits for its queue's new routings is no replacement half, which is the only
/// delete a routing create can wait for.
fn callers_first(drafts: &[Draft], edges: &mut [Vec<usize>]) {
    let mut builds_tree: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut routes_queue: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut fills_group: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut empties_tree: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut empties_queue: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut deleted_trees: BTreeSet<&str> = BTreeSet::new();
    let mut deleted_queues: BTreeSet<&str> = BTreeSet::new();
    for (i, d) in drafts.iter().enumerate() {
        let making = d.action != Action::Delete;
        match (&d.address, making) {
            (Address::IvrNode { tree, .. } | Address::IvrKey { tree, .. }, true) => {
                builds_tree.entry(tree).or_default().push(i);
            }
            (Address::IvrNode { tree, .. } | Address::IvrKey { tree, .. }, false) => {
                empties_tree.entry(tree).or_default().push(i);
            }
            (Address::Routing { queue, .. }, true) => {
                routes_queue.entry(queue).or_default().push(i);
            }
            (Address::Routing { queue, .. }, false) => {
                empties_queue.entry(queue).or_default().push(i);
            }
            (Address::Membership { group, .. }, true) => {
                fills_group.entry(group).or_default().push(i);
            }
            (Address::IvrTree(tree), false) => {
                deleted_trees.insert(tree);
            }
            (Address::Queue(queue), false) => {
                deleted_queues.insert(queue);
            }
            _ => {}
        }
    }
    let route = |object: &Option<Object>| match object {
        Some(Object::Number(n)) => n.route.clone(),
        _ => None,
    };
    for (i, d) in drafts.iter().enumerate() {
        match &d.address {
            Address::Number(_) => {
                let (before, after) = (route(&d.before), route(&d.after));
                if before == after {
                    continue;
                }
                let waits_for = match &after {
                    Some(NumberRoute::Ivr(tree)) => builds_tree.get(tree.as_str()),
                    Some(NumberRoute::Queue(queue)) => routes_queue.get(queue.as_str()),
                    None => None,
                };
                for &j in waits_for.into_iter().flatten() {
                    edges[j].push(i);
                }
                let goes_first = match &before {
                    Some(NumberRoute::Ivr(tree)) if deleted_trees.contains(tree.as_str()) => {
                        empties_tree.get(tree.as_str())
                    }
                    Some(NumberRoute::Queue(queue)) if deleted_queues.contains(queue.as_str()) => {
                        empties_queue.get(queue.as_str())
                    }
                    _ => None,
                };
                for &j in goes_first.into_iter().flatten() {
                    edges[i].push(j);
                }
            }
            Address::IvrKey { .. } => {
                let queue = |object: &Option<Object>| match object {
                    Some(Object::IvrKey(KeyAction::Queue { queue })) => Some(queue.clone()),
                    _ => None,
                };
                if let Some(q) = queue(&d.after)
                    && queue(&d.before).as_ref() != Some(&q)
                {
                    for &j in routes_queue.get(q.as_str()).into_iter().flatten() {
                        edges[j].push(i);
                    }
                }
            }
            Address::Routing { group, .. } if d.action != Action::Delete => {
                for &j in fills_group.get(group.as_str()).into_iter().flatten() {
                    edges[j].push(i);
                }
            }
            Address::Routing { queue, .. } if d.replace.is_none() && d.action == Action::Delete => {
                for &j in routes_queue.get(queue.as_str()).into_iter().flatten() {
                    if drafts[j].replace.is_none() {
                        edges[j].push(i);
                    }
                }
            }
            _ => {}
        }
    }
}
