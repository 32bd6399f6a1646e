//! An axum backend that verifies the `Authorization: Bearer …` its web and mobile
//! clients send, with this SDK, and answers 401 with the reason when the token fails.
//!
//! ```text
//! cargo run -p cloudbase-async --features backend --example verify_bearer_axum
//! ```
//!
//! Runs against an in-process emulator: it signs a user in, then calls its own
//! `/me` route with that user's token, with a tampered one and with none.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cloudbase_async::backend::VerifiedClaims;
use cloudbase_async::{Client, Config, Error};

/// The verified caller, or the 401 that says why not.
async fn caller(client: &Client, headers: &HeaderMap) -> Result<VerifiedClaims, Response> {
    let unauthorized = |reason: String| {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            reason,
        )
            .into_response()
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| unauthorized("missing bearer token".into()))?;
    match client.verify_access_token(token).await {
        Ok(claims) => Ok(claims),
        // The token itself is bad (expired, forged, another environment's): 401.
        Err(e @ Error::Token(_)) if !e.is_retryable() => Err(unauthorized(e.to_string())),
        // The keys could not be fetched: our problem, not the caller's.
        Err(e) => Err((StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response()),
    }
}

async fn me(State(client): State<Client>, headers: HeaderMap) -> Response {
    match caller(&client, &headers).await {
        Ok(claims) => format!(
            "hello {} (anonymous: {}, scope: {})",
            claims.sub,
            claims.anonymous,
            claims.scope.join(" ")
        )
        .into_response(),
        Err(refusal) => refusal,
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = cloudbase_emulator::Emulator::builder()
        .env_id("demo-env")
        .start()?;
    let config = || Config::builder("demo-env").base_url(emulator.base_url());
    // The backend's client: it only fetches the environment's public keys (once).
    let backend = Client::new(config().build()?)?;
    let app = Router::new().route("/me", get(me)).with_state(backend);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });

    // A web client signs in and calls the backend.
    let user = Client::new(config().build()?)?;
    user.sign_in_anonymously().await?;
    let token = user.get_access_token().await?;
    let http = reqwest_client();
    for (what, bearer) in [
        ("the user's token", Some(token.expose().to_owned())),
        ("a tampered token", Some(format!("{}x", token.expose()))),
        ("no token", None),
    ] {
        let mut request = http.get(format!("http://{addr}/me"));
        if let Some(b) = bearer {
            request = request.bearer_auth(b);
        }
        let answer = request.send().await?;
        println!("{what}: {} {}", answer.status(), answer.text().await?);
    }
    Ok(())
}

fn reqwest_client() -> cloudbase_async::reqwest::Client {
    cloudbase_async::reqwest::Client::new()
}
