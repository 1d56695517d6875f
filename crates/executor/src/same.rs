//! Does a live object (as a list answers it) already have the fields a request body sets?
//! Used after a lost answer: an adopted object whose fields differ gets an update, and an
//! update whose answer was lost is not sent again when its change is already live.
//!
//! A body field that is `None` is one the request does not set, so any live value passes;
//! `""` and an absent string are the same (PCC answers either for "unset"); an absent flag or
//! count is the server's default (`docs/pcc-api-assumptions.md`, "Defaults").

use pcc::wire;
use spec::model::DEFAULT_VOICE;

fn text(live: &Option<String>, want: &Option<String>) -> bool {
    let norm = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    want.is_none() || norm(live) == norm(want)
}

fn flag(live: Option<bool>, want: Option<bool>, default: bool) -> bool {
    want.is_none_or(|w| live.unwrap_or(default) == w)
}

fn int(live: Option<i64>, want: Option<i64>, default: i64) -> bool {
    want.is_none_or(|w| live.unwrap_or(default) == w)
}

/// A field with no known default (the undocumented ones): absent live is not the value sent.
fn exact<T: PartialEq>(live: Option<T>, want: Option<T>) -> bool {
    want.is_none() || live == want
}

pub(crate) fn agent(live: &wire::Agent, want: &wire::AgentBody) -> bool {
    text(&live.name, &want.name)
        && int(live.routing_type, want.routing_type.map(i64::from), 1)
        && text(&live.phone_number, &want.phone_number)
        && exact(
            live.allow_out_of_business_hour_callout,
            want.allow_out_of_business_hour_callout,
        )
}

pub(crate) fn queue(live: &wire::Queue, want: &wire::QueueBody) -> bool {
    text(&live.name, &want.name)
        && flag(live.record_calls, want.record_calls, true)
        && flag(
            live.agent_wrap_up_after_calls,
            want.agent_wrap_up_after_calls,
            true,
        )
        && int(
            live.wrap_up_time_limit,
            want.wrap_up_time_limit.map(i64::from),
            10,
        )
        && int(live.schedule, want.schedule.map(i64::from), 1)
        && int(
            live.wait_agent_answer_timeout,
            want.wait_agent_answer_timeout.map(i64::from),
            15,
        )
        && text(&live.wait_greeting, &want.wait_greeting)
        && text(&live.hold_greeting, &want.hold_greeting)
        && int(
            live.maximum_queue_size,
            want.maximum_queue_size.map(i64::from),
            5,
        )
        && int(
            live.maximum_queue_wait_time,
            want.maximum_queue_wait_time.map(i64::from),
            60,
        )
        && text(
            &live.from_number_callout_to_agent,
            &want.from_number_callout_to_agent,
        )
        && text(&live.get_list_agents_url, &want.get_list_agents_url)
        && int(live.cond_routing, want.cond_routing.map(i64::from), 1)
        && exact(
            live.route_to_backup_groups_after,
            want.route_to_backup_groups_after.map(i64::from),
        )
        && exact(
            live.sla_target_percent,
            want.sla_target_percent.map(i64::from),
        )
        && exact(
            live.sla_answered_within,
            want.sla_answered_within.map(i64::from),
        )
}

pub(crate) fn routing(live: &wire::Routing, want: &wire::RoutingBody) -> bool {
    flag(
        live.primary_group,
        want.primary_group.map(|p| p == 1),
        false,
    )
}

pub(crate) fn node(live: &wire::Node, want: &wire::NodeBody) -> bool {
    text(&live.node_name, &want.node_name)
        && text(&live.node_play_mode, &want.node_play_mode)
        && text(&live.node_play_content, &want.node_play_content)
        && flag(live.barge_in, want.barge_in, true)
        && int(live.loop_count, want.loop_count.map(i64::from), 1)
        && int(live.sched, want.sched.map(i64::from), 0)
        && (want.voice.is_none()
            || live.voice.as_deref().unwrap_or(DEFAULT_VOICE)
                == want.voice.as_deref().unwrap_or(""))
        && int(live.speed, want.speed.map(i64::from), 0)
        && int(
            live.keypress_timeout,
            want.keypress_timeout.map(i64::from),
            5,
        )
}

pub(crate) fn key(live: &wire::NodeKey, want: &wire::KeyBody) -> bool {
    want.action
        .is_none_or(|a| live.action == Some(i64::from(a)))
        && text(&live.next_node, &want.next_node)
        && text(&live.queue_id, &want.queue_id)
        && text(&live.to_phone_number, &want.to_phone_number)
        && text(
            &live.from_number_callout_to_agent,
            &want.from_number_callout_to_agent,
        )
}

pub(crate) fn number(live: &wire::Number, want: &wire::NumberBody) -> bool {
    text(&live.nickname, &want.nickname)
        && flag(live.allow_outbound_calls, want.allow_outbound_calls, false)
        && flag(live.enable_ivr, want.enable_ivr, false)
        && text(&live.ivr_menu, &want.ivr_menu)
        && text(&live.queue_id, &want.queue_id)
        && flag(
            live.record_outbound_calls,
            want.record_outbound_calls,
            false,
        )
        && exact(
            live.all_group_can_make_outbound_call,
            want.all_group_can_make_outbound_call,
        )
}

pub(crate) fn settings(live: &wire::CallSettings, want: &wire::CallSettingsBody) -> bool {
    let s = |v: &String| Some(v.clone());
    text(&live.event_url, &s(&want.event_url))
        && text(&live.get_customer_info_url, &s(&want.get_customer_info_url))
        && int(
            live.get_customer_info_timeout,
            Some(i64::from(want.get_customer_info_timeout)),
            2000,
        )
        && text(&live.callout_answer_url, &s(&want.callout_answer_url))
}
