//! The endpoint operations: the generic create, update, delete and look-up over each
//! resource's descriptor ([`crate::rest`]), the call settings, and the greeting upload.

use reqwest::Method;
use serde_json::Value;

use super::Client;
use super::outcome::Answered;
use super::paging::{DEFAULT_CONCURRENCY, parent_filter};
use super::transport::{Payload, percent_encode};
use crate::error::Error;
use crate::rest::{GREETING_PATH, Host, Resource, SETTINGS_FAMILY, SETTINGS_PATH, Writes};
use crate::wire;

impl Client {
    /// `POST {path}`: creates an object of `R` and answers what its create answers (the new
    /// id, for most). A refusal PCC uses to name an object it already holds fails with the
    /// error [`Resource::taken`] gives ([`Error::NumberExists`]); a success whose answer has
    /// no id is an [`Error::Decode`] naming the keys it has.
    pub async fn create<R: Resource>(&self, body: &R::Body) -> Result<R::Created, Error> {
        let path = R::PATH;
        let answered = self
            .write(Method::POST, R::FAMILY, path, Some(body), true)
            .await?;
        let value = answered.json();
        let r = answered.envelope.r().unwrap_or(0);
        let id = R::ID_KEY.and_then(|key| string_field(&value, key));
        match (r, id) {
            (0, None) if R::ID_KEY.is_some() => Err(no_id(
                "POST",
                path,
                R::ID_KEY.unwrap_or_default(),
                &answered,
            )),
            (0, id) => Ok(R::created(id, &value)),
            (r, id) => Err(id
                .and_then(|id| R::taken(body, r, id))
                .unwrap_or_else(|| Error::Api {
                    method: "POST".to_owned(),
                    path: path.to_owned(),
                    r,
                    message: answered.envelope.message(),
                })),
        }
    }

    /// `PUT {path}/{id}`: updates the object `id` of `R` with the fields `body` sets.
    pub async fn update<R: Resource>(&self, id: &str, body: &R::Body) -> Result<(), Error> {
        let path = by_id::<R>("PUT", "update", id)?;
        self.write(Method::PUT, R::FAMILY, &path, Some(body), false)
            .await
            .map(drop)
    }

    /// `DELETE {path}/{id}`: deletes the object `id` of `R`.
    pub async fn delete<R: Resource>(&self, id: &str) -> Result<(), Error> {
        let path = by_id::<R>("DELETE", "delete", id)?;
        self.write::<()>(Method::DELETE, R::FAMILY, &path, None, false)
            .await
            .map(drop)
    }

    /// `DELETE {path}` with `body`: deletes the object of `R` that `body` made, for a resource
    /// whose objects have no id ([`Writes::ByBody`]: memberships).
    pub async fn delete_made<R: Resource>(&self, body: &R::Body) -> Result<(), Error> {
        if R::WRITES != Writes::ByBody {
            return Err(Error::Config(format!(
                "{} is deleted by id, not by body",
                R::PATH
            )));
        }
        self.write(Method::DELETE, R::FAMILY, R::PATH, Some(body), false)
            .await
            .map(drop)
    }

    /// The objects of `R` whose natural key ([`Resource::key`]) is `key` (normally none or
    /// one), oldest first: the look-up after a write whose answer was lost. `parent` as for
    /// [`Client::list_all`]; a resource with a natural-key filter ([`Resource::FILTER`]) lists
    /// only the matching objects. Always from a list read sent after this call; look-ups of a
    /// list PCC reads whole (no filter) share one such read with those waiting at the same
    /// time (`shared.rs`).
    pub async fn find<R: Resource + Clone + Sync>(
        &self,
        parent: Option<&str>,
        key: &str,
    ) -> Result<Vec<R>, Error> {
        let filter = match (R::FILTER, parent) {
            (Some(param), None) => Some((param, key.to_owned())),
            _ => parent_filter::<R>(parent)?,
        };
        if R::FILTER.is_none()
            && let Some(items) = self.shared_list::<R>(filter.clone()).await
        {
            return Ok(items?
                .iter()
                .filter(|item| item.key() == Some(key))
                .cloned()
                .collect());
        }
        let items: Vec<R> = self
            .list_all_limited(filter, &self.reading(DEFAULT_CONCURRENCY))
            .await?;
        // A filter may be documented by third parties only; check rather than trust it.
        Ok(items
            .into_iter()
            .filter(|item| item.key() == Some(key))
            .collect())
    }

    /// `GET /v1/callsettings`.
    pub async fn get_call_settings(&self) -> Result<wire::CallSettings, Error> {
        let path = SETTINGS_PATH;
        let value = self
            .small(
                Method::GET,
                (Host::Pcc, SETTINGS_FAMILY),
                path,
                &[],
                Payload::Empty,
                false,
            )
            .await?
            .json();
        let settings = value.get("callSetting").cloned().unwrap_or(Value::Null);
        if settings.is_null() {
            return Ok(wire::CallSettings::default());
        }
        serde_json::from_value(settings).map_err(|e| Error::Decode {
            method: "GET".to_owned(),
            path: path.to_owned(),
            cause: format!("callSetting: {e}"),
        })
    }

    /// `PUT /v1/callsettings`.
    pub async fn put_call_settings(&self, body: &wire::CallSettingsBody) -> Result<(), Error> {
        self.write(
            Method::PUT,
            SETTINGS_FAMILY,
            SETTINGS_PATH,
            Some(body),
            false,
        )
        .await
        .map(drop)
    }

    /// `POST /v1/greetingfile?uploadType=simple&desc=…` with the raw bytes (Call API host).
    pub async fn upload_greeting(
        &self,
        desc: &str,
        bytes: Vec<u8>,
    ) -> Result<wire::Uploaded, Error> {
        let path = GREETING_PATH;
        let answered = self
            .small(
                Method::POST,
                (Host::CallApi, wire::GreetingFile::FAMILY),
                path,
                &[("uploadType", "simple"), ("desc", desc)],
                Payload::Bytes(bytes),
                false,
            )
            .await?;
        serde_json::from_slice(&answered.body)
            .map_err(|_| no_id("POST", path, "filename", &answered))
    }
}

/// `{path}/{id}` of a resource written by id ([`Writes::ById`]), for a request `method`
/// (`what` it does, in the error for a resource not written by id).
fn by_id<R: Resource>(method: &str, what: &str, id: &str) -> Result<String, Error> {
    match R::WRITES {
        Writes::ById => Ok(format!("{}/{}", R::PATH, id_segment(method, R::PATH, id)?)),
        Writes::ByBody | Writes::Never => {
            Err(Error::Config(format!("{} has no {what} by id", R::PATH)))
        }
    }
}

/// An id PCC gave, as the last segment of `path` for a request `method`: percent-encoded
/// (ids are opaque), or an error, before anything is sent, for an id that no encoding keeps
/// one segment. A URL resolves `.` and `..` (and `%2E%2E`) as dot segments, so that
/// `DELETE /v1/group/..` would be `DELETE /v1/`; an empty id names the collection.
fn id_segment(method: &str, path: &str, id: &str) -> Result<String, Error> {
    if matches!(id, "" | "." | "..") {
        return Err(Error::Decode {
            method: method.to_owned(),
            path: format!("{path}/{id}"),
            cause: format!(
                "the server id `{id}` PCC gave this object cannot name it in a URL path; \
                 nothing was sent"
            ),
        });
    }
    Ok(percent_encode(id))
}

/// A create that PCC says succeeded (`r` 0) but whose answer has no id under `id_key`: the
/// object was most likely made, but switchboard cannot tell which it is. The step fails,
/// loudly, naming the keys the answer has; the next plan reads the object back by its
/// natural key, so nothing is made twice.
fn no_id(method: &str, path: &str, id_key: &str, answered: &Answered) -> Error {
    Error::Decode {
        method: method.to_owned(),
        path: path.to_owned(),
        cause: format!(
            "PCC says it was done (r=0), but the answer has no usable `{id_key}` (it has {}): \
             the object was probably made; run `switchboard plan` to see it",
            answered.envelope.keys
        ),
    }
}

fn string_field(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
