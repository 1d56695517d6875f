//! A rename (`moved:`) moves the same objects in the planner's model and in the executor's id
//! map, for every kind: both go through `planner::rename_keys`. These tests fail when either
//! side, or the rule they share (`spec::Address::renamed`), leaves out a kind that hangs on a
//! renamed group, queue or tree.

use std::collections::BTreeSet;

use pcc::Ids;
use planner::{Action, Plan, Step};
use spec::model::{Key, KeyAction, Model, NumberRoute};
use spec::{Address, Kind, Policy};

use crate::step::rename_ids;

/// One object of every kind, with something hanging on each renamable one and referring to it.
const SPEC: &str = r#"
version: 1
settings:
  event_url: https://crm.example.com/events
audio:
  hold: { file: hold.mp3 }
agents:
  a: { name: A }
groups:
  g: { agents: [a] }
queues:
  q:
    routing:
      - { group: g, primary: true }
    wait_greeting: hold
ivr:
  t:
    start: n
    nodes:
      n:
        say: Press 1.
        keys:
          "1": { queue: q }
numbers:
  "84900000001": { ivr: t }
  "84900000002": { queue: q }
blacklist:
  "84900000003": {}
"#;

fn model() -> Model {
    let sources = [spec::Source {
        path: "all.yaml".into(),
        text: SPEC.into(),
    }];
    let hash = |_: &str| Ok("ab".repeat(32));
    spec::load(&sources, &hash).spec.expect("valid").model
}

/// Every object of `model`, as a plan from an empty project creates them.
fn addresses(model: &Model) -> BTreeSet<Address> {
    let plan = planner::plan(model, &Model::default(), &Policy::default());
    plan.steps.into_iter().map(|s| s.address).collect()
}

/// `model` as the planner renames it for a step that moves `from` to `to`.
fn renamed_model(model: &Model, from: &Address, to: &Address) -> Model {
    let step = Step {
        address: to.clone(),
        action: Action::Update,
        replace: None,
        moved_from: Some(from.clone()),
        before: None,
        after: None,
        changed_fields: Vec::new(),
        depends_on: Vec::new(),
    };
    let plan = Plan {
        steps: vec![step],
        ..planner::plan(model, model, &Policy::default())
    };
    planner::renamed(&plan, model)
}

/// A server id for each address, told apart by the address.
fn id(address: &Address) -> String {
    format!("id-of-{address}")
}

/// True when `address` is `from` or hangs on it through its owners.
fn hangs_on(address: &Address, from: &Address) -> bool {
    address == from || address.owners().iter().any(|owner| hangs_on(owner, from))
}

#[test]
fn a_rename_moves_the_same_objects_in_the_model_and_in_the_id_map() {
    let model = model();
    let all = addresses(&model);
    let kinds: BTreeSet<Kind> = all.iter().map(Address::kind).collect();
    assert_eq!(
        kinds,
        Kind::ALL.into_iter().collect(),
        "the test project holds an object of every kind"
    );
    let with_parent: BTreeSet<Kind> = all
        .iter()
        .filter(|a| !a.owners().is_empty())
        .map(Address::kind)
        .collect();
    let mut reached_kinds = BTreeSet::new();
    for from in all.iter().filter(|a| a.kind().is_renamable()) {
        let to = Address::named(from.kind(), "renamed").expect("one name");
        let reached: BTreeSet<&Address> = all.iter().filter(|a| hangs_on(a, from)).collect();
        reached_kinds.extend(reached.iter().map(|a| a.kind()));

        let in_model = addresses(&renamed_model(&model, from, &to));
        let mut ids = Ids {
            objects: all.iter().map(|a| (a.clone(), id(a))).collect(),
            ..Ids::default()
        };
        rename_ids(&mut ids, from, &to);
        let in_ids: BTreeSet<Address> = ids.objects.keys().cloned().collect();

        assert_eq!(
            in_ids, in_model,
            "renaming {from}: the id map and the model"
        );
        assert_eq!(in_model.len(), all.len(), "renaming {from} loses nothing");
        for old in &reached {
            assert!(
                !in_model.contains(*old),
                "{old} keeps its old name after {from} was renamed"
            );
            let new = old.renamed(from, &to).expect("reached");
            assert_eq!(ids.get(&new), Some(&id(old)), "{old} keeps its server id");
        }
    }
    // Every kind that hangs on another was under a renamed object above.
    assert!(
        with_parent.is_subset(&reached_kinds),
        "kinds with a parent {with_parent:?}, reached {reached_kinds:?}"
    );
}

/// What refers to a renamed object by name (not in its key) follows it in the model: the
/// number and the key press sending calls to the queue, the number answering with the tree.
#[test]
fn what_refers_to_a_renamed_object_follows_it() {
    let model = model();
    let queue = renamed_model(
        &model,
        &Address::Queue("q".into()),
        &Address::Queue("r".into()),
    );
    let tree = renamed_model(
        &model,
        &Address::IvrTree("t".into()),
        &Address::IvrTree("u".into()),
    );
    let route = |m: &Model, digits: &str| m.numbers[digits].route.clone();
    assert_eq!(
        route(&queue, "84900000002"),
        Some(NumberRoute::Queue("r".into()))
    );
    assert_eq!(
        route(&tree, "84900000001"),
        Some(NumberRoute::Ivr("u".into()))
    );
    let keys = &queue.ivr["t"].nodes["n"].keys;
    let to_queue = KeyAction::Queue { queue: "r".into() };
    assert_eq!(keys.get(&Key::D1), Some(&to_queue));
    assert_eq!(
        queue.audio, model.audio,
        "audio, which is not flattened, is kept"
    );
    assert_eq!(tree.ivr["u"].start, "n");
}
