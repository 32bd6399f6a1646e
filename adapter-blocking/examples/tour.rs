//! A guided tour of the SDK.
//!
//! ```text
//! cargo run -p cloudbase-blocking --example tour
//! ```
//!
//! By default it starts a CloudBase emulator in this process and runs every step
//! against it. To run the same steps against the real service, set:
//!
//! - `CLOUDBASE_ENV`: your environment id
//! - `CLOUDBASE_PUBLISHABLE_KEY`: a Publishable Key of that environment (optional)
//! - `CLOUDBASE_REGION`: the region (default `ap-shanghai`)
//! - `CLOUDBASE_FUNCTION`: a deployed function that echoes its input (default `echo`)

use std::process::ExitCode;

use cloudbase_blocking::{CallFunction, Client, Config, Error};
use cloudbase_emulator::Emulator;
use serde_json::json;

fn main() -> ExitCode {
    match tour() {
        Ok(_emulator) => {
            println!("\nTour complete.");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("\nTour failed: {e}");
            let mut source = std::error::Error::source(&*e);
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::FAILURE
        }
    }
}

fn step(n: u32, what: &str) {
    println!("\n[{n}] {what}");
}

/// The password the tour's user signs up with.
pub const TOUR_PASSWORD: &str = "Passw0rd!";

/// Runs every step; returns the emulator it started (if any), still running, so a
/// test can inspect what reached it.
pub fn tour() -> Result<Option<Emulator>, Box<dyn std::error::Error>> {
    // `emulator` stays alive for the whole tour; it stops when dropped.
    let (config, function, emulator) = match std::env::var("CLOUDBASE_ENV") {
        Ok(env) => {
            println!("Running against the real CloudBase environment {env:?}.");
            let mut builder = Config::builder(env);
            if let Ok(region) = std::env::var("CLOUDBASE_REGION") {
                builder = builder.region(region);
            }
            if let Ok(key) = std::env::var("CLOUDBASE_PUBLISHABLE_KEY") {
                builder = builder.publishable_key(key);
            }
            let function = std::env::var("CLOUDBASE_FUNCTION").unwrap_or_else(|_| "echo".into());
            (builder.build()?, function, None)
        }
        Err(_) => {
            step(
                0,
                "Starting a local CloudBase emulator (set CLOUDBASE_ENV to use the real service)",
            );
            let emulator = Emulator::builder()
                .env_id("tour-env")
                .function("greet", |req| {
                    let input: serde_json::Value =
                        serde_json::from_slice(&req.body).unwrap_or_default();
                    let name = input["name"].as_str().unwrap_or("stranger");
                    cloudbase_emulator::FunctionResponse::text(format!("Hello, {name}!"))
                })
                // A CloudBase Run service and an HTTP API, as closures.
                .container("shop", |req| {
                    cloudbase_emulator::FunctionResponse::json(&json!({
                        "item": req.path.trim_start_matches("/items/"),
                        "query": req.query,
                    }))
                })
                .api("orders", |req| {
                    let order: serde_json::Value =
                        serde_json::from_slice(&req.body).unwrap_or_default();
                    cloudbase_emulator::FunctionResponse::json(&json!({"accepted": order}))
                        .with_status(201)
                })
                .start()?;
            println!("    emulator listening on {}", emulator.base_url());
            let config = Config::builder("tour-env")
                .base_url(emulator.base_url())
                .build()?;
            (config, "echo".to_owned(), Some(emulator))
        }
    };
    let client = Client::new(config)?;
    println!("    device id: {}", client.device_id());

    step(1, "Signing in anonymously");
    let credentials = client.sign_in_anonymously()?;
    println!(
        "    signed in as {:?} (scope {:?})",
        credentials.sub.unwrap_or_default(),
        credentials.scope.unwrap_or_default()
    );
    println!(
        "    access token: {} (secrets never print)",
        credentials.access_token
    );
    let lifetime = credentials
        .expires_at
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    println!("    token valid for about {} min", lifetime.as_secs() / 60);

    step(2, &format!("Calling the cloud function {function:?}"));
    let input = json!({"message": "hello from Rust", "numbers": [1, 2, 3]});
    let result = client.call_function(&function, &input)?;
    println!("    request id: {}", result.request_id);
    println!(
        "    answer ({}): {}",
        result.content_type.as_deref().unwrap_or("?"),
        result.text()?
    );

    if emulator.is_some() {
        step(3, "Calling a text function registered by this program");
        let call = CallFunction::new("greet")?
            .data(&json!({"name": "CloudBase"}))?
            .idempotent();
        println!("    answer: {}", client.execute(call)?.text()?);
    }

    client.on_auth_state_change(|event| println!("    event: {:?}", event.kind));

    if let Some(emulator) = &emulator {
        step(
            4,
            "OTP sign-up, password sign-in, profile update, custom ticket, sign-out",
        );
        let email = "ada@example.com";
        let handle = client.sign_in_with_otp(email)?;
        println!("    code sent to {email} (a new user: {})", !handle.is_user);
        // A real app asks the user; the emulator lets the tour read its outbox.
        let code = emulator.last_code(email).ok_or("no code in the outbox")?;
        println!("    code from the emulator outbox: {code}");
        let details = cloudbase_blocking::auth::SignUpDetails::new()
            .password(TOUR_PASSWORD)
            .username("ada_l");
        let creds = client.complete_sign_up(&handle, &code, details)?;
        println!("    signed up as {}", creds.sub.unwrap_or_default());
        client.sign_out()?;
        client.sign_in_with_password("ada_l", TOUR_PASSWORD)?;
        let user = client.get_user()?;
        println!(
            "    profile: username {:?}, email {:?}, has password {:?}",
            user.username, user.email, user.has_password
        );
        let updated = client.update_user(
            cloudbase_blocking::auth::UserUpdate::new()
                .nickname("Ada Lovelace")
                .description("first programmer"),
        )?;
        println!("    profile updated: name {:?}", updated.name);
        let claims = client.get_claims()?;
        println!(
            "    token claims (signature not verified): scope {:?}",
            claims.get_str("scope")
        );
        // A sign-in a server vouches for: the emulator mints the custom-login ticket
        // your server would sign with the environment's key.
        let ticket_user =
            client.sign_in_with_custom_ticket(emulator.custom_ticket("tour_user_1"))?;
        println!(
            "    custom-ticket sign-in as {}",
            ticket_user.sub.unwrap_or_default()
        );
        client.sign_out()?;
        println!(
            "    signed out; session present: {}",
            client.session().credentials().is_some()
        );
        client.sign_in_anonymously()?;
    }

    if let Some(emulator) = &emulator {
        step(
            5,
            "Data: a todo model, then a MySQL table through the REST API",
        );
        data_tour(&client, emulator)?;
        step(
            6,
            "Compute and files: a container, an API, a 5 MiB upload and download",
        );
        compute_and_files_tour(&client)?;
        step(
            7,
            "AI: a streamed answer as it arrives, then a tool call round trip",
        );
        ai_tour(&client, emulator)?;
    }

    step(
        8,
        "Errors are typed: calling a function that does not exist",
    );
    match client.call_function("no-such-function", &json!({})) {
        Err(Error::Server(e)) => println!(
            "    server said {} (HTTP {}): {}",
            e.code,
            e.status.as_u16(),
            e.message
        ),
        Err(e) => return Err(e.into()),
        Ok(_) => println!("    unexpectedly, it exists"),
    }

    step(9, "Bad input is refused before anything is sent");
    match client.call_function("../admin", &json!({})) {
        Err(e @ Error::Build(_)) => println!("    refused: {e}"),
        other => println!("    unexpected: {other:?}"),
    }
    Ok(emulator)
}

/// Prints a line at every quarter of a transfer.
fn quarters(label: &'static str) -> cloudbase_blocking::transfer::ProgressFn {
    let last = std::sync::Mutex::new(0u64);
    std::sync::Arc::new(move |p: cloudbase_blocking::transfer::TransferProgress| {
        let Some(total) = p.total.filter(|t| *t > 0) else {
            return;
        };
        let quarter = p.transferred * 4 / total;
        let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
        if quarter > *last {
            *last = quarter;
            println!("    {label}: {}%", quarter * 25);
        }
    })
}

fn compute_and_files_tour(client: &Client) -> Result<(), Box<dyn std::error::Error>> {
    use cloudbase_blocking::transfer::UploadSource;

    let shop = client
        .container("shop")
        .get("/items/42")
        .data(&json!({"fields": "name,price"}))
        .send()?;
    println!("    GET /v1/cloudrun/shop/items/42 -> {}", shop.text()?);
    let order = client
        .apis("orders")
        .post("/orders", &json!({"item": 42, "qty": 2}))?;
    println!(
        "    POST /v1/apis/orders/orders -> HTTP {} {}",
        order.status,
        order.text()?
    );

    let dir = std::env::temp_dir().join(format!("cloudbase-tour-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let source = dir.join("report.bin");
    std::fs::write(&source, vec![7u8; 5 * 1024 * 1024])?;
    let storage = client.storage();
    let uploaded = storage
        .upload_file("reports/2026/report.bin", UploadSource::file(&source))
        .content_type("application/octet-stream")
        .progress(quarters("upload"))
        .send()?;
    println!("    uploaded as {}", uploaded.file_id);
    let url = storage.download_url(&uploaded.file_id)?;
    println!("    temporary URL: {}…", &url[..url.len().min(60)]);
    let copy = dir.join("report-copy.bin");
    let n = storage
        .download_file(&uploaded.file_id, &copy)
        .progress(quarters("download"))
        .send()?;
    println!(
        "    downloaded {n} bytes; identical: {}",
        std::fs::read(&copy)? == std::fs::read(&source)?
    );
    storage.delete_files(&[uploaded.file_id.as_str()])?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

/// A todo record as the app sees it.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Todo {
    title: String,
    done: bool,
}

/// A row of the `course` table.
#[derive(Debug, serde::Deserialize)]
struct Course {
    id: i64,
    name: String,
}

fn data_tour(client: &Client, emulator: &Emulator) -> Result<(), Box<dyn std::error::Error>> {
    use cloudbase_blocking::models::{Query, Sort, field};
    use cloudbase_blocking::rdb::{self, Direction};

    // In the real service models and tables are made in the console; the emulator
    // has hooks for it.
    emulator.create_model("todo")?;
    let models = client.models();
    let id = models.create(
        "todo",
        &Todo {
            title: "buy milk".into(),
            done: false,
        },
    )?;
    models.create_many(
        "todo",
        &[
            Todo {
                title: "write the tour".into(),
                done: true,
            },
            Todo {
                title: "read the docs".into(),
                done: false,
            },
        ],
    )?;
    println!("    created 3 todos (first id {id})");
    let open = models.list::<Todo>(
        "todo",
        &Query::new()
            .filter(field("done").eq(false))
            .order_by("title", Sort::Asc)
            .with_count(),
    )?;
    println!(
        "    open todos ({} of them): {:?}",
        open.total.unwrap_or_default(),
        open.records.iter().map(|t| &t.title).collect::<Vec<_>>()
    );
    let changed = models.update(
        "todo",
        field("_id").eq(id.as_str()),
        &serde_json::json!({"done": true}),
    )?;
    println!("    marked done: {changed}");
    let deleted = models.delete_many("todo", field("done").eq(true))?;
    println!("    deleted the done ones: {deleted}");

    emulator.execute_sql(
        "CREATE TABLE course (id INTEGER PRIMARY KEY, name TEXT NOT NULL, grade INTEGER)",
    )?;
    client.execute(rdb::from("course").insert(&serde_json::json!([
        {"id": 1, "name": "math", "grade": 3},
        {"id": 2, "name": "music, (advanced)", "grade": 3},
        {"id": 3, "name": "art", "grade": 1},
    ])))?;
    let third_grade: Vec<Course> = client.execute(
        rdb::from("course")
            .select("id,name")
            .eq("grade", 3)
            .order("name", Direction::Asc)
            .fetch(),
    )?;
    let listed: Vec<String> = third_grade
        .iter()
        .map(|c| format!("#{} {}", c.id, c.name))
        .collect();
    println!("    grade 3 courses: {listed:?}");
    let n = client.execute(rdb::from("course").gte("grade", 1).count())?;
    println!("    courses in all: {n}");
    client.execute(
        rdb::from("course")
            .eq("id", 3)
            .update(&serde_json::json!({"grade": 2})),
    )?;
    client.execute(rdb::from("course").eq("name", "music, (advanced)").delete())?;
    println!(
        "    after update and delete: {} courses",
        client.execute(rdb::from("course").count())?
    );
    match client.execute(rdb::from("course").delete()) {
        Err(e @ Error::Build(_)) => println!("    a delete without a filter is refused: {e}"),
        other => println!("    unexpected: {other:?}"),
    }
    Ok(())
}

fn ai_tour(client: &Client, emulator: &Emulator) -> Result<(), Box<dyn std::error::Error>> {
    use cloudbase_blocking::ai::{ChatRequest, Message, ToolBox, ToolLoop, collect_chat};
    use std::io::Write;

    // The emulator's built-in model `echo` streams the last message back word by word.
    let request = ChatRequest::new("cloudbase", "echo").message(Message::user(
        "Streaming works: each word arrives as its own event.",
    ));
    print!("    ");
    for delta in client.ai().stream_chat(request.clone())? {
        print!("{}", delta?.content.unwrap_or_default());
        std::io::stdout().flush()?;
    }
    println!();
    let whole = collect_chat(client.ai().stream_chat(request)?)?;
    println!(
        "    collected: {} words, finish reason {:?}",
        whole.usage.map(|u| u.completion_tokens).unwrap_or(0),
        whole.finish_reason
    );

    // A scripted model asks for a tool; the Rust function answers; the model replies.
    emulator.register_model(
        "weather-bot",
        cloudbase_emulator::ModelScript::steps([cloudbase_emulator::ScriptStep::tool_call(
            "call-1",
            "temperature",
            r#"{"city":"Shenzhen"}"#,
        )]),
    );
    let tools = ToolBox::new().register(
        "temperature",
        "The temperature of a city, in °C",
        json!({"type": "object", "properties": {"city": {"type": "string"}}}),
        |args| Ok(json!({"city": args["city"], "celsius": 27})),
    );
    let result = client.ai().run_tools(ToolLoop::new(
        ChatRequest::new("cloudbase", "weather-bot").message(Message::user("How warm is it?")),
        tools,
    ))?;
    println!(
        "    after {} steps the model said: {}",
        result.steps,
        result.completion.text()
    );
    Ok(())
}
