//! Addresses: every address reads back as the object it names, whatever the names hold;
//! `ignore:` patterns match an address encoded or as written; a rename reaches what names
//! the renamed object in its key.

use crate::address::{Address, Kind, Pattern};
use crate::model::Key;

/// One address of each kind, with names that hold what only live names can: `/`, `%`, a
/// terminal escape, a line break, a right-to-left override.
fn hostile_addresses() -> Vec<Address> {
    let name = |base: &str| format!("{base}/a%b\x1b[31m\n\u{202E}");
    vec![
        Address::Agent(name("agent")),
        Address::Group(name("group")),
        Address::Membership {
            group: name("g"),
            agent: name("a"),
        },
        Address::Audio(name("audio")),
        Address::Queue(name("queue")),
        Address::Routing {
            queue: name("q"),
            group: name("g"),
        },
        Address::IvrTree(name("tree")),
        Address::IvrNode {
            tree: name("t"),
            node: name("n"),
        },
        Address::IvrKey {
            tree: name("t"),
            node: name("n"),
            key: Key::Star,
        },
        Address::Number(name("84")),
        Address::Blacklist(name("84")),
        Address::Settings,
    ]
}

#[test]
fn every_address_is_one_printable_line_that_reads_back_as_its_object() {
    let all = hostile_addresses();
    assert_eq!(
        all.iter().map(Address::kind).collect::<Vec<_>>(),
        Kind::ALL,
        "one address of each kind, in kind order"
    );
    for address in &all {
        let text = address.to_string();
        assert!(
            text.chars().all(|c| !crate::text::is_hazard(c)),
            "{text:?} holds a hazard"
        );
        assert_eq!(text.parse::<Address>().as_ref(), Ok(address), "{text}");
        let kind = address.kind();
        if kind != Kind::Settings {
            assert_eq!(text, format!("{kind}.{}", address.name()));
        }
    }
    insta::assert_snapshot!(
        all.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
        @r"
    agent.agent%2Fa%25b%1B[31m%0A%E2%80%AE
    group.group%2Fa%25b%1B[31m%0A%E2%80%AE
    membership.g%2Fa%25b%1B[31m%0A%E2%80%AE/a%2Fa%25b%1B[31m%0A%E2%80%AE
    audio.audio%2Fa%25b%1B[31m%0A%E2%80%AE
    queue.queue%2Fa%25b%1B[31m%0A%E2%80%AE
    routing.q%2Fa%25b%1B[31m%0A%E2%80%AE/g%2Fa%25b%1B[31m%0A%E2%80%AE
    ivr_tree.tree%2Fa%25b%1B[31m%0A%E2%80%AE
    ivr_node.t%2Fa%25b%1B[31m%0A%E2%80%AE/n%2Fa%25b%1B[31m%0A%E2%80%AE
    ivr_key.t%2Fa%25b%1B[31m%0A%E2%80%AE/n%2Fa%25b%1B[31m%0A%E2%80%AE/*
    number.84%2Fa%25b%1B[31m%0A%E2%80%AE
    blacklist.84%2Fa%25b%1B[31m%0A%E2%80%AE
    settings
    "
    );
}

#[test]
fn text_that_is_no_address_is_refused() {
    for text in [
        "agent",
        "robot.r2",
        "group.a/b",
        "membership.sales",
        "ivr_key.main/menu/7x",
        "queue.50%",
        "settings.x",
    ] {
        assert!(text.parse::<Address>().is_err(), "{text}");
    }
}

#[test]
fn a_pattern_matches_the_address_encoded_or_as_written() {
    let group = Address::Group("sales/en".into());
    for pattern in [
        "group.sales/en",
        "group.sales%2Fen",
        "group.sales*",
        "*.sales?en",
    ] {
        assert!(Pattern::new(pattern).matches(&group), "{pattern}");
    }
    for pattern in [
        "group.sales",
        "queue.sales*",
        "group.sales/e",
        "group.sales%2F",
    ] {
        assert!(!Pattern::new(pattern).matches(&group), "{pattern}");
    }
    let node = Address::IvrNode {
        tree: "main".into(),
        node: "menu".into(),
    };
    assert!(Pattern::new("ivr_node.main/*").matches(&node));
    assert!(!Pattern::new("ivr_tree.main").matches(&node));
}

/// A partial read asks whether a pattern may match something under a parent before it reads
/// the parent's children, and which kinds a pattern can name at all.
#[test]
fn a_pattern_says_what_may_match_under_a_prefix_and_which_kinds() {
    let under = |pattern: &str, prefix: &str| Pattern::new(pattern).may_match_under(prefix);
    assert!(under("ivr_key.main/menu/1", "ivr_key.main/"));
    assert!(under("ivr_*.main/*", "ivr_node.main/"));
    assert!(under("*", "ivr_key.other/"));
    assert!(under("ivr_key.*/menu/1", "ivr_key.other/"));
    assert!(under("ivr_key.ma?n/*", "ivr_key.main/"));
    assert!(!under("ivr_key.main/*", "ivr_key.other/"));
    assert!(!under("ivr_tree.main", "ivr_node.main/"));
    assert!(!under("ivr_key.main", "ivr_key.main/"));
    assert!(!under("queue.*", "ivr_key."));

    let kinds = |pattern: &str| Pattern::new(pattern).kinds();
    assert_eq!(kinds("ivr_tree.main"), [Kind::IvrTree]);
    assert_eq!(
        kinds("ivr_*.main"),
        [Kind::IvrTree, Kind::IvrNode, Kind::IvrKey]
    );
    assert_eq!(kinds("settings"), [Kind::Settings]);
    assert_eq!(kinds("*.sales"), &Kind::ALL[..11]);
    assert_eq!(kinds("*"), Kind::ALL);
    assert_eq!(kinds("?roup.sales"), [Kind::Group]);
    assert!(kinds("nokind.x").is_empty());
}

#[test]
fn a_rename_reaches_what_names_the_renamed_object() {
    let (old, new) = (Address::Group("a".into()), Address::Group("b".into()));
    let routing = |group: &str| Address::Routing {
        queue: "a".into(),
        group: group.into(),
    };
    assert_eq!(old.renamed(&old, &new), Some(new.clone()));
    assert_eq!(routing("a").renamed(&old, &new), Some(routing("b")));
    let membership = Address::Membership {
        group: "a".into(),
        agent: "a".into(),
    };
    assert_eq!(
        membership.renamed(&old, &new),
        Some(Address::Membership {
            group: "b".into(),
            agent: "a".into()
        })
    );
    // The queue and the agent called `a` are other objects.
    assert_eq!(Address::Queue("a".into()).renamed(&old, &new), None);
    assert_eq!(Address::Agent("a".into()).renamed(&old, &new), None);

    let (old, new) = (Address::Queue("a".into()), Address::Queue("q".into()));
    assert_eq!(
        routing("a").renamed(&old, &new),
        Some(Address::Routing {
            queue: "q".into(),
            group: "a".into()
        })
    );

    let (old, new) = (Address::IvrTree("t".into()), Address::IvrTree("u".into()));
    let key = |tree: &str| Address::IvrKey {
        tree: tree.into(),
        node: "t".into(),
        key: Key::D1,
    };
    assert_eq!(key("t").renamed(&old, &new), Some(key("u")));
    assert_eq!(key("x").renamed(&old, &new), None);
}

#[test]
fn what_each_kind_allows() {
    let renamable: Vec<Kind> = Kind::ALL.into_iter().filter(|k| k.is_renamable()).collect();
    assert_eq!(renamable, [Kind::Group, Kind::Queue, Kind::IvrTree]);
    for kind in renamable {
        assert!(Address::named(kind, "x").is_some(), "{kind}");
    }
    assert_eq!(
        Kind::named_spellings(),
        [
            "agent",
            "audio",
            "blacklist",
            "group",
            "ivr_key",
            "ivr_node",
            "ivr_tree",
            "membership",
            "number",
            "queue",
            "routing"
        ]
    );
    let one_name: Vec<Kind> = Kind::ALL
        .into_iter()
        .filter(|k| Address::named(*k, "x").is_some())
        .collect();
    assert_eq!(
        one_name,
        [
            Kind::Agent,
            Kind::Group,
            Kind::Audio,
            Kind::Queue,
            Kind::IvrTree,
            Kind::Number,
            Kind::Blacklist
        ]
    );
    for kind in Kind::ALL {
        assert_eq!(kind.as_str().parse::<Kind>(), Ok(kind));
        if let Some(address) = Address::named(kind, "x") {
            assert_eq!(address.to_string(), format!("{kind}.x"));
        }
    }
}
