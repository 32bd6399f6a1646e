//! The query grammar: `select`, filters (`col=op.value`, `or=(…)`, `not.`), `order`,
//! `limit` / `offset`, parsed into a [`RestQuery`].

use super::{Node, Operand, RestError, RestQuery};

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
