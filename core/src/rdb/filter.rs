//! Filters: a column compared with a value, `is`, `in`, full-text search, and
//! `not` / `or` / `and` trees, each rendered as one PostgREST query pair.

use super::encode::{RESERVED_PARAMS, quote_in_list, validate_name};
use crate::error::BuildError;

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op {
    /// `eq`
    Eq,
    /// `neq`
    Neq,
    /// `gt`
    Gt,
    /// `gte`
    Gte,
    /// `lt`
    Lt,
    /// `lte`
    Lte,
    /// `like` (`%` and `*` are wildcards)
    Like,
    /// `ilike` (case-insensitive `like`)
    Ilike,
    /// `match` (regular expression; MySQL `REGEXP`)
    Match,
}

impl Op {
    /// The operator as sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Neq => "neq",
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::Like => "like",
            Op::Ilike => "ilike",
            Op::Match => "match",
        }
    }

    /// Every operator, for parsers and tests.
    pub const ALL: [Op; 9] = [
        Op::Eq,
        Op::Neq,
        Op::Gt,
        Op::Gte,
        Op::Lt,
        Op::Lte,
        Op::Like,
        Op::Ilike,
        Op::Match,
    ];
}

/// The operand of `is`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IsValue {
    /// `is.null`
    Null,
    /// `is.true`
    True,
    /// `is.false`
    False,
    /// `is.unknown`
    Unknown,
}

impl IsValue {
    /// The operand as sent.
    pub fn as_str(self) -> &'static str {
        match self {
            IsValue::Null => "null",
            IsValue::True => "true",
            IsValue::False => "false",
            IsValue::Unknown => "unknown",
        }
    }
}

/// One filter: a condition on a column, or an `or`/`and` group. `negated` is the
/// PostgREST `not.` prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter {
    /// `column=[not.]op.value`
    Cmp {
        /// The column.
        column: String,
        /// `not.`
        negated: bool,
        /// The operator.
        op: Op,
        /// The value, verbatim.
        value: String,
    },
    /// `column=[not.]in.(v1,v2,…)`
    In {
        /// The column.
        column: String,
        /// `not.`
        negated: bool,
        /// The values.
        values: Vec<String>,
    },
    /// `column=[not.]is.null|true|false|unknown`
    Is {
        /// The column.
        column: String,
        /// `not.`
        negated: bool,
        /// The operand.
        value: IsValue,
    },
    /// `[not.]or=(…)` / `[not.]and=(…)`, or nested `or(…)`/`and(…)` inside a group.
    Group {
        /// `or` (true) or `and` (false).
        any: bool,
        /// `not.`
        negated: bool,
        /// The members.
        parts: Vec<Filter>,
    },
    /// `column=<expression>` exactly as given (Flutter-style filter maps such as
    /// `{"age": "gt.18"}`, and operators this builder does not name).
    Raw {
        /// The column.
        column: String,
        /// The `op.value` expression.
        expression: String,
    },
}

impl Filter {
    /// `column.op.value` (a condition's parts). Conditions on a column.
    pub fn cmp(column: impl Into<String>, op: Op, value: impl std::fmt::Display) -> Self {
        Filter::Cmp {
            column: column.into(),
            negated: false,
            op,
            value: value.to_string(),
        }
    }

    /// The same filter with `not.` toggled (also `!filter`).
    pub fn negate(self) -> Self {
        match self {
            Filter::Cmp {
                column,
                negated,
                op,
                value,
            } => Filter::Cmp {
                column,
                negated: !negated,
                op,
                value,
            },
            Filter::In {
                column,
                negated,
                values,
            } => Filter::In {
                column,
                negated: !negated,
                values,
            },
            Filter::Is {
                column,
                negated,
                value,
            } => Filter::Is {
                column,
                negated: !negated,
                value,
            },
            Filter::Group {
                any,
                negated,
                parts,
            } => Filter::Group {
                any,
                negated: !negated,
                parts,
            },
            Filter::Raw { column, expression } => Filter::Raw {
                column,
                expression: format!("not.{expression}"),
            },
        }
    }

    pub(super) fn check(&self) -> Result<(), BuildError> {
        match self {
            Filter::Cmp { column, .. }
            | Filter::In { column, .. }
            | Filter::Is { column, .. }
            | Filter::Raw { column, .. } => {
                validate_name("column", column)?;
                if RESERVED_PARAMS.contains(&column.as_str()) {
                    return Err(BuildError::InvalidName {
                        what: "column",
                        value: column.clone(),
                        rule: "is a reserved PostgREST parameter name and cannot be filtered on",
                    });
                }
                if let Filter::Raw { expression, .. } = self
                    && expression.is_empty()
                {
                    return Err(BuildError::InvalidInput {
                        field: "filter",
                        reason: format!("empty expression for column {column:?}"),
                    });
                }
                Ok(())
            }
            Filter::Group { parts, .. } => {
                if parts.is_empty() {
                    return Err(BuildError::InvalidInput {
                        field: "filter",
                        reason: "an or/and group needs at least one member".into(),
                    });
                }
                if parts.iter().any(|p| matches!(p, Filter::Raw { .. })) {
                    return Err(BuildError::InvalidInput {
                        field: "filter",
                        reason: "raw expressions cannot be nested in an or/and group".into(),
                    });
                }
                parts.iter().try_for_each(Filter::check)
            }
        }
    }

    /// The query pair for a top-level filter.
    pub fn to_query_pair(&self) -> (String, String) {
        let not = |n: bool| if n { "not." } else { "" };
        match self {
            Filter::Cmp {
                column,
                negated,
                op,
                value,
            } => {
                // Pushed, not `format!`ed: a query's filters are built on every call.
                let (not, op) = (not(*negated), op.as_str());
                let mut v = String::with_capacity(not.len() + op.len() + 1 + value.len());
                v.push_str(not);
                v.push_str(op);
                v.push('.');
                v.push_str(value);
                (column.clone(), v)
            }
            Filter::In {
                column,
                negated,
                values,
            } => (
                column.clone(),
                format!("{}in.({})", not(*negated), in_list(values)),
            ),
            Filter::Is {
                column,
                negated,
                value,
            } => (
                column.clone(),
                format!("{}is.{}", not(*negated), value.as_str()),
            ),
            Filter::Group {
                any,
                negated,
                parts,
            } => (
                format!("{}{}", not(*negated), if *any { "or" } else { "and" }),
                format!("({})", group_members(parts)),
            ),
            Filter::Raw { column, expression } => (column.clone(), expression.clone()),
        }
    }

    /// The member form inside a group: `column.op.value`, `or(…)`.
    fn to_member(&self) -> String {
        let not = |n: bool| if n { "not." } else { "" };
        match self {
            Filter::Cmp {
                column,
                negated,
                op,
                value,
            } => format!(
                "{column}.{}{}.{}",
                not(*negated),
                op.as_str(),
                quote_in_list(value)
            ),
            Filter::In {
                column,
                negated,
                values,
            } => format!("{column}.{}in.({})", not(*negated), in_list(values)),
            Filter::Is {
                column,
                negated,
                value,
            } => format!("{column}.{}is.{}", not(*negated), value.as_str()),
            Filter::Group {
                any,
                negated,
                parts,
            } => format!(
                "{}{}({})",
                not(*negated),
                if *any { "or" } else { "and" },
                group_members(parts)
            ),
            Filter::Raw { column, expression } => format!("{column}.{expression}"),
        }
    }
}

impl std::ops::Not for Filter {
    type Output = Filter;

    fn not(self) -> Filter {
        self.negate()
    }
}

fn in_list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| quote_in_list(v))
        .collect::<Vec<_>>()
        .join(",")
}

fn group_members(parts: &[Filter]) -> String {
    parts
        .iter()
        .map(Filter::to_member)
        .collect::<Vec<_>>()
        .join(",")
}
