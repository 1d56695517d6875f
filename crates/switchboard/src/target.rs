//! Which PCC a command talks to: Stringee itself (an API key in the environment), another
//! endpoint (`--endpoint` / `SWITCHBOARD_ENDPOINT`, with a key), or, with no key at all, the
//! local sandbox: an in-process emulator whose state lives in `.switchboard/sandbox.db`.
//! Commands print [`Target::banner`] first, on stderr, so nobody mistakes one for the other.
//! Commands sharing one sandbox take its lock, `.switchboard/sandbox.lock`: reads together,
//! `apply` alone.

use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::cli::Connection;

/// The API key SID variable.
pub const SID_VAR: &str = "STRINGEE_API_KEY_SID";
/// The API key secret variable.
pub const SECRET_VAR: &str = "STRINGEE_API_KEY_SECRET";
/// Where the sandbox keeps its state, relative to the working directory.
pub const SANDBOX_STATE: &str = ".switchboard/sandbox.db";
/// The project id the sandbox reports.
const SANDBOX_PROJECT_ID: i64 = 1;
/// What the saved-plan key is derived from the API secret for (a new purpose, a new key).
const PLAN_KEY_PURPOSE: &str = "switchboard saved plan, format 2";
/// The saved-plan key of the local sandbox: public, since the sandbox's API key is made up
/// anew by every run; it catches a plan edited by mistake, not one edited on purpose.
const SANDBOX_PLAN_KEY: &[u8] = b"switchboard local sandbox: no secret to key saved plans with";
/// The longest wait for a connection; `--timeout` can only shorten it.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The PCC a command talks to, and the client to reach it. Holds the sandbox, if any, so it
/// lives as long as the command.
pub struct Target {
    client: pcc::Client,
    banner: String,
    /// The key saved plans are authenticated with ([`Target::plan_key`]).
    plan_key: Vec<u8>,
    sandbox: Option<emulator::Emulator>,
    /// The sandbox's lock, held until the sandbox has stopped.
    lock: Option<File>,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("banner", &self.banner)
            .field("sandbox", &self.sandbox.is_some())
            .finish_non_exhaustive()
    }
}

impl Target {
    /// The client for this target.
    pub fn client(&self) -> &pcc::Client {
        &self.client
    }

    /// One line saying where commands go, e.g. `target: https://icc-api.stringee.com (key
    /// SK…abc)`; print it first, on stderr.
    pub fn banner(&self) -> &str {
        &self.banner
    }

    /// The key that authenticates the saved plans made against this target: derived from the
    /// API secret, so that only someone holding it can make a plan file `apply` accepts; for
    /// the local sandbox (which has no lasting secret), a fixed key that only catches edits
    /// made by mistake (docs/security.md, "Saved plans").
    pub fn plan_key(&self) -> &[u8] {
        &self.plan_key
    }

    /// True for the local sandbox.
    pub fn is_sandbox(&self) -> bool {
        self.sandbox.is_some()
    }

    /// Stops the sandbox, if any, once every write is on disk.
    pub async fn shutdown(self) {
        if let Some(sandbox) = self.sandbox {
            sandbox.shutdown().await;
        }
        drop(self.lock);
    }
}

/// What a command does to the project, which decides how it shares the local sandbox with
/// other commands run in the same directory at the same time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Reads only (`plan`, `drift`, `export`): any number at once.
    Read,
    /// Writes (`apply`): alone. Two applies planned from the same project would both create
    /// what it lacks, and names are not unique.
    Write,
}

/// What the environment asks for.
#[derive(Debug, PartialEq, Eq)]
enum Choice {
    /// Stringee (or `endpoint`) with an API key.
    Remote {
        endpoint: Option<String>,
        credentials: pcc::Credentials,
    },
    /// No key anywhere: the local sandbox.
    Sandbox,
}

/// Decides from `--endpoint` and the two variables (empty counts as unset).
fn choose(
    endpoint: Option<&str>,
    sid: Option<String>,
    secret: Option<String>,
) -> anyhow::Result<Choice> {
    let endpoint = endpoint.map(str::trim).filter(|e| !e.is_empty());
    match (sid, secret) {
        (Some(sid), Some(secret)) => Ok(Choice::Remote {
            endpoint: endpoint.map(str::to_owned),
            credentials: pcc::Credentials::new(sid, secret),
        }),
        (Some(_), None) => bail!(
            "{SID_VAR} is set but {SECRET_VAR} is not: set both to target Stringee, or neither to use the local sandbox"
        ),
        (None, Some(_)) => bail!(
            "{SECRET_VAR} is set but {SID_VAR} is not: set both to target Stringee, or neither to use the local sandbox"
        ),
        (None, None) => match endpoint {
            Some(endpoint) => bail!(
                "--endpoint {} needs an API key: set {SID_VAR} and {SECRET_VAR} (the local sandbox needs neither)",
                pcc::redact_url(endpoint)
            ),
            None => Ok(Choice::Sandbox),
        },
    }
}

/// A variable's value; empty counts as unset. A value that is not UTF-8 is an error of its
/// own: read as unset, a secret pasted with a stray byte would send the command to the local
/// sandbox, or blame a variable that is there.
fn var(name: &str) -> anyhow::Result<Option<String>> {
    match std::env::var(name) {
        Ok(v) => Ok(Some(v).filter(|v| !v.trim().is_empty())),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => bail!(
            "{name} is set but is not valid UTF-8 (its value is not shown): set it again to the \
             value Stringee gave, as plain text"
        ),
    }
}

/// The PCC the environment asks for, decided but not connected yet: its banner can be
/// printed first, before the spec is read, while the sandbox (which creates its state
/// directory) starts only once [`Pending::connect`] is called, after the spec was found valid.
#[derive(Debug)]
pub enum Pending {
    /// Stringee or another endpoint: the client is ready (building it needs no network).
    Remote(Target),
    /// The local sandbox, with its state file and the `--timeout` and `--max-live-objects`
    /// asked for.
    Sandbox(PathBuf, Tuning),
}

impl Pending {
    /// The line saying where the command goes; print it first, on stderr.
    pub fn banner(&self) -> String {
        match self {
            Pending::Remote(target) => target.banner.clone(),
            Pending::Sandbox(state, _) => sandbox_banner(state),
        }
    }

    /// The key saved plans made against this target are authenticated with
    /// ([`Target::plan_key`]), known before connecting.
    pub fn plan_key(&self) -> &[u8] {
        match self {
            Pending::Remote(target) => target.plan_key(),
            Pending::Sandbox(..) => SANDBOX_PLAN_KEY,
        }
    }

    /// Connects: for the sandbox, takes its lock for `access` and starts it (creating its
    /// state directory).
    pub async fn connect(self, access: Access) -> anyhow::Result<Target> {
        match self {
            Pending::Remote(target) => Ok(target),
            Pending::Sandbox(state, tuning) => sandbox(&state, tuning, access).await,
        }
    }
}

/// Decides, as the environment and `--endpoint` say: Stringee with `STRINGEE_API_KEY_SID` and
/// `STRINGEE_API_KEY_SECRET`, another endpoint with `--endpoint` too, else the local sandbox in
/// the working directory. Starts nothing.
pub fn resolve(connection: &Connection) -> anyhow::Result<Pending> {
    match choose(
        connection.endpoint.as_deref(),
        var(SID_VAR)?,
        var(SECRET_VAR)?,
    )? {
        Choice::Remote {
            endpoint,
            credentials,
        } => remote(endpoint.as_deref(), credentials, connection.into()).map(Pending::Remote),
        Choice::Sandbox => Ok(Pending::Sandbox(
            PathBuf::from(SANDBOX_STATE),
            connection.into(),
        )),
    }
}

/// [`resolve`], then [`Pending::connect`]. Call it inside the command's tokio runtime: the
/// sandbox runs there.
pub async fn connect(connection: &Connection, access: Access) -> anyhow::Result<Target> {
    resolve(connection)?.connect(access).await
}

/// `--timeout` and `--max-live-objects` applied to a client configuration: the request
/// timeout, and the connect timeout never longer than it; the caps of one read.
fn tuned(mut config: pcc::Config, tuning: &Tuning) -> pcc::Config {
    if let Some(timeout) = tuning.timeout {
        config.timeout = timeout;
        config.connect_timeout = timeout.min(CONNECT_TIMEOUT);
    }
    if let Some(objects) = tuning.max_live_objects {
        config.limits = pcc::Limits::with_objects(objects);
    }
    config
}

/// What a command asks of its client beyond where it connects.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tuning {
    /// `--timeout`.
    pub timeout: Option<Duration>,
    /// `--max-live-objects`.
    pub max_live_objects: Option<u64>,
}

impl From<&Connection> for Tuning {
    fn from(connection: &Connection) -> Tuning {
        Tuning {
            timeout: connection.timeout,
            max_live_objects: connection.max_live_objects,
        }
    }
}

fn remote(
    endpoint: Option<&str>,
    credentials: pcc::Credentials,
    tuning: Tuning,
) -> anyhow::Result<Target> {
    let hint = credentials.sid_hint();
    let plan_key = credentials.derive_key(PLAN_KEY_PURPOSE).to_vec();
    let config = match endpoint {
        Some(url) => pcc::Config::with_endpoint(url, credentials),
        None => pcc::Config::stringee(credentials),
    };
    let config = tuned(config, &tuning);
    let client = pcc::Client::new(config)?;
    let banner = format!("target: {} (key {hint})", client.pcc_url());
    Ok(Target {
        client,
        banner,
        plan_key,
        sandbox: None,
        lock: None,
    })
}

/// The local sandbox: an emulator on a loopback port, its state in `state`, reachable only
/// with an API key made up for this process. Fails at once, with no write, when another
/// command holds the sandbox in a way `access` cannot share.
pub async fn sandbox(state: &Path, tuning: Tuning, access: Access) -> anyhow::Result<Target> {
    if let Some(dir) = state.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the sandbox directory {}", dir.display()))?;
        // Like other tools' caches: the directory ignores itself, so a sandbox is never
        // committed by accident.
        let ignore = dir.join(".gitignore");
        if !ignore.exists() {
            std::fs::write(&ignore, "*\n")
                .with_context(|| format!("cannot write {}", ignore.display()))?;
        }
    }
    let lock = lock_sandbox(state, access)?;
    let sid = format!("SK{}", random_token(30));
    let secret = random_token(40);
    let config = emulator::Config {
        state: Some(PathBuf::from(state)),
        project_id: SANDBOX_PROJECT_ID,
        ..emulator::Config::new(vec![emulator::ApiKey {
            sid: sid.clone(),
            secret: secret.clone(),
        }])
    };
    let emulator = emulator::spawn(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config)
        .await
        .with_context(|| {
            // A damaged file, or one a newer switchboard wrote: the sandbox is a scratch
            // project, so starting it again is the way out.
            let dir = state.parent().unwrap_or(state);
            format!(
                "cannot start the local sandbox ({}; delete {} to start again from an empty \
                 project)",
                state.display(),
                dir.display()
            )
        })?;
    let client = pcc::Client::new(tuned(
        pcc::Config::with_endpoint(&emulator.url(), pcc::Credentials::new(sid, secret)),
        &tuning,
    ))?;
    Ok(Target {
        client,
        banner: sandbox_banner(state),
        plan_key: SANDBOX_PLAN_KEY.to_vec(),
        sandbox: Some(emulator),
        lock: Some(lock),
    })
}

/// Takes the lock beside `state` (`sandbox.lock`): shared to read, exclusive to write. The
/// operating system releases it when the process ends, however it ends.
fn lock_sandbox(state: &Path, access: Access) -> anyhow::Result<File> {
    let path = state.with_extension("lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open the sandbox lock {}", path.display()))?;
    let taken = match access {
        Access::Read => file.try_lock_shared(),
        Access::Write => file.try_lock(),
    };
    match taken {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => bail!(
            "the local sandbox ({}) is in use by another switchboard command in this \
             directory: plan, drift and export may run together, apply runs alone; run this \
             again when it has finished",
            state.display()
        ),
        Err(TryLockError::Error(err)) => {
            Err(err).with_context(|| format!("cannot lock the sandbox {}", path.display()))
        }
    }
}

fn sandbox_banner(state: &Path) -> String {
    format!(
        "target: local sandbox ({}) — set {SID_VAR} and {SECRET_VAR} to target Stringee",
        state.display()
    )
}

fn random_token(len: usize) -> String {
    (0..len).map(|_| fastrand::alphanumeric()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Option<String> {
        Some(v.to_owned())
    }

    #[test]
    fn both_variables_target_stringee_or_the_endpoint() {
        assert_eq!(
            choose(None, s("SKabc"), s("secret")).unwrap(),
            Choice::Remote {
                endpoint: None,
                credentials: pcc::Credentials::new("SKabc", "secret"),
            }
        );
        assert_eq!(
            choose(Some("http://127.0.0.1:9"), s("SKabc"), s("secret")).unwrap(),
            Choice::Remote {
                endpoint: s("http://127.0.0.1:9"),
                credentials: pcc::Credentials::new("SKabc", "secret"),
            }
        );
    }

    #[test]
    fn nothing_set_means_the_sandbox() {
        assert_eq!(choose(None, None, None).unwrap(), Choice::Sandbox);
        assert_eq!(choose(Some("  "), None, None).unwrap(), Choice::Sandbox);
    }

    #[test]
    fn one_variable_alone_names_the_missing_one() {
        let err = choose(None, s("SKabc"), None).unwrap_err().to_string();
        assert!(
            err.starts_with("STRINGEE_API_KEY_SID is set but STRINGEE_API_KEY_SECRET is not"),
            "{err}"
        );
        let err = choose(None, None, s("secret")).unwrap_err().to_string();
        assert!(
            err.starts_with("STRINGEE_API_KEY_SECRET is set but STRINGEE_API_KEY_SID is not"),
            "{err}"
        );
        assert!(
            !err.contains("secret\n") && !err.contains(": secret"),
            "{err}"
        );
    }

    #[test]
    fn endpoint_without_a_key_says_what_to_set() {
        let err = choose(Some("https://pcc.example.com"), None, None)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "--endpoint https://pcc.example.com needs an API key: set STRINGEE_API_KEY_SID and STRINGEE_API_KEY_SECRET (the local sandbox needs neither)"
        );
        let err = choose(Some("https://user:hunter2@pcc.example.com"), None, None)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("--endpoint https://***@pcc.example.com needs"),
            "{err}"
        );
    }

    #[test]
    fn remote_banner_shows_the_endpoint_and_a_shortened_sid_only() {
        let target = remote(
            None,
            pcc::Credentials::new("SKfulltestsid12345abc", "hunter2"),
            Tuning::default(),
        )
        .unwrap();
        assert_eq!(
            target.banner(),
            "target: https://icc-api.stringee.com (key SK…abc)"
        );
        assert!(!target.is_sandbox());
        let debug = format!("{target:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        let target = remote(
            Some("http://127.0.0.1:8080/"),
            pcc::Credentials::new("SKfulltestsid12345abc", "hunter2"),
            Tuning::default(),
        )
        .unwrap();
        assert_eq!(
            target.banner(),
            "target: http://127.0.0.1:8080 (key SK…abc)"
        );
    }

    #[tokio::test]
    async fn the_sandbox_keeps_its_state_in_the_working_directory_file() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join(".switchboard/sandbox.db");
        let target = sandbox(&state, Tuning::default(), Access::Write)
            .await
            .unwrap();
        assert!(target.is_sandbox());
        assert_eq!(
            target.banner(),
            format!(
                "target: local sandbox ({}) — set STRINGEE_API_KEY_SID and STRINGEE_API_KEY_SECRET to target Stringee",
                state.display()
            )
        );
        assert!(target.client().pcc_url().starts_with("http://127.0.0.1:"));
        target
            .client()
            .create::<pcc::wire::Group>(&pcc::wire::GroupBody {
                name: "sales".into(),
            })
            .await
            .unwrap();
        target.shutdown().await;
        assert!(state.exists());
        assert_eq!(
            std::fs::read_to_string(dir.path().join(".switchboard/.gitignore")).unwrap(),
            "*\n"
        );

        // A second process (another key, another port) sees what the first one wrote.
        let again = sandbox(&state, Tuning::default(), Access::Write)
            .await
            .unwrap();
        let groups = again
            .client()
            .list_all::<pcc::wire::Group>(None)
            .await
            .unwrap();
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].name.as_deref(), Some("sales"));
        again.shutdown().await;
    }

    #[test]
    fn a_bad_endpoint_is_reported() {
        let err = remote(
            Some("not a url"),
            pcc::Credentials::new("SKabc", "x"),
            Tuning::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("not a url"), "{err}");
    }
}
