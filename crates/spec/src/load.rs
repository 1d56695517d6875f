//! Loading a spec: YAML sources → raw types → one merged project → a validated [`Model`], with
//! every problem found reported as a [`Diagnostic`]. Never stops at the first problem: a file
//! that does not parse is skipped (one diagnostic), every other check runs on what did parse.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::{Diagnostic, Label, Severity, code};
use crate::flow::{self, End};
use crate::graph;
use crate::model::{
    Agent, AgentRouting, Audio, AudioId, CallSettings, DEFAULT_VOICE, Group, IvrNode, IvrTree, Key,
    KeyAction, Model, Number, NumberRoute, Prompt, Queue, Routing, Schedule,
};
use crate::policy::{KindSafety, Policy, Safety};
use crate::raw::{
    Map, RawAction, RawAgent, RawAgentRouting, RawAudio, RawGroup, RawNode, RawNumber, RawQueue,
    RawSchedule, RawSettings, RawSpec, RawTest, RawTree, Span, Spanned,
};

/// The kinds of object, as used in `ignore:` addresses (`agent.hr-*`) and `safety.kinds`.
pub const KINDS: [&str; 10] = [
    "agent",
    "audio",
    "group",
    "ivr_key",
    "ivr_node",
    "ivr_tree",
    "membership",
    "number",
    "queue",
    "routing",
];

/// One spec file: its path (as shown in diagnostics, relative to where the user ran the
/// command) and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The path shown in diagnostics.
    pub path: String,
    /// The file's contents.
    pub text: String,
}

/// What [`load`] found.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The spec, when there is no error (warnings allowed).
    pub spec: Option<Spec>,
    /// Every problem, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    /// Number of errors.
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    /// Number of warnings.
    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }
}

/// A valid spec: the desired model, its flow tests and its apply policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    /// The desired state.
    pub model: Model,
    /// The flow tests, in the order written (files in the order given).
    pub tests: Vec<FlowTest>,
    /// `ignore:` and `safety:`.
    pub policy: Policy,
}

/// A flow test: a caller dials `number`, presses `keys`, then stays silent; the call must end
/// as `expect` says. `load` runs them; a spec whose tests fail is invalid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowTest {
    /// The test's name, if it has one.
    pub name: Option<String>,
    /// The number dialled.
    pub number: String,
    /// The keys pressed (`0`-`9`, `*`, `#`).
    pub keys: String,
    /// Where the call must end.
    pub expect: Expect,
    /// Where the test is written.
    pub location: Location,
}

/// Where a flow test's call must end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// In this queue.
    Queue(String),
    /// Forwarded to this number.
    Forward(String),
    /// Hung up.
    Hangup,
}

impl Expect {
    /// True when a walk that ended in `end` meets this expectation.
    pub fn is_met_by(&self, end: &End) -> bool {
        match (self, end) {
            (Expect::Queue(want), End::Queue(got)) => want == got,
            (Expect::Forward(want), End::Forward { to, .. }) => want == to,
            (Expect::Hangup, End::Hangup) => true,
            _ => false,
        }
    }
}

impl std::fmt::Display for Expect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expect::Queue(queue) => write!(f, "queue `{queue}`"),
            Expect::Forward(to) => write!(f, "forward to `{to}`"),
            Expect::Hangup => f.write_str("hang up"),
        }
    }
}

/// A position in a spec file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// The file, as given to [`load`].
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// Loads a project from its files (one, or all the YAML files of a directory, in a stable
/// order). `audio` is given each `file:` path of the `audio:` section as written (relative to
/// the spec root) and answers the lower-case hex SHA-256 of the file's bytes, or why it could
/// not read it.
pub fn load(sources: &[Source], audio: &dyn Fn(&str) -> Result<String, String>) -> Loaded {
    let mut cx = Cx {
        sources,
        diagnostics: Vec::new(),
    };
    let raws: Vec<(usize, RawSpec)> = sources
        .iter()
        .enumerate()
        .filter_map(|(file, source)| parse(&mut cx, file, source).map(|raw| (file, raw)))
        .collect();
    let project = merge(&mut cx, &raws);

    let mut model = Model {
        settings: project
            .settings
            .map(|(file, raw)| lower_settings(&mut cx, file, raw)),
        ..Model::default()
    };
    let audio_names = lower_audio(&mut cx, &project, audio, &mut model);
    model.agents = lower_agents(&mut cx, &project);
    model.groups = lower_groups(&mut cx, &project);
    model.queues = lower_queues(&mut cx, &project, &audio_names);
    let (trees, graphs) = lower_ivr(&mut cx, &project, &audio_names);
    model.ivr = trees;
    model.numbers = lower_numbers(&mut cx, &project);
    check_queues(&mut cx, &project, &model, &graphs);
    check_unused_trees(&mut cx, &project);
    for tree in &graphs {
        graph::check(&mut cx, tree);
    }
    let tests = lower_tests(&mut cx, &project);
    let policy = lower_policy(&mut cx, &project);

    // Flow tests run only on a model without errors: on a broken model they would fail for
    // reasons already reported.
    if !cx.diagnostics.iter().any(Diagnostic::is_error) {
        run_tests(&mut cx, &project, &model, &tests);
    }

    let mut diagnostics = cx.diagnostics;
    diagnostics.sort_by(|a, b| {
        let key = |d: &Diagnostic| {
            let label = &d.labels[0];
            let file = sources.iter().position(|s| s.path == label.file);
            (file, label.line, label.column, d.severity, d.code)
        };
        key(a).cmp(&key(b)).then_with(|| a.message.cmp(&b.message))
    });
    let valid = !diagnostics.iter().any(Diagnostic::is_error);
    Loaded {
        spec: valid.then_some(Spec {
            model,
            tests,
            policy,
        }),
        diagnostics,
    }
}

/// A place in one of the sources.
#[derive(Clone, Copy, Debug)]
pub(crate) struct At {
    pub(crate) file: usize,
    pub(crate) span: Span,
}

impl At {
    pub(crate) fn of<T>(file: usize, spanned: &Spanned<T>) -> At {
        At {
            file,
            span: spanned.span,
        }
    }
}

/// The loader's working state: the sources (to turn positions into labels) and the problems
/// found so far.
pub(crate) struct Cx<'a> {
    pub(crate) sources: &'a [Source],
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl Cx<'_> {
    pub(crate) fn label(&self, at: At, text: impl Into<String>) -> Label {
        let source = &self.sources[at.file];
        let span = at.span;
        let line = span.line.max(1);
        let column = span.column.max(1);
        let (start, len) = span
            .bytes
            .unwrap_or_else(|| (byte_offset(&source.text, line, column), 0));
        let start = start.min(source.text.len());
        let end = (start + len).min(source.text.len());
        Label {
            file: source.path.clone(),
            span: start..end,
            line,
            column,
            text: text.into(),
        }
    }

    /// Records an error at `at`; returns it so that the caller can add labels or help.
    pub(crate) fn error(
        &mut self,
        code: &'static str,
        at: At,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> &mut Diagnostic {
        self.push(Severity::Error, code, at, message.into(), label.into())
    }

    /// Records a warning at `at`.
    pub(crate) fn warning(
        &mut self,
        code: &'static str,
        at: At,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> &mut Diagnostic {
        self.push(Severity::Warning, code, at, message.into(), label.into())
    }

    fn push(
        &mut self,
        severity: Severity,
        code: &'static str,
        at: At,
        message: String,
        label: String,
    ) -> &mut Diagnostic {
        let label = self.label(at, label);
        self.diagnostics.push(Diagnostic {
            code,
            severity,
            message,
            labels: vec![label],
            help: None,
        });
        self.diagnostics.last_mut().expect("just pushed")
    }

    /// Reports a reference to a `kind` that does not exist, suggesting the closest name.
    fn unknown<'n>(
        &mut self,
        kind: &str,
        section: &str,
        name: &str,
        at: At,
        names: impl IntoIterator<Item = &'n str>,
    ) {
        let help = match did_you_mean(name, names) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("define it under `{section}:`"),
        };
        self.error(
            code::UNKNOWN_REFERENCE,
            at,
            format!("{kind} `{name}` does not exist"),
            format!("no {kind} named `{name}`"),
        )
        .help = Some(help);
    }
}

/// The byte offset of a 1-based line and character column.
fn byte_offset(text: &str, line: u32, column: u32) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line as usize - 1)
        .map(str::len)
        .sum();
    let rest = &text[line_start.min(text.len())..];
    line_start
        + rest
            .char_indices()
            .nth(column as usize - 1)
            .map_or(rest.len(), |(i, _)| i)
}

/// The candidate closest to `name`, if it is close enough to be a likely typo.
pub(crate) fn did_you_mean<'n>(
    name: &str,
    candidates: impl IntoIterator<Item = &'n str>,
) -> Option<&'n str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(name, candidate), candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, candidate)| candidate)
}

fn backticked(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------------------------
// Parsing

fn parse(cx: &mut Cx<'_>, file: usize, source: &Source) -> Option<RawSpec> {
    let options = serde_saphyr::options! {
        // Duplicates reach our `Map`, which reports them with both places.
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
    };
    let raw: RawSpec = match serde_saphyr::from_str_with_options(&source.text, options) {
        Ok(raw) => raw,
        Err(err) => {
            report_parse_error(cx, file, &err);
            return None;
        }
    };
    if let Some(version) = &raw.version
        && version.value != 1
    {
        cx.error(
            code::VERSION,
            At::of(file, version),
            format!("spec version {} is not supported", version.value),
            "unsupported version",
        )
        .help = Some("this switchboard reads `version: 1`".to_owned());
    }
    Some(raw)
}

fn report_parse_error(cx: &mut Cx<'_>, file: usize, err: &serde_saphyr::Error) {
    use serde_saphyr::{Error, MessageFormatter, UserMessageFormatter};

    let at = At {
        file,
        span: Span::of_error(err),
    };
    let inner = err.without_snippet();
    match inner {
        Error::SerdeUnknownField {
            field, expected, ..
        } => {
            let diagnostic = cx.error(
                code::UNKNOWN_KEY,
                at,
                format!("unknown key `{field}`"),
                "unknown key",
            );
            diagnostic.help = Some(expected_help(field, expected));
        }
        Error::SerdeUnknownVariant {
            variant, expected, ..
        } => {
            let diagnostic = cx.error(
                code::UNKNOWN_VALUE,
                at,
                format!("unknown value `{variant}`"),
                "unknown value",
            );
            diagnostic.help = Some(expected_help(variant, expected));
        }
        Error::SerdeMissingField { field, .. } => {
            cx.error(
                code::MISSING_KEY,
                at,
                format!("missing key `{field}`"),
                format!("`{field}` is required here"),
            );
        }
        other => {
            let message = UserMessageFormatter.format_message(other);
            // The parser may quote the input; keep control characters out of terminals.
            let message: String = friendlier(&message)
                .unwrap_or(&message)
                .chars()
                .flat_map(|c| {
                    let escaped: Vec<char> = if c.is_control() {
                        c.escape_default().collect()
                    } else {
                        vec![c]
                    };
                    escaped
                })
                .collect();
            cx.error(code::YAML, at, message, "here");
        }
    }
}

fn expected_help(found: &str, expected: &[&str]) -> String {
    match did_you_mean(found, expected.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!("expected one of {}", backticked(expected)),
    }
}

/// Plainer words for the parser's messages about numbers.
fn friendlier(message: &str) -> Option<&'static str> {
    Some(match message {
        "invalid u32" | "invalid u64" => "expected a whole number, 0 or more",
        "invalid i32" | "invalid i64" => "expected a whole number",
        "expected string scalar" => "expected a single value, not a list or mapping",
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// Merging the files into one project

/// A named definition: where its name is written and its value.
struct Def<'r, T> {
    file: usize,
    key: &'r Spanned<String>,
    value: &'r Spanned<T>,
}

impl<T> Def<'_, T> {
    fn key_at(&self) -> At {
        At::of(self.file, self.key)
    }

    fn at<U>(&self, spanned: &Spanned<U>) -> At {
        At::of(self.file, spanned)
    }
}

/// Every file's sections, merged, each name once.
struct Project<'r> {
    settings: Option<(usize, &'r Spanned<RawSettings>)>,
    audio: BTreeMap<String, Def<'r, RawAudio>>,
    agents: BTreeMap<String, Def<'r, RawAgent>>,
    groups: BTreeMap<String, Def<'r, RawGroup>>,
    queues: BTreeMap<String, Def<'r, RawQueue>>,
    ivr: BTreeMap<String, Def<'r, RawTree>>,
    numbers: BTreeMap<String, Def<'r, RawNumber>>,
    tests: Vec<(usize, &'r Spanned<RawTest>)>,
    ignore: Vec<(usize, &'r Spanned<String>)>,
    safety: Option<(usize, &'r Spanned<crate::raw::RawSafety>)>,
}

fn merge<'r>(cx: &mut Cx<'_>, raws: &'r [(usize, RawSpec)]) -> Project<'r> {
    let settings = single(
        cx,
        "settings",
        raws.iter().map(|(f, r)| (*f, r.settings.as_ref())),
    );
    let safety = single(
        cx,
        "safety",
        raws.iter().map(|(f, r)| (*f, r.safety.as_ref())),
    );
    Project {
        settings,
        audio: collect(
            cx,
            "audio",
            raws.iter().map(|(f, r)| (*f, r.audio.as_ref())),
        ),
        agents: collect(
            cx,
            "agent",
            raws.iter().map(|(f, r)| (*f, r.agents.as_ref())),
        ),
        groups: collect(
            cx,
            "group",
            raws.iter().map(|(f, r)| (*f, r.groups.as_ref())),
        ),
        queues: collect(
            cx,
            "queue",
            raws.iter().map(|(f, r)| (*f, r.queues.as_ref())),
        ),
        ivr: collect(
            cx,
            "ivr tree",
            raws.iter().map(|(f, r)| (*f, r.ivr.as_ref())),
        ),
        numbers: collect(
            cx,
            "number",
            raws.iter().map(|(f, r)| (*f, r.numbers.as_ref())),
        ),
        tests: raws
            .iter()
            .flat_map(|(f, r)| r.tests.iter().flatten().map(move |t| (*f, t)))
            .collect(),
        ignore: raws
            .iter()
            .flat_map(|(f, r)| r.ignore.iter().flatten().map(move |p| (*f, p)))
            .collect(),
        safety,
    }
}

/// A section that may appear in one file only.
fn single<'r, T>(
    cx: &mut Cx<'_>,
    section: &str,
    found: impl Iterator<Item = (usize, Option<&'r Spanned<T>>)>,
) -> Option<(usize, &'r Spanned<T>)> {
    let mut first: Option<(usize, &'r Spanned<T>)> = None;
    for (file, value) in found {
        let Some(value) = value else { continue };
        match first {
            None => first = Some((file, value)),
            Some((first_file, first_value)) => {
                let also = cx.label(At::of(first_file, first_value), "first defined here");
                let diagnostic = cx.error(
                    code::DUPLICATE_NAME,
                    At::of(file, value),
                    format!("`{section}` is defined twice"),
                    "defined again here",
                );
                diagnostic.labels.push(also);
                diagnostic.help = Some(format!("keep one `{section}:` section in the project"));
            }
        }
    }
    first
}

/// Named definitions from every file; a name written twice (in one file or two) is an error
/// that points at both, and the first definition is kept.
fn collect<'r, T, K: 'r>(
    cx: &mut Cx<'_>,
    kind: &str,
    maps: impl Iterator<Item = (usize, Option<&'r Map<Spanned<T>, K>>)>,
) -> BTreeMap<String, Def<'r, T>> {
    let mut defs: BTreeMap<String, Def<'r, T>> = BTreeMap::new();
    for (file, map) in maps {
        for (key, value) in map.iter().flat_map(|m| &m.entries) {
            if key.value.is_empty() {
                cx.error(
                    code::EMPTY_VALUE,
                    At::of(file, key),
                    format!("{kind} name is empty"),
                    "empty name",
                );
                continue;
            }
            if let Some(first) = defs.get(&key.value) {
                let also = cx.label(first.key_at(), "first defined here");
                let same_file = first.file == file;
                let diagnostic = cx.error(
                    code::DUPLICATE_NAME,
                    At::of(file, key),
                    format!("{kind} `{}` is defined twice", key.value),
                    "defined again here",
                );
                diagnostic.labels.push(also);
                if !same_file {
                    diagnostic.help =
                        Some("names must be unique across all the files of a project".to_owned());
                }
                continue;
            }
            defs.insert(key.value.clone(), Def { file, key, value });
        }
    }
    defs
}

// ---------------------------------------------------------------------------------------------
// Lowering each section, checking values as we go

fn lower_settings(cx: &mut Cx<'_>, file: usize, raw: &Spanned<RawSettings>) -> CallSettings {
    let raw = &raw.value;
    let mut settings = CallSettings {
        event_url: url(cx, file, raw.event_url.as_ref()),
        get_customer_info_url: url(cx, file, raw.get_customer_info_url.as_ref()),
        callout_answer_url: url(cx, file, raw.callout_answer_url.as_ref()),
        ..CallSettings::default()
    };
    if let Some(timeout) = &raw.get_customer_info_timeout_ms {
        at_least(cx, file, timeout, 1, "get_customer_info_timeout_ms");
        settings.get_customer_info_timeout_ms = timeout.value;
    }
    settings
}

/// An optional URL: empty means unset; anything else must be http(s).
fn url(cx: &mut Cx<'_>, file: usize, raw: Option<&Spanned<String>>) -> Option<String> {
    let raw = raw?;
    let value = raw.value.trim();
    if value.is_empty() {
        return None;
    }
    let lower = value.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    let host_ok = rest.is_some_and(|rest| {
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        !host.is_empty() && !rest.contains(char::is_whitespace)
    });
    if !host_ok {
        cx.error(
            code::INVALID_URL,
            At::of(file, raw),
            format!("`{}` is not an http(s) URL", raw.value),
            "not an http(s) URL",
        )
        .help = Some("PCC calls webhooks over HTTP: write `https://host/path`".to_owned());
    }
    Some(raw.value.clone())
}

fn at_least<T: Copy + PartialOrd + std::fmt::Display>(
    cx: &mut Cx<'_>,
    file: usize,
    value: &Spanned<T>,
    min: T,
    field: &str,
) {
    if value.value < min {
        cx.error(
            code::OUT_OF_RANGE,
            At::of(file, value),
            format!("`{field}` is {}, it must be at least {min}", value.value),
            format!("at least {min}"),
        );
    }
}

/// Checks a phone number: digits only, 3 to 15 of them (E.164 without `+`, or a short code).
fn phone(cx: &mut Cx<'_>, file: usize, raw: &Spanned<String>, what: &str) {
    phone_at(cx, At::of(file, raw), &raw.value, what);
}

fn phone_at(cx: &mut Cx<'_>, at: At, value: &str, what: &str) {
    let digits_only = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    if digits_only && (3..=15).contains(&value.len()) {
        return;
    }
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    let punctuated = value
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'));
    let (label, help) = if digits_only {
        (
            "3 to 15 digits",
            "a phone number has 3 to 15 digits".to_owned(),
        )
    } else if punctuated && (3..=15).contains(&digits.len()) {
        (
            "digits only",
            format!("write digits only, country code first: `{digits}`"),
        )
    } else {
        (
            "digits only",
            "a phone number is digits only, country code first, no `+`".to_owned(),
        )
    };
    cx.error(
        code::INVALID_NUMBER,
        at,
        format!("{what} is not a phone number: `{value}`"),
        label,
    )
    .help = Some(help);
}

fn non_empty(cx: &mut Cx<'_>, file: usize, raw: &Spanned<String>, what: &str) {
    if raw.value.trim().is_empty() {
        cx.error(
            code::EMPTY_VALUE,
            At::of(file, raw),
            format!("{what} is empty"),
            "empty",
        );
    }
}

/// Audio: fills `model.audio` and answers name → id for the sections that refer to audio.
fn lower_audio(
    cx: &mut Cx<'_>,
    project: &Project<'_>,
    hash: &dyn Fn(&str) -> Result<String, String>,
    model: &mut Model,
) -> BTreeMap<String, AudioId> {
    let mut names = BTreeMap::new();
    let mut first_name: BTreeMap<AudioId, &Def<'_, RawAudio>> = BTreeMap::new();
    for (name, def) in &project.audio {
        let raw = &def.value.value;
        let given: Vec<(&str, &Spanned<String>)> = [
            ("file", raw.file.as_ref()),
            ("server_file", raw.server_file.as_ref()),
            ("sha256", raw.sha256.as_ref()),
        ]
        .into_iter()
        .filter_map(|(key, value)| value.map(|v| (key, v)))
        .collect();
        let (id, file) = match given.as_slice() {
            [] => {
                cx.error(
                    code::MISSING_KEY,
                    def.key_at(),
                    format!("audio `{name}` says nowhere where its sound is"),
                    "no `file`, `server_file` or `sha256`",
                )
                .help = Some("write `{ file: audio/name.mp3 }` to upload a file".to_owned());
                continue;
            }
            [(key, value)] => {
                non_empty(cx, def.file, value, &format!("audio `{name}`: `{key}`"));
                match *key {
                    "file" => match hash(&value.value) {
                        Ok(hex) => (AudioId::Sha256(hex), Some(value.value.clone())),
                        Err(why) => {
                            cx.error(
                                code::AUDIO_FILE,
                                def.at(value),
                                format!("cannot read audio file `{}`: {why}", value.value),
                                "cannot read this file",
                            )
                            .help = Some(
                                "audio paths are relative to the spec root (the file or directory validated)"
                                    .to_owned(),
                            );
                            continue;
                        }
                    },
                    "server_file" => (AudioId::ServerFile(value.value.clone()), None),
                    _ => {
                        let hex = &value.value;
                        if hex.len() != 64
                            || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
                        {
                            cx.error(
                                code::INVALID_SHA256,
                                def.at(value),
                                format!("`{hex}` is not a SHA-256"),
                                "not 64 lower-case hex digits",
                            );
                        }
                        (AudioId::Sha256(hex.clone()), None)
                    }
                }
            }
            [(first, _), (second, value), ..] => {
                cx.error(
                    code::CONFLICTING_KEYS,
                    def.at(value),
                    format!("audio `{name}` has both `{first}` and `{second}`"),
                    "one of these only",
                );
                continue;
            }
        };
        if let Some(other) = first_name.get(&id) {
            let also = cx.label(other.key_at(), "same content");
            let diagnostic = cx.warning(
                code::DUPLICATE_AUDIO,
                def.key_at(),
                format!("audio `{name}` is the same sound as `{}`", other.key.value),
                "same content as another name",
            );
            diagnostic.labels.push(also);
            diagnostic.help = Some("use one name for it".to_owned());
        } else {
            first_name.insert(id.clone(), def);
            model.audio.insert(
                id.clone(),
                Audio {
                    name: name.clone(),
                    file,
                },
            );
        }
        names.insert(name.clone(), id);
    }
    names
}

/// Resolves an audio name.
fn audio_ref(
    cx: &mut Cx<'_>,
    project: &Project<'_>,
    names: &BTreeMap<String, AudioId>,
    file: usize,
    raw: &Spanned<String>,
) -> Option<AudioId> {
    match names.get(&raw.value) {
        Some(id) => Some(id.clone()),
        None => {
            if !project.audio.contains_key(&raw.value) {
                cx.unknown(
                    "audio",
                    "audio",
                    &raw.value,
                    At::of(file, raw),
                    project.audio.keys().map(String::as_str),
                );
            }
            None
        }
    }
}

fn lower_agents(cx: &mut Cx<'_>, project: &Project<'_>) -> BTreeMap<String, Agent> {
    let mut agents = BTreeMap::new();
    for (id, def) in &project.agents {
        let raw = &def.value.value;
        let routing = match raw.routing.as_ref().map(|r| r.value) {
            None | Some(RawAgentRouting::App) => AgentRouting::App,
            Some(RawAgentRouting::Phone) => AgentRouting::Phone,
        };
        if let Some(name) = &raw.name {
            non_empty(cx, def.file, name, &format!("agent `{id}`: `name`"));
        }
        if let Some(number) = &raw.phone_number {
            phone(
                cx,
                def.file,
                number,
                &format!("`phone_number` of agent `{id}`"),
            );
        }
        if routing == AgentRouting::Phone && raw.phone_number.is_none() {
            let at = raw.routing.as_ref().map_or(def.key_at(), |r| def.at(r));
            cx.error(
                code::MISSING_PHONE_NUMBER,
                at,
                format!("agent `{id}` is reached by phone but has no `phone_number`"),
                "needs `phone_number`",
            )
            .help = Some("add `phone_number: \"84...\"`, or use `routing: app`".to_owned());
        }
        agents.insert(
            id.clone(),
            Agent {
                name: raw.name.as_ref().map_or(id.clone(), |n| n.value.clone()),
                routing,
                phone_number: raw.phone_number.as_ref().map(|p| p.value.clone()),
            },
        );
    }
    agents
}

fn lower_groups(cx: &mut Cx<'_>, project: &Project<'_>) -> BTreeMap<String, Group> {
    let mut groups = BTreeMap::new();
    for (name, def) in &project.groups {
        let mut group = Group::default();
        let mut written: BTreeMap<&str, &Spanned<String>> = BTreeMap::new();
        for agent in def.value.value.agents.iter().flatten() {
            if let Some(first) = written.get(agent.value.as_str()) {
                let also = cx.label(def.at(*first), "first listed here");
                cx.warning(
                    code::DUPLICATE_MEMBER,
                    def.at(agent),
                    format!("agent `{}` is listed twice in group `{name}`", agent.value),
                    "listed again here",
                )
                .labels
                .push(also);
                continue;
            }
            written.insert(&agent.value, agent);
            if !project.agents.contains_key(&agent.value) {
                cx.unknown(
                    "agent",
                    "agents",
                    &agent.value,
                    def.at(agent),
                    project.agents.keys().map(String::as_str),
                );
            }
            group.agents.insert(agent.value.clone());
        }
        if group.agents.is_empty() && written.is_empty() {
            cx.warning(
                code::EMPTY_GROUP,
                def.key_at(),
                format!("group `{name}` has no agents"),
                "no agents",
            )
            .help = Some("calls routed to this group reach no one".to_owned());
        }
        groups.insert(name.clone(), group);
    }
    groups
}

fn lower_queues(
    cx: &mut Cx<'_>,
    project: &Project<'_>,
    audio: &BTreeMap<String, AudioId>,
) -> BTreeMap<String, Queue> {
    let mut queues = BTreeMap::new();
    for (name, def) in &project.queues {
        let raw: &RawQueue = &def.value.value;
        let file = def.file;
        let mut queue = Queue::default();
        let flag = |value: &Option<Spanned<bool>>, default: bool| {
            value.as_ref().map_or(default, |v| v.value)
        };
        queue.record_calls = flag(&raw.record_calls, queue.record_calls);
        queue.agent_wrap_up_after_calls = flag(
            &raw.agent_wrap_up_after_calls,
            queue.agent_wrap_up_after_calls,
        );
        if let Some(v) = &raw.wrap_up_time_limit {
            queue.wrap_up_time_limit = v.value;
        }
        if let Some(v) = &raw.schedule {
            queue.schedule = match v.value {
                RawSchedule::Always => Schedule::Always,
                RawSchedule::BusinessHours => Schedule::BusinessHours,
            };
        }
        if let Some(v) = &raw.wait_agent_answer_timeout {
            at_least(cx, file, v, 3, "wait_agent_answer_timeout");
            queue.wait_agent_answer_timeout = v.value;
        }
        if let Some(v) = &raw.maximum_queue_size {
            at_least(cx, file, v, 1, "maximum_queue_size");
            queue.maximum_queue_size = v.value;
        }
        if let Some(v) = &raw.maximum_queue_wait_time {
            at_least(cx, file, v, 1, "maximum_queue_wait_time");
            queue.maximum_queue_wait_time = v.value;
        }
        if let Some(v) = &raw.cond_routing {
            if !matches!(v.value, 1 | 2) {
                cx.error(
                    code::OUT_OF_RANGE,
                    def.at(v),
                    format!("`cond_routing` is {}, it must be 1 or 2", v.value),
                    "1 or 2",
                )
                .help = Some(
                    "1: agents online on web/app; 2: agents online on web/app or SIP".to_owned(),
                );
            }
            queue.cond_routing = v.value;
        }
        queue.wait_greeting = raw
            .wait_greeting
            .as_ref()
            .and_then(|r| audio_ref(cx, project, audio, file, r));
        queue.hold_greeting = raw
            .hold_greeting
            .as_ref()
            .and_then(|r| audio_ref(cx, project, audio, file, r));
        if let Some(v) = &raw.from_number_callout_to_agent {
            phone(
                cx,
                file,
                v,
                &format!("`from_number_callout_to_agent` of queue `{name}`"),
            );
            queue.from_number_callout_to_agent = Some(v.value.clone());
        }
        queue.get_list_agents_url = url(cx, file, raw.get_list_agents_url.as_ref());

        let mut seen: BTreeMap<&str, &Spanned<String>> = BTreeMap::new();
        for routing in raw.routing.iter().flatten() {
            let group = &routing.value.group;
            if let Some(first) = seen.get(group.value.as_str()) {
                let also = cx.label(def.at(*first), "first routed here");
                let diagnostic = cx.error(
                    code::DUPLICATE_NAME,
                    def.at(group),
                    format!("queue `{name}` routes to group `{}` twice", group.value),
                    "routed again here",
                );
                diagnostic.labels.push(also);
                diagnostic.help =
                    Some("a group is either primary or overflow: keep one entry".to_owned());
                continue;
            }
            seen.insert(&group.value, group);
            if !project.groups.contains_key(&group.value) {
                cx.unknown(
                    "group",
                    "groups",
                    &group.value,
                    def.at(group),
                    project.groups.keys().map(String::as_str),
                );
            }
            let primary = routing.value.primary.as_ref().is_some_and(|p| p.value);
            queue
                .routing
                .insert(group.value.clone(), Routing { primary });
        }
        queues.insert(name.clone(), queue);
    }
    queues
}

/// What the graph checks need to know about a tree: where everything is written.
pub(crate) struct TreeInfo {
    pub(crate) name: String,
    pub(crate) at: At,
    pub(crate) start: String,
    pub(crate) nodes: BTreeMap<String, NodeInfo>,
}

pub(crate) struct NodeInfo {
    pub(crate) at: At,
    pub(crate) keys: BTreeMap<Key, KeyInfo>,
}

pub(crate) struct KeyInfo {
    /// The action's value (`goto: x`'s `x` for gotos).
    pub(crate) at: At,
    /// For a goto: the target node and whether it is declared `back: true`.
    pub(crate) goto: Option<(String, bool)>,
    /// Where `back: true` is written, for a goto that has it.
    pub(crate) back_at: Option<At>,
}

fn lower_ivr(
    cx: &mut Cx<'_>,
    project: &Project<'_>,
    audio: &BTreeMap<String, AudioId>,
) -> (BTreeMap<String, IvrTree>, Vec<TreeInfo>) {
    let mut trees = BTreeMap::new();
    let mut infos = Vec::new();
    for (name, def) in &project.ivr {
        let raw: &RawTree = &def.value.value;
        let file = def.file;
        let nodes = collect(cx, "node", std::iter::once((file, Some(&raw.nodes))));
        let mut info = TreeInfo {
            name: name.clone(),
            at: def.key_at(),
            start: raw.start.value.clone(),
            nodes: BTreeMap::new(),
        };
        if nodes.is_empty() {
            cx.error(
                code::EMPTY_TREE,
                def.key_at(),
                format!("ivr `{name}` has no nodes"),
                "no nodes",
            )
            .help = Some("an IVR tree needs at least its start node".to_owned());
        } else if !nodes.contains_key(&raw.start.value) {
            let help = match did_you_mean(&raw.start.value, nodes.keys().map(String::as_str)) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!(
                    "the nodes of this tree are {}",
                    backticked(&nodes.keys().map(String::as_str).collect::<Vec<_>>())
                ),
            };
            cx.error(
                code::MISSING_START,
                def.at(&raw.start),
                format!(
                    "ivr `{name}` starts at node `{}`, which does not exist",
                    raw.start.value
                ),
                "no such node in this tree",
            )
            .help = Some(help);
        }
        let mut tree = IvrTree {
            start: raw.start.value.clone(),
            nodes: BTreeMap::new(),
        };
        for (node_name, node_def) in &nodes {
            let (node, node_info) =
                lower_node(cx, project, audio, name, node_name, node_def, &nodes);
            tree.nodes.insert(node_name.clone(), node);
            info.nodes.insert(node_name.clone(), node_info);
        }
        trees.insert(name.clone(), tree);
        infos.push(info);
    }
    (trees, infos)
}

fn lower_node(
    cx: &mut Cx<'_>,
    project: &Project<'_>,
    audio: &BTreeMap<String, AudioId>,
    tree: &str,
    name: &str,
    def: &Def<'_, RawNode>,
    nodes: &BTreeMap<String, Def<'_, RawNode>>,
) -> (IvrNode, NodeInfo) {
    let raw: &RawNode = &def.value.value;
    let file = def.file;
    let what = format!("node `{name}` of ivr `{tree}`");
    let prompt = match (&raw.say, &raw.play) {
        (Some(say), play) => {
            if let Some(play) = play {
                cx.error(
                    code::CONFLICTING_KEYS,
                    def.at(play),
                    format!("{what} has both `say` and `play`"),
                    "`say` is already given",
                )
                .help =
                    Some("a node either speaks text (`say`) or plays audio (`play`)".to_owned());
            }
            non_empty(cx, file, say, &format!("{what}: `say`"));
            let voice = match &raw.voice {
                Some(voice) => {
                    non_empty(cx, file, voice, &format!("{what}: `voice`"));
                    voice.value.clone()
                }
                None => DEFAULT_VOICE.to_owned(),
            };
            let speed = raw.speed.as_ref().map_or(0, |speed| {
                if !(-3..=3).contains(&speed.value) {
                    cx.error(
                        code::OUT_OF_RANGE,
                        def.at(speed),
                        format!("`speed` is {}, it must be between -3 and 3", speed.value),
                        "-3 to 3",
                    );
                }
                speed.value
            });
            Prompt::Say {
                text: say.value.clone(),
                voice,
                speed,
            }
        }
        (None, Some(play)) => {
            for (key, at) in [
                ("voice", raw.voice.as_ref().map(|v| def.at(v))),
                ("speed", raw.speed.as_ref().map(|v| def.at(v))),
            ] {
                if let Some(at) = at {
                    cx.error(
                        code::CONFLICTING_KEYS,
                        at,
                        format!("{what} plays audio, so `{key}` does nothing"),
                        format!("`{key}` applies to `say` only"),
                    );
                }
            }
            let audio = audio_ref(cx, project, audio, file, play)
                .unwrap_or_else(|| AudioId::ServerFile(play.value.clone()));
            Prompt::Play { audio }
        }
        (None, None) => {
            cx.error(
                code::MISSING_KEY,
                def.key_at(),
                format!("{what} has no prompt"),
                "no `say` or `play`",
            )
            .help = Some("add `say: text to speak` or `play: audio-name`".to_owned());
            Prompt::Say {
                text: String::new(),
                voice: DEFAULT_VOICE.to_owned(),
                speed: 0,
            }
        }
    };
    let mut node = IvrNode {
        prompt,
        barge_in: raw.barge_in.as_ref().is_none_or(|b| b.value),
        loop_count: 1,
        delay_ms: raw.delay_ms.as_ref().map_or(0, |d| d.value),
        keypress_timeout: 5,
        keys: BTreeMap::new(),
    };
    if let Some(v) = &raw.loop_count {
        at_least(cx, file, v, 1, "loop_count");
        node.loop_count = v.value;
    }
    if let Some(v) = &raw.keypress_timeout {
        at_least(cx, file, v, 1, "keypress_timeout");
        node.keypress_timeout = v.value;
    }

    let mut info = NodeInfo {
        at: def.key_at(),
        keys: BTreeMap::new(),
    };
    let mut written: BTreeMap<Key, &Spanned<String>> = BTreeMap::new();
    for (key_raw, action) in raw.keys.iter().flat_map(|k| &k.entries) {
        let Some(key) = ivr_key(cx, file, key_raw) else {
            continue;
        };
        if let Some(first) = written.get(&key) {
            let also = cx.label(def.at(*first), "first defined here");
            let diagnostic = cx.error(
                code::DUPLICATE_KEY,
                def.at(key_raw),
                format!("key `{key}` is defined twice on {what}"),
                "defined again here",
            );
            diagnostic.labels.push(also);
            if first.value != key_raw.value {
                diagnostic.help = Some(format!(
                    "`{}` and `{}` are the same key",
                    first.value, key_raw.value
                ));
            }
            continue;
        }
        written.insert(key, key_raw);
        if let Some((action, key_info)) =
            lower_action(cx, project, tree, &what, file, key, action, nodes)
        {
            node.keys.insert(key, action);
            info.keys.insert(key, key_info);
        }
    }
    (node, info)
}

/// Parses a key as written; `1` and `"1"` are the same key.
fn ivr_key(cx: &mut Cx<'_>, file: usize, raw: &Spanned<String>) -> Option<Key> {
    match raw.value.parse::<Key>() {
        Ok(key) => Some(key),
        Err(_) => {
            let help = match raw.value.as_str() {
                "EMPTY_KEY" => "write `timeout` for PCC's EMPTY_KEY".to_owned(),
                "INVALID_KEY" => "write `invalid` for PCC's INVALID_KEY".to_owned(),
                other if other.chars().count() > 1 && other.chars().all(|c| c.is_ascii_digit()) => {
                    "a key is one press: a single digit, `*` or `#`".to_owned()
                }
                other => match did_you_mean(&other.to_lowercase(), ["timeout", "invalid"]) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => {
                        "keys are `0`-`9`, `\"*\"`, `\"#\"`, `timeout` and `invalid`".to_owned()
                    }
                },
            };
            cx.error(
                code::INVALID_KEY,
                At::of(file, raw),
                format!("`{}` is not a key", raw.value),
                "not a key",
            )
            .help = Some(help);
            None
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn lower_action(
    cx: &mut Cx<'_>,
    project: &Project<'_>,
    tree: &str,
    what: &str,
    file: usize,
    key: Key,
    raw: &Spanned<RawAction>,
    nodes: &BTreeMap<String, Def<'_, RawNode>>,
) -> Option<(KeyAction, KeyInfo)> {
    let action: &RawAction = &raw.value;
    let at = At::of(file, raw);
    let given: Vec<(&str, At)> = [
        ("goto", action.goto.as_ref().map(|v| At::of(file, v))),
        ("queue", action.queue.as_ref().map(|v| At::of(file, v))),
        ("forward", action.forward.as_ref().map(|v| At::of(file, v))),
        ("hangup", action.hangup.as_ref().map(|v| At::of(file, v))),
    ]
    .into_iter()
    .filter_map(|(name, at)| at.map(|at| (name, at)))
    .collect();
    match given.as_slice() {
        [] => {
            cx.error(
                code::MISSING_KEY,
                at,
                format!("key `{key}` of {what} does nothing"),
                "no action",
            )
            .help = Some(
                "give one of `goto: node`, `queue: name`, `forward: \"digits\"`, `hangup: true`"
                    .to_owned(),
            );
            return None;
        }
        [_] => {}
        [(first, _), (second, second_at), ..] => {
            cx.error(
                code::CONFLICTING_KEYS,
                *second_at,
                format!("key `{key}` of {what} has both `{first}` and `{second}`"),
                "one action per key",
            );
            return None;
        }
    }
    if action.goto.is_none()
        && let Some(back) = &action.back
    {
        cx.error(
            code::CONFLICTING_KEYS,
            At::of(file, back),
            format!("key `{key}` of {what}: `back` goes with `goto` only"),
            "only for `goto`",
        );
    }
    if action.forward.is_none()
        && let Some(caller_id) = &action.caller_id
    {
        cx.error(
            code::CONFLICTING_KEYS,
            At::of(file, caller_id),
            format!("key `{key}` of {what}: `caller_id` goes with `forward` only"),
            "only for `forward`",
        );
    }
    let mut info = KeyInfo {
        at: given[0].1,
        goto: None,
        back_at: None,
    };
    let lowered = if let Some(target) = &action.goto {
        if !nodes.contains_key(&target.value) {
            let elsewhere = project
                .ivr
                .iter()
                .find(|(_, t)| {
                    t.value
                        .value
                        .nodes
                        .entries
                        .iter()
                        .any(|(k, _)| k.value == target.value)
                })
                .map(|(name, _)| name.clone());
            match elsewhere.filter(|other| other != tree) {
                Some(other) => {
                    cx.error(
                        code::UNKNOWN_REFERENCE,
                        At::of(file, target),
                        format!("node `{}` does not exist in ivr `{tree}`", target.value),
                        format!("`{}` is in ivr `{other}`", target.value),
                    )
                    .help = Some("`goto` moves within one tree".to_owned());
                }
                None => {
                    let help = match did_you_mean(&target.value, nodes.keys().map(String::as_str)) {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => format!("define it under `nodes:` of ivr `{tree}`"),
                    };
                    cx.error(
                        code::UNKNOWN_REFERENCE,
                        At::of(file, target),
                        format!("node `{}` does not exist in ivr `{tree}`", target.value),
                        format!("no node named `{}`", target.value),
                    )
                    .help = Some(help);
                }
            }
        }
        let back = action.back.as_ref().is_some_and(|b| b.value);
        info.goto = Some((target.value.clone(), back));
        info.back_at = action
            .back
            .as_ref()
            .filter(|b| b.value)
            .map(|b| At::of(file, b));
        KeyAction::Goto {
            node: target.value.clone(),
        }
    } else if let Some(queue) = &action.queue {
        if !project.queues.contains_key(&queue.value) {
            cx.unknown(
                "queue",
                "queues",
                &queue.value,
                At::of(file, queue),
                project.queues.keys().map(String::as_str),
            );
        }
        KeyAction::Queue {
            queue: queue.value.clone(),
        }
    } else if let Some(to) = &action.forward {
        phone(cx, file, to, &format!("`forward` of key `{key}` on {what}"));
        if let Some(caller_id) = &action.caller_id {
            phone(
                cx,
                file,
                caller_id,
                &format!("`caller_id` of key `{key}` on {what}"),
            );
        }
        KeyAction::Forward {
            to: to.value.clone(),
            caller_id: action.caller_id.as_ref().map(|c| c.value.clone()),
        }
    } else {
        let hangup = action.hangup.as_ref().expect("one action is given");
        if !hangup.value {
            cx.error(
                code::CONFLICTING_KEYS,
                At::of(file, hangup),
                format!("key `{key}` of {what}: `hangup: false` is not an action"),
                "write `hangup: true`",
            )
            .help = Some("to ignore the key, leave it out of `keys`".to_owned());
        }
        KeyAction::Hangup
    };
    Some((lowered, info))
}

fn lower_numbers(cx: &mut Cx<'_>, project: &Project<'_>) -> BTreeMap<String, Number> {
    let mut numbers = BTreeMap::new();
    for (digits, def) in &project.numbers {
        let raw: &RawNumber = &def.value.value;
        phone_at(cx, def.key_at(), digits, "number");
        let route = match (&raw.ivr, &raw.queue) {
            (Some(tree), None) => {
                if !project.ivr.contains_key(&tree.value) {
                    cx.unknown(
                        "ivr tree",
                        "ivr",
                        &tree.value,
                        def.at(tree),
                        project.ivr.keys().map(String::as_str),
                    );
                }
                Some(NumberRoute::Ivr(tree.value.clone()))
            }
            (None, Some(queue)) => {
                if !project.queues.contains_key(&queue.value) {
                    cx.unknown(
                        "queue",
                        "queues",
                        &queue.value,
                        def.at(queue),
                        project.queues.keys().map(String::as_str),
                    );
                }
                Some(NumberRoute::Queue(queue.value.clone()))
            }
            (Some(_), Some(queue)) => {
                cx.error(
                    code::NUMBER_ROUTE,
                    def.at(queue),
                    format!("number `{digits}` has both `ivr` and `queue`"),
                    "one of `ivr` or `queue`",
                )
                .help = Some(
                    "calls go to an IVR tree (`ivr`) or straight to a queue (`queue`), not both"
                        .to_owned(),
                );
                None
            }
            (None, None) => {
                cx.error(
                    code::NUMBER_ROUTE,
                    def.key_at(),
                    format!("number `{digits}` routes calls nowhere"),
                    "no `ivr` or `queue`",
                )
                .help = Some("add `ivr: tree-name` or `queue: queue-name`".to_owned());
                None
            }
        };
        let nickname = raw
            .nickname
            .as_ref()
            .map(|n| n.value.clone())
            .filter(|n| !n.is_empty());
        numbers.insert(
            digits.clone(),
            Number {
                nickname,
                route,
                allow_outbound_calls: raw.allow_outbound_calls.as_ref().is_some_and(|v| v.value),
                record_outbound_calls: raw.record_outbound_calls.as_ref().is_some_and(|v| v.value),
            },
        );
    }
    numbers
}

// ---------------------------------------------------------------------------------------------
// Checks across sections

/// Queues with no way to find an agent, and queues that ring agents' phones without a caller
/// id.
fn check_queues(cx: &mut Cx<'_>, project: &Project<'_>, model: &Model, graphs: &[TreeInfo]) {
    // Where calls are sent to each queue, first place only.
    let mut sent_from: BTreeMap<&str, At> = BTreeMap::new();
    for def in project.numbers.values() {
        if let Some(queue) = &def.value.value.queue {
            sent_from
                .entry(queue.value.as_str())
                .or_insert(def.at(queue));
        }
    }
    for info in graphs {
        let tree = &model.ivr[&info.name];
        for (node_name, node) in &tree.nodes {
            for (key, action) in &node.keys {
                if let KeyAction::Queue { queue } = action {
                    let at = info.nodes[node_name].keys[key].at;
                    sent_from.entry(queue.as_str()).or_insert(at);
                }
            }
        }
    }
    for (name, def) in &project.queues {
        let queue = &model.queues[name];
        let written_routing = def
            .value
            .value
            .routing
            .as_ref()
            .is_some_and(|r| !r.is_empty());
        if !written_routing && queue.get_list_agents_url.is_none() {
            let message = format!("queue `{name}` has no `routing` and no `get_list_agents_url`");
            let help = Some(
                "route it to a group (`routing: [ { group: name, primary: true } ]`) or set `get_list_agents_url`"
                    .to_owned(),
            );
            match sent_from.get(name.as_str()) {
                Some(&from) => {
                    let also = cx.label(from, "calls are sent to it here");
                    let diagnostic = cx.error(
                        code::QUEUE_WITHOUT_AGENTS,
                        def.key_at(),
                        format!("{message}: its calls reach no agent"),
                        "no agents",
                    );
                    diagnostic.labels.push(also);
                    diagnostic.help = help;
                }
                None => {
                    cx.warning(
                        code::QUEUE_WITHOUT_AGENTS,
                        def.key_at(),
                        message,
                        "no agents",
                    )
                    .help = help;
                }
            }
        }
        if queue.from_number_callout_to_agent.is_none() && queue.get_list_agents_url.is_none() {
            let by_phone = queue
                .routing
                .keys()
                .filter_map(|group| model.groups.get(group).map(|g| (group, g)))
                .flat_map(|(group, g)| g.agents.iter().map(move |agent| (group, agent)))
                .find(|(_, agent)| {
                    model
                        .agents
                        .get(*agent)
                        .is_some_and(|a| a.routing == AgentRouting::Phone)
                });
            if let Some((group, agent)) = by_phone {
                cx.warning(
                    code::MISSING_CALLOUT_NUMBER,
                    def.key_at(),
                    format!(
                        "queue `{name}` rings agent `{agent}` (group `{group}`) on their phone but has no `from_number_callout_to_agent`"
                    ),
                    "no caller id for agents' phones",
                )
                .help = Some(
                    "set `from_number_callout_to_agent` to one of your numbers".to_owned(),
                );
            }
        }
    }
}

fn check_unused_trees(cx: &mut Cx<'_>, project: &Project<'_>) {
    let used: BTreeSet<&str> = project
        .numbers
        .values()
        .filter_map(|def| def.value.value.ivr.as_ref())
        .map(|tree| tree.value.as_str())
        .collect();
    for (name, def) in &project.ivr {
        if !used.contains(name.as_str()) {
            cx.warning(
                code::UNUSED_TREE,
                def.key_at(),
                format!("ivr `{name}` is not used by any number"),
                "unused",
            )
            .help = Some(format!(
                "route a number to it with `ivr: {name}`, or remove it"
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Flow tests and policy

fn lower_tests(cx: &mut Cx<'_>, project: &Project<'_>) -> Vec<FlowTest> {
    let mut tests = Vec::new();
    for &(file, raw) in &project.tests {
        let test: &RawTest = &raw.value;
        let number = &test.number.value;
        if !project.numbers.contains_key(number) {
            cx.unknown(
                "number",
                "numbers",
                number,
                At::of(file, &test.number),
                project.numbers.keys().map(String::as_str),
            );
        }
        let keys = test.keys.as_ref().map_or("", |k| k.value.as_str());
        if let Some(bad) = keys.chars().find(|&c| Key::from_dtmf(c).is_none()) {
            let at = At::of(file, test.keys.as_ref().expect("keys are not empty"));
            cx.error(
                code::INVALID_KEY,
                at,
                format!("`{bad}` in `{keys}` is not a key a phone can press"),
                "only `0`-`9`, `*` and `#`",
            )
            .help = Some(
                "`keys` lists presses in order (`\"12#\"`); silence at the end is implied"
                    .to_owned(),
            );
        }
        let expect = &test.expect.value;
        let given: Vec<(&str, At)> = [
            ("queue", expect.queue.as_ref().map(|v| At::of(file, v))),
            ("forward", expect.forward.as_ref().map(|v| At::of(file, v))),
            ("hangup", expect.hangup.as_ref().map(|v| At::of(file, v))),
        ]
        .into_iter()
        .filter_map(|(name, at)| at.map(|at| (name, at)))
        .collect();
        let expect = match given.as_slice() {
            [] => {
                cx.error(
                    code::MISSING_KEY,
                    At::of(file, &test.expect),
                    "flow test expects nothing",
                    "no outcome",
                )
                .help = Some(
                    "give one of `queue: name`, `forward: \"digits\"`, `hangup: true`".to_owned(),
                );
                continue;
            }
            [_] => {
                if let Some(queue) = &expect.queue {
                    if !project.queues.contains_key(&queue.value) {
                        cx.unknown(
                            "queue",
                            "queues",
                            &queue.value,
                            At::of(file, queue),
                            project.queues.keys().map(String::as_str),
                        );
                    }
                    Expect::Queue(queue.value.clone())
                } else if let Some(to) = &expect.forward {
                    phone(cx, file, to, "expected `forward`");
                    Expect::Forward(to.value.clone())
                } else {
                    let hangup = expect.hangup.as_ref().expect("one outcome is given");
                    if !hangup.value {
                        cx.error(
                            code::CONFLICTING_KEYS,
                            At::of(file, hangup),
                            "`hangup: false` is not an outcome",
                            "write `hangup: true`",
                        );
                    }
                    Expect::Hangup
                }
            }
            [(first, _), (second, at), ..] => {
                cx.error(
                    code::CONFLICTING_KEYS,
                    *at,
                    format!("flow test expects both `{first}` and `{second}`"),
                    "one outcome per test",
                );
                continue;
            }
        };
        let span = raw.span;
        tests.push(FlowTest {
            name: test.name.as_ref().map(|n| n.value.clone()),
            number: number.clone(),
            keys: keys.to_owned(),
            expect,
            location: Location {
                file: cx.sources[file].path.clone(),
                line: span.line.max(1),
                column: span.column.max(1),
            },
        });
    }
    tests
}

fn run_tests(cx: &mut Cx<'_>, project: &Project<'_>, model: &Model, tests: &[FlowTest]) {
    let raws = project.tests.iter();
    // `tests` holds the tests that lowered; with no errors that is all of them, in order.
    for (test, &(file, raw)) in tests.iter().zip(raws) {
        let walk = flow::walk(model, &test.number, &test.keys);
        let title = match &test.name {
            Some(name) => format!("flow test `{name}`"),
            None if test.keys.is_empty() => format!("flow test (`{}`, no keys)", test.number),
            None => format!("flow test (`{}`, keys `{}`)", test.number, test.keys),
        };
        let at = At::of(file, &raw.value.expect);
        if let End::Error(err) = &walk.end {
            cx.error(
                code::FLOW_TEST_PATH,
                At::of(file, raw),
                format!("{title} cannot be walked: {err}"),
                "this test",
            )
            .help = Some(format!("path so far: {}", walk.path()));
            continue;
        }
        if !walk.unused_keys.is_empty() {
            let at_keys = raw
                .value
                .keys
                .as_ref()
                .map_or(At::of(file, raw), |k| At::of(file, k));
            cx.error(
                code::FLOW_TEST_PATH,
                at_keys,
                format!(
                    "{title} cannot be walked: the call reached {} with keys `{}` still to press",
                    walk.end, walk.unused_keys
                ),
                "too many keys",
            )
            .help = Some(if walk.steps.is_empty() {
                format!(
                    "number `{}` sends calls straight to {}, with no IVR menu to press keys in",
                    test.number, walk.end
                )
            } else {
                format!("path: {}", walk.path())
            });
            continue;
        }
        if !test.expect.is_met_by(&walk.end) {
            cx.error(
                code::FLOW_TEST_FAILED,
                at,
                format!(
                    "{title} failed: expected {}, but the call ends with {}",
                    test.expect, walk.end
                ),
                format!("expected {}", test.expect),
            )
            .help = Some(format!("path: {}", walk.path()));
        }
    }
}

fn lower_policy(cx: &mut Cx<'_>, project: &Project<'_>) -> Policy {
    let mut policy = Policy::default();
    for &(file, pattern) in &project.ignore {
        let value = pattern.value.as_str();
        if value.trim().is_empty() {
            non_empty(cx, file, pattern, "`ignore` pattern");
            continue;
        }
        let kind = value.split('.').next().unwrap_or(value);
        let wild = kind.contains(['*', '?']);
        if !wild && (!KINDS.contains(&kind) || !value.contains('.')) {
            let help = match did_you_mean(kind, KINDS) {
                Some(close) if close != kind => {
                    format!(
                        "did you mean `{close}.{}`?",
                        value.split_once('.').map_or("*", |(_, rest)| rest)
                    )
                }
                _ => format!(
                    "addresses are `kind.name`, where kind is one of {}",
                    backticked(&KINDS)
                ),
            };
            cx.error(
                code::UNKNOWN_KIND,
                At::of(file, pattern),
                format!("`ignore` pattern `{value}` names no kind of object"),
                "matches nothing",
            )
            .help = Some(help);
        }
        policy.ignore.push(value.to_owned());
    }
    if let Some((file, safety)) = project.safety {
        let raw = &safety.value;
        let mut out = Safety::default();
        let percent = |cx: &mut Cx<'_>, v: &Spanned<u32>| {
            if v.value > 100 {
                cx.error(
                    code::OUT_OF_RANGE,
                    At::of(file, v),
                    format!("`max_delete_percent` is {}, it must be 0 to 100", v.value),
                    "0 to 100",
                );
            }
            v.value
        };
        if let Some(v) = &raw.max_delete_percent {
            out.max_delete_percent = percent(cx, v);
        }
        if let Some(v) = &raw.min_objects {
            out.min_objects = v.value;
        }
        if let Some(v) = &raw.protect_numbers {
            out.protect_numbers = v.value;
        }
        let kinds: BTreeMap<String, Def<'_, crate::raw::RawKindSafety>> = collect(
            cx,
            "safety kind",
            std::iter::once((file, raw.kinds.as_ref())),
        );
        for (kind, def) in &kinds {
            if !KINDS.contains(&kind.as_str()) {
                let help = match did_you_mean(kind, KINDS) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!("kinds are {}", backticked(&KINDS)),
                };
                cx.error(
                    code::UNKNOWN_KIND,
                    def.key_at(),
                    format!("`{kind}` is not a kind of object"),
                    "unknown kind",
                )
                .help = Some(help);
                continue;
            }
            let raw = &def.value.value;
            out.kinds.insert(
                kind.clone(),
                KindSafety {
                    max_delete_percent: raw.max_delete_percent.as_ref().map(|v| percent(cx, v)),
                    min_objects: raw.min_objects.as_ref().map(|v| v.value),
                },
            );
        }
        policy.safety = out;
    }
    policy
}
