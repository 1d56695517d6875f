//! `switchboard plan`: reads, plans, renders, saves; never writes.

use e2e::{Pcc, SID, SID_HINT, Workdir};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// Every request `pcc` received was a read; answers how many.
#[track_caller]
fn reads_only(pcc: &Pcc) -> u64 {
    let stats = pcc.stats();
    assert_eq!(stats.writes, 0, "{:?}", stats.requests);
    assert!(
        stats.requests.keys().all(|r| r.starts_with("GET ")),
        "{:?}",
        stats.requests
    );
    stats.reads
}

#[test]
fn the_hotline_against_an_empty_project_is_all_creates_and_writes_nothing() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.copy_example("hotline");
    let out = work
        .switchboard(["plan", "hotline", "--detailed-exitcode"])
        .against(&pcc)
        .run();
    out.assert_code(2);
    assert_eq!(
        out.banner(),
        format!("target: {} (key {SID_HINT})", pcc.url())
    );
    assert!(
        out.stderr.contains("read the live project: 0 numbers"),
        "{out}"
    );
    // One list request per top-level list of an empty project, nothing else.
    assert_eq!(reads_only(&pcc), 7);
    assert!(!out.stdout.contains('\x1b'), "no colour when piped: {out}");
    insta::assert_snapshot!("hotline_text", out.stdout);

    // Without the flag, changes still exit 0.
    let out = work.switchboard(["plan", "hotline"]).against(&pcc).run();
    out.assert_code(0);
    assert_eq!(reads_only(&pcc), 14);
}

#[test]
fn json_is_the_only_thing_on_stdout_and_lists_every_change() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.copy_example("hotline");
    let out = work
        .switchboard(["plan", "hotline", "--format", "json"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    let plan = out.json();
    assert_eq!(plan["format_version"], "1.4");
    assert_eq!(plan["changes"], true);
    assert_eq!(plan["summary"]["add"], 45);
    assert_eq!(plan["summary"]["change"], 1);
    assert_eq!(plan["safety"]["refused"], false);
    let changes = plan["resource_changes"].as_array().unwrap();
    assert_eq!(changes.len(), 46);
    for change in changes {
        let expected = if change["address"] == "settings" {
            json!(["update"])
        } else {
            json!(["create"])
        };
        assert_eq!(change["change"]["actions"], expected, "{change}");
    }
    let key = changes
        .iter()
        .find(|c| c["address"] == "ivr_key.main/english/2")
        .expect("the English menu's key 2");
    assert_eq!(key["change"]["after"], json!({ "queue": "support" }));

    // What the plan changes for callers: every flow test fails live (no number yet) and
    // passes once applied; both numbers go from nowhere to somewhere.
    let tests = plan["flow_tests"].as_array().unwrap();
    assert_eq!(tests.len(), 7);
    for test in tests {
        assert_eq!(test["live"]["passed"], false, "{test}");
        assert_eq!(test["spec"]["passed"], true, "{test}");
    }
    let numbers: Vec<&Value> = plan["flow_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["address"])
        .collect();
    assert_eq!(numbers, ["number.842473082686", "number.842473082888"]);
    reads_only(&pcc);
}

#[test]
fn markdown_is_a_pull_request_comment_with_the_trees_drawn() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.copy_example("hotline");
    let out = work
        .switchboard(["plan", "hotline", "--format", "markdown"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    let md = &out.stdout;
    assert!(md.starts_with("### switchboard plan\n"), "{out}");
    let summary = md
        .find("**Plan: 45 to add, 1 to change, 0 to destroy.**")
        .unwrap();
    let details = md.find("<details>").unwrap();
    assert!(summary < details, "summary first: {out}");
    assert!(md.contains("| ivr_key | 0 | 14 |"), "{out}");
    assert!(md.contains("```mermaid"), "{out}");
    assert_eq!(
        md.matches("<details").count(),
        md.matches("</details>").count()
    );
    assert!(
        md.contains("<details open><summary><b>ivr_tree.main</b>: new tree</summary>"),
        "{out}"
    );
    assert!(md.len() < 65_000);
    reads_only(&pcc);
}

#[test]
fn colour_follows_the_color_flag() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.copy_example("hotline");
    let out = work
        .switchboard(["plan", "hotline", "--color", "always"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    assert!(
        out.stdout
            .contains("\x1b[32m  +\x1b[0m \x1b[1magent.alice\x1b[0m"),
        "{out}"
    );
    let out = work
        .switchboard(["plan", "hotline", "--color", "never"])
        .against(&pcc)
        .run();
    assert!(!out.stdout.contains('\x1b'), "{out}");
}

#[test]
fn a_saved_plan_records_its_target_and_spec_root_and_no_secret() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.copy_example("hotline");
    let out = work
        .switchboard(["plan", "hotline", "--out", "plan.json"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("saved the plan to plan.json; apply exactly these changes with `switchboard apply plan.json`"),
        "{out}"
    );
    let text = work.read("plan.json");
    assert!(!text.contains(SID), "the full SID stays out of plan files");
    let saved: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(saved["format_version"], "2.3");
    // The last member: the digest `apply` checks, keyed with a key derived from the secret.
    assert!(
        text.ends_with(&format!(
            "  \"integrity\": \"hmac-sha256:{}\"\n}}\n",
            saved["integrity"]
                .as_str()
                .unwrap()
                .trim_start_matches("hmac-sha256:")
        )),
        "{text}"
    );
    let sid_sha256: String = Sha256::digest(SID.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        saved["target"],
        json!({ "pcc": { "endpoint": pcc.url(), "key": SID_HINT, "key_sha256": sid_sha256 } })
    );
    assert_eq!(saved["spec_root"], "hotline");
    let steps = saved["plan"]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 46);
    let audio = steps
        .iter()
        .find(|s| s["address"] == "audio.welcome-es")
        .unwrap();
    assert_eq!(audio["after"]["audio"]["file"], "audio/welcome-es.mp3");
    // The stale check's fingerprints: every object the plan touches, none existing yet
    // except the settings.
    let touched = saved["plan"]["reads"]["touched"].as_object().unwrap();
    assert_eq!(touched.len(), 46);
    assert!(touched["settings"].is_string());
    assert!(touched["agent.alice"].is_null());
    reads_only(&pcc);
}

#[test]
fn a_spec_with_problems_exits_1_before_any_request() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.write(
        "spec.yaml",
        "queues:\n  support: { routing: [ { group: suport, primary: true } ] }\ngroups:\n  support: {}\n",
    );
    let out = work
        .switchboard(["plan", "spec.yaml", "--detailed-exitcode"])
        .against(&pcc)
        .run();
    out.assert_code(1);
    assert!(
        out.banner().starts_with("target: http://127.0.0.1:"),
        "{out}"
    );
    assert!(out.stderr.contains("unknown-reference"), "{out}");
    assert!(out.stderr.contains("did you mean `support`?"), "{out}");
    assert!(
        out.stderr.contains(
            "error: `spec.yaml` is not a valid spec (run `switchboard validate` for details)"
        ),
        "{out}"
    );
    assert_eq!(out.stdout, "");
    assert_eq!(pcc.stats(), Default::default(), "no request at all");

    let out = work
        .switchboard(["plan", "missing.yaml"])
        .against(&pcc)
        .run();
    out.assert_code(1);
    assert!(out.stderr.contains("cannot read `missing.yaml`"), "{out}");
    assert_eq!(pcc.stats(), Default::default(), "no request at all");

    // With no credentials, a mistyped path or an invalid spec does not start the sandbox, so
    // it leaves no `.switchboard/` behind; the banner still comes first.
    for (command, spec) in [
        (["plan", "missing.yaml"], "missing.yaml"),
        (["drift", "spec.yaml"], "spec.yaml"),
        (["apply", "spec.yaml"], "spec.yaml"),
    ] {
        let out = work.switchboard(command).run();
        out.assert_code(1);
        assert!(out.banner().starts_with("target: local sandbox"), "{out}");
        assert!(out.stderr.contains(&format!("`{spec}`")), "{out}");
        assert!(
            !work.join(".switchboard").exists(),
            "{out}\nleft .switchboard/ behind"
        );
    }
}

#[test]
fn safety_guards_are_shown_loudly_and_plan_still_exits_normally() {
    let pcc = Pcc::start();
    pcc.number("849111222333", json!({ "nickname": "Old promo line" }));
    pcc.reset_stats();
    let work = Workdir::new();
    work.copy_example("hotline");
    let out = work
        .switchboard(["plan", "hotline", "--detailed-exitcode"])
        .against(&pcc)
        .run();
    out.assert_code(2);
    assert!(out.stdout.contains("- number.849111222333"), "{out}");
    assert!(
        out.stdout.contains(
            "deletes number 849111222333 (Old promo line): calls to it will fail; use --force"
        ),
        "{out}"
    );
    assert!(
        out.stderr.contains(
            "warning: `apply` will refuse this plan without --force: 1 safety guard tripped\n  \
             - deletes number 849111222333 (Old promo line): calls to it will fail; use --force"
        ),
        "{out}"
    );
    let out = work
        .switchboard(["plan", "hotline", "--format", "json"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    assert_eq!(out.json()["safety"]["refused"], true);
    reads_only(&pcc);
}

/// A PCC that keeps refusing (here, HTTP 429 on every request) is never a silent wait: the
/// first retry is announced once, on standard error, and `SWITCHBOARD_LOG=warn` shows each.
#[test]
fn retries_are_announced_once_and_each_with_switchboard_log() {
    let pcc = Pcc::start();
    pcc.set_faults(emulator::Faults {
        throttle_rate: 1.0,
        retry_after_secs: 0,
        ..emulator::Faults::default()
    });
    let work = Workdir::new();
    work.copy_example("hotline");
    let out = work.switchboard(["plan", "hotline"]).against(&pcc).run();
    out.assert_code(1);
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    assert_eq!(warnings.len(), 1, "{out}");
    assert!(
        warnings[0].starts_with("warning: a request to PCC failed; retrying (GET /v1/"),
        "{out}"
    );
    assert!(warnings[0].contains("HTTP 429"), "{out}");
    assert!(
        warnings[0].ends_with("Set SWITCHBOARD_LOG=warn to see every retry"),
        "{out}"
    );
    assert!(
        out.stderr.contains("error: cannot read the live project"),
        "{out}"
    );
    assert_eq!(out.stdout, "");

    let out = work
        .switchboard(["plan", "hotline"])
        .against(&pcc)
        .env("SWITCHBOARD_LOG", "warn")
        .run();
    out.assert_code(1);
    let retries = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning: retrying pcc request method=GET path=/v1/"))
        .count();
    assert!(retries >= 5, "{out}");
    assert!(!out.stderr.contains('\x1b'), "no colour codes: {out}");

    // A Retry-After longer than switchboard waits: it gives up at once, and says why.
    pcc.set_faults(emulator::Faults {
        throttle_rate: 1.0,
        retry_after_secs: 500,
        ..emulator::Faults::default()
    });
    let out = work.switchboard(["plan", "hotline"]).against(&pcc).run();
    out.assert_code(1);
    assert!(
        out.stderr.contains(
            "PCC keeps refusing with HTTP 429 (too many requests): it asks to wait 500 s, \
             longer than the 60 s switchboard waits at once"
        ),
        "{out}"
    );
}

#[test]
fn duplicate_names_live_are_left_out_only_where_ignore_covers_them() {
    let pcc = Pcc::start();
    let mut ids = [pcc.group("hr-temp"), pcc.group("hr-temp")];
    let second = ids[1].clone();
    ids.sort();
    pcc.agent("alice", "Alice");
    let bob = pcc.agent("bob", "Bob");
    pcc.member(&second, &bob);
    let work = Workdir::new();

    // Not covered: the read fails, naming both groups, and nothing is planned.
    work.write(
        "spec.yaml",
        "agents:\n  alice: { name: Alice }\n  carol: { name: Carol }\n",
    );
    pcc.reset_stats();
    let out = work.switchboard(["plan", "spec.yaml"]).against(&pcc).run();
    out.assert_code(1);
    let line = out
        .stderr
        .lines()
        .find(|l| l.starts_with("  - group `hr-temp` ("))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.contains(&ids[0]) && line.contains(&ids[1]),
        "both ids are named: {line}"
    );
    assert!(
        line.ends_with(
            "2 objects share this name; switchboard needs it unique (rename or delete all but one)"
        ),
        "{line}"
    );
    assert!(
        out.stderr.contains("help: to plan around a duplicate name"),
        "{out}"
    );
    reads_only(&pcc);

    // Covered: the groups are left out and shown as ignored, with the problem; bob, whom one
    // of them still has, is kept; the plan proceeds.
    work.write(
        "spec.yaml",
        "agents:\n  alice: { name: Alice }\n  carol: { name: Carol }\nignore: [group.hr-temp]\n",
    );
    let out = work
        .switchboard(["plan", "spec.yaml", "--out", "plan.json"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("note: `ignore:` covers group `hr-temp` ("),
        "{out}"
    );
    assert!(out.stdout.contains("+ agent.carol"), "{out}");
    assert!(!out.stdout.contains("- agent.bob"), "{out}");
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("  group.hr-temp  "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.contains(
            "matches `group.hr-temp`, and cannot be read: 2 objects share this name; switchboard \
             needs it unique (rename or delete all but one); ids "
        ) && line.contains(&ids[0])
            && line.contains(&ids[1]),
        "{line}"
    );
    assert!(
        out.stdout.contains("ignored group.hr-temp still uses it"),
        "{out}"
    );

    // The saved plan applies: its stale check reads the duplicates again and sets them aside.
    let out = work.switchboard(["apply", "plan.json"]).against(&pcc).run();
    out.assert_code(0);
    assert!(out.stdout.contains("+ agent.carol created"), "{out}");
    assert_eq!(pcc.list("group", "groups").len(), 2);
    assert_eq!(pcc.list("agent", "agents").len(), 3);
}
