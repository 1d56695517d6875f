//! The retry rule: which outcomes of a request are sent again, and after how long. Pure: the
//! client ([`crate::Client`]) does the waiting.

use std::time::Duration;

use crate::error::Silence;

/// The retry rule. GETs are retried on 5xx, 429, timeouts and lost connections; any request is
/// retried on 429 (the server did not process it) and when no connection could be made (it
/// was never sent). A write that got 5xx, a timeout or a dropped connection is never retried:
/// it fails with [`crate::Error::Uncertain`]. Timeouts have a budget of their own
/// ([`RetryPolicy::max_timeouts`]): an endpoint that takes connections and never answers costs
/// a few timeouts, not one per attempt. Waiting on 429s has two caps, one wait and all the
/// waits of a command; past either, the call fails with [`crate::Error::Throttled`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Requests sent at most for one call, the first included.
    pub max_attempts: u32,
    /// Attempts of one call that may end in a timeout (the request's or the connection's);
    /// the call gives up at the one that reaches it. 2 (the default) retries a timed-out read
    /// once: enough to ride out one slow moment, and a silent endpoint costs two timeouts.
    pub max_timeouts: u32,
    /// The first backoff; each retry doubles it.
    pub initial_backoff: Duration,
    /// The longest backoff.
    pub max_backoff: Duration,
    /// The longest wait on one 429 (its `Retry-After`, else the backoff); a server asking for
    /// more fails the call at once.
    pub max_retry_after: Duration,
    /// The longest time a client (and its clones: one command) spends waiting on 429s in all,
    /// in wall time (waits that overlap count once). A wait that would pass it fails the call,
    /// and every later 429 fails at once.
    pub max_throttled: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            max_timeouts: 2,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
            max_throttled: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1 for the first): exponential, capped, with
    /// "equal jitter" (half fixed, half random) so that parallel callers spread out.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(1u32 << retry.saturating_sub(1).min(20));
        let capped = exp.min(self.max_backoff);
        let half = capped / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// What one attempt of a call ended with, as far as the retry rule cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ended {
    /// No answer: the connection could not be made, the request timed out, or the connection
    /// dropped (`silence`); `timed_out` when it was a timeout (of either kind).
    Silent { silence: Silence, timed_out: bool },
    /// A success whose body is larger than the call reads.
    TooLarge,
    /// An answer with this HTTP status.
    Status(u16),
}

/// What the retry rule makes of one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Send it again after [`RetryPolicy::backoff`] of this attempt.
    Backoff,
    /// A 429: the server did not process it; the throttle says how long to wait, if at all.
    Throttle,
    /// Not again: the answer (or the failure) stands.
    No,
    /// Not again: a write that may have been applied ([`crate::Error::Uncertain`]), for the caller to
    /// look up.
    Uncertain,
}

/// The retry rule, for attempt number `attempt` of a call (a `GET` when `get`), of which
/// `timeouts` (this one included) ended in a timeout. Pure: the waits are the caller's.
///
/// A `GET` is sent again on a 5xx or no answer; any request when no connection was made (it
/// was never sent); a write that got a 5xx, a timeout, a dropped connection or a success too
/// large to read may have been applied and is never sent again. A call stops at
/// [`RetryPolicy::max_attempts`], and at [`RetryPolicy::max_timeouts`] timeouts: a silent
/// endpoint costs a few timeouts, not one per attempt.
pub(crate) fn retry(
    policy: &RetryPolicy,
    get: bool,
    ended: Ended,
    attempt: u32,
    timeouts: u32,
) -> Retry {
    let again = |more: bool| {
        if more && attempt < policy.max_attempts {
            Retry::Backoff
        } else {
            Retry::No
        }
    };
    match ended {
        Ended::Status(429) => Retry::Throttle,
        Ended::Silent { silence, .. } if silence == Silence::Connect || get => {
            again(timeouts < policy.max_timeouts)
        }
        Ended::Silent { .. } => Retry::Uncertain,
        Ended::TooLarge if get => Retry::No,
        Ended::TooLarge => Retry::Uncertain,
        Ended::Status(500..=599) if get => again(true),
        Ended::Status(500..=599) => Retry::Uncertain,
        Ended::Status(_) => Retry::No,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row: (a GET?, how the attempt ended, attempt, timeouts so far, the rule's answer).
    #[test]
    fn the_retry_rule_table() {
        let policy = RetryPolicy::default();
        let silent = |silence, timed_out| Ended::Silent { silence, timed_out };
        let (connect, timeout, dropped) = (Silence::Connect, Silence::Timeout, Silence::Dropped);
        let rows = [
            // Reads are sent again on 5xx and silence, within the attempts and timeouts.
            (true, Ended::Status(503), 1, 0, Retry::Backoff),
            (true, Ended::Status(500), 5, 0, Retry::Backoff),
            (true, Ended::Status(503), 6, 0, Retry::No),
            (true, silent(dropped, false), 1, 0, Retry::Backoff),
            (true, silent(timeout, true), 1, 1, Retry::Backoff),
            (true, silent(timeout, true), 2, 2, Retry::No),
            (true, silent(connect, true), 1, 2, Retry::No),
            (true, Ended::TooLarge, 1, 0, Retry::No),
            // Writes: only what was never sent goes again; the rest may have been applied.
            (false, silent(connect, false), 1, 0, Retry::Backoff),
            (false, silent(connect, false), 6, 0, Retry::No),
            (false, silent(connect, true), 2, 2, Retry::No),
            (false, silent(timeout, true), 1, 1, Retry::Uncertain),
            (false, silent(dropped, false), 1, 0, Retry::Uncertain),
            (false, Ended::Status(502), 1, 0, Retry::Uncertain),
            (false, Ended::Status(500), 6, 0, Retry::Uncertain),
            (false, Ended::TooLarge, 1, 0, Retry::Uncertain),
            // 429 is the throttle's, for any request; other answers stand.
            (true, Ended::Status(429), 1, 0, Retry::Throttle),
            (false, Ended::Status(429), 9, 0, Retry::Throttle),
            (true, Ended::Status(200), 1, 0, Retry::No),
            (false, Ended::Status(200), 1, 0, Retry::No),
            (true, Ended::Status(404), 1, 0, Retry::No),
            (false, Ended::Status(403), 1, 0, Retry::No),
            (true, Ended::Status(301), 1, 0, Retry::No),
        ];
        for (get, ended, attempt, timeouts, want) in rows {
            assert_eq!(
                retry(&policy, get, ended, attempt, timeouts),
                want,
                "get={get} {ended:?} attempt {attempt}, {timeouts} timeouts"
            );
        }
    }
}
