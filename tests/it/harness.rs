//! The harness checks itself: a secret written anywhere a command can write is caught.

use std::panic::{AssertUnwindSafe, catch_unwind};

use e2e::{SECRET, Workdir, assert_no_secret, assert_no_secret_in_dir};

#[test]
fn the_secret_check_finds_the_secret_in_output_and_in_nested_files() {
    assert_no_secret("clean", b"target: http://127.0.0.1:1 (key SK...xyz)");
    let leaked = format!("token signed with {SECRET}!");
    let caught = catch_unwind(|| assert_no_secret("stderr", leaked.as_bytes()));
    assert!(caught.is_err());

    let work = Workdir::new();
    work.write("plan.json", "{}");
    assert_no_secret_in_dir(work.path());
    work.write(".switchboard/deep/log.txt", &leaked);
    let caught = catch_unwind(AssertUnwindSafe(|| assert_no_secret_in_dir(work.path())));
    assert!(caught.is_err());
}

#[test]
fn commands_run_with_a_scrubbed_environment() {
    // Whatever the developer's shell exports, a command without `against` uses the sandbox.
    let work = Workdir::new();
    let out = work.switchboard(["export", "--out", "cc"]).run();
    out.assert_code(0);
    assert!(out.banner().starts_with("target: local sandbox"), "{out}");
    assert_eq!(
        out.stdout,
        "Exported the live project to cc: 1 spec file (an empty project).\n"
    );
}

/// The terminal check lets through workflow commands only from `--format github`, and only
/// escaped annotations: a forged or badly escaped one still fails.
#[test]
fn only_escaped_annotations_of_the_github_format_pass_the_terminal_check() {
    use e2e::{Output, annotation, assert_terminal_safe};
    let output = |args: &[&str], stdout: &str| Output {
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        code: 1,
        stdout: stdout.to_owned(),
        stderr: String::new(),
    };
    let github = ["validate", "spec", "--format", "github"];
    let good = "::error file=a%2Cb.yaml,line=3,col=5,title=no-fallback::node `x:` 100%25%0Ahelp: y\n1 error, 0 warnings\n";
    assert_terminal_safe(&output(&github, good));
    let decoded = annotation(good.lines().next().unwrap()).unwrap();
    assert_eq!(decoded.property("file"), Some("a,b.yaml"));
    assert_eq!(decoded.message, "node `x:` 100%\nhelp: y");

    let refused = |args: &[&str], stdout: &str| {
        let out = output(args, stdout);
        catch_unwind(AssertUnwindSafe(|| assert_terminal_safe(&out))).is_err()
    };
    // The same line from any other command, or format.
    assert!(refused(&["validate", "spec"], good));
    assert!(refused(&["validate", "spec", "--format", "json"], good));
    for forged in [
        "::error::forged\n",        // no properties is fine, but...
        "::set-output name=x::y\n", // not an annotation
        "::error file=a:b.yaml::raw colon in a property\n",
        "::error file=a,b.yaml::raw comma splits the properties\n",
        "::error file=a.yaml,owner=x::unknown property\n",
        "::error file=a.yaml::100% unescaped\n",
        "::error file=a.yaml::carriage\rreturn\n",
        "::error file=a.yaml::\u{1b}[31mred\n",
        "::add-mask::x\n",
        "::error file=a.yaml::%3A is no escape of a message\n",
        " ::error file=a.yaml::padded\n",
    ] {
        let is_refused = refused(&github, forged);
        if forged == "::error::forged\n" {
            // Well formed: an annotation without properties.
            assert!(!is_refused, "{forged:?}");
        } else {
            assert!(is_refused, "{forged:?} passed");
        }
    }
}
