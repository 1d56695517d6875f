//! Where commands go: the local sandbox without credentials, and clear errors for bad keys.

use e2e::{Pcc, SECRET, SID, Workdir};

#[test]
fn without_credentials_plan_runs_against_the_sandbox_in_the_working_directory() {
    let work = Workdir::new();
    work.copy_example("hotline");
    let out = work
        .switchboard([
            "plan",
            "hotline",
            "--detailed-exitcode",
            "--out",
            "plan.json",
        ])
        .run();
    out.assert_code(2);
    assert_eq!(
        out.banner(),
        "target: local sandbox (.switchboard/sandbox.db) — set STRINGEE_API_KEY_SID and \
         STRINGEE_API_KEY_SECRET to target Stringee"
    );
    assert!(
        out.stdout
            .contains("Plan: 45 to add, 1 to change, 0 to destroy."),
        "{out}"
    );
    assert!(work.sandbox_state().is_file());
    assert_eq!(work.read(".switchboard/.gitignore"), "*\n");

    let saved: serde_json::Value = serde_json::from_str(&work.read("plan.json")).unwrap();
    let state = std::fs::canonicalize(work.sandbox_state()).unwrap();
    assert_eq!(
        saved["target"],
        serde_json::json!({ "sandbox": { "state": state.display().to_string() } })
    );

    // The plan wrote nothing: the sandbox project is still empty.
    let sandbox = Pcc::open(&work.sandbox_state());
    let state = sandbox.state();
    for kind in [
        "agents",
        "groups",
        "queues",
        "ivrTrees",
        "numbers",
        "greetingFiles",
    ] {
        assert_eq!(state[kind], serde_json::json!([]), "{kind}: {state}");
    }
}

#[test]
fn a_wrong_secret_names_the_variables_and_prints_no_secret() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.copy_example("hotline");
    let wrong = "wrong-secret-5d1e-do-not-print";
    let out = work
        .switchboard(["plan", "hotline"])
        .against(&pcc)
        .env("STRINGEE_API_KEY_SECRET", wrong)
        .run();
    out.assert_code(1);
    assert!(out.stderr.contains("cannot read the live project"), "{out}");
    assert!(
        out.stderr
            .contains("check STRINGEE_API_KEY_SID and STRINGEE_API_KEY_SECRET"),
        "{out}"
    );
    assert_eq!(out.stdout, "");
    for text in [&out.stdout, &out.stderr] {
        assert!(!text.contains(wrong));
        assert!(!text.contains(SECRET));
    }
    // Refused before any write; the key was tried once per list and never again.
    assert_eq!(pcc.stats().writes, 0);
}

#[test]
fn a_key_without_its_secret_names_the_missing_variable() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.copy_example("hotline");
    let out = work
        .switchboard(["drift", "hotline"])
        .env("STRINGEE_API_KEY_SID", SID)
        .env("SWITCHBOARD_ENDPOINT", &pcc.url())
        .run();
    out.assert_code(1);
    assert!(
        out.stderr.contains(
            "STRINGEE_API_KEY_SID is set but STRINGEE_API_KEY_SECRET is not: set both to target \
             Stringee, or neither to use the local sandbox"
        ),
        "{out}"
    );
    assert_eq!(pcc.stats(), Default::default());
}

/// An endpoint that accepts connections and never answers; the listener is bound (so ready)
/// before this returns.
fn silent_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    url
}

#[test]
fn a_silent_endpoint_fails_after_two_timeouts_of_the_length_asked_for() {
    let work = Workdir::new();
    work.copy_example("hotline");
    let url = silent_endpoint();
    let remote = |args: &[&str]| {
        work.switchboard(args.iter().copied())
            .env("SWITCHBOARD_ENDPOINT", &url)
            .env("STRINGEE_API_KEY_SID", SID)
            .env("STRINGEE_API_KEY_SECRET", SECRET)
    };
    let out = remote(&["plan", "hotline", "--timeout", "0.2"]).run();
    out.assert_code(1);
    assert!(out.stderr.contains("cannot read the live project"), "{out}");
    assert!(
        out.stderr
            .contains("no answer within 0.2s after 2 attempt(s)"),
        "{out}"
    );

    // The variable does the same, for every command that talks to PCC.
    let out = remote(&["drift", "hotline"])
        .env("SWITCHBOARD_TIMEOUT", "0.25")
        .run();
    out.assert_code(1);
    assert!(
        out.stderr
            .contains("no answer within 0.25s after 2 attempt(s)"),
        "{out}"
    );

    let out = remote(&["plan", "hotline", "--timeout", "0"]).run();
    out.assert_code(1);
    assert!(
        out.stderr
            .contains("`0` is not a number of seconds above 0 and at most 3600"),
        "{out}"
    );
}

#[test]
fn a_password_in_the_endpoint_is_refused_and_never_printed_or_saved() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.copy_example("hotline");
    let url = pcc.url();
    let with_password = url.replacen("://", &format!("://proxy:{SECRET}@"), 1);
    for args in [
        &["plan", "hotline", "--out", "plan.json"][..],
        &["apply", "hotline", "--auto-approve"][..],
    ] {
        // `run` fails the test if the secret is in the output or in any file left behind.
        let out = work
            .switchboard(args.iter().copied())
            .against(&pcc)
            .env("SWITCHBOARD_ENDPOINT", &with_password)
            .run();
        out.assert_code(1);
        assert!(
            out.stderr
                .contains("has a user name or password in it: leave them out"),
            "{out}"
        );
        assert!(out.stderr.contains("***@127.0.0.1"), "{out}");
    }
    assert!(!work.join("plan.json").exists());
    assert_eq!(pcc.stats(), Default::default());
}

#[test]
fn a_damaged_sandbox_says_how_to_start_again_and_changes_nothing() {
    let work = Workdir::new();
    work.copy_example("hotline");
    std::fs::create_dir_all(work.join(".switchboard")).unwrap();
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(work.sandbox_state(), &garbage).unwrap();
    let out = work
        .switchboard(["apply", "hotline", "--auto-approve"])
        .run();
    out.assert_code(1);
    assert!(
        out.stderr.contains(
            "cannot start the local sandbox (.switchboard/sandbox.db; delete .switchboard to \
             start again from an empty project)"
        ),
        "{out}"
    );
    assert!(out.stderr.contains("file is not a database"), "{out}");
    assert_eq!(std::fs::read(work.sandbox_state()).unwrap(), garbage);
}

/// Holds the sandbox's lock as a running command in this directory would: shared for a read
/// (`plan`, `drift`, `export`), exclusive for `apply`.
fn hold_sandbox_lock(work: &Workdir, exclusive: bool) -> std::fs::File {
    std::fs::create_dir_all(work.join(".switchboard")).unwrap();
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(work.join(".switchboard/sandbox.lock"))
        .unwrap();
    if exclusive {
        lock.lock().unwrap();
    } else {
        lock.lock_shared().unwrap();
    }
    lock
}

#[test]
fn commands_in_one_sandbox_read_together_and_apply_alone() {
    let work = Workdir::new();
    work.copy_example("hotline");

    // While an apply runs, neither a plan nor a second apply starts: two applies planned
    // from the same empty project created every object twice, and the sandbox was unusable.
    let apply = hold_sandbox_lock(&work, true);
    for args in [
        vec!["plan", "hotline"],
        vec!["apply", "hotline", "--auto-approve"],
        vec!["export", "--out", "exported"],
    ] {
        let out = work.switchboard(args.clone()).run();
        out.assert_code(1);
        assert!(
            out.stderr.contains(
                "the local sandbox (.switchboard/sandbox.db) is in use by another switchboard \
                 command in this directory"
            ),
            "{args:?}: {out}"
        );
    }
    drop(apply);
    assert!(!work.join("exported").exists());

    // Reads share it: a plan runs while another one does, an apply does not.
    let plan = hold_sandbox_lock(&work, false);
    work.switchboard(["plan", "hotline"]).run().assert_code(0);
    let out = work
        .switchboard(["apply", "hotline", "--auto-approve"])
        .run();
    out.assert_code(1);
    assert!(out.stderr.contains("apply runs alone"), "{out}");
    drop(plan);

    let out = work
        .switchboard(["apply", "hotline", "--auto-approve"])
        .run();
    out.assert_code(0);
    let state = Pcc::open(&work.sandbox_state()).state();
    assert_eq!(state["groups"].as_array().unwrap().len(), 3, "{state}");
}

#[test]
fn a_secret_that_is_not_utf8_is_reported_as_such_not_as_unset() {
    use std::os::unix::ffi::OsStringExt;

    let pcc = Pcc::start();
    let work = Workdir::new();
    work.copy_example("hotline");
    let mut command = work
        .switchboard(["plan", "hotline"])
        .against(&pcc)
        .command();
    let mut secret = SECRET.as_bytes().to_vec();
    secret.push(0xff);
    command.env(
        "STRINGEE_API_KEY_SECRET",
        std::ffi::OsString::from_vec(secret),
    );
    let out = command.output().expect("switchboard runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "STRINGEE_API_KEY_SECRET is set but is not valid UTF-8 (its value is not shown)"
        ),
        "{stderr}"
    );
    assert!(
        !stderr.contains("STRINGEE_API_KEY_SECRET is not:"),
        "{stderr}"
    );
    e2e::assert_no_secret("stderr", &out.stderr);
    assert_eq!(pcc.stats(), Default::default());
}

#[test]
fn a_token_in_the_endpoint_is_refused_and_never_printed_or_saved() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.copy_example("hotline");
    let token = "tok-3b7e1f-never-print";
    for endpoint in [
        format!("{}/?token={token}", pcc.url()),
        format!("{}?access_token={token}&x=1", pcc.url()),
        format!("{}#{token}", pcc.url()),
    ] {
        for args in [
            &["plan", "hotline", "--out", "plan.json"][..],
            &["apply", "hotline", "--auto-approve"][..],
        ] {
            let out = work
                .switchboard(args.iter().copied())
                .against(&pcc)
                .env("SWITCHBOARD_ENDPOINT", &endpoint)
                .run();
            out.assert_code(1);
            assert!(
                out.stderr.contains("must not have a query or fragment"),
                "{out}"
            );
            assert!(
                !out.stdout.contains(token) && !out.stderr.contains(token),
                "{out}"
            );
        }
        // Nor without a key, where the endpoint is named in another error.
        let out = work
            .switchboard(["plan", "hotline"])
            .env("SWITCHBOARD_ENDPOINT", &endpoint)
            .run();
        out.assert_code(1);
        assert!(out.stderr.contains("needs an API key"), "{out}");
        assert!(!out.stderr.contains(token), "{out}");
    }
    assert!(!work.join("plan.json").exists());
    assert_eq!(pcc.stats(), Default::default());
}

/// A loopback listener standing in for an HTTP proxy: counts the connections it is offered,
/// and closes each at once. Bound (so ready) before this returns.
fn counting_proxy() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&count);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (url, count)
}

#[test]
fn plain_http_to_another_machine_is_refused_before_any_connection() {
    use std::sync::atomic::Ordering;
    const PASSWORD: &str = "pa55word-in-the-url";
    let work = Workdir::new();
    work.copy_example("hotline");
    // The client sends what is not for loopback through the proxy the environment names:
    // whatever it sent towards `pcc.example.com` (or anywhere else) would reach this
    // listener, which is on loopback. Nothing leaves the machine either way.
    let (proxy, connections) = counting_proxy();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = work
            .switchboard(args.iter().copied())
            .env("STRINGEE_API_KEY_SID", SID)
            .env("STRINGEE_API_KEY_SECRET", SECRET)
            .env("HTTP_PROXY", &proxy)
            .env("http_proxy", &proxy)
            .env("ALL_PROXY", &proxy)
            .env("NO_PROXY", "")
            .env("no_proxy", "")
            .forbid(PASSWORD);
        for (name, value) in env {
            cmd = cmd.env(name, value);
        }
        cmd.run()
    };
    let insecure = format!("http://ops:{PASSWORD}@pcc.example.com:8080");
    for (args, env, flag, shown) in [
        (
            vec!["plan", "hotline", "--endpoint", "http://pcc.example.com"],
            vec![],
            "--endpoint",
            "http://pcc.example.com",
        ),
        (
            vec!["apply", "hotline", "--auto-approve"],
            vec![("SWITCHBOARD_ENDPOINT", insecure.as_str())],
            "--endpoint",
            "http://***@pcc.example.com:8080",
        ),
        (
            vec![
                "export",
                "--out",
                "exported",
                "--endpoint",
                "HTTP://PCC.EXAMPLE.COM",
            ],
            vec![],
            "--endpoint",
            "HTTP://PCC.EXAMPLE.COM",
        ),
        (
            vec!["drift", "hotline", "--endpoint", "https://pcc.example.com"],
            vec![
                ("SWITCHBOARD_CALL_API_ENDPOINT", "http://10.1.2.3:8081"),
                ("STRINGEE_ACCOUNT_SID", e2e::ACCOUNT_SID),
                ("STRINGEE_ACCOUNT_KEY_SECRET", e2e::ACCOUNT_SECRET),
            ],
            "--call-api-endpoint",
            "http://10.1.2.3:8081",
        ),
    ] {
        let out = run(&args, &env);
        out.assert_code(1);
        assert!(
            out.stderr.contains(&format!(
                "{flag} {shown} is plain http to another machine: "
            )) && out
                .stderr
                .contains("give --allow-insecure-http (or set SWITCHBOARD_ALLOW_INSECURE_HTTP=1)"),
            "{args:?}: {out}"
        );
    }
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "a refused URL got a connection"
    );
    assert!(!work.path().join("exported").exists());

    // Opted in, by the flag or the variable, the same command goes out (here, to the proxy):
    // the refusal above is what kept it in.
    for opt_in in [
        (vec!["--allow-insecure-http"], vec![]),
        (vec![], vec![("SWITCHBOARD_ALLOW_INSECURE_HTTP", "1")]),
    ] {
        let before = connections.load(Ordering::SeqCst);
        let mut args = vec!["plan", "hotline", "--endpoint", "http://pcc.example.com"];
        args.extend(opt_in.0);
        let out = run(&args, &opt_in.1);
        out.assert_code(1);
        assert!(
            out.stderr.contains(
                "warning: --endpoint http://pcc.example.com is plain http to another machine \
                 (--allow-insecure-http): the API token will cross the network unencrypted"
            ),
            "{out}"
        );
        assert!(connections.load(Ordering::SeqCst) > before, "{out}");
    }
}
