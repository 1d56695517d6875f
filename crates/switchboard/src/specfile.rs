//! Reading a spec from disk for every command that takes one, and showing its diagnostics.
//!
//! - [`load`]: a file, or a directory whose `*.yaml`/`*.yml` files form one project →
//!   `spec::load`, with audio files hashed (SHA-256) relative to the spec root.
//! - [`load_valid`]: the same for commands that need a valid spec (plan, apply, graph...):
//!   prints the diagnostics to standard error and fails on errors.
//! - [`render_human`] / [`render_json`]: diagnostics for people (miette, source snippets) or
//!   machines.

use std::fmt;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use miette::{
    LabeledSpan, MietteError, MietteHandlerOpts, MietteSpanContents, ReportHandler, SourceSpan,
    SpanContents,
};
use sha2::{Digest, Sha256};
use spec::{Loaded, Severity, Source, Spec};

use crate::cli::{ColorChoice, Global};

/// The files a spec was loaded from, kept for rendering snippets.
#[derive(Debug)]
pub struct Sources {
    /// The spec root: the directory given, or the directory of the file given. Audio paths
    /// are relative to it.
    pub root: PathBuf,
    /// The files, in load order, with their paths as shown to the user.
    pub files: Vec<Source>,
}

/// Loads the spec at `path`: a file, or a directory whose YAML files (recursively, sorted,
/// skipping hidden directories and `.switchboard`) form one project. Fails only when the files
/// cannot be read; problems in them are in the returned [`Loaded`].
pub fn load(path: &Path) -> anyhow::Result<(Loaded, Sources)> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let (root, paths) = if meta.is_dir() {
        let mut paths = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        collect_yaml(path, &mut paths, &mut seen)?;
        paths.sort();
        if paths.is_empty() {
            anyhow::bail!(
                "no spec files in `{}`: expected *.yaml or *.yml files",
                path.display()
            );
        }
        (path.to_path_buf(), paths)
    } else {
        let root = path.parent().map_or_else(PathBuf::new, Path::to_path_buf);
        (root, vec![path.to_path_buf()])
    };
    let files = paths
        .iter()
        .map(|file| {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read `{}`", file.display()))?;
            if is_saved_plan(&text) {
                anyhow::bail!(
                    "`{}` is a saved plan, not a spec: apply it with `switchboard apply {}`, or \
                     draw it with `switchboard report SPEC --plan {}`",
                    file.display(),
                    file.display(),
                    file.display()
                );
            }
            Ok(Source {
                path: file.display().to_string(),
                text,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let hash = |relative: &str| hash_file(&root.join(relative));
    let loaded = spec::load(&files, &hash);
    Ok((loaded, Sources { root, files }))
}

/// Loads the spec at `path` for a command that needs a valid one: prints its diagnostics
/// (warnings too) to standard error, and fails when there are errors.
#[allow(dead_code, reason = "the entry point of apply, graph and simulate")]
pub fn load_valid(path: &Path, global: &Global) -> anyhow::Result<Spec> {
    load_valid_at(path, global).map(|(spec, _root)| spec)
}

/// [`load_valid`], also answering the spec root (where audio paths start).
pub fn load_valid_at(path: &Path, global: &Global) -> anyhow::Result<(Spec, PathBuf)> {
    let (loaded, sources) = load(path)?;
    if !loaded.diagnostics.is_empty() {
        eprint!(
            "{}",
            render_human(&loaded, &sources, &Style::for_stderr(global))
        );
    }
    match loaded.spec {
        Some(spec) => Ok((spec, sources.root)),
        None => anyhow::bail!(
            "`{}` is not a valid spec (run `switchboard validate` for details)",
            path.display()
        ),
    }
}

/// A file `plan --out` wrote: JSON with `format_version` and `plan`. (JSON is YAML, so the
/// spec loader would otherwise report its keys as unknown.)
fn is_saved_plan(text: &str) -> bool {
    text.trim_start().starts_with('{')
        && serde_json::from_str::<serde_json::Value>(text)
            .is_ok_and(|doc| doc.get("format_version").is_some() && doc.get("plan").is_some())
}

/// Symlinked directories are followed (a team's part may live elsewhere in a monorepo, and
/// skipping it would plan the deletion of what it declares); each directory is read once, by
/// its real path, so a link loop cannot trap the walk.
fn collect_yaml(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    seen: &mut std::collections::BTreeSet<PathBuf>,
) -> anyhow::Result<()> {
    let real =
        std::fs::canonicalize(dir).with_context(|| format!("cannot read `{}`", dir.display()))?;
    if !seen.insert(real) {
        return Ok(());
    }
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read `{}`", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read `{}`", dir.display()))?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        // Symlinked directories are followed (`seen` stops loops). A symlinked file is read even
        // when it leads nowhere (a loop, a missing target), so that reading it fails loudly
        // instead of the file being skipped and its objects planned for deletion.
        if path.is_dir() {
            collect_yaml(&path, out, seen)?;
        } else if (path.is_file() || entry.file_type()?.is_symlink())
            && path.extension().is_some_and(|ext| {
                // `TEAM.YAML` is a spec file too: skipping it would plan its objects' deletion.
                ext.eq_ignore_ascii_case("yaml") || ext.eq_ignore_ascii_case("yml")
            })
        {
            out.push(path);
        }
    }
    Ok(())
}

fn hash_file(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|err| match err.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        _ => err.to_string(),
    })?;
    Ok(Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// How to draw diagnostics.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    /// ANSI colours.
    pub color: bool,
    /// Text width to wrap at; `None` for the terminal's width.
    pub width: Option<usize>,
}

impl Style {
    /// Fixed width and no colour: the same bytes on every machine (tests, CI logs).
    pub const PLAIN: Style = Style {
        color: false,
        width: Some(100),
    };

    /// For standard output: colour per `--color` (auto: on a terminal, unless `NO_COLOR`).
    pub fn for_stdout(global: &Global) -> Style {
        Style::for_stream(global, std::io::stdout().is_terminal())
    }

    /// For standard error, likewise.
    pub fn for_stderr(global: &Global) -> Style {
        Style::for_stream(global, std::io::stderr().is_terminal())
    }

    fn for_stream(global: &Global, terminal: bool) -> Style {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal && !no_color,
        };
        let width = if terminal { None } else { Style::PLAIN.width };
        Style { color, width }
    }
}

/// Every diagnostic with its source snippet, then the summary line (`2 errors, 1 warning`);
/// nothing when there are none.
pub fn render_human(loaded: &Loaded, sources: &Sources, style: &Style) -> String {
    let mut options = MietteHandlerOpts::new()
        .force_graphical(true)
        .show_related_errors_as_nested()
        .unicode(true)
        .terminal_links(false)
        .color(style.color);
    if let Some(width) = style.width {
        options = options.width(width);
    }
    let handler = options.build();
    // Shared, so that a thousand diagnostics do not copy a file a thousand times.
    let texts: Vec<(&str, Arc<str>)> = sources
        .files
        .iter()
        .map(|s| (s.path.as_str(), Arc::from(s.text.as_str())))
        .collect();
    let mut out = String::new();
    for diagnostic in &loaded.diagnostics {
        let report = Report::new(diagnostic, &texts);
        out.push_str(&Drawn(&handler, &report).to_string());
        out.push('\n');
    }
    if !loaded.diagnostics.is_empty() {
        out.push_str(&spec::diagnostic::summary(&loaded.diagnostics));
        out.push('\n');
    }
    out
}

/// The JSON document `validate --format json` prints (shape in docs/spec.md).
pub fn render_json(loaded: &Loaded, strict: bool) -> String {
    let valid = loaded.errors() == 0 && !(strict && loaded.warnings() > 0);
    let document = serde_json::json!({
        "format_version": 1,
        "valid": valid,
        "strict": strict,
        "errors": loaded.errors(),
        "warnings": loaded.warnings(),
        "diagnostics": loaded.diagnostics,
    });
    let mut out = serde_json::to_string_pretty(&document).expect("diagnostics are JSON");
    out.push('\n');
    out
}

/// A report drawn by a miette handler.
struct Drawn<'a>(&'a miette::MietteHandler, &'a Report);

impl fmt::Display for Drawn<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.debug(self.1, f)
    }
}

/// One `spec::Diagnostic` as miette wants it: labels in the first label's file go on the
/// report; labels in other files (a name defined in two files) become related reports with
/// their own snippet.
#[derive(Debug)]
struct Report {
    message: String,
    code: Option<&'static str>,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<Text>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl Report {
    fn new(diagnostic: &spec::Diagnostic, texts: &[(&str, Arc<str>)]) -> Report {
        let severity = match diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        };
        let mut files: Vec<&str> = Vec::new();
        for label in &diagnostic.labels {
            if !files.contains(&label.file.as_str()) {
                files.push(&label.file);
            }
        }
        let in_file = |file: &str| -> (Option<Text>, Vec<LabeledSpan>) {
            let source = texts
                .iter()
                .find(|(path, _)| *path == file)
                .map(|(path, text)| Text {
                    name: (*path).to_owned(),
                    text: Arc::clone(text),
                });
            let labels = diagnostic
                .labels
                .iter()
                .enumerate()
                .filter(|(_, l)| l.file == file)
                .map(|(i, l)| {
                    let span = SourceSpan::from(l.span.start..l.span.end);
                    let text = (!l.text.is_empty()).then(|| l.text.clone());
                    if i == 0 {
                        LabeledSpan::new_primary_with_span(text, span)
                    } else {
                        LabeledSpan::new_with_span(text, span)
                    }
                })
                .collect();
            (source, labels)
        };
        let (source, labels) = files.first().map(|f| in_file(f)).unwrap_or_default();
        let related = files
            .iter()
            .skip(1)
            .map(|file| {
                let (source, labels) = in_file(file);
                Report {
                    message: format!("see also `{file}`"),
                    code: None,
                    severity: miette::Severity::Advice,
                    help: None,
                    source,
                    labels,
                    related: Vec::new(),
                }
            })
            .collect();
        Report {
            message: diagnostic.message.clone(),
            code: Some(diagnostic.code),
            severity,
            help: diagnostic.help.clone(),
            source,
            labels,
            related,
        }
    }
}

/// A file's text for miette. miette's `file:line:col` header counts the column in bytes; this
/// counts characters, a byte-order mark left out, as `--format json` does, so that a line with
/// `ọ` or `é` before the problem still points at the right column.
#[derive(Debug)]
struct Text {
    name: String,
    text: Arc<str>,
}

impl miette::SourceCode for Text {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        // miette reads the header's column from a read with no context lines.
        let column = match (context_lines_before, char_column(&self.text, span.offset())) {
            (0, Some(column)) => column,
            _ => inner.column(),
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            column,
            inner.line_count(),
        )))
    }
}

/// The 0-based column of byte `offset` in characters, not counting a byte-order mark.
fn char_column(text: &str, offset: usize) -> Option<usize> {
    let before = text.get(..offset)?;
    let line = &before[before.rfind(['\n', '\r']).map_or(0, |at| at + 1)..];
    Some(line.chars().filter(|&c| c != '\u{feff}').count())
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .map(|code| Box::new(code) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}
