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
}

fn _unused(_: Value) {}
