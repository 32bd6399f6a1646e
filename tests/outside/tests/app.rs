//! The app against the emulator, using only the crates' public paths.

use cloudbase_async::{AuthEventKind, Client, Config};
use cloudbase_emulator::{Emulator, FunctionResponse};

#[tokio::test]
async fn the_app_runs_end_to_end() {
    let emulator = Emulator::builder()
        .function("sum", |req| {
            let v: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
            let sum = v["a"].as_i64().unwrap_or(0) + v["b"].as_i64().unwrap_or(0);
            FunctionResponse::json(&serde_json::json!({ "sum": sum }))
        })
        .start()
        .expect("emulator");
    emulator.create_model("todo").expect("model");
    emulator
        .execute_sql(
            "CREATE TABLE course (id INTEGER PRIMARY KEY, name TEXT, grade INTEGER);
             INSERT INTO course VALUES (1, 'math', 3), (2, 'art', 1), (3, 'biology', 4);",
        )
        .expect("table");
    let config = Config::builder(emulator.env_id())
        .base_url(emulator.base_url())
        .build()
        .expect("config");
    let client = Client::new(config).expect("client");
    let dir = tempfile::tempdir().expect("dir");
    let report = outside_app::run(
        &client,
        "ada@example.com",
        |to| emulator.last_code(to),
        dir.path(),
    )
    .await
    .expect("the app runs");
    assert!(report.events.contains(&AuthEventKind::SignedIn));
    assert!(report.events.contains(&AuthEventKind::SignedOut));
    assert_eq!(report.todos.len(), 3);
    assert_eq!(report.courses, ["biology", "math"]);
    assert_eq!(report.sum["sum"], 5);
    assert_eq!(report.round_trip, "hello from outside".len());
    assert_eq!(report.missing_function, "not found");
}
