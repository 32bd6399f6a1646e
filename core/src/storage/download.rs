//! `downloadFile`: a temporary URL (`get-objects-download-info`), then a plain GET of
//! it; and the two-step path through a temporary URL it shares with `getFileInfo`.

use http::Method;

use super::{batch_request, reply_items, shape_error, urls, validate_file_id};
use crate::error::{BuildError, Error};
use crate::operation::{Operation, Progress, RequestContext, ResponseContext};
use crate::request::{HttpResponse, RequestSpec, StreamedBytes};

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
