//! `read_live` over HTTP against a small read-only server that pages a generated project the
//! way the contract says: the model equals the fixture's, the request count is the minimum,
//! and concurrency stays within its bound.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use pcc::{RawLive, ReadOptions, ReadScope, minimum_reads, normalise, read_live};
use serde_json::{Value, json};

use crate::support::{client, serve};

/// A project big enough to page everywhere: 250 agents, a group of 230, 130 nodes in one
/// tree, a node with all 14 keys, 120 numbers, 105 greeting files.
fn project() -> Value {
    let agents: Vec<Value> = (0..250)
        .map(|i| {
            json!({"id": format!("AG_{i:04}"), "name": format!("Agent {i}"),
                        "stringee_user_id": format!("agent{i:04}"), "routing_type": 1,
                        "phone_number": "", "manual_status": "AVAILABLE"})
        })
        .collect();
    let groups = json!([{"id": "GR_BIG", "name": "big"}, {"id": "GR_SMALL", "name": "small"},
                        {"id": "GR_EMPTY", "name": "empty"}]);
    let big: Vec<Value> = (0..230)
        .map(|i| json!({"agent_id": format!("AG_{i:04}"), "group_id": "GR_BIG"}))
        .collect();
    let members = json!({"GR_BIG": big, "GR_SMALL": [{"agent_id": "AG_0249", "group_id": "GR_SMALL"}],
                         "GR_EMPTY": []});
    let queues = json!([{"id": "QU_A", "name": "a", "wait_greeting": "FILE0000-0.mp3"}, {"id": "QU_B", "name": "b"}]);
    let routings = json!({
        "QU_A": [{"id": "RO_1", "queue_id": "QU_A", "group_id": "GR_BIG", "primary_group": 1},
                 {"id": "RO_2", "queue_id": "QU_A", "group_id": "GR_SMALL", "primary_group": 0}],
        "QU_B": []});
    let nodes: Vec<Value> = (0..130)
        .map(|i| {
            json!({"id": format!("NO_{i:04}"), "tree": "TR_BIG", "node_name": format!("n{i}"),
                        "node_play_mode": "talk", "node_play_content": format!("node {i}")})
        })
        .collect();
    let mut keys = serde_json::Map::new();
    for i in 0..129 {
        keys.insert(
            format!("NO_{i:04}"),
            json!([{"id": format!("KE_{i:04}"), "node": format!("NO_{i:04}"), "node_key": "1",
                    "action": 4, "next_node": format!("NO_{:04}", i + 1)}]),
        );
    }
    let all_keys: Vec<Value> = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#", "EMPTY_KEY", "INVALID_KEY"]
        .iter()
        .enumerate()
        .map(|(i, k)| json!({"id": format!("KE_ALL_{i}"), "node": "NO_0129", "node_key": k, "action": 2, "queue_id": "QU_B"}))
        .collect();
    keys.insert("NO_0129".into(), Value::Array(all_keys));
    let numbers: Vec<Value> = (0..120)
        .map(|i| {
            json!({"id": format!("NU_{i:04}"), "number": format!("8424730{i:05}"),
                        "allow_outbound_calls": i % 2, "enable_ivr": 1, "ivr_menu": "TR_BIG"})
        })
        .collect();
    let greetings: Vec<Value> = (0..105)
        .map(|i| json!({"filename": format!("FILE{i:04}-{i}.mp3"), "desc": format!("upload {i}")}))
        .collect();
    json!({
        "settings": {"event_url": "https://example.com/events", "get_customer_info_timeout": "2000"},
        "greetings": greetings, "agents": agents, "groups": groups, "members": members,
        "queues": queues, "routings": routings,
        "trees": [{"id": "TR_BIG", "tree_name": "big", "root_node": "NO_0000"},
                  {"id": "TR_EMPTY", "tree_name": "empty", "root_node": ""}],
        "nodes": {"TR_BIG": nodes, "TR_EMPTY": []},
        "keys": keys, "numbers": numbers,
        "blacklist": [{"id": "BNXJ3OWK", "number": "+84379361752", "ivr_blocked": 1, "queue_blocked": 0}],
    })
}

#[derive(Default)]
struct Served {
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    requests: Mutex<BTreeMap<String, u64>>,
}

#[derive(Clone)]
struct App {
    project: Arc<Value>,
    served: Arc<Served>,
}

fn list(app: &App, path: &str, q: &BTreeMap<String, String>) -> Value {
    let served = &app.served;
    *served
        .requests
        .lock()
        .unwrap()
        .entry(path.to_owned())
        .or_default() += 1;
    let (field, key, parent) = match path {
        "agent" => ("agents", "agents", None),
        "group" => ("groups", "groups", None),
        "manage-agents-in-group" => ("members", "groupAgents", Some("group")),
        "queue" => ("queues", "queues", None),
        "routing-call-to-groups" => ("routings", "groupRoutings", Some("queue")),
        "ivrtree" => ("trees", "ivrTrees", None),
        "ivrnode" => ("nodes", "ivrNodes", Some("tree")),
        "ivrkeypress" => ("keys", "ivrNodeKeys", Some("node")),
        "number" => ("numbers", "numbers", None),
        "blacklistnumber" => ("blacklist", "blacklistNumbers", None),
        "greetingfile" => ("greetings", "greetingFiles", None),
        other => panic!("unexpected list {other}"),
    };
    let all = match parent {
        None => app.project[field].clone(),
        Some(p) => {
            let parent = q.get(p).unwrap_or_else(|| panic!("{path} needs ?{p}="));
            app.project[field].get(parent).cloned().unwrap_or(json!([]))
        }
    };
    let all = all.as_array().cloned().unwrap_or_default();
    let limit: usize = q["limit"].parse().unwrap();
    assert_eq!(limit, 100, "every list is read with limit=100");
    let page: usize = q["page"].parse().unwrap();
    let items: Vec<Value> = all
        .iter()
        .skip((page - 1) * limit)
        .take(limit)
        .cloned()
        .collect();
    json!({"r": 0, "message": "ok", "project": 1, "data": {
        "totalCount": all.len().to_string(), "totalPages": all.len().div_ceil(limit),
        "currentPage": page, "limit": limit, key: items}})
}

async fn handle(
    State(app): State<App>,
    axum::extract::Path(path): axum::extract::Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> axum::Json<Value> {
    let served = &app.served;
    let now = served.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    served.max_in_flight.fetch_max(now, Ordering::SeqCst);
    // Latency, so that parallel requests overlap.
    tokio::time::sleep(Duration::from_millis(3)).await;
    let answer = if path == "callsettings" {
        *served
            .requests
            .lock()
            .unwrap()
            .entry(path.clone())
            .or_default() += 1;
        json!({"r": 0, "callSetting": app.project["settings"]})
    } else {
        list(&app, &path, &q)
    };
    served.in_flight.fetch_sub(1, Ordering::SeqCst);
    axum::Json(answer)
}

async fn start() -> (pcc::Client, Arc<Served>) {
    let app = App {
        project: Arc::new(project()),
        served: Arc::default(),
    };
    let served = app.served.clone();
    let router = Router::new()
        .route("/v1/{path}", get(handle))
        .with_state(app);
    (client(serve(router).await), served)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_read_equals_the_project_with_the_minimum_requests_in_parallel() {
    let (client, served) = start().await;
    let opts = ReadOptions {
        concurrency: 4,
        ..ReadOptions::default()
    };
    let live = read_live(&client, &opts).await.unwrap();

    let raw: RawLive = serde_json::from_value(project()).unwrap();
    let expected = normalise(&raw, &opts.scopes).unwrap();
    assert_eq!(live, expected);
    assert_eq!(live.model.agents.len(), 250);
    assert_eq!(live.model.groups["big"].agents.len(), 230);
    assert_eq!(live.model.ivr["big"].nodes.len(), 130);
    assert_eq!(live.model.ivr["big"].nodes["n129"].keys.len(), 14);
    assert_eq!(live.model.numbers.len(), 120);
    assert_eq!(live.model.audio.len(), 105);
    // The `+` PCC stores is not part of the key.
    assert_eq!(
        live.model.blacklist,
        Some(BTreeMap::from([(
            "84379361752".to_owned(),
            spec::model::Blacklisted {
                ivr: true,
                queue: false
            }
        )]))
    );

    let stats = client.stats();
    assert_eq!(stats.writes(), 0);
    assert_eq!(stats.total(), minimum_reads(&live.model, &opts.scopes));
    // By hand: settings 1, greetings 2, agents 3, groups 1 + members 3+1+1, queues 1 +
    // routings 1+1, trees 1 + nodes 2+1 + keys 130, numbers 2, blacklist 1.
    assert_eq!(
        stats.total(),
        1 + 2 + 3 + 1 + 5 + 1 + 2 + 1 + 3 + 130 + 2 + 1
    );
    let max = served.max_in_flight.load(Ordering::SeqCst);
    assert!(
        max <= 4,
        "at most `concurrency` requests at once, saw {max}"
    );
    assert!(max >= 2, "reads overlap, saw {max}");
}

#[tokio::test]
async fn scoped_reads_cost_what_the_table_says() {
    let raw: RawLive = serde_json::from_value(project()).unwrap();
    let full = normalise(&raw, &ReadScope::ALL.into_iter().collect())
        .unwrap()
        .model;
    let scopes: [&[ReadScope]; 5] = [
        &[ReadScope::Agents],
        &[ReadScope::Groups],
        &[ReadScope::Numbers],
        &[ReadScope::Queues, ReadScope::Numbers],
        &[ReadScope::Ivr],
    ];
    let mut costs = Vec::new();
    for scope in scopes {
        let (client, _) = start().await;
        let opts = ReadOptions::only(scope.iter().copied());
        let live = read_live(&client, &opts).await.unwrap();
        let made = client.stats().total();
        assert_eq!(made, minimum_reads(&full, &opts.scopes), "{scope:?}");
        costs.push((format!("{scope:?}"), made));
        for kind in ReadScope::ALL {
            let filled = match kind {
                ReadScope::Settings => live.model.settings.is_some(),
                ReadScope::Audio => !live.model.audio.is_empty(),
                ReadScope::Agents => !live.model.agents.is_empty(),
                ReadScope::Groups => !live.model.groups.is_empty(),
                ReadScope::Queues => !live.model.queues.is_empty(),
                ReadScope::Ivr => !live.model.ivr.is_empty(),
                ReadScope::Numbers => !live.model.numbers.is_empty(),
                ReadScope::Blacklist => live.model.blacklist.is_some(),
            };
            assert_eq!(filled, scope.contains(&kind), "{scope:?}: {kind:?}");
        }
    }
    assert_eq!(
        costs,
        [
            ("[Agents]".to_owned(), 3),
            ("[Groups]".to_owned(), 1 + 5 + 3),
            ("[Numbers]".to_owned(), 2 + 1 + 1),
            ("[Queues, Numbers]".to_owned(), 1 + 2 + 1 + 2 + 1 + 2),
            ("[Ivr]".to_owned(), 1 + 3 + 130 + 1 + 2),
        ]
    );
}
