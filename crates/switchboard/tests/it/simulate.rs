//! `switchboard simulate`: a caller's walk through the examples, step by step.

use crate::{root, stdout, switchboard};

/// Runs `simulate` on an example and returns its output, checking it exits 0.
fn simulate(example: &str, number: &str, keys: &str) -> String {
    let output = switchboard(
        &root(),
        &["simulate", example, "--number", number, "--keys", keys],
    );
    let text = stdout(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    text
}

#[test]
fn hotline_walks() {
    let hotline = "examples/hotline";
    let main = "842473082686";
    // Defined keys into a queue with primary and overflow groups.
    insta::assert_snapshot!("hotline_english_support", simulate(hotline, main, "12"));
    // A wrong key follows `invalid`, then silence follows `timeout`.
    insta::assert_snapshot!(
        "hotline_wrong_key_then_silence",
        simulate(hotline, main, "5")
    );
    // Audio prompts are shown by name; separators in --keys are ignored.
    insta::assert_snapshot!("hotline_spanish_sales", simulate(hotline, main, "2-1"));
    // A number written for people (`+`, spaces) is the same number.
    assert_eq!(
        simulate(hotline, "+84 247-308-2686", "2-1"),
        simulate(hotline, main, "2-1")
    );
    // A number routed straight to a queue: no menu, the keys are never pressed.
    insta::assert_snapshot!(
        "hotline_support_line",
        simulate(hotline, "842473082888", "3")
    );
}

#[test]
fn midsize_walks() {
    let midsize = "examples/midsize";
    // Agents chosen by a URL, not by groups.
    insta::assert_snapshot!(
        "midsize_outage_callback",
        simulate(midsize, "842873001000", "211")
    );
    // Silence at a menu without a way on hangs up.
    insta::assert_snapshot!(
        "midsize_outage_notice_hangs_up",
        simulate(midsize, "842873001000", "11")
    );
    // A forward.
    insta::assert_snapshot!(
        "midsize_billing_card",
        simulate(midsize, "842873001001", "2")
    );
}

#[test]
fn json_output_has_steps_and_the_end() {
    let output = switchboard(
        &root(),
        &[
            "simulate",
            "examples/hotline",
            "--number",
            "842473082686",
            "--keys",
            "21",
            "--format",
            "json",
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let nodes: Vec<&str> = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["node"].as_str().unwrap())
        .collect();
    assert_eq!(nodes, ["language", "spanish"]);
    assert_eq!(doc["steps"][1]["hears"]["play"], "welcome-es");
    assert_eq!(doc["end"]["queue"], "sales-es");
    assert_eq!(
        doc["end"]["agents"]["primary"][0]["agents"],
        serde_json::json!(["dan", "lucia"])
    );
}

#[test]
fn an_unknown_number_exits_1_and_lists_the_numbers() {
    let output = switchboard(
        &root(),
        &[
            "simulate",
            "examples/hotline",
            "--number",
            "841111",
            "--keys",
            "1",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains(
            "number `841111` is not in the spec; its numbers are `842473082686`, `842473082888`"
        ),
        "{err}"
    );
    assert!(stdout(&output).is_empty());
}

#[test]
fn a_key_a_phone_cannot_press_exits_1() {
    let output = switchboard(
        &root(),
        &[
            "simulate",
            "examples/hotline",
            "--number",
            "842473082686",
            "--keys",
            "1a",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("`a` is not a key a phone can press"), "{err}");
}

/// A spec whose flow tests fail is exactly when one wants to walk the call: simulate walks
/// it, and says that the tests fail.
#[test]
fn a_spec_whose_flow_tests_fail_is_walked_with_a_warning() {
    let output = switchboard(
        &root().join("crates/spec/test_data"),
        &[
            "simulate",
            "err/flow_test_failed.yaml",
            "--number",
            "842473082686",
            "--keys",
            "1",
        ],
    );
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(err.contains("flow-test-failed"), "{err}");
    assert!(
        err.contains("warning: 4 flow tests of this spec fail (shown above)"),
        "{err}"
    );
    assert!(
        stdout(&output).contains("queue `sales`"),
        "{}",
        stdout(&output)
    );
}

/// Any other error still refuses: the model may be missing what the walk needs.
#[test]
fn a_spec_with_other_errors_exits_1_with_its_diagnostics() {
    let output = switchboard(
        &root().join("crates/spec/test_data"),
        &[
            "simulate",
            "err/unknown_queue_reference.yaml",
            "--number",
            "842473082686",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("unknown-reference"), "{err}");
    assert!(err.contains("is not a valid spec"), "{err}");
}
