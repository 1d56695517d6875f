//! Every diagnostic code is documented: docs/codes.md has a section per code (and none for a
//! code that does not exist) whose example, loaded on its own, reports that code, and whose
//! severity line says what the rule is, and (for a tunable code) which address `lint.allow`
//! matches its problem by; docs/spec.md's table lists every code.

use spec::diagnostic::RULES;

use crate::root;

/// docs/codes.md's sections: (code, body).
fn sections() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(root().join("docs/codes.md")).unwrap();
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("## ") {
            let code = rest.trim_matches('`').to_owned();
            out.push((code, String::new()));
        } else if let Some((_, body)) = out.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

/// The first ```yaml block of `body`.
fn example(body: &str) -> Option<&str> {
    let start = body.find("```yaml\n")? + "```yaml\n".len();
    let end = body[start..].find("```")?;
    Some(&body[start..start + end])
}

#[test]
fn every_code_has_a_section_whose_example_reports_it() {
    let sections = sections();
    let documented: Vec<&str> = sections.iter().map(|(code, _)| code.as_str()).collect();
    for rule in RULES {
        assert!(
            documented.contains(&rule.code),
            "docs/codes.md has no section `## \\`{}\\``",
            rule.code
        );
    }
    for (code, body) in &sections {
        let rule = RULES
            .iter()
            .find(|rule| rule.code == code)
            .unwrap_or_else(|| panic!("docs/codes.md documents `{code}`, which is no code"));
        let yaml = example(body).unwrap_or_else(|| panic!("`{code}` has no example"));
        let loaded = spec::load(
            &[spec::Source {
                path: "example.yaml".to_owned(),
                text: yaml.to_owned(),
            }],
            &|_| Err("no such file".to_owned()),
        );
        let codes: Vec<&str> = loaded.diagnostics.iter().map(|d| d.code).collect();
        assert!(
            codes.contains(&code.as_str()),
            "the example of `{code}` reports {codes:?}"
        );
        let kind = if rule.tunable { "tunable" } else { "fixed" };
        assert!(
            body.lines()
                .any(|line| line.ends_with(&format!("; {kind}."))
                    || line.contains(&format!("; {kind} where"))),
            "`{code}` is {kind}: its section must say so"
        );
        assert!(body.contains("\nFix: "), "`{code}` has no `Fix:` line");
        if rule.tunable {
            allow_is_documented(code, body, &loaded.diagnostics);
        }
    }
}

/// A tunable code's section says how to allow its problems: the address its example's problem
/// carries, written `` (`ivr_node.main/menu` here) ``, which is what `lint.allow` matches; or,
/// for a problem about no object, that no `allow` matches it.
fn allow_is_documented(code: &str, body: &str, diagnostics: &[spec::Diagnostic]) {
    let addresses: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.code == code)
        .filter_map(|d| d.address.as_ref().map(ToString::to_string))
        .collect();
    let claimed = body.find("` here)").map(|end| {
        let start = body[..end].rfind('`').expect("an opening backtick") + 1;
        &body[start..end]
    });
    match claimed {
        Some(address) => assert!(
            addresses.iter().any(|a| a == address),
            "`{code}`: docs/codes.md says its problem is at `{address}`; the example's is at \
             {addresses:?}"
        ),
        None => {
            assert!(
                body.contains("no `allow` matches it"),
                "`{code}` is tunable: its section must say which address to allow it by"
            );
            assert!(
                addresses.is_empty(),
                "`{code}`: docs/codes.md says no `allow` matches it, but it is at {addresses:?}"
            );
        }
    }
}

#[test]
fn the_spec_reference_lists_every_code() {
    let text = std::fs::read_to_string(root().join("docs/spec.md")).unwrap();
    for rule in RULES {
        assert!(
            text.contains(&format!("| [`{0}`](codes.md#{0}) |", rule.code)),
            "docs/spec.md's table of codes does not list `{}`",
            rule.code
        );
    }
}
