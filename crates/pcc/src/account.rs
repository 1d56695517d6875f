//! The account API of the Call API host (`api.stringee.com`), as far as the PCC wiring needs
//! it: the project's answer and event URLs and every number's, which must be PCC's own for
//! calls to reach PCC ([`PCC_PROJECT_ANSWER_URL`], ...). It is signed with the account key
//! (`iss` = the account SID, `AC…`), not the project's API key, so it has a client of its
//! own: an [`Account`] is a [`Client`] whose two base URLs are both the Call API's, built from
//! the account credentials, and goes through the same transport (tokens, timeouts, paging,
//! bounds, retries, pacing) by describing its two lists as [`Resource`]s.
//! `docs/pcc-api-assumptions.md`, "The account API", has the shapes and where each comes from.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Credentials;
use crate::answer::Shape;
use crate::client::{Client, Config};
use crate::error::Error;
use crate::rest::{Host, Resource, Writes};
use crate::wire::de;

pub use spec::model::{
    PCC_NUMBER_ANSWER_URL, PCC_NUMBER_EVENT_URL, PCC_PROJECT_ANSWER_URL, PCC_PROJECT_EVENT_URL,
};

/// An item of `GET /v1/project` on the Call API host (`data.projects`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Project {
    /// The project's id (an integer; read as text like every id).
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// Where Stringee asks what to do with a call made from an app.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub answer_url: Option<String>,
    /// The project's event URL (the Call API names it `callback_url`).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub callback_url: Option<String>,
}

/// The body of `PUT /v1/project/{id}`: the two URLs, nothing else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProjectBody {
    /// The answer URL.
    pub answer_url: String,
    /// The event URL.
    pub callback_url: String,
}

/// An item of `GET /v1/number` on the Call API host (`data.numbers`): a number the account
/// owns.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Number {
    /// The account number's id (an integer, not PCC's `NU_…` id).
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// The digits (E.164 without `+`; a leading `+` is dropped by [`Number::digits`]).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub phone_number: Option<String>,
    /// The project it is assigned to.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub project_id: Option<String>,
    /// Where Stringee asks what to do with a call to the number.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub answer_url: Option<String>,
    /// Where Stringee sends the number's call events.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub event_url: Option<String>,
}

impl Number {
    /// The digits as the spec writes them: without a leading `+`.
    pub fn digits(&self) -> Option<&str> {
        self.phone_number
            .as_deref()
            .map(|n| n.trim().trim_start_matches('+'))
            .filter(|n| !n.is_empty())
    }
}

/// The body of `PUT /v1/number/{id}`: the two URLs. `project_id` is never sent: switchboard
/// does not move numbers between projects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NumberBody {
    /// The answer URL.
    pub answer_url: String,
    /// The event URL.
    pub event_url: String,
}

impl Resource for Project {
    const HOST: Host = Host::CallApi;
    const PATH: &'static str = "/v1/project";
    const FAMILY: &'static str = "projects";
    const SHAPE: Shape = Shape {
        lists: &["projects"],
        counts: &["totalCount"],
    };
    const PARENT: Option<&'static str> = None;
    const ID_KEY: Option<&'static str> = Some("id");
    const WRITES: Writes = Writes::ById;
    type Body = ProjectBody;
    type Created = String;
    fn id(&self) -> &str {
        &self.id
    }
    fn key(&self) -> Option<&str> {
        Some(&self.id)
    }
    fn created(id: Option<String>, _: &Value) -> String {
        id.unwrap_or_default()
    }
}

impl Resource for Number {
    const HOST: Host = Host::CallApi;
    const PATH: &'static str = "/v1/number";
    const FAMILY: &'static str = "account-numbers";
    const SHAPE: Shape = Shape {
        lists: &["numbers"],
        counts: &["totalCount"],
    };
    // The documented filter: the numbers of one project.
    const PARENT: Option<&'static str> = Some("project_id");
    const ID_KEY: Option<&'static str> = Some("id");
    const WRITES: Writes = Writes::ById;
    type Body = NumberBody;
    type Created = String;
    fn id(&self) -> &str {
        &self.id
    }
    fn key(&self) -> Option<&str> {
        self.digits()
    }
    fn created(id: Option<String>, _: &Value) -> String {
        id.unwrap_or_default()
    }
}

/// A refused key, said of the account key rather than of the API key.
fn account_auth(err: Error) -> Error {
    match err {
        Error::Auth { message } => Error::AccountAuth { message },
        other => other,
    }
}

/// A project's or a number's two URLs as the account holds them (`None`: not set).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Urls {
    /// The answer URL.
    pub answer_url: Option<String>,
    /// The event URL (a project's `callback_url`).
    pub event_url: Option<String>,
}

/// What the account holds of one project's wiring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wiring {
    /// The project's id.
    pub project_id: String,
    /// The project's URLs.
    pub project: Urls,
    /// The project's numbers, by digits: the account number's id and its URLs.
    pub numbers: BTreeMap<String, (String, Urls)>,
}

/// The account API's client.
#[derive(Clone, Debug)]
pub struct Account {
    client: Client,
}

impl Account {
    /// A client of the account API at `call_api_url`, signed with the account key, with the
    /// PCC client's timeouts and bounds.
    pub fn new(
        call_api_url: &str,
        credentials: Credentials,
        like: &Config,
    ) -> Result<Account, Error> {
        let base = call_api_url.trim_end_matches('/').to_owned();
        let config = Config {
            pcc_url: base.clone(),
            call_api_url: base,
            credentials,
            timeout: like.timeout,
            connect_timeout: like.connect_timeout,
            retry: like.retry,
            limits: like.limits,
        };
        Ok(Account {
            client: Client::new(config)?,
        })
    }

    /// The client underneath (its request counts, its pacing).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Reads project `project_id`'s URLs and its numbers'. A project the account does not
    /// list is an [`Error::Config`] naming it (the account key is another account's, or PCC
    /// named a project that is not the key's).
    pub async fn read(&self, project_id: &str) -> Result<Wiring, Error> {
        let projects: Vec<Project> = self.client.list_all(None).await.map_err(account_auth)?;
        let project = projects
            .into_iter()
            .find(|p| p.id == project_id)
            .ok_or_else(|| {
                Error::Config(format!(
                    "the account API does not list project {project_id}, the project PCC reports \
                     for the API key: either the account key (STRINGEE_ACCOUNT_SID) is another \
                     account's, or PCC (whatever answers at the endpoint) names a project that \
                     is not the key's; `project_id:` in the spec pins the one expected"
                ))
            })?;
        let numbers: Vec<Number> = self
            .client
            .list_all(Some(project_id))
            .await
            .map_err(account_auth)?;
        let mut by_digits = BTreeMap::new();
        let unexpected = |cause: String| Error::Decode {
            method: "GET".to_owned(),
            path: <Number as Resource>::PATH.to_owned(),
            cause,
        };
        for number in numbers {
            // The filter is checked rather than trusted: a number of another project is not
            // this project's to rewire. An item that does not say its project cannot be
            // checked, and is not taken as this project's (an answer whose field is named
            // otherwise would make every number of the account look like one).
            match number.project_id.as_deref() {
                Some(p) if p == project_id => {}
                Some(_) => continue,
                None => {
                    return Err(unexpected(format!(
                        "account number {} has no `project_id`, so whose it is cannot be checked",
                        number.id
                    )));
                }
            }
            let Some(digits) = number.digits().map(str::to_owned) else {
                continue;
            };
            let urls = Urls {
                answer_url: number.answer_url,
                event_url: number.event_url,
            };
            if let Some((other, _)) = by_digits.insert(digits.clone(), (number.id.clone(), urls)) {
                // Two account numbers with the same digits: which one PCC's number is cannot
                // be told, and a correction sent to the other would miss it.
                return Err(unexpected(format!(
                    "account numbers {other} and {} both have the digits {digits}",
                    number.id
                )));
            }
        }
        Ok(Wiring {
            project_id: project.id,
            project: Urls {
                answer_url: project.answer_url,
                event_url: project.callback_url,
            },
            numbers: by_digits,
        })
    }

    /// `PUT /v1/project/{id}` with PCC's own URLs.
    pub async fn wire_project(&self, project_id: &str) -> Result<(), Error> {
        self.client
            .update::<Project>(
                project_id,
                &ProjectBody {
                    answer_url: PCC_PROJECT_ANSWER_URL.to_owned(),
                    callback_url: PCC_PROJECT_EVENT_URL.to_owned(),
                },
            )
            .await
            .map_err(account_auth)
    }

    /// `PUT /v1/number/{id}` (the account number's id) with PCC's own URLs.
    pub async fn wire_number(&self, id: &str) -> Result<(), Error> {
        self.client
            .update::<Number>(
                id,
                &NumberBody {
                    answer_url: PCC_NUMBER_ANSWER_URL.to_owned(),
                    event_url: PCC_NUMBER_EVENT_URL.to_owned(),
                },
            )
            .await
            .map_err(account_auth)
    }
}
