//! The PCC resources as data: each kind's fields, types, ranges, defaults and references,
//! and the turning of a request body into a stored object (create) or a changed one (update).

use serde_json::{Map, Value};

/// A resource kind. The `name` is what the state database stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    Agent,
    Group,
    Membership,
    Queue,
    Routing,
    IvrTree,
    IvrNode,
    IvrKeypress,
    Number,
    Blacklist,
    GreetingFile,
    CallSettings,
    /// A project of the account (Call API host).
    Project,
    /// A number the account owns (Call API host); PCC's numbers are another view of it.
    AccountNumber,
}

impl Kind {
    /// Every kind, in the order the state dump lists them.
    pub(crate) const ALL: [Kind; 14] = [
        Kind::GreetingFile,
        Kind::Agent,
        Kind::Group,
        Kind::Membership,
        Kind::Queue,
        Kind::Routing,
        Kind::IvrTree,
        Kind::IvrNode,
        Kind::IvrKeypress,
        Kind::Number,
        Kind::Blacklist,
        Kind::CallSettings,
        Kind::Project,
        Kind::AccountNumber,
    ];

    /// Kinds of the account API (Call API host) rather than of the PCC project.
    pub(crate) fn is_account(self) -> bool {
        matches!(self, Kind::Project | Kind::AccountNumber)
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Agent => "agent",
            Kind::Group => "group",
            Kind::Membership => "membership",
            Kind::Queue => "queue",
            Kind::Routing => "routing",
            Kind::IvrTree => "ivrtree",
            Kind::IvrNode => "ivrnode",
            Kind::IvrKeypress => "ivrkeypress",
            Kind::Number => "number",
            Kind::Blacklist => "blacklist",
            Kind::GreetingFile => "greetingfile",
            Kind::CallSettings => "callsettings",
            Kind::Project => "project",
            Kind::AccountNumber => "accountnumber",
        }
    }

    /// How messages name an object of this kind.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Kind::Agent => "agent",
            Kind::Group => "group",
            Kind::Membership => "group membership",
            Kind::Queue => "queue",
            Kind::Routing => "group routing",
            Kind::IvrTree => "ivr tree",
            Kind::IvrNode => "ivr node",
            Kind::IvrKeypress => "ivr key press",
            Kind::Number => "number",
            Kind::Blacklist => "blacklist number",
            Kind::GreetingFile => "greeting file",
            Kind::CallSettings => "call settings",
            Kind::Project => "project",
            Kind::AccountNumber => "account number",
        }
    }

    /// The id prefix (ids are `<PREFIX>_` + 16 upper-case alphanumerics).
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            Kind::Agent => "AG",
            Kind::Group => "GR",
            Kind::Queue => "QU",
            Kind::Routing => "GR_RO",
            Kind::IvrTree => "TR",
            Kind::IvrNode => "NO",
            Kind::IvrKeypress => "NO_KE",
            Kind::Number => "NU",
            // Memberships, files and the settings singleton get no server id of this form;
            // blacklist ids are 8 bare characters (`BNXJ3OWK` in the docs).
            // Account objects have integer ids.
            Kind::Membership
            | Kind::Blacklist
            | Kind::GreetingFile
            | Kind::CallSettings
            | Kind::Project
            | Kind::AccountNumber => "",
        }
    }

    /// The key of the list in a list answer (and in the state dump).
    pub(crate) fn list_key(self) -> &'static str {
        match self {
            Kind::Agent => "agents",
            Kind::Group => "groups",
            Kind::Membership => "groupAgents",
            Kind::Queue => "queues",
            Kind::Routing => "groupRoutings",
            Kind::IvrTree => "ivrTrees",
            Kind::IvrNode => "ivrNodes",
            Kind::IvrKeypress => "ivrNodeKeys",
            Kind::Number => "numbers",
            Kind::Blacklist => "blacklistNumbers",
            Kind::GreetingFile => "greetingFiles",
            Kind::CallSettings => "callSetting",
            Kind::Project => "projects",
            Kind::AccountNumber => "numbers",
        }
    }

    /// The id key of a create answer.
    pub(crate) fn id_key(self) -> &'static str {
        match self {
            Kind::Agent => "agentID",
            Kind::Group => "groupID",
            Kind::Queue => "queueID",
            Kind::Routing => "groupRoutingID",
            Kind::IvrTree => "ivrTreeID",
            Kind::IvrNode => "ivrNodeID",
            Kind::IvrKeypress => "ivrNodeKeyID",
            Kind::Number => "numberID",
            Kind::Blacklist => "blacklistNumberID",
            Kind::Membership
            | Kind::GreetingFile
            | Kind::CallSettings
            | Kind::Project
            | Kind::AccountNumber => "",
        }
    }

    /// The word in success messages: "Create {noun} success", "Load {noun}(s) success".
    pub(crate) fn messages(self) -> Messages {
        let (create, list, update, delete) = match self {
            Kind::Agent => (
                "Create agent success",
                "Load agent(s) success",
                "Update agent success",
                "Delete agent success",
            ),
            Kind::Group => (
                "Create group success",
                "Load group(s) success",
                "Update group success",
                "Delete group success",
            ),
            Kind::Membership => (
                "Add agent to Group success",
                "Load group agent success",
                "",
                "Remove agent from Group success",
            ),
            Kind::Queue => (
                "Create queue success",
                "Load queue(s) success",
                "Update queue success",
                "Delete queue success",
            ),
            Kind::Routing => (
                "Create group routing success",
                "Load group routing success",
                "Update group routing success",
                "Delete group routing success",
            ),
            Kind::IvrTree => (
                "Create ivr tree success",
                "Load IVR tree success",
                "Update ivr tree success",
                "Delete ivr tree success",
            ),
            Kind::IvrNode => (
                "Create ivr node success",
                "Load IVR node success",
                "Update ivr node success",
                "Delete ivr node success",
            ),
            Kind::IvrKeypress => (
                "Create ivr node key success",
                "Load IVR node key success",
                "Update ivr node key success",
                "Delete ivr node key success",
            ),
            Kind::Number => (
                "Create number success",
                "Load number(s) success",
                "Update number success",
                "Delete number success",
            ),
            Kind::Blacklist => (
                "Create blacklist number success",
                "Load blacklist(s) success",
                "Update blacklist number success",
                "Delete blacklist number success",
            ),
            Kind::GreetingFile => (
                "Upload file success",
                "Load greeting file(s) success",
                "",
                "",
            ),
            Kind::CallSettings => (
                "",
                "Load call settings success",
                "Update call settings success",
                "",
            ),
            // The docs' sample answers a project create with "Load project success".
            Kind::Project => (
                "Load project success",
                "Load project success",
                "Update project success",
                "",
            ),
            Kind::AccountNumber => ("", "Load number success", "Update number success", ""),
        };
        Messages {
            create,
            list,
            update,
            delete,
        }
    }

    /// The fields a client may send, with their rules. Fields the server computes (`tree` of a
    /// key press, `root_node`, counters) are not here.
    pub(crate) fn fields(self) -> &'static [Field] {
        match self {
            Kind::Agent => AGENT,
            Kind::Group => GROUP,
            Kind::Membership => MEMBERSHIP,
            Kind::Queue => QUEUE,
            Kind::Routing => ROUTING,
            Kind::IvrTree => IVR_TREE,
            Kind::IvrNode => IVR_NODE,
            Kind::IvrKeypress => IVR_KEYPRESS,
            Kind::Number => NUMBER,
            Kind::Blacklist => BLACKLIST,
            Kind::CallSettings => CALL_SETTINGS,
            // Account objects are checked by `account.rs`.
            Kind::GreetingFile | Kind::Project | Kind::AccountNumber => &[],
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Messages {
    pub(crate) create: &'static str,
    pub(crate) list: &'static str,
    pub(crate) update: &'static str,
    pub(crate) delete: &'static str,
}

/// A field's wire type and range.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Ty {
    /// A JSON string (or `null` when optional).
    Str,
    /// A string of digits.
    Digits,
    /// A phone number as digits with or without a leading `+`; stored and answered with it.
    Phone,
    /// One of these strings.
    StrIn(&'static [&'static str]),
    /// `true`/`false` or `0`/`1`; stored and answered as `0`/`1`.
    Bool,
    /// A JSON integer in `min..=max`.
    Int(i64, i64),
    /// One of these integers.
    IntIn(&'static [i64]),
}

/// The value a create gets when the field is absent.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Initial {
    Null,
    Int(i64),
    Str(&'static str),
}

/// What a field's value names, checked on every write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refers {
    /// The id of an object of this kind.
    Id(Kind),
    /// The server-made file name of an uploaded greeting file.
    GreetingFile,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Field {
    pub(crate) name: &'static str,
    pub(crate) ty: Ty,
    /// Must be present (and, for strings, non-empty) on create.
    pub(crate) required: bool,
    pub(crate) default: Initial,
    /// May change through `PUT` (a `PUT` may repeat the current value of the others).
    pub(crate) updatable: bool,
    pub(crate) refers: Option<Refers>,
}

const fn field(name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        required: false,
        default: Initial::Null,
        updatable: true,
        refers: None,
    }
}

const fn required(name: &'static str, ty: Ty) -> Field {
    Field {
        required: true,
        ..field(name, ty)
    }
}

const fn with_default(mut f: Field, default: Initial) -> Field {
    f.default = default;
    f
}

const fn fixed(mut f: Field) -> Field {
    f.updatable = false;
    f
}

const fn refers(mut f: Field, to: Refers) -> Field {
    f.refers = Some(to);
    f
}

pub(crate) const NODE_KEYS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "7",
    "8",
    "9",
    "*",
    "#",
    "EMPTY_KEY",
    "INVALID_KEY",
];

pub(crate) const ACTION_QUEUE: i64 = 2;
pub(crate) const ACTION_FORWARD: i64 = 3;
pub(crate) const ACTION_NEXT_NODE: i64 = 4;
pub(crate) const ROUTING_TO_PHONE: i64 = 2;

const AGENT: &[Field] = &[
    required("name", Ty::Str),
    required("stringee_user_id", Ty::Str),
    with_default(field("manual_status", Ty::Str), Initial::Str("AVAILABLE")),
    with_default(field("routing_type", Ty::IntIn(&[1, 2])), Initial::Int(1)),
    field("phone_number", Ty::Str),
    // Undocumented; a real provisioning script sends it (see docs/pcc-api-assumptions.md).
    field("allow_out_of_business_hour_callout", Ty::Bool),
];

const GROUP: &[Field] = &[required("name", Ty::Str)];

const MEMBERSHIP: &[Field] = &[
    fixed(refers(
        required("agent_id", Ty::Str),
        Refers::Id(Kind::Agent),
    )),
    fixed(refers(
        required("group_id", Ty::Str),
        Refers::Id(Kind::Group),
    )),
];

const QUEUE: &[Field] = &[
    required("name", Ty::Str),
    with_default(field("record_calls", Ty::Bool), Initial::Int(1)),
    with_default(
        field("agent_wrap_up_after_calls", Ty::Bool),
        Initial::Int(1),
    ),
    with_default(
        field("wrap_up_time_limit", Ty::Int(0, i64::MAX)),
        Initial::Int(10),
    ),
    with_default(field("schedule", Ty::IntIn(&[1, 2])), Initial::Int(1)),
    with_default(
        field("wait_agent_answer_timeout", Ty::Int(3, i64::MAX)),
        Initial::Int(15),
    ),
    refers(field("wait_greeting", Ty::Str), Refers::GreetingFile),
    refers(field("hold_greeting", Ty::Str), Refers::GreetingFile),
    with_default(
        field("maximum_queue_size", Ty::Int(0, i64::MAX)),
        Initial::Int(5),
    ),
    with_default(
        field("maximum_queue_wait_time", Ty::Int(0, i64::MAX)),
        Initial::Int(60),
    ),
    field("from_number_callout_to_agent", Ty::Str),
    field("get_list_agents_url", Ty::Str),
    with_default(field("cond_routing", Ty::IntIn(&[1, 2])), Initial::Int(1)),
    // Undocumented; a real provisioning script sends them. No default is known, so a queue
    // created without them answers `null` (see docs/pcc-api-assumptions.md).
    field("route_to_backup_groups_after", Ty::Int(0, i64::MAX)),
    field("sla_target_percent", Ty::Int(0, 100)),
    field("sla_answered_within", Ty::Int(0, i64::MAX)),
];

const ROUTING: &[Field] = &[
    fixed(refers(
        required("queue_id", Ty::Str),
        Refers::Id(Kind::Queue),
    )),
    fixed(refers(
        required("group_id", Ty::Str),
        Refers::Id(Kind::Group),
    )),
    required("primary_group", Ty::Bool),
];

const IVR_TREE: &[Field] = &[required("tree_name", Ty::Str)];

const IVR_NODE: &[Field] = &[
    fixed(refers(required("tree", Ty::Str), Refers::Id(Kind::IvrTree))),
    required("node_name", Ty::Str),
    required("node_play_mode", Ty::StrIn(&["talk", "play"])),
    // A file name when the mode is `play`: checked by the node rule, not here.
    required("node_play_content", Ty::Str),
    with_default(field("bargeIn", Ty::Bool), Initial::Int(1)),
    with_default(field("loop_count", Ty::Int(1, i64::MAX)), Initial::Int(1)),
    with_default(field("sched", Ty::Int(0, i64::MAX)), Initial::Int(0)),
    with_default(
        field("voice", Ty::Str),
        Initial::Str("hn_female_thutrang_phrase_48k-hsmm"),
    ),
    with_default(field("speed", Ty::Int(-3, 3)), Initial::Int(0)),
    with_default(
        field("keypress_timeout", Ty::Int(1, i64::MAX)),
        Initial::Int(5),
    ),
];

const IVR_KEYPRESS: &[Field] = &[
    fixed(refers(required("node", Ty::Str), Refers::Id(Kind::IvrNode))),
    fixed(required("node_key", Ty::StrIn(NODE_KEYS))),
    required("action", Ty::IntIn(&[2, 3, 4, 6])),
    // Same tree as `node`: checked by the key press rule.
    refers(field("next_node", Ty::Str), Refers::Id(Kind::IvrNode)),
    refers(field("queue_id", Ty::Str), Refers::Id(Kind::Queue)),
    field("to_phone_number", Ty::Str),
    field("from_number_callout_to_agent", Ty::Str),
    field("sms", Ty::Str),
];

const NUMBER: &[Field] = &[
    fixed(required("number", Ty::Digits)),
    field("nickname", Ty::Str),
    required("allow_outbound_calls", Ty::Bool),
    required("enable_ivr", Ty::Bool),
    refers(field("ivr_menu", Ty::Str), Refers::Id(Kind::IvrTree)),
    refers(field("queue_id", Ty::Str), Refers::Id(Kind::Queue)),
    with_default(field("record_outbound_calls", Ty::Bool), Initial::Int(0)),
    // Undocumented; a real provisioning script sends it.
    field("all_group_can_make_outbound_call", Ty::Bool),
];

const BLACKLIST: &[Field] = &[
    required("number", Ty::Phone),
    // The docs mark both optional and show no default; the emulator takes 0 (not blocked).
    with_default(field("ivr_blocked", Ty::Bool), Initial::Int(0)),
    with_default(field("queue_blocked", Ty::Bool), Initial::Int(0)),
];

const CALL_SETTINGS: &[Field] = &[
    field("get_customer_info_url", Ty::Str),
    with_default(
        field("get_customer_info_timeout", Ty::Int(0, i64::MAX)),
        Initial::Int(2000),
    ),
    field("event_url", Ty::Str),
    field("callout_answer_url", Ty::Str),
];

/// A refused request: the `r` code and the message.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Refusal {
    pub(crate) r: i64,
    pub(crate) message: String,
    /// Extra keys for the answer (`numberID` on a duplicate number).
    pub(crate) extra: Map<String, Value>,
}

pub(crate) const R_INVALID: i64 = 1;
pub(crate) const R_NUMBER_EXISTED: i64 = 2;
pub(crate) const R_NOT_FOUND: i64 = 3;
pub(crate) const R_REFERENCED: i64 = 4;
pub(crate) const R_DUPLICATE: i64 = 6;

impl Refusal {
    pub(crate) fn new(r: i64, message: impl Into<String>) -> Refusal {
        Refusal {
            r,
            message: message.into(),
            extra: Map::new(),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Refusal {
        Refusal::new(R_INVALID, message)
    }
}

/// True for a value that leaves an optional string unset.
pub(crate) fn is_unset(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// A body for a new object: every field of `kind`, from `input` or its default.
pub(crate) fn build(kind: Kind, input: &Map<String, Value>) -> Result<Map<String, Value>, Refusal> {
    let mut out = Map::new();
    for f in kind.fields() {
        let value = match input.get(f.name) {
            Some(raw) => coerce(f, raw)?,
            None => Value::Null,
        };
        let value = if is_unset(&value) && f.required {
            return Err(Refusal::invalid(format!("`{}` is required", f.name)));
        } else if value.is_null() {
            match f.default {
                Initial::Null => Value::Null,
                Initial::Int(i) => Value::from(i),
                Initial::Str(s) => Value::from(s),
            }
        } else {
            value
        };
        out.insert(f.name.to_owned(), value);
    }
    Ok(out)
}

/// `current` changed by the fields present in `input`. Fields that cannot change may be
/// repeated with their current value.
pub(crate) fn merge(
    kind: Kind,
    current: &Map<String, Value>,
    input: &Map<String, Value>,
) -> Result<Map<String, Value>, Refusal> {
    let mut out = current.clone();
    for f in kind.fields() {
        let Some(raw) = input.get(f.name) else {
            continue;
        };
        let value = coerce(f, raw)?;
        let now = current.get(f.name).unwrap_or(&Value::Null);
        if !f.updatable {
            if &value != now {
                return Err(Refusal::invalid(format!(
                    "`{}` cannot be changed (it is {now}); delete and create instead",
                    f.name
                )));
            }
            continue;
        }
        if f.required && is_unset(&value) {
            return Err(Refusal::invalid(format!("`{}` cannot be empty", f.name)));
        }
        let value = match (value.is_null(), f.default) {
            // Clearing a field with a server default restores the default.
            (true, Initial::Int(i)) => Value::from(i),
            (true, Initial::Str(s)) => Value::from(s),
            _ => value,
        };
        out.insert(f.name.to_owned(), value);
    }
    Ok(out)
}

/// Checks one field's value and normalises it: booleans become 0/1, strings stay as sent
/// (`""` and `null` both mean unset and are kept as sent).
fn coerce(f: &Field, raw: &Value) -> Result<Value, Refusal> {
    let bad = |what: &str| Refusal::invalid(format!("`{}` must be {what}, got {raw}", f.name));
    if raw.is_null() {
        return Ok(Value::Null);
    }
    match f.ty {
        Ty::Str => match raw {
            Value::String(_) => Ok(raw.clone()),
            _ => Err(bad("a string")),
        },
        Ty::Digits => match raw.as_str() {
            Some(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => Ok(raw.clone()),
            _ => Err(bad("a string of digits (E.164 without `+`)")),
        },
        Ty::Phone => match raw.as_str().map(|s| s.strip_prefix('+').unwrap_or(s)) {
            Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(Value::from(format!("+{digits}")))
            }
            _ => Err(bad("a phone number: digits, with or without a leading `+`")),
        },
        Ty::StrIn(allowed) => match raw.as_str() {
            Some(s) if allowed.contains(&s) => Ok(raw.clone()),
            _ => Err(bad(&format!("one of {}", allowed.join(", ")))),
        },
        Ty::Bool => match raw {
            Value::Bool(b) => Ok(Value::from(i64::from(*b))),
            Value::Number(n) if n.as_i64() == Some(0) || n.as_i64() == Some(1) => Ok(raw.clone()),
            _ => Err(bad("true, false, 0 or 1")),
        },
        Ty::Int(min, max) => match raw.as_i64() {
            Some(i) if (min..=max).contains(&i) => Ok(Value::from(i)),
            Some(_) if max == i64::MAX => Err(bad(&format!("an integer of at least {min}"))),
            Some(_) => Err(bad(&format!("an integer from {min} to {max}"))),
            None => Err(bad("an integer")),
        },
        Ty::IntIn(allowed) => match raw.as_i64() {
            Some(i) if allowed.contains(&i) => Ok(Value::from(i)),
            _ => Err(bad(&format!(
                "one of {}",
                allowed
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        },
    }
}

/// The value of an integer field of a stored body.
pub(crate) fn int(body: &Map<String, Value>, name: &str) -> i64 {
    body.get(name).and_then(Value::as_i64).unwrap_or(0)
}

/// The value of a string field of a stored body, `None` when unset.
pub(crate) fn string<'a>(body: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    body.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}
