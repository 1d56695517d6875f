//! Each PCC resource described once: where it lives, how its list answers are keyed, what its
//! create answers, how one object is named for an update or a delete, and (in [`encode`]) how
//! a model object becomes its request body. The client's generic operations
//! ([`Client::create`](crate::Client::create), [`Client::update`](crate::Client::update),
//! [`Client::delete`](crate::Client::delete), [`Client::list_all`](crate::Client::list_all))
//! take a [`Resource`], so an endpoint is written here and nowhere else.
//!
//! Two endpoints are not lists and have their own client methods: the call settings (a
//! singleton, [`SETTINGS_PATH`]: read and written whole) and greeting uploads (raw bytes on
//! the Call API host, [`GREETING_PATH`]; PCC has no update or delete for them).

pub mod encode;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::answer::Shape;
use crate::error::Error;
use crate::wire;

/// Which of the two Stringee hosts a path lives on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host {
    /// `icc-api.stringee.com`: everything but greeting files.
    Pcc,
    /// `api.stringee.com`: greeting files.
    CallApi,
}

/// How one object of a resource is named in a write after its create.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writes {
    /// `PUT {path}/{id}` and `DELETE {path}/{id}`.
    ById,
    /// No id of its own (a membership): `DELETE {path}` with the create's body; no update.
    ByBody,
    /// Neither updated nor deleted through the generic operations (greeting files: PCC offers
    /// no update, and no delete switchboard uses).
    Never,
}

/// The call settings: `GET` and `PUT`, one object per project.
pub const SETTINGS_PATH: &str = "/v1/callsettings";
/// The rate-limit family of the call settings.
pub const SETTINGS_FAMILY: &str = "settings";

/// The rate-limit family of the requests that make and change objects of `kind` (and read
/// them back), from its descriptor.
pub fn family(kind: spec::Kind) -> &'static str {
    use spec::Kind as K;
    match kind {
        K::Agent => wire::Agent::FAMILY,
        K::Group => wire::Group::FAMILY,
        K::Membership => wire::GroupAgent::FAMILY,
        K::Queue => wire::Queue::FAMILY,
        K::Routing => wire::Routing::FAMILY,
        K::IvrTree => wire::Tree::FAMILY,
        K::IvrNode => wire::Node::FAMILY,
        K::IvrKey => wire::NodeKey::FAMILY,
        K::Number => wire::Number::FAMILY,
        K::Blacklist => wire::BlacklistNumber::FAMILY,
        K::Audio => wire::GreetingFile::FAMILY,
        K::Settings => SETTINGS_FAMILY,
    }
}

/// Greeting files: uploaded as raw bytes with `?uploadType=simple&desc=…` (Call API host).
pub const GREETING_PATH: &str = "/v1/greetingfile";

/// A PCC resource: a list item type that names its endpoint. Implemented on the wire type a
/// list answers ([`wire::Agent`], ...).
pub trait Resource: DeserializeOwned + Send + 'static {
    /// Host of the resource.
    const HOST: Host;
    /// Path, e.g. `/v1/agent`.
    const PATH: &'static str;
    /// The resource family its requests count against in PCC's rate limits (`agents`,
    /// `groups`, ...: docs/pcc-api-assumptions.md, "Rate limits").
    const FAMILY: &'static str;
    /// The keys of its items and of their count in `data`, aliases included
    /// (`docs/pcc-api-assumptions.md` says where each comes from).
    const SHAPE: Shape;
    /// The required parent filter of its list (`group`, `queue`, `tree`, `node`), if any.
    const PARENT: Option<&'static str>;
    /// The filter its list takes by natural key, if any (agents: `stringee_user_id`): a
    /// look-up reads only the matching objects ([`crate::Client::find`]).
    const FILTER: Option<&'static str> = None;
    /// The key of the new object's id in a create's answer; `None` for a resource whose
    /// objects have no id of their own.
    const ID_KEY: Option<&'static str>;
    /// How an update or a delete names one object.
    const WRITES: Writes;
    /// The body of its create and update.
    type Body: Serialize + Sync;
    /// What a create answers, read by [`Resource::created`].
    type Created: Made + Send;

    /// The server id of a listed object (for a membership, its agent's).
    fn id(&self) -> &str;

    /// The natural key of a listed object as PCC holds it (a name, the digits, a key's wire
    /// spelling; for a routing or a membership, the group's or agent's server id), if set.
    fn key(&self) -> Option<&str>;

    /// What a create answered (`r` 0): the id under [`Resource::ID_KEY`], and the answer.
    fn created(id: Option<String>, answer: &Value) -> Self::Created;

    /// A create refused with `r` and an id in the answer: the error that says so, when PCC
    /// uses that refusal to name an object it already holds (numbers), else `None` (then the
    /// refusal is an [`Error::Api`]).
    fn taken(_body: &Self::Body, _r: i64, _id: String) -> Option<Error> {
        None
    }
}

/// What a create answered, as far as the id of the object it made.
pub trait Made {
    /// The new object's server id; `None` for an object without one (a membership).
    fn id(&self) -> Option<&str>;
}

impl Made for String {
    fn id(&self) -> Option<&str> {
        Some(self)
    }
}

impl Made for () {
    fn id(&self) -> Option<&str> {
        None
    }
}

impl Made for wire::NodeCreated {
    fn id(&self) -> Option<&str> {
        Some(&self.id)
    }
}

/// The count key of most lists.
const TOTAL_COUNT: &[&str] = &["totalCount"];

const fn shape(lists: &'static [&'static str], counts: &'static [&'static str]) -> Shape {
    Shape { lists, counts }
}

/// A field that holds a natural key, set or not.
trait AsKey {
    fn as_key(&self) -> Option<&str>;
}

impl AsKey for String {
    fn as_key(&self) -> Option<&str> {
        Some(self)
    }
}

impl AsKey for Option<String> {
    fn as_key(&self) -> Option<&str> {
        self.as_deref()
    }
}

/// The descriptor of a resource whose create answers its new id (most of them): one line a
/// fact, in [`Resource`]'s terms.
macro_rules! resource {
    (
        $item:ty {
            host: $host:ident,
            path: $path:expr,
            family: $family:literal,
            lists: $lists:expr,
            counts: $counts:expr,
            parent: $parent:expr,
            $(filter: $filter:expr,)?
            id_key: $id_key:literal,
            writes: $writes:ident,
            body: $body:ty,
            id: $id:ident,
            key: $key:ident $(,)?
        }
    ) => {
        impl Resource for $item {
            const HOST: Host = Host::$host;
            const PATH: &'static str = $path;
            const FAMILY: &'static str = $family;
            const SHAPE: Shape = shape($lists, $counts);
            const PARENT: Option<&'static str> = $parent;
            $(const FILTER: Option<&'static str> = Some($filter);)?
            const ID_KEY: Option<&'static str> = Some($id_key);
            const WRITES: Writes = Writes::$writes;
            type Body = $body;
            type Created = String;
            fn id(&self) -> &str {
                &self.$id
            }
            fn key(&self) -> Option<&str> {
                self.$key.as_key()
            }
            fn created(id: Option<String>, _: &Value) -> String {
                id.unwrap_or_default()
            }
        }
    };
}

// The agent and group documentation counts with `totalAgents` / `totalGroups`, a real client
// reads `totalCount`; both are read, and must agree when both come.
resource!(wire::Agent {
    host: Pcc,
    path: "/v1/agent",
    family: "agents",
    lists: &["agents"],
    counts: &["totalCount", "totalAgents"],
    parent: None,
    filter: "stringee_user_id",
    id_key: "agentID",
    writes: ById,
    body: wire::AgentBody,
    id: id,
    key: stringee_user_id,
});

resource!(wire::Group {
    host: Pcc,
    path: "/v1/group",
    family: "groups",
    lists: &["groups"],
    counts: &["totalCount", "totalGroups"],
    parent: None,
    id_key: "groupID",
    writes: ById,
    body: wire::GroupBody,
    id: id,
    key: name,
});

resource!(wire::Queue {
    host: Pcc,
    path: "/v1/queue",
    family: "queues",
    lists: &["queues"],
    counts: TOTAL_COUNT,
    parent: None,
    id_key: "queueID",
    writes: ById,
    body: wire::QueueBody,
    id: id,
    key: name,
});

// A routing's natural key within its queue is its group's server id.
resource!(wire::Routing {
    host: Pcc,
    path: "/v1/routing-call-to-groups",
    family: "routings",
    lists: &["groupRoutings"],
    counts: TOTAL_COUNT,
    parent: Some("queue"),
    id_key: "groupRoutingID",
    writes: ById,
    body: wire::RoutingBody,
    id: id,
    key: group_id,
});

resource!(wire::Tree {
    host: Pcc,
    path: "/v1/ivrtree",
    family: "trees",
    lists: &["ivrTrees"],
    counts: TOTAL_COUNT,
    parent: None,
    id_key: "ivrTreeID",
    writes: ById,
    body: wire::TreeBody,
    id: id,
    key: tree_name,
});

resource!(wire::NodeKey {
    host: Pcc,
    path: "/v1/ivrkeypress",
    family: "keypresses",
    lists: &["ivrNodeKeys"],
    counts: TOTAL_COUNT,
    parent: Some("node"),
    id_key: "ivrNodeKeyID",
    writes: ById,
    body: wire::KeyBody,
    id: id,
    key: node_key,
});

// Greeting files are uploaded ([`crate::Client::upload_greeting`]), never written otherwise;
// their natural key is the `sha256=` in their `desc` ([`crate::live::parse_greeting_desc`]).
// The greeting list's only public type file spells it `greeting_files` counted by `total`.
resource!(wire::GreetingFile {
    host: CallApi,
    path: GREETING_PATH,
    family: "audio",
    lists: &["greetingFiles", "greeting_files"],
    counts: &["totalCount", "total"],
    parent: None,
    id_key: "filename",
    writes: Never,
    body: (),
    id: filename,
    key: desc,
});

/// A membership has no id: its agent's id stands for it within its group.
impl Resource for wire::GroupAgent {
    const HOST: Host = Host::Pcc;
    const PATH: &'static str = "/v1/manage-agents-in-group";
    const FAMILY: &'static str = "memberships";
    const SHAPE: Shape = shape(&["groupAgents"], TOTAL_COUNT);
    const PARENT: Option<&'static str> = Some("group");
    const ID_KEY: Option<&'static str> = None;
    const WRITES: Writes = Writes::ByBody;
    type Body = wire::Membership;
    type Created = ();
    fn id(&self) -> &str {
        &self.agent_id
    }
    fn key(&self) -> Option<&str> {
        Some(&self.agent_id)
    }
    fn created(_: Option<String>, _: &Value) {}
}

/// A node's create also says whether it became its tree's root.
impl Resource for wire::Node {
    const HOST: Host = Host::Pcc;
    const PATH: &'static str = "/v1/ivrnode";
    const FAMILY: &'static str = "nodes";
    const SHAPE: Shape = shape(&["ivrNodes"], TOTAL_COUNT);
    const PARENT: Option<&'static str> = Some("tree");
    const ID_KEY: Option<&'static str> = Some("ivrNodeID");
    const WRITES: Writes = Writes::ById;
    type Body = wire::NodeBody;
    type Created = wire::NodeCreated;
    fn id(&self) -> &str {
        &self.id
    }
    fn key(&self) -> Option<&str> {
        self.node_name.as_deref()
    }
    fn created(id: Option<String>, answer: &Value) -> wire::NodeCreated {
        let is_root = match answer.get("isRootNode") {
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_i64() == Some(1),
            Some(Value::String(s)) => s == "1" || s == "true",
            _ => false,
        };
        wire::NodeCreated {
            id: id.unwrap_or_default(),
            is_root,
        }
    }
}

/// A number PCC already holds is refused with `r` 2 and its id.
impl Resource for wire::Number {
    const HOST: Host = Host::Pcc;
    const PATH: &'static str = "/v1/number";
    const FAMILY: &'static str = "numbers";
    const SHAPE: Shape = shape(&["numbers"], TOTAL_COUNT);
    const PARENT: Option<&'static str> = None;
    const ID_KEY: Option<&'static str> = Some("numberID");
    const WRITES: Writes = Writes::ById;
    type Body = wire::NumberBody;
    type Created = String;
    fn id(&self) -> &str {
        &self.id
    }
    fn key(&self) -> Option<&str> {
        self.number.as_deref()
    }
    fn created(id: Option<String>, _: &Value) -> String {
        id.unwrap_or_default()
    }
    fn taken(body: &wire::NumberBody, r: i64, id: String) -> Option<Error> {
        (r == 2).then(|| Error::NumberExists {
            number: body.number.clone().unwrap_or_default(),
            id,
        })
    }
}

/// A blacklist entry is keyed by its digits: PCC stores them after a `+`, which the key
/// leaves out.
impl Resource for wire::BlacklistNumber {
    const HOST: Host = Host::Pcc;
    const PATH: &'static str = "/v1/blacklistnumber";
    const FAMILY: &'static str = "blacklist";
    const SHAPE: Shape = shape(&["blacklistNumbers"], TOTAL_COUNT);
    const PARENT: Option<&'static str> = None;
    const ID_KEY: Option<&'static str> = Some("blacklistNumberID");
    const WRITES: Writes = Writes::ById;
    type Body = wire::BlacklistBody;
    type Created = String;
    fn id(&self) -> &str {
        &self.id
    }
    fn key(&self) -> Option<&str> {
        self.number
            .as_deref()
            .map(|n| n.strip_prefix('+').unwrap_or(n))
    }
    fn created(id: Option<String>, _: &Value) -> String {
        id.unwrap_or_default()
    }
}
