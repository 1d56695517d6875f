//! `expressible`: what a spec cannot describe of a live model is left out, with what refers to
//! it, and the rest, with `ignore.yaml`, loads back (`export`'s rules, moved from the binary
//! with their tests).

use std::collections::BTreeMap;

use crate::Model;
use crate::address::{Address, Kind};
use crate::emit::{LeftOut, expressible, ignore_file};
use crate::model::{IvrNode, IvrTree, Key, KeyAction, Number, NumberRoute, Prompt, Queue, Routing};

/// `expressible` as `export` runs it: `model` cut down in place, what went returned.
fn make_expressible(model: &mut Model) -> Vec<LeftOut> {
    let (kept, left_out) = expressible(model);
    *model = kept;
    left_out
}

/// The YAML files of the export: `emit`'s, and `ignore.yaml` when something was left out.
fn export_files(model: &Model, left_out: &[LeftOut]) -> BTreeMap<String, String> {
    let mut files = crate::emit(model, "switchboard.schema.json");
    if !left_out.is_empty() {
        let ignore = ignore_file(left_out, "switchboard.schema.json");
        files.insert("ignore.yaml".to_owned(), ignore);
    }
    files
}

fn node(keys: &[(Key, KeyAction)]) -> IvrNode {
    IvrNode {
        prompt: Prompt::Say {
            text: "Hello.".into(),
            voice: crate::model::DEFAULT_VOICE.into(),
            speed: 0,
        },
        barge_in: true,
        loop_count: 1,
        delay_ms: 0,
        keypress_timeout: 5,
        keys: keys.iter().cloned().collect(),
    }
}

fn number(route: Option<NumberRoute>) -> Number {
    Number {
        nickname: None,
        route,
        allow_outbound_calls: false,
        record_outbound_calls: false,
        all_groups_can_call_out: None,
    }
}

fn agent(name: &str) -> crate::model::Agent {
    crate::model::Agent {
        name: name.into(),
        routing: crate::model::AgentRouting::App,
        phone_number: None,
        out_of_hours_callout: None,
    }
}

/// A live project with every state a spec cannot describe, and one of each that it can.
fn brownfield() -> Model {
    let mut model = Model::default();
    let mut routed = Queue::default();
    routed
        .routing
        .insert("sales".into(), Routing { primary: true });
    model.queues.insert("sales".into(), routed);
    model.queues.insert("limbo".into(), Queue::default());
    model.groups.insert("sales".into(), Default::default());
    model.ivr.insert(
        "draft".into(),
        IvrTree {
            start: String::new(),
            nodes: BTreeMap::new(),
        },
    );
    let queue = |q: &str| KeyAction::Queue { queue: q.into() };
    model.ivr.insert(
        "main".into(),
        IvrTree {
            start: "menu".into(),
            nodes: BTreeMap::from([(
                "menu".into(),
                node(&[(Key::D1, queue("sales")), (Key::D2, queue("limbo"))]),
            )]),
        },
    );
    model.numbers.insert("841".into(), number(None));
    model
        .numbers
        .insert("842".into(), number(Some(NumberRoute::Ivr("draft".into()))));
    model.numbers.insert(
        "843".into(),
        number(Some(NumberRoute::Queue("limbo".into()))),
    );
    model
        .numbers
        .insert("844".into(), number(Some(NumberRoute::Ivr("main".into()))));
    model
}

/// True when `policy` ignores the object at `address` (an address as plans print it).
fn ignores(policy: &crate::Policy, address: &str) -> bool {
    policy.is_ignored(&address.parse().expect("an address"))
}

/// Loads the YAML files of an export as `validate` would, asserting it has no error.
fn load_export(files: &BTreeMap<String, String>) -> crate::Spec {
    let sources: Vec<crate::Source> = files
        .iter()
        .filter(|(name, _)| name.ends_with(".yaml"))
        .map(|(name, text)| crate::Source {
            path: name.clone(),
            text: text.clone(),
        })
        .collect();
    let loaded = crate::load(&sources, &|_| Err("no files".to_owned()));
    assert_eq!(loaded.errors(), 0, "{:#?}", loaded.diagnostics);
    loaded.spec.expect("a spec without errors")
}

#[test]
fn what_a_spec_cannot_describe_is_left_out_and_ignored() {
    let mut model = brownfield();
    let left_out = make_expressible(&mut model);
    let addresses: Vec<String> = left_out.iter().map(|l| l.address.to_string()).collect();
    assert_eq!(
        addresses,
        [
            "ivr_key.main/menu/2",
            "ivr_tree.draft",
            "number.841",
            "number.842",
            "number.843"
        ]
    );
    assert_eq!(model.numbers.keys().collect::<Vec<_>>(), ["844"]);
    assert_eq!(model.ivr.keys().collect::<Vec<_>>(), ["main"]);
    assert_eq!(
        model.ivr["main"].nodes["menu"]
            .keys
            .keys()
            .collect::<Vec<_>>(),
        [&Key::D1]
    );
    // The queue stays: nothing sends calls to it any more, which a spec allows.
    assert!(model.queues.contains_key("limbo"));

    let files = export_files(&model, &left_out);
    let spec = load_export(&files);
    assert_eq!(spec.model, model);
    for address in addresses {
        assert!(ignores(&spec.policy, &address), "{address}");
    }
    // Only those: the objects the export describes are managed.
    assert!(!ignores(&spec.policy, "number.844"));
    assert!(!ignores(&spec.policy, "ivr_key.main/menu/1"));
}

#[test]
fn names_a_spec_refuses_are_left_out_with_what_refers_to_them() {
    let mut model = brownfield();
    model.agents.insert("alice".into(), agent("Alice"));
    model.agents.insert("carol\u{200B}".into(), agent("Carol"));
    model.groups.get_mut("sales").unwrap().agents =
        ["alice".to_owned(), "carol\u{200B}".to_owned()].into();
    model.groups.insert("Sales ".into(), Default::default());
    let sales = model.queues.get_mut("sales").unwrap();
    sales
        .routing
        .insert("Sales ".into(), Routing { primary: false });
    let mut odd_only = Queue::default();
    odd_only
        .routing
        .insert("Sales ".into(), Routing { primary: true });
    model.queues.insert("odd-only".into(), odd_only);
    model.queues.insert("\u{202E}evil".into(), Queue::default());
    let goto = |n: &str| KeyAction::Goto { node: n.into() };
    let queue = |q: &str| KeyAction::Queue { queue: q.into() };
    let main = model.ivr.get_mut("main").unwrap();
    let menu = main.nodes.get_mut("menu").unwrap();
    menu.keys.insert(Key::D3, goto("\tnode"));
    menu.keys.insert(Key::D4, queue("\u{202E}evil"));
    menu.keys.insert(Key::D5, queue("odd-only"));
    main.nodes.insert("\tnode".into(), node(&[]));
    model.ivr.insert(
        "bom\u{FEFF}".into(),
        IvrTree {
            start: "menu".into(),
            nodes: BTreeMap::from([("menu".into(), node(&[]))]),
        },
    );
    model.ivr.insert(
        "headless".into(),
        IvrTree {
            start: "start ".into(),
            nodes: BTreeMap::from([("start ".into(), node(&[]))]),
        },
    );
    for (digits, route) in [
        ("845 ", NumberRoute::Ivr("main".into())),
        ("846", NumberRoute::Ivr("bom\u{FEFF}".into())),
        ("847", NumberRoute::Ivr("headless".into())),
        ("848", NumberRoute::Queue("\u{202E}evil".into())),
        ("849", NumberRoute::Queue("odd-only".into())),
    ] {
        model.numbers.insert(digits.into(), number(Some(route)));
    }

    let left_out = make_expressible(&mut model);
    let addresses: Vec<String> = left_out.iter().map(|l| l.address.to_string()).collect();
    assert_eq!(
        addresses,
        [
            "agent.carol%E2%80%8B",
            "group.Sales ",
            "ivr_key.main/menu/2",
            "ivr_key.main/menu/3",
            "ivr_key.main/menu/4",
            "ivr_key.main/menu/5",
            "ivr_node.main/%09node",
            "ivr_tree.bom%EF%BB%BF",
            "ivr_tree.draft",
            "ivr_tree.headless",
            "number.841",
            "number.842",
            "number.843",
            "number.845 ",
            "number.846",
            "number.847",
            "number.848",
            "number.849",
            "queue.%E2%80%AEevil",
        ]
    );
    let reason = |address: &str| {
        &left_out
            .iter()
            .find(|l| l.address.to_string() == address)
            .unwrap()
            .reason
    };
    assert!(reason("group.Sales ").contains("`moved:`"));
    assert!(!reason("agent.carol%E2%80%8B").contains("moved"));
    assert!(reason("number.849").contains("whose only routing is to a group the export"));
    // What stays loses its references to what was left out, and nothing else.
    assert_eq!(model.groups["sales"].agents, ["alice".to_owned()].into());
    assert_eq!(
        model.queues["sales"].routing.keys().collect::<Vec<_>>(),
        ["sales"]
    );
    assert!(model.queues["odd-only"].routing.is_empty());
    assert_eq!(model.ivr.keys().collect::<Vec<_>>(), ["main"]);
    assert_eq!(
        model.ivr["main"].nodes["menu"]
            .keys
            .keys()
            .collect::<Vec<_>>(),
        [&Key::D1]
    );

    let files = export_files(&model, &left_out);
    let ignore = &files["ignore.yaml"];
    // Invisible characters show, percent-encoded in the patterns (as plans print
    // addresses) and escaped in the comments.
    assert!(
        ignore.contains("  - \"ivr_tree.bom%EF%BB%BF\"\n"),
        "{ignore}"
    );
    assert!(
        ignore.contains("  # ivr_tree.bom%EF%BB%BF: is named \"bom\\u{feff}\""),
        "{ignore}"
    );
    assert!(
        !ignore.contains('\u{FEFF}') && !ignore.contains('\u{202E}'),
        "{ignore}"
    );
    let spec = load_export(&files);
    assert_eq!(spec.model, model);
    for address in addresses {
        assert!(ignores(&spec.policy, &address), "{address}");
    }
    assert!(!ignores(&spec.policy, "group.Sales"));
    assert!(!ignores(&spec.policy, "queue.evil"));
}

#[test]
fn audio_with_a_name_a_spec_refuses_is_exported_under_its_file_name() {
    use crate::model::{Audio, AudioId};
    let mut model = brownfield();
    let id = AudioId::ServerFile("a1b2.mp3".into());
    model.audio.insert(
        id.clone(),
        Audio {
            name: "hold music ".into(),
            file: None,
        },
    );
    model.queues.get_mut("sales").unwrap().hold_greeting = Some(id);
    let left_out = make_expressible(&mut model);
    assert!(!left_out.iter().any(|l| l.address.kind() == Kind::Audio));
    let files = export_files(&model, &left_out);
    assert!(
        files["audio.yaml"].contains("a1b2.mp3"),
        "{}",
        files["audio.yaml"]
    );
    assert!(
        !files["audio.yaml"].contains("hold music"),
        "{}",
        files["audio.yaml"]
    );
    load_export(&files);
}

#[test]
fn ignore_file_says_why_and_survives_hostile_names() {
    let left_out = vec![
        LeftOut {
            address: Address::Number("841".into()),
            reason: "routes calls nowhere".into(),
        },
        LeftOut {
            address: Address::IvrTree("a\nb \"c\" d/e".into()),
            reason: "has no nodes".into(),
        },
    ];
    let text = ignore_file(&left_out, "switchboard.schema.json");
    assert!(
        text.contains("  # number.841: routes calls nowhere\n  - \"number.841\"\n"),
        "{text}"
    );
    let loaded = crate::load(
        &[crate::Source {
            path: "ignore.yaml".into(),
            text,
        }],
        &|_| Err("no files".to_owned()),
    );
    assert_eq!(loaded.errors(), 0, "{:#?}", loaded.diagnostics);
    let policy = loaded.spec.unwrap().policy;
    // The line break is percent-encoded in the address, and the pattern still covers it.
    assert_eq!(policy.ignore, ["number.841", "ivr_tree.a%0Ab \"c\" d%2Fe"]);
    assert!(policy.is_ignored(&Address::IvrTree("a\nb \"c\" d/e".into())));
}

/// Values the loader refuses, as a live project can hold them (set in a web console, or by
/// another tool): each object is left out with what refers to it, instead of failing the
/// whole export, and what is left loads back.
#[test]
fn values_a_spec_refuses_are_left_out_with_what_refers_to_them() {
    use crate::model::{Agent, AgentRouting, Audio, AudioId, CallSettings, Sensitive};
    let mut model = brownfield();
    model.settings = Some(CallSettings {
        event_url: Some(Sensitive::new("ftp://user:hunter2@crm.example/events")),
        ..CallSettings::default()
    });
    let bad_hex = AudioId::Sha256("not-a-digest".into());
    let audio = Audio {
        name: "hold".into(),
        file: None,
    };
    model.audio.insert(bad_hex.clone(), audio);
    model.agents.insert(
        "dave".into(),
        Agent {
            name: "Dave".into(),
            routing: AgentRouting::Phone,
            phone_number: Some("+84 912 345 678".into()),
            out_of_hours_callout: None,
        },
    );
    model.agents.insert(
        "erin".into(),
        Agent {
            name: "Erin".into(),
            routing: AgentRouting::Phone,
            phone_number: None,
            out_of_hours_callout: None,
        },
    );
    model.groups.get_mut("sales").unwrap().agents = ["dave".to_owned(), "erin".to_owned()].into();
    let mut tiny = model.queues["sales"].clone();
    tiny.maximum_queue_size = 0;
    model.queues.insert("tiny".into(), tiny);
    let mut hold = model.queues["sales"].clone();
    hold.hold_greeting = Some(bad_hex.clone());
    model.queues.insert("hold".into(), hold);
    let mut odd = model.queues["sales"].clone();
    odd.cond_routing = 7;
    model.queues.insert("odd".into(), odd);
    let main = model.ivr.get_mut("main").unwrap();
    let menu = main.nodes.get_mut("menu").unwrap();
    let queue = |q: &str| KeyAction::Queue { queue: q.into() };
    menu.keys.insert(Key::D3, queue("tiny"));
    menu.keys.insert(
        Key::D4,
        KeyAction::Goto {
            node: "fast".into(),
        },
    );
    menu.keys.insert(
        Key::D5,
        KeyAction::Forward {
            to: "0912-345".into(),
            caller_id: None,
        },
    );
    let mut fast = node(&[]);
    fast.prompt = Prompt::Say {
        text: "Quick!".into(),
        voice: crate::model::DEFAULT_VOICE.into(),
        speed: 9,
    };
    main.nodes.insert("fast".into(), fast);
    let mut silent = node(&[]);
    silent.loop_count = 0;
    model.ivr.insert(
        "silent".into(),
        IvrTree {
            start: "menu".into(),
            nodes: BTreeMap::from([("menu".into(), silent)]),
        },
    );
    for (digits, route) in [
        ("8485", NumberRoute::Queue("odd".into())),
        ("8486", NumberRoute::Ivr("silent".into())),
        ("84-87", NumberRoute::Ivr("main".into())),
    ] {
        model.numbers.insert(digits.into(), number(Some(route)));
    }

    let live = model.clone();
    let left_out = make_expressible(&mut model);
    let reasons: BTreeMap<String, &str> = left_out
        .iter()
        .map(|l| (l.address.to_string(), l.reason.as_str()))
        .collect();
    for (address, reason) in [
        (
            "settings",
            "has `event_url` set to something other than an http(s) URL",
        ),
        ("audio.hold", "\"not-a-digest\", which is not a SHA-256"),
        (
            "agent.dave",
            "`phone_number` \"+84 912 345 678\", which is not a phone number",
        ),
        ("agent.erin", "is reached by phone but has no phone number"),
        (
            "queue.tiny",
            "has `maximum_queue_size` 0, and a spec needs at least 1",
        ),
        (
            "queue.hold",
            "plays audio `sha256:not-a-digest` to its callers",
        ),
        ("queue.odd", "has `cond_routing` 7, and a spec needs 1 or 2"),
        (
            "ivr_node.main/fast",
            "has `speed` 9, and a spec needs -3 to 3",
        ),
        (
            "ivr_key.main/menu/3",
            "sends calls to queue \"tiny\", which the export leaves out",
        ),
        (
            "ivr_key.main/menu/4",
            "goes to node \"fast\", which the export leaves out",
        ),
        (
            "ivr_key.main/menu/5",
            "forwards calls to \"0912-345\", which is not a phone number",
        ),
        (
            "ivr_tree.silent",
            "starts at node \"menu\", which has `loop_count` 0",
        ),
        (
            "number.8485",
            "sends calls to queue \"odd\", which the export leaves out",
        ),
        (
            "number.8486",
            "routes calls to IVR tree \"silent\", which the export leaves out",
        ),
        (
            "number.84-87",
            "is not a phone number a spec accepts (3 to 15 digits)",
        ),
    ] {
        let found = reasons
            .get(address)
            .unwrap_or_else(|| panic!("{address}: {reasons:#?}"));
        assert!(found.contains(reason), "{address}: {found}");
    }
    // The credential in the refused URL is never shown.
    assert!(!left_out.iter().any(|l| l.reason.contains("hunter2")));
    // What stays is the live object, less its references to what went.
    assert_eq!(model.settings, None);
    assert_eq!(model.groups["sales"].agents, Default::default());
    assert_eq!(model.queues["sales"], live.queues["sales"]);
    assert_eq!(model.ivr["main"].nodes.keys().collect::<Vec<_>>(), ["menu"]);

    let files = export_files(&model, &left_out);
    let spec = load_export(&files);
    assert_eq!(spec.model, model);
    for l in &left_out {
        if l.address != Address::Settings {
            assert!(spec.policy.is_ignored(&l.address), "{}", l.address);
        }
    }
    // `ignore:` cannot name the settings: the file says why in a comment, and the spec,
    // without `settings:`, leaves them alone.
    let ignore = &files["ignore.yaml"];
    assert!(
        ignore.contains("  # settings: has `event_url` set to"),
        "{ignore}"
    );
    assert!(!ignore.contains("- \"settings\""), "{ignore}");
}
