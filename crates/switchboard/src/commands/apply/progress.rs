//! How `apply` shows its progress: an indicatif bar with counts on a terminal, one line per
//! step otherwise, or with `--json` one JSON event per line in the shape of Terraform's
//! machine-readable UI (`@level`, `@message`, `@module`, `@timestamp`, `type`).
//!
//! Step lines and JSON events go to standard output; the bar and the list of failures go to
//! standard error, so that `apply > log` keeps a clean record. On a terminal each finished
//! step's line is printed above the bar, so that when the bar is cleared the screen keeps one
//! line per step, as Terraform's does.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant, SystemTime};

use executor::{ApplyReport, Event, Outcome, Recovery, StepReport, Stopped, Summary};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use planner::{Action, ChangeAction, Plan};
use serde_json::{Value, json};
use spec::Address;

/// Where progress goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A bar with counts on standard error (a terminal).
    Bar,
    /// One line per step on standard output (logs, CI).
    Lines,
    /// One JSON event per line on standard output.
    Json,
}

/// Draws the progress of one apply.
#[derive(Debug)]
pub struct Progress {
    mode: Mode,
    color: bool,
    bar: Option<ProgressBar>,
    started: BTreeMap<usize, Instant>,
    counts: Summary,
    /// The address of each step, to name a failed step in a skip line.
    addresses: Vec<Address>,
    /// Where the bar draws: standard error, or a fake terminal in tests.
    target: Option<ProgressDrawTarget>,
}

const MODULE: &str = "switchboard.ui";

impl Progress {
    /// Progress for `plan`, which is about to run.
    pub fn new(mode: Mode, color: bool, plan: &Plan) -> Progress {
        Progress {
            mode,
            color,
            bar: None,
            started: BTreeMap::new(),
            counts: Summary::default(),
            addresses: plan.steps.iter().map(|s| s.address.clone()).collect(),
            target: None,
        }
    }

    /// The same, drawing the bar on `target` instead of standard error (tests).
    #[cfg(test)]
    fn drawing_on(mut self, target: ProgressDrawTarget) -> Progress {
        self.target = Some(target);
        self
    }

    /// The first JSON event (`version`); nothing in the other modes.
    pub fn version(&self) {
        if self.mode == Mode::Json {
            let version = env!("CARGO_PKG_VERSION");
            emit(json!({
                "@level": "info",
                "@message": format!("switchboard {version}"),
                "type": "version",
                "switchboard": version,
                "ui": "1.0",
            }));
        }
    }

    /// True with `--json`.
    pub fn is_json(&self) -> bool {
        self.mode == Mode::Json
    }

    /// A plan with nothing to do, as a JSON `change_summary`.
    pub fn no_changes(&self, message: &str) {
        emit(json!({
            "@level": "info",
            "@message": message,
            "type": "change_summary",
            "changes": { "add": 0, "change": 0, "remove": 0, "operation": "apply" },
        }));
    }

    /// An error that stops the apply before it starts, as a JSON `diagnostic` event (the
    /// text modes print it on standard error themselves).
    pub fn diagnostic(&self, summary: &str, detail: &str) {
        if self.mode == Mode::Json {
            emit(json!({
                "@level": "error",
                "@message": format!("Error: {summary}"),
                "type": "diagnostic",
                "diagnostic": { "severity": "error", "summary": summary, "detail": detail },
            }));
        }
    }

    /// A PCC wiring correction made (`error` `None`) or failed, as a JSON `wiring_complete` or
    /// `wiring_errored` event, after the apply's `change_summary`; the text modes print it on
    /// standard error instead.
    pub fn wiring(&self, rewire: &planner::Rewire, error: Option<&str>) {
        if self.mode != Mode::Json {
            return;
        }
        let mut wiring = match &rewire.wired {
            planner::Wired::Project => json!({ "wired": "project" }),
            planner::Wired::Number(digits) => json!({ "wired": "number", "number": digits }),
        };
        wiring["id"] = rewire.id.clone().into();
        wiring["fields"] = rewire
            .changes
            .iter()
            .map(|c| Value::String(c.field.clone()))
            .collect::<Vec<_>>()
            .into();
        let event = match error {
            None => json!({
                "@level": "info",
                "@message": format!("wiring of {}: set to PCC's", rewire.wired),
                "type": "wiring_complete",
                "wiring": wiring,
            }),
            Some(error) => {
                wiring["error"] = error.into();
                json!({
                    "@level": "error",
                    "@message": format!("wiring of {}: {error}", rewire.wired),
                    "type": "wiring_errored",
                    "wiring": wiring,
                })
            }
        };
        emit(event);
    }

    /// The plan about to be applied, as JSON events (`planned_change` per object, then a
    /// `change_summary` of the plan); the text modes print the rendered plan instead.
    pub fn planned(&self, plan: &Plan) {
        if self.mode != Mode::Json {
            return;
        }
        for change in plan.changes() {
            let action = match change.action {
                ChangeAction::Create => "create",
                ChangeAction::Update => "update",
                ChangeAction::Replace => "replace",
                ChangeAction::Delete => "delete",
            };
            let mut event = json!({
                "@level": "info",
                "@message": format!("{}: Plan to {action}", change.address),
                "type": "planned_change",
                "change": {
                    "resource": resource(change.address),
                    "action": action,
                },
            });
            if let Some(reason) = change.reason {
                event["change"]["reason"] = Value::String(reason.to_string());
            }
            emit(event);
        }
        let s = plan.summary();
        emit(json!({
            "@level": "info",
            "@message": format!(
                "Plan: {} to add, {} to change, {} to destroy.",
                s.add, s.change, s.destroy
            ),
            "type": "change_summary",
            "changes": { "add": s.add, "change": s.change, "remove": s.destroy, "operation": "plan" },
        }));
    }

    /// Starts drawing (the bar appears now).
    pub fn begin(&mut self, steps: usize) {
        if self.mode == Mode::Bar {
            let target = self
                .target
                .take()
                .unwrap_or_else(ProgressDrawTarget::stderr);
            let bar = ProgressBar::with_draw_target(Some(steps as u64), target);
            let template = if self.color {
                "{spinner:.cyan} [{elapsed_precise}] {bar:32.cyan/blue} {pos}/{len} steps  {msg}"
            } else {
                "{spinner} [{elapsed_precise}] {bar:32} {pos}/{len} steps  {msg}"
            };
            bar.set_style(
                ProgressStyle::with_template(template)
                    .expect("the template is valid")
                    .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            crate::notices::set_bar(&bar);
            self.bar = Some(bar);
        }
    }

    /// One executor event.
    pub fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Started { index, step } => {
                self.started.insert(index, Instant::now());
                if self.mode == Mode::Json {
                    let message = format!("{}: {}...", step.address, doing(step.action));
                    emit(json!({
                        "@level": "info",
                        "@message": message,
                        "type": "apply_start",
                        "hook": { "resource": resource(&step.address), "action": action(step.action) },
                    }));
                }
            }
            Event::Finished(report) => self.finished(report),
        }
    }

    fn finished(&mut self, report: &StepReport) {
        let elapsed = self
            .started
            .remove(&report.index)
            .map_or(0, |t| t.elapsed().as_secs());
        match &report.outcome {
            Outcome::Done(_) => match report.action {
                Action::Create => self.counts.added += 1,
                Action::Update => self.counts.changed += 1,
                Action::Delete => self.counts.destroyed += 1,
            },
            Outcome::Failed(_) => self.counts.failed += 1,
            Outcome::Skipped { .. } => self.counts.skipped += 1,
            Outcome::NotRun => self.counts.not_run += 1,
        }
        match self.mode {
            Mode::Json => self.json_finished(report, elapsed),
            Mode::Lines => {
                if let Some(line) = self.line(report) {
                    let _ = crate::output::println(line);
                }
            }
            Mode::Bar => {
                if let Some(bar) = &self.bar {
                    // Above the bar, where it stays once the bar is cleared.
                    if let Some(line) = self.line(report) {
                        bar.println(crate::output::for_stderr(&line));
                    }
                    if !matches!(report.outcome, Outcome::NotRun) {
                        bar.inc(1);
                    }
                    bar.set_message(counts(&self.counts));
                }
            }
        }
    }

    fn json_finished(&self, report: &StepReport, elapsed: u64) {
        let address = &report.address;
        let hook = |extra: Value| {
            let mut hook = json!({
                "resource": resource(address),
                "action": action(report.action),
                "elapsed_seconds": elapsed,
            });
            if let (Some(hook), Value::Object(extra)) = (hook.as_object_mut(), extra) {
                hook.extend(extra);
            }
            hook
        };
        match &report.outcome {
            Outcome::Done(done) => {
                let mut message =
                    format!("{address}: {} after {elapsed}s", done_word(report.action));
                let mut extra = json!({});
                if let Some(id) = &done.id {
                    let _ = write!(message, " [id={id}]");
                    extra = json!({ "id_key": "id", "id_value": id });
                }
                if let Some(recovery) = &done.recovery {
                    extra["recovery"] = Value::String(recovery_key(recovery).to_owned());
                }
                emit(json!({
                    "@level": "info",
                    "@message": message,
                    "type": "apply_complete",
                    "hook": hook(extra),
                }));
            }
            Outcome::Failed(error) => {
                emit(json!({
                    "@level": "error",
                    "@message": format!("{address}: {} errored after {elapsed}s", noun(report.action)),
                    "type": "apply_errored",
                    "hook": hook(json!({ "error": error.to_string() })),
                }));
            }
            Outcome::Skipped { because } => {
                emit(json!({
                    "@level": "warn",
                    "@message": format!(
                        "{address}: {} skipped: {} failed",
                        noun(report.action),
                        self.addresses[*because]
                    ),
                    "type": "apply_skipped",
                    "hook": {
                        "resource": resource(address),
                        "action": action(report.action),
                        "because": resource(&self.addresses[*because]),
                    },
                }));
            }
            Outcome::NotRun => {}
        }
    }

    /// The line for a finished step; `None` for a step not run.
    fn line(&self, report: &StepReport) -> Option<String> {
        let address = &report.address;
        let paint = |code: &str, text: &str| {
            if self.color {
                format!("\x1b[{code}m{text}\x1b[0m")
            } else {
                text.to_owned()
            }
        };
        Some(match &report.outcome {
            Outcome::Done(done) => {
                let (sign, code, word) = match report.action {
                    Action::Create => ("+", "32", "created"),
                    Action::Update => ("~", "33", "updated"),
                    Action::Delete => ("-", "31", "destroyed"),
                };
                let mut line = format!("{} {address} {word}", paint(code, sign));
                if let Some(id) = &done.id {
                    // The id is whatever PCC answered.
                    let _ = write!(line, " ({})", spec::text::terminal(id));
                }
                if let Some(recovery) = &done.recovery {
                    let _ = write!(line, "; {}", recovery_words(recovery));
                }
                line
            }
            Outcome::Failed(error) => format!(
                "{} {address} failed to {}: {error}",
                paint("1;31", "!"),
                verb(report.action)
            ),
            Outcome::Skipped { because } => format!(
                "{} {address} skipped: it waits for {}, which failed",
                paint("2", "·"),
                self.addresses[*because]
            ),
            Outcome::NotRun => return None,
        })
    }

    /// Stops drawing and prints how the apply ended: the summary on standard output, the
    /// failures and skipped steps on standard error (a JSON `change_summary` with `--json`).
    pub fn end(&mut self, report: &ApplyReport) {
        if let Some(bar) = self.bar.take() {
            crate::notices::clear_bar();
            bar.finish_and_clear();
        }
        let s = report.summary();
        let resources = format!(
            "Resources: {} added, {} changed, {} destroyed.",
            s.added, s.changed, s.destroyed
        );
        let complete = report.is_success();
        if self.mode == Mode::Json {
            let message = if complete {
                format!("Apply complete! {resources}")
            } else {
                let gone = match report.stopped {
                    Some(Stopped::Unreachable) => {
                        " PCC stopped answering; re-run apply once it is back."
                    }
                    Some(Stopped::Throttled) => {
                        " PCC refused every request (HTTP 429); re-run apply later."
                    }
                    Some(Stopped::Failing) => {
                        " PCC failed every write (server errors); re-run apply once it works."
                    }
                    _ => "",
                };
                format!(
                    "Apply failed. {resources} {} failed, {} skipped, {} not run.{gone}",
                    s.failed, s.skipped, s.not_run
                )
            };
            emit(json!({
                "@level": if complete { "info" } else { "error" },
                "@message": message,
                "type": "change_summary",
                "changes": {
                    "add": s.added,
                    "change": s.changed,
                    "remove": s.destroyed,
                    "failed": s.failed,
                    "skipped": s.skipped,
                    "not_run": s.not_run,
                    "operation": "apply",
                },
            }));
            return;
        }
        let mut out = String::new();
        if complete {
            let head = if self.color {
                "\x1b[1;32mApply complete!\x1b[0m"
            } else {
                "Apply complete!"
            };
            let _ = writeln!(out, "\n{head} {resources}");
            let recovered = recovered(report);
            if recovered > 0 {
                let _ = writeln!(
                    out,
                    "{recovered} step{} got past a lost answer or a missing object without a \
                     duplicate (see the step lines).",
                    if recovered == 1 { "" } else { "s" }
                );
            }
            let _ = crate::output::print(&out);
            return;
        }
        let _ = writeln!(out, "\nApply failed. {resources}");
        let _ = crate::output::print(&out);
        let mut err = String::new();
        let head = if crate::output::stderr_colours() {
            "\x1b[1;31merror:\x1b[0m"
        } else {
            "error:"
        };
        let mut why = Vec::new();
        if s.failed > 0 {
            why.push(format!(
                "{} step{} failed",
                s.failed,
                if s.failed == 1 { "" } else { "s" }
            ));
        }
        if s.skipped > 0 {
            why.push(format!(
                "{} skipped because of {}",
                s.skipped,
                if s.failed == 1 { "it" } else { "them" }
            ));
        }
        match report.stopped {
            Some(Stopped::Interrupted) => {
                why.push(format!("interrupted, {} not started", s.not_run))
            }
            Some(Stopped::AuthRefused) => why.push(format!(
                "stopped after PCC refused the API key, {} not started",
                s.not_run
            )),
            Some(Stopped::Unreachable) => why.push(format!(
                "PCC stopped answering: {} step{} not started",
                s.not_run,
                if s.not_run == 1 { "" } else { "s" }
            )),
            Some(Stopped::Throttled) => why.push(format!(
                "PCC refused every request with HTTP 429 past what switchboard waits: {} \
                 step{} not started",
                s.not_run,
                if s.not_run == 1 { "" } else { "s" }
            )),
            Some(Stopped::Failing) => why.push(format!(
                "PCC failed {} steps in a row with server errors: {} step{} not started",
                executor::FAILING_STEPS,
                s.not_run,
                if s.not_run == 1 { "" } else { "s" }
            )),
            None => {}
        }
        let _ = writeln!(err, "\n{head} {}.", why.join("; "));
        for step in &report.steps {
            match &step.outcome {
                Outcome::Failed(error) => {
                    let _ = writeln!(
                        err,
                        "\n  ! {} ({}):\n    {error}",
                        step.address,
                        verb(step.action)
                    );
                }
                Outcome::Skipped { because } => {
                    let _ = writeln!(
                        err,
                        "  · {} ({}) skipped: waits for {}",
                        step.address,
                        verb(step.action),
                        self.addresses[*because]
                    );
                }
                _ => {}
            }
        }
        let _ = writeln!(err, "\n{}", closing(report));
        crate::output::eprint(&err);
    }
}

/// The advice that ends a failed apply. It states only what the report shows: a failed step
/// may stop the steps after it (skipped) or, when PCC refused the key or the run was
/// interrupted, leave steps not started, so "everything else was applied" is not for us to say.
fn closing(report: &ApplyReport) -> String {
    let s = report.summary();
    if s.failed == 0 && report.stopped == Some(Stopped::Interrupted) {
        return "Every step that started was finished and nothing was duplicated. Run \
                `switchboard plan` to see what is left and `switchboard apply` to finish it."
            .to_owned();
    }
    if report.stopped == Some(Stopped::Unreachable) {
        return "switchboard stopped starting steps once PCC could not be reached (after \
                retrying). Nothing was duplicated: a step cut off mid-write is looked up by the \
                next run before it writes. Re-run `switchboard apply` once PCC is back; it picks \
                up where this run stopped (`switchboard plan` shows what is left)."
            .to_owned();
    }
    if report.stopped == Some(Stopped::Failing) {
        return format!(
            "switchboard stopped starting steps once PCC had failed {} steps in a row (every \
             write answered with a server error or lost, after {} attempts each): it answers, \
             but carries nothing out. Nothing was duplicated: each write was looked up before it \
             was sent again. Re-run `switchboard apply` once PCC works again; it picks up \
             where this run stopped (`switchboard plan` shows what is left).",
            executor::FAILING_STEPS,
            executor::Config::default().attempts
        );
    }
    if report.stopped == Some(Stopped::Throttled) {
        let policy = pcc::RetryPolicy::default();
        return format!(
            "switchboard stopped starting steps once PCC kept refusing requests with HTTP 429 \
             longer than it waits (one wait over {} s, {} refusals of one request, or {} s \
             of waiting in all: see docs/apply.md). Nothing was duplicated. Run `switchboard apply` again later, or \
             slower with --max-rps; it picks up where this run stopped (`switchboard plan` \
             shows what is left).",
            policy.max_retry_after.as_secs(),
            policy.max_attempts,
            policy.max_throttled.as_secs()
        );
    }
    let applied = s.added + s.changed + s.destroyed;
    let mut tally = format!(
        "{applied} step{} applied, {} failed",
        if applied == 1 { "" } else { "s" },
        s.failed
    );
    if s.skipped > 0 {
        let _ = write!(tally, ", {} skipped", s.skipped);
    }
    if s.not_run > 0 {
        let _ = write!(tally, ", {} not started", s.not_run);
    }
    format!(
        "{tally}; nothing was duplicated. Fix the cause, then run `switchboard plan` to see what \
         is left and `switchboard apply` to finish it: a re-run picks up what this one did not \
         do and converges."
    )
}

fn counts(s: &Summary) -> String {
    let mut text = format!(
        "{} added, {} changed, {} destroyed",
        s.added, s.changed, s.destroyed
    );
    if s.failed > 0 {
        let _ = write!(text, ", {} failed", s.failed);
    }
    if s.skipped > 0 {
        let _ = write!(text, ", {} skipped", s.skipped);
    }
    text
}

fn recovered(report: &ApplyReport) -> usize {
    report
        .steps
        .iter()
        .filter(|s| matches!(&s.outcome, Outcome::Done(d) if d.recovery.is_some()))
        .count()
}

/// Writes one JSON event line, with `@module` and `@timestamp` added.
fn emit(mut event: Value) {
    if let Some(map) = event.as_object_mut() {
        map.insert("@module".to_owned(), MODULE.into());
        map.insert(
            "@timestamp".to_owned(),
            humantime::format_rfc3339_micros(SystemTime::now())
                .to_string()
                .into(),
        );
    }
    // Names and PCC's messages are in the event: escaped as JSON, then guarded.
    let _ = crate::output::println(spec::text::json(event.to_string()));
}

/// Terraform's `resource` object for an address.
fn resource(address: &Address) -> Value {
    json!({
        "addr": address.to_string(),
        "module": "",
        "resource": address.to_string(),
        "resource_type": address.kind().as_str(),
        "resource_name": address.name(),
        "resource_key": Value::Null,
        "implied_provider": "stringee",
    })
}

fn action(action: Action) -> &'static str {
    match action {
        Action::Create => "create",
        Action::Update => "update",
        Action::Delete => "delete",
    }
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::Create => "create",
        Action::Update => "update",
        Action::Delete => "destroy",
    }
}

/// `Creating`, `Modifying`, `Destroying`: Terraform's words.
fn doing(action: Action) -> &'static str {
    match action {
        Action::Create => "Creating",
        Action::Update => "Modifying",
        Action::Delete => "Destroying",
    }
}

fn noun(action: Action) -> &'static str {
    match action {
        Action::Create => "Creation",
        Action::Update => "Modifications",
        Action::Delete => "Destruction",
    }
}

fn done_word(action: Action) -> &'static str {
    match action {
        Action::Create => "Creation complete",
        Action::Update => "Modifications complete",
        Action::Delete => "Destruction complete",
    }
}

fn recovery_key(recovery: &Recovery) -> &'static str {
    match recovery {
        Recovery::Found { updated: false } => "found_after_lost_answer",
        Recovery::Found { updated: true } => "found_after_lost_answer_and_updated",
        Recovery::Resent => "resent_after_lost_answer",
        Recovery::NumberExisted { updated: false } => "number_existed",
        Recovery::NumberExisted { updated: true } => "number_existed_and_updated",
        Recovery::AlreadyGone => "already_gone",
        Recovery::Existed { updated: false } => "made_by_another_writer",
        Recovery::Existed { updated: true } => "made_by_another_writer_and_updated",
        Recovery::Raced { adopted: true, .. } => "raced_adopted_oldest_copy",
        Recovery::Raced { adopted: false, .. } => "raced_kept_own_copy",
    }
}

fn recovery_words(recovery: &Recovery) -> std::borrow::Cow<'static, str> {
    match *recovery {
        Recovery::Found { updated: false } => "the answer was lost; a look-up found it done".into(),
        Recovery::Found { updated: true } => {
            "the answer was lost; a look-up found it, and it was updated to the plan".into()
        }
        Recovery::Resent => "the answer was lost and a look-up did not find it: sent again".into(),
        Recovery::NumberExisted { updated: false } => "PCC already had this number: adopted".into(),
        Recovery::NumberExisted { updated: true } => {
            "PCC already had this number: adopted and updated to the plan".into()
        }
        Recovery::AlreadyGone => "it was already gone".into(),
        Recovery::Existed { updated: false } => {
            "another writer had made it (another apply, or a killed one's late write): adopted"
                .into()
        }
        Recovery::Existed { updated: true } => {
            "another writer had made it (another apply, or a killed one's late write): adopted \
             and updated to the plan"
                .into()
        }
        Recovery::Raced {
            adopted,
            updated,
            removed,
            left,
        } => {
            let copies = |n: u32| if n == 1 { "copy" } else { "copies" };
            let mut words = String::from(
                "made more than once (another apply at the same time, or a late write): ",
            );
            words.push_str(match (adopted, updated) {
                (false, _) => "kept this copy, the oldest",
                (true, false) => "adopted the oldest copy",
                (true, true) => "adopted the oldest copy and updated it to the plan",
            });
            if removed > 0 {
                let _ = write!(words, "; deleted {removed} newer {}", copies(removed));
            }
            if left > 0 {
                let _ = write!(
                    words,
                    "; left {left} newer {} made by someone else with other fields",
                    copies(left)
                );
            }
            words.into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(index: usize, outcome: Outcome) -> StepReport {
        StepReport {
            index,
            address: Address::Queue(format!("q{index}")),
            action: Action::Create,
            outcome,
        }
    }

    fn report(stopped: Option<Stopped>, outcomes: Vec<Outcome>) -> ApplyReport {
        ApplyReport {
            steps: outcomes
                .into_iter()
                .enumerate()
                .map(|(i, o)| step(i, o))
                .collect(),
            elapsed: Duration::ZERO,
            stopped,
        }
    }

    fn refused() -> Outcome {
        Outcome::Failed(executor::Error::Pcc(pcc::Error::Auth {
            message: "keySid invalid".into(),
        }))
    }

    fn done() -> Outcome {
        Outcome::Done(executor::Done::default())
    }

    /// A refused key leaves steps not started: the advice counts them rather than claim that
    /// everything else was applied.
    #[test]
    fn a_refused_key_is_closed_with_what_was_not_started() {
        let text = closing(&report(
            Some(Stopped::AuthRefused),
            vec![done(), refused(), Outcome::NotRun, Outcome::NotRun],
        ));
        assert!(!text.contains("Everything else was applied"), "{text}");
        assert!(
            text.starts_with("1 step applied, 1 failed, 2 not started; nothing was duplicated."),
            "{text}"
        );
        assert!(text.contains("converges"), "{text}");
    }

    /// An interrupt after a failure: the same, with what the failure skipped.
    #[test]
    fn an_interrupted_run_with_failures_is_closed_with_its_counts() {
        let text = closing(&report(
            Some(Stopped::Interrupted),
            vec![
                done(),
                done(),
                refused(),
                Outcome::Skipped { because: 2 },
                Outcome::NotRun,
            ],
        ));
        assert!(
            text.starts_with("2 steps applied, 1 failed, 1 skipped, 1 not started;"),
            "{text}"
        );
    }

    /// Every closing message, whole: no run of spaces from a broken line continuation, no
    /// sentence cut short.
    #[test]
    fn closing_messages_are_whole() {
        let cases = [
            (
                "interrupted",
                report(Some(Stopped::Interrupted), vec![done(), Outcome::NotRun]),
            ),
            (
                "unreachable",
                report(Some(Stopped::Unreachable), vec![done(), Outcome::NotRun]),
            ),
            (
                "refused key",
                report(
                    Some(Stopped::AuthRefused),
                    vec![done(), refused(), Outcome::NotRun],
                ),
            ),
            ("a failure", report(None, vec![done(), refused()])),
        ];
        let mut out = String::new();
        for (name, report) in &cases {
            let text = closing(report);
            assert!(!text.contains("  "), "{name}: a run of spaces in {text:?}");
            let _ = writeln!(out, "{name}:\n{text}\n");
        }
        insta::assert_snapshot!(out);
    }

    /// A terminal as the bar sees it: lines of text and a cursor. What is left on it is what
    /// the user sees once the apply is over.
    #[derive(Debug, Default)]
    struct Screen {
        lines: Vec<String>,
        row: usize,
        column: usize,
    }

    #[derive(Debug, Clone, Default)]
    struct FakeTerminal(std::sync::Arc<std::sync::Mutex<Screen>>);

    impl FakeTerminal {
        fn text(&self) -> String {
            let screen = self.0.lock().unwrap();
            let lines: Vec<&str> = screen.lines.iter().map(|l| l.trim_end()).collect();
            lines.join("\n").trim_end().to_owned()
        }

        /// Writes `text` as a terminal does: `\r` returns to the line's start, `\n` goes down,
        /// and a character written past the last column wraps to the next line (indicatif
        /// pads each line to the width and relies on that).
        fn put(&self, text: &str) {
            let mut screen = self.0.lock().unwrap();
            for c in text.chars() {
                match c {
                    '\r' => screen.column = 0,
                    '\n' => {
                        screen.row += 1;
                        screen.column = 0;
                    }
                    c => {
                        if screen.column >= WIDTH {
                            screen.row += 1;
                            screen.column = 0;
                        }
                        let (row, column) = (screen.row, screen.column);
                        while screen.lines.len() <= row {
                            screen.lines.push(String::new());
                        }
                        let mut chars: Vec<char> = screen.lines[row].chars().collect();
                        chars.resize(chars.len().max(column + 1), ' ');
                        chars[column] = c;
                        screen.lines[row] = chars.into_iter().collect();
                        screen.column += 1;
                    }
                }
            }
        }
    }

    const WIDTH: usize = 100;

    impl indicatif::TermLike for FakeTerminal {
        fn width(&self) -> u16 {
            WIDTH as u16
        }
        fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
            let mut screen = self.0.lock().unwrap();
            screen.row = screen.row.saturating_sub(n);
            Ok(())
        }
        fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
            self.0.lock().unwrap().row += n;
            Ok(())
        }
        fn move_cursor_right(&self, n: usize) -> std::io::Result<()> {
            self.0.lock().unwrap().column += n;
            Ok(())
        }
        fn move_cursor_left(&self, n: usize) -> std::io::Result<()> {
            let mut screen = self.0.lock().unwrap();
            screen.column = screen.column.saturating_sub(n);
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.put(s);
            self.put("\n");
            Ok(())
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.put(s);
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            let mut screen = self.0.lock().unwrap();
            let row = screen.row;
            if let Some(line) = screen.lines.get_mut(row) {
                line.clear();
            }
            screen.column = 0;
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// What PCC sent (a created object's id, an error's message) reaches a step's line: it is
    /// shown escaped, so that a hostile server cannot clear the screen, retitle the terminal
    /// or reverse the text after it.
    #[test]
    fn a_step_line_shows_what_pcc_sent_escaped() {
        let hostile = "id\x1b]0;pwned\x07\x1b[2J\u{202e}gpj.exe\r\nforged";
        let progress = Progress {
            mode: Mode::Lines,
            color: false,
            bar: None,
            started: BTreeMap::new(),
            counts: Summary::default(),
            addresses: Vec::new(),
            target: None,
        };
        let created = step(
            0,
            Outcome::Done(executor::Done {
                id: Some(hostile.into()),
                ..executor::Done::default()
            }),
        );
        let refused = step(
            1,
            Outcome::Failed(executor::Error::Pcc(pcc::Error::Auth {
                message: hostile.into(),
            })),
        );
        let lines = [&created, &refused]
            .map(|s| progress.line(s).expect("a finished step has a line"))
            .join("\n");
        let hazards = ['\x1b', '\x07', '\u{202e}', '\r'];
        assert!(
            !lines.contains(hazards) && lines.lines().count() == 2,
            "raw text from PCC in a step's line:\n{lines:?}"
        );
        insta::assert_snapshot!(lines);
    }

    /// After an interactive apply, the bar is gone and the screen keeps one line per step
    /// (Terraform's way), failures and skips included.
    #[test]
    fn an_interactive_apply_leaves_a_line_per_step_on_screen() {
        let terminal = FakeTerminal::default();
        let mut progress = Progress {
            mode: Mode::Bar,
            color: false,
            bar: None,
            started: BTreeMap::new(),
            counts: Summary::default(),
            addresses: Vec::new(),
            target: None,
        }
        .drawing_on(ProgressDrawTarget::term_like(Box::new(terminal.clone())));
        let mut steps = vec![
            step(0, done()),
            StepReport {
                index: 1,
                address: Address::Group("support".into()),
                action: Action::Update,
                outcome: done(),
            },
            step(2, refused()),
            step(3, Outcome::Skipped { because: 2 }),
        ];
        progress.addresses = steps.iter().map(|s| s.address.clone()).collect();
        progress.begin(steps.len());
        for step in &steps {
            progress.event(Event::Finished(step));
        }
        let report = ApplyReport {
            steps: std::mem::take(&mut steps),
            elapsed: Duration::ZERO,
            stopped: None,
        };
        progress.end(&report);
        let screen = terminal.text();
        assert!(
            !screen.contains("steps"),
            "the bar is still there:\n{screen}"
        );
        insta::assert_snapshot!(screen);
    }
}
