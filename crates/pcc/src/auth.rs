//! Credentials and the HS256 tokens PCC wants in `X-STRINGEE-AUTH`. The secret lives in
//! [`Secret`], whose `Debug` and `Display` print `***`, so it cannot reach a log line, an error
//! or a snapshot by accident; tokens are kept the same way.

use std::fmt;
use std::sync::Mutex;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use sha2::Sha256;

/// The JWT header PCC requires, byte for byte: without `cty` the real service answers 403.
pub const TOKEN_HEADER: &str = r#"{"typ":"JWT","alg":"HS256","cty":"stringee-api;v=1"}"#;

/// How long a minted token lives, in seconds (the official sample's choice).
pub const TOKEN_LIFETIME_SECS: u64 = 3600;

/// A token is replaced when less than this many seconds remain, so that a request never
/// leaves with a token that expires on the way.
pub const TOKEN_REFRESH_MARGIN_SECS: u64 = 300;

/// A string that must never be shown: `Debug` and `Display` print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself, for the one place that signs with it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A Stringee API key: the SID (public, starts with `SK`) and its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// The API key SID (`STRINGEE_API_KEY_SID`).
    pub sid: String,
    /// The API key secret (`STRINGEE_API_KEY_SECRET`).
    pub secret: Secret,
}

impl Credentials {
    /// Credentials from a SID and a secret.
    pub fn new(sid: impl Into<String>, secret: impl Into<String>) -> Credentials {
        Credentials {
            sid: sid.into(),
            secret: Secret::new(secret),
        }
    }

    /// A 32-byte key for `purpose`, derived from the secret (HMAC-SHA256 keyed with the
    /// secret, over `purpose`): switchboard authenticates what it writes (a saved plan) with
    /// it, so that only a holder of the secret can make a file it accepts. The secret itself
    /// cannot be recovered from the key.
    pub fn derive_key(&self, purpose: &str) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.secret.expose().as_bytes())
            .expect("HMAC takes keys of any length");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The SID shortened for banners: `SK…abc` (first two and last three characters).
    pub fn sid_hint(&self) -> String {
        let chars: Vec<char> = self.sid.chars().collect();
        if chars.len() <= 5 {
            return format!("{}…", chars.iter().take(2).collect::<String>());
        }
        let head: String = chars[..2].iter().collect();
        let tail: String = chars[chars.len() - 3..].iter().collect();
        format!("{head}…{tail}")
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    jti: String,
    iss: &'a str,
    exp: u64,
    rest_api: bool,
}

/// Mints a REST API token valid from `now` (unix seconds) for [`TOKEN_LIFETIME_SECS`]:
/// claims `jti` = `<SID>-<now>`, `iss` = SID, `exp`, `rest_api: true`, signed HS256 with the
/// secret.
pub fn mint_token(credentials: &Credentials, now: u64) -> Secret {
    let claims = Claims {
        jti: format!("{}-{now}", credentials.sid),
        iss: &credentials.sid,
        exp: now + TOKEN_LIFETIME_SECS,
        rest_api: true,
    };
    let payload = serde_json::to_vec(&claims).expect("claims always serialise");
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(TOKEN_HEADER),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(credentials.secret.expose().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    Secret(format!("{signing_input}.{signature}"))
}

/// The token in use, replaced when it comes within [`TOKEN_REFRESH_MARGIN_SECS`] of expiry.
#[derive(Debug, Default)]
pub struct TokenCache {
    current: Mutex<Option<(Secret, u64)>>,
}

impl TokenCache {
    /// A token valid at `now` for at least [`TOKEN_REFRESH_MARGIN_SECS`] more seconds.
    pub fn get(&self, credentials: &Credentials, now: u64) -> Secret {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        match &*current {
            Some((token, exp)) if now + TOKEN_REFRESH_MARGIN_SECS < *exp => token.clone(),
            _ => {
                let token = mint_token(credentials, now);
                *current = Some((token.clone(), now + TOKEN_LIFETIME_SECS));
                token
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_derived_key_depends_on_the_secret_and_the_purpose_and_is_not_the_secret() {
        let a = Credentials::new("SKabc", "secret-one");
        let b = Credentials::new("SKabc", "secret-two");
        let key = a.derive_key("saved plan");
        assert_eq!(key, a.derive_key("saved plan"));
        assert_ne!(key, b.derive_key("saved plan"));
        assert_ne!(key, a.derive_key("something else"));
        assert!(!key.windows(10).any(|w| w == b"secret-one"));
    }
}
