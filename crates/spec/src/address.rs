//! Kinds and addresses (`agent.alice`, `ivr_key.main/english/2`): how every crate names an
//! object (plans, renderings, live problems, server ids, executor messages, saved plans), and
//! the `ignore:` patterns that match addresses.
//!
//! An address is `<kind>.<key>`, the key's parts joined by `/`. A name that itself contains `/`
//! or `%` is written with those two characters percent-encoded (`group.sales%2Fen`), so that
//! every address parses back to exactly one object; control characters and the other hazards
//! of [`crate::text`] (bidirectional controls, invisible characters), which only live names can
//! hold, are encoded too, so that an address is always one printable line.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt::{self, Write};
use std::str::FromStr;

use crate::model::{Key, Model};

/// The kinds of objects a plan changes, in dependency order (a kind only refers to kinds
/// before it, except numbers and settings, which come last because nothing refers to them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// An agent, keyed by `stringee_user_id`.
    Agent,
    /// An agent group, keyed by name.
    Group,
    /// An agent's membership of a group.
    Membership,
    /// A greeting or hold audio file.
    Audio,
    /// A queue, keyed by name (without its routing).
    Queue,
    /// A queue → group routing.
    Routing,
    /// An IVR tree (without its nodes).
    IvrTree,
    /// An IVR node (without its key presses).
    IvrNode,
    /// A key press of an IVR node.
    IvrKey,
    /// A phone number.
    Number,
    /// A blacklisted caller number, keyed by its digits.
    Blacklist,
    /// The project's call settings.
    Settings,
}

impl Kind {
    /// Every kind, in dependency order.
    pub const ALL: [Kind; 12] = [
        Kind::Agent,
        Kind::Group,
        Kind::Membership,
        Kind::Audio,
        Kind::Queue,
        Kind::Routing,
        Kind::IvrTree,
        Kind::IvrNode,
        Kind::IvrKey,
        Kind::Number,
        Kind::Blacklist,
        Kind::Settings,
    ];

    /// The spelling used in addresses, `policy.safety.kinds` and JSON plans.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Agent => "agent",
            Kind::Group => "group",
            Kind::Membership => "membership",
            Kind::Audio => "audio",
            Kind::Queue => "queue",
            Kind::Routing => "routing",
            Kind::IvrTree => "ivr_tree",
            Kind::IvrNode => "ivr_node",
            Kind::IvrKey => "ivr_key",
            Kind::Number => "number",
            Kind::Blacklist => "blacklist",
            Kind::Settings => "settings",
        }
    }

    /// True for the one kind with a single object and no name, the call settings: no
    /// `ignore:` pattern or `safety.kinds` entry names it, and it is never created or deleted.
    pub fn is_singleton(self) -> bool {
        self == Kind::Settings
    }

    /// True for the kinds PCC can rename in place, whose `PUT` takes a new name (a group,
    /// a queue, an IVR tree; docs/pcc-api-assumptions.md, "Writes"): the kinds `moved:` takes.
    pub fn is_renamable(self) -> bool {
        matches!(self, Kind::Group | Kind::Queue | Kind::IvrTree)
    }

    /// The spellings of the kinds an `ignore:` pattern or `safety.kinds` names (every kind
    /// but the singleton), in alphabetical order, as messages and the JSON Schema list them.
    pub fn named_spellings() -> Vec<&'static str> {
        let mut names: Vec<&'static str> = Kind::ALL
            .into_iter()
            .filter(|k| !k.is_singleton())
            .map(Kind::as_str)
            .collect();
        names.sort_unstable();
        names
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not a kind"))
    }
}

/// The name of one object in a plan. Ordered by kind (in dependency order), then by key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Address {
    /// `agent.<stringee_user_id>`
    Agent(String),
    /// `group.<name>`
    Group(String),
    /// `membership.<group>/<agent>`
    Membership {
        /// The group's name.
        group: String,
        /// The agent's `stringee_user_id`.
        agent: String,
    },
    /// `audio.<name>`: the name the spec gives the file (audio is matched by content, the
    /// name is for people).
    Audio(String),
    /// `queue.<name>`
    Queue(String),
    /// `routing.<queue>/<group>`
    Routing {
        /// The queue's name.
        queue: String,
        /// The group's name.
        group: String,
    },
    /// `ivr_tree.<name>`
    IvrTree(String),
    /// `ivr_node.<tree>/<node>`
    IvrNode {
        /// The tree's name.
        tree: String,
        /// The node's name.
        node: String,
    },
    /// `ivr_key.<tree>/<node>/<key>`, the key spelled `0`-`9`, `*`, `#`, `timeout`, `invalid`.
    IvrKey {
        /// The tree's name.
        tree: String,
        /// The node's name.
        node: String,
        /// The key.
        key: Key,
    },
    /// `number.<digits>`
    Number(String),
    /// `blacklist.<digits>`: a blacklisted caller number, digits without the `+`.
    Blacklist(String),
    /// `settings`
    Settings,
}

impl Address {
    /// The address of an object of a kind named by one name (not a pair, a path or the
    /// settings): `Address::named(Kind::Group, "sales")` is `group.sales`. `None` for the
    /// other kinds.
    pub fn named(kind: Kind, name: impl Into<String>) -> Option<Address> {
        let name = name.into();
        Some(match kind {
            Kind::Agent => Address::Agent(name),
            Kind::Group => Address::Group(name),
            Kind::Audio => Address::Audio(name),
            Kind::Queue => Address::Queue(name),
            Kind::IvrTree => Address::IvrTree(name),
            Kind::Number => Address::Number(name),
            Kind::Blacklist => Address::Blacklist(name),
            _ => return None,
        })
    }

    /// The kind of object addressed.
    pub fn kind(&self) -> Kind {
        match self {
            Address::Agent(_) => Kind::Agent,
            Address::Group(_) => Kind::Group,
            Address::Membership { .. } => Kind::Membership,
            Address::Audio(_) => Kind::Audio,
            Address::Queue(_) => Kind::Queue,
            Address::Routing { .. } => Kind::Routing,
            Address::IvrTree(_) => Kind::IvrTree,
            Address::IvrNode { .. } => Kind::IvrNode,
            Address::IvrKey { .. } => Kind::IvrKey,
            Address::Number(_) => Kind::Number,
            Address::Blacklist(_) => Kind::Blacklist,
            Address::Settings => Kind::Settings,
        }
    }

    /// The address without its kind (`support/carol` for `membership.support/carol`), as
    /// JSON plans show it in `name`. `settings` for the settings.
    pub fn name(&self) -> String {
        self.key(encode)
            .unwrap_or_else(|| Kind::Settings.to_string())
    }

    /// [`Address::name`] with names as written, `/` and `%` not encoded (`sales/en`), as
    /// messages about live objects show it after the kind (``group `sales/en` ``). May hold
    /// what a live name holds: never printed but through [`crate::text`].
    pub fn unencoded_name(&self) -> String {
        self.key(|name| name.into())
            .unwrap_or_else(|| Kind::Settings.to_string())
    }

    /// The address with names as written, `/` and `%` not encoded (`group.sales/en`): what a
    /// person writes in an `ignore:` pattern. Not always read back as one object, and may hold
    /// what a live name holds: never printed but through [`crate::text`].
    pub fn unencoded(&self) -> String {
        self.written(|name| name.into())
    }

    /// The address with each name part passed through `part` (encoded or as written).
    fn written(&self, part: impl for<'a> Fn(&'a str) -> Cow<'a, str>) -> String {
        match self.key(part) {
            Some(key) => format!("{}.{key}", self.kind()),
            None => Kind::Settings.to_string(),
        }
    }

    /// The key's parts, each passed through `part`, joined by `/`; `None` for the settings,
    /// which have no key.
    fn key(&self, part: impl for<'a> Fn(&'a str) -> Cow<'a, str>) -> Option<String> {
        Some(match self {
            Address::Agent(name)
            | Address::Group(name)
            | Address::Audio(name)
            | Address::Queue(name)
            | Address::IvrTree(name)
            | Address::Number(name)
            | Address::Blacklist(name) => part(name).into_owned(),
            Address::Membership { group: a, agent: b }
            | Address::Routing { queue: a, group: b }
            | Address::IvrNode { tree: a, node: b } => format!("{}/{}", part(a), part(b)),
            Address::IvrKey { tree, node, key } => {
                format!("{}/{}/{key}", part(tree), part(node))
            }
            Address::Settings => return None,
        })
    }

    /// This address once the group, queue or IVR tree at `from` is called as at `to`: the
    /// object itself, or one that names it in its key (a routing names its queue and its
    /// group, a node and a key press their tree). `None` when the rename does not touch it,
    /// or `from` and `to` are not one-name addresses of one kind.
    pub fn renamed(&self, from: &Address, to: &Address) -> Option<Address> {
        if self == from {
            return (from.kind() == to.kind()).then(|| to.clone());
        }
        let swap = |name: &String, old: &String, new: &String| (name == old).then(|| new.clone());
        match (self, from, to) {
            (Address::Membership { group, agent }, Address::Group(old), Address::Group(new)) => {
                Some(Address::Membership {
                    group: swap(group, old, new)?,
                    agent: agent.clone(),
                })
            }
            (Address::Routing { queue, group }, Address::Group(old), Address::Group(new)) => {
                Some(Address::Routing {
                    queue: queue.clone(),
                    group: swap(group, old, new)?,
                })
            }
            (Address::Routing { queue, group }, Address::Queue(old), Address::Queue(new)) => {
                Some(Address::Routing {
                    queue: swap(queue, old, new)?,
                    group: group.clone(),
                })
            }
            (Address::IvrNode { tree, node }, Address::IvrTree(old), Address::IvrTree(new)) => {
                Some(Address::IvrNode {
                    tree: swap(tree, old, new)?,
                    node: node.clone(),
                })
            }
            (Address::IvrKey { tree, node, key }, Address::IvrTree(old), Address::IvrTree(new)) => {
                Some(Address::IvrKey {
                    tree: swap(tree, old, new)?,
                    node: node.clone(),
                    key: *key,
                })
            }
            _ => None,
        }
    }

    /// The objects this one belongs to: a membership to its group and its agent, a routing to
    /// its queue and its group, a node to its tree, a key to its node. What happens to an
    /// owner (being ignored, being kept) happens to what it owns.
    pub fn owners(&self) -> Vec<Address> {
        match self {
            Address::Membership { group, agent } => {
                vec![Address::Group(group.clone()), Address::Agent(agent.clone())]
            }
            Address::Routing { queue, group } => {
                vec![Address::Queue(queue.clone()), Address::Group(group.clone())]
            }
            Address::IvrNode { tree, .. } => vec![Address::IvrTree(tree.clone())],
            Address::IvrKey { tree, node, .. } => vec![Address::IvrNode {
                tree: tree.clone(),
                node: node.clone(),
            }],
            _ => Vec::new(),
        }
    }
}

/// `/` and `%` percent-encoded, so that the parts split back; every hazard of `spec::text`
/// too (control characters, bidirectional controls, invisible characters, stray joiners, as
/// their UTF-8 bytes), so that an address is one printable line that shows what a live name
/// holds.
fn encode(part: &str) -> Cow<'_, str> {
    let chars: Vec<char> = part.chars().collect();
    let special = |i: usize| {
        let c = chars[i];
        c == '/'
            || c == '%'
            || crate::text::is_hazard(c)
            || crate::text::is_stray_joiner(
                i.checked_sub(1).map(|j| chars[j]),
                c,
                chars.get(i + 1).copied(),
            )
    };
    if !(0..chars.len()).any(special) {
        return part.into();
    }
    let mut out = String::with_capacity(part.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        if special(i) {
            for byte in c.encode_utf8(&mut [0; 4]).bytes() {
                let _ = write!(out, "%{byte:02X}");
            }
        } else {
            out.push(c);
        }
    }
    out.into()
}

fn decode(part: &str) -> Result<String, String> {
    percent_decode(part).ok_or_else(|| format!("bad escape in address part `{part}`"))
}

/// A name as addresses print it, decoded: each `%` and the two hex digits after it are the
/// byte they spell (`sales%2Fen` is `sales/en`, `50%25` is `50%`). `None` when a `%` is not
/// followed by two hex digits or the bytes are not UTF-8.
pub fn percent_decode(name: &str) -> Option<String> {
    if !name.contains('%') {
        return Some(name.to_owned());
    }
    let mut bytes = Vec::with_capacity(name.len());
    let mut rest = name;
    while let Some(at) = rest.find('%') {
        bytes.extend_from_slice(&rest.as_bytes()[..at]);
        let hex = rest
            .get(at + 1..at + 3)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))?;
        bytes.push(u8::from_str_radix(hex, 16).ok()?);
        rest = &rest[at + 3..];
    }
    bytes.extend_from_slice(rest.as_bytes());
    String::from_utf8(bytes).ok()
}

/// What a person wrote where an address goes (a `moved:` end, an `ignore:` pattern), split
/// at the first `.`: the kind's spelling and, when there is a `.`, the rest. The one reading
/// of the `<kind>.<name>` shape for text that may not be a whole address (a pattern, a name
/// that holds `/` unencoded).
pub fn split_kind(text: &str) -> (&str, Option<&str>) {
    match text.split_once('.') {
        Some((kind, rest)) => (kind, Some(rest)),
        None => (text, None),
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written(encode))
    }
}

impl FromStr for Address {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "settings" {
            return Ok(Address::Settings);
        }
        let (kind, Some(rest)) = split_kind(s) else {
            return Err(format!("`{s}` is not an address: expected `<kind>.<name>`"));
        };
        let kind: Kind = kind.parse()?;
        let parts = rest.split('/').map(decode).collect::<Result<Vec<_>, _>>()?;
        let wrong = || format!("`{s}` is not a valid {kind} address");
        let one = |parts: &[String]| match parts {
            [a] => Ok(a.clone()),
            _ => Err(wrong()),
        };
        let two = |parts: &[String]| match parts {
            [a, b] => Ok((a.clone(), b.clone())),
            _ => Err(wrong()),
        };
        Ok(match kind {
            Kind::Agent => Address::Agent(one(&parts)?),
            Kind::Group => Address::Group(one(&parts)?),
            Kind::Audio => Address::Audio(one(&parts)?),
            Kind::Queue => Address::Queue(one(&parts)?),
            Kind::IvrTree => Address::IvrTree(one(&parts)?),
            Kind::Number => Address::Number(one(&parts)?),
            Kind::Blacklist => Address::Blacklist(one(&parts)?),
            Kind::Membership => {
                let (group, agent) = two(&parts)?;
                Address::Membership { group, agent }
            }
            Kind::Routing => {
                let (queue, group) = two(&parts)?;
                Address::Routing { queue, group }
            }
            Kind::IvrNode => {
                let (tree, node) = two(&parts)?;
                Address::IvrNode { tree, node }
            }
            Kind::IvrKey => match parts.as_slice() {
                [tree, node, key] => Address::IvrKey {
                    tree: tree.clone(),
                    node: node.clone(),
                    key: key.parse()?,
                },
                _ => return Err(wrong()),
            },
            Kind::Settings => return Err(wrong()),
        })
    }
}

/// An `ignore:` pattern: an address glob (`agent.hr-*`, `group.temp-?`) where `*` is any run
/// of characters (`/` and `.` included) and `?` one character. It matches an address as plans
/// print it (`group.sales%2Fen`) or with the names as written (`group.sales/en`): a pattern
/// that protected nothing because of an encoding would let a plan delete what it was written
/// to keep.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pattern(String);

impl Pattern {
    /// The pattern as written.
    pub fn new(text: impl Into<String>) -> Pattern {
        Pattern(text.into())
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when the pattern matches `address`, encoded or as written.
    pub fn matches(&self, address: &Address) -> bool {
        glob_match(&self.0, &address.to_string()) || glob_match(&self.0, &address.unencoded())
    }

    /// True when the pattern may match an address that starts with `prefix` (as plans print
    /// it or as written): what a partial read asks of a parent, `ivr_key.main/` say, before it
    /// reads the objects under it.
    pub fn may_match_under(&self, prefix: &str) -> bool {
        glob_may_continue(&self.0, prefix)
    }

    /// The kinds whose addresses the pattern can match: one kind when the pattern spells it
    /// before its first `.`, the kinds a wildcard there can stand for otherwise.
    pub fn kinds(&self) -> Vec<Kind> {
        Kind::ALL
            .into_iter()
            .filter(|kind| {
                if kind.is_singleton() {
                    glob_match(&self.0, kind.as_str())
                } else {
                    glob_may_continue(&self.0, &format!("{kind}."))
                }
            })
            .collect()
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Pattern {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Pattern::new(s))
    }
}

impl From<&str> for Pattern {
    fn from(text: &str) -> Pattern {
        Pattern::new(text)
    }
}

impl From<String> for Pattern {
    fn from(text: String) -> Pattern {
        Pattern(text)
    }
}

impl PartialEq<str> for Pattern {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Pattern {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// True when some text that starts with `prefix` matches `pattern` (`*` any run, `?` one
/// character): the pattern, run over `prefix` as a set of positions, still has one left.
/// Whatever is left of a pattern can always be matched by some rest of the text.
fn glob_may_continue(pattern: &str, prefix: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    // Positions reachable without reading a character: a `*` may match nothing.
    let close = |mut at: BTreeSet<usize>| {
        let mut more: Vec<usize> = at.iter().copied().collect();
        while let Some(i) = more.pop() {
            if p.get(i) == Some(&'*') && at.insert(i + 1) {
                more.push(i + 1);
            }
        }
        at
    };
    let mut at = close(BTreeSet::from([0]));
    for c in prefix.chars() {
        let next = at
            .iter()
            .filter_map(|&i| match p.get(i) {
                Some('*') => Some(i),
                Some('?') => Some(i + 1),
                Some(&pc) if pc == c => Some(i + 1),
                _ => None,
            })
            .collect();
        at = close(next);
        if at.is_empty() {
            return false;
        }
    }
    true
}

/// Matches `*` (any run of characters, `/` and `.` included) and `?` (one character).
fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

crate::serde_via_str!(Address);
crate::serde_via_str!(Kind);
crate::serde_via_str!(Pattern);

impl Model {
    /// True when the model has the group, queue or IVR tree at `address`.
    pub fn holds(&self, address: &Address) -> bool {
        match address {
            Address::Group(name) => self.groups.contains_key(name),
            Address::Queue(name) => self.queues.contains_key(name),
            Address::IvrTree(name) => self.ivr.contains_key(name),
            _ => false,
        }
    }
}
