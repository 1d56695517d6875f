//! What the libraries report while they work (a request retried after a timeout or a 429),
//! on standard error, so that a slow, throttling or unreachable PCC is never a silent wait of
//! minutes. By default one line says so, the first time a request is retried; with
//! `SWITCHBOARD_LOG` (tracing's filter syntax: `warn`, `pcc=debug`, `debug`) every event the
//! filter lets through is shown, one `warning: ...` line each.
//!
//! While `apply` draws its progress bar, notices are printed above it, not through it.

use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::ProgressBar;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

/// The variable that chooses which notices are shown.
pub const LOG_VAR: &str = "SWITCHBOARD_LOG";

/// What is shown when `SWITCHBOARD_LOG` is unset: the client's retries and give-ups.
const DEFAULT_FILTER: &str = "pcc=warn";

/// The bar notices are printed above, while one is drawn.
static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Installs the notice printer for this process. An invalid `SWITCHBOARD_LOG` falls back to
/// the default, with a notice saying so.
pub fn init() {
    let (filter, verbose, bad) = match std::env::var(LOG_VAR) {
        Ok(text) if !text.trim().is_empty() => {
            match tracing_subscriber::EnvFilter::try_new(&text) {
                Ok(filter) => (filter, true, None),
                Err(err) => (
                    tracing_subscriber::EnvFilter::new(DEFAULT_FILTER),
                    false,
                    Some(format!(
                        "{LOG_VAR}={text} is not a filter ({err}); using the default"
                    )),
                ),
            }
        }
        _ => (
            tracing_subscriber::EnvFilter::new(DEFAULT_FILTER),
            false,
            None,
        ),
    };
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .event_format(Notice {
            verbose,
            retry_shown: AtomicBool::new(false),
        })
        .with_writer(Stderr)
        .try_init()
        .is_ok();
    if let (true, Some(bad)) = (installed, bad) {
        write_line(&format!("warning: {bad}\n"));
    }
}

/// Notices go above `bar` until [`clear_bar`].
pub fn set_bar(bar: &ProgressBar) {
    *BAR.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar.clone());
}

/// The bar is gone: notices go straight to standard error again.
pub fn clear_bar() {
    *BAR.lock().unwrap_or_else(|e| e.into_inner()) = None;
}

fn write_line(text: &str) {
    let bar = BAR.lock().unwrap_or_else(|e| e.into_inner()).clone();
    // Notices quote PCC (a retried request's error): written through the guard.
    let write = || crate::output::eprint(text);
    match bar {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

/// Verbose: `warning: retrying pcc request method=GET path=/v1/group?page=1&limit=100 ...`
/// for every event. Default: the first retry only, in words, then nothing until the command
/// succeeds or fails with its own message (a 429 given up on says why in that message).
struct Notice {
    verbose: bool,
    retry_shown: AtomicBool,
}

impl<S, N> FormatEvent<S, N> for Notice
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let head = match *event.metadata().level() {
            Level::ERROR => "error",
            Level::WARN => "warning",
            Level::INFO => "info",
            Level::DEBUG | Level::TRACE => "debug",
        };
        if self.verbose {
            write!(writer, "{head}: ")?;
            ctx.field_format().format_fields(writer.by_ref(), event)?;
            return writeln!(writer);
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        if fields.message != "retrying pcc request"
            || self.retry_shown.swap(true, Ordering::Relaxed)
        {
            return Ok(());
        }
        writeln!(
            writer,
            "{head}: a request to PCC failed; retrying ({}). Set {LOG_VAR}=warn to see \
             every retry",
            fields.error
        )
    }
}

/// The fields of an event that a notice shows.
#[derive(Default)]
struct Fields {
    message: String,
    error: String,
}

impl Fields {
    fn text(&mut self, field: &Field) -> Option<&mut String> {
        match field.name() {
            "message" => Some(&mut self.message),
            "error" => Some(&mut self.error),
            _ => None,
        }
    }
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if let Some(text) = self.text(field) {
            let _ = write!(text, "{value:?}");
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if let Some(text) = self.text(field) {
            text.push_str(value);
        }
    }
}

/// Standard error, above the progress bar when there is one.
struct Stderr;

impl<'a> MakeWriter<'a> for Stderr {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line(Vec::new())
    }
}

/// One notice, written whole when the formatter is done with it.
struct Line(Vec<u8>);

impl std::io::Write for Line {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            write_line(&String::from_utf8_lossy(&self.0));
        }
    }
}
