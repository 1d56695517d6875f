//! `switchboard export`: the live project as spec YAML, one file per kind, byte-identical from
//! one run to the next, so that `plan` of the export shows no changes. Live states a spec
//! cannot describe (a tree with no nodes, a number that routes nowhere, calls sent to a queue
//! that reaches no agent, a name a spec refuses and what refers to it) are left out and listed
//! in `ignore.yaml`, with the reason, so that the export is a valid spec that leaves them
//! alone.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use spec::Address;
use spec::model::{KeyAction, Model, NumberRoute};

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
const EXPORT_FILES: [&str; 9] = [
    "settings.yaml",
    "audio.yaml",
    "agents.yaml",
    "groups.yaml",
    "queues.yaml",
    "ivr.yaml",
    "numbers.yaml",
    IGNORE_FILE,
    SCHEMA_FILE,
];

pub fn run(global: &Global, args: ExportArgs) -> anyhow::Result<Exit> {
    check_out_dir(&args.out, args.force)?;
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

    let mut model = live.model;
    let left_out = make_expressible(&mut model);
    for item in &left_out {
        crate::output::eprintln(format_args!(
            "warning: {} {}; the export leaves it out and ignores it (see {IGNORE_FILE})",
            item.address,
            spec::text::terminal(&item.reason)
        ));
    }
    let files = export_files(&model, &left_out);
    let warnings = write_valid(&args.out, &files, global)?;
    for (address, field) in credentials(&model) {
        // A spec says what apply writes, so the export holds the value itself.
        crate::output::eprintln(format_args!(
            "warning: {address} `{field}` holds a credential (a password or a token in the \
             URL), written as it is to the export in {}: keep those files out of public places",
            args.out.display()
        ));
    }

    let yaml_files = files.keys().filter(|f| f.ends_with(".yaml")).count();
    pipeline::print_stdout(&format!(
        "Exported the live project to {}: {yaml_files} spec file{} ({}{}).\n",
        args.out.display(),
        if yaml_files == 1 { "" } else { "s" },
        summary(&model),
        match left_out.len() {
            0 => String::new(),
            n => format!("; {n} live object{} ignored", if n == 1 { "" } else { "s" }),
        },
    ))?;
    if warnings > 0 {
        crate::output::eprintln(format_args!(
            "note: the export has {warnings} warning{} (run `switchboard validate {}` to see them)",
            if warnings == 1 { "" } else { "s" },
            args.out.display()
        ));
    }
    Ok(Exit::Ok)
}

/// The values of `model` that hold a credential, by address and field.
fn credentials(model: &Model) -> Vec<(String, &'static str)> {
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
fn summary(model: &Model) -> String {
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
fn check_out_dir(out: &Path, force: bool) -> anyhow::Result<()> {
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
    bail!(
        "--out {} holds files an export did not write ({}{more}){named}; export writes into \
         an empty directory or over a previous export: choose another --out, or pass --force \
         to write there anyway (files named like the export's are overwritten, others kept)",
        out.display(),
        shown.join(", "),
    )
}

/// True when the file at `path` was written by an export: a YAML file whose opening comment
/// lines hold [`MARK`], or a JSON Schema titled [`SCHEMA_TITLE`]. A file that cannot be read
/// is not.
fn is_previous_export(path: &Path) -> bool {
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

/// A live object the spec cannot describe, left out of the export and ignored.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct LeftOut {
    /// Its plan address, which is also its `ignore:` pattern.
    address: String,
    /// Why, as a phrase after the address.
    reason: String,
}

/// Removes from `model` what a spec cannot describe, and answers what was removed:
///
/// - an object whose name a spec refuses (`invalid-name`: a space at either end, a control or
///   invisible character), and what refers to it by that name (see
///   [`leave_out_unclear_names`]);
/// - a tree with no nodes (a spec tree needs its start node), and the numbers routed to it;
/// - a number that routes nowhere (a spec number needs `ivr` or `queue`);
/// - numbers and key presses that send calls to a queue with no routing and no
///   `get_list_agents_url` (the spec refuses a route to a queue that reaches no agent; the
///   queue itself stays).
///
/// Each is ignored by the exported spec, so `plan` leaves it as it is.
fn make_expressible(model: &mut Model) -> Vec<LeftOut> {
    let mut left_out = Vec::new();
    let lost_routing = leave_out_unclear_names(model, &mut left_out);
    let empty_trees: BTreeSet<String> = model
        .ivr
        .iter()
        .filter(|(_, tree)| tree.nodes.is_empty())
        .map(|(name, _)| name.clone())
        .collect();
    for name in &empty_trees {
        model.ivr.remove(name);
        left_out.push(LeftOut {
            address: Address::IvrTree(name.clone()).to_string(),
            reason: "has no nodes, and a spec tree needs at least its start node".to_owned(),
        });
    }
    let dead_ends: BTreeSet<String> = model
        .queues
        .iter()
        .filter(|(_, q)| q.routing.is_empty() && q.get_list_agents_url.is_none())
        .map(|(name, _)| name.clone())
        .collect();
    let dead_end = |queue: &str| {
        if lost_routing.contains(queue) {
            format!(
                "sends calls to queue `{queue}`, whose only routing is to a group the export \
                 leaves out, and a spec cannot send calls to a queue that reaches no agent"
            )
        } else {
            format!(
                "sends calls to queue `{queue}`, which has no routing and no \
                 get_list_agents_url, and a spec cannot send calls to a queue that reaches no \
                 agent"
            )
        }
    };
    for (tree_name, tree) in &mut model.ivr {
        for (node_name, node) in &mut tree.nodes {
            node.keys.retain(|key, action| match action {
                KeyAction::Queue { queue } if dead_ends.contains(queue) => {
                    left_out.push(LeftOut {
                        address: Address::IvrKey {
                            tree: tree_name.clone(),
                            node: node_name.clone(),
                            key: *key,
                        }
                        .to_string(),
                        reason: dead_end(queue),
                    });
                    false
                }
                _ => true,
            });
        }
    }
    model.numbers.retain(|digits, number| {
        let reason = match &number.route {
            None => "routes calls nowhere, and a spec number needs `ivr` or `queue`".to_owned(),
            Some(NumberRoute::Ivr(tree)) if empty_trees.contains(tree) => {
                let tree = Address::IvrTree(tree.clone());
                format!("routes calls to {tree}, which has no nodes")
            }
            Some(NumberRoute::Queue(queue)) if dead_ends.contains(queue) => dead_end(queue),
            Some(_) => return true,
        };
        left_out.push(LeftOut {
            address: Address::Number(digits.clone()).to_string(),
            reason,
        });
        false
    });
    left_out.sort();
    left_out
}

/// Why a live object named `name` is left out, when a spec cannot hold its name: what is
/// wrong with it and what to do. Groups, queues and trees can be renamed in place with
/// `moved:`; other kinds only in PCC.
fn unclear(name: &str, renamable: bool) -> Option<String> {
    let (what, _) = spec::unclear_name(name)?;
    let fix = if renamable {
        "rename it in PCC, or declare it under a clear name with a `moved:` entry from this \
         address and take it out of ignore.yaml"
    } else {
        "rename it in PCC"
    };
    // A name too long for a spec is too long for a line too: its first 60 characters.
    let shown = match name.char_indices().nth(60) {
        Some((at, _)) => format!("{:?}", format!("{}…", &name[..at])),
        None => format!("{name:?}"),
    };
    Some(format!(
        "is named {shown}, which {what}, and a spec refuses such a name (invalid-name): {fix}"
    ))
}

/// Leaves out every object whose name a spec refuses (it would read as another name in a
/// plan), and what refers to it by that name, so that the rest validates:
///
/// - an agent, and its memberships (ignored with it, as what it owns);
/// - a group, and the queue routings to it (ignored with it); a queue left with no routing
///   then reaches no agent, and the calls sent to it are left out below;
/// - a queue (its routings are ignored with it), and the numbers and key presses that send
///   calls to it;
/// - a tree (its nodes and keys are ignored with it), and the numbers routed to it;
/// - a node, and the key presses that go to it; a tree whose start node is left out is left
///   out whole;
/// - a number.
///
/// Answers the queues left with no routing (all of it went to groups left out).
fn leave_out_unclear_names(model: &mut Model, left_out: &mut Vec<LeftOut>) -> BTreeSet<String> {
    let mut leave = |address: Address, reason: String| {
        left_out.push(LeftOut {
            address: address.to_string(),
            reason,
        });
    };
    let agents = take_unclear(&mut model.agents);
    for id in &agents {
        leave(
            Address::Agent(id.clone()),
            unclear(id, false).expect("an unclear name"),
        );
    }
    let groups = take_unclear(&mut model.groups);
    for group in model.groups.values_mut() {
        group.agents.retain(|a| !agents.contains(a));
    }
    for name in &groups {
        leave(
            Address::Group(name.clone()),
            unclear(name, true).expect("an unclear name"),
        );
    }
    let queues = take_unclear(&mut model.queues);
    let mut lost_routing = BTreeSet::new();
    for (name, queue) in &mut model.queues {
        let had_routing = !queue.routing.is_empty();
        queue.routing.retain(|group, _| !groups.contains(group));
        if had_routing && queue.routing.is_empty() {
            lost_routing.insert(name.clone());
        }
    }
    for name in &queues {
        leave(
            Address::Queue(name.clone()),
            unclear(name, true).expect("an unclear name"),
        );
    }
    let mut trees = take_unclear(&mut model.ivr);
    for name in &trees {
        leave(
            Address::IvrTree(name.clone()),
            unclear(name, true).expect("an unclear name"),
        );
    }
    // A tree whose start node cannot be named cannot be written at all.
    let headless: Vec<String> = model
        .ivr
        .iter()
        .filter(|(_, tree)| spec::unclear_name(&tree.start).is_some())
        .map(|(name, _)| name.clone())
        .collect();
    for name in headless {
        let start = model.ivr.remove(&name).expect("a tree").start;
        leave(
            Address::IvrTree(name.clone()),
            format!(
                "starts at node {start:?}, whose name a spec refuses (invalid-name): rename the \
                 node in PCC"
            ),
        );
        trees.insert(name);
    }
    for (tree_name, tree) in &mut model.ivr {
        let nodes = take_unclear(&mut tree.nodes);
        for node in &nodes {
            leave(
                Address::IvrNode {
                    tree: tree_name.clone(),
                    node: node.clone(),
                },
                unclear(node, false).expect("an unclear name"),
            );
        }
        for (node_name, node) in &mut tree.nodes {
            node.keys.retain(|key, action| {
                let reason = match action {
                    KeyAction::Goto { node } if nodes.contains(node) => {
                        format!("goes to node {node:?}, whose name a spec refuses")
                    }
                    KeyAction::Queue { queue } if queues.contains(queue) => {
                        format!("sends calls to queue {queue:?}, whose name a spec refuses")
                    }
                    _ => return true,
                };
                leave(
                    Address::IvrKey {
                        tree: tree_name.clone(),
                        node: node_name.clone(),
                        key: *key,
                    },
                    reason,
                );
                false
            });
        }
    }
    let numbers = take_unclear(&mut model.numbers);
    for digits in &numbers {
        leave(
            Address::Number(digits.clone()),
            unclear(digits, false).expect("an unclear name"),
        );
    }
    model.numbers.retain(|digits, number| {
        let reason = match &number.route {
            Some(NumberRoute::Queue(queue)) if queues.contains(queue) => {
                format!("sends calls to queue {queue:?}, whose name a spec refuses")
            }
            Some(NumberRoute::Ivr(tree)) if trees.contains(tree) => {
                format!("routes calls to IVR tree {tree:?}, which the export leaves out")
            }
            _ => return true,
        };
        leave(Address::Number(digits.clone()), reason);
        false
    });
    lost_routing
}

/// Removes from `map` the entries whose names a spec refuses, and answers their names.
fn take_unclear<T>(map: &mut BTreeMap<String, T>) -> BTreeSet<String> {
    let names: BTreeSet<String> = map
        .keys()
        .filter(|name| spec::unclear_name(name).is_some())
        .cloned()
        .collect();
    for name in &names {
        map.remove(name);
    }
    names
}

/// The files of the export: `spec::emit`'s, `ignore.yaml` when something was left out, and
/// the JSON Schema they point at.
fn export_files(model: &Model, left_out: &[LeftOut]) -> BTreeMap<String, String> {
    let mut files = spec::emit(model, SCHEMA_FILE);
    if !left_out.is_empty() {
        files.insert(IGNORE_FILE.to_owned(), ignore_yaml(left_out));
    }
    for text in files.values_mut() {
        // After the schema line, which the YAML language server wants first.
        let at = text.find('\n').map_or(0, |i| i + 1);
        text.insert_str(at, &format!("{MARK}\n"));
    }
    files.insert(SCHEMA_FILE.to_owned(), spec::json_schema());
    files
}

fn ignore_yaml(left_out: &[LeftOut]) -> String {
    let mut out = format!(
        "# yaml-language-server: $schema={SCHEMA_FILE}\n\
         #\n\
         # Live objects this spec cannot describe. switchboard leaves them as they are (never\n\
         # changes or deletes them) until you fix them in PCC, or describe them in the spec and\n\
         # remove their line here.\n\
         ignore:\n"
    );
    for item in left_out {
        let comment = format!("{}: {}", item.address, item.reason);
        let _ = writeln!(out, "  # {}", one_line(&comment));
        let _ = writeln!(out, "  - {}", yaml_quoted(&item.address));
    }
    out
}

/// `text` as a YAML double-quoted scalar, with every character a spec refuses in a name
/// escaped (`\uFEFF`), so that an invisible character shows in `ignore.yaml`.
fn yaml_quoted(text: &str) -> String {
    // JSON strings are YAML double-quoted scalars; JSON escapes control characters only.
    let json = serde_json::to_string(text).expect("a string is JSON");
    json.chars()
        .map(|c| match c {
            c if !c.is_ascii() && invisible(c) => c
                .encode_utf16(&mut [0; 2])
                .iter()
                .map(|unit| format!("\\u{unit:04X}"))
                .collect(),
            c => c.to_string(),
        })
        .collect()
}

/// `text` with its control, invisible and line-break characters escaped, so that it fits in
/// a comment and shows what it holds.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            c if invisible(c) || matches!(c, '\u{2028}' | '\u{2029}') => {
                c.escape_unicode().to_string()
            }
            c => c.to_string(),
        })
        .collect()
}

/// True for a character a spec refuses anywhere in a name (a control character, a zero-width
/// space, a bidirectional override...), as opposed to a space, refused only at the ends.
fn invisible(c: char) -> bool {
    spec::unclear_name(&format!("a{c}a")).is_some()
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
fn write_files(out: &Path, files: &BTreeMap<String, String>) -> anyhow::Result<()> {
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
    use spec::model::{IvrNode, IvrTree, Key, Number, Prompt, Queue, Routing};

    use super::*;

    fn node(keys: &[(Key, KeyAction)]) -> IvrNode {
        IvrNode {
            prompt: Prompt::Say {
                text: "Hello.".into(),
                voice: spec::model::DEFAULT_VOICE.into(),
                speed: 0,
            },
            barge_in: true,
            loop_count: 1,
            delay_ms: 0,
            keypress_timeout: 5,
            keys: keys.iter().cloned().collect(),
        }
    }

    fn number(route: Option<NumberRoute>) -> Number {
        Number {
            nickname: None,
            route,
            allow_outbound_calls: false,
            record_outbound_calls: false,
        }
    }

    /// A live project with every state a spec cannot describe, and one of each that it can.
    fn brownfield() -> Model {
        let mut model = Model::default();
        let mut routed = Queue::default();
        routed
            .routing
            .insert("sales".into(), Routing { primary: true });
        model.queues.insert("sales".into(), routed);
        model.queues.insert("limbo".into(), Queue::default());
        model.groups.insert("sales".into(), Default::default());
        model.ivr.insert(
            "draft".into(),
            IvrTree {
                start: String::new(),
                nodes: BTreeMap::new(),
            },
        );
        let queue = |q: &str| KeyAction::Queue { queue: q.into() };
        model.ivr.insert(
            "main".into(),
            IvrTree {
                start: "menu".into(),
                nodes: BTreeMap::from([(
                    "menu".into(),
                    node(&[(Key::D1, queue("sales")), (Key::D2, queue("limbo"))]),
                )]),
            },
        );
        model.numbers.insert("841".into(), number(None));
        model
            .numbers
            .insert("842".into(), number(Some(NumberRoute::Ivr("draft".into()))));
        model.numbers.insert(
            "843".into(),
            number(Some(NumberRoute::Queue("limbo".into()))),
        );
        model
            .numbers
            .insert("844".into(), number(Some(NumberRoute::Ivr("main".into()))));
        model
    }

    /// True when `policy` ignores the object at `address` (an address as plans print it).
    fn ignores(policy: &spec::Policy, address: &str) -> bool {
        policy.is_ignored(&address.parse().expect("an address"))
    }

    #[test]
    fn what_a_spec_cannot_describe_is_left_out_and_ignored() {
        let mut model = brownfield();
        let left_out = make_expressible(&mut model);
        let addresses: Vec<&str> = left_out.iter().map(|l| l.address.as_str()).collect();
        assert_eq!(
            addresses,
            [
                "ivr_key.main/menu/2",
                "ivr_tree.draft",
                "number.841",
                "number.842",
                "number.843"
            ]
        );
        assert_eq!(model.numbers.keys().collect::<Vec<_>>(), ["844"]);
        assert_eq!(model.ivr.keys().collect::<Vec<_>>(), ["main"]);
        assert_eq!(
            model.ivr["main"].nodes["menu"]
                .keys
                .keys()
                .collect::<Vec<_>>(),
            [&Key::D1]
        );
        // The queue stays: nothing sends calls to it any more, which a spec allows.
        assert!(model.queues.contains_key("limbo"));

        let files = export_files(&model, &left_out);
        let spec = load_export(&files);
        assert_eq!(spec.model, model);
        for address in addresses {
            assert!(ignores(&spec.policy, address), "{address}");
        }
        // Only those: the objects the export describes are managed.
        assert!(!ignores(&spec.policy, "number.844"));
        assert!(!ignores(&spec.policy, "ivr_key.main/menu/1"));
    }

    #[test]
    fn names_a_spec_refuses_are_left_out_with_what_refers_to_them() {
        let mut model = brownfield();
        model.agents.insert("alice".into(), agent("Alice"));
        model.agents.insert("carol\u{200B}".into(), agent("Carol"));
        model.groups.get_mut("sales").unwrap().agents =
            ["alice".to_owned(), "carol\u{200B}".to_owned()].into();
        model.groups.insert("Sales ".into(), Default::default());
        let sales = model.queues.get_mut("sales").unwrap();
        sales
            .routing
            .insert("Sales ".into(), Routing { primary: false });
        let mut odd_only = Queue::default();
        odd_only
            .routing
            .insert("Sales ".into(), Routing { primary: true });
        model.queues.insert("odd-only".into(), odd_only);
        model.queues.insert("\u{202E}evil".into(), Queue::default());
        let goto = |n: &str| KeyAction::Goto { node: n.into() };
        let queue = |q: &str| KeyAction::Queue { queue: q.into() };
        let main = model.ivr.get_mut("main").unwrap();
        let menu = main.nodes.get_mut("menu").unwrap();
        menu.keys.insert(Key::D3, goto("\tnode"));
        menu.keys.insert(Key::D4, queue("\u{202E}evil"));
        menu.keys.insert(Key::D5, queue("odd-only"));
        main.nodes.insert("\tnode".into(), node(&[]));
        model.ivr.insert(
            "bom\u{FEFF}".into(),
            IvrTree {
                start: "menu".into(),
                nodes: BTreeMap::from([("menu".into(), node(&[]))]),
            },
        );
        model.ivr.insert(
            "headless".into(),
            IvrTree {
                start: "start ".into(),
                nodes: BTreeMap::from([("start ".into(), node(&[]))]),
            },
        );
        for (digits, route) in [
            ("845 ", NumberRoute::Ivr("main".into())),
            ("846", NumberRoute::Ivr("bom\u{FEFF}".into())),
            ("847", NumberRoute::Ivr("headless".into())),
            ("848", NumberRoute::Queue("\u{202E}evil".into())),
            ("849", NumberRoute::Queue("odd-only".into())),
        ] {
            model.numbers.insert(digits.into(), number(Some(route)));
        }

        let left_out = make_expressible(&mut model);
        let addresses: Vec<&str> = left_out.iter().map(|l| l.address.as_str()).collect();
        assert_eq!(
            addresses,
            [
                "agent.carol%E2%80%8B",
                "group.Sales ",
                "ivr_key.main/menu/2",
                "ivr_key.main/menu/3",
                "ivr_key.main/menu/4",
                "ivr_key.main/menu/5",
                "ivr_node.main/%09node",
                "ivr_tree.bom%EF%BB%BF",
                "ivr_tree.draft",
                "ivr_tree.headless",
                "number.841",
                "number.842",
                "number.843",
                "number.845 ",
                "number.846",
                "number.847",
                "number.848",
                "number.849",
                "queue.%E2%80%AEevil",
            ]
        );
        let reason = |address: &str| {
            &left_out
                .iter()
                .find(|l| l.address == address)
                .unwrap()
                .reason
        };
        assert!(reason("group.Sales ").contains("`moved:`"));
        assert!(!reason("agent.carol%E2%80%8B").contains("moved"));
        assert!(reason("number.849").contains("whose only routing is to a group the export"));
        // What stays loses its references to what was left out, and nothing else.
        assert_eq!(model.groups["sales"].agents, ["alice".to_owned()].into());
        assert_eq!(
            model.queues["sales"].routing.keys().collect::<Vec<_>>(),
            ["sales"]
        );
        assert!(model.queues["odd-only"].routing.is_empty());
        assert_eq!(model.ivr.keys().collect::<Vec<_>>(), ["main"]);
        assert_eq!(
            model.ivr["main"].nodes["menu"]
                .keys
                .keys()
                .collect::<Vec<_>>(),
            [&Key::D1]
        );

        let files = export_files(&model, &left_out);
        let ignore = &files[IGNORE_FILE];
        // Invisible characters show, percent-encoded in the patterns (as plans print
        // addresses) and escaped in the comments.
        assert!(
            ignore.contains("  - \"ivr_tree.bom%EF%BB%BF\"\n"),
            "{ignore}"
        );
        assert!(
            ignore.contains("  # ivr_tree.bom%EF%BB%BF: is named \"bom\\u{feff}\""),
            "{ignore}"
        );
        assert!(
            !ignore.contains('\u{FEFF}') && !ignore.contains('\u{202E}'),
            "{ignore}"
        );
        let spec = load_export(&files);
        assert_eq!(spec.model, model);
        for address in addresses {
            assert!(ignores(&spec.policy, address), "{address}");
        }
        assert!(!ignores(&spec.policy, "group.Sales"));
        assert!(!ignores(&spec.policy, "queue.evil"));
    }

    #[test]
    fn audio_with_a_name_a_spec_refuses_is_exported_under_its_file_name() {
        use spec::model::{Audio, AudioId};
        let mut model = brownfield();
        let id = AudioId::ServerFile("a1b2.mp3".into());
        model.audio.insert(
            id.clone(),
            Audio {
                name: "hold music ".into(),
                file: None,
            },
        );
        model.queues.get_mut("sales").unwrap().hold_greeting = Some(id);
        let left_out = make_expressible(&mut model);
        assert!(!left_out.iter().any(|l| l.address.starts_with("audio.")));
        let files = export_files(&model, &left_out);
        assert!(
            files["audio.yaml"].contains("a1b2.mp3"),
            "{}",
            files["audio.yaml"]
        );
        assert!(
            !files["audio.yaml"].contains("hold music"),
            "{}",
            files["audio.yaml"]
        );
        load_export(&files);
    }

    /// Loads the YAML files of an export as `validate` would, asserting it has no error.
    fn load_export(files: &BTreeMap<String, String>) -> spec::Spec {
        let sources: Vec<spec::Source> = files
            .iter()
            .filter(|(name, _)| name.ends_with(".yaml"))
            .map(|(name, text)| spec::Source {
                path: name.clone(),
                text: text.clone(),
            })
            .collect();
        let loaded = spec::load(&sources, &|_| Err("no files".to_owned()));
        assert_eq!(loaded.errors(), 0, "{:#?}", loaded.diagnostics);
        loaded.spec.expect("a spec without errors")
    }

    fn agent(name: &str) -> spec::model::Agent {
        spec::model::Agent {
            name: name.into(),
            routing: spec::model::AgentRouting::App,
            phone_number: None,
        }
    }

    #[test]
    fn every_exported_file_is_marked_after_its_schema_line() {
        let mut model = brownfield();
        let left_out = make_expressible(&mut model);
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
    fn ignore_yaml_says_why_and_survives_hostile_names() {
        let left_out = vec![
            LeftOut {
                address: "number.841".into(),
                reason: "routes calls nowhere".into(),
            },
            LeftOut {
                address: Address::IvrTree("a\nb \"c\" d/e".into()).to_string(),
                reason: "has no nodes".into(),
            },
        ];
        let text = ignore_yaml(&left_out);
        assert!(
            text.contains("  # number.841: routes calls nowhere\n  - \"number.841\"\n"),
            "{text}"
        );
        let loaded = spec::load(
            &[spec::Source {
                path: "ignore.yaml".into(),
                text,
            }],
            &|_| Err("no files".to_owned()),
        );
        assert_eq!(loaded.errors(), 0, "{:#?}", loaded.diagnostics);
        let policy = loaded.spec.unwrap().policy;
        // The line break is percent-encoded in the address, and the pattern still covers it.
        assert_eq!(policy.ignore, ["number.841", "ivr_tree.a%0Ab \"c\" d%2Fe"]);
        assert!(policy.is_ignored(&Address::IvrTree("a\nb \"c\" d/e".into())));
    }

    #[test]
    fn only_an_empty_directory_or_a_previous_export_is_written_over() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("export");
        check_out_dir(&out, false).unwrap();
        std::fs::create_dir(&out).unwrap();
        check_out_dir(&out, false).unwrap();
        let files = export_files(&Model::default(), &[]);
        for (name, text) in &files {
            std::fs::write(out.join(name), text).unwrap();
        }
        let marked =
            format!("# yaml-language-server: $schema={SCHEMA_FILE}\n{MARK}\nagents: {{}}\n");
        std::fs::write(out.join("agents.yaml"), marked).unwrap();
        std::fs::create_dir(out.join(".switchboard")).unwrap();
        check_out_dir(&out, false).unwrap();

        // Named like an export's files, written by hand: never taken for an export.
        for (name, text) in [
            ("ivr.yaml", "# our IVR, by hand\nivr: {}\n"),
            (SCHEMA_FILE, "{\"title\": \"our schema\"}"),
        ] {
            std::fs::write(out.join(name), text).unwrap();
            let err = check_out_dir(&out, false).unwrap_err().to_string();
            assert!(
                err.contains(&format!("holds files an export did not write (`{name}`)")),
                "{err}"
            );
            assert!(err.contains("`# Exported by switchboard ...`"), "{err}");
            std::fs::remove_file(out.join(name)).unwrap();
        }
        check_out_dir(&out, false).unwrap();

        std::fs::write(out.join("README.md"), "mine").unwrap();
        let err = check_out_dir(&out, false).unwrap_err().to_string();
        assert!(
            err.contains("holds files an export did not write (`README.md`)"),
            "{err}"
        );
        assert!(err.contains("--force"), "{err}");
        check_out_dir(&out, true).unwrap();

        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        let err = format!("{:#}", check_out_dir(&file, true).unwrap_err());
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
