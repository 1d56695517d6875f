//! Reading a spec from disk for every command that takes one, and showing its diagnostics.
//!
//! - [`load`]: a file, or a directory whose `*.yaml`/`*.yml` files form one project →
//!   `spec::load`, with audio files hashed (SHA-256) relative to the spec root.
//! - [`load_valid`]: the same for commands that need a valid spec (plan, apply, graph...):
//!   prints the diagnostics to standard error and fails on errors.
//! - [`render_human`] / [`render_json`]: diagnostics for people (miette, source snippets) or
//!   machines. A snippet line longer than [`LONG_LINE`] characters is cut to a window around
//!   what the diagnostic points at, so that a one-line 2 MB file prints a line, not 2 MB.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use miette::{
    LabeledSpan, MietteError, MietteHandlerOpts, MietteSpanContents, ReportHandler, SourceSpan,
    SpanContents,
};
use spec::text::terminal_lines;
use spec::{Loaded, Severity, Source, Spec};

use crate::cli::{ColorChoice, Global};

/// The files a spec was loaded from, kept for rendering snippets.
#[derive(Debug)]
pub struct Sources {
    /// The spec root: the directory given, or the directory of the file given. Audio paths
    /// are relative to it, and every file the spec makes switchboard read resolves inside it.
    pub root: PathBuf,
    /// The files, in load order, with their paths as shown to the user.
    pub files: Vec<Source>,
    /// Files of the spec directory that were not read, and why.
    pub skipped: Vec<Skipped>,
}

/// A file of the spec directory that is not part of the spec.
#[derive(Debug)]
pub struct Skipped {
    /// As shown to the user.
    pub path: PathBuf,
    /// Why it was left out.
    pub why: SkippedBecause,
}

/// Why a file of the spec directory is not part of the spec.
#[derive(Debug)]
pub enum SkippedBecause {
    /// A symbolic link (to a file or a directory) that leads outside the spec root.
    LinkOutside,
    /// A symbolic link that leads into a hidden file or directory of the spec root (`.git`,
    /// `.env`), which a directory load never reads.
    LinkHidden,
    /// A YAML file with none of a spec's top-level keys (a CI workflow, say).
    NotASpec {
        /// Its top-level keys.
        keys: Vec<String>,
    },
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match &self.why {
            SkippedBecause::LinkOutside => write!(
                f,
                "skipped `{path}`: a symbolic link to a place outside the spec root, which \
                 switchboard does not read"
            ),
            SkippedBecause::LinkHidden => write!(
                f,
                "skipped `{path}`: a symbolic link to a hidden file or directory (a name \
                 starting with `.`), which switchboard does not read"
            ),
            SkippedBecause::NotASpec { keys } => {
                let shown: Vec<String> = keys.iter().take(5).map(|k| format!("`{k}`")).collect();
                let more = if keys.len() > 5 { ", ..." } else { "" };
                write!(
                    f,
                    "skipped `{path}`: not a spec (its top-level keys {}{more} are none of a \
                     spec's)",
                    shown.join(", ")
                )
            }
        }
    }
}

impl Sources {
    /// One `note:` line per skipped file, for standard error.
    pub fn notes(&self) -> String {
        self.skipped
            .iter()
            .map(|skipped| format!("note: {skipped}\n"))
            .collect()
    }
}

/// Loads the spec at `path`: a file, or a directory whose YAML files (recursively, sorted)
/// form one project; with no path, the working directory, which must then hold a spec file
/// itself ([`walk`] says which files a directory load reads). Every file read resolves inside
/// the spec root and is a regular file under [`files::Limit::SPEC_FILE`]; audio files too
/// (under [`files::Limit::AUDIO_FILE`]). Fails only when the files cannot be read; problems in
/// them are in the returned [`Loaded`].
///
/// `env` is the environment to load it for (`--env`, `SWITCHBOARD_ENV`): required when the
/// spec declares `environments:` (the error lists them), refused when it declares none. The
/// files under every environment's `include:` paths are never part of the base spec; those of
/// `env` are loaded with it ([`Sources::files`] then holds the base files, then them).
pub fn load(path: Option<&Path>, env: Option<&str>) -> anyhow::Result<(Loaded, Sources)> {
    let (sources, root) = read(path)?;
    let declared = spec::environments(&sources.files);
    if declared.is_empty() {
        if let Some(env) = env {
            anyhow::bail!(
                "`--env {}` (or SWITCHBOARD_ENV) names an environment, but `{}` declares no \
                 `environments:`",
                spec::text::terminal(env),
                shown(path)
            );
        }
        let hash = |relative: &str| hash_audio(&root, relative);
        let loaded = spec::load_with(&sources.files, None, &process_env, &hash);
        return Ok((loaded, sources));
    }
    let Some(env) = env else {
        anyhow::bail!(
            "`{}` declares environments {}: choose one with `--env NAME` (or SWITCHBOARD_ENV)",
            shown(path),
            listed(&declared)
        );
    };
    if !declared.contains_key(env) {
        anyhow::bail!(
            "environment `{}` is not declared in `{}`; it declares {}",
            spec::text::terminal(env),
            shown(path),
            listed(&declared)
        );
    }
    Ok(load_env(path, sources, &root, &declared, env))
}

/// The environments `declared`, for a message: `` `production`, `staging` ``.
fn listed(declared: &BTreeMap<String, Vec<String>>) -> String {
    declared
        .keys()
        .map(|name| format!("`{}`", spec::text::terminal(name)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `${env.NAME}` and `${secret.NAME}`: the process environment (the loader asks only for
/// `SWITCHBOARD_VAR_…` and `SWITCHBOARD_SECRET_…`). A variable that is not Unicode is as good
/// as unset.
fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The value `${secret.NAME}` has now: the variable [`spec::secret_variable`] names, the one
/// place outside the loader that reads it (a saved plan's secrets, `export --env`).
pub fn secret_now(name: &str) -> Option<String> {
    std::env::var(spec::secret_variable(name)).ok()
}

/// The files of one environment's load: the base spec's, the environment's included ones
/// (sorted), and its `include:` paths that cannot be read, with why.
pub struct EnvFiles {
    pub base: Vec<Source>,
    pub includes: Vec<Source>,
    pub unreadable: BTreeMap<String, String>,
}

/// Loads the spec read into `sources` for the environment `env` (declared).
fn load_env(
    path: Option<&Path>,
    sources: Sources,
    root: &files::Root,
    declared: &BTreeMap<String, Vec<String>>,
    env: &str,
) -> (Loaded, Sources) {
    let EnvFiles {
        base,
        includes,
        unreadable,
    } = env_files(path, sources.files, root, declared, env);
    let hash = |relative: &str| hash_audio(root, relative);
    let selected = spec::Selected {
        name: env,
        includes: &includes,
        unreadable: &unreadable,
    };
    let loaded = spec::load_with(&base, Some(&selected), &process_env, &hash);
    let mut files = base;
    files.extend(includes);
    (
        loaded,
        Sources {
            root: sources.root,
            files,
            skipped: sources.skipped,
        },
    )
}

/// Loads `base` with `includes` for the environment `env`, as [`load`] does once it has
/// found the files (for `export --env`, which loads the files it is about to write with
/// those already there).
pub fn load_files(root: &files::Root, env: &str, files: &EnvFiles) -> Loaded {
    let hash = |relative: &str| hash_audio(root, relative);
    let selected = spec::Selected {
        name: env,
        includes: &files.includes,
        unreadable: &files.unreadable,
    };
    spec::load_with(&files.base, Some(&selected), &process_env, &hash)
}

/// The files of `env`'s load among `files` (all the spec's, as [`read`] found them).
pub fn env_files(
    path: Option<&Path>,
    files: Vec<Source>,
    root: &files::Root,
    declared: &BTreeMap<String, Vec<String>>,
    env: &str,
) -> EnvFiles {
    let (base, mut by_env) = partition(files, declared, root);
    let mut includes = by_env.remove(env).unwrap_or_default();
    let mut unreadable = BTreeMap::new();
    let single = path.is_some_and(|p| !p.is_dir());
    for written in &declared[env] {
        match root.resolve(written) {
            Err(err) => {
                unreadable.insert(written.clone(), err.to_string());
            }
            // A directory load walked the whole root; a file load read one file, so the
            // environment's are read here, through the same checks.
            Ok(_) if single => match read_include(root, written) {
                Ok(found) => includes.extend(found),
                Err(err) => {
                    unreadable.insert(written.clone(), err);
                }
            },
            Ok(_) => {}
        }
    }
    includes.sort_by(|a, b| a.path.cmp(&b.path));
    includes.dedup_by(|a, b| a.path == b.path);
    EnvFiles {
        base,
        includes,
        unreadable,
    }
}

/// The spec's files split into the base (no environment's `include:` path holds them) and
/// each environment's included files.
fn partition(
    files: Vec<Source>,
    declared: &BTreeMap<String, Vec<String>>,
    root: &files::Root,
) -> (Vec<Source>, BTreeMap<String, Vec<Source>>) {
    let root_shown = Path::new(root.shown());
    let relative = |source: &Source| -> PathBuf {
        let path = Path::new(&source.path);
        if root_shown == Path::new(".") {
            return path
                .components()
                .filter(|c| !matches!(c, std::path::Component::CurDir))
                .collect();
        }
        path.strip_prefix(root_shown).unwrap_or(path).to_path_buf()
    };
    let normal = |written: &str| -> PathBuf {
        Path::new(written)
            .components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect()
    };
    let mut base = Vec::new();
    let mut by_env: BTreeMap<String, Vec<Source>> = BTreeMap::new();
    for source in files {
        let at = relative(&source);
        let owners: Vec<&String> = declared
            .iter()
            .filter(|(_, paths)| {
                paths
                    .iter()
                    .any(|p| !p.trim().is_empty() && at.starts_with(normal(p)))
            })
            .map(|(name, _)| name)
            .collect();
        if owners.is_empty() {
            base.push(source);
        } else {
            for owner in owners {
                by_env
                    .entry(owner.clone())
                    .or_default()
                    .push(source.clone());
            }
        }
    }
    (base, by_env)
}

/// The spec files at the `include:` path `written` (a file, or a directory's YAML files), read
/// through the spec root's checks, for a spec loaded from one file.
fn read_include(root: &files::Root, written: &str) -> Result<Vec<Source>, String> {
    let real = root.resolve(written).map_err(|err| err.to_string())?;
    let shown_root = Path::new(root.shown());
    let path = shown_root.join(written);
    let paths = if real.is_dir() {
        walk(&path, root).map_err(|err| err.to_string())?.0
    } else {
        vec![path]
    };
    paths
        .iter()
        .map(|file| {
            let text = root
                .open_found(file, files::Limit::SPEC_FILE)
                .and_then(files::Reader::text)
                .map_err(|err| format!("`{}`: {err}", file.display()))?;
            Ok(Source {
                path: file.display().to_string(),
                text,
            })
        })
        .collect()
}

/// Each environment's own load, by name.
pub type Each = Vec<(String, Loaded)>;

/// Loads the spec at `path` for `env`, or, when none is given and it declares environments,
/// for each of them: then the [`Loaded`] answered is every environment's in one (a problem of
/// every environment once, one of some with the environments it belongs to; every
/// environment's flow tests, named with it), followed by each environment's own load.
pub fn load_every(
    path: Option<&Path>,
    env: Option<&str>,
) -> anyhow::Result<(Loaded, Sources, Option<Each>)> {
    if env.is_some() {
        let (loaded, sources) = load(path, env)?;
        return Ok((loaded, sources, None));
    }
    let (sources, root) = read(path)?;
    let declared = spec::environments(&sources.files);
    if declared.is_empty() {
        let hash = |relative: &str| hash_audio(&root, relative);
        let loaded = spec::load_with(&sources.files, None, &process_env, &hash);
        return Ok((loaded, sources, None));
    }
    let mut each = Vec::new();
    let mut files: Vec<Source> = Vec::new();
    let mut skipped = Vec::new();
    let root_shown = sources.root.clone();
    for name in declared.keys() {
        let copy = Sources {
            root: sources.root.clone(),
            files: sources.files.clone(),
            skipped: Vec::new(),
        };
        let (loaded, used) = load_env(path, copy, &root, &declared, name);
        for file in used.files {
            if !files.iter().any(|f| f.path == file.path) {
                files.push(file);
            }
        }
        each.push((name.clone(), loaded));
    }
    skipped.extend(sources.skipped);
    let merged = merge_loads(&each);
    Ok((
        merged,
        Sources {
            root: root_shown,
            files,
            skipped,
        },
        Some(each),
    ))
}

/// One [`Loaded`] of several environments' (see [`Every::merged`]).
fn merge_loads(each: &[(String, Loaded)]) -> Loaded {
    let diagnostics = merge_diagnostics(each, |loaded| &loaded.diagnostics);
    let allowed = merge_diagnostics(each, |loaded| &loaded.allowed);
    let tests =
        each.iter()
            .flat_map(|(name, loaded)| {
                loaded.tests.iter().cloned().map(move |mut run| {
                    let label = run.test.name.take().unwrap_or_else(|| {
                        format!("{} presses {:?}", run.test.number, run.test.keys)
                    });
                    run.test.name = Some(format!("{name}: {label}"));
                    run
                })
            })
            .collect();
    let valid = each.iter().all(|(_, loaded)| loaded.spec.is_some());
    Loaded {
        spec: if valid {
            each.first().and_then(|(_, loaded)| loaded.spec.clone())
        } else {
            None
        },
        with_failing_tests: None,
        diagnostics,
        allowed,
        tests,
    }
}

/// Several environments' diagnostics (`of` each load) in one: a problem of every environment
/// once, one of some with the environments it belongs to, in the order first found.
fn merge_diagnostics(
    each: &[(String, Loaded)],
    of: impl Fn(&Loaded) -> &Vec<spec::Diagnostic>,
) -> Vec<spec::Diagnostic> {
    let mut order: Vec<String> = Vec::new();
    let mut found: BTreeMap<String, (spec::Diagnostic, Vec<&str>)> = BTreeMap::new();
    for (name, loaded) in each {
        for diagnostic in of(loaded) {
            let key = serde_json::to_string(diagnostic).expect("a diagnostic is JSON");
            match found.get_mut(&key) {
                Some((_, envs)) => envs.push(name),
                None => {
                    order.push(key.clone());
                    found.insert(key, (diagnostic.clone(), vec![name.as_str()]));
                }
            }
        }
    }
    order
        .into_iter()
        .filter_map(|key| found.remove(&key))
        .map(|(mut diagnostic, envs)| {
            if envs.len() < each.len() {
                let names: Vec<String> = envs.iter().map(|e| format!("`{e}`")).collect();
                let word = if envs.len() == 1 {
                    "environment"
                } else {
                    "environments"
                };
                diagnostic.message = format!("{word} {}: {}", names.join(", "), diagnostic.message);
            }
            diagnostic
        })
        .collect()
}

/// The spec files at `path` (see [`load`]), read but not loaded, with the spec root.
pub fn read(path: Option<&Path>) -> anyhow::Result<(Sources, files::Root)> {
    let (root, paths, skipped) = find(path)?;
    let files = paths
        .iter()
        .map(|file| {
            let text = root
                .open_found(file, files::Limit::SPEC_FILE)
                .and_then(files::Reader::text)
                .with_context(|| format!("cannot read `{}`", file.display()))?;
            if is_saved_plan(&text) {
                anyhow::bail!(
                    "`{}` is a saved plan, not a spec: apply it with `switchboard apply {}`, or \
                     draw it with `switchboard report SPEC --plan {}`",
                    file.display(),
                    file.display(),
                    file.display()
                );
            }
            Ok(Source {
                path: file.display().to_string(),
                text,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    // A directory's YAML files that are clearly something else (a CI workflow) are left out;
    // a file named on the command line is a spec file, whatever it holds.
    let (files, skipped) = if paths.len() == 1 && path.is_some_and(|p| !p.is_dir()) {
        (files, skipped)
    } else {
        let mut kept = Vec::new();
        let mut skipped = skipped;
        for source in files {
            match spec::foreign_keys(&source.text) {
                Some(keys) => skipped.push(Skipped {
                    path: PathBuf::from(&source.path),
                    why: SkippedBecause::NotASpec { keys },
                }),
                None => kept.push(source),
            }
        }
        skipped.sort_by(|a, b| a.path.cmp(&b.path));
        (kept, skipped)
    };
    if files.is_empty() {
        anyhow::bail!(
            "no spec files in `{}`: expected *.yaml or *.yml files with a spec's sections \
             (`agents:`, `queues:`, `ivr:`...){}",
            root.shown(),
            match skipped.len() {
                0 => String::new(),
                n => format!(
                    "; {n} other file{} left out (`switchboard validate --show-files` lists them)",
                    if n == 1 { " was" } else { "s were" }
                ),
            }
        );
    }
    if path.is_none()
        && !files
            .iter()
            .any(|f| Path::new(&f.path).parent() == Some(Path::new("")))
    {
        anyhow::bail!("{}", no_spec_here(&files));
    }
    let sources = Sources {
        root: PathBuf::from(root.shown()),
        files,
        skipped,
    };
    Ok((sources, root))
}

/// Loads the spec at `path` for a command that needs a valid one: prints its notes and
/// diagnostics (warnings too) to standard error, and fails when there are errors.
pub fn load_valid(path: Option<&Path>, global: &Global) -> anyhow::Result<Spec> {
    load_valid_at(path, global).map(|(spec, _root)| spec)
}

/// [`load_valid`], also answering the spec root (where audio paths start).
pub fn load_valid_at(path: Option<&Path>, global: &Global) -> anyhow::Result<(Spec, PathBuf)> {
    let (loaded, sources) = load(path, global.env())?;
    crate::output::eprint(&sources.notes());
    if !loaded.diagnostics.is_empty() {
        crate::output::eprint(&render_human(&loaded, &sources, &Style::for_stderr(global)));
    }
    match loaded.spec {
        Some(spec) => Ok((spec, sources.root)),
        None => anyhow::bail!(
            "`{}` is not a valid spec (run `switchboard validate` for details)",
            shown(path)
        ),
    }
}

/// A spec path as the user gave it (`.` when none).
pub fn shown(path: Option<&Path>) -> std::path::Display<'_> {
    path.unwrap_or(Path::new(".")).display()
}

/// Loads the spec at `path` for `simulate`: like [`load_valid`], but a spec whose only errors
/// are failing flow tests is answered too (a broken flow is when one wants to walk the call),
/// with the number of tests that fail. Notes and diagnostics go to standard error as with
/// `load_valid`.
pub fn load_walkable(path: Option<&Path>, global: &Global) -> anyhow::Result<(Spec, usize)> {
    let (loaded, sources) = load(path, global.env())?;
    crate::output::eprint(&sources.notes());
    if !loaded.diagnostics.is_empty() {
        crate::output::eprint(&render_human(&loaded, &sources, &Style::for_stderr(global)));
    }
    let failing = loaded.errors();
    match (loaded.spec, loaded.with_failing_tests) {
        (Some(spec), _) => Ok((spec, 0)),
        (None, Some(spec)) => Ok((spec, failing)),
        (None, None) => anyhow::bail!(
            "`{}` is not a valid spec (run `switchboard validate` for details)",
            shown(path)
        ),
    }
}

/// A file `plan --out` wrote: JSON with `format_version` and `plan`. (JSON is YAML, so the
/// spec loader would otherwise report its keys as unknown.)
fn is_saved_plan(text: &str) -> bool {
    text.trim_start().starts_with('{')
        && serde_json::from_str::<serde_json::Value>(text)
            .is_ok_and(|doc| doc.get("format_version").is_some() && doc.get("plan").is_some())
}

/// The spec root and the spec files at `path` (none: the working directory), plus the files
/// of a directory left out because they are links leading outside it.
fn find(path: Option<&Path>) -> anyhow::Result<(files::Root, Vec<PathBuf>, Vec<Skipped>)> {
    let given = path.unwrap_or(Path::new("."));
    let cannot_read = || format!("cannot read `{}`", given.display());
    let meta = std::fs::metadata(given).with_context(cannot_read)?;
    if !meta.is_dir() {
        // The file itself is checked against its directory when read.
        let parent = given.parent().unwrap_or(Path::new(""));
        files::inside_working_dir(parent).with_context(cannot_read)?;
        let root = files::Root::new(parent).with_context(cannot_read)?;
        return Ok((root, vec![given.to_path_buf()], Vec::new()));
    }
    files::inside_working_dir(given).with_context(cannot_read)?;
    let root = files::Root::new(given).with_context(cannot_read)?;
    let (mut paths, skipped) = walk(given, &root)?;
    if path.is_none() {
        // No path given: show the files as the user would name them, not as `./x.yaml`.
        for found in &mut paths {
            if let Ok(rest) = found.strip_prefix(".") {
                *found = rest.to_path_buf();
            }
        }
    }
    Ok((root, paths, skipped))
}

/// The YAML files of the directory `dir` that make up the spec, sorted, each once: every
/// `*.yaml` and `*.yml` file (any case) below it, except hidden files and directories
/// (`.git`, `.github`, `.switchboard`) and what `.gitignore` files ignore (inside a git work
/// tree, as git does). Symbolic links are followed while they stay inside the spec root and
/// out of its hidden files (a file reached twice is read once); a link that leads outside, or
/// into a hidden file or directory, is left out and answered, for a note. A link that leads nowhere, named like a spec file, fails the load: skipping it
/// would plan the deletion of what it declared.
fn walk(dir: &Path, root: &files::Root) -> anyhow::Result<(Vec<PathBuf>, Vec<Skipped>)> {
    let outside: Arc<Mutex<Vec<Skipped>>> = Arc::default();
    let real_root = root.real().to_path_buf();
    let checked = root.clone();
    let mut walker = ignore::WalkBuilder::new(dir);
    walker
        .standard_filters(false)
        .hidden(true)
        .parents(true)
        .git_ignore(true)
        .require_git(true)
        .follow_links(true)
        .filter_entry({
            let outside = Arc::clone(&outside);
            move |entry| {
                if !entry.path_is_symlink() {
                    return true;
                }
                let why = match std::fs::canonicalize(entry.path()) {
                    Ok(real) if !real.starts_with(&real_root) => {
                        Some((real, SkippedBecause::LinkOutside))
                    }
                    // `.git/config` holds a checkout's credentials on many CI runners.
                    Ok(real) if checked.is_hidden(&real) => {
                        Some((real, SkippedBecause::LinkHidden))
                    }
                    _ => None,
                };
                match why {
                    Some((real, why)) => {
                        // Worth a note when it would have been read: a directory, a spec file.
                        if real.is_dir() || is_yaml(entry.path()) {
                            outside
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .push(Skipped {
                                    path: entry.path().to_path_buf(),
                                    why,
                                });
                        }
                        false
                    }
                    // Inside, or leading nowhere (the walk then reports it).
                    _ => true,
                }
            }
        });
    let mut found = Vec::new();
    for entry in walker.build() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => match walk_error(err) {
                Some(err) => return Err(err),
                None => continue,
            },
        };
        // Anything named like a spec file but a directory is read, so that a FIFO or a
        // device under that name is refused loudly rather than skipped.
        if entry.depth() > 0
            && entry.file_type().is_some_and(|t| !t.is_dir())
            && is_yaml(entry.path())
        {
            found.push(entry.into_path());
        }
    }
    found.sort();
    // A file reached through a link inside the root and by its own path is read once.
    let mut seen = std::collections::BTreeSet::new();
    found.retain(|path| seen.insert(std::fs::canonicalize(path).unwrap_or_else(|_| path.clone())));
    let mut skipped = std::mem::take(&mut *outside.lock().unwrap_or_else(|e| e.into_inner()));
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((found, skipped))
}

/// `TEAM.YAML` is a spec file too: skipping it would plan its objects' deletion.
fn is_yaml(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("yaml") || ext.eq_ignore_ascii_case("yml"))
}

/// What a walk error means for the load: a link loop is a directory already read (`None`);
/// a spec file that cannot be read (a link leading nowhere) fails it; a link leading nowhere
/// that is not named like a spec file is not part of the spec (`None`).
fn walk_error(err: ignore::Error) -> Option<anyhow::Error> {
    let mut path = None;
    let mut inner = &err;
    loop {
        match inner {
            ignore::Error::Loop { .. } => return None,
            ignore::Error::WithPath { path: p, err } => {
                path.get_or_insert_with(|| p.clone());
                inner = err;
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                inner = err;
            }
            _ => break,
        }
    }
    let Some(path) = path else {
        return Some(anyhow::anyhow!("cannot read the spec directory: {err}"));
    };
    let is_link = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
    if is_link && !is_yaml(&path) {
        return None;
    }
    let why = match inner {
        ignore::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    };
    Some(anyhow::anyhow!("cannot read `{}`: {why}", path.display()))
}

/// The error for a command given no path, run where no spec file is: names the directories
/// below that hold spec files.
fn no_spec_here(found: &[Source]) -> String {
    let mut dirs: Vec<&Path> = found
        .iter()
        .filter_map(|f| Path::new(&f.path).parent())
        .collect();
    dirs.sort_by_key(|d| (d.components().count(), *d));
    dirs.dedup();
    // `examples/midsize`, not also `examples/midsize/ivr`.
    let mut tops: Vec<&Path> = Vec::new();
    for dir in dirs {
        if !tops.iter().any(|top| dir.starts_with(top)) {
            tops.push(dir);
        }
    }
    let dirs = tops;
    let shown: Vec<String> = dirs
        .iter()
        .take(5)
        .map(|d| format!("`{}`", d.display()))
        .collect();
    let more = match dirs.len().saturating_sub(5) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    format!(
        "no path given, and no spec file in the working directory itself: name the spec's \
         directory or file (spec files are under {}{more}), or `.` to read every spec file \
         below the working directory",
        shown.join(", ")
    )
}

/// The SHA-256 of the audio file a spec names at `relative`, for the loader.
fn hash_audio(root: &files::Root, relative: &str) -> Result<String, String> {
    digest_audio(root, relative).map_err(|err| match err {
        files::Error::NotFound => "no such file".to_owned(),
        err => err.to_string(),
    })
}

/// The identity ([`spec::model::AudioDigest`]) of the audio file a spec names at `relative`,
/// read through the checks `apply` uploads it through: inside the spec root, a regular file,
/// at most [`files::Limit::AUDIO_FILE`]. The loader and the check before an apply both use it.
pub fn digest_audio(root: &files::Root, relative: &str) -> Result<String, files::Error> {
    let mut digest = spec::model::AudioDigest::new();
    root.open(relative, files::Limit::AUDIO_FILE)?
        .chunks(|chunk| digest.update(chunk))?;
    Ok(digest.finish())
}

/// How to draw diagnostics.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    /// ANSI colours.
    pub color: bool,
    /// Text width to wrap at; `None` for the terminal's width.
    pub width: Option<usize>,
}

impl Style {
    /// Fixed width and no colour: the same bytes on every machine (tests, CI logs).
    pub const PLAIN: Style = Style {
        color: false,
        width: Some(100),
    };

    /// For standard output: colour per `--color` (auto: on a terminal, unless `NO_COLOR`).
    pub fn for_stdout(global: &Global) -> Style {
        Style::for_stream(global, crate::output::stdout_is_terminal())
    }

    /// For standard error, likewise.
    pub fn for_stderr(global: &Global) -> Style {
        Style::for_stream(global, crate::output::stderr_is_terminal())
    }

    fn for_stream(global: &Global, terminal: bool) -> Style {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal && !no_color,
        };
        let width = if terminal { None } else { Style::PLAIN.width };
        Style { color, width }
    }
}

/// Every diagnostic with its source snippet (and, under a cause, one line per problem it
/// hides), then the summary line (`2 errors, 1 warning`); nothing when there are none.
pub fn render_human(loaded: &Loaded, sources: &Sources, style: &Style) -> String {
    let mut options = MietteHandlerOpts::new()
        .force_graphical(true)
        .show_related_errors_as_nested()
        .unicode(true)
        .terminal_links(false)
        .color(style.color);
    if let Some(width) = style.width {
        options = options.width(width);
    }
    let handler = options.build();
    // Shared, so that a thousand diagnostics do not copy (or escape) a file a thousand times.
    let texts: Vec<(&str, File)> = sources
        .files
        .iter()
        .map(|s| (s.path.as_str(), File::new(&with_newlines(&s.text))))
        .collect();
    let mut out = String::new();
    for diagnostic in &loaded.diagnostics {
        let report = Report::new(diagnostic, &texts);
        out.push_str(&Drawn(&handler, &report).to_string());
        if let Some(set) = &diagnostic.set_by {
            out.push_str(&format!(
                "  note: set to {} by `lint.rules` at {}:{}:{}\n",
                diagnostic.severity,
                terminal_lines(&set.file),
                set.line,
                set.column
            ));
        }
        // What the cause hides: one line each, no snippet (they go away with the cause).
        if let Some(note) = diagnostic.hidden_note() {
            // Names and paths come from the spec: escaped like every other message.
            out.push_str(&format!("  note: {}:\n", terminal_lines(&note)));
            for hidden in &diagnostic.hidden {
                let label = &hidden.labels[0];
                out.push_str(&format!(
                    "    {}:{}:{}: {}\n",
                    terminal_lines(&label.file),
                    label.line,
                    label.column,
                    terminal_lines(&hidden.message)
                ));
            }
        }
        out.push('\n');
    }
    // What `lint.allow` accepted: one line each, with the reason.
    for allowed in &loaded.allowed {
        let (Some(by), label) = (&allowed.allowed_by, &allowed.labels[0]) else {
            continue;
        };
        out.push_str(&format!(
            "allowed {}[{}] at {}:{}:{}: {}\n  by `lint.allow` at {}:{}:{}: {}\n",
            allowed.severity,
            allowed.code,
            terminal_lines(&label.file),
            label.line,
            label.column,
            terminal_lines(&allowed.message),
            terminal_lines(&by.at.file),
            by.at.line,
            by.at.column,
            terminal_lines(&by.reason),
        ));
    }
    if !loaded.allowed.is_empty() {
        out.push('\n');
    }
    if !loaded.diagnostics.is_empty() || !loaded.allowed.is_empty() {
        out.push_str(&summary(loaded));
        out.push('\n');
    }
    out
}

/// `2 errors, 1 warning`, with what hides what and what `lint.allow` accepted: `0 errors, 0
/// warnings (2 allowed by `lint.allow`)`; `no problems` when there is nothing.
pub fn summary(loaded: &Loaded) -> String {
    if loaded.diagnostics.is_empty() && loaded.allowed.is_empty() {
        return "no problems".to_owned();
    }
    let mut line = spec::diagnostic::summary(&loaded.diagnostics);
    if !loaded.allowed.is_empty() {
        line.push_str(&format!(
            " ({} allowed by `lint.allow`)",
            loaded.allowed.len()
        ));
    }
    line
}

/// `text` with each lone `\r` (old Mac OS line endings) made a `\n`: miette counts lines by
/// `\n`, so a CR-only file would be drawn as one line with the wrong line numbers, and the
/// terminal would show its carriage returns. Same length, so every byte offset still holds.
fn with_newlines(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('\r') {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(if c == '\r' && chars.peek() != Some(&'\n') {
            '\n'
        } else {
            c
        });
    }
    out.into()
}

/// The JSON document `validate --format json` prints (shape in docs/spec.md).
pub fn render_json(loaded: &Loaded, strict: bool) -> String {
    let valid = loaded.errors() == 0 && !(strict && loaded.warnings() > 0);
    let document = serde_json::json!({
        "format_version": 1,
        "valid": valid,
        "strict": strict,
        "errors": loaded.errors(),
        "warnings": loaded.warnings(),
        // Problems folded under the error that causes them (each diagnostic's `hidden`).
        "hidden": loaded.diagnostics.iter().map(|d| d.hidden.len()).sum::<usize>(),
        "diagnostics": loaded.diagnostics,
        // Problems `lint.allow` accepted, each with `allowed_by`.
        "allowed": loaded.allowed,
    });
    // Messages quote names and values: escaped where JSON leaves them raw.
    let mut out =
        spec::text::json(serde_json::to_string_pretty(&document).expect("diagnostics are JSON"));
    out.push('\n');
    out
}

/// A spec file as diagnostics draw it: as read (for columns), and as shown (hazards escaped,
/// credentials redacted: `spec::text::Shown`), computed once per file.
#[derive(Clone, Debug)]
struct File {
    original: Arc<str>,
    shown: Option<Arc<spec::text::Shown>>,
    display: Arc<str>,
}

impl File {
    fn new(text: &str) -> File {
        let original: Arc<str> = Arc::from(text);
        let shown = spec::text::Shown::of(text).map(Arc::new);
        let display = shown
            .as_ref()
            .map_or_else(|| Arc::clone(&original), |s| Arc::from(s.text.as_str()));
        File {
            original,
            shown,
            display,
        }
    }

    /// An offset of the file as an offset of what is shown.
    fn to_shown(&self, at: usize) -> usize {
        self.shown.as_ref().map_or(at, |s| s.to_shown(at))
    }

    /// An offset of what is shown as an offset of the file.
    fn to_file(&self, at: usize) -> usize {
        self.shown.as_ref().map_or(at, |s| s.to_file(at))
    }
}

/// A report drawn by a miette handler.
struct Drawn<'a>(&'a miette::MietteHandler, &'a Report);

impl fmt::Display for Drawn<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.debug(self.1, f)
    }
}

/// One `spec::Diagnostic` as miette wants it: labels in the first label's file go on the
/// report; labels in other files (a name defined in two files) become related reports with
/// their own snippet.
#[derive(Debug)]
struct Report {
    message: String,
    code: Option<&'static str>,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<Text>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl Report {
    fn new(diagnostic: &spec::Diagnostic, texts: &[(&str, File)]) -> Report {
        let severity = match diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        };
        let mut files: Vec<&str> = Vec::new();
        for label in &diagnostic.labels {
            if !files.contains(&label.file.as_str()) {
                files.push(&label.file);
            }
        }
        let in_file = |file: &str| -> (Option<Text>, Vec<LabeledSpan>) {
            let spans: Vec<std::ops::Range<usize>> = diagnostic
                .labels
                .iter()
                .filter(|l| l.file == file)
                .map(|l| l.span.start..l.span.end)
                .collect();
            let source = texts
                .iter()
                .find(|(path, _)| *path == file)
                .map(|(path, file)| Text::new(path, file, &spans));
            let labels = diagnostic
                .labels
                .iter()
                .enumerate()
                .filter(|(_, l)| l.file == file)
                .map(|(i, l)| {
                    let span = match &source {
                        Some(source) => source.span(l.span.start..l.span.end),
                        None => SourceSpan::from(l.span.start..l.span.end),
                    };
                    let text = (!l.text.is_empty()).then(|| terminal_lines(&l.text).into_owned());
                    if i == 0 {
                        LabeledSpan::new_primary_with_span(text, span)
                    } else {
                        LabeledSpan::new_with_span(text, span)
                    }
                })
                .collect();
            (source, labels)
        };
        let (source, labels) = files.first().map(|f| in_file(f)).unwrap_or_default();
        let related = files
            .iter()
            .skip(1)
            .map(|file| {
                let (source, labels) = in_file(file);
                Report {
                    message: format!("see also `{file}`"),
                    code: None,
                    severity: miette::Severity::Advice,
                    help: None,
                    source,
                    labels,
                    related: Vec::new(),
                }
            })
            .collect();
        // Messages, labels and help quote names, values and test names from the spec: each
        // goes through `spec::text`, as the snippet itself does (`File`).
        Report {
            message: terminal_lines(&diagnostic.message).into_owned(),
            code: Some(diagnostic.code),
            severity,
            help: diagnostic
                .help
                .as_deref()
                .map(|h| terminal_lines(h).into_owned()),
            source,
            labels,
            related,
        }
    }
}

/// Snippet lines longer than this many characters are cut.
pub const LONG_LINE: usize = 200;
/// What is kept of a cut line: this many characters...
const WINDOW: usize = 120;
/// ...starting this many before the first thing the diagnostic points at on the line.
const LEAD: usize = 40;
/// Marks where a line was cut.
const ELLIPSIS: &str = "…";

/// A file's text for miette: the whole file, or, when a line the snippet shows is longer than
/// [`LONG_LINE`], an excerpt of the lines shown with the long ones cut to a window around the
/// labels (labels then point into the excerpt: [`Text::span`]). miette's `file:line:col`
/// header counts the column in bytes; this counts characters in the file, a byte-order mark
/// left out, as `--format json` does, so that a line with `ọ` or `é` before the problem (or a
/// line cut short) still points at the right column.
#[derive(Debug)]
struct Text {
    name: String,
    /// What miette reads.
    text: Arc<str>,
    /// Set when `text` is an excerpt.
    cut: Option<Cut>,
    /// The file, as read and as shown.
    file: File,
}

/// Where an excerpt comes from.
#[derive(Debug)]
struct Cut {
    /// The file's line the excerpt starts on (0-based).
    first_line: usize,
    /// The excerpt's pieces of the file, in order: (excerpt offset, file offset, length).
    pieces: Vec<(usize, usize, usize)>,
}

impl Text {
    /// The file at `path` (shown escaped, `File`), cut when a line the labels at `spans` (in
    /// the file as read) show is too long.
    fn new(path: &str, file: &File, spans: &[std::ops::Range<usize>]) -> Text {
        let spans: Vec<std::ops::Range<usize>> = spans
            .iter()
            .map(|s| file.to_shown(s.start)..file.to_shown(s.end))
            .collect();
        Text {
            name: path.to_owned(),
            cut: None,
            text: Arc::clone(&file.display),
            file: file.clone(),
        }
        .cut(&spans)
    }

    fn cut(self, spans: &[std::ops::Range<usize>]) -> Text {
        let file = &*self.text;
        let Some(first) = spans.iter().map(|s| s.start).min() else {
            return self;
        };
        let last = spans.iter().map(|s| s.end).max().unwrap_or(first);
        // Whole lines: the one before the first label's, to the one after the last label's
        // (miette shows one line of context).
        let line_start = |at: usize| file[..at.min(file.len())].rfind('\n').map_or(0, |i| i + 1);
        let mut from = line_start(first);
        if from > 0 {
            from = line_start(from - 1);
        }
        let next_line = |at: usize| file[at.min(file.len())..].find('\n').map(|i| at + i + 1);
        let mut to = next_line(last).unwrap_or(file.len());
        to = next_line(to).unwrap_or(file.len());
        let lines = &file[from..to];
        if !lines
            .split('\n')
            .any(|line| line.chars().nth(LONG_LINE).is_some())
        {
            return self;
        }
        let mut excerpt = String::new();
        let mut pieces = Vec::new();
        let mut at = from;
        for line in lines.split_inclusive('\n') {
            let end = at + line.len();
            let body = line.trim_end_matches(['\n', '\r']);
            if body.chars().nth(LONG_LINE).is_none() {
                pieces.push((excerpt.len(), at, line.len()));
                excerpt.push_str(line);
            } else {
                // Anchor on the first label that starts (or ends) on this line.
                let anchor = spans
                    .iter()
                    .flat_map(|s| [s.start, s.end])
                    .filter(|&p| p >= at && p <= at + body.len())
                    .min()
                    .unwrap_or(at);
                let chars: Vec<(usize, char)> = body.char_indices().collect();
                let anchor_char = chars.partition_point(|(i, _)| at + i < anchor);
                let start_char = anchor_char.saturating_sub(LEAD);
                let end_char = (start_char + WINDOW).min(chars.len());
                let start = chars.get(start_char).map_or(body.len(), |(i, _)| *i);
                let stop = chars.get(end_char).map_or(body.len(), |(i, _)| *i);
                if start > 0 {
                    excerpt.push_str(ELLIPSIS);
                }
                pieces.push((excerpt.len(), at + start, stop - start));
                excerpt.push_str(&body[start..stop]);
                if stop < body.len() {
                    excerpt.push_str(ELLIPSIS);
                }
                let ending = &line[body.len()..];
                pieces.push((excerpt.len(), at + body.len(), ending.len()));
                excerpt.push_str(ending);
            }
            at = end;
        }
        let first_line = file[..from].matches('\n').count();
        Text {
            cut: Some(Cut { first_line, pieces }),
            text: Arc::from(excerpt),
            name: self.name,
            file: self.file,
        }
    }

    /// A span of the file as a span of what miette reads: inside the excerpt, clamped to what
    /// was kept of its line.
    fn span(&self, span: std::ops::Range<usize>) -> SourceSpan {
        let span = self.file.to_shown(span.start)..self.file.to_shown(span.end);
        let Some(cut) = &self.cut else {
            return SourceSpan::from(span);
        };
        let map = |offset: usize, end: bool| -> usize {
            let mut best = 0;
            for &(excerpt, file, len) in &cut.pieces {
                if offset < file {
                    // In a part cut away before this piece: its start (or, for an end, where
                    // the kept text before it stops).
                    return if end { best } else { excerpt };
                }
                if offset <= file + len {
                    return excerpt + (offset - file);
                }
                best = excerpt + len;
            }
            best
        };
        let start = map(span.start, false);
        let end = map(span.end, true).max(start);
        SourceSpan::from(start..end)
    }

    /// An offset of what miette reads as an offset of the file.
    fn file_offset(&self, offset: usize) -> usize {
        let Some(cut) = &self.cut else {
            return offset;
        };
        cut.pieces
            .iter()
            .rev()
            .find(|(excerpt, _, _)| *excerpt <= offset)
            .map_or(0, |&(excerpt, file, len)| {
                file + (offset - excerpt).min(len)
            })
    }
}

impl miette::SourceCode for Text {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        // miette reads the header's column from a read with no context lines; it counts in
        // the file as read.
        let column = match (
            context_lines_before,
            char_column(
                &self.file.original,
                self.file.to_file(self.file_offset(span.offset())),
            ),
        ) {
            (0, Some(column)) => column,
            _ => inner.column(),
        };
        let first_line = self.cut.as_ref().map_or(0, |cut| cut.first_line);
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + first_line,
            column,
            inner.line_count(),
        )))
    }
}

/// The 0-based column of byte `offset` in characters, not counting a byte-order mark.
fn char_column(text: &str, offset: usize) -> Option<usize> {
    let before = text.get(..offset)?;
    let line = &before[before.rfind(['\n', '\r']).map_or(0, |at| at + 1)..];
    Some(line.chars().filter(|&c| c != '\u{feff}').count())
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .map(|code| Box::new(code) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The diagnostics of one spec file, drawn as `validate` draws them (no colour, 100 wide).
    fn drawn(name: &str, text: String) -> String {
        let sources = Sources {
            root: PathBuf::from("."),
            files: vec![Source {
                path: name.to_owned(),
                text,
            }],
            skipped: Vec::new(),
        };
        let loaded = spec::load(&sources.files, &|_| Err("no audio here".to_owned()));
        assert!(loaded.errors() > 0, "the fixture must have an error");
        render_human(&loaded, &sources, &Style::PLAIN)
    }

    /// The column (in characters) of `needle` in the snippet line holding it, and of the first
    /// underline character on the line below it.
    fn caret(drawn: &str, needle: &str) -> (usize, usize) {
        let lines: Vec<&str> = drawn.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.contains(needle) && l.contains('│'))
            .unwrap_or_else(|| panic!("no snippet line with {needle}:\n{drawn}"));
        let column = |line: &str, byte: usize| line[..byte].chars().count();
        let word = column(lines[at], lines[at].find(needle).unwrap());
        let under = lines[at + 1];
        let mark = under.find(['─', '┬', '^']).expect("an underline");
        (word, column(under, mark))
    }

    #[test]
    fn a_two_megabyte_line_is_cut_around_the_problem_with_the_caret_under_it() {
        // One line: a flow mapping of 48,000 agents, then a group naming an agent that is
        // not there.
        let mut text = String::from("{version: 1, agents: {");
        for i in 0..48_000 {
            text.push_str(&format!(
                "agent-{i:05}: {{name: Agent number {i:05} of many}}, "
            ));
        }
        text.push_str("ghost-x: {name: X}}, groups: {sales: {agents: [agent-00001, nobody]}}}");
        assert!(text.len() > 2_000_000);
        let column = text.find("nobody").unwrap() + 1;
        let out = drawn("big.yaml", text);

        assert!(out.len() < 2_000, "{} bytes drawn", out.len());
        for line in out.lines() {
            assert!(
                line.chars().count() <= LONG_LINE,
                "a line of {} characters: {line}",
                line.chars().count()
            );
        }
        // The header still says where in the file, in characters of the whole line.
        assert!(out.contains(&format!("[big.yaml:1:{column}]")), "{out}");
        let (word, mark) = caret(&out, "nobody");
        assert_eq!(word, mark, "the underline is not under `nobody`:\n{out}");
        assert!(out.contains(ELLIPSIS), "{out}");
    }

    #[test]
    fn a_file_with_carriage_returns_alone_is_drawn_line_by_line() {
        let out = drawn(
            "cr.yaml",
            "version: 1\rgroups:\r  sales: { agents: [nobody] }\r".to_owned(),
        );
        assert!(out.contains("[cr.yaml:3:21]"), "{out}");
        assert!(out.contains(" 2 │ groups:\n"), "{out}");
        assert!(
            out.contains(" 3 │   sales: { agents: [nobody] }\n"),
            "{out}"
        );
        assert!(!out.contains('\r'), "{out:?}");
        let (word, mark) = caret(&out, "nobody");
        assert_eq!(word, mark, "{out}");
    }

    #[test]
    fn a_long_line_next_to_the_problem_is_cut_and_short_ones_are_whole() {
        let long = "x".repeat(5_000);
        let text = format!(
            "version: 1\n# {long}\ngroups:\n  sales: {{ agents: [nobody] }}\n# {long}\nagents: {{}}\n"
        );
        let out = drawn("spec.yaml", text);
        insta::assert_snapshot!(out);
        let (word, mark) = caret(&out, "nobody");
        assert_eq!(word, mark, "{out}");
        assert!(out.contains("[spec.yaml:4:21]"), "{out}");
        // A file whose lines are all short is drawn as before, whole.
        let out = drawn(
            "short.yaml",
            "version: 1\ngroups:\n  sales: { agents: [nobody] }\n".to_owned(),
        );
        assert!(!out.contains(ELLIPSIS), "{out}");
        assert!(out.contains("3 │   sales: { agents: [nobody] }"), "{out}");
    }
}
