//! Property tests over random valid models (every reference resolves): a model planned
//! against itself is empty; applying a plan yields the desired model (audio is never deleted,
//! unmanaged settings stay); any execution order the DAG allows passes PCC's reference rules
//! and converges; the plan does not depend on the order the inputs were built in.
//!
//! Models are built from a vector of dice so that proptest shrinks towards small models: a
//! die of 0 means "absent" or "the first choice".

use std::collections::{BTreeMap, BTreeSet};

use planner::{Action, Plan, apply_to, plan, render, saved, stale};
use proptest::prelude::*;
use spec::model::{
    Agent, AgentRouting, Audio, AudioId, CallSettings, DEFAULT_VOICE, Group, IvrNode, IvrTree, Key,
    KeyAction, Model, Number, NumberRoute, Prompt, Queue, Routing, Schedule,
};
use spec::policy::Moved;
use spec::{Address, Kind, Pattern, Policy};

use crate::store::{Store, run_in_order};

struct Dice<'a> {
    v: &'a [u32],
    i: usize,
}

impl Dice<'_> {
    fn pick(&mut self, n: usize) -> usize {
        let x = self.v.get(self.i).copied().unwrap_or(0);
        self.i += 1;
        x as usize % n.max(1)
    }
    fn flip(&mut self) -> bool {
        self.pick(2) == 1
    }
    fn choose<T: Clone>(&mut self, items: &[T]) -> Option<T> {
        if items.is_empty() {
            None
        } else {
            Some(items[self.pick(items.len())].clone())
        }
    }
}

const AGENTS: [&str; 6] = ["a1", "a2", "a3", "a4", "a5", "a6"];
const GROUPS: [&str; 4] = ["g1", "g2", "g3", "g4"];
const QUEUES: [&str; 4] = ["q1", "q2", "q3", "q4"];
const TREES: [&str; 3] = ["t1", "t2", "t3"];
const NODES: [&str; 5] = ["n1", "n2", "n3", "n4", "n5"];
const NUMBERS: [&str; 4] = ["841", "842", "843", "844"];
const KEYS: [Key; 4] = [Key::D1, Key::D2, Key::Star, Key::Timeout];

fn audio_ids() -> [AudioId; 3] {
    [
        AudioId::Sha256("aa".repeat(32)),
        AudioId::Sha256("bb".repeat(32)),
        AudioId::ServerFile("X1-1700000000000.mp3".into()),
    ]
}

/// A random model whose references all resolve. `desired` models have no empty trees.
fn model(d: &mut Dice<'_>, desired: bool) -> Model {
    let mut m = Model::default();
    for (i, id) in audio_ids().into_iter().enumerate() {
        if d.flip() {
            let suffix = if !desired && d.flip() { "-live" } else { "" };
            m.audio.insert(
                id,
                Audio {
                    name: format!("au{i}{suffix}"),
                    file: desired.then(|| format!("audio/au{i}.mp3")),
                },
            );
        }
    }
    let audio: Vec<AudioId> = m.audio.keys().cloned().collect();
    for a in AGENTS {
        if d.flip() {
            let routing = if d.flip() {
                AgentRouting::Phone
            } else {
                AgentRouting::App
            };
            m.agents.insert(
                a.into(),
                Agent {
                    name: ["Alice", "Bob"][d.pick(2)].into(),
                    routing,
                    phone_number: (routing == AgentRouting::Phone).then(|| "8490".into()),
                    out_of_hours_callout: None,
                },
            );
        }
    }
    let agents: Vec<String> = m.agents.keys().cloned().collect();
    for g in GROUPS {
        if d.flip() {
            let members = agents.iter().filter(|_| d.flip()).cloned().collect();
            m.groups.insert(g.into(), Group { agents: members });
        }
    }
    let groups: Vec<String> = m.groups.keys().cloned().collect();
    for q in QUEUES {
        if d.flip() {
            let mut queue = Queue {
                wrap_up_time_limit: [10, 30][d.pick(2)],
                schedule: [Schedule::Always, Schedule::BusinessHours][d.pick(2)],
                ..Queue::default()
            };
            if d.flip() {
                queue.wait_greeting = d.choose(&audio);
            }
            if d.flip() {
                queue.hold_greeting = d.choose(&audio);
            }
            for g in &groups {
                if d.flip() {
                    queue
                        .routing
                        .insert(g.clone(), Routing { primary: d.flip() });
                }
            }
            m.queues.insert(q.into(), queue);
        }
    }
    let queues: Vec<String> = m.queues.keys().cloned().collect();
    for t in TREES {
        if !d.flip() {
            continue;
        }
        let mut names: Vec<String> = NODES
            .iter()
            .filter(|_| d.flip())
            .map(|n| (*n).to_owned())
            .collect();
        if desired && names.is_empty() {
            names.push("n1".into());
        }
        let start = d.choose(&names).unwrap_or_default();
        let mut nodes = BTreeMap::new();
        for n in &names {
            let prompt = if d.flip() && !audio.is_empty() {
                Prompt::Play {
                    audio: d.choose(&audio).unwrap(),
                }
            } else {
                Prompt::Say {
                    text: ["Hello", "Welcome to the menu", "Press 1 for sales"][d.pick(3)].into(),
                    voice: DEFAULT_VOICE.into(),
                    speed: 0,
                }
            };
            let mut keys = BTreeMap::new();
            for k in KEYS {
                if !d.flip() {
                    continue;
                }
                let action = match d.pick(4) {
                    0 => KeyAction::Goto {
                        node: d.choose(&names).unwrap(),
                    },
                    1 if !queues.is_empty() => KeyAction::Queue {
                        queue: d.choose(&queues).unwrap(),
                    },
                    2 => KeyAction::Forward {
                        to: ["8490", "8491"][d.pick(2)].into(),
                        caller_id: None,
                    },
                    _ => KeyAction::Hangup,
                };
                keys.insert(k, action);
            }
            nodes.insert(
                n.clone(),
                IvrNode {
                    prompt,
                    barge_in: true,
                    loop_count: [1, 2][d.pick(2)],
                    delay_ms: 0,
                    keypress_timeout: 5,
                    keys,
                },
            );
        }
        m.ivr.insert(t.into(), IvrTree { start, nodes });
    }
    let trees: Vec<String> = m.ivr.keys().cloned().collect();
    for n in NUMBERS {
        if d.flip() {
            let route = match d.pick(3) {
                1 => d.choose(&trees).map(NumberRoute::Ivr),
                2 => d.choose(&queues).map(NumberRoute::Queue),
                _ => None,
            };
            m.numbers.insert(
                n.into(),
                Number {
                    nickname: [None, Some("Hotline".to_owned())][d.pick(2)].clone(),
                    route,
                    allow_outbound_calls: d.flip(),
                    record_outbound_calls: false,
                    all_groups_can_call_out: None,
                },
            );
        }
    }
    m.settings = match d.pick(3) {
        0 => None,
        1 => Some(CallSettings::default()),
        _ => Some(CallSettings {
            event_url: Some("https://crm.example.com/events".into()),
            ..CallSettings::default()
        }),
    };
    m
}

/// A desired and a live model. Some desired objects are copied into live as they are, so
/// that plans also hold no-ops, in-place updates and replacements, not only creates and
/// deletes.
fn pair(v: &[u32]) -> (Model, Model) {
    let mut d = Dice { v, i: 0 };
    let desired = model(&mut d, true);
    let live_base = model(&mut d, false);
    let mut live = live_base;
    for (id, a) in &desired.audio {
        if d.flip() {
            live.audio.insert(id.clone(), a.clone());
        }
    }
    for (k, v) in &desired.agents {
        if d.flip() {
            live.agents.insert(k.clone(), v.clone());
        }
    }
    for (k, v) in &desired.ivr {
        if d.flip() {
            let mut tree = v.clone();
            // The same tree, maybe with another start.
            if d.flip() {
                tree.start = d
                    .choose(&tree.nodes.keys().cloned().collect::<Vec<_>>())
                    .unwrap();
            }
            live.ivr.insert(k.clone(), tree);
        }
    }
    repair(&mut live);
    (desired, live)
}

/// Makes references resolve again after objects were copied between models.
fn repair(m: &mut Model) {
    let agents: BTreeSet<String> = m.agents.keys().cloned().collect();
    for g in m.groups.values_mut() {
        g.agents.retain(|a| agents.contains(a));
    }
    let groups: BTreeSet<String> = m.groups.keys().cloned().collect();
    let queues: BTreeSet<String> = m.queues.keys().cloned().collect();
    let trees: BTreeSet<String> = m.ivr.keys().cloned().collect();
    let mut needed_audio = BTreeSet::new();
    for q in m.queues.values_mut() {
        q.routing.retain(|g, _| groups.contains(g));
        needed_audio.extend(q.wait_greeting.clone());
        needed_audio.extend(q.hold_greeting.clone());
    }
    for t in m.ivr.values_mut() {
        for n in t.nodes.values_mut() {
            if let Prompt::Play { audio } = &n.prompt {
                needed_audio.insert(audio.clone());
            }
            for action in n.keys.values_mut() {
                if let KeyAction::Queue { queue } = action
                    && !queues.contains(queue)
                {
                    *action = KeyAction::Hangup;
                }
            }
        }
    }
    for id in needed_audio {
        m.audio.entry(id.clone()).or_insert_with(|| Audio {
            name: format!("live-{id}"),
            file: None,
        });
    }
    for n in m.numbers.values_mut() {
        let ok = match &n.route {
            Some(NumberRoute::Ivr(t)) => trees.contains(t),
            Some(NumberRoute::Queue(q)) => queues.contains(q),
            None => true,
        };
        if !ok {
            n.route = None;
        }
    }
}

/// `m` with the group, queue or tree `old` called `new`, and every reference to it too: what a
/// rename on the server looks like, done here without the planner's code.
fn renamed_in(m: &Model, kind: Kind, old: &str, new: &str) -> Model {
    let mut m = m.clone();
    let swap = |s: &mut String| {
        if s == old {
            *s = new.to_owned();
        }
    };
    match kind {
        Kind::Group => {
            let g = m.groups.remove(old).expect("the group exists");
            m.groups.insert(new.to_owned(), g);
            for q in m.queues.values_mut() {
                if let Some(r) = q.routing.remove(old) {
                    q.routing.insert(new.to_owned(), r);
                }
            }
        }
        Kind::Queue => {
            let q = m.queues.remove(old).expect("the queue exists");
            m.queues.insert(new.to_owned(), q);
            for t in m.ivr.values_mut() {
                for n in t.nodes.values_mut() {
                    for action in n.keys.values_mut() {
                        if let KeyAction::Queue { queue } = action {
                            swap(queue);
                        }
                    }
                }
            }
            for n in m.numbers.values_mut() {
                if let Some(NumberRoute::Queue(q)) = &mut n.route {
                    swap(q);
                }
            }
        }
        Kind::IvrTree => {
            let t = m.ivr.remove(old).expect("the tree exists");
            m.ivr.insert(new.to_owned(), t);
            for n in m.numbers.values_mut() {
                if let Some(NumberRoute::Ivr(t)) = &mut n.route {
                    swap(t);
                }
            }
        }
        other => unreachable!("{other} is not renamable"),
    }
    m
}

/// A pair whose live side has some objects the spec also declares under an older name, with
/// the `moved:` entries that say so. Returns (desired, live with old names, policy, live with
/// the new names).
fn moved_pair(v: &[u32], picks: &[u32]) -> (Model, Model, Policy, Model) {
    let (desired, live) = pair(v);
    let mut d = Dice { v: picks, i: 0 };
    let mut old_live = live.clone();
    let mut moved = Vec::new();
    for kind in Kind::ALL.into_iter().filter(|k| k.is_renamable()) {
        let names = |m: &Model| -> BTreeSet<String> {
            match kind {
                Kind::Group => m.groups.keys().cloned().collect(),
                Kind::Queue => m.queues.keys().cloned().collect(),
                Kind::IvrTree => m.ivr.keys().cloned().collect(),
                other => unreachable!("{other} is not renamable"),
            }
        };
        let shared: Vec<String> = names(&desired)
            .intersection(&names(&live))
            .cloned()
            .collect();
        for name in shared {
            if !d.flip() {
                continue;
            }
            let old = format!("old-{name}");
            old_live = renamed_in(&old_live, kind, &name, &old);
            moved.push(Moved {
                kind,
                from: old,
                to: name,
            });
        }
    }
    let policy = Policy {
        moved,
        ..Policy::default()
    };
    (desired, old_live, policy, live)
}

/// What `live` should look like once `plan(desired, live)` ran: the desired model, plus the
/// live audio (never deleted), plus the live settings when the spec does not manage them.
fn expected(desired: &Model, live: &Model) -> Model {
    let mut e = desired.clone();
    for (id, a) in &live.audio {
        e.audio.entry(id.clone()).or_insert_with(|| a.clone());
    }
    if desired.settings.is_none() {
        e.settings = live.settings.clone();
    }
    e
}

/// Audio is matched by content: names and files are for people, so compare ids only.
fn same(a: &Model, b: &Model) -> Result<(), String> {
    let ids = |m: &Model| m.audio.keys().cloned().collect::<Vec<_>>();
    if ids(a) != ids(b) {
        return Err(format!("audio differs: {:?} vs {:?}", ids(a), ids(b)));
    }
    let strip = |m: &Model| Model {
        audio: BTreeMap::new(),
        ..m.clone()
    };
    if strip(a) != strip(b) {
        return Err(format!(
            "models differ:\n{:#?}\nvs\n{:#?}",
            strip(a),
            strip(b)
        ));
    }
    Ok(())
}

/// A topological order of the plan's DAG chosen by the dice.
fn random_order(p: &Plan, v: &[u32]) -> Vec<usize> {
    let mut d = Dice { v, i: 0 };
    let n = p.steps.len();
    let mut waiting: Vec<usize> = p.steps.iter().map(|s| s.depends_on.len()).collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, s) in p.steps.iter().enumerate() {
        for &dep in &s.depends_on {
            children[dep].push(i);
        }
    }
    let mut ready: Vec<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while !ready.is_empty() {
        let i = ready.swap_remove(d.pick(ready.len()));
        order.push(i);
        for &c in &children[i] {
            waiting[c] -= 1;
            if waiting[c] == 0 {
                ready.push(c);
            }
        }
    }
    assert_eq!(order.len(), n, "the DAG has a cycle");
    order
}

/// The same model with every map built in reverse insertion order.
fn reversed(m: &Model) -> Model {
    fn rev<K: Ord + Clone, V: Clone>(map: &BTreeMap<K, V>) -> BTreeMap<K, V> {
        let mut out = BTreeMap::new();
        for (k, v) in map.iter().rev() {
            out.insert(k.clone(), v.clone());
        }
        out
    }
    Model {
        settings: m.settings.clone(),
        audio: rev(&m.audio),
        agents: rev(&m.agents),
        groups: m
            .groups
            .iter()
            .rev()
            .map(|(k, g)| {
                let mut agents = BTreeSet::new();
                for a in g.agents.iter().rev() {
                    agents.insert(a.clone());
                }
                (k.clone(), Group { agents })
            })
            .collect(),
        queues: m
            .queues
            .iter()
            .rev()
            .map(|(k, q)| {
                let mut q = q.clone();
                q.routing = rev(&q.routing);
                (k.clone(), q)
            })
            .collect(),
        ivr: m
            .ivr
            .iter()
            .rev()
            .map(|(k, t)| {
                let nodes = t
                    .nodes
                    .iter()
                    .rev()
                    .map(|(n, node)| {
                        let mut node = node.clone();
                        node.keys = rev(&node.keys);
                        (n.clone(), node)
                    })
                    .collect();
                (
                    k.clone(),
                    IvrTree {
                        start: t.start.clone(),
                        nodes,
                    },
                )
            })
            .collect(),
        numbers: rev(&m.numbers),
        blacklist: m.blacklist.as_ref().map(rev),
    }
}

fn dice() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(any::<u32>(), 0..400)
}

const IGNORE_PATTERNS: [&str; 8] = [
    "agent.a1",
    "agent.*",
    "group.g2",
    "queue.q1",
    "ivr_tree.t1",
    "ivr_key.*/*/1",
    "number.84*",
    "membership.*/a2",
];

/// The proptest settings: `cases` by default, with a fixed seed so that every run (CI's
/// included) is reproducible. `PROPTEST_CASES` runs more cases and `PROPTEST_RNG_SEED` picks
/// another seed, for exploring.
fn config(cases: u32) -> ProptestConfig {
    let base = ProptestConfig::default();
    ProptestConfig {
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            base.cases
        } else {
            cases
        },
        rng_seed: match base.rng_seed {
            proptest::test_runner::RngSeed::Random => {
                proptest::test_runner::RngSeed::Fixed(0x5b17_c4b0)
            }
            seed => seed,
        },
        ..base
    }
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn a_model_planned_against_itself_is_empty(v in dice()) {
        let (desired, _) = pair(&v);
        let p = plan(&desired, &desired, &Policy::default());
        prop_assert!(p.steps.is_empty(), "{}", render::text(&p, false));
        prop_assert!(p.kept.is_empty() && p.safety.violations.is_empty());
    }

    #[test]
    fn applying_the_plan_yields_the_desired_model(v in dice()) {
        let (desired, live) = pair(&v);
        let p = plan(&desired, &live, &Policy::default());
        let after = apply_to(&p, &live);
        if let Err(e) = same(&after, &expected(&desired, &live)) {
            prop_assert!(false, "{e}\nplan:\n{}", render::text(&p, false));
        }
        // Converged: nothing left to do.
        prop_assert!(plan(&desired, &after, &Policy::default()).is_empty());
    }

    #[test]
    fn every_order_the_dag_allows_passes_the_reference_rules(v in dice(), order in dice()) {
        let (desired, live) = pair(&v);
        let p = plan(&desired, &live, &Policy::default());
        let cycles: Vec<&planner::Warning> = p
            .warnings
            .iter()
            .filter(|w| matches!(w, planner::Warning::OrderCycle { .. }))
            .collect();
        prop_assert!(cycles.is_empty(), "{cycles:?}\nplan:\n{}", crate::cases::steps(&p));
        let order = random_order(&p, &order);
        let mut store = Store::new(&live);
        if let Err(e) = run_in_order(&mut store, &p.steps, &order) {
            prop_assert!(false, "{e}\nplan:\n{}", crate::cases::steps(&p));
        }
        let after = store.into_model();
        if let Err(e) = same(&after, &expected(&desired, &live)) {
            prop_assert!(false, "{e}\nsteps:\n{}", crate::cases::steps(&p));
        }
    }

    #[test]
    fn the_plan_does_not_depend_on_input_order(v in dice()) {
        let (desired, live) = pair(&v);
        let a = plan(&desired, &live, &Policy::default());
        let b = plan(&reversed(&desired), &reversed(&live), &Policy::default());
        prop_assert_eq!(saved::to_json(&a), saved::to_json(&b));
        prop_assert_eq!(render::json(&a), render::json(&b));
        prop_assert_eq!(render::markdown(&a), render::markdown(&b));
    }

    #[test]
    fn plans_are_well_formed(v in dice()) {
        let (desired, live) = pair(&v);
        let p = plan(&desired, &live, &Policy::default());
        for (i, s) in p.steps.iter().enumerate() {
            prop_assert!(s.depends_on.iter().all(|&d| d < i), "step {} waits for a later one", i);
            if s.action == Action::Update && s.address != Address::Settings {
                prop_assert!(!s.changed_fields.is_empty(), "update of {} changes no field", s.address);
            }
        }
        prop_assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        prop_assert_eq!(stale(&p, &live), vec![]);
        prop_assert_eq!(saved::from_json(&saved::to_json(&p)).unwrap(), p);
    }

    #[test]
    fn a_rename_is_one_update_and_the_rest_of_the_plan_is_as_without_it(
        v in dice(),
        picks in dice(),
        order in dice(),
    ) {
        let (desired, old_live, policy, live) = moved_pair(&v, &picks);
        let p = plan(&desired, &old_live, &policy);
        let without = plan(&desired, &live, &Policy::default());

        // One update per move, at the new address, carrying the old one; nothing else at
        // either address.
        let renames: BTreeMap<Address, Address> = p
            .steps
            .iter()
            .filter_map(|s| s.moved_from.clone().map(|from| (s.address.clone(), from)))
            .collect();
        prop_assert_eq!(renames.len(), policy.moved.len());
        for m in &policy.moved {
            let (from, to) = (m.from_address(), m.to_address());
            prop_assert_eq!(renames.get(&to), Some(&from));
            for s in &p.steps {
                prop_assert!(s.address != from, "{} has a step", from);
                prop_assert!(
                    s.address != to || s.action == Action::Update,
                    "{} is {:?}d, not renamed", to, s.action
                );
            }
        }
        prop_assert!(p.safety.violations.is_empty() == without.safety.violations.is_empty());

        // Every other step is the step the plan would have without the renames: nothing that
        // hangs on a renamed object is deleted or created again.
        let key = |s: &planner::Step| {
            let print = |o: &Option<planner::Object>| o.as_ref().map(planner::fingerprint);
            (s.address.clone(), s.action, print(&s.before), print(&s.after))
        };
        let rest: BTreeSet<_> = p.steps.iter().filter(|s| s.moved_from.is_none()).map(key).collect();
        let expected_rest: BTreeSet<_> = without
            .steps
            .iter()
            .filter(|s| !renames.contains_key(&s.address))
            .map(key)
            .collect();
        prop_assert_eq!(rest, expected_rest);

        // It converges, in any order the DAG allows, under PCC's reference rules.
        let mut store = Store::new(&old_live);
        if let Err(e) = run_in_order(&mut store, &p.steps, &random_order(&p, &order)) {
            prop_assert!(false, "{e}\nplan:\n{}", crate::cases::steps(&p));
        }
        let want = expected(&desired, &live);
        if let Err(e) = same(&store.into_model(), &want) {
            prop_assert!(false, "{e}\nsteps:\n{}", crate::cases::steps(&p));
        }
        if let Err(e) = same(&apply_to(&p, &old_live), &want) {
            prop_assert!(false, "apply_to: {e}");
        }
        prop_assert!(plan(&desired, &apply_to(&p, &old_live), &policy).is_empty());
        prop_assert_eq!(stale(&p, &old_live), vec![]);
        prop_assert_eq!(saved::from_json(&saved::to_json(&p)).unwrap(), p);
    }

    #[test]
    fn ignored_objects_are_never_touched_and_the_rest_still_converges(
        v in dice(),
        order in dice(),
        patterns in prop::sample::subsequence(IGNORE_PATTERNS.to_vec(), 1..3),
    ) {
        let (desired, live) = pair(&v);
        let policy = Policy {
            ignore: patterns.iter().map(|p| Pattern::new(*p)).collect(),
            ..Policy::default()
        };
        let p = plan(&desired, &live, &policy);
        let ignored: BTreeSet<&Address> = p.ignored.iter().map(|i| &i.address).collect();
        for s in &p.steps {
            prop_assert!(!ignored.contains(&s.address), "{} is ignored but has a step", s.address);
            let text = s.address.to_string();
            let live_object = s.before.is_some();
            prop_assert!(
                !(live_object && policy.is_ignored(&s.address)),
                "{} matches an ignore pattern but has a step", text
            );
        }
        let order = random_order(&p, &order);
        let mut store = Store::new(&live);
        if let Err(e) = run_in_order(&mut store, &p.steps, &order) {
            prop_assert!(false, "{e}\nsteps:\n{}", crate::cases::steps(&p));
        }
        let after = store.into_model();
        let again = plan(&desired, &after, &policy);
        prop_assert!(again.is_empty(), "not converged:\n{}", render::text(&again, false));
    }

    #[test]
    fn a_move_that_ignore_blocks_never_deletes_its_old_object(
        v in dice(),
        picks in dice(),
        order in dice(),
        patterns in prop::sample::subsequence(IGNORE_PATTERNS.to_vec(), 1..3),
    ) {
        let (desired, old_live, mut policy, _) = moved_pair(&v, &picks);
        policy.ignore = patterns.iter().map(|p| Pattern::new(*p)).collect();
        let p = plan(&desired, &old_live, &policy);
        let froms: BTreeSet<Address> = policy
            .moved
            .iter()
            .map(|m| m.from_address())
            .collect();
        for s in &p.steps {
            prop_assert!(
                !(froms.contains(&s.address) && s.action == Action::Delete),
                "{} is deleted in its move's place\nplan:\n{}", s.address, render::text(&p, false)
            );
        }
        let mut store = Store::new(&old_live);
        if let Err(e) = run_in_order(&mut store, &p.steps, &random_order(&p, &order)) {
            prop_assert!(false, "{e}\nsteps:\n{}", crate::cases::steps(&p));
        }
        let again = plan(&desired, &store.into_model(), &policy);
        prop_assert!(again.is_empty(), "not converged:\n{}", render::text(&again, false));
    }
}

/// The generator is not degenerate: over a fixed set of dice, the plans hold every kind of
/// change the properties are meant to cover (so they cannot pass vacuously).
#[test]
fn the_generated_pairs_cover_every_kind_of_change() {
    use planner::ChangeAction;
    let mut seen: BTreeSet<(Kind, ChangeAction)> = BTreeSet::new();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..300 {
        let v: Vec<u32> = (0..400)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 32) as u32
            })
            .collect();
        let (desired, live) = pair(&v);
        for c in plan(&desired, &live, &Policy::default()).changes() {
            seen.insert((c.address.kind(), c.action));
        }
    }
    use ChangeAction::{Create, Delete, Replace, Update};
    let mut want = vec![
        (Kind::Routing, Replace),
        (Kind::IvrNode, Replace),
        (Kind::IvrKey, Replace),
        (Kind::Audio, Create),
        (Kind::Settings, Update),
    ];
    for kind in [
        Kind::Agent,
        Kind::Queue,
        Kind::IvrNode,
        Kind::IvrKey,
        Kind::Number,
    ] {
        want.push((kind, Update));
    }
    for kind in [
        Kind::Agent,
        Kind::Group,
        Kind::Membership,
        Kind::Queue,
        Kind::Routing,
        Kind::IvrTree,
        Kind::IvrNode,
        Kind::IvrKey,
        Kind::Number,
    ] {
        want.push((kind, Create));
        want.push((kind, Delete));
    }
    let missing: Vec<_> = want.iter().filter(|w| !seen.contains(w)).collect();
    assert!(missing.is_empty(), "never generated: {missing:?}");
}
