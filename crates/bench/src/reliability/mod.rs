//! The reliability program: proof that nothing is lost, at a scale and length the test suite
//! cannot afford (docs/reliability.md).
//!
//! - `soak`: apply through injected 5xx, 429, answers dropped after commit and latency
//!   spikes, over several seeds; then live must equal the spec and nothing may exist twice.
//! - `kill-apply`: `switchboard apply` killed with SIGKILL at random points, re-run each time,
//!   then run to the end: it converges, with no duplicate.
//! - `kill-emulator`: the emulator killed with SIGKILL under a stream of writes (every
//!   acknowledged write must survive, the state file must pass `PRAGMA integrity_check`),
//!   and under a running `switchboard apply` (restarted, apply re-run, converges).
//! - `two-writers`: several applies at once against one emulator, from empty, over several
//!   seeds (lost answers and late writes on): nothing held twice, every apply succeeds; and a
//!   control run with the check off, which must leave copies.
//! - `kill-rerun`: `switchboard apply` killed the moment a write is answered late, run again
//!   at once while that write still lands: the re-run succeeds, nothing is held twice.
//! - `corpus`: every bad input at full size (a 15 MB file, 20,000 files, hostile files...):
//!   exit 1, a clear message, no request.
//! - `hostile`: the binary against a hostile PCC (endless bodies, absurd counts, unknown
//!   shapes, escapes in PCC's text, 429s for ever): the expected end, no stray write, and
//!   under 200 MB of memory.
//! - `fuzz`: the spec loader under seeded mutations for a while: no panic.
//!
//! Every output and every file a part leaves is checked for the API secret.

mod corpus;
mod fuzz;
mod hostile;
mod kill;
mod soak;
mod writers;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use clap::ValueEnum;
use serde::Serialize;

use crate::generate::{self, Size};
use crate::{machine, secret};

/// A part of the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Part {
    /// The fault soak.
    Soak,
    /// SIGKILL of `switchboard apply`.
    KillApply,
    /// SIGKILL of the emulator.
    KillEmulator,
    /// Several applies at once against one PCC.
    TwoWriters,
    /// SIGKILL of `switchboard apply` while its writes land late, and an immediate re-run.
    KillRerun,
    /// The bad-input corpus at full size.
    Corpus,
    /// Mutation fuzzing of the spec loader.
    Fuzz,
    /// The binary against a hostile PCC.
    Hostile,
}

/// `bench reliability` flags.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Parts to run (default: all).
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<Part>,
    /// Seeds of the fault soak (one run per seed).
    #[arg(long, value_delimiter = ',', default_value = "1,2,3,4,5")]
    seeds: Vec<u64>,
    /// Agents in the generated contact center (the other kinds scale with it).
    #[arg(long, default_value_t = 300)]
    agents: usize,
    /// SIGKILLs of `switchboard apply`.
    #[arg(long, default_value_t = 30)]
    apply_kills: usize,
    /// Applies run at once in `two-writers`, per seed (its seeds are `--seeds`).
    #[arg(long, default_value_t = 3)]
    writers: usize,
    /// SIGKILLs of `switchboard apply` with a late write in flight, each re-run at once.
    #[arg(long, default_value_t = 12)]
    rerun_kills: usize,
    /// Lives of the emulator (each ended by SIGKILL) under raw writes, and under apply.
    #[arg(long, default_value_t = 10)]
    emulator_lives: usize,
    /// How long to fuzz the spec loader, in seconds.
    #[arg(long, default_value_t = 120)]
    fuzz_secs: u64,
    /// Rounds of the hostile-PCC cases (each case once a round).
    #[arg(long, default_value_t = 3)]
    hostile_rounds: usize,
    /// Keep every file the parts write in DIR.
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// What one part found.
#[derive(Clone, Debug, Serialize)]
pub struct PartReport {
    /// Which part.
    pub part: Part,
    /// Runs (seeds, kills, lives, cases, inputs).
    pub runs: u64,
    /// Everything that went wrong; empty when the part passed.
    pub problems: Vec<String>,
    /// Figures worth reading, one line each.
    pub figures: Vec<String>,
    /// Wall time of the part.
    pub secs: f64,
    /// The part's own details.
    pub details: serde_json::Value,
}

/// The whole run.
#[derive(Clone, Debug, Serialize)]
struct Report {
    machine: machine::Machine,
    command: String,
    size: Size,
    parts: Vec<PartReport>,
    files_checked_for_the_secret: u64,
}

/// The contact center the parts work on, `agents` big.
pub fn size(agents: usize) -> Size {
    Size {
        agents,
        groups: (agents / 25).max(2),
        queues: (agents / 50).max(2),
        trees: (agents / 60).max(1),
        nodes: 10,
        numbers: (agents / 60).max(1) + 5,
        audio: 3,
    }
}

/// The switchboard binary next to this program (`cargo build --release -p switchboard`).
pub fn switchboard_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().context("the program is in a directory")?;
    let binary = dir.join(format!("switchboard{}", std::env::consts::EXE_SUFFIX));
    anyhow::ensure!(
        binary.is_file(),
        "`{}` is not built: run `cargo build --release -p switchboard -p bench` first",
        binary.display()
    );
    Ok(binary)
}

/// Writes the generated spec and its 5 % change under `root`: `spec/` and `changed/`.
pub fn write_specs(size: &Size, seed: u64, root: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let center = generate::center(size, seed);
    let (changed, _) = generate::change(&center.model, 0.05, seed);
    let spec = root.join("spec");
    let changed_dir = root.join("changed");
    generate::write(&center, &spec)?;
    generate::write(&generate::with_model(&center, changed), &changed_dir)?;
    Ok((spec, changed_dir))
}

/// Runs the program.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let temp = tempfile::tempdir()?;
    let root = args
        .keep
        .clone()
        .unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&root)?;
    let parts: Vec<Part> = if args.only.is_empty() {
        Part::value_variants().to_vec()
    } else {
        args.only.clone()
    };
    let size = size(args.agents);
    let mut reports = Vec::new();
    for part in parts {
        let dir = root.join(format!("{part:?}").to_lowercase());
        std::fs::create_dir_all(&dir)?;
        eprintln!("== {part:?}");
        let started = Instant::now();
        let result = match part {
            Part::Soak => soak::run(&args.seeds, &size, &dir),
            Part::KillApply => kill::apply(args.apply_kills, &size, &dir),
            Part::KillEmulator => kill::emulator(args.emulator_lives, &size, &dir),
            Part::TwoWriters => writers::two_writers(&args.seeds, args.writers, &size, &dir),
            Part::KillRerun => writers::kill_rerun(args.rerun_kills, &size, &dir),
            Part::Corpus => corpus::run(&dir),
            Part::Fuzz => fuzz::run(args.fuzz_secs, &size, &dir),
            Part::Hostile => hostile::run(args.hostile_rounds, &dir),
        };
        let mut report = result.unwrap_or_else(|err| PartReport {
            part,
            runs: 0,
            problems: vec![format!("the part could not run: {err:#}")],
            figures: Vec::new(),
            secs: 0.0,
            details: serde_json::Value::Null,
        });
        report.secs = started.elapsed().as_secs_f64();
        for problem in &report.problems {
            eprintln!("   problem: {problem}");
        }
        reports.push(report);
    }
    let files = secret::scan_dir(&root)?;
    let report = Report {
        machine: machine::machine(),
        command: std::iter::once("target/release/bench".to_owned())
            .chain(std::env::args().skip(1))
            .collect::<Vec<_>>()
            .join(" "),
        size,
        parts: reports,
        files_checked_for_the_secret: files,
    };
    let text = if args.json {
        serde_json::to_string_pretty(&report)? + "\n"
    } else {
        table(&report)
    };
    secret::assert_absent("the report", text.as_bytes())?;
    print!("{text}");
    let problems: usize = report.parts.iter().map(|p| p.problems.len()).sum();
    anyhow::ensure!(problems == 0, "{problems} problems found");
    Ok(())
}

fn table(report: &Report) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let m = &report.machine;
    let _ = writeln!(out, "switchboard reliability");
    let _ = writeln!(
        out,
        "  machine: {}, {} CPUs, {} MiB, Linux {}, {}",
        m.cpu, m.cpus, m.memory_mib, m.kernel, m.build
    );
    let _ = writeln!(out, "  command: {}", report.command);
    let _ = writeln!(
        out,
        "  spec: {}",
        generate::describe(&generate::center(&report.size, 1).model)
    );
    for part in &report.parts {
        let _ = writeln!(out);
        let verdict = if part.problems.is_empty() {
            "ok".to_owned()
        } else {
            format!("{} PROBLEMS", part.problems.len())
        };
        let _ = writeln!(
            out,
            "{:?}: {} runs in {:.0} s: {verdict}",
            part.part, part.runs, part.secs
        );
        for figure in &part.figures {
            let _ = writeln!(out, "  {figure}");
        }
        for problem in &part.problems {
            let _ = writeln!(out, "  problem: {problem}");
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "secret check: {} files written by the run, and every output, hold no API secret",
        report.files_checked_for_the_secret
    );
    out
}
