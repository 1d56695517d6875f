//! Hostile text, end to end: a live project whose names, nicknames and prompts were made in
//! the dashboard to attack whoever reads a plan (terminal escapes faking a green "valid",
//! carriage returns and padded names that start GitHub Actions workflow commands, bidi
//! overrides, mentions, issue references, emphasis, Mermaid directives, HTML), and a spec
//! whose prompts, nicknames and test names do the same. Every command's output goes through
//! the escaping of its sink: `Cmd::run` checks every output here (as it does in every other
//! test) for raw hazards and workflow-command lines, and these tests check Markdown, JSON,
//! Mermaid, DOT, SVG and HTML for what is live in each.

use e2e::{Pcc, Workdir};
use serde_json::{Value, json};
use spec::text::HOSTILE_SAMPLES;

/// A live project where every hostile text `h` is a group (with a member), an agent's name,
/// a queue, an IVR tree whose node `h` says `h`, and a number's nickname.
fn hostile_live(pcc: &Pcc) {
    for (i, h) in HOSTILE_SAMPLES.iter().enumerate() {
        let group = pcc.group(h);
        let agent = pcc.agent(&format!("agent-{i}"), h);
        pcc.member(&group, &agent);
        let queue = pcc.queue(&format!("{h} q"), json!({}));
        pcc.routing(&queue, &group, true);
        let tree = pcc.tree(h);
        let node = pcc.say_node(&tree, h, h, json!({}));
        pcc.key_press(&node, "1", 2, json!({ "queue_id": queue }));
        pcc.number(
            &format!("8424000000{i:02}"),
            json!({ "nickname": h, "enable_ivr": true, "ivr_menu": tree }),
        );
    }
}

/// The Markdown of `doc` that GitHub reads as Markdown: outside fenced blocks and code spans.
fn markdown_outside_code(doc: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<usize> = None;
    for line in doc.lines() {
        let ticks = line.chars().take_while(|&c| c == '`').count();
        if ticks >= 3 {
            match fence {
                Some(open) if ticks >= open && line.trim().chars().all(|c| c == '`') => {
                    fence = None
                }
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

/// Panics if `doc` (a pull-request comment or a drift issue) holds a live mention, issue
/// reference, emphasis of a hostile name, HTML from one, or a Mermaid directive.
#[track_caller]
fn assert_markdown_inert(what: &str, doc: &str) {
    let md = markdown_outside_code(doc);
    for (i, _) in md.match_indices('@') {
        assert!(
            md[i + 1..].starts_with("&#8203;"),
            "{what}: a live mention at {:?}\n{doc}",
            &md[i..(i + 30).min(md.len())]
        );
    }
    for (i, _) in md.match_indices('#') {
        if md[..i].ends_with('&') {
            continue;
        }
        assert!(
            !md[i + 1..].starts_with(|c: char| c.is_ascii_digit()),
            "{what}: a live reference at {:?}\n{doc}",
            &md[i..(i + 20).min(md.len())]
        );
    }
    let prose: String = md
        .lines()
        .filter(|l| !l.starts_with("<details"))
        .collect::<Vec<_>>()
        .join("\n");
    for needle in ["**bold**", "~~gone~~", " _it_"] {
        assert!(!prose.contains(needle), "{what} holds {needle}:\n{doc}");
    }
    // HTML is text in code blocks; outside them, no tag of a name may form.
    for needle in ["<script", "</script", "<x/>"] {
        assert!(!md.contains(needle), "{what} holds {needle}:\n{doc}");
    }
    // In the Mermaid blocks, no `%%` can start a directive or a comment.
    let mut mermaid = false;
    for line in doc.lines() {
        if line.starts_with("```mermaid") {
            mermaid = true;
        } else if line.starts_with("```") {
            mermaid = false;
        } else if mermaid {
            assert!(!line.contains("%%"), "{what}: {line}");
        }
    }
}

#[test]
fn a_hostile_live_project_reaches_no_terminal_log_comment_or_file_raw() {
    let pcc = Pcc::start();
    hostile_live(&pcc);
    let work = Workdir::new();
    work.copy_example("hotline");
    // `run` checks every output for raw hazards and workflow-command lines.
    let text = work.switchboard(["plan", "hotline"]).against(&pcc).run();
    text.assert_code(0);
    assert!(text.stdout.contains("group.%1B[32mvalid%1B[0m"), "{text}");
    assert!(
        text.stdout
            .contains("# ivr_tree.admin%E2%80%AEtxt.exe will be destroyed"),
        "{text}"
    );
    let markdown = work
        .switchboard(["plan", "hotline", "--format", "markdown"])
        .against(&pcc)
        .run();
    assert_markdown_inert("plan markdown", &markdown.stdout);
    let json = work
        .switchboard(["plan", "hotline", "--format", "json", "--out", "plan.json"])
        .against(&pcc)
        .run();
    let doc = json.json();
    let names: Vec<&str> = doc["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "agent")
        .filter_map(|c| c["change"]["before"]["name"].as_str())
        .collect();
    // JSON escapes mean the characters: a consumer reads the names as they are.
    assert!(names.contains(&"admin\u{202E}txt.exe"), "{names:?}");
    let saved = work.read("plan.json");
    assert!(
        !saved.contains(['\u{202E}', '\u{FFFE}', '\u{200B}', '\x1b']),
        "the saved plan holds a raw hazard"
    );
    serde_json::from_str::<Value>(&saved).unwrap();

    for format in ["text", "json", "markdown"] {
        let out = work
            .switchboard(["drift", "hotline", "--format", format])
            .against(&pcc)
            .run();
        out.assert_code(2);
        if format == "markdown" {
            assert_markdown_inert("drift markdown", &out.stdout);
        }
        if format == "json" {
            out.json();
        }
    }

    // Applying it deletes every hostile object: the step lines name them, escaped.
    let applied = work
        .switchboard(["apply", "plan.json", "--force"])
        .against(&pcc)
        .run();
    applied.assert_code(0);
    assert!(
        applied
            .stdout
            .contains("- group.admin%E2%80%AEtxt.exe destroyed"),
        "{applied}"
    );
}

#[test]
fn apply_events_and_export_warnings_of_hostile_names_are_escaped() {
    let pcc = Pcc::start();
    hostile_live(&pcc);
    let work = Workdir::new();
    work.copy_example("hotline");
    let events = work
        .switchboard(["apply", "hotline", "--json", "--auto-approve", "--force"])
        .against(&pcc)
        .run();
    events.assert_code(0);
    for line in events.stdout.lines() {
        let event: Value = serde_json::from_str(line).unwrap();
        assert!(event["@message"].is_string(), "{line}");
    }

    let pcc = Pcc::start();
    hostile_live(&pcc);
    let out = work
        .switchboard(["export", "--out", "exported"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    // The names a spec refuses are set aside, and said so, escaped.
    assert!(
        out.stderr
            .contains("warning: group.admin%E2%80%AEtxt.exe is named \"admin\\u{202e}txt.exe\""),
        "{out}"
    );
    for file in ["exported/ignore.yaml", "exported/agents.yaml"] {
        let text = work.read(file);
        assert!(
            spec::text::terminal_problem(&text).is_none(),
            "{file}: {:?}",
            spec::text::terminal_problem(&text)
        );
    }
}

/// A spec's values are hostile too: prompts, nicknames and flow-test names.
const HOSTILE_SPEC: &str = r#"
version: 1
agents:
  alice: { name: "\e[32mvalid\e[0m \u202Eevil" }
groups:
  sales: { agents: [alice] }
queues:
  sales: { routing: [ { group: sales, primary: true } ] }
ivr:
  main:
    start: menu
    nodes:
      menu:
        say: "Welcome \e[32mvalid\e[0m ok\r::warning::carriage admin\u202Etxt.exe @octocat #1 **bold** _it_ ~~gone~~ %%{init: {\"theme\":\"dark\"}}%% </script><x/> ]]> non\uFFFEchar zero\u200Bwidth                                                                                 ::warning::wrapped"
        keys:
          "1": { queue: sales }
numbers:
  "842400000001": { nickname: "@octocat #1 \e[32mvalid", ivr: main }
tests:
  - name: "\e[32mvalid\e[0m ok\r::warning::test @octocat"
    number: "842400000001"
    keys: "1"
    expect: { queue: sales }
"#;

/// The same spec, with a flow test that fails under a padded name: its diagnostic wraps.
const FAILING_TEST: &str = r#"
  - name: "padded                                                                                              ::warning::wrapped \e[32mvalid\r::error::x"
    number: "842400000001"
    keys: "1"
    expect: { hangup: true }
"#;

#[test]
fn a_hostile_spec_reaches_no_terminal_or_file_raw() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.write("cc/spec.yaml", HOSTILE_SPEC);
    let valid = work.switchboard(["validate", "cc"]).run();
    valid.assert_code(0);
    assert!(valid.stdout.contains("is valid"), "{valid}");

    work.write("bad/spec.yaml", &format!("{HOSTILE_SPEC}{FAILING_TEST}"));
    for format in ["human", "json"] {
        let out = work
            .switchboard(["validate", "bad", "--format", format])
            .run();
        out.assert_code(1);
        if format == "json" {
            out.json();
        } else {
            assert!(
                out.stdout.contains("\\::warning::wrapped")
                    || out.stdout.contains("::warning::wrapped"),
                "{out}"
            );
        }
    }

    for format in ["text", "json"] {
        let out = work
            .switchboard([
                "simulate",
                "cc",
                "--number",
                "842400000001",
                "--keys",
                "1",
                "--format",
                format,
            ])
            .run();
        out.assert_code(0);
    }
    for format in ["mermaid", "dot", "svg"] {
        let out = work.switchboard(["graph", "cc", "--format", format]).run();
        out.assert_code(0);
        assert!(!out.stdout.contains("%%{"), "{format}: {out}");
        assert!(!out.stdout.contains("</script"), "{format}: {out}");
        assert!(!out.stdout.contains('\u{FFFE}'), "{format}: {out}");
    }

    let out = work
        .switchboard(["report", "cc", "--out", "report.html"])
        .run();
    out.assert_code(0);
    let html = work.read("report.html");
    // The page's one script is its own: no name closes it or opens another.
    assert_eq!(html.matches("<script").count(), 1, "one script");
    assert_eq!(html.matches("</script>").count(), 1);
    assert!(!html.contains("<x/>") && !html.contains('\u{FFFE}') && !html.contains('\u{202E}'));
    assert!(!html.contains('\x1b'));

    for format in ["text", "markdown", "json"] {
        let out = work
            .switchboard(["plan", "cc", "--format", format])
            .against(&pcc)
            .run();
        out.assert_code(0);
        if format == "markdown" {
            assert_markdown_inert("plan markdown of a hostile spec", &out.stdout);
        }
    }
    let out = work
        .switchboard(["apply", "cc", "--auto-approve"])
        .against(&pcc)
        .run();
    out.assert_code(0);
}

/// A name padded so that miette wraps its help line right before `::warning::`: the line
/// would start a GitHub Actions workflow command, and shows as `\::warning::` instead.
#[test]
fn a_padded_name_never_starts_a_wrapped_line_with_a_workflow_command() {
    let work = Workdir::new();
    let name = format!("padded{}::warning::wrapped", " ".repeat(90));
    work.write(
        "cc/spec.yaml",
        &format!(
            "version: 1\nagents:\n  alice: {{ name: Alice }}\ngroups:\n  \"{name}\": {{ agents: [alice] }}\n\
             queues:\n  sales: {{ routing: [ {{ group: \"{name}x\", primary: true }} ] }}\n"
        ),
    );
    // `run` fails on any line that starts a workflow command.
    let out = work.switchboard(["validate", "cc"]).run();
    out.assert_code(1);
    assert!(
        out.stdout
            .lines()
            .any(|l| l.trim_start().starts_with("\\::warning::wrapped")),
        "the help line wraps before the command, neutralised: {out}"
    );
}

/// Diagnostics draw lines of the spec file: raw hazards in the file (an escape sequence and
/// a carriage return that the YAML parser stops at, a bidi override in a name) and a
/// credential in a URL show escaped or redacted in the snippet, with the caret still under
/// what the diagnostic points at.
#[test]
fn snippets_of_a_hostile_file_show_it_escaped() {
    let work = Workdir::new();
    work.write(
        "raw/spec.yaml",
        "version: 1\n# \x1b[32mvalid\x1b[0m\r::warning::comment https://u:hunter2@x.example/?token=SECRETVALUE\n",
    );
    work.write(
        "bidi/spec.yaml",
        "version: 1\n# see https://u:hunter2@x.example/?token=SECRETVALUE\nagents:\n  alice: { name: Alice }\n\
         groups:\n  \"sales\u{202E}en\": { agents: [alice] }\n",
    );
    for spec in ["raw", "bidi"] {
        for format in ["human", "json"] {
            let out = work
                .switchboard(["validate", spec, "--format", format])
                .forbid("hunter2")
                .forbid("SECRETVALUE")
                .run();
            out.assert_code(1);
            if format == "json" {
                out.json();
            } else {
                insta::assert_snapshot!(format!("snippet_{spec}"), out.stdout);
            }
        }
    }
}
