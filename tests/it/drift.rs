//! `switchboard drift`: exit 0 in sync, 2 with every object changed outside git named.

use e2e::{Pcc, Workdir};
use serde_json::json;

use crate::brownfield;

#[test]
fn drift_is_0_in_sync_and_2_naming_what_changed_out_of_band() {
    let pcc = Pcc::start();
    let ids = brownfield::build(&pcc);
    let work = Workdir::new();
    work.switchboard(["export", "--out", "cc"])
        .against(&pcc)
        .run()
        .assert_code(0);

    let out = work.switchboard(["drift", "cc"]).against(&pcc).run();
    out.assert_code(0);
    assert_eq!(out.stdout, "No drift. The live project matches the spec.\n");

    // Someone changes things in the dashboard.
    pcc.put(
        &format!("/v1/queue/{}", ids.support_queue),
        json!({ "wrap_up_time_limit": 45 }),
    );
    pcc.put(
        &format!("/v1/ivrnode/{}", ids.menu_node),
        json!({ "loop_count": 3 }),
    );
    pcc.agent("temp-contractor", "Temp");
    pcc.reset_stats();

    let out = work.switchboard(["drift", "cc"]).against(&pcc).run();
    out.assert_code(2);
    assert_eq!(pcc.stats().writes, 0);
    for line in [
        "Drift: 3 objects in the live project differ from the spec:",
        "  - agent.temp-contractor: exists live, not in the spec",
        "  ~ queue.support: wrap_up_time_limit is 45 live, spec says 30",
        "  ~ ivr_node.main/menu: loop_count is 3 live, spec says 2",
    ] {
        assert!(out.stdout.contains(line), "{line}\n{out}");
    }

    let out = work
        .switchboard(["drift", "cc", "--format", "json"])
        .against(&pcc)
        .run();
    out.assert_code(2);
    let report = out.json();
    assert_eq!(report["drift"], true);
    let drift = report["resource_drift"].as_array().unwrap();
    let queue = drift
        .iter()
        .find(|d| d["address"] == "queue.support")
        .unwrap();
    assert_eq!(queue["drift"], "changed");
    assert_eq!(
        queue["fields"],
        json!([{ "field": "wrap_up_time_limit", "live": 45, "spec": 30 }])
    );

    let out = work
        .switchboard(["drift", "cc", "--format", "markdown"])
        .against(&pcc)
        .run();
    out.assert_code(2);
    assert!(out.stdout.contains("queue.support"), "{out}");
}

#[test]
fn drift_of_a_spec_with_problems_is_an_error_not_drift() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.write("spec.yaml", "agents:\n  alice: { routing: phone }\n");
    let out = work.switchboard(["drift", "spec.yaml"]).against(&pcc).run();
    out.assert_code(1);
    assert!(out.stderr.contains("missing-phone-number"), "{out}");
    assert_eq!(pcc.stats(), Default::default());
}
