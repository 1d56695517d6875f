//! The two APIs and what every request meets before them: the Call API host
//! (`api.stringee.com`: greeting files and the account API) apart from PCC's
//! (`icc-api.stringee.com`), chosen by listener or by `Host`; trailing slashes dropped; and
//! every error the emulator itself answers (unknown path, wrong method, unreadable query, body
//! too large) in the `{r, message}` envelope.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header;
use axum::http::{Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tower_service::Service as _;

use crate::{App, account, admin, api, faults};

/// Which API a request is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Api {
    /// PCC's REST API (`icc-api.stringee.com`), plus greeting files for one-endpoint clients.
    Pcc,
    /// The Call API host (`api.stringee.com`): greeting files and the account API.
    Call,
}

/// The largest error body read back to wrap it in the envelope.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// An error the emulator answers itself: `{"r": <HTTP status>, "message": ...}`.
pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let message: String = message.into();
    (
        status,
        axum::Json(json!({ "r": status.as_u16(), "message": message })),
    )
        .into_response()
}

#[derive(Clone, Debug)]
struct Dispatch {
    pcc: Router,
    call: Router,
    /// The listener's API; `None` on the main listener, which goes by `Host`.
    fixed: Option<Api>,
}

/// The main listener: PCC, or the Call API for a `Host` such as `api.stringee.com`.
pub(crate) fn main(app: &App) -> Router {
    outer(app, None)
}

/// The Call API listener.
pub(crate) fn call_api(app: &App) -> Router {
    outer(app, Some(Api::Call))
}

fn outer(app: &App, fixed: Option<Api>) -> Router {
    let dispatch = Dispatch {
        pcc: inner(app, Api::Pcc),
        call: inner(app, Api::Call),
        fixed,
    };
    Router::new().fallback(route).with_state(dispatch)
}

async fn route(State(dispatch): State<Dispatch>, mut req: Request) -> Response {
    drop_trailing_slashes(&mut req);
    let api = dispatch.fixed.unwrap_or_else(|| api_for(&req));
    let mut router = match api {
        Api::Pcc => dispatch.pcc,
        Api::Call => dispatch.call,
    };
    match router.call(req).await {
        Ok(resp) => resp,
        Err(never) => match never {},
    }
}

/// The Call API when the request's host has a label `api` (`api.stringee.com`, the regional
/// `asia-2.api.stringee.com`, `api.localhost`), else PCC (`icc-api.stringee.com`, an IP).
pub(crate) fn is_call_api_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        // An IPv6 literal is never the Call API.
        Some(_) => return false,
        None => host.rsplit_once(':').map_or(host, |(name, _port)| name),
    };
    name.split('.')
        .any(|label| label.eq_ignore_ascii_case("api"))
}

fn api_for(req: &Request) -> Api {
    let host = req
        .uri()
        .host()
        .map(str::to_owned)
        .or_else(|| {
            req.headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_default();
    if is_call_api_host(&host) {
        Api::Call
    } else {
        Api::Pcc
    }
}

/// `/v1/agent/` and `/v1/agent/?stringee_user_id=x` are `/v1/agent`: real clients send them
/// and PCC evidently serves them.
fn drop_trailing_slashes(req: &mut Request) {
    let path = req.uri().path();
    let trimmed = path.trim_end_matches('/');
    if trimmed.len() == path.len() || trimmed.is_empty() {
        return;
    }
    let rebuilt = match req.uri().query() {
        Some(query) => format!("{trimmed}?{query}"),
        None => trimmed.to_owned(),
    };
    let mut parts = req.uri().clone().into_parts();
    if let Ok(path_and_query) = rebuilt.parse() {
        parts.path_and_query = Some(path_and_query);
        if let Ok(uri) = Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
}

/// One API's routes, behind the gate (counts, faults, token, limits) and the envelope, with
/// the admin endpoints beside them.
fn inner(app: &App, api: Api) -> Router {
    let routes = match api {
        Api::Pcc => api::routes().merge(api::greeting_routes()),
        Api::Call => account::routes().merge(api::greeting_routes()),
    };
    routes
        .layer(middleware::from_fn(envelope))
        .layer(middleware::from_fn_with_state(
            (app.clone(), api),
            faults::gate,
        ))
        .with_state(app.clone())
        .merge(admin::router(app.clone()))
        .fallback(move |req: Request| async move { not_found(api, &req) })
        .method_not_allowed_fallback(not_allowed)
}

/// Wraps an error the framework answered in plain text (an unreadable query, a body over the
/// limit) in the envelope.
async fn envelope(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if resp.status().as_u16() < 400 || is_json {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_ERROR_BODY)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).trim().to_owned();
    let mut wrapped = error(parts.status, text);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            wrapped.headers_mut().insert(name, value.clone());
        }
    }
    wrapped
}

/// Paths of the other API, to say where a misdirected request belongs.
const CALL_API_PATHS: [&str; 2] = ["/v1/project", "/v1/number"];
const PCC_PATHS: [&str; 11] = [
    "/v1/agent",
    "/v1/group",
    "/v1/manage-agents-in-group",
    "/v1/queue",
    "/v1/routing-call-to-groups",
    "/v1/ivrtree",
    "/v1/ivrnode",
    "/v1/ivrkeypress",
    "/v1/number",
    "/v1/blacklistnumber",
    "/v1/callsettings",
];

fn belongs_to(paths: &[&str], path: &str) -> bool {
    paths.iter().any(|p| {
        path.strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

fn not_found(api: Api, req: &Request) -> Response {
    let (method, path) = (req.method(), req.uri().path());
    let message = match api {
        Api::Pcc if belongs_to(&CALL_API_PATHS, path) => format!(
            "`{method} {path}` is not a PCC endpoint: the account API is on the Call API host \
             (api.stringee.com): send it to the emulator's Call API address, or with a Host \
             that starts with `api.`"
        ),
        Api::Call if belongs_to(&PCC_PATHS, path) => format!(
            "`{method} {path}` is not a Call API endpoint: it is PCC's (icc-api.stringee.com): \
             send it to the emulator's main address"
        ),
        Api::Pcc => format!("`{method} {path}` is not an endpoint of the PCC API"),
        Api::Call => format!("`{method} {path}` is not an endpoint of the Call API"),
    };
    error(StatusCode::NOT_FOUND, message)
}

async fn not_allowed(method: Method, uri: Uri) -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("`{}` does not take {method}", uri.path()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_call_api_is_any_host_with_an_api_label() {
        for host in [
            "api.stringee.com",
            "API.stringee.com:443",
            "asia-2.api.stringee.com",
            "api.localhost:8080",
            "api",
        ] {
            assert!(is_call_api_host(host), "{host}");
        }
        for host in [
            "icc-api.stringee.com",
            "127.0.0.1:8080",
            "[::1]:8080",
            "localhost",
            "apis.example.com",
            "",
        ] {
            assert!(!is_call_api_host(host), "{host}");
        }
    }
}
