//! The PCC REST API's JSON, as `docs/pcc-api-assumptions.md` describes it: request bodies and
//! list items. Reading is tolerant where the real service is inconsistent (booleans as
//! `true`/`false` or `0`/`1`, counts as strings or numbers, unset strings as `null` or `""`,
//! unknown fields ignored); writing sends the documented form. Nothing outside this crate's
//! client and normaliser should need these types, except an executor building request bodies.

use serde::{Deserialize, Serialize};

/// Tolerant field readers for `#[serde(deserialize_with = ...)]`. They read the value straight
/// from the answer's bytes and refuse an array or an object at once, so that a hostile field
/// costs no memory beyond its bytes; and their errors say what kind of value came, never the
/// value itself (PCC's text is data, and may be sensitive).
pub mod de {
    use std::fmt;

    use serde::Deserializer;
    use serde::de::{Error as _, MapAccess, SeqAccess, Visitor};

    /// A JSON scalar as it came.
    enum Scalar {
        Null,
        Bool(bool),
        Int(i64),
        Big(u64),
        Float(f64),
        Str(String),
    }

    impl Scalar {
        fn kind(&self) -> &'static str {
            match self {
                Scalar::Null => "null",
                Scalar::Bool(_) => "a boolean",
                Scalar::Int(_) | Scalar::Big(_) | Scalar::Float(_) => "a number",
                Scalar::Str(_) => "a string",
            }
        }
    }

    struct ScalarVisitor;

    impl<'de> Visitor<'de> for ScalarVisitor {
        type Value = Scalar;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string, a number, a boolean or null")
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Scalar, E> {
            Ok(Scalar::Null)
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Scalar, E> {
            Ok(Scalar::Null)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Scalar, E> {
            Ok(Scalar::Bool(b))
        }
        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Scalar, E> {
            Ok(Scalar::Int(n))
        }
        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Scalar, E> {
            Ok(i64::try_from(n).map_or(Scalar::Big(n), Scalar::Int))
        }
        fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Scalar, E> {
            Ok(Scalar::Float(n))
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Scalar, E> {
            Ok(Scalar::Str(s.to_owned()))
        }
        fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Scalar, E> {
            Ok(Scalar::Str(s))
        }
        // An array or an object fails the read where it starts: nothing of it is kept.
        fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Scalar, A::Error> {
            Err(A::Error::custom("expected a single value, got an array"))
        }
        fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Scalar, A::Error> {
            Err(A::Error::custom("expected a single value, got an object"))
        }
    }

    fn scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }

    /// A string that PCC may send as `null`, `""`, a string or a number; `null` and `""` are
    /// `None`.
    pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        match scalar(d)? {
            Scalar::Null => Ok(None),
            Scalar::Str(s) if s.is_empty() => Ok(None),
            Scalar::Str(s) => Ok(Some(s)),
            Scalar::Int(n) => Ok(Some(n.to_string())),
            Scalar::Big(n) => Ok(Some(n.to_string())),
            Scalar::Float(n) => Ok(Some(
                serde_json::Number::from_f64(n).map_or_else(|| n.to_string(), |n| n.to_string()),
            )),
            other => Err(D::Error::custom(format!(
                "expected a string, got {}",
                other.kind()
            ))),
        }
    }

    /// A required id: a non-empty string (or a number, as a string).
    pub fn id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        opt_string(d)?.ok_or_else(|| D::Error::custom("expected an id, got nothing"))
    }

    /// A boolean sent as `true`/`false`, `0`/`1` or `"0"`/`"1"`/`"true"`/`"false"`; `null` is
    /// `None`.
    pub fn opt_flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        match scalar(d)? {
            Scalar::Null => Ok(None),
            Scalar::Bool(b) => Ok(Some(b)),
            Scalar::Int(0) => Ok(Some(false)),
            Scalar::Int(1) => Ok(Some(true)),
            Scalar::Str(s) => match s.as_str() {
                "" => Ok(None),
                "0" | "false" => Ok(Some(false)),
                "1" | "true" => Ok(Some(true)),
                _ => Err(D::Error::custom(
                    "expected 0 or 1, got a string that is neither",
                )),
            },
            Scalar::Int(_) | Scalar::Big(_) | Scalar::Float(_) => {
                Err(D::Error::custom("expected 0 or 1, got another number"))
            }
        }
    }

    /// An integer sent as a number or a numeric string; `null` and `""` are `None`.
    pub fn opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        match scalar(d)? {
            Scalar::Null => Ok(None),
            Scalar::Int(n) => Ok(Some(n)),
            Scalar::Str(s) if s.trim().is_empty() => Ok(None),
            Scalar::Str(s) => {
                s.trim().parse().map(Some).map_err(|_| {
                    D::Error::custom("expected an integer, got a string that is not one")
                })
            }
            Scalar::Bool(b) => Ok(Some(i64::from(b))),
            Scalar::Big(_) | Scalar::Float(_) => Err(D::Error::custom(
                "expected an integer, got a number that is not one",
            )),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// List items (what `GET` answers). Every field but the id is optional: the normaliser decides
// what a missing value means, so that the defaults live in one place.
// ---------------------------------------------------------------------------------------------

/// An item of `GET /v1/agent` (`data.agents`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Agent {
    /// Server id (`AG_…`).
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// Display name.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    /// The agent's Stringee user id: its natural key.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub stringee_user_id: Option<String>,
    /// 1 app/SIP, 2 phone.
    #[serde(default, deserialize_with = "de::opt_int")]
    pub routing_type: Option<i64>,
    /// Used when `routing_type` is 2.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub phone_number: Option<String>,
    /// Runtime state; read but never compared.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub manual_status: Option<String>,
    /// May call out outside business hours (undocumented; `null` when never set).
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub allow_out_of_business_hour_callout: Option<bool>,
}

/// An item of `GET /v1/group` (`data.groups`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Group {
    /// Server id (`GR_…`).
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// The group's name: its natural key.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub name: Option<String>,
}

/// An item of `GET /v1/manage-agents-in-group?group=` (`data.groupAgents`). No id of its own.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct GroupAgent {
    /// The agent's server id.
    #[serde(deserialize_with = "de::id")]
    pub agent_id: String,
    /// The group's server id.
    #[serde(deserialize_with = "de::id")]
    pub group_id: String,
}

/// An item of `GET /v1/queue` (`data.queues`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Queue {
    /// Server id (`QU_…`).
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// The queue's name: its natural key.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    /// Default true.
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub record_calls: Option<bool>,
    /// Default true.
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub agent_wrap_up_after_calls: Option<bool>,
    /// Seconds, default 10.
    #[serde(default, deserialize_with = "de::opt_int")]
    pub wrap_up_time_limit: Option<i64>,
    /// 1 always, 2 business hours.
    #[serde(default, deserialize_with = "de::opt_int")]
    pub schedule: Option<i64>,
    /// Seconds, default 15.
    #[serde(default, deserialize_with = "de::opt_int")]
    pub wait_agent_answer_timeout: Option<i64>,
    /// A greeting file's server name.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub wait_greeting: Option<String>,
    /// A greeting file's server name.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub hold_greeting: Option<String>,
    /// Default 5.
    #[serde(default, deserialize_with = "de::opt_int")]
    pub maximum_queue_size: Option<i64>,
    /// Seconds, default 60.
    #[serde(default, deserialize_with = "de::opt_int")]
    pub maximum_queue_wait_time: Option<i64>,
    /// Caller id when ringing an agent's phone.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub from_number_callout_to_agent: Option<String>,
    /// Custom agent selection URL.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub get_list_agents_url: Option<String>,
    /// Default 1.
    #[serde(default, deserialize_with = "de::opt_int")]
    pub cond_routing: Option<i64>,
    /// Seconds before the backup groups ring too (undocumented; `null` when never set).
    #[serde(default, deserialize_with = "de::opt_int")]
    pub route_to_backup_groups_after: Option<i64>,
    /// SLA share of calls, percent (undocumented; `null` when never set).
    #[serde(default, deserialize_with = "de::opt_int")]
    pub sla_target_percent: Option<i64>,
    /// SLA answer time, seconds (undocumented; `null` when never set).
    #[serde(default, deserialize_with = "de::opt_int")]
    pub sla_answered_within: Option<i64>,
}

/// An item of `GET /v1/routing-call-to-groups?queue=` (`data.groupRoutings`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Routing {
    /// Server id (`GR_RO_…`).
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// The queue's server id.
    #[serde(deserialize_with = "de::id")]
    pub queue_id: String,
    /// The group's server id.
    #[serde(deserialize_with = "de::id")]
    pub group_id: String,
    /// 1 primary, 0 overflow.
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub primary_group: Option<bool>,
}

/// An item of `GET /v1/ivrtree` (`data.ivrTrees`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Tree {
    /// Server id (`TR_…`).
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// The tree's name: its natural key.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub tree_name: Option<String>,
    /// The root node's server id; unset until the tree has a node.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub root_node: Option<String>,
}

/// An item of `GET /v1/ivrnode?tree=` (`data.ivrNodes`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Node {
    /// Server id (`NO_…`).
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// The tree's server id.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub tree: Option<String>,
    /// The node's name: its natural key within the tree.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub node_name: Option<String>,
    /// `talk` or `play`.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub node_play_mode: Option<String>,
    /// TTS text (talk) or a greeting file's server name (play).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub node_play_content: Option<String>,
    /// Default true.
    #[serde(default, rename = "bargeIn", deserialize_with = "de::opt_flag")]
    pub barge_in: Option<bool>,
    /// Default 1.
    #[serde(default, deserialize_with = "de::opt_int")]
    pub loop_count: Option<i64>,
    /// Milliseconds, default 0.
    #[serde(default, deserialize_with = "de::opt_int")]
    pub sched: Option<i64>,
    /// TTS voice, default [`spec::model::DEFAULT_VOICE`].
    #[serde(default, deserialize_with = "de::opt_string")]
    pub voice: Option<String>,
    /// TTS speed, -3..=3, default 0.
    #[serde(default, deserialize_with = "de::opt_int")]
    pub speed: Option<i64>,
    /// Seconds, default 5.
    #[serde(default, deserialize_with = "de::opt_int")]
    pub keypress_timeout: Option<i64>,
}

/// An item of `GET /v1/ivrkeypress?node=` (`data.ivrNodeKeys`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct NodeKey {
    /// Server id (`NO_KE_…`).
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// The tree's server id (set by the server).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub tree: Option<String>,
    /// The node's server id.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub node: Option<String>,
    /// `0`-`9`, `*`, `#`, `EMPTY_KEY`, `INVALID_KEY`.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub node_key: Option<String>,
    /// 2 queue, 3 forward, 4 next node, 6 hang up (1 voicemail and 5 SMS are not offered).
    #[serde(default, deserialize_with = "de::opt_int")]
    pub action: Option<i64>,
    /// A node's server id (action 4).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub next_node: Option<String>,
    /// A queue's server id (action 2).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub queue_id: Option<String>,
    /// The number called (action 3).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub to_phone_number: Option<String>,
    /// Caller id shown (action 3).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub from_number_callout_to_agent: Option<String>,
}

/// An item of `GET /v1/number` (`data.numbers`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Number {
    /// Server id (`NU_…`).
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// The digits: the natural key.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub number: Option<String>,
    /// A label.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub nickname: Option<String>,
    /// Agents may call out from it.
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub allow_outbound_calls: Option<bool>,
    /// Calls go to `ivr_menu`.
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub enable_ivr: Option<bool>,
    /// A tree's server id.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub ivr_menu: Option<String>,
    /// A queue's server id (used when `enable_ivr` is false).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub queue_id: Option<String>,
    /// Default false.
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub record_outbound_calls: Option<bool>,
    /// Every group may call out on the number (undocumented; `null` when never set).
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub all_group_can_make_outbound_call: Option<bool>,
    /// The project it is in (every list item carries it: docs); the project the API key is
    /// for, when the call settings do not say.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub project: Option<String>,
}

/// An item of `GET /v1/blacklistnumber` (`data.blacklistNumbers`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct BlacklistNumber {
    /// Server id (`BNXJ3OWK`).
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// The caller's number as PCC stores it, `+` and digits (`"+84379361752"`).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub number: Option<String>,
    /// The caller does not reach the IVR.
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub ivr_blocked: Option<bool>,
    /// The caller does not reach a queue.
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub queue_blocked: Option<bool>,
}

/// An item of `GET /v1/greetingfile` (`data.greetingFiles`, or `data.greeting_files`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct GreetingFile {
    /// The server-made file name that queues and nodes refer to.
    #[serde(deserialize_with = "de::id")]
    pub filename: String,
    /// The upload's description; switchboard writes `switchboard name=<name> sha256=<hex>`.
    /// Also read as `desc1`, the spelling of the greeting list's only public type file.
    #[serde(default, alias = "desc1", deserialize_with = "de::opt_string")]
    pub desc: Option<String>,
    /// The file's own id.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub sid: Option<String>,
}

/// `GET /v1/callsettings` (`callSetting`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct CallSettings {
    /// Asked for customer data when a call arrives.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub get_customer_info_url: Option<String>,
    /// Milliseconds, default 2000.
    #[serde(default, deserialize_with = "de::opt_int")]
    pub get_customer_info_timeout: Option<i64>,
    /// Receives call events.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub event_url: Option<String>,
    /// Asked for an SCCO when the agent leg of a call-out is answered.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub callout_answer_url: Option<String>,
    /// The project the settings are of (an integer, as text): the API key's project, whose
    /// wiring the account API is asked about.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub project: Option<String>,
}

/// One page of a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// `data.totalPages` (0 for an empty list), when the server sent it.
    pub total_pages: Option<u64>,
    /// `data.totalCount` (or the list's other count key: `totalAgents`, `totalGroups`,
    /// `total`), when the server sent one.
    pub total_count: Option<u64>,
}

/// What a greeting upload answers.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Uploaded {
    /// The server-made file name.
    #[serde(deserialize_with = "de::id")]
    pub filename: String,
    /// The file's id.
    #[serde(default, rename = "fileSid", deserialize_with = "de::opt_string")]
    pub file_sid: Option<String>,
}

/// What `POST /v1/ivrnode` answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeCreated {
    /// The new node's server id.
    pub id: String,
    /// True when the server made it its tree's root (the first node of a tree).
    pub is_root: bool,
}

// ---------------------------------------------------------------------------------------------
// Request bodies. One type per resource serves create (POST) and partial update (PUT): `None`
// fields are left out. To clear a string field on update, send `Some(String::new())`: the API
// has no `null` for "unset", and an empty string reads back as unset.
// ---------------------------------------------------------------------------------------------

/// `POST /v1/agent`, `PUT /v1/agent/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AgentBody {
    /// Display name (required on create).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Stringee user id (required on create).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stringee_user_id: Option<String>,
    /// 1 app/SIP, 2 phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing_type: Option<u8>,
    /// Used with `routing_type` 2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Undocumented; sent only when the spec manages it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_out_of_business_hour_callout: Option<bool>,
}

/// `POST /v1/group`, `PUT /v1/group/{id}`; also `{tree_name}` for trees via [`TreeBody`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GroupBody {
    /// The group's name.
    pub name: String,
}

/// `POST` and `DELETE /v1/manage-agents-in-group`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Membership {
    /// The agent's server id.
    pub agent_id: String,
    /// The group's server id.
    pub group_id: String,
}

/// `POST /v1/queue`, `PUT /v1/queue/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct QueueBody {
    /// The queue's name (required on create).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Record calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_calls: Option<bool>,
    /// Wrap-up after calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_wrap_up_after_calls: Option<bool>,
    /// Seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wrap_up_time_limit: Option<u32>,
    /// 1 always, 2 business hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<u8>,
    /// Seconds, at least 3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_agent_answer_timeout: Option<u32>,
    /// A greeting file's server name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_greeting: Option<String>,
    /// A greeting file's server name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold_greeting: Option<String>,
    /// Maximum callers waiting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum_queue_size: Option<u32>,
    /// Seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum_queue_wait_time: Option<u32>,
    /// Caller id when ringing an agent's phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_number_callout_to_agent: Option<String>,
    /// Custom agent selection URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub get_list_agents_url: Option<String>,
    /// 1 or 2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cond_routing: Option<u32>,
    /// Undocumented; sent only when the spec manages it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route_to_backup_groups_after: Option<u32>,
    /// Undocumented; sent only when the spec manages it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla_target_percent: Option<u32>,
    /// Undocumented; sent only when the spec manages it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla_answered_within: Option<u32>,
}

/// `POST /v1/routing-call-to-groups`, `PUT /v1/routing-call-to-groups/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RoutingBody {
    /// The queue's server id (create only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_id: Option<String>,
    /// The group's server id (create only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// 1 primary, 0 overflow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_group: Option<u8>,
}

/// `POST /v1/ivrtree`, `PUT /v1/ivrtree/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TreeBody {
    /// The tree's name.
    pub tree_name: String,
}

/// `POST /v1/ivrnode`, `PUT /v1/ivrnode/{id}` (`tree` is create only).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NodeBody {
    /// The tree's server id (create only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tree: Option<String>,
    /// The node's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_name: Option<String>,
    /// `talk` or `play`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_play_mode: Option<String>,
    /// TTS text or a greeting file's server name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_play_content: Option<String>,
    /// The caller may press a key before the prompt ends.
    #[serde(rename = "bargeIn", skip_serializing_if = "Option::is_none")]
    pub barge_in: Option<bool>,
    /// Repeat count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loop_count: Option<u32>,
    /// Milliseconds of silence first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sched: Option<u32>,
    /// TTS voice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
    /// TTS speed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speed: Option<i32>,
    /// Seconds to wait for a key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keypress_timeout: Option<u32>,
}

/// `POST /v1/ivrkeypress`, `PUT /v1/ivrkeypress/{id}` (`node`, `node_key` are create only).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KeyBody {
    /// The node's server id (create only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// The key's wire spelling (create only), see [`spec::model::Key::as_wire`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_key: Option<String>,
    /// 2 queue, 3 forward, 4 next node, 6 hang up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<u8>,
    /// A node's server id (action 4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_node: Option<String>,
    /// A queue's server id (action 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_id: Option<String>,
    /// The number called (action 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_phone_number: Option<String>,
    /// Caller id shown (action 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_number_callout_to_agent: Option<String>,
}

/// `POST /v1/blacklistnumber`, `PUT /v1/blacklistnumber/{id}` (`number` required by both).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BlacklistBody {
    /// The caller's digits, sent without a `+` as the docs' sample does.
    pub number: String,
    /// Block the IVR.
    pub ivr_blocked: bool,
    /// Block the queues.
    pub queue_blocked: bool,
}

/// `POST /v1/number`, `PUT /v1/number/{id}` (`number` is create only).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NumberBody {
    /// The digits (create only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// A label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// Agents may call out from it (required on create).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_outbound_calls: Option<bool>,
    /// Calls go to `ivr_menu` (required on create).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_ivr: Option<bool>,
    /// A tree's server id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ivr_menu: Option<String>,
    /// A queue's server id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_id: Option<String>,
    /// Record outbound calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_outbound_calls: Option<bool>,
    /// Undocumented; sent only when the spec manages it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub all_group_can_make_outbound_call: Option<bool>,
}

/// `PUT /v1/callsettings`: the whole singleton; an unset URL is sent as `""`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CallSettingsBody {
    /// Asked for customer data when a call arrives.
    pub get_customer_info_url: String,
    /// Milliseconds.
    pub get_customer_info_timeout: u32,
    /// Receives call events.
    pub event_url: String,
    /// Asked for an SCCO when the agent leg of a call-out is answered.
    pub callout_answer_url: String,
}
