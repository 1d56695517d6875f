//! Look-ups that share one list read: every look-up by natural key of a kind PCC lists whole
//! (groups, queues, IVR trees) or under a parent (a queue's routings, a tree's nodes) reads
//! the whole list, so a wave of creates, each looked up after its answer, would read the same
//! list once each. Instead the look-ups of one list are gathered into **flights**:
//!
//! - at most one flight of a list is **open** (gathering look-ups) and one **sent** at a time;
//!   a look-up joins the open flight, or opens one;
//! - an open flight is sent once the flight before it has been answered and its family's turn
//!   has come ([`crate::pace`]); from then on it is closed, and a look-up that comes later
//!   opens the next flight;
//! - so every look-up is answered by a list read whose first request was sent after the
//!   look-up was asked for (after the answer to the create it checks): no look-up ever sees a
//!   list older than its own write, which is what the two-writers check needs
//!   (docs/apply.md, "Two writers").
//!
//! A flight that fails fails each of its look-ups with its error (each caller decides, as for
//! a read of its own, whether to look again).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use super::Client;
use super::paging::DEFAULT_CONCURRENCY;
use crate::error::Error;
use crate::rest::Resource;

/// A list: its item type, and its parent's id for a per-parent list.
type ListKey = (TypeId, Option<String>);

/// The flights of every list.
#[derive(Debug, Default)]
pub(crate) struct Flights {
    lists: Mutex<HashMap<ListKey, Arc<dyn Any + Send + Sync>>>,
}

/// One list's flights.
struct List<R> {
    /// The open flight, if any: look-ups join it.
    open: Mutex<Option<Flight<R>>>,
    /// Held while a flight is being sent and answered: the next waits for it.
    sending: tokio::sync::Mutex<()>,
}

/// What a flight's look-ups wait for: its list, or its error (`None` until it lands).
type Landed<R> = Option<Result<Arc<Vec<R>>, Error>>;

struct Flight<R> {
    landed: watch::Receiver<Landed<R>>,
}

impl<R> Clone for Flight<R> {
    fn clone(&self) -> Self {
        Flight {
            landed: self.landed.clone(),
        }
    }
}

impl Client {
    /// Every item of the list of `R` (under `parent`), read by a list read sent after this
    /// call, shared with the other look-ups of the list waiting at the same time; `None`
    /// only when the runtime is shutting down (the caller reads for itself).
    pub(super) async fn shared_list<R>(
        &self,
        filter: Option<(&'static str, String)>,
    ) -> Option<Result<Arc<Vec<R>>, Error>>
    where
        R: Resource + Clone + Sync,
    {
        let list = self.list::<R>(filter.as_ref().map(|(_, id)| id.clone()));
        let (flight, lead) = {
            let mut open = lock(&list.open);
            match &*open {
                Some(flight) => (flight.clone(), None),
                None => {
                    let (tx, rx) = watch::channel(None);
                    let flight = Flight { landed: rx };
                    *open = Some(flight.clone());
                    (flight, Some(tx))
                }
            }
        };
        if let Some(tx) = lead {
            // The flight is sent by a task of its own, so that no caller going away can
            // leave the others waiting.
            let client = self.clone();
            let list = list.clone();
            tokio::spawn(async move {
                let _sending = list.sending.lock().await;
                let turn = client.inner.pacer.turn(R::FAMILY).await;
                // Closed: a look-up from now on waits for the next flight.
                lock(&list.open).take();
                let read = crate::pace::with_turn(
                    turn,
                    client.list_all_limited::<R>(filter, &client.reading(DEFAULT_CONCURRENCY)),
                )
                .await;
                let _ = tx.send(Some(read.map(Arc::new)));
            });
        }
        let mut landed = flight.landed;
        loop {
            if let Some(result) = landed.borrow_and_update().clone() {
                return Some(result);
            }
            if landed.changed().await.is_err() {
                // The sending task is gone (the runtime is shutting down).
                return None;
            }
        }
    }

    fn list<R: Resource + Sync + Send>(&self, parent: Option<String>) -> Arc<List<R>> {
        let mut lists = lock(&self.inner.flights.lists);
        let entry = lists
            .entry((TypeId::of::<R>(), parent))
            .or_insert_with(|| {
                Arc::new(List::<R> {
                    open: Mutex::new(None),
                    sending: tokio::sync::Mutex::new(()),
                })
            })
            .clone();
        entry
            .downcast::<List<R>>()
            .expect("a list's flights are keyed by its item type")
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
