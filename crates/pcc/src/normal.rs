//! One live object in the spec's vocabulary: each kind's normaliser (PCC's defaults, 0/1,
//! action codes, server ids turned into names), shared by the live read (`live.rs`, which adds
//! what only a whole read knows: natural keys held twice, ids, what duplicates use) and the
//! executor's look-up after a lost answer, which asks whether the object it found is the one
//! its step writes by comparing the two in the model's terms.

use spec::model::{
    Agent, AgentRouting, AudioId, Blacklisted, CallSettings, DEFAULT_VOICE, IvrNode, KeyAction,
    Number, NumberRoute, Prompt, Queue, Routing, Schedule, Sensitive,
};

use crate::wire;

/// What a normaliser needs to name what an object refers to by server id.
pub trait Names {
    /// The audio a greeting file name stands for: `Ok(None)` when greeting files were not
    /// read (nothing can be said), `Err(())` when the file is not one of the project's.
    #[allow(clippy::result_unit_err)]
    fn audio(&self, file: &str) -> Result<Option<AudioId>, ()>;
    /// The name of the queue with this server id.
    fn queue(&self, id: &str) -> Option<String>;
    /// The name of the IVR tree with this server id.
    fn tree(&self, id: &str) -> Option<String>;
    /// The tree and name of the IVR node with this server id.
    fn node(&self, id: &str) -> Option<(String, String)>;
}

/// One rule an object breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// Server ids the problem names besides the object's own.
    pub also: Vec<String>,
    /// What is wrong, in words.
    pub problem: String,
}

/// The rules one object breaks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Faults(pub Vec<Fault>);

impl Faults {
    fn add(&mut self, problem: impl Into<String>) {
        self.also(&[], problem);
    }

    fn also(&mut self, also: &[&str], problem: impl Into<String>) {
        self.0.push(Fault {
            also: also.iter().map(|s| (*s).to_owned()).collect(),
            problem: problem.into(),
        });
    }

    /// [`Faults::count`] of a field with no default: absent stays absent.
    fn opt_count(&mut self, field: &str, value: Option<i64>) -> Option<u32> {
        value.map(|v| self.count(field, Some(v), 0))
    }

    /// A count that must not be negative nor absurd; `default` when unset.
    pub(crate) fn count(&mut self, field: &str, value: Option<i64>, default: u32) -> u32 {
        match value {
            None => default,
            Some(v) => u32::try_from(v).unwrap_or_else(|_| {
                self.add(format!("`{field}` is {v}, not a count"));
                default
            }),
        }
    }

    fn audio(&mut self, names: &dyn Names, field: &str, file: &str) -> Option<AudioId> {
        names.audio(file).unwrap_or_else(|()| {
            self.add(format!(
                "`{field}` names `{file}`, which is not one of the project's greeting files"
            ));
            None
        })
    }
}

/// An agent; `None` (with a fault) when its routing type is unknown.
pub fn agent(a: &wire::Agent, f: &mut Faults) -> Option<Agent> {
    let routing = match a.routing_type {
        None => AgentRouting::default(),
        Some(1) => AgentRouting::App,
        Some(2) => AgentRouting::Phone,
        Some(other) => {
            f.add(format!("unknown routing_type {other} (1 app, 2 phone)"));
            return None;
        }
    };
    Some(Agent {
        name: a.name.clone().unwrap_or_default(),
        routing,
        phone_number: a.phone_number.clone(),
        out_of_hours_callout: a.allow_out_of_business_hour_callout,
    })
}

/// A queue, without its routing (a list of its own).
pub fn queue(q: &wire::Queue, names: &dyn Names, f: &mut Faults) -> Queue {
    let d = Queue::default();
    let schedule = match q.schedule {
        None | Some(1) => Schedule::Always,
        Some(2) => Schedule::BusinessHours,
        Some(other) => {
            f.add(format!(
                "unknown schedule {other} (1 always, 2 business hours)"
            ));
            d.schedule
        }
    };
    let wrap_up_time_limit = f.count(
        "wrap_up_time_limit",
        q.wrap_up_time_limit,
        d.wrap_up_time_limit,
    );
    let wait_agent_answer_timeout = f.count(
        "wait_agent_answer_timeout",
        q.wait_agent_answer_timeout,
        d.wait_agent_answer_timeout,
    );
    let maximum_queue_size = f.count(
        "maximum_queue_size",
        q.maximum_queue_size,
        d.maximum_queue_size,
    );
    let maximum_queue_wait_time = f.count(
        "maximum_queue_wait_time",
        q.maximum_queue_wait_time,
        d.maximum_queue_wait_time,
    );
    let cond_routing = f.count("cond_routing", q.cond_routing, d.cond_routing);
    let overflow_after = f.opt_count(
        "route_to_backup_groups_after",
        q.route_to_backup_groups_after,
    );
    let sla_target_percent = f.opt_count("sla_target_percent", q.sla_target_percent);
    let sla_answered_within = f.opt_count("sla_answered_within", q.sla_answered_within);
    let wait_greeting = q
        .wait_greeting
        .as_deref()
        .and_then(|file| f.audio(names, "wait_greeting", file));
    let hold_greeting = q
        .hold_greeting
        .as_deref()
        .and_then(|file| f.audio(names, "hold_greeting", file));
    Queue {
        record_calls: q.record_calls.unwrap_or(d.record_calls),
        agent_wrap_up_after_calls: q
            .agent_wrap_up_after_calls
            .unwrap_or(d.agent_wrap_up_after_calls),
        wrap_up_time_limit,
        schedule,
        wait_agent_answer_timeout,
        wait_greeting,
        hold_greeting,
        maximum_queue_size,
        maximum_queue_wait_time,
        from_number_callout_to_agent: q.from_number_callout_to_agent.clone(),
        get_list_agents_url: q.get_list_agents_url.clone().map(Sensitive::new),
        cond_routing,
        overflow_after,
        sla_target_percent,
        sla_answered_within,
        routing: d.routing,
    }
}

/// A routing of a queue to a group.
pub fn routing(r: &wire::Routing) -> Routing {
    Routing {
        primary: r.primary_group.unwrap_or(Routing::DEFAULT_PRIMARY),
    }
}

/// An IVR node, without its key presses (a list of their own); `None` (with a fault) when its
/// prompt cannot be read.
pub fn node(n: &wire::Node, names: &dyn Names, f: &mut Faults) -> Option<IvrNode> {
    let loop_count = f.count("loop_count", n.loop_count, IvrNode::DEFAULT_LOOP_COUNT);
    let delay_ms = f.count("sched", n.sched, IvrNode::DEFAULT_DELAY_MS);
    let keypress_timeout = f.count(
        "keypress_timeout",
        n.keypress_timeout,
        IvrNode::DEFAULT_KEYPRESS_TIMEOUT,
    );
    let prompt = match n.node_play_mode.as_deref() {
        Some("talk") => Some(Prompt::Say {
            text: n.node_play_content.clone().unwrap_or_default(),
            voice: n.voice.clone().unwrap_or_else(|| DEFAULT_VOICE.to_owned()),
            speed: match n.speed.map(i32::try_from) {
                None => Prompt::DEFAULT_SPEED,
                Some(Ok(s)) => s,
                Some(Err(_)) => {
                    f.add("`speed` is out of range");
                    Prompt::DEFAULT_SPEED
                }
            },
        }),
        Some("play") => match n.node_play_content.as_deref() {
            Some(file) => f
                .audio(names, "node_play_content", file)
                .map(|audio| Prompt::Play { audio }),
            None => {
                f.add("plays a file but names none");
                None
            }
        },
        other => {
            f.add(format!(
                "node_play_mode is `{}`, neither `talk` nor `play`",
                other.unwrap_or("")
            ));
            None
        }
    };
    Some(IvrNode {
        prompt: prompt?,
        barge_in: n.barge_in.unwrap_or(IvrNode::DEFAULT_BARGE_IN),
        loop_count,
        delay_ms,
        keypress_timeout,
        keys: Default::default(),
    })
}

/// What a key press of a node of `tree` does; `None` (with a fault) when switchboard cannot
/// say it.
pub fn key_action(
    k: &wire::NodeKey,
    tree: &str,
    names: &dyn Names,
    f: &mut Faults,
) -> Option<KeyAction> {
    match k.action {
        Some(2) => match k.queue_id.as_deref() {
            Some(qid) => match names.queue(qid) {
                Some(queue) => Some(KeyAction::Queue { queue }),
                None => {
                    f.add(format!(
                        "sends calls to queue `{qid}`, which does not exist"
                    ));
                    None
                }
            },
            None => {
                f.add("action 2 (queue) names no queue_id");
                None
            }
        },
        Some(3) => match &k.to_phone_number {
            Some(to) => Some(KeyAction::Forward {
                to: to.clone(),
                caller_id: k.from_number_callout_to_agent.clone(),
            }),
            None => {
                f.add("action 3 (forward) names no to_phone_number");
                None
            }
        },
        Some(4) => match k.next_node.as_deref() {
            Some(next) => match names.node(next) {
                Some((ntree, nnode)) if ntree == tree => Some(KeyAction::Goto { node: nnode }),
                Some((ntree, nnode)) => {
                    f.also(
                        &[next],
                        format!("goes to node `{nnode}` of another tree, `{ntree}`"),
                    );
                    None
                }
                None => {
                    f.add(format!("goes to node `{next}`, which does not exist"));
                    None
                }
            },
            None => {
                f.add("action 4 (go to node) names no next_node");
                None
            }
        },
        Some(6) => Some(KeyAction::Hangup),
        Some(1) => {
            f.add("action 1 (voicemail) is not supported by switchboard");
            None
        }
        Some(5) => {
            f.add("action 5 (SMS) is not supported by switchboard");
            None
        }
        Some(other) => {
            f.add(format!("unknown action {other}"));
            None
        }
        None => {
            f.add("has no action");
            None
        }
    }
}

/// A number; `None` (with a fault) when what it routes to cannot be named.
pub fn number(n: &wire::Number, names: &dyn Names, f: &mut Faults) -> Option<Number> {
    let route = if n.enable_ivr == Some(true) {
        match n.ivr_menu.as_deref() {
            Some(tid) => match names.tree(tid) {
                Some(tree) => Some(NumberRoute::Ivr(tree)),
                None => {
                    f.add(format!("routes to IVR tree `{tid}`, which does not exist"));
                    return None;
                }
            },
            None => {
                f.add("has enable_ivr set but no ivr_menu");
                return None;
            }
        }
    } else {
        match n.queue_id.as_deref() {
            Some(qid) => match names.queue(qid) {
                Some(queue) => Some(NumberRoute::Queue(queue)),
                None => {
                    f.add(format!("routes to queue `{qid}`, which does not exist"));
                    return None;
                }
            },
            None => None,
        }
    };
    Some(Number {
        nickname: n.nickname.clone(),
        route,
        allow_outbound_calls: n
            .allow_outbound_calls
            .unwrap_or(Number::DEFAULT_ALLOW_OUTBOUND_CALLS),
        record_outbound_calls: n
            .record_outbound_calls
            .unwrap_or(Number::DEFAULT_RECORD_OUTBOUND_CALLS),
        all_groups_can_call_out: n.all_group_can_make_outbound_call,
    })
}

/// A blacklist entry: its flags, absent read as 0 (docs/pcc-api-assumptions.md, "Blacklist
/// numbers").
pub fn blacklist(b: &wire::BlacklistNumber) -> Blacklisted {
    Blacklisted {
        ivr: b.ivr_blocked.unwrap_or(false),
        queue: b.queue_blocked.unwrap_or(false),
    }
}

/// The call settings.
pub fn settings(s: &wire::CallSettings, f: &mut Faults) -> CallSettings {
    let d = CallSettings::default();
    CallSettings {
        event_url: s.event_url.clone().map(Sensitive::new),
        get_customer_info_url: s.get_customer_info_url.clone().map(Sensitive::new),
        get_customer_info_timeout_ms: f.count(
            "get_customer_info_timeout",
            s.get_customer_info_timeout,
            d.get_customer_info_timeout_ms,
        ),
        callout_answer_url: s.callout_answer_url.clone().map(Sensitive::new),
    }
}
