//! `moved:` entries: renames of groups, queues and IVR trees, checked against the names the
//! spec declares. A rename is only safe to plan when it is unambiguous: one live object, one
//! new name, no chains, so every rule here is an error.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use crate::address::{Address, Kind, percent_decode, split_kind};
use crate::diagnostic::code;
use crate::load::merge::Project;
use crate::load::{At, Cx, backticked, did_you_mean};
use crate::policy::Moved;
use crate::raw::{RawMoved, Spanned};

/// One end of an entry, parsed.
struct End<'r> {
    /// A kind [`Kind::is_renamable`].
    kind: Kind,
    /// The name, decoded when written as plans print it (see [`read_name`]).
    name: Cow<'r, str>,
    at: At,
}

/// An entry whose two ends parsed, are of one kind and differ.
struct Entry<'r> {
    from: End<'r>,
    to: End<'r>,
}

impl Entry<'_> {
    fn address(&self, end: &End<'_>) -> String {
        named(self.from.kind, &end.name)
    }
}

/// The address of a renamable object with its name as the spec declares it (`group.sales/en`,
/// not encoded): the spec's names hold no hazard, and a person finds them as written.
fn named(kind: Kind, name: &str) -> String {
    Address::named(kind, name)
        .expect("renamable kinds are named by one name")
        .unencoded()
}

pub(super) fn lower_moved(cx: &mut Cx<'_>, project: &Project<'_>) -> Vec<Moved> {
    let mut entries = Vec::new();
    for &(file, raw) in &project.moved {
        if let Some(entry) = parse_entry(cx, file, raw, project) {
            entries.push(entry);
        }
    }

    // One `from`, one `to`: a second entry with either is ambiguous.
    let mut by_from: BTreeMap<(Kind, &str), usize> = BTreeMap::new();
    let mut by_to: BTreeMap<(Kind, &str), usize> = BTreeMap::new();
    let mut dropped = BTreeSet::new();
    for (i, entry) in entries.iter().enumerate() {
        for (end, seen, side) in [
            (&entry.from, &mut by_from, "from"),
            (&entry.to, &mut by_to, "to"),
        ] {
            if let Some(&first) = seen.get(&(end.kind, &*end.name)) {
                let first_end = if side == "from" {
                    &entries[first].from
                } else {
                    &entries[first].to
                };
                let also = cx.label(first_end.at, "first here");
                let address = entry.address(end);
                let diagnostic = cx.error(
                    code::DUPLICATE_MOVE,
                    end.at,
                    format!("two `moved` entries have `{side}: {address}`"),
                    "again here",
                );
                diagnostic.labels.push(also);
                diagnostic.help = Some(if side == "from" {
                    "one live object gets one new name: keep one of the entries".to_owned()
                } else {
                    "two live objects cannot both become one: keep one of the entries, and \
                     the other object is deleted (or give it a name of its own)"
                        .to_owned()
                });
                dropped.insert(i);
            } else {
                seen.insert((end.kind, &*end.name), i);
            }
        }
    }

    // Chains and cycles: a name that one entry moves to and another moves from.
    let mut links = BTreeSet::new();
    let mut reported = BTreeSet::new();
    for (i, entry) in entries.iter().enumerate() {
        let key = (entry.from.kind, &*entry.from.name);
        let Some(&before) = by_to.get(&key) else {
            continue;
        };
        links.insert(key);
        if reported.contains(&i) {
            continue;
        }
        // Walk back to the head of the chain, then forward to its end.
        let mut head = before;
        let mut members = BTreeSet::from([i, before]);
        while let Some(&prev) = by_to.get(&(entries[head].from.kind, &*entries[head].from.name)) {
            if !members.insert(prev) {
                break;
            }
            head = prev;
        }
        let mut path = vec![&*entries[head].from.name];
        let mut at = head;
        let mut seen = BTreeSet::from([head]);
        let cycle = loop {
            path.push(&*entries[at].to.name);
            match by_from.get(&(entries[at].to.kind, &*entries[at].to.name)) {
                Some(&next) if seen.insert(next) => at = next,
                Some(_) => break true,
                None => break false,
            }
        };
        reported.extend(seen.iter().copied());
        let kind = entry.from.kind;
        let shown = path
            .iter()
            .map(|n| named(kind, n))
            .collect::<Vec<_>>()
            .join(" -> ");
        let also = cx.label(entries[before].to.at, "moved to here");
        let diagnostic = if cycle {
            cx.error(
                code::MOVE_CHAIN,
                entry.from.at,
                format!("`moved` entries go round in a circle: `{shown}`"),
                "moved from here",
            )
        } else {
            cx.error(
                code::MOVE_CHAIN,
                entry.from.at,
                format!("`moved` entries chain: `{shown}`"),
                "moved from here",
            )
        };
        diagnostic.labels.push(also);
        diagnostic.help = Some(if cycle {
            "a rename cannot go round in a circle (PCC would hold two objects with one name \
             on the way): remove these entries"
                .to_owned()
        } else {
            format!(
                "write one entry, `from: {}` `to: {}`: the live object has one of the old \
                 names, and the plan renames it straight to the last",
                named(kind, path[0]),
                named(kind, path[path.len() - 1])
            )
        });
    }

    let mut out = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let (kind, from, to) = (entry.from.kind, &*entry.from.name, &*entry.to.name);
        let declared = declared(project, kind);
        let mut ok = !dropped.contains(&i);
        if !links.contains(&(kind, to)) && !declared.contains(to) {
            ok = false;
            let help = match did_you_mean(to, declared.iter().copied()) {
                Some(close) => format!("did you mean `{}`?", named(kind, close)),
                None => format!(
                    "`to` names the object as the spec now declares it, under `{}:`",
                    section(kind)
                ),
            };
            cx.error(
                code::UNKNOWN_REFERENCE,
                entry.to.at,
                format!(
                    "`moved` to `{}`, which the spec does not declare",
                    entry.address(&entry.to)
                ),
                format!("no {} named `{to}`", noun(kind)),
            )
            .help = Some(help);
        }
        if !links.contains(&(kind, from)) && declared.contains(from) {
            ok = false;
            let address = entry.address(&entry.from);
            cx.error(
                code::MOVED_FROM_DECLARED,
                entry.from.at,
                format!("`{address}` is still declared, so it is not moved"),
                "still declared",
            )
            .help = Some(format!(
                "remove `{from}` from `{}:` (the rename keeps its live object), or remove \
                 this entry",
                section(kind)
            ));
        }
        if ok && !links.contains(&(kind, from)) && !links.contains(&(kind, to)) {
            out.push(Moved {
                kind,
                from: from.to_owned(),
                to: to.to_owned(),
            });
        }
    }
    out.sort();
    out
}

fn parse_entry<'r>(
    cx: &mut Cx<'_>,
    file: usize,
    raw: &'r Spanned<RawMoved>,
    project: &Project<'_>,
) -> Option<Entry<'r>> {
    let from = parse_end(cx, file, &raw.value.from, "from", None);
    let from_kind = Some(split_kind(&raw.value.from.value).0);
    // `from: agent.bob` `to: agent.robert` is one mistake, said once.
    let to = parse_end(
        cx,
        file,
        &raw.value.to,
        "to",
        from_kind.filter(|_| from.is_none()),
    );
    let (mut from, mut to) = (from?, to?);
    if from.kind != to.kind {
        let also = cx.label(from.at, format!("a {}", noun(from.kind)));
        let diagnostic = cx.error(
            code::INVALID_MOVE,
            to.at,
            format!(
                "`moved` from a {} to a {}: an object keeps its kind",
                noun(from.kind),
                noun(to.kind)
            ),
            format!("a {}", noun(to.kind)),
        );
        diagnostic.labels.push(also);
        diagnostic.help = Some(format!(
            "write `to: {}.<new name>`; a {} and a {} are different things in PCC, so \
             turning one into the other is a delete and a create",
            from.kind.as_str(),
            noun(from.kind),
            noun(to.kind)
        ));
        return None;
    }
    let declared = declared(project, from.kind);
    from.name = read_name(from.name, &declared);
    to.name = read_name(to.name, &declared);
    if from.name == to.name {
        cx.error(
            code::INVALID_MOVE,
            to.at,
            if raw.value.from.value == raw.value.to.value {
                format!("`moved` from `{}` to itself", raw.value.to.value)
            } else {
                format!(
                    "`moved` from `{}` to `{}`, the same {}",
                    raw.value.from.value,
                    raw.value.to.value,
                    noun(from.kind)
                )
            },
            "the same address",
        )
        .help = Some("remove the entry: nothing is renamed".to_owned());
        return None;
    }
    Some(Entry { from, to })
}

/// Parses one end; reports what is wrong with it unless its kind is `reported` already.
fn parse_end<'r>(
    cx: &mut Cx<'_>,
    file: usize,
    address: &'r Spanned<String>,
    side: &str,
    reported: Option<&str>,
) -> Option<End<'r>> {
    let at = At::of(file, address);
    let value = address.value.as_str();
    let (kind, name) = split_kind(value);
    let name = name.unwrap_or("");
    let renamable = renamable_spellings();
    let (help, message) = match kind.parse::<Kind>() {
        Ok(kind) if kind.is_renamable() && !name.is_empty() => {
            return Some(End {
                kind,
                name: name.into(),
                at,
            });
        }
        Ok(kind) if kind.is_renamable() => (
            format!("write `{kind}.<name>`"),
            format!("`{side}: {value}` names no object"),
        ),
        Ok(other) => {
            let (what, why) = why_not(other);
            (why.to_owned(), format!("`moved` cannot rename {what}"))
        }
        Err(_) => (
            match did_you_mean(kind, renamable.iter().copied()) {
                Some(close) => format!("did you mean `{close}.{name}`?"),
                None => format!(
                    "addresses are `kind.name`, where kind is one of {}",
                    backticked(&renamable)
                ),
            },
            format!("`{side}: {value}` is not the address of a group, queue or IVR tree"),
        ),
    };
    if reported != Some(kind) {
        cx.error(code::INVALID_MOVE, at, message, "not renamable")
            .help = Some(help);
    }
    None
}

/// The spellings of the kinds `moved:` takes, in address order.
fn renamable_spellings() -> Vec<&'static str> {
    Kind::ALL
        .into_iter()
        .filter(|k| k.is_renamable())
        .map(Kind::as_str)
        .collect()
}

/// What a kind of object that cannot be renamed is called, and why: its identity is not a
/// name, or PCC's API cannot change it in place.
fn why_not(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Agent => (
            "an agent",
            "an agent is its `stringee_user_id`, which PCC cannot change on an agent, so a new \
             id is a delete and a create; to change what people see, edit its `name`",
        ),
        Kind::Audio => (
            "an audio file",
            "an audio file is known by its content, not its name: renaming it in the spec \
             changes nothing on the server, and needs no entry",
        ),
        Kind::Number => (
            "a number",
            "a number is its digits, which PCC cannot change on a number: a new number is a \
             delete and a create",
        ),
        Kind::Blacklist => (
            "a blacklist entry",
            "a blacklist entry is the caller's digits: another number is another entry, a \
             delete and a create",
        ),
        Kind::Membership | Kind::Routing => (
            if kind == Kind::Routing {
                "a routing"
            } else {
                "a membership"
            },
            "it is a pair (a group and an agent, a queue and a group), not a name: rename the \
             group or queue it belongs to and it follows",
        ),
        Kind::IvrNode => (
            "an IVR node",
            "a node is known by its name in its tree, and switchboard does not rename nodes in \
             place (PCC's node update is not confirmed to take `node_name`), so a renamed \
             node is a delete and a create with its keys; renaming its tree keeps it",
        ),
        Kind::IvrKey => (
            "a key press",
            "a key press is its key on its node; PCC cannot change the key of a key press, so \
             another key is a delete and a create",
        ),
        Kind::Settings => (
            "the settings",
            "the call settings are one object with no name",
        ),
        Kind::Group | Kind::Queue | Kind::IvrTree => {
            unreachable!("`{kind}` is renamable")
        }
    }
}

/// The name an address in `moved:` means. Plans print names with `/`, `%` and control
/// characters percent-encoded (`group.a%2Fb`), and a person copies them from there, so an
/// address reads as in `ignore:`, where both forms match: a name the spec declares as written
/// is that name; otherwise its escapes are decoded. A `%` that starts no escape (`50% off`)
/// is itself.
fn read_name<'r>(name: Cow<'r, str>, declared: &BTreeSet<&str>) -> Cow<'r, str> {
    if !name.contains('%') || declared.contains(&*name) {
        return name;
    }
    match percent_decode(&name) {
        Some(decoded) => decoded.into(),
        None => name,
    }
}

/// The names the spec declares for a renamable kind (none for another kind).
fn declared<'p>(project: &'p Project<'_>, kind: Kind) -> BTreeSet<&'p str> {
    match kind {
        Kind::Group => project.groups.keys().map(String::as_str).collect(),
        Kind::Queue => project.queues.keys().map(String::as_str).collect(),
        Kind::IvrTree => project.ivr.keys().map(String::as_str).collect(),
        _ => BTreeSet::new(),
    }
}

/// The section that declares a renamable kind.
fn section(kind: Kind) -> &'static str {
    match kind {
        Kind::Group => "groups",
        Kind::Queue => "queues",
        Kind::IvrTree => "ivr",
        _ => kind.as_str(),
    }
}

/// What people call a renamable kind.
fn noun(kind: Kind) -> &'static str {
    match kind {
        Kind::IvrTree => "IVR tree",
        _ => kind.as_str(),
    }
}
