//! One session, many processes: real OS processes (`session-worker`, both adapters)
//! share a session file against the emulator, whose refresh tokens are single-use
//! with reuse detection (a spent token presented again revokes the user's tokens).
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use cloudbase_blocking::{Client, Config, FileStore};
use cloudbase_emulator::{Emulator, FaultRule};
use serde_json::Value;

const TOKEN: &str = "/auth/v1/token";
const ME: &str = "/auth/v1/user/me";

struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Worker {
    fn spawn(emu: &Emulator, file: &Path, kind: &str, margin_ms: u64, env: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_session-worker"))
            .args([
                emu.base_url(),
                file.to_str().unwrap(),
                kind,
                &margin_ms.to_string(),
                env,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready");
        Self {
            child,
            stdin,
            stdout,
        }
    }

    fn send(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").unwrap();
        self.stdin.flush().unwrap();
    }

    fn answer(&mut self) -> Value {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"))
    }

    fn ask(&mut self, command: &str) -> Value {
        self.send(command);
        self.answer()
    }

    fn events(&mut self) -> Vec<String> {
        serde_json::from_value(self.ask("events")["events"].clone()).unwrap()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let _ = self.child.wait();
    }
}

fn emulator() -> Emulator {
    Emulator::start().unwrap()
}

/// A signed-in session in `file` (a custom-ticket user, who has a refresh token).
fn shared_session(emu: &Emulator, file: &Path) {
    let config = Config::builder(emu.env_id())
        .base_url(emu.base_url())
        .build()
        .unwrap();
    let client = Client::with_store(config, FileStore::new(file)).unwrap();
    client
        .sign_in_with_custom_ticket(emu.custom_ticket("shared-user"))
        .unwrap();
}

/// Marks the stored access token expired (as if the processes started much later).
fn expire_stored_token(file: &Path) {
    let mut doc: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    let past = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 60;
    for entry in doc["sessions"].as_object_mut().unwrap().values_mut() {
        entry["expires_at"] = past.into();
    }
    std::fs::write(file, serde_json::to_vec(&doc).unwrap()).unwrap();
}

fn session_file(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("session.json")
}

fn kind(i: usize) -> &'static str {
    if i.is_multiple_of(2) {
        "blocking"
    } else {
        "async"
    }
}

#[test]
fn eight_processes_on_an_expired_token_refresh_once() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let file = session_file(&dir);
    shared_session(&emu, &file);
    expire_stored_token(&file);
    let before = emu.requests_to(TOKEN).len();
    let mut workers: Vec<Worker> = (0..8)
        .map(|i| Worker::spawn(&emu, &file, kind(i), 30_000, emu.env_id()))
        .collect();
    // All start together, then all answers are read.
    for w in &mut workers {
        w.send("calls 50");
    }
    for w in &mut workers {
        let a = w.answer();
        assert_eq!(a["ok"], 50, "{a}");
        assert_eq!(a["errors"], Value::Array(vec![]), "{a}");
    }
    assert_eq!(
        emu.requests_to(TOKEN).len() - before,
        1,
        "exactly one refresh reached the server"
    );
    for w in &mut workers {
        let events = w.events();
        assert!(!events.iter().any(|e| e == "SignedOut"), "{events:?}");
        assert_eq!(
            events.iter().filter(|e| *e == "TokenRefreshed").count(),
            1,
            "each process refreshed or adopted once: {events:?}"
        );
    }
    assert_eq!(emu.requests_to(ME).len(), 400);
}

#[test]
fn short_lived_tokens_are_refreshed_per_lifetime_not_per_process() {
    let emu = emulator();
    emu.set_token_lifetime(Duration::from_secs(2));
    let dir = tempfile::tempdir().unwrap();
    let file = session_file(&dir);
    shared_session(&emu, &file);
    let before = emu.requests_to(TOKEN).len();
    // Refreshed 0.2 s before expiry. Expiry is counted from the whole second of
    // receipt, so a 2 s token is renewed every 0.8 to 1.8 s: for the four processes
    // together, not each.
    let mut workers: Vec<Worker> = (0..4)
        .map(|i| Worker::spawn(&emu, &file, kind(i), 200, emu.env_id()))
        .collect();
    let started = Instant::now();
    for w in &mut workers {
        w.send("for 10000");
    }
    let mut calls = 0;
    for w in &mut workers {
        let a = w.answer();
        assert_eq!(a["errors"], Value::Array(vec![]), "{a}");
        calls += a["ok"].as_u64().unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let refreshes = emu.requests_to(TOKEN).len() - before;
    // Per lifetime: at most elapsed / 0.8 s, plus one. Four processes refreshing
    // each on their own would make at least 4 × elapsed / 1.8 s (22 in 10 s).
    let per_lifetime = (elapsed / 0.8).ceil() as usize + 1;
    let per_process = (4.0 * elapsed / 1.8).floor() as usize;
    assert!(per_lifetime < per_process);
    assert!(
        refreshes >= 2 && refreshes <= per_lifetime,
        "{refreshes} refreshes in {elapsed:.1} s ({calls} calls); expected at most {per_lifetime}"
    );
    for w in &mut workers {
        let events = w.events();
        assert!(!events.iter().any(|e| e == "SignedOut"), "{events:?}");
    }
    eprintln!(
        "short-lived tokens: {refreshes} refreshes in {elapsed:.1} s, {calls} calls by 4 processes"
    );
}

#[test]
fn a_process_killed_while_holding_the_lock_does_not_block_the_others() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let file = session_file(&dir);
    shared_session(&emu, &file);
    expire_stored_token(&file);
    // The first refresh hangs (and is then dropped unanswered): its process holds the
    // lock mid-refresh when it is killed.
    emu.inject(
        FaultRule::path(TOKEN)
            .delay(Duration::from_secs(3))
            .drop_connection(),
    );
    let before = emu.requests_to(TOKEN).len();
    let mut doomed = Worker::spawn(&emu, &file, "blocking", 30_000, emu.env_id());
    doomed.send("calls 1");
    assert!(emu.wait_for_requests(TOKEN, before + 1, Duration::from_secs(20)));
    doomed.child.kill().unwrap(); // SIGKILL on Unix
    doomed.child.wait().unwrap();
    let mut others: Vec<Worker> = (0..2)
        .map(|i| Worker::spawn(&emu, &file, kind(i + 1), 30_000, emu.env_id()))
        .collect();
    for w in &mut others {
        w.send("calls 5");
    }
    for w in &mut others {
        let a = w.answer();
        assert_eq!(a["ok"], 5, "{a}");
    }
    assert_eq!(
        emu.requests_to(TOKEN).len() - before,
        2,
        "the killed process's refresh, then one more"
    );
}

#[test]
fn a_sign_out_elsewhere_is_seen_on_the_next_call_without_a_stale_token() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let file = session_file(&dir);
    shared_session(&emu, &file);
    let mut stays = Worker::spawn(&emu, &file, "async", 30_000, emu.env_id());
    let mut leaves = Worker::spawn(&emu, &file, "blocking", 30_000, emu.env_id());
    assert_eq!(stays.ask("calls 1")["ok"], 1);
    assert_eq!(leaves.ask("sign_out")["ok"], true);
    let me_before = emu.requests_to(ME).len();
    let a = stays.ask("calls 1");
    assert_eq!(a["ok"], 0, "{a}");
    assert!(a["errors"][0].as_str().unwrap().contains("sign in"), "{a}");
    assert_eq!(
        emu.requests_to(ME).len(),
        me_before,
        "nothing was sent with the signed-out tokens"
    );
    let events = stays.events();
    assert_eq!(
        events.iter().filter(|e| *e == "SignedOut").count(),
        1,
        "{events:?}"
    );
}

#[test]
fn concurrent_writers_of_different_sessions_lose_nothing() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let file = session_file(&dir);
    let envs: Vec<String> = (0..6).map(|i| format!("env-{i}")).collect();
    let mut workers: Vec<Worker> = envs
        .iter()
        .enumerate()
        .map(|(i, env)| Worker::spawn(&emu, &file, kind(i), 30_000, env))
        .collect();
    for w in &mut workers {
        w.send("sign_in_anonymously");
    }
    for w in &mut workers {
        assert_eq!(w.answer()["ok"], true);
    }
    drop(workers);
    let doc: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(doc["version"], 1);
    let sessions = doc["sessions"].as_object().unwrap();
    for env in &envs {
        assert!(
            sessions.contains_key(&format!("{env}:{env}")),
            "{env} kept: {sessions:?}"
        );
    }
}
