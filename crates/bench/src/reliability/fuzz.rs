//! The spec loader fuzzed for a while: seeded mutations of real spec files (the examples,
//! the corpus and a generated contact center) through `spec::load`, which must never panic.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{Part, PartReport};
use crate::generate::Size;

#[derive(Debug, Serialize)]
struct Fuzzed {
    secs: f64,
    execs: u64,
    seeds: usize,
    panics: usize,
}

/// Fuzzes for `secs` seconds; inputs that panic are saved in `dir/panics/`.
pub fn run(secs: u64, size: &Size, dir: &Path) -> anyhow::Result<PartReport> {
    let mut seeds = e2e::fuzzing::seeds();
    let (spec, _) = super::write_specs(size, 5, dir)?;
    for entry in std::fs::read_dir(&spec)?.flatten() {
        if entry.path().extension().is_some_and(|e| e == "yaml") {
            seeds.push(std::fs::read(entry.path())?);
        }
    }
    // The panic hook would print each panic; the saved inputs say more.
    std::panic::set_hook(Box::new(|_| {}));
    let mut rng = fastrand::Rng::with_seed(0xf022);
    let started = Instant::now();
    let mut execs = 0u64;
    let mut problems = Vec::new();
    while started.elapsed() < Duration::from_secs(secs) {
        let input = if execs.is_multiple_of(10) {
            (0..rng.usize(0..1024)).map(|_| rng.u8(..)).collect()
        } else {
            e2e::fuzzing::mutate(&mut rng, &seeds)
        };
        if let Err(message) = e2e::fuzzing::load_catching_panics(&input) {
            let saved = dir.join("panics").join(format!("panic-{execs}.yaml"));
            std::fs::create_dir_all(saved.parent().expect("a parent"))?;
            std::fs::write(&saved, &input)?;
            problems.push(format!("{message} (input saved in {})", saved.display()));
        }
        execs += 1;
    }
    let _ = std::panic::take_hook();
    let fuzzed = Fuzzed {
        secs: started.elapsed().as_secs_f64(),
        execs,
        seeds: seeds.len(),
        panics: problems.len(),
    };
    let figures = vec![format!(
        "{} inputs in {:.0} s ({:.0}/s) from {} seed files: {} panics",
        fuzzed.execs,
        fuzzed.secs,
        fuzzed.execs as f64 / fuzzed.secs.max(1e-9),
        fuzzed.seeds,
        fuzzed.panics
    )];
    Ok(PartReport {
        part: Part::Fuzz,
        runs: execs,
        problems,
        figures,
        secs: 0.0,
        details: serde_json::to_value(&fuzzed)?,
    })
}
