//! The command line: every command, flag and environment variable, with the help text users
//! read. Parsing only; the commands live in `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Contact center as code for the Stringee Programmable Contact Center (PCC).
///
/// Describe numbers, IVR trees, queues, groups, agents and call settings in YAML; check them
/// offline (`validate`), compare them with the live project (`plan`), and apply the reviewed
/// plan (`apply`). With no Stringee credentials in the environment every command targets a
/// local sandbox (an emulated PCC whose state lives in `.switchboard/sandbox.db`), so the whole
/// workflow runs on a fresh clone.
#[derive(Debug, Parser)]
#[command(
    name = "switchboard",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command accepts.
#[derive(Debug, Args)]
pub struct Global {
    /// PCC REST endpoint. Default: https://icc-api.stringee.com when STRINGEE_API_KEY_SID and
    /// STRINGEE_API_KEY_SECRET are set, else the local sandbox.
    #[arg(long, global = true, env = "SWITCHBOARD_ENDPOINT", value_name = "URL")]
    pub endpoint: Option<String>,

    /// When to colour output: auto colours on a terminal unless NO_COLOR is set.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless NO_COLOR is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a spec offline: syntax, references, IVR cycles and reachability, flow tests.
    ///
    /// Exit status: 0 valid, 1 problems found (warnings count only with --strict).
    Validate(ValidateArgs),
    /// Compare the spec with the live project and show the ordered plan. Never writes.
    ///
    /// Exit status: 0 success, 1 error; with --detailed-exitcode 0 no changes, 2 changes.
    Plan(PlanArgs),
    /// Apply a saved plan exactly, or plan a spec, show it and apply it once confirmed.
    ///
    /// Exit status: 0 applied, 1 error, 3 refused by a safety guard (see --force),
    /// 4 the saved plan is stale.
    Apply(ApplyArgs),
    /// Check whether the live project still matches the spec (for scheduled runs).
    ///
    /// Exit status: 0 in sync, 1 error, 2 drift found.
    Drift(DriftArgs),
    /// Write the live project as spec YAML, one file per kind, deterministic.
    Export(ExportArgs),
    /// Draw IVR trees as Mermaid, Graphviz DOT or SVG.
    Graph(GraphArgs),
    /// Walk a caller through the call flow: which menus they hear and where the call ends.
    Simulate(SimulateArgs),
    /// Write a self-contained HTML report: IVR trees, the routing matrix, flow-test results.
    Report(ReportArgs),
    /// Print the JSON Schema of the spec format.
    Schema(SchemaArgs),
    /// Run the local PCC emulator: the Stringee PCC REST API on your machine.
    Emulator(EmulatorArgs),
}

/// Output format of `validate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiagnosticFormat {
    /// Diagnostics with source snippets.
    Human,
    /// One JSON document for machines.
    Json,
}

/// Output format of `plan` and `drift`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// Terraform-style text.
    Text,
    /// Versioned JSON (`format_version`, `resource_changes[]`).
    Json,
    /// Markdown for pull-request comments, with changed IVR trees drawn.
    Markdown,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// A spec file, or a directory whose YAML files form one project.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
    pub format: DiagnosticFormat,
    /// Treat warnings as errors.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// A spec file, or a directory whose YAML files form one project.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Save the plan, with a fingerprint of every live object it read, for `apply`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Exit 2 when the plan has changes, 0 when it has none.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// How many reads run at once.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub concurrency: usize,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan saved by `plan --out`, or a spec file or directory to plan and apply.
    #[arg(default_value = ".")]
    pub target: PathBuf,
    /// Apply without asking (needed when there is no terminal to ask on).
    #[arg(long)]
    pub auto_approve: bool,
    /// How many steps run at once.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub parallelism: usize,
    /// Most requests per second sent to PCC (no limit when absent).
    #[arg(long, value_name = "RPS")]
    pub max_rps: Option<f64>,
    /// Apply even when a safety guard refuses the plan.
    #[arg(long)]
    pub force: bool,
    /// Print one JSON event per line instead of progress.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    /// A spec file, or a directory whose YAML files form one project.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// How many reads run at once.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub concurrency: usize,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Directory to write the spec files to.
    #[arg(long, default_value = "export", value_name = "DIR")]
    pub out: PathBuf,
    /// Write into DIR even when it holds files an export did not write (they are kept).
    #[arg(long)]
    pub force: bool,
    /// How many reads run at once.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub concurrency: usize,
}

/// Output format of `graph`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Mermaid flowchart, for Markdown.
    Mermaid,
    /// Graphviz DOT.
    Dot,
    /// SVG, drawn without any external program.
    Svg,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// A spec file, or a directory whose YAML files form one project.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Draw only this IVR tree (default: every tree).
    #[arg(long, value_name = "TREE")]
    pub tree: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// A spec file, or a directory whose YAML files form one project.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// The number the caller dials.
    #[arg(long, value_name = "DIGITS")]
    pub number: String,
    /// The keys the caller presses, in order (`0`-`9`, `*`, `#`; spaces, commas and dashes
    /// between them are ignored). Once they run out the caller stays silent, so timeouts apply.
    #[arg(long, default_value = "", value_name = "KEYS")]
    pub keys: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SimulateFormat::Text)]
    pub format: SimulateFormat,
}

/// Output format of `simulate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SimulateFormat {
    /// Every step in words.
    Text,
    /// One JSON document.
    Json,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A spec file, or a directory whose YAML files form one project.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Where to write the HTML page.
    #[arg(long, default_value = "report.html", value_name = "FILE")]
    pub out: PathBuf,
    /// A plan saved by `plan --out`, whose changes the report highlights.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {}

#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Address to listen on; port 0 picks a free port. The first line of standard output is
    /// `listening on http://ADDR`.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub listen: String,
    /// SQLite file holding the emulated project (in memory when absent).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// An API key the emulator accepts, as SID:SECRET (repeatable).
    #[arg(long = "api-key", value_name = "SID:SECRET")]
    pub api_keys: Vec<String>,
    /// Latency added to every API request, in milliseconds.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub latency_ms: u64,
    /// Share of API requests answered with HTTP 500 before doing anything (0.0-1.0).
    #[arg(long, default_value_t = 0.0, value_name = "SHARE")]
    pub fail_rate: f64,
    /// Share of API requests answered with HTTP 429 and Retry-After (0.0-1.0).
    #[arg(long, default_value_t = 0.0, value_name = "SHARE")]
    pub throttle_rate: f64,
    /// The Retry-After of throttled answers, in seconds.
    #[arg(long, default_value_t = 1, value_name = "SECS")]
    pub retry_after_secs: u64,
    /// Share of writes that commit but whose answer is lost (0.0-1.0).
    #[arg(long, default_value_t = 0.0, value_name = "SHARE")]
    pub drop_rate: f64,
    /// Seed for the fault dice, for reproducible runs.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
}
