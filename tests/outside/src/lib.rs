//! A small app on `cloudbase-async`, written as a user would from the README.

use cloudbase_async::StreamExt;
use cloudbase_async::models::{Query, Sort, field};
use cloudbase_async::rdb::{self, Direction};
use cloudbase_async::transfer::UploadSource;
use cloudbase_async::{AuthEventKind, Client, Error};

/// A record of the `todo` model.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Todo {
    /// What to do.
    pub title: String,
    /// Whether it is done.
    pub done: bool,
}

/// A row of the `course` table.
#[derive(Debug, serde::Deserialize)]
pub struct Course {
    /// The id.
    pub id: i64,
    /// The name.
    pub name: String,
}

/// What the app saw.
#[derive(Debug, Default)]
pub struct Report {
    /// Auth events, in order.
    pub events: Vec<AuthEventKind>,
    /// Todos read back through the pager.
    pub todos: Vec<Todo>,
    /// Courses from the MySQL REST query.
    pub courses: Vec<String>,
    /// The function's answer.
    pub sum: serde_json::Value,
    /// Bytes that made the file round trip.
    pub round_trip: usize,
    /// How the missing function failed.
    pub missing_function: String,
}

/// Signs up by email (the code comes from `code_for`), signs in with the password,
/// then uses models, MySQL REST, a function and storage.
pub async fn run(
    client: &Client,
    email: &str,
    code_for: impl Fn(&str) -> Option<String>,
    dir: &std::path::Path,
) -> Result<Report, Box<dyn std::error::Error>> {
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = events.clone();
    client.on_auth_state_change(move |e| seen.lock().expect("events").push(e.kind.clone()));

    let handle = client.sign_in_with_otp(email).await?;
    let code = code_for(email).ok_or("no code")?;
    let details = cloudbase_async::auth::SignUpDetails::new().password("s3cret-Pass");
    client.complete_sign_up(&handle, &code, details).await?;
    client.sign_out().await?;
    client.sign_in_with_password(email, "s3cret-Pass").await?;

    let models = client.models();
    for (i, title) in ["milk", "eggs", "tea"].iter().enumerate() {
        let todo = Todo {
            title: (*title).into(),
            done: i == 1,
        };
        models.create("todo", &todo).await?;
    }
    let page = models
        .list::<Todo>(
            "todo",
            &Query::new()
                .filter(field("done").eq(false))
                .order_by("title", Sort::Asc)
                .page(1, 1)
                .with_count(),
        )
        .await?;
    assert_eq!(page.total, Some(2));
    // Handles and pagers own a clone of the client: 'static, and the pager is Unpin,
    // so it moves into a task and needs no pin!.
    let mut pager =
        models.records::<Todo>("todo", Query::new().order_by("title", Sort::Asc).page(1, 2))?;
    let todos = tokio::spawn(async move {
        let mut todos = Vec::new();
        while let Some(todo) = pager.next().await {
            todos.push(todo?);
        }
        Ok::<_, Error>(todos)
    })
    .await??;

    let courses: Vec<Course> = client
        .execute(
            rdb::from("course")
                .select("id,name")
                .gte("grade", 3)
                .order("name", Direction::Asc)
                .fetch(),
        )
        .await?;

    let sum = client
        .call_function("sum", &serde_json::json!({"a": 2, "b": 3}))
        .await?
        .json()?;

    let source = dir.join("note.txt");
    std::fs::write(&source, b"hello from outside")?;
    let storage = client.storage();
    storage
        .upload_file("docs/note.txt", UploadSource::file(&source))
        .content_type("text/plain")
        .send()
        .await?;
    // Moved (copied, then the original removed), then downloaded from its new place.
    let moved = storage
        .copy_file("docs/note.txt", "docs/moved.txt")
        .remove_original()
        .send()
        .await?;
    let copy = dir.join("copy.txt");
    // The async builders are IntoFuture: `.await` works without `.send()`.
    storage.download_file(&moved, &copy).await?;
    let round_trip = std::fs::read(&copy)?.len();

    let missing_function = match client
        .call_function("no-such-function", &serde_json::json!({}))
        .await
    {
        Err(e @ Error::Server(_)) if e.is_not_found() => "not found".to_owned(),
        Err(e) => format!("other: {e}"),
        Ok(_) => "exists".to_owned(),
    };

    Ok(Report {
        events: events.lock().expect("events").clone(),
        todos,
        courses: courses.into_iter().map(|c| c.name).collect(),
        sum,
        round_trip,
        missing_function,
    })
}
