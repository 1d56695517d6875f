//! Rate limits as Stringee documents them for its APIs: fixed windows aligned to the clock
//! (a window of `w` ms starts at `floor(now / w) * w`), one per API key and, within it, one per
//! resource family; a request beyond a window's budget is answered 429 until the window ends.
//! Every request that reaches the limiter counts in every window it belongs to, the refused
//! ones too: bouncing off a limit spends budget, as it does on services that count what
//! reaches them.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;
use crate::faults::Audience;

/// The longest window: a day.
const MAX_WINDOW_MS: u64 = 86_400_000;

/// `requests` per window of `window_ms` milliseconds, written `N/SECS` (`300/10`, `5/0.5`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests a window admits (0 refuses every request).
    pub requests: u64,
    /// The window, in milliseconds (at least 1, at most a day).
    pub window_ms: u64,
}

impl FromStr for RateLimit {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why: &str| Error::Faults(format!("rate limit `{s}`: {why}"));
        let (n, secs) = s
            .split_once('/')
            .ok_or_else(|| bad("expected N/SECS, such as 300/10 (300 requests per 10 s)"))?;
        let requests = n
            .trim()
            .parse::<u64>()
            .map_err(|_| bad("N must be a whole number of requests"))?;
        let secs = secs
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite())
            .ok_or_else(|| bad("SECS must be a number of seconds"))?;
        let window_ms = (secs * 1000.0).round();
        if !(1.0..=MAX_WINDOW_MS as f64).contains(&window_ms) {
            return Err(bad("SECS must be from 0.001 to 86400"));
        }
        Ok(RateLimit {
            requests,
            // In 1..=86_400_000, so exact.
            window_ms: window_ms as u64,
        })
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `10` for whole seconds, `0.5` otherwise.
        write!(f, "{}/{}", self.requests, self.window_ms as f64 / 1000.0)
    }
}

impl Serialize for RateLimit {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RateLimit {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The resource family of a route (`/v1/...` template) for `--rate-limit-per-kind`: PCC's
/// resources one by one, greeting files `audio`, call settings `settings`, and the account
/// API's `projects` and `account-numbers`.
pub(crate) fn family(route: &str, audience: Audience) -> &'static str {
    let resource = route
        .strip_prefix("/v1/")
        .unwrap_or(route)
        .split('/')
        .next()
        .unwrap_or_default();
    match (resource, audience) {
        ("agent", _) => "agents",
        ("group", _) => "groups",
        ("manage-agents-in-group", _) => "memberships",
        ("queue", _) => "queues",
        ("routing-call-to-groups", _) => "routings",
        ("ivrtree", _) => "trees",
        ("ivrnode", _) => "nodes",
        ("ivrkeypress", _) => "keypresses",
        ("number", Audience::Account) => "account-numbers",
        ("number", Audience::Project) => "numbers",
        ("blacklistnumber", _) => "blacklist",
        ("greetingfile", _) => "audio",
        ("callsettings", _) => "settings",
        ("project", _) => "projects",
        _ => "other",
    }
}

/// The scope of the per-key window in headers and stats.
pub(crate) const KEY_SCOPE: &str = "key";

/// Requests counted in one window.
#[derive(Clone, Copy, Debug, Default)]
struct Window {
    start_ms: u64,
    count: u64,
}

/// Every window in use, by key SID and scope.
#[derive(Debug, Default)]
pub(crate) struct Windows {
    open: HashMap<(String, &'static str), Window>,
}

/// One window as a request left it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Seen {
    /// `key`, or the resource family.
    pub(crate) scope: &'static str,
    pub(crate) limit: u64,
    pub(crate) window_ms: u64,
    /// Requests the window still admits after this one.
    pub(crate) remaining: u64,
    /// Milliseconds until the window ends (at least 1).
    pub(crate) reset_ms: u64,
    /// This request went beyond the window's budget.
    pub(crate) spent: bool,
}

/// What the limiter decided for one request: every window it was counted in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub(crate) seen: Vec<Seen>,
}

impl Windows {
    /// Forgets every count (the limits changed).
    pub(crate) fn clear(&mut self) {
        self.open.clear();
    }

    /// Counts a request of key `sid` to `family` at `now_ms` against the per-key and
    /// per-family limits that are set.
    pub(crate) fn count(
        &mut self,
        sid: &str,
        family: &'static str,
        per_key: Option<RateLimit>,
        per_kind: Option<RateLimit>,
        now_ms: u64,
    ) -> Verdict {
        let mut verdict = Verdict::default();
        for (scope, limit) in [(KEY_SCOPE, per_key), (family, per_kind)] {
            let Some(limit) = limit else { continue };
            let window = self.open.entry((sid.to_owned(), scope)).or_default();
            verdict.seen.push(tick(window, scope, limit, now_ms));
        }
        verdict
    }
}

/// Counts one request in `window` at `now_ms`, starting a new window when the clock has left
/// the current one.
fn tick(window: &mut Window, scope: &'static str, limit: RateLimit, now_ms: u64) -> Seen {
    let start_ms = now_ms - now_ms % limit.window_ms;
    if window.start_ms != start_ms {
        *window = Window { start_ms, count: 0 };
    }
    window.count += 1;
    Seen {
        scope,
        limit: limit.requests,
        window_ms: limit.window_ms,
        remaining: limit.requests.saturating_sub(window.count),
        reset_ms: start_ms + limit.window_ms - now_ms,
        spent: window.count > limit.requests,
    }
}

/// Whole seconds, rounded up.
fn secs(ms: u64) -> u64 {
    ms.div_ceil(1000)
}

impl Verdict {
    /// A window was spent: answer 429.
    pub(crate) fn refused(&self) -> bool {
        self.seen.iter().any(|s| s.spent)
    }

    /// The scopes whose window was spent.
    pub(crate) fn spent(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.seen.iter().filter(|s| s.spent).map(|s| s.scope)
    }

    /// `Retry-After` of a refusal: whole seconds until every spent window has ended, at least 1.
    pub(crate) fn retry_after_secs(&self) -> u64 {
        self.seen
            .iter()
            .filter(|s| s.spent)
            .map(|s| secs(s.reset_ms))
            .max()
            .unwrap_or(1)
            .max(1)
    }

    /// The rate-limit headers: `X-RateLimit-Limit`, `-Remaining`, `-Reset` (seconds until the
    /// window ends, rounded up) and `-Scope` for the tightest window (fewest remaining, then
    /// latest end), and the IETF draft's `RateLimit-Policy` and `RateLimit` listing every
    /// window (`"key";q=300;w=10`, `"key";r=299;t=7`).
    pub(crate) fn write_headers(&self, headers: &mut HeaderMap) {
        let Some(tightest) = self
            .seen
            .iter()
            .min_by_key(|s| (s.remaining, std::cmp::Reverse(s.reset_ms)))
        else {
            return;
        };
        let mut set = |name: &'static str, value: String| {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        };
        set("x-ratelimit-limit", tightest.limit.to_string());
        set("x-ratelimit-remaining", tightest.remaining.to_string());
        set("x-ratelimit-reset", secs(tightest.reset_ms).to_string());
        set("x-ratelimit-scope", tightest.scope.to_owned());
        let list =
            |f: &dyn Fn(&Seen) -> String| self.seen.iter().map(f).collect::<Vec<_>>().join(", ");
        set(
            "ratelimit-policy",
            list(&|s| format!("\"{}\";q={};w={}", s.scope, s.limit, secs(s.window_ms))),
        );
        set(
            "ratelimit",
            list(&|s| format!("\"{}\";r={};t={}", s.scope, s.remaining, secs(s.reset_ms))),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(s: &str) -> RateLimit {
        s.parse().unwrap()
    }

    #[test]
    fn limits_read_and_print_as_n_per_secs() {
        assert_eq!(
            limit("300/10"),
            RateLimit {
                requests: 300,
                window_ms: 10_000
            }
        );
        assert_eq!(
            limit(" 5 / 0.5 "),
            RateLimit {
                requests: 5,
                window_ms: 500
            }
        );
        assert_eq!(limit("0/1").requests, 0);
        assert_eq!(limit("300/10").to_string(), "300/10");
        assert_eq!(limit("5/0.25").to_string(), "5/0.25");
        for bad in [
            "300",
            "x/10",
            "-1/10",
            "10/0",
            "10/-1",
            "10/0.0001",
            "10/86401",
            "10/NaN",
            "10/inf",
            "1.5/10",
        ] {
            let err = bad.parse::<RateLimit>().unwrap_err().to_string();
            assert!(err.contains(&format!("`{bad}`")), "{bad}: {err}");
        }
        let json = serde_json::to_string(&limit("30/10")).unwrap();
        assert_eq!(json, r#""30/10""#);
        assert_eq!(
            serde_json::from_str::<RateLimit>(&json).unwrap(),
            limit("30/10")
        );
        assert!(serde_json::from_str::<RateLimit>(r#""30""#).is_err());
    }

    #[test]
    fn windows_are_aligned_to_the_clock_and_start_afresh() {
        let mut windows = Windows::default();
        let per_key = Some(limit("3/10"));
        // 12.5 s past a window that started at 10 s: it ends at 20 s.
        let at = |windows: &mut Windows, ms| windows.count("SKa", "agents", per_key, None, ms);
        let first = at(&mut windows, 12_500);
        assert_eq!(
            first.seen,
            [Seen {
                scope: "key",
                limit: 3,
                window_ms: 10_000,
                remaining: 2,
                reset_ms: 7_500,
                spent: false
            }]
        );
        assert!(!at(&mut windows, 15_000).refused());
        let third = at(&mut windows, 19_999);
        assert_eq!(
            (
                third.seen[0].remaining,
                third.seen[0].reset_ms,
                third.refused()
            ),
            (0, 1, false)
        );
        let fourth = at(&mut windows, 19_999);
        assert!(fourth.refused());
        assert_eq!(
            fourth.retry_after_secs(),
            1,
            "at least 1 s, even with 1 ms left"
        );
        // The clock leaves the window: a new one, whatever was sent before.
        let next = at(&mut windows, 20_000);
        assert_eq!(
            (
                next.seen[0].remaining,
                next.seen[0].reset_ms,
                next.refused()
            ),
            (2, 10_000, false)
        );
        // Keys do not share windows.
        assert_eq!(
            windows.count("SKb", "agents", per_key, None, 20_001).seen[0].remaining,
            2
        );
    }

    #[test]
    fn a_family_window_is_per_family_and_refusals_spend_the_key_window_too() {
        let mut windows = Windows::default();
        let (key, kind) = (Some(limit("5/10")), Some(limit("2/10")));
        let mut at = |family, ms| windows.count("SKa", family, key, kind, ms);
        assert!(!at("agents", 1_000).refused());
        assert!(!at("agents", 1_001).refused());
        let third = at("agents", 1_002);
        assert!(third.refused());
        assert_eq!(third.spent().collect::<Vec<_>>(), ["agents"]);
        assert_eq!(third.retry_after_secs(), 9);
        // Another family still has its budget, but the key window counted the refusal.
        let groups = at("groups", 1_003);
        assert!(!groups.refused());
        assert_eq!(
            groups.seen[0],
            Seen {
                scope: "key",
                limit: 5,
                window_ms: 10_000,
                remaining: 1,
                reset_ms: 8_997,
                spent: false
            }
        );
        assert_eq!(groups.seen[1].remaining, 1);
        assert!(!at("groups", 1_004).refused());
        let both = at("queues", 1_005);
        assert_eq!(both.spent().collect::<Vec<_>>(), ["key"]);
    }

    #[test]
    fn headers_name_the_tightest_window_and_list_all() {
        let mut windows = Windows::default();
        let verdict = windows.count(
            "SKa",
            "agents",
            Some(limit("300/10")),
            Some(limit("30/10")),
            3_000,
        );
        let mut headers = HeaderMap::new();
        verdict.write_headers(&mut headers);
        let get = |name: &str| headers[name].to_str().unwrap().to_owned();
        assert_eq!(get("x-ratelimit-limit"), "30");
        assert_eq!(get("x-ratelimit-remaining"), "29");
        assert_eq!(get("x-ratelimit-reset"), "7");
        assert_eq!(get("x-ratelimit-scope"), "agents");
        assert_eq!(
            get("ratelimit-policy"),
            r#""key";q=300;w=10, "agents";q=30;w=10"#
        );
        assert_eq!(get("ratelimit"), r#""key";r=299;t=7, "agents";r=29;t=7"#);
        // Sub-second windows are told in whole seconds, rounded up.
        let short = windows.count("SKa", "agents", Some(limit("5/0.5")), None, 3_100);
        let mut headers = HeaderMap::new();
        short.write_headers(&mut headers);
        assert_eq!(headers["x-ratelimit-reset"], "1");
        assert_eq!(headers["ratelimit-policy"], r#""key";q=5;w=1"#);
        // No limit, no headers.
        let mut headers = HeaderMap::new();
        windows
            .count("SKa", "agents", None, None, 0)
            .write_headers(&mut headers);
        assert!(headers.is_empty());
    }

    #[test]
    fn every_route_has_a_family() {
        for (route, audience, family_name) in [
            ("/v1/agent/{id}", Audience::Project, "agents"),
            (
                "/v1/manage-agents-in-group",
                Audience::Project,
                "memberships",
            ),
            (
                "/v1/routing-call-to-groups/{id}",
                Audience::Project,
                "routings",
            ),
            ("/v1/ivrkeypress", Audience::Project, "keypresses"),
            ("/v1/number/{id}", Audience::Project, "numbers"),
            ("/v1/number/{id}", Audience::Account, "account-numbers"),
            ("/v1/blacklistnumber", Audience::Project, "blacklist"),
            ("/v1/greetingfile", Audience::Project, "audio"),
            ("/v1/callsettings", Audience::Project, "settings"),
            ("/v1/project/{id}", Audience::Account, "projects"),
        ] {
            assert_eq!(family(route, audience), family_name, "{route}");
        }
    }
}
