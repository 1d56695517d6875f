//! A generated contact center of any size: agents (some routed to their phone), groups with
//! members, queues with primary and overflow routing and greetings, IVR trees whose nodes
//! speak or play audio and whose keys go to nodes, queues, phones or hang up, numbers routed
//! to trees or queues, audio files on disk, and call settings. Deterministic for a seed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use spec::model::{
    Agent, AgentRouting, Audio, AudioId, CallSettings, DEFAULT_VOICE, Group, IvrNode, IvrTree, Key,
    KeyAction, Model, Number, NumberRoute, Prompt, Queue, Routing, Schedule,
};

/// How big a project to make.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    pub agents: usize,
    pub groups: usize,
    pub members: usize,
    pub queues: usize,
    pub trees: usize,
    pub nodes: usize,
    pub numbers: usize,
    pub audio: usize,
}

impl Size {
    pub const SMALL: Size = Size {
        agents: 8,
        groups: 3,
        members: 3,
        queues: 3,
        trees: 3,
        nodes: 3,
        numbers: 3,
        audio: 2,
    };

    /// At least 500 objects.
    pub const SOAK: Size = Size {
        agents: 120,
        groups: 20,
        members: 6,
        queues: 15,
        trees: 6,
        nodes: 8,
        numbers: 30,
        audio: 4,
    };
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    spec::model::AudioDigest::of(bytes)
}

/// Writes audio file `i` under `root` and answers its model entry.
pub fn audio_file(root: &Path, i: usize, tag: &str) -> (AudioId, Audio) {
    let file = format!("audio/clip-{tag}{i}.mp3");
    let bytes = format!("ID3 fake audio {tag}{i}").into_bytes();
    let path = root.join(&file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, &bytes).unwrap();
    (
        AudioId::Sha256(sha256_hex(&bytes)),
        Audio {
            name: format!("clip-{tag}{i}"),
            file: Some(file),
        },
    )
}

pub fn agent_id(i: usize) -> String {
    format!("agent{i:03}")
}

pub fn digits(i: usize) -> String {
    format!("8424700{i:05}")
}

/// A project of `size`, its audio written under `root`.
pub fn project(size: Size, seed: u64, root: &Path) -> Model {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut m = Model::default();

    let audio: Vec<AudioId> = (0..size.audio)
        .map(|i| {
            let (id, a) = audio_file(root, i, "");
            m.audio.insert(id.clone(), a);
            id
        })
        .collect();

    for i in 0..size.agents {
        let phone = i % 7 == 3;
        m.agents.insert(
            agent_id(i),
            Agent {
                name: format!("Agent {i}"),
                routing: if phone {
                    AgentRouting::Phone
                } else {
                    AgentRouting::App
                },
                phone_number: phone.then(|| format!("849{i:08}")),
                out_of_hours_callout: None,
            },
        );
    }
    for g in 0..size.groups {
        let mut agents = BTreeSet::new();
        while agents.len() < size.members.min(size.agents) {
            agents.insert(agent_id(rng.usize(0..size.agents)));
        }
        m.groups.insert(format!("group-{g:02}"), Group { agents });
    }
    for q in 0..size.queues {
        let mut routing = BTreeMap::new();
        routing.insert(
            format!("group-{:02}", q % size.groups),
            Routing { primary: true },
        );
        let overflow = format!("group-{:02}", (q + 1) % size.groups);
        routing
            .entry(overflow)
            .or_insert(Routing { primary: false });
        let greeting = (!audio.is_empty() && q % 2 == 0).then(|| audio[q % audio.len()].clone());
        m.queues.insert(
            format!("queue-{q:02}"),
            Queue {
                wrap_up_time_limit: 10 + q as u32,
                schedule: if q % 3 == 0 {
                    Schedule::BusinessHours
                } else {
                    Schedule::Always
                },
                wait_greeting: greeting,
                from_number_callout_to_agent: (q % 2 == 1).then(|| digits(0)),
                routing,
                ..Queue::default()
            },
        );
    }
    for t in 0..size.trees {
        let mut nodes = BTreeMap::new();
        for n in 0..size.nodes {
            let prompt = if !audio.is_empty() && n % 3 == 2 {
                Prompt::Play {
                    audio: audio[(t + n) % audio.len()].clone(),
                }
            } else {
                Prompt::Say {
                    text: format!("Tree {t}, menu {n}. Press a key."),
                    voice: DEFAULT_VOICE.to_owned(),
                    speed: (n % 3) as i32 - 1,
                }
            };
            let mut keys = BTreeMap::new();
            for (k, key) in [Key::D1, Key::D2, Key::Timeout].into_iter().enumerate() {
                let action = match (n + k + t) % 4 {
                    0 => KeyAction::Goto {
                        node: format!("n{}", (n + 1) % size.nodes),
                    },
                    1 => KeyAction::Queue {
                        queue: format!("queue-{:02}", (t + n + k) % size.queues),
                    },
                    2 => KeyAction::Forward {
                        to: format!("8490{n}{k}000"),
                        caller_id: (k == 0).then(|| digits(1)),
                    },
                    _ => KeyAction::Hangup,
                };
                keys.insert(key, action);
            }
            nodes.insert(
                format!("n{n}"),
                IvrNode {
                    prompt,
                    barge_in: n % 2 == 0,
                    loop_count: 1 + (n % 2) as u32,
                    delay_ms: 0,
                    keypress_timeout: 5,
                    keys,
                },
            );
        }
        m.ivr.insert(
            format!("tree-{t}"),
            IvrTree {
                start: "n0".to_owned(),
                nodes,
            },
        );
    }
    for i in 0..size.numbers {
        let route = match i % 3 {
            0 if size.trees > 0 => Some(NumberRoute::Ivr(format!("tree-{}", i % size.trees))),
            1 => Some(NumberRoute::Queue(format!("queue-{:02}", i % size.queues))),
            _ => None,
        };
        m.numbers.insert(
            digits(i),
            Number {
                nickname: (i % 2 == 0).then(|| format!("Line {i}")),
                route,
                allow_outbound_calls: i % 2 == 1,
                record_outbound_calls: i % 4 == 1,
                all_groups_can_call_out: None,
            },
        );
    }
    m.settings = Some(CallSettings {
        event_url: Some("https://crm.example.com/stringee/events".into()),
        get_customer_info_url: Some("https://crm.example.com/who".into()),
        get_customer_info_timeout_ms: 1500,
        callout_answer_url: None,
    });
    m.blacklist = Some(
        (0..3)
            .map(|i| {
                let entry = spec::model::Blacklisted {
                    ivr: true,
                    queue: i != 1,
                };
                (format!("8490555{i:04}"), entry)
            })
            .collect(),
    );
    m
}

/// Objects in a model, as the planner counts them (one per address, audio included).
pub fn objects(m: &Model) -> usize {
    m.agents.len()
        + m.groups.len()
        + m.groups.values().map(|g| g.agents.len()).sum::<usize>()
        + m.audio.len()
        + m.queues.len()
        + m.queues.values().map(|q| q.routing.len()).sum::<usize>()
        + m.ivr.len()
        + m.ivr
            .values()
            .map(|t| t.nodes.len() + t.nodes.values().map(|n| n.keys.len()).sum::<usize>())
            .sum::<usize>()
        + m.numbers.len()
        + m.blacklist.as_ref().map_or(0, BTreeMap::len)
        + usize::from(m.settings.is_some())
}

/// Changes across every kind: updates, adds, removes, a routing priority flip and a tree
/// start move (both replacements), a new audio file and the move of a number.
pub fn mutate(m: &Model, root: &Path) -> Model {
    let mut m = m.clone();
    // Agents: rename one, drop one (and its memberships), add one, move one to phone routing.
    let mut agents = m.agents.keys().cloned();
    let renamed = agents.next().unwrap();
    let dropped = agents.next().unwrap();
    let rerouted = agents.next().unwrap();
    m.agents.get_mut(&renamed).unwrap().name.push_str(" (lead)");
    m.agents.remove(&dropped);
    for g in m.groups.values_mut() {
        g.agents.remove(&dropped);
    }
    {
        let a = m.agents.get_mut(&rerouted).unwrap();
        a.routing = AgentRouting::Phone;
        a.phone_number = Some("84901234567".to_owned());
    }
    m.agents.insert(
        "newcomer".to_owned(),
        Agent {
            name: "New Comer".to_owned(),
            routing: AgentRouting::App,
            phone_number: None,
            out_of_hours_callout: None,
        },
    );
    // Groups: a new group with members, a member moved.
    let first_group = m.groups.keys().next().unwrap().clone();
    let gone_group = m.groups.keys().last().unwrap().clone();
    m.groups
        .get_mut(&first_group)
        .unwrap()
        .agents
        .insert("newcomer".to_owned());
    m.groups.insert(
        "group-new".to_owned(),
        Group {
            agents: ["newcomer".to_owned(), renamed.clone()].into(),
        },
    );
    // Audio: a new file, used by a queue and a node.
    let (new_audio, a) = audio_file(root, 0, "new");
    m.audio.insert(new_audio.clone(), a);
    // Queues: fields changed, greeting changed, routing priority flipped, a routing added,
    // one removed.
    let queue_names: Vec<String> = m.queues.keys().cloned().collect();
    {
        let q = m.queues.get_mut(&queue_names[0]).unwrap();
        q.wait_agent_answer_timeout = 25;
        q.wait_greeting = Some(new_audio.clone());
        q.get_list_agents_url = Some("https://crm.example.com/agents".into());
        for r in q.routing.values_mut() {
            r.primary = !r.primary;
        }
        q.routing
            .insert("group-new".to_owned(), Routing { primary: false });
    }
    {
        let q = m.queues.get_mut(&queue_names[1]).unwrap();
        let overflow: Vec<String> = q
            .routing
            .iter()
            .filter(|(_, r)| !r.primary)
            .map(|(g, _)| g.clone())
            .collect();
        for g in overflow {
            q.routing.remove(&g);
        }
        q.from_number_callout_to_agent = None;
        q.record_calls = false;
    }
    m.queues.insert(
        "queue-new".to_owned(),
        Queue {
            routing: [("group-new".to_owned(), Routing { primary: true })].into(),
            hold_greeting: Some(new_audio.clone()),
            ..Queue::default()
        },
    );
    // IVR: one tree's start moves (every node and key recreated), another gets a changed
    // prompt, a changed key, a new key, a removed key and a new node; a new tree.
    let tree_names: Vec<String> = m.ivr.keys().cloned().collect();
    {
        let t = m.ivr.get_mut(&tree_names[0]).unwrap();
        t.start = "n1".to_owned();
    }
    {
        let t = m.ivr.get_mut(&tree_names[1]).unwrap();
        let n0 = t.nodes.get_mut("n0").unwrap();
        n0.prompt = Prompt::Play {
            audio: new_audio.clone(),
        };
        n0.keys.insert(
            Key::D1,
            KeyAction::Queue {
                queue: "queue-new".to_owned(),
            },
        );
        n0.keys.insert(
            Key::Hash,
            KeyAction::Goto {
                node: "extra".to_owned(),
            },
        );
        n0.keys.remove(&Key::Timeout);
        t.nodes.insert(
            "extra".to_owned(),
            IvrNode {
                prompt: Prompt::Say {
                    text: "An extra menu.".to_owned(),
                    voice: DEFAULT_VOICE.to_owned(),
                    speed: 0,
                },
                barge_in: true,
                loop_count: 1,
                delay_ms: 250,
                keypress_timeout: 8,
                keys: [(
                    Key::D0,
                    KeyAction::Goto {
                        node: "n0".to_owned(),
                    },
                )]
                .into(),
            },
        );
        // A node removed: first the keys that lead to it.
        let last = format!("n{}", t.nodes.len() - 2);
        for node in t.nodes.values_mut() {
            node.keys
                .retain(|_, a| *a != KeyAction::Goto { node: last.clone() });
        }
        t.nodes.remove(&last);
    }
    m.ivr.insert(
        "tree-new".to_owned(),
        IvrTree {
            start: "hello".to_owned(),
            nodes: [(
                "hello".to_owned(),
                IvrNode {
                    prompt: Prompt::Say {
                        text: "Hello.".to_owned(),
                        voice: DEFAULT_VOICE.to_owned(),
                        speed: 0,
                    },
                    barge_in: true,
                    loop_count: 1,
                    delay_ms: 0,
                    keypress_timeout: 5,
                    keys: [(Key::Timeout, KeyAction::Hangup)].into(),
                },
            )]
            .into(),
        },
    );
    // Numbers: one moved to the new tree, one renamed, one deleted, one added.
    let numbers: Vec<String> = m.numbers.keys().cloned().collect();
    m.numbers.get_mut(&numbers[0]).unwrap().route = Some(NumberRoute::Ivr("tree-new".to_owned()));
    m.numbers.get_mut(&numbers[1]).unwrap().nickname = Some("Renamed line".to_owned());
    m.numbers.remove(&numbers[2]);
    m.numbers.insert(
        "84247099999".to_owned(),
        Number {
            nickname: None,
            route: Some(NumberRoute::Queue("queue-new".to_owned())),
            allow_outbound_calls: true,
            record_outbound_calls: false,
            all_groups_can_call_out: None,
        },
    );
    // A queue, a group and a tree deleted, with what used them repointed first.
    let gone_queue = queue_names.last().unwrap().clone();
    m.queues.remove(&gone_queue);
    for t in m.ivr.values_mut() {
        for n in t.nodes.values_mut() {
            for a in n.keys.values_mut() {
                if *a
                    == (KeyAction::Queue {
                        queue: gone_queue.clone(),
                    })
                {
                    *a = KeyAction::Hangup;
                }
            }
        }
    }
    m.groups.remove(&gone_group);
    for q in m.queues.values_mut() {
        q.routing.remove(&gone_group);
    }
    let gone_tree = tree_names.last().unwrap().clone();
    m.ivr.remove(&gone_tree);
    for n in m.numbers.values_mut() {
        let uses = |r: &NumberRoute| {
            *r == NumberRoute::Ivr(gone_tree.clone())
                || *r == NumberRoute::Queue(gone_queue.clone())
        };
        if n.route.as_ref().is_some_and(uses) {
            n.route = None;
        }
    }
    // Settings: a URL changed, one cleared.
    let s = m.settings.as_mut().unwrap();
    s.event_url = Some("https://crm.example.com/v2/events".into());
    s.get_customer_info_url = None;
    // Blacklist: one added, one narrowed, one removed.
    let blacklist = m.blacklist.as_mut().unwrap();
    blacklist.insert(
        "84905559999".to_owned(),
        spec::model::Blacklisted::default(),
    );
    blacklist.get_mut("84905550000").unwrap().queue = false;
    blacklist.remove("84905550002");
    m
}
