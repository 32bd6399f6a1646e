//! Request and response helpers shared by the auth operations.

use http::Method;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::call::ResponseContext;
use crate::error::{BuildError, Error};
use crate::request::{Access, Api, HttpResponse, RequestSpec};
use crate::response::decode_json;
use crate::session::Credentials;

/// Locks the progress of a multi-step operation; a poisoned lock still holds a
/// consistent value (every change is one assignment).
pub(crate) fn step<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What the first request of a two-request operation found (a verification token,
/// a provider token, a sudo token…), kept for building and reading the second.
#[derive(Debug)]
pub(crate) struct FirstStep<T>(std::sync::Mutex<Option<T>>);

impl<T: Clone> FirstStep<T> {
    pub(crate) fn new() -> Self {
        Self(std::sync::Mutex::new(None))
    }

    /// The first request's result, once it arrived.
    pub(crate) fn get(&self) -> Option<T> {
        step(&self.0).clone()
    }

    /// `parse_step` of a two-request operation: the first answer is read by `first`
    /// and kept (next request); the second is finished by `last`.
    pub(crate) fn parse_step<O>(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
        first: impl FnOnce(&HttpResponse, &mut ResponseContext<'_>) -> Result<T, Error>,
        last: impl FnOnce(HttpResponse, &mut ResponseContext<'_>) -> Result<O, Error>,
    ) -> Result<crate::call::Progress<O>, Error> {
        if self.get().is_some() {
            return last(response, cx).map(crate::call::Progress::Done);
        }
        let found = first(&response, cx)?;
        *step(&self.0) = Some(found);
        Ok(crate::call::Progress::Next)
    }
}

/// A JSON object as request bytes.
pub(crate) fn body(map: Map<String, Value>) -> Result<Vec<u8>, BuildError> {
    serde_json::to_vec(&Value::Object(map)).map_err(|e| BuildError::Serialize(e.to_string()))
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
