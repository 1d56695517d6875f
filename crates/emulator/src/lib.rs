//! A faithful local Stringee PCC REST API: axum server, SQLite state, fault injection, request counts.
//!
//! The wire contract it follows is `docs/pcc-api-assumptions.md`; how to run it and how it
//! differs from the real service is `docs/emulator.md`. It serves PCC's REST API
//! (`icc-api.stringee.com`) on one address and the Call API host's (`api.stringee.com`:
//! greeting files and the account API) on a second; the first also takes Call API requests
//! whose `Host` names it. Start one in process with [`spawn`]:
//!
//! ```no_run
//! # async fn demo() -> Result<(), emulator::Error> {
//! let key = emulator::ApiKey { sid: "SKlocal".into(), secret: "s3cret".into() };
//! let emu = emulator::spawn("127.0.0.1:0".parse().unwrap(), emulator::Config::new(vec![key])).await?;
//! println!("PCC at {}, Call API at {}", emu.url(), emu.call_api_url());
//! emu.shutdown().await;
//! # Ok(()) }
//! ```

mod account;
mod admin;
mod api;
mod auth;
mod faults;
mod hosts;
mod limits;
mod schema;
mod store;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use crate::account::{
    NumberWiring, PCC_NUMBER_ANSWER_URL, PCC_NUMBER_EVENT_URL, PCC_PROJECT_ANSWER_URL,
    PCC_PROJECT_EVENT_URL, ProjectWiring, WiringChange,
};
pub use crate::faults::Injected;
pub use crate::limits::RateLimit;

/// The project id the emulator reports when the configuration does not name one.
pub const DEFAULT_PROJECT_ID: i64 = 1;

/// The account id every object reports (the real service uses the account that owns the
/// project; the emulator has one account).
pub const ACCOUNT_ID: i64 = 1;

/// Everything the emulator can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The state database could not be opened or prepared.
    #[error("cannot open the emulator state {location}")]
    State {
        /// The file, or `in memory`.
        location: String,
        /// Why.
        #[source]
        source: rusqlite::Error,
    },
    /// The state file was written by an incompatible version of the emulator.
    #[error("the emulator state {path} has schema version {found}, this emulator reads {expected}")]
    StateVersion {
        /// The file.
        path: String,
        /// `PRAGMA user_version` found in the file.
        found: i64,
        /// The version this build writes.
        expected: i64,
    },
    /// A fault setting is out of range.
    #[error("invalid fault setting: {0}")]
    Faults(String),
    /// An `--api-key` value is malformed. The message never contains the secret.
    #[error("invalid API key: {0}")]
    ApiKey(String),
    /// A change refused by the emulator's own rules (a wiring change naming a bad number).
    #[error("refused: {0}")]
    Refused(String),
}

/// How to run an emulator.
#[derive(Clone, Debug)]
pub struct Config {
    /// SQLite file holding the project; `None` keeps it in memory.
    pub state: Option<PathBuf>,
    /// Keys whose tokens PCC and the greeting files accept (the project's API keys, `SK…`).
    pub api_keys: Vec<ApiKey>,
    /// Keys whose tokens the account API accepts (`iss` = the account SID, `AC…`). Empty: the
    /// account API refuses every request.
    pub account_keys: Vec<ApiKey>,
    /// Faults injected from the start (changeable at run time).
    pub faults: Faults,
    /// The `project` reported in every answer, and the account's one project.
    pub project_id: i64,
    /// Where the Call API listens; `None`: a free port on the main address's loopback (on
    /// 127.0.0.1 when the main address is not a loopback one).
    pub call_api_listen: Option<SocketAddr>,
    /// The answer and event URLs the project starts with, and a number gets when it first
    /// appears in the account.
    pub wiring: Wiring,
}

impl Config {
    /// An in-memory emulator accepting `api_keys`, with no account key, no faults,
    /// [`DEFAULT_PROJECT_ID`], the Call API on a free loopback port, and PCC's own URLs wired.
    pub fn new(api_keys: Vec<ApiKey>) -> Config {
        Config {
            state: None,
            api_keys,
            account_keys: Vec::new(),
            faults: Faults::default(),
            project_id: DEFAULT_PROJECT_ID,
            call_api_listen: None,
            wiring: Wiring::default(),
        }
    }
}

/// How the project and the account's numbers are wired when they first appear: whether their
/// answer and event URLs point at PCC (without which calls never reach PCC).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Wiring {
    /// PCC's own URLs ([`PCC_PROJECT_ANSWER_URL`], ...): a working contact center.
    #[default]
    Pcc,
    /// No URLs (`null`), as a freshly bought number has: calls would never reach PCC.
    Unset,
}

impl FromStr for Wiring {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pcc" => Ok(Wiring::Pcc),
            "unset" => Ok(Wiring::Unset),
            other => Err(Error::Refused(format!(
                "wiring `{other}` is not `pcc` or `unset`"
            ))),
        }
    }
}

/// A Stringee API key: tokens signed with `secret` and carrying `iss = sid` are accepted.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// The key SID (`SK...` on the real service); the JWT `iss` claim.
    pub sid: String,
    /// The HMAC-SHA256 signing secret. Never printed: `Debug` redacts it.
    pub secret: String,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("sid", &self.sid)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl FromStr for ApiKey {
    type Err = Error;

    /// Parses `SID:SECRET` (the secret may itself contain `:`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let Some((sid, secret)) = s.split_once(':') else {
            return Err(Error::ApiKey("expected SID:SECRET".to_owned()));
        };
        if sid.is_empty() {
            return Err(Error::ApiKey("the SID before `:` is empty".to_owned()));
        }
        if secret.is_empty() {
            return Err(Error::ApiKey(format!("the secret of `{sid}` is empty")));
        }
        Ok(ApiKey {
            sid: sid.to_owned(),
            secret: secret.to_owned(),
        })
    }
}

/// Faults injected into `/v1` requests. Every share is between 0 and 1; a share of 1 hits
/// every request. The dice are rolled from `seed` when set, so a run with the same requests in
/// the same order meets the same faults.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Added to every `/v1` request before it is handled, in milliseconds.
    pub latency_ms: u64,
    /// Share of requests answered HTTP 500 before anything is done.
    pub fail_rate: f64,
    /// Share of requests answered HTTP 429 with `Retry-After` before anything is done.
    pub throttle_rate: f64,
    /// The `Retry-After` of throttled answers, in seconds.
    pub retry_after_secs: u64,
    /// Share of writes (POST, PUT, DELETE) that are carried out and committed, but whose
    /// answer is lost: the client sees a closed connection or an HTTP 502.
    pub drop_rate: f64,
    /// Share of writes answered with a failure at once (a closed connection or an HTTP 504,
    /// as from a proxy that stopped waiting) and carried out `late_ms` later, in the
    /// background: the write a real server finishes after its client gave up. A request that
    /// arrives once it is due sees it, however late the task carrying it out runs.
    pub late_rate: f64,
    /// How long after its failure answer a late write is carried out, in milliseconds.
    pub late_ms: u64,
    /// Seed of the fault dice; random when absent.
    pub seed: Option<u64>,
    /// Requests each API key may make per window (`"300/10"`); none when absent. Beyond it a
    /// request is answered 429 with `Retry-After` until the window, aligned to the clock,
    /// ends.
    pub rate_limit: Option<RateLimit>,
    /// Requests each API key may make to one resource family (agents, groups, memberships,
    /// queues, routings, trees, nodes, keypresses, numbers, blacklist, audio, settings,
    /// projects, account-numbers) per window.
    pub rate_limit_per_kind: Option<RateLimit>,
}

impl Faults {
    /// Checks that every share is a number between 0 and 1.
    pub fn validate(&self) -> Result<(), Error> {
        for (name, rate) in [
            ("fail_rate", self.fail_rate),
            ("throttle_rate", self.throttle_rate),
            ("drop_rate", self.drop_rate),
            ("late_rate", self.late_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(Error::Faults(format!(
                    "`{name}` is {rate}; it must be between 0 and 1"
                )));
            }
        }
        Ok(())
    }
}

/// Requests the emulator received on `/v1`, faulted or not.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Stats {
    /// Count per `METHOD /path/template`, e.g. `GET /v1/agent` or `PUT /v1/agent/{id}`.
    pub requests: BTreeMap<String, u64>,
    /// GET requests.
    pub reads: u64,
    /// Every other method.
    pub writes: u64,
    /// Faults injected so far.
    pub injected: Injected,
    /// Requests answered 429 by a rate limit, by the scope whose window was spent (`key`, or
    /// the resource family); a request that spent both counts under each.
    #[serde(default)]
    pub rate_limited: BTreeMap<String, u64>,
}

/// A running emulator. Dropping it stops the servers (without waiting); prefer
/// [`Emulator::shutdown`].
#[derive(Debug)]
pub struct Emulator {
    addr: SocketAddr,
    call_api_addr: SocketAddr,
    app: App,
    stop: Option<watch::Sender<bool>>,
    tasks: Vec<JoinHandle<()>>,
}

/// State shared by every handler.
pub(crate) type App = Arc<Shared>;

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) store: store::Store,
    pub(crate) keys: Vec<ApiKey>,
    pub(crate) account_keys: Vec<ApiKey>,
    pub(crate) wiring: Wiring,
    pub(crate) faults: faults::FaultState,
    pub(crate) late: faults::Pending,
    pub(crate) project: i64,
    /// The base URLs of PCC and of the Call API, once bound, for `GET /_emulator`.
    pub(crate) urls: std::sync::OnceLock<[String; 2]>,
}

/// Binds `listen` (PCC) and the Call API's address, opens the state, and serves in the
/// background. Both sockets are bound when this returns, so clients may connect at once.
pub async fn spawn(listen: SocketAddr, config: Config) -> Result<Emulator, Error> {
    let call_api_listen = config.call_api_listen.unwrap_or_else(|| {
        let ip = if listen.ip().is_loopback() {
            listen.ip()
        } else {
            std::net::Ipv4Addr::LOCALHOST.into()
        };
        SocketAddr::new(ip, 0)
    });
    let app = shared(config)?;
    let main = bind(listen).await?;
    let call = bind(call_api_listen).await?;
    let (addr, call_api_addr) = (main.1, call.1);
    let _ = app.urls.set([dialable(addr), dialable(call_api_addr)]);
    let (stop, stopped) = watch::channel(false);
    let tasks = vec![
        serve(main.0, hosts::main(&app), stopped.clone()),
        serve(call.0, hosts::call_api(&app), stopped),
    ];
    Ok(Emulator {
        addr,
        call_api_addr,
        app,
        stop: Some(stop),
        tasks,
    })
}

async fn bind(addr: SocketAddr) -> Result<(tokio::net::TcpListener, SocketAddr), Error> {
    let bind = |source| Error::Bind { addr, source };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(bind)?;
    let bound = listener.local_addr().map_err(bind)?;
    Ok((listener, bound))
}

fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    mut stopped: watch::Receiver<bool>,
) -> JoinHandle<()> {
    // The peer's address reaches the handlers: the admin endpoints answer loopback peers.
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move {
        let serve = axum::serve(listener, service).with_graceful_shutdown(async move {
            // Either an explicit shutdown or the `Emulator` being dropped.
            let _ = stopped.wait_for(|stop| *stop).await;
        });
        if let Err(err) = serve.await {
            tracing::error!("emulator server stopped: {err}");
        }
    })
}

/// The emulator's main address as an axum `Router`, for tests that drive it without a socket:
/// PCC, and the Call API for requests whose `Host` names it (`api.stringee.com`). State and
/// faults come from `config` exactly as with [`spawn`]. Without a socket there is no peer
/// address, so the admin endpoints want a token signed with an accepted key.
pub fn router(config: Config) -> Result<axum::Router, Error> {
    Ok(hosts::main(&shared(config)?))
}

fn shared(config: Config) -> Result<App, Error> {
    config.faults.validate()?;
    let store = store::Store::open(config.state.as_deref())?;
    let location = match &config.state {
        Some(path) => path.display().to_string(),
        None => "in memory".to_owned(),
    };
    store
        .write(|db| account::seed(db, config.project_id, config.wiring))
        .map_err(|fail| match fail {
            store::Fail::Db(source) => Error::State { location, source },
            store::Fail::Refused(refusal) => Error::Refused(refusal.message),
        })?;
    Ok(Arc::new(Shared {
        store,
        keys: config.api_keys,
        account_keys: config.account_keys,
        wiring: config.wiring,
        faults: faults::FaultState::new(config.faults),
        late: faults::Pending::new(),
        project: config.project_id,
        urls: std::sync::OnceLock::new(),
    }))
}

/// `http://ADDR`, with a wildcard address replaced by loopback so that it can be dialled.
fn dialable(mut addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    format!("http://{addr}")
}

impl Emulator {
    /// The main (PCC) address as bound (the real port when asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The Call API's address as bound.
    pub fn call_api_addr(&self) -> SocketAddr {
        self.call_api_addr
    }

    /// PCC's base URL, `http://ADDR` (a wildcard address replaced by loopback so that it can
    /// be dialled).
    pub fn url(&self) -> String {
        dialable(self.addr)
    }

    /// The Call API's base URL (greeting files and the account API), like [`Emulator::url`].
    pub fn call_api_url(&self) -> String {
        dialable(self.call_api_addr)
    }

    /// The addresses bound on something other than loopback, which other machines may reach.
    pub fn exposed(&self) -> Vec<SocketAddr> {
        [self.addr, self.call_api_addr]
            .into_iter()
            .filter(|a| !a.ip().to_canonical().is_loopback())
            .collect()
    }

    /// The account's project and numbers with their URLs, as `GET /_emulator/wiring` answers.
    pub fn wiring(&self) -> serde_json::Value {
        admin::wiring(&self.app).unwrap_or_else(|err| serde_json::json!({ "error": err }))
    }

    /// Changes the wiring as `PUT /_emulator/wiring` does (see [`WiringChange`]).
    pub fn set_wiring(&self, change: &WiringChange) -> Result<(), Error> {
        admin::rewire(&self.app, change).map_err(Error::Refused)
    }

    /// Replaces the injected faults (and reseeds the dice when `faults.seed` is set).
    /// Out-of-range shares are clamped into 0..=1.
    pub fn set_faults(&self, faults: Faults) {
        self.app.faults.set(faults::clamped(faults));
    }

    /// The current fault settings.
    pub fn faults(&self) -> Faults {
        self.app.faults.get()
    }

    /// Request counts since start or the last reset.
    pub fn stats(&self) -> Stats {
        self.app.faults.stats()
    }

    /// Sets every request count to zero.
    pub fn reset_stats(&self) {
        self.app.faults.reset_stats();
    }

    /// Returns once every late write ([`Faults::late_rate`]) injected so far has been carried
    /// out: after it, the state no longer changes on its own.
    pub async fn late_writes_landed(&self) {
        self.app.late.settled().await;
    }

    /// Every object the emulator holds, as `GET /_emulator/state` answers it.
    pub fn state(&self) -> serde_json::Value {
        admin::dump(&self.app).unwrap_or_else(|err| serde_json::json!({ "error": err }))
    }

    /// Stops accepting connections, lets open requests finish, and closes the state.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
    }
}
