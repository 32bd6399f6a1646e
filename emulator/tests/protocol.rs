//! The emulator's wire behaviour for requests the SDK would never send, and its admin
//! routes, checked with a plain HTTP client.
#![allow(clippy::unwrap_used, missing_docs)]

use cloudbase_emulator::{Emulator, FaultRule};
use serde_json::{Value, json};

mod common;
use common::{admin_get, admin_post, agent, post, sign_in};

#[test]
fn anonymous_sign_in_issues_a_documented_token_response_and_a_real_jwt() {
    let emu = Emulator::builder().env_id("e").start().unwrap();
    let (status, body, _) = post(
        &emu,
        "/auth/v1/signin/anonymously?client_id=e",
        &[
            ("x-device-id", "0123456789abcdef0123"),
            ("content-type", "text/plain;charset=UTF-8"),
        ],
        "{}",
    );
    assert_eq!(status, 200);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "anonymous");
    assert_eq!(body["expires_in"], 7200);
    assert!(body["refresh_token"].as_str().unwrap().starts_with("rt-"));
    let claims = emu
        .verify_token(body["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(claims.scope, "anonymous");
    assert_eq!(Some(claims.sub.as_str()), body["sub"].as_str());
    assert_eq!(claims.exp - claims.iat, 7200);
}

#[test]
fn anonymous_sign_in_requires_a_device_id_and_a_json_object() {
    let emu = Emulator::start().unwrap();
    let (status, body, _) = post(&emu, "/auth/v1/signin/anonymously?client_id=e", &[], "{}");
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_argument");
    assert_eq!(body["error_code"], 3);
    let (status, body, _) = post(
        &emu,
        "/auth/v1/signin/anonymously",
        &[("x-device-id", "0123456789abcdef0123")],
        "[1,2]",
    );
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_argument");
}

#[test]
fn functions_reject_missing_malformed_and_expired_bearers() {
    let emu = Emulator::builder()
        .token_lifetime(std::time::Duration::from_secs(60))
        .start()
        .unwrap();
    let (status, body, headers) = post(
        &emu,
        "/v1/functions/echo",
        &[("x-request-id", "rid-1")],
        "{}",
    );
    assert_eq!(status, 401);
    assert_eq!(body["code"], "INVALID_ACCESS_TOKEN");
    assert_eq!(body["requestId"], "rid-1");
    assert_eq!(headers["x-request-id"], "rid-1");

    let (status, body, _) = post(
        &emu,
        "/v1/functions/echo",
        &[("authorization", "Bearer not.a.jwt")],
        "{}",
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("INVALID_ACCESS_TOKEN"))
    );

    let token = sign_in(&emu);
    let bearer = format!("Bearer {token}");
    let (status, body, _) = post(
        &emu,
        "/v1/functions/echo",
        &[("authorization", &bearer)],
        r#"{"x":1}"#,
    );
    assert_eq!((status, body), (200, json!({"x": 1})));

    emu.set_clock_offset(61);
    let (status, body, _) = post(
        &emu,
        "/v1/functions/echo",
        &[("authorization", &bearer)],
        "{}",
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("ACCESS_TOKEN_EXPIRED"))
    );
}

#[test]
fn function_errors_use_the_gateway_envelope() {
    let emu = Emulator::start().unwrap();
    let bearer = format!("Bearer {}", sign_in(&emu));
    let cases = [
        ("/v1/functions/missing", "{}", 404, "RESOURCE_NOT_FOUND"),
        (
            "/v1/functions/echo",
            "{not json",
            400,
            "FUNCTION_PARAM_INVALID",
        ),
        ("/v1/nothing/here", "{}", 404, "RESOURCE_NOT_FOUND"),
    ];
    for (path, body, want_status, want_code) in cases {
        let (status, answer, _) = post(&emu, path, &[("authorization", &bearer)], body);
        assert_eq!(
            (status, answer["code"].as_str()),
            (want_status, Some(want_code)),
            "{path}"
        );
    }
    let (status, body, _) = post(&emu, "/auth/v1/nothing", &[], "{}");
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
}

#[test]
fn user_me_needs_a_valid_token() {
    let emu = Emulator::start().unwrap();
    let mut resp = agent()
        .get(format!("{}/auth/v1/user/me", emu.base_url()))
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let body: Value = serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(body["error"], "unauthenticated");
    let token = sign_in(&emu);
    let mut resp = agent()
        .get(format!("{}/auth/v1/user/me", emu.base_url()))
        .header("authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    let body: Value = serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(body["name"], "anonymous");
}

#[test]
fn admin_routes_inject_faults_list_requests_and_reset() {
    let emu = Emulator::start().unwrap();
    let admin = |path: &str, body: Value| admin_post(&emu, path, &body.to_string());
    let (status, _, _) = admin(
        "faults",
        json!({"path": "/v1/functions/", "prefix": true, "times": 2, "status": 502, "retry_after": 4}),
    );
    assert_eq!(status, 204);
    for _ in 0..2 {
        let (status, _, headers) = post(&emu, "/v1/functions/echo", &[], "{}");
        assert_eq!(status, 502);
        assert_eq!(headers["retry-after"], "4");
    }
    let (status, _, _) = post(&emu, "/v1/functions/echo", &[], "{}");
    assert_eq!(status, 401, "the fault applied exactly twice");

    let (status, body, _) = admin("faults", json!({"path": "/x", "status": 99}));
    assert_eq!(status, 400, "{body}");

    let (_, log, _) = admin_get(&emu, "requests");
    assert_eq!(
        log.as_array().unwrap().len(),
        3,
        "admin calls are not recorded"
    );
    assert_eq!(log[0]["path"], "/v1/functions/echo");

    let (status, _, _) = admin("reset", json!({}));
    assert_eq!(status, 204);
    assert!(emu.requests().is_empty());
}

#[test]
fn a_drop_fault_closes_the_connection_without_an_answer() {
    let emu = Emulator::start().unwrap();
    emu.inject(FaultRule::path("/v1/functions/echo").drop_connection());
    let err = agent()
        .post(format!("{}/v1/functions/echo", emu.base_url()))
        .send("{}")
        .unwrap_err();
    assert!(!matches!(err, ureq::Error::StatusCode(_)), "{err:?}");
    assert_eq!(
        emu.requests_to("/v1/functions/echo").len(),
        1,
        "the request arrived"
    );
}

#[test]
fn state_survives_in_a_database_file() {
    let dir = std::env::temp_dir().join(format!("cb-emu-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("state.sqlite");
    let _ = std::fs::remove_file(&db);
    let first_sub = {
        let emu = Emulator::builder().database_path(&db).start().unwrap();
        let (_, body, _) = post(
            &emu,
            "/auth/v1/signin/anonymously",
            &[("x-device-id", "device-0123456789ab")],
            "{}",
        );
        body["sub"].clone()
    };
    let emu = Emulator::builder().database_path(&db).start().unwrap();
    let (_, body, _) = post(
        &emu,
        "/auth/v1/signin/anonymously",
        &[("x-device-id", "device-0123456789ab")],
        "{}",
    );
    assert_eq!(body["sub"], first_sub, "the anonymous user was persisted");
    drop(emu);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gateway_error_envelopes_carry_the_answers_request_id() {
    let emu = Emulator::start().unwrap();
    let (status, body, headers) = post(&emu, "/v1/functions/echo", &[], "{}");
    assert_eq!(status, 401);
    let header = headers["x-request-id"].to_str().unwrap();
    assert!(!header.is_empty());
    assert_eq!(body["requestId"], header, "{body}");
    let (_, body, _) = post(
        &emu,
        "/v1/functions/echo",
        &[("x-request-id", "mine-1")],
        "{}",
    );
    assert_eq!(body["requestId"], "mine-1");
}

/// A loopback HTTP server answering one request with what it saw (`METHOD path` and
/// the body).
fn one_shot_server() -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let mut len = 0usize;
        let mut custom = String::new();
        loop {
            let mut h = String::new();
            reader.read_line(&mut h).unwrap();
            if h == "\r\n" {
                break;
            }
            let lower = h.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
            if let Some(v) = lower.strip_prefix("x-custom:") {
                custom = v.trim().to_owned();
            }
        }
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body).unwrap();
        let seen = format!(
            "{} {} {}",
            line.trim().trim_end_matches(" HTTP/1.1"),
            custom,
            String::from_utf8_lossy(&body)
        );
        let mut stream = stream;
        write!(
            stream,
            "HTTP/1.1 201 Created\r\ncontent-type: text/plain\r\nx-from: container\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{seen}",
            seen.len()
        )
        .unwrap();
    });
    format!("http://{addr}")
}

#[test]
fn admin_routes_register_a_proxied_container_and_move_the_clock() {
    let emu = Emulator::start().unwrap();
    let token = sign_in(&emu);
    let bearer = format!("Bearer {token}");
    let target = one_shot_server();
    for url in [
        "http://example.com:80",
        "ftp://127.0.0.1/",
        "not a url",
        "http://10.0.0.1/",
    ] {
        let (status, body, _) =
            admin_post(&emu, "containers/svc", &json!({ "url": url }).to_string());
        assert_eq!(status, 400, "{url}: {body}");
    }
    let (status, body, _) = admin_post(
        &emu,
        "containers/svc",
        &json!({ "url": target }).to_string(),
    );
    assert_eq!(status, 204, "{body}");
    let (status, body, headers) = post(
        &emu,
        "/v1/cloudrun/svc/items/42?q=a%20b",
        &[("authorization", &bearer), ("x-custom", "yes")],
        r#"{"n":1}"#,
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(body, r#"POST /items/42?q=a%20b yes {"n":1}"#);
    assert_eq!(headers["x-from"], "container");

    let (status, before, _) = admin_get(&emu, "clock");
    assert_eq!((status, before["offset_secs"].as_i64()), (200, Some(0)));
    let (status, body, _) = admin_post(&emu, "clock", r#"{"offset_secs": 100000}"#);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["offset_secs"], 100000);
    assert!(body["now"].as_u64().unwrap() >= before["now"].as_u64().unwrap() + 100000);
    let resp = agent()
        .get(format!("{}/auth/v1/user/me", emu.base_url()))
        .header("authorization", &bearer)
        .call()
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        401,
        "the token expired on the moved clock"
    );
    let (status, _, _) = admin_post(&emu, "clock", r#"{"offset_secs": "soon"}"#);
    assert_eq!(status, 400);
}

/// A multipart body with text `fields`, then the file part named `file_field`.
fn form(boundary: &str, fields: &[(&str, &str)], file_field: &str, file: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\ncontent-disposition: form-data; name=\"{file_field}\"; filename=\"blob\"\r\ncontent-type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

fn send_form(emu: &Emulator, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> (u16, Value) {
    let mut req = agent()
        .post(format!("{}{path}", emu.base_url()))
        .header("content-type", "multipart/form-data; boundary=XyZ");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut resp = req.send(&body[..]).unwrap();
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[test]
fn browser_form_uploads_store_the_file_part_with_its_content_type() {
    let emu = Emulator::start().unwrap();
    let bearer = format!("Bearer {}", sign_in(&emu));
    let png = b"\x89PNG\r\n\x1a\n-not-really-an-image";
    let body = form(
        "XyZ",
        &[
            ("cacheControl", "3600"),
            ("contentType", "image/png"),
            ("metadata", "{}"),
        ],
        "",
        png,
    );
    let (status, answer) = send_form(
        &emu,
        "/v1/storages/object/bucket-a/pics/cat.png",
        &[("authorization", &bearer)],
        body,
    );
    assert_eq!(status, 200, "{answer}");
    let stored = std::fs::read(emu.storage_dir().join("bucket-a/pics/cat.png")).unwrap();
    assert_eq!(stored, png, "the file part only, not the envelope");
    let mut resp = agent()
        .get(format!(
            "{}/v1/storages/object/info/bucket-a/pics/cat.png",
            emu.base_url()
        ))
        .header("authorization", &bearer)
        .call()
        .unwrap();
    let info: Value = serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(info["content_type"], "image/png");
    assert_eq!(info["cache_control"], "max-age=3600");
    assert_eq!(info["size"], png.len());
}

#[test]
fn the_classic_post_upload_takes_a_form_without_a_signed_length() {
    let emu = Emulator::start().unwrap();
    let bearer = format!("Bearer {}", sign_in(&emu));
    let (status, info, _) = post(
        &emu,
        "/v1/storages/get-objects-upload-info",
        &[
            ("authorization", &bearer),
            ("content-type", "application/json"),
        ],
        &json!([{"objectId": "bucket-a/post.txt"}]).to_string(),
    );
    assert_eq!(status, 200, "{info}");
    let item = &info[0];
    assert!(
        item["code"].is_null(),
        "no signedHeader is the POST flow: {item}"
    );
    let url = item["uploadUrl"].as_str().unwrap();
    let path = url.strip_prefix(emu.base_url()).unwrap();
    let fields = [
        ("key", "bucket-a/post.txt"),
        ("signature", item["authorization"].as_str().unwrap()),
        (
            "x-cos-meta-fileid",
            item["cloudObjectMeta"].as_str().unwrap(),
        ),
        ("success_action_status", "201"),
        ("x-cos-security-token", item["token"].as_str().unwrap()),
    ];
    let (status, answer) = send_form(
        &emu,
        path,
        &[],
        form("XyZ", &fields, "file", b"posted bytes"),
    );
    assert_eq!(status, 201, "{answer}");
    let stored = std::fs::read(emu.storage_dir().join("bucket-a/post.txt")).unwrap();
    assert_eq!(stored, b"posted bytes");
    // The signature is single-use, and a PUT needs a signed length.
    let (status, _) = send_form(&emu, path, &[], form("XyZ", &fields, "file", b"again"));
    assert_eq!(status, 403);
}

#[test]
fn sql_functions_declared_through_the_admin_route_answer_rpc_calls() {
    let emu = Emulator::start().unwrap();
    let bearer = format!("Bearer {}", sign_in(&emu));
    let (status, body, _) = admin_post(&emu, "rpc/twice", "SELECT :x * 2 AS doubled");
    assert_eq!(status, 204, "{body}");
    let (status, body, _) = post(
        &emu,
        "/v1/rdb/rest/rpc/twice",
        &[
            ("authorization", &bearer),
            ("content-type", "application/json"),
        ],
        r#"{"x": 21}"#,
    );
    assert_eq!((status, body), (200, json!([{"doubled": 42}])));
    for bad in ["SELEC nothing", "ATTACH DATABASE '/tmp/x.db' AS x"] {
        let (status, body, _) = admin_post(&emu, "rpc/bad", bad);
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let (status, body, _) = post(
        &emu,
        "/v1/rdb/rest/rpc/twice",
        &[("authorization", &bearer)],
        "[1]",
    );
    assert_eq!(status, 400, "{body}");
}

#[test]
fn stored_files_keep_their_type_across_restarts_of_a_chosen_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let info_type = |emu: &Emulator| {
        let bearer = format!("Bearer {}", sign_in(emu));
        let mut resp = agent()
            .get(format!(
                "{}/v1/storages/object/info/b/pic.png",
                emu.base_url()
            ))
            .header("authorization", &bearer)
            .call()
            .unwrap();
        let info: Value = serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
        info["content_type"].clone()
    };
    {
        let emu = Emulator::builder().data_dir(dir.path()).start().unwrap();
        let bearer = format!("Bearer {}", sign_in(&emu));
        let resp = agent()
            .post(format!("{}/v1/storages/object/b/pic.png", emu.base_url()))
            .header("authorization", &bearer)
            .header("content-type", "image/png")
            .send(&b"png"[..])
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        assert_eq!(info_type(&emu), "image/png");
    }
    let emu = Emulator::builder().data_dir(dir.path()).start().unwrap();
    assert_eq!(
        info_type(&emu),
        "image/png",
        "the type survived the restart"
    );
    let listed = dir.path().join("storage/b");
    let names: Vec<_> = std::fs::read_dir(listed)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        names,
        ["pic.png"],
        "metadata lives outside the storage tree"
    );
}
