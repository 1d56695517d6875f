//! `switchboard render`: the resolved spec of one environment (its `vars:` substituted, its
//! `include:` files merged in) as plain YAML, one file per kind, what a reviewer reads to see
//! exactly what that environment's project gets. Secrets stay placeholders
//! (`${secret.NAME}`); no network.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;

use crate::Exit;
use crate::cli::{Global, RenderArgs};
use crate::specfile;

pub fn run(global: &Global, args: RenderArgs) -> anyhow::Result<Exit> {
    if let Some(out) = &args.out {
        files::dir_writable(out).with_context(|| format!("cannot write to `{}`", out.display()))?;
    }
    let spec = specfile::load_valid(args.path.as_deref(), global)?;
    let Some(environment) = &spec.environment else {
        anyhow::bail!(
            "`{}` declares no `environments:`: it is already plain YAML, and `switchboard \
             export` writes a live project's",
            specfile::shown(args.path.as_deref())
        );
    };
    let files = rendered(&spec.model, environment);
    match &args.out {
        Some(out) => {
            write(out, &files)?;
            crate::output::eprintln(format_args!(
                "wrote the spec of environment `{}` to {} ({} file{})",
                spec::text::terminal(&environment.name),
                out.display(),
                files.len(),
                if files.len() == 1 { "" } else { "s" }
            ));
        }
        None => {
            let mut text = String::new();
            for (name, body) in &files {
                text.push_str(&format!("# ---- {name}\n{body}"));
            }
            crate::output::print(&text)?;
        }
    }
    Ok(Exit::Ok)
}

/// The model as spec files, each secret written back as its `${secret.NAME}` placeholder.
fn rendered(model: &spec::Model, environment: &spec::Environment) -> BTreeMap<String, String> {
    let mut model = model.clone();
    let placeholders: Vec<(String, String)> = environment
        .secrets
        .iter()
        .map(|(name, value)| (value.expose().to_owned(), format!("${{secret.{name}}}")))
        .collect();
    let placed = |url: &mut Option<spec::model::Sensitive>| {
        if let Some(value) = url
            && value.has_secrets()
        {
            let mut real = value.expose().unwrap_or_default().to_owned();
            for (secret, placeholder) in &placeholders {
                real = real.replace(secret.as_str(), placeholder);
            }
            *value = spec::model::Sensitive::new(real);
        }
    };
    if let Some(settings) = &mut model.settings {
        placed(&mut settings.event_url);
        placed(&mut settings.get_customer_info_url);
        placed(&mut settings.callout_answer_url);
    }
    for queue in model.queues.values_mut() {
        placed(&mut queue.get_list_agents_url);
    }
    spec::emit(&model, "")
        .into_iter()
        .map(|(name, text)| {
            // The emitter writes `${` as `$${` (a literal); a placeholder is meant as one.
            let mut text = text;
            for name_ in environment.secrets.keys() {
                text = text.replace(
                    &format!("$${{secret.{name_}}}"),
                    &format!("${{secret.{name_}}}"),
                );
            }
            let text = text
                .lines()
                .filter(|line| !line.starts_with("# yaml-language-server: $schema="))
                .map(|line| format!("{line}\n"))
                .collect::<String>();
            (name, text)
        })
        .collect()
}

/// Writes each file into `out` through the checked writer (never through a link, never onto
/// a device or a directory).
fn write(out: &Path, files: &BTreeMap<String, String>) -> anyhow::Result<()> {
    files::ensure_dir(out).with_context(|| format!("cannot write to `{}`", out.display()))?;
    for (name, text) in files {
        let path = out.join(name);
        files::write(&path, text.as_bytes())
            .with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    Ok(())
}
