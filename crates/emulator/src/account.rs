//! The account API of the Call API host (`api.stringee.com`): the account's project and the
//! numbers it owns, with the answer and event URLs that must point at PCC for calls to reach
//! it. PCC's numbers (`/v1/number` on the PCC host) are a second view of the account's: a
//! number added to PCC exists in the account too, linked by its digits.

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::api::{Answer, parse_body};
use crate::schema::{Kind, R_NOT_FOUND, Refusal};
use crate::store::{Db, Fail, Filter, Object};
use crate::{ACCOUNT_ID, App, Wiring};

/// PCC's own answer URL for a project: "must be configured exactly like above" (Stringee's
/// getting-started guide).
pub const PCC_PROJECT_ANSWER_URL: &str = "http://v2.stringee.com:8282/project_answer_url";
/// PCC's own event URL for a project (the project's `callback_url`).
pub const PCC_PROJECT_EVENT_URL: &str = "http://v2.stringee.com:8282/project_event_url";
/// PCC's own answer URL for a number.
pub const PCC_NUMBER_ANSWER_URL: &str = "http://v2.stringee.com:8282/answer_url";
/// PCC's own event URL for a number.
pub const PCC_NUMBER_EVENT_URL: &str = "http://v2.stringee.com:8282/event_url";

/// The account number list's page size when none is asked (its docs: "default = 10").
const DEFAULT_LIMIT: i64 = 10;
const MAX_LIMIT: i64 = 100;

/// The key SID a request was signed with, put there by the gate: account answers carry it as
/// `account_sid`.
#[derive(Clone, Debug)]
pub(crate) struct Caller(pub(crate) String);

type Params = Query<BTreeMap<String, String>>;
type Signer = Option<Extension<Caller>>;

/// The account routes (without state, gate or fallbacks: `hosts.rs` adds those).
pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route(
            "/v1/project",
            get(|State(app): State<App>, caller: Signer, Query(q): Params| async move {
                account(&app, caller, |db| list_projects(&app, db, &q), false)
            })
            .post(|State(app): State<App>, caller: Signer| async move {
                let refusal = Refusal::invalid(format!(
                    "creating projects is not emulated: the emulator's account holds one project ({})",
                    app.project
                ));
                account(&app, caller, |_| Err(refusal.into()), false)
            }),
        )
        .route(
            "/v1/project/{id}",
            get(
                |State(app): State<App>, caller: Signer, Path(id): Path<String>| async move {
                    account(&app, caller, |db| one_project(db, &id), false)
                },
            )
            .put(
                |State(app): State<App>,
                 caller: Signer,
                 Path(id): Path<String>,
                 body: Bytes| async move {
                    account(&app, caller, |db| update_project(db, &id, &body), true)
                },
            ),
        )
        .route(
            "/v1/number",
            get(|State(app): State<App>, caller: Signer, Query(q): Params| async move {
                account(&app, caller, |db| list_numbers(db, &q), false)
            }),
        )
        .route(
            "/v1/number/{id}",
            axum::routing::put(
                |State(app): State<App>,
                 caller: Signer,
                 Path(id): Path<String>,
                 body: Bytes| async move {
                    account(&app, caller, |db| update_number(db, &id, &body), true)
                },
            ),
        )
}

/// Runs `f` (in a write transaction when `write`) and answers in the account envelope:
/// `{r, account_sid, message, ...}`.
fn account(
    app: &App,
    caller: Signer,
    f: impl FnOnce(&Db<'_>) -> Result<Map<String, Value>, Fail>,
    write: bool,
) -> Answer {
    let result = if write {
        app.store.write(f)
    } else {
        app.store.read(f)
    };
    let sid = caller.map(|Extension(Caller(sid))| sid).unwrap_or_default();
    match result {
        Ok(mut map) => {
            map.insert("r".into(), 0.into());
            map.insert("account_sid".into(), sid.into());
            Answer::Done(map)
        }
        Err(Fail::Refused(mut refusal)) => {
            refusal.extra.insert("account_sid".into(), sid.into());
            Answer::Refused(None, refusal)
        }
        Err(Fail::Db(err)) => Answer::Broken(err.to_string()),
    }
}

fn message(text: &str) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("message".into(), text.into());
    map
}

// ---------------------------------------------------------------------------------------
// Store ids and rendering

fn project_key(id: i64) -> String {
    format!("PROJECT:{id}")
}

fn number_key(id: i64) -> String {
    format!("ACCOUNT_NUMBER:{id}")
}

/// The integer id in a path (`/v1/number/{id}`), or a refusal naming it.
fn path_id(kind: Kind, raw: &str) -> Result<i64, Refusal> {
    raw.parse::<i64>().map_err(|_| {
        Refusal::new(
            R_NOT_FOUND,
            format!(
                "{} `{raw}` not found (account ids are integers)",
                kind.label()
            ),
        )
    })
}

fn render_project(o: &Object) -> Value {
    Value::Object(o.body.clone())
}

fn render_number(db: &Db<'_>, o: &Object) -> Result<Value, Fail> {
    let mut map = Map::new();
    map.insert("account".into(), ACCOUNT_ID.into());
    map.extend(o.body.clone());
    let project_name = match o.body.get("project_id").and_then(Value::as_i64) {
        Some(project) => db
            .get(Kind::Project, &project_key(project))?
            .and_then(|p| p.body.get("name").cloned())
            .unwrap_or(Value::Null),
        None => Value::Null,
    };
    map.insert("project_name".into(), project_name);
    Ok(Value::Object(map))
}

/// Pages of an account list: `(page, limit)`; the answer has an int `totalCount` and
/// `activePage`, as the account number list's docs show.
fn paging(q: &BTreeMap<String, String>) -> Result<(i64, i64), Refusal> {
    let number = |name: &str, default: i64| -> Result<i64, Refusal> {
        match q.get(name).map(String::as_str) {
            None | Some("") => Ok(default),
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if n >= 1 => Ok(n),
                _ => Err(Refusal::invalid(format!(
                    "`{name}` must be a whole number of at least 1, got `{raw}`"
                ))),
            },
        }
    };
    Ok((
        number("page", 1)?,
        number("limit", DEFAULT_LIMIT)?.min(MAX_LIMIT),
    ))
}

fn page_of(
    items: Vec<Value>,
    list_key: &str,
    page: i64,
    limit: i64,
    text: &str,
) -> Map<String, Value> {
    let total = i64::try_from(items.len()).unwrap_or(i64::MAX);
    let skip = usize::try_from((page - 1).saturating_mul(limit)).unwrap_or(usize::MAX);
    let shown: Vec<Value> = items
        .into_iter()
        .skip(skip)
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    let mut data = Map::new();
    data.insert(list_key.into(), Value::Array(shown));
    data.insert("totalPages".into(), ((total + limit - 1) / limit).into());
    data.insert("totalCount".into(), total.into());
    data.insert("activePage".into(), page.into());
    let mut map = message(text);
    map.insert("data".into(), Value::Object(data));
    map
}

// ---------------------------------------------------------------------------------------
// Projects

fn list_projects(
    _app: &App,
    db: &Db<'_>,
    q: &BTreeMap<String, String>,
) -> Result<Map<String, Value>, Fail> {
    let (page, limit) = paging(q)?;
    let name = q.get("name").filter(|n| !n.is_empty());
    let items = db
        .list(Kind::Project, Filter::All, -1, 0)?
        .iter()
        .filter(|p| name.is_none_or(|n| p.body.get("name").and_then(Value::as_str) == Some(n)))
        .map(render_project)
        .collect();
    Ok(page_of(
        items,
        Kind::Project.list_key(),
        page,
        limit,
        Kind::Project.messages().list,
    ))
}

fn one_project(db: &Db<'_>, raw: &str) -> Result<Map<String, Value>, Fail> {
    let id = path_id(Kind::Project, raw)?;
    let project = db
        .get(Kind::Project, &project_key(id))?
        .ok_or_else(|| Refusal::new(R_NOT_FOUND, format!("project `{id}` not found")))?;
    let mut map = message(Kind::Project.messages().list);
    map.insert("data".into(), render_project(&project));
    Ok(map)
}

fn update_project(db: &Db<'_>, raw: &str, body: &[u8]) -> Result<Map<String, Value>, Fail> {
    let id = path_id(Kind::Project, raw)?;
    let input = parse_body(body)?;
    let mut project = db
        .get(Kind::Project, &project_key(id))?
        .ok_or_else(|| Refusal::new(R_NOT_FOUND, format!("project `{id}` not found")))?;
    if input.contains_key("event_url") {
        return Err(Refusal::invalid(
            "a project has no `event_url`: its event URL is `callback_url`",
        )
        .into());
    }
    for (field, required) in [
        ("name", true),
        ("answer_url", false),
        ("callback_url", false),
    ] {
        if let Some(value) = input.get(field) {
            project
                .body
                .insert(field.into(), url_or_text(field, value, required)?);
        }
    }
    db.update(&project.id, None, &project.body, &[])?;
    let mut map = message(Kind::Project.messages().update);
    map.insert("data".into(), render_project(&project));
    Ok(map)
}

/// A string field of an account object: a string, or `null`/`""` to clear it (unless
/// `required`).
fn url_or_text(field: &str, value: &Value, required: bool) -> Result<Value, Refusal> {
    match value {
        Value::String(s) if !(required && s.is_empty()) => Ok(value.clone()),
        Value::Null if !required => Ok(Value::Null),
        _ if required => Err(Refusal::invalid(format!(
            "`{field}` must be a non-empty string, got {value}"
        ))),
        _ => Err(Refusal::invalid(format!(
            "`{field}` must be a string or null, got {value}"
        ))),
    }
}

// ---------------------------------------------------------------------------------------
// Numbers

fn list_numbers(db: &Db<'_>, q: &BTreeMap<String, String>) -> Result<Map<String, Value>, Fail> {
    let (page, limit) = paging(q)?;
    let project = match q.get("project_id").filter(|p| !p.is_empty()) {
        None => None,
        Some(raw) => Some(raw.parse::<i64>().map_err(|_| {
            Refusal::invalid(format!("`project_id` must be an integer, got `{raw}`"))
        })?),
    };
    let mut items = Vec::new();
    for number in db.list(Kind::AccountNumber, Filter::All, -1, 0)? {
        if project.is_none() || number.body.get("project_id").and_then(Value::as_i64) == project {
            items.push(render_number(db, &number)?);
        }
    }
    Ok(page_of(
        items,
        Kind::AccountNumber.list_key(),
        page,
        limit,
        Kind::AccountNumber.messages().list,
    ))
}

fn update_number(db: &Db<'_>, raw: &str, body: &[u8]) -> Result<Map<String, Value>, Fail> {
    let id = path_id(Kind::AccountNumber, raw)?;
    let input = parse_body(body)?;
    let mut number = db
        .get(Kind::AccountNumber, &number_key(id))?
        .ok_or_else(|| Refusal::new(R_NOT_FOUND, format!("number `{id}` not found")))?;
    // The docs type `project_id` as a String and send an integer: both are taken.
    if let Some(value) = input.get("project_id") {
        let project = match value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.parse::<i64>().ok(),
            _ => None,
        }
        .ok_or_else(|| {
            Refusal::invalid(format!("`project_id` must be a project id, got {value}"))
        })?;
        if !db.exists(Kind::Project, &project_key(project))? {
            return Err(Refusal::new(R_NOT_FOUND, format!("project `{project}` not found")).into());
        }
        number.body.insert("project_id".into(), project.into());
    }
    for field in ["answer_url", "event_url"] {
        if let Some(value) = input.get(field) {
            number
                .body
                .insert(field.into(), url_or_text(field, value, false)?);
        }
    }
    save_number(db, &number)?;
    Ok(message(Kind::AccountNumber.messages().update))
}

/// Writes a changed account number back, keeping its digits as the natural key.
fn save_number(db: &Db<'_>, number: &Object) -> Result<(), Fail> {
    let digits = number.body.get("phone_number").and_then(Value::as_str);
    db.update(&number.id, digits, &number.body, &[])?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Linking and seeding

fn initial_urls(wiring: Wiring, answer: &str, event: &str) -> (Value, Value) {
    match wiring {
        Wiring::Pcc => (answer.into(), event.into()),
        Wiring::Unset => (Value::Null, Value::Null),
    }
}

/// The account's number with these digits, bought (added to the account, in `project`) when
/// it is not there yet: PCC's `POST /v1/number` calls this, so that every PCC number is an
/// account number too. Its URLs follow `wiring`.
pub(crate) fn ensure_number(
    db: &Db<'_>,
    digits: &str,
    project: i64,
    wiring: Wiring,
) -> Result<(), Fail> {
    if db.find(Kind::AccountNumber, None, digits)?.is_some() {
        return Ok(());
    }
    // Account numbers are never deleted, so the count names the next free id.
    let id = db.count(Kind::AccountNumber, Filter::All)? + 1;
    let (answer_url, event_url) = initial_urls(wiring, PCC_NUMBER_ANSWER_URL, PCC_NUMBER_EVENT_URL);
    let body = json!({
        "id": id,
        "phone_number": digits,
        "project_id": project,
        "answer_url": answer_url,
        "event_url": event_url,
    });
    let Value::Object(body) = body else {
        unreachable!("a JSON object literal")
    };
    db.insert(
        Kind::AccountNumber,
        &number_key(id),
        None,
        Some(digits),
        &body,
        &[],
    )?;
    Ok(())
}

/// Makes the account hold the project and every number PCC holds: at start, so that a state
/// file written before the account API existed gains its account view.
pub(crate) fn seed(db: &Db<'_>, project: i64, wiring: Wiring) -> Result<(), Fail> {
    if !db.exists(Kind::Project, &project_key(project))? {
        let (answer_url, callback_url) =
            initial_urls(wiring, PCC_PROJECT_ANSWER_URL, PCC_PROJECT_EVENT_URL);
        let body = json!({
            "id": project,
            "name": format!("Project {project}"),
            "answer_url": answer_url,
            "callback_url": callback_url,
        });
        let Value::Object(body) = body else {
            unreachable!("a JSON object literal")
        };
        db.insert(Kind::Project, &project_key(project), None, None, &body, &[])?;
    }
    for number in db.list(Kind::Number, Filter::All, -1, 0)? {
        if let Some(digits) = number.body.get("number").and_then(Value::as_str) {
            ensure_number(db, digits, project, wiring)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Wiring, for the admin endpoints and tests

/// A change to the wiring, as `PUT /_emulator/wiring` takes it: each object named gets exactly
/// the URLs given (an absent URL becomes `null`); objects not named keep theirs. A number the
/// account does not own yet is bought (added to the account, not to PCC).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct WiringChange {
    /// The project's URLs.
    pub project: Option<ProjectWiring>,
    /// Numbers by their digits (E.164 without `+`).
    pub numbers: BTreeMap<String, NumberWiring>,
}

/// A project's answer and event URLs (the Call API calls the event URL `callback_url`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct ProjectWiring {
    /// Where Stringee asks what to do with a call made from an app.
    pub answer_url: Option<String>,
    /// Where Stringee sends the project's call events.
    pub callback_url: Option<String>,
}

/// A number's answer and event URLs.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct NumberWiring {
    /// Where Stringee asks what to do with a call to the number.
    pub answer_url: Option<String>,
    /// Where Stringee sends the number's call events.
    pub event_url: Option<String>,
}

/// The account as `GET /_emulator/wiring` (and the state dump's `account`) shows it:
/// `{project: {...}, numbers: [...]}`, each as its Call API list shows it.
pub(crate) fn view(app: &App, db: &Db<'_>) -> Result<Value, Fail> {
    let project = db
        .get(Kind::Project, &project_key(app.project))?
        .map_or(Value::Null, |p| render_project(&p));
    let numbers = db
        .list(Kind::AccountNumber, Filter::All, -1, 0)?
        .iter()
        .map(|n| render_number(db, n))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({ "project": project, "numbers": numbers }))
}

/// Applies `change` in one transaction; refuses a number that is not digits.
pub(crate) fn rewire(app: &App, db: &Db<'_>, change: &WiringChange) -> Result<(), Fail> {
    if let Some(urls) = &change.project {
        let key = project_key(app.project);
        if let Some(mut project) = db.get(Kind::Project, &key)? {
            project
                .body
                .insert("answer_url".into(), urls.answer_url.clone().into());
            project
                .body
                .insert("callback_url".into(), urls.callback_url.clone().into());
            db.update(&key, None, &project.body, &[])?;
        }
    }
    for (digits, urls) in &change.numbers {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Refusal::invalid(format!(
                "`{digits}` is not a number's digits (E.164 without `+`)"
            ))
            .into());
        }
        ensure_number(db, digits, app.project, app.wiring)?;
        let Some(mut number) = db.find(Kind::AccountNumber, None, digits)? else {
            continue;
        };
        number
            .body
            .insert("answer_url".into(), urls.answer_url.clone().into());
        number
            .body
            .insert("event_url".into(), urls.event_url.clone().into());
        save_number(db, &number)?;
    }
    Ok(())
}
