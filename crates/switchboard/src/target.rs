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
/// The account SID variable (`AC…`): with [`ACCOUNT_SECRET_VAR`], the account key the PCC
/// wiring is checked and set with.
pub const ACCOUNT_SID_VAR: &str = "STRINGEE_ACCOUNT_SID";
/// The account key's secret variable.
pub const ACCOUNT_SECRET_VAR: &str = "STRINGEE_ACCOUNT_KEY_SECRET";
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
    /// The account API, for the PCC wiring, or why the wiring is not checked.
    account: Result<pcc::Account, String>,
    /// The secrets of the keys in use: hidden in whatever a hostile answer echoes of them.
    secrets: Vec<String>,
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

    /// The account API's client, through which the PCC wiring is checked and set; or, when
    /// there is none (no account key), the sentence that says so.
    pub fn account(&self) -> Result<&pcc::Account, &str> {
        self.account.as_ref().map_err(String::as_str)
    }

    /// The secrets of the API key and the account key: never shown, even when an answer
    /// holds one (a URL the account holds, say); callers hide them as they hide the spec's.
    pub fn secrets(&self) -> &[String] {
        &self.secrets
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

/// The account key from its two variables (empty counts as unset): both or neither. Given
/// with no API key, it is refused: the account key checks a project's wiring, and the local
/// sandbox (what no API key means) has an account of its own.
fn choose_account(
    sid: Option<String>,
    secret: Option<String>,
    has_api_key: bool,
) -> anyhow::Result<Option<pcc::Credentials>> {
    match (sid, secret) {
        (Some(_), None) => bail!(
            "{ACCOUNT_SID_VAR} is set but {ACCOUNT_SECRET_VAR} is not: set both to check the PCC \
             wiring, or neither"
        ),
        (None, Some(_)) => bail!(
            "{ACCOUNT_SECRET_VAR} is set but {ACCOUNT_SID_VAR} is not: set both to check the PCC \
             wiring, or neither"
        ),
        (Some(_), Some(_)) if !has_api_key => bail!(
            "{ACCOUNT_SID_VAR} is set but {SID_VAR} is not: the account key checks the wiring of \
             the project an API key is for; set {SID_VAR} and {SECRET_VAR} too, or unset the \
             account key to use the local sandbox"
        ),
        (Some(sid), Some(secret)) => Ok(Some(pcc::Credentials::new(sid, secret))),
        (None, None) => Ok(None),
    }
}

/// Why the wiring is not checked when no account key is set.
fn no_account_key() -> String {
    format!(
        "set {ACCOUNT_SID_VAR} and {ACCOUNT_SECRET_VAR} (the account key) to check that the \
         project and its numbers send their calls to PCC"
    )
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
    let choice = choose(
        connection.endpoint.as_deref(),
        var(SID_VAR)?,
        var(SECRET_VAR)?,
    )?;
    let account = choose_account(
        var(ACCOUNT_SID_VAR)?,
        var(ACCOUNT_SECRET_VAR)?,
        matches!(choice, Choice::Remote { .. }),
    )?;
    match choice {
        Choice::Remote {
            endpoint,
            credentials,
        } => {
            let endpoints = Endpoints {
                pcc: endpoint.as_deref(),
                call_api: connection
                    .call_api_endpoint
                    .as_deref()
                    .map(str::trim)
                    .filter(|e| !e.is_empty()),
            };
            // Before any client exists: a refused endpoint never gets a connection.
            for (flag, url, carries) in [
                ("--endpoint", endpoints.pcc, "the API token"),
                (
                    "--call-api-endpoint",
                    endpoints.call_api,
                    "the API token and the account token",
                ),
            ] {
                if let Some(url) = url {
                    ensure_encrypted(flag, url, carries, connection.allow_insecure_http)?;
                }
            }
            remote(endpoints, credentials, account, connection.into()).map(Pending::Remote)
        }
        Choice::Sandbox
            if connection
                .call_api_endpoint
                .as_deref()
                .is_some_and(|e| !e.trim().is_empty()) =>
        {
            bail!(
                "--call-api-endpoint needs an API key: set {SID_VAR} and {SECRET_VAR} (the local \
             sandbox needs neither)"
            )
        }
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

/// The flag that lets a plain `http://` endpoint reach another machine.
const ALLOW_INSECURE_FLAG: &str = "--allow-insecure-http";
/// Its variable.
const ALLOW_INSECURE_VAR: &str = "SWITCHBOARD_ALLOW_INSECURE_HTTP";

/// Refuses `url`, given as `flag`, when it is plain `http://` to a host other than this
/// machine, unless `allowed` (`--allow-insecure-http`): every request carries a bearer token
/// (`carries`), which plain http hands to anyone on the path. With `allowed`, says so on
/// standard error instead.
fn ensure_encrypted(flag: &str, url: &str, carries: &str, allowed: bool) -> anyhow::Result<()> {
    if !is_plain_http(url) || is_loopback_http(url) {
        return Ok(());
    }
    if allowed {
        crate::output::eprintln(format_args!(
            "warning: {flag} {} is plain http to another machine ({ALLOW_INSECURE_FLAG}): \
             {carries} will cross the network unencrypted",
            pcc::redact_url(url)
        ));
        return Ok(());
    }
    bail!(
        "{flag} {} is plain http to another machine: {carries} would cross the network \
         unencrypted, readable by anyone on the way, so nothing was sent. Use https://; plain \
         http:// is taken only to this machine (127.0.0.1, ::1, localhost). For an emulator in another \
         container on a private network, give {ALLOW_INSECURE_FLAG} (or set \
         {ALLOW_INSECURE_VAR}=1)",
        pcc::redact_url(url)
    )
}

/// The URL as an HTTP client reads it: the WHATWG parser drops tabs and newlines anywhere
/// and the spaces and controls at either end, so `ht\ttp://` is `http://`. Judging the text
/// any other way would let a URL that looks like something else through.
fn as_parsed(url: &str) -> String {
    url.chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .trim_matches(|c: char| c <= ' ')
        .to_owned()
}

/// True when `url`'s scheme is `http`, in any case (`HTTP:`, `http:host` without slashes).
fn is_plain_http(url: &str) -> bool {
    as_parsed(url)
        .split_once(':')
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("http"))
}

/// True when `url` is exactly `http://HOST[:PORT][/…]` whose host is this machine: an IPv4
/// address of 127.0.0.0/8 in its dotted form, `::1` (or an IPv4-mapped loopback) in brackets,
/// or `localhost`. Anything odd (a backslash, text after the brackets, a host in another
/// spelling) is not taken for loopback, whatever a parser would make of it.
fn is_loopback_http(url: &str) -> bool {
    let url = as_parsed(url);
    let Some(rest) = url
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("http://"))
        .map(|_| &url[7..])
    else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('\\') {
        return false;
    }
    // As URL parsers read it, the host follows the last `@` (a password before it is the
    // client's to refuse, with its own message).
    let authority = authority.rsplit('@').next().unwrap_or("");
    let (host, port) = match authority.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((host, "")) => (host, None),
            Some((host, after)) => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return false,
            },
            None => return false,
        },
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    if port.is_some_and(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    if authority.starts_with('[') {
        return host.parse::<std::net::Ipv6Addr>().is_ok_and(|ip| {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        });
    }
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// `--endpoint` and `--call-api-endpoint`, as given.
#[derive(Clone, Copy, Debug, Default)]
struct Endpoints<'a> {
    pcc: Option<&'a str>,
    call_api: Option<&'a str>,
}

fn remote(
    endpoints: Endpoints<'_>,
    credentials: pcc::Credentials,
    account: Option<pcc::Credentials>,
    tuning: Tuning,
) -> anyhow::Result<Target> {
    let hint = credentials.sid_hint();
    let plan_key = credentials.derive_key(PLAN_KEY_PURPOSE).to_vec();
    let mut secrets = vec![credentials.secret.expose().to_owned()];
    if let Some(account) = &account {
        secrets.push(account.secret.expose().to_owned());
    }
    // Whatever echoes them (an answer quoted in an error, a URL read live) prints
    // `(sensitive)` instead.
    crate::output::hide(secrets.iter().cloned());
    let mut config = match endpoints.pcc {
        Some(url) => pcc::Config::with_endpoint(url, credentials),
        None => pcc::Config::stringee(credentials),
    };
    if let Some(url) = endpoints.call_api {
        config.call_api_url = url.trim_end_matches('/').to_owned();
    }
    let config = tuned(config, &tuning);
    let client = pcc::Client::new(config.clone())?;
    let mut banner = format!("target: {} (key {hint}", client.pcc_url());
    let account = match account {
        // The account API is on the Call API host, which another endpoint does not imply:
        // sent to PCC's address, an account call would be answered by PCC (or an emulator's
        // PCC side), not by the account.
        Some(_) if endpoints.pcc.is_some() && endpoints.call_api.is_none() => bail!(
            "{ACCOUNT_SID_VAR} is set and --endpoint is given, but not --call-api-endpoint: \
             give the Call API's address too (the account API the wiring is checked through \
             is there), or unset the account key"
        ),
        Some(account) => {
            banner.push_str(&format!("; account {}", account.sid_hint()));
            Ok(pcc::Account::new(&config.call_api_url, account, &config)?)
        }
        None => Err(no_account_key()),
    };
    banner.push(')');
    Ok(Target {
        client,
        banner,
        plan_key,
        sandbox: None,
        lock: None,
        account,
        secrets,
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
    // The sandbox's account, made up like its API key: its wiring is checked as Stringee's.
    let account_sid = format!("AC{}", random_token(30));
    let account_secret = random_token(40);
    let config = emulator::Config {
        state: Some(PathBuf::from(state)),
        project_id: SANDBOX_PROJECT_ID,
        account_keys: vec![emulator::ApiKey {
            sid: account_sid.clone(),
            secret: account_secret.clone(),
        }],
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
    let config = tuned(
        pcc::Config::with_endpoint(&emulator.url(), pcc::Credentials::new(sid, secret)),
        &tuning,
    );
    let client = pcc::Client::new(config.clone())?;
    let secrets = vec![
        config.credentials.secret.expose().to_owned(),
        account_secret.clone(),
    ];
    let account = pcc::Account::new(
        &emulator.call_api_url(),
        pcc::Credentials::new(account_sid, account_secret),
        &config,
    )?;
    Ok(Target {
        client,
        banner: sandbox_banner(state),
        plan_key: SANDBOX_PLAN_KEY.to_vec(),
        sandbox: Some(emulator),
        lock: Some(lock),
        account: Ok(account),
        secrets,
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

    #[test]
    fn plain_http_is_taken_only_to_this_machine() {
        let check = |url: &str, allowed: bool| {
            ensure_encrypted("--endpoint", url, "the API token", allowed).map_err(|e| e.to_string())
        };
        for url in [
            "http://127.0.0.1:8080",
            "http://127.9.8.7/prefix",
            "HTTP://LOCALHOST:1/x",
            "http://localhost",
            "http://[::1]:80/",
            "http://[::ffff:127.0.0.1]",
            // The client refuses the password itself, with its own message.
            "http://ops:pw@127.0.0.1:8080",
            " http://127.0.0.1:8080 ",
            "https://pcc.example.com",
            "https://10.0.0.1:8443",
        ] {
            assert_eq!(check(url, false), Ok(()), "{url}");
        }
        // What an HTTP client would send to another host, spelt every way a check by eye
        // would miss: the case of the scheme, a tab it drops, an address of another form,
        // a loopback name as a prefix, a user name before the host, a backslash.
        for url in [
            "http://pcc.example.com",
            "HTTP://pcc.example.com",
            "ht\ttp://pcc.example.com",
            "http:pcc.example.com",
            " http://10.0.0.5:8080",
            "http://127.0.0.1.evil.example",
            "http://localhost.evil.example",
            "http://127.0.0.1@evil.example",
            "http://127.0.0.1:80@evil.example/",
            "http://evil.example\\@127.0.0.1",
            "http://127.0.0.1\\@evil.example",
            "http://[::2]",
            "http://[::1",
            "http://[::1].evil.example",
            "http://0x7f.0.0.1",
            "http://2130706433",
            "http://127.0.0.1:x",
        ] {
            let err = check(url, false).unwrap_err();
            assert!(
                err.contains("is plain http to another machine")
                    && err.contains(
                        "give --allow-insecure-http (or set \
                                     SWITCHBOARD_ALLOW_INSECURE_HTTP=1)"
                    ),
                "{url}: {err}"
            );
            assert_eq!(check(url, true), Ok(()), "{url}");
        }
        // A password in the URL is never in the message.
        let err = check("http://ops:pa55word@pcc.example.com", false).unwrap_err();
        assert!(
            !err.contains("pa55word") && err.contains("http://***@pcc.example.com"),
            "{err}"
        );
    }

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
    fn the_account_key_is_both_variables_or_neither_and_only_with_an_api_key() {
        assert_eq!(choose_account(None, None, true).unwrap(), None);
        assert_eq!(choose_account(None, None, false).unwrap(), None);
        assert_eq!(
            choose_account(s("ACabc"), s("acct-secret"), true).unwrap(),
            Some(pcc::Credentials::new("ACabc", "acct-secret"))
        );
        let err = choose_account(s("ACabc"), None, true)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "STRINGEE_ACCOUNT_SID is set but STRINGEE_ACCOUNT_KEY_SECRET is not: set both to \
             check the PCC wiring, or neither"
        );
        let err = choose_account(None, s("acct-secret"), true)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "STRINGEE_ACCOUNT_KEY_SECRET is set but STRINGEE_ACCOUNT_SID is not: set both to \
             check the PCC wiring, or neither"
        );
        let err = choose_account(s("ACabc"), s("acct-secret"), false)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("STRINGEE_ACCOUNT_SID is set but STRINGEE_API_KEY_SID is not"),
            "{err}"
        );
        assert!(!err.contains("acct-secret"), "{err}");
    }

    #[test]
    fn the_account_api_needs_the_call_api_address_with_another_endpoint() {
        let account = || {
            Some(pcc::Credentials::new(
                "ACfullaccountsid0000xyz",
                "acct-secret",
            ))
        };
        let err = remote(
            Endpoints {
                pcc: Some("http://127.0.0.1:8080"),
                call_api: None,
            },
            pcc::Credentials::new("SKabc", "x"),
            account(),
            Tuning::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with(
                "STRINGEE_ACCOUNT_SID is set and --endpoint is given, but not \
                 --call-api-endpoint"
            ),
            "{err}"
        );
        let target = remote(
            Endpoints {
                pcc: Some("http://127.0.0.1:8080"),
                call_api: Some("http://127.0.0.1:8081/"),
            },
            pcc::Credentials::new("SKfulltestsid12345abc", "x"),
            account(),
            Tuning::default(),
        )
        .unwrap();
        assert_eq!(
            target.banner(),
            "target: http://127.0.0.1:8080 (key SK…abc; account AC…xyz)"
        );
        assert!(target.account().is_ok());
        assert!(!format!("{target:?}").contains("acct-secret"));
        // Stringee itself: the account API is on the Call API host.
        let target = remote(
            Endpoints::default(),
            pcc::Credentials::new("SKabc", "x"),
            account(),
            Tuning::default(),
        )
        .unwrap();
        assert!(target.account().is_ok());
        let target = remote(
            Endpoints::default(),
            pcc::Credentials::new("SKabc", "x"),
            None,
            Tuning::default(),
        )
        .unwrap();
        assert_eq!(
            target.account().unwrap_err(),
            "set STRINGEE_ACCOUNT_SID and STRINGEE_ACCOUNT_KEY_SECRET (the account key) to \
             check that the project and its numbers send their calls to PCC"
        );
        // A bad Call API address is refused like a bad endpoint, without its credentials.
        let err = remote(
            Endpoints {
                pcc: Some("http://127.0.0.1:8080"),
                call_api: Some("http://user:hunter2@127.0.0.1:8081"),
            },
            pcc::Credentials::new("SKabc", "x"),
            account(),
            Tuning::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("Call API endpoint"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
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
            Endpoints::default(),
            pcc::Credentials::new("SKfulltestsid12345abc", "hunter2"),
            None,
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
            Endpoints {
                pcc: Some("http://127.0.0.1:8080/"),
                call_api: None,
            },
            pcc::Credentials::new("SKfulltestsid12345abc", "hunter2"),
            None,
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
            Endpoints {
                pcc: Some("not a url"),
                call_api: None,
            },
            pcc::Credentials::new("SKabc", "x"),
            None,
            Tuning::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("not a url"), "{err}");
    }
}
