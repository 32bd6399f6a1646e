//! The `where` object of model queries: a typed builder plus raw JSON.

use serde_json::{Map, Value, json};

/// A comparison operator of the `where` grammar (docs/protocol/models.md §1, the JS client's
/// types). Not-equal is `$neq`, as the reference settles, not MongoDB's `$ne`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op {
    /// `$eq`
    Eq,
    /// `$neq`
    Neq,
    /// `$gt`
    Gt,
    /// `$gte`
    Gte,
    /// `$lt`
    Lt,
    /// `$lte`
    Lte,
    /// `$in` (value: an array)
    In,
    /// `$nin` (value: an array)
    Nin,
    /// `$search`: contains, case-sensitive.
    Search,
    /// `$search_ci`: contains, case-insensitive.
    SearchCi,
    /// `$nsearch`: does not contain.
    NotSearch,
    /// `$nsearch_ci`: does not contain, case-insensitive.
    NotSearchCi,
    /// `$empty`: the field is null (value `true`).
    Empty,
    /// `$nempty`: the field is not null (value `true`).
    NotEmpty,
}

impl Op {
    /// The operator as sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "$eq",
            Op::Neq => "$neq",
            Op::Gt => "$gt",
            Op::Gte => "$gte",
            Op::Lt => "$lt",
            Op::Lte => "$lte",
            Op::In => "$in",
            Op::Nin => "$nin",
            Op::Search => "$search",
            Op::SearchCi => "$search_ci",
            Op::NotSearch => "$nsearch",
            Op::NotSearchCi => "$nsearch_ci",
            Op::Empty => "$empty",
            Op::NotEmpty => "$nempty",
        }
    }
}

/// A model filter (the `where` object).
///
/// ```
/// use cloudbase_core::models::{field, Filter};
///
/// let f = field("done").eq(false).and(field("priority").gte(2));
/// assert_eq!(
///     f.to_json(),
///     serde_json::json!({"$and": [{"done": {"$eq": false}}, {"priority": {"$gte": 2}}]})
/// );
/// assert_eq!(Filter::all().to_json(), serde_json::json!({}));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub enum Filter {
    /// Matches every record (`{}`).
    All,
    /// `{field: {op: value}}`.
    Field {
        /// The field name.
        name: String,
        /// The operator.
        op: Op,
        /// The operand.
        value: Value,
    },
    /// `{"$and": [...]}`: every part matches.
    And(Vec<Filter>),
    /// `{"$or": [...]}`: some part matches.
    Or(Vec<Filter>),
    /// Any `where` object, sent as given (for operators this builder does not name).
    Raw(Value),
}

/// Starts a condition on `name`; see [`Filter`].
pub fn field(name: impl Into<String>) -> FieldRef {
    FieldRef(name.into())
}

/// A field waiting for its operator; see [`field`].
#[derive(Clone, Debug)]
#[must_use]
pub struct FieldRef(String);

macro_rules! ops {
    ($($(#[$doc:meta])* $name:ident => $op:ident),* $(,)?) => {
        impl FieldRef {
            $($(#[$doc])* pub fn $name(self, value: impl Into<Value>) -> Filter {
                Filter::Field { name: self.0, op: Op::$op, value: value.into() }
            })*
        }
    };
}

ops! {
    /// Equal (`$eq`).
    eq => Eq,
    /// Not equal (`$neq`).
    neq => Neq,
    /// Greater than (`$gt`).
    gt => Gt,
    /// Greater than or equal (`$gte`).
    gte => Gte,
    /// Less than (`$lt`).
    lt => Lt,
    /// Less than or equal (`$lte`).
    lte => Lte,
    /// Contains, case-sensitive (`$search`).
    search => Search,
    /// Contains, case-insensitive (`$search_ci`).
    search_ci => SearchCi,
    /// Does not contain (`$nsearch`).
    not_search => NotSearch,
    /// Does not contain, case-insensitive (`$nsearch_ci`).
    not_search_ci => NotSearchCi,
}

impl FieldRef {
    /// One of these values (`$in`).
    pub fn is_in<V: Into<Value>>(self, values: impl IntoIterator<Item = V>) -> Filter {
        self.with(
            Op::In,
            Value::Array(values.into_iter().map(Into::into).collect()),
        )
    }

    /// None of these values (`$nin`).
    pub fn not_in<V: Into<Value>>(self, values: impl IntoIterator<Item = V>) -> Filter {
        self.with(
            Op::Nin,
            Value::Array(values.into_iter().map(Into::into).collect()),
        )
    }

    /// The field is null or missing (`$empty: true`).
    pub fn is_empty(self) -> Filter {
        self.with(Op::Empty, Value::Bool(true))
    }

    /// The field has a value (`$nempty: true`).
    pub fn is_not_empty(self) -> Filter {
        self.with(Op::NotEmpty, Value::Bool(true))
    }

    /// Any operator with any operand.
    pub fn with(self, op: Op, value: Value) -> Filter {
        Filter::Field {
            name: self.0,
            op,
            value,
        }
    }
}

impl Filter {
    /// Matches every record.
    pub fn all() -> Self {
        Filter::All
    }

    /// A raw `where` object, sent as given.
    pub fn raw(value: Value) -> Self {
        Filter::Raw(value)
    }

    /// This and `other` (flattens nested `$and`s; [`Filter::All`] drops out).
    pub fn and(self, other: Filter) -> Self {
        match (self, other) {
            (Filter::All, f) | (f, Filter::All) => f,
            (Filter::And(mut a), Filter::And(b)) => {
                a.extend(b);
                Filter::And(a)
            }
            (Filter::And(mut a), f) => {
                a.push(f);
                Filter::And(a)
            }
            (f, g) => Filter::And(vec![f, g]),
        }
    }

    /// This or `other`.
    pub fn or(self, other: Filter) -> Self {
        match (self, other) {
            (Filter::Or(mut a), Filter::Or(b)) => {
                a.extend(b);
                Filter::Or(a)
            }
            (Filter::Or(mut a), f) => {
                a.push(f);
                Filter::Or(a)
            }
            (f, g) => Filter::Or(vec![f, g]),
        }
    }

    /// Whether this filter matches every record (so an update or delete of "all
    /// matches" would touch everything).
    pub fn matches_everything(&self) -> bool {
        match self {
            Filter::All => true,
            Filter::Field { .. } => false,
            Filter::And(parts) => parts.iter().all(Filter::matches_everything),
            Filter::Or(parts) => parts.is_empty() || parts.iter().any(Filter::matches_everything),
            Filter::Raw(v) => raw_matches_everything(v),
        }
    }

    /// The `where` object as sent.
    pub fn to_json(&self) -> Value {
        match self {
            Filter::All => Value::Object(Map::new()),
            Filter::Field { name, op, value } => json!({ name: { op.as_str(): value } }),
            Filter::And(parts) => {
                json!({"$and": parts.iter().map(Filter::to_json).collect::<Vec<_>>()})
            }
            Filter::Or(parts) => {
                json!({"$or": parts.iter().map(Filter::to_json).collect::<Vec<_>>()})
            }
            Filter::Raw(v) => v.clone(),
        }
    }
}

fn raw_matches_everything(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(map) => map.iter().all(|(k, v)| match (k.as_str(), v) {
            ("$and", Value::Array(parts)) => parts.iter().all(raw_matches_everything),
            ("$or", Value::Array(parts)) => {
                parts.is_empty() || parts.iter().any(raw_matches_everything)
            }
            _ => false,
        }),
        _ => false,
    }
}

impl From<Value> for Filter {
    fn from(v: Value) -> Self {
        Filter::Raw(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_matches_the_transcript() {
        // models.jsonl, models/list/orderBy-and-operators.
        let f = field("priority")
            .gt(1)
            .and(field("title").is_in(["a", "b"]));
        assert_eq!(
            f.to_json(),
            json!({"$and": [{"priority": {"$gt": 1}}, {"title": {"$in": ["a", "b"]}}]})
        );
        assert_eq!(field("x").neq(1).to_json(), json!({"x": {"$neq": 1}}));
    }

    #[test]
    fn everything_matching_filters_are_recognised() {
        assert!(Filter::all().matches_everything());
        assert!(Filter::raw(json!({})).matches_everything());
        assert!(Filter::raw(json!({"$and": [{}, {"$or": [{}]}]})).matches_everything());
        assert!(Filter::And(vec![]).matches_everything());
        assert!(!field("a").eq(1).matches_everything());
        assert!(!Filter::raw(json!({"a": {"$eq": 1}})).matches_everything());
        assert!(field("a").eq(1).or(Filter::All).matches_everything());
    }
}
