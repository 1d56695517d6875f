//! The HTTP client: tokens, timeouts, the `r` envelope, paging, the retry rule (retry what the
//! server cannot have applied; report the rest as [`Error::Uncertain`]), and the generic
//! operations every resource of [`crate::rest`] goes through. Split by what each part owns:
//!
//! - `config`: [`Config`], its defaults, the base URLs and the rules they must meet;
//! - `transport`: one request (the token, sending, the retry loop over the pure
//!   verdict of `retry.rs`, pacing through `pace.rs`);
//! - `outcome`: what one attempt comes to, through the envelope, as an answer or an [`Error`];
//! - `paging`: list reads, with their count checks and the read's budget;
//! - `ops`: the generic create, update, delete and look-up over [`crate::rest`]'s
//!   descriptors, the call settings, and the greeting upload;
//! - `shared`: look-ups of one list gathered into one list read sent after each of them.
//!
//! This file holds the [`Client`] itself: its construction and its counters.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Url;
use tokio::sync::Semaphore;

use self::config::{install_crypto_provider, is_loopback, parse_base};
use crate::auth::{Credentials, TokenCache};
use crate::error::Error;
use crate::limits::Limits;
use crate::pace::{Pace, Pacer};
use crate::throttle::Throttle;

mod config;
mod ops;
mod outcome;
mod paging;
mod shared;
mod transport;

pub use crate::retry::RetryPolicy;
pub use config::{Config, STRINGEE_CALL_API_URL, STRINGEE_PCC_URL, redact_url};
pub(crate) use paging::Reading;
pub use paging::{DEFAULT_CONCURRENCY, PAGE_LIMIT};

/// Requests sent so far, by HTTP method, retries included.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestStats {
    /// `GET`, `POST`, `PUT`, `DELETE` → requests sent.
    pub requests: BTreeMap<String, u64>,
    /// How many of them were retries.
    pub retries: u64,
    /// How many were answered 429 (too many requests).
    pub refused: u64,
    /// The time requests spent in flight, summed over requests (from sending to the end of
    /// the answer): divided by a wall time, the mean number of requests in flight.
    pub in_flight: Duration,
    /// The most requests that were in flight at once.
    pub most_in_flight: u64,
}

impl RequestStats {
    /// All requests sent.
    pub fn total(&self) -> u64 {
        self.requests.values().sum()
    }

    /// Requests other than `GET`.
    pub fn writes(&self) -> u64 {
        self.requests
            .iter()
            .filter(|(method, _)| method.as_str() != "GET")
            .map(|(_, n)| n)
            .sum()
    }
}

#[derive(Debug, Default)]
struct Counters {
    get: AtomicU64,
    post: AtomicU64,
    put: AtomicU64,
    delete: AtomicU64,
    retries: AtomicU64,
    refused: AtomicU64,
    /// HTTP answers received, any status; never reset.
    answers: AtomicU64,
    /// Nanoseconds spent in flight, summed over requests.
    in_flight_nanos: AtomicU64,
    /// Requests in flight now, and the most at once.
    in_flight_now: AtomicU64,
    most_in_flight: AtomicU64,
}

/// The bound on requests in flight ([`Client::set_in_flight`]): how many, and their permits.
#[derive(Debug, Default)]
struct InFlight {
    most: Option<usize>,
    permits: Option<Arc<Semaphore>>,
}

/// A PCC client. Cheap to clone: clones share the connection pool, the token and the counters.
#[derive(Clone, Debug)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    pcc_url: Url,
    call_api_url: Url,
    credentials: Credentials,
    tokens: TokenCache,
    retry: RetryPolicy,
    limits: Limits,
    throttle: Throttle,
    pacer: Pacer,
    flights: shared::Flights,
    in_flight: Mutex<InFlight>,
    timeout: Duration,
    connect_timeout: Duration,
    counters: Counters,
}

impl Client {
    /// A client for `config`. Fails only on a malformed configuration.
    pub fn new(config: Config) -> Result<Client, Error> {
        if config.credentials.sid.trim().is_empty() {
            return Err(Error::Config("the API key SID is empty".to_owned()));
        }
        if config.retry.max_attempts == 0 || config.retry.max_timeouts == 0 {
            return Err(Error::Config(
                "retry.max_attempts and retry.max_timeouts must be at least 1".to_owned(),
            ));
        }
        if config.timeout.is_zero() || config.connect_timeout.is_zero() {
            return Err(Error::Config("timeouts must be above 0".to_owned()));
        }
        if config.limits.answer_bytes == 0 || config.limits.list_answer_bytes == 0 {
            return Err(Error::Config(
                "limits.answer_bytes and limits.list_answer_bytes must be above 0".to_owned(),
            ));
        }
        let pcc_url = parse_base("PCC endpoint", &config.pcc_url)?;
        let call_api_url = parse_base("Call API endpoint", &config.call_api_url)?;
        install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
            // A redirect is never followed: the token rides in a custom header, which HTTP
            // clients do not strip when a redirect leads to another host, and a POST
            // redirected with 301-303 would come back as a GET.
            .redirect(reqwest::redirect::Policy::none());
        // Loopback traffic (the emulator, the sandbox) must never go through a proxy set in
        // the environment.
        if is_loopback(&pcc_url) && is_loopback(&call_api_url) {
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                pcc_url,
                call_api_url,
                credentials: config.credentials,
                tokens: TokenCache::default(),
                retry: config.retry,
                limits: config.limits,
                throttle: Throttle::default(),
                pacer: Pacer::default(),
                flights: shared::Flights::default(),
                in_flight: Mutex::new(InFlight::default()),
                timeout: config.timeout,
                connect_timeout: config.connect_timeout,
                counters: Counters::default(),
            }),
        })
    }

    /// Base URL of the PCC REST API.
    pub fn pcc_url(&self) -> &str {
        self.inner.pcc_url.as_str().trim_end_matches('/')
    }

    /// The API key SID in use (public; the secret is not reachable from here).
    pub fn sid(&self) -> &str {
        &self.inner.credentials.sid
    }

    /// Requests sent so far by this client and its clones.
    pub fn stats(&self) -> RequestStats {
        let c = &self.inner.counters;
        let mut requests = BTreeMap::new();
        for (method, n) in [
            ("DELETE", &c.delete),
            ("GET", &c.get),
            ("POST", &c.post),
            ("PUT", &c.put),
        ] {
            let n = n.load(Ordering::Relaxed);
            if n > 0 {
                requests.insert(method.to_owned(), n);
            }
        }
        RequestStats {
            requests,
            retries: c.retries.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
            in_flight: Duration::from_nanos(c.in_flight_nanos.load(Ordering::Relaxed)),
            most_in_flight: c.most_in_flight.load(Ordering::Relaxed),
        }
    }

    /// Bounds the requests this client and its clones have in flight at once, every request
    /// counted (writes, each page of a list, look-ups shared by several callers, retries);
    /// `None` (the default) or 0 removes the bound. Answers the bound it replaces. Requests
    /// wait for a place in the order they asked (first come, first served), after their
    /// family's turn ([`crate::pace`]): one waiting on a spent budget holds no place.
    /// Requests already waiting keep the bound they met.
    pub fn set_in_flight(&self, most: Option<usize>) -> Option<usize> {
        let most = most.filter(|&n| n > 0);
        let mut bound = self
            .inner
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let before = bound.most;
        if before != most {
            *bound = InFlight {
                most,
                permits: most.map(|n| Arc::new(Semaphore::new(n))),
            };
        }
        before
    }

    /// Sets the ceiling on requests a second this client and its clones send, every request
    /// counted (each page of a list, each retry); `None`, or a value that is not finite and
    /// above 0, removes it. One below a request a day counts as one a day.
    pub fn set_max_rps(&self, rps: Option<f64>) {
        self.inner.pacer.set_max_rps(rps);
    }

    /// How busy a resource family's rate-limit budget is (see [`crate::family`]): how long
    /// a new request of it would wait, and the spacing of its requests. Both 0 for a family
    /// PCC has never limited.
    pub fn pace(&self, family: &'static str) -> Pace {
        self.inner.pacer.family(family)
    }

    /// HTTP answers received so far (any status, a 5xx included) by this client and its
    /// clones; it only grows. A caller whose request got no answer can tell from it whether
    /// PCC has been answering other requests meanwhile (bad luck) or nothing at all (gone).
    pub fn answers(&self) -> u64 {
        self.inner.counters.answers.load(Ordering::Relaxed)
    }

    /// Sets the counters back to zero.
    pub fn reset_stats(&self) {
        let c = &self.inner.counters;
        for n in [
            &c.get,
            &c.post,
            &c.put,
            &c.delete,
            &c.retries,
            &c.refused,
            &c.in_flight_nanos,
        ] {
            n.store(0, Ordering::Relaxed);
        }
        c.most_in_flight
            .store(c.in_flight_now.load(Ordering::Relaxed), Ordering::Relaxed);
    }
}
