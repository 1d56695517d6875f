//! One request: the token, sending, reading the answer within its cap, pacing through
//! [`crate::pace`], and the retry loop over the pure [`crate::retry`] verdict.

use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{CONTENT_TYPE, HeaderValue, LOCATION, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;

use super::Client;
use super::outcome::{Answered, Outcome, silence};
use crate::error::Error;
use crate::rest::Host;
use crate::retry::{Ended, Retry, retry};
use crate::throttle::Verdict;

pub(super) enum Payload {
    Empty,
    Json(Vec<u8>),
    Bytes(Vec<u8>),
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The `Retry-After` header in seconds (the HTTP-date form is not used by PCC). A value too
/// large for a `Duration` is the longest wait, so that the caller's limit refuses it: the
/// header comes from the network and must not be able to panic the client.
fn retry_after(value: Option<&HeaderValue>) -> Option<Duration> {
    let secs: f64 = value?.to_str().ok()?.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0)
        .then(|| Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX))
}

/// `bytes` with every copy of `token`'s signature replaced by `***`. The token is a bearer
/// credential for an hour (the account's reaches every project): an answer that echoes it (a
/// message quoting the request's `X-STRINGEE-AUTH`, a URL the account holds) would otherwise
/// carry it into an error, a plan or a CI log. Without its signature a token is worthless,
/// and the signature (43 characters of base64url) is what no honest answer holds.
fn hide_token(bytes: Vec<u8>, token: &crate::auth::Secret) -> Vec<u8> {
    let Some((_, signature)) = token.expose().rsplit_once('.') else {
        return bytes;
    };
    let needle = signature.as_bytes();
    if needle.is_empty() || !bytes.windows(needle.len()).any(|w| w == needle) {
        return bytes;
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes.as_slice();
    while let Some(at) = rest.windows(needle.len()).position(|w| w == needle) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(b"***");
        rest = &rest[at + needle.len()..];
    }
    out.extend_from_slice(rest);
    out
}

/// A request in flight, counted from its creation to its drop.
struct Flying<'a> {
    counters: &'a super::Counters,
    since: std::time::Instant,
}

impl<'a> Flying<'a> {
    fn new(counters: &'a super::Counters) -> Flying<'a> {
        let now = counters.in_flight_now.fetch_add(1, Ordering::Relaxed) + 1;
        counters.most_in_flight.fetch_max(now, Ordering::Relaxed);
        Flying {
            counters,
            since: std::time::Instant::now(),
        }
    }
}

impl Drop for Flying<'_> {
    fn drop(&mut self) {
        let nanos = u64::try_from(self.since.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.counters
            .in_flight_nanos
            .fetch_add(nanos, Ordering::Relaxed);
        self.counters.in_flight_now.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Client {
    /// Waits for a place among the requests in flight ([`Client::set_in_flight`]); `None`
    /// when they are not bounded.
    async fn place(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let permits = self
            .inner
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .permits
            .clone()?;
        // The semaphore is never closed.
        permits.acquire_owned().await.ok()
    }

    fn count(&self, method: &Method, retry: bool) {
        let c = &self.inner.counters;
        let counter = match *method {
            Method::GET => &c.get,
            Method::POST => &c.post,
            Method::PUT => &c.put,
            _ => &c.delete,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if retry {
            c.retries.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(super) fn url(&self, host: Host, path: &str, query: &[(&str, &str)]) -> Url {
        let base = match host {
            Host::Pcc => &self.inner.pcc_url,
            Host::CallApi => &self.inner.call_api_url,
        };
        let mut url = base.clone();
        let joined = format!("{}{}", base.path().trim_end_matches('/'), path);
        url.set_path(&joined);
        if !query.is_empty() {
            // Percent-encoding (`%20`, not the form encoding's `+`): every server decodes it
            // the same way, and greeting `desc`s hold spaces and `=`.
            let encoded: Vec<String> = query
                .iter()
                .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
                .collect();
            url.set_query(Some(&encoded.join("&")));
        }
        url
    }

    /// Sends one request and reads its answer: a success's body up to `cap` bytes (past it,
    /// the read stops: [`Outcome::TooLarge`]), any other answer's up to
    /// [`Limits::answer_bytes`] (enough to report it; the rest is dropped unread).
    async fn send_once(
        &self,
        method: &Method,
        url: &Url,
        family: &'static str,
        payload: &Payload,
        cap: usize,
    ) -> Outcome {
        // Held until the answer is learnt (the pacing of a family's first request).
        let _turn = match crate::pace::taken() {
            Some(turn) => turn,
            None => self.inner.pacer.turn(family).await,
        };
        // A place among the requests in flight, after the family's turn (a request waiting
        // on a spent family holds none), before the key's slot (so that the slot is taken
        // when the request can go).
        let _place = self.place().await;
        self.inner.pacer.slot().await;
        let _flying = Flying::new(&self.inner.counters);
        let token = self.inner.tokens.get(&self.inner.credentials, now_unix());
        let mut auth = match HeaderValue::from_str(token.expose()) {
            Ok(v) => v,
            // A token is base64url and dots; this cannot happen, but must not panic.
            Err(_) => HeaderValue::from_static(""),
        };
        auth.set_sensitive(true);
        let mut request = self
            .inner
            .http
            .request(method.clone(), url.clone())
            .header("X-STRINGEE-AUTH", auth);
        request = match payload {
            Payload::Empty => request,
            Payload::Json(bytes) => request
                .header(CONTENT_TYPE, "application/json")
                .body(bytes.clone()),
            Payload::Bytes(bytes) => request
                .header(CONTENT_TYPE, "application/octet-stream")
                .body(bytes.clone()),
        };
        let mut response = match request.send().await {
            Err(e) => return Outcome::Failed(e),
            Ok(response) => response,
        };
        self.inner.counters.answers.fetch_add(1, Ordering::Relaxed);
        let status = response.status();
        let retry_after = retry_after(response.headers().get(RETRY_AFTER));
        let refused = (status == StatusCode::TOO_MANY_REQUESTS).then_some(retry_after);
        if refused.is_some() {
            self.inner.counters.refused.fetch_add(1, Ordering::Relaxed);
        }
        self.inner.pacer.learn(family, response.headers(), refused);
        let location = response.headers().get(LOCATION).map(|v| {
            String::from_utf8_lossy(&hide_token(v.as_bytes().to_vec(), &token)).into_owned()
        });
        let success = status.is_success();
        let cap = if success {
            cap
        } else {
            cap.min(self.inner.limits.answer_bytes)
        };
        // A length announced beyond the cap is not read at all.
        if let Some(n) = response.content_length()
            && success
            && n > cap as u64
        {
            return Outcome::TooLarge {
                status,
                announced: Some(n),
            };
        }
        // Read chunk by chunk, so that an endless body costs `cap` bytes, not all memory.
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > cap {
                        if success {
                            return Outcome::TooLarge {
                                status,
                                announced: None,
                            };
                        }
                        body.extend_from_slice(&chunk[..cap - body.len()]);
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Outcome::Failed(e),
            }
        }
        Outcome::Answer {
            status,
            retry_after,
            location,
            body: hide_token(body, &token),
        }
    }

    /// Sends one call, retrying what is safe (the rule: [`retry`]), and returns the answer
    /// with `r == 0` checked unless `raw_r` is set (then any `r` comes back, for the caller to
    /// read). A success's body is read up to `cap` bytes.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn call(
        &self,
        method: Method,
        (host, family): (Host, &'static str),
        path: &str,
        query: &[(&str, &str)],
        payload: Payload,
        raw_r: bool,
        cap: usize,
    ) -> Result<Answered, Error> {
        let url = self.url(host, path, query);
        let shown = shown(&url);
        let get = method == Method::GET;
        let policy = self.inner.retry;
        let mut attempt = 0;
        let mut timeouts = 0;
        let mut refusals = 0;
        loop {
            attempt += 1;
            self.count(&method, attempt > 1);
            let outcome = self.send_once(&method, &url, family, &payload, cap).await;
            let ended = match &outcome {
                Outcome::Failed(err) => Ended::Silent {
                    silence: silence(err),
                    timed_out: err.is_timeout(),
                },
                Outcome::TooLarge { .. } => Ended::TooLarge,
                Outcome::Answer { status, .. } => Ended::Status(status.as_u16()),
            };
            if let Ended::Silent {
                timed_out: true, ..
            } = ended
            {
                timeouts += 1;
            }
            let rule = retry(&policy, get, ended, attempt, timeouts);
            if rule == Retry::Throttle {
                let Outcome::Answer { retry_after, .. } = outcome else {
                    unreachable!("only an answer is throttled")
                };
                // The server did not process it: any request may be sent again, after the
                // wait the throttle allows.
                refusals += 1;
                match self
                    .inner
                    .throttle
                    .refused(&policy, (attempt, refusals), retry_after)
                {
                    Verdict::Wait(wait) => {
                        let error = format!("{method} {shown}: HTTP 429 (too many requests)");
                        tracing::warn!(%method, path = %shown, attempt, wait_ms = wait.as_millis() as u64, %error, "retrying pcc request");
                        self.inner.throttle.wait(wait).await;
                        continue;
                    }
                    Verdict::GiveUp(why) => {
                        tracing::warn!(%method, path = %shown, attempt, %why, "pcc keeps answering 429; giving up");
                        return Err(Error::Throttled {
                            method: method.to_string(),
                            path: shown,
                            why,
                        });
                    }
                }
            }
            let err = match self.conclude(&method, &shown, attempt, outcome, rule, raw_r, cap) {
                Ok(answered) => return Ok(answered),
                Err(err) => err,
            };
            if rule != Retry::Backoff {
                return Err(err);
            }
            let wait = policy.backoff(attempt);
            tracing::warn!(%method, path = %shown, attempt, wait_ms = wait.as_millis() as u64, error = %err, "retrying pcc request");
            tokio::time::sleep(wait).await;
        }
    }

    /// A call whose answer is small ([`Limits::answer_bytes`]): everything but list pages.
    pub(super) async fn small(
        &self,
        method: Method,
        at: (Host, &'static str),
        path: &str,
        query: &[(&str, &str)],
        payload: Payload,
        raw_r: bool,
    ) -> Result<Answered, Error> {
        let cap = self.inner.limits.answer_bytes;
        self.call(method, at, path, query, payload, raw_r, cap)
            .await
    }

    pub(super) async fn write<B: Serialize>(
        &self,
        method: Method,
        family: &'static str,
        path: &str,
        body: Option<&B>,
        raw_r: bool,
    ) -> Result<Answered, Error> {
        let payload = match body {
            Some(b) => Payload::Json(
                serde_json::to_vec(b).map_err(|e| Error::Config(format!("request body: {e}")))?,
            ),
            None => Payload::Empty,
        };
        self.small(method, (Host::Pcc, family), path, &[], payload, raw_r)
            .await
    }
}

/// RFC 3986 percent-encoding of everything but the unreserved characters.
pub(super) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The path as messages show it: path and query, never the host.
pub(super) fn shown(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}
