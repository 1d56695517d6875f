//! Telling a YAML file that is clearly not a spec (a CI workflow, a Compose file, a
//! Kubernetes manifest) from a spec file, so that loading a directory can skip the first
//! with a note instead of failing on its keys.

use std::collections::BTreeMap;

/// The top-level keys of a spec file (`RawSpec`'s fields; a test keeps the two equal).
pub const SECTIONS: [&str; 16] = [
    "agents",
    "audio",
    "blacklist",
    "environments",
    "groups",
    "ignore",
    "ivr",
    "lint",
    "moved",
    "numbers",
    "project_id",
    "queues",
    "safety",
    "settings",
    "tests",
    "version",
];

/// The top-level keys of `text` when it is clearly not a spec: a YAML mapping none of whose
/// keys is a spec's section or a likely misspelling of one (`agnets`). `version` alone does
/// not make a spec (Compose files have one). `None` for anything that may be a spec, including
/// what does not parse and what is not a mapping (the loader then says what is wrong with it):
/// a spec file must never be skipped because of a typo.
pub fn foreign_keys(text: &str) -> Option<Vec<String>> {
    // Most spec files name a section at the start of a line: no need to parse them twice.
    let names_a_section = text.lines().any(|line| {
        SECTIONS
            .iter()
            .any(|s| *s != "version" && line.strip_prefix(s).is_some_and(|r| r.starts_with(':')))
    });
    if names_a_section {
        return None;
    }
    let top: BTreeMap<String, serde::de::IgnoredAny> = serde_saphyr::from_str(text).ok()?;
    let keys: Vec<String> = top.into_keys().collect();
    let foreign = keys.iter().filter(|k| *k != "version");
    let mut any = false;
    for key in foreign {
        any = true;
        if SECTIONS.iter().any(|section| close(key, section)) {
            return None;
        }
    }
    any.then_some(keys)
}

/// The same key, or one a typo away (`queus`, `agnets`, `Numbers`). Short sections allow one
/// edit only: `kind` (Kubernetes) is two from `lint`.
fn close(key: &str, section: &str) -> bool {
    let key = key.to_lowercase();
    let allowed = if section.len() <= 4 { 1 } else { 2 };
    strsim::damerau_levenshtein(&key, section) <= allowed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sections_are_the_spec_schemas_top_level_keys() {
        let schema = crate::json_schema();
        let schema: serde_json::Value = serde_json::from_str(&schema).unwrap();
        let mut properties: Vec<&str> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        properties.sort_unstable();
        let mut sections = SECTIONS.to_vec();
        sections.sort_unstable();
        assert_eq!(properties, sections);
    }

    #[test]
    fn other_tools_yaml_is_foreign() {
        let workflow = "name: CI\non:\n  push: {}\njobs:\n  test:\n    runs-on: ubuntu-latest\n";
        assert_eq!(
            foreign_keys(workflow),
            Some(vec!["jobs".into(), "name".into(), "on".into()])
        );
        let compose = "version: \"3.8\"\nservices:\n  web: { image: nginx }\nvolumes: {}\n";
        assert!(foreign_keys(compose).is_some());
        let k8s = "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\ndata: {}\n";
        assert!(foreign_keys(k8s).is_some());
        let dependabot = "version: 2\nupdates:\n  - package-ecosystem: cargo\n";
        assert!(foreign_keys(dependabot).is_some());
    }

    #[test]
    fn specs_and_misspelt_specs_are_not() {
        for text in [
            "agents:\n  alice: { name: Alice }\n",
            "version: 1\n",
            "{version: 1, groups: {sales: {}}}\n",
            "agnets:\n  alice: { name: Alice }\n",
            "Queues: {}\n",
            "queus: {}\n",
            "ivrs: {}\n",
            "numbrs: {}\n",
            "",
            "# only a comment\n",
            "- agents\n- groups\n",
            "just a scalar\n",
            "key: [unclosed\n",
            "{}\n",
        ] {
            assert_eq!(foreign_keys(text), None, "{text:?}");
        }
    }
}
