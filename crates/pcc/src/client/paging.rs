//! List reads: pages, fanned out within a read's bounds, with the claims a list makes
//! (`totalPages`, `totalCount`) checked before they are followed and after the pages came.

use std::sync::Arc;

use reqwest::Method;
use tokio::sync::Semaphore;

use super::Client;
use super::transport::{Payload, percent_encode, shown};
use crate::answer::{self, PageError};
use crate::error::Error;
use crate::limits::Budget;
use crate::rest::Resource;
use crate::wire;

/// Items per list page: the most PCC hands out at once.
pub const PAGE_LIMIT: u32 = 100;
/// How many requests run at once when nobody says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// What the lists of one read share: a bound on the requests in flight, and the read's
/// [`Budget`] of objects, pages and bytes. Clones share both.
#[derive(Clone, Debug)]
pub(crate) struct Reading {
    permits: Arc<Semaphore>,
    budget: Budget,
}

impl Reading {
    /// Waits for a turn to send a request.
    pub(crate) async fn permit(&self) -> tokio::sync::SemaphorePermit<'_> {
        self.permits
            .acquire()
            .await
            .expect("semaphore never closes")
    }
}

impl Client {
    /// What the lists of one read share: a bound on requests at once, and the read's budget
    /// ([`Limits`]).
    pub(crate) fn reading(&self, concurrency: usize) -> Reading {
        Reading {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            budget: Budget::new(self.inner.limits),
        }
    }

    /// One page (`page` starts at 1, [`PAGE_LIMIT`] items) of a list. `parent` is the id for
    /// the per-parent lists (members of a group, routings of a queue, nodes of a tree, keys of
    /// a node) and must be `None` for the others.
    pub async fn list_page<T: Resource>(
        &self,
        parent: Option<&str>,
        page: u32,
    ) -> Result<wire::Page<T>, Error> {
        let filter = parent_filter::<T>(parent)?;
        let reading = self.reading(1);
        self.list_page_filtered(
            filter.as_ref().map(|(k, v)| (*k, v.as_str())),
            page,
            &reading.budget,
        )
        .await
    }

    async fn list_page_filtered<T: Resource>(
        &self,
        filter: Option<(&str, &str)>,
        page: u32,
        budget: &Budget,
    ) -> Result<wire::Page<T>, Error> {
        let page_s = page.to_string();
        let limit_s = PAGE_LIMIT.to_string();
        let mut query: Vec<(&str, &str)> = Vec::with_capacity(3);
        if let Some((name, value)) = filter {
            query.push((name, value));
        }
        query.push(("page", &page_s));
        query.push(("limit", &limit_s));
        let shown = shown(&self.url(T::HOST, T::PATH, &query));
        let too_large = |what: String| Error::TooLarge {
            method: "GET".to_owned(),
            path: shown.clone(),
            what,
            read_cap: true,
        };
        budget.page().map_err(too_large)?;
        let cap = budget.limits().list_answer_bytes;
        let answered = self
            .call(
                Method::GET,
                (T::HOST, T::FAMILY),
                T::PATH,
                &query,
                Payload::Empty,
                false,
                cap,
            )
            .await?;
        budget.bytes(answered.body.len()).map_err(too_large)?;
        let page = answer::page::<T>(&answered.body, &T::SHAPE, page, budget.room()).map_err(
            |e| match e {
                PageError::Shape(cause) => Error::Decode {
                    method: "GET".to_owned(),
                    path: shown.clone(),
                    cause,
                },
                PageError::TooMany { .. } => too_large(budget.too_many_objects()),
            },
        )?;
        budget.take(page.items.len()).map_err(too_large)?;
        Ok(page)
    }

    /// Every item of a list: the first page, then the others in parallel (at most
    /// [`DEFAULT_CONCURRENCY`] at once).
    pub async fn list_all<T: Resource>(&self, parent: Option<&str>) -> Result<Vec<T>, Error> {
        let filter = parent_filter::<T>(parent)?;
        self.list_all_limited(filter, &self.reading(DEFAULT_CONCURRENCY))
            .await
    }

    /// One page of a read: the family's turn first, then one of the read's permits, so that a
    /// page waiting on its family's budget holds no permit that a page of another family could
    /// use ([`crate::pace`]).
    async fn read_page<T: Resource>(
        &self,
        filter: &Option<(&'static str, String)>,
        page: u32,
        reading: &Reading,
    ) -> Result<wire::Page<T>, Error> {
        // A shared look-up took the turn of its first page already (`shared.rs`).
        let turn = match crate::pace::taken() {
            Some(turn) => turn,
            None => self.inner.pacer.turn(T::FAMILY).await,
        };
        let _permit = reading.permit().await;
        crate::pace::with_turn(
            turn,
            self.list_page_filtered::<T>(
                filter.as_ref().map(|(k, v)| (*k, v.as_str())),
                page,
                &reading.budget,
            ),
        )
        .await
    }

    /// [`Client::list_all`] within a read's bounds, with any filter.
    pub(crate) async fn list_all_limited<T: Resource>(
        &self,
        filter: Option<(&'static str, String)>,
        reading: &Reading,
    ) -> Result<Vec<T>, Error> {
        let budget = &reading.budget;
        let first = self.read_page::<T>(&filter, 1, reading).await?;
        let mut path = T::PATH.to_owned();
        if let Some((name, value)) = &filter {
            path = format!("{path}?{name}={}", percent_encode(value));
        }
        let total_count = first.total_count;
        let mut items = first.items;

        // What the list claims is checked before any other page is asked for: every page
        // past the first is a request, and an absurd claim is refused, never followed.
        if let (Some(pages), Some(count)) = (first.total_pages, total_count) {
            // A list of `count` items has at most `count` pages (one item a page); an empty
            // one may say 1.
            let most = count.max(1);
            if pages > most {
                return Err(Error::Decode {
                    method: "GET".to_owned(),
                    path,
                    cause: format!(
                        "data.totalPages is {pages}, more than the {most} pages a list of \
                         {count} items can have"
                    ),
                });
            }
        }
        let more_items = total_count.map_or(0, |n| n.saturating_sub(items.len() as u64));
        let more_pages = first.total_pages.map_or(0, |n| n.saturating_sub(1));
        budget
            .claim(more_items, more_pages)
            .map_err(|what| Error::TooLarge {
                method: "GET".to_owned(),
                path: path.clone(),
                what,
                read_cap: true,
            })?;

        // Without `totalPages`, the end is an empty page or the count reached. A page shorter
        // than `PAGE_LIMIT` proves nothing: PCC may cut the limit to a page size of its own,
        // and stopping early would leave objects out of the read, to be created again.
        let at_end =
            |read: usize, page: usize| page == 0 || total_count.is_some_and(|n| read as u64 >= n);
        match first.total_pages {
            Some(pages) if pages > 1 => {
                // Within the read's page budget, so well within `u32`.
                let last = u32::try_from(pages).unwrap_or(u32::MAX);
                let pages = crate::live::fan_out(2..=last, |page| {
                    let client = self.clone();
                    let reading = reading.clone();
                    let filter = filter.clone();
                    async move { client.read_page::<T>(&filter, page, &reading).await }
                })
                .await?;
                for page in pages {
                    items.extend(page.items);
                }
            }
            // `totalPages: 0` is an empty list's; with items on the page, walk as without it.
            Some(1..) => {}
            Some(0) | None if at_end(items.len(), items.len()) => {}
            Some(0) | None => {
                let mut page = 1;
                loop {
                    page += 1;
                    let next = self.read_page::<T>(&filter, page, reading).await?;
                    let got = next.items.len();
                    items.extend(next.items);
                    if at_end(items.len(), got) {
                        break;
                    }
                }
            }
        }
        // Pages that do not add up to the count (a page cut short, an object that moved
        // between pages while they were read) leave objects out of the read, which a plan
        // would create a second time: the read fails instead, and a re-run reads again.
        if let Some(count) = total_count
            && items.len() as u64 != count
        {
            return Err(Error::Decode {
                method: "GET".to_owned(),
                path,
                cause: format!(
                    "the list is inconsistent: its pages hold {} items but PCC counts {count} \
                     (it changed while it was read, or PCC paged it wrongly); nothing was \
                     changed: run again",
                    items.len()
                ),
            });
        }
        Ok(items)
    }
}

/// The `?group=` (etc.) filter of a per-parent list; a parent is required for those lists and
/// refused for the others.
pub(super) fn parent_filter<T: Resource>(
    parent: Option<&str>,
) -> Result<Option<(&'static str, String)>, Error> {
    match (T::PARENT, parent) {
        (Some(param), Some(id)) => Ok(Some((param, id.to_owned()))),
        (None, None) => Ok(None),
        (Some(param), None) => Err(Error::Config(format!(
            "listing {} needs the `{param}` id",
            T::PATH
        ))),
        (None, Some(_)) => Err(Error::Config(format!(
            "{} is not a per-parent list",
            T::PATH
        ))),
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::sync::{Arc, Mutex};

    use axum::Router;
    use axum::routing::get;
    use serde_json::json;

    use crate::{Client, Config, Credentials, wire};

    /// Every family 10 requests a second; the order the requests came in, by family.
    async fn stub(log: Arc<Mutex<Vec<&'static str>>>) -> SocketAddr {
        let policy = r#""key";q=1000;w=1, "family";q=10;w=1"#;
        let answer = move |family: &'static str, list: &'static str| {
            let log = log.clone();
            move || {
                log.lock().unwrap().push(family);
                let body = json!({"r": 0, "data": {"totalCount": "0", "totalPages": "1",
                    "currentPage": 1, "limit": 100, list: []}});
                async move { ([("ratelimit-policy", policy)], axum::Json(body)) }
            }
        };
        let router = Router::new()
            .route(
                "/v1/manage-agents-in-group",
                get(answer("memberships", "groupAgents")),
            )
            .route("/v1/ivrnode", get(answer("nodes", "ivrNodes")));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        addr
    }

    /// Six member lists queue for the read's two permits before six node lists do. Waiting on
    /// the members' budget, they held both permits and the node lists waited for all six
    /// (members, then nodes); with the family's turn taken before the permit, the node lists
    /// are sent while the members wait for theirs, and the two budgets are spent side by side.
    #[tokio::test]
    async fn pages_of_another_family_are_sent_while_one_family_waits() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let addr = stub(log.clone()).await;
        let client = Client::new(Config::with_endpoint(
            &format!("http://{addr}"),
            Credentials::new("SKpacing", "secret"),
        ))
        .unwrap();
        // Each family's first answer tells its limit.
        client
            .list_page::<wire::GroupAgent>(Some("G"), 1)
            .await
            .unwrap();
        client.list_page::<wire::Node>(Some("T"), 1).await.unwrap();
        log.lock().unwrap().clear();

        let reading = client.reading(2);
        let mut lists = tokio::task::JoinSet::new();
        for i in 0..6 {
            let (client, reading) = (client.clone(), reading.clone());
            lists.spawn(async move {
                client
                    .list_all_limited::<wire::GroupAgent>(
                        Some(("group", format!("G{i}"))),
                        &reading,
                    )
                    .await
                    .map(|_| ())
            });
        }
        for i in 0..6 {
            let (client, reading) = (client.clone(), reading.clone());
            lists.spawn(async move {
                client
                    .list_all_limited::<wire::Node>(Some(("tree", format!("T{i}"))), &reading)
                    .await
                    .map(|_| ())
            });
        }
        while let Some(done) = lists.join_next().await {
            done.unwrap().unwrap();
        }
        let log = log.lock().unwrap().clone();
        assert_eq!(log.len(), 12, "{log:?}");
        // The first node list goes out before the third member list.
        let first_node = log.iter().position(|f| *f == "nodes").unwrap();
        assert!(first_node < 3, "{log:?}");
    }
}
