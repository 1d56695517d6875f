//! `switchboard graph`: IVR trees as Mermaid (for Markdown), Graphviz DOT, or SVG drawn here
//! without any external program.

use std::collections::BTreeMap;

use spec::Model;
use spec::model::AudioId;

use crate::Exit;
use crate::cli::{Global, GraphArgs, GraphFormat};
use crate::render::{self, Drawing};
use crate::specfile;

pub fn run(global: &Global, args: GraphArgs) -> anyhow::Result<Exit> {
    let spec = specfile::load_valid(args.path.as_deref(), global)?;
    let model = &spec.model;
    let trees = pick_trees(model, args.tree.as_deref())?;
    let out = match args.format {
        GraphFormat::Mermaid => {
            let entries: Vec<Vec<String>> = trees
                .iter()
                .map(|name| match render::entry_numbers(model, name) {
                    // As the DOT and SVG drawings say it.
                    none if none.is_empty() => vec!["no number routes here".to_owned()],
                    numbers => numbers,
                })
                .collect();
            let charts: Vec<planner::render::Chart<'_>> = trees
                .iter()
                .zip(&entries)
                .map(|(name, entry)| planner::render::Chart {
                    name,
                    tree: &model.ivr[*name],
                    diff: None,
                    entry,
                })
                .collect();
            planner::render::mermaid_charts(&charts, &audio_names(model))
        }
        GraphFormat::Dot => render::dot::dot(&drawings(model, &trees)),
        GraphFormat::Svg => render::svg::document(&drawings(model, &trees)),
    };
    crate::output::print(&out)?;
    Ok(Exit::Ok)
}

/// The trees to draw: the one asked for, or all of them, by name.
fn pick_trees<'m>(model: &'m Model, wanted: Option<&str>) -> anyhow::Result<Vec<&'m str>> {
    let all: Vec<&str> = model.ivr.keys().map(String::as_str).collect();
    match wanted {
        None if all.is_empty() => anyhow::bail!("the spec has no IVR trees to draw"),
        None => Ok(all),
        Some(name) if model.ivr.contains_key(name) => Ok(vec![
            model.ivr.get_key_value(name).expect("checked").0.as_str(),
        ]),
        Some(name) => {
            let listed: Vec<String> = all.iter().map(|t| format!("`{t}`")).collect();
            if listed.is_empty() {
                anyhow::bail!("no IVR tree `{name}`: the spec has no IVR trees")
            }
            anyhow::bail!(
                "no IVR tree `{name}`; the spec's trees are {}",
                listed.join(", ")
            )
        }
    }
}

fn drawings(model: &Model, trees: &[&str]) -> Vec<Drawing> {
    trees
        .iter()
        .map(|name| render::drawing(model, name, &model.ivr[*name], None))
        .collect()
}

/// Audio names by content id, for showing audio prompts by name.
pub fn audio_names(model: &Model) -> BTreeMap<AudioId, String> {
    model
        .audio
        .iter()
        .map(|(id, a)| (id.clone(), a.name.clone()))
        .collect()
}
