//! Unit tests of the write loops' rules where the emulator cannot set the scene: a step still
//! running when another step found PCC unreachable; a rate ceiling too low to compute with; a
//! delete answered by a bare HTTP 404; a live name with control characters in a step's
//! message.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use pcc::{Client, Credentials, Ids, Lost, Silence};
use planner::{Action, Object, Step};
use spec::Address;
use spec::model::{Key, KeyAction};

use crate::Config;
use crate::ctx::Ctx;
use crate::drivers::{self, Found, InPlace, Twins};
use crate::report::Recovery;

/// A context whose client is never used: the tests hand the drivers their own send and find.
fn ctx() -> Ctx {
    ctx_with(Ids::default())
}

/// [`ctx`], with the server ids of a live read.
fn ctx_with(ids: Ids) -> Ctx {
    let config = pcc::Config::with_endpoint("http://127.0.0.1:9", Credentials::new("SKunit", "x"));
    let config_exec = Config {
        settle: Duration::from_millis(1),
        recheck: Duration::from_millis(50),
        ..Config::default()
    };
    Ctx::new(Client::new(config).unwrap(), ids, config_exec)
}

fn timed_out() -> pcc::Error {
    pcc::Error::Uncertain {
        method: "POST".into(),
        path: "/v1/queue".into(),
        cause: "no answer within 30s".into(),
        lost: Lost::Silence(Silence::Timeout),
    }
}

/// A create whose answer timed out, seen from a step that is still running when the apply
/// halts (another step found PCC unreachable): the write lands only after the first look
/// would have come (20 ms after the send, the settle delay being 1 ms). It must be looked for
/// again before any resend, halted or not: a resend next to a late landing is the duplicate
/// the recheck exists to prevent.
#[tokio::test]
async fn a_halted_apply_still_rechecks_a_lost_create_before_sending_it_again() {
    for twins in ["removed", "kept"] {
        let ctx = ctx();
        ctx.halt();
        let sends = AtomicU32::new(0);
        let looks = AtomicU32::new(0);
        let landing = Mutex::new(None);
        let send = || async {
            sends.fetch_add(1, Ordering::SeqCst);
            // The first write is carried out late; its answer is lost now.
            landing
                .lock()
                .unwrap()
                .get_or_insert(Instant::now() + Duration::from_millis(20));
            Err::<String, _>(timed_out())
        };
        let find = || async {
            looks.fetch_add(1, Ordering::SeqCst);
            let landed = landing
                .lock()
                .unwrap()
                .is_some_and(|at| Instant::now() >= at);
            Ok(if landed {
                vec![Found::new("QU_1", true)]
            } else {
                Vec::new()
            })
        };
        let address = Address::Queue("sales".into());
        let done = match twins {
            "removed" => {
                drivers::create(
                    &ctx,
                    &address,
                    send,
                    &find,
                    Some(async |_| Ok(())),
                    Twins::Removed(|_: String| async { Ok(()) }),
                )
                .await
            }
            _ => {
                drivers::create(
                    &ctx,
                    &address,
                    send,
                    &find,
                    Some(async |_| Ok(())),
                    Twins::KEPT,
                )
                .await
            }
        }
        .unwrap();
        assert_eq!(
            sends.load(Ordering::SeqCst),
            1,
            "{twins}: the lost write was sent again"
        );
        assert_eq!(done.id.as_deref(), Some("QU_1"));
        assert!(looks.load(Ordering::SeqCst) >= 1);
    }
}

/// The live copies a fake PCC lists, oldest first; a delete takes one out.
struct Copies(Mutex<Vec<Found>>);

impl Copies {
    fn new(copies: &[(&str, bool)]) -> Copies {
        Copies(Mutex::new(
            copies
                .iter()
                .map(|(id, same)| Found::new(id, *same))
                .collect(),
        ))
    }

    async fn find(&self) -> Result<Vec<Found>, crate::Error> {
        Ok(self.0.lock().unwrap().clone())
    }

    fn remove(&self) -> Twins<impl Fn(String) -> std::future::Ready<Result<(), pcc::Error>> + '_> {
        Twins::Removed(move |id: String| {
            self.0.lock().unwrap().retain(|f| f.id != id);
            std::future::ready(Ok(()))
        })
    }

    fn ids(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|f| f.id.clone())
            .collect()
    }
}

/// Two writers created the same queue: this step's copy (QU_2) is the newer one. It adopts the
/// older (which every writer keeps), deletes its own, and says so; an exact copy made by a
/// third writer goes too, while a copy with other fields is left to whoever made it.
#[tokio::test]
async fn a_create_that_finds_an_older_copy_adopts_it_and_deletes_its_own() {
    let ctx = ctx();
    let live = Copies::new(&[
        ("QU_1", true),
        ("QU_2", true),
        ("QU_3", true),
        ("QU_4", false),
    ]);
    let fixed = Mutex::new(Vec::new());
    let done = drivers::create(
        &ctx,
        &Address::Queue("sales".into()),
        || async { Ok("QU_2".to_owned()) },
        &|| live.find(),
        Some(|id| {
            fixed.lock().unwrap().push(id);
            async { Ok(()) }
        }),
        live.remove(),
    )
    .await
    .unwrap();
    assert_eq!(done.id.as_deref(), Some("QU_1"));
    assert_eq!(
        done.recovery,
        Some(Recovery::Raced {
            adopted: true,
            updated: false,
            removed: 2,
            left: 1
        })
    );
    assert_eq!(live.ids(), ["QU_1", "QU_4"]);
    assert!(
        fixed.lock().unwrap().is_empty(),
        "an exact copy needs no update"
    );
    assert_eq!(done.writes, 3, "the create and two deletes");
}

/// The copy kept is older but has other fields (another spec's): adopted and updated to this
/// step's fields; this step's own copy is deleted whatever its fields.
#[tokio::test]
async fn an_adopted_copy_with_other_fields_is_updated() {
    let ctx = ctx();
    let live = Copies::new(&[("QU_1", false), ("QU_2", false)]);
    let fixed = Mutex::new(Vec::new());
    let done = drivers::create(
        &ctx,
        &Address::Queue("sales".into()),
        || async { Ok("QU_2".to_owned()) },
        &|| live.find(),
        Some(|id| {
            fixed.lock().unwrap().push(id);
            // The update lands: the copy now has this step's fields.
            live.0.lock().unwrap()[0].same = true;
            async { Ok(()) }
        }),
        live.remove(),
    )
    .await
    .unwrap();
    assert_eq!(done.id.as_deref(), Some("QU_1"));
    assert_eq!(*fixed.lock().unwrap(), ["QU_1"]);
    assert_eq!(live.ids(), ["QU_1"]);
    assert!(matches!(
        done.recovery,
        Some(Recovery::Raced {
            adopted: true,
            updated: true,
            removed: 1,
            left: 0
        })
    ));
}

/// This step's copy is the oldest: kept, and a newer exact copy (another writer's, which that
/// writer deletes too when it looks) is deleted; nothing else happens.
#[tokio::test]
async fn the_oldest_copy_is_kept_by_its_maker() {
    let ctx = ctx();
    let live = Copies::new(&[("QU_1", true), ("QU_2", true)]);
    let done = drivers::create(
        &ctx,
        &Address::Queue("sales".into()),
        || async { Ok("QU_1".to_owned()) },
        &|| live.find(),
        Some(async |_| Ok(())),
        live.remove(),
    )
    .await
    .unwrap();
    assert_eq!(done.id.as_deref(), Some("QU_1"));
    assert_eq!(live.ids(), ["QU_1"]);
    assert_eq!(
        done.recovery,
        Some(Recovery::Raced {
            adopted: false,
            updated: false,
            removed: 1,
            left: 0
        })
    );
}

/// After a lost answer, two copies: one may be this step's own write, landed late. The oldest
/// is adopted, the exact newer copy deleted (it may be its own, and is an exact copy either
/// way); before, this failed the step and left both.
#[tokio::test]
async fn a_lost_create_that_finds_two_copies_keeps_the_oldest() {
    let ctx = ctx();
    let live = Copies::new(&[("QU_1", true), ("QU_2", true)]);
    let done = drivers::create(
        &ctx,
        &Address::Queue("sales".into()),
        || async { Err::<String, _>(timed_out()) },
        &|| live.find(),
        Some(async |_| Ok(())),
        live.remove(),
    )
    .await
    .unwrap();
    assert_eq!(done.id.as_deref(), Some("QU_1"));
    assert_eq!(live.ids(), ["QU_1"]);
}

/// Where PCC refuses a second copy (a key press, a membership), a refused create whose object
/// exists (another writer made it) is adopted; a refusal of anything else stays a failure.
#[tokio::test]
async fn a_refused_create_of_a_unique_kind_adopts_what_another_writer_made() {
    let ctx = ctx();
    let refused = || pcc::Error::Api {
        method: "POST".into(),
        path: "/v1/ivrkeypress".into(),
        r: 6,
        message: "key exists".into(),
    };
    let address = Address::Queue("k".into());
    let there = || async { Ok(vec![Found::new("NO_KE_1", true)]) };
    let done = drivers::create(
        &ctx,
        &address,
        || async { Err::<String, _>(refused()) },
        &there,
        Some(async |_| Ok(())),
        Twins::REFUSED,
    )
    .await
    .unwrap();
    assert_eq!(done.id.as_deref(), Some("NO_KE_1"));
    assert_eq!(done.recovery, Some(Recovery::Existed { updated: false }));

    let nothing = || async { Ok(Vec::new()) };
    let err = drivers::create(
        &ctx,
        &address,
        || async { Err::<String, _>(refused()) },
        &nothing,
        Some(async |_| Ok(())),
        Twins::REFUSED,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("r=6"), "{err}");
}

/// A checked create looks at once (and keeps the oldest copy), and, while a write of an
/// earlier run may still land (`settle + recheck` after the command started), once more when
/// it no longer can: a killed run's copy that landed in between, newer and exact, is deleted
/// before anything is built on the kept one. A command that started longer ago looks once.
#[tokio::test]
async fn a_create_made_while_a_killed_runs_writes_may_land_looks_again_once_they_have() {
    let config = |started| Config {
        settle: Duration::from_millis(100),
        recheck: Duration::from_millis(200),
        started: Some(started),
        ..Config::default()
    };
    let client = || {
        Client::new(pcc::Config::with_endpoint(
            "http://127.0.0.1:9",
            Credentials::new("SKunit", "x"),
        ))
        .unwrap()
    };
    for (started_ago, young) in [(Duration::ZERO, true), (Duration::from_secs(5), false)] {
        let begun = Instant::now();
        let ctx = Ctx::new(client(), Ids::default(), config(begun - started_ago));
        let looks = Mutex::new(Vec::new());
        let live = Copies::new(&[("QU_1", true)]);
        let done = drivers::create(
            &ctx,
            &Address::Queue("sales".into()),
            || async { Ok("QU_1".to_owned()) },
            &|| {
                let mut looks = looks.lock().unwrap();
                looks.push(begun.elapsed());
                let seen = live.0.lock().unwrap().clone();
                if looks.len() == 1 {
                    // The killed run's write lands right after the first look.
                    live.0.lock().unwrap().push(Found::new("QU_2", true));
                }
                std::future::ready(Ok(seen))
            },
            Some(async |_| Ok(())),
            live.remove(),
        )
        .await
        .unwrap();
        let looks = looks.lock().unwrap().clone();
        assert_eq!(done.id.as_deref(), Some("QU_1"));
        if young {
            assert_eq!(looks.len(), 2, "{looks:?}");
            assert!(looks[0] < Duration::from_millis(300), "{looks:?}");
            assert!(looks[1] >= Duration::from_millis(300), "{looks:?}");
            assert_eq!(live.ids(), ["QU_1"]);
            assert_eq!(
                done.recovery,
                Some(Recovery::Raced {
                    adopted: false,
                    updated: false,
                    removed: 1,
                    left: 0
                })
            );
        } else {
            assert_eq!(looks.len(), 1, "{looks:?}");
            assert_eq!(done.recovery, None);
            // (Nothing of an earlier run can land that late: the scene is only a probe.)
            assert_eq!(live.ids(), ["QU_1", "QU_2"]);
        }
    }
}

fn not_found() -> pcc::Error {
    pcc::Error::Status {
        method: "DELETE".into(),
        path: "/v1/queue/QU_1".into(),
        status: 404,
        attempts: 1,
        body: "Not Found".into(),
    }
}

/// A delete answered by a bare 404 (no `r` envelope) is looked up like a refusal: gone counts
/// as done; still listed (the 404 named a wrong path, not a missing object) fails the step.
#[tokio::test]
async fn a_delete_answered_by_a_bare_404_is_looked_up() {
    let ctx = ctx();
    let looks = AtomicU32::new(0);
    let gone = || async {
        looks.fetch_add(1, Ordering::SeqCst);
        Ok(Vec::new())
    };
    let done = drivers::in_place(
        &ctx,
        InPlace::Delete,
        || async { Err(not_found()) },
        &gone,
        "QU_1",
    )
    .await
    .unwrap();
    assert_eq!(done.recovery, Some(Recovery::AlreadyGone));
    assert_eq!(done.writes, 1);
    assert_eq!(looks.load(Ordering::SeqCst), 1, "gone without looking");

    let still_there = || async { Ok(vec![Found::new("QU_1", true)]) };
    let err = drivers::in_place(
        &ctx,
        InPlace::Delete,
        || async { Err(not_found()) },
        &still_there,
        "QU_1",
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("HTTP 404"), "{err}");
}

/// A live node's name may hold anything (here a terminal escape and a `/`): a step's message
/// names the object it needs by its address, encoded like every address (`%1B`, `%2F`), so
/// that the escape never reaches a terminal or a log raw and the `/` cannot make the name read
/// as another node's. The key presses fail before any request: the ids they need are missing.
#[tokio::test]
async fn a_missing_id_is_named_by_its_encoded_address() {
    let hostile = "menu\x1b[2J/x";
    let key_on = |node: &str, action: KeyAction| Step {
        address: Address::IvrKey {
            tree: "main".into(),
            node: node.into(),
            key: Key::D1,
        },
        action: Action::Create,
        replace: None,
        moved_from: None,
        before: None,
        after: Some(Object::IvrKey(action)),
        changed_fields: Vec::new(),
        depends_on: Vec::new(),
    };
    let mut ids = Ids::default();
    let safe = Address::IvrNode {
        tree: "main".into(),
        node: "safe".into(),
    };
    ids.objects.insert(safe, "NO_SAFE".into());
    let ctx = ctx_with(ids);

    // The key's own node is missing.
    let err = crate::step::run(&ctx, &key_on(hostile, KeyAction::Hangup))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "ivr_key.main/menu%1B[2J%2Fx/1 needs the server id of ivr_node.main/menu%1B[2J%2Fx, \
         which is neither in PCC nor created by this plan"
    );

    // The node it goes to is missing.
    let goto = KeyAction::Goto {
        node: hostile.into(),
    };
    let err = crate::step::run(&ctx, &key_on("safe", goto))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "ivr_key.main/safe/1 needs the server id of ivr_node.main/menu%1B[2J%2Fx, which is \
         neither in PCC nor created by this plan"
    );
}

/// A create that adopts an object with other fields, of a kind PCC does not update in place
/// (a routing: its `PUT` is unconfirmed), fails the step naming it instead of writing: the
/// next plan replaces the object.
#[tokio::test]
async fn an_adopted_object_of_a_kind_without_updates_fails_instead_of_being_updated() {
    let ctx = ctx();
    let address = Address::Routing {
        queue: "sales".into(),
        group: "en".into(),
    };
    let other = || async { Ok(vec![Found::new("GR_RO_1", false)]) };
    let err = drivers::create(
        &ctx,
        &address,
        || async {
            Err::<String, _>(pcc::Error::Api {
                method: "POST".into(),
                path: "/v1/routing-call-to-groups".into(),
                r: 1,
                message: "exists".into(),
            })
        },
        &other,
        drivers::NO_FIX,
        Twins::REFUSED,
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "routing.sales/en: found already made (id GR_RO_1) with other fields, and switchboard \
         does not update this kind in place: run `switchboard plan` again (it replaces it)"
    );
}

/// Group `b` is routed by three queues, group `a` by one; each has two agents, `a`'s first
/// by name. The agents that unlock the most (the shared group's) rank first, and no step
/// ranks before a step it waits for.
#[test]
fn steps_that_unlock_the_most_rank_first() {
    use spec::model::{Agent, AgentRouting, Group, Model, Queue, Routing};
    let mut m = Model::default();
    for (id, group) in [("a1", "a"), ("a2", "a"), ("b1", "b"), ("b2", "b")] {
        m.agents.insert(
            id.to_owned(),
            Agent {
                name: id.to_owned(),
                routing: AgentRouting::App,
                phone_number: None,
                out_of_hours_callout: None,
            },
        );
        m.groups
            .entry(group.to_owned())
            .or_insert_with(Group::default)
            .agents
            .insert(id.to_owned());
    }
    // An agent in no group unlocks nothing: it ranks last of the creates.
    m.agents.insert(
        "alone".to_owned(),
        Agent {
            name: "alone".to_owned(),
            routing: AgentRouting::App,
            phone_number: None,
            out_of_hours_callout: None,
        },
    );
    for (queue, group) in [("q1", "a"), ("q2", "b"), ("q3", "b"), ("q4", "b")] {
        let mut q = Queue::default();
        q.routing
            .insert(group.to_owned(), Routing { primary: false });
        m.queues.insert(queue.to_owned(), q);
    }
    let plan = planner::plan(&m, &Model::default(), &spec::Policy::default());
    let rank = crate::priorities(&plan.steps);
    let at = |address: &str| {
        let i = plan
            .steps
            .iter()
            .position(|s| s.address.to_string() == address)
            .unwrap_or_else(|| panic!("{address} is not in the plan"));
        rank[i]
    };
    assert!(at("agent.b2") < at("agent.a1"), "{rank:?}");
    assert!(at("routing.q2/b") < at("agent.a1"), "{rank:?}");
    assert_eq!(at("agent.alone"), plan.steps.len() - 1);
    for (i, step) in plan.steps.iter().enumerate() {
        for &d in &step.depends_on {
            assert!(
                rank[d] < rank[i],
                "{} before {}",
                step.address,
                plan.steps[d].address
            );
        }
    }
}
