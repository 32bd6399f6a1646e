//! Property: for arbitrary values, the query this SDK sends decodes — by an
//! independent, test-only parser of PostgREST's filter grammar — to the same filter
//! tree. So no value can change the query's structure.

use std::time::SystemTime;

use cloudbase_core::rdb::{Filter, IsValue, Op, from};
use cloudbase_core::{Call, ClientState, Config, Step};
use proptest::prelude::*;
use rand::SeedableRng;

/// Sends `filters` through the real driver and returns the request's query string.
fn encoded(filters: &[Filter]) -> String {
    let config = Config::builder("e")
        .publishable_key("pk")
        .build()
        .expect("config");
    let mut state = ClientState::new(config, Box::new(rand::rngs::StdRng::seed_from_u64(7)));
    let mut query = from("t");
    for f in filters {
        query = query.filter(f.clone());
    }
    let mut call = Call::new(query.fetch::<serde_json::Value>());
    match call.poll(&mut state, SystemTime::UNIX_EPOCH) {
        Step::Send(req) => req.uri().query().unwrap_or("").to_owned(),
        other => panic!("expected a request, got {other:?}"),
    }
}

// ---- the test-only parser (PostgREST grammar: pSingleVal, pListVal, pLogicTree) ----

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ascii");
            out.push(u8::from_str_radix(hex, 16).expect("hex"));
            i += 3;
        } else {
            assert!(
                bytes[i] != b'&' && bytes[i] != b'=' && bytes[i] != b'#' && bytes[i] != b'+',
                "raw {:?} in a value",
                bytes[i] as char
            );
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("utf-8")
}

fn op_of(name: &str) -> Option<Op> {
    Op::ALL.into_iter().find(|o| o.as_str() == name)
}

fn is_of(name: &str) -> IsValue {
    match name {
        "null" => IsValue::Null,
        "true" => IsValue::True,
        "false" => IsValue::False,
        "unknown" => IsValue::Unknown,
        other => panic!("bad is operand {other:?}"),
    }
}

struct P<'a> {
    s: &'a [char],
    i: usize,
}

impl P<'_> {
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
    fn expect(&mut self, text: &str) {
        assert!(self.eat(text), "expected {text:?} at {}", self.i);
    }
    fn word(&mut self) -> String {
        let start = self.i;
        while let Some(c) = self.peek() {
            if c == '.' || c == ',' || c == '(' || c == ')' {
                break;
            }
            self.i += 1;
        }
        self.s[start..self.i].iter().collect()
    }
    /// A value inside a list or tree: quoted with escapes, or a bare run.
    fn value(&mut self) -> String {
        if self.eat("\"") {
            let mut out = String::new();
            loop {
                match self.peek().expect("unterminated quote") {
                    '"' => {
                        self.i += 1;
                        return out;
                    }
                    '\\' => {
                        out.push(self.s[self.i + 1]);
                        self.i += 2;
                    }
                    c => {
                        out.push(c);
                        self.i += 1;
                    }
                }
            }
        }
        let start = self.i;
        while let Some(c) = self.peek() {
            if c == ',' || c == ')' {
                break;
            }
            self.i += 1;
        }
        self.s[start..self.i].iter().collect()
    }
    fn list(&mut self) -> Vec<String> {
        self.expect("(");
        let mut out = Vec::new();
        if self.eat(")") {
            return out;
        }
        loop {
            out.push(self.value());
            if self.eat(")") {
                return out;
            }
            self.expect(",");
        }
    }
    fn members(&mut self) -> Vec<Filter> {
        self.expect("(");
        let mut out = Vec::new();
        loop {
            out.push(self.member());
            if self.eat(")") {
                return out;
            }
            self.expect(",");
        }
    }
    fn member(&mut self) -> Filter {
        let negated = self.eat("not.");
        for (word, any) in [("or(", true), ("and(", false)] {
            if self.eat(word) {
                self.i -= 1;
                return Filter::Group {
                    any,
                    negated,
                    parts: self.members(),
                };
            }
        }
        assert!(!negated, "not. before a column inside a group");
        let column = self.word();
        self.expect(".");
        self.condition(column, |p| p.value())
    }
    fn condition(&mut self, column: String, value: impl Fn(&mut Self) -> String) -> Filter {
        let negated = self.eat("not.");
        let op = self.word();
        self.expect(".");
        match op.as_str() {
            "in" => Filter::In {
                column,
                negated,
                values: self.list(),
            },
            "is" => Filter::Is {
                column,
                negated,
                value: is_of(&self.word()),
            },
            other => Filter::Cmp {
                column,
                negated,
                op: op_of(other).expect("known operator"),
                value: value(self),
            },
        }
    }
}

fn parse(query: &str) -> Vec<Filter> {
    let mut out = Vec::new();
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').expect("k=v");
        let (k, v) = (percent_decode(k), percent_decode(v));
        if k == "select" {
            continue;
        }
        let chars: Vec<char> = v.chars().collect();
        let mut p = P { s: &chars, i: 0 };
        let group = match k.as_str() {
            "or" | "and" | "not.or" | "not.and" => Some((k.ends_with("or"), k.starts_with("not."))),
            _ => None,
        };
        let f = match group {
            Some((any, negated)) => Filter::Group {
                any,
                negated,
                parts: p.members(),
            },
            // Top level: the value after `op.` is the rest of the string, verbatim.
            None => p.condition(k, |p| {
                let rest: String = p.s[p.i..].iter().collect();
                p.i = p.s.len();
                rest
            }),
        };
        assert_eq!(p.i, chars.len(), "trailing input in {v:?}");
        out.push(f);
    }
    out
}

// ---- strategies ----

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        Just(String::new()),
        prop::sample::select(vec![
            ",", ")", "(", "&id=gt.0", "\"", "'", "%", "%25", "😀", "a\nb", " lead", "trail ",
            "\\", "\\\"", "x.y", "a:b", "{1,2}", "[1]", "null", "*", "#frag", "+",
        ])
        .prop_map(str::to_owned),
    ]
}

fn column() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["id", "name", "课程", "a_b", "$x"]).prop_map(str::to_owned)
}

fn leaf() -> impl Strategy<Value = Filter> {
    let op = prop::sample::select(Op::ALL.to_vec());
    let is = prop::sample::select(vec![
        IsValue::Null,
        IsValue::True,
        IsValue::False,
        IsValue::Unknown,
    ]);
    prop_oneof![
        (column(), any::<bool>(), op, value()).prop_map(|(column, negated, op, value)| {
            Filter::Cmp {
                column,
                negated,
                op,
                value,
            }
        }),
        (
            column(),
            any::<bool>(),
            prop::collection::vec(value(), 0..4)
        )
            .prop_map(|(column, negated, values)| Filter::In {
                column,
                negated,
                values
            }),
        (column(), any::<bool>(), is).prop_map(|(column, negated, value)| Filter::Is {
            column,
            negated,
            value
        }),
    ]
}

fn tree() -> impl Strategy<Value = Filter> {
    leaf().prop_recursive(3, 16, 4, |inner| {
        (
            any::<bool>(),
            any::<bool>(),
            prop::collection::vec(inner, 1..4),
        )
            .prop_map(|(any, negated, parts)| Filter::Group {
                any,
                negated,
                parts,
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn encoded_filters_decode_to_the_same_tree(filters in prop::collection::vec(tree(), 1..4)) {
        let query = encoded(&filters);
        prop_assert_eq!(parse(&query), filters);
    }
}

#[test]
fn the_parser_reads_the_transcripts_forms() {
    let q = "select=id&or=%28age.lt.18%2Cname.eq.bob%29&name=in.%28plain%2C%22a%2Cb%22%29";
    assert_eq!(
        parse(q),
        vec![
            Filter::Group {
                any: true,
                negated: false,
                parts: vec![
                    Filter::cmp("age", Op::Lt, 18),
                    Filter::cmp("name", Op::Eq, "bob")
                ],
            },
            Filter::In {
                column: "name".into(),
                negated: false,
                values: vec!["plain".into(), "a,b".into()]
            },
        ]
    );
}
