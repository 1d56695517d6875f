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

    fn cmd(&self, pcc: &Pcc, key: &ApiKey, token: &str, args: &[&str]) -> Cmd {
        self.work
            .switchboard(args.iter().copied())
            .against_with_key(pcc, key)
            .secret("CRM_EVENTS_TOKEN", token)
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
    let out = s.run(
        &s.staging,
        &staging_key(),
        TOKEN,
        &["apply", "two-envs", "--env", "staging", "--auto-approve"],
    );
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
    let out = s.run(
        &s.production,
        &production_key(),
        TOKEN,
        &[
            "plan",
            "two-envs",
            "--env",
            "production",
            "--detailed-exitcode",
            "--format",
            "markdown",
        ],
    );
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
    let out = s.run(
        &s.production,
        &production_key(),
        TOKEN,
        &["plan", "two-envs", "--env", "staging"],
    );
    out.assert_code(1);
    assert!(
        out.stderr
            .contains("environment `staging` is bound to the API key"),
        "{out}"
    );
    assert_eq!(s.production.stats().reads + s.production.stats().writes, 0);

    // A plan saved for staging, applied with production's credentials: refused, nothing sent.
    let out = s.run(
        &s.staging,
        &staging_key(),
        TOKEN,
        &[
            "plan",
            "two-envs",
            "--env",
            "staging",
            "--out",
            "staging.plan.json",
        ],
    );
    out.assert_code(0);
    let saved = s.work.read("staging.plan.json");
    assert!(saved.contains("\"name\": \"staging\""), "{saved}");
    let out = s.run(
        &s.production,
        &production_key(),
        TOKEN,
        &["apply", "staging.plan.json", "--auto-approve"],
    );
    out.assert_code(1);
    assert!(out.stderr.contains("was made against"), "{out}");
    // And with staging's credentials but `--env production`: refused too.
    let out = s.run(
        &s.staging,
        &staging_key(),
        TOKEN,
        &[
            "apply",
            "staging.plan.json",
            "--env",
            "production",
            "--auto-approve",
        ],
    );
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
    let out = s.run(
        &s.staging,
        &staging_key(),
        TOKEN,
        &["plan", "two-envs", "--env", "staging", "--out", "plan.json"],
    );
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
        out.stderr
            .contains("the secret `CRM_EVENTS_TOKEN` is not the value planned with"),
        "{out}"
    );
    assert_eq!(s.staging.stats().writes, 0);

    // With the secret as planned, the same file applies.
    let out = s.run(
        &s.staging,
        &staging_key(),
        TOKEN,
        &["apply", "plan.json", "--auto-approve"],
    );
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
