//! The client against small scripted servers: the auth header, the envelope, paging, and the
//! retry rule (GETs and 429s retried; writes that may have happened reported as uncertain).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use pcc::wire::{self, AgentBody, NumberBody};
use pcc::{Error, RequestStats, Silence};
use serde_json::{Value, json};

use crate::auth::decode;
use crate::support::{SECRET, SID, client, client_with, serve};

/// One scripted answer.
#[derive(Clone)]
enum Answer {
    Json(StatusCode, Value),
    RetryAfter(&'static str),
    Status(StatusCode),
    /// Never answers (the client's timeout fires).
    Hang,
}

#[derive(Clone, Debug)]
struct Seen {
    method: Method,
    uri: String,
    headers: HeaderMap,
    body: Bytes,
    at: Instant,
}

/// A server answering every request from `script` in turn (the last answer repeats), and
/// recording what it saw.
async fn scripted(script: Vec<Answer>) -> (pcc::Client, Arc<Mutex<Vec<Seen>>>) {
    scripted_with(script, |_| {}).await
}

/// [`scripted`], with the client's configuration tweaked.
async fn scripted_with(
    script: Vec<Answer>,
    tweak: impl FnOnce(&mut pcc::Config),
) -> (pcc::Client, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let handler = move |req: Request| {
        let log = log.clone();
        let script = script.clone();
        async move {
            let (parts, body) = req.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            let n = {
                let mut log = log.lock().unwrap();
                log.push(Seen {
                    method: parts.method,
                    uri: parts.uri.to_string(),
                    headers: parts.headers,
                    body,
                    at: Instant::now(),
                });
                log.len() - 1
            };
            match script[n.min(script.len() - 1)].clone() {
                Answer::Json(status, v) => (status, axum::Json(v)).into_response(),
                Answer::RetryAfter(secs) => Response::builder()
                    .status(StatusCode::TOO_MANY_REQUESTS)
                    .header("retry-after", secs)
                    .body(axum::body::Body::from("slow down"))
                    .unwrap(),
                Answer::Status(status) => (status, "trouble").into_response(),
                Answer::Hang => std::future::pending::<Response>().await,
            }
        }
    };
    let addr = serve(Router::new().fallback(any(handler))).await;
    (
        client_with(addr, |c| {
            c.timeout = Duration::from_millis(300);
            tweak(c);
        }),
        seen,
    )
}

fn ok(v: Value) -> Answer {
    Answer::Json(StatusCode::OK, v)
}

fn agents_page(ids: &[&str]) -> Answer {
    let agents: Vec<Value> = ids
        .iter()
        .map(|id| json!({"id": id, "name": id, "stringee_user_id": id}))
        .collect();
    ok(
        json!({"r": 0, "message": "Load agent(s) success", "project": 1, "data": {
        "totalAgents": ids.len().to_string(), "totalCount": ids.len().to_string(),
        "totalPages": 1, "currentPage": 1, "limit": 100, "agents": agents}}),
    )
}

fn stats(get: u64, post: u64) -> Vec<(String, u64)> {
    let mut v = Vec::new();
    if get > 0 {
        v.push(("GET".to_owned(), get));
    }
    if post > 0 {
        v.push(("POST".to_owned(), post));
    }
    v
}

fn counts(s: &RequestStats) -> Vec<(String, u64)> {
    s.requests.clone().into_iter().collect()
}

#[tokio::test]
async fn every_request_carries_a_valid_token_in_x_stringee_auth() {
    let (client, seen) = scripted(vec![agents_page(&["a"])]).await;
    client.list_all::<wire::Agent>(None).await.unwrap();
    let seen = seen.lock().unwrap();
    let token = seen[0].headers["x-stringee-auth"].to_str().unwrap();
    let (header, claims) = decode(token, SECRET);
    assert_eq!(header["cty"], "stringee-api;v=1");
    assert_eq!(claims["iss"], SID);
    assert_eq!(claims["rest_api"], true);
    assert!(
        !seen[0].uri.contains("access_token"),
        "token never in the URL"
    );
    assert_eq!(seen[0].uri, "/v1/agent?page=1&limit=100");
}

/// Ids PCC gave go into URL paths percent-encoded, one segment each: `/`, `?`, `#` and `%`
/// stay inside it. Dot segments cannot (a URL resolves `..`, and `%2E%2E`, so that
/// `DELETE /v1/group/..` would be `DELETE /v1/`), nor can an empty id: the request is refused
/// before anything is sent.
#[tokio::test]
async fn ids_stay_one_path_segment_and_dot_segments_are_never_sent() {
    let (client, seen) = scripted(vec![ok(json!({"r": 0, "message": "ok"}))]).await;
    client
        .delete::<wire::Group>("../agent/AG_1?x=1#y")
        .await
        .unwrap();
    client.delete::<wire::Group>("%2e%2e").await.unwrap();
    for id in ["..", ".", ""] {
        let err = client.delete::<wire::Group>(id).await.unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{id}: {err:?}");
        assert!(err.to_string().contains("nothing was sent"), "{err}");
        let err = client
            .update::<wire::Agent>(id, &AgentBody::default())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{id}: {err:?}");
    }
    let uris: Vec<String> = seen.lock().unwrap().iter().map(|s| s.uri.clone()).collect();
    assert_eq!(
        uris,
        [
            "/v1/group/..%2Fagent%2FAG_1%3Fx%3D1%23y",
            "/v1/group/%252e%252e"
        ]
    );
}

#[tokio::test]
async fn get_answered_503_is_retried_until_it_succeeds() {
    let (client, seen) = scripted(vec![
        Answer::Status(StatusCode::SERVICE_UNAVAILABLE),
        Answer::Status(StatusCode::BAD_GATEWAY),
        agents_page(&["a", "b"]),
    ])
    .await;
    let agents = client.list_all::<wire::Agent>(None).await.unwrap();
    assert_eq!(agents.len(), 2);
    assert_eq!(seen.lock().unwrap().len(), 3);
    assert_eq!(counts(&client.stats()), stats(3, 0));
    assert_eq!(client.stats().retries, 2);
    assert_eq!(client.answers(), 3, "a 5xx is an answer");
}

#[tokio::test]
async fn get_that_keeps_failing_gives_up_after_max_attempts() {
    let (client, seen) = scripted(vec![Answer::Status(StatusCode::INTERNAL_SERVER_ERROR)]).await;
    let err = client.list_all::<wire::Group>(None).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Status {
                status: 500,
                attempts: 4,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(seen.lock().unwrap().len(), 4);
    assert_eq!(
        err.to_string(),
        "GET /v1/group?page=1&limit=100: HTTP 500 after 4 attempt(s): trouble"
    );
    // PCC answered: a request that fails on its own is not an outage.
    assert!(!err.is_unreachable());
}

#[tokio::test]
async fn get_that_times_out_is_retried() {
    let (client, seen) = scripted(vec![Answer::Hang, agents_page(&["a"])]).await;
    assert_eq!(client.list_all::<wire::Agent>(None).await.unwrap().len(), 1);
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn answer_429_is_retried_after_retry_after_even_for_a_write() {
    let (client, seen) = scripted(vec![
        Answer::RetryAfter("1"),
        ok(json!({"r": 0, "project": 1, "agentID": "AG_NEW", "message": "Create agent success"})),
    ])
    .await;
    let id = client
        .create::<wire::Agent>(&AgentBody {
            name: Some("Alice".into()),
            stringee_user_id: Some("alice".into()),
            ..AgentBody::default()
        })
        .await
        .unwrap();
    assert_eq!(id, "AG_NEW");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].method, Method::POST);
    assert_eq!(
        seen[1].body, seen[0].body,
        "the retried request carries the same body"
    );
    let waited = seen[1].at - seen[0].at;
    assert!(
        waited >= Duration::from_secs(1),
        "Retry-After: 1 honoured, waited {waited:?}"
    );
    assert_eq!(counts(&client.stats()), stats(0, 2));
}

#[tokio::test]
async fn retry_after_longer_than_allowed_fails_at_once() {
    let (client, seen) = scripted(vec![Answer::RetryAfter("3600")]).await;
    let err = client.list_all::<wire::Agent>(None).await.unwrap_err();
    assert!(err.is_throttled(), "{err:?}");
    assert_eq!(seen.lock().unwrap().len(), 1);
}

/// A `Retry-After` too large for a `Duration` is a wait longer than allowed, not a panic.
#[tokio::test]
async fn retry_after_beyond_any_duration_fails_at_once() {
    let (client, seen) = scripted(vec![Answer::RetryAfter("1e30")]).await;
    let err = client.list_all::<wire::Agent>(None).await.unwrap_err();
    assert!(err.is_throttled(), "{err:?}");
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn post_answered_500_is_not_retried_and_is_uncertain() {
    let (client, seen) = scripted(vec![
        Answer::Status(StatusCode::INTERNAL_SERVER_ERROR),
        ok(json!({"r": 0, "groupID": "GR_X"})),
    ])
    .await;
    let err = client
        .create::<wire::Group>(&wire::GroupBody {
            name: "sales".into(),
        })
        .await
        .unwrap_err();
    assert!(err.is_uncertain(), "{err:?}");
    assert_eq!(
        err.to_string(),
        "POST /v1/group: the request may or may not have been applied (HTTP 500)"
    );
    assert_eq!(seen.lock().unwrap().len(), 1, "never retried");
    // PCC's own 500: the request is over, it cannot land later.
    assert!(!err.may_land_later());
    assert!(!err.is_unreachable());
}

#[tokio::test]
async fn write_that_times_out_is_not_retried_and_is_uncertain() {
    let (client, seen) = scripted(vec![Answer::Hang, ok(json!({"r": 0}))]).await;
    let err = client.delete::<wire::Queue>("QU_1").await.unwrap_err();
    assert!(err.is_uncertain(), "{err:?}");
    assert!(err.to_string().contains("no answer within"), "{err}");
    assert_eq!(seen.lock().unwrap().len(), 1);
    // The server may still be working on it.
    assert!(err.may_land_later());
}

#[tokio::test]
async fn write_whose_connection_drops_is_uncertain() {
    // A server that reads the request, then closes without a word.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(Mutex::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            *count.lock().unwrap() += 1;
            let mut buf = vec![0u8; 4096];
            let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut buf).await;
            drop(socket);
        }
    });
    let client = client(addr);
    let err = client
        .create::<wire::Tree>(&wire::TreeBody {
            tree_name: "main".into(),
        })
        .await
        .unwrap_err();
    assert!(err.is_uncertain(), "{err:?}");
    assert!(err.may_land_later());
    assert_eq!(*accepted.lock().unwrap(), 1, "never retried");

    // The same failure on a read is retried, then reported as a transport error: PCC did
    // not answer.
    let err = client.list_all::<wire::Tree>(None).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                attempts: 4,
                silence: Silence::Dropped,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_unreachable());
}

#[tokio::test]
async fn write_that_cannot_connect_was_never_sent_so_it_is_retried() {
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let client = client(addr);
    let err = client
        .create::<wire::Group>(&wire::GroupBody { name: "x".into() })
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                attempts: 4,
                silence: Silence::Connect,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_unreachable());
    assert_eq!(client.stats().requests["POST"], 4);
}

/// An endpoint that accepts connections and never answers (a hung server, a proxy whose
/// backend is gone). Each connection is kept open and unread; the count is of connections.
async fn silent_endpoint() -> (std::net::SocketAddr, Arc<Mutex<usize>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(Mutex::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            *count.lock().unwrap() += 1;
            held.push(socket);
        }
    });
    (addr, accepted)
}

#[tokio::test]
async fn a_silent_endpoint_costs_a_read_two_timeouts_and_a_write_one() {
    let (addr, accepted) = silent_endpoint().await;
    // Four attempts allowed (support::client), but only two may time out.
    let client = client_with(addr, |c| c.timeout = Duration::from_millis(150));
    let err = client.list_all::<wire::Agent>(None).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                attempts: 2,
                silence: Silence::Timeout,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "GET /v1/agent?page=1&limit=100: no answer within 0.15s after 2 attempt(s)"
    );
    assert!(err.is_unreachable());
    assert_eq!(counts(&client.stats()), stats(2, 0));
    assert_eq!(client.answers(), 0);

    // A write is never sent twice blindly: one timeout, and it may still be carried out.
    let err = client
        .create::<wire::Group>(&wire::GroupBody { name: "x".into() })
        .await
        .unwrap_err();
    assert!(err.is_uncertain() && err.may_land_later(), "{err:?}");
    assert!(!err.is_unreachable());
    assert_eq!(counts(&client.stats()), stats(2, 1));
    assert_eq!(*accepted.lock().unwrap(), 3);
}

#[tokio::test]
async fn a_timeout_budget_of_one_gives_up_at_the_first_timeout() {
    let (client, seen) = scripted_with(vec![Answer::Hang, agents_page(&["a"])], |c| {
        c.retry.max_timeouts = 1
    })
    .await;
    let err = client.list_all::<wire::Agent>(None).await.unwrap_err();
    assert!(err.is_unreachable(), "{err:?}");
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn forbidden_r5_is_an_auth_error_naming_the_variables() {
    let (client, seen) = scripted(vec![Answer::Json(
        StatusCode::FORBIDDEN,
        json!({"r": 5, "message": "keySid invalid"}),
    )])
    .await;
    let err = client.list_all::<wire::Number>(None).await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("STRINGEE_API_KEY_SID"), "{text}");
    assert!(text.contains("STRINGEE_API_KEY_SECRET"), "{text}");
    assert!(text.contains("keySid invalid"), "{text}");
    assert_eq!(
        seen.lock().unwrap().len(),
        1,
        "auth failures are not retried"
    );
}

#[tokio::test]
async fn nonzero_r_is_an_api_error_with_code_and_message() {
    let (client, _) = scripted(vec![ok(
        json!({"r": 4, "message": "queue is still routed to groups"}),
    )])
    .await;
    let err = client.delete::<wire::Queue>("QU_1").await.unwrap_err();
    match &err {
        Error::Api { r, message, .. } => {
            assert_eq!(*r, 4);
            assert_eq!(message, "queue is still routed to groups");
        }
        other => panic!("expected Api, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "DELETE /v1/queue/QU_1: PCC refused the request (r=4): queue is still routed to groups"
    );
}

#[tokio::test]
async fn creating_an_existing_number_reports_its_id() {
    let (client, _) = scripted(vec![ok(
        json!({"r": 2, "message": "Number existed", "numberID": "NU_OLD"}),
    )])
    .await;
    let err = client
        .create::<wire::Number>(&NumberBody {
            number: Some("842473082686".into()),
            ..NumberBody::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::NumberExists { number, id } if number == "842473082686" && id == "NU_OLD"),
        "{err:?}"
    );
}

/// A create PCC says succeeded but whose answer has no id where the contract puts it fails
/// loudly, naming the keys the answer has (never their values): read as a lost answer, the
/// executor would look the object up and carry on, and a PCC that names ids differently would
/// go unnoticed.
#[tokio::test]
async fn create_answered_without_its_id_key_fails_naming_the_keys() {
    let (client, seen) = scripted(vec![ok(
        json!({"r": 0, "message": "ok", "id": "QU_SECRETVALUE", "data": {"queueID": "x"}}),
    )])
    .await;
    let err = client
        .create::<wire::Queue>(&wire::QueueBody::default())
        .await
        .unwrap_err();
    assert!(!err.is_uncertain(), "{err:?}");
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "POST /v1/queue: unexpected answer: PCC says it was done (r=0), but the answer has no \
         usable `queueID` (it has `data`, `id`, `message`, `r`): the object was probably made; \
         run `switchboard plan` to see it"
    );
    assert_eq!(seen.lock().unwrap().len(), 1, "never sent again");
}

#[tokio::test]
async fn bodies_follow_the_contract() {
    let (client, seen) = scripted(vec![ok(json!({
        "r": 0, "ivrNodeID": "NO_1", "isRootNode": true, "agentID": "AG_1", "groupID": "GR_1"
    }))])
    .await;
    let created = client
        .create::<wire::Node>(&wire::NodeBody {
            tree: Some("TR_1".into()),
            node_name: Some("menu".into()),
            node_play_mode: Some("talk".into()),
            node_play_content: Some("Hello".into()),
            barge_in: Some(false),
            ..wire::NodeBody::default()
        })
        .await
        .unwrap();
    assert_eq!(
        created,
        wire::NodeCreated {
            id: "NO_1".into(),
            is_root: true
        }
    );
    let pair = wire::Membership {
        agent_id: "AG_1".into(),
        group_id: "GR_1".into(),
    };
    client.delete_made::<wire::GroupAgent>(&pair).await.unwrap();
    client
        .update::<wire::Agent>(
            "AG_1",
            &AgentBody {
                phone_number: Some(String::new()),
                ..AgentBody::default()
            },
        )
        .await
        .unwrap();
    client
        .upload_greeting("switchboard name=x sha256=00", b"RIFF....WAVE".to_vec())
        .await
        .unwrap_err(); // the scripted answer has no filename: uncertain
    let seen = seen.lock().unwrap();
    let bodies: Vec<(String, String, String)> = seen
        .iter()
        .map(|s| {
            (
                s.method.to_string(),
                s.uri.clone(),
                String::from_utf8_lossy(&s.body).into_owned(),
            )
        })
        .collect();
    insta::assert_debug_snapshot!("request_bodies", bodies);
}

#[tokio::test]
async fn later_pages_are_read_after_the_first_with_limit_100() {
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = seen.clone();
    let handler = move |uri: axum::http::Uri| {
        let log = log.clone();
        async move {
            log.lock().unwrap().push(uri.to_string());
            let query = uri.query().unwrap_or("");
            let page: usize = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("page="))
                .unwrap()
                .parse()
                .unwrap();
            let total = 250;
            let items: Vec<Value> = ((page - 1) * 100..(page * 100).min(total))
                .map(|i| json!({"agent_id": format!("AG_{i:03}"), "group_id": "GR_1"}))
                .collect();
            axum::Json(json!({"r": 0, "data": {
                "totalCount": total.to_string(), "totalPages": "3", "currentPage": page,
                "limit": 100, "groupAgents": items}}))
        }
    };
    let addr = serve(Router::new().route("/v1/manage-agents-in-group", any(handler))).await;
    let members = client(addr)
        .list_all::<wire::GroupAgent>(Some("GR_1"))
        .await
        .unwrap();
    let ids: Vec<&str> = members.iter().map(|m| m.agent_id.as_str()).collect();
    let expected: Vec<String> = (0..250).map(|i| format!("AG_{i:03}")).collect();
    assert_eq!(ids, expected, "all pages, in order");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    assert_eq!(
        seen[0],
        "/v1/manage-agents-in-group?group=GR_1&page=1&limit=100"
    );
    let mut rest = seen[1..].to_vec();
    rest.sort();
    assert_eq!(
        rest,
        [
            "/v1/manage-agents-in-group?group=GR_1&page=2&limit=100",
            "/v1/manage-agents-in-group?group=GR_1&page=3&limit=100"
        ]
    );
}

/// A list answered without `totalPages` (unverified for queues, numbers, nodes and key
/// presses) is walked page by page. PCC may cut `limit=100` to a smaller page (its samples
/// show 50): a page shorter than 100 is then not the last, and stopping there would leave
/// queues out of the read, for the plan to create them a second time.
#[tokio::test]
async fn a_list_without_total_pages_is_read_to_its_end_whatever_page_size_pcc_uses() {
    let seen = Arc::new(Mutex::new(0usize));
    let log = seen.clone();
    let handler = move |uri: axum::http::Uri| {
        let log = log.clone();
        async move {
            *log.lock().unwrap() += 1;
            let page: usize = uri
                .query()
                .unwrap_or("")
                .split('&')
                .find_map(|kv| kv.strip_prefix("page="))
                .unwrap()
                .parse()
                .unwrap();
            // At most 50 a page, whatever the client asks; a count but no `totalPages`.
            let total = 120;
            let items: Vec<Value> = ((page - 1) * 50..(page * 50).min(total))
                .map(|i| json!({"id": format!("QU_{i:03}"), "name": format!("q{i:03}")}))
                .collect();
            axum::Json(json!({"r": 0, "data": {
                "totalCount": total.to_string(), "currentPage": page, "limit": 50,
                "queues": items}}))
        }
    };
    let addr = serve(Router::new().route("/v1/queue", any(handler))).await;
    let queues = client(addr).list_all::<wire::Queue>(None).await.unwrap();
    let ids: Vec<&str> = queues.iter().map(|q| q.id.as_str()).collect();
    let expected: Vec<String> = (0..120).map(|i| format!("QU_{i:03}")).collect();
    assert_eq!(ids, expected, "every page, in order");
    assert_eq!(*seen.lock().unwrap(), 3, "three pages of 50, no more");
}

/// A server that answers page `page` of a queue list with `items(page)` and the given
/// `totalCount` and `totalPages` (left out when `None`); answers the count of requests.
async fn queue_pages(
    count: Option<Value>,
    pages: Option<Value>,
    items: fn(usize) -> std::ops::Range<usize>,
) -> (pcc::Client, Arc<Mutex<usize>>) {
    let seen = Arc::new(Mutex::new(0usize));
    let log = seen.clone();
    let handler = move |uri: axum::http::Uri| {
        let (log, count, pages) = (log.clone(), count.clone(), pages.clone());
        async move {
            *log.lock().unwrap() += 1;
            let page: usize = uri
                .query()
                .unwrap_or("")
                .split('&')
                .find_map(|kv| kv.strip_prefix("page="))
                .unwrap()
                .parse()
                .unwrap();
            let items: Vec<Value> = items(page)
                .map(|i| json!({"id": format!("QU_{i:03}"), "name": format!("q{i:03}")}))
                .collect();
            let mut data = json!({"currentPage": page, "limit": 100, "queues": items});
            if let Some(count) = count {
                data["totalCount"] = count;
            }
            if let Some(pages) = pages {
                data["totalPages"] = pages;
            }
            axum::Json(json!({"r": 0, "data": data}))
        }
    };
    let addr = serve(Router::new().route("/v1/queue", any(handler))).await;
    (client(addr), seen)
}

/// A `totalPages` that is negative, beyond `u32` (it once wrapped to 1), more than a list of
/// its count can have, or absurd is refused as an unexpected answer after the first page,
/// never followed: each page past the first is a request made at once.
#[tokio::test]
async fn a_total_pages_that_is_no_page_count_is_refused_not_followed() {
    let first_two = |page: usize| if page == 1 { 0..2 } else { 0..0 };
    for (count, pages, says) in [
        (
            Some(json!("2")),
            json!(-1),
            "data.totalPages is -1, not a page count",
        ),
        (
            Some(json!("2")),
            json!(4_294_967_297_u64),
            "data.totalPages is 4294967297, more than the 2 pages a list of 2 items can have",
        ),
        (
            Some(json!("2")),
            json!(5),
            "data.totalPages is 5, more than the 2 pages a list of 2 items can have",
        ),
        (
            None,
            json!(200_000),
            "the list claims 199999 more pages; with what this read already asked for that is \
             more than the 20000 list pages one read asks for",
        ),
    ] {
        let (client, seen) = queue_pages(count, Some(pages), first_two).await;
        let err = client.list_all::<wire::Queue>(None).await.unwrap_err();
        assert!(
            matches!(err, Error::Decode { .. } | Error::TooLarge { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains(says), "{err}");
        assert_eq!(*seen.lock().unwrap(), 1, "{err}");
    }
}

/// Pages that do not add up to `totalCount` (a page cut short, objects that moved between
/// pages while they were read) fail the read, saying so and to run again: a short read would
/// make the plan create the missing objects a second time.
#[tokio::test]
async fn pages_that_do_not_add_up_to_the_count_fail_the_read() {
    // Three pages announced, the second cut short.
    let short = |page: usize| match page {
        1 => 0..100,
        2 => 100..150,
        3 => 200..250,
        _ => 0..0,
    };
    let (client, _) = queue_pages(Some(json!("250")), Some(json!(3)), short).await;
    let err = client
        .list_all::<wire::Queue>(None)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "GET /v1/queue: unexpected answer: the list is inconsistent: its pages hold 200 \
             items but PCC counts 250"
        ),
        "{err}"
    );
    assert!(err.contains("run again"), "{err}");

    // No `totalPages`: the walk ends at an empty page before the count is reached.
    let (client, seen) = queue_pages(Some(json!("120")), None, |page| match page {
        1 => 0..50,
        _ => 0..0,
    })
    .await;
    let err = client
        .list_all::<wire::Queue>(None)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("its pages hold 50 items but PCC counts 120"),
        "{err}"
    );
    assert_eq!(*seen.lock().unwrap(), 2);

    // One page whose `totalPages` says 1 but whose count says more.
    let (client, _) = queue_pages(Some(json!(150)), Some(json!(1)), |_| 0..100).await;
    let err = client
        .list_all::<wire::Queue>(None)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("its pages hold 100 items but PCC counts 150"),
        "{err}"
    );
}

#[tokio::test]
async fn a_bad_endpoint_is_a_config_error() {
    let config = pcc::Config::with_endpoint("ftp://example.com", pcc::Credentials::new(SID, "x"));
    let err = pcc::Client::new(config).unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(err.to_string().contains("ftp://example.com"), "{err}");

    for (endpoint, says) in [
        (
            "127.0.0.1:8080",
            "PCC endpoint `127.0.0.1:8080` has no scheme: write `http://127.0.0.1:8080` (or https://)",
        ),
        (
            "localhost:8080",
            "PCC endpoint `localhost:8080` has no scheme: write `http://localhost:8080` (or https://)",
        ),
        (
            "http://127.0.0.1:8080/v1/",
            "PCC endpoint `http://127.0.0.1:8080/v1` ends in /v1, which switchboard adds itself: leave it out",
        ),
        ("http://", "PCC endpoint `http://` is not a URL: empty host"),
        (
            "https://proxy-user:pr0xy-pa55@pcc.example.com:8443/",
            "PCC endpoint `https://***@pcc.example.com:8443` has a user name or password in it: \
             leave them out (switchboard authenticates with the API key)",
        ),
    ] {
        let config = pcc::Config::with_endpoint(endpoint, pcc::Credentials::new(SID, "x"));
        let err = pcc::Client::new(config).unwrap_err();
        assert!(err.to_string().ends_with(says), "{err}");
        assert!(!err.to_string().contains("pa55"), "{err}");
    }
}

#[test]
fn redact_url_hides_user_and_password_query_values_and_fragment() {
    for (url, shown) in [
        ("http://u:p@h:1/x@y", "http://***@h:1/x@y"),
        ("u:p@h:1", "***@h:1"),
        ("https://a@b@h", "https://***@h"),
        ("http://h/p?q=a@b", "http://h/p?q=***"),
        ("http://h", "http://h"),
        (
            "https://h/x?token=abc&key=def&flag#frag",
            "https://h/x?token=***&key=***&***#***",
        ),
        ("h:1?tok", "h:1?***"),
    ] {
        assert_eq!(pcc::redact_url(url), shown, "{url}");
    }
}

/// A write a resource's descriptor does not have (an update of a membership, a delete of one
/// by id, a delete by body of an agent, any write of a greeting file but its upload) fails
/// before any request: the generic operations send only what `pcc::rest` describes.
#[tokio::test]
async fn writes_a_descriptor_lacks_are_refused_unsent() {
    let (client, seen) = scripted(vec![Answer::Json(StatusCode::OK, json!({"r": 0}))]).await;
    let pair = wire::Membership {
        agent_id: "AG_1".into(),
        group_id: "GR_1".into(),
    };
    let refused = [
        client.update::<wire::GroupAgent>("AG_1", &pair).await,
        client.delete::<wire::GroupAgent>("AG_1").await,
        client
            .delete_made::<wire::Agent>(&AgentBody::default())
            .await,
        client.delete::<wire::GreetingFile>("f.wav").await,
        client.update::<wire::GreetingFile>("f.wav", &()).await,
    ];
    let messages: Vec<String> = refused
        .into_iter()
        .map(|r| match r {
            Err(e @ Error::Config(_)) => e.to_string(),
            other => panic!("expected a configuration error, got {other:?}"),
        })
        .collect();
    insta::assert_debug_snapshot!(messages);
    assert!(seen.lock().unwrap().is_empty(), "nothing may be sent");
}
