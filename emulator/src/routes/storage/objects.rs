//! The bucket/object API (`/v1/storages/object/...`, Supabase-like): upload, update,
//! download, remove, copy, move, signed URLs, info and listing: docs/protocol/storage.md §3.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::super::uploads::{is_multipart, write_body, write_form};
use super::super::{authorize_gateway, gateway_error, json_response};
use super::*;
use crate::Shared;
use crate::files::{ListError, ObjectMeta};

/// Longest lifetime of a signed URL (one year): the emulator's choice, the reference
/// names no bound (docs/protocol/limits.md).
const MAX_SIGNED_URL_SECS: u64 = 365 * 24 * 3600;

/// POST/PUT/GET `/v1/storages/object/{bucket}/{*name}`.
pub(crate) async fn object(
    State(shared): State<Arc<Shared>>,
    Path((bucket, name)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Err(r) = authorize_gateway(&shared, &headers) {
        return r;
    }
    let key = format!("{bucket}/{name}");
    if method == Method::GET || method == Method::HEAD {
        return serve_file(&shared, &key, &headers).await;
    }
    let Some(path) = shared.files.resolve(&key) else {
        return gateway_error(
            StatusCode::BAD_REQUEST,
            "INVALID_PARAM",
            "bad object name",
            &headers,
        );
    };
    if method == Method::POST && path.exists() && header_str(&headers, "x-upsert") != Some("true") {
        return gateway_error(
            StatusCode::CONFLICT,
            "RESOURCE_ALREADY_EXISTS",
            "the object already exists",
            &headers,
        );
    }
    if method == Method::PUT && !path.exists() {
        return no_such_object("no object to update", &headers);
    }
    // A browser's Blob/FormData upload is a form: `cacheControl`, `contentType`,
    // `metadata`, then the file (docs/protocol/storage.md §3); other bodies are the bytes.
    let (content_type, cache_control) = if is_multipart(&headers) {
        match write_form(&shared, &path, &headers, body, |_| Ok(None)).await {
            Ok(form) => (
                form.field("contentType")
                    .map(str::to_owned)
                    .or(form.file_type.clone()),
                form.field("cacheControl").map(|c| format!("max-age={c}")),
            ),
            Err(e) => return e.into_response(&headers),
        }
    } else {
        if let Err(e) = write_body(&shared, &path, body, None).await {
            return e.into_response(&headers);
        }
        (
            header_str(&headers, "content-type").map(str::to_owned),
            header_str(&headers, "cache-control").map(str::to_owned),
        )
    };
    let id = crate::ids::random_hex(16);
    shared.files.set_meta(
        &key,
        ObjectMeta {
            id: id.clone(),
            content_type: content_type.unwrap_or_else(|| "application/octet-stream".into()),
            cache_control,
            created_at: shared.now(),
        },
    );
    json_response(StatusCode::OK, &json!({ "Id": id, "Key": key }))
}

/// `DELETE /v1/storages/object/{bucket}` with `{prefixes}`.
pub(crate) async fn remove(
    State(shared): State<Arc<Shared>>,
    Path(bucket): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match authorized_json(&shared, &headers, &body) {
        Ok(body) => body,
        Err(r) => return r,
    };
    let removed: Vec<Value> = body["prefixes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(|name| {
            let key = format!("{bucket}/{name}");
            let path = shared.files.resolve(&key)?;
            std::fs::remove_file(path).ok()?;
            shared.files.remove_meta(&key);
            Some(json!({ "name": name, "bucket_id": bucket }))
        })
        .collect();
    json_response(StatusCode::OK, &Value::Array(removed))
}

/// `POST /v1/storages/object/copy` and `/move`.
pub(crate) async fn copy_or_move(
    State(shared): State<Arc<Shared>>,
    Path(action): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match authorized_json(&shared, &headers, &body) {
        Ok(body) => body,
        Err(r) => return r,
    };
    let bucket = body["bucketId"].as_str().unwrap_or_default();
    let to_bucket = body["destinationBucket"].as_str().unwrap_or(bucket);
    let src = format!(
        "{bucket}/{}",
        body["sourceKey"].as_str().unwrap_or_default()
    );
    let dst = format!(
        "{to_bucket}/{}",
        body["destinationKey"].as_str().unwrap_or_default()
    );
    let (Some(from), Some(to)) = (shared.files.resolve(&src), shared.files.resolve(&dst)) else {
        return gateway_error(
            StatusCode::BAD_REQUEST,
            "INVALID_PARAM",
            "bad object names",
            &headers,
        );
    };
    if !from.is_file() {
        return no_such_object("no such object", &headers);
    }
    if let Some(dir) = to.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let done = if action == "move" {
        std::fs::rename(&from, &to)
    } else {
        std::fs::copy(&from, &to).map(|_| ())
    };
    if let Err(e) = done {
        return gateway_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "SYS_ERR",
            &e.to_string(),
            &headers,
        );
    }
    if let Some(meta) = shared.files.meta(&src) {
        shared.files.set_meta(&dst, meta);
    }
    if action == "move" {
        shared.files.remove_meta(&src);
        json_response(StatusCode::OK, &json!({ "message": "Successfully moved" }))
    } else {
        json_response(StatusCode::OK, &json!({ "Key": dst }))
    }
}

/// `POST /v1/storages/object/sign/{bucket}/{*name}` → a relative signed URL, which
/// `GET` on the same path serves without a bearer.
pub(crate) async fn sign(
    State(shared): State<Arc<Shared>>,
    Path((bucket, name)): Path<(String, String)>,
    method: Method,
    Query(query): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let key = format!("{bucket}/{name}");
    if method == Method::GET {
        let token = query.get("token").map(String::as_str).unwrap_or_default();
        if let Err(message) = shared.files.check_download(token, &key, shared.now()) {
            return gateway_error(
                StatusCode::FORBIDDEN,
                "SIGNATURE_EXPIRED",
                message,
                &headers,
            );
        }
        return serve_file(&shared, &key, &headers).await;
    }
    let body = match authorized_json(&shared, &headers, &body) {
        Ok(body) => body,
        Err(r) => return r,
    };
    let secs = match expires_in(&body, &headers) {
        Ok(secs) => secs,
        Err(r) => return r,
    };
    match signed_url(&shared, &key, secs) {
        Some(url) => json_response(StatusCode::OK, &json!({ "signedURL": url })),
        None => no_such_object("no such object", &headers),
    }
}

/// `POST /v1/storages/object/sign/{bucket}` with `{expiresIn, paths}` (at most 500):
/// `[{path, signedURL}]`, or `{path, error}` for a name that is not stored.
pub(crate) async fn sign_many(
    State(shared): State<Arc<Shared>>,
    Path(bucket): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match authorized_json(&shared, &headers, &body) {
        Ok(body) => body,
        Err(r) => return r,
    };
    let secs = match expires_in(&body, &headers) {
        Ok(secs) => secs,
        Err(r) => return r,
    };
    let Some(paths) = body["paths"]
        .as_array()
        .filter(|p| (1..=500).contains(&p.len()))
    else {
        return gateway_error(
            StatusCode::BAD_REQUEST,
            "INVALID_PARAM",
            "paths must list 1 to 500 object names",
            &headers,
        );
    };
    let items: Vec<Value> = paths
        .iter()
        .map(|p| {
            let name = p.as_str().unwrap_or_default();
            match signed_url(&shared, &format!("{bucket}/{name}"), secs) {
                Some(url) => json!({ "path": name, "signedURL": url }),
                None => json!({ "path": name, "error": "Either the object does not exist or you do not have access to it" }),
            }
        })
        .collect();
    json_response(StatusCode::OK, &Value::Array(items))
}

/// `expiresIn` of a sign request: 60 s when absent, else 1 s to a year.
fn expires_in(body: &Value, headers: &HeaderMap) -> Result<u64, Response> {
    match &body["expiresIn"] {
        Value::Null => Ok(60),
        v => v
            .as_u64()
            .filter(|s| (1..=MAX_SIGNED_URL_SECS).contains(s))
            .ok_or_else(|| {
                gateway_error(
                    StatusCode::BAD_REQUEST,
                    "INVALID_PARAM",
                    &format!("expiresIn must be 1..={MAX_SIGNED_URL_SECS} seconds"),
                    headers,
                )
            }),
    }
}

/// A relative signed URL for `key`, if it is a stored file.
fn signed_url(shared: &Shared, key: &str, secs: u64) -> Option<String> {
    if !shared.files.resolve(key).is_some_and(|p| p.is_file()) {
        return None;
    }
    let (token, _) =
        shared
            .files
            .sign_download(key, shared.now(), std::time::Duration::from_secs(secs));
    Some(format!("/object/sign/{}?token={token}", encode_key(key)))
}

fn info_of(shared: &Shared, bucket: &str, name: &str) -> Option<Value> {
    let key = format!("{bucket}/{name}");
    let meta = std::fs::metadata(shared.files.resolve(&key)?).ok()?;
    let extra = shared.files.meta(&key);
    Some(json!({
        "id": extra.as_ref().map(|m| m.id.clone()),
        "name": name,
        "bucket_id": bucket,
        "size": meta.len(),
        "content_type": extra.as_ref().map(|m| m.content_type.clone()),
        "cache_control": extra.as_ref().and_then(|m| m.cache_control.clone()),
        "created_at": extra.as_ref().map(|m| m.created_at.to_string()),
    }))
}

/// `GET /v1/storages/object/info/{bucket}/{*name}`.
pub(crate) async fn info(
    State(shared): State<Arc<Shared>>,
    Path((bucket, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize_gateway(&shared, &headers) {
        return r;
    }
    match info_of(&shared, &bucket, &name) {
        Some(info) => json_response(StatusCode::OK, &info),
        None => no_such_object("no such object", &headers),
    }
}

/// `POST /v1/storages/object/list/{bucket}` with `{prefix, limit, cursor}`; the
/// cursor is the last name of the previous page.
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    Path(bucket): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match authorized_json(&shared, &headers, &body) {
        Ok(body) => body,
        Err(r) => return r,
    };
    let prefix = body["prefix"].as_str().unwrap_or_default();
    let limit = body["limit"].as_u64().unwrap_or(100).clamp(1, 1000) as usize;
    let cursor = body["cursor"].as_str().unwrap_or_default();
    // The walk and the stat calls block: off the async runtime.
    let walk = {
        let (shared, bucket, prefix, cursor) = (
            shared.clone(),
            bucket.clone(),
            prefix.to_owned(),
            cursor.to_owned(),
        );
        tokio::task::spawn_blocking(move || {
            let names: Vec<String> = shared
                .files
                .keys_under(&bucket, &prefix)?
                .into_iter()
                .filter(|n| *n > cursor)
                .collect();
            let page: Vec<Value> = names
                .iter()
                .take(limit)
                .filter_map(|n| info_of(&shared, &bucket, n))
                .collect();
            Ok::<_, ListError>((names, page))
        })
    };
    let (names, page) = match walk.await {
        Ok(Ok(found)) => found,
        Ok(Err(ListError::BadBucket)) => {
            return gateway_error(
                StatusCode::BAD_REQUEST,
                "INVALID_PARAM",
                "not a bucket name",
                &headers,
            );
        }
        Ok(Err(ListError::TooMany)) => {
            return gateway_error(
                StatusCode::BAD_REQUEST,
                "INVALID_PARAM",
                &format!(
                    "the bucket holds more than {} entries; list a narrower prefix",
                    crate::files::MAX_LISTED_ENTRIES
                ),
                &headers,
            );
        }
        Err(e) => {
            return gateway_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "SYS_ERR",
                &e.to_string(),
                &headers,
            );
        }
    };
    let has_next = names.len() > limit;
    let next_cursor = has_next.then(|| names[limit - 1].clone());
    json_response(
        StatusCode::OK,
        &json!({ "folders": [], "objects": page, "hasNext": has_next, "nextCursor": next_cursor }),
    )
}
