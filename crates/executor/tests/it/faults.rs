//! The fault soak: a generated project of more than 500 objects applied while the emulator
//! answers 10 % of requests with HTTP 500, 5 % with 429, commits 3 % of writes but loses
//! their answers, and answers 3 % of writes with a failure and carries them out a moment
//! later. Several seeds; each converges, equals the spec, and holds no duplicate.

use crate::generator::{self, Size};
use crate::support::{self, assert_no_duplicates, client, config, read};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_object_project_converges_under_5xx_429_and_lost_answers() {
    for seed in [101, 202, 303] {
        let dir = tempfile::tempdir().unwrap();
        let desired = generator::project(Size::SOAK, seed, dir.path());
        let objects = generator::objects(&desired);
        assert!(objects >= 500, "{objects} objects");

        let emu = support::emulator_with(emulator::Faults {
            fail_rate: 0.10,
            throttle_rate: 0.05,
            retry_after_secs: 0,
            drop_rate: 0.03,
            late_rate: 0.03,
            late_ms: 10,
            seed: Some(seed),
            ..Default::default()
        })
        .await;
        let client = client(&emu);
        let applies = support::converge(&desired, &client, &config(dir.path()), &emu, 3).await;
        let stats = emu.stats();
        eprintln!(
            "seed {seed}: {objects} objects converged in {applies} apply(s); {} writes, {} reads; \
             injected {} 500s, {} 429s, {} lost answers, {} late writes",
            stats.writes,
            stats.reads,
            stats.injected.failed,
            stats.injected.throttled,
            stats.injected.dropped,
            stats.injected.late
        );
        assert!(stats.injected.dropped > 5 && stats.injected.failed > 50);
        assert!(stats.injected.late > 5);
        assert_no_duplicates(&emu);
        // The live project is the spec: a full read plans nothing (`converge` ended on that),
        // and holds exactly its objects.
        emu.set_faults(emulator::Faults::default());
        let live = read(&client).await;
        assert!(support::plan(&desired, &live).is_empty());
        assert_eq!(live.model.agents.len(), desired.agents.len());
        // Every object but the call settings (a singleton, not a list) is one item of a list.
        assert_eq!(support::object_count(&emu), objects - 1);

        // Then changes, additions and deletions across every kind, under the same faults.
        let changed = generator::mutate(&desired, dir.path());
        emu.set_faults(emulator::Faults {
            fail_rate: 0.10,
            throttle_rate: 0.05,
            retry_after_secs: 0,
            drop_rate: 0.03,
            late_rate: 0.03,
            late_ms: 10,
            seed: Some(seed + 1),
            ..Default::default()
        });
        let applies = support::converge(&changed, &client, &config(dir.path()), &emu, 3).await;
        eprintln!("seed {seed}: the change converged in {applies} apply(s)");
        assert_no_duplicates(&emu);
    }
}
