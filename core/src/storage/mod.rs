//! Cloud storage (docs/protocol/storage.md): the classic file API over the gateway
//! (`/v1/storages/{op}`, §1) and the bucket/object API (`/v1/storages/object/...`,
//! §3, in [`objects`]).
//!
//! Uploads and downloads stream: the operations here mark their body or answer, and
//! the adapters' `execute_transfer` moves the bytes between a file and the network
//! ([`crate::transfer`]).

mod download;
mod file_info;
pub mod objects;
mod upload;
mod urls;

pub(crate) use download::ViaTempUrl;
pub use download::{DownloadFile, Downloaded};
pub use file_info::{FileInfo, GetFileInfo};
pub use upload::{UploadFile, UploadedFile};

use http::Method;
use serde::{Deserialize, Serialize};

use crate::codes::GatewayErrorCode;
use crate::error::{BuildError, DecodeError, Error, ServerCode, ServerError};
use crate::operation::{OneShot, RequestContext, ResponseContext};
use crate::request::{Access, Api, HttpResponse, RequestIdStyle, RequestSpec};
use crate::response::decode_json;

/// Checks a classic cloud path `<bucket>/<name>`: the first segment names the bucket
/// (docs/protocol/storage.md: a missing bucket prefix is `STORAGE_BUCKET_NOT_FOUND`, refused here
/// before sending); no empty, `.` or `..` segments, no leading `/`, no control
/// characters.
///
/// ```
/// use cloudbase_core::storage::validate_cloud_path;
/// assert!(validate_cloud_path("photos/2026/cat.png").is_ok());
/// assert!(validate_cloud_path("cat.png").is_err());
/// assert!(validate_cloud_path("photos/../secret").is_err());
/// ```
pub fn validate_cloud_path(path: &str) -> Result<(), BuildError> {
    let invalid = |rule| BuildError::InvalidName {
        what: "cloud path",
        value: path.to_owned(),
        rule,
    };
    if path.chars().any(char::is_control) {
        return Err(invalid("must not contain control characters"));
    }
    let segments: Vec<&str> = path.split('/').collect();
    if segments.len() < 2 {
        return Err(invalid("must start with a bucket id: <bucket>/<name>"));
    }
    if segments
        .iter()
        .any(|s| s.is_empty() || *s == "." || *s == "..")
    {
        return Err(invalid(
            "must not start or end with '/' or contain empty, '.' or '..' segments",
        ));
    }
    Ok(())
}

fn validate_file_id(file_id: &str) -> Result<(), BuildError> {
    if !file_id.starts_with("cloud://") || file_id.chars().any(char::is_control) {
        return Err(BuildError::InvalidName {
            what: "file id",
            value: file_id.to_owned(),
            rule: "must be a cloud://… file id",
        });
    }
    Ok(())
}

/// A per-file failure inside a successful batch answer (`code`/`message` on an item).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ItemError {
    /// The item's code, e.g. `STORAGE_FILE_NONEXIST`.
    pub code: GatewayErrorCode,
    /// The item's message.
    pub message: String,
}

impl ItemError {
    fn into_error(self, request_id: Option<String>) -> Error {
        ServerError {
            status: http::StatusCode::OK,
            code: ServerCode::Gateway(self.code),
            message: self.message,
            request_id,
            numeric_code: None,
            retry_after: None,
            postgrest: None,
        }
        .into()
    }
}

/// One reply item of the classic batch calls (fields vary by call).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ReplyItem {
    code: Option<String>,
    message: Option<String>,
    cloud_object_id: Option<String>,
    download_url: Option<String>,
    upload_url: Option<String>,
    authorization: Option<String>,
    token: Option<String>,
    cloud_object_meta: Option<String>,
}

impl ReplyItem {
    fn error(&self) -> Option<ItemError> {
        let code = self
            .code
            .as_deref()
            .filter(|c| !c.is_empty() && *c != "SUCCESS")?;
        Some(ItemError {
            code: GatewayErrorCode::from(code),
            message: self.message.clone().unwrap_or_default(),
        })
    }
}

/// Reads a batch reply: a JSON array (the JS SDK's `gateWay` hands back the parsed
/// body and indexes it), or `{data: [...]}`.
fn reply_items(response: &HttpResponse, expected: usize) -> Result<Vec<ReplyItem>, Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Reply {
        Items(Vec<ReplyItem>),
        Wrapped { data: Vec<ReplyItem> },
    }
    let items = match decode_json::<Reply>(response.status(), response.body())? {
        Reply::Items(items) | Reply::Wrapped { data: items } => items,
    };
    if items.len() != expected {
        return Err(shape_error(
            response.status(),
            format!("expected {expected} reply items, got {}", items.len()),
        )
        .into());
    }
    Ok(items)
}

/// A body that parsed but lacks what the protocol promises.
pub(crate) fn shape_error(status: http::StatusCode, reason: impl Into<String>) -> DecodeError {
    DecodeError::Json {
        status,
        path: ".".into(),
        message: reason.into(),
        snippet: String::new(),
        source: None,
    }
}

fn batch_request<T: Serialize>(op: &str, items: &[T]) -> Result<RequestSpec, BuildError> {
    let body = crate::request::to_json(items)?;
    Ok(RequestSpec::new(Api::Gateway, Method::POST, Access::Bearer)
        .path("storages")
        .segment(op)
        .request_id(RequestIdStyle::Uuid)
        .json_body(body, "application/json; charset=utf-8"))
}

fn non_empty<T>(items: &[T], field: &'static str) -> Result<(), BuildError> {
    if items.is_empty() {
        return Err(BuildError::InvalidInput {
            field,
            reason: "at least one is required".into(),
        });
    }
    Ok(())
}

/// A temporary download URL, or why the service gave none.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TempFileUrl {
    /// The file id asked about.
    pub file_id: String,
    /// The URL, or the item's error.
    pub url: Result<String, ItemError>,
}

/// One call of the classic batch API over file ids (`[{cloudObjectId}]` in, one reply
/// item per file out); [`TempFileUrls`] and [`DeleteFiles`] are its two uses.
#[derive(Clone, Debug)]
#[must_use]
pub struct FileBatch<T> {
    op: &'static str,
    file_ids: Vec<String>,
    read: fn(ReplyItem, &str) -> T,
}

impl<T> FileBatch<T> {
    fn new<S: Into<String>>(
        op: &'static str,
        file_ids: impl IntoIterator<Item = S>,
        read: fn(ReplyItem, &str) -> T,
    ) -> Result<Self, BuildError> {
        let file_ids: Vec<String> = file_ids.into_iter().map(Into::into).collect();
        non_empty(&file_ids, "file ids")?;
        file_ids.iter().try_for_each(|f| validate_file_id(f))?;
        Ok(Self { op, file_ids, read })
    }
}

impl<T> OneShot for FileBatch<T> {
    type Output = Vec<T>;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        let items: Vec<_> = self
            .file_ids
            .iter()
            .map(|id| serde_json::json!({ "cloudObjectId": id }))
            .collect();
        Ok(batch_request(self.op, &items)?)
    }

    /// Both uses are safe to repeat (a URL is asked again; a deleted file stays gone).
    fn is_idempotent(&self) -> bool {
        true
    }

    fn parse(
        &self,
        response: HttpResponse,
        _cx: &mut ResponseContext<'_>,
    ) -> Result<Vec<T>, Error> {
        let items = reply_items(&response, self.file_ids.len())?;
        Ok(items
            .into_iter()
            .zip(&self.file_ids)
            .map(|(item, asked)| (self.read)(item, asked))
            .collect())
    }
}

/// `getTempFileURL`: download URLs for files (`get-objects-download-info`; the
/// gateway route takes no `maxAge`, the service decides the lifetime).
///
/// ```
/// use cloudbase_core::storage::TempFileUrls;
/// let op = TempFileUrls::temp_urls(["cloud://env.bucket/photos/cat.png"])?;
/// # Ok::<(), cloudbase_core::BuildError>(())
/// ```
pub type TempFileUrls = FileBatch<TempFileUrl>;

impl FileBatch<TempFileUrl> {
    /// URLs for these file ids (at least one).
    pub fn temp_urls<S: Into<String>>(
        file_ids: impl IntoIterator<Item = S>,
    ) -> Result<Self, BuildError> {
        Self::new("get-objects-download-info", file_ids, |item, asked| {
            TempFileUrl {
                file_id: asked.to_owned(),
                url: match (item.error(), item.download_url) {
                    (Some(e), _) => Err(e),
                    (None, Some(url)) => Ok(urls::sendable(&url, urls::key_of_file_id(asked))),
                    (None, None) => Err(ItemError {
                        code: GatewayErrorCode::Unknown("NO_DOWNLOAD_URL".into()),
                        message: "the service returned no download URL".into(),
                    }),
                },
            }
        })
    }
}

/// The URL of a one-file [`TempFileUrls`] answer, or its item error as an
/// [`Error::Server`] (for the adapters' `download_url`).
pub fn single_url(url: Option<TempFileUrl>) -> Result<String, Error> {
    match url {
        Some(TempFileUrl { url: Ok(url), .. }) => Ok(url),
        Some(TempFileUrl { url: Err(e), .. }) => Err(e.into_error(None)),
        None => Err(Error::Internal("no URL answered")),
    }
}

/// What happened to one file of a batch (delete, copy).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ItemOutcome {
    /// The file id (for copies: the new file).
    pub file_id: String,
    /// The item's error, if it failed.
    pub error: Option<ItemError>,
}

/// `deleteFile` (`delete-objects`). Idempotent: deleting twice leaves no file.
///
/// ```
/// use cloudbase_core::storage::DeleteFiles;
/// let op = DeleteFiles::delete(["cloud://env.bucket/photos/cat.png"])?;
/// # Ok::<(), cloudbase_core::BuildError>(())
/// ```
pub type DeleteFiles = FileBatch<ItemOutcome>;

impl FileBatch<ItemOutcome> {
    /// Deletes these files (at least one).
    pub fn delete<S: Into<String>>(
        file_ids: impl IntoIterator<Item = S>,
    ) -> Result<Self, BuildError> {
        Self::new("delete-objects", file_ids, |item, asked| ItemOutcome {
            error: item.error(),
            file_id: item.cloud_object_id.unwrap_or_else(|| asked.to_owned()),
        })
    }
}

/// `copyFile` (`copy-objects`): copies (or, with `remove_original`, moves) one cloud
/// path to another; answers the new file id.
///
/// ```
/// use cloudbase_core::storage::CopyFile;
/// let op = CopyFile::new("photos/cat.png", "backup/cat.png")?.overwrite(true);
/// # Ok::<(), cloudbase_core::BuildError>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct CopyFile {
    src: String,
    dst: String,
    overwrite: bool,
    remove_original: bool,
}

impl CopyFile {
    /// A copy from `src` to `dst` (cloud paths), not overwriting.
    pub fn new(src: &str, dst: &str) -> Result<Self, BuildError> {
        validate_cloud_path(src)?;
        validate_cloud_path(dst)?;
        Ok(Self {
            src: src.to_owned(),
            dst: dst.to_owned(),
            overwrite: false,
            remove_original: false,
        })
    }

    /// Replaces an existing `dst`.
    pub fn overwrite(mut self, yes: bool) -> Self {
        self.overwrite = yes;
        self
    }

    /// Removes `src` afterwards (a move).
    pub fn remove_original(mut self, yes: bool) -> Self {
        self.remove_original = yes;
        self
    }
}

impl OneShot for CopyFile {
    type Output = String;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        Ok(batch_request(
            "copy-objects",
            &[serde_json::json!({
                "srcPath": self.src,
                "dstPath": self.dst,
                "overwrite": self.overwrite,
                "removeOriginal": self.remove_original,
            })],
        )?)
    }

    /// A plain overwriting copy may be repeated; a move may not (the source is gone).
    fn is_idempotent(&self) -> bool {
        self.overwrite && !self.remove_original
    }

    fn parse(&self, response: HttpResponse, cx: &mut ResponseContext<'_>) -> Result<String, Error> {
        let item = reply_items(&response, 1)?.remove(0);
        if let Some(e) = item.error() {
            return Err(e.into_error(Some(cx.request_id.to_owned())));
        }
        item.cloud_object_id.ok_or_else(|| {
            shape_error(response.status(), "copy answer without cloudObjectId").into()
        })
    }
}
