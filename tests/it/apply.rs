//! `switchboard apply`: the hotline applied to an empty project with one write per step, then
//! changed, extended and pruned across every kind until `plan` has nothing left; saved plans
//! checked for their target, their safety guards and staleness; progress as lines and JSON;
//! the local sandbox end to end.

use std::collections::BTreeMap;

use e2e::{Pcc, Workdir};
use serde_json::{Value, json};

/// A kind of `/_emulator/state` and the natural key of its items.
type NaturalKey<'a> = (&'a str, &'a dyn Fn(&Value) -> String);

/// Fails when two objects in `state` (`/_emulator/state`) share a natural key.
#[track_caller]
pub fn assert_no_duplicates(state: &Value) {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let keys: [NaturalKey<'_>; 10] = [
        ("agents", &|v| s(v, "stringee_user_id")),
        ("groups", &|v| s(v, "name")),
        ("groupAgents", &|v| {
            format!("{}/{}", s(v, "group_id"), s(v, "agent_id"))
        }),
        ("queues", &|v| s(v, "name")),
        ("groupRoutings", &|v| {
            format!("{}/{}", s(v, "queue_id"), s(v, "group_id"))
        }),
        ("ivrTrees", &|v| s(v, "tree_name")),
        ("ivrNodes", &|v| {
            format!("{}/{}", s(v, "tree"), s(v, "node_name"))
        }),
        ("ivrNodeKeys", &|v| {
            format!("{}/{}", s(v, "node"), s(v, "node_key"))
        }),
        ("numbers", &|v| s(v, "number")),
        ("greetingFiles", &|v| s(v, "desc")),
    ];
    let mut dups = Vec::new();
    for (kind, key) in keys {
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for item in state[kind].as_array().expect("a list per kind") {
            *seen.entry(key(item)).or_default() += 1;
        }
        dups.extend(
            seen.into_iter()
                .filter(|(_, n)| *n > 1)
                .map(|(k, n)| format!("{kind} `{k}` x{n}")),
        );
    }
    assert!(dups.is_empty(), "duplicates in PCC: {dups:?}");
}

/// `plan --out FILE` against `pcc`; answers the number of steps saved.
#[track_caller]
fn save_plan(work: &Workdir, pcc: &Pcc, file: &str) -> usize {
    let out = work
        .switchboard(["plan", "hotline", "--out", file])
        .against(pcc)
        .run();
    out.assert_code(0);
    let saved: Value = serde_json::from_str(&work.read(file)).unwrap();
    saved["plan"]["steps"].as_array().unwrap().len()
}

/// `plan --detailed-exitcode` exits 0: the live project is the spec.
#[track_caller]
fn assert_converged(work: &Workdir, pcc: &Pcc) {
    let out = work
        .switchboard(["plan", "hotline", "--detailed-exitcode"])
        .against(pcc)
        .run();
    out.assert_code(0);
    assert!(out.stdout.contains("No changes."), "{out}");
}

/// Applies the saved plan `file` and checks one write per step, a line per step, the
/// summary, and then that nothing is left to do.
#[track_caller]
fn apply_saved(work: &Workdir, pcc: &Pcc, file: &str, steps: usize, extra: &[&str]) -> String {
    pcc.reset_stats();
    let mut args = vec!["apply", file];
    args.extend_from_slice(extra);
    let out = work.switchboard(args).against(pcc).run();
    out.assert_code(0);
    assert_eq!(pcc.stats().writes, steps as u64, "{out}");
    let lines = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("+ ") || l.starts_with("~ ") || l.starts_with("- "))
        .count();
    assert_eq!(lines, steps, "one line per step: {out}");
    assert!(
        out.stdout.contains("\nApply complete! Resources: "),
        "{out}"
    );
    assert_no_duplicates(&pcc.state());
    assert_converged(work, pcc);
    out.stdout
}

#[test]
fn the_hotline_applies_to_an_empty_project_with_one_write_per_step() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.copy_example("hotline");
    let out = work
        .switchboard(["apply", "hotline", "--auto-approve"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    // The plan is shown first, then a line per step, then the summary.
    let plan_at = out
        .stdout
        .find("Plan: 45 to add, 1 to change, 0 to destroy.")
        .unwrap();
    let first_step = out.stdout.find("\n+ ").unwrap();
    assert!(plan_at < first_step, "{out}");
    assert!(
        out.stdout
            .ends_with("\nApply complete! Resources: 45 added, 1 changed, 0 destroyed.\n"),
        "{out}"
    );
    let alice = out
        .stdout
        .lines()
        .find(|l| l.starts_with("+ agent.alice created ("))
        .unwrap_or_else(|| panic!("{out}"));
    let id = alice
        .trim_start_matches("+ agent.alice created (")
        .trim_end_matches(')');
    assert_eq!(
        pcc.id_of("agent", "agents", "stringee_user_id", "alice"),
        id
    );
    assert!(out.stdout.contains("~ settings updated\n"), "{out}");
    assert!(
        out.stdout.contains("+ membership.support/carol created\n"),
        "{out}"
    );
    let stats = pcc.stats();
    assert_eq!(stats.writes, 46, "one write per step: {:?}", stats.requests);
    assert_no_duplicates(&pcc.state());
    assert_converged(&work, &pcc);
}

const PEOPLE_2: &str = r#"
agents:
  alice: { name: Alice Nguyen-Tran }
  bob: { name: Bob Tran }
  carol: { name: Carol Pham }
  dave: { name: Dave Le }
  frank: { name: Frank Do }
  lucia: { name: Lucía Gómez }
  dan:
    name: Dan Ruiz
    routing: phone
    phone_number: "84909992666"
groups:
  sales-en: { agents: [alice, bob, frank] }
  support: { agents: [carol, dave] }
  sales-es: { agents: [lucia, dan] }
  vip: { agents: [alice] }
"#;

const QUEUES_2: &str = r#"
audio:
  welcome-es: { file: audio/welcome-es.mp3 }
  hold: { file: audio/hold.mp3 }
queues:
  sales-en:
    routing:
      - { group: sales-en, primary: true }
  support:
    routing:
      - { group: support, primary: true }
      - { group: sales-es, primary: true }
    wait_agent_answer_timeout: 25
    hold_greeting: hold
    from_number_callout_to_agent: "842473082686"
  sales-es:
    routing:
      - { group: sales-es, primary: true }
    wait_greeting: welcome-es
    from_number_callout_to_agent: "842473082686"
  vip:
    routing:
      - { group: vip, primary: true }
"#;

const IVR_2: &str = r#"
ivr:
  main:
    start: language
    nodes:
      language:
        say: Thank you for calling. For English, press 1. Para español, oprima 2.
        loop_count: 2
        keys:
          "1": { goto: english }
          "2": { goto: spanish }
          timeout: { goto: english }
          invalid: { goto: language, back: true }
      english:
        say: For sales, press 1. For support, press 2. Gold members, press 8. To change language, press 0.
        keys:
          "1": { queue: sales-en }
          "2": { queue: support }
          "8": { goto: vip-menu }
          "0": { goto: language, back: true }
          timeout: { queue: support }
          invalid: { goto: english, back: true }
      vip-menu:
        play: hold
        keys:
          timeout: { queue: vip }
      spanish:
        play: welcome-es
        keys:
          "1": { queue: sales-es }
          "0": { goto: language, back: true }
          timeout: { hangup: true }
          invalid: { goto: spanish, back: true }
  after-hours:
    start: closed
    nodes:
      closed:
        say: We are closed. Please call again tomorrow.
        keys:
          timeout: { hangup: true }
"#;

const MAIN_2: &str = r#"
version: 1
settings:
  event_url: https://crm.example.com/stringee/v2/events
  get_customer_info_url: https://crm.example.com/stringee/customer
  get_customer_info_timeout_ms: 2500
numbers:
  "842473082686":
    nickname: Hotline
    ivr: main
    allow_outbound_calls: true
    record_outbound_calls: true
  "842473082888":
    nickname: Support
    queue: support
  "842473082999":
    nickname: Night line
    ivr: after-hours
ignore:
  - agent.hr-sync-*
"#;

/// Round 3: the VIP group, queue, menu, key and number, and the after-hours tree, are gone
/// again.
fn pruned(text: &str) -> String {
    let mut out = Vec::new();
    let mut skipping: Option<usize> = None;
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        if let Some(level) = skipping {
            if indent > level || line.trim().is_empty() {
                continue;
            }
            skipping = None;
        }
        let starts_block = ["vip:", "vip-menu:", "after-hours:", "\"842473082999\":"]
            .iter()
            .any(|b| line.trim_start().starts_with(b));
        if starts_block {
            skipping = Some(indent);
            continue;
        }
        if line.contains("goto: vip-menu") {
            continue;
        }
        out.push(line);
    }
    out.join("\n") + "\n"
}

#[test]
fn changes_additions_and_deletions_across_every_kind_converge() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.copy_example("hotline");
    let steps = save_plan(&work, &pcc, "create.json");
    apply_saved(&work, &pcc, "create.json", steps, &[]);

    // Round 2: every kind changes, is added to, or loses something.
    work.write("hotline/people.yaml", PEOPLE_2);
    work.write("hotline/queues.yaml", QUEUES_2);
    work.write("hotline/ivr.yaml", IVR_2);
    work.write("hotline/switchboard.yaml", MAIN_2);
    std::fs::write(work.join("hotline/audio/hold.mp3"), b"ID3 hold music, 30 s").unwrap();
    let steps = save_plan(&work, &pcc, "change.json");
    let saved: Value = serde_json::from_str(&work.read("change.json")).unwrap();
    let mut seen: Vec<String> = saved["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let address = s["address"].as_str().unwrap();
            let kind = address.split('.').next().unwrap();
            format!("{kind} {}", s["action"].as_str().unwrap())
        })
        .collect();
    seen.sort();
    seen.dedup();
    for expected in [
        "agent create",
        "agent update",
        "agent delete",
        "group create",
        "membership create",
        "membership delete",
        "audio create",
        "queue create",
        "queue update",
        "routing create",
        "routing delete",
        "ivr_tree create",
        "ivr_node create",
        "ivr_node update",
        "ivr_key create",
        "ivr_key update",
        "ivr_key delete",
        "number create",
        "number update",
        "settings update",
    ] {
        assert!(
            seen.iter().any(|s| s == expected),
            "no `{expected}` in {seen:?}"
        );
    }
    let out = apply_saved(&work, &pcc, "change.json", steps, &[]);
    assert!(out.contains("- agent.erin destroyed"), "{out}");
    assert!(out.contains("+ audio.hold created ("), "{out}");

    // Round 3: deletes of every kind that had none; deleting a number needs --force.
    for file in ["people.yaml", "queues.yaml", "ivr.yaml", "switchboard.yaml"] {
        let text = pruned(&work.read(format!("hotline/{file}")));
        assert!(
            !text.contains("vip") && !text.contains("after-hours"),
            "{text}"
        );
        work.write(format!("hotline/{file}"), &text);
    }
    let steps = save_plan(&work, &pcc, "prune.json");

    pcc.reset_stats();
    let out = work
        .switchboard(["apply", "prune.json"])
        .against(&pcc)
        .run();
    out.assert_code(3);
    assert!(
        out.stderr.contains("error: a safety guard refuses this plan (1 violation); nothing was written\n  - deletes number 842473082999 (Night line)"),
        "{out}"
    );
    assert!(out.stderr.contains("run again with --force"), "{out}");
    assert_eq!(pcc.stats().writes, 0);

    let out = apply_saved(&work, &pcc, "prune.json", steps, &["--force"]);
    for deleted in [
        "- group.vip destroyed",
        "- queue.vip destroyed",
        "- ivr_tree.after-hours destroyed",
        "- ivr_node.main/vip-menu destroyed",
        "- number.842473082999 destroyed",
        "- routing.vip/vip destroyed",
        "- membership.vip/alice destroyed",
    ] {
        assert!(out.contains(deleted), "no `{deleted}`: {out}");
    }
}

#[test]
fn a_saved_plan_is_stale_only_when_what_it_touches_changed() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.copy_example("hotline");
    let out = work
        .switchboard(["apply", "hotline", "--auto-approve"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    work.write(
        "hotline/queues.yaml",
        &work.read("hotline/queues.yaml").replace(
            "wait_agent_answer_timeout: 20",
            "wait_agent_answer_timeout: 30",
        ),
    );
    let steps = save_plan(&work, &pcc, "plan.json");
    assert_eq!(steps, 1);

    // Someone changes the queue the plan updates, and adds an agent the plan knows nothing of.
    let support = pcc.id_of("queue", "queues", "name", "support");
    pcc.put(
        &format!("/v1/queue/{support}"),
        json!({ "maximum_queue_size": 9 }),
    );
    pcc.agent("zoe", "Zoe Outsider");
    pcc.reset_stats();
    let out = work.switchboard(["apply", "plan.json"]).against(&pcc).run();
    out.assert_code(4);
    assert!(
        out.stderr.contains(
            "error: the saved plan is stale: 1 object it touches changed since it was made\n  \
             - queue.support changed since the plan was made\n"
        ),
        "{out}"
    );
    assert!(!out.stderr.contains("zoe"), "{out}");
    assert_eq!(pcc.stats().writes, 0);

    // A plan made now goes through, though an object it does not touch changes meanwhile.
    let steps = save_plan(&work, &pcc, "plan.json");
    let bob = pcc.id_of("agent", "agents", "stringee_user_id", "bob");
    pcc.put(
        &format!("/v1/agent/{bob}"),
        json!({ "name": "Robert Tran" }),
    );
    pcc.reset_stats();
    let out = work.switchboard(["apply", "plan.json"]).against(&pcc).run();
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("checked the live objects the plan touches: unchanged since planning"),
        "{out}"
    );
    assert_eq!(pcc.stats().writes, steps as u64);
}

#[test]
fn a_stale_plan_lists_twenty_objects_and_an_applied_one_says_so() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.copy_example("hotline");
    let steps = save_plan(&work, &pcc, "plan.json");
    assert!(steps > 40, "{steps}");

    // Another run applies a slightly different hotline first: every object the plan creates
    // now exists, one of them not as planned.
    let ivr = work.read("hotline/ivr.yaml");
    work.write(
        "hotline/ivr.yaml",
        &ivr.replace("Thank you for calling.", "Thanks for calling."),
    );
    work.switchboard(["apply", "hotline", "--auto-approve"])
        .against(&pcc)
        .run()
        .assert_code(0);
    pcc.reset_stats();
    let out = work.switchboard(["apply", "plan.json"]).against(&pcc).run();
    out.assert_code(4);
    assert!(
        out.stderr.contains(&format!(
            "error: the saved plan is stale: {steps} objects it touches changed since it was made\n"
        )),
        "{out}"
    );
    let listed = out.stderr.lines().filter(|l| l.starts_with("  - ")).count();
    assert_eq!(listed, 20, "{out}");
    assert!(
        out.stderr.contains(&format!(
            "  ... and {} more (`--json` lists them all)\n",
            steps - 20
        )),
        "{out}"
    );
    assert!(!out.stderr.contains("already been applied"), "{out}");
    let out = work
        .switchboard(["apply", "plan.json", "--json"])
        .against(&pcc)
        .run();
    out.assert_code(4);
    let diagnostic = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["type"] == "diagnostic")
        .unwrap_or_else(|| panic!("{out}"));
    let detail = diagnostic["diagnostic"]["detail"].as_str().unwrap();
    assert_eq!(
        detail.lines().filter(|l| l.starts_with("  - ")).count(),
        steps
    );
    assert_eq!(pcc.stats().writes, 0);

    // The plan applied as it is, then applied again: said plainly, not as 40-odd objects.
    work.write("hotline/ivr.yaml", &ivr);
    let fresh = Pcc::start();
    save_plan(&work, &fresh, "fresh.json");
    work.switchboard(["apply", "fresh.json"])
        .against(&fresh)
        .run()
        .assert_code(0);
    fresh.reset_stats();
    let out = work
        .switchboard(["apply", "fresh.json"])
        .against(&fresh)
        .run();
    out.assert_code(4);
    assert!(
        out.stderr.contains(
            "error: this plan has already been applied: every object it touches is now as it \
             leaves them; run `switchboard plan` again\nNothing was written.\n"
        ),
        "{out}"
    );
    assert!(!out.stderr.contains("  - "), "{out}");
    assert_eq!(fresh.stats().writes, 0);
}

#[test]
fn a_saved_plan_applies_only_to_the_pcc_it_was_made_against() {
    let pcc = Pcc::start();
    let other = Pcc::start();
    let work = Workdir::new();
    work.copy_example("hotline");
    save_plan(&work, &pcc, "plan.json");
    let out = work
        .switchboard(["apply", "plan.json", "--force"])
        .against(&other)
        .run();
    out.assert_code(1);
    assert!(
        out.stderr.contains(&format!(
            "this plan was made against {} (key SK…xyz), but this run targets {} (key SK…xyz)",
            pcc.url(),
            other.url()
        )),
        "{out}"
    );
    // Nor to the sandbox, which the refusal does not start: no `.switchboard/` is left in the
    // directory the plan was wrongly applied from.
    let out = work.switchboard(["apply", "plan.json"]).run();
    out.assert_code(1);
    assert!(out.banner().starts_with("target: local sandbox"), "{out}");
    assert!(
        out.stderr
            .contains("but this run targets the local sandbox"),
        "{out}"
    );
    assert!(
        !work.join(".switchboard").exists(),
        "{out}\nleft .switchboard/ behind"
    );
    assert_eq!(other.stats().writes + pcc.stats().writes, 0);
}

/// A plan made against one directory's sandbox is refused in another directory, before that
/// directory gets a sandbox of its own; in its own directory it applies.
#[test]
fn a_sandbox_plan_applies_only_in_its_own_directory() {
    let work = Workdir::new();
    work.copy_example("hotline");
    work.switchboard(["plan", "hotline", "--out", "plan.json"])
        .run()
        .assert_code(0);
    let elsewhere = Workdir::new();
    let plan = work.join("plan.json");
    let out = elsewhere
        .switchboard(["apply", plan.to_str().unwrap()])
        .run();
    out.assert_code(1);
    let state = std::fs::canonicalize(work.sandbox_state()).unwrap();
    assert!(
        out.stderr.contains(&format!(
            "this plan was made against the local sandbox ({}), but this run targets the local \
             sandbox (",
            state.display()
        )),
        "{out}"
    );
    assert!(
        !elsewhere.join(".switchboard").exists(),
        "{out}\nleft .switchboard/ behind"
    );
    work.switchboard(["apply", "plan.json"])
        .run()
        .assert_code(0);
}

/// A damaged plan file is refused as a plan (not read as a YAML spec), and a plan edited so
/// that its steps no longer hold together is refused whole: nothing is written.
#[test]
fn a_damaged_or_inconsistent_plan_file_is_refused_before_any_write() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.copy_example("hotline");
    save_plan(&work, &pcc, "plan.json");
    let text = work.read("plan.json");

    work.write("truncated.json", &text[..text.len() / 2]);
    let out = work
        .switchboard(["apply", "truncated.json"])
        .against(&pcc)
        .run();
    out.assert_code(1);
    assert!(
        out.stderr
            .contains("`truncated.json` is not a saved plan: saved plan is not readable at line"),
        "{out}"
    );
    assert!(!out.stderr.contains("yaml"), "read as a spec: {out}");

    let mut doc: Value = serde_json::from_str(&text).unwrap();
    let steps = doc["plan"]["steps"].as_array_mut().unwrap();
    let last = steps.len() - 1;
    steps[last]["depends_on"] = json!([last + 10]);
    // Signed with the key, so that the consistency checks behind the digest are what refuses.
    work.write("edited.json", &e2e::sign_plan(&doc, &e2e::plan_key()));
    let out = work
        .switchboard(["apply", "edited.json"])
        .against(&pcc)
        .run();
    out.assert_code(1);
    assert!(
        out.stderr
            .contains(&format!("saved plan is inconsistent: steps[{last}] (")),
        "{out}"
    );
    assert!(
        out.stderr.contains(&format!(
            "waits for steps[{}], which is not an earlier step",
            last + 10
        )),
        "{out}"
    );
    assert_eq!(pcc.stats().writes, 0);
}

/// The audio a saved plan uploads is checked before the first write: a file that changed
/// since planning, or that is not there (apply run from another directory), stops the apply
/// whole instead of half-way.
#[test]
fn audio_that_changed_or_is_missing_stops_a_saved_plan_before_any_write() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.copy_example("hotline");
    save_plan(&work, &pcc, "plan.json");
    let audio = "hotline/audio/welcome-es.mp3";

    let original = std::fs::read(work.join(audio)).unwrap();
    std::fs::write(work.join(audio), b"other bytes").unwrap();
    let out = work.switchboard(["apply", "plan.json"]).against(&pcc).run();
    out.assert_code(1);
    assert!(
        out.stderr.contains(&format!(
            "error: audio.welcome-es uploads `{audio}`, whose content changed since the plan \
             was made (planned sha256:"
        )),
        "{out}"
    );
    assert!(
        out.stderr.ends_with("plan again; nothing was written\n"),
        "{out}"
    );

    std::fs::remove_file(work.join(audio)).unwrap();
    let out = work.switchboard(["apply", "plan.json"]).against(&pcc).run();
    out.assert_code(1);
    assert!(
        out.stderr.contains(&format!(
            "error: audio.welcome-es uploads `{audio}`, which cannot be read here (no such \
             file): run `apply` from the directory `plan` ran in"
        )),
        "{out}"
    );
    assert_eq!(pcc.stats().writes, 0);

    // Put back, the same plan applies.
    std::fs::write(work.join(audio), original).unwrap();
    work.switchboard(["apply", "plan.json"])
        .against(&pcc)
        .run()
        .assert_code(0);
}

#[test]
fn without_a_terminal_or_auto_approve_apply_refuses_and_writes_nothing() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.copy_example("hotline");
    let out = work.switchboard(["apply", "hotline"]).against(&pcc).run();
    out.assert_code(1);
    assert!(
        out.stdout.contains("Plan: 45 to add"),
        "the plan is shown: {out}"
    );
    assert!(
        out.stderr
            .contains("refusing to apply without confirmation: standard input is not a terminal"),
        "{out}"
    );
    assert!(out.stderr.contains("--auto-approve"), "{out}");
    assert_eq!(pcc.stats().writes, 0);

    let out = work
        .switchboard(["apply", "hotline", "--json"])
        .against(&pcc)
        .run();
    out.assert_code(1);
    assert!(out.stderr.contains("--json needs --auto-approve"), "{out}");
    assert_eq!(pcc.stats().writes, 0);
}

#[test]
fn an_empty_plan_says_no_changes_and_writes_nothing() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.copy_example("hotline");
    work.switchboard(["apply", "hotline", "--auto-approve"])
        .against(&pcc)
        .run()
        .assert_code(0);
    save_plan(&work, &pcc, "plan.json");
    pcc.reset_stats();
    let out = work
        .switchboard(["apply", "hotline", "--auto-approve"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    assert_eq!(out.stdout, "No changes. Live project matches the spec.\n");
    let out = work.switchboard(["apply", "plan.json"]).against(&pcc).run();
    out.assert_code(0);
    assert_eq!(
        out.stdout,
        "No changes. The saved plan has nothing to do.\n"
    );
    assert_eq!(pcc.stats().writes, 0);
}

#[test]
fn a_spec_that_declares_nothing_empties_a_project_only_with_force() {
    let pcc = Pcc::start();
    for user in ["ann", "bob", "cat"] {
        pcc.agent(user, user);
    }
    let work = Workdir::new();
    work.write("spec.yaml", "# the contact center, to be written\n");

    // Three agents: no other guard would trip, but emptying a project is never an accident.
    pcc.reset_stats();
    let out = work.switchboard(["plan", "spec.yaml"]).against(&pcc).run();
    out.assert_code(0);
    assert!(
        out.stderr.contains(
            "this spec declares nothing; planning it deletes every object in the live project"
        ),
        "{out}"
    );
    assert!(
        out.stderr.contains(
            "warning: `apply` will refuse this plan without --force: 1 safety guard tripped\n  \
             - the spec declares nothing: this plan deletes every live object it manages (3); \
             use --force"
        ),
        "{out}"
    );
    let out = work
        .switchboard(["apply", "spec.yaml", "--auto-approve"])
        .against(&pcc)
        .run();
    out.assert_code(3);
    assert!(
        out.stderr.contains(
            "error: a safety guard refuses this plan (1 violation); nothing was written\n  - \
             the spec declares nothing"
        ),
        "{out}"
    );
    assert_eq!(pcc.stats().writes, 0);

    let out = work
        .switchboard(["apply", "spec.yaml", "--auto-approve", "--force"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    assert_eq!(pcc.stats().writes, 3);
    assert!(pcc.list("agent", "agents").is_empty());
}

#[test]
fn json_events_parse_and_follow_terraforms_machine_readable_ui() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.copy_example("hotline");
    let out = work
        .switchboard(["apply", "hotline", "--auto-approve", "--json"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    let events: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    for event in &events {
        for field in ["@level", "@message", "@module", "@timestamp", "type"] {
            assert!(event[field].is_string(), "no {field}: {event}");
        }
        assert_eq!(event["@module"], "switchboard.ui");
    }
    let of = |t: &str| events.iter().filter(|e| e["type"] == t).collect::<Vec<_>>();
    assert_eq!(events[0]["type"], "version");
    assert_eq!(of("planned_change").len(), 46);
    assert_eq!(of("apply_start").len(), 46);
    let complete = of("apply_complete");
    assert_eq!(complete.len(), 46);
    let alice = complete
        .iter()
        .find(|e| e["hook"]["resource"]["addr"] == "agent.alice")
        .unwrap();
    assert_eq!(alice["hook"]["action"], "create");
    assert_eq!(alice["hook"]["resource"]["resource_type"], "agent");
    assert_eq!(alice["hook"]["resource"]["resource_name"], "alice");
    assert_eq!(alice["hook"]["id_key"], "id");
    assert_eq!(
        alice["hook"]["id_value"],
        pcc.id_of("agent", "agents", "stringee_user_id", "alice")
    );
    assert!(
        alice["@message"]
            .as_str()
            .unwrap()
            .starts_with("agent.alice: Creation complete after ")
    );
    let summaries = of("change_summary");
    assert_eq!(summaries.len(), 2);
    assert_eq!(summaries[0]["changes"]["operation"], "plan");
    assert_eq!(
        summaries[1]["changes"],
        json!({
            "add": 45, "change": 1, "remove": 0, "failed": 0, "skipped": 0, "not_run": 0,
            "operation": "apply"
        })
    );
    assert_eq!(
        events.last().unwrap()["@message"],
        "Apply complete! Resources: 45 added, 1 changed, 0 destroyed."
    );
    // Banner and notices stay on stderr.
    assert!(
        out.banner().starts_with("target: http://127.0.0.1:"),
        "{out}"
    );
}

#[test]
fn a_failed_step_is_named_with_what_it_stopped_and_the_rest_is_applied() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.copy_example("hotline");
    let steps = save_plan(&work, &pcc, "plan.json");
    // A value PCC refuses (an agent reached by phone, with no phone number), as a plan edited
    // after review would carry: PCC's refusal fails that step alone.
    let mut doc: Value = serde_json::from_str(&work.read("plan.json")).unwrap();
    let dan = doc["plan"]["steps"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|s| s["address"] == "agent.dan")
        .unwrap();
    dan["after"]["agent"]["phone_number"] = Value::Null;
    work.write("plan.json", &e2e::sign_plan(&doc, &e2e::plan_key()));
    pcc.reset_stats();
    let out = work.switchboard(["apply", "plan.json"]).against(&pcc).run();
    out.assert_code(1);
    assert!(
        out.stdout.contains(
            "! agent.dan failed to create: POST /v1/agent: PCC refused the request (r=1)"
        ),
        "{out}"
    );
    // What needs dan waits for him, and what needs those: his membership, then the routings
    // of his group (no queue rings a group whose members are missing), then what sends calls
    // to those queues.
    for skipped in [
        "membership.sales-es/dan",
        "routing.sales-es/sales-es",
        "ivr_key.main/spanish/1",
        "number.842473082686",
    ] {
        assert!(
            out.stdout.contains(&format!(
                "· {skipped} skipped: it waits for agent.dan, which failed"
            )),
            "{skipped}: {out}"
        );
    }
    assert!(out.stdout.contains("\nApply failed. Resources: "), "{out}");
    assert!(out.stderr.contains("error: 1 step failed; "), "{out}");
    assert!(
        out.stderr
            .contains("  · membership.sales-es/dan (create) skipped: waits for agent.dan"),
        "{out}"
    );
    let failed_and_skipped = out.stdout.lines().filter(|l| l.starts_with("· ")).count() + 1;
    assert_eq!(pcc.stats().writes as usize, steps - failed_and_skipped + 1);
    assert_no_duplicates(&pcc.state());

    // Planned again from the spec, the rest goes through.
    let out = work
        .switchboard(["apply", "hotline", "--auto-approve"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    assert!(
        out.stdout
            .contains(&format!("Resources: {} added", failed_and_skipped)),
        "{out}"
    );
    assert_converged(&work, &pcc);
}

#[test]
fn the_sandbox_applies_the_readme_command_and_then_has_no_changes() {
    let work = Workdir::new();
    work.copy_example("hotline");
    let out = work
        .switchboard(["apply", "hotline", "--auto-approve"])
        .run();
    out.assert_code(0);
    assert!(
        out.banner()
            .starts_with("target: local sandbox (.switchboard/sandbox.db)"),
        "{out}"
    );
    assert!(
        out.stdout
            .ends_with("Apply complete! Resources: 45 added, 1 changed, 0 destroyed.\n"),
        "{out}"
    );
    let out = work
        .switchboard(["apply", "hotline", "--auto-approve"])
        .run();
    out.assert_code(0);
    assert_eq!(out.stdout, "No changes. Live project matches the spec.\n");

    let sandbox = Pcc::open(&work.sandbox_state());
    let state = sandbox.state();
    assert_no_duplicates(&state);
    assert_eq!(state["agents"].as_array().unwrap().len(), 7);
    assert_eq!(state["ivrNodeKeys"].as_array().unwrap().len(), 14);
}

/// `--max-rps` out of range is refused by name, with the range, before anything is read or
/// written: a ceiling of 1e-19 requests a second once got past the check and panicked.
#[test]
fn a_max_rps_out_of_range_is_refused_before_any_request() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.copy_example("hotline");
    for rps in ["1e-19", "0", "-1", "NaN", "inf", "1e300"] {
        pcc.reset_stats();
        let flag = format!("--max-rps={rps}");
        let out = work
            .switchboard(["apply", "hotline", "--auto-approve", &flag])
            .against(&pcc)
            .run();
        out.assert_code(1);
        assert!(
            out.stderr
                .contains("--max-rps must be between 0.01 and 1000000 requests per second"),
            "{rps}: {out}"
        );
        let stats = pcc.stats();
        assert_eq!((stats.reads, stats.writes), (0, 0), "{rps}: {out}");
    }
    let out = work
        .switchboard(["apply", "hotline", "--auto-approve", "--max-rps", "1000"])
        .against(&pcc)
        .run();
    out.assert_code(0);
}
