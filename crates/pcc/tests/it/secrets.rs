//! The API secret and tokens never reach Debug output, errors or logs.

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{any, get};
use pcc::wire::AgentBody;
use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;

use crate::support::{SECRET, client, serve};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn secret_and_token_appear_in_no_log_line_error_or_debug_output() {
    let seen_tokens = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = seen_tokens.clone();
    let router = Router::new()
        .route(
            "/v1/agent",
            any(move |headers: axum::http::HeaderMap| {
                let seen = seen.clone();
                async move {
                    let token = headers["x-stringee-auth"].to_str().unwrap().to_owned();
                    seen.lock().unwrap().push(token);
                    (
                        StatusCode::FORBIDDEN,
                        axum::Json(json!({"r": 5, "message": "keySid invalid"})),
                    )
                }
            }),
        )
        .route(
            "/v1/group",
            get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "down") }),
        );
    let addr = serve(router).await;
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(logs.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let client = client(addr);
    let mut shown = vec![format!("{client:?}")];
    let errors = [
        client.list_all::<pcc::wire::Agent>(None).await.unwrap_err(),
        client
            .create::<pcc::wire::Agent>(&AgentBody::default())
            .await
            .unwrap_err(),
        client.list_all::<pcc::wire::Group>(None).await.unwrap_err(),
    ];
    for err in &errors {
        shown.push(err.to_string());
        shown.push(format!("{err:?}"));
    }
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("/v1/group"), "requests are logged: {logs}");
    shown.push(logs);

    let tokens = seen_tokens.lock().unwrap().clone();
    assert!(!tokens.is_empty());
    for text in &shown {
        assert!(!text.contains(SECRET), "secret leaked: {text}");
        for token in &tokens {
            assert!(!text.contains(token.as_str()), "token leaked: {text}");
            // Not even the signature part.
            let signature = token.rsplit('.').next().unwrap();
            assert!(!text.contains(signature), "token signature leaked: {text}");
        }
    }
}

/// A redirect to another host must not carry the token there: `X-STRINGEE-AUTH` is not one of
/// the headers an HTTP client strips on a cross-host redirect, so the client follows none, and
/// says where PCC pointed.
#[tokio::test]
async fn a_redirect_elsewhere_is_not_followed_and_gets_no_token() {
    let elsewhere_saw = Arc::new(Mutex::new(Vec::<Option<String>>::new()));
    let saw = elsewhere_saw.clone();
    let elsewhere = serve(
        Router::new().fallback(any(move |headers: axum::http::HeaderMap| {
            let saw = saw.clone();
            async move {
                saw.lock().unwrap().push(
                    headers
                        .get("x-stringee-auth")
                        .map(|v| v.to_str().unwrap().to_owned()),
                );
                axum::Json(json!({"r": 0, "data": {"totalPages": 0, "agents": []}}))
            }
        })),
    )
    .await;
    let location = format!("http://{elsewhere}/v1/agent?page=1&limit=100");
    let pcc = serve(Router::new().fallback(any(move || {
        let location = location.clone();
        async move { (StatusCode::FOUND, [("location", location)], "moved") }
    })))
    .await;

    let err = client(pcc)
        .list_all::<pcc::wire::Agent>(None)
        .await
        .unwrap_err();
    assert!(
        elsewhere_saw.lock().unwrap().is_empty(),
        "the redirect was followed: {:?}",
        elsewhere_saw.lock().unwrap()
    );
    let text = err.to_string();
    assert!(
        text.contains("HTTP 302") && text.contains(&format!("http://{elsewhere}/v1/agent")),
        "{text}"
    );
    assert!(text.contains("--endpoint"), "says what to do: {text}");
}
