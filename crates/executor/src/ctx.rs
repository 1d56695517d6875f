//! What every step task shares: the client (which paces every request: the request-rate
//! ceiling and PCC's rate limits, and bounds the requests in flight), the id map (live ids
//! plus ids made during the run), look-ups that survive a bad moment, and the count of steps
//! standing aside while they wait ([`Ctx::aside`]).

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use pcc::{Client, Ids};
use tokio::time::Instant;

use crate::Config;

/// Reads are retried by the client already (5xx, 429, lost connections); a look-up that still
/// fails is tried this many times more before the step fails, because a step that cannot look
/// is a step that cannot safely write. A look-up that got no answer at all is tried again only
/// if PCC answered other requests meanwhile: when it answered nothing, it is gone, and waiting
/// out more rounds would only delay the stop of the apply.
const READ_ROUNDS: u32 = 3;

/// A list whose pages do not add up to the count PCC gives changed while it was read: with
/// creates (this apply's own, or another writer's) landing between its pages, which happens
/// to every list longer than a page while a kind is being created, and most of all to the
/// check each create makes. It reads right a moment later, so it is tried more often than a
/// failed read, with waits capped at [`MAX_BACKOFF`] (about 6 s in all).
const INCONSISTENT_ROUNDS: u32 = 8;

/// The longest wait between two rounds of a look-up.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

pub(crate) struct Ctx {
    pub client: Client,
    pub config: Config,
    ids: Mutex<Ids>,
    /// Raised once a step found PCC unreachable: look-ups stop trying again.
    halted: AtomicBool,
    /// From this instant on, no write of an earlier run can still land: see
    /// [`Ctx::late_writes_landed`].
    horizon: Instant,
    /// Steps standing aside ([`Ctx::aside`]), and the signal that one more does.
    aside: AtomicUsize,
    stepped_aside: tokio::sync::Notify,
}

impl Ctx {
    pub fn new(client: Client, ids: Ids, config: Config) -> Ctx {
        if config.max_rps.is_some() {
            client.set_max_rps(config.max_rps);
        }
        let started = config
            .started
            .map_or_else(Instant::now, Instant::from_std)
            .min(Instant::now());
        let horizon = started
            .checked_add(config.settle.saturating_add(config.recheck))
            .unwrap_or(started);
        Ctx {
            client,
            config,
            ids: Mutex::new(ids),
            halted: AtomicBool::new(false),
            horizon,
            aside: AtomicUsize::new(0),
            stepped_aside: tokio::sync::Notify::new(),
        }
    }

    /// Runs `wait` with the step standing aside: it does not count among the steps at work
    /// (`Config::parallelism`), so the apply starts another step meanwhile, whose requests
    /// keep the places in flight busy. For waits that send no request of the step's own: a
    /// look-up answered by a list read shared with other steps (the read's requests take their
    /// places like any other), and the wait for an earlier run's late writes.
    pub async fn aside<T>(&self, wait: impl Future<Output = T>) -> T {
        struct Back<'a>(&'a AtomicUsize);
        impl Drop for Back<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::Relaxed);
            }
        }
        self.aside.fetch_add(1, Ordering::Relaxed);
        let _back = Back(&self.aside);
        self.stepped_aside.notify_one();
        wait.await
    }

    /// How many steps stand aside now.
    pub fn standing_aside(&self) -> usize {
        self.aside.load(Ordering::Relaxed)
    }

    /// Returns when a step has stood aside since the last call (at once if one has).
    pub async fn a_step_stood_aside(&self) {
        self.stepped_aside.notified().await;
    }

    /// PCC is gone (a step could not reach it after the client's retries): what is still
    /// running stops trying again.
    pub fn halt(&self) {
        self.halted.store(true, Ordering::Relaxed);
    }

    /// True once [`Ctx::halt`] was called.
    pub fn halted(&self) -> bool {
        self.halted.load(Ordering::Relaxed)
    }

    /// Runs `f` on the id map. Never held across an await.
    pub fn ids<R>(&self, f: impl FnOnce(&mut Ids) -> R) -> R {
        let mut ids = self
            .ids
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut ids)
    }

    /// A look-up: retried when PCC could not answer (the client's own
    /// retries exhausted) or answered a list whose pages do not add up, but not when it
    /// answered with a refusal, nor once the apply knows PCC is gone.
    pub async fn read<T, F>(&self, f: impl Fn() -> F) -> Result<T, pcc::Error>
    where
        F: Future<Output = Result<T, pcc::Error>>,
    {
        let mut round = 0;
        loop {
            round += 1;
            let heard = self.client.answers();
            let result = f().await;
            let again = !self.halted()
                && match &result {
                    Err(pcc::Error::Status { .. }) => round < READ_ROUNDS,
                    Err(pcc::Error::Transport { .. }) => {
                        round < READ_ROUNDS && self.client.answers() > heard
                    }
                    // Pages that do not add up (or an answer of the wrong shape, which a
                    // few more reads cost nothing to confirm).
                    Err(pcc::Error::Decode { .. }) => round < INCONSISTENT_ROUNDS,
                    _ => false,
                };
            if !again {
                return result;
            }
            if let Err(e) = &result {
                tracing::warn!(error = %e, "look-up failed; trying again");
            }
            tokio::time::sleep(Duration::from_millis(100 << round.min(10)).min(MAX_BACKOFF)).await;
        }
    }

    /// Returns once no write of an earlier run can still land: `settle + recheck` after the
    /// command started ([`Config::started`]). A run killed before that start may have left
    /// writes in flight, which PCC carries out, if at all, within that window of losing their
    /// client (docs/pcc-api-assumptions.md, "Rate limits"); a look for copies made before
    /// then could miss one still landing, so a create made before then looks again after it.
    /// At once for a command that started longer ago.
    pub async fn late_writes_landed(&self) {
        tokio::time::sleep_until(self.horizon).await;
    }

    /// True while a write of an earlier run may still land ([`Ctx::late_writes_landed`]).
    pub fn late_writes_pending(&self) -> bool {
        Instant::now() < self.horizon
    }

    /// Waits before looking for the effect of a write whose answer was lost, so that a write
    /// still in flight on the server lands before the look-up.
    pub async fn settle(&self) {
        if !self.config.settle.is_zero() {
            tokio::time::sleep(self.config.settle).await;
        }
    }
}
