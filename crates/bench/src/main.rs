//! `bench`: switchboard's speed measured against the lower bound, and the reliability program
//! that shows nothing is lost (faults, SIGKILL, bad inputs, fuzzing). Not a test: it prints
//! figures for docs/benchmarks.md and docs/reliability.md.
//!
//! ```text
//! cargo run --release -p bench -- [--agents N ...] [--latency-ms 0,20] [--json]
//! cargo run --release -p bench -- limits [--limits 300/10+30/10,300/10] [--json]
//! cargo build --release -p switchboard -p bench && target/release/bench reliability
//! ```

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod apply;
mod bounds;
mod generate;
mod limited;
mod machine;
mod phase;
mod reliability;
mod secret;
mod specdir;
mod speed;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// switchboard's benchmark (default) and reliability program.
#[derive(Debug, Parser)]
#[command(
    name = "bench",
    args_conflicts_with_subcommands = true,
    max_term_width = 100
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    speed: SpeedArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Fault soak, SIGKILL of apply and of the emulator, the bad-input corpus, fuzzing.
    Reliability(reliability::Args),
    /// A contact center of about 2,000 objects under PCC-like rate limits, against the bound
    /// the limits set.
    Limits(LimitsArgs),
    /// Internal: one measured phase in a process of its own.
    #[command(name = "__phase", hide = true)]
    Phase {
        /// The request, as JSON.
        request: String,
    },
}

/// The size of the generated contact center, and how to run.
#[derive(Debug, Args)]
struct SpeedArgs {
    /// Agents.
    #[arg(long, default_value_t = 5_000)]
    agents: usize,
    /// Groups (every agent is in one, half of them in two).
    #[arg(long, default_value_t = 200)]
    groups: usize,
    /// Queues.
    #[arg(long, default_value_t = 100)]
    queues: usize,
    /// IVR trees.
    #[arg(long, default_value_t = 50)]
    trees: usize,
    /// Nodes per IVR tree (each with four keys).
    #[arg(long, default_value_t = 30)]
    nodes: usize,
    /// Phone numbers.
    #[arg(long, default_value_t = 100)]
    numbers: usize,
    /// Audio files.
    #[arg(long, default_value_t = 20)]
    audio: usize,
    /// Per-request latencies of the emulator, in milliseconds.
    #[arg(long, value_delimiter = ',', default_value = "0,20")]
    latency_ms: Vec<u64>,
    /// Apply steps in flight (switchboard's default).
    #[arg(long, default_value_t = 8)]
    parallelism: usize,
    /// Reads in flight (switchboard's default).
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Share of the objects the change touches.
    #[arg(long, default_value_t = 0.01)]
    change: f64,
    /// Keep the generated spec and the emulator state in DIR.
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// The size of the contact center under limits (about 2,000 API objects, spread so that no
/// family takes more than about 450 calls), and the limits.
#[derive(Debug, Args)]
struct LimitsArgs {
    /// Limit settings, comma-separated: `KEY` (per API key) or `KEY+FAMILY` (per key and per
    /// resource family), each `N/SECS`.
    #[arg(long, value_delimiter = ',', default_value = "300/10+30/10,300/10")]
    limits: Vec<limited::Setting>,
    /// Agents.
    #[arg(long, default_value_t = 220)]
    agents: usize,
    /// Groups.
    #[arg(long, default_value_t = 15)]
    groups: usize,
    /// Queues.
    #[arg(long, default_value_t = 90)]
    queues: usize,
    /// IVR trees.
    #[arg(long, default_value_t = 10)]
    trees: usize,
    /// Nodes per IVR tree.
    #[arg(long, default_value_t = 11)]
    nodes: usize,
    /// Phone numbers.
    #[arg(long, default_value_t = 440)]
    numbers: usize,
    /// Audio files.
    #[arg(long, default_value_t = 10)]
    audio: usize,
    /// The emulator's latency, in milliseconds.
    #[arg(long, default_value_t = 20)]
    latency_ms: u64,
    /// Apply steps in flight.
    #[arg(long, default_value_t = 8)]
    parallelism: usize,
    /// Reads in flight.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Share of the objects the change touches.
    #[arg(long, default_value_t = 0.01)]
    change: f64,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    json: bool,
}

fn limits(args: &LimitsArgs) -> anyhow::Result<()> {
    let options = limited::Options {
        size: generate::Size {
            agents: args.agents,
            groups: args.groups,
            queues: args.queues,
            trees: args.trees,
            nodes: args.nodes,
            numbers: args.numbers,
            audio: args.audio,
        },
        settings: args.limits.clone(),
        latency_ms: args.latency_ms,
        parallelism: args.parallelism,
        concurrency: args.concurrency,
        seed: args.seed,
        change: args.change,
    };
    let command = std::iter::once("cargo run --release -p bench --".to_owned())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    let report = limited::run(&options, command)?;
    let text = if args.json {
        serde_json::to_string_pretty(&report)? + "\n"
    } else {
        limited::table(&report)
    };
    secret::assert_absent("the report", text.as_bytes())?;
    print!("{text}");
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Phase { request }) => phase_child(&request),
        Some(Command::Reliability(args)) => reliability::run(&args),
        Some(Command::Limits(args)) => limits(&args),
        None => speed(&cli.speed),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn phase_child(request: &str) -> anyhow::Result<()> {
    let request: phase::Request = serde_json::from_str(request)?;
    let outcome = phase::child(&request)?;
    println!("{}", serde_json::to_string(&outcome)?);
    Ok(())
}

fn speed(args: &SpeedArgs) -> anyhow::Result<()> {
    let options = speed::Options {
        size: generate::Size {
            agents: args.agents,
            groups: args.groups,
            queues: args.queues,
            trees: args.trees,
            nodes: args.nodes,
            numbers: args.numbers,
            audio: args.audio,
        },
        latencies: args.latency_ms.clone(),
        parallelism: args.parallelism,
        concurrency: args.concurrency,
        seed: args.seed,
        change: args.change,
        refresh_parallelism: 10,
        keep: args.keep.clone(),
    };
    let command = std::iter::once("cargo run --release -p bench --".to_owned())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    let report = speed::run(&options, command)?;
    let text = if args.json {
        serde_json::to_string_pretty(&report)? + "\n"
    } else {
        speed::table(&report)
    };
    secret::assert_absent("the report", text.as_bytes())?;
    print!("{text}");
    Ok(())
}
