//! The HTTP client: tokens, timeouts, the `r` envelope, paging, the retry rule (retry what the
//! server cannot have applied; report the rest as [`Error::Uncertain`]), and the generic
//! operations every resource of [`crate::rest`] goes through.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{CONTENT_TYPE, HeaderValue, LOCATION, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::answer::{self, Envelope, PageError};
use crate::auth::{Credentials, TokenCache};
use crate::error::{Error, Lost, Silence};
use crate::limits::{self, Budget, Limits};
use crate::pace::{Pace, Pacer};
use crate::rest::{GREETING_PATH, Host, Resource, SETTINGS_FAMILY, SETTINGS_PATH, Writes};
pub use crate::retry::RetryPolicy;
use crate::retry::{Ended, Retry, retry};
use crate::throttle::{Throttle, Verdict};
use crate::wire;

/// The real PCC REST host.
pub const STRINGEE_PCC_URL: &str = "https://icc-api.stringee.com";
/// The real Call API host, which serves greeting files.
pub const STRINGEE_CALL_API_URL: &str = "https://api.stringee.com";
/// Items per list page: the most PCC hands out at once.
pub const PAGE_LIMIT: u32 = 100;
/// How many requests run at once when nobody says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// Where and how the client talks to PCC.
#[derive(Clone, Debug)]
pub struct Config {
    /// Base URL of the PCC REST API (`/v1/agent`, ... are appended).
    pub pcc_url: String,
    /// Base URL of the Call API, which serves `/v1/greetingfile`.
    pub call_api_url: String,
    /// The API key tokens are minted from.
    pub credentials: Credentials,
    /// Longest wait for a whole request, answer included.
    pub timeout: Duration,
    /// Longest wait for a connection.
    pub connect_timeout: Duration,
    /// When and how often to retry.
    pub retry: RetryPolicy,
    /// How much is read from PCC at most.
    pub limits: Limits,
}

impl Config {
    /// The real Stringee service: [`STRINGEE_PCC_URL`], and [`STRINGEE_CALL_API_URL`] for
    /// greeting files.
    pub fn stringee(credentials: Credentials) -> Config {
        Config {
            pcc_url: STRINGEE_PCC_URL.to_owned(),
            call_api_url: STRINGEE_CALL_API_URL.to_owned(),
            credentials,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            limits: Limits::default(),
        }
    }

    /// One endpoint serving both APIs (an emulator, a proxy): greeting files go there too.
    pub fn with_endpoint(endpoint: &str, credentials: Credentials) -> Config {
        // Trailing slashes go, but not the ones of a bare `http://` (reported as hostless).
        let endpoint = match endpoint.trim_end_matches('/') {
            trimmed if trimmed.ends_with(':') => endpoint,
            trimmed => trimmed,
        }
        .to_owned();
        Config {
            pcc_url: endpoint.clone(),
            call_api_url: endpoint,
            ..Config::stringee(credentials)
        }
    }
}

/// Requests sent so far, by HTTP method, retries included.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestStats {
    /// `GET`, `POST`, `PUT`, `DELETE` → requests sent.
    pub requests: BTreeMap<String, u64>,
    /// How many of them were retries.
    pub retries: u64,
    /// How many were answered 429 (too many requests).
    pub refused: u64,
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
}

/// What the lists of one read share: a bound on the requests in flight, and the read's
/// [`Budget`] of objects, pages and bytes. Clones share both.
#[derive(Clone, Debug)]
pub(crate) struct Reading {
    permits: Arc<Semaphore>,
    budget: Budget,
}

impl Reading {
    /// Waits for a turn to send a request.
    pub(crate) async fn permit(&self) -> tokio::sync::SemaphorePermit<'_> {
        self.permits
            .acquire()
            .await
            .expect("semaphore never closes")
    }
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
    timeout: Duration,
    connect_timeout: Duration,
    counters: Counters,
}

enum Payload {
    Empty,
    Json(Vec<u8>),
    Bytes(Vec<u8>),
}

/// What one request ended with, before the retry rule looks at it.
enum Outcome {
    Answer {
        status: StatusCode,
        retry_after: Option<Duration>,
        /// Where a redirect points (never followed).
        location: Option<String>,
        /// The body; for an answer that is not a success, at most its first
        /// [`Limits::answer_bytes`].
        body: Vec<u8>,
    },
    /// A success whose body is larger than the call reads: the length it announced, if it
    /// announced one (then nothing of it was read).
    TooLarge {
        status: StatusCode,
        announced: Option<u64>,
    },
    Failed(reqwest::Error),
}

/// An answer that passed the envelope: its `r` (and message), and its bytes for the caller to
/// read further.
struct Answered {
    envelope: Envelope,
    body: Vec<u8>,
}

impl Answered {
    /// The body as a JSON tree. Only for answers capped at [`Limits::answer_bytes`]: a tree
    /// costs many times its bytes.
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// rustls is built without a default crypto provider (the workspace picks `ring`); reqwest
/// asks for the process default, so install `ring` unless someone already installed one.
fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race to another thread installing one is fine: any provider will do.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// `url` as it may be shown in a message: any `user:password@` replaced by `***@`, the value
/// of every query parameter by `***` (a bare one whole), and any fragment by `#***`. An
/// endpoint given with a credential in it (`?token=…`) must not print it.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = url
        .find("://")
        .map_or(("", url), |i| (&url[..i + 3], &url[i + 3..]));
    let authority = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority);
    let mut out = match authority.rfind('@') {
        Some(at) => format!("{scheme}***@{}", &authority[at + 1..]),
        None => format!("{scheme}{authority}"),
    };
    let (before_fragment, fragment) = match tail.find('#') {
        Some(i) => (&tail[..i], Some(&tail[i + 1..])),
        None => (tail, None),
    };
    let (path, query) = match before_fragment.find('?') {
        Some(i) => (&before_fragment[..i], Some(&before_fragment[i + 1..])),
        None => (before_fragment, None),
    };
    out.push_str(path);
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) => format!("{name}=***"),
                None if pair.is_empty() => String::new(),
                None => "***".to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    if fragment.is_some() {
        out.push_str("#***");
    }
    out
}

fn parse_base(what: &str, url: &str) -> Result<Url, Error> {
    // Every message shows the endpoint redacted: a credential put in it by mistake (a
    // password, a `?token=`) must not reach a CI log.
    let shown = redact_url(url);
    let authority = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("");
    if authority.contains('@') {
        // The API key authenticates; a password in the URL would be printed in the banner
        // and saved in plan files.
        return Err(Error::Config(format!(
            "{what} `{shown}` has a user name or password in it: leave them out (switchboard \
             authenticates with the API key)"
        )));
    }
    if url.contains(['?', '#']) {
        return Err(Error::Config(format!(
            "{what} `{shown}` must not have a query or fragment"
        )));
    }
    // `127.0.0.1:8080` and `localhost:8080` are what people type; say what is missing
    // rather than what the URL parser made of them.
    if !url.contains("://") {
        return Err(Error::Config(format!(
            "{what} `{shown}` has no scheme: write `http://{shown}` (or https://)"
        )));
    }
    if url.trim_end_matches('/').ends_with("/v1") {
        return Err(Error::Config(format!(
            "{what} `{shown}` ends in /v1, which switchboard adds itself: leave it out"
        )));
    }
    let parsed = Url::parse(url.trim_end_matches('/'))
        .map_err(|e| Error::Config(format!("{what} `{shown}` is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(Error::Config(format!(
            "{what} `{shown}` must be an http:// or https:// URL with a host"
        )));
    }
    Ok(parsed)
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
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

/// Why a reqwest failure got no answer.
fn silence(err: &reqwest::Error) -> Silence {
    if err.is_connect() {
        Silence::Connect
    } else if err.is_timeout() {
        Silence::Timeout
    } else {
        Silence::Dropped
    }
}

/// A reqwest failure in words, without the URL (the caller names the request).
fn describe(err: &reqwest::Error, timeout: Duration, connect_timeout: Duration) -> String {
    if err.is_timeout() {
        return if err.is_connect() {
            format!(
                "could not connect within {}s",
                connect_timeout.as_secs_f64()
            )
        } else {
            format!("no answer within {}s", timeout.as_secs_f64())
        };
    }
    let mut cause = if err.is_connect() {
        "could not connect".to_owned()
    } else {
        "the connection failed".to_owned()
    };
    let mut source = std::error::Error::source(err);
    let mut innermost = None;
    while let Some(s) = source {
        innermost = Some(s.to_string());
        source = s.source();
    }
    if let Some(s) = innermost {
        cause.push_str(": ");
        cause.push_str(&s);
    }
    cause
}

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
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
        }
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
        for n in [&c.get, &c.post, &c.put, &c.delete, &c.retries, &c.refused] {
            n.store(0, Ordering::Relaxed);
        }
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

    fn url(&self, host: Host, path: &str, query: &[(&str, &str)]) -> Url {
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
        self.inner.pacer.acquire(family).await;
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
        let location = response
            .headers()
            .get(LOCATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
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
            body,
        }
    }

    /// Sends one call, retrying what is safe (the rule: [`retry`]), and returns the answer
    /// with `r == 0` checked unless `raw_r` is set (then any `r` comes back, for the caller to
    /// read). A success's body is read up to `cap` bytes.
    #[allow(clippy::too_many_arguments)]
    async fn call(
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
                match self.inner.throttle.refused(&policy, attempt, retry_after) {
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

    /// What one attempt comes to, given the retry rule's word on it: the answer through the
    /// envelope, or the error (the one a retry would replace, for [`Retry::Backoff`]).
    #[allow(clippy::too_many_arguments)]
    fn conclude(
        &self,
        method: &Method,
        shown: &str,
        attempt: u32,
        outcome: Outcome,
        rule: Retry,
        raw_r: bool,
        cap: usize,
    ) -> Result<Answered, Error> {
        let uncertain = |cause: String, lost: Lost| Error::Uncertain {
            method: method.to_string(),
            path: shown.to_owned(),
            cause,
            lost,
        };
        match outcome {
            Outcome::Failed(err) => {
                let cause = describe(&err, self.inner.timeout, self.inner.connect_timeout);
                let silence = silence(&err);
                tracing::debug!(%method, path = %shown, attempt, %cause, "pcc request failed");
                Err(match rule {
                    Retry::Uncertain => uncertain(cause, Lost::Silence(silence)),
                    _ => Error::Transport {
                        method: method.to_string(),
                        path: shown.to_owned(),
                        cause,
                        attempts: attempt,
                        silence,
                    },
                })
            }
            Outcome::TooLarge { status, announced } => {
                let size = match announced {
                    Some(n) => format!("announces {n} bytes"),
                    None => "goes on".to_owned(),
                };
                let what = format!(
                    "the answer (HTTP {}) {size}, past the {} switchboard reads from one answer",
                    status.as_u16(),
                    limits::bytes(cap as u64)
                );
                Err(match rule {
                    // A success to a write was probably applied, whatever its body.
                    Retry::Uncertain => uncertain(what, Lost::Unclear),
                    _ => Error::TooLarge {
                        method: method.to_string(),
                        path: shown.to_owned(),
                        what,
                        read_cap: false,
                    },
                })
            }
            Outcome::Answer {
                status,
                location,
                body,
                ..
            } => {
                tracing::debug!(%method, path = %shown, attempt, status = status.as_u16(), "pcc request");
                let status_error = |body: String| Error::Status {
                    method: method.to_string(),
                    path: shown.to_owned(),
                    status: status.as_u16(),
                    attempts: attempt,
                    body,
                };
                if status.is_redirection() {
                    return Err(status_error(format!(
                        "PCC redirects to `{}`, and switchboard follows no redirect (the token \
                         would go along): set --endpoint to the URL PCC answers at",
                        redact_url(location.as_deref().unwrap_or(""))
                    )));
                }
                if status.is_server_error() {
                    let code = status.as_u16();
                    return Err(match rule {
                        Retry::Uncertain => uncertain(format!("HTTP {code}"), Lost::Status(code)),
                        _ => status_error(excerpt(&body)),
                    });
                }
                self.judge(method, shown, status, body, raw_r)
                    .map_err(|e| e.unwrap_or_else(|body| status_error(excerpt(&body))))
            }
        }
    }

    /// Applies the envelope to an answer that is not a 5xx, a 429 or a redirect. `Err(Err(body))`
    /// is a failure PCC's envelope does not explain: the HTTP status, with the body.
    fn judge(
        &self,
        method: &Method,
        shown: &str,
        status: StatusCode,
        body: Vec<u8>,
        raw_r: bool,
    ) -> Result<Answered, Result<Error, Vec<u8>>> {
        let get = *method == Method::GET;
        let envelope = answer::envelope(&body);
        let r = envelope.as_ref().and_then(Envelope::r);
        if r == Some(5) && (status == StatusCode::FORBIDDEN || status.is_success()) {
            return Err(Ok(Error::Auth {
                message: envelope.as_ref().map(Envelope::message).unwrap_or_default(),
            }));
        }
        if !status.is_success() {
            return Err(match (r, &envelope) {
                (Some(r), Some(e)) if r != 0 => Ok(Error::Api {
                    method: method.to_string(),
                    path: shown.to_owned(),
                    r,
                    message: e.message(),
                }),
                _ => Err(body),
            });
        }
        let (Some(envelope), Some(r)) = (envelope, r) else {
            let cause = match answer::envelope(&body) {
                Some(e) => format!("the answer has no integer `r` (it has {})", e.keys),
                None => "the answer is not a JSON object with an integer `r`".to_owned(),
            };
            return Err(Ok(if get {
                Error::Decode {
                    method: method.to_string(),
                    path: shown.to_owned(),
                    cause,
                }
            } else {
                // A 2xx to a write was probably applied, whatever its body says.
                Error::Uncertain {
                    method: method.to_string(),
                    path: shown.to_owned(),
                    cause,
                    lost: Lost::Unclear,
                }
            }));
        };
        if r != 0 && !raw_r {
            return Err(Ok(Error::Api {
                method: method.to_string(),
                path: shown.to_owned(),
                r,
                message: envelope.message(),
            }));
        }
        Ok(Answered { envelope, body })
    }

    /// A call whose answer is small ([`Limits::answer_bytes`]): everything but list pages.
    async fn small(
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

    async fn write<B: Serialize>(
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

    // -----------------------------------------------------------------------------------------
    // Writes, driven by each resource's descriptor (`crate::rest`).
    // -----------------------------------------------------------------------------------------

    /// `POST {path}`: creates an object of `R` and answers what its create answers (the new
    /// id, for most). A refusal PCC uses to name an object it already holds fails with the
    /// error [`Resource::taken`] gives ([`Error::NumberExists`]); a success whose answer has
    /// no id is an [`Error::Decode`] naming the keys it has.
    pub async fn create<R: Resource>(&self, body: &R::Body) -> Result<R::Created, Error> {
        let path = R::PATH;
        let answered = self
            .write(Method::POST, R::FAMILY, path, Some(body), true)
            .await?;
        let value = answered.json();
        let r = answered.envelope.r().unwrap_or(0);
        let id = R::ID_KEY.and_then(|key| string_field(&value, key));
        match (r, id) {
            (0, None) if R::ID_KEY.is_some() => Err(no_id(
                "POST",
                path,
                R::ID_KEY.unwrap_or_default(),
                &answered,
            )),
            (0, id) => Ok(R::created(id, &value)),
            (r, id) => Err(id
                .and_then(|id| R::taken(body, r, id))
                .unwrap_or_else(|| Error::Api {
                    method: "POST".to_owned(),
                    path: path.to_owned(),
                    r,
                    message: answered.envelope.message(),
                })),
        }
    }

    /// `PUT {path}/{id}`: updates the object `id` of `R` with the fields `body` sets.
    pub async fn update<R: Resource>(&self, id: &str, body: &R::Body) -> Result<(), Error> {
        let path = by_id::<R>("PUT", "update", id)?;
        self.write(Method::PUT, R::FAMILY, &path, Some(body), false)
            .await
            .map(drop)
    }

    /// `DELETE {path}/{id}`: deletes the object `id` of `R`.
    pub async fn delete<R: Resource>(&self, id: &str) -> Result<(), Error> {
        let path = by_id::<R>("DELETE", "delete", id)?;
        self.write::<()>(Method::DELETE, R::FAMILY, &path, None, false)
            .await
            .map(drop)
    }

    /// `DELETE {path}` with `body`: deletes the object of `R` that `body` made, for a resource
    /// whose objects have no id ([`Writes::ByBody`]: memberships).
    pub async fn delete_made<R: Resource>(&self, body: &R::Body) -> Result<(), Error> {
        if R::WRITES != Writes::ByBody {
            return Err(Error::Config(format!(
                "{} is deleted by id, not by body",
                R::PATH
            )));
        }
        self.write(Method::DELETE, R::FAMILY, R::PATH, Some(body), false)
            .await
            .map(drop)
    }

    /// The objects of `R` whose natural key ([`Resource::key`]) is `key` (normally none or
    /// one), oldest first: the look-up after a write whose answer was lost. `parent` as for
    /// [`Client::list_all`]; a resource with a natural-key filter ([`Resource::FILTER`]) lists
    /// only the matching objects.
    pub async fn find<R: Resource>(
        &self,
        parent: Option<&str>,
        key: &str,
    ) -> Result<Vec<R>, Error> {
        let filter = match (R::FILTER, parent) {
            (Some(param), None) => Some((param, key.to_owned())),
            _ => parent_filter::<R>(parent)?,
        };
        let items: Vec<R> = self
            .list_all_limited(filter, &self.reading(DEFAULT_CONCURRENCY))
            .await?;
        // A filter may be documented by third parties only; check rather than trust it.
        Ok(items
            .into_iter()
            .filter(|item| item.key() == Some(key))
            .collect())
    }

    // -----------------------------------------------------------------------------------------
    // Lists.
    // -----------------------------------------------------------------------------------------

    /// What the lists of one read share: a bound on requests at once, and the read's budget
    /// ([`Limits`]).
    pub(crate) fn reading(&self, concurrency: usize) -> Reading {
        Reading {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            budget: Budget::new(self.inner.limits),
        }
    }

    /// One page (`page` starts at 1, [`PAGE_LIMIT`] items) of a list. `parent` is the id for
    /// the per-parent lists (members of a group, routings of a queue, nodes of a tree, keys of
    /// a node) and must be `None` for the others.
    pub async fn list_page<T: Resource>(
        &self,
        parent: Option<&str>,
        page: u32,
    ) -> Result<wire::Page<T>, Error> {
        let filter = parent_filter::<T>(parent)?;
        let reading = self.reading(1);
        self.list_page_filtered(
            filter.as_ref().map(|(k, v)| (*k, v.as_str())),
            page,
            &reading.budget,
        )
        .await
    }

    async fn list_page_filtered<T: Resource>(
        &self,
        filter: Option<(&str, &str)>,
        page: u32,
        budget: &Budget,
    ) -> Result<wire::Page<T>, Error> {
        let page_s = page.to_string();
        let limit_s = PAGE_LIMIT.to_string();
        let mut query: Vec<(&str, &str)> = Vec::with_capacity(3);
        if let Some((name, value)) = filter {
            query.push((name, value));
        }
        query.push(("page", &page_s));
        query.push(("limit", &limit_s));
        let shown = shown(&self.url(T::HOST, T::PATH, &query));
        let too_large = |what: String| Error::TooLarge {
            method: "GET".to_owned(),
            path: shown.clone(),
            what,
            read_cap: true,
        };
        budget.page().map_err(too_large)?;
        let cap = budget.limits().list_answer_bytes;
        let answered = self
            .call(
                Method::GET,
                (T::HOST, T::FAMILY),
                T::PATH,
                &query,
                Payload::Empty,
                false,
                cap,
            )
            .await?;
        budget.bytes(answered.body.len()).map_err(too_large)?;
        let page = answer::page::<T>(&answered.body, &T::SHAPE, page, budget.room()).map_err(
            |e| match e {
                PageError::Shape(cause) => Error::Decode {
                    method: "GET".to_owned(),
                    path: shown.clone(),
                    cause,
                },
                PageError::TooMany { .. } => too_large(budget.too_many_objects()),
            },
        )?;
        budget.take(page.items.len()).map_err(too_large)?;
        Ok(page)
    }

    /// Every item of a list: the first page, then the others in parallel (at most
    /// [`DEFAULT_CONCURRENCY`] at once).
    pub async fn list_all<T: Resource>(&self, parent: Option<&str>) -> Result<Vec<T>, Error> {
        let filter = parent_filter::<T>(parent)?;
        self.list_all_limited(filter, &self.reading(DEFAULT_CONCURRENCY))
            .await
    }

    /// [`Client::list_all`] within a read's bounds, with any filter.
    pub(crate) async fn list_all_limited<T: Resource>(
        &self,
        filter: Option<(&'static str, String)>,
        reading: &Reading,
    ) -> Result<Vec<T>, Error> {
        let budget = &reading.budget;
        let first = {
            let _permit = reading
                .permits
                .acquire()
                .await
                .expect("semaphore never closes");
            self.list_page_filtered::<T>(filter.as_ref().map(|(k, v)| (*k, v.as_str())), 1, budget)
                .await?
        };
        let mut path = T::PATH.to_owned();
        if let Some((name, value)) = &filter {
            path = format!("{path}?{name}={}", percent_encode(value));
        }
        let total_count = first.total_count;
        let mut items = first.items;

        // What the list claims is checked before any other page is asked for: every page
        // past the first is a request, and an absurd claim is refused, never followed.
        if let (Some(pages), Some(count)) = (first.total_pages, total_count) {
            // A list of `count` items has at most `count` pages (one item a page); an empty
            // one may say 1.
            let most = count.max(1);
            if pages > most {
                return Err(Error::Decode {
                    method: "GET".to_owned(),
                    path,
                    cause: format!(
                        "data.totalPages is {pages}, more than the {most} pages a list of \
                         {count} items can have"
                    ),
                });
            }
        }
        let more_items = total_count.map_or(0, |n| n.saturating_sub(items.len() as u64));
        let more_pages = first.total_pages.map_or(0, |n| n.saturating_sub(1));
        budget
            .claim(more_items, more_pages)
            .map_err(|what| Error::TooLarge {
                method: "GET".to_owned(),
                path: path.clone(),
                what,
                read_cap: true,
            })?;

        // Without `totalPages`, the end is an empty page or the count reached. A page shorter
        // than `PAGE_LIMIT` proves nothing: PCC may cut the limit to a page size of its own,
        // and stopping early would leave objects out of the read, to be created again.
        let at_end =
            |read: usize, page: usize| page == 0 || total_count.is_some_and(|n| read as u64 >= n);
        match first.total_pages {
            Some(pages) if pages > 1 => {
                // Within the read's page budget, so well within `u32`.
                let last = u32::try_from(pages).unwrap_or(u32::MAX);
                let pages = crate::live::fan_out(2..=last, |page| {
                    let client = self.clone();
                    let reading = reading.clone();
                    let filter = filter.clone();
                    async move {
                        let _permit = reading
                            .permits
                            .acquire()
                            .await
                            .expect("semaphore never closes");
                        client
                            .list_page_filtered::<T>(
                                filter.as_ref().map(|(k, v)| (*k, v.as_str())),
                                page,
                                &reading.budget,
                            )
                            .await
                    }
                })
                .await?;
                for page in pages {
                    items.extend(page.items);
                }
            }
            // `totalPages: 0` is an empty list's; with items on the page, walk as without it.
            Some(1..) => {}
            Some(0) | None if at_end(items.len(), items.len()) => {}
            Some(0) | None => {
                let mut page = 1;
                loop {
                    page += 1;
                    let _permit = reading
                        .permits
                        .acquire()
                        .await
                        .expect("semaphore never closes");
                    let next = self
                        .list_page_filtered::<T>(
                            filter.as_ref().map(|(k, v)| (*k, v.as_str())),
                            page,
                            budget,
                        )
                        .await?;
                    let got = next.items.len();
                    items.extend(next.items);
                    if at_end(items.len(), got) {
                        break;
                    }
                }
            }
        }
        // Pages that do not add up to the count (a page cut short, an object that moved
        // between pages while they were read) leave objects out of the read, which a plan
        // would create a second time: the read fails instead, and a re-run reads again.
        if let Some(count) = total_count
            && items.len() as u64 != count
        {
            return Err(Error::Decode {
                method: "GET".to_owned(),
                path,
                cause: format!(
                    "the list is inconsistent: its pages hold {} items but PCC counts {count} \
                     (it changed while it was read, or PCC paged it wrongly); nothing was \
                     changed: run again",
                    items.len()
                ),
            });
        }
        Ok(items)
    }

    /// `GET /v1/callsettings`.
    pub async fn get_call_settings(&self) -> Result<wire::CallSettings, Error> {
        let path = SETTINGS_PATH;
        let value = self
            .small(
                Method::GET,
                (Host::Pcc, SETTINGS_FAMILY),
                path,
                &[],
                Payload::Empty,
                false,
            )
            .await?
            .json();
        let settings = value.get("callSetting").cloned().unwrap_or(Value::Null);
        if settings.is_null() {
            return Ok(wire::CallSettings::default());
        }
        serde_json::from_value(settings).map_err(|e| Error::Decode {
            method: "GET".to_owned(),
            path: path.to_owned(),
            cause: format!("callSetting: {e}"),
        })
    }

    /// `PUT /v1/callsettings`.
    pub async fn put_call_settings(&self, body: &wire::CallSettingsBody) -> Result<(), Error> {
        self.write(
            Method::PUT,
            SETTINGS_FAMILY,
            SETTINGS_PATH,
            Some(body),
            false,
        )
        .await
        .map(drop)
    }

    /// `POST /v1/greetingfile?uploadType=simple&desc=…` with the raw bytes (Call API host).
    pub async fn upload_greeting(
        &self,
        desc: &str,
        bytes: Vec<u8>,
    ) -> Result<wire::Uploaded, Error> {
        let path = GREETING_PATH;
        let answered = self
            .small(
                Method::POST,
                (Host::CallApi, wire::GreetingFile::FAMILY),
                path,
                &[("uploadType", "simple"), ("desc", desc)],
                Payload::Bytes(bytes),
                false,
            )
            .await?;
        serde_json::from_slice(&answered.body)
            .map_err(|_| no_id("POST", path, "filename", &answered))
    }
}

/// The `?group=` (etc.) filter of a per-parent list; a parent is required for those lists and
/// refused for the others.
fn parent_filter<T: Resource>(
    parent: Option<&str>,
) -> Result<Option<(&'static str, String)>, Error> {
    match (T::PARENT, parent) {
        (Some(param), Some(id)) => Ok(Some((param, id.to_owned()))),
        (None, None) => Ok(None),
        (Some(param), None) => Err(Error::Config(format!(
            "listing {} needs the `{param}` id",
            T::PATH
        ))),
        (None, Some(_)) => Err(Error::Config(format!(
            "{} is not a per-parent list",
            T::PATH
        ))),
    }
}

/// `{path}/{id}` of a resource written by id ([`Writes::ById`]), for a request `method`
/// (`what` it does, in the error for a resource not written by id).
fn by_id<R: Resource>(method: &str, what: &str, id: &str) -> Result<String, Error> {
    match R::WRITES {
        Writes::ById => Ok(format!("{}/{}", R::PATH, id_segment(method, R::PATH, id)?)),
        Writes::ByBody | Writes::Never => {
            Err(Error::Config(format!("{} has no {what} by id", R::PATH)))
        }
    }
}

/// An id PCC gave, as the last segment of `path` for a request `method`: percent-encoded
/// (ids are opaque), or an error, before anything is sent, for an id that no encoding keeps
/// one segment. A URL resolves `.` and `..` (and `%2E%2E`) as dot segments, so that
/// `DELETE /v1/group/..` would be `DELETE /v1/`; an empty id names the collection.
fn id_segment(method: &str, path: &str, id: &str) -> Result<String, Error> {
    if matches!(id, "" | "." | "..") {
        return Err(Error::Decode {
            method: method.to_owned(),
            path: format!("{path}/{id}"),
            cause: format!(
                "the server id `{id}` PCC gave this object cannot name it in a URL path; \
                 nothing was sent"
            ),
        });
    }
    Ok(percent_encode(id))
}

/// RFC 3986 percent-encoding of everything but the unreserved characters.
fn percent_encode(text: &str) -> String {
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
fn shown(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

/// A create that PCC says succeeded (`r` 0) but whose answer has no id under `id_key`: the
/// object was most likely made, but switchboard cannot tell which it is. The step fails,
/// loudly, naming the keys the answer has; the next plan reads the object back by its
/// natural key, so nothing is made twice.
fn no_id(method: &str, path: &str, id_key: &str, answered: &Answered) -> Error {
    Error::Decode {
        method: method.to_owned(),
        path: path.to_owned(),
        cause: format!(
            "PCC says it was done (r=0), but the answer has no usable `{id_key}` (it has {}): \
             the object was probably made; run `switchboard plan` to see it",
            answered.envelope.keys
        ),
    }
}

fn string_field(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
