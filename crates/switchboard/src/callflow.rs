//! Call-flow facts in words, shared by `simulate` and `report`: what a prompt says, who a
//! queue rings, how a number routes. Plain text; callers escape it for their format.

use spec::Model;
use spec::model::{AudioId, KeyAction, NumberRoute, Prompt, Queue, Schedule};

/// The audio's name in the spec (or the id when the model does not know it).
pub fn audio_name(model: &Model, id: &AudioId) -> String {
    model
        .audio
        .get(id)
        .map_or_else(|| id.to_string(), |a| a.name.clone())
}

/// What the caller hears: `says "…"` or `plays audio `welcome-es``.
pub fn hears(model: &Model, prompt: &Prompt) -> String {
    match prompt {
        Prompt::Say { text, .. } => format!("says \"{}\"", one_line(text)),
        Prompt::Play { audio } => {
            let file = model
                .audio
                .get(audio)
                .and_then(|a| a.file.as_deref())
                .map(|f| format!(" ({f})"))
                .unwrap_or_default();
            format!("plays audio `{}`{file}", audio_name(model, audio))
        }
    }
}

/// Text on one line, whitespace runs collapsed.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What a key does, in words: `goto english`, `queue support`, `forward to 849…`, `hang up`.
pub fn action(action: &KeyAction) -> String {
    match action {
        KeyAction::Goto { node } => format!("goto `{node}`"),
        KeyAction::Queue { queue } => format!("queue `{queue}`"),
        KeyAction::Forward { to, caller_id } => match caller_id {
            Some(id) => format!("forward to {to} (caller id {id})"),
            None => format!("forward to {to}"),
        },
        KeyAction::Hangup => "hang up".to_owned(),
    }
}

/// Where a number sends calls: `ivr `main`` or `queue `support``, or `nowhere`.
pub fn route(route: Option<&NumberRoute>) -> String {
    match route {
        Some(NumberRoute::Ivr(tree)) => format!("ivr `{tree}`"),
        Some(NumberRoute::Queue(queue)) => format!("queue `{queue}`"),
        None => "nowhere".to_owned(),
    }
}

/// Who a queue rings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ringing {
    /// The queue asks a URL for the agents to ring; its groups are not used.
    Url(String),
    /// Group routing: primary groups first, then the overflow groups.
    Groups {
        /// Groups with `primary: true`, with their members.
        primary: Vec<GroupMembers>,
        /// The other groups, used when no primary agent is free.
        overflow: Vec<GroupMembers>,
    },
}

/// A routed group and its agents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupMembers {
    /// The group's name.
    pub group: String,
    /// Its agents, described (`carol (Carol Pham)`), sorted by id.
    pub agents: Vec<String>,
}

/// Who `queue` rings.
pub fn ringing(model: &Model, queue: &Queue) -> Ringing {
    if let Some(url) = &queue.get_list_agents_url {
        // Shown redacted: simulate and the report print it.
        return Ringing::Url(url.to_string());
    }
    let mut primary = Vec::new();
    let mut overflow = Vec::new();
    for (group, routing) in &queue.routing {
        let agents = model
            .groups
            .get(group)
            .map(|g| g.agents.iter().map(|id| agent(model, id)).collect())
            .unwrap_or_default();
        let members = GroupMembers {
            group: group.clone(),
            agents,
        };
        if routing.primary {
            primary.push(members);
        } else {
            overflow.push(members);
        }
    }
    Ringing::Groups { primary, overflow }
}

/// `carol (Carol Pham)`, `dan (Dan Ruiz, rings 84909992666)`.
pub fn agent(model: &Model, id: &str) -> String {
    match model.agents.get(id) {
        Some(a) => match (&a.routing, &a.phone_number) {
            (spec::model::AgentRouting::Phone, Some(phone)) => {
                format!("{id} ({}, rings {phone})", a.name)
            }
            _ => format!("{id} ({})", a.name),
        },
        None => id.to_owned(),
    }
}

/// Notes about a queue a caller should know: business hours, greetings.
pub fn queue_notes(model: &Model, queue: &Queue) -> Vec<String> {
    let mut notes = Vec::new();
    if queue.schedule == Schedule::BusinessHours {
        notes.push("routes calls in business hours only".to_owned());
    }
    if let Some(id) = &queue.wait_greeting {
        notes.push(format!("callers wait to audio `{}`", audio_name(model, id)));
    }
    notes
}
