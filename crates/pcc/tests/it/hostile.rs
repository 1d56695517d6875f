//! The client against a hostile or broken PCC: endless bodies, absurd counts, lists that never
//! end, 429s for ever, shapes it does not know, and text meant for a terminal. Each fails the
//! read (or the call) with an error naming the endpoint and the cap, after a bounded number of
//! requests and bytes. `docs/security.md` ("PCC answers") lists these tests.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use pcc::ReadScope;
use pcc::{Error, Limits, ReadOptions, wire};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::support::{client_with, serve};

/// Bytes a raw server writes at most on one connection: enough to tell a client that stopped
/// reading at its cap from one that read on, small enough to keep a test that fails cheap.
const WRITE_AT_MOST: u64 = 24 << 20;

/// A server below HTTP's libraries: every connection gets `head` (status line and headers),
/// then `prefix`, then `chunk` again and again until the client hangs up or
/// [`WRITE_AT_MOST`] bytes are written (`endless`), or nothing more (the connection is held
/// open). Answers its address and, once each connection is over, the body bytes written on it.
async fn raw_server(
    head: &'static str,
    prefix: &'static str,
    chunk: Vec<u8>,
    endless: bool,
) -> (SocketAddr, UnboundedReceiver<u64>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (log, written) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let log = log.clone();
            let chunk = chunk.clone();
            tokio::spawn(async move {
                // The request head; a GET has no body, and a write's body is not needed.
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let head = format!("{head}\r\nconnection: close\r\n\r\n{prefix}");
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let mut sent = prefix.len() as u64;
                if endless {
                    while sent < WRITE_AT_MOST && stream.write_all(&chunk).await.is_ok() {
                        sent += chunk.len() as u64;
                    }
                    let _ = log.send(sent);
                } else {
                    let _ = log.send(sent);
                    // Held until the client hangs up.
                    let _ = stream.read(&mut buf).await;
                }
            });
        }
    });
    (addr, written)
}

fn limits(tweak: impl FnOnce(&mut Limits)) -> Limits {
    let mut limits = Limits::default();
    tweak(&mut limits);
    limits
}

fn client_limited(addr: SocketAddr, limits: Limits) -> pcc::Client {
    client_with(addr, |c| {
        c.limits = limits;
        c.timeout = Duration::from_secs(5);
    })
}

#[tokio::test]
async fn an_endless_list_answer_fails_at_the_cap_and_is_read_no_further() {
    let (addr, mut written) = raw_server(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json",
        r#"{"r":0,"data":{"totalCount":"1","agents":[{"id":"AG_1","name":""#,
        vec![b'x'; 64 << 10],
        true,
    )
    .await;
    let client = client_limited(addr, limits(|l| l.list_answer_bytes = 1 << 20));
    let err = client.list_all::<wire::Agent>(None).await.unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    let shown = err.to_string();
    assert!(
        shown.starts_with(
            "GET /v1/agent?page=1&limit=100: the answer (HTTP 200) goes on, past the 1 MiB \
             switchboard reads from one answer"
        ),
        "{shown}"
    );
    // The server could write little past the cap before the client hung up (the rest is
    // what socket buffers hold), and the request was not sent again.
    let sent = written.recv().await.unwrap();
    assert!(sent < 8 << 20, "{sent} bytes");
    assert!(written.try_recv().is_err());
}

#[tokio::test]
async fn a_length_announced_past_the_cap_is_refused_unread() {
    let (addr, _) = raw_server(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000000000",
        "",
        Vec::new(),
        false,
    )
    .await;
    let client = client_limited(addr, Limits::default());
    let started = Instant::now();
    let err = client.list_all::<wire::Queue>(None).await.unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    assert!(
        err.to_string().contains(
            "the answer (HTTP 200) announces 1000000000 bytes, past the 2 MiB switchboard \
             reads from one answer"
        ),
        "{err}"
    );
    // Refused on the header: the body it never sends is not waited for.
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn an_endless_error_answer_costs_only_its_first_bytes() {
    let (addr, mut written) = raw_server(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain",
        "down ",
        vec![b'y'; 64 << 10],
        true,
    )
    .await;
    let client = client_limited(addr, Limits::default());
    let err = client.list_all::<wire::Group>(None).await.unwrap_err();
    let Error::Status { status, body, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*status, 503);
    assert!(
        body.starts_with("down yyy") && body.chars().count() <= 201,
        "{body}"
    );
    for attempt in 0..4 {
        let sent = written.recv().await.unwrap();
        assert!(sent < 8 << 20, "attempt {attempt}: {sent} bytes");
    }

    // A write's success answer without end: the write was probably done, and says so.
    let (addr, _) = raw_server(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json",
        r#"{"r":0,"queueID":"QU_1","message":""#,
        vec![b'z'; 64 << 10],
        true,
    )
    .await;
    let err = client_limited(addr, Limits::default())
        .create::<wire::Queue>(&wire::QueueBody::default())
        .await
        .unwrap_err();
    assert!(err.is_uncertain(), "{err:?}");
    assert!(
        err.to_string()
            .contains("goes on, past the 64 KiB switchboard reads from one answer"),
        "{err}"
    );
}

/// A list server: `answer(path, page)` gives the `data` of each page; counts the requests.
async fn lists(answer: fn(&str, usize) -> Value) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let handler = move |uri: Uri| {
        let log = log.clone();
        async move {
            log.lock().unwrap().push(uri.to_string());
            let page: usize = uri
                .query()
                .unwrap_or("")
                .split('&')
                .find_map(|kv| kv.strip_prefix("page="))
                .and_then(|p| p.parse().ok())
                .unwrap_or(1);
            axum::Json(json!({"r": 0, "message": "ok", "data": answer(uri.path(), page)}))
                .into_response()
        }
    };
    (serve(Router::new().fallback(any(handler))).await, seen)
}

fn agents(from: usize, n: usize, name_len: usize) -> Vec<Value> {
    (from..from + n)
        .map(|i| {
            json!({"id": format!("AG_{i}"), "stringee_user_id": format!("u{i}"),
                   "name": "n".repeat(name_len)})
        })
        .collect()
}

#[tokio::test]
async fn a_claim_of_ten_million_objects_fails_before_a_second_request() {
    for claim in [
        json!({"totalCount": "10000000", "totalPages": 100_000}),
        json!({"totalCount": 10_000_000}),
    ] {
        // The claim rides on a page of 100 real items.
        let seen = Arc::new(Mutex::new(0usize));
        let log = seen.clone();
        let handler = move || {
            let (log, claim) = (log.clone(), claim.clone());
            async move {
                *log.lock().unwrap() += 1;
                let mut data = claim;
                data["currentPage"] = json!(1);
                data["agents"] = Value::Array(agents(0, 100, 4));
                axum::Json(json!({"r": 0, "data": data}))
            }
        };
        let addr = serve(Router::new().fallback(any(handler))).await;
        let err = client_limited(addr, Limits::default())
            .list_all::<wire::Agent>(None)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
        let shown = err.to_string();
        assert!(
            shown.starts_with("GET /v1/agent: the list claims"),
            "{shown}"
        );
        assert!(
            shown.contains("more than the 35000 objects one read takes")
                || shown.contains("more than the 20000 list pages one read asks for"),
            "{shown}"
        );
        assert_eq!(*seen.lock().unwrap(), 1, "{shown}");
    }
}

#[tokio::test]
async fn a_list_that_never_ends_stops_at_the_object_cap() {
    // No count, no page count: pages of 100 new objects for ever.
    let (addr, seen) = lists(|_, page| json!({"agents": agents((page - 1) * 100, 100, 4)})).await;
    let client = client_limited(addr, limits(|l| l.read_objects = 1_000));
    let err = client.list_all::<wire::Agent>(None).await.unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("this read holds more than 1000 objects, the most one read takes"),
        "{err}"
    );
    assert_eq!(seen.lock().unwrap().len(), 11);
}

#[tokio::test]
async fn a_read_stops_at_its_byte_cap() {
    // Five pages of about 100 KiB each, honestly counted.
    let (addr, seen) = lists(|_, page| {
        json!({"totalCount": 500, "totalPages": 5, "currentPage": page,
               "agents": agents((page - 1) * 100, 100, 1_000)})
    })
    .await;
    let client = client_limited(addr, limits(|l| l.read_bytes = 300 << 10));
    let err = client.list_all::<wire::Agent>(None).await.unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    assert!(
        err.to_string().contains(
            "this read has received more than 300 KiB of list answers, the most one read takes"
        ),
        "{err}"
    );
    assert!(seen.lock().unwrap().len() <= 5);
}

#[tokio::test]
async fn one_budget_holds_every_list_of_a_read() {
    // 100 agents and 100 groups, each list well within the cap of 150 alone.
    let (addr, _) = lists(|path, _| match path {
        "/v1/agent" => json!({"totalCount": 100, "agents": agents(0, 100, 4)}),
        "/v1/group" => {
            let groups: Vec<Value> = (0..100)
                .map(|i| json!({"id": format!("GR_{i}"), "name": format!("g{i}")}))
                .collect();
            json!({"totalCount": 100, "groups": groups})
        }
        _ => json!({"totalCount": 0}),
    })
    .await;
    let client = client_limited(addr, limits(|l| l.read_objects = 150));
    assert_eq!(
        client.list_all::<wire::Agent>(None).await.unwrap().len(),
        100
    );
    let err = pcc::read_live(
        &client,
        &ReadOptions::only([ReadScope::Agents, ReadScope::Groups]),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    assert!(err.to_string().contains("150 objects"), "{err}");
}

/// 429 for ever, asking to wait 1 s: one command waits on 429s 1.5 s in all here (120 s by
/// default), then gives up, and every later request of the command gives up at its first 429.
#[tokio::test]
async fn constant_429s_end_the_command_within_its_budget() {
    let seen = Arc::new(Mutex::new(0usize));
    let log = seen.clone();
    let handler = move || {
        let log = log.clone();
        async move {
            *log.lock().unwrap() += 1;
            Response::builder()
                .status(StatusCode::TOO_MANY_REQUESTS)
                .header("retry-after", "1")
                .body(axum::body::Body::from("slow down"))
                .unwrap()
        }
    };
    let addr = serve(Router::new().fallback(any(handler))).await;
    let client = client_with(addr, |c| {
        c.retry.max_attempts = 10;
        c.retry.max_retry_after = Duration::from_secs(5);
        c.retry.max_throttled = Duration::from_millis(1_500);
    });
    // The wait counted is the one asked, so the message reads 1.0 s however late the task
    // woke from it on a loaded machine.
    let started = Instant::now();
    let err = client.list_all::<wire::Agent>(None).await.unwrap_err();
    let took = started.elapsed();
    assert!(err.is_throttled(), "{err:?}");
    assert!(
        err.to_string().contains(
            "GET /v1/agent?page=1&limit=100: PCC keeps refusing with HTTP 429 (too many \
             requests): this command has waited 1.0 s on 429s; waiting 1.0 s more would pass \
             the 1.5 s it waits in all"
        ),
        "{err}"
    );
    // One wait of `retry_after` was made (the 2 requests say so), and none that would end
    // past the budget: with the waits uncapped, 9 of them would run.
    let retry_after = Duration::from_secs(1);
    let budget = Duration::from_millis(1_500);
    assert!(took >= retry_after, "{took:?}");
    assert!(took < budget + retry_after, "{took:?}");
    assert_eq!(*seen.lock().unwrap(), 2);

    let started = Instant::now();
    let err = client
        .create::<wire::Group>(&wire::GroupBody { name: "g".into() })
        .await
        .unwrap_err();
    assert!(err.is_throttled(), "{err:?}");
    // It gave up without waiting: any wait would take `retry_after`.
    assert!(started.elapsed() < retry_after, "{:?}", started.elapsed());
    assert_eq!(
        *seen.lock().unwrap(),
        3,
        "one request, not a round of waits"
    );
}

/// A read whose attempts ran out on server errors, the last one a 429, has been refused once,
/// not six times: it waits on its 429 like any other, and the command does not give up on
/// every later 429 (which ended an apply's every step on one unlucky read).
#[tokio::test]
async fn server_errors_before_a_429_are_not_counted_as_refusals() {
    let seen = Arc::new(Mutex::new(0usize));
    let log = seen.clone();
    let handler = move || {
        let log = log.clone();
        async move {
            let n = {
                let mut n = log.lock().unwrap();
                *n += 1;
                *n
            };
            let (status, body) = match n {
                1..=5 => (StatusCode::INTERNAL_SERVER_ERROR, "{}".to_owned()),
                6 | 7 => (StatusCode::TOO_MANY_REQUESTS, "slow down".to_owned()),
                _ => (
                    StatusCode::OK,
                    json!({"r": 0, "data": {"totalCount": "0", "totalPages": 1,
                        "currentPage": 1, "limit": 100, "agents": []}})
                    .to_string(),
                ),
            };
            Response::builder()
                .status(status)
                .header("retry-after", "0")
                .body(axum::body::Body::from(body))
                .unwrap()
        }
    };
    let addr = serve(Router::new().fallback(any(handler))).await;
    let client = client_with(addr, |c| {
        c.retry.max_attempts = 6;
        c.retry.initial_backoff = Duration::from_millis(1);
    });
    // Five 500s, then two 429s: the sixth attempt's 429 is the first refusal, so it waits
    // and the eighth attempt reads the (empty) list.
    let agents = client.list_all::<wire::Agent>(None).await.unwrap();
    assert!(agents.is_empty());
    assert_eq!(*seen.lock().unwrap(), 8);
}

/// The shapes real material shows (`docs/pcc-api-assumptions.md`) read as the documented
/// ones; a shape nobody documented fails, naming its keys and none of its values.
#[tokio::test]
async fn aliases_read_right_and_an_unknown_shape_fails_naming_its_keys() {
    let (addr, _) = lists(|path, _| match path {
        "/v1/greetingfile" => json!({"total": "1", "greeting_files": [
            {"sid": "FS_1", "filename": "F1.mp3", "desc1": "switchboard name=hold", "created": 1}
        ]}),
        "/v1/agent" => json!({"totalAgents": 2, "activePage": 1, "totalPages": 1,
                              "agents": agents(0, 2, 3)}),
        "/v1/queue" => json!({"count": 1, "items": [{"id": "QU_1", "name": "hunter2"}]}),
        _ => json!({"totalCount": 0}),
    })
    .await;
    let client = client_limited(addr, Limits::default());
    let greetings = client.list_all::<wire::GreetingFile>(None).await.unwrap();
    assert_eq!(greetings.len(), 1);
    assert_eq!(greetings[0].filename, "F1.mp3");
    assert_eq!(greetings[0].desc.as_deref(), Some("switchboard name=hold"));
    assert_eq!(greetings[0].sid.as_deref(), Some("FS_1"));
    assert_eq!(client.list_all::<wire::Agent>(None).await.unwrap().len(), 2);

    let err = client.list_all::<wire::Queue>(None).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "GET /v1/queue?page=1&limit=100: unexpected answer: data holds no list switchboard \
         knows (it reads `queues` with `totalCount`; data has `count`, `items`): this shape \
         is not in docs/pcc-api-assumptions.md, so nothing is read from it"
    );
}

/// PCC's messages and bodies reach errors as text, never as terminal commands.
#[tokio::test]
async fn pcc_text_in_errors_carries_no_control_character() {
    const HOSTILE: &str = "\u{1b}]0;owned\u{7}\u{1b}[2J\r::warning::fake\u{202e}gnp.exe";
    let handler = |uri: Uri| async move {
        match uri.path() {
            "/v1/agent" => axum::Json(json!({"r": 1, "message": HOSTILE})).into_response(),
            "/v1/group" => (
                StatusCode::FORBIDDEN,
                axum::Json(json!({"r": 5, "message": HOSTILE})),
            )
                .into_response(),
            _ => (StatusCode::BAD_REQUEST, HOSTILE).into_response(),
        }
    };
    let addr = serve(Router::new().fallback(any(handler))).await;
    let client = client_limited(addr, Limits::default());
    let errors = [
        client.list_all::<wire::Agent>(None).await.unwrap_err(),
        client.list_all::<wire::Group>(None).await.unwrap_err(),
        client.list_all::<wire::Queue>(None).await.unwrap_err(),
    ];
    for err in errors {
        let shown = err.to_string();
        assert!(
            !shown.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{shown:?}"
        );
        assert!(
            shown.contains(r"\u{1b}]0;owned\u{7}\u{1b}[2J\r::warning::fake\u{202e}"),
            "{shown}"
        );
    }
}

#[tokio::test]
async fn a_token_echoed_by_an_answer_never_reaches_an_error_or_a_value() {
    // A server (PCC or the account API) that quotes the request's `X-STRINGEE-AUTH` in its
    // message, its error body or a URL it holds: the token is a bearer credential for an
    // hour, and an error or a plan is printed in a CI log.
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    let handler = move |uri: Uri, headers: axum::http::HeaderMap| {
        let log = log.clone();
        async move {
            let token = headers
                .get("x-stringee-auth")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            log.lock().unwrap().push(token.clone());
            let said = format!("invalid token: {token} (header X-STRINGEE-AUTH: {token})");
            match uri.path() {
                "/v1/agent" => axum::Json(json!({"r": 1, "message": said})).into_response(),
                "/v1/group" => (
                    StatusCode::FORBIDDEN,
                    axum::Json(json!({"r": 5, "message": said})),
                )
                    .into_response(),
                "/v1/project" => axum::Json(json!({"r": 0, "data": {
                    "projects": [{"id": 1, "answer_url": format!("https://x.example.com/{token}"),
                                  "callback_url": format!("https://x.example.com/e?ref={token}")}],
                    "totalCount": 1}}))
                .into_response(),
                "/v1/number" => axum::Json(json!({"r": 0, "data": {
                    "numbers": [{"id": 7, "phone_number": "84900000001", "project_id": 1,
                                 "answer_url": token, "event_url": null}],
                    "totalCount": 1}}))
                .into_response(),
                _ => (StatusCode::BAD_REQUEST, said).into_response(),
            }
        }
    };
    let addr = serve(Router::new().fallback(any(handler))).await;
    let client = client_limited(addr, Limits::default());
    let errors = [
        client.list_all::<wire::Agent>(None).await.unwrap_err(),
        client.list_all::<wire::Group>(None).await.unwrap_err(),
        client.list_all::<wire::Queue>(None).await.unwrap_err(),
    ];
    let account = pcc::Account::new(
        &format!("http://{addr}"),
        pcc::Credentials::new("ACtestaccount000000000000000xyz", "account-secret-value"),
        &pcc::Config::with_endpoint(&format!("http://{addr}"), pcc::Credentials::new("SKx", "y")),
    )
    .unwrap();
    let wiring = account.read("1").await.unwrap();
    let shown = format!(
        "{}\n{wiring:?}",
        errors.iter().map(|e| format!("{e}\n")).collect::<String>()
    );
    let tokens = seen.lock().unwrap().clone();
    assert!(tokens.len() >= 5, "{tokens:?}");
    for token in tokens {
        let signature = token.rsplit_once('.').unwrap().1;
        assert!(!shown.contains(signature), "{shown}");
    }
    // What is left of the token shows where it was: the message is still read.
    assert!(shown.contains("invalid token: "), "{shown}");
    assert!(shown.contains(".***"), "{shown}");
}
