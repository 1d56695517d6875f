//! The admin endpoints under `/_emulator` (never faulted, never counted): what they offer,
//! fault settings, request counts, the wiring of the account, and a dump of every object.
//! They answer loopback peers, and other peers only with a token signed with an accepted key:
//! an emulator listening on a network must not let the network change its faults or read
//! its state.

use std::net::{IpAddr, SocketAddr};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use crate::account::{self, WiringChange};
use crate::hosts::error;
use crate::schema::Kind;
use crate::store::{Fail, Filter};
use crate::{ApiKey, App, Faults, api, auth};

/// Every admin endpoint: method, path, what it does. `GET /_emulator` answers this list.
const ENDPOINTS: [(&str, &str, &str); 8] = [
    (
        "GET",
        "/_emulator",
        "this list, and the addresses of both APIs",
    ),
    (
        "GET",
        "/_emulator/faults",
        "the fault settings and rate limits",
    ),
    (
        "PUT",
        "/_emulator/faults",
        "replace the fault settings and rate limits (omitted fields: 0 or none)",
    ),
    (
        "GET",
        "/_emulator/stats",
        "request counts by endpoint, faults injected, 429s by rate-limit scope",
    ),
    ("POST", "/_emulator/stats/reset", "zero the counts"),
    (
        "GET",
        "/_emulator/wiring",
        "the account's project and numbers with their answer and event URLs",
    ),
    (
        "PUT",
        "/_emulator/wiring",
        "set the URLs of the project and of numbers (numbers not owned yet are bought)",
    ),
    ("GET", "/_emulator/state", "every object, kind by kind"),
];

pub(crate) fn router(app: App) -> Router {
    Router::new()
        .route("/_emulator", get(index))
        .route("/_emulator/faults", get(get_faults).put(put_faults))
        .route("/_emulator/stats", get(get_stats))
        .route("/_emulator/stats/reset", post(reset_stats))
        .route("/_emulator/wiring", get(get_wiring).put(put_wiring))
        .route("/_emulator/state", get(get_state))
        .route_layer(middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app)
}

/// Who may use the admin endpoints: a loopback peer, or anyone whose request carries a token
/// (`X-STRINGEE-AUTH` or `?access_token=`, as on `/v1`) signed with one of `keys` (project or
/// account keys). `peer` is the socket's, never a header's (`X-Forwarded-For` is anyone's to
/// write); `None` (no socket: a router driven in process) is not loopback.
pub(crate) fn access(
    peer: Option<IpAddr>,
    token: Option<&str>,
    keys: &[&[ApiKey]],
    now: u64,
) -> Result<(), &'static str> {
    if peer.is_some_and(|ip| ip.to_canonical().is_loopback()) {
        return Ok(());
    }
    let Some(token) = token else {
        return Err("not a loopback peer, and no token");
    };
    if keys
        .iter()
        .any(|keys| auth::verify(keys, token, now).is_ok())
    {
        Ok(())
    } else {
        Err("not a loopback peer, and the token is not signed with an accepted key")
    }
}

async fn guard(State(app): State<App>, req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let header = req
        .headers()
        .get("x-stringee-auth")
        .and_then(|v| v.to_str().ok());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let verdict = access(
        peer,
        auth::token(header, req.uri().query()),
        &[&app.keys, &app.account_keys],
        now,
    );
    match verdict {
        Ok(()) => next.run(req).await,
        Err(why) => {
            tracing::debug!("refused {} {}: {why}", req.method(), req.uri().path());
            let mut resp = (
                StatusCode::FORBIDDEN,
                axum::Json(json!({
                    "r": 5,
                    "message": "the emulator's admin endpoints answer loopback clients, or requests \
                                signed with an accepted key (X-STRINGEE-AUTH)",
                })),
            )
                .into_response();
            resp.headers_mut().insert(
                header::CACHE_CONTROL,
                "no-store".parse().expect("a valid value"),
            );
            resp
        }
    }
}

async fn index(State(app): State<App>) -> axum::Json<Value> {
    let endpoints: Vec<Value> = ENDPOINTS
        .iter()
        .map(|(method, path, what)| json!({ "method": method, "path": path, "what": what }))
        .collect();
    let (pcc, call_api) = match app.urls.get() {
        Some([pcc, call]) => (Value::from(pcc.as_str()), Value::from(call.as_str())),
        None => (Value::Null, Value::Null),
    };
    axum::Json(json!({
        "r": 0,
        "message": "the Stringee PCC emulator: PCC's REST API at `pcc`, the Call API host's \
                    (greeting files, the account API) at `call_api` and for a Host that starts \
                    with `api.`; these admin endpoints on both",
        "pcc": pcc,
        "call_api": call_api,
        "endpoints": endpoints,
    }))
}

async fn get_faults(State(app): State<App>) -> axum::Json<Faults> {
    axum::Json(app.faults.get())
}

async fn put_faults(State(app): State<App>, body: axum::body::Bytes) -> Response {
    let faults: Faults = match serde_json::from_slice(&body) {
        Ok(faults) => faults,
        Err(err) => return error(StatusCode::UNPROCESSABLE_ENTITY, format!("{err}")),
    };
    if let Err(err) = faults.validate() {
        return error(StatusCode::UNPROCESSABLE_ENTITY, format!("{err}"));
    }
    app.faults.set(faults);
    axum::Json(app.faults.get()).into_response()
}

async fn get_stats(State(app): State<App>) -> axum::Json<crate::Stats> {
    axum::Json(app.faults.stats())
}

async fn reset_stats(State(app): State<App>) -> StatusCode {
    app.faults.reset_stats();
    StatusCode::NO_CONTENT
}

async fn get_wiring(State(app): State<App>) -> Response {
    match wiring(&app) {
        Ok(view) => axum::Json(view).into_response(),
        Err(why) => error(StatusCode::INTERNAL_SERVER_ERROR, why),
    }
}

async fn put_wiring(State(app): State<App>, body: axum::body::Bytes) -> Response {
    let change: WiringChange = match serde_json::from_slice(&body) {
        Ok(change) => change,
        Err(err) => return error(StatusCode::UNPROCESSABLE_ENTITY, format!("{err}")),
    };
    if let Err(why) = rewire(&app, &change) {
        return error(StatusCode::UNPROCESSABLE_ENTITY, why);
    }
    get_wiring(State(app)).await
}

/// The account view, as `GET /_emulator/wiring` answers it.
pub(crate) fn wiring(app: &App) -> Result<Value, String> {
    app.store
        .read(|db| account::view(app, db))
        .map_err(describe)
}

/// Applies a wiring change in one transaction.
pub(crate) fn rewire(app: &App, change: &WiringChange) -> Result<(), String> {
    app.store
        .write(|db| account::rewire(app, db, change))
        .map_err(describe)
}

fn describe(fail: Fail) -> String {
    match fail {
        Fail::Db(err) => err.to_string(),
        Fail::Refused(refusal) => refusal.message,
    }
}

async fn get_state(State(app): State<App>) -> Response {
    match dump(&app) {
        Ok(state) => axum::Json(state).into_response(),
        Err(why) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("emulator: state database error: {why}"),
        ),
    }
}

/// Every object, kind by kind in creation order, each as its list shows it; the account's
/// project and numbers under `account`.
pub(crate) fn dump(app: &App) -> Result<Value, String> {
    let result = app.store.read(|db| {
        let mut state = Map::new();
        state.insert("project".into(), app.project.into());
        for kind in Kind::ALL.into_iter().filter(|k| !k.is_account()) {
            let value = match kind {
                Kind::CallSettings => api::render_settings(app, api::settings_body(db)?),
                _ => Value::Array(
                    db.list(kind, Filter::All, -1, 0)?
                        .iter()
                        .map(|o| api::render(app, db, o))
                        .collect::<Result<_, Fail>>()?,
                ),
            };
            state.insert(kind.list_key().into(), value);
        }
        // An object, not a list: the account's numbers are PCC's seen from elsewhere, and
        // counting the lists of the dump counts PCC's objects.
        state.insert("account".into(), account::view(app, db)?);
        Ok(Value::Object(state))
    });
    result.map_err(describe)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ApiKey {
        ApiKey {
            sid: "SKadmin".into(),
            secret: "admin-secret".into(),
        }
    }

    /// A token signed with `secret` for `sid`, valid for an hour after `now`.
    fn token(sid: &str, secret: &str, now: u64) -> String {
        use base64::Engine as _;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use hmac::{Hmac, KeyInit, Mac};
        let head =
            URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"HS256","cty":"stringee-api;v=1"}"#);
        let claims = format!(
            r#"{{"jti":"{sid}-{now}","iss":"{sid}","exp":{},"rest_api":true}}"#,
            now + 3600
        );
        let body = URL_SAFE_NO_PAD.encode(claims.as_bytes());
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{head}.{body}").as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{head}.{body}.{sig}")
    }

    #[test]
    fn loopback_peers_need_no_key_and_others_need_a_signed_token() {
        let now = 1_800_000_000;
        let keys = [key()];
        let account = [ApiKey {
            sid: "ACaccount".into(),
            secret: "account-secret".into(),
        }];
        let all: [&[ApiKey]; 2] = [&keys, &account];
        for loopback in ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"] {
            let ip: IpAddr = loopback.parse().unwrap();
            assert_eq!(access(Some(ip), None, &all, now), Ok(()), "{loopback}");
        }
        for remote in [
            "10.0.0.7",
            "192.168.1.20",
            "0.0.0.0",
            "::",
            "fe80::1",
            "::ffff:10.0.0.7",
            "2001:db8::1",
        ] {
            let ip: IpAddr = remote.parse().unwrap();
            assert!(
                access(Some(ip), None, &all, now).is_err(),
                "{remote} with no token"
            );
            assert!(
                access(Some(ip), Some("not-a-jwt"), &all, now).is_err(),
                "{remote} with garbage"
            );
            let forged = token("SKadmin", "guessed-secret", now);
            assert!(
                access(Some(ip), Some(&forged), &all, now).is_err(),
                "{remote} forged"
            );
            let expired = token("SKadmin", "admin-secret", now - 7200);
            assert!(
                access(Some(ip), Some(&expired), &all, now).is_err(),
                "{remote} expired"
            );
            let good = token("SKadmin", "admin-secret", now);
            assert_eq!(
                access(Some(ip), Some(&good), &all, now),
                Ok(()),
                "{remote} project key"
            );
            let good = token("ACaccount", "account-secret", now);
            assert_eq!(
                access(Some(ip), Some(&good), &all, now),
                Ok(()),
                "{remote} account key"
            );
        }
        // No socket (a router driven in process) is not loopback.
        assert!(access(None, None, &all, now).is_err());
        assert_eq!(
            access(
                None,
                Some(&token("SKadmin", "admin-secret", now)),
                &all,
                now
            ),
            Ok(())
        );
    }
}
