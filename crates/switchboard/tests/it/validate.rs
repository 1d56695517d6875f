//! `switchboard validate`: exit codes, rendered diagnostics, JSON output, directories.

use std::path::Path;

use crate::{copy, root, stdout, switchboard};

fn test_data() -> std::path::PathBuf {
    root().join("crates/spec/test_data")
}

#[test]
fn the_hotline_example_is_valid_even_with_strict() {
    let output = switchboard(&root(), &["validate", "examples/hotline", "--strict"]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("`examples/hotline` is valid"), "{text}");
    assert!(text.contains("flow tests passed"), "{text}");
}

/// `--env` on a spec without `environments:` is refused in one plain sentence (the message
/// once carried a run of spaces from a broken line continuation).
#[test]
fn an_env_for_a_spec_without_environments_is_refused_in_one_sentence() {
    let output = switchboard(
        &root(),
        &["validate", "examples/hotline", "--env", "staging"],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim_end(),
        "error: `--env staging` (or SWITCHBOARD_ENV) names an environment, but \
         `examples/hotline` declares no `environments:`"
    );
}

#[test]
fn every_example_is_valid_with_strict() {
    for entry in std::fs::read_dir(root().join("examples")).unwrap() {
        let dir = entry.unwrap().path();
        // examples/ci holds CI pipelines, not a spec (tested in ci.rs).
        if dir.ends_with("ci") {
            continue;
        }
        // examples/two-envs takes a secret from the environment, as CI would give it.
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(["validate", dir.to_str().unwrap(), "--strict"])
            .current_dir(root())
            .env("NO_COLOR", "1")
            .env("SWITCHBOARD_SECRET_CRM_EVENTS_TOKEN", "example-token")
            .env_remove("SWITCHBOARD_ENV")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    }
}

/// Without `--env`, every environment is checked in full, flow tests included; a problem of
/// one environment says which; a problem of all is reported once.
#[test]
fn validate_checks_every_environment_and_names_the_one_a_problem_is_in() {
    let dir = tempfile::tempdir().unwrap();
    copy(&root().join("examples/two-envs"), dir.path());
    // Production's hotline routes to the wrong place: only production's flow tests fail.
    let numbers = dir.path().join("envs/production/numbers.yaml");
    let text = std::fs::read_to_string(&numbers).unwrap();
    std::fs::write(
        &numbers,
        text.replace(
            "ivr: main, allow_outbound_calls",
            "queue: sales, allow_outbound_calls",
        ),
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["validate", "."])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env("SWITCHBOARD_SECRET_CRM_EVENTS_TOKEN", "tok")
        .env_remove("SWITCHBOARD_ENV")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(stdout(&output));
}

/// A command that needs one environment, given none, lists them; given one the spec does not
/// declare, says so and lists them.
#[test]
fn a_spec_with_environments_needs_one_and_the_error_lists_them() {
    for (args, env) in [
        (&["graph", "examples/two-envs"][..], None),
        (
            &["simulate", "examples/two-envs", "--number", "842400000001"][..],
            Some("prod"),
        ),
    ] {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"));
        command
            .args(args)
            .current_dir(root())
            .env("NO_COLOR", "1")
            .env_remove("SWITCHBOARD_ENV");
        if let Some(env) = env {
            command.env("SWITCHBOARD_ENV", env);
        }
        let output = command.output().unwrap();
        assert_eq!(output.status.code(), Some(1));
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(
            stderr.contains("`production`, `staging`"),
            "{args:?}: {stderr}"
        );
    }
}

/// Each invalid fixture exits 1; the rendered diagnostics (no colour, 100 columns) name the
/// file, line and thing.
#[test]
fn invalid_fixtures_exit_1_with_rendered_diagnostics() {
    insta::glob!("../../../spec/test_data", "err/*", |path| {
        let relative = path.strip_prefix(test_data()).unwrap().to_str().unwrap();
        let output = switchboard(&test_data(), &["validate", relative]);
        let text = stdout(&output);
        assert_eq!(output.status.code(), Some(1), "{text}");
        assert!(
            text.contains(&format!("[{relative}")),
            "no file:line:col in\n{text}"
        );
        insta::assert_snapshot!(text);
    });
}

/// Valid fixtures exit 0; those with warnings (`warn_*`) exit 1 with `--strict`.
#[test]
fn valid_fixtures_exit_0_and_warnings_fail_only_with_strict() {
    for entry in std::fs::read_dir(test_data().join("ok")).unwrap() {
        let path = entry.unwrap().path();
        let relative = path.strip_prefix(test_data()).unwrap().to_str().unwrap();
        let output = switchboard(&test_data(), &["validate", relative]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{relative}:\n{}",
            stdout(&output)
        );
        let strict = switchboard(&test_data(), &["validate", relative, "--strict"]);
        let warns = relative.starts_with("ok/warn_");
        assert_eq!(
            strict.status.code(),
            Some(if warns { 1 } else { 0 }),
            "{relative} --strict:\n{}",
            stdout(&strict)
        );
        if warns {
            assert!(
                stdout(&strict).contains("0 errors, "),
                "{}",
                stdout(&strict)
            );
        }
    }
}

#[test]
fn json_output_has_every_diagnostic_with_its_position() {
    let output = switchboard(
        &test_data(),
        &["validate", "err/missing_start.yaml", "--format", "json"],
    );
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["format_version"], 1);
    assert_eq!(json["valid"], false);
    assert_eq!(json["errors"], 1);
    assert_eq!(json["warnings"], 0);
    let diagnostic = &json["diagnostics"][0];
    assert_eq!(diagnostic["code"], "missing-start");
    assert_eq!(diagnostic["severity"], "error");
    assert_eq!(diagnostic["help"], "did you mean `welcome`?");
    let label = &diagnostic["labels"][0];
    assert_eq!(label["file"], "err/missing_start.yaml");
    assert_eq!(
        (label["line"].clone(), label["column"].clone()),
        (3.into(), 12.into())
    );
    let text = std::fs::read_to_string(test_data().join("err/missing_start.yaml")).unwrap();
    let (start, end) = (
        label["span"]["start"].as_u64().unwrap() as usize,
        label["span"]["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&text[start..end], "welcom");
}

/// A misspelt key in `c_queues.yaml` leaves the file out, so every reference to its queues
/// is unknown: those come folded under the misspelling, which is first, and the counts are of
/// causes. Without the folding, validate would print 8 errors with the cause among them.
#[test]
fn a_shape_error_comes_first_with_the_references_it_breaks_folded_under_it() {
    let fixture = "err/shape_error_folds_references";
    let output = switchboard(&test_data(), &["validate", fixture, "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        (json["errors"].clone(), json["hidden"].clone()),
        (2.into(), 6.into())
    );
    let first = &json["diagnostics"][0];
    assert_eq!(first["code"], "unknown-key");
    assert_eq!(
        first["labels"][0]["file"],
        format!("{fixture}/c_queues.yaml")
    );
    let hidden = first["hidden"].as_array().expect("the references it hides");
    assert_eq!(hidden.len(), 6);
    assert!(hidden.iter().all(|d| d["code"] == "unknown-reference"
        && d["labels"][0]["file"] == format!("{fixture}/b_ivr.yaml")));
    // `suport` is a typo of its own: not declared in the left-out file, so not hidden.
    assert_eq!(
        json["diagnostics"][1]["message"],
        "queue `suport` does not exist"
    );
    assert!(json["diagnostics"][1].get("hidden").is_none());

    let human = stdout(&switchboard(&test_data(), &["validate", fixture]));
    let cause = human.find("unknown key `routng`").expect("the cause");
    let typo = human
        .find("queue `suport` does not exist")
        .expect("the typo");
    assert!(cause < typo, "the cause is not first:\n{human}");
    assert!(human.contains(&format!(
        "note: and 6 references into `{fixture}/c_queues.yaml` that this hides"
    )));
    assert!(
        human.contains("2 errors, 0 warnings (and 6 problems it hides)"),
        "{human}"
    );
}

#[test]
fn json_output_with_strict_marks_warnings_invalid() {
    let output = switchboard(
        &test_data(),
        &[
            "validate",
            "ok/warn_unused_tree.yaml",
            "--format",
            "json",
            "--strict",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        (json["valid"].clone(), json["strict"].clone()),
        (false.into(), true.into())
    );
    assert_eq!(json["diagnostics"][0]["severity"], "warning");
}

fn write(dir: &Path, file: &str, text: &[u8]) {
    let path = dir.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn a_directory_is_read_recursively_skipping_hidden_directories() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.yaml",
        b"numbers:\n  \"842473082888\": { queue: support }\n",
    );
    write(
        dir.path(),
        "teams/support.yml",
        b"queues:\n  support: { get_list_agents_url: https://crm.example.com/agents }\n",
    );
    write(
        dir.path(),
        ".switchboard/sandbox.yaml",
        b"this is: [not a spec\n",
    );
    write(dir.path(), ".git/config.yaml", b"nor: [this\n");
    write(dir.path(), "README.md", b"not yaml\n");
    write(
        dir.path(),
        "teams/AGENTS.YAML",
        b"agents:\n  alice: { name: Alice }\n",
    );
    let output = switchboard(dir.path(), &["validate", "."]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("1 number"), "{}", stdout(&output));
    assert!(stdout(&output).contains("1 queue"), "{}", stdout(&output));
    assert!(stdout(&output).contains("1 agent"), "{}", stdout(&output));
}

#[test]
fn a_directory_without_yaml_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = switchboard(dir.path(), &["validate", "."]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no spec files in `.`"), "{stderr}");
}

/// Audio is known by the SHA-256 of its bytes: two names for identical bytes are one file.
#[test]
fn audio_files_are_identified_by_their_content() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "spec.yaml",
        b"audio:\n  hold: { file: audio/a.mp3 }\n  music: { file: audio/b.mp3 }\n",
    );
    write(dir.path(), "audio/a.mp3", b"same bytes");
    write(dir.path(), "audio/b.mp3", b"same bytes");
    let same = switchboard(dir.path(), &["validate", "spec.yaml", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&same.stdout).unwrap();
    assert_eq!(json["diagnostics"][0]["code"], "duplicate-audio", "{json}");

    write(dir.path(), "audio/b.mp3", b"other bytes");
    let different = switchboard(dir.path(), &["validate", "spec.yaml", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&different.stdout).unwrap();
    assert_eq!(json["diagnostics"], serde_json::json!([]), "{json}");

    std::fs::remove_file(dir.path().join("audio/b.mp3")).unwrap();
    let missing = switchboard(dir.path(), &["validate", "spec.yaml", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&missing.stdout).unwrap();
    assert_eq!(json["diagnostics"][0]["code"], "audio-file", "{json}");
    assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn a_missing_path_is_an_error_naming_it() {
    let output = switchboard(&root(), &["validate", "no/such/spec.yaml"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no/such/spec.yaml"), "{stderr}");
}

/// Copies `examples/hotline` to a temporary directory.
fn hotline_copy() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let from = root().join("examples/hotline");
    let mut stack = vec![from.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let to = tmp.path().join(path.strip_prefix(&from).unwrap());
            if path.is_dir() {
                std::fs::create_dir_all(&to).unwrap();
                stack.push(path);
            } else {
                std::fs::copy(&path, &to).unwrap();
            }
        }
    }
    tmp
}

/// A reviewer's change to the YAML that breaks a flow test: `validate` exits 1 and says which
/// test, where it is, what it expected, where the call ends now, and the caller's path.
#[test]
fn a_yaml_change_that_breaks_a_flow_test_fails_validate_with_the_path() {
    let tmp = hotline_copy();
    let ivr = tmp.path().join("ivr.yaml");
    let text = std::fs::read_to_string(&ivr).unwrap();
    let changed = text.replacen(
        r#""2": { queue: support }"#,
        r#""2": { queue: sales-en }"#,
        1,
    );
    assert_ne!(text, changed, "the example changed; update this test");
    std::fs::write(&ivr, changed).unwrap();

    let output = switchboard(tmp.path(), &["validate", "."]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    // miette wraps at 100 columns: compare with line breaks and gutters removed.
    let flat: String = text
        .lines()
        .map(|l| l.trim_start_matches([' ', '│']).trim_end())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains(
            "flow test `English support` failed: expected queue `support`, but the call ends \
             with queue `sales-en`"
        ),
        "{text}"
    );
    assert!(
        text.contains("[./tests.yaml:"),
        "no file:line:col in\n{text}"
    );
    assert!(
        text.contains("path: main/language [1] -> main/english [2] -> queue `sales-en`"),
        "{text}"
    );
    // The untouched copy is valid, so the change is what broke it.
    let clean = hotline_copy();
    assert_eq!(
        switchboard(clean.path(), &["validate", "."]).status.code(),
        Some(0)
    );
}

/// The `file:line:col` over each snippet counts characters, as the JSON does: accented names
/// and a byte-order mark before the problem do not shift it.
#[test]
fn rendered_positions_count_characters_like_the_json() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "accents.yaml",
        "agents:\n  \"ngọc\": { name: \"Ngọc Ánh\", routing: phon }\n".as_bytes(),
    );
    write(
        dir.path(),
        "bom.yaml",
        "\u{feff}agents: { lucía: { routing: phon } }\n".as_bytes(),
    );
    for (file, expected) in [("accents.yaml", (2, 40)), ("bom.yaml", (1, 29))] {
        let json = switchboard(dir.path(), &["validate", file, "--format", "json"]);
        let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        let label = &json["diagnostics"][0]["labels"][0];
        assert_eq!(
            (label["line"].as_u64(), label["column"].as_u64()),
            (Some(expected.0), Some(expected.1)),
            "{json}"
        );
        let human = stdout(&switchboard(dir.path(), &["validate", file]));
        let header = format!("[{file}:{}:{}]", expected.0, expected.1);
        assert!(human.contains(&header), "expected {header} in\n{human}");
    }
}

/// A saved plan given where a spec is expected says what it is and what to do with it.
#[test]
fn a_saved_plan_given_as_a_spec_says_so() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "plan.json",
        br#"{"format_version": "1.0", "tool_version": "0.0.0", "plan": {"steps": []}}"#,
    );
    for command in ["validate", "graph", "simulate"] {
        let mut args = vec![command, "plan.json"];
        if command == "simulate" {
            args.extend(["--number", "842473082686"]);
        }
        let output = switchboard(dir.path(), &args);
        assert_eq!(output.status.code(), Some(1), "{command}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(
                "error: `plan.json` is a saved plan, not a spec: apply it with `switchboard apply plan.json`"
            ),
            "{command}: {stderr}"
        );
    }
}

/// Links that stay inside the spec root are followed, each file read once (a link loop too);
/// a link that leads outside is left out with a note, and nothing of what it leads to is
/// shown.
#[cfg(unix)]
#[test]
fn links_inside_the_root_are_followed_once_and_links_out_of_it_are_skipped_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "spec/main.yaml",
        b"numbers:\n  \"842473082888\": { queue: support }\n",
    );
    write(
        dir.path(),
        "spec/teams/queues.yaml",
        b"queues:\n  support: { get_list_agents_url: https://crm.example.com/agents }\n",
    );
    write(
        outside.path(),
        "agents.yaml",
        b"agents:\n  leaked-7c1e: { name: OUTSIDE-SECRET-7c1e }\n",
    );
    let spec = dir.path().join("spec");
    std::os::unix::fs::symlink(spec.join("teams"), spec.join("alias")).unwrap();
    std::os::unix::fs::symlink(&spec, spec.join("loop")).unwrap();
    std::os::unix::fs::symlink(outside.path(), spec.join("shared")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("agents.yaml"), spec.join("agents.yaml"))
        .unwrap();
    let output = switchboard(dir.path(), &["validate", "spec"]);
    let (out, err) = (stdout(&output), String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{out}{err}");
    assert!(out.contains("1 queue"), "{out}");
    assert!(out.contains("0 agents"), "{out}");
    assert_eq!(
        err,
        "note: skipped `spec/agents.yaml`: a symbolic link to a place outside the spec root, \
         which switchboard does not read\n\
         note: skipped `spec/shared`: a symbolic link to a place outside the spec root, which \
         switchboard does not read\n"
    );
    assert!(!format!("{out}{err}").contains("7c1e"), "{out}{err}");
}

/// A spec file given by a path that leads outside its directory is refused, naming the path
/// and never showing what it leads to.
#[cfg(unix)]
#[test]
fn a_spec_file_that_links_outside_is_refused_without_showing_it() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    write(
        outside.path(),
        "secret.yaml",
        b"agents: [STRINGEE_API_KEY_SECRET=leaked-4b2d]\n",
    );
    std::os::unix::fs::symlink(
        outside.path().join("secret.yaml"),
        dir.path().join("spec.yaml"),
    )
    .unwrap();
    let output = switchboard(dir.path(), &["validate", "spec.yaml"]);
    let (out, err) = (stdout(&output), String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{out}{err}");
    assert_eq!(
        err,
        "error: cannot read `spec.yaml`: it is a symbolic link (or goes through one) to a place \
         outside the spec root `.`; switchboard reads only files inside the spec root\n"
    );
    assert!(!format!("{out}{err}").contains("leaked"), "{out}{err}");
}

/// `.gitignore` (inside a git work tree), hidden files and hidden directories keep files out
/// of a directory's spec; YAML that is clearly another tool's is skipped with a note; and
/// `--show-files` says what was read and what was not.
#[test]
fn a_directory_load_respects_gitignore_and_skips_other_tools_yaml_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    write(dir.path(), ".gitignore", b"generated/\n*.local.yaml\n");
    write(
        dir.path(),
        "main.yaml",
        b"numbers:\n  \"842473082888\": { queue: support }\n",
    );
    write(
        dir.path(),
        "teams/queues.yaml",
        b"queues:\n  support: { get_list_agents_url: https://crm.example.com/agents }\n",
    );
    // Each would be an error if read.
    write(dir.path(), "generated/broken.yaml", b"queues: [nope\n");
    write(
        dir.path(),
        "teams/mine.local.yaml",
        b"queues: { support: {} }\n",
    );
    write(dir.path(), ".hidden.yaml", b"queues: { support: {} }\n");
    write(
        dir.path(),
        ".github/workflows/ci.yml",
        b"name: CI\non: push\njobs: {}\n",
    );
    write(
        dir.path(),
        "docker-compose.yml",
        b"version: \"3.8\"\nservices:\n  web: { image: nginx }\n",
    );
    // A typo is a spec's, not another tool's: still read, so the error shows.
    write(
        dir.path(),
        "agents.yaml",
        b"agnets:\n  alice: { name: Alice }\n",
    );

    let output = switchboard(dir.path(), &["validate", "."]);
    let (out, err) = (stdout(&output), String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("unknown key `agnets`"), "{out}");
    assert!(out.contains("1 error, 0 warnings"), "{out}");
    assert_eq!(
        err,
        "note: skipped `./docker-compose.yml`: not a spec (its top-level keys `services`, \
         `version` are none of a spec's)\n"
    );

    std::fs::remove_file(dir.path().join("agents.yaml")).unwrap();
    let output = switchboard(dir.path(), &["validate", "--show-files"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        "spec root: .\n\
         read: main.yaml\n\
         read: teams/queues.yaml\n\
         skipped `docker-compose.yml`: not a spec (its top-level keys `services`, `version` are \
         none of a spec's)\n"
    );
    let output = switchboard(dir.path(), &["validate"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(
        stdout(&output).starts_with("`.` is valid: 1 number"),
        "{}",
        stdout(&output)
    );
}

/// With no path, the working directory is the spec only when it holds a spec file itself: at
/// a repository's root, the test fixtures and examples below are not one project.
#[test]
fn with_no_path_a_directory_without_a_spec_file_of_its_own_names_where_specs_are() {
    let output = switchboard(&root(), &["validate"]);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(stdout(&output).is_empty(), "{}", stdout(&output));
    assert!(
        err.starts_with(
            "error: no path given, and no spec file in the working directory itself: name the \
             spec's directory or file (spec files are under `examples/hotline`, "
        ),
        "{err}"
    );
    assert!(
        err.ends_with(", or `.` to read every spec file below the working directory\n"),
        "{err}"
    );
}

/// `lint:` changes what `validate` reports and its exit status: a warning made an error fails
/// it, one turned off or allowed no longer counts, even with `--strict`; a rule that cannot be
/// lowered is refused where it is written.
#[test]
fn lint_rules_and_allows_change_what_validate_reports_and_its_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let spec = "\
queues:
  sales: { get_list_agents_url: https://crm.example.com/agents }
ivr:
  main:
    start: menu
    nodes:
      menu: { say: Press 1 for sales., keys: { \"1\": { queue: sales } } }
numbers:
  \"842473082686\": { ivr: main }
";
    let run = |lint: &str, args: &[&str]| {
        std::fs::write(dir.path().join("spec.yaml"), format!("{spec}{lint}")).unwrap();
        let mut all = vec!["validate", "spec.yaml"];
        all.extend_from_slice(args);
        let output = switchboard(dir.path(), &all);
        (output.status.code().unwrap(), stdout(&output))
    };
    // No lint: a warning, which fails only --strict.
    let (code, text) = run("", &[]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("0 errors, 1 warning"), "{text}");
    assert_eq!(run("", &["--strict"]).0, 1);

    // Made an error: invalid without --strict, and the note says which entry did it.
    let (code, text) = run("lint:\n  rules: { no-fallback: error }\n", &[]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("1 error, 0 warnings"), "{text}");
    assert!(
        text.contains("note: set to error by `lint.rules` at spec.yaml:11:12"),
        "{text}"
    );

    // Off: nothing reported, valid even with --strict.
    let (code, text) = run("lint:\n  rules: { no-fallback: off }\n", &["--strict"]);
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains("no-fallback"), "{text}");

    // Allowed for that node: valid with --strict, listed with its reason.
    let allow = "lint:\n  allow:\n    - { rule: no-fallback, address: ivr_node.main/*, reason: one-key menu }\n";
    let (code, text) = run(allow, &["--strict"]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("by `lint.allow` at spec.yaml:12:7: one-key menu"),
        "{text}"
    );
    assert!(
        text.contains("0 errors, 0 warnings (1 allowed by `lint.allow`)"),
        "{text}"
    );
    // An allow for another node matches nothing: the warning stays, and a second one says so.
    let other =
        "lint:\n  allow:\n    - { rule: no-fallback, address: ivr_node.other/*, reason: x }\n";
    let (code, text) = run(other, &["--format", "json"]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let codes: Vec<&str> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["no-fallback", "unused-allow"]);

    // A rule that cannot be lowered is refused where it is written, and changes nothing.
    for lint in [
        "lint:\n  rules: { unknown-reference: warning }\n",
        "lint:\n  allow:\n    - { rule: ivr-cycle, address: ivr_node.main/menu, reason: x }\n",
    ] {
        let (code, text) = run(lint, &[]);
        assert_eq!(code, 1, "{text}");
        assert!(text.contains("fixed-rule"), "{text}");
        assert!(text.contains("[spec.yaml:1"), "{text}");
    }
}
