//! A hostile PCC for end-to-end tests: a small server on `127.0.0.1:0` that stands in front of
//! a real emulator and answers each request as the test says: passed through, reshaped (list
//! keys renamed, counts as ints), or replaced (an endless body, a count of ten million, 429 for
//! ever). It records every request it receives, so a test can assert that nothing was written.
//!
//! ```no_run
//! use e2e::Pcc;
//! use e2e::hostile_pcc::{Asked, HostilePcc, Reply};
//!
//! let pcc = Pcc::start();
//! let hostile = HostilePcc::start(&pcc, |asked: &Asked| match asked.path {
//!     "/v1/agent" => Reply::Endless(r#"{"r":0,"data":{"agents":[{"name":""#),
//!     _ => Reply::Forward,
//! });
//! // `work.switchboard(["plan", "hotline"]).against_endpoint(&hostile.url())`
//! assert_eq!(hostile.writes(), 0);
//! ```

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body::Frame;
use serde_json::Value;

use crate::Pcc;

/// The most an endless body sends, so that a test whose client reads on ends anyway (and
/// fails) rather than hangs: far past any cap switchboard has.
const ENDLESS_AT_MOST: u64 = 4 << 30;

/// What a request asked for.
#[derive(Debug)]
pub struct Asked<'a> {
    /// `GET`, `POST`...
    pub method: &'a str,
    /// The path, without the query.
    pub path: &'a str,
    /// The query, `""` when there is none.
    pub query: &'a str,
    /// Its `page` parameter (1 when absent or not a number).
    pub page: u64,
}

/// How to answer one request.
#[derive(Debug)]
pub enum Reply {
    /// Send it on to the emulator and its answer back unchanged.
    Forward,
    /// Send it on, and change its JSON answer with this function before it goes back.
    Reshape(fn(&Asked<'_>, &mut Value)),
    /// HTTP 200 with this JSON.
    Json(Value),
    /// HTTP 429 with this `Retry-After`.
    TooMany(&'static str),
    /// HTTP 200 whose body starts with this and never ends.
    Endless(&'static str),
}

type Answer = dyn Fn(&Asked<'_>) -> Reply + Send + Sync;

/// The server. Dropping it stops it.
#[derive(Debug)]
pub struct HostilePcc {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
    // Dropped last: the server runs on it.
    #[allow(dead_code)]
    runtime: tokio::runtime::Runtime,
}

impl HostilePcc {
    /// Starts in front of `upstream`, answering each request as `answer` says. Listening
    /// when this returns.
    pub fn start(
        upstream: &Pcc,
        answer: impl Fn(&Asked<'_>) -> Reply + Send + Sync + 'static,
    ) -> HostilePcc {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime for the hostile PCC");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = Arc::new(State {
            upstream: upstream.url(),
            http: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("an HTTP client"),
            answer: Box::new(answer),
            seen: seen.clone(),
        });
        let router = axum::Router::new().fallback(move |request: Request| {
            let state = state.clone();
            async move { state.answer(request).await }
        });
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        runtime.spawn(async move { axum::serve(listener, router).await });
        HostilePcc { url, seen, runtime }
    }

    /// `http://127.0.0.1:PORT`: give it to `--endpoint`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Every request received, as `METHOD /path?query`, in order.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().expect("never poisoned").clone()
    }

    /// Requests received that are not GETs.
    pub fn writes(&self) -> usize {
        self.seen()
            .iter()
            .filter(|r| !r.starts_with("GET "))
            .count()
    }
}

struct State {
    upstream: String,
    http: reqwest::Client,
    answer: Box<Answer>,
    seen: Arc<Mutex<Vec<String>>>,
}

impl State {
    async fn answer(&self, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let path = parts.uri.path().to_owned();
        let query = parts.uri.query().unwrap_or("").to_owned();
        let page = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("page="))
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        let method = parts.method.as_str().to_owned();
        self.seen
            .lock()
            .expect("never poisoned")
            .push(format!("{method} {}", parts.uri));
        let asked = Asked {
            method: &method,
            path: &path,
            query: &query,
            page,
        };
        let reshape = match (self.answer)(&asked) {
            Reply::Json(value) => return axum::Json(value).into_response(),
            Reply::TooMany(retry_after) => {
                let mut response =
                    (StatusCode::TOO_MANY_REQUESTS, "too many requests").into_response();
                response
                    .headers_mut()
                    .insert("retry-after", HeaderValue::from_static(retry_after));
                return response;
            }
            Reply::Endless(prefix) => {
                return Response::builder()
                    .header("content-type", "application/json")
                    .body(Body::new(Endless {
                        prefix: Some(Bytes::from_static(prefix.as_bytes())),
                        chunk: Bytes::from(vec![b'x'; 64 << 10]),
                        sent: 0,
                    }))
                    .expect("a response");
            }
            Reply::Forward => None,
            Reply::Reshape(f) => Some(f),
        };
        let body = axum::body::to_bytes(body, 64 << 20)
            .await
            .unwrap_or_default();
        let mut forwarded = self
            .http
            .request(
                parts.method.clone(),
                format!("{}{}", self.upstream, parts.uri),
            )
            .body(body);
        for name in ["x-stringee-auth", "content-type"] {
            if let Some(value) = parts.headers.get(name) {
                forwarded = forwarded.header(name, value);
            }
        }
        let Ok(upstream) = forwarded.send().await else {
            return (
                StatusCode::BAD_GATEWAY,
                "the emulator behind did not answer",
            )
                .into_response();
        };
        let status = upstream.status();
        let bytes = upstream.bytes().await.unwrap_or_default();
        match (reshape, serde_json::from_slice::<Value>(&bytes)) {
            (Some(f), Ok(mut value)) => {
                f(&asked, &mut value);
                (status, axum::Json(value)).into_response()
            }
            _ => (status, [("content-type", "application/json")], bytes).into_response(),
        }
    }
}

/// A body that starts with `prefix` and goes on with `chunk` until [`ENDLESS_AT_MOST`].
struct Endless {
    prefix: Option<Bytes>,
    chunk: Bytes,
    sent: u64,
}

impl http_body::Body for Endless {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Some(prefix) = self.prefix.take() {
            return Poll::Ready(Some(Ok(Frame::data(prefix))));
        }
        if self.sent >= ENDLESS_AT_MOST {
            return Poll::Ready(None);
        }
        self.sent += self.chunk.len() as u64;
        Poll::Ready(Some(Ok(Frame::data(self.chunk.clone()))))
    }
}
