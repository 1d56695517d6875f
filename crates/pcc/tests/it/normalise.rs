//! Normalisation from JSON fixtures: the wire's many spellings become one model, server ids
//! are kept by natural key, and data that breaks the rules is reported in full.

use std::collections::BTreeSet;

use pcc::{Error, Live, RawLive, ReadScope, normalise, normalise_setting_aside};
use spec::model::{AudioId, Key, NumberRoute};
use spec::{Address, Kind};

use crate::support::fixture;

fn raw(name: &str) -> RawLive {
    serde_json::from_str(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn all() -> BTreeSet<ReadScope> {
    ReadScope::ALL.into_iter().collect()
}

fn read(name: &str) -> Live {
    normalise(&raw(name), &all()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn brownfield_project_normalises_to_the_spec_vocabulary() {
    let live = read("brownfield.json");
    insta::assert_json_snapshot!("brownfield_model", live.model);
}

#[test]
fn every_spelling_the_wire_allows_gives_the_same_model() {
    // 0/1 vs true/false vs "1", null vs "" vs absent, string counts, defaults left out,
    // unknown fields, another list order.
    let canonical = read("brownfield.json");
    let respelled = read("brownfield-spelled-differently.json");
    assert_eq!(canonical.model, respelled.model);
    assert_eq!(canonical.ids, respelled.ids);
}

#[test]
fn ids_map_natural_keys_to_server_ids() {
    let ids = read("brownfield.json").ids;
    assert_eq!(ids[&Address::Agent("dan".into())], "AG_DAN00000000003");
    assert_eq!(ids[&Address::Group("support".into())], "GR_SUPPORT0000002");
    assert_eq!(ids[&Address::Queue("sales-es".into())], "QU_SALESES0000003");
    assert_eq!(ids[&Address::IvrTree("draft".into())], "TR_DRAFT000000002");
    assert_eq!(ids.roots["main"], "language");
    assert!(
        !ids.roots.contains_key("draft"),
        "a tree without nodes has no root"
    );
    assert_eq!(
        ids[&Address::IvrNode {
            tree: "main".into(),
            node: "spanish".into()
        }],
        "NO_SPANISH0000003"
    );
    assert_eq!(
        ids[&Address::IvrKey {
            tree: "main".into(),
            node: "language".into(),
            key: Key::Timeout
        }],
        "NO_KE_00000000003"
    );
    assert_eq!(
        ids[&Address::Routing {
            queue: "support".into(),
            group: "sales-es".into()
        }],
        "GR_RO_000000000003"
    );
    assert_eq!(
        ids[&Address::Number("842473082888".into())],
        "NU_SUPPORT0000002"
    );
    // The same content uploaded twice: the first upload is the one to use.
    let menu = AudioId::Sha256(format!("c0ffee{}", "0".repeat(58)));
    assert_eq!(ids.audio[&menu], "MENUPROMPT-1531545000000.wav");
    assert_eq!(
        ids.audio[&AudioId::ServerFile("HOLDMUSICA-1531544900000.mp3".to_owned())],
        "HOLDMUSICA-1531544900000.mp3"
    );
}

#[test]
fn number_routes_follow_enable_ivr_then_queue_then_nothing() {
    let numbers = read("brownfield.json").model.numbers;
    // The hotline names a queue too, but enable_ivr wins.
    assert_eq!(
        numbers["842473082686"].route,
        Some(NumberRoute::Ivr("main".to_owned()))
    );
    assert_eq!(
        numbers["842473082888"].route,
        Some(NumberRoute::Queue("support".to_owned()))
    );
    assert_eq!(numbers["842473082999"].route, None);
}

#[test]
fn every_rule_violation_is_reported_at_once() {
    let err = normalise(&raw("rule-violations.json"), &all()).unwrap_err();
    let Error::Live(problems) = &err else {
        panic!("expected Error::Live, got {err:?}");
    };
    assert!(problems.len() > 15, "{err}");
    insta::assert_snapshot!("rule_violations", err.to_string());
}

#[test]
fn a_scoped_read_fills_only_its_kinds_but_keeps_the_ids_it_read() {
    let raw = raw("brownfield.json");
    let live = normalise(&raw, &[ReadScope::Numbers].into_iter().collect()).unwrap();
    assert_eq!(live.model.numbers.len(), 3);
    assert!(live.model.queues.is_empty() && live.model.ivr.is_empty());
    assert!(live.model.agents.is_empty() && live.model.settings.is_none());
    assert_eq!(
        live.ids
            .objects
            .keys()
            .filter(|a| a.kind() == Kind::Queue)
            .count(),
        3,
        "queue ids are read to name routes"
    );
    assert_eq!(
        live.model.numbers["842473082888"].route,
        Some(NumberRoute::Queue("support".to_owned()))
    );
}

/// The brownfield project plus two groups named `hr-temp` (alice in one, the support queue
/// routed to the other), two queues named `overflow` (routed to sales-en), and, when `nodes`,
/// two nodes named `language` in the main tree.
fn with_duplicates(nodes: bool) -> RawLive {
    let mut v: serde_json::Value = serde_json::from_str(&fixture("brownfield.json")).unwrap();
    let group = |id: &str| serde_json::json!({"id": id, "name": "hr-temp"});
    for id in ["GR_HR1", "GR_HR2"] {
        v["groups"].as_array_mut().unwrap().push(group(id));
    }
    v["members"]["GR_HR1"] = serde_json::json!([
        {"agent_id": "AG_ALICE0000000001", "group_id": "GR_HR1"}
    ]);
    v["routings"]["QU_SUPPORT0000002"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"id": "RO_HR", "queue_id": "QU_SUPPORT0000002", "group_id": "GR_HR2", "primary_group": 0}));
    for id in ["QU_OVER1", "QU_OVER2"] {
        v["queues"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"id": id, "name": "overflow"}));
        v["routings"][id] = serde_json::json!([
            {"id": format!("RO_{id}"), "queue_id": id, "group_id": "GR_SALESEN0000001", "primary_group": 1}
        ]);
    }
    if nodes {
        let tree = v["nodes"]["TR_MAIN0000000001"].as_array_mut().unwrap();
        let mut twin = tree[0].clone();
        twin["id"] = "NO_TWIN".into();
        tree.push(twin);
    }
    serde_json::from_value(v).unwrap()
}

#[test]
fn duplicate_names_may_be_set_aside_whole_with_what_they_use() {
    let raw = with_duplicates(false);
    let (live, aside) = normalise_setting_aside(&raw, &all(), &|_| true).unwrap();
    let named: Vec<String> = aside.iter().map(ToString::to_string).collect();
    assert_eq!(
        named,
        [
            "group `hr-temp` (GR_HR1, GR_HR2): 2 objects share this name; switchboard needs it \
             unique (rename or delete all but one)",
            "queue `overflow` (QU_OVER1, QU_OVER2): 2 objects share this name; switchboard \
             needs it unique (rename or delete all but one)",
        ]
    );
    assert_eq!(aside[0].uses, Some(vec![Address::Agent("alice".into())]));
    assert_eq!(aside[1].uses, Some(vec![Address::Group("sales-en".into())]));
    // Left out whole: no model entry, no id to act on.
    assert!(!live.model.groups.contains_key("hr-temp"));
    assert!(!live.model.queues.contains_key("overflow"));
    assert!(live.ids.get(&Address::Group("hr-temp".into())).is_none());
    // What refers to them stays, by name: the routing belongs to the group set aside.
    assert!(live.model.queues["support"].routing.contains_key("hr-temp"));
    // The rest is the project as a plain read gives it.
    let plain = read("brownfield.json");
    assert_eq!(live.model.agents, plain.model.agents);
    assert_eq!(live.model.ivr, plain.model.ivr);

    // Without consent, or with consent for one only, the read fails naming the others.
    let err = normalise(&raw, &all()).unwrap_err().to_string();
    assert!(err.contains("2 places"), "{err}");
    let err = normalise_setting_aside(&raw, &all(), &|a| a.kind() == Kind::Group)
        .unwrap_err()
        .to_string();
    assert!(err.contains("in 1 place"), "{err}");
    assert!(
        err.contains("queue `overflow` (QU_OVER1, QU_OVER2)"),
        "{err}"
    );
}

#[test]
fn a_duplicate_node_is_never_set_aside() {
    let raw = with_duplicates(true);
    let err = normalise_setting_aside(&raw, &all(), &|_| true).unwrap_err();
    let Error::Live(problems) = &err else {
        panic!("{err:?}");
    };
    assert_eq!(problems.len(), 1, "{err}");
    assert_eq!(problems[0].subject.kind(), Kind::IvrNode);
    assert_eq!(problems[0].uses, None);
}

/// Server ids go into URL paths (`PUT /v1/agent/{id}`, `DELETE /v1/group/{id}`): two objects
/// of a kind that share one would each take the other's writes (and the reader kept only the
/// last, so that an agent vanished from the read and its memberships moved to the other), and
/// an id that is empty, `.` or `..` names another path (`DELETE /v1/group/..` is `DELETE
/// /v1/`). A PCC that answers such ids fails the read, naming them, and nothing is set aside.
#[test]
fn server_ids_that_cannot_name_one_object_fail_the_read() {
    let mut v: serde_json::Value = serde_json::from_str(&fixture("brownfield.json")).unwrap();
    // bob takes alice's id; a group's id is `..`; a node's id is `.`.
    v["agents"][1]["id"] = "AG_ALICE0000000001".into();
    v["groups"][1]["id"] = "..".into();
    let tree = v["nodes"]["TR_MAIN0000000001"].as_array_mut().unwrap();
    tree[2]["id"] = ".".into();
    // A blacklist entry's id is `..` too.
    v["blacklist"] = serde_json::json!([{"id": "..", "number": "+84379361752", "ivr_blocked": 1}]);
    let raw: RawLive = serde_json::from_value(v).unwrap();
    let err = normalise_setting_aside(&raw, &all(), &|_| true).unwrap_err();
    let Error::Live(problems) = err else {
        panic!("not a live problem: {err}");
    };
    let ours: Vec<String> = problems
        .iter()
        .map(ToString::to_string)
        .filter(|p| p.contains("server id"))
        .collect();
    assert_eq!(
        ours,
        [
            "agent `alice, bob` (AG_ALICE0000000001): 2 objects share the server id \
             `AG_ALICE0000000001`: a write to one would land on another",
            "blacklist `+84379361752` (..): its server id `..` cannot name it in a request's \
             URL path",
            "group `support` (..): its server id `..` cannot name it in a request's URL path",
            "ivr_node `spanish` (.): its server id `.` cannot name it in a request's URL path",
        ],
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .all(|p| p.uses.is_none() || !p.to_string().contains("server id"))
    );
}
