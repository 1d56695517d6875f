//! Token minting: header, claims and signature as PCC checks them, and timely re-minting.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use pcc::auth::{TOKEN_LIFETIME_SECS, TokenCache, mint_token};
use pcc::{Credentials, Secret};
use serde_json::{Value, json};
use sha2::Sha256;

/// Splits and checks a token the way the emulator and PCC do; returns (header, claims).
pub fn decode(token: &str, secret: &str) -> (Value, Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT has three parts");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
    mac.verify_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap())
        .expect("signature made with the secret");
    let header = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    (header, claims)
}

#[test]
fn token_has_the_header_claims_and_signature_pcc_checks() {
    let creds = Credentials::new("SKabc123", "top-secret");
    let token = mint_token(&creds, 1_700_000_000);
    let (header, claims) = decode(token.expose(), "top-secret");
    assert_eq!(
        header,
        json!({"typ": "JWT", "alg": "HS256", "cty": "stringee-api;v=1"})
    );
    assert_eq!(
        claims,
        json!({
            "jti": "SKabc123-1700000000",
            "iss": "SKabc123",
            "exp": 1_700_000_000u64 + 3600,
            "rest_api": true,
        })
    );
}

#[test]
fn token_signed_with_another_secret_does_not_verify() {
    let token = mint_token(&Credentials::new("SKabc123", "top-secret"), 1_700_000_000);
    let parts: Vec<&str> = token.expose().split('.').collect();
    let mut mac = Hmac::<Sha256>::new_from_slice(b"wrong-secret").unwrap();
    mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
    assert!(
        mac.verify_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap())
            .is_err()
    );
}

#[test]
fn token_is_reused_until_five_minutes_before_expiry_then_reminted() {
    let creds = Credentials::new("SKabc123", "top-secret");
    let cache = TokenCache::default();
    let t0 = 1_700_000_000;
    let first = cache.get(&creds, t0);
    assert_eq!(cache.get(&creds, t0 + 10), first, "fresh token reused");
    let late = t0 + TOKEN_LIFETIME_SECS - 301;
    assert_eq!(cache.get(&creds, late), first, "301 s left: still reused");
    let renewed = cache.get(&creds, t0 + TOKEN_LIFETIME_SECS - 300);
    assert_ne!(renewed, first, "300 s left: re-minted");
    let (_, claims) = decode(renewed.expose(), "top-secret");
    assert_eq!(claims["exp"], json!(t0 + 2 * TOKEN_LIFETIME_SECS - 300));
}

#[test]
fn secret_and_tokens_print_as_stars() {
    let creds = Credentials::new("SKabc123", "top-secret");
    let token = mint_token(&creds, 1);
    for shown in [
        format!("{creds:?}"),
        format!("{:?}", creds.secret),
        format!("{}", creds.secret),
        format!("{token:?}"),
        format!("{token}"),
    ] {
        assert!(!shown.contains("top-secret"), "{shown}");
        assert!(!shown.contains(token.expose()), "{shown}");
        assert!(shown.contains("***"), "{shown}");
    }
    assert_eq!(Secret::new("x").expose(), "x");
}

#[test]
fn sid_hint_keeps_the_prefix_and_last_three_characters() {
    assert_eq!(Credentials::new("SKabcdefxyz", "s").sid_hint(), "SK…xyz");
    assert_eq!(Credentials::new("SKab", "s").sid_hint(), "SK…");
}
