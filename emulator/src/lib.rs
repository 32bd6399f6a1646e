//! A local Tencent CloudBase: the same HTTP protocol, state in SQLite, and hooks for
//! tests (fault injection, request log, reset).
//!
//! Start it in-process on an ephemeral port and point a client's base URL at it:
//!
//! ```
//! use cloudbase_emulator::{Emulator, FunctionResponse};
//!
//! let emulator = Emulator::builder()
//!     .function("add", |req| {
//!         let v: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
//!         FunctionResponse::json(&serde_json::json!({"sum": v["a"].as_i64().unwrap_or(0) + v["b"].as_i64().unwrap_or(0)}))
//!     })
//!     .start()?;
//! println!("CloudBase emulator at {}", emulator.base_url());
//! # Ok::<(), cloudbase_emulator::EmulatorError>(())
//! ```
//!
//! Implemented: all of `/auth/v1` the SDK uses — anonymous, password, verification-code,
//! provider (a built-in fake OAuth provider whose authorize page redirects straight
//! back), ID-token and custom-ticket sign-in, sign-up, token refresh with rotation and
//! reuse detection, revoke, the user's profile, sudo, passwords, recovery, contacts,
//! identities, user queries, deletion and captcha — `POST /v1/functions/{name}`
//! (built-in `echo`, plus registered closures), data models (`/v1/model/...`, records as
//! JSON in SQLite), SQL templates, `mysqlCommand`, data-source queries and MySQL REST
//! (`/v1/rdb/rest/...`, the PostgREST grammar over SQLite tables). Data hooks:
//! [`Emulator::create_model`], [`Emulator::seed_model`], [`Emulator::execute_sql`],
//! [`Emulator::query_sql`], [`Emulator::sql_template`]. Test hooks: [`Emulator::outbox`],
//! [`Emulator::captcha_answer`], [`Emulator::custom_ticket`], [`Emulator::fake_id_token`],
//! clock offset, token lifetime, faults, request log, reset. Admin routes for other
//! languages live under [`ADMIN_PREFIX`].

// Handlers return `Result<_, Response>` to short-circuit with an error answer, the
// usual axum idiom; the size of `Response` does not matter on this path.
#![allow(clippy::result_large_err)]

mod ai_script;
mod builder;
mod data;
mod faults;
mod files;
mod handlers;
mod ids;
mod proxy;
mod routes;
mod server;
mod shared;
mod store;
mod tokens;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use ai_script::{ModelScript, ScriptError, ScriptStep};
pub use builder::EmulatorBuilder;
pub use faults::{FaultAction, FaultRule, RECORDED_BODY_LIMIT, RecordedRequest};
pub use handlers::{Caller, FunctionHandler, FunctionRequest, FunctionResponse, RdbFunction};
pub use routes::guard::ADMIN_TOKEN_HEADER;
pub use server::{DEFAULT_MAX_CONNECTIONS, Timeouts};
pub use shared::DEFAULT_CAPTCHA_AFTER_FAILURES;
pub use store::OutboxMessage;
pub use tokens::Claims;

pub(crate) use faults::FaultRuleJson;
pub(crate) use server::ConnectionKill;
pub(crate) use shared::{MAX_REQUEST_BYTES as MAX_BODY, Shared, lock};

/// Admin routes (`/__emulator/...`, listed with their shapes in the README section
/// "The emulator: security model and admin routes"): not part of CloudBase, never
/// used by the SDK, and each requires the [`ADMIN_TOKEN_HEADER`] header carrying
/// [`Emulator::admin_token`].
pub const ADMIN_PREFIX: &str = "/__emulator";

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmulatorError {
    /// The address could not be bound.
    #[error("could not bind {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The database could not be opened.
    #[error("could not open the database: {0}")]
    Database(#[from] rusqlite::Error),
    /// A model name the service would not accept.
    #[error("invalid model name {0:?}: a letter or '_' first, then letters, digits, '_' or '-'")]
    InvalidModelName(String),
    /// Seed records were refused.
    #[error("could not seed the model: {0}")]
    Seed(String),
    /// The data file still holds auth tables from an older emulator, where they were
    /// readable through the data routes. Move the file aside (or delete those tables)
    /// and start again; auth state now lives in its own file ([`auth_database_path`]).
    #[error(
        "{0} holds auth tables (users, refresh_tokens…) beside the data, as older emulators kept them; \
         move it aside or drop those tables: auth state now lives in its own file"
    )]
    LegacyDatabase(PathBuf),
    /// The access-token signing key could not be generated (no randomness).
    #[error("could not generate the signing key: {0}")]
    SigningKey(String),
    /// The data directory for stored files could not be created.
    #[error("could not prepare the storage directory: {0}")]
    Storage(#[source] std::io::Error),
    /// A non-loopback address was to be bound without an explicit admin token: other
    /// machines could then reach the admin routes with a token nobody chose.
    #[error(
        "binding {0} exposes the emulator beyond this machine: set an admin token explicitly (EmulatorBuilder::admin_token, --admin-token)"
    )]
    AdminTokenRequired(SocketAddr),
    /// The runtime or server thread could not start.
    #[error("could not start the server: {0}")]
    Start(#[source] std::io::Error),
}

/// Where auth state is kept when the data lives in `data_path`: the same name with
/// `.auth` appended (`state.sqlite` → `state.sqlite.auth`). A separate file, so that
/// no data route (MySQL REST, models, SQL templates, `mysqlCommand`) can reach it.
pub fn auth_database_path(data_path: &std::path::Path) -> PathBuf {
    let mut name = data_path.as_os_str().to_owned();
    name.push(".auth");
    PathBuf::from(name)
}

/// A running emulator; stops when dropped.
pub struct Emulator {
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.shared.site.base_url)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// A builder with defaults: `127.0.0.1:0`, in-memory SQLite, 2 h tokens.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::new()
    }

    /// Starts an emulator with the defaults.
    pub fn start() -> Result<Self, EmulatorError> {
        Self::builder().start()
    }

    /// `http://127.0.0.1:PORT`: use it as the client's base URL.
    pub fn base_url(&self) -> &str {
        &self.shared.site.base_url
    }

    /// The token admin routes (`/__emulator/…`) require in the
    /// [`ADMIN_TOKEN_HEADER`] header: the one given to the builder, else a random one
    /// made at start.
    ///
    /// ```
    /// let emulator = cloudbase_emulator::Emulator::start()?;
    /// let health = format!("{}/__emulator/health", emulator.base_url());
    /// // send it with the header `x-emulator-admin-token: {emulator.admin_token()}`
    /// # let _ = health;
    /// # Ok::<(), cloudbase_emulator::EmulatorError>(())
    /// ```
    pub fn admin_token(&self) -> &str {
        &self.shared.site.admin_token
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.shared.site.addr
    }

    /// The environment id the emulator puts in tokens.
    pub fn env_id(&self) -> &str {
        &self.shared.site.env_id
    }

    /// Adds a fault for the next requests matching it.
    pub fn inject(&self, rule: FaultRule) {
        lock(&self.shared.faults).push(rule);
    }

    /// Removes all pending faults.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// Registers (or replaces) a function while running.
    pub fn register_function<F>(&self, name: impl Into<String>, handler: F)
    where
        F: Fn(&FunctionRequest) -> FunctionResponse + Send + Sync + 'static,
    {
        self.shared
            .handlers_mut()
            .functions
            .insert(name.into(), Arc::new(handler));
    }

    /// Registers (or replaces) a CloudBase Run service while running.
    pub fn register_container<F>(&self, name: impl Into<String>, handler: F)
    where
        F: Fn(&FunctionRequest) -> FunctionResponse + Send + Sync + 'static,
    {
        self.shared
            .handlers_mut()
            .containers
            .insert(name.into(), Arc::new(handler));
    }

    /// Registers (or replaces) an HTTP API while running.
    pub fn register_api<F>(&self, name: impl Into<String>, handler: F)
    where
        F: Fn(&FunctionRequest) -> FunctionResponse + Send + Sync + 'static,
    {
        self.shared
            .handlers_mut()
            .apis
            .insert(name.into(), Arc::new(handler));
    }

    /// The directory stored files live in (`<data dir>/storage/<bucket>/<name>`).
    pub fn storage_dir(&self) -> &std::path::Path {
        self.shared.files.root()
    }

    /// How long download URLs handed out from now on stay valid (default 600 s);
    /// zero makes them expire at once (for expiry tests).
    pub fn set_download_url_lifetime(&self, lifetime: Duration) {
        self.shared.files.set_url_lifetime(lifetime);
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).iter().cloned().collect()
    }

    /// Requests received for exactly this path.
    pub fn requests_to(&self, path: &str) -> Vec<RecordedRequest> {
        lock(&self.shared.requests)
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Waits until at least `count` requests to `path` were recorded (requests are
    /// recorded when they arrive, before any fault delays them), or `timeout` passes;
    /// whether they were. For tests that must act while a request is in flight.
    pub fn wait_for_requests(&self, path: &str, count: usize, timeout: Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        let mut log = lock(&self.shared.requests);
        loop {
            if log.iter().filter(|r| r.path == path).count() >= count {
                return true;
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                return false;
            }
            log = match self.shared.recorded.wait_timeout(log, deadline - now) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    /// Sets the lifetime of tokens issued from now on.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        lock(&self.shared.settings).token_lifetime = lifetime;
    }

    /// Lifetime of server-credential tokens issued from now on (default 432,000 s,
    /// the documented example's).
    pub fn set_server_token_lifetime(&self, lifetime: Duration) {
        lock(&self.shared.settings).server_token_lifetime = lifetime;
    }

    /// Shifts the emulator's clock (token expiry checks) by `secs`.
    pub fn set_clock_offset(&self, secs: i64) {
        lock(&self.shared.settings).clock_offset_secs = secs;
    }

    /// Forgets users, tokens, faults, the request log and the clock offset; keeps
    /// registered functions.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Decodes and verifies one of this emulator's access tokens (signature, expiry
    /// on the emulator's clock, revocation).
    pub fn verify_token(&self, token: &str) -> Option<Claims> {
        self.shared.authenticate(token).ok()
    }

    /// Every verification code sent, oldest first.
    pub fn outbox(&self) -> Vec<OutboxMessage> {
        lock(&self.shared.store).outbox().unwrap_or_default()
    }

    /// The latest code sent to `to`: an email address, or a phone number in any form
    /// the SDK accepts (`+86 13800138000`, `+8613800138000`, `13800138000`), compared
    /// after the SDK's own normalisation.
    pub fn last_code(&self, to: &str) -> Option<String> {
        let normal = |contact: &str| {
            cloudbase_core::auth::Contact::parse(contact)
                .map(|c| c.as_str().to_owned())
                .unwrap_or_else(|_| contact.trim().to_owned())
        };
        let wanted = normal(to);
        self.outbox()
            .into_iter()
            .rev()
            .find(|m| normal(&m.to) == wanted)
            .map(|m| m.code)
    }

    /// At most `max` codes per contact within `window` (default 5 per 60 s); more
    /// answer `resource_exhausted` with `retry_after`.
    pub fn set_verification_rate_limit(&self, max: u32, window: Duration) {
        lock(&self.shared.settings).verification_limit = (max, window);
    }

    /// After `failures` failed password sign-ins for one login, `/auth/v1/signin`
    /// answers `captcha_required` until a solved captcha token comes with the call
    /// (default [`DEFAULT_CAPTCHA_AFTER_FAILURES`]; a success resets the count).
    pub fn set_captcha_after_failures(&self, failures: u32) {
        lock(&self.shared.auth).captcha_after_failures = failures;
    }

    /// The text shown in the captcha image of challenge `token` (what a user would
    /// read), for tests and solvers.
    pub fn captcha_answer(&self, token: &str) -> Option<String> {
        lock(&self.shared.auth)
            .captcha_challenges
            .get(token)
            .map(|(answer, _)| answer.clone())
    }

    /// A custom-login ticket for `uid`, as the app's server would mint it with the
    /// environment's custom-login key: `{private_key_id}/@@/{JWT}`, RS256, with
    /// `{alg, env, iat, exp, uid, refresh, expire}` in milliseconds
    /// (docs/protocol/auth.md §5.5). Servers under test mint their own with
    /// [`Emulator::custom_login_key`].
    pub fn custom_ticket(&self, uid: &str) -> String {
        // Generation failing means the OS has no randomness: nothing works then.
        routes::identity::mint_ticket(&self.shared, uid).unwrap_or_default()
    }

    /// The custom-login private key file in the console's format
    /// (`{"private_key_id", "private_key" (PKCS#8 PEM), "env_id"}`), for servers under
    /// test that mint tickets: tickets signed with it sign in here.
    pub fn custom_login_key(&self) -> String {
        routes::identity::custom_login_key_file(&self.shared).unwrap_or_default()
    }

    /// A SecretId / SecretKey pair `POST /auth/v1/token/clientCredential` accepts (the
    /// first configured with [`EmulatorBuilder::server_secret`], else one made up at
    /// start).
    pub fn server_secret(&self) -> (String, String) {
        self.shared
            .site
            .server_secrets
            .first()
            .cloned()
            .unwrap_or_default()
    }

    /// Registers (or replaces) a scripted model: `POST /v1/ai/{any provider}/…` with
    /// `"model": name` answers the script (streamed or whole). The built-in model
    /// `echo` answers the last user message back.
    pub fn register_model(&self, name: impl Into<String>, script: ModelScript) {
        lock(&self.shared.ai).models.insert(name.into(), script);
    }

    /// Registers (or replaces) a scripted agent `bot_id`: its `send-message` answers
    /// the script (text records for classic bodies, AG-UI events for AG-UI ones).
    /// The built-in agent `echo-bot` answers the message back.
    pub fn register_agent(&self, bot_id: impl Into<String>, script: ModelScript) {
        let bot_id = bot_id.into();
        let info = serde_json::json!({"botId": bot_id, "name": bot_id, "introduction": "scripted", "type": "text"});
        lock(&self.shared.ai).agents.insert(
            bot_id,
            routes::aibot::Agent {
                info,
                script: Some(script),
            },
        );
    }

    /// The JWKS document `GET /auth/v1/certs` serves now (for offline verification).
    pub fn jwks(&self) -> String {
        self.shared
            .keys
            .access
            .jwks()
            .map(|j| j.to_string())
            .unwrap_or_default()
    }

    /// Forgets the recorded requests (so a test counts from here).
    pub fn clear_requests(&self) {
        lock(&self.shared.requests).clear();
    }

    /// Adds a new access-token signing key and signs with it from now on; returns its
    /// `kid`. Tokens signed with the older keys keep working (and their keys stay in
    /// the JWKS) until [`Emulator::retire_old_signing_keys`].
    pub fn rotate_signing_key(&self) -> String {
        self.shared.keys.access.rotate().unwrap_or_default()
    }

    /// Removes every access-token signing key but the newest from use and from the
    /// JWKS: tokens they signed are refused. Returns how many were removed.
    pub fn retire_old_signing_keys(&self) -> usize {
        self.shared.keys.access.retire_old().unwrap_or_default()
    }

    /// An OpenID Connect ID token from the built-in fake provider `provider_id` for
    /// its user `login`, accepted by `POST /auth/v1/provider/token
    /// {provider_id_token}`.
    pub fn fake_id_token(&self, provider_id: &str, login: &str) -> String {
        routes::identity::mint_id_token(&self.shared, provider_id, login)
    }

    /// Creates model `name` (its `prod` and `pre` record tables); existing records
    /// are kept.
    ///
    /// ```
    /// let emulator = cloudbase_emulator::Emulator::start()?;
    /// emulator.create_model("todo")?;
    /// emulator.seed_model("todo", &[serde_json::json!({"title": "milk", "done": false})])?;
    /// emulator.execute_sql("CREATE TABLE course (id INTEGER PRIMARY KEY, name TEXT)")?;
    /// emulator.execute_sql("INSERT INTO course VALUES (1, 'math')")?;
    /// assert_eq!(emulator.query_sql("SELECT name FROM course")?, vec![serde_json::json!({"name": "math"})]);
    /// # Ok::<(), cloudbase_emulator::EmulatorError>(())
    /// ```
    pub fn create_model(&self, name: &str) -> Result<(), EmulatorError> {
        if !data::models::valid_model_name(name) {
            return Err(EmulatorError::InvalidModelName(name.to_owned()));
        }
        Ok(lock(&self.shared.data).create_model(name)?)
    }

    /// Drops model `name` and its records.
    pub fn drop_model(&self, name: &str) -> Result<(), EmulatorError> {
        if !data::models::valid_model_name(name) {
            return Err(EmulatorError::InvalidModelName(name.to_owned()));
        }
        Ok(lock(&self.shared.data).drop_model(name)?)
    }

    /// Adds records to model `name` (`prod` data), creating the model if needed;
    /// returns their ids. Records get `_id`, `createdAt`, `updatedAt` and an empty
    /// `_openid`, as through the API.
    pub fn seed_model(
        &self,
        name: &str,
        records: &[serde_json::Value],
    ) -> Result<Vec<String>, EmulatorError> {
        self.create_model(name)?;
        let store = lock(&self.shared.data);
        let writer = data::models::Writer {
            openid: String::new(),
            now_ms: self.shared.now() as i64 * 1000,
        };
        let body = serde_json::json!({ "data": records });
        let data = data::models::run(
            &store,
            ("prod", name),
            "createMany",
            None,
            &body,
            &[],
            &writer,
        )
        .map_err(|(_, _, m)| EmulatorError::Seed(m))?;
        Ok(data["idList"]
            .as_array()
            .map(|ids| {
                ids.iter()
                    .filter_map(|i| i.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Runs SQL statements (`;`-separated) against the data database: create, seed
    /// or drop the tables the MySQL REST API (`/v1/rdb/rest`) serves.
    pub fn execute_sql(&self, sql: &str) -> Result<(), EmulatorError> {
        Ok(lock(&self.shared.data).conn.execute_batch(sql)?)
    }

    /// Runs one query against the data database and returns its rows as JSON
    /// objects (for assertions: count rows, read what a call wrote).
    pub fn query_sql(&self, sql: &str) -> Result<Vec<serde_json::Value>, EmulatorError> {
        let store = lock(&self.shared.data);
        Ok(data::query_json(&store.conn, sql, &[], &[])?)
    }

    /// Registers database function `name` (`schema.name` for a schema other than the
    /// default) for `/v1/rdb/rest/rpc/{name}`: the closure gets the named arguments.
    ///
    /// ```
    /// let emulator = cloudbase_emulator::Emulator::start()?;
    /// emulator.register_rdb_function("add", |args| {
    ///     Ok(serde_json::json!(args["a"].as_i64().unwrap_or(0) + args["b"].as_i64().unwrap_or(0)))
    /// });
    /// # Ok::<(), cloudbase_emulator::EmulatorError>(())
    /// ```
    pub fn register_rdb_function<F>(&self, name: impl Into<String>, function: F)
    where
        F: Fn(&serde_json::Value) -> Result<serde_json::Value, String> + Send + Sync + 'static,
    {
        self.shared
            .handlers_mut()
            .rdb_functions
            .insert(name.into(), routes::rpc::Function::Rust(Arc::new(function)));
    }

    /// Declares database function `name` (`schema.name` for another schema) as one
    /// SQL statement on the data database, arguments bound as `:name` parameters; it
    /// answers its rows. Also `POST /__emulator/rpc/{name}` with the SQL as the body.
    pub fn sql_function(&self, name: impl Into<String>, sql: impl Into<String>) {
        self.shared
            .handlers_mut()
            .rdb_functions
            .insert(name.into(), routes::rpc::Function::Sql(sql.into()));
    }

    /// Registers SQL template `name` for `POST /v1/sql/{env}/{name}/run`;
    /// `{{ param }}` placeholders are bound as parameters.
    pub fn sql_template(&self, name: impl Into<String>, sql: impl Into<String>) {
        lock(&self.shared.data)
            .templates
            .insert(name.into(), sql.into());
    }
    /// Revokes every refresh token, so the next refresh answers `invalid_grant`.
    pub fn revoke_refresh_tokens(&self) {
        if let Err(e) = lock(&self.shared.store).revoke_all_refresh_tokens() {
            tracing::warn!("revoking refresh tokens failed: {e}");
        }
    }

    /// Blocks until the server stops (it stops only when the process ends).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
