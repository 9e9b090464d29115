//! SQLite store: WAL, synchronous=FULL, busy_timeout, one writer connection behind a mutex.
//! Every write is committed (autocommit statement) before the call returns; reads are served
//! from an in-memory mirror loaded at open.

use std::path::Path;
use std::sync::Mutex;

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

impl SqliteStore {
    /// Open (creating) the database in `dir`.
    pub fn open(dir: &Path) -> StoreResult<Self> {
        std::fs::create_dir_all(dir).map_err(err)?;
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
        {
            let mut stmt = conn
                .prepare("SELECT account, body FROM rooms")
                .map_err(err)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .map_err(err)?;
            for row in rows {
                let (account, body) = row.map_err(err)?;
                let room: Room = serde_json::from_str(&body).map_err(err)?;
                mirror.put_room(&account, &room)?;
            }
            let mut stmt = conn
                .prepare("SELECT account, body FROM logging_configurations")
                .map_err(err)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .map_err(err)?;
            for row in rows {
                let (account, body) = row.map_err(err)?;
                let cfg: LoggingConfiguration = serde_json::from_str(&body).map_err(err)?;
                mirror.put_logging(&account, &cfg)?;
            }
            let mut stmt = conn.prepare("SELECT body FROM chat_tokens").map_err(err)?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(err)?;
            for row in rows {
                let t: ChatTokenRecord = serde_json::from_str(&row.map_err(err)?).map_err(err)?;
                mirror.put_token(&t)?;
            }
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
