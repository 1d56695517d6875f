//! The `/_emulator` endpoints: faults at run time, stats, state dump. No auth needed.

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
        json!({ "latency_ms": 0, "fail_rate": 0.0, "throttle_rate": 0.0, "retry_after_secs": 0, "drop_rate": 0.0, "late_rate": 0.0, "late_ms": 0, "seed": null })
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
