//! `validate`'s results in the formats CI systems show inline: SARIF 2.1.0 for code scanning
//! ([`sarif`]), JUnit XML for test reports ([`junit`]), GitHub Actions workflow commands for
//! annotations ([`github`]) and GitLab Code Quality JSON ([`gitlab`]). docs/ci.md says what
//! shows where.
//!
//! Each format is built from [`Finding`]s: a diagnostic with its place as the CI system reads
//! it (a path relative to the repository root, start and end line and column) and a
//! fingerprint that stays the same from one run to the next while the problem does, even when
//! lines move above it.

pub mod github;
pub mod gitlab;
pub mod junit;
pub mod sarif;

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};
use spec::{Diagnostic, Loaded, Severity};

use crate::specfile::Sources;

/// One problem as a CI system places it.
#[derive(Debug)]
pub struct Finding<'a> {
    /// The diagnostic.
    pub diagnostic: &'a Diagnostic,
    /// Where it is: the first label's place.
    pub at: Place,
    /// The other labels' places, with their text.
    pub related: Vec<(Place, &'a str)>,
    /// Stable across runs: see [`fingerprints`].
    pub fingerprint: String,
    /// Where the `lint.allow` entry that accepted it is, when one did
    /// (`diagnostic.allowed_by`).
    pub allowed_at: Option<Place>,
    /// Where the `lint.rules` entry that set its severity is, when one did
    /// (`diagnostic.set_by`).
    pub set_at: Option<Place>,
}

/// A place in a file, as CI systems count: the path from the repository root (`/`
/// separated), 1-based lines and columns (columns in characters), the end exclusive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// From the repository root.
    pub path: String,
    /// First line.
    pub line: u32,
    /// First column.
    pub column: u32,
    /// Line of the end.
    pub end_line: u32,
    /// Column just after the end (equal to `column` for an empty span on one line).
    pub end_column: u32,
}

/// The findings of `loaded`: every top-level diagnostic, then every diagnostic `lint.allow`
/// accepted (problems folded under their cause are part of the cause's text, not findings of
/// their own: they go away with it). In the order `validate` reports them.
pub fn findings<'a>(loaded: &'a Loaded, sources: &Sources) -> Vec<Finding<'a>> {
    let root = Root::find();
    let texts: BTreeMap<&str, &str> = sources
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.text.as_str()))
        .collect();
    let place = |label: &spec::Label| {
        let (end_line, end_column) = texts
            .get(label.file.as_str())
            .and_then(|text| line_column(text, label.span.end))
            .filter(|&end| end >= (label.line, label.column))
            .unwrap_or((label.line, label.column));
        Place {
            path: root.relative(&label.file),
            line: label.line,
            column: label.column,
            end_line,
            end_column,
        }
    };
    let diagnostics: Vec<&Diagnostic> = loaded.diagnostics.iter().chain(&loaded.allowed).collect();
    let places: Vec<Place> = diagnostics.iter().map(|d| place(&d.labels[0])).collect();
    let prints = fingerprints(&diagnostics, &places);
    diagnostics
        .into_iter()
        .zip(places)
        .zip(prints)
        .map(|((diagnostic, at), fingerprint)| Finding {
            diagnostic,
            at,
            related: diagnostic.labels[1..]
                .iter()
                .map(|label| (place(label), label.text.as_str()))
                .collect(),
            fingerprint,
            allowed_at: diagnostic
                .allowed_by
                .as_ref()
                .map(|allowed| place(&allowed.at)),
            set_at: diagnostic.set_by.as_ref().map(place),
        })
        .collect()
}

/// The fingerprint of each diagnostic: the SHA-256 (hex) of its code and what it is about,
/// never its line, so that it survives lines added above it. What it is about is the object
/// the diagnostic names when it names one (its address: the fingerprint then survives a
/// move to another file and a reworded message too), else its file and message. Two
/// diagnostics that would share one (the same message twice in a file) are told apart by
/// their order.
pub fn fingerprints(diagnostics: &[&Diagnostic], places: &[Place]) -> Vec<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    diagnostics
        .iter()
        .zip(places)
        .map(|(diagnostic, place)| {
            let about = match &diagnostic.address {
                Some(address) => format!("address {address}"),
                None => format!("{}\n{}", place.path, diagnostic.message),
            };
            let base = format!("switchboard\n{}\n{about}", diagnostic.code);
            let n = seen.entry(base.clone()).or_default();
            *n += 1;
            let input = if *n == 1 {
                base
            } else {
                format!("{base}\n{n}")
            };
            hex(&Sha256::digest(input.as_bytes()))
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The 1-based line and column (in characters, a byte-order mark not counted) of byte
/// `offset` of `text`.
fn line_column(text: &str, offset: usize) -> Option<(u32, u32)> {
    let before = text.get(..offset)?;
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |at| at + 1);
    let column = before[start..].chars().filter(|&c| c != '\u{feff}').count() + 1;
    Some((u32::try_from(line).ok()?, u32::try_from(column).ok()?))
}

/// The repository the command runs in: the nearest directory, from the working directory
/// up, that holds a `.git` (a directory, or the file of a worktree); none outside a git
/// work tree, where paths stay relative to the working directory.
struct Root {
    cwd: PathBuf,
    repo: Option<PathBuf>,
}

impl Root {
    fn find() -> Root {
        let cwd = std::env::current_dir().unwrap_or_default();
        let repo = cwd
            .ancestors()
            .find(|dir| dir.join(".git").exists())
            .map(Path::to_path_buf);
        Root { cwd, repo }
    }

    /// `file` (as diagnostics name it: relative to the working directory, or absolute) from
    /// the repository root, `/` separated; as given when it is outside the repository.
    fn relative(&self, file: &str) -> String {
        let given = Path::new(file);
        let Some(repo) = &self.repo else {
            return slashed(&normal(given));
        };
        let absolute = normal(&self.cwd.join(given));
        match absolute.strip_prefix(repo) {
            Ok(inside) => slashed(inside),
            Err(_) => slashed(&normal(given)),
        }
    }
}

/// `path` with `.` left out and `..` applied, without touching the disk.
fn normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

fn slashed(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
        .replace("//", "/")
}

/// The message of a diagnostic with its help and what it hides, as one text (lines joined
/// with `\n`): for the formats that have one text field per problem.
pub fn full_text(diagnostic: &Diagnostic) -> String {
    let mut text = diagnostic.message.clone();
    if let Some(help) = &diagnostic.help {
        text.push_str(&format!("\nhelp: {help}"));
    }
    if let Some(note) = diagnostic.hidden_note() {
        text.push_str(&format!("\nnote: {note}:"));
        for hidden in &diagnostic.hidden {
            let label = &hidden.labels[0];
            text.push_str(&format!(
                "\n  {}:{}:{}: {}",
                label.file, label.line, label.column, hidden.message
            ));
        }
    }
    text
}

impl Finding<'_> {
    /// [`full_text`], then a `see also path:line:column: text` line per other place, and what
    /// `lint:` did to it.
    pub fn text(&self) -> String {
        let mut text = full_text(self.diagnostic);
        if let Some(at) = &self.set_at {
            text.push_str(&format!(
                "\nnote: set to {} by `lint.rules` ({})",
                self.diagnostic.severity,
                at.short()
            ));
        }
        if let Some(why) = self.allowed() {
            text.push('\n');
            text.push_str(&why);
        }
        for (place, label) in &self.related {
            text.push_str(&format!(
                "\nsee also {}:{}:{}",
                place.path, place.line, place.column
            ));
            if !label.is_empty() {
                text.push_str(&format!(": {label}"));
            }
        }
        text
    }
}

impl Finding<'_> {
    /// `allowed by `lint.allow` (path:line:column): reason`, for a problem `lint.allow`
    /// accepted.
    pub fn allowed(&self) -> Option<String> {
        let (allowed, at) = (
            self.diagnostic.allowed_by.as_ref()?,
            self.allowed_at.as_ref()?,
        );
        Some(format!(
            "allowed by `lint.allow` ({}): {}",
            at.short(),
            allowed.reason
        ))
    }
}

impl Place {
    /// `path:line:column`.
    pub fn short(&self) -> String {
        format!("{}:{}:{}", self.path, self.line, self.column)
    }
}

/// `error` or `warning`.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_and_skip_a_byte_order_mark() {
        let text = "\u{feff}a: é\nbé: x\n";
        assert_eq!(line_column(text, 3), Some((1, 1)));
        assert_eq!(line_column(text, text.find('x').unwrap()), Some((2, 5)));
        assert_eq!(line_column(text, text.len()), Some((3, 1)));
        assert_eq!(line_column(text, 1), None, "inside a character");
    }

    #[test]
    fn paths_are_taken_from_the_repository_root() {
        let root = Root {
            cwd: PathBuf::from("/repo/team"),
            repo: Some(PathBuf::from("/repo")),
        };
        assert_eq!(root.relative("spec/ivr.yaml"), "team/spec/ivr.yaml");
        assert_eq!(root.relative("./spec/../ivr.yaml"), "team/ivr.yaml");
        assert_eq!(root.relative("/repo/x/y.yaml"), "x/y.yaml");
        assert_eq!(root.relative("/elsewhere/y.yaml"), "/elsewhere/y.yaml");
        let outside = Root {
            cwd: PathBuf::from("/tmp"),
            repo: None,
        };
        assert_eq!(outside.relative("./spec/ivr.yaml"), "spec/ivr.yaml");
    }
}
