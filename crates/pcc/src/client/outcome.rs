//! What one attempt comes to: its [`Outcome`], and, given the retry rule's word on it, the
//! answer through PCC's `r` envelope or the [`Error`] it maps to.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::Client;
use super::config::redact_url;
use crate::answer::{self, Envelope};
use crate::error::{Error, Lost, Silence};
use crate::limits;
use crate::retry::Retry;

/// What one request ended with, before the retry rule looks at it.
pub(super) enum Outcome {
    Answer {
        status: StatusCode,
        retry_after: Option<Duration>,
        /// Where a redirect points (never followed).
        location: Option<String>,
        /// The body; for an answer that is not a success, at most its first
        /// [`Limits::answer_bytes`].
        body: Vec<u8>,
    },
    /// A success whose body is larger than the call reads: the length it announced, if it
    /// announced one (then nothing of it was read).
    TooLarge {
        status: StatusCode,
        announced: Option<u64>,
    },
    Failed(reqwest::Error),
}

/// An answer that passed the envelope: its `r` (and message), and its bytes for the caller to
/// read further.
pub(super) struct Answered {
    pub(super) envelope: Envelope,
    pub(super) body: Vec<u8>,
}

impl Answered {
    /// The body as a JSON tree. Only for answers capped at [`Limits::answer_bytes`]: a tree
    /// costs many times its bytes.
    pub(super) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// Why a reqwest failure got no answer.
pub(super) fn silence(err: &reqwest::Error) -> Silence {
    if err.is_connect() {
        Silence::Connect
    } else if err.is_timeout() {
        Silence::Timeout
    } else {
        Silence::Dropped
    }
}

/// A reqwest failure in words, without the URL (the caller names the request).
fn describe(err: &reqwest::Error, timeout: Duration, connect_timeout: Duration) -> String {
    if err.is_timeout() {
        return if err.is_connect() {
            format!(
                "could not connect within {}s",
                connect_timeout.as_secs_f64()
            )
        } else {
            format!("no answer within {}s", timeout.as_secs_f64())
        };
    }
    let mut cause = if err.is_connect() {
        "could not connect".to_owned()
    } else {
        "the connection failed".to_owned()
    };
    let mut source = std::error::Error::source(err);
    let mut innermost = None;
    while let Some(s) = source {
        innermost = Some(s.to_string());
        source = s.source();
    }
    if let Some(s) = innermost {
        cause.push_str(": ");
        cause.push_str(&s);
    }
    cause
}

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

impl Client {
    /// What one attempt comes to, given the retry rule's word on it: the answer through the
    /// envelope, or the error (the one a retry would replace, for [`Retry::Backoff`]).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn conclude(
        &self,
        method: &Method,
        shown: &str,
        attempt: u32,
        outcome: Outcome,
        rule: Retry,
        raw_r: bool,
        cap: usize,
    ) -> Result<Answered, Error> {
        let uncertain = |cause: String, lost: Lost| Error::Uncertain {
            method: method.to_string(),
            path: shown.to_owned(),
            cause,
            lost,
        };
        match outcome {
            Outcome::Failed(err) => {
                let cause = describe(&err, self.inner.timeout, self.inner.connect_timeout);
                let silence = silence(&err);
                tracing::debug!(%method, path = %shown, attempt, %cause, "pcc request failed");
                Err(match rule {
                    Retry::Uncertain => uncertain(cause, Lost::Silence(silence)),
                    _ => Error::Transport {
                        method: method.to_string(),
                        path: shown.to_owned(),
                        cause,
                        attempts: attempt,
                        silence,
                    },
                })
            }
            Outcome::TooLarge { status, announced } => {
                let size = match announced {
                    Some(n) => format!("announces {n} bytes"),
                    None => "goes on".to_owned(),
                };
                let what = format!(
                    "the answer (HTTP {}) {size}, past the {} switchboard reads from one answer",
                    status.as_u16(),
                    limits::bytes(cap as u64)
                );
                Err(match rule {
                    // A success to a write was probably applied, whatever its body.
                    Retry::Uncertain => uncertain(what, Lost::Unclear),
                    _ => Error::TooLarge {
                        method: method.to_string(),
                        path: shown.to_owned(),
                        what,
                        read_cap: false,
                    },
                })
            }
            Outcome::Answer {
                status,
                location,
                body,
                ..
            } => {
                tracing::debug!(%method, path = %shown, attempt, status = status.as_u16(), "pcc request");
                let status_error = |body: String| Error::Status {
                    method: method.to_string(),
                    path: shown.to_owned(),
                    status: status.as_u16(),
                    attempts: attempt,
                    body,
                };
                if status.is_redirection() {
                    return Err(status_error(format!(
                        "PCC redirects to `{}`, and switchboard follows no redirect (the token \
                         would go along): set --endpoint to the URL PCC answers at",
                        redact_url(location.as_deref().unwrap_or(""))
                    )));
                }
                if status.is_server_error() {
                    let code = status.as_u16();
                    return Err(match rule {
                        Retry::Uncertain => uncertain(format!("HTTP {code}"), Lost::Status(code)),
                        _ => status_error(excerpt(&body)),
                    });
                }
                self.judge(method, shown, status, body, raw_r)
                    .map_err(|e| e.unwrap_or_else(|body| status_error(excerpt(&body))))
            }
        }
    }

    /// Applies the envelope to an answer that is not a 5xx, a 429 or a redirect. `Err(Err(body))`
    /// is a failure PCC's envelope does not explain: the HTTP status, with the body.
    fn judge(
        &self,
        method: &Method,
        shown: &str,
        status: StatusCode,
        body: Vec<u8>,
        raw_r: bool,
    ) -> Result<Answered, Result<Error, Vec<u8>>> {
        let get = *method == Method::GET;
        let envelope = answer::envelope(&body);
        let r = envelope.as_ref().and_then(Envelope::r);
        if r == Some(5) && (status == StatusCode::FORBIDDEN || status.is_success()) {
            return Err(Ok(Error::Auth {
                message: envelope.as_ref().map(Envelope::message).unwrap_or_default(),
            }));
        }
        if !status.is_success() {
            return Err(match (r, &envelope) {
                (Some(r), Some(e)) if r != 0 => Ok(Error::Api {
                    method: method.to_string(),
                    path: shown.to_owned(),
                    r,
                    message: e.message(),
                }),
                _ => Err(body),
            });
        }
        let (Some(envelope), Some(r)) = (envelope, r) else {
            let cause = match answer::envelope(&body) {
                Some(e) => format!("the answer has no integer `r` (it has {})", e.keys),
                None => "the answer is not a JSON object with an integer `r`".to_owned(),
            };
            return Err(Ok(if get {
                Error::Decode {
                    method: method.to_string(),
                    path: shown.to_owned(),
                    cause,
                }
            } else {
                // A 2xx to a write was probably applied, whatever its body says.
                Error::Uncertain {
                    method: method.to_string(),
                    path: shown.to_owned(),
                    cause,
                    lost: Lost::Unclear,
                }
            }));
        };
        if r != 0 && !raw_r {
            return Err(Ok(Error::Api {
                method: method.to_string(),
                path: shown.to_owned(),
                r,
                message: envelope.message(),
            }));
        }
        Ok(Answered { envelope, body })
    }
}
