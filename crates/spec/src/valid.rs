//! What a spec accepts as a value, one predicate or bound per rule. The loader reports a value
//! that breaks one (with its file, line and column), and [`crate::emit::expressible`] leaves
//! out a live object that holds one, so the two cannot disagree about what a spec can say and
//! `export` always writes a spec that loads. Names have their own rule,
//! [`crate::unclear_name`] (and none may be empty).

use std::ops::RangeInclusive;

use crate::model::Queue;

/// A phone number as a spec writes it: 3 to 15 ASCII digits (E.164 without `+`, or a short
/// code).
pub fn phone_number(value: &str) -> bool {
    (3..=15).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit())
}

/// An `http://` or `https://` URL with a host and no whitespace, once trimmed. (A value that
/// trims to nothing is no URL at all: the loader reads it as unset.)
pub fn http_url(value: &str) -> bool {
    let lower = value.trim().to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    rest.is_some_and(|rest| {
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        !host.is_empty() && !rest.contains(char::is_whitespace)
    })
}

/// A SHA-256 as [`crate::model::AudioId::Sha256`] holds it: 64 lower-case hex digits.
pub fn sha256(hex: &str) -> bool {
    hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Text that must say something (a prompt, a voice, an agent's name, a server file): not
/// empty once trimmed.
pub fn non_blank(value: &str) -> bool {
    !value.trim().is_empty()
}

/// A spoken prompt's speed.
pub const SPEED: RangeInclusive<i32> = -3..=3;
/// A queue's `cond_routing`: 1 (agents online on web/app) or 2 (web/app or SIP).
pub const COND_ROUTING: RangeInclusive<u32> = 1..=2;
/// A queue's `sla_target_percent`.
pub const SLA_TARGET_PERCENT: RangeInclusive<u32> = 0..=100;
/// The least `wait_agent_answer_timeout` of a queue, in seconds.
pub const LEAST_WAIT_AGENT_ANSWER_TIMEOUT: u32 = 3;
/// The least `maximum_queue_size` of a queue.
pub const LEAST_MAXIMUM_QUEUE_SIZE: u32 = 1;
/// The least `maximum_queue_wait_time` of a queue, in seconds.
pub const LEAST_MAXIMUM_QUEUE_WAIT_TIME: u32 = 1;
/// The least `get_customer_info_timeout_ms` of the settings.
pub const LEAST_GET_CUSTOMER_INFO_TIMEOUT_MS: u32 = 1;
/// The least `loop_count` of a node.
pub const LEAST_LOOP_COUNT: u32 = 1;
/// The least `keypress_timeout` of a node, in seconds.
pub const LEAST_KEYPRESS_TIMEOUT: u32 = 1;

/// True when a queue has a way to find an agent: a routing to a group, or a
/// `get_list_agents_url`. A spec may declare a queue without one, but sends no call to it.
pub fn reaches_agents(queue: &Queue) -> bool {
    !queue.routing.is_empty() || queue.get_list_agents_url.is_some()
}
