//! The undocumented fields real clients set (a queue's overflow delay and SLA, a number's
//! `all_groups_can_call_out`, an agent's `out_of_hours_callout`), end to end: set by another
//! tool and left out of the spec, they are never a difference, in `plan`, `drift` or after
//! `export`; set in the spec, they are planned, applied and then clean.

use e2e::{Pcc, Workdir};
use serde_json::{Value, json};

/// A project another tool made, with every undocumented field set.
fn build(pcc: &Pcc) {
    let alice = pcc.agent("alice", "Alice");
    pcc.put(
        &format!("/v1/agent/{alice}"),
        json!({ "allow_out_of_business_hour_callout": true }),
    );
    let group = pcc.group("support");
    pcc.member(&group, &alice);
    let queue = pcc.queue(
        "support",
        json!({ "route_to_backup_groups_after": 15, "sla_target_percent": 80, "sla_answered_within": 20 }),
    );
    pcc.routing(&queue, &group, true);
    pcc.number(
        "842473082686",
        json!({ "queue_id": queue, "all_group_can_make_outbound_call": 0 }),
    );
}

const SPEC: &str = "\
version: 1
agents:
  alice: { name: Alice }
groups:
  support: { agents: [alice] }
queues:
  support:
    routing: [{ group: support, primary: true }]
numbers:
  \"842473082686\": { queue: support }
";

fn item<'v>(state: &'v Value, kind: &str) -> &'v Value {
    &state[kind][0]
}

#[test]
fn fields_a_spec_leaves_unset_never_differ_in_plan_drift_or_export() {
    let pcc = Pcc::start();
    build(&pcc);
    let work = Workdir::new();
    work.write("cc/switchboard.yaml", SPEC);
    work.switchboard(["plan", "cc", "--detailed-exitcode"])
        .against(&pcc)
        .run()
        .assert_code(0);
    work.switchboard(["drift", "cc"])
        .against(&pcc)
        .run()
        .assert_code(0);

    // A change of another field leaves them as PCC holds them.
    work.write(
        "cc/switchboard.yaml",
        &SPEC.replace("alice: { name: Alice }", "alice: { name: Alice Nguyen }"),
    );
    work.switchboard(["apply", "cc", "--auto-approve"])
        .against(&pcc)
        .run()
        .assert_code(0);
    let state = pcc.state();
    assert_eq!(item(&state, "agents")["name"], "Alice Nguyen");
    assert_eq!(
        item(&state, "agents")["allow_out_of_business_hour_callout"],
        1
    );

    // An export writes what PCC holds, and plans clean.
    let out = work
        .switchboard(["export", "--out", "exported"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    insta::assert_snapshot!("exported_queue", work.read("exported/queues.yaml"));
    assert!(
        work.read("exported/agents.yaml")
            .contains("out_of_hours_callout: true"),
        "{}",
        work.read("exported/agents.yaml")
    );
    assert!(
        work.read("exported/numbers.yaml")
            .contains("all_groups_can_call_out: false")
    );
    work.switchboard(["plan", "exported", "--detailed-exitcode"])
        .against(&pcc)
        .run()
        .assert_code(0);
}

#[test]
fn fields_a_spec_sets_are_planned_applied_and_then_clean() {
    let pcc = Pcc::start();
    build(&pcc);
    let work = Workdir::new();
    work.write(
        "cc/switchboard.yaml",
        &SPEC
            .replace("alice: { name: Alice }", "alice: { name: Alice, out_of_hours_callout: false }")
            .replace(
                "routing: [{ group: support, primary: true }]",
                "routing: [{ group: support, primary: true }]\n    overflow_after: 30\n    sla_target_percent: 90",
            )
            .replace(
                "{ queue: support }",
                "{ queue: support, all_groups_can_call_out: true }",
            ),
    );
    let plan = work
        .switchboard(["plan", "cc", "--detailed-exitcode"])
        .against(&pcc)
        .run();
    plan.assert_code(2);
    insta::assert_snapshot!("set_fields_plan", plan.stdout);
    work.switchboard(["drift", "cc"])
        .against(&pcc)
        .run()
        .assert_code(2);
    work.switchboard(["apply", "cc", "--auto-approve"])
        .against(&pcc)
        .run()
        .assert_code(0);
    let state = pcc.state();
    let queue = item(&state, "queues");
    assert_eq!(queue["route_to_backup_groups_after"], 30);
    assert_eq!(queue["sla_target_percent"], 90);
    assert_eq!(queue["sla_answered_within"], 20);
    assert_eq!(
        item(&state, "agents")["allow_out_of_business_hour_callout"],
        0
    );
    assert_eq!(
        item(&state, "numbers")["all_group_can_make_outbound_call"],
        1
    );
    work.switchboard(["plan", "cc", "--detailed-exitcode"])
        .against(&pcc)
        .run()
        .assert_code(0);
}
