//! The `/v1` REST API: routes, the `r` envelope, lists with paging and filters, and the rules
//! that tie objects together (references, uniqueness, IVR roots). Field-level rules live in
//! `schema.rs`; this module follows `docs/pcc-api-assumptions.md`.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, put};
use serde_json::{Map, Value, json};

use crate::schema::{
    self, ACTION_FORWARD, ACTION_NEXT_NODE, ACTION_QUEUE, Kind, R_DUPLICATE, R_NOT_FOUND,
    R_NUMBER_EXISTED, R_REFERENCED, ROUTING_TO_PHONE, Refers, Refusal,
};
use crate::store::{Db, Fail, Filter, Object};
use crate::{ACCOUNT_ID, App, account};

/// `limit` when a list request names none.
pub(crate) const DEFAULT_LIMIT: i64 = 50;
/// The largest `limit`; larger ones are clamped to it.
pub(crate) const MAX_LIMIT: i64 = 100;
/// The largest greeting file accepted.
const MAX_UPLOAD_BYTES: usize = 50 * 1024 * 1024;
/// The id of the call-settings singleton in the store.
const CALL_SETTINGS_ID: &str = "CALL_SETTINGS";

/// The PCC routes (without state, gate or fallbacks: `hosts.rs` adds those).
pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/v1/agent", collection(Kind::Agent))
        .route("/v1/agent/{id}", item(Kind::Agent))
        .route("/v1/group", collection(Kind::Group))
        .route("/v1/group/{id}", item(Kind::Group))
        .route(
            "/v1/manage-agents-in-group",
            collection(Kind::Membership).delete(
                |State(app): State<App>, body: Bytes| async move { leave_group(&app, &body) },
            ),
        )
        .route("/v1/queue", collection(Kind::Queue))
        .route("/v1/queue/{id}", item(Kind::Queue))
        .route("/v1/routing-call-to-groups", collection(Kind::Routing))
        .route("/v1/routing-call-to-groups/{id}", item(Kind::Routing))
        .route("/v1/ivrtree", collection(Kind::IvrTree))
        .route("/v1/ivrtree/{id}", item(Kind::IvrTree))
        .route("/v1/ivrnode", collection(Kind::IvrNode))
        .route("/v1/ivrnode/{id}", item(Kind::IvrNode))
        .route("/v1/ivrkeypress", collection(Kind::IvrKeypress))
        .route("/v1/ivrkeypress/{id}", item(Kind::IvrKeypress))
        .route("/v1/number", collection(Kind::Number))
        .route("/v1/number/{id}", item(Kind::Number))
        .route("/v1/blacklistnumber", collection(Kind::Blacklist))
        .route("/v1/blacklistnumber/{id}", item(Kind::Blacklist))
        .route(
            "/v1/callsettings",
            get(|State(app): State<App>| async move { call_settings(&app) }).put(
                |State(app): State<App>, body: Bytes| async move {
                    update_call_settings(&app, &body)
                },
            ),
        )
}

/// Greeting files: on the Call API host in reality, and on the PCC address too, for clients
/// given one endpoint for both.
pub(crate) fn greeting_routes() -> Router<App> {
    Router::new().route(
        "/v1/greetingfile",
        collection(Kind::GreetingFile).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
    )
}

type Params = Query<BTreeMap<String, String>>;

fn collection(kind: Kind) -> MethodRouter<App> {
    get(move |State(app): State<App>, Query(q): Params| async move { list(&app, kind, &q) }).post(
        move |State(app): State<App>, Query(q): Params, body: Bytes| async move {
            match kind {
                Kind::GreetingFile => upload(&app, &q, body),
                _ => create(&app, kind, &body),
            }
        },
    )
}

fn item(kind: Kind) -> MethodRouter<App> {
    put(
        move |State(app): State<App>, Path(id): Path<String>, body: Bytes| async move {
            update(&app, kind, &id, &body)
        },
    )
    .delete(
        move |State(app): State<App>, Path(id): Path<String>| async move { delete(&app, kind, &id) },
    )
}

/// An answer: `r:0` with its fields, a refusal (`r != 0`, still HTTP 200), or a broken
/// emulator (HTTP 500).
#[derive(Debug)]
pub(crate) enum Answer {
    Done(Map<String, Value>),
    /// A refusal, with the `project` to report (the account API reports none).
    Refused(Option<i64>, Refusal),
    Broken(String),
}

impl Answer {
    fn of(project: i64, result: Result<Map<String, Value>, Fail>) -> Answer {
        match result {
            Ok(map) => Answer::Done(map),
            Err(Fail::Refused(refusal)) => Answer::Refused(Some(project), refusal),
            Err(Fail::Db(err)) => Answer::Broken(err.to_string()),
        }
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        match self {
            Answer::Done(map) => axum::Json(Value::Object(map)).into_response(),
            Answer::Refused(project, refusal) => {
                let mut map = refusal.extra;
                map.insert("r".into(), refusal.r.into());
                map.insert("message".into(), refusal.message.into());
                if let Some(project) = project {
                    map.insert("project".into(), project.into());
                }
                axum::Json(Value::Object(map)).into_response()
            }
            Answer::Broken(why) => crate::hosts::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("emulator: state database error: {why}"),
            ),
        }
    }
}

/// The answer to a request without a valid token.
pub(crate) fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        axum::Json(json!({ "r": 5, "message": "keySid invalid" })),
    )
        .into_response()
}

fn success(app: &App, message: &str) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("r".into(), 0.into());
    map.insert("project".into(), app.project.into());
    map.insert("message".into(), message.into());
    map
}

fn not_found(kind: Kind, id: &str) -> Refusal {
    Refusal::new(R_NOT_FOUND, format!("{} `{id}` not found", kind.label()))
}

pub(crate) fn parse_body(raw: &[u8]) -> Result<Map<String, Value>, Refusal> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice(raw) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Refusal::invalid("the body must be a JSON object")),
        Err(err) => Err(Refusal::invalid(format!(
            "the body is not valid JSON: {err}"
        ))),
    }
}

/// `<PREFIX>_` + 16 upper-case alphanumerics (or just the 16 with an empty prefix).
fn new_id(prefix: &str) -> String {
    let mut id = String::with_capacity(prefix.len() + 17);
    if !prefix.is_empty() {
        id.push_str(prefix);
        id.push('_');
    }
    id.push_str(&random_upper(16));
    id
}

fn random_upper(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..len)
        .map(|_| char::from(ALPHABET[fastrand::usize(..ALPHABET.len())]))
        .collect()
}

fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

// ---------------------------------------------------------------------------------------
// Lists

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

/// The filter a list of `kind` takes: `(query parameter, kind it names, required)`.
fn list_filter(kind: Kind) -> Option<(&'static str, Option<Kind>, bool)> {
    match kind {
        Kind::Agent => Some(("stringee_user_id", None, false)),
        Kind::Membership => Some(("group", Some(Kind::Group), true)),
        Kind::Routing => Some(("queue", Some(Kind::Queue), true)),
        Kind::IvrNode => Some(("tree", Some(Kind::IvrTree), true)),
        Kind::IvrKeypress => Some(("node", Some(Kind::IvrNode), true)),
        _ => None,
    }
}

fn list(app: &App, kind: Kind, q: &BTreeMap<String, String>) -> Answer {
    let result = app.store.read(|db| {
        let (page, limit) = paging(q)?;
        let filter = match list_filter(kind) {
            None => Filter::All,
            Some((param, parent, required)) => {
                match (q.get(param).filter(|v| !v.is_empty()), parent) {
                    (None, _) if required => {
                        return Err(Refusal::invalid(format!("`{param}` is required")).into());
                    }
                    (None, _) => Filter::All,
                    (Some(v), None) => Filter::Natural(v),
                    (Some(v), Some(parent)) => {
                        if !db.exists(parent, v)? {
                            return Err(not_found(parent, v).into());
                        }
                        Filter::Parent(v)
                    }
                }
            }
        };
        let total = db.count(kind, filter)?;
        let objects = db.list(kind, filter, limit, (page - 1).saturating_mul(limit))?;
        let items = objects
            .iter()
            .map(|o| render(app, db, o))
            .collect::<Result<Vec<_>, _>>()?;
        let mut data = Map::new();
        data.insert("totalCount".into(), total.to_string().into());
        match kind {
            Kind::Agent => data.insert("totalAgents".into(), total.to_string().into()),
            Kind::Group => data.insert("totalGroups".into(), total.to_string().into()),
            _ => None,
        };
        data.insert("totalPages".into(), ((total + limit - 1) / limit).into());
        data.insert("currentPage".into(), page.into());
        data.insert("limit".into(), limit.into());
        data.insert(kind.list_key().into(), Value::Array(items));
        let mut map = success(app, kind.messages().list);
        map.insert("data".into(), Value::Object(data));
        Ok(map)
    });
    Answer::of(app.project, result)
}

/// An object as lists (and the state dump) show it.
pub(crate) fn render(app: &App, db: &Db<'_>, o: &Object) -> Result<Value, Fail> {
    let mut map = Map::new();
    match o.kind {
        Kind::GreetingFile => return Ok(Value::Object(o.body.clone())),
        Kind::Membership => {}
        _ => {
            map.insert("id".into(), o.id.clone().into());
        }
    }
    map.insert("account".into(), ACCOUNT_ID.into());
    map.insert("project".into(), app.project.into());
    map.extend(o.body.clone());
    match o.kind {
        Kind::Group => {
            let members = db.count(Kind::Membership, Filter::Parent(&o.id))?;
            map.insert("number_of_agent".into(), members.into());
        }
        Kind::Queue => {
            // Voicemail is "coming soon" on PCC: no request field sets it.
            map.insert("enable_voicemail".into(), 0.into());
        }
        Kind::Agent => {
            // Runtime fields: an emulated agent is always free and offline.
            map.insert("system_status".into(), 1.into());
            map.insert("device_status".into(), 0.into());
        }
        _ => {}
    }
    Ok(Value::Object(map))
}

// ---------------------------------------------------------------------------------------
// Writes

/// Where an object sits: its parent and natural key (both indexed) and what it refers to.
#[derive(Debug, Default)]
struct Place {
    parent: Option<String>,
    natural: Option<String>,
    links: Vec<(&'static str, String)>,
}

/// Checks everything about `body` that involves other objects or several fields, fills in
/// what the server computes, and says where the object sits.
fn place(kind: Kind, db: &Db<'_>, body: &mut Map<String, Value>) -> Result<Place, Fail> {
    let mut place = Place::default();
    for f in kind.fields() {
        let Some(target) = f.refers else { continue };
        let Some(value) = schema::string(body, f.name) else {
            continue;
        };
        match target {
            Refers::Id(k) => {
                if !db.exists(k, value)? {
                    return Err(Refusal::new(
                        R_NOT_FOUND,
                        format!("`{}`: {} `{value}` not found", f.name, k.label()),
                    )
                    .into());
                }
                place.links.push((f.name, value.to_owned()));
            }
            Refers::GreetingFile => place.links.push((f.name, greeting(db, f.name, value)?)),
        }
    }
    let text = |name: &str| schema::string(body, name).map(str::to_owned);
    let need = |name: &str, when: &str| -> Result<(), Fail> {
        match schema::string(body, name) {
            Some(_) => Ok(()),
            None => Err(Refusal::invalid(format!("`{name}` is required when {when}")).into()),
        }
    };
    match kind {
        Kind::Agent => {
            if schema::int(body, "routing_type") == ROUTING_TO_PHONE {
                need("phone_number", "`routing_type` is 2")?;
            }
            place.natural = text("stringee_user_id");
        }
        Kind::Membership => {
            place.parent = text("group_id");
            place.natural = text("agent_id");
        }
        Kind::Routing => {
            place.parent = text("queue_id");
            place.natural = text("group_id");
        }
        Kind::IvrNode => {
            if schema::string(body, "node_play_mode") == Some("play") {
                let file = text("node_play_content").unwrap_or_default();
                place.links.push((
                    "node_play_content",
                    greeting(db, "node_play_content", &file)?,
                ));
            }
            place.parent = text("tree");
        }
        Kind::IvrKeypress => {
            let node = text("node").unwrap_or_default();
            let tree = db
                .get(Kind::IvrNode, &node)?
                .and_then(|n| schema::string(&n.body, "tree").map(str::to_owned))
                .unwrap_or_default();
            match schema::int(body, "action") {
                ACTION_QUEUE => need("queue_id", "`action` is 2 (route to queue)")?,
                ACTION_FORWARD => need("to_phone_number", "`action` is 3 (forward)")?,
                ACTION_NEXT_NODE => need("next_node", "`action` is 4 (go to node)")?,
                _ => {}
            }
            if let Some(next) = schema::string(body, "next_node") {
                let next_tree = db
                    .get(Kind::IvrNode, next)?
                    .and_then(|n| schema::string(&n.body, "tree").map(str::to_owned));
                if next_tree.as_deref() != Some(tree.as_str()) {
                    return Err(Refusal::new(
                        R_NOT_FOUND,
                        format!(
                            "`next_node`: ivr node `{next}` belongs to another ivr tree than node `{node}` (`{tree}`)"
                        ),
                    )
                    .into());
                }
            }
            place.parent = Some(node);
            place.natural = text("node_key");
            body.insert("tree".into(), tree.into());
        }
        Kind::Number => {
            if schema::int(body, "enable_ivr") == 1 {
                need("ivr_menu", "`enable_ivr` is true")?;
            }
            place.natural = text("number");
        }
        Kind::Blacklist => {
            // Stored as `+84…` (as the docs' list shows), keyed by its digits.
            place.natural =
                schema::string(body, "number").map(|n| n.trim_start_matches('+').to_owned());
        }
        _ => {}
    }
    Ok(place)
}

/// The store id of the greeting file named `file`.
fn greeting(db: &Db<'_>, field: &str, file: &str) -> Result<String, Fail> {
    match db.find(Kind::GreetingFile, None, file)? {
        Some(found) => Ok(found.id),
        None => Err(Refusal::new(
            R_NOT_FOUND,
            format!("`{field}`: greeting file `{file}` not found (upload it first)"),
        )
        .into()),
    }
}

fn create(app: &App, kind: Kind, raw: &[u8]) -> Answer {
    let result = app.store.write(|db| {
        let input = parse_body(raw)?;
        refuse_account_fields(kind, &input)?;
        let mut body = schema::build(kind, &input)?;
        if kind == Kind::Number {
            let digits = schema::string(&body, "number").unwrap_or_default();
            if let Some(existing) = db.find(Kind::Number, None, digits)? {
                let mut refusal = Refusal::new(R_NUMBER_EXISTED, "Number existed");
                refusal.extra.insert("numberID".into(), existing.id.into());
                return Err(refusal.into());
            }
        }
        if kind == Kind::IvrTree {
            body.insert("root_node".into(), "".into());
        }
        let place = place(kind, db, &mut body)?;
        let (parent, natural) = (place.parent.as_deref(), place.natural.as_deref());
        if matches!(kind, Kind::IvrKeypress | Kind::Membership)
            && let (Some(parent), Some(natural)) = (parent, natural)
            && db.find(kind, Some(parent), natural)?.is_some()
        {
            return Err(Refusal::new(
                R_DUPLICATE,
                match kind {
                    Kind::Membership => format!("agent `{natural}` is already in group `{parent}`"),
                    _ => format!("ivr node `{parent}` already has key `{natural}`"),
                },
            )
            .into());
        }
        let id = match kind {
            Kind::Membership => {
                membership_id(natural.unwrap_or_default(), parent.unwrap_or_default())
            }
            Kind::Blacklist => random_upper(8),
            _ => new_id(kind.prefix()),
        };
        let mut answer = success(app, kind.messages().create);
        if kind == Kind::IvrNode {
            let tree_id = parent.unwrap_or_default();
            let mut tree = db
                .get(Kind::IvrTree, tree_id)?
                .ok_or_else(|| not_found(Kind::IvrTree, tree_id))?;
            let is_root = schema::string(&tree.body, "root_node").is_none();
            if is_root {
                tree.body.insert("root_node".into(), id.clone().into());
                db.update(&tree.id, None, &tree.body, &[])?;
            }
            answer.insert("isRootNode".into(), is_root.into());
        }
        db.insert(kind, &id, parent, natural, &body, &place.links)?;
        if kind == Kind::Number {
            account::ensure_number(db, natural.unwrap_or_default(), app.project, app.wiring)?;
        }
        match kind {
            Kind::Membership => {
                answer.insert("agentID".into(), natural.unwrap_or_default().into());
                answer.insert("groupID".into(), parent.unwrap_or_default().into());
            }
            _ => {
                answer.insert(kind.id_key().into(), id.into());
            }
        }
        Ok(answer)
    });
    Answer::of(app.project, result)
}

/// A PCC number's answer and event URLs, and the project it belongs to, are the account's
/// (Call API host): sent to PCC they would be ignored, so the request is refused instead of
/// answered with a success that changed nothing.
fn refuse_account_fields(kind: Kind, input: &Map<String, Value>) -> Result<(), Refusal> {
    if kind != Kind::Number {
        return Ok(());
    }
    match ["project_id", "answer_url", "event_url"]
        .into_iter()
        .find(|f| input.contains_key(*f))
    {
        Some(field) => Err(Refusal::invalid(format!(
            "`{field}` is not a PCC number field: a number's project, answer URL and event URL \
             are set through the account API on the Call API host (PUT /v1/number/{{id}} \
             signed with the account key)"
        ))),
        None => Ok(()),
    }
}

fn membership_id(agent: &str, group: &str) -> String {
    format!("{agent}|{group}")
}

fn update(app: &App, kind: Kind, id: &str, raw: &[u8]) -> Answer {
    let result = app.store.write(|db| {
        let input = parse_body(raw)?;
        refuse_account_fields(kind, &input)?;
        let current = db.get(kind, id)?.ok_or_else(|| not_found(kind, id))?;
        // The generated type files make `number` required in a blacklist update.
        if kind == Kind::Blacklist && !input.contains_key("number") {
            return Err(Refusal::invalid("`number` is required").into());
        }
        let mut body = schema::merge(kind, &current.body, &input)?;
        if kind == Kind::IvrTree
            && let Some(asked) = input.get("root_node")
            && Some(asked) != current.body.get("root_node")
        {
            return Err(Refusal::invalid(
                "`root_node` cannot be changed: the first node created in a tree is its root",
            )
            .into());
        }
        let place = place(kind, db, &mut body)?;
        db.update(id, place.natural.as_deref(), &body, &place.links)?;
        let mut answer = success(app, kind.messages().update);
        if matches!(kind, Kind::IvrTree | Kind::IvrNode | Kind::IvrKeypress) {
            answer.insert(kind.id_key().into(), id.into());
        }
        Ok(answer)
    });
    Answer::of(app.project, result)
}

/// How a refusal names the object that still refers to another.
fn describe(kind: Kind, id: &str) -> String {
    match (kind, id.split_once('|')) {
        (Kind::Membership, Some((agent, group))) => {
            format!("the membership of agent `{agent}` in group `{group}`")
        }
        _ => format!("{} `{id}`", kind.label()),
    }
}

fn delete(app: &App, kind: Kind, id: &str) -> Answer {
    let result = app.store.write(|db| {
        let current = db.get(kind, id)?.ok_or_else(|| not_found(kind, id))?;
        cascade_routings(db, &current)?;
        refuse_if_referenced(db, &current)?;
        if kind == Kind::IvrNode
            && let Some(tree_id) = current.parent.as_deref()
            && let Some(mut tree) = db.get(Kind::IvrTree, tree_id)?
            && schema::string(&tree.body, "root_node") == Some(id)
        {
            let others = db.count(Kind::IvrNode, Filter::Parent(tree_id))? - 1;
            if others > 0 {
                return Err(Refusal::new(
                    R_REFERENCED,
                    format!(
                        "cannot delete ivr node `{id}`: it is the root of ivr tree `{tree_id}`, which has {others} other node(s); delete them first"
                    ),
                )
                .into());
            }
            tree.body.insert("root_node".into(), "".into());
            db.update(tree_id, None, &tree.body, &[])?;
        }
        db.delete(id)?;
        Ok(success(app, kind.messages().delete))
    });
    Answer::of(app.project, result)
}

/// A group or queue goes with the routings that join it to a queue or group: a real
/// integration deletes a routed group and then its queue and never deletes a routing, so PCC
/// accepts those deletes (see docs/pcc-api-assumptions.md); a routing naming a missing end
/// would be meaningless, so it goes too. Other references still refuse the delete, and the
/// caller's transaction then rolls these deletes back.
fn cascade_routings(db: &Db<'_>, target: &Object) -> Result<(), Fail> {
    let filter = match target.kind {
        Kind::Queue => Filter::Parent(&target.id),
        Kind::Group => Filter::Natural(&target.id),
        _ => return Ok(()),
    };
    for routing in db.list(Kind::Routing, filter, -1, 0)? {
        db.delete(&routing.id)?;
    }
    Ok(())
}

fn refuse_if_referenced(db: &Db<'_>, target: &Object) -> Result<(), Fail> {
    let Some(by) = db.referrer(&target.id)? else {
        return Ok(());
    };
    let more = match by.total - 1 {
        0 => String::new(),
        n => format!(" (and {n} more)"),
    };
    Err(Refusal::new(
        R_REFERENCED,
        format!(
            "cannot delete {}: {} refers to it through `{}`{more}",
            describe(target.kind, &target.id),
            describe(by.kind, &by.id),
            by.field,
        ),
    )
    .into())
}

/// `DELETE /v1/manage-agents-in-group` with body `{agent_id, group_id}`.
fn leave_group(app: &App, raw: &[u8]) -> Answer {
    let result = app.store.write(|db| {
        let input = parse_body(raw)?;
        let mut ids = Vec::new();
        for name in ["agent_id", "group_id"] {
            match input.get(name) {
                Some(Value::String(s)) if !s.is_empty() => ids.push(s.clone()),
                Some(other) if !other.is_null() => {
                    return Err(Refusal::invalid(format!(
                        "`{name}` must be a string, got {other}"
                    ))
                    .into());
                }
                _ => return Err(Refusal::invalid(format!("`{name}` is required")).into()),
            }
        }
        let (agent, group) = (&ids[0], &ids[1]);
        let id = membership_id(agent, group);
        if db.get(Kind::Membership, &id)?.is_none() {
            return Err(Refusal::new(
                R_NOT_FOUND,
                format!("agent `{agent}` is not in group `{group}`"),
            )
            .into());
        }
        db.delete(&id)?;
        Ok(success(app, Kind::Membership.messages().delete))
    });
    Answer::of(app.project, result)
}

// ---------------------------------------------------------------------------------------
// Call settings

/// The stored settings, or the defaults when none were ever written.
pub(crate) fn settings_body(db: &Db<'_>) -> Result<Map<String, Value>, Fail> {
    match db.get(Kind::CallSettings, CALL_SETTINGS_ID)? {
        Some(o) => Ok(o.body),
        None => Ok(schema::build(Kind::CallSettings, &Map::new())?),
    }
}

/// Call settings as `GET /v1/callsettings` shows them under `callSetting`.
pub(crate) fn render_settings(app: &App, body: Map<String, Value>) -> Value {
    let mut map = Map::new();
    map.insert("account".into(), ACCOUNT_ID.into());
    map.insert("project".into(), app.project.into());
    map.extend(body);
    Value::Object(map)
}

fn call_settings(app: &App) -> Answer {
    let result = app.store.read(|db| {
        let body = settings_body(db)?;
        let mut answer = success(app, Kind::CallSettings.messages().list);
        answer.remove("project");
        answer.insert("callSetting".into(), render_settings(app, body));
        Ok(answer)
    });
    Answer::of(app.project, result)
}

fn update_call_settings(app: &App, raw: &[u8]) -> Answer {
    let result = app.store.write(|db| {
        let input = parse_body(raw)?;
        let stored = db.get(Kind::CallSettings, CALL_SETTINGS_ID)?;
        let current = match &stored {
            Some(o) => o.body.clone(),
            None => schema::build(Kind::CallSettings, &Map::new())?,
        };
        let body = schema::merge(Kind::CallSettings, &current, &input)?;
        match stored {
            Some(_) => db.update(CALL_SETTINGS_ID, None, &body, &[])?,
            None => db.insert(Kind::CallSettings, CALL_SETTINGS_ID, None, None, &body, &[])?,
        }
        Ok(success(app, Kind::CallSettings.messages().update))
    });
    Answer::of(app.project, result)
}

// ---------------------------------------------------------------------------------------
// Greeting files

fn upload(app: &App, q: &BTreeMap<String, String>, bytes: Bytes) -> Answer {
    let result = app.store.write(|db| {
        match q.get("uploadType").map(String::as_str) {
            Some("simple") => {}
            Some(other) => {
                return Err(Refusal::invalid(format!(
                    "`uploadType` `{other}` is not supported by the emulator: send the raw file with uploadType=simple"
                ))
                .into());
            }
            None => return Err(Refusal::invalid("`uploadType` is required").into()),
        }
        if bytes.is_empty() {
            return Err(Refusal::invalid("the file is empty").into());
        }
        let is_wav = bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WAVE";
        let created = unix_ms();
        let filename = format!(
            "{}-{created}.{}",
            random_upper(10),
            if is_wav { "wav" } else { "mp3" }
        );
        let sid = new_id("");
        let mut body = Map::new();
        body.insert("sid".into(), sid.clone().into());
        body.insert("filename".into(), filename.clone().into());
        body.insert(
            "desc".into(),
            q.get("desc").cloned().unwrap_or_default().into(),
        );
        body.insert("created".into(), created.into());
        db.insert(
            Kind::GreetingFile,
            &sid,
            None,
            Some(&filename),
            &body,
            &[],
        )?;
        let mut answer = success(app, Kind::GreetingFile.messages().create);
        answer.remove("project");
        answer.insert("filename".into(), filename.into());
        answer.insert("fileSid".into(), sid.into());
        Ok(answer)
    });
    Answer::of(app.project, result)
}
