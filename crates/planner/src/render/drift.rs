//! The drift report: the same plan read the other way round, as "what in the live project
//! differs from git", object by object (`~ queue.support: wrap_up_time_limit is 30 live, spec
//! says 10`), for scheduled `drift` runs. The signs are the plan's: each says what `apply`
//! would do about the finding (`+` create what is missing live, `-` delete what exists only
//! live, `~` update), so that a drift report and the plan that fixes it read alike.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::plan::{Change, ChangeAction, Plan};
use crate::render::json::{fields, partial_json, wiring_json};
use crate::render::markdown::partial_callout;
use crate::render::{
    JSON_FORMAT_VERSION, MARKDOWN_LIMIT, Style, backticks, is_audio_field, is_long_text,
    markdown_code, markdown_inline, partial_lines, sides, value, word_diff,
};

/// One finding per line.
fn findings(plan: &Plan, style: Style) -> Vec<(char, String)> {
    let mut out = Vec::new();
    for c in plan.changes() {
        let a = c.address;
        match c.action {
            ChangeAction::Create => out.push(('+', format!("{a}: in the spec, missing live"))),
            ChangeAction::Delete => out.push(('-', format!("{a}: exists live, not in the spec"))),
            ChangeAction::Update | ChangeAction::Replace if c.before.is_none() => {
                out.push(('+', format!("{a}: in the spec, missing live")))
            }
            ChangeAction::Update | ChangeAction::Replace => {
                let fields = field_findings(plan, &c, style);
                if fields.is_empty() {
                    // Only a tree's start moved: the node itself is unchanged.
                    out.push((
                        '~',
                        format!("{a}: recreated by the plan (its tree's start moved)"),
                    ));
                }
                for f in fields {
                    out.push(('~', format!("{a}: {f}")));
                }
            }
        }
    }
    if let Some(wiring) = &plan.wiring {
        for rewire in &wiring.rewires {
            for change in &rewire.changes {
                out.push(('~', format!("wiring of {}: {change}", rewire.wired)));
            }
        }
    }
    out
}

/// How many objects differ: the plan's changes, and each project or number whose wiring is
/// not PCC's.
fn differing(plan: &Plan) -> usize {
    plan.changes().len() + plan.wiring.as_ref().map_or(0, |w| w.rewires.len())
}

fn field_findings(plan: &Plan, c: &Change<'_>, style: Style) -> Vec<String> {
    let (live, spec) = sides(c);
    c.changed_fields
        .iter()
        .map(|f| match (live.get(f), spec.get(f)) {
            (Some(Value::String(l)), Some(Value::String(s)))
                if is_long_text(l, s) && !is_audio_field(f) =>
            {
                format!("{f} differs (live -> spec): \"{}\"", word_diff(l, s, style))
            }
            (Some(l), Some(s)) => format!(
                "{f} is {} live, spec says {}",
                value(f, l, plan),
                value(f, s, plan)
            ),
            (Some(l), None) => format!("{f} is {} live, unset in the spec", value(f, l, plan)),
            (None, Some(s)) => format!("{f} is unset live, spec says {}", value(f, s, plan)),
            (None, None) => f.clone(),
        })
        .collect()
}

/// The drift report as text.
pub fn drift_text(plan: &Plan, color: bool) -> String {
    let style = Style { color };
    let found = findings(plan, style);
    let mut out = String::new();
    for line in partial_lines(plan, &backticks) {
        let line = line.replacen("Partial plan:", "Partial check:", 1);
        let _ = writeln!(out, "{}", style.yellow(&line));
    }
    if plan.partial.is_some() {
        out.push('\n');
    }
    if found.is_empty() {
        let what = if plan.partial.is_some() {
            "The part checked matches the spec; the rest was not checked."
        } else {
            "The live project matches the spec."
        };
        let _ = writeln!(out, "{} {what}", style.bold("No drift."));
        return out;
    }
    let objects = differing(plan);
    let _ = write!(
        out,
        "{} {objects} object{} in the live project differ{} from the spec:\n\n",
        style.bold("Drift:"),
        if objects == 1 { "" } else { "s" },
        if objects == 1 { "s" } else { "" },
    );
    for (sign, line) in &found {
        let sign = match sign {
            '+' => style.green("+"),
            '-' => style.red("-"),
            _ => style.yellow("~"),
        };
        let _ = writeln!(out, "  {sign} {line}");
    }
    out.push_str(&legend(str::to_owned));
    out.push_str(" Run `switchboard plan` to see what `apply` would change.\n");
    out
}

/// The drift report as versioned JSON (`resource_drift[]`, Terraform's name for it).
pub fn drift_json(plan: &Plan) -> String {
    let items: Vec<Value> = plan
        .changes()
        .iter()
        .map(|c| {
            let drift = match (c.before, c.after) {
                (None, _) => "missing_live",
                (_, None) => "extra_live",
                _ => "changed",
            };
            let (live, spec) = sides(c);
            let mut item = json!({
                "address": c.address.to_string(),
                "type": c.address.kind().as_str(),
                "name": c.address.name(),
                "drift": drift,
                "live": fields(c.before),
                "spec": fields(c.after),
                "fields": c.changed_fields.iter().map(|f| json!({
                    "field": f,
                    "live": live.get(f).cloned().unwrap_or(Value::Null),
                    "spec": spec.get(f).cloned().unwrap_or(Value::Null),
                })).collect::<Vec<_>>(),
            });
            if let Some(from) = c.moved_from {
                item["previous_address"] = from.to_string().into();
                // As in the plan's JSON: both views carry the `name` that `fields[]` lists.
                item["live"] = live.into();
                item["spec"] = spec.into();
            }
            item
        })
        .collect();
    let doc = json!({
        "format_version": JSON_FORMAT_VERSION,
        "tool_version": env!("CARGO_PKG_VERSION"),
        "drift": !items.is_empty() || plan.wiring.as_ref().is_some_and(|w| !w.is_empty()),
        "resource_drift": items,
        "ignored": plan.ignored.iter().filter(|i| i.live).map(|i| i.address.to_string()).collect::<Vec<_>>(),
        "kept": plan.kept.iter().map(|k| k.address.to_string()).collect::<Vec<_>>(),
    });
    let mut doc = doc;
    if let Some(partial) = partial_json(plan) {
        doc["partial"] = partial;
    }
    if let Some(wiring) = wiring_json(plan) {
        doc["wiring"] = wiring;
    }
    let mut text = spec::text::json(serde_json::to_string_pretty(&doc).unwrap_or_default());
    text.push('\n');
    text
}

/// The drift report as Markdown (an issue or a chat message), under [`MARKDOWN_LIMIT`].
pub fn drift_markdown(plan: &Plan) -> String {
    let found = findings(plan, Style { color: false });
    let mut out = String::from("### switchboard drift\n\n");
    partial_callout(plan, &mut out);
    if found.is_empty() && plan.partial.is_some() {
        out.push_str("**No drift** in the part checked; the rest was not checked.\n");
        return out;
    }
    if found.is_empty() {
        out.push_str("**No drift.** The live project matches the spec.\n");
        return out;
    }
    let objects = differing(plan);
    let _ = writeln!(
        out,
        "**{objects} object{} in the live project differ{} from the spec.**\n",
        if objects == 1 { "" } else { "s" },
        if objects == 1 { "s" } else { "" },
    );
    out.push_str("| | Object | Drift |\n|:-:|:--|:--|\n");
    let budget = MARKDOWN_LIMIT - 400;
    let mut shown = 0;
    for (sign, line) in &found {
        let (address, what) = line.split_once(": ").unwrap_or((line, ""));
        let row = format!(
            "| {} | {} | {} |\n",
            match sign {
                '+' => "+",
                '-' => "-",
                _ => "~",
            },
            markdown_code(address),
            markdown_inline(what)
        );
        if out.len() + row.len() > budget {
            break;
        }
        out.push_str(&row);
        shown += 1;
    }
    if shown < found.len() {
        let _ = writeln!(
            out,
            "\n> [!WARNING]\n> **Truncated:** {shown} of {} findings shown. Run `switchboard drift` for all of them.",
            found.len()
        );
    }
    out.push_str(&legend(|sign| format!("`{sign}`")));
    out.push('\n');
    out
}

/// What the signs mean: what `apply` would do, as in a plan. `sign` draws each sign.
fn legend(sign: impl Fn(&str) -> String) -> String {
    format!(
        "\n{} missing live (apply would create it), {} exists only live (apply would delete \
         it), {} differs (apply would update it).",
        sign("+"),
        sign("-"),
        sign("~")
    )
}
