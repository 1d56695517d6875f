//! `switchboard schema` and the committed schema file.

use std::path::Path;

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
    // The sections the loader knows (spec::sniff's test checks them against RawSpec's schema).
    assert_eq!(sections, spec::SECTIONS);
    // Editors offer the IVR keys.
    let keys = &schema["$defs"]["Node"]["properties"]["keys"];
    assert!(keys.to_string().contains("\"timeout\""), "{keys}");
}

/// Every YAML file under `examples/` starts with the schema line, its path relative to the file.
#[test]
fn examples_point_editors_at_the_schema() {
    fn check(dir: &Path, depth: usize, seen: &mut usize) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                check(&path, depth + 1, seen);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                let text = std::fs::read_to_string(&path).unwrap();
                let line = format!(
                    "# yaml-language-server: $schema={}schema/switchboard.schema.json\n",
                    "../".repeat(depth + 1)
                );
                assert!(
                    text.starts_with(&line),
                    "{} should start with {line}",
                    path.display()
                );
                *seen += 1;
            }
        }
    }
    let mut seen = 0;
    check(&root().join("examples"), 0, &mut seen);
    assert!(seen > 5, "only {seen} example files");
}
