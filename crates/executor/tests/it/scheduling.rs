//! How steps are run: no more than `parallelism` at once (checked by every test through
//! `support::apply`), a stop request honoured between steps, the request-rate ceiling, and
//! PCC's rate limits: paced under, and scheduled around.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use executor::{Event, Outcome, Stopped};
use spec::model::{Agent, AgentRouting, Group, Model, Queue, Routing};

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
    let (mut finished, mut started, mut started_after_stop) = (0, 0, 0);
    emu.reset_stats();
    let report = executor::apply(&plan, &live.ids, &client, &cfg, |event| match event {
        Event::Started { .. } => {
            started += 1;
            started_after_stop += usize::from(stop.load(Ordering::Relaxed));
        }
        Event::Finished(r) => {
            if r.outcome.is_done() {
                finished += 1;
                if finished == 5 {
                    stop.store(true, Ordering::Relaxed);
                }
            }
        }
    })
    .await;
    assert_eq!(report.stopped, Some(Stopped::Interrupted));
    let summary = report.summary();
    // The 5th finished while others ran (one more at work, and those standing aside while
    // their look-ups were answered); they finish too, and no step starts after the stop.
    assert_eq!(started_after_stop, 0);
    assert_eq!(summary.added, started, "{summary:?}");
    let most = 5 + 2 * executor::STEPS_PER_PLACE - 1;
    assert!((5..=most).contains(&summary.added), "{summary:?}");
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
    emu.reset_stats();
    let report = support::apply(&plan, &live, &client, &cfg).await;
    support::assert_success(&report);
    // Every request counts, the look-ups after the creates (one list page each, shared by
    // the creates looked up together) too: 21 writes and the reads, 25 ms apart, take at
    // least an interval each but the first, however fast the machine. (A lower bound only:
    // a slow machine cannot make this fail.)
    let stats = emu.stats();
    let requests = stats.reads + stats.writes;
    assert_eq!(stats.writes, 21);
    assert!(requests > 21, "{stats:?}");
    let least = Duration::from_millis(25) * u32::try_from(requests - 1).unwrap();
    assert!(report.elapsed >= least, "{:?} < {least:?}", report.elapsed);
}

fn limited(per_key: &str, per_kind: &str) -> emulator::Faults {
    emulator::Faults {
        rate_limit: Some(per_key.parse().unwrap()),
        rate_limit_per_kind: Some(per_kind.parse().unwrap()),
        ..emulator::Faults::default()
    }
}

/// Requests the emulator answered 429, every scope together.
fn refused(emu: &emulator::Emulator) -> u64 {
    emu.stats().rate_limited.values().sum()
}

#[tokio::test]
async fn pacing_keeps_an_apply_under_the_limits_with_few_429s() {
    let dir = tempfile::tempdir().unwrap();
    let emu = support::emulator_with(limited("40/1", "15/1")).await;
    let client = client(&emu);
    let live = read(&client).await;
    let mut desired = groups(20);
    for i in 0..20 {
        desired.queues.insert(format!("q{i:02}"), Queue::default());
    }
    let plan = support::plan(&desired, &live);
    emu.reset_stats();
    let report = support::apply(&plan, &live, &client, &config(dir.path())).await;
    support::assert_success(&report);
    let stats = emu.stats();
    // 40 creates, each looked up after (look-ups waiting together share a list read): more
    // than 20 requests in each family of 15 a second. Sent as fast as they come, 8 at once,
    // they would spend each family's window in the first second and keep bouncing off it;
    // paced, a request crossing a window's edge late is the most that is refused.
    assert!(refused(&emu) <= 2, "{stats:?}");
    assert!(stats.reads >= 2, "{stats:?}");
    support::assert_no_duplicates(&emu);
}

/// Applies `plan` 4 steps at once, and answers the order steps started and finished in, each
/// as (its index, "started" or "finished").
async fn apply_in_order(
    plan: &planner::Plan,
    live: &pcc::Live,
    client: &pcc::Client,
    dir: &std::path::Path,
) -> Vec<(usize, &'static str)> {
    let cfg = executor::Config {
        parallelism: 4,
        ..config(dir)
    };
    let mut order = Vec::new();
    let report = executor::apply(plan, &live.ids, client, &cfg, |event| match event {
        Event::Started { index, .. } => order.push((index, "started")),
        Event::Finished(r) => order.push((r.index, "finished")),
    })
    .await;
    support::assert_success(&report);
    order
}

#[tokio::test]
async fn a_step_of_another_family_starts_while_one_family_waits() {
    let dir = tempfile::tempdir().unwrap();
    let emu = support::emulator_with(limited("100/1", "10/1")).await;
    let client = client(&emu);
    let live = read(&client).await;
    let mut desired = groups(12);
    desired.queues.insert("late".to_owned(), Queue::default());
    let plan = support::plan(&desired, &live);
    // The queue comes after every group in the plan, and needs none of them.
    let queue = plan
        .steps
        .iter()
        .position(|s| s.address.to_string().contains("late"))
        .unwrap();
    assert!(
        plan.steps[..queue]
            .iter()
            .all(|s| s.kind() == spec::Kind::Group)
    );
    assert!(plan.steps[queue].depends_on.is_empty());
    let order = apply_in_order(&plan, &live, &client, dir.path()).await;
    // In plan order the queue would wait for 9 of the 12 groups; the groups' budget (10 a
    // second, each create and its look-up) is booked ahead from the first step on, so the
    // queue starts before any group is done.
    let started = order.iter().position(|e| *e == (queue, "started")).unwrap();
    let first_done = order.iter().position(|e| e.1 == "finished").unwrap();
    assert!(started < first_done, "{order:?}");
}

/// Ten agents in no group, and two (named last) in group `g`, which queue `q` routes to.
fn team_named_last() -> Model {
    let mut m = Model::default();
    let agent = |name: &str| Agent {
        name: name.to_owned(),
        routing: AgentRouting::App,
        phone_number: None,
        out_of_hours_callout: None,
    };
    for i in 0..10 {
        m.agents.insert(format!("a{i:02}"), agent("Alone"));
    }
    for id in ["z0", "z1"] {
        m.agents.insert(id.to_owned(), agent("Grouped"));
    }
    m.groups.insert(
        "g".to_owned(),
        Group {
            agents: ["z0", "z1"].map(str::to_owned).into(),
        },
    );
    let mut q = Queue::default();
    q.routing.insert("g".to_owned(), Routing { primary: false });
    m.queues.insert("q".to_owned(), q);
    m
}

#[tokio::test]
async fn a_dependent_family_starts_before_the_family_it_waits_on_is_done() {
    let dir = tempfile::tempdir().unwrap();
    // Agents (a create and a look-up each) at 10 a second: 24 requests, over 2 s.
    let emu = support::emulator_with(limited("100/1", "10/1")).await;
    let client = client(&emu);
    let live = read(&client).await;
    let plan = support::plan(&team_named_last(), &live);
    let at = |address: &str| {
        plan.steps
            .iter()
            .position(|s| s.address.to_string() == address)
            .unwrap_or_else(|| panic!("{address} is not in the plan"))
    };
    let (membership, last_alone) = (at("membership.g/z0"), at("agent.a09"));
    // In plan order the agents come first, by name: the group's two last.
    assert!(last_alone < at("agent.z0"));
    let order = apply_in_order(&plan, &live, &client, dir.path()).await;
    // The membership (and the routing after it) is what unlocks work downstream: its agents
    // are made first, and it starts while the agents that unlock nothing still wait for
    // their family's turn. In plan order it would wait for every other agent to start.
    let started = |i| order.iter().position(|e| *e == (i, "started")).unwrap();
    assert!(started(membership) < started(last_alone), "{order:?}");
    assert!(
        started(at("routing.q/g")) < started(last_alone),
        "{order:?}"
    );
}

/// Group list reads the emulator answered.
fn group_lists(emu: &emulator::Emulator) -> u64 {
    emu.stats()
        .requests
        .get("GET /v1/group")
        .copied()
        .unwrap_or(0)
}

#[tokio::test]
async fn a_wave_of_creates_shares_its_look_ups() {
    let dir = tempfile::tempdir().unwrap();
    // A little latency keeps the creates of a wave in flight together.
    let emu = support::emulator_with(emulator::Faults {
        latency_ms: 20,
        ..emulator::Faults::default()
    })
    .await;
    let client = client(&emu);
    let live = read(&client).await;
    let plan = support::plan(&groups(16), &live);
    emu.reset_stats();
    let report = support::apply(&plan, &live, &client, &config(dir.path())).await;
    support::assert_success(&report);
    // Every create is looked up once PCC answers it, in the whole group list: one read each,
    // 16. Looked up together, the creates of a wave share a read sent after all of them were
    // answered: at most one read is sent at a time, and it answers every look-up that came
    // while the one before it was out (2 to 4 here).
    assert_eq!(emu.stats().writes, 16);
    let reads = group_lists(&emu);
    assert!(reads <= 8, "{reads} group list reads for 16 creates");
    support::assert_no_duplicates(&emu);
}

/// What the server saw: requests in flight at most, agent creates answered, and whether the
/// group list it held back was let go because the agents' creates came (or because it gave
/// up waiting for them).
#[derive(Default)]
struct Held {
    now: AtomicU32,
    most: AtomicU32,
    agent_posts: AtomicU32,
    armed: AtomicBool,
    gave_up: AtomicBool,
    posted: tokio::sync::Notify,
}

/// How many agent creates must reach the server while a group list is held back.
const AGENTS: u32 = 6;

/// The emulator behind a layer that counts the requests in flight, answers agent creates after
/// 50 ms and, once `armed`, holds back every group list read until [`AGENTS`] agent creates have been answered (or 10 s
/// have passed: then `gave_up`, and the test fails rather than hangs).
async fn holding_group_lists(held: Arc<Held>) -> String {
    let emulator = emulator::router(emulator::Config::new(vec![emulator::ApiKey {
        sid: support::SID.to_owned(),
        secret: support::SECRET.to_owned(),
    }]))
    .unwrap();
    let app = emulator.layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            let held = held.clone();
            async move {
                let now = held.now.fetch_add(1, Ordering::SeqCst) + 1;
                held.most.fetch_max(now, Ordering::SeqCst);
                let path = request.uri().path().to_owned();
                let method = request.method().clone();
                if held.armed.load(Ordering::SeqCst)
                    && method == axum::http::Method::GET
                    && path == "/v1/group"
                {
                    let came = async {
                        loop {
                            let posted = held.posted.notified();
                            if held.agent_posts.load(Ordering::SeqCst) >= AGENTS {
                                break;
                            }
                            posted.await;
                        }
                    };
                    if tokio::time::timeout(Duration::from_secs(10), came)
                        .await
                        .is_err()
                    {
                        held.gave_up.store(true, Ordering::SeqCst);
                    }
                }
                let agent_post = method == axum::http::Method::POST && path == "/v1/agent";
                if agent_post {
                    // Latency, so that two steps' creates are in flight together.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                let answer = next.run(request).await;
                if agent_post {
                    held.agent_posts.fetch_add(1, Ordering::SeqCst);
                    held.posted.notify_waiters();
                }
                held.now.fetch_sub(1, Ordering::SeqCst);
                answer
            }
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// Two queues routed to a group each (their groups and queues rank first: they unlock the
/// routings), and [`AGENTS`] agents in no group.
fn groups_first_then_agents() -> Model {
    let mut m = Model::default();
    for i in 0..2 {
        m.groups.insert(format!("g{i}"), Group::default());
        let mut q = Queue::default();
        q.routing
            .insert(format!("g{i}"), Routing { primary: false });
        m.queues.insert(format!("q{i}"), q);
    }
    for i in 0..AGENTS {
        m.agents.insert(
            format!("a{i}"),
            Agent {
                name: format!("A {i}"),
                routing: AgentRouting::App,
                phone_number: None,
                out_of_hours_callout: None,
            },
        );
    }
    m
}

/// Two steps at work. The groups' creates go first; each is looked up in the group list, a
/// read shared by the look-ups waiting together, and the server holds that read back. The
/// second group's look-up waits for the next read, which goes only once the first is
/// answered. When a step held its place while it waited, the two groups held both and no
/// agent create could be sent until the read came back; standing aside, they leave the
/// second place to the agents, whose creates (and look-ups) go while the read is held. And
/// never more than two requests are in flight at the server, the held read included.
#[tokio::test]
async fn a_step_waiting_for_a_shared_look_up_keeps_no_write_from_being_sent() {
    let dir = tempfile::tempdir().unwrap();
    let held = Arc::new(Held::default());
    let url = holding_group_lists(held.clone()).await;
    let client = support::client_at(&url);
    let live = read(&client).await;
    let plan = support::plan(&groups_first_then_agents(), &live);
    let rank = |address: &str| {
        plan.steps
            .iter()
            .position(|s| s.address.to_string() == address)
            .unwrap()
    };
    // In plan order the agents come first; by rank the groups do (checked below, from the
    // order the steps started in).
    assert!(rank("agent.a0") < rank("group.g0"));
    held.armed.store(true, Ordering::SeqCst);
    held.most.store(0, Ordering::SeqCst);
    let cfg = executor::Config {
        parallelism: 2,
        // No earlier run to wait for: only the shared look-ups wait.
        started: std::time::Instant::now().checked_sub(Duration::from_secs(5)),
        ..config(dir.path())
    };
    let mut order = Vec::new();
    let report = executor::apply(&plan, &live.ids, &client, &cfg, |event| {
        if let Event::Started { step, .. } = event {
            order.push(step.address.to_string());
        }
    })
    .await;
    support::assert_success(&report);
    assert!(
        order[..2].iter().all(|a| !a.starts_with("agent.")),
        "{order:?}"
    );
    assert!(
        !held.gave_up.load(Ordering::SeqCst),
        "no agent create was sent while the group list was held back: {order:?}"
    );
    assert_eq!(held.agent_posts.load(Ordering::SeqCst), AGENTS);
    let most = held.most.load(Ordering::SeqCst);
    assert!(most <= 2, "{most} requests in flight at the server at once");
}
