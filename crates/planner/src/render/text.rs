//! The plan as text, in Terraform's style: `+ create`, `~ update`, `- destroy`, `-/+ replace`,
//! changed fields only, the summary of what is left alone, the safety guards, and the footer.

use std::fmt::Write;

use std::collections::BTreeSet;

use crate::plan::{ChangeAction, Plan};
use crate::render::blocks::{Line, Sign, blocks};
use crate::render::{
    Style, backticks, footer, partial_lines, terminal, wiring_lines, wiring_title,
};

/// How many ignored or kept objects the text lists before it says "and N more".
const LIST_LIMIT: usize = 20;

/// The plan for a terminal or a log. `color` adds ANSI colours (the caller decides: a
/// terminal, and no `NO_COLOR`).
pub fn text(plan: &Plan, color: bool) -> String {
    let style = Style { color };
    let mut out = String::new();
    let partial = partial_lines(plan, &backticks);
    for (i, line) in partial.iter().enumerate() {
        let line = if i == 0 {
            style.yellow(&style.bold(line))
        } else {
            line.clone()
        };
        out.push_str(&line);
        out.push('\n');
    }
    if !partial.is_empty() {
        out.push('\n');
    }
    let blocks = blocks(plan, style);
    if plan.is_empty() {
        out.push_str(&style.bold("No changes."));
        out.push_str(if plan.partial.is_some() {
            " The part planned matches the spec.\n"
        } else {
            " Live project matches the spec.\n"
        });
        wiring(plan, style, &mut out);
        left_alone(plan, style, &mut out);
        warnings(plan, style, &mut out);
        return out;
    }
    if !blocks.is_empty() {
        legend(plan, style, &mut out);
        out.push_str("switchboard will perform the following actions:\n");
    }
    for block in &blocks {
        out.push('\n');
        for line in &block.lines {
            out.push_str(&line_text(line, style));
            out.push('\n');
        }
    }
    wiring(plan, style, &mut out);
    left_alone(plan, style, &mut out);
    warnings(plan, style, &mut out);
    safety(plan, style, &mut out);
    out.push('\n');
    out.push_str(&style.bold(&footer(plan)));
    out.push('\n');
    out
}

fn legend(plan: &Plan, style: Style, out: &mut String) {
    let used: BTreeSet<ChangeAction> = plan.changes().iter().map(|c| c.action).collect();
    out.push_str("Resource actions are indicated with the following symbols:\n");
    for (action, what) in [
        (ChangeAction::Create, "create"),
        (ChangeAction::Update, "update in-place"),
        (ChangeAction::Delete, "destroy"),
        (ChangeAction::Replace, "destroy and then create replacement"),
    ] {
        if used.contains(&action) {
            let sign = Sign::of(action);
            let _ = writeln!(
                out,
                "{} {what}",
                paint(sign, &format!("{:>3}", sign.symbol()), style)
            );
        }
    }
    out.push('\n');
}

fn paint(sign: Sign, s: &str, style: Style) -> String {
    match sign {
        Sign::Add => style.green(s),
        Sign::Remove => style.red(s),
        Sign::Change | Sign::Replace => style.yellow(s),
        Sign::Note => style.dim(s),
    }
}

/// Terraform's columns: objects' signs end at column 4, fields' signs at column 8, notes
/// line up with the text after the sign.
pub(crate) fn line_text(line: &Line, style: Style) -> String {
    match (line.sign, line.depth) {
        (Sign::Note, 0) => format!("  {}", style.dim(&line.text)),
        (Sign::Note, _) => format!("        {}", style.dim(&line.text)),
        (sign, 0) => format!(
            "{} {}",
            paint(sign, &format!("{:>3}", sign.symbol()), style),
            style.bold(&line.text)
        ),
        (sign, _) => format!(
            "    {} {}",
            paint(sign, &format!("{:>3}", sign.symbol()), style),
            line.text
        ),
    }
}

fn left_alone(plan: &Plan, style: Style, out: &mut String) {
    let ignored: Vec<_> = plan.ignored.iter().filter(|i| i.live).collect();
    if !ignored.is_empty() {
        let _ = writeln!(
            out,
            "\n{} (they match `ignore:`; never changed or deleted):",
            style.bold(&count(ignored.len(), "ignored"))
        );
        list(
            ignored
                .iter()
                .map(|i| (terminal(&i.address), terminal(&i.because))),
            ignored.len(),
            out,
        );
    }
    if !plan.kept.is_empty() {
        let _ = writeln!(
            out,
            "\n{} (not in the spec, but not deleted):",
            style.bold(&count(plan.kept.len(), "kept"))
        );
        list(
            plan.kept
                .iter()
                .map(|k| (terminal(&k.address), terminal(&k.because))),
            plan.kept.len(),
            out,
        );
    }
}

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 object {what}")
    } else {
        format!("{n} objects {what}")
    }
}

fn list(items: impl Iterator<Item = (String, String)>, total: usize, out: &mut String) {
    let items: Vec<_> = items.take(LIST_LIMIT).collect();
    let width = items.iter().map(|(a, _)| a.len()).max().unwrap_or(0);
    for (address, why) in &items {
        let _ = writeln!(out, "  {address:<width$}  {why}");
    }
    if total > items.len() {
        let _ = writeln!(
            out,
            "  ... and {} more (see `--format json`)",
            total - items.len()
        );
    }
}

fn warnings(plan: &Plan, style: Style, out: &mut String) {
    if plan.warnings.is_empty() {
        return;
    }
    out.push('\n');
    for w in &plan.warnings {
        let _ = writeln!(
            out,
            "{} {}",
            style.yellow(&style.bold("Warning:")),
            terminal(w)
        );
    }
}

fn safety(plan: &Plan, style: Style, out: &mut String) {
    let violations = &plan.safety.violations;
    if violations.is_empty() {
        return;
    }
    let n = violations.len();
    let s = if n == 1 { "" } else { "s" };
    let bar = |s: &str| style.red(s);
    let _ = write!(
        out,
        "\n{}\n{} {}\n{}\n",
        bar("╷"),
        bar("│"),
        style.bold(&style.red(&format!(
            "Refused: this plan trips {n} safety guard{s}; apply needs --force"
        ))),
        bar("│"),
    );
    for v in violations {
        let _ = writeln!(out, "{}   {}", bar("│"), terminal(v));
    }
    let _ = writeln!(out, "{}", bar("╵"));
}

/// The wiring section: each URL the account API will correct (after the steps), and each
/// managed number whose wiring could not be checked.
fn wiring(plan: &Plan, style: Style, out: &mut String) {
    let (Some(wiring), lines) = (&plan.wiring, wiring_lines(plan)) else {
        return;
    };
    if lines.is_empty() {
        return;
    }
    if !out.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(out, "{}:", style.bold(&wiring_title(wiring)));
    for (sign, line) in &lines {
        let sign = match sign {
            '~' => style.yellow("~"),
            _ => style.yellow("!"),
        };
        let _ = writeln!(out, "  {sign} {}", terminal(line));
    }
}
