//! Durability: an emulator process killed with SIGKILL in the middle of a stream of writes
//! leaves a state file that opens, passes `PRAGMA integrity_check`, and holds every write
//! whose answer the client received.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::support::*;

/// Set in the child's environment: the state file it serves.
const CHILD_STATE: &str = "EMULATOR_IT_CHILD_STATE";

/// Not a test of its own: the body of the child process that
/// `sigkill_mid_stream_loses_no_acknowledged_write` starts by re-running this test binary.
/// Without the variable (a normal test run) it does nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_process_entry() {
    let Some(state) = std::env::var_os(CHILD_STATE) else {
        return;
    };
    let mut config = emulator::Config::new(vec![key()]);
    config.state = Some(state.into());
    let emu = emulator::spawn("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    #[allow(clippy::print_stdout)]
    {
        println!("listening on {}", emu.url());
    }
    std::io::Write::flush(&mut std::io::stdout()).unwrap();
    std::future::pending::<()>().await;
}

/// Starts the child on `state` and answers it with its URL, once it listens.
fn start_child(state: &std::path::Path) -> (std::process::Child, String) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "durability::child_process_entry",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_STATE, state)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("the child ended before it listened")
            .unwrap();
        // libtest prints `test NAME ... ` without a line end before the test's own output.
        if let Some((_, url)) = line.split_once("listening on ") {
            break url.to_owned();
        }
    };
    (child, url)
}

/// Creates agents and groups until the server stops answering; records every id whose
/// creation was acknowledged.
async fn write_until_gone(url: String, writer: usize, acked: Arc<Mutex<Vec<String>>>) {
    let http = http();
    let token = token();
    for i in 0.. {
        let (path, body, key) = if i % 2 == 0 {
            (
                "agent",
                json!({ "name": "A", "stringee_user_id": format!("w{writer}-{i}") }),
                "agentID",
            )
        } else {
            (
                "group",
                json!({ "name": format!("w{writer}-{i}") }),
                "groupID",
            )
        };
        let sent = http
            .post(format!("{url}/v1/{path}"))
            .header("X-STRINGEE-AUTH", &token)
            .json(&body)
            .send()
            .await;
        let Ok(resp) = sent else { return };
        let Ok(answer) = resp.json::<Value>().await else {
            return;
        };
        assert_eq!(answer["r"], 0, "{answer}");
        acked
            .lock()
            .unwrap()
            .push(answer[key].as_str().unwrap().to_owned());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_stream_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    let acked = Arc::new(Mutex::new(Vec::new()));

    // Three lives on the same file: each is killed while four writers are mid-request.
    for life in 1..=3 {
        let (mut child, url) = tokio::task::spawn_blocking({
            let state = state.clone();
            move || start_child(&state)
        })
        .await
        .unwrap();
        let writers: Vec<_> = (0..4)
            .map(|w| tokio::spawn(write_until_gone(url.clone(), life * 10 + w, acked.clone())))
            .collect();
        let target = life * 400;
        while acked.lock().unwrap().len() < target {
            assert!(
                !writers.iter().all(|w| w.is_finished()),
                "every writer stopped before the kill (life {life})"
            );
            tokio::task::yield_now().await;
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        for w in writers {
            w.await.unwrap();
        }
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 1200);

    let db = rusqlite::Connection::open(&state).unwrap();
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    drop(db);

    let mut config = emulator::Config::new(vec![key()]);
    config.state = Some(state.clone());
    let emu = emulator::spawn("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let dump = emu.state();
    let stored: std::collections::BTreeSet<&str> = ["agents", "groups"]
        .iter()
        .flat_map(|list| dump[*list].as_array().unwrap())
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    let lost: Vec<&String> = acked
        .iter()
        .filter(|id| !stored.contains(id.as_str()))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged writes lost, for example {:?}",
        lost.len(),
        acked.len(),
        &lost[..lost.len().min(5)]
    );
    emu.shutdown().await;
}
