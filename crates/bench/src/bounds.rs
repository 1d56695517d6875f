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
//!   family's ([`dag_limited`]): release times, tails, and the order in which gates open.

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

/// What the plan's DAG forces under limits ([`dag_limited`]): two lower bounds of one model,
/// the second never below the first.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DagBound {
    /// With release times only: what must be served before each step can start (the bound
    /// before tails; kept so that a figure can be set against both).
    pub releases: Duration,
    /// With tails too: what must still be served after each step is done.
    pub tails: Duration,
    /// What the order in which gates open forces ([`gates`]): the numbers' family, say, can
    /// serve a number only once every group of its queue is complete, and the agents' family
    /// completes the groups one after another.
    pub gates: Duration,
}

impl DagBound {
    /// The largest of the three: the bound.
    pub fn best(&self) -> Duration {
        self.releases.max(self.tails).max(self.gates)
    }
}

/// What the DAG's order forces under per-family rates (docs/benchmarks.md, "Under rate
/// limits"), in the model of the other terms: each scope (each family, and the key for every
/// call) is a server that takes `1 ÷ rate` seconds a call (a client spending its budgets
/// evenly), every call takes at least `latency`, a job's calls go one after another, and a job
/// starts only once every job it waits for, directly or not, is done.
///
/// - A job's release `r(s)`: the largest of its ancestors' calls of each family at that
///   family's rate, all its ancestors' calls at the key's rate, and its longest chain of
///   ancestors' calls × `latency` (the bound before tails), and also of each parent's release
///   plus its calls × `latency`, and, in each scope, `max_k (r_k + ancestors' calls released at
///   or after r_k ÷ rate)` over its ancestors in that scope: from `r_k` on, those calls are all
///   still to serve before `s` starts.
/// - A job's tail `q(s)`, the same backwards: once `s` is done, every descendant is still to
///   run: each child's calls × `latency` plus the child's tail, and in each scope `max_k
///   (descendants' calls with tail q_k or more ÷ rate + q_k)`: the last of those to be served
///   still has `q_k` to follow.
/// - A scope serving jobs with releases `r`, calls `p` (at its rate) and tails `q` cannot
///   finish the plan before `max over sets S (min r + Σ p + min q)`: none of `S` starts before
///   `min r`, the scope serves `S`'s calls one after another, and the last of `S` served still
///   has its tail to follow (the classic bound of one machine with release dates and delivery
///   times, which the preemptive Jackson schedule attains, so no schedule beats it). Only sets
///   `{r ≥ a, q ≥ b}` need trying.
///
/// Returns the largest over the scopes (and over each job's `r + calls × latency + q`), 0 when
/// no rate is set.
pub fn dag_limited(
    jobs: &[Job],
    per_key: Option<Rate>,
    per_family: Option<Rate>,
    latency: Duration,
) -> DagBound {
    if per_key.is_none() && per_family.is_none() {
        return DagBound::default();
    }
    let n = jobs.len();
    let families: BTreeSet<&str> = jobs.iter().map(|j| j.family.as_str()).collect();
    let index: BTreeMap<&str, usize> = families.iter().enumerate().map(|(i, f)| (*f, i)).collect();
    let family: Vec<usize> = jobs.iter().map(|j| index[j.family.as_str()]).collect();
    let calls: Vec<u64> = jobs.iter().map(|j| j.calls).collect();
    // The executor only waits for earlier steps.
    let deps: Vec<Vec<usize>> = (0..n)
        .map(|i| jobs[i].deps.iter().copied().filter(|&d| d < i).collect())
        .collect();
    let mut children = vec![Vec::new(); n];
    for (i, mine) in deps.iter().enumerate() {
        for &d in mine {
            children[d].push(i);
        }
    }
    // The scopes, each with its rate: every family's, then the key's.
    let mut rates = Vec::new();
    if let Some(rate) = per_family {
        rates.extend(families.iter().map(|_| rate.per_sec()));
    }
    let key = per_key.map(|rate| {
        rates.push(rate.per_sec());
        rates.len() - 1
    });
    let scopes_of = |i: usize| per_family.map(|_| family[i]).into_iter().chain(key);
    let lat = latency.as_secs_f64();

    let ancestors = Closure::ancestors(&deps);
    let descendants = Closure::descendants(&children);

    // The releases before tails, as they were.
    let mut chain = vec![0.0f64; n];
    let mut release = vec![0.0f64; n];
    for i in 0..n {
        for &d in &deps[i] {
            chain[i] = chain[i].max(chain[d] + calls[d] as f64 * lat);
        }
        let mut by_family = vec![0u64; families.len()];
        for a in ancestors.of(i) {
            by_family[family[a]] += calls[a];
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

    // In each scope, the busiest ending of `members` whose `time` is a release (or a tail).
    let busiest = |members: &mut dyn Iterator<Item = usize>, time: &[f64]| -> f64 {
        let mut by_scope: Vec<Vec<(f64, u64)>> = vec![Vec::new(); rates.len()];
        for j in members {
            for s in scopes_of(j) {
                by_scope[s].push((time[j], calls[j]));
            }
        }
        by_scope
            .iter_mut()
            .zip(&rates)
            .map(|(members, &rate)| serve(members, rate))
            .fold(0.0, f64::max)
    };
    let mut head = release.clone();
    for i in 0..n {
        for &d in &deps[i] {
            head[i] = head[i].max(head[d] + calls[d] as f64 * lat);
        }
        head[i] = head[i].max(busiest(&mut ancestors.of(i), &head));
    }
    let mut tail = vec![0.0f64; n];
    for i in (0..n).rev() {
        for &k in &children[i] {
            tail[i] = tail[i].max(calls[k] as f64 * lat + tail[k]);
        }
        tail[i] = tail[i].max(busiest(&mut descendants.of(i), &tail));
    }

    let mut before = 0.0f64;
    let mut after = 0.0f64;
    for (s, &rate) in rates.iter().enumerate() {
        let members: Vec<usize> = (0..n).filter(|&i| scopes_of(i).any(|x| x == s)).collect();
        let mut released: Vec<(f64, u64)> =
            members.iter().map(|&i| (release[i], calls[i])).collect();
        before = before.max(serve(&mut released, rate));
        let timed: Vec<(f64, u64, f64)> = members
            .iter()
            .map(|&i| (head[i], calls[i], tail[i]))
            .collect();
        after = after.max(jackson(&timed, rate));
    }
    for i in 0..n {
        after = after.max(head[i] + calls[i] as f64 * lat + tail[i]);
    }
    let gated = per_family.map_or(0.0, |rate| {
        gates(&family, &calls, &ancestors, rate.per_sec())
    });
    DagBound {
        releases: Duration::from_secs_f64(before),
        tails: Duration::from_secs_f64(after.max(before)),
        gates: Duration::from_secs_f64(gated),
    }
}

/// Gates are tried when a family's jobs have this many distinct ancestor sets at most (2^16
/// orders of opening, a few milliseconds each).
const MAX_GATES: usize = 16;

/// What the order in which gates open forces, for every two families `A` (upstream) and `N`
/// (downstream), each a server at `rate` calls a second.
///
/// A gate is a set of `A`'s jobs; it opens when the last of them is done. The gates tried are
/// the distinct `A`-ancestor sets of one family's jobs (any set of gates gives a lower bound;
/// these are the ones the plan's shape makes: a routing's agents are its group's). An `N` job
/// cannot start before every gate inside its own `A`-ancestors is open. Whatever the
/// schedule, number the gates in the order they open, `g₁ … g_k` at `t₁ ≤ … ≤ t_k`: by `t_i`,
/// `A` has served every job of `g₁ … g_i`, so `t_i ≥ calls(g₁ ∪ … ∪ g_i) ÷ rate`; and every
/// `N` job that holds one of `g_i … g_k` starts after `t_i`, so `N` still has all of their
/// calls to serve: the plan takes at least `t_i + calls ÷ rate`. The schedule picks the order,
/// so the bound is the least, over every order, of the largest of those over `i`: found
/// exactly over the sets of gates opened first (`best[S] = min over g in S of max(best[S −
/// g], calls(∪ S) ÷ rate + calls of N not inside S − g ÷ rate)`).
///
/// Returns the largest over every `A`, gate family and `N`; 0 when there is nothing to gate.
fn gates(family: &[usize], calls: &[u64], ancestors: &Closure, rate: f64) -> f64 {
    let n = family.len();
    let families = family.iter().max().map_or(0, |f| f + 1);
    let mut bound = 0.0f64;
    for a in 0..families {
        let upstream: Vec<usize> = (0..n).filter(|&i| family[i] == a).collect();
        if upstream.is_empty() {
            continue;
        }
        // Each job's ancestors in A, as a bit set over A's jobs.
        let words = upstream.len().div_ceil(64);
        let mut slot = vec![usize::MAX; n];
        for (k, &i) in upstream.iter().enumerate() {
            slot[i] = k;
        }
        let in_a: Vec<Vec<u64>> = (0..n)
            .map(|i| {
                let mut set = vec![0u64; words];
                for x in ancestors.of(i).filter(|&x| family[x] == a) {
                    set[slot[x] / 64] |= 1 << (slot[x] % 64);
                }
                set
            })
            .collect();
        let weights: Vec<u64> = upstream.iter().map(|&i| calls[i]).collect();
        let mut tried = BTreeSet::new();
        for m in 0..families {
            let sets: BTreeSet<&Vec<u64>> = (0..n)
                .filter(|&i| family[i] == m && in_a[i].iter().any(|&w| w != 0))
                .map(|i| &in_a[i])
                .collect();
            let gates = irreducible(&sets);
            if gates.len() < 2 || gates.len() > MAX_GATES || !tried.insert(gates.clone()) {
                continue;
            }
            let served = opened_calls(&gates, &weights);
            for downstream in (0..families).filter(|&f| f != a) {
                let held: Vec<(u32, u64)> = (0..n)
                    .filter(|&i| family[i] == downstream)
                    .map(|i| {
                        let inside = gates.iter().enumerate().filter(|(_, g)| {
                            g.iter().zip(&in_a[i]).all(|(&g, &mine)| g & !mine == 0)
                        });
                        (inside.fold(0u32, |m, (k, _)| m | 1 << k), calls[i])
                    })
                    .collect();
                bound = bound.max(open_in_best_order(&served, &held, gates.len(), rate));
            }
        }
    }
    bound
}

/// The sets that are not the union of the others they hold (a queue's routings read as one
/// list hold every agent of its groups: they gate nothing their groups do not).
fn irreducible<'a>(sets: &BTreeSet<&'a Vec<u64>>) -> Vec<&'a Vec<u64>> {
    let within = |small: &Vec<u64>, big: &Vec<u64>| small.iter().zip(big).all(|(s, b)| s & !b == 0);
    sets.iter()
        .filter(|&&set| {
            let mut union = vec![0u64; set.len()];
            for &other in sets.iter().filter(|&&o| o != set && within(o, set)) {
                for (u, o) in union.iter_mut().zip(other) {
                    *u |= o;
                }
            }
            union != *set
        })
        .copied()
        .collect()
}

/// For every set `S` of gates (a bit mask), the calls of the jobs in their union.
fn opened_calls(gates: &[&Vec<u64>], weights: &[u64]) -> Vec<u64> {
    let k = gates.len();
    let words = gates.first().map_or(0, |g| g.len());
    let mut union = vec![0u64; words << k];
    let mut served = vec![0u64; 1 << k];
    for s in 1usize..1 << k {
        let low = s.trailing_zeros() as usize;
        let rest = s & (s - 1);
        for w in 0..words {
            union[s * words + w] = union[rest * words + w] | gates[low][w];
        }
        let mut total = 0;
        for w in 0..words {
            let mut bits = union[s * words + w];
            while bits != 0 {
                total += weights[w * 64 + bits.trailing_zeros() as usize];
                bits &= bits - 1;
            }
        }
        served[s] = total;
    }
    served
}

/// The least, over every order of opening `k` gates, of the largest `t_i + calls still to
/// serve ÷ rate` ([`gates`]); `held` are the downstream jobs, each with the gates inside its
/// ancestors (a mask) and its calls.
fn open_in_best_order(served: &[u64], held: &[(u32, u64)], k: usize, rate: f64) -> f64 {
    // inside[S]: the calls of the jobs whose gates are all in S (they may go before S's last
    // gate opens).
    let mut inside = vec![0u64; 1 << k];
    let mut total = 0u64;
    for &(mask, calls) in held {
        inside[mask as usize] += calls;
        total += calls;
    }
    for bit in 0..k {
        for s in 0..1usize << k {
            if s >> bit & 1 == 1 {
                inside[s] += inside[s ^ 1 << bit];
            }
        }
    }
    let mut best = vec![0.0f64; 1 << k];
    for s in 1usize..1 << k {
        let opened = served[s] as f64 / rate;
        let mut least = f64::INFINITY;
        let mut bits = s;
        while bits != 0 {
            let before = s & !(1 << bits.trailing_zeros());
            bits &= bits - 1;
            let after = opened + (total - inside[before]) as f64 / rate;
            least = least.min(best[before].max(after));
        }
        best[s] = least;
    }
    best[(1 << k) - 1]
}

/// One scope serving jobs `(time, calls)` at `rate` a second, where `time` is when each can
/// start (or what must follow it): `max_k (t_k + calls with time t_k or more ÷ rate)`.
fn serve(members: &mut [(f64, u64)], rate: f64) -> f64 {
    members.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut after = 0u64;
    let mut end = 0.0f64;
    for &(t, calls) in members.iter() {
        after += calls;
        end = end.max(t + after as f64 / rate);
    }
    end
}

/// One scope serving jobs `(release, calls, tail)` at `rate` a second: `max (a + calls of
/// the jobs with release ≥ a and tail ≥ b ÷ rate + b)` over every release `a` and tail `b`
/// (the sets whose least release and least tail are `a` and `b` hold no more calls).
fn jackson(members: &[(f64, u64, f64)], rate: f64) -> f64 {
    let mut by_release = members.to_vec();
    by_release.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut tails: Vec<f64> = members.iter().map(|m| m.2).collect();
    tails.sort_by(f64::total_cmp);
    tails.dedup();
    let mut end = 0.0f64;
    for &b in &tails {
        let mut after = 0u64;
        for &(r, calls, q) in &by_release {
            if q >= b {
                after += calls;
                end = end.max(r + after as f64 / rate + b);
            }
        }
    }
    end
}

/// Every job's ancestors (or descendants), as bit sets: a plan of 2,500 jobs takes 0.8 MB.
struct Closure {
    words: usize,
    bits: Vec<u64>,
}

impl Closure {
    /// `deps[i]` are earlier jobs.
    fn ancestors(deps: &[Vec<usize>]) -> Closure {
        let n = deps.len();
        let words = n.div_ceil(64);
        let mut bits = vec![0u64; n * words];
        for (i, mine_deps) in deps.iter().enumerate() {
            let (done, rest) = bits.split_at_mut(i * words);
            let mine = &mut rest[..words];
            for &d in mine_deps {
                for (w, a) in mine.iter_mut().zip(&done[d * words..(d + 1) * words]) {
                    *w |= a;
                }
                mine[d / 64] |= 1 << (d % 64);
            }
        }
        Closure { words, bits }
    }

    /// `children[i]` are later jobs.
    fn descendants(children: &[Vec<usize>]) -> Closure {
        let n = children.len();
        let words = n.div_ceil(64);
        let mut bits = vec![0u64; n * words];
        for i in (0..n).rev() {
            let (head, done) = bits.split_at_mut((i + 1) * words);
            let mine = &mut head[i * words..];
            for &k in &children[i] {
                let theirs = &done[(k - i - 1) * words..(k - i) * words];
                for (w, a) in mine.iter_mut().zip(theirs) {
                    *w |= a;
                }
                mine[k / 64] |= 1 << (k % 64);
            }
        }
        Closure { words, bits }
    }

    /// The members of job `i`'s set.
    fn of(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.bits[i * self.words..(i + 1) * self.words]
            .iter()
            .enumerate()
            .flat_map(|(w, &bits)| {
                let mut bits = bits;
                std::iter::from_fn(move || {
                    (bits != 0).then(|| {
                        let a = w * 64 + bits.trailing_zeros() as usize;
                        bits &= bits - 1;
                        a
                    })
                })
            })
    }
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
        let bound = |jobs: &[Job]| dag_limited(jobs, None, Some(ONE), Duration::ZERO);
        let secs = |jobs: &[Job]| {
            let b = bound(jobs);
            (b.releases.as_secs_f64(), b.tails.as_secs_f64())
        };
        // Every b waits for every a: the a's take 3 s, then the b's 3 s more. Best: 6 s.
        let mut all = a();
        all.extend((0..3).map(|_| job("b", 1, &[0, 1, 2])));
        assert_eq!(secs(&all), (6.0, 6.0));
        // b_k waits for a_k only: the b's follow the a's a second behind. Best: 4 s.
        let mut pairs = a();
        pairs.extend((0..3).map(|k| job("b", 1, &[k])));
        assert_eq!(secs(&pairs), (4.0, 4.0));
        // A create and its look-up (2 calls), then a step of another family. Best: 3 s; the
        // latency of each call in the chain counts when nothing else does.
        let chain = [job("a", 2, &[]), job("b", 1, &[0])];
        assert_eq!(secs(&chain), (3.0, 3.0));
        let slow = dag_limited(
            &chain,
            None,
            Some(Rate {
                requests: 1000,
                window_secs: 1.0,
            }),
            Duration::from_secs(1),
        );
        assert!(
            (slow.releases.as_secs_f64() - 2.001).abs() < 1e-9,
            "{slow:?}"
        );
        assert!((slow.tails.as_secs_f64() - 3.0).abs() < 1e-9, "{slow:?}");
        // Without rates there is no bound to compute.
        assert_eq!(
            dag_limited(&chain, None, None, Duration::ZERO),
            DagBound::default()
        );
    }

    /// The plan's shape in small, where only the tails see what binds: two agents (family a),
    /// each with a chain of its own after it (a member, then a routing: families b then c, or
    /// d then e). Whichever agent is made second, its chain still follows: 2 s of agents, then
    /// 2 s. Best: 4 s. Before tails, the bound saw 2 s (each family's calls, and no step with
    /// more than one ancestor of a family); the tails see the agents' family busy 2 s with 2 s
    /// to follow after either.
    #[test]
    fn the_tails_see_what_follows_the_last_of_a_family() {
        let jobs = [
            job("a", 1, &[]),
            job("a", 1, &[]),
            job("b", 1, &[0]),
            job("c", 1, &[2]),
            job("d", 1, &[1]),
            job("e", 1, &[4]),
        ];
        assert_eq!(optimum(&jobs, 5), 4);
        let bound = dag_limited(&jobs, None, Some(ONE), Duration::ZERO);
        assert_eq!(bound.releases.as_secs_f64(), 2.0);
        assert_eq!(bound.tails.as_secs_f64(), 4.0);
        // Without the last job of each chain, 3 s: the tail of each agent is one call.
        let bound = dag_limited(&jobs[..5], None, Some(ONE), Duration::ZERO);
        assert_eq!(
            (bound.tails.as_secs_f64(), optimum(&jobs[..5], 5)),
            (3.0, 3)
        );
    }

    /// The plan's shape in small, where only the gates see what binds: three agents (family
    /// a), two groups ({a0} and {a1, a2}), and three numbers (family n), one needing the first
    /// group and two the second. Whichever group is complete first, the other opens at 3 s
    /// at the earliest with a number or two still to serve after it, and before then the
    /// numbers wait: best 5 s. Each number alone, or each agent's tail alone, says 4 s.
    #[test]
    fn the_gates_see_the_groups_complete_one_after_another() {
        let jobs = [
            job("a", 1, &[]),
            job("a", 1, &[]),
            job("a", 1, &[]),
            job("n", 1, &[1, 2]),
            job("n", 1, &[0]),
            job("n", 1, &[1, 2]),
        ];
        assert_eq!(optimum(&jobs, 5), 5);
        let bound = dag_limited(&jobs, None, Some(ONE), Duration::ZERO);
        assert_eq!(bound.releases.as_secs_f64(), 4.0);
        assert_eq!(bound.tails.as_secs_f64(), 4.0);
        assert_eq!(bound.gates.as_secs_f64(), 5.0);
        assert_eq!(bound.best(), Duration::from_secs(5));
        // With one group only, there is no order to choose: the releases say it all.
        let one = [job("a", 1, &[]), job("a", 1, &[]), job("n", 1, &[0, 1])];
        let bound = dag_limited(&one, None, Some(ONE), Duration::ZERO);
        assert_eq!(
            (bound.gates, bound.best().as_secs_f64()),
            (Duration::ZERO, 3.0)
        );
    }

    /// On the benchmark's own plan (`bench limits`: 220 agents in 15 groups, 90 queues, 440
    /// numbers), the gates are found (the routings' agents, once the queues' routing lists
    /// that hold several groups are set aside) and see more than the releases and the tails,
    /// which see the same: no agent has a tail long enough to push the numbers further.
    #[test]
    fn the_gates_bind_on_the_benchmark_plan() {
        let size = crate::generate::Size {
            agents: 220,
            groups: 15,
            queues: 90,
            trees: 10,
            nodes: 11,
            numbers: 440,
            audio: 10,
        };
        let center = crate::generate::center(&size, 1);
        let plan = planner::plan(&center.model, &Model::default(), &spec::Policy::default());
        let rate = |requests| Rate {
            requests,
            window_secs: 10.0,
        };
        let latency = Duration::from_millis(20);
        let bound = dag_limited(&jobs(&plan), Some(rate(300)), Some(rate(30)), latency);
        assert!(bound.tails >= bound.releases, "{bound:?}");
        assert!(bound.gates > bound.tails, "{bound:?}");
        // Per key only, nothing is gated: one server serves every call.
        let key = dag_limited(&jobs(&plan), Some(rate(300)), None, latency);
        assert_eq!((key.gates, key.best()), (Duration::ZERO, key.tails));
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

    /// On random small DAGs, no schedule beats the bound, with tails or without: it is a
    /// lower bound. The schedules are in whole seconds, each call taking one, so the bound is
    /// checked both as if calls took no time (latency 0) and as if they took the second they
    /// do (latency 1 s), where the chains of latencies count too.
    #[test]
    fn no_schedule_beats_the_dag_bound() {
        let mut rng = fastrand::Rng::with_seed(17);
        let (mut tight, mut tight_before) = (0, 0);
        for round in 0..300 {
            let n = rng.usize(2..=6);
            let jobs: Vec<Job> = (0..n)
                .map(|i| {
                    let deps = (0..i).filter(|_| rng.u8(..3) == 0).collect::<Vec<_>>();
                    job(["a", "b", "c"][rng.usize(..3)], rng.u64(1..=2), &deps)
                })
                .collect();
            let key = rng.usize(1..=3);
            let best = optimum(&jobs, key) as f64;
            let latency = Duration::from_secs(round % 2);
            let bound = dag_limited(
                &jobs,
                Some(Rate {
                    requests: key as u64,
                    window_secs: 1.0,
                }),
                Some(ONE),
                latency,
            );
            let (before, after) = (bound.releases.as_secs_f64(), bound.best().as_secs_f64());
            assert!(
                after <= best + 1e-9,
                "{jobs:?} key {key}, latency {latency:?}: bound {after} > {best}"
            );
            assert!(before <= after, "{jobs:?}: {before} > {after}");
            tight += usize::from((best - after).abs() < 1e-9);
            tight_before += usize::from((best - before).abs() < 1e-9);
        }
        // And it is not a trivially low one: it meets most of these exactly, more than the
        // bound before tails did.
        assert!(
            tight > tight_before,
            "{tight} of 300, {tight_before} before tails"
        );
        assert!(tight > 250, "{tight} of 300");
    }

    /// On random DAGs of the plan's shape (jobs of a family a; jobs of a family m, each
    /// waiting for some a's, as a routing waits for its group's agents; jobs of a family n,
    /// each waiting for some m's or a's, as a number for its queue's routings), no schedule
    /// beats the bound either, and there the gates often see more than the tails.
    #[test]
    fn no_schedule_beats_the_dag_bound_on_layered_dags() {
        let mut rng = fastrand::Rng::with_seed(18);
        let (mut tight, mut gated) = (0, 0);
        for round in 0..300 {
            let (a, m, n) = (rng.usize(3..=4), rng.usize(0..=2), rng.usize(3..=5));
            let mut jobs: Vec<Job> = (0..a).map(|_| job("a", rng.u64(1..=2), &[])).collect();
            for _ in 0..m {
                let deps: Vec<usize> = (0..a).filter(|_| rng.bool()).collect();
                jobs.push(job("m", 1, &deps));
            }
            for _ in 0..n {
                let deps: Vec<usize> = (0..a + m).filter(|_| rng.bool()).collect();
                jobs.push(job("n", 1, &deps));
            }
            let key = rng.usize(2..=3);
            let best = optimum(&jobs, key) as f64;
            let latency = Duration::from_secs(round % 2);
            let rate = Rate {
                requests: key as u64,
                window_secs: 1.0,
            };
            let bound = dag_limited(&jobs, Some(rate), Some(ONE), latency);
            let after = bound.best().as_secs_f64();
            assert!(
                after <= best + 1e-9,
                "{jobs:?} key {key}, latency {latency:?}: {bound:?} > {best}"
            );
            tight += usize::from((best - after).abs() < 1e-9);
            gated += usize::from(bound.gates > bound.tails);
        }
        assert!(
            gated > 10,
            "the gates saw more than the tails {gated} times of 300"
        );
        assert!(tight > 250, "{tight} of 300");
    }
}
