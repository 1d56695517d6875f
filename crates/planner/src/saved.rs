//! The saved-plan file (`plan --out`): versioned JSON holding everything `apply` needs
//! without the spec (every step's after-value, audio steps' file paths and content hashes)
//! and the fingerprints of the live objects the plan read. It never holds a secret: plans are
//! made from models, and models hold none.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::plan::{Action, Plan};

/// The saved-plan format. A minor bump only adds fields; a major bump is incompatible and
/// refused on read.
pub const FORMAT_VERSION: &str = "1.2";

const MAJOR: &str = "1";

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

/// Reads a saved-plan file written by [`to_json`] (of any 1.x version). A file whose steps do
/// not hold together (edited by hand, or damaged) is refused whole, so that `apply` never
/// runs part of it.
pub fn from_json(text: &str) -> Result<Plan, Error> {
    let header: Header = serde_json::from_str(text)?;
    let major = header.format_version.split('.').next().unwrap_or_default();
    if major != MAJOR {
        return Err(Error::UnsupportedVersion {
            found: header.format_version,
            supported: MAJOR,
        });
    }
    let saved: Saved = serde_json::from_str(text)?;
    check(&saved.plan)?;
    Ok(saved.plan)
}

/// What the executor relies on: every step waits only for earlier steps (so the order is a
/// DAG), and carries the values its action needs, of its own kind.
fn check(plan: &Plan) -> Result<(), Error> {
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
    }
    Ok(())
}
