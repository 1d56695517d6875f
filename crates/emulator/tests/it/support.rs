//! Test helpers: token minting, an emulator with a client, and id redaction for snapshots.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use emulator::{ApiKey, Config, Emulator};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

pub const SID: &str = "SKtestkey";
pub const SECRET: &str = "test-secret-do-not-print";
/// The account key (Call API account endpoints): `iss` is the account SID.
pub const ACCOUNT_SID: &str = "ACtestaccount";
pub const ACCOUNT_SECRET: &str = "account-secret-do-not-print";

pub fn key() -> ApiKey {
    ApiKey {
        sid: SID.to_owned(),
        secret: SECRET.to_owned(),
    }
}

pub fn account_key() -> ApiKey {
    ApiKey {
        sid: ACCOUNT_SID.to_owned(),
        secret: ACCOUNT_SECRET.to_owned(),
    }
}

/// The configuration every `Pcc::start` uses: the project key and the account key.
pub fn config() -> Config {
    Config {
        account_keys: vec![account_key()],
        ..Config::new(vec![key()])
    }
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A JWT with this header and these claims, signed HS256 with `secret`.
pub fn mint(secret: &str, header: &Value, claims: &Value) -> String {
    let head = URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).unwrap());
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{head}.{body}").as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{head}.{body}.{sig}")
}

pub fn good_header() -> Value {
    json!({ "typ": "JWT", "alg": "HS256", "cty": "stringee-api;v=1" })
}

pub fn good_claims() -> Value {
    json!({
        "jti": format!("{SID}-{}", now()),
        "iss": SID,
        "exp": now() + 3600,
        "rest_api": true,
    })
}

/// A token the emulator accepts.
pub fn token() -> String {
    mint(SECRET, &good_header(), &good_claims())
}

/// A token signed with the account key, as the account API wants.
pub fn account_token() -> String {
    let claims = json!({
        "jti": format!("{ACCOUNT_SID}-{}", now()),
        "iss": ACCOUNT_SID,
        "exp": now() + 3600,
        "rest_api": true,
    });
    mint(ACCOUNT_SECRET, &good_header(), &claims)
}

pub fn http() -> reqwest::Client {
    // reqwest is built without a default TLS provider; plain HTTP still needs one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// An emulator on 127.0.0.1:0 and a client holding a good token.
pub struct Pcc {
    pub emu: Emulator,
    pub http: reqwest::Client,
    pub token: String,
}

impl Pcc {
    pub async fn start() -> Pcc {
        Pcc::with(config()).await
    }

    pub async fn with(config: Config) -> Pcc {
        let emu = emulator::spawn("127.0.0.1:0".parse().unwrap(), config)
            .await
            .unwrap();
        Pcc {
            emu,
            http: http(),
            token: token(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emu.url())
    }

    /// `path` on the Call API listener.
    pub fn call_api_url(&self, path: &str) -> String {
        format!("{}{path}", self.emu.call_api_url())
    }

    /// Any call; answers the HTTP status and the JSON body (`Value::Null` when not JSON).
    pub async fn call(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        self.send(method, &self.url(path), &self.token, body).await
    }

    /// A call to the Call API listener signed with the account key.
    pub async fn account(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        self.send(method, &self.call_api_url(path), &account_token(), body)
            .await
    }

    /// A call to `url` signed with `token`; answers the status and the JSON body.
    pub async fn send(
        &self,
        method: &str,
        url: &str,
        token: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .http
            .request(method, url)
            .header("X-STRINGEE-AUTH", token);
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// A call that must answer HTTP 200; answers the body.
    async fn ok(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let (status, value) = self.call(method, path, body).await;
        assert_eq!(
            status, 200,
            "{method} {path} answered HTTP {status}: {value}"
        );
        value
    }

    pub async fn get(&self, path: &str) -> Value {
        self.ok("GET", path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        self.ok("POST", path, Some(&body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Value {
        self.ok("PUT", path, Some(&body)).await
    }

    pub async fn delete(&self, path: &str) -> Value {
        self.ok("DELETE", path, None).await
    }

    pub async fn delete_with(&self, path: &str, body: Value) -> Value {
        self.ok("DELETE", path, Some(&body)).await
    }

    /// Creates an object that must be accepted; answers its id (`id_key` of the answer).
    pub async fn create(&self, path: &str, body: Value, id_key: &str) -> String {
        let answer = self.post(path, body).await;
        assert_eq!(answer["r"], 0, "POST {path}: {answer}");
        answer[id_key]
            .as_str()
            .unwrap_or_else(|| panic!("POST {path}: no {id_key} in {answer}"))
            .to_owned()
    }

    pub async fn agent(&self, user: &str) -> String {
        self.create(
            "/v1/agent",
            json!({ "name": format!("Agent {user}"), "stringee_user_id": user }),
            "agentID",
        )
        .await
    }

    pub async fn group(&self, name: &str) -> String {
        self.create("/v1/group", json!({ "name": name }), "groupID")
            .await
    }

    pub async fn queue(&self, name: &str) -> String {
        self.create("/v1/queue", json!({ "name": name }), "queueID")
            .await
    }

    pub async fn tree(&self, name: &str) -> String {
        self.create("/v1/ivrtree", json!({ "tree_name": name }), "ivrTreeID")
            .await
    }

    pub async fn node(&self, tree: &str, name: &str) -> String {
        self.create(
            "/v1/ivrnode",
            json!({
                "tree": tree,
                "node_name": name,
                "node_play_mode": "talk",
                "node_play_content": format!("This is {name}."),
            }),
            "ivrNodeID",
        )
        .await
    }

    pub async fn state(&self) -> Value {
        let resp = self
            .http
            .get(self.url("/_emulator/state"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }
}

/// Asserts a refusal: HTTP 200, this `r`, and a message containing every `needles`.
pub fn assert_refused(answer: &Value, r: i64, needles: &[&str]) {
    assert_eq!(answer["r"], r, "expected r:{r}, got {answer}");
    let message = answer["message"].as_str().unwrap_or_default();
    for needle in needles {
        assert!(
            message.contains(needle),
            "message `{message}` does not mention `{needle}`"
        );
    }
}

/// Replaces every server-made id (and file name, and timestamp) with a stable placeholder
/// numbered by first appearance, so that snapshots show which ids are equal.
pub fn redact(value: &Value) -> Value {
    fn is_id(s: &str) -> bool {
        let tail = s.rsplit('_').next().unwrap_or(s);
        let prefix_ok = s.len() > 16
            && s[..s.len() - 16]
                .trim_end_matches('_')
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_');
        tail.len() == 16
            && tail
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && (prefix_ok || s.len() == 16)
    }
    fn is_file(s: &str) -> bool {
        s.ends_with(".mp3") || s.ends_with(".wav")
    }
    fn walk(v: &Value, seen: &mut BTreeMap<String, String>) -> Value {
        match v {
            Value::String(s) if is_id(s) || is_file(s) => {
                let n = seen.len() + 1;
                let label = seen.entry(s.clone()).or_insert_with(|| {
                    let kind = if is_file(s) {
                        "FILE".to_owned()
                    } else if s.len() == 16 {
                        "SID".to_owned()
                    } else {
                        s[..s.len() - 17].to_owned()
                    };
                    format!("<{kind}#{n}>")
                });
                Value::String(label.clone())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let v = if k == "created" {
                            Value::String("<unix ms>".into())
                        } else {
                            walk(v, seen)
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(|i| walk(i, seen)).collect()),
            other => other.clone(),
        }
    }
    walk(value, &mut BTreeMap::new())
}
