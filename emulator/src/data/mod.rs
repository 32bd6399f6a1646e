//! The data side of the emulator: model records, MySQL-REST tables, SQL templates,
//! all in one SQLite database (its own connection, separate from the auth store).
//!
//! - A model `todo` is two tables of JSON records, `__model_prod_todo` and
//!   `__model_pre_todo` (`_id`, `doc`); `where` objects become parameterised SQL over
//!   `json_extract(doc, ?)` (see [`models`]).
//! - MySQL-REST tables are ordinary tables; the PostgREST grammar is parsed in
//!   [`postgrest`] and turned into parameterised SQL — values are always bound,
//!   identifiers are checked against the table's own columns before they are quoted.

pub(crate) mod models;
pub(crate) mod postgrest;
mod rpc;
pub(crate) mod sql;

use std::collections::HashMap;
use std::path::Path;

use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, functions::FunctionFlags};
use serde_json::{Map, Value};

/// Prefix of the tables behind models; MySQL-REST calls never see them.
pub(crate) const MODEL_PREFIX: &str = "__model_";

pub(crate) struct DataStore {
    pub conn: Connection,
    /// SQL templates by name (`/v1/sql/{env}/{name}/run`).
    pub templates: HashMap<String, String>,
}

/// A column of a MySQL-REST table.
#[derive(Clone, Debug)]
pub(crate) struct Column {
    pub name: String,
    pub decl_type: String,
    pub pk: bool,
}

impl Column {
    pub fn is_bool(&self) -> bool {
        let t = self.decl_type.to_ascii_uppercase();
        t.starts_with("BOOL") || t == "TINYINT(1)"
    }
}

/// `LIKE` with PostgREST's wildcards (`%` or `*` any run, `_` one character),
/// case-sensitive unless `ci`, as a regular expression.
fn like_regex(pattern: &str, ci: bool) -> Result<regex_lite::Regex, regex_lite::Error> {
    let mut re = String::from(if ci { "(?is)^" } else { "(?s)^" });
    for c in pattern.chars() {
        match c {
            '%' | '*' => re.push_str(".*"),
            '_' => re.push('.'),
            c => re.push_str(&regex_lite::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex_lite::Regex::new(&re)
}

fn text_arg(ctx: &rusqlite::functions::Context<'_>, i: usize) -> rusqlite::Result<Option<String>> {
    Ok(match ctx.get_raw(i) {
        ValueRef::Null => None,
        ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(r) => Some(r.to_string()),
        ValueRef::Blob(b) => Some(String::from_utf8_lossy(b).into_owned()),
    })
}

fn user_error(e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::UserFunctionError(Box::new(e))
}

impl DataStore {
    pub fn open(path: Option<&Path>) -> rusqlite::Result<Self> {
        let conn = match path {
            Some(p) => {
                let c = Connection::open(p)?;
                c.busy_timeout(std::time::Duration::from_secs(5))?;
                c
            }
            None => Connection::open_in_memory()?,
        };
        // Data routes run caller-written SQL (mysqlCommand, templates, the admin SQL
        // hook): nothing may reach past this one database file.
        conn.authorizer(Some(authorize_statement))?;
        let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
        // `x REGEXP y` calls regexp(y, x): PostgREST `match`.
        conn.create_scalar_function("regexp", 2, flags, |ctx| {
            let (Some(pattern), Some(value)) = (text_arg(ctx, 0)?, text_arg(ctx, 1)?) else {
                return Ok(None);
            };
            let re = regex_lite::Regex::new(&pattern).map_err(user_error)?;
            Ok(Some(re.is_match(&value)))
        })?;
        // pg_like(value, pattern, ci): PostgREST `like` / `ilike`.
        conn.create_scalar_function("pg_like", 3, flags, |ctx| {
            let (Some(value), Some(pattern)) = (text_arg(ctx, 0)?, text_arg(ctx, 1)?) else {
                return Ok(None);
            };
            let ci: bool = ctx.get(2)?;
            Ok(Some(
                like_regex(&pattern, ci)
                    .map_err(user_error)?
                    .is_match(&value),
            ))
        })?;
        Ok(Self {
            conn,
            templates: HashMap::new(),
        })
    }

    /// Drops every table (models and MySQL-REST) and forgets the templates.
    pub fn reset(&mut self) -> rusqlite::Result<()> {
        for t in self.user_tables(true)? {
            self.conn
                .execute_batch(&format!("DROP TABLE {}", quote_ident(&t)))?;
        }
        self.templates.clear();
        Ok(())
    }

    /// Table names, without SQLite's own; model tables only when asked.
    pub fn user_tables(&self, with_models: bool) -> rusqlite::Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT name FROM main.sqlite_master WHERE type = 'table' ORDER BY name")?;
        let names = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(names
            .into_iter()
            .filter(|n| !is_reserved_name(n) || (with_models && is_model_table(n)))
            .collect())
    }

    /// Whether this file still holds the auth tables an older emulator kept beside
    /// the data (they would be readable as MySQL-REST tables).
    pub fn has_legacy_auth_tables(&self) -> rusqlite::Result<bool> {
        let tables = self.user_tables(false)?;
        Ok([
            "refresh_tokens",
            "revoked_access_tokens",
            "verification_tokens",
        ]
        .iter()
        .all(|t| tables.iter().any(|n| n == t)))
    }

    /// The columns of `table`, or `None` if there is no such table.
    pub fn columns(&self, table: &str) -> rusqlite::Result<Option<Vec<Column>>> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, type, pk FROM pragma_table_info(?1)")?;
        let cols = stmt
            .query_map([table], |r| {
                Ok(Column {
                    name: r.get(0)?,
                    decl_type: r.get(1)?,
                    pk: r.get::<_, i64>(2)? > 0,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((!cols.is_empty()).then_some(cols))
    }
}

/// Names no MySQL-REST call may use: SQLite's own (`sqlite_…`) and the emulator's
/// (`__…`, model tables among them), compared without case as SQLite resolves names.
pub(crate) fn is_reserved_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("sqlite_") || lower.starts_with("__")
}

fn is_model_table(name: &str) -> bool {
    name.starts_with(MODEL_PREFIX)
}

/// The SQLite authorizer of the data connection: ordinary reads, writes and schema
/// changes inside the one database; never `ATTACH`/`DETACH` (which would open any
/// file on the host), extension loading, virtual tables, or pragmas beyond the
/// schema-reading ones.
fn authorize_statement(ctx: rusqlite::hooks::AuthContext<'_>) -> rusqlite::hooks::Authorization {
    use rusqlite::hooks::{AuthAction as A, Authorization};
    const PRAGMAS: &[&str] = &[
        "table_info",
        "table_xinfo",
        "index_list",
        "index_info",
        "index_xinfo",
        "foreign_key_list",
        "foreign_keys",
    ];
    let allowed = match ctx.action {
        A::Attach { .. }
        | A::Detach { .. }
        | A::CreateVtable { .. }
        | A::DropVtable { .. }
        | A::Unknown { .. } => false,
        A::Function { function_name } => !function_name.eq_ignore_ascii_case("load_extension"),
        A::Pragma { pragma_name, .. } => {
            PRAGMAS.iter().any(|p| p.eq_ignore_ascii_case(pragma_name))
        }
        _ => true,
    };
    if allowed {
        Authorization::Allow
    } else {
        Authorization::Deny
    }
}

/// The offset of page `number` (counted from 1) of `size` rows, refused (a typed
/// 400) when a number is out of range or the product would not fit an SQL integer:
/// paging values come from callers and must never overflow.
pub(crate) fn page_offset(
    number: i64,
    size: i64,
    names: (&str, &str),
) -> Result<i64, models::Refusal> {
    let (number_name, size_name) = names;
    if number < 1 {
        return Err((400, "INVALID_PARAM", format!("{number_name} starts at 1")));
    }
    if size < 1 {
        return Err((
            400,
            "INVALID_PARAM",
            format!("{size_name} must be at least 1"),
        ));
    }
    (number - 1).checked_mul(size).ok_or_else(|| {
        (
            400,
            "INVALID_PARAM",
            format!("{number_name} {number} is too large for {size_name} {size}"),
        )
    })
}

/// `"name"` with embedded quotes doubled. Only used for names checked against the
/// schema or validated by the caller.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A JSON value as an SQL parameter (objects and arrays as JSON text).
pub(crate) fn json_to_sql(v: &Value) -> SqlValue {
    match v {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => SqlValue::Integer(i),
            None => SqlValue::Real(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => SqlValue::Text(s.clone()),
        other => SqlValue::Text(other.to_string()),
    }
}

/// One result row as a JSON object; `bools` names the columns to report as booleans.
pub(crate) fn row_to_json(
    row: &rusqlite::Row<'_>,
    names: &[String],
    bools: &[bool],
) -> rusqlite::Result<Map<String, Value>> {
    let mut out = Map::new();
    for (i, name) in names.iter().enumerate() {
        let v = match row.get_ref(i)? {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(n) if bools.get(i).copied().unwrap_or(false) => Value::Bool(n != 0),
            ValueRef::Integer(n) => Value::from(n),
            ValueRef::Real(r) => Value::from(r),
            ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Value::String(String::from_utf8_lossy(b).into_owned()),
        };
        out.insert(name.clone(), v);
    }
    Ok(out)
}

/// Runs a query and returns its rows as JSON objects.
pub(crate) fn query_json(
    conn: &Connection,
    sql: &str,
    params: &[SqlValue],
    bool_columns: &[String],
) -> rusqlite::Result<Vec<Value>> {
    let mut stmt = conn.prepare(sql)?;
    let names: Vec<String> = stmt
        .column_names()
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let bools: Vec<bool> = names.iter().map(|n| bool_columns.contains(n)).collect();
    let rows = stmt
        .query_map(rusqlite::params_from_iter(params.iter()), |r| {
            row_to_json(r, &names, &bools).map(Value::Object)
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
