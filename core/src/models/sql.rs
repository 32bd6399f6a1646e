//! SQL templates (`POST /v1/sql/{env}/{name}/run`) and raw MySQL commands
//! (`POST /v1/model/plugin/prod/mysqlCommand`), docs/protocol/models.md §2–3.

use std::marker::PhantomData;

use http::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::{DataEnv, validate_identifier};
use crate::codes::GatewayErrorCode;
use crate::error::{BuildError, Error, ServerCode, ServerError};
use crate::operation::{AnswerContext, Detached, OneShot, RequestContext};
use crate::request::{Access, Api, HttpResponse, RequestSpec};
use crate::response::decode_json;

/// Named parameters for `{{ name }}` placeholders, sent as
/// `[{key, type, value}]`. The type is taken from the JSON value as the JS client
/// does: boolean `BOOLEAN`, number `NUMBER`, string `STRING`, array `ARRAY`, anything
/// else `OBJECT`; the value is the string itself for strings and the JSON text
/// otherwise (`5` → `"5"`).
///
/// ```
/// use cloudbase_core::models::SqlParams;
/// let p = SqlParams::new().param("limit", 10).param("title", "a");
/// assert_eq!(
///     p.to_json(),
///     serde_json::json!([{"key": "limit", "type": "NUMBER", "value": "10"},
///                        {"key": "title", "type": "STRING", "value": "a"}])
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[must_use]
pub struct SqlParams(Vec<(String, Value)>);

impl SqlParams {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `{{ key }}` = `value`.
    pub fn param(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.0.push((key.into(), value.into()));
        self
    }

    /// The `parameter` array as sent.
    pub fn to_json(&self) -> Value {
        Value::Array(
            self.0
                .iter()
                .map(|(key, v)| {
                    let (ty, text) = match v {
                        Value::Bool(b) => ("BOOLEAN", b.to_string()),
                        Value::Number(n) => ("NUMBER", n.to_string()),
                        Value::String(s) => ("STRING", s.clone()),
                        Value::Array(_) => ("ARRAY", v.to_string()),
                        Value::Object(_) | Value::Null => ("OBJECT", v.to_string()),
                    };
                    json!({"key": key, "type": ty, "value": text})
                })
                .collect(),
        )
    }

    fn check(&self) -> Result<(), BuildError> {
        match self.0.iter().find(|(k, _)| k.is_empty()) {
            Some(_) => Err(BuildError::InvalidInput {
                field: "parameter",
                reason: "a parameter has an empty key".into(),
            }),
            None => Ok(()),
        }
    }
}

/// Runs a SQL template made in the console: `POST /v1/sql/{env}/{name}/run` with
/// `{"parameter": [...]}`; the answer's `Response.Data` decoded as `T`
/// (`serde_json::Value` unless [`RunSqlTemplate::typed`] says otherwise). A
/// `Response.Error` is a server error with its `Code`.
///
/// ```
/// use cloudbase_core::models::{RunSqlTemplate, SqlParams};
/// let run = RunSqlTemplate::new("top_todos")?.params(SqlParams::new().param("limit", 10));
/// # Ok::<(), cloudbase_core::BuildError>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct RunSqlTemplate<T = Value> {
    name: String,
    env: DataEnv,
    params: SqlParams,
    _out: PhantomData<fn() -> T>,
}

impl RunSqlTemplate<Value> {
    /// The template called `name` (checked like a model name), untyped result.
    pub fn new(name: impl Into<String>) -> Result<Self, BuildError> {
        let name = name.into();
        validate_identifier("SQL template name", &name)?;
        Ok(Self {
            name,
            env: DataEnv::Prod,
            params: SqlParams::new(),
            _out: PhantomData,
        })
    }
}

impl<T> RunSqlTemplate<T> {
    /// The template's parameters.
    pub fn params(mut self, params: SqlParams) -> Self {
        self.params = params;
        self
    }

    /// Runs against `env`'s data (`prod` unless set).
    pub fn env(mut self, env: DataEnv) -> Self {
        self.env = env;
        self
    }

    /// Decodes `Response.Data` as `U`.
    pub fn typed<U>(self) -> RunSqlTemplate<U> {
        RunSqlTemplate {
            name: self.name,
            env: self.env,
            params: self.params,
            _out: PhantomData,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TcResponse<T> {
    response: TcInner<T>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TcInner<T> {
    data: Option<T>,
    request_id: Option<String>,
    error: Option<TcError>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TcError {
    code: String,
    #[serde(default)]
    message: String,
}

impl<T: DeserializeOwned> OneShot for RunSqlTemplate<T> {
    type Output = T;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        self.params.check()?;
        let body = serde_json::to_vec(&json!({"parameter": self.params.to_json()}))
            .map_err(|e| BuildError::Serialize(e.to_string()))?;
        Ok(RequestSpec::new(Api::Gateway, Method::POST, Access::Bearer)
            .path("sql")
            .segment(self.env.as_str())
            .segment(&self.name)
            .path("run")
            .json_body(body, "application/json"))
    }

    fn parse_answer(&self, response: HttpResponse, _cx: &AnswerContext<'_>) -> Detached<T> {
        Detached::Read(read_template_answer(&response))
    }
}

/// The template's `Response.Data` as `T`, or its `Response.Error`.
fn read_template_answer<T: DeserializeOwned>(response: &HttpResponse) -> Result<T, Error> {
    let status = response.status();
    let tc: TcResponse<Value> = decode_json(status, response.body())?;
    let inner = tc.response;
    if let Some(e) = inner.error {
        return Err(ServerError {
            status,
            code: ServerCode::Gateway(GatewayErrorCode::from(e.code.as_str())),
            message: e.message,
            request_id: inner.request_id,
            numeric_code: None,
            retry_after: None,
            postgrest: None,
        }
        .into());
    }
    let data = crate::request::to_json(&inner.data.unwrap_or(Value::Null))?;
    Ok(decode_json(status, &data)?)
}

/// What a raw MySQL command returns: the rows (for a query) decoded as `T`, the
/// row count and the backend's execution report.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct MysqlCommandResult<T> {
    /// The result rows.
    #[serde(default = "Vec::new")]
    pub execute_result_list: Vec<T>,
    /// Rows returned or affected.
    #[serde(default)]
    pub total: Option<u64>,
    /// The backend's execution report, as sent.
    #[serde(default)]
    pub backend_execute: Option<Value>,
}

/// Raw SQL with `{{ name }}` parameters, for admin identities only (API key or
/// admin token, not end users): `POST /v1/model/plugin/prod/mysqlCommand`
/// `{sqlTemplate, parameter?, config?}` (docs/protocol/models.md §3; the HTTP API, not in the JS
/// client). Flutter's positional `?` form is unconfirmed and not offered.
///
/// ```
/// use cloudbase_core::models::{MysqlCommand, SqlParams};
/// #[derive(serde::Deserialize)]
/// struct Row { id: i64 }
/// let cmd = MysqlCommand::new("SELECT id FROM course WHERE grade = {{ grade }}")?
///     .params(SqlParams::new().param("grade", 3))
///     .timeout_secs(10)
///     .typed::<Row>();
/// # Ok::<(), cloudbase_core::BuildError>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct MysqlCommand<T = Value> {
    sql: String,
    params: SqlParams,
    timeout: Option<u32>,
    prepared: Option<bool>,
    db_link_name: Option<String>,
    _out: PhantomData<fn() -> T>,
}

/// Longest `config.timeout` the service accepts, in seconds.
pub const MAX_SQL_TIMEOUT_SECS: u32 = 30;

impl MysqlCommand<Value> {
    /// A command; `sql` must not be empty.
    pub fn new(sql: impl Into<String>) -> Result<Self, BuildError> {
        let sql = sql.into();
        if sql.trim().is_empty() {
            return Err(BuildError::InvalidInput {
                field: "sqlTemplate",
                reason: "must not be empty".into(),
            });
        }
        Ok(Self {
            sql,
            params: SqlParams::new(),
            timeout: None,
            prepared: None,
            db_link_name: None,
            _out: PhantomData,
        })
    }
}

impl<T> MysqlCommand<T> {
    /// The `{{ name }}` parameters.
    pub fn params(mut self, params: SqlParams) -> Self {
        self.params = params;
        self
    }

    /// `config.timeout` in seconds (1 to 30; the service's default is 5).
    pub fn timeout_secs(mut self, secs: u32) -> Self {
        self.timeout = Some(secs);
        self
    }

    /// `config.preparedStatements`.
    pub fn prepared_statements(mut self, yes: bool) -> Self {
        self.prepared = Some(yes);
        self
    }

    /// `config.dbLinkName`: an external database connection.
    pub fn db_link_name(mut self, name: impl Into<String>) -> Self {
        self.db_link_name = Some(name.into());
        self
    }

    /// Decodes each result row as `U`.
    pub fn typed<U>(self) -> MysqlCommand<U> {
        MysqlCommand {
            sql: self.sql,
            params: self.params,
            timeout: self.timeout,
            prepared: self.prepared,
            db_link_name: self.db_link_name,
            _out: PhantomData,
        }
    }
}

impl<T: DeserializeOwned> OneShot for MysqlCommand<T> {
    type Output = MysqlCommandResult<T>;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        self.params.check()?;
        let mut body = json!({"sqlTemplate": self.sql});
        if !self.params.0.is_empty() {
            body["parameter"] = self.params.to_json();
        }
        let mut config = serde_json::Map::new();
        if let Some(t) = self.timeout {
            if !(1..=MAX_SQL_TIMEOUT_SECS).contains(&t) {
                return Err(BuildError::InvalidInput {
                    field: "config.timeout",
                    reason: format!("{t} s is outside 1..={MAX_SQL_TIMEOUT_SECS}"),
                }
                .into());
            }
            config.insert("timeout".into(), t.into());
        }
        if let Some(p) = self.prepared {
            config.insert("preparedStatements".into(), p.into());
        }
        if let Some(l) = &self.db_link_name {
            config.insert("dbLinkName".into(), l.clone().into());
        }
        if !config.is_empty() {
            body["config"] = Value::Object(config);
        }
        let body = crate::request::to_json(&body)?;
        Ok(RequestSpec::new(Api::Gateway, Method::POST, Access::Bearer)
            .path("model/plugin/prod/mysqlCommand")
            .json_body(body, "application/json"))
    }

    fn parse_answer(
        &self,
        response: HttpResponse,
        _cx: &AnswerContext<'_>,
    ) -> Detached<MysqlCommandResult<T>> {
        Detached::Read(super::ops::decode_data(&response))
    }
}
