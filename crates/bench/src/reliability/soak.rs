//! The fault soak: for each seed, an emulator that answers 5xx, 429, lost answers and late
//! writes (a failure answered at once, the write carried out later), with latency spikes
//! longer than the client's timeout; a generated contact center applied from empty, then a
//! 5 % change of it, each re-planned and re-applied until the plan is empty. Then, faults
//! off and every late write landed: live must equal the spec (an empty plan) and nothing may
//! exist twice.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{Part, PartReport};
use crate::generate::Size;
use crate::{secret, specdir};

/// Rounds of plan-and-apply before the soak calls a run not converging.
const MAX_ROUNDS: usize = 8;

/// What one seed went through.
#[derive(Clone, Debug, Default, Serialize)]
struct Seed {
    seed: u64,
    faults: emulator::Faults,
    /// Per stage (`from empty`, `5% change`): plan-and-apply rounds until the plan was empty.
    rounds: BTreeMap<String, usize>,
    /// Steps planned in each round, per stage.
    steps: BTreeMap<String, Vec<usize>>,
    /// Steps that failed in each round, per stage (a later round re-plans them).
    failed: BTreeMap<String, Vec<usize>>,
    /// Reads that failed outright (the round was retried).
    read_failures: usize,
    /// How steps got past trouble (`Found`, `Resent`, `AlreadyGone`, ...).
    recoveries: BTreeMap<String, usize>,
    /// Faults the emulator injected.
    injected: emulator::Injected,
    /// Latency spikes.
    spikes: usize,
    /// Requests the emulator received.
    requests: u64,
    /// Steps of the plan once faults were off (0 = live equals the spec).
    final_steps: BTreeMap<String, usize>,
    /// Natural keys held by more than one object.
    duplicates: Vec<String>,
    /// Objects at the end, by kind.
    objects: BTreeMap<String, usize>,
    secs: f64,
}

/// The fault mix of a seed: every seed has all five faults, at rates that differ by seed.
/// Late writes land 0.3 to 2 s after their failure was answered: after the executor's first
/// look (0.5 s) for most, before its second (2.5 s).
fn faults(seed: u64) -> emulator::Faults {
    emulator::Faults {
        latency_ms: 1,
        fail_rate: [0.03, 0.05, 0.08][(seed % 3) as usize],
        throttle_rate: [0.05, 0.03, 0.08][(seed % 3) as usize],
        retry_after_secs: seed % 2,
        drop_rate: [0.10, 0.05, 0.15][(seed % 3) as usize],
        late_rate: [0.03, 0.05, 0.02][(seed % 3) as usize],
        late_ms: [300, 1200, 2000][(seed % 3) as usize],
        seed: Some(seed),
        ..emulator::Faults::default()
    }
}

/// Runs the soak over `seeds`.
pub fn run(seeds: &[u64], size: &Size, dir: &Path) -> anyhow::Result<PartReport> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut results = Vec::new();
    let mut problems = Vec::new();
    for &seed in seeds {
        let (spec_dir, changed_dir) =
            super::write_specs(size, seed, &dir.join(format!("seed-{seed}")))?;
        let stages = [
            (
                "from empty".to_owned(),
                specdir::load_valid(&spec_dir)?,
                spec_dir,
            ),
            (
                "5% change".to_owned(),
                specdir::load_valid(&changed_dir)?,
                changed_dir,
            ),
        ];
        let result = runtime.block_on(soak_seed(seed, &stages))?;
        eprintln!(
            "   seed {seed}: rounds {:?}, injected {:?}, recoveries {:?}, duplicates {}",
            result.rounds,
            result.injected,
            result.recoveries,
            result.duplicates.len()
        );
        for (stage, steps) in &result.final_steps {
            if *steps != 0 {
                problems.push(format!(
                    "seed {seed}, {stage}: live differs from the spec by {steps} steps once faults stopped"
                ));
            }
        }
        for (stage, rounds) in &result.rounds {
            if *rounds > MAX_ROUNDS {
                problems.push(format!(
                    "seed {seed}, {stage}: no empty plan after {MAX_ROUNDS} rounds"
                ));
            }
        }
        for duplicate in &result.duplicates {
            problems.push(format!("seed {seed}: duplicate {duplicate}"));
        }
        results.push(result);
    }
    let injected: u64 = results
        .iter()
        .map(|r| r.injected.failed + r.injected.throttled + r.injected.dropped + r.injected.late)
        .sum();
    let mut recoveries: BTreeMap<String, usize> = BTreeMap::new();
    for r in &results {
        for (k, v) in &r.recoveries {
            *recoveries.entry(k.clone()).or_default() += v;
        }
    }
    let figures = results
        .iter()
        .map(|r| {
            format!(
                "seed {}: {} requests, {} failed + {} throttled + {} dropped + {} late ({} ms) + {} \
                 spikes; rounds {:?}; recoveries {:?}; final plan {:?}; {} duplicates; {:.0} s",
                r.seed,
                r.requests,
                r.injected.failed,
                r.injected.throttled,
                r.injected.dropped,
                r.injected.late,
                r.faults.late_ms,
                r.spikes,
                r.rounds,
                r.recoveries,
                r.final_steps,
                r.duplicates.len(),
                r.secs
            )
        })
        .chain([format!(
            "total: {injected} faults injected, recoveries {recoveries:?}"
        )])
        .collect();
    Ok(PartReport {
        part: Part::Soak,
        runs: seeds.len() as u64,
        problems,
        figures,
        secs: 0.0,
        details: serde_json::to_value(&results)?,
    })
}

async fn soak_seed(
    seed: u64,
    stages: &[(String, spec::Spec, std::path::PathBuf)],
) -> anyhow::Result<Seed> {
    let started = Instant::now();
    let mut config = emulator::Config::new(vec![secret::key()]);
    config.faults = faults(seed);
    let emu = Arc::new(emulator::spawn("127.0.0.1:0".parse()?, config).await?);
    let mut client_config = pcc::Config::with_endpoint(
        &emu.url(),
        pcc::Credentials {
            sid: secret::SID.to_owned(),
            secret: pcc::Secret::new(secret::SECRET),
        },
    );
    // Spikes run past this, so that some writes time out on the client while the server
    // still carries them out.
    client_config.timeout = Duration::from_secs(2);
    let client = pcc::Client::new(client_config)?;
    let mut result = Seed {
        seed,
        faults: faults(seed),
        ..Seed::default()
    };

    // Latency spikes: now and then, for a moment, every request waits 0.5 to 3 s. Fault
    // changes go through `paused` so that a spike cannot start while a verdict is read.
    let stop = Arc::new(AtomicBool::new(false));
    let paused = Arc::new(Mutex::new(false));
    let spikes = tokio::spawn({
        let emu = emu.clone();
        let stop = stop.clone();
        let paused = paused.clone();
        async move {
            let mut rng = fastrand::Rng::with_seed(seed.wrapping_mul(31));
            let base = emulator::Faults {
                seed: None,
                ..faults(seed)
            };
            let mut count = 0;
            while !stop.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(rng.u64(300..1500))).await;
                let spike = rng.u64(500..3000);
                {
                    let paused = paused.lock().unwrap_or_else(PoisonError::into_inner);
                    if *paused {
                        continue;
                    }
                    emu.set_faults(emulator::Faults {
                        latency_ms: spike,
                        ..base.clone()
                    });
                }
                tokio::time::sleep(Duration::from_millis(rng.u64(20..150))).await;
                let paused = paused.lock().unwrap_or_else(PoisonError::into_inner);
                if !*paused {
                    emu.set_faults(base.clone());
                }
                count += 1;
            }
            count
        }
    });
    let pause = |on: bool| {
        let mut paused = paused.lock().unwrap_or_else(PoisonError::into_inner);
        *paused = on;
        emu.set_faults(emulator::Faults {
            seed: None,
            ..if on {
                emulator::Faults::default()
            } else {
                faults(seed)
            }
        });
    };

    for (stage, spec, root) in stages {
        let scopes = pcc::ReadScope::ALL.into_iter().collect();
        let options = pcc::ReadOptions {
            concurrency: 8,
            scopes,
            parents: None,
        };
        let mut rounds = 0;
        loop {
            rounds += 1;
            if rounds > MAX_ROUNDS {
                break;
            }
            let live = match pcc::read_live(&client, &options).await {
                Ok(live) => live,
                Err(err) => {
                    eprintln!("   seed {seed}, {stage}: read failed ({err}); again");
                    result.read_failures += 1;
                    continue;
                }
            };
            let plan = planner::plan(&spec.model, &live.model, &spec.policy);
            result
                .steps
                .entry(stage.clone())
                .or_default()
                .push(plan.steps.len());
            if plan.steps.is_empty() {
                break;
            }
            let config = executor::Config {
                audio_root: root.clone(),
                ..executor::Config::default()
            };
            let report = executor::apply(&plan, &live.ids, &client, &config, |_| {}).await;
            let mut failed = 0;
            for step in &report.steps {
                match &step.outcome {
                    executor::Outcome::Done(done) => {
                        if let Some(recovery) = &done.recovery {
                            let name = format!("{recovery:?}");
                            let name = name
                                .split([' ', '{', '('])
                                .next()
                                .unwrap_or_default()
                                .to_owned();
                            *result.recoveries.entry(name).or_default() += 1;
                        }
                    }
                    executor::Outcome::Failed(_) => failed += 1,
                    _ => {}
                }
            }
            result.failed.entry(stage.clone()).or_default().push(failed);
        }
        result.rounds.insert(stage.clone(), rounds);

        // The verdict, with faults off and every late write landed.
        pause(true);
        emu.late_writes_landed().await;
        let live = pcc::read_live(&client, &options).await?;
        let plan = planner::plan(&spec.model, &live.model, &spec.policy);
        result.final_steps.insert(stage.clone(), plan.steps.len());
        pause(false);
    }
    stop.store(true, Ordering::Relaxed);
    pause(true);
    emu.late_writes_landed().await;
    result.spikes = spikes.await.unwrap_or(0);
    let stats = emu.stats();
    result.injected = stats.injected;
    result.requests = stats.reads + stats.writes;
    let state = emu.state();
    result.duplicates = e2e::soak::duplicates(&state);
    result.objects = e2e::soak::counts(&state);
    result.secs = started.elapsed().as_secs_f64();
    Ok(result)
}
