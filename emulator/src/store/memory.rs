//! In-memory store: one RwLock over per-account maps; short critical sections.

use std::collections::HashMap;
use std::sync::RwLock;

use super::{ChatTokenRecord, LoggingConfiguration, Room, Store, StoreError, StoreResult};

#[derive(Default)]
struct Account {
    rooms: HashMap<String, Room>,
    logging: HashMap<String, LoggingConfiguration>,
}

#[derive(Default)]
struct Inner {
    accounts: HashMap<String, Account>,
    tokens: HashMap<String, ChatTokenRecord>,
}

/// In-memory [`Store`].
#[derive(Default)]
pub struct MemoryStore {
    inner: RwLock<Inner>,
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError("store lock poisoned".into())
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The chat tokens for which `dead` is true.
    pub fn matching_tokens(
        &self,
        dead: &dyn Fn(&ChatTokenRecord) -> bool,
    ) -> StoreResult<Vec<String>> {
        let g = self.inner.read().map_err(poisoned)?;
        Ok(g.tokens
            .values()
            .filter(|t| dead(t))
            .map(|t| t.token.clone())
            .collect())
    }

    /// Forget these chat tokens.
    pub fn remove_tokens(&self, tokens: &[String]) -> StoreResult<()> {
        let mut g = self.inner.write().map_err(poisoned)?;
        for t in tokens {
            g.tokens.remove(t);
        }
        Ok(())
    }
}

impl Store for MemoryStore {
    fn get_room(&self, account: &str, id: &str) -> StoreResult<Option<Room>> {
        let g = self.inner.read().map_err(poisoned)?;
        Ok(g.accounts
            .get(account)
            .and_then(|a| a.rooms.get(id))
            .cloned())
    }
    fn list_rooms(&self, account: &str) -> StoreResult<Vec<Room>> {
        let g = self.inner.read().map_err(poisoned)?;
        Ok(g.accounts
            .get(account)
            .map(|a| a.rooms.values().cloned().collect())
            .unwrap_or_default())
    }
    fn count_rooms(&self, account: &str) -> StoreResult<usize> {
        let g = self.inner.read().map_err(poisoned)?;
        Ok(g.accounts.get(account).map_or(0, |a| a.rooms.len()))
    }
    fn put_room(&self, account: &str, room: &Room) -> StoreResult<()> {
        let mut g = self.inner.write().map_err(poisoned)?;
        g.accounts
            .entry(account.to_string())
            .or_default()
            .rooms
            .insert(room.id.clone(), room.clone());
        Ok(())
    }
    fn delete_room(&self, account: &str, id: &str) -> StoreResult<bool> {
        let mut g = self.inner.write().map_err(poisoned)?;
        Ok(g.accounts
            .get_mut(account)
            .is_some_and(|a| a.rooms.remove(id).is_some()))
    }
    fn get_logging(&self, account: &str, id: &str) -> StoreResult<Option<LoggingConfiguration>> {
        let g = self.inner.read().map_err(poisoned)?;
        Ok(g.accounts
            .get(account)
            .and_then(|a| a.logging.get(id))
            .cloned())
    }
    fn list_logging(&self, account: &str) -> StoreResult<Vec<LoggingConfiguration>> {
        let g = self.inner.read().map_err(poisoned)?;
        Ok(g.accounts
            .get(account)
            .map(|a| a.logging.values().cloned().collect())
            .unwrap_or_default())
    }
    fn count_logging(&self, account: &str) -> StoreResult<usize> {
        let g = self.inner.read().map_err(poisoned)?;
        Ok(g.accounts.get(account).map_or(0, |a| a.logging.len()))
    }
    fn put_logging(&self, account: &str, cfg: &LoggingConfiguration) -> StoreResult<()> {
        let mut g = self.inner.write().map_err(poisoned)?;
        g.accounts
            .entry(account.to_string())
            .or_default()
            .logging
            .insert(cfg.id.clone(), cfg.clone());
        Ok(())
    }
    fn delete_logging(&self, account: &str, id: &str) -> StoreResult<bool> {
        let mut g = self.inner.write().map_err(poisoned)?;
        Ok(g.accounts
            .get_mut(account)
            .is_some_and(|a| a.logging.remove(id).is_some()))
    }
    fn put_token(&self, token: &ChatTokenRecord) -> StoreResult<()> {
        let mut g = self.inner.write().map_err(poisoned)?;
        g.tokens.insert(token.token.clone(), token.clone());
        Ok(())
    }
    fn get_token(&self, token: &str) -> StoreResult<Option<ChatTokenRecord>> {
        let g = self.inner.read().map_err(poisoned)?;
        Ok(g.tokens.get(token).cloned())
    }
    fn purge_tokens(&self, dead: &dyn Fn(&ChatTokenRecord) -> bool) -> StoreResult<usize> {
        let mut g = self.inner.write().map_err(poisoned)?;
        let before = g.tokens.len();
        g.tokens.retain(|_, t| !dead(t));
        let purged = before - g.tokens.len();
        if purged > 0 && g.tokens.capacity() > 4 * g.tokens.len().max(64) {
            g.tokens.shrink_to_fit();
        }
        Ok(purged)
    }
    fn count_tokens(&self) -> StoreResult<usize> {
        Ok(self.inner.read().map_err(poisoned)?.tokens.len())
    }
    fn reset(&self) -> StoreResult<()> {
        let mut g = self.inner.write().map_err(poisoned)?;
        *g = Inner::default();
        Ok(())
    }
}
