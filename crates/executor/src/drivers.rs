//! The three idempotent write loops every kind goes through. The rule they share: a write
//! whose answer was lost ([`pcc::Error::Uncertain`]) is never sent again before a look-up by
//! natural key says it did not happen.
//!
//! - create: look up; found → adopt its id (and update it if its fields differ; which copy,
//!   when there are several, below); not found → send again. A refusal that follows a lost
//!   answer is looked up too: the first attempt may be why the server refuses (a number, a key
//!   press or a membership that now exists).
//! - update: look up; the object already has the desired fields → done; else send again.
//! - delete: look up; gone → done; else send again. A refusal, or a bare HTTP 404, is looked
//!   up as well: an object already gone counts as deleted, whatever code the server used to say
//!   so.
//!
//! Each loop sends at most [`crate::Config::attempts`] writes. A look-up waits
//! [`crate::Config::settle`] first; when it does not see the write and the answer was lost in a
//! way that leaves PCC possibly still working on it (a timeout, a dropped connection, a
//! gateway's 502 or 504), it looks once more [`crate::Config::recheck`] later before sending
//! again: a write the server carries out after its client gave up is adopted, not duplicated.
//!
//! # Two writers
//!
//! PCC has no lock, no compare-and-swap and no idempotency key, and makes a second agent,
//! group, queue, routing, IVR tree or node with a natural key it already holds. Two applies
//! at once, or a re-run while a killed run's writes still land, would each make their own.
//! What each kind does about it is its [`Twins`]:
//!
//! - **Checked creates** ([`Twins::Removed`]). After PCC answers a create, the step looks its
//!   natural key up at once, and keeps the oldest copy (lists answer oldest first). Once the
//!   step's own copy exists, whatever lands later is newer, and the oldest copy stays the
//!   oldest for as long as it exists: every writer that looks keeps the same one. A step
//!   finishes (and what depends on it starts, with its id) only after its look, so nothing is
//!   ever built on a newer copy. Newer copies are deleted when they are the step's own (it
//!   knows the id PCC answered) or exact copies of what it writes (its own write whose answer
//!   was lost, or another writer's from the same spec); a copy with other fields is someone
//!   else's, left to them (they delete it when they look, within a request's time).
//! - **Late writes.** A write of an earlier, killed run may land up to `settle + recheck`
//!   after the command started ([`Ctx::late_writes_landed`]), as a newer copy: a create made
//!   before then looks once more when it has passed, deleting such copies. After a lost
//!   answer, the look that decides waits until the recheck has passed even when a copy is
//!   found at once (it may be another writer's, with this step's own still landing).
//! - **Unique kinds** ([`Twins::Refused`]: numbers, memberships, key presses). PCC refuses
//!   the second: a refused create is looked up, and what another writer made is adopted.
//! - **Audio** ([`Twins::Kept`]): PCC cannot delete an upload, so the step looks first and
//!   uses what is there; two uploads at the same moment leave two files, which is harmless.
//!
//! Limits (docs/apply.md, "Two writers"): lists must answer oldest first; a write that lands
//! later than `settle + recheck` after its client lost it, or a copy made after every writer
//! looked (a third party), is not seen; a writer killed between its create and its look
//! leaves a copy that the next apply's read refuses, naming it.

use std::future::Future;

use spec::Address;

use crate::ctx::Ctx;
use crate::error::Error;
use crate::report::{Done, Recovery};

/// A live object found by natural key: its id and whether its fields are the desired ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    pub id: String,
    pub same: bool,
}

impl Found {
    pub fn new(id: &str, same: bool) -> Found {
        Found {
            id: id.to_owned(),
            same,
        }
    }
}

/// What PCC does when asked to create a second object with a natural key it already holds,
/// and so what a create must do about another writer (a second apply at the same time, or
/// the late writes of a killed one) making the same object.
pub(crate) enum Twins<R> {
    /// PCC refuses it (numbers, memberships, key presses): a create PCC refuses is looked up,
    /// and the object found, which another writer made, is adopted.
    Refused,
    /// PCC makes it and has no delete for it (audio): the create looks first, once no write
    /// of an earlier run can still land, and uses what is there. Two writers uploading at the
    /// same moment still make two copies, which is harmless: switchboard uses the first of a
    /// content (docs/apply.md, "Two writers").
    Kept,
    /// PCC makes it (agents, groups, queues, routings, IVR trees and nodes): every create is
    /// looked up (again once no write of an earlier run can still land, if that is later:
    /// [`Ctx::late_writes_landed`]), the oldest copy is kept by every writer, and newer
    /// copies that are this run's own, or exact copies of what it writes, are deleted through
    /// `remove` (one id at a time).
    Removed(R),
}

/// The `remove` of kinds whose copies are never removed.
pub(crate) type Never = fn(String) -> std::future::Ready<Result<(), pcc::Error>>;

/// The `fix` of kinds whose adopted objects never need one (their look-up finds only the
/// desired object).
pub(crate) const NO_FIX: Option<Never> = None;

impl Twins<Never> {
    #[cfg(test)]
    pub(crate) const REFUSED: Twins<Never> = Twins::Refused;
    pub(crate) const KEPT: Twins<Never> = Twins::Kept;
}

/// Creates an object. `send` answers the new id; `find` lists the live objects with the
/// step's natural key, oldest first; `fix` updates an adopted object to the desired fields
/// (`None` for a kind PCC does not update: an adopted object with other fields fails the step,
/// [`Error::Differs`]); `twins` says what PCC does with a second object of the key.
pub(crate) async fn create<S, D, X, R, RF>(
    ctx: &Ctx,
    address: &Address,
    send: impl Fn() -> S,
    find: &impl Fn() -> D,
    fix: Option<impl Fn(String) -> X>,
    twins: Twins<R>,
) -> Result<Done, Error>
where
    S: Future<Output = Result<String, pcc::Error>>,
    D: Future<Output = Result<Vec<Found>, Error>>,
    X: Future<Output = Result<(), pcc::Error>>,
    R: Fn(String) -> RF,
    RF: Future<Output = Result<(), pcc::Error>>,
{
    let attempts = ctx.config.attempts.max(1);
    let mut writes = 0;
    let mut lost: Option<pcc::Error> = None;
    let settle = |found: Vec<Found>, mine: Option<String>, writes: u32| {
        settle_copies(ctx, address, find, &fix, &twins, found, mine, writes)
    };
    if matches!(twins, Twins::Kept) && !ctx.config.single_writer {
        // A copy could never be deleted: look first, once no write of an earlier run can
        // still land, and use what a killed run (or another writer) uploaded. The step sends
        // nothing meanwhile: it stands aside.
        ctx.aside(ctx.late_writes_landed()).await;
        if let Some(mut done) = settle(find().await?, None, 0).await? {
            done.recovery = Some(Recovery::Existed { updated: false });
            return Ok(done);
        }
    }
    while writes < attempts {
        if let Some(e) = &lost {
            let found = look_for_lost(ctx, &twins, e.may_land_later(), find).await?;
            if let Some(done) = settle(found, None, writes).await? {
                return Ok(done);
            }
        }
        writes += 1;
        match send().await {
            Ok(id) => {
                let resent = lost.map(|_| Recovery::Resent);
                if !matches!(twins, Twins::Removed(_)) || ctx.config.single_writer {
                    return Ok(Done {
                        id: Some(id),
                        recovery: resent,
                        writes,
                    });
                }
                // Another writer may have made the same object: look at once and keep the
                // oldest copy. Whatever lands from now on is newer, so the choice holds (and
                // a writer racing this one deletes its copy as soon as it looks).
                let mine = Some(id.clone());
                let mut done = settle(find().await?, mine.clone(), writes)
                    .await?
                    .unwrap_or(Done {
                        // Not listed (yet): the id PCC answered is all there is to go on.
                        id: Some(id),
                        recovery: None,
                        writes,
                    });
                // A write of an earlier, killed run may still land, as a newer copy: look
                // once more when it no longer can, before anything is built on this one.
                if ctx.late_writes_pending() {
                    // The step sends nothing meanwhile: it stands aside, and another step's
                    // requests use the places in flight.
                    ctx.aside(ctx.late_writes_landed()).await;
                    if let Some(again) = settle(find().await?, mine, done.writes).await? {
                        done = merged(done, again);
                    }
                }
                done.recovery = done.recovery.or(resent);
                return Ok(done);
            }
            Err(pcc::Error::NumberExists { id, .. }) => {
                let found = find().await?;
                let same = found.iter().find(|f| f.id == id).is_none_or(|f| f.same);
                let writes = writes
                    + if same {
                        0
                    } else {
                        fix_up(ctx, address, &fix, find, &id).await?
                    };
                return Ok(Done {
                    id: Some(id),
                    recovery: Some(Recovery::NumberExisted { updated: !same }),
                    writes,
                });
            }
            Err(e) if e.is_uncertain() => {
                tracing::warn!(%address, error = %e, "create answer lost; looking it up before any retry");
                lost = Some(e);
            }
            Err(e) => {
                // A refusal after a lost answer may be PCC refusing a second copy of what the
                // first attempt made; where PCC refuses second copies, it may be refusing one
                // that another writer made. Either way, what is found is adopted.
                let refused_twin =
                    matches!(twins, Twins::Refused) && matches!(e, pcc::Error::Api { .. });
                if let Some(l) = &lost {
                    let found = look_for_lost(ctx, &twins, l.may_land_later(), find).await?;
                    if let Some(done) = settle(found, None, writes).await? {
                        return Ok(done);
                    }
                } else if refused_twin {
                    let found = find().await?;
                    if let Some(mut done) = settle(found, None, writes).await? {
                        if let Some(Recovery::Found { updated }) = done.recovery {
                            done.recovery = Some(Recovery::Existed { updated });
                        }
                        return Ok(done);
                    }
                }
                return Err(e.into());
            }
        }
    }
    let later = may_land_later(lost.as_ref());
    let found = look_for_lost(ctx, &twins, later, find).await?;
    match settle(found, None, writes).await? {
        Some(done) => Ok(done),
        None => Err(Error::GaveUp {
            attempts: writes,
            last: lost.expect("the loop only ends early by returning"),
        }),
    }
}

/// The outcome of a checked create's two looks: the second's copy and count of copies left,
/// the first's adoption, the copies both removed.
fn merged(first: Done, again: Done) -> Done {
    let raced = |d: &Done| match d.recovery {
        Some(Recovery::Raced {
            adopted,
            updated,
            removed,
            left,
        }) => (adopted, updated, removed, left),
        _ => (false, false, 0, 0),
    };
    let (adopted, updated, removed, _) = raced(&first);
    let (adopted_again, updated_again, removed_again, left) = raced(&again);
    let recovery = if first.recovery.is_some() || again.recovery.is_some() {
        Some(Recovery::Raced {
            adopted: adopted || adopted_again,
            updated: updated || updated_again,
            removed: removed + removed_again,
            left,
        })
    } else {
        None
    };
    Done {
        id: again.id,
        recovery,
        writes: again.writes,
    }
}

/// Looks for the effect of a create whose answer was lost. Where PCC makes second copies, a
/// copy found at the first look may be another writer's while this run's is still landing:
/// the look that decides comes after the recheck delay whenever the write may land later, and
/// once no write of an earlier run can still land.
async fn look_for_lost<R, D>(
    ctx: &Ctx,
    twins: &Twins<R>,
    later: bool,
    find: &impl Fn() -> D,
) -> Result<Vec<Found>, Error>
where
    D: Future<Output = Result<Vec<Found>, Error>>,
{
    if !matches!(twins, Twins::Removed(_)) || ctx.config.single_writer {
        return look(ctx, later, find, |found| !found.is_empty()).await;
    }
    ctx.settle().await;
    if later && !ctx.config.recheck.is_zero() {
        tokio::time::sleep(ctx.config.recheck).await;
    }
    ctx.late_writes_landed().await;
    find().await
}

/// Decides, from the live copies of the step's natural key (oldest first), which one the
/// step stands for: `None` when there is none. `mine` is the id PCC answered to this step's
/// create, when it answered.
///
/// Where PCC refuses or keeps second copies, one copy is adopted and two fail the step
/// (switchboard never guesses). Where it makes them ([`Twins::Removed`]), the oldest copy is
/// the one: every writer that looks sees the same oldest copy, which stays the oldest for as
/// long as it exists, so every writer adopts it (and builds what depends on it only on it).
/// Newer copies are deleted when they are this step's own (`mine`), or exact copies of what
/// it writes (its own write whose answer was lost, or another writer's with the same spec);
/// copies with other fields are someone else's and are left to them.
#[allow(clippy::too_many_arguments)]
async fn settle_copies<D, X, R, RF>(
    ctx: &Ctx,
    address: &Address,
    find: &impl Fn() -> D,
    fix: &Option<impl Fn(String) -> X>,
    twins: &Twins<R>,
    found: Vec<Found>,
    mine: Option<String>,
    writes: u32,
) -> Result<Option<Done>, Error>
where
    D: Future<Output = Result<Vec<Found>, Error>>,
    X: Future<Output = Result<(), pcc::Error>>,
    R: Fn(String) -> RF,
    RF: Future<Output = Result<(), pcc::Error>>,
{
    let remove = match twins {
        Twins::Removed(remove) if !ctx.config.single_writer => remove,
        _ => {
            return match found.as_slice() {
                [] => Ok(None),
                [one] => {
                    let extra = if one.same {
                        0
                    } else {
                        fix_up(ctx, address, fix, find, &one.id).await?
                    };
                    Ok(Some(Done {
                        id: Some(one.id.clone()),
                        recovery: Some(Recovery::Found { updated: !one.same }),
                        writes: writes + extra,
                    }))
                }
                many => Err(Error::Duplicate {
                    address: address.to_string(),
                    ids: many.iter().map(|f| f.id.clone()).collect(),
                }),
            };
        }
    };
    let Some((oldest, newer)) = found.split_first() else {
        return Ok(None);
    };
    let mut writes = writes;
    let (mut removed, mut left) = (0, 0);
    for copy in newer {
        if Some(&copy.id) != mine.as_ref() && !copy.same {
            tracing::warn!(%address, kept = %oldest.id, other = %copy.id, "another copy with other fields is left to whoever made it");
            left += 1;
            continue;
        }
        match in_place(
            ctx,
            InPlace::Delete,
            || remove(copy.id.clone()),
            find,
            &copy.id,
        )
        .await
        {
            Ok(done) => {
                writes += done.writes;
                removed += 1;
            }
            Err(e) => {
                tracing::warn!(%address, copy = %copy.id, error = %e, "a newer copy could not be deleted");
                left += 1;
            }
        }
    }
    let adopted = Some(&oldest.id) != mine.as_ref();
    let updated = adopted && !oldest.same;
    if updated {
        writes += fix_up(ctx, address, fix, find, &oldest.id).await?;
    }
    let recovery = if removed + left > 0 || (adopted && mine.is_some()) {
        Some(Recovery::Raced {
            adopted,
            updated,
            removed,
            left,
        })
    } else if mine.is_none() {
        Some(Recovery::Found { updated })
    } else {
        None
    };
    Ok(Some(Done {
        id: Some(oldest.id.clone()),
        recovery,
        writes,
    }))
}

/// Looks for the effect of a write whose answer was lost: after the settle delay, and once
/// more after the recheck delay when the first look does not see it (`landed`) and PCC may
/// still be working on the write (`later`, from [`may_land_later`]).
async fn look<D>(
    ctx: &Ctx,
    later: bool,
    find: &impl Fn() -> D,
    landed: impl Fn(&[Found]) -> bool,
) -> Result<Vec<Found>, Error>
where
    D: Future<Output = Result<Vec<Found>, Error>>,
{
    ctx.settle().await;
    let found = find().await?;
    let recheck = ctx.config.recheck;
    // Not skipped once the apply halts: the first look just got an answer, and a write sent
    // again beside a late landing is a duplicate.
    if landed(&found) || recheck.is_zero() || !later {
        return Ok(found);
    }
    tracing::debug!(
        wait_ms = recheck.as_millis() as u64,
        "the lost write is not visible yet; looking once more before sending it again"
    );
    tokio::time::sleep(recheck).await;
    find().await
}

/// Updates an adopted object; answers the writes sent.
async fn fix_up<D, X>(
    ctx: &Ctx,
    address: &Address,
    fix: &Option<impl Fn(String) -> X>,
    find: &impl Fn() -> D,
    id: &str,
) -> Result<u32, Error>
where
    D: Future<Output = Result<Vec<Found>, Error>>,
    X: Future<Output = Result<(), pcc::Error>>,
{
    let Some(fix) = fix else {
        return Err(Error::Differs {
            address: address.to_string(),
            id: id.to_owned(),
        });
    };
    let done = in_place(ctx, InPlace::Update, || fix(id.to_owned()), find, id).await?;
    Ok(done.writes)
}

/// What an in-place write does, and so when a look-up shows it done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum InPlace {
    /// Done when the object has the desired fields.
    Update,
    /// Done when the object is gone. A refusal, or a bare HTTP 404, is looked up too.
    Delete,
}

/// Updates (or deletes) the object `id` in place. `find` lists the live objects with its
/// natural key.
pub(crate) async fn in_place<S, D>(
    ctx: &Ctx,
    what: InPlace,
    send: impl Fn() -> S,
    find: &impl Fn() -> D,
    id: &str,
) -> Result<Done, Error>
where
    S: Future<Output = Result<(), pcc::Error>>,
    D: Future<Output = Result<Vec<Found>, Error>>,
{
    let attempts = ctx.config.attempts.max(1);
    let mut writes = 0;
    let mut lost: Option<pcc::Error> = None;
    let done = |found: &[Found]| match what {
        InPlace::Update => found.iter().any(|f| f.id == id && f.same),
        InPlace::Delete => !found.iter().any(|f| f.id == id),
    };
    let landed =
        |later: bool| async move { Ok::<_, Error>(done(&look(ctx, later, find, done).await?)) };
    let found = |writes| Done {
        id: None,
        recovery: Some(Recovery::Found { updated: false }),
        writes,
    };
    while writes < attempts {
        if let Some(e) = &lost
            && landed(e.may_land_later()).await?
        {
            return Ok(found(writes));
        }
        writes += 1;
        match send().await {
            Ok(()) => {
                return Ok(Done {
                    id: None,
                    recovery: lost.map(|_| Recovery::Resent),
                    writes,
                });
            }
            Err(e) if e.is_uncertain() => {
                tracing::warn!(id, error = %e, ?what, "answer lost; looking before any retry");
                lost = Some(e);
            }
            Err(e @ (pcc::Error::Api { .. } | pcc::Error::Status { status: 404, .. }))
                if what == InPlace::Delete =>
            {
                // "Not found" and "still in use" are both refusals; only a look-up tells them
                // apart without trusting a particular code. A bare HTTP 404 may say "no such
                // object" without PCC's envelope, or name a wrong path: only the look-up (a
                // list, on another path) tells which.
                if landed(may_land_later(lost.as_ref())).await? {
                    let recovery = match lost {
                        Some(_) => Recovery::Found { updated: false },
                        None => Recovery::AlreadyGone,
                    };
                    return Ok(Done {
                        recovery: Some(recovery),
                        ..found(writes)
                    });
                }
                return Err(e.into());
            }
            Err(e) => return Err(e.into()),
        }
    }
    if landed(may_land_later(lost.as_ref())).await? {
        return Ok(found(writes));
    }
    Err(Error::GaveUp {
        attempts: writes,
        last: lost.expect("the loop only ends early by returning"),
    })
}

/// True when the lost answer leaves PCC possibly still working on the write.
fn may_land_later(lost: Option<&pcc::Error>) -> bool {
    lost.is_some_and(pcc::Error::may_land_later)
}

/// The step's object is not live: its delete is already done.
pub(crate) fn already_gone() -> Done {
    Done {
        id: None,
        recovery: Some(Recovery::AlreadyGone),
        writes: 0,
    }
}
