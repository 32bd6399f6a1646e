//! The PostgREST dialect of `/v1/rdb/rest`: the query grammar parsed into a filter
//! tree, then executed as parameterised SQL. Values are always bound; column names
//! are checked against the table's columns before they are quoted into SQL.

use rusqlite::types::Value as SqlValue;
use serde_json::{Value, json};

use super::{Column, DataStore, json_to_sql, query_json, quote_ident};

/// A filter node.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node {
    Cond {
        column: String,
        negated: bool,
        op: String,
        value: Operand,
    },
    Group {
        any: bool,
        negated: bool,
        parts: Vec<Node>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Operand {
    One(String),
    List(Vec<String>),
}

/// A parsed query string.
#[derive(Clone, Debug, Default)]
pub(crate) struct RestQuery {
    /// `None` = all columns.
    pub select: Option<Vec<String>>,
    pub filters: Vec<Node>,
    pub order: Vec<(String, bool, Option<bool>)>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    pub on_conflict: Option<Vec<String>>,
    pub columns: Option<Vec<String>>,
}

/// A PostgREST-shaped error: status, code, message, details.
#[derive(Debug)]
pub(crate) struct RestError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub details: Option<String>,
    /// Send the gateway envelope `{code, message, requestId}` instead.
    pub gateway: bool,
}

impl RestError {
    fn grammar(message: impl Into<String>) -> Self {
        Self {
            status: 400,
            code: "PGRST100".into(),
            message: message.into(),
            details: None,
            gateway: false,
        }
    }

    pub fn gateway(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            details: None,
            gateway: true,
        }
    }

    pub fn body(&self, request_id: &str) -> Value {
        if self.gateway {
            json!({"code": self.code, "message": self.message, "requestId": request_id})
        } else {
            json!({"code": self.code, "message": self.message, "details": self.details, "hint": null})
        }
    }
}

fn sql_error(e: rusqlite::Error) -> RestError {
    match &e {
        rusqlite::Error::SqliteFailure(f, msg)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            // PostgreSQL's SQLSTATE for each kind, with PostgREST's status for it.
            let (status, code) = match f.extended_code {
                rusqlite::ffi::SQLITE_CONSTRAINT_NOTNULL => (400, "23502"),
                rusqlite::ffi::SQLITE_CONSTRAINT_CHECK => (400, "23514"),
                rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY => (409, "23503"),
                _ => (409, "23505"),
            };
            RestError {
                status,
                code: code.into(),
                message: msg.clone().unwrap_or_else(|| "constraint violation".into()),
                details: None,
                gateway: false,
            }
        }
        _ => RestError::gateway(400, "INVALID_REQUEST", format!("SQL error: {e}")),
    }
}

struct Cursor<'a> {
    s: &'a [char],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, text: &str) -> bool {
        let t: Vec<char> = text.chars().collect();
        if self.s[self.i..].starts_with(&t) {
            self.i += t.len();
            true
        } else {
            false
        }
    }

    fn need(&mut self, text: &str) -> Result<(), RestError> {
        if self.eat(text) {
            Ok(())
        } else {
            Err(RestError::grammar(format!(
                "expected {text:?} at position {}",
                self.i
            )))
        }
    }

    fn until(&mut self, stops: &[char]) -> String {
        let start = self.i;
        while let Some(c) = self.peek() {
            if stops.contains(&c) {
                break;
            }
            self.i += 1;
        }
        self.s[start..self.i].iter().collect()
    }

    /// A value inside a list or logic tree: `"…"` with `\` escapes, or a bare run
    /// up to `,` or `)`.
    fn list_value(&mut self) -> Result<String, RestError> {
        if self.eat("\"") {
            let mut out = String::new();
            loop {
                match self.peek() {
                    None => return Err(RestError::grammar("unterminated quoted value")),
                    Some('"') => {
                        self.i += 1;
                        return Ok(out);
                    }
                    Some('\\') => {
                        let Some(c) = self.s.get(self.i + 1) else {
                            return Err(RestError::grammar("dangling escape"));
                        };
                        out.push(*c);
                        self.i += 2;
                    }
                    Some(c) => {
                        out.push(c);
                        self.i += 1;
                    }
                }
            }
        }
        Ok(self.until(&[',', ')', ']']))
    }

    /// `(a,b)` or the CloudBase docs' `[a,b]`.
    fn list(&mut self) -> Result<Vec<String>, RestError> {
        let close = if self.eat("(") {
            ")"
        } else if self.eat("[") {
            "]"
        } else {
            return Err(RestError::grammar("a list starts with ( or ["));
        };
        let mut out = Vec::new();
        if self.eat(close) {
            return Ok(out);
        }
        loop {
            out.push(self.list_value()?);
            if self.eat(close) {
                return Ok(out);
            }
            self.need(",")?;
        }
    }

    fn members(&mut self) -> Result<Vec<Node>, RestError> {
        self.need("(")?;
        let mut out = Vec::new();
        loop {
            out.push(self.member()?);
            if self.eat(")") {
                return Ok(out);
            }
            self.need(",")?;
        }
    }

    fn member(&mut self) -> Result<Node, RestError> {
        let negated = self.eat("not.");
        for (word, any) in [("or(", true), ("and(", false)] {
            if self.eat(word) {
                self.i -= 1;
                return Ok(Node::Group {
                    any,
                    negated,
                    parts: self.members()?,
                });
            }
        }
        if negated {
            return Err(RestError::grammar(
                "not. must precede an operator or a group",
            ));
        }
        let column = self.until(&['.', ',', ')']);
        self.need(".")?;
        self.condition(column, true)
    }

    fn condition(&mut self, column: String, in_tree: bool) -> Result<Node, RestError> {
        let negated = self.eat("not.");
        let op = self.until(&['.', ',', ')']);
        self.need(".")?;
        let value = match op.as_str() {
            "in" => Operand::List(self.list()?),
            "eq" | "neq" | "gt" | "gte" | "lt" | "lte" | "like" | "ilike" | "match" | "imatch"
            | "is" => {
                if in_tree {
                    Operand::One(self.list_value()?)
                } else {
                    // Top level: the value is the rest of the parameter, verbatim.
                    let rest: String = self.s[self.i..].iter().collect();
                    self.i = self.s.len();
                    Operand::One(rest)
                }
            }
            other => return Err(RestError::grammar(format!("unknown operator {other:?}"))),
        };
        Ok(Node::Cond {
            column,
            negated,
            op,
            value,
        })
    }
}

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

fn parse_int(key: &str, v: &str) -> Result<i64, RestError> {
    v.parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| RestError::grammar(format!("{key} must be a non-negative integer")))
}

/// Column names in `select`/`columns`/`on_conflict`: comma-separated, optionally
/// double-quoted; embedding and renames are not supported by the emulator.
fn name_list(key: &str, v: &str) -> Result<Vec<String>, RestError> {
    let cs = chars(v);
    let mut c = Cursor { s: &cs, i: 0 };
    let mut out = Vec::new();
    loop {
        let name = if c.peek() == Some('"') {
            c.list_value()?
        } else {
            c.until(&[','])
        };
        if name.contains(['(', ')', ':']) {
            return Err(RestError::grammar(format!(
                "{key}: embedded resources, renames and casts are not supported by cloudbase-emulator ({name:?})"
            )));
        }
        out.push(name);
        if c.peek().is_none() {
            return Ok(out);
        }
        c.need(",")?;
    }
}

/// Parses decoded query pairs.
pub(crate) fn parse(pairs: &[(String, String)]) -> Result<RestQuery, RestError> {
    let mut q = RestQuery::default();
    for (k, v) in pairs {
        match k.as_str() {
            "select" => {
                if v != "*" {
                    q.select = Some(name_list(k, v)?);
                }
            }
            "columns" => q.columns = Some(name_list(k, v)?),
            "on_conflict" => q.on_conflict = Some(name_list(k, v)?),
            "limit" => q.limit = Some(parse_int(k, v)?),
            "offset" => q.offset = Some(parse_int(k, v)?),
            "order" => {
                for term in v.split(',') {
                    let mut parts = term.split('.');
                    let column = parts.next().unwrap_or_default().to_owned();
                    let mut desc = false;
                    let mut nulls = None;
                    for p in parts {
                        match p {
                            "asc" => desc = false,
                            "desc" => desc = true,
                            "nullsfirst" => nulls = Some(true),
                            "nullslast" => nulls = Some(false),
                            other => {
                                return Err(RestError::grammar(format!(
                                    "bad order modifier {other:?}"
                                )));
                            }
                        }
                    }
                    q.order.push((column, desc, nulls));
                }
            }
            "or" | "and" | "not.or" | "not.and" => {
                let cs = chars(v);
                let mut c = Cursor { s: &cs, i: 0 };
                let parts = c.members()?;
                if c.i != cs.len() {
                    return Err(RestError::grammar(format!("trailing input in {k}")));
                }
                q.filters.push(Node::Group {
                    any: k.ends_with("or"),
                    negated: k.starts_with("not."),
                    parts,
                });
            }
            column => {
                let cs = chars(v);
                let mut c = Cursor { s: &cs, i: 0 };
                let node = c.condition(column.to_owned(), false)?;
                if c.i != cs.len() {
                    return Err(RestError::grammar(format!(
                        "trailing input after the list in {column}"
                    )));
                }
                q.filters.push(node);
            }
        }
    }
    Ok(q)
}

/// A table and its columns, resolved.
pub(crate) struct Table {
    pub quoted: String,
    pub columns: Vec<Column>,
}

impl Table {
    fn column(&self, name: &str) -> Result<&Column, RestError> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| RestError {
                status: 400,
                code: "42703".into(),
                message: format!("column {name:?} does not exist"),
                details: None,
                gateway: false,
            })
    }

    fn col_sql(&self, name: &str) -> Result<String, RestError> {
        self.column(name).map(|c| quote_ident(&c.name))
    }

    fn bools(&self) -> Vec<String> {
        self.columns
            .iter()
            .filter(|c| c.is_bool())
            .map(|c| c.name.clone())
            .collect()
    }

    fn select_list(&self, select: &Option<Vec<String>>) -> Result<String, RestError> {
        match select {
            None => Ok("*".into()),
            Some(cols) => Ok(cols
                .iter()
                .map(|c| self.col_sql(c))
                .collect::<Result<Vec<_>, _>>()?
                .join(", ")),
        }
    }
}

fn bind_value(col: &Column, v: &str, params: &mut Vec<SqlValue>) {
    params.push(if col.is_bool() {
        match v {
            "true" => SqlValue::Integer(1),
            "false" => SqlValue::Integer(0),
            other => SqlValue::Text(other.to_owned()),
        }
    } else {
        SqlValue::Text(v.to_owned())
    });
}

fn node_sql(t: &Table, node: &Node, params: &mut Vec<SqlValue>) -> Result<String, RestError> {
    match node {
        Node::Group {
            any,
            negated,
            parts,
        } => {
            let inner: Vec<String> = parts
                .iter()
                .map(|p| node_sql(t, p, params))
                .collect::<Result<_, _>>()?;
            let joined = format!("({})", inner.join(if *any { " OR " } else { " AND " }));
            Ok(if *negated {
                format!("NOT {joined}")
            } else {
                joined
            })
        }
        Node::Cond {
            column,
            negated,
            op,
            value,
        } => {
            let col = t.column(column)?;
            let x = quote_ident(&col.name);
            let one = |value: &Operand| match value {
                Operand::One(v) => Ok(v.clone()),
                Operand::List(_) => Err(RestError::grammar(format!("{op} takes one value"))),
            };
            let sql = match op.as_str() {
                "eq" | "neq" | "gt" | "gte" | "lt" | "lte" => {
                    let sym = match op.as_str() {
                        "eq" => "=",
                        "neq" => "<>",
                        "gt" => ">",
                        "gte" => ">=",
                        "lt" => "<",
                        _ => "<=",
                    };
                    bind_value(col, &one(value)?, params);
                    format!("{x} {sym} ?")
                }
                "like" | "ilike" => {
                    params.push(SqlValue::Text(one(value)?));
                    format!("pg_like({x}, ?, {})", i32::from(op == "ilike"))
                }
                "match" | "imatch" => {
                    let v = one(value)?;
                    params.push(SqlValue::Text(if op == "imatch" {
                        format!("(?i){v}")
                    } else {
                        v
                    }));
                    format!("{x} REGEXP ?")
                }
                "is" => match one(value)?.as_str() {
                    "null" | "unknown" => format!("{x} IS NULL"),
                    "true" => format!("{x} = 1"),
                    "false" => format!("{x} = 0"),
                    other => {
                        return Err(RestError::grammar(format!(
                            "is takes null, true, false or unknown, not {other:?}"
                        )));
                    }
                },
                "in" => {
                    let Operand::List(items) = value else {
                        return Err(RestError::grammar("in takes a list"));
                    };
                    if items.is_empty() {
                        "0".to_owned()
                    } else {
                        for i in items {
                            bind_value(col, i, params);
                        }
                        format!("{x} IN ({})", vec!["?"; items.len()].join(", "))
                    }
                }
                other => return Err(RestError::grammar(format!("unknown operator {other:?}"))),
            };
            Ok(if *negated {
                format!("NOT ({sql})")
            } else {
                sql
            })
        }
    }
}

fn where_clause(t: &Table, q: &RestQuery, params: &mut Vec<SqlValue>) -> Result<String, RestError> {
    let parts: Vec<String> = q
        .filters
        .iter()
        .map(|n| node_sql(t, n, params))
        .collect::<Result<_, _>>()?;
    Ok(if parts.is_empty() {
        "1".into()
    } else {
        parts.join(" AND ")
    })
}

/// What a REST call answers.
pub(crate) struct RestAnswer {
    pub status: u16,
    pub body: Option<Value>,
    pub content_range: Option<String>,
}

/// Options read from the headers.
#[derive(Default)]
pub(crate) struct Prefs {
    pub count: bool,
    pub representation: bool,
    pub merge: bool,
    pub ignore: bool,
    pub missing_default: bool,
    pub single: bool,
}

impl Prefs {
    pub fn read(prefer: &str, accept: &str) -> Self {
        let has = |p: &str| prefer.split(',').any(|x| x.trim() == p);
        Self {
            count: ["count=exact", "count=planned", "count=estimated"]
                .iter()
                .any(|p| has(p)),
            representation: has("return=representation"),
            merge: has("resolution=merge-duplicates"),
            ignore: has("resolution=ignore-duplicates"),
            missing_default: has("missing=default"),
            single: accept.contains("application/vnd.pgrst.object+json"),
        }
    }
}

fn range(offset: i64, n: usize, total: Option<i64>) -> String {
    let total = total.map_or_else(|| "*".to_owned(), |t| t.to_string());
    if n == 0 {
        format!("*/{total}")
    } else {
        format!("{offset}-{}/{total}", offset + n as i64 - 1)
    }
}

fn shape(
    rows: Vec<Value>,
    prefs: &Prefs,
    status: u16,
    content_range: Option<String>,
) -> Result<RestAnswer, RestError> {
    if prefs.single {
        if rows.len() != 1 {
            return Err(RestError {
                status: 406,
                code: "PGRST116".into(),
                message: "JSON object requested, multiple (or no) rows returned".into(),
                details: Some(format!("The result contains {} rows", rows.len())),
                gateway: false,
            });
        }
        return Ok(RestAnswer {
            status,
            body: rows.into_iter().next(),
            content_range,
        });
    }
    Ok(RestAnswer {
        status,
        body: Some(Value::Array(rows)),
        content_range,
    })
}

/// Resolves `table` (MySQL-REST tables only; model tables and SQLite's own are not
/// reachable).
pub(crate) fn table(store: &DataStore, name: &str) -> Result<Table, RestError> {
    let missing = || {
        RestError::gateway(
            404,
            "RESOURCE_NOT_FOUND",
            format!("table {name:?} does not exist"),
        )
    };
    // An allowlist: only a table of the data database's own, named exactly.
    let listed = store.user_tables(false).map_err(sql_error)?;
    if !listed.iter().any(|t| t == name) {
        return Err(missing());
    }
    let columns = store
        .columns(name)
        .map_err(sql_error)?
        .ok_or_else(missing)?;
    Ok(Table {
        quoted: quote_ident(name),
        columns,
    })
}

pub(crate) fn select(
    store: &DataStore,
    t: &Table,
    q: &RestQuery,
    prefs: &Prefs,
    head: bool,
) -> Result<RestAnswer, RestError> {
    let mut params = Vec::new();
    let cond = where_clause(t, q, &mut params)?;
    let mut sql = format!(
        "SELECT {} FROM {} WHERE {cond}",
        t.select_list(&q.select)?,
        t.quoted
    );
    if !q.order.is_empty() {
        let terms: Vec<String> = q
            .order
            .iter()
            .map(|(c, desc, nulls)| {
                Ok(format!(
                    "{} {}{}",
                    t.col_sql(c)?,
                    if *desc { "DESC" } else { "ASC" },
                    match nulls {
                        Some(true) => " NULLS FIRST",
                        Some(false) => " NULLS LAST",
                        None => "",
                    }
                ))
            })
            .collect::<Result<_, RestError>>()?;
        sql.push_str(&format!(" ORDER BY {}", terms.join(", ")));
    }
    let offset = q.offset.unwrap_or(0);
    sql.push_str(" LIMIT ? OFFSET ?");
    let mut page_params = params.clone();
    page_params.push(SqlValue::Integer(q.limit.unwrap_or(-1)));
    page_params.push(SqlValue::Integer(offset));
    let rows = query_json(&store.conn, &sql, &page_params, &t.bools()).map_err(sql_error)?;
    let total = if prefs.count {
        Some(
            store
                .conn
                .query_row(
                    &format!("SELECT COUNT(*) FROM {} WHERE {cond}", t.quoted),
                    rusqlite::params_from_iter(params.iter()),
                    |r| r.get::<_, i64>(0),
                )
                .map_err(sql_error)?,
        )
    } else {
        None
    };
    let cr = Some(range(offset, rows.len(), total));
    if head {
        return Ok(RestAnswer {
            status: 200,
            body: None,
            content_range: cr,
        });
    }
    shape(rows, prefs, 200, cr)
}

fn returning(t: &Table, q: &RestQuery, prefs: &Prefs) -> Result<String, RestError> {
    Ok(if prefs.representation {
        format!(" RETURNING {}", t.select_list(&q.select)?)
    } else {
        String::new()
    })
}

fn run_returning(
    store: &DataStore,
    t: &Table,
    sql: &str,
    params: &[SqlValue],
    prefs: &Prefs,
) -> Result<Vec<Value>, RestError> {
    if prefs.representation {
        query_json(&store.conn, sql, params, &t.bools()).map_err(sql_error)
    } else {
        let n = store
            .conn
            .execute(sql, rusqlite::params_from_iter(params.iter()))
            .map_err(sql_error)?;
        Ok(vec![Value::Null; n])
    }
}

fn write_answer(
    rows: Vec<Value>,
    prefs: &Prefs,
    status_with_body: u16,
    status_without: u16,
) -> Result<RestAnswer, RestError> {
    let cr = prefs
        .count
        .then(|| range(0, rows.len(), Some(rows.len() as i64)));
    if prefs.representation {
        shape(rows, prefs, status_with_body, cr)
    } else {
        Ok(RestAnswer {
            status: status_without,
            body: None,
            content_range: cr,
        })
    }
}

pub(crate) fn insert(
    store: &DataStore,
    t: &Table,
    q: &RestQuery,
    prefs: &Prefs,
    body: &Value,
) -> Result<RestAnswer, RestError> {
    let rows: Vec<&serde_json::Map<String, Value>> = match body {
        Value::Object(o) => vec![o],
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_object()
                    .ok_or_else(|| RestError::grammar("every row must be an object"))
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(RestError::grammar(
                "the body must be an object or an array of objects",
            ));
        }
    };
    let union: Vec<String> = match &q.columns {
        Some(c) => c.clone(),
        None => {
            let mut u: Vec<String> = Vec::new();
            for r in &rows {
                for k in r.keys() {
                    if !u.contains(k) {
                        u.push(k.clone());
                    }
                }
            }
            u
        }
    };
    for c in &union {
        t.column(c)?;
    }
    let conflict: Vec<String> = match &q.on_conflict {
        Some(c) => c.clone(),
        None => t
            .columns
            .iter()
            .filter(|c| c.pk)
            .map(|c| c.name.clone())
            .collect(),
    };
    for c in &conflict {
        t.column(c)?;
    }
    store
        .conn
        .execute_batch("SAVEPOINT rest_insert")
        .map_err(sql_error)?;
    let mut out = Vec::new();
    for row in rows {
        let cols: Vec<&String> = union
            .iter()
            .filter(|c| !prefs.missing_default || row.contains_key(*c))
            .collect();
        let params: Vec<SqlValue> = cols
            .iter()
            .map(|c| row.get(*c).map_or(SqlValue::Null, json_to_sql))
            .collect();
        let names: Vec<String> = cols.iter().map(|c| quote_ident(c)).collect();
        let mut sql = if cols.is_empty() {
            format!("INSERT INTO {} DEFAULT VALUES", t.quoted)
        } else {
            format!(
                "INSERT INTO {} ({}) VALUES ({})",
                t.quoted,
                names.join(", "),
                vec!["?"; cols.len()].join(", ")
            )
        };
        if (prefs.merge || prefs.ignore) && !conflict.is_empty() {
            let target: Vec<String> = conflict.iter().map(|c| quote_ident(c)).collect();
            let updates: Vec<String> = cols
                .iter()
                .filter(|c| !conflict.contains(c))
                .map(|c| format!("{0} = excluded.{0}", quote_ident(c)))
                .collect();
            if prefs.merge && !updates.is_empty() {
                sql.push_str(&format!(
                    " ON CONFLICT ({}) DO UPDATE SET {}",
                    target.join(", "),
                    updates.join(", ")
                ));
            } else {
                sql.push_str(&format!(" ON CONFLICT ({}) DO NOTHING", target.join(", ")));
            }
        }
        sql.push_str(&returning(t, q, prefs)?);
        match run_returning(store, t, &sql, &params, prefs) {
            Ok(rows) => out.extend(rows),
            Err(e) => {
                let _ = store
                    .conn
                    .execute_batch("ROLLBACK TO rest_insert; RELEASE rest_insert");
                return Err(e);
            }
        }
    }
    store
        .conn
        .execute_batch("RELEASE rest_insert")
        .map_err(sql_error)?;
    write_answer(out, prefs, 201, 201)
}

fn require_filter(q: &RestQuery, verb: &str) -> Result<(), RestError> {
    if q.filters.is_empty() {
        // CloudBase requires a WHERE for UPDATE and DELETE (mysql.md §2).
        return Err(RestError::gateway(
            400,
            "INVALID_PARAM",
            format!("{verb} needs at least one filter"),
        ));
    }
    Ok(())
}

pub(crate) fn update(
    store: &DataStore,
    t: &Table,
    q: &RestQuery,
    prefs: &Prefs,
    body: &Value,
) -> Result<RestAnswer, RestError> {
    require_filter(q, "UPDATE")?;
    let Value::Object(changes) = body else {
        return Err(RestError::grammar("the body must be an object"));
    };
    if changes.is_empty() {
        return Err(RestError::grammar("nothing to update"));
    }
    let mut params = Vec::new();
    let mut sets = Vec::new();
    for (k, v) in changes {
        sets.push(format!("{} = ?", t.col_sql(k)?));
        params.push(json_to_sql(v));
    }
    let cond = where_clause(t, q, &mut params)?;
    let sql = format!(
        "UPDATE {} SET {} WHERE {cond}{}",
        t.quoted,
        sets.join(", "),
        returning(t, q, prefs)?
    );
    let rows = run_returning(store, t, &sql, &params, prefs)?;
    write_answer(rows, prefs, 200, 204)
}

pub(crate) fn delete(
    store: &DataStore,
    t: &Table,
    q: &RestQuery,
    prefs: &Prefs,
) -> Result<RestAnswer, RestError> {
    require_filter(q, "DELETE")?;
    let mut params = Vec::new();
    let cond = where_clause(t, q, &mut params)?;
    let sql = format!(
        "DELETE FROM {} WHERE {cond}{}",
        t.quoted,
        returning(t, q, prefs)?
    );
    let rows = run_returning(store, t, &sql, &params, prefs)?;
    write_answer(rows, prefs, 200, 204)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect()
    }

    #[test]
    fn parses_the_js_sdk_forms() {
        let q = parse(&pairs(
            "select=id&name=in.%28plain%2C%22a%2Cb%22%2C%22%28x%29%22%2Csay+%22hi%22%2Cit%27s%29",
        ))
        .expect("parses");
        assert_eq!(
            q.filters,
            vec![Node::Cond {
                column: "name".into(),
                negated: false,
                op: "in".into(),
                value: Operand::List(vec![
                    "plain".into(),
                    "a,b".into(),
                    "(x)".into(),
                    "say \"hi\"".into(),
                    "it's".into()
                ]),
            }]
        );
        let q = parse(&pairs(
            "or=%28age.lt.18%2Cnot.and(name.eq.%22a%2Cb%22,id.in.(1,2))%29&id=in.[1,2]",
        ))
        .expect("parses");
        assert_eq!(q.filters.len(), 2);
        let q = parse(&pairs("name=eq.math%2C+%28x%29")).expect("parses");
        assert_eq!(
            q.filters,
            vec![Node::Cond {
                column: "name".into(),
                negated: false,
                op: "eq".into(),
                value: Operand::One("math, (x)".into())
            }]
        );
        assert!(parse(&pairs("a=zz.1")).is_err());
        assert!(parse(&pairs("or=(a.eq.1")).is_err());
        assert!(parse(&pairs("select=a(b)")).is_err());
    }
}
