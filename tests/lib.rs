//! Helpers shared by the end-to-end tests: the real `switchboard` binary, run in a temporary
//! working directory, against a real emulator on `127.0.0.1:0`.
//!
//! ```no_run
//! use e2e::{Pcc, Workdir};
//!
//! let pcc = Pcc::start();                      // in-process emulator, empty project
//! let work = Workdir::new();                   // temporary working directory
//! let spec = work.copy_example("hotline");     // examples/hotline, copied into it
//! let out = work
//!     .switchboard(["plan", "hotline", "--detailed-exitcode"])
//!     .against(&pcc)                           // SWITCHBOARD_ENDPOINT + the test key
//!     .run();                                  // waits; checks no output holds the secret
//! out.assert_code(2);
//! assert_eq!(pcc.stats().writes, 0);
//! ```
//!
//! - [`binary`]: the built `switchboard` (`target/<profile>/switchboard`). `cargo test
//!   --workspace` builds it (the switchboard package has integration tests); with `-p`, name
//!   both packages: `cargo test -p switchboard -p e2e`. `cargo test -p e2e` alone does not
//!   rebuild it: then a binary older than its sources fails every test that runs it, naming
//!   a changed file and the command ([`fresh`]), rather than testing old code.
//! - [`Pcc`]: an emulator the test drives over plain HTTP, with tokens signed here (not by
//!   switchboard's client), plus its request counts and state.
//! - [`Workdir`] and [`Cmd`]: a command line, its environment (nothing inherited that could
//!   point it elsewhere) and its [`Output`].
//! - [`assert_no_secret`] / [`assert_no_secret_in_dir`]: every [`Cmd::run`] already checks
//!   stdout, stderr and every file in the working directory for [`SECRET`], and for the
//!   values [`Cmd::forbid`] adds (credentials a spec or a live project holds); and that
//!   stdout and stderr are safe for a terminal or a CI log ([`assert_terminal_safe`]).
//!
//! Tests never sleep: the emulator is listening when [`Pcc::start`] returns, and a command has
//! finished when [`Cmd::run`] returns.
//!
//! To add tests for a command, add `tests/it/<command>.rs` and a `mod <command>;` line to
//! `tests/it/main.rs`. Faults: `Pcc::with(Config { faults, ..Config::new(vec![e2e::key()]) })`
//! or [`Pcc::set_faults`]. What the local sandbox holds after a command: [`Pcc::open`] on
//! [`Workdir::sandbox_state`].

#![allow(clippy::print_stdout, clippy::print_stderr)]

pub mod corpus;
pub mod fresh;
pub mod fuzzing;
pub mod hostile_pcc;
pub mod soak;

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use emulator::{ApiKey, Config, Emulator, Faults, Stats};
use hmac::{Hmac, KeyInit as _, Mac as _};
use serde_json::{Value, json};
use sha2::Sha256;

/// The API key SID the test emulators accept.
pub const SID: &str = "SKe2etestkey0000000000000000xyz";
/// Its secret. No output, file or plan a test produces may contain it.
pub const SECRET: &str = "e2e-secret-3f9a7c1d-never-print";
/// What switchboard shows of [`SID`].
pub const SID_HINT: &str = "SK…xyz";
/// The account SID the test emulators of [`Pcc::with_account`] accept (the account key, which
/// the PCC wiring is read and set with).
pub const ACCOUNT_SID: &str = "ACe2etestaccount00000000000abc";
/// Its secret. No output, file or plan a test produces may contain it, like [`SECRET`].
pub const ACCOUNT_SECRET: &str = "e2e-account-secret-8c21d0e7-never-print";

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the repository")
        .to_path_buf()
}

/// `examples/<name>` in the repository.
pub fn example(name: &str) -> PathBuf {
    repo().join("examples").join(name)
}

/// The built `switchboard` binary, next to this test binary's `deps/` directory. Panics, with
/// the command to run, when it is not built or is older than its sources ([`fresh`]).
pub fn binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test binary knows where it is");
        fresh::check(&exe, &repo()).unwrap_or_else(|why| panic!("{why}"))
    })
}

// ---------------------------------------------------------------------------------------------
// The emulator.
// ---------------------------------------------------------------------------------------------

/// An emulator in this process, on `127.0.0.1:0`, accepting [`SID`]/[`SECRET`]. Synchronous
/// to use: it runs on a runtime of its own, so tests are plain `#[test]` functions that can
/// run the binary while it serves.
pub struct Pcc {
    emulator: Option<Emulator>,
    http: reqwest::Client,
    token: String,
    // Dropped last: the emulator and the HTTP client run on it.
    runtime: tokio::runtime::Runtime,
}

impl fmt::Debug for Pcc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pcc").field("url", &self.url()).finish()
    }
}

/// The test API key.
pub fn key() -> ApiKey {
    ApiKey {
        sid: SID.to_owned(),
        secret: SECRET.to_owned(),
    }
}

/// The test account key ([`ACCOUNT_SID`], [`ACCOUNT_SECRET`]).
pub fn account_key() -> ApiKey {
    ApiKey {
        sid: ACCOUNT_SID.to_owned(),
        secret: ACCOUNT_SECRET.to_owned(),
    }
}

impl Pcc {
    /// An empty project in memory.
    pub fn start() -> Pcc {
        Pcc::with(Config::new(vec![key()]))
    }

    /// The project in the SQLite file `state` (the local sandbox's is
    /// `<workdir>/.switchboard/sandbox.db`). Never while a command uses the same file.
    pub fn open(state: &Path) -> Pcc {
        Pcc::with(Config {
            state: Some(state.to_path_buf()),
            ..Config::new(vec![key()])
        })
    }

    /// An empty project in memory whose account API accepts [`account_key`], its project
    /// and numbers wired as `wiring` says (numbers get that wiring when PCC adds them).
    pub fn with_account(wiring: emulator::Wiring) -> Pcc {
        Pcc::with(Config {
            account_keys: vec![account_key()],
            wiring,
            ..Config::new(vec![key()])
        })
    }

    /// The Call API's base URL (the account API), `http://127.0.0.1:PORT`.
    pub fn call_api_url(&self) -> String {
        self.emulator().call_api_url()
    }

    /// The account as the emulator holds it: `{project: {...}, numbers: [...]}`
    /// (`GET /_emulator/wiring`).
    pub fn wiring(&self) -> Value {
        self.emulator().wiring()
    }

    /// Changes the account's URLs by hand, as an out-of-band edit would.
    pub fn set_wiring(&self, change: &emulator::WiringChange) {
        self.emulator()
            .set_wiring(change)
            .expect("the emulator takes the wiring change");
    }

    /// An emulator as `config` says (add [`key`] to its keys to use the REST helpers).
    pub fn with(config: Config) -> Pcc {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime for the emulator");
        let emulator = runtime
            .block_on(emulator::spawn("127.0.0.1:0".parse().unwrap(), config))
            .expect("the emulator starts");
        // reqwest is built without a TLS provider; even plain HTTP wants one installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("an HTTP client");
        Pcc {
            emulator: Some(emulator),
            http,
            token: token(SID, SECRET),
            runtime,
        }
    }

    fn emulator(&self) -> &Emulator {
        self.emulator.as_ref().expect("running until dropped")
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.emulator().url()
    }

    /// Requests received on `/v1` since start or [`Pcc::reset_stats`].
    pub fn stats(&self) -> Stats {
        self.emulator().stats()
    }

    /// Zeroes the request counts.
    pub fn reset_stats(&self) {
        self.emulator().reset_stats();
    }

    /// Every object, kind by kind (`GET /_emulator/state`).
    pub fn state(&self) -> Value {
        self.emulator().state()
    }

    /// Replaces the injected faults.
    pub fn set_faults(&self, faults: Faults) {
        self.emulator().set_faults(faults);
    }

    /// Returns once every late write injected so far ([`Faults::late_rate`]) has been carried
    /// out, so that the state no longer changes on its own.
    pub fn wait_late_writes(&self) {
        self.runtime.block_on(self.emulator().late_writes_landed());
    }

    /// Any request with a valid token: (HTTP status, JSON body or `Value::Null`).
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url()))
            .header("X-STRINGEE-AUTH", &self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        self.send(request)
    }

    fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        self.runtime.block_on(async {
            let response = request.send().await.expect("the emulator answers");
            let status = response.status().as_u16();
            let bytes = response.bytes().await.expect("a whole answer");
            (
                status,
                serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            )
        })
    }

    /// A request that must succeed (HTTP 200, `r` 0); answers the body.
    pub fn ok(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let (status, answer) = self.call(method, path, body);
        assert!(
            status == 200 && answer["r"] == 0,
            "{method} {path} answered HTTP {status}: {answer}"
        );
        answer
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> Value {
        self.ok("GET", path, None)
    }

    /// `PUT path` with `body`.
    pub fn put(&self, path: &str, body: Value) -> Value {
        self.ok("PUT", path, Some(&body))
    }

    /// `DELETE path`.
    pub fn delete(&self, path: &str) -> Value {
        self.ok("DELETE", path, None)
    }

    /// `POST path` with `body`; answers the new object's id (the answer's `id_key`, such as
    /// `agentID`).
    pub fn create(&self, path: &str, body: Value, id_key: &str) -> String {
        let answer = self.ok("POST", path, Some(&body));
        answer[id_key]
            .as_str()
            .unwrap_or_else(|| panic!("POST {path}: no `{id_key}` in {answer}"))
            .to_owned()
    }

    /// Creates an agent; answers its id.
    pub fn agent(&self, user: &str, name: &str) -> String {
        self.create(
            "/v1/agent",
            json!({ "stringee_user_id": user, "name": name }),
            "agentID",
        )
    }

    /// Creates a group; answers its id.
    pub fn group(&self, name: &str) -> String {
        self.create("/v1/group", json!({ "name": name }), "groupID")
    }

    /// Puts an agent in a group.
    pub fn member(&self, group_id: &str, agent_id: &str) {
        self.ok(
            "POST",
            "/v1/manage-agents-in-group",
            Some(&json!({ "group_id": group_id, "agent_id": agent_id })),
        );
    }

    /// Creates a queue with `fields` besides its name; answers its id.
    pub fn queue(&self, name: &str, fields: Value) -> String {
        let mut body = fields;
        body["name"] = json!(name);
        self.create("/v1/queue", body, "queueID")
    }

    /// Routes a queue's calls to a group; answers the routing's id.
    pub fn routing(&self, queue_id: &str, group_id: &str, primary: bool) -> String {
        self.create(
            "/v1/routing-call-to-groups",
            json!({ "queue_id": queue_id, "group_id": group_id, "primary_group": u8::from(primary) }),
            "groupRoutingID",
        )
    }

    /// Creates an IVR tree; answers its id.
    pub fn tree(&self, name: &str) -> String {
        self.create("/v1/ivrtree", json!({ "tree_name": name }), "ivrTreeID")
    }

    /// Creates a text-to-speech node with `fields` besides its tree, name and prompt; the
    /// first node of a tree is its root. Answers its id.
    pub fn say_node(&self, tree_id: &str, name: &str, text: &str, fields: Value) -> String {
        let mut body = fields;
        body["tree"] = json!(tree_id);
        body["node_name"] = json!(name);
        body["node_play_mode"] = json!("talk");
        body["node_play_content"] = json!(text);
        self.create("/v1/ivrnode", body, "ivrNodeID")
    }

    /// Creates a key press on a node: `action` 2 queue, 3 forward, 4 goto, 6 hang up, with
    /// the fields that action needs. Answers its id.
    pub fn key_press(&self, node_id: &str, key: &str, action: u8, fields: Value) -> String {
        let mut body = fields;
        body["node"] = json!(node_id);
        body["node_key"] = json!(key);
        body["action"] = json!(action);
        self.create("/v1/ivrkeypress", body, "ivrNodeKeyID")
    }

    /// Creates a number; `fields` holds the route (`enable_ivr` + `ivr_menu`, or `queue_id`).
    pub fn number(&self, digits: &str, fields: Value) -> String {
        let mut body = fields;
        body["number"] = json!(digits);
        if body.get("allow_outbound_calls").is_none() {
            body["allow_outbound_calls"] = json!(false);
        }
        if body.get("enable_ivr").is_none() {
            body["enable_ivr"] = json!(false);
        }
        self.create("/v1/number", body, "numberID")
    }

    /// Uploads a greeting file with this `desc`; answers the server's file name.
    pub fn upload(&self, desc: &str, bytes: &[u8]) -> String {
        let request = self
            .http
            .post(format!("{}/v1/greetingfile", self.url()))
            .query(&[("uploadType", "simple"), ("desc", desc)])
            .header("X-STRINGEE-AUTH", &self.token)
            .body(bytes.to_vec());
        let (status, answer) = self.send(request);
        assert!(
            status == 200 && answer["r"] == 0,
            "upload answered HTTP {status}: {answer}"
        );
        answer["filename"]
            .as_str()
            .expect("an upload answers its filename")
            .to_owned()
    }

    /// Every item of a list (`agent`, `group`, ...), all pages.
    pub fn list(&self, resource: &str, list_key: &str) -> Vec<Value> {
        let mut items = Vec::new();
        for page in 1.. {
            let answer = self.get(&format!("/v1/{resource}?page={page}&limit=100"));
            let batch = answer["data"][list_key]
                .as_array()
                .unwrap_or_else(|| panic!("no `{list_key}` in {answer}"))
                .clone();
            if batch.is_empty() {
                break;
            }
            items.extend(batch);
        }
        items
    }

    /// The id of the one item of `resource` whose `field` is `value`.
    pub fn id_of(&self, resource: &str, list_key: &str, field: &str, value: &str) -> String {
        let items = self.list(resource, list_key);
        let found: Vec<&Value> = items.iter().filter(|i| i[field] == value).collect();
        assert_eq!(
            found.len(),
            1,
            "{resource} with {field} = {value}: {found:?}"
        );
        found[0]["id"].as_str().expect("an id").to_owned()
    }
}

impl Drop for Pcc {
    fn drop(&mut self) {
        if let Some(emulator) = self.emulator.take() {
            self.runtime.block_on(emulator.shutdown());
        }
    }
}

/// A token the emulator accepts for `sid`, signed with `secret` (HS256, `cty`, `rest_api`),
/// made here so that the test's own requests share no code with switchboard's client.
pub fn token(sid: &str, secret: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs();
    let header = json!({ "typ": "JWT", "alg": "HS256", "cty": "stringee-api;v=1" });
    let claims =
        json!({ "jti": format!("{sid}-{now}"), "iss": sid, "exp": now + 3600, "rest_api": true });
    let head = URL_SAFE_NO_PAD.encode(header.to_string());
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{head}.{body}").as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{head}.{body}.{signature}")
}

/// The key `plan --out` authenticates saved plans with when it runs with the test key:
/// HMAC-SHA256 keyed with [`SECRET`] over the purpose switchboard names (written out here, not
/// taken from switchboard, so that a change there shows as a failing test).
pub fn plan_key() -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
    mac.update(b"switchboard saved plan, format 2");
    mac.finalize().into_bytes().to_vec()
}

/// A saved plan `doc` (its `integrity` member, if any, left out) written as `plan --out` writes
/// one and signed with `key`: what someone who holds the key (or, for the local sandbox, anyone)
/// can make. Tests use it to show what the checks behind the digest still refuse.
pub fn sign_plan(doc: &Value, key: &[u8]) -> String {
    let mut doc = doc.clone();
    let members = doc.as_object_mut().expect("a saved plan is an object");
    members.remove("integrity");
    let body = serde_json::to_string_pretty(&doc).expect("JSON writes");
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(body.as_bytes());
    let digest: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let head = body.strip_suffix("\n}").expect("a pretty-printed object");
    format!("{head},\n  \"integrity\": \"hmac-sha256:{digest}\"\n}}\n")
}

// ---------------------------------------------------------------------------------------------
// The binary.
// ---------------------------------------------------------------------------------------------

/// A temporary working directory for commands, removed when dropped.
#[derive(Debug)]
pub struct Workdir {
    dir: tempfile::TempDir,
}

impl Default for Workdir {
    fn default() -> Self {
        Workdir::new()
    }
}

impl Workdir {
    /// A new empty directory.
    pub fn new() -> Workdir {
        Workdir {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `relative` inside it.
    pub fn join(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.path().join(relative)
    }

    /// Writes a file (creating directories); answers its path.
    pub fn write(&self, relative: impl AsRef<Path>, text: &str) -> PathBuf {
        let path = self.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create directories");
        }
        std::fs::write(&path, text).expect("write a file");
        path
    }

    /// Reads a file as text.
    pub fn read(&self, relative: impl AsRef<Path>) -> String {
        let path = self.join(relative);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()))
    }

    /// Copies `examples/<name>` to `<workdir>/<name>`; answers the copy's path.
    pub fn copy_example(&self, name: &str) -> PathBuf {
        let to = self.join(name);
        copy_dir(&example(name), &to);
        to
    }

    /// The local sandbox's state file here.
    pub fn sandbox_state(&self) -> PathBuf {
        self.join(".switchboard/sandbox.db")
    }

    /// `switchboard ARGS` in this directory, with no Stringee credentials and no endpoint in
    /// its environment (so, the local sandbox, until [`Cmd::against`]).
    pub fn switchboard<I, S>(&self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        Cmd {
            args: args.into_iter().map(Into::into).collect(),
            dir: self.path().to_path_buf(),
            env: Vec::new(),
            forbidden: Vec::new(),
        }
    }
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create directories");
    for entry in std::fs::read_dir(from).expect("read a directory") {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}

/// Variables a command never inherits from the test's environment.
const SCRUBBED: [&str; 12] = [
    "SWITCHBOARD_ENV",
    "STRINGEE_API_KEY_SID",
    "STRINGEE_API_KEY_SECRET",
    "STRINGEE_ACCOUNT_SID",
    "STRINGEE_ACCOUNT_KEY_SECRET",
    "SWITCHBOARD_ENDPOINT",
    "SWITCHBOARD_CALL_API_ENDPOINT",
    "SWITCHBOARD_ALLOW_INSECURE_HTTP",
    "NO_COLOR",
    "CLICOLOR_FORCE",
    "RUST_LOG",
    "SWITCHBOARD_LOG",
];

/// A command line about to run.
#[derive(Debug)]
pub struct Cmd {
    args: Vec<OsString>,
    dir: PathBuf,
    env: Vec<(String, String)>,
    /// Values neither the output nor (with `true`) a file the command writes may hold.
    forbidden: Vec<(String, bool)>,
}

impl Cmd {
    /// Targets `pcc`: `SWITCHBOARD_ENDPOINT` and the test key.
    pub fn against(self, pcc: &Pcc) -> Cmd {
        self.env("SWITCHBOARD_ENDPOINT", &pcc.url())
            .env("STRINGEE_API_KEY_SID", SID)
            .env("STRINGEE_API_KEY_SECRET", SECRET)
    }

    /// Adds the test account key and `pcc`'s Call API address ([`Pcc::with_account`]): the
    /// command checks the PCC wiring too.
    pub fn with_account(self, pcc: &Pcc) -> Cmd {
        self.env("SWITCHBOARD_CALL_API_ENDPOINT", &pcc.call_api_url())
            .env("STRINGEE_ACCOUNT_SID", ACCOUNT_SID)
            .env("STRINGEE_ACCOUNT_KEY_SECRET", ACCOUNT_SECRET)
    }

    /// Targets `endpoint` (a [`hostile_pcc::HostilePcc`], say) with the test key.
    pub fn against_endpoint(self, endpoint: &str) -> Cmd {
        self.env("SWITCHBOARD_ENDPOINT", endpoint)
            .env("STRINGEE_API_KEY_SID", SID)
            .env("STRINGEE_API_KEY_SECRET", SECRET)
    }

    /// Runs it in `dir` instead of the working directory (whose files [`Cmd::run`] then
    /// checks for the secret).
    pub fn current_dir(mut self, dir: &Path) -> Cmd {
        self.dir = dir.to_path_buf();
        self
    }

    /// Adds `secret` to what [`Cmd::run`] checks is in neither the output nor any file the
    /// command writes in its working directory (files there before it ran and unchanged, the
    /// spec that holds the secret, say, are not its doing). The local sandbox's state,
    /// `.switchboard/sandbox.db`, is the PCC's own store and holds live values: it is left out
    /// of this check, not of the API secret's.
    pub fn forbid(mut self, secret: &str) -> Cmd {
        self.forbidden.push((secret.to_owned(), true));
        self
    }

    /// [`Cmd::forbid`] for the output only: for a command whose files hold the value by
    /// design (`export` writes a spec, which says what apply writes).
    pub fn forbid_in_output(mut self, secret: &str) -> Cmd {
        self.forbidden.push((secret.to_owned(), false));
        self
    }

    /// Targets `pcc` with another key than [`key`] (an emulator made with it): its secret is
    /// [`Cmd::forbid`]den like [`SECRET`].
    pub fn against_with_key(self, pcc: &Pcc, key: &ApiKey) -> Cmd {
        self.env("SWITCHBOARD_ENDPOINT", &pcc.url())
            .env("STRINGEE_API_KEY_SID", &key.sid)
            .env("STRINGEE_API_KEY_SECRET", &key.secret)
            .forbid(&key.secret)
    }

    /// Sets the environment variable `name` to a spec's `${secret.NAME}` value, and
    /// [`Cmd::forbid`]s that value in the output and in every file the command writes.
    pub fn secret(self, name: &str, value: &str) -> Cmd {
        self.env(name, value).forbid(value)
    }

    /// Sets an environment variable.
    pub fn env(mut self, name: &str, value: &str) -> Cmd {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The process to start, for tests that need it running (to kill it half-way, say);
    /// check what it leaves with [`assert_no_secret_in_dir`].
    pub fn command(&self) -> std::process::Command {
        let mut command = std::process::Command::new(binary());
        command
            .args(&self.args)
            .current_dir(&self.dir)
            .stdin(std::process::Stdio::null());
        for name in SCRUBBED {
            command.env_remove(name);
        }
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command
    }

    /// Runs it to the end (standard input closed), then checks that neither its output nor
    /// any file in its working directory holds [`SECRET`].
    pub fn run(self) -> Output {
        let before = files_in(&self.dir);
        let output = self
            .command()
            .output()
            .expect("the switchboard binary runs");
        self.checked(output, &before)
    }

    /// [`Cmd::run`], but a command still running after `limit` is killed and the test fails:
    /// for inputs that could make it hang (a FIFO), so the suite never waits for ever.
    #[track_caller]
    pub fn run_within(self, limit: std::time::Duration) -> Output {
        let before = files_in(&self.dir);
        let mut command = self.command();
        command
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let child = command.spawn().expect("the switchboard binary runs");
        let pid = child.id();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait_with_output());
        });
        match rx.recv_timeout(limit) {
            Ok(output) => self.checked(output.expect("the switchboard binary runs"), &before),
            Err(_) => {
                let _ = std::process::Command::new("kill")
                    .args(["-9", &pid.to_string()])
                    .status();
                panic!(
                    "`switchboard {}` still ran after {limit:?}: killed",
                    self.args
                        .iter()
                        .map(|a| a.to_string_lossy())
                        .collect::<Vec<_>>()
                        .join(" ")
                );
            }
        }
    }

    fn checked(
        &self,
        output: std::process::Output,
        before: &std::collections::BTreeMap<PathBuf, Vec<u8>>,
    ) -> Output {
        let output = Output {
            args: self
                .args
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
            code: output.status.code().unwrap_or_else(|| {
                panic!("switchboard was killed by a signal: {:?}", output.status)
            }),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        };
        assert_no_secret(&format!("stdout of {output:?}"), output.stdout.as_bytes());
        assert_no_secret(&format!("stderr of {output:?}"), output.stderr.as_bytes());
        assert_no_secret_in_dir(&self.dir);
        for (secret, in_files) in &self.forbidden {
            for (what, text) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
                assert!(
                    !text.contains(secret.as_str()),
                    "{what} of {output:?} holds a forbidden value:\n{output}"
                );
            }
            if !in_files {
                continue;
            }
            for (path, bytes) in files_in(&self.dir) {
                let sandbox = path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("sandbox.db"));
                if sandbox || before.get(&path) == Some(&bytes) {
                    continue;
                }
                let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
                assert!(
                    !found,
                    "{output:?} wrote a forbidden value to {}",
                    path.display()
                );
            }
        }
        assert_terminal_safe(&output);
        output
    }
}

/// What a command printed and how it ended.
pub struct Output {
    /// The arguments it ran with.
    pub args: Vec<String>,
    /// Its exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`switchboard {}`", self.args.join(" "))
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{self:?} exited {}\n--- stdout ---\n{}--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Output {
    /// Panics, showing everything, unless it exited with `code`.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Output {
        assert_eq!(self.code, code, "expected exit {code}: {self}");
        self
    }

    /// The first line of standard error (the target banner, for commands that connect).
    pub fn banner(&self) -> &str {
        self.stderr.lines().next().unwrap_or_default()
    }

    /// Standard output as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|err| panic!("stdout is not one JSON document ({err}): {self}"))
    }
}

/// Panics unless standard output and standard error are safe to write to a terminal or a CI
/// log as they are: no control character, escape sequence, bidirectional control or invisible
/// character (but line feeds and tabs; colour sequences only where the command was asked for
/// colour), and no line that starts a workflow command (`::warning::`, `##[error]`), whatever
/// names the spec or the PCC held (`spec::text::terminal_problem`).
///
/// One exception, narrow: the standard output of a command run with `--format github` (the
/// one writer of workflow commands on purpose) may hold lines that are annotations escaped by
/// GitHub's rules ([`annotation`]); any other line starting with `::` still fails, and so does
/// any hazard in the rest of it.
#[track_caller]
pub fn assert_terminal_safe(output: &Output) {
    let coloured = output.args.iter().any(|a| a == "always");
    let github = output
        .args
        .windows(2)
        .any(|pair| pair[0] == "--format" && pair[1] == "github")
        || output.args.iter().any(|a| a == "--format=github");
    let stdout = if github {
        let mut rest = String::new();
        for line in output.stdout.split_inclusive('\n') {
            if line.starts_with("::") {
                let command = line.strip_suffix('\n').unwrap_or(line);
                assert!(
                    annotation(command).is_some(),
                    "stdout of {output:?} holds a workflow command that is not an escaped \
                     annotation: {command:?}\n{output}"
                );
            } else {
                rest.push_str(line);
            }
        }
        rest
    } else {
        output.stdout.clone()
    };
    for (what, text) in [("stdout", &stdout), ("stderr", &output.stderr)] {
        if !coloured {
            assert!(
                !text.contains('\x1b'),
                "{what} of {output:?} holds ESC:\n{output}"
            );
        }
        if let Some(problem) = spec::text::terminal_problem(text) {
            panic!("{what} of {output:?} is not safe for a terminal: {problem}\n{output}");
        }
    }
}

/// A GitHub Actions annotation, decoded as the runner decodes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Annotation {
    /// `error`, `warning` or `notice`.
    pub kind: String,
    /// Its properties, in order, decoded.
    pub properties: Vec<(String, String)>,
    /// Its message, decoded (line breaks included).
    pub message: String,
}

impl Annotation {
    /// The value of property `name`.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `line` (without its line feed) read as an annotation escaped by GitHub's rules: `::error`,
/// `::warning` or `::notice`, then ` name=value` properties separated by `,` (names among
/// `file`, `line`, `col`, `endLine`, `endColumn`, `title`; values holding no raw `:` or `,`),
/// then `::` and the message; every `%` starts an escape the runner decodes (`%25`, `%0D`,
/// `%0A`, and in properties `%3A`, `%2C`), no raw carriage return or escape sequence, and no
/// other hazard (`spec::text::terminal_problem`). `None` when it is anything else.
pub fn annotation(line: &str) -> Option<Annotation> {
    const NAMES: [&str; 6] = ["file", "line", "col", "endLine", "endColumn", "title"];
    let rest = line.strip_prefix("::")?;
    // Properties hold no raw `:`, so the first `::` ends them.
    let (head, message) = rest.split_once("::")?;
    let (kind, properties) = head.split_once(' ').unwrap_or((head, ""));
    if !["error", "warning", "notice"].contains(&kind) {
        return None;
    }
    let mut decoded = Vec::new();
    if !properties.is_empty() {
        for property in properties.split(',') {
            let (name, value) = property.split_once('=')?;
            if !NAMES.contains(&name) || value.contains(':') {
                return None;
            }
            decoded.push((name.to_owned(), decode_command(value, true)?));
        }
    }
    if spec::text::terminal_problem(message).is_some()
        || message.contains('\x1b')
        || properties.contains(|c: char| spec::text::is_hazard(c))
    {
        return None;
    }
    Some(Annotation {
        kind: kind.to_owned(),
        properties: decoded,
        message: decode_command(message, false)?,
    })
}

/// GitHub's decoding of a workflow command's value (`property`: of a property), refusing a `%`
/// that starts no escape it decodes.
fn decode_command(text: &str, property: bool) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let code = rest.get(at + 1..at + 3)?;
        out.push(match code {
            "25" => '%',
            "0D" => '\r',
            "0A" => '\n',
            "3A" if property => ':',
            "2C" if property => ',',
            _ => return None,
        });
        rest = &rest[at + 3..];
    }
    out.push_str(rest);
    Some(out)
}

/// Panics if `bytes` contain [`SECRET`] or [`ACCOUNT_SECRET`]; `what` names them in the
/// message (which never repeats the secret).
#[track_caller]
pub fn assert_no_secret(what: &str, bytes: &[u8]) {
    for (secret, which) in [(SECRET, "API"), (ACCOUNT_SECRET, "account key")] {
        let found = bytes
            .windows(secret.len())
            .any(|window| window == secret.as_bytes());
        assert!(!found, "{what} contains the {which} secret");
    }
}

/// Panics if any file under `dir` (recursively, hidden ones included) contains [`SECRET`] or
/// [`ACCOUNT_SECRET`].
#[track_caller]
pub fn assert_no_secret_in_dir(dir: &Path) {
    for (path, bytes) in files_in(dir) {
        assert_no_secret(&path.display().to_string(), &bytes);
    }
}

/// Every file under `dir` (recursively, hidden ones included), with its bytes.
pub fn files_in(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => files.extend(files_in(&path)),
            Ok(kind) if kind.is_file() => {
                if let Ok(bytes) = std::fs::read(&path) {
                    files.insert(path, bytes);
                }
            }
            _ => {}
        }
    }
    files
}
