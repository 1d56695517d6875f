//! Blacklisted caller numbers (`/v1/blacklistnumber`): the documented create and list, and the
//! update and delete the generated type files describe.

use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn blacklist_numbers_are_stored_with_a_plus_and_answered_in_the_documented_shape() {
    let pcc = Pcc::start().await;
    let answer = pcc
        .post(
            "/v1/blacklistnumber",
            json!({ "number": "84379361752", "ivr_blocked": 1, "queue_blocked": true }),
        )
        .await;
    assert_eq!(answer["r"], 0, "{answer}");
    assert_eq!(answer["message"], "Create blacklist number success");
    let id = answer["blacklistNumberID"].as_str().unwrap().to_owned();
    assert!(
        id.len() == 8
            && id
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
        "ids look like the docs' `BNXJ3OWK`: {id}"
    );
    // Sent with its `+`, and without the blocking flags.
    let plus = pcc
        .create(
            "/v1/blacklistnumber",
            json!({ "number": "+84909000111" }),
            "blacklistNumberID",
        )
        .await;

    let list = pcc.get("/v1/blacklistnumber?page=1&limit=50").await;
    assert_eq!(list["message"], "Load blacklist(s) success");
    let data = &list["data"];
    assert_eq!(data["totalCount"], "2", "counts are strings");
    assert_eq!(
        (&data["totalPages"], &data["currentPage"], &data["limit"]),
        (&json!(1), &json!(1), &json!(50))
    );
    assert_eq!(
        data["blacklistNumbers"],
        json!([
            { "id": id, "account": 1, "project": 1, "number": "+84379361752", "ivr_blocked": 1, "queue_blocked": 1 },
            { "id": plus, "account": 1, "project": 1, "number": "+84909000111", "ivr_blocked": 0, "queue_blocked": 0 },
        ])
    );
}

#[tokio::test]
async fn blacklist_numbers_update_and_delete_by_id() {
    let pcc = Pcc::start().await;
    let id = pcc
        .create(
            "/v1/blacklistnumber",
            json!({ "number": "84379361752", "ivr_blocked": 1, "queue_blocked": 1 }),
            "blacklistNumberID",
        )
        .await;
    // The generated types make `number` required in an update.
    assert_refused(
        &pcc.put(
            &format!("/v1/blacklistnumber/{id}"),
            json!({ "ivr_blocked": 0 }),
        )
        .await,
        1,
        &["`number` is required"],
    );
    let updated = pcc
        .put(
            &format!("/v1/blacklistnumber/{id}"),
            json!({ "number": "+84379361752", "ivr_blocked": false }),
        )
        .await;
    assert_eq!(updated["r"], 0, "{updated}");
    let item = &pcc.get("/v1/blacklistnumber").await["data"]["blacklistNumbers"][0];
    assert_eq!(
        (
            &item["number"],
            &item["ivr_blocked"],
            &item["queue_blocked"]
        ),
        (&json!("+84379361752"), &json!(0), &json!(1))
    );

    assert_eq!(
        pcc.delete(&format!("/v1/blacklistnumber/{id}")).await["r"],
        0
    );
    assert_eq!(pcc.state().await["blacklistNumbers"], json!([]));
    assert_refused(
        &pcc.delete(&format!("/v1/blacklistnumber/{id}")).await,
        3,
        &[&id],
    );
}

#[tokio::test]
async fn blacklist_numbers_must_be_digits_and_may_repeat() {
    let pcc = Pcc::start().await;
    for bad in [
        json!(""),
        json!("84 90"),
        json!("++84"),
        json!("+"),
        json!(84909),
        Value::Null,
    ] {
        let answer = pcc
            .post("/v1/blacklistnumber", json!({ "number": bad }))
            .await;
        assert_refused(&answer, 1, &["number"]);
    }
    assert_refused(
        &pcc.post(
            "/v1/blacklistnumber",
            json!({ "number": "84909", "ivr_blocked": 2 }),
        )
        .await,
        1,
        &["ivr_blocked"],
    );
    // No uniqueness is documented: like names, a number may be listed twice (the client looks
    // an entry up by its number before it sends a create again).
    let a = pcc
        .create(
            "/v1/blacklistnumber",
            json!({ "number": "84909" }),
            "blacklistNumberID",
        )
        .await;
    let b = pcc
        .create(
            "/v1/blacklistnumber",
            json!({ "number": "+84909" }),
            "blacklistNumberID",
        )
        .await;
    assert_ne!(a, b);
    assert_eq!(
        pcc.get("/v1/blacklistnumber").await["data"]["totalCount"],
        "2"
    );
}
