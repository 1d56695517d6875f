//! The saved-plan file (`plan --out`): versioned JSON holding everything `apply` needs
//! without the spec (every step's after-value, audio steps' file paths and content hashes)
//! and the fingerprints of the live objects the plan read. It never holds a credential: a value
//! that holds one (a webhook URL with a token, `spec::model::Sensitive`) is saved redacted, with
//! the SHA-256 of the real value, and `apply` fills it back in from where the plan took it
//! ([`crate::fill_sensitive`]).
//!
//! A file read back is untrusted (hand-edited, damaged, or written by someone else):
//! [`from_json`] refuses one whose steps do not hold together or are not all covered by the
//! stale check; the binary adds an integrity check of the whole file (docs/plan-format.md).

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::object::fingerprint;
use crate::plan::{Action, Plan};
use crate::wiring::Wired;

/// The saved-plan format. A minor bump only adds fields; a major bump is incompatible and
/// refused on read. 2.0: the safety report carries its thresholds (so that `apply` computes
/// the guards again), and the binary's file an integrity digest; 1.x files are refused. 2.1:
/// values that hold credentials are saved as `{"redacted", "sha256"}`, never as themselves,
/// and the binary's file records the spec (`spec`) that `apply` takes them from. 2.2: a
/// partial plan (`--target`, `--exclude`) records what it covers in `plan.partial`, which the
/// stale check's read and the guards computed again follow. 2.3: a plan that checked the PCC
/// wiring records its corrections in `plan.wiring`.
pub const FORMAT_VERSION: &str = "2.3";

const MAJOR: &str = "2";

#[derive(Serialize)]
struct SavedRef<'a> {
    format_version: &'static str,
    tool_version: &'static str,
    plan: &'a Plan,
}

#[derive(Deserialize)]
struct Header {
    format_version: String,
}

#[derive(Deserialize)]
struct Saved {
    plan: Plan,
}

/// The saved-plan file for `plan`, pretty-printed, ending in a newline.
pub fn to_json(plan: &Plan) -> String {
    let saved = SavedRef {
        format_version: FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION"),
        plan,
    };
    // Live names may hold hazards; escaped, they read back the same and show in any viewer.
    let mut text = spec::text::json(
        serde_json::to_string_pretty(&saved).expect("a plan serializes: every map key is a string"),
    );
    text.push('\n');
    text
}

/// Reads a saved-plan file written by [`to_json`] (of any 2.x version). A file whose steps do
/// not hold together, or are not all covered by the stale check (edited by hand, or damaged),
/// is refused whole, so that `apply` never runs part of it.
pub fn from_json(text: &str) -> Result<Plan, Error> {
    let header: Header = serde_json::from_str(text)?;
    check_version(&header.format_version)?;
    let saved: Saved = serde_json::from_str(text)?;
    check(&saved.plan)?;
    Ok(saved.plan)
}

/// Fails unless `found` is a `format_version` this build reads (2.x).
pub fn check_version(found: &str) -> Result<(), Error> {
    let major = found.split('.').next().unwrap_or_default();
    if major != MAJOR {
        return Err(Error::UnsupportedVersion {
            found: found.to_owned(),
            supported: MAJOR,
        });
    }
    Ok(())
}

/// What the executor and the stale check rely on: every step waits only for earlier steps (so
/// the order is a DAG), carries the values its action needs, of its own kind, and is covered
/// by the stale check: the object it touches is in `reads.touched` with the fingerprint of the
/// value the step says it had (so that `apply` compares the live object with what the step
/// was planned from), and an object it deletes is in `reads.referrers`. A step added by hand
/// without its read is refused; one added with a made-up read is stale-checked against it.
fn check(plan: &Plan) -> Result<(), Error> {
    check_wiring(plan)?;
    let mut first_at = std::collections::BTreeSet::new();
    for (index, step) in plan.steps.iter().enumerate() {
        let fail = |problem: String| Error::Inconsistent {
            index,
            address: step.address.to_string(),
            problem,
        };
        if let Some(&dep) = step.depends_on.iter().find(|&&d| d >= index) {
            return Err(fail(format!(
                "waits for steps[{dep}], which is not an earlier step"
            )));
        }
        let (needs_before, needs_after) = match step.action {
            Action::Create => (false, true),
            Action::Update => (false, true),
            Action::Delete => (true, false),
        };
        let verb = match step.action {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        };
        if needs_after && step.after.is_none() {
            return Err(fail(format!("is a {verb} without an `after` value")));
        }
        if needs_before && step.before.is_none() {
            return Err(fail(format!("is a {verb} without a `before` value")));
        }
        if step.action == Action::Create && step.before.is_some() {
            return Err(fail("is a create with a `before` value".to_owned()));
        }
        if step.action == Action::Delete && step.after.is_some() {
            return Err(fail("is a delete with an `after` value".to_owned()));
        }
        for (side, value) in [("before", &step.before), ("after", &step.after)] {
            if let Some(object) = value
                && object.kind() != step.address.kind()
            {
                return Err(fail(format!("has a {} value as `{side}`", object.kind())));
            }
        }
        // The stale check. The first step at an address reads its live value (the second
        // half of a replacement reads nothing new).
        let Some(read) = plan.reads.touched.get(&step.address) else {
            return Err(fail(
                "is not covered by the stale check (its object is not in `reads.touched`)"
                    .to_owned(),
            ));
        };
        if first_at.insert(&step.address) && *read != step.before.as_ref().map(fingerprint) {
            return Err(fail(
                "does not match what the plan read (its `before` is not the value \
                 `reads.touched` holds)"
                    .to_owned(),
            ));
        }
        if step.action == Action::Delete && !plan.reads.referrers.contains_key(&step.address) {
            return Err(fail(
                "is a delete not covered by the stale check (not in `reads.referrers`)".to_owned(),
            ));
        }
    }
    Ok(())
}

/// A saved wiring correction sets only PCC's own URLs, in the fields the account API has for
/// what it corrects: `apply` sends the constants, never a URL read from the file, and refuses
/// a file that says otherwise (edited, or damaged) rather than apply part of it.
fn check_wiring(plan: &Plan) -> Result<(), Error> {
    use spec::model::{
        PCC_NUMBER_ANSWER_URL, PCC_NUMBER_EVENT_URL, PCC_PROJECT_ANSWER_URL, PCC_PROJECT_EVENT_URL,
    };
    let Some(wiring) = &plan.wiring else {
        return Ok(());
    };
    for (index, rewire) in wiring.rewires.iter().enumerate() {
        let fail = |problem: String| Error::InconsistentWiring {
            index,
            wired: rewire.wired.to_string(),
            problem,
        };
        let fields: &[(&str, &str)] = match rewire.wired {
            Wired::Project => &[
                ("answer_url", PCC_PROJECT_ANSWER_URL),
                ("callback_url", PCC_PROJECT_EVENT_URL),
            ],
            Wired::Number(_) => &[
                ("answer_url", PCC_NUMBER_ANSWER_URL),
                ("event_url", PCC_NUMBER_EVENT_URL),
            ],
        };
        if rewire.changes.is_empty() {
            return Err(fail("corrects no field".to_owned()));
        }
        for change in &rewire.changes {
            if !fields.contains(&(change.field.as_str(), change.to.as_str())) {
                return Err(fail(format!(
                    "sets `{}` to a URL that is not PCC's own for it",
                    change.field
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wiring::{Rewire, UrlChange, Wiring};

    fn plan_with(rewire: Rewire) -> Plan {
        let mut plan = crate::plan(
            &spec::Model::default(),
            &spec::Model::default(),
            &spec::Policy::default(),
        );
        plan.wiring = Some(Wiring {
            project_id: "1".into(),
            rewires: vec![rewire],
            unowned: Vec::new(),
        });
        plan
    }

    #[test]
    fn a_wiring_correction_to_anything_but_pccs_own_url_is_refused() {
        let good = Rewire {
            wired: Wired::Number("841".into()),
            id: "7".into(),
            changes: vec![UrlChange {
                field: "answer_url".into(),
                from: None,
                to: spec::model::PCC_NUMBER_ANSWER_URL.into(),
            }],
        };
        let text = to_json(&plan_with(good.clone()));
        assert_eq!(
            from_json(&text).unwrap().wiring,
            plan_with(good.clone()).wiring
        );

        // Edited to send calls elsewhere, to a field the number has not, or to nothing.
        let mut elsewhere = good.clone();
        elsewhere.changes[0].to = "https://attacker.example.com/answer".into();
        let mut project_url = good.clone();
        project_url.changes[0].to = spec::model::PCC_PROJECT_ANSWER_URL.into();
        let mut field = good.clone();
        field.changes[0].field = "callback_url".into();
        let mut empty = good;
        empty.changes.clear();
        for (rewire, problem) in [
            (
                elsewhere,
                "sets `answer_url` to a URL that is not PCC's own for it",
            ),
            (
                project_url,
                "sets `answer_url` to a URL that is not PCC's own for it",
            ),
            (
                field,
                "sets `callback_url` to a URL that is not PCC's own for it",
            ),
            (empty, "corrects no field"),
        ] {
            let err = from_json(&to_json(&plan_with(rewire)))
                .unwrap_err()
                .to_string();
            assert_eq!(
                err,
                format!(
                    "saved plan is inconsistent: wiring.rewires[0] (number 841) {problem}; make \
                     it again with `switchboard plan --out`"
                )
            );
        }
    }
}
