//! Upload bodies: raw bytes or a `multipart/form-data` form (browser uploads through
//! the official SDK, the classic POST upload), streamed to a temporary file of their
//! own and renamed into place only when complete.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use futures_util::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;

use super::gateway_error;
use crate::Shared;

/// Why an upload's bytes were not stored.
pub(crate) enum WriteError {
    /// The body ended at this many bytes, not the expected count.
    Length(u64),
    /// No byte arrived for the upload idle timeout.
    Stalled,
    /// The form was not a multipart form, or had no file in it.
    Form(String),
    /// The body broke off or the disk refused.
    Failed(String),
}

impl WriteError {
    pub(crate) fn into_response(self, headers: &HeaderMap) -> Response {
        match self {
            Self::Length(n) => gateway_error(
                StatusCode::BAD_REQUEST,
                "INVALID_PARAM",
                &format!("the body had {n} bytes, not the signed length"),
                headers,
            ),
            Self::Stalled => gateway_error(
                StatusCode::REQUEST_TIMEOUT,
                "REQUEST_TIMEOUT",
                "no upload bytes arrived in time",
                headers,
            ),
            Self::Form(e) => gateway_error(StatusCode::BAD_REQUEST, "INVALID_PARAM", &e, headers),
            Self::Failed(e) => {
                gateway_error(StatusCode::INTERNAL_SERVER_ERROR, "SYS_ERR", &e, headers)
            }
        }
    }
}

/// Streams `body` into a temporary file of its own, then renames it to `path` —
/// only when complete (and of `expected` length, when given), so a broken or
/// concurrent upload never leaves a partial or mixed file behind.
pub(crate) async fn write_body(
    shared: &Shared,
    path: &std::path::Path,
    body: Body,
    expected: Option<u64>,
) -> Result<u64, WriteError> {
    write_stream(shared, path, body.into_data_stream(), expected).await
}

async fn write_stream<S, E>(
    shared: &Shared,
    path: &std::path::Path,
    stream: S,
    expected: Option<u64>,
) -> Result<u64, WriteError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let tmp = shared.files.upload_temp_path();
    let result = write_to(&tmp, stream, shared.site.timeouts.upload_idle).await;
    let outcome = match result {
        Ok(n) if expected.is_some_and(|e| e != n) => Err(WriteError::Length(n)),
        Ok(n) => {
            let renamed = async {
                if let Some(dir) = path.parent() {
                    tokio::fs::create_dir_all(dir).await?;
                }
                tokio::fs::rename(&tmp, path).await
            };
            renamed
                .await
                .map(|()| n)
                .map_err(|e| WriteError::Failed(e.to_string()))
        }
        Err(e) => Err(e),
    };
    if outcome.is_err() {
        let _ = tokio::fs::remove_file(&tmp).await;
    }
    outcome
}

async fn write_to<S, E>(
    tmp: &std::path::Path,
    mut stream: S,
    idle: std::time::Duration,
) -> Result<u64, WriteError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let failed = |e: std::io::Error| WriteError::Failed(e.to_string());
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(tmp)
        .await
        .map_err(failed)?;
    let mut written = 0u64;
    loop {
        let next = tokio::time::timeout(idle, stream.next())
            .await
            .map_err(|_| WriteError::Stalled)?;
        let Some(chunk) = next else { break };
        let chunk = chunk.map_err(|e| WriteError::Failed(e.to_string()))?;
        file.write_all(&chunk).await.map_err(failed)?;
        written = written.saturating_add(chunk.len() as u64);
    }
    file.flush().await.map_err(failed)?;
    Ok(written)
}

/// Whether the request carries a `multipart/form-data` form.
pub(crate) fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// What a multipart upload form said besides the file.
#[derive(Debug, Default)]
pub(crate) struct Form {
    /// Text fields before the file (`cacheControl`, `contentType`, `key`,
    /// `signature`, …), by name.
    pub fields: Vec<(String, String)>,
    /// The file part's own `Content-Type`, if it had one.
    pub file_type: Option<String>,
    /// Bytes stored.
    pub len: u64,
}

impl Form {
    /// The text field `name`.
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Largest text field read into memory (the file part is streamed).
const MAX_FIELD: usize = 64 * 1024;

/// Reads a multipart form: text fields into memory, then the file part (the one with
/// a file name, or the empty-named one the SDK sends last, or the one named `file`)
/// streamed to `path`. `check` sees the fields before any file byte is stored and may
/// refuse the upload, or name the length the file must have.
pub(crate) async fn write_form(
    shared: &Shared,
    path: &std::path::Path,
    headers: &HeaderMap,
    body: Body,
    check: impl FnOnce(&Form) -> Result<Option<u64>, WriteError>,
) -> Result<Form, WriteError> {
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = multer::parse_boundary(content_type)
        .map_err(|e| WriteError::Form(format!("not a multipart form: {e}")))?;
    let mut multipart = multer::Multipart::new(body.into_data_stream(), boundary);
    let mut form = Form::default();
    loop {
        let next = tokio::time::timeout(shared.site.timeouts.upload_idle, multipart.next_field())
            .await
            .map_err(|_| WriteError::Stalled)?;
        let field = next.map_err(|e| WriteError::Form(format!("malformed form: {e}")))?;
        let Some(field) = field else {
            return Err(WriteError::Form("the form has no file part".into()));
        };
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = field.file_name().is_some() || name.is_empty() || name == "file";
        if !is_file {
            if form.fields.len() >= 64 {
                return Err(WriteError::Form("too many form fields".into()));
            }
            let text = read_field(field).await?;
            form.fields.push((name, text));
            continue;
        }
        form.file_type = field.content_type().map(|m| m.to_string());
        let expected = check(&form)?;
        form.len = write_stream(shared, path, field, expected).await?;
        return Ok(form);
    }
}

async fn read_field(mut field: multer::Field<'_>) -> Result<String, WriteError> {
    let mut text = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| WriteError::Form(format!("malformed form: {e}")))?
    {
        if text.len() + chunk.len() > MAX_FIELD {
            return Err(WriteError::Form("a form field is too large".into()));
        }
        text.extend_from_slice(&chunk);
    }
    String::from_utf8(text).map_err(|_| WriteError::Form("a form field is not text".into()))
}
