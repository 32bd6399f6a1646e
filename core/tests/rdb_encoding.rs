//! Property: for arbitrary values, the query this SDK sends decodes — by an
//! independent, test-only parser of PostgREST's filter grammar — to the same filter
//! tree. So no value can change the query's structure. The parser and the driver
//! harness are shared with the `postgrest_encoder` fuzz target.

use cloudbase_core::rdb::{Filter, IsValue, Op};
use proptest::prelude::*;

#[path = "fuzz_entries/mod.rs"]
mod entries;

use entries::postgrest::parse;

/// The query string the real driver sends for `filters`.
fn encoded(filters: &[Filter]) -> String {
    entries::encoded(filters).expect("the filters are valid")
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
