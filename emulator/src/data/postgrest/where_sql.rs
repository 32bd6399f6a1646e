//! A filter tree as a parameterised `WHERE` clause over a table's known columns.

use rusqlite::types::Value as SqlValue;

use super::{Node, Operand, RestError, RestQuery};
use crate::data::{Column, quote_ident};

/// A table and its columns, resolved.
pub(crate) struct Table {
    pub quoted: String,
    pub columns: Vec<Column>,
}

impl Table {
    pub(super) fn column(&self, name: &str) -> Result<&Column, RestError> {
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

    pub(super) fn col_sql(&self, name: &str) -> Result<String, RestError> {
        self.column(name).map(|c| quote_ident(&c.name))
    }

    pub(super) fn bools(&self) -> Vec<String> {
        self.columns
            .iter()
            .filter(|c| c.is_bool())
            .map(|c| c.name.clone())
            .collect()
    }

    pub(super) fn select_list(&self, select: &Option<Vec<String>>) -> Result<String, RestError> {
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

pub(super) fn where_clause(
    t: &Table,
    q: &RestQuery,
    params: &mut Vec<SqlValue>,
) -> Result<String, RestError> {
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
