//! The benchmark: a generated contact center applied to an emulator with a given latency,
//! every figure printed beside its lower bound (docs/benchmarks.md).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde::Serialize;

use crate::generate::{self, Size, thousands};
use crate::machine::{self, Machine};
use crate::phase::{self, Outcome, Phase};
use crate::{bounds, secret};

/// How to run the benchmark.
#[derive(Clone, Debug)]
pub struct Options {
    /// The contact center's size.
    pub size: Size,
    /// Per-request latencies to run at, in milliseconds.
    pub latencies: Vec<u64>,
    /// Apply steps in flight (switchboard's default is 8).
    pub parallelism: usize,
    /// Reads in flight (switchboard's default is 8).
    pub concurrency: usize,
    /// The generator's seed.
    pub seed: u64,
    /// Share of objects the "1 % change" touches.
    pub change: f64,
    /// Parallelism of the per-object refresh it is compared with (Terraform's default, 10).
    pub refresh_parallelism: usize,
    /// Keep the generated spec and emulator state here instead of a temporary directory.
    pub keep: Option<PathBuf>,
}

/// One measured figure beside its bound.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// What was measured.
    pub measure: String,
    /// The unit: `calls`, `s`, `MiB`, or `mean` (requests in flight).
    pub unit: &'static str,
    /// The figure.
    pub figure: f64,
    /// Its lower bound, when it has one.
    pub bound: Option<f64>,
    /// `figure ÷ bound`, when the bound is above zero.
    pub ratio: Option<f64>,
    /// The strict floor (`max(depth, ⌈calls ÷ parallelism⌉) × latency`) for wall times.
    pub floor: Option<f64>,
    /// Depth and other context.
    pub note: String,
}

/// Everything measured at one latency.
#[derive(Clone, Debug, Serialize)]
pub struct AtLatency {
    /// The injected per-request latency.
    pub latency_ms: u64,
    /// The figures.
    pub rows: Vec<Row>,
    /// Per-object refresh, for comparison.
    pub refresh: Refresh,
    /// Requests the emulator counted, per phase: (phase, reads, writes).
    pub server: Vec<(String, u64, u64)>,
    /// The raw outcome of each phase.
    pub phases: Vec<(String, Outcome)>,
}

/// What a Terraform-style refresh would cost, beside what switchboard's no-op plan cost.
#[derive(Clone, Debug, Serialize)]
pub struct Refresh {
    /// One GET per object.
    pub calls: u64,
    /// At `parallelism` at once, `⌈calls ÷ parallelism⌉ × latency`.
    pub wall_floor_secs: f64,
    /// Its parallelism.
    pub parallelism: usize,
    /// switchboard's no-op plan: read calls.
    pub ours_calls: u64,
    /// switchboard's no-op plan: read wall time.
    pub ours_secs: f64,
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Where it ran.
    pub machine: Machine,
    /// The generator's size and seed.
    pub size: Size,
    /// The seed.
    pub seed: u64,
    /// What the spec holds, in words.
    pub contents: String,
    /// API objects the spec describes.
    pub objects: u64,
    /// YAML files of the spec.
    pub files: usize,
    /// Changes in the "1 %" change.
    pub changes: usize,
    /// Apply parallelism and read concurrency.
    pub parallelism: usize,
    /// Read concurrency.
    pub concurrency: usize,
    /// The command that reproduces the run.
    pub command: String,
    /// Per latency.
    pub latencies: Vec<AtLatency>,
}

/// Runs the benchmark.
pub fn run(options: &Options, command: String) -> anyhow::Result<Report> {
    let temp = tempfile::tempdir()?;
    let root = options
        .keep
        .clone()
        .unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&root)?;
    let center = generate::center(&options.size, options.seed);
    let spec_dir = root.join("spec");
    let changed_dir = root.join("changed");
    for dir in [&spec_dir, &changed_dir] {
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
    }
    let files = generate::write(&center, &spec_dir)?;
    let (changed_model, changes) = generate::change(&center.model, options.change, options.seed);
    // The partial plan targets one tree of the project as the change leaves it.
    let tree = changed_model
        .ivr
        .keys()
        .next()
        .cloned()
        .context("the generated contact center has no IVR tree")?;
    generate::write(&generate::with_model(&center, changed_model), &changed_dir)?;
    eprintln!(
        "generated {} in {} files under {}",
        generate::describe(&center.model),
        files,
        root.display()
    );

    let mut latencies = Vec::new();
    for &latency_ms in &options.latencies {
        latencies.push(at_latency(
            options,
            &root,
            &spec_dir,
            &changed_dir,
            &tree,
            latency_ms,
        )?);
    }
    secret::scan_dir(&root)?;
    Ok(Report {
        machine: machine::machine(),
        size: options.size.clone(),
        seed: options.seed,
        contents: generate::describe(&center.model),
        objects: generate::objects(&center.model),
        files,
        changes,
        parallelism: options.parallelism,
        concurrency: options.concurrency,
        command,
        latencies,
    })
}

fn at_latency(
    options: &Options,
    root: &Path,
    spec_dir: &Path,
    changed_dir: &Path,
    tree: &str,
    latency_ms: u64,
) -> anyhow::Result<AtLatency> {
    let latency = Duration::from_millis(latency_ms);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let state = root.join(format!("pcc-{latency_ms}ms.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", state.display()));
    }
    let mut config = emulator::Config::new(vec![secret::key()]);
    config.state = Some(state);
    config.faults.latency_ms = latency_ms;
    let emu = runtime
        .block_on(emulator::spawn("127.0.0.1:0".parse()?, config))
        .context("cannot start the emulator")?;
    let request = |phase, spec: &Path| phase::Request {
        phase,
        spec: spec.to_path_buf(),
        endpoint: Some(emu.url()),
        sid: secret::SID.to_owned(),
        concurrency: options.concurrency,
        parallelism: options.parallelism,
        target: Vec::new(),
        limits: None,
    };
    let mut server = Vec::new();
    let mut phases = Vec::new();
    let mut run = |name: &str, phase, spec: &Path, target: &[String]| -> anyhow::Result<Outcome> {
        eprintln!("[{latency_ms} ms] {name} ...");
        let before = emu.stats();
        let outcome = phase::run(
            &phase::Request {
                target: target.to_vec(),
                ..request(phase, spec)
            },
            secret::SECRET,
        )?;
        let after = emu.stats();
        server.push((
            name.to_owned(),
            after.reads - before.reads,
            after.writes - before.writes,
        ));
        phases.push((name.to_owned(), outcome.clone()));
        Ok(outcome)
    };

    let validate = run("validate", Phase::Validate, spec_dir, &[])?;
    let full = run("full apply", Phase::Apply, spec_dir, &[])?;
    let noop = run("no-op plan", Phase::Plan, spec_dir, &[])?;
    let change_plan = run("1% change plan", Phase::Plan, changed_dir, &[])?;
    let change_apply = run("1% change apply", Phase::Apply, changed_dir, &[])?;
    let after = run("plan after the change", Phase::Plan, changed_dir, &[])?;
    // `plan --target ivr_tree.<one tree>`, against the project as the change left it.
    let tree = [format!("ivr_tree.{tree}")];
    let one_tree = run("plan of one IVR tree", Phase::Plan, changed_dir, &tree)?;
    runtime.block_on(emu.shutdown());

    for (name, outcome) in [("full apply", &full), ("1% change apply", &change_apply)] {
        if let Some(applied) = &outcome.apply
            && applied.failed > 0
        {
            bail!(
                "{name} at {latency_ms} ms: {} steps failed, the first: {}",
                applied.failed,
                applied.first_error.as_deref().unwrap_or("?")
            );
        }
    }
    for (name, outcome) in [("no-op plan", &noop), ("plan after the change", &after)] {
        let steps = outcome.plan.as_ref().map_or(0, |p| p.steps);
        if steps != 0 {
            bail!("{name} at {latency_ms} ms has {steps} steps, expected none");
        }
    }

    let mut rows = Vec::new();
    rows.push(Row {
        measure: format!("validate: wall ({} files)", validate.files),
        unit: "s",
        figure: validate.load_secs,
        bound: None,
        ratio: None,
        floor: None,
        note: "no network".to_owned(),
    });
    rows.push(calls_row("validate: API calls", 0, 0, ""));
    let p = options.parallelism;
    let c = options.concurrency;
    for (label, outcome) in [("full apply", &full), ("1% change apply", &change_apply)] {
        let plan = outcome.plan.as_ref().context("an apply has a plan")?;
        let applied = outcome.apply.as_ref().context("an apply has an outcome")?;
        rows.push(calls_row(
            &format!("{label}: calls"),
            applied.calls,
            plan.steps,
            &format!(
                "{} add, {} change, {} destroy",
                thousands(plan.add as u64),
                thousands(plan.change as u64),
                thousands(plan.destroy as u64)
            ),
        ));
        rows.push(wall_row(
            &format!("{label}: wall"),
            applied.secs,
            plan.depth,
            plan.steps,
            p,
            latency,
            &format!("depth {}, parallelism {p}", plan.depth),
        ));
        // The same bound over the calls the apply needs: its writes, and the two-writers
        // check's look-ups (`bounds::jobs`, as the rows under limits count them).
        let needed: u64 = plan.by_family.values().sum();
        rows.push(wall_row(
            &format!("{label}: wall, needed calls"),
            applied.secs,
            plan.depth,
            needed,
            p,
            latency,
            &format!(
                "{} calls: the writes and the check's look-ups",
                thousands(needed)
            ),
        ));
        rows.push(Row {
            measure: format!("{label}: requests in flight"),
            unit: "mean",
            figure: applied.in_flight_secs / applied.secs.max(1e-9),
            bound: Some(p as f64),
            ratio: None,
            floor: None,
            note: "mean over the apply, of at most the parallelism".to_owned(),
        });
    }
    for (label, outcome) in [("no-op plan", &noop), ("1% change plan", &change_plan)] {
        let read = outcome.read.as_ref().context("a plan reads")?;
        rows.push(calls_row(
            &format!("{label}: read calls"),
            read.calls,
            read.minimum,
            "",
        ));
        rows.push(wall_row(
            &format!("{label}: read wall"),
            read.secs,
            read.depth,
            read.minimum,
            c,
            latency,
            &format!("depth {}, concurrency {c}", read.depth),
        ));
    }
    let part = one_tree.read.as_ref().context("a plan reads")?;
    let whole = noop.read.as_ref().context("a plan reads")?;
    rows.push(calls_row(
        "plan --target one IVR tree: read calls",
        part.calls,
        part.minimum,
        &format!(
            "a whole plan reads {}: {:.1} %",
            thousands(whole.calls),
            part.calls as f64 * 100.0 / whole.calls.max(1) as f64
        ),
    ));
    rows.push(calls_row(
        "no-op plan: writes",
        server[2].2,
        0,
        "server-side count",
    ));
    for (label, outcome) in [
        ("validate", &validate),
        ("plan (no-op)", &noop),
        ("full apply", &full),
    ] {
        rows.push(Row {
            measure: format!("peak memory: {label} process"),
            unit: "MiB",
            figure: outcome.peak_rss_kib as f64 / 1024.0,
            bound: None,
            ratio: None,
            floor: None,
            note: "VmHWM".to_owned(),
        });
    }

    let objects = full.plan.as_ref().map_or(0, |p| p.steps);
    let noop_read = noop.read.as_ref().context("a plan reads")?;
    Ok(AtLatency {
        latency_ms,
        rows,
        refresh: Refresh {
            calls: objects,
            wall_floor_secs: bounds::refresh_wall(objects, options.refresh_parallelism, latency)
                .as_secs_f64(),
            parallelism: options.refresh_parallelism,
            ours_calls: noop_read.calls,
            ours_secs: noop_read.secs,
        },
        server,
        phases,
    })
}

fn calls_row(measure: &str, figure: u64, bound: u64, note: &str) -> Row {
    Row {
        measure: measure.to_owned(),
        unit: "calls",
        figure: figure as f64,
        bound: Some(bound as f64),
        ratio: (bound > 0).then(|| figure as f64 / bound as f64),
        floor: None,
        note: note.to_owned(),
    }
}

fn wall_row(
    measure: &str,
    secs: f64,
    depth: u64,
    calls: u64,
    parallelism: usize,
    latency: Duration,
    note: &str,
) -> Row {
    let bound = bounds::wall(depth, calls, parallelism, latency).as_secs_f64();
    // With no latency there is no bound to compare with: the rate says how fast it went.
    let note = if latency.is_zero() {
        format!("{note}, {:.0} calls/s", calls as f64 / secs.max(1e-9))
    } else {
        note.to_owned()
    };
    Row {
        measure: measure.to_owned(),
        unit: "s",
        figure: secs,
        bound: Some(bound),
        ratio: (bound > 0.0).then(|| secs / bound),
        floor: Some(bounds::floor(depth, calls, parallelism, latency).as_secs_f64()),
        note,
    }
}

fn value(unit: &str, v: f64) -> String {
    match unit {
        "calls" => thousands(v.round() as u64),
        "s" if v < 1.0 => format!("{:.0} ms", v * 1e3),
        "s" => format!("{v:.2} s"),
        "MiB" => format!("{v:.0} MiB"),
        "mean" => format!("{v:.2}"),
        _ => format!("{v}"),
    }
}

/// The report as a table for people.
pub fn table(report: &Report) -> String {
    let mut out = String::new();
    let m = &report.machine;
    let _ = writeln!(out, "switchboard benchmark");
    let _ = writeln!(
        out,
        "  spec:    {} ({} files, seed {})",
        report.contents, report.files, report.seed
    );
    let _ = writeln!(
        out,
        "  machine: {}, {} CPUs, {} MiB, Linux {}, {}",
        m.cpu, m.cpus, m.memory_mib, m.kernel, m.build
    );
    let _ = writeln!(
        out,
        "  apply parallelism {}, read concurrency {}; 1% change = {} changes",
        report.parallelism, report.concurrency, report.changes
    );
    let _ = writeln!(out, "  command: {}", report.command);
    for at in &report.latencies {
        let _ = writeln!(out);
        let _ = writeln!(out, "latency {} ms", at.latency_ms);
        let _ = writeln!(
            out,
            "  {:<34} {:>10} {:>12} {:>7}  note",
            "measure", "figure", "lower bound", "ratio"
        );
        for row in &at.rows {
            let bound = row
                .bound
                .map_or_else(|| "—".to_owned(), |b| value(row.unit, b));
            let ratio = row
                .ratio
                .map_or_else(|| "—".to_owned(), |r| format!("{r:.2}"));
            let _ = writeln!(
                out,
                "  {:<34} {:>10} {:>12} {:>7}  {}",
                row.measure,
                value(row.unit, row.figure),
                bound,
                ratio,
                row.note
            );
        }
        let r = &at.refresh;
        let _ = writeln!(
            out,
            "  per-object refresh (Terraform-style, one GET per object, {} at once): {} reads, \
             at least {}; ours: {} reads in {} ({:.0}× fewer reads)",
            r.parallelism,
            thousands(r.calls),
            value("s", r.wall_floor_secs),
            thousands(r.ours_calls),
            value("s", r.ours_secs),
            r.calls as f64 / r.ours_calls.max(1) as f64
        );
        let counts: Vec<String> = at
            .server
            .iter()
            .map(|(phase, reads, writes)| format!("{phase} {reads}r/{writes}w"))
            .collect();
        let _ = writeln!(out, "  emulator counted: {}", counts.join(", "));
    }
    out
}
