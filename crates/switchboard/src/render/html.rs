//! The `report` page: one self-contained HTML file (inline CSS, inline SVG, one small inline
//! script; nothing fetched) with every IVR tree drawn, the number → IVR/queue → groups →
//! agents routing matrix, the flow-test results, and, given a saved plan, its changes.
//!
//! **Invariant:** every piece of user text (names, prompts, URLs, nicknames) goes through
//! [`escape`] (or the SVG renderer's own escaping) before it reaches the page.

use std::collections::BTreeSet;
use std::fmt::Write;

use planner::render::tree_diff;
use planner::{ChangeAction, Plan};
use spec::flow::{End, walk};
use spec::model::{IvrTree, KeyAction, NumberRoute};
use spec::{Model, Spec};

use crate::callflow::{self, Ringing};
use planner::render::diagram::Change;

use crate::render::{diagram, svg};

/// What the page shows.
#[derive(Debug)]
pub struct Page<'a> {
    /// The spec, as loaded.
    pub spec: &'a Spec,
    /// Where it was read from, for the title.
    pub source: &'a str,
    /// A saved plan whose changes to highlight.
    pub plan: Option<&'a Plan>,
}

const CSS: &str = r#"
:root { color-scheme: light; --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#ffffff; --soft:#f6f8fa;
  --add:#1a7f37; --add-bg:#dafbe1; --chg:#9a6700; --chg-bg:#fff8c5; --del:#cf222e; --del-bg:#ffebe9; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 20px 32px; border-bottom: 1px solid var(--line); background: var(--soft); }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: var(--muted); }
nav { padding: 8px 32px; border-bottom: 1px solid var(--line); position: sticky; top: 0; background: var(--bg); z-index: 1; }
nav a { margin-right: 16px; color: #0969da; text-decoration: none; }
main { padding: 8px 32px 48px; }
section { margin-top: 28px; }
h2 { font-size: 18px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 20px 0 8px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { border: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td code { white-space: nowrap; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--soft); padding: 1px 4px; border-radius: 4px; }
.muted { color: var(--muted); }
.pass { color: var(--add); font-weight: 600; }
.fail { color: var(--del); font-weight: 600; }
.tree { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; padding: 8px; background: #fff; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; font-weight: 600; }
.badge.added, li.create { color: var(--add); } .badge.added { background: var(--add-bg); }
.badge.changed, li.update, li.replace { color: var(--chg); } .badge.changed { background: var(--chg-bg); }
.badge.removed, li.delete { color: var(--del); } .badge.removed { background: var(--del-bg); }
.callout { border-left: 4px solid var(--chg); background: var(--chg-bg); padding: 8px 12px; border-radius: 4px; }
.callout.danger { border-color: var(--del); background: var(--del-bg); }
ul.changes { list-style: none; padding-left: 0; font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: var(--soft); padding: 12px; border-radius: 6px; overflow-x: auto; font-size: 12px; }
.legend span { margin-right: 12px; }
"#;

/// Records script errors and, once the page has loaded, marks on `<html>` how many trees
/// were drawn with a size: a browser test reads both from the DOM.
const SCRIPT: &str = r#"
(function () {
  var root = document.documentElement;
  var errors = [];
  window.addEventListener('error', function (e) {
    errors.push(String(e.message || e.type));
    root.setAttribute('data-errors', errors.join(' | '));
  }, true);
  window.addEventListener('load', function () {
    var drawn = 0;
    document.querySelectorAll('svg.ivr-tree').forEach(function (svg) {
      var box = svg.getBBox();
      if (box.width > 0 && box.height > 0) { drawn += 1; }
    });
    root.setAttribute('data-trees-drawn', String(drawn));
    root.setAttribute('data-report-ready', errors.length === 0 ? 'ok' : 'errors');
  });
})();
"#;

/// The whole page.
pub fn page(p: &Page<'_>) -> String {
    let model = &p.spec.model;
    let mut out = String::new();
    // Trees drawn: the spec's, and those the plan deletes.
    let drawn = model.ivr.len()
        + p.plan.map_or(0, |plan| {
            plan.trees
                .iter()
                .filter(|(name, c)| c.before.is_some() && !model.ivr.contains_key(*name))
                .count()
        });
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\" data-trees=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
         <title>switchboard report: {}</title>\n<style>{CSS}</style>\n<script>{SCRIPT}</script>\n</head>\n<body>\n",
        drawn,
        escape(p.source)
    );
    let nodes: usize = model.ivr.values().map(|t| t.nodes.len()).sum();
    let _ = writeln!(
        out,
        "<header><h1>switchboard report</h1><p><code>{}</code>: {} numbers, {} IVR trees ({} nodes), \
         {} queues, {} groups, {} agents; {} flow tests{}</p></header>",
        escape(p.source),
        model.numbers.len(),
        model.ivr.len(),
        nodes,
        model.queues.len(),
        model.groups.len(),
        model.agents.len(),
        p.spec.tests.len(),
        if p.plan.is_some() {
            "; with a saved plan"
        } else {
            ""
        }
    );
    out.push_str("<nav>");
    if p.plan.is_some() {
        out.push_str("<a href=\"#plan\">Plan</a>");
    }
    out.push_str(
        "<a href=\"#routing\">Routing</a><a href=\"#trees\">IVR trees</a><a href=\"#tests\">Flow tests</a></nav>\n<main>\n",
    );
    if let Some(plan) = p.plan {
        plan_section(&mut out, model, plan);
    }
    routing_section(&mut out, model);
    trees_section(&mut out, model, p.plan);
    tests_section(&mut out, p.spec);
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn plan_section(out: &mut String, model: &Model, plan: &Plan) {
    out.push_str("<section id=\"plan\"><h2>Plan</h2>\n");
    let s = plan.summary();
    if plan.is_empty() {
        out.push_str(
            "<p><b>No changes.</b> The live project matched the spec when the plan was made.</p>\n",
        );
    } else {
        let _ = writeln!(
            out,
            "<p><b>Plan: {} to add, {} to change, {} to destroy.</b></p>",
            s.add, s.change, s.destroy
        );
    }
    if plan.refused() {
        out.push_str("<div class=\"callout danger\"><b><code>apply</code> will refuse this plan without <code>--force</code>:</b><ul>");
        for v in &plan.safety.violations {
            let _ = write!(out, "<li>{}</li>", escape(&v.to_string()));
        }
        out.push_str("</ul></div>\n");
    }
    // The plan was made from some version of the spec; say so when its trees are not this
    // spec's, so that nobody reviews a drawing of the wrong change.
    let stale: Vec<&String> = plan
        .trees
        .iter()
        .filter(|(name, change)| change.after.as_ref() != model.ivr.get(*name))
        .map(|(name, _)| name)
        .collect();
    if !stale.is_empty() {
        let names: Vec<String> = stale
            .iter()
            .map(|n| format!("<code>{}</code>", escape(n)))
            .collect();
        let _ = writeln!(
            out,
            "<div class=\"callout\">The plan was made from another version of the spec: IVR trees {} differ. The drawings below show the plan's changes on this spec's trees.</div>",
            names.join(", ")
        );
    }
    if !plan.is_empty() {
        out.push_str("<ul class=\"changes\">\n");
        for c in plan.changes() {
            let class = match c.action {
                ChangeAction::Create => "create",
                ChangeAction::Update => "update",
                ChangeAction::Replace => "replace",
                ChangeAction::Delete => "delete",
            };
            let fields = if c.action == ChangeAction::Update && !c.changed_fields.is_empty() {
                format!(
                    " <span class=\"muted\">({})</span>",
                    escape(&c.changed_fields.join(", "))
                )
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "<li class=\"{class}\">{} {}{fields}</li>",
                escape(c.action.symbol()),
                escape(&c.address.to_string())
            );
        }
        out.push_str("</ul>\n<details><summary>The whole plan</summary><pre>");
        out.push_str(&escape(&planner::render::text(plan, false)));
        out.push_str("</pre></details>\n");
    }
    out.push_str("</section>\n");
}

fn routing_section(out: &mut String, model: &Model) {
    out.push_str("<section id=\"routing\"><h2>Routing</h2>\n<p class=\"muted\">Every number, where it sends calls, the queues a caller can reach from there, and who those queues ring.</p>\n");
    out.push_str("<table><thead><tr><th>Number</th><th>Entry</th><th>Queue</th><th>Primary groups</th><th>Overflow groups</th></tr></thead><tbody>\n");
    for (digits, number) in &model.numbers {
        let queues: Vec<String> = match &number.route {
            Some(NumberRoute::Queue(q)) => vec![q.clone()],
            Some(NumberRoute::Ivr(tree)) => model
                .ivr
                .get(tree)
                .map(reachable_queues)
                .unwrap_or_default()
                .into_iter()
                .collect(),
            None => Vec::new(),
        };
        let number_cell = match &number.nickname {
            Some(n) => format!(
                "<b>{}</b><br><span class=\"muted\">{}</span>",
                escape(digits),
                escape(n)
            ),
            None => format!("<b>{}</b>", escape(digits)),
        };
        let entry = rich(&callflow::route(number.route.as_ref()));
        let span = queues.len().max(1);
        let _ = write!(
            out,
            "<tr><td rowspan=\"{span}\">{number_cell}</td><td rowspan=\"{span}\">{entry}</td>"
        );
        if queues.is_empty() {
            out.push_str("<td colspan=\"3\" class=\"muted\">no queue</td></tr>\n");
        }
        for (i, q) in queues.iter().enumerate() {
            if i > 0 {
                out.push_str("<tr>");
            }
            let _ = write!(out, "<td><code>{}</code></td>", escape(q));
            match model
                .queues
                .get(q)
                .map(|queue| callflow::ringing(model, queue))
            {
                Some(Ringing::Url(url)) => {
                    let _ = write!(
                        out,
                        "<td colspan=\"2\">agents chosen by <code>get_list_agents_url</code> {}</td>",
                        escape(&url)
                    );
                }
                Some(Ringing::Groups { primary, overflow }) => {
                    for groups in [primary, overflow] {
                        out.push_str("<td>");
                        if groups.is_empty() {
                            out.push_str("<span class=\"muted\">none</span>");
                        }
                        for g in groups {
                            let agents = if g.agents.is_empty() {
                                "<span class=\"muted\">no agents</span>".to_owned()
                            } else {
                                escape(&g.agents.join(", "))
                            };
                            let _ = write!(out, "<div><b>{}</b>: {agents}</div>", escape(&g.group));
                        }
                        out.push_str("</td>");
                    }
                }
                None => out.push_str("<td colspan=\"2\" class=\"muted\">no such queue</td>"),
            }
            out.push_str("</tr>\n");
        }
    }
    out.push_str("</tbody></table>\n</section>\n");
}

/// The queues a tree's keys put calls in, by name.
fn reachable_queues(tree: &IvrTree) -> BTreeSet<String> {
    tree.nodes
        .values()
        .flat_map(|n| n.keys.values())
        .filter_map(|a| match a {
            KeyAction::Queue { queue } => Some(queue.clone()),
            _ => None,
        })
        .collect()
}

fn trees_section(out: &mut String, model: &Model, plan: Option<&Plan>) {
    out.push_str("<section id=\"trees\"><h2>IVR trees</h2>\n");
    if plan.is_some() {
        out.push_str("<p class=\"legend\"><span class=\"badge added\">new</span><span class=\"badge changed\">changed</span><span class=\"badge removed\">removed</span> nodes and keys, as the plan changes them.</p>\n");
    }
    if model.ivr.is_empty() && plan.is_none_or(|p| p.trees.is_empty()) {
        out.push_str("<p class=\"muted\">The spec has no IVR trees.</p>\n");
    }
    let mut names: BTreeSet<&String> = model.ivr.keys().collect();
    if let Some(plan) = plan {
        names.extend(plan.trees.keys());
    }
    for (i, name) in names.into_iter().enumerate() {
        let change = plan.and_then(|p| p.trees.get(name));
        let diff =
            change.map(|c| tree_diff(c.before.as_ref(), model.ivr.get(name).or(c.after.as_ref())));
        // A tree the plan deletes is drawn from its live version, every node removed.
        let deleted;
        let tree = match model.ivr.get(name) {
            Some(t) => t,
            None => {
                let before = change.and_then(|c| c.before.as_ref());
                let Some(before) = before else { continue };
                deleted = IvrTree {
                    start: before.start.clone(),
                    nodes: Default::default(),
                };
                &deleted
            }
        };
        let d = diagram(model, name, tree, diff.as_ref());
        let badge = match change {
            None => String::new(),
            Some(c) if c.before.is_none() => {
                " <span class=\"badge added\">new tree</span>".to_owned()
            }
            Some(c) if c.after.is_none() || !model.ivr.contains_key(name) => {
                " <span class=\"badge removed\">deleted</span>".to_owned()
            }
            Some(_) => " <span class=\"badge changed\">changed</span>".to_owned(),
        };
        let changed = d.items.iter().any(|it| it.change != Change::Same)
            || d.edges.iter().any(|e| e.change != Change::Same);
        let _ = write!(
            out,
            "<h3 id=\"tree-{i}\">ivr <code>{}</code>{badge}</h3>\n<div class=\"tree{}\">{}</div>\n",
            escape(name),
            if changed { " has-changes" } else { "" },
            svg::element(&d, &format!("t{i}"))
        );
    }
    out.push_str("</section>\n");
}

fn tests_section(out: &mut String, spec: &Spec) {
    out.push_str("<section id=\"tests\"><h2>Flow tests</h2>\n");
    if spec.tests.is_empty() {
        out.push_str("<p class=\"muted\">The spec has no flow tests (<code>tests:</code>).</p>\n</section>\n");
        return;
    }
    let model = &spec.model;
    let runs: Vec<(bool, End, String)> = spec
        .tests
        .iter()
        .map(|t| {
            let w = walk(model, &t.number, &t.keys);
            let passed = w.unused_keys.is_empty() && t.expect.is_met_by(&w.end);
            (passed, w.end.clone(), w.path())
        })
        .collect();
    let passed = runs.iter().filter(|r| r.0).count();
    let _ = writeln!(
        out,
        "<p>{passed} of {} flow tests pass.</p>",
        spec.tests.len()
    );
    out.push_str("<table><thead><tr><th></th><th>Test</th><th>Number</th><th>Keys</th><th>Expected</th><th>Actual</th><th>Path</th></tr></thead><tbody>\n");
    for (t, (ok, end, path)) in spec.tests.iter().zip(&runs) {
        let mark = if *ok {
            "<span class=\"pass\">pass</span>"
        } else {
            "<span class=\"fail\">FAIL</span>"
        };
        let keys = if t.keys.is_empty() {
            "<span class=\"muted\">none</span>".to_owned()
        } else {
            format!("<code>{}</code>", escape(&t.keys))
        };
        let _ = writeln!(
            out,
            "<tr class=\"test-{}\"><td>{mark}</td><td>{}</td><td>{}</td><td>{keys}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if *ok { "pass" } else { "fail" },
            escape(t.name.as_deref().unwrap_or("")),
            escape(&t.number),
            rich(&t.expect.to_string()),
            rich(&end.to_string()),
            rich(path)
        );
    }
    out.push_str("</tbody></table>\n</section>\n");
}

/// Escaped text whose `backticked` names are shown as code, as the messages write them.
fn rich(s: &str) -> String {
    let escaped = escape(s);
    let mut out = String::with_capacity(escaped.len());
    for (i, part) in escaped.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    // An odd number of backticks: the last one was literal.
    if escaped.matches('`').count() % 2 == 1 {
        return escaped;
    }
    out
}

/// Makes text safe in HTML text and quoted attribute values: `spec::text::html`.
pub fn escape(s: &str) -> String {
    spec::text::html(s)
}
