//! Rate limits: per key and per resource family, fixed windows aligned to the clock, 429 with
//! `Retry-After`, headers on every answer, counted in the stats, set at start or at run time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use emulator::{Faults, RateLimit};
use serde_json::{Value, json};

use crate::support::*;

fn limit(text: &str) -> Option<RateLimit> {
    Some(text.parse().unwrap())
}

/// `POST /v1/group` with `token`: the status, the headers that matter, the body.
async fn create_group(pcc: &Pcc, token: &str, name: &str) -> (u16, Vec<(String, String)>, Value) {
    let resp = pcc
        .http
        .post(pcc.url("/v1/group"))
        .header("X-STRINGEE-AUTH", token)
        .json(&json!({ "name": name }))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .filter(|(name, _)| name.as_str().contains("ratelimit") || name.as_str() == "retry-after")
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
        .collect();
    (status, headers, resp.json().await.unwrap_or(Value::Null))
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn a_key_beyond_its_window_gets_429_with_retry_after_and_nothing_is_done() {
    let other = emulator::ApiKey {
        sid: "SKother".into(),
        secret: "other-secret".into(),
    };
    let mut config = config();
    config.api_keys.push(other);
    // A day-long window (aligned to midnight UTC): no window ends during the test.
    config.faults.rate_limit = limit("3/86400");
    let pcc = Pcc::with(config).await;

    for (i, remaining) in ["2", "1", "0"].into_iter().enumerate() {
        let (status, headers, body) = create_group(&pcc, &pcc.token, &format!("g{i}")).await;
        assert_eq!((status, &body["r"]), (200, &json!(0)), "{body}");
        assert_eq!(header(&headers, "x-ratelimit-limit"), Some("3"));
        assert_eq!(header(&headers, "x-ratelimit-remaining"), Some(remaining));
        assert_eq!(header(&headers, "x-ratelimit-scope"), Some("key"));
        let reset: u64 = header(&headers, "x-ratelimit-reset")
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=86_400).contains(&reset), "{reset}");
        assert_eq!(
            header(&headers, "ratelimit-policy"),
            Some(r#""key";q=3;w=86400"#)
        );
        assert_eq!(header(&headers, "retry-after"), None);
    }
    let (status, headers, body) = create_group(&pcc, &pcc.token, "one too many").await;
    assert_eq!(status, 429);
    assert_eq!(body["r"], 429, "{body}");
    assert!(body["message"].as_str().unwrap().contains("key"), "{body}");
    let retry: u64 = header(&headers, "retry-after").unwrap().parse().unwrap();
    assert!(retry >= 1 && retry.to_string() == header(&headers, "x-ratelimit-reset").unwrap());
    assert_eq!(header(&headers, "x-ratelimit-remaining"), Some("0"));
    // Refused before anything was done.
    let names: Vec<Value> = pcc.state().await["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].clone())
        .collect();
    assert_eq!(names, [json!("g0"), json!("g1"), json!("g2")]);

    // Another key has its own window.
    let other = mint(
        "other-secret",
        &good_header(),
        &json!({ "iss": "SKother", "exp": now() + 60, "rest_api": true }),
    );
    let (status, headers, _) = create_group(&pcc, &other, "other").await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "x-ratelimit-remaining"), Some("2"));

    let stats = pcc.emu.stats();
    assert_eq!(stats.rate_limited, [("key".to_owned(), 1)].into());
    assert_eq!(
        stats.requests["POST /v1/group"], 5,
        "a 429 is a request the client made"
    );
}

#[tokio::test]
async fn a_spent_family_leaves_the_others_their_budget() {
    let mut config = config();
    config.faults.rate_limit = limit("100/86400");
    config.faults.rate_limit_per_kind = limit("2/86400");
    let pcc = Pcc::with(config).await;
    pcc.agent("a").await;
    let (status, body) = pcc
        .call(
            "POST",
            "/v1/agent/",
            Some(&json!({ "name": "B", "stringee_user_id": "b" })),
        )
        .await;
    assert_eq!((status, &body["r"]), (200, &json!(0)), "{body}");
    // Reads and writes share the family's window.
    let (status, body) = pcc.call("GET", "/v1/agent", None).await;
    assert_eq!(status, 429, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("agents"),
        "{body}"
    );

    let (status, headers, _) = create_group(&pcc, &pcc.token, "sales").await;
    assert_eq!(status, 200);
    // The tightest window is the family's.
    assert_eq!(header(&headers, "x-ratelimit-scope"), Some("groups"));
    assert_eq!(header(&headers, "x-ratelimit-remaining"), Some("1"));
    let policy = header(&headers, "ratelimit-policy").unwrap();
    assert_eq!(policy, r#""key";q=100;w=86400, "groups";q=2;w=86400"#);
    let window = header(&headers, "ratelimit").unwrap();
    assert!(
        window.starts_with(r#""key";r=96;t="#) && window.contains(r#""groups";r=1;t="#),
        "{window}"
    );

    // The account API's families are its own, counted under the account key.
    let (status, _) = pcc.account("GET", "/v1/number", None).await;
    assert_eq!(status, 200);
    let stats = pcc.emu.stats();
    assert_eq!(stats.rate_limited, [("agents".to_owned(), 1)].into());
}

#[tokio::test]
async fn limits_are_set_and_cleared_at_run_time() {
    let pcc = Pcc::start().await;
    let url = pcc.url("/_emulator/faults");
    let set: Value = pcc
        .http
        .put(&url)
        .json(&json!({ "rate_limit": "1/86400", "rate_limit_per_kind": "5/0.5" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&set["rate_limit"], &set["rate_limit_per_kind"]),
        (&json!("1/86400"), &json!("5/0.5"))
    );
    assert_eq!(pcc.call("GET", "/v1/queue", None).await.0, 200);
    assert_eq!(pcc.call("GET", "/v1/queue", None).await.0, 429);

    for bad in [
        json!({ "rate_limit": "1" }),
        json!({ "rate_limit": "1/0" }),
        json!({ "rate_limit": 5 }),
    ] {
        let resp = pcc.http.put(&url).json(&bad).send().await.unwrap();
        assert_eq!(resp.status(), 422, "{bad}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["r"], 422);
    }
    assert_eq!(
        pcc.emu.faults().rate_limit,
        limit("1/86400"),
        "refused settings change nothing"
    );

    // Setting the limits again starts the windows afresh; clearing them removes the headers.
    pcc.emu.set_faults(Faults {
        rate_limit: limit("1/86400"),
        ..Faults::default()
    });
    assert_eq!(pcc.call("GET", "/v1/queue", None).await.0, 200);
    pcc.emu.set_faults(Faults::default());
    let resp = pcc
        .http
        .get(pcc.url("/v1/queue"))
        .header("X-STRINGEE-AUTH", &pcc.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("x-ratelimit-limit").is_none());
}

#[tokio::test]
async fn a_window_ends_on_the_clock_and_admits_again() {
    const WINDOW_MS: u64 = 400;
    let mut config = config();
    config.faults.rate_limit = limit("2/0.4");
    let pcc = Pcc::with(config).await;
    let now_ms = || {
        u64::try_from(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_millis(),
        )
        .unwrap()
    };
    // Start early in a window, so that the three requests below share it; on a machine so
    // loaded that they did not, try again in the next window.
    let mut attempts = 0;
    let (window_end, headers) = loop {
        attempts += 1;
        let into = now_ms() % WINDOW_MS;
        // A retry starts a fresh window: the failed attempt spent some of its own.
        if into > 150 || attempts > 1 {
            tokio::time::sleep(Duration::from_millis(WINDOW_MS - into)).await;
        }
        let window_end = now_ms() / WINDOW_MS * WINDOW_MS + WINDOW_MS;
        let first = pcc.call("GET", "/v1/group", None).await.0;
        let second = pcc.call("GET", "/v1/group", None).await.0;
        let (third, headers, _) = create_group(&pcc, &pcc.token, "x").await;
        if now_ms() < window_end {
            assert_eq!((first, second, third), (200, 200, 429));
            break (window_end, headers);
        }
        assert!(
            attempts < 3,
            "three requests never fitted in a {WINDOW_MS} ms window"
        );
    };
    assert_eq!(
        header(&headers, "retry-after"),
        Some("1"),
        "whole seconds, at least 1"
    );
    // The window ends at its clock-aligned boundary, not a window after the first request.
    tokio::time::sleep(Duration::from_millis(
        window_end.saturating_sub(now_ms()) + 5,
    ))
    .await;
    let (status, headers, _) = create_group(&pcc, &pcc.token, "y").await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "x-ratelimit-remaining"), Some("1"));
}
