//! The account API's client against the emulator's Call API: the project's and its numbers'
//! URLs read through two lists, both URLs set by one `PUT` each, a project the account does not
//! hold and a wrong account key named for what they are; and against reshaped answers: digits
//! with a `+`, a number of another project in the filtered list, a list whose key is unknown.

use std::net::{Ipv4Addr, SocketAddr};

use axum::Router;
use axum::routing::get;
use pcc::account::{PCC_NUMBER_ANSWER_URL, PCC_NUMBER_EVENT_URL, Urls};
use pcc::{Account, Config, Credentials, Error};
use serde_json::json;

use crate::support::{SECRET, SID};

const ACCOUNT_SID: &str = "ACaccounttest000000000000000abc";
const ACCOUNT_SECRET: &str = "account-secret-for-the-pcc-tests";

async fn emulator(wiring: emulator::Wiring) -> emulator::Emulator {
    let config = emulator::Config {
        account_keys: vec![emulator::ApiKey {
            sid: ACCOUNT_SID.to_owned(),
            secret: ACCOUNT_SECRET.to_owned(),
        }],
        wiring,
        ..emulator::Config::new(vec![emulator::ApiKey {
            sid: SID.to_owned(),
            secret: SECRET.to_owned(),
        }])
    };
    emulator::spawn(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config)
        .await
        .unwrap()
}

fn account(call_api: &str, secret: &str) -> Account {
    let like = Config::with_endpoint(call_api, Credentials::new(SID, SECRET));
    Account::new(call_api, Credentials::new(ACCOUNT_SID, secret), &like).unwrap()
}

#[tokio::test]
async fn reads_and_wires_the_project_and_its_numbers() {
    let emu = emulator(emulator::Wiring::Unset).await;
    emu.set_wiring(&emulator::WiringChange {
        project: None,
        numbers: [
            ("842473082686".to_owned(), emulator::NumberWiring::default()),
            (
                "842473082888".to_owned(),
                emulator::NumberWiring {
                    answer_url: Some("https://old.example.com/answer".into()),
                    event_url: None,
                },
            ),
        ]
        .into(),
    })
    .unwrap();
    let account = account(&emu.call_api_url(), ACCOUNT_SECRET);
    let wiring = account.read("1").await.unwrap();
    assert_eq!(wiring.project_id, "1");
    assert_eq!(wiring.project, Urls::default());
    let numbers: Vec<(&str, &Urls)> = wiring
        .numbers
        .iter()
        .map(|(digits, (_, urls))| (digits.as_str(), urls))
        .collect();
    assert_eq!(
        numbers,
        vec![
            ("842473082686", &Urls::default()),
            (
                "842473082888",
                &Urls {
                    answer_url: Some("https://old.example.com/answer".into()),
                    event_url: None,
                }
            ),
        ]
    );

    let (id, _) = &wiring.numbers["842473082888"];
    account.wire_number(id).await.unwrap();
    account.wire_project("1").await.unwrap();
    let again = account.read("1").await.unwrap();
    assert_eq!(
        again.numbers["842473082888"].1,
        Urls {
            answer_url: Some(PCC_NUMBER_ANSWER_URL.into()),
            event_url: Some(PCC_NUMBER_EVENT_URL.into()),
        }
    );
    assert_eq!(again.numbers["842473082686"].1, Urls::default());
    assert_eq!(
        again.project.event_url.as_deref(),
        Some(pcc::account::PCC_PROJECT_EVENT_URL)
    );
    // Reads and writes went to the account API only, never to PCC's `/v1/number`.
    let stats = emu.stats();
    assert!(
        stats
            .requests
            .keys()
            .all(|route| route.ends_with("(Call API)")),
        "{:?}",
        stats.requests
    );
}

#[tokio::test]
async fn another_accounts_project_and_a_wrong_account_key_are_named() {
    let emu = emulator(emulator::Wiring::Pcc).await;
    let err = account(&emu.call_api_url(), ACCOUNT_SECRET)
        .read("99")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("the account API does not list project 99"),
        "{err}"
    );
    let err = account(&emu.call_api_url(), "not-the-secret")
        .read("1")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AccountAuth { .. }), "{err:?}");
    let shown = err.to_string();
    assert!(
        shown.contains("check STRINGEE_ACCOUNT_SID and STRINGEE_ACCOUNT_KEY_SECRET"),
        "{shown}"
    );
    assert!(!shown.contains("not-the-secret") && !shown.contains(ACCOUNT_SECRET));
}

/// A Call API that answers the two lists as given.
async fn serve(projects: serde_json::Value, numbers: serde_json::Value) -> String {
    let app = Router::new()
        .route(
            "/v1/project",
            get(move || {
                let body = projects.clone();
                async move { axum::Json(body) }
            }),
        )
        .route(
            "/v1/number",
            get(move || {
                let body = numbers.clone();
                async move { axum::Json(body) }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn projects() -> serde_json::Value {
    json!({"r": 0, "account_sid": ACCOUNT_SID, "data": {
        "projects": [{"id": 24, "name": "P", "answer_url": null, "callback_url": ""}],
        "totalPages": 1, "totalCount": 1, "activePage": 1}})
}

#[tokio::test]
async fn reshaped_answers_are_read_or_refused_never_guessed() {
    // Digits with a `+`; an item of another project despite the filter (left out).
    let url = serve(
        projects(),
        json!({"r": 0, "data": {"numbers": [
            {"id": 487, "phone_number": "+84929760786", "project_id": 24,
             "answer_url": PCC_NUMBER_ANSWER_URL, "event_url": null},
            {"id": 488, "phone_number": "84929760787", "project_id": 25,
             "answer_url": null, "event_url": null},
        ], "totalPages": 1, "totalCount": 2, "activePage": 1}}),
    )
    .await;
    let wiring = account(&url, ACCOUNT_SECRET).read("24").await.unwrap();
    assert_eq!(wiring.project, Urls::default());
    assert_eq!(
        wiring.numbers.keys().collect::<Vec<_>>(),
        vec!["84929760786"]
    );
    assert_eq!(wiring.numbers["84929760786"].0, "487");

    // A number list under a key nobody documents: the read fails, naming the keys.
    let url = serve(
        projects(),
        json!({"r": 0, "data": {"phoneNumbers": [], "total_rows": 0}}),
    )
    .await;
    let err = account(&url, ACCOUNT_SECRET)
        .read("24")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("phoneNumbers"), "{err}");
}

#[tokio::test]
async fn a_number_that_does_not_say_its_project_or_shares_its_digits_fails_the_read() {
    // Taken as the project's, a number without `project_id` (a field named otherwise) would be
    // rewired whatever project it is in; two numbers with the same digits leave the one PCC's
    // number is to a guess.
    for (numbers, cause) in [
        (
            json!([{"id": 487, "phone_number": "84929760786", "answer_url": null}]),
            "account number 487 has no `project_id`",
        ),
        (
            json!([{"id": 487, "phone_number": "84929760786", "project_id": 24},
                   {"id": 488, "phone_number": "+84929760786", "project_id": 24}]),
            "account numbers 487 and 488 both have the digits 84929760786",
        ),
    ] {
        let count = numbers.as_array().unwrap().len();
        let url = serve(
            projects(),
            json!({"r": 0, "data": {"numbers": numbers, "totalPages": 1,
                                    "totalCount": count, "activePage": 1}}),
        )
        .await;
        let err = account(&url, ACCOUNT_SECRET)
            .read("24")
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("GET /v1/number: unexpected answer: ") && err.contains(cause),
            "{err}"
        );
    }
}
