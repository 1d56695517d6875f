//! Lowering the sections other than `ivr` into the model, checking values as we go (ranges,
//! phone numbers, URLs, references).

use std::collections::BTreeMap;

use crate::address::Address;
use crate::diagnostic::code;
use crate::load::merge::{Def, Project};
use crate::load::{At, Cx};
use crate::model::{
    Agent, AgentRouting, Audio, AudioId, Blacklisted, CallSettings, Group, Model, Number,
    NumberRoute, Queue, Routing, Schedule,
};
use crate::raw::{
    RawAgentRouting, RawAudio, RawBlock, RawNumber, RawQueue, RawSchedule, RawSettings, Spanned,
};
use crate::sensitive::Sensitive;
use crate::valid;

pub(super) fn lower_settings(
    cx: &mut Cx<'_>,
    file: usize,
    raw: &Spanned<RawSettings>,
) -> CallSettings {
    let raw = &raw.value;
    let mut settings = CallSettings {
        event_url: url(cx, file, raw.event_url.as_ref()),
        get_customer_info_url: url(cx, file, raw.get_customer_info_url.as_ref()),
        callout_answer_url: url(cx, file, raw.callout_answer_url.as_ref()),
        ..CallSettings::default()
    };
    if let Some(timeout) = &raw.get_customer_info_timeout_ms {
        at_least(
            cx,
            file,
            timeout,
            valid::LEAST_GET_CUSTOMER_INFO_TIMEOUT_MS,
            "get_customer_info_timeout_ms",
        );
        settings.get_customer_info_timeout_ms = timeout.value;
    }
    settings
}

/// An optional URL: empty means unset; anything else must be http(s).
pub(super) fn url(
    cx: &mut Cx<'_>,
    file: usize,
    raw: Option<&Spanned<String>>,
) -> Option<Sensitive> {
    let raw = raw?;
    let secrets = cx
        .secrets_at
        .get(&(file, raw.span.line, raw.span.column))
        .cloned()
        .unwrap_or_default();
    if !valid::non_blank(&raw.value) {
        return None;
    }
    if !valid::http_url(&raw.value) {
        cx.error(
            code::INVALID_URL,
            At::of(file, raw),
            format!(
                "`{}` is not an http(s) URL",
                crate::sensitive::redact(&crate::sensitive::mask(&raw.value, &secrets))
            ),
            "not an http(s) URL",
        )
        .help = Some("PCC calls webhooks over HTTP: write `https://host/path`".to_owned());
    }
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    Some(Sensitive::with_secrets(raw.value.clone(), &secrets))
}

pub(super) fn at_least<T: Copy + PartialOrd + std::fmt::Display>(
    cx: &mut Cx<'_>,
    file: usize,
    value: &Spanned<T>,
    min: T,
    field: &str,
) {
    if value.value < min {
        cx.error(
            code::OUT_OF_RANGE,
            At::of(file, value),
            format!("`{field}` is {}, it must be at least {min}", value.value),
            format!("at least {min}"),
        );
    }
}

/// Checks a phone number: digits only, 3 to 15 of them (E.164 without `+`, or a short code).
pub(super) fn phone(cx: &mut Cx<'_>, file: usize, raw: &Spanned<String>, what: &str) {
    phone_at(cx, At::of(file, raw), &raw.value, what);
}

pub(super) fn phone_at(cx: &mut Cx<'_>, at: At, value: &str, what: &str) {
    if valid::phone_number(value) {
        return;
    }
    let digits_only = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    let punctuated = value
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'));
    let (label, help) = if digits_only {
        (
            "3 to 15 digits",
            "a phone number has 3 to 15 digits".to_owned(),
        )
    } else if punctuated && (3..=15).contains(&digits.len()) {
        (
            "digits only",
            format!("write digits only, country code first: `{digits}`"),
        )
    } else {
        (
            "digits only",
            "a phone number is digits only, country code first, no `+`".to_owned(),
        )
    };
    cx.error(
        code::INVALID_NUMBER,
        at,
        format!("{what} is not a phone number: `{value}`"),
        label,
    )
    .help = Some(help);
}

/// Warns about a PCC number with a leading `0`: no country code starts with 0, so it is the
/// national form (`024 7308 2686`), which PCC does not list; the number would be created but
/// never match a call. Not an error: forward targets and short codes are not checked.
fn national(cx: &mut Cx<'_>, at: At, digits: &str, address: Address) {
    if digits.len() < 2 || !digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return;
    }
    let diagnostic = cx.warning(
        code::NATIONAL_NUMBER,
        at,
        format!("number `{digits}` starts with 0, the national prefix"),
        "national form",
    );
    diagnostic.address = Some(address);
    diagnostic.help = Some(
        "PCC numbers are written country code first, without the national 0: Vietnam's \
         `024 7308 2686` is `842473082686`"
            .to_owned(),
    );
}

pub(super) fn non_empty(cx: &mut Cx<'_>, file: usize, raw: &Spanned<String>, what: &str) {
    if !valid::non_blank(&raw.value) {
        cx.error(
            code::EMPTY_VALUE,
            At::of(file, raw),
            format!("{what} is empty"),
            "empty",
        );
    }
}

/// Audio: fills `model.audio` and answers name → id for the sections that refer to audio.
pub(super) fn lower_audio(
    cx: &mut Cx<'_>,
    project: &Project<'_>,
    hash: &dyn Fn(&str) -> Result<String, String>,
    model: &mut Model,
) -> BTreeMap<String, AudioId> {
    let mut names = BTreeMap::new();
    let mut first_name: BTreeMap<AudioId, &Def<'_, RawAudio>> = BTreeMap::new();
    for (name, def) in &project.audio {
        let raw = &def.value.value;
        let given: Vec<(&str, &Spanned<String>)> = [
            ("file", raw.file.as_ref()),
            ("server_file", raw.server_file.as_ref()),
            ("sha256", raw.sha256.as_ref()),
        ]
        .into_iter()
        .filter_map(|(key, value)| value.map(|v| (key, v)))
        .collect();
        let (id, file) = match given.as_slice() {
            [] => {
                cx.error(
                    code::MISSING_KEY,
                    def.key_at(),
                    format!("audio `{name}` says nowhere where its sound is"),
                    "no `file`, `server_file` or `sha256`",
                )
                .help = Some("write `{ file: audio/name.mp3 }` to upload a file".to_owned());
                continue;
            }
            [(key, value)] => {
                non_empty(cx, def.file, value, &format!("audio `{name}`: `{key}`"));
                match *key {
                    "file" => match hash(&value.value) {
                        Ok(hex) => (AudioId::Sha256(hex), Some(value.value.clone())),
                        Err(why) => {
                            cx.error(
                                code::AUDIO_FILE,
                                def.at(value),
                                format!("cannot read audio file `{}`: {why}", value.value),
                                "cannot read this file",
                            )
                            .help = Some(
                                "audio paths are relative to the spec root (the file or directory validated)"
                                    .to_owned(),
                            );
                            continue;
                        }
                    },
                    "server_file" => (AudioId::ServerFile(value.value.clone()), None),
                    _ => {
                        let hex = &value.value;
                        if !valid::sha256(hex) {
                            cx.error(
                                code::INVALID_SHA256,
                                def.at(value),
                                format!("`{hex}` is not a SHA-256"),
                                "not 64 lower-case hex digits",
                            );
                        }
                        (AudioId::Sha256(hex.clone()), None)
                    }
                }
            }
            [(first, _), (second, value), ..] => {
                cx.error(
                    code::CONFLICTING_KEYS,
                    def.at(value),
                    format!("audio `{name}` has both `{first}` and `{second}`"),
                    "one of these only",
                );
                continue;
            }
        };
        if let Some(other) = first_name.get(&id) {
            let also = cx.label(other.key_at(), "same content");
            let diagnostic = cx.warning(
                code::DUPLICATE_AUDIO,
                def.key_at(),
                format!("audio `{name}` is the same sound as `{}`", other.key.value),
                "same content as another name",
            );
            diagnostic.labels.push(also);
            diagnostic.help = Some("use one name for it".to_owned());
            diagnostic.address = Some(Address::Audio(name.clone()));
        } else {
            first_name.insert(id.clone(), def);
            model.audio.insert(
                id.clone(),
                Audio {
                    name: name.clone(),
                    file,
                },
            );
        }
        names.insert(name.clone(), id);
    }
    names
}

/// Resolves an audio name.
pub(super) fn audio_ref(
    cx: &mut Cx<'_>,
    project: &Project<'_>,
    names: &BTreeMap<String, AudioId>,
    file: usize,
    raw: &Spanned<String>,
) -> Option<AudioId> {
    match names.get(&raw.value) {
        Some(id) => Some(id.clone()),
        None => {
            if !project.audio.contains_key(&raw.value) {
                cx.unknown(
                    "audio",
                    "audio",
                    &raw.value,
                    At::of(file, raw),
                    project.audio.keys().map(String::as_str),
                );
            }
            None
        }
    }
}

pub(super) fn lower_agents(cx: &mut Cx<'_>, project: &Project<'_>) -> BTreeMap<String, Agent> {
    let mut agents = BTreeMap::new();
    for (id, def) in &project.agents {
        let raw = &def.value.value;
        let routing = match raw.routing.as_ref().map(|r| r.value) {
            None => AgentRouting::default(),
            Some(RawAgentRouting::App) => AgentRouting::App,
            Some(RawAgentRouting::Phone) => AgentRouting::Phone,
        };
        if let Some(name) = &raw.name {
            non_empty(cx, def.file, name, &format!("agent `{id}`: `name`"));
        }
        if let Some(number) = &raw.phone_number {
            phone(
                cx,
                def.file,
                number,
                &format!("`phone_number` of agent `{id}`"),
            );
        }
        if routing == AgentRouting::Phone && raw.phone_number.is_none() {
            let at = raw.routing.as_ref().map_or(def.key_at(), |r| def.at(r));
            cx.error(
                code::MISSING_PHONE_NUMBER,
                at,
                format!("agent `{id}` is reached by phone but has no `phone_number`"),
                "needs `phone_number`",
            )
            .help = Some("add `phone_number: \"84...\"`, or use `routing: app`".to_owned());
        }
        agents.insert(
            id.clone(),
            Agent {
                name: raw.name.as_ref().map_or(id.clone(), |n| n.value.clone()),
                routing,
                phone_number: raw.phone_number.as_ref().map(|p| p.value.clone()),
                out_of_hours_callout: raw.out_of_hours_callout.as_ref().map(|v| v.value),
            },
        );
    }
    agents
}

pub(super) fn lower_groups(cx: &mut Cx<'_>, project: &Project<'_>) -> BTreeMap<String, Group> {
    let mut groups = BTreeMap::new();
    for (name, def) in &project.groups {
        let mut group = Group::default();
        let mut written: BTreeMap<&str, &Spanned<String>> = BTreeMap::new();
        for agent in def.value.value.agents.iter().flatten() {
            if let Some(first) = written.get(agent.value.as_str()) {
                let also = cx.label(def.at(*first), "first listed here");
                let diagnostic = cx.warning(
                    code::DUPLICATE_MEMBER,
                    def.at(agent),
                    format!("agent `{}` is listed twice in group `{name}`", agent.value),
                    "listed again here",
                );
                diagnostic.labels.push(also);
                diagnostic.address = Some(Address::Membership {
                    group: name.clone(),
                    agent: agent.value.clone(),
                });
                continue;
            }
            written.insert(&agent.value, agent);
            if !project.agents.contains_key(&agent.value) {
                cx.unknown(
                    "agent",
                    "agents",
                    &agent.value,
                    def.at(agent),
                    project.agents.keys().map(String::as_str),
                );
            }
            group.agents.insert(agent.value.clone());
        }
        if group.agents.is_empty() && written.is_empty() {
            let diagnostic = cx.warning(
                code::EMPTY_GROUP,
                def.key_at(),
                format!("group `{name}` has no agents"),
                "no agents",
            );
            diagnostic.help = Some("calls routed to this group reach no one".to_owned());
            diagnostic.address = Some(Address::Group(name.clone()));
        }
        groups.insert(name.clone(), group);
    }
    groups
}

pub(super) fn lower_queues(
    cx: &mut Cx<'_>,
    project: &Project<'_>,
    audio: &BTreeMap<String, AudioId>,
) -> BTreeMap<String, Queue> {
    let mut queues = BTreeMap::new();
    for (name, def) in &project.queues {
        let raw: &RawQueue = &def.value.value;
        let file = def.file;
        let mut queue = Queue::default();
        let flag = |value: &Option<Spanned<bool>>, default: bool| {
            value.as_ref().map_or(default, |v| v.value)
        };
        queue.record_calls = flag(&raw.record_calls, queue.record_calls);
        queue.agent_wrap_up_after_calls = flag(
            &raw.agent_wrap_up_after_calls,
            queue.agent_wrap_up_after_calls,
        );
        if let Some(v) = &raw.wrap_up_time_limit {
            queue.wrap_up_time_limit = v.value;
        }
        if let Some(v) = &raw.schedule {
            queue.schedule = match v.value {
                RawSchedule::Always => Schedule::Always,
                RawSchedule::BusinessHours => Schedule::BusinessHours,
            };
        }
        if let Some(v) = &raw.wait_agent_answer_timeout {
            let least = valid::LEAST_WAIT_AGENT_ANSWER_TIMEOUT;
            at_least(cx, file, v, least, "wait_agent_answer_timeout");
            queue.wait_agent_answer_timeout = v.value;
        }
        if let Some(v) = &raw.maximum_queue_size {
            let least = valid::LEAST_MAXIMUM_QUEUE_SIZE;
            at_least(cx, file, v, least, "maximum_queue_size");
            queue.maximum_queue_size = v.value;
        }
        if let Some(v) = &raw.maximum_queue_wait_time {
            let least = valid::LEAST_MAXIMUM_QUEUE_WAIT_TIME;
            at_least(cx, file, v, least, "maximum_queue_wait_time");
            queue.maximum_queue_wait_time = v.value;
        }
        if let Some(v) = &raw.cond_routing {
            if !valid::COND_ROUTING.contains(&v.value) {
                cx.error(
                    code::OUT_OF_RANGE,
                    def.at(v),
                    format!("`cond_routing` is {}, it must be 1 or 2", v.value),
                    "1 or 2",
                )
                .help = Some(
                    "1: agents online on web/app; 2: agents online on web/app or SIP".to_owned(),
                );
            }
            queue.cond_routing = v.value;
        }
        queue.overflow_after = raw.overflow_after.as_ref().map(|v| v.value);
        if let Some(v) = &raw.sla_target_percent {
            if !valid::SLA_TARGET_PERCENT.contains(&v.value) {
                cx.error(
                    code::OUT_OF_RANGE,
                    def.at(v),
                    format!("`sla_target_percent` is {}, it must be 0 to 100", v.value),
                    "a percentage",
                );
            }
            queue.sla_target_percent = Some(v.value);
        }
        queue.sla_answered_within = raw.sla_answered_within.as_ref().map(|v| v.value);
        queue.wait_greeting = raw
            .wait_greeting
            .as_ref()
            .and_then(|r| audio_ref(cx, project, audio, file, r));
        queue.hold_greeting = raw
            .hold_greeting
            .as_ref()
            .and_then(|r| audio_ref(cx, project, audio, file, r));
        if let Some(v) = &raw.from_number_callout_to_agent {
            phone(
                cx,
                file,
                v,
                &format!("`from_number_callout_to_agent` of queue `{name}`"),
            );
            queue.from_number_callout_to_agent = Some(v.value.clone());
        }
        queue.get_list_agents_url = url(cx, file, raw.get_list_agents_url.as_ref());

        let mut seen: BTreeMap<&str, &Spanned<String>> = BTreeMap::new();
        for routing in raw.routing.iter().flatten() {
            let group = &routing.value.group;
            if let Some(first) = seen.get(group.value.as_str()) {
                let also = cx.label(def.at(*first), "first routed here");
                let diagnostic = cx.error(
                    code::DUPLICATE_NAME,
                    def.at(group),
                    format!("queue `{name}` routes to group `{}` twice", group.value),
                    "routed again here",
                );
                diagnostic.labels.push(also);
                diagnostic.help =
                    Some("a group is either primary or overflow: keep one entry".to_owned());
                continue;
            }
            seen.insert(&group.value, group);
            if !project.groups.contains_key(&group.value) {
                cx.unknown(
                    "group",
                    "groups",
                    &group.value,
                    def.at(group),
                    project.groups.keys().map(String::as_str),
                );
            }
            let primary = routing
                .value
                .primary
                .as_ref()
                .map_or(Routing::DEFAULT_PRIMARY, |p| p.value);
            queue
                .routing
                .insert(group.value.clone(), Routing { primary });
        }
        queues.insert(name.clone(), queue);
    }
    queues
}

/// Blacklisted caller numbers: digits like `numbers:` (a `+` is refused with the digits to
/// write instead), each blocking what `blocks` lists, both by default. `None` when no file
/// has a `blacklist:` section: the blacklist is then not managed.
pub(super) fn lower_blacklist(
    cx: &mut Cx<'_>,
    project: &Project<'_>,
) -> Option<BTreeMap<String, Blacklisted>> {
    if !project.blacklist_declared {
        return None;
    }
    let mut blacklist = BTreeMap::new();
    for (digits, def) in &project.blacklist {
        phone_at(cx, def.key_at(), digits, "blacklisted number");
        national(cx, def.key_at(), digits, Address::Blacklist(digits.clone()));
        let entry = match &def.value.value.blocks {
            None => Blacklisted::default(),
            Some(blocks) => {
                let has = |block: RawBlock| blocks.iter().any(|b| b.value == block);
                Blacklisted {
                    ivr: has(RawBlock::Ivr),
                    queue: has(RawBlock::Queue),
                }
            }
        };
        blacklist.insert(digits.clone(), entry);
    }
    Some(blacklist)
}

pub(super) fn lower_numbers(cx: &mut Cx<'_>, project: &Project<'_>) -> BTreeMap<String, Number> {
    let mut numbers = BTreeMap::new();
    for (digits, def) in &project.numbers {
        let raw: &RawNumber = &def.value.value;
        phone_at(cx, def.key_at(), digits, "number");
        national(cx, def.key_at(), digits, Address::Number(digits.clone()));
        let route = match (&raw.ivr, &raw.queue) {
            (Some(tree), None) => {
                if !project.ivr.contains_key(&tree.value) {
                    cx.unknown(
                        "ivr tree",
                        "ivr",
                        &tree.value,
                        def.at(tree),
                        project.ivr.keys().map(String::as_str),
                    );
                }
                Some(NumberRoute::Ivr(tree.value.clone()))
            }
            (None, Some(queue)) => {
                if !project.queues.contains_key(&queue.value) {
                    cx.unknown(
                        "queue",
                        "queues",
                        &queue.value,
                        def.at(queue),
                        project.queues.keys().map(String::as_str),
                    );
                }
                Some(NumberRoute::Queue(queue.value.clone()))
            }
            (Some(_), Some(queue)) => {
                cx.error(
                    code::NUMBER_ROUTE,
                    def.at(queue),
                    format!("number `{digits}` has both `ivr` and `queue`"),
                    "one of `ivr` or `queue`",
                )
                .help = Some(
                    "calls go to an IVR tree (`ivr`) or straight to a queue (`queue`), not both"
                        .to_owned(),
                );
                None
            }
            (None, None) => {
                cx.error(
                    code::NUMBER_ROUTE,
                    def.key_at(),
                    format!("number `{digits}` routes calls nowhere"),
                    "no `ivr` or `queue`",
                )
                .help = Some("add `ivr: tree-name` or `queue: queue-name`".to_owned());
                None
            }
        };
        let nickname = raw
            .nickname
            .as_ref()
            .map(|n| n.value.clone())
            .filter(|n| !n.is_empty());
        numbers.insert(
            digits.clone(),
            Number {
                nickname,
                route,
                allow_outbound_calls: raw
                    .allow_outbound_calls
                    .as_ref()
                    .map_or(Number::DEFAULT_ALLOW_OUTBOUND_CALLS, |v| v.value),
                record_outbound_calls: raw
                    .record_outbound_calls
                    .as_ref()
                    .map_or(Number::DEFAULT_RECORD_OUTBOUND_CALLS, |v| v.value),
                all_groups_can_call_out: raw.all_groups_can_call_out.as_ref().map(|v| v.value),
            },
        );
    }
    numbers
}
