//! Data scenarios: models, SQL, data sources and MySQL REST on both adapters.
#![allow(clippy::unwrap_used, dead_code)]

use cloudbase_core::models::{DataEnv, DataSourceRef, Filter, Query, Sort, SqlParams, field};
use cloudbase_core::rdb::{self, Direction, IsValue, Nulls, Op, Resolution};
use cloudbase_core::{BuildError, Error, GatewayErrorCode, ServerCode};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::*;

const API_KEY: &str = "ak_test_admin";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Todo {
    title: String,
    done: bool,
    #[serde(default)]
    priority: i64,
}

#[derive(Debug, Deserialize)]
struct Stored {
    #[serde(rename = "_id")]
    id: String,
    #[serde(rename = "_openid")]
    openid: String,
    #[serde(rename = "createdAt")]
    created_at: i64,
    title: String,
}

fn todo(title: &str, done: bool, priority: i64) -> Todo {
    Todo {
        title: title.into(),
        done,
        priority,
    }
}

fn data_emulator() -> cloudbase_emulator::Emulator {
    cloudbase_emulator::Emulator::builder()
        .env_id(ENV)
        .publishable_key(PUBLISHABLE_KEY)
        .api_key(API_KEY)
        .start()
        .unwrap()
}

fn build_error(r: Result<impl std::fmt::Debug, Error>) -> BuildError {
    match r {
        Err(Error::Build(b)) => b,
        other => panic!("expected a build error, got {other:?}"),
    }
}

fn server_code(r: Result<impl std::fmt::Debug, Error>) -> (u16, ServerCode) {
    match r {
        Err(Error::Server(e)) => (e.status.as_u16(), e.code),
        other => panic!("expected a server error, got {other:?}"),
    }
}

pub fn model_crud_with_typed_records<C: TestClient>() {
    let emu = data_emulator();
    emu.create_model("todo").unwrap();
    let c = C::connect(config_for(emu.base_url()));
    let user = c.sign_in_anonymously().unwrap().sub.unwrap();

    let id = c
        .create(DataEnv::Prod, "todo", &todo("milk", false, 1))
        .unwrap();
    let ids = c
        .create_many("todo", &[todo("bread", false, 2), todo("eggs", true, 3)])
        .unwrap();
    assert_eq!(ids.len(), 2);

    let got: Stored = c.get_by_id(DataEnv::Prod, "todo", &id).unwrap().unwrap();
    assert_eq!(
        (got.id.as_str(), got.title.as_str(), got.openid.as_str()),
        (id.as_str(), "milk", user.as_str())
    );
    assert!(got.created_at > 0);
    assert!(
        c.get_by_id::<Todo>(DataEnv::Prod, "todo", "no-such-id")
            .unwrap()
            .is_none()
    );

    let picked: Value = c
        .get(
            "todo",
            &Query::new()
                .filter(field("title").eq("bread"))
                .select(["title"]),
        )
        .unwrap()
        .unwrap();
    assert_eq!(picked, json!({"title": "bread"}));

    let page = c
        .list::<Todo>(
            DataEnv::Prod,
            "todo",
            &Query::new()
                .filter(field("done").eq(false))
                .order_by("priority", Sort::Desc)
                .page(1, 10)
                .with_count(),
        )
        .unwrap();
    assert_eq!(
        page.records,
        vec![todo("bread", false, 2), todo("milk", false, 1)]
    );
    assert_eq!(page.total, Some(2));
    let simple = c.list_simple::<Todo>("todo", 2, 2, true).unwrap();
    assert_eq!((simple.records.len(), simple.total), (1, Some(3)));

    assert_eq!(
        c.update("todo", field("_id").eq(id.as_str()), &json!({"done": true}))
            .unwrap(),
        1
    );
    let many = c
        .update_many("todo", field("done").eq(true), &json!({"priority": 9}))
        .unwrap();
    assert_eq!(many.count, 2);
    assert_eq!(many.legal_id_list.len(), 2);

    let created = c
        .upsert(
            "todo",
            field("title").eq("jam"),
            &todo("jam", false, 4),
            &json!({"done": true}),
        )
        .unwrap();
    assert!(created.created());
    let updated = c
        .upsert(
            "todo",
            field("title").eq("jam"),
            &todo("jam", false, 4),
            &json!({"done": true}),
        )
        .unwrap();
    assert_eq!((updated.created(), updated.count), (false, 1));
    let jam: Todo = c
        .get("todo", &Query::new().filter(field("title").eq("jam")))
        .unwrap()
        .unwrap();
    assert!(jam.done);

    // `pre` data is separate from `prod`.
    c.create(DataEnv::Pre, "todo", &todo("trial", false, 0))
        .unwrap();
    assert_eq!(
        c.list::<Todo>(DataEnv::Pre, "todo", &Query::new())
            .unwrap()
            .records
            .len(),
        1
    );

    assert_eq!(c.delete_by_id("todo", &id).unwrap(), 1);
    assert_eq!(
        c.delete_record("todo", field("title").eq("jam")).unwrap(),
        1
    );
    assert_eq!(c.delete_many("todo", field("priority").gte(0)).unwrap(), 2);
    assert_eq!(
        c.list::<Todo>(DataEnv::Prod, "todo", &Query::new().with_count())
            .unwrap()
            .total,
        Some(0)
    );

    // The wire, as docs/protocol/models.md and the JS transcript have it.
    let r = emu.requests();
    let update = r
        .iter()
        .find(|r| r.path == "/v1/model/prod/todo/update")
        .unwrap();
    assert_eq!(update.method, "PUT");
    assert_eq!(update.header("x-request-id"), None);
    let list = r
        .iter()
        .find(|r| r.path == "/v1/model/prod/todo/list" && r.method == "POST")
        .unwrap();
    let body: Value = serde_json::from_slice(&list.body).unwrap();
    assert_eq!(body["select"], json!({"$master": true}));
    assert!(
        r.iter()
            .any(|r| r.method == "GET" && r.path.ends_with("/get"))
    );
    assert!(
        r.iter()
            .any(|r| r.method == "DELETE" && r.path.ends_with("/delete"))
    );
    assert!(r.iter().any(|r| r.path == "/v1/model/pre/todo/create"));
}

pub fn model_filters_and_refusals<C: TestClient>() {
    let emu = data_emulator();
    emu.seed_model(
        "todo",
        &[
            json!({"title": "Alpha", "done": false, "priority": 1, "note": "x"}),
            json!({"title": "beta", "done": true, "priority": 2}),
            json!({"title": "gamma", "done": false, "priority": 3}),
        ],
    )
    .unwrap();
    let c = C::connect(config_for(emu.base_url()).publishable_key(PUBLISHABLE_KEY));
    let titles = |f: Filter| -> Vec<String> {
        let p = c
            .list::<Value>(
                DataEnv::Prod,
                "todo",
                &Query::new().filter(f).order_by("priority", Sort::Asc),
            )
            .unwrap();
        p.records
            .iter()
            .map(|r| r["title"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(titles(field("priority").neq(2)), ["Alpha", "gamma"]);
    assert_eq!(
        titles(field("priority").gt(1).and(field("priority").lt(3))),
        ["beta"]
    );
    assert_eq!(
        titles(field("title").is_in(["beta", "gamma"])),
        ["beta", "gamma"]
    );
    assert_eq!(titles(field("title").not_in(["beta"])), ["Alpha", "gamma"]);
    assert_eq!(titles(field("title").search("lph")), ["Alpha"]);
    assert_eq!(titles(field("title").search("alpha")), Vec::<String>::new());
    assert_eq!(titles(field("title").search_ci("ALPHA")), ["Alpha"]);
    assert_eq!(titles(field("note").is_empty()), ["beta", "gamma"]);
    assert_eq!(titles(field("note").is_not_empty()), ["Alpha"]);
    assert_eq!(
        titles(field("done").eq(true).or(field("priority").lte(1))),
        ["Alpha", "beta"]
    );
    assert_eq!(
        titles(Filter::raw(json!({"priority": {"$gte": 3}}))),
        ["gamma"]
    );

    let before = emu.requests().len();
    assert!(matches!(
        build_error(c.list::<Value>(DataEnv::Prod, "", &Query::new())),
        BuildError::InvalidName { .. }
    ));
    assert!(matches!(
        build_error(c.list::<Value>(DataEnv::Prod, "todo", &Query::new().page(1, 201))),
        BuildError::InvalidInput { .. }
    ));
    let four = Query::new()
        .order_by("a", Sort::Asc)
        .order_by("b", Sort::Asc)
        .order_by("c", Sort::Asc)
        .order_by("d", Sort::Asc);
    assert!(matches!(
        build_error(c.list::<Value>(DataEnv::Prod, "todo", &four)),
        BuildError::InvalidInput { .. }
    ));
    assert_eq!(
        build_error(c.delete_many("todo", Filter::all())),
        BuildError::MissingFilter {
            operation: "delete_many"
        }
    );
    assert_eq!(
        build_error(c.update_many("todo", Filter::raw(json!({})), &json!({"a": 1}))),
        BuildError::MissingFilter {
            operation: "update_many"
        }
    );
    assert_eq!(
        emu.requests().len(),
        before,
        "refused calls must not reach the server"
    );
    assert_eq!(
        c.list::<Value>(DataEnv::Prod, "todo", &Query::new())
            .unwrap()
            .records
            .len(),
        3,
        "nothing was deleted"
    );

    let (status, code) = server_code(c.list::<Value>(DataEnv::Prod, "nothing", &Query::new()));
    assert_eq!(
        (status, code),
        (404, ServerCode::Gateway(GatewayErrorCode::ResourceNotFound))
    );
    let (status, _) = server_code(c.list::<Value>(
        DataEnv::Prod,
        "todo",
        &Query::new().filter(Filter::raw(json!({"title": {"$regex": "a"}}))),
    ));
    assert_eq!(status, 400);
}

pub fn pager_walks_a_thousand_records<C: TestClient>() {
    let emu = data_emulator();
    let records: Vec<Value> = (0..1000)
        .map(|i| json!({"title": format!("t{i:04}"), "done": i % 2 == 0, "priority": i}))
        .collect();
    emu.seed_model("todo", &records).unwrap();
    let c = C::connect(config_for(emu.base_url()).publishable_key(PUBLISHABLE_KEY));
    let all: Vec<Todo> = c
        .all_records("todo", Query::new().order_by("priority", Sort::Asc))
        .unwrap();
    assert_eq!(all.len(), 1000);
    assert!(all.iter().enumerate().all(|(i, t)| t.priority == i as i64));
    assert_eq!(
        emu.requests_to("/v1/model/prod/todo/list").len(),
        5,
        "200 a page, stops at the count"
    );
    let odd: Vec<Todo> = c
        .all_records(
            "todo",
            Query::new().filter(field("done").eq(false)).page(1, 30),
        )
        .unwrap();
    assert_eq!(odd.len(), 500);
    assert!(
        c.all_records::<Todo>("todo", Query::new().filter(field("priority").gt(5000)))
            .unwrap()
            .is_empty()
    );
}

pub fn mysql_command_and_sql_templates<C: TestClient>() {
    let emu = data_emulator();
    emu.execute_sql("CREATE TABLE course (id INTEGER PRIMARY KEY, name TEXT, grade INTEGER)")
        .unwrap();
    let admin = C::connect(config_for(emu.base_url()).api_key(API_KEY));
    let inserted = admin
        .mysql_command::<Value>(
            "INSERT INTO course (name, grade) VALUES ({{ name }}, {{grade}})",
            SqlParams::new()
                .param("name", "x'); DROP TABLE course; --")
                .param("grade", 3),
        )
        .unwrap();
    assert_eq!(inserted.total, Some(1));
    #[derive(Deserialize)]
    struct Row {
        name: String,
        grade: i64,
    }
    let rows = admin
        .mysql_command::<Row>(
            "SELECT name, grade FROM course WHERE grade >= {{ g }}",
            SqlParams::new().param("g", 2),
        )
        .unwrap();
    assert_eq!(rows.execute_result_list.len(), 1);
    assert_eq!(
        (
            rows.execute_result_list[0].name.as_str(),
            rows.execute_result_list[0].grade
        ),
        ("x'); DROP TABLE course; --", 3)
    );
    let body: Value =
        serde_json::from_slice(&emu.requests_to("/v1/model/plugin/prod/mysqlCommand")[0].body)
            .unwrap();
    assert_eq!(
        body["parameter"][1],
        json!({"key": "grade", "type": "NUMBER", "value": "3"})
    );

    let user = C::connect(config_for(emu.base_url()));
    user.sign_in_anonymously().unwrap();
    let (status, code) = server_code(user.mysql_command::<Value>("SELECT 1", SqlParams::new()));
    assert_eq!(
        (status, code),
        (403, ServerCode::Gateway(GatewayErrorCode::PermissionDenied))
    );

    emu.sql_template(
        "by_grade",
        "SELECT name FROM course WHERE grade = {{ grade }}",
    );
    #[derive(Deserialize)]
    struct Data {
        #[serde(rename = "executeResultList")]
        rows: Vec<Value>,
    }
    let data: Data = user
        .run_sql_template("by_grade", SqlParams::new().param("grade", 3))
        .unwrap();
    assert_eq!(data.rows.len(), 1);
    let (_, code) = server_code(user.run_sql_template::<Value>("missing", SqlParams::new()));
    assert_eq!(
        code,
        ServerCode::Gateway(GatewayErrorCode::Unknown("ResourceNotFound".into()))
    );
}

pub fn data_source_queries<C: TestClient>() {
    let emu = data_emulator();
    emu.create_model("todo").unwrap();
    emu.create_model("note").unwrap();
    let c = C::connect(config_for(emu.base_url()).publishable_key(PUBLISHABLE_KEY));
    let list = c.get_aggregate_data_source_list(1).unwrap();
    assert_eq!(
        (
            list["Count"].as_u64(),
            list["Rows"].as_array().map(Vec::len)
        ),
        (Some(2), Some(1))
    );
    let q = emu.requests_to("/v1/model/datasource/prod/aggregateDataSourceList")[0]
        .query
        .clone()
        .unwrap();
    assert!(q.contains("envId=demo-env"), "{q}");
    assert_eq!(
        c.get_data_source_aggregate_detail(DataSourceRef::Name("todo".into()))
            .unwrap()["Name"],
        "todo"
    );
    assert_eq!(
        c.get_basic_data_source(DataSourceRef::Id("ds-note".into()))
            .unwrap()["Name"],
        "note"
    );
    let basic = c.get_basic_data_source_list(1, 10).unwrap();
    assert_eq!(basic["Total"], 2);
    let tables = c.get_table_name("todo").unwrap();
    let prod_table = tables["TableName"][0].as_str().unwrap().to_owned();
    let by_table = c.get_data_source_by_table_name(&[&prod_table]).unwrap();
    assert_eq!(by_table["DataSourceTableInfos"][0]["Name"], "todo");
    let schema = c.get_schema_list(&["note"]).unwrap();
    assert_eq!(
        schema["DataSourceRelationInfoList"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    let before = emu.requests().len();
    assert!(matches!(
        build_error(c.get_data_source_aggregate_detail(DataSourceRef::Name(String::new()))),
        BuildError::InvalidInput { .. }
    ));
    assert!(matches!(
        build_error(c.get_data_source_by_table_name(&[])),
        BuildError::InvalidInput { .. }
    ));
    assert!(matches!(
        build_error(c.get_aggregate_data_source_list(0)),
        BuildError::InvalidInput { .. }
    ));
    assert!(matches!(
        build_error(c.get_table_name("")),
        BuildError::InvalidInput { .. }
    ));
    assert_eq!(emu.requests().len(), before);
    let (status, _) =
        server_code(c.get_data_source_aggregate_detail(DataSourceRef::Name("nope".into())));
    assert_eq!(status, 404);
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Course {
    id: i64,
    name: String,
    grade: Option<i64>,
}

fn course_table(emu: &cloudbase_emulator::Emulator) {
    emu.execute_sql(
        "CREATE TABLE course (id INTEGER PRIMARY KEY, name TEXT NOT NULL, grade INTEGER, active BOOLEAN, deleted_at TEXT);",
    )
    .unwrap();
}

fn ids(rows: &[Course]) -> Vec<i64> {
    rows.iter().map(|r| r.id).collect()
}

pub fn mysql_rest_builder_end_to_end<C: TestClient>() {
    let emu = data_emulator();
    course_table(&emu);
    let c = C::connect(config_for(emu.base_url()).publishable_key(PUBLISHABLE_KEY));
    c.execute(
        rdb::from("course").insert(&json!({"id": 1, "name": "math", "grade": 3, "active": true})),
    )
    .unwrap();
    c.execute(rdb::from("course").insert(&json!([{"id": 2, "name": "Music", "grade": 2}, {"id": 3, "name": "art", "active": false, "deleted_at": "2026-01-01"}]))).unwrap();
    let back: Vec<Course> = c
        .execute(
            rdb::from("course")
                .insert(&json!({"id": 4, "name": "bio", "grade": 3}))
                .returning(),
        )
        .unwrap();
    assert_eq!(
        back,
        vec![Course {
            id: 4,
            name: "bio".into(),
            grade: Some(3)
        }]
    );
    assert!(
        emu.requests_to("/v1/rdb/rest/course")[1]
            .query
            .as_deref()
            .unwrap()
            .starts_with("columns=")
    );

    let q = |query: rdb::Query| -> Vec<i64> {
        ids(&c
            .execute(
                query
                    .select("id,name,grade")
                    .order("id", Direction::Asc)
                    .fetch::<Course>(),
            )
            .unwrap())
    };
    let t = || rdb::from("course");
    assert_eq!(q(t().eq("grade", 3)), [1, 4]);
    assert_eq!(q(t().neq("grade", 3)), [2]);
    assert_eq!(q(t().gt("grade", 2)), [1, 4]);
    assert_eq!(q(t().gte("grade", 2).lt("id", 4)), [1, 2]);
    assert_eq!(q(t().lte("grade", 2)), [2]);
    assert_eq!(q(t().like("name", "m%")), [1]);
    assert_eq!(q(t().ilike("name", "m*")), [1, 2]);
    assert_eq!(q(t().match_regex("name", "^[a-b]")), [3, 4]);
    assert_eq!(q(t().in_list("id", [1, 3, 9])), [1, 3]);
    assert_eq!(q(t().is("grade", IsValue::Null)), [3]);
    assert_eq!(q(t().is("active", IsValue::True)), [1]);
    assert_eq!(q(t().not("grade", Op::Eq, 3)), [2]);
    assert_eq!(
        q(t().or([
            rdb::Filter::cmp("id", Op::Eq, 2),
            rdb::Filter::cmp("name", Op::Eq, "bio")
        ])),
        [2, 4]
    );
    assert_eq!(
        q(t().or([
            rdb::Filter::cmp("id", Op::Eq, 1),
            rdb::Filter::Group {
                any: false,
                negated: false,
                parts: vec![
                    rdb::Filter::cmp("grade", Op::Eq, 3),
                    rdb::Filter::cmp("name", Op::Eq, "bio")
                ]
            }
        ])),
        [1, 4]
    );
    assert_eq!(q(t().match_all([("grade", 3), ("id", 4)])), [4]);
    let ordered: Vec<Course> = c
        .execute(
            t().order_with_nulls("grade", Direction::Desc, Some(Nulls::First))
                .fetch(),
        )
        .unwrap();
    assert_eq!(ids(&ordered), [3, 1, 4, 2]);
    let paged: Vec<Course> = c
        .execute(t().order("id", Direction::Asc).range(1, 2).fetch())
        .unwrap();
    assert_eq!(ids(&paged), [2, 3]);
    let limited: Vec<Course> = c
        .execute(t().order("id", Direction::Asc).limit(1).offset(3).fetch())
        .unwrap();
    assert_eq!(ids(&limited), [4]);

    // Counts, with and without rows.
    let counted = c
        .execute(t().eq("grade", 3).limit(1).fetch_counted::<Course>())
        .unwrap();
    assert_eq!((counted.rows.len(), counted.total), (1, Some(2)));
    assert_eq!(c.execute(t().count()).unwrap(), 4);
    assert_eq!(c.execute(t().eq("grade", 99).count()).unwrap(), 0);
    let none = c
        .execute(t().eq("grade", 99).fetch_counted::<Course>())
        .unwrap();
    assert_eq!((none.rows.len(), none.total), (0, Some(0)));
    assert_eq!(
        emu.requests().iter().filter(|r| r.method == "HEAD").count(),
        2
    );

    // Single vs many.
    let one: Course = c.execute(t().eq("id", 1).single()).unwrap();
    assert_eq!(one.name, "math");
    match c.execute(t().eq("grade", 3).single::<Course>()) {
        Err(Error::Server(e)) => {
            assert_eq!(e.status.as_u16(), 406);
            assert_eq!(
                e.code,
                ServerCode::Gateway(GatewayErrorCode::Unknown("PGRST116".into()))
            );
            assert_eq!(
                e.postgrest.unwrap().details.as_deref(),
                Some("The result contains 2 rows")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        c.execute(t().eq("id", 99).maybe_single::<Course>())
            .unwrap(),
        None
    );
    assert_eq!(
        c.execute(t().eq("id", 2).maybe_single::<Course>())
            .unwrap()
            .map(|c| c.id),
        Some(2)
    );
    assert!(
        c.execute(t().eq("grade", 3).maybe_single::<Course>())
            .is_err()
    );

    // Upsert: insert, then update; ignore-duplicates keeps the row.
    c.execute(
        t().upsert(&json!({"id": 5, "name": "pe"}))
            .on_conflict(["id"]),
    )
    .unwrap();
    c.execute(
        t().upsert(&json!({"id": 5, "name": "sport"}))
            .on_conflict(["id"]),
    )
    .unwrap();
    c.execute(
        t().upsert(&json!([{"id": 5, "name": "ignored"}, {"id": 6, "name": "chem"}]))
            .resolution(Resolution::IgnoreDuplicates),
    )
    .unwrap();
    let names: Vec<Value> = emu
        .query_sql("SELECT name FROM course WHERE id >= 5 ORDER BY id")
        .unwrap();
    assert_eq!(
        names,
        vec![json!({"name": "sport"}), json!({"name": "chem"})]
    );

    // Update and delete need a filter: refused before sending.
    let before = emu.requests().len();
    assert_eq!(
        build_error(c.execute(t().update(&json!({"name": "x"})))),
        BuildError::MissingFilter {
            operation: "update"
        }
    );
    assert_eq!(
        build_error(c.execute(t().delete())),
        BuildError::MissingFilter {
            operation: "delete"
        }
    );
    assert_eq!(
        build_error(c.mysql_update("course", &json!({"name": "x"}), &[])),
        BuildError::MissingFilter {
            operation: "update"
        }
    );
    assert_eq!(emu.requests().len(), before);
    assert_eq!(c.execute(t().count()).unwrap(), 6);

    c.execute(t().eq("id", 6).update(&json!({"grade": 1})))
        .unwrap();
    let changed: Vec<Course> = c
        .execute(
            t().select("id,name,grade")
                .eq("id", 6)
                .update(&json!({"name": "chemistry"}))
                .returning(),
        )
        .unwrap();
    assert_eq!(
        changed,
        vec![Course {
            id: 6,
            name: "chemistry".into(),
            grade: Some(1)
        }]
    );
    let gone: Vec<Course> = c
        .execute(t().in_list("id", [5, 6]).delete().returning())
        .unwrap();
    assert_eq!(ids(&gone), [5, 6]);
    c.execute(t().eq("id", 4).delete()).unwrap();
    assert_eq!(c.execute(t().count()).unwrap(), 3);

    // Path forms, errors in both shapes.
    let r: Vec<Course> = c
        .execute(t().schema(ENV).instance("default").eq("id", 1).fetch())
        .unwrap();
    assert_eq!(ids(&r), [1]);
    assert!(
        emu.requests()
            .iter()
            .any(|r| r.path == "/v1/rdb/rest/default/demo-env/course")
    );
    let (status, code) = server_code(c.execute(rdb::from("nothing").fetch::<Value>()));
    assert_eq!(
        (status, code),
        (404, ServerCode::Gateway(GatewayErrorCode::ResourceNotFound))
    );
    let (status, code) = server_code(c.execute(t().eq("nope", 1).fetch::<Value>()));
    assert_eq!(
        (status, code),
        (
            400,
            ServerCode::Gateway(GatewayErrorCode::Unknown("42703".into()))
        )
    );
    let (status, _) = server_code(c.execute(t().insert(&json!({"id": 1, "name": "dup"}))));
    assert_eq!(status, 409);
}

/// Values that would change a naively built query: each must round-trip exactly
/// and match only its own row, as a filter value, in a list and in a logic tree.
pub fn mysql_rest_hostile_values_round_trip<C: TestClient>() {
    let emu = data_emulator();
    course_table(&emu);
    let c = C::connect(config_for(emu.base_url()).publishable_key(PUBLISHABLE_KEY));
    let hostile = [
        "a,b",
        "x)",
        "(y",
        "&id=gt.0",
        "say \"hi\"",
        "it's",
        "100%",
        "%",
        "_",
        "😀 emoji",
        "line\nbreak",
        "tab\there",
        "back\\slash",
        "a.b",
        "k:v",
        "#frag",
        "+plus",
        " lead",
        "trail ",
        "null",
        "*",
        "in.(1,2)",
        "or=(id.gt.0)",
        "",
    ];
    let rows: Vec<Value> = hostile
        .iter()
        .enumerate()
        .map(|(i, v)| json!({"id": i + 1, "name": v}))
        .collect();
    c.execute(rdb::from("course").insert(&rows)).unwrap();
    for (i, v) in hostile.iter().enumerate() {
        let id = i as i64 + 1;
        let by_eq: Vec<Course> = c
            .execute(rdb::from("course").eq("name", v).fetch())
            .unwrap();
        assert_eq!(ids(&by_eq), [id], "eq {v:?}");
        assert_eq!(by_eq[0].name, *v);
        let by_in: Vec<Course> = c
            .execute(
                rdb::from("course")
                    .in_list("name", [*v, "no such name"])
                    .fetch(),
            )
            .unwrap();
        assert_eq!(ids(&by_in), [id], "in {v:?}");
        let by_or: Vec<Course> = c
            .execute(
                rdb::from("course")
                    .or([
                        rdb::Filter::cmp("name", Op::Eq, v),
                        rdb::Filter::cmp("id", Op::Eq, -1),
                    ])
                    .fetch(),
            )
            .unwrap();
        assert_eq!(ids(&by_or), [id], "or {v:?}");
        assert_eq!(
            c.execute(rdb::from("course").neq("name", v).count())
                .unwrap(),
            hostile.len() as u64 - 1,
            "neq {v:?}"
        );
    }
    assert_eq!(
        c.execute(rdb::from("course").count()).unwrap(),
        hostile.len() as u64
    );
}

pub fn mysql_flutter_style_calls<C: TestClient>() {
    let emu = data_emulator();
    course_table(&emu);
    let c = C::connect(config_for(emu.base_url()).publishable_key(PUBLISHABLE_KEY));
    c.mysql_insert(
        "course",
        &json!([{"id": 1, "name": "张三", "grade": 3}, {"id": 2, "name": "li", "grade": 1}]),
    )
    .unwrap();
    let rows: Vec<Course> = c.mysql_query("course", &[("grade", "gt.2")]).unwrap();
    assert_eq!(ids(&rows), [1]);
    let rows: Vec<Course> = c.mysql_query("course", &[("name", "like.%张%")]).unwrap();
    assert_eq!(ids(&rows), [1]);
    assert_eq!(c.mysql_count("course", &[]).unwrap(), 2);
    assert_eq!(
        c.mysql_count("course", &[("grade", "in.(1,3)")]).unwrap(),
        2
    );
    c.mysql_update("course", &json!({"grade": 5}), &[("id", "eq.2")])
        .unwrap();
    assert_eq!(c.mysql_count("course", &[("grade", "eq.5")]).unwrap(), 1);
    c.mysql_delete("course", &[("id", "eq.2")]).unwrap();
    assert_eq!(c.mysql_count("course", &[]).unwrap(), 1);
    assert_eq!(
        build_error(c.mysql_delete("course", &[])),
        BuildError::MissingFilter {
            operation: "delete"
        }
    );
    assert!(matches!(
        build_error(c.mysql_query::<Value>("course", &[("id&x", "eq.1")])),
        BuildError::InvalidName { .. }
    ));
    assert!(matches!(
        build_error(c.mysql_query::<Value>("../etc", &[])),
        BuildError::InvalidName { .. }
    ));
}

/// PostgreSQL-style functions (`/v1/rdb/rest/rpc/{fn}`): a closure the embedding
/// program registers and an SQL function declared by the test hook, by POST and by
/// GET, the schema chosen by Content-Profile / Accept-Profile.
pub fn rdb_rpc_functions_and_schemas<C: TestClient>() {
    use cloudbase_core::rdb::rpc;
    let emu = emulator();
    emu.execute_sql(
        "CREATE TABLE course (id INTEGER PRIMARY KEY, name TEXT, grade INTEGER);
         INSERT INTO course VALUES (1, 'math', 3), (2, 'art', 1), (3, 'physics', 4);",
    )
    .unwrap();
    emu.register_rdb_function("add", |args| {
        let n = |k: &str| args[k].as_i64().ok_or(format!("{k} must be an integer"));
        Ok(json!(n("a")? + n("b")?))
    });
    emu.sql_function(
        "school.at_least",
        "SELECT id, name FROM course WHERE grade >= :min ORDER BY id",
    );
    let c = C::connect(config_for(emu.base_url()));
    c.sign_in_anonymously().unwrap();

    let sum: i64 = c
        .execute(rpc("add").args(&json!({"a": 2, "b": 40})).unwrap().call())
        .unwrap();
    assert_eq!(sum, 42);
    let post = &emu.requests_to("/v1/rdb/rest/rpc/add")[0];
    assert_eq!(post.method, "POST");
    assert_eq!(
        serde_json::from_slice::<Value>(&post.body).unwrap(),
        json!({"a": 2, "b": 40})
    );

    let rows: Vec<Value> = c
        .execute(
            rpc("at_least")
                .schema("school")
                .get()
                .args(&json!({"min": 3}))
                .unwrap()
                .call(),
        )
        .unwrap();
    assert_eq!(
        rows,
        vec![
            json!({"id": 1, "name": "math"}),
            json!({"id": 3, "name": "physics"})
        ]
    );
    let get = &emu.requests_to("/v1/rdb/rest/rpc/at_least")[0];
    assert_eq!(
        (get.method.as_str(), get.query.as_deref()),
        ("GET", Some("min=3"))
    );
    assert_eq!(get.header("accept-profile"), Some("school"));

    // Errors: the function's own (400, P0001), an unknown one (PGRST202), bad names unsent.
    let err = c
        .execute(rpc("add").args(&json!({"a": "x"})).unwrap().call::<i64>())
        .unwrap_err();
    assert!(err.to_string().contains("a must be an integer"), "{err}");
    let err = c.execute(rpc("nope").call::<Value>()).unwrap_err();
    assert!(
        matches!(&err, Error::Server(s) if s.code == ServerCode::Gateway(GatewayErrorCode::from("PGRST202"))),
        "{err:?}"
    );
    let without_schema = c.execute(rpc("at_least").get().call::<Value>());
    assert!(without_schema.is_err(), "at_least lives in school");
    assert!(matches!(
        c.execute(rpc("a/b").call::<Value>()),
        Err(Error::Build(_))
    ));
    assert!(
        rpc("add").args(&json!([1, 2])).is_err(),
        "arguments are named"
    );
}
