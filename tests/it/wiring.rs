//! The PCC wiring (the project's and each number's answer and event URLs, which must be PCC's
//! own for calls to reach it): read, planned, applied and drift-checked through the account
//! API with the account key; one line saying it was not checked without one.

use e2e::{ACCOUNT_SECRET, Pcc, Workdir};
use emulator::{NumberWiring, ProjectWiring, WiringChange};
use serde_json::{Value, json};

const NUMBERS: [&str; 2] = ["842473082686", "842473082888"];

/// The URLs the emulator's account holds: the project's, then each number's by digits.
fn urls(pcc: &Pcc) -> Value {
    let wiring = pcc.wiring();
    let mut numbers = serde_json::Map::new();
    for n in wiring["numbers"].as_array().unwrap() {
        numbers.insert(
            n["phone_number"].as_str().unwrap().to_owned(),
            json!([n["answer_url"], n["event_url"]]),
        );
    }
    json!({
        "project": [wiring["project"]["answer_url"], wiring["project"]["callback_url"]],
        "numbers": numbers,
    })
}

fn pcc_wired(digits: &[&str]) -> Value {
    let mut numbers = serde_json::Map::new();
    for d in digits {
        numbers.insert(
            (*d).to_owned(),
            json!([
                emulator::PCC_NUMBER_ANSWER_URL,
                emulator::PCC_NUMBER_EVENT_URL
            ]),
        );
    }
    json!({
        "project": [emulator::PCC_PROJECT_ANSWER_URL, emulator::PCC_PROJECT_EVENT_URL],
        "numbers": numbers,
    })
}

/// The hotline example in a fresh directory, and an emulator whose account holds `wiring`.
fn hotline(wiring: emulator::Wiring) -> (Pcc, Workdir) {
    let work = Workdir::new();
    work.copy_example("hotline");
    (Pcc::with_account(wiring), work)
}

/// `switchboard ARGS` in `work` against `pcc`, with the API key and the account key: the
/// wiring is checked.
fn run<'a>(work: &Workdir, pcc: &Pcc, args: impl IntoIterator<Item = &'a str>) -> e2e::Output {
    work.switchboard(args).against(pcc).with_account(pcc).run()
}

/// [`run`] through `hostile`, a stub in front of `pcc`'s PCC side; the account is `pcc`'s.
fn through<'a>(
    work: &Workdir,
    hostile: &e2e::hostile_pcc::HostilePcc,
    pcc: &Pcc,
    args: impl IntoIterator<Item = &'a str>,
) -> e2e::Output {
    work.switchboard(args)
        .against_endpoint(&hostile.url())
        .with_account(pcc)
        .run()
}

/// Requests the account API received (its routes are counted with a `(Call API)` mark).
fn account_requests(pcc: &Pcc) -> u64 {
    pcc.stats()
        .requests
        .iter()
        .filter(|(route, _)| route.ends_with("(Call API)"))
        .map(|(_, n)| n)
        .sum()
}

#[test]
fn without_an_account_key_plan_says_in_one_line_that_the_wiring_was_not_checked() {
    let (pcc, work) = hotline(emulator::Wiring::Unset);
    for command in ["plan", "drift"] {
        let out = work.switchboard([command, "hotline"]).against(&pcc).run();
        let lines: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| l.contains("wiring"))
            .collect();
        assert_eq!(
            lines,
            vec![
                "note: wiring not checked: set STRINGEE_ACCOUNT_SID and \
                 STRINGEE_ACCOUNT_KEY_SECRET (the account key) to check that the project and \
                 its numbers send their calls to PCC"
            ],
            "{out}"
        );
        assert!(!out.stdout.contains("wiring"), "{out}");
    }
    assert_eq!(account_requests(&pcc), 0);
}

#[test]
fn wiring_is_planned_applied_and_drift_checked_against_the_emulator() {
    // Numbers PCC adds get no URLs in the account: as a number bought and never wired.
    let (pcc, work) = hotline(emulator::Wiring::Unset);

    // From empty: the project is corrected; the numbers are not the account's yet (PCC adds
    // them during this apply), so their wiring is not checked, and the plan says so.
    let out = run(&work, &pcc, ["apply", "hotline", "--auto-approve"]);
    out.assert_code(0);
    assert!(
        out.stdout.contains(
            "  ! number 842473082686: not one of project 1's numbers in the account, so its \
             wiring was not checked (buy it and assign it to the project, then plan again)"
        ),
        "{out}"
    );
    assert!(
        out.stderr
            .contains("~ wiring of the project set to PCC's (answer_url, callback_url)"),
        "{out}"
    );
    assert!(
        out.stderr
            .contains("Wiring: 1 corrected, 0 failed (account API, project 1)."),
        "{out}"
    );
    let now = urls(&pcc);
    assert_eq!(now["project"], pcc_wired(&[])["project"]);
    assert_eq!(now["numbers"][NUMBERS[0]], json!([null, null]));

    // Now the numbers are the account's, unwired: plan and drift show it, write nothing.
    pcc.reset_stats();
    let out = run(&work, &pcc, ["plan", "hotline", "--detailed-exitcode"]);
    out.assert_code(2);
    assert_eq!(pcc.stats().writes, 0);
    let wiring_section: Vec<&str> = out
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("PCC wiring"))
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(
        wiring_section,
        vec![
            "PCC wiring (account API, project 1):",
            "  ~ number 842473082686: answer_url is unset, should be http://v2.stringee.com:8282/answer_url",
            "  ~ number 842473082686: event_url is unset, should be http://v2.stringee.com:8282/event_url",
            "  ~ number 842473082888: answer_url is unset, should be http://v2.stringee.com:8282/answer_url",
            "  ~ number 842473082888: event_url is unset, should be http://v2.stringee.com:8282/event_url",
        ],
        "{out}"
    );
    assert!(
        out.stdout
            .contains("Plan: 0 to add, 0 to change, 0 to destroy; 2 wiring corrections."),
        "{out}"
    );
    assert!(!out.stderr.contains("wiring not checked"), "{out}");

    let out = run(&work, &pcc, ["drift", "hotline"]);
    out.assert_code(2);
    assert!(
        out.stdout
            .starts_with("Drift: 2 objects in the live project differ from the spec:\n"),
        "{out}"
    );
    assert!(
        out.stdout.contains(
            "  ~ wiring of number 842473082888: event_url is unset, should be \
             http://v2.stringee.com:8282/event_url"
        ),
        "{out}"
    );

    let out = run(&work, &pcc, ["plan", "hotline", "--format", "json"]);
    out.assert_code(0);
    let plan = out.json();
    assert_eq!(plan["changes"], true);
    assert_eq!(plan["wiring"]["project_id"], "1");
    assert_eq!(
        plan["wiring"]["corrections"][0],
        json!({
            "wired": "number",
            "number": NUMBERS[0],
            "id": plan["wiring"]["corrections"][0]["id"],
            "fields": [
                { "field": "answer_url", "live": null, "pcc": emulator::PCC_NUMBER_ANSWER_URL },
                { "field": "event_url", "live": null, "pcc": emulator::PCC_NUMBER_EVENT_URL },
            ],
        })
    );
    assert_eq!(pcc.stats().writes, 0);

    // Apply corrects both numbers through the account API, and nothing else.
    pcc.reset_stats();
    let out = run(
        &work,
        &pcc,
        ["apply", "hotline", "--auto-approve", "--json"],
    );
    out.assert_code(0);
    let events: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|e: &Value| e["type"] == "wiring_complete")
        .map(|e| e["wiring"].clone())
        .collect();
    assert_eq!(
        events
            .iter()
            .map(|w| json!([w["wired"], w["number"], w["fields"]]))
            .collect::<Vec<_>>(),
        NUMBERS
            .iter()
            .map(|n| json!(["number", n, ["answer_url", "event_url"]]))
            .collect::<Vec<_>>(),
        "{out}"
    );
    assert!(
        out.stderr
            .contains("Wiring: 2 corrected, 0 failed (account API, project 1)."),
        "{out}"
    );
    let writes: Vec<(String, u64)> = pcc
        .stats()
        .requests
        .into_iter()
        .filter(|(route, _)| !route.starts_with("GET "))
        .collect();
    assert_eq!(
        writes,
        vec![("PUT /v1/number/{id} (Call API)".to_owned(), 2)],
        "{out}"
    );
    assert_eq!(urls(&pcc), pcc_wired(&NUMBERS));

    let out = run(&work, &pcc, ["drift", "hotline"]);
    out.assert_code(0);
    assert_eq!(out.stdout, "No drift. The live project matches the spec.\n");

    // Someone points a number elsewhere in the dashboard: drift names it, apply puts it back.
    pcc.set_wiring(&WiringChange {
        project: None,
        numbers: [(
            NUMBERS[1].to_owned(),
            NumberWiring {
                answer_url: Some("https://ivr.example.com/answer".into()),
                event_url: Some(emulator::PCC_NUMBER_EVENT_URL.into()),
            },
        )]
        .into(),
    });
    let out = run(&work, &pcc, ["drift", "hotline"]);
    out.assert_code(2);
    assert_eq!(
        out.stdout
            .lines()
            .filter(|l| l.starts_with("  ~"))
            .collect::<Vec<_>>(),
        vec![
            "  ~ wiring of number 842473082888: answer_url is https://ivr.example.com/answer, \
             should be http://v2.stringee.com:8282/answer_url"
        ],
        "{out}"
    );
    run(&work, &pcc, ["apply", "hotline", "--auto-approve"]).assert_code(0);
    assert_eq!(urls(&pcc), pcc_wired(&NUMBERS));
}

#[test]
fn a_saved_plan_applies_its_wiring_once_and_is_stale_after() {
    let (pcc, work) = hotline(emulator::Wiring::Pcc);
    run(&work, &pcc, ["apply", "hotline", "--auto-approve"]).assert_code(0);
    pcc.set_wiring(&WiringChange {
        project: Some(ProjectWiring {
            answer_url: Some(emulator::PCC_PROJECT_ANSWER_URL.into()),
            callback_url: None,
        }),
        numbers: Default::default(),
    });
    let out = run(&work, &pcc, ["plan", "hotline", "--out", "plan.json"]);
    out.assert_code(0);
    let saved: Value = serde_json::from_str(&work.read("plan.json")).unwrap();
    assert_eq!(saved["format_version"], "2.3");
    assert_eq!(
        saved["plan"]["wiring"]["rewires"],
        json!([{
            "wired": "project",
            "id": "1",
            "changes": [{
                "field": "callback_url",
                "from": null,
                "to": emulator::PCC_PROJECT_EVENT_URL,
            }],
        }])
    );

    // Without the account key, the plan cannot be applied whole: refused, nothing written.
    pcc.reset_stats();
    let out = work.switchboard(["apply", "plan.json"]).against(&pcc).run();
    out.assert_code(1);
    assert!(
        out.stderr.contains(
            "this plan corrects the PCC wiring, which needs the account key it was planned \
             with: set STRINGEE_ACCOUNT_SID and STRINGEE_ACCOUNT_KEY_SECRET; nothing was written"
        ),
        "{out}"
    );
    assert_eq!(pcc.stats().writes, 0);

    let out = run(&work, &pcc, ["apply", "plan.json"]);
    out.assert_code(0);
    assert_eq!(urls(&pcc)["project"], pcc_wired(&[])["project"]);

    // Applied once: the account no longer holds what the plan was made from.
    pcc.reset_stats();
    let out = run(&work, &pcc, ["apply", "plan.json"]);
    out.assert_code(4);
    assert!(
        out.stderr.contains(
            "  - wiring of the project: callback_url is now \
             http://v2.stringee.com:8282/project_event_url, planned from unset"
        ),
        "{out}"
    );
    assert_eq!(pcc.stats().writes, 0);
}

#[test]
fn an_account_that_echoes_the_account_secret_never_gets_it_printed_or_saved() {
    let (pcc, work) = hotline(emulator::Wiring::Pcc);
    run(&work, &pcc, ["apply", "hotline", "--auto-approve"]).assert_code(0);
    // URLs that carry the account key's secret where no URL rule would find it (a path
    // segment, a parameter with an innocent name), as a hostile or careless account might.
    pcc.set_wiring(&WiringChange {
        project: Some(ProjectWiring {
            answer_url: Some(format!("https://hooks.example.com/{ACCOUNT_SECRET}/answer")),
            callback_url: Some(format!(
                "https://hooks.example.com/events?ref={ACCOUNT_SECRET}"
            )),
        }),
        numbers: [(
            NUMBERS[0].to_owned(),
            NumberWiring {
                answer_url: Some(format!("https://{ACCOUNT_SECRET}.example.com/a")),
                event_url: None,
            },
        )]
        .into(),
    });
    // `run` fails the test if the output or any file written (plan.json) holds the secret.
    for args in [
        vec!["plan", "hotline", "--out", "plan.json"],
        vec!["plan", "hotline", "--format", "json"],
        vec!["plan", "hotline", "--format", "markdown"],
        vec!["drift", "hotline", "--format", "json"],
        vec!["drift", "hotline", "--format", "markdown"],
        vec!["drift", "hotline"],
    ] {
        let out = run(&work, &pcc, args.clone());
        assert!(out.code == 0 || out.code == 2, "{out}");
        // The URL still shows, its secret hidden: the reviewer sees which URL it is.
        if args[0] == "drift" && args.len() == 2 {
            assert!(
                out.stdout.contains(
                    "  ~ wiring of the project: answer_url is \
                     https://hooks.example.com/(sensitive)/answer, should be \
                     http://v2.stringee.com:8282/project_answer_url"
                ),
                "{out}"
            );
        }
    }
    let saved = work.read("plan.json");
    assert!(saved.contains("\"sha256\""), "{saved}");
}

#[test]
fn an_exported_spec_carries_no_wiring_and_wires_the_project_it_is_applied_to() {
    let from = Pcc::with_account(emulator::Wiring::Pcc);
    let work = Workdir::new();
    work.copy_example("hotline");
    work.switchboard(["apply", "hotline", "--auto-approve"])
        .against(&from)
        .with_account(&from)
        .run()
        .assert_code(0);
    let out = work
        .switchboard(["export", "--out", "cc"])
        .against(&from)
        .with_account(&from)
        .run();
    out.assert_code(0);
    // The wiring is not part of the spec: there is nothing to choose.
    for (path, bytes) in e2e::files_in(&work.join("cc")) {
        if path.extension().is_none_or(|ext| ext != "yaml") {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("v2.stringee.com") && !text.contains("answer_url"),
            "{}: {text}",
            path.display()
        );
    }

    // Someone unwires the project and its numbers: the exported spec, applied, wires them
    // again (an exported spec applied to an empty project needs its audio there first, which
    // `plan` checks: docs/spec.md, "Exported specs").
    from.set_wiring(&WiringChange {
        project: Some(ProjectWiring::default()),
        numbers: NUMBERS
            .iter()
            .map(|n| ((*n).to_owned(), NumberWiring::default()))
            .collect(),
    });
    let out = work
        .switchboard(["apply", "cc", "--auto-approve"])
        .against(&from)
        .with_account(&from)
        .run();
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("Wiring: 3 corrected, 0 failed (account API, project 1)."),
        "{out}"
    );
    assert_eq!(urls(&from), pcc_wired(&NUMBERS));
    work.switchboard(["drift", "cc"])
        .against(&from)
        .with_account(&from)
        .run()
        .assert_code(0);
}

#[test]
fn a_partial_plan_leaves_the_wiring_out_and_says_so() {
    let (pcc, work) = hotline(emulator::Wiring::Unset);
    let out = run(&work, &pcc, ["plan", "hotline", "--target", "queue.*"]);
    out.assert_code(0);
    assert!(
        out.stderr.contains(
            "note: wiring not checked: a partial plan (--target, --exclude) leaves the PCC \
             wiring out; plan the whole project to check it"
        ),
        "{out}"
    );
    assert!(!out.stdout.contains("PCC wiring"), "{out}");
    assert_eq!(account_requests(&pcc), 0);
}

/// Call settings that say nothing of the project (a project never configured).
fn settings_without_project(_: &e2e::hostile_pcc::Asked<'_>, answer: &mut Value) {
    answer["callSetting"] = Value::Null;
}

#[test]
fn without_a_project_in_the_call_settings_it_comes_from_the_numbers_or_is_not_guessed() {
    use e2e::hostile_pcc::{Asked, HostilePcc, Reply};

    let (pcc, work) = hotline(emulator::Wiring::Unset);
    let hostile = HostilePcc::start(&pcc, |asked: &Asked<'_>| match asked.path {
        "/v1/callsettings" => Reply::Reshape(settings_without_project),
        _ => Reply::Forward,
    });

    // An empty project: nothing says which project the key is for.
    let out = through(&work, &hostile, &pcc, ["plan", "hotline"]);
    out.assert_code(0);
    assert!(
        out.stderr.contains(
            "note: wiring not checked: PCC does not say which project the API key is for"
        ),
        "{out}"
    );
    assert_eq!(account_requests(&pcc), 0);

    // Once it holds numbers, their `project` says it.
    work.switchboard(["apply", "hotline", "--auto-approve"])
        .against(&pcc)
        .run()
        .assert_code(0);
    let out = through(
        &work,
        &hostile,
        &pcc,
        ["plan", "hotline", "--detailed-exitcode"],
    );
    out.assert_code(2);
    assert!(
        out.stdout.contains("PCC wiring (account API, project 1):"),
        "{out}"
    );
    assert!(!out.stderr.contains("wiring not checked"), "{out}");
}

/// Drops every `project` and `project_id` of an answer: numbers that do not say their project.
fn without_projects(_: &e2e::hostile_pcc::Asked<'_>, answer: &mut Value) {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.remove("project");
                map.remove("project_id");
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(answer);
}

#[test]
fn a_saved_plan_whose_project_pcc_no_longer_names_is_refused_for_that_reason() {
    use e2e::hostile_pcc::{Asked, HostilePcc, Reply};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let (pcc, work) = hotline(emulator::Wiring::Unset);
    let hiding = Arc::new(AtomicBool::new(false));
    let hides = Arc::clone(&hiding);
    let hostile = HostilePcc::start(&pcc, move |asked: &Asked<'_>| {
        match (asked.path, hides.load(Ordering::SeqCst)) {
            ("/v1/callsettings", true) => Reply::Reshape(settings_without_project),
            ("/v1/number", true) => Reply::Reshape(without_projects),
            _ => Reply::Forward,
        }
    });
    let apply = ["apply", "hotline", "--auto-approve"];
    through(&work, &hostile, &pcc, apply).assert_code(0);
    pcc.set_wiring(&WiringChange {
        project: Some(ProjectWiring {
            answer_url: Some("https://old.example.com/answer".into()),
            callback_url: None,
        }),
        numbers: Default::default(),
    });
    let plan = ["plan", "hotline", "--out", "plan.json"];
    through(&work, &hostile, &pcc, plan).assert_code(0);
    hiding.store(true, Ordering::SeqCst);

    // The account key is set: the refusal must not ask for it, but say what stops the check.
    pcc.reset_stats();
    let out = through(&work, &hostile, &pcc, ["apply", "plan.json"]);
    out.assert_code(1);
    assert!(
        out.stderr.contains(
            "note: wiring not checked: PCC does not say which project the API key is for"
        ),
        "{out}"
    );
    assert!(
        out.stderr.contains(
            "this plan corrects the PCC wiring, which cannot be checked now (the note above \
             says why), so the plan cannot be checked as still true; nothing was written"
        ),
        "{out}"
    );
    assert!(!out.stderr.contains("needs the account key"), "{out}");
    assert_eq!(pcc.stats().writes, 0);
    assert_eq!(account_requests(&pcc), 0);
}

/// Call settings that name project 2 for the API key: a PCC (or whatever answers at
/// `--endpoint`) that lies about which project of the account the key is for.
fn settings_of_project_2(_: &e2e::hostile_pcc::Asked<'_>, answer: &mut Value) {
    answer["callSetting"]["project"] = json!(2);
}

#[test]
fn a_pinned_project_refuses_a_pcc_that_reports_another_with_zero_writes() {
    use e2e::hostile_pcc::{Asked, HostilePcc, Reply};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let (pcc, work) = hotline(emulator::Wiring::Unset);
    let lying = Arc::new(AtomicBool::new(true));
    let lies = Arc::clone(&lying);
    let hostile = HostilePcc::start(&pcc, move |asked: &Asked<'_>| match asked.path {
        "/v1/callsettings" if lies.load(Ordering::SeqCst) => Reply::Reshape(settings_of_project_2),
        _ => Reply::Forward,
    });
    work.write("hotline/project.yaml", "project_id: 1\n");
    let before = urls(&pcc);

    for args in [
        vec!["plan", "hotline"],
        vec!["apply", "hotline", "--auto-approve"],
        vec!["drift", "hotline"],
    ] {
        let out = through(&work, &hostile, &pcc, args.clone());
        out.assert_code(1);
        assert!(
            out.stderr.contains(
                "PCC reports project 2 for the API key, but the spec pins project 1 \
                 (`project_id` at hotline/project.yaml:1:13): the PCC wiring is not read or \
                 corrected, and nothing was written."
            ),
            "{args:?}: {out}"
        );
    }
    assert_eq!(pcc.stats().writes, 0);
    assert_eq!(account_requests(&pcc), 0, "the account is not even read");
    assert_eq!(urls(&pcc), before);

    // PCC telling the truth: the pinned project is corrected, and only it.
    lying.store(false, Ordering::SeqCst);
    let out = through(
        &work,
        &hostile,
        &pcc,
        ["plan", "hotline", "--out", "plan.json"],
    );
    out.assert_code(0);
    assert!(!out.stderr.contains("pin it with"), "{out}");
    // The saved plan applied while PCC lies again: stale, nothing written.
    lying.store(true, Ordering::SeqCst);
    let out = through(
        &work,
        &hostile,
        &pcc,
        ["apply", "plan.json", "--auto-approve"],
    );
    out.assert_code(4);
    assert!(
        out.stderr
            .contains("the API key is now for project 2, the plan was made for project 1"),
        "{out}"
    );
    assert_eq!(pcc.stats().writes, 0);
    assert_eq!(urls(&pcc), before);
    lying.store(false, Ordering::SeqCst);
    let out = through(
        &work,
        &hostile,
        &pcc,
        ["apply", "plan.json", "--auto-approve"],
    );
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("Wiring: 1 corrected, 0 failed (account API, project 1)."),
        "{out}"
    );

    // An environment pins its own project: PCC's project 1 is not environment `live`'s 3.
    std::fs::remove_file(work.path().join("hotline/project.yaml")).unwrap();
    work.write(
        "hotline/environments.yaml",
        "environments:\n  live: { project_id: 3 }\n",
    );
    let out = run(&work, &pcc, ["plan", "hotline", "--env", "live"]);
    out.assert_code(1);
    assert!(
        out.stderr.contains(
            "PCC reports project 1 for the API key, but the spec pins project 3 (`project_id` \
             at hotline/environments.yaml:2:23)"
        ),
        "{out}"
    );
}

#[test]
fn without_a_pin_plan_says_in_one_line_which_project_it_checked_and_how_to_pin_it() {
    let (pcc, work) = hotline(emulator::Wiring::Pcc);
    let out = run(&work, &pcc, ["plan", "hotline"]);
    out.assert_code(0);
    let notes: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("project_id"))
        .collect();
    assert_eq!(
        notes,
        [
            "note: the wiring is checked on project 1, the one PCC reports for the API key; pin \
          it with `project_id: 1` in the spec so that a PCC reporting another project is \
          refused"
        ],
        "{out}"
    );
}
