//! One spec, two PCC projects: `examples/two-envs` applied to a staging and a production
//! emulator, each with its own key. Each project ends with its own numbers, agents and URLs;
//! a staging plan is refused against production; a changed secret makes a saved plan stale;
//! no secret value reaches an output or a file (every command [`Cmd::secret`]s it).

use e2e::{Cmd, Pcc, Workdir};
use emulator::{ApiKey, Config};

const TOKEN: &str = "crm-Tok-7Hq2xv";
const ROTATED: &str = "crm-Tok-rotated-9Zp";

fn key(sid: &str, secret: &str) -> ApiKey {
    ApiKey {
        sid: sid.to_owned(),
        secret: secret.to_owned(),
    }
}

fn staging_key() -> ApiKey {
    key(
        "SKstagingE2E0000000000000000stg",
        "staging-secret-4b1e-never-print",
    )
}

fn production_key() -> ApiKey {
    key(
        "SKproductionE2E00000000000prod",
        "production-secret-8c2f-never-print",
    )
}

/// Two emulators, and `examples/two-envs` bound to their keys.
struct Setup {
    work: Workdir,
    staging: Pcc,
    production: Pcc,
}

impl Setup {
    fn new() -> Setup {
        let work = Workdir::new();
        let spec = work.copy_example("two-envs");
        let main = spec.join("switchboard.yaml");
        let text = std::fs::read_to_string(&main)
            .unwrap()
            .replace("SKstagingExampleKey0000000000000", &staging_key().sid)
            .replace("SKproductionExampleKey00000000000", &production_key().sid);
        std::fs::write(&main, text).unwrap();
        Setup {
            work,
            staging: Pcc::with(Config::new(vec![staging_key(), e2e::key()])),
            production: Pcc::with(Config::new(vec![production_key(), e2e::key()])),
        }
    }

    /// `switchboard ARGS` against `pcc` with `key`, the secret set to `token`; every secret
    /// (both API secrets, both tokens) is forbidden in its output and files.
    fn run(&self, pcc: &Pcc, key: &ApiKey, token: &str, args: &[&str]) -> e2e::Output {
        self.cmd(pcc, key, token, args).run()
    }

    /// [`Setup::run`] against staging with its key, the secret as planned.
    fn on_staging(&self, args: &[&str]) -> e2e::Output {
        self.run(&self.staging, &staging_key(), TOKEN, args)
    }

    /// [`Setup::run`] against production with its key, the secret as planned.
    fn on_production(&self, args: &[&str]) -> e2e::Output {
        self.run(&self.production, &production_key(), TOKEN, args)
    }

    /// Asserts that `plan --env staging` finds the staging project as the spec says (after
    /// an export, say).
    fn staging_plans_no_change(&self) {
        let plan = self.on_staging(&[
            "plan",
            "two-envs",
            "--env",
            "staging",
            "--detailed-exitcode",
        ]);
        plan.assert_code(0);
        assert!(plan.stdout.contains("No changes."), "{plan}");
    }

    fn cmd(&self, pcc: &Pcc, key: &ApiKey, token: &str, args: &[&str]) -> Cmd {
        self.work
            .switchboard(args.iter().copied())
            .against_with_key(pcc, key)
            .secret("SWITCHBOARD_SECRET_CRM_EVENTS_TOKEN", token)
            .forbid(TOKEN)
            .forbid(ROTATED)
            .forbid(&staging_key().secret)
            .forbid(&production_key().secret)
    }
}

fn settings(pcc: &Pcc) -> serde_json::Value {
    pcc.get("/v1/callsettings")
}

#[test]
fn one_spec_applied_to_staging_and_production_gives_each_its_own_objects() {
    let s = Setup::new();
    let out = s.on_staging(&["apply", "two-envs", "--env", "staging", "--auto-approve"]);
    out.assert_code(0);
    let out = s
        .cmd(
            &s.production,
            &production_key(),
            TOKEN,
            &["apply", "two-envs", "--auto-approve"],
        )
        .env("SWITCHBOARD_ENV", "production")
        .run();
    out.assert_code(0);

    let staging = s.staging.state().to_string();
    let production = s.production.state().to_string();
    for (state, mine, theirs) in [
        (
            &staging,
            ["842400000001", "qa-alice"],
            ["842473082686", "\"carol\""],
        ),
        (
            &production,
            ["842473082686", "\"carol\""],
            ["842400000001", "qa-alice"],
        ),
    ] {
        for want in mine {
            assert!(state.contains(want), "{want} missing from {state}");
        }
        for other in theirs {
            assert!(!state.contains(other), "{other} leaked into {state}");
        }
    }
    // Each project's webhooks point at its own CRM, with the secret written as it is.
    let event_url = |pcc: &Pcc| settings(pcc).to_string();
    assert!(
        event_url(&s.staging).contains(&format!(
            "https://crm-staging.example.com/stringee/events?token={TOKEN}"
        )),
        "{}",
        event_url(&s.staging)
    );
    assert!(
        event_url(&s.production).contains(&format!(
            "https://crm.example.com/stringee/events?token={TOKEN}"
        )),
        "{}",
        event_url(&s.production)
    );

    // Applied: each environment plans no change, and its plan says which environment it is.
    let out = s.on_production(&[
        "plan",
        "two-envs",
        "--env",
        "production",
        "--detailed-exitcode",
        "--format",
        "markdown",
    ]);
    out.assert_code(0);
    assert!(
        out.stdout.starts_with("Environment: **production**"),
        "{out}"
    );
}

#[test]
fn staging_is_refused_against_production_before_any_request() {
    let s = Setup::new();
    s.production.reset_stats();
    // Production's credentials, staging's environment: stopped before the first request.
    let out = s.on_production(&["plan", "two-envs", "--env", "staging"]);
    out.assert_code(1);
    assert!(
        out.stderr
            .contains("environment `staging` is bound to the API key"),
        "{out}"
    );
    assert_eq!(s.production.stats().reads + s.production.stats().writes, 0);

    // A plan saved for staging, applied with production's credentials: refused, nothing sent.
    let out = s.on_staging(&[
        "plan",
        "two-envs",
        "--env",
        "staging",
        "--out",
        "staging.plan.json",
    ]);
    out.assert_code(0);
    let saved = s.work.read("staging.plan.json");
    assert!(saved.contains("\"name\": \"staging\""), "{saved}");
    let out = s.on_production(&["apply", "staging.plan.json", "--auto-approve"]);
    out.assert_code(1);
    assert!(out.stderr.contains("was made against"), "{out}");
    // And with staging's credentials but `--env production`: refused too.
    let out = s.on_staging(&[
        "apply",
        "staging.plan.json",
        "--env",
        "production",
        "--auto-approve",
    ]);
    out.assert_code(1);
    assert!(
        out.stderr
            .contains("this plan was made for environment `staging`"),
        "{out}"
    );
    assert_eq!(s.production.stats().writes, 0);
    assert_eq!(s.staging.stats().writes, 0);
}

#[test]
fn a_changed_secret_makes_the_saved_plan_stale_naming_it_never_its_value() {
    let s = Setup::new();
    let out = s.on_staging(&["plan", "two-envs", "--env", "staging", "--out", "plan.json"]);
    out.assert_code(0);
    // The plan shows the secret as `(sensitive)`.
    assert!(out.stdout.contains("token=(sensitive)"), "{out}");
    let saved = s.work.read("plan.json");
    assert!(
        saved.contains("\"CRM_EVENTS_TOKEN\": \"hmac-sha256:"),
        "{saved}"
    );

    let out = s.run(
        &s.staging,
        &staging_key(),
        ROTATED,
        &["apply", "plan.json", "--auto-approve"],
    );
    out.assert_code(4);
    assert!(
        out.stderr.contains(
            "the secret `SWITCHBOARD_SECRET_CRM_EVENTS_TOKEN` is not the value planned with"
        ),
        "{out}"
    );
    assert_eq!(s.staging.stats().writes, 0);

    // With the secret as planned, the same file applies.
    let out = s.on_staging(&["apply", "plan.json", "--auto-approve"]);
    out.assert_code(0);
    assert!(settings(&s.staging).to_string().contains(TOKEN));

    // Rotated in the spec's environment: drift says the URL changed, showing neither value.
    let out = s.run(
        &s.staging,
        &staging_key(),
        ROTATED,
        &["drift", "two-envs", "--env", "staging"],
    );
    out.assert_code(2);
    assert!(out.stdout.contains("event_url"), "{out}");
}

/// The files of `dir` (recursively, relative to it) with their text.
fn tree(dir: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                out.insert(name, std::fs::read_to_string(&path).unwrap_or_default());
            }
        }
    }
    out
}

/// Staging applied, then changed in its console: an agent and a number the spec lacks.
fn staging_applied_and_changed(s: &Setup) {
    s.on_staging(&["apply", "two-envs", "--env", "staging", "--auto-approve"])
        .assert_code(0);
    s.staging.agent("qa-carol", "QA Carol");
    let support = s.staging.id_of("queue", "queues", "name", "support");
    s.staging.number(
        "842400000009",
        serde_json::json!({ "nickname": "Staging fax", "queue_id": support }),
    );
}

#[test]
fn export_into_an_environments_directory_leaves_shared_files_and_plans_no_change() {
    let s = Setup::new();
    staging_applied_and_changed(&s);
    let spec = s.work.join("two-envs");
    std::fs::remove_dir_all(spec.join("envs/staging")).unwrap();
    let before = tree(&spec);

    let out = s.on_staging(&["export", "two-envs", "--env", "staging"]);
    out.assert_code(0);
    assert!(
        out.stdout
            .starts_with("Exported environment `staging` to two-envs/envs/staging: 3 spec files"),
        "{out}"
    );
    // Only the environment's directory was written; the shared files and production's are
    // as they were.
    let after = tree(&spec);
    for (name, text) in &before {
        assert_eq!(after.get(name), Some(text), "{name} changed");
    }
    let written: Vec<&String> = after.keys().filter(|n| !before.contains_key(*n)).collect();
    assert_eq!(
        written,
        [
            "envs/staging/agents.yaml",
            "envs/staging/groups.yaml",
            "envs/staging/numbers.yaml",
            "envs/staging/switchboard.schema.json",
        ]
    );
    // What the shared files declare (queues, the IVR, settings) is theirs: not written again.
    let numbers = &after["envs/staging/numbers.yaml"];
    for want in ["842400000001", "842400000002", "842400000009"] {
        assert!(numbers.contains(want), "{want} missing:\n{numbers}");
    }
    assert!(!numbers.contains("842473082686"), "{numbers}");
    assert!(after["envs/staging/agents.yaml"].contains("qa-carol"));

    s.staging_plans_no_change();
    // Production's spec is untouched by staging's export, and still valid.
    s.on_production(&["validate", "two-envs", "--env", "production"])
        .assert_code(0);
}

#[test]
fn export_leaves_hand_written_files_theirs_and_overwrites_only_with_force() {
    let s = Setup::new();
    staging_applied_and_changed(&s);
    let spec = s.work.join("two-envs");
    let people = std::fs::read_to_string(spec.join("envs/staging/people.yaml")).unwrap();

    // Hand-written files in the directory: refused, naming them, before any request.
    s.staging.reset_stats();
    let out = s.on_staging(&["export", "two-envs", "--env", "staging"]);
    out.assert_code(1);
    assert!(
        out.stderr.contains(
            "environment `staging`'s `include:` directory two-envs/envs/staging holds files an \
             export did not write (`numbers.yaml`, `people.yaml`)"
        ),
        "{out}"
    );
    // The user gave --env, not --out: the refusal must not send them after a flag.
    assert!(!out.stderr.contains("--out"), "{out}");
    assert!(
        out.stderr.contains("move them out, or pass --force"),
        "{out}"
    );
    assert_eq!(s.staging.stats().reads + s.staging.stats().writes, 0);

    // --force: `numbers.yaml` is an export's name and is replaced; `people.yaml` is kept and
    // keeps its agents and groups, so the export writes only the agent it lacks.
    let out = s.on_staging(&["export", "two-envs", "--env", "staging", "--force"]);
    out.assert_code(0);
    let after = tree(&spec.join("envs/staging"));
    assert_eq!(after["people.yaml"], people);
    assert!(after["numbers.yaml"].contains("842400000009"));
    assert!(!after.contains_key("groups.yaml"), "{after:?}");
    let agents = &after["agents.yaml"];
    assert!(
        agents.contains("qa-carol") && !agents.contains("qa-alice"),
        "{agents}"
    );
    s.staging_plans_no_change();
}

#[test]
fn export_refuses_an_include_directory_outside_the_spec_or_through_a_link() {
    let s = Setup::new();
    let spec = s.work.join("two-envs");
    let outside = s.work.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("keep.txt"), "mine").unwrap();
    let main = spec.join("switchboard.yaml");
    let original = std::fs::read_to_string(&main).unwrap();
    s.staging.reset_stats();
    let export = |why: &str| {
        let out = s.on_staging(&["export", "two-envs", "--env", "staging", "--force"]);
        out.assert_code(1);
        assert!(out.stderr.contains(why), "{out}");
        assert_eq!(tree(&outside).len(), 1, "written outside: {out}");
        assert_eq!(s.staging.stats().reads + s.staging.stats().writes, 0);
    };

    // A pull request that points the directory out of the spec root, or into `.git`.
    for (include, why) in [
        ("../outside", "it leads outside the spec root"),
        ("envs/../../outside", "it leads outside the spec root"),
        ("/tmp", "it is an absolute path"),
        (".git/hooks", "`.git` is a hidden name"),
    ] {
        std::fs::write(
            &main,
            original.replace(
                "include: [envs/staging]",
                &format!("include: [\"{include}\"]"),
            ),
        )
        .unwrap();
        export(why);
    }
    assert!(!spec.join(".git").exists());

    // Or a link committed where the directory is.
    std::fs::write(&main, &original).unwrap();
    std::fs::remove_dir_all(spec.join("envs/staging")).unwrap();
    std::os::unix::fs::symlink(&outside, spec.join("envs/staging")).unwrap();
    export("is a symbolic link");
    std::fs::remove_file(spec.join("envs/staging")).unwrap();
    std::fs::rename(spec.join("envs"), s.work.join("envs-real")).unwrap();
    std::os::unix::fs::symlink(&outside, spec.join("envs")).unwrap();
    export("is a symbolic link");

    // An environment with nowhere to write.
    std::fs::write(&main, original.replace("    include: [envs/staging]\n", "")).unwrap();
    export("environment `staging` has no `include:` directory to export into");
}

#[test]
fn export_writes_a_secret_the_spec_names_back_as_its_placeholder() {
    let s = Setup::new();
    s.on_staging(&["apply", "two-envs", "--env", "staging", "--auto-approve"])
        .assert_code(0);
    // The settings move from the shared file into staging's directory, as a previous export
    // edited by hand to name the secret (it keeps export's mark, so export replaces it).
    let spec = s.work.join("two-envs");
    let main = spec.join("switchboard.yaml");
    let shared = std::fs::read_to_string(&main).unwrap();
    let at = shared.find("settings:").unwrap();
    std::fs::write(&main, &shared[..at]).unwrap();
    std::fs::remove_dir_all(spec.join("envs/staging")).unwrap();
    s.work.write(
        "two-envs/envs/staging/settings.yaml",
        &format!(
            "# Exported by switchboard from the live PCC project; `switchboard export` \
             rewrites this file.\n{}",
            &shared[at..]
        ),
    );

    // Cmd::secret fails the run if TOKEN reaches its output or any file it leaves.
    let out = s.on_staging(&["export", "two-envs", "--env", "staging"]);
    out.assert_code(0);
    let settings = s.work.read("two-envs/envs/staging/settings.yaml");
    assert!(
        settings.contains(
            "event_url: \"https://crm-staging.example.com/stringee/events?token=${secret.CRM_EVENTS_TOKEN}\""
        ),
        "{settings}"
    );
    assert!(!out.stderr.contains("holds a credential"), "{out}");
    s.staging_plans_no_change();
}
