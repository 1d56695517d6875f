//! Wire types of the Stringee PCC REST API, the HTTP client, and the live-state reader.
