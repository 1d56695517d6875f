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

#[cfg(test)]
mod tests {
    use planner::render::diagram::Change;
    use planner::render::tree_diff;
    use spec::model::{DEFAULT_VOICE, IvrNode, Key, KeyAction, Prompt};

    use super::*;

    fn node(keys: &[(Key, KeyAction)]) -> IvrNode {
        IvrNode {
            prompt: Prompt::Say {
                text: "Hello.".into(),
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

    /// Every kind of change a plan makes to a tree: a node added, changed and removed, a key
    /// added, changed and removed, and endings that go with the keys that reached them.
    fn changed_tree() -> (IvrTree, IvrTree) {
        let queue = |q: &str| KeyAction::Queue { queue: q.into() };
        let goto = |n: &str| KeyAction::Goto { node: n.into() };
        let before = IvrTree {
            start: "menu".into(),
            nodes: [
                (
                    "menu".to_owned(),
                    node(&[
                        (Key::D1, queue("sales")),
                        (Key::D2, goto("old")),
                        (Key::D3, KeyAction::Hangup),
                    ]),
                ),
                ("old".to_owned(), node(&[(Key::Timeout, queue("billing"))])),
            ]
            .into(),
        };
        let mut menu = node(&[(Key::D1, queue("support")), (Key::D4, goto("new"))]);
        menu.loop_count = 2;
        let after = IvrTree {
            start: "menu".into(),
            nodes: [
                ("menu".to_owned(), menu),
                (
                    "new".to_owned(),
                    node(&[(
                        Key::Timeout,
                        KeyAction::Forward {
                            to: "84901".into(),
                            caller_id: None,
                        },
                    )]),
                ),
            ]
            .into(),
        };
        (before, after)
    }

    /// How many boxes and arrows a format draws as added, changed and removed.
    #[derive(Debug, PartialEq, Eq)]
    struct Counts {
        boxes: [usize; 3],
        arrows: [usize; 3],
    }

    const CHANGES: [Change; 3] = [Change::Added, Change::Changed, Change::Removed];
    const COLOURS: [&str; 3] = ["#1a7f37", "#9a6700", "#cf222e"];

    #[test]
    fn mermaid_dot_and_svg_draw_the_same_changes() {
        let (before, after) = changed_tree();
        let diff = tree_diff(Some(&before), Some(&after));
        let d = diagram(&Model::default(), "main", &after, Some(&diff));
        let model = Counts {
            boxes: CHANGES.map(|c| d.items.iter().filter(|i| i.change == c).count()),
            arrows: CHANGES.map(|c| d.edges.iter().filter(|e| e.change == c).count()),
        };
        // Something of each, so that a format that drops one cannot pass by agreeing on 0.
        assert!(
            model.boxes.iter().chain(&model.arrows).all(|&n| n > 0),
            "{model:?}"
        );

        let mermaid = planner::render::mermaid_diagrams(std::slice::from_ref(&d));
        let mermaid = Counts {
            boxes: CHANGES.map(|c| {
                mermaid
                    .lines()
                    .filter_map(|l| l.trim().strip_prefix("class "))
                    .filter_map(|l| l.strip_suffix(&format!(" {}", c.class())))
                    .map(|ids| ids.split(',').count())
                    .sum()
            }),
            arrows: COLOURS.map(|colour| {
                mermaid
                    .lines()
                    .filter(|l| l.trim().starts_with("linkStyle") && l.contains(colour))
                    .count()
            }),
        };
        let dot = dot::dot(std::slice::from_ref(&d));
        let dot_lines = |drawn: &str, colour: &str| {
            dot.lines()
                .filter(|l| l.contains(drawn) && l.contains(&format!("color=\"{colour}\"")))
                .count()
        };
        let dot = Counts {
            boxes: COLOURS.map(|colour| dot_lines(" [shape=", colour)),
            arrows: COLOURS.map(|colour| dot_lines(" -> ", colour)),
        };
        let svg = svg::document(std::slice::from_ref(&d));
        let svg = Counts {
            boxes: CHANGES.map(|c| {
                // `<g class="node menu removed" ...>`
                svg.split("<g class=\"node ")
                    .skip(1)
                    .filter(|rest| rest.split('"').next().unwrap().ends_with(c.class()))
                    .count()
            }),
            arrows: CHANGES.map(|c| {
                svg.matches(&format!("class=\"edge {}\"", c.class()))
                    .count()
            }),
        };
        assert_eq!(mermaid, model, "Mermaid");
        assert_eq!(dot, model, "DOT");
        assert_eq!(svg, model, "SVG");
    }
}
