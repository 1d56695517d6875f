//! What an apply did, step by step ([`ApplyReport`]), and the events it emits while it runs
//! ([`Event`]), from which the binary draws progress.

use std::time::Duration;

use planner::{Action, Step};
use spec::Address;

use crate::error::Error;

/// Everything an apply did, one entry per plan step, in plan order.
#[derive(Debug)]
pub struct ApplyReport {
    /// One report per step of the plan, in plan order (`steps[i]` is `plan.steps[i]`).
    pub steps: Vec<StepReport>,
    /// Wall time of the whole apply.
    pub elapsed: Duration,
    /// Set when the apply stopped launching steps before the end: interrupted by the caller,
    /// or stopped because PCC refused the API key, stopped answering, refused everything
    /// with 429s, or failed every write.
    pub stopped: Option<Stopped>,
}

/// Why an apply stopped launching steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// [`crate::Config::stop`] was raised (Ctrl-C).
    Interrupted,
    /// PCC refused the API key; every other step would have failed the same way.
    AuthRefused,
    /// A step failed because PCC could not be reached (no connection, or no answer, after
    /// the client's retries); the steps not started would have waited out the same retries.
    Unreachable,
    /// A step failed because PCC kept refusing with HTTP 429 past the client's budget of
    /// waiting ([`pcc::RetryPolicy::max_retry_after`], [`pcc::RetryPolicy::max_throttled`]);
    /// the steps not started would have been refused the same way.
    Throttled,
    /// [`crate::FAILING_STEPS`] steps in a row failed because PCC failed them (every write
    /// answered with a server error, 5xx, or lost; or a look-up's list refused with one), none
    /// done in between: PCC answers, but carries out nothing, and the steps not started would
    /// have sent their writes for nothing.
    Failing,
}

/// What happened to one step.
#[derive(Debug)]
pub struct StepReport {
    /// The step's index in the plan.
    pub index: usize,
    /// The step's object.
    pub address: Address,
    /// The step's action.
    pub action: Action,
    /// How it ended.
    pub outcome: Outcome,
}

/// How a step ended.
#[derive(Debug)]
pub enum Outcome {
    /// The object is as the plan wants it.
    Done(Done),
    /// The step failed; nothing that depends on it ran.
    Failed(Error),
    /// The step did not run because a step it depends on (directly or not) failed.
    Skipped {
        /// The index of the failed step that stopped it.
        because: usize,
    },
    /// The apply stopped before the step started (see [`ApplyReport::stopped`]).
    NotRun,
}

/// A step carried out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Done {
    /// The server id of what a create made (for audio: the server's file name; for a
    /// membership, none: PCC gives memberships no id).
    pub id: Option<String>,
    /// How the step got past a lost answer or a missing object, if it had to.
    pub recovery: Option<Recovery>,
    /// Writes sent for this step (1 when nothing went wrong).
    pub writes: u32,
}

/// How a step got past trouble. Worth showing: each one is a fault PCC (or the network)
/// threw that the executor absorbed without a duplicate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// The answer to a write was lost; a look-up found the change made, so it was not sent
    /// again. For a create, the object found was adopted (its id is [`Done::id`]); `updated`
    /// is set when its fields differed from the plan's and an update followed.
    Found {
        /// An update followed the adoption.
        updated: bool,
    },
    /// The answer to a write was lost and a look-up did not find the change: the write was
    /// sent again.
    Resent,
    /// PCC said the number exists; its id was adopted (`updated` as for `Found`).
    NumberExisted {
        /// An update followed the adoption.
        updated: bool,
    },
    /// The object to delete was already gone.
    AlreadyGone,
    /// Another writer had made the object (a second apply at the same time, or a killed run
    /// whose write landed late): found by the look-up that followed PCC's refusal of the
    /// create (memberships and key presses, which PCC keeps unique), or by the look before
    /// an upload (audio, which PCC cannot delete). It was adopted (`updated` as for
    /// `Found`).
    Existed {
        /// An update followed the adoption.
        updated: bool,
    },
    /// The object was made more than once: by another writer at the same time (a second
    /// apply, or the late write of a killed one), or by this step's own write whose answer
    /// was lost. Every writer keeps the oldest copy; the newer copies that this step made, and
    /// exact copies of what it writes, were deleted.
    Raced {
        /// The copy kept is not this step's own: it was adopted, and its id is [`Done::id`].
        adopted: bool,
        /// An update followed the adoption (the copy kept had other fields).
        updated: bool,
        /// Newer copies deleted.
        removed: u32,
        /// Newer copies left alone: made by someone else with other fields (theirs to
        /// remove), or that PCC would not delete. The next plan names any that stay.
        left: u32,
    },
}

impl Outcome {
    /// True for [`Outcome::Done`].
    pub fn is_done(&self) -> bool {
        matches!(self, Outcome::Done(_))
    }
}

/// Counts of an apply, Terraform's way: a replacement is one add and one destroy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Creates done.
    pub added: usize,
    /// Updates done.
    pub changed: usize,
    /// Deletes done.
    pub destroyed: usize,
    /// Steps failed.
    pub failed: usize,
    /// Steps skipped because of a failure.
    pub skipped: usize,
    /// Steps not started because the apply stopped.
    pub not_run: usize,
}

impl ApplyReport {
    /// The counts for `Apply complete! Resources: A added, C changed, D destroyed.`
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for step in &self.steps {
            match (&step.outcome, step.action) {
                (Outcome::Done(_), Action::Create) => s.added += 1,
                (Outcome::Done(_), Action::Update) => s.changed += 1,
                (Outcome::Done(_), Action::Delete) => s.destroyed += 1,
                (Outcome::Failed(_), _) => s.failed += 1,
                (Outcome::Skipped { .. }, _) => s.skipped += 1,
                (Outcome::NotRun, _) => s.not_run += 1,
            }
        }
        s
    }

    /// True when every step is done.
    pub fn is_success(&self) -> bool {
        self.steps.iter().all(|s| s.outcome.is_done())
    }

    /// The failed steps, in plan order.
    pub fn failed(&self) -> impl Iterator<Item = (&StepReport, &Error)> {
        self.steps.iter().filter_map(|s| match &s.outcome {
            Outcome::Failed(e) => Some((s, e)),
            _ => None,
        })
    }
}

/// Something that happened during an apply, for progress output. Events arrive in the order
/// things happen, from the task that called [`crate::apply`].
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    /// A step was launched (its dependencies are done).
    Started {
        /// The step's index in the plan.
        index: usize,
        /// The step.
        step: &'a Step,
    },
    /// A step ended: done, failed, skipped or not run.
    Finished(&'a StepReport),
}
