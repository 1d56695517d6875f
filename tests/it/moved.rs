//! `moved:` end to end: the hotline applied, then its group `support`, queue `support` and
//! tree `main` renamed in the YAML with `moved:` entries. The plan shows three renames and
//! nothing else; apply sends exactly three `PUT`s; the server ids stay and so does everything
//! that hangs on them; then there is nothing to do, with the entries kept. The same renames
//! saved with `plan --out` apply as saved, and are stale once the old name went or the new one
//! came out of band.

use e2e::{Pcc, Workdir};
use serde_json::{Value, json};

/// Edits `file` of the copied example: every `(from, to)` replaced, each at least once.
#[track_caller]
fn edit(work: &Workdir, file: &str, replacements: &[(&str, &str)]) {
    let mut text = work.read(file);
    for (from, to) in replacements {
        assert!(text.contains(from), "{file} has no `{from}`");
        text = text.replace(from, to);
    }
    work.write(file, &text);
}

fn rename_in_yaml(work: &Workdir) {
    edit(
        work,
        "hotline/people.yaml",
        &[("  support: { agents", "  support-team: { agents")],
    );
    edit(
        work,
        "hotline/queues.yaml",
        &[
            ("  support:\n", "  helpdesk:\n"),
            (
                "{ group: support, primary: true }",
                "{ group: support-team, primary: true }",
            ),
        ],
    );
    edit(
        work,
        "hotline/ivr.yaml",
        &[
            ("  main:\n", "  front-door:\n"),
            ("{ queue: support }", "{ queue: helpdesk }"),
        ],
    );
    edit(
        work,
        "hotline/switchboard.yaml",
        &[
            ("ivr: main", "ivr: front-door"),
            ("queue: support", "queue: helpdesk"),
        ],
    );
    edit(
        work,
        "hotline/tests.yaml",
        &[("{ queue: support }", "{ queue: helpdesk }")],
    );
    work.write(
        "hotline/moved.yaml",
        "moved:\n  \
         - { from: group.support, to: group.support-team }\n  \
         - { from: queue.support, to: queue.helpdesk }\n  \
         - { from: ivr_tree.main, to: ivr_tree.front-door }\n",
    );
}

/// The lists whose items hang on the renamed objects, as PCC holds them.
fn dependents(pcc: &Pcc) -> Vec<Value> {
    let state = pcc.state();
    [
        "groupAgents",
        "groupRoutings",
        "ivrNodes",
        "ivrNodeKeys",
        "numbers",
    ]
    .iter()
    .map(|kind| state[*kind].clone())
    .collect()
}

/// The server ids of the three objects the renames touch, and everything hanging on them,
/// read before the renames.
struct Ids {
    group: String,
    queue: String,
    tree: String,
    hanging: Vec<Value>,
}

impl Ids {
    fn read(pcc: &Pcc) -> Ids {
        Ids {
            group: pcc.id_of("group", "groups", "name", "support"),
            queue: pcc.id_of("queue", "queues", "name", "support"),
            tree: pcc.id_of("ivrtree", "ivrTrees", "tree_name", "main"),
            hanging: dependents(pcc),
        }
    }
}

/// The last apply wrote exactly one PUT per renamed object, and each kept its server id.
fn assert_renamed_in_place(pcc: &Pcc, before: &Ids) {
    let stats = pcc.stats();
    assert_eq!(stats.writes, 3, "{:?}", stats.requests);
    for put in [
        "PUT /v1/group/{id}",
        "PUT /v1/queue/{id}",
        "PUT /v1/ivrtree/{id}",
    ] {
        assert_eq!(
            stats.requests.get(put),
            Some(&1),
            "{put}: {:?}",
            stats.requests
        );
    }
    assert_eq!(
        pcc.id_of("group", "groups", "name", "support-team"),
        before.group
    );
    assert_eq!(
        pcc.id_of("queue", "queues", "name", "helpdesk"),
        before.queue
    );
    assert_eq!(
        pcc.id_of("ivrtree", "ivrTrees", "tree_name", "front-door"),
        before.tree
    );
}

/// The hotline example applied to an empty emulated project, before any rename.
fn hotline_applied() -> (Pcc, Workdir) {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.copy_example("hotline");
    work.switchboard(["apply", "hotline", "--auto-approve"])
        .against(&pcc)
        .run()
        .assert_code(0);
    (pcc, work)
}

#[test]
fn a_rename_with_moved_is_three_puts_and_keeps_every_id() {
    let (pcc, work) = hotline_applied();
    let before = Ids::read(&pcc);

    rename_in_yaml(&work);
    let out = work
        .switchboard(["plan", "hotline", "--detailed-exitcode"])
        .against(&pcc)
        .run();
    out.assert_code(2);
    for line in [
        "  # group.support-team has moved from group.support\n  ~ group.support-team\n      ~ name = \"support\" -> \"support-team\"\n",
        "  # queue.helpdesk has moved from queue.support\n  ~ queue.helpdesk\n      ~ name = \"support\" -> \"helpdesk\"\n",
        "  # ivr_tree.front-door has moved from ivr_tree.main\n  ~ ivr_tree.front-door\n      ~ name = \"main\" -> \"front-door\"\n",
        "Plan: 0 to add, 3 to change, 0 to destroy.",
    ] {
        assert!(out.stdout.contains(line), "no `{line}` in:\n{out}");
    }
    assert!(!out.stdout.contains("-/+"), "{out}");
    assert!(
        !out.stdout
            .lines()
            .any(|l| l.starts_with("  + ") || l.starts_with("  - ")),
        "{out}"
    );
    assert!(
        !out.stdout.contains("Caller paths"),
        "a rename moves no caller: {out}"
    );

    let out = work
        .switchboard(["plan", "hotline", "--format", "json"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    let plan = out.json();
    let previous: Vec<(&str, &str)> = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["address"].as_str().unwrap(),
                c["previous_address"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        previous,
        [
            ("group.support-team", "group.support"),
            ("queue.helpdesk", "queue.support"),
            ("ivr_tree.front-door", "ivr_tree.main"),
        ]
    );

    pcc.reset_stats();
    let out = work
        .switchboard(["apply", "hotline", "--auto-approve"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    assert_renamed_in_place(&pcc, &before);
    assert_eq!(
        dependents(&pcc),
        before.hanging,
        "memberships, routings, nodes, keys, numbers untouched"
    );

    // Done: the `moved:` entries stay, and plan nothing.
    let out = work
        .switchboard(["plan", "hotline", "--detailed-exitcode"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    assert!(out.stdout.contains("No changes."), "{out}");
}

/// `plan --out` with the renames in the YAML; the number of steps the saved plan holds.
fn save_plan(work: &Workdir, pcc: &Pcc, file: &str) -> usize {
    work.switchboard(["plan", "hotline", "--out", file])
        .against(pcc)
        .run()
        .assert_code(0);
    let saved: Value = serde_json::from_str(&work.read(file)).unwrap();
    saved["plan"]["steps"].as_array().unwrap().len()
}

#[test]
fn a_saved_plan_with_renames_applies_exactly_its_three_puts() {
    let (pcc, work) = hotline_applied();
    let before = Ids::read(&pcc);
    rename_in_yaml(&work);
    assert_eq!(save_plan(&work, &pcc, "plan.json"), 3);

    pcc.reset_stats();
    let out = work.switchboard(["apply", "plan.json"]).against(&pcc).run();
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("checked the live objects the plan touches: unchanged since planning"),
        "{out}"
    );
    assert_renamed_in_place(&pcc, &before);
    assert_eq!(dependents(&pcc), before.hanging);
    let out = work
        .switchboard(["plan", "hotline", "--detailed-exitcode"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    assert!(out.stdout.contains("No changes."), "{out}");
}

#[test]
fn a_saved_rename_is_stale_when_its_old_name_went_or_its_new_one_came() {
    let (pcc, work) = hotline_applied();
    rename_in_yaml(&work);
    save_plan(&work, &pcc, "plan.json");

    // Someone renames the group the plan renames, out of band.
    let group = pcc.id_of("group", "groups", "name", "support");
    pcc.put(&format!("/v1/group/{group}"), json!({ "name": "tier-2" }));
    pcc.reset_stats();
    let out = work.switchboard(["apply", "plan.json"]).against(&pcc).run();
    out.assert_code(4);
    assert!(
        out.stderr.contains(
            "error: the saved plan is stale: 1 object it touches changed since it was made\n  \
             - group.support was deleted since the plan was made\n"
        ),
        "{out}"
    );
    assert_eq!(pcc.stats().writes, 0);

    // Put back, and the plan goes through; but not once the new name is taken.
    pcc.put(&format!("/v1/group/{group}"), json!({ "name": "support" }));
    pcc.queue("helpdesk", json!({}));
    pcc.reset_stats();
    let out = work.switchboard(["apply", "plan.json"]).against(&pcc).run();
    out.assert_code(4);
    assert!(
        out.stderr.contains(
            "error: the saved plan is stale: 1 object it touches changed since it was made\n  \
             - queue.helpdesk now exists (created since the plan was made)\n"
        ),
        "{out}"
    );
    assert_eq!(pcc.stats().writes, 0);
}
