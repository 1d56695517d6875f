//! One measured run of switchboard's pipeline (`validate`, `plan` or `apply` of a spec
//! directory), done with the library crates in a process of its own so that its wall time and
//! its peak memory are switchboard's alone, not the emulator's.
//!
//! The benchmark starts `bench __phase REQUEST-JSON` (the API secret travels in the
//! environment, never on a command line) and reads one JSON [`Outcome`] from its standard
//! output.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};

use crate::{bounds, machine, secret, specdir};

/// What to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Load and check the spec; no network.
    Validate,
    /// Load, read the live project, plan.
    Plan,
    /// Load, read, plan, apply.
    Apply,
}

/// A phase to run, against which PCC, how hard.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Request {
    /// The phase.
    pub phase: Phase,
    /// The spec directory.
    pub spec: PathBuf,
    /// The emulator's URL (not needed by `validate`).
    pub endpoint: Option<String>,
    /// The API key SID; the secret is in [`secret::ENV`].
    pub sid: String,
    /// Reads in flight at most.
    pub concurrency: usize,
    /// Apply steps in flight at most.
    pub parallelism: usize,
    /// `--target` patterns: plan only this part, reading only what it needs (no apply).
    #[serde(default)]
    pub target: Vec<String>,
    /// The rate limits the plan's bound is computed under ([`bounds::dag_limited`]), for
    /// `bench limits`.
    #[serde(default)]
    pub limits: Option<Limits>,
}

/// The rate limits a phase runs under, and the latency of each request.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Limits {
    /// Per API key.
    pub per_key: Option<bounds::Rate>,
    /// Per resource family.
    pub per_family: Option<bounds::Rate>,
    /// The emulator's latency, in milliseconds.
    pub latency_ms: u64,
}

/// What a phase measured.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Outcome {
    /// Spec files read.
    pub files: usize,
    /// Reading, parsing and checking the spec (flow tests included).
    pub load_secs: f64,
    /// Errors and warnings the loader found.
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
    /// The live read, for `plan` and `apply`.
    pub read: Option<Read>,
    /// The plan, for `plan` and `apply`.
    pub plan: Option<Planned>,
    /// The apply, for `apply`.
    pub apply: Option<Applied>,
    /// Peak resident memory of the process (`VmHWM`), in KiB.
    pub peak_rss_kib: u64,
}

/// The live read.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Read {
    /// Requests sent (client side, retries included).
    pub calls: u64,
    /// `pcc::minimum_reads` for what was live.
    pub minimum: u64,
    /// Requests on the longest chain ([`bounds::read_depth`]).
    pub depth: u64,
    /// Wall time.
    pub secs: f64,
    /// `minimum`, by rate-limit family ([`bounds::reads_by_family`]).
    #[serde(default)]
    pub by_family: BTreeMap<String, u64>,
    /// Requests answered 429.
    #[serde(default)]
    pub refused: u64,
}

/// The plan.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Planned {
    /// Steps.
    pub steps: u64,
    /// Steps on the longest dependency chain.
    pub depth: u64,
    /// Creates, updates, deletes.
    pub add: usize,
    /// Updates.
    pub change: usize,
    /// Deletes.
    pub destroy: usize,
    /// Time to diff (no IO).
    pub secs: f64,
    /// The calls it takes, by rate-limit family ([`bounds::plan_calls_by_family`]): a write a
    /// step and a look-up a create looked up alone ([`bounds::looked_up_alone`]).
    #[serde(default)]
    pub by_family: BTreeMap<String, u64>,
    /// What its DAG forces under the request's [`Limits`] ([`bounds::dag_limited`], with
    /// tails), seconds.
    #[serde(default)]
    pub dag_secs: f64,
    /// The same with release times only (the bound before tails), seconds.
    #[serde(default)]
    pub dag_release_secs: f64,
}

/// The apply.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Applied {
    /// Requests sent while applying (writes, and look-ups after lost answers).
    pub calls: u64,
    /// Of which writes.
    pub writes: u64,
    /// Steps done, failed, skipped or not run.
    pub done: usize,
    /// Failed steps.
    pub failed: usize,
    /// Steps skipped because a step they need failed (or not run).
    pub skipped: usize,
    /// The first failure, if any.
    pub first_error: Option<String>,
    /// Wall time of the apply alone.
    pub secs: f64,
    /// Requests answered 429.
    #[serde(default)]
    pub refused: u64,
    /// What was left, when the apply began, of the two-writers check's wait for an earlier
    /// run's late writes (2.5 s after the command started, docs/apply.md "Two writers"), in
    /// seconds: a wait of the product that no bound of calls sees, so it is shown.
    #[serde(default)]
    pub late_writes_wait_secs: f64,
    /// The time its requests spent in flight, summed over them: ÷ `secs`, the mean number of
    /// requests in flight.
    #[serde(default)]
    pub in_flight_secs: f64,
}

/// Starts this program as a phase child and waits for its outcome.
pub fn run(request: &Request, api_secret: &str) -> anyhow::Result<Outcome> {
    let exe = std::env::current_exe().context("cannot find the bench program itself")?;
    let output = Command::new(exe)
        .arg("__phase")
        .arg(serde_json::to_string(request)?)
        .env(secret::ENV, api_secret)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .context("cannot start a phase process")?;
    secret::assert_absent("a phase's standard output", &output.stdout)?;
    secret::assert_absent("a phase's standard error", &output.stderr)?;
    if !output.status.success() {
        bail!(
            "the {:?} phase failed ({}): {}",
            request.phase,
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    serde_json::from_slice(&output.stdout).context("a phase printed no outcome")
}

/// The child's side: runs `request`, answers its outcome.
pub fn child(request: &Request) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::default();
    let started = Instant::now();
    let (loaded, files) = specdir::load(&request.spec)?;
    outcome.load_secs = started.elapsed().as_secs_f64();
    outcome.files = files;
    outcome.errors = loaded.errors();
    outcome.warnings = loaded.warnings();
    if request.phase == Phase::Validate {
        outcome.peak_rss_kib = machine::peak_rss_kib();
        return Ok(outcome);
    }
    let Some(spec) = loaded.spec else {
        bail!("the spec is not valid ({} errors)", outcome.errors);
    };
    let endpoint = request
        .endpoint
        .as_deref()
        .context("plan and apply need an endpoint")?;
    let api_secret = std::env::var(secret::ENV).context("the API secret is not set")?;
    let client = pcc::Client::new(pcc::Config::with_endpoint(
        endpoint,
        pcc::Credentials {
            sid: request.sid.clone(),
            secret: pcc::Secret::new(api_secret),
        },
    ))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if !request.target.is_empty() {
        runtime.block_on(plan_part(request, &spec, &client, &mut outcome))?;
        drop(runtime);
        outcome.peak_rss_kib = machine::peak_rss_kib();
        return Ok(outcome);
    }
    runtime.block_on(async {
        // What `switchboard plan` reads: every kind (the spec manages the settings).
        let scopes: std::collections::BTreeSet<pcc::ReadScope> = pcc::ReadScope::ALL
            .into_iter()
            .filter(|k| *k != pcc::ReadScope::Settings || spec.model.settings.is_some())
            .collect();
        let options = pcc::ReadOptions {
            concurrency: request.concurrency.max(1),
            scopes: scopes.clone(),
            parents: None,
        };
        let t = Instant::now();
        let live = pcc::read_live(&client, &options)
            .await
            .context("cannot read the live project")?;
        let read_secs = t.elapsed().as_secs_f64();
        outcome.read = Some(Read {
            calls: client.stats().total(),
            minimum: pcc::minimum_reads(&live.model, &scopes),
            depth: bounds::read_depth(&live.model, &scopes),
            secs: read_secs,
            by_family: bounds::reads_by_family(
                &live.model,
                scopes.contains(&pcc::ReadScope::Settings),
            ),
            refused: client.stats().refused,
        });

        let t = Instant::now();
        let plan = planner::plan(&spec.model, &live.model, &spec.policy);
        let summary = plan.summary();
        let plan_secs = t.elapsed().as_secs_f64();
        // Computed after the plan is timed: the bound is the benchmark's work, not switchboard's.
        let dag = request
            .limits
            .map_or_else(bounds::DagBound::default, |limits| {
                bounds::dag_limited(
                    &bounds::jobs(&plan),
                    limits.per_key,
                    limits.per_family,
                    std::time::Duration::from_millis(limits.latency_ms),
                )
            });
        outcome.plan = Some(Planned {
            steps: plan.steps.len() as u64,
            depth: bounds::plan_depth(&plan),
            add: summary.add,
            change: summary.change,
            destroy: summary.destroy,
            secs: plan_secs,
            by_family: bounds::plan_calls_by_family(&plan),
            dag_secs: dag.best().as_secs_f64(),
            dag_release_secs: dag.releases.as_secs_f64(),
        });
        if request.phase == Phase::Apply {
            outcome.apply = Some(
                crate::apply::apply(
                    &plan,
                    &live,
                    &client,
                    &request.spec,
                    request.parallelism,
                    started,
                )
                .await,
            );
        }
        anyhow::Ok(())
    })?;
    drop(runtime);
    outcome.peak_rss_kib = machine::peak_rss_kib();
    Ok(outcome)
}

/// A partial plan of `request.target`, read as `switchboard plan --target` reads it (the
/// first read follows what the spec says of the part, and a wider one follows only when what
/// it finds asks for more), with the minimum computed for the read it ended with over the
/// whole project, which is the spec (the benchmark plans it against a project applied from
/// it).
async fn plan_part(
    request: &Request,
    spec: &spec::Spec,
    client: &pcc::Client,
    outcome: &mut Outcome,
) -> anyhow::Result<()> {
    let part = planner::Request {
        target: request
            .target
            .iter()
            .map(|t| spec::Pattern::new(t.as_str()))
            .collect(),
        exclude: Vec::new(),
    };
    let options = |selection: &planner::Selection| pcc::ReadOptions {
        concurrency: request.concurrency.max(1),
        parents: Some(pcc::Parents {
            only: selection.parents.clone(),
            every: selection.every.clone(),
            except: selection.skip.clone(),
        }),
        ..pcc::ReadOptions::only(selection.kinds.iter().map(|k| pcc::ReadScope::of(*k)))
    };
    let none = std::collections::BTreeSet::new();
    let first = planner::select(
        &spec.model,
        &spec::model::Model::default(),
        &none,
        &spec.policy,
        &part,
    );
    let mut read_with = options(&first);
    let t = Instant::now();
    let (live, named, selection) = loop {
        let live = pcc::read_live(client, &read_with)
            .await
            .context("cannot read the live project")?;
        let named: std::collections::BTreeSet<spec::Address> =
            live.ids.objects.keys().cloned().collect();
        let selection = planner::select(&spec.model, &live.model, &named, &spec.policy, &part);
        let needed = options(&selection);
        if read_with.covers(&needed) {
            break (live, named, selection);
        }
        read_with.widen(&needed);
    };
    let read_secs = t.elapsed().as_secs_f64();
    if let Some((flag, pattern)) = selection.unmatched.first() {
        bail!("{flag} `{pattern}` matches nothing");
    }
    outcome.read = Some(Read {
        calls: client.stats().total(),
        minimum: pcc::minimum_reads_within(
            &spec.model,
            &read_with.scopes,
            read_with.parents.as_ref(),
        ),
        depth: bounds::read_depth(&spec.model, &read_with.scopes),
        secs: read_secs,
        ..Read::default()
    });
    let t = Instant::now();
    let plan = planner::plan_partial(
        &spec.model,
        &live.model,
        &named,
        &spec.policy,
        &[],
        &part,
        &selection,
    );
    let summary = plan.summary();
    outcome.plan = Some(Planned {
        steps: plan.steps.len() as u64,
        depth: bounds::plan_depth(&plan),
        add: summary.add,
        change: summary.change,
        destroy: summary.destroy,
        secs: t.elapsed().as_secs_f64(),
        ..Planned::default()
    });
    Ok(())
}
