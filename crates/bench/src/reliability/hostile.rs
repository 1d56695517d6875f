//! A hostile PCC (`e2e::hostile_pcc`): every case (endless bodies, absurd counts, unknown
//! shapes, escapes in PCC's text, 429s for ever...) run against the binary, `rounds` times
//! each: the command ends with the expected exit and message, no control character in its
//! output, no write it should not make, and under 200 MB of memory (where GNU time is
//! installed).

use std::path::Path;

use serde::Serialize;

use super::{Part, PartReport};

#[derive(Debug, Serialize)]
struct Run {
    case: String,
    command: String,
    exit: i32,
    secs: f64,
    peak_mib: Option<u64>,
    requests: usize,
    writes: u64,
    problems: Vec<String>,
}

/// Runs every case `rounds` times.
pub fn run(rounds: usize, dir: &Path) -> anyhow::Result<PartReport> {
    super::switchboard_binary()?;
    let work = e2e::Workdir::new();
    work.copy_example("hotline");
    let cases = e2e::hostile_pcc::cases();
    let mut runs = Vec::new();
    let mut problems = Vec::new();
    for _ in 0..rounds.max(1) {
        for case in &cases {
            let ran = e2e::hostile_pcc::run(case, &work);
            let found = ran.problems(case);
            problems.extend(found.iter().cloned());
            runs.push(Run {
                case: case.name.to_owned(),
                command: case.args[0].to_owned(),
                exit: ran.code,
                secs: ran.secs,
                peak_mib: ran.peak_mib,
                requests: ran.requests,
                writes: ran.writes,
                problems: found,
            });
        }
    }
    std::fs::write(
        dir.join("hostile-runs.json"),
        serde_json::to_string_pretty(&runs)?,
    )?;
    let peak = runs
        .iter()
        .filter_map(|r| r.peak_mib.map(|p| (p, &r.case)))
        .max();
    let slowest = runs.iter().max_by(|a, b| a.secs.total_cmp(&b.secs));
    let mut figures = vec![format!(
        "{} cases × {} rounds = {} runs; as expected (exit, message, no control character, no \
         stray write, memory): {}",
        cases.len(),
        rounds.max(1),
        runs.len(),
        runs.iter().filter(|r| r.problems.is_empty()).count()
    )];
    figures.push(match peak {
        Some((mib, case)) => format!(
            "peak memory: {mib} MiB at most ({case}); bound {} MiB",
            e2e::hostile_pcc::MEMORY_BOUND_MIB
        ),
        None => "peak memory: not measured (GNU time is not installed)".to_owned(),
    });
    if let Some(slowest) = slowest {
        figures.push(format!(
            "slowest: {} ({}) {:.2} s; most requests in one run: {}",
            slowest.case,
            slowest.command,
            slowest.secs,
            runs.iter().map(|r| r.requests).max().unwrap_or(0)
        ));
    }
    Ok(PartReport {
        part: Part::Hostile,
        runs: runs.len() as u64,
        problems,
        figures,
        secs: 0.0,
        details: serde_json::to_value(&runs)?,
    })
}
