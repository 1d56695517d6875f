//! The model of a whole PCC project: what a spec asks for once validated, and what a live
//! project holds once normalised. The planner compares two `Model`s, so both sides must use
//! the same vocabulary: natural keys instead of server ids, resolved defaults instead of absent
//! fields, booleans instead of 0/1, `None` instead of `""`.
//!
//! **Invariant:** every map is a `BTreeMap` and every set a `BTreeSet`, so iteration order, and
//! with it every plan and every rendering, is deterministic.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use crate::sensitive::Sensitive;

/// The TTS voice PCC uses when a node does not name one.
pub const DEFAULT_VOICE: &str = "hn_female_thutrang_phrase_48k-hsmm";

/// A whole PCC project.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Model {
    /// Project-wide call settings; `None` in a spec means "not managed", and then the planner
    /// leaves the live settings alone.
    pub settings: Option<CallSettings>,
    /// Greeting and hold audio, keyed by content identity (see [`AudioId`]).
    pub audio: BTreeMap<AudioId, Audio>,
    /// Agents keyed by `stringee_user_id`.
    pub agents: BTreeMap<String, Agent>,
    /// Agent groups keyed by name.
    pub groups: BTreeMap<String, Group>,
    /// Queues keyed by name.
    pub queues: BTreeMap<String, Queue>,
    /// IVR trees keyed by name.
    pub ivr: BTreeMap<String, IvrTree>,
    /// Phone numbers keyed by their digits (E.164 without `+`).
    pub numbers: BTreeMap<String, Number>,
    /// Blacklisted caller numbers keyed by their digits (without the `+` PCC stores). `None`
    /// in a spec without a `blacklist:` section means "not managed", as for `settings`: the
    /// planner leaves the live entries alone, and nothing reads them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blacklist: Option<BTreeMap<String, Blacklisted>>,
}

/// What a blacklisted caller is kept from (PCC's `ivr_blocked`, `queue_blocked`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blacklisted {
    /// The caller does not reach the IVR.
    pub ivr: bool,
    /// The caller does not reach a queue.
    pub queue: bool,
}

impl Default for Blacklisted {
    /// A spec entry that says nothing blocks both.
    fn default() -> Self {
        Blacklisted {
            ivr: true,
            queue: true,
        }
    }
}

impl Model {
    /// Hides each of `secrets` wherever a webhook URL holds it ([`Sensitive::hide`]): for a
    /// live model, read from a project that holds the spec's `${secret.NAME}` values.
    pub fn hide_secrets(&mut self, secrets: &[String]) {
        if secrets.is_empty() {
            return;
        }
        if let Some(settings) = &mut self.settings {
            for url in [
                &mut settings.event_url,
                &mut settings.get_customer_info_url,
                &mut settings.callout_answer_url,
            ]
            .into_iter()
            .flatten()
            {
                url.hide(secrets);
            }
        }
        for queue in self.queues.values_mut() {
            if let Some(url) = &mut queue.get_list_agents_url {
                url.hide(secrets);
            }
        }
    }
}

/// The project's PCC call settings (a singleton on the server). Its URLs are webhooks, which
/// often carry a token: [`Sensitive`], shown and saved redacted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSettings {
    /// Receives PCC call events.
    pub event_url: Option<Sensitive>,
    /// Asked for customer data when a call arrives.
    pub get_customer_info_url: Option<Sensitive>,
    /// How long PCC waits for `get_customer_info_url`, in milliseconds (server default 2000).
    pub get_customer_info_timeout_ms: u32,
    /// Asked for an SCCO once the agent leg of a call-out is answered.
    pub callout_answer_url: Option<Sensitive>,
}

impl Default for CallSettings {
    fn default() -> Self {
        CallSettings {
            event_url: None,
            get_customer_info_url: None,
            get_customer_info_timeout_ms: 2000,
            callout_answer_url: None,
        }
    }
}

/// The identity of an audio file. The server names uploaded files itself, so a file uploaded
/// by switchboard is known by the SHA-256 of its bytes (kept in the upload's `desc`), and a
/// file that was uploaded some other way is known by the name the server gave it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AudioId {
    /// Lower-case hex SHA-256 of the file's bytes.
    Sha256(String),
    /// The server-made file name, for files switchboard did not upload.
    ServerFile(String),
}

impl fmt::Display for AudioId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AudioId::Sha256(hex) => write!(f, "sha256:{hex}"),
            AudioId::ServerFile(name) => write!(f, "server:{name}"),
        }
    }
}

impl FromStr for AudioId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(hex) = s.strip_prefix("sha256:") {
            return Ok(AudioId::Sha256(hex.to_owned()));
        }
        if let Some(name) = s.strip_prefix("server:") {
            return Ok(AudioId::ServerFile(name.to_owned()));
        }
        Err(format!(
            "audio id `{s}` must start with `sha256:` or `server:`"
        ))
    }
}

/// The content digest of audio, the one way its identity ([`AudioId::Sha256`]) is computed:
/// by the spec loader's hasher, the check before an apply, the upload, and the benchmarks.
/// Fed chunk by chunk, so that a 50 MiB file is never held whole to be hashed.
#[derive(Clone, Debug, Default)]
pub struct AudioDigest(sha2::Sha256);

impl AudioDigest {
    /// A digest of no bytes yet.
    pub fn new() -> AudioDigest {
        AudioDigest::default()
    }

    /// Adds the next bytes of the file.
    pub fn update(&mut self, chunk: &[u8]) {
        sha2::Digest::update(&mut self.0, chunk);
    }

    /// The lower-case hex SHA-256 of every byte added.
    pub fn finish(self) -> String {
        crate::sensitive::hex(&sha2::Digest::finalize(self.0))
    }

    /// The lower-case hex SHA-256 of `bytes`, the audio's identity.
    pub fn of(bytes: &[u8]) -> String {
        let mut digest = AudioDigest::new();
        digest.update(bytes);
        digest.finish()
    }
}

/// An audio file. Two audio files with the same [`AudioId`] are the same file whatever their
/// names, so the planner compares audio by key only; `name` and `file` are for people and for
/// the uploader.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audio {
    /// The name the spec gives it (or, for live files, the name recorded at upload, else the
    /// server file name). Shown in plans; never compared.
    pub name: String,
    /// Where the bytes are, relative to the spec root; set only for desired files that
    /// switchboard uploads.
    pub file: Option<String>,
}

/// How PCC reaches an agent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentRouting {
    /// The Stringee app or a SIP phone (`routing_type` 1, the default).
    #[default]
    App,
    /// The agent's own phone number (`routing_type` 2).
    Phone,
}

/// An agent, keyed by `stringee_user_id`. Runtime fields (statuses, counters) are not part of
/// the model: they change with every call and are never diffed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    /// Display name.
    pub name: String,
    /// How calls reach the agent.
    pub routing: AgentRouting,
    /// The agent's phone number; required when `routing` is `Phone`.
    pub phone_number: Option<String>,
    /// The agent may call out outside business hours (PCC's undocumented
    /// `allow_out_of_business_hour_callout`). `None` in a spec: not managed, whatever PCC holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_of_hours_callout: Option<bool>,
}

/// An agent group, keyed by name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Members, by `stringee_user_id`.
    pub agents: BTreeSet<String>,
}

/// When a queue routes calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    /// `schedule` 1: always route (the default).
    Always,
    /// `schedule` 2: route in business hours only.
    BusinessHours,
}

/// A queue, keyed by name. Every field of the PCC queue resource, with the server's defaults
/// resolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queue {
    /// Record calls (default true).
    pub record_calls: bool,
    /// Give agents wrap-up time after calls (default true).
    pub agent_wrap_up_after_calls: bool,
    /// Wrap-up time in seconds (default 10).
    pub wrap_up_time_limit: u32,
    /// When calls are routed (default always).
    pub schedule: Schedule,
    /// Seconds to ring an agent before trying the next (default 15, at least 3).
    pub wait_agent_answer_timeout: u32,
    /// Audio played while the caller waits for an agent.
    pub wait_greeting: Option<AudioId>,
    /// Audio played while the caller is on hold.
    pub hold_greeting: Option<AudioId>,
    /// Maximum callers waiting (default 5; "coming soon" in PCC).
    pub maximum_queue_size: u32,
    /// Maximum wait in seconds (default 60; "coming soon" in PCC).
    pub maximum_queue_wait_time: u32,
    /// Caller id shown when PCC rings an agent's phone (agents with phone routing).
    pub from_number_callout_to_agent: Option<String>,
    /// When set, PCC asks this URL which agents to ring instead of using group routing (a
    /// webhook, [`Sensitive`]).
    pub get_list_agents_url: Option<Sensitive>,
    /// PCC's `cond_routing` (1: agents online on web/app; 2: web/app or SIP). Default 1.
    pub cond_routing: u32,
    /// Seconds a call waits for the primary groups before the backup groups ring too (PCC's
    /// undocumented `route_to_backup_groups_after`). `None` in a spec: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overflow_after: Option<u32>,
    /// The share of calls, in percent, to answer within `sla_answered_within` (undocumented
    /// `sla_target_percent`). `None` in a spec: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_target_percent: Option<u32>,
    /// The SLA's answer time in seconds (undocumented `sla_answered_within`). `None` in a
    /// spec: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_answered_within: Option<u32>,
    /// Groups the queue routes to, keyed by group name.
    pub routing: BTreeMap<String, Routing>,
}

impl Default for Queue {
    fn default() -> Self {
        Queue {
            record_calls: true,
            agent_wrap_up_after_calls: true,
            wrap_up_time_limit: 10,
            schedule: Schedule::Always,
            wait_agent_answer_timeout: 15,
            wait_greeting: None,
            hold_greeting: None,
            maximum_queue_size: 5,
            maximum_queue_wait_time: 60,
            from_number_callout_to_agent: None,
            get_list_agents_url: None,
            cond_routing: 1,
            overflow_after: None,
            sla_target_percent: None,
            sla_answered_within: None,
            routing: BTreeMap::new(),
        }
    }
}

/// One queue → group routing. PCC has two priority levels only: primary groups get calls
/// first; the others get them when no primary agent is free.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routing {
    /// `primary_group` 1 (true) or 0 (false, the default).
    pub primary: bool,
}

impl Routing {
    /// `primary_group` when a routing does not set it.
    pub const DEFAULT_PRIMARY: bool = false;
}

/// An IVR tree, keyed by name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IvrTree {
    /// The node a call starts at (PCC's root node: the first node created in the tree).
    pub start: String,
    /// Nodes keyed by node name.
    pub nodes: BTreeMap<String, IvrNode>,
}

/// One IVR menu: a prompt, then key presses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IvrNode {
    /// What the caller hears.
    pub prompt: Prompt,
    /// The caller may press a key before the prompt ends (default true).
    pub barge_in: bool,
    /// How many times the prompt plays (default 1).
    pub loop_count: u32,
    /// Silence before the prompt, in milliseconds (PCC's `sched`, default 0).
    pub delay_ms: u32,
    /// Seconds to wait for a key (default 5).
    pub keypress_timeout: u32,
    /// What each key does.
    pub keys: BTreeMap<Key, KeyAction>,
}

/// PCC's defaults for the fields a node may leave out (docs/pcc-api-assumptions.md,
/// "Defaults"): the one place the spec loader, the spec writer ([`crate::emit`]) and the live
/// reader take them from.
impl IvrNode {
    /// `bargeIn`: the caller may press a key before the prompt ends.
    pub const DEFAULT_BARGE_IN: bool = true;
    /// `loop_count`: the prompt plays once.
    pub const DEFAULT_LOOP_COUNT: u32 = 1;
    /// `sched`: no silence before the prompt.
    pub const DEFAULT_DELAY_MS: u32 = 0;
    /// `keypress_timeout`, in seconds.
    pub const DEFAULT_KEYPRESS_TIMEOUT: u32 = 5;

    /// A node that plays `prompt`, every other field at PCC's default, with no keys.
    pub fn with_prompt(prompt: Prompt) -> IvrNode {
        IvrNode {
            prompt,
            barge_in: IvrNode::DEFAULT_BARGE_IN,
            loop_count: IvrNode::DEFAULT_LOOP_COUNT,
            delay_ms: IvrNode::DEFAULT_DELAY_MS,
            keypress_timeout: IvrNode::DEFAULT_KEYPRESS_TIMEOUT,
            keys: BTreeMap::new(),
        }
    }

    /// The node without its keys: its own fields, which is what a plan's node step sets and
    /// compares (each key press is an object of its own). Two nodes whose own fields are
    /// equal are `a.without_keys() == b.without_keys()`, whatever fields a node gains.
    pub fn without_keys(&self) -> IvrNode {
        IvrNode {
            keys: BTreeMap::new(),
            ..self.clone()
        }
    }
}

/// A node's prompt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prompt {
    /// Text to speech (`node_play_mode` "talk").
    Say {
        /// The text spoken.
        text: String,
        /// The TTS voice (default [`DEFAULT_VOICE`]).
        voice: String,
        /// Speech speed, -3..=3 (default 0).
        speed: i32,
    },
    /// An uploaded audio file (`node_play_mode` "play").
    Play {
        /// Which file.
        audio: AudioId,
    },
}

impl Prompt {
    /// The TTS `speed` when a node does not set it.
    pub const DEFAULT_SPEED: i32 = 0;

    /// Text to speech of `text` in the default voice ([`DEFAULT_VOICE`]) at the default speed.
    pub fn say(text: impl Into<String>) -> Prompt {
        Prompt::Say {
            text: text.into(),
            voice: DEFAULT_VOICE.to_owned(),
            speed: Prompt::DEFAULT_SPEED,
        }
    }
}

/// A key a caller can press, plus PCC's two pseudo keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    /// `0`.
    D0,
    /// `1`.
    D1,
    /// `2`.
    D2,
    /// `3`.
    D3,
    /// `4`.
    D4,
    /// `5`.
    D5,
    /// `6`.
    D6,
    /// `7`.
    D7,
    /// `8`.
    D8,
    /// `9`.
    D9,
    /// `*`.
    Star,
    /// `#`.
    Hash,
    /// No key before the timeout (PCC's `EMPTY_KEY`); `timeout` in a spec.
    Timeout,
    /// A key the node does not define (PCC's `INVALID_KEY`); `invalid` in a spec.
    Invalid,
}

impl Key {
    /// Every key, in order.
    pub const ALL: [Key; 14] = [
        Key::D0,
        Key::D1,
        Key::D2,
        Key::D3,
        Key::D4,
        Key::D5,
        Key::D6,
        Key::D7,
        Key::D8,
        Key::D9,
        Key::Star,
        Key::Hash,
        Key::Timeout,
        Key::Invalid,
    ];

    /// The spelling used in specs, plans and addresses: `0`..`9`, `*`, `#`, `timeout`, `invalid`.
    pub fn as_str(self) -> &'static str {
        match self {
            Key::D0 => "0",
            Key::D1 => "1",
            Key::D2 => "2",
            Key::D3 => "3",
            Key::D4 => "4",
            Key::D5 => "5",
            Key::D6 => "6",
            Key::D7 => "7",
            Key::D8 => "8",
            Key::D9 => "9",
            Key::Star => "*",
            Key::Hash => "#",
            Key::Timeout => "timeout",
            Key::Invalid => "invalid",
        }
    }

    /// The spelling PCC uses in `node_key`.
    pub fn as_wire(self) -> &'static str {
        match self {
            Key::Timeout => "EMPTY_KEY",
            Key::Invalid => "INVALID_KEY",
            other => other.as_str(),
        }
    }

    /// Parses PCC's `node_key`.
    pub fn from_wire(s: &str) -> Option<Key> {
        match s {
            "EMPTY_KEY" => Some(Key::Timeout),
            "INVALID_KEY" => Some(Key::Invalid),
            "timeout" | "invalid" => None,
            other => other.parse().ok(),
        }
    }

    /// The key for a DTMF character a caller presses (`0`-`9`, `*`, `#`).
    pub fn from_dtmf(c: char) -> Option<Key> {
        match c {
            '0'..='9' | '*' | '#' => c.to_string().parse().ok(),
            _ => None,
        }
    }

    /// True for `0`-`9`, `*` and `#`: the keys a caller can actually press.
    pub fn is_dtmf(self) -> bool {
        !matches!(self, Key::Timeout | Key::Invalid)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Key {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Key::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!("`{s}` is not a key: use `0`-`9`, `*`, `#`, `timeout` or `invalid`")
            })
    }
}

/// What pressing a key does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyAction {
    /// Go to another node of the same tree (PCC action 4).
    Goto {
        /// The node's name.
        node: String,
    },
    /// Put the call in a queue (PCC action 2).
    Queue {
        /// The queue's name.
        queue: String,
    },
    /// Forward the call to a phone number (PCC action 3).
    Forward {
        /// The number called.
        to: String,
        /// The caller id shown to the called party (`from_number_callout_to_agent`).
        caller_id: Option<String>,
    },
    /// End the call (PCC action 6).
    Hangup,
}

/// A phone number, keyed by its digits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Number {
    /// A label for people.
    pub nickname: Option<String>,
    /// Where incoming calls go. A spec always sets it; a live number may have none.
    pub route: Option<NumberRoute>,
    /// Agents may call out from this number.
    pub allow_outbound_calls: bool,
    /// Outbound calls from this number are recorded.
    pub record_outbound_calls: bool,
    /// Every group may call out on this number, not only those chosen in PCC (undocumented
    /// `all_group_can_make_outbound_call`). `None` in a spec: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_groups_can_call_out: Option<bool>,
}

impl Number {
    /// `allow_outbound_calls` when a number does not set it.
    pub const DEFAULT_ALLOW_OUTBOUND_CALLS: bool = false;
    /// `record_outbound_calls` when a number does not set it.
    pub const DEFAULT_RECORD_OUTBOUND_CALLS: bool = false;
}

/// PCC's own answer URL for a Stringee project: PCC receives the project's calls only when
/// the project's answer and event URLs, and each number's, are PCC's ("must be configured
/// exactly like above": Stringee's PCC getting-started guide). Set through the account API,
/// not PCC's; the planner's `wiring` compares them and the emulator starts with them.
pub const PCC_PROJECT_ANSWER_URL: &str = "http://v2.stringee.com:8282/project_answer_url";
/// PCC's own event URL for a Stringee project (the account API's `callback_url`).
pub const PCC_PROJECT_EVENT_URL: &str = "http://v2.stringee.com:8282/project_event_url";
/// PCC's own answer URL for a number.
pub const PCC_NUMBER_ANSWER_URL: &str = "http://v2.stringee.com:8282/answer_url";
/// PCC's own event URL for a number.
pub const PCC_NUMBER_EVENT_URL: &str = "http://v2.stringee.com:8282/event_url";

/// Where a number sends incoming calls.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberRoute {
    /// To an IVR tree, by name (`enable_ivr` true, `ivr_menu`).
    Ivr(String),
    /// Straight to a queue, by name (`enable_ivr` false, `queue_id`).
    Queue(String),
}

/// Implements `Serialize` and `Deserialize` for a type through its `Display` and `FromStr`, so
/// that it reads as one string in JSON and YAML (and works as a map key).
#[macro_export]
macro_rules! serde_via_str {
    ($ty:ty) => {
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                let s = <String as ::serde::Deserialize>::deserialize(deserializer)?;
                s.parse().map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }
    };
}

serde_via_str!(Key);
serde_via_str!(AudioId);
