//! The admin endpoints under `/_emulator` (no authentication, never faulted, never counted):
//! fault settings, request counts, and a dump of every object.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value};

use crate::schema::Kind;
use crate::store::{Fail, Filter};
use crate::{App, Faults, api};

pub(crate) fn router(app: App) -> Router {
    Router::new()
        .route("/_emulator/faults", get(get_faults).put(put_faults))
        .route("/_emulator/stats", get(get_stats))
        .route("/_emulator/stats/reset", post(reset_stats))
        .route("/_emulator/state", get(get_state))
        .with_state(app)
}

async fn get_faults(State(app): State<App>) -> axum::Json<Faults> {
    axum::Json(app.faults.get())
}

async fn put_faults(State(app): State<App>, axum::Json(faults): axum::Json<Faults>) -> Response {
    if let Err(err) = faults.validate() {
        return (StatusCode::UNPROCESSABLE_ENTITY, format!("{err}\n")).into_response();
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

async fn get_state(State(app): State<App>) -> Response {
    match dump(&app) {
        Ok(state) => axum::Json(state).into_response(),
        Err(why) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("emulator: state database error: {why}\n"),
        )
            .into_response(),
    }
}

/// Every object, kind by kind in creation order, each as its list shows it.
pub(crate) fn dump(app: &App) -> Result<Value, String> {
    let result = app.store.read(|db| {
        let mut state = Map::new();
        state.insert("project".into(), app.project.into());
        for kind in Kind::ALL {
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
        Ok(Value::Object(state))
    });
    result.map_err(|fail| match fail {
        Fail::Db(err) => err.to_string(),
        Fail::Refused(refusal) => refusal.message,
    })
}
