//! A brownfield project, made through the REST API directly (plain HTTP, tokens signed by the
//! test), never through switchboard: 330 agents over four list pages, groups with members (one
//! with 150, over two pages), queues with primary and overflow routing and greetings, an IVR
//! tree with loops, a forward and a hang-up, numbers, audio uploaded by hand and by
//! switchboard, and call settings.

use e2e::Pcc;
use serde_json::json;
use sha2::{Digest as _, Sha256};

/// Server ids of the objects tests change out of band.
#[derive(Debug)]
pub struct Ids {
    pub support_queue: String,
    pub menu_node: String,
}

pub const AGENTS: usize = 330;

pub fn build(pcc: &Pcc) -> Ids {
    let agents: Vec<String> = (1..=AGENTS)
        .map(|i| {
            let user = format!("agent-{i:03}");
            if i % 50 == 0 {
                pcc.create(
                    "/v1/agent",
                    json!({
                        "stringee_user_id": user,
                        "name": format!("Field Agent {i}"),
                        "routing_type": 2,
                        "phone_number": format!("8490999{i:04}"),
                    }),
                    "agentID",
                )
            } else {
                pcc.agent(&user, &format!("Agent {i:03}"))
            }
        })
        .collect();

    let sales = pcc.group("sales");
    let support = pcc.group("support");
    let vip = pcc.group("vip");
    pcc.group("night-shift"); // no members
    for agent in &agents[..40] {
        pcc.member(&sales, agent);
    }
    for agent in &agents[40..190] {
        pcc.member(&support, agent);
    }
    for agent in &agents[190..195] {
        pcc.member(&vip, agent);
    }

    // One file uploaded by hand (known by its server name), one by switchboard (its desc
    // carries the content hash).
    let hold = pcc.upload("hold music, final v2", b"ID3 hold music bytes");
    let welcome_bytes = b"ID3 welcome bytes";
    let hex: String = Sha256::digest(welcome_bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let welcome = pcc.upload(
        &format!("switchboard name=welcome sha256={hex}"),
        welcome_bytes,
    );

    let sales_queue = pcc.queue("sales", json!({}));
    let support_queue = pcc.queue(
        "support",
        json!({
            "wrap_up_time_limit": 30,
            "wait_agent_answer_timeout": 20,
            "wait_greeting": welcome,
            "hold_greeting": hold,
            "from_number_callout_to_agent": "842473082686",
            "record_calls": 0,
        }),
    );
    pcc.routing(&sales_queue, &sales, true);
    pcc.routing(&support_queue, &support, true);
    pcc.routing(&support_queue, &vip, false);

    let tree = pcc.tree("main");
    let menu = pcc.say_node(
        &tree,
        "menu",
        "Welcome. For sales, press 1. For support, press 2.",
        json!({ "loop_count": 2 }),
    );
    let sales_menu = pcc.say_node(
        &tree,
        "sales-menu",
        "Sales. Press 1 to talk to us, 9 for the main menu.",
        json!({ "voice": "en_us_female", "speed": 1, "keypress_timeout": 8 }),
    );
    let goodbye = pcc.create(
        "/v1/ivrnode",
        json!({
            "tree": tree, "node_name": "goodbye", "node_play_mode": "play",
            "node_play_content": hold, "bargeIn": 0,
        }),
        "ivrNodeID",
    );
    pcc.key_press(&menu, "1", 4, json!({ "next_node": sales_menu }));
    pcc.key_press(&menu, "2", 2, json!({ "queue_id": support_queue }));
    pcc.key_press(
        &menu,
        "0",
        3,
        json!({ "to_phone_number": "84909992666", "from_number_callout_to_agent": "842473082686" }),
    );
    pcc.key_press(&menu, "EMPTY_KEY", 2, json!({ "queue_id": support_queue }));
    pcc.key_press(&menu, "INVALID_KEY", 4, json!({ "next_node": menu }));
    pcc.key_press(&sales_menu, "1", 2, json!({ "queue_id": sales_queue }));
    pcc.key_press(&sales_menu, "9", 4, json!({ "next_node": menu }));
    pcc.key_press(&sales_menu, "EMPTY_KEY", 4, json!({ "next_node": goodbye }));
    pcc.key_press(&goodbye, "EMPTY_KEY", 6, json!({}));

    pcc.number(
        "842473082686",
        json!({ "nickname": "Hotline", "enable_ivr": true, "ivr_menu": tree, "allow_outbound_calls": true }),
    );
    pcc.number(
        "842473082888",
        json!({ "nickname": "Support line", "queue_id": support_queue, "record_outbound_calls": 1 }),
    );
    pcc.put(
        "/v1/callsettings",
        json!({
            "event_url": "https://crm.example.com/stringee/events",
            "get_customer_info_url": "https://crm.example.com/stringee/customer",
            "get_customer_info_timeout": 3000,
        }),
    );
    Ids {
        support_queue,
        menu_node: menu,
    }
}
