//! A generated contact center of more than 10,000 objects applied to an empty emulated
//! project with injected latency: the calls made against the minimum (one write per step, and
//! one look-up per checked create: the check for another writer's copy), and the wall time
//! against the lower bound `depth × latency + calls / parallelism × latency` (the longest
//! dependency chain, a checked create counting twice, plus every call spread over the
//! parallel slots). Once with the check off (`Config::single_writer`), to show its cost. Then
//! the same with faults (5xx, 429, lost answers): the extra calls they cost. Prints figures;
//! asserts only that the project converged.
//!
//! Run: `cargo bench -p executor --bench apply` (the emulator shares the machine, so the
//! times include its work too).

#![allow(clippy::print_stdout)]

#[path = "../tests/it/generator.rs"]
#[allow(dead_code)]
mod generator;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use generator::Size;
use pcc::{Client, Credentials, ReadOptions, RetryPolicy, read_live};
use planner::Plan;

const SID: &str = "SKbench00000000000000000000000";
const SECRET: &str = "bench-secret";

const SIZE: Size = Size {
    agents: 3000,
    groups: 200,
    members: 15,
    queues: 100,
    trees: 40,
    nodes: 25,
    numbers: 600,
    audio: 10,
};

/// True for a create the executor looks up afterwards (or, for audio, before), to settle a
/// copy another writer made.
fn checked(step: &planner::Step, single_writer: bool) -> bool {
    use spec::Address as A;
    !single_writer
        && step.action == planner::Action::Create
        && matches!(
            step.address,
            A::Agent(_)
                | A::Audio(_)
                | A::Group(_)
                | A::Queue(_)
                | A::Routing { .. }
                | A::IvrTree(_)
                | A::IvrNode { .. }
        )
}

/// Round trips on the longest chain of `depends_on` (a checked create takes two).
fn depth(plan: &Plan, single_writer: bool) -> usize {
    let cost = |i: usize| 1 + usize::from(checked(&plan.steps[i], single_writer));
    let mut longest: Vec<usize> = (0..plan.steps.len()).map(cost).collect();
    for (i, step) in plan.steps.iter().enumerate() {
        for &d in &step.depends_on {
            longest[i] = longest[i].max(longest[d] + cost(i));
        }
    }
    longest.into_iter().max().unwrap_or(0)
}

async fn run(latency_ms: u64, parallelism: usize, single_writer: bool, faults: emulator::Faults) {
    let dir = tempfile::tempdir().unwrap();
    let desired = generator::project(SIZE, 1, dir.path());
    let emu = emulator::spawn(
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        emulator::Config::new(vec![emulator::ApiKey {
            sid: SID.into(),
            secret: SECRET.into(),
        }]),
    )
    .await
    .unwrap();
    let mut config = pcc::Config::with_endpoint(&emu.url(), Credentials::new(SID, SECRET));
    config.retry = RetryPolicy {
        initial_backoff: Duration::from_millis(5),
        ..RetryPolicy::default()
    };
    let client = Client::new(config).unwrap();
    let live = read_live(&client, &ReadOptions::default()).await.unwrap();
    let plan = planner::plan(&desired, &live.model, &spec::Policy::default());
    let steps = plan.steps.len();
    let depth = depth(&plan, single_writer);
    let looks = plan
        .steps
        .iter()
        .filter(|s| checked(s, single_writer))
        .count();
    let faulty = faults != emulator::Faults::default();
    emu.set_faults(emulator::Faults {
        latency_ms,
        ..faults
    });
    emu.reset_stats();
    client.reset_stats();
    let cfg = executor::Config {
        parallelism,
        audio_root: dir.path().to_path_buf(),
        settle: Duration::from_millis(latency_ms),
        single_writer,
        ..executor::Config::default()
    };
    let started = Instant::now();
    let report = executor::apply(&plan, &live.ids, &client, &cfg, |_| {}).await;
    let wall = started.elapsed();
    let stats = emu.stats();
    let latency = Duration::from_millis(latency_ms);
    let bound =
        latency * depth as u32 + latency.mul_f64((steps + looks) as f64 / parallelism as f64);
    println!(
        "{} objects, {steps} steps, depth {depth}, latency {latency_ms} ms, parallelism \
         {parallelism}{}{}:",
        generator::objects(&desired),
        if single_writer {
            ", check for other writers off"
        } else {
            ""
        },
        if faulty { ", with faults" } else { "" }
    );
    println!(
        "  calls: {} writes + {} reads = {} (minimum {steps} writes + {looks} reads: one write \
         per step, one look-up per checked create); {} failed steps",
        stats.writes,
        stats.reads,
        stats.writes + stats.reads,
        report.summary().failed
    );
    if faulty {
        println!(
            "  injected: {} x 500, {} x 429, {} lost answers; {} steps recovered by a look-up",
            stats.injected.failed,
            stats.injected.throttled,
            stats.injected.dropped,
            report
                .steps
                .iter()
                .filter(
                    |s| matches!(&s.outcome, executor::Outcome::Done(d) if d.recovery.is_some())
                )
                .count()
        );
    }
    println!(
        "  wall time {:.2} s; lower bound {:.2} s ({:.0} %)",
        wall.as_secs_f64(),
        bound.as_secs_f64(),
        100.0 * bound.as_secs_f64() / wall.as_secs_f64()
    );
    emu.set_faults(emulator::Faults::default());
    let again = read_live(&client, &ReadOptions::default()).await.unwrap();
    let left = planner::plan(&desired, &again.model, &spec::Policy::default());
    assert!(
        report.summary().failed > 0 || left.is_empty(),
        "{} steps left after a clean apply",
        left.steps.len()
    );
    println!("  steps left for a second apply: {}", left.steps.len());
    emu.shutdown().await;
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    run(5, 8, true, emulator::Faults::default()).await;
    run(5, 8, false, emulator::Faults::default()).await;
    run(5, 32, false, emulator::Faults::default()).await;
    run(
        5,
        32,
        false,
        emulator::Faults {
            fail_rate: 0.05,
            throttle_rate: 0.02,
            retry_after_secs: 0,
            drop_rate: 0.02,
            seed: Some(7),
            ..emulator::Faults::default()
        },
    )
    .await;
}
