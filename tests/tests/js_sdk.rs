//! The official JavaScript SDK (`@cloudbase/js-sdk` 3.7.0) as a client of the
//! emulator: the best judge of whether the emulator speaks the real protocol.
//!
//! Needs `node` and `npm`. Without them the test prints why and passes, unless
//! `CLOUDBASE_REQUIRE_JS_SDK` is set (CI sets it), in which case it fails.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::PathBuf;
use std::process::Command;

fn tool_available(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn official_js_sdk_drives_the_emulator() {
    let required = std::env::var_os("CLOUDBASE_REQUIRE_JS_SDK").is_some();
    if !tool_available("node") || !tool_available("npm") {
        assert!(
            !required,
            "CLOUDBASE_REQUIRE_JS_SDK is set but node/npm are missing"
        );
        eprintln!("skipping: node and npm are not installed");
        return;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("js-sdk");
    if !dir.join("node_modules/@cloudbase/js-sdk").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .unwrap();
        assert!(status.success(), "npm ci failed in {}", dir.display());
    }

    let emu = cloudbase_emulator::Emulator::builder()
        .env_id("demo-env")
        .start()
        .unwrap();
    emu.create_model("todo").unwrap();
    emu.execute_sql("CREATE TABLE course (id INTEGER PRIMARY KEY, name TEXT, grade INTEGER)")
        .unwrap();
    let output = Command::new("node")
        .arg("run.js")
        .current_dir(&dir)
        .env("CLOUDBASE_EMULATOR_HOST", emu.addr().to_string())
        .env("CLOUDBASE_ENV_ID", "demo-env")
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
        "POST /v1/model/prod/todo/create",
        "POST /v1/model/prod/todo/list",
        "PUT /v1/model/prod/todo/update",
        "POST /v1/model/prod/todo/delete",
        "POST /v1/rdb/rest/course",
        "GET /v1/rdb/rest/course",
        "HEAD /v1/rdb/rest/course",
        "PATCH /v1/rdb/rest/course",
        "DELETE /v1/rdb/rest/course",
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
    ] {
        assert!(stdout.contains(step), "{step}: {stdout}");
    }
}
