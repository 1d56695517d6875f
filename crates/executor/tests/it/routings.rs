//! Routings are created and deleted, never updated: PCC's routing `PUT` is unconfirmed
//! (`docs/pcc-api-assumptions.md`), so a change of priority is planned as a delete and a create,
//! and the executor has no update of a routing to send, even for a plan that asks for one.

use executor::Outcome;
use planner::Action;
use spec::Address;
use spec::model::Model;

use crate::renames::{hotline, load};
use crate::support::{self, apply, assert_success, client, config, converge, read};

/// Requests the emulator saw to `METHOD /v1/routing-call-to-groups...`, by method.
fn routing_requests(emu: &emulator::Emulator, method: &str) -> u64 {
    emu.stats()
        .requests
        .iter()
        .filter(|(k, _)| k.starts_with(&format!("{method} /v1/routing-call-to-groups")))
        .map(|(_, n)| n)
        .sum()
}

/// The hotline applied, then its `support` routing made an overflow one.
async fn applied_hotline() -> (emulator::Emulator, pcc::Client, tempfile::TempDir, Model) {
    let dir = tempfile::tempdir().unwrap();
    let emu = support::emulator().await;
    let client = client(&emu);
    let root = hotline();
    let model = load(&root);
    converge(&model, &client, &config(&root), &emu, 1).await;
    let mut changed = model.clone();
    let routing = changed
        .queues
        .get_mut("support")
        .and_then(|q| q.routing.get_mut("support"))
        .expect("the hotline routes queue support to group support");
    routing.primary = !routing.primary;
    (emu, client, dir, changed)
}

#[tokio::test]
async fn a_routing_priority_change_is_a_delete_and_a_create_and_no_put_is_sent() {
    let (emu, client, dir, changed) = applied_hotline().await;
    let live = read(&client).await;
    let plan = support::plan(&changed, &live);
    let at = Address::Routing {
        queue: "support".into(),
        group: "support".into(),
    };
    let shape: Vec<(String, Action)> = plan
        .steps
        .iter()
        .map(|s| (s.address.to_string(), s.action))
        .collect();
    assert_eq!(
        shape,
        [
            (at.to_string(), Action::Delete),
            (at.to_string(), Action::Create)
        ]
    );

    emu.reset_stats();
    let report = apply(&plan, &live, &client, &config(dir.path())).await;
    assert_success(&report);
    assert_eq!(routing_requests(&emu, "PUT"), 0, "a routing PUT was sent");
    assert_eq!(routing_requests(&emu, "DELETE"), 1);
    assert_eq!(routing_requests(&emu, "POST"), 1);
    let again = read(&client).await;
    assert!(support::plan(&changed, &again).is_empty());
}

/// A plan not made by this planner (a saved plan edited by hand) that updates a routing fails
/// that step, naming it, and sends nothing for it.
#[tokio::test]
async fn a_routing_update_step_fails_unsent() {
    let (emu, client, dir, changed) = applied_hotline().await;
    let live = read(&client).await;
    let mut plan = support::plan(&changed, &live);
    // The create half, turned into the update PCC's unconfirmed `PUT` would carry out.
    plan.steps.retain(|s| s.action == Action::Create);
    plan.steps[0].action = Action::Update;
    plan.steps[0].before = live_routing(&live);
    plan.steps[0].depends_on.clear();

    emu.reset_stats();
    let report = apply(&plan, &live, &client, &config(dir.path())).await;
    let Outcome::Failed(error) = &report.steps[0].outcome else {
        panic!("the update ran: {:?}", report.steps[0].outcome);
    };
    assert_eq!(
        error.to_string(),
        "routing.support/support: cannot update this kind of object"
    );
    assert_eq!(emu.stats().writes, 0, "nothing may be written");
}

fn live_routing(live: &pcc::Live) -> Option<planner::Object> {
    let queue = live.model.queues.get("support")?;
    Some(planner::Object::Routing(*queue.routing.get("support")?))
}
