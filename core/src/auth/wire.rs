//! Request and response helpers shared by the auth operations.

use http::Method;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::{BuildError, Error};
use crate::operation::ResponseContext;
use crate::request::{Access, Api, HttpResponse, RequestSpec};
use crate::response::decode_json;
use crate::session::Credentials;

/// A JSON object as request bytes.
pub(crate) fn body(map: Map<String, Value>) -> Result<Vec<u8>, BuildError> {
    crate::request::to_json(&Value::Object(map))
}

/// An `/auth/v1` request with a JSON body.
pub(crate) fn auth_json(
    method: Method,
    path: &str,
    access: Access,
    map: Map<String, Value>,
) -> Result<RequestSpec, BuildError> {
    Ok(RequestSpec::new(Api::AuthV1, method, access)
        .path(path)
        .json_body(body(map)?, "application/json"))
}

/// An `/auth/v1` POST with a JSON body.
pub(crate) fn auth_post(
    path: &str,
    access: Access,
    map: Map<String, Value>,
) -> Result<RequestSpec, BuildError> {
    auth_json(Method::POST, path, access, map)
}

/// An `/auth/v1` request without a body.
pub(crate) fn auth_get(method: Method, path: &str, access: Access) -> RequestSpec {
    RequestSpec::new(Api::AuthV1, method, access).path(path)
}

/// Reads a credentials answer, stores it as a new sign-in (`SIGNED_IN`).
pub(crate) fn signed_in(
    response: &HttpResponse,
    cx: &mut ResponseContext<'_>,
) -> Result<Credentials, Error> {
    let credentials = Credentials::decode(response, cx.now)?;
    cx.session.sign_in(credentials.clone());
    Ok(credentials)
}

/// Decodes a JSON answer into `T`.
pub(crate) fn json<T: for<'de> Deserialize<'de>>(response: &HttpResponse) -> Result<T, Error> {
    Ok(decode_json(response.status(), response.body())?)
}

/// A required non-blank text input.
pub(crate) fn required(field: &'static str, value: &str) -> Result<(), BuildError> {
    if value.trim().is_empty() {
        Err(BuildError::InvalidInput {
            field,
            reason: "empty".into(),
        })
    } else {
        Ok(())
    }
}

/// Builds a JSON object from pairs, skipping `None`.
pub(crate) fn object<'a>(
    pairs: impl IntoIterator<Item = (&'a str, Option<Value>)>,
) -> Map<String, Value> {
    pairs
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
        .collect()
}
