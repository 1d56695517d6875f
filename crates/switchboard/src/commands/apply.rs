//! `switchboard apply`: applies a saved plan exactly (once its target is the one planned
//! against, no safety guard refuses it and nothing it touches changed), or plans a spec,
//! shows the plan, asks, and applies it. How it works: `docs/apply.md`.

mod progress;

use std::io::BufRead as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context as _, bail};
use planner::Plan;

use crate::Exit;
use crate::cli::{ApplyArgs, Global, PlanFormat};
use crate::pipeline::{self, TargetId};
use crate::target::{Access, Target};

use self::progress::{Mode, Progress};

/// What `apply` asks before applying a plan it made itself.
pub const QUESTION: &str = "Do you want to apply these changes? Only 'yes' will be accepted: ";

/// The `--max-rps` values accepted: below one request every 100 s an apply of any size never
/// ends, and above a million a second the ceiling is no ceiling (NaN is outside too).
const MAX_RPS_RANGE: std::ops::RangeInclusive<f64> = 0.01..=1_000_000.0;

/// When this command started. A run killed just before it may still have writes landing;
/// the executor's check of each create for copies waits until they have
/// (`executor::Config::started`), and the time spent reading and planning counts towards it.
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

pub fn run(global: &Global, args: ApplyArgs) -> anyhow::Result<Exit> {
    STARTED.get_or_init(std::time::Instant::now);
    if let Some(rps) = args.max_rps
        && !MAX_RPS_RANGE.contains(&rps)
    {
        bail!(
            "--max-rps must be between {} and {} requests per second (got {rps}); nothing was written",
            MAX_RPS_RANGE.start(),
            MAX_RPS_RANGE.end()
        );
    }
    let mode = if args.json {
        Mode::Json
    } else if crate::output::stdout_is_terminal() && crate::output::stderr_is_terminal() {
        Mode::Bar
    } else {
        Mode::Lines
    };
    pipeline::runtime()?.block_on(async {
        match args.target.as_deref().filter(|path| is_saved_plan(path)) {
            Some(file) => saved(global, &args, file, mode).await,
            None => from_spec(global, &args, mode).await,
        }
    })
}

/// A saved plan is a JSON object with a `format_version`, or any `*.json` file that is not
/// a JSON spec (a JSON object without `format_version`): a damaged or truncated plan file is
/// then refused as a plan, not read as a YAML spec. Anything else is a spec (file or
/// directory), and the spec loader says what is wrong with it.
fn is_saved_plan(path: &Path) -> bool {
    if !path.is_file()
        || path
            .extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml")
    {
        return false;
    }
    let Ok(text) = pipeline::read_saved_text(path) else {
        return false;
    };
    let doc = serde_json::from_str::<serde_json::Value>(&text).ok();
    if path.extension().is_some_and(|ext| ext == "json") {
        return !doc.is_some_and(|doc| doc.is_object() && doc.get("format_version").is_none());
    }
    text.trim_start().starts_with('{') && doc.is_some_and(|doc| doc.get("format_version").is_some())
}

// ---------------------------------------------------------------------------------------------
// `apply FILE`.
// ---------------------------------------------------------------------------------------------

async fn saved(global: &Global, args: &ApplyArgs, file: &Path, mode: Mode) -> anyhow::Result<Exit> {
    // Terraform refuses `-target` with a saved plan too: the plan was reviewed as it is, and
    // carries the patterns it was made with.
    if !args.part.target.is_empty() || !args.part.exclude.is_empty() {
        bail!(
            "--target and --exclude apply to a spec, not to a saved plan: `{}` carries the \
             ones it was planned with (`plan --target ... --out`); nothing was written",
            file.display()
        );
    }
    let pending = crate::target::resolve(&args.connection)?;
    crate::output::eprintln(format_args!("{}", pending.banner()));
    // Checked before connecting, so that a plan refused for its target or its integrity does
    // not leave a new sandbox behind in the directory it was wrongly applied from, nor send a
    // request.
    let saved = pipeline::read_saved(file, &TargetId::of_pending(&pending)?, pending.plan_key())?;
    if let Some(env) = &saved.environment {
        env.ensure_same(global.env(), &pending)?;
        let changed = env.changed_secrets(pending.plan_key());
        if !changed.is_empty() {
            let names: Vec<String> = changed
                .iter()
                .map(|n| format!("`{}`", spec::text::terminal(&spec::secret_variable(n))))
                .collect();
            let one = changed.len() == 1;
            let summary = format!(
                "the saved plan is stale: the secret{} {} {} not the value{} planned with",
                if one { "" } else { "s" },
                names.join(", "),
                if one { "is" } else { "are" },
                if one { "" } else { "s" },
            );
            crate::output::eprintln(format_args!(
                "{}\nThe plan holds a keyed digest of each secret, never its value. Set the \
                 secret as it was, or plan again (`switchboard plan --out`) and apply the new \
                 plan; nothing was written.",
                error_head(global, &summary)
            ));
            return Ok(Exit::Stale);
        }
        // Checked: the values now are those planned with.
        crate::output::hide(
            env.secrets
                .keys()
                .filter_map(|name| crate::specfile::secret_now(name)),
        );
    }
    let target = pending.connect(Access::Write).await?;
    let result = apply_saved(global, args, mode, &saved, &target).await;
    target.shutdown().await;
    result
}

async fn apply_saved(
    global: &Global,
    args: &ApplyArgs,
    mode: Mode,
    saved: &pipeline::SavedPlan,
    target: &Target,
) -> anyhow::Result<Exit> {
    saved.target.ensure_same(&TargetId::of(target)?)?;
    let plan = &saved.plan;
    let mut progress = Progress::new(mode, pipeline::color_stdout(global), plan);
    progress.version();
    if plan.is_empty() {
        return no_changes(&progress, "No changes. The saved plan has nothing to do.");
    }

    // The stale check reads only what the plan touches, and what could now refer to what it
    // deletes; its ids are the ones the steps act on.
    // A partial plan's check reads only the parents that hold what it touches (and every
    // parent that could hold a new user of what it deletes); a whole plan's reads them all.
    let parents = planner::partial::stale_parents(plan).map(|(only, every)| pcc::Parents {
        only,
        every,
        except: Default::default(),
    });
    let options = pcc::ReadOptions {
        concurrency: args.parallelism.max(1),
        scopes: executor::read_scope(plan),
        parents,
    };
    let client = target.client();
    let before = client.stats().total();
    // What the plan set aside when it was made (duplicate names under `ignore:`) may still be
    // there: the plan does not touch it.
    let set_aside: Vec<&spec::Address> = plan
        .ignored
        .iter()
        .filter(|i| matches!(i.because, planner::IgnoredBecause::Unreadable { .. }))
        .map(|i| &i.address)
        .collect();
    let was_set_aside = |address: &spec::Address| set_aside.contains(&address);
    let (mut live, _) = pcc::read_live_setting_aside(client, &options, &was_set_aside)
        .await
        .context("cannot read the live project")?;
    if let Some(env) = &saved.environment {
        let secrets: Vec<String> = env
            .secrets
            .keys()
            .filter_map(|name| crate::specfile::secret_now(name))
            .collect();
        live.model.hide_secrets(&secrets);
    }
    let requests = client.stats().total() - before;
    // The guards are computed again from the steps and the live project as read now: the
    // verdict the file holds is not trusted.
    let safety = if plan.partial.is_some() {
        // The groups, queues and trees listed without their children count as a whole
        // plan's read counts them: as the plan was made.
        let named = live.ids.objects.keys().cloned().collect();
        planner::recheck_known(plan, &live.model, &named)
    } else {
        planner::recheck(plan, &live.model)
    };
    if let Some(exit) = guard(global, args, &progress, &safety) {
        return Ok(exit);
    }
    let stale = planner::stale(plan, &live.model);
    if !stale.is_empty() {
        let n = stale.len();
        let advice = "Plan again (`switchboard plan --out`), review, and apply the new plan; \
                      nothing was written.";
        if planner::already_applied(plan, &live.model) {
            let summary = "this plan has already been applied: every object it touches is now \
                           as it leaves them; run `switchboard plan` again";
            progress.diagnostic(summary, &stale_list(&stale, n, advice));
            crate::output::eprintln(format_args!(
                "{}\nNothing was written.",
                error_head(global, summary)
            ));
            return Ok(Exit::Stale);
        }
        let summary = format!(
            "the saved plan is stale: {n} object{} it touches changed since it was made",
            if n == 1 { "" } else { "s" }
        );
        // JSON events carry every object; a terminal or a log gets the first ones.
        progress.diagnostic(&summary, &stale_list(&stale, n, advice));
        let shown = stale_list(&stale, STALE_SHOWN, advice);
        crate::output::eprintln(format_args!("{}\n{shown}", error_head(global, &summary)));
        return Ok(Exit::Stale);
    }
    crate::output::eprintln(format_args!(
        "checked the live objects the plan touches: unchanged since planning ({requests} request{})",
        if requests == 1 { "" } else { "s" }
    ));
    if let Some(exit) = stale_wiring(global, &progress, saved, target).await? {
        return Ok(exit);
    }
    let mut plan = plan.clone();
    if let Some(exit) = fill_sensitive(global, &progress, saved, &mut plan, &live.model)? {
        return Ok(exit);
    }
    execute(
        args,
        &mut progress,
        &plan,
        &live.ids,
        target,
        &saved.spec_root,
    )
    .await
}

/// The saved plan's wiring corrections checked against the account as it is now: planned
/// from the same project and the same URLs, or stale (`Some(exit 4)`), nothing written.
async fn stale_wiring(
    global: &Global,
    progress: &Progress,
    saved: &pipeline::SavedPlan,
    target: &Target,
) -> anyhow::Result<Option<Exit>> {
    let Some(wiring) = saved.plan.wiring.as_ref().filter(|w| !w.is_empty()) else {
        return Ok(None);
    };
    let secrets: Vec<String> = saved
        .environment
        .iter()
        .flat_map(|env| env.secrets.keys())
        .filter_map(|name| crate::specfile::secret_now(name))
        .collect();
    // The plan's corrections name the project they were planned for (the pinned one, when
    // the spec pins it): PCC reporting any other is stale, and that project's account is not
    // read.
    let of = pipeline::WiringOf::Planned(&wiring.project_id);
    let Some(live) = pipeline::read_wiring(target, &secrets, of).await? else {
        // `read_wiring` has said why on its `note:` line; this says what it means here.
        if target.account().is_ok() {
            bail!(
                "this plan corrects the PCC wiring, which cannot be checked now (the note above \
                 says why), so the plan cannot be checked as still true; nothing was written"
            );
        }
        bail!(
            "this plan corrects the PCC wiring, which needs the account key it was planned \
             with: set {} and {}; nothing was written",
            crate::target::ACCOUNT_SID_VAR,
            crate::target::ACCOUNT_SECRET_VAR
        );
    };
    let stale = planner::stale_wiring(wiring, &live);
    if stale.is_empty() {
        return Ok(None);
    }
    let n = stale.len();
    let summary =
        format!("the saved plan is stale: {n} of its wiring corrections changed since it was made");
    let mut detail = String::new();
    for line in &stale {
        detail.push_str(&format!("  - {}\n", spec::text::terminal(line)));
    }
    detail.push_str(
        "Plan again (`switchboard plan --out`), review, and apply the new plan; nothing was \
         written.",
    );
    progress.diagnostic(&summary, &detail);
    crate::output::eprintln(format_args!("{}\n{detail}", error_head(global, &summary)));
    Ok(Some(Exit::Stale))
}

/// A saved plan holds a value that holds a credential (a webhook URL with a token) only as a
/// digest: the value is taken again from where the plan took it, the live project as just
/// read (a value the plan keeps) or the spec it was made from (a value it changes), each
/// matched by object, field and digest (`planner::fill_sensitive`). A value found in neither
/// changed since planning: the plan is stale, and nothing is written (`Some(exit 4)`).
fn fill_sensitive(
    global: &Global,
    progress: &Progress,
    saved: &pipeline::SavedPlan,
    plan: &mut Plan,
    live: &spec::Model,
) -> anyhow::Result<Option<Exit>> {
    if planner::all_known(plan) || planner::fill_sensitive(plan, &[live]).is_empty() {
        return Ok(None);
    }
    let path = saved.spec.as_ref().unwrap_or(&saved.spec_root);
    let cannot = |why: &str| {
        anyhow::anyhow!(
            "this plan writes values that hold credentials, which a saved plan holds only as \
             digests: they are taken from the spec it was made from, `{}`, which {why}; \
             nothing was written",
            path.display()
        )
    };
    // The plan file names the spec, and a plan file is untrusted: only a spec inside the
    // working directory is read, and nothing of it is shown (no diagnostics, no snippets).
    let Ok(real) = path.canonicalize() else {
        return Err(cannot(
            "cannot be read here (run `apply` from the directory `plan` ran in)",
        ));
    };
    let cwd = std::env::current_dir().and_then(|cwd| cwd.canonicalize());
    if !cwd.is_ok_and(|cwd| real.starts_with(cwd)) {
        return Err(cannot(
            "is outside the working directory, where a saved plan's spec is never read from",
        ));
    }
    let (loaded, _) = crate::specfile::load(
        Some(path),
        saved.environment.as_ref().map(|e| e.name.as_str()),
    )
    .map_err(|_| cannot("cannot be read here"))?;
    let Some(spec) = loaded.spec else {
        return Err(cannot(
            "is not a valid spec here (`switchboard validate` says why)",
        ));
    };
    let missing = planner::fill_sensitive(plan, &[&spec.model]);
    if missing.is_empty() {
        crate::output::eprintln(format_args!(
            "took the values that hold credentials from the spec `{}` (the plan holds their \
             digests, and they match)",
            path.display()
        ));
        return Ok(None);
    }
    let n = missing.len();
    let summary = format!(
        "the saved plan is stale: {n} value{} it writes hold{} a credential that neither the \
         live project nor the spec `{}` holds any more as planned",
        if n == 1 { "" } else { "s" },
        if n == 1 { "s" } else { "" },
        path.display()
    );
    let mut detail = String::new();
    for unfilled in &missing {
        detail.push_str(&format!("  - {unfilled}\n"));
    }
    detail.push_str(
        "Plan again (`switchboard plan --out`), review, and apply the new plan; nothing was \
         written.",
    );
    progress.diagnostic(&summary, &detail);
    crate::output::eprintln(format_args!("{}\n{detail}", error_head(global, &summary)));
    Ok(Some(Exit::Stale))
}

/// Stale objects listed on stderr at most; `--json` lists them all.
const STALE_SHOWN: usize = 20;

/// The first `max` stale objects one a line, how many more there are, then `advice`.
fn stale_list(stale: &[planner::StaleObject], max: usize, advice: &str) -> String {
    let mut detail = String::new();
    for object in stale.iter().take(max) {
        detail.push_str(&format!(
            "  - {}\n",
            spec::text::terminal(&object.to_string())
        ));
    }
    if stale.len() > max {
        detail.push_str(&format!(
            "  ... and {} more (`--json` lists them all)\n",
            stale.len() - max
        ));
    }
    detail.push_str(advice);
    detail
}

// ---------------------------------------------------------------------------------------------
// `apply PATH`.
// ---------------------------------------------------------------------------------------------

async fn from_spec(global: &Global, args: &ApplyArgs, mode: Mode) -> anyhow::Result<Exit> {
    if mode == Mode::Json && !args.auto_approve {
        bail!(
            "--json needs --auto-approve when applying a spec (there is no one to answer a \
             question in JSON), or apply a saved plan (`switchboard plan --out FILE`)"
        );
    }
    let planned = pipeline::plan(
        global,
        &args.connection,
        args.target.as_deref(),
        args.parallelism,
        Access::Write,
        &args.part,
    )
    .await?;
    let result = apply_planned(global, args, mode, &planned).await;
    planned.target.shutdown().await;
    result
}

async fn apply_planned(
    global: &Global,
    args: &ApplyArgs,
    mode: Mode,
    planned: &pipeline::Planned,
) -> anyhow::Result<Exit> {
    let plan = &planned.plan;
    let color = pipeline::color_stdout(global);
    let mut progress = Progress::new(mode, color, plan);
    progress.version();
    if plan.is_empty() {
        let summary = if plan.partial.is_some() {
            "No changes. The part planned matches the spec."
        } else {
            "No changes. Live project matches the spec."
        };
        return no_changes(&progress, summary);
    }
    if mode == Mode::Json {
        progress.planned(plan);
    } else {
        pipeline::print_stdout(&pipeline::render_plan(
            &pipeline::for_display(plan),
            Some(&planned.flows),
            PlanFormat::Text,
            color,
        ))?;
    }
    if let Some(exit) = guard(global, args, &progress, &plan.safety) {
        return Ok(exit);
    }
    if !args.auto_approve && !confirm().await? {
        crate::output::eprintln(format_args!("Apply cancelled: nothing was written."));
        return Ok(Exit::Problems);
    }
    execute(
        args,
        &mut progress,
        plan,
        &planned.live.ids,
        &planned.target,
        &planned.spec_root,
    )
    .await
}

/// Asks on the terminal; refuses to guess when there is none.
async fn confirm() -> anyhow::Result<bool> {
    if !crate::output::stdin_is_terminal() {
        bail!(
            "refusing to apply without confirmation: standard input is not a terminal to ask \
             on. Pass --auto-approve to apply without asking (CI), or save the plan with \
             `switchboard plan --out FILE` and apply the file"
        );
    }
    let answer = tokio::task::spawn_blocking(|| -> std::io::Result<String> {
        crate::output::eprint(&format!("\n{QUESTION}"));
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line)
    })
    .await
    .context("cannot ask for confirmation")?
    .context("cannot read the answer")?;
    Ok(answer.trim() == "yes")
}

// ---------------------------------------------------------------------------------------------
// Both.
// ---------------------------------------------------------------------------------------------

fn no_changes(progress: &Progress, message: &str) -> anyhow::Result<Exit> {
    if progress.is_json() {
        progress.no_changes(message);
    } else {
        pipeline::print_stdout(&format!("{message}\n"))?;
    }
    Ok(Exit::Ok)
}

/// `Some(exit 3)` when a safety guard of `safety` refuses the plan and `--force` is not given.
fn guard(
    global: &Global,
    args: &ApplyArgs,
    progress: &Progress,
    safety: &planner::SafetyReport,
) -> Option<Exit> {
    if safety.violations.is_empty() {
        return None;
    }
    let mut detail = String::new();
    for violation in &safety.violations {
        detail.push_str(&format!(
            "  - {}\n",
            spec::text::terminal(&violation.to_string())
        ));
    }
    let n = safety.violations.len();
    if args.force {
        crate::output::eprintln(format_args!(
            "warning: applying despite {n} safety guard{} (--force):\n{detail}",
            if n == 1 { "" } else { "s" }
        ));
        return None;
    }
    let summary = format!(
        "a safety guard refuses this plan ({n} violation{}); nothing was written",
        if n == 1 { "" } else { "s" }
    );
    detail.push_str("Check the plan, then run again with --force to apply it anyway.");
    progress.diagnostic(&summary, &detail);
    crate::output::eprintln(format_args!("{}\n{detail}", error_head(global, &summary)));
    Some(Exit::Refused)
}

fn error_head(global: &Global, summary: &str) -> String {
    if pipeline::color_stderr(global) {
        format!("\x1b[1;31merror:\x1b[0m {summary}")
    } else {
        format!("error: {summary}")
    }
}

async fn execute(
    args: &ApplyArgs,
    progress: &mut Progress,
    plan: &Plan,
    ids: &pcc::Ids,
    target: &Target,
    spec_root: &Path,
) -> anyhow::Result<Exit> {
    check_audio(plan, spec_root)?;
    let stop = Arc::new(AtomicBool::new(false));
    let interrupts = tokio::spawn({
        let stop = stop.clone();
        async move {
            if tokio::signal::ctrl_c().await.is_err() {
                return;
            }
            stop.store(true, Ordering::Relaxed);
            crate::output::eprintln(format_args!(
                "\nInterrupt received: no new step starts; the running ones finish. Press \
                 Ctrl-C again to quit at once (nothing is lost: `plan` and `apply` again pick \
                 up from there)."
            ));
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
    let config = executor::Config {
        parallelism: args.parallelism.max(1),
        max_rps: args.max_rps,
        audio_root: spec_root.to_path_buf(),
        stop: Some(stop),
        started: STARTED.get().copied(),
        ..executor::Config::default()
    };
    let stop = config.stop.clone();
    progress.begin(plan.steps.len());
    let report = executor::apply(plan, ids, target.client(), &config, |event| {
        progress.event(event)
    })
    .await;
    progress.end(&report);
    let stopped = stop.is_some_and(|stop| stop.load(Ordering::Relaxed));
    let wired = rewire(plan, target, progress, stopped).await;
    interrupts.abort();
    Ok(if report.is_success() && wired {
        Exit::Ok
    } else {
        Exit::Problems
    })
}

/// Makes the plan's wiring corrections through the account API, once the steps are done (a
/// number PCC has just added is then the account's too), one `PUT` each, in the plan's
/// order; each is reported on stderr. Sends PCC's own URLs (the constants, never a URL from
/// the plan file). False when one failed, or when none was made because the run was
/// interrupted.
async fn rewire(plan: &Plan, target: &Target, progress: &Progress, stopped: bool) -> bool {
    let Some(wiring) = plan.wiring.as_ref().filter(|w| !w.is_empty()) else {
        return true;
    };
    let account = match target.account() {
        Ok(account) => account,
        Err(why) => {
            crate::output::eprintln(format_args!(
                "error: the PCC wiring was not corrected: {why}"
            ));
            return false;
        }
    };
    if stopped {
        crate::output::eprintln(format_args!(
            "Interrupted: the PCC wiring ({} correction{}) was not corrected; apply again to \
             correct it",
            wiring.rewires.len(),
            if wiring.rewires.len() == 1 { "" } else { "s" }
        ));
        return false;
    }
    let mut ok = 0;
    let mut failed = 0;
    for rewire in &wiring.rewires {
        let done = match &rewire.wired {
            planner::Wired::Project => account.wire_project(&rewire.id).await,
            planner::Wired::Number(_) => account.wire_number(&rewire.id).await,
        };
        let fields: Vec<&str> = rewire.changes.iter().map(|c| c.field.as_str()).collect();
        match done {
            Ok(()) => {
                ok += 1;
                progress.wiring(rewire, None);
                crate::output::eprintln(format_args!(
                    "~ wiring of {} set to PCC's ({})",
                    rewire.wired,
                    fields.join(", ")
                ));
            }
            Err(err) => {
                failed += 1;
                progress.wiring(rewire, Some(&err.to_string()));
                crate::output::eprintln(format_args!(
                    "error: wiring of {} not corrected: {}",
                    rewire.wired,
                    spec::text::terminal(&err.to_string())
                ));
            }
        }
    }
    crate::output::eprintln(format_args!(
        "Wiring: {ok} corrected, {failed} failed (account API, project {}).",
        wiring.project_id
    ));
    failed == 0
}

/// Every audio file the plan uploads is where the plan says, with the content it planned:
/// checked before the first write, so that a saved plan applied from another directory, or a
/// file edited since planning, stops the apply whole instead of half-way. Read through the
/// same checks as the spec loader's and the upload's (`files::Root`): inside the spec root
/// after symbolic links, a regular file, at most 50 MiB.
fn check_audio(plan: &Plan, spec_root: &Path) -> anyhow::Result<()> {
    let mut root = None;
    for step in &plan.steps {
        let Some(planner::Object::Audio {
            id: spec::model::AudioId::Sha256(expected),
            file: Some(file),
            ..
        }) = &step.after
        else {
            continue;
        };
        let root = match &mut root {
            Some(root) => root,
            None => root.insert(files::Root::new(spec_root).with_context(|| {
                format!(
                    "cannot read the plan's spec root `{}`: run `apply` from the directory \
                     `plan` ran in; nothing was written",
                    spec_root.display()
                )
            })?),
        };
        let found = match crate::specfile::digest_audio(root, file) {
            Ok(found) => found,
            Err(err) => {
                let advice = match err {
                    files::Error::NotFound => format!(
                        ": run `apply` from the directory `plan` ran in (the plan's spec root \
                         `{}` is relative to it)",
                        spec_root.display()
                    ),
                    _ => String::new(),
                };
                bail!(
                    "{} uploads `{}`, which cannot be read here ({err}){advice}; nothing was \
                     written",
                    step.address,
                    spec_root.join(file).display()
                );
            }
        };
        if found != *expected {
            bail!(
                "{} uploads `{}`, whose content changed since the plan was made (planned \
                 sha256:{expected}, now sha256:{found}); plan again; nothing was written",
                step.address,
                spec_root.join(file).display()
            );
        }
    }
    Ok(())
}
