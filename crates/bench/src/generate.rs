//! A realistic contact center of any size, from a seed: the [`Model`], the spec files a team
//! would keep in git (written through `spec::emit`, split the way teams split them), the audio
//! files they name, and a "1 % change" of it.
//!
//! Same size and seed, same bytes: every choice comes from one `fastrand::Rng`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;
use spec::model::{
    Agent, AgentRouting, Audio, AudioDigest, AudioId, CallSettings, Group, IvrNode, IvrTree, Key,
    KeyAction, Model, Number, NumberRoute, Prompt, Queue, Routing, Sensitive,
};

/// How big a contact center to make.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Size {
    /// Agents (about 5 % ring their own phone).
    pub agents: usize,
    /// Groups; every agent is in one team group and half of them in a second, skill group.
    pub groups: usize,
    /// Queues, each routed to two or three groups (one primary).
    pub queues: usize,
    /// IVR trees.
    pub trees: usize,
    /// Nodes per tree (a menu tree, three choices per node).
    pub nodes: usize,
    /// Phone numbers: the first `trees` go to an IVR, the rest straight to a queue.
    pub numbers: usize,
    /// Audio files (greetings and prompts).
    pub audio: usize,
}

impl Default for Size {
    /// The benchmark's default: about 10,000 configured objects (20,000 API objects once
    /// memberships, routings and key presses are counted).
    fn default() -> Self {
        Size {
            agents: 5_000,
            groups: 200,
            queues: 100,
            trees: 50,
            nodes: 30,
            numbers: 100,
            audio: 20,
        }
    }
}

/// Every node has four keys: three menu choices and a timeout.
const MENU_KEYS: [Key; 3] = [Key::D1, Key::D2, Key::D3];

const FIRST: [&str; 16] = [
    "An", "Binh", "Chi", "Dung", "Giang", "Hoa", "Khanh", "Linh", "Minh", "Ngoc", "Phuong",
    "Quang", "Thao", "Trang", "Tuan", "Vy",
];
const LAST: [&str; 10] = [
    "Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu", "Vo", "Dang", "Bui", "Do",
];
const TEAMS: [&str; 8] = [
    "sales",
    "support",
    "billing",
    "retention",
    "tech",
    "vip",
    "outage",
    "field",
];
const WORDS: [&str; 16] = [
    "billing",
    "your account",
    "technical support",
    "a new connection",
    "an outage",
    "sales",
    "your invoice",
    "moving house",
    "router problems",
    "payment options",
    "our latest offers",
    "cancelling",
    "business plans",
    "a technician visit",
    "roaming",
    "anything else",
];

/// The digits of number `i`.
pub fn number_digits(i: usize) -> String {
    format!("842873{i:06}")
}

fn agent_id(i: usize) -> String {
    format!("agent-{i:05}")
}

fn group_name(i: usize) -> String {
    format!("{}-{i:03}", TEAMS[i % TEAMS.len()])
}

fn queue_name(i: usize) -> String {
    format!("q-{}-{i:03}", TEAMS[i % TEAMS.len()])
}

fn tree_name(i: usize) -> String {
    format!("ivr-{i:03}")
}

fn node_name(i: usize) -> String {
    if i == 0 {
        "menu".to_owned()
    } else {
        format!("n{i:02}")
    }
}

/// The bytes of audio file `i`: a small WAV-like blob, different for every `i` and seed.
fn audio_bytes(rng: &mut fastrand::Rng, i: usize) -> Vec<u8> {
    let mut bytes = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
    bytes.extend_from_slice(format!("bench audio {i}").as_bytes());
    bytes.extend((0..2048).map(|_| rng.u8(..)));
    bytes
}

/// A generated contact center: the model and the audio files' bytes (by path relative to
/// the spec root).
#[derive(Clone, Debug)]
pub struct Center {
    /// What the spec describes.
    pub model: Model,
    /// `audio/<name>.wav` → bytes.
    pub audio: BTreeMap<String, Vec<u8>>,
}

/// Builds a contact center of `size` from `seed`.
pub fn center(size: &Size, seed: u64) -> Center {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut model = Model {
        settings: Some(CallSettings {
            event_url: Some(Sensitive::new("https://crm.bench.example/stringee/events")),
            get_customer_info_url: Some(Sensitive::new(
                "https://crm.bench.example/stringee/customer",
            )),
            get_customer_info_timeout_ms: 1500,
            callout_answer_url: None,
        }),
        ..Model::default()
    };

    let mut audio = BTreeMap::new();
    let mut audio_ids = Vec::new();
    for i in 0..size.audio {
        let bytes = audio_bytes(&mut rng, i);
        let id = AudioId::Sha256(AudioDigest::of(&bytes));
        let name = format!("prompt-{i:02}");
        let file = format!("audio/{name}.wav");
        model.audio.insert(
            id.clone(),
            Audio {
                name,
                file: Some(file.clone()),
            },
        );
        audio.insert(file, bytes);
        audio_ids.push(id);
    }

    for i in 0..size.agents {
        let phone = rng.u8(0..100) < 5;
        let name = format!(
            "{} {} {i}",
            FIRST[rng.usize(..FIRST.len())],
            LAST[rng.usize(..LAST.len())]
        );
        model.agents.insert(
            agent_id(i),
            Agent {
                name,
                routing: if phone {
                    AgentRouting::Phone
                } else {
                    AgentRouting::App
                },
                phone_number: phone.then(|| format!("8490{:07}", rng.u32(0..10_000_000))),
                out_of_hours_callout: None,
            },
        );
    }

    let groups = size.groups.max(1);
    let mut members: Vec<BTreeSet<String>> = vec![BTreeSet::new(); groups];
    for i in 0..size.agents {
        members[i % groups].insert(agent_id(i));
        if rng.bool() {
            members[rng.usize(..groups)].insert(agent_id(i));
        }
    }
    if size.agents > 0 {
        for (i, agents) in members.into_iter().enumerate() {
            model.groups.insert(group_name(i), Group { agents });
        }
    }

    let callout = (size.numbers > 0).then(|| number_digits(0));
    for i in 0..size.queues {
        let mut routing = BTreeMap::new();
        if !model.groups.is_empty() {
            routing.insert(group_name((2 * i) % groups), Routing { primary: true });
            routing
                .entry(group_name((2 * i + 1) % groups))
                .or_insert(Routing { primary: false });
            if rng.u8(0..10) < 3 {
                routing
                    .entry(group_name(rng.usize(..groups)))
                    .or_insert(Routing { primary: false });
            }
        }
        let greeting = (!audio_ids.is_empty() && rng.u8(0..4) == 0)
            .then(|| audio_ids[rng.usize(..audio_ids.len())].clone());
        model.queues.insert(
            queue_name(i),
            Queue {
                wrap_up_time_limit: 5 * rng.u32(1..7),
                wait_agent_answer_timeout: 10 + rng.u32(0..20),
                wait_greeting: greeting,
                from_number_callout_to_agent: callout.clone(),
                routing,
                ..Queue::default()
            },
        );
    }

    let queues: Vec<String> = model.queues.keys().cloned().collect();
    let pick_queue = |rng: &mut fastrand::Rng| -> Option<String> {
        (!queues.is_empty()).then(|| queues[rng.usize(..queues.len())].clone())
    };
    for t in 0..size.trees {
        let mut nodes = BTreeMap::new();
        let count = size.nodes.max(1);
        for n in 0..count {
            let mut keys = BTreeMap::new();
            for (k, key) in MENU_KEYS.iter().enumerate() {
                let child = 3 * n + k + 1;
                let action = if child < count {
                    KeyAction::Goto {
                        node: node_name(child),
                    }
                } else {
                    match (k, pick_queue(&mut rng)) {
                        (2, _) if rng.u8(0..4) == 0 => KeyAction::Forward {
                            to: format!("8490{:07}", rng.u32(0..10_000_000)),
                            caller_id: None,
                        },
                        (_, Some(queue)) => KeyAction::Queue { queue },
                        (_, None) => KeyAction::Hangup,
                    }
                };
                keys.insert(*key, action);
            }
            keys.insert(
                Key::Timeout,
                match pick_queue(&mut rng) {
                    Some(queue) => KeyAction::Queue { queue },
                    None => KeyAction::Hangup,
                },
            );
            let prompt = if !audio_ids.is_empty() && rng.u8(0..10) == 0 {
                Prompt::Play {
                    audio: audio_ids[rng.usize(..audio_ids.len())].clone(),
                }
            } else {
                Prompt::say(menu_text(&mut rng))
            };
            nodes.insert(
                node_name(n),
                IvrNode {
                    loop_count: IvrNode::DEFAULT_LOOP_COUNT + rng.u32(0..2),
                    keys,
                    ..IvrNode::with_prompt(prompt)
                },
            );
        }
        model.ivr.insert(
            tree_name(t),
            IvrTree {
                start: node_name(0),
                nodes,
            },
        );
    }

    for i in 0..size.numbers {
        let route = if i < size.trees {
            Some(NumberRoute::Ivr(tree_name(i)))
        } else {
            pick_queue(&mut rng).map(NumberRoute::Queue)
        };
        let Some(route) = route else { continue };
        model.numbers.insert(
            number_digits(i),
            Number {
                nickname: Some(format!("Line {i}")),
                route: Some(route),
                allow_outbound_calls: i % 3 == 0,
                record_outbound_calls: i % 6 == 0,
                all_groups_can_call_out: None,
            },
        );
    }

    Center { model, audio }
}

fn menu_text(rng: &mut fastrand::Rng) -> String {
    let mut text = String::from("Thank you for calling.");
    for key in 1..=3 {
        let _ = write!(
            text,
            " For {}, press {key}.",
            WORDS[rng.usize(..WORDS.len())]
        );
    }
    text
}

/// The objects PCC keeps under others: group memberships, queue routings, IVR nodes and
/// their key presses.
struct Children {
    memberships: usize,
    routings: usize,
    nodes: usize,
    keys: usize,
}

fn children(model: &Model) -> Children {
    let nodes = model.ivr.values().flat_map(|t| t.nodes.values());
    Children {
        memberships: model.groups.values().map(|g| g.agents.len()).sum(),
        routings: model.queues.values().map(|q| q.routing.len()).sum(),
        nodes: nodes.clone().count(),
        keys: nodes.map(|n| n.keys.len()).sum(),
    }
}

/// How many objects PCC holds for `model`: one per agent, group, membership, queue, routing,
/// tree, node, key press, number and audio file, plus the settings. A per-object refresh
/// reads each once, and an apply from empty creates each once.
pub fn objects(model: &Model) -> u64 {
    let Children {
        memberships,
        routings,
        nodes,
        keys,
    } = children(model);
    (model.agents.len()
        + model.groups.len()
        + memberships
        + model.queues.len()
        + routings
        + model.ivr.len()
        + nodes
        + keys
        + model.numbers.len()
        + model.audio.len()
        + usize::from(model.settings.is_some())) as u64
}

/// `20713` as `20,713`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One line naming what `model` holds.
pub fn describe(model: &Model) -> String {
    let Children {
        memberships,
        routings,
        nodes,
        keys,
    } = children(model);
    let n = |v: usize| thousands(v as u64);
    format!(
        "{} agents, {} groups ({} memberships), {} queues ({} routings), {} IVR trees ({} nodes, \
         {} key presses), {} numbers, {} audio files, settings: {} objects",
        n(model.agents.len()),
        n(model.groups.len()),
        n(memberships),
        n(model.queues.len()),
        n(routings),
        n(model.ivr.len()),
        n(nodes),
        n(keys),
        n(model.numbers.len()),
        n(model.audio.len()),
        thousands(objects(model))
    )
}

/// Writes the spec of `center` under `dir` as a team would lay it out: `switchboard.yaml`
/// (version, settings), `numbers.yaml`, `audio.yaml` and `audio/`, `team/agents.yaml`,
/// `team/groups.yaml`, `queues.yaml`, one `ivr/<tree>.yaml` per tree, and `tests.yaml` (a
/// flow test per IVR number). Answers the number of YAML files.
pub fn write(center: &Center, dir: &Path) -> anyhow::Result<usize> {
    let model = &center.model;
    let schema = "https://switchboard.invalid/schema.json";
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    let only = |sub: Model, kind: &str| -> String {
        spec::emit(&sub, schema).remove(kind).unwrap_or_default()
    };
    // Sub-models carry the audio so that references to it keep their names.
    let with_audio = |sub: Model| Model {
        audio: model.audio.clone(),
        ..sub
    };

    let settings = only(
        Model {
            settings: model.settings.clone(),
            ..Model::default()
        },
        "settings.yaml",
    );
    files.insert(
        "switchboard.yaml".to_owned(),
        format!("version: 1\n{settings}"),
    );
    files.insert(
        "numbers.yaml".to_owned(),
        only(
            Model {
                numbers: model.numbers.clone(),
                ..Model::default()
            },
            "numbers.yaml",
        ),
    );
    files.insert(
        "audio.yaml".to_owned(),
        only(with_audio(Model::default()), "audio.yaml"),
    );
    files.insert(
        "team/agents.yaml".to_owned(),
        only(
            Model {
                agents: model.agents.clone(),
                ..Model::default()
            },
            "agents.yaml",
        ),
    );
    files.insert(
        "team/groups.yaml".to_owned(),
        only(
            Model {
                groups: model.groups.clone(),
                ..Model::default()
            },
            "groups.yaml",
        ),
    );
    files.insert(
        "queues.yaml".to_owned(),
        only(
            with_audio(Model {
                queues: model.queues.clone(),
                ..Model::default()
            }),
            "queues.yaml",
        ),
    );
    for (name, tree) in &model.ivr {
        let sub = with_audio(Model {
            ivr: BTreeMap::from([(name.clone(), tree.clone())]),
            ..Model::default()
        });
        files.insert(format!("ivr/{name}.yaml"), only(sub, "ivr.yaml"));
    }
    files.insert("tests.yaml".to_owned(), flow_tests(model));
    files.retain(|_, text| !text.is_empty());

    for (relative, text) in &files {
        write_file(&dir.join(relative), text.as_bytes())?;
    }
    for (relative, bytes) in &center.audio {
        write_file(&dir.join(relative), bytes)?;
    }
    Ok(files.len())
}

fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create `{}`", parent.display()))?;
    }
    std::fs::write(path, bytes).with_context(|| format!("cannot write `{}`", path.display()))
}

/// A flow test per IVR number: press `1`, then `2`, then stay silent; the expected queue is
/// where the walk ends (only walks that end in a queue are kept).
fn flow_tests(model: &Model) -> String {
    let mut out = String::new();
    for (digits, number) in &model.numbers {
        if !matches!(number.route, Some(NumberRoute::Ivr(_))) {
            continue;
        }
        let walk = spec::flow::walk(model, digits, "12");
        if let spec::flow::End::Queue(queue) = walk.end {
            let _ = writeln!(
                out,
                "  - {{ number: \"{digits}\", keys: \"12\", expect: {{ queue: {queue} }} }}"
            );
        }
    }
    if out.is_empty() {
        String::new()
    } else {
        format!("tests:\n{out}")
    }
}

/// A change of about `share` of the objects (at least one), the mix a busy week brings:
/// agents renamed, hired (and put in a group), let go, moved between groups; prompts
/// reworded; menu keys sent to another queue; queue timings and number nicknames edited.
/// Flow tests keep passing: only leaf nodes' `3` keys are redirected.
pub fn change(model: &Model, share: f64, seed: u64) -> (Model, usize) {
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x5eed_c4a9_e000_0001);
    let mut next = model.clone();
    let target = ((objects(model) as f64 * share).ceil() as usize).max(1);
    let agents: Vec<String> = model.agents.keys().cloned().collect();
    let groups: Vec<String> = model.groups.keys().cloned().collect();
    let queues: Vec<String> = model.queues.keys().cloned().collect();
    let trees: Vec<String> = model.ivr.keys().cloned().collect();
    let numbers: Vec<String> = model.numbers.keys().cloned().collect();
    let mut removed = BTreeSet::new();
    let mut hired = 0;
    let mut changes = 0;
    let mut round = 0usize;
    while changes < target && round < target * 10 {
        round += 1;
        match round % 8 {
            0 if !agents.is_empty() => {
                let id = &agents[rng.usize(..agents.len())];
                if let Some(agent) = next.agents.get_mut(id) {
                    agent.name.push_str(" (renamed)");
                    changes += 1;
                }
            }
            1 if !groups.is_empty() => {
                let id = format!("agent-new-{hired:04}");
                hired += 1;
                next.agents.insert(
                    id.clone(),
                    Agent {
                        name: format!("New Hire {hired}"),
                        routing: AgentRouting::App,
                        phone_number: None,
                        out_of_hours_callout: None,
                    },
                );
                let group = &groups[rng.usize(..groups.len())];
                next.groups
                    .get_mut(group)
                    .expect("listed")
                    .agents
                    .insert(id);
                changes += 2;
            }
            2 if !agents.is_empty() => {
                let id = agents[rng.usize(..agents.len())].clone();
                if removed.insert(id.clone()) {
                    next.agents.remove(&id);
                    for group in next.groups.values_mut() {
                        if group.agents.remove(&id) {
                            changes += 1;
                        }
                    }
                    changes += 1;
                }
            }
            3 if groups.len() > 1 => {
                let from = &groups[rng.usize(..groups.len())];
                let to = &groups[rng.usize(..groups.len())];
                let moved = next.groups[from]
                    .agents
                    .iter()
                    .find(|a| !next.groups[to].agents.contains(*a))
                    .cloned();
                if let Some(agent) = moved
                    && next.groups[from].agents.len() > 1
                {
                    next.groups
                        .get_mut(from)
                        .expect("listed")
                        .agents
                        .remove(&agent);
                    next.groups
                        .get_mut(to)
                        .expect("listed")
                        .agents
                        .insert(agent);
                    changes += 2;
                }
            }
            4 if !trees.is_empty() => {
                let tree = next
                    .ivr
                    .get_mut(&trees[rng.usize(..trees.len())])
                    .expect("listed");
                let names: Vec<String> = tree.nodes.keys().cloned().collect();
                let node = tree
                    .nodes
                    .get_mut(&names[rng.usize(..names.len())])
                    .expect("listed");
                if let Prompt::Say { text, .. } = &mut node.prompt {
                    text.push_str(" Calls may be recorded.");
                    changes += 1;
                }
            }
            5 if !trees.is_empty() && queues.len() > 1 => {
                let tree = next
                    .ivr
                    .get_mut(&trees[rng.usize(..trees.len())])
                    .expect("listed");
                let leaves: Vec<String> = tree
                    .nodes
                    .iter()
                    .filter(|(_, n)| matches!(n.keys.get(&Key::D3), Some(KeyAction::Queue { .. })))
                    .map(|(name, _)| name.clone())
                    .collect();
                if !leaves.is_empty() {
                    let node = tree
                        .nodes
                        .get_mut(&leaves[rng.usize(..leaves.len())])
                        .expect("listed");
                    let queue = queues[rng.usize(..queues.len())].clone();
                    if node.keys.insert(
                        Key::D3,
                        KeyAction::Queue {
                            queue: queue.clone(),
                        },
                    ) != Some(KeyAction::Queue { queue })
                    {
                        changes += 1;
                    }
                }
            }
            6 if !queues.is_empty() => {
                let queue = next
                    .queues
                    .get_mut(&queues[rng.usize(..queues.len())])
                    .expect("listed");
                queue.wrap_up_time_limit += 1;
                changes += 1;
            }
            7 if !numbers.is_empty() => {
                let number = next
                    .numbers
                    .get_mut(&numbers[rng.usize(..numbers.len())])
                    .expect("listed");
                number.nickname = Some(format!("Line renamed {round}"));
                changes += 1;
            }
            _ => {}
        }
    }
    (next, changes)
}

/// A fresh copy of `center` with `model` in place of its model (same audio files).
pub fn with_model(center: &Center, model: Model) -> Center {
    Center {
        model,
        audio: center.audio.clone(),
    }
}
