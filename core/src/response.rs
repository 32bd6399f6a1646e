//! Reading answers: the two error envelopes, and JSON decoding that reports the JSON
//! path and a short, credential-masked body snippet.

use std::time::{Duration, SystemTime};

use http::StatusCode;
use serde::de::DeserializeOwned;

use crate::codes::{AuthErrorCode, GatewayErrorCode};
use crate::error::{DecodeError, Error, PostgrestDetails, ServerCode, ServerError};
use crate::request::{Api, HttpResponse};
use crate::retry::parse_retry_after;

/// Longest body snippet kept in a [`DecodeError`].
const SNIPPET_LEN: usize = 160;

/// JSON keys whose values are masked in snippets.
const SECRET_KEYS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "sudo_token",
    "verification_token",
    "verification_code",
    "captcha_token",
    "provider_token",
    "password",
    "new_password",
    "ticket",
    "token",
    "code_verifier",
];

/// Whether a body's `code` marks an error: a non-empty string (an empty one, a
/// number or `null` do not; the JS SDK's truthiness test reads the same for strings).
pub(crate) fn is_error_code(code: &serde_json::Value) -> bool {
    code.as_str().is_some_and(|c| !c.is_empty())
}

/// The fields an error envelope may carry (auth `{error, error_description,
/// error_code}`, gateway `{code, message, requestId}`, PostgREST `{details, hint}`).
#[derive(Default, serde::Deserialize)]
struct ErrorFields {
    error: Option<serde_json::Value>,
    error_description: Option<serde_json::Value>,
    error_code: Option<serde_json::Value>,
    code: Option<serde_json::Value>,
    message: Option<serde_json::Value>,
    #[serde(rename = "requestId")]
    request_id_camel: Option<serde_json::Value>,
    request_id: Option<serde_json::Value>,
    retry_after: Option<serde_json::Value>,
    #[serde(rename = "retryAfter")]
    retry_after_camel: Option<serde_json::Value>,
    details: Option<serde_json::Value>,
    hint: Option<serde_json::Value>,
}

/// Whether `body` could carry an `error` or `code` key (or a `\u` escape, which could
/// spell one).
fn mentions_error_keys(body: &[u8]) -> bool {
    use std::sync::LazyLock;
    // Built once: making a searcher per call cost more than the search.
    static FINDERS: LazyLock<[memchr::memmem::Finder<'static>; 3]> = LazyLock::new(|| {
        [
            memchr::memmem::Finder::new(b"error\""),
            memchr::memmem::Finder::new(b"code\""),
            memchr::memmem::Finder::new(b"\\u"),
        ]
    });
    FINDERS.iter().any(|f| f.find(body).is_some())
}

/// Turns an error answer into a [`ServerError`]; `Ok(())` means "not an error".
///
/// - Auth APIs: a body with an `error` string is an error whatever the status (the JS
///   SDK never looks at the status); a body with a truthy `code` is a gateway rejection
///   of the auth call. A non-2xx without either is an error too.
/// - Gateway: any non-2xx is an error, read from `{code, message, requestId}` when the
///   body has it. A 2xx is never an error here, even if the function's own result has
///   a `code` field (the JS SDK misreads such results as errors; the v4 docs say the
///   status decides, and so does this SDK).
/// - 3xx is a [`DecodeError::Redirect`]: redirects are never followed.
pub fn check_status(api: Api, response: &HttpResponse, now: SystemTime) -> Result<(), Error> {
    read_error(api, response, now, false)
}

/// Like [`check_status`] for a gateway answer, but a 2xx body with a non-empty `code`
/// is an error too: the data-model API answers failures that way (docs/protocol/models.md §1, the
/// JS client treats any truthy `code` as an error).
pub fn check_body_code(response: &HttpResponse) -> Result<(), Error> {
    read_error(Api::Gateway, response, SystemTime::UNIX_EPOCH, true)
}

fn read_error(
    api: Api,
    response: &HttpResponse,
    now: SystemTime,
    code_in_2xx_is_error: bool,
) -> Result<(), Error> {
    let status = response.status();
    if status.is_redirection() {
        let location = response
            .headers()
            .get(http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        return Err(DecodeError::Redirect { status, location }.into());
    }
    // A gateway 2xx is never an error unless its body's `code` counts: skip reading.
    if status.is_success() && !api.is_auth() && !code_in_2xx_is_error {
        return Ok(());
    }
    // An auth 2xx is an error only if its body names `error` or `code`: a token
    // answer without either is not read twice (a JSON escape in a key could spell
    // them, so a body with one is read too).
    if status.is_success() && !mentions_error_keys(response.body()) {
        return Ok(());
    }
    // Only the envelope's own fields are read; the rest (a model list's records, say)
    // is skipped without being built.
    let fields: ErrorFields = serde_json::from_slice(response.body()).unwrap_or_default();
    let header_request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text =
        |v: &Option<serde_json::Value>| v.as_ref().and_then(|v| v.as_str()).map(str::to_owned);
    let request_id = text(&fields.request_id_camel)
        .or_else(|| text(&fields.request_id))
        .or(header_request_id);
    let retry_after = parse_retry_after(response.headers(), now).or_else(|| {
        fields
            .retry_after
            .as_ref()
            .or(fields.retry_after_camel.as_ref())
            .and_then(|v| v.as_u64())
            .map(Duration::from_secs)
    });

    let auth_error = if api.is_auth() {
        text(&fields.error)
    } else {
        None
    };
    let gateway_code = fields
        .code
        .as_ref()
        .filter(|c| is_error_code(c))
        .and_then(|c| c.as_str())
        .map(str::to_owned);
    let code = match (auth_error, gateway_code) {
        (Some(e), _) => ServerCode::Auth(AuthErrorCode::from(e.as_str())),
        (None, Some(c)) if api.is_auth() || code_in_2xx_is_error || !status.is_success() => {
            ServerCode::Gateway(GatewayErrorCode::from(c.as_str()))
        }
        _ if !status.is_success() => ServerCode::HttpStatus,
        _ => return Ok(()),
    };
    let message = text(&fields.error_description)
        .or_else(|| text(&fields.message))
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    let numeric_code = fields.error_code.as_ref().and_then(|v| {
        v.as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
    });
    // PostgREST errors carry `details` and `hint` (strings, or null).
    let detail = |v: &Option<serde_json::Value>| {
        v.as_ref().and_then(|v| match v {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        })
    };
    Err(ServerError {
        status,
        code,
        message,
        request_id,
        numeric_code,
        retry_after,
        postgrest: match (detail(&fields.details), detail(&fields.hint)) {
            (None, None) => None,
            (details, hint) => Some(Box::new(PostgrestDetails { details, hint })),
        },
    }
    .into())
}

/// Decodes a JSON body into `T`, reporting the JSON path of the first mismatch.
pub fn decode_json<T: DeserializeOwned>(status: StatusCode, body: &[u8]) -> Result<T, DecodeError> {
    // The plain parse first: tracking the path costs on every value, and is only
    // needed to describe a failure, so a failed parse is repeated with it.
    if let Ok(value) = serde_json::from_slice(body) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let source = e.into_inner();
        DecodeError::Json {
            status,
            path,
            message: source.to_string(),
            snippet: snippet(body),
            source: Some(source.into()),
        }
    })
}

/// Reads an already-parsed JSON value as `T` (answers checked for an error envelope
/// first).
pub fn decode_value<T: DeserializeOwned>(
    status: StatusCode,
    value: serde_json::Value,
) -> Result<T, DecodeError> {
    serde_json::from_value(value).map_err(|e| DecodeError::Json {
        status,
        path: ".".into(),
        message: e.to_string(),
        snippet: String::new(),
        source: Some(e.into()),
    })
}

/// The start of a body, with the values of credential-looking keys masked. A body
/// that is not valid JSON but mentions such a key is withheld entirely.
pub fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let shown = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut v) => {
            mask(&mut v);
            v.to_string()
        }
        Err(_) if SECRET_KEYS.iter().any(|k| text.contains(k)) => {
            return "<withheld: may contain credentials>".to_owned();
        }
        Err(_) => text.into_owned(),
    };
    let mut out: String = shown.chars().take(SNIPPET_LEN).collect();
    if out.len() < shown.len() {
        out.push('…');
    }
    out
}

fn mask(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if SECRET_KEYS.contains(&k.as_str()) {
                    *val = serde_json::Value::String("***".to_owned());
                } else {
                    mask(val);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(mask),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> HttpResponse {
        http::Response::builder()
            .status(status)
            .header("x-request-id", "hdr-rid")
            .body(body.as_bytes().to_vec())
            .unwrap_or_default()
    }

    fn server_err(api: Api, r: &HttpResponse) -> ServerError {
        match check_status(api, r, SystemTime::UNIX_EPOCH) {
            Err(Error::Server(e)) => e,
            other => panic!("expected a server error, got {other:?}"),
        }
    }

    #[test]
    fn auth_envelope_is_read_even_with_status_200() {
        let r = resp(
            200,
            r#"{"error":"invalid_grant","error_code":3,"error_description":"refresh token expired"}"#,
        );
        let e = server_err(Api::AuthV1, &r);
        assert_eq!(e.code, ServerCode::Auth(AuthErrorCode::InvalidGrant));
        assert_eq!(e.numeric_code, Some(3));
        assert_eq!(e.message, "refresh token expired");
        assert_eq!(e.request_id.as_deref(), Some("hdr-rid"));
    }

    #[test]
    fn auth_envelope_numeric_string_and_retry_after() {
        let r = resp(
            429,
            r#"{"error":"resource_exhausted","error_code":"8","retry_after":60,"request_id":"r1"}"#,
        );
        let e = server_err(Api::AuthV1, &r);
        assert_eq!(e.numeric_code, Some(8));
        assert_eq!(e.retry_after, Some(Duration::from_secs(60)));
        assert_eq!(e.request_id.as_deref(), Some("r1"));
        assert!(e.is_retryable());
    }

    #[test]
    fn unknown_auth_code_is_kept() {
        let e = server_err(Api::AuthV1, &resp(400, r#"{"error":"shiny_new"}"#));
        assert_eq!(
            e.code,
            ServerCode::Auth(AuthErrorCode::Unknown("shiny_new".into()))
        );
    }

    #[test]
    fn gateway_envelope() {
        let r = resp(
            401,
            r#"{"code":"ACCESS_TOKEN_EXPIRED","message":"access token expired","requestId":"srv-401"}"#,
        );
        let e = server_err(Api::Gateway, &r);
        assert_eq!(
            e.code,
            ServerCode::Gateway(GatewayErrorCode::AccessTokenExpired)
        );
        assert_eq!(e.request_id.as_deref(), Some("srv-401"));
        assert_eq!(e.status, StatusCode::UNAUTHORIZED);
        assert!(!e.is_retryable());
    }

    #[test]
    fn gateway_rejection_of_an_auth_call_is_an_error() {
        let e = server_err(
            Api::AuthV1,
            &resp(200, r#"{"code":"INVALID_ACCESS_TOKEN","message":"x"}"#),
        );
        assert_eq!(
            e.code,
            ServerCode::Gateway(GatewayErrorCode::InvalidAccessToken)
        );
    }

    #[test]
    fn a_function_result_with_a_code_field_is_not_an_error() {
        let r = resp(200, r#"{"code":"MY_APP_CODE","data":1}"#);
        assert!(check_status(Api::Gateway, &r, SystemTime::UNIX_EPOCH).is_ok());
    }

    #[test]
    fn postgrest_error_shape_keeps_details_and_hint() {
        let e = server_err(
            Api::Gateway,
            &resp(
                406,
                r#"{"code":"PGRST116","message":"JSON object requested, multiple (or no) rows returned","details":"The result contains 2 rows","hint":null}"#,
            ),
        );
        assert_eq!(
            e.code,
            ServerCode::Gateway(GatewayErrorCode::Unknown("PGRST116".into()))
        );
        let extra = e.postgrest.expect("details");
        assert_eq!(extra.details.as_deref(), Some("The result contains 2 rows"));
        assert_eq!(extra.hint, None);
    }

    #[test]
    fn model_answers_with_a_code_in_a_200_are_errors() {
        let r = resp(
            200,
            r#"{"code":"INVALID_PARAM","message":"bad where","requestId":"m1"}"#,
        );
        match check_body_code(&r) {
            Err(Error::Server(e)) => assert_eq!(e.request_id.as_deref(), Some("m1")),
            other => panic!("{other:?}"),
        }
        assert!(check_body_code(&resp(200, r#"{"data":{"count":1}}"#)).is_ok());
    }

    #[test]
    fn non_json_5xx_is_an_http_status_error() {
        let e = server_err(Api::Gateway, &resp(502, "<html>bad gateway</html>"));
        assert_eq!(e.code, ServerCode::HttpStatus);
        assert!(e.is_retryable());
    }

    #[test]
    fn redirects_are_decode_errors() {
        let r = http::Response::builder()
            .status(302)
            .header("location", "https://elsewhere.example/")
            .body(Vec::new())
            .unwrap_or_default();
        match check_status(Api::Gateway, &r, SystemTime::UNIX_EPOCH) {
            Err(Error::Decode(DecodeError::Redirect { location, .. })) => {
                assert_eq!(location.as_deref(), Some("https://elsewhere.example/"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn decode_errors_carry_the_path_and_a_masked_snippet() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct T {
            access_token: String,
            expires_in: u64,
        }
        let body = br#"{"access_token":"AT-very-secret","expires_in":"soon"}"#;
        match decode_json::<T>(StatusCode::OK, body) {
            Err(DecodeError::Json { path, snippet, .. }) => {
                assert_eq!(path, "expires_in");
                assert!(!snippet.contains("AT-very-secret"), "{snippet}");
                assert!(snippet.contains("soon"));
            }
            other => panic!("{other:?}"),
        }
        let truncated = br#"{"refresh_token":"RT-secret","#;
        assert!(!snippet(truncated).contains("RT-secret"));
        assert!(snippet(&[b'x'; 500]).chars().count() <= SNIPPET_LEN + 1);
    }
}
