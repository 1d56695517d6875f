//! Bad input of every kind (`e2e::corpus`): `validate`, `plan` and `apply` each exit 1 with a
//! message naming the problem and where it is, and send PCC no request at all.

use e2e::corpus::{self, Scale};
use e2e::{Pcc, Workdir};

#[test]
fn every_bad_input_is_refused_with_a_clear_message_and_no_request() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    let committed = work.join("bad");
    e2e::copy_dir(&corpus::committed_dir(), &committed);
    let mut cases: Vec<corpus::Case> = corpus::committed()
        .into_iter()
        .map(|case| corpus::Case {
            dir: committed.clone(),
            ..case
        })
        .collect();
    let generated = work.join("generated");
    std::fs::create_dir_all(&generated).unwrap();
    cases.extend(corpus::generated(&generated, Scale::Suite));
    assert!(cases.len() >= 50, "{} cases", cases.len());

    let mut failures = Vec::new();
    for case in &cases {
        for command in [
            &["validate"][..],
            &["plan"][..],
            &["apply", "--auto-approve"][..],
        ] {
            let args: Vec<&str> = command.iter().copied().chain([case.arg.as_str()]).collect();
            pcc.reset_stats();
            let mut cmd = work
                .switchboard(args.clone())
                .current_dir(&case.dir)
                .against(&pcc);
            for value in &case.forbid {
                cmd = cmd.forbid(value);
            }
            let out = cmd.run_within(corpus::DEADLINE);
            let stats = pcc.stats();
            let mut wrong = Vec::new();
            if out.code != 1 {
                wrong.push(format!("exit {}", out.code));
            }
            // `validate` reports on stdout, the other commands on stderr.
            let said = format!("{}{}", out.stdout, out.stderr);
            for expected in corpus::missing(case, &said) {
                wrong.push(format!("no `{expected}` in the output"));
            }
            if stats.reads + stats.writes > 0 {
                wrong.push(format!("{} reads, {} writes", stats.reads, stats.writes));
            }
            if !wrong.is_empty() {
                let said: String = said.chars().take(600).collect();
                failures.push(format!(
                    "{} ({}): {}\n{said}",
                    case.name,
                    command[0],
                    wrong.join(", ")
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} runs went wrong:\n\n{}",
        failures.len(),
        cases.len() * 3,
        failures.join("\n\n")
    );
}
