//! `blacklist:` end to end against the emulator: entries another tool made (stored `+84…`)
//! match the spec's digits; entries planned, applied, drift-checked and exported; unblocking
//! refused without `--force`; a spec without the section neither reads nor touches them.

use e2e::{Pcc, Workdir};
use serde_json::{Value, json};

/// Blacklists `number` as another tool would (the docs' sample sends no `+`).
fn blacklist(pcc: &Pcc, number: &str, ivr: bool, queue: bool) -> String {
    pcc.create(
        "/v1/blacklistnumber",
        json!({ "number": number, "ivr_blocked": ivr, "queue_blocked": queue }),
        "blacklistNumberID",
    )
}

/// The live entries, as `(number, ivr_blocked, queue_blocked)`, sorted.
fn entries(pcc: &Pcc) -> Vec<(String, i64, i64)> {
    let mut out: Vec<(String, i64, i64)> = pcc.state()["blacklistNumbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b: &Value| {
            (
                b["number"].as_str().unwrap().to_owned(),
                b["ivr_blocked"].as_i64().unwrap(),
                b["queue_blocked"].as_i64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

const AGENTS: &str = "version: 1\nagents:\n  alice: { name: Alice }\n";

#[test]
fn a_blacklist_is_planned_applied_drift_checked_and_exported() {
    let pcc = Pcc::start();
    blacklist(&pcc, "84379361752", true, true);
    let work = Workdir::new();

    // The `+` PCC stores is no difference.
    work.write(
        "cc/switchboard.yaml",
        &format!("{AGENTS}blacklist:\n  \"84379361752\": {{}}\n"),
    );
    work.switchboard(["apply", "cc", "--auto-approve"])
        .against(&pcc)
        .run()
        .assert_code(0);
    pcc.reset_stats();
    work.switchboard(["plan", "cc", "--detailed-exitcode"])
        .against(&pcc)
        .run()
        .assert_code(0);
    assert_eq!(pcc.stats().writes, 0);

    // Two added, one of them blocking only the queues.
    work.write(
        "cc/switchboard.yaml",
        &format!(
            "{AGENTS}blacklist:\n  \"84379361752\": {{}}\n  \"84901234567\": {{ blocks: [queue] }}\n  \"14155550100\": {{ blocks: [ivr, queue] }}\n"
        ),
    );
    let plan = work.switchboard(["plan", "cc"]).against(&pcc).run();
    plan.assert_code(0);
    insta::assert_snapshot!("blacklist_added", plan.stdout);
    work.switchboard(["apply", "cc", "--auto-approve"])
        .against(&pcc)
        .run()
        .assert_code(0);
    assert_eq!(
        entries(&pcc),
        [
            ("+14155550100".to_owned(), 1, 1),
            ("+84379361752".to_owned(), 1, 1),
            ("+84901234567".to_owned(), 0, 1),
        ]
    );
    work.switchboard(["plan", "cc", "--detailed-exitcode"])
        .against(&pcc)
        .run()
        .assert_code(0);

    // Someone lets a caller into the IVR in the console: drift says so.
    let id = pcc.state()["blacklistNumbers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["number"] == "+84379361752")
        .map(|b| b["id"].as_str().unwrap().to_owned())
        .unwrap();
    pcc.put(
        &format!("/v1/blacklistnumber/{id}"),
        json!({ "number": "84379361752", "ivr_blocked": false, "queue_blocked": true }),
    );
    let drift = work.switchboard(["drift", "cc"]).against(&pcc).run();
    drift.assert_code(2);
    assert!(drift.stdout.contains("blacklist.84379361752"), "{drift}");
    work.switchboard(["apply", "cc", "--auto-approve"])
        .against(&pcc)
        .run()
        .assert_code(0);

    // An export writes the list by digits, and plans clean.
    let out = work
        .switchboard(["export", "--out", "exported"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    assert!(out.stdout.contains("3 blacklisted numbers"), "{out}");
    insta::assert_snapshot!("blacklist_exported", work.read("exported/blacklist.yaml"));
    work.switchboard(["plan", "exported", "--detailed-exitcode"])
        .against(&pcc)
        .run()
        .assert_code(0);
}

#[test]
fn unblocking_a_caller_is_refused_without_force() {
    let pcc = Pcc::start();
    blacklist(&pcc, "84379361752", true, true);
    blacklist(&pcc, "84901234567", true, true);
    let work = Workdir::new();
    // One entry removed, the other only stops blocking the IVR.
    work.write(
        "cc/switchboard.yaml",
        &format!("{AGENTS}blacklist:\n  \"84901234567\": {{ blocks: [queue] }}\n"),
    );
    let plan = work.switchboard(["plan", "cc"]).against(&pcc).run();
    plan.assert_code(0);
    assert!(
        plan.stdout.contains(
            "unblocks blacklisted caller 84379361752: they reach the IVR and the queues again; use --force"
        ),
        "{plan}"
    );
    assert!(
        plan.stdout
            .contains("unblocks blacklisted caller 84901234567: they reach the IVR again"),
        "{plan}"
    );
    pcc.reset_stats();
    let refused = work
        .switchboard(["apply", "cc", "--auto-approve"])
        .against(&pcc)
        .run();
    refused.assert_code(3);
    assert_eq!(pcc.stats().writes, 0, "{refused}");
    assert_eq!(
        entries(&pcc),
        [
            ("+84379361752".to_owned(), 1, 1),
            ("+84901234567".to_owned(), 1, 1),
        ]
    );
    work.switchboard(["apply", "cc", "--auto-approve", "--force"])
        .against(&pcc)
        .run()
        .assert_code(0);
    assert_eq!(entries(&pcc), [("+84901234567".to_owned(), 0, 1)]);
}

#[test]
fn without_a_blacklist_section_the_blacklist_is_neither_read_nor_changed() {
    let pcc = Pcc::start();
    blacklist(&pcc, "84379361752", true, true);
    let work = Workdir::new();
    work.write("cc/switchboard.yaml", AGENTS);
    pcc.reset_stats();
    work.switchboard(["apply", "cc", "--auto-approve"])
        .against(&pcc)
        .run()
        .assert_code(0);
    let stats = pcc.stats();
    assert!(
        !stats.requests.keys().any(|r| r.contains("blacklistnumber")),
        "{:?}",
        stats.requests
    );
    assert_eq!(entries(&pcc), [("+84379361752".to_owned(), 1, 1)]);
}
