//! `switchboard graph`: Mermaid and DOT snapshots of the examples; the SVG is well-formed XML
//! with every node, key and ending; hostile text is escaped in every format.

use std::path::Path;

use crate::{root, stdout, switchboard};

fn graph(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["graph"];
    all.extend_from_slice(args);
    let output = switchboard(dir, &all);
    let text = stdout(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    text
}

#[test]
fn mermaid_and_dot_of_the_examples() {
    for example in ["hotline", "midsize"] {
        let path = format!("examples/{example}");
        insta::assert_snapshot!(
            format!("{example}_mermaid"),
            graph(&root(), &[&path, "--format", "mermaid"])
        );
        insta::assert_snapshot!(
            format!("{example}_dot"),
            graph(&root(), &[&path, "--format", "dot"])
        );
    }
}

/// The nodes of every tree in a spec, as (tree, node) names.
fn spec_nodes(example: &str) -> Vec<(String, String)> {
    let (loaded, _) = load(example);
    let model = loaded.spec.expect("the example is valid").model;
    model
        .ivr
        .iter()
        .flat_map(|(t, tree)| tree.nodes.keys().map(move |n| (t.clone(), n.clone())))
        .collect()
}

fn load(example: &str) -> (spec::Loaded, std::path::PathBuf) {
    let dir = root().join(example);
    let mut sources = Vec::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "yaml") {
                sources.push(spec::Source {
                    path: p.display().to_string(),
                    text: std::fs::read_to_string(&p).unwrap(),
                });
            }
        }
    }
    sources.sort_by(|a, b| a.path.cmp(&b.path));
    let hash = |_: &str| Ok("0".repeat(64));
    (spec::load(&sources, &hash), dir)
}

#[test]
fn svg_is_well_formed_and_draws_every_node_and_key() {
    for example in ["examples/hotline", "examples/midsize"] {
        let svg = graph(&root(), &[example, "--format", "svg"]);
        let doc = roxmltree::Document::parse(&svg)
            .unwrap_or_else(|e| panic!("{example}: the SVG is not XML: {e}"));
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        let drawn: Vec<(String, String)> = doc
            .descendants()
            .filter(|n| {
                n.attribute("class")
                    .is_some_and(|c| c.starts_with("node menu"))
            })
            .map(|n| {
                // Each tree is a nested <svg> whose title names the tree.
                let tree = n
                    .ancestors()
                    .find(|a| a.tag_name().name() == "svg" && a.parent_element().is_some())
                    .and_then(|s| s.children().find(|c| c.tag_name().name() == "g"))
                    .and_then(|g| g.children().find(|c| c.tag_name().name() == "title"))
                    .and_then(|t| t.text())
                    .unwrap()
                    .trim_start_matches("IVR tree ")
                    .to_owned();
                (tree, n.attribute("data-node").unwrap().to_owned())
            })
            .collect();
        let mut want = spec_nodes(example);
        let mut got = drawn.clone();
        want.sort();
        got.sort();
        assert_eq!(
            got, want,
            "{example}: drawn menus differ from the spec's nodes"
        );
        // Every key is an arrow with a label, and every node's box has a size.
        let (loaded, _) = load(example);
        let model = loaded.spec.unwrap().model;
        let keys: usize = model
            .ivr
            .values()
            .flat_map(|t| t.nodes.values())
            .map(|n| n.keys.len())
            .sum();
        let labels = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("key"))
            .count();
        assert_eq!(labels, keys, "{example}: one label per key");
        for rect in doc.descendants().filter(|n| n.tag_name().name() == "rect") {
            let w: f64 = rect.attribute("width").unwrap().parse().unwrap();
            assert!(w > 0.0);
        }
    }
}

#[test]
fn svg_boxes_do_not_overlap() {
    let svg = graph(
        &root(),
        &["examples/midsize", "--format", "svg", "--tree", "main"],
    );
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let boxes: Vec<(f64, f64, f64, f64)> = doc
        .descendants()
        .filter(|n| n.attribute("class").is_some_and(|c| c.starts_with("node")))
        .filter_map(|g| g.children().find(|c| c.tag_name().name() == "rect"))
        .map(|r| {
            let f = |a: &str| r.attribute(a).unwrap().parse::<f64>().unwrap();
            (f("x"), f("y"), f("width"), f("height"))
        })
        .collect();
    assert!(boxes.len() > 10);
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            let apart =
                a.0 + a.2 <= b.0 || b.0 + b.2 <= a.0 || a.1 + a.3 <= b.1 || b.1 + b.3 <= a.1;
            assert!(apart, "boxes overlap: {a:?} {b:?}");
        }
    }
}

const HOSTILE: &str = r#"version: 1
agents:
  alice: { name: "Alice <b>" }
groups:
  g: { agents: [alice] }
queues:
  q: { routing: [ { group: g, primary: true } ] }
ivr:
  main:
    start: menu
    nodes:
      menu:
        say: "</text><script>alert(1)</script> \"quoted\" & 'single' \\N {braces} | pipe `tick` #hash \uFFFE\uFFFF\u0007"
        keys: { "1": { queue: q }, timeout: { hangup: true } }
numbers:
  "84111": { nickname: "<img src=x onerror=alert(1)>", ivr: main }
"#;

#[test]
fn hostile_text_is_escaped_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("spec.yaml"), HOSTILE).unwrap();
    let svg = graph(dir.path(), &["spec.yaml", "--format", "svg"]);
    let doc = roxmltree::Document::parse(&svg).expect("escaped SVG is XML");
    assert!(doc.descendants().all(|n| n.tag_name().name() != "script"));
    assert!(svg.contains("&lt;/text&gt;&lt;script&gt;"), "{svg}");
    let text: String = doc.descendants().filter_map(|n| n.text()).collect();
    assert!(
        text.contains("</text><script>alert(1)</script>"),
        "the prompt reads as written"
    );

    let dot = graph(dir.path(), &["spec.yaml", "--format", "dot"]);
    assert!(dot.contains(r#"\"quoted\" & 'single' \\N"#), "{dot}");
    for line in dot.lines().filter(|l| l.contains("label=")) {
        // Every label's quotes are balanced once escaped quotes are removed.
        let bare = line.replace("\\\\", "").replace("\\\"", "");
        assert_eq!(bare.matches('"').count() % 2, 0, "{line}");
    }

    let mermaid = graph(dir.path(), &["spec.yaml", "--format", "mermaid"]);
    assert!(!mermaid.contains("<script>"), "{mermaid}");
    assert!(mermaid.contains("#lt;/text#gt;#lt;script#gt;"), "{mermaid}");
}

#[test]
fn an_unknown_tree_is_an_error_that_lists_the_trees() {
    let output = switchboard(&root(), &["graph", "examples/midsize", "--tree", "mian"]);
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains(
            "no IVR tree `mian`; the spec's trees are `billing`, `enterprise`, `main`, `outage`"
        ),
        "{err}"
    );
}

#[test]
fn several_trees_are_one_mermaid_diagram() {
    let doc = graph(&root(), &["examples/midsize", "--format", "mermaid"]);
    // Mermaid draws one diagram per code block: a second `flowchart` header breaks it.
    assert!(doc.starts_with("flowchart TD\n"), "{doc}");
    assert_eq!(doc.matches("flowchart").count(), 1, "{doc}");
    let subgraphs: Vec<&str> = doc
        .lines()
        .filter(|l| l.trim_start().starts_with("subgraph "))
        .collect();
    assert_eq!(
        subgraphs,
        [
            "  subgraph t0[\"ivr billing\"]",
            "  subgraph t1[\"ivr enterprise\"]",
            "  subgraph t2[\"ivr main\"]",
            "  subgraph t3[\"ivr outage\"]",
        ]
    );
    assert_eq!(doc.lines().filter(|l| l.trim() == "end").count(), 4);
    // Every box has an id of its own, across trees.
    let mut ids = std::collections::BTreeSet::new();
    for line in doc.lines().map(str::trim) {
        let id: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let is_box = !line.contains("-->")
            && !line.contains("-.->")
            && ![
                "subgraph",
                "end",
                "class",
                "classDef",
                "linkStyle",
                "flowchart",
            ]
            .contains(&id.as_str());
        if is_box {
            assert!(ids.insert(id.clone()), "`{id}` is defined twice:\n{doc}");
        }
    }
    assert!(ids.len() > 20, "{ids:?}");
    // The entry box names the numbers routed to the tree, as the DOT drawing does.
    assert!(
        doc.contains("t2_entry([\"<b>ivr main</b><br/>842873001000 (Hotline)\"]):::entry"),
        "{doc}"
    );
}

#[test]
fn one_tree_only_with_tree() {
    let dot = graph(
        &root(),
        &["examples/midsize", "--format", "dot", "--tree", "billing"],
    );
    assert_eq!(dot.matches("digraph").count(), 1);
    assert!(dot.starts_with("digraph \"ivr billing\""));
}
