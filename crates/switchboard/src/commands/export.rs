//! `switchboard export`: the live project as spec YAML, one file per kind, byte-identical from
//! one run to the next, so that `plan` of the export shows no changes. What a spec cannot
//! describe is `spec::emit::expressible`'s to decide (with the loader's own rules) and
//! `ignore.yaml` is `spec::emit::ignore_file`; this module reads the live project, checks the
//! output directory, writes the files once they load back, and reports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use spec::Address;
use spec::Model;
use spec::emit::LeftOut;

use crate::Exit;
use crate::cli::{ExportArgs, Global};
use crate::pipeline;
use crate::specfile::{self, Sources, Style};

/// The JSON Schema, written beside the YAML so that editors check the export.
const SCHEMA_FILE: &str = "switchboard.schema.json";
/// The list of live objects the export leaves out.
const IGNORE_FILE: &str = "ignore.yaml";
/// The line that marks a YAML file as written by `export` (second, after the schema line):
/// `export` overwrites or removes only files that carry it, so that a hand-written `ivr.yaml`
/// is never taken for a previous export because of its name.
const MARK: &str = "# Exported by switchboard from the live PCC project; `switchboard export` \
                    rewrites this file.";
/// How [`MARK`] is recognised: its start, in the comment lines that open a file.
const MARK_PREFIX: &str = "# Exported by switchboard";
/// The `title` of the JSON Schema, which marks `switchboard.schema.json` (JSON has no
/// comments).
const SCHEMA_TITLE: &str = "switchboard spec";
/// Every file an export may write; a directory holding only these, each marked, is a previous
/// export.
pub(crate) const EXPORT_FILES: [&str; 10] = [
    "settings.yaml",
    "audio.yaml",
    "agents.yaml",
    "groups.yaml",
    "queues.yaml",
    "ivr.yaml",
    "numbers.yaml",
    "blacklist.yaml",
    IGNORE_FILE,
    SCHEMA_FILE,
];

pub fn run(global: &Global, args: ExportArgs) -> anyhow::Result<Exit> {
    if let Some(env) = global.env() {
        return super::export_env::run(global, &args, env);
    }
    if let Some(path) = &args.path {
        bail!(
            "`{}` names a spec, which only `export --env NAME` reads (it writes into that \
             environment's `include:` directory); without --env, export writes the whole live \
             project to --out",
            path.display()
        );
    }
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("export"));
    check_out_dir(&out, args.force, OutDir::Out)?;
    let live = pipeline::runtime()?.block_on(async {
        let target = pipeline::connect(&args.connection).await?;
        let options = pcc::ReadOptions {
            concurrency: args.concurrency.max(1),
            ..pcc::ReadOptions::default()
        };
        let live = pipeline::read_live(&target, &options).await;
        target.shutdown().await;
        live
    })?;

    let (mut model, left_out) = spec::emit::expressible(&live.model);
    if model.blacklist.as_ref().is_some_and(BTreeMap::is_empty) {
        // A project without blacklist entries exports a spec that does not manage them.
        model.blacklist = None;
    }
    for item in &left_out {
        let what = if item.address == Address::Settings {
            "the export leaves them out, so the spec does not manage them"
        } else {
            "the export leaves it out and ignores it"
        };
        crate::output::eprintln(format_args!(
            "warning: {} {}; {what} (see {IGNORE_FILE})",
            item.address,
            spec::text::terminal(&item.reason)
        ));
    }
    let files = export_files(&model, &left_out);
    let warnings = write_valid(&out, &files, global)?;
    for (address, field) in credentials(&model) {
        // A spec says what apply writes, so the export holds the value itself.
        crate::output::eprintln(format_args!(
            "warning: {address} `{field}` holds a credential (a password or a token in the \
             URL), written as it is to the export in {}: keep those files out of public places",
            out.display()
        ));
    }

    let yaml_files = files.keys().filter(|f| f.ends_with(".yaml")).count();
    pipeline::print_stdout(&format!(
        "Exported the live project to {}: {yaml_files} spec file{} ({}{}).\n",
        out.display(),
        if yaml_files == 1 { "" } else { "s" },
        summary(&model),
        // The settings are left out, not ignored (`ignore:` cannot name them).
        match left_out
            .iter()
            .filter(|l| l.address != Address::Settings)
            .count()
        {
            0 => String::new(),
            n => format!("; {n} live object{} ignored", if n == 1 { "" } else { "s" }),
        },
    ))?;
    if warnings > 0 {
        crate::output::eprintln(format_args!(
            "note: the export has {warnings} warning{} (run `switchboard validate {}` to see them)",
            if warnings == 1 { "" } else { "s" },
            out.display()
        ));
    }
    Ok(Exit::Ok)
}

/// The values of `model` that hold a credential, by address and field.
pub(crate) fn credentials(model: &Model) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    if let Some(settings) = &model.settings {
        for (field, value) in [
            ("event_url", &settings.event_url),
            ("get_customer_info_url", &settings.get_customer_info_url),
            ("callout_answer_url", &settings.callout_answer_url),
        ] {
            if value
                .as_ref()
                .is_some_and(spec::model::Sensitive::is_sensitive)
            {
                out.push(("settings".to_owned(), field));
            }
        }
    }
    for (name, queue) in &model.queues {
        if queue
            .get_list_agents_url
            .as_ref()
            .is_some_and(spec::model::Sensitive::is_sensitive)
        {
            out.push((
                Address::Queue(name.clone()).to_string(),
                "get_list_agents_url",
            ));
        }
    }
    out
}

/// `312 agents, 12 groups, ...`, kinds with nothing left out.
pub(crate) fn summary(model: &Model) -> String {
    let nodes: usize = model.ivr.values().map(|t| t.nodes.len()).sum();
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut parts = Vec::new();
    for (n, part) in [
        (
            model.numbers.len(),
            plural(model.numbers.len(), "number", "numbers"),
        ),
        (
            model.ivr.len(),
            format!(
                "{} ({})",
                plural(model.ivr.len(), "IVR tree", "IVR trees"),
                plural(nodes, "node", "nodes")
            ),
        ),
        (
            model.queues.len(),
            plural(model.queues.len(), "queue", "queues"),
        ),
        (
            model.groups.len(),
            plural(model.groups.len(), "group", "groups"),
        ),
        (
            model.agents.len(),
            plural(model.agents.len(), "agent", "agents"),
        ),
        (
            model.audio.len(),
            plural(model.audio.len(), "audio file", "audio files"),
        ),
        (
            model.blacklist.as_ref().map_or(0, BTreeMap::len),
            plural(
                model.blacklist.as_ref().map_or(0, BTreeMap::len),
                "blacklisted number",
                "blacklisted numbers",
            ),
        ),
    ] {
        if n > 0 {
            parts.push(part);
        }
    }
    if parts.is_empty() {
        "an empty project".to_owned()
    } else {
        parts.join(", ")
    }
}

/// Refuses to write into a directory that holds anything but a previous export (hidden
/// entries aside), unless forced. A missing directory is fine.
/// Where an export writes, as its refusal names it: `--out DIR`, or an environment's
/// `include:` directory (which the user did not type, so `--out` would mislead).
pub(crate) enum OutDir<'a> {
    Out,
    Include { env: &'a str },
}

pub(crate) fn check_out_dir(out: &Path, force: bool, called: OutDir<'_>) -> anyhow::Result<()> {
    // Never a link (its target would be written into), nor a file, a FIFO...
    files::dir_writable(out).with_context(|| format!("cannot write to `{}`", out.display()))?;
    let entries = match std::fs::read_dir(out) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(err).with_context(|| format!("cannot read {}", out.display())),
    };
    let mut foreign = BTreeSet::new();
    let mut named_like_ours = false;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read {}", out.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        let ours = is_file && EXPORT_FILES.contains(&name.as_str());
        if !(ours && is_previous_export(&entry.path())) {
            named_like_ours |= ours;
            foreign.insert(name);
        }
    }
    if foreign.is_empty() || force {
        return Ok(());
    }
    let shown: Vec<String> = foreign.iter().take(5).map(|n| format!("`{n}`")).collect();
    let more = match foreign.len() {
        n if n > 5 => format!(" and {} more", n - 5),
        _ => String::new(),
    };
    let named = if named_like_ours {
        format!(
            "; a file named like an export's is one only if it carries the line \
             `{MARK_PREFIX} ...` that export writes"
        )
    } else {
        String::new()
    };
    let (dir, instead) = match called {
        OutDir::Out => (
            format!("--out {}", out.display()),
            "choose another --out, or pass --force",
        ),
        OutDir::Include { env } => (
            format!(
                "environment `{}`'s `include:` directory {}",
                spec::text::terminal(env),
                out.display()
            ),
            "move them out, or pass --force",
        ),
    };
    bail!(
        "{dir} holds files an export did not write ({}{more}){named}; export writes into an \
         empty directory or over a previous export: {instead} to write there anyway (files \
         named like the export's are overwritten, others kept)",
        shown.join(", "),
    )
}

/// True when the file at `path` was written by an export: a YAML file whose opening comment
/// lines hold [`MARK`], or a JSON Schema titled [`SCHEMA_TITLE`]. A file that cannot be read
/// is not.
pub(crate) fn is_previous_export(path: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    if path.extension().is_some_and(|e| e == "json") {
        return serde_json::from_str::<serde_json::Value>(&text)
            .is_ok_and(|schema| schema["title"] == SCHEMA_TITLE);
    }
    text.lines()
        .map(str::trim_end)
        .take_while(|l| l.starts_with('#') || l.is_empty())
        .any(|l| l.starts_with(MARK_PREFIX))
}

/// The files of the export: `spec::emit`'s, `ignore.yaml` when something was left out, and
/// the JSON Schema they point at.
pub(crate) fn export_files(model: &Model, left_out: &[LeftOut]) -> BTreeMap<String, String> {
    let mut files = spec::emit(model, SCHEMA_FILE);
    if !left_out.is_empty() {
        let ignore = spec::emit::ignore_file(left_out, SCHEMA_FILE);
        files.insert(IGNORE_FILE.to_owned(), ignore);
    }
    for text in files.values_mut() {
        // After the schema line, which the YAML language server wants first.
        let at = text.find('\n').map_or(0, |i| i + 1);
        text.insert_str(at, &format!("{MARK}\n"));
    }
    files.insert(SCHEMA_FILE.to_owned(), spec::json_schema());
    files
}

/// Loads `files` back as a spec before anything is written, and writes them only if they are
/// a valid one (an export that is not would make the next `plan` of it fail, or plan the
/// wrong thing); answers the warnings. Errors are drawn on stderr.
fn write_valid(
    out: &Path,
    files: &BTreeMap<String, String>,
    global: &Global,
) -> anyhow::Result<usize> {
    let (problems, warnings) = validate_export(out, files, global);
    if problems > 0 {
        bail!(
            "the export is not a valid spec ({problems} error{}, shown above), so nothing was \
             written to {}: the live project holds something the spec cannot describe; fix it \
             in PCC, or report it as a bug in export",
            if problems == 1 { "" } else { "s" },
            out.display(),
        );
    }
    write_files(out, files)?;
    Ok(warnings)
}

/// Writes every file (each replaced whole), then removes files of a previous export that
/// this one does not have (a kind that is now empty); a file named like one but not marked as
/// an export's stays. Every file is written beside its place first and renamed only once all
/// are written, so that a write that fails (a full disk) leaves the previous export whole
/// rather than half replaced, which could reference what the other half no longer has. The
/// directory and every file in it go through the checked writer (`files`): never through a
/// symbolic link, never onto a device, a FIFO or a directory.
pub(crate) fn write_files(out: &Path, files: &BTreeMap<String, String>) -> anyhow::Result<()> {
    files::ensure_dir(out).with_context(|| format!("cannot write to `{}`", out.display()))?;
    let staged = files
        .iter()
        .map(|(name, text)| {
            let path = out.join(name);
            files::stage(&path, text.as_bytes())
                .with_context(|| format!("cannot write `{}`", path.display()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    for (staged, name) in staged.into_iter().zip(files.keys()) {
        staged
            .commit()
            .with_context(|| format!("cannot write `{}`", out.join(name).display()))?;
    }
    for name in EXPORT_FILES {
        let path = out.join(name);
        let is_file = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_file());
        if !files.contains_key(name) && is_file && is_previous_export(&path) {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove the stale {}", path.display()))?;
        }
    }
    Ok(())
}

/// Loads the files about to be written as `validate` would, draws any errors on stderr, and
/// answers (errors, warnings). Other YAML files in the directory (kept with `--force`) are not
/// checked: they are not the export's.
fn validate_export(
    out: &Path,
    files: &BTreeMap<String, String>,
    global: &Global,
) -> (usize, usize) {
    let sources: Vec<spec::Source> = files
        .iter()
        .filter(|(name, _)| name.ends_with(".yaml"))
        .map(|(name, text)| spec::Source {
            path: out.join(name).display().to_string(),
            text: text.clone(),
        })
        .collect();
    // An export names audio by content hash or server file, never by a file to upload.
    let no_files = |_: &str| Err("an export has no audio files".to_owned());
    let mut loaded = spec::load(&sources, &no_files);
    let (errors, warnings) = (loaded.errors(), loaded.warnings());
    if errors > 0 {
        loaded
            .diagnostics
            .retain(|d| d.severity == spec::Severity::Error);
        let sources = Sources {
            root: PathBuf::from(out),
            files: sources,
            skipped: Vec::new(),
        };
        crate::output::eprint(&specfile::render_human(
            &loaded,
            &sources,
            &Style::for_stderr(global),
        ));
    }
    (errors, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exported_file_is_marked_after_its_schema_line() {
        // Something left out, so that `ignore.yaml` is written too.
        let mut live = Model::default();
        let agent = spec::model::Agent {
            name: "Alice".into(),
            routing: spec::model::AgentRouting::App,
            phone_number: None,
            out_of_hours_callout: None,
        };
        live.agents.insert("alice ".into(), agent);
        let (model, left_out) = spec::emit::expressible(&live);
        let files = export_files(&model, &left_out);
        assert!(files.contains_key(IGNORE_FILE));
        for (name, text) in &files {
            let mut lines = text.lines();
            if name.ends_with(".yaml") {
                assert_eq!(
                    lines.next(),
                    Some(format!("# yaml-language-server: $schema={SCHEMA_FILE}").as_str())
                );
                assert_eq!(lines.next(), Some(MARK), "{name}");
            }
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            assert!(is_previous_export(&path), "{name}");
        }
    }

    #[test]
    fn only_an_empty_directory_or_a_previous_export_is_written_over() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("export");
        check_out_dir(&out, false, OutDir::Out).unwrap();
        std::fs::create_dir(&out).unwrap();
        check_out_dir(&out, false, OutDir::Out).unwrap();
        let files = export_files(&Model::default(), &[]);
        for (name, text) in &files {
            std::fs::write(out.join(name), text).unwrap();
        }
        let marked =
            format!("# yaml-language-server: $schema={SCHEMA_FILE}\n{MARK}\nagents: {{}}\n");
        std::fs::write(out.join("agents.yaml"), marked).unwrap();
        std::fs::create_dir(out.join(".switchboard")).unwrap();
        check_out_dir(&out, false, OutDir::Out).unwrap();

        // Named like an export's files, written by hand: never taken for an export.
        for (name, text) in [
            ("ivr.yaml", "# our IVR, by hand\nivr: {}\n"),
            (SCHEMA_FILE, "{\"title\": \"our schema\"}"),
        ] {
            std::fs::write(out.join(name), text).unwrap();
            let err = check_out_dir(&out, false, OutDir::Out)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(&format!("holds files an export did not write (`{name}`)")),
                "{err}"
            );
            assert!(err.contains("`# Exported by switchboard ...`"), "{err}");
            std::fs::remove_file(out.join(name)).unwrap();
        }
        check_out_dir(&out, false, OutDir::Out).unwrap();

        std::fs::write(out.join("README.md"), "mine").unwrap();
        let err = check_out_dir(&out, false, OutDir::Out)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("holds files an export did not write (`README.md`)"),
            "{err}"
        );
        assert!(err.contains("--force"), "{err}");
        check_out_dir(&out, true, OutDir::Out).unwrap();

        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        let err = format!("{:#}", check_out_dir(&file, true, OutDir::Out).unwrap_err());
        assert!(
            err.contains("it is a regular file, not a directory"),
            "{err}"
        );
    }

    #[test]
    fn an_export_that_would_not_load_back_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("cc");
        let global = Global {
            color: crate::cli::ColorChoice::Never,
            show_sensitive: false,
            env: None,
        };
        let files = BTreeMap::from([
            (
                "agents.yaml".to_owned(),
                "agents: { alice: { name: A } }\n".to_owned(),
            ),
            (
                "groups.yaml".to_owned(),
                "groups: { sales: { agents: [ghost] } }\n".to_owned(),
            ),
        ]);
        let err = format!("{:#}", write_valid(&out, &files, &global).unwrap_err());
        assert!(
            err.starts_with(
                "the export is not a valid spec (1 error, shown above), so nothing was written"
            ),
            "{err}"
        );
        assert!(!out.exists());
        let files = BTreeMap::from([(
            "agents.yaml".to_owned(),
            "agents: { alice: { name: A } }\n".to_owned(),
        )]);
        write_valid(&out, &files, &global).unwrap();
        assert!(out.join("agents.yaml").is_file());
    }

    #[test]
    fn a_kind_that_is_gone_loses_its_file_and_other_files_stay() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        std::fs::write(
            out.join("groups.yaml"),
            format!("{MARK}\ngroups: {{ old: {{}} }}\n"),
        )
        .unwrap();
        // Written by hand (kept with --force): not the export's to remove.
        std::fs::write(out.join("queues.yaml"), "queues: { mine: {} }\n").unwrap();
        std::fs::write(out.join("notes.txt"), "mine").unwrap();
        let files = BTreeMap::from([("agents.yaml".to_owned(), "agents: {}\n".to_owned())]);
        write_files(out, &files).unwrap();
        assert!(!out.join("groups.yaml").exists());
        assert!(out.join("queues.yaml").exists());
        assert_eq!(
            std::fs::read_to_string(out.join("notes.txt")).unwrap(),
            "mine"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("agents.yaml")).unwrap(),
            "agents: {}\n"
        );
    }

    #[test]
    fn a_write_that_fails_leaves_the_previous_export_whole() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let before = BTreeMap::from([
            (
                "agents.yaml".to_owned(),
                "agents: { alice: {} }\n".to_owned(),
            ),
            ("numbers.yaml".to_owned(), "numbers: {}\n".to_owned()),
        ]);
        write_files(out, &before).unwrap();
        // Where numbers.yaml goes, something that cannot be written over, as a full disk
        // would refuse it.
        std::fs::create_dir(out.join("queues.yaml")).unwrap();
        let after = BTreeMap::from([
            ("agents.yaml".to_owned(), "agents: { bob: {} }\n".to_owned()),
            ("queues.yaml".to_owned(), "queues: { q: {} }\n".to_owned()),
        ]);
        let err = format!("{:#}", write_files(out, &after).unwrap_err());
        assert!(err.contains("queues.yaml"), "{err}");
        for (name, text) in &before {
            assert_eq!(
                &std::fs::read_to_string(out.join(name)).unwrap(),
                text,
                "{name}"
            );
        }
        let mut names: Vec<String> = std::fs::read_dir(out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["agents.yaml", "numbers.yaml", "queues.yaml"]);
    }
}
