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

use std::collections::BTreeSet;
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
}
