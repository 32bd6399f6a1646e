//! Storage: the classic gateway file API (`/v1/storages/{op}`), the COS-like upload
//! and download URLs it hands out (`/cos/{key}`), and the bucket/object API
//! (`/v1/storages/object/...`). Bodies are streamed to and from disk.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::uploads::{WriteError, is_multipart, write_body, write_form};
use super::{authorize_gateway, gateway_error, json_response};
use crate::Shared;
use crate::files::{ListError, ObjectMeta, PendingUpload};

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

/// `http://host:port` for URLs handed out: the bound address. Only when bound to
/// every interface (`0.0.0.0`, `::`) is the caller's `Host` used, which the guard has
/// already limited to an IP literal or a loopback name.
fn origin(shared: &Shared, headers: &HeaderMap) -> String {
    if shared.addr.ip().is_unspecified()
        && let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok())
    {
        return format!("http://{host}");
    }
    shared.base_url.clone()
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

/// Longest lifetime of a signed URL (one year): the emulator's choice, the reference
/// names no bound (docs/protocol/limits.md).
const MAX_SIGNED_URL_SECS: u64 = 365 * 24 * 3600;

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
        return gateway_error(
            StatusCode::NOT_FOUND,
            "STORAGE_FILE_NONEXIST",
            &format!("{key} does not exist"),
            headers,
        );
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

/// The caller's bearer checked, then the JSON body (`null` when it is not JSON:
/// the handlers then see missing fields and answer accordingly).
fn authorized_json(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<Value, Response> {
    authorize_gateway(shared, headers)?;
    Ok(serde_json::from_slice(body).unwrap_or_default())
}

/// The per-item error for a file id that names nothing: no bucket segment, or a
/// bucket never written to, is `STORAGE_BUCKET_NOT_FOUND` (storage.md §0); a missing
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

/// `POST /v1/storages/{op}`: the classic batch calls; the body and the answer are
/// arrays, one item per file, failures per item.
pub(crate) async fn classic(
    State(shared): State<Arc<Shared>>,
    Path(op): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize_gateway(&shared, &headers) {
        return r;
    }
    let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(&body) else {
        return gateway_error(
            StatusCode::BAD_REQUEST,
            "INVALID_PARAM",
            "the body must be a JSON array",
            &headers,
        );
    };
    let prefix = file_id_prefix(&shared.env_id);
    let origin = origin(&shared, &headers);
    let now = shared.now();
    let lifetime = shared.files.url_lifetime();
    let download_url = |key: &str| {
        let (sign, t) = shared.files.sign_download(key, now, lifetime);
        // The object's path unencoded: the official SDK applies `encodeURI` to this
        // URL (storage.md §1), which only works if the service sends it raw. (Names
        // with `#` or `?` cannot survive that in the JS SDK; this SDK encodes the key
        // itself.)
        format!("{origin}/cos/{key}?sign={sign}&t={t}")
    };
    let answer: Vec<Value> = match op.as_str() {
        "get-objects-upload-info" => items
            .iter()
            .map(|item| {
                let key = item["objectId"].as_str().unwrap_or_default();
                if shared.files.resolve(key).is_none() {
                    return item_error(
                        "STORAGE_BUCKET_NOT_FOUND",
                        "objectId must be <bucket>/<name>",
                    );
                }
                // No `signedHeader` at all is the POST (form) upload (storage.md §1);
                // a `signedHeader` must carry the length.
                let signed = &item["signedHeader"];
                let len = signed["content-length"][0]
                    .as_str()
                    .and_then(|v| v.parse::<u64>().ok());
                if len.is_none() && !signed.is_null() {
                    return item_error(
                        "STORAGE_CONTENT_LENGTH_REQUIRED",
                        "signedHeader must carry content-length",
                    );
                }
                let content_type = if signed.is_null() {
                    None
                } else {
                    Some(
                        signed["content-type"][0]
                            .as_str()
                            .unwrap_or("application/octet-stream")
                            .to_owned(),
                    )
                };
                let authorization = format!(
                    "q-sign-algorithm=sha1&q-ak=emulator&q-signature={}",
                    crate::routes::auth::random_hex(20)
                );
                let upload = PendingUpload {
                    key: key.to_owned(),
                    token: crate::routes::auth::random_hex(16),
                    meta: crate::routes::auth::random_hex(8),
                    len,
                    content_type,
                    expires_at: now.saturating_add(lifetime.as_secs()),
                };
                let reply = json!({
                    "uploadUrl": format!("{origin}/cos/{}", encode_key(key)),
                    "authorization": authorization,
                    "token": upload.token,
                    "cloudObjectMeta": upload.meta,
                    "cloudObjectId": format!("{prefix}{key}"),
                    "downloadUrl": download_url(key),
                });
                shared.files.add_upload(authorization, upload);
                reply
            })
            .collect(),
        "get-objects-download-info" => items
            .iter()
            .map(|item| {
                let id = item["cloudObjectId"].as_str().unwrap_or_default();
                let key = key_of_file_id(id);
                match key.map(|k| (k, shared.files.resolve(k))) {
                    Some((key, Some(path))) if path.is_file() => {
                        json!({"cloudObjectId": id, "downloadUrl": download_url(key)})
                    }
                    _ => missing_object(&shared, id, key),
                }
            })
            .collect(),
        "delete-objects" => items
            .iter()
            .map(|item| {
                let id = item["cloudObjectId"].as_str().unwrap_or_default();
                let path = key_of_file_id(id).and_then(|k| shared.files.resolve(k));
                match path.map(std::fs::remove_file) {
                    Some(Ok(())) => {
                        if let Some(k) = key_of_file_id(id) {
                            shared.files.remove_meta(k);
                        }
                        json!({ "cloudObjectId": id })
                    }
                    _ => missing_object(&shared, id, key_of_file_id(id)),
                }
            })
            .collect(),
        "copy-objects" => items
            .iter()
            .map(|item| {
                let src = item["srcPath"].as_str().unwrap_or_default();
                let dst = item["dstPath"].as_str().unwrap_or_default();
                let (Some(from), Some(to)) = (shared.files.resolve(src), shared.files.resolve(dst))
                else {
                    return item_error("STORAGE_BUCKET_NOT_FOUND", "paths must be <bucket>/<name>");
                };
                if !from.is_file() {
                    return item_error("STORAGE_FILE_NONEXIST", "source does not exist");
                }
                if to.exists() && item["overwrite"] != json!(true) {
                    return item_error("STORAGE_FILE_EXIST", "destination exists");
                }
                if let Some(dir) = to.parent() {
                    let _ = std::fs::create_dir_all(dir);
                }
                let moved = if item["removeOriginal"] == json!(true) {
                    std::fs::rename(&from, &to).map(|_| ())
                } else {
                    std::fs::copy(&from, &to).map(|_| ())
                };
                match moved {
                    Ok(()) => {
                        if let Some(meta) = shared.files.meta(src) {
                            shared.files.set_meta(dst, meta);
                        }
                        json!({ "cloudObjectId": format!("{prefix}{dst}") })
                    }
                    Err(e) => item_error("STORAGE_COPY_FAILED", &e.to_string()),
                }
            })
            .collect(),
        _ => {
            return gateway_error(
                StatusCode::NOT_FOUND,
                "RESOURCE_NOT_FOUND",
                &format!("storage operation {op:?} does not exist"),
                &headers,
            );
        }
    };
    json_response(StatusCode::OK, &Value::Array(answer))
}

/// 403 `SIGNATURE_INVALID`: an upload that does not match the slot step 1 signed.
fn signature_invalid(message: &str, headers: &HeaderMap) -> Response {
    gateway_error(StatusCode::FORBIDDEN, "SIGNATURE_INVALID", message, headers)
}

/// `PUT /cos/{key}`: the signed upload of step 2.
pub(crate) async fn cos_put(
    State(shared): State<Arc<Shared>>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let forbidden = |message: &str| signature_invalid(message, &headers);
    let authorization = header_str(&headers, "authorization").unwrap_or_default();
    let Some(upload) = shared.files.take_upload(authorization, shared.now()) else {
        return forbidden("unknown or expired upload signature");
    };
    if upload.key != key
        || header_str(&headers, "x-cos-security-token") != Some(upload.token.as_str())
        || header_str(&headers, "x-cos-meta-fileid") != Some(upload.meta.as_str())
    {
        return forbidden("the signature does not match this upload");
    }
    let Some(signed_len) = upload.len else {
        return forbidden("this upload was signed without a length: send it as a POST form");
    };
    let declared = header_str(&headers, "content-length").and_then(|v| v.parse::<u64>().ok());
    if declared != Some(signed_len) {
        return forbidden("content-length must be sent and match the signed length");
    }
    let content_type = upload
        .content_type
        .unwrap_or_else(|| "application/octet-stream".into());
    if header_str(&headers, "content-type") != Some(content_type.as_str()) {
        return forbidden("content-type must match the signed one");
    }
    let Some(path) = shared.files.resolve(&key) else {
        return forbidden("bad key");
    };
    match write_body(&shared, &path, body, Some(signed_len)).await {
        Ok(_) => {
            shared.files.set_meta(
                &key,
                ObjectMeta {
                    id: upload.meta,
                    content_type,
                    cache_control: header_str(&headers, "cache-control").map(str::to_owned),
                    created_at: shared.now(),
                },
            );
            Response::new(Body::empty())
        }
        Err(e) => e.into_response(&headers),
    }
}

/// `POST /cos/{key}`: the form upload of step 2 (storage.md §1, `method: "post"`):
/// fields `key`, `signature` (the step-1 `authorization`), `x-cos-meta-fileid`,
/// `success_action_status`, `x-cos-security-token`, then `file`. Answers 201 when
/// `success_action_status` asks for it (the JS SDK accepts only 201), else 204.
pub(crate) async fn cos_post(
    State(shared): State<Arc<Shared>>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let forbidden = |message: &str| signature_invalid(message, &headers);
    if !is_multipart(&headers) {
        return forbidden("a POST upload is a multipart/form-data form");
    }
    let Some(path) = shared.files.resolve(&key) else {
        return forbidden("bad key");
    };
    let now = shared.now();
    let mut slot = None;
    let form = write_form(&shared, &path, &headers, body, |form| {
        let refuse = |m: &str| Err(WriteError::Form(m.to_owned()));
        let Some(upload) = shared
            .files
            .take_upload(form.field("signature").unwrap_or_default(), now)
        else {
            return refuse("unknown or expired upload signature");
        };
        if upload.key != key
            || form.field("key") != Some(key.as_str())
            || form.field("x-cos-security-token") != Some(upload.token.as_str())
            || form.field("x-cos-meta-fileid") != Some(upload.meta.as_str())
        {
            return refuse("the form does not match this upload");
        }
        let expected = upload.len;
        slot = Some(upload);
        Ok(expected)
    })
    .await;
    let form = match form {
        Ok(form) => form,
        Err(WriteError::Form(m)) => return forbidden(&m),
        Err(e) => return e.into_response(&headers),
    };
    let Some(upload) = slot else {
        return forbidden("the form does not match this upload");
    };
    let content_type = upload
        .content_type
        .or(form.file_type.clone())
        .unwrap_or_else(|| "application/octet-stream".into());
    shared.files.set_meta(
        &key,
        ObjectMeta {
            id: upload.meta,
            content_type,
            cache_control: None,
            created_at: shared.now(),
        },
    );
    let mut response = Response::new(Body::empty());
    *response.status_mut() = if form.field("success_action_status") == Some("201") {
        StatusCode::CREATED
    } else {
        StatusCode::NO_CONTENT
    };
    response
}

/// `GET /cos/{key}?sign=…`: a download URL handed out by the gateway.
pub(crate) async fn cos_get(
    State(shared): State<Arc<Shared>>,
    Path(key): Path<String>,
    Query(query): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let sign = query.get("sign").map(String::as_str).unwrap_or_default();
    if let Err(message) = shared.files.check_download(sign, &key, shared.now()) {
        return gateway_error(
            StatusCode::FORBIDDEN,
            "SIGNATURE_EXPIRED",
            message,
            &headers,
        );
    }
    serve_file(&shared, &key, &headers).await
}

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
        return gateway_error(
            StatusCode::NOT_FOUND,
            "STORAGE_FILE_NONEXIST",
            "no object to update",
            &headers,
        );
    }
    // A browser's Blob/FormData upload is a form: `cacheControl`, `contentType`,
    // `metadata`, then the file (storage.md §3); other bodies are the bytes.
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
    let id = crate::routes::auth::random_hex(16);
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
        return gateway_error(
            StatusCode::NOT_FOUND,
            "STORAGE_FILE_NONEXIST",
            "no such object",
            &headers,
        );
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
        None => gateway_error(
            StatusCode::NOT_FOUND,
            "STORAGE_FILE_NONEXIST",
            "no such object",
            &headers,
        ),
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
        None => gateway_error(
            StatusCode::NOT_FOUND,
            "STORAGE_FILE_NONEXIST",
            "no such object",
            &headers,
        ),
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
