//! The PostgREST dialect of `/v1/rdb/rest`: the query grammar parsed into a filter
//! tree, then executed as parameterised SQL. Values are always bound; column names
//! are checked against the table's columns before they are quoted into SQL.

mod execute;
mod parse;
mod where_sql;

use serde_json::{Value, json};

pub(crate) use execute::{Prefs, delete, insert, select, table, update};
pub(crate) use parse::parse;

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
