//! `validate --format sarif|junit|gitlab|github`, each checked against what its consumer
//! reads: the SARIF 2.1.0 JSON Schema (and GitHub code scanning's use of it: paths from the
//! repository root, regions, fingerprints), a JUnit XML parser with the structure GitLab and
//! Jenkins read, GitLab Code Quality's required fields; each with a snapshot. (The GitHub
//! format's escaping against hostile names is tested end to end, `tests/it/ci_formats.rs`.)

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::{root, stdout, switchboard};

/// crates/switchboard/tests/data/ci: `flows` (warnings, flow tests passing and failing),
/// `broken` (errors in two files, flow tests not run) and `allowed` (`lint:` makes a warning
/// an error and allows one of them).
fn data() -> PathBuf {
    root().join("crates/switchboard/tests/data/ci")
}

const DATA: &str = "crates/switchboard/tests/data/ci";

/// `validate FIXTURE --format FORMAT` from the repository root.
fn validate(fixture: &str, format: &str, extra: &[&str]) -> String {
    let path = format!("{DATA}/{fixture}");
    let mut args = vec!["validate", path.as_str(), "--format", format];
    args.extend_from_slice(extra);
    let output = switchboard(&root(), &args);
    let text = stdout(&output);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{fixture} has errors: {text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    text
}

#[test]
#[cfg_attr(
    any(no_check_jsonschema, no_sarif_schema),
    ignore = "check-jsonschema or the SARIF schema not found when the tests were built \
              ($CHECK_JSONSCHEMA / $SARIF_SCHEMA unset): run scripts/test, which installs them"
)]
fn sarif_passes_the_sarif_2_1_0_schema() {
    let schema = env!("SWITCHBOARD_TEST_SARIF_SCHEMA");
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for fixture in ["flows", "broken", "allowed"] {
        let file = dir.path().join(format!("{fixture}.sarif"));
        std::fs::write(&file, validate(fixture, "sarif", &[])).unwrap();
        files.push(file);
    }
    let check = |files: &[PathBuf]| {
        // The schema's one pattern that is not an ECMAScript regex (`run.language`'s stray
        // `]`, a defect of the published rtm.5 file, on a property switchboard never writes)
        // is read by Python's rules, where the `]` is a literal.
        Command::new(env!("SWITCHBOARD_TEST_CHECK_JSONSCHEMA"))
            .args(["--regex-variant", "python"])
            .arg("--schemafile")
            .arg(schema)
            .args(files)
            .output()
            .unwrap()
    };
    let out = check(&files);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // And the schema does reject a broken log: a result without its message.
    let bad = dir.path().join("bad.sarif");
    let mut log: Value =
        serde_json::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
    log["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    std::fs::write(&bad, log.to_string()).unwrap();
    assert!(
        !check(&[bad]).status.success(),
        "the schema passed a broken log"
    );
}

#[test]
fn sarif_has_a_rule_per_code_and_results_github_can_place() {
    let text = validate(
        "broken",
        "sarif",
        &["--docs-url", "https://example.com/docs/codes.md"],
    );
    let log: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let codes: Vec<&str> = spec::diagnostic::RULES.iter().map(|r| r.code).collect();
    assert_eq!(ids, codes, "one rule per code, in order");
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        assert_eq!(
            rule["helpUri"],
            format!("https://example.com/docs/codes.md#{id}")
        );
        // The help is the code's section of docs/codes.md, with its example and fix.
        let help = rule["help"]["markdown"].as_str().unwrap();
        assert!(
            help.contains("```yaml") && help.contains("Fix: "),
            "{id}: {help}"
        );
        assert!(
            !rule["shortDescription"]["text"]
                .as_str()
                .unwrap()
                .is_empty()
        );
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 4, "{text}");
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let location = &result["locations"][0]["physicalLocation"];
        // From the repository root, as code scanning maps them onto the diff.
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert!(uri.starts_with(&format!("{DATA}/broken/")), "{uri}");
        let region = &location["region"];
        assert!(region["startLine"].as_u64().unwrap() >= 1);
        assert!(region["endColumn"].as_u64() >= region["startColumn"].as_u64());
        assert_eq!(
            result["partialFingerprints"]["switchboard/v1"]
                .as_str()
                .unwrap()
                .len(),
            64
        );
    }
    // A duplicate points at the first definition too.
    let duplicate = results
        .iter()
        .find(|r| r["ruleId"] == "duplicate-name")
        .unwrap();
    assert_eq!(
        duplicate["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        format!("{DATA}/broken/people.yaml")
    );
    insta::assert_snapshot!("sarif_broken", validate("broken", "sarif", &[]));
}

#[test]
fn paths_are_from_the_repository_root_wherever_validate_runs() {
    let output = switchboard(&data(), &["validate", "broken", "--format", "gitlab"]);
    let issues: Value = serde_json::from_str(&stdout(&output)).unwrap();
    for issue in issues.as_array().unwrap() {
        let path = issue["location"]["path"].as_str().unwrap();
        assert!(path.starts_with(&format!("{DATA}/broken/")), "{path}");
    }
    // Outside any git work tree they stay relative to the working directory.
    let dir = tempfile::tempdir().unwrap();
    crate::copy(&data().join("broken"), &dir.path().join("cc"));
    let output = switchboard(dir.path(), &["validate", "./cc", "--format", "gitlab"]);
    let issues: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(issues[0]["location"]["path"], "cc/people.yaml");
}

/// GitLab Code Quality's fields (docs.gitlab.com, "Code Quality report format"): each issue
/// has `description`, `check_name`, `fingerprint` (unique in the report), `severity` (one of
/// five), `location.path` (relative) and `location.lines.begin`.
fn assert_code_quality(report: &Value) {
    let issues = report.as_array().expect("a JSON array of issues");
    let mut fingerprints = std::collections::BTreeSet::new();
    for issue in issues {
        for field in ["description", "check_name", "fingerprint"] {
            assert!(
                issue[field].as_str().is_some_and(|s| !s.is_empty()),
                "{field} in {issue}"
            );
        }
        assert!(
            ["info", "minor", "major", "critical", "blocker"]
                .contains(&issue["severity"].as_str().unwrap()),
            "{issue}"
        );
        let path = issue["location"]["path"].as_str().unwrap();
        assert!(!path.starts_with('/') && !path.starts_with("./"), "{path}");
        assert!(issue["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
        assert!(fingerprints.insert(issue["fingerprint"].as_str().unwrap().to_owned()));
    }
}

#[test]
fn gitlab_code_quality_has_its_fields_and_fingerprints_that_survive_line_shifts() {
    let text = validate("broken", "gitlab", &[]);
    let report: Value = serde_json::from_str(&text).unwrap();
    assert_code_quality(&report);
    let severities: Vec<&str> = report
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["severity"].as_str().unwrap())
        .collect();
    assert_eq!(severities, ["critical", "minor", "critical", "critical"]);
    insta::assert_snapshot!("gitlab_broken", text);

    // The same problems after lines are added above them: same fingerprints, other lines.
    let dir = tempfile::tempdir().unwrap();
    let cc = dir.path().join("cc");
    crate::copy(&data().join("broken"), &cc);
    let run = |dir: &Path| -> Vec<(String, u64)> {
        let output = switchboard(dir, &["validate", "cc", "--format", "gitlab"]);
        let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
        assert_code_quality(&report);
        report
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["fingerprint"].as_str().unwrap().to_owned(),
                    i["location"]["lines"]["begin"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let before = run(dir.path());
    assert_eq!(before, run(dir.path()), "stable across runs");
    for file in ["people.yaml", "queues.yaml"] {
        let path = cc.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("# a comment\n# and another\n{text}")).unwrap();
    }
    let after = run(dir.path());
    assert_eq!(before.len(), after.len());
    for ((print_before, line_before), (print_after, line_after)) in before.iter().zip(&after) {
        assert_eq!(print_before, print_after);
        assert_eq!(line_before + 2, *line_after);
    }
}

#[test]
fn junit_has_a_case_per_flow_test_and_problems_by_file() {
    let text = validate("flows", "junit", &[]);
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    let mut total = (0, 0, 0);
    for suite in &suites {
        assert_eq!(suite.tag_name().name(), "testsuite");
        let cases: Vec<_> = suite.children().filter(|n| n.is_element()).collect();
        let failures = cases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
            .count();
        let skipped = cases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name("skipped")))
            .count();
        let count = |name: &str| suite.attribute(name).unwrap().parse::<usize>().unwrap();
        assert_eq!(count("tests"), cases.len());
        assert_eq!(count("failures"), failures);
        assert_eq!(count("skipped"), skipped);
        assert_eq!(count("errors"), 0);
        total = (total.0 + cases.len(), total.1 + failures, total.2 + skipped);
        for case in &cases {
            assert_eq!(case.tag_name().name(), "testcase");
            for attribute in ["classname", "name", "file", "line"] {
                assert!(
                    case.attribute(attribute).is_some_and(|v| !v.is_empty()),
                    "{attribute} of {case:?}"
                );
            }
            if let Some(failure) = case.children().find(|n| n.has_tag_name("failure")) {
                assert!(failure.attribute("message").is_some());
                assert!(failure.attribute("type").is_some());
            }
        }
    }
    let count = |name: &str| root.attribute(name).unwrap().parse::<usize>().unwrap();
    assert_eq!((count("tests"), count("failures"), count("skipped")), total);

    // One case per flow test, named after it, the failing one with the caller's path.
    let flow = suites[0];
    assert_eq!(flow.attribute("name"), Some("flow tests"));
    let names: Vec<_> = flow
        .children()
        .filter(|n| n.is_element())
        .map(|c| c.attribute("name").unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "1 reaches sales",
            "2 reaches support",
            "842473082686, keys 2"
        ]
    );
    let failing = flow
        .children()
        .filter(|n| n.is_element())
        .nth(2)
        .unwrap()
        .children()
        .find(|n| n.has_tag_name("failure"))
        .expect("the third test fails");
    assert!(
        failing
            .attribute("message")
            .unwrap()
            .contains("path: main/menu [2] -> queue `support`"),
        "{failing:?}"
    );
    // Then the warnings of ivr.yaml, as cases that pass (they fail only with --strict).
    assert_eq!(
        suites[1].attribute("name"),
        Some(&*format!("{DATA}/flows/ivr.yaml"))
    );
    assert_eq!(suites[1].attribute("failures"), Some("0"));
    let strict = validate("flows", "junit", &["--strict"]);
    let doc = roxmltree::Document::parse(&strict).unwrap();
    let suite = doc
        .root_element()
        .children()
        .filter(|n| n.is_element())
        .nth(1)
        .unwrap();
    assert_eq!(suite.attribute("failures"), Some("2"));
    insta::assert_snapshot!("junit_flows", text);
    insta::assert_snapshot!("junit_broken", validate("broken", "junit", &[]));
}

#[test]
fn github_annotations_snapshot() {
    insta::assert_snapshot!("github_flows", validate("flows", "github", &[]));
}

/// A problem `lint.allow` accepted says so in every format, with the reason and where the
/// entry is; one `lint.rules` made an error says that too.
#[test]
fn every_format_says_which_rule_and_which_allow_applied() {
    let reason = "the Spanish menu repeats itself";
    let entry = format!("{DATA}/allowed/lint.yaml:4:7");

    let output = switchboard(
        &root(),
        &["validate", &format!("{DATA}/allowed"), "--format", "json"],
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "the raised warning is an error"
    );
    let json: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["errors"], 1);
    assert_eq!(json["warnings"], 0);
    let allowed = &json["allowed"][0];
    assert_eq!(allowed["code"], "no-fallback");
    assert_eq!(allowed["address"], "ivr_node.main/spanish");
    assert_eq!(allowed["allowed_by"]["reason"], reason);
    assert_eq!(allowed["allowed_by"]["address"], "ivr_node.main/spanish");
    assert_eq!(allowed["allowed_by"]["at"]["line"], 4);
    assert_eq!(json["diagnostics"][0]["set_by"]["line"], 2);

    let log: Value = serde_json::from_str(&validate("allowed", "sarif", &[])).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert!(results[0].get("suppressions").is_none());
    let suppression = &results[1]["suppressions"][0];
    assert_eq!(suppression["kind"], "inSource");
    assert_eq!(suppression["status"], "accepted");
    assert_eq!(suppression["justification"], reason);
    assert_eq!(
        suppression["location"]["physicalLocation"]["artifactLocation"]["uri"],
        format!("{DATA}/allowed/lint.yaml")
    );

    let github = validate("allowed", "github", &[]);
    let notice = github
        .lines()
        .find(|l| l.starts_with("::notice "))
        .expect("a notice");
    assert!(notice.contains("title=no-fallback (allowed)::"), "{notice}");
    // (A message escapes `%`, CR and LF only: the place reads as written.)
    assert!(
        notice.contains(&format!("%0Aallowed by `lint.allow` ({entry}): {reason}")),
        "{notice}"
    );
    assert!(github.starts_with("::error "), "{github}");
    assert!(
        github
            .lines()
            .next()
            .unwrap()
            .contains("set to error by `lint.rules`")
    );

    let report: Value = serde_json::from_str(&validate("allowed", "gitlab", &[])).unwrap();
    assert_eq!(report[1]["severity"], "info");
    assert!(
        report[1]["description"]
            .as_str()
            .unwrap()
            .ends_with(&format!("allowed by `lint.allow` ({entry}): {reason}"))
    );

    let junit = validate("allowed", "junit", &[]);
    let doc = roxmltree::Document::parse(&junit).unwrap();
    let skipped = doc
        .descendants()
        .find(|n| n.has_tag_name("skipped"))
        .expect("the allowed problem is a skipped case");
    assert_eq!(
        skipped.attribute("message"),
        Some(&*format!("allowed by `lint.allow` ({entry}): {reason}"))
    );
    insta::assert_snapshot!("github_allowed", github);
    insta::assert_snapshot!("junit_allowed", junit);
}
