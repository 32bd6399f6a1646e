//! One REST call built from a query: method, `Accept` / `Prefer`, body, and how its
//! answer is decoded.

use http::header::{ACCEPT, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::encode::validate_name;
use super::query::{Query, Resolution};
use crate::codes::GatewayErrorCode;
use crate::error::{BuildError, Error, ServerCode, ServerError};
use crate::operation::{AnswerContext, Detached, OneShot, RequestContext};
use crate::request::{Access, Api, HttpResponse, RequestSpec};
use crate::response::decode_json;

/// Rows and the total number of matches.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Counted<T> {
    /// The rows returned.
    pub rows: Vec<T>,
    /// All matching rows (from `Content-Range`), if the server said.
    pub total: Option<u64>,
}

/// One REST call, built from a [`Query`]; decodes its answer as `O`.
#[derive(Clone, Debug)]
#[must_use]
pub struct RdbCall<O> {
    pub(super) query: Query,
    pub(super) method: Method,
    pub(super) accept: Option<&'static str>,
    pub(super) prefer: Vec<String>,
    pub(super) body: Option<Value>,
    pub(super) extra_query: Vec<(String, String)>,
    pub(super) needs_filter: Option<&'static str>,
    pub(super) idempotent: bool,
    pub(super) decode: fn(&HttpResponse) -> Result<O, Error>,
}

impl<O> RdbCall<O> {
    pub(super) fn add_columns(&mut self) {
        let Some(Value::Array(rows)) = &self.body else {
            return;
        };
        let mut columns: Vec<String> = Vec::new();
        for row in rows {
            let Some(obj) = row.as_object() else {
                self.query.problem.get_or_insert(BuildError::InvalidInput {
                    field: "rows",
                    reason: "every row must be a JSON object".into(),
                });
                return;
            };
            for k in obj.keys() {
                if !columns.contains(k) {
                    columns.push(k.clone());
                }
            }
        }
        for c in &columns {
            if let Err(e) = validate_name("column", c) {
                self.query.problem.get_or_insert(e);
            }
        }
        let list: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
        self.extra_query.push(("columns".into(), list.join(",")));
    }

    /// Upsert conflict target: `on_conflict=col1,col2` (unique-index columns).
    pub fn on_conflict<S: Into<String>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        let columns: Vec<String> = columns.into_iter().map(Into::into).collect();
        for c in &columns {
            if let Err(e) = validate_name("column", c) {
                self.query.problem.get_or_insert(e);
            }
        }
        self.extra_query.retain(|(k, _)| k != "on_conflict");
        self.extra_query
            .insert(0, ("on_conflict".into(), columns.join(",")));
        self
    }

    /// What an upsert does with existing rows (merge unless set).
    pub fn resolution(mut self, resolution: Resolution) -> Self {
        self.prefer.retain(|p| !p.starts_with("resolution="));
        self.prefer.push(
            match resolution {
                Resolution::MergeDuplicates => "resolution=merge-duplicates",
                Resolution::IgnoreDuplicates => "resolution=ignore-duplicates",
            }
            .into(),
        );
        self
    }

    /// Insert: keys missing from a row take the column default instead of null
    /// (`Prefer: missing=default`).
    pub fn missing_as_default(mut self) -> Self {
        self.prefer.push("missing=default".into());
        self
    }

    /// Has a write return the rows it wrote (`Prefer: return=representation`,
    /// `select=` the query's columns or `*`).
    pub fn returning<T: DeserializeOwned>(self) -> RdbCall<Vec<T>> {
        let mut query = self.query;
        if query.select.is_none() {
            query.select = Some("*".into());
        }
        let mut prefer = self.prefer;
        prefer.push("return=representation".into());
        RdbCall {
            query,
            method: self.method,
            accept: self.accept,
            prefer,
            body: self.body,
            extra_query: self.extra_query,
            needs_filter: self.needs_filter,
            idempotent: self.idempotent,
            decode: decode_rows::<T>,
        }
    }

    /// The query this call was built from.
    pub fn query(&self) -> &Query {
        &self.query
    }
}

fn header(name: &str, value: &str) -> Result<HeaderValue, BuildError> {
    HeaderValue::from_str(value).map_err(|_| BuildError::InvalidHeader(name.to_owned()))
}

impl<O> OneShot for RdbCall<O> {
    type Output = O;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        let q = &self.query;
        q.check()?;
        if let Some(operation) = self.needs_filter
            && q.filters.is_empty()
        {
            return Err(BuildError::MissingFilter { operation }.into());
        }
        let mut spec =
            RequestSpec::new(Api::Gateway, self.method.clone(), Access::Bearer).path("rdb/rest");
        for part in [&q.instance, &q.schema].into_iter().flatten() {
            spec = spec.segment(part);
        }
        spec = spec.segment(&q.table);
        for (k, v) in &self.extra_query {
            spec = spec.query(k, v);
        }
        if let Some(s) = &q.select {
            spec = spec.query("select", s);
        }
        for f in &q.filters {
            let (k, v) = f.to_query_pair();
            spec = spec.query(k, v);
        }
        if !q.order.is_empty() {
            spec = spec.query("order", q.order.join(","));
        }
        if let Some(o) = q.offset {
            spec = spec.query("offset", o.to_string());
        }
        if let Some(l) = q.limit {
            spec = spec.query("limit", l.to_string());
        }
        if let Some(a) = self.accept {
            spec = spec.header(ACCEPT, HeaderValue::from_static(a));
        }
        if !self.prefer.is_empty() {
            spec = spec.header(
                HeaderName::from_static("prefer"),
                header("prefer", &self.prefer.join(", "))?,
            );
        }
        let body = match &self.body {
            Some(b) => crate::request::to_json(b)?,
            None => Vec::new(),
        };
        // The JS SDK sends `Content-Type: application/json` on every call, GET too.
        Ok(spec.json_body(body, "application/json"))
    }

    fn is_idempotent(&self) -> bool {
        self.idempotent
    }

    fn parse_answer(&self, response: HttpResponse, _cx: &AnswerContext<'_>) -> Detached<O> {
        Detached::Read((self.decode)(&response))
    }
}

/// The total after `/` in `Content-Range: 0-9/100` (`*` or absent: unknown).
pub fn content_range_total(response: &HttpResponse) -> Option<u64> {
    let value = response.headers().get("content-range")?.to_str().ok()?;
    value.rsplit_once('/')?.1.trim().parse().ok()
}

pub(super) fn decode_rows<T: DeserializeOwned>(r: &HttpResponse) -> Result<Vec<T>, Error> {
    if r.body().iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    Ok(decode_json(r.status(), r.body())?)
}

pub(super) fn decode_counted<T: DeserializeOwned>(r: &HttpResponse) -> Result<Counted<T>, Error> {
    Ok(Counted {
        rows: decode_rows(r)?,
        total: content_range_total(r),
    })
}

pub(super) fn decode_single<T: DeserializeOwned>(r: &HttpResponse) -> Result<T, Error> {
    Ok(decode_json(r.status(), r.body())?)
}

pub(super) fn decode_maybe_single<T: DeserializeOwned>(
    r: &HttpResponse,
) -> Result<Option<T>, Error> {
    let mut rows: Vec<T> = decode_rows(r)?;
    if rows.len() > 1 {
        return Err(ServerError {
            status: StatusCode::NOT_ACCEPTABLE,
            code: ServerCode::Gateway(GatewayErrorCode::from("PGRST116")),
            message: "JSON object requested, multiple (or no) rows returned".into(),
            request_id: None,
            numeric_code: None,
            retry_after: None,
            postgrest: Some(Box::new(crate::error::PostgrestDetails {
                details: Some(format!("Results contain {} rows", rows.len())),
                hint: None,
            })),
        }
        .into());
    }
    Ok(rows.pop())
}

pub(super) fn decode_count(r: &HttpResponse) -> Result<u64, Error> {
    content_range_total(r).ok_or_else(|| {
        crate::error::DecodeError::Json {
            status: r.status(),
            path: "Content-Range".into(),
            message: "the answer has no total in Content-Range".into(),
            snippet: String::new(),
            source: None,
        }
        .into()
    })
}

pub(super) fn decode_nothing(_r: &HttpResponse) -> Result<(), Error> {
    Ok(())
}
