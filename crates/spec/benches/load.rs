//! How long `spec::load` takes on a big contact center: 4,000 agents, 200 groups (4,000
//! memberships), 200 queues (400 routings), 50 IVR trees (500 nodes, 2,400 keys) and 200
//! numbers, 11,950 objects, plus 200 flow tests, over 6 files. Prints figures; asserts
//! nothing about time.
//!
//!     cargo bench -p spec --bench load
//!
//! Then the same contact center as one spec with two environments (`staging`, `production`),
//! each with its own 200 numbers in its `include:` files and the flow tests' numbers written
//! `${var.prefix}…`, validated as `validate` does without `--env`: loaded once per
//! environment. The target is under 300 ms for both.
//!
//! With `SWITCHBOARD_BENCH_OUT=DIR` it also writes the spec there, so the whole binary can be
//! timed: `time target/release/switchboard validate DIR`.

#![allow(clippy::print_stdout)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::time::{Duration, Instant};

use spec::model::{
    Agent, AgentRouting, Group, IvrNode, IvrTree, Key, KeyAction, Model, Number, NumberRoute,
    Prompt, Queue, Routing,
};
use spec::{Selected, Source, emit, flow, load, load_with};

fn model() -> Model {
    let mut model = Model::default();
    for a in 0..4000 {
        model.agents.insert(
            format!("agent-{a:04}"),
            Agent {
                name: format!("Agent {a}"),
                routing: AgentRouting::App,
                phone_number: None,
                out_of_hours_callout: None,
            },
        );
    }
    for g in 0..200 {
        let agents: BTreeSet<String> = (0..20)
            .map(|i| format!("agent-{:04}", g * 20 + i))
            .collect();
        model
            .groups
            .insert(format!("group-{g:03}"), Group { agents });
    }
    for q in 0..200 {
        let routing = BTreeMap::from([
            (format!("group-{q:03}"), Routing { primary: true }),
            (
                format!("group-{:03}", (q + 1) % 200),
                Routing { primary: false },
            ),
        ]);
        model.queues.insert(
            format!("queue-{q:03}"),
            Queue {
                routing,
                ..Queue::default()
            },
        );
    }
    for t in 0..50 {
        let queue = |n: usize| KeyAction::Queue {
            queue: format!("queue-{:03}", (t * 4 + n) % 200),
        };
        let node = |n: usize| format!("node-{n}");
        let mut nodes = BTreeMap::new();
        for n in 0..10 {
            let mut keys = BTreeMap::new();
            if n + 1 < 10 {
                keys.insert(Key::D1, KeyAction::Goto { node: node(n + 1) });
            }
            keys.insert(Key::D2, queue(n));
            if n > 0 {
                keys.insert(Key::D9, KeyAction::Goto { node: node(0) });
            }
            keys.insert(Key::Timeout, queue(n + 1));
            keys.insert(Key::Invalid, KeyAction::Goto { node: node(n) });
            nodes.insert(
                node(n),
                IvrNode {
                    prompt: Prompt::Say {
                        text: format!("Menu {n} of tree {t}. Press 1 for more, 2 for an agent."),
                        voice: spec::model::DEFAULT_VOICE.to_owned(),
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
        model.ivr.insert(
            format!("tree-{t:02}"),
            IvrTree {
                start: node(0),
                nodes,
            },
        );
    }
    for n in 0..200 {
        let route = if n < 100 {
            NumberRoute::Ivr(format!("tree-{:02}", n % 50))
        } else {
            NumberRoute::Queue(format!("queue-{:03}", n))
        };
        model.numbers.insert(
            format!("8428730{n:05}"),
            Number {
                nickname: Some(format!("Line {n}")),
                route: Some(route),
                allow_outbound_calls: n % 2 == 0,
                record_outbound_calls: false,
                all_groups_can_call_out: None,
            },
        );
    }
    model
}

/// One flow test per number; the expected outcome is what the walk gives.
fn tests(model: &Model) -> String {
    let mut out = String::from("tests:\n");
    for (i, number) in model.numbers.keys().enumerate() {
        let keys = if i < 100 {
            ["", "2", "12", "1192", "1112"][i % 5]
        } else {
            ""
        };
        let expect = match flow::walk(model, number, keys).end {
            flow::End::Queue(queue) => format!("queue: {queue}"),
            other => panic!("unexpected end {other}"),
        };
        writeln!(
            out,
            "  - {{ number: \"{number}\", keys: \"{keys}\", expect: {{ {expect} }} }}"
        )
        .unwrap();
    }
    out
}

fn main() {
    let model = model();
    let mut files = emit(&model, "../schema/switchboard.schema.json");
    files.insert("tests.yaml".to_owned(), tests(&model));
    let bytes: usize = files.values().map(String::len).sum();
    let sources: Vec<Source> = files
        .iter()
        .map(|(path, text)| Source {
            path: path.clone(),
            text: text.clone(),
        })
        .collect();
    if let Some(dir) = std::env::var_os("SWITCHBOARD_BENCH_OUT") {
        std::fs::create_dir_all(&dir).unwrap();
        for (path, text) in &files {
            std::fs::write(std::path::Path::new(&dir).join(path), text).unwrap();
        }
    }

    let no_audio = |_: &str| Err("no audio in this benchmark".to_owned());
    let mut times: Vec<Duration> = Vec::new();
    for _ in 0..10 {
        let started = Instant::now();
        let loaded = load(&sources, &no_audio);
        times.push(started.elapsed());
        assert!(loaded.spec.is_some(), "{:?}", loaded.diagnostics.first());
        assert_eq!(loaded.spec.unwrap().model, model);
    }
    times.sort();
    let nodes: usize = model.ivr.values().map(|t| t.nodes.len()).sum();
    let keys: usize = model
        .ivr
        .values()
        .flat_map(|t| t.nodes.values())
        .map(|n| n.keys.len())
        .sum();
    let members: usize = model.groups.values().map(|g| g.agents.len()).sum();
    let routings: usize = model.queues.values().map(|q| q.routing.len()).sum();
    let objects = model.agents.len()
        + model.groups.len()
        + members
        + model.queues.len()
        + routings
        + model.ivr.len()
        + nodes
        + keys
        + model.numbers.len();
    println!(
        "spec::load: {objects} objects + {} flow tests, {} files, {} KiB of YAML",
        model.numbers.len(),
        files.len(),
        bytes / 1024
    );
    println!(
        "  10 runs: min {:.1} ms, median {:.1} ms, max {:.1} ms",
        times[0].as_secs_f64() * 1e3,
        times[5].as_secs_f64() * 1e3,
        times[9].as_secs_f64() * 1e3
    );
    two_environments(&files, &no_audio);
}

/// The same files as one spec with two environments, each loaded in full.
fn two_environments(
    files: &BTreeMap<String, String>,
    audio: &dyn Fn(&str) -> Result<String, String>,
) {
    let mut base: Vec<Source> = files
        .iter()
        .filter(|(path, _)| *path != "numbers.yaml")
        .map(|(path, text)| Source {
            path: path.clone(),
            text: text.replace("number: \"8428730", "number: \"${var.prefix}"),
        })
        .collect();
    base.push(Source {
        path: "environments.yaml".to_owned(),
        text: "environments:\n  staging:\n    vars: { prefix: \"8428730\" }\n    include: [envs/staging]\n  production:\n    vars: { prefix: \"8428731\" }\n    include: [envs/production]\n".to_owned(),
    });
    let numbers = &files["numbers.yaml"];
    let includes = |env: &str, prefix: &str| {
        vec![Source {
            path: format!("envs/{env}/numbers.yaml"),
            text: numbers.replace("\"8428730", &format!("\"{prefix}")),
        }]
    };
    let staging = includes("staging", "8428730");
    let production = includes("production", "8428731");
    let unreadable = BTreeMap::new();
    let process = |_: &str| None;
    let mut times: Vec<Duration> = Vec::new();
    for _ in 0..10 {
        let started = Instant::now();
        for (name, includes) in [("staging", &staging), ("production", &production)] {
            let selected = Selected {
                name,
                includes,
                unreadable: &unreadable,
            };
            let loaded = load_with(&base, Some(&selected), &process, audio);
            assert!(
                loaded.spec.is_some(),
                "{name}: {:?}",
                loaded.diagnostics.first()
            );
        }
        times.push(started.elapsed());
    }
    times.sort();
    println!("two environments, each loaded in full (what `validate` without --env does):");
    println!(
        "  10 runs: min {:.1} ms, median {:.1} ms, max {:.1} ms (target: under 300 ms)",
        times[0].as_secs_f64() * 1e3,
        times[5].as_secs_f64() * 1e3,
        times[9].as_secs_f64() * 1e3
    );
}
