//! SARIF 2.1.0 (OASIS), the format GitHub code scanning and other dashboards read: one run of
//! the tool `switchboard`, one rule per code with its help from docs/codes.md, one result per
//! problem with its region, and the problems `lint.allow` accepts as suppressed results
//! (`suppressions`, `inSource`, the reason as `justification`).

use serde_json::{Value, json};
use spec::Loaded;
use spec::diagnostic::{RULES, Rule};

use super::{Finding, Place, findings, level};
use crate::specfile::Sources;

/// docs/codes.md, one `## `code`` section per rule: the rules' help.
const CODES: &str = include_str!("../../../../docs/codes.md");

/// The SARIF document for `loaded`. `docs_url` is where docs/codes.md is published (a rule's
/// `helpUri` is it with `#code`); without it, rules carry their help text only.
pub fn render(loaded: &Loaded, sources: &Sources, docs_url: Option<&str>) -> String {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|rule| descriptor(rule, docs_url))
        .collect();
    let results: Vec<Value> = findings(loaded, sources).iter().map(result).collect();
    let document = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "switchboard",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    let mut out = spec::text::json(serde_json::to_string_pretty(&document).expect("SARIF is JSON"));
    out.push('\n');
    out
}

/// A rule: its code, one line saying what it finds, the docs' first paragraph and whole
/// section as help, its default level, and whether `lint:` may change it.
fn descriptor(rule: &Rule, docs_url: Option<&str>) -> Value {
    let section = section(rule.code);
    let full = section
        .as_deref()
        .and_then(first_paragraph)
        .unwrap_or_else(|| rule.summary().to_owned());
    let help = section.unwrap_or_else(|| rule.summary().to_owned());
    let mut descriptor = json!({
        "id": rule.code,
        "name": camel(rule.code),
        "shortDescription": { "text": rule.summary() },
        "fullDescription": { "text": full },
        "help": { "text": help, "markdown": help },
        "defaultConfiguration": { "level": level(rule.default) },
        "properties": {
            "tags": ["switchboard"],
            "tunable": rule.tunable,
        },
    });
    if let Some(base) = docs_url {
        descriptor["helpUri"] = json!(format!("{base}#{}", rule.code));
    }
    descriptor
}

/// `no-fallback` → `NoFallback`: SARIF's `name` is an identifier.
fn camel(code: &str) -> String {
    code.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// The section of docs/codes.md about `code`, without its heading.
pub fn section(code: &str) -> Option<String> {
    let heading = format!("## `{code}`");
    let start = CODES.lines().position(|line| line == heading)?;
    let body: Vec<&str> = CODES
        .lines()
        .skip(start + 1)
        .take_while(|line| !line.starts_with("## "))
        .collect();
    Some(body.join("\n").trim().to_owned())
}

fn first_paragraph(section: &str) -> Option<String> {
    section
        .split("\n\n")
        .map(str::trim)
        .find(|p| !p.is_empty() && !p.starts_with('|') && !p.starts_with('*'))
        .map(|p| p.replace('\n', " "))
}

fn result(finding: &Finding<'_>) -> Value {
    let diagnostic = finding.diagnostic;
    let rule_index = RULES
        .iter()
        .position(|rule| rule.code == diagnostic.code)
        .expect("every code has a rule");
    let mut result = json!({
        "ruleId": diagnostic.code,
        "ruleIndex": rule_index,
        "level": level(diagnostic.severity),
        "message": { "text": super::full_text(diagnostic) },
        "locations": [location(&finding.at, None)],
        "partialFingerprints": { "switchboard/v1": finding.fingerprint },
    });
    // Accepted by `lint.allow`, which is written in the spec (the analysed source), with the
    // reason given.
    if let (Some(allowed), Some(at)) = (&diagnostic.allowed_by, &finding.allowed_at) {
        result["suppressions"] = json!([{
            "kind": "inSource",
            "status": "accepted",
            "justification": allowed.reason,
            "location": location(at, Some("lint.allow")),
        }]);
    }
    if !finding.related.is_empty() {
        result["relatedLocations"] = finding
            .related
            .iter()
            .enumerate()
            .map(|(i, (place, text))| {
                let mut location = location(place, Some(text));
                location["id"] = json!(i + 1);
                location
            })
            .collect();
    }
    result
}

fn location(place: &Place, text: Option<&str>) -> Value {
    let mut location = json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri(&place.path) },
            "region": {
                "startLine": place.line,
                "startColumn": place.column,
                "endLine": place.end_line,
                "endColumn": place.end_column,
            }
        }
    });
    if let Some(text) = text.filter(|t| !t.is_empty()) {
        location["message"] = json!({ "text": text });
    }
    location
}

/// A path as a relative URI reference: each byte outside RFC 3986's unreserved characters
/// (and `/`) percent-encoded, so that a file named `a b#c.yaml` is one path, not a path and a
/// fragment.
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_encode_what_would_end_a_path() {
        assert_eq!(uri("team a/ivr#1.yaml"), "team%20a/ivr%231.yaml");
        assert_eq!(uri("100%/é.yaml"), "100%25/%C3%A9.yaml");
        assert_eq!(uri("ok/main-1_x.yaml"), "ok/main-1_x.yaml");
    }

    #[test]
    fn rule_names_are_identifiers() {
        assert_eq!(camel("no-fallback"), "NoFallback");
        assert_eq!(camel("yaml"), "Yaml");
    }
}
