//! Checks for runs that went through faults or kills: no object exists twice.

use std::collections::BTreeMap;

use serde_json::Value;

/// Each kind in `GET /_emulator/state` and the fields that make its natural key.
const KEYS: [(&str, &[&str]); 10] = [
    ("agents", &["stringee_user_id"]),
    ("groups", &["name"]),
    ("groupAgents", &["group_id", "agent_id"]),
    ("queues", &["name"]),
    ("groupRoutings", &["queue_id", "group_id"]),
    ("ivrTrees", &["tree_name"]),
    ("ivrNodes", &["tree", "node_name"]),
    ("ivrNodeKeys", &["node", "node_key"]),
    ("numbers", &["number"]),
    ("greetingFiles", &["desc"]),
];

/// Every natural key that more than one object of the emulator's state holds, as
/// `agents stringee_user_id=alice: 2 objects`; empty when there is no duplicate.
pub fn duplicates(state: &Value) -> Vec<String> {
    let mut found = Vec::new();
    for (list, fields) in KEYS {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for object in state[list].as_array().into_iter().flatten() {
            let key: Vec<String> = fields
                .iter()
                .map(|f| {
                    let value = match &object[*f] {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    format!("{f}={value}")
                })
                .collect();
            *counts.entry(key.join(" ")).or_default() += 1;
        }
        for (key, n) in counts {
            if n > 1 {
                found.push(format!("{list} {key}: {n} objects"));
            }
        }
    }
    found
}

/// Objects in the emulator's state, kind by kind (`agents` → 5), for reports.
pub fn counts(state: &Value) -> BTreeMap<String, usize> {
    KEYS.iter()
        .map(|(list, _)| {
            (
                (*list).to_owned(),
                state[*list].as_array().map_or(0, Vec::len),
            )
        })
        .collect()
}
