//! The `cloudbase-emulator` binary: its options, its start-up lines and its request log.
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_cloudbase-emulator");

#[test]
fn version_help_and_unknown_flags_say_what_they_are() {
    let out = Command::new(BIN).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("cloudbase-emulator {}", env!("CARGO_PKG_VERSION"))
    );
    let out = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in ["--port", "--db", "--data-dir", "--admin-token", "--api-key"] {
        assert!(help.contains(flag), "{flag} in {help}");
    }
    let out = Command::new(BIN).arg("--bogus").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unexpected argument '--bogus'"), "{err}");
    let out = Command::new(BIN).args(["--port", "x"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid value 'x'"));
    let out = Command::new(BIN)
        .args(["--host", "0.0.0.0", "--port", "0"])
        .env_remove("CLOUDBASE_EMULATOR_ADMIN_TOKEN")
        .output()
        .unwrap();
    assert!(!out.status.success(), "a non-loopback bind needs a token");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("WARNING") && err.contains("admin token"),
        "{err}"
    );
}

#[test]
fn it_prints_its_address_and_admin_token_and_logs_one_line_per_request() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["--port", "0", "--admin-token", "cli-token", "--db"])
        .arg(dir.path().join("state.sqlite"))
        .env("RUST_LOG", "cloudbase_emulator=info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let base = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{line}");
    line.clear();
    stdout.read_line(&mut line).unwrap();
    assert!(
        line.trim().ends_with("x-emulator-admin-token: cli-token"),
        "{line}"
    );

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let resp = agent
        .get(format!("{base}/__emulator/health"))
        .header("x-emulator-admin-token", "cli-token")
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let resp = agent
        .get(format!("{base}/auth/v1/user/me?secret=q"))
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    assert!(
        dir.path().join("state.sqlite.files/storage").is_dir(),
        "files are kept beside the database"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("request")).collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert!(
        lines[1].contains("GET")
            && lines[1].contains("/auth/v1/user/me")
            && lines[1].contains("status=401"),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains("ms="), "{}", lines[1]);
    assert!(!log.contains("secret=q"), "queries are not logged");
}
