//! Record CRUD on one model (docs/protocol/models.md §1).

use std::marker::PhantomData;

use http::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{DataEnv, Filter, Query, validate_model_name};
use crate::error::{BuildError, Error};
use crate::operation::{AnswerContext, Detached, OneShot, RequestContext};
use crate::request::{Access, Api, HttpResponse, RequestSpec};
use crate::response::{check_body_code, decode_json, is_error_code};

/// One data model, in the `prod` (default) or `pre` data environment. Each method
/// returns the operation for one call; run it with the client's `execute`, or use
/// the client's `models()` handle which does both.
///
/// ```
/// use cloudbase_core::models::{field, DataEnv, Model};
///
/// let todos = Model::new("todo")?.env(DataEnv::Pre);
/// let create = todos.create(&serde_json::json!({"title": "buy milk", "done": false}))?;
/// let update = todos.update(field("_id").eq("r1"), &serde_json::json!({"done": true}))?;
/// assert!(todos.delete_many(cloudbase_core::models::Filter::all()).is_err()); // refused: no filter
/// # Ok::<(), cloudbase_core::BuildError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Model {
    name: String,
    env: DataEnv,
}

/// A page of records: `records`, and `total` when the query asked for a count.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Page<T> {
    /// The records of this page.
    #[serde(default = "Vec::new")]
    pub records: Vec<T>,
    /// How many records match in all (only with [`Query::with_count`]).
    #[serde(default)]
    pub total: Option<u64>,
}

/// What `update_many` reports.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UpdateManyOutcome {
    /// Records changed.
    #[serde(default)]
    pub count: u64,
    /// Ids the service updated (docs; not every deployment sends it).
    #[serde(default)]
    pub legal_id_list: Vec<String>,
    /// Ids the service refused (docs; not every deployment sends it).
    #[serde(default)]
    pub illegal_id_list: Vec<String>,
}

/// What `upsert` reports: `count > 0` means existing records were updated; a
/// non-empty `id` means a record was created.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct UpsertOutcome {
    /// Records updated.
    #[serde(default)]
    pub count: u64,
    /// The created record's id.
    #[serde(default)]
    pub id: Option<String>,
}

impl UpsertOutcome {
    /// Whether the upsert created a record.
    pub fn created(&self) -> bool {
        self.id.as_deref().is_some_and(|id| !id.is_empty())
    }
}

/// One model call, decoding its answer's `data` as `T`. Built by [`Model`].
#[derive(Debug)]
#[must_use]
pub struct ModelCall<T> {
    method: Method,
    segments: Vec<String>,
    query: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    idempotent: bool,
    decode: fn(&HttpResponse) -> Result<T, Error>,
    _out: PhantomData<fn() -> T>,
}

impl<T> Clone for ModelCall<T> {
    fn clone(&self) -> Self {
        Self {
            method: self.method.clone(),
            segments: self.segments.clone(),
            query: self.query.clone(),
            body: self.body.clone(),
            idempotent: self.idempotent,
            decode: self.decode,
            _out: PhantomData,
        }
    }
}

impl<T> ModelCall<T> {
    pub(crate) fn new(
        method: Method,
        segments: Vec<String>,
        body: Option<Value>,
        idempotent: bool,
        decode: fn(&HttpResponse) -> Result<T, Error>,
    ) -> Result<Self, BuildError> {
        let body = body
            .map(|b| serde_json::to_vec(&b))
            .transpose()
            .map_err(|e| BuildError::Serialize(e.to_string()))?;
        Ok(Self {
            method,
            segments,
            query: Vec::new(),
            body,
            idempotent,
            decode,
            _out: PhantomData,
        })
    }

    pub(crate) fn query(mut self, name: &str, value: String) -> Self {
        self.query.push((name.to_owned(), value));
        self
    }

    /// The JSON body this call sends, if any (for logs and tests).
    pub fn body(&self) -> Option<&[u8]> {
        self.body.as_deref()
    }
}

impl<T> OneShot for ModelCall<T> {
    type Output = T;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        let mut spec = RequestSpec::new(Api::Gateway, self.method.clone(), Access::Bearer);
        for s in &self.segments {
            spec = spec.segment(s);
        }
        for (k, v) in &self.query {
            spec = spec.query(k.clone(), v.clone());
        }
        if let Some(body) = &self.body {
            spec = spec.json_body(body.clone(), "application/json");
        }
        Ok(spec)
    }

    fn is_idempotent(&self) -> bool {
        self.idempotent
    }

    fn parse_answer(&self, response: HttpResponse, _cx: &AnswerContext<'_>) -> Detached<T> {
        Detached::Read((self.decode)(&response))
    }
}

#[derive(Deserialize)]
struct Envelope<T> {
    data: T,
}

/// `{data: T}`, after the body-`code` check.
pub(crate) fn decode_data<T: DeserializeOwned>(r: &HttpResponse) -> Result<T, Error> {
    // One pass for the usual answer: `data` read together with `code`; only an
    // error code sends it down the error path.
    #[derive(Deserialize)]
    struct WithCode<T> {
        data: T,
        #[serde(default)]
        code: Option<Value>,
    }
    if let Ok(answer) = serde_json::from_slice::<WithCode<T>>(r.body())
        && !answer.code.as_ref().is_some_and(is_error_code)
    {
        return Ok(answer.data);
    }
    check_body_code(r)?;
    let e: Envelope<T> = decode_json(r.status(), r.body())?;
    Ok(e.data)
}

#[derive(Deserialize)]
struct Id {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IdList {
    #[serde(default)]
    id_list: Vec<String>,
}

#[derive(Deserialize)]
struct Count {
    #[serde(default)]
    count: u64,
}

fn decode_id(r: &HttpResponse) -> Result<String, Error> {
    decode_data::<Id>(r).map(|d| d.id)
}

fn decode_ids(r: &HttpResponse) -> Result<Vec<String>, Error> {
    decode_data::<IdList>(r).map(|d| d.id_list)
}

fn decode_count(r: &HttpResponse) -> Result<u64, Error> {
    decode_data::<Count>(r).map(|d| d.count)
}

/// `get` answers `{data: record}`, or `{data: {record: …}}` on some routes (the JS
/// client unwraps `data.record` when present); no match is `null` or `{}`.
fn decode_record<T: DeserializeOwned>(r: &HttpResponse) -> Result<Option<T>, Error> {
    let data: Value = decode_data(r)?;
    let record = match data {
        Value::Object(mut map) if map.contains_key("record") && !map.contains_key("_id") => {
            map.remove("record").unwrap_or(Value::Null)
        }
        other => other,
    };
    match &record {
        Value::Null => return Ok(None),
        Value::Object(map) if map.is_empty() => return Ok(None),
        _ => {}
    }
    let bytes = crate::request::to_json(&record)?;
    Ok(Some(decode_json(r.status(), &bytes)?))
}

fn to_object<D: Serialize + ?Sized>(field: &'static str, data: &D) -> Result<Value, BuildError> {
    let v = serde_json::to_value(data).map_err(|e| BuildError::Serialize(e.to_string()))?;
    if v.is_object() {
        Ok(v)
    } else {
        Err(BuildError::InvalidInput {
            field,
            reason: "must serialize to a JSON object".into(),
        })
    }
}

fn record_id(id: &str) -> Result<String, BuildError> {
    if id.is_empty() {
        return Err(BuildError::InvalidInput {
            field: "recordId",
            reason: "must not be empty".into(),
        });
    }
    Ok(id.to_owned())
}

fn required_filter(operation: &'static str, filter: Filter) -> Result<Value, BuildError> {
    if filter.matches_everything() {
        return Err(BuildError::MissingFilter { operation });
    }
    Ok(json!({"where": filter.to_json()}))
}

impl Model {
    /// The model called `name` (checked with [`validate_model_name`](super::validate_model_name)).
    pub fn new(name: impl Into<String>) -> Result<Self, BuildError> {
        let name = name.into();
        validate_model_name(&name)?;
        Ok(Self {
            name,
            env: DataEnv::Prod,
        })
    }

    /// Uses `env`'s data (`prod` unless set).
    pub fn env(mut self, env: DataEnv) -> Self {
        self.env = env;
        self
    }

    /// The model name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The data environment.
    pub fn data_env(&self) -> DataEnv {
        self.env
    }

    fn segments(&self, tail: &[&str]) -> Vec<String> {
        let mut s = vec![
            "model".to_owned(),
            self.env.as_str().to_owned(),
            self.name.clone(),
        ];
        s.extend(tail.iter().map(|t| (*t).to_owned()));
        s
    }

    /// `GET /v1/model/{env}/{model}/{id}/get`: one record by id (`None` if there is
    /// none). From the HTTP API docs; the JS client has no by-id form.
    pub fn get_by_id<T: DeserializeOwned>(
        &self,
        id: &str,
    ) -> Result<ModelCall<Option<T>>, BuildError> {
        let id = record_id(id)?;
        ModelCall::new(
            Method::GET,
            self.segments(&[&id, "get"]),
            None,
            true,
            decode_record::<T>,
        )
    }

    /// `POST …/get {filter: {where}, select}`: the first record matching.
    pub fn get<T: DeserializeOwned>(
        &self,
        query: &Query,
    ) -> Result<ModelCall<Option<T>>, BuildError> {
        query.check()?;
        let body = json!({"filter": query.filter_json(), "select": query.select_json()});
        ModelCall::new(
            Method::POST,
            self.segments(&["get"]),
            Some(body),
            true,
            decode_record::<T>,
        )
    }

    /// `POST …/list`: a page of matching records (`total` with [`Query::with_count`]).
    pub fn list<T: DeserializeOwned>(
        &self,
        query: &Query,
    ) -> Result<ModelCall<Page<T>>, BuildError> {
        query.check()?;
        let mut body = json!({"filter": query.filter_json(), "select": query.select_json()});
        if let Some(map) = body.as_object_mut() {
            if !query.order_by.is_empty() {
                let order: Vec<Value> = query
                    .order_by
                    .iter()
                    .map(|(f, s)| json!({ f: s.as_str() }))
                    .collect();
                map.insert("orderBy".into(), Value::Array(order));
            }
            if let Some(size) = query.page_size {
                map.insert("pageSize".into(), size.into());
            }
            if let Some(number) = query.page_number {
                map.insert("pageNumber".into(), number.into());
            }
            if query.get_count {
                map.insert("getCount".into(), true.into());
            }
        }
        ModelCall::new(
            Method::POST,
            self.segments(&["list"]),
            Some(body),
            true,
            decode_data::<Page<T>>,
        )
    }

    /// `GET …/list?pageSize=&pageNumber=&getCount=`: the query-only list of the HTTP
    /// API docs and Flutter. It takes only `query`'s paging and count (page 1 of 10
    /// unless set); a filter, selection or sort is refused, since this form cannot
    /// send them ([`Model::list`] can).
    pub fn list_simple<T: DeserializeOwned>(
        &self,
        query: &Query,
    ) -> Result<ModelCall<Page<T>>, BuildError> {
        if query.filter.is_some()
            || query.relate_where.is_some()
            || query.select.is_some()
            || !query.order_by.is_empty()
        {
            return Err(BuildError::InvalidInput {
                field: "query",
                reason: "list_simple sends only paging and the count; use list for filters, selections and sorting".into(),
            });
        }
        query.check()?;
        let page_number = query.page_number.unwrap_or(1);
        let page_size = query.page_size.unwrap_or(10);
        let get_count = query.get_count;
        Ok(ModelCall::new(
            Method::GET,
            self.segments(&["list"]),
            None,
            true,
            decode_data::<Page<T>>,
        )?
        .query("pageSize", page_size.to_string())
        .query("pageNumber", page_number.to_string())
        .query("getCount", get_count.to_string()))
    }

    /// `POST …/create {data}`: creates a record, returns its id.
    pub fn create<D: Serialize + ?Sized>(&self, data: &D) -> Result<ModelCall<String>, BuildError> {
        let data = to_object("data", data)?;
        ModelCall::new(
            Method::POST,
            self.segments(&["create"]),
            Some(json!({ "data": data })),
            false,
            decode_id,
        )
    }

    /// `POST …/createMany {data: [...]}`: creates records, returns their ids.
    pub fn create_many<D: Serialize>(
        &self,
        records: &[D],
    ) -> Result<ModelCall<Vec<String>>, BuildError> {
        if records.is_empty() {
            return Err(BuildError::InvalidInput {
                field: "data",
                reason: "no records to create".into(),
            });
        }
        let data = records
            .iter()
            .map(|r| to_object("data", r))
            .collect::<Result<Vec<_>, _>>()?;
        ModelCall::new(
            Method::POST,
            self.segments(&["createMany"]),
            Some(json!({ "data": data })),
            false,
            decode_ids,
        )
    }

    /// `PUT …/update {filter: {where}, data}`: changes one matching record; returns
    /// how many changed. A filter matching everything is refused unsent.
    pub fn update<D: Serialize + ?Sized>(
        &self,
        filter: Filter,
        data: &D,
    ) -> Result<ModelCall<u64>, BuildError> {
        let body =
            json!({"filter": required_filter("update", filter)?, "data": to_object("data", data)?});
        ModelCall::new(
            Method::PUT,
            self.segments(&["update"]),
            Some(body),
            true,
            decode_count,
        )
    }

    /// `PUT …/updateMany {filter: {where}, data}`: changes every matching record. A
    /// filter matching everything is refused unsent.
    pub fn update_many<D: Serialize + ?Sized>(
        &self,
        filter: Filter,
        data: &D,
    ) -> Result<ModelCall<UpdateManyOutcome>, BuildError> {
        let body = json!({"filter": required_filter("update_many", filter)?, "data": to_object("data", data)?});
        ModelCall::new(
            Method::PUT,
            self.segments(&["updateMany"]),
            Some(body),
            true,
            decode_data::<UpdateManyOutcome>,
        )
    }

    /// `POST …/upsert {filter: {where}, create, update}`: updates the matching
    /// record, or creates `create` when none matches.
    pub fn upsert<C: Serialize + ?Sized, U: Serialize + ?Sized>(
        &self,
        filter: Filter,
        create: &C,
        update: &U,
    ) -> Result<ModelCall<UpsertOutcome>, BuildError> {
        let body = json!({
            "filter": required_filter("upsert", filter)?,
            "create": to_object("create", create)?,
            "update": to_object("update", update)?,
        });
        ModelCall::new(
            Method::POST,
            self.segments(&["upsert"]),
            Some(body),
            false,
            decode_data::<UpsertOutcome>,
        )
    }

    /// `DELETE …/{id}/delete`: deletes one record by id; returns how many went.
    pub fn delete_by_id(&self, id: &str) -> Result<ModelCall<u64>, BuildError> {
        let id = record_id(id)?;
        ModelCall::new(
            Method::DELETE,
            self.segments(&[&id, "delete"]),
            None,
            true,
            decode_count,
        )
    }

    /// `POST …/delete {filter: {where}}` (the JS client's `delete`): deletes one
    /// matching record. A filter matching everything is refused unsent.
    pub fn delete_record(&self, filter: Filter) -> Result<ModelCall<u64>, BuildError> {
        let body = json!({"filter": required_filter("delete_record", filter)?});
        ModelCall::new(
            Method::POST,
            self.segments(&["delete"]),
            Some(body),
            true,
            decode_count,
        )
    }

    /// `POST …/deleteMany {filter: {where}}`: deletes every matching record. A filter
    /// matching everything is refused unsent.
    pub fn delete_many(&self, filter: Filter) -> Result<ModelCall<u64>, BuildError> {
        let body = json!({"filter": required_filter("delete_many", filter)?});
        ModelCall::new(
            Method::POST,
            self.segments(&["deleteMany"]),
            Some(body),
            true,
            decode_count,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{Sort, field};

    fn built<T>(call: &ModelCall<T>) -> (Method, String, Value) {
        let req = crate::request::request_for_test(call);
        let body = serde_json::from_slice(req.body()).unwrap_or(Value::Null);
        let path = req
            .uri()
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default();
        (req.method().clone(), path, body)
    }

    #[test]
    fn requests_match_the_js_transcript() {
        let todo = Model::new("todo").expect("name");
        let (m, p, b) = built(
            &todo
                .get::<Value>(&Query::new().filter(field("_id").eq("r1")))
                .expect("ok"),
        );
        assert_eq!((m, p.as_str()), (Method::POST, "/v1/model/prod/todo/get"));
        assert_eq!(
            b,
            json!({"filter": {"where": {"_id": {"$eq": "r1"}}}, "select": {"$master": true}})
        );

        let (_, _, b) = built(&todo.list::<Value>(&Query::new()).expect("ok"));
        assert_eq!(
            b,
            json!({"filter": {"where": {}}, "select": {"$master": true}})
        );

        let q = Query::new()
            .filter(
                field("priority")
                    .gt(1)
                    .and(field("title").is_in(["a", "b"])),
            )
            .order_by("createdAt", Sort::Desc)
            .page(2, 20);
        let (_, _, b) = built(&todo.list::<Value>(&q).expect("ok"));
        assert_eq!(
            b,
            json!({"filter": {"where": {"$and": [{"priority": {"$gt": 1}}, {"title": {"$in": ["a", "b"]}}]}},
                   "select": {"$master": true}, "orderBy": [{"createdAt": "desc"}], "pageSize": 20, "pageNumber": 2})
        );

        let (m, p, b) = built(
            &todo
                .update(field("_id").eq("r1"), &json!({"done": true}))
                .expect("ok"),
        );
        assert_eq!((m, p.as_str()), (Method::PUT, "/v1/model/prod/todo/update"));
        assert_eq!(
            b,
            json!({"data": {"done": true}, "filter": {"where": {"_id": {"$eq": "r1"}}}})
        );

        let (m, p, _) = built(
            &todo
                .clone()
                .env(DataEnv::Pre)
                .delete_by_id("r/1")
                .expect("ok"),
        );
        assert_eq!(
            (m, p.as_str()),
            (Method::DELETE, "/v1/model/pre/todo/r%2F1/delete")
        );

        assert!(
            todo.list_simple::<Value>(&Query::new().filter(field("done").eq(true)))
                .is_err(),
            "list_simple cannot send a filter"
        );
        let (m, p, _) = built(
            &todo
                .list_simple::<Value>(&Query::new().page(1, 10).with_count())
                .expect("ok"),
        );
        assert_eq!(
            (m, p.as_str()),
            (
                Method::GET,
                "/v1/model/prod/todo/list?pageSize=10&pageNumber=1&getCount=true"
            )
        );
    }

    #[test]
    fn bad_input_is_refused_before_sending() {
        assert!(Model::new("").is_err());
        assert!(Model::new("a/b").is_err());
        let todo = Model::new("todo").expect("name");
        assert!(todo.list::<Value>(&Query::new().page(1, 201)).is_err());
        assert!(todo.list::<Value>(&Query::new().page(1, 0)).is_err());
        let four = Query::new()
            .order_by("a", Sort::Asc)
            .order_by("b", Sort::Asc)
            .order_by("c", Sort::Asc)
            .order_by("d", Sort::Asc);
        assert!(todo.list::<Value>(&four).is_err());
        assert_eq!(
            todo.update_many(Filter::all(), &json!({"a": 1})).err(),
            Some(BuildError::MissingFilter {
                operation: "update_many"
            })
        );
        assert!(todo.delete_many(Filter::raw(json!({}))).is_err());
        assert!(todo.create(&json!([1])).is_err());
        assert!(todo.get_by_id::<Value>("").is_err());
        assert!(todo.create_many::<Value>(&[]).is_err());
    }

    fn resp(body: &str) -> HttpResponse {
        http::Response::new(body.as_bytes().to_vec())
    }

    #[test]
    fn answers_decode_into_caller_types() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct Todo {
            title: String,
        }
        let page: Page<Todo> = decode_data(&resp(
            r#"{"data":{"records":[{"title":"a"}],"total":7},"requestId":"x"}"#,
        ))
        .expect("ok");
        assert_eq!(page.records, vec![Todo { title: "a".into() }]);
        assert_eq!(page.total, Some(7));
        assert_eq!(
            decode_record::<Todo>(&resp(r#"{"data":{"record":{"title":"b"}}}"#)).expect("ok"),
            Some(Todo { title: "b".into() })
        );
        assert_eq!(
            decode_record::<Todo>(&resp(r#"{"data":{"_id":"1","title":"c"}}"#)).expect("ok"),
            Some(Todo { title: "c".into() })
        );
        assert_eq!(
            decode_record::<Todo>(&resp(r#"{"data":{}}"#)).expect("ok"),
            None
        );
        assert_eq!(
            decode_record::<Todo>(&resp(r#"{"data":null}"#)).expect("ok"),
            None
        );
        assert!(decode_count(&resp(r#"{"code":"INVALID_PARAM","message":"bad"}"#)).is_err());
        assert!(matches!(
            decode_record::<Todo>(&resp(r#"{"data":{"title":3}}"#)),
            Err(Error::Decode(_))
        ));
    }
}
