//! Lowering IVR trees: nodes, prompts, keys and actions, and the positions the graph checks
//! need.

use std::collections::BTreeMap;

use crate::diagnostic::code;
use crate::load::merge::{Def, Project, collect};
use crate::load::sections::{at_least, audio_ref, non_empty, phone};
use crate::load::{At, Cx, backticked, did_you_mean};
use crate::model::{AudioId, DEFAULT_VOICE, IvrNode, IvrTree, Key, KeyAction, Prompt};
use crate::raw::{RawAction, RawNode, RawTree, Spanned};
use crate::valid;

/// What the graph checks need to know about a tree: where everything is written.
pub(crate) struct TreeInfo {
    pub(crate) name: String,
    pub(crate) at: At,
    pub(crate) start: String,
    pub(crate) nodes: BTreeMap<String, NodeInfo>,
}

pub(crate) struct NodeInfo {
    pub(crate) at: At,
    pub(crate) keys: BTreeMap<Key, KeyInfo>,
}

pub(crate) struct KeyInfo {
    /// The action's value (`goto: x`'s `x` for gotos).
    pub(crate) at: At,
    /// For a goto: the target node and whether it is declared `back: true`.
    pub(crate) goto: Option<(String, bool)>,
    /// Where `back: true` is written, for a goto that has it.
    pub(crate) back_at: Option<At>,
}

pub(super) fn lower_ivr(
    cx: &mut Cx<'_>,
    project: &Project<'_>,
    audio: &BTreeMap<String, AudioId>,
) -> (BTreeMap<String, IvrTree>, Vec<TreeInfo>) {
    let mut trees = BTreeMap::new();
    let mut infos = Vec::new();
    for (name, def) in &project.ivr {
        let raw: &RawTree = &def.value.value;
        let file = def.file;
        let nodes = collect(cx, "node", std::iter::once((file, Some(&raw.nodes))));
        let mut info = TreeInfo {
            name: name.clone(),
            at: def.key_at(),
            start: raw.start.value.clone(),
            nodes: BTreeMap::new(),
        };
        if nodes.is_empty() {
            cx.error(
                code::EMPTY_TREE,
                def.key_at(),
                format!("ivr `{name}` has no nodes"),
                "no nodes",
            )
            .help = Some("an IVR tree needs at least its start node".to_owned());
        } else if !nodes.contains_key(&raw.start.value) {
            let help = match did_you_mean(&raw.start.value, nodes.keys().map(String::as_str)) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!(
                    "the nodes of this tree are {}",
                    backticked(&nodes.keys().map(String::as_str).collect::<Vec<_>>())
                ),
            };
            cx.error(
                code::MISSING_START,
                def.at(&raw.start),
                format!(
                    "ivr `{name}` starts at node `{}`, which does not exist",
                    raw.start.value
                ),
                "no such node in this tree",
            )
            .help = Some(help);
        }
        let mut tree = IvrTree {
            start: raw.start.value.clone(),
            nodes: BTreeMap::new(),
        };
        for (node_name, node_def) in &nodes {
            let (node, node_info) =
                lower_node(cx, project, audio, name, node_name, node_def, &nodes);
            tree.nodes.insert(node_name.clone(), node);
            info.nodes.insert(node_name.clone(), node_info);
        }
        trees.insert(name.clone(), tree);
        infos.push(info);
    }
    (trees, infos)
}

pub(super) fn lower_node(
    cx: &mut Cx<'_>,
    project: &Project<'_>,
    audio: &BTreeMap<String, AudioId>,
    tree: &str,
    name: &str,
    def: &Def<'_, RawNode>,
    nodes: &BTreeMap<String, Def<'_, RawNode>>,
) -> (IvrNode, NodeInfo) {
    let raw: &RawNode = &def.value.value;
    let file = def.file;
    let what = format!("node `{name}` of ivr `{tree}`");
    let prompt = match (&raw.say, &raw.play) {
        (Some(say), play) => {
            if let Some(play) = play {
                cx.error(
                    code::CONFLICTING_KEYS,
                    def.at(play),
                    format!("{what} has both `say` and `play`"),
                    "`say` is already given",
                )
                .help =
                    Some("a node either speaks text (`say`) or plays audio (`play`)".to_owned());
            }
            non_empty(cx, file, say, &format!("{what}: `say`"));
            let voice = match &raw.voice {
                Some(voice) => {
                    non_empty(cx, file, voice, &format!("{what}: `voice`"));
                    voice.value.clone()
                }
                None => DEFAULT_VOICE.to_owned(),
            };
            let speed = raw.speed.as_ref().map_or(Prompt::DEFAULT_SPEED, |speed| {
                if !valid::SPEED.contains(&speed.value) {
                    cx.error(
                        code::OUT_OF_RANGE,
                        def.at(speed),
                        format!("`speed` is {}, it must be between -3 and 3", speed.value),
                        "-3 to 3",
                    );
                }
                speed.value
            });
            Prompt::Say {
                text: say.value.clone(),
                voice,
                speed,
            }
        }
        (None, Some(play)) => {
            for (key, at) in [
                ("voice", raw.voice.as_ref().map(|v| def.at(v))),
                ("speed", raw.speed.as_ref().map(|v| def.at(v))),
            ] {
                if let Some(at) = at {
                    cx.error(
                        code::CONFLICTING_KEYS,
                        at,
                        format!("{what} plays audio, so `{key}` does nothing"),
                        format!("`{key}` applies to `say` only"),
                    );
                }
            }
            let audio = audio_ref(cx, project, audio, file, play)
                .unwrap_or_else(|| AudioId::ServerFile(play.value.clone()));
            Prompt::Play { audio }
        }
        (None, None) => {
            cx.error(
                code::MISSING_KEY,
                def.key_at(),
                format!("{what} has no prompt"),
                "no `say` or `play`",
            )
            .help = Some("add `say: text to speak` or `play: audio-name`".to_owned());
            Prompt::say("")
        }
    };
    let mut node = IvrNode::with_prompt(prompt);
    if let Some(v) = &raw.barge_in {
        node.barge_in = v.value;
    }
    if let Some(v) = &raw.delay_ms {
        node.delay_ms = v.value;
    }
    if let Some(v) = &raw.loop_count {
        at_least(cx, file, v, valid::LEAST_LOOP_COUNT, "loop_count");
        node.loop_count = v.value;
    }
    if let Some(v) = &raw.keypress_timeout {
        at_least(
            cx,
            file,
            v,
            valid::LEAST_KEYPRESS_TIMEOUT,
            "keypress_timeout",
        );
        node.keypress_timeout = v.value;
    }

    let mut info = NodeInfo {
        at: def.key_at(),
        keys: BTreeMap::new(),
    };
    let mut written: BTreeMap<Key, &Spanned<String>> = BTreeMap::new();
    for (key_raw, action) in raw.keys.iter().flat_map(|k| &k.entries) {
        let Some(key) = ivr_key(cx, file, key_raw) else {
            continue;
        };
        if let Some(first) = written.get(&key) {
            let also = cx.label(def.at(*first), "first defined here");
            let diagnostic = cx.error(
                code::DUPLICATE_KEY,
                def.at(key_raw),
                format!("key `{key}` is defined twice on {what}"),
                "defined again here",
            );
            diagnostic.labels.push(also);
            if first.value != key_raw.value {
                diagnostic.help = Some(format!(
                    "`{}` and `{}` are the same key",
                    first.value, key_raw.value
                ));
            }
            continue;
        }
        written.insert(key, key_raw);
        if let Some((action, key_info)) =
            lower_action(cx, project, tree, &what, file, key, action, nodes)
        {
            node.keys.insert(key, action);
            info.keys.insert(key, key_info);
        }
    }
    (node, info)
}

/// Parses a key as written; `1` and `"1"` are the same key.
pub(super) fn ivr_key(cx: &mut Cx<'_>, file: usize, raw: &Spanned<String>) -> Option<Key> {
    match raw.value.parse::<Key>() {
        Ok(key) => Some(key),
        Err(_) => {
            let help = match raw.value.as_str() {
                "EMPTY_KEY" => "write `timeout` for PCC's EMPTY_KEY".to_owned(),
                "INVALID_KEY" => "write `invalid` for PCC's INVALID_KEY".to_owned(),
                other if other.chars().count() > 1 && other.chars().all(|c| c.is_ascii_digit()) => {
                    "a key is one press: a single digit, `*` or `#`".to_owned()
                }
                other => match did_you_mean(&other.to_lowercase(), ["timeout", "invalid"]) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => {
                        "keys are `0`-`9`, `\"*\"`, `\"#\"`, `timeout` and `invalid`".to_owned()
                    }
                },
            };
            cx.error(
                code::INVALID_KEY,
                At::of(file, raw),
                format!("`{}` is not a key", raw.value),
                "not a key",
            )
            .help = Some(help);
            None
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn lower_action(
    cx: &mut Cx<'_>,
    project: &Project<'_>,
    tree: &str,
    what: &str,
    file: usize,
    key: Key,
    raw: &Spanned<RawAction>,
    nodes: &BTreeMap<String, Def<'_, RawNode>>,
) -> Option<(KeyAction, KeyInfo)> {
    let action: &RawAction = &raw.value;
    let at = At::of(file, raw);
    let given: Vec<(&str, At)> = [
        ("goto", action.goto.as_ref().map(|v| At::of(file, v))),
        ("queue", action.queue.as_ref().map(|v| At::of(file, v))),
        ("forward", action.forward.as_ref().map(|v| At::of(file, v))),
        ("hangup", action.hangup.as_ref().map(|v| At::of(file, v))),
    ]
    .into_iter()
    .filter_map(|(name, at)| at.map(|at| (name, at)))
    .collect();
    match given.as_slice() {
        [] => {
            cx.error(
                code::MISSING_KEY,
                at,
                format!("key `{key}` of {what} does nothing"),
                "no action",
            )
            .help = Some(
                "give one of `goto: node`, `queue: name`, `forward: \"digits\"`, `hangup: true`"
                    .to_owned(),
            );
            return None;
        }
        [_] => {}
        [(first, _), (second, second_at), ..] => {
            cx.error(
                code::CONFLICTING_KEYS,
                *second_at,
                format!("key `{key}` of {what} has both `{first}` and `{second}`"),
                "one action per key",
            );
            return None;
        }
    }
    if action.goto.is_none()
        && let Some(back) = &action.back
    {
        cx.error(
            code::CONFLICTING_KEYS,
            At::of(file, back),
            format!("key `{key}` of {what}: `back` goes with `goto` only"),
            "only for `goto`",
        );
    }
    if action.forward.is_none()
        && let Some(caller_id) = &action.caller_id
    {
        cx.error(
            code::CONFLICTING_KEYS,
            At::of(file, caller_id),
            format!("key `{key}` of {what}: `caller_id` goes with `forward` only"),
            "only for `forward`",
        );
    }
    let mut info = KeyInfo {
        at: given[0].1,
        goto: None,
        back_at: None,
    };
    let lowered = if let Some(target) = &action.goto {
        if !nodes.contains_key(&target.value) {
            let elsewhere = project
                .ivr
                .iter()
                .find(|(_, t)| {
                    t.value
                        .value
                        .nodes
                        .entries
                        .iter()
                        .any(|(k, _)| k.value == target.value)
                })
                .map(|(name, _)| name.clone());
            match elsewhere.filter(|other| other != tree) {
                Some(other) => {
                    cx.error(
                        code::UNKNOWN_REFERENCE,
                        At::of(file, target),
                        format!("node `{}` does not exist in ivr `{tree}`", target.value),
                        format!("`{}` is in ivr `{other}`", target.value),
                    )
                    .help = Some("`goto` moves within one tree".to_owned());
                }
                None => {
                    let help = match did_you_mean(&target.value, nodes.keys().map(String::as_str)) {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => format!("define it under `nodes:` of ivr `{tree}`"),
                    };
                    cx.error(
                        code::UNKNOWN_REFERENCE,
                        At::of(file, target),
                        format!("node `{}` does not exist in ivr `{tree}`", target.value),
                        format!("no node named `{}`", target.value),
                    )
                    .help = Some(help);
                }
            }
        }
        let back = action.back.as_ref().is_some_and(|b| b.value);
        info.goto = Some((target.value.clone(), back));
        info.back_at = action
            .back
            .as_ref()
            .filter(|b| b.value)
            .map(|b| At::of(file, b));
        KeyAction::Goto {
            node: target.value.clone(),
        }
    } else if let Some(queue) = &action.queue {
        if !project.queues.contains_key(&queue.value) {
            cx.unknown(
                "queue",
                "queues",
                &queue.value,
                At::of(file, queue),
                project.queues.keys().map(String::as_str),
            );
        }
        KeyAction::Queue {
            queue: queue.value.clone(),
        }
    } else if let Some(to) = &action.forward {
        phone(cx, file, to, &format!("`forward` of key `{key}` on {what}"));
        if let Some(caller_id) = &action.caller_id {
            phone(
                cx,
                file,
                caller_id,
                &format!("`caller_id` of key `{key}` on {what}"),
            );
        }
        KeyAction::Forward {
            to: to.value.clone(),
            caller_id: action.caller_id.as_ref().map(|c| c.value.clone()),
        }
    } else {
        let hangup = action.hangup.as_ref().expect("one action is given");
        if !hangup.value {
            cx.error(
                code::CONFLICTING_KEYS,
                At::of(file, hangup),
                format!("key `{key}` of {what}: `hangup: false` is not an action"),
                "write `hangup: true`",
            )
            .help = Some("to ignore the key, leave it out of `keys`".to_owned());
        }
        KeyAction::Hangup
    };
    Some((lowered, info))
}
