//! Data-driven tests: every file (or directory of files) under `test_data/ok` loads without
//! errors and its model is snapshotted; every one under `test_data/err` fails to load and its
//! diagnostics are snapshotted. Plus the emit round trip.

use std::fmt::Write;
use std::path::Path;

use crate::{Source, load};

mod address;
mod env;
mod expressible;
mod roundtrip;

/// The sources of a fixture: one file, or every YAML file of a directory, sorted. Paths are
/// shown relative to `test_data`.
fn sources(path: &Path) -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data");
    let mut files = Vec::new();
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            let file = entry.unwrap().path();
            if file.extension().is_some_and(|e| e == "yaml") {
                files.push(file);
            }
        }
        files.sort();
    } else {
        files.push(path.to_path_buf());
    }
    files
        .iter()
        .map(|file| Source {
            path: file.strip_prefix(&root).unwrap().display().to_string(),
            text: std::fs::read_to_string(file).unwrap(),
        })
        .collect()
}

/// Stands in for the binary's SHA-256 of an audio file: a fixed hex string per path, for
/// files that exist next to the fixture.
fn fake_hash(fixture: &Path) -> impl Fn(&str) -> Result<String, String> + use<> {
    let dir = if fixture.is_dir() {
        fixture.to_path_buf()
    } else {
        fixture.parent().unwrap().to_path_buf()
    };
    move |path: &str| {
        if !dir.join(path).is_file() {
            return Err("no such file".to_owned());
        }
        // FNV-1a, spread over 64 hex digits: distinct per path, stable across runs.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in path.bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        Ok(format!("{hash:016x}").repeat(4))
    }
}

fn render(diagnostics: &[crate::Diagnostic]) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        writeln!(out, "{diagnostic}\n").unwrap();
    }
    out.push_str(&crate::diagnostic::summary(diagnostics));
    out
}

#[test]
fn ok_fixtures_load_and_their_models_match() {
    insta::glob!("../test_data", "ok/*", |path| {
        let loaded = load(&sources(path), &fake_hash(path));
        let Some(spec) = &loaded.spec else {
            panic!(
                "{} should load without errors:\n{}",
                path.display(),
                render(&loaded.diagnostics)
            );
        };
        let mut out = String::new();
        writeln!(out, "---- diagnostics\n{}\n", render(&loaded.diagnostics)).unwrap();
        if !loaded.allowed.is_empty() {
            writeln!(out, "---- allowed\n{}\n", render(&loaded.allowed)).unwrap();
        }
        writeln!(
            out,
            "---- model\n{}\n",
            serde_json::to_string_pretty(&spec.model).unwrap()
        )
        .unwrap();
        writeln!(out, "---- tests").unwrap();
        for test in &spec.tests {
            writeln!(
                out,
                "{}:{}:{} {:?} dials {} presses {:?} expects {}",
                test.location.file,
                test.location.line,
                test.location.column,
                test.name,
                test.number,
                test.keys,
                test.expect
            )
            .unwrap();
        }
        writeln!(
            out,
            "\n---- policy\n{}",
            serde_json::to_string_pretty(&spec.policy).unwrap()
        )
        .unwrap();
        insta::assert_snapshot!(out);
    });
}

#[test]
fn err_fixtures_fail_with_diagnostics_that_name_file_line_and_thing() {
    insta::glob!("../test_data", "err/*", |path| {
        let loaded = load(&sources(path), &fake_hash(path));
        assert!(
            loaded.spec.is_none() && loaded.errors() > 0,
            "{} should not load:\n{}",
            path.display(),
            render(&loaded.diagnostics)
        );
        for diagnostic in &loaded.diagnostics {
            let label = &diagnostic.labels[0];
            assert!(label.line >= 1 && label.column >= 1 && !label.file.is_empty());
        }
        insta::assert_snapshot!(render(&loaded.diagnostics));
    });
}

fn load_fixture(name: &str) -> crate::Spec {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("test_data")
        .join(name);
    let loaded = load(&sources(&path), &fake_hash(&path));
    loaded.spec.expect("the fixture is valid")
}

#[test]
fn emit_writes_one_file_per_kind_without_defaults() {
    let spec = load_fixture("ok/every_field.yaml");
    let files = crate::emit(&spec.model, "../schema/switchboard.schema.json");
    let mut out = String::new();
    for (name, text) in &files {
        writeln!(out, "==== {name}\n{text}").unwrap();
    }
    insta::assert_snapshot!(out);
}

#[test]
fn walk_reports_where_a_broken_live_flow_stops() {
    use crate::flow::{End, WalkError, walk};
    use crate::model::NumberRoute;

    let mut model = load_fixture("ok/design_sketch").model;
    let hotline = "842473082686";
    assert_eq!(
        walk(&model, "849", "").end,
        End::Error(WalkError::UnknownNumber)
    );
    assert_eq!(
        walk(&model, hotline, "1*x").end,
        End::Error(WalkError::NotAKey('x'))
    );

    model.ivr.get_mut("main").unwrap().nodes.remove("english");
    let broken = walk(&model, hotline, "12");
    assert_eq!(
        broken.end,
        End::Error(WalkError::UnknownNode {
            tree: "main".to_owned(),
            node: "english".to_owned()
        })
    );
    assert_eq!(broken.steps.len(), 1, "the start menu was heard");

    model.numbers.get_mut(hotline).unwrap().route = Some(NumberRoute::Ivr("gone".to_owned()));
    assert_eq!(
        walk(&model, hotline, "").end,
        End::Error(WalkError::UnknownTree("gone".to_owned()))
    );
    model.numbers.get_mut(hotline).unwrap().route = None;
    assert_eq!(
        walk(&model, hotline, "").end,
        End::Error(WalkError::NoRoute)
    );
}

#[test]
fn walk_records_each_menu_and_the_branch_taken() {
    use crate::flow::{End, walk};
    use crate::model::{Key, KeyAction};

    let model = load_fixture("ok/design_sketch").model;
    let walked = walk(&model, "842473082686", "71");
    let taken: Vec<(&str, Option<char>, Option<Key>)> = walked
        .steps
        .iter()
        .map(|s| (s.node.as_str(), s.pressed, s.branch))
        .collect();
    assert_eq!(
        taken,
        [
            ("language", Some('7'), Some(Key::Invalid)),
            ("language", Some('1'), Some(Key::D1)),
            ("english", None, Some(Key::Timeout)),
        ]
    );
    assert_eq!(walked.steps[2].action, Some(KeyAction::Hangup));
    assert_eq!(walked.end, End::Hangup);
    assert_eq!(
        walked.path(),
        "main/language [7: invalid] -> main/language [1] -> main/english [silence] -> hang up"
    );
}

#[test]
fn audio_digest_is_the_sha256_of_the_bytes_however_they_are_fed() {
    use crate::model::AudioDigest;
    // The FIPS 180-2 test vector: a digest that is not SHA-256 (or not lower-case hex) fails.
    let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    assert_eq!(AudioDigest::of(b"abc"), abc);
    let mut chunked = AudioDigest::new();
    for chunk in [&b"a"[..], b"", b"bc"] {
        chunked.update(chunk);
    }
    assert_eq!(chunked.finish(), abc);
}
