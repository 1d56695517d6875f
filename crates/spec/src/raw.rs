//! The spec as written: serde types that mirror the YAML one to one, with the source position
//! of every value. Nothing outside the loader sees them; `load` validates them into a
//! [`Model`](crate::Model). They also generate the JSON Schema, so their doc comments are the
//! descriptions editors show.
//!
//! Every value is wrapped in [`Spanned`] so that diagnostics can point at it, and maps are
//! [`Map`]s (ordered entries, duplicates kept) so that a name written twice is reported by the
//! loader, with both places, instead of silently replaced.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

/// Where a value sits in its file. Lines and columns are 1-based and count characters; the byte
/// range is filled in by the loader when the parser could not give it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// Byte offset and length, when the parser knows them.
    pub bytes: Option<(usize, usize)>,
}

impl Span {
    fn from_location(location: serde_saphyr::Location) -> Span {
        let span = location.span();
        let bytes = match (span.byte_offset(), span.byte_len()) {
            (Some(offset), Some(len)) => Some((offset as usize, len as usize)),
            _ => None,
        };
        Span {
            line: location.line() as u32,
            column: location.column() as u32,
            bytes,
        }
    }

    /// The span of a parse error.
    pub(crate) fn of_error(err: &serde_saphyr::Error) -> Span {
        err.location().map(Span::from_location).unwrap_or_default()
    }
}

/// A value and where it was written. Deserializes through `serde_saphyr::Spanned`; its JSON
/// Schema is the schema of `T`, since the position is not part of what users write.
#[derive(Clone, Debug)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let inner = serde_saphyr::Spanned::<T>::deserialize(deserializer)?;
        Ok(Spanned {
            value: inner.value,
            span: Span::from_location(inner.referenced),
        })
    }
}

impl<T: JsonSchema> JsonSchema for Spanned<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// A YAML mapping read as its entries in document order, duplicates included, so the loader can
/// report a name written twice with both places. Keys are strings: a key written as a YAML
/// number (`842473082686:` or `1:`) is read as its digits, exactly as written.
#[derive(Debug)]
pub struct Map<V, K = AnyName> {
    /// The entries, in the order they were written.
    pub entries: Vec<(Spanned<String>, V)>,
    keys: PhantomData<K>,
}

impl<V, K> Default for Map<V, K> {
    fn default() -> Self {
        Map {
            entries: Vec::new(),
            keys: PhantomData,
        }
    }
}

impl<'de, V: Deserialize<'de>, K> Deserialize<'de> for Map<V, K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<V, K>(PhantomData<(V, K)>);

        impl<'de, V: Deserialize<'de>, K> Visitor<'de> for EntriesVisitor<V, K> {
            type Value = Map<V, K>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = access.next_entry()? {
                    entries.push(entry);
                }
                Ok(Map {
                    entries,
                    keys: PhantomData,
                })
            }
        }

        deserializer.deserialize_map(EntriesVisitor(PhantomData))
    }
}

/// What the keys of a [`Map`] may be, for the JSON Schema.
pub trait KeySchema {
    /// The schema name suffix of the map type.
    const NAME: &'static str;
    /// The object schema of a map whose values follow `value`.
    fn object(value: Schema) -> Schema;
}

/// Keys are names: any non-empty string.
#[derive(Debug)]
pub struct AnyName;

impl KeySchema for AnyName {
    const NAME: &'static str = "names";

    fn object(value: Schema) -> Schema {
        json_schema!({
            "type": "object",
            "propertyNames": { "minLength": 1 },
            "additionalProperties": value,
        })
    }
}

/// Keys are phone numbers: digits.
#[derive(Debug)]
pub struct Digits;

impl KeySchema for Digits {
    const NAME: &'static str = "numbers";

    fn object(value: Schema) -> Schema {
        json_schema!({
            "type": "object",
            "propertyNames": { "pattern": "^[0-9]+$" },
            "additionalProperties": value,
        })
    }
}

/// Keys are IVR keys: `0`-`9`, `*`, `#`, `timeout`, `invalid`. Listed as properties so that
/// editors offer them.
#[derive(Debug)]
pub struct IvrKeys;

impl KeySchema for IvrKeys {
    const NAME: &'static str = "keys";

    fn object(value: Schema) -> Schema {
        let properties: serde_json::Map<String, Value> = crate::model::Key::ALL
            .iter()
            .map(|key| (key.as_str().to_owned(), value.clone().to_value()))
            .collect();
        json_schema!({
            "type": "object",
            "properties": properties,
            "additionalProperties": false,
        })
    }
}

/// Keys are delete-guard kinds.
#[derive(Debug)]
pub struct Kinds;

impl KeySchema for Kinds {
    const NAME: &'static str = "kinds";

    fn object(value: Schema) -> Schema {
        json_schema!({
            "type": "object",
            "propertyNames": { "enum": crate::Kind::named_spellings() },
            "additionalProperties": value,
        })
    }
}

impl<V: JsonSchema, K: KeySchema> JsonSchema for Map<V, K> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("Map_{}_{}", K::NAME, V::schema_name()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        K::object(generator.subschema_for::<V>())
    }
}

/// One spec file. A project is one file or a directory of them; each file may hold any of the
/// sections, and names must be unique across the whole project.
#[derive(Debug, Default, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "switchboard spec",
    description = "A Stringee PCC contact center as code. See docs/spec.md."
)]
pub struct RawSpec {
    /// The spec format version. Only `1` exists; when absent, `1` is assumed.
    #[schemars(range(min = 1, max = 1))]
    pub version: Option<Spanned<u32>>,
    /// Project-wide call settings (webhooks). When no file has `settings`, switchboard leaves
    /// the live settings alone.
    pub settings: Option<Spanned<RawSettings>>,
    /// Audio files for greetings, hold music and IVR prompts, keyed by a name used in
    /// `wait_greeting`, `hold_greeting` and `play`.
    pub audio: Option<Map<Spanned<RawAudio>>>,
    /// Agents keyed by `stringee_user_id`.
    pub agents: Option<Map<Spanned<RawAgent>>>,
    /// Agent groups keyed by name.
    pub groups: Option<Map<Spanned<RawGroup>>>,
    /// Queues keyed by name.
    pub queues: Option<Map<Spanned<RawQueue>>>,
    /// IVR trees keyed by name.
    pub ivr: Option<Map<Spanned<RawTree>>>,
    /// Phone numbers keyed by their digits (country code first, no `+`). Quote them.
    pub numbers: Option<Map<Spanned<RawNumber>, Digits>>,
    /// Blacklisted caller numbers keyed by their digits (country code first, no `+`), each
    /// kept from the IVR, the queues or both (`POST /v1/blacklistnumber`). Quote them.
    pub blacklist: Option<Map<Spanned<RawBlacklisted>, Digits>>,
    /// Flow tests: a caller dials a number and presses keys; `validate` checks where the call
    /// ends.
    pub tests: Option<Vec<Spanned<RawTest>>>,
    /// Address globs (`agent.hr-*`) of live objects this spec does not own: never changed or
    /// deleted. Lists from several files are joined.
    pub ignore: Option<Vec<Spanned<String>>>,
    /// Guards that make `apply` refuse a plan that deletes too much, unless forced.
    pub safety: Option<Spanned<RawSafety>>,
    /// Renames: each entry says that the live object called `from` is the one the spec now
    /// declares as `to`, so that the plan renames it in place (same server id, memberships,
    /// routings, nodes and numbers kept) instead of deleting and creating it. For groups,
    /// queues and IVR trees. Lists from several files are joined.
    pub moved: Option<Vec<Spanned<RawMoved>>>,
    /// How each rule reports (`rules:`, `error`, `warning` or `off` per code of docs/codes.md)
    /// and the problems accepted on purpose (`allow:`, each with its rule, an address pattern
    /// and a reason). In one file of the project only.
    pub lint: Option<Spanned<RawLint>>,
    /// The PCC projects this one spec describes (`staging`, `production`...), keyed by name.
    /// Each may bind an API key and an endpoint, give values to `${var.NAME}`, and list
    /// `include:` files loaded only for it. Commands that talk to PCC then need `--env NAME`
    /// (or `SWITCHBOARD_ENV`). Only in the project's own files, never in an included one.
    pub environments: Option<Map<Spanned<RawEnvironment>>>,
    /// The Stringee project (its numeric id in the account) this spec is for. When set, the
    /// PCC wiring step refuses to run unless PCC reports this project for the API key, and
    /// corrects only it. In one file only; a spec with `environments:` pins each environment
    /// under it instead.
    #[schemars(range(min = 1))]
    pub project_id: Option<Spanned<u64>>,
}

/// One environment: a PCC project that the spec, with this environment's values and files,
/// describes.
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[schemars(rename = "Environment")]
#[serde(deny_unknown_fields)]
pub struct RawEnvironment {
    /// The API key SID (`SK…`) of this environment's project: a plan, an apply or a drift
    /// check run with any other key stops before its first request.
    #[schemars(length(min = 1))]
    pub api_key_sid: Option<Spanned<String>>,
    /// The PCC API endpoint of this environment (`https://icc-api.stringee.com` when absent).
    /// `--endpoint` must agree with it.
    pub endpoint: Option<Spanned<String>>,
    /// Values of `${var.NAME}` in this environment, keyed by `NAME`. Plain text: a value that
    /// must stay secret is a `${secret.NAME}` instead.
    pub vars: Option<Map<Spanned<String>>>,
    /// Files and directories (relative to the spec root, inside it) loaded for this
    /// environment only: its numbers, agents and whatever else differs by name. They are never
    /// part of the base spec, nor of another environment.
    pub include: Option<Vec<Spanned<String>>>,
    /// The Stringee project (its numeric id in the account) of this environment. When set, the
    /// PCC wiring step refuses to run unless PCC reports this project for the API key, and
    /// corrects only it.
    #[schemars(range(min = 1))]
    pub project_id: Option<Spanned<u64>>,
}

/// A rename (Terraform's `moved`): addresses as in `ignore:`, `kind.name`.
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[schemars(rename = "Moved")]
#[serde(deny_unknown_fields)]
pub struct RawMoved {
    /// The old address (`group.support`): the name the live object may still have. It must
    /// not be declared in the spec.
    #[schemars(regex(pattern = "^(group|queue|ivr_tree)\\..+$"))]
    pub from: Spanned<String>,
    /// The new address (`group.support-team`), of the same kind, declared in the spec.
    #[schemars(regex(pattern = "^(group|queue|ivr_tree)\\..+$"))]
    pub to: Spanned<String>,
}

/// PCC call settings (`PUT /v1/callsettings`).
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[schemars(rename = "Settings")]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    /// Receives PCC call events (`event_url`). An http(s) URL.
    pub event_url: Option<Spanned<String>>,
    /// Asked for customer data when a call arrives (`get_customer_info_url`). An http(s) URL.
    pub get_customer_info_url: Option<Spanned<String>>,
    /// How long PCC waits for `get_customer_info_url`, in milliseconds
    /// (`get_customer_info_timeout`). Default 2000.
    #[schemars(range(min = 1))]
    pub get_customer_info_timeout_ms: Option<Spanned<u32>>,
    /// Asked for call control once the agent leg of a call-out is answered
    /// (`callout_answer_url`). An http(s) URL.
    pub callout_answer_url: Option<Spanned<String>>,
}

/// An audio file: exactly one of `file`, `server_file` or `sha256`.
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[schemars(rename = "Audio")]
#[serde(deny_unknown_fields)]
#[schemars(extend("oneOf" = [
    { "required": ["file"] },
    { "required": ["server_file"] },
    { "required": ["sha256"] },
]))]
pub struct RawAudio {
    /// A WAV or MP3 file, relative to the spec root, that switchboard uploads. It is known by
    /// the SHA-256 of its bytes, so renaming the file changes nothing.
    pub file: Option<Spanned<String>>,
    /// The name PCC gave a file uploaded some other way (for example
    /// `VYWKDLWVXL-1531544847245.mp3`).
    pub server_file: Option<Spanned<String>>,
    /// A file switchboard uploaded before, known by the lower-case hex SHA-256 of its bytes
    /// (what `export` writes for it, since PCC cannot give the bytes back).
    #[schemars(regex(pattern = "^[0-9a-f]{64}$"))]
    pub sha256: Option<Spanned<String>>,
}

/// An agent (`POST /v1/agent`), keyed by `stringee_user_id`.
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[schemars(rename = "Agent")]
#[serde(deny_unknown_fields)]
pub struct RawAgent {
    /// Display name (`name`). Default: the `stringee_user_id`.
    pub name: Option<Spanned<String>>,
    /// How PCC reaches the agent (`routing_type`): `app` (the Stringee app or a SIP phone,
    /// default) or `phone` (the agent's own number, which then is required).
    pub routing: Option<Spanned<RawAgentRouting>>,
    /// The agent's phone number (`phone_number`), digits only.
    pub phone_number: Option<Spanned<String>>,
    /// The agent may call out outside business hours (PCC's undocumented
    /// `allow_out_of_business_hour_callout`). Unset: not managed, whatever PCC holds.
    pub out_of_hours_callout: Option<Spanned<bool>>,
}

/// `routing_type`.
#[derive(Clone, Copy, Debug, serde::Deserialize, JsonSchema)]
#[schemars(rename = "AgentRouting")]
#[serde(rename_all = "snake_case")]
pub enum RawAgentRouting {
    /// `routing_type` 1: the Stringee app or a SIP phone.
    App,
    /// `routing_type` 2: the agent's phone number.
    Phone,
}

/// An agent group (`POST /v1/group`) and its members (`manage-agents-in-group`).
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[schemars(rename = "Group")]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    /// Members, by `stringee_user_id`.
    pub agents: Option<Vec<Spanned<String>>>,
}

/// A queue (`POST /v1/queue`) and the groups it routes to (`routing-call-to-groups`).
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[schemars(rename = "Queue")]
#[serde(deny_unknown_fields)]
pub struct RawQueue {
    /// Groups that take this queue's calls. Primary groups get calls first; the others only
    /// when no primary agent is free (`primary_group` 1 or 0).
    pub routing: Option<Vec<Spanned<RawRouting>>>,
    /// Record calls (`record_calls`). Default true.
    pub record_calls: Option<Spanned<bool>>,
    /// Give agents wrap-up time after calls (`agent_wrap_up_after_calls`). Default true.
    pub agent_wrap_up_after_calls: Option<Spanned<bool>>,
    /// Wrap-up time in seconds (`wrap_up_time_limit`). Default 10.
    pub wrap_up_time_limit: Option<Spanned<u32>>,
    /// When calls are routed (`schedule`): `always` (default) or `business_hours`.
    pub schedule: Option<Spanned<RawSchedule>>,
    /// Seconds to ring an agent before trying the next (`wait_agent_answer_timeout`). Default
    /// 15, at least 3.
    #[schemars(range(min = 3))]
    pub wait_agent_answer_timeout: Option<Spanned<u32>>,
    /// Audio played while the caller waits (`wait_greeting`): an `audio` name.
    pub wait_greeting: Option<Spanned<String>>,
    /// Audio played while the caller is on hold (`hold_greeting`): an `audio` name.
    pub hold_greeting: Option<Spanned<String>>,
    /// Most callers waiting (`maximum_queue_size`). Default 5.
    #[schemars(range(min = 1))]
    pub maximum_queue_size: Option<Spanned<u32>>,
    /// Longest wait in seconds (`maximum_queue_wait_time`). Default 60.
    #[schemars(range(min = 1))]
    pub maximum_queue_wait_time: Option<Spanned<u32>>,
    /// Caller id shown when PCC rings an agent's phone (`from_number_callout_to_agent`);
    /// needed when a group of this queue has agents with `routing: phone`.
    pub from_number_callout_to_agent: Option<Spanned<String>>,
    /// When set, PCC asks this http(s) URL which agents to ring instead of using `routing`
    /// (`get_list_agents_url`).
    pub get_list_agents_url: Option<Spanned<String>>,
    /// Which agents count as online (`cond_routing`): 1 (web/app, default) or 2 (web/app or
    /// SIP).
    #[schemars(range(min = 1, max = 2))]
    pub cond_routing: Option<Spanned<u32>>,
    /// Seconds a call waits for the primary groups before the other groups of `routing` ring
    /// too (PCC's undocumented `route_to_backup_groups_after`). Unset: not managed.
    pub overflow_after: Option<Spanned<u32>>,
    /// The share of calls, in percent, to answer within `sla_answered_within` (PCC's
    /// undocumented `sla_target_percent`), 0 to 100. Unset: not managed.
    #[schemars(range(max = 100))]
    pub sla_target_percent: Option<Spanned<u32>>,
    /// The SLA's answer time in seconds (PCC's undocumented `sla_answered_within`). Unset: not
    /// managed.
    pub sla_answered_within: Option<Spanned<u32>>,
}

/// One queue → group routing.
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[schemars(rename = "Routing")]
#[serde(deny_unknown_fields)]
pub struct RawRouting {
    /// The group's name.
    pub group: Spanned<String>,
    /// A primary group gets calls first (`primary_group` 1). Default false: an overflow group.
    pub primary: Option<Spanned<bool>>,
}

/// A blacklisted caller number (`POST /v1/blacklistnumber`).
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[schemars(rename = "Blacklisted")]
#[serde(deny_unknown_fields)]
pub struct RawBlacklisted {
    /// What the caller is kept from: `ivr` (`ivr_blocked`), `queue` (`queue_blocked`), or
    /// both. Default both; `[]` keeps the entry but blocks nothing.
    pub blocks: Option<Vec<Spanned<RawBlock>>>,
}

/// What a blacklist entry blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, JsonSchema)]
#[schemars(rename = "Block")]
#[serde(rename_all = "snake_case")]
pub enum RawBlock {
    /// The IVR (`ivr_blocked`).
    Ivr,
    /// The queues (`queue_blocked`).
    Queue,
}

/// `schedule`.
#[derive(Clone, Copy, Debug, serde::Deserialize, JsonSchema)]
#[schemars(rename = "Schedule")]
#[serde(rename_all = "snake_case")]
pub enum RawSchedule {
    /// `schedule` 1.
    Always,
    /// `schedule` 2.
    BusinessHours,
}

/// An IVR tree (`POST /v1/ivrtree`).
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[schemars(rename = "Tree")]
#[serde(deny_unknown_fields)]
pub struct RawTree {
    /// The node calls start at (PCC's root node).
    pub start: Spanned<String>,
    /// The menus of this tree, keyed by node name.
    pub nodes: Map<Spanned<RawNode>>,
}

/// One IVR menu (`POST /v1/ivrnode`): a prompt (`say` or `play`), then what each key does.
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[schemars(rename = "Node")]
#[serde(deny_unknown_fields)]
#[schemars(extend("oneOf" = [{ "required": ["say"] }, { "required": ["play"] }]))]
pub struct RawNode {
    /// Text spoken to the caller (`node_play_mode: talk`).
    pub say: Option<Spanned<String>>,
    /// The TTS voice for `say` (`voice`). Default `hn_female_thutrang_phrase_48k-hsmm`.
    pub voice: Option<Spanned<String>>,
    /// Speech speed for `say`, -3 to 3 (`speed`). Default 0.
    #[schemars(range(min = -3, max = 3))]
    pub speed: Option<Spanned<i32>>,
    /// An `audio` name played to the caller (`node_play_mode: play`).
    pub play: Option<Spanned<String>>,
    /// The caller may press a key before the prompt ends (`bargeIn`). Default true.
    pub barge_in: Option<Spanned<bool>>,
    /// How many times the prompt plays (`loop_count`). Default 1.
    #[schemars(range(min = 1))]
    pub loop_count: Option<Spanned<u32>>,
    /// Silence before the prompt, in milliseconds (`sched`). Default 0.
    pub delay_ms: Option<Spanned<u32>>,
    /// Seconds to wait for a key (`keypress_timeout`). Default 5.
    #[schemars(range(min = 1))]
    pub keypress_timeout: Option<Spanned<u32>>,
    /// What each key does (`ivrkeypress`): `"0"`-`"9"`, `"*"`, `"#"`, `timeout` (no key
    /// pressed) and `invalid` (a key with no entry here). Quote `"*"` and `"#"`.
    pub keys: Option<Map<Spanned<RawAction>, IvrKeys>>,
}

/// What a key does: exactly one of `goto`, `queue`, `forward` or `hangup`.
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[schemars(rename = "Action")]
#[serde(deny_unknown_fields)]
#[schemars(extend("oneOf" = [
    { "required": ["goto"] },
    { "required": ["queue"] },
    { "required": ["forward"] },
    { "required": ["hangup"] },
]))]
pub struct RawAction {
    /// Go to another node of the same tree (action 4).
    pub goto: Option<Spanned<String>>,
    /// With `goto`: this key deliberately returns to an earlier menu ("9 for the main menu",
    /// "invalid: hear this menu again"), so the loop it makes is not an error.
    pub back: Option<Spanned<bool>>,
    /// Put the call in a queue (action 2).
    pub queue: Option<Spanned<String>>,
    /// Forward the call to this phone number (action 3, `to_phone_number`).
    pub forward: Option<Spanned<String>>,
    /// With `forward`: the caller id the called party sees (`from_number_callout_to_agent`).
    pub caller_id: Option<Spanned<String>>,
    /// End the call (action 6). Write `hangup: true`.
    pub hangup: Option<Spanned<bool>>,
}

/// A phone number (`POST /v1/number`): exactly one of `ivr` or `queue`.
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[schemars(rename = "Number")]
#[serde(deny_unknown_fields)]
#[schemars(extend("oneOf" = [{ "required": ["ivr"] }, { "required": ["queue"] }]))]
pub struct RawNumber {
    /// A label for people (`nickname`).
    pub nickname: Option<Spanned<String>>,
    /// Calls go to this IVR tree (`enable_ivr: true`, `ivr_menu`).
    pub ivr: Option<Spanned<String>>,
    /// Calls go straight to this queue (`enable_ivr: false`, `queue_id`).
    pub queue: Option<Spanned<String>>,
    /// Agents may call out from this number (`allow_outbound_calls`). Default false.
    pub allow_outbound_calls: Option<Spanned<bool>>,
    /// Record outbound calls (`record_outbound_calls`). Default false.
    pub record_outbound_calls: Option<Spanned<bool>>,
    /// Every group may call out on this number, not only the groups chosen in PCC (PCC's
    /// undocumented `all_group_can_make_outbound_call`). Unset: not managed.
    pub all_groups_can_call_out: Option<Spanned<bool>>,
}

/// A flow test: a caller dials `number`, presses `keys`, then stays silent.
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[schemars(rename = "Test")]
#[serde(deny_unknown_fields)]
pub struct RawTest {
    /// A name shown when the test fails.
    pub name: Option<Spanned<String>>,
    /// The number dialled: one of `numbers`.
    pub number: Spanned<String>,
    /// The keys pressed, in order (`0`-`9`, `*`, `#`). Default: none.
    #[schemars(regex(pattern = "^[0-9*#]*$"))]
    pub keys: Option<Spanned<String>>,
    /// Where the call must end.
    pub expect: Spanned<RawExpect>,
}

/// Where a flow test's call must end: exactly one of `queue`, `forward` or `hangup`.
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[schemars(rename = "Expect")]
#[serde(deny_unknown_fields)]
#[schemars(extend("oneOf" = [
    { "required": ["queue"] },
    { "required": ["forward"] },
    { "required": ["hangup"] },
]))]
pub struct RawExpect {
    /// The call waits in this queue.
    pub queue: Option<Spanned<String>>,
    /// The call is forwarded to this number.
    pub forward: Option<Spanned<String>>,
    /// The call ends (a `hangup` key, or no branch for the caller's key or silence).
    pub hangup: Option<Spanned<bool>>,
}

/// Delete guards for `apply`.
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[schemars(rename = "Safety")]
#[serde(deny_unknown_fields)]
pub struct RawSafety {
    /// Refuse a plan that deletes more than this share (percent) of the live objects of a
    /// kind... Default 25.
    #[schemars(range(max = 100))]
    pub max_delete_percent: Option<Spanned<u32>>,
    /// ...when that kind has at least this many live objects. Default 8.
    pub min_objects: Option<Spanned<u32>>,
    /// Refuse a plan that deletes a phone number or leaves it routing nowhere. Default true.
    pub protect_numbers: Option<Spanned<bool>>,
    /// Per-kind overrides, keyed by kind (`agent`, `group`, `membership`, `queue`, `routing`,
    /// `ivr_tree`, `ivr_node`, `ivr_key`, `number`, `audio`).
    pub kinds: Option<Map<Spanned<RawKindSafety>, Kinds>>,
}

/// A per-kind delete guard.
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[schemars(rename = "KindSafety")]
#[serde(deny_unknown_fields)]
pub struct RawKindSafety {
    /// Overrides `safety.max_delete_percent`.
    #[schemars(range(max = 100))]
    pub max_delete_percent: Option<Spanned<u32>>,
    /// Overrides `safety.min_objects`.
    pub min_objects: Option<Spanned<u32>>,
}

/// `lint:`: how each rule reports, and the problems accepted on purpose.
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[schemars(rename = "Lint")]
#[serde(deny_unknown_fields)]
pub struct RawLint {
    /// Per rule (a code of docs/codes.md): `error`, `warning` or `off`. Only the rules whose
    /// problems are warnings by default may be set: the others make a spec unappliable or
    /// wrong when calls arrive, and are always errors.
    pub rules: Option<Map<Spanned<RawLevel>, TunableCodes>>,
    /// Problems accepted on purpose, each with its rule, the object (an address pattern, as in
    /// `ignore:`) and why. An entry that matches no problem is a warning (`unused-allow`).
    pub allow: Option<Vec<Spanned<RawAllow>>>,
}

/// A rule's level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, JsonSchema)]
#[schemars(rename = "Level")]
#[serde(rename_all = "snake_case")]
pub enum RawLevel {
    /// Its problems are errors: the spec is invalid.
    Error,
    /// Its problems are warnings (they fail `validate --strict`).
    Warning,
    /// It reports nothing.
    Off,
}

/// A problem accepted on purpose.
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[schemars(rename = "Allow")]
#[serde(deny_unknown_fields)]
pub struct RawAllow {
    /// The rule (`no-fallback`).
    #[schemars(schema_with = "tunable_code")]
    pub rule: Spanned<String>,
    /// The object, as an address pattern like those of `ignore:` (`ivr_node.main/spanish`,
    /// `group.temp-*`).
    pub address: Spanned<String>,
    /// Why the problem is accepted: shown wherever it is reported as allowed.
    #[schemars(length(min = 1))]
    pub reason: Spanned<String>,
}

/// Keys are codes of rules `lint:` may set.
#[derive(Debug)]
pub struct TunableCodes;

impl KeySchema for TunableCodes {
    const NAME: &'static str = "rules";

    fn object(value: Schema) -> Schema {
        json_schema!({
            "type": "object",
            "propertyNames": { "enum": tunable_codes() },
            "additionalProperties": value,
        })
    }
}

fn tunable_codes() -> Vec<&'static str> {
    crate::diagnostic::RULES
        .iter()
        .filter(|rule| rule.tunable)
        .map(|rule| rule.code)
        .collect()
}

fn tunable_code(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string", "enum": tunable_codes() })
}

/// The JSON Schema of a spec file, pretty-printed, with a trailing newline.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(RawSpec);
    let mut out = serde_json::to_string_pretty(&schema).expect("a schema is always JSON");
    out.push('\n');
    out
}
