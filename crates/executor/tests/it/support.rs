//! The emulator on 127.0.0.1:0, a client with quick retries, and the checks every test
//! makes: read the live project, plan against it, apply, and look for duplicates in the
//! emulator's own state.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use executor::{ApplyReport, Config, Event, Outcome};
use pcc::{Client, Credentials, Live, ReadOptions, RetryPolicy, read_live};
use planner::Plan;
use serde_json::Value;
use spec::Policy;
use spec::model::Model;

pub const SID: &str = "SKexecutortest000000000000000abc";
pub const SECRET: &str = "executor-s3cret-that-must-never-leak";

pub async fn emulator() -> emulator::Emulator {
    emulator_with(emulator::Faults::default()).await
}

pub async fn emulator_with(faults: emulator::Faults) -> emulator::Emulator {
    emulator_on(None, faults).await
}

/// An emulator whose project lives in the SQLite file `state` (in memory when `None`).
pub async fn emulator_on(state: Option<&Path>, faults: emulator::Faults) -> emulator::Emulator {
    let config = emulator::Config {
        state: state.map(Path::to_path_buf),
        faults,
        ..emulator::Config::new(vec![emulator::ApiKey {
            sid: SID.to_owned(),
            secret: SECRET.to_owned(),
        }])
    };
    emulator::spawn(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config)
        .await
        .unwrap()
}

/// Requests the test client sends at most for one call (its `RetryPolicy::max_attempts`).
pub const ATTEMPTS: u32 = 6;

/// A client that retries quickly (the emulator's 429s ask for no wait in these tests).
pub fn client(emu: &emulator::Emulator) -> Client {
    client_at(&emu.url())
}

/// [`client`] for a server at `url`.
pub fn client_at(url: &str) -> Client {
    let mut config = pcc::Config::with_endpoint(url, Credentials::new(SID, SECRET));
    config.retry = RetryPolicy {
        max_attempts: ATTEMPTS,
        max_timeouts: 2,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(5),
        max_throttled: Duration::from_secs(30),
    };
    Client::new(config).unwrap()
}

/// Executor settings for tests: audio from `root`, a short settle and recheck.
pub fn config(root: &Path) -> Config {
    Config {
        audio_root: root.to_path_buf(),
        settle: Duration::from_millis(2),
        recheck: Duration::from_millis(20),
        ..Config::default()
    }
}

/// A full read. Under injected faults a read can still fail after the client's retries;
/// it is tried again, as a user would run `plan` again.
pub async fn read(client: &Client) -> Live {
    let mut tries = 0;
    loop {
        tries += 1;
        match read_live(client, &ReadOptions::default()).await {
            Ok(live) => return live,
            Err(e) if tries < 5 && !matches!(e, pcc::Error::Live(_)) => {
                eprintln!("read failed, reading again: {e}");
            }
            Err(e) => panic!("{e}"),
        }
    }
}

pub fn plan(desired: &Model, live: &Live) -> Plan {
    planner::plan(desired, &live.model, &Policy::default())
}

/// One apply, with the order of events checked: no step starts before the steps it depends
/// on are done, and no more than `parallelism` requests are in flight at once (as the client
/// counts them; `scheduling.rs` counts them at the server too).
pub async fn apply(plan: &Plan, live: &Live, client: &Client, config: &Config) -> ApplyReport {
    let mut finished: BTreeSet<usize> = BTreeSet::new();
    client.reset_stats();
    let report = executor::apply(plan, &live.ids, client, config, |event| match event {
        Event::Started { index, step } => {
            for d in &step.depends_on {
                assert!(
                    finished.contains(d),
                    "step {index} ({}) started before step {d} finished",
                    step.address
                );
            }
        }
        Event::Finished(report) => {
            if report.outcome.is_done() {
                finished.insert(report.index);
            }
        }
    })
    .await;
    let most = client.stats().most_in_flight;
    assert!(
        most <= config.parallelism.max(1) as u64,
        "{most} requests in flight at once, more than {}",
        config.parallelism
    );
    report
}

/// Panics with every failure when the report is not a success.
pub fn assert_success(report: &ApplyReport) {
    let problems: Vec<String> = report
        .steps
        .iter()
        .filter(|s| !s.outcome.is_done())
        .map(|s| match &s.outcome {
            Outcome::Failed(e) => format!("{} failed: {e}", s.address),
            other => format!("{}: {other:?}", s.address),
        })
        .collect();
    assert!(
        problems.is_empty(),
        "apply did not succeed:\n{}",
        problems.join("\n")
    );
}

/// Plans until the plan is empty, at most `rounds` applies; answers the applies made.
pub async fn converge(
    desired: &Model,
    client: &Client,
    config: &Config,
    emu: &emulator::Emulator,
    rounds: usize,
) -> usize {
    for round in 0..=rounds {
        let live = read(client).await;
        let plan = plan(desired, &live);
        if plan.is_empty() {
            return round;
        }
        assert!(
            round < rounds,
            "not converged after {rounds} applies: {:#?}",
            plan.steps
                .iter()
                .map(|s| s.address.to_string())
                .collect::<Vec<_>>()
        );
        apply(&plan, &live, client, config).await;
        // A late write lands on its own time; none may be left to land on a duplicate.
        emu.late_writes_landed().await;
        assert_no_duplicates(emu);
    }
    unreachable!()
}

/// Fails when two objects in the emulator share a natural key: the one thing an apply must
/// never cause, whatever the faults.
pub fn assert_no_duplicates(emu: &emulator::Emulator) {
    let dups = duplicates(emu);
    assert!(dups.is_empty(), "duplicates in PCC: {dups:?}");
}

/// Every natural key more than one object in the emulator holds, as `kind `key` xN`.
pub fn duplicates(emu: &emulator::Emulator) -> Vec<String> {
    let state = emu.state();
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let mut dups = Vec::new();
    let mut check = |kind: &str, key: &dyn Fn(&Value) -> String| {
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for item in state[kind].as_array().unwrap() {
            *seen.entry(key(item)).or_default() += 1;
        }
        for (k, n) in seen {
            if n > 1 {
                dups.push(format!("{kind} `{k}` x{n}"));
            }
        }
    };
    check("agents", &|v| s(v, "stringee_user_id"));
    check("groups", &|v| s(v, "name"));
    check("groupAgents", &|v| {
        format!("{}/{}", s(v, "group_id"), s(v, "agent_id"))
    });
    check("queues", &|v| s(v, "name"));
    check("groupRoutings", &|v| {
        format!("{}/{}", s(v, "queue_id"), s(v, "group_id"))
    });
    check("ivrTrees", &|v| s(v, "tree_name"));
    check("ivrNodes", &|v| {
        format!("{}/{}", s(v, "tree"), s(v, "node_name"))
    });
    check("ivrNodeKeys", &|v| {
        format!("{}/{}", s(v, "node"), s(v, "node_key"))
    });
    check("numbers", &|v| s(v, "number"));
    check("greetingFiles", &|v| {
        let desc = s(v, "desc");
        desc.split("sha256=").nth(1).unwrap_or(&desc).to_owned()
    });
    dups
}

/// Every object in the emulator, counted.
pub fn object_count(emu: &emulator::Emulator) -> usize {
    let state = emu.state();
    state
        .as_object()
        .unwrap()
        .values()
        .filter_map(Value::as_array)
        .map(Vec::len)
        .sum()
}
