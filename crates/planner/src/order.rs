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
//! References include ownership (a key refers to its node, a node to its tree) and a non-start
//! node refers to its tree's start node, which gives "start node first" on create and "other
//! nodes before the root" on delete. Keys refer to the nodes they go to, and nothing refers to
//! a key, so IVR cycles need no special case: keys come after all the nodes they name.

use std::collections::{BTreeSet, HashMap};

use spec::model::Model;

use crate::address::Address;
use crate::object::{Object, references};
use crate::plan::{Action, Draft, Step};

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
                before: d.before,
                after: d.after,
                changed_fields: d.changed_fields,
                depends_on,
            }
        })
        .collect();
    (steps, cycle)
}
