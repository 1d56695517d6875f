//! `validate --format github` against hostile input: names, references and file names that
//! hold `::`, `%`, `,`, `:` and line breaks (and a `lint.allow` reason holding them) are
//! written escaped by GitHub's rules, so that
//! every line the runner reads as a command is one of ours, and decodes back to what was
//! meant. (The harness lets workflow commands through only for this format, and only
//! escaped annotations: `e2e::annotation`.)

use e2e::{Workdir, annotation};

#[test]
fn hostile_names_and_paths_neither_end_nor_forge_an_annotation() {
    let work = Workdir::new();
    // A file name with every property delimiter; names with the command delimiters; a
    // reference (never a definition, so never refused as a name) with a line break that
    // would start a forged command.
    let file = "team,a:b%2C::x.yaml";
    work.write(
        format!("cc/{file}"),
        concat!(
            "agents:\n",
            "  \"a::b%0A,c:d\": { name: Agent }\n",
            "groups:\n",
            "  \"g::warning::x\": { agents: [\"a::b%0A,c:d\", \"ghost\\r\\n::error file=x::forged\"] }\n",
            "  \"empty%25::\": { agents: [] }\n",
            "lint:\n",
            "  allow:\n",
            "    - { rule: empty-group, address: \"group.empty*\", reason: \"ok\\r\\n::error::forged 100%\" }\n",
        ),
    );
    let out = work
        .switchboard(["validate", "cc", "--format", "github"])
        .run();
    out.assert_code(1);
    let commands: Vec<_> = out.stdout.lines().filter(|l| l.starts_with("::")).collect();
    let decoded: Vec<_> = commands
        .iter()
        .map(|line| annotation(line).unwrap_or_else(|| panic!("not an annotation: {line:?}")))
        .collect();
    // One annotation per problem: the unknown reference and the empty group; nothing forged.
    let titles: Vec<_> = decoded
        .iter()
        .map(|a| a.property("title").unwrap())
        .collect();
    assert_eq!(
        titles,
        ["unknown-reference", "empty-group (allowed)"],
        "{out}"
    );
    assert_eq!(out.stdout.lines().count(), 3, "{out}");
    for (annotation, line) in decoded.iter().zip(["4", "5"]) {
        assert_eq!(annotation.property("file"), Some(&*format!("cc/{file}")));
        assert_eq!(annotation.property("line"), Some(line), "{annotation:?}");
    }
    assert_eq!(decoded[0].kind, "error");
    // The reference decodes to exactly what was written: its line break is a line break
    // inside the annotation's text (GitHub shows it there), never the end of the command.
    assert_eq!(
        decoded[0].message,
        "agent `ghost\r\n::error file=x::forged` does not exist\nhelp: define it under `agents:`"
    );
    assert!(
        decoded[1].message.contains("group `empty%25::`"),
        "{:?}",
        decoded[1].message
    );
    // Accepted by `lint.allow`: a notice, whose hostile reason decodes back as written.
    assert_eq!(decoded[1].kind, "notice");
    assert!(
        decoded[1].message.ends_with(&format!(
            "allowed by `lint.allow` (cc/{file}:8:7): ok\r\n::error::forged 100%"
        )),
        "{:?}",
        decoded[1].message
    );
    assert_eq!(
        out.stdout.lines().last(),
        Some("1 error, 0 warnings (1 allowed by `lint.allow`)")
    );
}
