//! Requests compared with the official JS SDK's (transcripts/mysql.jsonl), by
//! decoded query pairs: the JS SDK form-encodes (`+`, `%2C`), this SDK
//! percent-encodes with `encodeURIComponent`'s set; both decode the same.

use super::call::{decode_count, decode_counted, decode_maybe_single, decode_rows};
use super::*;
use crate::Error;
use crate::{BuildError, Config, OneShot, RequestContext, Session};
use http::{Method, StatusCode};
use serde_json::Value;

fn sent<O>(call: &RdbCall<O>) -> http::Request<Vec<u8>> {
    crate::request::request_for_test(call)
}

fn pairs(req: &http::Request<Vec<u8>>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn p(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn selects_and_filters_match_the_transcript() {
    let r = sent(&from("course").fetch::<Value>());
    assert_eq!(r.method(), Method::GET);
    assert_eq!(r.uri().path(), "/v1/rdb/rest/course");
    assert_eq!(pairs(&r), p(&[("select", "*")]));
    assert_eq!(r.headers()["content-type"], "application/json");

    let r = sent(
        &from("course")
            .select("id, name, \"full name\"")
            .fetch::<Value>(),
    );
    assert_eq!(pairs(&r), p(&[("select", "id,name,\"full name\"")]));

    let r = sent(
        &from("course")
            .select("id,name")
            .eq("name", "math, (x)")
            .fetch::<Value>(),
    );
    assert_eq!(
        pairs(&r),
        p(&[("select", "id,name"), ("name", "eq.math, (x)")])
    );

    let r = sent(
        &from("course")
            .select("id")
            .gt("age", 18)
            .gte("score", 60)
            .lt("age", 65)
            .lte("score", 100)
            .fetch::<Value>(),
    );
    assert_eq!(
        pairs(&r),
        p(&[
            ("select", "id"),
            ("age", "gt.18"),
            ("score", "gte.60"),
            ("age", "lt.65"),
            ("score", "lte.100")
        ])
    );

    let r = sent(
        &from("course")
            .select("id")
            .like("name", "%张三%")
            .fetch::<Value>(),
    );
    assert_eq!(pairs(&r), p(&[("select", "id"), ("name", "like.%张三%")]));
    assert!(
        r.uri()
            .query()
            .unwrap_or("")
            .contains("like.%25%E5%BC%A0%E4%B8%89%25")
    );

    let r = sent(
        &from("course")
            .select("id")
            .is("deleted_at", IsValue::Null)
            .fetch::<Value>(),
    );
    assert_eq!(pairs(&r), p(&[("select", "id"), ("deleted_at", "is.null")]));

    let r = sent(
        &from("course")
            .select("id")
            .in_list("id", [1, 2, 3])
            .fetch::<Value>(),
    );
    assert_eq!(pairs(&r), p(&[("select", "id"), ("id", "in.(1,2,3)")]));

    // The JS SDK leaves `say "hi"` and `it's` bare; quoting every reserved character
    // is this SDK's deliberate difference (see the module docs).
    let r = sent(
        &from("course")
            .select("id")
            .in_list("name", ["plain", "a,b", "(x)", "say \"hi\"", "it's"])
            .fetch::<Value>(),
    );
    assert_eq!(
        pairs(&r),
        p(&[
            ("select", "id"),
            ("name", r#"in.(plain,"a,b","(x)","say \"hi\"",it's)"#)
        ])
    );

    let r = sent(
        &from("course")
            .select("id")
            .not("status", Op::Eq, "archived")
            .filter(Filter::Is {
                column: "deleted_at".into(),
                negated: true,
                value: IsValue::Null,
            })
            .fetch::<Value>(),
    );
    assert_eq!(
        pairs(&r),
        p(&[
            ("select", "id"),
            ("status", "not.eq.archived"),
            ("deleted_at", "not.is.null")
        ])
    );

    let r = sent(
        &from("course")
            .select("id")
            .or([
                Filter::cmp("age", Op::Lt, 18),
                Filter::cmp("name", Op::Eq, "bob"),
            ])
            .fetch::<Value>(),
    );
    assert_eq!(
        pairs(&r),
        p(&[("select", "id"), ("or", "(age.lt.18,name.eq.bob)")])
    );

    let r = sent(
        &from("course")
            .select("id")
            .match_all([("grade", 3), ("class_number", 2)])
            .fetch::<Value>(),
    );
    assert_eq!(
        pairs(&r),
        p(&[
            ("select", "id"),
            ("grade", "eq.3"),
            ("class_number", "eq.2")
        ])
    );
}

#[test]
fn order_paging_single_and_count_match_the_transcript() {
    let r = sent(
        &from("course")
            .select("id")
            .order("grade", Direction::Desc)
            .order_with_nulls("name", Direction::Asc, Some(Nulls::First))
            .fetch::<Value>(),
    );
    assert_eq!(
        pairs(&r),
        p(&[
            ("select", "id"),
            ("order", "grade.desc,name.asc.nullsfirst")
        ])
    );

    let r = sent(&from("course").select("id").range(10, 19).fetch::<Value>());
    assert_eq!(
        pairs(&r),
        p(&[("select", "id"), ("offset", "10"), ("limit", "10")])
    );

    let r = sent(
        &from("course")
            .select("id,name")
            .eq("id", 1)
            .single::<Value>(),
    );
    assert_eq!(r.headers()["accept"], OBJECT_MEDIA_TYPE);
    let r = sent(
        &from("course")
            .select("id,name")
            .eq("id", 1)
            .maybe_single::<Value>(),
    );
    assert_eq!(r.headers()["accept"], "application/json");

    let r = sent(&from("course").count());
    assert_eq!(r.method(), Method::HEAD);
    assert_eq!(pairs(&r), p(&[("select", "*")]));
    assert_eq!(r.headers()["prefer"], "count=exact");

    let r = sent(
        &from("course")
            .select("id")
            .eq("grade", 3)
            .fetch_counted::<Value>(),
    );
    assert_eq!(r.method(), Method::GET);
    assert_eq!(r.headers()["prefer"], "count=exact");
}

#[test]
fn writes_match_the_transcript() {
    let r = sent(&from("course").insert(&serde_json::json!({"id": 9, "name": "art"})));
    assert_eq!(r.method(), Method::POST);
    assert_eq!(pairs(&r), vec![]);
    assert_eq!(r.body(), br#"{"id":9,"name":"art"}"#);

    let rows = serde_json::json!([{"id": 10, "name": "music"}, {"id": 11, "title": "pe"}]);
    let r = sent(&from("course").insert(&rows));
    assert_eq!(pairs(&r), p(&[("columns", "\"id\",\"name\",\"title\"")]));

    let r = sent(
        &from("course")
            .insert(&serde_json::json!({"id": 12}))
            .returning::<Value>(),
    );
    assert_eq!(pairs(&r), p(&[("select", "*")]));
    assert_eq!(r.headers()["prefer"], "return=representation");

    let r = sent(
        &from("course")
            .upsert(&serde_json::json!({"id": 9, "name": "art2"}))
            .on_conflict(["id"]),
    );
    assert_eq!(pairs(&r), p(&[("on_conflict", "id")]));
    assert_eq!(r.headers()["prefer"], "resolution=merge-duplicates");

    let r = sent(
        &from("course")
            .upsert(&serde_json::json!([{"id": 9, "name": "x"}, {"id": 13, "name": "y"}]))
            .on_conflict(["id", "name"])
            .resolution(Resolution::IgnoreDuplicates),
    );
    assert_eq!(
        pairs(&r),
        p(&[("on_conflict", "id,name"), ("columns", "\"id\",\"name\"")])
    );
    assert_eq!(r.headers()["prefer"], "resolution=ignore-duplicates");

    let r = sent(
        &from("course")
            .eq("id", 9)
            .update(&serde_json::json!({"name": "history"})),
    );
    assert_eq!(r.method(), Method::PATCH);
    assert_eq!(pairs(&r), p(&[("id", "eq.9")]));

    let r = sent(
        &from("course")
            .select("id,name")
            .eq("id", 9)
            .update(&serde_json::json!({"name": "h2"}))
            .returning::<Value>(),
    );
    assert_eq!(pairs(&r), p(&[("select", "id,name"), ("id", "eq.9")]));
    assert_eq!(r.headers()["prefer"], "return=representation");

    let r = sent(
        &from("course")
            .in_list("id", [10, 11])
            .delete()
            .returning::<Value>(),
    );
    assert_eq!(r.method(), Method::DELETE);
    assert_eq!(pairs(&r), p(&[("select", "*"), ("id", "in.(10,11)")]));

    let r = sent(
        &from("course")
            .schema("school")
            .instance("inst-1")
            .select("id")
            .limit(1)
            .fetch::<Value>(),
    );
    assert_eq!(r.uri().path(), "/v1/rdb/rest/inst-1/school/course");
}

fn refused<O>(call: RdbCall<O>) -> BuildError {
    let config = Config::builder("e")
        .publishable_key("pk")
        .build()
        .expect("config");
    let session = Session::default();
    let cx = RequestContext::new(&config, &session, std::time::SystemTime::UNIX_EPOCH);
    match call.request(&cx) {
        Err(crate::Error::Build(e)) => e,
        other => panic!("expected a build error, got {other:?}"),
    }
}

#[test]
fn unsafe_input_is_refused_before_sending() {
    assert_eq!(
        refused(from("course").update(&serde_json::json!({"a": 1}))),
        BuildError::MissingFilter {
            operation: "update"
        }
    );
    assert_eq!(
        refused(from("course").delete()),
        BuildError::MissingFilter {
            operation: "delete"
        }
    );
    for bad in ["", "a/b", "..", "a b", "a?b", "a#b", "a\nb", "a.b", "a,b"] {
        assert!(
            matches!(
                refused(from(bad).fetch::<Value>()),
                BuildError::InvalidName { .. }
            ),
            "{bad:?}"
        );
        assert!(
            matches!(
                refused(from("t").eq(bad, 1).fetch::<Value>()),
                BuildError::InvalidName { .. }
            ),
            "{bad:?}"
        );
    }
    assert!(matches!(
        refused(from("t").eq("select", 1).fetch::<Value>()),
        BuildError::InvalidName { .. }
    ));
    assert!(matches!(
        refused(from("t").instance("i").fetch::<Value>()),
        BuildError::InvalidInput { .. }
    ));
    assert!(matches!(
        refused(from("t").insert(&serde_json::json!([{"a b": 1}]))),
        BuildError::InvalidName { .. }
    ));
    assert!(matches!(
        refused(from("t").or([]).fetch::<Value>()),
        BuildError::InvalidInput { .. }
    ));
    assert!(matches!(
        refused(from("t").order("x;drop", Direction::Asc).fetch::<Value>()),
        BuildError::InvalidName { .. }
    ));
}

#[test]
fn hostile_top_level_values_stay_one_parameter() {
    let r = sent(&from("t").eq("name", "a&id=gt.0#x").fetch::<Value>());
    assert_eq!(pairs(&r), p(&[("select", "*"), ("name", "eq.a&id=gt.0#x")]));
    assert!(!r.uri().query().unwrap_or("").contains("&id="));
}

#[test]
fn answers_decode() {
    let resp = |status: u16, range: Option<&str>, body: &str| {
        let mut b = http::Response::builder().status(status);
        if let Some(r) = range {
            b = b.header("content-range", r);
        }
        b.body(body.as_bytes().to_vec()).expect("response")
    };
    assert_eq!(
        decode_count(&resp(200, Some("0-9/100"), "")).expect("count"),
        100
    );
    assert_eq!(decode_count(&resp(200, Some("*/0"), "")).expect("count"), 0);
    assert!(decode_count(&resp(200, Some("0-9/*"), "")).is_err());
    let c: Counted<Value> = decode_counted(&resp(200, Some("0-1/5"), "[1,2]")).expect("rows");
    assert_eq!((c.rows.len(), c.total), (2, Some(5)));
    assert!(
        decode_rows::<Value>(&resp(204, None, ""))
            .expect("empty")
            .is_empty()
    );
    assert_eq!(
        decode_maybe_single::<i64>(&resp(200, None, "[]")).expect("none"),
        None
    );
    assert_eq!(
        decode_maybe_single::<i64>(&resp(200, None, "[7]")).expect("one"),
        Some(7)
    );
    match decode_maybe_single::<i64>(&resp(200, None, "[1,2]")) {
        Err(Error::Server(e)) => assert_eq!(e.status, StatusCode::NOT_ACCEPTABLE),
        other => panic!("{other:?}"),
    }
}
