//! The command line: every command, flag and environment variable, with the help text users
//! read. Parsing only; the commands live in `commands/`.

use std::path::PathBuf;
use std::time::Duration;

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
    /// When to colour output: auto colours on a terminal unless NO_COLOR is set.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Show credentials inside values (passwords and tokens in webhook URLs) in plans and
    /// drift reports, instead of `(sensitive:…)`. Only when standard output is a terminal:
    /// refused otherwise, and never in a saved plan or a report.
    #[arg(long, global = true)]
    pub show_sensitive: bool,
    /// The environment of the spec to use (one of its `environments:`). Required by every
    /// command but `validate` when the spec declares environments; `validate` without it
    /// checks each.
    #[arg(long, global = true, env = "SWITCHBOARD_ENV", value_name = "NAME")]
    pub env: Option<String>,
}

impl Global {
    /// `--env` (or `SWITCHBOARD_ENV`), when set and not empty.
    pub fn env(&self) -> Option<&str> {
        self.env.as_deref().filter(|env| !env.is_empty())
    }
}

/// Where the commands that talk to PCC (`plan`, `apply`, `drift`, `export`) connect.
#[derive(Debug, Args)]
pub struct Connection {
    /// PCC REST endpoint. Default: https://icc-api.stringee.com when STRINGEE_API_KEY_SID and
    /// STRINGEE_API_KEY_SECRET are set, else the local sandbox.
    #[arg(long, env = "SWITCHBOARD_ENDPOINT", value_name = "URL")]
    pub endpoint: Option<String>,
    /// Call API endpoint (greeting files, and the account API that the PCC wiring is checked
    /// and set through). Default: https://api.stringee.com, or --endpoint when that is given.
    /// Needed with --endpoint when the account key is set.
    #[arg(long, env = "SWITCHBOARD_CALL_API_ENDPOINT", value_name = "URL")]
    pub call_api_endpoint: Option<String>,
    /// How long to wait for PCC to answer one request, in seconds (default 30; connecting
    /// waits at most 10). A read that times out is tried once more; a write is looked up.
    #[arg(long, env = "SWITCHBOARD_TIMEOUT", value_name = "SECS", value_parser = seconds)]
    pub timeout: Option<Duration>,
    /// The most objects one read of the live project takes (default 35000; its bytes and
    /// pages scale with it). A PCC that sends or claims more is refused as broken or hostile;
    /// raise it only for a contact center that really is larger: memory grows with it.
    #[arg(
        long,
        env = "SWITCHBOARD_MAX_LIVE_OBJECTS",
        value_name = "N",
        value_parser = clap::value_parser!(u64).range(1_000..=1_000_000)
    )]
    pub max_live_objects: Option<u64>,
    /// Allow a plain http:// --endpoint or --call-api-endpoint to a host other than this
    /// machine (127.0.0.0/8, ::1, localhost), which is otherwise refused: the API token and
    /// the account token then travel unencrypted. For an emulator in another container on a
    /// private network; never for anything across the internet.
    #[arg(
        long,
        env = "SWITCHBOARD_ALLOW_INSECURE_HTTP",
        value_parser = clap::builder::FalseyValueParser::new()
    )]
    pub allow_insecure_http: bool,
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

/// The `--help` section of the commands that talk to PCC (a macro, for `concat!`).
macro_rules! environment {
    () => {
        "\
Environment:
  STRINGEE_API_KEY_SID, STRINGEE_API_KEY_SECRET
                        the API key: set both to target Stringee (or --endpoint); set neither
                        to use the local sandbox, an emulated PCC in .switchboard/sandbox.db
  STRINGEE_ACCOUNT_SID, STRINGEE_ACCOUNT_KEY_SECRET
                        the account key (AC…): set both for plan, drift and apply to check
                        and correct the PCC wiring of the project and its numbers
  SWITCHBOARD_ENDPOINT  the same as --endpoint
  SWITCHBOARD_CALL_API_ENDPOINT
                        the same as --call-api-endpoint
  SWITCHBOARD_TIMEOUT   the same as --timeout
  SWITCHBOARD_MAX_LIVE_OBJECTS
                        the same as --max-live-objects
  SWITCHBOARD_ALLOW_INSECURE_HTTP=1
                        the same as --allow-insecure-http
  SWITCHBOARD_LOG       `warn` shows every retried request (default: the first one only)
  NO_COLOR              no colour (also --color never)
The first line on standard error names the target."
    };
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a spec offline: syntax, references, IVR cycles and reachability, flow tests.
    ///
    /// Reads the spec and the audio files it names; writes nothing; no network. Every problem
    /// is reported at once, with its file:line:col.
    #[command(after_long_help = "\
Exit status:
  0  the spec is valid (warnings allowed, unless --strict)
  1  problems found, or the files cannot be read

Examples:
  switchboard validate examples/hotline
  switchboard validate contact-center --strict --format json")]
    Validate(ValidateArgs),
    /// Compare the spec with the live project and show the ordered plan. Never writes.
    ///
    /// Reads the spec and the live project; prints the plan on standard output (and nothing
    /// else there), notices on standard error; with --out, also saves it for `apply`.
    #[command(after_long_help = concat!("\
Exit status:
  0  success (with --detailed-exitcode: no changes)
  1  error, or the spec has problems
  2  with --detailed-exitcode: the plan has changes

Examples:
  switchboard plan examples/hotline
  switchboard plan contact-center --format markdown --out plan.json --detailed-exitcode

", environment!()))]
    Plan(PlanArgs),
    /// Apply a saved plan exactly, or plan a spec, show it and apply it once confirmed.
    ///
    /// With a saved plan (`plan --out`): checks it was made against this PCC, that no safety
    /// guard refuses it and that nothing it touches changed, then applies it without asking.
    /// With a spec: plans, shows the plan and asks (--auto-approve for CI). Steps print on
    /// standard output (a progress bar on a terminal, JSON events with --json).
    #[command(after_long_help = concat!("\
Exit status:
  0  applied, or nothing to do
  1  error: a step failed, cancelled, interrupted, the spec has problems, or the saved plan
     was made against another PCC or is damaged
  3  a safety guard refused the plan (--force applies it anyway)
  4  the saved plan is stale: objects it touches changed since it was made

Examples:
  switchboard apply plan.json
  switchboard apply examples/hotline --auto-approve

", environment!()))]
    Apply(ApplyArgs),
    /// Check whether the live project still matches the spec (for scheduled runs).
    ///
    /// Reads the spec and the live project; prints each difference on standard output;
    /// never writes.
    #[command(after_long_help = concat!("\
Exit status:
  0  the live project matches the spec
  1  error, or the spec has problems
  2  drift found

Examples:
  switchboard drift contact-center --format markdown

", environment!()))]
    Drift(DriftArgs),
    /// Write the live project as spec YAML, one file per kind, deterministic.
    ///
    /// Reads the live project; writes DIR (`agents.yaml`, `queues.yaml`, ..., `ignore.yaml`
    /// for what a spec cannot describe, and the JSON Schema), once the files load back as a
    /// valid spec. Never writes to PCC, never overwrites files it did not write (see --force),
    /// and never writes through a symbolic link (DIR itself or a file in it).
    ///
    /// With --env NAME, writes into that environment's first `include:` directory of the spec
    /// at PATH only what the spec's other files do not declare (its numbers, agents...), so
    /// that `plan --env NAME` of the spec shows no changes; the shared files are left alone.
    #[command(after_long_help = concat!("\
Exit status:
  0  written
  1  error, or the export would not load back as a valid spec (problems shown); either way
     nothing is written

Examples:
  switchboard export --out contact-center
  switchboard plan contact-center --detailed-exitcode
  switchboard export contact-center --env staging   # into staging's include: directory

", environment!()))]
    Export(ExportArgs),
    /// Draw IVR trees as Mermaid, Graphviz DOT or SVG.
    ///
    /// Reads the spec; prints the drawing on standard output; no network.
    #[command(after_long_help = "\
Exit status:
  0  drawn
  1  the spec has problems, or no such tree

Examples:
  switchboard graph examples/hotline --tree main
  switchboard graph examples/hotline --format dot | dot -Tpng > main.png
  switchboard graph examples/hotline --format svg > main.svg")]
    Graph(GraphArgs),
    /// Write the resolved spec of one environment as plain YAML (--env required).
    ///
    /// Its `vars:` substituted and its `include:` files merged in, one file per kind, as a
    /// reviewer reads what that environment's project gets; secrets stay `${secret.NAME}`
    /// placeholders. On standard output, or into --out DIR. No network.
    #[command(after_long_help = "\
Exit status:
  0  written
  1  the spec has problems, no environment is given, or the files cannot be written

Examples:
  switchboard render examples/two-envs --env production
  switchboard render examples/two-envs --env staging --out rendered/staging")]
    Render(RenderArgs),
    /// Walk a caller through the call flow: which menus they hear and where the call ends.
    ///
    /// Reads the spec; prints the walk on standard output; no network.
    #[command(after_long_help = "\
Exit status:
  0  the walk completed
  1  the spec has problems, the number is not in the spec, or a key cannot be pressed

Examples:
  switchboard simulate examples/hotline --number 842473082686 --keys 12
  switchboard simulate examples/hotline --number 842473082686 --keys 5 --format json")]
    Simulate(SimulateArgs),
    /// Write a self-contained HTML report: IVR trees, the routing matrix, flow-test results.
    ///
    /// Reads the spec (and a saved plan with --plan); writes one HTML file that needs no
    /// network to view; never contacts PCC.
    #[command(after_long_help = "\
Exit status:
  0  written
  1  the spec has problems, the plan cannot be read, or the file cannot be written

Examples:
  switchboard report contact-center --out report.html --plan plan.json")]
    Report(ReportArgs),
    /// Print the JSON Schema of the spec format.
    ///
    /// Editors that use the YAML language server check and complete spec files with it.
    #[command(after_long_help = "\
Exit status:
  0  printed

Examples:
  switchboard schema > switchboard.schema.json")]
    Schema(SchemaArgs),
    /// Run the local PCC emulator: the Stringee PCC REST API on your machine.
    ///
    /// Serves PCC's REST API on --listen and the Call API host's (greeting files, the account
    /// API) on --call-api-listen, until Ctrl-C or SIGTERM. The first line of standard output
    /// is `listening on http://ADDR` (PCC), the second `call api on http://ADDR`; notices go
    /// to standard error. Point switchboard at it with --endpoint and the same API key.
    #[command(after_long_help = "\
Keys: --api-key is visible to other users (`ps` shows arguments); on a shared machine pass
keys in SWITCHBOARD_EMULATOR_API_KEY / SWITCHBOARD_EMULATOR_ACCOUNT_KEY (one SID:SECRET
each) or in --api-key-file / --account-key-file (one SID:SECRET a line).

Exit status:
  0  stopped by Ctrl-C or SIGTERM
  1  cannot start (bad flags, port in use, state file unreadable)

Examples:
  switchboard emulator --listen 127.0.0.1:8080 --state pcc.db --api-key SKlocal:s3cret
  SWITCHBOARD_EMULATOR_API_KEY=SKlocal:s3cret switchboard emulator --listen 127.0.0.1:8080
  STRINGEE_API_KEY_SID=SKlocal STRINGEE_API_KEY_SECRET=s3cret \\
    switchboard plan examples/hotline --endpoint http://127.0.0.1:8080")]
    Emulator(EmulatorArgs),
}

/// The short help of the spec path argument.
const SPEC_PATH: &str = "A spec file, or a directory whose YAML files form one project [default: the \
     working directory, when it holds a spec file itself]";

/// Its long help: what the default is, which files a directory holds, and the spec root.
const SPEC_PATH_LONG: &str = "\
A spec file, or a directory whose YAML files form one project [default: the working directory, \
when it holds a spec file itself; give `.` to read every spec file below it].

A directory's spec files are its *.yaml and *.yml files, in sub-directories too, except hidden \
ones and what .gitignore ignores; YAML files with none of a spec's top-level keys (a CI \
workflow) are skipped with a note. The directory (or the file's directory) is the spec root: \
every file the spec makes switchboard read, spec files and audio, must be inside it once \
symbolic links are followed and not hidden there (`.git`, `.env`; links leading out of a \
directory, or into a hidden file, are skipped with a note), a regular file, and at most 16 MiB \
(a spec file) or 50 MiB (an audio file).";

/// Output format of `validate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiagnosticFormat {
    /// Diagnostics with source snippets.
    #[value(alias = "text")]
    Human,
    /// One JSON document for machines.
    Json,
    /// SARIF 2.1.0, for code scanning (GitHub) and other dashboards.
    Sarif,
    /// JUnit XML: a test case per flow test, the problems grouped by file.
    Junit,
    /// GitHub Actions annotations (`::error file=...::...`) on the pull request's diff.
    Github,
    /// GitLab Code Quality JSON, for merge request widgets and diffs.
    Gitlab,
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

/// Output format of `drift`: the same three as `plan`, holding findings instead of changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DriftFormat {
    /// One finding per line.
    Text,
    /// Versioned JSON (`format_version`, `drift`, `resource_drift[]`).
    Json,
    /// A Markdown table of the findings, for an issue or a comment.
    Markdown,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[arg(value_name = "PATH", help = SPEC_PATH, long_help = SPEC_PATH_LONG)]
    pub path: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
    pub format: DiagnosticFormat,
    /// Treat warnings as errors.
    #[arg(long)]
    pub strict: bool,
    /// List the files that make up the spec (and the YAML files left out, with why), then
    /// exit without validating.
    #[arg(long)]
    pub show_files: bool,
    /// Where docs/codes.md is published (an http(s) URL): with `--format sarif`, each rule's
    /// `helpUri` is it with `#code`.
    #[arg(long, env = "SWITCHBOARD_DOCS_URL", value_name = "URL", value_parser = http_url)]
    pub docs_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub connection: Connection,
    #[arg(value_name = "PATH", help = SPEC_PATH, long_help = SPEC_PATH_LONG)]
    pub path: Option<PathBuf>,
    /// Save the plan, with a fingerprint of every live object it read, for `apply`: a regular
    /// file, replaced whole (never a symbolic link, a device, a FIFO or a directory).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Exit 2 when the plan has changes, 0 when it has none.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// How many reads run at once.
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = at_least_one)]
    pub concurrency: usize,
    #[command(flatten)]
    pub part: Part,
}

/// `--target` and `--exclude`: a plan of part of the project (docs/ci.md, "Partial plans").
#[derive(Debug, Default, Args)]
pub struct Part {
    /// Plan only the objects this address pattern matches (`ivr_tree.main`, `queue.sales-*`:
    /// the patterns of `ignore:`), what they own, and what they need to exist; repeatable.
    /// Reads only what that part needs. A pattern that matches nothing is an error.
    #[arg(long = "target", id = "target_glob", value_name = "GLOB")]
    pub target: Vec<String>,
    /// Leave out the objects this address pattern matches, what they own, and what needs
    /// them; repeatable. Wins over --target. A pattern that matches nothing is an error.
    #[arg(long = "exclude", id = "exclude_glob", value_name = "GLOB")]
    pub exclude: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// A plan saved by `plan --out`, or a spec to plan and apply (a file, or a directory whose
    /// YAML files form one project) [default: the working directory, when it holds a spec file
    /// itself].
    ///
    /// A spec's directory (or the file's directory) is its spec root: every file the spec makes
    /// switchboard read, spec files and audio, must be inside it once symbolic links are
    /// followed and not hidden there (`.git`, `.env`), a regular file, and at most 16 MiB (a
    /// spec file) or 50 MiB (an audio file).
    #[arg(value_name = "PLAN_FILE|PATH")]
    pub target: Option<PathBuf>,
    /// Apply without asking (needed when there is no terminal to ask on).
    #[arg(long)]
    pub auto_approve: bool,
    /// How many requests are in flight at once, and steps at work (and reads, for the stale
    /// check or the plan).
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = at_least_one)]
    pub parallelism: usize,
    /// Most requests per second sent to PCC, 0.01 to 1000000 (no limit when absent).
    #[arg(long, value_name = "RPS")]
    pub max_rps: Option<f64>,
    /// Apply even when a safety guard refuses the plan.
    #[arg(long)]
    pub force: bool,
    /// Print one JSON event per line instead of progress.
    #[arg(long)]
    pub json: bool,
    /// With a spec: plan and apply only part of it (a saved plan carries its own).
    #[command(flatten)]
    pub part: Part,
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    #[command(flatten)]
    pub connection: Connection,
    #[arg(value_name = "PATH", help = SPEC_PATH, long_help = SPEC_PATH_LONG)]
    pub path: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DriftFormat::Text)]
    pub format: DriftFormat,
    /// How many reads run at once.
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = at_least_one)]
    pub concurrency: usize,
    /// Check only part of the project; the report says the check was partial.
    #[command(flatten)]
    pub part: Part,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// With --env: the spec whose environment's `include:` directory the export writes
    /// into (a file, or a directory whose YAML files form one project) [default: the
    /// working directory].
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    #[command(flatten)]
    pub connection: Connection,
    /// Directory to write the spec files to [default: export]. Not with --env, which writes
    /// into the environment's `include:` directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write into DIR even when it holds files an export did not write (they are kept).
    #[arg(long)]
    pub force: bool,
    /// How many reads run at once.
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = at_least_one)]
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
    #[arg(value_name = "PATH", help = SPEC_PATH, long_help = SPEC_PATH_LONG)]
    pub path: Option<PathBuf>,
    /// Draw only this IVR tree (default: every tree).
    #[arg(long, value_name = "TREE")]
    pub tree: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[arg(value_name = "PATH", help = SPEC_PATH, long_help = SPEC_PATH_LONG)]
    pub path: Option<PathBuf>,
    /// Write one file per kind into this directory (created if missing) instead of standard
    /// output.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    #[arg(value_name = "PATH", help = SPEC_PATH, long_help = SPEC_PATH_LONG)]
    pub path: Option<PathBuf>,
    /// The number the caller dials, country code first (`+`, spaces, dashes, dots and
    /// parentheses are ignored, so `+84 24 7308 2686` works).
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
    #[arg(value_name = "PATH", help = SPEC_PATH, long_help = SPEC_PATH_LONG)]
    pub path: Option<PathBuf>,
    /// Where to write the HTML page: a regular file, replaced whole (never a symbolic link,
    /// a device, a FIFO or a directory).
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
    /// Address of PCC's REST API; port 0 picks a free port. The first line of standard output
    /// is `listening on http://ADDR`. A request whose Host starts with `api.` goes to the Call
    /// API instead.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub listen: String,
    /// Address of the Call API (greeting files, the account API). Default: a free port on
    /// loopback. The second line of standard output is `call api on http://ADDR`.
    #[arg(long, value_name = "ADDR")]
    pub call_api_listen: Option<String>,
    /// SQLite file holding the emulated project (in memory when absent).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// An API key PCC accepts, as SID:SECRET (repeatable; visible to `ps`).
    #[arg(
        long = "api-key",
        value_name = "SID:SECRET",
        env = "SWITCHBOARD_EMULATOR_API_KEY",
        hide_env_values = true
    )]
    pub api_keys: Vec<String>,
    /// A file of API keys PCC accepts, one SID:SECRET a line (`#` comments and blank lines
    /// skipped).
    #[arg(long, value_name = "FILE")]
    pub api_key_file: Option<PathBuf>,
    /// An account key the account API accepts (tokens whose iss is the account SID, AC...),
    /// as SID:SECRET (repeatable; visible to `ps`). Without one the account API refuses
    /// every request.
    #[arg(
        long = "account-key",
        value_name = "SID:SECRET",
        env = "SWITCHBOARD_EMULATOR_ACCOUNT_KEY",
        hide_env_values = true
    )]
    pub account_keys: Vec<String>,
    /// A file of account keys, one SID:SECRET a line.
    #[arg(long, value_name = "FILE")]
    pub account_key_file: Option<PathBuf>,
    /// How the project and every number start: wired to PCC's own answer and event URLs
    /// (`pcc`), or with none (`unset`, as a freshly bought number).
    #[arg(long, value_enum, default_value_t = WiringArg::Pcc, value_name = "WIRING")]
    pub wiring: WiringArg,
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
    /// Share of writes answered with a failure at once (a closed connection or HTTP 504) and
    /// carried out --late-ms later (0.0-1.0).
    #[arg(long, default_value_t = 0.0, value_name = "SHARE")]
    pub late_rate: f64,
    /// How long after its failure answer a late write is carried out, in milliseconds.
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    pub late_ms: u64,
    /// Seed for the fault dice, for reproducible runs.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Requests each API key may make per window, as N/SECS (300/10: 300 per 10 s; SECS may
    /// be fractional). Windows are aligned to the clock; beyond the budget a request is
    /// answered 429 with Retry-After until the window ends.
    #[arg(long, value_name = "N/SECS")]
    pub rate_limit: Option<String>,
    /// Requests each API key may make to one resource family (agents, groups, memberships,
    /// queues, routings, trees, nodes, keypresses, numbers, blacklist, audio, settings,
    /// projects, account-numbers) per window, as N/SECS.
    #[arg(long, value_name = "N/SECS")]
    pub rate_limit_per_kind: Option<String>,
}

/// `emulator --wiring`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum WiringArg {
    /// PCC's own URLs (http://v2.stringee.com:8282/...).
    Pcc,
    /// No URLs: calls would never reach PCC.
    Unset,
}

/// `--timeout`: a number of seconds above 0, at most an hour (`30`, `2.5`).
fn seconds(text: &str) -> Result<Duration, String> {
    match text.trim().parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs > 0.0 && secs <= 3600.0 => {
            Ok(Duration::from_secs_f64(secs))
        }
        _ => Err(format!(
            "`{text}` is not a number of seconds above 0 and at most 3600 (e.g. 30 or 2.5)"
        )),
    }
}

/// `--concurrency` and `--parallelism`: a whole number of at least 1.
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("`{text}` is not a whole number of at least 1")),
    }
}

/// An http(s) URL with a host, without spaces, quotes or a fragment (it is written into a
/// document, and a fragment is added to it).
fn http_url(text: &str) -> Result<String, String> {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    let fine = rest.is_some_and(|rest| {
        !rest.is_empty()
            && !rest.starts_with('/')
            && text
                .chars()
                .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '<' | '>' | '\\' | '`' | '#'))
    });
    if fine {
        Ok(text.trim_end_matches('/').to_owned())
    } else {
        Err(format!(
            "`{}` is not an http(s) URL",
            spec::text::terminal(text)
        ))
    }
}
