//! Checks across sections (queues that reach no agent, unused trees), flow tests, and the
//! apply policy (`ignore:`, `safety:`).

use std::collections::{BTreeMap, BTreeSet};

use crate::address::{Address, Kind, Pattern, split_kind};
use crate::diagnostic::code;
use crate::flow::{self, End};
use crate::load::ivr::TreeInfo;
use crate::load::merge::{Def, Project, collect};
use crate::load::sections::{non_empty, phone};
use crate::load::{At, Cx, Expect, FlowTest, Location, TestOutcome, backticked, did_you_mean};
use crate::model::{AgentRouting, Key, KeyAction, Model};
use crate::policy::{KindSafety, Policy, Safety};
use crate::raw::{RawTest, Spanned};
use crate::valid;

/// A spec that declares nothing (no file, or only comments, `ignore:` and `safety:`) is valid,
/// but a plan of it deletes every live object: worth a loud warning, at the top of the first
/// file.
pub(super) fn check_declares_something(cx: &mut Cx<'_>, model: &Model, policy: &Policy) {
    if cx.sources.is_empty() || *model != Model::default() {
        return;
    }
    let at = At {
        file: 0,
        span: crate::raw::Span {
            line: 1,
            column: 1,
            bytes: Some((0, 0)),
        },
    };
    let uncovered = if policy.ignore.is_empty() {
        ""
    } else {
        " that `ignore:` does not cover"
    };
    cx.warning(
        code::EMPTY_SPEC,
        at,
        format!(
            "this spec declares nothing; planning it deletes every object in the live \
             project{uncovered}"
        ),
        "no settings, audio, agents, groups, queues, IVR trees or numbers in any file",
    )
    .help = Some(
        "check the path given (a directory's `*.yaml` files are read); `apply` refuses to \
         empty a project without --force"
            .to_owned(),
    );
}

/// Queues with no way to find an agent, and queues that ring agents' phones without a caller
/// id.
pub(super) fn check_queues(
    cx: &mut Cx<'_>,
    project: &Project<'_>,
    model: &Model,
    graphs: &[TreeInfo],
) {
    // Where calls are sent to each queue, first place only.
    let mut sent_from: BTreeMap<&str, At> = BTreeMap::new();
    for def in project.numbers.values() {
        if let Some(queue) = &def.value.value.queue {
            sent_from
                .entry(queue.value.as_str())
                .or_insert(def.at(queue));
        }
    }
    for info in graphs {
        let tree = &model.ivr[&info.name];
        for (node_name, node) in &tree.nodes {
            for (key, action) in &node.keys {
                if let KeyAction::Queue { queue } = action {
                    let at = info.nodes[node_name].keys[key].at;
                    sent_from.entry(queue.as_str()).or_insert(at);
                }
            }
        }
    }
    for (name, def) in &project.queues {
        let queue = &model.queues[name];
        if !valid::reaches_agents(queue) {
            let message = format!("queue `{name}` has no `routing` and no `get_list_agents_url`");
            let help = Some(
                "route it to a group (`routing: [ { group: name, primary: true } ]`) or set `get_list_agents_url`"
                    .to_owned(),
            );
            match sent_from.get(name.as_str()) {
                Some(&from) => {
                    let also = cx.label(from, "calls are sent to it here");
                    let diagnostic = cx.error(
                        code::QUEUE_WITHOUT_AGENTS,
                        def.key_at(),
                        format!("{message}: its calls reach no agent"),
                        "no agents",
                    );
                    diagnostic.labels.push(also);
                    diagnostic.help = help;
                    diagnostic.address = Some(Address::Queue(name.clone()));
                }
                None => {
                    let diagnostic = cx.warning(
                        code::QUEUE_WITHOUT_AGENTS,
                        def.key_at(),
                        message,
                        "no agents",
                    );
                    diagnostic.help = help;
                    diagnostic.address = Some(Address::Queue(name.clone()));
                }
            }
        }
        if queue.from_number_callout_to_agent.is_none() && queue.get_list_agents_url.is_none() {
            let by_phone = queue
                .routing
                .keys()
                .filter_map(|group| model.groups.get(group).map(|g| (group, g)))
                .flat_map(|(group, g)| g.agents.iter().map(move |agent| (group, agent)))
                .find(|(_, agent)| {
                    model
                        .agents
                        .get(*agent)
                        .is_some_and(|a| a.routing == AgentRouting::Phone)
                });
            if let Some((group, agent)) = by_phone {
                let diagnostic = cx.warning(
                    code::MISSING_CALLOUT_NUMBER,
                    def.key_at(),
                    format!(
                        "queue `{name}` rings agent `{agent}` (group `{group}`) on their phone but has no `from_number_callout_to_agent`"
                    ),
                    "no caller id for agents' phones",
                );
                diagnostic.help =
                    Some("set `from_number_callout_to_agent` to one of your numbers".to_owned());
                diagnostic.address = Some(Address::Queue(name.clone()));
            }
        }
    }
}

pub(super) fn check_unused_trees(cx: &mut Cx<'_>, project: &Project<'_>) {
    let used: BTreeSet<&str> = project
        .numbers
        .values()
        .filter_map(|def| def.value.value.ivr.as_ref())
        .map(|tree| tree.value.as_str())
        .collect();
    for (name, def) in &project.ivr {
        if !used.contains(name.as_str()) {
            let diagnostic = cx.warning(
                code::UNUSED_TREE,
                def.key_at(),
                format!("ivr `{name}` is not used by any number"),
                "unused",
            );
            diagnostic.help = Some(format!(
                "route a number to it with `ivr: {name}`, or remove it"
            ));
            diagnostic.address = Some(Address::IvrTree(name.clone()));
        }
    }
}

pub(super) fn lower_tests(cx: &mut Cx<'_>, project: &Project<'_>) -> Vec<FlowTest> {
    let mut tests = Vec::new();
    for &(file, raw) in &project.tests {
        let test: &RawTest = &raw.value;
        let number = &test.number.value;
        if !project.numbers.contains_key(number) {
            cx.unknown(
                "number",
                "numbers",
                number,
                At::of(file, &test.number),
                project.numbers.keys().map(String::as_str),
            );
        }
        let keys = test.keys.as_ref().map_or("", |k| k.value.as_str());
        if let Some(bad) = keys.chars().find(|&c| Key::from_dtmf(c).is_none()) {
            let at = At::of(file, test.keys.as_ref().expect("keys are not empty"));
            cx.error(
                code::INVALID_KEY,
                at,
                format!("`{bad}` in `{keys}` is not a key a phone can press"),
                "only `0`-`9`, `*` and `#`",
            )
            .help = Some(
                "`keys` lists presses in order (`\"12#\"`); silence at the end is implied"
                    .to_owned(),
            );
        }
        let expect = &test.expect.value;
        let given: Vec<(&str, At)> = [
            ("queue", expect.queue.as_ref().map(|v| At::of(file, v))),
            ("forward", expect.forward.as_ref().map(|v| At::of(file, v))),
            ("hangup", expect.hangup.as_ref().map(|v| At::of(file, v))),
        ]
        .into_iter()
        .filter_map(|(name, at)| at.map(|at| (name, at)))
        .collect();
        let expect = match given.as_slice() {
            [] => {
                cx.error(
                    code::MISSING_KEY,
                    At::of(file, &test.expect),
                    "flow test expects nothing",
                    "no outcome",
                )
                .help = Some(
                    "give one of `queue: name`, `forward: \"digits\"`, `hangup: true`".to_owned(),
                );
                continue;
            }
            [_] => {
                if let Some(queue) = &expect.queue {
                    if !project.queues.contains_key(&queue.value) {
                        cx.unknown(
                            "queue",
                            "queues",
                            &queue.value,
                            At::of(file, queue),
                            project.queues.keys().map(String::as_str),
                        );
                    }
                    Expect::Queue(queue.value.clone())
                } else if let Some(to) = &expect.forward {
                    phone(cx, file, to, "expected `forward`");
                    Expect::Forward(to.value.clone())
                } else {
                    let hangup = expect.hangup.as_ref().expect("one outcome is given");
                    if !hangup.value {
                        cx.error(
                            code::CONFLICTING_KEYS,
                            At::of(file, hangup),
                            "`hangup: false` is not an outcome",
                            "write `hangup: true`",
                        );
                    }
                    Expect::Hangup
                }
            }
            [(first, _), (second, at), ..] => {
                cx.error(
                    code::CONFLICTING_KEYS,
                    *at,
                    format!("flow test expects both `{first}` and `{second}`"),
                    "one outcome per test",
                );
                continue;
            }
        };
        let span = raw.span;
        tests.push(FlowTest {
            name: test.name.as_ref().map(|n| n.value.clone()),
            number: number.clone(),
            keys: keys.to_owned(),
            expect,
            location: Location {
                file: cx.sources[file].path.clone(),
                line: span.line.max(1),
                column: span.column.max(1),
            },
        });
    }
    tests
}

/// Runs the flow tests, reporting each failure, and answers what became of each test (in the
/// order of `tests`).
pub(super) fn run_tests(
    cx: &mut Cx<'_>,
    project: &Project<'_>,
    model: &Model,
    tests: &[FlowTest],
) -> Vec<TestOutcome> {
    let mut outcomes = Vec::with_capacity(tests.len());
    let raws = project.tests.iter();
    // `tests` holds the tests that lowered; with no errors that is all of them, in order.
    for (test, &(file, raw)) in tests.iter().zip(raws) {
        let walk = flow::walk(model, &test.number, &test.keys);
        let title = match &test.name {
            Some(name) => format!("flow test `{name}`"),
            None if test.keys.is_empty() => format!("flow test (`{}`, no keys)", test.number),
            None => format!("flow test (`{}`, keys `{}`)", test.number, test.keys),
        };
        let at = At::of(file, &raw.value.expect);
        if let End::Error(err) = &walk.end {
            cx.error(
                code::FLOW_TEST_PATH,
                At::of(file, raw),
                format!("{title} cannot be walked: {err}"),
                "this test",
            )
            .help = Some(format!("path so far: {}", walk.path()));
            outcomes.push(failed(cx, walk.path()));
            continue;
        }
        if !walk.unused_keys.is_empty() {
            let at_keys = raw
                .value
                .keys
                .as_ref()
                .map_or(At::of(file, raw), |k| At::of(file, k));
            cx.error(
                code::FLOW_TEST_PATH,
                at_keys,
                format!(
                    "{title} cannot be walked: the call reached {} with keys `{}` still to press",
                    walk.end, walk.unused_keys
                ),
                "too many keys",
            )
            .help = Some(if walk.steps.is_empty() {
                format!(
                    "number `{}` sends calls straight to {}, with no IVR menu to press keys in",
                    test.number, walk.end
                )
            } else {
                format!("path: {}", walk.path())
            });
            outcomes.push(failed(cx, walk.path()));
            continue;
        }
        if !test.expect.is_met_by(&walk.end) {
            cx.error(
                code::FLOW_TEST_FAILED,
                at,
                format!(
                    "{title} failed: expected {}, but the call ends with {}",
                    test.expect, walk.end
                ),
                format!("expected {}", test.expect),
            )
            .help = Some(format!("path: {}", walk.path()));
            outcomes.push(failed(cx, walk.path()));
            continue;
        }
        outcomes.push(TestOutcome::Passed { path: walk.path() });
    }
    outcomes
}

/// The outcome of a test whose failure was just reported.
fn failed(cx: &Cx<'_>, path: String) -> TestOutcome {
    let message = cx
        .diagnostics
        .last()
        .map(|d| d.message.clone())
        .unwrap_or_default();
    TestOutcome::Failed { message, path }
}

/// An address pattern as `ignore:` and `lint.allow` take it (`what` names it in messages): not
/// empty, and naming a kind unless its kind is itself a glob (`*.temp-*`). A pattern whose kind
/// is no kind (`agnet.hr-*`, a typo that would match nothing) is an error, `unknown-kind`.
/// `None` when it is reported.
pub(super) fn address_pattern(
    cx: &mut Cx<'_>,
    file: usize,
    pattern: &Spanned<String>,
    what: &str,
) -> Option<Pattern> {
    let value = pattern.value.as_str();
    if value.trim().is_empty() {
        non_empty(cx, file, pattern, what);
        return None;
    }
    let (kind, name) = split_kind(value);
    let wild = kind.contains(['*', '?']);
    let kinds = Kind::named_spellings();
    if !wild && (!kinds.contains(&kind) || name.is_none()) {
        let help = match did_you_mean(kind, kinds.iter().copied()) {
            Some(close) if close != kind => {
                format!("did you mean `{close}.{}`?", name.unwrap_or("*"))
            }
            _ => format!(
                "addresses are `kind.name`, where kind is one of {}",
                backticked(&kinds)
            ),
        };
        cx.error(
            code::UNKNOWN_KIND,
            At::of(file, pattern),
            format!("{what} `{value}` names no kind of object"),
            "matches nothing",
        )
        .help = Some(help);
        return None;
    }
    Some(Pattern::new(value))
}

pub(super) fn lower_policy(cx: &mut Cx<'_>, project: &Project<'_>) -> Policy {
    let mut policy = Policy::default();
    for &(file, pattern) in &project.ignore {
        if let Some(pattern) = address_pattern(cx, file, pattern, "`ignore` pattern") {
            policy.ignore.push(pattern);
        }
    }
    if let Some((file, safety)) = project.safety {
        let raw = &safety.value;
        let mut out = Safety::default();
        let percent = |cx: &mut Cx<'_>, v: &Spanned<u32>| {
            if v.value > 100 {
                cx.error(
                    code::OUT_OF_RANGE,
                    At::of(file, v),
                    format!("`max_delete_percent` is {}, it must be 0 to 100", v.value),
                    "0 to 100",
                );
            }
            v.value
        };
        if let Some(v) = &raw.max_delete_percent {
            out.max_delete_percent = percent(cx, v);
        }
        if let Some(v) = &raw.min_objects {
            out.min_objects = v.value;
        }
        if let Some(v) = &raw.protect_numbers {
            out.protect_numbers = v.value;
        }
        let kinds: BTreeMap<String, Def<'_, crate::raw::RawKindSafety>> = collect(
            cx,
            "safety kind",
            std::iter::once((file, raw.kinds.as_ref())),
        );
        let spellings = Kind::named_spellings();
        for (name, def) in &kinds {
            let Some(kind) = name.parse::<Kind>().ok().filter(|k| !k.is_singleton()) else {
                let help = match did_you_mean(name, spellings.iter().copied()) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!("kinds are {}", backticked(&spellings)),
                };
                cx.error(
                    code::UNKNOWN_KIND,
                    def.key_at(),
                    format!("`{name}` is not a kind of object"),
                    "unknown kind",
                )
                .help = Some(help);
                continue;
            };
            let raw = &def.value.value;
            out.kinds.insert(
                kind,
                KindSafety {
                    max_delete_percent: raw.max_delete_percent.as_ref().map(|v| percent(cx, v)),
                    min_objects: raw.min_objects.as_ref().map(|v| v.value),
                },
            );
        }
        policy.safety = out;
    }
    policy
}
