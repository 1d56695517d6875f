//! `--help`: every command says what it reads and writes, its exit codes and an example;
//! only the commands that talk to PCC take `--endpoint` and list the environment.

use crate::{root, stdout, switchboard};

const COMMANDS: [&str; 11] = [
    "validate", "plan", "apply", "drift", "export", "graph", "render", "simulate", "report",
    "schema", "emulator",
];
const CONNECTING: [&str; 4] = ["plan", "apply", "drift", "export"];

#[test]
fn every_command_help_gives_exit_codes_and_examples() {
    for command in COMMANDS {
        let output = switchboard(&root(), &[command, "--help"]);
        let help = stdout(&output);
        assert_eq!(output.status.code(), Some(0), "{help}");
        assert!(help.contains("\nExit status:\n  0  "), "{command}:\n{help}");
        assert!(
            help.contains("\nExamples:\n  switchboard "),
            "{command}:\n{help}"
        );
        let connects = CONNECTING.contains(&command);
        assert_eq!(
            help.contains("--endpoint <URL>"),
            connects,
            "{command}:\n{help}"
        );
        assert_eq!(
            help.contains("STRINGEE_API_KEY_SID, STRINGEE_API_KEY_SECRET"),
            connects,
            "{command}:\n{help}"
        );
    }
}

#[test]
fn counts_of_zero_are_refused() {
    for (command, flag) in [
        ("plan", "--concurrency"),
        ("drift", "--concurrency"),
        ("export", "--concurrency"),
        ("apply", "--parallelism"),
    ] {
        let output = switchboard(&root(), &[command, flag, "0"]);
        assert_eq!(output.status.code(), Some(1), "{command} {flag} 0");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("`0` is not a whole number of at least 1"),
            "{stderr}"
        );
    }
}

/// Exit 2 means "changes pending" or "drift found" to a pipeline: a mistyped flag or a
/// missing argument must exit 1, as any error does; `--help` and `--version` exit 0.
#[test]
fn usage_errors_exit_1_not_2() {
    for args in [
        &["plan", "--detailed-exitcode", "--concurency", "4"][..],
        &["drift", "--format", "yaml"],
        &["simulate", "examples/hotline"],
        &["no-such-command"],
    ] {
        let output = switchboard(&root(), args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stderr).starts_with("error: "),
            "{args:?}"
        );
    }
    for args in [&["--help"][..], &["--version"], &["plan", "-h"]] {
        assert_eq!(
            switchboard(&root(), args).status.code(),
            Some(0),
            "{args:?}"
        );
    }
}

#[test]
fn validate_takes_text_like_the_other_commands() {
    let output = switchboard(
        &root(),
        &["validate", "examples/hotline", "--format", "text"],
    );
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("is valid"), "{}", stdout(&output));
}

/// The version the binary reports is the one the docs show in their JSON examples, and a
/// release one (not cargo's `0.0.0` placeholder).
#[test]
fn the_version_is_one_in_the_binary_and_the_docs() {
    let version = env!("CARGO_PKG_VERSION");
    assert_ne!(version, "0.0.0");
    let output = switchboard(&root(), &["--version"]);
    assert_eq!(stdout(&output), format!("switchboard {version}\n"));
    let mut shown = 0;
    for doc in ["docs/plan-format.md", "docs/apply.md", "README.md"] {
        let text = std::fs::read_to_string(root().join(doc)).unwrap();
        for (i, _) in text.match_indices("\"tool_version\": \"") {
            let rest = &text[i + "\"tool_version\": \"".len()..];
            let said = &rest[..rest.find('"').unwrap()];
            assert_eq!(said, version, "{doc} shows tool_version {said}");
            shown += 1;
        }
    }
    assert!(shown >= 2, "the docs show the version in their examples");
}

/// `drift --format` describes what drift prints (`resource_drift[]`, a table of findings),
/// not the plan's formats it once borrowed (`resource_changes[]`, drawn IVR trees).
#[test]
fn drift_help_describes_drift_formats() {
    let help = stdout(&switchboard(&root(), &["drift", "--help"]));
    assert!(help.contains("resource_drift[]"), "{help}");
    assert!(!help.contains("resource_changes[]"), "{help}");
    assert!(!help.contains("IVR trees drawn"), "{help}");
    let plan = stdout(&switchboard(&root(), &["plan", "--help"]));
    assert!(plan.contains("resource_changes[]"), "{plan}");
}
