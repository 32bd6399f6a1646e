//! `mysqlCommand` and SQL templates: `{{ name }}` placeholders become bound
//! parameters (never spliced), then the statement runs against the data database.

use rusqlite::types::Value as SqlValue;
use serde_json::{Value, json};

use super::models::Refusal;
use super::{DataStore, query_json};

fn invalid(message: impl Into<String>) -> Refusal {
    (400, "INVALID_PARAM", message.into())
}

/// `[{key, type, value}]` → typed SQL values by key.
fn parameters(list: Option<&Value>) -> Result<Vec<(String, SqlValue)>, Refusal> {
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    let Value::Array(items) = list else {
        return Err(invalid("parameter must be an array"));
    };
    items
        .iter()
        .map(|item| {
            let key = item
                .get("key")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("parameter.key is required"))?;
            let ty = item.get("type").and_then(Value::as_str).unwrap_or("STRING");
            let text = match item.get("value") {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            let v = match ty {
                "STRING" => SqlValue::Text(text),
                "NUMBER" => match text.parse::<i64>() {
                    Ok(i) => SqlValue::Integer(i),
                    Err(_) => SqlValue::Real(
                        text.parse::<f64>()
                            .map_err(|_| invalid(format!("parameter {key:?} is not a number")))?,
                    ),
                },
                "BOOLEAN" => SqlValue::Integer(i64::from(text == "true")),
                "ARRAY" | "OBJECT" => SqlValue::Text(text),
                other => return Err(invalid(format!("unknown parameter type {other:?}"))),
            };
            Ok((key.to_owned(), v))
        })
        .collect()
}

/// Replaces each `{{ name }}` with `?` and lists the bound values in order.
fn bind_template(
    template: &str,
    params: &[(String, SqlValue)],
) -> Result<(String, Vec<SqlValue>), Refusal> {
    let mut sql = String::with_capacity(template.len());
    let mut bound = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        sql.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| invalid("unclosed {{ in sqlTemplate"))?;
        let name = after[..end].trim();
        let value = params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| invalid(format!("no parameter for {{{{ {name} }}}}")))?;
        sql.push('?');
        bound.push(value);
        rest = &after[end + 2..];
    }
    sql.push_str(rest);
    Ok((sql, bound))
}

/// Runs a template; a statement with result columns answers its rows.
pub(crate) fn execute(
    store: &DataStore,
    template: &str,
    parameter: Option<&Value>,
) -> Result<Value, Refusal> {
    let params = parameters(parameter)?;
    let (sql, bound) = bind_template(template, &params)?;
    let stmt = store
        .conn
        .prepare(&sql)
        .map_err(|e| invalid(format!("SQL error: {e}")))?;
    let returns_rows = stmt.column_count() > 0;
    drop(stmt);
    if returns_rows {
        let rows = query_json(&store.conn, &sql, &bound, &[])
            .map_err(|e| invalid(format!("SQL error: {e}")))?;
        let total = rows.len();
        Ok(
            json!({"executeResultList": rows, "total": total, "backendExecute": {"affectedRows": 0}}),
        )
    } else {
        let n = store
            .conn
            .execute(&sql, rusqlite::params_from_iter(bound.iter()))
            .map_err(|e| invalid(format!("SQL error: {e}")))?;
        Ok(json!({"executeResultList": [], "total": n, "backendExecute": {"affectedRows": n}}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_bound_not_spliced() {
        let params = vec![(
            "t".to_owned(),
            SqlValue::Text("x'); DROP TABLE a; --".into()),
        )];
        let (sql, bound) = bind_template("SELECT * FROM a WHERE t = {{ t }} OR u = {{t}}", &params)
            .expect("binds");
        assert_eq!(sql, "SELECT * FROM a WHERE t = ? OR u = ?");
        assert_eq!(bound.len(), 2);
        assert!(bind_template("SELECT {{ missing }}", &params).is_err());
    }
}
