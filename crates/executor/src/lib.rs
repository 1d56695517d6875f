//! `apply(plan, ids, client, config)`: runs a plan's steps against PCC in dependency order,
//! with bounded parallelism and an optional request-rate ceiling, idempotently.
//!
//! - **Order.** A step starts once every step in its `depends_on` is done. Among the steps
//!   that are ready, creates go before updates and updates before deletes ("make before
//!   break"), and within those the step that unlocks the most waiting work ([`priorities`]:
//!   the plan's deepest ends first, each with everything it needs, so that a queue's groups
//!   get their agents and members, and the queue its routings, before the next group's agents
//!   are made). Under PCC's rate limits a step whose resource family's budget is booked ahead
//!   ([`pcc::Client::pace`]) yields to a ready step of a family that can send at once, so that
//!   a spent family does not hold every slot while others could work ([`next_step`]), and the
//!   families downstream overlap with the ones upstream instead of following them. A 429 is
//!   the client's to wait out: it is not a failure and costs the step none of its write
//!   attempts. Within an IVR tree the planner makes every other node wait for the start node
//!   (PCC makes the first node created the root) and every key press wait for the nodes it
//!   names; a node created as the wrong root fails its step.
//! - **Parallelism.** No more than [`Config::parallelism`] requests are in flight at once,
//!   whoever sends them (the client holds the bound: [`Client::set_in_flight`]), and as many
//!   steps are at work. A step that waits without sending, for a look-up answered by a list
//!   read shared with other steps or for an earlier run's late writes, stands aside and
//!   another starts, so that the places in flight do not sit idle while it waits (at most
//!   [`STEPS_PER_PLACE`] × the parallelism run). The requests wait for a place first come,
//!   first served, and the steps start in the order above, so the places go in that order.
//! - **Failures.** A failed step stops every step that depends on it, directly or not (they
//!   are reported as skipped, naming the failure); independent steps go on. Apply never fails
//!   as a whole: the [`ApplyReport`] says what was done, what failed and why (PCC's message),
//!   and what was skipped.
//! - **Stops.** Four kinds of failure stop the launching of new steps, because every other
//!   step would fail the same way: PCC refusing the API key, PCC not answering at all once
//!   the client's retries are spent ([`Stopped::Unreachable`]; a blip that a retry rides out
//!   is not one),
//!   PCC refusing with 429s past the client's budget of waiting ([`Stopped::Throttled`]), and
//!   PCC failing [`FAILING_STEPS`] steps in a row with server errors ([`Stopped::Failing`]:
//!   every write answered 5xx or lost). The running steps finish; their look-ups make no
//!   further rounds once PCC is known to be gone. The rest is reported as not run, for a
//!   re-run to pick up.
//! - **Idempotency.** A write whose answer was lost is never sent again before a look-up by
//!   natural key says it did not happen ([`drivers`](crate::drivers)); an object found is
//!   adopted; a delete of something gone is done; a look-up whose list PCC refuses fails the
//!   step (a refusal is not "absent"). So a re-run after a crash, or a re-plan after a
//!   partial apply, converges and never duplicates.
//! - **Two writers.** Where PCC makes a second object with a natural key it holds, each create
//!   is looked up (again once no earlier run's late write can still land), and every writer
//!   keeps the oldest copy and deletes its own newer ones, before anything is built on it
//!   (`drivers.rs`, "Two writers"). So two applies at once, or a re-run right
//!   after a kill, leave no natural key held twice.
//! - **Ids.** Server ids come from the live read ([`pcc::Ids`]) plus the ids that creates
//!   return during the run, in one map shared by the step tasks. A rename (`moved_from`)
//!   keeps its object's id, so the map knows the object, and what hangs on it, by the new name
//!   from the start; the plan makes every step that uses the new name wait for the rename.

#![warn(clippy::print_stdout, clippy::print_stderr)]

mod ctx;
mod drivers;
mod error;
#[cfg(test)]
mod rename_tests;
mod report;
mod step;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use pcc::{Client, Ids, ReadScope};
use planner::{Action, Plan, Step};
use spec::Kind;
use tokio::task::JoinSet;

pub use crate::error::Error;
pub use crate::report::{
    ApplyReport, Done, Event, Outcome, Recovery, StepReport, Stopped, Summary,
};

/// How many steps in a row, with none done in between, PCC must fail (every write answered
/// with a server error or lost, or the look-up's list refused with one) before the apply
/// starts no new step ([`Stopped::Failing`]). One such step is bad luck that a re-run rides
/// out (each has already sent [`Config::attempts`] writes); three in a row is a PCC that
/// fails everything, and every step after them would send as many writes for nothing.
pub const FAILING_STEPS: usize = 3;

/// How many steps may run for each place in flight ([`Config::parallelism`]): those at work,
/// at most one a place, and those standing aside while they wait (for a look-up answered by a
/// list read shared with other steps, or for an earlier run's late writes). It bounds what a
/// stop (Ctrl-C, PCC gone) lets finish, and the memory of the steps waiting.
pub const STEPS_PER_PLACE: usize = 2;

/// How an apply runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// Requests in flight at most (default 8; 0 counts as 1), every request counted (writes,
    /// look-ups, the list reads look-ups share, retries), and steps at work at most: a step
    /// waiting for a look-up answered by a read shared with other steps, or for an earlier
    /// run's late writes, stands aside and does not count, so that another step's requests
    /// use the places it leaves idle ([`STEPS_PER_PLACE`] times as many steps run at most).
    pub parallelism: usize,
    /// Requests per second at most, every request counted: each page of a look-up and each
    /// retry (no ceiling when `None`). The client enforces it ([`Client::set_max_rps`]) with
    /// PCC's own limits, and keeps it after the apply. A value that is not finite and above 0
    /// means no ceiling; one below a request a day counts as one a day.
    pub max_rps: Option<f64>,
    /// Writes sent at most for one step (default 4), retries after lost answers included.
    pub attempts: u32,
    /// How long to wait, after a write whose answer was lost, before looking for its effect
    /// (default 500 ms), so that a write still in flight on the server lands first.
    pub settle: Duration,
    /// When the first look found nothing and the answer was lost in a way that leaves PCC
    /// possibly still working on the write (a timeout, a connection closed before the answer,
    /// a gateway's 502 or 504: [`pcc::Error::may_land_later`]), how long to wait before
    /// looking once more, and only then sending again (default 2 s). A write PCC carries out
    /// later than `settle + recheck` after its answer was lost cannot be told from one that
    /// never happened.
    pub recheck: Duration,
    /// The directory audio files are read from: the spec root (plans name files relative
    /// to it).
    pub audio_root: PathBuf,
    /// Raised (for example on Ctrl-C), the apply starts no new step, lets the running ones
    /// finish, and reports the rest as not run.
    pub stop: Option<Arc<AtomicBool>>,
    /// When the command started (default: when [`apply`] is called). A run of switchboard
    /// killed before then may still have writes landing up to `settle + recheck` after it
    /// died; a create made before that much time has passed since `started` is looked up for
    /// copies once more when it has (docs/apply.md, "Two writers"). An earlier instant (the
    /// process's start, before the read and the plan) shortens that wait.
    pub started: Option<Instant>,
    /// Skips what keeps two writers from leaving copies: the look after each create of a kind
    /// PCC does not keep unique, and the wait for an earlier run's late writes. Right only
    /// when nothing else writes to the project and no earlier apply was killed within the last
    /// few seconds; for measurements and for tests that show what the check prevents.
    pub single_writer: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            parallelism: 8,
            max_rps: None,
            attempts: 4,
            settle: Duration::from_millis(500),
            recheck: Duration::from_secs(2),
            audio_root: PathBuf::from("."),
            stop: None,
            started: None,
            single_writer: false,
        }
    }
}

/// Applies `plan` through `client`. `ids` are the server ids of the live read the plan (or
/// its stale check) was made from. `on_event` hears each step start and finish, in order, on
/// the calling task; it must not block for long.
pub async fn apply(
    plan: &Plan,
    ids: &Ids,
    client: &Client,
    config: &Config,
    mut on_event: impl FnMut(Event<'_>),
) -> ApplyReport {
    let started = Instant::now();
    let steps: Arc<[Step]> = plan.steps.clone().into();
    let n = steps.len();
    let mut ids = ids.clone();
    for step in plan.steps.iter() {
        if let Some(from) = &step.moved_from {
            step::rename_ids(&mut ids, from, &step.address);
        }
    }
    let ctx = Arc::new(ctx::Ctx::new(client.clone(), ids, config.clone()));
    let parallelism = config.parallelism.max(1);
    // No more than `parallelism` requests in flight, whatever sends them (a step, or a list
    // read shared by several steps' look-ups); the caller's bound comes back at the end.
    let caller_in_flight = client.set_in_flight(Some(parallelism));

    // A step waits for its dependencies; only earlier steps count, so that a malformed plan
    // cannot deadlock the run.
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut waiting = vec![0usize; n];
    for (i, step) in steps.iter().enumerate() {
        let deps: BTreeSet<usize> = step.depends_on.iter().copied().filter(|&d| d < i).collect();
        waiting[i] = deps.len();
        for d in deps {
            dependents[d].push(i);
        }
    }
    let family: Vec<&'static str> = steps.iter().map(|s| pcc::family(s.kind())).collect();
    let mut ready = Ready {
        priority: priorities(&steps),
        ..Ready::default()
    };
    for i in (0..n).filter(|&i| waiting[i] == 0) {
        ready.insert(i, family[i]);
    }
    let mut blocked_by: Vec<Option<usize>> = vec![None; n];
    let mut reports: Vec<Option<StepReport>> = (0..n).map(|_| None).collect();
    let mut running = JoinSet::new();
    let mut stopped = None;
    // Steps that failed in a row because PCC failed them (no step done in between).
    let mut failing_in_a_row = 0;

    loop {
        if stopped.is_none()
            && config
                .stop
                .as_ref()
                .is_some_and(|s| s.load(Ordering::Relaxed))
        {
            stopped = Some(Stopped::Interrupted);
        }
        // Steps standing aside (waiting for a shared look-up or for late writes) do not count
        // among those at work, but all running are bounded.
        while stopped.is_none()
            && running.len() < parallelism * STEPS_PER_PLACE
            && running.len() - ctx.standing_aside().min(running.len()) < parallelism
        {
            let Some(i) = next_step(&mut ready, client) else {
                break;
            };
            *ready.running.entry(family[i]).or_default() += 1;
            on_event(Event::Started {
                index: i,
                step: &plan.steps[i],
            });
            let ctx = ctx.clone();
            let steps = steps.clone();
            running.spawn(async move { (i, step::run(&ctx, &steps[i]).await) });
        }
        let joined = tokio::select! {
            joined = running.join_next() => joined,
            // A step stood aside: start another in its place.
            () = ctx.a_step_stood_aside(), if !running.is_empty() => continue,
        };
        let Some(joined) = joined else {
            break;
        };
        let (i, result) = match joined {
            Ok(done) => done,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Step tasks are only cancelled when the runtime shuts down, and so are we.
            Err(e) => panic!("a step task was cancelled: {e}"),
        };
        if let Some(n) = ready.running.get_mut(family[i]) {
            *n -= 1;
        }
        if let Err(e) = &result {
            if e.is_auth() {
                stopped.get_or_insert(Stopped::AuthRefused);
            } else if e.is_unreachable() {
                tracing::warn!(step = %steps[i].address, error = %e, "PCC is not answering; starting no new step");
                stopped.get_or_insert(Stopped::Unreachable);
                ctx.halt();
            } else if e.is_throttled() {
                tracing::warn!(step = %steps[i].address, error = %e, "PCC refuses every request (429); starting no new step");
                stopped.get_or_insert(Stopped::Throttled);
                ctx.halt();
            }
        }
        match &result {
            Ok(_) => failing_in_a_row = 0,
            Err(e) if e.is_server_failure() => {
                failing_in_a_row += 1;
                if failing_in_a_row >= FAILING_STEPS && stopped.is_none() {
                    tracing::warn!(step = %steps[i].address, error = %e, "PCC fails every write; starting no new step");
                    stopped = Some(Stopped::Failing);
                    ctx.halt();
                }
            }
            Err(_) => {}
        }
        let cause = result.is_err().then_some(i);
        let report = StepReport {
            index: i,
            address: steps[i].address.clone(),
            action: steps[i].action,
            outcome: match result {
                Ok(done) => Outcome::Done(done),
                Err(e) => Outcome::Failed(e),
            },
        };
        on_event(Event::Finished(&report));
        reports[i] = Some(report);

        // Release what waited for step i; what a failure blocks is skipped in turn.
        let mut finished = vec![(i, cause)];
        while let Some((j, cause)) = finished.pop() {
            for &d in &dependents[j] {
                if let Some(c) = cause {
                    blocked_by[d].get_or_insert(c);
                }
                waiting[d] -= 1;
                if waiting[d] > 0 {
                    continue;
                }
                match blocked_by[d] {
                    None => {
                        ready.insert(d, family[d]);
                    }
                    Some(because) => {
                        let report = StepReport {
                            index: d,
                            address: steps[d].address.clone(),
                            action: steps[d].action,
                            outcome: Outcome::Skipped { because },
                        };
                        on_event(Event::Finished(&report));
                        reports[d] = Some(report);
                        finished.push((d, Some(because)));
                    }
                }
            }
        }
    }

    client.set_in_flight(caller_in_flight);
    let steps = reports
        .into_iter()
        .enumerate()
        .map(|(i, report)| {
            report.unwrap_or_else(|| {
                let report = StepReport {
                    index: i,
                    address: plan.steps[i].address.clone(),
                    action: plan.steps[i].action,
                    outcome: Outcome::NotRun,
                };
                on_event(Event::Finished(&report));
                report
            })
        })
        .collect();
    ApplyReport {
        steps,
        elapsed: started.elapsed(),
        stopped,
    }
}

/// The steps ready to start, by rate-limit family and [`priorities`], and the steps running
/// of each family.
#[derive(Default)]
struct Ready {
    /// Each step's rank: lower starts first.
    priority: Vec<usize>,
    by_family: BTreeMap<&'static str, BTreeSet<(usize, usize)>>,
    running: BTreeMap<&'static str, usize>,
}

impl Ready {
    fn insert(&mut self, i: usize, family: &'static str) {
        let rank = self.priority.get(i).copied().unwrap_or(i);
        self.by_family.entry(family).or_default().insert((rank, i));
    }
}

/// Takes the ready step to start next: the first by [`priorities`] among the families that
/// can send at once; when none can, the first step of the family that can send soonest (its
/// budget's wait, plus a slot for each of its steps already running). Without rate limits
/// every family can send at once, and this is [`priorities`]' order.
fn next_step(ready: &mut Ready, client: &Client) -> Option<usize> {
    let mut free: Option<((usize, usize), &'static str)> = None;
    let mut soonest: Option<(Duration, (usize, usize), &'static str)> = None;
    for (&family, steps) in &ready.by_family {
        let Some(&first) = steps.first() else {
            continue;
        };
        let pace = client.pace(family);
        let running = ready.running.get(family).copied().unwrap_or(0);
        let wait = pace.wait + pace.interval * u32::try_from(running).unwrap_or(u32::MAX);
        if wait.is_zero() {
            if free.is_none_or(|(i, _)| first < i) {
                free = Some((first, family));
            }
        } else if soonest.is_none_or(|(w, i, _)| (wait, first) < (w, i)) {
            soonest = Some((wait, first, family));
        }
    }
    let (first, family) = free.or(soonest.map(|(_, i, f)| (i, f)))?;
    if let Some(steps) = ready.by_family.get_mut(family) {
        steps.remove(&first);
        if steps.is_empty() {
            ready.by_family.remove(family);
        }
    }
    Some(first.1)
}

/// The order ready steps start in (a rank per step, lower first): the steps that unlock the
/// most waiting work go first, so that under per-family rate limits the families downstream
/// get work early and overlap with the ones upstream instead of following them.
///
/// The rule, within creates, then updates, then deletes (the plan's "make before break"):
///
/// - A step's **reach** is how many of the plan's ends (steps nothing waits for) need it,
///   directly or not: the work downstream of it.
/// - The ends are taken by the mean reach of the steps they need (weighted by the requests
///   each sends), highest first, plan order among equals: the end whose prerequisites the most
///   other ends share goes first, so that shared work (a group in many queues' routings) is
///   done early and unlocks the most; an end that needs nothing (an agent in no group) comes
///   last.
/// - From each end in turn, a depth-first walk through what it waits for ranks every step
///   after everything it needs (post-order). So whatever one end needs is ranked together and
///   finished before the next end's: a queue's first group gets its agents, then their
///   memberships, then the queue's routing, before the next group's agents; a tree's nodes
///   and keys before the next tree's.
///
/// Within each action the order is a topological one (a step ranks after every step it waits
/// for). It takes time in the sum, over the ends, of the steps each needs (a few million for
/// the benchmark's plan of 20,713 steps) and memory in the steps. Without rate limits any
/// order keeps the slots full (the DAG is shallow and wide); under them this is what lets a
/// number start minutes before the last agent is made (docs/benchmarks.md, "Under rate
/// limits").
fn priorities(steps: &[Step]) -> Vec<usize> {
    let n = steps.len();
    // Only earlier steps count, as in `apply`.
    let deps: Vec<Vec<usize>> = (0..n)
        .map(|i| {
            let d: BTreeSet<usize> = steps[i]
                .depends_on
                .iter()
                .copied()
                .filter(|&d| d < i)
                .collect();
            d.into_iter().collect()
        })
        .collect();
    let mut needed = vec![false; n];
    for d in deps.iter().flatten() {
        needed[*d] = true;
    }
    let ends: Vec<usize> = (0..n).filter(|&i| !needed[i]).collect();
    let mut walk = Ancestors::new(n);
    let mut reach = vec![0u64; n];
    for &end in &ends {
        walk.each(&deps, end, |a| reach[a] += 1);
    }
    let mut scored: Vec<(u64, usize)> = ends
        .iter()
        .map(|&end| {
            let (mut sum, mut weight) = (0u64, 0u64);
            walk.each(&deps, end, |a| {
                let w = requests(&steps[a]);
                sum += reach[a] * w;
                weight += w;
            });
            // The mean in 1/1024ths: integers order the same on every machine.
            (sum * 1024 / weight.max(1), end)
        })
        .collect();
    scored.sort_by_key(|&(score, end)| (std::cmp::Reverse(score), end));
    let mut rank = vec![usize::MAX; n];
    let mut next = 0;
    // (step, how many of its dependencies have been walked)
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for (_, end) in scored {
        stack.push((end, 0));
        while let Some((i, k)) = stack.pop() {
            if rank[i] != usize::MAX {
                continue;
            }
            match deps[i].get(k) {
                Some(&d) => {
                    stack.push((i, k + 1));
                    if rank[d] == usize::MAX {
                        stack.push((d, 0));
                    }
                }
                None => {
                    rank[i] = next;
                    next += 1;
                }
            }
        }
    }
    // Creates before updates before deletes, as the plan lists them ("make before break":
    // a caller meets a gap for as short a time as possible); the walk's order within each.
    let class = |i: usize| match steps[i].action {
        Action::Create => 0,
        Action::Update => 1,
        Action::Delete => 2,
    };
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| (class(i), rank[i]));
    for (position, i) in order.into_iter().enumerate() {
        rank[i] = position;
    }
    rank
}

/// Walks the steps an end needs, directly or not, each once.
struct Ancestors {
    /// The walk that last visited each step (0: none yet).
    seen: Vec<usize>,
    walks: usize,
    stack: Vec<usize>,
}

impl Ancestors {
    fn new(n: usize) -> Ancestors {
        Ancestors {
            seen: vec![0; n],
            walks: 0,
            stack: Vec::new(),
        }
    }

    /// Calls `visit` on every step `end` waits for, directly or not (not on `end`).
    fn each(&mut self, deps: &[Vec<usize>], end: usize, mut visit: impl FnMut(usize)) {
        self.walks += 1;
        let mark = self.walks;
        self.stack.clear();
        self.stack.extend(&deps[end]);
        while let Some(a) = self.stack.pop() {
            if self.seen[a] == mark {
                continue;
            }
            self.seen[a] = mark;
            visit(a);
            self.stack
                .extend(deps[a].iter().filter(|&&d| self.seen[d] != mark));
        }
    }
}

/// The requests a step sends when all goes well: a create of a kind PCC makes twice is looked
/// up after (audio: before), the others send one (docs/apply.md, "Two writers").
fn requests(step: &Step) -> u64 {
    let looked_up = step.action == Action::Create
        && matches!(
            step.kind(),
            Kind::Agent
                | Kind::Audio
                | Kind::Group
                | Kind::Queue
                | Kind::Routing
                | Kind::IvrTree
                | Kind::IvrNode
        );
    1 + u64::from(looked_up)
}

/// The scopes a saved plan's stale check must re-read: the scopes of every object the plan
/// touches or needs, plus the scopes that could now refer to an object it deletes (a new
/// referrer makes the delete fail). The reader adds the lists it needs to name references.
pub fn read_scope(plan: &Plan) -> BTreeSet<ReadScope> {
    let mut scopes = BTreeSet::new();
    for step in &plan.steps {
        scopes.insert(ReadScope::of(step.kind()));
        if step.action == Action::Delete {
            scopes.extend(referrer_scopes(step.kind()));
        }
    }
    for address in plan.reads.touched.keys().chain(&plan.reads.required) {
        scopes.insert(ReadScope::of(address.kind()));
    }
    scopes
}

/// The scopes of the live read holding objects that can refer to an object of `kind`.
fn referrer_scopes(kind: Kind) -> &'static [ReadScope] {
    use ReadScope as S;
    match kind {
        Kind::Agent => &[S::Groups],
        Kind::Group => &[S::Groups, S::Queues],
        Kind::Queue => &[S::Queues, S::Ivr, S::Numbers],
        Kind::IvrTree => &[S::Ivr, S::Numbers],
        Kind::IvrNode => &[S::Ivr],
        Kind::Audio => &[S::Queues, S::Ivr],
        Kind::Membership
        | Kind::Routing
        | Kind::IvrKey
        | Kind::Number
        | Kind::Blacklist
        | Kind::Settings => &[],
    }
}
