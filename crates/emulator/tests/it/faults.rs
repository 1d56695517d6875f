//! Fault injection: 500s before anything happens, 429 with Retry-After, writes that commit
//! but lose their answer, writes carried out after their failure was answered, added
//! latency, reproducible dice; and the request counts.

use std::time::{Duration, Instant};

use emulator::Faults;
use serde_json::{Value, json};

use crate::support::*;

/// Sends a create and reports what the client saw: the HTTP status, or `None` when the
/// connection ended without an answer.
async fn try_create_group(pcc: &Pcc, name: &str) -> Option<u16> {
    let sent = pcc
        .http
        .post(pcc.url("/v1/group"))
        .header("X-STRINGEE-AUTH", &pcc.token)
        .json(&json!({ "name": name }))
        .send()
        .await;
    match sent {
        Ok(resp) => {
            let status = resp.status().as_u16();
            // A body cut short counts as no answer too.
            resp.bytes().await.ok().map(|_| status)
        }
        Err(_) => None,
    }
}

#[tokio::test]
async fn fail_rate_1_answers_500_to_everything_and_writes_nothing() {
    let mut config = emulator::Config::new(vec![key()]);
    config.faults = Faults {
        fail_rate: 1.0,
        ..Faults::default()
    };
    let pcc = Pcc::with(config).await;
    for i in 0..10 {
        assert_eq!(try_create_group(&pcc, &format!("g{i}")).await, Some(500));
    }
    let (status, _) = pcc.call("GET", "/v1/group", None).await;
    assert_eq!(status, 500);
    assert_eq!(pcc.state().await["groups"], json!([]));
    let stats = pcc.emu.stats();
    assert_eq!(stats.injected.failed, 11);
    assert_eq!(stats.writes, 10);
    assert_eq!(stats.reads, 1);

    // Faults never touch the admin endpoints, and clearing them restores service.
    pcc.emu.set_faults(Faults::default());
    assert_eq!(try_create_group(&pcc, "after").await, Some(200));
}

#[tokio::test]
async fn throttle_answers_429_with_retry_after_before_anything_happens() {
    let mut config = emulator::Config::new(vec![key()]);
    config.faults = Faults {
        throttle_rate: 1.0,
        retry_after_secs: 7,
        ..Faults::default()
    };
    let pcc = Pcc::with(config).await;
    let resp = pcc
        .http
        .post(pcc.url("/v1/group"))
        .header("X-STRINGEE-AUTH", &pcc.token)
        .json(&json!({ "name": "g" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "7");
    assert_eq!(pcc.state().await["groups"], json!([]));
    assert_eq!(pcc.emu.stats().injected.throttled, 1);
}

#[tokio::test]
async fn drop_rate_1_commits_every_write_but_the_client_never_gets_an_answer() {
    let mut config = emulator::Config::new(vec![key()]);
    config.faults = Faults {
        drop_rate: 1.0,
        seed: Some(3),
        ..Faults::default()
    };
    let pcc = Pcc::with(config).await;
    let mut seen = Vec::new();
    for i in 0..12 {
        let outcome = try_create_group(&pcc, &format!("g{i}")).await;
        assert!(
            matches!(outcome, None | Some(502)),
            "a dropped answer is a closed connection or a 502, got {outcome:?}"
        );
        seen.push(outcome);
    }
    assert!(
        seen.contains(&None) && seen.contains(&Some(502)),
        "both kinds occur: {seen:?}"
    );
    let names: Vec<Value> = pcc.state().await["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].clone())
        .collect();
    let expected: Vec<Value> = (0..12).map(|i| json!(format!("g{i}"))).collect();
    assert_eq!(
        names, expected,
        "every write committed despite the lost answers"
    );

    // Reads are never dropped.
    let (status, answer) = pcc.call("GET", "/v1/group", None).await;
    assert_eq!(status, 200);
    assert_eq!(answer["data"]["totalCount"], "12");
    assert_eq!(pcc.emu.stats().injected.dropped, 12);
}

#[tokio::test]
async fn late_rate_1_answers_a_failure_first_and_carries_the_write_out_later() {
    let mut config = emulator::Config::new(vec![key()]);
    config.faults = Faults {
        late_rate: 1.0,
        late_ms: 600,
        seed: Some(5),
        ..Faults::default()
    };
    let pcc = Pcc::with(config).await;
    let mut seen = Vec::new();
    for i in 0..8 {
        let outcome = try_create_group(&pcc, &format!("g{i}")).await;
        assert!(
            matches!(outcome, None | Some(504)),
            "a late write is answered by a closed connection or a 504, got {outcome:?}"
        );
        seen.push(outcome);
    }
    assert!(
        seen.contains(&None) && seen.contains(&Some(504)),
        "both kinds occur: {seen:?}"
    );
    // Answered, and not carried out yet: a look-up now finds nothing.
    let (status, answer) = pcc.call("GET", "/v1/group", None).await;
    assert_eq!(status, 200);
    assert_eq!(answer["data"]["totalCount"], "0");

    pcc.emu.late_writes_landed().await;
    let names: Vec<Value> = pcc.state().await["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].clone())
        .collect();
    let expected: Vec<Value> = (0..8).map(|i| json!(format!("g{i}"))).collect();
    assert_eq!(names, expected, "every late write was carried out");
    assert_eq!(pcc.emu.stats().injected.late, 8);
    // Reads are never late.
    let (status, _) = pcc.call("GET", "/v1/group", None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_same_seed_gives_the_same_faults() {
    async fn run(seed: u64) -> Vec<Option<u16>> {
        let mut config = emulator::Config::new(vec![key()]);
        config.faults = Faults {
            fail_rate: 0.3,
            throttle_rate: 0.3,
            drop_rate: 0.3,
            seed: Some(seed),
            ..Faults::default()
        };
        let pcc = Pcc::with(config).await;
        let mut outcomes = Vec::new();
        for i in 0..40 {
            outcomes.push(try_create_group(&pcc, &format!("g{i}")).await);
        }
        outcomes
    }
    let first = run(42).await;
    assert_eq!(first, run(42).await);
    assert_ne!(first, run(43).await);
    for kind in [Some(200), Some(500), Some(429)] {
        assert!(
            first.contains(&kind),
            "{kind:?} never happened in {first:?}"
        );
    }
}

#[tokio::test]
async fn latency_is_added_to_every_api_request() {
    let mut config = emulator::Config::new(vec![key()]);
    config.faults = Faults {
        latency_ms: 150,
        ..Faults::default()
    };
    let pcc = Pcc::with(config).await;
    let started = Instant::now();
    let (status, _) = pcc.call("GET", "/v1/agent", None).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn stats_count_requests_per_method_and_route() {
    let pcc = Pcc::start().await;
    let agent = pcc.agent("alice").await;
    pcc.agent("bob").await;
    pcc.get("/v1/agent").await;
    pcc.get("/v1/agent?page=2").await;
    pcc.put(&format!("/v1/agent/{agent}"), json!({ "name": "A" }))
        .await;
    pcc.delete(&format!("/v1/agent/{agent}")).await;
    pcc.delete_with("/v1/manage-agents-in-group", json!({}))
        .await;
    // Refused by auth: still a request the client made.
    pcc.http.get(pcc.url("/v1/group")).send().await.unwrap();
    pcc.state().await;

    let stats = serde_json::to_value(pcc.emu.stats()).unwrap();
    insta::assert_json_snapshot!(stats, @r#"
    {
      "injected": {
        "dropped": 0,
        "failed": 0,
        "late": 0,
        "throttled": 0
      },
      "rate_limited": {},
      "reads": 3,
      "requests": {
        "DELETE /v1/agent/{id}": 1,
        "DELETE /v1/manage-agents-in-group": 1,
        "GET /v1/agent": 2,
        "GET /v1/group": 1,
        "POST /v1/agent": 2,
        "PUT /v1/agent/{id}": 1
      },
      "writes": 5
    }
    "#);
    pcc.emu.reset_stats();
    assert_eq!(pcc.emu.stats(), emulator::Stats::default());
}

#[tokio::test]
async fn a_refused_token_is_answered_403_and_counted_as_no_lost_or_late_write() {
    let pcc = Pcc::start().await;
    for faults in [
        Faults {
            drop_rate: 1.0,
            ..Faults::default()
        },
        Faults {
            late_rate: 1.0,
            late_ms: 0,
            ..Faults::default()
        },
    ] {
        pcc.emu.set_faults(faults);
        let resp = pcc
            .http
            .post(pcc.url("/v1/group"))
            .header("X-STRINGEE-AUTH", "not-a-token")
            .json(&json!({ "name": "g" }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403);
        assert_eq!(resp.json::<Value>().await.unwrap()["r"], 5);
    }
    pcc.emu.late_writes_landed().await;
    assert_eq!(pcc.state().await["groups"], json!([]));
    let stats = pcc.emu.stats();
    assert_eq!(stats.writes, 2);
    // Nothing was carried out, so nothing was dropped and no write is late.
    assert_eq!(stats.injected, emulator::Injected::default());
}
