//! Renderings of a plan: text (Terraform's style), JSON (versioned, Terraform's shape),
//! Markdown (pull-request comments), Mermaid (IVR trees, written from the [`diagram`] model
//! that the binary's DOT and SVG are written from too), and the drift report, which reads
//! the same plan as "what changed outside git".

mod blocks;
pub mod diagram;
mod drift;
mod flows;
mod json;
mod markdown;
mod mermaid;
mod text;

pub use diagram::{Chart, Diagram, TreeDiff, tree_diff};
pub use drift::{drift_json, drift_markdown, drift_text};
pub use flows::{end_json, flows_json, flows_markdown, flows_text};
pub use json::json;
pub use markdown::{MARKDOWN_LIMIT, markdown, markdown_with_limit};
pub use mermaid::{mermaid, mermaid_charts, mermaid_diagrams, mermaid_with_audio_names};
pub use text::text;

use std::fmt::Write;

use serde_json::{Map, Value};
use similar::{Algorithm, DiffTag, capture_diff_slices};
use spec::model::{AudioId, KeyAction};

use crate::object::Object;
use crate::plan::{Change, Plan};
use spec::Address;

/// The JSON format version of `render::json` and `render::drift_json`.
pub const JSON_FORMAT_VERSION: &str = "1.4";

/// ANSI styling, or none.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    pub color: bool,
}

impl Style {
    fn paint(self, code: &str, s: &str) -> String {
        if self.color && !s.is_empty() {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
    pub fn green(self, s: &str) -> String {
        self.paint("32", s)
    }
    pub fn red(self, s: &str) -> String {
        self.paint("31", s)
    }
    pub fn yellow(self, s: &str) -> String {
        self.paint("33", s)
    }
    pub fn bold(self, s: &str) -> String {
        self.paint("1", s)
    }
    pub fn dim(self, s: &str) -> String {
        self.paint("2", s)
    }
}

/// The field views of a change's two sides. A renamed object (`moved:`) shows its `name` on
/// both, since a rename is a change of name (which is otherwise in the address only).
pub(crate) fn sides(c: &Change<'_>) -> (Map<String, Value>, Map<String, Value>) {
    let mut before = c.before.map(Object::fields).unwrap_or_default();
    let mut after = c.after.map(Object::fields).unwrap_or_default();
    if let Some(from) = c.moved_from {
        let name = |a: &Address| match a {
            Address::Group(n) | Address::Queue(n) | Address::IvrTree(n) => n.clone(),
            other => other.name(),
        };
        before.insert("name".to_owned(), name(from).into());
        after.insert("name".to_owned(), name(c.address).into());
    }
    (before, after)
}

/// A field value as plans print it: strings quoted (JSON escapes), audio ids with the file's
/// name when the plan knows it.
pub(crate) fn value(field: &str, v: &Value, plan: &Plan) -> String {
    if let (true, Value::String(s)) = (is_audio_field(field), v)
        && let Ok(id) = s.parse::<AudioId>()
        && let Some(name) = plan.audio_names.get(&id)
    {
        return format!("{} ({})", quote(name), short_audio(&id));
    }
    match v {
        Value::String(s) => quote(s),
        // Item by item, each as a field of its own would show (a blacklist entry's `blocks`:
        // `["ivr", "queue"]`), so that a string in a list is escaped like any other.
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(|item| value(field, item, plan)).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

pub(crate) fn is_audio_field(field: &str) -> bool {
    matches!(field, "wait_greeting" | "hold_greeting" | "play")
}

// The Markdown sinks are `spec::text`'s, as every sink is.
pub(crate) use spec::text::{markdown_code, markdown_inline};

/// Something shown on a line of text for a terminal or a log (a name, an address, a reason
/// that quotes PCC): `spec::text::terminal` of how it displays.
pub(crate) fn terminal(shown: &impl std::fmt::Display) -> String {
    spec::text::terminal(&shown.to_string()).into_owned()
}

/// A string as a JSON string literal, with every control character and every other hazard of
/// `spec::text` escaped (JSON leaves DEL, the C1 controls and bidirectional controls raw, and
/// a terminal acts on them).
pub(crate) fn quote(s: &str) -> String {
    format!("\"{}\"", escape(s))
}

/// The inside of [`quote`]: quotes, backslashes and hazards (line breaks, terminal escapes,
/// bidirectional controls, invisible characters) written as JSON escapes, so that a value
/// stays on its line, cannot drive a terminal, and shows what it holds.
fn escape(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        let stray = spec::text::is_stray_joiner(
            i.checked_sub(1).map(|j| chars[j]),
            c,
            chars.get(i + 1).copied(),
        );
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if spec::text::is_hazard(c) || stray => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// `sha256:9f86d081…` or the server's file name.
pub(crate) fn short_audio(id: &AudioId) -> String {
    match id {
        AudioId::Sha256(hex) => format!("sha256:{}…", hex.get(..8).unwrap_or(hex)),
        AudioId::ServerFile(name) => format!("server:{name}"),
    }
}

/// True when two values are text long enough to be shown as a word diff.
pub(crate) fn is_long_text(a: &str, b: &str) -> bool {
    a.len().max(b.len()) > 30 || a.contains(char::is_whitespace) || b.contains(char::is_whitespace)
}

/// Splits text into words, runs of spaces, and single punctuation characters, so that a URL
/// (`https://crm.example.com/a?x=1`) diffs by its parts and a prompt by its words.
fn tokens(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let class = |c: char| {
        if c.is_alphanumeric() {
            0
        } else if c.is_whitespace() {
            1
        } else {
            2
        }
    };
    let mut prev: Option<u8> = None;
    for (i, c) in s.char_indices() {
        let k = class(c);
        if i > start && (prev != Some(k) || k == 2) {
            out.push(&s[start..i]);
            start = i;
        }
        prev = Some(k);
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// A word diff of `old` → `new`, git-style: `[-removed-]{+added+}`, coloured when asked.
pub(crate) fn word_diff(old: &str, new: &str, style: Style) -> String {
    let a = tokens(old);
    let b = tokens(new);
    let ops = capture_diff_slices(Algorithm::Myers, &a, &b);
    let mut out = String::new();
    for op in ops {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        let removed = escape(&a[old_range].concat());
        let added = escape(&b[new_range].concat());
        match tag {
            DiffTag::Equal => out.push_str(&removed),
            DiffTag::Delete => out.push_str(&style.red(&format!("[-{removed}-]"))),
            DiffTag::Insert => out.push_str(&style.green(&format!("{{+{added}+}}"))),
            DiffTag::Replace => {
                out.push_str(&style.red(&format!("[-{removed}-]")));
                out.push_str(&style.green(&format!("{{+{added}+}}")));
            }
        }
    }
    out
}

/// What a key does, in a few words: `goto english`, `queue support`, `forward 8490…`.
pub(crate) fn key_label(action: &KeyAction) -> String {
    match action {
        KeyAction::Goto { node } => format!("goto {node}"),
        KeyAction::Queue { queue } => format!("queue {queue}"),
        KeyAction::Forward { to, caller_id } => match caller_id {
            Some(id) => format!("forward {to} (caller id {id})"),
            None => format!("forward {to}"),
        },
        KeyAction::Hangup => "hang up".to_owned(),
    }
}

/// `Plan: A to add, C to change, D to destroy.`, and `; W wiring corrections` when the
/// PCC wiring needs any.
pub(crate) fn footer(plan: &Plan) -> String {
    let s = plan.summary();
    let rewires = plan.wiring.as_ref().map_or(0, |w| w.rewires.len());
    let wiring = match rewires {
        0 => String::new(),
        1 => "; 1 wiring correction".to_owned(),
        n => format!("; {n} wiring corrections"),
    };
    format!(
        "Plan: {} to add, {} to change, {} to destroy{wiring}.",
        s.add, s.change, s.destroy
    )
}

/// The title of a plan's wiring section: `PCC wiring (account API, project 24)`.
pub(crate) fn wiring_title(wiring: &crate::Wiring) -> String {
    format!("PCC wiring (account API, project {})", wiring.project_id)
}

/// A plan's wiring, one finding a line: `('~', "number 84…: answer_url is unset, should be
/// …")` for each URL to correct, `('!', …)` for each managed number the account does not list
/// in the project. Live URLs are shown redacted (they are [`spec::sensitive::Sensitive`]).
pub(crate) fn wiring_lines(plan: &Plan) -> Vec<(char, String)> {
    let Some(wiring) = &plan.wiring else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for rewire in &wiring.rewires {
        for change in &rewire.changes {
            out.push(('~', format!("{}: {change}", rewire.wired)));
        }
    }
    for digits in &wiring.unowned {
        out.push((
            '!',
            format!(
                "number {digits}: not one of project {}'s numbers in the account, so its \
                 wiring was not checked (buy it and assign it to the project, then plan again)",
                wiring.project_id
            ),
        ));
    }
    out
}

/// How many excluded objects a partial plan's notice names before it says "and N more".
const EXCLUDED_SHOWN: usize = 20;

/// What a partial plan says about itself, one sentence a line, every name passed through
/// `code` (backticks for text, [`markdown_code`] for Markdown); empty for a whole plan.
pub(crate) fn partial_lines(plan: &Plan, code: &dyn Fn(&str) -> String) -> Vec<String> {
    let Some(partial) = &plan.partial else {
        return Vec::new();
    };
    let list = |patterns: &[spec::Pattern]| {
        patterns
            .iter()
            .map(|p| code(p.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut what = Vec::new();
    if !partial.target.is_empty() {
        what.push(format!(
            "only --target {} and what it needs",
            list(&partial.target)
        ));
    }
    if !partial.exclude.is_empty() {
        what.push(format!(
            "without --exclude {} and what needs it",
            list(&partial.exclude)
        ));
    }
    let covered: usize = partial.covered.values().sum();
    let left: usize = partial.left_out.values().sum();
    let per_kind = partial
        .left_out
        .iter()
        .map(|(kind, n)| format!("{kind} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut lines = vec![
        format!("Partial plan: {}.", what.join(", ")),
        format!(
            "It covers {covered} object{} and leaves out {left} of the spec and the live read{}, \
             and whatever the live project holds that it did not read: changes there are not \
             shown, and `apply` of this plan does not make them.",
            if covered == 1 { "" } else { "s" },
            if per_kind.is_empty() {
                String::new()
            } else {
                format!(" ({per_kind})")
            }
        ),
    ];
    if !partial.excluded.is_empty() {
        let shown: Vec<String> = partial
            .excluded
            .iter()
            .take(EXCLUDED_SHOWN)
            .map(|a| code(&a.to_string()))
            .collect();
        let more = partial.excluded.len().saturating_sub(EXCLUDED_SHOWN);
        lines.push(format!(
            "Excluded: {}{}.",
            shown.join(", "),
            if more > 0 {
                format!(", and {more} more")
            } else {
                String::new()
            }
        ));
    }
    lines
}

/// A name in backticks, for text renderings (the binary escapes what reaches a terminal).
pub(crate) fn backticks(s: &str) -> String {
    format!("`{s}`")
}
