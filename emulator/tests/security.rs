//! The emulator as an attacker on the same machine, or a web page in the developer's
//! browser, would try it (issue 13): auth state out of reach of data routes, admin
//! routes behind a token, the host file system out of reach of storage, bounded
//! memory, numbers range-checked.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;
use cloudbase_emulator::{ADMIN_TOKEN_HEADER, Emulator, EmulatorError};
use common::{admin_get, admin_post, agent, answer, get, post, sign_in};
use serde_json::{Value, json};

const API_KEY: &str = "test-admin-api-key";

fn persistent(dir: &tempfile::TempDir) -> Emulator {
    Emulator::builder()
        .database_path(dir.path().join("state.sqlite"))
        .data_dir(dir.path())
        .api_key(API_KEY)
        .start()
        .unwrap()
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn sign_up_with_password(emu: &Emulator) {
    let email = "victim@example.com";
    let (status, body, _) = post(
        emu,
        "/auth/v1/verification",
        &[("content-type", "application/json")],
        &json!({"email": email, "target": "ANY"}).to_string(),
    );
    assert_eq!(status, 200, "{body}");
    let code = emu.last_code(email).unwrap();
    let (status, verified, _) = post(
        emu,
        "/auth/v1/verification/verify",
        &[("content-type", "application/json")],
        &json!({"verification_id": body["verification_id"], "verification_code": code}).to_string(),
    );
    assert_eq!(status, 200, "{verified}");
    let (status, body, _) = post(
        emu,
        "/auth/v1/signup",
        &[("content-type", "application/json")],
        &json!({"email": email, "password": "Secret-passw0rd", "verification_token": verified["verification_token"]})
            .to_string(),
    );
    assert_eq!(status, 200, "{body}");
}

#[test]
fn auth_state_is_unreachable_from_every_data_route_with_a_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let emu = persistent(&dir);
    sign_up_with_password(&emu);
    let token = sign_in(&emu);
    let auth = bearer(&token);
    for table in [
        "users",
        "refresh_tokens",
        "outbox",
        "verifications",
        "USERS",
        "Refresh_Tokens",
        "sqlite_master",
        "SQLITE_MASTER",
        "__model_prod_x",
    ] {
        let (status, body, _) = get(
            &emu,
            &format!("/v1/rdb/rest/{table}"),
            &[("authorization", &auth)],
        );
        assert_eq!(status, 404, "GET {table}: {body}");
        let mut resp = agent()
            .patch(format!("{}/v1/rdb/rest/{table}?id=neq.x", emu.base_url()))
            .header("authorization", &auth)
            .header("content-type", "application/json")
            .send(r#"{"password_hash": "x"}"#)
            .unwrap();
        assert_eq!(resp.status().as_u16(), 404, "PATCH {table}");
        let _ = resp.body_mut().read_to_string();
    }
    // The admin identity's raw SQL sees only the data database.
    let admin_key = bearer(API_KEY);
    for sql in [
        "SELECT * FROM users",
        "SELECT * FROM refresh_tokens",
        "SELECT name FROM sqlite_master WHERE name = 'users'",
    ] {
        let (status, body, _) = post(
            &emu,
            "/v1/model/plugin/e/mysqlCommand",
            &[("authorization", &admin_key)],
            &json!({"sqlTemplate": sql}).to_string(),
        );
        let rows = body["data"]["executeResultList"].as_array();
        assert!(
            status != 200 || rows.is_some_and(Vec::is_empty),
            "{sql}: {status} {body}"
        );
    }
    // Nor can it open the auth file (or any other) with ATTACH.
    let auth_file = cloudbase_emulator::auth_database_path(&dir.path().join("state.sqlite"));
    assert!(auth_file.exists(), "auth state has its own file");
    let (status, body, _) = post(
        &emu,
        "/v1/model/plugin/e/mysqlCommand",
        &[("authorization", &admin_key)],
        &json!({"sqlTemplate": format!("ATTACH DATABASE '{}' AS a", auth_file.display())})
            .to_string(),
    );
    assert_ne!(status, 200, "{body}");
    // And the data file itself holds no auth table.
    let data = emu.query_sql("SELECT name FROM sqlite_master").unwrap();
    let names: Vec<&str> = data.iter().filter_map(|r| r["name"].as_str()).collect();
    assert!(!names.contains(&"users"), "{names:?}");
}

#[test]
fn a_database_file_from_an_older_emulator_with_auth_tables_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    let conn_sql = "CREATE TABLE refresh_tokens (token TEXT); CREATE TABLE revoked_access_tokens (token TEXT); CREATE TABLE verification_tokens (token TEXT);";
    {
        let emu = Emulator::builder().database_path(&path).start().unwrap();
        emu.execute_sql(conn_sql).unwrap();
    }
    let err = Emulator::builder()
        .database_path(&path)
        .start()
        .unwrap_err();
    assert!(matches!(err, EmulatorError::LegacyDatabase(_)), "{err}");
}

#[test]
fn reset_with_a_database_file_leaves_a_working_emulator() {
    let dir = tempfile::tempdir().unwrap();
    let emu = persistent(&dir);
    sign_in(&emu);
    emu.execute_sql("CREATE TABLE course (id INTEGER PRIMARY KEY)")
        .unwrap();
    let (status, _, _) = admin_post(&emu, "reset", "");
    assert_eq!(status, 204);
    sign_in(&emu);
    sign_up_with_password(&emu);
    assert!(
        emu.query_sql("SELECT * FROM course").is_err(),
        "data dropped"
    );
}

#[test]
fn every_admin_route_requires_the_admin_token() {
    let emu = Emulator::start().unwrap();
    let routes: &[(&str, &str)] = &[
        ("GET", "health"),
        ("POST", "faults"),
        ("DELETE", "faults"),
        ("GET", "requests"),
        ("POST", "reset"),
        ("POST", "sql"),
        ("POST", "models/todo"),
        ("GET", "outbox"),
        ("GET", "captcha?token=x"),
        ("GET", "clock"),
        ("POST", "clock"),
        ("POST", "containers/svc"),
        ("POST", "rpc/f"),
        ("GET", "nonexistent"),
    ];
    for (method, path) in routes {
        for token in [None, Some("wrong"), Some("")] {
            let url = format!("{}/__emulator/{path}", emu.base_url());
            let mut req = http::Request::builder().method(*method).uri(&url);
            if let Some(t) = token {
                req = req.header(ADMIN_TOKEN_HEADER, t);
            }
            // A web page's "simple" request: text/plain, no custom header.
            let req = req
                .header("content-type", "text/plain")
                .body("SELECT 1".to_owned())
                .unwrap();
            let (status, body, _) = answer(agent().run(req).unwrap());
            assert_eq!(status, 401, "{method} {path} with {token:?}: {body}");
        }
    }
    let (status, _, _) = admin_get(&emu, "health");
    assert_eq!(status, 200);
    let custom = Emulator::builder().admin_token("chosen").start().unwrap();
    assert_eq!(custom.admin_token(), "chosen");
    let (status, _, _) = get(
        &custom,
        "/__emulator/health",
        &[(ADMIN_TOKEN_HEADER, "chosen")],
    );
    assert_eq!(status, 200);
    assert_ne!(
        Emulator::start().unwrap().admin_token(),
        emu.admin_token(),
        "a fresh token per start"
    );
}

#[test]
fn admin_sql_cannot_attach_files_or_load_extensions() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("planted.sqlite");
    let emu = Emulator::start().unwrap();
    for sql in [
        format!("ATTACH DATABASE '{}' AS planted", target.display()),
        format!(
            "ATTACH DATABASE '{}' AS planted; CREATE TABLE planted.x (a)",
            target.display()
        ),
        "SELECT load_extension('/tmp/nothing.so')".to_owned(),
        "DETACH DATABASE main".to_owned(),
        format!("VACUUM INTO '{}'", target.display()),
    ] {
        let (status, body, _) = admin_post(&emu, "sql", &sql);
        assert_eq!(status, 400, "{sql}: {body}");
    }
    assert!(!target.exists(), "no file was written");
    let (status, body, _) = admin_post(&emu, "sql", "CREATE TABLE ok (id INTEGER)");
    assert_eq!(status, 204, "{body}");
}

#[test]
fn requests_with_a_foreign_host_are_refused() {
    let emu = Emulator::start().unwrap();
    for host in [
        "evil.example",
        "127.0.0.1.evil.example",
        "10.0.0.1:80",
        "[::2]",
    ] {
        for path in ["/__emulator/health", "/auth/v1/signin/anonymously"] {
            let (status, body, _) = post(
                &emu,
                path,
                &[
                    ("host", host),
                    (ADMIN_TOKEN_HEADER, emu.admin_token()),
                    ("x-device-id", "0123456789abcdef0123"),
                ],
                "{}",
            );
            assert_eq!(status, 421, "{host} {path}: {body}");
        }
    }
    let port = emu.addr().port();
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        "app.localhost".into(),
    ] {
        let (status, body, _) = get(
            &emu,
            "/__emulator/health",
            &[("host", &host), (ADMIN_TOKEN_HEADER, emu.admin_token())],
        );
        assert_eq!(status, 200, "{host}: {body}");
    }
}

#[test]
fn binding_beyond_loopback_needs_an_explicit_admin_token() {
    let any = std::net::SocketAddr::from(([0, 0, 0, 0], 0));
    let err = Emulator::builder().bind(any).start().unwrap_err();
    assert!(matches!(err, EmulatorError::AdminTokenRequired(_)), "{err}");
    let emu = Emulator::builder()
        .bind(any)
        .admin_token("explicit")
        .start()
        .unwrap();
    assert_eq!(emu.admin_token(), "explicit");
}

#[test]
fn signed_urls_name_the_bound_address_not_the_callers_host() {
    let emu = Emulator::start().unwrap();
    let token = sign_in(&emu);
    let (status, body, _) = post(
        &emu,
        "/v1/storages/get-objects-upload-info",
        &[
            ("authorization", &bearer(&token)),
            ("host", "localhost"),
            ("content-type", "application/json"),
        ],
        &json!([{"objectId": "a/b.txt", "signedHeader": {"content-length": ["3"]}}]).to_string(),
    );
    assert_eq!(status, 200, "{body}");
    let url = body[0]["uploadUrl"].as_str().unwrap();
    assert!(url.starts_with(emu.base_url()), "{url}");
    // So does the fake provider's page, which is not under the admin prefix and needs
    // no admin token (a browser navigates there).
    let (status, body, _) = get(
        &emu,
        "/auth/v1/provider/uri?provider_id=github&redirect_uri=http%3A%2F%2Flocalhost%2Fcb&state=s&client_id=e",
        &[
            ("host", "localhost"),
            ("x-device-id", "0123456789abcdef0123"),
        ],
    );
    assert_eq!(status, 200, "{body}");
    let page = body["uri"].as_str().unwrap();
    assert!(
        page.starts_with(&format!("{}/__provider/oauth/authorize?", emu.base_url())),
        "{page}"
    );
    let resp = agent()
        .get(page)
        .config()
        .max_redirects(0)
        .build()
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 302, "no admin token needed");
}

#[test]
fn the_request_log_keeps_bodies_cut_and_its_total_bounded() {
    let emu = Emulator::start().unwrap();
    let big = "x".repeat(1024 * 1024);
    let (status, _, _) = post(&emu, "/v1/functions/echo", &[], &big);
    assert_eq!(status, 401);
    let log = emu.requests();
    assert_eq!(log[0].body.len(), cloudbase_emulator::RECORDED_BODY_LIMIT);
    assert_eq!(log[0].body_len, big.len() as u64);
    let (_, served, _) = admin_get(&emu, "requests");
    assert_eq!(served[0]["body"]["encoding"], "utf8");
    assert_eq!(served[0]["body_len"], big.len());
    let binary = agent()
        .post(format!("{}/v1/functions/echo", emu.base_url()))
        .send(&[0xff_u8, 0xfe, 0x00][..])
        .unwrap();
    drop(binary);
    let (_, served, _) = admin_get(&emu, "requests");
    assert_eq!(
        served[1]["body"],
        json!({"encoding": "base64", "data": "//4A"})
    );

    // 1,100 records of 64 KiB each would hold 68.75 MiB: the oldest go.
    let body = "y".repeat(cloudbase_emulator::RECORDED_BODY_LIMIT);
    for _ in 0..1100 {
        let resp = agent()
            .post(format!("{}/v1/functions/echo", emu.base_url()))
            .send(&body)
            .unwrap();
        drop(resp);
    }
    let log = emu.requests();
    let held: usize = log.iter().map(|r| r.body.len()).sum();
    assert!(held <= 64 * 1024 * 1024, "{held}");
    assert!(log.len() < 1102, "{}", log.len());
    assert!(log.len() > 900, "only the oldest went: {}", log.len());
}

fn list(emu: &Emulator, auth: &str, bucket: &str, prefix: &str) -> (u16, Value) {
    let (status, body, _) = post(
        emu,
        &format!("/v1/storages/object/list/{bucket}"),
        &[
            ("authorization", auth),
            ("content-type", "application/json"),
        ],
        &json!({"prefix": prefix}).to_string(),
    );
    (status, body)
}

fn names(listing: &Value) -> Vec<String> {
    listing["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap().to_owned())
        .collect()
}

fn put_object(emu: &Emulator, auth: &str, key: &str, bytes: &[u8]) -> u16 {
    let resp = agent()
        .post(format!("{}/v1/storages/object/{key}", emu.base_url()))
        .header("authorization", auth)
        .header("content-type", "application/octet-stream")
        .header("x-upsert", "true")
        .send(bytes)
        .unwrap();
    resp.status().as_u16()
}

#[test]
fn storage_listing_stays_inside_its_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let emu = Emulator::builder().data_dir(dir.path()).start().unwrap();
    let auth = bearer(&sign_in(&emu));
    assert_eq!(put_object(&emu, &auth, "bucket-a/x.txt", b"x"), 200);
    for bucket in ["%2F", "..", "%2E%2E", ".", "a%2Fb", "%00"] {
        let (status, body) = list(&emu, &auth, bucket, "");
        assert_eq!(status, 400, "{bucket}: {body}");
    }
    // A link inside the data directory to elsewhere on the host is neither walked nor
    // served.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), b"host file").unwrap();
    #[cfg(unix)]
    {
        let bucket = emu.storage_dir().join("bucket-a");
        std::os::unix::fs::symlink(outside.path(), bucket.join("link")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.txt"), bucket.join("file-link"))
            .unwrap();
        let (status, body) = list(&emu, &auth, "bucket-a", "");
        assert_eq!(status, 200, "{body}");
        assert_eq!(names(&body), ["x.txt"]);
        let (status, body) = list(&emu, &auth, "bucket-a", "link/");
        assert_eq!((status, names(&body).len()), (200, 0), "{body}");
        for key in ["bucket-a/link/secret.txt", "bucket-a/file-link"] {
            let (status, body, _) = get(
                &emu,
                &format!("/v1/storages/object/{key}"),
                &[("authorization", &auth)],
            );
            assert_ne!(status, 200, "{key}: {body}");
            let (status, _, _) = get(
                &emu,
                &format!("/v1/storages/object/info/{key}"),
                &[("authorization", &auth)],
            );
            assert_ne!(status, 200, "{key}");
        }
    }
}

#[test]
fn names_ending_in_upload_are_ordinary_objects() {
    let emu = Emulator::start().unwrap();
    let auth = bearer(&sign_in(&emu));
    assert_eq!(put_object(&emu, &auth, "b/report.txt.upload", b"one"), 200);
    assert_eq!(put_object(&emu, &auth, "b/report.txt", b"two"), 200);
    let (_, body) = list(&emu, &auth, "b", "");
    assert_eq!(names(&body), ["report.txt", "report.txt.upload"]);
    let (_, body, _) = get(
        &emu,
        "/v1/storages/object/b/report.txt.upload",
        &[("authorization", &auth)],
    );
    assert_eq!(body, "one");
}

#[test]
fn concurrent_uploads_of_one_key_never_mix_or_lose_bytes() {
    use std::io::{Read, Write};
    let emu = Emulator::start().unwrap();
    let auth = bearer(&sign_in(&emu));
    let len = 64 * 1024;
    let bodies = [vec![b'a'; len], vec![b'b'; len]];
    let open = |_: usize| {
        let mut s = std::net::TcpStream::connect(emu.addr()).unwrap();
        write!(
            s,
            "POST /v1/storages/object/b/same.bin HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: {auth}\r\n\
             content-type: application/octet-stream\r\nx-upsert: true\r\ncontent-length: {len}\r\nconnection: close\r\n\r\n"
        )
        .unwrap();
        s
    };
    let mut streams: Vec<_> = (0..2).map(open).collect();
    // Interleave: first halves of both, then the second halves.
    for (s, body) in streams.iter_mut().zip(&bodies) {
        s.write_all(&body[..len / 2]).unwrap();
        s.flush().unwrap();
    }
    let mut answers = Vec::new();
    for (mut s, body) in streams.into_iter().zip(&bodies) {
        s.write_all(&body[len / 2..]).unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        answers.push(text);
    }
    for a in &answers {
        assert!(a.starts_with("HTTP/1.1 200"), "{a}");
    }
    let stored = std::fs::read(emu.storage_dir().join("b/same.bin")).unwrap();
    assert!(
        stored == bodies[0] || stored == bodies[1],
        "the stored file is one whole upload"
    );
}

#[test]
fn out_of_range_numbers_are_a_typed_400_never_a_panic() {
    let emu = Emulator::start().unwrap();
    emu.create_model("todo").unwrap();
    let auth = bearer(&sign_in(&emu));
    let json_headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    let huge = i64::MAX.to_string();
    let cases: Vec<(&str, String, Value)> = vec![
        (
            "POST",
            "/v1/model/prod/todo/list".into(),
            json!({"pageNumber": i64::MAX, "pageSize": 200}),
        ),
        (
            "POST",
            "/v1/model/prod/todo/list".into(),
            json!({"pageNumber": 1, "pageSize": u64::MAX}),
        ),
        (
            "GET",
            format!("/v1/model/datasource/e/aggregateDataSourceList?pageSize=1000&pageIndex={huge}"),
            Value::Null,
        ),
        (
            "GET",
            format!("/v1/model/datasource/e/aggregateDataSourceList?pageSize={huge}&pageIndex=3"),
            Value::Null,
        ),
        (
            "GET",
            "/v1/model/datasource/e/aggregateDataSourceList?pageSize=10&pageIndex=99999999999999999999999".into(),
            Value::Null,
        ),
        (
            "POST",
            "/v1/model/datasource/e/basicDataSourceList".into(),
            json!({"PageNum": u64::MAX, "PageSize": 1000}),
        ),
        (
            "POST",
            "/v1/model/datasource/e/basicDataSourceList".into(),
            json!({"PageNum": 2, "PageSize": -1}),
        ),
    ];
    for (method, path, body) in cases {
        let (status, answer, _) = if method == "GET" {
            get(&emu, &path, &json_headers)
        } else {
            post(&emu, &path, &json_headers, &body.to_string())
        };
        assert_eq!(status, 400, "{method} {path} {body}: {answer}");
        assert_eq!(answer["code"], "INVALID_PARAM", "{answer}");
    }
    // expiresIn meets the clock in signed URLs.
    assert_eq!(put_object(&emu, &auth, "b/f.txt", b"f"), 200);
    for expires in [json!(u64::MAX), json!(-1), json!(0), json!("soon")] {
        let (status, answer, _) = post(
            &emu,
            "/v1/storages/object/sign/b/f.txt",
            &json_headers,
            &json!({"expiresIn": expires}).to_string(),
        );
        assert_eq!(status, 400, "expiresIn {expires}: {answer}");
    }
    let (status, _, _) = post(
        &emu,
        "/v1/storages/object/sign/b/f.txt",
        &json_headers,
        &json!({"expiresIn": 3600}).to_string(),
    );
    assert_eq!(status, 200);
}

#[test]
fn constraint_kinds_and_record_ids_are_reported_as_postgrest_and_models_do() {
    let emu = Emulator::start().unwrap();
    emu.execute_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        .unwrap();
    emu.create_model("todo").unwrap();
    let auth = bearer(&sign_in(&emu));
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    let (status, body, _) = post(&emu, "/v1/rdb/rest/t", &headers, r#"{"id": 1}"#);
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("23502")),
        "{body}"
    );
    let (status, _, _) = post(
        &emu,
        "/v1/rdb/rest/t",
        &headers,
        r#"{"id": 1, "name": "a"}"#,
    );
    assert_eq!(status, 201);
    let (status, body, _) = post(
        &emu,
        "/v1/rdb/rest/t",
        &headers,
        r#"{"id": 1, "name": "b"}"#,
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("23505")),
        "{body}"
    );

    for id in [json!(42), json!(true), json!({"a": 1}), json!("")] {
        let (status, body, _) = post(
            &emu,
            "/v1/model/prod/todo/createMany",
            &headers,
            &json!({"data": [{"_id": id, "title": "x"}]}).to_string(),
        );
        assert_eq!(status, 400, "_id {id}: {body}");
    }
    let (status, body, _) = post(
        &emu,
        "/v1/model/prod/todo/createMany",
        &headers,
        &json!({"data": [{"_id": "mine", "title": "x"}, {"title": "y"}]}).to_string(),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["idList"][0], "mine");
}

#[test]
fn cors_is_granted_to_loopback_pages_and_never_for_admin_routes() {
    let emu = Emulator::start().unwrap();
    let preflight = |origin: &str, path: &str, headers: &str| {
        let req = http::Request::builder()
            .method("OPTIONS")
            .uri(format!("{}{path}", emu.base_url()))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", headers)
            .body(())
            .unwrap();
        answer(agent().run(req).unwrap())
    };
    let (status, _, headers) = preflight(
        "http://localhost:5173",
        "/auth/v1/signin/anonymously",
        "content-type, x-device-id, authorization",
    );
    assert_eq!(status, 204);
    assert_eq!(
        headers["access-control-allow-origin"],
        "http://localhost:5173"
    );
    for (origin, path, asked) in [
        (
            "https://evil.example",
            "/auth/v1/signin/anonymously",
            "content-type",
        ),
        (
            "http://127.0.0.1.evil.example",
            "/v1/functions/echo",
            "content-type",
        ),
        (
            "http://localhost:5173",
            "/__emulator/requests",
            "content-type",
        ),
        (
            "http://localhost:5173",
            "/v1/functions/echo",
            "x-emulator-admin-token",
        ),
        ("null", "/v1/functions/echo", "content-type"),
    ] {
        let (status, _, headers) = preflight(origin, path, asked);
        assert_eq!(status, 403, "{origin} {path} {asked}");
        assert!(
            !headers.contains_key("access-control-allow-origin"),
            "{origin} {path}"
        );
    }
    let (_, _, headers) = get(
        &emu,
        "/auth/v1/user/me",
        &[("origin", "http://127.0.0.1:8080")],
    );
    assert_eq!(
        headers["access-control-allow-origin"],
        "http://127.0.0.1:8080"
    );
    let (_, _, headers) = get(
        &emu,
        "/__emulator/health",
        &[
            ("origin", "http://127.0.0.1:8080"),
            (ADMIN_TOKEN_HEADER, emu.admin_token()),
        ],
    );
    assert!(!headers.contains_key("access-control-allow-origin"));
}
