//! Test fixtures: models and policies written in the serde shape of `spec::Model` and
//! `spec::Policy`, with the fields the spec would default left out (filled in here, so that a
//! fixture says only what matters to its case).

use std::path::Path;

use serde_json::{Map, Value, json};
use spec::model::{CallSettings, DEFAULT_VOICE, Model, Queue};
use spec::{Policy, policy::Safety};

fn fill(target: &mut Value, defaults: &Value) {
    if let (Value::Object(t), Value::Object(d)) = (target, defaults) {
        for (k, v) in d {
            t.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
}

fn each_entry(v: &mut Value, key: &str, mut f: impl FnMut(&mut Value)) {
    if let Some(Value::Object(map)) = v.get_mut(key) {
        for entry in map.values_mut() {
            f(entry);
        }
    }
}

fn yaml(text: &str, what: &Path) -> Value {
    let v: Value = serde_saphyr::from_str(text)
        .unwrap_or_else(|e| panic!("{}: not YAML: {e}", what.display()));
    if v.is_null() { json!({}) } else { v }
}

/// A model from fixture YAML.
pub fn model(text: &str, what: &Path) -> Model {
    let mut v = yaml(text, what);
    fill(
        &mut v,
        &json!({"audio": {}, "agents": {}, "groups": {}, "queues": {}, "ivr": {}, "numbers": {}}),
    );
    if let Some(settings) = v.get_mut("settings")
        && settings.is_object()
    {
        fill(
            settings,
            &serde_json::to_value(CallSettings::default()).unwrap(),
        );
    }
    each_entry(&mut v, "agents", |a| fill(a, &json!({"routing": "app"})));
    each_entry(&mut v, "groups", |g| fill(g, &json!({"agents": []})));
    let queue = serde_json::to_value(Queue::default()).unwrap();
    each_entry(&mut v, "queues", |q| fill(q, &queue));
    each_entry(&mut v, "ivr", |tree| {
        fill(tree, &json!({"nodes": {}}));
        each_entry(tree, "nodes", |node| {
            fill(
                node,
                &json!({"barge_in": true, "loop_count": 1, "delay_ms": 0, "keypress_timeout": 5, "keys": {}}),
            );
            if let Some(say) = node.pointer_mut("/prompt/say") {
                fill(say, &json!({"voice": DEFAULT_VOICE, "speed": 0}));
            }
        });
    });
    each_entry(&mut v, "numbers", |n| {
        fill(
            n,
            &json!({"allow_outbound_calls": false, "record_outbound_calls": false}),
        )
    });
    serde_json::from_value(v).unwrap_or_else(|e| panic!("{}: not a model: {e}", what.display()))
}

/// A policy from fixture YAML.
pub fn policy(text: &str, what: &Path) -> Policy {
    let mut v = yaml(text, what);
    fill(&mut v, &json!({"ignore": [], "safety": {}}));
    if let Some(safety) = v.get_mut("safety") {
        fill(safety, &serde_json::to_value(Safety::default()).unwrap());
        if let Some(Value::Object(kinds)) = safety.get_mut("kinds") {
            for k in kinds.values_mut() {
                fill(k, &Value::Object(Map::new()));
            }
        }
    }
    serde_json::from_value(v).unwrap_or_else(|e| panic!("{}: not a policy: {e}", what.display()))
}

/// A fixture case: `test_data/<case>/{desired.yaml, live.yaml, policy.yaml?}`.
pub struct Case {
    pub desired: Model,
    pub live: Model,
    pub policy: Policy,
}

pub fn case_dir(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("test_data")
        .join(name)
}

pub fn load(dir: &Path) -> Case {
    let read = |file: &str| {
        let path = dir.join(file);
        std::fs::read_to_string(&path).ok().map(|text| (text, path))
    };
    let (desired, dp) = read("desired.yaml").expect("every case has desired.yaml");
    let (live, lp) = read("live.yaml").expect("every case has live.yaml");
    Case {
        desired: model(&desired, &dp),
        live: model(&live, &lp),
        policy: read("policy.yaml")
            .map(|(t, p)| policy(&t, &p))
            .unwrap_or_default(),
    }
}

/// Loads a case by name.
pub fn case(name: &str) -> Case {
    load(&case_dir(name))
}
