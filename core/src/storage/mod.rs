//! Cloud storage (storage.md): the classic file API over the gateway
//! (`/v1/storages/{op}`, §1) and the bucket/object API (`/v1/storages/object/...`,
//! §3, in [`objects`]).
//!
//! Uploads and downloads stream: the operations here mark their body or answer, and
//! the adapters' `execute_transfer` moves the bytes between a file and the network
//! ([`crate::transfer`]).

mod file_info;
pub mod objects;
mod urls;

pub use file_info::{FileInfo, GetFileInfo};

use http::header::HeaderValue;
use http::{HeaderMap, Method};
use serde::{Deserialize, Serialize};

use crate::codes::GatewayErrorCode;
use crate::error::{BuildError, DecodeError, Error, ServerCode, ServerError};
use crate::operation::{OneShot, Operation, Progress, RequestContext, ResponseContext};
use crate::request::{Access, Api, HttpResponse, RequestIdStyle, RequestSpec, StreamedBytes};
use crate::response::decode_json;
use crate::secret::Secret;

/// Checks a classic cloud path `<bucket>/<name>`: the first segment names the bucket
/// (storage.md: a missing bucket prefix is `STORAGE_BUCKET_NOT_FOUND`, refused here
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

/// A file reached through its temporary URL, the two steps [`DownloadFile`] and
/// [`GetFileInfo`] share: `get-objects-download-info` for one file id, then a request
/// of the operation's own to the URL it answered (made sendable, [`urls::sendable`]).
#[derive(Clone, Debug)]
pub(crate) struct ViaTempUrl {
    file_id: String,
    /// The URL the first answer gave: then the second request goes to it.
    url: Option<String>,
}

impl ViaTempUrl {
    pub(crate) fn new(file_id: &str) -> Result<Self, BuildError> {
        validate_file_id(file_id)?;
        Ok(Self {
            file_id: file_id.to_owned(),
            url: None,
        })
    }

    /// The download-info request, or `second(url)` once the URL is known.
    pub(crate) fn request(
        &self,
        second: impl FnOnce(String) -> RequestSpec,
    ) -> Result<RequestSpec, BuildError> {
        match &self.url {
            None => batch_request(
                "get-objects-download-info",
                &[serde_json::json!({ "cloudObjectId": self.file_id })],
            ),
            Some(url) => Ok(second(url.clone())),
        }
    }

    /// Keeps the URL of the first answer (the item's error as the call's), or hands
    /// the second answer to `done`.
    pub(crate) fn on_response<T>(
        &mut self,
        response: HttpResponse,
        cx: &ResponseContext<'_>,
        done: impl FnOnce(HttpResponse) -> T,
    ) -> Result<Progress<T>, Error> {
        if self.url.is_some() {
            return Ok(Progress::Done(done(response)));
        }
        let item = reply_items(&response, 1)?.remove(0);
        if let Some(e) = item.error() {
            return Err(e.into_error(Some(cx.request_id.to_owned())));
        }
        let answered = item
            .download_url
            .ok_or_else(|| shape_error(response.status(), "download info without downloadUrl"))?;
        self.url = Some(urls::sendable(
            &answered,
            urls::key_of_file_id(&self.file_id),
        ));
        Ok(Progress::Next)
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
    let body = serde_json::to_vec(items).map_err(|e| BuildError::Serialize(e.to_string()))?;
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

/// An uploaded file.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadedFile {
    /// The `cloud://…` file id.
    pub file_id: String,
    /// A download URL the service handed out with the upload slot, if any.
    pub download_url: Option<String>,
    /// The request id of the upload-info step (what the JS SDK returns).
    pub request_id: String,
}

/// The signed upload slot of step 1.
#[derive(Clone, Debug)]
struct UploadSlot {
    url: String,
    authorization: Secret,
    token: Secret,
    meta: String,
    file_id: String,
    download_url: Option<String>,
    request_id: String,
}

/// `uploadFile`: asks for a signed upload slot (`get-objects-upload-info`, with the
/// `content-length`/`content-type` signed headers), then PUTs the bytes to the
/// slot's URL with its `authorization`, `x-cos-security-token` and
/// `x-cos-meta-fileid` headers (storage.md §1). The body is the transfer's
/// [`UploadSource`](crate::transfer::UploadSource), streamed.
///
/// Idempotent (the same bytes to the same path): retried after a timeout or a
/// 502/503/504, the file is read again from the start.
///
/// ```
/// use cloudbase_core::storage::UploadFile;
/// let op = UploadFile::new("photos/cat.png", 1_234)?.content_type("image/png")?;
/// # Ok::<(), cloudbase_core::BuildError>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct UploadFile {
    cloud_path: String,
    len: u64,
    content_type: HeaderValue,
    signed_headers: HeaderMap,
    /// Where the bytes go, once the first answer said: then they are sent.
    slot: Option<UploadSlot>,
}

impl UploadFile {
    /// An upload of `len` bytes to `cloud_path` (`<bucket>/<name>`), typed
    /// `application/octet-stream` unless set.
    pub fn new(cloud_path: &str, len: u64) -> Result<Self, BuildError> {
        validate_cloud_path(cloud_path)?;
        Ok(Self {
            cloud_path: cloud_path.to_owned(),
            len,
            content_type: HeaderValue::from_static("application/octet-stream"),
            signed_headers: HeaderMap::new(),
            slot: None,
        })
    }

    /// The file's MIME type (signed, and checked by the service).
    pub fn content_type(mut self, content_type: &str) -> Result<Self, BuildError> {
        self.content_type = HeaderValue::from_str(content_type)
            .map_err(|_| BuildError::InvalidHeader("content-type".into()))?;
        Ok(self)
    }

    /// Another header to sign and send with the bytes (e.g. `cache-control`).
    pub fn signed_header(mut self, name: &str, value: &str) -> Result<Self, BuildError> {
        let (name, value) = crate::functions::checked_header(name, value)?;
        if name == http::header::CONTENT_LENGTH || name == http::header::CONTENT_TYPE {
            return Err(BuildError::InvalidInput {
                field: "signed header",
                reason: "content-length and content-type are set by the upload".into(),
            });
        }
        self.signed_headers.insert(name, value);
        Ok(self)
    }
}

impl Operation for UploadFile {
    type Output = UploadedFile;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        let Some(slot) = &self.slot else {
            let mut signed = serde_json::Map::new();
            for (name, value) in &self.signed_headers {
                let v = value.to_str().unwrap_or_default();
                signed.insert(name.as_str().to_owned(), serde_json::json!([v]));
            }
            signed.insert(
                "content-length".into(),
                serde_json::json!([self.len.to_string()]),
            );
            signed.insert(
                "content-type".into(),
                serde_json::json!([self.content_type.to_str().unwrap_or_default()]),
            );
            return Ok(batch_request(
                "get-objects-upload-info",
                &[serde_json::json!({"objectId": self.cloud_path, "signedHeader": signed})],
            )?);
        };
        let secret = |s: &Secret| {
            let mut v = HeaderValue::from_str(s.expose())
                .map_err(|_| BuildError::InvalidHeader("upload credential".into()))?;
            v.set_sensitive(true);
            Ok::<_, BuildError>(v)
        };
        let mut spec = RequestSpec::external(Method::PUT, slot.url.clone())
            .streamed_body(self.len, self.content_type.clone())
            .header(http::header::AUTHORIZATION, secret(&slot.authorization)?)
            .header(
                http::HeaderName::from_static("x-cos-security-token"),
                secret(&slot.token)?,
            )
            .header(
                http::HeaderName::from_static("x-cos-meta-fileid"),
                HeaderValue::from_str(&slot.meta)
                    .map_err(|_| BuildError::InvalidHeader("x-cos-meta-fileid".into()))?,
            );
        for (name, value) in &self.signed_headers {
            spec = spec.header(name.clone(), value.clone());
        }
        Ok(spec)
    }

    fn is_idempotent(&self) -> bool {
        true
    }

    fn on_response(
        &mut self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<UploadedFile>, Error> {
        if let Some(done) = self.slot.take() {
            return Ok(Progress::Done(UploadedFile {
                file_id: done.file_id,
                download_url: done.download_url,
                request_id: done.request_id,
            }));
        }
        let request_id = cx.request_id.to_owned();
        let item = reply_items(&response, 1)?.remove(0);
        if let Some(e) = item.error() {
            return Err(e.into_error(Some(request_id)));
        }
        let missing = |field: &str| {
            Error::from(shape_error(
                response.status(),
                format!("upload info without {field}"),
            ))
        };
        let file_id = item
            .cloud_object_id
            .ok_or_else(|| missing("cloudObjectId"))?;
        let key = urls::key_of_file_id(&file_id);
        self.slot = Some(UploadSlot {
            url: urls::sendable(&item.upload_url.ok_or_else(|| missing("uploadUrl"))?, key),
            authorization: Secret::new(item.authorization.unwrap_or_default()),
            token: Secret::new(item.token.unwrap_or_default()),
            meta: item.cloud_object_meta.unwrap_or_default(),
            download_url: item.download_url.map(|u| urls::sendable(&u, key)),
            file_id,
            request_id,
        });
        Ok(Progress::Next)
    }
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

/// A downloaded body: in memory, or (streamed) its size only.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Downloaded {
    /// Bytes received.
    pub size: u64,
    /// The `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body, when not streamed to a file (empty otherwise).
    pub body: Vec<u8>,
}

impl Downloaded {
    pub(crate) fn from_response(response: HttpResponse) -> Self {
        let streamed = response.extensions().get::<StreamedBytes>().map(|s| s.0);
        let content_type = response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.into_body();
        Self {
            size: streamed.unwrap_or(body.len() as u64),
            content_type,
            body,
        }
    }
}

/// `downloadFile`: a temporary URL (`get-objects-download-info`), then a plain GET of
/// it, streamed to the transfer's file with [`DownloadFile::to_file`].
///
/// ```
/// use cloudbase_core::storage::DownloadFile;
/// let op = DownloadFile::new("cloud://env.bucket/photos/cat.png")?.to_file();
/// # Ok::<(), cloudbase_core::BuildError>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct DownloadFile {
    via: ViaTempUrl,
    streamed: bool,
}

impl DownloadFile {
    /// Downloads `file_id` into memory.
    pub fn new(file_id: &str) -> Result<Self, BuildError> {
        Ok(Self {
            via: ViaTempUrl::new(file_id)?,
            streamed: false,
        })
    }

    /// Streams the body to the transfer's sink instead of memory.
    pub fn to_file(mut self) -> Self {
        self.streamed = true;
        self
    }
}

impl Operation for DownloadFile {
    type Output = Downloaded;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        Ok(self.via.request(|url| {
            let spec = RequestSpec::external(Method::GET, url);
            if self.streamed {
                spec.streamed_response()
            } else {
                spec
            }
        })?)
    }

    fn is_idempotent(&self) -> bool {
        true
    }

    fn on_response(
        &mut self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<Downloaded>, Error> {
        self.via
            .on_response(response, cx, Downloaded::from_response)
    }
}
