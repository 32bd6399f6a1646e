//! MySQL (and CloudBase PostgreSQL) over the PostgREST-style REST API,
//! `/v1/rdb/rest/...` — mysql.md.
//!
//! Build a [`Query`] with [`from`], add filters, then end it with the call you want:
//! [`Query::fetch`], [`Query::fetch_counted`], [`Query::single`],
//! [`Query::maybe_single`], [`Query::count`], [`Query::insert`], [`Query::upsert`],
//! [`Query::update`] or [`Query::delete`]. Builder methods never fail; a bad name or
//! value is reported when the call is built, and nothing is sent.
//!
//! ```
//! use cloudbase_core::rdb::{from, Direction};
//!
//! #[derive(serde::Deserialize)]
//! struct Course { id: i64, name: String }
//!
//! let q = from("course").select("id,name").gte("grade", 3).like("name", "%math%")
//!     .order("name", Direction::Asc).limit(10).fetch::<Course>();
//! let n = from("course").eq("grade", 3).count();
//! let add = from("course").insert(&serde_json::json!({"id": 9, "name": "art"}));
//! let fix = from("course").eq("id", 9).update(&serde_json::json!({"name": "history"}));
//! ```
//!
//! **Encoding.** A value after `op.` is taken verbatim by PostgREST, so it is sent
//! as is and percent-encoded as a query value: nothing in it (`,` `)` `&id=gt.0` `%`
//! quotes, newlines, emoji) can add a parameter or a filter. Inside `in.(…)`,
//! `or=(…)` and `and=(…)` values are double-quoted (with `\"` and `\\` escapes)
//! whenever they contain a reserved character, whitespace or non-ASCII. The JS SDK
//! quotes only `,()` in `in` lists and nothing in `or` trees (so `or` values with a
//! comma break the query there); this SDK quotes consistently. `in` is sent in the
//! PostgREST form `in.(…)`, which the JS SDK sends; the CloudBase docs show
//! `in.[…]`, which servers are said to accept too (unconfirmed).

mod encode;
mod rpc;

use http::header::{ACCEPT, HeaderName, HeaderValue};
use http::{Method, StatusCode};
pub use rpc::{Rpc, RpcCall, rpc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use encode::{RESERVED_PARAMS, quote_in_list, validate_name};

use crate::codes::GatewayErrorCode;
use crate::error::{BuildError, Error, ServerCode, ServerError};
use crate::operation::{OneShot, RequestContext, ResponseContext};
use crate::request::{Access, Api, HttpResponse, RequestSpec};
use crate::response::decode_json;

/// The single-object media type (`single()`): the server answers one object, or an
/// error when the query matched zero or several rows.
pub const OBJECT_MEDIA_TYPE: &str = "application/vnd.pgrst.object+json";

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op {
    /// `eq`
    Eq,
    /// `neq`
    Neq,
    /// `gt`
    Gt,
    /// `gte`
    Gte,
    /// `lt`
    Lt,
    /// `lte`
    Lte,
    /// `like` (`%` and `*` are wildcards)
    Like,
    /// `ilike` (case-insensitive `like`)
    Ilike,
    /// `match` (regular expression; MySQL `REGEXP`)
    Match,
}

impl Op {
    /// The operator as sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Neq => "neq",
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::Like => "like",
            Op::Ilike => "ilike",
            Op::Match => "match",
        }
    }

    /// Every operator, for parsers and tests.
    pub const ALL: [Op; 9] = [
        Op::Eq,
        Op::Neq,
        Op::Gt,
        Op::Gte,
        Op::Lt,
        Op::Lte,
        Op::Like,
        Op::Ilike,
        Op::Match,
    ];
}

/// The operand of `is`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IsValue {
    /// `is.null`
    Null,
    /// `is.true`
    True,
    /// `is.false`
    False,
    /// `is.unknown`
    Unknown,
}

impl IsValue {
    /// The operand as sent.
    pub fn as_str(self) -> &'static str {
        match self {
            IsValue::Null => "null",
            IsValue::True => "true",
            IsValue::False => "false",
            IsValue::Unknown => "unknown",
        }
    }
}

/// One filter: a condition on a column, or an `or`/`and` group. `negated` is the
/// PostgREST `not.` prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter {
    /// `column=[not.]op.value`
    Cmp {
        /// The column.
        column: String,
        /// `not.`
        negated: bool,
        /// The operator.
        op: Op,
        /// The value, verbatim.
        value: String,
    },
    /// `column=[not.]in.(v1,v2,…)`
    In {
        /// The column.
        column: String,
        /// `not.`
        negated: bool,
        /// The values.
        values: Vec<String>,
    },
    /// `column=[not.]is.null|true|false|unknown`
    Is {
        /// The column.
        column: String,
        /// `not.`
        negated: bool,
        /// The operand.
        value: IsValue,
    },
    /// `[not.]or=(…)` / `[not.]and=(…)`, or nested `or(…)`/`and(…)` inside a group.
    Group {
        /// `or` (true) or `and` (false).
        any: bool,
        /// `not.`
        negated: bool,
        /// The members.
        parts: Vec<Filter>,
    },
    /// `column=<expression>` exactly as given (Flutter-style filter maps such as
    /// `{"age": "gt.18"}`, and operators this builder does not name).
    Raw {
        /// The column.
        column: String,
        /// The `op.value` expression.
        expression: String,
    },
}

impl Filter {
    /// `column.op.value` (a condition's parts). Conditions on a column.
    pub fn cmp(column: impl Into<String>, op: Op, value: impl std::fmt::Display) -> Self {
        Filter::Cmp {
            column: column.into(),
            negated: false,
            op,
            value: value.to_string(),
        }
    }

    /// The same filter with `not.` toggled (also `!filter`).
    pub fn negate(self) -> Self {
        match self {
            Filter::Cmp {
                column,
                negated,
                op,
                value,
            } => Filter::Cmp {
                column,
                negated: !negated,
                op,
                value,
            },
            Filter::In {
                column,
                negated,
                values,
            } => Filter::In {
                column,
                negated: !negated,
                values,
            },
            Filter::Is {
                column,
                negated,
                value,
            } => Filter::Is {
                column,
                negated: !negated,
                value,
            },
            Filter::Group {
                any,
                negated,
                parts,
            } => Filter::Group {
                any,
                negated: !negated,
                parts,
            },
            Filter::Raw { column, expression } => Filter::Raw {
                column,
                expression: format!("not.{expression}"),
            },
        }
    }

    fn check(&self) -> Result<(), BuildError> {
        match self {
            Filter::Cmp { column, .. }
            | Filter::In { column, .. }
            | Filter::Is { column, .. }
            | Filter::Raw { column, .. } => {
                validate_name("column", column)?;
                if RESERVED_PARAMS.contains(&column.as_str()) {
                    return Err(BuildError::InvalidName {
                        what: "column",
                        value: column.clone(),
                        rule: "is a reserved PostgREST parameter name and cannot be filtered on",
                    });
                }
                if let Filter::Raw { expression, .. } = self
                    && expression.is_empty()
                {
                    return Err(BuildError::InvalidInput {
                        field: "filter",
                        reason: format!("empty expression for column {column:?}"),
                    });
                }
                Ok(())
            }
            Filter::Group { parts, .. } => {
                if parts.is_empty() {
                    return Err(BuildError::InvalidInput {
                        field: "filter",
                        reason: "an or/and group needs at least one member".into(),
                    });
                }
                if parts.iter().any(|p| matches!(p, Filter::Raw { .. })) {
                    return Err(BuildError::InvalidInput {
                        field: "filter",
                        reason: "raw expressions cannot be nested in an or/and group".into(),
                    });
                }
                parts.iter().try_for_each(Filter::check)
            }
        }
    }

    /// The query pair for a top-level filter.
    pub fn to_query_pair(&self) -> (String, String) {
        let not = |n: bool| if n { "not." } else { "" };
        match self {
            Filter::Cmp {
                column,
                negated,
                op,
                value,
            } => (
                column.clone(),
                format!("{}{}.{value}", not(*negated), op.as_str()),
            ),
            Filter::In {
                column,
                negated,
                values,
            } => (
                column.clone(),
                format!("{}in.({})", not(*negated), in_list(values)),
            ),
            Filter::Is {
                column,
                negated,
                value,
            } => (
                column.clone(),
                format!("{}is.{}", not(*negated), value.as_str()),
            ),
            Filter::Group {
                any,
                negated,
                parts,
            } => (
                format!("{}{}", not(*negated), if *any { "or" } else { "and" }),
                format!("({})", group_members(parts)),
            ),
            Filter::Raw { column, expression } => (column.clone(), expression.clone()),
        }
    }

    /// The member form inside a group: `column.op.value`, `or(…)`.
    fn to_member(&self) -> String {
        let not = |n: bool| if n { "not." } else { "" };
        match self {
            Filter::Cmp {
                column,
                negated,
                op,
                value,
            } => format!(
                "{column}.{}{}.{}",
                not(*negated),
                op.as_str(),
                quote_in_list(value)
            ),
            Filter::In {
                column,
                negated,
                values,
            } => format!("{column}.{}in.({})", not(*negated), in_list(values)),
            Filter::Is {
                column,
                negated,
                value,
            } => format!("{column}.{}is.{}", not(*negated), value.as_str()),
            Filter::Group {
                any,
                negated,
                parts,
            } => format!(
                "{}{}({})",
                not(*negated),
                if *any { "or" } else { "and" },
                group_members(parts)
            ),
            Filter::Raw { column, expression } => format!("{column}.{expression}"),
        }
    }
}

impl std::ops::Not for Filter {
    type Output = Filter;

    fn not(self) -> Filter {
        self.negate()
    }
}

fn in_list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| quote_in_list(v))
        .collect::<Vec<_>>()
        .join(",")
}

fn group_members(parts: &[Filter]) -> String {
    parts
        .iter()
        .map(Filter::to_member)
        .collect::<Vec<_>>()
        .join(",")
}

/// Sort direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `asc`
    Asc,
    /// `desc`
    Desc,
}

/// Where nulls sort.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nulls {
    /// `nullsfirst`
    First,
    /// `nullslast`
    Last,
}

/// What an upsert does with a row whose key exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// `resolution=merge-duplicates`: update the existing row.
    MergeDuplicates,
    /// `resolution=ignore-duplicates`: keep the existing row.
    IgnoreDuplicates,
}

/// A query on one table; see the [module docs](self).
#[derive(Clone, Debug)]
#[must_use]
pub struct Query {
    table: String,
    schema: Option<String>,
    instance: Option<String>,
    select: Option<String>,
    filters: Vec<Filter>,
    order: Vec<String>,
    limit: Option<u64>,
    offset: Option<u64>,
    problem: Option<BuildError>,
}

/// Starts a query on `table` (in the environment's default database unless
/// [`Query::schema`] says otherwise).
pub fn from(table: impl Into<String>) -> Query {
    Query {
        table: table.into(),
        schema: None,
        instance: None,
        select: None,
        filters: Vec::new(),
        order: Vec::new(),
        limit: None,
        offset: None,
        problem: None,
    }
}

/// Strips whitespace outside double quotes, as the JS SDK does with `select`.
fn clean_columns(columns: &str) -> String {
    let mut quoted = false;
    columns
        .chars()
        .filter(|c| {
            if *c == '"' {
                quoted = !quoted;
            }
            quoted || !c.is_whitespace()
        })
        .collect()
}

macro_rules! cmp_methods {
    ($($(#[$doc:meta])* $name:ident => $op:ident),* $(,)?) => {
        impl Query {
            $($(#[$doc])* pub fn $name(self, column: impl Into<String>, value: impl std::fmt::Display) -> Self {
                self.filter(Filter::cmp(column, Op::$op, value))
            })*
        }
    };
}

cmp_methods! {
    /// `column=eq.value`
    eq => Eq,
    /// `column=neq.value`
    neq => Neq,
    /// `column=gt.value`
    gt => Gt,
    /// `column=gte.value`
    gte => Gte,
    /// `column=lt.value`
    lt => Lt,
    /// `column=lte.value`
    lte => Lte,
    /// `column=like.pattern` (`%` or `*` match any run of characters)
    like => Like,
    /// `column=ilike.pattern` (case-insensitive)
    ilike => Ilike,
    /// `column=match.regex` (MySQL `REGEXP`)
    match_regex => Match,
}

impl Query {
    /// The database (schema) the table is in: `/v1/rdb/rest/{schema}/{table}`.
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// The database instance: `/v1/rdb/rest/{instance}/{schema}/{table}` (needs
    /// [`Query::schema`]).
    pub fn instance(mut self, instance: impl Into<String>) -> Self {
        self.instance = Some(instance.into());
        self
    }

    /// The columns to return (`select=`; `*` unless set), e.g. `"id,name"` or with
    /// embedded tables `"name,class_id(grade)"`. Whitespace outside double quotes is
    /// dropped.
    pub fn select(mut self, columns: &str) -> Self {
        self.select = Some(clean_columns(columns));
        self
    }

    /// Adds a filter (several filters all have to match).
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filters.push(filter);
        self
    }

    /// `column=in.(v1,v2,…)`
    pub fn in_list<V: std::fmt::Display>(
        self,
        column: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        self.filter(Filter::In {
            column: column.into(),
            negated: false,
            values: values.into_iter().map(|v| v.to_string()).collect(),
        })
    }

    /// `column=is.null|true|false|unknown`
    pub fn is(self, column: impl Into<String>, value: IsValue) -> Self {
        self.filter(Filter::Is {
            column: column.into(),
            negated: false,
            value,
        })
    }

    /// `column=not.op.value`
    pub fn not(self, column: impl Into<String>, op: Op, value: impl std::fmt::Display) -> Self {
        self.filter(Filter::cmp(column, op, value).negate())
    }

    /// `or=(…)`: any of `filters` matches.
    pub fn or(self, filters: impl IntoIterator<Item = Filter>) -> Self {
        self.filter(Filter::Group {
            any: true,
            negated: false,
            parts: filters.into_iter().collect(),
        })
    }

    /// `and=(…)`: all of `filters` match (useful nested inside an `or`).
    pub fn and(self, filters: impl IntoIterator<Item = Filter>) -> Self {
        self.filter(Filter::Group {
            any: false,
            negated: false,
            parts: filters.into_iter().collect(),
        })
    }

    /// `column=eq.value` for each pair (the JS SDK's `match`).
    pub fn match_all<K: Into<String>, V: std::fmt::Display>(
        mut self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        for (k, v) in pairs {
            self = self.eq(k, v);
        }
        self
    }

    /// `column=expression` exactly as given, e.g. Flutter's `{"age": "gt.18"}`. The
    /// expression is percent-encoded as one value, so it cannot add parameters.
    pub fn filter_raw(self, column: impl Into<String>, expression: impl Into<String>) -> Self {
        self.filter(Filter::Raw {
            column: column.into(),
            expression: expression.into(),
        })
    }

    /// Sorts by `column` (several calls sort by several columns).
    pub fn order(self, column: impl Into<String>, direction: Direction) -> Self {
        self.order_with_nulls(column, direction, None)
    }

    /// Sorts by `column`, with nulls first or last.
    pub fn order_with_nulls(
        mut self,
        column: impl Into<String>,
        direction: Direction,
        nulls: Option<Nulls>,
    ) -> Self {
        let column = column.into();
        if let Err(e) = validate_name("column", &column) {
            self.problem.get_or_insert(e);
        }
        let mut term = format!(
            "{column}.{}",
            match direction {
                Direction::Asc => "asc",
                Direction::Desc => "desc",
            }
        );
        match nulls {
            Some(Nulls::First) => term.push_str(".nullsfirst"),
            Some(Nulls::Last) => term.push_str(".nullslast"),
            None => {}
        }
        self.order.push(term);
        self
    }

    /// At most `n` rows.
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    /// Skips `n` rows.
    pub fn offset(mut self, n: u64) -> Self {
        self.offset = Some(n);
        self
    }

    /// Rows `from` to `to`, inclusive, counting from 0 (`offset=from&limit=to-from+1`).
    pub fn range(mut self, from: u64, to: u64) -> Self {
        if to < from {
            self.problem.get_or_insert(BuildError::InvalidInput {
                field: "range",
                reason: format!("end {to} is before start {from}"),
            });
        }
        self.offset = Some(from);
        self.limit = Some(to.saturating_sub(from).saturating_add(1));
        self
    }

    /// The filters so far.
    pub fn filters(&self) -> &[Filter] {
        &self.filters
    }

    fn check(&self) -> Result<(), BuildError> {
        if let Some(p) = &self.problem {
            return Err(p.clone());
        }
        validate_name("table", &self.table)?;
        if let Some(s) = &self.schema {
            validate_name("schema", s)?;
        }
        if let Some(i) = &self.instance {
            validate_name("instance", i)?;
            if self.schema.is_none() {
                return Err(BuildError::InvalidInput {
                    field: "instance",
                    reason: "an instance needs a schema (database) too".into(),
                });
            }
        }
        self.filters.iter().try_for_each(Filter::check)
    }

    fn call<O>(self, method: Method, decode: fn(&HttpResponse) -> Result<O, Error>) -> RdbCall<O> {
        RdbCall {
            query: self,
            method,
            accept: None,
            prefer: Vec::new(),
            body: None,
            extra_query: Vec::new(),
            needs_filter: None,
            idempotent: true,
            decode,
        }
    }

    fn read<O>(
        mut self,
        method: Method,
        decode: fn(&HttpResponse) -> Result<O, Error>,
    ) -> RdbCall<O> {
        if self.select.is_none() {
            self.select = Some("*".into());
        }
        self.call(method, decode)
    }

    /// `GET`: the matching rows as `T`.
    pub fn fetch<T: DeserializeOwned>(self) -> RdbCall<Vec<T>> {
        self.read(Method::GET, decode_rows::<T>)
    }

    /// `GET` with `Prefer: count=exact`: the rows and the total number of matches
    /// (from `Content-Range`).
    pub fn fetch_counted<T: DeserializeOwned>(self) -> RdbCall<Counted<T>> {
        let mut call = self.read(Method::GET, decode_counted::<T>);
        call.prefer.push("count=exact".into());
        call
    }

    /// `GET` with `Accept: application/vnd.pgrst.object+json`: exactly one row (the
    /// server answers an error for zero or several).
    pub fn single<T: DeserializeOwned>(self) -> RdbCall<T> {
        let mut call = self.read(Method::GET, decode_single::<T>);
        call.accept = Some(OBJECT_MEDIA_TYPE);
        call
    }

    /// `GET`: zero or one row; several rows are an error (`PGRST116`, 406), checked
    /// here as the JS SDK does.
    pub fn maybe_single<T: DeserializeOwned>(self) -> RdbCall<Option<T>> {
        let mut call = self.read(Method::GET, decode_maybe_single::<T>);
        call.accept = Some("application/json");
        call
    }

    /// `HEAD` with `Prefer: count=exact`: only the number of matching rows.
    pub fn count(self) -> RdbCall<u64> {
        let mut call = self.read(Method::HEAD, decode_count);
        call.prefer.push("count=exact".into());
        call
    }

    fn write<D: Serialize + ?Sized>(self, method: Method, data: Option<&D>) -> RdbCall<()> {
        let mut call = self.call(method, decode_nothing);
        if let Some(d) = data {
            match serde_json::to_value(d) {
                Ok(v) => call.body = Some(v),
                Err(e) => {
                    call.query
                        .problem
                        .get_or_insert(BuildError::Serialize(e.to_string()));
                }
            }
        }
        call
    }

    /// `POST` a row (an object) or rows (an array of objects; `columns=` names the
    /// union of their keys, so missing keys become null or the column default).
    pub fn insert<D: Serialize + ?Sized>(self, rows: &D) -> RdbCall<()> {
        let mut call = self.write(Method::POST, Some(rows));
        call.idempotent = false;
        call.add_columns();
        call
    }

    /// `POST` with `Prefer: resolution=merge-duplicates`: inserts, or updates the
    /// row whose primary key (or [`RdbCall::on_conflict`] columns) already exists.
    pub fn upsert<D: Serialize + ?Sized>(self, rows: &D) -> RdbCall<()> {
        let mut call = self.write(Method::POST, Some(rows));
        call.add_columns();
        call.prefer.push("resolution=merge-duplicates".into());
        call
    }

    /// `PATCH` the matching rows with `changes`. Needs a filter: without one the
    /// call is refused and nothing is sent.
    pub fn update<D: Serialize + ?Sized>(self, changes: &D) -> RdbCall<()> {
        let mut call = self.write(Method::PATCH, Some(changes));
        call.needs_filter = Some("update");
        call
    }

    /// `DELETE` the matching rows. Needs a filter: without one the call is refused
    /// and nothing is sent.
    pub fn delete(self) -> RdbCall<()> {
        let mut call = self.write::<Value>(Method::DELETE, None);
        call.needs_filter = Some("delete");
        call
    }
}

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
    query: Query,
    method: Method,
    accept: Option<&'static str>,
    prefer: Vec<String>,
    body: Option<Value>,
    extra_query: Vec<(String, String)>,
    needs_filter: Option<&'static str>,
    idempotent: bool,
    decode: fn(&HttpResponse) -> Result<O, Error>,
}

impl<O> RdbCall<O> {
    fn add_columns(&mut self) {
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
            spec = spec.query(k.clone(), v.clone());
        }
        if let Some(s) = &q.select {
            spec = spec.query("select", s.clone());
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
            Some(b) => serde_json::to_vec(b).map_err(|e| BuildError::Serialize(e.to_string()))?,
            None => Vec::new(),
        };
        // The JS SDK sends `Content-Type: application/json` on every call, GET too.
        Ok(spec.json_body(body, "application/json"))
    }

    fn is_idempotent(&self) -> bool {
        self.idempotent
    }

    fn parse(&self, response: HttpResponse, _cx: &mut ResponseContext<'_>) -> Result<O, Error> {
        (self.decode)(&response)
    }
}

/// The total after `/` in `Content-Range: 0-9/100` (`*` or absent: unknown).
pub fn content_range_total(response: &HttpResponse) -> Option<u64> {
    let value = response.headers().get("content-range")?.to_str().ok()?;
    value.rsplit_once('/')?.1.trim().parse().ok()
}

fn decode_rows<T: DeserializeOwned>(r: &HttpResponse) -> Result<Vec<T>, Error> {
    if r.body().iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    Ok(decode_json(r.status(), r.body())?)
}

fn decode_counted<T: DeserializeOwned>(r: &HttpResponse) -> Result<Counted<T>, Error> {
    Ok(Counted {
        rows: decode_rows(r)?,
        total: content_range_total(r),
    })
}

fn decode_single<T: DeserializeOwned>(r: &HttpResponse) -> Result<T, Error> {
    Ok(decode_json(r.status(), r.body())?)
}

fn decode_maybe_single<T: DeserializeOwned>(r: &HttpResponse) -> Result<Option<T>, Error> {
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

fn decode_count(r: &HttpResponse) -> Result<u64, Error> {
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

fn decode_nothing(_r: &HttpResponse) -> Result<(), Error> {
    Ok(())
}

#[cfg(test)]
mod tests;
