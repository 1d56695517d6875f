//! The account API on the Call API host: the project and the account's numbers, their answer
//! and event URLs (the PCC wiring), account-key auth, and the link between PCC's numbers and
//! the account's.

use serde_json::{Value, json};

use crate::support::*;

async fn pcc_number(pcc: &Pcc, digits: &str) -> String {
    pcc.create(
        "/v1/number",
        json!({ "number": digits, "allow_outbound_calls": 1, "enable_ivr": 0 }),
        "numberID",
    )
    .await
}

/// An account call that must answer HTTP 200 and `r:0`.
async fn ok(pcc: &Pcc, method: &str, path: &str, body: Option<Value>) -> Value {
    let (status, answer) = pcc.account(method, path, body.as_ref()).await;
    assert_eq!(
        (status, &answer["r"]),
        (200, &json!(0)),
        "{method} {path}: {answer}"
    );
    assert_eq!(answer["account_sid"], ACCOUNT_SID, "{answer}");
    answer
}

#[tokio::test]
async fn a_number_added_to_pcc_is_in_the_account_wired_to_pcc() {
    let pcc = Pcc::start().await;
    pcc_number(&pcc, "842473082686").await;
    let answer = ok(&pcc, "GET", "/v1/number", None).await;
    assert_eq!(answer["message"], "Load number success");
    insta::assert_json_snapshot!(answer["data"], @r#"
    {
      "activePage": 1,
      "numbers": [
        {
          "account": 1,
          "answer_url": "http://v2.stringee.com:8282/answer_url",
          "event_url": "http://v2.stringee.com:8282/event_url",
          "id": 1,
          "phone_number": "842473082686",
          "project_id": 1,
          "project_name": "Project 1"
        }
      ],
      "totalCount": 1,
      "totalPages": 1
    }
    "#);
    let project = ok(&pcc, "GET", "/v1/project", None).await;
    insta::assert_json_snapshot!(project["data"], @r#"
    {
      "activePage": 1,
      "projects": [
        {
          "answer_url": "http://v2.stringee.com:8282/project_answer_url",
          "callback_url": "http://v2.stringee.com:8282/project_event_url",
          "id": 1,
          "name": "Project 1"
        }
      ],
      "totalCount": 1,
      "totalPages": 1
    }
    "#);

    // Deleting it from PCC leaves it in the account (it is still bought); adding it again
    // links to the same account number.
    let id = pcc.get("/v1/number").await["data"]["numbers"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(pcc.delete(&format!("/v1/number/{id}")).await["r"], 0);
    assert_eq!(
        ok(&pcc, "GET", "/v1/number", None).await["data"]["totalCount"],
        1
    );
    pcc_number(&pcc, "842473082686").await;
    let again = ok(&pcc, "GET", "/v1/number", None).await;
    assert_eq!(again["data"]["totalCount"], 1);
    assert_eq!(again["data"]["numbers"][0]["id"], 1);
}

#[tokio::test]
async fn an_unwired_emulator_starts_with_no_urls() {
    let pcc = Pcc::with(emulator::Config {
        wiring: emulator::Wiring::Unset,
        ..config()
    })
    .await;
    pcc_number(&pcc, "842473082686").await;
    let wiring = pcc.emu.wiring();
    assert_eq!(wiring["project"]["answer_url"], Value::Null, "{wiring}");
    assert_eq!(wiring["project"]["callback_url"], Value::Null, "{wiring}");
    assert_eq!(wiring["numbers"][0]["answer_url"], Value::Null, "{wiring}");
    assert_eq!(wiring["numbers"][0]["event_url"], Value::Null, "{wiring}");
}

#[tokio::test]
async fn the_account_number_list_pages_ten_at_a_time_and_filters_by_project() {
    let pcc = Pcc::start().await;
    for i in 0..12 {
        pcc_number(&pcc, &format!("8490000{i:04}")).await;
    }
    let first = ok(&pcc, "GET", "/v1/number", None).await;
    let data = &first["data"];
    assert_eq!(
        data["numbers"].as_array().unwrap().len(),
        10,
        "default limit 10"
    );
    assert_eq!(
        (
            &data["totalCount"],
            &data["totalPages"],
            &data["activePage"]
        ),
        (&json!(12), &json!(2), &json!(1))
    );
    let second = ok(&pcc, "GET", "/v1/number?page=2", None).await;
    let ids: Vec<i64> = second["data"]["numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [11, 12]);
    let big = ok(&pcc, "GET", "/v1/number?limit=500", None).await;
    assert_eq!(
        big["data"]["numbers"].as_array().unwrap().len(),
        12,
        "limit clamped to 100"
    );
    assert_eq!(
        ok(&pcc, "GET", "/v1/number?project_id=1", None).await["data"]["totalCount"],
        12
    );
    assert_eq!(
        ok(&pcc, "GET", "/v1/number?project_id=99", None).await["data"]["totalCount"],
        0
    );
    let (status, bad) = pcc.account("GET", "/v1/number?project_id=x", None).await;
    assert_eq!((status, &bad["r"]), (200, &json!(1)), "{bad}");
}

#[tokio::test]
async fn put_number_sets_its_urls_and_checks_the_project() {
    let pcc = Pcc::start().await;
    pcc_number(&pcc, "842473082686").await;
    let answer = ok(
        &pcc,
        "PUT",
        "/v1/number/1",
        Some(json!({ "project_id": 1, "answer_url": "https://crm.example.com/answer", "event_url": "https://crm.example.com/event" })),
    )
    .await;
    assert_eq!(answer["message"], "Update number success");
    let number = &ok(&pcc, "GET", "/v1/number", None).await["data"]["numbers"][0];
    assert_eq!(number["answer_url"], "https://crm.example.com/answer");
    assert_eq!(number["event_url"], "https://crm.example.com/event");

    // Partial (every field is optional in the docs), `project_id` as a string too (the docs
    // type it as one), `null` clears a URL.
    ok(
        &pcc,
        "PUT",
        "/v1/number/1",
        Some(json!({ "project_id": "1", "event_url": null })),
    )
    .await;
    let number = &ok(&pcc, "GET", "/v1/number", None).await["data"]["numbers"][0];
    assert_eq!(number["answer_url"], "https://crm.example.com/answer");
    assert_eq!(number["event_url"], Value::Null);

    for (path, body, r, needle) in [
        (
            "/v1/number/1",
            json!({ "project_id": 99 }),
            3,
            "project `99`",
        ),
        (
            "/v1/number/1",
            json!({ "project_id": true }),
            1,
            "project_id",
        ),
        ("/v1/number/1", json!({ "answer_url": 5 }), 1, "answer_url"),
        ("/v1/number/7", json!({ "answer_url": "x" }), 3, "`7`"),
        // PCC's ids are not the account's.
        (
            "/v1/number/NU_ABCDEFGHIJKLMNOP",
            json!({ "answer_url": "x" }),
            3,
            "integers",
        ),
        (
            "/v1/number/842473082686",
            json!({ "answer_url": "x" }),
            3,
            "842473082686",
        ),
    ] {
        let (status, answer) = pcc.account("PUT", path, Some(&body)).await;
        assert_eq!(status, 200);
        assert_refused(&answer, r, &[needle]);
    }
    // Nothing refused changed anything.
    let number = &ok(&pcc, "GET", "/v1/number", None).await["data"]["numbers"][0];
    assert_eq!(
        (&number["project_id"], &number["answer_url"]),
        (&json!(1), &json!("https://crm.example.com/answer"))
    );
}

#[tokio::test]
async fn the_project_is_read_one_by_one_and_updated_through_callback_url() {
    let pcc = Pcc::start().await;
    let one = ok(&pcc, "GET", "/v1/project/1", None).await;
    assert_eq!(one["data"]["id"], 1);
    let answer = ok(
        &pcc,
        "PUT",
        "/v1/project/1",
        Some(json!({ "answer_url": "https://crm.example.com/a", "callback_url": "https://crm.example.com/e" })),
    )
    .await;
    assert_eq!(answer["data"]["callback_url"], "https://crm.example.com/e");
    let listed = ok(&pcc, "GET", "/v1/project?name=Project%201", None).await;
    assert_eq!(
        listed["data"]["projects"][0]["answer_url"],
        "https://crm.example.com/a"
    );
    assert_eq!(
        ok(&pcc, "GET", "/v1/project?name=other", None).await["data"]["totalCount"],
        0
    );

    // The project's event URL is `callback_url`: `event_url` would be silently ignored by a
    // lenient server, so it is refused.
    let (_, refused) = pcc
        .account(
            "PUT",
            "/v1/project/1",
            Some(&json!({ "event_url": "https://x" })),
        )
        .await;
    assert_refused(&refused, 1, &["callback_url"]);
    let (_, refused) = pcc
        .account("PUT", "/v1/project/1", Some(&json!({ "name": "" })))
        .await;
    assert_refused(&refused, 1, &["name"]);
    let (_, refused) = pcc.account("GET", "/v1/project/2", None).await;
    assert_refused(&refused, 3, &["`2`"]);
    let (_, refused) = pcc
        .account("POST", "/v1/project", Some(&json!({ "name": "New" })))
        .await;
    assert_refused(&refused, 1, &["one project"]);
    assert_eq!(
        pcc.emu.wiring()["project"]["callback_url"],
        "https://crm.example.com/e"
    );
}

/// A third-party client given two base URLs: a trailing slash on PCC, the wiring through the
/// account API on the Call API, and the same account call sent to PCC by mistake.
#[tokio::test]
async fn a_third_party_sequence_wires_a_number_through_the_call_api_only() {
    let pcc = Pcc::with(emulator::Config {
        wiring: emulator::Wiring::Unset,
        ..config()
    })
    .await;
    let created = pcc
        .post(
            "/v1/number/",
            json!({ "number": "842473082686", "nickname": "Hotline", "allow_outbound_calls": 1, "enable_ivr": 0 }),
        )
        .await;
    assert_eq!(created["r"], 0, "{created}");
    let (_, list) = pcc.account("GET", "/v1/number/?project_id=1", None).await;
    let id = list["data"]["numbers"][0]["id"].as_i64().unwrap();
    let wire = json!({
        "project_id": 1,
        "answer_url": emulator::PCC_NUMBER_ANSWER_URL,
        "event_url": emulator::PCC_NUMBER_EVENT_URL,
    });

    // Sent to PCC (with PCC's id or the account's), it does not pass for a success.
    let pcc_id = created["numberID"].as_str().unwrap();
    for path in [format!("/v1/number/{pcc_id}"), format!("/v1/number/{id}")] {
        let (status, answer) = pcc.call("PUT", &path, Some(&wire)).await;
        assert_eq!(status, 200);
        assert_ne!(answer["r"], 0, "PUT {path} on PCC: {answer}");
    }
    assert_eq!(pcc.emu.wiring()["numbers"][0]["answer_url"], Value::Null);

    // On the Call API it wires the number.
    let (status, answer) = pcc
        .account("PUT", &format!("/v1/number/{id}/"), Some(&wire))
        .await;
    assert_eq!((status, &answer["r"]), (200, &json!(0)), "{answer}");
    let number = &pcc.emu.wiring()["numbers"][0];
    assert_eq!(number["answer_url"], emulator::PCC_NUMBER_ANSWER_URL);
    assert_eq!(number["event_url"], emulator::PCC_NUMBER_EVENT_URL);
    // PCC's own view of the number did not change.
    let pcc_number = &pcc.get("/v1/number").await["data"]["numbers"][0];
    assert_eq!(pcc_number["nickname"], "Hotline");
    assert!(pcc_number.get("answer_url").is_none(), "{pcc_number}");
}

#[tokio::test]
async fn the_account_survives_a_restart_and_an_old_state_file_gains_it() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("pcc.db");
    let config = || emulator::Config {
        state: Some(state.clone()),
        ..config()
    };
    let pcc = Pcc::with(config()).await;
    pcc_number(&pcc, "842473082686").await;
    pcc.account(
        "PUT",
        "/v1/number/1",
        Some(&json!({ "answer_url": "https://elsewhere" })),
    )
    .await;
    pcc.emu.shutdown().await;

    let pcc = Pcc::with(config()).await;
    let number = &pcc.emu.wiring()["numbers"][0];
    assert_eq!(number["answer_url"], "https://elsewhere", "{number}");
    pcc.emu.shutdown().await;

    // A state file written before the account API existed holds PCC's numbers only.
    let db = rusqlite::Connection::open(&state).unwrap();
    db.execute(
        "DELETE FROM object WHERE kind IN ('project', 'accountnumber')",
        [],
    )
    .unwrap();
    drop(db);
    let pcc = Pcc::with(config()).await;
    let wiring = pcc.emu.wiring();
    assert_eq!(
        wiring["numbers"][0]["phone_number"], "842473082686",
        "{wiring}"
    );
    assert_eq!(
        wiring["numbers"][0]["answer_url"],
        emulator::PCC_NUMBER_ANSWER_URL
    );
    assert_eq!(wiring["project"]["id"], 1);
}
