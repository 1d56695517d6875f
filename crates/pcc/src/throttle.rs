//! The one place HTTP 429 is handled: how long to wait before trying again, and when to stop
//! waiting because PCC refuses everything. A single wait is capped
//! ([`RetryPolicy::max_retry_after`]), and so is the time one command spends waiting on 429s
//! in all ([`RetryPolicy::max_throttled`], wall time: waits that overlap count once, and a
//! wait counts no longer than it asked, so time the process spends descheduled past a wait's
//! end is not PCC's refusal). Past
//! either cap the call fails with [`Error::Throttled`](crate::Error::Throttled), and so does
//! every later 429 of the command, at once: apply stops starting steps on it as it does when
//! PCC is unreachable.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::client::RetryPolicy;

/// The 429s of one client and its clones.
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    waits: Mutex<Waits>,
    gave_up: AtomicBool,
}

#[derive(Debug, Default)]
struct Waits {
    /// Calls waiting now.
    waiting: u32,
    /// When the current stretch of waiting began (some call has waited since).
    since: Option<Instant>,
    /// When the last of the stretch's waits is due to end.
    until: Option<Instant>,
    /// Wall time spent waiting before the current stretch.
    spent: Duration,
}

impl Waits {
    fn spent(&self, now: Instant) -> Duration {
        self.spent + self.stretch(now)
    }

    /// The current stretch so far: up to `now`, but never past the end of its waits, since a
    /// task woken late (a loaded machine) did not spend that time refused.
    fn stretch(&self, now: Instant) -> Duration {
        match (self.since, self.until) {
            (Some(since), Some(until)) => now.min(until).saturating_duration_since(since),
            _ => Duration::ZERO,
        }
    }
}

/// What to do about one 429.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Wait this long, then send again.
    Wait(Duration),
    /// Stop: why, in words.
    GiveUp(String),
}

impl Throttle {
    /// PCC answered 429 to attempt number `attempt` of a call, the call's `refusals`th 429 (this
    /// one included), asking to wait `retry_after` (or saying nothing). Only 429s count toward
    /// [`RetryPolicy::max_attempts`] here: a read whose attempts were partly 5xx has not been
    /// refused that often, and giving up on 429s ends every later 429 of the command too.
    pub(crate) fn refused(
        &self,
        policy: &RetryPolicy,
        (attempt, refusals): (u32, u32),
        retry_after: Option<Duration>,
    ) -> Verdict {
        if self.gave_up.load(Ordering::Relaxed) {
            return Verdict::GiveUp(
                "an earlier request of this command already gave up on PCC's 429s".to_owned(),
            );
        }
        let verdict = self.judge(policy, (attempt, refusals), retry_after);
        if matches!(verdict, Verdict::GiveUp(_)) {
            self.gave_up.store(true, Ordering::Relaxed);
        }
        verdict
    }

    fn judge(
        &self,
        policy: &RetryPolicy,
        (attempt, refusals): (u32, u32),
        retry_after: Option<Duration>,
    ) -> Verdict {
        let wait = retry_after.unwrap_or_else(|| policy.backoff(attempt));
        if wait > policy.max_retry_after {
            return Verdict::GiveUp(format!(
                "it asks to wait {}, longer than the {} switchboard waits at once",
                secs(wait),
                secs(policy.max_retry_after)
            ));
        }
        if refusals >= policy.max_attempts {
            return Verdict::GiveUp(if refusals == attempt {
                format!("all {attempt} attempts were refused")
            } else {
                format!("{refusals} of its {attempt} attempts were refused")
            });
        }
        let spent = self
            .waits
            .lock()
            .expect("never poisoned")
            .spent(Instant::now());
        if spent + wait > policy.max_throttled {
            return Verdict::GiveUp(format!(
                "this command has waited {} on 429s; waiting {} more would pass the {} it \
                 waits in all",
                secs(spent),
                secs(wait),
                secs(policy.max_throttled)
            ));
        }
        Verdict::Wait(wait)
    }

    /// Waits `wait`, counted in the time spent waiting on 429s.
    pub(crate) async fn wait(&self, wait: Duration) {
        {
            let mut w = self.waits.lock().expect("never poisoned");
            let now = Instant::now();
            if w.waiting == 0 {
                w.since = Some(now);
            }
            let end = now + wait;
            w.until = Some(w.until.map_or(end, |u| u.max(end)));
            w.waiting += 1;
        }
        // Counted out on every way out of the wait, a cancelled call's included.
        let _done = Done(self);
        tokio::time::sleep(wait).await;
    }
}

struct Done<'a>(&'a Throttle);

impl Drop for Done<'_> {
    fn drop(&mut self) {
        let mut w = self.0.waits.lock().expect("never poisoned");
        w.waiting -= 1;
        if w.waiting == 0 {
            let stretch = w.stretch(Instant::now());
            w.spent += stretch;
            w.since = None;
            w.until = None;
        }
    }
}

/// A duration in whole seconds, or to the millisecond below 10 s.
fn secs(d: Duration) -> String {
    if d >= Duration::from_secs(10) {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            max_retry_after: Duration::from_millis(400),
            max_throttled: Duration::from_millis(500),
            ..RetryPolicy::default()
        }
    }

    #[test]
    fn a_wait_longer_than_the_cap_gives_up_and_so_does_every_later_429() {
        let throttle = Throttle::default();
        let p = policy();
        assert_eq!(
            throttle.refused(&p, (1, 1), Some(Duration::from_millis(100))),
            Verdict::Wait(Duration::from_millis(100))
        );
        let Verdict::GiveUp(why) = throttle.refused(&p, (1, 1), Some(Duration::from_secs(119)))
        else {
            panic!()
        };
        assert_eq!(
            why,
            "it asks to wait 119 s, longer than the 0.4 s switchboard waits at once"
        );
        assert!(matches!(
            throttle.refused(&p, (1, 1), Some(Duration::from_millis(1))),
            Verdict::GiveUp(_)
        ));
    }

    #[test]
    fn the_last_attempt_gives_up() {
        let throttle = Throttle::default();
        let Verdict::GiveUp(why) = throttle.refused(&policy(), (4, 4), Some(Duration::ZERO)) else {
            panic!()
        };
        assert_eq!(why, "all 4 attempts were refused");
    }

    #[test]
    fn attempts_that_failed_with_server_errors_are_not_refusals() {
        // A read whose first three attempts were 5xx and whose fourth is a 429 has been
        // refused once: it waits, and the command does not give up on 429s.
        let throttle = Throttle::default();
        let p = policy();
        let wait = Duration::from_millis(1);
        assert_eq!(
            throttle.refused(&p, (4, 1), Some(wait)),
            Verdict::Wait(wait)
        );
        assert_eq!(
            throttle.refused(&p, (1, 1), Some(wait)),
            Verdict::Wait(wait)
        );
        // Its fourth 429 is the limit, counted in 429s, and says so.
        let Verdict::GiveUp(why) = throttle.refused(&p, (7, 4), Some(wait)) else {
            panic!()
        };
        assert_eq!(why, "4 of its 7 attempts were refused");
    }

    #[tokio::test]
    async fn overlapping_waits_count_once_toward_the_total() {
        let throttle = Throttle::default();
        let p = policy();
        let wait = Duration::from_millis(200);
        // Two calls waiting at once spend 200 ms, not 400.
        tokio::join!(throttle.wait(wait), throttle.wait(wait));
        assert_eq!(
            throttle.refused(&p, (1, 1), Some(wait)),
            Verdict::Wait(wait)
        );
        throttle.wait(wait).await;
        // 400 ms spent: 200 more would pass 500.
        let Verdict::GiveUp(why) = throttle.refused(&p, (1, 1), Some(wait)) else {
            panic!()
        };
        assert!(
            why.starts_with("this command has waited 0.4 s on 429s"),
            "{why}"
        );
    }

    #[tokio::test]
    async fn time_spent_descheduled_past_a_wait_is_not_counted() {
        let throttle = Throttle::default();
        let p = policy();
        let wait = Duration::from_millis(10);
        // The wait starts, then its thread is held 300 ms (as a loaded machine holds a
        // descheduled process) before the wait is polled again: 10 ms were asked, 10 count.
        tokio::join!(throttle.wait(wait), async {
            std::thread::sleep(Duration::from_millis(300))
        });
        let more = Duration::from_millis(250);
        assert_eq!(
            throttle.refused(&p, (1, 1), Some(more)),
            Verdict::Wait(more)
        );
    }
}
