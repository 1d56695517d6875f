//! A faithful local Stringee PCC REST API: axum server, SQLite state, fault injection, request counts.
//!
//! The wire contract it follows is `docs/pcc-api-assumptions.md`; how to run it and how it
//! differs from the real service is `docs/emulator.md`. Start one in process with [`spawn`]:
//!
//! ```no_run
//! # async fn demo() -> Result<(), emulator::Error> {
//! let key = emulator::ApiKey { sid: "SKlocal".into(), secret: "s3cret".into() };
//! let emu = emulator::spawn("127.0.0.1:0".parse().unwrap(), emulator::Config::new(vec![key])).await?;
//! println!("{}", emu.url());
//! emu.shutdown().await;
//! # Ok(()) }
//! ```

mod admin;
mod api;
mod auth;
mod faults;
mod schema;
mod store;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use crate::faults::Injected;

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
}

/// How to run an emulator.
#[derive(Clone, Debug)]
pub struct Config {
    /// SQLite file holding the project; `None` keeps it in memory.
    pub state: Option<PathBuf>,
    /// Keys whose tokens are accepted.
    pub api_keys: Vec<ApiKey>,
    /// Faults injected from the start (changeable at run time).
    pub faults: Faults,
    /// The `project` reported in every answer.
    pub project_id: i64,
}

impl Config {
    /// An in-memory emulator accepting `api_keys`, with no faults and [`DEFAULT_PROJECT_ID`].
    pub fn new(api_keys: Vec<ApiKey>) -> Config {
        Config {
            state: None,
            api_keys,
            faults: Faults::default(),
            project_id: DEFAULT_PROJECT_ID,
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
    /// background: the write a real server finishes after its client gave up.
    pub late_rate: f64,
    /// How long after its failure answer a late write is carried out, in milliseconds.
    pub late_ms: u64,
    /// Seed of the fault dice; random when absent.
    pub seed: Option<u64>,
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
}

/// A running emulator. Dropping it stops the server (without waiting); prefer
/// [`Emulator::shutdown`].
#[derive(Debug)]
pub struct Emulator {
    addr: SocketAddr,
    app: App,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// State shared by every handler.
pub(crate) type App = Arc<Shared>;

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) store: store::Store,
    pub(crate) keys: Vec<ApiKey>,
    pub(crate) faults: faults::FaultState,
    pub(crate) late: faults::Pending,
    pub(crate) project: i64,
}

/// Binds `listen`, opens the state, and serves in the background. The socket is bound when
/// this returns, so clients may connect at once.
pub async fn spawn(listen: SocketAddr, config: Config) -> Result<Emulator, Error> {
    let app = shared(config)?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| Error::Bind {
            addr: listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| Error::Bind {
        addr: listen,
        source,
    })?;
    let (stop, stopped) = oneshot::channel::<()>();
    let service = router_for(app.clone());
    let task = tokio::spawn(async move {
        let serve = axum::serve(listener, service).with_graceful_shutdown(async move {
            // Either an explicit shutdown or the `Emulator` being dropped.
            let _ = stopped.await;
        });
        if let Err(err) = serve.await {
            tracing::error!("emulator server stopped: {err}");
        }
    });
    Ok(Emulator {
        addr,
        app,
        stop: Some(stop),
        task: Some(task),
    })
}

/// The emulator as an axum `Router`, for tests that drive it without a socket. State and
/// faults come from `config` exactly as with [`spawn`].
pub fn router(config: Config) -> Result<axum::Router, Error> {
    Ok(router_for(shared(config)?))
}

fn shared(config: Config) -> Result<App, Error> {
    config.faults.validate()?;
    let store = store::Store::open(config.state.as_deref())?;
    Ok(Arc::new(Shared {
        store,
        keys: config.api_keys,
        faults: faults::FaultState::new(config.faults),
        late: faults::Pending::new(),
        project: config.project_id,
    }))
}

fn router_for(app: App) -> axum::Router {
    api::router(app.clone()).merge(admin::router(app))
}

impl Emulator {
    /// The bound address (the real port when asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, with a wildcard address replaced by loopback so that it can be dialled.
    pub fn url(&self) -> String {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        format!("http://{addr}")
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
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
