//! Loading a spec: YAML sources → raw types → one merged project → a validated [`Model`], with
//! every problem found reported as a [`Diagnostic`]. Never stops at the first problem: a file
//! that does not parse is skipped (one diagnostic), every other check runs on what did parse.

mod checks;
mod env;
pub(crate) mod ivr;
mod lint;
mod merge;
mod moved;

pub use env::{
    Declaration, ENV_VAR_PREFIX, Environment, PinnedProject, ProcessEnv, SECRET_VAR_PREFIX, Secret,
    Selected, declared, env_variable, environments, include_problem, secret_variable,
};
pub use merge::{MAX_NAME_CHARS, unclear_name};
mod sections;

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Label, Severity, code};
use crate::flow::End;
use crate::graph;
use crate::model::Model;
use crate::policy::Policy;
use crate::raw::{RawSpec, Span, Spanned};

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
    /// The spec, when its only errors are flow tests that fail: a whole model that `simulate`
    /// can walk (that is when one wants to walk the call). `None` when `spec` is `Some`.
    pub with_failing_tests: Option<Spec>,
    /// Every problem: first those that hide others (their consequences folded under them,
    /// [`Diagnostic::hidden`]), then the rest, each sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// The problems `lint.allow` accepted, each with the entry that did
    /// ([`Diagnostic::allowed_by`]), sorted like `diagnostics`. They count as neither errors
    /// nor warnings.
    pub allowed: Vec<Diagnostic>,
    /// Every flow test that could be read, in the order written, with what became of it (a
    /// test too malformed to read is only a diagnostic).
    pub tests: Vec<TestRun>,
}

/// A flow test and what became of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestRun {
    /// The test.
    pub test: FlowTest,
    /// What became of it.
    pub outcome: TestOutcome,
}

/// What became of a flow test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TestOutcome {
    /// The call ended as expected, through `path` (`flow::Walk::path`).
    Passed {
        /// The caller's path.
        path: String,
    },
    /// It failed (its diagnostic says why): the call ended elsewhere, or its keys could not
    /// be walked.
    Failed {
        /// The diagnostic's message.
        message: String,
        /// The caller's path, as far as it went.
        path: String,
    },
    /// Not run: flow tests run only when the rest of the spec has no errors.
    NotRun,
}

impl Loaded {
    /// Number of errors, not counting those folded under their cause.
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
    /// `ignore:`, `safety:` and `moved:`.
    pub policy: Policy,
    /// Where each audio name's source (`file`, `server_file` or `sha256`) is written, for
    /// problems only the live project reveals (pre-uploaded audio the project lacks).
    pub audio_at: BTreeMap<String, Location>,
    /// The environment it was loaded for, when one was selected.
    pub environment: Option<Environment>,
    /// The project it pins (`project_id:`, the environment's when one is selected).
    pub project_id: Option<PinnedProject>,
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
///
/// The spec is loaded for no environment: `${env.NAME}` and `${secret.NAME}` find nothing, and
/// `${var.NAME}` is an error; [`load_with`] loads it for one.
pub fn load(sources: &[Source], audio: &dyn Fn(&str) -> Result<String, String>) -> Loaded {
    load_with(sources, None, &|_| None, audio)
}

/// [`load`] for the environment `selected` (its `vars:`, its `include:` files), with
/// `${env.NAME}` and `${secret.NAME}` looked up through `process`.
pub fn load_with(
    sources: &[Source],
    selected: Option<&Selected<'_>>,
    process: ProcessEnv<'_>,
    audio: &dyn Fn(&str) -> Result<String, String>,
) -> Loaded {
    let combined: Vec<Source>;
    let all = match selected {
        Some(selected) if !selected.includes.is_empty() => {
            combined = sources.iter().chain(selected.includes).cloned().collect();
            &combined[..]
        }
        _ => sources,
    };
    let mut cx = Cx {
        sources: all,
        diagnostics: Vec::new(),
        skipped: Vec::new(),
        left_out: Vec::new(),
        consequences: Vec::new(),
        secrets_at: BTreeMap::new(),
        unresolved: Vec::new(),
    };
    let mut raws: Vec<(usize, RawSpec)> = all
        .iter()
        .enumerate()
        .filter_map(|(file, source)| parse(&mut cx, file, source).map(|raw| (file, raw)))
        .collect();
    let declared = env::lower_environments(&mut cx, &raws, sources.len(), selected);
    let values = env::Values {
        environment: selected.and_then(|s| declared.get(s.name)),
        declared: declared.keys().map(String::as_str).collect(),
        process,
    };
    let mut secrets = BTreeMap::new();
    for (file, raw) in &mut raws {
        env::substitute(&mut cx, *file, raw, &values, &mut secrets);
    }
    let environment = values.environment.map(|declared| Environment {
        name: declared.name.clone(),
        api_key_sid: declared.api_key_sid.clone(),
        endpoint: declared.endpoint.clone(),
        secrets,
    });
    let sources = all;
    let project = merge::merge(&mut cx, &raws);
    let project_id = match (project.project_id, values.environment) {
        (Some((file, id)), _) if !declared.is_empty() => {
            cx.error(
                code::ENVIRONMENT,
                At::of(file, id),
                "`project_id` is at the top level of a spec with `environments:`",
                "one project for every environment",
            )
            .help = Some(
                "each environment is its own Stringee project: pin each under its entry \
                 (`environments: NAME: project_id: …`)"
                    .to_owned(),
            );
            None
        }
        (Some((file, id)), _) => pinned_project(&mut cx, At::of(file, id), id.value),
        (None, Some(environment)) => environment.project_id.clone(),
        (None, None) => None,
    };

    let mut model = Model {
        settings: project
            .settings
            .map(|(file, raw)| sections::lower_settings(&mut cx, file, raw)),
        ..Model::default()
    };
    let audio_names = sections::lower_audio(&mut cx, &project, audio, &mut model);
    let audio_at = project
        .audio
        .iter()
        .map(|(name, def)| {
            let raw = &def.value.value;
            let span = [&raw.file, &raw.server_file, &raw.sha256]
                .into_iter()
                .flatten()
                .next()
                .map_or(def.key.span, |value| value.span);
            let location = Location {
                file: cx.sources[def.file].path.clone(),
                line: span.line.max(1),
                column: span.column.max(1),
            };
            (name.clone(), location)
        })
        .collect();
    model.agents = sections::lower_agents(&mut cx, &project);
    model.groups = sections::lower_groups(&mut cx, &project);
    model.queues = sections::lower_queues(&mut cx, &project, &audio_names);
    let (trees, graphs) = ivr::lower_ivr(&mut cx, &project, &audio_names);
    model.ivr = trees;
    model.numbers = sections::lower_numbers(&mut cx, &project);
    model.blacklist = sections::lower_blacklist(&mut cx, &project);
    checks::check_queues(&mut cx, &project, &model, &graphs);
    checks::check_unused_trees(&mut cx, &project);
    for tree in &graphs {
        graph::check(&mut cx, tree);
    }
    let tests = checks::lower_tests(&mut cx, &project);
    let mut policy = checks::lower_policy(&mut cx, &project);
    policy.moved = moved::lower_moved(&mut cx, &project);
    let lint = lint::lower_lint(&mut cx, &project);

    // Flow tests run only on a model without errors: on a broken model they would fail for
    // reasons already reported.
    let outcomes = if cx.diagnostics.iter().any(Diagnostic::is_error) {
        vec![TestOutcome::NotRun; tests.len()]
    } else {
        let outcomes = checks::run_tests(&mut cx, &project, &model, &tests);
        checks::check_declares_something(&mut cx, &model, &policy);
        outcomes
    };
    let runs = tests
        .iter()
        .cloned()
        .zip(outcomes)
        .map(|(test, outcome)| TestRun { test, outcome })
        .collect();

    fold_unresolved(&mut cx);
    let mut diagnostics = fold(std::mem::take(&mut cx.diagnostics), &cx.consequences);
    let mut allowed = lint::apply(&mut cx, &lint, &mut diagnostics);
    // Causes first (what hides other problems is the one to fix first), then by place.
    let order = |a: &Diagnostic, b: &Diagnostic| {
        let key = |d: &Diagnostic| {
            let label = &d.labels[0];
            let file = sources.iter().position(|s| s.path == label.file);
            (
                d.hidden.is_empty(),
                file,
                label.line,
                label.column,
                d.severity,
                d.code,
            )
        };
        key(a).cmp(&key(b)).then_with(|| a.message.cmp(&b.message))
    };
    diagnostics.sort_by(order);
    for diagnostic in &mut diagnostics {
        diagnostic.hidden.sort_by(order);
    }
    allowed.sort_by(order);
    let valid = !diagnostics.iter().any(Diagnostic::is_error);
    // Flow tests run only on a model without other errors, so errors that are all failed
    // flow tests leave a whole model; so do warnings `lint.rules` made errors.
    let only_tests_fail = !valid
        && diagnostics.iter().filter(|d| d.is_error()).all(|d| {
            d.set_by.is_some()
                || (d.hidden.is_empty()
                    && [code::FLOW_TEST_FAILED, code::FLOW_TEST_PATH].contains(&d.code))
        });
    let spec = Spec {
        model,
        tests,
        policy,
        audio_at,
        environment,
        project_id,
    };
    let (spec, with_failing_tests) = match (valid, only_tests_fail) {
        (true, _) => (Some(spec), None),
        (false, true) => (None, Some(spec)),
        (false, false) => (None, None),
    };
    Loaded {
        spec,
        with_failing_tests,
        diagnostics,
        allowed,
        tests: runs,
    }
}

/// Makes every problem reported at a value whose substitution failed a consequence of that
/// failure: the checks saw the value's text, `${…}` and all.
fn fold_unresolved(cx: &mut Cx<'_>) {
    if cx.unresolved.is_empty() {
        return;
    }
    let substitution = [
        code::SUBSTITUTION,
        code::SUBSTITUTION_IN_NAME,
        code::SECRET_OUTSIDE_URL,
    ];
    for (index, diagnostic) in cx.diagnostics.iter().enumerate() {
        if substitution.contains(&diagnostic.code)
            || cx.consequences.iter().any(|(c, _)| *c == index)
        {
            continue;
        }
        let label = &diagnostic.labels[0];
        let cause = cx.unresolved.iter().find(|((file, line, column), _)| {
            cx.sources[*file].path == label.file && *line == label.line && *column == label.column
        });
        if let Some((_, cause)) = cause {
            cx.consequences.push((index, *cause));
        }
    }
}

/// Moves each consequence (`(consequence, cause)`, indices into `diagnostics`) under its
/// cause, so that the cause is read first and its consequences are counted as one.
fn fold(diagnostics: Vec<Diagnostic>, consequences: &[(usize, usize)]) -> Vec<Diagnostic> {
    let cause_of: BTreeMap<usize, usize> = consequences.iter().copied().collect();
    let mut slots: Vec<Option<Diagnostic>> = diagnostics.into_iter().map(Some).collect();
    for (&consequence, &cause) in &cause_of {
        if let Some(hidden) = slots[consequence].take()
            && let Some(cause) = slots[cause].as_mut()
        {
            cause.hidden.push(hidden);
        }
    }
    slots.into_iter().flatten().collect()
}

/// A place in one of the sources.
#[derive(Clone, Copy, Debug)]
pub(crate) struct At {
    pub(crate) file: usize,
    pub(crate) span: Span,
}

/// `project_id: id` written at `at`, checked: Stringee's project ids are whole numbers from 1.
fn pinned_project(cx: &mut Cx<'_>, at: At, id: u64) -> Option<PinnedProject> {
    if id == 0 {
        cx.error(
            code::OUT_OF_RANGE,
            at,
            "`project_id` is 0, which is no Stringee project",
            "a project id is 1 or more",
        )
        .help = Some(
            "write the id of the project the API key is for (the account's project list, or \
             the note `plan` prints with the account key set)"
                .to_owned(),
        );
        return None;
    }
    Some(PinnedProject {
        id: id.to_string(),
        at: Location {
            file: cx.sources[at.file].path.clone(),
            line: at.span.line.max(1),
            column: at.span.column.max(1),
        },
    })
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
    /// Files that could not be read into the raw types and were left out: a name they define
    /// is unknown to every other file, which the help of an unknown reference then says.
    pub(crate) skipped: Vec<usize>,
    /// For each left-out file whose YAML still reads loosely: the error that left it out, and
    /// the `(section, name)`s it declares. A reference to one of them is a consequence of that
    /// error, not a problem of its own.
    pub(crate) left_out: Vec<LeftOut>,
    /// `(consequence, cause)`, indices into `diagnostics`.
    pub(crate) consequences: Vec<(usize, usize)>,
    /// The `${secret.NAME}` values substituted into each webhook URL, by the URL's place
    /// (file, line, column), for the model's `Sensitive` to hide them.
    pub(crate) secrets_at: BTreeMap<(usize, u32, u32), Vec<String>>,
    /// Values whose substitution failed, by place (file, line, column), with the index of the
    /// error that says why: any other problem reported at that value is its consequence.
    pub(crate) unresolved: Vec<((usize, u32, u32), usize)>,
}

/// A file left out because of an error, and what it declares.
pub(crate) struct LeftOut {
    pub(crate) file: usize,
    /// Index of the error in [`Cx::diagnostics`].
    pub(crate) cause: usize,
    pub(crate) names: std::collections::BTreeSet<(String, String)>,
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
            address: None,
            set_by: None,
            allowed_by: None,
            hidden: Vec::new(),
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
        let declared_in = self
            .left_out
            .iter()
            .find(|left| left.names.contains(&(section.to_owned(), name.to_owned())))
            .map(|left| (left.file, left.cause));
        if let Some((file, cause)) = declared_in {
            self.consequences.push((self.diagnostics.len(), cause));
            self.error(
                code::UNKNOWN_REFERENCE,
                at,
                format!("{kind} `{name}` does not exist"),
                format!("no {kind} named `{name}`"),
            )
            .help = Some(format!(
                "it is declared in `{}`, which is left out because of the error reported there",
                self.sources[file].path
            ));
            return;
        }
        let mut help = match did_you_mean(name, names) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("define it under `{section}:`"),
        };
        if let Some(&file) = self.skipped.first() {
            let others = match self.skipped.len() {
                1 => String::new(),
                n => format!(" and {} other file{}", n - 1, if n == 2 { "" } else { "s" }),
            };
            help.push_str(&format!(
                " (or it is in `{}`{others}, left out because of the error reported there)",
                self.sources[file].path
            ));
        }
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
pub(super) fn byte_offset(text: &str, line: u32, column: u32) -> usize {
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

pub(super) fn backticked(names: &[&str]) -> String {
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
    commented_hash_keys(cx, file, source);
    let raw: RawSpec = match serde_saphyr::from_str_with_options(&source.text, options) {
        Ok(raw) => raw,
        Err(err) => {
            report_parse_error(cx, file, source, &err);
            cx.skipped.push(file);
            if let Some(names) = loose_names(&source.text) {
                cx.left_out.push(LeftOut {
                    file,
                    cause: cx.diagnostics.len() - 1,
                    names,
                });
            }
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

/// The `(section, name)`s a file declares, read loosely (anything below a name), for a file
/// whose strict reading failed on its shape (a misspelt key, a wrong type), and for `export
/// --env`, which leaves to the spec's other files what they declare; `None` when the text is
/// not even YAML, so nothing can be said about what it declares. `settings:` gives its
/// fields' names.
pub fn loose_names(text: &str) -> Option<std::collections::BTreeSet<(String, String)>> {
    use serde::de::IgnoredAny;

    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Section {
        Names(BTreeMap<String, IgnoredAny>),
        Other(IgnoredAny),
    }
    let document: BTreeMap<String, Section> = serde_saphyr::from_str(text).ok()?;
    Some(
        document
            .into_iter()
            .filter_map(|(section, value)| match value {
                Section::Names(names) => Some((section, names)),
                Section::Other(_) => None,
            })
            .flat_map(|(section, names)| names.into_keys().map(move |name| (section.clone(), name)))
            .collect(),
    )
}

/// An unquoted `#` key (`#: { goto: menu }`) is a comment to YAML: the key would vanish
/// without a word, and callers pressing `#` would meet `invalid` or a hang-up.
fn commented_hash_keys(cx: &mut Cx<'_>, file: usize, source: &Source) {
    let mut offset = 0;
    for (index, line) in source.text.split_inclusive('\n').enumerate() {
        let indent = line.len() - line.trim_start().len();
        if line.trim_start().starts_with("#:") {
            let at = At {
                file,
                span: Span {
                    line: index as u32 + 1,
                    column: line[..indent].chars().count() as u32 + 1,
                    bytes: Some((offset + indent, 2)),
                },
            };
            cx.error(
                code::INVALID_KEY,
                at,
                "`#:` is a comment in YAML, so this key is ignored",
                "a comment, not a key",
            )
            .help = Some("quote the key: `\"#\":`".to_owned());
        }
        offset += line.len();
    }
}

fn report_parse_error(cx: &mut Cx<'_>, file: usize, source: &Source, err: &serde_saphyr::Error) {
    use serde_saphyr::{Error, MessageFormatter, UserMessageFormatter};

    let at = At {
        file,
        span: Span::of_error(err),
    };
    let inner = err.without_snippet();
    if let Some(found) = substitution_in_typed_value(source, &at, inner) {
        let field = found
            .field
            .map_or_else(|| "this value".to_owned(), |f| format!("`{f}`"));
        cx.error(
            code::SUBSTITUTION,
            at,
            format!(
                "`{}` is in {field}, which takes {}: only text values are substituted",
                found.token, found.takes
            ),
            "not a text value",
        )
        .help = Some(
            "write the value itself; when it differs by environment, declare the object in \
             each environment's `include:` files"
                .to_owned(),
        );
        return;
    }
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
        Error::UnknownAnchor { .. } => {
            let help = if bare_star(source, &at) {
                STAR_HELP
            } else {
                "an alias `*name` repeats a value marked `&name` earlier in the same file"
            };
            cx.error(
                code::YAML,
                at,
                "this alias names no anchor",
                "no `&anchor` of this name before here",
            )
            .help = Some(help.to_owned());
        }
        Error::Budget { breach, .. } => {
            // The parser's safety limits (nodes, depth, aliases) are per file.
            cx.error(
                code::YAML,
                at,
                format!("this file is too large for one YAML document ({breach:?})"),
                "the parser stopped here",
            )
            .help = Some(
                "split the spec into several files (a directory of YAML files is one project)"
                    .to_owned(),
            );
        }
        Error::SerdeMissingField { field, .. } => {
            cx.error(
                code::MISSING_KEY,
                at,
                format!("missing key `{field}`"),
                format!("`{field}` is required here"),
            );
        }
        _ if long_key(source, &at).is_some() => {
            let chars = long_key(source, &at).unwrap_or_default();
            cx.error(
                code::INVALID_NAME,
                at,
                format!(
                    "this key is {chars} characters long: YAML keys, and so names, are at most \
                     1,024 characters"
                ),
                "this key is too long",
            )
            .help = Some("shorten the name".to_owned());
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
            let diagnostic = cx.error(code::YAML, at, message, "here");
            if bare_star(source, &at) {
                diagnostic.help = Some(STAR_HELP.to_owned());
            }
        }
    }
}

/// A `${…}` where the parser wanted a number, a boolean or a word from a list.
struct TypedSubstitution {
    /// The first `${…}` of the value, cut for a message.
    token: String,
    /// The key the value belongs to, when it is on the same line (`overflow_after`).
    field: Option<String>,
    /// What the field takes, in words (`a whole number, 0 or more`).
    takes: String,
}

/// Substitution is in text values only (a raw number field is typed, so the parser refuses
/// `${var.delay}` before substitution could see it): the parser's words ("expected a whole
/// number") would not say why, so a value holding `${` at the error is told apart here.
fn substitution_in_typed_value(
    source: &Source,
    at: &At,
    err: &serde_saphyr::Error,
) -> Option<TypedSubstitution> {
    use serde_saphyr::{Error, MessageFormatter, UserMessageFormatter};

    let line = source
        .text
        .split(['\n', '\r'])
        .nth((at.span.line as usize).saturating_sub(1))?;
    let start = line
        .char_indices()
        .nth((at.span.column as usize).saturating_sub(1))
        .map_or(line.len(), |(i, _)| i);
    let (before, rest) = line.split_at(start);
    // The value's text up to its first `${`, which must not end the value first.
    let offset = rest.find("${")?;
    let (ends, lead) = match rest.chars().next() {
        Some(quote @ ('"' | '\'')) => (vec![quote], 1),
        _ => (vec![',', '}', ']', '#'], 0),
    };
    if rest.get(lead..offset)?.contains(ends.as_slice()) {
        return None;
    }
    let scalar = rest;
    if scalar[..offset].ends_with('$') {
        // `$${` is a literal `${`: the parser's own words say what is wrong.
        return None;
    }
    let takes = match err {
        Error::SerdeUnknownVariant { expected, .. } => format!("one of {}", backticked(expected)),
        Error::SerdeUnknownField { .. }
        | Error::SerdeMissingField { .. }
        | Error::UnknownAnchor { .. }
        | Error::Budget { .. } => return None,
        other => {
            let message = UserMessageFormatter.format_message(other);
            friendlier(&message)?
                .strip_prefix("expected ")
                .unwrap_or_default()
                .to_owned()
        }
    };
    // The key before the value: on its line (`speed: ${…}`, `blocks: [ivr, ${…}]`), or on
    // the line above a value alone on its line.
    let mut key = before.trim_end();
    if let Some(open) = key.rfind('[')
        && !key[open..].contains(']')
    {
        key = key[..open].trim_end();
    }
    if key.trim_start_matches(['-', ' ']).is_empty() {
        let above = source
            .text
            .split(['\n', '\r'])
            .take((at.span.line as usize).saturating_sub(1))
            .filter(|l| !l.trim().is_empty())
            .last()
            .unwrap_or("");
        key = above.trim_end();
    }
    let field = key.strip_suffix(':').and_then(|key| {
        let name: String = key
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        (!name.is_empty()).then_some(name)
    });
    Some(TypedSubstitution {
        token: env::cut(env::token_at(scalar, offset)),
        field,
        takes,
    })
}

/// The length in characters of a key over [`MAX_NAME_CHARS`] on the line of a parse
/// error, if there is one: the parser's own words for it ("expected a mapping") do not say
/// that YAML limits `key: value` keys to 1,024 characters.
fn long_key(source: &Source, at: &At) -> Option<usize> {
    let line = source
        .text
        .split(['\n', '\r'])
        .nth((at.span.line as usize).saturating_sub(1))?;
    line.split(['{', '[', ','])
        .filter_map(|piece| {
            let piece = piece.trim_start().trim_start_matches(['-', '?', ' ']);
            let end = piece
                .find(": ")
                .or_else(|| piece.trim_end().strip_suffix(':').map(str::len))?;
            let key = piece[..end].trim().trim_matches(['"', '\'']);
            Some(key.chars().count())
        })
        .find(|&chars| chars > MAX_NAME_CHARS)
}

const STAR_HELP: &str = "an unquoted `*` starts a YAML alias: quote the key, `\"*\":`";

/// True when the error points at a lone `*` (the DTMF star written as an unquoted key), which
/// YAML reads as an alias; the parser's words do not say so.
fn bare_star(source: &Source, at: &At) -> bool {
    let Some(line) = source
        .text
        .split_inclusive('\n')
        .nth((at.span.line as usize).saturating_sub(1))
    else {
        return false;
    };
    let mut rest = line
        .chars()
        .skip((at.span.column as usize).saturating_sub(1));
    rest.next() == Some('*') && rest.next().is_none_or(|c| c == ':' || c.is_whitespace())
}

fn expected_help(found: &str, expected: &[&str]) -> String {
    match did_you_mean(found, expected.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!("expected one of {}", backticked(expected)),
    }
}

/// Plainer words for the parser's messages about types.
fn friendlier(message: &str) -> Option<&'static str> {
    Some(match message {
        "invalid u32" | "invalid u64" => "expected a whole number, 0 or more",
        "invalid i32" | "invalid i64" => "expected a whole number",
        "invalid boolean" => "expected `true` or `false`",
        "expected mapping start" => "expected a mapping (`key: value` lines, or `{ key: value }`)",
        "expected sequence start" => "expected a list (`- item` lines, or `[a, b]`)",
        "expected string scalar" => "expected a single value, not a list or mapping",
        "externally tagged enum expected scalar or mapping" => {
            "expected one word from the list, not a list or mapping"
        }
        _ => return None,
    })
}
