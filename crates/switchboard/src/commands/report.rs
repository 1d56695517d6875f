//! `switchboard report`: one self-contained HTML page for reviewers (trees, routing, flow
//! tests; with `--plan`, the plan's changes highlighted). Offline: reads the spec and,
//! optionally, a saved plan; never the live project.

use anyhow::Context;

use crate::Exit;
use crate::cli::{Global, ReportArgs};
use crate::render::html;
use crate::specfile;

pub fn run(global: &Global, args: ReportArgs) -> anyhow::Result<Exit> {
    files::writable(&args.out).with_context(|| format!("cannot write `{}`", args.out.display()))?;
    let spec = specfile::load_valid(args.path.as_deref(), global)?;
    let plan = match &args.plan {
        Some(path) => {
            // Only drawn, never applied: no key is needed, and none is checked.
            let text = crate::pipeline::read_saved_text(path)?;
            Some(planner::saved::from_json(&text).with_context(|| {
                format!(
                    "`{}` is not a saved plan (`switchboard plan --out`)",
                    path.display()
                )
            })?)
        }
        None => None,
    };
    let page = html::page(&html::Page {
        spec: &spec,
        source: &specfile::shown(args.path.as_deref()).to_string(),
        plan: plan.as_ref(),
    });
    // A committed `report.html` may be a link: never written through (`files::write`).
    files::write(&args.out, page.as_bytes())
        .with_context(|| format!("cannot write `{}`", args.out.display()))?;
    crate::output::eprintln(format_args!("wrote {}", args.out.display()));
    Ok(Exit::Ok)
}
