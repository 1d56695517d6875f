//! Pacing: the client spends PCC's rate-limit budgets evenly instead of bouncing off them.
//!
//! Every request passes two scopes before it is sent, the way Stringee counts: its resource
//! family's (the [`Resource::FAMILY`](crate::Resource::FAMILY) of its descriptor: `agents`,
//! `groups`, ...) and the API key's (every request), and under both the `--max-rps` ceiling.
//! Reads and writes share them. Each scope is a token bucket of one token (requests spaced
//! `interval` apart, no bursts after a quiet spell, which fixed windows would punish) whose
//! interval is learnt:
//!
//! - **From headers, when PCC sends them.** `RateLimit-Policy: "key";q=300;w=10` (the IETF
//!   draft), or `X-RateLimit-Limit` with `X-RateLimit-Scope` (the window is then taken as the
//!   longest `X-RateLimit-Reset` seen): the interval is `w ÷ q`, so a window of `w` seconds
//!   holds at most `q` of our requests. `RateLimit: "key";r=0;t=3` (or `X-RateLimit-Remaining:
//!   0`) blocks the scope until its window ends: the end of the clock-aligned window of `w`
//!   seconds when `t` agrees with it, else `t` seconds from now.
//! - **From 429s, when it does not.** A 429 blocks its scope (`X-RateLimit-Scope`, else the
//!   family) for its `Retry-After`. With a `Retry-After` of a second or more it also measures
//!   the window: the budget is the requests the scope had answered since it was last unblocked,
//!   the window that time plus the `Retry-After`, and the rate becomes budget ÷ window (a
//!   first estimate taken mid-window is high; the next 429 corrects it). Each 10 s without a
//!   429 the rate grows by a tenth, to find a limit that was raised. A 429 with no wait (a
//!   server's hiccup, not a window) teaches nothing. A scope that has never been refused and
//!   never told a limit is not paced.
//!
//! Until a family's first answer is heard, its limit is unknown: one request of it is sent
//! at a time ([`Turn`]), so that a burst of its first requests does not spend a window it
//! knows nothing about (the answer's headers then pace the rest; a server that sends none
//! leaves the family unpaced).
//!
//! A family's turn is taken first, then the key's and the ceiling's slots: a request waiting on
//! a spent family holds no key slot that another family's request could use. A read takes its
//! turn before the read's bound on requests in flight ([`Pacer::turn`], then a permit, then
//! [`with_turn`]), so that pages waiting on one family hold no permit that another family's
//! page could use, and the families' budgets are spent side by side. The client's bound on
//! requests in flight (`Client::set_in_flight`, which an apply sets) is taken the same way:
//! after the family's turn, before the key's slot. The executor asks
//! [`Pacer::family`] how long a family is booked ahead, to start ready steps of other families
//! first (`executor`, "Order").

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// How long a learnt rate must go without a 429 before it grows by [`INCREASE`].
const QUIET: Duration = Duration::from_secs(10);
/// The share a learnt rate grows by after each [`QUIET`] stretch.
const INCREASE: f64 = 0.1;
/// The lowest learnt rate: one request every 10 s.
const MIN_RATE: f64 = 0.1;
/// The longest a header or a `Retry-After` blocks a scope: the longest single wait on a 429
/// ([`RetryPolicy::max_retry_after`](crate::RetryPolicy::max_retry_after)'s default). A
/// hostile value must not park the client for ever; a real window that long ends the command
/// through the 429 budget instead.
const MAX_BLOCK: Duration = Duration::from_secs(60);
/// The widest spacing a scope's rate sets: one request every 10 s. A PCC announcing less
/// slows a command to that, never stops it.
const MAX_SPACING: Duration = Duration::from_secs(10);

/// A scope requests are counted in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Scope {
    Key,
    Family(&'static str),
}

/// A limit a server announced: `requests` per `window`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Policy {
    requests: u64,
    window: Duration,
}

/// One scope's bucket.
#[derive(Debug)]
struct Bucket {
    /// What the server announced, if it did.
    policy: Option<Policy>,
    /// Requests a second learnt from 429s, when no policy was announced.
    learnt: Option<f64>,
    /// When the learnt rate last changed (a 429, or an increase).
    changed: Instant,
    /// When the scope was last unblocked (or first used): the start of the window a 429
    /// without headers measures.
    since: Instant,
    /// Answers other than 429 since then.
    answered: u64,
    /// The earliest the next request may be sent.
    next: Instant,
    /// The scope's window is spent until then.
    blocked_until: Instant,
    /// The longest `X-RateLimit-Reset` seen: the window, when only those headers come.
    longest_reset: Duration,
    /// An answer has been heard: the scope's limit is told (or there is none to tell).
    heard: bool,
    /// Held by the one request of a family sent before any answer is heard.
    first: Arc<Semaphore>,
}

impl Bucket {
    fn new(now: Instant) -> Bucket {
        Bucket {
            policy: None,
            learnt: None,
            changed: now,
            since: now,
            answered: 0,
            next: now,
            blocked_until: now,
            longest_reset: Duration::ZERO,
            heard: false,
            first: Arc::new(Semaphore::new(1)),
        }
    }

    /// The spacing between two requests of the scope.
    fn interval(&self) -> Duration {
        let interval = match (self.policy, self.learnt) {
            (Some(p), _) => p.window / u32::try_from(p.requests.max(1)).unwrap_or(u32::MAX),
            (None, Some(rate)) => Duration::from_secs_f64(1.0 / rate.max(MIN_RATE)),
            (None, None) => Duration::ZERO,
        };
        interval.min(MAX_SPACING)
    }

    /// When a request could go, at the earliest.
    fn free_at(&self, now: Instant) -> Instant {
        now.max(self.next).max(self.blocked_until)
    }

    /// Takes the slot at `at`.
    fn take(&mut self, at: Instant) {
        self.next = at + self.interval();
    }

    fn block(&mut self, until: Instant) {
        self.blocked_until = self.blocked_until.max(until);
    }

    /// A 429 that asks to wait `retry_after`: the scope is blocked that long, and, with no
    /// announced policy, the window it ends is measured (the module's doc).
    fn refused(&mut self, now: Instant, retry_after: Option<Duration>) {
        let Some(wait) = retry_after.map(|w| w.min(MAX_BLOCK)) else {
            return;
        };
        let until = now + wait;
        if self.policy.is_none() && wait >= Duration::from_secs(1) && self.answered > 0 {
            let window = now.saturating_duration_since(self.since) + wait;
            let rate = self.answered as f64 / window.as_secs_f64();
            self.learnt = Some(rate.max(MIN_RATE));
            self.changed = now;
        }
        if until > self.blocked_until {
            self.since = until;
            self.answered = 0;
        }
        self.block(until);
    }

    /// An answer other than 429: counted, and a learnt rate grows after each quiet stretch.
    fn answered(&mut self, now: Instant) {
        if now >= self.since {
            self.answered += 1;
        }
        if let Some(rate) = self.learnt.as_mut()
            && now.saturating_duration_since(self.changed) >= QUIET
        {
            *rate *= 1.0 + INCREASE;
            self.changed = now;
        }
    }
}

/// How busy a family is, for the scheduler.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pace {
    /// How long until a new request of the family could be sent (0: at once).
    pub wait: Duration,
    /// The spacing of its requests (0: not paced).
    pub interval: Duration,
}

#[derive(Debug)]
struct State {
    scopes: HashMap<Scope, Bucket>,
    /// `--max-rps`: the spacing of every request, whatever its scope.
    ceiling: Option<Duration>,
    ceiling_next: Instant,
}

impl State {
    fn bucket(&mut self, scope: Scope, now: Instant) -> &mut Bucket {
        self.scopes.entry(scope).or_insert_with(|| Bucket::new(now))
    }
}

/// The pacing of one client and its clones.
#[derive(Debug)]
pub(crate) struct Pacer {
    state: Mutex<State>,
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer {
            state: Mutex::new(State {
                scopes: HashMap::new(),
                ceiling: None,
                ceiling_next: Instant::now(),
            }),
        }
    }
}

/// The longest spacing `--max-rps` imposes: one request a day.
const MAX_INTERVAL: Duration = Duration::from_secs(86_400);

impl Pacer {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sets the ceiling on requests a second (none when `None`, or not finite and above 0).
    pub(crate) fn set_max_rps(&self, rps: Option<f64>) {
        self.lock().ceiling = rps.filter(|r| r.is_finite() && *r > 0.0).map(|rps| {
            Duration::try_from_secs_f64(1.0 / rps).map_or(MAX_INTERVAL, |d| d.min(MAX_INTERVAL))
        });
    }

    /// Waits for a turn to send a request of `family`: its family's turn ([`Pacer::turn`]),
    /// then the key's and the ceiling's slots ([`Pacer::slot`]). Hold the [`Turn`] until the
    /// answer is learnt.
    #[cfg(test)]
    pub(crate) async fn acquire(&self, family: &'static str) -> Turn {
        let turn = self.turn(family).await;
        self.slot().await;
        turn
    }

    /// Waits for `family`'s turn: while no answer of the family has been heard, for the one
    /// request in flight to be answered; then for the family's slot.
    pub(crate) async fn turn(&self, family: &'static str) -> Turn {
        let heard = |state: &State| {
            state
                .scopes
                .get(&Scope::Family(family))
                .is_some_and(|b| b.heard)
        };
        let first = loop {
            let gate = {
                let now = Instant::now();
                let mut state = self.lock();
                let bucket = state.bucket(Scope::Family(family), now);
                (!bucket.heard).then(|| bucket.first.clone())
            };
            let Some(gate) = gate else { break None };
            // The semaphore is never closed.
            let Ok(permit) = gate.acquire_owned().await else {
                continue;
            };
            if !heard(&self.lock()) {
                break Some(permit);
            }
        };
        // The family's slot; again if a 429 blocked the family meanwhile.
        loop {
            let at = {
                let now = Instant::now();
                let mut state = self.lock();
                let bucket = state.bucket(Scope::Family(family), now);
                let at = bucket.free_at(now);
                bucket.take(at);
                at
            };
            sleep_until(at).await;
            let now = Instant::now();
            if self
                .lock()
                .scopes
                .get(&Scope::Family(family))
                .is_none_or(|b| b.blocked_until <= now)
            {
                break;
            }
        }
        Turn { _first: first }
    }

    /// Waits for the key's and the ceiling's slots, after [`Pacer::turn`].
    pub(crate) async fn slot(&self) {
        let at = {
            let now = Instant::now();
            let mut state = self.lock();
            let mut at = state.bucket(Scope::Key, now).free_at(now);
            if state.ceiling.is_some() {
                at = at.max(state.ceiling_next);
            }
            state.bucket(Scope::Key, now).take(at);
            if let Some(interval) = state.ceiling {
                state.ceiling_next = at + interval;
            }
            at
        };
        sleep_until(at).await;
    }

    /// How busy `family` is.
    pub(crate) fn family(&self, family: &'static str) -> Pace {
        let now = Instant::now();
        let state = self.lock();
        state
            .scopes
            .get(&Scope::Family(family))
            .map_or_else(Pace::default, |b| Pace {
                wait: b.free_at(now) - now,
                interval: b.interval(),
            })
    }

    /// Learns from an answer's headers to a request of `family`; `refused` for a 429, with
    /// its `Retry-After`.
    pub(crate) fn learn(
        &self,
        family: &'static str,
        headers: &HeaderMap,
        refused: Option<Option<Duration>>,
    ) {
        let now = Instant::now();
        let told = Told::read(headers);
        let scope_of = |name: &str| {
            if name == "key" {
                Scope::Key
            } else {
                Scope::Family(family)
            }
        };
        let mut state = self.lock();
        state.bucket(Scope::Family(family), now).heard = true;
        for (name, policy) in &told.policies {
            state.bucket(scope_of(name), now).policy = Some(*policy);
        }
        if let Some((name, limit, reset)) = &told.x_limit {
            let bucket = state.bucket(scope_of(name), now);
            bucket.longest_reset = bucket.longest_reset.max(*reset);
            if !told.policies.iter().any(|(n, _)| n == name) && *limit > 0 {
                bucket.policy = Some(Policy {
                    requests: *limit,
                    window: bucket.longest_reset.max(Duration::from_secs(1)),
                });
            }
        }
        for (name, reset) in &told.spent {
            let bucket = state.bucket(scope_of(name), now);
            let until = window_end(bucket.policy, *reset);
            bucket.block(now + until);
        }
        match refused {
            None => {
                for scope in [Scope::Key, Scope::Family(family)] {
                    state.bucket(scope, now).answered(now);
                }
            }
            Some(retry_after) => {
                let scope = told
                    .x_scope
                    .as_deref()
                    .map_or(Scope::Family(family), scope_of);
                state.bucket(scope, now).refused(now, retry_after);
            }
        }
    }
}

/// A family's turn, taken: held until the request's answer is learnt. The first request of a
/// family whose limit is unknown holds the family's only pass, and the next waits for it.
#[derive(Debug)]
pub(crate) struct Turn {
    _first: Option<OwnedSemaphorePermit>,
}

tokio::task_local! {
    /// A turn a read took before its permit, for the request it sends to use.
    static TAKEN: RefCell<Option<Turn>>;
}

/// Runs `fut` with `turn` taken: its first request uses it instead of taking its own
/// ([`taken`]).
pub(crate) async fn with_turn<F: Future>(turn: Turn, fut: F) -> F::Output {
    TAKEN.scope(RefCell::new(Some(turn)), fut).await
}

/// The turn [`with_turn`] took for this request, if any (once: a retry takes its own).
pub(crate) fn taken() -> Option<Turn> {
    TAKEN.try_with(|t| t.borrow_mut().take()).ok().flatten()
}

/// Waits until `at`; not at all when it has come (tokio would wait for its next tick, up to a
/// millisecond, on every request).
async fn sleep_until(at: Instant) {
    if at > Instant::now() {
        tokio::time::sleep_until(at).await;
    }
}

/// How long until the window a spent scope is in ends, told `reset` (whole seconds, rounded
/// up): the end of the clock-aligned window when the policy's window is known and agrees with
/// `reset`, else `reset` itself.
fn window_end(policy: Option<Policy>, reset: Duration) -> Duration {
    let reset = reset.min(MAX_BLOCK);
    let Some(policy) = policy else { return reset };
    let window_ms = policy.window.as_millis();
    let Ok(now) = SystemTime::now().duration_since(UNIX_EPOCH) else {
        return reset;
    };
    if window_ms == 0 {
        return reset;
    }
    let now_ms = now.as_millis();
    let left =
        Duration::from_millis(u64::try_from(window_ms - now_ms % window_ms).unwrap_or(u64::MAX));
    // `reset` is rounded up to whole seconds: the aligned end lies within the second before.
    if left <= reset && left + Duration::from_secs(1) > reset {
        left
    } else {
        reset
    }
}

/// What one answer's rate-limit headers say.
#[derive(Debug, Default, PartialEq)]
struct Told {
    /// `RateLimit-Policy`: each scope's limit.
    policies: Vec<(String, Policy)>,
    /// `X-RateLimit-Limit`, `-Scope` (`key` when absent) and `-Reset`.
    x_limit: Option<(String, u64, Duration)>,
    /// `X-RateLimit-Scope`.
    x_scope: Option<String>,
    /// Scopes with nothing remaining, and the seconds until their window ends.
    spent: Vec<(String, Duration)>,
}

impl Told {
    fn read(headers: &HeaderMap) -> Told {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let number = |name: &str| text(name).and_then(|v| v.trim().parse::<u64>().ok());
        let mut told = Told {
            x_scope: text("x-ratelimit-scope").map(|s| s.trim().to_owned()),
            ..Told::default()
        };
        if let Some(policy) = text("ratelimit-policy") {
            for (name, params) in items(policy) {
                if let (Some(q), Some(w)) = (param(&params, "q"), param(&params, "w"))
                    && w > 0
                {
                    told.policies.push((
                        name,
                        Policy {
                            requests: q,
                            window: Duration::from_secs(w.min(86_400)),
                        },
                    ));
                }
            }
        }
        let mut spent_named = false;
        if let Some(now) = text("ratelimit") {
            for (name, params) in items(now) {
                if param(&params, "r") == Some(0)
                    && let Some(t) = param(&params, "t")
                {
                    told.spent
                        .push((name, Duration::from_secs(t.min(MAX_BLOCK.as_secs()))));
                }
                spent_named = true;
            }
        }
        let scope = told.x_scope.clone().unwrap_or_else(|| "key".to_owned());
        let reset = number("x-ratelimit-reset").map(|t| Duration::from_secs(t.min(86_400)));
        if let (Some(limit), Some(reset)) = (number("x-ratelimit-limit"), reset) {
            told.x_limit = Some((scope.clone(), limit, reset));
        }
        if !spent_named
            && number("x-ratelimit-remaining") == Some(0)
            && let Some(reset) = reset
        {
            told.spent.push((scope, reset));
        }
        told
    }
}

/// The items of a structured-field list: `"key";q=300;w=10, "agents";q=30;w=10`.
fn items(list: &str) -> Vec<(String, Vec<(String, String)>)> {
    list.split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let name = parts.next()?.trim().trim_matches('"').to_owned();
            let params = parts
                .filter_map(|p| {
                    let (k, v) = p.split_once('=')?;
                    Some((k.trim().to_owned(), v.trim().to_owned()))
                })
                .collect();
            (!name.is_empty()).then_some((name, params))
        })
        .collect()
}

fn param(params: &[(String, String)], key: &str) -> Option<u64> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn the_ietf_headers_name_every_scope_and_what_is_spent() {
        let told = Told::read(&headers(&[
            (
                "ratelimit-policy",
                r#""key";q=300;w=10, "agents";q=30;w=10"#,
            ),
            ("ratelimit", r#""key";r=299;t=7, "agents";r=0;t=7"#),
            ("x-ratelimit-scope", "agents"),
        ]));
        assert_eq!(
            told.policies,
            [
                (
                    "key".to_owned(),
                    Policy {
                        requests: 300,
                        window: Duration::from_secs(10)
                    }
                ),
                (
                    "agents".to_owned(),
                    Policy {
                        requests: 30,
                        window: Duration::from_secs(10)
                    }
                )
            ]
        );
        assert_eq!(told.spent, [("agents".to_owned(), Duration::from_secs(7))]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_announced_policy_spaces_requests_evenly() {
        let pacer = Pacer::default();
        pacer.learn(
            "agents",
            &headers(&[(
                "ratelimit-policy",
                r#""key";q=300;w=10, "agents";q=30;w=10"#,
            )]),
            None,
        );
        let start = Instant::now();
        for _ in 0..4 {
            pacer.acquire("agents").await;
        }
        // 30 per 10 s: 333 ms apart, the first at once.
        // (tokio's timer counts whole milliseconds.)
        let took = Instant::now() - start;
        assert!(
            (Duration::from_millis(999)..=Duration::from_millis(1001)).contains(&took),
            "{took:?}"
        );
        // Another family is not held back by the agents' pace.
        let t = Instant::now();
        pacer.acquire("groups").await;
        assert!(
            Instant::now() - t <= Duration::from_millis(34),
            "{:?}",
            Instant::now() - t
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_without_headers_measures_the_window_and_blocks_for_retry_after() {
        let pacer = Pacer::default();
        let start = Instant::now();
        let none = HeaderMap::new();
        // Unpaced at first: 20 requests at once, answered.
        for _ in 0..20 {
            pacer.acquire("queues").await;
            pacer.learn("queues", &none, None);
        }
        assert_eq!(Instant::now(), start);
        // A 429 one second in, asking to wait 1 s: 20 requests in a window of 2 s.
        tokio::time::advance(Duration::from_secs(1)).await;
        pacer.learn("queues", &none, Some(Some(Duration::from_secs(1))));
        let pace = pacer.family("queues");
        assert_eq!(pace.interval, Duration::from_millis(100));
        assert_eq!(pace.wait, Duration::from_secs(1));
        let t = Instant::now();
        pacer.acquire("queues").await;
        pacer.acquire("queues").await;
        assert_eq!(Instant::now() - t, Duration::from_millis(1_100));
        // Other families are not slowed.
        assert_eq!(pacer.family("agents"), Pace::default());
        // A 429 asking for no wait is a hiccup, not a window: nothing learnt.
        pacer.learn("agents", &none, Some(Some(Duration::ZERO)));
        assert_eq!(pacer.family("agents"), Pace::default());
    }

    /// Until a family's first answer is heard, its second request waits: a burst of first
    /// requests would spend a window whose size nobody knows yet.
    #[tokio::test(start_paused = true)]
    async fn one_request_of_a_family_goes_until_its_first_answer() {
        let pacer = Arc::new(Pacer::default());
        let first = pacer.acquire("agents").await;
        let second = tokio::spawn({
            let pacer = pacer.clone();
            async move { drop(pacer.acquire("agents").await) }
        });
        // However long the first takes, the second is not sent...
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert!(!second.is_finished());
        // ...and another family is not held back.
        drop(pacer.acquire("groups").await);
        // The first is answered, telling the limit: the second goes, paced by it.
        pacer.learn(
            "agents",
            &headers(&[("ratelimit-policy", r#""agents";q=30;w=10"#)]),
            None,
        );
        drop(first);
        second.await.unwrap();
        assert_eq!(
            pacer.family("agents").interval,
            Duration::from_secs(10) / 30
        );
        // A first request that got no answer at all (the connection failed) passes the turn on.
        let lost = pacer.acquire("queues").await;
        let next = tokio::spawn({
            let pacer = pacer.clone();
            async move { drop(pacer.acquire("queues").await) }
        });
        tokio::task::yield_now().await;
        assert!(!next.is_finished());
        drop(lost);
        next.await.unwrap();
        // A server that tells no limit: the family is unpaced once answered.
        pacer.learn("numbers", &HeaderMap::new(), None);
        let t = Instant::now();
        for _ in 0..5 {
            let _both_at_once = (
                pacer.acquire("numbers").await,
                pacer.acquire("numbers").await,
            );
        }
        assert_eq!(Instant::now(), t);
    }

    #[tokio::test(start_paused = true)]
    async fn the_ceiling_spaces_every_request() {
        let pacer = Pacer::default();
        pacer.set_max_rps(Some(10.0));
        let start = Instant::now();
        for family in ["agents", "groups", "queues", "agents"] {
            pacer.acquire(family).await;
        }
        assert_eq!(Instant::now() - start, Duration::from_millis(300));
    }

    #[test]
    fn hostile_headers_are_bounded() {
        let told = Told::read(&headers(&[
            (
                "ratelimit-policy",
                r#""key";q=1;w=99999999999999999, "x";q=;w=0"#,
            ),
            ("ratelimit", r#""key";r=0;t=99999999999999999"#),
        ]));
        assert_eq!(told.policies[0].1.window, Duration::from_secs(86_400));
        assert_eq!(told.spent[0].1, MAX_BLOCK);
        assert_eq!(told.policies.len(), 1);
        // One request a day announced, a window spent for ever: the client still sends one
        // request every 10 s, after a block of at most 60 s.
        let pacer = Pacer::default();
        pacer.learn(
            "agents",
            &headers(&[
                ("ratelimit-policy", r#""agents";q=1;w=86400"#),
                ("ratelimit", r#""agents";r=0;t=99999999999"#),
            ]),
            None,
        );
        let pace = pacer.family("agents");
        assert_eq!(pace.interval, MAX_SPACING);
        assert!(pace.wait <= MAX_BLOCK, "{pace:?}");
    }
}
