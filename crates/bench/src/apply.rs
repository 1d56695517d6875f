//! Applying a plan with `executor::apply`, counted: requests sent, steps done and failed.

use std::path::Path;
use std::time::Instant;

use crate::phase::Applied;

/// Applies `plan` (made from `live`) through `client`, `parallelism` requests at once, audio
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
        in_flight_secs: (after.in_flight.saturating_sub(before.in_flight)).as_secs_f64(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::time::{Duration, Instant};

    use crate::secret;

    /// An apply of one agent: when the command started long ago (a read and a plan longer
    /// than the late-writes wait), it waits for nothing; when it has just started, it waits
    /// the rest of the 2.5 s and says so. Counting from the apply's own start, as the
    /// benchmark did, would wait in both.
    #[tokio::test]
    async fn the_late_writes_wait_counts_from_the_command_start() {
        let emu = emulator::spawn(
            "127.0.0.1:0".parse().unwrap(),
            emulator::Config::new(vec![secret::key()]),
        )
        .await
        .unwrap();
        let client = pcc::Client::new(pcc::Config::with_endpoint(
            &emu.url(),
            pcc::Credentials {
                sid: secret::SID.to_owned(),
                secret: pcc::Secret::new(secret::SECRET.to_owned()),
            },
        ))
        .unwrap();
        let live = pcc::Live {
            model: spec::Model::default(),
            ids: pcc::Ids::default(),
            scopes: BTreeSet::new(),
        };
        let dir = tempfile::tempdir().unwrap();
        let apply = |name: &str, started| {
            let mut model = spec::Model::default();
            model.agents.insert(
                name.to_owned(),
                spec::model::Agent {
                    name: name.to_owned(),
                    routing: spec::model::AgentRouting::App,
                    phone_number: None,
                    out_of_hours_callout: None,
                },
            );
            let plan = planner::plan(&model, &live.model, &spec::Policy::default());
            let (client, live, root) = (&client, &live, dir.path());
            async move { super::apply(&plan, live, client, root, 1, started).await }
        };
        let long_ago = Instant::now() - Duration::from_secs(10);
        let applied = apply("ana", long_ago).await;
        assert_eq!((applied.done, applied.failed), (1, 0));
        assert_eq!(applied.late_writes_wait_secs, 0.0);
        assert!(applied.secs < 2.0, "waited {} s", applied.secs);
        let applied = apply("bao", Instant::now()).await;
        assert_eq!((applied.done, applied.failed), (1, 0));
        assert!(applied.late_writes_wait_secs > 2.0, "{applied:?}");
        assert!(applied.secs > 2.0, "waited only {} s", applied.secs);
        emu.shutdown().await;
    }
}
