//! Running a parsed query: select with counts and ranges, insert / upsert, update
//! and delete with `Prefer: return=…`, answers shaped as PostgREST's.

use rusqlite::types::Value as SqlValue;
use serde_json::Value;

use super::where_sql::{Table, where_clause};
use super::{RestError, RestQuery, sql_error};
use crate::data::{DataStore, json_to_sql, query_json, quote_ident};

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
        // CloudBase requires a WHERE for UPDATE and DELETE (docs/protocol/mysql.md §2).
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
