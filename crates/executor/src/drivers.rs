//! The three idempotent write loops every kind goes through. The rule they share: a write
//! whose answer was lost ([`pcc::Error::Uncertain`]) is never sent again before a look-up by
//! natural key says it did not happen.
//!
//! - create: look up; found once → adopt its id (and update it if its fields differ); found
//!   twice → fail (never guess); not found → send again. A refusal that follows a lost answer
//!   is looked up too: the first attempt may be why the server refuses (a number, a key press
//!   or a membership that now exists).
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

use std::future::Future;

use planner::Address;

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

/// Creates an object. `send` answers the new id; `find` lists the live objects with the
/// step's natural key; `fix` updates an adopted object to the desired fields.
pub(crate) async fn create<S, D, X>(
    ctx: &Ctx,
    address: &Address,
    send: impl Fn() -> S,
    find: &impl Fn() -> D,
    fix: impl Fn(String) -> X,
) -> Result<Done, Error>
where
    S: Future<Output = Result<String, pcc::Error>>,
    D: Future<Output = Result<Vec<Found>, Error>>,
    X: Future<Output = Result<(), pcc::Error>>,
{
    let attempts = ctx.config.attempts.max(1);
    let mut writes = 0;
    let mut lost: Option<pcc::Error> = None;
    while writes < attempts {
        if let Some(e) = &lost
            && let Some(done) = adopt(ctx, address, find, &fix, writes, e.may_land_later()).await?
        {
            return Ok(done);
        }
        ctx.permit().await;
        writes += 1;
        match send().await {
            Ok(id) => {
                return Ok(Done {
                    id: Some(id),
                    recovery: lost.map(|_| Recovery::Resent),
                    writes,
                });
            }
            Err(pcc::Error::NumberExists { id, .. }) => {
                let found = find().await?;
                let same = found.iter().find(|f| f.id == id).is_none_or(|f| f.same);
                let writes = writes
                    + if same {
                        0
                    } else {
                        fix_up(ctx, &fix, find, &id).await?
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
                if let Some(l) = &lost
                    && let Some(done) =
                        adopt(ctx, address, find, &fix, writes, l.may_land_later()).await?
                {
                    return Ok(done);
                }
                return Err(e.into());
            }
        }
    }
    match adopt(
        ctx,
        address,
        find,
        &fix,
        writes,
        may_land_later(lost.as_ref()),
    )
    .await?
    {
        Some(done) => Ok(done),
        None => Err(Error::GaveUp {
            attempts: writes,
            last: lost.expect("the loop only ends early by returning"),
        }),
    }
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

/// Looks the object up after a lost answer: `None` when it is not there.
async fn adopt<D, X>(
    ctx: &Ctx,
    address: &Address,
    find: &impl Fn() -> D,
    fix: &impl Fn(String) -> X,
    writes: u32,
    later: bool,
) -> Result<Option<Done>, Error>
where
    D: Future<Output = Result<Vec<Found>, Error>>,
    X: Future<Output = Result<(), pcc::Error>>,
{
    let found = look(ctx, later, find, |found| !found.is_empty()).await?;
    match found.as_slice() {
        [] => Ok(None),
        [one] => {
            let extra = if one.same {
                0
            } else {
                fix_up(ctx, fix, find, &one.id).await?
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
    }
}

/// Updates an adopted object; answers the writes sent.
async fn fix_up<D, X>(
    ctx: &Ctx,
    fix: &impl Fn(String) -> X,
    find: &impl Fn() -> D,
    id: &str,
) -> Result<u32, Error>
where
    D: Future<Output = Result<Vec<Found>, Error>>,
    X: Future<Output = Result<(), pcc::Error>>,
{
    let done = update(ctx, || fix(id.to_owned()), find, id).await?;
    Ok(done.writes)
}

/// Updates the object `id` in place. `find` lists the live objects with its natural key.
pub(crate) async fn update<S, D>(
    ctx: &Ctx,
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
    let done = |found: &[Found]| found.iter().any(|f| f.id == id && f.same);
    let landed =
        |later: bool| async move { Ok::<_, Error>(done(&look(ctx, later, find, done).await?)) };
    while writes < attempts {
        if let Some(e) = &lost
            && landed(e.may_land_later()).await?
        {
            return Ok(Done {
                id: None,
                recovery: Some(Recovery::Found { updated: false }),
                writes,
            });
        }
        ctx.permit().await;
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
                tracing::warn!(id, error = %e, "update answer lost; looking before any retry");
                lost = Some(e);
            }
            Err(e) => return Err(e.into()),
        }
    }
    if landed(may_land_later(lost.as_ref())).await? {
        return Ok(Done {
            id: None,
            recovery: Some(Recovery::Found { updated: false }),
            writes,
        });
    }
    Err(Error::GaveUp {
        attempts: writes,
        last: lost.expect("the loop only ends early by returning"),
    })
}

/// Deletes the object `id`. `find` lists the live objects with its natural key.
pub(crate) async fn delete<S, D>(
    ctx: &Ctx,
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
    let absent = |found: &[Found]| !found.iter().any(|f| f.id == id);
    let gone =
        |later: bool| async move { Ok::<_, Error>(absent(&look(ctx, later, find, absent).await?)) };
    while writes < attempts {
        if let Some(e) = &lost
            && gone(e.may_land_later()).await?
        {
            return Ok(Done {
                id: None,
                recovery: Some(Recovery::Found { updated: false }),
                writes,
            });
        }
        ctx.permit().await;
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
                tracing::warn!(id, error = %e, "delete answer lost; looking before any retry");
                lost = Some(e);
            }
            Err(e @ (pcc::Error::Api { .. } | pcc::Error::Status { status: 404, .. })) => {
                // "Not found" and "still in use" are both refusals; only a look-up tells them
                // apart without trusting a particular code. A bare HTTP 404 may say "no such
                // object" without PCC's envelope, or name a wrong path: only the look-up (a
                // list, on another path) tells which.
                if gone(may_land_later(lost.as_ref())).await? {
                    return Ok(Done {
                        id: None,
                        recovery: Some(if lost.is_some() {
                            Recovery::Found { updated: false }
                        } else {
                            Recovery::AlreadyGone
                        }),
                        writes,
                    });
                }
                return Err(e.into());
            }
            Err(e) => return Err(e.into()),
        }
    }
    if gone(may_land_later(lost.as_ref())).await? {
        return Ok(Done {
            id: None,
            recovery: Some(Recovery::Found { updated: false }),
            writes,
        });
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
