//! Wire types of the Stringee PCC REST API, the HTTP client, and the live-state reader.
//!
//! - [`Client`]: tokens, timeouts, the `r` envelope, paging, safe retries, and generic
//!   operations over every resource in `docs/pcc-api-assumptions.md`.
//! - [`read_live`]: the live project as a [`spec::Model`] plus the server ids ([`Ids`]).
//! - [`rest`]: each resource's REST shape, once ([`Resource`]), that the client's generic
//!   create, update, delete and list operations use; [`encode`], model objects back into
//!   request bodies.
//!
//! **Invariant:** the API secret and the tokens made from it are never printed, logged, or
//! put in an error ([`Secret`]).

#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod account;
mod answer;
pub mod auth;
pub mod client;
mod error;
mod limits;
pub mod live;
pub mod normal;
mod pace;
pub mod rest;
mod retry;
mod throttle;
pub mod wire;

pub use account::Account;
pub use answer::Shape;
pub use auth::{Credentials, Secret};
pub use client::{Client, Config, PAGE_LIMIT, RequestStats, RetryPolicy, redact_url};
pub use error::{Error, LiveProblem, Lost, Silence, Subject};
pub use limits::Limits;
pub use live::{
    Ids, Live, Parents, RawLive, ReadOptions, ReadScope, minimum_reads, minimum_reads_within,
    normalise, normalise_setting_aside, read_live, read_live_setting_aside,
};
pub use pace::Pace;
pub use rest::{Host, Resource, Writes, encode, family};
