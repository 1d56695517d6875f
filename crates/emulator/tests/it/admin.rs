//! The `/_emulator` endpoints: what they offer, faults at run time, stats, wiring, state dump;
//! open to loopback peers, to others only with a signed token.

use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn faults_can_be_read_and_replaced_at_run_time() {
    let pcc = Pcc::start().await;
    let url = pcc.url("/_emulator/faults");
    let initial: Value = pcc
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        initial,
        json!({ "latency_ms": 0, "fail_rate": 0.0, "throttle_rate": 0.0, "retry_after_secs": 0, "drop_rate": 0.0, "late_rate": 0.0, "late_ms": 0, "seed": null, "rate_limit": null, "rate_limit_per_kind": null })
    );

    let set = pcc
        .http
        .put(&url)
        .json(&json!({ "throttle_rate": 1.0, "retry_after_secs": 2 }))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    let set: Value = set.json().await.unwrap();
    assert_eq!(set["throttle_rate"], 1.0);
    assert_eq!(set["fail_rate"], 0.0, "omitted settings are reset to 0");
    let (status, _) = pcc.call("GET", "/v1/agent", None).await;
    assert_eq!(status, 429);
    assert_eq!(pcc.emu.faults().retry_after_secs, 2);

    let bad = pcc
        .http
        .put(&url)
        .json(&json!({ "drop_rate": 1.5 }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("drop_rate"));
    let typo = pcc
        .http
        .put(&url)
        .json(&json!({ "fail_ratio": 1.0 }))
        .send()
        .await
        .unwrap();
    assert!(typo.status().is_client_error());
    assert_eq!(
        pcc.emu.faults().throttle_rate,
        1.0,
        "refused settings change nothing"
    );

    pcc.http.put(&url).json(&json!({})).send().await.unwrap();
    assert_eq!(pcc.call("GET", "/v1/agent", None).await.0, 200);
}

#[tokio::test]
async fn stats_are_served_and_reset_over_http() {
    let pcc = Pcc::start().await;
    pcc.agent("alice").await;
    let stats: Value = pcc
        .http
        .get(pcc.url("/_emulator/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["requests"], json!({ "POST /v1/agent": 1 }));
    assert_eq!(stats["writes"], 1);
    let reset = pcc
        .http
        .post(pcc.url("/_emulator/stats/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
    assert_eq!(pcc.emu.stats().writes, 0);
}

#[tokio::test]
async fn the_state_dump_lists_every_object_in_a_deterministic_shape() {
    let pcc = Pcc::start().await;
    let alice = pcc.agent("alice").await;
    let sales = pcc.group("sales").await;
    pcc.post(
        "/v1/manage-agents-in-group",
        json!({ "agent_id": alice, "group_id": sales }),
    )
    .await;
    let queue = pcc.queue("sales").await;
    pcc.post(
        "/v1/routing-call-to-groups",
        json!({ "queue_id": queue, "group_id": sales, "primary_group": 1 }),
    )
    .await;
    let tree = pcc.tree("main").await;
    let menu = pcc.node(&tree, "menu").await;
    pcc.post(
        "/v1/ivrkeypress",
        json!({ "node": menu, "node_key": "1", "action": 2, "queue_id": queue }),
    )
    .await;
    pcc.post(
        "/v1/number",
        json!({ "number": "842473082686", "nickname": "Hotline", "allow_outbound_calls": true, "enable_ivr": true, "ivr_menu": tree }),
    )
    .await;
    pcc.put(
        "/v1/callsettings",
        json!({ "event_url": "https://crm.example.com/events" }),
    )
    .await;

    let state = pcc.state().await;
    assert_eq!(state, pcc.emu.state(), "the HTTP dump and the method agree");
    insta::assert_json_snapshot!(redact(&state));
}

#[tokio::test]
async fn the_admin_root_lists_what_it_offers() {
    let pcc = Pcc::start().await;
    for path in ["/_emulator", "/_emulator/"] {
        let resp = pcc.http.get(pcc.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let index: Value = resp.json().await.unwrap();
        assert_eq!(index["r"], 0);
        assert_eq!(index["pcc"], pcc.emu.url());
        assert_eq!(index["call_api"], pcc.emu.call_api_url());
        let paths: Vec<String> = index["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                format!(
                    "{} {}",
                    e["method"].as_str().unwrap(),
                    e["path"].as_str().unwrap()
                )
            })
            .collect();
        // Every endpoint listed answers (none is a 404 or 405).
        for listed in &paths {
            let (method, path) = listed.split_once(' ').unwrap();
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let mut req = pcc.http.request(method.clone(), pcc.url(path));
            if method == reqwest::Method::PUT {
                req = req.json(&json!({}));
            }
            let status = req.send().await.unwrap().status();
            assert!(status.is_success(), "{listed}: {status}");
        }
        assert!(
            paths.contains(&"PUT /_emulator/wiring".to_owned()),
            "{paths:?}"
        );
    }
    // The admin endpoints are on the Call API listener too.
    let resp = pcc
        .http
        .get(pcc.call_api_url("/_emulator/stats"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn the_wiring_is_read_and_set_over_http() {
    let pcc = Pcc::start().await;
    pcc.post(
        "/v1/number",
        json!({ "number": "842473082686", "allow_outbound_calls": 1, "enable_ivr": 0 }),
    )
    .await;
    let url = pcc.url("/_emulator/wiring");
    let set = pcc
        .http
        .put(&url)
        .json(&json!({
            "project": { "answer_url": "https://wrong.example.com/answer" },
            "numbers": {
                "842473082686": { "answer_url": "https://wrong.example.com/a", "event_url": emulator::PCC_NUMBER_EVENT_URL },
                "842473082999": {},
            },
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    let wiring: Value = set.json().await.unwrap();
    assert_eq!(wiring, pcc.emu.wiring());
    assert_eq!(
        wiring["project"]["answer_url"],
        "https://wrong.example.com/answer"
    );
    assert_eq!(
        wiring["project"]["callback_url"],
        Value::Null,
        "an absent URL is set to null"
    );
    assert_eq!(
        wiring["numbers"][0]["answer_url"],
        "https://wrong.example.com/a"
    );
    assert_eq!(
        wiring["numbers"][0]["event_url"],
        emulator::PCC_NUMBER_EVENT_URL
    );
    // A number the account did not own is bought (the account has it, PCC does not).
    assert_eq!(wiring["numbers"][1]["phone_number"], "842473082999");
    assert_eq!(wiring["numbers"][1]["answer_url"], Value::Null);
    assert_eq!(pcc.get("/v1/number").await["data"]["totalCount"], "1");

    // Bad changes are refused whole.
    for bad in [
        json!({ "numbers": { "+84 24": {} } }),
        json!({ "project": { "event_url": "x" } }),
        json!({ "numbers": { "842473082686": { "answer_url": 5 } } }),
    ] {
        let resp = pcc.http.put(&url).json(&bad).send().await.unwrap();
        assert_eq!(resp.status(), 422, "{bad}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["r"], 422, "{body}");
    }
    assert_eq!(pcc.emu.wiring(), wiring);

    // In process, the same through `set_wiring`.
    pcc.emu
        .set_wiring(&emulator::WiringChange {
            project: Some(emulator::ProjectWiring {
                answer_url: Some(emulator::PCC_PROJECT_ANSWER_URL.into()),
                callback_url: Some(emulator::PCC_PROJECT_EVENT_URL.into()),
            }),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        pcc.emu.wiring()["project"]["answer_url"],
        emulator::PCC_PROJECT_ANSWER_URL
    );
    let refused = pcc.emu.set_wiring(&emulator::WiringChange {
        numbers: [("12a".to_owned(), emulator::NumberWiring::default())].into(),
        ..Default::default()
    });
    assert!(refused.unwrap_err().to_string().contains("12a"));
}

/// The peer check as a whole, through the router with no socket: a request from no loopback
/// peer is refused without a key and served with one. (That loopback peers pass, every other
/// test shows; which peers are loopback, the unit test of `admin::access`.)
#[tokio::test]
async fn admin_endpoints_refuse_a_peer_that_is_not_loopback_unless_signed() {
    use tower_service::Service as _;
    let mut router = emulator::router(config()).unwrap();
    let request = |token: Option<String>, forwarded: bool| {
        let mut req = axum::http::Request::get("/_emulator/state");
        if let Some(token) = token {
            req = req.header("X-STRINGEE-AUTH", token);
        }
        if forwarded {
            req = req
                .header("X-Forwarded-For", "127.0.0.1")
                .header("X-Real-IP", "127.0.0.1");
        }
        req.body(axum::body::Body::empty()).unwrap()
    };
    let status = |resp: axum::response::Response| resp.status().as_u16();
    for forwarded in [false, true] {
        let resp = router.call(request(None, forwarded)).await.unwrap();
        assert_eq!(status(resp), 403, "forwarded headers: {forwarded}");
    }
    let forged = mint("guessed", &good_header(), &good_claims());
    assert_eq!(
        status(router.call(request(Some(forged), false)).await.unwrap()),
        403
    );
    let resp = router.call(request(None, false)).await.unwrap();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["r"], 5, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("loopback"),
        "{body}"
    );

    assert_eq!(
        status(router.call(request(Some(token()), false)).await.unwrap()),
        200
    );
    assert_eq!(
        status(
            router
                .call(request(Some(account_token()), false))
                .await
                .unwrap()
        ),
        200
    );
    // The token may ride in the query, as on `/v1`.
    let req = axum::http::Request::get(format!("/_emulator/stats?access_token={}", token()))
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(status(router.call(req).await.unwrap()), 200);
}
