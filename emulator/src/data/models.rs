//! Model records: JSON documents in `__model_{env}_{model}` tables, queried with
//! parameterised SQL over `json_extract(doc, ?)`.

use rusqlite::OptionalExtension;
use rusqlite::types::Value as SqlValue;
use serde_json::{Map, Value, json};

use super::{DataStore, MODEL_PREFIX, json_to_sql, quote_ident};

/// A refusal: HTTP status, gateway code, message.
pub(crate) type Refusal = (u16, &'static str, String);

fn invalid(message: impl Into<String>) -> Refusal {
    (400, "INVALID_PARAM", message.into())
}

fn db(e: rusqlite::Error) -> Refusal {
    (500, "SYS_ERR", format!("database error: {e}"))
}

/// Model names as the SDK checks them: a letter or `_`, then letters, digits, `_`, `-`.
pub(crate) fn valid_model_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

pub(crate) fn table_of(env: &str, model: &str) -> String {
    format!("{MODEL_PREFIX}{env}_{model}")
}

/// Who wrote a record, and when (ms).
pub(crate) struct Writer {
    pub openid: String,
    pub now_ms: i64,
}

/// A JSON path for a field name: letters, digits, `_`, `$`, with `.` for nesting.
fn field_path(field: &str) -> Result<String, Refusal> {
    let ok = !field.is_empty()
        && field.split('.').all(|seg| {
            !seg.is_empty()
                && seg
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
        });
    if !ok {
        return Err(invalid(format!("invalid field name {field:?}")));
    }
    let mut path = String::from("$");
    for seg in field.split('.') {
        path.push_str(&format!(".\"{seg}\""));
    }
    Ok(path)
}

/// Translates a `where` object into SQL with bound parameters.
pub(crate) fn where_sql(w: &Value, params: &mut Vec<SqlValue>) -> Result<String, Refusal> {
    let Value::Object(map) = w else {
        return Err(invalid("`where` must be an object"));
    };
    let mut parts = Vec::new();
    for (key, value) in map {
        match key.as_str() {
            "$and" | "$or" => {
                let Value::Array(items) = value else {
                    return Err(invalid(format!("{key} takes an array")));
                };
                let joined: Vec<String> = items
                    .iter()
                    .map(|i| where_sql(i, params))
                    .collect::<Result<_, _>>()?;
                parts.push(match (key.as_str(), joined.is_empty()) {
                    ("$and", true) => "1".to_owned(),
                    ("$or", true) => "0".to_owned(),
                    ("$and", false) => format!("({})", joined.join(" AND ")),
                    _ => format!("({})", joined.join(" OR ")),
                });
            }
            field => {
                let path = field_path(field)?;
                let Value::Object(ops) = value else {
                    return Err(invalid(format!(
                        "condition on {field:?} must be an object like {{\"$eq\": v}}"
                    )));
                };
                for (op, operand) in ops {
                    params.push(SqlValue::Text(path.clone()));
                    let x = "json_extract(doc, ?)";
                    parts.push(condition(x, op, operand, params)?);
                }
            }
        }
    }
    Ok(if parts.is_empty() {
        "1".to_owned()
    } else {
        parts.join(" AND ")
    })
}

fn condition(x: &str, op: &str, v: &Value, params: &mut Vec<SqlValue>) -> Result<String, Refusal> {
    let bind = |params: &mut Vec<SqlValue>, v: &Value| -> String {
        match v {
            Value::Array(_) | Value::Object(_) => {
                params.push(SqlValue::Text(v.to_string()));
                "json(?)".to_owned()
            }
            other => {
                params.push(json_to_sql(other));
                "?".to_owned()
            }
        }
    };
    let list = |params: &mut Vec<SqlValue>| -> Result<Vec<String>, Refusal> {
        let Value::Array(items) = v else {
            return Err(invalid(format!("{op} takes an array")));
        };
        Ok(items.iter().map(|i| bind(params, i)).collect())
    };
    let text = |params: &mut Vec<SqlValue>| -> Result<(), Refusal> {
        match v {
            Value::String(s) => {
                params.push(SqlValue::Text(s.clone()));
                Ok(())
            }
            _ => Err(invalid(format!("{op} takes a string"))),
        }
    };
    Ok(match op {
        "$eq" if v.is_null() => format!("{x} IS NULL"),
        "$eq" => format!("{x} = {}", bind(params, v)),
        "$neq" | "$ne" => format!("{x} IS NOT {}", bind(params, v)),
        "$gt" => format!("{x} > {}", bind(params, v)),
        "$gte" => format!("{x} >= {}", bind(params, v)),
        "$lt" => format!("{x} < {}", bind(params, v)),
        "$lte" => format!("{x} <= {}", bind(params, v)),
        "$in" => {
            let l = list(params)?;
            if l.is_empty() {
                "0".into()
            } else {
                format!("{x} IN ({})", l.join(", "))
            }
        }
        "$nin" => {
            let l = list(params)?;
            if l.is_empty() {
                "1".into()
            } else {
                format!("coalesce({x} NOT IN ({}), 1)", l.join(", "))
            }
        }
        "$search" => {
            text(params)?;
            format!("instr({x}, ?) > 0")
        }
        "$search_ci" => {
            text(params)?;
            format!("instr(lower({x}), lower(?)) > 0")
        }
        "$nsearch" => {
            text(params)?;
            format!("coalesce(instr({x}, ?) = 0, 1)")
        }
        "$nsearch_ci" => {
            text(params)?;
            format!("coalesce(instr(lower({x}), lower(?)) = 0, 1)")
        }
        "$empty" => format!("{x} IS NULL"),
        "$nempty" => format!("{x} IS NOT NULL"),
        other => return Err(invalid(format!("unknown operator {other:?}"))),
    })
}

impl DataStore {
    pub fn create_model(&self, name: &str) -> rusqlite::Result<()> {
        for env in ["prod", "pre"] {
            self.conn.execute_batch(&format!(
                "CREATE TABLE IF NOT EXISTS {} (_id TEXT PRIMARY KEY, doc TEXT NOT NULL)",
                quote_ident(&table_of(env, name))
            ))?;
        }
        Ok(())
    }

    pub fn drop_model(&self, name: &str) -> rusqlite::Result<()> {
        for env in ["prod", "pre"] {
            self.conn.execute_batch(&format!(
                "DROP TABLE IF EXISTS {}",
                quote_ident(&table_of(env, name))
            ))?;
        }
        Ok(())
    }

    /// Model names (from the `prod` tables).
    pub fn model_names(&self) -> rusqlite::Result<Vec<String>> {
        let prefix = format!("{MODEL_PREFIX}prod_");
        Ok(self
            .user_tables(true)?
            .into_iter()
            .filter_map(|t| t.strip_prefix(&prefix).map(str::to_owned))
            .collect())
    }

    fn model_table(&self, env: &str, model: &str) -> Result<String, Refusal> {
        if env != "prod" && env != "pre" {
            return Err(invalid(format!("unknown data environment {env:?}")));
        }
        if !valid_model_name(model) {
            return Err(invalid(format!("invalid model name {model:?}")));
        }
        let table = table_of(env, model);
        match self.columns(&table).map_err(db)? {
            Some(_) => Ok(quote_ident(&table)),
            // No documented code for "no such model"; RESOURCE_NOT_FOUND (404) is the
            // closest documented gateway code.
            None => Err((
                404,
                "RESOURCE_NOT_FOUND",
                format!("model {model:?} does not exist"),
            )),
        }
    }
}

/// `where` as SQL and its parameters. Every condition names its field exactly once,
/// right before its operands, so the parameters line up with the placeholders.
fn compile_where(w: &Value) -> Result<(String, Vec<SqlValue>), Refusal> {
    let mut params = Vec::new();
    let sql = where_sql(w, &mut params)?;
    Ok((sql, params))
}

fn filter_where(body: &Value) -> Value {
    body.get("filter")
        .and_then(|f| f.get("where"))
        .cloned()
        .unwrap_or_else(|| json!({}))
}

fn project(doc: Value, select: Option<&Value>) -> Value {
    let Some(Value::Object(sel)) = select else {
        return doc;
    };
    if sel.get("$master").and_then(Value::as_bool) == Some(true) {
        return doc;
    }
    let Value::Object(fields) = doc else {
        return doc;
    };
    Value::Object(
        fields
            .into_iter()
            .filter(|(k, _)| sel.get(k).is_some_and(|v| v != &Value::Bool(false)))
            .collect(),
    )
}

fn docs(
    store: &DataStore,
    table: &str,
    w: &Value,
    tail: &str,
    extra: &[SqlValue],
) -> Result<Vec<(String, Value)>, Refusal> {
    let (cond, mut params) = compile_where(w)?;
    params.extend_from_slice(extra);
    let sql = format!("SELECT _id, doc FROM {table} WHERE {cond} {tail}");
    let mut stmt = store
        .conn
        .prepare(&sql)
        .map_err(|e| invalid(format!("bad query: {e}")))?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(params.iter()), |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .map_err(db)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db)?;
    Ok(rows
        .into_iter()
        .map(|(id, d)| (id, serde_json::from_str(&d).unwrap_or(Value::Null)))
        .collect())
}

fn order_sql(body: &Value, params: &mut Vec<SqlValue>) -> Result<String, Refusal> {
    let Some(order) = body.get("orderBy") else {
        return Ok("ORDER BY rowid".into());
    };
    let Value::Array(items) = order else {
        return Err(invalid("orderBy must be an array"));
    };
    if items.len() > 3 {
        return Err(invalid("at most 3 sort fields"));
    }
    let mut terms = Vec::new();
    for item in items {
        let Some(map) = item.as_object().filter(|m| m.len() == 1) else {
            return Err(invalid(
                "each orderBy entry is {\"field\": \"asc\"|\"desc\"}",
            ));
        };
        for (field, dir) in map {
            let dir = match dir.as_str() {
                Some("asc") => "ASC",
                Some("desc") => "DESC",
                _ => {
                    return Err(invalid(format!(
                        "sort direction for {field:?} must be asc or desc"
                    )));
                }
            };
            params.push(SqlValue::Text(field_path(field)?));
            terms.push(format!("json_extract(doc, ?) {dir}"));
        }
    }
    terms.push("rowid".into());
    Ok(format!("ORDER BY {}", terms.join(", ")))
}

fn new_id() -> String {
    crate::ids::random_hex(16)
}

fn stamp(data: &Value, id: &str, w: &Writer) -> Result<Value, Refusal> {
    let Value::Object(fields) = data else {
        return Err(invalid("data must be an object"));
    };
    let mut doc = Map::new();
    doc.insert("_id".into(), Value::String(id.to_owned()));
    for (k, v) in fields {
        if !matches!(k.as_str(), "_id" | "_openid" | "createdAt" | "updatedAt") {
            doc.insert(k.clone(), v.clone());
        }
    }
    doc.insert("_openid".into(), Value::String(w.openid.clone()));
    doc.insert("createdAt".into(), Value::from(w.now_ms));
    doc.insert("updatedAt".into(), Value::from(w.now_ms));
    Ok(Value::Object(doc))
}

fn insert(store: &DataStore, table: &str, data: &Value, w: &Writer) -> Result<String, Refusal> {
    let id = match data.get("_id") {
        None | Some(Value::Null) => new_id(),
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(other) => {
            return Err(invalid(format!(
                "_id must be a non-empty string, not {other}"
            )));
        }
    };
    let doc = stamp(data, &id, w)?;
    store
        .conn
        .execute(
            &format!("INSERT INTO {table} (_id, doc) VALUES (?1, ?2)"),
            rusqlite::params![id, doc.to_string()],
        )
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                invalid(format!("a record with _id {id:?} exists"))
            }
            other => db(other),
        })?;
    Ok(id)
}

fn apply_update(
    store: &DataStore,
    table: &str,
    id: &str,
    old: &Value,
    changes: &Value,
    w: &Writer,
) -> Result<(), Refusal> {
    let (Value::Object(mut doc), Value::Object(changes)) = (old.clone(), changes) else {
        return Err(invalid("data must be an object"));
    };
    for (k, v) in changes {
        if !matches!(k.as_str(), "_id" | "_openid" | "createdAt" | "updatedAt") {
            doc.insert(k.clone(), v.clone());
        }
    }
    doc.insert("updatedAt".into(), Value::from(w.now_ms));
    store
        .conn
        .execute(
            &format!("UPDATE {table} SET doc = ?1 WHERE _id = ?2"),
            rusqlite::params![Value::Object(doc).to_string(), id],
        )
        .map_err(db)?;
    Ok(())
}

fn require_filter(w: &Value, op: &str) -> Result<(), Refusal> {
    if w.as_object().is_none_or(Map::is_empty) {
        return Err(invalid(format!("{op} needs a non-empty filter.where")));
    }
    Ok(())
}

/// Runs one record operation; returns the `data` of the answer.
pub(crate) fn run(
    store: &DataStore,
    (env, model): (&str, &str),
    op: &str,
    id: Option<&str>,
    body: &Value,
    query: &[(String, String)],
    w: &Writer,
) -> Result<Value, Refusal> {
    let table = store.model_table(env, model)?;
    match (op, id) {
        ("get", Some(id)) => {
            let found: Option<String> = store
                .conn
                .query_row(
                    &format!("SELECT doc FROM {table} WHERE _id = ?1"),
                    [id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db)?;
            Ok(found
                .and_then(|d| serde_json::from_str(&d).ok())
                .unwrap_or_else(|| json!({})))
        }
        ("delete", Some(id)) => {
            let n = store
                .conn
                .execute(&format!("DELETE FROM {table} WHERE _id = ?1"), [id])
                .map_err(db)?;
            Ok(json!({"count": n}))
        }
        ("get", None) => {
            let found = docs(
                store,
                &table,
                &filter_where(body),
                "ORDER BY rowid LIMIT 1",
                &[],
            )?;
            Ok(found
                .into_iter()
                .next()
                .map(|(_, d)| project(d, body.get("select")))
                .unwrap_or_else(|| json!({})))
        }
        ("list", None) => {
            let get = |k: &str| {
                body.get(k).cloned().or_else(|| {
                    query.iter().find(|(q, _)| q == k).map(|(_, v)| {
                        v.parse::<i64>()
                            .map(Value::from)
                            .unwrap_or_else(|_| Value::from(v == "true"))
                    })
                })
            };
            let size = get("pageSize")
                .map(|v| v.as_i64().unwrap_or(-1))
                .unwrap_or(10);
            let number = get("pageNumber")
                .map(|v| v.as_i64().unwrap_or(-1))
                .unwrap_or(1);
            if !(1..=200).contains(&size) {
                return Err(invalid(format!("pageSize {size} is outside 1..=200")));
            }
            let offset = super::page_offset(number, size, ("pageNumber", "pageSize"))?;
            let w_ = filter_where(body);
            let mut order_params = Vec::new();
            let order = order_sql(body, &mut order_params)?;
            order_params.push(SqlValue::Integer(size));
            order_params.push(SqlValue::Integer(offset));
            let records: Vec<Value> = docs(
                store,
                &table,
                &w_,
                &format!("{order} LIMIT ? OFFSET ?"),
                &order_params,
            )?
            .into_iter()
            .map(|(_, d)| project(d, body.get("select")))
            .collect();
            let mut data = json!({"records": records});
            if get("getCount").and_then(|v| v.as_bool()) == Some(true) {
                let (cond, params) = compile_where(&w_)?;
                let total: i64 = store
                    .conn
                    .query_row(
                        &format!("SELECT COUNT(*) FROM {table} WHERE {cond}"),
                        rusqlite::params_from_iter(params.iter()),
                        |r| r.get(0),
                    )
                    .map_err(db)?;
                data["total"] = Value::from(total);
            }
            Ok(data)
        }
        ("create", None) => {
            let data = body
                .get("data")
                .ok_or_else(|| invalid("data is required"))?;
            Ok(json!({"id": insert(store, &table, data, w)?}))
        }
        ("createMany", None) => {
            let Some(Value::Array(items)) = body.get("data") else {
                return Err(invalid("data must be an array"));
            };
            let mut ids = Vec::new();
            store
                .conn
                .execute_batch("SAVEPOINT create_many")
                .map_err(db)?;
            for item in items {
                match insert(store, &table, item, w) {
                    Ok(id) => ids.push(id),
                    Err(e) => {
                        let _ = store
                            .conn
                            .execute_batch("ROLLBACK TO create_many; RELEASE create_many");
                        return Err(e);
                    }
                }
            }
            store
                .conn
                .execute_batch("RELEASE create_many")
                .map_err(db)?;
            Ok(json!({"idList": ids}))
        }
        ("update" | "updateMany" | "delete" | "deleteMany", None) => {
            let where_ = filter_where(body);
            if op.ends_with("Many") {
                require_filter(&where_, op)?;
            }
            let tail = if op.ends_with("Many") {
                "ORDER BY rowid"
            } else {
                "ORDER BY rowid LIMIT 1"
            };
            let found = docs(store, &table, &where_, tail, &[])?;
            if op.starts_with("delete") {
                for (id, _) in &found {
                    store
                        .conn
                        .execute(&format!("DELETE FROM {table} WHERE _id = ?1"), [id])
                        .map_err(db)?;
                }
                return Ok(json!({"count": found.len()}));
            }
            let changes = body
                .get("data")
                .ok_or_else(|| invalid("data is required"))?;
            for (id, doc) in &found {
                apply_update(store, &table, id, doc, changes, w)?;
            }
            let ids: Vec<&String> = found.iter().map(|(id, _)| id).collect();
            Ok(if op == "updateMany" {
                json!({"count": found.len(), "legalIdList": ids, "illegalIdList": []})
            } else {
                json!({"count": found.len()})
            })
        }
        ("upsert", None) => {
            let where_ = filter_where(body);
            require_filter(&where_, op)?;
            let found = docs(store, &table, &where_, "ORDER BY rowid", &[])?;
            if found.is_empty() {
                let create = body
                    .get("create")
                    .ok_or_else(|| invalid("create is required"))?;
                return Ok(json!({"count": 0, "id": insert(store, &table, create, w)?}));
            }
            let update = body
                .get("update")
                .ok_or_else(|| invalid("update is required"))?;
            for (id, doc) in &found {
                apply_update(store, &table, id, doc, update, w)?;
            }
            Ok(json!({"count": found.len(), "id": ""}))
        }
        _ => Err((
            404,
            "RESOURCE_NOT_FOUND",
            format!("unknown model operation {op:?}"),
        )),
    }
}
