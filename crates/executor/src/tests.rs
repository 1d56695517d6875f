//! Unit tests of the write loops' rules where the emulator cannot set the scene: a step still
//! running when another step found PCC unreachable; a rate ceiling too low to compute with; a
//! delete answered by a bare HTTP 404.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use pcc::{Client, Credentials, Ids, Lost, Silence};
use planner::Address;

use crate::Config;
use crate::ctx::Ctx;
use crate::drivers::{self, Found};

/// A context whose client is never used: the tests hand the drivers their own send and find.
fn ctx() -> Ctx {
    let config = pcc::Config::with_endpoint("http://127.0.0.1:9", Credentials::new("SKunit", "x"));
    let config_exec = Config {
        settle: Duration::from_millis(1),
        recheck: Duration::from_millis(50),
        ..Config::default()
    };
    Ctx::new(Client::new(config).unwrap(), Ids::default(), config_exec)
}

fn timed_out() -> pcc::Error {
    pcc::Error::Uncertain {
        method: "POST".into(),
        path: "/v1/queue".into(),
        cause: "no answer within 30s".into(),
        lost: Lost::Silence(Silence::Timeout),
    }
}

/// A create whose answer timed out, seen from a step that is still running when the apply
/// halts (another step found PCC unreachable): the write lands only after the first look.
/// It must be looked for again before any resend, halted or not: a resend next to a late
/// landing is the duplicate the recheck exists to prevent.
#[tokio::test]
async fn a_halted_apply_still_rechecks_a_lost_create_before_sending_it_again() {
    let ctx = ctx();
    ctx.halt();
    let sends = AtomicU32::new(0);
    let looks = AtomicU32::new(0);
    let landed = Mutex::new(false);
    let send = || async {
        sends.fetch_add(1, Ordering::SeqCst);
        // The first write is carried out late; its answer is lost now.
        Err::<String, _>(timed_out())
    };
    let find = || async {
        // The first look comes too early; the late write has landed by the second.
        let n = looks.fetch_add(1, Ordering::SeqCst);
        let mut landed = landed.lock().unwrap();
        if n >= 1 {
            *landed = true;
        }
        Ok(if *landed {
            vec![Found::new("QU_1", true)]
        } else {
            Vec::new()
        })
    };
    let done = drivers::create(
        &ctx,
        &Address::Queue("sales".into()),
        send,
        &find,
        async |_| Ok(()),
    )
    .await
    .unwrap();
    assert_eq!(
        sends.load(Ordering::SeqCst),
        1,
        "the lost write was sent again"
    );
    assert_eq!(done.id.as_deref(), Some("QU_1"));
    assert_eq!(looks.load(Ordering::SeqCst), 2);
}

/// A rate ceiling so low that one over it is beyond what `Duration` or `Instant` can hold
/// (`--max-rps 1e-19` is 1e19 s between requests) is clamped, not a panic: the first request
/// goes at once, the next waits, as a ceiling should.
#[tokio::test]
async fn a_tiny_rate_ceiling_neither_panics_nor_lets_requests_through() {
    for rps in [1e-19, 1e-30, f64::MIN_POSITIVE, 5e-324] {
        let config =
            pcc::Config::with_endpoint("http://127.0.0.1:9", Credentials::new("SKunit", "x"));
        let ctx = Ctx::new(
            Client::new(config).unwrap(),
            Ids::default(),
            Config {
                max_rps: Some(rps),
                ..Config::default()
            },
        );
        ctx.permit().await;
        let second = tokio::time::timeout(Duration::from_millis(20), ctx.permit()).await;
        assert!(
            second.is_err(),
            "a second request went through at {rps} rps"
        );
    }
}

fn not_found() -> pcc::Error {
    pcc::Error::Status {
        method: "DELETE".into(),
        path: "/v1/queue/QU_1".into(),
        status: 404,
        attempts: 1,
        body: "Not Found".into(),
    }
}

/// A delete answered by a bare 404 (no `r` envelope) is looked up like a refusal: gone counts
/// as done; still listed (the 404 named a wrong path, not a missing object) fails the step.
#[tokio::test]
async fn a_delete_answered_by_a_bare_404_is_looked_up() {
    let ctx = ctx();
    let looks = AtomicU32::new(0);
    let gone = || async {
        looks.fetch_add(1, Ordering::SeqCst);
        Ok(Vec::new())
    };
    let done = drivers::delete(&ctx, || async { Err(not_found()) }, &gone, "QU_1")
        .await
        .unwrap();
    assert_eq!(done.recovery, Some(crate::Recovery::AlreadyGone));
    assert_eq!(done.writes, 1);
    assert_eq!(looks.load(Ordering::SeqCst), 1, "gone without looking");

    let still_there = || async { Ok(vec![Found::new("QU_1", true)]) };
    let err = drivers::delete(&ctx, || async { Err(not_found()) }, &still_there, "QU_1")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("HTTP 404"), "{err}");
}
