//! The emulated project in SQLite: one `object` table (kind, id, creation order, parent,
//! natural key, JSON body) and one `link` table of references between objects, so that
//! filters, uniqueness checks and "still referenced" checks are index look-ups.
//!
//! Durability: WAL with `synchronous=NORMAL`, and every write commits before it is answered.
//! A committed transaction is in the WAL file once `COMMIT` returns, so killing the process
//! (even with SIGKILL) loses nothing acknowledged; only a power cut can lose the last commits.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde_json::{Map, Value};

use crate::Error;
use crate::schema::{Kind, Refusal};

const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS object (
    seq     INTEGER PRIMARY KEY,               -- creation order (max + 1): lists sort by it
    kind    TEXT NOT NULL,
    id      TEXT NOT NULL UNIQUE,
    parent  TEXT,                              -- the id a per-parent list filters on
    natural TEXT,                              -- stringee_user_id, number digits, node_key, file name
    body    TEXT NOT NULL                      -- the fields, as a JSON object
);
CREATE INDEX IF NOT EXISTS object_by_kind    ON object (kind, seq);
CREATE INDEX IF NOT EXISTS object_by_parent  ON object (kind, parent, seq);
CREATE INDEX IF NOT EXISTS object_by_natural ON object (kind, natural, seq);
CREATE TABLE IF NOT EXISTS link (
    from_id TEXT NOT NULL,                     -- the object holding the reference
    field   TEXT NOT NULL,                     -- the field that holds it
    to_id   TEXT NOT NULL,                     -- the object referred to
    PRIMARY KEY (from_id, field)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS link_by_target ON link (to_id);
";

/// The database, behind one lock: SQLite serialises writers anyway, and a single connection
/// keeps `:memory:` and file state on the same code path.
#[derive(Debug)]
pub(crate) struct Store {
    conn: Mutex<Connection>,
}

/// Why a write did not happen.
#[derive(Debug)]
pub(crate) enum Fail {
    /// The request was refused (`r != 0`); nothing was written.
    Refused(Refusal),
    /// The database failed.
    Db(rusqlite::Error),
}

impl From<Refusal> for Fail {
    fn from(r: Refusal) -> Self {
        Fail::Refused(r)
    }
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Self {
        Fail::Db(e)
    }
}

/// One stored object.
#[derive(Clone, Debug)]
pub(crate) struct Object {
    pub(crate) kind: Kind,
    pub(crate) id: String,
    pub(crate) parent: Option<String>,
    pub(crate) body: Map<String, Value>,
}

/// Which objects of a kind a list or a count covers.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Filter<'a> {
    All,
    Parent(&'a str),
    Natural(&'a str),
}

/// Something that refers to an object.
#[derive(Clone, Debug)]
pub(crate) struct Referrer {
    pub(crate) kind: Kind,
    pub(crate) id: String,
    pub(crate) field: String,
    /// How many objects refer to it in all.
    pub(crate) total: i64,
}

impl Store {
    pub(crate) fn open(path: Option<&Path>) -> Result<Store, Error> {
        let location = match path {
            Some(p) => p.display().to_string(),
            None => "in memory".to_owned(),
        };
        let state = |source| Error::State {
            location: location.clone(),
            source,
        };
        let conn = match path {
            Some(p) => Connection::open(p),
            None => Connection::open_in_memory(),
        }
        .map_err(state)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(state)?;
        if version != 0 && version != SCHEMA_VERSION {
            return Err(Error::StateVersion {
                path: location,
                found: version,
                expected: SCHEMA_VERSION,
            });
        }
        // `journal_mode` answers a row, so it is queried rather than executed.
        let _mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(state)?;
        conn.execute_batch(
            "PRAGMA synchronous = NORMAL;
             PRAGMA wal_autocheckpoint = 8192;
             PRAGMA cache_size = -32768;
             PRAGMA busy_timeout = 5000;",
        )
        .map_err(state)?;
        conn.execute_batch(SCHEMA).map_err(state)?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(state)?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (the transaction
        // rolls back on drop), so a poisoned lock is still usable.
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `f` on a consistent snapshot.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Db<'_>) -> Result<T, Fail>) -> Result<T, Fail> {
        let conn = self.lock();
        f(&Db { conn: &conn })
    }

    /// Runs `f` in one transaction, committed before this returns when `f` succeeds and
    /// rolled back otherwise.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Db<'_>) -> Result<T, Fail>) -> Result<T, Fail> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&Db { conn: &tx })?;
        tx.commit()?;
        Ok(out)
    }
}

/// Queries and changes inside one `read` or `write`.
#[derive(Debug)]
pub(crate) struct Db<'c> {
    conn: &'c Connection,
}

fn kind_from_name(name: &str) -> Kind {
    Kind::ALL
        .into_iter()
        .find(|k| k.name() == name)
        .unwrap_or(Kind::CallSettings)
}

fn object(row: &rusqlite::Row<'_>) -> rusqlite::Result<Object> {
    let kind: String = row.get(0)?;
    let body: String = row.get(3)?;
    let body = match serde_json::from_str(&body) {
        Ok(Value::Object(map)) => map,
        _ => {
            return Err(rusqlite::Error::FromSqlConversionFailure(
                3,
                rusqlite::types::Type::Text,
                "object body is not a JSON object".into(),
            ));
        }
    };
    Ok(Object {
        kind: kind_from_name(&kind),
        id: row.get(1)?,
        parent: row.get(2)?,
        body,
    })
}

const COLUMNS: &str = "kind, id, parent, body";

impl Db<'_> {
    pub(crate) fn get(&self, kind: Kind, id: &str) -> rusqlite::Result<Option<Object>> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM object WHERE id = ?1 AND kind = ?2"
            ))?
            .query_row(params![id, kind.name()], object)
            .optional()
    }

    pub(crate) fn exists(&self, kind: Kind, id: &str) -> rusqlite::Result<bool> {
        self.conn
            .prepare_cached("SELECT 1 FROM object WHERE id = ?1 AND kind = ?2")?
            .exists(params![id, kind.name()])
    }

    /// The oldest object of `kind` with this natural key (and parent, when given).
    pub(crate) fn find(
        &self,
        kind: Kind,
        parent: Option<&str>,
        natural: &str,
    ) -> rusqlite::Result<Option<Object>> {
        let found = match parent {
            Some(parent) => self
                .conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM object
                     WHERE kind = ?1 AND parent = ?2 AND natural = ?3 ORDER BY seq LIMIT 1"
                ))?
                .query_row(params![kind.name(), parent, natural], object),
            None => self
                .conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM object
                     WHERE kind = ?1 AND natural = ?2 ORDER BY seq LIMIT 1"
                ))?
                .query_row(params![kind.name(), natural], object),
        };
        found.optional()
    }

    pub(crate) fn insert(
        &self,
        kind: Kind,
        id: &str,
        parent: Option<&str>,
        natural: Option<&str>,
        body: &Map<String, Value>,
        links: &[(&str, String)],
    ) -> rusqlite::Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO object (kind, id, parent, natural, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![kind.name(), id, parent, natural, to_json(body)])?;
        self.set_links(id, links)
    }

    pub(crate) fn update(
        &self,
        id: &str,
        natural: Option<&str>,
        body: &Map<String, Value>,
        links: &[(&str, String)],
    ) -> rusqlite::Result<()> {
        self.conn
            .prepare_cached("UPDATE object SET natural = ?2, body = ?3 WHERE id = ?1")?
            .execute(params![id, natural, to_json(body)])?;
        self.conn
            .prepare_cached("DELETE FROM link WHERE from_id = ?1")?
            .execute(params![id])?;
        self.set_links(id, links)
    }

    fn set_links(&self, id: &str, links: &[(&str, String)]) -> rusqlite::Result<()> {
        let mut insert = self
            .conn
            .prepare_cached("INSERT INTO link (from_id, field, to_id) VALUES (?1, ?2, ?3)")?;
        for (field, to) in links {
            insert.execute(params![id, field, to])?;
        }
        Ok(())
    }

    pub(crate) fn delete(&self, id: &str) -> rusqlite::Result<()> {
        self.conn
            .prepare_cached("DELETE FROM object WHERE id = ?1")?
            .execute(params![id])?;
        self.conn
            .prepare_cached("DELETE FROM link WHERE from_id = ?1")?
            .execute(params![id])?;
        Ok(())
    }

    /// The oldest object that refers to `id`, and how many do.
    pub(crate) fn referrer(&self, id: &str) -> rusqlite::Result<Option<Referrer>> {
        let total: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM link WHERE to_id = ?1")?
            .query_row(params![id], |r| r.get(0))?;
        if total == 0 {
            return Ok(None);
        }
        self.conn
            .prepare_cached(
                "SELECT o.kind, o.id, l.field FROM link l JOIN object o ON o.id = l.from_id
                 WHERE l.to_id = ?1 ORDER BY o.seq, l.field LIMIT 1",
            )?
            .query_row(params![id], |r| {
                Ok(Referrer {
                    kind: kind_from_name(&r.get::<_, String>(0)?),
                    id: r.get(1)?,
                    field: r.get(2)?,
                    total,
                })
            })
            .optional()
    }

    pub(crate) fn count(&self, kind: Kind, filter: Filter<'_>) -> rusqlite::Result<i64> {
        let (sql, arg) = match filter {
            Filter::All => ("SELECT COUNT(*) FROM object WHERE kind = ?1", None),
            Filter::Parent(p) => (
                "SELECT COUNT(*) FROM object WHERE kind = ?1 AND parent = ?2",
                Some(p),
            ),
            Filter::Natural(n) => (
                "SELECT COUNT(*) FROM object WHERE kind = ?1 AND natural = ?2",
                Some(n),
            ),
        };
        let mut stmt = self.conn.prepare_cached(sql)?;
        match arg {
            None => stmt.query_row(params![kind.name()], |r| r.get(0)),
            Some(a) => stmt.query_row(params![kind.name(), a], |r| r.get(0)),
        }
    }

    /// Objects in creation order; `limit` < 0 means all.
    pub(crate) fn list(
        &self,
        kind: Kind,
        filter: Filter<'_>,
        limit: i64,
        offset: i64,
    ) -> rusqlite::Result<Vec<Object>> {
        let (clause, arg) = match filter {
            Filter::All => ("", None),
            Filter::Parent(p) => (" AND parent = ?4", Some(p)),
            Filter::Natural(n) => (" AND natural = ?4", Some(n)),
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM object WHERE kind = ?1{clause} ORDER BY seq LIMIT ?2 OFFSET ?3"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = match arg {
            None => stmt.query_map(params![kind.name(), limit, offset], object)?,
            Some(a) => stmt.query_map(params![kind.name(), limit, offset, a], object)?,
        };
        rows.collect()
    }
}

fn to_json(body: &Map<String, Value>) -> String {
    // A map of JSON values always serialises.
    serde_json::to_string(body).unwrap_or_default()
}
