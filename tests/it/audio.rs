//! Audio switchboard cannot upload: a `server_file:` or `sha256:` entry the project does not
//! hold stops `plan`, `drift` and `apply` before any write, whether written by hand or by
//! `export` for another project; `examples/midsize`, which uploads its own files, applies to an
//! empty project and plans clean afterwards.

use e2e::{Pcc, Workdir};

/// The midsize example, as a user would copy it, from an empty project to a re-plan with
/// nothing to do, every audio file uploaded once.
#[test]
fn midsize_applies_from_empty_to_a_clean_replan() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.copy_example("midsize");
    let out = work
        .switchboard(["apply", "midsize", "--auto-approve"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    assert!(out.stdout.contains("Apply complete!"), "{out}");
    assert!(!out.stdout.contains("failed"), "{out}");
    assert_eq!(pcc.state()["greetingFiles"].as_array().unwrap().len(), 3);
    let again = work
        .switchboard(["plan", "midsize", "--detailed-exitcode"])
        .against(&pcc)
        .run();
    again.assert_code(0);
    assert!(again.stdout.contains("No changes."), "{again}");
}

/// Pre-uploaded audio the project lacks: every command that plans says where it is written and
/// what to do, exits 1, and writes nothing.
#[test]
fn pre_uploaded_audio_the_project_lacks_stops_every_plan_before_any_write() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.copy_example("midsize");
    let queues = work.read("midsize/queues.yaml");
    work.write(
        "midsize/queues.yaml",
        &queues.replace(
            "hold-music: { file: audio/hold-music.mp3 }",
            "hold-music: { server_file: HOLDMUSIC01-1700000000000.mp3 }",
        ),
    );
    for args in [
        vec!["plan", "midsize"],
        vec!["drift", "midsize"],
        vec!["apply", "midsize", "--auto-approve"],
    ] {
        let out = work.switchboard(&args).against(&pcc).run();
        out.assert_code(1);
        insta::assert_snapshot!(
            format!("missing_audio_{}", args[0]),
            out.stderr.lines().skip(1).collect::<Vec<_>>().join("\n")
        );
    }
    assert_eq!(pcc.stats().writes, 0);
    // Once the project holds it (uploaded some other way), the same spec plans.
    let bytes = std::fs::read(work.join("midsize/audio/hold-music.mp3")).unwrap();
    let name = pcc.upload("", &bytes);
    work.write(
        "midsize/queues.yaml",
        &queues.replace(
            "hold-music: { file: audio/hold-music.mp3 }",
            &format!("hold-music: {{ server_file: {name} }}"),
        ),
    );
    work.switchboard(["plan", "midsize"])
        .against(&pcc)
        .run()
        .assert_code(0);
}

/// An export names its audio by content hash: applied to another, empty project, it is
/// refused the same way, naming the exported file.
#[test]
fn an_export_applied_to_an_empty_project_names_the_audio_to_upload() {
    let source = Pcc::start();
    let work = Workdir::new();
    work.copy_example("hotline");
    work.switchboard(["apply", "hotline", "--auto-approve"])
        .against(&source)
        .run()
        .assert_code(0);
    work.switchboard(["export", "--out", "cc"])
        .against(&source)
        .run()
        .assert_code(0);

    let empty = Pcc::start();
    let out = work
        .switchboard(["apply", "cc", "--auto-approve"])
        .against(&empty)
        .run();
    out.assert_code(1);
    insta::assert_snapshot!(out.stderr.lines().skip(1).collect::<Vec<_>>().join("\n"));
    assert_eq!(empty.stats().writes, 0);
}
