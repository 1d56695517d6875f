//! What a spec can express of a model (for `export`, a live project's): [`expressible`]
//! leaves out every object a spec refuses, and what refers to it, and says why; [`emit`] of
//! what is left, with [`ignore_file`] for what was left out, is a spec that loads back to the
//! same model and leaves the rest alone. The rules are the loader's own: names through
//! [`unclear_name`], values through [`crate::valid`], so the two cannot disagree.
//!
//! [`emit`]: crate::emit()

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::address::{Address, Kind};
use crate::load::unclear_name;
use crate::model::{
    Agent, AgentRouting, Audio, AudioId, CallSettings, IvrNode, KeyAction, Model, NumberRoute,
    Prompt, Queue, Sensitive,
};
use crate::valid;

/// An object a spec cannot describe, left out and ignored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeftOut {
    /// The object; its `ignore:` pattern is this address as plans print it (the settings,
    /// which `ignore:` cannot name, are left unmanaged instead).
    pub address: Address,
    /// Why, as a phrase after the address: `has no nodes, and a spec tree needs ...`.
    pub reason: String,
}

/// `model` less what a spec cannot describe, and what was left out, sorted by address as
/// plans print it:
///
/// - an object whose name a spec refuses (`invalid-name`: empty, a space at either end, a
///   control or invisible character), or one of whose values it refuses (a phone number that
///   is not 3 to 15 digits, a URL that is not http(s), a count or range the loader checks);
/// - what refers to one of those by name: a membership of an agent left out goes; so does a
///   queue's routing to a group left out; a queue or node that plays audio left out, a key that
///   goes to a node or queue left out, and a number routed to a tree or queue left out are left
///   out; a tree whose start node is left out is left out whole;
/// - a tree with no nodes, or whose start node it does not have;
/// - a number that routes nowhere (a spec number needs `ivr` or `queue`);
/// - numbers and keys that send calls to a queue with no routing and no `get_list_agents_url`
///   (the spec refuses a route to a queue that reaches no agent; the queue itself stays);
/// - the settings, when a value of theirs is refused: a spec without `settings:` leaves them
///   as they are.
///
/// What stays is unchanged. Live references resolve (a live read fails otherwise); a model
/// that already loads from a spec comes back whole, with nothing left out.
pub fn expressible(model: &Model) -> (Model, Vec<LeftOut>) {
    let mut x = Expressing {
        model: model.clone(),
        left_out: Vec::new(),
        gone: BTreeMap::new(),
    };
    x.settings();
    let audio = x.audio();
    x.agents();
    x.groups();
    let lost_routing = x.queues(&audio);
    x.trees();
    x.nodes(&audio);
    x.keys();
    x.dead_ends(&lost_routing);
    x.numbers();
    x.blacklist();
    let mut left_out = x.left_out;
    left_out.sort_by_cached_key(|l| (l.address.to_string(), l.reason.clone()));
    (x.model, left_out)
}

/// The model being cut down, and what has gone so far.
struct Expressing {
    model: Model,
    left_out: Vec<LeftOut>,
    /// Every object left out by name so far, and why, for what refers to it.
    gone: BTreeMap<Address, Gone>,
}

/// Why an object went, as what refers to it says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gone {
    /// A spec refuses its name.
    Name,
    /// A tree with no nodes.
    NoNodes,
    /// Anything else.
    Other,
}

impl Gone {
    /// The clause after the name of what went: `whose name a spec refuses`.
    fn clause(self) -> &'static str {
        match self {
            Gone::Name => "whose name a spec refuses",
            Gone::NoNodes | Gone::Other => LEFT_OUT,
        }
    }
}

/// The clause for what refers to an object left out for anything but its name.
const LEFT_OUT: &str = "which the export leaves out";

impl Expressing {
    fn leave(&mut self, address: Address, reason: String) {
        self.left_out.push(LeftOut { address, reason });
    }

    /// Leaves out the object at `address` when a spec refuses its name or, failing that,
    /// when it has a `problem`; remembers why, for what refers to it. True when it went.
    fn refuse(&mut self, address: Address, name: &str, problem: Option<String>) -> bool {
        self.refuse_as(address, name, problem.map(|p| (p, Gone::Other)))
    }

    fn refuse_as(&mut self, address: Address, name: &str, problem: Option<(String, Gone)>) -> bool {
        let (reason, gone) = match (refused_name(name, address.kind()), problem) {
            (Some(reason), _) => (reason, Gone::Name),
            (None, Some(problem)) => problem,
            (None, None) => return false,
        };
        self.gone.insert(address.clone(), gone);
        self.leave(address, reason);
        true
    }

    fn settings(&mut self) {
        let Some(settings) = &self.model.settings else {
            return;
        };
        if let Some(reason) = settings_problem(settings) {
            self.model.settings = None;
            self.leave(Address::Settings, reason);
        }
    }

    /// Audio a spec cannot name by its content; answers what went.
    fn audio(&mut self) -> BTreeSet<AudioId> {
        let refused: Vec<(AudioId, String)> = self
            .model
            .audio
            .iter()
            .filter_map(|(id, audio)| audio_problem(id, audio).map(|why| (id.clone(), why)))
            .collect();
        let mut gone = BTreeSet::new();
        for (id, reason) in refused {
            let audio = self.model.audio.remove(&id).expect("listed above");
            let address = Address::Audio(audio.name);
            self.gone.insert(address.clone(), Gone::Other);
            self.leave(address, reason);
            gone.insert(id);
        }
        gone
    }

    /// Agents, and their memberships with them.
    fn agents(&mut self) {
        let ids: Vec<String> = self.model.agents.keys().cloned().collect();
        for id in ids {
            let problem = agent_problem(&self.model.agents[&id]);
            if self.refuse(Address::Agent(id.clone()), &id, problem) {
                self.model.agents.remove(&id);
            }
        }
        let gone = &self.gone;
        for group in self.model.groups.values_mut() {
            group
                .agents
                .retain(|a| !gone.contains_key(&Address::Agent(a.clone())));
        }
    }

    fn groups(&mut self) {
        let names: Vec<String> = self.model.groups.keys().cloned().collect();
        for name in names {
            if self.refuse(Address::Group(name.clone()), &name, None) {
                self.model.groups.remove(&name);
            }
        }
    }

    /// Queues, and their routings to groups left out; answers the queues left with no
    /// routing (all of it went to groups left out).
    fn queues(&mut self, audio: &BTreeSet<AudioId>) -> BTreeSet<String> {
        let names: Vec<String> = self.model.queues.keys().cloned().collect();
        for name in names {
            let queue = &self.model.queues[&name];
            let problem = queue_problem(queue).or_else(|| {
                let greeting = [&queue.wait_greeting, &queue.hold_greeting]
                    .into_iter()
                    .flatten()
                    .find(|id| audio.contains(*id))?;
                Some(format!(
                    "plays audio `{greeting}` to its callers, {LEFT_OUT}"
                ))
            });
            if self.refuse(Address::Queue(name.clone()), &name, problem) {
                self.model.queues.remove(&name);
            }
        }
        let mut lost_routing = BTreeSet::new();
        let gone = &self.gone;
        for (name, queue) in &mut self.model.queues {
            let had_routing = !queue.routing.is_empty();
            queue
                .routing
                .retain(|group, _| !gone.contains_key(&Address::Group(group.clone())));
            if had_routing && queue.routing.is_empty() {
                lost_routing.insert(name.clone());
            }
        }
        lost_routing
    }

    /// Trees a spec refuses by name, with no nodes, or whose start node they lack or a spec
    /// cannot name.
    fn trees(&mut self) {
        let names: Vec<String> = self.model.ivr.keys().cloned().collect();
        for name in names {
            let tree = &self.model.ivr[&name];
            let start = tree.start.clone();
            let problem = if tree.nodes.is_empty() {
                let reason = "has no nodes, and a spec tree needs at least its start node";
                Some((reason.to_owned(), Gone::NoNodes))
            } else if refused_name(&start, Kind::IvrNode).is_some() {
                let reason = format!(
                    "starts at node {start:?}, whose name a spec refuses (invalid-name): rename \
                     the node in PCC"
                );
                Some((reason, Gone::Other))
            } else if !tree.nodes.contains_key(&start) {
                let reason = format!("starts at node {start:?}, which it does not have");
                Some((reason, Gone::Other))
            } else {
                None
            };
            if self.refuse_as(Address::IvrTree(name.clone()), &name, problem) {
                self.model.ivr.remove(&name);
            }
        }
    }

    /// Nodes a spec refuses, by name or value; a tree whose start node goes goes whole.
    fn nodes(&mut self, audio: &BTreeSet<AudioId>) {
        let trees: Vec<String> = self.model.ivr.keys().cloned().collect();
        for tree_name in trees {
            let tree = &self.model.ivr[&tree_name];
            let refused: Vec<(String, Option<String>)> = tree
                .nodes
                .iter()
                .map(|(name, node)| (name.clone(), node_problem(node, audio)))
                .filter(|(name, problem)| {
                    problem.is_some() || refused_name(name, Kind::IvrNode).is_some()
                })
                .collect();
            let start = tree.start.clone();
            if let Some((_, problem)) = refused.iter().find(|(name, _)| *name == start) {
                let problem = problem.clone().expect("the start's name is clear");
                let reason = format!("starts at node {start:?}, which {problem}");
                self.refuse(
                    Address::IvrTree(tree_name.clone()),
                    &tree_name,
                    Some(reason),
                );
                self.model.ivr.remove(&tree_name);
                continue;
            }
            for (node, problem) in refused {
                let address = Address::IvrNode {
                    tree: tree_name.clone(),
                    node: node.clone(),
                };
                self.refuse(address, &node, problem);
                let tree = self.model.ivr.get_mut(&tree_name).expect("a tree");
                tree.nodes.remove(&node);
            }
        }
    }

    /// Keys that go to a node or a queue left out, or forward calls where a spec cannot.
    fn keys(&mut self) {
        let mut left = Vec::new();
        for (tree_name, tree) in &mut self.model.ivr {
            for (node_name, node) in &mut tree.nodes {
                node.keys.retain(|key, action| {
                    let reason = match action {
                        KeyAction::Goto { node } => {
                            let target = Address::IvrNode {
                                tree: tree_name.clone(),
                                node: node.clone(),
                            };
                            match self.gone.get(&target) {
                                Some(gone) => format!("goes to node {node:?}, {}", gone.clause()),
                                None => return true,
                            }
                        }
                        KeyAction::Queue { queue } => {
                            match self.gone.get(&Address::Queue(queue.clone())) {
                                Some(gone) => {
                                    format!("sends calls to queue {queue:?}, {}", gone.clause())
                                }
                                None => return true,
                            }
                        }
                        KeyAction::Forward { to, caller_id } => {
                            match forward_problem(to, caller_id.as_deref()) {
                                Some(reason) => reason,
                                None => return true,
                            }
                        }
                        KeyAction::Hangup => return true,
                    };
                    left.push(LeftOut {
                        address: Address::IvrKey {
                            tree: tree_name.clone(),
                            node: node_name.clone(),
                            key: *key,
                        },
                        reason,
                    });
                    false
                });
            }
        }
        self.left_out.extend(left);
    }

    /// Keys that send calls to a queue that reaches no agent (the queue stays: nothing sends
    /// calls to it any more, which a spec allows).
    fn dead_ends(&mut self, lost_routing: &BTreeSet<String>) {
        let dead: BTreeMap<String, String> = self
            .model
            .queues
            .iter()
            .filter(|(_, queue)| !valid::reaches_agents(queue))
            .map(|(name, _)| (name.clone(), dead_end(name, lost_routing.contains(name))))
            .collect();
        let mut left = Vec::new();
        for (tree_name, tree) in &mut self.model.ivr {
            for (node_name, node) in &mut tree.nodes {
                node.keys.retain(|key, action| match action {
                    KeyAction::Queue { queue } if dead.contains_key(queue) => {
                        left.push(LeftOut {
                            address: Address::IvrKey {
                                tree: tree_name.clone(),
                                node: node_name.clone(),
                                key: *key,
                            },
                            reason: dead[queue].clone(),
                        });
                        false
                    }
                    _ => true,
                });
            }
        }
        self.left_out.extend(left);
        let mut left = Vec::new();
        self.model.numbers.retain(|digits, number| {
            let reason = match &number.route {
                Some(NumberRoute::Queue(queue)) if dead.contains_key(queue) => dead[queue].clone(),
                _ => return true,
            };
            if refused_name(digits, Kind::Number).is_some() || !valid::phone_number(digits) {
                // Left out below, for its digits.
                return true;
            }
            left.push(LeftOut {
                address: Address::Number(digits.clone()),
                reason,
            });
            false
        });
        self.left_out.extend(left);
    }

    /// Numbers a spec refuses, or that route calls nowhere or to a tree or queue left out.
    fn numbers(&mut self) {
        let digits: Vec<String> = self.model.numbers.keys().cloned().collect();
        for digits in digits {
            let number = &self.model.numbers[&digits];
            let own = (!valid::phone_number(&digits))
                .then(|| "is not a phone number a spec accepts (3 to 15 digits)".to_owned());
            let problem = own.or_else(|| match &number.route {
                None => Some(
                    "routes calls nowhere, and a spec number needs `ivr` or `queue`".to_owned(),
                ),
                Some(NumberRoute::Queue(queue)) => self
                    .gone
                    .get(&Address::Queue(queue.clone()))
                    .map(|gone| format!("sends calls to queue {queue:?}, {}", gone.clause())),
                Some(NumberRoute::Ivr(tree)) => {
                    let address = Address::IvrTree(tree.clone());
                    self.gone.get(&address).map(|gone| match gone {
                        Gone::NoNodes => format!("routes calls to {address}, which has no nodes"),
                        _ => format!("routes calls to IVR tree {tree:?}, {LEFT_OUT}"),
                    })
                }
            });
            if self.refuse(Address::Number(digits.clone()), &digits, problem) {
                self.model.numbers.remove(&digits);
            }
        }
    }

    /// Blacklist entries whose number a spec refuses.
    fn blacklist(&mut self) {
        let digits: Vec<String> = self
            .model
            .blacklist
            .iter()
            .flatten()
            .map(|(d, _)| d.clone())
            .collect();
        for digits in digits {
            let problem = (!valid::phone_number(&digits))
                .then(|| "is not a phone number a spec accepts (3 to 15 digits)".to_owned());
            if self.refuse(Address::Blacklist(digits.clone()), &digits, problem)
                && let Some(entries) = &mut self.model.blacklist
            {
                entries.remove(&digits);
            }
        }
    }
}

/// Why a spec refuses `name` as the name of an object of `kind`, what is wrong with it and
/// what to do: groups, queues and trees can be renamed in place with `moved:`; other kinds
/// only in PCC.
fn refused_name(name: &str, kind: Kind) -> Option<String> {
    let what = if name.is_empty() {
        "is empty"
    } else {
        unclear_name(name)?.0
    };
    let fix = if kind.is_renamable() {
        "rename it in PCC, or declare it under a clear name with a `moved:` entry from this \
         address and take it out of ignore.yaml"
    } else {
        "rename it in PCC"
    };
    // A name too long for a spec is too long for a line too: its first 60 characters.
    let shown = match name.char_indices().nth(60) {
        Some((at, _)) => format!("{:?}", format!("{}…", &name[..at])),
        None => format!("{name:?}"),
    };
    Some(format!(
        "is named {shown}, which {what}, and a spec refuses such a name (invalid-name): {fix}"
    ))
}

/// `has `field` 0, and a spec needs at least 1`, when `value` is below `least`.
fn at_least(field: &str, value: u32, least: u32) -> Option<String> {
    (value < least).then(|| format!("has `{field}` {value}, and a spec needs at least {least}"))
}

/// `has `field` "…", which is not a phone number ...`, when it is not one.
fn phone(field: &str, value: &str) -> Option<String> {
    (!valid::phone_number(value)).then(|| {
        format!(
            "has `{field}` {value:?}, which is not a phone number a spec accepts (3 to 15 digits)"
        )
    })
}

/// `has a `field` that is not an http(s) URL`, never showing the value (it may hold a
/// credential).
fn url(field: &str, value: Option<&Sensitive>) -> Option<String> {
    let value = value?;
    let real = value.expose().unwrap_or_else(|| value.shown());
    (!valid::http_url(real)).then(|| {
        format!("has `{field}` set to something other than an http(s) URL, which a spec refuses")
    })
}

fn settings_problem(settings: &CallSettings) -> Option<String> {
    url("event_url", settings.event_url.as_ref())
        .or_else(|| {
            url(
                "get_customer_info_url",
                settings.get_customer_info_url.as_ref(),
            )
        })
        .or_else(|| url("callout_answer_url", settings.callout_answer_url.as_ref()))
        .or_else(|| {
            at_least(
                "get_customer_info_timeout_ms",
                settings.get_customer_info_timeout_ms,
                valid::LEAST_GET_CUSTOMER_INFO_TIMEOUT_MS,
            )
        })
}

fn audio_problem(id: &AudioId, audio: &Audio) -> Option<String> {
    match id {
        AudioId::Sha256(hex) if audio.file.is_none() && !valid::sha256(hex) => Some(format!(
            "is known by the content id {hex:?}, which is not a SHA-256 a spec accepts"
        )),
        AudioId::ServerFile(file) if !valid::non_blank(file) => {
            Some("is a server file with no name, which a spec cannot name".to_owned())
        }
        _ => None,
    }
}

fn agent_problem(agent: &Agent) -> Option<String> {
    if !valid::non_blank(&agent.name) {
        return Some("has an empty name, which a spec refuses".to_owned());
    }
    if let Some(number) = &agent.phone_number {
        return phone("phone_number", number);
    }
    (agent.routing == AgentRouting::Phone)
        .then(|| "is reached by phone but has no phone number, which a spec refuses".to_owned())
}

fn queue_problem(queue: &Queue) -> Option<String> {
    at_least(
        "wait_agent_answer_timeout",
        queue.wait_agent_answer_timeout,
        valid::LEAST_WAIT_AGENT_ANSWER_TIMEOUT,
    )
    .or_else(|| {
        at_least(
            "maximum_queue_size",
            queue.maximum_queue_size,
            valid::LEAST_MAXIMUM_QUEUE_SIZE,
        )
    })
    .or_else(|| {
        at_least(
            "maximum_queue_wait_time",
            queue.maximum_queue_wait_time,
            valid::LEAST_MAXIMUM_QUEUE_WAIT_TIME,
        )
    })
    .or_else(|| {
        (!valid::COND_ROUTING.contains(&queue.cond_routing)).then(|| {
            format!(
                "has `cond_routing` {}, and a spec needs 1 or 2",
                queue.cond_routing
            )
        })
    })
    .or_else(|| {
        let percent = queue.sla_target_percent?;
        (!valid::SLA_TARGET_PERCENT.contains(&percent))
            .then(|| format!("has `sla_target_percent` {percent}, and a spec needs 0 to 100"))
    })
    .or_else(|| {
        let number = queue.from_number_callout_to_agent.as_deref()?;
        phone("from_number_callout_to_agent", number)
    })
    .or_else(|| url("get_list_agents_url", queue.get_list_agents_url.as_ref()))
}

fn node_problem(node: &IvrNode, audio: &BTreeSet<AudioId>) -> Option<String> {
    let prompt = match &node.prompt {
        Prompt::Say { text, voice, speed } => {
            if !valid::non_blank(text) {
                Some("says nothing (an empty `say`), which a spec refuses".to_owned())
            } else if !valid::non_blank(voice) {
                Some("has an empty `voice`, which a spec refuses".to_owned())
            } else {
                (!valid::SPEED.contains(speed))
                    .then(|| format!("has `speed` {speed}, and a spec needs -3 to 3"))
            }
        }
        Prompt::Play { audio: id } => audio
            .contains(id)
            .then(|| format!("plays audio `{id}`, {LEFT_OUT}")),
    };
    prompt
        .or_else(|| at_least("loop_count", node.loop_count, valid::LEAST_LOOP_COUNT))
        .or_else(|| {
            at_least(
                "keypress_timeout",
                node.keypress_timeout,
                valid::LEAST_KEYPRESS_TIMEOUT,
            )
        })
}

fn forward_problem(to: &str, caller_id: Option<&str>) -> Option<String> {
    let not_phone = |what: &str, value: &str| {
        (!valid::phone_number(value)).then(|| {
            format!("{what} {value:?}, which is not a phone number a spec accepts (3 to 15 digits)")
        })
    };
    not_phone("forwards calls to", to)
        .or_else(|| caller_id.and_then(|id| not_phone("forwards calls with the caller id", id)))
}

/// Why calls sent to queue `queue`, which reaches no agent, are left out.
fn dead_end(queue: &str, lost_routing: bool) -> String {
    if lost_routing {
        format!(
            "sends calls to queue `{queue}`, whose only routing is to a group the export \
             leaves out, and a spec cannot send calls to a queue that reaches no agent"
        )
    } else {
        format!(
            "sends calls to queue `{queue}`, which has no routing and no \
             get_list_agents_url, and a spec cannot send calls to a queue that reaches no \
             agent"
        )
    }
}

/// `ignore.yaml`: an `ignore:` pattern for each object left out, under a comment saying
/// why, so that the spec leaves them alone; the settings, which `ignore:` cannot name, get
/// the comment only (a spec without `settings:` leaves them alone already). `schema` is the
/// JSON Schema's path, as for [`crate::emit()`].
pub fn ignore_file(left_out: &[LeftOut], schema: &str) -> String {
    let mut out = format!(
        "# yaml-language-server: $schema={schema}\n\
         #\n\
         # Live objects this spec cannot describe. switchboard leaves them as they are (never\n\
         # changes or deletes them) until you fix them in PCC, or describe them in the spec and\n\
         # remove their line here.\n\
         ignore:\n"
    );
    for item in left_out {
        let comment = format!("{}: {}", item.address, item.reason);
        if item.address.kind() == Kind::Settings {
            // Left out of the spec, hence unmanaged: nothing to ignore.
            let comment = format!("{comment}; the spec leaves them out, so does not manage them");
            let _ = writeln!(out, "  # {}", one_line(&comment));
            continue;
        }
        let _ = writeln!(out, "  # {}", one_line(&comment));
        let _ = writeln!(out, "  - {}", yaml_quoted(&item.address.to_string()));
    }
    out
}

/// `text` as a YAML double-quoted scalar, with every character a spec refuses in a name
/// escaped (`\uFEFF`), so that an invisible character shows in `ignore.yaml`.
fn yaml_quoted(text: &str) -> String {
    // JSON strings are YAML double-quoted scalars; JSON escapes control characters only.
    let json = serde_json::to_string(text).expect("a string is JSON");
    json.chars()
        .map(|c| match c {
            c if !c.is_ascii() && invisible(c) => c
                .encode_utf16(&mut [0; 2])
                .iter()
                .map(|unit| format!("\\u{unit:04X}"))
                .collect(),
            c => c.to_string(),
        })
        .collect()
}

/// `text` with its control, invisible and line-break characters escaped, so that it fits in
/// a comment and shows what it holds.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            c if invisible(c) || matches!(c, '\u{2028}' | '\u{2029}') => {
                c.escape_unicode().to_string()
            }
            c => c.to_string(),
        })
        .collect()
}

/// True for a character a spec refuses anywhere in a name (a control character, a zero-width
/// space, a bidirectional override...), as opposed to a space, refused only at the ends.
fn invisible(c: char) -> bool {
    unclear_name(&format!("a{c}a")).is_some()
}
