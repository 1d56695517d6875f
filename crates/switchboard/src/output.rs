//! The only way the binary writes to standard output and standard error: every byte passes
//! through `spec::text::terminal_output` first, the last line of defence behind the escaping
//! each renderer does. On each line it escapes what a terminal or a CI log would act on
//! (colour sequences survive only on a stream switchboard colours), redacts credentials in
//! URLs (unless `--show-sensitive` on a terminal), and puts a `\` before a line that would
//! start a GitHub Actions (or Azure Pipelines) workflow command, whatever wrapped it there.
//!
//! `crates/switchboard/clippy.toml` forbids `std::io::stdout` and `std::io::stderr` elsewhere
//! in the crate, and the print macros are denied by the workspace's lints, so a new message
//! cannot bypass this module by accident. `validate --format github`, which writes workflow
//! commands on purpose, writes through [`print_workflow_commands`]: each of its lines is built
//! here from a [`WorkflowCommand`], every property and the message escaped by
//! `spec::text::github_command_*`, and nothing else it prints can start a command.

#![allow(clippy::disallowed_methods)]

use std::borrow::Cow;
use std::fmt::Display;
use std::io::{IsTerminal as _, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};

use spec::text::{Terminal, terminal_output};

use crate::cli::Global;
use crate::specfile::Style;

/// Whether switchboard colours standard output, and standard error.
static COLOUR_OUT: AtomicBool = AtomicBool::new(false);
static COLOUR_ERR: AtomicBool = AtomicBool::new(false);
/// Credentials are shown on standard output (`--show-sensitive`, on a terminal). Standard
/// error never shows them.
static REVEAL: AtomicBool = AtomicBool::new(false);

/// Records how this run writes: the colour of each stream as `--color` and `NO_COLOR` decide.
pub fn init(global: &Global) {
    COLOUR_OUT.store(Style::for_stdout(global).color, Ordering::Relaxed);
    COLOUR_ERR.store(Style::for_stderr(global).color, Ordering::Relaxed);
}

/// Whether switchboard colours standard error.
pub fn stderr_colours() -> bool {
    COLOUR_ERR.load(Ordering::Relaxed)
}

/// Shows credentials on standard output from now on: `--show-sensitive`, once `main` has
/// checked that standard output is a terminal.
pub fn reveal() {
    REVEAL.store(true, Ordering::Relaxed);
}

/// True when credentials are shown on standard output ([`reveal`]).
pub fn revealing() -> bool {
    REVEAL.load(Ordering::Relaxed)
}

/// True when standard output is a terminal.
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// True when standard error is a terminal.
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// True when standard input is a terminal.
pub fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

/// The `${secret.NAME}` values of the spec this run loaded: shown as `(sensitive)` in
/// everything written, whatever wrote them (`--show-sensitive` included).
static SECRETS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Hides `secrets` in everything written from now on ([`SECRETS`]).
pub fn hide(secrets: impl IntoIterator<Item = String>) {
    let mut hidden = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    hidden.extend(secrets.into_iter().filter(|s| !s.is_empty()));
    // Longest first, so that a secret holding another is hidden whole.
    hidden.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    hidden.dedup();
}

/// `text` with every secret [`hide`] was given shown as `(sensitive)`.
pub fn masked(text: &str) -> Cow<'_, str> {
    let hidden = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    match spec::sensitive::mask(text, &hidden) {
        Cow::Borrowed(_) => Cow::Borrowed(text),
        Cow::Owned(owned) => Cow::Owned(owned),
    }
}

fn guarded<'a>(text: &'a str, colours: &AtomicBool, reveal: bool) -> Cow<'a, str> {
    let how = Terminal {
        colours: colours.load(Ordering::Relaxed),
        reveal,
    };
    match masked(text) {
        Cow::Borrowed(text) => terminal_output(text, how),
        Cow::Owned(text) => Cow::Owned(terminal_output(&text, how).into_owned()),
    }
}

/// `text` as it may be written to standard error (for the progress bar, which draws itself).
pub fn for_stderr(text: &str) -> String {
    guarded(text, &COLOUR_ERR, false).into_owned()
}

/// Writes `text` to standard output and flushes (a closed pipe is reported as the
/// `BrokenPipe` it is, for `main` to treat as success).
pub fn print(text: &str) -> std::io::Result<()> {
    let text = guarded(text, &COLOUR_OUT, revealing());
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// [`print`] with a line feed.
pub fn println(text: impl Display) -> std::io::Result<()> {
    print(&format!("{text}\n"))
}

/// Writes `text` to standard error; a failure to write there is not worth failing for.
pub fn eprint(text: &str) {
    let text = guarded(text, &COLOUR_ERR, false);
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

/// [`eprint`] with a line feed.
pub fn eprintln(text: impl Display) {
    eprint(&format!("{text}\n"));
}

/// A GitHub Actions workflow command (`::error file=a.yaml,line=3::message`), as data: its
/// line is made only by [`WorkflowCommand::line`], which escapes every part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkflowCommand {
    /// Which command.
    pub kind: CommandKind,
    /// Its properties, in order: names are ours (`file`, `line`, `title`...), values are
    /// escaped as properties.
    pub properties: Vec<(&'static str, String)>,
    /// The message, escaped as a command's value (its line breaks kept as `%0A`).
    pub message: String,
}

/// The annotation commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandKind {
    /// `::error`
    Error,
    /// `::warning`
    Warning,
    /// `::notice`
    Notice,
}

impl WorkflowCommand {
    /// The command's one line (no line feed): `::kind name=value,...::message`.
    pub fn line(&self) -> String {
        let kind = match self.kind {
            CommandKind::Error => "error",
            CommandKind::Warning => "warning",
            CommandKind::Notice => "notice",
        };
        let properties: Vec<String> = self
            .properties
            .iter()
            .map(|(name, value)| {
                debug_assert!(name.bytes().all(|b| b.is_ascii_alphabetic()));
                format!("{name}={}", spec::text::github_command_property(value))
            })
            .collect();
        format!(
            "::{kind} {}::{}",
            properties.join(","),
            spec::text::github_command_value(&self.message)
        )
    }
}

/// Writes `commands` to standard output, one line each, then `after` (guarded as [`print`]
/// guards everything: it cannot start a command).
pub fn print_workflow_commands(commands: &[WorkflowCommand], after: &str) -> std::io::Result<()> {
    let mut text = String::new();
    for command in commands {
        text.push_str(&masked(&command.line()));
        text.push('\n');
    }
    text.push_str(&guarded(after, &COLOUR_OUT, false));
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Standard output as a writer for code that takes one (the emulator's `listening on`
/// line): each write is guarded as it comes.
#[derive(Debug)]
pub struct Stdout;

impl std::io::Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        print(&String::from_utf8_lossy(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hidden_secret_is_never_written_whatever_carries_it() {
        hide(["hunter2-SECRET".to_owned(), String::new()]);
        // In a message no renderer knew held it, and with `--show-sensitive`.
        let out = guarded("error: PCC said `hunter2-SECRET` is bad", &COLOUR_OUT, true);
        assert_eq!(out, "error: PCC said `(sensitive)` is bad");
        let command = WorkflowCommand {
            kind: CommandKind::Error,
            properties: vec![("title", "hunter2-SECRET".to_owned())],
            message: "x hunter2-SECRET".to_owned(),
        };
        assert!(!masked(&command.line()).contains("hunter2"));
        // The empty string hides nothing.
        assert_eq!(masked("plain"), "plain");
    }
}
