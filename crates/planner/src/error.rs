//! The planner's one error type: reading a saved plan is the only thing that can fail.

/// A saved plan that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file is not JSON, or not a plan of this format.
    #[error("saved plan is not readable at line {line}, column {column}: {message}")]
    Malformed {
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The file parses, but its steps do not hold together (a step waits for a later or
    /// missing step, a create without a value, a value of another kind): it was edited or
    /// damaged, and applying it could run steps out of order.
    #[error(
        "saved plan is inconsistent: steps[{index}] ({address}) {problem}; make it again \
         with `switchboard plan --out`"
    )]
    Inconsistent {
        /// 0-based index of the step in `plan.steps`.
        index: usize,
        /// The step's address.
        address: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A wiring correction of the file sets something other than PCC's own URLs: it was
    /// edited or damaged.
    #[error(
        "saved plan is inconsistent: wiring.rewires[{index}] ({wired}) {problem}; make it \
         again with `switchboard plan --out`"
    )]
    InconsistentWiring {
        /// 0-based index of the correction in `plan.wiring.rewires`.
        index: usize,
        /// What it corrects (`number 84…`, `the project`).
        wired: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The file is a plan of an incompatible format version.
    #[error(
        "saved plan has format_version `{found}`, and this switchboard reads {supported}.x; \
         plan again with this version"
    )]
    UnsupportedVersion {
        /// The version in the file.
        found: String,
        /// The major version this build reads.
        supported: &'static str,
    },
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        // serde_json's message ends with " at line L column C"; keep the position apart.
        let message = e.to_string();
        let message = match message.rfind(" at line ") {
            Some(at) => message[..at].to_owned(),
            None => message,
        };
        Error::Malformed {
            line: e.line(),
            column: e.column(),
            message,
        }
    }
}
