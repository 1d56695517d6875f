//! What every request meets: trailing slashes, the `{r, message}` envelope on every error the
//! emulator answers itself, and the two hosts (PCC and the Call API) by listener and by `Host`.

use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn trailing_slashes_are_served_like_the_path_without_them() {
    let pcc = Pcc::start().await;
    // Real clients send these (one library puts a slash after every collection path).
    let created = pcc
        .post(
            "/v1/agent/",
            json!({ "name": "Alice", "stringee_user_id": "alice" }),
        )
        .await;
    assert_eq!(created["r"], 0, "{created}");
    let id = created["agentID"].as_str().unwrap().to_owned();
    pcc.agent("bob").await;

    let filtered = pcc.get("/v1/agent/?stringee_user_id=alice").await;
    assert_eq!(filtered["data"]["totalCount"], "1", "{filtered}");
    assert_eq!(filtered["data"]["agents"][0]["id"], id.as_str());
    assert_eq!(pcc.get("/v1/agent/").await["data"]["totalCount"], "2");

    let renamed = pcc
        .put(&format!("/v1/agent/{id}/"), json!({ "name": "Alice N." }))
        .await;
    assert_eq!(renamed["r"], 0, "{renamed}");
    assert_eq!(pcc.delete(&format!("/v1/agent/{id}//")).await["r"], 0);
    assert_eq!(pcc.get("/v1/agent").await["data"]["totalCount"], "1");

    // Counted under the route, as without the slash.
    let stats = pcc.emu.stats();
    assert_eq!(stats.requests["GET /v1/agent"], 3, "{stats:?}");
    assert_eq!(stats.requests["POST /v1/agent"], 2, "{stats:?}");
}

#[tokio::test]
async fn every_error_the_emulator_answers_is_in_the_r_envelope() {
    let pcc = Pcc::start().await;

    let (status, body) = pcc.call("GET", "/v1/nothing", None).await;
    assert_eq!(status, 404);
    assert_eq!(body["r"], 404, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("/v1/nothing"),
        "{body}"
    );

    // PATCH is no method of a collection: 405, with the methods it takes.
    let resp = pcc
        .http
        .patch(pcc.url("/v1/agent"))
        .header("X-STRINGEE-AUTH", &pcc.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    let allow = resp.headers()["allow"].to_str().unwrap().to_owned();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["r"], 405, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("PATCH"),
        "{body}"
    );

    // A path the framework cannot read, and a body over the limit: the framework's own
    // plain-text rejections, wrapped.
    let (status, body) = pcc.call("DELETE", "/v1/agent/%FF%FE", None).await;
    assert_eq!((status, &body["r"]), (400, &json!(400)), "{body}");
    assert!(!body["message"].as_str().unwrap().is_empty());
    let resp = pcc
        .http
        .post(pcc.url("/v1/group"))
        .header("X-STRINGEE-AUTH", &pcc.token)
        .body(vec![b' '; 3 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["r"], 413, "{body}");

    // The admin endpoints' refusals too.
    let resp = pcc
        .http
        .put(pcc.url("/_emulator/faults"))
        .json(&json!({ "fail_rate": 2.0 }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["r"], 422, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("fail_rate"),
        "{body}"
    );
}

#[tokio::test]
async fn injected_faults_stay_plain_text_like_a_proxys() {
    let pcc = Pcc::start().await;
    pcc.emu.set_faults(emulator::Faults {
        fail_rate: 1.0,
        ..emulator::Faults::default()
    });
    let resp = pcc
        .http
        .get(pcc.url("/v1/agent"))
        .header("X-STRINGEE-AUTH", &pcc.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 500);
    assert!(
        resp.text()
            .await
            .unwrap()
            .starts_with("emulator: injected fault")
    );
}

#[tokio::test]
async fn the_call_api_has_its_own_listener_and_answers_a_host_that_names_it() {
    let pcc = Pcc::start().await;
    assert_ne!(pcc.emu.addr(), pcc.emu.call_api_addr());
    assert!(pcc.emu.call_api_addr().ip().is_loopback());

    // The account list on the Call API listener.
    let (status, body) = pcc.account("GET", "/v1/number", None).await;
    assert_eq!((status, &body["r"]), (200, &json!(0)), "{body}");
    assert!(body["data"]["numbers"].is_array(), "{body}");

    // The same request on the main address with `Host: api.…` reaches the Call API too.
    let via_host = pcc
        .http
        .get(pcc.url("/v1/number"))
        .header("Host", "api.stringee.com")
        .header("X-STRINGEE-AUTH", account_token())
        .send()
        .await
        .unwrap();
    assert_eq!(via_host.status(), 200);
    let via_host: Value = via_host.json().await.unwrap();
    assert_eq!(via_host["data"], body["data"]);

    // Without that Host, `GET /v1/number` is PCC's list (project key).
    let pcc_list = pcc.get("/v1/number").await;
    assert!(pcc_list["data"]["totalCount"].is_string(), "{pcc_list}");

    // PCC's paths are not on the Call API listener, and the 404 says where they are.
    let (status, body) = pcc
        .send("GET", &pcc.call_api_url("/v1/agent"), &pcc.token, None)
        .await;
    assert_eq!(status, 404);
    assert!(body["message"].as_str().unwrap().contains("PCC"), "{body}");
    // Nor is the account's project list on PCC's.
    let (status, body) = pcc.call("GET", "/v1/project", None).await;
    assert_eq!(status, 404);
    assert!(
        body["message"].as_str().unwrap().contains("Call API"),
        "{body}"
    );
}

#[tokio::test]
async fn greeting_files_are_served_on_both_listeners() {
    let pcc = Pcc::start().await;
    let upload = |url: String| {
        let pcc = &pcc;
        async move {
            let resp = pcc
                .http
                .post(url)
                .header("X-STRINGEE-AUTH", &pcc.token)
                .body(b"ID3 not really an mp3".to_vec())
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["r"], 0, "{body}");
            body["filename"].as_str().unwrap().to_owned()
        }
    };
    let on_pcc = upload(pcc.url("/v1/greetingfile?uploadType=simple&desc=a")).await;
    let on_call_api = upload(pcc.call_api_url("/v1/greetingfile?uploadType=simple&desc=b")).await;
    // One store: each listener lists both.
    let (_, listed) = pcc
        .send(
            "GET",
            &pcc.call_api_url("/v1/greetingfile"),
            &pcc.token,
            None,
        )
        .await;
    let names: Vec<&str> = listed["data"]["greetingFiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["filename"].as_str().unwrap())
        .collect();
    assert_eq!(names, [on_pcc.as_str(), on_call_api.as_str()]);
    assert_eq!(pcc.get("/v1/greetingfile").await["data"]["totalCount"], "2");
    // Greeting files are the project's: signed with the project key, not the account's.
    let (status, _) = pcc.account("GET", "/v1/greetingfile", None).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn each_api_takes_only_its_own_keys() {
    let pcc = Pcc::start().await;
    // The account key on PCC, and a project key on the account API: 403 r:5.
    let (status, body) = pcc
        .send("GET", &pcc.url("/v1/agent"), &account_token(), None)
        .await;
    assert_eq!((status, &body["r"]), (403, &json!(5)), "{body}");
    let (status, body) = pcc
        .send("GET", &pcc.call_api_url("/v1/project"), &pcc.token, None)
        .await;
    assert_eq!((status, &body["r"]), (403, &json!(5)), "{body}");
    let (status, body) = pcc
        .send(
            "PUT",
            &pcc.call_api_url("/v1/number/1"),
            &pcc.token,
            Some(&json!({ "answer_url": "x" })),
        )
        .await;
    assert_eq!((status, &body["r"]), (403, &json!(5)), "{body}");

    // With no account key configured, the account API refuses everything.
    let pcc = Pcc::with(emulator::Config::new(vec![key()])).await;
    let (status, _) = pcc.account("GET", "/v1/project", None).await;
    assert_eq!(status, 403);
}
