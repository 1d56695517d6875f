//! The dependency order, asserted on the DAG itself (step B waits, directly or through other
//! steps, for step A), not only on the listed order: an executor that runs ready steps in
//! parallel must still never break PCC's reference rules.

use std::collections::BTreeSet;

use planner::{Action, Plan, plan};

use crate::fixture;

fn plan_of(case: &str) -> Plan {
    let c = fixture::case(case);
    plan(&c.desired, &c.live, &c.policy)
}

fn index(p: &Plan, action: Action, address: &str) -> usize {
    p.steps
        .iter()
        .position(|s| s.action == action && s.address.to_string() == address)
        .unwrap_or_else(|| panic!("no {action:?} step for {address}"))
}

/// Every step that `i` waits for, directly or not.
fn ancestors(p: &Plan, i: usize) -> BTreeSet<usize> {
    let mut seen = BTreeSet::new();
    let mut todo = p.steps[i].depends_on.clone();
    while let Some(d) = todo.pop() {
        if seen.insert(d) {
            todo.extend(p.steps[d].depends_on.iter().copied());
        }
    }
    seen
}

#[track_caller]
fn assert_waits(p: &Plan, later: (Action, &str), earlier: (Action, &str)) {
    let l = index(p, later.0, later.1);
    let e = index(p, earlier.0, earlier.1);
    assert!(
        ancestors(p, l).contains(&e),
        "{:?} {} must wait for {:?} {}",
        later.0,
        later.1,
        earlier.0,
        earlier.1
    );
}

use Action::{Create, Delete, Update};

#[test]
fn a_number_is_repointed_before_its_old_tree_goes() {
    let p = plan_of("repoint_number");
    assert_waits(
        &p,
        (Delete, "ivr_tree.old"),
        (Update, "number.842473082686"),
    );
    // A key that stops naming the old queue is updated before the queue goes.
    assert_waits(
        &p,
        (Delete, "queue.legacy"),
        (Update, "ivr_key.main/english/2"),
    );
    assert_waits(&p, (Delete, "queue.legacy"), (Delete, "ivr_key.old/menu/1"));
    assert_waits(
        &p,
        (Delete, "queue.legacy"),
        (Delete, "routing.legacy/support"),
    );
    // Keys before nodes, other nodes before the root, the root before the tree.
    assert_waits(
        &p,
        (Delete, "ivr_node.old/bye"),
        (Delete, "ivr_key.old/menu/timeout"),
    );
    assert_waits(
        &p,
        (Delete, "ivr_node.old/menu"),
        (Delete, "ivr_node.old/bye"),
    );
    assert_waits(&p, (Delete, "ivr_tree.old"), (Delete, "ivr_node.old/menu"));
}

/// Make before break for callers: a number starts answering on a tree only once every node
/// and key of it is there (a failure there leaves the number where it was), and leaves a tree
/// that goes before the tree's keys and menus do; a number or key sends calls to a queue only
/// once the queue's routings exist, and a routing rings a group only once its members are in.
#[test]
fn callers_never_meet_a_half_built_or_half_gone_flow() {
    let p = plan_of("repoint_number");
    // The hotline moves to `main`, whose key 2 changes: the key first.
    assert_waits(
        &p,
        (Update, "number.842473082686"),
        (Update, "ivr_key.main/english/2"),
    );
    // The old tree's keys and menus go only after the hotline left.
    for gone in [
        "ivr_key.old/menu/1",
        "ivr_key.old/menu/timeout",
        "ivr_key.old/bye/timeout",
        "ivr_node.old/menu",
        "ivr_node.old/bye",
    ] {
        assert_waits(&p, (Delete, gone), (Update, "number.842473082686"));
    }

    let p = plan_of("create_everything");
    for part in [
        "ivr_node.main/language",
        "ivr_node.main/english",
        "ivr_node.main/spanish",
        "ivr_key.main/english/1",
        "ivr_key.main/language/2",
        "ivr_key.main/spanish/0",
    ] {
        assert_waits(&p, (Create, "number.842473082686"), (Create, part));
    }
    assert_waits(
        &p,
        (Create, "number.842473082888"),
        (Create, "routing.support/support"),
    );
    assert_waits(
        &p,
        (Create, "ivr_key.main/english/1"),
        (Create, "routing.sales-en/sales-en"),
    );
    assert_waits(
        &p,
        (Create, "routing.sales-en/sales-en"),
        (Create, "membership.sales-en/alice"),
    );

    // A queue whose group changes rings the new one before it stops ringing the old one.
    let p = plan_of("members_and_routing");
    assert_waits(
        &p,
        (Delete, "routing.sales-en/sales-en"),
        (Create, "routing.sales-en/vip"),
    );

    let p = plan_of("destroy_everything");
    assert_waits(
        &p,
        (Delete, "ivr_key.main/english/1"),
        (Delete, "number.842473082686"),
    );
    assert_waits(
        &p,
        (Delete, "routing.support/support"),
        (Delete, "number.842473082888"),
    );
}

#[test]
fn creates_follow_what_they_refer_to() {
    let p = plan_of("create_everything");
    assert_waits(
        &p,
        (Create, "membership.support/carol"),
        (Create, "agent.carol"),
    );
    assert_waits(
        &p,
        (Create, "membership.support/carol"),
        (Create, "group.support"),
    );
    assert_waits(
        &p,
        (Create, "routing.support/sales-es"),
        (Create, "queue.support"),
    );
    assert_waits(
        &p,
        (Create, "routing.support/sales-es"),
        (Create, "group.sales-es"),
    );
    assert_waits(&p, (Create, "queue.sales-es"), (Create, "audio.welcome-es"));
    assert_waits(
        &p,
        (Create, "ivr_node.main/spanish"),
        (Create, "audio.welcome-es"),
    );
    // The start node first: the first node created becomes the root.
    assert_waits(
        &p,
        (Create, "ivr_node.main/language"),
        (Create, "ivr_tree.main"),
    );
    assert_waits(
        &p,
        (Create, "ivr_node.main/english"),
        (Create, "ivr_node.main/language"),
    );
    assert_waits(
        &p,
        (Create, "ivr_node.main/spanish"),
        (Create, "ivr_node.main/language"),
    );
    assert_waits(
        &p,
        (Create, "ivr_key.main/language/2"),
        (Create, "ivr_node.main/spanish"),
    );
    assert_waits(
        &p,
        (Create, "ivr_key.main/english/2"),
        (Create, "queue.support"),
    );
    assert_waits(
        &p,
        (Create, "number.842473082686"),
        (Create, "ivr_tree.main"),
    );
    assert_waits(
        &p,
        (Create, "number.842473082888"),
        (Create, "queue.support"),
    );
}

#[test]
fn deletes_run_in_reverse() {
    let p = plan_of("destroy_everything");
    assert_waits(
        &p,
        (Delete, "agent.carol"),
        (Delete, "membership.support/carol"),
    );
    assert_waits(
        &p,
        (Delete, "group.support"),
        (Delete, "membership.support/carol"),
    );
    assert_waits(
        &p,
        (Delete, "group.sales-es"),
        (Delete, "routing.support/sales-es"),
    );
    assert_waits(
        &p,
        (Delete, "queue.support"),
        (Delete, "routing.support/support"),
    );
    assert_waits(
        &p,
        (Delete, "queue.support"),
        (Delete, "number.842473082888"),
    );
    assert_waits(
        &p,
        (Delete, "queue.support"),
        (Delete, "ivr_key.main/english/2"),
    );
    assert_waits(
        &p,
        (Delete, "ivr_node.main/language"),
        (Delete, "ivr_node.main/english"),
    );
    assert_waits(
        &p,
        (Delete, "ivr_node.main/spanish"),
        (Delete, "ivr_key.main/language/2"),
    );
    assert_waits(
        &p,
        (Delete, "ivr_tree.main"),
        (Delete, "number.842473082686"),
    );
    assert_waits(
        &p,
        (Delete, "ivr_tree.main"),
        (Delete, "ivr_node.main/language"),
    );
}

#[test]
fn a_new_start_node_is_created_first_once_the_old_root_is_gone() {
    let p = plan_of("start_node_change");
    let root = "ivr_node.main/language";
    assert_waits(&p, (Delete, root), (Delete, "ivr_node.main/english"));
    assert_waits(&p, (Delete, root), (Delete, "ivr_node.main/spanish"));
    assert_waits(
        &p,
        (Delete, "ivr_node.main/english"),
        (Delete, "ivr_key.main/language/1"),
    );
    assert_waits(&p, (Create, "ivr_node.main/english"), (Delete, root));
    for other in ["language", "spanish", "goodbye"] {
        assert_waits(
            &p,
            (Create, &format!("ivr_node.main/{other}")),
            (Create, "ivr_node.main/english"),
        );
    }
    assert_waits(&p, (Create, "ivr_key.main/english/0"), (Create, root));
    assert_waits(
        &p,
        (Create, "ivr_key.main/english/timeout"),
        (Create, "ivr_node.main/goodbye"),
    );
}

#[test]
fn a_replacement_deletes_before_it_creates() {
    let p = plan_of("members_and_routing");
    assert_waits(
        &p,
        (Create, "routing.support/sales-es"),
        (Delete, "routing.support/sales-es"),
    );
}

#[test]
fn keys_of_a_cycle_come_after_every_node_they_name() {
    let p = plan_of("ivr_cycle");
    for key in ["a/1", "a/timeout", "b/1", "b/2", "c/*"] {
        let (node, _) = key.split_once('/').unwrap();
        assert_waits(
            &p,
            (Create, &format!("ivr_key.loop/{key}")),
            (Create, &format!("ivr_node.loop/{node}")),
        );
    }
    assert_waits(
        &p,
        (Create, "ivr_key.loop/a/1"),
        (Create, "ivr_node.loop/b"),
    );
    assert_waits(
        &p,
        (Create, "ivr_key.loop/b/2"),
        (Create, "ivr_node.loop/c"),
    );
    assert_waits(
        &p,
        (Create, "ivr_key.loop/c/*"),
        (Create, "ivr_node.loop/a"),
    );
}

#[test]
fn new_audio_is_uploaded_before_it_is_used() {
    let p = plan_of("audio");
    assert_waits(&p, (Update, "queue.support"), (Create, "audio.hold-music"));
    assert_waits(
        &p,
        (Update, "ivr_node.main/spanish"),
        (Create, "audio.welcome-es-v2"),
    );
}

#[test]
fn depends_on_only_points_backwards() {
    for case in [
        "create_everything",
        "destroy_everything",
        "start_node_change",
        "repoint_number",
    ] {
        let p = plan_of(case);
        for (i, s) in p.steps.iter().enumerate() {
            assert!(
                s.depends_on.iter().all(|&d| d < i),
                "{case}: step {i} waits for a later step"
            );
        }
    }
}
