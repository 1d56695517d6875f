//! A [`FlowReport`] as text (appended to the text plan), Markdown (appended to the
//! pull-request comment, within a size budget) and JSON (`flow_changes[]` and `flow_tests[]`,
//! merged into the JSON plan).

use std::fmt::Write;

use serde_json::{Value, json};
use spec::flow::End;
use spec::{Address, Expect};

use crate::flows::{Entry, FlowReport, NumberPaths, Outcome, TestRun};
use crate::render::{Style, markdown_inline, terminal};

/// The report as text, for the end of a text plan; empty when there is nothing to say (no
/// flow tests and no changed path).
pub fn flows_text(report: &FlowReport, color: bool) -> String {
    let style = Style { color };
    let mut out = String::new();
    if !report.numbers.is_empty() {
        let _ = writeln!(
            out,
            "{} (every path of up to {} keys, then silence; live -> spec):\n",
            style.bold("Caller paths that end elsewhere"),
            report.limits.depth
        );
        for n in &report.numbers {
            let _ = writeln!(out, "  {}", terminal(&number_title(n)));
            let width = n
                .changes
                .iter()
                .map(|c| c.keys().chars().count())
                .max()
                .unwrap_or(0);
            for c in &n.changes {
                let _ = writeln!(
                    out,
                    "    {} {:<width$}  {} -> {}",
                    style.yellow("~"),
                    terminal(&c.keys()),
                    terminal(&c.live),
                    terminal(&c.desired)
                );
            }
            if n.not_shown > 0 {
                let _ = writeln!(out, "    … and {} more", n.not_shown);
            }
            out.push('\n');
        }
    }
    if !report.tests.is_empty() {
        let _ = writeln!(out, "{}\n", tests_title(report, style));
        for run in &report.tests {
            if run.live.passed && run.desired.passed {
                continue;
            }
            // Not `+`/`-`: in a plan those mean create and delete.
            let mark = if run.desired.passed {
                style.green("✓")
            } else {
                style.red("✗")
            };
            let _ = writeln!(out, "  {mark} {}", terminal(&test_title(run)));
            let _ = writeln!(out, "      expected  {}", terminal(&run.test.expect));
            let _ = writeln!(out, "      live      {}", terminal(&verdict(&run.live)));
            let _ = writeln!(out, "      spec      {}", terminal(&verdict(&run.desired)));
        }
        if report
            .tests
            .iter()
            .any(|r| !(r.live.passed && r.desired.passed))
        {
            out.push_str("\n  ✓ passes with the spec (fails live), ✗ fails with the spec\n\n");
        }
    }
    out
}

fn number_title(n: &NumberPaths) -> String {
    let nickname = n
        .nickname
        .as_deref()
        .map(|s| format!(" ({s})"))
        .unwrap_or_default();
    let entry = if n.live == n.desired {
        n.desired.to_string()
    } else {
        format!("{} -> {}", n.live, n.desired)
    };
    let count = n.changes.len() + n.not_shown;
    let paths = if count == 1 { "path" } else { "paths" };
    let address = Address::Number(n.number.clone());
    format!("{address}{nickname}, {entry}: {count} {paths}")
}

fn tests_title(report: &FlowReport, style: Style) -> String {
    let total = report.tests.len();
    let pass_desired = report.tests.iter().filter(|r| r.desired.passed).count();
    let pass_live = report.tests.iter().filter(|r| r.live.passed).count();
    let tests = if total == 1 {
        "flow test"
    } else {
        "flow tests"
    };
    format!(
        "{}: {pass_desired} of {total} pass with the spec, {pass_live} of {total} pass live.",
        style.bold(&format!("{total} {tests}"))
    )
}

fn test_title(run: &TestRun) -> String {
    let keys = if run.test.keys.is_empty() {
        "no keys".to_owned()
    } else {
        format!("keys {}", run.test.keys)
    };
    match &run.test.name {
        Some(name) => format!("`{name}` ({}, {keys})", run.test.number),
        None => format!("{}, {keys}", run.test.number),
    }
}

fn verdict(o: &Outcome) -> String {
    let word = if o.passed { "passes" } else { "FAILS" };
    let unused = if o.unused_keys.is_empty() {
        String::new()
    } else {
        format!(" (keys {} never pressed)", o.unused_keys)
    };
    format!("{word}: {}{unused}", o.path)
}

/// The report as Markdown for a pull-request comment, at most `limit` bytes; empty when there
/// is nothing to say. Rows that do not fit are left out with a note.
pub fn flows_markdown(report: &FlowReport, limit: usize) -> String {
    let mut rows: Vec<String> = Vec::new();
    let mut out = String::new();
    if !report.numbers.is_empty() {
        let _ = write!(
            out,
            "#### Caller paths\n\n{} caller path{} end elsewhere (every path of up to {} keys on \
             every number, then silence):\n",
            report.paths_changed(),
            if report.paths_changed() == 1 { "" } else { "s" },
            report.limits.depth
        );
        for n in &report.numbers {
            rows.push(format!(
                "\n**{}**\n\n| keys | live | with this change |\n|---|---|---|\n",
                markdown_inline(&number_title(n))
            ));
            for c in &n.changes {
                rows.push(format!(
                    "| `{}` | {} | {} |\n",
                    c.keys(),
                    markdown_inline(&c.live.to_string()),
                    markdown_inline(&c.desired.to_string())
                ));
            }
            if n.not_shown > 0 {
                rows.push(format!("| … | {} more | |\n", n.not_shown));
            }
        }
    }
    if !report.tests.is_empty() {
        rows.push(format!(
            "\n#### Flow tests\n\n{}\n\n| | test | expected | live | with this change |\n|---|---|---|---|---|\n",
            markdown_inline(&tests_title(report, Style { color: false }))
        ));
        for run in &report.tests {
            let icon = match (run.live.passed, run.desired.passed) {
                (_, false) => "❌",
                (false, true) => "✅ fixed",
                (true, true) => "✅",
            };
            rows.push(format!(
                "| {icon} | {} | {} | {} | {} |\n",
                markdown_inline(&test_title(run)),
                markdown_inline(&run.test.expect.to_string()),
                markdown_inline(&verdict(&run.live)),
                markdown_inline(&verdict(&run.desired)),
            ));
        }
    }
    if out.is_empty() && rows.is_empty() {
        return out;
    }
    const NOTE_ROOM: usize = 200;
    let budget = limit.saturating_sub(NOTE_ROOM);
    let mut left_out = 0;
    for row in &rows {
        if left_out > 0 || out.len() + row.len() > budget {
            // Once one row does not fit, none after it is shown: a table never has a hole.
            // Only rows are counted; headers start with a blank line.
            left_out += usize::from(row.starts_with('|'));
            continue;
        }
        out.push_str(row);
    }
    if left_out > 0 {
        let _ = write!(
            out,
            "\n> [!WARNING]\n> {left_out} rows of caller paths and flow tests did not fit; \
             run `switchboard plan` for all of them.\n"
        );
    }
    out
}

/// The report as JSON, `{"flow_changes": [...], "flow_tests": [...]}`, for merging into the
/// JSON plan.
pub fn flows_json(report: &FlowReport) -> Value {
    let changes: Vec<Value> = report
        .numbers
        .iter()
        .map(|n| {
            let paths: Vec<Value> = n
                .changes
                .iter()
                .map(|c| {
                    json!({
                        "keys": c.keys(),
                        "dtmf": c.dtmf(),
                        "before_end": end_json(&c.live),
                        "after_end": end_json(&c.desired),
                        "before_path": c.live_path,
                        "after_path": c.desired_path,
                    })
                })
                .collect();
            json!({
                "address": Address::Number(n.number.clone()),
                "number": n.number,
                "nickname": n.nickname,
                "entry_before": entry_json(&n.live),
                "entry_after": entry_json(&n.desired),
                "paths_changed": paths,
                "paths_not_shown": n.not_shown,
            })
        })
        .collect();
    let tests: Vec<Value> = report
        .tests
        .iter()
        .map(|run| {
            let side = |o: &Outcome| {
                json!({
                    "passed": o.passed,
                    "end": end_json(&o.end),
                    "path": o.path,
                    "unused_keys": o.unused_keys,
                })
            };
            json!({
                "name": run.test.name,
                "number": run.test.number,
                "keys": run.test.keys,
                "expect": expect_json(&run.test.expect),
                "live": side(&run.live),
                "spec": side(&run.desired),
            })
        })
        .collect();
    json!({
        "flow_changes": changes,
        "flow_tests": tests,
        "flow_paths_depth": report.limits.depth,
    })
}

/// An end in the spec's `expect:` vocabulary: `{"queue": ...}`, `{"forward": ...}`,
/// `{"hangup": true}`, plus `{"loop": "tree/node"}` and `{"error": "..."}`.
pub fn end_json(end: &End) -> Value {
    match end {
        End::Queue(q) => json!({ "queue": q }),
        End::Forward { to, .. } => json!({ "forward": to }),
        End::Hangup => json!({ "hangup": true }),
        End::Loop { tree, node } => json!({ "loop": format!("{tree}/{node}") }),
        End::Error(err) => json!({ "error": err.to_string() }),
    }
}

fn expect_json(expect: &Expect) -> Value {
    match expect {
        Expect::Queue(q) => json!({ "queue": q }),
        Expect::Forward(to) => json!({ "forward": to }),
        Expect::Hangup => json!({ "hangup": true }),
    }
}

fn entry_json(entry: &Entry) -> Value {
    match entry {
        Entry::Absent => Value::Null,
        Entry::Nowhere => json!({ "nowhere": true }),
        Entry::Ivr(t) => json!({ "ivr": t }),
        Entry::Queue(q) => json!({ "queue": q }),
    }
}
