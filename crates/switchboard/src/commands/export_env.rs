//! `switchboard export --env NAME [PATH]`: the live project of one environment written into
//! that environment's first `include:` directory, as far as the spec's other files (the
//! shared ones, and any other file the environment includes) do not already declare it. What
//! they declare is theirs: the export never writes a second definition of it, and never
//! touches them. Then `plan --env NAME` of the spec shows no changes, unless the shared files
//! describe something differently from the live project, which is said.
//!
//! The directory is named by the spec, which is attacker input on a pull request: it must be
//! a relative path inside the spec root, without `..`, hidden names or symbolic links on the
//! way, and the files in it are written by `export`'s own checked writer.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context as _, bail};
use spec::Model;

use super::export::{self as whole, EXPORT_FILES};
use crate::Exit;
use crate::cli::{ExportArgs, Global};
use crate::pipeline;
use crate::specfile::{self, Sources, Style};
use crate::target::{self, Access};

pub fn run(global: &Global, args: &ExportArgs, env: &str) -> anyhow::Result<Exit> {
    if let Some(out) = &args.out {
        bail!(
            "--out {} and --env `{}` (or SWITCHBOARD_ENV) together: an environment's export \
             goes into its first `include:` directory; leave out --out, or leave out --env to \
             export the whole project to --out",
            out.display(),
            spec::text::terminal(env)
        );
    }
    let path = args.path.as_deref();
    let shown = specfile::shown(path);
    let (sources, root) = specfile::read(path)?;
    let declared = spec::declared(&sources.files);
    if declared.is_empty() {
        bail!(
            "`{shown}` declares no `environments:`, so `--env {}` names none; without --env, \
             `export --out DIR` writes the whole live project",
            spec::text::terminal(env)
        );
    }
    let Some(declaration) = declared.get(env) else {
        let names: Vec<String> = declared
            .keys()
            .map(|n| format!("`{}`", spec::text::terminal(n)))
            .collect();
        bail!(
            "environment `{}` is not declared in `{shown}`; it declares {}",
            spec::text::terminal(env),
            names.join(", ")
        );
    };
    let written = export_dir(env, &declaration.include)?;
    check_dir(&root, written).with_context(|| {
        format!(
            "cannot export environment `{}` into its `include:` directory {}",
            spec::text::terminal(env),
            spec::text::terminal(&format!("`{written}`"))
        )
    })?;
    let dir = Path::new(root.shown()).join(written);
    whole::check_out_dir(&dir, args.force, whole::OutDir::Include { env })?;

    // The environment's files but those this export replaces: what they declare is theirs.
    let includes: BTreeMap<String, Vec<String>> = declared
        .iter()
        .map(|(name, d)| (name.clone(), d.include.clone()))
        .collect();
    let mut files = specfile::env_files(path, sources.files, &root, &includes, env);
    // Missing until this export creates it.
    files.unreadable.remove(written);
    let files_before: Vec<spec::Source> =
        files.base.iter().chain(&files.includes).cloned().collect();
    files
        .includes
        .retain(|f| !replaced(&dir, Path::new(&f.path), args.force));
    let theirs = declared_names(files.base.iter().chain(&files.includes));
    // Named anywhere the environment reads, the files about to be replaced included: a
    // previous export whose URL was edited to `${secret.NAME}` keeps it.
    let secrets = secrets_named(&files_before);

    let pending = target::resolve(&args.connection)?;
    crate::output::eprintln(pending.banner());
    pipeline::ensure_bound(Some(&declaration.binding(env)), &pending)?;
    let live = pipeline::runtime()?.block_on(async {
        let target = pending.connect(Access::Read).await?;
        let options = pcc::ReadOptions {
            concurrency: args.concurrency.max(1),
            ..pcc::ReadOptions::default()
        };
        let live = pipeline::read_live(&target, &options).await;
        target.shutdown().await;
        live
    })?;

    let (model, left_out) = spec::emit::expressible(&live.model);
    let mut mine = not_theirs(model, &theirs);
    let placed = place_secrets(&mut mine, &secrets);
    for item in &left_out {
        crate::output::eprintln(format_args!(
            "warning: {} {}; the export leaves it out and ignores it (see {}/ignore.yaml)",
            item.address,
            spec::text::terminal(&item.reason),
            dir.display()
        ));
    }
    let mut new = whole::export_files(&mine, &left_out);
    for text in new.values_mut() {
        for name in &placed {
            // The emitter writes `${` as the literal `$${`; a placeholder is meant as one.
            *text = text.replace(
                &format!("$${{secret.{name}}}"),
                &format!("${{secret.{name}}}"),
            );
        }
    }

    // Loaded as `plan --env` will load it, with the new files, before anything is written.
    for (name, text) in new.iter().filter(|(name, _)| name.ends_with(".yaml")) {
        files.includes.push(spec::Source {
            path: dir.join(name).display().to_string(),
            text: text.clone(),
        });
    }
    files.includes.sort_by(|a, b| a.path.cmp(&b.path));
    let loaded = specfile::load_files(&root, env, &files);
    let Some(spec) = loaded.spec.as_ref() else {
        let mut shown_files = files.base.clone();
        shown_files.extend(files.includes.iter().cloned());
        let sources = Sources {
            root: PathBuf::from(root.shown()),
            files: shown_files,
            skipped: Vec::new(),
        };
        crate::output::eprint(&specfile::render_human(
            &loaded,
            &sources,
            &Style::for_stderr(global),
        ));
        bail!(
            "with the export, environment `{}` would not be a valid spec ({} error{}, shown \
             above), so nothing was written to {}",
            spec::text::terminal(env),
            loaded.errors(),
            if loaded.errors() == 1 { "" } else { "s" },
            dir.display()
        );
    };
    crate::output::hide(pipeline::secret_values(spec));
    let plan = planner::plan(&spec.model, &live.model, &spec.policy);

    whole::write_files(&dir, &new)?;
    for (address, field) in whole::credentials(&mine)
        .into_iter()
        .filter(|(address, field)| !holds_placeholder(&mine, address, field))
    {
        crate::output::eprintln(format_args!(
            "warning: {address} `{field}` holds a credential (a password or a token in the \
             URL), written as it is to {}: keep those files out of public places",
            dir.display()
        ));
    }
    let yaml_files = new.keys().filter(|f| f.ends_with(".yaml")).count();
    pipeline::print_stdout(&format!(
        "Exported environment `{}` to {}: {yaml_files} spec file{} ({}), leaving what the \
         spec's other files declare to them.\n",
        spec::text::terminal(env),
        dir.display(),
        if yaml_files == 1 { "" } else { "s" },
        whole::summary(&mine),
    ))?;
    let changes = plan.changes();
    if !changes.is_empty() {
        let addresses: Vec<String> = changes
            .iter()
            .take(10)
            .map(|c| spec::text::terminal(&c.address.to_string()).into_owned())
            .collect();
        crate::output::eprintln(format_args!(
            "warning: the spec's other files, which the export leaves alone, differ from the \
             live project: `switchboard plan {shown} --env {}` will show {} change{} ({}{})",
            spec::text::terminal(env),
            changes.len(),
            if changes.len() == 1 { "" } else { "s" },
            addresses.join(", "),
            if changes.len() > 10 { ", ..." } else { "" }
        ));
    }
    Ok(Exit::Ok)
}

/// The directory an environment's export goes into: its first `include:` path that does not
/// name a YAML file.
fn export_dir<'a>(env: &str, include: &'a [String]) -> anyhow::Result<&'a str> {
    let is_file = |p: &str| {
        let p = p.to_ascii_lowercase();
        p.ends_with(".yaml") || p.ends_with(".yml")
    };
    match include.iter().find(|p| !is_file(p)) {
        Some(dir) => Ok(dir),
        None if include.is_empty() => bail!(
            "environment `{}` has no `include:` directory to export into: add one \
             (`include: [envs/{}]`) for the objects only it has",
            spec::text::terminal(env),
            spec::text::terminal(env)
        ),
        None => bail!(
            "environment `{}` includes only files ({}): export writes a directory of files; \
             add one to its `include:` (`envs/{}`)",
            spec::text::terminal(env),
            include
                .iter()
                .map(|p| format!("`{}`", spec::text::terminal(p)))
                .collect::<Vec<_>>()
                .join(", "),
            spec::text::terminal(env)
        ),
    }
}

/// Refuses an export directory, as the spec writes it, that is not a plain directory below
/// the spec root: the loader's rule for `include:` paths (relative, not out of the root),
/// and, since this one is written into, no `..` at all, no hidden name (`.git`), and no
/// symbolic link or non-directory on the way. What is missing of it is created later by the
/// checked writer.
fn check_dir(root: &files::Root, written: &str) -> anyhow::Result<()> {
    if let Some(why) = spec::include_problem(written) {
        bail!("{why}");
    }
    let mut at = root.real().to_path_buf();
    for part in Path::new(written).components() {
        let name = match part {
            Component::CurDir => continue,
            Component::Normal(name) => name,
            _ => bail!("write it without `..`: it is a path below the spec root"),
        };
        if name.as_encoded_bytes().starts_with(b".") {
            bail!(
                "`{}` is a hidden name, which switchboard neither reads nor writes",
                name.to_string_lossy()
            );
        }
        at.push(name);
        match std::fs::symlink_metadata(&at) {
            Ok(meta) if meta.file_type().is_symlink() => {
                bail!("`{}` is a symbolic link", at.display())
            }
            Ok(meta) if !meta.is_dir() => bail!("`{}` is not a directory", at.display()),
            Ok(_) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => break,
            Err(err) => return Err(err).with_context(|| format!("cannot read {}", at.display())),
        }
    }
    Ok(())
}

/// Whether the file at `path` (as found) is one the export into `dir` replaces: directly in
/// `dir`, named like an export's file, and written by one (or any such file, with --force).
fn replaced(dir: &Path, path: &Path, force: bool) -> bool {
    let normal = |p: &Path| -> PathBuf {
        p.components()
            .filter(|c| !matches!(c, Component::CurDir))
            .collect()
    };
    let in_dir = path.parent().is_some_and(|p| normal(p) == normal(dir));
    let named = path
        .file_name()
        .is_some_and(|n| EXPORT_FILES.contains(&n.to_string_lossy().as_ref()));
    in_dir && named && (force || whole::is_previous_export(path))
}

/// The `(section, name)`s that `sources` declare, and `("settings", "")` when one has
/// `settings:`.
fn declared_names<'a>(
    sources: impl Iterator<Item = &'a spec::Source>,
) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for source in sources {
        for (section, name) in spec::loose_names(&source.text).into_iter().flatten() {
            if section == "settings" {
                out.insert((section, String::new()));
            } else {
                out.insert((section, name));
            }
        }
    }
    out
}

/// Each `${secret.NAME}` the texts of `sources` name, with its value in the process
/// environment (`SWITCHBOARD_SECRET_NAME`, set and not empty).
fn secrets_named(sources: &[spec::Source]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for source in sources {
        let mut rest = source.text.as_str();
        while let Some(at) = rest.find("${secret.") {
            let escaped = rest[..at].ends_with('$');
            rest = &rest[at + "${secret.".len()..];
            let Some(end) = rest.find('}') else { break };
            let name = &rest[..end];
            if !escaped
                && !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                && let Some(value) = specfile::secret_now(name)
                && !value.is_empty()
            {
                out.insert(name.to_owned(), value);
            }
        }
    }
    out
}

/// Writes each of `secrets` found in `model`'s webhook URLs back as its `${secret.NAME}`
/// placeholder (longest value first), as `render` does, so that a token the live project
/// holds is never written to a file the spec names it in; answers the names placed.
fn place_secrets(model: &mut Model, secrets: &BTreeMap<String, String>) -> BTreeSet<String> {
    let mut by_length: Vec<(&String, &String)> = secrets.iter().collect();
    by_length.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(b.0)));
    let mut placed = BTreeSet::new();
    let mut place = |url: &mut Option<spec::model::Sensitive>| {
        let Some(real) = url.as_ref().and_then(|u| u.expose()).map(str::to_owned) else {
            return;
        };
        let mut text = real.clone();
        for (name, value) in &by_length {
            if text.contains(value.as_str()) {
                text = text.replace(value.as_str(), &format!("${{secret.{name}}}"));
                placed.insert((*name).clone());
            }
        }
        if text != real {
            *url = Some(spec::model::Sensitive::new(text));
        }
    };
    if let Some(settings) = &mut model.settings {
        place(&mut settings.event_url);
        place(&mut settings.get_customer_info_url);
        place(&mut settings.callout_answer_url);
    }
    for queue in model.queues.values_mut() {
        place(&mut queue.get_list_agents_url);
    }
    placed
}

/// Whether the value `credentials` found at `address` `field` is written with a
/// `${secret.NAME}` placeholder (then no credential is written as it is).
fn holds_placeholder(model: &Model, address: &str, field: &str) -> bool {
    let value = if address == "settings" {
        model.settings.as_ref().and_then(|s| match field {
            "event_url" => s.event_url.as_ref(),
            "get_customer_info_url" => s.get_customer_info_url.as_ref(),
            _ => s.callout_answer_url.as_ref(),
        })
    } else {
        model
            .queues
            .iter()
            .find(|(name, _)| spec::Address::Queue((*name).clone()).to_string() == address)
            .and_then(|(_, q)| q.get_list_agents_url.as_ref())
    };
    value
        .and_then(|v| v.expose())
        .is_some_and(|v| v.contains("${secret."))
}

/// `model` without what `theirs` declares.
fn not_theirs(mut model: Model, theirs: &BTreeSet<(String, String)>) -> Model {
    let has = |section: &str, name: &str| theirs.contains(&(section.to_owned(), name.to_owned()));
    if has("settings", "") {
        model.settings = None;
    }
    // Audio is matched by content when planned; here by the name it would be written under.
    model.audio.retain(|_, audio| !has("audio", &audio.name));
    model.agents.retain(|name, _| !has("agents", name));
    model.groups.retain(|name, _| !has("groups", name));
    model.queues.retain(|name, _| !has("queues", name));
    model.ivr.retain(|name, _| !has("ivr", name));
    model.numbers.retain(|name, _| !has("numbers", name));
    if let Some(blacklist) = &mut model.blacklist {
        blacklist.retain(|digits, _| !has("blacklist", digits));
    }
    if model.blacklist.as_ref().is_some_and(BTreeMap::is_empty) {
        // Nothing of its own: the spec's other files manage the blacklist, or nothing does.
        model.blacklist = None;
    }
    model
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_directory_is_a_plain_directory_below_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().join("spec");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(spec.join("envs/staging")).unwrap();
        std::fs::create_dir_all(spec.join(".git/hooks")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(spec.join("envs/file"), "").unwrap();
        std::os::unix::fs::symlink(&outside, spec.join("envs/linked")).unwrap();
        std::os::unix::fs::symlink(spec.join("envs/staging"), spec.join("inside-link")).unwrap();
        let root = files::Root::new(&spec).unwrap();
        for ok in ["envs/staging", "./envs/staging/", "envs/new/deeper", "new"] {
            check_dir(&root, ok).unwrap_or_else(|e| panic!("{ok}: {e:#}"));
        }
        for (hostile, why) in [
            ("../outside", "it leads outside the spec root"),
            ("../../etc", "it leads outside the spec root"),
            ("/etc", "it is an absolute path"),
            ("envs/../envs/staging", "write it without `..`"),
            (".git/hooks", "`.git` is a hidden name"),
            ("envs/.hidden", "`.hidden` is a hidden name"),
            ("envs/linked", "is a symbolic link"),
            ("envs/linked/deeper", "is a symbolic link"),
            // A link that stays inside the root is refused too: the writer never follows one.
            ("inside-link", "is a symbolic link"),
            ("envs/file", "is not a directory"),
            ("", "the path is empty"),
        ] {
            let err = format!("{:#}", check_dir(&root, hostile).unwrap_err());
            assert!(err.contains(why), "{hostile}: {err}");
        }
    }

    #[test]
    fn the_export_directory_is_the_first_include_that_is_not_a_file() {
        let include = |paths: &[&str]| paths.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            export_dir("s", &include(&["common.yaml", "envs/s", "more"])).unwrap(),
            "envs/s"
        );
        let err = export_dir("s", &[]).unwrap_err().to_string();
        assert!(err.contains("has no `include:` directory"), "{err}");
        let err = export_dir("s", &include(&["a.yml", "b.YAML"]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("includes only files (`a.yml`, `b.YAML`)"),
            "{err}"
        );
    }

    #[test]
    fn what_other_files_declare_is_left_to_them() {
        let mut live = Model::default();
        for (name, agent) in [("alice", "Alice"), ("qa-bob", "QA Bob")] {
            live.agents.insert(
                name.to_owned(),
                spec::model::Agent {
                    name: agent.to_owned(),
                    routing: spec::model::AgentRouting::App,
                    phone_number: None,
                    out_of_hours_callout: None,
                },
            );
        }
        live.settings = Some(spec::model::CallSettings::default());
        let shared = spec::Source {
            path: "people.yaml".to_owned(),
            text: "agents:\n  alice: { name: Alice }\nsettings: { event_url: \"https://x\" }\n"
                .to_owned(),
        };
        let theirs = declared_names(std::iter::once(&shared));
        let mine = not_theirs(live, &theirs);
        assert_eq!(mine.agents.keys().collect::<Vec<_>>(), ["qa-bob"]);
        assert!(mine.settings.is_none());
    }
}
