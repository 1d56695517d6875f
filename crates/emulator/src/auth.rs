//! Checks the Stringee REST token: an HS256 JWT in `X-STRINGEE-AUTH` or `?access_token=`,
//! with header `cty: "stringee-api;v=1"` and claims `iss` (a known key SID), `exp` in the
//! future and `rest_api: true`. Any failure is the same answer (403 `r:5`), so the reason is
//! only returned to the caller for logging.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::ApiKey;

/// The `cty` header every REST token must carry.
pub(crate) const CTY: &str = "stringee-api;v=1";

/// Finds the token: the header first, then the `access_token` query parameter.
pub(crate) fn token<'a>(header: Option<&'a str>, query: Option<&'a str>) -> Option<&'a str> {
    if let Some(h) = header.map(str::trim).filter(|h| !h.is_empty()) {
        return Some(h);
    }
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        // JWTs are URL-safe, so no percent-decoding is needed for a well-formed token.
        (k == "access_token" && !v.is_empty()).then_some(v)
    })
}

/// Verifies `token` against `keys` at unix time `now`, answering the SID of the key that
/// signed it; the error says why (never the secret).
pub(crate) fn verify<'k>(
    keys: &'k [ApiKey],
    token: &str,
    now: u64,
) -> Result<&'k str, &'static str> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not a JWT");
    };
    let header_json = decode_json(header).ok_or("unreadable header")?;
    if header_json.get("alg").and_then(Value::as_str) != Some("HS256") {
        return Err("alg is not HS256");
    }
    if header_json.get("cty").and_then(Value::as_str) != Some(CTY) {
        return Err("missing or wrong cty");
    }
    let claims = decode_json(payload).ok_or("unreadable payload")?;
    let iss = claims.get("iss").and_then(Value::as_str).ok_or("no iss")?;
    let key = keys.iter().find(|k| k.sid == iss).ok_or("unknown iss")?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature.trim_end_matches('='))
        .map_err(|_| "unreadable signature")?;
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key.secret.as_bytes()).map_err(|_| "unusable secret")?;
    mac.update(header.as_bytes());
    mac.update(b".");
    mac.update(payload.as_bytes());
    // `verify_slice` compares in constant time.
    mac.verify_slice(&signature).map_err(|_| "bad signature")?;
    let exp = claims.get("exp").and_then(Value::as_f64).ok_or("no exp")?;
    if exp <= now as f64 {
        return Err("expired");
    }
    if claims.get("rest_api") != Some(&Value::Bool(true)) {
        return Err("rest_api is not true");
    }
    Ok(&key.sid)
}

fn decode_json(part: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    value.is_object().then_some(value)
}
