//! Problems found in a spec, as data: what is wrong, where (file, byte range, line, column),
//! and how to fix it when that is known. Rendering belongs to the binary; `Display` here is a
//! compact plain form for logs and tests.

use std::fmt;
use std::ops::Range;

use serde::Serialize;

/// One problem in a spec.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// A stable identifier of the rule, from [`code`].
    pub code: &'static str,
    /// Errors make a spec invalid; warnings only with `--strict`.
    pub severity: Severity,
    /// What is wrong, naming things in backticks.
    pub message: String,
    /// Where. The first label is the primary one; there is always at least one.
    pub labels: Vec<Label>,
    /// How to fix it, when known.
    pub help: Option<String>,
    /// Problems that follow from this one and go away with it, folded under it so that the
    /// cause comes first: a file whose shape is wrong is left out, and every reference to a
    /// name it declares is then unknown. Sorted like the top level; empty for most.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hidden: Vec<Diagnostic>,
}

/// How bad a [`Diagnostic`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The spec is invalid.
    Error,
    /// Probably a mistake; fails `validate --strict`.
    Warning,
}

/// A place in a spec file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Label {
    /// The file, as given to [`crate::load`].
    pub file: String,
    /// Byte range in the file's text.
    pub span: Range<usize>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// What this place has to do with the problem (may be empty).
    pub text: String,
}

impl Diagnostic {
    /// True for [`Severity::Error`].
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// `error[code]: message`, then one `--> file:line:column: text` line per label, then
/// `= help: ...`.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]: {}", self.severity, self.code, self.message)?;
        for label in &self.labels {
            write!(f, "\n  --> {}:{}:{}", label.file, label.line, label.column)?;
            if !label.text.is_empty() {
                write!(f, ": {}", label.text)?;
            }
        }
        if let Some(help) = &self.help {
            write!(f, "\n  = help: {help}")?;
        }
        if let Some(note) = self.hidden_note() {
            write!(f, "\n  = note: {note}")?;
            for hidden in &self.hidden {
                let label = &hidden.labels[0];
                write!(
                    f,
                    "\n    {}:{}:{}: {}",
                    label.file, label.line, label.column, hidden.message
                )?;
            }
        }
        Ok(())
    }
}

impl Diagnostic {
    /// `and 14 references into `queues.yaml` that this hides`, when this hides any.
    pub fn hidden_note(&self) -> Option<String> {
        let n = self.hidden.len();
        if n == 0 {
            return None;
        }
        let file = &self.labels[0].file;
        let what = if self
            .hidden
            .iter()
            .all(|d| d.code == code::UNKNOWN_REFERENCE)
        {
            if n == 1 { "reference" } else { "references" }
        } else if n == 1 {
            "problem"
        } else {
            "problems"
        };
        Some(format!(
            "and {n} {what} into `{file}` that this hides (the file is left out until this is fixed)"
        ))
    }
}

/// Counts of errors and warnings, as in the summary line `2 errors, 1 warning`. Causes are
/// counted, not what they hide: `1 error, 0 warnings (and 14 problems it hides)`.
pub fn summary(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let hidden: usize = diagnostics.iter().map(|d| d.hidden.len()).sum();
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("1 {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let mut line = format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    );
    if hidden > 0 {
        let causes = diagnostics.iter().filter(|d| !d.hidden.is_empty()).count();
        let them = if causes == 1 { "it hides" } else { "they hide" };
        line.push_str(&format!(" (and {} {them})", plural(hidden, "problem")));
    }
    line
}

/// The codes of every rule, so that tools can key off them. docs/spec.md lists them with their
/// meaning.
pub mod code {
    /// YAML syntax, or a value of the wrong type.
    pub const YAML: &str = "yaml";
    /// A key that does not exist at that place.
    pub const UNKNOWN_KEY: &str = "unknown-key";
    /// A value outside a fixed list (`routing: phon`).
    pub const UNKNOWN_VALUE: &str = "unknown-value";
    /// A required key is absent.
    pub const MISSING_KEY: &str = "missing-key";
    /// Keys that cannot be used together (`say` and `play`, `goto` and `queue`).
    pub const CONFLICTING_KEYS: &str = "conflicting-keys";
    /// `version` is not 1.
    pub const VERSION: &str = "version";
    /// A name defined twice, in one file or across files.
    pub const DUPLICATE_NAME: &str = "duplicate-name";
    /// A name, text or URL that must not be empty is empty.
    pub const EMPTY_VALUE: &str = "empty-value";
    /// A name starts or ends with a space, or holds a control or invisible character: plans
    /// would show it looking like another name.
    pub const INVALID_NAME: &str = "invalid-name";
    /// A reference to a queue, group, agent, node, tree or audio that does not exist.
    pub const UNKNOWN_REFERENCE: &str = "unknown-reference";
    /// An IVR tree's `start` names no node of the tree.
    pub const MISSING_START: &str = "missing-start";
    /// An IVR tree has no nodes.
    pub const EMPTY_TREE: &str = "empty-tree";
    /// A loop between IVR nodes that is not declared with `back: true`.
    pub const IVR_CYCLE: &str = "ivr-cycle";
    /// An IVR node no call can reach (warning).
    pub const UNREACHABLE_NODE: &str = "unreachable-node";
    /// A key outside `0`-`9`, `*`, `#`, `timeout`, `invalid`.
    pub const INVALID_KEY: &str = "invalid-key";
    /// The same key twice on one node.
    pub const DUPLICATE_KEY: &str = "duplicate-key";
    /// A number outside its allowed range.
    pub const OUT_OF_RANGE: &str = "out-of-range";
    /// A phone number that is not 3 to 15 digits.
    pub const INVALID_NUMBER: &str = "invalid-number";
    /// An agent with `routing: phone` but no `phone_number`.
    pub const MISSING_PHONE_NUMBER: &str = "missing-phone-number";
    /// A queue with no routing and no `get_list_agents_url` (an error when calls are sent to
    /// it, a warning otherwise).
    pub const QUEUE_WITHOUT_AGENTS: &str = "queue-without-agents";
    /// A number with both or neither of `ivr` and `queue`.
    pub const NUMBER_ROUTE: &str = "number-route";
    /// A URL that is not http(s).
    pub const INVALID_URL: &str = "invalid-url";
    /// An audio file that could not be read.
    pub const AUDIO_FILE: &str = "audio-file";
    /// A `sha256` audio id that is not 64 lower-case hex digits.
    pub const INVALID_SHA256: &str = "invalid-sha256";
    /// Two audio names for the same content (warning).
    pub const DUPLICATE_AUDIO: &str = "duplicate-audio";
    /// A flow test whose keys cannot be walked through the call flow.
    pub const FLOW_TEST_PATH: &str = "flow-test-path";
    /// A flow test whose call ends somewhere else than `expect`.
    pub const FLOW_TEST_FAILED: &str = "flow-test-failed";
    /// An `ignore` pattern or `safety.kinds` key naming no kind of object.
    pub const UNKNOWN_KIND: &str = "unknown-kind";
    /// A group with no agents (warning).
    pub const EMPTY_GROUP: &str = "empty-group";
    /// An agent listed twice in a group (warning).
    pub const DUPLICATE_MEMBER: &str = "duplicate-member";
    /// An IVR tree that no number uses (warning).
    pub const UNUSED_TREE: &str = "unused-tree";
    /// A menu with digit keys but neither `timeout` nor `invalid`, so callers who press
    /// nothing or a wrong key are hung up (warning).
    pub const NO_FALLBACK: &str = "no-fallback";
    /// Timeout gotos that go round in a circle, so a silent caller is never let go (warning).
    pub const SILENT_LOOP: &str = "silent-loop";
    /// `back: true` on a goto that makes no loop (warning).
    pub const BACK_WITHOUT_LOOP: &str = "back-without-loop";
    /// A spec that declares nothing, whose plan deletes every live object (warning).
    pub const EMPTY_SPEC: &str = "empty-spec";
    /// A queue whose groups have agents reached by phone, without
    /// `from_number_callout_to_agent` (warning).
    pub const MISSING_CALLOUT_NUMBER: &str = "missing-callout-number";
    /// A `moved` entry that cannot be a rename: an address of a kind PCC cannot rename, two
    /// kinds, or the same address twice.
    pub const INVALID_MOVE: &str = "invalid-move";
    /// A `moved` entry whose `from` is still declared in the spec.
    pub const MOVED_FROM_DECLARED: &str = "moved-from-declared";
    /// Two `moved` entries with one `from` or one `to`.
    pub const DUPLICATE_MOVE: &str = "duplicate-move";
    /// `moved` entries that chain (`a -> b`, `b -> c`) or go round in a circle.
    pub const MOVE_CHAIN: &str = "move-chain";
    /// A PCC number written with a leading `0`, the national trunk prefix, where PCC numbers
    /// are written country code first (warning).
    pub const NATIONAL_NUMBER: &str = "national-number";
}
