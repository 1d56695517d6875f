//! Reading the live project: the fewest list requests, run in parallel, normalised into the
//! same [`Model`] the spec loader produces, plus the server ids the executor needs. Live data
//! that breaks switchboard's rules is reported in full, never guessed around.
//!
//! # Requests
//!
//! Every list is read with `limit=100`: its first page, then the others in parallel.
//! Per-parent lists (members of each group, routings of each queue, nodes of each tree, keys
//! of each node) are read in parallel too, all under one concurrency bound
//! ([`ReadOptions::concurrency`]). Nothing is ever read one object at a time. With
//! `pages(n) = max(1, ceil(n / 100))`, each kind costs:
//!
//! | scope | requests |
//! |---|---|
//! | `Settings` | 1 |
//! | `Audio` | pages(greeting files) |
//! | `Agents` | pages(agents) |
//! | `Groups` | pages(groups) + Σ pages(members of each group) + pages(agents) |
//! | `Queues` | pages(queues) + Σ pages(routings of each queue) + pages(groups) + pages(greeting files) |
//! | `Ivr` | pages(trees) + Σ pages(nodes of each tree) + Σ pages(keys of each node) + pages(queues) + pages(greeting files) |
//! | `Numbers` | pages(numbers) + pages(trees) + pages(queues) |
//!
//! The lists after the first `+` of a row are read only to turn server ids into names; a
//! scoped read reads each list at most once, whatever the kinds share. A full read costs
//! [`minimum_reads`]. A read limited to some parents ([`ReadOptions::parents`], what a
//! partial plan reads) sums the per-parent lists (Σ) over those parents only
//! ([`minimum_reads_within`]).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use serde::Deserialize;
use spec::model::{
    Agent, AgentRouting, Audio, AudioId, CallSettings, DEFAULT_VOICE, Group, IvrNode, IvrTree, Key,
    KeyAction, Model, Number, NumberRoute, Prompt, Queue, Routing, Schedule, Sensitive,
};
use spec::{Address, Kind};

use crate::client::{Client, DEFAULT_CONCURRENCY, PAGE_LIMIT, Reading};
use crate::error::{Error, LiveProblem, Subject};
use crate::wire;

/// A part of the project that can be read on its own: what one kind of object needs read,
/// with the objects it owns (a group's members, a tree's nodes and key presses). Not a
/// [`Kind`]: several kinds are read together ([`ReadScope::of`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReadScope {
    /// The call settings singleton.
    Settings,
    /// Greeting files.
    Audio,
    /// Agents.
    Agents,
    /// Groups and their members.
    Groups,
    /// Queues and their group routings.
    Queues,
    /// IVR trees, their nodes and key presses.
    Ivr,
    /// Phone numbers.
    Numbers,
}

impl ReadScope {
    /// Every scope.
    pub const ALL: [ReadScope; 7] = [
        ReadScope::Settings,
        ReadScope::Audio,
        ReadScope::Agents,
        ReadScope::Groups,
        ReadScope::Queues,
        ReadScope::Ivr,
        ReadScope::Numbers,
    ];

    /// The scope that reads objects of `kind`.
    pub fn of(kind: Kind) -> ReadScope {
        match kind {
            Kind::Agent => ReadScope::Agents,
            Kind::Group | Kind::Membership => ReadScope::Groups,
            Kind::Audio => ReadScope::Audio,
            Kind::Queue | Kind::Routing => ReadScope::Queues,
            Kind::IvrTree | Kind::IvrNode | Kind::IvrKey => ReadScope::Ivr,
            Kind::Number => ReadScope::Numbers,
            Kind::Settings => ReadScope::Settings,
        }
    }
}

/// What [`read_live`] reads, and how hard it may push.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadOptions {
    /// Requests in flight at most (default 8).
    pub concurrency: usize,
    /// The scopes to read in full (default: all). Lists needed only to name references are
    /// read too, but their kinds stay empty in the model.
    pub scopes: BTreeSet<ReadScope>,
    /// When set, the per-parent lists (a group's members, a queue's routings, a tree's nodes
    /// and key presses) are read only for the parents it wants: the model holds the other
    /// groups, queues and trees of its scopes without members, routings, or nodes (and such a
    /// tree without a start, its root being a node). A partial plan reads this way, and
    /// compares only what it read (default: every parent).
    pub parents: Option<Parents>,
}

/// The groups, queues and IVR trees whose per-parent lists a read covers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parents {
    /// These parents (`group.`, `queue.` and `ivr_tree.` addresses).
    pub only: BTreeSet<Address>,
    /// Every parent of these kinds.
    pub every: BTreeSet<Kind>,
    /// None of these, whatever `only` and `every` say.
    pub except: BTreeSet<Address>,
}

impl Parents {
    /// Whether the children of `parent` are read.
    pub fn wants(&self, parent: &Address) -> bool {
        !self.except.contains(parent)
            && (self.every.contains(&parent.kind()) || self.only.contains(parent))
    }

    /// True when every parent `other` wants, this wants too.
    pub fn covers(&self, other: &Parents) -> bool {
        other.every.is_subset(&self.every)
            && self.except.iter().all(|p| {
                other.except.contains(p)
                    || !(other.every.contains(&p.kind()) || other.only.contains(p))
            })
            && other
                .only
                .iter()
                .all(|p| other.except.contains(p) || self.wants(p))
    }

    /// Wants also what `other` wants.
    pub fn widen(&mut self, other: &Parents) {
        self.only.extend(other.only.iter().cloned());
        self.every.extend(other.every.iter().copied());
        self.except.retain(|p| other.except.contains(p));
    }
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            concurrency: DEFAULT_CONCURRENCY,
            scopes: ReadScope::ALL.into_iter().collect(),
            parents: None,
        }
    }
}

/// Whether the children of `parent` are read: always, unless `parents` says which are.
fn wanted(parents: Option<&Parents>, parent: &Address) -> bool {
    parents.is_none_or(|set| set.wants(parent))
}

impl ReadOptions {
    /// Reads only `scopes` (plus what names their references).
    pub fn only(scopes: impl IntoIterator<Item = ReadScope>) -> ReadOptions {
        ReadOptions {
            scopes: scopes.into_iter().collect(),
            ..ReadOptions::default()
        }
    }

    /// True when a read with these options reads everything one with `other` reads.
    pub fn covers(&self, other: &ReadOptions) -> bool {
        other.scopes.is_subset(&self.scopes)
            && match (&self.parents, &other.parents) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(mine), Some(theirs)) => mine.covers(theirs),
            }
    }

    /// Reads also what a read with `other` reads.
    pub fn widen(&mut self, other: &ReadOptions) {
        self.scopes.extend(other.scopes.iter().copied());
        self.parents = match (self.parents.take(), &other.parents) {
            (Some(mut mine), Some(theirs)) => {
                mine.widen(theirs);
                Some(mine)
            }
            _ => None,
        };
    }
}

/// The live project: the model to diff, and the server ids to act on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Live {
    /// The project in the spec's vocabulary. Scopes not in [`Live::scopes`] are empty (and
    /// `settings` is `None`) because they were not read, not because PCC has none.
    pub model: Model,
    /// Address → server id, for every object read (lookup lists included).
    pub ids: Ids,
    /// The scopes `model` holds in full.
    pub scopes: BTreeSet<ReadScope>,
}

/// The server ids of a project's objects, and what else the executor needs to know of them
/// that the model does not say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ids {
    /// Address → server id: agents, groups, queues, routings, IVR trees, nodes and key
    /// presses, numbers. Memberships have no id of their own, the settings are a singleton,
    /// and audio is known by content ([`Ids::audio`]).
    pub objects: BTreeMap<Address, String>,
    /// Tree name → the name of its root node (trees without nodes have none).
    pub roots: BTreeMap<String, String>,
    /// Audio → the server file name queues and nodes use (the first uploaded, when the same
    /// content was uploaded twice).
    pub audio: BTreeMap<AudioId, String>,
}

impl Ids {
    /// The server id of the object at `address`.
    pub fn get(&self, address: &Address) -> Option<&String> {
        self.objects.get(address)
    }
}

impl std::ops::Index<&Address> for Ids {
    type Output = String;

    fn index(&self, address: &Address) -> &String {
        self.get(address)
            .unwrap_or_else(|| panic!("no server id for {address}"))
    }
}

/// The lists as read, before normalisation. `None` means "not read"; the per-parent maps are
/// keyed by the parent's server id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawLive {
    /// `GET /v1/callsettings`.
    pub settings: Option<wire::CallSettings>,
    /// `GET /v1/greetingfile`.
    pub greetings: Option<Vec<wire::GreetingFile>>,
    /// `GET /v1/agent`.
    pub agents: Option<Vec<wire::Agent>>,
    /// `GET /v1/group`.
    pub groups: Option<Vec<wire::Group>>,
    /// `GET /v1/manage-agents-in-group?group=`, by group id.
    pub members: BTreeMap<String, Vec<wire::GroupAgent>>,
    /// `GET /v1/queue`.
    pub queues: Option<Vec<wire::Queue>>,
    /// `GET /v1/routing-call-to-groups?queue=`, by queue id.
    pub routings: BTreeMap<String, Vec<wire::Routing>>,
    /// `GET /v1/ivrtree`.
    pub trees: Option<Vec<wire::Tree>>,
    /// `GET /v1/ivrnode?tree=`, by tree id.
    pub nodes: BTreeMap<String, Vec<wire::Node>>,
    /// `GET /v1/ivrkeypress?node=`, by node id.
    pub keys: BTreeMap<String, Vec<wire::NodeKey>>,
    /// `GET /v1/number`.
    pub numbers: Option<Vec<wire::Number>>,
}

/// Which lists a set of scopes needs.
#[derive(Clone, Copy, Debug, Default)]
struct Needs {
    settings: bool,
    greetings: bool,
    agents: bool,
    groups: bool,
    members: bool,
    queues: bool,
    routings: bool,
    trees: bool,
    nodes: bool,
    numbers: bool,
}

fn needs(scopes: &BTreeSet<ReadScope>) -> Needs {
    use ReadScope as S;
    let has = |s| scopes.contains(&s);
    Needs {
        settings: has(S::Settings),
        greetings: has(S::Audio) || has(S::Queues) || has(S::Ivr),
        agents: has(S::Agents) || has(S::Groups),
        groups: has(S::Groups) || has(S::Queues),
        members: has(S::Groups),
        queues: has(S::Queues) || has(S::Ivr) || has(S::Numbers),
        routings: has(S::Queues),
        trees: has(S::Ivr) || has(S::Numbers),
        nodes: has(S::Ivr),
        numbers: has(S::Numbers),
    }
}

/// Reads the live project (the scopes in `opts`) and normalises it.
pub async fn read_live(client: &Client, opts: &ReadOptions) -> Result<Live, Error> {
    let raw = read_raw(client, opts).await?;
    normalise_within(&raw, &opts.scopes, opts.parents.as_ref(), &|_| false).map(|(live, _)| live)
}

async fn when<T>(
    cond: bool,
    fut: impl Future<Output = Result<T, Error>>,
) -> Result<Option<T>, Error> {
    if cond { fut.await.map(Some) } else { Ok(None) }
}

/// Reads the lists `opts` needs, in parallel, without interpreting them.
pub async fn read_raw(client: &Client, opts: &ReadOptions) -> Result<RawLive, Error> {
    let need = needs(&opts.scopes);
    let parents = opts.parents.as_ref();
    // One bound on requests in flight and one budget (`Limits`) for every list of the read.
    let limit = client.reading(opts.concurrency);
    let limit = &limit;

    let settings = when(need.settings, async {
        let _permit = limit.permit().await;
        client.get_call_settings().await
    });
    let greetings = when(need.greetings, client.list_all_limited(None, limit));
    let agents = when(need.agents, client.list_all_limited(None, limit));
    let groups = when(need.groups, async {
        let groups: Vec<wire::Group> = client.list_all_limited(None, limit).await?;
        let members = if need.members {
            let read = groups.iter().filter(|g| {
                let name = g.name.clone().unwrap_or_default();
                wanted(parents, &Address::Group(name))
            });
            children::<wire::GroupAgent>(client, limit, read.map(|g| g.id.clone())).await?
        } else {
            BTreeMap::new()
        };
        Ok((groups, members))
    });
    let queues = when(need.queues, async {
        let queues: Vec<wire::Queue> = client.list_all_limited(None, limit).await?;
        let routings = if need.routings {
            let read = queues.iter().filter(|q| {
                let name = q.name.clone().unwrap_or_default();
                wanted(parents, &Address::Queue(name))
            });
            children::<wire::Routing>(client, limit, read.map(|q| q.id.clone())).await?
        } else {
            BTreeMap::new()
        };
        Ok((queues, routings))
    });
    let trees = when(need.trees, async {
        let trees: Vec<wire::Tree> = client.list_all_limited(None, limit).await?;
        let mut nodes = BTreeMap::new();
        let mut keys = BTreeMap::new();
        if need.nodes {
            // Each tree's key presses are read as soon as its nodes are known.
            let read = trees.iter().filter(|t| {
                let name = t.tree_name.clone().unwrap_or_default();
                wanted(parents, &Address::IvrTree(name))
            });
            let per_tree = fan_out(unique(read.map(|t| t.id.clone())), |tree_id| {
                let client = client.clone();
                let limit = limit.clone();
                async move {
                    let tree_nodes: Vec<wire::Node> = client
                        .list_all_limited(Some(("tree", tree_id.clone())), &limit)
                        .await?;
                    let tree_keys = children::<wire::NodeKey>(
                        &client,
                        &limit,
                        tree_nodes.iter().map(|n| n.id.clone()),
                    )
                    .await?;
                    Ok((tree_id, tree_nodes, tree_keys))
                }
            })
            .await?;
            for (tree_id, tree_nodes, tree_keys) in per_tree {
                nodes.insert(tree_id, tree_nodes);
                keys.extend(tree_keys);
            }
        }
        Ok((trees, nodes, keys))
    });
    let numbers = when(need.numbers, client.list_all_limited(None, limit));

    let (settings, greetings, agents, groups, queues, trees, numbers) =
        tokio::try_join!(settings, greetings, agents, groups, queues, trees, numbers)?;

    let (groups, members) = split(groups);
    let (queues, routings) = split(queues);
    let (trees, nodes, keys) = match trees {
        Some((t, n, k)) => (Some(t), n, k),
        None => (None, BTreeMap::new(), BTreeMap::new()),
    };
    Ok(RawLive {
        settings,
        greetings,
        agents,
        groups,
        members,
        queues,
        routings,
        trees,
        nodes,
        keys,
        numbers,
    })
}

fn split<T, U: Default>(pair: Option<(T, U)>) -> (Option<T>, U) {
    match pair {
        Some((t, u)) => (Some(t), u),
        None => (None, U::default()),
    }
}

fn unique(ids: impl Iterator<Item = String>) -> Vec<String> {
    let set: BTreeSet<String> = ids.collect();
    set.into_iter().collect()
}

/// One per-parent list for each parent, in parallel.
async fn children<T: crate::rest::Resource>(
    client: &Client,
    limit: &Reading,
    parents: impl Iterator<Item = String>,
) -> Result<BTreeMap<String, Vec<T>>, Error> {
    let param = T::PARENT.expect("children() is for per-parent lists");
    let lists = fan_out(unique(parents), |parent| {
        let client = client.clone();
        let limit = limit.clone();
        async move {
            let items: Vec<T> = client
                .list_all_limited(Some((param, parent.clone())), &limit)
                .await?;
            Ok((parent, items))
        }
    })
    .await?;
    Ok(lists.into_iter().collect())
}

/// Runs one task per item, all at once (callers bound the requests with a semaphore), and
/// returns their results in item order, or the first error (the other tasks are cancelled).
pub(crate) async fn fan_out<I, F, Fut, T>(items: I, mut task: F) -> Result<Vec<T>, Error>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future<Output = Result<T, Error>> + Send + 'static,
    T: Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    let mut count = 0;
    for (i, item) in items.into_iter().enumerate() {
        let fut = task(item);
        set.spawn(async move { (i, fut.await) });
        count += 1;
    }
    let mut out: Vec<Option<T>> = (0..count).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        let (i, result) = match joined {
            Ok(done) => done,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Tasks are only cancelled when the runtime shuts down, and then so are we.
            Err(e) => panic!("a read task was cancelled: {e}"),
        };
        out[i] = Some(result?);
    }
    Ok(out
        .into_iter()
        .map(|t| t.expect("every task reported"))
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Normalisation.
// ---------------------------------------------------------------------------------------------

/// The `desc` switchboard gives the greeting files it uploads.
pub fn greeting_desc(name: &str, sha256_hex: &str) -> String {
    format!("switchboard name={name} sha256={sha256_hex}")
}

/// Reads a `desc` written by [`greeting_desc`]: `(name, sha256 hex)`.
pub fn parse_greeting_desc(desc: &str) -> Option<(&str, &str)> {
    let rest = desc.trim().strip_prefix("switchboard name=")?;
    let (name, hex) = rest.rsplit_once(" sha256=")?;
    let is_hex = hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    (is_hex && !name.is_empty()).then_some((name, hex))
}

#[derive(Default)]
struct Problems(Vec<LiveProblem>);

impl Problems {
    /// A problem of the object at `address`.
    fn add(&mut self, address: Address, ids: &[&str], problem: impl Into<String>) {
        self.push(Subject::Object(address), ids, problem);
    }

    fn push(&mut self, subject: Subject, ids: &[&str], problem: impl Into<String>) {
        self.0.push(LiveProblem {
            subject,
            ids: ids.iter().map(|s| (*s).to_owned()).collect(),
            problem: problem.into(),
            uses: None,
        });
    }

    /// A count that must not be negative nor absurd; `default` when unset.
    /// [`Problems::count`] of a field with no default: absent stays absent.
    fn opt_count(
        &mut self,
        address: &Address,
        id: &str,
        field: &str,
        value: Option<i64>,
    ) -> Option<u32> {
        value.map(|v| self.count(address, id, field, Some(v), 0))
    }

    fn count(
        &mut self,
        address: &Address,
        id: &str,
        field: &str,
        value: Option<i64>,
        default: u32,
    ) -> u32 {
        match value {
            None => default,
            Some(v) => u32::try_from(v).unwrap_or_else(|_| {
                self.add(
                    address.clone(),
                    &[id],
                    format!("`{field}` is {v}, not a count"),
                );
                default
            }),
        }
    }
}

/// What a duplicate object uses, for a caller that sets duplicates aside; `None` for a kind
/// whose duplicates cannot be set aside.
type Uses<'u, T> = &'u dyn Fn(&T) -> Option<Vec<Address>>;

/// Groups items by a natural key, dropping repeats of one id (a page boundary that moved
/// while reading). Keys with more than one id are reported (at the key's `address`) and left
/// out, with what the left out objects use (`uses`); items without a key are reported as
/// objects of `kind` named by their id.
#[allow(clippy::too_many_arguments)]
fn by_key<'a, T>(
    problems: &mut Problems,
    kind: Kind,
    what: &str,
    items: impl IntoIterator<Item = &'a T>,
    id: impl Fn(&T) -> &str,
    key: impl Fn(&T) -> Option<String>,
    address: impl Fn(String) -> Address,
    uses: Uses<'_, T>,
) -> BTreeMap<String, &'a T>
where
    T: 'a,
{
    let mut seen = BTreeSet::new();
    let mut grouped: BTreeMap<String, Vec<&'a T>> = BTreeMap::new();
    for item in items {
        if !seen.insert(id(item).to_owned()) {
            continue;
        }
        match key(item) {
            Some(k) => grouped.entry(k).or_default().push(item),
            None => {
                let subject = Subject::Unnamed {
                    kind,
                    within: None,
                    name: id(item).to_owned(),
                };
                problems.push(subject, &[id(item)], format!("has no {what}"));
            }
        }
    }
    let mut unique = BTreeMap::new();
    for (k, list) in grouped {
        if list.len() == 1 {
            unique.insert(k, list[0]);
        } else {
            let ids: Vec<&str> = list.iter().map(|t| id(t)).collect();
            problems.add(
                address(k),
                &ids,
                format!(
                    "{} objects share this {what}; switchboard needs it unique (rename or delete all but one)",
                    list.len()
                ),
            );
            let all: Option<BTreeSet<Address>> =
                list.iter()
                    .map(|t| uses(t))
                    .try_fold(BTreeSet::new(), |mut all, one| {
                        all.extend(one?);
                        Some(all)
                    });
            let added = problems.0.last_mut().expect("just added");
            added.uses = all.map(|set| set.into_iter().collect());
        }
    }
    unique
}

/// Checks the server ids the reader keeps for writes: each must name one object of its kind
/// in a URL path (`PUT /v1/agent/{id}`), so it may not be empty, `.` or `..` (which a URL
/// resolves to another path: `DELETE /v1/group/..` is `DELETE /v1/`), and no two objects of a
/// kind may share one (a write meant for one would land on the other, and the reader would
/// keep only one of them).
fn server_ids(p: &mut Problems, raw: &RawLive) {
    let label = |name: &Option<String>| name.clone().unwrap_or_default();
    let lists: [(Kind, Vec<(&str, String)>); 7] = [
        (
            Kind::Agent,
            raw.agents
                .iter()
                .flatten()
                .map(|a| (a.id.as_str(), label(&a.stringee_user_id)))
                .collect(),
        ),
        (
            Kind::Group,
            raw.groups
                .iter()
                .flatten()
                .map(|g| (g.id.as_str(), label(&g.name)))
                .collect(),
        ),
        (
            Kind::Queue,
            raw.queues
                .iter()
                .flatten()
                .map(|q| (q.id.as_str(), label(&q.name)))
                .collect(),
        ),
        (
            Kind::Routing,
            raw.routings
                .values()
                .flatten()
                .map(|r| (r.id.as_str(), format!("{}/{}", r.queue_id, r.group_id)))
                .collect(),
        ),
        (
            Kind::IvrTree,
            raw.trees
                .iter()
                .flatten()
                .map(|t| (t.id.as_str(), label(&t.tree_name)))
                .collect(),
        ),
        (
            Kind::IvrNode,
            raw.nodes
                .values()
                .flatten()
                .map(|n| (n.id.as_str(), label(&n.node_name)))
                .collect(),
        ),
        (
            Kind::IvrKey,
            raw.keys
                .values()
                .flatten()
                .map(|k| (k.id.as_str(), label(&k.node_key)))
                .collect(),
        ),
    ];
    let numbers = raw
        .numbers
        .iter()
        .flatten()
        .map(|n| (n.id.as_str(), label(&n.number)));
    let lists = lists.into_iter().chain([(Kind::Number, numbers.collect())]);
    for (kind, items) in lists {
        let mut by_id: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (id, name) in items {
            by_id.entry(id).or_default().push(name);
        }
        for (id, names) in by_id {
            let subject = || Subject::Unnamed {
                kind,
                within: None,
                name: names.join(", "),
            };
            if matches!(id, "" | "." | "..") {
                p.push(
                    subject(),
                    &[id],
                    format!("its server id `{id}` cannot name it in a request's URL path"),
                );
            }
            if names.len() > 1 {
                p.push(
                    subject(),
                    &[id],
                    format!(
                        "{} objects share the server id `{id}`: a write to one would land on \
                         another",
                        names.len()
                    ),
                );
            }
        }
    }
}

/// Server id → natural key for every item with a key, duplicates included (so that references
/// to a duplicate are not reported a second time as dangling).
fn names<T>(
    items: &[T],
    id: impl Fn(&T) -> &str,
    key: impl Fn(&T) -> Option<String>,
) -> BTreeMap<String, String> {
    items
        .iter()
        .filter_map(|t| key(t).map(|k| (id(t).to_owned(), k)))
        .collect()
}

/// Turns raw lists into a [`Live`]: `scopes` are put into the model, every list read is put
/// into the ids. Fails with [`Error::Live`] listing every rule the data breaks.
pub fn normalise(raw: &RawLive, scopes: &BTreeSet<ReadScope>) -> Result<Live, Error> {
    normalise_setting_aside(raw, scopes, &|_| false).map(|(live, _)| live)
}

/// [`normalise`], except that problems whose only effect is to leave whole objects out of the
/// model (two groups, queues, IVR trees, agents or numbers sharing one natural key; see
/// [`LiveProblem::uses`]) at an address that `accept` accepts (one that `ignore:` covers,
/// say) are set aside instead of failing the read: the model is then the project without
/// those objects, and the problems set aside are returned beside it. Any other problem still
/// fails the read, listing every problem not set aside.
pub fn normalise_setting_aside(
    raw: &RawLive,
    scopes: &BTreeSet<ReadScope>,
    accept: &dyn Fn(&Address) -> bool,
) -> Result<(Live, Vec<LiveProblem>), Error> {
    normalise_within(raw, scopes, None, accept)
}

/// [`normalise_setting_aside`] of a read whose per-parent lists cover only `parents`
/// ([`ReadOptions::parents`]).
fn normalise_within(
    raw: &RawLive,
    scopes: &BTreeSet<ReadScope>,
    parents: Option<&Parents>,
    accept: &dyn Fn(&Address) -> bool,
) -> Result<(Live, Vec<LiveProblem>), Error> {
    let (live, mut problems) = normalise_all(raw, scopes, parents);
    problems.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    problems.dedup();
    let (aside, refused): (Vec<_>, Vec<_>) = problems
        .into_iter()
        .partition(|p| p.uses.is_some() && p.address().is_some_and(accept));
    if refused.is_empty() {
        Ok((live, aside))
    } else {
        Err(Error::Live(refused))
    }
}

/// Reads the live project (the scopes in `opts`) and normalises it, setting aside the problems
/// at addresses `accept` accepts ([`normalise_setting_aside`]).
pub async fn read_live_setting_aside(
    client: &Client,
    opts: &ReadOptions,
    accept: &dyn Fn(&Address) -> bool,
) -> Result<(Live, Vec<LiveProblem>), Error> {
    let raw = read_raw(client, opts).await?;
    normalise_within(&raw, &opts.scopes, opts.parents.as_ref(), accept)
}

/// The live project and every rule it breaks; the model leaves out what a problem concerns.
fn normalise_all(
    raw: &RawLive,
    scopes: &BTreeSet<ReadScope>,
    parents: Option<&Parents>,
) -> (Live, Vec<LiveProblem>) {
    let mut p = Problems::default();
    let mut model = Model::default();
    let mut ids = Ids::default();
    let has = |s| scopes.contains(&s);
    server_ids(&mut p, raw);

    // Audio: file name → identity.
    let mut audio_of_file: BTreeMap<String, AudioId> = BTreeMap::new();
    for file in raw.greetings.iter().flatten() {
        if audio_of_file.contains_key(&file.filename) {
            continue;
        }
        let (id, name) = match file.desc.as_deref().and_then(parse_greeting_desc) {
            Some((name, hex)) => (AudioId::Sha256(hex.to_owned()), name.to_owned()),
            None => (
                AudioId::ServerFile(file.filename.clone()),
                file.filename.clone(),
            ),
        };
        audio_of_file.insert(file.filename.clone(), id.clone());
        ids.audio
            .entry(id.clone())
            .or_insert_with(|| file.filename.clone());
        if has(ReadScope::Audio) {
            model.audio.entry(id).or_insert(Audio { name, file: None });
        }
    }
    let greetings_read = raw.greetings.is_some();
    let audio = |p: &mut Problems, address: &Address, id: &str, field: &str, file: &str| {
        match audio_of_file.get(file) {
            Some(a) => Some(a.clone()),
            None if greetings_read => {
                p.add(
                    address.clone(),
                    &[id],
                    format!(
                        "`{field}` names `{file}`, which is not one of the project's greeting files"
                    ),
                );
                None
            }
            None => None,
        }
    };

    // Agents.
    let agents = raw.agents.as_deref().unwrap_or_default();
    let agent_uid = names(agents, |a| &a.id, |a| a.stringee_user_id.clone());
    // An agent uses nothing: its memberships belong to groups.
    for (uid, a) in by_key(
        &mut p,
        Kind::Agent,
        "stringee_user_id",
        agents,
        |a| &a.id,
        |a| a.stringee_user_id.clone(),
        Address::Agent,
        &|_| Some(Vec::new()),
    ) {
        let address = Address::Agent(uid.clone());
        ids.objects.insert(address.clone(), a.id.clone());
        let routing = match a.routing_type {
            None => AgentRouting::default(),
            Some(1) => AgentRouting::App,
            Some(2) => AgentRouting::Phone,
            Some(other) => {
                p.add(
                    address,
                    &[&a.id],
                    format!("unknown routing_type {other} (1 app, 2 phone)"),
                );
                continue;
            }
        };
        if has(ReadScope::Agents) {
            model.agents.insert(
                uid,
                Agent {
                    name: a.name.clone().unwrap_or_default(),
                    routing,
                    phone_number: a.phone_number.clone(),
                    out_of_hours_callout: a.allow_out_of_business_hour_callout,
                },
            );
        }
    }

    // Groups and members.
    let groups = raw.groups.as_deref().unwrap_or_default();
    let group_name = names(groups, |g| &g.id, |g| g.name.clone());
    let group_uses = |g: &wire::Group| {
        let members = raw.members.get(&g.id).into_iter().flatten();
        Some(
            members
                .filter_map(|m| agent_uid.get(&m.agent_id))
                .map(|uid| Address::Agent(uid.clone()))
                .collect(),
        )
    };
    for (name, g) in by_key(
        &mut p,
        Kind::Group,
        "name",
        groups,
        |g| &g.id,
        |g| g.name.clone(),
        Address::Group,
        &group_uses,
    ) {
        let address = Address::Group(name.clone());
        ids.objects.insert(address.clone(), g.id.clone());
        if !has(ReadScope::Groups) {
            continue;
        }
        let mut group = Group::default();
        for m in raw.members.get(&g.id).into_iter().flatten() {
            match agent_uid.get(&m.agent_id) {
                Some(uid) => {
                    group.agents.insert(uid.clone());
                }
                None => p.add(
                    address.clone(),
                    &[&g.id, &m.agent_id],
                    format!(
                        "has member `{}`, which is not an agent of the project",
                        m.agent_id
                    ),
                ),
            }
        }
        model.groups.insert(name, group);
    }

    // Queues and routings.
    let queues = raw.queues.as_deref().unwrap_or_default();
    let queue_name = names(queues, |q| &q.id, |q| q.name.clone());
    // Greeting audio is never deleted, so only the groups a queue routes to count.
    let queue_uses = |q: &wire::Queue| {
        let routings = raw.routings.get(&q.id).into_iter().flatten();
        Some(
            routings
                .filter_map(|r| group_name.get(&r.group_id))
                .map(|group| Address::Group(group.clone()))
                .collect(),
        )
    };
    for (name, q) in by_key(
        &mut p,
        Kind::Queue,
        "name",
        queues,
        |q| &q.id,
        |q| q.name.clone(),
        Address::Queue,
        &queue_uses,
    ) {
        let address = Address::Queue(name.clone());
        ids.objects.insert(address.clone(), q.id.clone());
        if !has(ReadScope::Queues) {
            continue;
        }
        let d = Queue::default();
        let schedule = match q.schedule {
            None | Some(1) => Schedule::Always,
            Some(2) => Schedule::BusinessHours,
            Some(other) => {
                p.add(
                    address.clone(),
                    &[&q.id],
                    format!("unknown schedule {other} (1 always, 2 business hours)"),
                );
                d.schedule
            }
        };
        let mut count = |field: &str, value: Option<i64>, default: u32| {
            p.count(&address, &q.id, field, value, default)
        };
        let wrap_up_time_limit = count(
            "wrap_up_time_limit",
            q.wrap_up_time_limit,
            d.wrap_up_time_limit,
        );
        let wait_agent_answer_timeout = count(
            "wait_agent_answer_timeout",
            q.wait_agent_answer_timeout,
            d.wait_agent_answer_timeout,
        );
        let maximum_queue_size = count(
            "maximum_queue_size",
            q.maximum_queue_size,
            d.maximum_queue_size,
        );
        let maximum_queue_wait_time = count(
            "maximum_queue_wait_time",
            q.maximum_queue_wait_time,
            d.maximum_queue_wait_time,
        );
        let cond_routing = count("cond_routing", q.cond_routing, d.cond_routing);
        let overflow_after = p.opt_count(
            &address,
            &q.id,
            "route_to_backup_groups_after",
            q.route_to_backup_groups_after,
        );
        let sla_target_percent =
            p.opt_count(&address, &q.id, "sla_target_percent", q.sla_target_percent);
        let sla_answered_within = p.opt_count(
            &address,
            &q.id,
            "sla_answered_within",
            q.sla_answered_within,
        );
        let wait_greeting = q
            .wait_greeting
            .as_deref()
            .and_then(|f| audio(&mut p, &address, &q.id, "wait_greeting", f));
        let hold_greeting = q
            .hold_greeting
            .as_deref()
            .and_then(|f| audio(&mut p, &address, &q.id, "hold_greeting", f));

        let mut routing = BTreeMap::new();
        let mut routing_ids: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        let mut seen = BTreeSet::new();
        for r in raw.routings.get(&q.id).into_iter().flatten() {
            if !seen.insert(&r.id) {
                continue;
            }
            match group_name.get(&r.group_id) {
                Some(group) => {
                    routing_ids.entry(group.clone()).or_default().push(&r.id);
                    routing.insert(
                        group.clone(),
                        Routing {
                            primary: r.primary_group.unwrap_or(Routing::DEFAULT_PRIMARY),
                        },
                    );
                }
                // The group is named by the id the routing holds: it has no name.
                None => p.add(
                    Address::Routing {
                        queue: name.clone(),
                        group: r.group_id.clone(),
                    },
                    &[&r.id],
                    format!(
                        "routes queue `{name}` to group `{}`, which does not exist",
                        r.group_id
                    ),
                ),
            }
        }
        for (group, rids) in routing_ids {
            let at = Address::Routing {
                queue: name.clone(),
                group: group.clone(),
            };
            if rids.len() == 1 {
                ids.objects.insert(at, rids[0].to_owned());
            } else {
                p.add(
                    at,
                    &rids,
                    format!(
                        "{} routings join queue `{name}` to group `{group}`; delete all but one",
                        rids.len()
                    ),
                );
                routing.remove(&group);
            }
        }
        model.queues.insert(
            name,
            Queue {
                record_calls: q.record_calls.unwrap_or(d.record_calls),
                agent_wrap_up_after_calls: q
                    .agent_wrap_up_after_calls
                    .unwrap_or(d.agent_wrap_up_after_calls),
                wrap_up_time_limit,
                schedule,
                wait_agent_answer_timeout,
                wait_greeting,
                hold_greeting,
                maximum_queue_size,
                maximum_queue_wait_time,
                from_number_callout_to_agent: q.from_number_callout_to_agent.clone(),
                get_list_agents_url: q.get_list_agents_url.clone().map(Sensitive::new),
                cond_routing,
                routing,
                overflow_after,
                sla_target_percent,
                sla_answered_within,
            },
        );
    }

    // IVR trees, nodes, keys.
    let trees = raw.trees.as_deref().unwrap_or_default();
    let tree_name = names(trees, |t| &t.id, |t| t.tree_name.clone());
    // Every node read: id → (tree name, node name), for `next_node` look-ups.
    let mut node_at: BTreeMap<&str, (String, String)> = BTreeMap::new();
    for (tid, nodes) in &raw.nodes {
        if let Some(tname) = tree_name.get(tid) {
            for n in nodes {
                if let Some(nname) = &n.node_name {
                    node_at.insert(&n.id, (tname.clone(), nname.clone()));
                }
            }
        }
    }
    // A tree's own nodes go with it; outside it, its keys use queues.
    let tree_uses = |t: &wire::Tree| {
        let nodes = raw.nodes.get(&t.id).into_iter().flatten();
        let keys = nodes.flat_map(|n| raw.keys.get(&n.id).into_iter().flatten());
        Some(
            keys.filter(|k| k.action == Some(2))
                .filter_map(|k| queue_name.get(k.queue_id.as_deref()?))
                .map(|queue| Address::Queue(queue.clone()))
                .collect(),
        )
    };
    for (tname, t) in by_key(
        &mut p,
        Kind::IvrTree,
        "name",
        trees,
        |t| &t.id,
        |t| t.tree_name.clone(),
        Address::IvrTree,
        &tree_uses,
    ) {
        let tree_at = Address::IvrTree(tname.clone());
        ids.objects.insert(tree_at.clone(), t.id.clone());
        if !has(ReadScope::Ivr) {
            continue;
        }
        if !wanted(parents, &tree_at) {
            // Its nodes were not read, so neither is its start (the root is a node).
            let tree = IvrTree {
                start: String::new(),
                nodes: BTreeMap::new(),
            };
            model.ivr.insert(tname, tree);
            continue;
        }
        let tree_nodes = raw.nodes.get(&t.id).map(Vec::as_slice).unwrap_or_default();
        let mut tree = IvrTree {
            start: String::new(),
            nodes: BTreeMap::new(),
        };
        let node_address = |node: String| Address::IvrNode {
            tree: tname.clone(),
            node,
        };
        let unique_nodes = by_key(
            &mut p,
            Kind::IvrNode,
            "name in its tree",
            tree_nodes,
            |n| &n.id,
            |n| n.node_name.clone(),
            node_address,
            // Keys elsewhere in the tree may go to a duplicate node: not one to set aside.
            &|_| None,
        );
        for (nname, n) in unique_nodes {
            let qualified = node_address(nname.clone());
            ids.objects.insert(qualified.clone(), n.id.clone());
            let mut count = |field: &str, value: Option<i64>, default: u32| {
                p.count(&qualified, &n.id, field, value, default)
            };
            let loop_count = count("loop_count", n.loop_count, IvrNode::DEFAULT_LOOP_COUNT);
            let delay_ms = count("sched", n.sched, IvrNode::DEFAULT_DELAY_MS);
            let keypress_timeout = count(
                "keypress_timeout",
                n.keypress_timeout,
                IvrNode::DEFAULT_KEYPRESS_TIMEOUT,
            );
            let prompt = match n.node_play_mode.as_deref() {
                Some("talk") => Some(Prompt::Say {
                    text: n.node_play_content.clone().unwrap_or_default(),
                    voice: n.voice.clone().unwrap_or_else(|| DEFAULT_VOICE.to_owned()),
                    speed: match n.speed.map(i32::try_from) {
                        None => Prompt::DEFAULT_SPEED,
                        Some(Ok(s)) => s,
                        Some(Err(_)) => {
                            p.add(qualified.clone(), &[&n.id], "`speed` is out of range");
                            Prompt::DEFAULT_SPEED
                        }
                    },
                }),
                Some("play") => match n.node_play_content.as_deref() {
                    Some(file) => audio(&mut p, &qualified, &n.id, "node_play_content", file)
                        .map(|audio| Prompt::Play { audio }),
                    None => {
                        p.add(qualified.clone(), &[&n.id], "plays a file but names none");
                        None
                    }
                },
                other => {
                    p.add(
                        qualified.clone(),
                        &[&n.id],
                        format!(
                            "node_play_mode is `{}`, neither `talk` nor `play`",
                            other.unwrap_or("")
                        ),
                    );
                    None
                }
            };

            let mut keys = BTreeMap::new();
            let mut key_ids: BTreeMap<Key, Vec<&str>> = BTreeMap::new();
            let mut seen = BTreeSet::new();
            for k in raw.keys.get(&n.id).into_iter().flatten() {
                if !seen.insert(&k.id) {
                    continue;
                }
                let wire_key = k.node_key.as_deref().unwrap_or("");
                let Some(key) = Key::from_wire(wire_key) else {
                    let subject = Subject::Unnamed {
                        kind: Kind::IvrKey,
                        within: Some(qualified.clone()),
                        name: wire_key.to_owned(),
                    };
                    p.push(
                        subject,
                        &[&k.id],
                        format!(
                            "unknown node_key `{wire_key}` (0-9, *, #, EMPTY_KEY, INVALID_KEY)"
                        ),
                    );
                    continue;
                };
                let kname = Address::IvrKey {
                    tree: tname.clone(),
                    node: nname.clone(),
                    key,
                };
                let action = match k.action {
                    Some(2) => match k.queue_id.as_deref() {
                        Some(qid) => match queue_name.get(qid) {
                            Some(queue) => Some(KeyAction::Queue {
                                queue: queue.clone(),
                            }),
                            None => {
                                p.add(
                                    kname.clone(),
                                    &[&k.id],
                                    format!("sends calls to queue `{qid}`, which does not exist"),
                                );
                                None
                            }
                        },
                        None => {
                            p.add(
                                kname.clone(),
                                &[&k.id],
                                "action 2 (queue) names no queue_id",
                            );
                            None
                        }
                    },
                    Some(3) => match &k.to_phone_number {
                        Some(to) => Some(KeyAction::Forward {
                            to: to.clone(),
                            caller_id: k.from_number_callout_to_agent.clone(),
                        }),
                        None => {
                            p.add(
                                kname.clone(),
                                &[&k.id],
                                "action 3 (forward) names no to_phone_number",
                            );
                            None
                        }
                    },
                    Some(4) => match k.next_node.as_deref() {
                        Some(next) => match node_at.get(next) {
                            Some((ntree, nnode)) if *ntree == tname => Some(KeyAction::Goto {
                                node: nnode.clone(),
                            }),
                            Some((ntree, nnode)) => {
                                p.add(
                                    kname.clone(),
                                    &[&k.id, next],
                                    format!("goes to node `{nnode}` of another tree, `{ntree}`"),
                                );
                                None
                            }
                            None => {
                                p.add(
                                    kname.clone(),
                                    &[&k.id],
                                    format!("goes to node `{next}`, which does not exist"),
                                );
                                None
                            }
                        },
                        None => {
                            p.add(
                                kname.clone(),
                                &[&k.id],
                                "action 4 (go to node) names no next_node",
                            );
                            None
                        }
                    },
                    Some(6) => Some(KeyAction::Hangup),
                    Some(1) => {
                        p.add(
                            kname.clone(),
                            &[&k.id],
                            "action 1 (voicemail) is not supported by switchboard",
                        );
                        None
                    }
                    Some(5) => {
                        p.add(
                            kname.clone(),
                            &[&k.id],
                            "action 5 (SMS) is not supported by switchboard",
                        );
                        None
                    }
                    Some(other) => {
                        p.add(kname.clone(), &[&k.id], format!("unknown action {other}"));
                        None
                    }
                    None => {
                        p.add(kname.clone(), &[&k.id], "has no action");
                        None
                    }
                };
                key_ids.entry(key).or_default().push(&k.id);
                if let Some(action) = action {
                    keys.insert(key, action);
                }
            }
            for (key, kids) in key_ids {
                let at = Address::IvrKey {
                    tree: tname.clone(),
                    node: nname.clone(),
                    key,
                };
                if kids.len() == 1 {
                    ids.objects.insert(at, kids[0].to_owned());
                } else {
                    p.add(
                        at,
                        &kids,
                        format!(
                            "{} key presses for one key on one node; delete all but one",
                            kids.len()
                        ),
                    );
                    keys.remove(&key);
                }
            }
            if let Some(prompt) = prompt {
                tree.nodes.insert(
                    nname,
                    IvrNode {
                        prompt,
                        barge_in: n.barge_in.unwrap_or(IvrNode::DEFAULT_BARGE_IN),
                        loop_count,
                        delay_ms,
                        keypress_timeout,
                        keys,
                    },
                );
            }
        }
        match t.root_node.as_deref() {
            None if tree_nodes.is_empty() => {}
            None => p.add(tree_at, &[&t.id], "has nodes but no root node"),
            Some(root) => match node_at.get(root) {
                Some((rtree, rnode)) if *rtree == tname => {
                    tree.start = rnode.clone();
                    ids.roots.insert(tname.clone(), rnode.clone());
                }
                _ => p.add(
                    tree_at,
                    &[&t.id, root],
                    format!("its root node `{root}` is not one of its nodes"),
                ),
            },
        }
        model.ivr.insert(tname, tree);
    }

    // Numbers.
    let numbers = raw.numbers.as_deref().unwrap_or_default();
    let number_uses = |n: &wire::Number| {
        let route = if n.enable_ivr == Some(true) {
            n.ivr_menu
                .as_ref()
                .and_then(|t| tree_name.get(t))
                .map(|t| Address::IvrTree(t.clone()))
        } else {
            n.queue_id
                .as_ref()
                .and_then(|q| queue_name.get(q))
                .map(|q| Address::Queue(q.clone()))
        };
        Some(route.into_iter().collect())
    };
    for (digits, n) in by_key(
        &mut p,
        Kind::Number,
        "number",
        numbers,
        |n| &n.id,
        |n| n.number.clone(),
        Address::Number,
        &number_uses,
    ) {
        let address = Address::Number(digits.clone());
        ids.objects.insert(address.clone(), n.id.clone());
        let route = if n.enable_ivr == Some(true) {
            match n.ivr_menu.as_deref() {
                Some(tid) => match tree_name.get(tid) {
                    Some(tree) => Some(NumberRoute::Ivr(tree.clone())),
                    None => {
                        p.add(
                            address.clone(),
                            &[&n.id],
                            format!("routes to IVR tree `{tid}`, which does not exist"),
                        );
                        continue;
                    }
                },
                None => {
                    p.add(
                        address.clone(),
                        &[&n.id],
                        "has enable_ivr set but no ivr_menu",
                    );
                    continue;
                }
            }
        } else {
            match n.queue_id.as_deref() {
                Some(qid) => match queue_name.get(qid) {
                    Some(queue) => Some(NumberRoute::Queue(queue.clone())),
                    None => {
                        p.add(
                            address.clone(),
                            &[&n.id],
                            format!("routes to queue `{qid}`, which does not exist"),
                        );
                        continue;
                    }
                },
                None => None,
            }
        };
        model.numbers.insert(
            digits,
            Number {
                nickname: n.nickname.clone(),
                route,
                allow_outbound_calls: n
                    .allow_outbound_calls
                    .unwrap_or(Number::DEFAULT_ALLOW_OUTBOUND_CALLS),
                record_outbound_calls: n
                    .record_outbound_calls
                    .unwrap_or(Number::DEFAULT_RECORD_OUTBOUND_CALLS),
                all_groups_can_call_out: n.all_group_can_make_outbound_call,
            },
        );
    }
    if !has(ReadScope::Numbers) {
        model.numbers.clear();
    }

    // Settings.
    if let (true, Some(s)) = (has(ReadScope::Settings), &raw.settings) {
        let d = CallSettings::default();
        let timeout = p.count(
            &Address::Settings,
            "callsettings",
            "get_customer_info_timeout",
            s.get_customer_info_timeout,
            d.get_customer_info_timeout_ms,
        );
        model.settings = Some(CallSettings {
            event_url: s.event_url.clone().map(Sensitive::new),
            get_customer_info_url: s.get_customer_info_url.clone().map(Sensitive::new),
            get_customer_info_timeout_ms: timeout,
            callout_answer_url: s.callout_answer_url.clone().map(Sensitive::new),
        });
    }

    let live = Live {
        model,
        ids,
        scopes: scopes.clone(),
    };
    (live, p.0)
}

// ---------------------------------------------------------------------------------------------
// Minimum reads.
// ---------------------------------------------------------------------------------------------

/// Requests to read a list of `items` items: `max(1, ceil(items / 100))`.
pub fn pages(items: usize) -> u64 {
    (items.div_ceil(PAGE_LIMIT as usize)).max(1) as u64
}

/// The fewest requests that read `scopes` of a project, per the table in this module's docs.
/// `model` must be the whole project (as a full read returns it), since a scoped read also
/// reads lists of other kinds to name references. Assumes one greeting file per audio
/// identity (a file uploaded twice is one audio entry but two list items).
pub fn minimum_reads(model: &Model, scopes: &BTreeSet<ReadScope>) -> u64 {
    minimum_reads_within(model, scopes, None)
}

/// [`minimum_reads`] of a read whose per-parent lists cover only `parents`
/// ([`ReadOptions::parents`]): the lists of parents are read whole, the per-parent lists of
/// these parents only.
pub fn minimum_reads_within(
    model: &Model,
    scopes: &BTreeSet<ReadScope>,
    parents: Option<&Parents>,
) -> u64 {
    let need = needs(scopes);
    let mut total = 0;
    if need.settings {
        total += 1;
    }
    if need.greetings {
        total += pages(model.audio.len());
    }
    if need.agents {
        total += pages(model.agents.len());
    }
    if need.groups {
        total += pages(model.groups.len());
    }
    if need.members {
        total += model
            .groups
            .iter()
            .filter(|(name, _)| wanted(parents, &Address::Group((*name).clone())))
            .map(|(_, g)| pages(g.agents.len()))
            .sum::<u64>();
    }
    if need.queues {
        total += pages(model.queues.len());
    }
    if need.routings {
        total += model
            .queues
            .iter()
            .filter(|(name, _)| wanted(parents, &Address::Queue((*name).clone())))
            .map(|(_, q)| pages(q.routing.len()))
            .sum::<u64>();
    }
    if need.trees {
        total += pages(model.ivr.len());
    }
    if need.nodes {
        let read = model
            .ivr
            .iter()
            .filter(|(name, _)| wanted(parents, &Address::IvrTree((*name).clone())));
        for (_, tree) in read {
            total += pages(tree.nodes.len());
            total += tree
                .nodes
                .values()
                .map(|n| pages(n.keys.len()))
                .sum::<u64>();
        }
    }
    if need.numbers {
        total += pages(model.numbers.len());
    }
    total
}
