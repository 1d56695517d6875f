//! `switchboard validate`: every offline check of a spec, flow tests included; no network.

use crate::Exit;
use crate::cli::{DiagnosticFormat, Global, ValidateArgs};
use crate::specfile::{self, Style};

pub fn run(global: &Global, args: ValidateArgs) -> anyhow::Result<Exit> {
    let (loaded, sources) = specfile::load(&args.path)?;
    let failed = loaded.errors() > 0 || (args.strict && loaded.warnings() > 0);
    let output = match args.format {
        DiagnosticFormat::Json => specfile::render_json(&loaded, args.strict),
        DiagnosticFormat::Human => {
            let mut text = specfile::render_human(&loaded, &sources, &Style::for_stdout(global));
            if let Some(spec) = &loaded.spec {
                let verdict = if failed {
                    "fails with --strict"
                } else {
                    "is valid"
                };
                text.push_str(&format!(
                    "`{}` {verdict}: {}\n",
                    args.path.display(),
                    contents(spec)
                ));
            }
            text
        }
    };
    crate::output::print(&output)?;
    Ok(if failed { Exit::Problems } else { Exit::Ok })
}

/// `3 numbers, 2 IVR trees (9 nodes), ...; 5 flow tests passed`.
fn contents(spec: &spec::Spec) -> String {
    let model = &spec.model;
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let nodes: usize = model.ivr.values().map(|t| t.nodes.len()).sum();
    let tests = match spec.tests.len() {
        0 => "no flow tests".to_owned(),
        n => format!("{} passed", plural(n, "flow test", "flow tests")),
    };
    format!(
        "{}, {} ({}), {}, {}, {}, {}; {tests}",
        plural(model.numbers.len(), "number", "numbers"),
        plural(model.ivr.len(), "IVR tree", "IVR trees"),
        plural(nodes, "node", "nodes"),
        plural(model.queues.len(), "queue", "queues"),
        plural(model.groups.len(), "group", "groups"),
        plural(model.agents.len(), "agent", "agents"),
        plural(model.audio.len(), "audio file", "audio files"),
    )
}
