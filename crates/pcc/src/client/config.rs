//! Where and how the client talks to PCC: [`Config`] and its defaults, and the rules a base
//! URL must meet (no credential, query or `/v1` in it; loopback never through a proxy).

use std::time::Duration;

use reqwest::Url;

use crate::auth::Credentials;
use crate::error::Error;
use crate::limits::Limits;
use crate::retry::RetryPolicy;

/// The real PCC REST host.
pub const STRINGEE_PCC_URL: &str = "https://icc-api.stringee.com";
/// The real Call API host, which serves greeting files.
pub const STRINGEE_CALL_API_URL: &str = "https://api.stringee.com";

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

/// rustls is built without a default crypto provider (the workspace picks `ring`); reqwest
/// asks for the process default, so install `ring` unless someone already installed one.
pub(super) fn install_crypto_provider() {
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

pub(super) fn parse_base(what: &str, url: &str) -> Result<Url, Error> {
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

pub(super) fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
