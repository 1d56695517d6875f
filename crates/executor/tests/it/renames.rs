//! Renames (`moved:`): a rename is one `PUT` with the new name on the old object's id, what
//! hangs on the object keeps its ids, and a rename whose answer was lost is found done by a
//! look-up under the new name, not sent again.

use std::path::{Path, PathBuf};

use executor::{Outcome, Recovery};
use planner::Plan;
use spec::Policy;
use spec::model::{KeyAction, Model, NumberRoute};
use spec::policy::Moved;
use spec::{Address, Kind};

use crate::generator;
use crate::support::{self, apply, assert_no_duplicates, assert_success, client, config, read};

pub(crate) fn hotline() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hotline")
}

pub(crate) fn load(dir: &Path) -> Model {
    let mut sources = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            sources.push(spec::Source {
                path: path.display().to_string(),
                text: std::fs::read_to_string(&path).unwrap(),
            });
        }
    }
    sources.sort_by(|a, b| a.path.cmp(&b.path));
    let hash = |file: &str| {
        std::fs::read(dir.join(file))
            .map(|b| generator::sha256_hex(&b))
            .map_err(|e| e.to_string())
    };
    spec::load(&sources, &hash).spec.expect("valid").model
}

/// The hotline with group `support` → `support-team`, queue `support` → `helpdesk` and tree
/// `main` → `front-door`, and the `moved:` entries that say so.
fn renamed_hotline(model: &Model) -> (Model, Policy) {
    let mut m = model.clone();
    let g = m.groups.remove("support").unwrap();
    m.groups.insert("support-team".into(), g);
    let mut support = m.queues.remove("support").unwrap();
    let r = support.routing.remove("support").unwrap();
    support.routing.insert("support-team".into(), r);
    m.queues.insert("helpdesk".into(), support);
    let t = m.ivr.remove("main").unwrap();
    m.ivr.insert("front-door".into(), t);
    for action in m
        .ivr
        .values_mut()
        .flat_map(|t| t.nodes.values_mut())
        .flat_map(|n| n.keys.values_mut())
    {
        if *action
            == (KeyAction::Queue {
                queue: "support".into(),
            })
        {
            *action = KeyAction::Queue {
                queue: "helpdesk".into(),
            };
        }
    }
    for n in m.numbers.values_mut() {
        match &mut n.route {
            Some(NumberRoute::Ivr(t)) if t == "main" => *t = "front-door".into(),
            Some(NumberRoute::Queue(q)) if q == "support" => *q = "helpdesk".into(),
            _ => {}
        }
    }
    let moved = vec![
        Moved {
            kind: Kind::Group,
            from: "support".into(),
            to: "support-team".into(),
        },
        Moved {
            kind: Kind::Queue,
            from: "support".into(),
            to: "helpdesk".into(),
        },
        Moved {
            kind: Kind::IvrTree,
            from: "main".into(),
            to: "front-door".into(),
        },
    ];
    (
        m,
        Policy {
            moved,
            ..Policy::default()
        },
    )
}

/// Every step is a rename: three updates, no create, no delete.
fn assert_three_renames(plan: &Plan) {
    let shape: Vec<(String, planner::Action, Option<String>)> = plan
        .steps
        .iter()
        .map(|s| {
            (
                s.address.to_string(),
                s.action,
                s.moved_from.as_ref().map(ToString::to_string),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            (
                "group.support-team".to_owned(),
                planner::Action::Update,
                Some("group.support".to_owned())
            ),
            (
                "queue.helpdesk".to_owned(),
                planner::Action::Update,
                Some("queue.support".to_owned())
            ),
            (
                "ivr_tree.front-door".to_owned(),
                planner::Action::Update,
                Some("ivr_tree.main".to_owned())
            ),
        ]
    );
}

#[tokio::test]
async fn a_rename_is_one_put_on_the_same_id_and_everything_under_it_stays() {
    let root = hotline();
    let base = load(&root);
    let emu = support::emulator().await;
    let client = client(&emu);
    let live = read(&client).await;
    assert_success(&apply(&support::plan(&base, &live), &live, &client, &config(&root)).await);
    let before = read(&client).await;

    let (desired, policy) = renamed_hotline(&base);
    let plan = planner::plan(&desired, &before.model, &policy);
    assert_three_renames(&plan);

    emu.reset_stats();
    let report = apply(&plan, &before, &client, &config(&root)).await;
    assert_success(&report);
    let stats = emu.stats();
    assert_eq!(stats.writes, 3, "{:?}", stats.requests);
    for put in [
        "PUT /v1/group/{id}",
        "PUT /v1/queue/{id}",
        "PUT /v1/ivrtree/{id}",
    ] {
        assert_eq!(
            stats.requests.get(put),
            Some(&1),
            "{put}: {:?}",
            stats.requests
        );
    }

    let after = read(&client).await;
    assert_eq!(
        after.ids[&Address::Group("support-team".into())],
        before.ids[&Address::Group("support".into())]
    );
    assert_eq!(
        after.ids[&Address::Queue("helpdesk".into())],
        before.ids[&Address::Queue("support".into())]
    );
    assert_eq!(
        after.ids[&Address::IvrTree("front-door".into())],
        before.ids[&Address::IvrTree("main".into())]
    );
    // What hangs on them kept its ids: routings, nodes, key presses, numbers.
    assert_eq!(
        after.ids[&Address::Routing {
            queue: "helpdesk".into(),
            group: "support-team".into()
        }],
        before.ids[&Address::Routing {
            queue: "support".into(),
            group: "support".into()
        }]
    );
    let nodes = |ids: &pcc::Ids, tree: &str| -> Vec<String> {
        ids.objects
            .iter()
            .filter(|(a, _)| matches!(a, Address::IvrNode { tree: t, .. } if t == tree))
            .map(|(_, id)| id.clone())
            .collect()
    };
    assert_eq!(nodes(&after.ids, "front-door"), nodes(&before.ids, "main"));
    let numbers = |ids: &pcc::Ids| -> Vec<(Address, String)> {
        let all = ids.objects.iter();
        all.filter(|(a, _)| a.kind() == Kind::Number)
            .map(|(a, id)| (a.clone(), id.clone()))
            .collect()
    };
    assert_eq!(numbers(&after.ids), numbers(&before.ids));
    // Live is the renamed spec (audio aside: PCC does not know the spec's file paths).
    assert_eq!(
        (
            &after.model.groups,
            &after.model.queues,
            &after.model.ivr,
            &after.model.numbers
        ),
        (
            &desired.groups,
            &desired.queues,
            &desired.ivr,
            &desired.numbers
        )
    );
    assert!(planner::plan(&desired, &after.model, &policy).is_empty());
    assert_no_duplicates(&emu);
}

#[tokio::test]
async fn a_rename_whose_answer_was_lost_is_found_done_under_its_new_name() {
    let root = hotline();
    let base = load(&root);
    let emu = support::emulator().await;
    let client = client(&emu);
    let live = read(&client).await;
    assert_success(&apply(&support::plan(&base, &live), &live, &client, &config(&root)).await);
    let before = read(&client).await;
    let (desired, policy) = renamed_hotline(&base);
    let plan = planner::plan(&desired, &before.model, &policy);
    assert_three_renames(&plan);

    emu.set_faults(emulator::Faults {
        drop_rate: 1.0,
        ..Default::default()
    });
    emu.reset_stats();
    let report = apply(&plan, &before, &client, &config(&root)).await;
    emu.set_faults(emulator::Faults::default());
    assert_success(&report);
    for step in &report.steps {
        let Outcome::Done(done) = &step.outcome else {
            unreachable!()
        };
        assert_eq!(
            (done.recovery.clone(), done.writes),
            (Some(Recovery::Found { updated: false }), 1),
            "{}",
            step.address
        );
    }
    assert_eq!(emu.stats().writes, 3, "no rename sent twice");
    let after = read(&client).await;
    assert_eq!(
        after.ids[&Address::Group("support-team".into())],
        before.ids[&Address::Group("support".into())]
    );
    assert!(planner::plan(&desired, &after.model, &policy).is_empty());
}

/// Renames with changes under them (members, routings, a queue field, the tree's start node,
/// a number moved onto the renamed tree), applied while PCC loses answers and refuses writes:
/// re-planning and applying until nothing is left converges, with no duplicate, and each
/// renamed object keeps its server id however many rounds it took (never deleted and made
/// again, even after a round where its rename failed).
#[tokio::test]
async fn renames_with_changes_under_them_converge_through_faults_keeping_their_ids() {
    let root = hotline();
    let base = load(&root);
    let emu = support::emulator().await;
    let client = client(&emu);
    let live = read(&client).await;
    assert_success(&apply(&support::plan(&base, &live), &live, &client, &config(&root)).await);
    let before = read(&client).await;

    let (mut desired, policy) = renamed_hotline(&base);
    let team = desired.groups.get_mut("support-team").unwrap();
    team.agents.remove("dave");
    team.agents.insert("alice".into());
    let helpdesk = desired.queues.get_mut("helpdesk").unwrap();
    helpdesk.wait_agent_answer_timeout = 30;
    helpdesk.routing.remove("sales-es");
    helpdesk
        .routing
        .insert("sales-en".into(), spec::model::Routing { primary: false });
    desired.ivr.get_mut("front-door").unwrap().start = "english".into();
    desired.numbers.get_mut("842473082888").unwrap().route =
        Some(NumberRoute::Ivr("front-door".into()));
    let first = planner::plan(&desired, &before.model, &policy);
    assert_eq!(
        first
            .steps
            .iter()
            .filter(|s| s.moved_from.is_some())
            .count(),
        3
    );

    emu.set_faults(emulator::Faults {
        drop_rate: 0.3,
        fail_rate: 0.15,
        seed: Some(12),
        ..Default::default()
    });
    // One step at a time and one write per step: the faults fall the same way on every run,
    // and a step they hit fails, for the next round to pick up.
    let config = executor::Config {
        parallelism: 1,
        attempts: 1,
        ..config(&root)
    };
    let mut rounds = 0;
    let mut failed_renames = 0;
    loop {
        let live = read(&client).await;
        let plan = planner::plan(&desired, &live.model, &policy);
        if plan.is_empty() {
            break;
        }
        assert!(rounds < 20, "not converged: {:#?}", plan.steps);
        assert!(
            plan.steps
                .iter()
                .all(|s| s.action != planner::Action::Delete
                    || !matches!(
                        s.address.to_string().as_str(),
                        "group.support" | "queue.support" | "ivr_tree.main"
                    )),
            "a renamed object is deleted: {:#?}",
            plan.steps
        );
        let report = apply(&plan, &live, &client, &config).await;
        failed_renames += report
            .steps
            .iter()
            .filter(|s| !s.outcome.is_done() && plan.steps[s.index].moved_from.is_some())
            .count();
        emu.late_writes_landed().await;
        assert_no_duplicates(&emu);
        rounds += 1;
    }
    emu.set_faults(emulator::Faults::default());
    let after = read(&client).await;
    assert_eq!(
        after.ids[&Address::Group("support-team".into())],
        before.ids[&Address::Group("support".into())]
    );
    assert_eq!(
        after.ids[&Address::Queue("helpdesk".into())],
        before.ids[&Address::Queue("support".into())]
    );
    assert_eq!(
        after.ids[&Address::IvrTree("front-door".into())],
        before.ids[&Address::IvrTree("main".into())]
    );
    assert_eq!(
        (
            &after.model.groups,
            &after.model.queues,
            &after.model.ivr,
            &after.model.numbers
        ),
        (
            &desired.groups,
            &desired.queues,
            &desired.ivr,
            &desired.numbers
        )
    );
    assert!(
        failed_renames > 0,
        "the faults never hit a rename: the test proves nothing"
    );
    eprintln!("converged in {rounds} rounds, {failed_renames} renames failed on the way");
}
