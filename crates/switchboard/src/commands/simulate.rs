//! `switchboard simulate`: a caller dials a number and presses keys; print every menu they hear,
//! what each key does, and where the call ends (the queue's groups and agents, a forward, a
//! hang-up, a silent loop). The walk itself is `spec::flow::walk`, the one flow tests use.

use std::fmt::Write as _;

use serde_json::{Value, json};
use spec::Model;
use spec::flow::{End, Step, Walk, WalkError, walk};
use spec::model::{Key, KeyAction, NumberRoute, Prompt};

use crate::Exit;
use crate::callflow::{self, Ringing};
use crate::cli::{Global, SimulateArgs, SimulateFormat};
use crate::specfile;

pub fn run(global: &Global, args: SimulateArgs) -> anyhow::Result<Exit> {
    let (spec, failing) = specfile::load_walkable(args.path.as_deref(), global)?;
    if failing > 0 {
        crate::output::eprintln(format_args!(
            "warning: {failing} flow test{} of this spec fail{} (shown above); the walk below \
             follows the spec as it is",
            if failing == 1 { "" } else { "s" },
            if failing == 1 { "s" } else { "" }
        ));
    }
    let model = &spec.model;
    let keys: String = args
        .keys
        .chars()
        .filter(|c| !matches!(c, ' ' | ',' | '-'))
        .collect();
    // Numbers are often copied as written for people (`+84 24 7308 2686`); the spec keys
    // them by their digits.
    let number: String = args
        .number
        .chars()
        .filter(|c| !matches!(c, '+' | ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let walked = walk(model, &number, &keys);
    if let End::Error(err) = &walked.end {
        crate::output::eprintln(format_args!(
            "error: {}",
            spec::text::terminal(&refusal(model, &args.number, err))
        ));
        return Ok(Exit::Problems);
    }
    let out = match args.format {
        SimulateFormat::Text => text(model, &walked),
        SimulateFormat::Json => {
            let mut s = spec::text::json(serde_json::to_string_pretty(&to_json(model, &walked))?);
            s.push('\n');
            s
        }
    };
    crate::output::print(&out)?;
    Ok(Exit::Ok)
}

/// Why a walk could not start, with what the user can do about it.
fn refusal(model: &Model, number: &str, err: &WalkError) -> String {
    match err {
        WalkError::UnknownNumber => {
            let known: Vec<String> = model.numbers.keys().map(|n| format!("`{n}`")).collect();
            if known.is_empty() {
                format!("number `{number}` is not in the spec, which has no numbers")
            } else {
                format!(
                    "number `{number}` is not in the spec; its numbers are {}",
                    known.join(", ")
                )
            }
        }
        other => format!("cannot walk a call to `{number}`: {other}"),
    }
}

/// The walk for a person at a terminal. It has no colour and its lines are its own (prompts
/// are put on one line), so the whole goes through `spec::text::terminal_lines`: every name,
/// prompt and URL in it is escaped, or redacted.
pub fn text(model: &Model, walked: &Walk) -> String {
    spec::text::terminal_lines(&walk_text(model, walked)).into_owned()
}

fn walk_text(model: &Model, walked: &Walk) -> String {
    let mut out = String::new();
    let number = &model.numbers[&walked.number];
    let nickname = number
        .nickname
        .as_deref()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    let keys = if walked.steps.iter().any(|s| s.pressed.is_some()) || !walked.unused_keys.is_empty()
    {
        let pressed: String = walked.steps.iter().filter_map(|s| s.pressed).collect();
        let all = format!("{pressed}{}", walked.unused_keys);
        format!(", presses {}", spaced(&all))
    } else {
        ", presses no key".to_owned()
    };
    let route = match &number.route {
        Some(NumberRoute::Queue(q)) => format!("straight to queue `{q}` (no IVR)"),
        other => callflow::route(other.as_ref()),
    };
    let _ = writeln!(
        out,
        "A caller dials {}{nickname} → {route}{keys}\n",
        walked.number
    );
    for (i, step) in walked.steps.iter().enumerate() {
        write_step(&mut out, model, i + 1, step);
    }
    if !walked.steps.is_empty() {
        out.push('\n');
    }
    write_end(&mut out, model, &walked.end);
    if !walked.unused_keys.is_empty() {
        let why = if walked.steps.is_empty() {
            "there is no IVR menu to press them in"
        } else {
            "the call had left the IVR"
        };
        let _ = writeln!(
            out,
            "\nKeys never pressed: {} ({why})",
            spaced(&walked.unused_keys)
        );
    }
    out
}

/// Lines are wrapped to this width: prompts are long, and reviewers read them in a terminal or
/// a CI log.
const WIDTH: usize = 100;

/// `text` wrapped at word boundaries to `width` characters, continuation lines indented.
fn wrap(text: &str, width: usize, indent: usize) -> String {
    let mut lines: Vec<String> = vec![String::new()];
    for word in text.split(' ') {
        let line = lines.last_mut().expect("there is a line");
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(word.to_owned());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines.join(&format!("\n{}", " ".repeat(indent)))
}

fn spaced(keys: &str) -> String {
    keys.chars().map(String::from).collect::<Vec<_>>().join(" ")
}

fn write_step(out: &mut String, model: &Model, n: usize, step: &Step) {
    let node = &model.ivr[&step.tree].nodes[&step.node];
    let _ = writeln!(out, "{n:>2}. {}/{}", step.tree, step.node);
    let times = match node.loop_count {
        1 => String::new(),
        n => format!(" ({n} times)"),
    };
    let hears = format!("{}{times}", callflow::hears(model, &step.prompt));
    let _ = writeln!(out, "    hears    {}", wrap(&hears, WIDTH - 13, 13));
    let to = step
        .action
        .as_ref()
        .map_or_else(|| "hang up".to_owned(), callflow::action);
    let did = match (step.pressed, step.branch) {
        (Some(c), Some(Key::Invalid)) => {
            format!("presses {c}: not a key of this menu, so `invalid` → {to}")
        }
        (Some(c), Some(_)) => format!("presses {c} → {to}"),
        (Some(c), None) => {
            format!("presses {c}: not a key of this menu, and it has no `invalid` branch → {to}")
        }
        (None, Some(_)) => format!(
            "stays silent for {} s, so `timeout` → {to}",
            node.keypress_timeout
        ),
        (None, None) => format!(
            "stays silent for {} s, and the menu has no `timeout` branch → {to}",
            node.keypress_timeout
        ),
    };
    let _ = writeln!(out, "    caller   {did}");
}

fn write_end(out: &mut String, model: &Model, end: &End) {
    match end {
        End::Queue(name) => {
            let _ = writeln!(out, "The call waits in queue `{name}`");
            let Some(queue) = model.queues.get(name) else {
                return;
            };
            match callflow::ringing(model, queue) {
                Ringing::Url(url) => {
                    let _ = writeln!(out, "  agents   chosen by get_list_agents_url {url}");
                }
                Ringing::Groups { primary, overflow } => {
                    for (label, groups) in [("primary", primary), ("overflow", overflow)] {
                        for g in groups {
                            let agents = if g.agents.is_empty() {
                                "no agents".to_owned()
                            } else {
                                g.agents.join(", ")
                            };
                            let line = format!("group `{}`: {agents}", g.group);
                            let _ = writeln!(out, "  {label:<8} {}", wrap(&line, WIDTH - 11, 11));
                        }
                    }
                }
            }
            for note in callflow::queue_notes(model, queue) {
                let _ = writeln!(out, "  note     {note}");
            }
        }
        End::Forward { to, caller_id } => {
            let shown = caller_id
                .as_deref()
                .map(|id| format!(", showing caller id {id}"))
                .unwrap_or_default();
            let _ = writeln!(out, "The call is forwarded to {to}{shown}");
        }
        End::Hangup => {
            let _ = writeln!(out, "The call ends: PCC hangs up");
        }
        End::Loop { tree, node } => {
            let _ = writeln!(
                out,
                "The call loops: the silent caller is back at `{tree}/{node}` and hears it again and again"
            );
        }
        End::Error(err) => {
            let _ = writeln!(out, "The walk stops: {err}");
        }
    }
}

/// The walk as JSON (`simulate --format json`).
pub fn to_json(model: &Model, walked: &Walk) -> Value {
    let steps: Vec<Value> = walked
        .steps
        .iter()
        .map(|s| {
            let hears = match &s.prompt {
                Prompt::Say { text, .. } => json!({ "say": text }),
                Prompt::Play { audio } => json!({
                    "play": callflow::audio_name(model, audio),
                    "audio_id": audio.to_string(),
                }),
            };
            json!({
                "tree": s.tree,
                "node": s.node,
                "hears": hears,
                "pressed": s.pressed.map(String::from),
                "branch": s.branch.map(Key::as_str),
                "action": s.action.as_ref().map(action_json),
            })
        })
        .collect();
    json!({
        "number": walked.number,
        "steps": steps,
        "end": end_json(model, &walked.end),
        "unused_keys": walked.unused_keys,
    })
}

fn action_json(action: &KeyAction) -> Value {
    match action {
        KeyAction::Goto { node } => json!({ "goto": node }),
        KeyAction::Queue { queue } => json!({ "queue": queue }),
        KeyAction::Forward { to, caller_id } => json!({ "forward": to, "caller_id": caller_id }),
        KeyAction::Hangup => json!({ "hangup": true }),
    }
}

fn end_json(model: &Model, end: &End) -> Value {
    match end {
        End::Queue(name) => {
            let ringing = match model.queues.get(name).map(|q| callflow::ringing(model, q)) {
                Some(Ringing::Url(url)) => json!({ "get_list_agents_url": url }),
                Some(Ringing::Groups { primary, overflow }) => {
                    let groups = |gs: Vec<callflow::GroupMembers>| -> Vec<Value> {
                        gs.into_iter()
                            .map(|g| {
                                let ids: Vec<&String> =
                                    model.groups[&g.group].agents.iter().collect();
                                json!({ "group": g.group, "agents": ids })
                            })
                            .collect()
                    };
                    json!({ "primary": groups(primary), "overflow": groups(overflow) })
                }
                None => Value::Null,
            };
            json!({ "queue": name, "agents": ringing })
        }
        End::Forward { to, caller_id } => json!({ "forward": to, "caller_id": caller_id }),
        End::Hangup => json!({ "hangup": true }),
        End::Loop { tree, node } => json!({ "loop": { "tree": tree, "node": node } }),
        End::Error(err) => json!({ "error": err.to_string() }),
    }
}
