//! The executor's one error type: why a step failed. Apply itself never fails as a whole; each
//! step's error is in its [`crate::StepReport`].

use std::fmt;

/// Why one step of a plan failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// PCC refused the request, or could not be reached; carries PCC's own message.
    #[error(transparent)]
    Pcc(#[from] pcc::Error),

    /// Every attempt at a write lost its answer, and the object was not found afterwards.
    #[error(
        "gave up after {attempts} attempts whose answers were all lost, and the object is not \
         in PCC: {last}"
    )]
    GaveUp {
        /// Writes sent.
        attempts: u32,
        /// The last attempt's failure.
        last: pcc::Error,
    },

    /// Several live objects carry the step's natural key: switchboard never guesses which one
    /// is meant.
    #[error(
        "{} objects in PCC have the natural key of {address} ({}); switchboard does not guess \
         which one is meant: delete all but one, then plan again",
        .ids.len(), Ids(.ids)
    )]
    Duplicate {
        /// The step's object.
        address: String,
        /// The server ids found.
        ids: Vec<String>,
    },

    /// An object the step refers to has no server id: it was neither read live nor created
    /// by an earlier step.
    #[error(
        "{address} needs the server id of {missing}, which is neither in PCC nor created by this plan"
    )]
    MissingId {
        /// The step's object.
        address: String,
        /// The object whose id is missing.
        missing: String,
    },

    /// PCC refused the list a look-up by natural key needed (the members, routings, nodes or
    /// key presses under a parent): without it nothing tells whether the write happened, so
    /// it is not sent again.
    #[error(
        "cannot look {address} up: PCC refused the list under {parent} ({refusal}); a refused \
         list is not read as the object being absent, so nothing was sent again: run apply \
         again (plan shows what is left)"
    )]
    LookupRefused {
        /// The step's object.
        address: String,
        /// The parent whose list was refused.
        parent: String,
        /// PCC's refusal.
        refusal: Box<pcc::Error>,
    },

    /// An audio file named by the plan cannot be read.
    #[error(
        "cannot read audio file `{}` for {address}: {message}",
        spec::text::terminal(.path)
    )]
    AudioRead {
        /// The step's object.
        address: String,
        /// The file, as the plan names it, under the spec root.
        path: String,
        /// Why.
        message: String,
    },

    /// An audio file's content is not the content the plan was made with.
    #[error(
        "audio file `{}` changed since the plan was made (its sha256 is {found}, the plan \
         uploads {}); plan again",
        spec::text::terminal(.path),
        spec::text::terminal(.expected)
    )]
    AudioChanged {
        /// The file.
        path: String,
        /// The hash in the plan.
        expected: String,
        /// The hash of the file now.
        found: String,
    },

    /// A node was created, but PCC's choice of root node disagrees with the plan's start.
    #[error(
        "{address} was created, but PCC {}; plan again to repair the tree",
        if *.became_root { "made it the tree's root though it is not the start" } else { "did not make it the tree's root though it is the start" }
    )]
    WrongRoot {
        /// The node.
        address: String,
        /// What PCC did.
        became_root: bool,
    },

    /// The step writes a value that may hold a credential, and the plan holds only its digest
    /// (a saved plan whose values were not filled in, `planner::fill_sensitive`).
    #[error(
        "{address}: the plan holds only a digest of `{field}` (it holds a credential), so \
         nothing was sent; apply the plan where its spec is, or apply the spec"
    )]
    SensitiveUnknown {
        /// The step's object.
        address: String,
        /// The field.
        field: &'static str,
    },

    /// A create found its object made already (its own write whose answer was lost, or
    /// another writer's) with other fields, of a kind PCC does not update (a routing, whose
    /// `PUT` is unconfirmed).
    #[error(
        "{address}: found already made (id {}) with other fields, and switchboard does not \
         update this kind in place: run `switchboard plan` again (it replaces it)",
        spec::text::terminal(.id)
    )]
    Differs {
        /// The step's object.
        address: String,
        /// The object found.
        id: String,
    },

    /// The step is not one the executor can carry out (a plan not made by this planner).
    #[error("{address}: cannot {action} this kind of object")]
    Unsupported {
        /// The step's object.
        address: String,
        /// The step's action.
        action: &'static str,
    },
}

impl Error {
    /// True when the API key was refused: every other step would fail the same way.
    pub fn is_auth(&self) -> bool {
        matches!(self, Error::Pcc(pcc::Error::Auth { .. }))
    }

    /// True when PCC could not be reached at all, after the client's retries
    /// ([`pcc::Error::is_unreachable`]): the steps after it would wait out the same retries
    /// and fail the same way.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Error::Pcc(e) if e.is_unreachable())
    }

    /// True when the step failed because PCC failed it: every write it sent was answered
    /// with a server error (5xx) or lost ([`Error::GaveUp`]), or PCC answered a server error
    /// (after the client's retries) to a request or to the list a look-up needed. Not a
    /// refusal (`r != 0`, a 4xx): PCC then understood the request and said no.
    pub fn is_server_failure(&self) -> bool {
        let failed = |e: &pcc::Error| {
            matches!(e, pcc::Error::Status { status, .. } if *status >= 500)
                || matches!(
                    e,
                    pcc::Error::Uncertain {
                        lost: pcc::Lost::Status(_),
                        ..
                    }
                )
        };
        match self {
            Error::GaveUp { .. } => true,
            Error::Pcc(e) => failed(e),
            Error::LookupRefused { refusal, .. } => failed(refusal),
            _ => false,
        }
    }

    /// True when PCC kept answering 429 past what the client waits
    /// ([`pcc::Error::is_throttled`]), in the step's write or in its look-up: the client has
    /// spent the command's budget of waiting, so every step after it would be refused at once.
    pub fn is_throttled(&self) -> bool {
        match self {
            Error::Pcc(e) | Error::GaveUp { last: e, .. } => e.is_throttled(),
            Error::LookupRefused { refusal, .. } => refusal.is_throttled(),
            _ => false,
        }
    }
}

struct Ids<'a>(&'a [String]);

impl fmt::Display for Ids<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Server ids are whatever PCC sent.
        f.write_str(&spec::text::terminal(&self.0.join(", ")))
    }
}
