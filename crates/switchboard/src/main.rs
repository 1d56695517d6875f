//! The `switchboard` binary: command-line parsing, output, exit codes. The only crate that
//! prints; every command is a thin wrapper over a library crate.

mod callflow;
mod ci;
mod cli;
mod commands;
mod notices;
mod output;
mod pipeline;
mod render;
mod specfile;
mod target;

use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::{Cli, Command};

/// How a command ended, beyond plain success. The numbers are part of the interface: CI
/// pipelines key off them (see README.md, "Exit codes").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: success, nothing pending.
    Ok,
    /// 1: the input has problems (validate), or an error happened.
    Problems,
    /// 2: changes are pending (`plan --detailed-exitcode`) or drift was found (`drift`).
    Changes,
    /// 3: a safety guard refused the plan; `--force` overrides.
    Refused,
    /// 4: a saved plan is stale: objects it touches changed since it was made.
    Stale,
}

impl Exit {
    fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Problems => 1,
            Exit::Changes => 2,
            Exit::Refused => 3,
            Exit::Stale => 4,
        }
    }
}

fn main() -> ExitCode {
    // clap exits 2 on a usage error, which pipelines read as "changes pending" or "drift
    // found": a mistyped flag must fail as an error (1) instead.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() {
                Exit::Problems.code()
            } else {
                Exit::Ok.code()
            });
        }
    };
    output::init(&cli.global);
    if cli.global.show_sensitive {
        // A person asked to read credentials on their screen; a pipe or a file (a CI log,
        // `> plan.txt`) never gets them.
        if !output::stdout_is_terminal() {
            output::eprintln(
                "error: --show-sensitive shows credentials on a terminal only, and standard \
                 output is not one: credentials are never written to a file or a pipe",
            );
            return ExitCode::from(Exit::Problems.code());
        }
        output::reveal();
    }
    notices::init();
    let result = match cli.command {
        Command::Validate(args) => commands::validate::run(&cli.global, args),
        Command::Plan(args) => commands::plan::run(&cli.global, args),
        Command::Apply(args) => commands::apply::run(&cli.global, args),
        Command::Drift(args) => commands::drift::run(&cli.global, args),
        Command::Export(args) => commands::export::run(&cli.global, args),
        Command::Graph(args) => commands::graph::run(&cli.global, args),
        Command::Simulate(args) => commands::simulate::run(&cli.global, args),
        Command::Report(args) => commands::report::run(&cli.global, args),
        Command::Render(args) => commands::render::run(&cli.global, args),
        Command::Schema(args) => commands::schema::run(&cli.global, args),
        Command::Emulator(args) => commands::emulator::run(&cli.global, args),
    };
    match result {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            // Causes quote PCC, paths and names: each line is escaped as a whole.
            output::eprintln(format_args!(
                "error: {}",
                spec::text::terminal_lines(&format!("{err:#}"))
            ));
            ExitCode::from(Exit::Problems.code())
        }
    }
}

/// Output piped into `head` is not an error (ripgrep does the same).
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
