//! Authentication: the REST token in the header or the query, and every way it can be wrong.

use serde_json::{Value, json};

use crate::support::*;

async fn status_with_header(pcc: &Pcc, token: &str) -> (u16, Value) {
    let resp = pcc
        .http
        .get(pcc.url("/v1/agent"))
        .header("X-STRINGEE-AUTH", token)
        .send()
        .await
        .unwrap();
    (
        resp.status().as_u16(),
        resp.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn a_good_token_is_accepted_in_the_header_or_the_query() {
    let pcc = Pcc::start().await;
    let (status, answer) = status_with_header(&pcc, &token()).await;
    assert_eq!((status, &answer["r"]), (200, &json!(0)), "{answer}");

    let resp = pcc
        .http
        .post(pcc.url(&format!("/v1/group?access_token={}", token())))
        .json(&json!({ "name": "via query" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let answer: Value = resp.json().await.unwrap();
    assert_eq!(answer["r"], 0, "{answer}");
}

#[tokio::test]
async fn bad_tokens_get_403_r5_and_write_nothing() {
    let other = emulator::ApiKey {
        sid: "SKother".into(),
        secret: "other-secret".into(),
    };
    let mut config = emulator::Config::new(vec![key(), other]);
    config.project_id = 4242;
    let pcc = Pcc::with(config).await;

    let with = |f: &dyn Fn(&mut Value, &mut Value)| {
        let (mut header, mut claims) = (good_header(), good_claims());
        f(&mut header, &mut claims);
        mint(SECRET, &header, &claims)
    };
    let good = token();
    let (head, rest) = good.split_once('.').unwrap();
    let (payload, _) = rest.split_once('.').unwrap();
    let cases: Vec<(&str, String)> = vec![
        (
            "wrong secret",
            mint("not-the-secret", &good_header(), &good_claims()),
        ),
        (
            "signed by another known key",
            mint("other-secret", &good_header(), &good_claims()),
        ),
        ("expired", with(&|_, c| c["exp"] = json!(now() - 1))),
        ("expiring now", with(&|_, c| c["exp"] = json!(now()))),
        (
            "no exp",
            with(&|_, c| drop(c.as_object_mut().unwrap().remove("exp"))),
        ),
        (
            "missing cty",
            with(&|h, _| drop(h.as_object_mut().unwrap().remove("cty"))),
        ),
        (
            "wrong cty",
            with(&|h, _| h["cty"] = json!("stringee-api;v=2")),
        ),
        ("rest_api false", with(&|_, c| c["rest_api"] = json!(false))),
        (
            "rest_api missing",
            with(&|_, c| drop(c.as_object_mut().unwrap().remove("rest_api"))),
        ),
        ("rest_api as 1", with(&|_, c| c["rest_api"] = json!(1))),
        (
            "icc_api instead of rest_api",
            with(&|_, c| {
                c.as_object_mut().unwrap().remove("rest_api");
                c["icc_api"] = json!(true);
            }),
        ),
        ("unknown sid", with(&|_, c| c["iss"] = json!("SKnobody"))),
        ("alg none", with(&|h, _| h["alg"] = json!("none"))),
        ("alg HS512", with(&|h, _| h["alg"] = json!("HS512"))),
        ("unsigned", format!("{head}.{payload}.")),
        ("two parts", format!("{head}.{payload}")),
        ("garbage", "not a token".to_owned()),
    ];
    for (what, token) in &cases {
        let (status, answer) = status_with_header(&pcc, token).await;
        assert_eq!(status, 403, "{what}");
        assert_eq!(
            answer,
            json!({ "r": 5, "message": "keySid invalid" }),
            "{what}"
        );
    }

    let no_token = pcc.http.get(pcc.url("/v1/agent")).send().await.unwrap();
    assert_eq!(no_token.status(), 403);
    let refused_write = pcc
        .http
        .post(pcc.url("/v1/agent"))
        .header("X-STRINGEE-AUTH", &cases[0].1)
        .json(&json!({ "name": "Mallory", "stringee_user_id": "mallory" }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused_write.status(), 403);
    assert_eq!(pcc.state().await["agents"], json!([]));

    let (status, answer) = status_with_header(
        &pcc,
        &mint("other-secret", &good_header(), &{
            let mut c = good_claims();
            c["iss"] = json!("SKother");
            c
        }),
    )
    .await;
    assert_eq!(status, 200, "every configured key is accepted");
    assert_eq!(
        answer["project"], 4242,
        "answers carry the configured project id"
    );
}

#[test]
fn api_keys_parse_from_sid_colon_secret_and_never_show_the_secret() {
    let key: emulator::ApiKey = "SKabc:se:cret".parse().unwrap();
    assert_eq!(key.sid, "SKabc");
    assert_eq!(key.secret, "se:cret");
    let debug = format!("{key:?} {:?}", emulator::Config::new(vec![key.clone()]));
    assert!(!debug.contains("se:cret"), "{debug}");
    assert!(debug.contains("SKabc"), "{debug}");

    for bad in ["SKabc", ":hunter2", "SKabc:"] {
        let err = bad.parse::<emulator::ApiKey>().unwrap_err().to_string();
        assert!(err.starts_with("invalid API key"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
}
