//! Database functions for `/v1/rdb/rest/rpc/{fn}`: SQL declared by a test hook, run
//! on the data connection (under its authorizer) with the call's named arguments
//! bound as `:name` parameters.

use rusqlite::types::Value as SqlValue;
use serde_json::{Map, Value};

use super::{DataStore, json_to_sql, row_to_json};

impl DataStore {
    /// Runs the SQL function `sql` with `args`: its rows as a JSON array of objects.
    /// Parameters the statement does not name are ignored; named ones without an
    /// argument are `NULL`.
    pub fn run_sql_function(
        &self,
        sql: &str,
        args: &Map<String, Value>,
    ) -> rusqlite::Result<Value> {
        let mut stmt = self.conn.prepare(sql)?;
        for i in 1..=stmt.parameter_count() {
            let value = stmt
                .parameter_name(i)
                .and_then(|n| n.strip_prefix([':', '@', '$']))
                .and_then(|n| args.get(n))
                .map(json_to_sql)
                .unwrap_or(SqlValue::Null);
            stmt.raw_bind_parameter(i, value)?;
        }
        let names: Vec<String> = stmt
            .column_names()
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let bools = vec![false; names.len()];
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(Value::Object(row_to_json(row, &names, &bools)?));
        }
        Ok(Value::Array(out))
    }
}
