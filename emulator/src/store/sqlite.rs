//! SQLite store: WAL, synchronous=FULL, busy_timeout, one writer connection behind a mutex.
//! Every write is committed (autocommit statement) before the call returns; reads are served
//! from an in-memory mirror loaded at open.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::types::Value;
use rusqlite::{Connection, params};

use super::memory::MemoryStore;
use super::{ChatTokenRecord, LoggingConfiguration, Room, Store, StoreError, StoreResult};

/// Durable [`Store`] in `DIR/ivschat.sqlite3`.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    mirror: MemoryStore,
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(format!("sqlite: {e}"))
}

/// The key columns of a table (the chat token itself is a secret, so token rows are named by
/// their rowid).
fn key_names(table: &str) -> &'static [&'static str] {
    if table == "chat_tokens" {
        &["rowid"]
    } else {
        &["account", "id"]
    }
}

/// A row that cannot be read: names its table and key.
fn corrupt(table: &str, key: &[String], e: impl std::fmt::Display) -> StoreError {
    let key: Vec<String> = key_names(table)
        .iter()
        .zip(key)
        .map(|(n, v)| format!("{n} = {v:?}"))
        .collect();
    StoreError(format!(
        "sqlite: corrupt row in table {table} ({}): {e}; delete or repair that row",
        key.join(", ")
    ))
}

fn as_text(v: &Value) -> Result<String, String> {
    match v {
        Value::Text(s) => Ok(s.clone()),
        Value::Integer(i) => Ok(i.to_string()),
        other => Err(format!("expected text, found {}", other.data_type())),
    }
}

/// Every row of `table` as (key column values, body text); a row whose key or body is not
/// text is reported with [`corrupt`].
fn rows(conn: &Connection, table: &str, keys: &str) -> StoreResult<Vec<(Vec<String>, String)>> {
    let n = keys.split(',').count();
    let mut stmt = conn
        .prepare(&format!("SELECT {keys}, body FROM {table}"))
        .map_err(err)?;
    let raw = stmt
        .query_map([], |r| {
            (0..=n)
                .map(|i| r.get::<_, Value>(i))
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    raw.into_iter()
        .map(|mut cols| {
            let body = cols.pop().unwrap_or(Value::Null);
            let key: Vec<String> = cols
                .iter()
                .map(|c| as_text(c).unwrap_or_else(|e| format!("<{e}>")))
                .collect();
            let body = as_text(&body).map_err(|e| corrupt(table, &key, e))?;
            Ok((key, body))
        })
        .collect()
}

impl SqliteStore {
    /// Open (creating) the database in `dir`.
    pub fn open(dir: &Path) -> StoreResult<Self> {
        if dir.exists() && !dir.is_dir() {
            return Err(StoreError(format!(
                "--data-dir {} is a file, not a directory: give a directory (it is created if \
                 missing; the database is DIR/ivschat.sqlite3)",
                dir.display()
            )));
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError(format!("cannot create --data-dir {}: {e}", dir.display())))?;
        let conn = Connection::open(dir.join("ivschat.sqlite3")).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS rooms (account TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (account, id));
             CREATE TABLE IF NOT EXISTS logging_configurations (account TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (account, id));
             CREATE TABLE IF NOT EXISTS chat_tokens (token TEXT PRIMARY KEY, body TEXT NOT NULL);",
        )
        .map_err(err)?;
        let mirror = MemoryStore::new();
        for (key, body) in rows(&conn, "rooms", "account, id")? {
            let room: Room = serde_json::from_str(&body).map_err(|e| corrupt("rooms", &key, e))?;
            mirror.put_room(&key[0], &room)?;
        }
        for (key, body) in rows(&conn, "logging_configurations", "account, id")? {
            let cfg: LoggingConfiguration = serde_json::from_str(&body)
                .map_err(|e| corrupt("logging_configurations", &key, e))?;
            mirror.put_logging(&key[0], &cfg)?;
        }
        for (key, body) in rows(&conn, "chat_tokens", "rowid")? {
            // serde's message may quote a value (a token, a user id): give only where it failed.
            let t: ChatTokenRecord = serde_json::from_str(&body).map_err(|e| {
                let what = format!(
                    "{:?} error at line {} column {}",
                    e.classify(),
                    e.line(),
                    e.column()
                );
                corrupt("chat_tokens", &key, what)
            })?;
            mirror.put_token(&t)?;
        }
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            mirror,
        })
    }

    fn exec(&self, sql: &str, p: &[&dyn rusqlite::ToSql]) -> StoreResult<usize> {
        let conn = self
            .conn
            .lock()
            .map_err(|_| StoreError("sqlite mutex poisoned".into()))?;
        conn.execute(sql, p).map_err(err)
    }
}

impl Store for SqliteStore {
    fn get_room(&self, account: &str, id: &str) -> StoreResult<Option<Room>> {
        self.mirror.get_room(account, id)
    }
    fn list_rooms(&self, account: &str) -> StoreResult<Vec<Room>> {
        self.mirror.list_rooms(account)
    }
    fn count_rooms(&self, account: &str) -> StoreResult<usize> {
        self.mirror.count_rooms(account)
    }
    fn put_room(&self, account: &str, room: &Room) -> StoreResult<()> {
        let body = serde_json::to_string(room).map_err(err)?;
        self.exec(
            "INSERT OR REPLACE INTO rooms (account, id, body) VALUES (?1, ?2, ?3)",
            params![account, room.id, body],
        )?;
        self.mirror.put_room(account, room)
    }
    fn delete_room(&self, account: &str, id: &str) -> StoreResult<bool> {
        self.exec(
            "DELETE FROM rooms WHERE account = ?1 AND id = ?2",
            params![account, id],
        )?;
        self.mirror.delete_room(account, id)
    }
    fn get_logging(&self, account: &str, id: &str) -> StoreResult<Option<LoggingConfiguration>> {
        self.mirror.get_logging(account, id)
    }
    fn list_logging(&self, account: &str) -> StoreResult<Vec<LoggingConfiguration>> {
        self.mirror.list_logging(account)
    }
    fn count_logging(&self, account: &str) -> StoreResult<usize> {
        self.mirror.count_logging(account)
    }
    fn put_logging(&self, account: &str, cfg: &LoggingConfiguration) -> StoreResult<()> {
        let body = serde_json::to_string(cfg).map_err(err)?;
        self.exec(
            "INSERT OR REPLACE INTO logging_configurations (account, id, body) VALUES (?1, ?2, ?3)",
            params![account, cfg.id, body],
        )?;
        self.mirror.put_logging(account, cfg)
    }
    fn delete_logging(&self, account: &str, id: &str) -> StoreResult<bool> {
        self.exec(
            "DELETE FROM logging_configurations WHERE account = ?1 AND id = ?2",
            params![account, id],
        )?;
        self.mirror.delete_logging(account, id)
    }
    fn put_token(&self, token: &ChatTokenRecord) -> StoreResult<()> {
        let body = serde_json::to_string(token).map_err(err)?;
        self.exec(
            "INSERT OR REPLACE INTO chat_tokens (token, body) VALUES (?1, ?2)",
            params![token.token, body],
        )?;
        self.mirror.put_token(token)
    }
    fn get_token(&self, token: &str) -> StoreResult<Option<ChatTokenRecord>> {
        self.mirror.get_token(token)
    }
    fn purge_tokens(&self, dead: &dyn Fn(&ChatTokenRecord) -> bool) -> StoreResult<usize> {
        let tokens = self.mirror.matching_tokens(dead)?;
        if tokens.is_empty() {
            return Ok(0);
        }
        {
            let mut conn = self
                .conn
                .lock()
                .map_err(|_| StoreError("sqlite mutex poisoned".into()))?;
            let tx = conn.transaction().map_err(err)?;
            {
                let mut stmt = tx
                    .prepare_cached("DELETE FROM chat_tokens WHERE token = ?1")
                    .map_err(err)?;
                for t in &tokens {
                    stmt.execute(params![t]).map_err(err)?;
                }
            }
            tx.commit().map_err(err)?;
        }
        self.mirror.remove_tokens(&tokens)?;
        Ok(tokens.len())
    }
    fn count_tokens(&self) -> StoreResult<usize> {
        self.mirror.count_tokens()
    }
    fn reset(&self) -> StoreResult<()> {
        {
            let conn = self
                .conn
                .lock()
                .map_err(|_| StoreError("sqlite mutex poisoned".into()))?;
            conn.execute_batch(
                "DELETE FROM rooms; DELETE FROM logging_configurations; DELETE FROM chat_tokens;",
            )
            .map_err(err)?;
        }
        self.mirror.reset()
    }
}
