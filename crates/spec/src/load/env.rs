//! Environments and substitution: the `environments:` section (each environment's API key,
//! endpoint, `vars:` and `include:` files), and `${var.NAME}`, `${env.NAME}` and
//! `${secret.NAME}` in values, resolved for the one environment a load is for.
//!
//! Substitution happens on the raw types, after parsing and before anything else reads them,
//! so every check sees the values an environment gets. It is in values only: a `${` in a name
//! or key is an error, since names are identities (objects that differ per environment live in
//! its `include:` files). A substituted value is never scanned again (a variable holding
//! `${env.X}` inserts that text), and `$${` writes a literal `${`. A `${secret.NAME}` value
//! may only go into a webhook URL (the model's [`Sensitive`](crate::model::Sensitive)
//! fields), where it is shown as `(sensitive)`; anywhere else it would be shown, so it is an
//! error there and the value keeps its `${secret.NAME}` text.

use std::collections::BTreeMap;

use crate::diagnostic::code;
use crate::load::merge::collect;
use crate::load::{At, Cx, did_you_mean};
use crate::raw::{
    Map, RawAction, RawAgent, RawAllow, RawAudio, RawBlacklisted, RawEnvironment, RawExpect,
    RawGroup, RawKindSafety, RawLint, RawMoved, RawNode, RawNumber, RawQueue, RawRouting,
    RawSafety, RawSettings, RawSpec, RawTest, RawTree, Span, Spanned,
};

/// The environment a load is for, as the caller hands it in.
#[derive(Debug)]
pub struct Selected<'a> {
    /// Its name, one of the spec's `environments:`.
    pub name: &'a str,
    /// The files of its `include:` paths, read by the caller (inside the spec root).
    pub includes: &'a [crate::Source],
    /// `include:` paths the caller could not read, with why (`it leads outside the spec
    /// root`): reported at the path's place in the spec.
    pub unreadable: &'a BTreeMap<String, String>,
}

/// What a load may substitute, besides the environment's `vars:`: the process environment.
pub type ProcessEnv<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The prefix of the variables `${secret.NAME}` reads: `SWITCHBOARD_SECRET_NAME`.
pub const SECRET_VAR_PREFIX: &str = "SWITCHBOARD_SECRET_";

/// The prefix of the variables `${env.NAME}` reads: `SWITCHBOARD_VAR_NAME`.
pub const ENV_VAR_PREFIX: &str = "SWITCHBOARD_VAR_";

/// The one process variable `${secret.NAME}` reads. A pull request controls the spec, not the
/// runner's environment: with a prefix only the runner's operator can widen (as Terraform
/// reads only `TF_VAR_…`), no spec can name the runner's own credentials (`CI_JOB_TOKEN`,
/// `AWS_SECRET_ACCESS_KEY`, switchboard's own key) and have `apply` write them into PCC.
pub fn secret_variable(name: &str) -> String {
    format!("{SECRET_VAR_PREFIX}{name}")
}

/// The one process variable `${env.NAME}` reads (see [`secret_variable`]): its value is
/// shown, so no spec may read an arbitrary variable of the runner either.
pub fn env_variable(name: &str) -> String {
    format!("{ENV_VAR_PREFIX}{name}")
}

/// The environment a valid spec was loaded for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Environment {
    /// Its name.
    pub name: String,
    /// The API key SID its project is reached with, when the spec binds one.
    pub api_key_sid: Option<String>,
    /// Its PCC endpoint, when the spec names one.
    pub endpoint: Option<String>,
    /// Every `${secret.NAME}` the spec used, by `NAME`, with the value it had.
    pub secrets: BTreeMap<String, Secret>,
}

/// The Stringee project a spec (or one of its environments) pins with `project_id:`: the
/// wiring step refuses a PCC that reports another project for the API key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinnedProject {
    /// The project's id in the account, as text (PCC's ids are read as text).
    pub id: String,
    /// Where `project_id` is written.
    pub at: crate::Location,
}

/// A `${secret.NAME}` value: shown as `(sensitive)` by `Debug`, so that an error or a test
/// that prints a spec never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The value, for the digest a saved plan keeps and for the request that writes it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(crate::sensitive::SECRET)
    }
}

/// An environment as declared (names, vars, includes), read before substitution.
pub(super) struct Declared {
    pub(super) name: String,
    pub(super) api_key_sid: Option<String>,
    pub(super) endpoint: Option<String>,
    pub(super) project_id: Option<PinnedProject>,
    pub(super) vars: BTreeMap<String, String>,
}

/// The environments of the spec's own files (`base` of them; an included file may not
/// declare any), checked. Answers them by name.
pub(super) fn lower_environments(
    cx: &mut Cx<'_>,
    raws: &[(usize, RawSpec)],
    base: usize,
    selected: Option<&Selected<'_>>,
) -> BTreeMap<String, Declared> {
    for (file, raw) in raws.iter().filter(|(file, _)| *file >= base) {
        if let Some((key, _)) = raw.environments.as_ref().and_then(|m| m.entries.first()) {
            let environment = selected.map_or("", |s| s.name);
            cx.error(
                code::ENVIRONMENT,
                At::of(*file, key),
                format!(
                    "`environments:` is declared in a file included by environment \
                     `{environment}`"
                ),
                "not in an included file",
            )
            .help = Some(
                "declare every environment in the spec's own files; an included file holds the \
                 objects of its environment"
                    .to_owned(),
            );
        }
    }
    let defs = collect(
        cx,
        "environment",
        raws.iter()
            .filter(|(file, _)| *file < base)
            .map(|(f, r)| (*f, r.environments.as_ref())),
    );
    let mut out = BTreeMap::new();
    for (name, def) in &defs {
        let raw: &RawEnvironment = &def.value.value;
        let mut vars = BTreeMap::new();
        for (key, value) in raw.vars.iter().flat_map(|m| &m.entries) {
            if !is_identifier(&key.value) {
                cx.error(
                    code::ENVIRONMENT,
                    def.at(key),
                    format!(
                        "variable name {} is not a name `${{var.NAME}}` can use",
                        super::merge::quoted_name(&key.value)
                    ),
                    "letters, digits, `_` and `-`",
                );
                continue;
            }
            if vars.contains_key(&key.value) {
                cx.error(
                    code::DUPLICATE_NAME,
                    def.at(key),
                    format!("variable `{}` is defined twice in `{name}`", key.value),
                    "defined again here",
                );
                continue;
            }
            vars.insert(key.value.clone(), value.value.clone());
        }
        if let Some(sid) = &raw.api_key_sid
            && sid.value.trim().is_empty()
        {
            cx.error(
                code::EMPTY_VALUE,
                def.at(sid),
                "`api_key_sid` is empty",
                "empty",
            )
            .help = Some("write the SID of the environment's API key, or leave it out".to_owned());
        }
        if let Some(endpoint) = &raw.endpoint
            && !crate::valid::http_url(endpoint.value.trim())
        {
            cx.error(
                code::INVALID_URL,
                def.at(endpoint),
                format!(
                    "`{}` is not an http(s) URL",
                    crate::sensitive::redact(&endpoint.value)
                ),
                "not an http(s) URL",
            );
        }
        for path in raw.include.iter().flatten() {
            if let Some(why) = include_problem(&path.value) {
                cx.error(
                    code::ENVIRONMENT,
                    def.at(path),
                    format!(
                        "cannot include {}: {why}",
                        super::merge::quoted_name(&path.value)
                    ),
                    "not a path inside the spec root",
                );
            } else if let Some(why) = selected
                .filter(|s| s.name == name)
                .and_then(|s| s.unreadable.get(&path.value))
            {
                cx.error(
                    code::ENVIRONMENT,
                    def.at(path),
                    format!(
                        "cannot include {}: {why}",
                        super::merge::quoted_name(&path.value)
                    ),
                    "cannot be included",
                );
            }
        }
        out.insert(
            name.clone(),
            Declared {
                name: name.clone(),
                api_key_sid: raw.api_key_sid.as_ref().map(|s| s.value.trim().to_owned()),
                endpoint: raw.endpoint.as_ref().map(|s| s.value.trim().to_owned()),
                project_id: raw
                    .project_id
                    .as_ref()
                    .and_then(|id| super::pinned_project(cx, def.at(id), id.value)),
                vars,
            },
        );
    }
    if let Some(selected) = selected
        && !out.contains_key(selected.name)
    {
        let names: Vec<&str> = out.keys().map(String::as_str).collect();
        let at = defs.values().next().map(|d| d.key_at()).unwrap_or(At {
            file: 0,
            span: Span {
                line: 1,
                column: 1,
                bytes: None,
            },
        });
        cx.error(
            code::ENVIRONMENT,
            at,
            format!(
                "environment {} is not declared",
                super::merge::quoted_name(selected.name)
            ),
            "environments are declared here",
        )
        .help = Some(if names.is_empty() {
            "the spec declares no `environments:`".to_owned()
        } else {
            format!("declared: {}", super::backticked(&names))
        });
    }
    out
}

/// What is wrong with an `include:` path, judged from its text (the caller's checked reader
/// judges links and what is there).
pub fn include_problem(path: &str) -> Option<&'static str> {
    if path.trim().is_empty() {
        return Some("the path is empty");
    }
    if path.starts_with('/') || path.starts_with('\\') || path.get(1..2) == Some(":") {
        return Some("it is an absolute path; include paths are relative to the spec root");
    }
    let mut depth: i32 = 0;
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => depth -= 1,
            _ => depth += 1,
        }
        if depth < 0 {
            return Some("it leads outside the spec root");
        }
    }
    None
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

// ---------------------------------------------------------------------------------------------
// Substitution

/// What `${…}` resolves against in one load.
pub(super) struct Values<'a> {
    /// The selected environment; `None` when the load is for none.
    pub(super) environment: Option<&'a Declared>,
    /// The names of the declared environments (for the error of a `${var.…}` with none
    /// selected).
    pub(super) declared: Vec<&'a str>,
    pub(super) process: ProcessEnv<'a>,
}

/// Substitutes every value of `raw` (from `file`); reports what cannot be; records the
/// secrets each webhook URL received (`Cx::secrets_at`) and every secret used (`secrets`).
pub(super) fn substitute(
    cx: &mut Cx<'_>,
    file: usize,
    raw: &mut RawSpec,
    values: &Values<'_>,
    secrets: &mut BTreeMap<String, Secret>,
) {
    let mut visitor = Substituter {
        cx,
        file,
        values,
        secrets,
    };
    raw.walk(&mut visitor);
}

struct Substituter<'c, 'a, 'v, 's> {
    cx: &'c mut Cx<'a>,
    file: usize,
    values: &'v Values<'v>,
    secrets: &'s mut BTreeMap<String, Secret>,
}

/// Whether a value may hold a secret.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    Plain,
    /// A webhook URL: a [`crate::model::Sensitive`] of the model.
    Sensitive,
}

trait Visit {
    fn value(&mut self, value: &mut Spanned<String>, slot: Slot);
    fn name(&mut self, name: &mut Spanned<String>);
}

impl Visit for Substituter<'_, '_, '_, '_> {
    fn name(&mut self, name: &mut Spanned<String>) {
        if !name.value.contains("${") {
            return;
        }
        // `$${` is a literal `${`, as in values (what `export` writes for a name holding one).
        let mut out = String::with_capacity(name.value.len());
        let mut rest = 0;
        let mut substitution = None;
        while let Some(found) = name.value[rest..].find('$') {
            let at = rest + found;
            out.push_str(&name.value[rest..at]);
            let after = &name.value[at..];
            if after.starts_with("$${") {
                out.push_str("${");
                rest = at + 3;
            } else if after.starts_with("${") {
                substitution = Some(at);
                break;
            } else {
                out.push('$');
                rest = at + 1;
            }
        }
        let Some(offset) = substitution else {
            out.push_str(&name.value[rest..]);
            name.value = out;
            return;
        };
        {
            let token = token_at(&name.value, offset);
            let at = self.at_token(name, token);
            // What the checks then say of the name as written (`invalid-number` for a
            // number's key) is a consequence, folded under this error as for a value.
            self.cx.unresolved.push((
                (self.file, name.span.line, name.span.column),
                self.cx.diagnostics.len(),
            ));
            self.cx
                .error(
                    code::SUBSTITUTION_IN_NAME,
                    at,
                    format!("`{}` is in a name: names are never substituted", cut(token)),
                    "a name, not a value",
                )
                .help = Some(
                "a name is an object's identity in every environment: put what differs by \
                 environment in that environment's `include:` files"
                    .to_owned(),
            );
        }
    }

    fn value(&mut self, value: &mut Spanned<String>, slot: Slot) {
        if !value.value.contains('$') {
            return;
        }
        let first_error = self.cx.diagnostics.len();
        let text = &value.value;
        let mut out = String::with_capacity(text.len());
        let mut used: Vec<String> = Vec::new();
        let mut failed = false;
        let mut rest = 0;
        while let Some(found) = text[rest..].find('$') {
            let at = rest + found;
            out.push_str(&text[rest..at]);
            let after = &text[at..];
            if after.starts_with("$${") {
                out.push_str("${");
                rest = at + 3;
                continue;
            }
            if !after.starts_with("${") {
                out.push('$');
                rest = at + 1;
                continue;
            }
            let Some(close) = after.find('}') else {
                let token = token_at(text, at);
                let place = self.at_token(value, token);
                self.cx
                    .error(
                        code::SUBSTITUTION,
                        place,
                        format!("`{}` is not closed", cut(token)),
                        "no `}` after this `${`",
                    )
                    .help = Some("write `${var.NAME}`, or `$${` for a literal `${`".to_owned());
                failed = true;
                break;
            };
            let token = &after[..=close];
            rest = at + close + 1;
            if slot == Slot::Plain && token.starts_with("${secret.") {
                // Not even read: it could only be shown here.
                let place = self.at_token(value, token);
                self.cx
                    .error(
                        code::SECRET_OUTSIDE_URL,
                        place,
                        format!(
                            "`{token}` is used where it would be shown: secrets go into \
                                     webhook URLs only"
                        ),
                        "not a webhook URL",
                    )
                    .help = Some(
                    "a secret may be used in `settings` URLs and a queue's \
                             `get_list_agents_url`, which are shown as `(sensitive)`; use \
                             `${env.NAME}` for a value that may be shown"
                        .to_owned(),
                );
                failed = true;
                continue;
            }
            match self.resolve(value, token) {
                Some(Resolved::Plain(resolved)) => out.push_str(&resolved),
                Some(Resolved::Secret(name, resolved)) => {
                    used.push(resolved.clone());
                    self.secrets.insert(name, Secret(resolved));
                    out.push_str(used.last().expect("just pushed"));
                }
                None => failed = true,
            }
        }
        if failed {
            // The value keeps its text: a half-substituted value could hold a secret where it
            // would be shown. What the checks then say of that text is a consequence.
            self.cx
                .unresolved
                .push(((self.file, value.span.line, value.span.column), first_error));
            return;
        }
        out.push_str(&text[rest..]);
        if !used.is_empty() {
            self.cx.secrets_at.insert(
                (self.file, value.span.line, value.span.column),
                used.clone(),
            );
        }
        value.value = out;
    }
}

enum Resolved {
    Plain(String),
    /// A secret's name and value.
    Secret(String, String),
}

impl Substituter<'_, '_, '_, '_> {
    /// What `${…}` (the whole token) stands for; reports why when nothing.
    fn resolve(&mut self, value: &Spanned<String>, token: &str) -> Option<Resolved> {
        let inner = &token[2..token.len() - 1];
        let (namespace, name) = inner.split_once('.').unwrap_or((inner, ""));
        let place = self.at_token(value, token);
        if !matches!(namespace, "var" | "env" | "secret") || !is_identifier(name) {
            self.cx
                .error(
                    code::SUBSTITUTION,
                    place,
                    format!("`{}` is not a substitution switchboard knows", cut(token)),
                    "not `${var.NAME}`, `${env.NAME}` or `${secret.NAME}`",
                )
                .help = Some(
                "write `${var.NAME}` (the environment's `vars:`), `${env.NAME}` or \
                 `${secret.NAME}` (the process environment); `$${` writes a literal `${`"
                    .to_owned(),
            );
            return None;
        }
        match namespace {
            "var" => {
                let Some(environment) = self.values.environment else {
                    let help = if self.values.declared.is_empty() {
                        "the spec declares no `environments:`, so no variables: declare them \
                         under `environments: NAME: vars:`"
                            .to_owned()
                    } else {
                        format!(
                            "choose an environment with `--env` (or `SWITCHBOARD_ENV`): {}",
                            super::backticked(&self.values.declared)
                        )
                    };
                    self.cx
                        .error(
                            code::SUBSTITUTION,
                            place,
                            format!("variable `{name}` has no value: no environment is selected"),
                            "no environment",
                        )
                        .help = Some(help);
                    return None;
                };
                match environment.vars.get(name) {
                    Some(found) => Some(Resolved::Plain(found.clone())),
                    None => {
                        let help =
                            match did_you_mean(name, environment.vars.keys().map(String::as_str)) {
                                Some(close) => format!("did you mean `{close}`?"),
                                None => {
                                    format!("add it to `environments.{}.vars`", environment.name)
                                }
                            };
                        self.cx
                            .error(
                                code::SUBSTITUTION,
                                place,
                                format!(
                                    "variable `{name}` is not set in environment `{}`",
                                    environment.name
                                ),
                                "unknown variable",
                            )
                            .help = Some(help);
                        None
                    }
                }
            }
            "env" if crate::sensitive::is_secret_name(name) => {
                // Not even read. A pull request controls the spec, not the runner's
                // environment: `${env.CI_JOB_TOKEN}` in a name would put the runner's token in
                // the plan comment the PR's author reads. A variable named like a credential
                // is one; `${secret.…}` is how one is used, hidden.
                self.cx
                    .error(
                        code::SECRET_OUTSIDE_URL,
                        place,
                        format!(
                            "`{token}` would show the variable `{name}`, whose name says it is \
                             a credential"
                        ),
                        "named like a credential",
                    )
                    .help = Some(format!(
                    "`${{env.…}}` values are shown; use `${{secret.{name}}}` in a webhook URL \
                     (shown as `(sensitive)`), or a variable whose name holds no secret word \
                     (token, key, secret, password, auth...)"
                ));
                None
            }
            _ => {
                let secret = namespace == "secret";
                // Only the variables meant for the spec are read (`SWITCHBOARD_SECRET_NAME`,
                // `SWITCHBOARD_VAR_NAME`), never the runner's own: a pull request must not be
                // able to name `AWS_SECRET_ACCESS_KEY` and have `apply` send it to its server.
                let variable = if secret {
                    secret_variable(name)
                } else {
                    env_variable(name)
                };
                match (self.values.process)(&variable) {
                    Some(found) if !(secret && found.is_empty()) => Some(if secret {
                        Resolved::Secret(name.to_owned(), found)
                    } else {
                        Resolved::Plain(found)
                    }),
                    found => {
                        let what = if found.is_some() {
                            "is empty"
                        } else {
                            "is not set"
                        };
                        self.cx
                            .error(
                                code::SUBSTITUTION,
                                place,
                                format!("environment variable `{variable}` {what}"),
                                format!("`{variable}` {what}"),
                            )
                            .help = Some(format!(
                            "`{token}` reads only `{variable}`: set it where switchboard runs \
                             ({})",
                            if secret {
                                "a CI secret, say"
                            } else {
                                "a CI variable, say"
                            }
                        ));
                        None
                    }
                }
            }
        }
    }

    /// Where `token` is written inside `value`: its own line and column when the file holds
    /// it as written (a plain or quoted scalar without escapes before it), else the value's.
    fn at_token(&self, value: &Spanned<String>, token: &str) -> At {
        let text = &self.cx.sources[self.file].text;
        let start = value.span.bytes.map_or_else(
            || super::byte_offset(text, value.span.line.max(1), value.span.column.max(1)),
            |(offset, _)| offset,
        );
        let window_end = value.span.bytes.map_or(text.len(), |(offset, len)| {
            (offset + len.max(1)).min(text.len())
        });
        let window = text
            .get(start.min(text.len())..window_end.max(start).min(text.len()))
            .unwrap_or("");
        let Some(found) = window.find(token) else {
            return At::of(self.file, value);
        };
        let byte = start + found;
        let line_start = text[..byte].rfind('\n').map_or(0, |i| i + 1);
        At {
            file: self.file,
            span: Span {
                line: text[..byte].matches('\n').count() as u32 + 1,
                column: text[line_start..byte].chars().count() as u32 + 1,
                bytes: Some((byte, token.len())),
            },
        }
    }
}

/// The `${…}` that starts at `offset` of `text`, up to its `}` (or the end).
pub(super) fn token_at(text: &str, offset: usize) -> &str {
    let rest = &text[offset..];
    match rest.find('}') {
        Some(close) => &rest[..=close],
        None => rest,
    }
}

/// A token cut to 60 characters for a message.
pub(super) fn cut(token: &str) -> String {
    match token.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &token[..at]),
        None => token.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Walking every value and name of a file

trait Walk {
    fn walk(&mut self, v: &mut dyn Visit);
}

fn value(v: &mut dyn Visit, field: &mut Option<Spanned<String>>) {
    if let Some(field) = field {
        v.value(field, Slot::Plain);
    }
}

fn url(v: &mut dyn Visit, field: &mut Option<Spanned<String>>) {
    if let Some(field) = field {
        v.value(field, Slot::Sensitive);
    }
}

impl<T: Walk> Walk for Option<T> {
    fn walk(&mut self, v: &mut dyn Visit) {
        if let Some(inner) = self {
            inner.walk(v);
        }
    }
}

impl<T: Walk> Walk for Vec<T> {
    fn walk(&mut self, v: &mut dyn Visit) {
        for item in self {
            item.walk(v);
        }
    }
}

impl<T: Walk> Walk for Spanned<T> {
    fn walk(&mut self, v: &mut dyn Visit) {
        self.value.walk(v);
    }
}

impl<V: Walk, K> Walk for Map<V, K> {
    fn walk(&mut self, v: &mut dyn Visit) {
        for (key, value) in &mut self.entries {
            v.name(key);
            value.walk(v);
        }
    }
}

/// A list of plain values (`ignore:`, a group's `agents:`).
struct PlainList<'r>(&'r mut Vec<Spanned<String>>);

impl Walk for PlainList<'_> {
    fn walk(&mut self, v: &mut dyn Visit) {
        for item in self.0.iter_mut() {
            v.value(item, Slot::Plain);
        }
    }
}

// Each struct is taken apart field by field, without `..`: a field added to a raw type does
// not compile until its walk says whether it is a value, a URL, a name or not text at all, so
// that no section or field is left unsubstituted by forgetting it (as `blacklist:` once was).

impl Walk for RawSpec {
    fn walk(&mut self, v: &mut dyn Visit) {
        let RawSpec {
            version: _,
            settings,
            audio,
            agents,
            groups,
            queues,
            ivr,
            numbers,
            blacklist,
            tests,
            ignore,
            safety,
            moved,
            lint,
            // Read as written: it is what substitution reads (a var holding `${…}` is text).
            environments: _,
            // A number: nothing to substitute.
            project_id: _,
        } = self;
        settings.walk(v);
        audio.walk(v);
        agents.walk(v);
        groups.walk(v);
        queues.walk(v);
        ivr.walk(v);
        numbers.walk(v);
        blacklist.walk(v);
        tests.walk(v);
        if let Some(ignore) = ignore {
            PlainList(ignore).walk(v);
        }
        safety.walk(v);
        moved.walk(v);
        lint.walk(v);
    }
}

impl Walk for RawSettings {
    fn walk(&mut self, v: &mut dyn Visit) {
        let RawSettings {
            event_url,
            get_customer_info_url,
            get_customer_info_timeout_ms: _,
            callout_answer_url,
        } = self;
        url(v, event_url);
        url(v, get_customer_info_url);
        url(v, callout_answer_url);
    }
}

impl Walk for RawAudio {
    fn walk(&mut self, v: &mut dyn Visit) {
        let RawAudio {
            file,
            server_file,
            sha256,
        } = self;
        value(v, file);
        value(v, server_file);
        value(v, sha256);
    }
}

impl Walk for RawAgent {
    fn walk(&mut self, v: &mut dyn Visit) {
        let RawAgent {
            name,
            routing: _,
            phone_number,
            out_of_hours_callout: _,
        } = self;
        value(v, name);
        value(v, phone_number);
    }
}

impl Walk for RawGroup {
    fn walk(&mut self, v: &mut dyn Visit) {
        let RawGroup { agents } = self;
        if let Some(agents) = agents {
            PlainList(agents).walk(v);
        }
    }
}

impl Walk for RawQueue {
    fn walk(&mut self, v: &mut dyn Visit) {
        let RawQueue {
            routing,
            record_calls: _,
            agent_wrap_up_after_calls: _,
            wrap_up_time_limit: _,
            schedule: _,
            wait_agent_answer_timeout: _,
            wait_greeting,
            hold_greeting,
            maximum_queue_size: _,
            maximum_queue_wait_time: _,
            from_number_callout_to_agent,
            get_list_agents_url,
            cond_routing: _,
            overflow_after: _,
            sla_target_percent: _,
            sla_answered_within: _,
        } = self;
        routing.walk(v);
        value(v, wait_greeting);
        value(v, hold_greeting);
        value(v, from_number_callout_to_agent);
        url(v, get_list_agents_url);
    }
}

impl Walk for RawRouting {
    fn walk(&mut self, v: &mut dyn Visit) {
        let RawRouting { group, primary: _ } = self;
        v.value(group, Slot::Plain);
    }
}

impl Walk for RawBlacklisted {
    fn walk(&mut self, _: &mut dyn Visit) {
        // Its key is a name (the `Map` visits it); `blocks` holds words, not text.
        let RawBlacklisted { blocks: _ } = self;
    }
}

impl Walk for RawTree {
    fn walk(&mut self, v: &mut dyn Visit) {
        let RawTree { start, nodes } = self;
        v.value(start, Slot::Plain);
        nodes.walk(v);
    }
}

impl Walk for RawNode {
    fn walk(&mut self, v: &mut dyn Visit) {
        let RawNode {
            say,
            voice,
            speed: _,
            play,
            barge_in: _,
            loop_count: _,
            delay_ms: _,
            keypress_timeout: _,
            keys,
        } = self;
        value(v, say);
        value(v, voice);
        value(v, play);
        keys.walk(v);
    }
}

impl Walk for RawAction {
    fn walk(&mut self, v: &mut dyn Visit) {
        let RawAction {
            goto,
            back: _,
            queue,
            forward,
            caller_id,
            hangup: _,
        } = self;
        value(v, goto);
        value(v, queue);
        value(v, forward);
        value(v, caller_id);
    }
}

impl Walk for RawNumber {
    fn walk(&mut self, v: &mut dyn Visit) {
        let RawNumber {
            nickname,
            ivr,
            queue,
            allow_outbound_calls: _,
            record_outbound_calls: _,
            all_groups_can_call_out: _,
        } = self;
        value(v, nickname);
        value(v, ivr);
        value(v, queue);
    }
}

impl Walk for RawTest {
    fn walk(&mut self, v: &mut dyn Visit) {
        let RawTest {
            name,
            number,
            keys,
            expect,
        } = self;
        value(v, name);
        v.value(number, Slot::Plain);
        value(v, keys);
        expect.walk(v);
    }
}

impl Walk for RawExpect {
    fn walk(&mut self, v: &mut dyn Visit) {
        let RawExpect {
            queue,
            forward,
            hangup: _,
        } = self;
        value(v, queue);
        value(v, forward);
    }
}

impl Walk for RawSafety {
    fn walk(&mut self, v: &mut dyn Visit) {
        let RawSafety {
            max_delete_percent: _,
            min_objects: _,
            protect_numbers: _,
            kinds,
        } = self;
        kinds.walk(v);
    }
}

impl Walk for RawKindSafety {
    fn walk(&mut self, _: &mut dyn Visit) {
        let RawKindSafety {
            max_delete_percent: _,
            min_objects: _,
        } = self;
    }
}

impl Walk for RawMoved {
    fn walk(&mut self, v: &mut dyn Visit) {
        let RawMoved { from, to } = self;
        v.value(from, Slot::Plain);
        v.value(to, Slot::Plain);
    }
}

impl Walk for RawLint {
    fn walk(&mut self, v: &mut dyn Visit) {
        let RawLint { rules, allow } = self;
        if let Some(rules) = rules {
            // Codes are names; their levels are words.
            for (key, _) in &mut rules.entries {
                v.name(key);
            }
        }
        allow.walk(v);
    }
}

impl Walk for RawAllow {
    fn walk(&mut self, v: &mut dyn Visit) {
        let RawAllow {
            rule,
            address,
            reason,
        } = self;
        v.value(rule, Slot::Plain);
        v.value(address, Slot::Plain);
        v.value(reason, Slot::Plain);
    }
}

/// Every environment's `include:` paths, by environment, read from the spec's files before
/// loading (the caller reads those files and hands them to [`crate::load_with`]). Files that do
/// not parse are passed over: the load reports them.
pub fn environments(sources: &[crate::Source]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for source in sources {
        // Most files declare none: no need to parse them twice.
        if !source.text.contains("environments") {
            continue;
        }
        let Ok(top) = serde_saphyr::from_str::<LooseTop>(&source.text) else {
            continue;
        };
        for (name, env) in top.environments.into_iter().flatten() {
            let entry = out.entry(name).or_default();
            entry.extend(env.and_then(|e| e.include).into_iter().flatten());
        }
    }
    out
}

/// An environment as [`declared`] reads it, before the spec is loaded: enough to find its
/// files and to check the credentials of a command that talks to its project.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Declaration {
    /// Its `include:` paths, as written.
    pub include: Vec<String>,
    /// Its `api_key_sid`, trimmed, when set.
    pub api_key_sid: Option<String>,
    /// Its `endpoint`, trimmed, when set.
    pub endpoint: Option<String>,
}

impl Declaration {
    /// What a command that talks to PCC checks its credentials against, when the spec is
    /// not (yet) valid: `export --env` writes the files that make it so.
    pub fn binding(&self, name: &str) -> Environment {
        Environment {
            name: name.to_owned(),
            api_key_sid: self.api_key_sid.clone().filter(|s| !s.is_empty()),
            endpoint: self.endpoint.clone().filter(|s| !s.is_empty()),
            secrets: BTreeMap::new(),
        }
    }
}

/// Every environment of the spec's files, read loosely as [`environments`] does.
pub fn declared(sources: &[crate::Source]) -> BTreeMap<String, Declaration> {
    let mut out: BTreeMap<String, Declaration> = BTreeMap::new();
    for source in sources {
        if !source.text.contains("environments") {
            continue;
        }
        let Ok(top) = serde_saphyr::from_str::<LooseTop>(&source.text) else {
            continue;
        };
        for (name, env) in top.environments.into_iter().flatten() {
            let entry = out.entry(name).or_default();
            let Some(env) = env else { continue };
            entry.include.extend(env.include.into_iter().flatten());
            let trimmed = |s: Option<String>| s.map(|s| s.trim().to_owned());
            entry.api_key_sid = entry.api_key_sid.take().or(trimmed(env.api_key_sid));
            entry.endpoint = entry.endpoint.take().or(trimmed(env.endpoint));
        }
    }
    out
}

/// The top of a spec file read loosely: only `environments:` (other keys ignored).
#[derive(serde::Deserialize)]
struct LooseTop {
    environments: Option<BTreeMap<String, Option<LooseEnv>>>,
}

#[derive(serde::Deserialize)]
struct LooseEnv {
    include: Option<Vec<String>>,
    api_key_sid: Option<String>,
    endpoint: Option<String>,
}
