//! Reference checks on create and update (`r:3`) and deletes refused while something still
//! refers to the object (`r:4`, naming the referrer). The one cascade: a routing goes with its
//! group or queue, as real integrations rely on.

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn writes_naming_missing_objects_are_refused_with_r3() {
    let pcc = Pcc::start().await;
    let tree = pcc.tree("main").await;
    let node = pcc.node(&tree, "menu").await;
    let other_tree = pcc.tree("other").await;
    let foreign = pcc.node(&other_tree, "elsewhere").await;
    let group = pcc.group("sales").await;
    let queue = pcc.queue("support").await;

    let cases = [
        (
            "/v1/ivrnode",
            json!({ "tree": "TR_MISSING", "node_name": "n", "node_play_mode": "talk", "node_play_content": "x" }),
            "TR_MISSING",
        ),
        (
            "/v1/ivrkeypress",
            json!({ "node": "NO_MISSING", "node_key": "1", "action": 6 }),
            "NO_MISSING",
        ),
        (
            "/v1/ivrkeypress",
            json!({ "node": node, "node_key": "1", "action": 4, "next_node": "NO_MISSING" }),
            "NO_MISSING",
        ),
        (
            "/v1/ivrkeypress",
            json!({ "node": node, "node_key": "1", "action": 4, "next_node": foreign }),
            "another",
        ),
        (
            "/v1/ivrkeypress",
            json!({ "node": node, "node_key": "1", "action": 2, "queue_id": "QU_MISSING" }),
            "QU_MISSING",
        ),
        (
            "/v1/number",
            json!({ "number": "1", "allow_outbound_calls": 0, "enable_ivr": 1, "ivr_menu": "TR_MISSING" }),
            "TR_MISSING",
        ),
        (
            "/v1/number",
            json!({ "number": "1", "allow_outbound_calls": 0, "enable_ivr": 0, "queue_id": "QU_MISSING" }),
            "QU_MISSING",
        ),
        (
            "/v1/routing-call-to-groups",
            json!({ "queue_id": "QU_MISSING", "group_id": group, "primary_group": 1 }),
            "QU_MISSING",
        ),
        (
            "/v1/routing-call-to-groups",
            json!({ "queue_id": queue, "group_id": "GR_MISSING", "primary_group": 1 }),
            "GR_MISSING",
        ),
        (
            "/v1/manage-agents-in-group",
            json!({ "agent_id": "AG_MISSING", "group_id": group }),
            "AG_MISSING",
        ),
    ];
    for (path, body, needle) in cases {
        let answer = pcc.post(path, body.clone()).await;
        assert_eq!(answer["r"], 3, "POST {path} {body}: {answer}");
        assert!(
            answer["message"].as_str().unwrap().contains(needle),
            "{answer}"
        );
    }
    // `another` above: a next_node in another tree is refused even though the node exists.
    let state = pcc.state().await;
    assert_eq!(state["ivrNodeKeys"], json!([]));
    assert_eq!(state["numbers"], json!([]));
    assert_eq!(state["groupRoutings"], json!([]));
    assert_eq!(state["groupAgents"], json!([]));

    let key = pcc
        .create(
            "/v1/ivrkeypress",
            json!({ "node": node, "node_key": "1", "action": 6 }),
            "ivrNodeKeyID",
        )
        .await;
    let update = pcc
        .put(
            &format!("/v1/ivrkeypress/{key}"),
            json!({ "action": 2, "queue_id": "QU_MISSING" }),
        )
        .await;
    assert_refused(&update, 3, &["QU_MISSING"]);
    assert_eq!(
        pcc.get(&format!("/v1/ivrkeypress?node={node}")).await["data"]["ivrNodeKeys"][0]["action"],
        6
    );
}

#[tokio::test]
async fn deletes_of_referenced_objects_are_refused_naming_the_referrer_until_it_goes() {
    let pcc = Pcc::start().await;
    let agent = pcc.agent("alice").await;
    let group = pcc.group("sales").await;
    let queue = pcc.queue("support").await;
    let tree = pcc.tree("main").await;
    let root = pcc.node(&tree, "menu").await;
    let leaf = pcc.node(&tree, "leaf").await;
    pcc.post(
        "/v1/manage-agents-in-group",
        json!({ "agent_id": agent, "group_id": group }),
    )
    .await;
    let routing = pcc
        .create(
            "/v1/routing-call-to-groups",
            json!({ "queue_id": queue, "group_id": group, "primary_group": 1 }),
            "groupRoutingID",
        )
        .await;
    let to_leaf = pcc
        .create(
            "/v1/ivrkeypress",
            json!({ "node": root, "node_key": "1", "action": 4, "next_node": leaf }),
            "ivrNodeKeyID",
        )
        .await;
    let to_queue = pcc
        .create(
            "/v1/ivrkeypress",
            json!({ "node": leaf, "node_key": "2", "action": 2, "queue_id": queue }),
            "ivrNodeKeyID",
        )
        .await;
    let number = pcc
        .create(
            "/v1/number",
            json!({ "number": "842473082686", "allow_outbound_calls": 1, "enable_ivr": 1, "ivr_menu": tree, "queue_id": queue }),
            "numberID",
        )
        .await;

    let refused = |path: String, needles: Vec<String>| {
        let pcc = &pcc;
        async move {
            let answer = pcc.delete(&path).await;
            let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
            assert_refused(&answer, 4, &needles);
        }
    };
    refused(
        format!("/v1/agent/{agent}"),
        vec![agent.clone(), group.clone()],
    )
    .await;
    // The routing does not hold its group or queue back (it goes with them); the membership,
    // the key press and the number do.
    refused(
        format!("/v1/group/{group}"),
        vec![group.clone(), agent.clone()],
    )
    .await;
    refused(
        format!("/v1/queue/{queue}"),
        vec![queue.clone(), to_queue.clone(), "and 1 more".into()],
    )
    .await;
    refused(
        format!("/v1/ivrtree/{tree}"),
        vec![tree.clone(), root.clone()],
    )
    .await;
    refused(
        format!("/v1/ivrnode/{leaf}"),
        vec![leaf.clone(), to_leaf.clone()],
    )
    .await;
    refused(
        format!("/v1/ivrnode/{root}"),
        vec![root.clone(), to_leaf.clone()],
    )
    .await;

    // Take the project apart in reverse dependency order; each step unblocks the next.
    assert_eq!(pcc.delete(&format!("/v1/number/{number}")).await["r"], 0);
    refused(format!("/v1/queue/{queue}"), vec![to_queue.clone()]).await;
    assert_eq!(
        pcc.delete(&format!("/v1/ivrkeypress/{to_queue}")).await["r"],
        0
    );
    assert_eq!(
        pcc.delete(&format!("/v1/ivrkeypress/{to_leaf}")).await["r"],
        0
    );
    refused(
        format!("/v1/ivrnode/{root}"),
        vec!["root".into(), "1 other node".into()],
    )
    .await;
    assert_eq!(pcc.delete(&format!("/v1/ivrnode/{leaf}")).await["r"], 0);
    assert_eq!(pcc.delete(&format!("/v1/ivrnode/{root}")).await["r"], 0);
    assert_eq!(pcc.delete(&format!("/v1/ivrtree/{tree}")).await["r"], 0);
    // Every refused delete above rolled back whole: the routing is still there.
    let routings = pcc
        .get(&format!("/v1/routing-call-to-groups?queue={queue}"))
        .await;
    assert_eq!(routings["data"]["groupRoutings"][0]["id"], routing.as_str());
    assert_eq!(pcc.delete(&format!("/v1/queue/{queue}")).await["r"], 0);
    refused(format!("/v1/group/{group}"), vec![agent.clone()]).await;
    pcc.delete_with(
        "/v1/manage-agents-in-group",
        json!({ "agent_id": agent, "group_id": group }),
    )
    .await;
    assert_eq!(pcc.delete(&format!("/v1/group/{group}")).await["r"], 0);
    assert_eq!(pcc.delete(&format!("/v1/agent/{agent}")).await["r"], 0);

    let state = pcc.state().await;
    for list in [
        "agents",
        "groups",
        "groupAgents",
        "queues",
        "groupRoutings",
        "ivrTrees",
        "ivrNodes",
        "ivrNodeKeys",
        "numbers",
    ] {
        assert_eq!(state[list], json!([]), "{list} left behind");
    }
}

#[tokio::test]
async fn names_are_not_unique() {
    let pcc = Pcc::start().await;
    let a = pcc.group("sales").await;
    let b = pcc.group("sales").await;
    assert_ne!(a, b);
    let q1 = pcc.queue("support").await;
    let q2 = pcc.queue("support").await;
    assert_ne!(q1, q2);
    let t1 = pcc.tree("main").await;
    let t2 = pcc.tree("main").await;
    assert_ne!(t1, t2);
    // Routing the same group twice from one queue is not refused either.
    for _ in 0..2 {
        pcc.create(
            "/v1/routing-call-to-groups",
            json!({ "queue_id": q1, "group_id": a, "primary_group": 0 }),
            "groupRoutingID",
        )
        .await;
    }
    assert_eq!(
        pcc.get(&format!("/v1/routing-call-to-groups?queue={q1}"))
            .await["data"]["totalCount"],
        "2"
    );
    assert_eq!(pcc.get("/v1/group").await["data"]["totalGroups"], "2");
}

/// A production integration deletes a group, then its queue, while the routing between them
/// still exists, and has no code to delete routings: PCC accepts both deletes, and the routing
/// goes with the first.
#[tokio::test]
async fn a_routed_group_or_queue_can_be_deleted_and_takes_its_routings_along() {
    let pcc = Pcc::start().await;
    let group = pcc.group("sales").await;
    let other = pcc.group("backup").await;
    let queue = pcc.queue("support").await;
    let other_queue = pcc.queue("billing").await;
    for (q, g, primary) in [
        (&queue, &group, 1),
        (&queue, &other, 0),
        (&other_queue, &group, 1),
    ] {
        pcc.create(
            "/v1/routing-call-to-groups",
            json!({ "queue_id": q, "group_id": g, "primary_group": primary }),
            "groupRoutingID",
        )
        .await;
    }

    assert_eq!(pcc.delete(&format!("/v1/group/{group}")).await["r"], 0);
    let left = pcc.state().await["groupRoutings"].clone();
    assert_eq!(left.as_array().unwrap().len(), 1, "{left}");
    assert_eq!(left[0]["queue_id"], queue.as_str());
    assert_eq!(left[0]["group_id"], other.as_str());

    assert_eq!(pcc.delete(&format!("/v1/queue/{queue}")).await["r"], 0);
    assert_eq!(pcc.state().await["groupRoutings"], json!([]));
    // The other ends are untouched.
    let state = pcc.state().await;
    assert_eq!(state["groups"][0]["id"], other.as_str());
    assert_eq!(state["queues"][0]["id"], other_queue.as_str());
}
