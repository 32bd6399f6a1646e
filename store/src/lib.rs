//! Session files for Tencent CloudBase clients (`cloudbase-blocking`,
//! `cloudbase-async`), shared safely between processes.
//!
//! CloudBase refresh tokens are single-use: two processes that share a session and
//! refresh it at the same time log the user out. A [`FileStore`] therefore says it is
//! shared, and the clients' driver refreshes only under its exclusive OS file lock,
//! after re-reading the file, adopting a session another process stored instead of
//! refreshing again (`cloudbase_core::coordination`). Writes are atomic (a temporary
//! file with a unique name in the same directory, flushed to disk, then renamed over
//! the old one), so a reader never sees half a file; several sessions (environment
//! and client id) share one file, each write changing only its own entry under the
//! lock.
//!
//! ```no_run
//! let store = cloudbase_store::FileStore::new("/var/lib/my-app/cloudbase-session.json");
//! ```

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cloudbase_core::Credentials;
use cloudbase_core::store::{
    LockedStore, SessionStore, StoreError, StoreGuard, StoreKey, file_format,
};

/// How long a plain save (outside a coordinated renewal) waits for the lock.
const SAVE_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// Keeps sessions in a JSON file (`{"version": 1, "sessions": {…}}`), one entry per
/// environment and client id. Safe to share between processes: every write happens
/// under an exclusive lock on `<file>.lock` (an OS lock, released when the process
/// ends, however it ends), and goes to a temporary file renamed over the old one.
/// Permissions 0600 on Unix. A file that cannot be read is reported and never
/// overwritten.
///
/// ```no_run
/// let store = cloudbase_store::FileStore::new("session.json");
/// assert_eq!(store.path(), std::path::Path::new("session.json"));
/// ```
#[derive(Clone, Debug)]
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    /// A store at `path` (created on the first save).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The lock file beside it: `<file>.lock`. Locking the data file itself would not
    /// work, since every write replaces it.
    pub fn lock_path(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    fn files(&self) -> Files {
        Files {
            path: self.path.clone(),
        }
    }

    /// Takes the exclusive lock, waiting at most `timeout`.
    fn take_lock(&self, timeout: Duration) -> Result<File, StoreError> {
        let lock_path = self.lock_path();
        let io = |source| StoreError::Io {
            path: lock_path.clone(),
            source,
        };
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&lock_path).map_err(io)?;
        let started = Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(file),
                Err(std::fs::TryLockError::WouldBlock) => {}
                Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
            }
            let waited = started.elapsed();
            if waited >= timeout {
                return Err(StoreError::LockTimeout {
                    path: lock_path,
                    waited,
                });
            }
            // Polled, as std offers no lock wait with a deadline; short pauses first,
            // since another process's refresh usually takes milliseconds.
            std::thread::sleep(pause.min(timeout.saturating_sub(waited)));
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }
}

impl SessionStore for FileStore {
    fn load(&self, key: &StoreKey) -> Result<Option<Credentials>, StoreError> {
        self.files().load(key)
    }

    fn save(&self, key: &StoreKey, credentials: Option<&Credentials>) -> Result<(), StoreError> {
        let _lock = self.take_lock(SAVE_LOCK_TIMEOUT)?;
        self.files().save(key, credentials)
    }

    fn is_shared(&self) -> bool {
        true
    }

    fn lock(&self, key: &StoreKey, timeout: Duration) -> Result<StoreGuard, StoreError> {
        let lock = self.take_lock(timeout)?;
        Ok(Box::new(HeldFile {
            files: self.files(),
            key: key.clone(),
            _lock: lock,
        }))
    }
}

/// The data file's reads and atomic writes.
struct Files {
    path: PathBuf,
}

impl Files {
    fn io(&self, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: self.path.clone(),
            source,
        }
    }

    fn corrupt(&self, message: String) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            message,
        }
    }

    fn read(&self) -> Result<Option<Vec<u8>>, StoreError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io(e)),
        }
    }

    fn load(&self, key: &StoreKey) -> Result<Option<Credentials>, StoreError> {
        match self.read()? {
            Some(bytes) => file_format::read(&bytes, key).map_err(|m| self.corrupt(m)),
            None => Ok(None),
        }
    }

    /// Read, change one entry, write atomically. The caller holds the lock.
    fn save(&self, key: &StoreKey, credentials: Option<&Credentials>) -> Result<(), StoreError> {
        let existing = self.read()?;
        let bytes = file_format::update(existing.as_deref(), key, credentials)
            .map_err(|m| self.corrupt(m))?;
        let tmp = self.temp_path();
        let written = self
            .write_new(&tmp, &bytes)
            .and_then(|()| std::fs::rename(&tmp, &self.path).map_err(|e| self.io(e)));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written?;
        self.sync_dir();
        Ok(())
    }

    /// A name no other writer uses: process id, a counter and the time.
    fn temp_path(&self) -> PathBuf {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let mut name = self.path.as_os_str().to_owned();
        name.push(format!(".tmp-{}-{n}-{nanos}", std::process::id()));
        PathBuf::from(name)
    }

    fn write_new(&self, tmp: &Path, bytes: &[u8]) -> Result<(), StoreError> {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(tmp).map_err(|e| self.io(e))?;
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| self.io(e))
    }

    /// Makes the rename durable (Unix; elsewhere the rename is what the OS offers).
    fn sync_dir(&self) {
        #[cfg(unix)]
        if let Some(dir) = self.path.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
    }
}

/// The lock held for one session key; released when dropped.
struct HeldFile {
    files: Files,
    key: StoreKey,
    _lock: File,
}

impl LockedStore for HeldFile {
    fn load(&self) -> Result<Option<Credentials>, StoreError> {
        self.files.load(&self.key)
    }

    fn save(&mut self, credentials: Option<&Credentials>) -> Result<(), StoreError> {
        self.files.save(&self.key, credentials)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn creds(token: &str) -> Credentials {
        serde_json::from_value(serde_json::json!({
            "token_type": "Bearer", "access_token": token, "refresh_token": format!("rt-{token}"),
            "expires_at": 1_900_000_000u64, "scope": "user", "sub": "u", "groups": [],
        }))
        .unwrap()
    }

    fn key(env: &str) -> StoreKey {
        StoreKey {
            env_id: env.into(),
            client_id: env.into(),
        }
    }

    #[test]
    fn round_trips_and_keeps_other_entries() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("s.json"));
        store.save(&key("a"), Some(&creds("a"))).unwrap();
        store.save(&key("b"), Some(&creds("b"))).unwrap();
        assert_eq!(store.load(&key("a")).unwrap(), Some(creds("a")));
        store.save(&key("a"), None).unwrap();
        assert_eq!(store.load(&key("a")).unwrap(), None);
        assert_eq!(store.load(&key("b")).unwrap(), Some(creds("b")));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "no temporary file is left behind");
    }

    #[test]
    fn a_held_lock_makes_others_wait_and_time_out() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("s.json"));
        let mut held = store.lock(&key("a"), Duration::from_secs(1)).unwrap();
        held.save(Some(&creds("x"))).unwrap();
        assert!(matches!(
            store.lock(&key("a"), Duration::from_millis(20)),
            Err(StoreError::LockTimeout { .. })
        ));
        drop(held);
        let again = store.lock(&key("a"), Duration::from_secs(1)).unwrap();
        assert_eq!(again.load().unwrap(), Some(creds("x")));
    }

    #[test]
    fn a_corrupt_file_is_reported_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        std::fs::write(&path, b"{not json").unwrap();
        let store = FileStore::new(&path);
        assert!(matches!(
            store.load(&key("a")),
            Err(StoreError::Corrupt { .. })
        ));
        assert!(store.save(&key("a"), Some(&creds("a"))).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"{not json");
    }
}
