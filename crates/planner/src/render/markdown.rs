//! The plan as Markdown for a pull-request comment: the summary first (footer, safety, a table
//! per kind), then the changes folded in `<details>` per kind as `diff` code, every changed IVR
//! tree as a Mermaid graph, and what is left alone. The whole stays under a size limit
//! (GitHub refuses comments over 65,536 characters); what does not fit is left out with a
//! visible note, never silently.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::plan::{ChangeAction, Plan};
use crate::render::blocks::{Block, blocks};
use crate::render::diagram::tree_diff;
use crate::render::mermaid::mermaid_with_audio_names;
use crate::render::text::line_text;
use crate::render::{
    Style, footer, markdown_code, markdown_inline, partial_lines, wiring_lines, wiring_title,
};
use spec::{Address, Kind};

/// The default size limit, in bytes (so at most as many characters), under GitHub's 65,536.
pub const MARKDOWN_LIMIT: usize = 65_000;

/// Room kept for the truncation note.
const NOTE_ROOM: usize = 600;

/// How many rows the ignored and kept tables, the guards and the warnings show.
const TABLE_ROWS: usize = 50;

/// Longest guard or warning shown, in characters.
const BULLET_CHARS: usize = 400;

/// A partial plan's notice as a `[!IMPORTANT]` callout, before everything else.
pub(crate) fn partial_callout(plan: &Plan, out: &mut String) {
    let lines = partial_lines(plan, &|s| markdown_code(s));
    if lines.is_empty() {
        return;
    }
    out.push_str("> [!IMPORTANT]\n");
    for (i, line) in lines.iter().enumerate() {
        if i == 0 {
            let _ = writeln!(out, "> **{line}**");
        } else {
            let _ = writeln!(out, "> {line}");
        }
    }
    out.push('\n');
}

/// The plan as a pull-request comment of at most [`MARKDOWN_LIMIT`] bytes.
pub fn markdown(plan: &Plan) -> String {
    markdown_with_limit(plan, MARKDOWN_LIMIT)
}

/// The plan as a pull-request comment of at most `limit` bytes (at least a few kilobytes: the
/// summary is always shown).
pub fn markdown_with_limit(plan: &Plan, limit: usize) -> String {
    let mut out = String::from("### switchboard plan\n\n");
    partial_callout(plan, &mut out);
    if plan.is_empty() && plan.partial.is_some() {
        out.push_str("**No changes.** The part planned matches the spec.\n\n");
    } else if plan.is_empty() {
        out.push_str("**No changes.** Live project matches the spec.\n\n");
    } else {
        let _ = writeln!(out, "**{}**\n", footer(plan));
    }
    if plan.refused() {
        out.push_str("> [!CAUTION]\n> **`apply` will refuse this plan without `--force`:**\n");
        bullets(&mut out, &plan.safety.violations, limit / 4);
    }
    if !plan.warnings.is_empty() {
        out.push_str("> [!WARNING]\n");
        bullets(&mut out, &plan.warnings, limit / 2);
    }
    if !plan.steps.is_empty() {
        summary_table(plan, &mut out);
    }
    wiring_section(plan, limit / 4, &mut out);

    let blocks = blocks(plan, Style { color: false });
    let total_changes: usize = blocks.iter().map(|b| b.changes).sum();
    let mut shown_changes = 0;
    let mut truncated = false;
    let budget = limit.saturating_sub(NOTE_ROOM);

    let mut by_kind: BTreeMap<Kind, Vec<&Block>> = BTreeMap::new();
    for b in &blocks {
        by_kind.entry(b.kind()).or_default().push(b);
    }
    for (kind, blocks) in &by_kind {
        if truncated {
            break;
        }
        let count: usize = blocks.iter().map(|b| b.changes).sum();
        let body: Vec<String> = blocks.iter().map(|b| diff_text(b)).collect();
        let fence = fence_for(body.iter().map(String::as_str));
        let open = format!(
            "<details><summary><b>{}</b>: {count} change{}</summary>\n\n{fence}diff\n",
            section_title(*kind),
            if count == 1 { "" } else { "s" }
        );
        let close = format!("{fence}\n\n</details>\n\n");
        if out.len() + open.len() + close.len() > budget {
            truncated = true;
            break;
        }
        out.push_str(&open);
        for (block, text) in blocks.iter().zip(&body) {
            if out.len() + text.len() + close.len() > budget {
                truncated = true;
                break;
            }
            out.push_str(text);
            shown_changes += block.changes;
        }
        out.push_str(&close);
    }

    let mut trees_shown = 0;
    if !truncated && !plan.trees.is_empty() {
        let heading = "#### IVR trees\n\n";
        if out.len() + heading.len() <= budget {
            out.push_str(heading);
        }
        for (name, change) in &plan.trees {
            let diff = tree_diff(change.before.as_ref(), change.after.as_ref());
            let drawn = match &change.after {
                Some(tree) => mermaid_with_audio_names(name, tree, Some(&diff), &plan.audio_names),
                None => mermaid_with_audio_names(
                    name,
                    &spec::model::IvrTree {
                        start: String::new(),
                        nodes: BTreeMap::new(),
                    },
                    Some(&diff),
                    &plan.audio_names,
                ),
            };
            let what = match (&change.before, &change.after) {
                (None, _) => "new tree".to_owned(),
                (_, None) => "tree removed".to_owned(),
                _ => format!(
                    "{} node{} added, {} changed, {} removed",
                    diff.added.len(),
                    if diff.added.len() == 1 { "" } else { "s" },
                    diff.changed.len(),
                    diff.removed.len()
                ),
            };
            let section = format!(
                "<details open><summary><b>{}</b>: {what}</summary>\n\n```mermaid\n{drawn}```\n\n</details>\n\n",
                html(&Address::IvrTree(name.clone()).to_string())
            );
            if out.len() + section.len() > budget {
                truncated = true;
                break;
            }
            out.push_str(&section);
            trees_shown += 1;
        }
    }

    if !truncated {
        let section = left_alone(plan);
        if out.len() + section.len() > budget {
            truncated = true;
        } else {
            out.push_str(&section);
        }
    }

    if truncated {
        let _ = write!(
            out,
            "> [!WARNING]\n> **Truncated to fit one pull-request comment:** this comment shows \
             {shown_changes} of {total_changes} changes and {trees_shown} of {} IVR tree \
             diagrams{}. Run `switchboard plan` (or `--format json`) for the whole plan.\n",
            plan.trees.len(),
            if plan.ignored.is_empty() && plan.kept.is_empty() {
                ""
            } else {
                ", without the ignored and kept objects"
            }
        );
    }
    out
}

/// Guards and warnings as quoted bullets: at most [`TABLE_ROWS`], each cut at
/// [`BULLET_CHARS`] characters, and none past `room` bytes of `out`. They come before every
/// other size check, so they must be bounded (a spec that drops a thousand numbers trips a
/// thousand guards).
fn bullets(out: &mut String, items: &[impl ToString], room: usize) {
    let mut shown = 0;
    for item in items.iter().take(TABLE_ROWS) {
        let text = item.to_string();
        let text = match text.char_indices().nth(BULLET_CHARS) {
            Some((cut, _)) => format!("{}…", &text[..cut]),
            None => text,
        };
        let line = format!("> - {}\n", markdown_inline(&text));
        if out.len() + line.len() > room {
            break;
        }
        out.push_str(&line);
        shown += 1;
    }
    if items.len() > shown {
        let _ = writeln!(
            out,
            "> - … and {} more (see `switchboard plan`)",
            items.len() - shown
        );
    }
    out.push('\n');
}

fn section_title(kind: Kind) -> &'static str {
    match kind {
        Kind::Agent => "Agents",
        Kind::Group => "Groups and members",
        Kind::Membership => "Members",
        Kind::Audio => "Audio",
        Kind::Queue => "Queues and routing",
        Kind::Routing => "Routing",
        Kind::IvrTree => "IVR trees",
        Kind::IvrNode => "IVR nodes and keys",
        Kind::IvrKey => "IVR keys",
        Kind::Number => "Numbers",
        Kind::Blacklist => "Blacklist",
        Kind::Settings => "Call settings",
    }
}

fn summary_table(plan: &Plan, out: &mut String) {
    #[derive(Default)]
    struct Row {
        add: usize,
        change: usize,
        replace: usize,
        destroy: usize,
    }
    let mut rows: BTreeMap<Kind, Row> = BTreeMap::new();
    for c in plan.changes() {
        let row = rows.entry(c.address.kind()).or_default();
        match c.action {
            ChangeAction::Create => row.add += 1,
            ChangeAction::Update => row.change += 1,
            ChangeAction::Replace => row.replace += 1,
            ChangeAction::Delete => row.destroy += 1,
        }
    }
    out.push_str("| Kind | Live | + Add | ~ Change | -/+ Replace | - Destroy |\n");
    out.push_str("|:--|--:|--:|--:|--:|--:|\n");
    let cell = |n: usize| {
        if n == 0 { String::new() } else { n.to_string() }
    };
    for (kind, r) in &rows {
        let _ = writeln!(
            out,
            "| {kind} | {} | {} | {} | {} | {} |",
            plan.existing.get(kind).copied().unwrap_or(0),
            cell(r.add),
            cell(r.change),
            cell(r.replace),
            cell(r.destroy)
        );
    }
    out.push('\n');
}

/// A block as `diff` code: the sign moves to the first column (`~` becomes `!`), which is
/// what GitHub colours.
fn diff_text(block: &Block) -> String {
    let mut s = String::new();
    for line in &block.lines {
        let text = line_text(line, Style { color: false });
        let trimmed = text.trim_start();
        let indent = text.len() - trimmed.len();
        let gutter = match trimmed.chars().next() {
            Some('+') => Some('+'),
            Some('~') => Some('!'),
            Some('-') if trimmed.starts_with("-/+") => Some('!'),
            Some('-') => Some('-'),
            _ => None,
        };
        match gutter {
            Some(g) if indent == 0 => {
                s.push(g);
                s.push(' ');
                s.push_str(&text);
            }
            Some(g) if !trimmed.starts_with("-/+") => {
                s.push(g);
                s.push_str(&text[1..indent]);
                s.push(' ');
                s.push_str(&trimmed[1..]);
            }
            Some(g) => {
                s.push(g);
                s.push_str(&text[1..]);
            }
            None => s.push_str(&text),
        }
        s.push('\n');
    }
    s.push('\n');
    s
}

/// A code fence longer than any run of backticks in the text, so text cannot close it.
fn fence_for<'a>(texts: impl Iterator<Item = &'a str>) -> String {
    let mut longest = 0;
    for t in texts {
        let mut run = 0;
        for c in t.chars() {
            if c == '`' {
                run += 1;
                longest = longest.max(run);
            } else {
                run = 0;
            }
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// Text for HTML in the comment (`<summary>`): `spec::text::markdown_html` (entities, and
/// no live mention or reference).
fn html(s: &str) -> String {
    spec::text::markdown_html(s)
}

fn left_alone(plan: &Plan) -> String {
    let ignored: Vec<_> = plan.ignored.iter().filter(|i| i.live).collect();
    if ignored.is_empty() && plan.kept.is_empty() {
        return String::new();
    }
    let mut s = format!(
        "<details><summary>Left alone: {} ignored, {} kept</summary>\n\n| Object | Why |\n|:--|:--|\n",
        ignored.len(),
        plan.kept.len()
    );
    let rows: Vec<(String, String)> = ignored
        .iter()
        .map(|i| (i.address.to_string(), format!("ignored: {}", i.because)))
        .chain(
            plan.kept
                .iter()
                .map(|k| (k.address.to_string(), format!("kept: {}", k.because))),
        )
        .collect();
    for (address, why) in rows.iter().take(TABLE_ROWS) {
        let _ = writeln!(
            s,
            "| {} | {} |",
            markdown_code(address),
            markdown_inline(why)
        );
    }
    if rows.len() > TABLE_ROWS {
        let _ = writeln!(
            s,
            "| … | and {} more (see `--format json`) |",
            rows.len() - TABLE_ROWS
        );
    }
    s.push_str("\n</details>\n\n");
    s
}

/// The PCC wiring: each URL the account API will correct, and each managed number whose
/// wiring could not be checked, as a list of at most `room` bytes.
fn wiring_section(plan: &Plan, room: usize, out: &mut String) {
    let (Some(wiring), lines) = (&plan.wiring, wiring_lines(plan)) else {
        return;
    };
    if lines.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<details open><summary><b>{}</b>: {} correction{}</summary>\n\n",
        html(&wiring_title(wiring)),
        wiring.rewires.len(),
        if wiring.rewires.len() == 1 { "" } else { "s" }
    );
    let start = out.len();
    let mut shown = 0;
    for (sign, line) in &lines {
        let item = format!(
            "- {} {}\n",
            if *sign == '~' { "`~`" } else { "`!`" },
            markdown_inline(line)
        );
        if out.len() - start + item.len() > room {
            break;
        }
        out.push_str(&item);
        shown += 1;
    }
    if shown < lines.len() {
        let _ = writeln!(
            out,
            "- … and {} more (run `switchboard plan` for all of them)",
            lines.len() - shown
        );
    }
    out.push_str("\n</details>\n\n");
}
