//! Credentials inside values: which parts of a URL are secret, and how they are shown.
//!
//! A URL's credentials are its userinfo (`https://user:pass@host`), the values of query and
//! fragment parameters whose names say secret (`?token=`, `api_key=`, `X-Amz-Signature=`,
//! `sig=`, `password=`...), and the secret path segments of webhook URLs (Slack's
//! `hooks.slack.com/services/T…/B…/SECRET`, Discord's, Microsoft Teams', and any long random
//! segment). Each is shown as `(sensitive:1a2b3c4d)`, the first 8 hex digits of the SHA-256
//! of what it hides, so that a change to a token is still a visible change.
//!
//! [`redact`] finds URLs in any text (a prompt, a PCC error message, a whole output);
//! [`redact_url`] redacts one value that is a URL. [`Sensitive`] is a value of the model that
//! may hold credentials (the webhook URLs): the real value in memory, for the planner to
//! compare and the executor to write; shown redacted everywhere; saved as its redacted form
//! and a SHA-256 digest, never as itself.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// A value that may hold credentials (a webhook URL with a token in it).
///
/// - It is compared by the SHA-256 of the real value: two values are equal when their real
///   values are, whether the real value is known or only its digest.
/// - `Display` and `Debug` show it with its credentials redacted ([`redact_url`]): a change of
///   token shows as a change of `(sensitive:…)` marks.
/// - It serializes as the real value when it holds no credential, else as
///   `{"redacted": "<shown>", "sha256": "<hex of the real value>"}`, so that a saved plan and
///   a fingerprint cover the real value without holding it. Read back from that form, its
///   real value is unknown ([`Sensitive::expose`] is `None`) until [`Sensitive::fill`] finds
///   it where the plan took it from.
#[derive(Clone)]
pub struct Sensitive {
    real: Option<String>,
    shown: String,
    sha256: String,
    /// The value holds a credential.
    sensitive: bool,
    /// The `${secret.NAME}` values substituted into it, longest first: each is shown as
    /// [`SECRET`] wherever it occurs, whatever it looks like.
    masks: Vec<String>,
}

impl Sensitive {
    /// A value, with its credentials found.
    pub fn new(value: impl Into<String>) -> Sensitive {
        let real = value.into();
        let redacted = redact_url(&real);
        Sensitive {
            sha256: hex(&Sha256::digest(real.as_bytes())),
            sensitive: redacted.is_some(),
            shown: redacted.unwrap_or_else(|| real.clone()),
            real: Some(real),
            masks: Vec::new(),
        }
    }

    /// A value into which the spec substituted `secrets` (`${secret.NAME}`): sensitive
    /// whatever it looks like, each secret shown as [`SECRET`], and the rest redacted as
    /// [`Sensitive::new`] does. Empty secrets are ignored (an empty secret is a spec error).
    pub fn with_secrets(value: impl Into<String>, secrets: &[&str]) -> Sensitive {
        let mut out = Sensitive::new(value);
        let mut masks: Vec<String> = secrets
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| (*s).to_owned())
            .collect();
        if masks.is_empty() {
            return out;
        }
        // Longest first, so that a secret holding another is hidden whole.
        masks.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        masks.dedup();
        out.masks = masks;
        out.sensitive = true;
        out.shown = out.shown_redacted();
        out
    }

    /// Hides each of `secrets` that occurs in the real value, as [`Sensitive::with_secrets`]
    /// does: for a value read live, which may hold the spec's secrets (the token PCC holds
    /// now) where nothing else would redact them.
    pub fn hide(&mut self, secrets: &[String]) {
        let Some(real) = &self.real else { return };
        let found: Vec<&str> = secrets
            .iter()
            .filter(|s| !s.is_empty() && real.contains(s.as_str()))
            .map(String::as_str)
            .collect();
        if found.is_empty() {
            return;
        }
        let mut all: Vec<&str> = self.masks.iter().map(String::as_str).collect();
        all.extend(found);
        let hidden = Sensitive::with_secrets(real.clone(), &all);
        *self = hidden;
    }

    /// True when a `${secret.NAME}` was substituted into the value.
    pub fn has_secrets(&self) -> bool {
        !self.masks.is_empty()
    }

    /// True when the value holds a credential (it shows otherwise than it is).
    pub fn is_sensitive(&self) -> bool {
        self.sensitive
    }

    /// The value as shown: its credentials redacted.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The real value, for the request that writes it (and for `--show-sensitive`); `None`
    /// when only its digest is known (read back from a saved plan).
    pub fn expose(&self) -> Option<&str> {
        self.real.as_deref()
    }

    /// Lower-case hex SHA-256 of the real value.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Takes `real` as the value when it is the one this value's digest was made from;
    /// answers whether it was.
    pub fn fill(&mut self, real: &str) -> bool {
        if hex(&Sha256::digest(real.as_bytes())) != self.sha256 {
            return false;
        }
        self.real = Some(real.to_owned());
        true
    }

    /// Takes `other`'s real value, and the secrets it hides, when it is the value this one's
    /// digest was made from; answers whether it was. How a saved plan's value is filled in
    /// from the spec: the secrets stay hidden wherever the filled value is shown.
    pub fn fill_from(&mut self, other: &Sensitive) -> bool {
        let Some(real) = other.expose() else {
            return false;
        };
        if !self.fill(real) {
            return false;
        }
        if !other.masks.is_empty() {
            self.masks = other.masks.clone();
            self.sensitive = true;
            self.shown = self.shown_redacted();
        }
        true
    }

    /// The same value, shown as it is (`--show-sensitive`, on a terminal): for rendering
    /// only, it still saves redacted. A value whose real value is unknown stays redacted.
    pub fn revealed(&self) -> Sensitive {
        let mut out = self.clone();
        if let Some(real) = &self.real {
            out.shown = real.clone();
        }
        out
    }

    /// What is saved as `redacted`: the redacted form, even of a revealed value.
    fn shown_redacted(&self) -> String {
        match &self.real {
            Some(real) => {
                let masked = mask(real, &self.masks);
                redact_url(&masked).unwrap_or_else(|| masked.into_owned())
            }
            None => self.shown.clone(),
        }
    }
}

impl From<&str> for Sensitive {
    fn from(value: &str) -> Sensitive {
        Sensitive::new(value)
    }
}

impl From<String> for Sensitive {
    fn from(value: String) -> Sensitive {
        Sensitive::new(value)
    }
}

impl PartialEq for Sensitive {
    fn eq(&self, other: &Self) -> bool {
        self.sha256 == other.sha256
    }
}

impl Eq for Sensitive {}

impl fmt::Display for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the real value: models and plans are debug-printed in errors and tests.
        f.debug_tuple("Sensitive")
            .field(&self.shown_redacted())
            .finish()
    }
}

/// The saved form of a value that holds a credential.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Saved {
    redacted: String,
    sha256: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum SavedOrPlain {
    Plain(String),
    Saved(Saved),
}

impl Serialize for Sensitive {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.real {
            Some(real) if !self.sensitive => serializer.serialize_str(real),
            _ => Saved {
                redacted: self.shown_redacted(),
                sha256: self.sha256.clone(),
            }
            .serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Sensitive {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match SavedOrPlain::deserialize(deserializer)? {
            SavedOrPlain::Plain(value) => Ok(Sensitive::new(value)),
            SavedOrPlain::Saved(Saved { redacted, sha256 }) => {
                if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(serde::de::Error::custom(
                        "a sensitive value's sha256 must be 64 hex digits",
                    ));
                }
                Ok(Sensitive {
                    real: None,
                    shown: redacted,
                    sha256: sha256.to_ascii_lowercase(),
                    sensitive: true,
                    masks: Vec::new(),
                })
            }
        }
    }
}

/// How a `${secret.NAME}` value is shown, wherever it is: no digest of it, since a secret may
/// be short enough to guess from one.
pub const SECRET: &str = "(sensitive)";

/// `text` with every occurrence of each of `secrets` (longest first, none empty) replaced by
/// [`SECRET`].
pub fn mask<'t>(text: &'t str, secrets: &[String]) -> Cow<'t, str> {
    let mut out = Cow::Borrowed(text);
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), SECRET));
        }
    }
    out
}

/// What a redacted part starts with; a part that already does is left as it is, so that
/// redacting twice changes nothing.
pub const MARK: &str = "(sensitive";

/// How a redacted part is shown: `(sensitive:` the first 8 hex digits of its SHA-256 `)`.
pub fn mark(secret: &str) -> String {
    format!("{MARK}:{})", &hex(&Sha256::digest(secret.as_bytes()))[..8])
}

/// True for a part that hides nothing: empty, already redacted (`(sensitive…`), masked by
/// whoever wrote it (`***`), or a `${secret.NAME}` placeholder.
fn is_masked(part: &str) -> bool {
    part.is_empty()
        || part.starts_with(MARK)
        || part.chars().all(|c| c == '*')
        // A placeholder `switchboard render` writes in a secret's place.
        || (part.starts_with("${secret.") && part.ends_with('}') && !part[1..].contains('$'))
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Every URL in `text` with its credentials redacted. A URL starts with a scheme and `://`
/// and ends at whitespace, a quote, an angle bracket, a backtick or a backslash.
pub fn redact(text: &str) -> Cow<'_, str> {
    let found = redactions(text);
    if found.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for (range, redacted) in found {
        out.push_str(&text[done..range.start]);
        out.push_str(&redacted);
        done = range.end;
    }
    out.push_str(&text[done..]);
    Cow::Owned(out)
}

/// Where [`redact`] changes `text`: each URL that holds a credential, in order, with what
/// it becomes.
pub fn redactions(text: &str) -> Vec<(std::ops::Range<usize>, String)> {
    let mut found = Vec::new();
    if !text.contains("://") {
        return found;
    }
    let mut done = 0; // the end of the last URL redacted
    let mut search = 0;
    while let Some(at) = text[search..].find("://") {
        let sep = search + at;
        // The scheme: letters, digits, `+`, `-`, `.`, starting with a letter.
        let scheme_start = text[..sep]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            .last()
            .map_or(sep, |(i, _)| i);
        let scheme_start = text[scheme_start..sep]
            .find(|c: char| c.is_ascii_alphabetic())
            .map_or(sep, |i| scheme_start + i);
        let end = text[sep..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`' | '\\'))
            .map_or(text.len(), |i| sep + i);
        if scheme_start < sep
            && scheme_start >= done
            && let Some(redacted) = redact_url(&text[scheme_start..end])
        {
            found.push((scheme_start..end, redacted));
            done = end;
        }
        search = end.max(sep + 3);
    }
    found
}

/// `url` with its credentials redacted; `None` when it holds none (or is not a URL).
pub fn redact_url(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    // The authority ends where a URL parser ends it: at the first `/`, `?`, `#` or `\`. An
    // `@` after that is in the path, and the host is what it is: redacting up to a later `@`
    // would hide the real host behind one the reader would then trust.
    let authority_end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let mut out = String::with_capacity(url.len());
    let mut changed = false;
    out.push_str(scheme);
    out.push_str("://");
    let host = match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            let secret = userinfo.split_once(':').map_or(userinfo, |(_, pass)| pass);
            if userinfo.is_empty() || is_masked(secret) || is_masked(userinfo) {
                out.push_str(userinfo);
            } else {
                out.push_str(&mark(userinfo));
                changed = true;
            }
            out.push('@');
            &authority[at + 1..]
        }
        None => authority,
    };
    out.push_str(host);
    let (before_fragment, fragment) = match tail.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (tail, None),
    };
    let (path, query) = match before_fragment.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (before_fragment, None),
    };
    changed |= push_path(&mut out, host, path);
    if let Some(query) = query {
        out.push('?');
        changed |= push_params(&mut out, query);
    }
    if let Some(fragment) = fragment {
        out.push('#');
        changed |= push_params(&mut out, fragment);
    }
    changed.then_some(out)
}

/// The path, with secret segments redacted: those at the secret positions of known webhook
/// hosts, and any segment that looks like a generated token.
fn push_path(out: &mut String, host: &str, path: &str) -> bool {
    let host = host
        .rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host, |(h, _)| h)
        .to_ascii_lowercase();
    let segments: Vec<&str> = path.split('/').collect();
    // The index (in `segments`, where 0 is the empty piece before the first `/`) from which
    // every segment is secret, for hosts whose webhook URLs are bearer secrets.
    let secret_from = |prefix: &[&str]| -> Option<usize> {
        (segments.len() > prefix.len() + 1
            && segments[1..=prefix.len()]
                .iter()
                .zip(prefix)
                .all(|(s, p)| s.eq_ignore_ascii_case(p)))
        .then_some(prefix.len() + 1)
    };
    let from = if host == "hooks.slack.com" {
        // services/T…/B…/SECRET, workflows/T…/A…/…/SECRET: the ids are not secret.
        secret_from(&["services"])
            .or_else(|| secret_from(&["workflows"]))
            .or_else(|| secret_from(&["triggers"]))
            .map(|i| (i + 2).min(segments.len() - 1))
    } else if host == "discord.com" || host == "discordapp.com" || host.ends_with(".discord.com") {
        // api/webhooks/ID/TOKEN
        secret_from(&["api", "webhooks"]).map(|i| i + 1)
    } else if host.ends_with(".webhook.office.com") || host == "outlook.office.com" {
        // webhookb2/…/IncomingWebhook/SECRET/…: everything after the first segment.
        Some(2)
    } else if host == "hooks.zapier.com" {
        secret_from(&["hooks", "catch"])
    } else {
        None
    };
    let mut changed = false;
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        let secret =
            !is_masked(segment) && (from.is_some_and(|f| i >= f) || looks_generated(segment));
        if secret {
            out.push_str(&mark(segment));
            changed = true;
        } else {
            out.push_str(segment);
        }
    }
    changed
}

/// A path segment that looks like a generated token: at least 20 characters of letters,
/// digits, `-` and `_`, with letters and digits, and either both cases or 32 characters and
/// more (a UUID, a hex digest). `release-notes-2024-v2` is not one.
fn looks_generated(segment: &str) -> bool {
    let n = segment.chars().count();
    if n < 20
        || !segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return false;
    }
    let has = |f: fn(&u8) -> bool| segment.bytes().any(|b| f(&b));
    let letters = has(u8::is_ascii_alphabetic);
    let digits = has(u8::is_ascii_digit);
    let both_cases = has(u8::is_ascii_lowercase) && has(u8::is_ascii_uppercase);
    letters && digits && (both_cases || n >= 32)
}

/// `name=value` pairs separated by `&` or `;`, with the values of secret names redacted.
fn push_params(out: &mut String, params: &str) -> bool {
    let mut changed = false;
    let mut rest = params;
    loop {
        let end = rest.find(['&', ';']).unwrap_or(rest.len());
        let pair = &rest[..end];
        match pair.split_once('=') {
            Some((name, value)) if !is_masked(value) && is_secret_name(name) => {
                out.push_str(name);
                out.push('=');
                out.push_str(&mark(value));
                changed = true;
            }
            _ => out.push_str(pair),
        }
        if end == rest.len() {
            break;
        }
        out.push_str(&rest[end..=end]);
        rest = &rest[end + 1..];
    }
    changed
}

/// Words that make a parameter name secret when the name is, or has, one of them.
const SECRET_WORDS: &[&str] = &[
    "token",
    "key",
    "apikey",
    "secret",
    "signature",
    "sig",
    "password",
    "passwd",
    "pass",
    "pwd",
    "auth",
    "authorization",
    "credential",
    "credentials",
    "session",
    "sessionid",
    "jwt",
    "bearer",
    "otp",
    "private",
    "hmac",
];

/// Pieces that make a name secret wherever they are in it (`accesstoken`, `clientsecret`).
const SECRET_PIECES: &[&str] = &[
    "token",
    "secret",
    "passw",
    "apikey",
    "signature",
    "credential",
    "privatekey",
    "sessionid",
];

/// True when a parameter name says its value is secret: one of its words (split at
/// punctuation and at camelCase humps: `X-Amz-Signature`, `apiKey`, `access_token`) is a
/// secret word, or the name holds a secret piece (`accesstoken`).
pub fn is_secret_name(name: &str) -> bool {
    let decoded = crate::address::percent_decode(name).unwrap_or_else(|| name.to_owned());
    let lower = decoded.to_ascii_lowercase();
    if SECRET_PIECES.iter().any(|p| lower.contains(p)) {
        return true;
    }
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in decoded.chars() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words.iter().any(|w| SECRET_WORDS.contains(&w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_urls_are_redacted_and_the_rest_kept() {
        let cases = [
            "https://user:pass@crm.example.com/events",
            "https://ghp_abc@github.com/x",
            "https://crm.example.com/events?token=SECRETVALUE&team=sales",
            "https://crm.example.com/e?api_key=K1;apiKey=K2&X-Amz-Signature=S&sig=Z&page=2",
            "https://crm.example.com/e#access_token=T&state=s",
            "https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/abcdefABCDEF123456789012",
            "https://discord.com/api/webhooks/123456/very-secret-token",
            "https://crm.example.com/hooks/3f2a9b1c-7d4e-4f6a-9b2c-1d2e3f4a5b6c/events",
            "https://crm.example.com/release-notes-2024-v2/events?page=2",
            "https://evil.example/x@crm.example.com/",
            "http://127.0.0.1:8080/v1",
            "http://proxy:***@127.0.0.1:8080/v1?token=***",
        ];
        let out: Vec<String> = cases
            .iter()
            .map(|c| redact_url(c).unwrap_or_else(|| format!("(unchanged) {c}")))
            .collect();
        insta::assert_snapshot!(out.join("\n"), @r"
        https://(sensitive:ef4c914c)@crm.example.com/events
        https://(sensitive:dc7f123f)@github.com/x
        https://crm.example.com/events?token=(sensitive:7d39b682)&team=sales
        https://crm.example.com/e?api_key=(sensitive:badb7283);apiKey=(sensitive:6897ab3e)&X-Amz-Signature=(sensitive:8de0b3c4)&sig=(sensitive:bbeebd87)&page=2
        https://crm.example.com/e#access_token=(sensitive:e632b709)&state=s
        https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/(sensitive:1acdd41c)
        https://discord.com/api/webhooks/123456/(sensitive:01cadf39)
        https://crm.example.com/hooks/(sensitive:b9275a1f)/events
        (unchanged) https://crm.example.com/release-notes-2024-v2/events?page=2
        (unchanged) https://evil.example/x@crm.example.com/
        (unchanged) http://127.0.0.1:8080/v1
        (unchanged) http://proxy:***@127.0.0.1:8080/v1?token=***
        ");
        let all = out.join("\n");
        for secret in [
            "pass@",
            "ghp_abc",
            "SECRETVALUE",
            "=K1",
            "=K2",
            "=S&",
            "=Z&",
            "=T&",
            "abcdefABCDEF",
            "very-secret-token",
            "3f2a9b1c",
        ] {
            assert!(!all.contains(secret), "{secret} in {all}");
        }
    }

    #[test]
    fn urls_in_text_are_found_and_redacting_twice_changes_nothing() {
        let text =
            "PCC said: bad url \"https://u:p@x.example/?token=abc\"; see https://docs.example/a.";
        let once = redact(text).into_owned();
        assert!(!once.contains("u:p") && !once.contains("=abc"), "{once}");
        assert!(once.contains("https://docs.example/a."), "{once}");
        assert_eq!(redact(&once), once);
        assert!(matches!(redact("no url here"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_change_of_token_is_a_change_of_what_is_shown() {
        let a = redact_url("https://x.example/?token=one").unwrap();
        let b = redact_url("https://x.example/?token=two").unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn a_sensitive_value_never_shows_or_saves_its_credential() {
        let url = "https://user:hunter2@crm.example.com/e?token=SECRETVALUE&x=1";
        let value = Sensitive::new(url);
        assert!(value.is_sensitive());
        for shown in [
            value.to_string(),
            format!("{value:?}"),
            format!("{:?}", value.revealed()),
            serde_json::to_string(&value).unwrap(),
        ] {
            assert!(
                !shown.contains("hunter2") && !shown.contains("SECRETVALUE"),
                "{shown}"
            );
        }
        assert_eq!(value.expose(), Some(url));
        // A revealed value shows, but still saves redacted.
        assert_eq!(value.revealed().to_string(), url);
        assert!(
            !serde_json::to_string(&value.revealed())
                .unwrap()
                .contains("hunter2")
        );

        // Saved and read back: equal (by digest), the real value unknown until filled.
        let saved = serde_json::to_string(&value).unwrap();
        let mut back: Sensitive = serde_json::from_str(&saved).unwrap();
        assert_eq!(back, value);
        assert_eq!(back.expose(), None);
        assert_eq!(back.to_string(), value.to_string());
        assert!(!back.fill("https://user:hunter2@crm.example.com/e?token=OTHER&x=1"));
        assert!(back.fill(url));
        assert_eq!(back.expose(), Some(url));

        // Only the token changed: not equal, and shown otherwise.
        let other = Sensitive::new(url.replace("SECRETVALUE", "OTHERVALUE"));
        assert_ne!(other, value);
        assert_ne!(other.to_string(), value.to_string());

        // A value without a credential is itself, saved as a plain string.
        let plain = Sensitive::new("https://crm.example.com/e");
        assert!(!plain.is_sensitive());
        assert_eq!(
            serde_json::to_string(&plain).unwrap(),
            "\"https://crm.example.com/e\""
        );
        assert!(serde_json::from_str::<Sensitive>(r#"{"redacted":"x","sha256":"zz"}"#).is_err());
    }

    #[test]
    fn secret_names() {
        for name in [
            "token",
            "access_token",
            "api_key",
            "apiKey",
            "APIKEY",
            "key",
            "X-Amz-Signature",
            "sig",
            "password",
            "pass",
            "auth",
            "client_secret",
            "refreshToken",
            "x%2Dapi%2Dkey",
            "X-Amz-Credential",
            "session_id",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "page",
            "team",
            "monkey",
            "keyword",
            "state",
            "passenger",
            "limit",
            "id",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }
}
