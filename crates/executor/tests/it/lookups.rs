//! A look-up under a parent whose list PCC refuses (`r != 0`) is not read as "absent": a node
//! create whose answer was lost is not sent again next to the one that landed.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::IntoResponse;
use executor::{Error, Outcome};
use spec::Address;
use spec::model::{DEFAULT_VOICE, IvrNode, IvrTree, Key, KeyAction, Model, Prompt};

use crate::support::{self, SECRET, SID, apply, client_at, config, read};

/// The emulator behind a filter: every `POST /v1/ivrnode` is carried out but answered 500
/// (the answer lost), and every list of a tree's nodes is refused with `r:1`. Answers the
/// URL and the count of node creates that reached the emulator.
async fn refusing_node_lists() -> (String, Arc<AtomicU32>) {
    let emulator = emulator::router(emulator::Config::new(vec![emulator::ApiKey {
        sid: SID.to_owned(),
        secret: SECRET.to_owned(),
    }]))
    .unwrap();
    let posts = Arc::new(AtomicU32::new(0));
    let counted = posts.clone();
    let app = emulator.layer(axum::middleware::from_fn(
        move |request: Request, next: Next| {
            let posts = counted.clone();
            async move {
                let nodes = request.uri().path() == "/v1/ivrnode";
                match request.method().clone() {
                    Method::POST if nodes => {
                        posts.fetch_add(1, Ordering::SeqCst);
                        let _ = next.run(request).await;
                        (StatusCode::INTERNAL_SERVER_ERROR, "upstream failed").into_response()
                    }
                    Method::GET if nodes => axum::Json(serde_json::json!({
                        "r": 1,
                        "message": "node listing refused for the test",
                    }))
                    .into_response(),
                    _ => next.run(request).await,
                }
            }
        },
    ));
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), posts)
}

fn one_node_tree() -> Model {
    let mut desired = Model::default();
    desired.ivr.insert(
        "main".to_owned(),
        IvrTree {
            start: "hello".to_owned(),
            nodes: [(
                "hello".to_owned(),
                IvrNode {
                    prompt: Prompt::Say {
                        text: "Hello.".to_owned(),
                        voice: DEFAULT_VOICE.to_owned(),
                        speed: 0,
                    },
                    barge_in: true,
                    loop_count: 1,
                    delay_ms: 0,
                    keypress_timeout: 5,
                    keys: [(Key::Timeout, KeyAction::Hangup)].into(),
                },
            )]
            .into(),
        },
    );
    desired
}

#[tokio::test]
async fn a_refused_list_of_a_trees_nodes_is_not_read_as_the_node_being_absent() {
    let dir = tempfile::tempdir().unwrap();
    let (url, posts) = refusing_node_lists().await;
    let client = client_at(&url);
    let live = read(&client).await;
    let plan = support::plan(&one_node_tree(), &live);
    let report = apply(&plan, &live, &client, &config(dir.path())).await;

    assert_eq!(
        posts.load(Ordering::SeqCst),
        1,
        "the lost node create was sent again although its look-up was refused"
    );
    let node = Address::IvrNode {
        tree: "main".to_owned(),
        node: "hello".to_owned(),
    };
    let step = report.steps.iter().find(|s| s.address == node).unwrap();
    match &step.outcome {
        Outcome::Failed(e @ Error::LookupRefused { parent, .. }) => {
            assert_eq!(parent, "ivr_tree.main");
            let text = e.to_string();
            assert!(text.contains("node listing refused for the test"), "{text}");
        }
        other => panic!("{other:?}"),
    }
}
