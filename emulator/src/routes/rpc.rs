//! `/v1/rdb/rest/rpc/{fn}`: PostgreSQL-style function calls (docs/protocol/mysql.md). POST takes the
//! named arguments as a JSON object; GET/HEAD as query parameters (`{a,b}` is an
//! array). A schema chosen by `Content-Profile` (POST) or `Accept-Profile` (GET)
//! selects `schema.fn` among the registered functions. A closure registered from Rust
//! answers any JSON; an SQL function answers its rows.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value};

use super::{authorize_gateway, gateway_error, json_response};
use crate::{RdbFunction, Shared, lock};

/// How a registered function is run.
#[derive(Clone)]
pub(crate) enum Function {
    Rust(RdbFunction),
    Sql(String),
}

fn query_args(query: Option<&str>) -> Map<String, Value> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .map(|(k, v)| {
            let value = match v.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
                Some("") => Value::Array(Vec::new()),
                Some(inner) => Value::Array(
                    inner
                        .split(',')
                        .map(|s| Value::String(s.to_owned()))
                        .collect(),
                ),
                None => Value::String(v.into_owned()),
            };
            (k.into_owned(), value)
        })
        .collect()
}

pub(crate) async fn call(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize_gateway(&shared, &headers) {
        return r;
    }
    let read = matches!(method, Method::GET | Method::HEAD);
    let profile = if read {
        "accept-profile"
    } else {
        "content-profile"
    };
    let schema = headers
        .get(profile)
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.is_empty());
    let key = match schema {
        Some(s) => format!("{s}.{name}"),
        None => name.clone(),
    };
    let args = if read {
        query_args(query.as_deref())
    } else if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(map)) => map,
            _ => {
                return gateway_error(
                    StatusCode::BAD_REQUEST,
                    "INVALID_PARAM",
                    "function arguments must be a JSON object",
                    &headers,
                );
            }
        }
    };
    let function = shared.handlers().rdb_functions.get(&key).cloned();
    let Some(function) = function else {
        // PostgREST's code for an unknown function.
        return json_response(
            StatusCode::NOT_FOUND,
            &serde_json::json!({"code": "PGRST202", "message": format!("Could not find the function {key}"), "details": null, "hint": null}),
        );
    };
    let result = match function {
        Function::Rust(f) => {
            let args = Value::Object(args);
            match tokio::task::spawn_blocking(move || f(&args)).await {
                Ok(r) => r,
                Err(_) => Err("the function panicked".to_owned()),
            }
        }
        Function::Sql(sql) => lock(&shared.data)
            .run_sql_function(&sql, &args)
            .map_err(|e| format!("SQL error: {e}")),
    };
    match result {
        Ok(value) => json_response(StatusCode::OK, &value),
        Err(message) => json_response(
            StatusCode::BAD_REQUEST,
            &serde_json::json!({"code": "P0001", "message": message, "details": null, "hint": null}),
        ),
    }
}
