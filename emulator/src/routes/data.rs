//! `/v1/model/...`, `/v1/sql/...` and `/v1/rdb/rest/...`: HTTP glue over
//! [`crate::data`].

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::{authorize_gateway, gateway_error, json_response};
use crate::data::models::{self, Refusal, Writer};
use crate::data::{postgrest, sql};
use crate::{Caller, Shared, lock};

fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| crate::ids::random_hex(16))
}

fn refusal(r: Refusal, headers: &HeaderMap) -> Response {
    let status = StatusCode::from_u16(r.0).unwrap_or(StatusCode::BAD_REQUEST);
    gateway_error(status, r.1, &r.2, headers)
}

fn ok_data(data: Value, headers: &HeaderMap) -> Response {
    json_response(
        StatusCode::OK,
        &json!({"data": data, "requestId": request_id(headers)}),
    )
}

fn json_body(body: &Bytes) -> Result<Value, Refusal> {
    if body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(body)
        .map_err(|e| (400, "INVALID_PARAM", format!("the body is not JSON: {e}")))
}

fn pairs(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn writer(shared: &Shared, caller: &Caller) -> Writer {
    Writer {
        openid: match caller {
            Caller::User { sub, .. } => sub.clone(),
            _ => String::new(),
        },
        now_ms: shared.now() as i64 * 1000,
    }
}

/// `/v1/model/{a}/{b}/{c}`: record operations, `plugin/{env}/mysqlCommand`, and
/// `datasource/{env}/{endpoint}`.
pub(crate) async fn model3(
    State(shared): State<Arc<Shared>>,
    Path((a, b, c)): Path<(String, String, String)>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let caller = match authorize_gateway(&shared, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let pairs = pairs(query.as_deref());
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(r) => return refusal(r, &headers),
    };
    let store = lock(&shared.data);
    let result = match (a.as_str(), c.as_str()) {
        ("plugin", "mysqlCommand") if method == Method::POST => {
            if caller != Caller::ApiKey {
                return gateway_error(
                    StatusCode::FORBIDDEN,
                    "PERMISSION_DENIED",
                    "mysqlCommand needs an admin identity (API key)",
                    &headers,
                );
            }
            match body.get("sqlTemplate").and_then(Value::as_str) {
                Some(t) => sql::execute(&store, t, body.get("parameter")),
                None => Err((400, "INVALID_PARAM", "sqlTemplate is required".into())),
            }
        }
        ("datasource", endpoint) => datasource(&store, &method, endpoint, &pairs, &body),
        (env, op) => {
            let allowed = match op {
                "update" | "updateMany" => method == Method::PUT,
                "list" => method == Method::POST || method == Method::GET,
                _ => method == Method::POST,
            };
            if !allowed {
                return gateway_error(
                    StatusCode::NOT_FOUND,
                    "RESOURCE_NOT_FOUND",
                    &format!("{method} is not a model route for {op:?}"),
                    &headers,
                );
            }
            models::run(
                &store,
                (env, &b),
                op,
                None,
                &body,
                &pairs,
                &writer(&shared, &caller),
            )
        }
    };
    match result {
        Ok(data) => ok_data(data, &headers),
        Err(r) => refusal(r, &headers),
    }
}

/// `GET /v1/model/{env}/{model}/{id}/get`, `DELETE …/{id}/delete`.
pub(crate) async fn model4(
    State(shared): State<Arc<Shared>>,
    Path((env, model, id, op)): Path<(String, String, String, String)>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let caller = match authorize_gateway(&shared, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let allowed = matches!(
        (op.as_str(), &method),
        ("get", &Method::GET) | ("delete", &Method::DELETE)
    );
    if !allowed {
        return gateway_error(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            "no such model route",
            &headers,
        );
    }
    let store = lock(&shared.data);
    match models::run(
        &store,
        (&env, &model),
        &op,
        Some(&id),
        &json!({}),
        &[],
        &writer(&shared, &caller),
    ) {
        Ok(data) => ok_data(data, &headers),
        Err(r) => refusal(r, &headers),
    }
}

/// `POST /v1/sql/{env}/{name}/run`: answers in the Tencent Cloud API shape
/// `{Response: {Data, RequestId, Error?}}`.
pub(crate) async fn sql_run(
    State(shared): State<Arc<Shared>>,
    Path((env, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize_gateway(&shared, &headers) {
        return r;
    }
    let rid = request_id(&headers);
    let fail = |code: &str, message: String| {
        json_response(
            StatusCode::OK,
            &json!({"Response": {"RequestId": rid, "Error": {"Code": code, "Message": message}}}),
        )
    };
    if env != "prod" && env != "pre" {
        return fail(
            "InvalidParameter",
            format!("unknown data environment {env:?}"),
        );
    }
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(r) => return fail("InvalidParameter", r.2),
    };
    let store = lock(&shared.data);
    let Some(template) = store.templates.get(&name).cloned() else {
        return fail(
            "ResourceNotFound",
            format!("SQL template {name:?} does not exist"),
        );
    };
    match sql::execute(&store, &template, body.get("parameter")) {
        Ok(data) => json_response(
            StatusCode::OK,
            &json!({"Response": {"Data": data, "RequestId": rid}}),
        ),
        Err(r) => fail("InvalidParameter", r.2),
    }
}

fn datasource_row(name: &str) -> Value {
    json!({
        "Id": format!("ds-{name}"),
        "Name": name,
        "Title": name,
        "Type": "database",
        "SubType": "",
        "Schema": "{}",
        "Methods": [],
        "PreviewTableName": models::table_of("pre", name),
        "PublishedTableName": models::table_of("prod", name),
    })
}

/// Data-source queries, answered from the models the emulator holds.
/// `(rows to skip, rows to take)` for a page, range-checked.
fn skip_of(number: i64, size: i64, names: (&str, &str)) -> Result<(usize, usize), Refusal> {
    let offset = crate::data::page_offset(number, size, names)?;
    let too_large = || (400, "INVALID_PARAM", format!("{} is too large", names.0));
    Ok((
        usize::try_from(offset).map_err(|_| too_large())?,
        usize::try_from(size).map_err(|_| too_large())?,
    ))
}

fn datasource(
    store: &crate::data::DataStore,
    method: &Method,
    endpoint: &str,
    q: &[(String, String)],
    body: &Value,
) -> Result<Value, Refusal> {
    let invalid = |m: &str| (400u16, "INVALID_PARAM", m.to_owned());
    let names = store
        .model_names()
        .map_err(|e| (500, "SYS_ERR", e.to_string()))?;
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let all = |k: &str| -> Vec<&str> {
        q.iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let one = || -> Result<Value, Refusal> {
        let wanted = match (get("datasourceId"), get("dataSourceName")) {
            (Some(id), _) if !id.is_empty() => id.strip_prefix("ds-").unwrap_or(id).to_owned(),
            (_, Some(n)) if !n.is_empty() => n.to_owned(),
            _ => return Err(invalid("datasourceId or dataSourceName is required")),
        };
        names
            .iter()
            .find(|n| **n == wanted)
            .map(|n| datasource_row(n))
            .ok_or_else(|| {
                (
                    404,
                    "RESOURCE_NOT_FOUND",
                    format!("data source {wanted:?} does not exist"),
                )
            })
    };
    match (method.as_str(), endpoint) {
        ("GET", "aggregateDataSourceList") => {
            let number = |k: &str, default: Option<i64>| match get(k) {
                Some(v) => v
                    .parse::<i64>()
                    .map_err(|_| invalid(&format!("{k} must be an integer"))),
                None => default.ok_or_else(|| invalid(&format!("{k} is required"))),
            };
            let size = number("pageSize", None)?;
            // Any `envId` is served, as everywhere in the emulator.
            let page = number("pageIndex", Some(1))?;
            let offset = skip_of(page, size, ("pageIndex", "pageSize"))?;
            let filter = all("dataSourceNames");
            let rows: Vec<Value> = names
                .iter()
                .filter(|n| filter.is_empty() || filter.contains(&n.as_str()))
                .map(|n| datasource_row(n))
                .collect();
            let count = rows.len();
            let rows: Vec<Value> = rows.into_iter().skip(offset.0).take(offset.1).collect();
            Ok(json!({"Count": count, "Rows": rows}))
        }
        ("GET", "dataSourceAggregateDetail" | "basicDataSource") => one(),
        ("GET", "dataSourceByTableName") => {
            let tables = all("tableNames");
            if tables.is_empty() {
                return Err(invalid("tableNames is required"));
            }
            let infos: Vec<Value> = tables
                .iter()
                .filter_map(|t| {
                    names.iter().find_map(|n| {
                        let preview = models::table_of("pre", n) == *t;
                        (preview || models::table_of("prod", n) == *t).then(|| {
                            json!({"IsDataSource": true, "IsPreview": preview, "Name": n, "Schema": "{}", "TableName": t, "Title": n})
                        })
                    })
                })
                .collect();
            Ok(json!({"DataSourceTableInfos": infos}))
        }
        ("GET", "schemaList") => {
            let wanted = all("dataSourceNameList");
            let list: Vec<Value> = names
                .iter()
                .filter(|n| wanted.is_empty() || wanted.contains(&n.as_str()))
                .map(|n| json!({"Id": format!("ds-{n}"), "Name": n, "Title": n, "Schema": "{}", "RelatedFieldKey": "", "RelatedType": "", "RelationViewList": []}))
                .collect();
            Ok(json!({"DataSourceRelationInfoList": list}))
        }
        ("GET", "tableName") => {
            let name = get("dataSourceName")
                .filter(|n| !n.is_empty())
                .ok_or_else(|| invalid("dataSourceName is required"))?;
            if !names.iter().any(|n| n == name) {
                return Err((
                    404,
                    "RESOURCE_NOT_FOUND",
                    format!("data source {name:?} does not exist"),
                ));
            }
            Ok(
                json!({"TableName": [models::table_of("prod", name), models::table_of("pre", name)], "DbType": "MYSQL"}),
            )
        }
        ("POST", "basicDataSourceList") => {
            let number = |k: &str, default: i64| match body.get(k) {
                None | Some(Value::Null) => Ok(default),
                Some(v) => v
                    .as_i64()
                    .ok_or_else(|| invalid(&format!("{k} must be an integer"))),
            };
            let offset = skip_of(
                number("PageNum", 1)?,
                number("PageSize", 10)?,
                ("PageNum", "PageSize"),
            )?;
            let by = |k: &str| -> Vec<String> {
                body.get(k)
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let (ids, wanted) = (by("IdList"), by("NameList"));
            let rows: Vec<Value> = names
                .iter()
                .filter(|n| {
                    (wanted.is_empty() || wanted.contains(n))
                        && (ids.is_empty() || ids.contains(&format!("ds-{n}")))
                })
                .map(|n| datasource_row(n))
                .collect();
            let total = rows.len();
            let list: Vec<Value> = rows.into_iter().skip(offset.0).take(offset.1).collect();
            Ok(json!({"DataSourceList": list, "Total": total}))
        }
        _ => Err((
            404,
            "RESOURCE_NOT_FOUND",
            format!("unknown data-source query {endpoint:?}"),
        )),
    }
}

/// `/v1/rdb/rest/{table}`, `/{schema}/{table}`, `/{instance}/{schema}/{table}`.
/// The schema and instance (from the path or the JS SDK's `Accept-Profile`,
/// `Content-Profile`, `X-Db-Instance` headers) are accepted and ignored: the
/// emulator has one database.
pub(crate) async fn rdb(
    State(shared): State<Arc<Shared>>,
    Path(path): Path<String>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize_gateway(&shared, &headers) {
        return r;
    }
    let rid = request_id(&headers);
    let segments: Vec<&str> = path.split('/').collect();
    let table_name = match segments.as_slice() {
        [t] | [_, t] | [_, _, t] if !t.is_empty() => (*t).to_owned(),
        _ => {
            return gateway_error(
                StatusCode::NOT_FOUND,
                "RESOURCE_NOT_FOUND",
                "expected /v1/rdb/rest/[instance/][schema/]table",
                &headers,
            );
        }
    };
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let prefs = postgrest::Prefs::read(&header("prefer"), &header("accept"));
    let answer = (|| {
        let q = postgrest::parse(&pairs(query.as_deref()))?;
        let store = lock(&shared.data);
        let table = postgrest::table(&store, &table_name)?;
        let body = || -> Result<Value, postgrest::RestError> {
            serde_json::from_slice(&body).map_err(|e| {
                postgrest::RestError::gateway(
                    400,
                    "INVALID_PARAM",
                    format!("the body is not JSON: {e}"),
                )
            })
        };
        match method {
            Method::GET => postgrest::select(&store, &table, &q, &prefs, false),
            Method::HEAD => postgrest::select(&store, &table, &q, &prefs, true),
            Method::POST => postgrest::insert(&store, &table, &q, &prefs, &body()?),
            Method::PATCH => postgrest::update(&store, &table, &q, &prefs, &body()?),
            Method::DELETE => postgrest::delete(&store, &table, &q, &prefs),
            _ => Err(postgrest::RestError::gateway(
                405,
                "INVALID_REQUEST",
                format!("{method} is not supported"),
            )),
        }
    })();
    match answer {
        Ok(a) => {
            let mut response = match &a.body {
                Some(b) => {
                    let mut r = Response::new(Body::from(b.to_string()));
                    let ct = if prefs.single {
                        "application/vnd.pgrst.object+json; charset=utf-8"
                    } else {
                        "application/json; charset=utf-8"
                    };
                    r.headers_mut().insert(
                        axum::http::header::CONTENT_TYPE,
                        HeaderValue::from_static(ct),
                    );
                    r
                }
                None => Response::new(Body::empty()),
            };
            *response.status_mut() = StatusCode::from_u16(a.status).unwrap_or(StatusCode::OK);
            if let Some(cr) = a.content_range.and_then(|c| HeaderValue::from_str(&c).ok()) {
                response.headers_mut().insert("content-range", cr);
            }
            response
        }
        Err(e) => json_response(
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
            &e.body(&rid),
        ),
    }
}
