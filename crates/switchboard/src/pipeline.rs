//! The pipeline `plan`, `drift` and `apply PATH` share: load the spec, connect (banner first),
//! read the live project, plan; how plans are rendered and coloured; and the saved-plan file
//! (`plan --out`), which records the target and spec root that `apply FILE` checks.
//!
//! - [`plan`]: spec path → [`Planned`] (spec, spec root, target, live state, plan, and what
//!   the plan changes for callers).
//! - [`render_plan`] / [`render_drift`]: a plan in the format asked for.
//! - [`write_saved`] / [`read_saved`]: the saved-plan file; [`TargetId::ensure_same`] refuses
//!   a plan made against another PCC.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use planner::{FlowLimits, FlowReport, Plan};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use spec::Spec;

use crate::cli::{Connection, DriftFormat, Global, Part, PlanFormat};
use crate::specfile::{self, Style};
use crate::target::{self, Access, Target};

/// Everything a planned run holds: enough to print the plan, save it, or apply it.
#[derive(Debug)]
pub struct Planned {
    /// The desired state.
    pub spec: Spec,
    /// Where the spec's audio paths start: the directory given, or the directory of the file
    /// given, as the user wrote it (relative to the working directory unless they gave an
    /// absolute path).
    pub spec_root: PathBuf,
    /// The spec as given (a file or a directory): a saved plan records it, for `apply FILE` to
    /// take the values that hold credentials from (the plan holds only their digests).
    pub spec_path: PathBuf,
    /// The PCC planned against; call [`Target::shutdown`] when done.
    pub target: Target,
    /// The live project as read (server ids included, for the executor).
    pub live: pcc::Live,
    /// The plan from `live` to `spec`.
    pub plan: Plan,
    /// What the plan changes for callers: flow tests and caller key paths, live against the
    /// project as the plan leaves it.
    pub flows: FlowReport,
}

/// A multi-threaded runtime for one command. Commands are synchronous at the top; the
/// sandbox, the client and the executor run inside this.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Connects to the PCC the environment names, to read it, and prints its banner on stderr,
/// first.
pub async fn connect(connection: &Connection) -> anyhow::Result<Target> {
    let target = target::connect(connection, Access::Read).await?;
    crate::output::eprintln(target.banner());
    Ok(target)
}

/// The whole read side: the target's banner on stderr first, then the spec at `path`
/// (diagnostics on stderr; an invalid or missing spec fails here, before the sandbox starts
/// or any API request), then connect, read the live kinds the spec manages with at most
/// `concurrency` requests in flight, and plan. `access` is what the command goes on to do,
/// which decides whether it may share the local sandbox.
///
/// On error the target is already shut down; on success the caller owns it.
pub async fn plan(
    global: &Global,
    connection: &Connection,
    path: Option<&Path>,
    concurrency: usize,
    access: Access,
    part: &Part,
) -> anyhow::Result<Planned> {
    let request = request(part)?;
    let pending = target::resolve(connection)?;
    crate::output::eprintln(pending.banner());
    let (spec, spec_root) = specfile::load_valid_at(path, global)?;
    ensure_bound(spec.environment.as_ref(), &pending)?;
    let secrets = secret_values(&spec);
    crate::output::hide(secrets.iter().cloned());
    let target = pending.connect(access).await?;
    let read = if request.is_whole() {
        let scope = read_scope(&spec, concurrency);
        read_settling(&target, &spec, &scope, access)
            .await
            .map(|(live, problems)| {
                let set_aside = set_aside(&spec.policy, &problems);
                let plan =
                    planner::plan_setting_aside(&spec.model, &live.model, &spec.policy, &set_aside);
                (live, plan)
            })
    } else {
        plan_part(&target, &spec, &request, concurrency, access).await
    };
    match read {
        Ok((live, mut plan)) => {
            if let Err(err) = audio_on_server(&spec, &live.model, &plan) {
                target.shutdown().await;
                return Err(err);
            }
            if request.is_whole() {
                let project = match &spec.project_id {
                    Some(pin) => WiringOf::Pinned(pin),
                    None => WiringOf::Reported,
                };
                match read_wiring(&target, &secret_values(&spec), project).await {
                    Ok(Some(live)) => {
                        if spec.project_id.is_none() {
                            crate::output::eprintln(format_args!(
                                "note: the wiring is checked on project {id}, the one PCC \
                                 reports for the API key; pin it with `project_id: {id}` in \
                                 the spec{} so that a PCC reporting another project is refused",
                                if spec.environment.is_some() {
                                    " (under the environment)"
                                } else {
                                    ""
                                },
                                id = spec::text::terminal(&live.project_id),
                            ));
                        }
                        plan.wiring = Some(planner::plan_wiring(&spec.model, &live, &spec.policy));
                    }
                    Ok(None) => {}
                    Err(err) => {
                        target.shutdown().await;
                        return Err(err);
                    }
                }
            } else {
                crate::output::eprintln(
                    "note: wiring not checked: a partial plan (--target, --exclude) leaves the \
                     PCC wiring out; plan the whole project to check it",
                );
            }
            // A partial read holds only part of the project: caller paths and flow tests
            // walked over it would end at what was not read. `plan` runs them whole.
            let flows = if request.is_whole() {
                flow_report(&spec, &live.model, &plan)
            } else {
                FlowReport {
                    tests: Vec::new(),
                    numbers: Vec::new(),
                    limits: FlowLimits::default(),
                }
            };
            Ok(Planned {
                spec,
                spec_root,
                spec_path: path.unwrap_or(Path::new(".")).to_path_buf(),
                target,
                live,
                plan,
                flows,
            })
        }
        Err(err) => {
            target.shutdown().await;
            Err(with_ignore_help(err))
        }
    }
}

/// The PCC wiring as the account holds it: the project's answer and event URLs and its
/// numbers', for [`planner::plan_wiring`]. `None`, with a `note: wiring not checked: …` line
/// on stderr saying why, when it cannot be checked (no account key; PCC does not say which
/// project the API key is for). A failed read fails the command: a wiring read as "fine"
/// because the account API could not be reached would hide the very problem it checks.
///
/// `of` says which project PCC must report for the API key: the project it names is the one
/// the corrections are sent to, and a PCC that lies (or whatever answers at `--endpoint`)
/// would otherwise choose which project of the account is rewired. Another than the spec's
/// pin fails the command; another than a saved plan's answers a wiring of that project with
/// nothing in it, which the plan's stale check refuses. Either way the account is not read.
pub async fn read_wiring(
    target: &Target,
    secrets: &[String],
    of: WiringOf<'_>,
) -> anyhow::Result<Option<planner::LiveWiring>> {
    let account = match target.account() {
        Ok(account) => account,
        Err(why) => {
            crate::output::eprintln(format_args!("note: wiring not checked: {why}"));
            return Ok(None);
        }
    };
    let Some(project) = project_of_key(target).await? else {
        crate::output::eprintln(
            "note: wiring not checked: PCC does not say which project the API key is for (its \
             call settings have no `project`, and it holds no number to read one from), and \
             switchboard does not guess it",
        );
        return Ok(None);
    };
    match of {
        WiringOf::Reported => {}
        WiringOf::Pinned(pin) if pin.id != project => bail!(
            "PCC reports project {} for the API key, but the spec pins project {} \
             (`project_id` at {}:{}:{}): the PCC wiring is not read or corrected, and nothing \
             was written. Check the endpoint and the API key; if the key is for project {0} \
             on purpose, change `project_id`",
            spec::text::terminal(&project),
            pin.id,
            spec::text::terminal(&pin.at.file),
            pin.at.line,
            pin.at.column,
        ),
        WiringOf::Pinned(_) => {}
        WiringOf::Planned(planned) if planned != project => {
            return Ok(Some(planner::LiveWiring {
                project_id: project,
                ..planner::LiveWiring::default()
            }));
        }
        WiringOf::Planned(_) => {}
    }
    let wiring = account
        .read(&project)
        .await
        .context("cannot read the PCC wiring from the account API")?;
    // Live URLs may hold credentials, the spec's secrets or the keys' own (an account that
    // echoes one): shown and saved hidden.
    let secrets: Vec<String> = secrets.iter().chain(target.secrets()).cloned().collect();
    let hidden = |url: Option<String>| {
        url.map(|url| {
            let mut url = spec::sensitive::Sensitive::new(url);
            url.hide(&secrets);
            url
        })
    };
    let urls = |urls: pcc::account::Urls| planner::LiveUrls {
        answer_url: hidden(urls.answer_url),
        event_url: hidden(urls.event_url),
    };
    Ok(Some(planner::LiveWiring {
        project_id: wiring.project_id,
        project: urls(wiring.project),
        numbers: wiring
            .numbers
            .into_iter()
            .map(|(digits, (id, now))| (digits, (id, urls(now))))
            .collect(),
    }))
}

/// Which project [`read_wiring`] takes PCC's word for.
#[derive(Clone, Copy, Debug)]
pub enum WiringOf<'a> {
    /// Whichever PCC reports (no `project_id` in the spec): the plan says which, and how to
    /// pin it.
    Reported,
    /// Only the spec's `project_id`.
    Pinned(&'a spec::PinnedProject),
    /// Only the project a saved plan's corrections were planned for.
    Planned(&'a str),
}

/// The project the API key is for, as PCC says it: the call settings' `project` (there on an
/// empty project too), else the `project` every list item carries, from the first page of the
/// numbers; `None` when neither says (nothing is guessed).
async fn project_of_key(target: &Target) -> anyhow::Result<Option<String>> {
    let client = target.client();
    let settings = client
        .get_call_settings()
        .await
        .context("cannot read which project the API key is for (its call settings)")?;
    if settings.project.is_some() {
        return Ok(settings.project);
    }
    let numbers = client
        .list_page::<pcc::wire::Number>(None, 1)
        .await
        .context("cannot read which project the API key is for (its numbers)")?;
    Ok(numbers.items.into_iter().find_map(|n| n.project))
}

/// Fails when the spec names audio by `server_file` or `sha256` (nothing switchboard can
/// upload) that the live project does not hold: planned, it would be a create with no bytes,
/// failing at apply with every queue and node that plays it. Named by file, line and value.
fn audio_on_server(spec: &Spec, live: &spec::Model, plan: &Plan) -> anyhow::Result<()> {
    let mut missing = planner::missing_audio(&spec.model, live);
    if plan.partial.is_some() {
        // A partial read holds live audio only when its part uses some: only the audio the
        // part would create is checked.
        missing.retain(|(name, _)| {
            let at = spec::Address::Audio((*name).to_owned());
            plan.steps.iter().any(|step| step.address == at)
        });
    }
    if missing.is_empty() {
        return Ok(());
    }
    let mut text = format!(
        "{} audio file{} named in the spec {} not on this PCC project:",
        missing.len(),
        if missing.len() == 1 { "" } else { "s" },
        if missing.len() == 1 { "is" } else { "are" },
    );
    for (name, id) in &missing {
        let written = match id {
            spec::model::AudioId::ServerFile(file) => format!("server_file: {file}"),
            spec::model::AudioId::Sha256(hex) => format!("sha256: {hex}"),
        };
        let at = spec
            .audio_at
            .get(*name)
            .map(|l| format!("{}:{}:{}: ", l.file, l.line, l.column))
            .unwrap_or_default();
        text.push_str(&format!("\n  {at}audio `{name}`: `{written}`"));
    }
    text.push_str(
        "\nhelp: `server_file` and `sha256` name audio already uploaded to this project, which \
         switchboard cannot upload itself: upload it to this project first, or give the audio a \
         `file:` (a WAV or MP3 file in the spec directory) for `apply` to upload",
    );
    Err(anyhow::anyhow!(text))
}

/// Reads the live project as `scope` says. Another apply racing this one holds copies of what
/// both create until it looks and deletes its own: a moment, or up to `settle + recheck`
/// (2.5 s) after a lost answer or a killed run's late write. An apply reads again rather than
/// refuse a project that is about to be right (docs/apply.md, "Two writers, one project").
async fn read_settling(
    target: &Target,
    spec: &Spec,
    scope: &pcc::ReadOptions,
    access: Access,
) -> anyhow::Result<(pcc::Live, Vec<pcc::LiveProblem>)> {
    let covered = |address: &spec::Address| spec.policy.is_ignored(address);
    let mut waited = std::time::Duration::ZERO;
    loop {
        match read_live_setting_aside(target, scope, &covered).await {
            Err(err) if access == Access::Write && waited < COPIES_SETTLE && only_copies(&err) => {
                crate::output::eprintln(format_args!(
                    "note: the live project holds two copies of some objects, maybe another \
                     apply's that it is about to delete; reading again in {} s",
                    COPIES_POLL.as_secs_f64()
                ));
                tokio::time::sleep(COPIES_POLL).await;
                waited += COPIES_POLL;
            }
            // The live project holds the secrets the spec puts there: hidden as in the spec,
            // before anything is planned (or fingerprinted) from it.
            Ok((mut live, problems)) => {
                live.model.hide_secrets(&secret_values(spec));
                return Ok((live, problems));
            }
            other => return other,
        }
    }
}

/// `--target` and `--exclude` as the planner takes them. A pattern that can name no kind
/// (`--target main`) is refused before anything is read.
pub fn request(part: &Part) -> anyhow::Result<planner::Request> {
    let patterns = |flag: &str, given: &[String]| -> anyhow::Result<Vec<spec::Pattern>> {
        given
            .iter()
            .map(|text| {
                let pattern = spec::Pattern::new(text.as_str());
                if pattern.kinds().is_empty() {
                    bail!(
                        "{flag} `{text}` is not an address pattern: it must start with a kind \
                         ({}, settings) and a `.`, as `ivr_tree.main` or `queue.sales-*` do; \
                         nothing was read",
                        spec::Kind::named_spellings().join(", ")
                    );
                }
                Ok(pattern)
            })
            .collect()
    };
    Ok(planner::Request {
        target: patterns("--target", &part.target)?,
        exclude: patterns("--exclude", &part.exclude)?,
    })
}

/// How many times a partial plan reads the live project at most before it reads all of it.
const PARTIAL_READS: usize = 3;

/// The part of the project `request` asks for, read and planned (docs/ci.md, "Partial
/// plans"). The first read covers what the spec's side of the part needs; what it finds (a
/// live object a pattern matches, a delete whose users may be anywhere) can ask for more, and
/// the read is made again, wider, until it covers the part. A pattern that matches nothing
/// fails the plan.
async fn plan_part(
    target: &Target,
    spec: &Spec,
    request: &planner::Request,
    concurrency: usize,
    access: Access,
) -> anyhow::Result<(pcc::Live, Plan)> {
    let empty = spec::Model::default();
    let first = planner::select(
        &spec.model,
        &empty,
        &std::collections::BTreeSet::new(),
        &spec.policy,
        request,
    );
    let mut options = partial_scope(spec, &first, concurrency);
    for round in 0.. {
        let (live, problems) = read_settling(target, spec, &options, access).await?;
        let named = named(&live);
        let selection = planner::select(&spec.model, &live.model, &named, &spec.policy, request);
        let needed = partial_scope(spec, &selection, concurrency);
        if !options.covers(&needed) {
            if round + 1 < PARTIAL_READS {
                options.widen(&needed);
            } else {
                options = read_scope(spec, concurrency);
            }
            crate::output::eprintln(
                "note: the partial plan needs more of the live project than the spec showed \
                 (live objects its patterns match, or what uses what it deletes); reading again",
            );
            continue;
        }
        if let Some((flag, pattern)) = selection.unmatched.first() {
            let more = selection.unmatched.len() - 1;
            bail!(
                "{flag} `{pattern}` matches nothing in the spec or the live project{}: check \
                 the address (`switchboard plan` lists every object's); nothing was planned",
                if more > 0 {
                    format!(
                        " (and {more} other pattern{} neither)",
                        if more == 1 { "" } else { "s" }
                    )
                } else {
                    String::new()
                }
            );
        }
        let set_aside = set_aside(&spec.policy, &problems);
        let plan = planner::plan_partial(
            &spec.model,
            &live.model,
            &named,
            &spec.policy,
            &set_aside,
            request,
            &selection,
        );
        return Ok((live, plan));
    }
    unreachable!("the loop returns")
}

/// What a read named without holding it in its model: the groups, queues and trees listed,
/// whose members, routings and nodes it did not read, and the lists read only to name
/// references.
fn named(live: &pcc::Live) -> std::collections::BTreeSet<spec::Address> {
    live.ids.objects.keys().cloned().collect()
}

/// The read a selection needs: the scopes of its kinds (the call settings only when the spec
/// manages them), and the parents it covers.
fn partial_scope(
    spec: &Spec,
    selection: &planner::Selection,
    concurrency: usize,
) -> pcc::ReadOptions {
    let scopes = selection
        .kinds
        .iter()
        .map(|kind| pcc::ReadScope::of(*kind))
        .filter(|scope| *scope != pcc::ReadScope::Settings || spec.model.settings.is_some());
    pcc::ReadOptions {
        concurrency: concurrency.max(1),
        parents: Some(pcc::Parents {
            only: selection.parents.clone(),
            every: selection.every.clone(),
            except: selection.skip.clone(),
        }),
        ..pcc::ReadOptions::only(scopes)
    }
}

/// How long an apply keeps reading a project whose only problems are copies, and how often.
const COPIES_SETTLE: std::time::Duration = std::time::Duration::from_secs(3);
const COPIES_POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// True when a read failed only because some natural keys are held by several objects.
fn only_copies(err: &anyhow::Error) -> bool {
    match err.downcast_ref::<pcc::Error>() {
        Some(pcc::Error::Live(problems)) => {
            !problems.is_empty() && problems.iter().all(|p| p.ids.len() > 1)
        }
        _ => false,
    }
}

/// A failed read whose problems include duplicate names gets a help line: `ignore:` can set
/// those aside; and, when copies are all it found, another apply may be settling them.
fn with_ignore_help(err: anyhow::Error) -> anyhow::Error {
    let duplicates = match err.downcast_ref::<pcc::Error>() {
        Some(pcc::Error::Live(problems)) => problems.iter().any(|p| p.uses.is_some()),
        _ => false,
    };
    let racing = only_copies(&err);
    if !duplicates && !racing {
        return err;
    }
    let mut text = format!("{err:#}");
    if racing {
        text.push_str(
            "\nhelp: if another `switchboard apply` is running against this project, these may \
             be copies it is about to delete (docs/apply.md, \"Two writers, one project\"): run \
             again in a few seconds",
        );
    }
    if duplicates {
        text.push_str(
            "\nhelp: to plan around a duplicate name you cannot fix yet, add its address to \
             `ignore:` (`group.<name>`, say); the plan then leaves those objects out",
        );
    }
    anyhow::anyhow!(text)
}

/// What `plan` changes for callers. The walk compares the live project with the live project
/// once the plan has run, not with the spec: objects the spec ignores stay as they are live,
/// and must not show up as callers losing their way. Renames (`moved:`) are made on the live
/// side too: a caller who reaches a renamed queue reaches the same queue.
pub fn flow_report(spec: &Spec, live: &spec::Model, plan: &Plan) -> FlowReport {
    let after = planner::apply_to(plan, live);
    let before = planner::renamed(plan, live);
    planner::flow_report(&after, &before, &spec.tests, &FlowLimits::default())
}

/// What a plan of `spec` must read: every kind, since live objects outside the spec are
/// deleted, except the call settings when the spec does not manage them.
pub fn read_scope(spec: &Spec, concurrency: usize) -> pcc::ReadOptions {
    let scopes = pcc::ReadScope::ALL
        .into_iter()
        .filter(|scope| *scope != pcc::ReadScope::Settings || spec.model.settings.is_some())
        .filter(|scope| *scope != pcc::ReadScope::Blacklist || spec.model.blacklist.is_some());
    pcc::ReadOptions {
        concurrency: concurrency.max(1),
        ..pcc::ReadOptions::only(scopes)
    }
}

/// Reads the live project and says on stderr how many requests it took.
pub async fn read_live(target: &Target, options: &pcc::ReadOptions) -> anyhow::Result<pcc::Live> {
    let (live, _) = read_live_setting_aside(target, options, &|_| false).await?;
    Ok(live)
}

/// [`read_live`], setting aside the problems at addresses `accept` accepts (duplicate names
/// that `ignore:` covers): they are left out of the model, returned, and named on stderr.
pub async fn read_live_setting_aside(
    target: &Target,
    options: &pcc::ReadOptions,
    accept: &dyn Fn(&spec::Address) -> bool,
) -> anyhow::Result<(pcc::Live, Vec<pcc::LiveProblem>)> {
    let before = target.client().stats().total();
    let (live, problems) = pcc::read_live_setting_aside(target.client(), options, accept)
        .await
        .context("cannot read the live project")?;
    let requests = target.client().stats().total() - before;
    crate::output::eprintln(format_args!(
        "read the live project: {} ({requests} request{})",
        contents(&live.model),
        if requests == 1 { "" } else { "s" }
    ));
    for problem in &problems {
        crate::output::eprintln(format_args!(
            "note: `ignore:` covers {problem}; the plan leaves it out"
        ));
    }
    Ok((live, problems))
}

/// The problems a read set aside, as the planner takes them.
pub fn set_aside(policy: &spec::Policy, problems: &[pcc::LiveProblem]) -> Vec<planner::SetAside> {
    problems
        .iter()
        .filter_map(|problem| {
            let address = problem.address()?;
            let pattern = policy.ignoring(address)?.to_string();
            let uses = problem.uses.iter().flatten().cloned().collect();
            Some(planner::SetAside {
                address: address.clone(),
                pattern,
                problem: format!("{}; ids {}", problem.problem, problem.ids.join(", ")),
                uses,
            })
        })
        .collect()
}

/// `2 numbers, 1 IVR tree (3 nodes), ...` for the read notice.
fn contents(model: &spec::Model) -> String {
    let nodes: usize = model.ivr.values().map(|t| t.nodes.len()).sum();
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "{}, {} ({}), {}, {}, {}, {}",
        plural(model.numbers.len(), "number", "numbers"),
        plural(model.ivr.len(), "IVR tree", "IVR trees"),
        plural(nodes, "node", "nodes"),
        plural(model.queues.len(), "queue", "queues"),
        plural(model.groups.len(), "group", "groups"),
        plural(model.agents.len(), "agent", "agents"),
        plural(model.audio.len(), "audio file", "audio files"),
    )
}

/// Whether standard output gets colour: `--color`, else a terminal without `NO_COLOR`.
/// Decided once per command, so every renderer agrees.
pub fn color_stdout(global: &Global) -> bool {
    Style::for_stdout(global).color
}

/// Whether standard error gets colour, likewise.
pub fn color_stderr(global: &Global) -> bool {
    Style::for_stderr(global).color
}

/// The plan as `plan --format` asks, with what it changes for callers when `flows` is given
/// (text and Markdown show them only for a plan with changes; JSON always carries
/// `flow_changes` and `flow_tests`).
pub fn render_plan(
    plan: &Plan,
    flows: Option<&FlowReport>,
    format: PlanFormat,
    color: bool,
) -> String {
    let shown = flows.filter(|_| !plan.is_empty());
    match format {
        PlanFormat::Text => {
            let mut text = planner::render::text(plan, color);
            if let Some(flows) = shown {
                let paths = planner::render::flows_text(flows, color);
                if !paths.is_empty() {
                    text.push('\n');
                    text.push_str(&paths);
                }
            }
            text
        }
        PlanFormat::Json => {
            let text = planner::render::json(plan);
            let Some(flows) = flows else { return text };
            let mut doc: serde_json::Value =
                serde_json::from_str(&text).expect("the planner writes JSON");
            if let (Some(doc), serde_json::Value::Object(extra)) =
                (doc.as_object_mut(), planner::render::flows_json(flows))
            {
                doc.extend(extra);
            }
            let mut text = spec::text::json(
                serde_json::to_string_pretty(&doc).expect("JSON values serialize"),
            );
            text.push('\n');
            text
        }
        PlanFormat::Markdown => {
            let Some(flows) = shown else {
                return planner::render::markdown(plan);
            };
            // The caller paths get up to a quarter of the comment; the plan gets the rest.
            let limit = planner::render::MARKDOWN_LIMIT;
            let paths = planner::render::flows_markdown(flows, limit / 4);
            let mut text = planner::render::markdown_with_limit(plan, limit - paths.len() - 1);
            if !paths.is_empty() {
                text.push('\n');
                text.push_str(&paths);
            }
            text
        }
    }
}

/// `plan` as it is shown: its values that hold credentials redacted, or, with
/// `--show-sensitive` on a terminal, as they are (`planner::revealed`).
pub fn for_display(plan: &Plan) -> std::borrow::Cow<'_, Plan> {
    if crate::output::revealing() {
        std::borrow::Cow::Owned(planner::revealed(plan))
    } else {
        std::borrow::Cow::Borrowed(plan)
    }
}

/// The drift report as `drift --format` asks.
pub fn render_drift(plan: &Plan, format: DriftFormat, color: bool) -> String {
    match format {
        DriftFormat::Text => planner::render::drift_text(plan, color),
        DriftFormat::Json => planner::render::drift_json(plan),
        DriftFormat::Markdown => planner::render::drift_markdown(plan),
    }
}

/// Writes `text` to standard output, through [`crate::output`] (a closed pipe is reported as
/// the `BrokenPipe` it is, for `main` to treat as success).
pub fn print_stdout(text: &str) -> anyhow::Result<()> {
    crate::output::print(text)?;
    Ok(())
}

/// The safety notice `plan` prints on stderr when a guard trips, so that it is seen even
/// when stdout goes to a file or a JSON parser. `None` when no guard trips.
pub fn refusal_notice(plan: &Plan, color: bool) -> Option<String> {
    if !plan.refused() {
        return None;
    }
    let n = plan.safety.violations.len();
    let head = format!(
        "warning: `apply` will refuse this plan without --force: {n} safety guard{} tripped",
        if n == 1 { "" } else { "s" }
    );
    let mut notice = if color {
        format!("\x1b[1;31m{head}\x1b[0m")
    } else {
        head
    };
    for violation in &plan.safety.violations {
        notice.push_str(&format!(
            "\n  - {}",
            spec::text::terminal(&violation.to_string())
        ));
    }
    Some(notice)
}

// ---------------------------------------------------------------------------------------------
// Environments.
// ---------------------------------------------------------------------------------------------

/// The `${secret.NAME}` values the spec used.
pub fn secret_values(spec: &Spec) -> Vec<String> {
    spec.environment
        .iter()
        .flat_map(|env| env.secrets.values())
        .map(|secret| secret.expose().to_owned())
        .collect()
}

/// A rendered plan or drift report (`json` says whether it is the JSON format) that names
/// the environment `env` it is for: a first line in text and Markdown (what a pull-request
/// comment per environment is told apart by), an `environment` member in JSON.
pub fn naming_environment(
    text: String,
    json: bool,
    markdown: bool,
    env: Option<&spec::Environment>,
) -> String {
    let Some(env) = env else {
        return text;
    };
    if json {
        let Ok(serde_json::Value::Object(members)) =
            serde_json::from_str::<serde_json::Value>(&text)
        else {
            return text;
        };
        let mut named = serde_json::Map::new();
        named.insert(
            "environment".to_owned(),
            serde_json::Value::String(env.name.clone()),
        );
        named.extend(members);
        let mut out = spec::text::json(
            serde_json::to_string_pretty(&serde_json::Value::Object(named))
                .expect("JSON values serialize"),
        );
        out.push('\n');
        return out;
    }
    if markdown {
        return format!(
            "Environment: **{}**\n\n{text}",
            spec::text::markdown_inline(&env.name)
        );
    }
    format!("Environment: {}\n\n{text}", spec::text::terminal(&env.name))
}

/// Stops, before the first request, a command whose credentials or endpoint are not those
/// the spec's environment is bound to (`api_key_sid`, `endpoint`). The local sandbox holds no
/// key and no one's project, so any environment may try a change there.
pub fn ensure_bound(
    env: Option<&spec::Environment>,
    pending: &target::Pending,
) -> anyhow::Result<()> {
    let Some(env) = env else {
        return Ok(());
    };
    let target::Pending::Remote(target) = pending else {
        return Ok(());
    };
    let client = target.client();
    let name = spec::text::terminal(&env.name);
    if let Some(sid) = &env.api_key_sid
        && client.sid() != sid
    {
        bail!(
            "environment `{name}` is bound to the API key {} (its `api_key_sid`), but the \
             credentials given are those of {}: nothing was sent. Use `{name}`'s key, or name \
             the environment this key belongs to with `--env`",
            pcc::Credentials::new(sid.as_str(), "").sid_hint(),
            pcc::Credentials::new(client.sid(), "").sid_hint()
        );
    }
    if let Some(endpoint) = &env.endpoint
        && endpoint.trim_end_matches('/') != client.pcc_url().trim_end_matches('/')
    {
        bail!(
            "environment `{name}` is bound to the endpoint {} (its `endpoint`), but this run \
             targets {}: nothing was sent. Give `--endpoint {}`",
            pcc::redact_url(endpoint),
            pcc::redact_url(client.pcc_url()),
            pcc::redact_url(endpoint)
        );
    }
    Ok(())
}

/// The environment a saved plan was made for: its name, what binds it to its project, and a
/// digest of each secret it used, keyed with the plan key (so that a reader of the plan
/// cannot test guesses of a short secret against it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedEnvironment {
    /// The environment's name.
    pub name: String,
    /// Its `api_key_sid`, when the spec binds one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_sid: Option<String>,
    /// Its `endpoint`, when the spec names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// `hmac-sha256:<hex>` of each `${secret.NAME}` value, by `NAME`.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
}

impl SavedEnvironment {
    /// The record of `env` for a plan saved with `key`.
    pub fn of(env: &spec::Environment, key: &[u8]) -> SavedEnvironment {
        SavedEnvironment {
            name: env.name.clone(),
            api_key_sid: env.api_key_sid.clone(),
            endpoint: env.endpoint.clone(),
            secrets: env
                .secrets
                .iter()
                .map(|(name, value)| (name.clone(), secret_digest(key, name, value.expose())))
                .collect(),
        }
    }

    /// Fails unless this run may apply a plan made for this environment: `--env`, when given,
    /// names it; the credentials are its `api_key_sid`'s. Nothing is sent before.
    pub fn ensure_same(&self, env: Option<&str>, pending: &target::Pending) -> anyhow::Result<()> {
        let name = spec::text::terminal(&self.name);
        if let Some(env) = env
            && env != self.name
        {
            bail!(
                "this plan was made for environment `{name}`, but this run is for `{}`: a \
                 saved plan applies only to the environment it was made for; nothing was sent",
                spec::text::terminal(env)
            );
        }
        if let (Some(sid), target::Pending::Remote(target)) = (&self.api_key_sid, pending)
            && target.client().sid() != sid
        {
            bail!(
                "this plan was made for environment `{name}`, bound to the API key {}, but the \
                 credentials given are those of {}: nothing was sent",
                pcc::Credentials::new(sid.as_str(), "").sid_hint(),
                pcc::Credentials::new(target.client().sid(), "").sid_hint()
            );
        }
        Ok(())
    }

    /// The secrets whose value in the process environment now is not the one planned (unset
    /// counts as changed), by name. Never their values.
    pub fn changed_secrets(&self, key: &[u8]) -> Vec<String> {
        self.secrets
            .iter()
            .filter(|(name, digest)| {
                specfile::secret_now(name)
                    .is_none_or(|now| secret_digest(key, name, &now) != **digest)
            })
            .map(|(name, _)| name.clone())
            .collect()
    }
}

/// `hmac-sha256:<hex>` of a secret's name and value under `key`.
fn secret_digest(key: &[u8], name: &str, value: &str) -> String {
    let mut bytes = Vec::with_capacity(name.len() + value.len() + 32);
    bytes.extend_from_slice(b"switchboard secret\0");
    bytes.extend_from_slice(name.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(value.as_bytes());
    format!("{MAC_PREFIX}{}", hex(&mac(key, &bytes)))
}

// ---------------------------------------------------------------------------------------------
// The saved plan.
// ---------------------------------------------------------------------------------------------

/// The PCC a plan was made against, as recorded in a saved plan. Holds no secret: the key is
/// recorded by its shortened SID and the SHA-256 of the SID.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetId {
    /// The local sandbox, by the absolute path of its state file.
    Sandbox {
        /// The canonical path of `.switchboard/sandbox.db`.
        state: String,
    },
    /// Stringee, or another endpoint, with an API key.
    Pcc {
        /// The PCC REST base URL.
        endpoint: String,
        /// The SID shortened for people (`SK…abc`).
        key: String,
        /// Lower-case hex SHA-256 of the full SID, to compare keys without writing them.
        key_sha256: String,
    },
}

impl TargetId {
    /// The identity of `target`.
    pub fn of(target: &Target) -> anyhow::Result<TargetId> {
        if target.is_sandbox() {
            let state = std::fs::canonicalize(target::SANDBOX_STATE).with_context(|| {
                format!("cannot find the sandbox state {}", target::SANDBOX_STATE)
            })?;
            return Ok(TargetId::Sandbox {
                state: state.display().to_string(),
            });
        }
        let client = target.client();
        let credentials = pcc::Credentials::new(client.sid(), "");
        Ok(TargetId::Pcc {
            endpoint: client.pcc_url().to_owned(),
            key: credentials.sid_hint(),
            key_sha256: hex(&Sha256::digest(client.sid().as_bytes())),
        })
    }

    /// The identity of the PCC `pending` would connect to, without connecting: the sandbox's
    /// state file need not exist yet (its path is made absolute through the nearest
    /// existing directory, as [`TargetId::of`] would find it once created).
    pub fn of_pending(pending: &target::Pending) -> anyhow::Result<TargetId> {
        match pending {
            target::Pending::Remote(target) => TargetId::of(target),
            target::Pending::Sandbox(state, _) => {
                let mut existing = std::env::current_dir()
                    .context("cannot find the working directory")?
                    .join(state);
                let mut rest = Vec::new();
                while !existing.exists() {
                    let Some(name) = existing.file_name() else {
                        break;
                    };
                    rest.push(name.to_owned());
                    existing.pop();
                }
                let mut path = std::fs::canonicalize(&existing)
                    .with_context(|| format!("cannot resolve {}", existing.display()))?;
                path.extend(rest.iter().rev());
                Ok(TargetId::Sandbox {
                    state: path.display().to_string(),
                })
            }
        }
    }

    /// Fails, naming both, unless `now` is the PCC this plan was made against. A plan made
    /// against the sandbox never applies to Stringee, nor the other way round, and `--force`
    /// does not change that.
    pub fn ensure_same(&self, now: &TargetId) -> anyhow::Result<()> {
        if self == now {
            return Ok(());
        }
        bail!(
            "this plan was made against {self}, but this run targets {now}: a saved plan only \
             applies to the PCC it was made against; run `switchboard plan --out` against {now}"
        )
    }
}

impl fmt::Display for TargetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetId::Sandbox { state } => write!(f, "the local sandbox ({state})"),
            TargetId::Pcc { endpoint, key, .. } => write!(f, "{endpoint} (key {key})"),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A saved plan as `apply FILE` reads it.
#[derive(Debug)]
pub struct SavedPlan {
    /// The plan, exactly as reviewed.
    pub plan: Plan,
    /// The PCC it was made against.
    pub target: TargetId,
    /// The spec root when planned, as written then: audio `file` paths of the plan's steps
    /// are relative to it. Relative roots are relative to the working directory of `plan`,
    /// so `apply FILE` runs from the same directory (as Terraform's saved plans do).
    pub spec_root: PathBuf,
    /// The spec as given to `plan` (relative to its working directory, as `spec_root` is):
    /// where `apply` takes the values that hold credentials from, which the plan holds only as
    /// digests. `None` in a plan saved before switchboard recorded it.
    pub spec: Option<PathBuf>,
    /// The environment it was made for, when the spec declares environments.
    pub environment: Option<SavedEnvironment>,
}

#[derive(Serialize)]
struct SavedOut<'a> {
    format_version: &'static str,
    tool_version: &'static str,
    target: &'a TargetId,
    spec_root: String,
    spec: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    environment: Option<SavedEnvironment>,
    plan: &'a Plan,
}

#[derive(Deserialize)]
struct SavedHeader {
    format_version: Option<String>,
    target: Option<TargetId>,
    spec_root: Option<String>,
    spec: Option<String>,
    environment: Option<SavedEnvironment>,
}

/// The saved plan's last member: the HMAC-SHA256 of the file up to it.
const INTEGRITY: &str = "integrity";
/// How the digest is written, naming its algorithm.
const MAC_PREFIX: &str = "hmac-sha256:";
/// The largest saved plan read: ample for a plan of every object of a large project.
const SAVED_PLAN_LIMIT: files::Limit = files::Limit {
    bytes: 256 << 20,
    what: "a saved plan",
};

/// The saved-plan file for `planned` (docs/plan-format.md, section 7): the planner's format
/// plus `target` and `spec_root`, then `integrity`, the digest `apply` checks, keyed with the
/// target's plan key.
pub fn saved_json(planned: &Planned) -> anyhow::Result<String> {
    let key = planned.target.plan_key();
    let text = saved_json_of(
        &planned.plan,
        &TargetId::of(&planned.target)?,
        &planned.spec_root,
        &planned.spec_path,
        planned
            .spec
            .environment
            .as_ref()
            .map(|env| SavedEnvironment::of(env, key)),
        key,
    )?;
    // Secrets are hidden in the model; a plan file that held one anyway is never written.
    if secret_values(&planned.spec)
        .iter()
        .any(|secret| text.contains(secret.as_str()))
    {
        bail!("the plan would hold a `${{secret.…}}` value, so it is not saved");
    }
    Ok(text)
}

fn saved_json_of(
    plan: &Plan,
    target: &TargetId,
    spec_root: &Path,
    spec: &Path,
    environment: Option<SavedEnvironment>,
    key: &[u8],
) -> anyhow::Result<String> {
    let utf8 = |path: &Path, what: &str| -> anyhow::Result<String> {
        if path.as_os_str().is_empty() {
            return Ok(".".to_owned());
        }
        path.to_str().map(str::to_owned).with_context(|| {
            format!(
                "the {what} {} is not UTF-8, which a saved plan cannot hold",
                path.display()
            )
        })
    };
    let saved = SavedOut {
        format_version: planner::saved::FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION"),
        target,
        spec_root: utf8(spec_root, "spec root")?,
        spec: utf8(spec, "spec path")?,
        environment,
        plan,
    };
    // Live names may hold hazards: escaped, they read back the same and show in any viewer.
    // The digest is of the file as written, escapes included.
    let body =
        spec::text::json(serde_json::to_string_pretty(&saved).context("cannot write the plan")?);
    Ok(signed(&body, key))
}

/// `body`, a pretty-printed JSON object, with a last member `"integrity":
/// "hmac-sha256:<hex>"`: the HMAC-SHA256 of `body` under `key`.
fn signed(body: &str, key: &[u8]) -> String {
    let head = body
        .strip_suffix("\n}")
        .expect("serde_json pretty-prints an object ending in a line `}`");
    format!(
        "{head},\n  \"{INTEGRITY}\": \"{MAC_PREFIX}{}\"\n}}\n",
        hex(&mac(key, body.as_bytes()))
    )
}

/// The HMAC-SHA256 of `bytes` under `key`.
fn mac(key: &[u8], bytes: &[u8]) -> Vec<u8> {
    use hmac::{KeyInit as _, Mac as _};
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(bytes);
    mac.finalize().into_bytes().to_vec()
}

/// Whether `text` is a file [`signed`] with `key`, byte for byte: its last member is the
/// digest, and the digest is the HMAC of everything else. Compared in constant time.
fn verify(text: &str, key: &[u8]) -> Result<(), &'static str> {
    use hmac::{KeyInit as _, Mac as _};
    let marker = format!(",\n  \"{INTEGRITY}\": \"{MAC_PREFIX}");
    let Some(at) = text.rfind(&marker) else {
        return Err(if text.contains(&format!("\"{INTEGRITY}\"")) {
            "its integrity digest is not the file's last member as `plan --out` writes it"
        } else {
            "it has no integrity digest"
        });
    };
    let digest = text[at + marker.len()..]
        .strip_suffix("\"\n}\n")
        .filter(|d| d.len() == 64 && d.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .ok_or("its integrity digest is not the file's last member as `plan --out` writes it")?;
    let digest: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&digest[2 * i..2 * i + 2], 16).expect("hex digits"))
        .collect();
    let body = format!("{}\n}}", &text[..at]);
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(body.as_bytes());
    mac.verify_slice(&digest)
        .map_err(|_| "its integrity digest does not match its content")
}

/// Writes the saved plan to `path`, replacing the file only once it is complete, and only a
/// regular file (`files::write`: never through a link, never onto a device or a FIFO).
pub fn write_saved(path: &Path, planned: &Planned) -> anyhow::Result<()> {
    let text = saved_json(planned)?;
    files::write(path, text.as_bytes())
        .with_context(|| format!("cannot write the plan to `{}`", path.display()))
}

/// The text of the saved plan at `path`: a regular file (never a FIFO, which would hang),
/// read up to 256 MiB.
pub fn read_saved_text(path: &Path) -> anyhow::Result<String> {
    files::open_regular(path, SAVED_PLAN_LIMIT)
        .and_then(files::Reader::text)
        .with_context(|| format!("cannot read the saved plan `{}`", path.display()))
}

/// Reads a plan saved by `plan --out` for `apply`, to apply to the target `now` whose plan key
/// is `key`. The file is untrusted, so, in this order: its format must be this major version;
/// its `target` must be `now`; its integrity digest must be the one `plan --out` computed
/// with the same key (any change to the file, by hand or otherwise, fails it); and its steps
/// must hold together and all be covered by the stale check (`planner::saved::from_json`).
pub fn read_saved(path: &Path, now: &TargetId, key: &[u8]) -> anyhow::Result<SavedPlan> {
    let text = read_saved_text(path)?;
    let not_a_plan = || format!("`{}` is not a saved plan", path.display());
    let header: SavedHeader = serde_json::from_str(&text)
        .map_err(planner::Error::from)
        .with_context(not_a_plan)?;
    planner::saved::check_version(header.format_version.as_deref().unwrap_or("none"))
        .with_context(not_a_plan)?;
    let (Some(target), Some(spec_root)) = (header.target, header.spec_root) else {
        bail!(
            "`{}` does not say which PCC it was planned against (no `target` or `spec_root`): \
             make it again with `switchboard plan --out`",
            path.display()
        );
    };
    target.ensure_same(now)?;
    if let Err(why) = verify(&text, key) {
        bail!(
            "`{}` is not the plan `plan --out` wrote: {why}. It was changed since (by hand, or \
             on its way here), or made with another API secret. Make the plan again with \
             `switchboard plan --out`, review it, and apply that; nothing was written",
            path.display()
        );
    }
    let plan = planner::saved::from_json(&text).with_context(not_a_plan)?;
    Ok(SavedPlan {
        plan,
        target,
        spec_root: PathBuf::from(spec_root),
        spec: header.spec.map(PathBuf::from),
        environment: header.environment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(endpoint: &str, sid: &str) -> TargetId {
        TargetId::Pcc {
            endpoint: endpoint.to_owned(),
            key: pcc::Credentials::new(sid, "").sid_hint(),
            key_sha256: hex(&Sha256::digest(sid.as_bytes())),
        }
    }

    #[test]
    fn a_plan_applies_only_to_the_pcc_it_was_made_against() {
        let sandbox = TargetId::Sandbox {
            state: "/work/.switchboard/sandbox.db".into(),
        };
        let stringee = remote("https://icc-api.stringee.com", "SKprod0123456789");
        sandbox.ensure_same(&sandbox.clone()).unwrap();
        stringee.ensure_same(&stringee.clone()).unwrap();

        let err = sandbox.ensure_same(&stringee).unwrap_err().to_string();
        assert_eq!(
            err,
            "this plan was made against the local sandbox (/work/.switchboard/sandbox.db), but \
             this run targets https://icc-api.stringee.com (key SK…789): a saved plan only \
             applies to the PCC it was made against; run `switchboard plan --out` against \
             https://icc-api.stringee.com (key SK…789)"
        );
        assert!(stringee.ensure_same(&sandbox).is_err());
        let other_dir = TargetId::Sandbox {
            state: "/elsewhere/.switchboard/sandbox.db".into(),
        };
        assert!(sandbox.ensure_same(&other_dir).is_err());
        // Another key, even one with the same shortened SID, is another target.
        let other_key = remote("https://icc-api.stringee.com", "SKstaging000000789");
        assert!(stringee.ensure_same(&other_key).is_err());
        let other_endpoint = remote("http://127.0.0.1:8080", "SKprod0123456789");
        assert!(stringee.ensure_same(&other_endpoint).is_err());
    }

    #[test]
    fn the_target_record_holds_no_full_sid() {
        let id = remote("https://icc-api.stringee.com", "SKprod0123456789");
        let json = serde_json::to_string(&id).unwrap();
        assert!(!json.contains("SKprod0123456789"), "{json}");
        assert!(
            json.starts_with(
                r#"{"pcc":{"endpoint":"https://icc-api.stringee.com","key":"SK…789","key_sha256":""#
            ),
            "{json}"
        );
    }

    #[test]
    fn a_saved_plan_reads_back_with_its_target_and_spec_root() {
        let mut desired = spec::Model::default();
        desired.groups.insert("sales".into(), Default::default());
        let plan = planner::plan(&desired, &spec::Model::default(), &spec::Policy::default());
        let target = remote("https://icc-api.stringee.com", "SKprod0123456789");
        let key = b"a key derived from the secret";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        let text =
            saved_json_of(&plan, &target, Path::new(""), Path::new("cc"), None, key).unwrap();
        assert!(text.ends_with("\"\n}\n"), "{text}");
        std::fs::write(&path, &text).unwrap();
        let saved = read_saved(&path, &target, key).unwrap();
        assert_eq!(saved.plan, plan);
        assert_eq!(saved.target, target);
        assert_eq!(saved.spec_root, Path::new("."));
        assert_eq!(saved.spec.as_deref(), Some(Path::new("cc")));
        // The planner's own reader takes it too (`report --plan` uses that one).
        assert_eq!(planner::saved::from_json(&text).unwrap(), plan);

        // A plan without a target (the planner's bare format) is refused.
        std::fs::write(&path, planner::saved::to_json(&plan)).unwrap();
        let err = read_saved(&path, &target, key).unwrap_err().to_string();
        assert!(err.ends_with("does not say which PCC it was planned against (no `target` or `spec_root`): make it again with `switchboard plan --out`"), "{err}");
        // As is one of another major version, 1.x included (no integrity digest then).
        for version in ["1.2", "3.0"] {
            std::fs::write(
                &path,
                text.replace(
                    &format!("\"format_version\": \"{}\"", planner::saved::FORMAT_VERSION),
                    &format!("\"format_version\": \"{version}\""),
                ),
            )
            .unwrap();
            let err = format!("{:#}", read_saved(&path, &target, key).unwrap_err());
            assert!(
                err.contains(&format!("is not a saved plan: saved plan has format_version `{version}`, and this switchboard reads 2.x")),
                "{err}"
            );
        }
    }

    /// Any change to a saved plan, one byte or a reformatting, fails its integrity check; so
    /// does a plan keyed with another secret, or one whose digest was taken out.
    #[test]
    fn a_saved_plan_changed_in_any_way_is_refused() {
        let mut desired = spec::Model::default();
        desired.groups.insert("sales".into(), Default::default());
        let plan = planner::plan(&desired, &spec::Model::default(), &spec::Policy::default());
        let target = remote("https://icc-api.stringee.com", "SKprod0123456789");
        let key = b"a key derived from the secret";
        let text =
            saved_json_of(&plan, &target, Path::new("cc"), Path::new("cc"), None, key).unwrap();
        assert_eq!(verify(&text, key), Ok(()));
        let refused = |edited: &str| {
            assert_ne!(edited, text, "the edit changed nothing");
            verify(edited, key).unwrap_err()
        };
        assert_eq!(
            refused(&text.replacen("\"spec_root\": \"cc\"", "\"spec_root\": \"/\"", 1)),
            "its integrity digest does not match its content"
        );
        assert_eq!(
            refused(&text.replacen("group.sales", "group.sales2", 1)),
            "its integrity digest does not match its content"
        );
        assert_eq!(
            refused(&text.replacen("\n  ", "\n   ", 1)),
            "its integrity digest does not match its content"
        );
        assert_eq!(
            verify(&text, b"another secret's key").unwrap_err(),
            "its integrity digest does not match its content"
        );
        let at = text.rfind(",\n  \"integrity\"").unwrap();
        assert_eq!(
            refused(&format!("{}\n}}\n", &text[..at])),
            "it has no integrity digest"
        );
        assert_eq!(
            refused(text.trim_end()),
            "its integrity digest is not the file's last member as `plan --out` writes it"
        );
        assert_eq!(
            refused(&text.replace("\n}\n", "\n}\n\n")),
            "its integrity digest is not the file's last member as `plan --out` writes it"
        );
        // Recomputing a plain hash is not enough: the digest is keyed.
        let body = format!("{}\n}}", &text[..at]).replacen("group.sales", "group.evil", 1);
        assert!(verify(&signed(&body, b"guessed key"), key).is_err());
        assert_eq!(verify(&signed(&body, key), key), Ok(()));
    }

    #[test]
    fn a_saved_plan_made_against_another_target_says_so_before_its_digest() {
        let plan = planner::plan(
            &spec::Model::default(),
            &spec::Model::default(),
            &spec::Policy::default(),
        );
        let target = remote("https://icc-api.stringee.com", "SKprod0123456789");
        let other = remote("https://icc-api.stringee.com", "SKstaging000000789");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        std::fs::write(
            &path,
            saved_json_of(&plan, &target, Path::new(""), Path::new("cc"), None, b"k1").unwrap(),
        )
        .unwrap();
        let err = read_saved(&path, &other, b"k2").unwrap_err().to_string();
        assert!(err.starts_with("this plan was made against https://icc-api.stringee.com (key SK…789), but this run targets"), "{err}");
        let err = read_saved(&path, &target, b"k2").unwrap_err().to_string();
        assert!(err.contains("is not the plan `plan --out` wrote: its integrity digest does not match its content. It was changed since"), "{err}");
    }
}
