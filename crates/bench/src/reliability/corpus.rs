//! The bad-input corpus (`e2e::corpus`) at full size: a 15 MB file, a million levels of
//! nesting, 20,000 files, and the hostile files (links out of the spec root, FIFOs, files over
//! the ceilings)... `validate`, `plan` and `apply` each exit 1 with the expected message, send
//! no request, and never show what lies outside the spec root.

use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use super::{Part, PartReport};

#[derive(Debug, Serialize)]
struct Run {
    case: String,
    command: String,
    exit: i32,
    secs: f64,
    requests: u64,
    missing: Vec<String>,
}

/// Runs every case.
pub fn run(dir: &Path) -> anyhow::Result<PartReport> {
    super::switchboard_binary()?;
    let pcc = e2e::Pcc::start();
    let work = e2e::Workdir::new();
    let committed = work.join("bad");
    e2e::copy_dir(&e2e::corpus::committed_dir(), &committed);
    let mut cases: Vec<e2e::corpus::Case> = e2e::corpus::committed()
        .into_iter()
        .map(|case| e2e::corpus::Case {
            dir: committed.clone(),
            ..case
        })
        .collect();
    let generated = work.join("generated");
    std::fs::create_dir_all(&generated)?;
    cases.extend(e2e::corpus::generated(&generated, e2e::corpus::Scale::Soak));

    let mut runs = Vec::new();
    let mut problems = Vec::new();
    for case in &cases {
        for command in [
            &["validate"][..],
            &["plan"][..],
            &["apply", "--auto-approve"][..],
        ] {
            let args: Vec<&str> = command.iter().copied().chain([case.arg.as_str()]).collect();
            pcc.reset_stats();
            let started = Instant::now();
            let mut cmd = work
                .switchboard(args.clone())
                .current_dir(&case.dir)
                .against(&pcc);
            // What lies outside the spec root (the hostile-file cases) must never be shown.
            for value in &case.forbid {
                cmd = cmd.forbid(value);
            }
            let out = cmd.run_within(e2e::corpus::DEADLINE);
            let secs = started.elapsed().as_secs_f64();
            let stats = pcc.stats();
            let missing = e2e::corpus::missing(case, &format!("{}{}", out.stdout, out.stderr));
            let run = Run {
                case: case.name.clone(),
                command: command[0].to_owned(),
                exit: out.code,
                secs,
                requests: stats.reads + stats.writes,
                missing,
            };
            if run.exit != 1 || !run.missing.is_empty() || run.requests > 0 {
                problems.push(format!(
                    "{} ({}): exit {}, {} requests, missing {:?}",
                    run.case, run.command, run.exit, run.requests, run.missing
                ));
            }
            runs.push(run);
        }
    }
    std::fs::write(
        dir.join("corpus-runs.json"),
        serde_json::to_string_pretty(&runs)?,
    )?;
    let slowest = runs
        .iter()
        .max_by(|a, b| a.secs.total_cmp(&b.secs))
        .map(|r| format!("{} ({}) {:.2} s", r.case, r.command, r.secs))
        .unwrap_or_default();
    let figures = vec![
        format!(
            "{} cases × validate, plan, apply = {} runs; exit 1 with the expected message and \
             0 requests: {}",
            cases.len(),
            runs.len(),
            runs.len() - problems.len()
        ),
        format!("slowest: {slowest}"),
    ];
    Ok(PartReport {
        part: Part::Corpus,
        runs: runs.len() as u64,
        problems,
        figures,
        secs: 0.0,
        details: serde_json::to_value(&runs)?,
    })
}
