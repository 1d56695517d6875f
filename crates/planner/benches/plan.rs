//! Planner time for a 10,000-object project: against a matching live state (the no-op plan
//! every `plan` and `drift` run pays), against a live state with 1 % drift, and the renderings
//! of that plan. Prints figures; asserts nothing.
//!
//! Run: `cargo bench -p planner --bench plan`

#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use planner::{plan, render, saved};
use spec::Policy;
use spec::model::{
    Agent, AgentRouting, DEFAULT_VOICE, Group, IvrNode, IvrTree, Key, KeyAction, Model, Number,
    NumberRoute, Prompt, Queue, Routing,
};

/// 2,800 agents, 200 groups of 5 (1,000 memberships), 200 queues routing to 2 groups each
/// (400 routings), 100 trees of 10 nodes with 4 keys each (1,000 nodes, 4,000 keys), 300
/// numbers: 10,000 objects.
fn project() -> Model {
    let mut m = Model::default();
    for i in 0..2800 {
        m.agents.insert(
            format!("agent-{i:05}"),
            Agent {
                name: format!("Agent {i}"),
                routing: AgentRouting::App,
                phone_number: None,
                out_of_hours_callout: None,
            },
        );
    }
    for g in 0..200 {
        m.groups.insert(
            format!("group-{g:03}"),
            Group {
                agents: (0..5).map(|k| format!("agent-{:05}", g * 5 + k)).collect(),
            },
        );
    }
    for q in 0..200 {
        let routing: BTreeMap<String, Routing> = [
            (format!("group-{q:03}"), Routing { primary: true }),
            (
                format!("group-{:03}", (q + 1) % 200),
                Routing { primary: false },
            ),
        ]
        .into_iter()
        .collect();
        m.queues.insert(
            format!("queue-{q:03}"),
            Queue {
                routing,
                ..Queue::default()
            },
        );
    }
    for t in 0..100 {
        let mut nodes = BTreeMap::new();
        for n in 0..10 {
            let keys = [
                (
                    Key::D1,
                    KeyAction::Goto {
                        node: format!("node-{}", (n + 1) % 10),
                    },
                ),
                (
                    Key::D2,
                    KeyAction::Queue {
                        queue: format!("queue-{:03}", (t * 2 + n) % 200),
                    },
                ),
                (
                    Key::D0,
                    KeyAction::Forward {
                        to: "84909992666".into(),
                        caller_id: None,
                    },
                ),
                (Key::Timeout, KeyAction::Hangup),
            ]
            .into_iter()
            .collect();
            nodes.insert(
                format!("node-{n}"),
                IvrNode {
                    prompt: Prompt::Say {
                        text: format!(
                            "Menu {n} of tree {t}: press 1 for the next menu, 2 for a person."
                        ),
                        voice: DEFAULT_VOICE.into(),
                        speed: 0,
                    },
                    barge_in: true,
                    loop_count: 1,
                    delay_ms: 0,
                    keypress_timeout: 5,
                    keys,
                },
            );
        }
        m.ivr.insert(
            format!("tree-{t:03}"),
            IvrTree {
                start: "node-0".into(),
                nodes,
            },
        );
    }
    for n in 0..300 {
        let route = if n % 2 == 0 {
            NumberRoute::Ivr(format!("tree-{:03}", n % 100))
        } else {
            NumberRoute::Queue(format!("queue-{:03}", n % 200))
        };
        m.numbers.insert(
            format!("8424730{n:05}"),
            Number {
                nickname: None,
                route: Some(route),
                allow_outbound_calls: true,
                record_outbound_calls: false,
                all_groups_can_call_out: None,
            },
        );
    }
    m
}

fn objects(m: &Model) -> usize {
    m.agents.len()
        + m.groups.len()
        + m.groups.values().map(|g| g.agents.len()).sum::<usize>()
        + m.queues.len()
        + m.queues.values().map(|q| q.routing.len()).sum::<usize>()
        + m.ivr.len()
        + m.ivr.values().map(|t| t.nodes.len()).sum::<usize>()
        + m.ivr
            .values()
            .flat_map(|t| t.nodes.values())
            .map(|n| n.keys.len())
            .sum::<usize>()
        + m.numbers.len()
}

/// Median and fastest of `runs` timings of `f`.
fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed()
        })
        .collect();
    times.sort();
    (times[runs / 2], times[0])
}

fn report(what: &str, (median, min): (Duration, Duration)) {
    println!(
        "{what:<46} median {:>8.2} ms   min {:>8.2} ms",
        median.as_secs_f64() * 1e3,
        min.as_secs_f64() * 1e3
    );
}

fn main() {
    let desired = project();
    let live = desired.clone();
    let policy = Policy::default();
    println!("project: {} objects", objects(&desired));

    report(
        "plan, live matches (no-op)",
        time(30, || plan(&desired, &live, &policy)),
    );

    // 1 % drift: 100 agents renamed, 100 key presses repointed.
    let mut drifted = live.clone();
    for (i, agent) in drifted.agents.values_mut().enumerate().take(100) {
        agent.name = format!("Renamed {i}");
    }
    for tree in drifted.ivr.values_mut() {
        let node = tree.nodes.get_mut("node-3").expect("every tree has node-3");
        node.keys.insert(Key::D1, KeyAction::Hangup);
    }
    let p = plan(&desired, &drifted, &policy);
    println!("drifted plan: {} steps", p.steps.len());
    report(
        "plan, 1 % drift",
        time(30, || plan(&desired, &drifted, &policy)),
    );
    report(
        "render text (1 % drift)",
        time(30, || render::text(&p, false)),
    );
    report("render json (1 % drift)", time(30, || render::json(&p)));
    report(
        "render markdown (1 % drift)",
        time(30, || render::markdown(&p)),
    );
    report(
        "saved plan write + read (1 % drift)",
        time(30, || {
            saved::from_json(&saved::to_json(&p)).expect("reads back")
        }),
    );

    let empty = Model::default();
    let create = plan(&desired, &empty, &policy);
    println!("create-everything plan: {} steps", create.steps.len());
    report(
        "plan, empty live (create all)",
        time(10, || plan(&desired, &empty, &policy)),
    );
    report(
        "plan, empty spec (delete all)",
        time(10, || plan(&empty, &live, &policy)),
    );
}
