//! `getFileInfo`: a file's size, type and cache headers without its bytes — a
//! temporary URL (`get-objects-download-info`), then `HEAD` of it (docs/protocol/storage.md §1).

use http::Method;
use serde::Deserialize;

use super::ViaTempUrl;
use crate::error::{BuildError, Error};
use crate::operation::{Operation, Progress, RequestContext, ResponseContext};
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
#[derive(Clone, Debug)]
#[must_use]
pub struct GetFileInfo {
    via: ViaTempUrl,
}

impl GetFileInfo {
    /// The metadata of `file_id`.
    pub fn new(file_id: &str) -> Result<Self, BuildError> {
        Ok(Self {
            via: ViaTempUrl::new(file_id)?,
        })
    }
}

/// The metadata headers of a `HEAD` answer.
fn file_info(response: HttpResponse) -> FileInfo {
    let header = |name: http::header::HeaderName| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    FileInfo {
        size: header(http::header::CONTENT_LENGTH).and_then(|v| v.parse().ok()),
        content_type: header(http::header::CONTENT_TYPE),
        etag: header(http::header::ETAG),
        last_modified: header(http::header::LAST_MODIFIED),
        cache_control: header(http::header::CACHE_CONTROL),
    }
}

impl Operation for GetFileInfo {
    type Output = FileInfo;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        Ok(self
            .via
            .request(|url| RequestSpec::external(Method::HEAD, url))?)
    }

    fn is_idempotent(&self) -> bool {
        true
    }

    fn on_response(
        &mut self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<FileInfo>, Error> {
        self.via.on_response(response, cx, file_info)
    }
}
