//! `emit` then `load` gives back the same model, for any valid model: names and texts with
//! quotes, colons, `#`, line breaks, leading spaces, YAML keywords and non-ASCII; gotos that
//! form loops; every default and non-default value.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use crate::model::{
    Agent, AgentRouting, Audio, AudioId, CallSettings, Group, IvrNode, IvrTree, Key, KeyAction,
    Model, Number, NumberRoute, Prompt, Queue, Routing, Schedule, Sensitive,
};
use crate::{Source, emit, load};

/// Strings that stress YAML quoting, plus ordinary ones.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z][a-z0-9-]{0,10}",
        2 => "[A-Za-z0-9 ,.:#'\"\\\\!?&*%@`|>{}\\[\\]-]{1,24}",
        2 => "\\PC{1,16}",
        1 => prop::sample::select(vec![
            "yes", "No", "null", "~", "true", "123", "0123", "1.5", "1e3", ".inf", "0x1F",
            " leading", "trailing ", "a\nb\tc\r", "x\u{85}y\u{2028}z\u{feff}", "#hash", "- dash",
            "key: value", "*star", "&anchor", "!tag", "%directive", "@at", "`tick", "{brace}",
            "[x]", "'single'", "\"double\"", "a #b", "tab\there", "é Ünïcode 🙂", "\u{7f}del",
        ])
        .prop_map(str::to_owned),
    ]
    .prop_filter("non-blank", |s| !s.trim().is_empty())
}

/// Names (of agents, groups, queues, trees, nodes, audio): texts the loader accepts as names,
/// with no space at either end and no control or invisible character.
fn name() -> impl Strategy<Value = String> {
    text().prop_filter("a clear name", |s| load::unclear_name(s).is_none())
}

fn digits() -> impl Strategy<Value = String> {
    "[0-9]{3,15}"
}

/// A webhook URL, with a credential (userinfo, a token) some of the time.
fn url() -> impl Strategy<Value = String> {
    "https?://([a-z]{1,5}:[a-z0-9]{1,8}@)?[a-z]{1,10}\\.example(/[a-z0-9?=&%.-]{0,12}){0,3}(\\?token=[a-z0-9]{1,10})?"
}

fn hex() -> impl Strategy<Value = String> {
    "[0-9a-f]{64}"
}

/// Call settings: event URL, customer-info URL and timeout, call-out answer URL.
type SettingsBits = (Option<String>, Option<String>, u32, Option<String>);

/// A model drawn as plain choices; indices are resolved against what exists, so every
/// reference is valid.
#[derive(Debug, Clone)]
struct Blueprint {
    settings: Option<SettingsBits>,
    audio: Vec<(String, u8, String, String)>,
    agents: Vec<(String, Option<String>, bool, Option<String>)>,
    groups: Vec<(String, Vec<usize>)>,
    queues: Vec<QueueBits>,
    trees: Vec<(String, usize, Vec<NodeBits>)>,
    numbers: Vec<(String, Option<String>, bool, usize, bool, bool)>,
}

#[derive(Debug, Clone)]
struct QueueBits {
    name: String,
    flags: (bool, bool, bool),
    numbers: (u32, u32, u32, u32, u32),
    greetings: (Option<usize>, Option<usize>),
    callout: Option<String>,
    url: Option<String>,
    routing: Vec<(usize, bool)>,
}

#[derive(Debug, Clone)]
struct NodeBits {
    name: String,
    say: Option<(String, Option<String>, i32)>,
    play: usize,
    numbers: (bool, u32, u32, u32),
    keys: Vec<(usize, u8, usize, String, Option<String>)>,
}

fn blueprint() -> impl Strategy<Value = Blueprint> {
    let settings = proptest::option::of((
        proptest::option::of(url()),
        proptest::option::of(url()),
        1u32..10_000,
        proptest::option::of(url()),
    ));
    let audio = prop::collection::vec((name(), 0u8..3, text(), hex()), 0..4);
    let agents = prop::collection::vec(
        (
            name(),
            proptest::option::of(text()),
            any::<bool>(),
            proptest::option::of(digits()),
        ),
        0..5,
    );
    let groups = prop::collection::vec((name(), prop::collection::vec(any::<usize>(), 0..4)), 0..4);
    let queue = (
        name(),
        (any::<bool>(), any::<bool>(), any::<bool>()),
        (0u32..100, 3u32..60, 1u32..20, 1u32..600, 1u32..3),
        (
            proptest::option::of(any::<usize>()),
            proptest::option::of(any::<usize>()),
        ),
        proptest::option::of(digits()),
        proptest::option::of(url()),
        prop::collection::vec((any::<usize>(), any::<bool>()), 0..3),
    )
        .prop_map(
            |(name, flags, numbers, greetings, callout, url, routing)| QueueBits {
                name,
                flags,
                numbers,
                greetings,
                callout,
                url,
                routing,
            },
        );
    let node = (
        name(),
        proptest::option::of((text(), proptest::option::of(text()), -3i32..=3)),
        any::<usize>(),
        (any::<bool>(), 1u32..4, 0u32..2000, 1u32..10),
        prop::collection::vec(
            (
                0usize..14,
                0u8..4,
                any::<usize>(),
                digits(),
                proptest::option::of(digits()),
            ),
            0..6,
        ),
    )
        .prop_map(|(name, say, play, numbers, keys)| NodeBits {
            name,
            say,
            play,
            numbers,
            keys,
        });
    let trees = prop::collection::vec(
        (name(), any::<usize>(), prop::collection::vec(node, 1..5)),
        0..3,
    );
    let numbers = prop::collection::vec(
        (
            digits(),
            proptest::option::of(text()),
            any::<bool>(),
            any::<usize>(),
            any::<bool>(),
            any::<bool>(),
        ),
        0..4,
    );
    (
        settings,
        audio,
        agents,
        groups,
        prop::collection::vec(queue, 0..4),
        trees,
        numbers,
    )
        .prop_map(
            |(settings, audio, agents, groups, queues, trees, numbers)| Blueprint {
                settings,
                audio,
                agents,
                groups,
                queues,
                trees,
                numbers,
            },
        )
}

fn pick<T: Clone>(items: &[T], index: usize) -> Option<T> {
    (!items.is_empty()).then(|| items[index % items.len()].clone())
}

/// Builds a valid model; also answers the audio paths and their hashes.
fn build(bp: &Blueprint) -> (Model, BTreeMap<String, String>) {
    let mut model = Model {
        settings: bp
            .settings
            .clone()
            .map(|(event, info, timeout, callout)| CallSettings {
                event_url: event.map(Sensitive::new),
                get_customer_info_url: info.map(Sensitive::new),
                get_customer_info_timeout_ms: timeout,
                callout_answer_url: callout.map(Sensitive::new),
            }),
        ..Model::default()
    };
    let mut files = BTreeMap::new();
    let mut names = BTreeSet::new();
    for (name, kind, value, hex) in &bp.audio {
        if !names.insert(name.clone()) {
            continue;
        }
        let (id, file) = match kind {
            0 if !files.contains_key(value) => {
                files.insert(value.clone(), hex.clone());
                (AudioId::Sha256(hex.clone()), Some(value.clone()))
            }
            1 => (AudioId::ServerFile(value.clone()), None),
            _ => (AudioId::Sha256(hex.clone()), None),
        };
        if model.audio.contains_key(&id) {
            continue;
        }
        model.audio.insert(
            id,
            Audio {
                name: name.clone(),
                file,
            },
        );
    }
    let audio_ids: Vec<AudioId> = model.audio.keys().cloned().collect();

    for (id, name, phone, number) in &bp.agents {
        let routing = if *phone && number.is_some() {
            AgentRouting::Phone
        } else {
            AgentRouting::App
        };
        model.agents.insert(
            id.clone(),
            Agent {
                name: name.clone().unwrap_or_else(|| id.clone()),
                routing,
                phone_number: number.clone(),
            },
        );
    }
    let agent_ids: Vec<String> = model.agents.keys().cloned().collect();
    for (name, members) in &bp.groups {
        let agents = members
            .iter()
            .filter_map(|&i| pick(&agent_ids, i))
            .collect();
        model.groups.insert(name.clone(), Group { agents });
    }
    let group_names: Vec<String> = model.groups.keys().cloned().collect();

    for q in &bp.queues {
        let routing: BTreeMap<String, Routing> = q
            .routing
            .iter()
            .filter_map(|&(i, primary)| pick(&group_names, i).map(|g| (g, Routing { primary })))
            .collect();
        let url = if routing.is_empty() {
            Some(
                q.url
                    .clone()
                    .unwrap_or_else(|| "https://crm.example/agents".to_owned()),
            )
        } else {
            q.url.clone()
        };
        let (wrap, answer, size, wait, cond) = q.numbers;
        model.queues.insert(
            q.name.clone(),
            Queue {
                record_calls: q.flags.0,
                agent_wrap_up_after_calls: q.flags.1,
                wrap_up_time_limit: wrap,
                schedule: if q.flags.2 {
                    Schedule::BusinessHours
                } else {
                    Schedule::Always
                },
                wait_agent_answer_timeout: answer,
                wait_greeting: q.greetings.0.and_then(|i| pick(&audio_ids, i)),
                hold_greeting: q.greetings.1.and_then(|i| pick(&audio_ids, i)),
                maximum_queue_size: size,
                maximum_queue_wait_time: wait,
                // Agents reached by phone need a caller id, else `load` warns; warnings are
                // fine, but give one anyway half the time.
                from_number_callout_to_agent: q.callout.clone(),
                get_list_agents_url: url.map(Sensitive::new),
                cond_routing: cond,
                routing,
            },
        );
    }
    let queue_names: Vec<String> = model.queues.keys().cloned().collect();

    for (tree_name, start, nodes) in &bp.trees {
        let node_names: Vec<String> = nodes
            .iter()
            .map(|n| n.name.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut tree = IvrTree {
            start: pick(&node_names, *start).expect("at least one node"),
            nodes: BTreeMap::new(),
        };
        for bits in nodes {
            if tree.nodes.contains_key(&bits.name) {
                continue;
            }
            let prompt = match (&bits.say, pick(&audio_ids, bits.play)) {
                (None, Some(audio)) => Prompt::Play { audio },
                (say, _) => {
                    let (text, voice, speed) = say
                        .clone()
                        .unwrap_or_else(|| ("Hello.".to_owned(), None, 0));
                    Prompt::Say {
                        text,
                        voice: voice.unwrap_or_else(|| crate::model::DEFAULT_VOICE.to_owned()),
                        speed,
                    }
                }
            };
            let mut keys = BTreeMap::new();
            for (key, kind, index, to, caller_id) in &bits.keys {
                let action = match kind {
                    0 => pick(&node_names, *index).map(|node| KeyAction::Goto { node }),
                    1 => pick(&queue_names, *index).map(|queue| KeyAction::Queue { queue }),
                    2 => Some(KeyAction::Forward {
                        to: to.clone(),
                        caller_id: caller_id.clone(),
                    }),
                    _ => Some(KeyAction::Hangup),
                };
                keys.insert(Key::ALL[*key], action.unwrap_or(KeyAction::Hangup));
            }
            let (barge_in, loop_count, delay_ms, keypress_timeout) = bits.numbers;
            tree.nodes.insert(
                bits.name.clone(),
                IvrNode {
                    prompt,
                    barge_in,
                    loop_count,
                    delay_ms,
                    keypress_timeout,
                    keys,
                },
            );
        }
        model.ivr.insert(tree_name.clone(), tree);
    }
    let tree_names: Vec<String> = model.ivr.keys().cloned().collect();

    for (digits, nickname, ivr, index, outbound, record) in &bp.numbers {
        let route = if *ivr {
            pick(&tree_names, *index).map(NumberRoute::Ivr)
        } else {
            pick(&queue_names, *index).map(NumberRoute::Queue)
        };
        let Some(route) = route else { continue };
        model.numbers.insert(
            digits.clone(),
            Number {
                nickname: nickname.clone(),
                route: Some(route),
                allow_outbound_calls: *outbound,
                record_outbound_calls: *record,
            },
        );
    }
    (model, files)
}

fn sources(files: &BTreeMap<String, String>) -> Vec<Source> {
    files
        .iter()
        .map(|(path, text)| Source {
            path: path.clone(),
            text: text.clone(),
        })
        .collect()
}

/// The proptest settings: `cases` by default, with a fixed seed so that every run (CI's
/// included) is reproducible. `PROPTEST_CASES` runs more cases and `PROPTEST_RNG_SEED` picks
/// another seed, for exploring.
fn config(cases: u32) -> ProptestConfig {
    let base = ProptestConfig::default();
    ProptestConfig {
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            base.cases
        } else {
            cases
        },
        rng_seed: match base.rng_seed {
            proptest::test_runner::RngSeed::Random => {
                proptest::test_runner::RngSeed::Fixed(0x5b17_c4b0)
            }
            seed => seed,
        },
        ..base
    }
}

proptest! {
    #![proptest_config(config(200))]

    #[test]
    fn emitted_files_load_back_to_the_same_model(bp in blueprint()) {
        let (model, audio_files) = build(&bp);
        let files = emit(&model, "../schema/switchboard.schema.json");
        let hash = |path: &str| audio_files.get(path).cloned().ok_or_else(|| "no such file".to_owned());
        let loaded = load(&sources(&files), &hash);
        let errors: Vec<String> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(ToString::to_string)
            .collect();
        prop_assert!(errors.is_empty(), "errors:\n{}\nfiles:\n{:#?}", errors.join("\n"), files);
        let spec = loaded.spec.expect("no errors");
        prop_assert_eq!(&spec.model, &model, "files:\n{:#?}", files);
        // Byte-identical the second time round.
        prop_assert_eq!(emit(&spec.model, "../schema/switchboard.schema.json"), files);
    }
}
