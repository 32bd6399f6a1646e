//! The PostgREST filter grammar as this SDK writes it, and the name checks that keep
//! table, schema and column names inside their path segment or parameter.

use crate::error::BuildError;

/// Query parameters PostgREST gives a meaning of their own; a column with one of
/// these names cannot be filtered on with `column=op.value`.
pub const RESERVED_PARAMS: &[&str] = &[
    "select",
    "order",
    "limit",
    "offset",
    "or",
    "and",
    "not",
    "on_conflict",
    "columns",
];

/// Checks a table, schema, instance or column name: not empty, at most 128
/// characters, only letters (any script), digits, `_` and `$` (and `-` in table,
/// schema and instance names, which travel as path segments). Anything else could
/// end a path segment or change the query's structure (`/ . , ( ) " : & = % # ?`,
/// whitespace, control characters), so it is refused before sending.
///
/// ```
/// use cloudbase_core::rdb::validate_name;
/// assert!(validate_name("column", "full_name").is_ok());
/// assert!(validate_name("column", "课程").is_ok());
/// assert!(validate_name("table", "a/../b").is_err());
/// assert!(validate_name("column", "id=gt.0&x").is_err());
/// ```
pub fn validate_name(what: &'static str, name: &str) -> Result<(), BuildError> {
    let invalid = |rule| BuildError::InvalidName {
        what,
        value: name.to_owned(),
        rule,
    };
    if name.is_empty() {
        return Err(invalid("must not be empty"));
    }
    if name.chars().count() > 128 {
        return Err(invalid("must be at most 128 characters long"));
    }
    // `-` is fine inside a path segment (instance ids such as `inst-1`), but in a
    // column it would start PostgREST's JSON arrow `->`.
    let dash_ok = what != "column";
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '$' || (dash_ok && c == '-'))
    {
        return Err(invalid(
            "may contain only letters, digits, '_', '$' (and '-' outside column names): no separators, quotes, spaces or control characters",
        ));
    }
    Ok(())
}

/// Whether a value inside `in.(…)`, `or=(…)` or `and=(…)` must be double-quoted:
/// PostgREST splits those lists on `,` and `)`, reads `(`/`{` starts as nested
/// groups or arrays, and `.`/`:` as separators, so any of the reserved characters,
/// whitespace, non-ASCII or an empty value is quoted.
fn needs_quotes(value: &str) -> bool {
    value.is_empty()
        || value.chars().any(|c| {
            matches!(
                c,
                ',' | '.'
                    | '('
                    | ')'
                    | '"'
                    | ':'
                    | '&'
                    | '='
                    | '%'
                    | '#'
                    | '\\'
                    | '{'
                    | '}'
                    | '['
                    | ']'
                    | '*'
            ) || c.is_whitespace()
                || c.is_control()
                || !c.is_ascii()
        })
}

/// A value as it appears inside a list or logic tree: as is, or in double quotes
/// with `"` and `\` backslash-escaped (PostgREST's `pQuotedValue`).
pub fn quote_in_list(value: &str) -> String {
    if !needs_quotes(value) {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_values_are_quoted_only_when_needed() {
        assert_eq!(quote_in_list("plain"), "plain");
        assert_eq!(quote_in_list("42"), "42");
        assert_eq!(quote_in_list("a,b"), "\"a,b\"");
        assert_eq!(quote_in_list("(x)"), "\"(x)\"");
        assert_eq!(quote_in_list("say \"hi\""), "\"say \\\"hi\\\"\"");
        assert_eq!(quote_in_list("back\\slash"), "\"back\\\\slash\"");
        assert_eq!(quote_in_list(""), "\"\"");
        assert_eq!(quote_in_list("1.5"), "\"1.5\"");
    }
}
