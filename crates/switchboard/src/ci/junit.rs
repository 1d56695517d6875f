//! JUnit XML, the test report GitLab (`artifacts: reports: junit:`), Jenkins and most CI
//! systems read: a suite `flow tests` with one test case per flow test (named after the test,
//! the caller's path in its output or failure), then one suite per spec file holding its
//! problems, each a test case that fails (warnings fail only with `--strict`, as `validate`
//! does; a problem `lint.allow` accepted is skipped, with the reason).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use spec::{Loaded, Severity, TestOutcome, TestRun};

use super::findings;
use crate::specfile::Sources;

/// The suite that holds the flow tests.
const FLOW_TESTS: &str = "flow tests";

/// One test case, before it is written.
struct Case {
    classname: String,
    name: String,
    file: String,
    line: u32,
    outcome: Outcome,
}

enum Outcome {
    Passed {
        output: String,
    },
    Failed {
        kind: String,
        message: String,
        text: String,
    },
    Skipped {
        message: String,
    },
}

/// The JUnit document of `loaded`.
pub fn render(loaded: &Loaded, sources: &Sources, strict: bool) -> String {
    let findings = findings(loaded, sources);
    let mut suites: Vec<(String, Vec<Case>)> = Vec::new();
    suites.push((FLOW_TESTS.to_owned(), flow_tests(loaded)));
    // Problems by file, files in the order the spec's were read.
    let mut by_file: BTreeMap<usize, (String, Vec<Case>)> = BTreeMap::new();
    for finding in &findings {
        let diagnostic = finding.diagnostic;
        // A failing flow test is its own test case above.
        if is_flow_test(diagnostic.code) {
            continue;
        }
        let file = &diagnostic.labels[0].file;
        let order = sources
            .files
            .iter()
            .position(|f| &f.path == file)
            .unwrap_or(usize::MAX);
        let path = finding.at.path.clone();
        let cases = &mut by_file
            .entry(order)
            .or_insert_with(|| (path.clone(), Vec::new()))
            .1;
        let text = format!(
            "{}:{}:{}\n{}",
            path,
            finding.at.line,
            finding.at.column,
            finding.text()
        );
        let fails = diagnostic.severity == Severity::Error || strict;
        let outcome = match (finding.allowed(), fails) {
            (Some(message), _) => Outcome::Skipped { message },
            (None, true) => Outcome::Failed {
                kind: diagnostic.code.to_owned(),
                message: format!("{}: {}", diagnostic.severity, diagnostic.message),
                text,
            },
            (None, false) => Outcome::Passed {
                output: format!("warning: {text}"),
            },
        };
        cases.push(Case {
            classname: path.clone(),
            name: format!(
                "{} at {}:{}",
                diagnostic.code, finding.at.line, finding.at.column
            ),
            file: path,
            line: finding.at.line,
            outcome,
        });
    }
    suites.extend(by_file.into_values());
    write(&suites)
}

fn is_flow_test(code: &str) -> bool {
    code == spec::diagnostic::code::FLOW_TEST_FAILED
        || code == spec::diagnostic::code::FLOW_TEST_PATH
}

fn flow_tests(loaded: &Loaded) -> Vec<Case> {
    let root = super::Root::find();
    loaded
        .tests
        .iter()
        .map(|run: &TestRun| {
            let test = &run.test;
            let path = root.relative(&test.location.file);
            let name = match (&test.name, test.keys.as_str()) {
                (Some(name), _) => name.clone(),
                (None, "") => format!("{}, no keys", test.number),
                (None, keys) => format!("{}, keys {keys}", test.number),
            };
            let place = format!("{path}:{}:{}", test.location.line, test.location.column);
            let outcome = match &run.outcome {
                TestOutcome::Passed { path: walk } => Outcome::Passed {
                    output: format!("{place}\nexpected {}: path: {walk}", test.expect),
                },
                TestOutcome::Failed {
                    message,
                    path: walk,
                } => Outcome::Failed {
                    kind: "flow-test".to_owned(),
                    message: format!("{message} (path: {walk})"),
                    text: format!("{place}\n{message}\npath: {walk}"),
                },
                TestOutcome::NotRun => Outcome::Skipped {
                    message: "not run: flow tests run only when the rest of the spec has no \
                              errors"
                        .to_owned(),
                },
            };
            Case {
                classname: format!("{FLOW_TESTS}.{path}"),
                name,
                file: path,
                line: test.location.line,
                outcome,
            }
        })
        .collect()
}

fn write(suites: &[(String, Vec<Case>)]) -> String {
    let count = |cases: &[Case], which: fn(&Outcome) -> bool| {
        cases.iter().filter(|c| which(&c.outcome)).count()
    };
    let failed = |o: &Outcome| matches!(o, Outcome::Failed { .. });
    let skipped = |o: &Outcome| matches!(o, Outcome::Skipped { .. });
    let all: Vec<&Case> = suites.iter().flat_map(|(_, cases)| cases).collect();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"switchboard validate\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">",
        all.len(),
        all.iter().filter(|c| failed(&c.outcome)).count(),
        all.iter().filter(|c| skipped(&c.outcome)).count(),
    );
    for (name, cases) in suites {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">",
            xml(name),
            cases.len(),
            count(cases, failed),
            count(cases, skipped),
        );
        for case in cases {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\">",
                xml(&case.classname),
                xml(&case.name),
                xml(&case.file),
                case.line
            );
            match &case.outcome {
                Outcome::Passed { output } => {
                    let _ = write!(
                        out,
                        "\n      <system-out>{}</system-out>\n    ",
                        xml(output)
                    );
                }
                Outcome::Failed {
                    kind,
                    message,
                    text,
                } => {
                    let _ = write!(
                        out,
                        "\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    ",
                        xml(kind),
                        xml_attribute(message),
                        xml(text)
                    );
                }
                Outcome::Skipped { message } => {
                    let _ = write!(
                        out,
                        "\n      <skipped message=\"{}\"/>\n    ",
                        xml_attribute(message)
                    );
                }
            }
            out.push_str("</testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Text for an XML element: each line through `spec::text::html` (hazards shown as escapes,
/// characters XML forbids removed, markup characters as entities), line feeds kept.
fn xml(text: &str) -> String {
    text.split('\n')
        .map(spec::text::html)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Text for an XML attribute: as [`xml`], with line feeds as `&#10;` (an attribute's raw line
/// feed reads as a space).
fn xml_attribute(text: &str) -> String {
    text.split('\n')
        .map(spec::text::html)
        .collect::<Vec<_>>()
        .join("&#10;")
}
