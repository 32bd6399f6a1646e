//! A session store in a JSON file.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use cloudbase_core::Credentials;
use cloudbase_core::store::{SessionStore, StoreError, StoreKey, file_format};

/// Keeps sessions in a JSON file, one entry per environment and client id, so one
/// file can serve several apps. Writes go to a temporary file that is renamed over
/// the old one (atomic on POSIX), with permissions 0600 on Unix. A file that cannot
/// be read is reported and never overwritten.
///
/// The format and merge rules are `cloudbase_core::store::file_format`; this type
/// only does the file I/O.
///
/// ```no_run
/// let store = cloudbase_blocking::FileStore::new("/var/lib/my-app/cloudbase-session.json");
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
}

impl SessionStore for FileStore {
    fn load(&self, key: &StoreKey) -> Result<Option<Credentials>, StoreError> {
        match self.read()? {
            Some(bytes) => file_format::read(&bytes, key).map_err(|m| self.corrupt(m)),
            None => Ok(None),
        }
    }

    fn save(&self, key: &StoreKey, credentials: Option<&Credentials>) -> Result<(), StoreError> {
        let existing = self.read()?;
        let bytes = file_format::update(existing.as_deref(), key, credentials)
            .map_err(|m| self.corrupt(m))?;
        let tmp = self
            .path
            .with_extension(format!("tmp-{}", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).map_err(|e| self.io(e))?;
        file.write_all(&bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| self.io(e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| self.io(e))
    }
}
