//! SIGKILL, of `switchboard apply` and of the emulator, at random points, many times over;
//! then everything is run to the end and checked: live equals the spec, nothing exists twice,
//! no acknowledged write is lost, the state file is sound.

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::Serialize;
use serde_json::Value;

use super::{Part, PartReport};
use crate::generate::Size;
use crate::secret;

/// How often a poll looks at a count (this is a program, not a test: it may poll).
const POLL: Duration = Duration::from_millis(1);

/// Longest an apply may take to stop once its PCC is dead.
const MAX_SECS_TO_STOP: f64 = 20.0;

/// Every run's outputs go to files in `logs`, checked for the secret at the end.
fn logged(command: &mut Command, logs: &Path, name: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(logs)?;
    command
        .stdout(std::fs::File::create(logs.join(format!("{name}.out")))?)
        .stderr(std::fs::File::create(logs.join(format!("{name}.err")))?);
    Ok(())
}

fn kill(child: &mut Child) -> anyhow::Result<bool> {
    let running = child.try_wait()?.is_none();
    if running {
        child.kill()?; // SIGKILL on Unix
    }
    child.wait()?;
    Ok(running)
}

/// Steps the plan of `spec` has against `pcc` now (via `switchboard plan --format json`).
fn pending(work: &e2e::Workdir, pcc_env: &[(&str, String)], spec: &str) -> anyhow::Result<usize> {
    let mut cmd = work.switchboard(["plan", spec, "--format", "json"]);
    for (name, value) in pcc_env {
        cmd = cmd.env(name, value);
    }
    let out = cmd.run();
    anyhow::ensure!(out.code == 0, "plan failed: {}", out.stderr);
    let plan: Value = serde_json::from_str(&out.stdout)?;
    Ok(plan["resource_changes"].as_array().map_or(0, Vec::len))
}

#[derive(Debug, Default, Serialize)]
struct ApplyKills {
    kills: usize,
    /// Kills that landed while the apply was running (the others found it finished).
    mid_apply: usize,
    /// Kills before the apply's first write (during the read or the plan).
    before_first_write: usize,
    /// Writes the killed runs made, in total.
    writes_in_killed_runs: u64,
    /// Per stage: the exit of the final apply, the steps a plan found after it.
    final_exit: Vec<(String, i32)>,
    final_pending: Vec<(String, usize)>,
    duplicates: Vec<String>,
}

/// `switchboard apply` killed `kills` times at random points (half while creating the
/// contact center from empty, half while applying a 5 % change of it), each time re-run.
pub fn apply(kills: usize, size: &Size, dir: &Path) -> anyhow::Result<PartReport> {
    super::switchboard_binary()?;
    let pcc = e2e::Pcc::with(emulator::Config {
        faults: emulator::Faults {
            latency_ms: 2,
            ..emulator::Faults::default()
        },
        ..emulator::Config::new(vec![secret::key()])
    });
    let work = e2e::Workdir::new();
    super::write_specs(size, 7, work.path())?;
    let env = [
        ("SWITCHBOARD_ENDPOINT", pcc.url()),
        ("STRINGEE_API_KEY_SID", secret::SID.to_owned()),
        ("STRINGEE_API_KEY_SECRET", secret::SECRET.to_owned()),
    ];
    let logs = dir.join("logs");
    let mut rng = fastrand::Rng::with_seed(7);
    let mut report = ApplyKills::default();
    let mut problems = Vec::new();
    for (stage, spec, share) in [("from empty", "spec", 0), ("5% change", "changed", 1)] {
        let stage_kills = kills / 2 + share * (kills % 2);
        for i in 0..stage_kills {
            let left = pending(&work, &env, spec)?;
            if left == 0 {
                problems.push(format!(
                    "{stage}: nothing left to apply after {i} kills (lower the kill points)"
                ));
                break;
            }
            let before = pcc.stats().writes;
            let mut cmd = work.switchboard(["apply", spec, "--auto-approve"]);
            for (name, value) in &env {
                cmd = cmd.env(name, value);
            }
            let mut command = cmd.command();
            logged(&mut command, &logs, &format!("{spec}-{i}"))?;
            let mut child = command.spawn()?;
            // One kill in five lands before any write; the others after a random share of
            // the first three quarters of what is left. A target near the end let the apply
            // finish its last writes before the kill landed, leaving the stage's later kills
            // nothing to interrupt (one run in several, depending on timing).
            let target = if rng.u8(0..5) == 0 {
                0
            } else {
                rng.u64(1..=(left as u64 * 3 / 4).max(1))
            };
            if target == 0 {
                std::thread::sleep(Duration::from_millis(rng.u64(0..40)));
            } else {
                while pcc.stats().writes - before < target && child.try_wait()?.is_none() {
                    std::thread::sleep(POLL);
                }
            }
            let writes = pcc.stats().writes - before;
            report.kills += 1;
            if kill(&mut child)? {
                report.mid_apply += 1;
                if writes == 0 {
                    report.before_first_write += 1;
                }
            }
            report.writes_in_killed_runs += writes;
        }
        let mut cmd = work.switchboard(["apply", spec, "--auto-approve"]);
        for (name, value) in &env {
            cmd = cmd.env(name, value);
        }
        let out = cmd.run();
        report.final_exit.push((stage.to_owned(), out.code));
        if out.code != 0 {
            problems.push(format!(
                "{stage}: the final apply exited {}: {}",
                out.code,
                out.stderr.lines().last().unwrap_or_default()
            ));
        }
        let left = pending(&work, &env, spec)?;
        report.final_pending.push((stage.to_owned(), left));
        if left != 0 {
            problems.push(format!(
                "{stage}: {left} steps still pending after the final apply"
            ));
        }
    }
    report.duplicates = e2e::soak::duplicates(&pcc.state());
    for duplicate in &report.duplicates {
        problems.push(format!("duplicate {duplicate}"));
    }
    secret::scan_dir(work.path())?;
    let figures = vec![
        format!(
            "{} kills: {} mid-apply ({} before the first write), {} writes made by killed runs",
            report.kills, report.mid_apply, report.before_first_write, report.writes_in_killed_runs
        ),
        format!(
            "final apply exits {:?}; steps pending after it {:?}; {} duplicates",
            report.final_exit,
            report.final_pending,
            report.duplicates.len()
        ),
    ];
    Ok(PartReport {
        part: Part::KillApply,
        runs: report.kills as u64,
        problems,
        figures,
        secs: 0.0,
        details: serde_json::to_value(&report)?,
    })
}

/// `switchboard emulator` on `state`, started; answers the process and its URL.
fn start_emulator(state: &Path, logs: &Path, name: &str) -> anyhow::Result<(Child, String)> {
    let mut child = Command::new(super::switchboard_binary()?)
        .args(["emulator", "--listen", "127.0.0.1:0", "--state"])
        .arg(state)
        .arg("--api-key")
        .arg(format!("{}:{}", secret::SID, secret::SECRET))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(logs.join(format!("{name}.err")))?)
        .spawn()?;
    let stdout = child.stdout.take().context("the emulator's stdout")?;
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first)?;
    let url = first
        .trim()
        .strip_prefix("listening on ")
        .with_context(|| format!("the emulator said `{}`", first.trim()))?
        .to_owned();
    Ok((child, url))
}

/// `GET /_emulator/stats` over a plain socket: the writes count.
fn writes_of(url: &str) -> Option<u64> {
    let addr = url.strip_prefix("http://")?;
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET /_emulator/stats HTTP/1.0\r\nHost: {addr}\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let (_, body) = answer.split_once("\r\n\r\n")?;
    serde_json::from_str::<Value>(body).ok()?["writes"].as_u64()
}

fn client(url: &str) -> anyhow::Result<pcc::Client> {
    let mut config = pcc::Config::with_endpoint(
        url,
        pcc::Credentials {
            sid: secret::SID.to_owned(),
            secret: pcc::Secret::new(secret::SECRET),
        },
    );
    // A refused connection must end the writer at once, not after retries.
    config.retry.max_attempts = 1;
    config.timeout = Duration::from_secs(5);
    Ok(pcc::Client::new(config)?)
}

#[derive(Debug, Default, Serialize)]
struct EmulatorKills {
    lives: usize,
    acknowledged: usize,
    /// Writes in flight when the emulator died (sent, never answered).
    in_flight_at_kill: usize,
    /// Of the acknowledged writes, missing after restart (must be 0).
    lost: usize,
    /// Objects present that no writer saw acknowledged (committed, answer lost with the
    /// process: allowed).
    committed_unacknowledged: usize,
    integrity: String,
    state_file_bytes: u64,
    /// Apply under emulator kills.
    apply_lives: usize,
    apply_exits_after_kill: Vec<i32>,
    apply_secs_to_fail: Vec<f64>,
    /// Per life, the steps the apply said it did not start once PCC stopped answering
    /// (`None` when it did not say so).
    apply_not_started: Vec<Option<usize>>,
    apply_final_exit: i32,
    apply_final_pending: usize,
    duplicates: Vec<String>,
}

/// The emulator killed `lives` times under four writers (every acknowledged write must
/// survive), then `lives` times under a running `switchboard apply` (which is re-run after
/// each restart and must converge).
pub fn emulator(lives: usize, size: &Size, dir: &Path) -> anyhow::Result<PartReport> {
    super::switchboard_binary()?;
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs)?;
    let mut report = EmulatorKills::default();
    let mut problems = Vec::new();
    let mut rng = fastrand::Rng::with_seed(11);

    // Raw writers.
    let state = dir.join("writes.db");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    for life in 0..lives {
        let (mut child, url) = start_emulator(&state, &logs, &format!("writes-{life}"))?;
        let client = client(&url)?;
        let before = acked.lock().unwrap_or_else(PoisonError::into_inner).len();
        let target = before + rng.usize(200..1500);
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let client = client.clone();
                let acked = acked.clone();
                runtime.spawn(async move { write_until_gone(&client, life, w, &acked).await })
            })
            .collect();
        while acked.lock().unwrap_or_else(PoisonError::into_inner).len() < target
            && !writers.iter().all(|w| w.is_finished())
        {
            std::thread::sleep(POLL);
        }
        kill(&mut child)?;
        for writer in writers {
            if runtime.block_on(writer)? {
                report.in_flight_at_kill += 1;
            }
        }
        report.lives += 1;
    }
    let acked = acked.lock().unwrap_or_else(PoisonError::into_inner).clone();
    report.acknowledged = acked.len();
    report.state_file_bytes = std::fs::metadata(&state).map_or(0, |m| m.len());
    let db = rusqlite::Connection::open(&state)?;
    report.integrity = db.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    drop(db);
    if report.integrity != "ok" {
        problems.push(format!("integrity_check: {}", report.integrity));
    }
    let stored: BTreeSet<String> = runtime.block_on(async {
        let config = emulator::Config {
            state: Some(state.clone()),
            ..emulator::Config::new(vec![secret::key()])
        };
        let emu = emulator::spawn("127.0.0.1:0".parse()?, config).await?;
        let dump = emu.state();
        emu.shutdown().await;
        anyhow::Ok(
            ["agents", "groups"]
                .iter()
                .flat_map(|list| dump[*list].as_array().cloned().unwrap_or_default())
                .filter_map(|o| o["id"].as_str().map(str::to_owned))
                .collect(),
        )
    })?;
    let acked_set: BTreeSet<&String> = acked.iter().collect();
    report.lost = acked.iter().filter(|id| !stored.contains(*id)).count();
    report.committed_unacknowledged = stored.iter().filter(|id| !acked_set.contains(id)).count();
    if report.lost > 0 {
        problems.push(format!(
            "{} of {} acknowledged writes lost",
            report.lost, report.acknowledged
        ));
    }

    // Apply under emulator kills.
    let work = e2e::Workdir::new();
    super::write_specs(size, 13, work.path())?;
    let state = dir.join("apply.db");
    let apply = |url: &str| {
        work.switchboard(["apply", "spec", "--auto-approve"])
            .env("SWITCHBOARD_ENDPOINT", url)
            .env("STRINGEE_API_KEY_SID", secret::SID)
            .env("STRINGEE_API_KEY_SECRET", secret::SECRET)
    };
    let objects = crate::generate::objects(&crate::generate::center(size, 13).model);
    for life in 0..lives {
        let (mut emu, url) = start_emulator(&state, &logs, &format!("apply-emulator-{life}"))?;
        let mut command = apply(&url).command();
        logged(&mut command, &logs, &format!("apply-{life}"))?;
        let mut child = command.spawn()?;
        let before = writes_of(&url).unwrap_or(0);
        let target = rng.u64(1..=(objects / lives as u64).max(2));
        while writes_of(&url).unwrap_or(0) - before < target && child.try_wait()?.is_none() {
            std::thread::sleep(Duration::from_millis(5));
        }
        kill(&mut emu)?;
        let killed = Instant::now();
        // Once PCC is gone, apply must stop by itself (exit 1) and say so; give it two
        // minutes at most.
        let exit = loop {
            if let Some(status) = child.try_wait()? {
                break status.code().unwrap_or(-1);
            }
            if killed.elapsed() > Duration::from_secs(120) {
                kill(&mut child)?;
                problems.push(format!(
                    "life {life}: apply still running 120 s after the emulator died"
                ));
                break -1;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let secs = killed.elapsed().as_secs_f64();
        let log = std::fs::read_to_string(logs.join(format!("apply-{life}.err")))?;
        let not_started = log
            .split("PCC stopped answering: ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse::<usize>().ok());
        if exit == 1 && not_started.is_none() {
            problems.push(format!(
                "life {life}: apply failed without saying that PCC stopped answering"
            ));
        }
        // The client's retries of a refused connection take about 5 s, and the look-ups
        // of the steps cut off mid-write as long again at most.
        if exit != 0 && secs > MAX_SECS_TO_STOP {
            problems.push(format!(
                "life {life}: apply took {secs:.1} s to stop after the emulator died (more than \
                 {MAX_SECS_TO_STOP} s)"
            ));
        }
        report.apply_exits_after_kill.push(exit);
        report.apply_secs_to_fail.push(secs);
        report.apply_not_started.push(not_started);
        report.apply_lives += 1;
    }
    let (mut emu, url) = start_emulator(&state, &logs, "apply-emulator-final")?;
    let out = apply(&url).run();
    report.apply_final_exit = out.code;
    let mut plan = work
        .switchboard(["plan", "spec", "--format", "json"])
        .env("SWITCHBOARD_ENDPOINT", &url)
        .env("STRINGEE_API_KEY_SID", secret::SID)
        .env("STRINGEE_API_KEY_SECRET", secret::SECRET)
        .run();
    if plan.code != 0 {
        plan.stdout = "{}".to_owned();
    }
    let pending: Value = serde_json::from_str(&plan.stdout)?;
    report.apply_final_pending = pending["resource_changes"].as_array().map_or(0, Vec::len);
    kill(&mut emu)?;
    if report.apply_final_exit != 0 || report.apply_final_pending != 0 {
        problems.push(format!(
            "apply after {} emulator kills: exit {}, {} steps pending",
            lives, report.apply_final_exit, report.apply_final_pending
        ));
    }
    let dump = runtime.block_on(async {
        let config = emulator::Config {
            state: Some(state.clone()),
            ..emulator::Config::new(vec![secret::key()])
        };
        let emu = emulator::spawn("127.0.0.1:0".parse()?, config).await?;
        let dump = emu.state();
        emu.shutdown().await;
        anyhow::Ok(dump)
    })?;
    report.duplicates = e2e::soak::duplicates(&dump);
    for duplicate in &report.duplicates {
        problems.push(format!("duplicate {duplicate}"));
    }
    secret::scan_dir(work.path())?;

    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let figures = vec![
        format!(
            "writers: {} lives, {} writes acknowledged, {} in flight at the kills, {} lost, \
             {} committed but unacknowledged; integrity_check {}; state file {} KiB",
            report.lives,
            report.acknowledged,
            report.in_flight_at_kill,
            report.lost,
            report.committed_unacknowledged,
            report.integrity,
            report.state_file_bytes / 1024
        ),
        format!(
            "apply: {} emulator kills mid-apply; apply exits after the kill {:?}, {:.1} s on \
             average to stop (longest {:.1} s), steps not started {:?}; final apply exit {}, {} \
             steps pending, {} duplicates",
            report.apply_lives,
            report.apply_exits_after_kill,
            mean(&report.apply_secs_to_fail),
            report
                .apply_secs_to_fail
                .iter()
                .copied()
                .fold(0.0, f64::max),
            report
                .apply_not_started
                .iter()
                .map(|n| n.map_or_else(|| "-".to_owned(), |n| n.to_string()))
                .collect::<Vec<_>>(),
            report.apply_final_exit,
            report.apply_final_pending,
            report.duplicates.len()
        ),
    ];
    Ok(PartReport {
        part: Part::KillEmulator,
        runs: (report.lives + report.apply_lives) as u64,
        problems,
        figures,
        secs: 0.0,
        details: serde_json::to_value(&report)?,
    })
}

/// Creates agents and groups until the server is gone; answers whether a write was in
/// flight (sent, never answered) when it went.
async fn write_until_gone(
    client: &pcc::Client,
    life: usize,
    writer: usize,
    acked: &Mutex<Vec<String>>,
) -> bool {
    for i in 0.. {
        let created = if i % 2 == 0 {
            client
                .create::<pcc::wire::Agent>(&pcc::wire::AgentBody {
                    name: Some(format!("Writer {writer}")),
                    stringee_user_id: Some(format!("l{life}-w{writer}-{i}")),
                    ..pcc::wire::AgentBody::default()
                })
                .await
        } else {
            client
                .create::<pcc::wire::Group>(&pcc::wire::GroupBody {
                    name: format!("l{life}-w{writer}-{i}"),
                })
                .await
        };
        match created {
            Ok(id) => acked
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(id),
            Err(pcc::Error::Uncertain { .. }) => return true,
            Err(_) => return false,
        }
    }
    false
}
