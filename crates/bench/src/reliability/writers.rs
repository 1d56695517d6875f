//! Two writers, one project. `two-writers`: several applies of the generated contact center
//! at once, from empty (every create races), against one emulator that loses answers and
//! carries writes out late, over several seeds; then nothing may be held twice, every apply
//! must have succeeded, and a fresh plan must be empty. A control run with the check off
//! (`executor::Config::single_writer`) counts what the check prevents. `kill-rerun`:
//! `switchboard apply` killed with SIGKILL the moment one of its writes is answered late (it
//! lands up to 2 s later), and run again at once: the re-run must exit 0 and, once every late
//! write landed, nothing may be held twice.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{Part, PartReport};
use crate::generate::Size;
use crate::{secret, specdir};

/// The faults of a two-writers seed: none for seeds divisible by 3 (the race alone); lost
/// answers and late writes for the others, at rates and delays that differ by seed.
fn faults(seed: u64) -> emulator::Faults {
    let i = (seed % 3) as usize;
    emulator::Faults {
        latency_ms: 2,
        drop_rate: [0.0, 0.03, 0.05][i],
        late_rate: [0.0, 0.02, 0.03][i],
        late_ms: [0, 1200, 2000][i],
        seed: Some(seed),
        ..emulator::Faults::default()
    }
}

/// What one writer did.
#[derive(Clone, Debug, Default, Serialize)]
struct Writer {
    /// Steps planned.
    steps: usize,
    /// Steps failed, with their errors.
    failed: Vec<String>,
    /// Reads that failed before the plan (read again).
    read_failures: usize,
    /// How steps met trouble or the other writers (`Raced`, `Existed`, `Found`...).
    recoveries: BTreeMap<String, usize>,
    secs: f64,
}

/// What one seed's run found.
#[derive(Clone, Debug, Default, Serialize)]
struct Race {
    seed: u64,
    single_writer: bool,
    writers: Vec<Writer>,
    injected: emulator::Injected,
    /// Natural keys held twice at the end, audio uploads aside.
    held_twice: Vec<String>,
    /// Audio contents uploaded more than once (PCC cannot delete an upload).
    audio_twice: usize,
    /// Steps of a fresh plan at the end (`None`: the read refused the project).
    final_steps: Option<usize>,
    secs: f64,
}

fn kind(recovery: &executor::Recovery) -> String {
    let name = format!("{recovery:?}");
    name.split([' ', '{', '('])
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// `writers` applies at once per seed, plus a control run with the check off.
pub fn two_writers(
    seeds: &[u64],
    writers: usize,
    size: &Size,
    dir: &Path,
) -> anyhow::Result<PartReport> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut races = Vec::new();
    let mut problems = Vec::new();
    let runs = seeds
        .iter()
        .map(|&seed| (seed, false))
        .chain(seeds.first().map(|&seed| (seed, true)));
    for (seed, single_writer) in runs {
        let root = dir.join(format!(
            "seed-{seed}{}",
            if single_writer { "-control" } else { "" }
        ));
        let (spec_dir, _) = super::write_specs(size, seed, &root)?;
        let spec = specdir::load_valid(&spec_dir)?;
        let race = runtime.block_on(race(seed, writers, single_writer, &spec, &spec_dir))?;
        eprintln!(
            "   seed {seed}{}: held twice {}, failed steps {:?}, final plan {:?}",
            if single_writer { " (control)" } else { "" },
            race.held_twice.len(),
            race.writers
                .iter()
                .map(|w| w.failed.len())
                .collect::<Vec<_>>(),
            race.final_steps
        );
        if single_writer {
            if race.held_twice.is_empty() {
                problems.push(format!(
                    "control (seed {seed}): no key held twice without the check, so the race \
                     this part runs proves nothing"
                ));
            }
        } else {
            for key in &race.held_twice {
                problems.push(format!("seed {seed}: held twice: {key}"));
            }
            for (i, w) in race.writers.iter().enumerate() {
                for failure in &w.failed {
                    problems.push(format!("seed {seed}, writer {i}: {failure}"));
                }
            }
            if race.final_steps != Some(0) {
                problems.push(format!(
                    "seed {seed}: a fresh plan after the race has {:?} steps",
                    race.final_steps
                ));
            }
        }
        races.push(race);
    }
    let figures = races
        .iter()
        .map(|r| {
            let mut met: BTreeMap<&str, usize> = BTreeMap::new();
            for w in &r.writers {
                for (k, n) in &w.recoveries {
                    *met.entry(k.as_str()).or_default() += n;
                }
            }
            format!(
                "seed {}{}: {} writers, steps planned {:?}, {} steps failed, {} read failures; \
                 recoveries {met:?}; injected {} lost answers + {} late writes; held twice \
                 after: {} (audio contents uploaded twice: {}); fresh plan: {}; {:.0} s",
                r.seed,
                if r.single_writer {
                    " (control: check off)"
                } else {
                    ""
                },
                r.writers.len(),
                r.writers.iter().map(|w| w.steps).collect::<Vec<_>>(),
                r.writers.iter().map(|w| w.failed.len()).sum::<usize>(),
                r.writers.iter().map(|w| w.read_failures).sum::<usize>(),
                r.injected.dropped,
                r.injected.late,
                r.held_twice.len(),
                r.audio_twice,
                r.final_steps
                    .map_or("refused (duplicates)".to_owned(), |n| format!("{n} steps")),
                r.secs
            )
        })
        .collect();
    Ok(PartReport {
        part: Part::TwoWriters,
        runs: races.len() as u64,
        problems,
        figures,
        secs: 0.0,
        details: serde_json::to_value(&races)?,
    })
}

fn client(url: &str) -> anyhow::Result<pcc::Client> {
    Ok(pcc::Client::new(pcc::Config::with_endpoint(
        url,
        pcc::Credentials {
            sid: secret::SID.to_owned(),
            secret: pcc::Secret::new(secret::SECRET),
        },
    ))?)
}

async fn race(
    seed: u64,
    writers: usize,
    single_writer: bool,
    spec: &spec::Spec,
    root: &Path,
) -> anyhow::Result<Race> {
    let started = Instant::now();
    let mut config = emulator::Config::new(vec![secret::key()]);
    config.faults = if single_writer {
        emulator::Faults {
            latency_ms: 2,
            ..emulator::Faults::default()
        }
    } else {
        faults(seed)
    };
    let emu = emulator::spawn("127.0.0.1:0".parse()?, config).await?;
    let model = Arc::new(spec.model.clone());
    let policy = Arc::new(spec.policy.clone());
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..writers {
        let client = client(&emu.url())?;
        let (model, policy, root) = (model.clone(), policy.clone(), root.to_path_buf());
        tasks.spawn(async move {
            let began = Instant::now();
            let mut writer = Writer::default();
            let live = loop {
                match pcc::read_live(&client, &pcc::ReadOptions::default()).await {
                    Ok(live) => break live,
                    // As `switchboard apply` does: another writer's copies go within
                    // seconds (3 s of reads, every 0.5 s).
                    Err(err) if writer.read_failures < 6 => {
                        eprintln!("   a writer's read failed ({err}); reading again");
                        writer.read_failures += 1;
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                    Err(err) => {
                        writer.failed.push(format!("cannot read: {err}"));
                        return writer;
                    }
                }
            };
            let plan = planner::plan(&model, &live.model, &policy);
            writer.steps = plan.steps.len();
            let config = executor::Config {
                audio_root: root,
                started: Some(began),
                single_writer,
                ..executor::Config::default()
            };
            let report = executor::apply(&plan, &live.ids, &client, &config, |_| {}).await;
            for step in &report.steps {
                match &step.outcome {
                    executor::Outcome::Done(done) => {
                        if let Some(recovery) = &done.recovery {
                            *writer.recoveries.entry(kind(recovery)).or_default() += 1;
                        }
                    }
                    executor::Outcome::Failed(err) => {
                        writer.failed.push(format!("{}: {err}", step.address));
                    }
                    other => writer.failed.push(format!("{}: {other:?}", step.address)),
                }
            }
            writer.secs = began.elapsed().as_secs_f64();
            writer
        });
    }
    let mut result = Race {
        seed,
        single_writer,
        ..Race::default()
    };
    while let Some(writer) = tasks.join_next().await {
        result.writers.push(writer?);
    }
    emu.set_faults(emulator::Faults::default());
    emu.late_writes_landed().await;
    let state = emu.state();
    let (audio, others): (Vec<String>, Vec<String>) = e2e::soak::duplicates(&state)
        .into_iter()
        .partition(|d| d.starts_with("greetingFiles"));
    result.held_twice = others;
    result.audio_twice = audio.len();
    result.injected = emu.stats().injected;
    result.final_steps = pcc::read_live(&client(&emu.url())?, &pcc::ReadOptions::default())
        .await
        .ok()
        .map(|live| {
            planner::plan(&spec.model, &live.model, &spec.policy)
                .steps
                .len()
        });
    result.secs = started.elapsed().as_secs_f64();
    Ok(result)
}

/// One kill and its re-run.
#[derive(Clone, Debug, Default, Serialize)]
struct Rerun {
    /// `from empty` or `5% change`.
    stage: String,
    /// How late the emulator carried late writes out.
    late_ms: u64,
    /// Writes the killed run made.
    writes_before_kill: u64,
    /// The kill landed the moment a write was answered late (false: the apply ended first).
    killed_with_a_late_write_in_flight: bool,
    rerun_exit: i32,
    rerun_secs: f64,
    /// Steps of the re-run that met a copy (adopted it, or deleted one).
    rerun_met: usize,
    held_twice: Vec<String>,
    /// Steps of a plan after the re-run (`None`: the plan refused the project).
    final_steps: Option<usize>,
}

/// `kills` times: a fresh emulator that carries 10 % of writes out late; `switchboard
/// apply` killed past a random number of writes, the moment a write is answered late; run
/// again at once (late writes still landing, and faults still on).
pub fn kill_rerun(kills: usize, size: &Size, dir: &Path) -> anyhow::Result<PartReport> {
    super::switchboard_binary()?;
    let work = e2e::Workdir::new();
    super::write_specs(size, 11, work.path())?;
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs)?;
    let mut rng = fastrand::Rng::with_seed(11);
    let mut runs = Vec::new();
    let mut problems = Vec::new();
    for i in 0..kills {
        let late_ms = [300, 1200, 2000][i % 3];
        let faults = emulator::Faults {
            latency_ms: 2,
            late_rate: 0.10,
            late_ms,
            seed: Some(i as u64),
            ..emulator::Faults::default()
        };
        let pcc = e2e::Pcc::with(emulator::Config::new(vec![secret::key()]));
        // Odd runs kill the 5 % change: the contact center is applied first, faults off.
        let (stage, spec) = if i % 2 == 0 {
            ("from empty", "spec")
        } else {
            let out = work
                .switchboard(["apply", "spec", "--auto-approve"])
                .against(&pcc)
                .run();
            anyhow::ensure!(out.code == 0, "the setup apply failed: {}", out.stderr);
            ("5% change", "changed")
        };
        pcc.set_faults(faults);
        let left = pending(&work, &pcc, spec)?;
        let mut run = Rerun {
            stage: stage.to_owned(),
            late_ms,
            ..Rerun::default()
        };
        let before = pcc.stats().writes;
        let mut command = work
            .switchboard(["apply", spec, "--auto-approve"])
            .against(&pcc)
            .command();
        command
            .stdout(std::fs::File::create(logs.join(format!("{i}-killed.out")))?)
            .stderr(std::fs::File::create(logs.join(format!("{i}-killed.err")))?)
            .stdin(Stdio::null());
        let mut child = command.spawn()?;
        let target = rng.u64(1..=(left as u64 * 3 / 4).max(1));
        let mut mark = None;
        loop {
            let stats = pcc.stats();
            if stats.writes - before >= target {
                match mark {
                    None => mark = Some(stats.injected.late),
                    Some(m) if stats.injected.late > m => {
                        run.killed_with_a_late_write_in_flight = true;
                        break;
                    }
                    Some(_) => {}
                }
            }
            if child.try_wait()?.is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let _ = child.kill();
        child.wait()?;
        run.writes_before_kill = pcc.stats().writes - before;

        let began = Instant::now();
        let out = work
            .switchboard(["apply", spec, "--auto-approve"])
            .against(&pcc)
            .run();
        run.rerun_secs = began.elapsed().as_secs_f64();
        run.rerun_exit = out.code;
        std::fs::write(logs.join(format!("{i}-rerun.out")), &out.stdout)?;
        std::fs::write(logs.join(format!("{i}-rerun.err")), &out.stderr)?;
        run.rerun_met = out
            .stdout
            .lines()
            .filter(|l| {
                l.contains("made more than once") || l.contains("another writer had made it")
            })
            .count();
        pcc.wait_late_writes();
        run.held_twice = e2e::soak::duplicates(&pcc.state());
        pcc.set_faults(emulator::Faults::default());
        run.final_steps = pending(&work, &pcc, spec).ok();
        if run.rerun_exit != 0 {
            problems.push(format!(
                "kill {i} ({stage}): the re-run exited {}: {}",
                run.rerun_exit,
                out.stderr.lines().last().unwrap_or_default()
            ));
        }
        for key in &run.held_twice {
            problems.push(format!("kill {i} ({stage}): held twice: {key}"));
        }
        match run.final_steps {
            Some(0) => {}
            Some(n) => problems.push(format!(
                "kill {i} ({stage}): {n} steps pending after the re-run"
            )),
            None => problems.push(format!(
                "kill {i} ({stage}): a plan after the re-run refused the project"
            )),
        }
        runs.push(run);
    }
    secret::scan_dir(work.path())?;
    let in_flight = runs
        .iter()
        .filter(|r| r.killed_with_a_late_write_in_flight)
        .count();
    let figures = vec![
        format!(
            "{} kills, {in_flight} the moment a write was answered late (landing 0.3, 1.2 or 2 s \
             later), after {} writes in all; re-runs exited {:?}",
            runs.len(),
            runs.iter().map(|r| r.writes_before_kill).sum::<u64>(),
            runs.iter().map(|r| r.rerun_exit).collect::<Vec<_>>()
        ),
        format!(
            "re-runs met {} copies or objects made by the killed run; {:.1} s a re-run on average; \
             held twice after every late write landed: {}; steps pending after: {:?}",
            runs.iter().map(|r| r.rerun_met).sum::<usize>(),
            runs.iter().map(|r| r.rerun_secs).sum::<f64>() / runs.len().max(1) as f64,
            runs.iter().map(|r| r.held_twice.len()).sum::<usize>(),
            runs.iter().map(|r| r.final_steps).collect::<Vec<_>>()
        ),
    ];
    Ok(PartReport {
        part: Part::KillRerun,
        runs: runs.len() as u64,
        problems,
        figures,
        secs: 0.0,
        details: serde_json::to_value(&runs)?,
    })
}

/// Steps the plan of `spec` has against `pcc` now.
fn pending(work: &e2e::Workdir, pcc: &e2e::Pcc, spec: &str) -> anyhow::Result<usize> {
    let out = work
        .switchboard(["plan", spec, "--format", "json"])
        .against(pcc)
        .run();
    anyhow::ensure!(out.code == 0, "plan failed: {}", out.stderr);
    let plan: serde_json::Value = serde_json::from_str(&out.stdout)?;
    Ok(plan["resource_changes"].as_array().map_or(0, Vec::len))
}
