//! The query builder: table, columns, filters, order and range, ended by the call
//! that says what to do with the rows ([`RdbCall`]).

use http::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::OBJECT_MEDIA_TYPE;
use super::call::{
    Counted, RdbCall, decode_count, decode_counted, decode_maybe_single, decode_nothing,
    decode_rows, decode_single,
};
use super::encode::validate_name;
use super::filter::{Filter, IsValue, Op};
use crate::error::{BuildError, Error};
use crate::request::HttpResponse;

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

/// A query on one table; see the [module docs](crate::rdb).
#[derive(Clone, Debug)]
#[must_use]
pub struct Query {
    pub(super) table: String,
    pub(super) schema: Option<String>,
    pub(super) instance: Option<String>,
    pub(super) select: Option<String>,
    pub(super) filters: Vec<Filter>,
    pub(super) order: Vec<String>,
    pub(super) limit: Option<u64>,
    pub(super) offset: Option<u64>,
    pub(super) problem: Option<BuildError>,
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

    pub(super) fn check(&self) -> Result<(), BuildError> {
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
