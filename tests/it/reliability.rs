//! The small, in-suite versions of `bench reliability` (docs/reliability.md): `switchboard
//! apply` through every fault the emulator injects converges to the spec with nothing made
//! twice, and an apply whose PCC dies under it stops by itself, says so, and converges once
//! PCC is back.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use e2e::{Pcc, SECRET, SID, Workdir};
use emulator::{Config, Faults};

/// `examples/hotline` with a bulk of agents and groups added (`bulk.yaml`), about 400 writes
/// from empty.
fn hotline_and_bulk(work: &Workdir) {
    work.copy_example("hotline");
    let mut bulk = String::from("agents:\n");
    for i in 0..120 {
        bulk.push_str(&format!("  bulk-{i:03}: {{ name: Bulk Agent {i} }}\n"));
    }
    bulk.push_str("groups:\n");
    for g in 0..12 {
        let members: Vec<String> = (0..120)
            .filter(|i| i % 12 == g || i % 7 == g)
            .map(|i| format!("bulk-{i:03}"))
            .collect();
        bulk.push_str(&format!(
            "  bulk-group-{g:02}: {{ agents: [{}] }}\n",
            members.join(", ")
        ));
    }
    work.write("hotline/bulk.yaml", &bulk);
}

/// Re-runs `apply` until `plan --detailed-exitcode` says nothing is left; answers the
/// rounds it took.
fn apply_until_converged(work: &Workdir, pcc: &Pcc, spec: &str, rounds: usize) -> usize {
    for round in 1..=rounds {
        let out = work
            .switchboard(["apply", spec, "--auto-approve"])
            .against(pcc)
            .run();
        assert!(out.code == 0 || out.code == 1, "round {round}: {out}");
        let plan = work
            .switchboard(["plan", spec, "--detailed-exitcode"])
            .against(pcc)
            .run();
        if plan.code == 0 {
            return round;
        }
    }
    panic!("no empty plan after {rounds} rounds of apply under faults");
}

#[test]
fn apply_through_5xx_429_lost_answers_and_late_writes_converges_without_duplicates() {
    let faults = Faults {
        latency_ms: 2,
        fail_rate: 0.05,
        throttle_rate: 0.05,
        retry_after_secs: 0,
        drop_rate: 0.10,
        late_rate: 0.05,
        late_ms: 700,
        seed: Some(42),
        ..Faults::default()
    };
    let pcc = Pcc::with(Config {
        faults: faults.clone(),
        ..Config::new(vec![e2e::key()])
    });
    let work = Workdir::new();
    hotline_and_bulk(&work);
    // One apply absorbs every fault: the plan after it is empty.
    assert_eq!(apply_until_converged(&work, &pcc, "hotline", 6), 1);
    let injected = pcc.stats().injected;
    assert!(
        injected.failed > 0 && injected.throttled > 0 && injected.dropped > 0 && injected.late > 0,
        "every fault kind must have been met: {injected:?}"
    );

    // A change of the project, through the same faults: updates and deletes too.
    let bulk = work.read("hotline/bulk.yaml");
    let changed = bulk
        .replace("Bulk Agent 1 }", "Bulk Agent One }")
        .replace("bulk-001, ", "")
        .replace("  bulk-group-11:", "  bulk-group-eleven:");
    assert_ne!(bulk, changed);
    work.write("hotline/bulk.yaml", &changed);
    assert_eq!(apply_until_converged(&work, &pcc, "hotline", 6), 1);

    pcc.set_faults(Faults::default());
    pcc.wait_late_writes();
    work.switchboard(["plan", "hotline", "--detailed-exitcode"])
        .against(&pcc)
        .run()
        .assert_code(0);
    let duplicates = e2e::soak::duplicates(&pcc.state());
    assert!(duplicates.is_empty(), "{duplicates:#?}");
}

fn start_emulator(state: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(e2e::binary())
        .args(["emulator", "--listen", "127.0.0.1:0", "--state"])
        .arg(state)
        .args(["--api-key", &format!("{SID}:{SECRET}")])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the emulator starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    (child, url)
}

/// Writes the emulator at `url` has received (`GET /_emulator/stats`, over a plain socket).
fn writes(url: &str) -> u64 {
    let addr = url.strip_prefix("http://").unwrap();
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET /_emulator/stats HTTP/1.0\r\nHost: {addr}\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let body = answer.split_once("\r\n\r\n").unwrap().1;
    serde_json::from_str::<serde_json::Value>(body).unwrap()["writes"]
        .as_u64()
        .unwrap()
}

#[test]
fn an_apply_whose_pcc_is_killed_mid_write_stops_and_converges_once_pcc_is_back() {
    let work = Workdir::new();
    hotline_and_bulk(&work);
    let state = work.join("pcc.db");
    let (mut emulator, url) = start_emulator(&state);
    let apply = |url: &str| {
        work.switchboard(["apply", "hotline", "--auto-approve"])
            .env("SWITCHBOARD_ENDPOINT", url)
            .env("STRINGEE_API_KEY_SID", SID)
            .env("STRINGEE_API_KEY_SECRET", SECRET)
    };
    let mut running = apply(&url)
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Kill PCC once the apply has written something (and not finished).
    let mut written = 0;
    while written < 20 && running.try_wait().unwrap().is_none() {
        written = writes(&url);
        std::thread::sleep(Duration::from_millis(2));
    }
    emulator.kill().unwrap();
    emulator.wait().unwrap();
    // The apply notices by itself: the steps running fail once their retries are spent, and
    // no other step starts.
    let out = running.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    e2e::assert_no_secret("stdout", &out.stdout);
    e2e::assert_no_secret("stderr", &out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("PCC stopped answering: "), "{stderr}");
    assert!(
        stderr.contains("Re-run `switchboard apply` once PCC is back"),
        "{stderr}"
    );
    // About 400 steps, 20 done: nearly all the rest were not started, not tried one by one.
    let not_started: usize = stderr
        .split("PCC stopped answering: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count of steps not started in {stderr}"));
    let failed = stdout.lines().filter(|l| l.starts_with("! ")).count();
    assert!(
        (1..=16).contains(&failed),
        "{failed} steps failed (8 run at once):\n{stdout}"
    );
    assert!(not_started > 150, "{not_started} not started\n{stderr}");

    let (mut emulator, url) = start_emulator(&state);
    apply(&url).run().assert_code(0);
    let plan = work
        .switchboard(["plan", "hotline", "--detailed-exitcode"])
        .env("SWITCHBOARD_ENDPOINT", &url)
        .env("STRINGEE_API_KEY_SID", SID)
        .env("STRINGEE_API_KEY_SECRET", SECRET)
        .run();
    emulator.kill().unwrap();
    emulator.wait().unwrap();
    plan.assert_code(0);
    let pcc = Pcc::open(&state);
    let duplicates = e2e::soak::duplicates(&pcc.state());
    assert!(duplicates.is_empty(), "{duplicates:#?}");
}
