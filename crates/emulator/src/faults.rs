//! The gate every `/v1` request passes: request counting, fault injection (latency, 500,
//! 429, answers dropped after commit, writes carried out after their failure was answered),
//! authentication and rate limits, in that order.

use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::account::Caller;
use crate::hosts::Api;
use crate::{App, Faults, Stats, auth, limits};

/// Faults injected since start or the last stats reset.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Injected {
    /// Requests answered HTTP 500 without being handled.
    pub failed: u64,
    /// Requests answered HTTP 429 without being handled.
    pub throttled: u64,
    /// Writes handled and committed whose answer was then lost.
    pub dropped: u64,
    /// Writes answered with a failure at once and carried out `late_ms` later.
    #[serde(default)]
    pub late: u64,
}

/// Fault settings, their dice and the request counts, under one lock so that a request's
/// count and its dice are one step.
#[derive(Debug)]
pub(crate) struct FaultState {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    faults: Faults,
    dice: fastrand::Rng,
    stats: Stats,
    windows: limits::Windows,
}

/// Late writes not yet carried out, each with when it is due: so that a test can wait for
/// the last one to land, and so that a request arriving after a late write is due sees it
/// carried out, however late a loaded machine runs the task that carries it out.
#[derive(Debug)]
pub(crate) struct Pending {
    due: tokio::sync::watch::Sender<Vec<Instant>>,
}

impl Pending {
    pub(crate) fn new() -> Pending {
        Pending {
            due: tokio::sync::watch::Sender::new(Vec::new()),
        }
    }

    fn add(&self, due: Instant) {
        self.due.send_modify(|d| d.push(due));
    }

    fn done(&self, due: Instant) {
        self.due.send_modify(|d| {
            if let Some(i) = d.iter().position(|x| *x == due) {
                d.swap_remove(i);
            }
        });
    }

    /// Returns once no late write is waiting.
    pub(crate) async fn settled(&self) {
        let mut rx = self.due.subscribe();
        // The sender lives as long as `self`, so the wait cannot fail.
        let _ = rx.wait_for(Vec::is_empty).await;
    }

    /// Returns once every late write due by `now` has been carried out.
    async fn landed_by(&self, now: Instant) {
        let mut rx = self.due.subscribe();
        let _ = rx.wait_for(|d| d.iter().all(|due| *due > now)).await;
    }
}

/// What the dice decided for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Fail,
    Throttle(u64),
    Serve(Option<Lost>),
    /// Answer a failure at once, carry the write out this many milliseconds later.
    Late(Lost, u64),
}

/// How a dropped answer is lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lost {
    /// The connection closes before a byte of the answer is sent.
    Closed,
    /// A proxy-style HTTP 502 replaces the answer.
    BadGateway,
    /// A proxy-style HTTP 504: the proxy stopped waiting for the server.
    GatewayTimeout,
}

fn dice(seed: Option<u64>) -> fastrand::Rng {
    match seed {
        Some(seed) => fastrand::Rng::with_seed(seed),
        None => fastrand::Rng::new(),
    }
}

/// `faults` with every share forced into 0..=1 (a NaN counts as 0).
pub(crate) fn clamped(mut faults: Faults) -> Faults {
    for rate in [
        &mut faults.fail_rate,
        &mut faults.throttle_rate,
        &mut faults.drop_rate,
        &mut faults.late_rate,
    ] {
        *rate = if rate.is_nan() {
            0.0
        } else {
            rate.clamp(0.0, 1.0)
        };
    }
    faults
}

impl FaultState {
    pub(crate) fn new(faults: Faults) -> FaultState {
        FaultState {
            inner: Mutex::new(Inner {
                dice: dice(faults.seed),
                faults,
                stats: Stats::default(),
                windows: limits::Windows::default(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn get(&self) -> Faults {
        self.lock().faults.clone()
    }

    /// Replaces the settings; a seed restarts the dice from it, and the rate-limit windows
    /// start counting afresh.
    pub(crate) fn set(&self, faults: Faults) {
        let mut inner = self.lock();
        if faults.seed.is_some() {
            inner.dice = dice(faults.seed);
        }
        inner.faults = faults;
        inner.windows.clear();
    }

    /// Counts a request of key `sid` to `family` in its rate-limit windows at `now_ms`, and a
    /// refusal in the stats.
    fn limit(&self, sid: &str, family: &'static str, now_ms: u64) -> limits::Verdict {
        let mut inner = self.lock();
        let Inner {
            faults,
            stats,
            windows,
            ..
        } = &mut *inner;
        let verdict = windows.count(
            sid,
            family,
            faults.rate_limit,
            faults.rate_limit_per_kind,
            now_ms,
        );
        for scope in verdict.spent() {
            *stats.rate_limited.entry(scope.to_owned()).or_default() += 1;
        }
        verdict
    }

    pub(crate) fn stats(&self) -> Stats {
        self.lock().stats.clone()
    }

    pub(crate) fn reset_stats(&self) {
        self.lock().stats = Stats::default();
    }

    /// Counts the request and rolls its dice.
    fn admit(&self, endpoint: String, write: bool) -> (Verdict, u64) {
        let mut inner = self.lock();
        let Inner {
            faults,
            dice,
            stats,
            ..
        } = &mut *inner;
        *stats.requests.entry(endpoint).or_default() += 1;
        if write {
            stats.writes += 1;
        } else {
            stats.reads += 1;
        }
        // A share of 0 never rolls, so turning one fault on does not shift the others' dice.
        let mut hit = |rate: f64| rate > 0.0 && dice.f64() < rate;
        let verdict = if hit(faults.fail_rate) {
            stats.injected.failed += 1;
            Verdict::Fail
        } else if hit(faults.throttle_rate) {
            stats.injected.throttled += 1;
            Verdict::Throttle(faults.retry_after_secs)
        } else if write && hit(faults.drop_rate) {
            // Counted by `carried_out`, once the token is accepted: a refused write loses
            // no answer and is not carried out later.
            Verdict::Serve(Some(if dice.bool() {
                Lost::Closed
            } else {
                Lost::BadGateway
            }))
        } else if write && hit(faults.late_rate) {
            let lost = if dice.bool() {
                Lost::Closed
            } else {
                Lost::GatewayTimeout
            };
            Verdict::Late(lost, faults.late_ms)
        } else {
            Verdict::Serve(None)
        };
        (verdict, faults.latency_ms)
    }

    /// Counts a dropped or late write whose token was accepted, so that it is carried out.
    fn carried_out(&self, verdict: Verdict) {
        let injected = &mut self.lock().stats.injected;
        match verdict {
            Verdict::Serve(Some(_)) => injected.dropped += 1,
            Verdict::Late(..) => injected.late += 1,
            Verdict::Fail | Verdict::Throttle(_) | Verdict::Serve(None) => {}
        }
    }
}

/// Whose keys sign a request for a route: the project's (PCC, greeting files) or the
/// account's (the account API on the Call API host).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Audience {
    Project,
    Account,
}

/// The audience of a route (`/v1/...` template) of `api`.
pub(crate) fn audience(api: Api, route: &str) -> Audience {
    match api {
        Api::Call if !route.starts_with("/v1/greetingfile") => Audience::Account,
        _ => Audience::Project,
    }
}

/// The `/v1` middleware.
pub(crate) async fn gate(
    State((app, api)): State<(App, Api)>,
    mut req: Request,
    next: Next,
) -> Response {
    // What a server did before a request arrived, the request sees: a late write due by now
    // lands first, even when its task has not run yet.
    app.late.landed_by(Instant::now()).await;
    let write = !matches!(*req.method(), Method::GET | Method::HEAD);
    let path = match req.extensions().get::<MatchedPath>() {
        Some(matched) => matched.as_str().to_owned(),
        None => req.uri().path().to_owned(),
    };
    let audience = audience(api, &path);
    // Account routes share paths with PCC's (`/v1/number`): their counts are told apart.
    let endpoint = match audience {
        Audience::Project => format!("{} {path}", req.method()),
        Audience::Account => format!("{} {path} (Call API)", req.method()),
    };
    let (verdict, latency_ms) = app.faults.admit(endpoint, write);
    if latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(latency_ms)).await;
    }
    let (lost, late) = match verdict {
        Verdict::Fail => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "emulator: injected fault (nothing was done)\n",
            )
                .into_response();
        }
        Verdict::Throttle(secs) => {
            let mut resp = (
                StatusCode::TOO_MANY_REQUESTS,
                "emulator: too many requests\n",
            )
                .into_response();
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            return resp;
        }
        Verdict::Serve(lost) => (lost, None),
        Verdict::Late(lost, ms) => (Some(lost), Some(ms)),
    };
    let header = req
        .headers()
        .get("x-stringee-auth")
        .and_then(|v| v.to_str().ok());
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let now = since_epoch.as_secs();
    let keys = match audience {
        Audience::Project => &app.keys,
        Audience::Account => &app.account_keys,
    };
    let checked = match auth::token(header, req.uri().query()) {
        Some(token) => auth::verify(keys, token, now).map(str::to_owned),
        None => Err("no token"),
    };
    let sid = match checked {
        Ok(sid) => sid,
        Err(why) => {
            tracing::debug!("refused {} {path}: {why}", req.method());
            return crate::api::forbidden();
        }
    };
    let now_ms = u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX);
    let limited = app
        .faults
        .limit(&sid, limits::family(&path, audience), now_ms);
    if limited.refused() {
        let spent: Vec<&str> = limited.spent().collect();
        let mut resp = crate::hosts::error(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "too many requests: the rate-limit window of {} is spent; retry after {} s",
                spent.join(" and "),
                limited.retry_after_secs()
            ),
        );
        limited.write_headers(resp.headers_mut());
        resp.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(limited.retry_after_secs()),
        );
        return resp;
    }
    req.extensions_mut().insert(Caller(sid));
    app.faults.carried_out(verdict);
    let resp = match late {
        None => next.run(req).await,
        Some(ms) => {
            // The body is read now: once the failure is answered the connection may close,
            // and the write must still be carried out whole.
            let (parts, body) = req.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
                return (StatusCode::BAD_REQUEST, "emulator: cannot read the body\n")
                    .into_response();
            };
            let req = Request::from_parts(parts, Body::from(bytes));
            let due = Instant::now() + Duration::from_millis(ms);
            app.late.add(due);
            let app = app.clone();
            tokio::spawn(async move {
                tokio::time::sleep_until(due).await;
                let _ = next.run(req).await;
                app.late.done(due);
            });
            Response::new(Body::empty())
        }
    };
    match lost {
        None => {
            let mut resp = resp;
            limited.write_headers(resp.headers_mut());
            resp
        }
        Some(Lost::BadGateway) => (
            StatusCode::BAD_GATEWAY,
            "emulator: injected fault (the request was carried out, its answer dropped)\n",
        )
            .into_response(),
        Some(Lost::GatewayTimeout) => (
            StatusCode::GATEWAY_TIMEOUT,
            "emulator: injected fault (no answer yet; the request will be carried out later)\n",
        )
            .into_response(),
        Some(Lost::Closed) => {
            // An erroring body makes hyper close the connection before it flushes the head,
            // so the client sees the connection end with no answer at all.
            Response::new(Body::new(Severed))
        }
    }
}

/// A body that fails at once.
#[derive(Debug)]
struct Severed;

impl http_body::Body for Severed {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "emulator: injected fault (answer dropped)",
        ))))
    }
}
