//! `plan(desired, live, policy)`: the diff of two models by natural key, the plan it yields,
//! and what the plan leaves alone (ignored objects, audio that cannot be deleted, objects kept
//! because something ignored still uses them).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use spec::Policy;
use spec::model::{AudioId, IvrTree, Model};

use crate::moves;
use crate::object::{Object, changed_fields, flatten, references};
use crate::order;
use crate::partial::Partial;
use crate::safety::{self, SafetyReport};
use crate::stale::{self, Reads};
use crate::wiring::Wiring;
use spec::{Address, Kind};

/// An ordered, reviewable plan: the steps that turn the live project into the desired one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The steps, in an order that respects every step's `depends_on`. Each step is one
    /// API operation; a replacement is two steps (delete, then create) at the same address.
    pub steps: Vec<Step>,
    /// Objects the plan leaves alone because of `ignore:`.
    pub ignored: Vec<Ignored>,
    /// Live objects not in the spec that the plan does not delete, and why.
    pub kept: Vec<Kept>,
    /// Things the reviewer should know that are neither steps nor guards.
    pub warnings: Vec<Warning>,
    /// The safety guards this plan trips; `apply` refuses it without `--force` unless empty.
    pub safety: SafetyReport,
    /// What the plan read from the live project, for the stale check of a saved plan.
    pub reads: Reads,
    /// Live objects per kind that the plan manages (ignored objects excluded).
    pub existing: BTreeMap<Kind, usize>,
    /// Every IVR tree the plan changes, before and after, for drawing.
    pub trees: BTreeMap<String, TreeChange>,
    /// Audio names by content identity, desired names winning, for showing audio references.
    pub audio_names: BTreeMap<AudioId, String>,
    /// Set for a partial plan (`--target`, `--exclude`): what it covers and what it leaves
    /// out. Absent from a whole plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial: Option<Partial>,
    /// The PCC wiring of the project and its numbers, when it was checked (account
    /// credentials given, a whole plan): corrections made through the account API after the
    /// steps. Absent when it was not checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wiring: Option<Wiring>,
}

/// One API operation on one object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The object.
    pub address: Address,
    /// What the step does.
    pub action: Action,
    /// Set when the step is half of a replacement: the object is deleted and created again
    /// because PCC cannot make the change in place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replace: Option<Replace>,
    /// Set on the update that renames an object (`moved:` in the spec): its address before.
    /// The step's `address` is the new one; the live object read at the old one is its
    /// `before`, and its name is among the `changed_fields`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<Address>,
    /// The live value (absent for a create).
    pub before: Option<Object>,
    /// The desired value (absent for a delete).
    pub after: Option<Object>,
    /// The fields that differ between the live and the desired value (for both halves of a
    /// replacement: the fields that differ between the object before and after it).
    pub changed_fields: Vec<String>,
    /// Indexes into [`Plan::steps`] of the steps that must finish before this one starts;
    /// always smaller than this step's own index.
    pub depends_on: Vec<usize>,
}

impl Step {
    /// The kind of object the step changes.
    pub fn kind(&self) -> Kind {
        self.address.kind()
    }
}

/// The operation of a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Create the object (for audio: upload the file).
    Create,
    /// Change the object in place (for settings, also when no live settings were read).
    Update,
    /// Delete the object.
    Delete,
}

/// Why an object is replaced (deleted and created again) instead of updated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Replace {
    /// A routing's priority changes; PCC's routing `PUT` is not confirmed, so the routing is
    /// deleted and created again.
    RoutingPriority,
    /// The tree's start node changes; PCC makes the first node created in a tree its root
    /// and cannot move it, so every node and key of the tree is created again, start first.
    TreeStart {
        /// The tree.
        tree: String,
        /// The live start node.
        from: String,
        /// The desired start node.
        to: String,
    },
}

impl fmt::Display for Replace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Replace::RoutingPriority => {
                f.write_str("PCC cannot change a routing's priority in place")
            }
            Replace::TreeStart { tree, from, to } => write!(
                f,
                "the start of {} moves from `{from}` to `{to}`, and PCC cannot move a tree's \
                 root: every node and key of the tree is recreated, start first",
                Address::IvrTree(tree.clone())
            ),
        }
    }
}

/// An object left alone because it matches `ignore:` or belongs to an object that does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ignored {
    /// The object.
    pub address: Address,
    /// Why.
    pub because: IgnoredBecause,
    /// The object exists live (false for an object the spec adds to an ignored one).
    pub live: bool,
    /// The spec declares the object too (see [`Warning::DeclaredButIgnored`]).
    pub in_spec: bool,
}

/// Why an object is ignored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IgnoredBecause {
    /// Its address matches this `ignore:` pattern.
    Pattern(String),
    /// It belongs to an ignored object (a membership of an ignored agent, a node of an
    /// ignored tree).
    Owner(Address),
    /// It breaks a rule switchboard relies on (two live groups share its name), so the live
    /// read left it out, and this `ignore:` pattern covers it (see [`SetAside`]).
    Unreadable {
        /// The pattern.
        pattern: String,
        /// What is wrong with it, with the server ids.
        problem: String,
    },
    /// A `moved:` entry renames it to `to`, whose address this `ignore:` pattern covers: the
    /// move is not made ([`Warning::MoveIgnored`]), and the object is left alone rather than
    /// deleted in the move's place.
    MovedTo {
        /// The new address.
        to: Address,
        /// The pattern.
        pattern: String,
    },
}

/// A live object that the live read left out because it breaks a rule switchboard relies on
/// (two groups named `hr-temp`: one address, two objects), and that an `ignore:` pattern
/// covers. The plan lists it as ignored and never touches it, what it owns, or what it uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetAside {
    /// Its address (one address for all the objects that share it).
    pub address: Address,
    /// The `ignore:` pattern that covers it.
    pub pattern: String,
    /// What is wrong with it, with the server ids.
    pub problem: String,
    /// The live objects it uses (a group's members, a queue's groups): never deleted while
    /// it is there.
    pub uses: Vec<Address>,
}

impl fmt::Display for IgnoredBecause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IgnoredBecause::Pattern(p) => write!(f, "matches `{p}`"),
            IgnoredBecause::Owner(a) => write!(f, "belongs to ignored {a}"),
            IgnoredBecause::Unreadable { pattern, problem } => {
                write!(f, "matches `{pattern}`, and cannot be read: {problem}")
            }
            IgnoredBecause::MovedTo { to, pattern } => write!(
                f,
                "moved to {to} by `moved:`, and `{pattern}` in `ignore:` covers that name"
            ),
        }
    }
}

/// A live object the spec does not declare that the plan nevertheless does not delete.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kept {
    /// The object.
    pub address: Address,
    /// Why.
    pub because: KeptBecause,
}

/// Why a live object outside the spec is kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeptBecause {
    /// PCC has no delete for audio files; the file stays on the server, unused.
    AudioHasNoDelete {
        /// The file's content identity.
        id: AudioId,
    },
    /// An ignored or kept object refers to it; PCC refuses to delete an object in use.
    ReferencedBy {
        /// The object that refers to it.
        by: Address,
        /// True when `by` is ignored, false when it is kept.
        ignored: bool,
    },
    /// It belongs to a kept object.
    Owner(Address),
    /// It is the root of a tree whose start cannot move (see [`Warning::StartChangeBlocked`]),
    /// and PCC refuses to delete a root while other nodes exist.
    Root {
        /// The tree.
        tree: String,
    },
}

impl fmt::Display for KeptBecause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeptBecause::AudioHasNoDelete { id } => {
                write!(f, "{id} stays on the server: PCC cannot delete audio")
            }
            KeptBecause::ReferencedBy { by, ignored: true } => {
                write!(f, "ignored {by} still uses it")
            }
            KeptBecause::ReferencedBy { by, ignored: false } => {
                write!(f, "kept {by} still uses it")
            }
            KeptBecause::Owner(a) => write!(f, "belongs to kept {a}"),
            KeptBecause::Root { tree } => write!(
                f,
                "the root of {}, whose start cannot move (see the warning)",
                Address::IvrTree(tree.clone())
            ),
        }
    }
}

/// Something the reviewer should know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Warning {
    /// The spec declares a live object that an `ignore:` pattern matches. Ignoring wins: the
    /// plan neither changes nor deletes it. Remove it from the spec or from `ignore:`.
    DeclaredButIgnored {
        /// The object.
        address: Address,
    },
    /// The spec moves a tree's start, which needs every node of the tree recreated, but an
    /// ignored object hangs on the tree's nodes; the start is left as it is.
    StartChangeBlocked {
        /// The tree.
        tree: String,
        /// The live start node.
        from: String,
        /// The desired start node.
        to: String,
        /// The ignored object in the way.
        by: Address,
    },
    /// A `moved:` entry whose old and new names both exist live. The move is not made (as in
    /// Terraform): the live object with the new name is the one the spec declares, and the
    /// one with the old name, which the spec no longer declares, is deleted. One of them must
    /// go; if the old one is the object to keep, delete or rename the other first.
    MoveTargetExists {
        /// The old address.
        from: Address,
        /// The new address.
        to: Address,
    },
    /// A `moved:` entry whose old or new address matches `ignore:`: ignored objects are never
    /// changed, so the move is not made.
    MoveIgnored {
        /// The old address.
        from: Address,
        /// The new address.
        to: Address,
        /// The pattern.
        pattern: String,
    },
    /// The dependencies between these steps form a cycle; they are listed in address order
    /// and may fail. This points at a planner bug or at an inconsistent live project.
    OrderCycle {
        /// The steps involved.
        addresses: Vec<Address>,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::DeclaredButIgnored { address } => write!(
                f,
                "{address} is in the spec but matches `ignore:`; it is left alone (remove it \
                 from the spec or from `ignore:`)"
            ),
            Warning::StartChangeBlocked { tree, from, to, by } => write!(
                f,
                "{} keeps its start `{from}` (the spec says `{to}`): moving it recreates \
                 every node, but ignored {by} hangs on them",
                Address::IvrTree(tree.clone())
            ),
            Warning::MoveTargetExists { from, to } => write!(
                f,
                "{from} is not moved to {to}: both exist live, so {to} is the live one and \
                 {from} is planned like any object outside the spec; one of them must go"
            ),
            Warning::MoveIgnored { from, to, pattern } => write!(
                f,
                "{from} is not moved to {to}: `{pattern}` in `ignore:` covers it, and ignored \
                 objects are never changed"
            ),
            Warning::OrderCycle { addresses } => {
                write!(f, "steps depend on each other in a cycle: ")?;
                for (i, a) in addresses.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                Ok(())
            }
        }
    }
}

/// An IVR tree before and after the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeChange {
    /// The live tree, if any.
    pub before: Option<IvrTree>,
    /// The desired tree, if any.
    pub after: Option<IvrTree>,
}

/// What a plan does to one address, as reviewers read it: the two halves of a replacement
/// are one `Replace` change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change<'a> {
    /// The object.
    pub address: &'a Address,
    /// What happens to it.
    pub action: ChangeAction,
    /// Why it is replaced, for `Replace`.
    pub reason: Option<&'a Replace>,
    /// Its address before a rename (`moved:`).
    pub moved_from: Option<&'a Address>,
    /// The live value.
    pub before: Option<&'a Object>,
    /// The desired value.
    pub after: Option<&'a Object>,
    /// The fields that differ.
    pub changed_fields: &'a [String],
}

/// What happens to an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeAction {
    /// Created.
    Create,
    /// Changed in place.
    Update,
    /// Deleted, then created again.
    Replace,
    /// Deleted.
    Delete,
}

impl ChangeAction {
    /// Terraform's symbol: `+`, `~`, `-/+`, `-`.
    pub fn symbol(self) -> &'static str {
        match self {
            ChangeAction::Create => "+",
            ChangeAction::Update => "~",
            ChangeAction::Replace => "-/+",
            ChangeAction::Delete => "-",
        }
    }

    /// Terraform's `change.actions`.
    pub fn actions(self) -> &'static [&'static str] {
        match self {
            ChangeAction::Create => &["create"],
            ChangeAction::Update => &["update"],
            ChangeAction::Replace => &["delete", "create"],
            ChangeAction::Delete => &["delete"],
        }
    }
}

/// Counts for the footer: a replacement counts as one add and one destroy, like Terraform.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Objects created (replacements included).
    pub add: usize,
    /// Objects changed in place.
    pub change: usize,
    /// Objects deleted (replacements included).
    pub destroy: usize,
}

impl Plan {
    /// True when the plan has no step and no wiring correction.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.wiring.as_ref().is_none_or(Wiring::is_empty)
    }

    /// True when a safety guard refuses the plan (`apply` needs `--force`).
    pub fn refused(&self) -> bool {
        !self.safety.violations.is_empty()
    }

    /// The plan per address, sorted by address (kinds in dependency order).
    pub fn changes(&self) -> Vec<Change<'_>> {
        let mut by_address: BTreeMap<&Address, Change<'_>> = BTreeMap::new();
        for step in &self.steps {
            let change = by_address.entry(&step.address).or_insert(Change {
                address: &step.address,
                action: match step.action {
                    Action::Create => ChangeAction::Create,
                    Action::Update => ChangeAction::Update,
                    Action::Delete => ChangeAction::Delete,
                },
                reason: step.replace.as_ref(),
                moved_from: step.moved_from.as_ref(),
                before: step.before.as_ref(),
                after: step.after.as_ref(),
                changed_fields: &step.changed_fields,
            });
            if step.replace.is_some() {
                change.action = ChangeAction::Replace;
                change.before = change.before.or(step.before.as_ref());
                change.after = change.after.or(step.after.as_ref());
            }
        }
        by_address.into_values().collect()
    }

    /// Counts for `Plan: A to add, C to change, D to destroy.`
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for change in self.changes() {
            match change.action {
                ChangeAction::Create => s.add += 1,
                ChangeAction::Update => s.change += 1,
                ChangeAction::Replace => {
                    s.add += 1;
                    s.destroy += 1;
                }
                ChangeAction::Delete => s.destroy += 1,
            }
        }
        s
    }
}

/// A step before it has its place in the order.
#[derive(Debug)]
pub(crate) struct Draft {
    pub address: Address,
    pub action: Action,
    pub replace: Option<Replace>,
    pub moved_from: Option<Address>,
    pub before: Option<Object>,
    pub after: Option<Object>,
    pub changed_fields: Vec<String>,
}

/// Plans the steps that make `live` equal to `desired`, leaving alone what `policy` ignores.
///
/// Pure and deterministic: the same models give the same plan, byte for byte, whatever order
/// their maps were built in.
pub fn plan(desired: &Model, live: &Model, policy: &Policy) -> Plan {
    plan_setting_aside(desired, live, policy, &[])
}

/// The desired audio that switchboard cannot upload and the live project does not hold: a
/// `server_file` or `sha256` entry (no `file:`) whose content is not among the project's
/// greeting files. A plan would create it with no bytes to send, so callers refuse to plan
/// until it is uploaded or given a `file:`. Answers (name, identity), by name.
pub fn missing_audio<'m>(desired: &'m Model, live: &Model) -> Vec<(&'m str, &'m AudioId)> {
    let mut missing: Vec<(&str, &AudioId)> = desired
        .audio
        .iter()
        .filter(|(id, audio)| audio.file.is_none() && !live.audio.contains_key(*id))
        .map(|(id, audio)| (audio.name.as_str(), id))
        .collect();
    missing.sort();
    missing
}

/// [`plan`], for a live project read with objects set aside ([`SetAside`]): they are listed
/// as ignored, and neither they, what they own, nor what they use is changed or deleted.
pub fn plan_setting_aside(
    desired: &Model,
    live: &Model,
    policy: &Policy,
    set_aside: &[SetAside],
) -> Plan {
    let (renamed, moved, warnings) = moves::resolve(desired, live, policy, set_aside);
    // From here on the live project is seen with its renames made, as PCC will hold it: what
    // hangs on a renamed object is the same object under the new name.
    let live = renamed.as_ref().unwrap_or(live);
    let mut planning = Planning::new(desired, live, policy, set_aside, moved, warnings);
    planning.find_ignored();
    planning.find_start_changes();
    let delete_candidates = planning.diff();
    planning.delete_unless_used(delete_candidates);
    let audio_names = planning.upload_new_audio();
    planning.into_plan(audio_names)
}

/// A plan being made: both models as the diff sees them, and what each phase of
/// [`plan_setting_aside`] found, for the phases after it.
struct Planning<'a> {
    desired: &'a Model,
    /// The live project with the renames of `moved:` made.
    live: &'a Model,
    policy: &'a Policy,
    set_aside: &'a [SetAside],
    /// The renames made: new address → address before.
    moved: BTreeMap<Address, Address>,
    /// Every desired object by address (audio apart: it is matched by content).
    want: BTreeMap<Address, Object>,
    /// Every live object the plan manages, by address (audio apart).
    have: BTreeMap<Address, Object>,
    /// The address of every audio file, desired or live.
    audio_at: BTreeMap<AudioId, Address>,
    warnings: Vec<Warning>,
    /// What the plan leaves alone, and why.
    ignored: BTreeMap<Address, Ignored>,
    /// Trees whose start node moves, with the reason their nodes and keys are replaced.
    start_changes: BTreeMap<String, Replace>,
    /// Start nodes that stay because their tree's start change is blocked.
    blocked_roots: BTreeMap<Address, KeptBecause>,
    /// The steps, not yet ordered.
    drafts: Vec<Draft>,
    /// Live objects the spec leaves out that the plan does not delete, and why.
    kept: BTreeMap<Address, KeptBecause>,
    /// For every live object, the live (and set aside) objects that refer to it; computed
    /// only when the plan deletes something.
    live_referrers: BTreeMap<Address, Vec<Address>>,
}

impl<'a> Planning<'a> {
    /// Both models flattened to objects by address.
    fn new(
        desired: &'a Model,
        live: &'a Model,
        policy: &'a Policy,
        set_aside: &'a [SetAside],
        moved: BTreeMap<Address, Address>,
        warnings: Vec<Warning>,
    ) -> Planning<'a> {
        let mut want = flatten(desired);
        let mut have = flatten(live);
        for (address, object) in &mut want {
            if let Some(live) = have.get(address) {
                object.keep_unmanaged(live);
            }
        }
        if desired.settings.is_none() {
            // Settings absent from the spec are not managed.
            have.remove(&Address::Settings);
        }
        if desired.blacklist.is_none() {
            // Nor is a blacklist: without a `blacklist:` section, live entries are left alone.
            have.retain(|address, _| address.kind() != Kind::Blacklist);
        }
        Planning {
            desired,
            live,
            policy,
            set_aside,
            moved,
            want,
            have,
            audio_at: audio_addresses(desired, live),
            warnings,
            ignored: BTreeMap::new(),
            start_changes: BTreeMap::new(),
            blocked_roots: BTreeMap::new(),
            drafts: Vec::new(),
            kept: BTreeMap::new(),
            live_referrers: BTreeMap::new(),
        }
    }

    /// What the plan leaves alone: what `ignore:` matches, what is set aside, the live side
    /// of a move that `ignore:` blocks, and what each of them owns. An object the spec
    /// declares among them gets a warning.
    fn find_ignored(&mut self) {
        // A move that `ignore:` blocks leaves its live `from` alone, as if ignored: otherwise
        // the object the spec renames would be deleted in the move's place.
        let held: BTreeMap<&Address, IgnoredBecause> = self
            .warnings
            .iter()
            .filter_map(|w| match w {
                Warning::MoveIgnored { from, to, pattern } => Some((
                    from,
                    IgnoredBecause::MovedTo {
                        to: to.clone(),
                        pattern: pattern.clone(),
                    },
                )),
                _ => None,
            })
            .collect();
        let ignored = self.ignored_objects(&held);
        for (address, ig) in &ignored {
            if ig.in_spec && ig.live {
                self.warnings.push(Warning::DeclaredButIgnored {
                    address: address.clone(),
                });
            }
        }
        self.ignored = ignored;
    }

    /// Every live object (audio included) that `ignore:` matches, and every object (live or
    /// desired) that an ignored object owns. `ignore:` is about live objects the spec does
    /// not own: an object the spec declares that does not exist live yet is created (and
    /// ignored from then on, with a warning), so nothing the spec creates can refer to a
    /// missing object.
    fn ignored_objects(
        &self,
        held: &BTreeMap<&Address, IgnoredBecause>,
    ) -> BTreeMap<Address, Ignored> {
        let (policy, audio_at, want, have) = (self.policy, &self.audio_at, &self.want, &self.have);
        let mut out: BTreeMap<Address, Ignored> = self
            .set_aside
            .iter()
            .map(|aside| {
                let ignored = Ignored {
                    address: aside.address.clone(),
                    because: IgnoredBecause::Unreadable {
                        pattern: aside.pattern.clone(),
                        problem: aside.problem.clone(),
                    },
                    live: true,
                    in_spec: want.contains_key(&aside.address),
                };
                (aside.address.clone(), ignored)
            })
            .collect();
        if policy.ignore.is_empty() && out.is_empty() && held.is_empty() {
            return out;
        }
        let desired_audio: BTreeSet<&Address> =
            self.desired.audio.keys().map(|id| &audio_at[id]).collect();
        // Live audio by address, with the name recorded at upload: a pattern written with
        // that name (`audio.welcome-es`) protects the file even when its address had to say
        // more.
        let live_audio: BTreeMap<&Address, Address> = self
            .live
            .audio
            .iter()
            .map(|(id, a)| (&audio_at[id], Address::Audio(a.name.clone())))
            .collect();
        let all: BTreeSet<&Address> = have
            .keys()
            .chain(want.keys())
            .chain(live_audio.keys().copied())
            .collect();
        // Owners sort before what they own (their kinds come first), so one pass suffices.
        for address in all {
            if out.contains_key(address) {
                continue;
            }
            let recorded = live_audio.get(address);
            let is_live = have.contains_key(address) || recorded.is_some();
            let pattern = if is_live {
                let mut forms = vec![address.clone()];
                forms.extend(recorded.cloned());
                forms.iter().find_map(|a| policy.ignoring(a))
            } else {
                None
            };
            let because = match pattern {
                Some(pattern) => Some(IgnoredBecause::Pattern(pattern.to_string())),
                None if is_live && held.contains_key(address) => held.get(address).cloned(),
                None => address
                    .owners()
                    .into_iter()
                    .find(|o| out.contains_key(o))
                    .map(IgnoredBecause::Owner),
            };
            if let Some(because) = because {
                out.insert(
                    address.clone(),
                    Ignored {
                        address: address.clone(),
                        because,
                        live: is_live,
                        in_spec: want.contains_key(address) || desired_audio.contains(&address),
                    },
                );
            }
        }
        out
    }

    /// Trees whose start node moves, with the replacement reason for their nodes and keys. A
    /// move that an ignored node or key would block is dropped (with a warning, and the live
    /// root kept), and the desired start flags of that tree are set back to the live ones so
    /// that no node is updated to a start it cannot have.
    fn find_start_changes(&mut self) {
        let (desired, live) = (self.desired, self.live);
        for (name, d) in &desired.ivr {
            let Some(l) = live.ivr.get(name) else {
                continue;
            };
            if l.nodes.is_empty() || l.start == d.start {
                continue;
            }
            if self.ignored.contains_key(&Address::IvrTree(name.clone())) {
                continue;
            }
            let blocker = self.ignored.keys().find(|a| match a {
                Address::IvrNode { tree, .. } | Address::IvrKey { tree, .. } => tree == name,
                _ => false,
            });
            if let Some(by) = blocker {
                self.warnings.push(Warning::StartChangeBlocked {
                    tree: name.clone(),
                    from: l.start.clone(),
                    to: d.start.clone(),
                    by: by.clone(),
                });
                // The root stays the root, so it cannot go while other nodes exist.
                self.blocked_roots.insert(
                    Address::IvrNode {
                        tree: name.clone(),
                        node: l.start.clone(),
                    },
                    KeptBecause::Root { tree: name.clone() },
                );
                let first = Address::IvrNode {
                    tree: name.clone(),
                    node: String::new(),
                };
                for (address, object) in self.want.range_mut(first..) {
                    let (Address::IvrNode { tree, node }, Object::IvrNode { start, .. }) =
                        (address, object)
                    else {
                        break;
                    };
                    if tree != name {
                        break;
                    }
                    *start = *node == l.start;
                }
                continue;
            }
            self.start_changes.insert(
                name.clone(),
                Replace::TreeStart {
                    tree: name.clone(),
                    from: l.start.clone(),
                    to: d.start.clone(),
                },
            );
        }
    }

    /// The diff, address by address: creates, updates and replacements as drafts. Returns
    /// the live objects the spec leaves out, which [`Planning::delete_unless_used`] decides
    /// about.
    fn diff(&mut self) -> Vec<Address> {
        let mut delete_candidates = Vec::new();
        for (address, before, after) in merge(&self.have, &self.want) {
            if self.ignored.contains_key(address) {
                continue;
            }
            let tree_replace = match address {
                Address::IvrNode { tree, .. } | Address::IvrKey { tree, .. } => {
                    self.start_changes.get(tree)
                }
                _ => None,
            };
            match (before, after) {
                (None, Some(after)) => {
                    let action = if *address == Address::Settings {
                        // PCC's settings are a singleton: there is only PUT.
                        Action::Update
                    } else {
                        Action::Create
                    };
                    self.drafts.push(Draft {
                        address: address.clone(),
                        action,
                        replace: None,
                        moved_from: None,
                        before: None,
                        after: Some(after.clone()),
                        changed_fields: changed_fields(None, Some(after)),
                    });
                }
                (Some(_), None) => delete_candidates.push(address.clone()),
                (Some(before), Some(after)) => {
                    let moved_from = self.moved.get(address);
                    let replace = if let Some(r) = tree_replace {
                        Some(r.clone())
                    } else if before == after && moved_from.is_none() {
                        continue;
                    } else if matches!(address, Address::Routing { .. }) {
                        Some(Replace::RoutingPriority)
                    } else {
                        None
                    };
                    let mut fields = changed_fields(Some(before), Some(after));
                    if moved_from.is_some() {
                        fields.push("name".to_owned());
                        fields.sort();
                    }
                    match replace {
                        None => self.drafts.push(Draft {
                            address: address.clone(),
                            action: Action::Update,
                            replace: None,
                            moved_from: moved_from.cloned(),
                            before: Some(before.clone()),
                            after: Some(after.clone()),
                            changed_fields: fields,
                        }),
                        Some(replace) => {
                            self.drafts.push(Draft {
                                address: address.clone(),
                                action: Action::Delete,
                                replace: Some(replace.clone()),
                                moved_from: None,
                                before: Some(before.clone()),
                                after: None,
                                changed_fields: fields.clone(),
                            });
                            self.drafts.push(Draft {
                                address: address.clone(),
                                action: Action::Create,
                                replace: Some(replace),
                                moved_from: None,
                                before: None,
                                after: Some(after.clone()),
                                changed_fields: fields,
                            });
                        }
                    }
                }
                (None, None) => {}
            }
        }
        delete_candidates
    }

    /// Deletes, except what something ignored (or kept) still uses. Replacements delete too
    /// (a start-node change deletes every node of its tree), and the stale check must know
    /// what used each deleted object when the plan was made.
    fn delete_unless_used(&mut self, candidates: Vec<Address>) {
        let deletes_anything =
            !candidates.is_empty() || self.drafts.iter().any(|d| d.action == Action::Delete);
        if deletes_anything {
            let mut referrers = referrers(&self.have, self.live);
            for aside in self.set_aside {
                for used in &aside.uses {
                    referrers
                        .entry(used.clone())
                        .or_default()
                        .push(aside.address.clone());
                }
            }
            self.live_referrers = referrers;
        }
        self.kept = kept(
            &candidates,
            &self.ignored,
            &self.live_referrers,
            std::mem::take(&mut self.blocked_roots),
        );
        for address in candidates {
            if self.kept.contains_key(&address) {
                continue;
            }
            let before = &self.have[&address];
            self.drafts.push(Draft {
                address,
                action: Action::Delete,
                replace: None,
                moved_from: None,
                before: Some(before.clone()),
                after: None,
                changed_fields: changed_fields(Some(before), None),
            });
        }
    }

    /// Audio is matched by content and never deleted: new content is uploaded, live content
    /// the spec does not use is kept. Returns the audio names by content identity, desired
    /// names winning.
    fn upload_new_audio(&mut self) -> BTreeMap<AudioId, String> {
        let (desired, live) = (self.desired, self.live);
        let mut audio_names = BTreeMap::new();
        for (id, audio) in &live.audio {
            audio_names.insert(id.clone(), audio.name.clone());
            let address = self.audio_at[id].clone();
            if !desired.audio.contains_key(id) && !self.ignored.contains_key(&address) {
                self.kept
                    .insert(address, KeptBecause::AudioHasNoDelete { id: id.clone() });
            }
        }
        for (id, audio) in &desired.audio {
            audio_names.insert(id.clone(), audio.name.clone());
            if live.audio.contains_key(id) {
                continue;
            }
            // New content is a new object, never ignored (`ignore:` is about live objects).
            let address = self.audio_at[id].clone();
            let after = Object::Audio {
                id: id.clone(),
                name: audio.name.clone(),
                file: audio.file.clone(),
            };
            self.drafts.push(Draft {
                changed_fields: changed_fields(None, Some(&after)),
                address,
                action: Action::Create,
                replace: None,
                moved_from: None,
                before: None,
                after: Some(after),
            });
        }
        audio_names
    }

    /// Live objects per kind that the plan manages (ignored objects excluded), for the
    /// safety guards.
    fn existing(&self) -> BTreeMap<Kind, usize> {
        let mut existing: BTreeMap<Kind, usize> = BTreeMap::new();
        for address in self.have.keys() {
            if !self.ignored.contains_key(address) {
                *existing.entry(address.kind()).or_default() += 1;
            }
        }
        let live_audio = self
            .live
            .audio
            .keys()
            .filter(|id| !self.ignored.contains_key(&self.audio_at[*id]))
            .count();
        if live_audio > 0 {
            existing.insert(Kind::Audio, live_audio);
        }
        existing
    }

    /// Every IVR tree the steps change, before and after, for drawing.
    fn changed_trees(&self, steps: &[Step]) -> BTreeMap<String, TreeChange> {
        let mut trees = BTreeMap::new();
        for step in steps {
            if let Address::IvrTree(tree)
            | Address::IvrNode { tree, .. }
            | Address::IvrKey { tree, .. } = &step.address
            {
                trees.entry(tree.clone()).or_insert_with(|| TreeChange {
                    before: self.live.ivr.get(tree).cloned(),
                    after: self.desired.ivr.get(tree).cloned(),
                });
            }
        }
        trees
    }

    /// The drafts put in order, with the guards, the stale check's reads and the drawings
    /// computed from the ordered steps.
    fn into_plan(mut self, audio_names: BTreeMap<AudioId, String>) -> Plan {
        let drafts = std::mem::take(&mut self.drafts);
        let (steps, cycle) = order::schedule(drafts, self.desired, self.live);
        if let Some(addresses) = cycle {
            self.warnings.push(Warning::OrderCycle { addresses });
        }
        let existing = self.existing();
        let safety = safety::check(
            &steps,
            &existing,
            &self.policy.safety,
            *self.desired == Model::default(),
        );
        let reads = stale::reads(&steps, &self.have, self.desired, &self.live_referrers);
        let trees = self.changed_trees(&steps);
        Plan {
            steps,
            ignored: self.ignored.into_values().collect(),
            kept: self
                .kept
                .into_iter()
                .map(|(address, because)| Kept { address, because })
                .collect(),
            warnings: self.warnings,
            safety,
            reads,
            existing,
            trees,
            audio_names,
            partial: None,
            wiring: None,
        }
    }
}

/// Walks two maps with the same key type in key order, pairing equal keys.
fn merge<'a>(
    left: &'a BTreeMap<Address, Object>,
    right: &'a BTreeMap<Address, Object>,
) -> impl Iterator<Item = (&'a Address, Option<&'a Object>, Option<&'a Object>)> {
    let mut l = left.iter().peekable();
    let mut r = right.iter().peekable();
    std::iter::from_fn(move || match (l.peek(), r.peek()) {
        (Some((lk, _)), Some((rk, _))) => match lk.cmp(rk) {
            std::cmp::Ordering::Less => l.next().map(|(k, v)| (k, Some(v), None)),
            std::cmp::Ordering::Greater => r.next().map(|(k, v)| (k, None, Some(v))),
            std::cmp::Ordering::Equal => {
                let (k, lv) = l.next()?;
                let (_, rv) = r.next()?;
                Some((k, Some(lv), Some(rv)))
            }
        },
        (Some(_), None) => l.next().map(|(k, v)| (k, Some(v), None)),
        (None, Some(_)) => r.next().map(|(k, v)| (k, None, Some(v))),
        (None, None) => None,
    })
}

/// The address of every audio file, desired or live, each its own. A file the spec names is
/// `audio.<the spec's name>`; a live file the spec does not use is `audio.<the name recorded
/// at upload>`, unless the spec uses that name for other content or another such file has the
/// same name (a file uploaded again with new content): then its content id is added,
/// `audio.welcome-es@sha256:<hex>`, so that the new upload and the kept old file are two
/// objects in the plan, not one.
pub(crate) fn audio_addresses(desired: &Model, live: &Model) -> BTreeMap<AudioId, Address> {
    let mut out: BTreeMap<AudioId, Address> = desired
        .audio
        .iter()
        .map(|(id, a)| (id.clone(), Address::Audio(a.name.clone())))
        .collect();
    let live_only: Vec<(&AudioId, &str)> = live
        .audio
        .iter()
        .filter(|(id, _)| !desired.audio.contains_key(*id))
        .map(|(id, a)| (id, a.name.as_str()))
        .collect();
    let mut taken: BTreeSet<String> = desired.audio.values().map(|a| a.name.clone()).collect();
    let mut uses: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, name) in &live_only {
        *uses.entry(name).or_default() += 1;
    }
    // Plain names first, so that a qualified name never takes a plain one's place.
    let (plain, shared): (Vec<_>, Vec<_>) = live_only
        .into_iter()
        .partition(|(_, name)| uses[name] == 1 && !taken.contains(*name));
    for (id, name) in plain {
        taken.insert(name.to_owned());
        out.insert(id.clone(), Address::Audio(name.to_owned()));
    }
    for (id, name) in shared {
        let mut unique = format!("{name}@{id}");
        while taken.contains(&unique) {
            // Only a spec that names audio like a qualified address gets here.
            unique = format!("{unique}@{id}");
        }
        taken.insert(unique.clone());
        out.insert(id.clone(), Address::Audio(unique));
    }
    out
}

/// For every live object, the live objects that refer to it.
pub(crate) fn referrers(
    have: &BTreeMap<Address, Object>,
    live: &Model,
) -> BTreeMap<Address, Vec<Address>> {
    let mut out: BTreeMap<Address, Vec<Address>> = BTreeMap::new();
    for (address, object) in have {
        for target in references(address, object, live) {
            out.entry(target).or_default().push(address.clone());
        }
    }
    out
}

/// Delete candidates that cannot go: something ignored (or already kept) refers to them, or
/// they belong to something kept. Repeated until nothing changes, since keeping one object
/// can keep what it refers to.
fn kept(
    candidates: &[Address],
    ignored: &BTreeMap<Address, Ignored>,
    referrers: &BTreeMap<Address, Vec<Address>>,
    blocked_roots: BTreeMap<Address, KeptBecause>,
) -> BTreeMap<Address, KeptBecause> {
    let mut kept: BTreeMap<Address, KeptBecause> = blocked_roots
        .into_iter()
        .filter(|(a, _)| candidates.contains(a))
        .collect();
    if ignored.is_empty() {
        return kept;
    }
    loop {
        let mut grew = false;
        for candidate in candidates {
            if kept.contains_key(candidate) {
                continue;
            }
            let because = if let Some(owner) = candidate
                .owners()
                .into_iter()
                .find(|o| kept.contains_key(o))
            {
                Some(KeptBecause::Owner(owner))
            } else {
                referrers
                    .get(candidate)
                    .into_iter()
                    .flatten()
                    .find(|r| ignored.contains_key(*r) || kept.contains_key(*r))
                    .map(|r| KeptBecause::ReferencedBy {
                        by: r.clone(),
                        ignored: ignored.contains_key(r),
                    })
            };
            if let Some(because) = because {
                kept.insert(candidate.clone(), because);
                grew = true;
            }
        }
        if !grew {
            return kept;
        }
    }
}
