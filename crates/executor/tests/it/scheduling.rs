//! How steps are run: no more than `parallelism` at once (checked by every test through
//! `support::apply`), a stop request honoured between steps, and the request-rate ceiling.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use executor::{Event, Outcome, Stopped};
use spec::model::{Group, Model};

use crate::support::{self, client, config, read};

fn groups(n: usize) -> Model {
    let mut m = Model::default();
    for i in 0..n {
        m.groups.insert(format!("g{i:02}"), Group::default());
    }
    m
}

#[tokio::test]
async fn a_stop_request_lets_running_steps_finish_and_starts_no_more() {
    let dir = tempfile::tempdir().unwrap();
    let emu = support::emulator().await;
    let client = client(&emu);
    let live = read(&client).await;
    let plan = support::plan(&groups(30), &live);
    let stop = Arc::new(AtomicBool::new(false));
    let cfg = executor::Config {
        parallelism: 2,
        stop: Some(stop.clone()),
        ..config(dir.path())
    };
    let mut finished = 0;
    emu.reset_stats();
    let report = executor::apply(&plan, &live.ids, &client, &cfg, |event| {
        if let Event::Finished(r) = event
            && r.outcome.is_done()
        {
            finished += 1;
            if finished == 5 {
                stop.store(true, Ordering::Relaxed);
            }
        }
    })
    .await;
    assert_eq!(report.stopped, Some(Stopped::Interrupted));
    let summary = report.summary();
    // The 5th finished while at most one other ran; that one finishes too.
    assert!((5..=6).contains(&summary.added), "{summary:?}");
    assert_eq!(summary.not_run, 30 - summary.added);
    assert_eq!(emu.stats().writes, summary.added as u64);
    assert!(
        report
            .steps
            .iter()
            .all(|s| matches!(s.outcome, Outcome::Done(_) | Outcome::NotRun))
    );
    // What did not run is what the next plan holds.
    let rest = support::plan(&groups(30), &read(&client).await);
    assert_eq!(rest.steps.len(), summary.not_run);
}

#[tokio::test]
async fn the_rate_ceiling_spaces_requests() {
    let dir = tempfile::tempdir().unwrap();
    let emu = support::emulator().await;
    let client = client(&emu);
    let live = read(&client).await;
    let plan = support::plan(&groups(21), &live);
    let cfg = executor::Config {
        max_rps: Some(40.0),
        parallelism: 8,
        ..config(dir.path())
    };
    let report = support::apply(&plan, &live, &client, &cfg).await;
    support::assert_success(&report);
    // 21 writes 25 ms apart take at least 20 intervals, however fast the machine. (A lower
    // bound only: a slow machine cannot make this fail.)
    assert!(
        report.elapsed >= Duration::from_millis(500),
        "{:?}",
        report.elapsed
    );
}
