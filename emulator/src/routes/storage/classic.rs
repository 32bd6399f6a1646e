//! The classic file API (`POST /v1/storages/{op}`, batch items) and the COS-like
//! upload and download URLs it hands out (`/cos/{key}`): docs/protocol/storage.md §1.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::super::uploads::{WriteError, is_multipart, write_body, write_form};
use super::super::{authorize_gateway, gateway_error, json_response};
use super::*;
use crate::Shared;
use crate::files::{ObjectMeta, PendingUpload};

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
    let prefix = file_id_prefix(&shared.site.env_id);
    let origin = shared.origin(&headers);
    let now = shared.now();
    let lifetime = shared.files.url_lifetime();
    let download_url = |key: &str| {
        let (sign, t) = shared.files.sign_download(key, now, lifetime);
        // The object's path unencoded: the official SDK applies `encodeURI` to this
        // URL (docs/protocol/storage.md §1), which only works if the service sends it raw. (Names
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
                // No `signedHeader` at all is the POST (form) upload (docs/protocol/storage.md §1);
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
                    crate::ids::random_hex(20)
                );
                let upload = PendingUpload {
                    key: key.to_owned(),
                    token: crate::ids::random_hex(16),
                    meta: crate::ids::random_hex(8),
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
    let claimed = shared.files.claim_upload(
        header_str(&headers, "authorization").unwrap_or_default(),
        (
            &key,
            header_str(&headers, "x-cos-security-token"),
            header_str(&headers, "x-cos-meta-fileid"),
        ),
        shared.now(),
    );
    let upload = match claimed {
        Ok(upload) => upload,
        Err(message) => return forbidden(message),
    };
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

/// `POST /cos/{key}`: the form upload of step 2 (docs/protocol/storage.md §1, `method: "post"`):
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
        let claimed = shared.files.claim_upload(
            form.field("signature").unwrap_or_default(),
            (
                &key,
                form.field("x-cos-security-token"),
                form.field("x-cos-meta-fileid"),
            ),
            now,
        );
        let upload = match claimed {
            Ok(upload) => upload,
            Err(message) => return refuse(message),
        };
        if form.field("key") != Some(key.as_str()) {
            return refuse("the form's key is not the upload URL's");
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
