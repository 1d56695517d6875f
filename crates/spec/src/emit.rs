//! Writing a [`Model`] as spec YAML (what `export` writes): one file per kind, deterministic
//! byte for byte, defaults left out, so that loading the files gives back an equal model;
//! [`expressible`] first cuts a live model down to what a spec can describe, and
//! [`ignore_file`] lists what it left out.
//!
//! Gotos that close a loop get `back: true` (found by a depth-first walk from the start node,
//! keys in order), so that an exported tree validates. Audio is keyed by its name; a name used
//! twice gets a `-2`, `-3`... suffix.

mod expressible;

pub use expressible::{LeftOut, expressible, ignore_file};

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::model::{
    AgentRouting, AudioId, CallSettings, DEFAULT_VOICE, IvrNode, IvrTree, Key, KeyAction, Model,
    Number, NumberRoute, Prompt, Queue, Schedule,
};

/// The spec files for `model`, keyed by file name (`agents.yaml`, ...); kinds with nothing in
/// them get no file. Each file starts with a `# yaml-language-server: $schema=<schema>` line,
/// so `schema` is the path or URL of the JSON Schema as seen from where the files are written.
pub fn emit(model: &Model, schema: &str) -> BTreeMap<String, String> {
    let header = format!("# yaml-language-server: $schema={schema}\n");
    let audio_names = audio_names(model);
    let mut files = BTreeMap::new();
    let mut add = |name: &str, body: String| {
        if !body.is_empty() {
            files.insert(name.to_owned(), format!("{header}{body}"));
        }
    };
    add("settings.yaml", settings(model.settings.as_ref()));
    add("audio.yaml", audio(model, &audio_names));
    add("agents.yaml", agents(model));
    add("groups.yaml", groups(model));
    add("queues.yaml", queues(model, &audio_names));
    add("ivr.yaml", ivr(model, &audio_names));
    add("numbers.yaml", numbers(model));
    add("blacklist.yaml", blacklist(model));
    files
}

fn settings(settings: Option<&CallSettings>) -> String {
    let Some(settings) = settings else {
        return String::new();
    };
    let defaults = CallSettings::default();
    let mut fields = String::new();
    for (key, value) in [
        ("event_url", &settings.event_url),
        ("get_customer_info_url", &settings.get_customer_info_url),
    ] {
        if let Some(value) = value {
            writeln!(fields, "  {key}: {}", scalar(exported(value), false)).unwrap();
        }
    }
    if settings.get_customer_info_timeout_ms != defaults.get_customer_info_timeout_ms {
        writeln!(
            fields,
            "  get_customer_info_timeout_ms: {}",
            settings.get_customer_info_timeout_ms
        )
        .unwrap();
    }
    if let Some(value) = &settings.callout_answer_url {
        writeln!(
            fields,
            "  callout_answer_url: {}",
            scalar(exported(value), false)
        )
        .unwrap();
    }
    if fields.is_empty() {
        "settings: {}\n".to_owned()
    } else {
        format!("settings:\n{fields}")
    }
}

/// A spec name for every audio id the model holds or refers to.
fn audio_names(model: &Model) -> BTreeMap<AudioId, String> {
    let mut ids: BTreeSet<&AudioId> = model.audio.keys().collect();
    for queue in model.queues.values() {
        ids.extend(queue.wait_greeting.iter().chain(&queue.hold_greeting));
    }
    for tree in model.ivr.values() {
        for node in tree.nodes.values() {
            if let Prompt::Play { audio } = &node.prompt {
                ids.insert(audio);
            }
        }
    }
    let mut taken = BTreeSet::new();
    let mut names = BTreeMap::new();
    for id in ids {
        // A recorded name a spec refuses (`"hold music "`, typed in a console) gives way to
        // the file's own: audio is matched by content, its name is only for people.
        let wanted = match (model.audio.get(id), id) {
            (Some(audio), _)
                if !audio.name.is_empty() && crate::load::unclear_name(&audio.name).is_none() =>
            {
                audio.name.clone()
            }
            (_, AudioId::ServerFile(file)) => file.clone(),
            (_, AudioId::Sha256(hex)) => format!("sha256-{}", &hex[..hex.len().min(12)]),
        };
        let mut name = wanted.clone();
        let mut n = 2;
        while !taken.insert(name.clone()) {
            name = format!("{wanted}-{n}");
            n += 1;
        }
        names.insert(id.clone(), name);
    }
    names
}

fn audio(model: &Model, names: &BTreeMap<AudioId, String>) -> String {
    let by_name: BTreeMap<&String, &AudioId> = names.iter().map(|(id, n)| (n, id)).collect();
    let mut out = String::new();
    for (name, id) in by_name {
        let file = model.audio.get(id).and_then(|a| a.file.as_ref());
        let source = match (id, file) {
            (AudioId::Sha256(_), Some(file)) => format!("file: {}", scalar(file, true)),
            (AudioId::Sha256(hex), None) => format!("sha256: {}", scalar(hex, true)),
            (AudioId::ServerFile(server), _) => format!("server_file: {}", scalar(server, true)),
        };
        writeln!(out, "  {}: {{ {source} }}", scalar(name, false)).unwrap();
    }
    section("audio", out)
}

fn agents(model: &Model) -> String {
    let mut out = String::new();
    for (id, agent) in &model.agents {
        let mut fields = Vec::new();
        if agent.name != *id {
            fields.push(format!("name: {}", scalar(&agent.name, true)));
        }
        if agent.routing != AgentRouting::default() {
            fields.push("routing: phone".to_owned());
        }
        if let Some(phone) = &agent.phone_number {
            fields.push(format!("phone_number: {}", scalar(phone, true)));
        }
        if let Some(allowed) = agent.out_of_hours_callout {
            fields.push(format!("out_of_hours_callout: {allowed}"));
        }
        writeln!(out, "  {}: {}", scalar(id, false), flow_map(&fields)).unwrap();
    }
    section("agents", out)
}

fn groups(model: &Model) -> String {
    let mut out = String::new();
    for (name, group) in &model.groups {
        let fields = if group.agents.is_empty() {
            Vec::new()
        } else {
            let members: Vec<String> = group.agents.iter().map(|a| scalar(a, true)).collect();
            vec![format!("agents: [{}]", members.join(", "))]
        };
        writeln!(out, "  {}: {}", scalar(name, false), flow_map(&fields)).unwrap();
    }
    section("groups", out)
}

fn queues(model: &Model, audio: &BTreeMap<AudioId, String>) -> String {
    let defaults = Queue::default();
    let mut out = String::new();
    for (name, queue) in &model.queues {
        let mut fields = String::new();
        if !queue.routing.is_empty() {
            fields.push_str("    routing:\n");
            // Primary groups first: the order calls try them.
            let mut routing: Vec<_> = queue.routing.iter().collect();
            routing.sort_by_key(|(group, r)| (!r.primary, *group));
            for (group, routing) in routing {
                let primary = if routing.primary {
                    ", primary: true"
                } else {
                    ""
                };
                writeln!(
                    fields,
                    "      - {{ group: {}{primary} }}",
                    scalar(group, true)
                )
                .unwrap();
            }
        }
        let mut field = |key: &str, value: String| {
            writeln!(fields, "    {key}: {value}").unwrap();
        };
        if queue.record_calls != defaults.record_calls {
            field("record_calls", queue.record_calls.to_string());
        }
        if queue.agent_wrap_up_after_calls != defaults.agent_wrap_up_after_calls {
            field(
                "agent_wrap_up_after_calls",
                queue.agent_wrap_up_after_calls.to_string(),
            );
        }
        if queue.wrap_up_time_limit != defaults.wrap_up_time_limit {
            field("wrap_up_time_limit", queue.wrap_up_time_limit.to_string());
        }
        if queue.schedule == Schedule::BusinessHours {
            field("schedule", "business_hours".to_owned());
        }
        if queue.wait_agent_answer_timeout != defaults.wait_agent_answer_timeout {
            field(
                "wait_agent_answer_timeout",
                queue.wait_agent_answer_timeout.to_string(),
            );
        }
        if let Some(id) = &queue.wait_greeting {
            field("wait_greeting", scalar(&audio[id], false));
        }
        if let Some(id) = &queue.hold_greeting {
            field("hold_greeting", scalar(&audio[id], false));
        }
        if queue.maximum_queue_size != defaults.maximum_queue_size {
            field("maximum_queue_size", queue.maximum_queue_size.to_string());
        }
        if queue.maximum_queue_wait_time != defaults.maximum_queue_wait_time {
            field(
                "maximum_queue_wait_time",
                queue.maximum_queue_wait_time.to_string(),
            );
        }
        if let Some(number) = &queue.from_number_callout_to_agent {
            field("from_number_callout_to_agent", scalar(number, false));
        }
        if let Some(url) = &queue.get_list_agents_url {
            field("get_list_agents_url", scalar(exported(url), false));
        }
        if queue.cond_routing != defaults.cond_routing {
            field("cond_routing", queue.cond_routing.to_string());
        }
        // Set or not, as PCC holds them: unset stays unmanaged, never a default.
        for (key, value) in [
            ("overflow_after", queue.overflow_after),
            ("sla_target_percent", queue.sla_target_percent),
            ("sla_answered_within", queue.sla_answered_within),
        ] {
            if let Some(value) = value {
                field(key, value.to_string());
            }
        }
        if fields.is_empty() {
            writeln!(out, "  {}: {{}}", scalar(name, false)).unwrap();
        } else {
            write!(out, "  {}:\n{fields}", scalar(name, false)).unwrap();
        }
    }
    section("queues", out)
}

fn ivr(model: &Model, audio: &BTreeMap<AudioId, String>) -> String {
    let mut out = String::new();
    for (name, tree) in &model.ivr {
        let back = back_edges(tree);
        writeln!(out, "  {}:", scalar(name, false)).unwrap();
        writeln!(out, "    start: {}", scalar(&tree.start, false)).unwrap();
        if tree.nodes.is_empty() {
            out.push_str("    nodes: {}\n");
            continue;
        }
        out.push_str("    nodes:\n");
        // The start node first: the menu callers hear first.
        let start = tree.nodes.get_key_value(&tree.start);
        let rest = tree.nodes.iter().filter(|(n, _)| **n != tree.start);
        for (node_name, node) in start.into_iter().chain(rest) {
            writeln!(out, "      {}:", scalar(node_name, false)).unwrap();
            let mut field = |key: &str, value: String| {
                writeln!(out, "        {key}: {value}").unwrap();
            };
            match &node.prompt {
                Prompt::Say { text, voice, speed } => {
                    field("say", scalar(text, false));
                    if voice != DEFAULT_VOICE {
                        field("voice", scalar(voice, false));
                    }
                    if *speed != Prompt::DEFAULT_SPEED {
                        field("speed", speed.to_string());
                    }
                }
                Prompt::Play { audio: id } => field("play", scalar(&audio[id], false)),
            }
            if node.barge_in != IvrNode::DEFAULT_BARGE_IN {
                field("barge_in", node.barge_in.to_string());
            }
            if node.loop_count != IvrNode::DEFAULT_LOOP_COUNT {
                field("loop_count", node.loop_count.to_string());
            }
            if node.delay_ms != IvrNode::DEFAULT_DELAY_MS {
                field("delay_ms", node.delay_ms.to_string());
            }
            if node.keypress_timeout != IvrNode::DEFAULT_KEYPRESS_TIMEOUT {
                field("keypress_timeout", node.keypress_timeout.to_string());
            }
            if node.keys.is_empty() {
                continue;
            }
            out.push_str("        keys:\n");
            for (key, action) in &node.keys {
                let action = match action {
                    KeyAction::Goto { node: target } => {
                        let back = if back.contains(&(node_name.as_str(), *key)) {
                            ", back: true"
                        } else {
                            ""
                        };
                        format!("goto: {}{back}", scalar(target, true))
                    }
                    KeyAction::Queue { queue } => format!("queue: {}", scalar(queue, true)),
                    KeyAction::Forward { to, caller_id } => match caller_id {
                        Some(id) => format!(
                            "forward: {}, caller_id: {}",
                            scalar(to, true),
                            scalar(id, true)
                        ),
                        None => format!("forward: {}", scalar(to, true)),
                    },
                    KeyAction::Hangup => "hangup: true".to_owned(),
                };
                writeln!(
                    out,
                    "          {}: {{ {action} }}",
                    scalar(key.as_str(), false)
                )
                .unwrap();
            }
        }
    }
    section("ivr", out)
}

/// The gotos (node, key) that close a loop: edges to a node still on the stack of a
/// depth-first walk from the start node (then from every node not reached yet, by name), keys
/// in order. Without them the graph has no loop.
fn back_edges(tree: &IvrTree) -> BTreeSet<(&str, Key)> {
    let mut back = BTreeSet::new();
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let roots = tree
        .nodes
        .get_key_value(&tree.start)
        .into_iter()
        .chain(&tree.nodes)
        .map(|(name, _)| name.as_str());
    for root in roots {
        if done.contains(root) {
            continue;
        }
        // Iterative, so a long chain of menus cannot overflow the stack: (node, next key index).
        let mut stack: Vec<(&str, usize)> = vec![(root, 0)];
        let mut on_stack: BTreeSet<&str> = BTreeSet::from([root]);
        done.insert(root);
        while let Some((name, index)) = stack.pop() {
            let gotos: Vec<(Key, &str)> = tree.nodes[name]
                .keys
                .iter()
                .filter_map(|(key, action)| match action {
                    KeyAction::Goto { node } => Some((*key, node.as_str())),
                    _ => None,
                })
                .collect();
            let Some(&(key, target)) = gotos.get(index) else {
                on_stack.remove(name);
                continue;
            };
            stack.push((name, index + 1));
            let Some((target, _)) = tree.nodes.get_key_value(target) else {
                continue;
            };
            if on_stack.contains(target.as_str()) {
                back.insert((name, key));
            } else if done.insert(target) {
                on_stack.insert(target);
                stack.push((target, 0));
            }
        }
    }
    back
}

fn numbers(model: &Model) -> String {
    let mut out = String::new();
    for (digits, number) in &model.numbers {
        let mut fields = String::new();
        let mut field = |key: &str, value: String| {
            writeln!(fields, "    {key}: {value}").unwrap();
        };
        if let Some(nickname) = &number.nickname {
            field("nickname", scalar(nickname, false));
        }
        match &number.route {
            Some(NumberRoute::Ivr(tree)) => field("ivr", scalar(tree, false)),
            Some(NumberRoute::Queue(queue)) => field("queue", scalar(queue, false)),
            None => {}
        }
        if number.allow_outbound_calls != Number::DEFAULT_ALLOW_OUTBOUND_CALLS {
            field(
                "allow_outbound_calls",
                number.allow_outbound_calls.to_string(),
            );
        }
        if number.record_outbound_calls != Number::DEFAULT_RECORD_OUTBOUND_CALLS {
            field(
                "record_outbound_calls",
                number.record_outbound_calls.to_string(),
            );
        }
        if let Some(allowed) = number.all_groups_can_call_out {
            field("all_groups_can_call_out", allowed.to_string());
        }
        if fields.is_empty() {
            writeln!(out, "  {}: {{}}", scalar(digits, false)).unwrap();
        } else {
            write!(out, "  {}:\n{fields}", scalar(digits, false)).unwrap();
        }
    }
    section("numbers", out)
}

fn blacklist(model: &Model) -> String {
    let Some(entries) = &model.blacklist else {
        return String::new();
    };
    if entries.is_empty() {
        // Managed, and empty: every live entry is deleted.
        return "blacklist: {}\n".to_owned();
    }
    let mut out = String::new();
    for (digits, entry) in entries {
        let blocks: Vec<&str> = [(entry.ivr, "ivr"), (entry.queue, "queue")]
            .into_iter()
            .filter_map(|(on, name)| on.then_some(name))
            .collect();
        let fields = if entry.ivr && entry.queue {
            Vec::new()
        } else {
            vec![format!("blocks: [{}]", blocks.join(", "))]
        };
        writeln!(out, "  {}: {}", scalar(digits, false), flow_map(&fields)).unwrap();
    }
    section("blacklist", out)
}

fn section(name: &str, body: String) -> String {
    if body.is_empty() {
        body
    } else {
        format!("{name}:\n{body}")
    }
}

fn flow_map(fields: &[String]) -> String {
    if fields.is_empty() {
        "{}".to_owned()
    } else {
        format!("{{ {} }}", fields.join(", "))
    }
}

/// A string as a YAML scalar: plain when that reads back as the same string in any YAML
/// parser (so never anything that looks like a number, a boolean or null), else double-quoted.
/// `flow` is true inside `{ }` and `[ ]`, where `,` and `:` are not allowed plain.
///
/// A `${` is written `$${`, so that it loads back as written and not as a substitution.
pub(crate) fn scalar(s: &str, flow: bool) -> String {
    if s.contains("${") {
        return quoted(&s.replace("${", "$${"));
    }
    if is_plain(s, flow) {
        s.to_owned()
    } else {
        quoted(s)
    }
}

fn is_plain(s: &str, flow: bool) -> bool {
    const RESERVED: [&str; 11] = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "nan", "inf",
    ];
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !(first.is_alphabetic() || first == '_') || s.ends_with([' ', ':']) {
        return false;
    }
    if RESERVED.contains(&s.to_ascii_lowercase().as_str()) {
        return false;
    }
    if s.contains(": ") || s.contains(" #") {
        return false;
    }
    s.chars().all(|c| {
        c.is_alphanumeric()
            || matches!(
                c,
                ' ' | '_'
                    | '-'
                    | '.'
                    | '/'
                    | '@'
                    | '+'
                    | '\''
                    | '?'
                    | '!'
                    | '('
                    | ')'
                    | '='
                    | '%'
                    | '&'
                    | '*'
                    | '~'
            )
            || (!flow && matches!(c, ',' | ':'))
    })
}

/// A value that may hold a credential, as a spec file holds it: the value itself (a spec
/// must be able to say what apply writes; `export` warns about the files that hold one). A
/// model made by the loader or the live reader always knows it; only a value read back from a
/// saved plan does not, and no model is emitted from a saved plan.
fn exported(value: &crate::model::Sensitive) -> &str {
    value.expose().unwrap_or_else(|| value.shown())
}

fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            // YAML's printable set, less the characters some parsers read as line breaks or
            // byte-order marks, and less every character `spec::text` calls a hazard (a
            // bidirectional control, an invisible character), so that an exported file shows
            // them when read in a terminal, an editor or a pull request.
            c if !crate::text::is_hazard(c)
                && matches!(c, ' '..='~'
                    | '\u{A0}'..='\u{2027}'
                    | '\u{202A}'..='\u{D7FF}'
                    | '\u{E000}'..='\u{FEFE}'
                    | '\u{FF00}'..='\u{FFFD}'
                    | '\u{10000}'..='\u{10FFFF}') =>
            {
                out.push(c)
            }
            c if (c as u32) <= 0xFF => write!(out, "\\x{:02X}", c as u32).unwrap(),
            c if (c as u32) <= 0xFFFF => write!(out, "\\u{:04X}", c as u32).unwrap(),
            c => write!(out, "\\U{:08X}", c as u32).unwrap(),
        }
    }
    out.push('"');
    out
}
