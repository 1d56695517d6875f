//! The CI templates in `examples/ci/` and the release workflow: they pass actionlint and the
//! GitHub / GitLab schemas, have the jobs docs/ci.md describes, give the Stringee key only to
//! the jobs that talk to PCC, and their shell steps handle switchboard's exit codes right
//! (run here with a fake `switchboard`, `gh` and `apt-get` on the PATH), never printing the
//! secret.

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
    assert_eq!(
        w["jobs"]["comment"]["permissions"]["pull-requests"],
        "write"
    );
    assert_eq!(w["jobs"]["drift-issue"]["permissions"]["issues"], "write");
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
        serde_json::json!(["validate", "plan", "report", "apply", "drift"])
    );
    assert_eq!(g["apply"]["resource_group"], "pcc-production");
    assert_eq!(g["drift"]["resource_group"], "pcc-production");
    // Drift found passes with a warning: the issue job exits 2, allowed.
    assert_eq!(
        g["drift-issue"]["allow_failure"]["exit_codes"],
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

/// A directory with fake `switchboard`, `gh`, `apt-get` and `curl`: each logs its arguments
/// to `$FAKE_LOG`; `switchboard` prints a line and exits with `$FAKE_<SUBCOMMAND>_EXIT`; `gh
/// issue list` prints `$FAKE_OPEN_ISSUE`; `curl` without `--request` (a GET) prints
/// `$FAKE_NOTES`.
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
        (
            "curl",
            r#"#!/bin/bash
echo "curl $*" >> "$FAKE_LOG"
case " $* " in *" --request "*) ;; *) echo "${FAKE_NOTES:-[]}" ;; esac
"#,
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
    run_with(script, env, &[])
}

/// [`run`] in a directory that holds `files` (name, text), as artifacts a job downloaded.
fn run_with(script: &str, env: &[(&str, &str)], files: &[(&str, &str)]) -> Ran {
    let dir = tempfile::tempdir().unwrap();
    fakes(dir.path());
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
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
    let w = github();
    let drift = step(&w, "drift", "Drift check");
    let found = run(&drift, &[("FAKE_DRIFT_EXIT", "2")]);
    assert_eq!(found.code, 0, "drift is not a failure: {}", found.output);
    assert!(found.github_output.contains("exitcode=2"));
    let error = run(&drift, &[("FAKE_DRIFT_EXIT", "1")]);
    assert_eq!(error.code, 1, "an error is not drift");
    // The issue job runs only after a drift job that succeeded (`needs`), with its code.
    assert_eq!(w["jobs"]["drift-issue"]["needs"], "drift");
    assert_eq!(
        w["jobs"]["drift-issue"]["steps"][1]["env"]["DRIFT_EXIT"],
        "${{ needs.drift.outputs.exitcode }}"
    );

    let issue = step(&w, "drift-issue", "Open, update or close the drift issue");
    let opened = run(&issue, &[("DRIFT_EXIT", "2")]);
    assert_eq!(opened.code, 0, "{}", opened.output);
    assert!(opened.log.contains("gh issue create"), "{}", opened.log);
    assert!(!opened.log.contains("gh issue edit"));

    let updated = run(&issue, &[("DRIFT_EXIT", "2"), ("FAKE_OPEN_ISSUE", "7")]);
    assert!(
        updated.log.contains("gh issue edit 7 --body-file drift.md"),
        "{}",
        updated.log
    );
    assert!(!updated.log.contains("gh issue create"));

    let closed = run(&issue, &[("DRIFT_EXIT", "0"), ("FAKE_OPEN_ISSUE", "7")]);
    assert_eq!(closed.code, 0);
    assert!(closed.log.contains("gh issue close 7"), "{}", closed.log);

    let quiet = run(&issue, &[("DRIFT_EXIT", "0")]);
    assert!(!quiet.log.contains("gh issue close") && !quiet.log.contains("gh issue create"));

    let unexpected = run(&issue, &[("DRIFT_EXIT", "")]);
    assert_eq!(unexpected.code, 1);
    assert!(!unexpected.log.contains("gh issue create"));
}

/// The jobs that talk to PCC, and nothing else, reach the Stringee key: on GitHub only steps
/// of `plan`, `apply` and `drift` name a secret, each of those jobs takes it from its own
/// environment (not repository secrets) and holds no write token; on GitLab only jobs naming
/// the key's environments can receive it, and `validate` and `report` name none.
#[test]
fn only_the_jobs_that_talk_to_pcc_get_the_key() {
    let w = github();
    assert_eq!(
        w["permissions"],
        serde_json::json!({}),
        "no default token permissions"
    );
    let jobs = w["jobs"].as_object().unwrap();
    let with_key: std::collections::BTreeMap<&str, &str> = [
        ("plan", "pcc-plan"),
        ("apply", "pcc-production"),
        ("drift", "pcc-drift"),
    ]
    .into();
    for (name, job) in jobs {
        let text = serde_json::to_string(job).unwrap();
        match with_key.get(name.as_str()) {
            Some(environment) => {
                assert_eq!(job["environment"], *environment, "{name}");
                let permissions = job["permissions"].as_object().unwrap();
                assert!(
                    permissions.values().all(|p| p == "read"),
                    "{name} holds the key and a write token: {permissions:?}"
                );
                // Secrets only in the env of the steps that run switchboard against PCC.
                for step in job["steps"].as_array().unwrap() {
                    let names_secret = serde_json::to_string(step).unwrap().contains("secrets.");
                    let talks_to_pcc = step["run"].as_str().is_some_and(|run| {
                        ["switchboard plan", "switchboard apply", "switchboard drift"]
                            .iter()
                            .any(|c| run.contains(c))
                    });
                    assert_eq!(names_secret, talks_to_pcc, "{name}: {step}");
                }
            }
            None => {
                assert!(
                    !text.contains("secrets."),
                    "{name} reaches a secret: {text}"
                );
                assert!(
                    job.get("environment").is_none(),
                    "{name} names an environment"
                );
            }
        }
    }
    for job in ["validate", "report", "comment", "drift-issue"] {
        assert!(jobs.contains_key(job), "no job `{job}`");
    }

    let g = gitlab();
    let environment = |job: &str| {
        let e = &g[job]["environment"];
        e["name"].as_str().or(e.as_str()).map(str::to_owned)
    };
    assert_eq!(environment("validate"), None);
    assert_eq!(environment("report"), None);
    assert_eq!(environment("plan").as_deref(), Some("pcc-plan"));
    assert_eq!(environment("apply").as_deref(), Some("pcc-production"));
    assert_eq!(environment("drift").as_deref(), Some("pcc-drift"));
    // The API token's jobs run no switchboard and read no key.
    for job in ["comment", "drift-issue"] {
        assert_eq!(environment(job).as_deref(), Some("switchboard-bot"));
        assert_eq!(g[job]["before_script"], serde_json::json!([]), "{job}");
        assert!(!gitlab_script(job).contains("STRINGEE"), "{job}");
    }
    for job in ["validate", "report", "plan", "apply", "drift"] {
        assert!(!gitlab_script(job).contains("GITLAB_API_TOKEN"), "{job}");
    }
}

/// GitLab runs each `script:` line in one bash with `-eo pipefail` semantics.
fn gitlab_script(job: &str) -> String {
    script_of(&gitlab(), job)
}

/// The `script:` of `job` in the pipeline `g`, as [`gitlab_script`].
fn script_of(g: &Value, job: &str) -> String {
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

    // An error in drift fails the job (and so the issue job, which needs it, never runs).
    let drift = gitlab_script("drift");
    let error = run(&drift, &[("FAKE_DRIFT_EXIT", "1")]);
    assert_eq!(error.code, 1);
    let found = run(&drift, &[("FAKE_DRIFT_EXIT", "2")]);
    assert_eq!(found.code, 0, "{}", found.output);
    assert_eq!(
        gitlab()["drift-issue"]["needs"],
        serde_json::json!(["drift"])
    );
}

/// Runs an outside linter on `files` (relative to the workspace root); fails with its output.
fn lint(program: &str, args: &[&str], files: &[&str]) -> std::process::Output {
    Command::new(program)
        .args(args)
        .args(files)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
}

const WORKFLOWS: [&str; 3] = [
    "examples/ci/github/switchboard.yml",
    "examples/ci/github/switchboard-environments.yml",
    ".github/workflows/release.yml",
];

#[test]
#[cfg_attr(
    no_actionlint,
    ignore = "actionlint not found when the tests were built ($ACTIONLINT unset, none on PATH): \
              run scripts/test, which installs it"
)]
fn the_github_workflows_pass_actionlint() {
    let actionlint = env!("SWITCHBOARD_TEST_ACTIONLINT");
    let out = lint(actionlint, &[], &WORKFLOWS);
    assert!(
        out.status.success(),
        "actionlint:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // And it does find problems: an undefined context property fails.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yml");
    std::fs::write(
        &bad,
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such_thing }}\n",
    )
    .unwrap();
    let out = lint(actionlint, &[], &[bad.to_str().unwrap()]);
    assert!(!out.status.success(), "actionlint passed a broken workflow");
    assert!(String::from_utf8_lossy(&out.stdout).contains("no_such_thing"));
}

#[test]
#[cfg_attr(
    no_check_jsonschema,
    ignore = "check-jsonschema not found when the tests were built ($CHECK_JSONSCHEMA unset, \
              none on PATH): run scripts/test, which installs it"
)]
fn the_templates_pass_the_gitlab_and_github_schemas() {
    let check = env!("SWITCHBOARD_TEST_CHECK_JSONSCHEMA");
    for (schema, files) in [
        (
            "vendor.gitlab-ci",
            &[
                "examples/ci/gitlab/.gitlab-ci.yml",
                "examples/ci/gitlab/switchboard-environments.gitlab-ci.yml",
            ][..],
        ),
        ("vendor.github-workflows", &WORKFLOWS[..]),
        (
            "vendor.github-actions",
            &["examples/ci/github/actions/install-switchboard/action.yml"][..],
        ),
    ] {
        let out = lint(check, &["--builtin-schema", schema], files);
        assert!(
            out.status.success(),
            "{schema}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // And the schema does reject a broken pipeline.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yml");
    std::fs::write(
        &bad,
        "plan:\n  script: [x]\n  environment: { name: e, action: deploy-it }\n",
    )
    .unwrap();
    let out = lint(
        check,
        &["--builtin-schema", "vendor.gitlab-ci"],
        &[bad.to_str().unwrap()],
    );
    assert!(!out.status.success(), "the schema passed a broken pipeline");
}

/// A saved plan whose steps create (and, with `delete`, delete) something: what the comment
/// jobs read to tell changes from deletes.
fn saved_plan(delete: bool) -> String {
    let action = if delete { "delete" } else { "update" };
    serde_json::json!({
        "format_version": "2.1",
        "plan": { "steps": [
            { "address": "group.sales", "action": "create" },
            { "address": "queue.old", "action": action },
        ] }
    })
    .to_string()
}

#[test]
fn github_validate_annotates_and_code_scanning_holds_only_its_permission() {
    let w = github();
    let validate = step(&w, "validate", "Validate (offline; flow tests included)");
    assert_eq!(
        validate.trim(),
        "switchboard validate \"$SPEC\" --strict --format github"
    );
    // The SARIF is written whatever validate found (1), and only an error to run fails.
    let sarif = step(&w, "validate", "Results for code scanning");
    for (exit, code) in [("0", 0), ("1", 0), ("2", 2)] {
        let ran = run(&sarif, &[("FAKE_VALIDATE_EXIT", exit)]);
        assert_eq!(ran.code, code, "exit {exit}: {}", ran.output);
        assert!(
            ran.log
                .contains("switchboard validate contact-center --strict --format sarif")
        );
    }
    let job = &w["jobs"]["code-scanning"];
    assert_eq!(
        job["permissions"],
        serde_json::json!({ "security-events": "write", "contents": "read", "actions": "read" })
    );
    assert_eq!(job["needs"], "validate");
    let condition = job["if"].as_str().unwrap();
    assert!(
        condition.contains("!cancelled()"),
        "runs when validate fails: {condition}"
    );
    assert!(
        condition.contains("head.repo.full_name == github.repository"),
        "forks get no write token: {condition}"
    );
    let uses: Vec<&str> = job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["uses"].as_str())
        .collect();
    assert!(
        uses.contains(&"github/codeql-action/upload-sarif@v3"),
        "{uses:?}"
    );
    assert!(
        job["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["run"].is_null())
    );
    // No other job may write security events.
    for (name, job) in w["jobs"].as_object().unwrap() {
        if name != "code-scanning" {
            assert!(
                job["permissions"].get("security-events").is_none(),
                "{name}"
            );
        }
    }
}

/// What the comment job's github-script did: the API calls it made, and `core.setFailed`.
#[derive(Debug)]
struct Posted {
    calls: Vec<(String, Value)>,
    failed: Option<String>,
}

impl Posted {
    fn names(&self) -> Vec<&str> {
        self.calls.iter().map(|(name, _)| name.as_str()).collect()
    }

    fn call(&self, name: &str) -> Option<&Value> {
        self.calls
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, args)| args)
    }
}

/// Runs the comment job's github-script with node, as actions/github-script runs it (an async
/// function body with `require`, `github`, `context` and `core`), against a fake `github` that
/// records each call and lists `comments`; `plan.json` and `plan.md` are in its directory.
fn post_plan(exit: &str, delete: bool, comments: Value) -> Posted {
    let w = github();
    let step = w["jobs"]["comment"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["uses"] == "actions/github-script@v7")
        .unwrap();
    assert_eq!(
        step["env"]["PLAN_EXIT"],
        "${{ needs.plan.outputs.exitcode }}"
    );
    let script = step["with"]["script"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("plan.json"), saved_plan(delete)).unwrap();
    std::fs::write(
        dir.path().join("plan.md"),
        "Plan: 1 to add, 0 to change, 1 to destroy.\n",
    )
    .unwrap();
    let harness = format!(
        r#"
const calls = [];
const record = (name, result) => async (args) => {{ calls.push([name, args]); return result; }};
const github = {{
  paginate: async (_list, args) => {{ calls.push(['listComments', args]); return {comments}; }},
  rest: {{ issues: {{
    listComments: {{}},
    addLabels: record('addLabels', {{}}),
    removeLabel: async (args) => {{ calls.push(['removeLabel', args]); throw new Error('404'); }},
    updateComment: record('updateComment', {{}}),
    createComment: record('createComment', {{}}),
  }} }},
}};
const context = {{ repo: {{ owner: 'acme', repo: 'cc' }}, issue: {{ number: 7 }} }};
let failed = null;
const core = {{ setFailed: (message) => {{ failed = message; }} }};
(async () => {{
{script}
}})().then(
  () => console.log(JSON.stringify({{ calls, failed }})),
  (err) => {{ console.log(JSON.stringify({{ calls, failed: String(err) }})); }},
);
"#
    );
    std::fs::write(dir.path().join("harness.js"), harness).unwrap();
    let out = Command::new(env!("SWITCHBOARD_TEST_NODE"))
        .arg("harness.js")
        .current_dir(dir.path())
        .env("PLAN_EXIT", exit)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    Posted {
        calls: result["calls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c[0].as_str().unwrap().to_owned(), c[1].clone()))
            .collect(),
        failed: result["failed"].as_str().map(str::to_owned),
    }
}

#[test]
#[cfg_attr(
    no_node,
    ignore = "node not found when the tests were built ($NODE unset, none on PATH): run \
              scripts/test, which installs it"
)]
fn github_comment_carries_a_status_and_label_and_is_not_posted_without_changes() {
    let marker = "<!-- switchboard-plan -->";
    let mine = serde_json::json!([
        { "id": 5, "user": { "type": "Bot" }, "body": format!("{marker}\nold plan") },
        { "id": 6, "user": { "type": "User" }, "body": "looks good" },
    ]);
    let label = |posted: &Posted| {
        posted.call("addLabels").unwrap()["labels"][0]
            .as_str()
            .unwrap()
            .to_owned()
    };

    // Changes with a delete, first time: a new comment, status first, then the plan.
    let deletes = post_plan("2", true, serde_json::json!([]));
    assert_eq!(deletes.failed, None);
    assert_eq!(label(&deletes), "switchboard: deletes");
    let removed: Vec<&str> = deletes
        .calls
        .iter()
        .filter(|(n, _)| n == "removeLabel")
        .map(|(_, a)| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(removed, ["switchboard: no changes", "switchboard: changes"]);
    let body = deletes.call("createComment").unwrap()["body"]
        .as_str()
        .unwrap();
    assert!(
        body.starts_with(&format!(
            "{marker}\n**switchboard plan: changes that **delete**"
        )),
        "{body}"
    );
    assert!(body.contains("1 to destroy"), "{body}");

    // Changes without deletes, a comment already there: updated in place.
    let changes = post_plan("2", false, mine.clone());
    assert_eq!(label(&changes), "switchboard: changes");
    assert_eq!(changes.call("updateComment").unwrap()["comment_id"], 5);
    assert!(changes.call("createComment").is_none());
    let body = changes.call("updateComment").unwrap()["body"]
        .as_str()
        .unwrap();
    assert!(
        body.contains("**switchboard plan: changes to apply.**"),
        "{body}"
    );

    // No changes and nothing posted before: nothing is posted.
    let quiet = post_plan("0", false, serde_json::json!([]));
    assert_eq!(label(&quiet), "switchboard: no changes");
    assert!(
        !quiet.names().contains(&"createComment") && !quiet.names().contains(&"updateComment"),
        "{quiet:?}"
    );
    // No changes after an earlier plan's comment: it is updated to say so, without a plan.
    let now_none = post_plan("0", false, mine);
    let body = now_none.call("updateComment").unwrap()["body"]
        .as_str()
        .unwrap();
    assert!(body.contains("**switchboard plan: no changes."), "{body}");
    assert!(!body.contains("to destroy"), "{body}");

    // Any other exit code fails the step and posts nothing.
    let broken = post_plan("1", false, serde_json::json!([]));
    assert!(broken.failed.is_some());
    assert_eq!(broken.names(), Vec::<&str>::new());
}

#[test]
fn gitlab_validate_publishes_code_quality_and_junit_reports() {
    let g = gitlab();
    let reports = &g["validate"]["artifacts"]["reports"];
    assert_eq!(reports["codequality"], "gl-code-quality-report.json");
    assert_eq!(reports["junit"], "switchboard-junit.xml");
    assert_eq!(g["validate"]["artifacts"]["when"], "always");
    let script = gitlab_script("validate");
    // Problems: both reports are written, and the job fails.
    let problems = run(&script, &[("FAKE_VALIDATE_EXIT", "1")]);
    assert_eq!(problems.code, 1, "{}", problems.output);
    for format in [
        "gitlab > gl-code-quality-report.json",
        "junit > switchboard-junit.xml",
    ] {
        let (format, _) = format.split_once(' ').unwrap();
        assert!(
            problems.log.contains(&format!(
                "switchboard validate contact-center --strict --format {format}"
            )),
            "{}",
            problems.log
        );
    }
    assert_eq!(run(&script, &[]).code, 0);
}

#[test]
#[cfg_attr(
    no_jq,
    ignore = "jq not found when the tests were built ($JQ unset, none on PATH)"
)]
fn gitlab_note_carries_a_status_and_is_not_posted_without_changes() {
    let script = gitlab_script("comment");
    let env = [
        ("CI_API_V4_URL", "https://gitlab.example/api/v4"),
        ("CI_PROJECT_ID", "3"),
        ("CI_MERGE_REQUEST_IID", "9"),
        ("GITLAB_API_TOKEN", "glpat-test"),
    ];
    let files = |exit: &'static str, delete: bool| {
        vec![
            ("plan.exit", exit.to_owned()),
            ("plan.json", saved_plan(delete)),
            (
                "plan.md",
                "Plan: 1 to add, 0 to change, 1 to destroy.\n".to_owned(),
            ),
        ]
    };
    let post = |exit: &'static str, delete: bool, notes: &str| {
        let files = files(exit, delete);
        let files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
        let mut env = env.to_vec();
        env.push(("FAKE_NOTES", notes));
        run_with(&script, &env, &files)
    };
    let old = r#"[{"id": 41, "body": "<!-- switchboard-plan -->\nold"}]"#;

    let deletes = post("2", true, "[]");
    assert_eq!(deletes.code, 0, "{}", deletes.output);
    assert!(deletes.log.contains("--request POST"), "{}", deletes.log);
    assert!(
        deletes
            .log
            .contains("**switchboard plan: changes that **delete** live objects"),
        "{}",
        deletes.log
    );
    let changes = post("2", false, old);
    assert!(changes.log.contains("--request PUT"), "{}", changes.log);
    assert!(changes.log.contains("notes/41"), "{}", changes.log);
    assert!(
        changes
            .log
            .contains("**switchboard plan: changes to apply.**")
    );

    let quiet = post("0", false, "[]");
    assert_eq!(quiet.code, 0, "{}", quiet.output);
    assert!(
        !quiet.log.contains("--request"),
        "nothing posted: {}",
        quiet.log
    );
    let now_none = post("0", false, old);
    assert!(now_none.log.contains("--request PUT"), "{}", now_none.log);
    assert!(now_none.log.contains("no changes."), "{}", now_none.log);
    assert!(!now_none.log.contains("to destroy"), "{}", now_none.log);

    let broken = post("1", false, "[]");
    assert_eq!(broken.code, 1);
    assert!(!broken.log.contains("curl"), "{}", broken.log);
}

/// The template for a spec with `environments:`: every environment planned on a pull request
/// with its own key and its own comment (found by a marker naming it), applied in order on
/// merge (production only after staging, in its own GitHub environment, which holds the
/// reviewers); only jobs that talk to PCC hold secrets, each from a GitHub environment, and
/// none of them holds a write token.
#[test]
fn the_environments_template_plans_every_environment_and_applies_in_order() {
    let w = yaml("examples/ci/github/switchboard-environments.yml");
    let both = serde_json::json!(["staging", "production"]);
    assert_eq!(w["jobs"]["plan"]["strategy"]["matrix"]["env"], both);
    assert_eq!(
        w["jobs"]["plan"]["environment"],
        "pcc-plan-${{ matrix.env }}"
    );
    assert_eq!(w["jobs"]["comment"]["strategy"]["matrix"]["env"], both);
    assert_eq!(w["jobs"]["drift"]["strategy"]["matrix"]["env"], both);
    let comment = w["jobs"]["comment"]["steps"][1]["with"]["script"]
        .as_str()
        .unwrap();
    assert!(
        comment.contains("`<!-- switchboard-plan:${environment} -->`")
            && comment.contains("updateComment"),
        "{comment}"
    );
    assert_eq!(w["jobs"]["apply-production"]["needs"], "apply-staging");
    assert_eq!(w["jobs"]["apply-staging"]["environment"], "pcc-staging");
    assert_eq!(
        w["jobs"]["apply-production"]["environment"],
        "pcc-production"
    );
    for (name, job) in w["jobs"].as_object().unwrap() {
        let text = serde_json::to_string(job).unwrap();
        if !text.contains("secrets.") {
            continue;
        }
        assert!(job.get("environment").is_some(), "{name} reads a secret");
        let permissions = job["permissions"].as_object().unwrap();
        assert!(
            permissions.values().all(|p| p == "read"),
            "{name} holds a key and a write token: {permissions:?}"
        );
    }
    // The plan step plans the matrix's environment and keeps its exit code for the comment.
    let plan = step(&w, "plan", "Plan");
    let changes = run(
        &plan,
        &[("FAKE_PLAN_EXIT", "2"), ("SWITCHBOARD_ENV", "staging")],
    );
    assert_eq!(changes.code, 0, "{}", changes.output);
    assert!(
        changes
            .log
            .contains("switchboard plan contact-center --detailed-exitcode")
    );
    let error = run(
        &plan,
        &[("FAKE_PLAN_EXIT", "1"), ("SWITCHBOARD_ENV", "staging")],
    );
    assert_eq!(error.code, 1);
    assert!(
        error
            .output
            .contains("switchboard plan failed for staging (exit 1)")
    );
    for job in ["apply-staging", "apply-production"] {
        let title = if job == "apply-staging" {
            "Plan and apply staging"
        } else {
            "Plan and apply production"
        };
        let script = step(&w, job, title);
        let applied = run(&script, &[("FAKE_PLAN_EXIT", "2")]);
        assert_eq!(applied.code, 0, "{}", applied.output);
        assert!(
            applied
                .log
                .contains("switchboard apply plan.json --auto-approve")
        );
        let none = run(&script, &[("FAKE_PLAN_EXIT", "0")]);
        assert!(!none.log.contains("switchboard apply"), "{}", none.log);
        let stale = run(
            &script,
            &[("FAKE_PLAN_EXIT", "2"), ("FAKE_APPLY_EXIT", "4")],
        );
        assert_eq!(stale.code, 4, "{job}");
    }
}

/// The `${secret.NAME}` names the files of `examples/two-envs` use.
fn secrets_of_the_two_envs_example() -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    let mut dirs = vec![root().join("examples/two-envs")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split("${secret.").skip(1) {
                names.insert(piece.split('}').next().unwrap().to_owned());
            }
        }
    }
    names
}

/// `${secret.NAME}` reads only `SWITCHBOARD_SECRET_NAME` (docs/security.md, "Substitution
/// cannot reach the runner's credentials"): every step of the environments templates that
/// runs switchboard on the spec passes each of the example's secrets under that name, and
/// none under its bare name (which switchboard would not read).
#[test]
fn the_environments_templates_pass_the_specs_secrets_under_their_prefixed_names() {
    let names = secrets_of_the_two_envs_example();
    assert!(names.contains("CRM_EVENTS_TOKEN"), "{names:?}");
    let w = yaml("examples/ci/github/switchboard-environments.yml");
    let mut checked = 0;
    for (job, body) in w["jobs"].as_object().unwrap() {
        for step in body["steps"].as_array().into_iter().flatten() {
            let run = step["run"].as_str().unwrap_or("");
            if !["validate", "plan", "apply", "drift"]
                .iter()
                .any(|c| run.contains(&format!("switchboard {c} ")))
            {
                continue;
            }
            checked += 1;
            for name in &names {
                assert!(
                    step["env"]
                        .get(format!("SWITCHBOARD_SECRET_{name}"))
                        .is_some(),
                    "{job}: step {} does not pass SWITCHBOARD_SECRET_{name}",
                    step["name"]
                );
                assert!(step["env"].get(name).is_none(), "{job}: bare {name}");
            }
        }
    }
    assert!(checked >= 5, "{checked} steps run switchboard");
    let g = yaml("examples/ci/gitlab/switchboard-environments.gitlab-ci.yml");
    for name in &names {
        // GitLab hands its CI/CD variables to the jobs by their own names (the template's
        // header says which to create); validate's placeholder stands in under the same.
        let prefixed = format!("SWITCHBOARD_SECRET_{name}");
        assert!(
            g["validate"]["variables"].get(&prefixed).is_some(),
            "{prefixed}"
        );
        assert!(
            g["validate"]["variables"].get(name).is_none(),
            "bare {name}"
        );
    }
}

/// The GitLab template for a spec with `environments:`: a plan job per environment, each in
/// its own GitLab environment (which scopes its key), one note per environment found by a
/// marker naming it and updated in place, staging applied on merge and production only after
/// it, by hand (a manual job that blocks the pipeline); the jobs that hold the API token
/// hold no key and run none of switchboard's commands.
#[test]
#[cfg_attr(
    no_jq,
    ignore = "jq not found when the tests were built ($JQ unset, none on PATH)"
)]
fn the_gitlab_environments_template_plans_every_environment_and_applies_in_order() {
    let g = yaml("examples/ci/gitlab/switchboard-environments.gitlab-ci.yml");
    for env in ["staging", "production"] {
        let plan = &g[format!("plan-{env}").as_str()];
        assert_eq!(plan["extends"], ".plan");
        assert_eq!(plan["variables"]["SWITCHBOARD_ENV"], env);
        assert_eq!(plan["environment"]["name"], format!("pcc-plan-{env}"));
        assert_eq!(plan["environment"]["action"], "access");
        let apply = &g[format!("apply-{env}").as_str()];
        assert_eq!(apply["variables"]["SWITCHBOARD_ENV"], env);
        assert_eq!(apply["environment"], format!("pcc-{env}"));
        let drift = &g[format!("drift-{env}").as_str()];
        assert_eq!(drift["environment"]["name"], format!("pcc-{env}"));
        // One project's applies and drift checks, one at a time.
        assert_eq!(apply["resource_group"], format!("pcc-{env}"));
        assert_eq!(drift["resource_group"], format!("pcc-{env}"));
    }
    assert_eq!(
        g["apply-production"]["needs"],
        serde_json::json!(["apply-staging"])
    );
    let gate = &g["apply-production"]["rules"][0];
    assert_eq!(gate["when"], "manual");
    assert_eq!(gate["allow_failure"], false, "the pipeline waits for it");
    assert!(g["apply-staging"]["rules"][0].get("when").is_none());
    assert_eq!(
        g["comment"]["needs"],
        serde_json::json!(["plan-staging", "plan-production"])
    );
    assert_eq!(g["comment"]["environment"]["name"], "switchboard-bot");
    assert_eq!(g["comment"]["before_script"], serde_json::json!([]));
    let comment = script_of(&g, "comment");
    assert!(!comment.contains("STRINGEE"));
    assert!(
        !comment
            .lines()
            .any(|l| l.trim_start().starts_with("switchboard ")),
        "the note job runs no switchboard command: {comment}"
    );
    for job in [".plan", ".apply", ".drift", "validate"] {
        let script = script_of(&g, job);
        assert!(!script.contains("GITLAB_API_TOKEN"), "{job}");
        if job != "validate" {
            assert!(script.contains("must be set"), "{job}");
        }
    }

    // The plan job plans its environment (SWITCHBOARD_ENV) into plans/ENV/.
    let plan = script_of(&g, ".plan");
    let changes = run(
        &plan,
        &[("FAKE_PLAN_EXIT", "2"), ("SWITCHBOARD_ENV", "staging")],
    );
    assert_eq!(changes.code, 0, "{}", changes.output);
    assert!(
        changes.log.contains(
            "switchboard plan contact-center --detailed-exitcode --format markdown --out \
             plans/staging/plan.json"
        ),
        "{}",
        changes.log
    );
    let error = run(
        &plan,
        &[("FAKE_PLAN_EXIT", "1"), ("SWITCHBOARD_ENV", "staging")],
    );
    assert_eq!(error.code, 1);
    let keyless = run(
        &plan,
        &[
            ("STRINGEE_API_KEY_SECRET", ""),
            ("SWITCHBOARD_ENV", "staging"),
        ],
    );
    assert_eq!(keyless.code, 1);
    assert!(!keyless.log.contains("switchboard plan"), "{}", keyless.log);

    // The notes: staging has changes and an old note (updated in place), production has none
    // and no note (nothing posted); then production changes (its own note, created).
    let env = [
        ("CI_API_V4_URL", "https://gitlab.example/api/v4"),
        ("CI_PROJECT_ID", "3"),
        ("CI_MERGE_REQUEST_IID", "9"),
        ("GITLAB_API_TOKEN", "glpat-test"),
    ];
    let post = |staging: &str, production: &str, notes: &str| {
        let plan_md = "Plan: 1 to add, 0 to change, 1 to destroy.\n";
        let (json_s, json_p) = (saved_plan(false), saved_plan(true));
        let files = [
            ("plans/staging/plan.exit", staging),
            ("plans/staging/plan.json", json_s.as_str()),
            ("plans/staging/plan.md", plan_md),
            ("plans/production/plan.exit", production),
            ("plans/production/plan.json", json_p.as_str()),
            ("plans/production/plan.md", plan_md),
        ];
        let mut env = env.to_vec();
        env.push(("FAKE_NOTES", notes));
        run_with(&comment, &env, &files)
    };
    let old = r#"[{"id": 41, "body": "<!-- switchboard-plan:staging -->\nold"},
                  {"id": 42, "body": "<!-- switchboard-plan -->\nanother template's"}]"#;
    // Each curl call that writes, whole (its JSON body spans lines).
    let writes_of = |log: &str| -> Vec<String> {
        let mut calls: Vec<String> = Vec::new();
        for line in log.lines() {
            match calls.last_mut() {
                Some(call) if !line.starts_with("curl ") && !line.starts_with("apt-get ") => {
                    call.push('\n');
                    call.push_str(line);
                }
                _ => calls.push(line.to_owned()),
            }
        }
        calls.retain(|c| c.starts_with("curl ") && c.contains("--request"));
        calls
    };
    let first = post("2", "0", old);
    assert_eq!(first.code, 0, "{}", first.output);
    let writes_1 = writes_of(&first.log);
    let writes: Vec<&str> = writes_1.iter().map(String::as_str).collect();
    assert_eq!(writes.len(), 1, "{}", first.log);
    assert!(
        writes[0].contains("--request PUT") && writes[0].contains("notes/41"),
        "{}",
        first.log
    );
    assert!(
        writes[0].contains(
            r"<!-- switchboard-plan:staging -->\n**switchboard plan for `staging`: changes to apply.**"
        ),
        "{}",
        first.log
    );
    let second = post("0", "2", old);
    assert_eq!(second.code, 0, "{}", second.output);
    let writes_2 = writes_of(&second.log);
    let writes: Vec<&str> = writes_2.iter().map(String::as_str).collect();
    assert_eq!(writes.len(), 2, "{}", second.log);
    // Staging's note now says so; production's is created, with its deletes called out.
    assert!(writes[0].contains("notes/41") && writes[0].contains("no changes."));
    assert!(writes[1].contains("--request POST"), "{}", second.log);
    assert!(
        writes[1].contains("<!-- switchboard-plan:production -->")
            && writes[1].contains("changes that **delete** live objects"),
        "{}",
        second.log
    );
    let broken = post("1", "0", "[]");
    assert_eq!(broken.code, 1);

    // Apply: a plan without changes applies nothing; a refused one keeps its exit code.
    let apply = script_of(&g, ".apply");
    let nothing = run(
        &apply,
        &[("FAKE_PLAN_EXIT", "0"), ("SWITCHBOARD_ENV", "production")],
    );
    assert_eq!(nothing.code, 0);
    assert!(!nothing.log.contains("switchboard apply"));
    let refused = run(
        &apply,
        &[
            ("FAKE_PLAN_EXIT", "2"),
            ("FAKE_APPLY_EXIT", "3"),
            ("SWITCHBOARD_ENV", "production"),
        ],
    );
    assert_eq!(refused.code, 3);
    assert!(
        refused
            .log
            .contains("switchboard apply plan.json --auto-approve")
    );
}
