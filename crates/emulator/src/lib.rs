//! A faithful local Stringee PCC REST API: axum server, SQLite state, fault injection, request counts.
