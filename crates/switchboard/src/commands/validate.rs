//! `switchboard validate`: every offline check of a spec, flow tests included; no network.

use crate::Exit;
use crate::ci;
use crate::cli::{DiagnosticFormat, Global, ValidateArgs};
use crate::specfile::{self, Style};

pub fn run(global: &Global, args: ValidateArgs) -> anyhow::Result<Exit> {
    if args.show_files {
        let (sources, _) = specfile::read(args.path.as_deref())?;
        return show_files(&sources);
    }
    let (loaded, sources, each) = specfile::load_every(args.path.as_deref(), global.env())?;
    crate::output::eprint(&sources.notes());
    let failed = loaded.errors() > 0 || (args.strict && loaded.warnings() > 0);
    let output = match args.format {
        DiagnosticFormat::Json => specfile::render_json(&loaded, args.strict),
        DiagnosticFormat::Sarif => ci::sarif::render(&loaded, &sources, args.docs_url.as_deref()),
        DiagnosticFormat::Junit => ci::junit::render(&loaded, &sources, args.strict),
        DiagnosticFormat::Gitlab => ci::gitlab::render(&loaded, &sources),
        DiagnosticFormat::Github => {
            let (commands, summary) = ci::github::render(&loaded, &sources);
            crate::output::print_workflow_commands(&commands, &summary)?;
            return Ok(exit(failed));
        }
        DiagnosticFormat::Human => {
            let mut text = specfile::render_human(&loaded, &sources, &Style::for_stdout(global));
            if let Some(each) = &each {
                for (name, loaded) in each {
                    let Some(spec) = &loaded.spec else { continue };
                    let verdict = if args.strict && loaded.warnings() > 0 {
                        "fails with --strict"
                    } else {
                        "is valid"
                    };
                    text.push_str(&format!(
                        "`{}` {verdict} in environment `{}`: {}\n",
                        specfile::shown(args.path.as_deref()),
                        spec::text::terminal(name),
                        contents(spec)
                    ));
                }
            } else if let Some(spec) = &loaded.spec {
                let verdict = if failed {
                    "fails with --strict"
                } else {
                    "is valid"
                };
                let environment = spec
                    .environment
                    .as_ref()
                    .map(|e| format!(" in environment `{}`", spec::text::terminal(&e.name)))
                    .unwrap_or_default();
                text.push_str(&format!(
                    "`{}` {verdict}{environment}: {}\n",
                    specfile::shown(args.path.as_deref()),
                    contents(spec)
                ));
            }
            text
        }
    };
    crate::output::print(&output)?;
    Ok(exit(failed))
}

fn exit(failed: bool) -> Exit {
    if failed { Exit::Problems } else { Exit::Ok }
}

/// `--show-files`: the spec root, each file read, then each YAML file left out with why.
fn show_files(sources: &specfile::Sources) -> anyhow::Result<Exit> {
    let mut out = format!("spec root: {}\n", sources.root.display());
    for file in &sources.files {
        out.push_str(&format!("read: {}\n", file.path));
    }
    for skipped in &sources.skipped {
        out.push_str(&format!("{skipped}\n"));
    }
    crate::output::print(&out)?;
    Ok(Exit::Ok)
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
