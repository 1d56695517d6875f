//! Against the real emulator: a brownfield project made with plain HTTP calls reads back as
//! its model with the minimum number of requests and no writes; reads survive injected 5xx and
//! 429; writes that may have happened are reported, not retried; a wrong secret is named.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pcc::encode::{self, Unset};
use pcc::live::greeting_desc;
use pcc::wire::{self, AgentBody};
use pcc::{
    Client, Config, Credentials, Error, ReadOptions, ReadScope, RetryPolicy, minimum_reads,
    read_live,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use spec::Kind;
use spec::model::{
    Agent, AgentRouting, Audio, AudioId, CallSettings, DEFAULT_VOICE, Group, IvrNode, IvrTree, Key,
    KeyAction, Model, Number, NumberRoute, Prompt, Queue, Routing, Schedule,
};

use crate::support::{SECRET, SID};

const AGENTS: usize = 320;
const WELCOME: &[u8] = b"ID3\x04\x00fake mp3 bytes: bienvenidos";
const HOLD: &[u8] = b"RIFF\x24\x00\x00\x00WAVEfake hold music";

async fn emulator() -> emulator::Emulator {
    let config = emulator::Config::new(vec![emulator::ApiKey {
        sid: SID.to_owned(),
        secret: SECRET.to_owned(),
    }]);
    emulator::spawn(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config)
        .await
        .unwrap()
}

fn client_for(emu: &emulator::Emulator, secret: &str, attempts: u32) -> Client {
    let mut config = Config::with_endpoint(&emu.url(), Credentials::new(SID, secret));
    config.retry = RetryPolicy {
        max_attempts: attempts,
        max_timeouts: 2,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(10),
        max_retry_after: Duration::from_secs(5),
        max_throttled: Duration::from_secs(30),
    };
    Client::new(config).unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn uid(i: usize) -> String {
    format!("a{i:03}")
}

/// Plain HTTP, as a user's own script or the Stringee dashboard would make a project: no
/// typed client, no encode helpers; only the token comes from `pcc::auth`.
struct Raw {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Raw {
    fn new(emu: &emulator::Emulator) -> Raw {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        Raw {
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            base: emu.url(),
            token: pcc::auth::mint_token(&Credentials::new(SID, SECRET), now)
                .expose()
                .to_owned(),
        }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let answer: Value = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("X-STRINGEE-AUTH", &self.token)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["r"], 0, "{path} {body}: {answer}");
        answer
    }

    async fn post(&self, path: &str, body: Value, id_key: &str) -> String {
        let answer = self.send(reqwest::Method::POST, path, body).await;
        answer[id_key].as_str().unwrap().to_owned()
    }

    async fn upload(&self, desc: &str, bytes: &[u8]) -> String {
        let answer: Value = self
            .http
            .post(format!("{}/v1/greetingfile", self.base))
            .query(&[("uploadType", "simple"), ("desc", desc)])
            .header("X-STRINGEE-AUTH", &self.token)
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["r"], 0, "{answer}");
        answer["filename"].as_str().unwrap().to_owned()
    }
}

/// Builds the brownfield project with plain HTTP calls and returns the model it must read
/// back as.
async fn brownfield(emu: &emulator::Emulator) -> Model {
    let raw = Raw::new(emu);
    let welcome_sha = sha256_hex(WELCOME);
    let welcome_file = raw
        .upload(
            &format!("switchboard name=welcome-es sha256={welcome_sha}"),
            WELCOME,
        )
        .await;
    let hold_file = raw.upload("hold music from the dashboard", HOLD).await;

    let mut agent_ids = Vec::new();
    for i in 0..AGENTS {
        let body = if i % 10 == 9 {
            json!({"name": format!("Agent {i}"), "stringee_user_id": uid(i), "routing_type": 2,
                   "phone_number": format!("8490{i:07}")})
        } else {
            json!({"name": format!("Agent {i}"), "stringee_user_id": uid(i)})
        };
        agent_ids.push(raw.post("/v1/agent", body, "agentID").await);
    }
    let members: [(&str, std::ops::Range<usize>); 4] = [
        ("sales-en", 0..10),
        ("support", 0..150),
        ("sales-es", 300..320),
        ("empty", 0..0),
    ];
    let mut group_ids = BTreeMap::new();
    for (name, range) in members.iter().cloned() {
        let gid = raw
            .post("/v1/group", json!({"name": name}), "groupID")
            .await;
        for i in range {
            raw.send(
                reqwest::Method::POST,
                "/v1/manage-agents-in-group",
                json!({"agent_id": agent_ids[i], "group_id": gid}),
            )
            .await;
        }
        group_ids.insert(name, gid);
    }

    let q_sales_en = raw
        .post("/v1/queue", json!({"name": "sales-en"}), "queueID")
        .await;
    let q_support = raw
        .post(
            "/v1/queue",
            json!({"name": "support", "record_calls": 0, "schedule": 2,
                   "wait_agent_answer_timeout": 20, "hold_greeting": hold_file,
                   "from_number_callout_to_agent": "842473082686", "cond_routing": 2}),
            "queueID",
        )
        .await;
    let q_sales_es = raw
        .post(
            "/v1/queue",
            json!({"name": "sales-es", "agent_wrap_up_after_calls": false,
                   "wait_greeting": welcome_file, "get_list_agents_url": "https://crm.example.com/agents"}),
            "queueID",
        )
        .await;
    for (queue, group, primary) in [
        (&q_sales_en, "sales-en", 1),
        (&q_support, "support", 1),
        (&q_support, "sales-es", 0),
        (&q_sales_es, "sales-es", 1),
    ] {
        raw.post(
            "/v1/routing-call-to-groups",
            json!({"queue_id": queue, "group_id": group_ids[group], "primary_group": primary}),
            "groupRoutingID",
        )
        .await;
    }

    let main = raw
        .post("/v1/ivrtree", json!({"tree_name": "main"}), "ivrTreeID")
        .await;
    raw.post("/v1/ivrtree", json!({"tree_name": "draft"}), "ivrTreeID")
        .await;
    let language = raw
        .post(
            "/v1/ivrnode",
            json!({"tree": main, "node_name": "language", "node_play_mode": "talk",
                   "node_play_content": "Press 1 for English, press 2 for Spanish."}),
            "ivrNodeID",
        )
        .await;
    let english = raw
        .post(
            "/v1/ivrnode",
            json!({"tree": main, "node_name": "english", "node_play_mode": "talk",
                   "node_play_content": "Press 1 for sales, 2 for support.", "bargeIn": false,
                   "loop_count": 3, "sched": 500, "voice": "sg_male_xuankien_vdts_48k-hsmm",
                   "speed": -1, "keypress_timeout": 8}),
            "ivrNodeID",
        )
        .await;
    let spanish = raw
        .post(
            "/v1/ivrnode",
            json!({"tree": main, "node_name": "spanish", "node_play_mode": "play",
                   "node_play_content": welcome_file}),
            "ivrNodeID",
        )
        .await;
    for body in [
        json!({"node": language, "node_key": "1", "action": 4, "next_node": english}),
        json!({"node": language, "node_key": "2", "action": 4, "next_node": spanish}),
        json!({"node": language, "node_key": "EMPTY_KEY", "action": 6}),
        json!({"node": english, "node_key": "1", "action": 2, "queue_id": q_sales_en}),
        json!({"node": english, "node_key": "2", "action": 2, "queue_id": q_support}),
        json!({"node": spanish, "node_key": "0", "action": 3, "to_phone_number": "84909992666",
               "from_number_callout_to_agent": "842473082686"}),
        json!({"node": spanish, "node_key": "INVALID_KEY", "action": 6}),
    ] {
        raw.post("/v1/ivrkeypress", body, "ivrNodeKeyID").await;
    }

    for body in [
        json!({"number": "842473082686", "nickname": "Hotline", "allow_outbound_calls": true,
               "enable_ivr": true, "ivr_menu": main}),
        json!({"number": "842473082888", "nickname": "Support line", "allow_outbound_calls": 0,
               "enable_ivr": 0, "queue_id": q_support, "record_outbound_calls": 1}),
        json!({"number": "842473082999", "allow_outbound_calls": false, "enable_ivr": false}),
    ] {
        raw.post("/v1/number", body, "numberID").await;
    }
    raw.send(
        reqwest::Method::PUT,
        "/v1/callsettings",
        json!({"get_customer_info_url": "https://crm.example.com/customer",
               "get_customer_info_timeout": 2500, "event_url": "https://crm.example.com/events",
               "callout_answer_url": ""}),
    )
    .await;

    expected_model(&welcome_sha, &hold_file)
}

fn expected_model(welcome_sha: &str, hold_file: &str) -> Model {
    let welcome = AudioId::Sha256(welcome_sha.to_owned());
    let hold = AudioId::ServerFile(hold_file.to_owned());
    let agents = (0..AGENTS)
        .map(|i| {
            let phone = i % 10 == 9;
            (
                uid(i),
                Agent {
                    name: format!("Agent {i}"),
                    routing: if phone {
                        AgentRouting::Phone
                    } else {
                        AgentRouting::App
                    },
                    phone_number: phone.then(|| format!("8490{i:07}")),
                    out_of_hours_callout: None,
                },
            )
        })
        .collect();
    let group = |range: std::ops::Range<usize>| Group {
        agents: range.map(uid).collect(),
    };
    let routing = |pairs: &[(&str, bool)]| -> BTreeMap<String, Routing> {
        pairs
            .iter()
            .map(|(g, primary)| ((*g).to_owned(), Routing { primary: *primary }))
            .collect()
    };
    let say = |text: &str| Prompt::Say {
        text: text.to_owned(),
        voice: DEFAULT_VOICE.to_owned(),
        speed: 0,
    };
    let node = |prompt: Prompt, keys: Vec<(Key, KeyAction)>| IvrNode {
        prompt,
        barge_in: true,
        loop_count: 1,
        delay_ms: 0,
        keypress_timeout: 5,
        keys: keys.into_iter().collect(),
    };
    let goto = |n: &str| KeyAction::Goto { node: n.to_owned() };
    let queue = |q: &str| KeyAction::Queue {
        queue: q.to_owned(),
    };
    Model {
        settings: Some(CallSettings {
            event_url: Some("https://crm.example.com/events".into()),
            get_customer_info_url: Some("https://crm.example.com/customer".into()),
            get_customer_info_timeout_ms: 2500,
            callout_answer_url: None,
        }),
        audio: BTreeMap::from([
            (
                welcome.clone(),
                Audio {
                    name: "welcome-es".into(),
                    file: None,
                },
            ),
            (
                hold.clone(),
                Audio {
                    name: hold_file.to_owned(),
                    file: None,
                },
            ),
        ]),
        agents,
        groups: BTreeMap::from([
            ("sales-en".into(), group(0..10)),
            ("support".into(), group(0..150)),
            ("sales-es".into(), group(300..320)),
            ("empty".into(), group(0..0)),
        ]),
        queues: BTreeMap::from([
            (
                "sales-en".into(),
                Queue {
                    routing: routing(&[("sales-en", true)]),
                    ..Queue::default()
                },
            ),
            (
                "support".into(),
                Queue {
                    record_calls: false,
                    schedule: Schedule::BusinessHours,
                    wait_agent_answer_timeout: 20,
                    hold_greeting: Some(hold),
                    from_number_callout_to_agent: Some("842473082686".into()),
                    cond_routing: 2,
                    routing: routing(&[("support", true), ("sales-es", false)]),
                    ..Queue::default()
                },
            ),
            (
                "sales-es".into(),
                Queue {
                    agent_wrap_up_after_calls: false,
                    wait_greeting: Some(welcome.clone()),
                    get_list_agents_url: Some("https://crm.example.com/agents".into()),
                    routing: routing(&[("sales-es", true)]),
                    ..Queue::default()
                },
            ),
        ]),
        ivr: BTreeMap::from([
            (
                "main".into(),
                IvrTree {
                    start: "language".into(),
                    nodes: BTreeMap::from([
                        (
                            "language".into(),
                            node(
                                say("Press 1 for English, press 2 for Spanish."),
                                vec![
                                    (Key::D1, goto("english")),
                                    (Key::D2, goto("spanish")),
                                    (Key::Timeout, KeyAction::Hangup),
                                ],
                            ),
                        ),
                        (
                            "english".into(),
                            IvrNode {
                                barge_in: false,
                                loop_count: 3,
                                delay_ms: 500,
                                keypress_timeout: 8,
                                ..node(
                                    Prompt::Say {
                                        text: "Press 1 for sales, 2 for support.".into(),
                                        voice: "sg_male_xuankien_vdts_48k-hsmm".into(),
                                        speed: -1,
                                    },
                                    vec![(Key::D1, queue("sales-en")), (Key::D2, queue("support"))],
                                )
                            },
                        ),
                        (
                            "spanish".into(),
                            node(
                                Prompt::Play { audio: welcome },
                                vec![
                                    (
                                        Key::D0,
                                        KeyAction::Forward {
                                            to: "84909992666".into(),
                                            caller_id: Some("842473082686".into()),
                                        },
                                    ),
                                    (Key::Invalid, KeyAction::Hangup),
                                ],
                            ),
                        ),
                    ]),
                },
            ),
            (
                "draft".into(),
                IvrTree {
                    start: String::new(),
                    nodes: BTreeMap::new(),
                },
            ),
        ]),
        numbers: BTreeMap::from([
            (
                "842473082686".into(),
                Number {
                    nickname: Some("Hotline".into()),
                    route: Some(NumberRoute::Ivr("main".into())),
                    allow_outbound_calls: true,
                    record_outbound_calls: false,
                    all_groups_can_call_out: None,
                },
            ),
            (
                "842473082888".into(),
                Number {
                    nickname: Some("Support line".into()),
                    route: Some(NumberRoute::Queue("support".into())),
                    allow_outbound_calls: false,
                    record_outbound_calls: true,
                    all_groups_can_call_out: None,
                },
            ),
            (
                "842473082999".into(),
                Number {
                    nickname: None,
                    route: None,
                    allow_outbound_calls: false,
                    record_outbound_calls: false,
                    all_groups_can_call_out: None,
                },
            ),
        ]),
        blacklist: Some(BTreeMap::new()),
    }
}

fn all() -> BTreeSet<ReadScope> {
    ReadScope::ALL.into_iter().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brownfield_project_reads_back_as_its_model_with_the_minimum_requests() {
    let emu = emulator().await;
    let expected = brownfield(&emu).await;
    let client = client_for(&emu, SECRET, 6);
    emu.reset_stats();

    let live = read_live(&client, &ReadOptions::default()).await.unwrap();
    assert_eq!(live.model, expected);

    let minimum = minimum_reads(&expected, &all());
    // settings 1, greetings 1, agents 4, groups 1 + members 1+2+1+1, queues 1 + routings 3,
    // trees 1 + nodes 1+1 + keys 3, numbers 1, blacklist 1.
    assert_eq!(minimum, 1 + 1 + 4 + 1 + 5 + 1 + 3 + 1 + 2 + 3 + 1 + 1);
    let stats = emu.stats();
    assert_eq!(stats.writes, 0, "a read writes nothing");
    assert_eq!(stats.reads, minimum, "{:#?}", stats.requests);
    assert_eq!(client.stats().total(), minimum);
    for endpoint in stats.requests.keys() {
        assert!(!endpoint.contains('{'), "no per-object GET: {endpoint}");
    }
    let agents = live.ids.objects.keys().filter(|a| a.kind() == Kind::Agent);
    assert_eq!(agents.count(), AGENTS);
    assert_eq!(live.ids.roots["main"], "language");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scoped_reads_make_the_requests_their_table_row_says() {
    let emu = emulator().await;
    let expected = brownfield(&emu).await;
    let client = client_for(&emu, SECRET, 6);
    for scope in [
        vec![ReadScope::Agents],
        vec![ReadScope::Groups],
        vec![ReadScope::Queues],
        vec![ReadScope::Ivr],
        vec![ReadScope::Numbers],
        vec![ReadScope::Settings, ReadScope::Audio],
    ] {
        emu.reset_stats();
        let opts = ReadOptions::only(scope.iter().copied());
        let live = read_live(&client, &opts).await.unwrap();
        assert_eq!(
            emu.stats().reads,
            minimum_reads(&expected, &opts.scopes),
            "{scope:?}"
        );
        if scope.contains(&ReadScope::Ivr) {
            assert_eq!(live.model.ivr, expected.ivr);
        }
        if scope.contains(&ReadScope::Groups) {
            assert_eq!(live.model.groups, expected.groups);
        }
    }
    emu.shutdown().await;
}

/// A partial plan's read: the per-parent lists of some parents only, as many requests as
/// `minimum_reads_within` says; the other parents are in the model without what they hold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_of_some_parents_reads_only_their_lists() {
    let emu = emulator().await;
    let expected = brownfield(&emu).await;
    let client = client_for(&emu, SECRET, 6);
    let tree = expected.ivr.keys().next().unwrap().clone();
    let group = expected.groups.keys().next().unwrap().clone();
    let parents = pcc::Parents {
        only: [
            spec::Address::IvrTree(tree.clone()),
            spec::Address::Group(group.clone()),
        ]
        .into(),
        ..pcc::Parents::default()
    };
    let opts = ReadOptions {
        parents: Some(parents.clone()),
        ..ReadOptions::only([ReadScope::Ivr, ReadScope::Groups, ReadScope::Queues])
    };
    emu.reset_stats();
    let live = read_live(&client, &opts).await.unwrap();
    let minimum = pcc::minimum_reads_within(&expected, &opts.scopes, Some(&parents));
    assert_eq!(emu.stats().reads, minimum, "{:#?}", emu.stats().requests);
    assert!(minimum < minimum_reads(&expected, &opts.scopes));
    assert_eq!(live.model.ivr[&tree], expected.ivr[&tree]);
    assert_eq!(live.model.groups[&group], expected.groups[&group]);
    for (name, t) in &live.model.ivr {
        if *name != tree {
            assert!(t.nodes.is_empty() && t.start.is_empty(), "{name}");
        }
    }
    for (name, g) in &live.model.groups {
        if *name != group {
            assert!(g.agents.is_empty(), "{name}");
        }
    }
    assert!(live.model.queues.values().all(|q| q.routing.is_empty()));
    assert_eq!(live.model.queues.len(), expected.queues.len());
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_survive_injected_5xx_and_429() {
    let emu = emulator().await;
    let expected = brownfield(&emu).await;
    let client = client_for(&emu, SECRET, 15);
    emu.reset_stats();
    emu.set_faults(emulator::Faults {
        fail_rate: 0.2,
        throttle_rate: 0.2,
        retry_after_secs: 0,
        seed: Some(4),
        ..emulator::Faults::default()
    });
    let live = read_live(&client, &ReadOptions::default()).await.unwrap();
    assert_eq!(live.model, expected);
    let stats = emu.stats();
    assert!(
        stats.injected.failed > 0 && stats.injected.throttled > 0,
        "{stats:?}"
    );
    assert_eq!(
        client.stats().retries,
        stats.injected.failed + stats.injected.throttled,
        "every injected fault was retried, nothing else"
    );
    assert_eq!(
        stats.reads - stats.injected.failed - stats.injected.throttled,
        minimum_reads(&expected, &all())
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_write_answered_500_is_not_retried_and_did_not_happen() {
    let emu = emulator().await;
    let client = client_for(&emu, SECRET, 6);
    emu.set_faults(emulator::Faults {
        fail_rate: 1.0,
        ..emulator::Faults::default()
    });
    let err = client
        .create::<wire::Group>(&wire::GroupBody {
            name: "sales".into(),
        })
        .await
        .unwrap_err();
    assert!(err.is_uncertain(), "{err:?}");
    assert_eq!(emu.stats().writes, 1, "never retried");
    emu.set_faults(emulator::Faults::default());
    assert!(
        client
            .list_all::<wire::Group>(None)
            .await
            .unwrap()
            .is_empty()
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_write_whose_answer_is_lost_is_uncertain_and_found_by_natural_key() {
    let emu = emulator().await;
    let client = client_for(&emu, SECRET, 6);
    emu.set_faults(emulator::Faults {
        drop_rate: 1.0,
        ..emulator::Faults::default()
    });
    let body = AgentBody {
        name: Some("Alice".into()),
        stringee_user_id: Some("alice".into()),
        ..AgentBody::default()
    };
    for _ in 0..4 {
        // The emulator loses the answer by closing the connection or by a proxy-style 502.
        let err = client.create::<wire::Agent>(&body).await.unwrap_err();
        assert!(err.is_uncertain(), "{err:?}");
    }
    assert_eq!(emu.stats().writes, 4, "never retried by the client");
    emu.set_faults(emulator::Faults::default());
    let found = client.find::<wire::Agent>(None, "alice").await.unwrap();
    assert_eq!(found.len(), 4, "each lost answer hid a committed create");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_wrong_secret_names_the_variables_to_check() {
    let emu = emulator().await;
    let client = client_for(&emu, "not-the-secret", 6);
    let err = client.list_all::<wire::Agent>(None).await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("STRINGEE_API_KEY_SID") && text.contains("STRINGEE_API_KEY_SECRET"),
        "{text}"
    );
    assert!(!text.contains("not-the-secret"), "{text}");
    assert_eq!(emu.stats().reads, 1, "auth failures are not retried");
    let err = read_live(&client, &ReadOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    emu.shutdown().await;
}

/// The encode helpers and the typed client write a model that reads back unchanged: the
/// mapping in both directions agrees with the emulator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_written_with_encode_reads_back_unchanged() {
    let source = emulator().await;
    let model = brownfield(&source).await;
    source.shutdown().await;

    let emu = emulator().await;
    let client = client_for(&emu, SECRET, 6);
    let mut files = BTreeMap::new();
    for (id, audio) in &model.audio {
        let (desc, bytes) = match id {
            AudioId::Sha256(hex) => (greeting_desc(&audio.name, hex), WELCOME),
            AudioId::ServerFile(_) => ("dashboard upload".to_owned(), HOLD),
        };
        let uploaded = client.upload_greeting(&desc, bytes.to_vec()).await.unwrap();
        files.insert(id.clone(), uploaded.filename);
    }
    // The hold file gets a new server name; the model must follow it.
    let mut model = model;
    let hold_id = model
        .audio
        .keys()
        .find(|id| matches!(id, AudioId::ServerFile(_)))
        .cloned()
        .unwrap();
    let new_hold = AudioId::ServerFile(files[&hold_id].clone());
    let hold_audio = model.audio.remove(&hold_id).unwrap();
    model.audio.insert(
        new_hold.clone(),
        Audio {
            name: files[&hold_id].clone(),
            ..hold_audio
        },
    );
    files.insert(new_hold.clone(), files[&hold_id].clone());
    for queue in model.queues.values_mut() {
        if queue.hold_greeting.as_ref() == Some(&hold_id) {
            queue.hold_greeting = Some(new_hold.clone());
        }
    }

    let mut agents = BTreeMap::new();
    for (uid, agent) in &model.agents {
        let id = client
            .create::<wire::Agent>(&encode::agent_body(uid, agent, Unset::Omit))
            .await
            .unwrap();
        agents.insert(uid.clone(), id);
    }
    let mut groups = BTreeMap::new();
    for (name, group) in &model.groups {
        let gid = client
            .create::<wire::Group>(&wire::GroupBody { name: name.clone() })
            .await
            .unwrap();
        for member in &group.agents {
            client
                .create::<wire::GroupAgent>(&wire::Membership {
                    agent_id: agents[member].clone(),
                    group_id: gid.clone(),
                })
                .await
                .unwrap();
        }
        groups.insert(name.clone(), gid);
    }
    let mut queues = BTreeMap::new();
    for (name, queue) in &model.queues {
        let body = encode::queue_body(name, queue, &files, Unset::Omit).unwrap();
        let qid = client.create::<wire::Queue>(&body).await.unwrap();
        for (group, routing) in &queue.routing {
            client
                .create::<wire::Routing>(&encode::routing_body(&qid, &groups[group], routing))
                .await
                .unwrap();
        }
        queues.insert(name.clone(), qid);
    }
    let mut trees = BTreeMap::new();
    for (name, tree) in &model.ivr {
        let tid = client
            .create::<wire::Tree>(&wire::TreeBody {
                tree_name: name.clone(),
            })
            .await
            .unwrap();
        let mut nodes = BTreeMap::new();
        // The root first: the first node created becomes the root.
        let order = tree
            .nodes
            .keys()
            .filter(|n| **n == tree.start)
            .chain(tree.nodes.keys().filter(|n| **n != tree.start));
        for node_name in order {
            let body =
                encode::node_body(Some(&tid), node_name, &tree.nodes[node_name], &files).unwrap();
            let created = client.create::<wire::Node>(&body).await.unwrap();
            assert_eq!(created.is_root, *node_name == tree.start, "{node_name}");
            nodes.insert(node_name.clone(), created.id);
        }
        for (node_name, node) in &tree.nodes {
            for (key, action) in &node.keys {
                let target = match action {
                    KeyAction::Goto { node } => Some(nodes[node].as_str()),
                    KeyAction::Queue { queue } => Some(queues[queue].as_str()),
                    _ => None,
                };
                client
                    .create::<wire::NodeKey>(&encode::key_body(
                        Some(&nodes[node_name]),
                        *key,
                        action,
                        target,
                        Unset::Omit,
                    ))
                    .await
                    .unwrap();
            }
        }
        trees.insert(name.clone(), tid);
    }
    for (digits, number) in &model.numbers {
        let target = match &number.route {
            Some(NumberRoute::Ivr(t)) => Some(trees[t].as_str()),
            Some(NumberRoute::Queue(q)) => Some(queues[q].as_str()),
            None => None,
        };
        client
            .create::<wire::Number>(&encode::number_body(
                Some(digits),
                number,
                target,
                Unset::Omit,
            ))
            .await
            .unwrap();
    }
    client
        .put_call_settings(&encode::settings_body(model.settings.as_ref().unwrap()))
        .await
        .unwrap();

    let live = read_live(&client, &ReadOptions::default()).await.unwrap();
    assert_eq!(live.model, model);

    // Updates with `Unset::Clear` take values away again.
    let support = &model.queues["support"];
    let cleared = Queue {
        hold_greeting: None,
        from_number_callout_to_agent: None,
        ..support.clone()
    };
    client
        .update::<wire::Queue>(
            &queues["support"],
            &encode::queue_body("support", &cleared, &files, Unset::Clear).unwrap(),
        )
        .await
        .unwrap();
    let live = read_live(&client, &ReadOptions::only([ReadScope::Queues]))
        .await
        .unwrap();
    assert_eq!(live.model.queues["support"], cleared);
    emu.shutdown().await;
}
