//! Addresses (`agent.alice`, `ivr_key.main/english/2`) and kinds: how plans, renderings,
//! `ignore:` patterns and saved plans name an object.
//!
//! An address is `<kind>.<key>`, the key's parts joined by `/`. A name that itself contains `/`
//! or `%` is written with those two characters percent-encoded (`group.sales%2Fen`), so that
//! every address parses back to exactly one object; control characters and the other hazards
//! of `spec::text` (bidirectional controls, invisible characters), which only live names can
//! hold, are encoded too, so that an address is always one printable line.

use std::fmt::{self, Write};
use std::str::FromStr;

use spec::model::Key;

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
    /// The project's call settings.
    Settings,
}

impl Kind {
    /// Every kind, in dependency order.
    pub const ALL: [Kind; 11] = [
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
            Kind::Settings => "settings",
        }
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
    /// `settings`
    Settings,
}

impl Address {
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
            Address::Settings => Kind::Settings,
        }
    }

    /// The address without its kind (`support/carol` for `membership.support/carol`), as
    /// JSON plans show it in `name`. `settings` for the settings.
    pub fn name(&self) -> String {
        let full = self.to_string();
        match full.split_once('.') {
            Some((_, name)) => name.to_owned(),
            None => full,
        }
    }

    /// The address with names as written, `/` and `%` not encoded (`group.sales/en`): what a
    /// person writes in an `ignore:` pattern. Not always read back as one object.
    pub(crate) fn unencoded(&self) -> String {
        self.written(|name| name.into())
    }

    /// The address with each name part passed through `part` (encoded or as written).
    fn written(&self, part: impl for<'a> Fn(&'a str) -> std::borrow::Cow<'a, str>) -> String {
        let kind = self.kind();
        match self {
            Address::Agent(name)
            | Address::Group(name)
            | Address::Audio(name)
            | Address::Queue(name)
            | Address::IvrTree(name)
            | Address::Number(name) => format!("{kind}.{}", part(name)),
            Address::Membership { group: a, agent: b }
            | Address::Routing { queue: a, group: b }
            | Address::IvrNode { tree: a, node: b } => format!("{kind}.{}/{}", part(a), part(b)),
            Address::IvrKey { tree, node, key } => {
                format!("{kind}.{}/{}/{key}", part(tree), part(node))
            }
            Address::Settings => "settings".to_owned(),
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
fn encode(part: &str) -> std::borrow::Cow<'_, str> {
    let chars: Vec<char> = part.chars().collect();
    let special = |i: usize| {
        let c = chars[i];
        c == '/'
            || c == '%'
            || spec::text::is_hazard(c)
            || spec::text::is_stray_joiner(
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
    spec::policy::percent_decode(part).ok_or_else(|| format!("bad escape in address part `{part}`"))
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
        let (kind, rest) = s
            .split_once('.')
            .ok_or_else(|| format!("`{s}` is not an address: expected `<kind>.<name>`"))?;
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

spec::serde_via_str!(Address);
spec::serde_via_str!(Kind);
