//! Where sessions are kept between runs.
//!
//! [`SessionStore`] is the interface; [`MemoryStore`] keeps sessions in memory. The
//! file store is the `cloudbase-store` crate's (it does file I/O and OS locking, which
//! this crate never does), built on [`file_format`], which holds the document shape:
//! a version, one entry per `{env}:{client}` key, and the refusal to overwrite a file
//! it cannot read. A store several processes share says so ([`SessionStore::is_shared`])
//! and offers an exclusive lock ([`SessionStore::lock`]); the call driver then
//! coordinates refreshes through it (`crate::coordination`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

pub use crate::error::StoreError;
use crate::session::Credentials;

/// Which app a stored session belongs to: one store may hold several.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StoreKey {
    /// The environment id.
    pub env_id: String,
    /// The client id.
    pub client_id: String,
}

impl std::fmt::Display for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.env_id, self.client_id)
    }
}

/// Keeps the signed-in session between runs. Called with the credentials after every
/// change (sign-in, refresh, sign-out) and once at client start.
///
/// ```
/// use cloudbase_core::store::{MemoryStore, SessionStore, StoreKey};
///
/// let store = MemoryStore::default();
/// let key = StoreKey { env_id: "e".into(), client_id: "e".into() };
/// assert!(store.load(&key)?.is_none());
/// # Ok::<(), cloudbase_core::store::StoreError>(())
/// ```
pub trait SessionStore: Send + Sync {
    /// The stored credentials for `key`, if any.
    fn load(&self, key: &StoreKey) -> Result<Option<Credentials>, StoreError>;
    /// Stores (`Some`) or removes (`None`) the credentials for `key`.
    fn save(&self, key: &StoreKey, credentials: Option<&Credentials>) -> Result<(), StoreError>;

    /// Whether other processes may use this store at the same time. The driver then
    /// checks the stored session before calls that carry the user's token, and
    /// refreshes only under [`SessionStore::lock`], adopting a session another
    /// process stored instead of refreshing again. Defaults to `false`.
    fn is_shared(&self) -> bool {
        false
    }

    /// Takes the store's exclusive lock (across processes), waiting at most
    /// `timeout`; the guard reads and writes `key` while it is held and releases the
    /// lock when dropped. Only called when [`SessionStore::is_shared`] says yes; the
    /// default refuses.
    fn lock(&self, key: &StoreKey, timeout: Duration) -> Result<StoreGuard, StoreError> {
        let _ = (key, timeout);
        Err(StoreError::Unsupported("this store cannot be locked"))
    }
}

/// The held lock of a shared store, for one session key: read and write while held;
/// dropping it releases the lock.
pub trait LockedStore: Send {
    /// The stored credentials, read now.
    fn load(&self) -> Result<Option<Credentials>, StoreError>;
    /// Stores (`Some`) or removes (`None`) the credentials.
    fn save(&mut self, credentials: Option<&Credentials>) -> Result<(), StoreError>;
}

/// A held store lock; see [`SessionStore::lock`].
pub type StoreGuard = Box<dyn LockedStore>;

impl<T: SessionStore + ?Sized> SessionStore for std::sync::Arc<T> {
    fn load(&self, key: &StoreKey) -> Result<Option<Credentials>, StoreError> {
        (**self).load(key)
    }

    fn save(&self, key: &StoreKey, credentials: Option<&Credentials>) -> Result<(), StoreError> {
        (**self).save(key, credentials)
    }

    fn is_shared(&self) -> bool {
        (**self).is_shared()
    }

    fn lock(&self, key: &StoreKey, timeout: Duration) -> Result<StoreGuard, StoreError> {
        (**self).lock(key, timeout)
    }
}

/// Sessions in memory: for tests, and for apps that sign in on every start.
#[derive(Debug, Default)]
pub struct MemoryStore {
    sessions: Mutex<HashMap<String, Credentials>>,
}

impl SessionStore for MemoryStore {
    fn load(&self, key: &StoreKey) -> Result<Option<Credentials>, StoreError> {
        let sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        Ok(sessions.get(&key.to_string()).cloned())
    }

    fn save(&self, key: &StoreKey, credentials: Option<&Credentials>) -> Result<(), StoreError> {
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        match credentials {
            Some(c) => sessions.insert(key.to_string(), c.clone()),
            None => sessions.remove(&key.to_string()),
        };
        Ok(())
    }
}

/// The session file: `{"version": 1, "sessions": {"{env}:{client}": Credentials}}`.
pub mod file_format {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Serialize};

    use super::StoreKey;
    use crate::session::Credentials;

    const VERSION: u32 = 1;

    #[derive(Serialize, Deserialize, Default)]
    struct Document {
        version: u32,
        sessions: BTreeMap<String, Credentials>,
    }

    fn parse(bytes: &[u8]) -> Result<Document, String> {
        let doc: Document = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if doc.version != VERSION {
            return Err(format!("unsupported version {}", doc.version));
        }
        Ok(doc)
    }

    /// The credentials stored for `key` in a file's bytes.
    pub fn read(bytes: &[u8], key: &StoreKey) -> Result<Option<Credentials>, String> {
        Ok(parse(bytes)?.sessions.remove(&key.to_string()))
    }

    /// The new file contents: `existing` (if the file exists) with `key` set or
    /// removed. Unreadable existing contents are an error, never silently replaced.
    pub fn update(
        existing: Option<&[u8]>,
        key: &StoreKey,
        credentials: Option<&Credentials>,
    ) -> Result<Vec<u8>, String> {
        let mut doc = match existing {
            Some(bytes) => parse(bytes)?,
            None => Document {
                version: VERSION,
                sessions: BTreeMap::new(),
            },
        };
        match credentials {
            Some(c) => doc.sessions.insert(key.to_string(), c.clone()),
            None => doc.sessions.remove(&key.to_string()),
        };
        serde_json::to_vec_pretty(&doc).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn creds(token: &str) -> Credentials {
        let r: crate::session::TokenResponse = serde_json::from_value(
            serde_json::json!({"access_token": token, "expires_in": 60, "refresh_token": "rt"}),
        )
        .unwrap();
        Credentials::from_response(
            r,
            SystemTime::UNIX_EPOCH
                .checked_add(Duration::from_secs(100))
                .unwrap(),
        )
        .unwrap()
    }

    fn key(env: &str) -> StoreKey {
        StoreKey {
            env_id: env.into(),
            client_id: env.into(),
        }
    }

    #[test]
    fn one_file_holds_several_apps() {
        let a = file_format::update(None, &key("a"), Some(&creds("ta"))).unwrap();
        let ab = file_format::update(Some(&a), &key("b"), Some(&creds("tb"))).unwrap();
        assert_eq!(
            file_format::read(&ab, &key("a")).unwrap(),
            Some(creds("ta"))
        );
        assert_eq!(
            file_format::read(&ab, &key("b")).unwrap(),
            Some(creds("tb"))
        );
        let b = file_format::update(Some(&ab), &key("a"), None).unwrap();
        assert_eq!(file_format::read(&b, &key("a")).unwrap(), None);
        assert_eq!(file_format::read(&b, &key("b")).unwrap(), Some(creds("tb")));
    }

    #[test]
    fn corrupt_contents_are_errors_not_overwritten() {
        assert!(file_format::read(b"{not json", &key("a")).is_err());
        assert!(file_format::update(Some(b"{not json"), &key("a"), None).is_err());
        assert!(file_format::read(br#"{"version":9,"sessions":{}}"#, &key("a")).is_err());
    }

    #[test]
    fn memory_store_round_trips() {
        let s = MemoryStore::default();
        s.save(&key("a"), Some(&creds("t"))).unwrap();
        assert_eq!(s.load(&key("a")).unwrap(), Some(creds("t")));
        s.save(&key("a"), None).unwrap();
        assert_eq!(s.load(&key("a")).unwrap(), None);
    }
}
