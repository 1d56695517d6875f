//! One step, kind by kind: the request bodies (through `pcc::encode`, with names turned into
//! server ids from the shared id map), the natural-key look-up each kind needs after a lost
//! answer, and the id map kept up to date for the steps that follow.
//!
//! | kind | look-up by natural key |
//! |---|---|
//! | agent | `find_agents(stringee_user_id)` |
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
//! rename whose answer was lost is found done, never sent twice blindly.

use std::path::Path;
use std::sync::Mutex;

use pcc::encode::{self, Unset};
use pcc::live::{greeting_desc, parse_greeting_desc};
use pcc::{Ids, wire};
use planner::{Action, Object, Step};
use spec::Address;
use spec::model::{AudioId, Key, KeyAction, NumberRoute};

use crate::ctx::Ctx;
use crate::drivers::{self, Found, already_gone};
use crate::error::Error;
use crate::report::Done;
use crate::same;

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
    match &step.address {
        Address::Agent(uid) => agent(ctx, step, uid).await,
        Address::Group(name) => group(ctx, step, name).await,
        Address::Membership { group, agent } => membership(ctx, step, group, agent).await,
        Address::Audio(_) => audio(ctx, step).await,
        Address::Queue(name) => queue(ctx, step, name).await,
        Address::Routing { queue, group } => routing(ctx, step, queue, group).await,
        Address::IvrTree(name) => tree(ctx, step, name).await,
        Address::IvrNode { tree, node: name } => node(ctx, step, tree, name).await,
        Address::IvrKey { tree, node, key } => key_press(ctx, step, tree, node, *key).await,
        Address::Number(digits) => number(ctx, step, digits).await,
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

async fn agent(ctx: &Ctx, step: &Step, uid: &str) -> Result<Done, Error> {
    let client = &ctx.client;
    let want = match &step.after {
        Some(Object::Agent(a)) => Some(a),
        _ => None,
    };
    let full = &want.map(|a| encode::agent_body(uid, a, Unset::Clear));
    let find = move || async move {
        let agents = ctx.read(move || client.find_agents(uid)).await?;
        Ok(agents
            .iter()
            .map(|a| Found::new(&a.id, full.as_ref().is_none_or(|w| same::agent(a, w))))
            .collect())
    };
    match (step.action, want, full) {
        (Action::Create, Some(a), Some(full)) => {
            let body = encode::agent_body(uid, a, Unset::Omit);
            let done = drivers::create(
                ctx,
                &step.address,
                || client.create::<wire::Agent>(&body),
                &find,
                move |id: String| async move { client.update::<wire::Agent>(&id, full).await },
                drivers::Twins::Removed(move |id: String| async move {
                    client.delete::<wire::Agent>(&id).await
                }),
            )
            .await?;
            record(ctx, &done, &step.address);
            Ok(done)
        }
        (Action::Update, Some(_), Some(full)) => {
            let id = need(ctx, step, &step.address)?;
            drivers::update(ctx, || client.update::<wire::Agent>(&id, full), &find, &id).await
        }
        (Action::Delete, _, _) => {
            let Some(id) = own(ctx, &step.address) else {
                return Ok(already_gone());
            };
            let done =
                drivers::delete(ctx, || client.delete::<wire::Agent>(&id), &find, &id).await?;
            forget(ctx, &step.address);
            Ok(done)
        }
        _ => Err(unsupported(step)),
    }
}

/// Files the ids of a renamed group, queue or tree, and of what names it in its key
/// (routings, nodes, key presses, the root), under the new name. The server id does not
/// change with a rename. Does nothing when the new name is already in the map.
pub(crate) fn rename_ids(ids: &mut Ids, from: &Address, to: &Address) {
    if ids.get(to).is_some() {
        return;
    }
    let moving: Vec<(Address, Address)> = ids
        .objects
        .keys()
        .filter_map(|old| Some((old.clone(), old.renamed(from, to)?)))
        .collect();
    for (old, new) in moving {
        if let Some(id) = ids.objects.remove(&old) {
            ids.objects.insert(new, id);
        }
    }
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

async fn group(ctx: &Ctx, step: &Step, name: &str) -> Result<Done, Error> {
    let client = &ctx.client;
    let find = move || async move {
        let groups = ctx
            .read(move || client.list_all::<wire::Group>(None))
            .await?;
        Ok(groups
            .iter()
            .filter(|g| g.name.as_deref() == Some(name))
            .map(|g| Found::new(&g.id, true))
            .collect())
    };
    match step.action {
        Action::Create => {
            let body = wire::GroupBody {
                name: name.to_owned(),
            };
            let done = drivers::create(
                ctx,
                &step.address,
                || client.create::<wire::Group>(&body),
                &find,
                async |_| Ok(()),
                drivers::Twins::Removed(move |id: String| async move {
                    client.delete::<wire::Group>(&id).await
                }),
            )
            .await?;
            record(ctx, &done, &step.address);
            Ok(done)
        }
        Action::Delete => {
            let Some(id) = own(ctx, &step.address) else {
                return Ok(already_gone());
            };
            let done =
                drivers::delete(ctx, || client.delete::<wire::Group>(&id), &find, &id).await?;
            forget(ctx, &step.address);
            Ok(done)
        }
        // A group has nothing but its name: the only update is a rename.
        Action::Update if step.moved_from.is_some() => {
            let id = need(ctx, step, &step.address)?;
            let body = wire::GroupBody {
                name: name.to_owned(),
            };
            drivers::update(ctx, || client.update::<wire::Group>(&id, &body), &find, &id).await
        }
        Action::Update => Err(unsupported(step)),
    }
}

async fn membership(ctx: &Ctx, step: &Step, group: &str, agent: &str) -> Result<Done, Error> {
    let client = &ctx.client;
    let (agent_at, group_at) = (
        &Address::Agent(agent.to_owned()),
        &Address::Group(group.to_owned()),
    );
    let ids = match step.action {
        Action::Create => (need(ctx, step, agent_at)?, need(ctx, step, group_at)?),
        Action::Delete => {
            let (Some(agent_id), Some(group_id)) = (own(ctx, agent_at), own(ctx, group_at)) else {
                return Ok(already_gone());
            };
            (agent_id, group_id)
        }
        Action::Update => return Err(unsupported(step)),
    };
    let (agent_id, group_id) = &ids;
    let body = wire::Membership {
        agent_id: agent_id.clone(),
        group_id: group_id.clone(),
    };
    // A membership has no id of its own: the agent's id stands for it within its group.
    let find = move || async move {
        let members = ctx
            .read(move || client.list_all::<wire::GroupAgent>(Some(group_id)))
            .await
            .map_err(|e| under(step, group_at, e))?;
        Ok(members
            .iter()
            .filter(|m| m.agent_id == *agent_id)
            .take(1)
            .map(|m| Found::new(&m.agent_id, true))
            .collect())
    };
    let mut done = match step.action {
        Action::Create => {
            drivers::create(
                ctx,
                &step.address,
                async || {
                    client
                        .create::<wire::GroupAgent>(&body)
                        .await
                        .map(|()| agent_id.clone())
                },
                &find,
                async |_| Ok(()),
                drivers::Twins::REFUSED,
            )
            .await?
        }
        _ => {
            drivers::delete(
                ctx,
                || client.delete_made::<wire::GroupAgent>(&body),
                &find,
                agent_id,
            )
            .await?
        }
    };
    done.id = None;
    Ok(done)
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
        async |_| Ok(()),
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

async fn queue(ctx: &Ctx, step: &Step, name: &str) -> Result<Done, Error> {
    let client = &ctx.client;
    let want = match &step.after {
        Some(Object::Queue(q)) => Some(q),
        _ => None,
    };
    let audio = ctx.ids(|ids| ids.audio.clone());
    let full = &want
        .map(|q| encode::queue_body(name, q, &audio, Unset::Clear))
        .transpose()
        .map_err(|id| missing_audio(step, id))?;
    let find = move || async move {
        let queues = ctx
            .read(move || client.list_all::<wire::Queue>(None))
            .await?;
        Ok(queues
            .iter()
            .filter(|q| q.name.as_deref() == Some(name))
            .map(|q| Found::new(&q.id, full.as_ref().is_none_or(|w| same::queue(q, w))))
            .collect())
    };
    match (step.action, want, full) {
        (Action::Create, Some(q), Some(full)) => {
            let body = encode::queue_body(name, q, &audio, Unset::Omit)
                .map_err(|id| missing_audio(step, id))?;
            let done = drivers::create(
                ctx,
                &step.address,
                || client.create::<wire::Queue>(&body),
                &find,
                move |id: String| async move { client.update::<wire::Queue>(&id, full).await },
                drivers::Twins::Removed(move |id: String| async move {
                    client.delete::<wire::Queue>(&id).await
                }),
            )
            .await?;
            record(ctx, &done, &step.address);
            Ok(done)
        }
        (Action::Update, Some(_), Some(full)) => {
            let id = need(ctx, step, &step.address)?;
            drivers::update(ctx, || client.update::<wire::Queue>(&id, full), &find, &id).await
        }
        (Action::Delete, _, _) => {
            let Some(id) = own(ctx, &step.address) else {
                return Ok(already_gone());
            };
            let done =
                drivers::delete(ctx, || client.delete::<wire::Queue>(&id), &find, &id).await?;
            forget(ctx, &step.address);
            Ok(done)
        }
        _ => Err(unsupported(step)),
    }
}

async fn routing(ctx: &Ctx, step: &Step, queue: &str, group: &str) -> Result<Done, Error> {
    let client = &ctx.client;
    let want = match &step.after {
        Some(Object::Routing(r)) => Some(r),
        _ => None,
    };
    let (queue_at, group_at) = (
        &Address::Queue(queue.to_owned()),
        &Address::Group(group.to_owned()),
    );
    let (queue_id, group_id) = match step.action {
        Action::Delete => {
            let (Some(q), Some(g)) = (own(ctx, queue_at), own(ctx, group_at)) else {
                return Ok(already_gone());
            };
            (q, g)
        }
        _ => (need(ctx, step, queue_at)?, need(ctx, step, group_at)?),
    };
    let (queue_id, group_id) = (&queue_id, &group_id);
    let full = &want.map(|r| encode::routing_body(queue_id, group_id, r));
    let find = move || async move {
        let routings = ctx
            .read(move || client.list_all::<wire::Routing>(Some(queue_id)))
            .await
            .map_err(|e| under(step, queue_at, e))?;
        Ok(routings
            .iter()
            .filter(|r| r.group_id == *group_id)
            .map(|r| Found::new(&r.id, full.as_ref().is_none_or(|w| same::routing(r, w))))
            .collect())
    };
    let priority_only = |body: &wire::RoutingBody| wire::RoutingBody {
        queue_id: None,
        group_id: None,
        primary_group: body.primary_group,
    };
    match (step.action, full) {
        (Action::Create, Some(body)) => {
            let fix = &priority_only(body);
            let done = drivers::create(
                ctx,
                &step.address,
                || client.create::<wire::Routing>(body),
                &find,
                move |id: String| async move { client.update::<wire::Routing>(&id, fix).await },
                drivers::Twins::Removed(move |id: String| async move {
                    client.delete::<wire::Routing>(&id).await
                }),
            )
            .await?;
            record(ctx, &done, &step.address);
            Ok(done)
        }
        (Action::Update, Some(body)) => {
            let id = need(ctx, step, &step.address)?;
            let body = priority_only(body);
            drivers::update(
                ctx,
                || client.update::<wire::Routing>(&id, &body),
                &find,
                &id,
            )
            .await
        }
        (Action::Delete, _) => {
            let Some(id) = own(ctx, &step.address) else {
                return Ok(already_gone());
            };
            let done =
                drivers::delete(ctx, || client.delete::<wire::Routing>(&id), &find, &id).await?;
            forget(ctx, &step.address);
            Ok(done)
        }
        _ => Err(unsupported(step)),
    }
}

async fn tree(ctx: &Ctx, step: &Step, name: &str) -> Result<Done, Error> {
    let client = &ctx.client;
    let find = move || async move {
        let trees = ctx
            .read(move || client.list_all::<wire::Tree>(None))
            .await?;
        Ok(trees
            .iter()
            .filter(|t| t.tree_name.as_deref() == Some(name))
            .map(|t| Found::new(&t.id, true))
            .collect())
    };
    match step.action {
        Action::Create => {
            let body = wire::TreeBody {
                tree_name: name.to_owned(),
            };
            let done = drivers::create(
                ctx,
                &step.address,
                || client.create::<wire::Tree>(&body),
                &find,
                async |_| Ok(()),
                drivers::Twins::Removed(move |id: String| async move {
                    client.delete::<wire::Tree>(&id).await
                }),
            )
            .await?;
            record(ctx, &done, &step.address);
            Ok(done)
        }
        Action::Delete => {
            let Some(id) = own(ctx, &step.address) else {
                return Ok(already_gone());
            };
            let done =
                drivers::delete(ctx, || client.delete::<wire::Tree>(&id), &find, &id).await?;
            ctx.ids(|ids| {
                ids.objects.remove(&step.address);
                ids.roots.remove(name);
            });
            Ok(done)
        }
        // A tree's `PUT` takes `tree_name` only: the only update is a rename.
        Action::Update if step.moved_from.is_some() => {
            let id = need(ctx, step, &step.address)?;
            let body = wire::TreeBody {
                tree_name: name.to_owned(),
            };
            drivers::update(ctx, || client.update::<wire::Tree>(&id, &body), &find, &id).await
        }
        Action::Update => Err(unsupported(step)),
    }
}

async fn node(ctx: &Ctx, step: &Step, tree: &str, name: &str) -> Result<Done, Error> {
    let client = &ctx.client;
    let want = match &step.after {
        Some(Object::IvrNode { start, node }) => Some((*start, node)),
        _ => None,
    };
    let tree_at = &Address::IvrTree(tree.to_owned());
    let tree_id = match step.action {
        Action::Delete => match own(ctx, tree_at) {
            Some(id) => id,
            None => return Ok(already_gone()),
        },
        _ => need(ctx, step, tree_at)?,
    };
    let tree_id = &tree_id;
    let audio = ctx.ids(|ids| ids.audio.clone());
    let full = &want
        .map(|(_, n)| encode::node_body(None, name, n, &audio))
        .transpose()
        .map_err(|id| missing_audio(step, id))?;
    let find = move || async move {
        let nodes = ctx
            .read(move || client.list_all::<wire::Node>(Some(tree_id)))
            .await
            .map_err(|e| under(step, tree_at, e))?;
        Ok(nodes
            .iter()
            .filter(|n| n.node_name.as_deref() == Some(name))
            .map(|n| Found::new(&n.id, full.as_ref().is_none_or(|w| same::node(n, w))))
            .collect())
    };
    match (step.action, want, full) {
        (Action::Create, Some((start, n)), Some(full)) => {
            let body = encode::node_body(Some(tree_id), name, n, &audio)
                .map_err(|id| missing_audio(step, id))?;
            let made: Mutex<Option<wire::NodeCreated>> = Mutex::new(None);
            let done = drivers::create(
                ctx,
                &step.address,
                async || {
                    let node = client.create::<wire::Node>(&body).await?;
                    let id = node.id.clone();
                    *made
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(node);
                    Ok(id)
                },
                &find,
                move |id: String| async move { client.update::<wire::Node>(&id, full).await },
                drivers::Twins::Removed(move |id: String| async move {
                    client.delete::<wire::Node>(&id).await
                }),
            )
            .await?;
            record(ctx, &done, &step.address);
            if start && done.id.is_some() {
                ctx.ids(|ids| ids.roots.insert(tree.to_owned(), name.to_owned()));
            }
            let made = made
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            // The first node created in a tree becomes its root, and the plan orders the
            // start node first; if PCC disagrees, say so rather than build on a wrong root.
            // A node another writer made first, and this step adopted, was checked by it
            // (its own copy, second in the tree, is not the root, and is gone).
            if let Some(node) = made
                && done.id.as_deref() == Some(node.id.as_str())
                && node.is_root != start
            {
                let became_root = node.is_root;
                return Err(Error::WrongRoot {
                    address: step.address.to_string(),
                    became_root,
                });
            }
            Ok(done)
        }
        (Action::Update, Some(_), Some(full)) => {
            let id = need(ctx, step, &step.address)?;
            drivers::update(ctx, || client.update::<wire::Node>(&id, full), &find, &id).await
        }
        (Action::Delete, _, _) => {
            let Some(id) = own(ctx, &step.address) else {
                return Ok(already_gone());
            };
            let done =
                drivers::delete(ctx, || client.delete::<wire::Node>(&id), &find, &id).await?;
            ctx.ids(|ids| {
                ids.objects.remove(&step.address);
                if ids.roots.get(tree).is_some_and(|r| r == name) {
                    ids.roots.remove(tree);
                }
            });
            Ok(done)
        }
        _ => Err(unsupported(step)),
    }
}

async fn key_press(
    ctx: &Ctx,
    step: &Step,
    tree: &str,
    node: &str,
    key: Key,
) -> Result<Done, Error> {
    let client = &ctx.client;
    let want = match &step.after {
        Some(Object::IvrKey(action)) => Some(action),
        _ => None,
    };
    let node_at = &Address::IvrNode {
        tree: tree.to_owned(),
        node: node.to_owned(),
    };
    let node_id = match step.action {
        Action::Delete => match own(ctx, node_at) {
            Some(id) => id,
            None => return Ok(already_gone()),
        },
        _ => need(ctx, step, node_at)?,
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
    let node_id = &node_id;
    let full = &want.map(|a| encode::key_body(None, key, a, target.as_deref(), Unset::Clear));
    let find = move || async move {
        let keys = ctx
            .read(move || client.list_all::<wire::NodeKey>(Some(node_id)))
            .await
            .map_err(|e| under(step, node_at, e))?;
        Ok(keys
            .iter()
            .filter(|k| k.node_key.as_deref() == Some(key.as_wire()))
            .map(|k| Found::new(&k.id, full.as_ref().is_none_or(|w| same::key(k, w))))
            .collect())
    };
    match (step.action, want, full) {
        (Action::Create, Some(action), Some(full)) => {
            let body = encode::key_body(Some(node_id), key, action, target.as_deref(), Unset::Omit);
            let done = drivers::create(
                ctx,
                &step.address,
                || client.create::<wire::NodeKey>(&body),
                &find,
                move |id: String| async move { client.update::<wire::NodeKey>(&id, full).await },
                drivers::Twins::REFUSED,
            )
            .await?;
            record(ctx, &done, &step.address);
            Ok(done)
        }
        (Action::Update, Some(_), Some(full)) => {
            let id = need(ctx, step, &step.address)?;
            drivers::update(
                ctx,
                || client.update::<wire::NodeKey>(&id, full),
                &find,
                &id,
            )
            .await
        }
        (Action::Delete, _, _) => {
            let Some(id) = own(ctx, &step.address) else {
                return Ok(already_gone());
            };
            let done =
                drivers::delete(ctx, || client.delete::<wire::NodeKey>(&id), &find, &id).await?;
            forget(ctx, &step.address);
            Ok(done)
        }
        _ => Err(unsupported(step)),
    }
}

async fn number(ctx: &Ctx, step: &Step, digits: &str) -> Result<Done, Error> {
    let client = &ctx.client;
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
    let full = &want.map(|n| encode::number_body(None, n, route_id.as_deref(), Unset::Clear));
    let find = move || async move {
        let numbers = ctx
            .read(move || client.list_all::<wire::Number>(None))
            .await?;
        Ok(numbers
            .iter()
            .filter(|n| n.number.as_deref() == Some(digits))
            .map(|n| Found::new(&n.id, full.as_ref().is_none_or(|w| same::number(n, w))))
            .collect())
    };
    match (step.action, want, full) {
        (Action::Create, Some(n), Some(full)) => {
            let body = encode::number_body(Some(digits), n, route_id.as_deref(), Unset::Omit);
            let done = drivers::create(
                ctx,
                &step.address,
                || client.create::<wire::Number>(&body),
                &find,
                move |id: String| async move { client.update::<wire::Number>(&id, full).await },
                drivers::Twins::REFUSED,
            )
            .await?;
            record(ctx, &done, &step.address);
            Ok(done)
        }
        (Action::Update, Some(_), Some(full)) => {
            let id = need(ctx, step, &step.address)?;
            drivers::update(ctx, || client.update::<wire::Number>(&id, full), &find, &id).await
        }
        (Action::Delete, _, _) => {
            let Some(id) = own(ctx, &step.address) else {
                return Ok(already_gone());
            };
            let done =
                drivers::delete(ctx, || client.delete::<wire::Number>(&id), &find, &id).await?;
            forget(ctx, &step.address);
            Ok(done)
        }
        _ => Err(unsupported(step)),
    }
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
        Ok(vec![Found::new(SETTINGS_ID, same::settings(&live, body))])
    };
    drivers::update(ctx, || client.put_call_settings(body), &find, SETTINGS_ID).await
}
