//! A live project whose every name and text is hostile (PCC's dashboard takes anything), and
//! a spec that changes it: every rendering of the plan, the drift report and the caller paths
//! goes through the escaping of its sink (`spec::text`), whatever the names hold.

use std::collections::BTreeMap;

use planner::render;
use planner::{FlowLimits, Plan, flow_report, plan};
use spec::model::{
    Agent, AgentRouting, CallSettings, DEFAULT_VOICE, Group, IvrNode, IvrTree, Key, KeyAction,
    Model, Number, NumberRoute, Prompt, Queue,
};
use spec::text::{HOSTILE_SAMPLES, terminal_problem};
use spec::{Expect, FlowTest, Location, Policy};

fn node(text: &str, keys: &[(Key, KeyAction)]) -> IvrNode {
    IvrNode {
        prompt: Prompt::Say {
            text: text.into(),
            voice: DEFAULT_VOICE.into(),
            speed: 0,
        },
        barge_in: true,
        loop_count: 1,
        delay_ms: 0,
        keypress_timeout: 5,
        keys: keys.iter().cloned().collect(),
    }
}

/// For every hostile text `h` (number `i`): a live group named `h` (deleted by the plan), an
/// agent named `h` (renamed), a queue named `h` routed to nothing (deleted), a number
/// nicknamed `h` whose IVR tree `h` has a node `h` saying `h` with a key going to queue `h`
/// (the spec changes the prompt and the nickname), and call settings whose URL holds a
/// credential; a flow test named `h` that fails.
fn hostile() -> (Model, Model, Vec<FlowTest>) {
    let mut live = Model::default();
    let mut desired = Model::default();
    let mut tests = Vec::new();
    for (i, h) in HOSTILE_SAMPLES.iter().enumerate() {
        let h = (*h).to_owned();
        live.groups.insert(h.clone(), Group::default());
        let agent = |name: &str| Agent {
            name: name.into(),
            routing: AgentRouting::App,
            phone_number: None,
            out_of_hours_callout: None,
        };
        live.agents.insert(format!("agent-{i}"), agent(&h));
        desired
            .agents
            .insert(format!("agent-{i}"), agent(&format!("Agent {i}")));
        live.queues.insert(format!("{h} q"), Queue::default());
        let tree = |text: &str| IvrTree {
            start: h.clone(),
            nodes: BTreeMap::from([(
                h.clone(),
                node(
                    text,
                    &[(
                        Key::D1,
                        KeyAction::Queue {
                            queue: format!("{h} q"),
                        },
                    )],
                ),
            )]),
        };
        live.ivr.insert(h.clone(), tree(&h));
        desired.ivr.insert(h.clone(), tree(&format!("Welcome {i}")));
        desired.queues.insert(format!("{h} q"), Queue::default());
        let number = |nickname: &str| Number {
            nickname: Some(nickname.into()),
            route: Some(NumberRoute::Ivr(h.clone())),
            allow_outbound_calls: false,
            record_outbound_calls: false,
            all_groups_can_call_out: None,
        };
        live.numbers.insert(format!("8424000000{i:02}"), number(&h));
        desired
            .numbers
            .insert(format!("8424000000{i:02}"), number(&format!("Line {i}")));
        tests.push(FlowTest {
            name: Some(h.clone()),
            number: format!("8424000000{i:02}"),
            keys: "1".into(),
            expect: Expect::Hangup,
            location: Location {
                file: "spec.yaml".into(),
                line: 1,
                column: 1,
            },
        });
    }
    live.settings = Some(CallSettings {
        event_url: Some("https://user:hunter2@crm.example.com/e?token=SECRETVALUE".into()),
        ..CallSettings::default()
    });
    desired.settings = Some(CallSettings {
        event_url: Some("https://crm.example.com/e?token=OTHERSECRET&x=1".into()),
        ..CallSettings::default()
    });
    (desired, live, tests)
}

fn planned() -> (Plan, planner::FlowReport) {
    let (desired, live, tests) = hostile();
    let p = plan(&desired, &live, &Policy::default());
    let flows = flow_report(&desired, &live, &tests, &FlowLimits::default());
    (p, flows)
}

/// Every rendering, by name.
fn renderings() -> Vec<(&'static str, String)> {
    let (p, flows) = planned();
    let charts: Vec<String> = p
        .trees
        .iter()
        .map(|(name, change)| {
            let diff = render::tree_diff(change.before.as_ref(), change.after.as_ref());
            render::mermaid(name, change.after.as_ref().unwrap(), Some(&diff))
        })
        .collect();
    vec![
        ("text", render::text(&p, false)),
        ("text, coloured", render::text(&p, true)),
        ("markdown", render::markdown(&p)),
        ("json", render::json(&p)),
        ("drift text", render::drift_text(&p, false)),
        ("drift text, coloured", render::drift_text(&p, true)),
        ("drift markdown", render::drift_markdown(&p)),
        ("drift json", render::drift_json(&p)),
        ("flows text", render::flows_text(&flows, false)),
        ("flows text, coloured", render::flows_text(&flows, true)),
        ("flows markdown", render::flows_markdown(&flows, 60_000)),
        (
            "flows json",
            serde_json::to_string_pretty(&render::flows_json(&flows))
                .map(spec::text::json)
                .unwrap(),
        ),
        ("mermaid", charts.join("\n")),
        ("saved plan", planner::saved::to_json(&p)),
    ]
}

#[test]
fn no_rendering_holds_a_raw_hazard_or_a_workflow_command_line() {
    let (p, _) = planned();
    assert!(p.steps.len() > 40, "the plan touches every hostile object");
    for (format, out) in renderings() {
        if let Some(problem) = terminal_problem(&out) {
            panic!("{format}: {problem}\n{out}");
        }
        for raw in ["\x1b[32mvalid", "\u{202E}", "\u{FFFE}", "\u{200B}", "\r"] {
            assert!(!out.contains(raw), "{format} holds {raw:?}:\n{out}");
        }
        for secret in ["hunter2", "SECRETVALUE", "OTHERSECRET"] {
            assert!(!out.contains(secret), "{format} shows {secret}:\n{out}");
        }
    }
}

#[test]
fn json_renderings_read_back_to_the_hostile_names() {
    for (format, out) in renderings() {
        if !format.contains("json") && format != "saved plan" {
            continue;
        }
        let doc: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{format}: {e}"));
        let text = doc.to_string();
        // The escapes mean the characters themselves: JSON consumers see the real names.
        assert!(
            serde_json::from_str::<serde_json::Value>(&text).is_ok(),
            "{format}"
        );
        if format == "json" {
            let agent = doc["resource_changes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["address"] == "agent.agent-2")
                .unwrap();
            assert_eq!(agent["change"]["before"]["name"], HOSTILE_SAMPLES[2]);
        }
    }
    let (p, _) = planned();
    assert_eq!(
        planner::saved::from_json(&planner::saved::to_json(&p)).unwrap(),
        p
    );
}

/// What GitHub would read as Markdown in `doc`: fenced blocks and code spans left out, where
/// nothing is a mention, a reference, emphasis or a link.
fn markdown_outside_code(doc: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<String> = None;
    for line in doc.lines() {
        let ticks: String = line.chars().take_while(|&c| c == '`').collect();
        if ticks.len() >= 3 {
            match &fence {
                Some(open) if ticks.len() >= open.len() && line.trim() == ticks => fence = None,
                None => fence = Some(ticks),
                _ => {}
            }
            continue;
        }
        if fence.is_none() {
            for (i, part) in line.split('`').enumerate() {
                if i % 2 == 0 {
                    out.push_str(part);
                }
            }
            out.push('\n');
        }
    }
    out
}

#[test]
fn markdown_renderings_hold_no_live_mention_reference_emphasis_or_tag() {
    for (format, out) in renderings() {
        if !format.contains("markdown") {
            continue;
        }
        let md = markdown_outside_code(&out);
        for (i, _) in md.match_indices('@') {
            assert!(
                md[i + 1..].starts_with("&#8203;"),
                "{format}: a live mention at {}",
                &md[i..(i + 30).min(md.len())]
            );
        }
        for (i, _) in md.match_indices('#') {
            if md[..i].ends_with('&') {
                continue; // an entity: `&#8203;`
            }
            let next = md[i + 1..].chars().next();
            assert!(
                !next.is_some_and(|c| c.is_ascii_digit()),
                "{format}: a live reference at {}",
                &md[i..(i + 20).min(md.len())]
            );
        }
        // Emphasis forms in Markdown text, not in HTML blocks (`<details><summary>` lines,
        // whose text GitHub does not read as Markdown, but does read for mentions).
        let prose: String = md
            .lines()
            .filter(|l| !l.starts_with("<details"))
            .collect::<Vec<_>>()
            .join("\n");
        for needle in ["**bold**", "~~gone~~", " _it_"] {
            assert!(!prose.contains(needle), "{format} holds {needle}:\n{md}");
        }
        for needle in ["<script", "<x/>", "</script"] {
            assert!(!md.contains(needle), "{format} holds {needle}:\n{md}");
        }
        assert!(
            !md.contains("hunter2") && !md.contains("SECRETVALUE"),
            "{format}"
        );
    }
}

#[test]
fn mermaid_diagrams_hold_no_directive_and_keep_the_removed_styling() {
    let (p, _) = planned();
    let md = render::markdown(&p);
    let mut in_mermaid = false;
    let mut drawn = 0;
    for line in md.lines() {
        if line.starts_with("```mermaid") {
            in_mermaid = true;
            drawn += 1;
            continue;
        }
        if line.starts_with("```") {
            in_mermaid = false;
        }
        if in_mermaid {
            assert!(!line.contains("%%"), "a directive or comment: {line}");
            assert!(!line.contains("init:") || line.contains("#37;"), "{line}");
            // Every label is one quoted string: an even number of quotes per line.
            assert_eq!(line.matches('"').count() % 2, 0, "{line}");
        }
    }
    assert_eq!(drawn, HOSTILE_SAMPLES.len(), "one diagram per tree");
    assert!(md.contains("classDef removed fill:#ffebe9,stroke:#cf222e"));
}

#[test]
fn the_text_plan_of_hostile_names_reads_as_escapes() {
    let (p, _) = planned();
    let text = render::text(&p, false);
    let agent = text
        .lines()
        .skip_while(|l| !l.contains("agent.agent-0 will be updated"))
        .take(4)
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!(agent, @r#"
      # agent.agent-0 will be updated in place
      ~ agent.agent-0
          ~ name = "[-\u001b[32mvalid\u001b[0m-]{+Agent 0+}"
            # (1 unchanged field hidden)
    "#);
    let groups: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  - group."))
        .collect();
    insta::assert_snapshot!(groups.join("\n"));
}
