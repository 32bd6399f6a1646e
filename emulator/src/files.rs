//! Stored files: bytes on the local file system under the data directory, metadata
//! and the signed upload/download URLs handed out, in memory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use crate::{EmulatorError, lock};

/// A signed upload slot (`get-objects-upload-info`), valid once.
#[derive(Clone, Debug)]
pub(crate) struct PendingUpload {
    pub key: String,
    pub token: String,
    pub meta: String,
    pub len: u64,
    pub content_type: String,
    pub expires_at: u64,
}

/// What is known about a stored object besides its bytes.
#[derive(Clone, Debug)]
pub(crate) struct ObjectMeta {
    pub id: String,
    pub content_type: String,
    pub cache_control: Option<String>,
    pub created_at: u64,
}

#[derive(Debug)]
struct FileState {
    url_lifetime: Duration,
    /// Upload `authorization` → slot.
    uploads: HashMap<String, PendingUpload>,
    /// Download signature → (key, expires at).
    downloads: HashMap<String, (String, u64)>,
    /// Key (`bucket/name`) → metadata.
    meta: HashMap<String, ObjectMeta>,
}

pub(crate) struct FileStore {
    root: PathBuf,
    /// Keeps a default temporary directory alive (and removes it on drop).
    _temp: Option<tempfile::TempDir>,
    state: Mutex<FileState>,
}

/// Default lifetime of download URLs (the JS SDK asks for 600 s when downloading).
const DEFAULT_URL_LIFETIME: Duration = Duration::from_secs(600);

impl FileStore {
    pub fn open(data_dir: Option<PathBuf>) -> Result<Self, EmulatorError> {
        let (base, temp) = match data_dir {
            Some(dir) => (dir, None),
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("cloudbase-emulator-")
                    .tempdir()
                    .map_err(EmulatorError::Storage)?;
                (temp.path().to_owned(), Some(temp))
            }
        };
        let root = base.join("storage");
        std::fs::create_dir_all(&root).map_err(EmulatorError::Storage)?;
        Ok(Self {
            root,
            _temp: temp,
            state: Mutex::new(FileState {
                url_lifetime: DEFAULT_URL_LIFETIME,
                uploads: HashMap::new(),
                downloads: HashMap::new(),
                meta: HashMap::new(),
            }),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn set_url_lifetime(&self, lifetime: Duration) {
        lock(&self.state).url_lifetime = lifetime;
    }

    pub fn url_lifetime(&self) -> Duration {
        lock(&self.state).url_lifetime
    }

    /// The file of `key` (`bucket/name…`), or `None` when the key could escape the
    /// storage directory or has no name part.
    pub fn resolve(&self, key: &str) -> Option<PathBuf> {
        let segments: Vec<&str> = key.split('/').collect();
        let unsafe_segment =
            |s: &&str| s.is_empty() || *s == "." || *s == ".." || s.contains(['\\', '\0']);
        if segments.len() < 2 || segments.iter().any(unsafe_segment) {
            return None;
        }
        Some(segments.iter().fold(self.root.clone(), |p, s| p.join(s)))
    }

    pub fn add_upload(&self, authorization: String, upload: PendingUpload) {
        lock(&self.state).uploads.insert(authorization, upload);
    }

    /// Takes the slot `authorization` opened, if it is unexpired.
    pub fn take_upload(&self, authorization: &str, now: u64) -> Option<PendingUpload> {
        let mut state = lock(&self.state);
        let upload = state.uploads.remove(authorization)?;
        (upload.expires_at >= now).then_some(upload)
    }

    /// A signature for downloading `key` until `now + lifetime`.
    pub fn sign_download(&self, key: &str, now: u64, lifetime: Duration) -> (String, u64) {
        let sign = crate::routes::auth::random_hex(16);
        let expires_at = now + lifetime.as_secs();
        lock(&self.state)
            .downloads
            .insert(sign.clone(), (key.to_owned(), expires_at));
        (sign, expires_at)
    }

    /// Whether `sign` allows downloading `key` at `now`.
    pub fn check_download(&self, sign: &str, key: &str, now: u64) -> Result<(), &'static str> {
        match lock(&self.state).downloads.get(sign) {
            Some((k, _)) if k != key => Err("the signature is for another file"),
            Some((_, expires_at)) if *expires_at <= now => Err("the URL has expired"),
            Some(_) => Ok(()),
            None => Err("the signature is not valid"),
        }
    }

    pub fn set_meta(&self, key: &str, meta: ObjectMeta) {
        lock(&self.state).meta.insert(key.to_owned(), meta);
    }

    pub fn meta(&self, key: &str) -> Option<ObjectMeta> {
        lock(&self.state).meta.get(key).cloned()
    }

    pub fn remove_meta(&self, key: &str) {
        lock(&self.state).meta.remove(key);
    }

    /// Keys stored under `prefix` (walking the directory), sorted.
    pub fn keys_under(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![self.root.join(bucket)];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if let Ok(rel) = path.strip_prefix(self.root.join(bucket)) {
                    let name = rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/");
                    if name.starts_with(prefix) && !name.ends_with(".upload") {
                        out.push(name);
                    }
                }
            }
        }
        out.sort();
        out
    }

    pub fn reset(&self) {
        let mut state = lock(&self.state);
        state.uploads.clear();
        state.downloads.clear();
        state.meta.clear();
        state.url_lifetime = DEFAULT_URL_LIFETIME;
        if let Ok(entries) = std::fs::read_dir(&self.root) {
            for entry in entries.flatten() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}
