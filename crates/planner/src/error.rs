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
