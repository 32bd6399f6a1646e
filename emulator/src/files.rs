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
    /// The signed length; `None` for the POST (form) upload, which signs none.
    pub len: Option<u64>,
    /// The signed content type (`None` without a `signedHeader`: the form's file part
    /// names it).
    pub content_type: Option<String>,
    pub expires_at: u64,
}

/// What is known about a stored object besides its bytes.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
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
    /// Where object metadata is kept across restarts (a chosen data directory only;
    /// a temporary one dies with the emulator anyway).
    meta_file: Option<PathBuf>,
    /// Uploads in progress, one uniquely named file each, renamed into `root` when
    /// complete (same file system, so the rename is atomic). Outside `root`, so no
    /// object name can collide with them.
    uploads_dir: PathBuf,
    /// Keeps a default temporary directory alive (and removes it on drop).
    _temp: Option<tempfile::TempDir>,
    state: Mutex<FileState>,
}

/// Directory entries one listing may walk before it gives up (bounded time and
/// memory whatever the tree holds).
pub(crate) const MAX_LISTED_ENTRIES: usize = 100_000;

/// Why a bucket could not be listed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ListError {
    /// Not a bucket name (empty, a dot segment, a separator, a control character).
    BadBucket,
    /// More than [`MAX_LISTED_ENTRIES`] entries under the bucket.
    TooMany,
}

/// One path segment that stays where it is put: not empty, not `.`/`..`, no
/// separator or control character.
pub(crate) fn safe_segment(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && !s.chars().any(|c| c == '/' || c == '\\' || c.is_control())
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
        let uploads_dir = base.join("uploads-in-progress");
        std::fs::create_dir_all(&uploads_dir).map_err(EmulatorError::Storage)?;
        let meta_file = temp.is_none().then(|| base.join("objects-metadata.json"));
        // Unreadable metadata is not fatal: the bytes are what matter; types default.
        let meta = meta_file
            .as_deref()
            .and_then(|f| std::fs::read(f).ok())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        Ok(Self {
            root,
            meta_file,
            uploads_dir,
            _temp: temp,
            state: Mutex::new(FileState {
                url_lifetime: DEFAULT_URL_LIFETIME,
                uploads: HashMap::new(),
                downloads: HashMap::new(),
                meta,
            }),
        })
    }

    /// Writes the metadata map (temp file, then rename: never a half-written file).
    fn persist_meta(&self, meta: &HashMap<String, ObjectMeta>) {
        let Some(file) = &self.meta_file else { return };
        let tmp = self
            .uploads_dir
            .join(format!("metadata-{}.json", crate::ids::random_hex(8)));
        let written = serde_json::to_vec(meta)
            .map_err(std::io::Error::other)
            .and_then(|bytes| std::fs::write(&tmp, bytes))
            .and_then(|()| std::fs::rename(&tmp, file));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            tracing::warn!("could not save object metadata: {e}");
        }
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
    /// storage directory (a dot segment, a separator, a symbolic link on the way) or
    /// has no name part.
    pub fn resolve(&self, key: &str) -> Option<PathBuf> {
        let segments: Vec<&str> = key.split('/').collect();
        if segments.len() < 2 || !segments.iter().all(|s| safe_segment(s)) {
            return None;
        }
        let mut path = self.root.clone();
        for segment in segments {
            path.push(segment);
            // A link inside the data directory could point anywhere on the host.
            if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
                return None;
            }
        }
        Some(path)
    }

    /// A fresh, unique file for one upload in progress.
    pub fn upload_temp_path(&self) -> PathBuf {
        self.uploads_dir
            .join(format!("{}.part", crate::ids::random_hex(16)))
    }

    /// Object names under `prefix` in `bucket`, sorted. Walks at most
    /// [`MAX_LISTED_ENTRIES`] directory entries and never follows a symbolic link;
    /// blocking (run it off the async runtime).
    pub fn keys_under(&self, bucket: &str, prefix: &str) -> Result<Vec<String>, ListError> {
        if !safe_segment(bucket) {
            return Err(ListError::BadBucket);
        }
        let base = self.root.join(bucket);
        // Start at the prefix's directory: a narrower prefix walks less.
        let mut start = base.clone();
        if let Some((dirs, _)) = prefix.rsplit_once('/') {
            for segment in dirs.split('/') {
                if !safe_segment(segment) {
                    return Ok(Vec::new()); // no stored name has such a segment
                }
                start.push(segment);
            }
        }
        let mut out = Vec::new();
        let mut seen = 0usize;
        let mut stack = vec![start];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                seen += 1;
                if seen > MAX_LISTED_ENTRIES {
                    return Err(ListError::TooMany);
                }
                // `file_type` of a directory entry does not follow links.
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                let path = entry.path();
                if kind.is_dir() {
                    stack.push(path);
                } else if kind.is_file()
                    && let Ok(rel) = path.strip_prefix(&base)
                {
                    let name = rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/");
                    if name.starts_with(prefix) {
                        out.push(name);
                    }
                }
            }
        }
        out.sort();
        Ok(out)
    }

    pub fn add_upload(&self, authorization: String, upload: PendingUpload) {
        lock(&self.state).uploads.insert(authorization, upload);
    }

    /// Takes the slot `authorization` opened (it is single-use, matched or not), if it
    /// is unexpired and was signed for `key` with this security `token` and file-id
    /// `meta`: how both the PUT and the POST form of step 2 prove they are the upload
    /// step 1 signed.
    pub fn claim_upload(
        &self,
        authorization: &str,
        (key, token, meta): (&str, Option<&str>, Option<&str>),
        now: u64,
    ) -> Result<PendingUpload, &'static str> {
        let upload = lock(&self.state)
            .uploads
            .remove(authorization)
            .filter(|u| u.expires_at >= now)
            .ok_or("unknown or expired upload signature")?;
        if upload.key != key
            || token != Some(upload.token.as_str())
            || meta != Some(upload.meta.as_str())
        {
            return Err("the signature does not match this upload");
        }
        Ok(upload)
    }

    /// A signature for downloading `key` until `now + lifetime`.
    pub fn sign_download(&self, key: &str, now: u64, lifetime: Duration) -> (String, u64) {
        let sign = crate::ids::random_hex(16);
        let expires_at = now.saturating_add(lifetime.as_secs());
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
        let mut state = lock(&self.state);
        state.meta.insert(key.to_owned(), meta);
        self.persist_meta(&state.meta);
    }

    pub fn meta(&self, key: &str) -> Option<ObjectMeta> {
        lock(&self.state).meta.get(key).cloned()
    }

    pub fn remove_meta(&self, key: &str) {
        let mut state = lock(&self.state);
        if state.meta.remove(key).is_some() {
            self.persist_meta(&state.meta);
        }
    }

    pub fn reset(&self) {
        let mut state = lock(&self.state);
        state.uploads.clear();
        state.downloads.clear();
        state.meta.clear();
        self.persist_meta(&state.meta);
        state.url_lifetime = DEFAULT_URL_LIFETIME;
        for dir in [&self.root, &self.uploads_dir] {
            if let Ok(entries) = std::fs::read_dir(dir) {
                for entry in entries.flatten() {
                    // Removes a link itself, never what it points to.
                    let _ = match entry.file_type() {
                        Ok(t) if t.is_dir() => std::fs::remove_dir_all(entry.path()),
                        _ => std::fs::remove_file(entry.path()),
                    };
                }
            }
        }
    }
}
