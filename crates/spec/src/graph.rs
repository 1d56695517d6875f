//! The IVR graph of each tree (petgraph): loops not declared with `back: true`, nodes no call
//! reaches, `back: true` keys that make no loop, and menus with no fallback branch.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use petgraph::algo::{has_path_connecting, tarjan_scc};
use petgraph::graphmap::DiGraphMap;

use crate::address::Address;
use crate::diagnostic::code;
use crate::load::Cx;
use crate::load::ivr::TreeInfo;
use crate::model::Key;

/// Most loops listed per tree; a tree with more is broken in a way the first ones show.
const MAX_CYCLES: usize = 10;
/// Most edges the loop search follows per tree, so a dense graph cannot stall `validate`.
const SEARCH_BUDGET: usize = 200_000;

pub(crate) fn check(cx: &mut Cx<'_>, tree: &TreeInfo) {
    // Edges in key order; only gotos to nodes that exist (the others are reported already).
    let mut forward: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut all = DiGraphMap::<&str, ()>::new();
    let mut forward_graph = DiGraphMap::<&str, ()>::new();
    for name in tree.nodes.keys() {
        all.add_node(name);
        forward_graph.add_node(name);
        forward.insert(name, Vec::new());
    }
    for (name, node) in &tree.nodes {
        for info in node.keys.values() {
            let Some((target, back)) = &info.goto else {
                continue;
            };
            let Some((target, _)) = tree.nodes.get_key_value(target) else {
                continue;
            };
            all.add_edge(name, target, ());
            if !back {
                forward_graph.add_edge(name, target, ());
                let next = forward
                    .get_mut(name.as_str())
                    .expect("every node has an entry");
                if !next.contains(&target.as_str()) {
                    next.push(target);
                }
            }
        }
    }

    let order = reach_order(tree);
    if tree.nodes.contains_key(&tree.start) {
        for (name, node) in &tree.nodes {
            if !order.contains_key(name.as_str()) {
                let diagnostic = cx.warning(
                    code::UNREACHABLE_NODE,
                    node.at,
                    format!(
                        "node `{name}` of ivr `{}` is unreachable: no key leads to it from `{}`",
                        tree.name, tree.start
                    ),
                    "unreachable",
                );
                diagnostic.help = Some("add a `goto` to it, or remove it".to_owned());
                diagnostic.address = Some(node_address(tree, name));
            }
        }
    }

    report_cycles(cx, tree, &forward, &forward_graph, &order);
    report_silent_loops(cx, tree, &order);

    for (name, node) in &tree.nodes {
        for (key, info) in &node.keys {
            let (Some((target, true)), Some(back_at)) = (&info.goto, info.back_at) else {
                continue;
            };
            if !tree.nodes.contains_key(target) {
                continue;
            }
            let loops = has_path_connecting(&all, target.as_str(), name.as_str(), None);
            if !loops {
                let diagnostic = cx.warning(
                    code::BACK_WITHOUT_LOOP,
                    back_at,
                    format!(
                        "key `{key}` of node `{name}` (ivr `{}`) is marked `back: true`, but `{target}` never leads back to `{name}`",
                        tree.name
                    ),
                    "no loop here",
                );
                diagnostic.help =
                    Some("`back: true` declares a return to an earlier menu; remove it".to_owned());
                diagnostic.address = Some(key_address(tree, name, *key));
            }
        }

        let has_digits = node.keys.keys().any(|k| k.is_dtmf());
        let has_fallback =
            node.keys.contains_key(&Key::Timeout) || node.keys.contains_key(&Key::Invalid);
        if has_digits && !has_fallback {
            let diagnostic = cx.warning(
                code::NO_FALLBACK,
                node.at,
                format!(
                    "node `{name}` of ivr `{}` has no `timeout` or `invalid` key: a caller who presses nothing, or a key it does not list, is hung up",
                    tree.name
                ),
                "no fallback",
            );
            diagnostic.address = Some(node_address(tree, name));
            diagnostic.help = Some(
                "add `timeout:` and `invalid:` keys, for example `{ goto: this-node, back: true }` to hear the menu again"
                    .to_owned(),
            );
        }
    }
}

/// `ivr_node.<tree>/<node>`.
fn node_address(tree: &TreeInfo, node: &str) -> Address {
    Address::IvrNode {
        tree: tree.name.clone(),
        node: node.to_owned(),
    }
}

/// `ivr_key.<tree>/<node>/<key>`.
fn key_address(tree: &TreeInfo, node: &str, key: Key) -> Address {
    Address::IvrKey {
        tree: tree.name.clone(),
        node: node.to_owned(),
        key,
    }
}

/// Loops of `timeout` gotos: a caller who stays silent goes round them for ever (PCC has no
/// limit we know of), tying up the line. Each node has at most one timeout edge, so following
/// them from every node finds each loop; it is reported once, from its first-met node.
fn report_silent_loops(cx: &mut Cx<'_>, tree: &TreeInfo, order: &BTreeMap<&str, usize>) {
    let timeout_target = |name: &str| -> Option<&str> {
        let info = tree.nodes.get(name)?.keys.get(&Key::Timeout)?;
        let (target, _) = info.goto.as_ref()?;
        tree.nodes.get_key_value(target).map(|(t, _)| t.as_str())
    };
    let rank = |name: &str| {
        (
            order.get(name).copied().unwrap_or(usize::MAX),
            name.to_owned(),
        )
    };
    let mut nodes: Vec<&str> = tree.nodes.keys().map(String::as_str).collect();
    nodes.sort_by_key(|name| rank(name));
    // Nodes whose timeout chain was already followed: a later walk that meets one stops there.
    let mut done: BTreeSet<&str> = BTreeSet::new();
    for &start in &nodes {
        let mut path: Vec<&str> = Vec::new();
        let mut on_path: BTreeMap<&str, usize> = BTreeMap::new();
        let mut current = Some(start);
        while let Some(node) = current {
            if let Some(&position) = on_path.get(node) {
                report_silent_loop(cx, tree, &path[position..], &rank);
                break;
            }
            if !done.insert(node) {
                break;
            }
            on_path.insert(node, path.len());
            path.push(node);
            current = timeout_target(node);
        }
    }
}

fn report_silent_loop(
    cx: &mut Cx<'_>,
    tree: &TreeInfo,
    cycle: &[&str],
    rank: &dyn Fn(&str) -> (usize, String),
) {
    let mut cycle = cycle.to_vec();
    let first = *cycle
        .iter()
        .min_by_key(|name| rank(name))
        .expect("not empty");
    let turn = cycle
        .iter()
        .position(|&n| n == first)
        .expect("in the cycle");
    cycle.rotate_left(turn);
    let last = cycle[cycle.len() - 1];
    let at = tree.nodes[last].keys[&Key::Timeout].at;
    let message = if cycle.len() == 1 {
        format!(
            "ivr `{}`: a caller who stays silent at node `{first}` hears it again and again, for ever",
            tree.name
        )
    } else {
        cycle.push(first);
        format!(
            "ivr `{}`: a caller who stays silent goes round `{}` for ever",
            tree.name,
            cycle.join(" -> ")
        )
    };
    let diagnostic = cx.warning(code::SILENT_LOOP, at, message, "silence leads back here");
    diagnostic.address = Some(key_address(tree, last, Key::Timeout));
    diagnostic.help = Some(
        "to replay a prompt use `loop_count`; send `timeout` somewhere that ends: `hangup: true`, a queue, or another menu"
            .to_owned(),
    );
}

/// Nodes reachable from the start (through every goto, `back` ones included), numbered in the
/// order a breadth-first walk meets them, so that a loop is told from the node a caller hears
/// first.
fn reach_order(tree: &TreeInfo) -> BTreeMap<&str, usize> {
    let mut order = BTreeMap::new();
    let Some((start, _)) = tree.nodes.get_key_value(&tree.start) else {
        return order;
    };
    let mut queue = VecDeque::from([start.as_str()]);
    order.insert(start.as_str(), 0);
    while let Some(name) = queue.pop_front() {
        for info in tree.nodes[name].keys.values() {
            if let Some((target, _)) = &info.goto
                && let Some((target, _)) = tree.nodes.get_key_value(target)
                && !order.contains_key(target.as_str())
            {
                order.insert(target.as_str(), order.len());
                queue.push_back(target.as_str());
            }
        }
    }
    order
}

fn report_cycles(
    cx: &mut Cx<'_>,
    tree: &TreeInfo,
    forward: &BTreeMap<&str, Vec<&str>>,
    graph: &DiGraphMap<&str, ()>,
    order: &BTreeMap<&str, usize>,
) {
    // Rank: reachable nodes by when a caller meets them, then the others by name.
    let rank = |name: &str| {
        (
            order.get(name).copied().unwrap_or(usize::MAX),
            name.to_owned(),
        )
    };
    let mut components: Vec<Vec<&str>> = tarjan_scc(graph)
        .into_iter()
        .filter(|scc| scc.len() > 1 || graph.contains_edge(scc[0], scc[0]))
        .collect();
    for scc in &mut components {
        scc.sort_by_key(|name| rank(name));
    }
    components.sort_by_key(|scc| rank(scc[0]));

    let mut cycles = Vec::new();
    let mut budget = SEARCH_BUDGET;
    let mut truncated = false;
    for scc in &components {
        for (i, &first) in scc.iter().enumerate() {
            let allowed: BTreeSet<&str> = scc[i + 1..].iter().copied().collect();
            let mut path = vec![first];
            if !search(
                first,
                &mut path,
                &allowed,
                forward,
                &mut cycles,
                &mut budget,
            ) {
                truncated = true;
                break;
            }
        }
        if truncated {
            break;
        }
    }

    let listed = cycles.len();
    for cycle in &cycles {
        report_cycle(cx, tree, cycle);
    }
    if truncated {
        cx.error(
            code::IVR_CYCLE,
            tree.at,
            format!(
                "ivr `{}` has more loops than the {listed} listed here",
                tree.name
            ),
            "too many loops to list",
        )
        .help = Some("fix the loops listed and validate again to see the rest".to_owned());
    }
}

/// Depth-first search for the elementary loops through `path[0]` that use only `allowed` nodes
/// (those ranked after it), so each loop is found once, from its first-met node. Returns false
/// when it stopped early (too many loops, or the budget ran out).
fn search<'t>(
    node: &'t str,
    path: &mut Vec<&'t str>,
    allowed: &BTreeSet<&'t str>,
    forward: &BTreeMap<&'t str, Vec<&'t str>>,
    cycles: &mut Vec<Vec<&'t str>>,
    budget: &mut usize,
) -> bool {
    for &next in &forward[node] {
        if *budget == 0 {
            return false;
        }
        *budget -= 1;
        if next == path[0] {
            if cycles.len() == MAX_CYCLES {
                return false;
            }
            cycles.push(path.clone());
        } else if allowed.contains(next) && !path.contains(&next) {
            path.push(next);
            let complete = search(next, path, allowed, forward, cycles, budget);
            path.pop();
            if !complete {
                return false;
            }
        }
    }
    true
}

fn report_cycle(cx: &mut Cx<'_>, tree: &TreeInfo, cycle: &[&str]) {
    let first = cycle[0];
    let last = cycle[cycle.len() - 1];
    // The key of `from` that goes (without `back`) to `to`: the first such key.
    let edge = |from: &str, to: &str| {
        tree.nodes[from]
            .keys
            .iter()
            .find(|(_, info)| matches!(&info.goto, Some((target, false)) if target == to))
            .map(|(key, info)| (*key, info.at))
            .expect("the loop search follows existing edges")
    };
    let (closing_key, closing_at) = edge(last, first);
    let help = format!(
        "if going back to `{first}` is intended (a \"main menu\" or \"hear this again\" key), mark that goto `back: true`"
    );
    if cycle.len() == 1 {
        cx.error(
            code::IVR_CYCLE,
            closing_at,
            format!(
                "ivr `{}`: node `{first}` goes back to itself (key `{closing_key}`)",
                tree.name
            ),
            format!("`{closing_key}` goes back to `{first}`"),
        )
        .help = Some(help);
        return;
    }
    let mut path: Vec<&str> = cycle.to_vec();
    path.push(first);
    let others: Vec<_> = cycle
        .windows(2)
        .map(|pair| {
            let (key, at) = edge(pair[0], pair[1]);
            cx.label(
                at,
                format!("`{}` key `{key}` goes to `{}`", pair[0], pair[1]),
            )
        })
        .collect();
    let diagnostic = cx.error(
        code::IVR_CYCLE,
        closing_at,
        format!(
            "ivr `{}`: node `{first}` loops back through `{}`",
            tree.name,
            path.join(" -> ")
        ),
        format!("`{last}` key `{closing_key}` goes back to `{first}`"),
    );
    diagnostic.labels.extend(others);
    diagnostic.help = Some(help);
}
