//! The official JavaScript SDK (`@cloudbase/js-sdk` 3.7.0) as a client of the
//! emulator: the best judge of whether the emulator speaks the real protocol.
//!
//! Needs `node` and `npm`. Without them the test prints why and passes, unless
//! `CLOUDBASE_REQUIRE_JS_SDK` is set (CI sets it), in which case it fails.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::PathBuf;
use std::process::Command;

use cloudbase_emulator::{FunctionRequest, FunctionResponse};

fn tool_available(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The canned server's service answer: `{ok, method, path, query, body}`, with the
/// query decoded into an object and the body parsed as JSON (`null` when empty).
fn echo_service(req: &FunctionRequest) -> FunctionResponse {
    let query: serde_json::Map<String, serde_json::Value> =
        url::form_urlencoded::parse(req.query.as_deref().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), serde_json::Value::String(v.into_owned())))
            .collect();
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
    FunctionResponse::json(&serde_json::json!({
        "ok": true,
        "method": req.method.as_str(),
        "path": req.path,
        "query": query,
        "body": body,
    }))
}

/// `tests/js-sdk` with its packages installed, or `None` (test skipped) when node/npm
/// are missing and `CLOUDBASE_REQUIRE_JS_SDK` is not set. Both tests may run at once:
/// a lock file keeps them from running `npm ci` together.
fn js_sdk_dir() -> Option<PathBuf> {
    let required = std::env::var_os("CLOUDBASE_REQUIRE_JS_SDK").is_some();
    if !tool_available("node") || !tool_available("npm") {
        assert!(
            !required,
            "CLOUDBASE_REQUIRE_JS_SDK is set but node/npm are missing"
        );
        eprintln!("skipping: node and npm are not installed");
        return None;
    }
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("js-sdk");
    let installed = ["@cloudbase/js-sdk", "esbuild", "playwright-core"]
        .iter()
        .all(|p| dir.join("node_modules").join(p).exists());
    if !installed {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .unwrap();
        assert!(status.success(), "npm ci failed in {}", dir.display());
    }
    Some(dir)
}

/// The official SDK's browser build (bundled with esbuild) in headless Chromium, from
/// a page on another loopback origin: CORS, and the Blob upload the browser build
/// sends as a multipart form. Needs Chromium (`CHROMIUM`, default `/usr/bin/chromium`);
/// skipped without it unless `CLOUDBASE_REQUIRE_BROWSER` is set (CI sets it).
#[test]
fn official_js_sdk_browser_build_drives_the_emulator() {
    let Some(dir) = js_sdk_dir() else { return };
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !std::path::Path::new(&chromium).exists() {
        assert!(
            std::env::var_os("CLOUDBASE_REQUIRE_BROWSER").is_none(),
            "CLOUDBASE_REQUIRE_BROWSER is set but {chromium} is missing"
        );
        eprintln!("skipping: no Chromium at {chromium}");
        return;
    }
    let emu = cloudbase_emulator::Emulator::builder()
        .env_id("demo-env")
        .start()
        .unwrap();
    let output = Command::new("node")
        .arg("browser.js")
        .current_dir(&dir)
        .env("CLOUDBASE_EMULATOR_HOST", emu.addr().to_string())
        .env("CLOUDBASE_ENV_ID", "demo-env")
        .env("CHROMIUM", &chromium)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "browser check failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("js-sdk browser check passed"), "{stdout}");
    let stored = std::fs::read(emu.storage_dir().join("bucket-a/browser/dot.png")).unwrap();
    assert_eq!(
        stored.len(),
        11,
        "the file part only, not the multipart envelope"
    );
    let uploads: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/storages/object/bucket-a/browser/dot.png" && r.method == "POST")
        .collect();
    assert!(
        uploads[0]
            .header("content-type")
            .is_some_and(|c| c.starts_with("multipart/form-data")),
        "the browser build sends a form"
    );
}

#[test]
fn official_js_sdk_drives_the_emulator() {
    let Some(dir) = js_sdk_dir() else { return };

    let emu = cloudbase_emulator::Emulator::builder()
        .env_id("demo-env")
        .container("svc", echo_service)
        .api("echo-api", echo_service)
        .start()
        .unwrap();
    emu.create_model("todo").unwrap();
    emu.register_rdb_function("add", |args| {
        Ok(serde_json::json!(
            args["a"].as_i64().unwrap_or(0) + args["b"].as_i64().unwrap_or(0)
        ))
    });
    emu.execute_sql("CREATE TABLE course (id INTEGER PRIMARY KEY, name TEXT, grade INTEGER)")
        .unwrap();
    // A backend mints the ticket with this SDK, from the key file the console's
    // format gives.
    let backend = cloudbase_blocking::Client::new(
        cloudbase_blocking::Config::builder("demo-env")
            .base_url(emu.base_url())
            .build()
            .unwrap(),
    )
    .unwrap();
    let key =
        cloudbase_blocking::backend::CustomLoginKey::from_json(&emu.custom_login_key()).unwrap();
    let ticket = backend.create_ticket(&key, "js-ticket-user").unwrap();
    let output = Command::new("node")
        .arg("run.js")
        .current_dir(&dir)
        .env("CLOUDBASE_EMULATOR_HOST", emu.addr().to_string())
        .env("CLOUDBASE_ENV_ID", "demo-env")
        .env("CLOUDBASE_EMULATOR_ADMIN_TOKEN", emu.admin_token())
        .env("CLOUDBASE_CUSTOM_TICKET", ticket.expose())
        .env("CLOUDBASE_CUSTOM_UID", "js-ticket-user")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "js-sdk check failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("js-sdk check passed"), "{stdout}");

    // What the official client sent, as the emulator saw it.
    let paths: Vec<String> = emu
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        paths.contains(&"POST /auth/v1/signin/anonymously".to_owned()),
        "{paths:?}"
    );
    for expected in [
        "POST /v1/functions/echo",
        "POST /auth/v1/verification",
        "POST /auth/v1/verification/verify",
        "POST /auth/v1/signup",
        "POST /auth/v1/signin",
        "GET /auth/v1/user/me",
        "POST /auth/v1/user/basic/edit",
        "POST /auth/v1/token",
        "POST /auth/v1/revoke",
        "POST /auth/v1/signin/custom",
        "POST /v1/ai/cloudbase/chat/completions",
        "POST /v1/aibot/bots/echo-bot/send-message",
        "GET /v1/aibot/bots",
        "POST /v1/model/prod/todo/create",
        "POST /v1/model/prod/todo/list",
        "PUT /v1/model/prod/todo/update",
        "POST /v1/model/prod/todo/delete",
        "POST /v1/rdb/rest/course",
        "GET /v1/rdb/rest/course",
        "HEAD /v1/rdb/rest/course",
        "PATCH /v1/rdb/rest/course",
        "DELETE /v1/rdb/rest/course",
        "POST /v1/cloudrun/svc/api/items",
        "GET /v1/cloudrun/svc/api/items",
        "DELETE /v1/cloudrun/svc/api/items/1",
        "GET /v1/cloudrun/svc/items/42",
        "GET /v1/apis/echo-api/items",
        "GET /v1/apis/echo-api/",
        "POST /v1/apis/echo-api/items",
        "PUT /v1/apis/echo-api/items/1",
        "DELETE /v1/apis/echo-api/items/1",
        "PATCH /v1/apis/echo-api/items/1",
        "POST /v1/storages/get-objects-upload-info",
        "PUT /cos/bucket-a/js/hello.txt",
        "POST /v1/storages/get-objects-download-info",
        "POST /v1/storages/copy-objects",
        "POST /v1/storages/delete-objects",
        "POST /v1/storages/object/bucket-a/dir/hello%20world.txt",
        "DELETE /v1/storages/object/bucket-a",
    ] {
        assert!(
            paths.contains(&expected.to_owned()),
            "{expected}: {paths:?}"
        );
    }
    for step in [
        "signUp (email OTP from the outbox) ok",
        "updateUser ok",
        "refreshSession ok",
        "signInWithPassword ok",
        "signInWithOtp + verifyOtp ok",
        "models.create ok",
        "models.list ok",
        "models.update ok",
        "models.delete ok",
        "mysql.insert ok",
        "mysql.select ok",
        "mysql.count ok",
        "mysql.update ok",
        "mysql.delete ok",
        "callContainer(default POST) ok",
        "callContainer(GET with data) ok",
        "callContainer(DELETE) ok",
        "callFunction(type cloudrun) ok",
        "callContainer(unknown) fails ok",
        "apis get/post/put/delete/request ok",
        "uploadFile ok",
        "getTempFileURL ok",
        "downloadFile ok",
        "copyFile ok",
        "deleteFile ok",
        "from(bucket) upload/download/remove ok",
    ] {
        assert!(stdout.contains(step), "{step}: {stdout}");
    }
}
