//! `uploadFile`: a signed upload slot (`get-objects-upload-info`), then the bytes,
//! streamed, `PUT` to it.

use http::header::HeaderValue;
use http::{HeaderMap, Method};

use super::{batch_request, reply_items, shape_error, urls, validate_cloud_path};
use crate::error::{BuildError, Error};
use crate::operation::{Operation, Progress, RequestContext, ResponseContext};
use crate::request::{HttpResponse, RequestSpec};
use crate::secret::Secret;

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
/// `x-cos-meta-fileid` headers (docs/protocol/storage.md §1). The body is the transfer's
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
