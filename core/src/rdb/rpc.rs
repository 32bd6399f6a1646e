//! PostgreSQL functions over the REST API: `/v1/rdb/rest/rpc/{fn}` (docs/protocol/mysql.md; the JS
//! SDK's `rdb().rpc(fn, args, {get})`), arguments as a JSON body (POST) or as query
//! parameters (GET, arrays as `{a,b}`), the schema by `Content-Profile` (POST) or
//! `Accept-Profile` (GET), as PostgREST selects it.

use std::marker::PhantomData;

use http::Method;
use http::header::{HeaderName, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::validate_name;
use crate::error::{BuildError, Error};
use crate::operation::{AnswerContext, Detached, OneShot, RequestContext};
use crate::request::{Access, Api, HttpResponse, RequestSpec};
use crate::response::decode_json;

/// A call of the database function `function`; add arguments, then end with
/// [`Rpc::call`].
///
/// ```
/// use cloudbase_core::rdb::rpc;
/// let op = rpc("add_numbers").args(&serde_json::json!({"a": 1, "b": 2}))?.call::<i64>();
/// let read = rpc("list_courses").schema("school").get().call::<Vec<serde_json::Value>>();
/// # Ok::<(), cloudbase_core::BuildError>(())
/// ```
pub fn rpc(function: impl Into<String>) -> Rpc {
    Rpc {
        function: function.into(),
        args: Map::new(),
        schema: None,
        get: false,
    }
}

/// A database function call being built.
#[derive(Clone, Debug)]
#[must_use]
pub struct Rpc {
    function: String,
    args: Map<String, Value>,
    schema: Option<String>,
    get: bool,
}

impl Rpc {
    /// The named arguments: a value that serializes to a JSON object.
    pub fn args<T: Serialize + ?Sized>(mut self, args: &T) -> Result<Self, BuildError> {
        match serde_json::to_value(args).map_err(|e| BuildError::Serialize(e.to_string()))? {
            Value::Object(map) => {
                self.args = map;
                Ok(self)
            }
            Value::Null => Ok(self),
            _ => Err(BuildError::InvalidInput {
                field: "args",
                reason: "function arguments are named: pass a JSON object".into(),
            }),
        }
    }

    /// The schema the function is in (`Content-Profile` / `Accept-Profile`); default
    /// the service's.
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// Calls it with GET (a read-only function: safe to retry), the arguments as query
    /// parameters.
    pub fn get(mut self) -> Self {
        self.get = true;
        self
    }

    /// The call, its answer decoded as `T` (a scalar, an object or rows; an empty
    /// answer reads as `null`).
    pub fn call<T: DeserializeOwned>(self) -> RpcCall<T> {
        RpcCall {
            rpc: self,
            _output: PhantomData,
        }
    }
}

/// A database function call (an [`Operation`](crate::Operation)).
#[derive(Debug)]
#[must_use]
pub struct RpcCall<T> {
    rpc: Rpc,
    _output: PhantomData<fn() -> T>,
}

/// A GET argument as PostgREST reads it: text as is, arrays as `{a,b}`, others as JSON.
fn query_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(query_value).collect();
            format!("{{{}}}", inner.join(","))
        }
        other => other.to_string(),
    }
}

impl<T: DeserializeOwned> OneShot for RpcCall<T> {
    type Output = T;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        let r = &self.rpc;
        validate_name("function", &r.function)?;
        let method = if r.get { Method::GET } else { Method::POST };
        let mut spec = RequestSpec::new(Api::Gateway, method, Access::Bearer)
            .path("rdb/rest/rpc")
            .segment(&r.function);
        if let Some(schema) = &r.schema {
            validate_name("schema", schema)?;
            let name = if r.get {
                "accept-profile"
            } else {
                "content-profile"
            };
            let value = HeaderValue::from_str(schema)
                .map_err(|_| BuildError::InvalidHeader(name.to_owned()))?;
            spec = spec.header(HeaderName::from_static(name), value);
        }
        if r.get {
            for (k, v) in &r.args {
                spec = spec.query(k, query_value(v));
            }
            return Ok(spec.json_body(Vec::new(), "application/json"));
        }
        let body = crate::request::to_json(&r.args)?;
        Ok(spec.json_body(body, "application/json"))
    }

    fn is_idempotent(&self) -> bool {
        self.rpc.get
    }

    fn parse_answer(&self, response: HttpResponse, _: &AnswerContext<'_>) -> Detached<T> {
        // An empty answer (a void function) reads as `null`.
        let body = if response.body().iter().all(u8::is_ascii_whitespace) {
            &b"null"[..]
        } else {
            response.body()
        };
        Detached::Read(decode_json(response.status(), body).map_err(Error::from))
    }
}
