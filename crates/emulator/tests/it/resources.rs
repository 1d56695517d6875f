//! Every resource: create, list (paging, filters, counts), update, delete, and answer shapes.

use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn agent_lists_page_through_250_agents_with_string_counts_and_both_count_keys() {
    let pcc = Pcc::start().await;
    let mut ids = Vec::new();
    for i in 0..250 {
        ids.push(pcc.agent(&format!("user{i:03}")).await);
    }

    let mut seen = Vec::new();
    for page in 1..=3 {
        let answer = pcc.get(&format!("/v1/agent?page={page}&limit=100")).await;
        let data = &answer["data"];
        assert_eq!(data["totalCount"], "250");
        assert_eq!(data["totalAgents"], "250");
        assert_eq!(data["totalPages"], 3);
        assert_eq!(data["currentPage"], page);
        assert_eq!(data["limit"], 100);
        let agents = data["agents"].as_array().unwrap();
        assert_eq!(agents.len(), if page == 3 { 50 } else { 100 });
        seen.extend(agents.iter().map(|a| a["id"].as_str().unwrap().to_owned()));
    }
    assert_eq!(seen, ids, "pages cover every agent once, oldest first");

    let past_end = pcc.get("/v1/agent?page=4&limit=100").await;
    assert_eq!(past_end["data"]["agents"], json!([]));
    assert_eq!(past_end["data"]["totalPages"], 3);

    let default = pcc.get("/v1/agent").await;
    assert_eq!(default["data"]["limit"], 50);
    assert_eq!(default["data"]["totalPages"], 5);
    assert_eq!(default["data"]["agents"].as_array().unwrap().len(), 50);

    let clamped = pcc.get("/v1/agent?limit=500").await;
    assert_eq!(clamped["data"]["limit"], 100);
    assert_eq!(clamped["data"]["agents"].as_array().unwrap().len(), 100);

    for bad in ["page=0", "page=x", "limit=0", "limit=-5"] {
        let answer = pcc.get(&format!("/v1/agent?{bad}")).await;
        assert_refused(&answer, 1, &[bad.split('=').next().unwrap()]);
    }
}

#[tokio::test]
async fn empty_lists_have_zero_pages() {
    let pcc = Pcc::start().await;
    let answer = pcc.get("/v1/queue").await;
    insta::assert_json_snapshot!(answer, @r#"
    {
      "data": {
        "currentPage": 1,
        "limit": 50,
        "queues": [],
        "totalCount": "0",
        "totalPages": 0
      },
      "message": "Load queue(s) success",
      "project": 1,
      "r": 0
    }
    "#);
}

#[tokio::test]
async fn agents_filter_by_stringee_user_id_which_is_not_unique() {
    let pcc = Pcc::start().await;
    let first = pcc.agent("alice").await;
    pcc.agent("bob").await;
    let second = pcc.agent("alice").await;
    assert_ne!(first, second);

    let answer = pcc.get("/v1/agent?stringee_user_id=alice").await;
    assert_eq!(answer["data"]["totalAgents"], "2");
    let found: Vec<_> = answer["data"]["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(found, [first.as_str(), second.as_str()]);

    let none = pcc.get("/v1/agent?stringee_user_id=nobody").await;
    assert_eq!(none["data"]["totalCount"], "0");
}

#[tokio::test]
async fn agent_create_update_delete() {
    let pcc = Pcc::start().await;
    let created = pcc
        .post(
            "/v1/agent",
            json!({ "name": "Dan Ruiz", "stringee_user_id": "dan", "routing_type": 2, "phone_number": "84909992666" }),
        )
        .await;
    assert_eq!(created["message"], "Create agent success");
    let id = created["agentID"].as_str().unwrap().to_owned();
    assert!(id.starts_with("AG_") && id.len() == 19, "{id}");
    assert!(
        id[3..]
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    );

    let listed = pcc.get("/v1/agent").await;
    insta::assert_json_snapshot!(redact(&listed["data"]["agents"][0]), @r#"
    {
      "account": 1,
      "allow_out_of_business_hour_callout": null,
      "device_status": 0,
      "id": "<AG#1>",
      "manual_status": "AVAILABLE",
      "name": "Dan Ruiz",
      "phone_number": "84909992666",
      "project": 1,
      "routing_type": 2,
      "stringee_user_id": "dan",
      "system_status": 1
    }
    "#);

    let updated = pcc
        .put(
            &format!("/v1/agent/{id}"),
            json!({ "name": "Daniel Ruiz", "stringee_user_id": "daniel" }),
        )
        .await;
    assert_eq!(updated["r"], 0);
    assert_eq!(updated["message"], "Update agent success");
    let agent = &pcc.get("/v1/agent?stringee_user_id=daniel").await["data"]["agents"][0];
    assert_eq!(agent["name"], "Daniel Ruiz");
    assert_eq!(agent["routing_type"], 2, "fields absent from a PUT stay");
    assert_eq!(
        pcc.get("/v1/agent?stringee_user_id=dan").await["data"]["totalCount"],
        "0"
    );

    let phone_gone = pcc
        .put(&format!("/v1/agent/{id}"), json!({ "phone_number": null }))
        .await;
    assert_refused(&phone_gone, 1, &["phone_number", "routing_type"]);

    let deleted = pcc.delete(&format!("/v1/agent/{id}")).await;
    assert_eq!(
        deleted,
        json!({ "r": 0, "project": 1, "message": "Delete agent success" })
    );
    assert_refused(&pcc.delete(&format!("/v1/agent/{id}")).await, 3, &[&id]);
    assert_refused(
        &pcc.put(&format!("/v1/agent/{id}"), json!({ "name": "x" }))
            .await,
        3,
        &[&id],
    );
}

#[tokio::test]
async fn required_fields_types_and_ranges_are_checked() {
    let pcc = Pcc::start().await;
    let tree = pcc.tree("main").await;
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "/v1/agent",
            json!({ "stringee_user_id": "a" }),
            "`name` is required",
        ),
        (
            "/v1/agent",
            json!({ "name": "A", "stringee_user_id": "" }),
            "`stringee_user_id` is required",
        ),
        (
            "/v1/agent",
            json!({ "name": "A", "stringee_user_id": "a", "routing_type": 3 }),
            "routing_type",
        ),
        (
            "/v1/agent",
            json!({ "name": 7, "stringee_user_id": "a" }),
            "must be a string",
        ),
        ("/v1/group", json!({}), "`name` is required"),
        (
            "/v1/queue",
            json!({ "name": "q", "wait_agent_answer_timeout": 2 }),
            "at least 3",
        ),
        (
            "/v1/queue",
            json!({ "name": "q", "schedule": 3 }),
            "schedule",
        ),
        (
            "/v1/queue",
            json!({ "name": "q", "record_calls": 2 }),
            "true, false, 0 or 1",
        ),
        (
            "/v1/queue",
            json!({ "name": "q", "wrap_up_time_limit": "10" }),
            "an integer",
        ),
        (
            "/v1/ivrtree",
            json!({ "tree_name": null }),
            "`tree_name` is required",
        ),
        (
            "/v1/ivrnode",
            json!({ "tree": tree, "node_name": "n", "node_play_mode": "sing", "node_play_content": "x" }),
            "node_play_mode",
        ),
        (
            "/v1/ivrnode",
            json!({ "tree": tree, "node_name": "n", "node_play_mode": "talk", "node_play_content": "x", "speed": 4 }),
            "from -3 to 3",
        ),
        (
            "/v1/number",
            json!({ "number": "842473082686", "enable_ivr": false }),
            "allow_outbound_calls",
        ),
        (
            "/v1/number",
            json!({ "number": "+842473082686", "allow_outbound_calls": true, "enable_ivr": false }),
            "digits",
        ),
        (
            "/v1/number",
            json!({ "number": "842473082686", "allow_outbound_calls": true, "enable_ivr": true }),
            "`ivr_menu` is required when `enable_ivr` is true",
        ),
        (
            "/v1/routing-call-to-groups",
            json!({ "queue_id": "QU_X", "group_id": "GR_X" }),
            "primary_group",
        ),
    ];
    for (path, body, needle) in cases {
        let answer = pcc.post(path, body.clone()).await;
        assert_eq!(answer["r"], 1, "POST {path} {body}: {answer}");
        assert!(
            answer["message"].as_str().unwrap().contains(needle),
            "POST {path} {body}: `{}` does not mention `{needle}`",
            answer["message"]
        );
    }
    let not_json = pcc
        .http
        .post(pcc.url("/v1/group"))
        .header("X-STRINGEE-AUTH", &pcc.token)
        .body("{name:")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 200);
    assert_refused(&not_json.json().await.unwrap(), 1, &["not valid JSON"]);
    assert_refused(
        &pcc.post("/v1/group", json!(["g"])).await,
        1,
        &["JSON object"],
    );

    let state = pcc.state().await;
    assert_eq!(state["agents"], json!([]), "refused creates write nothing");
    assert_eq!(state["numbers"], json!([]));
}

#[tokio::test]
async fn groups_count_their_members_and_memberships_list_by_group() {
    let pcc = Pcc::start().await;
    let sales = pcc.group("sales").await;
    let support = pcc.group("support").await;
    let alice = pcc.agent("alice").await;
    let bob = pcc.agent("bob").await;

    let added = pcc
        .post(
            "/v1/manage-agents-in-group",
            json!({ "agent_id": alice, "group_id": sales }),
        )
        .await;
    assert_eq!(
        added,
        json!({ "r": 0, "project": 1, "message": "Add agent to Group success", "agentID": alice, "groupID": sales })
    );
    pcc.post(
        "/v1/manage-agents-in-group",
        json!({ "agent_id": bob, "group_id": sales }),
    )
    .await;
    pcc.post(
        "/v1/manage-agents-in-group",
        json!({ "agent_id": alice, "group_id": support }),
    )
    .await;

    let again = pcc
        .post(
            "/v1/manage-agents-in-group",
            json!({ "agent_id": alice, "group_id": sales }),
        )
        .await;
    assert_refused(&again, 6, &[&alice, &sales]);

    let groups = pcc.get("/v1/group").await;
    assert_eq!(groups["data"]["totalGroups"], "2");
    assert_eq!(groups["data"]["totalCount"], "2");
    assert_eq!(groups["data"]["groups"][0]["number_of_agent"], 2);
    assert_eq!(groups["data"]["groups"][1]["number_of_agent"], 1);

    let members = pcc
        .get(&format!("/v1/manage-agents-in-group?group={sales}"))
        .await;
    insta::assert_json_snapshot!(redact(&members), @r#"
    {
      "data": {
        "currentPage": 1,
        "groupAgents": [
          {
            "account": 1,
            "agent_id": "<AG#1>",
            "group_id": "<GR#2>",
            "project": 1
          },
          {
            "account": 1,
            "agent_id": "<AG#3>",
            "group_id": "<GR#2>",
            "project": 1
          }
        ],
        "limit": 50,
        "totalCount": "2",
        "totalPages": 1
      },
      "message": "Load group agent success",
      "project": 1,
      "r": 0
    }
    "#);

    assert_refused(
        &pcc.get("/v1/manage-agents-in-group").await,
        1,
        &["`group` is required"],
    );
    assert_refused(
        &pcc.get("/v1/manage-agents-in-group?group=GR_NOPE").await,
        3,
        &["GR_NOPE"],
    );

    let removed = pcc
        .delete_with(
            "/v1/manage-agents-in-group",
            json!({ "agent_id": alice, "group_id": sales }),
        )
        .await;
    assert_eq!(removed["r"], 0);
    assert_eq!(removed["message"], "Remove agent from Group success");
    let members = pcc
        .get(&format!("/v1/manage-agents-in-group?group={sales}"))
        .await;
    assert_eq!(members["data"]["totalCount"], "1");
    assert_eq!(members["data"]["groupAgents"][0]["agent_id"], bob.as_str());

    let gone = pcc
        .delete_with(
            "/v1/manage-agents-in-group",
            json!({ "agent_id": alice, "group_id": sales }),
        )
        .await;
    assert_refused(&gone, 3, &[&alice, &sales]);
    let no_body = pcc.delete("/v1/manage-agents-in-group").await;
    assert_refused(&no_body, 1, &["agent_id"]);
    let unknown = pcc
        .post(
            "/v1/manage-agents-in-group",
            json!({ "agent_id": "AG_NOPE", "group_id": sales }),
        )
        .await;
    assert_refused(&unknown, 3, &["AG_NOPE"]);

    let renamed = pcc
        .put(&format!("/v1/group/{support}"), json!({ "name": "care" }))
        .await;
    assert_eq!(renamed["r"], 0);
    assert_eq!(
        pcc.get("/v1/group").await["data"]["groups"][1]["name"],
        "care"
    );
}

#[tokio::test]
async fn queues_get_server_defaults_and_answer_booleans_as_0_and_1() {
    let pcc = Pcc::start().await;
    let id = pcc.queue("support").await;
    let queue = &pcc.get("/v1/queue").await["data"]["queues"][0];
    insta::assert_json_snapshot!(redact(queue), @r#"
    {
      "account": 1,
      "agent_wrap_up_after_calls": 1,
      "cond_routing": 1,
      "enable_voicemail": 0,
      "from_number_callout_to_agent": null,
      "get_list_agents_url": null,
      "hold_greeting": null,
      "id": "<QU#1>",
      "maximum_queue_size": 5,
      "maximum_queue_wait_time": 60,
      "name": "support",
      "project": 1,
      "record_calls": 1,
      "route_to_backup_groups_after": null,
      "schedule": 1,
      "sla_answered_within": null,
      "sla_target_percent": null,
      "wait_agent_answer_timeout": 15,
      "wait_greeting": null,
      "wrap_up_time_limit": 10
    }
    "#);

    let updated = pcc
        .put(
            &format!("/v1/queue/{id}"),
            json!({ "record_calls": false, "agent_wrap_up_after_calls": 0, "schedule": 2, "get_list_agents_url": "" }),
        )
        .await;
    assert_eq!(updated["r"], 0);
    let queue = &pcc.get("/v1/queue").await["data"]["queues"][0];
    assert_eq!(queue["record_calls"], 0);
    assert_eq!(queue["agent_wrap_up_after_calls"], 0);
    assert_eq!(queue["schedule"], 2);
    assert_eq!(
        queue["get_list_agents_url"], "",
        "an empty string is kept as sent"
    );
    assert_eq!(queue["wrap_up_time_limit"], 10);

    let with_true = pcc
        .create(
            "/v1/queue",
            json!({ "name": "sales", "record_calls": true }),
            "queueID",
        )
        .await;
    let queues = pcc.get("/v1/queue").await;
    assert_eq!(queues["data"]["queues"][1]["id"], with_true.as_str());
    assert_eq!(queues["data"]["queues"][1]["record_calls"], 1);
}

#[tokio::test]
async fn routings_list_by_queue_and_change_priority() {
    let pcc = Pcc::start().await;
    let queue = pcc.queue("support").await;
    let other = pcc.queue("sales").await;
    let main = pcc.group("support").await;
    let overflow = pcc.group("overflow").await;

    let created = pcc
        .post(
            "/v1/routing-call-to-groups",
            json!({ "queue_id": queue, "group_id": main, "primary_group": 1 }),
        )
        .await;
    assert_eq!(created["message"], "Create group routing success");
    let primary = created["groupRoutingID"].as_str().unwrap().to_owned();
    assert!(
        primary.starts_with("GR_RO_") && primary.len() == 22,
        "{primary}"
    );
    let second = pcc
        .create(
            "/v1/routing-call-to-groups",
            json!({ "queue_id": queue, "group_id": overflow, "primary_group": false }),
            "groupRoutingID",
        )
        .await;
    pcc.create(
        "/v1/routing-call-to-groups",
        json!({ "queue_id": other, "group_id": main, "primary_group": true }),
        "groupRoutingID",
    )
    .await;

    let listed = pcc
        .get(&format!("/v1/routing-call-to-groups?queue={queue}"))
        .await;
    insta::assert_json_snapshot!(redact(&listed), @r#"
    {
      "data": {
        "currentPage": 1,
        "groupRoutings": [
          {
            "account": 1,
            "group_id": "<GR#1>",
            "id": "<GR_RO#2>",
            "primary_group": 1,
            "project": 1,
            "queue_id": "<QU#3>"
          },
          {
            "account": 1,
            "group_id": "<GR#4>",
            "id": "<GR_RO#5>",
            "primary_group": 0,
            "project": 1,
            "queue_id": "<QU#3>"
          }
        ],
        "limit": 50,
        "totalCount": "2",
        "totalPages": 1
      },
      "message": "Load group routing success",
      "project": 1,
      "r": 0
    }
    "#);

    let promoted = pcc
        .put(
            &format!("/v1/routing-call-to-groups/{second}"),
            json!({ "primary_group": true }),
        )
        .await;
    assert_eq!(promoted["r"], 0);
    let moved = pcc
        .put(
            &format!("/v1/routing-call-to-groups/{second}"),
            json!({ "queue_id": other }),
        )
        .await;
    assert_refused(&moved, 1, &["`queue_id` cannot be changed"]);
    let listed = pcc
        .get(&format!("/v1/routing-call-to-groups?queue={queue}"))
        .await;
    assert_eq!(listed["data"]["groupRoutings"][1]["primary_group"], 1);

    assert_eq!(
        pcc.delete(&format!("/v1/routing-call-to-groups/{primary}"))
            .await["r"],
        0
    );
    let listed = pcc
        .get(&format!("/v1/routing-call-to-groups?queue={queue}"))
        .await;
    assert_eq!(listed["data"]["totalCount"], "1");
    assert_refused(
        &pcc.get("/v1/routing-call-to-groups").await,
        1,
        &["`queue` is required"],
    );
}

#[tokio::test]
async fn ivr_first_node_is_root_and_root_node_resets_when_the_last_node_goes() {
    let pcc = Pcc::start().await;
    let created = pcc
        .post("/v1/ivrtree", json!({ "tree_name": "main" }))
        .await;
    assert_eq!(created["message"], "Create ivr tree success");
    let tree = created["ivrTreeID"].as_str().unwrap().to_owned();
    assert!(tree.starts_with("TR_"));
    assert_eq!(
        pcc.get("/v1/ivrtree").await["data"]["ivrTrees"][0]["root_node"],
        ""
    );

    let first = pcc
        .post(
            "/v1/ivrnode",
            json!({ "tree": tree, "node_name": "language", "node_play_mode": "talk", "node_play_content": "Press 1." }),
        )
        .await;
    assert_eq!(first["isRootNode"], true);
    let root = first["ivrNodeID"].as_str().unwrap().to_owned();
    let second = pcc
        .post(
            "/v1/ivrnode",
            json!({ "tree": tree, "node_name": "english", "node_play_mode": "talk", "node_play_content": "Hi.", "bargeIn": false, "speed": -3 }),
        )
        .await;
    assert_eq!(second["isRootNode"], false);
    let english = second["ivrNodeID"].as_str().unwrap().to_owned();

    let trees = pcc.get("/v1/ivrtree").await;
    assert_eq!(trees["data"]["ivrTrees"][0]["root_node"], root.as_str());
    assert_eq!(trees["data"]["totalCount"], "1");

    let nodes = pcc.get(&format!("/v1/ivrnode?tree={tree}")).await;
    insta::assert_json_snapshot!(redact(&nodes["data"]["ivrNodes"][1]), @r#"
    {
      "account": 1,
      "bargeIn": 0,
      "id": "<NO#1>",
      "keypress_timeout": 5,
      "loop_count": 1,
      "node_name": "english",
      "node_play_content": "Hi.",
      "node_play_mode": "talk",
      "project": 1,
      "sched": 0,
      "speed": -3,
      "tree": "<TR#2>",
      "voice": "hn_female_thutrang_phrase_48k-hsmm"
    }
    "#);

    let refused = pcc.delete(&format!("/v1/ivrnode/{root}")).await;
    assert_refused(&refused, 4, &[&root, "root", "1 other node"]);
    let moved = pcc
        .put(
            &format!("/v1/ivrtree/{tree}"),
            json!({ "root_node": english }),
        )
        .await;
    assert_refused(&moved, 1, &["root_node"]);
    let renamed = pcc
        .put(
            &format!("/v1/ivrtree/{tree}"),
            json!({ "tree_name": "hotline" }),
        )
        .await;
    assert_eq!(renamed["r"], 0);
    assert_eq!(renamed["ivrTreeID"], tree.as_str());

    assert_eq!(pcc.delete(&format!("/v1/ivrnode/{english}")).await["r"], 0);
    assert_eq!(pcc.delete(&format!("/v1/ivrnode/{root}")).await["r"], 0);
    let trees = pcc.get("/v1/ivrtree").await;
    assert_eq!(trees["data"]["ivrTrees"][0]["root_node"], "");
    assert_eq!(trees["data"]["ivrTrees"][0]["tree_name"], "hotline");

    let again = pcc.node(&tree, "welcome").await;
    assert_eq!(
        pcc.get("/v1/ivrtree").await["data"]["ivrTrees"][0]["root_node"],
        again.as_str()
    );

    let moved_tree = pcc
        .put(
            &format!("/v1/ivrnode/{again}"),
            json!({ "tree": "TR_OTHER" }),
        )
        .await;
    assert_refused(&moved_tree, 1, &["`tree` cannot be changed"]);
    let same_tree = pcc
        .put(
            &format!("/v1/ivrnode/{again}"),
            json!({ "tree": tree, "node_play_content": "Welcome!" }),
        )
        .await;
    assert_eq!(same_tree["r"], 0, "{same_tree}");
    assert_refused(&pcc.get("/v1/ivrnode").await, 1, &["`tree` is required"]);
    assert_refused(&pcc.get("/v1/ivrnode?tree=TR_NOPE").await, 3, &["TR_NOPE"]);
}

#[tokio::test]
async fn key_presses_are_unique_per_node_and_key_and_check_their_action() {
    let pcc = Pcc::start().await;
    let tree = pcc.tree("main").await;
    let menu = pcc.node(&tree, "menu").await;
    let english = pcc.node(&tree, "english").await;
    let queue = pcc.queue("support").await;

    let goto = pcc
        .post(
            "/v1/ivrkeypress",
            json!({ "node": menu, "node_key": "1", "action": 4, "next_node": english }),
        )
        .await;
    assert_eq!(goto["message"], "Create ivr node key success");
    let goto_id = goto["ivrNodeKeyID"].as_str().unwrap().to_owned();
    assert!(
        goto_id.starts_with("NO_KE_") && goto_id.len() == 22,
        "{goto_id}"
    );
    pcc.create(
        "/v1/ivrkeypress",
        json!({ "node": menu, "node_key": "EMPTY_KEY", "action": 2, "queue_id": queue }),
        "ivrNodeKeyID",
    )
    .await;
    pcc.create(
        "/v1/ivrkeypress",
        json!({ "node": menu, "node_key": "0", "action": 3, "to_phone_number": "84909992666", "from_number_callout_to_agent": "842473082686" }),
        "ivrNodeKeyID",
    )
    .await;
    pcc.create(
        "/v1/ivrkeypress",
        json!({ "node": english, "node_key": "1", "action": 6 }),
        "ivrNodeKeyID",
    )
    .await;

    let duplicate = pcc
        .post(
            "/v1/ivrkeypress",
            json!({ "node": menu, "node_key": "1", "action": 6 }),
        )
        .await;
    assert_refused(&duplicate, 6, &[&menu, "`1`"]);
    for (body, needle) in [
        (
            json!({ "node": menu, "node_key": "5", "action": 4 }),
            "`next_node` is required",
        ),
        (
            json!({ "node": menu, "node_key": "5", "action": 2 }),
            "`queue_id` is required",
        ),
        (
            json!({ "node": menu, "node_key": "5", "action": 3 }),
            "`to_phone_number` is required",
        ),
        (
            json!({ "node": menu, "node_key": "5", "action": 1 }),
            "action",
        ),
        (
            json!({ "node": menu, "node_key": "5", "action": 5, "sms": "hi" }),
            "action",
        ),
        (
            json!({ "node": menu, "node_key": "timeout", "action": 6 }),
            "node_key",
        ),
    ] {
        assert_refused(&pcc.post("/v1/ivrkeypress", body).await, 1, &[needle]);
    }

    let keys = pcc.get(&format!("/v1/ivrkeypress?node={menu}")).await;
    insta::assert_json_snapshot!(redact(&keys), @r#"
    {
      "data": {
        "currentPage": 1,
        "ivrNodeKeys": [
          {
            "account": 1,
            "action": 4,
            "from_number_callout_to_agent": null,
            "id": "<NO_KE#1>",
            "next_node": "<NO#2>",
            "node": "<NO#3>",
            "node_key": "1",
            "project": 1,
            "queue_id": null,
            "sms": null,
            "to_phone_number": null,
            "tree": "<TR#4>"
          },
          {
            "account": 1,
            "action": 2,
            "from_number_callout_to_agent": null,
            "id": "<NO_KE#5>",
            "next_node": null,
            "node": "<NO#3>",
            "node_key": "EMPTY_KEY",
            "project": 1,
            "queue_id": "<QU#6>",
            "sms": null,
            "to_phone_number": null,
            "tree": "<TR#4>"
          },
          {
            "account": 1,
            "action": 3,
            "from_number_callout_to_agent": "842473082686",
            "id": "<NO_KE#7>",
            "next_node": null,
            "node": "<NO#3>",
            "node_key": "0",
            "project": 1,
            "queue_id": null,
            "sms": null,
            "to_phone_number": "84909992666",
            "tree": "<TR#4>"
          }
        ],
        "limit": 50,
        "totalCount": "3",
        "totalPages": 1
      },
      "message": "Load IVR node key success",
      "project": 1,
      "r": 0
    }
    "#);

    let changed = pcc
        .put(
            &format!("/v1/ivrkeypress/{goto_id}"),
            json!({ "action": 2, "queue_id": queue, "next_node": null }),
        )
        .await;
    assert_eq!(changed["r"], 0, "{changed}");
    assert_eq!(changed["ivrNodeKeyID"], goto_id.as_str());
    let rekeyed = pcc
        .put(
            &format!("/v1/ivrkeypress/{goto_id}"),
            json!({ "node_key": "2" }),
        )
        .await;
    assert_refused(&rekeyed, 1, &["`node_key` cannot be changed"]);
    let keys = pcc.get(&format!("/v1/ivrkeypress?node={menu}")).await;
    assert_eq!(keys["data"]["ivrNodeKeys"][0]["action"], 2);
    assert_eq!(keys["data"]["ivrNodeKeys"][0]["next_node"], Value::Null);

    assert_eq!(
        pcc.delete(&format!("/v1/ivrkeypress/{goto_id}")).await["r"],
        0
    );
    let keys = pcc.get(&format!("/v1/ivrkeypress?node={menu}")).await;
    assert_eq!(keys["data"]["totalCount"], "2");
    assert_refused(
        &pcc.get("/v1/ivrkeypress").await,
        1,
        &["`node` is required"],
    );
}

#[tokio::test]
async fn numbers_are_unique_and_a_duplicate_answers_number_existed_with_its_id() {
    let pcc = Pcc::start().await;
    let tree = pcc.tree("main").await;
    let queue = pcc.queue("support").await;
    let created = pcc
        .post(
            "/v1/number",
            json!({ "number": "842473082686", "nickname": "Hotline", "allow_outbound_calls": 1, "enable_ivr": true, "ivr_menu": tree }),
        )
        .await;
    assert_eq!(created["message"], "Create number success");
    let id = created["numberID"].as_str().unwrap().to_owned();
    assert!(id.starts_with("NU_"));

    let duplicate = pcc
        .post(
            "/v1/number",
            json!({ "number": "842473082686", "allow_outbound_calls": false, "enable_ivr": false }),
        )
        .await;
    assert_eq!(
        duplicate,
        json!({ "r": 2, "message": "Number existed", "numberID": id, "project": 1 })
    );

    let numbers = pcc.get("/v1/number").await;
    insta::assert_json_snapshot!(redact(&numbers["data"]), @r#"
    {
      "currentPage": 1,
      "limit": 50,
      "numbers": [
        {
          "account": 1,
          "all_group_can_make_outbound_call": null,
          "allow_outbound_calls": 1,
          "enable_ivr": 1,
          "id": "<NU#1>",
          "ivr_menu": "<TR#2>",
          "nickname": "Hotline",
          "number": "842473082686",
          "project": 1,
          "queue_id": null,
          "record_outbound_calls": 0
        }
      ],
      "totalCount": "1",
      "totalPages": 1
    }
    "#);

    let to_queue = pcc
        .put(
            &format!("/v1/number/{id}"),
            json!({ "number": "842473082686", "enable_ivr": false, "ivr_menu": null, "queue_id": queue }),
        )
        .await;
    assert_eq!(to_queue["r"], 0, "{to_queue}");
    let renumbered = pcc
        .put(
            &format!("/v1/number/{id}"),
            json!({ "number": "842473082687" }),
        )
        .await;
    assert_refused(&renumbered, 1, &["`number` cannot be changed"]);
    let back_to_ivr = pcc
        .put(&format!("/v1/number/{id}"), json!({ "enable_ivr": true }))
        .await;
    assert_refused(&back_to_ivr, 1, &["ivr_menu"]);
    let number = &pcc.get("/v1/number").await["data"]["numbers"][0];
    assert_eq!(number["enable_ivr"], 0);
    assert_eq!(number["queue_id"], queue.as_str());

    assert_eq!(pcc.delete(&format!("/v1/number/{id}")).await["r"], 0);
    let again = pcc
        .post(
            "/v1/number",
            json!({ "number": "842473082686", "allow_outbound_calls": false, "enable_ivr": false }),
        )
        .await;
    assert_eq!(again["r"], 0, "a deleted number can be added again");
}

#[tokio::test]
async fn call_settings_are_a_singleton_with_defaults_and_partial_updates() {
    let pcc = Pcc::start().await;
    let initial = pcc.get("/v1/callsettings").await;
    insta::assert_json_snapshot!(initial, @r#"
    {
      "callSetting": {
        "account": 1,
        "callout_answer_url": null,
        "event_url": null,
        "get_customer_info_timeout": 2000,
        "get_customer_info_url": null,
        "project": 1
      },
      "message": "Load call settings success",
      "r": 0
    }
    "#);
    let updated = pcc
        .put("/v1/callsettings", json!({ "event_url": "https://crm.example.com/events", "get_customer_info_timeout": 3000 }))
        .await;
    assert_eq!(
        updated,
        json!({ "r": 0, "project": 1, "message": "Update call settings success" })
    );
    pcc.put(
        "/v1/callsettings",
        json!({ "callout_answer_url": "https://crm.example.com/answer" }),
    )
    .await;
    let settings = &pcc.get("/v1/callsettings").await["callSetting"];
    assert_eq!(settings["event_url"], "https://crm.example.com/events");
    assert_eq!(settings["get_customer_info_timeout"], 3000);
    assert_eq!(
        settings["callout_answer_url"],
        "https://crm.example.com/answer"
    );
    let bad = pcc
        .put(
            "/v1/callsettings",
            json!({ "get_customer_info_timeout": -1 }),
        )
        .await;
    assert_refused(&bad, 1, &["get_customer_info_timeout"]);
}

#[tokio::test]
async fn greeting_files_upload_raw_get_server_names_and_can_be_played() {
    let pcc = Pcc::start().await;
    let upload = |desc: &'static str, bytes: Vec<u8>| {
        let req = pcc
            .http
            .post(pcc.url("/v1/greetingfile"))
            .query(&[("uploadType", "simple"), ("desc", desc)])
            .header("X-STRINGEE-AUTH", &pcc.token)
            .body(bytes);
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let mp3 = upload(
        "switchboard name=welcome sha256=ab12",
        b"ID3\x03fake mp3".to_vec(),
    )
    .await;
    assert_eq!(mp3["r"], 0);
    assert_eq!(mp3["message"], "Upload file success");
    let filename = mp3["filename"].as_str().unwrap().to_owned();
    let (stem, ext) = filename.split_once('.').unwrap();
    let (name, ms) = stem.split_once('-').unwrap();
    assert_eq!(ext, "mp3");
    assert_eq!(name.len(), 10);
    assert!(
        name.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    );
    assert!(ms.parse::<u64>().unwrap() > 1_500_000_000_000);
    assert_eq!(mp3["fileSid"].as_str().unwrap().len(), 16);

    let mut wav = b"RIFF\x24\x00\x00\x00WAVEfmt ".to_vec();
    wav.extend_from_slice(&[0; 32]);
    let wav = upload("hold", wav).await;
    assert!(wav["filename"].as_str().unwrap().ends_with(".wav"), "{wav}");

    let listed = pcc.get("/v1/greetingfile?limit=1&page=2").await;
    assert_eq!(listed["data"]["totalCount"], "2");
    assert_eq!(listed["data"]["totalPages"], 2);
    let first = &pcc.get("/v1/greetingfile").await["data"]["greetingFiles"][0];
    assert_eq!(
        first["desc"], "switchboard name=welcome sha256=ab12",
        "desc is URL-decoded"
    );
    assert_eq!(first["filename"], filename.as_str());
    assert_eq!(first["sid"], mp3["fileSid"]);

    let empty = upload("empty", Vec::new()).await;
    assert_refused(&empty, 1, &["empty"]);
    let no_type = pcc
        .http
        .post(pcc.url("/v1/greetingfile"))
        .header("X-STRINGEE-AUTH", &pcc.token)
        .body("data")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_refused(&no_type, 1, &["uploadType"]);

    let missing = pcc
        .post(
            "/v1/queue",
            json!({ "name": "q", "wait_greeting": "NOPE-1.mp3" }),
        )
        .await;
    assert_refused(&missing, 3, &["NOPE-1.mp3"]);
    let queue = pcc
        .post(
            "/v1/queue",
            json!({ "name": "q", "wait_greeting": filename, "hold_greeting": "" }),
        )
        .await;
    assert_eq!(queue["r"], 0, "{queue}");
    let tree = pcc.tree("main").await;
    let play = json!({ "tree": tree, "node_name": "welcome", "node_play_mode": "play", "node_play_content": "NOPE-1.mp3" });
    assert_refused(&pcc.post("/v1/ivrnode", play).await, 3, &["NOPE-1.mp3"]);
    let play = json!({ "tree": tree, "node_name": "welcome", "node_play_mode": "play", "node_play_content": filename });
    assert_eq!(pcc.post("/v1/ivrnode", play).await["r"], 0);
}

/// Fields PCC's docs do not show but a real provisioning script sends: stored, answered, typed
/// and ranged like the documented ones, and `null` until set (no default is known).
#[tokio::test]
async fn undocumented_fields_real_clients_send_are_kept_and_checked() {
    let pcc = Pcc::start().await;
    let queue = pcc
        .create(
            "/v1/queue",
            json!({ "name": "q", "route_to_backup_groups_after": 15, "sla_target_percent": 80, "sla_answered_within": 20 }),
            "queueID",
        )
        .await;
    let agent = pcc
        .create(
            "/v1/agent",
            json!({ "name": "A", "stringee_user_id": "a", "allow_out_of_business_hour_callout": true }),
            "agentID",
        )
        .await;
    let number = pcc
        .create(
            "/v1/number",
            json!({ "number": "842473082686", "allow_outbound_calls": 1, "enable_ivr": 0, "all_group_can_make_outbound_call": 1 }),
            "numberID",
        )
        .await;
    let plain = pcc
        .create(
            "/v1/agent",
            json!({ "name": "B", "stringee_user_id": "b" }),
            "agentID",
        )
        .await;

    let state = pcc.state().await;
    let q = &state["queues"][0];
    assert_eq!(
        (
            &q["route_to_backup_groups_after"],
            &q["sla_target_percent"],
            &q["sla_answered_within"]
        ),
        (&json!(15), &json!(80), &json!(20))
    );
    assert_eq!(
        state["agents"][0]["allow_out_of_business_hour_callout"], 1,
        "booleans answer 0/1"
    );
    assert_eq!(state["agents"][1]["id"], plain.as_str());
    assert_eq!(
        state["agents"][1]["allow_out_of_business_hour_callout"],
        Value::Null
    );
    assert_eq!(state["numbers"][0]["all_group_can_make_outbound_call"], 1);

    // Partial updates change them, `null` clears them.
    pcc.put(
        &format!("/v1/queue/{queue}"),
        json!({ "route_to_backup_groups_after": 0, "sla_target_percent": null }),
    )
    .await;
    pcc.put(
        &format!("/v1/agent/{agent}"),
        json!({ "allow_out_of_business_hour_callout": false }),
    )
    .await;
    pcc.put(
        &format!("/v1/number/{number}"),
        json!({ "all_group_can_make_outbound_call": 0 }),
    )
    .await;
    let state = pcc.state().await;
    assert_eq!(state["queues"][0]["route_to_backup_groups_after"], 0);
    assert_eq!(state["queues"][0]["sla_target_percent"], Value::Null);
    assert_eq!(state["queues"][0]["sla_answered_within"], 20);
    assert_eq!(state["agents"][0]["allow_out_of_business_hour_callout"], 0);
    assert_eq!(state["numbers"][0]["all_group_can_make_outbound_call"], 0);

    for (path, body, field) in [
        (
            "/v1/queue",
            json!({ "name": "x", "sla_target_percent": 101 }),
            "sla_target_percent",
        ),
        (
            "/v1/queue",
            json!({ "name": "x", "route_to_backup_groups_after": -1 }),
            "route_to_backup_groups_after",
        ),
        (
            "/v1/queue",
            json!({ "name": "x", "sla_answered_within": "20" }),
            "sla_answered_within",
        ),
        (
            "/v1/agent",
            json!({ "name": "x", "stringee_user_id": "x", "allow_out_of_business_hour_callout": "yes" }),
            "allow_out_of_business_hour_callout",
        ),
        (
            "/v1/number",
            json!({ "number": "1", "allow_outbound_calls": 1, "enable_ivr": 0, "all_group_can_make_outbound_call": 2 }),
            "all_group_can_make_outbound_call",
        ),
    ] {
        assert_refused(&pcc.post(path, body).await, 1, &[field]);
    }
}
