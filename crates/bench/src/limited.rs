//! The benchmark under rate limits (`bench limits`): a contact center of about 2,000 objects
//! applied, planned and changed against an emulator that limits requests per API key and per
//! resource family, each phase's wall time beside the least the limits allow (computed in the
//! same run from the plan: [`bounds::limited`]), and the share of requests answered 429
//! (docs/benchmarks.md, "Under rate limits").

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use serde::Serialize;

use crate::bounds::{self, Rate};
use crate::generate::{self, Size, thousands};
use crate::machine::{self, Machine};
use crate::phase::{self, Outcome, Phase};
use crate::secret;

/// How to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// The contact center's size.
    pub size: Size,
    /// The limit settings to run under.
    pub settings: Vec<Setting>,
    /// The emulator's latency, in milliseconds.
    pub latency_ms: u64,
    /// Apply steps in flight.
    pub parallelism: usize,
    /// Reads in flight.
    pub concurrency: usize,
    /// The generator's seed.
    pub seed: u64,
    /// Share of objects the "1 %" change touches.
    pub change: f64,
}

/// One setting of the emulator's limits.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Setting {
    /// `--rate-limit`: per API key.
    pub per_key: Option<Rate>,
    /// `--rate-limit-per-kind`: per key and resource family.
    pub per_family: Option<Rate>,
}

impl std::str::FromStr for Setting {
    type Err = anyhow::Error;

    /// `300/10` (per key) or `300/10+30/10` (per key, then per family).
    fn from_str(s: &str) -> anyhow::Result<Setting> {
        let rate = |text: &str| -> anyhow::Result<Rate> {
            let limit: emulator::RateLimit = text.parse()?;
            Ok(Rate {
                requests: limit.requests,
                window_secs: limit.window_ms as f64 / 1000.0,
            })
        };
        let (key, family) = match s.split_once('+') {
            Some((key, family)) => (key, Some(family)),
            None => (s, None),
        };
        Ok(Setting {
            per_key: Some(rate(key)?),
            per_family: family.map(rate).transpose()?,
        })
    }
}

impl std::fmt::Display for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |r: Rate| format!("{}/{}", r.requests, r.window_secs);
        match (self.per_key, self.per_family) {
            (Some(k), Some(fam)) => write!(f, "{} per key, {} per family", show(k), show(fam)),
            (Some(k), None) => write!(f, "{} per key", show(k)),
            (None, Some(fam)) => write!(f, "{} per family", show(fam)),
            (None, None) => write!(f, "no limit"),
        }
    }
}

impl Setting {
    fn emulator(rate: Option<Rate>) -> Option<emulator::RateLimit> {
        rate.map(|r| emulator::RateLimit {
            requests: r.requests,
            window_ms: (r.window_secs * 1000.0).round() as u64,
        })
    }

    /// The longest window.
    fn window(&self) -> Duration {
        [self.per_key, self.per_family]
            .into_iter()
            .flatten()
            .map(|r| Duration::from_secs_f64(r.window_secs))
            .max()
            .unwrap_or_default()
    }
}

/// One phase under one setting.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// The limits.
    pub setting: String,
    /// The phase.
    pub measure: String,
    /// Requests sent, retries included.
    pub calls: u64,
    /// The calls the phase needs ([`bounds::plan_calls_by_family`] or
    /// [`bounds::reads_by_family`], summed).
    pub needed: u64,
    /// Requests answered 429.
    pub refused: u64,
    /// Wall time.
    pub secs: f64,
    /// The least the limits allow, spending each window evenly: the busiest scope, or for an
    /// apply what the plan's DAG forces when that is more ([`bounds::dag_limited`], with
    /// tails).
    pub bound: f64,
    /// The same with the DAG's release times only: the bound before tails, kept so that a
    /// figure can be read against both.
    pub bound_releases: f64,
    /// The strict floor (each window's budget burst at its start).
    pub floor: f64,
    /// `secs ÷ bound`.
    pub ratio: f64,
    /// `secs ÷ bound_releases`.
    pub ratio_releases: f64,
    /// Failed steps (applies).
    pub failed: usize,
    /// The busiest scope, in words.
    pub note: String,
    /// For an apply, what was left of the two-writers check's wait for an earlier run's late
    /// writes when it began, seconds (0 when the read and the plan took longer).
    pub late_writes_wait: f64,
}

/// The report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Where it ran.
    pub machine: Machine,
    /// What the spec holds, in words.
    pub contents: String,
    /// API objects.
    pub objects: u64,
    /// Changes in the "1 %" change.
    pub changes: usize,
    /// The emulator's latency.
    pub latency_ms: u64,
    /// The command.
    pub command: String,
    /// The rows.
    pub rows: Vec<Row>,
}

/// Runs every setting.
pub fn run(options: &Options, command: String) -> anyhow::Result<Report> {
    let temp = tempfile::tempdir()?;
    let root = temp.path();
    let center = generate::center(&options.size, options.seed);
    let spec_dir = root.join("spec");
    let changed_dir = root.join("changed");
    generate::write(&center, &spec_dir)?;
    let (changed_model, changes) = generate::change(&center.model, options.change, options.seed);
    generate::write(&generate::with_model(&center, changed_model), &changed_dir)?;
    eprintln!("generated {}", generate::describe(&center.model));
    let mut rows = Vec::new();
    for setting in &options.settings {
        rows.extend(under(options, root, &spec_dir, &changed_dir, setting)?);
    }
    secret::scan_dir(root)?;
    Ok(Report {
        machine: machine::machine(),
        contents: generate::describe(&center.model),
        objects: generate::objects(&center.model),
        changes,
        latency_ms: options.latency_ms,
        command,
        rows,
    })
}

/// Sleeps until the next window of `window` starts (windows are aligned to the clock), so that
/// a phase starts with every budget whole, as the bound assumes.
fn fresh_window(window: Duration) {
    let ms = window.as_millis();
    if ms == 0 {
        return;
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    let left = ms - now % ms;
    std::thread::sleep(Duration::from_millis(u64::try_from(left).unwrap_or(0) + 20));
}

fn under(
    options: &Options,
    root: &Path,
    spec_dir: &Path,
    changed_dir: &Path,
    setting: &Setting,
) -> anyhow::Result<Vec<Row>> {
    let latency = Duration::from_millis(options.latency_ms);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut config = emulator::Config::new(vec![secret::key()]);
    let state = root.join("limited.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", state.display()));
    }
    config.state = Some(state);
    config.faults.latency_ms = options.latency_ms;
    config.faults.rate_limit = Setting::emulator(setting.per_key);
    config.faults.rate_limit_per_kind = Setting::emulator(setting.per_family);
    let emu = runtime
        .block_on(emulator::spawn("127.0.0.1:0".parse()?, config))
        .context("cannot start the emulator")?;
    let name = setting.to_string();
    let run = |label: &str, phase, spec: &Path| -> anyhow::Result<Outcome> {
        fresh_window(setting.window());
        eprintln!("[{name}] {label} ...");
        phase::run(
            &phase::Request {
                phase,
                spec: spec.to_path_buf(),
                endpoint: Some(emu.url()),
                sid: secret::SID.to_owned(),
                concurrency: options.concurrency,
                parallelism: options.parallelism,
                target: Vec::new(),
                limits: Some(phase::Limits {
                    per_key: setting.per_key,
                    per_family: setting.per_family,
                    latency_ms: options.latency_ms,
                }),
            },
            secret::SECRET,
        )
    };
    let full = run("full apply", Phase::Apply, spec_dir)?;
    let noop = run("no-op plan", Phase::Plan, spec_dir)?;
    let change = run("1% change apply", Phase::Apply, changed_dir)?;
    let after = run("plan after the change", Phase::Plan, changed_dir)?;
    let emulated = emu.stats();
    runtime.block_on(emu.shutdown());
    for (label, outcome) in [("no-op plan", &noop), ("plan after the change", &after)] {
        let steps = outcome.plan.as_ref().map_or(0, |p| p.steps);
        if steps != 0 {
            bail!("{label} under {name} has {steps} steps, expected none");
        }
    }
    eprintln!(
        "[{name}] the emulator answered 429 for {:?}",
        emulated.rate_limited
    );

    let row = |measure: &str, calls, refused, secs, by_family, depth, dag: [f64; 2], failed| {
        let needed: u64 = bounds_total(by_family);
        let (bound, floor) = bounds::limited(
            by_family,
            setting.per_key,
            setting.per_family,
            depth,
            latency,
        );
        let releases = bound.max(Duration::from_secs_f64(dag[1]));
        let bound = bound.max(Duration::from_secs_f64(dag[0]));
        let busiest = by_family
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(f, n)| format!("busiest family {f}: {}", thousands(*n)))
            .unwrap_or_default();
        Row {
            setting: name.clone(),
            measure: measure.to_owned(),
            calls,
            needed,
            refused,
            secs,
            bound: bound.as_secs_f64(),
            bound_releases: releases.as_secs_f64(),
            floor: floor.as_secs_f64(),
            ratio: secs / bound.as_secs_f64().max(1e-9),
            ratio_releases: secs / releases.as_secs_f64().max(1e-9),
            failed,
            note: busiest,
            late_writes_wait: 0.0,
        }
    };
    let mut rows = Vec::new();
    for (label, outcome) in [("full apply", &full), ("1% change apply", &change)] {
        let plan = outcome.plan.as_ref().context("an apply has a plan")?;
        let applied = outcome.apply.as_ref().context("an apply has an outcome")?;
        let mut row = row(
            label,
            applied.calls,
            applied.refused,
            applied.secs,
            &plan.by_family,
            plan.depth,
            [plan.dag_secs, plan.dag_release_secs],
            applied.failed,
        );
        if applied.late_writes_wait_secs > 0.0 {
            let _ = write!(
                row.note,
                "; the two-writers wait had {} left when the apply began",
                secs(applied.late_writes_wait_secs)
            );
        }
        row.late_writes_wait = applied.late_writes_wait_secs;
        rows.push(row);
    }
    for (label, outcome) in [
        ("no-op plan: read", &noop),
        ("1% change plan: read", &change),
    ] {
        let read = outcome.read.as_ref().context("a plan reads")?;
        rows.push(row(
            label,
            read.calls,
            read.refused,
            read.secs,
            &read.by_family,
            read.depth,
            [0.0, 0.0],
            0,
        ));
    }
    Ok(rows)
}

fn bounds_total(by_family: &std::collections::BTreeMap<String, u64>) -> u64 {
    by_family.values().sum()
}

fn secs(v: f64) -> String {
    if v < 1.0 {
        format!("{:.0} ms", v * 1e3)
    } else {
        format!("{v:.1} s")
    }
}

/// The report as a table.
pub fn table(report: &Report) -> String {
    let mut out = String::new();
    let m = &report.machine;
    let _ = writeln!(out, "switchboard benchmark under rate limits");
    let _ = writeln!(out, "  spec:    {}", report.contents);
    let _ = writeln!(
        out,
        "  machine: {}, {} CPUs, {} MiB, Linux {}, {}",
        m.cpu, m.cpus, m.memory_mib, m.kernel, m.build
    );
    let _ = writeln!(
        out,
        "  {} API objects; 1% change = {} changes; latency {} ms",
        thousands(report.objects),
        report.changes,
        report.latency_ms
    );
    let _ = writeln!(out, "  command: {}", report.command);
    let mut setting = "";
    for row in &report.rows {
        if row.setting != setting {
            setting = &row.setting;
            let _ = writeln!(out);
            let _ = writeln!(out, "{setting}");
            let _ = writeln!(
                out,
                "  {:<22} {:>7} {:>7} {:>9} {:>9} {:>6} {:>9} {:>6} {:>9} {:>6} {:>6}  note",
                "measure",
                "calls",
                "needed",
                "wall",
                "bound",
                "ratio",
                "no tails",
                "ratio",
                "floor",
                "429s",
                "failed"
            );
        }
        let _ = writeln!(
            out,
            "  {:<22} {:>7} {:>7} {:>9} {:>9} {:>6.2} {:>9} {:>6.2} {:>9} {:>5.1}% {:>6}  {}",
            row.measure,
            thousands(row.calls),
            thousands(row.needed),
            secs(row.secs),
            secs(row.bound),
            row.ratio,
            secs(row.bound_releases),
            row.ratio_releases,
            secs(row.floor),
            100.0 * row.refused as f64 / row.calls.max(1) as f64,
            row.failed,
            row.note
        );
    }
    out
}
