//! One step: what its kind needs (the request bodies through `pcc::encode`, with names turned
//! into server ids from the shared id map; the natural key PCC holds; whether an object found
//! is the desired one, normalised as the live read normalises it, `pcc::normal`), run by one
//! generic driver ([`drive`]) over the kind's `pcc::Resource`, which keeps the id map up to
//! date for the steps that follow. Audio (an upload) and the call settings (a singleton) have
//! drivers of their own.
//!
//! | kind | look-up by natural key |
//! |---|---|
//! | agent | the agents with its `stringee_user_id` (a server-side filter) |
//! | group, queue, IVR tree, number | the kind's list, by name (digits for numbers) |
//! | membership | the group's members, by agent id |
//! | routing | the queue's routings, by group id |
//! | IVR node | the tree's nodes, by name |
//! | key press | the node's key presses, by key |
//! | audio | the greeting files, by the `sha256=` in their `desc` |
//! | settings | the singleton |
//!
//! A rename (a step with `moved_from`) is an update of a group, queue or tree: a `PUT` with
//! the new name on the old object's id. Its look-up is the kind's list by the new name, so a
//! rename whose answer was lost is found done, never sent twice blindly. A routing is never
//! updated: PCC's routing `PUT` is unconfirmed, and the planner makes a change of priority a
//! delete and a create.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use pcc::encode::{self, Unset};
use pcc::live::{greeting_desc, parse_greeting_desc};
use pcc::normal::{self, Faults, Names};
use pcc::rest::Made;
use pcc::{Ids, Resource, Writes, wire};
use planner::{Action, Object, Step};
use spec::Address;
use spec::model::{Agent, AudioId, Key, KeyAction, Number, NumberRoute, Queue};

use crate::ctx::Ctx;
use crate::drivers::{self, Found, InPlace, already_gone};
use crate::error::Error;
use crate::report::Done;

/// Carries out one step.
pub(crate) async fn run(ctx: &Ctx, step: &Step) -> Result<Done, Error> {
    // A value known only by its digest (a saved plan not filled in) is never encoded: the
    // request would write something else than what was planned.
    if let Some((field, _)) = step
        .after
        .iter()
        .flat_map(Object::sensitive_fields)
        .find(|(_, value)| value.expose().is_none())
    {
        return Err(Error::SensitiveUnknown {
            address: step.address.to_string(),
            field,
        });
    }
    let done = |w: Option<Done>| w.unwrap_or_else(already_gone);
    match &step.address {
        Address::Agent(uid) => drive(ctx, step, agent(step, uid)).await.map(|(d, _)| d),
        Address::Group(name) => drive(ctx, step, group(name)).await.map(|(d, _)| d),
        Address::Membership { group, agent } => match membership(ctx, step, group, agent)? {
            Some(w) => drive(ctx, step, w).await.map(|(d, _)| d),
            None => Ok(done(None)),
        },
        Address::Audio(_) => audio(ctx, step).await,
        Address::Queue(name) => drive(ctx, step, queue(ctx, step, name)?)
            .await
            .map(|(d, _)| d),
        Address::Routing { queue, group } => match routing(ctx, step, queue, group)? {
            Some(w) => drive(ctx, step, w).await.map(|(d, _)| d),
            None => Ok(done(None)),
        },
        Address::IvrTree(name) => tree(ctx, step, name).await,
        Address::IvrNode { tree, node: name } => node(ctx, step, tree, name).await,
        Address::IvrKey { tree, node, key } => match key_press(ctx, step, tree, node, *key)? {
            Some(w) => drive(ctx, step, w).await.map(|(d, _)| d),
            None => Ok(done(None)),
        },
        Address::Number(digits) => drive(ctx, step, number(ctx, step, digits)?)
            .await
            .map(|(d, _)| d),
        Address::Blacklist(digits) => drive(ctx, step, blacklist(step, digits))
            .await
            .map(|(d, _)| d),
        Address::Settings => settings(ctx, step).await,
    }
}

fn unsupported(step: &Step) -> Error {
    Error::Unsupported {
        address: step.address.to_string(),
        action: match step.action {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        },
    }
}

/// The server id of the object at `missing`, which the step cannot do without.
fn need(ctx: &Ctx, step: &Step, missing: &Address) -> Result<String, Error> {
    own(ctx, missing).ok_or_else(|| Error::MissingId {
        address: step.address.to_string(),
        missing: missing.to_string(),
    })
}

/// The server id of the object at `address`, for a delete: `None` means it is not live.
fn own(ctx: &Ctx, address: &Address) -> Option<String> {
    ctx.ids(|ids| ids.get(address).cloned())
}

fn missing_audio(step: &Step, id: AudioId) -> Error {
    Error::MissingId {
        address: step.address.to_string(),
        missing: format!("audio {id}"),
    }
}

/// The error of a look-up under a parent (a group's members, a queue's routings, a tree's
/// nodes, a node's key presses) whose list PCC refused (`r != 0`).
///
/// A refusal is not read as "nothing under it". The parent is always expected to exist when
/// a step looks under it: its id comes from the live read, or from the create step this one
/// waited for, which finished only once PCC answered that id or the parent was found listed,
/// so a parent made in this run exists too before anything looks under it. A refusal then
/// says nothing about the child: reading it as "absent" would send a create again next to one
/// that landed (PCC does not refuse a second node or routing with the same name) or call a
/// delete done that was not. Were the parent truly gone, the child went with it, the write
/// would fail as well, and the next plan no longer has the step: failing loses nothing.
fn under(step: &Step, parent: &Address, e: pcc::Error) -> Error {
    match e {
        refusal @ pcc::Error::Api { .. } => Error::LookupRefused {
            address: step.address.to_string(),
            parent: parent.to_string(),
            refusal: Box::new(refusal),
        },
        other => other.into(),
    }
}

/// What the generic driver needs of one step of a kind `R`.
struct Write<'a, R: Resource> {
    /// The parent whose list holds the object, and its server id (per-parent kinds).
    parent: Option<(Address, String)>,
    /// The object's natural key as PCC holds it ([`Resource::key`]).
    key: String,
    /// The body a create sends (and, for a kind without ids, a delete).
    body: Option<R::Body>,
    /// The body an update sends, and the fix of an object a create adopts; `None` for a kind
    /// PCC does not update.
    full: Option<R::Body>,
    /// When an update step is one this kind has.
    updates: Updates,
    /// Whether an object found is the step's desired one (true for a step without one).
    same: Same<'a, R>,
    /// What PCC does with a second object of the key.
    copies: Copies,
}

/// Whether an object found is the desired one, given the names of the id map.
type Same<'a, R> = Box<dyn Fn(&R, &dyn Names) -> bool + Send + Sync + 'a>;

/// Which updates a kind has.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Updates {
    /// Any field.
    Fields,
    /// Its name only: an update is a rename (groups, IVR trees).
    Rename,
    /// None (routings: a change is a delete and a create).
    Never,
}

/// What PCC does with a second object of a natural key ([`drivers::Twins`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Copies {
    Refused,
    Removed,
}

/// The id map's names, for normalising an object found as the live read does. It borrows the
/// map: a copy of it for each look-up (20,000 ids in the benchmark's apply) cost more CPU than
/// the rest of the step, and held several megabytes per look-up in flight.
struct IdNames<'a>(&'a Ids);

impl Names for IdNames<'_> {
    fn audio(&self, file: &str) -> Result<Option<AudioId>, ()> {
        let found = self.0.audio.iter().find(|(_, f)| *f == file);
        found.map(|(a, _)| Some(a.clone())).ok_or(())
    }
    fn queue(&self, id: &str) -> Option<String> {
        self.0.objects.iter().find_map(|(at, i)| match at {
            Address::Queue(name) if i == id => Some(name.clone()),
            _ => None,
        })
    }
    fn tree(&self, id: &str) -> Option<String> {
        self.0.objects.iter().find_map(|(at, i)| match at {
            Address::IvrTree(name) if i == id => Some(name.clone()),
            _ => None,
        })
    }
    fn node(&self, id: &str) -> Option<(String, String)> {
        self.0.objects.iter().find_map(|(at, i)| match at {
            Address::IvrNode { tree, node } if i == id => Some((tree.clone(), node.clone())),
            _ => None,
        })
    }
}

/// `same` for a step: `true` without a desired object, else `is` of it.
fn same_as<'a, R, T: 'a + Send + Sync>(
    want: Option<T>,
    is: impl Fn(&R, &dyn Names, &T) -> bool + Send + Sync + 'a,
) -> Same<'a, R> {
    Box::new(move |found, names| want.as_ref().is_none_or(|w| is(found, names, w)))
}

/// A field the spec may leave unmanaged (`None`: whatever PCC holds), as found: what PCC holds
/// when the step manages it, else `None`, so that it never differs.
fn managed<T>(want: &Option<T>, found: Option<T>) -> Option<T> {
    want.as_ref().and(found)
}

/// `normalised` of an object, when it breaks no rule.
fn clean<T>(normalise: impl FnOnce(&mut Faults) -> Option<T>) -> Option<T> {
    let mut faults = Faults::default();
    let normalised = normalise(&mut faults);
    normalised.filter(|_| faults.0.is_empty())
}

/// Runs one create, update or delete of a kind `R`: the write, the natural-key look-up after
/// a lost answer ([`drivers`]), and the id map. Answers what the create answered, if one did.
async fn drive<R>(
    ctx: &Ctx,
    step: &Step,
    w: Write<'_, R>,
) -> Result<(Done, Option<R::Created>), Error>
where
    R: Resource + Clone + Sync,
    R::Body: Send,
{
    let client = &ctx.client;
    let address = &step.address;
    let w = &w;
    // Set once PCC answered this step's create.
    let answered = &AtomicBool::new(false);
    let find = move || async move {
        let parent = w.parent.as_ref().map(|(_, id)| id.as_str());
        let read = ctx.read(move || client.find::<R>(parent, &w.key));
        // The look after an answered create, of a kind without a filter, is answered by a
        // list read shared with the other steps looking the same list up
        // (`pcc::Client::find`): the step waits for it standing aside, so that another step's
        // requests use the places in flight. After a lost answer it does not: a PCC that
        // loses writes gets no more steps started while they are looked for.
        let items = if R::FILTER.is_none() && answered.load(Ordering::Relaxed) {
            ctx.aside(read).await
        } else {
            read.await
        }
        .map_err(|e| match &w.parent {
            Some((at, _)) => under(step, at, e),
            None => e.into(),
        })?;
        // An object listed twice (a page boundary that moved) is one object.
        let mut seen = BTreeSet::new();
        Ok(ctx.ids(|ids| {
            let names = IdNames(ids);
            items
                .iter()
                .filter(|item| seen.insert(item.id().to_owned()))
                .map(|item| Found::new(item.id(), (w.same)(item, &names)))
                .collect()
        }))
    };
    match step.action {
        Action::Create => {
            let Some(body) = &w.body else {
                return Err(unsupported(step));
            };
            let made: Mutex<Option<R::Created>> = Mutex::new(None);
            let fix = w
                .full
                .as_ref()
                .filter(|_| w.updates == Updates::Fields)
                .map(|full| move |id: String| async move { client.update::<R>(&id, full).await });
            let remove = move |id: String| async move { client.delete::<R>(&id).await };
            let twins = match w.copies {
                Copies::Refused => drivers::Twins::Refused,
                Copies::Removed => drivers::Twins::Removed(remove),
            };
            let send = async || {
                let created = client.create::<R>(body).await?;
                answered.store(true, Ordering::Relaxed);
                // An object without an id of its own is named by its key within its parent.
                let id = created.id().unwrap_or(&w.key).to_owned();
                *made
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(created);
                Ok(id)
            };
            let mut done = drivers::create(ctx, address, send, &find, fix, twins).await?;
            match R::WRITES {
                Writes::ById => record(ctx, &done, address),
                Writes::ByBody | Writes::Never => done.id = None,
            }
            let made = made
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Ok((done, made))
        }
        Action::Update => {
            let wanted = match w.updates {
                Updates::Fields => true,
                Updates::Rename => step.moved_from.is_some(),
                Updates::Never => false,
            };
            let (true, Some(full)) = (wanted, &w.full) else {
                return Err(unsupported(step));
            };
            let id = need(ctx, step, address)?;
            let done = drivers::in_place(
                ctx,
                InPlace::Update,
                || client.update::<R>(&id, full),
                &find,
                &id,
            )
            .await?;
            Ok((done, None))
        }
        Action::Delete => {
            let id = match R::WRITES {
                Writes::ById => own(ctx, address),
                Writes::ByBody | Writes::Never => Some(w.key.clone()),
            };
            let Some(id) = id else {
                return Ok((already_gone(), None));
            };
            let send = || async {
                match (R::WRITES, &w.body) {
                    (Writes::ByBody, Some(body)) => client.delete_made::<R>(body).await,
                    _ => client.delete::<R>(&id).await,
                }
            };
            let mut done = drivers::in_place(ctx, InPlace::Delete, send, &find, &id).await?;
            forget(ctx, address);
            if R::WRITES != Writes::ById {
                done.id = None;
            }
            Ok((done, None))
        }
    }
}

fn agent<'a>(step: &'a Step, uid: &str) -> Write<'a, wire::Agent> {
    let want = match &step.after {
        Some(Object::Agent(a)) => Some(a),
        _ => None,
    };
    Write {
        parent: None,
        key: uid.to_owned(),
        body: want.map(|a| encode::agent_body(uid, a, Unset::Omit)),
        full: want.map(|a| encode::agent_body(uid, a, Unset::Clear)),
        updates: Updates::Fields,
        same: same_as(want, |found, _, want| {
            clean(|f| normal::agent(found, f)).is_some_and(|found| {
                let found = Agent {
                    out_of_hours_callout: managed(
                        &want.out_of_hours_callout,
                        found.out_of_hours_callout,
                    ),
                    ..found
                };
                found == **want
            })
        }),
        copies: Copies::Removed,
    }
}

/// A blacklist entry, keyed by its digits. PCC may hold one number twice (no uniqueness is
/// documented), so a create is checked like an agent's: the oldest copy kept.
fn blacklist<'a>(step: &'a Step, digits: &str) -> Write<'a, wire::BlacklistNumber> {
    let want = match &step.after {
        Some(Object::Blacklist(b)) => Some(b),
        _ => None,
    };
    let body = want.map(|b| encode::blacklist_body(digits, b));
    Write {
        parent: None,
        key: digits.to_owned(),
        body: body.clone(),
        full: body,
        updates: Updates::Fields,
        same: same_as(want, |found, _, want| normal::blacklist(found) == **want),
        copies: Copies::Removed,
    }
}

/// A group has nothing but its name: the only update is a rename.
fn group(name: &str) -> Write<'static, wire::Group> {
    let body = wire::GroupBody {
        name: name.to_owned(),
    };
    named(name, body)
}

/// A kind with nothing but its name (groups, IVR trees): found by it, the same when found,
/// updated only to be renamed.
fn named<R: Resource>(name: &str, body: R::Body) -> Write<'static, R>
where
    R::Body: Clone,
{
    Write {
        parent: None,
        key: name.to_owned(),
        body: Some(body.clone()),
        full: Some(body),
        updates: Updates::Rename,
        same: Box::new(|_, _| true),
        copies: Copies::Removed,
    }
}

/// A membership has no id of its own: its agent's id stands for it within its group. `None`
/// for a delete whose agent or group is not live.
fn membership(
    ctx: &Ctx,
    step: &Step,
    group: &str,
    agent: &str,
) -> Result<Option<Write<'static, wire::GroupAgent>>, Error> {
    let (agent_at, group_at) = (
        Address::Agent(agent.to_owned()),
        Address::Group(group.to_owned()),
    );
    let (agent_id, group_id) = match step.action {
        Action::Delete => {
            let (Some(agent_id), Some(group_id)) = (own(ctx, &agent_at), own(ctx, &group_at))
            else {
                return Ok(None);
            };
            (agent_id, group_id)
        }
        _ => (need(ctx, step, &agent_at)?, need(ctx, step, &group_at)?),
    };
    Ok(Some(Write {
        body: Some(wire::Membership {
            agent_id: agent_id.clone(),
            group_id: group_id.clone(),
        }),
        parent: Some((group_at, group_id)),
        key: agent_id,
        full: None,
        updates: Updates::Never,
        same: Box::new(|_, _| true),
        copies: Copies::Refused,
    }))
}

fn queue<'a>(ctx: &Ctx, step: &'a Step, name: &str) -> Result<Write<'a, wire::Queue>, Error> {
    let want = match &step.after {
        Some(Object::Queue(q)) => Some(q),
        _ => None,
    };
    let audio = ctx.ids(|ids| ids.audio.clone());
    let body = |unset| {
        want.map(|q| encode::queue_body(name, q, &audio, unset))
            .transpose()
            .map_err(|id| missing_audio(step, id))
    };
    Ok(Write {
        parent: None,
        key: name.to_owned(),
        body: body(Unset::Omit)?,
        full: body(Unset::Clear)?,
        updates: Updates::Fields,
        same: same_as(want, |found, names, want| {
            clean(|f| Some(normal::queue(found, names, f))).is_some_and(|found| {
                let found = Queue {
                    overflow_after: managed(&want.overflow_after, found.overflow_after),
                    sla_target_percent: managed(&want.sla_target_percent, found.sla_target_percent),
                    sla_answered_within: managed(
                        &want.sla_answered_within,
                        found.sla_answered_within,
                    ),
                    ..found
                };
                found == **want
            })
        }),
        copies: Copies::Removed,
    })
}

/// A routing is created and deleted, never updated: PCC's `PUT` of one is unconfirmed, and the
/// planner makes a change of priority a delete and a create. `None` for a delete whose queue
/// or group is not live.
fn routing<'a>(
    ctx: &Ctx,
    step: &'a Step,
    queue: &str,
    group: &str,
) -> Result<Option<Write<'a, wire::Routing>>, Error> {
    let want = match &step.after {
        Some(Object::Routing(r)) => Some(r),
        _ => None,
    };
    let (queue_at, group_at) = (
        Address::Queue(queue.to_owned()),
        Address::Group(group.to_owned()),
    );
    let (queue_id, group_id) = match step.action {
        Action::Delete => {
            let (Some(q), Some(g)) = (own(ctx, &queue_at), own(ctx, &group_at)) else {
                return Ok(None);
            };
            (q, g)
        }
        _ => (need(ctx, step, &queue_at)?, need(ctx, step, &group_at)?),
    };
    Ok(Some(Write {
        body: want.map(|r| encode::routing_body(&queue_id, &group_id, r)),
        parent: Some((queue_at, queue_id)),
        key: group_id,
        full: None,
        updates: Updates::Never,
        same: same_as(want, |found, _, want| normal::routing(found) == **want),
        copies: Copies::Removed,
    }))
}

/// A tree's `PUT` takes `tree_name` only: the only update is a rename.
async fn tree(ctx: &Ctx, step: &Step, name: &str) -> Result<Done, Error> {
    let body = wire::TreeBody {
        tree_name: name.to_owned(),
    };
    let (done, _) = drive::<wire::Tree>(ctx, step, named(name, body)).await?;
    if step.action == Action::Delete {
        ctx.ids(|ids| ids.roots.remove(name));
    }
    Ok(done)
}

async fn node(ctx: &Ctx, step: &Step, tree: &str, name: &str) -> Result<Done, Error> {
    let want = match &step.after {
        Some(Object::IvrNode { start, node }) => Some((*start, node)),
        _ => None,
    };
    let tree_at = Address::IvrTree(tree.to_owned());
    let tree_id = match step.action {
        Action::Delete => match own(ctx, &tree_at) {
            Some(id) => id,
            None => return Ok(already_gone()),
        },
        _ => need(ctx, step, &tree_at)?,
    };
    let audio = ctx.ids(|ids| ids.audio.clone());
    let body = |tree_id| {
        want.map(|(_, n)| encode::node_body(tree_id, name, n, &audio))
            .transpose()
            .map_err(|id| missing_audio(step, id))
    };
    let w = Write {
        body: body(Some(&tree_id))?,
        full: body(None)?,
        parent: Some((tree_at, tree_id.clone())),
        key: name.to_owned(),
        updates: Updates::Fields,
        same: same_as(want.map(|(_, n)| n), |found, names, want| {
            clean(|f| normal::node(found, names, f)).as_ref() == Some(want)
        }),
        copies: Copies::Removed,
    };
    let (done, made) = drive::<wire::Node>(ctx, step, w).await?;
    match (step.action, want) {
        (Action::Create, Some((start, _))) => {
            if start && done.id.is_some() {
                ctx.ids(|ids| ids.roots.insert(tree.to_owned(), name.to_owned()));
            }
            // The first node created in a tree becomes its root, and the plan orders the
            // start node first; if PCC disagrees, say so rather than build on a wrong root.
            // A node another writer made first, and this step adopted, was checked by it
            // (its own copy, second in the tree, is not the root, and is gone).
            if let Some(node) = made
                && done.id.as_deref() == Some(node.id.as_str())
                && node.is_root != start
            {
                return Err(Error::WrongRoot {
                    address: step.address.to_string(),
                    became_root: node.is_root,
                });
            }
        }
        (Action::Delete, _) => ctx.ids(|ids| {
            if ids.roots.get(tree).is_some_and(|r| r == name) {
                ids.roots.remove(tree);
            }
        }),
        _ => {}
    }
    Ok(done)
}

/// `None` for a delete whose node is not live.
fn key_press<'a>(
    ctx: &Ctx,
    step: &'a Step,
    tree: &'a str,
    node: &str,
    key: Key,
) -> Result<Option<Write<'a, wire::NodeKey>>, Error> {
    let want = match &step.after {
        Some(Object::IvrKey(action)) => Some(action),
        _ => None,
    };
    let node_at = Address::IvrNode {
        tree: tree.to_owned(),
        node: node.to_owned(),
    };
    let node_id = match step.action {
        Action::Delete => match own(ctx, &node_at) {
            Some(id) => id,
            None => return Ok(None),
        },
        _ => need(ctx, step, &node_at)?,
    };
    let target = match want {
        Some(KeyAction::Goto { node: next }) => {
            let next_at = Address::IvrNode {
                tree: tree.to_owned(),
                node: next.clone(),
            };
            Some(need(ctx, step, &next_at)?)
        }
        Some(KeyAction::Queue { queue }) => {
            Some(need(ctx, step, &Address::Queue(queue.to_owned()))?)
        }
        _ => None,
    };
    let body =
        |node_id, unset| want.map(|a| encode::key_body(node_id, key, a, target.as_deref(), unset));
    Ok(Some(Write {
        body: body(Some(&node_id), Unset::Omit),
        full: body(None, Unset::Clear),
        parent: Some((node_at, node_id)),
        key: key.as_wire().to_owned(),
        updates: Updates::Fields,
        same: same_as(want, move |found, names, want| {
            clean(|f| normal::key_action(found, tree, names, f)).as_ref() == Some(want)
        }),
        copies: Copies::Refused,
    }))
}

fn number<'a>(ctx: &Ctx, step: &'a Step, digits: &str) -> Result<Write<'a, wire::Number>, Error> {
    let want = match &step.after {
        Some(Object::Number(n)) => Some(n),
        _ => None,
    };
    let route_id = match want.and_then(|n| n.route.as_ref()) {
        Some(NumberRoute::Ivr(tree)) => Some(need(ctx, step, &Address::IvrTree(tree.to_owned()))?),
        Some(NumberRoute::Queue(queue)) => {
            Some(need(ctx, step, &Address::Queue(queue.to_owned()))?)
        }
        None => None,
    };
    let body =
        |digits, unset| want.map(|n| encode::number_body(digits, n, route_id.as_deref(), unset));
    Ok(Write {
        body: body(Some(digits), Unset::Omit),
        full: body(None, Unset::Clear),
        parent: None,
        key: digits.to_owned(),
        updates: Updates::Fields,
        same: same_as(want, |found, names, want| {
            clean(|f| normal::number(found, names, f)).is_some_and(|found| {
                let found = Number {
                    all_groups_can_call_out: managed(
                        &want.all_groups_can_call_out,
                        found.all_groups_can_call_out,
                    ),
                    ..found
                };
                found == **want
            })
        }),
        copies: Copies::Refused,
    })
}

/// Files the ids of a renamed group, queue or tree, and of what names it in its key
/// (routings, nodes, key presses, the root), under the new name, through the walk the
/// planner renames its model with ([`planner::rename_keys`]). The server id does not change
/// with a rename. Does nothing when the new name is already in the map.
pub(crate) fn rename_ids(ids: &mut Ids, from: &Address, to: &Address) {
    if ids.get(to).is_some() {
        return;
    }
    planner::rename_keys(&mut ids.objects, from, to);
    if let (Address::IvrTree(old), Address::IvrTree(new)) = (from, to)
        && let Some(root) = ids.roots.remove(old)
    {
        ids.roots.insert(new.clone(), root);
    }
}

/// Records the id a create made for the object at `address`.
fn record(ctx: &Ctx, done: &Done, address: &Address) {
    if let Some(id) = &done.id {
        ctx.ids(|ids| ids.objects.insert(address.clone(), id.clone()));
    }
}

/// Forgets the id of a deleted object.
fn forget(ctx: &Ctx, address: &Address) {
    ctx.ids(|ids| ids.objects.remove(address));
}

async fn audio(ctx: &Ctx, step: &Step) -> Result<Done, Error> {
    let (Action::Create, Some(Object::Audio { id, name, file })) = (step.action, &step.after)
    else {
        return Err(unsupported(step));
    };
    let address = step.address.to_string();
    let (AudioId::Sha256(expected), Some(file)) = (id, file) else {
        return Err(Error::AudioRead {
            address,
            path: file.clone().unwrap_or_default(),
            message: format!("{id} has no file to upload"),
        });
    };
    let bytes = read_audio(&ctx.config.audio_root, file, &address).await?;
    let found = spec::model::AudioDigest::of(&bytes);
    if found != *expected {
        return Err(Error::AudioChanged {
            path: file.clone(),
            expected: expected.clone(),
            found,
        });
    }
    let client = &ctx.client;
    let desc = greeting_desc(name, expected);
    let find = move || async move {
        let files = ctx
            .read(move || client.list_all::<wire::GreetingFile>(None))
            .await?;
        // The same content uploaded twice is one audio file to switchboard (the first one
        // is used), so the first match is adopted.
        Ok(files
            .iter()
            .filter(|f| {
                f.desc
                    .as_deref()
                    .and_then(parse_greeting_desc)
                    .is_some_and(|(_, hex)| hex == expected)
            })
            .take(1)
            .map(|f| Found::new(&f.filename, true))
            .collect())
    };
    let done = drivers::create(
        ctx,
        &step.address,
        async || {
            client
                .upload_greeting(&desc, bytes.clone())
                .await
                .map(|u| u.filename)
        },
        &find,
        drivers::NO_FIX,
        drivers::Twins::KEPT,
    )
    .await?;
    // Audio is known by content, not by its address: its id is the server's file name.
    if let Some(filename) = &done.id {
        ctx.ids(|ids| ids.audio.insert(id.clone(), filename.clone()));
    }
    Ok(done)
}

/// The file to upload, read through the same checks as the spec loader's hash of it: inside
/// the spec root after symbolic links, a regular file, at most [`files::Limit::AUDIO_FILE`].
async fn read_audio(root: &Path, file: &str, address: &str) -> Result<Vec<u8>, Error> {
    let (root, written) = (root.to_path_buf(), file.to_owned());
    let read = tokio::task::spawn_blocking(move || {
        files::Root::new(&root)?.read(&written, files::Limit::AUDIO_FILE)
    })
    .await
    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    read.map_err(|e| Error::AudioRead {
        address: address.to_owned(),
        path: file.to_owned(),
        message: e.to_string(),
    })
}

/// The call settings are a singleton: only ever written in whole, so only ever updated.
const SETTINGS_ID: &str = "callsettings";

async fn settings(ctx: &Ctx, step: &Step) -> Result<Done, Error> {
    let (Action::Update, Some(Object::Settings(s))) = (step.action, &step.after) else {
        return Err(unsupported(step));
    };
    let client = &ctx.client;
    let body = &encode::settings_body(s);
    let find = move || async move {
        let live = ctx.read(move || client.get_call_settings()).await?;
        let same = clean(|f| Some(normal::settings(&live, f))).as_ref() == Some(s);
        Ok(vec![Found::new(SETTINGS_ID, same)])
    };
    drivers::in_place(
        ctx,
        InPlace::Update,
        || client.put_call_settings(body),
        &find,
        SETTINGS_ID,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use spec::model::AgentRouting;

    fn step(after: Agent) -> Step {
        Step {
            address: Address::Agent("alice".into()),
            action: Action::Create,
            replace: None,
            moved_from: None,
            before: None,
            after: Some(Object::Agent(after)),
            changed_fields: Vec::new(),
            depends_on: Vec::new(),
        }
    }

    fn found(out_of_hours: Option<bool>, phone: Option<&str>) -> wire::Agent {
        wire::Agent {
            id: "AG_1".into(),
            name: Some("Alice".into()),
            stringee_user_id: Some("alice".into()),
            routing_type: None,
            phone_number: phone.map(str::to_owned),
            manual_status: None,
            allow_out_of_business_hour_callout: out_of_hours,
        }
    }

    /// An object found after a lost answer is compared as the live read normalises it: PCC's
    /// defaults are the model's, and a field the spec leaves unmanaged never differs, while a
    /// managed one does.
    #[test]
    fn a_found_object_is_compared_as_the_live_read_normalises_it() {
        let names = IdNames(&Ids::default());
        let alice = Agent {
            name: "Alice".into(),
            routing: AgentRouting::App,
            phone_number: None,
            out_of_hours_callout: None,
        };
        let unmanaged = step(alice.clone());
        let w = agent(&unmanaged, "alice");
        assert!((w.same)(&found(None, None), &names));
        assert!((w.same)(&found(Some(true), None), &names), "unmanaged");
        assert!(!(w.same)(&found(None, Some("84900")), &names), "phone");

        let managed = step(Agent {
            out_of_hours_callout: Some(false),
            ..alice
        });
        let w = agent(&managed, "alice");
        assert!((w.same)(&found(Some(false), None), &names));
        assert!(!(w.same)(&found(Some(true), None), &names));
        assert!(!(w.same)(&found(None, None), &names), "PCC holds nothing");
    }
}
