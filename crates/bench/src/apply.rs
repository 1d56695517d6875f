//! Applying a plan with `executor::apply`, counted: requests sent, steps done and failed.

use std::path::Path;
use std::time::Instant;

use crate::phase::Applied;

/// Applies `plan` (made from `live`) through `client`, `parallelism` steps at once, audio
/// read from `spec_root`. `started` is when the command started, as `switchboard apply` counts
/// it (before the spec is read): the two-writers check waits for an earlier run's late writes
/// until 2.5 s after it (docs/apply.md, "Two writers"), so that a read and a plan longer than
/// that leave nothing to wait, as they do for the command.
pub async fn apply(
    plan: &planner::Plan,
    live: &pcc::Live,
    client: &pcc::Client,
    spec_root: &Path,
    parallelism: usize,
    started: Instant,
) -> Applied {
    let config = executor::Config {
        parallelism: parallelism.max(1),
        audio_root: spec_root.to_path_buf(),
        started: Some(started),
        ..executor::Config::default()
    };
    // What is left, as the apply begins, of the wait for an earlier run's late writes: a
    // create made before it has passed looks for copies again once it has.
    let late_writes_wait = (config.settle + config.recheck).saturating_sub(started.elapsed());
    let before = client.stats();
    let t = Instant::now();
    let report = executor::apply(plan, &live.ids, client, &config, |_| {}).await;
    let secs = t.elapsed().as_secs_f64();
    let after = client.stats();
    let summary = report.summary();
    Applied {
        calls: after.total() - before.total(),
        writes: after.writes() - before.writes(),
        done: summary.added + summary.changed + summary.destroyed,
        failed: summary.failed,
        skipped: summary.skipped + summary.not_run,
        first_error: report
            .failed()
            .next()
            .map(|(step, err)| format!("{}: {err}", step.address)),
        secs,
        refused: after.refused - before.refused,
        late_writes_wait_secs: late_writes_wait.as_secs_f64(),
    }
}
