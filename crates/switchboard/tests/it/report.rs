//! `switchboard report`: the page holds every tree, the routing matrix and the flow tests,
//! escapes hostile text, highlights a saved plan's changes, and loads in a real headless
//! browser without errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use spec::model::{Key, KeyAction};

use crate::{root, switchboard};

/// Loads a spec directory or file as the binary does (audio hashed with SHA-256).
fn load_spec(path: &Path) -> spec::Spec {
    let mut files = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                stack.push(e.unwrap().path());
            }
        } else if p.extension().is_some_and(|e| e == "yaml") {
            files.push(p);
        }
    }
    files.sort();
    let sources: Vec<spec::Source> = files
        .iter()
        .map(|f| spec::Source {
            path: f.display().to_string(),
            text: std::fs::read_to_string(f).unwrap(),
        })
        .collect();
    let base = if path.is_dir() {
        path
    } else {
        path.parent().unwrap()
    };
    let hash = |rel: &str| -> Result<String, String> {
        use sha2::Digest;
        let bytes = std::fs::read(base.join(rel)).map_err(|e| e.to_string())?;
        Ok(sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect())
    };
    let loaded = spec::load(&sources, &hash);
    loaded.spec.expect("the spec is valid")
}

/// A saved plan for the hotline against a live project where key 2 of `english` goes to
/// `sales-en`, `spanish` has no key 0, a node `old` still exists, and so does a tree
/// `legacy`.
fn hotline_plan(dir: &Path) -> PathBuf {
    let spec = load_spec(&root().join("examples/hotline"));
    let mut live = spec.model.clone();
    let tree = live.ivr.get_mut("main").unwrap();
    tree.nodes.get_mut("english").unwrap().keys.insert(
        Key::D2,
        KeyAction::Queue {
            queue: "sales-en".into(),
        },
    );
    tree.nodes.get_mut("spanish").unwrap().keys.remove(&Key::D0);
    let mut old = tree.nodes["spanish"].clone();
    old.keys.clear();
    old.keys.insert(Key::Timeout, KeyAction::Hangup);
    tree.nodes.insert("old".into(), old.clone());
    // A live tree the spec no longer has: the plan deletes it.
    live.ivr.insert(
        "legacy".into(),
        spec::model::IvrTree {
            start: "bye".into(),
            nodes: [("bye".to_owned(), old)].into(),
        },
    );
    let plan = planner::plan(&spec.model, &live, &spec.policy);
    assert!(!plan.is_empty());
    let path = dir.join("plan.json");
    std::fs::write(&path, planner::saved::to_json(&plan)).unwrap();
    path
}

fn report(dir: &Path, spec: &str, out: &Path, plan: Option<&Path>) -> String {
    let out_s = out.to_str().unwrap();
    let mut args = vec!["report", spec, "--out", out_s];
    if let Some(p) = plan {
        args.extend(["--plan", p.to_str().unwrap()]);
    }
    let output = switchboard(dir, &args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read_to_string(out).unwrap()
}

#[test]
fn the_page_has_every_tree_the_routing_and_the_flow_tests() {
    let tmp = tempfile::tempdir().unwrap();
    let html = report(
        &root(),
        "examples/midsize",
        &tmp.path().join("r.html"),
        None,
    );
    for tree in ["billing", "enterprise", "main", "outage"] {
        assert!(
            html.contains(&format!(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"ivr-tree\" data-tree=\"{tree}\""
            )),
            "tree {tree} missing"
        );
    }
    // Routing matrix: a number, its IVR, a queue, its groups and agents; a URL-picked queue.
    assert!(html.contains("<b>842873001000</b>"));
    assert!(html.contains("agents chosen by <code>get_list_agents_url</code> https://crm.mekongfiber.example/stringee/outage-agents"));
    // Flow tests: all 16 pass, each with its expected and actual end.
    assert!(
        html.contains("16 of 16 flow tests pass."),
        "flow tests summary"
    );
    assert_eq!(html.matches("<tr class=\"test-pass\">").count(), 16);
    // Self-contained: nothing is fetched.
    for needle in ["src=\"http", "href=\"http", "<link", "@import", "url(http"] {
        assert!(
            !html.contains(needle),
            "the page fetches something: {needle}"
        );
    }
}

#[test]
fn a_saved_plan_is_highlighted() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = hotline_plan(tmp.path());
    let html = report(
        &root(),
        "examples/hotline",
        &tmp.path().join("r.html"),
        Some(&plan),
    );
    assert!(html.contains("<section id=\"plan\">"));
    assert!(
        html.contains("<li class=\"update\">~ ivr_key.main/english/2"),
        "{html}"
    );
    assert!(html.contains("<li class=\"create\">+ ivr_key.main/spanish/0"));
    assert!(html.contains("<li class=\"delete\">- ivr_node.main/old"));
    // In the drawing: the removed node, the changed key, the added key.
    assert!(html.contains("<g class=\"node menu removed\" data-node=\"old\">"));
    assert!(html.contains("class=\"edge changed\""));
    assert!(html.contains("class=\"edge added\""));
    assert!(html.contains("<div class=\"tree has-changes\">"));
    // The deleted tree is drawn from its live version, every node removed.
    assert!(html.contains("data-tree=\"legacy\""));
    assert!(html.contains("<span class=\"badge removed\">deleted</span>"));
    assert!(html.contains("<g class=\"node menu removed\" data-node=\"bye\">"));
    assert!(html.contains("data-trees=\"2\""));
}

#[test]
fn a_file_that_is_not_a_saved_plan_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let bogus = tmp.path().join("plan.json");
    std::fs::write(&bogus, "{\"format_version\": \"9.0\"}").unwrap();
    let out = tmp.path().join("r.html");
    let output = switchboard(
        &root(),
        &[
            "report",
            "examples/hotline",
            "--out",
            out.to_str().unwrap(),
            "--plan",
            bogus.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("is not a saved plan"), "{err}");
    assert!(!out.exists());
}

/// A spec whose every free-text field tries to break out of the page.
const HOSTILE: &str = r#"version: 1
agents:
  alice: { name: "Alice</td><script>document.documentElement.setAttribute('data-pwned','agent')</script>" }
groups:
  g: { agents: [alice] }
queues:
  q:
    routing: [ { group: g, primary: true } ]
ivr:
  main:
    start: menu
    nodes:
      menu:
        say: "</text></svg><script>document.documentElement.setAttribute('data-pwned','prompt')</script><img src=x onerror=\"document.documentElement.setAttribute('data-pwned','img')\">"
        keys: { "1": { queue: q }, timeout: { hangup: true } }
numbers:
  "84111": { nickname: "<script>document.documentElement.setAttribute('data-pwned','nickname')</script>", ivr: main }
tests:
  - { name: "<script>document.documentElement.setAttribute('data-pwned','test')</script>", number: "84111", keys: "1", expect: { queue: q } }
"#;

fn hostile_report(dir: &Path) -> (PathBuf, String) {
    std::fs::write(dir.join("spec.yaml"), HOSTILE).unwrap();
    let out = dir.join("hostile.html");
    let html = report(dir, "spec.yaml", &out, None);
    (out, html)
}

#[test]
fn hostile_text_is_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, html) = hostile_report(tmp.path());
    // The page's own script is the only one.
    assert_eq!(html.matches("<script>").count(), 1, "{html}");
    assert!(!html.contains("<img"));
    assert!(html.contains("&lt;/text&gt;&lt;/svg&gt;&lt;script&gt;"));
    assert!(html.contains("&lt;script&gt;document.documentElement.setAttribute(&#39;data-pwned&#39;,&#39;nickname&#39;)"));
}

/// The page's DOM after load, as headless Chromium sees it.
fn dump_dom(browser: &Path, page: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", browser.display()));
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = match rx.recv_timeout(Duration::from_secs(90)) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").arg(pid.to_string()).status();
            panic!("chromium did not finish within 90 s on {}", page.display());
        }
    };
    let dom = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success() && !dom.is_empty(),
        "chromium failed on {}: {}\n{}",
        page.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    dom
}

/// The attributes of the `<html>` element in a DOM dump.
fn html_tag(dom: &str) -> &str {
    let start = dom.find("<html").expect("an <html> element");
    &dom[start..start + dom[start..].find('>').unwrap()]
}

/// The reports of both examples, one with a saved plan, and the hostile one load in headless
/// Chromium without a script error and draw every tree; the hostile text runs nothing.
///
/// The build script (`crates/switchboard/build.rs`) looks for Chromium (`$CHROMIUM`, else
/// `chromium` or `chromium-browser` on the PATH); without it this test is reported as ignored,
/// with the reason. `scripts/test`, the README's test command, installs Debian's `chromium`.
#[test]
#[cfg_attr(
    no_chromium,
    ignore = "chromium not found when the tests were built ($CHROMIUM unset, no chromium or \
              chromium-browser on PATH): run scripts/test, which installs it"
)]
#[allow(
    clippy::print_stderr,
    reason = "the browser test's timing must show in the test log"
)]
fn reports_load_in_a_headless_browser() {
    let browser = PathBuf::from(env!("SWITCHBOARD_TEST_CHROMIUM"));
    let tmp = tempfile::tempdir().unwrap();
    let plan = hotline_plan(tmp.path());
    let mut pages = vec![
        (
            report(
                &root(),
                "examples/hotline",
                &tmp.path().join("hotline.html"),
                Some(&plan),
            ),
            tmp.path().join("hotline.html"),
            2,
        ),
        (
            report(
                &root(),
                "examples/midsize",
                &tmp.path().join("midsize.html"),
                None,
            ),
            tmp.path().join("midsize.html"),
            4,
        ),
    ];
    let (hostile, html) = hostile_report(tmp.path());
    pages.push((html, hostile, 1));
    let started = Instant::now();
    for (html, page, trees) in &pages {
        assert!(html.contains(&format!("data-trees=\"{trees}\"")));
        let dom = dump_dom(&browser, page);
        let tag = html_tag(&dom);
        assert!(
            tag.contains("data-report-ready=\"ok\""),
            "{}: the page's script did not finish cleanly: {tag}",
            page.display()
        );
        assert!(
            !tag.contains("data-errors"),
            "{}: script errors: {tag}",
            page.display()
        );
        assert!(
            tag.contains(&format!("data-trees-drawn=\"{trees}\"")),
            "{}: not every tree was drawn: {tag}",
            page.display()
        );
        assert!(
            !tag.contains("data-pwned"),
            "{}: hostile text ran: {tag}",
            page.display()
        );
    }
    eprintln!(
        "browser test: {} pages in {:.1} s",
        pages.len(),
        started.elapsed().as_secs_f64()
    );
}
