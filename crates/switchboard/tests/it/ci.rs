//! The CI templates in `examples/ci/`: they parse as YAML, have the jobs docs/ci.md
//! describes, and their shell steps handle switchboard's exit codes right (run here with a
//! fake `switchboard`, `gh` and `apt-get` on the PATH), never printing the secret.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::root;

fn yaml(relative: &str) -> Value {
    let text = std::fs::read_to_string(root().join(relative)).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{relative} is not YAML: {e}"))
}

fn github() -> Value {
    yaml("examples/ci/github/switchboard.yml")
}

fn gitlab() -> Value {
    yaml("examples/ci/gitlab/.gitlab-ci.yml")
}

/// The `run:` of the step named `name` of job `job`.
fn step(workflow: &Value, job: &str, name: &str) -> String {
    workflow["jobs"][job]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no step `{name}` in job `{job}`"))["run"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn the_github_workflow_has_its_triggers_and_jobs() {
    let w = github();
    let on = &w["on"];
    assert!(on["pull_request"].is_object());
    assert_eq!(on["push"]["branches"], serde_json::json!(["main"]));
    let cron = on["schedule"][0]["cron"].as_str().unwrap();
    assert!(cron.ends_with(" * * * *"), "hourly: {cron}");
    assert_eq!(w["jobs"]["plan"]["permissions"]["pull-requests"], "write");
    assert_eq!(w["jobs"]["drift"]["permissions"]["issues"], "write");
    // Apply and drift never run at once, and an apply is never cancelled.
    for job in ["apply", "drift"] {
        assert_eq!(w["jobs"][job]["concurrency"]["group"], "switchboard-pcc");
        assert_eq!(w["jobs"][job]["concurrency"]["cancel-in-progress"], false);
    }
    let action = yaml("examples/ci/github/actions/install-switchboard/action.yml");
    assert_eq!(action["runs"]["using"], "composite");
}

#[test]
fn the_gitlab_pipeline_has_its_jobs() {
    let g = gitlab();
    assert_eq!(
        g["stages"],
        serde_json::json!(["validate", "plan", "apply", "drift"])
    );
    assert_eq!(g["apply"]["resource_group"], "pcc-production");
    assert_eq!(g["drift"]["resource_group"], "pcc-production");
    assert_eq!(
        g["drift"]["allow_failure"]["exit_codes"],
        serde_json::json!([2])
    );
    assert_eq!(
        g["drift"]["rules"][0]["if"],
        "$CI_PIPELINE_SOURCE == \"schedule\""
    );
    // The credentials check is an anchor, expanded into every job that talks to PCC.
    for job in ["plan", "apply", "drift"] {
        let first = &g[job]["script"][0];
        let text = first[0].as_str().or(first.as_str()).unwrap();
        assert!(text.contains("must be set"), "{job}: {first}");
    }
}

const SECRET: &str = "s3cr3t-never-printed";

/// A directory with fake `switchboard`, `gh` and `apt-get`: each logs its arguments to
/// `$FAKE_LOG`; `switchboard` prints a line and exits with `$FAKE_<SUBCOMMAND>_EXIT`; `gh
/// issue list` prints `$FAKE_OPEN_ISSUE`.
fn fakes(dir: &Path) {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let scripts = [
        (
            "switchboard",
            r#"#!/bin/bash
echo "switchboard $*" >> "$FAKE_LOG"
echo "output of switchboard $1"
var="FAKE_${1^^}_EXIT"
exit "${!var:-0}"
"#,
        ),
        (
            "gh",
            r#"#!/bin/bash
echo "gh $*" >> "$FAKE_LOG"
if [ "$1 $2" = "issue list" ]; then echo "${FAKE_OPEN_ISSUE:-}"; fi
"#,
        ),
        (
            "apt-get",
            "#!/bin/bash\necho \"apt-get $*\" >> \"$FAKE_LOG\"\n",
        ),
    ];
    for (name, text) in scripts {
        let path = bin.join(name);
        std::fs::write(&path, text).unwrap();
        Command::new("chmod").arg("+x").arg(&path).status().unwrap();
    }
}

struct Ran {
    code: i32,
    log: String,
    output: String,
    github_output: String,
}

/// Runs `script` as GitHub runs a step (`bash --noprofile --norc -eo pipefail`), with the
/// fakes first on the PATH and `env` set.
fn run(script: &str, env: &[(&str, &str)]) -> Ran {
    let dir = tempfile::tempdir().unwrap();
    fakes(dir.path());
    let file = dir.path().join("step.sh");
    std::fs::write(&file, script).unwrap();
    let path = format!(
        "{}:{}",
        dir.path().join("bin").display(),
        std::env::var("PATH").unwrap()
    );
    let out = dir.path().join("github_output");
    let mut cmd = Command::new("bash");
    cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
        .arg(&file)
        .current_dir(dir.path())
        .env("PATH", path)
        .env("FAKE_LOG", dir.path().join("log"))
        .env("GITHUB_OUTPUT", &out)
        .env("GITHUB_STEP_SUMMARY", dir.path().join("summary"))
        .env("GITHUB_SERVER_URL", "https://github.example")
        .env("GITHUB_REPOSITORY", "acme/cc")
        .env("GITHUB_RUN_ID", "42")
        .env("SPEC", "contact-center")
        .env("STRINGEE_API_KEY_SID", "SKxyz")
        .env("STRINGEE_API_KEY_SECRET", SECRET);
    for (k, v) in env {
        if v.is_empty() {
            cmd.env_remove(k);
        } else {
            cmd.env(k, v);
        }
    }
    let o = cmd.output().unwrap();
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        !output.contains(SECRET),
        "the secret was printed:\n{output}"
    );
    Ran {
        code: o.status.code().unwrap(),
        log: std::fs::read_to_string(dir.path().join("log")).unwrap_or_default(),
        output,
        github_output: std::fs::read_to_string(out).unwrap_or_default(),
    }
}

#[test]
fn github_plan_treats_exit_2_as_changes_and_1_as_failure() {
    let plan = step(&github(), "plan", "Plan");
    let ok = run(&plan, &[("FAKE_PLAN_EXIT", "0")]);
    assert_eq!(ok.code, 0, "{}", ok.output);
    assert!(ok.log.contains(
        "switchboard plan contact-center --detailed-exitcode --format markdown --out plan.json"
    ));
    let changes = run(&plan, &[("FAKE_PLAN_EXIT", "2")]);
    assert_eq!(
        changes.code, 0,
        "exit 2 is not a failure: {}",
        changes.output
    );
    assert!(changes.github_output.contains("exitcode=2"));
    let error = run(&plan, &[("FAKE_PLAN_EXIT", "1")]);
    assert_eq!(error.code, 1);
    assert!(error.output.contains("switchboard plan failed (exit 1)"));
    // No credentials: refused before switchboard runs (it would plan against a sandbox).
    let none = run(&plan, &[("STRINGEE_API_KEY_SECRET", "")]);
    assert_eq!(none.code, 1);
    assert!(none.log.is_empty(), "{}", none.log);
}

#[test]
fn github_apply_passes_on_refused_and_stale_as_failures() {
    let w = github();
    let plan = step(&w, "apply", "Plan the merged commit");
    assert_eq!(run(&plan, &[("FAKE_PLAN_EXIT", "2")]).code, 0);
    assert!(
        w["jobs"]["apply"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["if"] == "steps.plan.outputs.exitcode == '2'"),
        "apply runs only when the plan has changes"
    );
    let apply = step(&w, "apply", "Apply exactly the saved plan");
    let ok = run(&apply, &[]);
    assert_eq!(ok.code, 0);
    assert!(
        ok.log
            .contains("switchboard apply plan.json --auto-approve")
    );
    let refused = run(&apply, &[("FAKE_APPLY_EXIT", "3")]);
    assert_eq!(refused.code, 3);
    assert!(refused.output.contains("safety guard refused"));
    let stale = run(&apply, &[("FAKE_APPLY_EXIT", "4")]);
    assert_eq!(stale.code, 4);
}

#[test]
fn github_drift_opens_updates_and_closes_one_issue() {
    let drift = step(&github(), "drift", "Drift check");
    let opened = run(&drift, &[("FAKE_DRIFT_EXIT", "2")]);
    assert_eq!(opened.code, 0, "{}", opened.output);
    assert!(opened.log.contains("gh issue create"), "{}", opened.log);
    assert!(!opened.log.contains("gh issue edit"));

    let updated = run(
        &drift,
        &[("FAKE_DRIFT_EXIT", "2"), ("FAKE_OPEN_ISSUE", "7")],
    );
    assert!(
        updated.log.contains("gh issue edit 7 --body-file drift.md"),
        "{}",
        updated.log
    );
    assert!(!updated.log.contains("gh issue create"));

    let closed = run(
        &drift,
        &[("FAKE_DRIFT_EXIT", "0"), ("FAKE_OPEN_ISSUE", "7")],
    );
    assert_eq!(closed.code, 0);
    assert!(closed.log.contains("gh issue close 7"), "{}", closed.log);

    let quiet = run(&drift, &[("FAKE_DRIFT_EXIT", "0")]);
    assert!(!quiet.log.contains("gh issue close") && !quiet.log.contains("gh issue create"));

    let error = run(&drift, &[("FAKE_DRIFT_EXIT", "1")]);
    assert_eq!(error.code, 1, "an error is not drift");
    assert!(!error.log.contains("gh issue create"));
}

/// GitLab runs each `script:` line in one bash with `-eo pipefail` semantics.
fn gitlab_script(job: &str) -> String {
    let g = gitlab();
    let mut lines = Vec::new();
    for item in g[job]["script"].as_array().unwrap() {
        match item {
            Value::Array(nested) => {
                lines.extend(nested.iter().map(|v| v.as_str().unwrap().to_owned()))
            }
            v => lines.push(v.as_str().unwrap().to_owned()),
        }
    }
    lines.join("\n")
}

#[test]
fn gitlab_apply_and_drift_handle_exit_codes() {
    let apply = gitlab_script("apply");
    let nothing = run(&apply, &[("FAKE_PLAN_EXIT", "0")]);
    assert_eq!(nothing.code, 0);
    assert!(
        !nothing.log.contains("switchboard apply"),
        "{}",
        nothing.log
    );
    let applied = run(&apply, &[("FAKE_PLAN_EXIT", "2")]);
    assert_eq!(applied.code, 0, "{}", applied.output);
    assert!(
        applied
            .log
            .contains("switchboard apply plan.json --auto-approve")
    );
    let refused = run(&apply, &[("FAKE_PLAN_EXIT", "2"), ("FAKE_APPLY_EXIT", "3")]);
    assert_eq!(refused.code, 3);
    let broken = run(&apply, &[("FAKE_PLAN_EXIT", "1")]);
    assert_eq!(broken.code, 1);
    assert!(!broken.log.contains("switchboard apply"));

    // An error in drift fails the job before any issue is touched.
    let drift = gitlab_script("drift");
    let error = run(&drift, &[("FAKE_DRIFT_EXIT", "1")]);
    assert_eq!(error.code, 1);
    assert!(!error.log.contains("apt-get"), "{}", error.log);
}
