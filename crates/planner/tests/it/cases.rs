//! Every case in `test_data/<case>/` is planned and rendered (text, JSON, Markdown, drift,
//! and the step order with its dependencies), and snapshotted. Every case's plan must also run
//! against the reference-checking store without a refusal and converge: planning again
//! afterwards finds nothing to do.

use std::fmt::Write;

use planner::{Plan, apply_to, plan, render};

use crate::fixture;
use crate::store::{Store, run_in_order};

/// The steps in order, one a line, with what each waits for.
pub fn steps(plan: &Plan) -> String {
    let mut out = String::new();
    for (i, s) in plan.steps.iter().enumerate() {
        let action = format!("{:?}", s.action).to_lowercase();
        let replace = if s.replace.is_some() {
            " (replace)"
        } else {
            ""
        };
        let _ = write!(out, "#{i:<3} {action:<6} {}{replace}", s.address);
        if !s.depends_on.is_empty() {
            let deps: Vec<String> = s.depends_on.iter().map(|d| format!("#{d}")).collect();
            let _ = write!(out, "  after {}", deps.join(" "));
        }
        out.push('\n');
    }
    out
}

#[test]
fn cases() {
    insta::glob!("../../test_data", "*/desired.yaml", |path| {
        let dir = path.parent().unwrap();
        let name = dir.file_name().unwrap().to_str().unwrap().to_owned();
        let case = fixture::load(dir);
        let p = plan(&case.desired, &case.live, &case.policy);

        // Ordering: PCC's reference rules hold at every step.
        let mut store = Store::new(&case.live);
        let order: Vec<usize> = (0..p.steps.len()).collect();
        if let Err(e) = run_in_order(&mut store, &p.steps, &order) {
            panic!("{name}: {e}");
        }
        let after = store.into_model();
        let again = plan(&case.desired, &after, &case.policy);
        assert!(
            again.is_empty(),
            "{name}: not converged:\n{}",
            render::text(&again, false)
        );
        assert_eq!(
            after,
            apply_to(&p, &case.live),
            "{name}: apply_to disagrees with the store"
        );

        // One address, one object: a create, a kept file and an ignored object never share
        // an address (audio re-uploaded under a name once used for other content, say).
        let mut seen = std::collections::BTreeSet::new();
        let addresses = p
            .changes()
            .into_iter()
            .map(|c| c.address.clone())
            .chain(p.kept.iter().map(|k| k.address.clone()))
            .chain(p.ignored.iter().map(|i| i.address.clone()));
        for address in addresses {
            assert!(
                seen.insert(address.clone()),
                "{name}: {address} is two objects"
            );
        }

        insta::with_settings!({ snapshot_suffix => name.as_str(), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("text", render::text(&p, false));
            insta::assert_snapshot!("steps", steps(&p));
            insta::assert_snapshot!("json", render::json(&p));
            insta::assert_snapshot!("markdown", render::markdown(&p));
            insta::assert_snapshot!("drift", render::drift_text(&p, false));
        });
    });
}

/// A name holding `/` is written `%2F` in addresses, but an `ignore:` pattern may write it as
/// the name is written: either way the object is protected, never deleted.
#[test]
fn an_ignore_pattern_may_write_a_slash_in_a_name_as_is() {
    let here = std::path::Path::new("inline");
    let live = fixture::model(
        "agents:\n  \"hr/ann\": { name: Ann }\n  keep: { name: Keep }\ngroups:\n  \"sales/en\": { agents: [\"hr/ann\"] }\n",
        here,
    );
    let desired = fixture::model("agents:\n  keep: { name: Keep }\n", here);
    for patterns in [
        "ignore: [\"agent.hr/*\", \"group.sales/en\"]",
        "ignore: [\"agent.hr%2F*\", \"group.sales%2Fen\"]",
    ] {
        let policy = fixture::policy(patterns, here);
        let p = plan(&desired, &live, &policy);
        assert!(
            p.steps.is_empty(),
            "{patterns}:\n{}",
            render::text(&p, false)
        );
        let ignored: Vec<String> = p.ignored.iter().map(|i| i.address.to_string()).collect();
        assert_eq!(
            ignored,
            [
                "agent.hr%2Fann",
                "group.sales%2Fen",
                "membership.sales%2Fen/hr%2Fann"
            ],
            "{patterns}"
        );
    }
}

/// A live audio file whose address needs its content id is still protected by a pattern
/// written with the name recorded at upload.
#[test]
fn an_audio_pattern_matches_the_recorded_name() {
    let case = fixture::case("audio_names");
    let policy = fixture::policy("ignore: [audio.promo]", std::path::Path::new("inline"));
    let p = plan(&case.desired, &case.live, &policy);
    let ignored: Vec<String> = p.ignored.iter().map(|i| i.address.to_string()).collect();
    assert_eq!(
        ignored,
        [
            "audio.promo@sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
            "audio.promo@sha256:fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9",
        ]
    );
    // The new upload named like the old file is neither ignored nor kept; the old one is kept.
    let kept: Vec<String> = p.kept.iter().map(|k| k.address.to_string()).collect();
    assert_eq!(
        kept,
        [
            "audio.welcome-es@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        ]
    );
    assert_eq!(p.summary().add, 1);
    assert_eq!(p.existing[&spec::Kind::Audio], 1);
}

/// Audio the spec names by server file or content hash, with no `file:` to upload, is
/// missing when the live project lacks it; audio with a `file:` and audio the project holds
/// are not.
#[test]
fn pre_uploaded_audio_the_project_lacks_is_missing() {
    let at = std::path::Path::new("inline");
    let desired = fixture::model(
        r#"
audio:
  "server:HOLD-1.mp3": { name: hold }
  "server:LIVE-2.mp3": { name: live-one }
  "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08": { name: exported }
  "sha256:11507a0e2f5e69d5dfa40a62a1bd7b6ee57e6bcd85c67c9b8431b36fff21c437": { name: fresh, file: audio/fresh.mp3 }
"#,
        at,
    );
    let live = fixture::model(
        r#"audio: { "server:LIVE-2.mp3": { name: LIVE-2.mp3 } }"#,
        at,
    );
    let missing: Vec<String> = planner::missing_audio(&desired, &live)
        .into_iter()
        .map(|(name, id)| format!("{name} {id}"))
        .collect();
    assert_eq!(
        missing,
        [
            "exported sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "hold server:HOLD-1.mp3",
        ]
    );
    assert!(planner::missing_audio(&desired, &desired).is_empty());
}

/// The undocumented fields real clients set are managed only when the spec sets them: left
/// unset they never differ, whatever PCC holds, and an update of another field sends back
/// what PCC holds; set, they differ like any field; a create leaves them out.
#[test]
fn fields_the_spec_leaves_unset_are_not_managed() {
    let at = std::path::Path::new("inline");
    let live = fixture::model(
        r#"
agents: { alice: { name: Alice, out_of_hours_callout: true } }
queues: { support: { overflow_after: 15, sla_target_percent: 80, sla_answered_within: 20 } }
numbers: { "842473082686": { route: { queue: support }, all_groups_can_call_out: false } }
"#,
        at,
    );
    let unset = fixture::model(
        r#"
agents: { alice: { name: Alice } }
queues: { support: {} }
numbers: { "842473082686": { route: { queue: support } } }
"#,
        at,
    );
    let p = plan(&unset, &live, &spec::Policy::default());
    assert!(p.is_empty(), "{}", render::text(&p, false));

    // Another field changes: the update carries what PCC holds, so nothing is reset.
    let mut renamed = unset.clone();
    renamed.agents.get_mut("alice").unwrap().name = "Alice Nguyen".to_owned();
    renamed
        .queues
        .get_mut("support")
        .unwrap()
        .wrap_up_time_limit = 30;
    let p = plan(&renamed, &live, &spec::Policy::default());
    let changed: Vec<(String, Vec<String>)> = p
        .steps
        .iter()
        .map(|s| (s.address.to_string(), s.changed_fields.clone()))
        .collect();
    assert_eq!(
        changed,
        [
            ("agent.alice".to_owned(), vec!["name".to_owned()]),
            (
                "queue.support".to_owned(),
                vec!["wrap_up_time_limit".to_owned()]
            ),
        ]
    );
    assert_eq!(
        apply_to(&p, &live).queues["support"].overflow_after,
        Some(15)
    );
    assert_eq!(
        apply_to(&p, &live).agents["alice"].out_of_hours_callout,
        Some(true)
    );

    // Set in the spec, they are managed.
    let set = fixture::model(
        r#"
agents: { alice: { name: Alice, out_of_hours_callout: false } }
queues: { support: { overflow_after: 30, sla_target_percent: 80, sla_answered_within: 20 } }
numbers: { "842473082686": { route: { queue: support }, all_groups_can_call_out: true } }
"#,
        at,
    );
    let p = plan(&set, &live, &spec::Policy::default());
    let changed: Vec<(String, Vec<String>)> = p
        .steps
        .iter()
        .map(|s| (s.address.to_string(), s.changed_fields.clone()))
        .collect();
    assert_eq!(
        changed,
        [
            (
                "agent.alice".to_owned(),
                vec!["out_of_hours_callout".to_owned()]
            ),
            (
                "queue.support".to_owned(),
                vec!["overflow_after".to_owned()]
            ),
            (
                "number.842473082686".to_owned(),
                vec!["all_groups_can_call_out".to_owned()]
            ),
        ]
    );

    // Created unset, they are left to PCC.
    let p = plan(&unset, &spec::Model::default(), &spec::Policy::default());
    let queue = p
        .steps
        .iter()
        .find(|s| s.address.to_string() == "queue.support")
        .unwrap();
    assert!(
        !queue
            .changed_fields
            .iter()
            .any(|f| f.starts_with("sla") || f == "overflow_after")
    );
}

/// A live object the read set aside (two groups named `hr-temp`, covered by `ignore:`) is
/// listed as ignored with its problem; what it owns is ignored, what it uses is kept, and a
/// spec that declares it does not create it.
#[test]
fn a_set_aside_object_is_ignored_with_what_it_owns_and_keeps_what_it_uses() {
    let here = std::path::Path::new("inline");
    let live = fixture::model(
        "agents: { alice: { name: Alice }, bob: { name: Bob } }\n\
         groups: { sales: { agents: [alice] } }\n\
         queues: { support: { routing: { sales: { primary: true }, hr-temp: { primary: false } } } }\n",
        here,
    );
    let desired = fixture::model(
        "agents: { alice: { name: Alice } }\n\
         groups: { sales: { agents: [alice] } }\n\
         queues: { support: { routing: { sales: { primary: true } } } }\n",
        here,
    );
    let policy = fixture::policy("ignore: [group.hr-temp]", here);
    let aside = planner::SetAside {
        address: spec::Address::Group("hr-temp".into()),
        pattern: "group.hr-temp".into(),
        problem: "2 objects share this name (GR_1, GR_2)".into(),
        uses: vec![spec::Address::Agent("bob".into())],
    };
    let p = planner::plan_setting_aside(&desired, &live, &policy, std::slice::from_ref(&aside));
    assert!(p.is_empty(), "{}", render::text(&p, false));
    let ignored: Vec<(String, String)> = p
        .ignored
        .iter()
        .map(|i| (i.address.to_string(), i.because.to_string()))
        .collect();
    assert_eq!(
        ignored,
        [
            (
                "group.hr-temp".to_owned(),
                "matches `group.hr-temp`, and cannot be read: 2 objects share this name (GR_1, \
                 GR_2)"
                    .to_owned()
            ),
            (
                "routing.support/hr-temp".to_owned(),
                "belongs to ignored group.hr-temp".to_owned()
            ),
        ]
    );
    let kept: Vec<(String, String)> = p
        .kept
        .iter()
        .map(|k| (k.address.to_string(), k.because.to_string()))
        .collect();
    assert_eq!(
        kept,
        [(
            "agent.bob".to_owned(),
            "ignored group.hr-temp still uses it".to_owned()
        )]
    );

    // Not set aside, the same read would delete the routing and the agent.
    let plain = plan(&desired, &live, &policy);
    let deleted: Vec<String> = plain.steps.iter().map(|s| s.address.to_string()).collect();
    assert_eq!(deleted, ["routing.support/hr-temp", "agent.bob"]);

    // A spec that declares the group does not create a third one: it is left alone, loudly.
    let mut declares = desired.clone();
    declares.groups.insert("hr-temp".into(), Default::default());
    let p = planner::plan_setting_aside(&declares, &live, &policy, &[aside]);
    assert!(p.is_empty(), "{}", render::text(&p, false));
    assert_eq!(
        p.warnings,
        [planner::Warning::DeclaredButIgnored {
            address: spec::Address::Group("hr-temp".into())
        }]
    );
}

/// A `moved:` entry whose old name the live read set aside (two live groups share it) cannot
/// be made; the plan says why instead of skipping it without a word, and touches neither.
#[test]
fn a_move_from_a_set_aside_name_is_not_made_and_says_why() {
    let here = std::path::Path::new("inline");
    let live = fixture::model(
        "agents: { alice: { name: Alice } }\n\
         groups: { sales: { agents: [alice] } }\n",
        here,
    );
    let desired = fixture::model(
        "agents: { alice: { name: Alice } }\n\
         groups: { sales: { agents: [alice] }, hr: {} }\n",
        here,
    );
    let mut policy = fixture::policy("ignore: [group.hr-temp]", here);
    policy.moved.push(spec::policy::Moved {
        kind: spec::Kind::Group,
        from: "hr-temp".into(),
        to: "hr".into(),
    });
    let aside = planner::SetAside {
        address: spec::Address::Group("hr-temp".into()),
        pattern: "group.hr-temp".into(),
        problem: "2 objects share this name (GR_1, GR_2)".into(),
        uses: vec![],
    };
    let p = planner::plan_setting_aside(&desired, &live, &policy, std::slice::from_ref(&aside));
    let warnings: Vec<String> = p.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "group.hr-temp is not moved to group.hr: `group.hr-temp` in `ignore:` covers it, and \
          ignored objects are never changed"
        ]
    );
    let steps: Vec<String> = p.steps.iter().map(|s| s.address.to_string()).collect();
    assert_eq!(
        steps,
        ["group.hr"],
        "the new name is created; the set-aside pair is left alone"
    );
}
