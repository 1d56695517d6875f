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
//! | `Blacklist` | pages(blacklist entries) |
//!
//! The lists after the first `+` of a row are read only to turn server ids into names; a
//! scoped read reads each list at most once, whatever the kinds share. A full read costs
//! [`minimum_reads`]. A read limited to some parents ([`ReadOptions::parents`], what a
//! partial plan reads) sums the per-parent lists (Σ) over those parents only
//! ([`minimum_reads_within`]).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use serde::Deserialize;
use spec::model::{Audio, AudioId, Group, IvrNode, IvrTree, Key, KeyAction, Model};
use spec::{Address, Kind};

use crate::client::{Client, DEFAULT_CONCURRENCY, PAGE_LIMIT, Reading};
use crate::error::{Error, LiveProblem, Subject};
use crate::normal::{self, Faults, Names};
use crate::rest::Resource;
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
    /// Blacklisted caller numbers.
    Blacklist,
}

impl ReadScope {
    /// Every scope.
    pub const ALL: [ReadScope; 8] = [
        ReadScope::Settings,
        ReadScope::Audio,
        ReadScope::Agents,
        ReadScope::Groups,
        ReadScope::Queues,
        ReadScope::Ivr,
        ReadScope::Numbers,
        ReadScope::Blacklist,
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
            Kind::Blacklist => ReadScope::Blacklist,
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
    /// `GET /v1/blacklistnumber`.
    pub blacklist: Option<Vec<wire::BlacklistNumber>>,
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
    blacklist: bool,
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
        blacklist: has(S::Blacklist),
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
    let blacklist = when(need.blacklist, client.list_all_limited(None, limit));

    let (settings, greetings, agents, groups, queues, trees, numbers, blacklist) = tokio::try_join!(
        settings, greetings, agents, groups, queues, trees, numbers, blacklist
    )?;

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
        blacklist,
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
async fn children<T: Resource>(
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
    /// The faults of the object at `address`, whose server id is `id`.
    fn faults(&mut self, address: &Address, id: &str, faults: Faults) {
        for fault in faults.0 {
            let mut ids = vec![id];
            ids.extend(fault.also.iter().map(String::as_str));
            self.add(address.clone(), &ids, fault.problem);
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
fn by_key<'a, T: Resource>(
    problems: &mut Problems,
    kind: Kind,
    what: &str,
    items: impl IntoIterator<Item = &'a T>,
    address: impl Fn(String) -> Address,
    uses: Uses<'_, T>,
) -> BTreeMap<String, &'a T> {
    let id = T::id;
    let key = |t: &T| t.key().map(str::to_owned);
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
    let blacklist = raw
        .blacklist
        .iter()
        .flatten()
        .map(|b| (b.id.as_str(), label(&b.number)));
    let lists = lists.into_iter().chain([
        (Kind::Number, numbers.collect()),
        (Kind::Blacklist, blacklist.collect()),
    ]);
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

/// Server id → natural key for every item with a key, duplicates included.
fn names<T>(
    items: &[T],
    id_key: impl Fn(&T) -> (&String, Option<String>),
) -> BTreeMap<String, String> {
    items
        .iter()
        .filter_map(|t| {
            let (id, key) = id_key(t);
            key.map(|k| (id.clone(), k))
        })
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
/// Each kind is normalised on its own ([`crate::normal`] for one object), over what they all
/// share ([`Normalising`]).
fn normalise_all(
    raw: &RawLive,
    scopes: &BTreeSet<ReadScope>,
    parents: Option<&Parents>,
) -> (Live, Vec<LiveProblem>) {
    let mut cx = Normalising {
        raw,
        scopes,
        parents,
        names: ReadNames::of(raw),
        p: Problems::default(),
        model: Model::default(),
        ids: Ids::default(),
    };
    server_ids(&mut cx.p, raw);
    audio(&mut cx);
    agents(&mut cx);
    groups(&mut cx);
    queues(&mut cx);
    ivr(&mut cx);
    numbers(&mut cx);
    blacklist(&mut cx);
    settings(&mut cx);
    let live = Live {
        model: cx.model,
        ids: cx.ids,
        scopes: scopes.clone(),
    };
    (live, cx.p.0)
}

/// What every kind's normaliser shares: the lists read, the scopes wanted, the names of
/// objects by server id, and what is being built.
struct Normalising<'r> {
    raw: &'r RawLive,
    scopes: &'r BTreeSet<ReadScope>,
    /// The parents whose per-parent lists were read ([`ReadOptions::parents`]).
    parents: Option<&'r Parents>,
    names: ReadNames,
    p: Problems,
    model: Model,
    ids: Ids,
}

impl Normalising<'_> {
    fn has(&self, scope: ReadScope) -> bool {
        self.scopes.contains(&scope)
    }
}

/// Server id → natural key of every object read, duplicates included (so that references to a
/// duplicate are not reported a second time as dangling).
#[derive(Default)]
struct ReadNames {
    greetings_read: bool,
    /// Greeting file name → audio (the first file of a content wins).
    audio: BTreeMap<String, AudioId>,
    agents: BTreeMap<String, String>,
    groups: BTreeMap<String, String>,
    queues: BTreeMap<String, String>,
    trees: BTreeMap<String, String>,
    /// Node id → (tree name, node name), for `next_node` and `root_node`.
    nodes: BTreeMap<String, (String, String)>,
}

impl ReadNames {
    fn of(raw: &RawLive) -> ReadNames {
        let mut audio = BTreeMap::new();
        for file in raw.greetings.iter().flatten() {
            audio
                .entry(file.filename.clone())
                .or_insert_with(|| greeting_audio(file).0);
        }
        let trees = names(raw.trees.as_deref().unwrap_or_default(), |t| {
            (&t.id, t.tree_name.clone())
        });
        let mut nodes = BTreeMap::new();
        for (tid, tree_nodes) in &raw.nodes {
            if let Some(tname) = trees.get(tid) {
                for n in tree_nodes {
                    if let Some(nname) = &n.node_name {
                        nodes.insert(n.id.clone(), (tname.clone(), nname.clone()));
                    }
                }
            }
        }
        ReadNames {
            greetings_read: raw.greetings.is_some(),
            audio,
            agents: names(raw.agents.as_deref().unwrap_or_default(), |a| {
                (&a.id, a.stringee_user_id.clone())
            }),
            groups: names(raw.groups.as_deref().unwrap_or_default(), |g| {
                (&g.id, g.name.clone())
            }),
            queues: names(raw.queues.as_deref().unwrap_or_default(), |q| {
                (&q.id, q.name.clone())
            }),
            trees,
            nodes,
        }
    }
}

impl Names for ReadNames {
    fn audio(&self, file: &str) -> Result<Option<AudioId>, ()> {
        match self.audio.get(file) {
            Some(a) => Ok(Some(a.clone())),
            None if self.greetings_read => Err(()),
            None => Ok(None),
        }
    }
    fn queue(&self, id: &str) -> Option<String> {
        self.queues.get(id).cloned()
    }
    fn tree(&self, id: &str) -> Option<String> {
        self.trees.get(id).cloned()
    }
    fn node(&self, id: &str) -> Option<(String, String)> {
        self.nodes.get(id).cloned()
    }
}

/// A greeting file's audio and name: by the `sha256=` switchboard writes in its `desc`, else
/// by its server file name.
fn greeting_audio(file: &wire::GreetingFile) -> (AudioId, String) {
    match file.desc.as_deref().and_then(parse_greeting_desc) {
        Some((name, hex)) => (AudioId::Sha256(hex.to_owned()), name.to_owned()),
        None => (
            AudioId::ServerFile(file.filename.clone()),
            file.filename.clone(),
        ),
    }
}

fn audio(cx: &mut Normalising<'_>) {
    let mut seen = BTreeSet::new();
    for file in cx.raw.greetings.iter().flatten() {
        if !seen.insert(&file.filename) {
            continue;
        }
        let (id, name) = greeting_audio(file);
        cx.ids
            .audio
            .entry(id.clone())
            .or_insert_with(|| file.filename.clone());
        if cx.has(ReadScope::Audio) {
            cx.model
                .audio
                .entry(id)
                .or_insert(Audio { name, file: None });
        }
    }
}

fn agents(cx: &mut Normalising<'_>) {
    let agents = cx.raw.agents.as_deref().unwrap_or_default();
    // An agent uses nothing: its memberships belong to groups.
    for (uid, a) in by_key(
        &mut cx.p,
        Kind::Agent,
        "stringee_user_id",
        agents,
        Address::Agent,
        &|_| Some(Vec::new()),
    ) {
        let address = Address::Agent(uid.clone());
        cx.ids.objects.insert(address.clone(), a.id.clone());
        let mut f = Faults::default();
        let agent = normal::agent(a, &mut f);
        cx.p.faults(&address, &a.id, f);
        if let (Some(agent), true) = (agent, cx.has(ReadScope::Agents)) {
            cx.model.agents.insert(uid, agent);
        }
    }
}

fn groups(cx: &mut Normalising<'_>) {
    let raw = cx.raw;
    let groups = raw.groups.as_deref().unwrap_or_default();
    let agent_uid = &cx.names.agents;
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
        &mut cx.p,
        Kind::Group,
        "name",
        groups,
        Address::Group,
        &group_uses,
    ) {
        let address = Address::Group(name.clone());
        cx.ids.objects.insert(address.clone(), g.id.clone());
        if !cx.has(ReadScope::Groups) {
            continue;
        }
        let mut group = Group::default();
        for m in raw.members.get(&g.id).into_iter().flatten() {
            match agent_uid.get(&m.agent_id) {
                Some(uid) => {
                    group.agents.insert(uid.clone());
                }
                None => cx.p.add(
                    address.clone(),
                    &[&g.id, &m.agent_id],
                    format!(
                        "has member `{}`, which is not an agent of the project",
                        m.agent_id
                    ),
                ),
            }
        }
        cx.model.groups.insert(name, group);
    }
}

fn queues(cx: &mut Normalising<'_>) {
    let raw = cx.raw;
    let queues = raw.queues.as_deref().unwrap_or_default();
    let group_name = &cx.names.groups;
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
        &mut cx.p,
        Kind::Queue,
        "name",
        queues,
        Address::Queue,
        &queue_uses,
    ) {
        let address = Address::Queue(name.clone());
        cx.ids.objects.insert(address.clone(), q.id.clone());
        if !cx.has(ReadScope::Queues) {
            continue;
        }
        let mut f = Faults::default();
        let mut queue = normal::queue(q, &cx.names, &mut f);
        cx.p.faults(&address, &q.id, f);

        let mut routing_ids: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        let mut seen = BTreeSet::new();
        for r in raw.routings.get(&q.id).into_iter().flatten() {
            if !seen.insert(&r.id) {
                continue;
            }
            match group_name.get(&r.group_id) {
                Some(group) => {
                    routing_ids.entry(group.clone()).or_default().push(&r.id);
                    queue.routing.insert(group.clone(), normal::routing(r));
                }
                // The group is named by the id the routing holds: it has no name.
                None => cx.p.add(
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
                cx.ids.objects.insert(at, rids[0].to_owned());
            } else {
                cx.p.add(
                    at,
                    &rids,
                    format!(
                        "{} routings join queue `{name}` to group `{group}`; delete all but one",
                        rids.len()
                    ),
                );
                queue.routing.remove(&group);
            }
        }
        cx.model.queues.insert(name, queue);
    }
}

fn ivr(cx: &mut Normalising<'_>) {
    let raw = cx.raw;
    let trees = raw.trees.as_deref().unwrap_or_default();
    let queue_name = &cx.names.queues;
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
        &mut cx.p,
        Kind::IvrTree,
        "name",
        trees,
        Address::IvrTree,
        &tree_uses,
    ) {
        let tree_at = Address::IvrTree(tname.clone());
        cx.ids.objects.insert(tree_at.clone(), t.id.clone());
        if !cx.has(ReadScope::Ivr) {
            continue;
        }
        let tree = if wanted(cx.parents, &tree_at) {
            tree(cx, &tname, t)
        } else {
            // Its nodes were not read, so neither is its start (the root is a node).
            IvrTree {
                start: String::new(),
                nodes: BTreeMap::new(),
            }
        };
        cx.model.ivr.insert(tname, tree);
    }
}

/// One tree: its nodes, their key presses, its root.
fn tree(cx: &mut Normalising<'_>, tname: &str, t: &wire::Tree) -> IvrTree {
    let tree_nodes = cx
        .raw
        .nodes
        .get(&t.id)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut tree = IvrTree {
        start: String::new(),
        nodes: BTreeMap::new(),
    };
    let node_address = |node: String| Address::IvrNode {
        tree: tname.to_owned(),
        node,
    };
    let unique_nodes = by_key(
        &mut cx.p,
        Kind::IvrNode,
        "name in its tree",
        tree_nodes,
        node_address,
        // Keys elsewhere in the tree may go to a duplicate node: not one to set aside.
        &|_| None,
    );
    for (nname, n) in unique_nodes {
        let qualified = node_address(nname.clone());
        cx.ids.objects.insert(qualified.clone(), n.id.clone());
        let mut f = Faults::default();
        let node = normal::node(n, &cx.names, &mut f);
        cx.p.faults(&qualified, &n.id, f);
        let keys = node_keys(cx, tname, &nname, n);
        if let Some(node) = node {
            tree.nodes.insert(nname, IvrNode { keys, ..node });
        }
    }
    let tree_at = Address::IvrTree(tname.to_owned());
    match t.root_node.as_deref() {
        None if tree_nodes.is_empty() => {}
        None => cx.p.add(tree_at, &[&t.id], "has nodes but no root node"),
        Some(root) => match cx.names.nodes.get(root) {
            Some((rtree, rnode)) if rtree == tname => {
                tree.start = rnode.clone();
                cx.ids.roots.insert(tname.to_owned(), rnode.clone());
            }
            _ => cx.p.add(
                tree_at,
                &[&t.id, root],
                format!("its root node `{root}` is not one of its nodes"),
            ),
        },
    }
    tree
}

/// The key presses of one node.
fn node_keys(
    cx: &mut Normalising<'_>,
    tname: &str,
    nname: &str,
    n: &wire::Node,
) -> BTreeMap<Key, KeyAction> {
    let qualified = Address::IvrNode {
        tree: tname.to_owned(),
        node: nname.to_owned(),
    };
    let key_at = |key| Address::IvrKey {
        tree: tname.to_owned(),
        node: nname.to_owned(),
        key,
    };
    let mut keys = BTreeMap::new();
    let mut key_ids: BTreeMap<Key, Vec<&str>> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for k in cx.raw.keys.get(&n.id).into_iter().flatten() {
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
            cx.p.push(
                subject,
                &[&k.id],
                format!("unknown node_key `{wire_key}` (0-9, *, #, EMPTY_KEY, INVALID_KEY)"),
            );
            continue;
        };
        let mut f = Faults::default();
        let action = normal::key_action(k, tname, &cx.names, &mut f);
        cx.p.faults(&key_at(key), &k.id, f);
        key_ids.entry(key).or_default().push(&k.id);
        if let Some(action) = action {
            keys.insert(key, action);
        }
    }
    for (key, kids) in key_ids {
        if kids.len() == 1 {
            cx.ids.objects.insert(key_at(key), kids[0].to_owned());
        } else {
            cx.p.add(
                key_at(key),
                &kids,
                format!(
                    "{} key presses for one key on one node; delete all but one",
                    kids.len()
                ),
            );
            keys.remove(&key);
        }
    }
    keys
}

fn numbers(cx: &mut Normalising<'_>) {
    let numbers = cx.raw.numbers.as_deref().unwrap_or_default();
    let names = &cx.names;
    let number_uses = |n: &wire::Number| {
        let route = if n.enable_ivr == Some(true) {
            n.ivr_menu
                .as_ref()
                .and_then(|t| names.trees.get(t))
                .map(|t| Address::IvrTree(t.clone()))
        } else {
            n.queue_id
                .as_ref()
                .and_then(|q| names.queues.get(q))
                .map(|q| Address::Queue(q.clone()))
        };
        Some(route.into_iter().collect())
    };
    for (digits, n) in by_key(
        &mut cx.p,
        Kind::Number,
        "number",
        numbers,
        Address::Number,
        &number_uses,
    ) {
        let address = Address::Number(digits.clone());
        cx.ids.objects.insert(address.clone(), n.id.clone());
        let mut f = Faults::default();
        let number = normal::number(n, &cx.names, &mut f);
        cx.p.faults(&address, &n.id, f);
        if let (Some(number), true) = (number, cx.has(ReadScope::Numbers)) {
            cx.model.numbers.insert(digits, number);
        }
    }
}

/// The blacklist, keyed by digits ([`Resource::key`] strips the `+` PCC stores), when read.
fn blacklist(cx: &mut Normalising<'_>) {
    if !cx.has(ReadScope::Blacklist) {
        return;
    }
    let entries = cx.raw.blacklist.as_deref().unwrap_or_default();
    let mut blacklist = BTreeMap::new();
    for (digits, b) in by_key(
        &mut cx.p,
        Kind::Blacklist,
        "number",
        entries,
        Address::Blacklist,
        &|_| Some(Vec::new()),
    ) {
        cx.ids
            .objects
            .insert(Address::Blacklist(digits.clone()), b.id.clone());
        blacklist.insert(digits, normal::blacklist(b));
    }
    cx.model.blacklist = Some(blacklist);
}

fn settings(cx: &mut Normalising<'_>) {
    if let (true, Some(s)) = (cx.has(ReadScope::Settings), &cx.raw.settings) {
        let mut f = Faults::default();
        cx.model.settings = Some(normal::settings(s, &mut f));
        cx.p.faults(&Address::Settings, "callsettings", f);
    }
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
    if need.blacklist {
        total += pages(model.blacklist.as_ref().map_or(0, BTreeMap::len));
    }
    total
}
