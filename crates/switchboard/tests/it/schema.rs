//! `switchboard schema` and the committed schema file.

use crate::{root, stdout, switchboard};

#[test]
fn committed_schema_is_up_to_date() {
    let output = switchboard(&root(), &["schema"]);
    assert!(output.status.success());
    let committed = std::fs::read_to_string(root().join("schema/switchboard.schema.json"))
        .expect("schema/switchboard.schema.json is committed");
    assert!(
        stdout(&output) == committed,
        "schema/switchboard.schema.json is out of date; regenerate it with\n\n    cargo run -- schema > schema/switchboard.schema.json\n"
    );
}

#[test]
fn schema_rejects_unknown_keys_and_lists_every_section() {
    let output = switchboard(&root(), &["schema"]);
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(schema["additionalProperties"], false);
    let sections: Vec<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        sections,
        [
            "agents", "audio", "groups", "ignore", "ivr", "numbers", "queues", "safety",
            "settings", "tests", "version"
        ]
    );
    // Editors offer the IVR keys.
    let keys = &schema["$defs"]["Node"]["properties"]["keys"];
    assert!(keys.to_string().contains("\"timeout\""), "{keys}");
}

#[test]
fn examples_point_editors_at_the_schema() {
    for entry in std::fs::read_dir(root().join("examples")).unwrap() {
        let dir = entry.unwrap().path();
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "yaml") {
                let text = std::fs::read_to_string(&file).unwrap();
                assert!(
                    text.starts_with(
                        "# yaml-language-server: $schema=../../schema/switchboard.schema.json\n"
                    ),
                    "{} lacks the schema line",
                    file.display()
                );
            }
        }
    }
}
