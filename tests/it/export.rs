//! `switchboard export`: a brownfield project as spec YAML, deterministic, planned back to no
//! changes; live states a spec cannot describe are ignored, not silently dropped.

use std::collections::BTreeMap;
use std::path::Path;

use e2e::{Pcc, Workdir};
use serde_json::json;

use crate::brownfield;

/// Every file of a directory, by name.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_brownfield_project_exports_to_a_spec_that_plans_to_no_changes() {
    let pcc = Pcc::start();
    brownfield::build(&pcc);
    pcc.reset_stats();
    let work = Workdir::new();

    let out = work
        .switchboard(["export", "--out", "cc"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    assert_eq!(pcc.stats().writes, 0);
    assert!(
        out.banner().starts_with("target: http://127.0.0.1:"),
        "{out}"
    );
    assert_eq!(
        out.stdout,
        "Exported the live project to cc: 7 spec files (2 numbers, 1 IVR tree (3 nodes), \
         2 queues, 4 groups, 330 agents, 2 audio files).\n"
    );
    assert!(!out.stderr.contains("warning:"), "{out}");
    let first = files(&work.join("cc"));
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        [
            "agents.yaml",
            "audio.yaml",
            "groups.yaml",
            "ivr.yaml",
            "numbers.yaml",
            "queues.yaml",
            "settings.yaml",
            "switchboard.schema.json"
        ]
    );
    let agents = work.read("cc/agents.yaml");
    assert_eq!(
        agents.lines().filter(|l| l.starts_with("  agent-")).count(),
        330
    );
    assert!(agents.contains(
        "  agent-050: { name: Field Agent 50, routing: phone, phone_number: \"84909990050\" }\n"
    ));
    let audio = work.read("cc/audio.yaml");
    assert!(audio.contains("  welcome: { sha256: "), "{audio}");
    assert!(audio.contains("{ server_file: "), "{audio}");
    let ivr = work.read("cc/ivr.yaml");
    assert!(ivr.contains("invalid: { goto: menu, back: true }"), "{ivr}");
    assert!(ivr.contains("\"9\": { goto: menu, back: true }"), "{ivr}");

    // The export validates, and planning it against the same project changes nothing.
    work.switchboard(["validate", "cc"]).run().assert_code(0);
    pcc.reset_stats();
    let out = work
        .switchboard(["plan", "cc", "--detailed-exitcode"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    assert_eq!(out.stdout, "No changes. Live project matches the spec.\n");
    // The fewest reads: settings 1, greeting files 1, agents 4 pages, groups 1 + members 5
    // (support's 150 take two pages, the empty group one), queues 1 + routings 2, trees 1 +
    // nodes 1 + keys 3, numbers 1. No write.
    let stats = pcc.stats();
    assert_eq!((stats.reads, stats.writes), (21, 0), "{:?}", stats.requests);
    assert_eq!(stats.requests["GET /v1/agent"], 4);
    assert!(out.stderr.contains("(21 requests)"), "{out}");

    // A spec without `settings:` does not manage them, and the plan does not read them.
    std::fs::remove_file(work.join("cc/settings.yaml")).unwrap();
    pcc.reset_stats();
    work.switchboard(["plan", "cc", "--detailed-exitcode"])
        .against(&pcc)
        .run()
        .assert_code(0);
    let stats = pcc.stats();
    assert_eq!(stats.reads, 20, "{:?}", stats.requests);
    assert!(!stats.requests.contains_key("GET /v1/callsettings"));

    // A second export is byte for byte the first.
    let out = work
        .switchboard(["export", "--out", "cc"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    assert_eq!(files(&work.join("cc")), first);
    let out = work
        .switchboard(["export", "--out", "again"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    assert_eq!(files(&work.join("again")), first);
    assert_eq!(pcc.stats().writes, 0);
}

#[test]
fn one_changed_prompt_plans_exactly_that_node_as_a_word_diff() {
    let pcc = Pcc::start();
    brownfield::build(&pcc);
    pcc.reset_stats();
    let work = Workdir::new();
    work.switchboard(["export", "--out", "cc"])
        .against(&pcc)
        .run()
        .assert_code(0);
    let ivr = work.read("cc/ivr.yaml");
    let edited = ivr.replace("For support, press 2.", "For technical support, press 2.");
    assert_ne!(ivr, edited);
    work.write("cc/ivr.yaml", &edited);

    let out = work
        .switchboard(["plan", "cc", "--detailed-exitcode"])
        .against(&pcc)
        .run();
    out.assert_code(2);
    insta::assert_snapshot!("one_prompt_changed", out.stdout);
    assert_eq!(pcc.stats().writes, 0);
}

#[test]
fn a_changed_key_shows_which_caller_paths_end_elsewhere() {
    let pcc = Pcc::start();
    brownfield::build(&pcc);
    let work = Workdir::new();
    work.switchboard(["export", "--out", "cc"])
        .against(&pcc)
        .run()
        .assert_code(0);
    let ivr = work.read("cc/ivr.yaml");
    let edited = ivr.replace("\"2\": { queue: support }", "\"2\": { queue: sales }");
    assert_ne!(ivr, edited);
    work.write("cc/ivr.yaml", &edited);

    let out = work
        .switchboard(["plan", "cc", "--detailed-exitcode"])
        .against(&pcc)
        .run();
    out.assert_code(2);
    assert!(
        out.stdout
            .contains("  ~ ivr_node.main/menu\n      ~ key 2: queue support -> queue sales\n"),
        "{out}"
    );
    let paths = &out.stdout[out.stdout.find("Plan: 0 to add, 1 to change").unwrap()..];
    assert!(
        paths.contains(
            "Caller paths that end elsewhere (every path of up to 3 keys, then silence; live -> spec):\n\n  \
             number.842473082686 (Hotline), ivr `main`: 4 paths\n    \
             ~ 2              queue `support` -> queue `sales`\n    \
             ~ other-2        queue `support` -> queue `sales`\n    \
             ~ 1-9-2          queue `support` -> queue `sales`\n"
        ),
        "{out}"
    );
    let out = work
        .switchboard(["plan", "cc", "--format", "markdown"])
        .against(&pcc)
        .run();
    assert!(out.stdout.contains("#### Caller paths"), "{out}");
}

#[test]
fn live_states_a_spec_cannot_describe_are_ignored_with_the_reason() {
    let pcc = Pcc::start();
    let sales = pcc.group("sales");
    let agent = pcc.agent("alice", "Alice");
    pcc.member(&sales, &agent);
    let routed = pcc.queue("sales", json!({}));
    pcc.routing(&routed, &sales, true);
    let limbo = pcc.queue("limbo", json!({}));
    pcc.tree("draft");
    let main = pcc.tree("main");
    let menu = pcc.say_node(&main, "menu", "Press 1 for sales.", json!({}));
    pcc.key_press(&menu, "1", 2, json!({ "queue_id": routed }));
    pcc.key_press(&menu, "2", 2, json!({ "queue_id": limbo }));
    pcc.number("84100", json!({ "nickname": "Nowhere" }));
    pcc.number("84200", json!({ "queue_id": limbo }));
    pcc.number("84300", json!({ "enable_ivr": true, "ivr_menu": main }));
    pcc.reset_stats();
    let work = Workdir::new();

    let out = work
        .switchboard(["export", "--out", "cc"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    for line in [
        "warning: ivr_key.main/menu/2 sends calls to queue `limbo`, which has no routing and no \
         get_list_agents_url, and a spec cannot send calls to a queue that reaches no agent; the \
         export leaves it out and ignores it (see ignore.yaml)",
        "warning: ivr_tree.draft has no nodes, and a spec tree needs at least its start node; \
         the export leaves it out and ignores it (see ignore.yaml)",
        "warning: number.84100 routes calls nowhere, and a spec number needs `ivr` or `queue`; \
         the export leaves it out and ignores it (see ignore.yaml)",
    ] {
        assert!(out.stderr.contains(line), "{line}\n{out}");
    }
    assert!(out.stdout.contains("; 4 live objects ignored)."), "{out}");
    insta::assert_snapshot!("ignore_yaml", work.read("cc/ignore.yaml"));

    let plan = plans_no_change(&work, &pcc);
    assert_eq!(plan["ignored"].as_array().unwrap().len(), 4, "{plan}");
    assert_eq!(pcc.stats().writes, 0);
}

/// Values a web console accepts and a spec refuses (a queue of size 0, a forward to a number
/// written with a dash) used to fail the whole export ("the export is not a valid spec"):
/// the objects are left out with the reason, with what sends calls to them, and the rest
/// exports and plans to no changes. Settings a spec refuses are left out whole (a spec
/// without `settings:` leaves them alone), never showing the credential in their URL.
#[test]
fn live_values_a_spec_refuses_are_ignored_with_what_refers_to_them() {
    let pcc = Pcc::start();
    let support = pcc.group("support");
    let alice = pcc.agent("alice", "Alice");
    pcc.member(&support, &alice);
    let tiny = pcc.queue("tiny", json!({ "maximum_queue_size": 0 }));
    pcc.routing(&tiny, &support, true);
    let help = pcc.queue("help", json!({}));
    pcc.routing(&help, &support, true);
    let main = pcc.tree("main");
    let menu = pcc.say_node(&main, "menu", "Press 1 for sales.", json!({}));
    pcc.key_press(&menu, "1", 2, json!({ "queue_id": tiny }));
    pcc.key_press(&menu, "2", 2, json!({ "queue_id": help }));
    pcc.key_press(&menu, "3", 3, json!({ "to_phone_number": "0912-345" }));
    pcc.number("84100", json!({ "queue_id": tiny }));
    pcc.number("84200", json!({ "enable_ivr": true, "ivr_menu": main }));
    // Not an http(s) URL, with a password in it that must never show.
    pcc.put(
        "/v1/callsettings",
        json!({ "event_url": "ftp://crm:hunter2@crm.example/events" }),
    );
    pcc.reset_stats();
    let work = Workdir::new();

    let out = work
        .switchboard(["export", "--out", "cc"])
        .against(&pcc)
        .forbid("hunter2")
        .run();
    out.assert_code(0);
    for line in [
        "warning: settings has `event_url` set to something other than an http(s) URL, which \
         a spec refuses; the export leaves them out, so the spec does not manage them",
        "warning: queue.tiny has `maximum_queue_size` 0, and a spec needs at least 1; the \
         export leaves it out and ignores it (see ignore.yaml)",
        "warning: ivr_key.main/menu/1 sends calls to queue \"tiny\", which the export leaves \
         out; the export leaves it out and ignores it (see ignore.yaml)",
        "warning: ivr_key.main/menu/3 forwards calls to \"0912-345\", which is not a phone \
         number a spec accepts (3 to 15 digits); the export leaves it out and ignores it",
        "warning: number.84100 sends calls to queue \"tiny\", which the export leaves out;",
    ] {
        assert!(out.stderr.contains(line), "{line}\n{out}");
    }
    assert!(out.stdout.contains("; 4 live objects ignored)."), "{out}");
    assert!(work.read("cc/queues.yaml").contains("help:"));
    let plan = plans_no_change(&work, &pcc);
    assert_eq!(plan["ignored"].as_array().unwrap().len(), 5, "{plan}");
    assert_eq!(pcc.stats().writes, 0);
}

/// A live name longer than YAML lets a key be (1,024 characters) cannot be written as a spec
/// name: the export leaves it out and ignores it, so what it writes loads back.
#[test]
fn a_live_name_too_long_for_a_spec_is_ignored_and_the_export_loads_back() {
    let pcc = Pcc::start();
    let long = "x".repeat(1100);
    let group = pcc.group(&long);
    let alice = pcc.agent("alice", "Alice");
    pcc.member(&group, &alice);
    pcc.group("support");
    pcc.reset_stats();
    let work = Workdir::new();
    let out = work
        .switchboard(["export", "--out", "cc"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    assert!(
        out.stderr.contains(&format!(
            "warning: group.{long} is named \"{}…\", which is longer than 1,024 characters, and \
             a spec refuses such a name (invalid-name)",
            "x".repeat(60)
        )),
        "{out}"
    );
    assert!(!work.read("cc/groups.yaml").contains("xxxx"));
    assert!(
        work.read("cc/ignore.yaml")
            .contains(&format!("  - \"group.{long}\"\n"))
    );
    work.switchboard(["validate", "cc"]).run().assert_code(0);
    let plan = plans_no_change(&work, &pcc);
    assert_eq!(plan["ignored"].as_array().unwrap().len(), 2, "{plan}");
    assert_eq!(pcc.stats().writes, 0);
}

#[test]
fn live_names_a_spec_refuses_are_ignored_with_what_hangs_on_them() {
    let pcc = Pcc::start();
    // Typed in a web console: a trailing space, and a tab.
    let odd = pcc.group("Sales ");
    let support = pcc.group("support");
    let alice = pcc.agent("alice", "Alice");
    let bob = pcc.agent("bob", "Bob");
    pcc.member(&odd, &alice);
    pcc.member(&odd, &bob);
    pcc.member(&support, &bob);
    // Reaches agents only through the odd group: left with no routing in the export.
    let sales = pcc.queue("sales", json!({}));
    pcc.routing(&sales, &odd, true);
    // Keeps its other routing.
    let help = pcc.queue("help", json!({}));
    pcc.routing(&help, &support, true);
    pcc.routing(&help, &odd, false);
    let billing = pcc.queue("billing\t", json!({}));
    pcc.routing(&billing, &support, true);
    let main = pcc.tree("main");
    let menu = pcc.say_node(&main, "menu", "Press 1 for sales, 2 for help.", json!({}));
    pcc.key_press(&menu, "1", 2, json!({ "queue_id": sales }));
    pcc.key_press(&menu, "2", 2, json!({ "queue_id": help }));
    pcc.key_press(&menu, "3", 2, json!({ "queue_id": billing }));
    pcc.number("84100", json!({ "queue_id": sales }));
    pcc.number("84200", json!({ "enable_ivr": true, "ivr_menu": main }));
    pcc.number("84300", json!({ "queue_id": billing }));
    pcc.reset_stats();
    let work = Workdir::new();

    let out = work
        .switchboard(["export", "--out", "cc"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    assert!(
        out.stderr.contains(
            "warning: group.Sales  is named \"Sales \", which starts or ends with a space, and \
             a spec refuses such a name (invalid-name): rename it in PCC, or declare it under a \
             clear name with a `moved:` entry from this address and take it out of ignore.yaml; \
             the export leaves it out and ignores it (see ignore.yaml)"
        ),
        "{out}"
    );
    assert!(out.stdout.contains("; 6 live objects ignored)."), "{out}");
    insta::assert_snapshot!("ignore_yaml_unclear_names", work.read("cc/ignore.yaml"));
    let groups = work.read("cc/groups.yaml");
    assert!(!groups.contains("Sales "), "{groups}");
    assert!(groups.contains("support:"), "{groups}");
    let queues = work.read("cc/queues.yaml");
    assert!(
        queues.contains("help:") && queues.contains("sales:"),
        "{queues}"
    );
    assert!(!queues.contains("billing"), "{queues}");

    work.switchboard(["validate", "cc"]).run().assert_code(0);
    let plan = plans_no_change(&work, &pcc);
    // The odd group's memberships and routings are ignored with it, never deleted.
    let ignored: Vec<&str> = plan["ignored"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["address"].as_str().unwrap())
        .collect();
    for address in [
        "group.Sales ",
        "membership.Sales /alice",
        "membership.Sales /bob",
        "routing.sales/Sales ",
        "routing.help/Sales ",
        "queue.billing%09",
        "routing.billing%09/support",
        "number.84100",
        "number.84300",
        "ivr_key.main/menu/1",
        "ivr_key.main/menu/3",
    ] {
        assert!(ignored.contains(&address), "{address}: {ignored:?}");
    }
    assert_eq!(pcc.stats().writes, 0);
}

#[test]
fn a_directory_that_is_not_an_export_is_not_written_without_force() {
    let pcc = Pcc::start();
    pcc.group("sales");
    pcc.reset_stats();
    let work = Workdir::new();
    work.write("cc/README.md", "my notes");
    let out = work
        .switchboard(["export", "--out", "cc"])
        .against(&pcc)
        .run();
    out.assert_code(1);
    assert!(
        out.stderr
            .contains("--out cc holds files an export did not write (`README.md`)"),
        "{out}"
    );
    assert_eq!(
        pcc.stats(),
        Default::default(),
        "refused before any request"
    );
    assert_eq!(files(&work.join("cc")).len(), 1);

    let out = work
        .switchboard(["export", "--out", "cc", "--force"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    assert_eq!(work.read("cc/README.md"), "my notes");
    assert!(work.read("cc/groups.yaml").contains("  sales: {}\n"));

    // A kind that is gone from the project loses its file at the next export.
    let id = pcc.id_of("group", "groups", "name", "sales");
    pcc.delete(&format!("/v1/group/{id}"));
    work.switchboard(["export", "--out", "cc", "--force"])
        .against(&pcc)
        .run()
        .assert_code(0);
    assert!(!work.join("cc/groups.yaml").exists());
}

#[test]
fn a_hand_written_file_named_like_an_export_is_not_overwritten_without_force() {
    let pcc = Pcc::start();
    pcc.group("sales");
    let work = Workdir::new();
    let mine = "# our groups, by hand\ngroups:\n  support: {}\n";
    work.write("cc/groups.yaml", mine);
    pcc.reset_stats();
    let out = work
        .switchboard(["export", "--out", "cc"])
        .against(&pcc)
        .run();
    out.assert_code(1);
    assert!(
        out.stderr
            .contains("--out cc holds files an export did not write (`groups.yaml`)"),
        "{out}"
    );
    assert_eq!(pcc.stats(), Default::default());
    assert_eq!(work.read("cc/groups.yaml"), mine);

    // Each exported file says so on its second line, which is what a later export trusts.
    work.switchboard(["export", "--out", "fresh"])
        .against(&pcc)
        .run()
        .assert_code(0);
    let groups = work.read("fresh/groups.yaml");
    assert_eq!(
        groups.lines().nth(1),
        Some(
            "# Exported by switchboard from the live PCC project; `switchboard export` \
             rewrites this file."
        ),
        "{groups}"
    );
    work.switchboard(["export", "--out", "fresh"])
        .against(&pcc)
        .run()
        .assert_code(0);
    assert_eq!(work.read("fresh/groups.yaml"), groups);

    work.switchboard(["export", "--out", "cc", "--force"])
        .against(&pcc)
        .run()
        .assert_code(0);
    assert_eq!(work.read("cc/groups.yaml"), groups);
}

/// `plan` of the export in `cc` against the project it came from: no changes, and (ignored
/// objects keep routing as they do) no caller path ending elsewhere. The JSON plan.
fn plans_no_change(work: &Workdir, pcc: &Pcc) -> serde_json::Value {
    let out = work
        .switchboard(["plan", "cc", "--detailed-exitcode"])
        .against(pcc)
        .run();
    out.assert_code(0);
    assert!(out.stdout.starts_with("No changes."), "{out}");
    let out = work
        .switchboard(["plan", "cc", "--format", "json"])
        .against(pcc)
        .run();
    let plan = out.json();
    assert_eq!(plan["flow_changes"], json!([]), "{out}");
    plan
}
