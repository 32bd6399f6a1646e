//! Data models (`/v1/model/...`), SQL templates (`/v1/sql/...`), raw MySQL commands
//! and data-source (schema) queries — docs/protocol/models.md.
//!
//! Every call is an operation built from a [`Model`]; results are generic over your
//! serde types, with `serde_json::Value` as the untyped choice.
//!
//! ```
//! use cloudbase_core::models::{field, Model, Query, Sort};
//!
//! #[derive(serde::Deserialize)]
//! struct Todo { title: String, done: bool }
//!
//! let todos = Model::new("todo")?;
//! let list = todos.list::<Todo>(
//!     &Query::new().filter(field("done").eq(false)).order_by("createdAt", Sort::Desc).page(1, 20),
//! )?;
//! # Ok::<(), cloudbase_core::BuildError>(())
//! ```

mod datasource;
mod filter;
mod ops;
mod pager;
mod sql;

pub use datasource::{DataSourceCall, DataSourceRef};
pub use filter::{FieldRef, Filter, Op, field};
pub use ops::{Model, ModelCall, Page, UpdateManyOutcome, UpsertOutcome};
pub use pager::{PageCursor, PageStep};
pub use sql::{MysqlCommand, MysqlCommandResult, RunSqlTemplate, SqlParams};

use serde_json::Value;

use crate::error::BuildError;

/// Which data a call reads and writes: `prod` (formal data, the default) or `pre`
/// (trial data). It is the `{envType}` path segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum DataEnv {
    /// Formal data (`prod`).
    #[default]
    Prod,
    /// Trial data (`pre`).
    Pre,
}

impl DataEnv {
    /// The path segment.
    pub fn as_str(self) -> &'static str {
        match self {
            DataEnv::Prod => "prod",
            DataEnv::Pre => "pre",
        }
    }
}

/// Largest `pageSize` the service accepts (docs/protocol/models.md §1).
pub const MAX_PAGE_SIZE: u32 = 200;
/// `pageSize` when none is given.
pub const DEFAULT_PAGE_SIZE: u32 = 10;
/// Most sort fields one query may have.
pub const MAX_SORT_FIELDS: usize = 3;

/// Sort direction of an `orderBy` entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    /// Ascending (`asc`).
    Asc,
    /// Descending (`desc`).
    Desc,
}

impl Sort {
    fn as_str(self) -> &'static str {
        match self {
            Sort::Asc => "asc",
            Sort::Desc => "desc",
        }
    }
}

/// What to match, which fields to return, in which order, which page: the
/// parameters of `get` and `list`.
///
/// Defaults as the JS client: `where` = `{}`, `select` = `{"$master": true}` (all own
/// fields); `pageSize`/`pageNumber` are sent only when set (the service applies 10
/// and 1, and only honours them when both are sent, so [`Query::page`] sets both).
///
/// ```
/// use cloudbase_core::models::{field, Query, Sort};
/// let q = Query::new()
///     .filter(field("title").eq("a"))
///     .select(["_id", "title"])
///     .order_by("createdAt", Sort::Desc)
///     .page(1, 10)
///     .with_count();
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[must_use]
pub struct Query {
    pub(crate) filter: Option<Filter>,
    pub(crate) relate_where: Option<Value>,
    pub(crate) select: Option<Value>,
    pub(crate) order_by: Vec<(String, Sort)>,
    pub(crate) page_size: Option<u32>,
    pub(crate) page_number: Option<u32>,
    pub(crate) get_count: bool,
}

impl Query {
    /// Every record, all own fields, the service's default paging.
    pub fn new() -> Self {
        Self::default()
    }

    /// The `where` filter.
    pub fn filter(mut self, filter: impl Into<Filter>) -> Self {
        self.filter = Some(filter.into());
        self
    }

    /// A filter on related records, `{relationField: {where: {…}}}`, sent beside
    /// `where` (docs/protocol/models.md §1 `relateWhere`).
    pub fn relate_where(mut self, relate_where: Value) -> Self {
        self.relate_where = Some(relate_where);
        self
    }

    /// Returns only these fields (`{"field": true, …}`).
    pub fn select<S: Into<String>>(mut self, fields: impl IntoIterator<Item = S>) -> Self {
        let map = fields
            .into_iter()
            .map(|f| (f.into(), Value::Bool(true)))
            .collect();
        self.select = Some(Value::Object(map));
        self
    }

    /// Any `select` object, e.g. with related fields:
    /// `{"$master": true, "comments": {"comment": true}}`.
    pub fn select_raw(mut self, select: Value) -> Self {
        self.select = Some(select);
        self
    }

    /// Adds a sort field (at most [`MAX_SORT_FIELDS`]); sent as the single-key map
    /// `{"field": "asc"}` the JS client and Flutter use (the `{field, direction}`
    /// form some docs show is unconfirmed).
    pub fn order_by(mut self, field: impl Into<String>, sort: Sort) -> Self {
        self.order_by.push((field.into(), sort));
        self
    }

    /// Page `number` (from 1) of `size` records (1 to [`MAX_PAGE_SIZE`]).
    pub fn page(mut self, number: u32, size: u32) -> Self {
        self.page_number = Some(number);
        self.page_size = Some(size);
        self
    }

    /// Also return the number of matching records (`getCount: true`).
    pub fn with_count(mut self) -> Self {
        self.get_count = true;
        self
    }

    fn check(&self) -> Result<(), BuildError> {
        if let Some(size) = self.page_size
            && !(1..=MAX_PAGE_SIZE).contains(&size)
        {
            return Err(BuildError::InvalidInput {
                field: "pageSize",
                reason: format!("{size} is outside 1..={MAX_PAGE_SIZE}"),
            });
        }
        if self.page_number == Some(0) {
            return Err(BuildError::InvalidInput {
                field: "pageNumber",
                reason: "pages are numbered from 1".into(),
            });
        }
        if self.order_by.len() > MAX_SORT_FIELDS {
            return Err(BuildError::InvalidInput {
                field: "orderBy",
                reason: format!(
                    "{} sort fields; the service takes at most {MAX_SORT_FIELDS}",
                    self.order_by.len()
                ),
            });
        }
        if let Some((f, _)) = self.order_by.iter().find(|(f, _)| f.is_empty()) {
            return Err(BuildError::InvalidInput {
                field: "orderBy",
                reason: format!("empty sort field {f:?}"),
            });
        }
        Ok(())
    }

    /// `{where, relateWhere?}` as sent.
    fn filter_json(&self) -> Value {
        let mut filter = serde_json::Map::new();
        filter.insert(
            "where".into(),
            self.filter
                .as_ref()
                .map_or_else(|| Filter::All.to_json(), Filter::to_json),
        );
        if let Some(r) = &self.relate_where {
            filter.insert("relateWhere".into(), r.clone());
        }
        Value::Object(filter)
    }

    fn select_json(&self) -> Value {
        self.select
            .clone()
            .unwrap_or_else(|| serde_json::json!({"$master": true}))
    }
}

/// Checks a model name before anything is sent: 1 to 64 characters, a letter or `_`
/// first, then letters, digits, `_` or `-`. CloudBase model identifiers have this
/// shape; the exact service rule is not documented, and this rule also keeps a name
/// from escaping its path segment (`/`, `..`, `?`, `#`, spaces, control characters).
///
/// ```
/// use cloudbase_core::models::validate_model_name;
/// assert!(validate_model_name("todo_items").is_ok());
/// assert!(validate_model_name("").is_err());
/// assert!(validate_model_name("../users").is_err());
/// ```
pub fn validate_model_name(name: &str) -> Result<(), BuildError> {
    validate_identifier("model name", name)
}

pub(crate) fn validate_identifier(what: &'static str, name: &str) -> Result<(), BuildError> {
    let invalid = |rule| BuildError::InvalidName {
        what,
        value: name.to_owned(),
        rule,
    };
    let mut chars = name.chars();
    match chars.next() {
        None => return Err(invalid("must not be empty")),
        Some(c) if !(c.is_ascii_alphabetic() || c == '_') => {
            return Err(invalid("must start with a letter or '_'"));
        }
        _ => {}
    }
    if name.len() > 64 {
        return Err(invalid("must be at most 64 characters long"));
    }
    if !chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(invalid("may contain only letters, digits, '_' and '-'"));
    }
    Ok(())
}
