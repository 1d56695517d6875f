//! The way back from the model to request bodies, next to the normaliser that reads them, so
//! that the mapping between switchboard's vocabulary and PCC's fields (defaults, 0/1, action
//! codes, key spellings) lives in one place.

use std::collections::BTreeMap;

use spec::model::{
    Agent, AgentRouting, AudioId, Blacklisted, CallSettings, IvrNode, Key, KeyAction, Number,
    NumberRoute, Prompt, Queue, Routing, Schedule, Sensitive,
};

use crate::wire;

/// What a body says about an optional string the model leaves unset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unset {
    /// Leave it out: for creates, where the server's default is "unset".
    Omit,
    /// Send `""`: for updates that must clear a value the server holds.
    Clear,
}

fn opt(value: &Option<String>, unset: Unset) -> Option<String> {
    match (value, unset) {
        (Some(v), _) => Some(v.clone()),
        (None, Unset::Omit) => None,
        (None, Unset::Clear) => Some(String::new()),
    }
}

/// A value that may hold a credential, as the request sends it: the real value. A value read
/// back from a saved plan is known only by its digest until filled in
/// (`planner::fill_sensitive`); the executor refuses a step that writes one still unknown
/// before it encodes anything, so the empty string here is never sent.
fn real(value: &Sensitive) -> String {
    value.expose().unwrap_or_default().to_owned()
}

fn opt_real(value: &Option<Sensitive>, unset: Unset) -> Option<String> {
    opt(&value.as_ref().map(real), unset)
}

fn cleared(unset: Unset) -> Option<String> {
    opt(&None, unset)
}

fn file_of(audio: &BTreeMap<AudioId, String>, id: &AudioId) -> Result<String, AudioId> {
    audio.get(id).cloned().ok_or_else(|| id.clone())
}

/// An agent's body: every field switchboard manages.
pub fn agent_body(stringee_user_id: &str, agent: &Agent, unset: Unset) -> wire::AgentBody {
    wire::AgentBody {
        name: Some(agent.name.clone()),
        stringee_user_id: Some(stringee_user_id.to_owned()),
        routing_type: Some(match agent.routing {
            AgentRouting::App => 1,
            AgentRouting::Phone => 2,
        }),
        phone_number: opt(&agent.phone_number, unset),
        allow_out_of_business_hour_callout: agent.out_of_hours_callout,
    }
}

/// A queue's body (routing is separate). `audio` maps audio to server file names
/// ([`crate::Ids::audio`] plus whatever was uploaded since); an audio it lacks is the error.
pub fn queue_body(
    name: &str,
    queue: &Queue,
    audio: &BTreeMap<AudioId, String>,
    unset: Unset,
) -> Result<wire::QueueBody, AudioId> {
    let greeting = |g: &Option<AudioId>| -> Result<Option<String>, AudioId> {
        match g {
            Some(id) => file_of(audio, id).map(Some),
            None => Ok(cleared(unset)),
        }
    };
    Ok(wire::QueueBody {
        name: Some(name.to_owned()),
        record_calls: Some(queue.record_calls),
        agent_wrap_up_after_calls: Some(queue.agent_wrap_up_after_calls),
        wrap_up_time_limit: Some(queue.wrap_up_time_limit),
        schedule: Some(match queue.schedule {
            Schedule::Always => 1,
            Schedule::BusinessHours => 2,
        }),
        wait_agent_answer_timeout: Some(queue.wait_agent_answer_timeout),
        wait_greeting: greeting(&queue.wait_greeting)?,
        hold_greeting: greeting(&queue.hold_greeting)?,
        maximum_queue_size: Some(queue.maximum_queue_size),
        maximum_queue_wait_time: Some(queue.maximum_queue_wait_time),
        from_number_callout_to_agent: opt(&queue.from_number_callout_to_agent, unset),
        get_list_agents_url: opt_real(&queue.get_list_agents_url, unset),
        cond_routing: Some(queue.cond_routing),
        route_to_backup_groups_after: queue.overflow_after,
        sla_target_percent: queue.sla_target_percent,
        sla_answered_within: queue.sla_answered_within,
    })
}

/// A routing's create body.
pub fn routing_body(queue_id: &str, group_id: &str, routing: &Routing) -> wire::RoutingBody {
    wire::RoutingBody {
        queue_id: Some(queue_id.to_owned()),
        group_id: Some(group_id.to_owned()),
        primary_group: Some(u8::from(routing.primary)),
    }
}

/// A node's body; `tree_id` is `Some` for a create. Keys are separate.
pub fn node_body(
    tree_id: Option<&str>,
    name: &str,
    node: &IvrNode,
    audio: &BTreeMap<AudioId, String>,
) -> Result<wire::NodeBody, AudioId> {
    let (mode, content, voice, speed) = match &node.prompt {
        Prompt::Say { text, voice, speed } => {
            ("talk", text.clone(), Some(voice.clone()), Some(*speed))
        }
        Prompt::Play { audio: id } => ("play", file_of(audio, id)?, None, None),
    };
    Ok(wire::NodeBody {
        tree: tree_id.map(str::to_owned),
        node_name: Some(name.to_owned()),
        node_play_mode: Some(mode.to_owned()),
        node_play_content: Some(content),
        barge_in: Some(node.barge_in),
        loop_count: Some(node.loop_count),
        sched: Some(node.delay_ms),
        voice,
        speed,
        keypress_timeout: Some(node.keypress_timeout),
    })
}

/// A key press's body; `node_id` is `Some` for a create (then `node_key` is set too).
/// `target` is the server id the action needs: the next node's for `Goto`, the queue's for
/// `Queue`, ignored otherwise. With [`Unset::Clear`], the fields of other actions are cleared.
pub fn key_body(
    node_id: Option<&str>,
    key: Key,
    action: &KeyAction,
    target: Option<&str>,
    unset: Unset,
) -> wire::KeyBody {
    let mut body = wire::KeyBody {
        node: node_id.map(str::to_owned),
        node_key: node_id.map(|_| key.as_wire().to_owned()),
        action: None,
        next_node: cleared(unset),
        queue_id: cleared(unset),
        to_phone_number: cleared(unset),
        from_number_callout_to_agent: cleared(unset),
    };
    match action {
        KeyAction::Queue { .. } => {
            body.action = Some(2);
            body.queue_id = target.map(str::to_owned);
        }
        KeyAction::Forward { to, caller_id } => {
            body.action = Some(3);
            body.to_phone_number = Some(to.clone());
            body.from_number_callout_to_agent = opt(caller_id, unset);
        }
        KeyAction::Goto { .. } => {
            body.action = Some(4);
            body.next_node = target.map(str::to_owned);
        }
        KeyAction::Hangup => body.action = Some(6),
    }
    body
}

/// A number's body; `digits` is `Some` for a create. `route_id` is the tree's or the queue's
/// server id, per `number.route`.
pub fn number_body(
    digits: Option<&str>,
    number: &Number,
    route_id: Option<&str>,
    unset: Unset,
) -> wire::NumberBody {
    let (enable_ivr, ivr_menu, queue_id) = match &number.route {
        Some(NumberRoute::Ivr(_)) => (true, route_id.map(str::to_owned), cleared(unset)),
        Some(NumberRoute::Queue(_)) => (false, cleared(unset), route_id.map(str::to_owned)),
        None => (false, cleared(unset), cleared(unset)),
    };
    wire::NumberBody {
        number: digits.map(str::to_owned),
        nickname: opt(&number.nickname, unset),
        allow_outbound_calls: Some(number.allow_outbound_calls),
        enable_ivr: Some(enable_ivr),
        ivr_menu,
        queue_id,
        record_outbound_calls: Some(number.record_outbound_calls),
        all_group_can_make_outbound_call: number.all_groups_can_call_out,
    }
}

/// A blacklist entry's body, create and update alike.
pub fn blacklist_body(digits: &str, entry: &Blacklisted) -> wire::BlacklistBody {
    wire::BlacklistBody {
        number: digits.to_owned(),
        ivr_blocked: entry.ivr,
        queue_blocked: entry.queue,
    }
}

/// The call settings body (always the whole singleton).
pub fn settings_body(settings: &CallSettings) -> wire::CallSettingsBody {
    wire::CallSettingsBody {
        get_customer_info_url: settings
            .get_customer_info_url
            .as_ref()
            .map(real)
            .unwrap_or_default(),
        get_customer_info_timeout: settings.get_customer_info_timeout_ms,
        event_url: settings.event_url.as_ref().map(real).unwrap_or_default(),
        callout_answer_url: settings
            .callout_answer_url
            .as_ref()
            .map(real)
            .unwrap_or_default(),
    }
}
