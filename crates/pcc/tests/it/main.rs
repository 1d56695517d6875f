//! The pcc crate's integration tests: tokens, normalisation from fixtures, the retry rule and
//! paging against small local servers, secret redaction, and reads against the emulator.

mod auth;
mod client;
mod emulator;
mod encode;
mod normalise;
mod read;
mod secrets;
mod support;
