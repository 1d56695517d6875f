//! What a plan changes for callers: every flow test walked through the live and the desired
//! model, and every caller key path up to a small depth on every number compared between the
//! two, so that a plan can say "caller path 1-2 on 842473082686 used to reach `support`, now
//! reaches `sales-es`". Walking is `spec::flow::walk`, the one flow tests and `simulate` use.

use std::collections::{BTreeSet, VecDeque};
use std::fmt;

use spec::FlowTest;
use spec::flow::{End, Walk, walk};
use spec::model::{Key, Model, NumberRoute};

/// How far [`flow_report`] explores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowLimits {
    /// Longest key path tried on each number (each path is followed by silence, so the
    /// timeouts after it are walked too).
    pub depth: usize,
    /// Most changed paths kept per number; the rest are counted in
    /// [`NumberPaths::not_shown`].
    pub max_per_number: usize,
}

impl Default for FlowLimits {
    fn default() -> Self {
        FlowLimits {
            depth: 3,
            max_per_number: 20,
        }
    }
}

/// Flow tests and caller paths, live against desired.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowReport {
    /// Every flow test, in the order given, with its outcome on both sides.
    pub tests: Vec<TestRun>,
    /// The numbers on which some caller path ends elsewhere, sorted by number.
    pub numbers: Vec<NumberPaths>,
    /// The limits used.
    pub limits: FlowLimits,
}

impl FlowReport {
    /// True when no caller path changes and every flow test has the same outcome on both
    /// sides.
    pub fn is_empty(&self) -> bool {
        self.numbers.is_empty() && self.tests.iter().all(|t| t.live == t.desired)
    }

    /// How many caller paths change, those not shown included.
    pub fn paths_changed(&self) -> usize {
        self.numbers
            .iter()
            .map(|n| n.changes.len() + n.not_shown)
            .sum()
    }
}

/// One flow test, walked through both models.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestRun {
    /// The test.
    pub test: FlowTest,
    /// Its outcome on the live project.
    pub live: Outcome,
    /// Its outcome on the spec.
    pub desired: Outcome,
}

/// Where a walk ended and whether that meets the test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Where the call ends.
    pub end: End,
    /// The path, as `Walk::path` writes it.
    pub path: String,
    /// The call ends as expected, with every key used.
    pub passed: bool,
    /// Keys the caller still had when the call left the IVR: a test whose keys are not all
    /// used fails, wherever the call ends.
    pub unused_keys: String,
}

/// Where a number sends calls, on one side.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Entry {
    /// The number does not exist on this side.
    Absent,
    /// The number exists and routes nowhere.
    Nowhere,
    /// To an IVR tree.
    Ivr(String),
    /// Straight to a queue.
    Queue(String),
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entry::Absent => f.write_str("no such number"),
            Entry::Nowhere => f.write_str("routes nowhere"),
            Entry::Ivr(tree) => write!(f, "ivr `{tree}`"),
            Entry::Queue(queue) => write!(f, "queue `{queue}`"),
        }
    }
}

/// The changed caller paths of one number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberPaths {
    /// The number's digits.
    pub number: String,
    /// Its nickname (desired, else live).
    pub nickname: Option<String>,
    /// Where it sends calls live.
    pub live: Entry,
    /// Where it sends calls in the spec.
    pub desired: Entry,
    /// The changed paths, shortest first, at most [`FlowLimits::max_per_number`].
    pub changes: Vec<PathChange>,
    /// Changed paths left out by the limit.
    pub not_shown: usize,
}

/// One key a caller presses on a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Press {
    /// A key that the menu defines on at least one side.
    Key(Key),
    /// A key that neither side's menu defines; stands for every such key (they all take
    /// `invalid`). The key is the one walked.
    Other(Key),
}

impl Press {
    /// The key actually pressed.
    pub fn key(self) -> Key {
        match self {
            Press::Key(k) | Press::Other(k) => k,
        }
    }
}

impl fmt::Display for Press {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Press::Key(k) => f.write_str(k.as_str()),
            Press::Other(_) => f.write_str("other"),
        }
    }
}

/// A key path whose end differs between the live project and the spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathChange {
    /// The keys pressed, then silence; empty for a caller who presses nothing.
    pub presses: Vec<Press>,
    /// Where the call ends live.
    pub live: End,
    /// Where it ends with the spec.
    pub desired: End,
    /// The live path, as `Walk::path` writes it.
    pub live_path: String,
    /// The desired path.
    pub desired_path: String,
}

impl PathChange {
    /// The keys as people read them: `1-2`, `1-other`, or `no key`.
    pub fn keys(&self) -> String {
        keys_label(&self.presses)
    }

    /// The keys to give `simulate --keys` or a flow test to walk this path.
    pub fn dtmf(&self) -> String {
        self.presses.iter().map(|p| p.key().as_str()).collect()
    }
}

fn keys_label(presses: &[Press]) -> String {
    if presses.is_empty() {
        return "no key".to_owned();
    }
    presses
        .iter()
        .map(Press::to_string)
        .collect::<Vec<_>>()
        .join("-")
}

/// Runs every flow test on both models and compares every caller path of up to
/// `limits.depth` keys on every number of either model.
///
/// A path is reported when its end changes, unless its parent path (one key shorter) changes
/// from and to the same ends: a caller who reached a queue live and presses more keys still
/// waits in that queue, and saying so for every key would bury the changes that matter.
pub fn flow_report(
    desired: &Model,
    live: &Model,
    tests: &[FlowTest],
    limits: &FlowLimits,
) -> FlowReport {
    let tests = tests
        .iter()
        .map(|test| TestRun {
            test: test.clone(),
            live: outcome(test, &walk(live, &test.number, &test.keys)),
            desired: outcome(test, &walk(desired, &test.number, &test.keys)),
        })
        .collect();
    let numbers: BTreeSet<&String> = desired.numbers.keys().chain(live.numbers.keys()).collect();
    let numbers = numbers
        .into_iter()
        .filter_map(|number| number_paths(desired, live, number, limits))
        .collect();
    FlowReport {
        tests,
        numbers,
        limits: *limits,
    }
}

fn outcome(test: &FlowTest, walked: &Walk) -> Outcome {
    Outcome {
        passed: walked.unused_keys.is_empty() && test.expect.is_met_by(&walked.end),
        end: walked.end.clone(),
        path: walked.path(),
        unused_keys: walked.unused_keys.clone(),
    }
}

fn entry(model: &Model, number: &str) -> Entry {
    match model.numbers.get(number).map(|n| &n.route) {
        None => Entry::Absent,
        Some(None) => Entry::Nowhere,
        Some(Some(NumberRoute::Ivr(tree))) => Entry::Ivr(tree.clone()),
        Some(Some(NumberRoute::Queue(queue))) => Entry::Queue(queue.clone()),
    }
}

/// Two ends are the same for a caller when the call goes to the same place; a forward's
/// caller id is not where the call goes.
fn same_end(a: &End, b: &End) -> bool {
    match (a, b) {
        (End::Forward { to: x, .. }, End::Forward { to: y, .. }) => x == y,
        (End::Error(x), End::Error(y)) => x.to_string() == y.to_string(),
        _ => a == b,
    }
}

fn number_paths(
    desired: &Model,
    live: &Model,
    number: &str,
    limits: &FlowLimits,
) -> Option<NumberPaths> {
    let (d_entry, l_entry) = (entry(desired, number), entry(live, number));
    // Same entry into the same tree: no path can end elsewhere (ends are compared by name).
    if d_entry == l_entry {
        let unchanged = match &d_entry {
            Entry::Ivr(tree) => desired.ivr.get(tree) == live.ivr.get(tree),
            _ => true,
        };
        if unchanged {
            return None;
        }
    }
    let nickname = [desired, live]
        .iter()
        .find_map(|m| m.numbers.get(number).and_then(|n| n.nickname.clone()));
    let mut changes = Vec::new();
    let absent = d_entry == Entry::Absent || l_entry == Entry::Absent;
    let mut queue: VecDeque<Pending> = VecDeque::from([Pending {
        presses: Vec::new(),
        parent: None,
    }]);
    while let Some(Pending { presses, parent }) = queue.pop_front() {
        let keys: String = presses.iter().map(|p| p.key().as_str()).collect();
        let l_walk = walk(live, number, &keys);
        let d_walk = walk(desired, number, &keys);
        let changed = !same_end(&l_walk.end, &d_walk.end);
        let here = changed.then(|| (l_walk.end.clone(), d_walk.end.clone()));
        let repeats_parent = match (&parent, &here) {
            (Some((pl, pd)), Some((l, d))) => same_end(pl, l) && same_end(pd, d),
            _ => false,
        };
        if changed && !repeats_parent {
            changes.push(PathChange {
                presses: presses.clone(),
                live: l_walk.end.clone(),
                desired: d_walk.end.clone(),
                live_path: l_walk.path(),
                desired_path: d_walk.path(),
            });
        }
        // A number that exists on one side only is one change, not one per key path.
        if absent || presses.len() >= limits.depth {
            continue;
        }
        for press in next_presses(&[(live, &l_walk), (desired, &d_walk)]) {
            let mut longer = presses.clone();
            longer.push(press);
            queue.push_back(Pending {
                presses: longer,
                parent: here.clone(),
            });
        }
    }
    // The tree changed in ways no caller path notices (a prompt's words, a timeout): nothing
    // to say about this number's callers.
    if changes.is_empty() && d_entry == l_entry {
        return None;
    }
    let not_shown = changes.len().saturating_sub(limits.max_per_number);
    changes.truncate(limits.max_per_number);
    Some(NumberPaths {
        number: number.to_owned(),
        nickname,
        live: l_entry,
        desired: d_entry,
        changes,
        not_shown,
    })
}

/// A key path still to walk, with the change its parent path made (live end, desired end),
/// if it made one.
struct Pending {
    presses: Vec<Press>,
    parent: Option<(End, End)>,
}

/// The keys worth pressing next: every key defined at the menu where either side's caller is
/// waiting, and one key that neither defines (all such keys do the same: `invalid`).
fn next_presses(sides: &[(&Model, &Walk)]) -> Vec<Press> {
    let mut defined = BTreeSet::new();
    let mut waiting = false;
    for (model, walked) in sides {
        // The caller waits at the first menu where they stayed silent; with none, the call
        // left the IVR on a key press (or never entered one).
        let Some(step) = walked.steps.iter().find(|s| s.pressed.is_none()) else {
            continue;
        };
        let Some(node) = model
            .ivr
            .get(&step.tree)
            .and_then(|t| t.nodes.get(&step.node))
        else {
            continue;
        };
        waiting = true;
        defined.extend(node.keys.keys().copied().filter(|k| k.is_dtmf()));
    }
    if !waiting {
        return Vec::new();
    }
    let other = Key::ALL
        .iter()
        .copied()
        .find(|k| k.is_dtmf() && !defined.contains(k));
    defined
        .into_iter()
        .map(Press::Key)
        .chain(other.map(Press::Other))
        .collect()
}
