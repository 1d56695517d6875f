//! A plan applied to an empty project, then to a project changed across every kind: each time
//! the emulator sees exactly one write per step, and planning again finds nothing to do.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use executor::Outcome;
use planner::{Action, Object};
use spec::model::Model;
use spec::{Address, Kind};

use crate::generator::{self, Size};
use crate::support::{self, apply, assert_no_duplicates, assert_success, client, config, read};

/// Loads a spec directory as `switchboard` does (YAML files, audio hashed from the root).
fn load_spec(dir: &Path) -> Model {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(dir, &mut paths);
    paths.sort();
    let sources: Vec<spec::Source> = paths
        .iter()
        .map(|p| spec::Source {
            path: p.display().to_string(),
            text: std::fs::read_to_string(p).unwrap(),
        })
        .collect();
    let hash = |file: &str| {
        std::fs::read(dir.join(file))
            .map(|b| generator::sha256_hex(&b))
            .map_err(|e| e.to_string())
    };
    let loaded = spec::load(&sources, &hash);
    loaded.spec.expect("the example is valid").model
}

fn hotline() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hotline")
}

#[tokio::test]
async fn the_hotline_example_applies_to_an_empty_project_with_one_write_per_step() {
    let root = hotline();
    let desired = load_spec(&root);
    let emu = support::emulator().await;
    let client = client(&emu);
    let live = read(&client).await;
    let plan = support::plan(&desired, &live);
    assert!(plan.steps.len() > 40, "{} steps", plan.steps.len());

    emu.reset_stats();
    // Started long enough ago that no earlier run's write can still land: each checked
    // create looks once.
    let cfg = executor::Config {
        started: Some(std::time::Instant::now() - std::time::Duration::from_secs(60)),
        ..config(&root)
    };
    let report = apply(&plan, &live, &client, &cfg).await;
    assert_success(&report);
    assert_eq!(emu.stats().writes, plan.steps.len() as u64);
    // A clean apply reads only to check its creates for another writer's copies: once per
    // create of a kind PCC does not keep unique (after the create; before it for audio),
    // and a second time for those made while an earlier run's write could still land.
    let checked = plan
        .steps
        .iter()
        .filter(|s| {
            s.action == Action::Create
                && matches!(
                    s.address,
                    Address::Agent(_)
                        | Address::Audio(_)
                        | Address::Group(_)
                        | Address::Queue(_)
                        | Address::Routing { .. }
                        | Address::IvrTree(_)
                        | Address::IvrNode { .. }
                )
        })
        .count();
    assert!(checked > 10);
    // At most one read a checked create: the look-ups of one list that wait at the same
    // time share a read (docs/apply.md, "Two writers").
    let reads = emu.stats().reads;
    assert!(
        (1..=checked as u64).contains(&reads),
        "{reads} look-ups for {checked} checked creates"
    );
    let summary = report.summary();
    let expected = plan.summary();
    assert_eq!(
        (summary.added, summary.changed, summary.destroyed),
        (expected.add, expected.change, 0)
    );

    // Every create but a membership's reports the id PCC gave it, and PCC has that id.
    let state = emu.state().to_string();
    for step in &report.steps {
        let Outcome::Done(done) = &step.outcome else {
            unreachable!()
        };
        if matches!(step.address, Address::Membership { .. }) {
            assert_eq!(done.id, None);
        } else if step.address != Address::Settings {
            let id = done
                .id
                .as_deref()
                .unwrap_or_else(|| panic!("{} has no id", step.address));
            assert!(
                state.contains(id),
                "{} reports {id}, which PCC does not hold",
                step.address
            );
        }
        assert_eq!(done.recovery, None);
        assert_eq!(done.writes, 1);
    }

    let again = support::plan(&desired, &read(&client).await);
    assert!(again.is_empty(), "{:#?}", again.steps);
    assert_no_duplicates(&emu);
}

#[tokio::test]
async fn changes_across_every_kind_converge_with_one_write_per_step() {
    let dir = tempfile::tempdir().unwrap();
    let base = generator::project(Size::SMALL, 7, dir.path());
    let emu = support::emulator().await;
    let client = client(&emu);
    let cfg = config(dir.path());
    assert_eq!(support::converge(&base, &client, &cfg, &emu, 1).await, 1);

    let desired = generator::mutate(&base, dir.path());
    let live = read(&client).await;
    let plan = support::plan(&desired, &live);

    // The change really does touch every kind and every action (else this test would prove
    // less than it says).
    let done: BTreeSet<(Kind, Action, bool)> = plan
        .steps
        .iter()
        .map(|s| (s.kind(), s.action, s.replace.is_some()))
        .collect();
    for kind in Kind::ALL {
        let actions = match kind {
            Kind::Settings => vec![Action::Update],
            Kind::Audio => vec![Action::Create],
            Kind::Group | Kind::Membership | Kind::IvrTree => vec![Action::Create, Action::Delete],
            Kind::Routing => vec![Action::Create, Action::Delete],
            _ => vec![Action::Create, Action::Update, Action::Delete],
        };
        for action in actions {
            assert!(
                done.iter().any(|(k, a, _)| *k == kind && *a == action),
                "the change has no {action:?} of {kind}"
            );
        }
    }
    for kind in [Kind::Routing, Kind::IvrNode, Kind::IvrKey] {
        assert!(
            done.contains(&(kind, Action::Create, true)),
            "no {kind} replacement"
        );
    }

    emu.reset_stats();
    let report = apply(&plan, &live, &client, &cfg).await;
    assert_success(&report);
    assert_eq!(emu.stats().writes, plan.steps.len() as u64);
    let summary = report.summary();
    let expected = plan.summary();
    assert_eq!(
        (summary.added, summary.changed, summary.destroyed),
        (expected.add, expected.change, expected.destroy)
    );

    let again = support::plan(&desired, &read(&client).await);
    assert!(again.is_empty(), "{:#?}", again.steps);
    assert_no_duplicates(&emu);
}

#[tokio::test]
async fn every_node_waits_for_its_trees_start_node_and_every_key_for_its_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let desired = generator::project(Size::SMALL, 3, dir.path());
    let plan = planner::plan(&desired, &Model::default(), &spec::Policy::default());
    let created: std::collections::BTreeMap<&Address, usize> = plan
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.action == Action::Create)
        .map(|(i, s)| (&s.address, i))
        .collect();
    // Everything step `i` waits for, directly or not.
    let ancestors = |i: usize| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![i];
        while let Some(j) = todo.pop() {
            for &d in &plan.steps[j].depends_on {
                if seen.insert(d) {
                    todo.push(d);
                }
            }
        }
        seen
    };
    let mut checked = 0;
    for (i, step) in plan.steps.iter().enumerate() {
        match (&step.address, &step.after) {
            (Address::IvrNode { tree, .. }, Some(Object::IvrNode { start: false, .. })) => {
                let start = &desired.ivr[tree].start;
                let root = Address::IvrNode {
                    tree: tree.clone(),
                    node: start.clone(),
                };
                assert!(
                    ancestors(i).contains(&created[&root]),
                    "{} does not wait for {root}",
                    step.address
                );
                checked += 1;
            }
            (Address::IvrKey { tree, node, .. }, Some(Object::IvrKey(action))) => {
                let own = Address::IvrNode {
                    tree: tree.clone(),
                    node: node.clone(),
                };
                assert!(ancestors(i).contains(&created[&own]));
                if let spec::model::KeyAction::Goto { node: next } = action {
                    let next = Address::IvrNode {
                        tree: tree.clone(),
                        node: next.clone(),
                    };
                    assert!(
                        ancestors(i).contains(&created[&next]),
                        "{} does not wait for {next}",
                        step.address
                    );
                }
                checked += 1;
            }
            _ => {}
        }
    }
    assert!(checked > 10);

    // And PCC agrees: each tree's root is its start node.
    let emu = support::emulator().await;
    let client = client(&emu);
    let live = read(&client).await;
    let report = apply(&plan, &live, &client, &config(dir.path())).await;
    assert_success(&report);
    let live = read(&client).await;
    for (name, tree) in &desired.ivr {
        assert_eq!(live.ids.roots[name], tree.start);
    }
}
