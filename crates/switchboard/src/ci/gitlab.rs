//! GitLab Code Quality: a JSON array of issues (`description`, `check_name`, `fingerprint`,
//! `severity`, `location.path`, `location.lines.begin`), which GitLab shows in the merge
//! request's widget and on its diff when a job publishes it as
//! `artifacts: reports: codequality:`.

use serde_json::{Value, json};
use spec::{Loaded, Severity};

use super::findings;
use crate::specfile::Sources;

/// The Code Quality report of `loaded`. Errors are `critical` (the spec cannot be planned),
/// warnings `minor`, problems `lint.allow` accepted `info` (their description ends with the
/// reason).
pub fn render(loaded: &Loaded, sources: &Sources) -> String {
    let issues: Vec<Value> = findings(loaded, sources)
        .iter()
        .map(|finding| {
            let diagnostic = finding.diagnostic;
            json!({
                "type": "issue",
                "check_name": diagnostic.code,
                "description": finding.text(),
                "categories": ["Bug Risk"],
                "severity": match (&diagnostic.allowed_by, diagnostic.severity) {
                    (Some(_), _) => "info",
                    (None, Severity::Error) => "critical",
                    (None, Severity::Warning) => "minor",
                },
                "fingerprint": finding.fingerprint,
                "location": {
                    "path": finding.at.path,
                    "lines": { "begin": finding.at.line, "end": finding.at.end_line },
                },
            })
        })
        .collect();
    let mut out = spec::text::json(
        serde_json::to_string_pretty(&Value::Array(issues)).expect("the report is JSON"),
    );
    out.push('\n');
    out
}
