//! `switchboard render`: one environment's resolved spec as plain YAML, secrets as
//! placeholders; what it writes loads back to the same project.

use std::process::{Command, Output};

use crate::{root, stdout};

const TOKEN: &str = "render-Tok-5Kq";

fn render(args: &[&str], dir: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("SWITCHBOARD_SECRET_CRM_EVENTS_TOKEN", TOKEN)
        .env_remove("SWITCHBOARD_ENV")
        .output()
        .unwrap()
}

#[test]
fn render_writes_one_environments_spec_with_secrets_as_placeholders() {
    let staging = render(
        &["render", "examples/two-envs", "--env", "staging"],
        &root(),
    );
    assert_eq!(staging.status.code(), Some(0));
    let text = stdout(&staging);
    assert!(!text.contains(TOKEN), "{text}");
    insta::assert_snapshot!(text);
    let production = render(
        &["render", "examples/two-envs", "--env", "production"],
        &root(),
    );
    let text = stdout(&production);
    assert!(
        text.contains("\"842473082686\"") && !text.contains("842400000001"),
        "{text}"
    );
}

#[test]
fn a_rendered_environment_loads_back_as_the_same_project() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("staging");
    let spec = root().join("examples/two-envs");
    let output = render(
        &[
            "render",
            spec.to_str().unwrap(),
            "--env",
            "staging",
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{:?}", output);
    for entry in std::fs::read_dir(&out).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains(TOKEN), "{text}");
    }
    let validated = render(&["validate", "staging"], dir.path());
    let text = stdout(&validated);
    assert_eq!(validated.status.code(), Some(0), "{text}");
    assert!(
        text.contains("2 numbers, 1 IVR tree (1 node), 2 queues, 2 groups, 2 agents"),
        "{text}"
    );
}
