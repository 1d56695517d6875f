//! The renderers' limits: Markdown truncation of a huge plan, colour only when asked, Mermaid
//! escaping and diff styling.

use std::collections::{BTreeMap, BTreeSet};

use planner::render::{self, MARKDOWN_LIMIT, TreeDiff, mermaid, tree_diff};
use planner::{Plan, plan};
use spec::Policy;
use spec::model::{
    Agent, AgentRouting, DEFAULT_VOICE, IvrNode, IvrTree, Key, KeyAction, Model, Prompt,
};

use crate::fixture;

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

/// 2,000 agents and 60 trees of 15 nodes with long prompts, all new.
fn huge() -> Plan {
    let mut desired = Model::default();
    for i in 0..2000 {
        desired.agents.insert(
            format!("agent-{i:05}"),
            Agent {
                name: format!("Agent number {i} of the big contact center"),
                routing: AgentRouting::App,
                phone_number: None,
                out_of_hours_callout: None,
            },
        );
    }
    for t in 0..60 {
        let mut nodes = BTreeMap::new();
        for n in 0..15 {
            let next = format!("n{:02}", (n + 1) % 15);
            nodes.insert(
                format!("n{n:02}"),
                node(
                    &"Thank you for calling, please listen carefully as our menu has changed. "
                        .repeat(3),
                    &[
                        (Key::D1, KeyAction::Goto { node: next }),
                        (Key::Timeout, KeyAction::Hangup),
                    ],
                ),
            );
        }
        desired.ivr.insert(
            format!("tree-{t:02}"),
            IvrTree {
                start: "n00".into(),
                nodes,
            },
        );
    }
    plan(&desired, &Model::default(), &Policy::default())
}

#[test]
fn a_huge_plan_is_truncated_visibly_under_the_limit() {
    let p = huge();
    let full = render::text(&p, false);
    assert!(full.len() > 3 * MARKDOWN_LIMIT, "the case must be huge");
    let md = render::markdown(&p);
    assert!(md.len() <= MARKDOWN_LIMIT, "{} bytes", md.len());
    assert!(md.contains("> **Truncated to fit one pull-request comment:**"));
    // The summary comes first and is whole.
    assert!(
        md.starts_with("### switchboard plan\n\n**Plan: 4760 to add, 0 to change, 0 to destroy.**")
    );
    assert!(md.contains("| agent | 0 | 2000 |"));
    // Truncation never leaves a block open.
    let fences = md.lines().filter(|l| l.starts_with("```")).count();
    assert_eq!(fences % 2, 0, "unbalanced code fences");
    assert_eq!(
        md.matches("<details").count(),
        md.matches("</details>").count()
    );
    // It says how much it shows.
    let shown = md
        .split("this comment shows ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse::<usize>().ok())
        .expect("the note counts the changes shown");
    assert!(shown > 0 && shown < 4760, "{shown}");
}

#[test]
fn a_smaller_limit_truncates_a_normal_plan_and_a_big_one_does_not() {
    let c = fixture::case("create_everything");
    let p = plan(&c.desired, &c.live, &c.policy);
    let whole = render::markdown(&p);
    assert!(!whole.contains("Truncated"));
    assert!(whole.contains("```mermaid"));
    let cut = render::markdown_with_limit(&p, 3000);
    assert!(cut.len() <= 3000, "{}", cut.len());
    assert!(cut.contains("Truncated"));
    // The note does not quote the budget left after other sections (an odd number to a
    // reader); it says why.
    assert!(!cut.contains("3000"), "{cut}");
    assert!(cut.lines().filter(|l| l.starts_with("```")).count() % 2 == 0);
}

#[test]
fn colour_only_when_asked() {
    let c = fixture::case("update_in_place");
    let p = plan(&c.desired, &c.live, &c.policy);
    let plain = render::text(&p, false);
    let coloured = render::text(&p, true);
    assert!(!plain.contains('\x1b'));
    assert!(
        coloured.contains("\x1b[33m  ~\x1b[0m"),
        "update sign in yellow"
    );
    assert!(
        coloured.contains("\x1b[32m{+tech+}\x1b[0m"),
        "added words in green"
    );
    assert!(
        coloured.contains("\x1b[31m[-technical-]\x1b[0m"),
        "removed words in red"
    );
    // Without the escapes, the coloured text is the plain text.
    let stripped = strip_ansi(&coloured);
    assert_eq!(stripped, plain);
    assert!(!render::drift_text(&p, false).contains('\x1b'));
    assert!(render::drift_text(&p, true).contains('\x1b'));
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn the_empty_plan_says_so() {
    let c = fixture::case("no_changes");
    let p = plan(&c.desired, &c.live, &c.policy);
    assert!(p.is_empty());
    assert_eq!(
        render::text(&p, false),
        "No changes. Live project matches the spec.\n"
    );
    assert_eq!(
        render::drift_text(&p, false),
        "No drift. The live project matches the spec.\n"
    );
}

#[test]
fn mermaid_escapes_what_could_break_the_graph_or_the_page() {
    let tree = IvrTree {
        start: "main \"menu\"".into(),
        nodes: [(
            "main \"menu\"".to_owned(),
            node(
                "Press # or * </script><b>x</b> ```js `tick` & \"quoted\"\nnext line",
                &[
                    (
                        Key::Hash,
                        KeyAction::Queue {
                            queue: "a\"b".into(),
                        },
                    ),
                    (
                        Key::Star,
                        KeyAction::Forward {
                            to: "84909992666".into(),
                            caller_id: None,
                        },
                    ),
                ],
            ),
        )]
        .into_iter()
        .collect(),
    };
    let out = mermaid("t<1>", &tree, None);
    insta::assert_snapshot!("mermaid_escaping", out);
    for line in out.lines() {
        // Only the label delimiters remain as quotes: an even number per line.
        assert_eq!(line.matches('"').count() % 2, 0, "{line}");
        assert!(!line.contains("</script>"), "{line}");
        assert!(!line.contains("```"), "{line}");
    }
}

/// U+2028 and U+2029 break a line in a browser and in JavaScript as `\n` does: a live name or
/// prompt holding one must not split a Mermaid label.
#[test]
fn mermaid_labels_show_line_and_paragraph_separators_escaped() {
    let name = "menu\u{2028}two";
    let tree = IvrTree {
        start: name.into(),
        nodes: BTreeMap::from([(
            name.to_owned(),
            node(
                "Hello\u{2029}world",
                &[(
                    Key::D1,
                    KeyAction::Queue {
                        queue: "sales\u{2028}en".into(),
                    },
                )],
            ),
        )]),
    };
    let out = mermaid("main\u{2029}tree", &tree, None);
    assert!(!out.contains(['\u{2028}', '\u{2029}']), "{out}");
    for shown in ["menu\\u{2028}two", "Hello world", "queue sales\\u{2028}en"] {
        assert!(out.contains(shown), "no `{shown}` in:\n{out}");
    }
}

#[test]
fn mermaid_styles_added_changed_and_removed_nodes_apart() {
    let before = IvrTree {
        start: "menu".into(),
        nodes: [
            (
                "menu".to_owned(),
                node(
                    "Press 1 for sales, 2 for the old line.",
                    &[
                        (
                            Key::D1,
                            KeyAction::Queue {
                                queue: "sales".into(),
                            },
                        ),
                        (Key::D2, KeyAction::Goto { node: "old".into() }),
                    ],
                ),
            ),
            (
                "old".to_owned(),
                node("The old line.", &[(Key::Timeout, KeyAction::Hangup)]),
            ),
        ]
        .into_iter()
        .collect(),
    };
    let after = IvrTree {
        start: "menu".into(),
        nodes: [
            (
                "menu".to_owned(),
                node(
                    "Press 1 for sales, 3 for support.",
                    &[
                        (
                            Key::D1,
                            KeyAction::Queue {
                                queue: "sales".into(),
                            },
                        ),
                        (
                            Key::D3,
                            KeyAction::Goto {
                                node: "support".into(),
                            },
                        ),
                    ],
                ),
            ),
            (
                "support".to_owned(),
                node(
                    "Support.",
                    &[(
                        Key::Timeout,
                        KeyAction::Queue {
                            queue: "support".into(),
                        },
                    )],
                ),
            ),
        ]
        .into_iter()
        .collect(),
    };
    let diff = tree_diff(Some(&before), Some(&after));
    assert_eq!(diff.added, BTreeSet::from(["support".to_owned()]));
    assert_eq!(diff.changed, BTreeSet::from(["menu".to_owned()]));
    assert_eq!(diff.removed.keys().collect::<Vec<_>>(), ["old"]);
    assert_eq!(
        diff.keys_removed.keys().collect::<Vec<_>>(),
        [&("menu".to_owned(), Key::D2)]
    );
    let out = mermaid("main", &after, Some(&diff));
    insta::assert_snapshot!("mermaid_diff", out);
    mermaid_structure(&out);
    assert!(out.contains("class n2 added"));
    assert!(out.contains("class n0 changed"));
    assert!(out.contains("class n1 removed"));
    assert!(
        out.contains("n0 -.->|\"2\"| n1"),
        "the removed key is dashed"
    );
    assert_ne!(diff, TreeDiff::default());
}

#[test]
fn drift_reads_the_plan_the_other_way_round() {
    let c = fixture::case("update_in_place");
    let p = plan(&c.desired, &c.live, &c.policy);
    let json = render::drift_json(&p);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["format_version"], "1.4");
    assert_eq!(doc["drift"], true);
    let queue = doc["resource_drift"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["address"] == "queue.support")
        .unwrap();
    assert_eq!(queue["drift"], "changed");
    assert_eq!(
        queue["fields"],
        serde_json::json!([
            {"field": "schedule", "live": "always", "spec": "business_hours"},
            {"field": "wrap_up_time_limit", "live": 10, "spec": 30},
        ])
    );
    let text = render::drift_text(&p, false);
    assert!(text.contains("  ~ queue.support: wrap_up_time_limit is 10 live, spec says 30\n"));
    assert!(text.contains("  + ivr_key.main/english/9: in the spec, missing live\n"));
    insta::assert_snapshot!("drift_markdown", render::drift_markdown(&p));

    let c = fixture::case("no_changes");
    let p = plan(&c.desired, &c.live, &c.policy);
    let doc: serde_json::Value = serde_json::from_str(&render::drift_json(&p)).unwrap();
    assert_eq!(doc["drift"], false);
    assert!(render::drift_markdown(&p).contains("**No drift.**"));
}

#[test]
fn a_share_over_the_limit_never_prints_as_the_limit() {
    let agents = |n: usize| {
        let mut m = Model::default();
        for i in 0..n {
            m.agents.insert(
                format!("a{i:04}"),
                Agent {
                    name: "A".into(),
                    routing: AgentRouting::App,
                    phone_number: None,
                    out_of_hours_callout: None,
                },
            );
        }
        m
    };
    let message = |keep: usize, of: usize| {
        let p = plan(&agents(keep), &agents(of), &Policy::default());
        p.safety
            .violations
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        message(749, 1000),
        ["too many deletes of agent: 25.1% is over 25% (251/1000); use --force"]
    );
    assert_eq!(
        message(7499, 10000),
        ["too many deletes of agent: 25.01% is over 25% (2501/10000); use --force"]
    );
    // Exactly the limit passes; so does any share of a kind under `min_objects`.
    assert!(message(750, 1000).is_empty());
    assert!(message(1, 7).is_empty());
    assert_eq!(
        message(5, 8),
        ["too many deletes of agent: 37.5% is over 25% (3/8); use --force"]
    );
    // A spec that declares nothing is refused even where no other guard trips.
    assert_eq!(
        message(0, 3),
        [
            "the spec declares nothing: this plan deletes every live object it manages (3); use \
             --force"
        ]
    );
    let mut settings_only = agents(0);
    settings_only.settings = Some(Default::default());
    let p = plan(&settings_only, &agents(3), &Policy::default());
    assert_eq!(p.summary().destroy, 3);
    assert!(!p.refused(), "{:?}", p.safety);
}

/// Checks that `doc` is one Mermaid flowchart that a renderer can draw whole: one header,
/// balanced subgraphs, every id defined once, every link between ids defined in the same
/// subgraph, every `linkStyle` index a link (a removed one dashed), every `class` member
/// defined. Answers the ids per subgraph (`""` outside any).
fn mermaid_structure(doc: &str) -> BTreeMap<String, BTreeSet<String>> {
    let lines: Vec<&str> = doc.lines().collect();
    assert_eq!(lines[0], "flowchart TD", "{doc}");
    assert_eq!(
        doc.matches("flowchart").count(),
        1,
        "one diagram, one header: {doc}"
    );
    let mut defined: BTreeMap<String, String> = BTreeMap::new();
    let mut links: Vec<(String, String, bool)> = Vec::new();
    let mut styles: Vec<(usize, String)> = Vec::new();
    let mut classes: Vec<String> = Vec::new();
    let mut open: Option<String> = None;
    let id_of = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for line in &lines[1..] {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("subgraph ") {
            assert!(open.is_none(), "nested subgraph: {line}");
            let id = id_of(rest);
            assert!(defined.insert(id.clone(), String::new()).is_none(), "{id}");
            open = Some(id);
        } else if line == "end" {
            assert!(open.take().is_some(), "`end` without a subgraph");
        } else if let Some(rest) = line.strip_prefix("linkStyle ") {
            let (i, css) = rest.split_once(' ').unwrap();
            styles.push((i.parse().unwrap(), css.to_owned()));
        } else if let Some(rest) = line.strip_prefix("class ") {
            let (members, _) = rest.split_once(' ').unwrap();
            classes.extend(members.split(',').map(str::to_owned));
        } else if line.starts_with("classDef ") {
        } else if line.contains(" -->") || line.contains(" -.->") {
            // Labels escape `>`, so an arrow is always a link.
            let from = id_of(line);
            let to = line.rsplit(' ').next().unwrap().to_owned();
            links.push((from, to, line.contains(" -.->")));
        } else {
            let id = id_of(line);
            assert!(!id.is_empty(), "{line}");
            let at = open.clone().unwrap_or_default();
            assert!(
                defined.insert(id.clone(), at).is_none(),
                "{id} defined twice"
            );
        }
    }
    assert!(open.is_none(), "a subgraph is not closed");
    for (from, to, _) in &links {
        let (a, b) = (&defined[from], &defined[to]);
        assert_eq!(a, b, "{from} -> {to} crosses subgraphs");
    }
    for (i, css) in &styles {
        let (_, _, dashed) = &links[*i];
        assert_eq!(*dashed, css.contains("dasharray"), "linkStyle {i} {css}");
    }
    for member in &classes {
        assert!(defined.contains_key(member), "class of undefined {member}");
    }
    let mut by_subgraph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (id, at) in defined {
        by_subgraph.entry(at).or_default().insert(id);
    }
    by_subgraph
}

#[test]
fn several_trees_make_one_mermaid_diagram_with_a_subgraph_each() {
    let menu = |target: &str| IvrTree {
        start: "menu".into(),
        nodes: [(
            "menu".to_owned(),
            node(
                "Press 1.",
                &[
                    (
                        Key::D1,
                        KeyAction::Queue {
                            queue: target.into(),
                        },
                    ),
                    (Key::Timeout, KeyAction::Hangup),
                ],
            ),
        )]
        .into_iter()
        .collect(),
    };
    // Same node names in both trees: their ids must still differ.
    let (sales, support) = (menu("sales"), menu("support"));
    let mut removed = sales.clone();
    removed
        .nodes
        .get_mut("menu")
        .unwrap()
        .keys
        .remove(&Key::Timeout);
    let diff = tree_diff(Some(&sales), Some(&removed));
    let numbers = vec![
        "842473082686 (Hotline)".to_owned(),
        "842473082687".to_owned(),
    ];
    let doc = render::mermaid_charts(
        &[
            render::Chart {
                name: "sales",
                tree: &removed,
                diff: Some(&diff),
                entry: &numbers,
            },
            render::Chart {
                name: "support",
                tree: &support,
                diff: None,
                entry: &[],
            },
        ],
        &BTreeMap::new(),
    );
    let ids = mermaid_structure(&doc);
    assert_eq!(
        ids.keys().collect::<Vec<_>>(),
        ["", "t0", "t1"],
        "one subgraph per tree, nothing drawn outside them: {doc}"
    );
    assert_eq!(ids[""], BTreeSet::from(["t0".to_owned(), "t1".to_owned()]));
    assert!(doc.contains("subgraph t0[\"ivr sales\"]"), "{doc}");
    assert!(doc.contains("subgraph t1[\"ivr support\"]"), "{doc}");
    // The numbers that enter a tree are in its entry box.
    assert!(
        doc.contains(
            "t0_entry([\"<b>ivr sales</b><br/>842473082686 (Hotline)<br/>842473082687\"]):::entry"
        ),
        "{doc}"
    );
    assert!(doc.contains("t1_entry([\"ivr support\"]):::entry"), "{doc}");
    // The removed key of the first tree is styled by its index in the whole document.
    assert!(doc.contains("t0_n0 -.->|\"timeout\"| t0_e1"), "{doc}");
    assert_eq!(doc.matches("linkStyle").count(), 1, "{doc}");

    // One tree alone is drawn without a subgraph, as the Markdown plan shows it.
    let one = render::mermaid_charts(
        &[render::Chart {
            name: "support",
            tree: &support,
            diff: None,
            entry: &[],
        }],
        &BTreeMap::new(),
    );
    assert_eq!(one, mermaid("support", &support, None));
    assert_eq!(mermaid_structure(&one).keys().collect::<Vec<_>>(), [""]);
}

/// A spec that drops 1,500 numbers (an emptied file, a project moved elsewhere): every number
/// is a safety guard of its own, listed before the changes, and the list alone is longer than
/// a pull-request comment may be.
#[test]
fn a_plan_that_deletes_many_numbers_stays_under_the_markdown_limit() {
    use spec::model::{Number, NumberRoute, Queue};
    let mut live = Model::default();
    live.queues.insert(
        "support".into(),
        Queue {
            get_list_agents_url: Some("https://crm.example/agents".into()),
            ..Queue::default()
        },
    );
    for i in 0..1500 {
        live.numbers.insert(
            format!("8424730{i:05}"),
            Number {
                nickname: Some(format!("Hotline of branch office {i}")),
                route: Some(NumberRoute::Queue("support".into())),
                allow_outbound_calls: false,
                record_outbound_calls: false,
                all_groups_can_call_out: None,
            },
        );
    }
    let desired = Model {
        queues: live.queues.clone(),
        ..Model::default()
    };
    let p = plan(&desired, &live, &Policy::default());
    assert_eq!(
        p.safety.violations.len(),
        1501,
        "one guard per number, and the share"
    );
    let md = render::markdown(&p);
    assert!(md.len() <= MARKDOWN_LIMIT, "{} bytes", md.len());
    // The guards are summed up, not dropped: the first ones and how many more.
    assert!(md.contains("> - deletes number 842473000000 (Hotline of branch office 0)"));
    assert!(md.contains("> - … and 1451 more"), "{}", &md[..3000]);
    assert!(md.contains("> **Truncated to fit one pull-request comment:**"));
}

/// Prompts written as YAML block scalars hold line breaks (`say: |`), and a prompt edited in
/// PCC's dashboard may hold anything, a terminal escape included. A word diff shows them the
/// way a quoted value does (`\n`, `\u001b`), so that a diff line stays one line: a break in
/// the middle of a drift table row ends the table, and in a `diff` block the next line of the
/// prompt would read as a line of the plan.
#[test]
fn word_diffs_of_multi_line_prompts_stay_on_one_line() {
    let tree = |text: &str| IvrTree {
        start: "menu".into(),
        nodes: BTreeMap::from([("menu".to_owned(), node(text, &[]))]),
    };
    let mut live = Model::default();
    live.ivr.insert(
        "main".into(),
        tree("Welcome to \"Acme\".\n- Press 1 for sales.\n\x1b[2J"),
    );
    let mut desired = Model::default();
    desired.ivr.insert(
        "main".into(),
        tree("Welcome to \"Acme\".\n- Press 2 for sales.\n"),
    );
    let p = plan(&desired, &live, &Policy::default());
    for (format, out) in [
        ("text", render::text(&p, false)),
        ("coloured text", strip_ansi(&render::text(&p, true))),
        ("markdown", render::markdown(&p)),
        ("drift text", render::drift_text(&p, false)),
        ("drift markdown", render::drift_markdown(&p)),
    ] {
        let say = out
            .lines()
            .filter(|l| l.contains("Welcome") && !l.contains("<b>menu</b>"))
            .collect::<Vec<_>>();
        assert_eq!(say.len(), 1, "{format}:\n{out}");
        // A Markdown table cell escapes the backslashes and brackets, which reads the same.
        let want = if format == "drift markdown" {
            r#"\\"Acme\\".\\n- Press \[-1-\]{+2+} for sales.\\n\[-\\u001b\[2J-\]"#
        } else {
            r#"\"Acme\".\n- Press [-1-]{+2+} for sales.\n[-\u001b[2J-]"#
        };
        assert!(say[0].contains(want), "{format}: {}", say[0]);
        assert!(!out.contains("\n- Press"), "{format}:\n{out}");
        assert!(!out.contains("\x1b[2J"), "{format}:\n{out}");
    }
}

/// The spec refuses names with control characters, but the live project may hold any name
/// (PCC's dashboard takes them), and a plan deletes such an object. Its address must stay one
/// line that reads back as that object: a line break would let the name forge a line of the
/// plan (`+ group.admins`), and a terminal escape would reach the terminal.
#[test]
fn a_live_name_with_control_characters_cannot_forge_plan_lines() {
    use spec::Address;
    use spec::model::Group;
    let mut live = Model::default();
    live.groups.insert(
        "old\n+   group.admins\x1b[2J\u{9b}".into(),
        Group::default(),
    );
    let p = plan(&Model::default(), &live, &Policy::default());
    let address = &p.steps[0].address;
    assert_eq!(
        address.to_string(),
        "group.old%0A+   group.admins%1B[2J%C2%9B"
    );
    assert_eq!(address.to_string().parse::<Address>().as_ref(), Ok(address));
    for (format, out) in [
        ("text", render::text(&p, false)),
        ("markdown", render::markdown(&p)),
        ("drift", render::drift_text(&p, false)),
        ("drift markdown", render::drift_markdown(&p)),
    ] {
        assert!(!out.contains("\n+   group.admins"), "{format}:\n{out}");
        assert!(!out.contains(['\x1b', '\u{9b}']), "{format}:\n{out}");
    }
}

/// The Markdown of `doc` that GitHub would read as Markdown: fenced blocks (the `diff` and
/// `mermaid` code) and code spans left out, since nothing inside them forms a link.
fn markdown_outside_code(doc: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in doc.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
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

/// A live name can hold Markdown (PCC's dashboard takes any name), and plans and drift reports
/// are posted where Markdown renders: a name must show as the text it is, never as a link, an
/// image or HTML in a pull-request comment.
#[test]
fn live_names_holding_markdown_render_as_text() {
    use planner::{FlowLimits, flow_report};
    use spec::model::{Group, Number, NumberRoute, Queue};
    const LINK: &str = "[click](https://evil.example)";
    const IMAGE: &str = "![logo](https://evil.example/a.png)";
    let mut desired = Model::default();
    desired.queues.insert("sales".into(), Queue::default());
    let number = |nickname: &str, route: NumberRoute| Number {
        nickname: Some(nickname.into()),
        route: Some(route),
        allow_outbound_calls: false,
        record_outbound_calls: false,
        all_groups_can_call_out: None,
    };
    desired.numbers.insert(
        "842400000001".into(),
        number("Hotline", NumberRoute::Queue("sales".into())),
    );
    let mut live = desired.clone();
    // The number now answers with a tree whose start node is named like a link, under a
    // nickname that is one; a group named like an image, and a number to delete.
    live.ivr.insert(
        "t".into(),
        IvrTree {
            start: LINK.into(),
            nodes: BTreeMap::from([(LINK.to_owned(), node("Hello", &[]))]),
        },
    );
    live.numbers.insert(
        "842400000001".into(),
        number(LINK, NumberRoute::Ivr("t".into())),
    );
    live.numbers.insert(
        "842400000002".into(),
        number(
            &format!("{IMAGE} <img src=x>"),
            NumberRoute::Queue("sales".into()),
        ),
    );
    live.groups.insert(IMAGE.into(), Group::default());
    let p = plan(&desired, &live, &Policy::default());
    assert!(p.refused(), "deleting a number trips a guard");
    let flows = render::flows_markdown(
        &flow_report(&desired, &live, &[], &FlowLimits::default()),
        MARKDOWN_LIMIT,
    );
    for (format, out) in [
        ("markdown", render::markdown(&p)),
        ("drift markdown", render::drift_markdown(&p)),
        ("flows markdown", flows),
    ] {
        assert!(
            out.contains("evil.example"),
            "{format} shows the name:\n{out}"
        );
        let markdown = markdown_outside_code(&out);
        assert!(!markdown.contains("<img"), "{format} has HTML:\n{out}");
        // Every bracket is escaped, so no link or image forms, but for GitHub's alert markers.
        let bare = markdown
            .replace("\\[", "")
            .replace("\\]", "")
            .replace("> [!WARNING]\n", "")
            .replace("> [!CAUTION]\n", "");
        assert!(!bare.contains(['[', ']']), "{format} has a link:\n{out}");
    }
}

#[test]
fn drift_json_of_a_rename_not_yet_made_has_the_name_on_both_sides() {
    // As in the plan's JSON: the `live` and `spec` views carry `name`, which `fields[]` lists.
    let c = fixture::case("moved");
    let p = plan(&c.desired, &c.live, &c.policy);
    let doc: serde_json::Value = serde_json::from_str(&render::drift_json(&p)).unwrap();
    let group = doc["resource_drift"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["address"] == "group.support-team")
        .unwrap();
    assert_eq!(group["previous_address"], "group.support");
    assert_eq!(
        group["fields"],
        serde_json::json!([{"field": "name", "live": "support", "spec": "support-team"}])
    );
    assert_eq!(
        (&group["live"]["name"], &group["spec"]["name"]),
        (
            &serde_json::json!("support"),
            &serde_json::json!("support-team")
        )
    );
}

/// A menu whose key 2 (hang up) goes: the hang-up box goes with it, while the queue that key 1
/// still reaches stays.
#[test]
fn mermaid_draws_an_ending_only_removed_keys_reach_as_removed() {
    let menu = |keys: &[(Key, KeyAction)]| IvrTree {
        start: "menu".into(),
        nodes: [("menu".to_owned(), node("Press 1.", keys))].into(),
    };
    let sales = (
        Key::D1,
        KeyAction::Queue {
            queue: "sales".into(),
        },
    );
    let before = menu(&[sales.clone(), (Key::D2, KeyAction::Hangup)]);
    let after = menu(&[sales]);
    let out = mermaid(
        "main",
        &after,
        Some(&tree_diff(Some(&before), Some(&after))),
    );
    // Endings by kind: the queue is e0, the hang-up e1.
    assert!(out.contains("  e1((\"hang up\")):::ending\n"), "{out}");
    assert!(out.contains("  class e1 removed\n"), "{out}");
    assert!(!out.contains("e0 removed"), "{out}");
}

#[test]
fn a_deleted_trees_entry_arrow_goes_with_its_start_node() {
    use planner::render::Chart;
    use planner::render::diagram::{Change, Diagram};
    let live = IvrTree {
        start: "bye".into(),
        nodes: [("bye".to_owned(), node("Bye.", &[]))].into(),
    };
    // As the report draws a tree the plan deletes: its live start, no nodes, all removed.
    let gone = IvrTree {
        start: "bye".into(),
        nodes: BTreeMap::new(),
    };
    let diff = tree_diff(Some(&live), None);
    let chart = Chart {
        name: "legacy",
        tree: &gone,
        diff: Some(&diff),
        entry: &[],
    };
    let d = Diagram::of(&chart, &BTreeMap::new());
    assert_eq!(d.items[1].change, Change::Removed);
    assert_eq!((d.edges[0].from, d.edges[0].to), (0, 1));
    assert_eq!(d.edges[0].change, Change::Removed);
    // A tree that stays keeps its entry arrow.
    let chart = Chart {
        tree: &live,
        diff: None,
        ..chart
    };
    assert_eq!(
        Diagram::of(&chart, &BTreeMap::new()).edges[0].change,
        Change::Same
    );
}

/// A node is drawn changed when any of its own fields changes, as the plan updates it: the
/// diagram asks the model's equality, never a list of fields that a new field would miss.
/// Each field is found through the node's serde form, so a field the model gains is changed
/// here without this test naming it.
#[test]
fn a_node_is_drawn_changed_when_any_of_its_own_fields_changes() {
    let tree = |menu: IvrNode| IvrTree {
        start: "menu".into(),
        nodes: BTreeMap::from([
            ("menu".to_owned(), menu),
            ("bye".to_owned(), node("Bye.", &[])),
        ]),
    };
    let model = |menu: IvrNode| {
        let mut m = Model::default();
        m.ivr.insert("main".into(), tree(menu));
        m
    };
    let before = node(
        "Hello.",
        &[(Key::D1, KeyAction::Goto { node: "bye".into() })],
    );
    let node_step = spec::Address::IvrNode {
        tree: "main".into(),
        node: "menu".into(),
    };

    // Every leaf of the node's fields but its keys, changed one at a time.
    fn leaves(value: &serde_json::Value, path: Vec<String>, out: &mut Vec<Vec<String>>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, v) in map {
                    if path.is_empty() && key == "keys" {
                        continue;
                    }
                    let mut p = path.clone();
                    p.push(key.clone());
                    leaves(v, p, out);
                }
            }
            _ => out.push(path),
        }
    }
    let json = serde_json::to_value(&before).unwrap();
    let mut paths = Vec::new();
    leaves(&json, Vec::new(), &mut paths);
    assert!(paths.len() >= 7, "{paths:?}");
    for path in paths {
        let mut changed = json.clone();
        let leaf = path.iter().fold(&mut changed, |v, k| &mut v[k.as_str()]);
        *leaf = match leaf.take() {
            serde_json::Value::Bool(b) => (!b).into(),
            serde_json::Value::Number(n) => (n.as_i64().unwrap() + 1).into(),
            serde_json::Value::String(s) => format!("{s}x").into(),
            other => panic!("{path:?}: a field of another shape: {other}"),
        };
        let after: IvrNode = serde_json::from_value(changed).unwrap();
        assert_ne!(after, before, "{path:?}");

        let diff = tree_diff(Some(&tree(before.clone())), Some(&tree(after.clone())));
        assert!(diff.changed.contains("menu"), "{path:?} changed: {diff:?}");
        assert!(
            diff.keys_changed.is_empty() && diff.keys_added.is_empty(),
            "{path:?}"
        );
        // The plan agrees: the node is updated.
        let p = plan(&model(after), &model(before.clone()), &Policy::default());
        assert!(
            p.steps.iter().any(|s| s.address == node_step),
            "{path:?}: no step for the node"
        );
    }
    // And unchanged fields draw nothing.
    assert!(tree_diff(Some(&tree(before.clone())), Some(&tree(before))).is_empty());
}

/// A plan whose only changes are the PCC wiring: one number unwired (its answer URL holds a
/// token), the project's event URL unset, and a managed number the account does not list.
fn wiring_only() -> Plan {
    use planner::{LiveUrls, LiveWiring};
    use spec::model::{Number, PCC_NUMBER_EVENT_URL, PCC_PROJECT_ANSWER_URL};
    use spec::sensitive::Sensitive;

    let mut desired = Model::default();
    for digits in ["842473082686", "842473082888"] {
        desired.numbers.insert(
            digits.into(),
            Number {
                nickname: None,
                route: None,
                allow_outbound_calls: false,
                record_outbound_calls: false,
                all_groups_can_call_out: None,
            },
        );
    }
    let mut plan = plan(&desired, &desired, &Policy::default());
    let live = LiveWiring {
        project_id: "24".into(),
        project: LiveUrls {
            answer_url: Some(Sensitive::new(PCC_PROJECT_ANSWER_URL)),
            event_url: None,
        },
        numbers: BTreeMap::from([(
            "842473082686".to_owned(),
            (
                "487".to_owned(),
                LiveUrls {
                    answer_url: Some(Sensitive::new(
                        "https://old.example.com/answer?access_token=t0k3n",
                    )),
                    event_url: Some(Sensitive::new(PCC_NUMBER_EVENT_URL)),
                },
            ),
        )]),
    };
    plan.wiring = Some(planner::plan_wiring(&desired, &live, &Policy::default()));
    plan
}

#[test]
fn the_wiring_shows_in_every_format_and_counts_as_a_change() {
    let plan = wiring_only();
    assert!(!plan.is_empty());
    assert!(plan.steps.is_empty());
    let all = format!(
        "--- text\n{}\n--- markdown\n{}\n--- json (wiring)\n{}\n--- drift\n{}\n--- drift markdown\n{}\n--- drift json (wiring)\n{}",
        render::text(&plan, false),
        render::markdown(&plan),
        serde_json::to_string_pretty(
            &serde_json::from_str::<serde_json::Value>(&render::json(&plan)).unwrap()["wiring"]
        )
        .unwrap(),
        render::drift_text(&plan, false),
        render::drift_markdown(&plan),
        serde_json::from_str::<serde_json::Value>(&render::drift_json(&plan)).unwrap()["drift"],
    );
    assert!(!all.contains("t0k3n"), "{all}");
    insta::assert_snapshot!(all);
}

#[test]
fn a_plan_whose_wiring_is_right_has_no_changes() {
    let mut plan = wiring_only();
    plan.wiring.as_mut().unwrap().rewires.clear();
    assert!(plan.is_empty());
    let text = render::text(&plan, false);
    assert!(
        text.starts_with("No changes. Live project matches the spec.\n"),
        "{text}"
    );
    // The number the account does not list is still named.
    assert!(
        text.contains("  ! number 842473082888: not one of project 24's numbers in the account"),
        "{text}"
    );
    assert_eq!(
        render::drift_text(&plan, false),
        "No drift. The live project matches the spec.\n"
    );
}
