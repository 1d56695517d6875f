//! Test servers on 127.0.0.1:0 and shared helpers.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use pcc::{Client, Config, Credentials, RetryPolicy};

pub const SID: &str = "SKtestkey0000000000000000000abc";
pub const SECRET: &str = "s3cr3t-VALUE-that-must-never-leak";

/// Serves `router` on a fresh loopback port. The listener is bound before this returns, so
/// the server is ready: connections queue until axum accepts them.
pub async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// A client with quick retries, for tests.
pub fn client(addr: SocketAddr) -> Client {
    client_with(addr, |_| {})
}

pub fn client_with(addr: SocketAddr, tweak: impl FnOnce(&mut Config)) -> Client {
    let mut config =
        Config::with_endpoint(&format!("http://{addr}"), Credentials::new(SID, SECRET));
    config.retry = RetryPolicy {
        max_attempts: 4,
        max_timeouts: 2,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(5),
        max_throttled: Duration::from_secs(30),
    };
    tweak(&mut config);
    Client::new(config).unwrap()
}

pub fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
