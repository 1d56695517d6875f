//! Problems found in a spec, as data: what is wrong, where (file, byte range, line, column),
//! and how to fix it when that is known. Rendering belongs to the binary; `Display` here is a
//! compact plain form for logs and tests.

use std::fmt;
use std::ops::Range;

use serde::Serialize;

use crate::address::Address;

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
    /// The object the problem is about (`ivr_node.main/spanish`), when the check knows it:
    /// what `lint.allow` addresses match, and what CI fingerprints follow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// The `lint.rules` entry that set this diagnostic's severity (absent: its rule's
    /// default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_by: Option<Label>,
    /// The `lint.allow` entry that accepted this problem: such a diagnostic is in
    /// [`Loaded::allowed`](crate::Loaded::allowed), never among the problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_by: Option<Allowed>,
    /// Problems that follow from this one and go away with it, folded under it so that the
    /// cause comes first: a file whose shape is wrong is left out, and every reference to a
    /// name it declares is then unknown. Sorted like the top level; empty for most.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hidden: Vec<Diagnostic>,
}

/// The `lint.allow` entry that accepted a problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Allowed {
    /// Its rule.
    pub rule: &'static str,
    /// Its address pattern, as written.
    pub address: String,
    /// Why the problem is accepted, as written.
    pub reason: String,
    /// Where the entry is.
    pub at: Label,
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
        if let Some(set) = &self.set_by {
            write!(
                f,
                "\n  = note: set to {} by `lint.rules` at {}:{}:{}",
                self.severity, set.file, set.line, set.column
            )?;
        }
        if let Some(allowed) = &self.allowed_by {
            write!(
                f,
                "\n  = allowed by `lint.allow` at {}:{}:{}: {}",
                allowed.at.file, allowed.at.line, allowed.at.column, allowed.reason
            )?;
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
        if [code::SUBSTITUTION, code::SECRET_OUTSIDE_URL].contains(&self.code) {
            // The value kept its `${…}` text, which the other checks then saw.
            return Some(format!(
                "and {n} {what} of the value as written, `${{…}}` included, that this hides"
            ));
        }
        if self.code == code::SUBSTITUTION_IN_NAME {
            return Some(format!(
                "and {n} {what} of the name as written, `${{…}}` included, that this hides"
            ));
        }
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

/// What a rule is: its code, how bad its problems are unless `lint:` says otherwise, and
/// whether `lint:` may change that.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The code diagnostics carry (`no-fallback`).
    pub code: &'static str,
    /// The severity of its problems. A tunable rule's problems are warnings by default
    /// (`queue-without-agents` is an error where calls are sent to the queue: that instance
    /// is never lowered).
    pub default: Severity,
    /// Whether `lint.rules` may set its level and `lint.allow` may allow its problems. Rules
    /// whose problem makes a spec unappliable, or wrong when calls arrive (a dangling
    /// reference, a loop, a duplicate, an invalid value or name, a file that cannot be read,
    /// a failing flow test), are not.
    pub tunable: bool,
    summary: &'static str,
}

impl Rule {
    /// One sentence saying what the rule finds (the doc comment of its [`code`] constant).
    pub fn summary(&self) -> &'static str {
        self.summary.trim()
    }
}

/// The rule of `code`, if there is one.
pub fn rule(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.code == code)
}

/// Declares each rule once: its constant in [`code`] (the doc comment is its summary) and its
/// entry in [`RULES`], so that a code cannot exist without its entry.
macro_rules! rules {
    ($( $(#[doc = $doc:literal])+ $name:ident = $code:literal, $severity:ident, $tuning:ident; )+) => {
        /// The codes of every rule, so that tools can key off them. docs/codes.md describes
        /// each with an example and its fix.
        pub mod code {
            $( $(#[doc = $doc])+ pub const $name: &str = $code; )+
        }

        /// Every rule, in the order of [`code`].
        pub const RULES: &[Rule] = &[$(
            Rule {
                code: code::$name,
                default: Severity::$severity,
                tunable: rules!(@tunable $tuning),
                summary: concat!($($doc),+),
            },
        )+];
    };
    (@tunable tunable) => { true };
    (@tunable fixed) => { false };
}

rules! {
    /// YAML syntax, or a value of the wrong type.
    YAML = "yaml", Error, fixed;
    /// A key that does not exist at that place.
    UNKNOWN_KEY = "unknown-key", Error, fixed;
    /// A value outside a fixed list (`routing: phon`).
    UNKNOWN_VALUE = "unknown-value", Error, fixed;
    /// A required key is absent.
    MISSING_KEY = "missing-key", Error, fixed;
    /// Keys that cannot be used together (`say` and `play`, `goto` and `queue`).
    CONFLICTING_KEYS = "conflicting-keys", Error, fixed;
    /// `version` is not 1.
    VERSION = "version", Error, fixed;
    /// A name defined twice, in one file or across files.
    DUPLICATE_NAME = "duplicate-name", Error, fixed;
    /// A name, text or URL that must not be empty is empty.
    EMPTY_VALUE = "empty-value", Error, fixed;
    /// A name starts or ends with a space, or holds a control or invisible character: plans
    /// would show it looking like another name.
    INVALID_NAME = "invalid-name", Error, fixed;
    /// A reference to a queue, group, agent, node, tree or audio that does not exist.
    UNKNOWN_REFERENCE = "unknown-reference", Error, fixed;
    /// An IVR tree's `start` names no node of the tree.
    MISSING_START = "missing-start", Error, fixed;
    /// An IVR tree has no nodes.
    EMPTY_TREE = "empty-tree", Error, fixed;
    /// A loop between IVR nodes that is not declared with `back: true`.
    IVR_CYCLE = "ivr-cycle", Error, fixed;
    /// An IVR node no call can reach.
    UNREACHABLE_NODE = "unreachable-node", Warning, tunable;
    /// A key outside `0`-`9`, `*`, `#`, `timeout`, `invalid`.
    INVALID_KEY = "invalid-key", Error, fixed;
    /// The same key twice on one node.
    DUPLICATE_KEY = "duplicate-key", Error, fixed;
    /// A number outside its allowed range.
    OUT_OF_RANGE = "out-of-range", Error, fixed;
    /// A phone number that is not 3 to 15 digits.
    INVALID_NUMBER = "invalid-number", Error, fixed;
    /// An agent with `routing: phone` but no `phone_number`.
    MISSING_PHONE_NUMBER = "missing-phone-number", Error, fixed;
    /// A queue with no routing and no `get_list_agents_url` (an error when calls are sent to
    /// it, a warning otherwise).
    QUEUE_WITHOUT_AGENTS = "queue-without-agents", Warning, tunable;
    /// A number with both or neither of `ivr` and `queue`.
    NUMBER_ROUTE = "number-route", Error, fixed;
    /// A URL that is not http(s).
    INVALID_URL = "invalid-url", Error, fixed;
    /// An audio file that could not be read.
    AUDIO_FILE = "audio-file", Error, fixed;
    /// A `sha256` audio id that is not 64 lower-case hex digits.
    INVALID_SHA256 = "invalid-sha256", Error, fixed;
    /// Two audio names for the same content.
    DUPLICATE_AUDIO = "duplicate-audio", Warning, tunable;
    /// A flow test whose keys cannot be walked through the call flow.
    FLOW_TEST_PATH = "flow-test-path", Error, fixed;
    /// A flow test whose call ends somewhere else than `expect`.
    FLOW_TEST_FAILED = "flow-test-failed", Error, fixed;
    /// An `ignore` pattern or `safety.kinds` key naming no kind of object.
    UNKNOWN_KIND = "unknown-kind", Error, fixed;
    /// A group with no agents.
    EMPTY_GROUP = "empty-group", Warning, tunable;
    /// An agent listed twice in a group.
    DUPLICATE_MEMBER = "duplicate-member", Warning, tunable;
    /// An IVR tree that no number uses.
    UNUSED_TREE = "unused-tree", Warning, tunable;
    /// A menu with digit keys but neither `timeout` nor `invalid`, so callers who press
    /// nothing or a wrong key are hung up.
    NO_FALLBACK = "no-fallback", Warning, tunable;
    /// Timeout gotos that go round in a circle, so a silent caller is never let go.
    SILENT_LOOP = "silent-loop", Warning, tunable;
    /// `back: true` on a goto that makes no loop.
    BACK_WITHOUT_LOOP = "back-without-loop", Warning, tunable;
    /// A spec that declares nothing, whose plan deletes every live object.
    EMPTY_SPEC = "empty-spec", Warning, tunable;
    /// A queue whose groups have agents reached by phone, without
    /// `from_number_callout_to_agent`.
    MISSING_CALLOUT_NUMBER = "missing-callout-number", Warning, tunable;
    /// A `moved` entry that cannot be a rename: an address of a kind PCC cannot rename, two
    /// kinds, or the same address twice.
    INVALID_MOVE = "invalid-move", Error, fixed;
    /// A `moved` entry whose `from` is still declared in the spec.
    MOVED_FROM_DECLARED = "moved-from-declared", Error, fixed;
    /// Two `moved` entries with one `from` or one `to`.
    DUPLICATE_MOVE = "duplicate-move", Error, fixed;
    /// `moved` entries that chain (`a -> b`, `b -> c`) or go round in a circle.
    MOVE_CHAIN = "move-chain", Error, fixed;
    /// A PCC number written with a leading `0`, the national trunk prefix, where PCC numbers
    /// are written country code first.
    NATIONAL_NUMBER = "national-number", Warning, tunable;
    /// A `lint` setting or `allow` naming no rule.
    UNKNOWN_RULE = "unknown-rule", Error, fixed;
    /// A `lint` setting or `allow` for a rule whose problem makes the spec unappliable or
    /// wrong at run time, which cannot be lowered or allowed.
    FIXED_RULE = "fixed-rule", Error, fixed;
    /// A `lint.allow` entry that matches no problem.
    UNUSED_ALLOW = "unused-allow", Warning, tunable;
    /// A `${…}` that cannot be substituted: an unknown variable, an environment variable that
    /// is not set, no environment selected, or a malformed `${`.
    SUBSTITUTION = "substitution", Error, fixed;
    /// A `${…}` in a name or key, where nothing is substituted.
    SUBSTITUTION_IN_NAME = "substitution-in-name", Error, fixed;
    /// A `${secret.NAME}` in a value that is shown (anything but a webhook URL).
    SECRET_OUTSIDE_URL = "secret-outside-url", Error, fixed;
    /// An `environments:` entry that cannot be used: an include path outside the spec root or
    /// unreadable, `environments:` in an included file, an environment not declared.
    ENVIRONMENT = "environment", Error, fixed;
}
