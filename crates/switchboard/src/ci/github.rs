//! GitHub Actions annotations: one `::error` or `::warning` workflow command per problem (a
//! `::notice` for one `lint.allow` accepted, with the reason), with its file, line, column,
//! end and code, which GitHub shows on the pull request's diff. Every
//! part is escaped by GitHub's rules when the command is written
//! ([`crate::output::WorkflowCommand`]), so a name, path or message from the spec can neither
//! end the command nor start another.

use spec::{Loaded, Severity};

use super::findings;
use crate::output::{CommandKind, WorkflowCommand};
use crate::specfile::Sources;

/// The annotations of `loaded`, then the summary line (`2 errors, 1 warning`) for the log.
pub fn render(loaded: &Loaded, sources: &Sources) -> (Vec<WorkflowCommand>, String) {
    let commands = findings(loaded, sources)
        .iter()
        .map(|finding| {
            let at = &finding.at;
            let diagnostic = finding.diagnostic;
            let message = finding.text();
            let title = match &diagnostic.allowed_by {
                Some(_) => format!("{} (allowed)", diagnostic.code),
                None => diagnostic.code.to_owned(),
            };
            WorkflowCommand {
                kind: match (&diagnostic.allowed_by, diagnostic.severity) {
                    (Some(_), _) => CommandKind::Notice,
                    (None, Severity::Error) => CommandKind::Error,
                    (None, Severity::Warning) => CommandKind::Warning,
                },
                properties: vec![
                    ("file", at.path.clone()),
                    ("line", at.line.to_string()),
                    ("col", at.column.to_string()),
                    ("endLine", at.end_line.to_string()),
                    ("endColumn", at.end_column.to_string()),
                    ("title", title),
                ],
                message,
            }
        })
        .collect();
    let summary = format!("{}\n", crate::specfile::summary(loaded));
    (commands, summary)
}
