//! Applying a plan with `executor::apply`, counted: requests sent, steps done and failed.

use std::path::Path;
use std::time::Instant;

use crate::phase::Applied;

/// Applies `plan` (made from `live`) through `client`, `parallelism` steps at once, audio
/// read from `spec_root`.
pub async fn apply(
    plan: &planner::Plan,
    live: &pcc::Live,
    client: &pcc::Client,
    spec_root: &Path,
    parallelism: usize,
) -> Applied {
    let config = executor::Config {
        parallelism: parallelism.max(1),
        audio_root: spec_root.to_path_buf(),
        ..executor::Config::default()
    };
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
    }
}
