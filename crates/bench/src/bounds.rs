//! The lower bounds each measured figure is set against (docs/benchmarks.md, "Lower bounds").
//!
//! - Calls: reads at least `pcc::minimum_reads`; writes exactly the plan's steps.
//! - Depth: for an apply, the longest chain of the plan's DAG (steps on it, counted with
//!   both ends); for a read, the longest chain of requests where one needs the answer of
//!   another ([`read_depth`]).
//! - Wall time: `depth × latency + calls ÷ parallelism × latency` ([`wall`]), the time a
//!   greedy scheduler is guaranteed to finish within (Graham's bound) when every request
//!   takes exactly `latency`; no scheduler can beat `max(depth, ⌈calls ÷ parallelism⌉) ×
//!   latency` ([`floor`]).
//! - Under rate limits ([`limited`]): the calls of each resource family at that family's rate,
//!   all calls at the key's rate, and the DAG's depth at the latency; the largest of the three.
//!   For an apply, also what the plan's DAG forces when a family's steps wait on another
//!   family's ([`dag_limited`]).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use pcc::ReadScope;
use pcc::live::pages;
use spec::Model;

/// Steps on the longest dependency chain of `plan` (0 for an empty plan).
pub fn plan_depth(plan: &planner::Plan) -> u64 {
    let mut depth = vec![0u64; plan.steps.len()];
    for (i, step) in plan.steps.iter().enumerate() {
        // The executor only waits for earlier steps; the planner only names earlier ones.
        let longest = step
            .depends_on
            .iter()
            .filter(|&&d| d < i)
            .map(|&d| depth[d])
            .max()
            .unwrap_or(0);
        depth[i] = longest + 1;
    }
    depth.into_iter().max().unwrap_or(0)
}

/// Requests on the longest chain of a read of `scopes`, for a project holding `model`: a list
/// costs one round trip when it fits one page and two otherwise (page 1 says how many pages
/// there are, the others are fetched at once); a per-parent list starts once its parent's
/// list has arrived (tree → nodes → key presses, group → members, queue → routings).
pub fn read_depth(model: &Model, scopes: &BTreeSet<ReadScope>) -> u64 {
    let list = |n: usize| if pages(n) > 1 { 2 } else { 1 };
    let has = |s| scopes.contains(&s);
    let mut chains = Vec::new();
    if has(ReadScope::Settings) {
        chains.push(1);
    }
    if has(ReadScope::Audio) || has(ReadScope::Queues) || has(ReadScope::Ivr) {
        chains.push(list(model.audio.len()));
    }
    if has(ReadScope::Agents) || has(ReadScope::Groups) {
        chains.push(list(model.agents.len()));
    }
    if has(ReadScope::Groups) {
        let members = model
            .groups
            .values()
            .map(|g| list(g.agents.len()))
            .max()
            .unwrap_or(0);
        chains.push(list(model.groups.len()) + members);
    } else if has(ReadScope::Queues) {
        chains.push(list(model.groups.len()));
    }
    if has(ReadScope::Queues) {
        let routings = model
            .queues
            .values()
            .map(|q| list(q.routing.len()))
            .max()
            .unwrap_or(0);
        chains.push(list(model.queues.len()) + routings);
    } else if has(ReadScope::Ivr) || has(ReadScope::Numbers) {
        chains.push(list(model.queues.len()));
    }
    if has(ReadScope::Ivr) {
        let below = model
            .ivr
            .values()
            .map(|t| {
                list(t.nodes.len())
                    + t.nodes
                        .values()
                        .map(|n| list(n.keys.len()))
                        .max()
                        .unwrap_or(0)
            })
            .max()
            .unwrap_or(0);
        chains.push(list(model.ivr.len()) + below);
    } else if has(ReadScope::Numbers) {
        chains.push(list(model.ivr.len()));
    }
    if has(ReadScope::Numbers) {
        chains.push(list(model.numbers.len()));
    }
    chains.into_iter().max().unwrap_or(0)
}

/// True for a create the executor looks up by natural key once PCC answers it (for audio:
/// before sending it), to settle a copy another writer made (docs/apply.md, "Two writers"):
/// the kinds PCC makes a second object of.
pub fn checked(step: &planner::Step) -> bool {
    use spec::Kind as K;
    step.action == planner::Action::Create
        && matches!(
            step.kind(),
            K::Agent | K::Audio | K::Group | K::Queue | K::Routing | K::IvrTree | K::IvrNode
        )
}

/// True for a checked create ([`checked`]) whose look-up is a request of its own: an agent's
/// (a server-side filter by its key) and an upload's (before it). The others read a whole
/// list (groups, queues, trees) or a parent's (routings, nodes), and the look-ups of one list
/// that wait at the same time share one read (docs/apply.md, "Two writers"): a bound counts
/// none for them, the least they can cost.
pub fn looked_up_alone(step: &planner::Step) -> bool {
    checked(step) && matches!(step.kind(), spec::Kind::Agent | spec::Kind::Audio)
}

/// The calls `plan` takes at the least, by rate-limit family ([`pcc::family`]): one write a
/// step, one look-up (a page) after each create looked up alone ([`looked_up_alone`]), and
/// one read of each list the other checked creates are looked up in ([`jobs`]).
pub fn plan_calls_by_family(plan: &planner::Plan) -> BTreeMap<String, u64> {
    let mut calls = BTreeMap::new();
    for job in jobs(plan) {
        *calls.entry(job.family).or_default() += job.calls;
    }
    calls
}

/// The list a checked create not looked up alone is looked up in: its kind's whole list, or
/// its parent's (a queue's routings, a tree's nodes).
fn shared_list(step: &planner::Step) -> Option<(spec::Kind, Option<String>)> {
    if !checked(step) || looked_up_alone(step) {
        return None;
    }
    let parent = match &step.address {
        spec::Address::Routing { queue, .. } => Some(queue.clone()),
        spec::Address::IvrNode { tree, .. } => Some(tree.clone()),
        _ => None,
    };
    Some((step.kind(), parent))
}

/// `pcc::minimum_reads` for a read of every kind (the settings when `settings`), by
/// rate-limit family.
pub fn reads_by_family(model: &Model, settings: bool) -> BTreeMap<String, u64> {
    use spec::Kind as K;
    let mut calls = BTreeMap::new();
    let mut add = |kind: K, n: u64| *calls.entry(pcc::family(kind).to_owned()).or_default() += n;
    if settings {
        add(K::Settings, 1);
    }
    add(K::Audio, pages(model.audio.len()));
    add(K::Agent, pages(model.agents.len()));
    add(K::Group, pages(model.groups.len()));
    add(
        K::Membership,
        model.groups.values().map(|g| pages(g.agents.len())).sum(),
    );
    add(K::Queue, pages(model.queues.len()));
    add(
        K::Routing,
        model.queues.values().map(|q| pages(q.routing.len())).sum(),
    );
    add(K::IvrTree, pages(model.ivr.len()));
    add(
        K::IvrNode,
        model.ivr.values().map(|t| pages(t.nodes.len())).sum(),
    );
    add(
        K::IvrKey,
        model
            .ivr
            .values()
            .flat_map(|t| t.nodes.values())
            .map(|n| pages(n.keys.len()))
            .sum(),
    );
    add(K::Number, pages(model.numbers.len()));
    add(
        K::Blacklist,
        pages(model.blacklist.as_ref().map_or(0, |b| b.len())),
    );
    calls
}

/// Requests per window, as the emulator takes them (`--rate-limit 300/10`).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rate {
    /// Requests a window admits.
    pub requests: u64,
    /// The window, in seconds.
    pub window_secs: f64,
}

impl Rate {
    /// Requests a second, spent evenly.
    pub fn per_sec(self) -> f64 {
        self.requests as f64 / self.window_secs
    }
}

/// The least wall time of `calls` (by family) under a per-key and a per-family rate, with a
/// plan (or read) `depth` deep at `latency`: the largest of all calls at the key's rate, each
/// family's calls at the family's rate, and `depth × latency`. Calls at a rate means spent
/// evenly, `calls ÷ rate`; the second figure is the strict floor of a client that bursts each
/// window's budget at its start, `(⌈calls ÷ q⌉ − 1) × w`, at most one window less.
pub fn limited(
    calls: &BTreeMap<String, u64>,
    per_key: Option<Rate>,
    per_family: Option<Rate>,
    depth: u64,
    latency: Duration,
) -> (Duration, Duration) {
    let even = |n: u64, rate: Rate| n as f64 / rate.per_sec();
    let burst = |n: u64, rate: Rate| {
        n.div_ceil(rate.requests.max(1)).saturating_sub(1) as f64 * rate.window_secs
    };
    let total: u64 = calls.values().sum();
    let dag = depth as f64 * latency.as_secs_f64();
    let (mut bound, mut floor) = (dag, dag);
    if let Some(rate) = per_key {
        bound = bound.max(even(total, rate));
        floor = floor.max(burst(total, rate));
    }
    if let Some(rate) = per_family {
        for &n in calls.values() {
            bound = bound.max(even(n, rate));
            floor = floor.max(burst(n, rate));
        }
    }
    (
        Duration::from_secs_f64(bound),
        Duration::from_secs_f64(floor),
    )
}

/// One step of a plan as the bound under limits sees it: its rate-limit family, the calls it
/// makes one after another (a write, and a look-up after a create looked up alone:
/// [`looked_up_alone`]), and the steps it waits for (earlier ones only, as the executor
/// does).
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    /// The resource family its calls count against ([`pcc::family`]).
    pub family: String,
    /// Calls it makes, one after the other.
    pub calls: u64,
    /// The earlier jobs it waits for.
    pub deps: Vec<usize>,
}

/// The plan's steps as [`Job`]s, and one more for each list that checked creates not looked
/// up alone are looked up in: the look-ups of one list may share reads, but at least one read
/// of it comes after every one of its creates was answered (the read that answers the last
/// one's look-up), so one call of the list's family, after all of them. (Nothing is made to
/// wait for that job: a step's dependents may start after an earlier read.)
pub fn jobs(plan: &planner::Plan) -> Vec<Job> {
    let mut jobs: Vec<Job> = plan
        .steps
        .iter()
        .map(|step| Job {
            family: pcc::family(step.kind()).to_owned(),
            calls: 1 + u64::from(looked_up_alone(step)),
            deps: step.depends_on.clone(),
        })
        .collect();
    let mut lists: BTreeMap<(spec::Kind, Option<String>), Vec<usize>> = BTreeMap::new();
    for (i, step) in plan.steps.iter().enumerate() {
        if let Some(list) = shared_list(step) {
            lists.entry(list).or_default().push(i);
        }
    }
    for ((kind, _), steps) in lists {
        jobs.push(Job {
            family: pcc::family(kind).to_owned(),
            calls: 1,
            deps: steps,
        });
    }
    jobs
}

/// What the DAG's order forces under per-family rates (docs/benchmarks.md, "Under rate
/// limits"), in the model of the other terms: each scope is a server that takes `1 ÷ rate`
/// seconds a call (a client spending its budgets evenly), and a step starts only once every
/// step it waits for, directly or not, is answered.
///
/// - A step's release `r(s)`: the largest of its ancestors' calls of each family at that
///   family's rate, all its ancestors' calls at the key's rate, and its longest chain of
///   ancestors' calls × `latency` (their calls go one after another). Nothing can start it
///   sooner: every one of those calls must be served first.
/// - A scope (a family, or the key for every call) serving calls released at `r₁ ≤ r₂ ≤ …`
///   cannot finish before `max_k (r_k + calls released at or after r_k ÷ rate)`: from `r_k`
///   on, those calls are all still to serve (the classic single-machine bound with release
///   dates, which preemption attains, so it is a lower bound of every schedule).
///
/// Returns the largest over the scopes, 0 when no rate is set.
pub fn dag_limited(
    jobs: &[Job],
    per_key: Option<Rate>,
    per_family: Option<Rate>,
    latency: Duration,
) -> Duration {
    if per_key.is_none() && per_family.is_none() {
        return Duration::ZERO;
    }
    let n = jobs.len();
    let families: BTreeSet<&str> = jobs.iter().map(|j| j.family.as_str()).collect();
    let index: BTreeMap<&str, usize> = families.iter().enumerate().map(|(i, f)| (*f, i)).collect();
    let family: Vec<usize> = jobs.iter().map(|j| index[j.family.as_str()]).collect();
    // Ancestor sets as bit sets: a plan of 2,000 steps takes 0.5 MB.
    let words = n.div_ceil(64);
    let mut ancestors = vec![0u64; n * words];
    let mut chain = vec![0.0f64; n];
    let mut release = vec![0.0f64; n];
    let lat = latency.as_secs_f64();
    for i in 0..n {
        let (done, rest) = ancestors.split_at_mut(i * words);
        let mine = &mut rest[..words];
        for &d in jobs[i].deps.iter().filter(|&&d| d < i) {
            for (w, a) in mine.iter_mut().zip(&done[d * words..(d + 1) * words]) {
                *w |= a;
            }
            mine[d / 64] |= 1 << (d % 64);
            chain[i] = chain[i].max(chain[d] + jobs[d].calls as f64 * lat);
        }
        let mut by_family = vec![0u64; families.len()];
        for (w, &bits) in mine.iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                let a = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                by_family[family[a]] += jobs[a].calls;
            }
        }
        let mut r = chain[i];
        if let Some(rate) = per_key {
            r = r.max(by_family.iter().sum::<u64>() as f64 / rate.per_sec());
        }
        if let Some(rate) = per_family {
            for &c in &by_family {
                r = r.max(c as f64 / rate.per_sec());
            }
        }
        release[i] = r;
    }
    // One scope: its calls by release, the latest first, summed.
    let serve = |members: &mut Vec<(f64, u64)>, rate: Rate| -> f64 {
        members.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut after = 0u64;
        let mut end = 0.0f64;
        for &(r, calls) in members.iter() {
            after += calls;
            end = end.max(r + after as f64 / rate.per_sec());
        }
        end
    };
    let mut bound = 0.0f64;
    if let Some(rate) = per_key {
        let mut all: Vec<(f64, u64)> = (0..n).map(|i| (release[i], jobs[i].calls)).collect();
        bound = bound.max(serve(&mut all, rate));
    }
    if let Some(rate) = per_family {
        for f in 0..families.len() {
            let mut members: Vec<(f64, u64)> = (0..n)
                .filter(|&i| family[i] == f)
                .map(|i| (release[i], jobs[i].calls))
                .collect();
            bound = bound.max(serve(&mut members, rate));
        }
    }
    Duration::from_secs_f64(bound)
}

/// `depth × latency + calls ÷ parallelism × latency`.
pub fn wall(depth: u64, calls: u64, parallelism: usize, latency: Duration) -> Duration {
    let rounds = depth as f64 + calls as f64 / parallelism.max(1) as f64;
    latency.mul_f64(rounds)
}

/// `max(depth, ⌈calls ÷ parallelism⌉) × latency`: nothing finishes sooner.
pub fn floor(depth: u64, calls: u64, parallelism: usize, latency: Duration) -> Duration {
    let rounds = depth.max(calls.div_ceil(parallelism.max(1) as u64));
    latency * u32::try_from(rounds).unwrap_or(u32::MAX)
}

/// What a Terraform-style refresh costs: one GET per object, `parallelism` at once, no
/// request waiting for another (depth 1).
pub fn refresh_wall(objects: u64, parallelism: usize, latency: Duration) -> Duration {
    floor(1, objects, parallelism, latency)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The longest chain of `plan`, following every `depends_on`, whichever way it points.
    fn longest_chain(plan: &planner::Plan) -> u64 {
        fn depth(plan: &planner::Plan, i: usize, memo: &mut Vec<Option<u64>>) -> u64 {
            if let Some(d) = memo[i] {
                return d;
            }
            let below = plan.steps[i]
                .depends_on
                .iter()
                .map(|&d| depth(plan, d, memo))
                .max()
                .unwrap_or(0);
            memo[i] = Some(below + 1);
            below + 1
        }
        let mut memo = vec![None; plan.steps.len()];
        (0..plan.steps.len())
            .map(|i| depth(plan, i, &mut memo))
            .max()
            .unwrap_or(0)
    }

    /// The reads counted by family are `pcc::minimum_reads`, and the bound under limits is
    /// the busiest of the key and the families.
    #[test]
    fn the_limited_bound_is_the_busiest_scope() {
        let size = crate::generate::Size {
            agents: 250,
            groups: 6,
            queues: 4,
            trees: 3,
            nodes: 6,
            numbers: 6,
            audio: 2,
        };
        let center = crate::generate::center(&size, 7);
        let scopes: BTreeSet<ReadScope> = ReadScope::ALL.into_iter().collect();
        let by_family = reads_by_family(&center.model, true);
        assert_eq!(
            by_family.values().sum::<u64>(),
            pcc::minimum_reads(&center.model, &scopes)
        );
        assert_eq!(by_family["agents"], 3);
        let plan = planner::plan(&center.model, &Model::default(), &spec::Policy::default());
        let calls = plan_calls_by_family(&plan);
        // 250 agents, each created and looked up (a filtered request of its own).
        assert_eq!(calls["agents"], 500);
        // 6 groups, looked up in the whole group list: at least one read after the last.
        assert_eq!(calls["groups"], 7);
        // Routings looked up in their queue's list: one read of each queue's at the least.
        let routings = center.model.queues.values().map(|q| q.routing.len() as u64);
        assert_eq!(calls["routings"], routings.sum::<u64>() + 4);
        let total: u64 = calls.values().sum();
        let rate = |requests, window_secs| Rate {
            requests,
            window_secs,
        };
        let (bound, floor) = limited(
            &calls,
            Some(rate(300, 10.0)),
            Some(rate(30, 10.0)),
            5,
            Duration::from_millis(20),
        );
        assert_eq!(bound, Duration::from_secs_f64(500.0 / 3.0));
        assert_eq!(floor, Duration::from_secs(160));
        let (bound, _) = limited(&calls, Some(rate(300, 10.0)), None, 5, Duration::ZERO);
        assert_eq!(bound, Duration::from_secs_f64(total as f64 / 30.0));
    }

    /// The depth in the bound is the plan's real one: every dependency points at an earlier
    /// step (so counting only those loses nothing), and from empty the chain is five long: a
    /// tree, its start node, another node, a key press to it, then the number, which moves to
    /// the tree only once the whole tree is there.
    #[test]
    fn the_apply_depth_is_the_longest_chain_of_the_plan() {
        let size = crate::generate::Size {
            agents: 60,
            groups: 6,
            queues: 4,
            trees: 3,
            nodes: 6,
            numbers: 6,
            audio: 2,
        };
        let center = crate::generate::center(&size, 7);
        let plan = planner::plan(&center.model, &Model::default(), &spec::Policy::default());
        for (i, step) in plan.steps.iter().enumerate() {
            assert!(step.depends_on.iter().all(|&d| d < i), "{}", step.address);
        }
        assert_eq!(plan_depth(&plan), longest_chain(&plan));
        assert_eq!(plan_depth(&plan), 5);
    }

    fn job(family: &str, calls: u64, deps: &[usize]) -> Job {
        Job {
            family: family.to_owned(),
            calls,
            deps: deps.to_vec(),
        }
    }

    /// One request a second.
    const ONE: Rate = Rate {
        requests: 1,
        window_secs: 1.0,
    };

    /// Small DAGs whose best schedules are known: the bound meets them, where the busiest
    /// family alone (3 s in each) does not.
    #[test]
    fn the_dag_bound_meets_small_known_optima() {
        let a = || (0..3).map(|_| job("a", 1, &[])).collect::<Vec<_>>();
        let secs = |jobs: &[Job]| dag_limited(jobs, None, Some(ONE), Duration::ZERO).as_secs_f64();
        // Every b waits for every a: the a's take 3 s, then the b's 3 s more. Best: 6 s.
        let mut all = a();
        all.extend((0..3).map(|_| job("b", 1, &[0, 1, 2])));
        assert_eq!(secs(&all), 6.0);
        // b_k waits for a_k only: the b's follow the a's a second behind. Best: 4 s.
        let mut pairs = a();
        pairs.extend((0..3).map(|k| job("b", 1, &[k])));
        assert_eq!(secs(&pairs), 4.0);
        // A create and its look-up (2 calls), then a step of another family. Best: 3 s; the
        // latency of each call in the chain counts when nothing else does.
        let chain = [job("a", 2, &[]), job("b", 1, &[0])];
        assert_eq!(secs(&chain), 3.0);
        let slow = dag_limited(
            &chain,
            None,
            Some(Rate {
                requests: 1000,
                window_secs: 1.0,
            }),
            Duration::from_secs(1),
        );
        assert!((slow.as_secs_f64() - 2.001).abs() < 1e-9, "{slow:?}");
        // Without rates there is no bound to compute.
        assert_eq!(
            dag_limited(&chain, None, None, Duration::ZERO),
            Duration::ZERO
        );
    }

    /// The best schedule of `jobs` in whole seconds, found by trying every one: each second,
    /// each family serves at most one call and the key at most `key` calls; a job's calls go
    /// one a second, once every job it waits for is done.
    fn optimum(jobs: &[Job], key: usize) -> u64 {
        let families: BTreeSet<&str> = jobs.iter().map(|j| j.family.as_str()).collect();
        let mut states: BTreeSet<Vec<u64>> =
            BTreeSet::from([jobs.iter().map(|j| j.calls).collect()]);
        for second in 0.. {
            if states.iter().any(|s| s.iter().all(|&c| c == 0)) {
                return second;
            }
            let mut next = BTreeSet::new();
            for state in &states {
                let ready: Vec<usize> = (0..jobs.len())
                    .filter(|&i| state[i] > 0 && jobs[i].deps.iter().all(|&d| state[d] == 0))
                    .collect();
                // Every choice of at most one ready job a family (or none).
                let mut choices: Vec<Vec<usize>> = vec![Vec::new()];
                for family in &families {
                    let mine: Vec<usize> = ready
                        .iter()
                        .copied()
                        .filter(|&i| jobs[i].family == *family)
                        .collect();
                    let mut grown = Vec::new();
                    for choice in &choices {
                        grown.push(choice.clone());
                        for &i in &mine {
                            let mut c = choice.clone();
                            c.push(i);
                            grown.push(c);
                        }
                    }
                    choices = grown;
                }
                for choice in choices.into_iter().filter(|c| c.len() <= key) {
                    let mut s = state.clone();
                    for i in choice {
                        s[i] -= 1;
                    }
                    next.insert(s);
                }
            }
            states = next;
        }
        unreachable!()
    }

    /// On random small DAGs, no schedule beats the bound: it is a lower bound.
    #[test]
    fn no_schedule_beats_the_dag_bound() {
        let mut rng = fastrand::Rng::with_seed(17);
        let mut tight = 0;
        for _ in 0..300 {
            let n = rng.usize(2..=6);
            let jobs: Vec<Job> = (0..n)
                .map(|i| {
                    let deps = (0..i).filter(|_| rng.u8(..3) == 0).collect::<Vec<_>>();
                    job(["a", "b", "c"][rng.usize(..3)], rng.u64(1..=2), &deps)
                })
                .collect();
            let key = rng.usize(1..=3);
            let best = optimum(&jobs, key) as f64;
            let bound = dag_limited(
                &jobs,
                Some(Rate {
                    requests: key as u64,
                    window_secs: 1.0,
                }),
                Some(ONE),
                Duration::ZERO,
            )
            .as_secs_f64();
            assert!(
                bound <= best + 1e-9,
                "{jobs:?} key {key}: bound {bound} > {best}"
            );
            tight += usize::from((best - bound).abs() < 1e-9);
        }
        // And it is not a trivially low one: most of these it meets exactly.
        assert!(tight > 150, "{tight} of 300");
    }
}
