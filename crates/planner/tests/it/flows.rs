//! Flow tests and caller paths compared between the live and the desired model: the snapshot
//! of every case in `test_data/`, and the rules (pruning, limits, tests that change outcome).

use planner::{FlowLimits, FlowReport, Press, flow_report, render};
use spec::flow::End;
use spec::model::{Key, KeyAction};
use spec::{Expect, FlowTest, Location};

use crate::fixture;

fn test(name: &str, number: &str, keys: &str, expect: Expect) -> FlowTest {
    FlowTest {
        name: Some(name.to_owned()),
        number: number.to_owned(),
        keys: keys.to_owned(),
        expect,
        location: Location {
            file: "tests.yaml".to_owned(),
            line: 1,
            column: 1,
        },
    }
}

/// The hotline's flow tests, as a spec would declare them.
fn hotline_tests() -> Vec<FlowTest> {
    vec![
        test(
            "English sales",
            "842473082686",
            "11",
            Expect::Queue("sales-en".into()),
        ),
        test(
            "English support",
            "842473082686",
            "12",
            Expect::Queue("support".into()),
        ),
        test(
            "Spanish sales",
            "842473082686",
            "21",
            Expect::Queue("sales-es".into()),
        ),
        test(
            "support line",
            "842473082888",
            "",
            Expect::Queue("support".into()),
        ),
    ]
}

fn report(case: &str) -> FlowReport {
    let c = fixture::case(case);
    // As `plan` does: a renamed queue or tree is the same one, not a caller path that moved.
    let live = planner::renamed(&planner::plan(&c.desired, &c.live, &c.policy), &c.live);
    flow_report(&c.desired, &live, &hotline_tests(), &FlowLimits::default())
}

/// Every case, rendered as text, Markdown and JSON.
#[test]
fn cases() {
    insta::glob!("../../test_data", "*/desired.yaml", |path| {
        let dir = path.parent().unwrap();
        let name = dir.file_name().unwrap().to_str().unwrap().to_owned();
        let r = report(&name);
        let json = serde_json::to_string_pretty(&render::flows_json(&r)).unwrap();
        insta::with_settings!({ snapshot_suffix => name.as_str(), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("flows_text", render::flows_text(&r, false));
            insta::assert_snapshot!("flows_markdown", render::flows_markdown(&r, 65_000));
            insta::assert_snapshot!("flows_json", json);
        });
    });
}

#[test]
fn a_changed_key_is_reported_on_its_caller_path_and_fails_the_flow_test_that_covered_it() {
    let r = report("update_in_place");
    assert_eq!(r.numbers.len(), 1, "{r:#?}");
    let hotline = &r.numbers[0];
    assert_eq!(hotline.number, "842473082686");
    let one_two = hotline
        .changes
        .iter()
        .find(|c| c.keys() == "1-2")
        .expect("path 1-2 changes");
    assert_eq!(one_two.live, End::Queue("support".into()));
    assert_eq!(one_two.desired, End::Queue("sales-es".into()));
    assert_eq!(one_two.dtmf(), "12");
    // The new key 9 loops back to the English menu, so 1-9-1 reaches sales, where live the
    // caller was hung up on at the 9.
    let nine_one = hotline
        .changes
        .iter()
        .find(|c| c.keys() == "1-9-1")
        .unwrap();
    assert_eq!(nine_one.live, End::Hangup);
    assert_eq!(nine_one.desired, End::Queue("sales-en".into()));
    // Paths through unchanged keys are not reported.
    assert!(hotline.changes.iter().all(|c| c.keys() != "1-1"));

    let support = &r.tests[1];
    assert!(support.live.passed);
    assert!(!support.desired.passed);
    assert_eq!(support.desired.end, End::Queue("sales-es".into()));
    assert!(!r.is_empty());

    let text = render::flows_text(&r, false);
    assert!(
        text.contains("1-2    queue `support` -> queue `sales-es`"),
        "{text}"
    );
    assert!(
        text.contains("✗ `English support` (842473082686, keys 12)"),
        "{text}"
    );
}

#[test]
fn nothing_changes_when_the_models_agree() {
    let r = report("no_changes");
    assert!(r.numbers.is_empty());
    assert!(r.tests.iter().all(|t| t.live.passed && t.desired.passed));
    assert!(r.is_empty());
    assert_eq!(r.paths_changed(), 0);
}

#[test]
fn a_number_moved_to_another_tree_names_both_entries() {
    let r = report("repoint_number");
    let hotline = &r.numbers[0];
    assert_eq!(hotline.live, planner::Entry::Ivr("old".into()));
    assert_eq!(hotline.desired, planner::Entry::Ivr("main".into()));
    let text = render::flows_text(&r, false);
    assert!(text.contains("ivr `old` -> ivr `main`"), "{text}");
}

#[test]
fn a_new_number_is_one_change_not_one_per_path() {
    let r = report("ivr_cycle");
    let new = r
        .numbers
        .iter()
        .find(|n| n.number == "842473082999")
        .unwrap();
    assert_eq!(new.live, planner::Entry::Absent);
    assert_eq!(new.changes.len(), 1);
    assert!(new.changes[0].presses.is_empty());
    assert_eq!(new.changes[0].keys(), "no key");
}

/// A live leaf (key 1 of the English menu: queue `sales-en`) becomes a menu whose silence,
/// key 2 and wrong keys all go to `support`. Those paths only repeat the change of their parent
/// path 1-1 (`sales-en` -> `support`), so they are pruned; key 3 goes elsewhere and is shown.
#[test]
fn paths_that_repeat_their_parents_change_are_pruned() {
    let c = fixture::case("no_changes");
    let mut desired = c.desired.clone();
    let tree = desired.ivr.get_mut("main").unwrap();
    let english = tree.nodes.get_mut("english").unwrap();
    english.keys.insert(
        Key::D1,
        KeyAction::Goto {
            node: "sales-menu".into(),
        },
    );
    let mut menu = english.clone();
    menu.keys.clear();
    let queue = |q: &str| KeyAction::Queue { queue: q.into() };
    menu.keys.insert(Key::Timeout, queue("support"));
    menu.keys.insert(Key::Invalid, queue("support"));
    menu.keys.insert(Key::D1, queue("sales-en"));
    menu.keys.insert(Key::D2, queue("support"));
    menu.keys.insert(Key::D3, queue("sales-es"));
    tree.nodes.insert("sales-menu".into(), menu);

    let r = flow_report(&desired, &c.live, &[], &FlowLimits::default());
    let keys: Vec<String> = r.numbers[0].changes.iter().map(|c| c.keys()).collect();
    assert_eq!(keys, ["1-1", "1-1-3"]);
    let three = &r.numbers[0].changes[1];
    assert_eq!(
        three.presses,
        [
            Press::Key(Key::D1),
            Press::Key(Key::D1),
            Press::Key(Key::D3)
        ]
    );
    assert_eq!(three.live, End::Queue("sales-en".into()));
    assert_eq!(three.desired, End::Queue("sales-es".into()));
    assert_eq!(
        three.desired_path,
        "main/language [1] -> main/english [1] -> main/sales-menu [3] -> queue `sales-es`"
    );
}

/// Wrong keys are walked once, as `other`: a key neither side's menu defines.
#[test]
fn an_undefined_key_is_walked_once_as_other() {
    let c = fixture::case("no_changes");
    let mut desired = c.desired.clone();
    let language = desired
        .ivr
        .get_mut("main")
        .unwrap()
        .nodes
        .get_mut("language")
        .unwrap();
    language.keys.insert(
        Key::Invalid,
        KeyAction::Queue {
            queue: "support".into(),
        },
    );
    let r = flow_report(&desired, &c.live, &[], &FlowLimits::default());
    let changes = &r.numbers[0].changes;
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0].keys(), "other");
    // 0 is the first key that the language menu (1, 2) does not define.
    assert_eq!(changes[0].dtmf(), "0");
    assert_eq!(changes[0].live, End::Hangup);
}

#[test]
fn limits_bound_the_depth_and_the_paths_kept() {
    let c = fixture::case("update_in_place");
    let shallow = FlowLimits {
        depth: 1,
        max_per_number: 20,
    };
    let r = flow_report(&c.desired, &c.live, &[], &shallow);
    // Every change in this case is two or more keys deep.
    assert!(r.numbers.is_empty() || r.numbers[0].changes.iter().all(|c| c.presses.len() <= 1));
    assert_eq!(r.paths_changed(), 0);

    let all = flow_report(&c.desired, &c.live, &[], &FlowLimits::default());
    let total = all.paths_changed();
    assert!(total >= 2, "{all:#?}");
    let few = FlowLimits {
        depth: 3,
        max_per_number: 1,
    };
    let r = flow_report(&c.desired, &c.live, &[], &few);
    assert_eq!(r.numbers[0].changes.len(), 1);
    assert_eq!(r.numbers[0].not_shown, total - 1);
    assert_eq!(r.paths_changed(), total);
    assert!(render::flows_text(&r, false).contains(&format!("… and {} more", total - 1)));
}

#[test]
fn markdown_stays_under_its_limit_and_says_what_it_left_out() {
    let r = report("update_in_place");
    let full = render::flows_markdown(&r, 65_000);
    assert!(
        full.contains("| `1-2` | queue `support` | queue `sales-es` |"),
        "{full}"
    );
    assert!(!full.contains("did not fit"));
    let limit = 700;
    let cut = render::flows_markdown(&r, limit);
    assert!(cut.len() <= limit, "{} > {limit}", cut.len());
    assert!(cut.contains("did not fit"), "{cut}");
}

#[test]
fn json_has_flow_changes_with_both_ends_and_flow_tests_with_both_outcomes() {
    let r = report("update_in_place");
    let doc = render::flows_json(&r);
    let change = &doc["flow_changes"][0];
    assert_eq!(change["address"], "number.842473082686");
    let path = change["paths_changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["keys"] == "1-2")
        .unwrap();
    assert_eq!(
        path["before_end"],
        serde_json::json!({ "queue": "support" })
    );
    assert_eq!(
        path["after_end"],
        serde_json::json!({ "queue": "sales-es" })
    );
    let support = &doc["flow_tests"][1];
    assert_eq!(support["name"], "English support");
    assert_eq!(support["live"]["passed"], true);
    assert_eq!(support["spec"]["passed"], false);
}
