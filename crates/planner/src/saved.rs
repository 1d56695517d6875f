//! The saved-plan file (`plan --out`): versioned JSON holding everything `apply` needs
//! without the spec (every step's after-value, audio steps' file paths and content hashes)
//! and the fingerprints of the live objects the plan read. It never holds a secret: plans are
//! made from models, and models hold none.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::plan::Plan;

/// The saved-plan format. A minor bump only adds fields; a major bump is incompatible and
/// refused on read.
pub const FORMAT_VERSION: &str = "1.0";

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
    let mut text =
        serde_json::to_string_pretty(&saved).expect("a plan serializes: every map key is a string");
    text.push('\n');
    text
}

/// Reads a saved-plan file written by [`to_json`] (of any 1.x version).
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
    Ok(saved.plan)
}
