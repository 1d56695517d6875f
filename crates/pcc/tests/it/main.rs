//! The pcc crate's integration tests: tokens, normalisation from fixtures, the retry rule and
//! paging against small local servers, a hostile PCC (endless bodies, absurd counts, 429s for
//! ever, unknown shapes), secret redaction, and reads against the emulator.

mod account;
mod auth;
mod client;
mod emulator;
mod encode;
mod hostile;
mod normalise;
mod read;
mod secrets;
mod support;
