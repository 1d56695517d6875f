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
use serde_json::{Value, json};

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
    /// This HTTP status (a server error: 500, 503), with a short body.
    Status(u16),
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
            Reply::Status(code) => {
                let status = StatusCode::from_u16(code).expect("a test gives a valid HTTP status");
                return (status, "server trouble").into_response();
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

// ---------------------------------------------------------------------------------------------
// The cases the end-to-end test and `bench reliability --only hostile` share.
// ---------------------------------------------------------------------------------------------

/// The most resident memory a command may use, whatever PCC sends (issue 12's bound), in MiB.
pub const MEMORY_BOUND_MIB: u64 = 200;

/// GNU time, which reports a command's peak resident memory (`%M`, in KiB).
const GNU_TIME: &str = "/usr/bin/time";

/// One way a PCC can be hostile, and what a command must do against it.
#[derive(Debug)]
pub struct Case {
    /// What the PCC does, in words.
    pub name: &'static str,
    /// The command, run in a directory holding `examples/hotline` as `hotline`.
    pub args: &'static [&'static str],
    /// How the stub answers.
    pub answer: fn(&Asked<'_>) -> Reply,
    /// The exit code expected.
    pub exit: i32,
    /// Text the output must hold.
    pub says: &'static str,
    /// Writes that may reach the emulator behind the stub (only a case whose writes PCC
    /// carries out before the stub spoils their answer has any).
    pub writes: u64,
}

/// What a case did.
#[derive(Debug)]
pub struct Ran {
    /// The exit code.
    pub code: i32,
    /// Standard output, then standard error.
    pub output: String,
    /// Peak resident memory in MiB, where GNU time is installed.
    pub peak_mib: Option<u64>,
    /// Wall time in seconds.
    pub secs: f64,
    /// Requests the stub received.
    pub requests: usize,
    /// Writes that reached the emulator behind it.
    pub writes: u64,
}

impl Ran {
    /// What is wrong with this run of `case`; empty when it did what it must.
    pub fn problems(&self, case: &Case) -> Vec<String> {
        let mut problems = Vec::new();
        let name = case.name;
        if self.code != case.exit {
            problems.push(format!(
                "{name}: exit {} (expected {})",
                self.code, case.exit
            ));
        }
        if !self.output.contains(case.says) {
            problems.push(format!("{name}: the output lacks {:?}", case.says));
        }
        if let Some(c) = self
            .output
            .chars()
            .find(|&c| c.is_control() && c != '\n' && c != '\t')
        {
            problems.push(format!(
                "{name}: the output holds the control character {c:?}"
            ));
        }
        if let Some(peak) = self.peak_mib
            && peak >= MEMORY_BOUND_MIB
        {
            problems.push(format!(
                "{name}: peak memory {peak} MiB, over {MEMORY_BOUND_MIB} MiB"
            ));
        }
        if self.writes > case.writes {
            problems.push(format!(
                "{name}: {} writes reached PCC (at most {})",
                self.writes, case.writes
            ));
        }
        problems
    }
}

/// Runs `case` in `work` (which holds `hotline`) against a stub in front of a new, empty
/// emulator, under GNU time when it is installed.
pub fn run(case: &Case, work: &crate::Workdir) -> Ran {
    let pcc = Pcc::start();
    let hostile = HostilePcc::start(&pcc, case.answer);
    let plain = work
        .switchboard(case.args.iter().copied())
        .against_endpoint(&hostile.url())
        .command();
    let timed = std::path::Path::new(GNU_TIME).is_file();
    let mut command = if timed {
        let mut timed = std::process::Command::new(GNU_TIME);
        timed
            .arg("-f")
            .arg("peak-rss-kib=%M")
            .arg(plain.get_program());
        timed.args(plain.get_args());
        for (name, value) in plain.get_envs() {
            match value {
                Some(value) => timed.env(name, value),
                None => timed.env_remove(name),
            };
        }
        timed.current_dir(plain.get_current_dir().expect("a working directory"));
        timed.stdin(std::process::Stdio::null());
        timed
    } else {
        plain
    };
    let started = std::time::Instant::now();
    let output = command.output().expect("switchboard runs");
    let secs = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    crate::assert_no_secret("the output", format!("{stdout}{stderr}").as_bytes());
    let peak_mib = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("peak-rss-kib="))
        .next_back()
        .and_then(|kib| kib.trim().parse::<u64>().ok())
        .map(|kib| kib / 1024);
    assert!(
        peak_mib.is_some() || !timed,
        "{GNU_TIME} reported nothing: {stderr}"
    );
    // GNU time's own lines are not switchboard's output.
    let stderr: String = stderr
        .lines()
        .filter(|l| !l.starts_with("peak-rss-kib=") && !l.starts_with("Command exited with"))
        .map(|l| format!("{l}\n"))
        .collect();
    Ran {
        code: output.status.code().expect("switchboard exits, not killed"),
        output: stdout + &stderr,
        peak_mib,
        secs,
        requests: hostile.seen().len(),
        writes: pcc.stats().writes,
    }
}

/// Page `asked.page` of an agent list of `count` agents, 100 to a page, each named with
/// `name_len` characters; it says it is page `said_page` (the page asked for, when honest).
fn agents_page(asked: &Asked<'_>, count: u64, name_len: usize, said_page: u64) -> Value {
    let first = (asked.page - 1) * 100;
    let agents: Vec<Value> = (first..count.min(first + 100))
        .map(|n| {
            json!({"id": format!("AG_{n}"), "stringee_user_id": format!("u{n}"),
                   "name": "n".repeat(name_len)})
        })
        .collect();
    json!({"r": 0, "data": {"totalCount": count.to_string(), "totalPages": count.div_ceil(100),
                            "currentPage": said_page, "agents": agents}})
}

/// Terminal escapes, a carriage return and a workflow command, a bidi override.
const HOSTILE_TEXT: &str = "\u{1b}]0;owned\u{7}\u{1b}[2J\r::warning::fake\u{202e}gnp.exe";

/// Every hostile behaviour the tests and `bench reliability` try.
pub fn cases() -> Vec<Case> {
    const PLAN: &[&str] = &["plan", "hotline"];
    const APPLY: &[&str] = &["apply", "hotline", "--auto-approve", "--parallelism", "2"];
    vec![
        Case {
            name: "an endless list answer",
            args: PLAN,
            answer: |asked| match asked.path {
                "/v1/agent" => Reply::Endless(r#"{"r":0,"data":{"agents":[{"id":"AG_1","name":""#),
                _ => Reply::Forward,
            },
            exit: 1,
            says: "GET /v1/agent?page=1&limit=100: the answer (HTTP 200) goes on, past the 2 MiB \
                   switchboard reads from one answer; a real contact center stays far below \
                   that, so PCC (or whatever answers at the endpoint) is broken or hostile: \
                   nothing was read from it\n",
            writes: 0,
        },
        Case {
            name: "a claim of ten million objects",
            args: PLAN,
            answer: |asked| match asked.path {
                "/v1/agent" => Reply::Json(agents_page(asked, 10_000_000, 1, asked.page)),
                _ => Reply::Forward,
            },
            exit: 1,
            says: "GET /v1/agent: the list claims 9999900 more objects; with what this read \
                   already holds that is more than the 35000 objects one read takes; a real \
                   contact center stays far below that, so PCC (or whatever answers at the \
                   endpoint) is broken or hostile: nothing was read from it (if the contact \
                   center really is that large, raise --max-live-objects)",
            writes: 0,
        },
        Case {
            name: "list pages of 2 MiB until the read is full",
            args: PLAN,
            answer: |asked| match asked.path {
                "/v1/agent" => Reply::Json(agents_page(asked, 20_000, 20_000, asked.page)),
                _ => Reply::Forward,
            },
            exit: 1,
            says: "this read has received more than 8.5 MiB of list answers, the most one read \
                   takes",
            writes: 0,
        },
        Case {
            // Every agent to be deleted: the plan is as large as a PCC can make it.
            name: "the most objects and bytes the caps let through",
            args: PLAN,
            answer: |asked| match asked.path {
                "/v1/agent" => Reply::Json(agents_page(asked, 34_900, 180, asked.page)),
                _ => Reply::Forward,
            },
            exit: 0,
            says: "- agent.u34899",
            writes: 0,
        },
        Case {
            name: "a page that is not the page asked for",
            args: PLAN,
            answer: |asked| match asked.path {
                "/v1/agent" => Reply::Json(agents_page(asked, 200, 4, 1)),
                _ => Reply::Forward,
            },
            exit: 1,
            says: "GET /v1/agent?page=2&limit=100: unexpected answer: data.currentPage is 1 on \
                   the answer to page 2: PCC did not answer the page asked for",
            writes: 0,
        },
        Case {
            name: "a list key nobody documented",
            args: PLAN,
            answer: |asked| match asked.path {
                // The count goes too: an empty list may leave its key out when counted 0.
                "/v1/queue" => Reply::Reshape(|_, answer| {
                    let data = answer["data"].as_object_mut().expect("data");
                    let queues = data.remove("queues").expect("queues");
                    data.insert("queueList".into(), queues);
                    data.remove("totalCount");
                }),
                _ => Reply::Forward,
            },
            exit: 1,
            says: "GET /v1/queue?page=1&limit=100: unexpected answer: data holds no list \
                   switchboard knows",
            writes: 0,
        },
        Case {
            name: "a count that is not a number",
            args: PLAN,
            answer: |asked| match asked.path {
                "/v1/group" => Reply::Reshape(|_, answer| {
                    answer["data"]["totalCount"] = json!("many");
                }),
                _ => Reply::Forward,
            },
            exit: 1,
            says: "GET /v1/group?page=1&limit=100: unexpected answer: data.totalCount is a \
                   string that is not a number, not a count",
            writes: 0,
        },
        Case {
            name: "terminal escapes in PCC's message",
            args: PLAN,
            answer: |asked| match asked.path {
                "/v1/agent" => Reply::Json(json!({"r": 1, "message": HOSTILE_TEXT})),
                _ => Reply::Forward,
            },
            exit: 1,
            says: "GET /v1/agent?page=1&limit=100: PCC refused the request (r=1): \\u{1b}]0;owned",
            writes: 0,
        },
        Case {
            name: "Retry-After: 119 to every request",
            args: PLAN,
            answer: |_| Reply::TooMany("119"),
            exit: 1,
            says: "PCC keeps refusing with HTTP 429 (too many requests): it asks to wait 119 s, \
                   longer than the 60 s switchboard waits at once",
            writes: 0,
        },
        Case {
            name: "429 to every write",
            args: APPLY,
            answer: |asked| match asked.method {
                "GET" => Reply::Forward,
                _ => Reply::TooMany("0"),
            },
            exit: 1,
            says: "PCC refused every request with HTTP 429 past what switchboard waits",
            writes: 0,
        },
        Case {
            name: "503 to every write",
            args: APPLY,
            answer: |asked| match asked.method {
                "GET" => Reply::Forward,
                _ => Reply::Status(503),
            },
            exit: 1,
            says: "PCC failed 3 steps in a row with server errors",
            writes: 0,
        },
        Case {
            name: "a create answered without its id",
            args: APPLY,
            answer: |asked| match (asked.method, asked.path) {
                ("POST", "/v1/group") => Reply::Reshape(|_, answer| {
                    let id = answer
                        .as_object_mut()
                        .and_then(|a| a.remove("groupID"))
                        .unwrap_or_default();
                    answer["id"] = id;
                }),
                _ => Reply::Forward,
            },
            exit: 1,
            says: "POST /v1/group: unexpected answer: PCC says it was done (r=0), but the \
                   answer has no usable `groupID`",
            // At most one write a step of hotline's 46 (the groups are made once, never sent
            // again; what needs a group is skipped).
            writes: 46,
        },
    ]
}
