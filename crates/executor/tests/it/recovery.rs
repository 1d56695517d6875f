//! Lost answers: with every write committed and its answer dropped, each step is looked up by
//! natural key and never sent twice, for every kind and every action; and a write PCC carries
//! out after answering a failure is adopted, not sent again.

use std::time::Duration;

use executor::{Outcome, Recovery};

use crate::generator::{self, Size};
use crate::support::{self, apply, assert_no_duplicates, assert_success, client, config, read};

/// Applies the plan from the live project to `desired` with every answer lost; checks one
/// write per step, every step recovered by a look-up, nothing duplicated, nothing left to do.
async fn apply_blind(
    emu: &emulator::Emulator,
    client: &pcc::Client,
    desired: &spec::model::Model,
    cfg: &executor::Config,
) -> usize {
    let live = read(client).await;
    let plan = support::plan(desired, &live);
    emu.set_faults(emulator::Faults {
        drop_rate: 1.0,
        ..Default::default()
    });
    emu.reset_stats();
    let report = apply(&plan, &live, client, cfg).await;
    let injected = emu.stats().injected.dropped;
    emu.set_faults(emulator::Faults::default());
    assert_success(&report);
    for step in &report.steps {
        let Outcome::Done(done) = &step.outcome else {
            unreachable!()
        };
        // `updated: false`: what was found is exactly what the step asked for, so the
        // look-up's comparison agrees with the normaliser's view of every field.
        assert_eq!(
            done.recovery,
            Some(Recovery::Found { updated: false }),
            "{} {:?}",
            step.address,
            step.action
        );
        assert_eq!(done.writes, 1, "{}", step.address);
    }
    assert_eq!(injected, plan.steps.len() as u64, "every answer was lost");
    assert_eq!(emu.stats().writes, plan.steps.len() as u64);
    assert_no_duplicates(emu);
    let again = support::plan(desired, &read(client).await);
    assert!(again.is_empty(), "{:#?}", again.steps);
    plan.steps.len()
}

#[tokio::test]
async fn every_lost_answer_is_looked_up_and_no_write_is_sent_twice() {
    let dir = tempfile::tempdir().unwrap();
    let emu = support::emulator().await;
    let client = client(&emu);
    let cfg = config(dir.path());
    let base = generator::project(Size::SMALL, 21, dir.path());
    let created = apply_blind(&emu, &client, &base, &cfg).await;
    assert!(created > 50);
    // Updates, deletes and replacements of every kind, still blind.
    let changed = generator::mutate(&base, dir.path());
    assert!(apply_blind(&emu, &client, &changed, &cfg).await > 30);
    // And everything deleted (audio stays: PCC cannot delete it).
    let empty = spec::model::Model {
        audio: changed.audio.clone(),
        settings: changed.settings.clone(),
        ..Default::default()
    };
    assert!(apply_blind(&emu, &client, &empty, &cfg).await > 50);
}

#[tokio::test]
async fn a_write_carried_out_after_its_failure_was_answered_is_adopted_not_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    // Every write is answered with a dropped connection or a 504 at once, and carried out
    // 150 ms later: after the first look-up, before the second.
    let emu = support::emulator_with(emulator::Faults {
        late_rate: 1.0,
        late_ms: 150,
        seed: Some(8),
        ..Default::default()
    })
    .await;
    let client = client(&emu);
    let desired = generator::project(Size::SMALL, 4, dir.path());
    let live = read(&client).await;
    let plan = support::plan(&desired, &live);
    let cfg = executor::Config {
        settle: Duration::from_millis(10),
        recheck: Duration::from_secs(1),
        ..config(dir.path())
    };
    let report = apply(&plan, &live, &client, &cfg).await;
    emu.late_writes_landed().await;
    assert_success(&report);
    for step in &report.steps {
        let Outcome::Done(done) = &step.outcome else {
            unreachable!()
        };
        assert_eq!(
            (done.writes, &done.recovery),
            (1, &Some(Recovery::Found { updated: false })),
            "{}",
            step.address
        );
    }
    assert_eq!(emu.stats().injected.late, plan.steps.len() as u64);
    assert_no_duplicates(&emu);
    emu.set_faults(emulator::Faults::default());
    assert!(support::plan(&desired, &read(&client).await).is_empty());
}
