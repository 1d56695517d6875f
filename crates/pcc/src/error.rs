//! The crate's one error type. Every variant names the request it came from (method and path,
//! never the token) so that a failure in a long apply can be traced to its step. Whatever PCC
//! sent (messages, bodies, names, ids) is shown through `spec::text::terminal`: escaped, and
//! with credentials in URLs redacted, wherever the error is printed.

use std::fmt;

use spec::{Address, Kind};

/// What can go wrong talking to PCC or reading its state.
#[derive(Clone, Debug, thiserror::Error)]
pub enum Error {
    /// The client was set up wrongly (a bad endpoint URL, an empty SID).
    #[error("invalid client configuration: {0}")]
    Config(String),

    /// PCC refused the API key (HTTP 403 `r:5`): wrong SID or secret, a key of another region,
    /// or a clock far enough off that the token looks expired.
    #[error(
        "PCC rejected the API key ({}): check STRINGEE_API_KEY_SID and STRINGEE_API_KEY_SECRET (the key must belong to the project, and this machine's clock must be right)",
        shown(.message)
    )]
    Auth {
        /// PCC's message, e.g. `keySid invalid`.
        message: String,
    },

    /// The account API refused the account key (HTTP 403 `r:5`): wrong account SID or
    /// secret, a project's API key given as the account key, or a clock far off.
    #[error(
        "the account API rejected the account key ({}): check STRINGEE_ACCOUNT_SID and STRINGEE_ACCOUNT_KEY_SECRET (the account's key, whose SID starts with AC, not a project's API key; and this machine's clock must be right)",
        shown(.message)
    )]
    AccountAuth {
        /// The account API's message, e.g. `keySid invalid`.
        message: String,
    },

    /// PCC answered `r != 0`: the request was understood and refused; nothing was changed.
    #[error("{} {}: PCC refused the request (r={r}): {}", shown(.method), shown(.path), shown(.message))]
    Api {
        /// HTTP method.
        method: String,
        /// Path and query.
        path: String,
        /// PCC's result code.
        r: i64,
        /// PCC's message.
        message: String,
    },

    /// Creating a number that PCC already has (`r:2 "Number existed"`); carries the existing id.
    #[error("number `{}` already exists in PCC (id {})", shown(.number), shown(.id))]
    NumberExists {
        /// The digits.
        number: String,
        /// The existing number's server id.
        id: String,
    },

    /// A write whose outcome is unknown: it timed out, the connection dropped, or the server
    /// answered 5xx. It may have been applied. The client never retries these; look the object
    /// up by its natural key before trying again.
    #[error(
        "{} {}: the request may or may not have been applied ({})",
        shown(.method),
        shown(.path),
        shown(.cause)
    )]
    Uncertain {
        /// HTTP method.
        method: String,
        /// Path and query.
        path: String,
        /// What happened instead of an answer.
        cause: String,
        /// How the answer was lost.
        lost: Lost,
    },

    /// An HTTP status that is not an answer PCC gives on success, after any retries.
    #[error(
        "{} {}: HTTP {status} after {attempts} attempt(s){}",
        shown(.method),
        shown(.path),
        body_suffix(.body)
    )]
    Status {
        /// HTTP method.
        method: String,
        /// Path and query.
        path: String,
        /// The last status.
        status: u16,
        /// Requests sent, retries included.
        attempts: u32,
        /// The start of the answer's body.
        body: String,
    },

    /// No answer at all (connection refused, timeout on a read), after any retries.
    #[error("{} {}: {} after {attempts} attempt(s)", shown(.method), shown(.path), shown(.cause))]
    Transport {
        /// HTTP method.
        method: String,
        /// Path and query.
        path: String,
        /// The last failure.
        cause: String,
        /// Requests sent, retries included.
        attempts: u32,
        /// Why the last attempt got no answer.
        silence: Silence,
    },

    /// An answer that does not have the shape the contract (`docs/pcc-api-assumptions.md`)
    /// promises.
    #[error("{} {}: unexpected answer: {}", shown(.method), shown(.path), shown(.cause))]
    Decode {
        /// HTTP method.
        method: String,
        /// Path and query.
        path: String,
        /// What did not fit.
        cause: String,
    },

    /// An answer, or a read, beyond what switchboard takes from PCC ([`crate::Limits`]): a
    /// real contact center stays far below, so PCC (or whatever answers at the endpoint) is
    /// broken or hostile. Nothing was changed.
    #[error(
        "{method} {path}: {what}; a real contact center stays far below that, so PCC (or \
         whatever answers at the endpoint) is broken or hostile: nothing was read from it{}",
        if *.read_cap { " (if the contact center really is that large, raise \
         --max-live-objects)" } else { "" }
    )]
    TooLarge {
        /// HTTP method.
        method: String,
        /// Path and query.
        path: String,
        /// What was too large, and the cap.
        what: String,
        /// True when the cap is one of the whole read's ([`crate::Limits::with_objects`]
        /// scales them), false for the cap on one answer.
        read_cap: bool,
    },

    /// PCC kept answering HTTP 429 (too many requests) past what switchboard waits
    /// ([`crate::RetryPolicy::max_retry_after`], [`crate::RetryPolicy::max_throttled`]). The
    /// request was not carried out; like an unreachable PCC, it stops apply from starting
    /// more steps.
    #[error(
        "{method} {path}: PCC keeps refusing with HTTP 429 (too many requests): {why}; \
         switchboard gives up rather than wait longer (this request changed nothing: run \
         again later, or apply slower with --max-rps)"
    )]
    Throttled {
        /// HTTP method.
        method: String,
        /// Path and query.
        path: String,
        /// Why switchboard stopped waiting.
        why: String,
    },

    /// The live project breaks rules switchboard relies on (two queues with one name, a key
    /// press that points nowhere...). Every problem found is listed.
    #[error("{}", LiveProblems(.0))]
    Live(Vec<LiveProblem>),
}

fn body_suffix(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(": {}", shown(body))
    }
}

/// Text PCC sent (or that names what it sent), as it may be printed: `spec::text::terminal`.
fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    spec::text::terminal(text)
}

/// Why a request got no answer at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Silence {
    /// No connection could be made: refused, no route, or the connect timeout ran out. The
    /// request was never sent.
    Connect,
    /// A connection was made, then closed or reset before an answer arrived.
    Dropped,
    /// The request timeout ran out before an answer arrived.
    Timeout,
}

/// How the answer to a write was lost ([`Error::Uncertain`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lost {
    /// No answer at all.
    Silence(Silence),
    /// An HTTP 5xx status instead of PCC's answer.
    Status(u16),
    /// An answer that does not say what was done (a success without the new id, a body that
    /// is not PCC's envelope).
    Unclear,
}

impl Error {
    /// True when the request may have been applied although it failed ([`Error::Uncertain`]).
    pub fn is_uncertain(&self) -> bool {
        matches!(self, Error::Uncertain { .. })
    }

    /// True when PCC could not be reached: after the client's retries, the last attempt got no
    /// answer at all (the connection was refused, closed before an answer, or timed out). An
    /// HTTP status, even a 5xx, is an answer: something reached PCC, or a proxy in front of it,
    /// and a request that fails on its own content must not read as an outage.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Error::Transport { .. })
    }

    /// True when PCC refused the request with 429s past what switchboard waits
    /// ([`Error::Throttled`]): the requests after it would be refused the same way.
    pub fn is_throttled(&self) -> bool {
        matches!(self, Error::Throttled { .. })
    }

    /// True for a write whose answer was lost in a way that leaves PCC possibly still working
    /// on it, so that it may be carried out after the client has given up: a timeout, a
    /// connection closed before the answer, or a gateway's 502 or 504. A 500 or 503 is PCC's
    /// own answer: the request is over, done or not.
    pub fn may_land_later(&self) -> bool {
        matches!(
            self,
            Error::Uncertain {
                lost: Lost::Silence(Silence::Timeout | Silence::Dropped) | Lost::Status(502 | 504),
                ..
            }
        )
    }
}

/// One way the live project breaks switchboard's rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveProblem {
    /// The object it concerns.
    pub subject: Subject,
    /// The server ids involved.
    pub ids: Vec<String>,
    /// What is wrong.
    pub problem: String,
    /// For a problem whose only effect is to leave whole objects out of the model (two groups
    /// with one name), what those objects use (`agent.alice`): a caller that sets the problem
    /// aside (see [`crate::live::normalise_setting_aside`]) must not delete these. `None` for
    /// a problem that cannot be set aside.
    pub uses: Option<Vec<Address>>,
}

/// What a [`LiveProblem`] concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    /// An object named by its natural key.
    Object(Address),
    /// An object whose natural key PCC does not hold, or holds in a form switchboard does not
    /// know: a group without a name (named by its server id), a key press whose `node_key` is
    /// `A` (named `A` within its node).
    Unnamed {
        /// Its kind.
        kind: Kind,
        /// The object it belongs to, if any (a key press's node).
        within: Option<Address>,
        /// What PCC holds in place of its key.
        name: String,
    },
}

impl Subject {
    /// The kind of object concerned.
    pub fn kind(&self) -> Kind {
        match self {
            Subject::Object(address) => address.kind(),
            Subject::Unnamed { kind, .. } => *kind,
        }
    }

    /// The object's key as messages show it after its kind (`sales`, `main/menu/1`), names as
    /// written: only ever printed through `shown`.
    fn name(&self) -> String {
        match self {
            Subject::Object(Address::Settings) => "call settings".to_owned(),
            Subject::Object(address) => address.unencoded_name(),
            Subject::Unnamed {
                within: Some(within),
                name,
                ..
            } => format!("{}/{name}", within.unencoded_name()),
            Subject::Unnamed { name, .. } => name.clone(),
        }
    }
}

impl LiveProblem {
    /// The address of the object concerned, when PCC holds its natural key.
    pub fn address(&self) -> Option<&Address> {
        match &self.subject {
            Subject::Object(address) => Some(address),
            Subject::Unnamed { .. } => None,
        }
    }

    /// The order problems are listed in: by kind as spelt, then by name, as people scan them.
    pub(crate) fn sort_key(&self) -> (&'static str, String, &[String], &str) {
        (
            self.subject.kind().as_str(),
            self.subject.name(),
            &self.ids,
            &self.problem,
        )
    }
}

impl fmt::Display for LiveProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, name) = (self.subject.kind(), self.subject.name());
        write!(f, "{kind} `{}`", shown(&name))?;
        if !self.ids.is_empty() {
            write!(f, " ({})", shown(&self.ids.join(", ")))?;
        }
        write!(f, ": {}", shown(&self.problem))
    }
}

struct LiveProblems<'a>(&'a [LiveProblem]);

impl fmt::Display for LiveProblems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "the live PCC project breaks switchboard's rules in {n} place{}; fix {} in PCC first (switchboard does not guess):",
            if n == 1 { "" } else { "s" },
            if n == 1 { "it" } else { "them" },
        )?;
        for problem in self.0 {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What PCC sends (a message, a body, a name, an id) may be anything: every error shows
    /// it escaped, with credentials redacted, wherever it is printed.
    #[test]
    fn what_pcc_sent_is_shown_escaped() {
        let hostile =
            "\x1b[32mvalid\x1b[0m\r::warning::x \u{202E} https://u:pw@h.example/?token=abc";
        let errors = [
            Error::Auth {
                message: hostile.into(),
            },
            Error::Api {
                method: "POST".into(),
                path: format!("/v1/group?name={hostile}"),
                r: 2,
                message: hostile.into(),
            },
            Error::NumberExists {
                number: hostile.into(),
                id: hostile.into(),
            },
            Error::Status {
                method: "GET".into(),
                path: "/v1/group".into(),
                status: 500,
                attempts: 3,
                body: hostile.into(),
            },
            Error::Decode {
                method: "GET".into(),
                path: "/v1/group".into(),
                cause: hostile.into(),
            },
            Error::Live(vec![LiveProblem {
                subject: Subject::Object(Address::Group(hostile.into())),
                ids: vec![hostile.into()],
                problem: hostile.into(),
                uses: None,
            }]),
        ];
        for error in errors {
            let shown = error.to_string();
            let body = shown.replace("\n  - ", " ");
            assert!(
                spec::text::terminal_problem(&body).is_none(),
                "{shown:?}: {:?}",
                spec::text::terminal_problem(&body)
            );
            assert!(!shown.contains("pw@") && !shown.contains("=abc"), "{shown}");
            assert!(shown.contains("\\u{1b}[32mvalid"), "{shown}");
        }
    }
}
