//! A saved plan read back is untrusted input (docs/security.md, "Saved plans"): a plan file
//! changed after `plan --out` wrote it is refused before any request; behind that digest, the
//! safety guards are computed again from the steps and the live project (never taken from the
//! file), and every step must be covered by the stale check. The file here is a plan that
//! deletes most of a live project, which the guards refuse.

use e2e::{Pcc, Workdir};
use serde_json::{Value, json};

/// The hotline applied to `pcc`, then a plan saved to `plan.json` of a spec that keeps one
/// agent of it: it deletes everything else, and trips the guards. Answers the plan document.
fn deleting_plan(pcc: &Pcc, work: &Workdir) -> Value {
    work.copy_example("hotline");
    work.switchboard(["apply", "hotline", "--auto-approve"])
        .against(pcc)
        .run()
        .assert_code(0);
    work.write("cc/spec.yaml", "agents:\n  alice: { name: Alice Nguyen }\n");
    let out = work
        .switchboard(["plan", "cc", "--out", "plan.json"])
        .against(pcc)
        .run();
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("warning: `apply` will refuse this plan without --force"),
        "{out}"
    );
    let doc: Value = serde_json::from_str(&work.read("plan.json")).unwrap();
    assert!(doc["plan"]["steps"].as_array().unwrap().len() > 40);
    assert!(
        !doc["plan"]["safety"]["violations"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    doc
}

/// Every object in the emulator, to compare before and after.
fn objects(pcc: &Pcc) -> usize {
    let state = pcc.state();
    state
        .as_object()
        .unwrap()
        .values()
        .filter_map(Value::as_array)
        .map(Vec::len)
        .sum()
}

/// Hand edits a reviewer would not see: the guards' verdict emptied, a step added, a value
/// changed, the spec root pointed elsewhere, the digest recomputed as a plain hash. Each is
/// refused before any request, and the live project is left whole.
#[test]
fn a_saved_plan_changed_after_plan_wrote_it_is_refused_before_any_request() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    let doc = deleting_plan(&pcc, &work);
    let text = work.read("plan.json");
    let before = objects(&pcc);

    let mut emptied = doc.clone();
    emptied["plan"]["safety"]["violations"] = json!([]);
    let mut added = doc.clone();
    added["plan"]["steps"].as_array_mut().unwrap().push(
        json!({ "address": "group.evil", "action": "create", "before": null,
                      "after": "group", "changed_fields": [], "depends_on": [] }),
    );
    added["plan"]["reads"]["touched"]["group.evil"] = Value::Null;
    let mut changed = doc.clone();
    let step = changed["plan"]["steps"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|s| s["action"] == "delete")
        .unwrap();
    step["address"] = json!("agent.alice");
    let mut rooted = doc.clone();
    rooted["spec_root"] = json!("/");
    let edits: Vec<(&str, String)> = vec![
        ("violations emptied", emptied.to_string()),
        ("a step added", added.to_string()),
        ("a step changed", changed.to_string()),
        ("the spec root moved", rooted.to_string()),
        ("one byte", text.replacen("\"delete\"", "\"delete \"", 1)),
    ];
    for (what, edited) in edits {
        assert!(edited != text, "{what}: the edit changed nothing");
        work.write("edited.json", &edited);
        pcc.reset_stats();
        let out = work
            .switchboard(["apply", "edited.json", "--auto-approve"])
            .against(&pcc)
            .run();
        out.assert_code(1);
        assert!(
            out.stderr
                .contains("error: `edited.json` is not the plan `plan --out` wrote: it"),
            "{what}: {out}"
        );
        assert!(
            out.stderr
                .ends_with("Make the plan again with `switchboard plan --out`, review it, and apply that; nothing was written\n"),
            "{what}: {out}"
        );
        let stats = pcc.stats();
        assert_eq!(stats.reads + stats.writes, 0, "{what}: requests sent");
    }

    // A digest taken out, or made with a key guessed without the secret, is no digest.
    let mut unsigned = doc.clone();
    unsigned.as_object_mut().unwrap().remove("integrity");
    work.write(
        "edited.json",
        &serde_json::to_string_pretty(&unsigned).unwrap(),
    );
    let out = work
        .switchboard(["apply", "edited.json"])
        .against(&pcc)
        .run();
    out.assert_code(1);
    assert!(out.stderr.contains("it has no integrity digest"), "{out}");
    work.write("edited.json", &e2e::sign_plan(&emptied, b"not the secret"));
    let out = work
        .switchboard(["apply", "edited.json"])
        .against(&pcc)
        .run();
    out.assert_code(1);
    assert!(
        out.stderr
            .contains("its integrity digest does not match its content"),
        "{out}"
    );
    assert_eq!(objects(&pcc), before, "the live project changed");

    // The file as written is still refused, by its guards, with exit 3.
    let out = work.switchboard(["apply", "plan.json"]).against(&pcc).run();
    out.assert_code(3);
    assert_eq!(objects(&pcc), before);
}

/// Behind the digest (a holder of the secret, or anyone for the local sandbox, whose key is
/// public): the guards are computed again from the steps and the live read, so a plan whose
/// verdict was emptied is still refused, and deletes nothing.
#[test]
fn behind_the_digest_the_guards_are_computed_again_from_the_live_project() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    let doc = deleting_plan(&pcc, &work);
    let before = objects(&pcc);
    let mut emptied = doc.clone();
    emptied["plan"]["safety"]["violations"] = json!([]);
    // Counts raised too, so that the share deleted would look small.
    for n in emptied["plan"]["existing"]
        .as_object_mut()
        .unwrap()
        .values_mut()
    {
        *n = json!(n.as_u64().unwrap() * 1000);
    }
    work.write("emptied.json", &e2e::sign_plan(&emptied, &e2e::plan_key()));
    pcc.reset_stats();
    let out = work
        .switchboard(["apply", "emptied.json", "--auto-approve"])
        .against(&pcc)
        .run();
    out.assert_code(3);
    assert!(
        out.stderr
            .contains("error: a safety guard refuses this plan ("),
        "{out}"
    );
    assert!(
        out.stderr
            .contains("  - too many deletes of ivr_key: 100% is over 25% (14/14)"),
        "{out}"
    );
    assert!(
        out.stderr
            .contains("  - deletes number 842473082686 (Hotline)"),
        "{out}"
    );
    assert_eq!(pcc.stats().writes, 0);
    assert_eq!(objects(&pcc), before);
}

/// Behind the digest, a step the stale check does not cover (added without its read) is
/// refused whole, before any request.
#[test]
fn behind_the_digest_a_step_the_stale_check_does_not_cover_is_refused() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    let mut doc = deleting_plan(&pcc, &work);
    // Keep the one agent the spec keeps after all: delete it too, read unrecorded.
    let steps = doc["plan"]["steps"].as_array_mut().unwrap();
    let n = steps.len();
    steps.push(json!({
        "address": "agent.alice", "action": "delete",
        "before": { "agent": { "name": "Alice Nguyen", "routing": "app", "phone_number": null } },
        "after": null, "changed_fields": [], "depends_on": []
    }));
    work.write("added.json", &e2e::sign_plan(&doc, &e2e::plan_key()));
    pcc.reset_stats();
    let out = work
        .switchboard(["apply", "added.json", "--force", "--auto-approve"])
        .against(&pcc)
        .run();
    out.assert_code(1);
    assert!(
        out.stderr.contains(&format!(
            "saved plan is inconsistent: steps[{n}] (agent.alice) is not covered by the stale \
             check (its object is not in `reads.touched`)"
        )),
        "{out}"
    );
    let stats = pcc.stats();
    assert_eq!(stats.reads + stats.writes, 0, "{out}");
}

/// Against the local sandbox the digest's key is public (the sandbox has no lasting secret):
/// it still catches a plan edited by mistake.
#[test]
fn a_sandbox_plan_edited_by_mistake_is_refused() {
    let work = Workdir::new();
    work.copy_example("hotline");
    work.switchboard(["plan", "hotline", "--out", "plan.json"])
        .run()
        .assert_code(0);
    let text = work.read("plan.json");
    work.write("plan.json", &text.replacen("Alice Nguyen", "Alice Ng", 1));
    let out = work.switchboard(["apply", "plan.json"]).run();
    out.assert_code(1);
    assert!(
        out.stderr.contains(
            "error: `plan.json` is not the plan `plan --out` wrote: its integrity digest does not \
             match its content"
        ),
        "{out}"
    );
    work.write("plan.json", &text);
    work.switchboard(["apply", "plan.json"])
        .run()
        .assert_code(0);
}
