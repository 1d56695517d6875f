//! Values that hold credentials (webhook URLs with a password or a token): compared by their
//! real value, shown and saved redacted, stale-checked through digests, and filled back in
//! only from the same field of the same object.

use planner::{Action, StaleReason, fill_sensitive, plan, render, revealed, saved, stale};
use spec::Address;
use spec::Policy;
use spec::model::{CallSettings, Model, Queue, Sensitive};

const LIVE_URL: &str = "https://ops:hunter2@crm.example.com/events?token=SECRETVALUE&team=1";
const SPEC_URL: &str = "https://ops:hunter2@crm.example.com/events?token=OTHERSECRET&team=1";
const SECRETS: [&str; 3] = ["hunter2", "SECRETVALUE", "OTHERSECRET"];

fn with_settings(event_url: &str) -> Model {
    let queue = Queue {
        get_list_agents_url: Some(Sensitive::new(
            "https://crm.example.com/agents?api_key=QUEUEKEY",
        )),
        ..Queue::default()
    };
    Model {
        settings: Some(CallSettings {
            event_url: Some(Sensitive::new(event_url)),
            ..CallSettings::default()
        }),
        queues: [("support".to_owned(), queue)].into(),
        ..Model::default()
    }
}

#[test]
fn a_changed_token_is_a_change_shown_without_the_token() {
    let (desired, live) = (with_settings(SPEC_URL), with_settings(LIVE_URL));
    let p = plan(&desired, &live, &Policy::default());
    assert_eq!(p.steps.len(), 1, "only the token differs: one update");
    assert_eq!(p.steps[0].address, Address::Settings);
    assert_eq!(p.steps[0].action, Action::Update);
    assert_eq!(p.steps[0].changed_fields, ["event_url"]);
    let text = render::text(&p, false);
    for (format, out) in [
        ("text", text.clone()),
        ("markdown", render::markdown(&p)),
        ("json", render::json(&p)),
        ("drift", render::drift_text(&p, false)),
        ("drift markdown", render::drift_markdown(&p)),
        ("drift json", render::drift_json(&p)),
        ("saved", saved::to_json(&p)),
    ] {
        for secret in SECRETS {
            assert!(!out.contains(secret), "{format} shows {secret}:\n{out}");
        }
    }
    let line = text.lines().find(|l| l.contains("event_url")).unwrap();
    insta::assert_snapshot!(line.trim(), @r#"~ event_url = "https://(sensitive:e6b97713)@crm.example.com/events?token=(sensitive:[-7d39b682-]{+e4c6a498+})&team=1""#);

    // The same value on both sides is no change, whatever it holds.
    assert!(plan(&live, &live, &Policy::default()).is_empty());
}

#[test]
fn a_saved_plan_holds_digests_and_its_stale_check_still_sees_a_new_token() {
    let (desired, live) = (with_settings(SPEC_URL), with_settings(LIVE_URL));
    let p = plan(&desired, &live, &Policy::default());
    let text = saved::to_json(&p);
    for secret in SECRETS {
        assert!(!text.contains(secret), "the saved plan holds {secret}");
    }
    let back = saved::from_json(&text).unwrap();
    assert_eq!(back, p, "equal by digest");
    assert!(stale(&back, &live).is_empty());
    // Someone changes the live token after planning: only its digest tells.
    let now = with_settings(&LIVE_URL.replace("SECRETVALUE", "ROTATED"));
    let found = stale(&back, &now);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].why, StaleReason::Changed);
}

#[test]
fn a_saved_plan_gets_its_values_back_only_from_the_same_field_of_the_same_object() {
    let (desired, live) = (with_settings(SPEC_URL), with_settings(LIVE_URL));
    let p = plan(&desired, &live, &Policy::default());
    let back = saved::from_json(&saved::to_json(&p)).unwrap();
    assert!(!planner::all_known(&back));

    // Not from the live project (it holds the old value), nor from another field or object
    // holding the planned value: a plan edited to send a token elsewhere finds nothing.
    let mut elsewhere = with_settings(LIVE_URL);
    elsewhere.settings.as_mut().unwrap().get_customer_info_url = Some(Sensitive::new(SPEC_URL));
    elsewhere
        .queues
        .get_mut("support")
        .unwrap()
        .get_list_agents_url = Some(Sensitive::new(SPEC_URL));
    let mut filled = back.clone();
    let missing = fill_sensitive(&mut filled, &[&live, &elsewhere]);
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert_eq!(missing[0].field, "event_url");
    assert!(!missing[0].to_string().contains("OTHERSECRET"));

    // From the spec it was made from: the real value again.
    let missing = fill_sensitive(&mut filled, &[&live, &desired]);
    assert!(missing.is_empty(), "{missing:?}");
    assert!(planner::all_known(&filled));
    let after = filled.steps[0].after.as_ref().unwrap();
    assert_eq!(
        after.sensitive_fields()[0].1.expose(),
        Some(SPEC_URL),
        "the value apply writes"
    );
}

#[test]
fn a_revealed_plan_shows_the_values_and_still_saves_them_redacted() {
    let p = plan(
        &with_settings(SPEC_URL),
        &with_settings(LIVE_URL),
        &Policy::default(),
    );
    let shown = revealed(&p);
    let text = render::text(&shown, false);
    assert!(
        text.contains("OTHERSECRET") && text.contains("SECRETVALUE"),
        "{text}"
    );
    let saved = saved::to_json(&shown);
    for secret in SECRETS {
        assert!(!saved.contains(secret), "{secret}");
    }
}
