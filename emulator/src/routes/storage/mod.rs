//! Storage: the classic gateway file API and the COS-like URLs it hands out
//! ([`classic`](mod@classic)), and the bucket/object API ([`objects`](mod@objects)); what both share (file ids,
//! URLs, serving a stored file) is here. Bodies are streamed to and from disk.

mod classic;
mod objects;

pub(crate) use classic::{classic, cos_get, cos_post, cos_put};
pub(crate) use objects::{copy_or_move, info, list, object, remove, sign, sign_many};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::{authorize_gateway, gateway_error};
use crate::Shared;

/// `cloud://{env}.{cos bucket}/` for this emulator (the COS bucket name mimics the
/// real `<hex>-<env>-<appid>` shape).
fn file_id_prefix(env: &str) -> String {
    let hex: String = env.bytes().take(2).map(|b| format!("{b:02x}")).collect();
    format!("cloud://{env}.{hex}-{env}-1250000000/")
}

fn key_of_file_id(file_id: &str) -> Option<&str> {
    let rest = file_id.strip_prefix("cloud://")?;
    Some(&rest[rest.find('/')? + 1..])
}

fn encode_key(key: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    key.split('/')
        .map(|s| percent_encoding::utf8_percent_encode(s, SET).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Streams a stored file as the answer.
async fn serve_file(shared: &Shared, key: &str, headers: &HeaderMap) -> Response {
    let Some(path) = shared.files.resolve(key) else {
        return gateway_error(
            StatusCode::BAD_REQUEST,
            "INVALID_PARAM",
            "bad object key",
            headers,
        );
    };
    let Ok(file) = tokio::fs::File::open(&path).await else {
        return no_such_object(&format!("{key} does not exist"), headers);
    };
    let stat = file.metadata().await.ok();
    let len = stat.as_ref().map(|m| m.len()).unwrap_or(0);
    let meta = shared.files.meta(key);
    let content_type = meta
        .as_ref()
        .map(|m| m.content_type.clone())
        .unwrap_or_else(|| "application/octet-stream".into());
    let mut response = Response::new(Body::from_stream(tokio_util::io::ReaderStream::new(file)));
    let h = response.headers_mut();
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    // What COS answers a HEAD with (the JS SDK's getFileInfo reads them).
    if let Some(modified) = stat.and_then(|m| m.modified().ok())
        && let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(modified))
    {
        h.insert(header::LAST_MODIFIED, v);
    }
    if let Some(m) = &meta {
        if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", m.id)) {
            h.insert(header::ETAG, v);
        }
        if let Some(v) = m
            .cache_control
            .as_deref()
            .and_then(|c| HeaderValue::from_str(c).ok())
        {
            h.insert(header::CACHE_CONTROL, v);
        }
    }
    response
}

/// 404 `STORAGE_FILE_NONEXIST`: no object under the name asked for.
fn no_such_object(message: &str, headers: &HeaderMap) -> Response {
    gateway_error(
        StatusCode::NOT_FOUND,
        "STORAGE_FILE_NONEXIST",
        message,
        headers,
    )
}

/// The caller's bearer checked, then the JSON body (`null` when it is not JSON:
/// the handlers then see missing fields and answer accordingly).
fn authorized_json(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<Value, Response> {
    authorize_gateway(shared, headers)?;
    Ok(serde_json::from_slice(body).unwrap_or_default())
}

/// The per-item error for a file id that names nothing: no bucket segment, or a
/// bucket never written to, is `STORAGE_BUCKET_NOT_FOUND` (docs/protocol/storage.md, ids); a missing
/// file in an existing bucket `STORAGE_FILE_NONEXIST`.
fn missing_object(shared: &Shared, id: &str, key: Option<&str>) -> Value {
    let bucket_exists = key
        .and_then(|k| k.split_once('/'))
        .filter(|(_, name)| !name.is_empty())
        .is_some_and(|(bucket, _)| {
            crate::files::safe_segment(bucket) && shared.files.root().join(bucket).is_dir()
        });
    let (code, message) = if bucket_exists {
        ("STORAGE_FILE_NONEXIST", "file does not exist")
    } else {
        (
            "STORAGE_BUCKET_NOT_FOUND",
            "the file id names no bucket that exists",
        )
    };
    json!({"cloudObjectId": id, "code": code, "message": message})
}

fn item_error(code: &str, message: &str) -> Value {
    json!({ "code": code, "message": message })
}
