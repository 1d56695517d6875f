//! `emit` then `load` gives back the same model, for any valid model: names and texts with
//! quotes, colons, `#`, line breaks, leading spaces, YAML keywords and non-ASCII; gotos that
//! form loops; every default and non-default value.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use crate::address::Address;
use crate::emit::{LeftOut, expressible, ignore_file};
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

/// An agent: id, name, reached by phone, phone number, out-of-hours call-out.
type AgentBits = (String, Option<String>, bool, Option<String>, Option<bool>);

/// A number: digits, nickname, to a tree, which one, outbound, recorded, all groups.
type NumberBits = (
    String,
    Option<String>,
    bool,
    usize,
    bool,
    bool,
    Option<bool>,
);

/// A model drawn as plain choices; indices are resolved against what exists, so every
/// reference is valid.
#[derive(Debug, Clone)]
struct Blueprint {
    settings: Option<SettingsBits>,
    audio: Vec<(String, u8, String, String)>,
    agents: Vec<AgentBits>,
    groups: Vec<(String, Vec<usize>)>,
    queues: Vec<QueueBits>,
    trees: Vec<(String, usize, Vec<NodeBits>)>,
    numbers: Vec<NumberBits>,
    /// Unmanaged, or these entries: digits, blocks the IVR, blocks the queues.
    blacklist: Option<Vec<(String, bool, bool)>>,
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
    /// Overflow delay and SLA, each unmanaged (unset) some of the time.
    unmanaged: (Option<u32>, Option<u32>, Option<u32>),
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
            proptest::option::of(any::<bool>()),
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
        (
            proptest::option::of(0u32..600),
            proptest::option::of(0u32..=100),
            proptest::option::of(0u32..600),
        ),
    )
        .prop_map(
            |(name, flags, numbers, greetings, callout, url, routing, unmanaged)| QueueBits {
                name,
                flags,
                numbers,
                greetings,
                callout,
                url,
                routing,
                unmanaged,
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
            proptest::option::of(any::<bool>()),
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
        proptest::option::of(prop::collection::vec(
            (digits(), any::<bool>(), any::<bool>()),
            0..3,
        )),
    )
        .prop_map(
            |(settings, audio, agents, groups, queues, trees, numbers, blacklist)| Blueprint {
                settings,
                audio,
                agents,
                groups,
                queues,
                trees,
                numbers,
                blacklist,
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

    for (id, name, phone, number, after_hours) in &bp.agents {
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
                out_of_hours_callout: *after_hours,
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
                overflow_after: q.unmanaged.0,
                sla_target_percent: q.unmanaged.1,
                sla_answered_within: q.unmanaged.2,
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

    for (digits, nickname, ivr, index, outbound, record, all_groups) in &bp.numbers {
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
                all_groups_can_call_out: *all_groups,
            },
        );
    }
    model.blacklist = bp.blacklist.as_ref().map(|entries| {
        entries
            .iter()
            .map(|(digits, ivr, queue)| {
                (
                    digits.clone(),
                    crate::model::Blacklisted {
                        ivr: *ivr,
                        queue: *queue,
                    },
                )
            })
            .collect()
    });
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

/// A name a spec refuses, as web consoles accept them.
fn refused_name() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        String::new(),
        " lead".to_owned(),
        "trail ".to_owned(),
        "tab\there".to_owned(),
        "zero\u{200B}width".to_owned(),
        "\u{202E}bidi".to_owned(),
        "no\u{A0}break".to_owned(),
        "x".repeat(1100),
    ])
}

/// Digits a spec refuses as a phone number.
fn refused_phone() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "+84912345678",
        "84-123-456",
        "12",
        "1234567890123456",
        "0912 345 678",
        "abc",
    ])
    .prop_map(str::to_owned)
}

/// A URL a spec refuses (`None`-like blanks included).
fn refused_url() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "ftp://user:secret@crm.example/x",
        "crm.example/agents",
        "https://",
        "https://crm.example/a b",
        "   ",
    ])
    .prop_map(str::to_owned)
}

/// Something a live project can hold that a spec refuses, applied to a valid model at the
/// objects the indices pick (references follow a rename, as they do in PCC).
#[derive(Debug, Clone)]
enum Damage {
    RenameAgent(usize, String),
    RenameGroup(usize, String),
    RenameQueue(usize, String),
    RenameTree(usize, String),
    RenameNode(usize, usize, String),
    RenameNumber(usize, String),
    AgentPhone(usize, Option<String>),
    AgentName(usize),
    QueueCount(usize, u8, u32),
    QueueCallout(usize, String),
    QueueUrl(usize, String),
    DeadEnd(usize),
    NodeSay(usize, usize, u8, i32),
    NodeCount(usize, usize, bool),
    Forward(usize, usize, usize, String, bool),
    EmptyTree(usize),
    StartMissing(usize),
    NoRoute(usize),
    SettingsUrl(u8, String),
    SettingsTimeout,
    AudioHex(usize),
    AudioServerFile(usize),
}

fn damage() -> impl Strategy<Value = Damage> {
    let i = any::<usize>;
    prop_oneof![
        (i(), refused_name()).prop_map(|(a, n)| Damage::RenameAgent(a, n)),
        (i(), refused_name()).prop_map(|(a, n)| Damage::RenameGroup(a, n)),
        (i(), refused_name()).prop_map(|(a, n)| Damage::RenameQueue(a, n)),
        (i(), refused_name()).prop_map(|(a, n)| Damage::RenameTree(a, n)),
        (i(), i(), refused_name()).prop_map(|(a, b, n)| Damage::RenameNode(a, b, n)),
        (i(), prop_oneof![refused_name(), refused_phone()])
            .prop_map(|(a, n)| Damage::RenameNumber(a, n)),
        (i(), proptest::option::of(refused_phone())).prop_map(|(a, p)| Damage::AgentPhone(a, p)),
        i().prop_map(Damage::AgentName),
        (i(), 0u8..4, 0u32..3).prop_map(|(a, f, v)| Damage::QueueCount(a, f, v)),
        (i(), refused_phone()).prop_map(|(a, p)| Damage::QueueCallout(a, p)),
        (i(), refused_url()).prop_map(|(a, u)| Damage::QueueUrl(a, u)),
        i().prop_map(Damage::DeadEnd),
        (i(), i(), 0u8..3, prop_oneof![-9i32..-3, 4i32..9])
            .prop_map(|(a, b, f, s)| Damage::NodeSay(a, b, f, s)),
        (i(), i(), any::<bool>()).prop_map(|(a, b, f)| Damage::NodeCount(a, b, f)),
        (i(), i(), 0usize..14, refused_phone(), any::<bool>())
            .prop_map(|(a, b, k, p, c)| Damage::Forward(a, b, k, p, c)),
        i().prop_map(Damage::EmptyTree),
        i().prop_map(Damage::StartMissing),
        i().prop_map(Damage::NoRoute),
        (0u8..3, refused_url()).prop_map(|(f, u)| Damage::SettingsUrl(f, u)),
        Just(Damage::SettingsTimeout),
        i().prop_map(Damage::AudioHex),
        i().prop_map(Damage::AudioServerFile),
    ]
}

/// The key of `map` that `index` picks, if any.
fn nth_key<T>(map: &BTreeMap<String, T>, index: usize) -> Option<String> {
    let keys: Vec<&String> = map.keys().collect();
    pick(&keys, index).cloned()
}

/// Renames `from` to `to` in `map`, unless `to` is taken.
fn rename_in<T>(map: &mut BTreeMap<String, T>, from: &str, to: &str) -> bool {
    if map.contains_key(to) {
        return false;
    }
    let value = map.remove(from).expect("a key of the map");
    map.insert(to.to_owned(), value);
    true
}

/// Every key press of the model.
fn keys_mut(model: &mut Model) -> impl Iterator<Item = &mut KeyAction> {
    model
        .ivr
        .values_mut()
        .flat_map(|t| t.nodes.values_mut())
        .flat_map(|n| n.keys.values_mut())
}

/// Gives the audio at `index` a new id (its references follow) made by `id`.
fn rekey_audio(model: &mut Model, index: usize, id: impl Fn(&AudioId) -> AudioId) {
    let ids: Vec<AudioId> = model.audio.keys().cloned().collect();
    let Some(old) = pick(&ids, index) else { return };
    let new = id(&old);
    if model.audio.contains_key(&new) {
        return;
    }
    let audio = model.audio.remove(&old).expect("listed");
    model.audio.insert(new.clone(), audio);
    for queue in model.queues.values_mut() {
        for greeting in [&mut queue.wait_greeting, &mut queue.hold_greeting] {
            if greeting.as_ref() == Some(&old) {
                *greeting = Some(new.clone());
            }
        }
    }
    for node in model.ivr.values_mut().flat_map(|t| t.nodes.values_mut()) {
        if let Prompt::Play { audio } = &mut node.prompt
            && *audio == old
        {
            *audio = new.clone();
        }
    }
}

fn apply(model: &mut Model, damage: &Damage) {
    match damage {
        Damage::RenameAgent(i, to) => {
            let Some(from) = nth_key(&model.agents, *i) else {
                return;
            };
            if rename_in(&mut model.agents, &from, to) {
                for group in model.groups.values_mut() {
                    if group.agents.remove(&from) {
                        group.agents.insert(to.clone());
                    }
                }
            }
        }
        Damage::RenameGroup(i, to) => {
            let Some(from) = nth_key(&model.groups, *i) else {
                return;
            };
            if rename_in(&mut model.groups, &from, to) {
                for queue in model.queues.values_mut() {
                    if let Some(routing) = queue.routing.remove(&from) {
                        queue.routing.insert(to.clone(), routing);
                    }
                }
            }
        }
        Damage::RenameQueue(i, to) => {
            let Some(from) = nth_key(&model.queues, *i) else {
                return;
            };
            if rename_in(&mut model.queues, &from, to) {
                for action in keys_mut(model) {
                    if let KeyAction::Queue { queue } = action
                        && *queue == from
                    {
                        *queue = to.clone();
                    }
                }
                for number in model.numbers.values_mut() {
                    if number.route == Some(NumberRoute::Queue(from.clone())) {
                        number.route = Some(NumberRoute::Queue(to.clone()));
                    }
                }
            }
        }
        Damage::RenameTree(i, to) => {
            let Some(from) = nth_key(&model.ivr, *i) else {
                return;
            };
            if rename_in(&mut model.ivr, &from, to) {
                for number in model.numbers.values_mut() {
                    if number.route == Some(NumberRoute::Ivr(from.clone())) {
                        number.route = Some(NumberRoute::Ivr(to.clone()));
                    }
                }
            }
        }
        Damage::RenameNode(i, j, to) => {
            let Some(name) = nth_key(&model.ivr, *i) else {
                return;
            };
            let tree = model.ivr.get_mut(&name).expect("picked");
            let Some(from) = nth_key(&tree.nodes, *j) else {
                return;
            };
            if rename_in(&mut tree.nodes, &from, to) {
                if tree.start == from {
                    tree.start = to.clone();
                }
                for action in tree.nodes.values_mut().flat_map(|n| n.keys.values_mut()) {
                    if let KeyAction::Goto { node } = action
                        && *node == from
                    {
                        *node = to.clone();
                    }
                }
            }
        }
        Damage::RenameNumber(i, to) => {
            if let Some(from) = nth_key(&model.numbers, *i) {
                rename_in(&mut model.numbers, &from, to);
            }
        }
        Damage::AgentPhone(i, phone) => {
            if let Some(id) = nth_key(&model.agents, *i) {
                let agent = model.agents.get_mut(&id).expect("picked");
                agent.routing = AgentRouting::Phone;
                agent.phone_number = phone.clone();
            }
        }
        Damage::AgentName(i) => {
            if let Some(id) = nth_key(&model.agents, *i) {
                model.agents.get_mut(&id).expect("picked").name = "  ".to_owned();
            }
        }
        Damage::QueueCount(i, field, value) => {
            let Some(name) = nth_key(&model.queues, *i) else {
                return;
            };
            let queue = model.queues.get_mut(&name).expect("picked");
            match field {
                0 => queue.wait_agent_answer_timeout = *value,
                1 => queue.maximum_queue_size = 0,
                2 => queue.maximum_queue_wait_time = 0,
                _ => queue.cond_routing = if *value == 1 { 3 } else { *value },
            }
        }
        Damage::QueueCallout(i, phone) => {
            if let Some(name) = nth_key(&model.queues, *i) {
                let queue = model.queues.get_mut(&name).expect("picked");
                queue.from_number_callout_to_agent = Some(phone.clone());
            }
        }
        Damage::QueueUrl(i, url) => {
            if let Some(name) = nth_key(&model.queues, *i) {
                let queue = model.queues.get_mut(&name).expect("picked");
                queue.get_list_agents_url = Some(Sensitive::new(url.clone()));
            }
        }
        Damage::DeadEnd(i) => {
            if let Some(name) = nth_key(&model.queues, *i) {
                let queue = model.queues.get_mut(&name).expect("picked");
                queue.routing.clear();
                queue.get_list_agents_url = None;
            }
        }
        Damage::NodeSay(i, j, field, speed) => {
            let Some(name) = nth_key(&model.ivr, *i) else {
                return;
            };
            let tree = model.ivr.get_mut(&name).expect("picked");
            let Some(node) = nth_key(&tree.nodes, *j) else {
                return;
            };
            let node = tree.nodes.get_mut(&node).expect("picked");
            let Prompt::Say {
                text,
                voice,
                speed: s,
            } = &mut node.prompt
            else {
                return;
            };
            match field {
                0 => *text = " ".to_owned(),
                1 => *voice = String::new(),
                _ => *s = *speed,
            }
        }
        Damage::NodeCount(i, j, loop_count) => {
            let Some(name) = nth_key(&model.ivr, *i) else {
                return;
            };
            let tree = model.ivr.get_mut(&name).expect("picked");
            let Some(node) = nth_key(&tree.nodes, *j) else {
                return;
            };
            let node = tree.nodes.get_mut(&node).expect("picked");
            if *loop_count {
                node.loop_count = 0;
            } else {
                node.keypress_timeout = 0;
            }
        }
        Damage::Forward(i, j, key, phone, as_caller_id) => {
            let Some(name) = nth_key(&model.ivr, *i) else {
                return;
            };
            let tree = model.ivr.get_mut(&name).expect("picked");
            let Some(node) = nth_key(&tree.nodes, *j) else {
                return;
            };
            let (to, caller_id) = if *as_caller_id {
                ("84912345678".to_owned(), Some(phone.clone()))
            } else {
                (phone.clone(), None)
            };
            let node = tree.nodes.get_mut(&node).expect("picked");
            node.keys
                .insert(Key::ALL[*key], KeyAction::Forward { to, caller_id });
        }
        Damage::EmptyTree(i) => {
            if let Some(name) = nth_key(&model.ivr, *i) {
                model.ivr.get_mut(&name).expect("picked").nodes.clear();
            }
        }
        Damage::StartMissing(i) => {
            if let Some(name) = nth_key(&model.ivr, *i) {
                let tree = model.ivr.get_mut(&name).expect("picked");
                if !tree.nodes.contains_key("nowhere") {
                    tree.start = "nowhere".to_owned();
                }
            }
        }
        Damage::NoRoute(i) => {
            if let Some(digits) = nth_key(&model.numbers, *i) {
                model.numbers.get_mut(&digits).expect("picked").route = None;
            }
        }
        Damage::SettingsUrl(field, url) => {
            let settings = model.settings.get_or_insert_with(CallSettings::default);
            let field = match field {
                0 => &mut settings.event_url,
                1 => &mut settings.get_customer_info_url,
                _ => &mut settings.callout_answer_url,
            };
            *field = Some(Sensitive::new(url.clone()));
        }
        Damage::SettingsTimeout => {
            let settings = model.settings.get_or_insert_with(CallSettings::default);
            settings.get_customer_info_timeout_ms = 0;
        }
        Damage::AudioHex(i) => rekey_audio(model, *i, |id| {
            AudioId::Sha256(format!("{}-not-hex", id.to_string().len()))
        }),
        Damage::AudioServerFile(i) => {
            rekey_audio(model, *i, |_| AudioId::ServerFile(" ".to_owned()))
        }
    }
    // A live audio file has no file to upload: it is known by content or server name.
    for audio in model.audio.values_mut() {
        audio.file = None;
    }
}

/// Every live object left in `kept` is the live one, less only its references to what was
/// left out (members, routings, keys).
fn is_cut_from(kept: &Model, live: &Model) -> bool {
    let same = |a: &str, b: &str| a == b;
    kept.settings
        .as_ref()
        .is_none_or(|s| Some(s) == live.settings.as_ref())
        && kept
            .audio
            .iter()
            .all(|(id, a)| live.audio.get(id) == Some(a))
        && kept
            .agents
            .iter()
            .all(|(id, a)| live.agents.get(id) == Some(a))
        && kept.groups.iter().all(|(n, g)| {
            live.groups
                .get(n)
                .is_some_and(|l| g.agents.is_subset(&l.agents))
        })
        && kept.queues.iter().all(|(n, q)| {
            live.queues.get(n).is_some_and(|l| {
                let mut without = l.clone();
                without.routing.retain(|g, _| q.routing.contains_key(g));
                without == *q
            })
        })
        && kept.ivr.iter().all(|(n, t)| {
            live.ivr.get(n).is_some_and(|l| {
                same(&t.start, &l.start)
                    && t.nodes.iter().all(|(name, node)| {
                        l.nodes.get(name).is_some_and(|ln| {
                            let mut without = ln.clone();
                            without.keys.retain(|k, _| node.keys.contains_key(k));
                            without == *node
                        })
                    })
            })
        })
        && kept
            .numbers
            .iter()
            .all(|(d, n)| live.numbers.get(d) == Some(n))
}

proptest! {
    #![proptest_config(config(200))]

    /// What a live project holds that a spec refuses is left out, with what refers to it, and
    /// the rest (with `ignore.yaml`) loads back to exactly what was kept, ignoring what went;
    /// a model that loads from a spec already is kept whole.
    #[test]
    fn what_is_expressible_loads_back_and_the_rest_is_ignored(
        bp in blueprint(),
        damage in prop::collection::vec(damage(), 0..6),
    ) {
        let (valid, _) = build(&bp);
        let mut live = valid.clone();
        for audio in live.audio.values_mut() {
            audio.file = None;
        }
        prop_assert_eq!(expressible(&live), (live.clone(), Vec::new()));
        for d in &damage {
            apply(&mut live, d);
        }
        let (kept, left_out) = expressible(&live);
        // A refused URL is named, never shown: it may hold a credential.
        prop_assert!(!left_out.iter().any(|l| l.reason.contains("secret")), "{:#?}", left_out);
        let schema = "switchboard.schema.json";
        let mut files = emit(&kept, schema);
        if !left_out.is_empty() {
            files.insert("ignore.yaml".to_owned(), ignore_file(&left_out, schema));
        }
        let loaded = load(&sources(&files), &|_| Err("an export has no audio files".to_owned()));
        let errors: Vec<String> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(ToString::to_string)
            .collect();
        prop_assert!(errors.is_empty(), "errors:\n{}\nfiles:\n{:#?}", errors.join("\n"), files);
        let spec = loaded.spec.expect("no errors");
        prop_assert_eq!(&spec.model, &kept, "files:\n{:#?}", files);
        prop_assert!(is_cut_from(&kept, &live), "kept:\n{:#?}\nlive:\n{:#?}", kept, live);
        for gone in &left_out {
            if gone.address != Address::Settings {
                prop_assert!(spec.policy.is_ignored(&gone.address), "{}", gone.address);
            }
        }
        // The other way round: what `expressible` leaves out, the loader refuses. The live
        // model, written as it is, loads back equal exactly when nothing was left out...
        prop_assert_eq!(loads_back(&live), left_out.is_empty(), "left out: {:#?}", left_out);
        // ...and each object left out, put back alone into what was kept, makes the spec one
        // the loader refuses (or reads as something else): nothing is left out that a spec
        // could have said.
        for gone in &left_out {
            let restored = restore(&kept, &live, &gone.address, &left_out);
            prop_assert!(
                !loads_back(&restored),
                "{} {} yet loads back:\n{:#?}",
                gone.address,
                gone.reason,
                emit(&restored, schema)
            );
        }
    }
}

/// True when `model`, written as a spec, loads without errors to an equal model.
fn loads_back(model: &Model) -> bool {
    let files = emit(model, "switchboard.schema.json");
    let loaded = load(&sources(&files), &|_| {
        Err("a live model has no audio files".to_owned())
    });
    loaded.errors() == 0 && loaded.spec.is_some_and(|spec| spec.model == *model)
}

/// `kept` with the live object at `address` put back as it is in `live`, less what it holds
/// that refers to something absent or was left out on its own (members, routings, keys):
/// those were cut from it, not the reason it went. What it refers to itself (a number's
/// route, a tree's start, a node's audio) stays as live has it.
fn restore(kept: &Model, live: &Model, address: &Address, left_out: &[LeftOut]) -> Model {
    let mut model = kept.clone();
    let listed = |a: &Address| left_out.iter().any(|l| l.address == *a);
    match address {
        Address::Settings => model.settings.clone_from(&live.settings),
        Address::Audio(name) => model.audio.extend(
            live.audio
                .iter()
                .filter(|(_, audio)| audio.name == *name)
                .map(|(id, audio)| (id.clone(), audio.clone())),
        ),
        Address::Agent(id) => {
            model.agents.insert(id.clone(), live.agents[id].clone());
        }
        Address::Group(name) => {
            let mut group = live.groups[name].clone();
            group.agents.retain(|a| model.agents.contains_key(a));
            model.groups.insert(name.clone(), group);
        }
        Address::Queue(name) => {
            let mut queue = live.queues[name].clone();
            queue.routing.retain(|g, _| model.groups.contains_key(g));
            model.queues.insert(name.clone(), queue);
        }
        Address::IvrTree(name) => {
            let mut tree = live.ivr[name].clone();
            let nodes: BTreeSet<String> = tree.nodes.keys().cloned().collect();
            for (node_name, node) in &mut tree.nodes {
                node.keys.retain(|key, action| {
                    let at = Address::IvrKey {
                        tree: name.clone(),
                        node: node_name.clone(),
                        key: *key,
                    };
                    !listed(&at) && reaches(action, &nodes, &model)
                });
            }
            model.ivr.insert(name.clone(), tree);
        }
        Address::IvrNode { tree, node } => {
            let mut live_node = live.ivr[tree].nodes[node].clone();
            let mut nodes: BTreeSet<String> = model.ivr[tree].nodes.keys().cloned().collect();
            nodes.insert(node.clone());
            live_node.keys.retain(|key, action| {
                let at = Address::IvrKey {
                    tree: tree.clone(),
                    node: node.clone(),
                    key: *key,
                };
                !listed(&at) && reaches(action, &nodes, &model)
            });
            let tree = model
                .ivr
                .get_mut(tree)
                .expect("a node left out of a kept tree");
            tree.nodes.insert(node.clone(), live_node);
        }
        Address::IvrKey { tree, node, key } => {
            let action = live.ivr[tree].nodes[node].keys[key].clone();
            let node = model
                .ivr
                .get_mut(tree)
                .and_then(|t| t.nodes.get_mut(node))
                .expect("a key left out of a kept node");
            node.keys.insert(*key, action);
        }
        Address::Number(digits) => {
            model
                .numbers
                .insert(digits.clone(), live.numbers[digits].clone());
        }
        other => panic!("expressible leaves out no {other}"),
    }
    model
}

/// False for a key that goes to a node not in `nodes` or a queue not in `model`.
fn reaches(action: &KeyAction, nodes: &BTreeSet<String>, model: &Model) -> bool {
    match action {
        KeyAction::Goto { node } => nodes.contains(node),
        KeyAction::Queue { queue } => model.queues.contains_key(queue),
        KeyAction::Forward { .. } | KeyAction::Hangup => true,
    }
}

/// What a spec leaves out is the model's default (`Queue::default()`, `IvrNode::with_prompt`,
/// ...), and `emit` leaves it out again: the loader and the writer take every default from
/// the model, so they cannot disagree with each other or with the live reader, which takes
/// them from there too.
#[test]
fn what_a_spec_leaves_out_is_the_models_default_and_emit_leaves_it_out() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/test_data/ok/defaults_resolved.yaml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let source = Source {
        path: "defaults_resolved.yaml".into(),
        text,
    };
    let loaded = load(&[source], &|_| Err("no audio".to_owned()));
    let model = loaded.spec.expect("a valid spec").model;

    let mut want = Model {
        settings: Some(CallSettings::default()),
        ..Model::default()
    };
    want.agents.insert(
        "alice".into(),
        Agent {
            name: "alice".into(),
            routing: AgentRouting::default(),
            phone_number: None,
            out_of_hours_callout: None,
        },
    );
    want.groups.insert(
        "support".into(),
        Group {
            agents: BTreeSet::from(["alice".to_owned()]),
        },
    );
    let mut queue = Queue::default();
    queue.routing.insert(
        "support".into(),
        Routing {
            primary: Routing::DEFAULT_PRIMARY,
        },
    );
    want.queues.insert("support".into(), queue);
    let mut hello = IvrNode::with_prompt(Prompt::say("Hello."));
    hello.keys.insert(
        Key::Timeout,
        KeyAction::Queue {
            queue: "support".into(),
        },
    );
    want.ivr.insert(
        "main".into(),
        IvrTree {
            start: "hello".into(),
            nodes: BTreeMap::from([("hello".to_owned(), hello)]),
        },
    );
    want.numbers.insert(
        "842473082686".into(),
        Number {
            nickname: None,
            route: Some(NumberRoute::Ivr("main".into())),
            allow_outbound_calls: Number::DEFAULT_ALLOW_OUTBOUND_CALLS,
            record_outbound_calls: Number::DEFAULT_RECORD_OUTBOUND_CALLS,
            all_groups_can_call_out: None,
        },
    );
    assert_eq!(model, want);

    let written: String = emit(&model, "schema.json").into_values().collect();
    for field in [
        "timeout_ms",
        "routing: phone",
        "primary",
        "record_calls",
        "wrap_up",
        "schedule",
        "wait_agent_answer_timeout",
        "maximum_queue",
        "cond_routing",
        "voice",
        "speed",
        "barge_in",
        "loop_count",
        "delay_ms",
        "keypress_timeout",
        "outbound",
    ] {
        assert!(!written.contains(field), "`{field}` written:\n{written}");
    }
}
