//! `switchboard apply` killed with SIGKILL at ten points of an apply (once the emulator has
//! seen k writes, k spread over the whole plan), then run again: each time the project
//! converges to the spec with no object made twice. And interrupted with Ctrl-C (SIGINT):
//! the running steps finish, and a re-run converges.

use std::process::Stdio;
use std::time::Duration;

use e2e::{Pcc, Workdir, assert_no_secret_in_dir};
use emulator::{Config, Faults};

use crate::apply::assert_no_duplicates;

/// Where to kill: after k of the hotline's 46 writes, k drawn from a fixed seed so that a
/// failure can be replayed.
fn kill_points() -> Vec<u64> {
    let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
    let mut points: Vec<u64> = (0..10)
        .map(|i| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            // One point in each tenth of the plan, so early, middle and late kills all happen.
            1 + i * 45 / 10 + rng % 4
        })
        .collect();
    points.dedup();
    points
}

#[test]
fn killed_at_any_point_a_re_run_converges_without_duplicates() {
    let points = kill_points();
    assert_eq!(points.len(), 10);
    for k in points {
        // Latency keeps requests in flight, so that the kill lands mid-apply and sometimes
        // while PCC is still carrying out a write the client will never hear about.
        let pcc = Pcc::with(Config {
            faults: Faults {
                latency_ms: 20,
                ..Faults::default()
            },
            ..Config::new(vec![e2e::key()])
        });
        let work = Workdir::new();
        work.copy_example("hotline");
        let mut child = work
            .switchboard(["apply", "hotline", "--auto-approve", "--parallelism", "4"])
            .against(&pcc)
            .command()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("switchboard starts");
        // Poll the emulator's write count; the apply is still running when it reaches k.
        loop {
            if pcc.stats().writes >= k {
                break;
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!("apply ended ({status}) before write {k}");
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        assert_no_duplicates(&pcc.state());
        assert_no_secret_in_dir(work.path());

        // Run again until plan has nothing left (one run should do).
        pcc.set_faults(Faults::default());
        let mut runs = 0;
        loop {
            let plan = work
                .switchboard(["plan", "hotline", "--detailed-exitcode"])
                .against(&pcc)
                .run();
            if plan.code == 0 {
                break;
            }
            plan.assert_code(2);
            runs += 1;
            assert!(
                runs <= 2,
                "killed after {k} writes: not converged after {runs} re-runs"
            );
            let out = work
                .switchboard(["apply", "hotline", "--auto-approve"])
                .against(&pcc)
                .run();
            out.assert_code(0);
            assert_no_duplicates(&pcc.state());
        }
        assert_eq!(runs, 1, "killed after {k} writes");
    }
}

/// Ctrl-C (SIGINT) half-way: no new step starts, the running ones finish, the summary says
/// what did not start, and `apply` again finishes the job with no duplicate.
#[test]
fn interrupted_the_running_steps_finish_and_a_re_run_converges() {
    use std::io::BufRead as _;

    let pcc = Pcc::with(Config {
        faults: Faults {
            latency_ms: 30,
            ..Faults::default()
        },
        ..Config::new(vec![e2e::key()])
    });
    let work = Workdir::new();
    work.copy_example("hotline");
    let mut child = work
        .switchboard(["apply", "hotline", "--auto-approve", "--parallelism", "2"])
        .against(&pcc)
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("switchboard starts");
    // The first finished step (a line per step, standard output not being a terminal).
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.starts_with("+ ") {
        line.clear();
        assert_ne!(stdout.read_line(&mut line).unwrap(), 0, "apply ended early");
    }
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{rest}\n{stderr}");
    assert!(rest.contains("Apply failed."), "{rest}");
    assert!(stderr.contains("Interrupt received"), "{stderr}");
    assert!(stderr.contains("interrupted, "), "{stderr}");
    assert!(stderr.contains(" not started."), "{stderr}");
    assert!(
        stderr.contains("Every step that started was finished and nothing was duplicated"),
        "{stderr}"
    );
    assert!(!stderr.contains("Fix the cause"), "{stderr}");
    let writes = pcc.stats().writes;
    assert!(writes < 46, "the apply ran to the end ({writes} writes)");
    assert_no_duplicates(&pcc.state());

    pcc.set_faults(Faults::default());
    let out = work
        .switchboard(["apply", "hotline", "--auto-approve"])
        .against(&pcc)
        .run();
    out.assert_code(0);
    assert!(out.stdout.contains("Apply complete!"), "{out}");
    let plan = work
        .switchboard(["plan", "hotline", "--detailed-exitcode"])
        .against(&pcc)
        .run();
    plan.assert_code(0);
    assert_no_duplicates(&pcc.state());
    assert_eq!(
        pcc.stats().writes,
        46,
        "every step written once, across both runs"
    );
}
