//! Saved plans (`plan --out`) and the per-object stale check of `apply FILE`.

use planner::{Error, Object, StaleReason, already_applied, apply_to, plan, saved, stale};
use spec::Address;
use spec::model::{NumberRoute, Prompt};

use crate::fixture;

fn addr(s: &str) -> Address {
    s.parse().unwrap()
}

#[test]
fn a_saved_plan_reads_back_identical() {
    for case in [
        "create_everything",
        "start_node_change",
        "ignore_patterns",
        "audio",
        "moved",
    ] {
        let c = fixture::case(case);
        let p = plan(&c.desired, &c.live, &c.policy);
        let text = saved::to_json(&p);
        let back = saved::from_json(&text).unwrap();
        assert_eq!(back, p, "{case}");
        assert_eq!(saved::to_json(&back), text, "{case}: not byte-stable");
    }
}

#[test]
fn a_saved_plan_holds_what_apply_needs_without_the_spec() {
    let c = fixture::case("audio");
    let p = plan(&c.desired, &c.live, &c.policy);
    let doc: serde_json::Value = serde_json::from_str(&saved::to_json(&p)).unwrap();
    assert_eq!(doc["format_version"], "2.3");
    // What `apply` computes the guards again from.
    assert_eq!(
        doc["plan"]["safety"]["thresholds"]["max_delete_percent"],
        25
    );
    assert_eq!(doc["plan"]["safety"]["declares_nothing"], false);
    let upload = doc["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["address"] == "audio.hold-music")
        .expect("the upload is a step");
    assert_eq!(upload["action"], "create");
    assert_eq!(upload["after"]["audio"]["file"], "audio/hold-music.wav");
    assert_eq!(
        upload["after"]["audio"]["id"],
        "sha256:e8b22d83b417e85ba4f24101a49a49cc3246a5e5e4ce6574623063e4e32801e0"
    );
}

#[test]
fn another_major_version_is_refused() {
    let c = fixture::case("update_in_place");
    let p = plan(&c.desired, &c.live, &c.policy);
    // 1.x plans carry no thresholds for the guards and no integrity digest: refused.
    for version in ["1.2", "3.0"] {
        let text = saved::to_json(&p).replace(
            &format!("\"format_version\": \"{}\"", saved::FORMAT_VERSION),
            &format!("\"format_version\": \"{version}\""),
        );
        let err = saved::from_json(&text).unwrap_err();
        assert!(matches!(err, Error::UnsupportedVersion { ref found, .. } if found == version));
        assert_eq!(
            err.to_string(),
            format!(
                "saved plan has format_version `{version}`, and this switchboard reads 2.x; plan \
                 again with this version"
            )
        );
    }
}

#[test]
fn a_broken_file_says_where() {
    let err =
        saved::from_json("{\"format_version\": \"2.0\",\n  \"plan\": {\"steps\": 3}}").unwrap_err();
    let Error::Malformed { line, .. } = err else {
        panic!("expected Malformed, got {err:?}");
    };
    assert_eq!(line, 2);
    assert!(
        err.to_string()
            .starts_with("saved plan is not readable at line 2"),
        "{err}"
    );
}

/// A plan edited by hand (or damaged) so that its steps no longer hold together is refused
/// whole: `apply` must not run half of it, out of order.
#[test]
fn an_inconsistent_plan_is_refused_whole() {
    let c = fixture::case("members_and_routing");
    let p = plan(&c.desired, &c.live, &c.policy);
    let doc: serde_json::Value = serde_json::from_str(&saved::to_json(&p)).unwrap();
    let n = doc["plan"]["steps"].as_array().unwrap().len();
    let (create, delete) = {
        let steps = doc["plan"]["steps"].as_array().unwrap();
        let find = |action: &str| {
            steps
                .iter()
                .position(|s| s["action"] == action)
                .expect("the case has this action")
        };
        (find("create"), find("delete"))
    };
    let edit = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut doc = doc.clone();
        change(&mut doc["plan"]["steps"]);
        saved::from_json(&doc.to_string()).unwrap_err().to_string()
    };

    let err = edit(&|steps| steps[create]["depends_on"] = serde_json::json!([n + 5]));
    assert!(
        err.starts_with(&format!("saved plan is inconsistent: steps[{create}] (")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "waits for steps[{}], which is not an earlier step",
            n + 5
        )),
        "{err}"
    );
    let err = edit(&|steps| steps[create]["depends_on"] = serde_json::json!([create]));
    assert!(err.contains("which is not an earlier step"), "{err}");
    let err = edit(&|steps| steps[create]["after"] = serde_json::Value::Null);
    assert!(
        err.contains("is a create without an `after` value"),
        "{err}"
    );
    let err = edit(&|steps| steps[delete]["before"] = serde_json::Value::Null);
    assert!(
        err.contains("is a delete without a `before` value"),
        "{err}"
    );
    let err = edit(&|steps| {
        steps[create]["after"] = serde_json::json!({"number": {
            "nickname": null, "route": null, "allow_outbound_calls": false,
            "record_outbound_calls": false}})
    });
    assert!(err.contains("has a number value as `after`"), "{err}");
    assert!(
        err.ends_with("make it again with `switchboard plan --out`"),
        "{err}"
    );

    // The untouched document still reads.
    assert_eq!(saved::from_json(&doc.to_string()).unwrap(), p);
}

/// Every step must be covered by the stale check: a step added by hand, a `before` changed by
/// hand, or a delete whose referrers were taken out is refused, naming the step.
#[test]
fn a_step_the_stale_check_does_not_cover_is_refused() {
    let c = fixture::case("members_and_routing");
    let p = plan(&c.desired, &c.live, &c.policy);
    let doc: serde_json::Value = serde_json::from_str(&saved::to_json(&p)).unwrap();
    let steps = doc["plan"]["steps"].as_array().unwrap();
    let delete = steps.iter().position(|s| s["action"] == "delete").unwrap();
    let update = steps.iter().position(|s| s["action"] == "update");
    let edit = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut doc = doc.clone();
        change(&mut doc["plan"]);
        saved::from_json(&doc.to_string()).unwrap_err().to_string()
    };

    // A delete of an agent the plan never read.
    let n = steps.len();
    let err = edit(&|plan| {
        plan["steps"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
                "address": "agent.zoe", "action": "delete",
                "before": {"agent": {"name": "Zoe", "routing": "app", "phone_number": null}},
                "after": null, "changed_fields": [], "depends_on": []
            }))
    });
    assert_eq!(
        err,
        format!(
            "saved plan is inconsistent: steps[{n}] (agent.zoe) is not covered by the stale \
             check (its object is not in `reads.touched`); make it again with `switchboard plan \
             --out`"
        )
    );
    // Its read made up too, but no referrers.
    let err = edit(&|plan| {
        let before =
            serde_json::json!({"agent": {"name": "Zoe", "routing": "app", "phone_number": null}});
        let object: Object = serde_json::from_value(before.clone()).unwrap();
        plan["reads"]["touched"]["agent.zoe"] = planner::fingerprint(&object).into();
        plan["steps"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
                "address": "agent.zoe", "action": "delete", "before": before,
                "after": null, "changed_fields": [], "depends_on": []
            }))
    });
    assert!(
        err.contains(
            "(agent.zoe) is a delete not covered by the stale check (not in `reads.referrers`)"
        ),
        "{err}"
    );
    // A delete's referrers taken out (so that a new user would go unnoticed).
    let address = steps[delete]["address"].as_str().unwrap().to_owned();
    let err = edit(&|plan| {
        plan["reads"]["referrers"]
            .as_object_mut()
            .unwrap()
            .remove(&address);
    });
    assert!(
        err.contains(&format!(
            "steps[{delete}] ({address}) is a delete not covered"
        )),
        "{err}"
    );
    // A step whose `before` is not what was read: the stale check would compare the live
    // object with something else than what the step was planned from.
    let err = edit(&|plan| {
        plan["reads"]["touched"][address.as_str()] = "0".repeat(64).into();
    });
    assert!(
        err.contains(&format!(
            "steps[{delete}] ({address}) does not match what the plan read"
        )),
        "{err}"
    );
    if let Some(update) = update {
        let address = steps[update]["address"].as_str().unwrap().to_owned();
        let err = edit(&|plan| {
            plan["reads"]["touched"]
                .as_object_mut()
                .unwrap()
                .remove(&address);
        });
        assert!(err.contains("is not covered by the stale check"), "{err}");
    }
}

/// `apply` computes the guards again from the steps and the live project: a verdict emptied
/// in the file, or object counts raised in it, change nothing.
#[test]
fn the_guards_are_computed_again_whatever_the_file_says() {
    let c = fixture::case("destroy_everything");
    let p = plan(&c.desired, &c.live, &c.policy);
    assert!(p.refused(), "the case trips guards");
    let expected = p.safety.clone();
    let mut edited = p.clone();
    edited.safety.violations.clear();
    for n in edited.existing.values_mut() {
        *n *= 1000;
    }
    assert!(!edited.refused());
    assert_eq!(planner::recheck(&edited, &c.live), expected);
    // Objects that appeared live since do not dilute the share deleted either.
    let mut grown = c.live.clone();
    for i in 0..1000 {
        grown.agents.insert(
            format!("new-{i}"),
            spec::model::Agent {
                name: "New".into(),
                routing: spec::model::AgentRouting::App,
                phone_number: None,
                out_of_hours_callout: None,
            },
        );
    }
    let mut cleared = p.clone();
    cleared.safety.violations.clear();
    assert_eq!(
        planner::recheck(&cleared, &grown).violations,
        expected.violations
    );
    // A safe plan stays safe.
    let c = fixture::case("update_in_place");
    let p = plan(&c.desired, &c.live, &c.policy);
    assert_eq!(planner::recheck(&p, &c.live), p.safety);
}

#[test]
fn an_unchanged_live_project_is_not_stale() {
    for case in [
        "update_in_place",
        "destroy_everything",
        "members_and_routing",
        "audio",
    ] {
        let c = fixture::case(case);
        let p = plan(&c.desired, &c.live, &c.policy);
        assert_eq!(stale(&p, &c.live), vec![], "{case}");
    }
}

#[test]
fn stale_names_exactly_the_touched_objects_that_changed() {
    let c = fixture::case("update_in_place");
    let p = plan(&c.desired, &c.live, &c.policy);
    let mut now = c.live.clone();
    // Touched by the plan: reported.
    now.queues.get_mut("support").unwrap().wrap_up_time_limit = 45;
    now.agents.remove("dan");
    // Not touched by the plan: free to change.
    now.agents.get_mut("alice").unwrap().name = "Alice N.".into();
    now.queues.get_mut("sales-en").unwrap().wrap_up_time_limit = 99;
    let found = stale(&p, &now);
    let got: Vec<(String, StaleReason)> = found
        .iter()
        .map(|s| (s.address.to_string(), s.why.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("agent.dan".to_owned(), StaleReason::Vanished),
            ("queue.support".to_owned(), StaleReason::Changed),
        ]
    );
    assert_eq!(
        found[1].to_string(),
        "queue.support changed since the plan was made"
    );
}

/// A plan applied once, then applied again, is stale on every object; it says so plainly.
#[test]
fn a_plan_already_applied_is_recognised_as_such() {
    for case in [
        "create_everything",
        "destroy_everything",
        "update_in_place",
        "start_node_change",
        "members_and_routing",
        "audio",
    ] {
        let c = fixture::case(case);
        let p = plan(&c.desired, &c.live, &c.policy);
        let after = apply_to(&p, &c.live);
        assert!(!stale(&p, &after).is_empty(), "{case}");
        assert!(already_applied(&p, &after), "{case}");
        assert!(!already_applied(&p, &c.live), "{case}: not applied yet");
    }
    // Applied, then a touched object changed again: stale, but not "already applied".
    let c = fixture::case("update_in_place");
    let p = plan(&c.desired, &c.live, &c.policy);
    let mut after = apply_to(&p, &c.live);
    after.queues.get_mut("support").unwrap().wrap_up_time_limit = 45;
    assert!(!already_applied(&p, &after));
    let empty = plan(
        &Default::default(),
        &Default::default(),
        &Default::default(),
    );
    assert!(!already_applied(&empty, &Default::default()));
}

#[test]
fn an_object_created_meanwhile_makes_its_create_stale() {
    let c = fixture::case("ivr_cycle");
    let p = plan(&c.desired, &c.live, &c.policy);
    let mut now = c.live.clone();
    now.numbers.insert(
        "842473082999".into(),
        spec::model::Number {
            nickname: None,
            route: Some(NumberRoute::Queue("support".into())),
            allow_outbound_calls: false,
            record_outbound_calls: false,
            all_groups_can_call_out: None,
        },
    );
    let found = stale(&p, &now);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].address, addr("number.842473082999"));
    assert_eq!(found[0].why, StaleReason::Appeared);
}

#[test]
fn a_new_user_of_a_deleted_object_makes_the_delete_stale() {
    let c = fixture::case("repoint_number");
    let p = plan(&c.desired, &c.live, &c.policy);
    let mut now = c.live.clone();
    // Someone points another number at the tree the plan deletes.
    now.numbers.insert(
        "842473082777".into(),
        spec::model::Number {
            nickname: None,
            route: Some(NumberRoute::Ivr("old".into())),
            allow_outbound_calls: false,
            record_outbound_calls: false,
            all_groups_can_call_out: None,
        },
    );
    let found = stale(&p, &now);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].address, addr("ivr_tree.old"));
    assert_eq!(
        found[0].why,
        StaleReason::NewReferrer(addr("number.842473082777"))
    );
}

#[test]
fn an_untouched_object_the_plan_needs_going_makes_it_stale() {
    let c = fixture::case("members_and_routing");
    let p = plan(&c.desired, &c.live, &c.policy);
    let mut now = c.live.clone();
    // membership.support/alice needs agent alice, which the plan does not touch.
    now.agents.remove("alice");
    let found = stale(&p, &now);
    assert!(
        found
            .iter()
            .any(|s| s.address == addr("agent.alice") && s.why == StaleReason::RequiredGone),
        "{found:?}"
    );
}

#[test]
fn fingerprints_cover_the_values_the_plan_compares() {
    let c = fixture::case("update_in_place");
    let p = plan(&c.desired, &c.live, &c.policy);
    let node = addr("ivr_node.main/english");
    let recorded = p.reads.touched[&node].clone().expect("the node was live");
    let before = p
        .steps
        .iter()
        .find(|s| s.address == node)
        .and_then(|s| s.before.clone())
        .unwrap();
    assert_eq!(planner::fingerprint(&before), recorded);
    let Object::IvrNode { start, mut node } = before else {
        panic!("a node step holds a node")
    };
    node.prompt = Prompt::Say {
        text: "something else".into(),
        voice: spec::model::DEFAULT_VOICE.into(),
        speed: 0,
    };
    assert_ne!(
        planner::fingerprint(&Object::IvrNode { start, node }),
        recorded
    );
}

#[test]
fn a_rename_is_stale_when_its_old_name_went_or_its_new_name_came() {
    let c = fixture::case("moved");
    let p = plan(&c.desired, &c.live, &c.policy);
    let saved = saved::to_json(&p);
    assert!(
        saved.contains("\"moved_from\": \"group.support\""),
        "the step carries its old address"
    );
    assert_eq!(stale(&p, &c.live), vec![], "nothing changed");

    // Renamed by someone else meanwhile: the old name is gone.
    let mut gone = c.live.clone();
    let g = gone.groups.remove("support").unwrap();
    gone.groups.insert("support-2".into(), g);
    for q in gone.queues.values_mut() {
        if let Some(r) = q.routing.remove("support") {
            q.routing.insert("support-2".into(), r);
        }
    }
    let found = stale(&p, &gone);
    assert_eq!(found[0].address, addr("group.support"), "{found:?}");
    assert_eq!(found[0].why, StaleReason::Vanished);
    assert!(
        found
            .iter()
            .all(|s| s.address != addr("group.support-team")),
        "said once, at the old name: {found:?}"
    );

    // The new name was taken meanwhile: two groups would share it.
    let mut taken = c.live.clone();
    taken
        .groups
        .insert("support-team".into(), Default::default());
    let found = stale(&p, &taken);
    assert_eq!(found[0].address, addr("group.support-team"), "{found:?}");
    assert_eq!(found[0].why, StaleReason::Appeared);

    // A member added to the renamed group meanwhile is a change to an object it touches: the
    // plan deletes membership.support-team/dave, read under the group's new name.
    let mut changed = c.live.clone();
    changed
        .groups
        .get_mut("support")
        .unwrap()
        .agents
        .remove("dave");
    let found = stale(&p, &changed);
    assert_eq!(
        found.iter().map(|s| s.address.clone()).collect::<Vec<_>>(),
        [addr("membership.support-team/dave")]
    );

    // Applied, by this run or another: recognised.
    assert!(already_applied(&p, &apply_to(&p, &c.live)));
}

#[test]
fn a_move_whose_two_names_are_live_is_not_made_and_says_why() {
    let c = fixture::case("moved");
    let mut live = c.live.clone();
    live.groups
        .insert("support-team".into(), Default::default());
    let p = plan(&c.desired, &live, &c.policy);
    assert!(
        p.steps
            .iter()
            .all(|s| s.address != addr("group.support-team") || s.moved_from.is_none())
    );
    let deletes: Vec<String> = p
        .steps
        .iter()
        .filter(|s| s.action == planner::Action::Delete)
        .map(|s| s.address.to_string())
        .collect();
    assert!(deletes.contains(&"group.support".to_owned()), "{deletes:?}");
    assert_eq!(
        p.warnings
            .iter()
            .map(ToString::to_string)
            .filter(|w| w.contains("not moved"))
            .collect::<Vec<_>>(),
        [
            "group.support is not moved to group.support-team: both exist live, so \
          group.support-team is the live one and group.support is planned like any object \
          outside the spec; one of them must go"
        ]
    );
}

#[test]
fn a_move_that_ignore_covers_is_not_made() {
    let c = fixture::case("moved");
    let mut policy = c.policy.clone();
    policy.ignore.push("queue.support".into());
    let p = plan(&c.desired, &c.live, &policy);
    assert!(
        p.steps
            .iter()
            .all(|s| s.moved_from != Some(addr("queue.support")))
    );
    assert!(
        p.warnings.iter().any(|w| w.to_string()
            == "queue.support is not moved to queue.helpdesk: `queue.support` in `ignore:` \
                covers it, and ignored objects are never changed"),
        "{:?}",
        p.warnings
    );
    assert!(
        p.steps.iter().all(|s| s.address != addr("queue.support")),
        "the ignored queue is left alone"
    );
}

#[test]
fn a_move_to_an_ignored_name_leaves_the_old_object_alone() {
    // The entry says `queue.support` is `queue.helpdesk`; `ignore:` covers the new name. The
    // move is not made, and the old queue must not be deleted (with its routings) in its
    // place: the entry ties the two names to one object, which `ignore:` now covers.
    let c = fixture::case("moved");
    let mut policy = c.policy.clone();
    policy.ignore.push("queue.help*".into());
    let p = plan(&c.desired, &c.live, &policy);
    assert!(
        p.warnings.iter().any(|w| w.to_string()
            == "queue.support is not moved to queue.helpdesk: `queue.help*` in `ignore:` \
                covers it, and ignored objects are never changed"),
        "{:?}",
        p.warnings
    );
    let touched: Vec<String> = p
        .steps
        .iter()
        .map(|s| s.address.to_string())
        .filter(|a| a == "queue.support" || a.starts_with("routing.support/"))
        .collect();
    assert_eq!(
        touched,
        Vec::<String>::new(),
        "the old queue and what it owns are left alone"
    );
    let ignored: Vec<String> = p
        .ignored
        .iter()
        .filter(|i| i.address == addr("queue.support"))
        .map(|i| i.because.to_string())
        .collect();
    assert_eq!(
        ignored,
        ["moved to queue.helpdesk by `moved:`, and `queue.help*` in `ignore:` covers that name"]
    );

    // The next plan, with the new queue made, still leaves the old one alone.
    let p2 = plan(&c.desired, &apply_to(&p, &c.live), &policy);
    assert!(
        p2.steps.iter().all(|s| s.address != addr("queue.support")),
        "{}",
        planner::render::text(&p2, false)
    );
}
