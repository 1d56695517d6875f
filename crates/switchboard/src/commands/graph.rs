//! `switchboard graph`: IVR trees as Mermaid (for Markdown), Graphviz DOT, or SVG drawn here
//! without any external program.

use planner::render::Diagram;
use spec::Model;

use crate::Exit;
use crate::cli::{Global, GraphArgs, GraphFormat};
use crate::render;
use crate::specfile;

pub fn run(global: &Global, args: GraphArgs) -> anyhow::Result<Exit> {
    let spec = specfile::load_valid(args.path.as_deref(), global)?;
    let model = &spec.model;
    let diagrams: Vec<Diagram> = pick_trees(model, args.tree.as_deref())?
        .into_iter()
        .map(|name| render::diagram(model, name, &model.ivr[name], None))
        .collect();
    let out = match args.format {
        GraphFormat::Mermaid => planner::render::mermaid_diagrams(&diagrams),
        GraphFormat::Dot => render::dot::dot(&diagrams),
        GraphFormat::Svg => render::svg::document(&diagrams),
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
