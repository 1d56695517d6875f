//! Model objects back into request bodies: what a create leaves out, what an update clears.

use std::collections::BTreeMap;

use pcc::encode::{Unset, key_body, node_body, number_body, queue_body};
use serde_json::{Value, json};
use spec::model::{AudioId, IvrNode, Key, KeyAction, Number, NumberRoute, Prompt, Queue};

fn to_json<T: serde::Serialize>(t: &T) -> Value {
    serde_json::to_value(t).unwrap()
}

#[test]
fn key_update_clears_the_fields_of_other_actions() {
    let forward = KeyAction::Forward {
        to: "84909992666".into(),
        caller_id: None,
    };
    assert_eq!(
        to_json(&key_body(None, Key::D0, &forward, None, Unset::Clear)),
        json!({"action": 3, "to_phone_number": "84909992666", "from_number_callout_to_agent": "",
               "next_node": "", "queue_id": ""})
    );
    assert_eq!(
        to_json(&key_body(
            Some("NO_1"),
            Key::Timeout,
            &KeyAction::Goto {
                node: "menu".into()
            },
            Some("NO_2"),
            Unset::Omit
        )),
        json!({"node": "NO_1", "node_key": "EMPTY_KEY", "action": 4, "next_node": "NO_2"})
    );
}

#[test]
fn number_routes_become_enable_ivr_and_one_target() {
    let number = Number {
        nickname: None,
        route: Some(NumberRoute::Queue("support".into())),
        allow_outbound_calls: true,
        record_outbound_calls: false,
        all_groups_can_call_out: None,
    };
    assert_eq!(
        to_json(&number_body(None, &number, Some("QU_1"), Unset::Clear)),
        json!({"nickname": "", "allow_outbound_calls": true, "enable_ivr": false,
               "ivr_menu": "", "queue_id": "QU_1", "record_outbound_calls": false})
    );
    let ivr = Number {
        route: Some(NumberRoute::Ivr("main".into())),
        ..number
    };
    assert_eq!(
        to_json(&number_body(Some("8424"), &ivr, Some("TR_1"), Unset::Omit)),
        json!({"number": "8424", "allow_outbound_calls": true, "enable_ivr": true,
               "ivr_menu": "TR_1", "record_outbound_calls": false})
    );
}

#[test]
fn audio_must_be_resolved_to_a_server_file() {
    let welcome = AudioId::Sha256("ab".repeat(32));
    let queue = Queue {
        wait_greeting: Some(welcome.clone()),
        ..Queue::default()
    };
    assert_eq!(
        queue_body("q", &queue, &BTreeMap::new(), Unset::Omit),
        Err(welcome.clone())
    );
    let files = BTreeMap::from([(welcome.clone(), "WELCOME-1.mp3".to_owned())]);
    let body = queue_body("q", &queue, &files, Unset::Omit).unwrap();
    assert_eq!(body.wait_greeting.as_deref(), Some("WELCOME-1.mp3"));
    assert_eq!(body.hold_greeting, None);

    let node = IvrNode {
        prompt: Prompt::Play { audio: welcome },
        barge_in: true,
        loop_count: 1,
        delay_ms: 0,
        keypress_timeout: 5,
        keys: BTreeMap::new(),
    };
    let body = node_body(Some("TR_1"), "menu", &node, &files).unwrap();
    assert_eq!(
        to_json(&body),
        json!({"tree": "TR_1", "node_name": "menu", "node_play_mode": "play",
               "node_play_content": "WELCOME-1.mp3", "bargeIn": true, "loop_count": 1,
               "sched": 0, "keypress_timeout": 5})
    );
}
