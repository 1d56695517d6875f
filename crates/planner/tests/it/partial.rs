//! Partial plans: what `--target` brings in, what `--exclude` takes out, deletes and their
//! users, and the safety guards of a part.

use std::collections::BTreeSet;
use std::path::Path;

use planner::{Request, Violation, plan_partial, select};
use spec::model::Model;
use spec::{Address, Pattern, Policy};

use crate::fixture;
use crate::store::{Store, run_in_order};

fn model(yaml: &str) -> Model {
    fixture::model(yaml, Path::new("inline"))
}

fn policy(yaml: &str) -> Policy {
    fixture::policy(yaml, Path::new("inline"))
}

fn request(target: &[&str], exclude: &[&str]) -> Request {
    Request {
        target: target.iter().map(|p| Pattern::new(*p)).collect(),
        exclude: exclude.iter().map(|p| Pattern::new(*p)).collect(),
    }
}

fn addresses(set: &BTreeSet<Address>) -> Vec<String> {
    set.iter().map(ToString::to_string).collect()
}

const CENTER: &str = r#"
agents: { alice: { name: Alice } }
groups: { sales: { agents: [alice] } }
queues: { sales: { routing: { sales: { primary: true } } } }
ivr:
  main:
    start: lang
    nodes:
      lang:
        prompt: { say: { text: Press 1 or 2 } }
        keys: { "1": { queue: { queue: sales } }, "2": { goto: { node: menu } } }
      menu:
        prompt: { say: { text: The menu } }
        keys: { "9": hangup }
  other:
    start: only
    nodes: { only: { prompt: { say: { text: Other } } } }
numbers: { "841": { route: { ivr: main } } }
"#;

#[test]
fn a_target_brings_what_it_owns_and_what_it_needs_to_exist() {
    let desired = model(CENTER);
    let none = BTreeSet::new();
    let policy = Policy::default();
    let key = select(
        &desired,
        &Model::default(),
        &none,
        &policy,
        &request(&["ivr_key.main/lang/1"], &[]),
    );
    // A key press needs its node, its tree (whose start is that node) and its queue; the
    // queue comes without its routings, and nothing else of the tree comes.
    assert_eq!(
        addresses(&key.selected),
        [
            "queue.sales",
            "ivr_tree.main",
            "ivr_node.main/lang",
            "ivr_key.main/lang/1"
        ]
    );
    assert!(key.unmatched.is_empty());

    let tree = select(
        &desired,
        &Model::default(),
        &none,
        &policy,
        &request(&["ivr_tree.main"], &[]),
    );
    // A tree owns its nodes and keys.
    assert_eq!(
        addresses(&tree.selected),
        [
            "queue.sales",
            "ivr_tree.main",
            "ivr_node.main/lang",
            "ivr_node.main/menu",
            "ivr_key.main/lang/1",
            "ivr_key.main/lang/2",
            "ivr_key.main/menu/9"
        ]
    );
    // Its nodes' lists are read, and nobody else's.
    assert_eq!(addresses(&tree.parents), ["ivr_tree.main"]);

    let number = select(
        &desired,
        &Model::default(),
        &none,
        &policy,
        &request(&["number.841"], &[]),
    );
    // A number needs its tree, and a tree its start node: not the rest of the tree.
    assert_eq!(
        addresses(&number.selected),
        ["ivr_tree.main", "ivr_node.main/lang", "number.841"]
    );

    let nothing = select(
        &desired,
        &Model::default(),
        &none,
        &policy,
        &request(&["ivr_tree.nowhere"], &["queue.nope"]),
    );
    assert_eq!(
        nothing
            .unmatched
            .iter()
            .map(|(flag, p)| format!("{flag} {p}"))
            .collect::<Vec<_>>(),
        ["--target ivr_tree.nowhere", "--exclude queue.nope"]
    );
}

#[test]
fn an_exclusion_takes_out_what_needs_it_and_wins_over_a_target() {
    let desired = model(CENTER);
    let none = BTreeSet::new();
    let policy = Policy::default();
    let queue = select(
        &desired,
        &Model::default(),
        &none,
        &policy,
        &request(&[], &["queue.sales"]),
    );
    assert_eq!(
        addresses(&queue.excluded),
        ["queue.sales", "routing.sales/sales", "ivr_key.main/lang/1"]
    );
    assert!(
        queue
            .selected
            .contains(&"ivr_node.main/lang".parse().unwrap())
    );

    // The start node: every other node of the tree refers to it, the tree needs it, and the
    // number needs the tree.
    let start = select(
        &desired,
        &Model::default(),
        &none,
        &policy,
        &request(&[], &["ivr_node.main/lang"]),
    );
    assert_eq!(
        addresses(&start.excluded),
        [
            "ivr_tree.main",
            "ivr_node.main/lang",
            "ivr_node.main/menu",
            "ivr_key.main/lang/1",
            "ivr_key.main/lang/2",
            "ivr_key.main/menu/9",
            "number.841"
        ]
    );
    // The excluded tree's lists are not read.
    assert_eq!(addresses(&start.skip), ["ivr_tree.main"]);

    let both = select(
        &desired,
        &Model::default(),
        &none,
        &policy,
        &request(&["ivr_tree.main"], &["queue.sales"]),
    );
    assert!(!both.selected.contains(&"queue.sales".parse().unwrap()));
    assert!(
        !both
            .selected
            .contains(&"ivr_key.main/lang/1".parse().unwrap())
    );
    assert!(
        both.selected
            .contains(&"ivr_key.main/lang/2".parse().unwrap())
    );
}

#[test]
fn a_targeted_delete_brings_its_users_and_one_a_left_out_user_keeps_is_not_made() {
    let live = model(
        &CENTER
            .replace("queue: sales", "queue: old")
            .replace("queues: { sales:", "queues: { old: {}, sales:"),
    );
    let desired = model(CENTER);
    let none = BTreeSet::new();
    let policy = Policy::default();
    let target = request(&["queue.old"], &[]);
    let selection = select(&desired, &live, &none, &policy, &target);
    // The key press still sends calls to it: it comes along, with what it needs.
    assert!(
        selection
            .selected
            .contains(&"ivr_key.main/lang/1".parse().unwrap()),
        "{:?}",
        selection.selected
    );
    // Its users may be under any tree: every tree's keys are read.
    assert!(selection.every.contains(&spec::Kind::IvrTree));
    let plan = plan_partial(&desired, &live, &none, &policy, &[], &target, &selection);
    let changes: Vec<String> = plan
        .changes()
        .iter()
        .map(|c| format!("{} {}", c.action.symbol(), c.address))
        .collect();
    assert_eq!(changes, ["- queue.old", "~ ivr_key.main/lang/1"]);
    // The steps, in the plan's order, keep PCC's reference rules.
    let mut store = Store::new(&live);
    let order: Vec<usize> = (0..plan.steps.len()).collect();
    run_in_order(&mut store, &plan.steps, &order).unwrap();

    // Excluding the tree leaves the key press as it is, so the queue it uses stays.
    let without = request(&[], &["ivr_tree.main"]);
    let selection = select(&desired, &live, &none, &policy, &without);
    assert!(!selection.selected.contains(&"queue.old".parse().unwrap()));
    let plan = plan_partial(&desired, &live, &none, &policy, &[], &without, &selection);
    assert!(plan.is_empty(), "{:?}", plan.changes());
    let mut store = Store::new(&live);
    run_in_order(&mut store, &plan.steps, &[]).unwrap();
}

/// Ten queues live, the spec keeps seven: a whole plan deletes 30% and is refused. A part
/// that targets the three deleted counts the ten its read named, not the three it covers
/// (three of three is under `min_objects`, and would pass).
#[test]
fn the_delete_guard_of_a_part_counts_what_the_read_named() {
    let queues: Vec<String> = (0..10).map(|i| format!("q{i}: {{}}")).collect();
    let live = model(&format!("queues: {{ {} }}", queues.join(", ")));
    let desired = model(&format!("queues: {{ {} }}", queues[3..].join(", ")));
    let policy = policy("safety: { max_delete_percent: 25, min_objects: 8 }");
    let whole = planner::plan(&desired, &live, &policy);
    assert!(whole.refused());

    let target = request(&["queue.q0", "queue.q1", "queue.q2"], &[]);
    let named: BTreeSet<Address> = (0..10)
        .map(|i| format!("queue.q{i}").parse().unwrap())
        .collect();
    // The read cut down to the part holds only what it selected.
    let mut read = Model::default();
    for (name, queue) in &live.queues {
        if ["q0", "q1", "q2"].contains(&name.as_str()) {
            read.queues.insert(name.clone(), queue.clone());
        }
    }
    let selection = select(&desired, &read, &named, &policy, &target);
    let plan = plan_partial(&desired, &read, &named, &policy, &[], &target, &selection);
    assert_eq!(plan.summary().destroy, 3);
    assert_eq!(
        plan.safety.violations,
        [Violation::TooManyDeletes {
            kind: spec::Kind::Queue,
            deletes: 3,
            existing: 10,
            max_percent: 25,
        }]
    );
    // The guards computed again at apply count the same way.
    let again = planner::recheck_known(&plan, &read, &named);
    assert_eq!(again.violations, plan.safety.violations);
}

/// Key presses are read only under the trees of the part, so their count is a lower bound of
/// the project's: the share is taken of the larger of it and `min_objects`. Three of five
/// keys read would pass a whole plan (five is under eight) and are refused here; one of two
/// is not.
#[test]
fn the_delete_guard_of_a_part_never_lets_a_partial_count_dilute_a_share() {
    let keys = |n: usize| {
        let keys: Vec<String> = (0..n).map(|k| format!("\"{k}\": hangup")).collect();
        format!(
            "ivr: {{ main: {{ start: a, nodes: {{ a: {{ prompt: {{ say: {{ text: hi }} }}, keys: {{ {} }} }} }} }} }}",
            keys.join(", ")
        )
    };
    let policy = policy("safety: { max_delete_percent: 25, min_objects: 8 }");
    let target = request(&["ivr_tree.main"], &[]);
    let none = BTreeSet::new();
    let guarded = |live: usize, desired: usize| {
        let (live, desired) = (model(&keys(live)), model(&keys(desired)));
        let whole = planner::plan(&desired, &live, &policy);
        let selection = select(&desired, &live, &none, &policy, &target);
        let part = plan_partial(&desired, &live, &none, &policy, &[], &target, &selection);
        (whole.refused(), part.refused())
    };
    assert_eq!(guarded(5, 2), (false, true));
    assert_eq!(guarded(2, 1), (false, false));
    assert_eq!(guarded(10, 7), (true, true));
}

/// Text, Markdown and JSON all start by saying the plan is partial, with its patterns and
/// what it left out; a pattern is shown in Markdown as a code span (text, never HTML).
#[test]
fn a_partial_plan_says_so_in_every_format_and_escapes_its_patterns() {
    let live = model(CENTER);
    let desired = model(&CENTER.replace("The menu", "The new menu"));
    let none = BTreeSet::new();
    let policy = Policy::default();
    let hostile = "ivr_*`</details><img src=x>";
    let target = request(&["ivr_tree.main", hostile], &["queue.sales"]);
    let selection = select(&desired, &live, &none, &policy, &target);
    let plan = plan_partial(&desired, &live, &none, &policy, &[], &target, &selection);
    insta::assert_snapshot!("partial_text", planner::render::text(&plan, false));
    let markdown = planner::render::markdown(&plan);
    // Inside a code span, closed where it should be: shown as text, never as HTML.
    assert!(
        markdown.contains("`ivr_*'</details><img src=x>` and what it needs"),
        "{markdown}"
    );
    insta::assert_snapshot!("partial_markdown", markdown);
    let json: serde_json::Value = serde_json::from_str(&planner::render::json(&plan)).unwrap();
    assert_eq!(json["partial"]["target"][1], hostile);
    assert_eq!(
        json["partial"]["excluded"],
        serde_json::json!(["queue.sales", "routing.sales/sales", "ivr_key.main/lang/1"])
    );
    let drift = planner::render::drift_text(&plan, false);
    assert!(drift.starts_with("Partial check: only --target"), "{drift}");
    let whole = planner::plan(&desired, &live, &policy);
    assert!(!planner::render::text(&whole, false).contains("Partial"));
    assert!(!planner::render::json(&whole).contains("\"partial\""));
}
