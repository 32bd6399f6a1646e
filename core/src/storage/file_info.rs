//! `getFileInfo`: a file's size, type and cache headers without its bytes — a
//! temporary URL (`get-objects-download-info`), then `HEAD` of it (storage.md §1).

use std::sync::Mutex;

use http::Method;
use serde::Deserialize;

use super::{batch_request, sendable_download_url, validate_file_id};
use crate::call::{Operation, Progress, RequestContext, ResponseContext};
use crate::error::{BuildError, Error};
use crate::request::{HttpResponse, RequestSpec};

/// What `HEAD` of a stored file tells.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct FileInfo {
    /// `Content-Length`.
    pub size: Option<u64>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `ETag`.
    pub etag: Option<String>,
    /// `Last-Modified`, as sent (an HTTP date).
    pub last_modified: Option<String>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
}

/// Reads a file's metadata (the JS SDK's `getFileInfo`). A file that does not exist
/// is the item error of the first step (`STORAGE_FILE_NONEXIST`), or a
/// [`ServerError`](crate::ServerError) with status 400/404 from the `HEAD` (the JS
/// SDK reports both as `FILE_NOT_FOUND`). Unlike the JS SDK, no bearer goes with the
/// `HEAD`: the URL is signed, and the storage host needs no user token.
///
/// ```
/// use cloudbase_core::storage::GetFileInfo;
/// let op = GetFileInfo::new("cloud://env.6465-env-1/bucket-a/a.txt")?;
/// # Ok::<(), cloudbase_core::BuildError>(())
/// ```
#[derive(Debug)]
#[must_use]
pub struct GetFileInfo {
    file_id: String,
    url: Mutex<Option<String>>,
}

impl GetFileInfo {
    /// The metadata of `file_id`.
    pub fn new(file_id: &str) -> Result<Self, BuildError> {
        validate_file_id(file_id)?;
        Ok(Self {
            file_id: file_id.to_owned(),
            url: Mutex::new(None),
        })
    }

    fn url(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.url.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Operation for GetFileInfo {
    type Output = FileInfo;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
        match self.url().as_ref() {
            None => batch_request(
                "get-objects-download-info",
                &[serde_json::json!({ "cloudObjectId": self.file_id })],
            ),
            Some(url) => Ok(RequestSpec::external(Method::HEAD, url.clone())),
        }
    }

    fn is_idempotent(&self) -> bool {
        true
    }

    fn parse_step(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<FileInfo>, Error> {
        let mut url = self.url();
        if url.is_some() {
            let header = |name: http::header::HeaderName| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            return Ok(Progress::Done(FileInfo {
                size: header(http::header::CONTENT_LENGTH).and_then(|v| v.parse().ok()),
                content_type: header(http::header::CONTENT_TYPE),
                etag: header(http::header::ETAG),
                last_modified: header(http::header::LAST_MODIFIED),
                cache_control: header(http::header::CACHE_CONTROL),
            }));
        }
        *url = Some(sendable_download_url(&response, &self.file_id, cx)?);
        Ok(Progress::Next)
    }

    fn parse(&self, _: HttpResponse, _: &mut ResponseContext<'_>) -> Result<FileInfo, Error> {
        Err(BuildError::DriverMisuse("GetFileInfo is parsed in steps").into())
    }
}
