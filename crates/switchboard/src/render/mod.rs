//! Drawings of IVR trees for `graph` and `report`: a tree (and, for a plan, its diff) becomes
//! the planner's [`Diagram`] of boxes and labelled arrows, which [`dot`] writes as Graphviz
//! and [`svg`] lays out and draws itself; the planner writes the same diagram as Mermaid
//! (`planner::render::mermaid_diagrams`), which the Markdown plan uses too.

pub mod dot;
pub mod html;
pub mod svg;

use std::collections::BTreeMap;

use planner::render::diagram::{Caption, Chart, Item};
use planner::render::{Diagram, TreeDiff};
use spec::Model;
use spec::model::{AudioId, IvrTree, NumberRoute};

/// The diagram of `tree` (named `name`) of `model`: its entry box names the numbers routed
/// to it, its audio prompts the spec's names. With `diff`, removed nodes and keys are drawn
/// too (from the diff), and everything is marked with how it changes.
pub fn diagram(model: &Model, name: &str, tree: &IvrTree, diff: Option<&TreeDiff>) -> Diagram {
    let entry = match entry_numbers(model, name) {
        none if none.is_empty() => vec!["no number routes here".to_owned()],
        numbers => numbers,
    };
    let chart = Chart {
        name,
        tree,
        diff,
        entry: &entry,
    };
    Diagram::of(&chart, &audio_names(model))
}

/// Audio names by content id, for showing audio prompts by name.
pub fn audio_names(model: &Model) -> BTreeMap<AudioId, String> {
    model
        .audio
        .iter()
        .map(|(id, a)| (id.clone(), a.name.clone()))
        .collect()
}

/// What a box says under its title in DOT and SVG, unshortened: the entry's numbers
/// separated by commas, a spoken prompt, `♪` and the name of an audio prompt.
pub fn text(item: &Item) -> String {
    match &item.caption {
        Caption::None => String::new(),
        Caption::Lines(lines) => lines.join(", "),
        Caption::Say(text) => text.clone(),
        Caption::Play {
            name: Some(name), ..
        } => format!("♪ {name}"),
        Caption::Play { id, name: None } => format!("♪ {id}"),
    }
}

/// The numbers routed to the tree `name`, as `842473082686 (Hotline)`, in digit order: what
/// an entry box names.
pub fn entry_numbers(model: &Model, name: &str) -> Vec<String> {
    model
        .numbers
        .iter()
        .filter(|(_, n)| matches!(&n.route, Some(NumberRoute::Ivr(tree)) if tree == name))
        .map(|(digits, n)| match &n.nickname {
            Some(nick) => format!("{digits} ({nick})"),
            None => digits.clone(),
        })
        .collect()
}

/// Text wrapped at word boundaries into lines of at most `width` characters, at most
/// `max_lines` lines, the last one ending in `…` when the text is cut.
pub fn wrap_lines(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut cut = false;
    for word in text.split_whitespace() {
        let word: String = if word.chars().count() > width {
            let w: String = word.chars().take(width.saturating_sub(1)).collect();
            format!("{w}…")
        } else {
            word.to_owned()
        };
        let fits =
            current.is_empty() || current.chars().count() + 1 + word.chars().count() <= width;
        if fits {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(&word);
        } else {
            lines.push(std::mem::take(&mut current));
            if lines.len() == max_lines {
                cut = true;
                break;
            }
            current = word;
        }
    }
    if !cut && !current.is_empty() {
        lines.push(current);
    }
    if cut && let Some(last) = lines.last_mut() {
        let mut shortened: String = last.chars().take(width.saturating_sub(1)).collect();
        shortened = shortened.trim_end().to_owned();
        shortened.push('…');
        *last = shortened;
    }
    lines
}
