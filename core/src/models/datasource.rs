//! Data-source (schema) queries under `/v1/model/datasource/prod/` (docs/protocol/models.md §4).

use std::marker::PhantomData;

use http::Method;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{BuildError, Error};
use crate::operation::{AnswerContext, Detached, OneShot, RequestContext};
use crate::request::{Access, Api, HttpResponse, RequestSpec};
use crate::response::{check_body_code, decode_json};

/// Which data source: by id or by name (the detail calls need one of the two).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataSourceRef {
    /// `datasourceId`.
    Id(String),
    /// `dataSourceName`.
    Name(String),
}

/// One data-source query. The answer's `data` (PascalCase records, as the service
/// sends them) is decoded as `T`, `serde_json::Value` unless
/// [`DataSourceCall::typed`] says otherwise. Required parameters are constructor
/// arguments and are checked before anything is sent; the optional ones of the
/// reference go through [`DataSourceCall::param`] / [`DataSourceCall::param_list`].
///
/// Array parameters are sent as repeated keys (`tableNames=a&tableNames=b`, the
/// OpenAPI default): the reference does not confirm the form.
///
/// ```
/// use cloudbase_core::models::{DataSourceCall, DataSourceRef};
/// let list = DataSourceCall::aggregate_list(20).param("queryAll", "1");
/// let detail = DataSourceCall::aggregate_detail(DataSourceRef::Name("todo".into()));
/// let tables = DataSourceCall::by_table_names(["todo"]);
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct DataSourceCall<T = Value> {
    method: Method,
    endpoint: &'static str,
    query: Vec<(String, String)>,
    body: Option<Map<String, Value>>,
    default_env_id: bool,
    problem: Option<BuildError>,
    _out: PhantomData<fn() -> T>,
}

fn invalid(field: &'static str, reason: &str) -> Option<BuildError> {
    Some(BuildError::InvalidInput {
        field,
        reason: reason.to_owned(),
    })
}

impl DataSourceCall<Value> {
    fn get(endpoint: &'static str) -> Self {
        Self {
            method: Method::GET,
            endpoint,
            query: Vec::new(),
            body: None,
            default_env_id: false,
            problem: None,
            _out: PhantomData,
        }
    }

    fn with_ref(mut self, source: DataSourceRef) -> Self {
        let (key, value) = match source {
            DataSourceRef::Id(id) => ("datasourceId", id),
            DataSourceRef::Name(name) => ("dataSourceName", name),
        };
        if value.is_empty() {
            self.problem = invalid(key, "a data source id or name is required");
        }
        self.param(key, value)
    }

    /// `GET aggregateDataSourceList?pageSize=&envId=…`: pages of data sources with
    /// their details. `envId` defaults to the client's environment (as Flutter does).
    pub fn aggregate_list(page_size: u32) -> Self {
        let mut call = Self::get("aggregateDataSourceList");
        if page_size == 0 {
            call.problem = invalid("pageSize", "must be at least 1");
        }
        call.default_env_id = true;
        call.param("pageSize", page_size.to_string())
    }

    /// `GET dataSourceAggregateDetail?datasourceId=|dataSourceName=`.
    pub fn aggregate_detail(source: DataSourceRef) -> Self {
        Self::get("dataSourceAggregateDetail").with_ref(source)
    }

    /// `GET basicDataSource?datasourceId=|dataSourceName=`.
    pub fn basic(source: DataSourceRef) -> Self {
        Self::get("basicDataSource").with_ref(source)
    }

    /// `GET dataSourceByTableName?tableNames=…`: which data sources use these tables.
    pub fn by_table_names<S: Into<String>>(names: impl IntoIterator<Item = S>) -> Self {
        let names: Vec<String> = names.into_iter().map(Into::into).collect();
        let mut call = Self::get("dataSourceByTableName");
        if names.is_empty() || names.iter().any(String::is_empty) {
            call.problem = invalid(
                "tableNames",
                "at least one non-empty table name is required",
            );
        }
        call.param_list("tableNames", names)
    }

    /// `GET schemaList?dataSourceNameList=…`: relations of these data sources.
    pub fn schema_list<S: Into<String>>(names: impl IntoIterator<Item = S>) -> Self {
        Self::get("schemaList").param_list("dataSourceNameList", names)
    }

    /// `GET tableName?dataSourceName=`: the tables behind a data source.
    pub fn table_name(data_source_name: impl Into<String>) -> Self {
        let name = data_source_name.into();
        let mut call = Self::get("tableName");
        if name.is_empty() {
            call.problem = invalid("dataSourceName", "is required");
        }
        call.param("dataSourceName", name)
    }

    /// `POST basicDataSourceList` with a PascalCase body: page `page_num` (from 1) of
    /// `page_size`; add `IdList`, `NameList`, `QueryAll`… with [`DataSourceCall::param`].
    pub fn basic_list(page_num: u32, page_size: u32) -> Self {
        let mut call = Self::get("basicDataSourceList");
        call.method = Method::POST;
        call.body = Some(Map::new());
        if page_num == 0 || page_size == 0 {
            call.problem = invalid("PageNum/PageSize", "must be at least 1");
        }
        call.param("PageNum", page_num).param("PageSize", page_size)
    }
}

impl<T> DataSourceCall<T> {
    /// An optional parameter: a query pair, or a body field for `basic_list`.
    pub fn param(mut self, key: &str, value: impl Into<Value>) -> Self {
        let value = value.into();
        match &mut self.body {
            Some(body) => {
                body.insert(key.to_owned(), value);
            }
            None => {
                let text = match value {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                self.query.push((key.to_owned(), text));
            }
        }
        self
    }

    /// An optional array parameter (repeated query keys, or a JSON array field).
    pub fn param_list<S: Into<String>>(
        mut self,
        key: &str,
        values: impl IntoIterator<Item = S>,
    ) -> Self {
        let values: Vec<String> = values.into_iter().map(Into::into).collect();
        match &mut self.body {
            Some(body) => {
                body.insert(key.to_owned(), Value::from(values));
            }
            None => self
                .query
                .extend(values.into_iter().map(|v| (key.to_owned(), v))),
        }
        self
    }

    /// Decodes `data` as `U`.
    pub fn typed<U>(self) -> DataSourceCall<U> {
        DataSourceCall {
            method: self.method,
            endpoint: self.endpoint,
            query: self.query,
            body: self.body,
            default_env_id: self.default_env_id,
            problem: self.problem,
            _out: PhantomData,
        }
    }
}

impl<T: DeserializeOwned> OneShot for DataSourceCall<T> {
    type Output = T;

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        if let Some(p) = &self.problem {
            return Err(p.clone().into());
        }
        let mut spec = RequestSpec::new(Api::Gateway, self.method.clone(), Access::Bearer)
            .path("model/datasource/prod")
            .path(self.endpoint);
        for (k, v) in &self.query {
            spec = spec.query(k.clone(), v.clone());
        }
        if self.default_env_id && !self.query.iter().any(|(k, _)| k == "envId") {
            spec = spec.query("envId", cx.config.env_id());
        }
        if let Some(body) = &self.body {
            let bytes = crate::request::to_json(body)?;
            spec = spec.json_body(bytes, "application/json");
        }
        Ok(spec)
    }

    fn is_idempotent(&self) -> bool {
        true
    }

    /// `{data, requestId}`; `tableName`'s fields may sit at the top level instead
    /// (the docs' schema, unconfirmed), so a body without `data` is read whole.
    fn parse_answer(&self, response: HttpResponse, _cx: &AnswerContext<'_>) -> Detached<T> {
        Detached::Read(read_data_or_whole(&response))
    }
}

/// `data` of the answer, or the whole body when it has no `data`.
fn read_data_or_whole<T: DeserializeOwned>(response: &HttpResponse) -> Result<T, Error> {
    check_body_code(response)?;
    let mut body: Value = decode_json(response.status(), response.body())?;
    let data = match body.as_object_mut().and_then(|o| o.remove("data")) {
        Some(d) => d,
        None => body,
    };
    let bytes = crate::request::to_json(&data)?;
    Ok(decode_json(response.status(), &bytes)?)
}
