//! One object of a project as the planner sees it: a `Model` flattened into addressed objects,
//! each without its children (a queue without its routing, a group without its members, a node
//! without its keys: those are objects of their own), what each object refers to, and the flat
//! field view that plans show and diff.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use spec::model::{
    Agent, AudioId, Blacklisted, CallSettings, IvrNode, KeyAction, Model, Number, NumberRoute,
    Prompt, Queue, Routing, Sensitive,
};

use spec::{Address, Kind};

/// The value of one object, without its children. This is what a step creates or updates
/// to, and what the executor sends (after mapping names to server ids).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Object {
    /// An agent.
    Agent(Agent),
    /// A group: nothing but its name, which is in the address.
    Group,
    /// A membership: nothing but the (group, agent) pair, which is in the address.
    Membership,
    /// An audio file to upload (audio is only ever created).
    Audio {
        /// Content identity; `sha256:<hex>` for files switchboard uploads.
        id: AudioId,
        /// The name the spec gives the file.
        name: String,
        /// The file, relative to the spec root.
        file: Option<String>,
    },
    /// A queue; `routing` is always empty (routings are objects of their own).
    Queue(Queue),
    /// A routing's priority.
    Routing(Routing),
    /// An IVR tree: nothing but its name. Its start is a property of its nodes, because PCC
    /// makes the first node created the root.
    IvrTree,
    /// An IVR node; `node.keys` is always empty (keys are objects of their own).
    IvrNode {
        /// True for the tree's start node (PCC's root node).
        start: bool,
        /// The node's fields.
        node: IvrNode,
    },
    /// What a key press does.
    IvrKey(KeyAction),
    /// A phone number.
    Number(Number),
    /// A blacklisted caller number: what it blocks.
    Blacklist(Blacklisted),
    /// The call settings.
    Settings(CallSettings),
}

impl Object {
    /// The kind of object this is a value of.
    pub fn kind(&self) -> Kind {
        match self {
            Object::Agent(_) => Kind::Agent,
            Object::Group => Kind::Group,
            Object::Membership => Kind::Membership,
            Object::Audio { .. } => Kind::Audio,
            Object::Queue(_) => Kind::Queue,
            Object::Routing(_) => Kind::Routing,
            Object::IvrTree => Kind::IvrTree,
            Object::IvrNode { .. } => Kind::IvrNode,
            Object::IvrKey(_) => Kind::IvrKey,
            Object::Number(_) => Kind::Number,
            Object::Blacklist(_) => Kind::Blacklist,
            Object::Settings(_) => Kind::Settings,
        }
    }

    /// The flat field view shown in plans (`before` / `after` in JSON plans) and compared
    /// field by field. It uses the spec's vocabulary (`say`, `goto`, `ivr`); absent values
    /// are left out rather than written as `null`.
    pub fn fields(&self) -> Map<String, Value> {
        let mut m = Map::new();
        let mut put = |k: &str, v: Value| {
            if !v.is_null() {
                m.insert(k.to_owned(), v);
            }
        };
        match self {
            Object::Group | Object::Membership | Object::IvrTree => {}
            Object::Agent(a) => {
                put("name", a.name.clone().into());
                put("routing", to_value(&a.routing));
                put("phone_number", a.phone_number.clone().into());
                put("out_of_hours_callout", a.out_of_hours_callout.into());
            }
            Object::Audio { id, name, file } => {
                put("id", id.to_string().into());
                put("name", name.clone().into());
                put("file", file.clone().into());
            }
            Object::Queue(q) => {
                put("record_calls", q.record_calls.into());
                put(
                    "agent_wrap_up_after_calls",
                    q.agent_wrap_up_after_calls.into(),
                );
                put("wrap_up_time_limit", q.wrap_up_time_limit.into());
                put("schedule", to_value(&q.schedule));
                put(
                    "wait_agent_answer_timeout",
                    q.wait_agent_answer_timeout.into(),
                );
                put(
                    "wait_greeting",
                    q.wait_greeting.as_ref().map(ToString::to_string).into(),
                );
                put(
                    "hold_greeting",
                    q.hold_greeting.as_ref().map(ToString::to_string).into(),
                );
                put("maximum_queue_size", q.maximum_queue_size.into());
                put("maximum_queue_wait_time", q.maximum_queue_wait_time.into());
                put(
                    "from_number_callout_to_agent",
                    q.from_number_callout_to_agent.clone().into(),
                );
                put("get_list_agents_url", shown(&q.get_list_agents_url));
                put("cond_routing", q.cond_routing.into());
                put("overflow_after", q.overflow_after.into());
                put("sla_target_percent", q.sla_target_percent.into());
                put("sla_answered_within", q.sla_answered_within.into());
            }
            Object::Routing(r) => put("primary", r.primary.into()),
            Object::IvrNode { start, node } => {
                if *start {
                    put("start", true.into());
                }
                match &node.prompt {
                    Prompt::Say { text, voice, speed } => {
                        put("say", text.clone().into());
                        put("voice", voice.clone().into());
                        put("speed", (*speed).into());
                    }
                    Prompt::Play { audio } => put("play", audio.to_string().into()),
                }
                put("barge_in", node.barge_in.into());
                put("loop_count", node.loop_count.into());
                put("delay_ms", node.delay_ms.into());
                put("keypress_timeout", node.keypress_timeout.into());
            }
            Object::IvrKey(action) => match action {
                KeyAction::Goto { node } => put("goto", node.clone().into()),
                KeyAction::Queue { queue } => put("queue", queue.clone().into()),
                KeyAction::Forward { to, caller_id } => {
                    put("forward", to.clone().into());
                    put("caller_id", caller_id.clone().into());
                }
                KeyAction::Hangup => put("hangup", true.into()),
            },
            Object::Number(n) => {
                put("nickname", n.nickname.clone().into());
                match &n.route {
                    Some(NumberRoute::Ivr(tree)) => put("ivr", tree.clone().into()),
                    Some(NumberRoute::Queue(queue)) => put("queue", queue.clone().into()),
                    None => {}
                }
                put("allow_outbound_calls", n.allow_outbound_calls.into());
                put("record_outbound_calls", n.record_outbound_calls.into());
                put("all_groups_can_call_out", n.all_groups_can_call_out.into());
            }
            Object::Blacklist(b) => {
                let blocks: Vec<Value> = [(b.ivr, "ivr"), (b.queue, "queue")]
                    .into_iter()
                    .filter(|(on, _)| *on)
                    .map(|(_, name)| name.into())
                    .collect();
                put("blocks", Value::Array(blocks));
            }
            Object::Settings(s) => {
                put("event_url", shown(&s.event_url));
                put("get_customer_info_url", shown(&s.get_customer_info_url));
                put(
                    "get_customer_info_timeout_ms",
                    s.get_customer_info_timeout_ms.into(),
                );
                put("callout_answer_url", shown(&s.callout_answer_url));
            }
        }
        m
    }
}

impl Object {
    /// Gives the fields this desired value leaves unset, and that a spec may leave unmanaged
    /// (the undocumented fields real clients set: a queue's overflow delay and SLA, a number's
    /// `all_groups_can_call_out`, an agent's `out_of_hours_callout`), the value `live` holds:
    /// unset means "whatever PCC holds", so it is never a difference, and an update of
    /// another field sends back what PCC holds.
    pub(crate) fn keep_unmanaged(&mut self, live: &Object) {
        fn keep<T: Copy>(desired: &mut Option<T>, live: Option<T>) {
            if desired.is_none() {
                *desired = live;
            }
        }
        match (self, live) {
            (Object::Agent(a), Object::Agent(l)) => {
                keep(&mut a.out_of_hours_callout, l.out_of_hours_callout);
            }
            (Object::Queue(q), Object::Queue(l)) => {
                keep(&mut q.overflow_after, l.overflow_after);
                keep(&mut q.sla_target_percent, l.sla_target_percent);
                keep(&mut q.sla_answered_within, l.sla_answered_within);
            }
            (Object::Number(n), Object::Number(l)) => {
                keep(&mut n.all_groups_can_call_out, l.all_groups_can_call_out);
            }
            _ => {}
        }
    }
}

/// A value that may hold a credential, as plans show it: redacted, with the `(sensitive:…)`
/// marks that make a change of token a visible change.
fn shown(value: &Option<Sensitive>) -> Value {
    value.as_ref().map(ToString::to_string).into()
}

impl Object {
    /// The fields of this value that may hold credentials, by field name (as in
    /// [`Object::fields`]).
    pub fn sensitive_fields(&self) -> Vec<(&'static str, &Sensitive)> {
        match self {
            Object::Queue(q) => q
                .get_list_agents_url
                .iter()
                .map(|v| ("get_list_agents_url", v))
                .collect(),
            Object::Settings(s) => [
                ("event_url", &s.event_url),
                ("get_customer_info_url", &s.get_customer_info_url),
                ("callout_answer_url", &s.callout_answer_url),
            ]
            .into_iter()
            .filter_map(|(field, value)| value.as_ref().map(|v| (field, v)))
            .collect(),
            _ => Vec::new(),
        }
    }

    /// [`Object::sensitive_fields`], to change (fill in, or reveal).
    pub fn sensitive_fields_mut(&mut self) -> Vec<(&'static str, &mut Sensitive)> {
        match self {
            Object::Queue(q) => q
                .get_list_agents_url
                .iter_mut()
                .map(|v| ("get_list_agents_url", v))
                .collect(),
            Object::Settings(s) => [
                ("event_url", &mut s.event_url),
                ("get_customer_info_url", &mut s.get_customer_info_url),
                ("callout_answer_url", &mut s.callout_answer_url),
            ]
            .into_iter()
            .filter_map(|(field, value)| value.as_mut().map(|v| (field, v)))
            .collect(),
            _ => Vec::new(),
        }
    }
}

fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// The names of the fields that differ between two values of the same object (a field
/// present on one side only counts), sorted.
pub fn changed_fields(before: Option<&Object>, after: Option<&Object>) -> Vec<String> {
    let before = before.map(Object::fields).unwrap_or_default();
    let after = after.map(Object::fields).unwrap_or_default();
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| before.get(*k) != after.get(*k))
        .cloned()
        .collect()
}

/// SHA-256 (lower-case hex) of an object's canonical JSON: the serde form with every map's
/// keys sorted, no whitespace.
pub fn fingerprint(object: &Object) -> String {
    let mut canonical = String::new();
    write_canonical(&to_value(object), &mut canonical);
    hex(&Sha256::digest(canonical.as_bytes()))
}

/// Canonical JSON: keys sorted at every level (whatever order `serde_json`'s maps keep, which
/// a feature elsewhere in the build could change), no whitespace.
fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0xf) as usize] as char);
    }
    s
}

/// A model flattened into addressed objects (audio excluded: it is matched by content, see
/// [`crate::plan`]). Settings are included when the model has them.
pub(crate) fn flatten(model: &Model) -> BTreeMap<Address, Object> {
    let mut out = BTreeMap::new();
    for (id, agent) in &model.agents {
        out.insert(Address::Agent(id.clone()), Object::Agent(agent.clone()));
    }
    for (name, group) in &model.groups {
        out.insert(Address::Group(name.clone()), Object::Group);
        for agent in &group.agents {
            out.insert(
                Address::Membership {
                    group: name.clone(),
                    agent: agent.clone(),
                },
                Object::Membership,
            );
        }
    }
    for (name, queue) in &model.queues {
        let mut bare = queue.clone();
        let routing = std::mem::take(&mut bare.routing);
        out.insert(Address::Queue(name.clone()), Object::Queue(bare));
        for (group, r) in routing {
            out.insert(
                Address::Routing {
                    queue: name.clone(),
                    group,
                },
                Object::Routing(r),
            );
        }
    }
    for (tree_name, tree) in &model.ivr {
        out.insert(Address::IvrTree(tree_name.clone()), Object::IvrTree);
        for (node_name, node) in &tree.nodes {
            out.insert(
                Address::IvrNode {
                    tree: tree_name.clone(),
                    node: node_name.clone(),
                },
                Object::IvrNode {
                    start: *node_name == tree.start,
                    node: node.without_keys(),
                },
            );
            for (key, action) in &node.keys {
                out.insert(
                    Address::IvrKey {
                        tree: tree_name.clone(),
                        node: node_name.clone(),
                        key: *key,
                    },
                    Object::IvrKey(action.clone()),
                );
            }
        }
    }
    for (digits, number) in &model.numbers {
        out.insert(
            Address::Number(digits.clone()),
            Object::Number(number.clone()),
        );
    }
    for (digits, entry) in model.blacklist.iter().flatten() {
        out.insert(
            Address::Blacklist(digits.clone()),
            Object::Blacklist(*entry),
        );
    }
    if let Some(settings) = &model.settings {
        out.insert(Address::Settings, Object::Settings(settings.clone()));
    }
    out
}

/// What an object refers to in `model`: the objects that must exist before it can be created
/// and that cannot be deleted while it exists. Audio is referred to by the name `model` gives
/// it. A node other than its tree's start refers to the start node, because PCC makes the
/// first node of a tree its root and refuses to delete the root while other nodes exist.
pub(crate) fn references(address: &Address, object: &Object, model: &Model) -> Vec<Address> {
    let audio = |id: &AudioId| model.audio.get(id).map(|a| Address::Audio(a.name.clone()));
    let mut refs = address.owners();
    match (address, object) {
        (_, Object::Queue(q)) => {
            refs.extend(q.wait_greeting.iter().filter_map(audio));
            refs.extend(q.hold_greeting.iter().filter_map(audio));
        }
        (Address::IvrNode { tree, .. }, Object::IvrNode { start, node }) => {
            if !*start
                && let Some(t) = model.ivr.get(tree)
                && t.nodes.contains_key(&t.start)
            {
                refs.push(Address::IvrNode {
                    tree: tree.clone(),
                    node: t.start.clone(),
                });
            }
            if let Prompt::Play { audio: id } = &node.prompt {
                refs.extend(audio(id));
            }
        }
        (Address::IvrKey { tree, .. }, Object::IvrKey(action)) => match action {
            KeyAction::Goto { node } => refs.push(Address::IvrNode {
                tree: tree.clone(),
                node: node.clone(),
            }),
            KeyAction::Queue { queue } => refs.push(Address::Queue(queue.clone())),
            KeyAction::Forward { .. } | KeyAction::Hangup => {}
        },
        (_, Object::Number(n)) => match &n.route {
            Some(NumberRoute::Ivr(tree)) => refs.push(Address::IvrTree(tree.clone())),
            Some(NumberRoute::Queue(queue)) => refs.push(Address::Queue(queue.clone())),
            None => {}
        },
        _ => {}
    }
    refs.sort();
    refs.dedup();
    refs
}
