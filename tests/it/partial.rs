//! Partial plans (`--target`, `--exclude`) of examples/midsize: what they read, what a saved
//! partial plan applies, and what an exclusion leaves alone.

use e2e::{Pcc, Workdir};
use serde_json::Value;

/// A copy of examples/midsize, applied to `pcc`.
fn midsize_applied(pcc: &Pcc) -> Workdir {
    let work = Workdir::new();
    work.copy_example("midsize");
    work.switchboard(["apply", "midsize", "--auto-approve"])
        .against(pcc)
        .run()
        .assert_code(0);
    work
}

/// Rewrites `text` with `from` replaced by `to` in the spec file `file`.
fn edit(work: &Workdir, file: &str, from: &str, to: &str) {
    let text = work.read(file);
    assert!(text.contains(from), "`{from}` is not in {file}");
    work.write(file, &text.replacen(from, to, 1));
}

/// The addresses a JSON plan changes.
fn changed(plan: &Value) -> Vec<String> {
    plan["resource_changes"]
        .as_array()
        .expect("resource_changes")
        .iter()
        .map(|c| c["address"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_target_reads_less_and_a_saved_partial_plan_applies_only_its_part() {
    let pcc = Pcc::start();
    let work = midsize_applied(&pcc);
    // Two changes in two trees: the plan of one tree carries only its own.
    edit(
        &work,
        "midsize/ivr/billing.yaml",
        "Khiếu nại hóa đơn được chuyển",
        "Khiếu nại được chuyển",
    );
    edit(
        &work,
        "midsize/ivr/outage.yaml",
        "delay_ms: 300",
        "delay_ms: 500",
    );

    pcc.reset_stats();
    let whole = work
        .switchboard(["plan", "midsize", "--format", "json"])
        .against(&pcc)
        .run();
    whole.assert_code(0);
    let whole_reads = pcc.stats().reads;
    assert_eq!(
        changed(&whole.json()),
        ["ivr_node.billing/dispute", "ivr_node.outage/notice"]
    );
    assert!(whole.json().get("partial").is_none(), "{whole}");

    pcc.reset_stats();
    let part = work
        .switchboard([
            "plan",
            "midsize",
            "--target",
            "ivr_tree.billing",
            "--format",
            "json",
            "--out",
            "billing.json",
        ])
        .against(&pcc)
        .run();
    part.assert_code(0);
    let stats = pcc.stats();
    assert_eq!(stats.writes, 0, "{:?}", stats.requests);
    let part_reads = stats.reads;
    assert!(
        part_reads < whole_reads,
        "the partial plan read {part_reads} times, the whole one {whole_reads}"
    );
    // The other trees' nodes and keys, the groups' members and the queues' routings are
    // not read: one node list (billing's) and its nodes' key lists.
    assert_eq!(stats.requests.get("GET /v1/ivrnode"), Some(&1), "{stats:?}");
    assert_eq!(stats.requests.get("GET /v1/manage-agents-in-group"), None);
    assert_eq!(stats.requests.get("GET /v1/routing-call-to-groups"), None);
    let plan = part.json();
    assert_eq!(changed(&plan), ["ivr_node.billing/dispute"]);
    assert_eq!(
        plan["partial"]["target"],
        serde_json::json!(["ivr_tree.billing"])
    );
    assert!(
        plan["partial"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Partial plan: only --target `ivr_tree.billing` and what it needs."),
        "{plan}"
    );

    // The saved plan records the targets, and `apply FILE` makes only that part.
    let saved: Value = serde_json::from_str(&work.read("billing.json")).unwrap();
    assert_eq!(
        saved["plan"]["partial"]["target"],
        serde_json::json!(["ivr_tree.billing"])
    );
    // Widened by hand, it is not the plan that was reviewed.
    let text = work.read("billing.json");
    work.write(
        "widened.json",
        &text.replacen("\"ivr_tree.billing\"", "\"ivr_tree.*\"", 1),
    );
    pcc.reset_stats();
    let out = work
        .switchboard(["apply", "widened.json"])
        .against(&pcc)
        .run();
    out.assert_code(1);
    assert!(
        out.stderr.contains("is not the plan `plan --out` wrote"),
        "{out}"
    );
    assert_eq!(pcc.stats().requests.len(), 0);
    // And it carries its own part.
    let out = work
        .switchboard(["apply", "billing.json", "--target", "ivr_tree.main"])
        .against(&pcc)
        .run();
    out.assert_code(1);
    assert!(
        out.stderr
            .contains("--target and --exclude apply to a spec, not to a saved plan"),
        "{out}"
    );
    work.switchboard(["apply", "billing.json"])
        .against(&pcc)
        .run()
        .assert_code(0);
    let after = work
        .switchboard(["plan", "midsize", "--format", "json"])
        .against(&pcc)
        .run();
    after.assert_code(0);
    assert_eq!(changed(&after.json()), ["ivr_node.outage/notice"]);
}

#[test]
fn an_exclude_leaves_a_subtree_and_what_depends_on_it_untouched() {
    let pcc = Pcc::start();
    let work = midsize_applied(&pcc);
    // The outage tree, a number that answers with it, and an unrelated queue change.
    edit(
        &work,
        "midsize/ivr/outage.yaml",
        "delay_ms: 300",
        "delay_ms: 500",
    );
    edit(
        &work,
        "midsize/switchboard.yaml",
        "nickname: Outage line",
        "nickname: Outage hotline",
    );
    edit(
        &work,
        "midsize/queues.yaml",
        "wrap_up_time_limit: 30",
        "wrap_up_time_limit: 45",
    );

    let out = work
        .switchboard([
            "apply",
            "midsize",
            "--exclude",
            "ivr_tree.outage",
            "--auto-approve",
        ])
        .against(&pcc)
        .run();
    out.assert_code(0);
    assert!(
        out.stdout
            .contains("Partial plan: without --exclude `ivr_tree.outage` and what needs it."),
        "{out}"
    );
    assert!(out.stdout.contains("number.842873001099"), "{out}");

    // What the exclusion took out is still to do; the rest was done.
    let after = work
        .switchboard(["plan", "midsize", "--format", "json"])
        .against(&pcc)
        .run();
    after.assert_code(0);
    assert_eq!(
        changed(&after.json()),
        ["ivr_node.outage/notice", "number.842873001099"]
    );
}

#[test]
fn a_pattern_that_matches_nothing_or_names_no_kind_is_refused_before_any_write() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.copy_example("hotline");
    let out = work
        .switchboard(["plan", "hotline", "--target", "ivr_tree.nowhere"])
        .against(&pcc)
        .run();
    out.assert_code(1);
    assert!(
        out.stderr.contains(
            "--target `ivr_tree.nowhere` matches nothing in the spec or the live project"
        ),
        "{out}"
    );
    let out = work
        .switchboard([
            "apply",
            "hotline",
            "--exclude",
            "queue.suport",
            "--auto-approve",
        ])
        .against(&pcc)
        .run();
    out.assert_code(1);
    assert!(
        out.stderr
            .contains("--exclude `queue.suport` matches nothing"),
        "{out}"
    );
    let out = work
        .switchboard(["plan", "hotline", "--target", "main"])
        .against(&pcc)
        .run();
    out.assert_code(1);
    assert!(
        out.stderr
            .contains("--target `main` is not an address pattern"),
        "{out}"
    );
    assert_eq!(pcc.stats().writes, 0);
}

#[test]
fn drift_with_a_target_says_the_check_was_partial_and_keeps_its_exit_codes() {
    let pcc = Pcc::start();
    let work = midsize_applied(&pcc);
    pcc.reset_stats();
    edit(
        &work,
        "midsize/ivr/outage.yaml",
        "delay_ms: 300",
        "delay_ms: 500",
    );
    // The drifted part: exit 2, and the report says it checked a part.
    let out = work
        .switchboard(["drift", "midsize", "--target", "ivr_tree.outage"])
        .against(&pcc)
        .run();
    out.assert_code(2);
    assert!(
        out.stdout
            .starts_with("Partial check: only --target `ivr_tree.outage` and what it needs."),
        "{out}"
    );
    assert!(out.stdout.contains("~ ivr_node.outage/notice"), "{out}");
    // A part in sync: exit 0, and "in sync" is said of the part only.
    let out = work
        .switchboard([
            "drift",
            "midsize",
            "--target",
            "ivr_tree.billing",
            "--format",
            "json",
        ])
        .against(&pcc)
        .run();
    out.assert_code(0);
    let report = out.json();
    assert_eq!(report["drift"], false);
    assert_eq!(
        report["partial"]["target"],
        serde_json::json!(["ivr_tree.billing"])
    );
    let out = work
        .switchboard(["drift", "midsize", "--target", "ivr_tree.billing"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    assert!(
        out.stdout
            .contains("No drift. The part checked matches the spec; the rest was not checked."),
        "{out}"
    );
    assert_eq!(pcc.stats().writes, 0);
}
