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

mod data;
mod faults;
mod files;
mod proxy;
mod routes;
mod server;
mod store;
mod tokens;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, SystemTime};

pub use faults::{FaultAction, FaultRule, RECORDED_BODY_LIMIT, RecordedRequest};
pub use store::OutboxMessage;
pub use tokens::Claims;

use store::Store;
use tokens::TokenKeys;

/// Admin routes (`/__emulator/...`, listed with their shapes in the README section
/// "The emulator: security model and admin routes"): not part of CloudBase, never
/// used by the SDK, and each requires the [`ADMIN_TOKEN_HEADER`] header carrying
/// [`Emulator::admin_token`].
pub const ADMIN_PREFIX: &str = "/__emulator";

pub use routes::guard::ADMIN_TOKEN_HEADER;
pub use server::{DEFAULT_MAX_CONNECTIONS, Timeouts};

pub(crate) use server::ConnectionKill;
use server::{ServeLimits, serve};

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

/// Who called a function, from the bearer token.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Caller {
    /// A signed-in user.
    User {
        /// User id.
        sub: String,
        /// Token scope (`anonymous`, `user`…).
        scope: String,
    },
    /// A Publishable Key.
    PublishableKey,
    /// An API key (admin).
    ApiKey,
}

/// A function invocation as a registered closure sees it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FunctionRequest {
    /// The function, container service or API name.
    pub name: String,
    /// The HTTP method (`POST` for functions).
    pub method: http::Method,
    /// The path below the service (`/…`; `"/"` for functions, `""` when a container
    /// or API was called without a path).
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The body as sent (the caller's data as JSON, or empty).
    pub body: Vec<u8>,
    /// Request headers.
    pub headers: http::HeaderMap,
    /// Who called.
    pub caller: Caller,
}

/// What a function answers.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FunctionResponse {
    /// HTTP status (200 unless the function says otherwise).
    pub status: u16,
    /// `Content-Type`.
    pub content_type: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl FunctionResponse {
    /// A JSON answer.
    pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> Self {
        Self {
            status: 200,
            content_type: "application/json; charset=utf-8".to_owned(),
            headers: Vec::new(),
            body: serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec()),
        }
    }

    /// A `text/plain` answer.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            status: 200,
            content_type: "text/plain; charset=utf-8".to_owned(),
            headers: Vec::new(),
            body: text.into().into_bytes(),
        }
    }

    /// Raw bytes with a content type.
    pub fn bytes(content_type: impl Into<String>, body: Vec<u8>) -> Self {
        Self {
            status: 200,
            content_type: content_type.into(),
            headers: Vec::new(),
            body,
        }
    }

    /// Sets the status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Adds a header.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// A registered function.
pub type FunctionHandler = Arc<dyn Fn(&FunctionRequest) -> FunctionResponse + Send + Sync>;

/// A database function for `/v1/rdb/rest/rpc/{name}`: the named arguments (a JSON
/// object) in, the answer (any JSON) or an error message (answered 400, `P0001`) out.
pub type RdbFunction =
    Arc<dyn Fn(&serde_json::Value) -> Result<serde_json::Value, String> + Send + Sync>;

/// Largest request body the emulator reads.
const MAX_REQUEST_BYTES: usize = 64 * 1024 * 1024;
/// Requests kept in the log; the oldest go first.
const MAX_RECORDED: usize = 100_000;
/// Bytes the log may hold in all (bodies are cut to [`RECORDED_BODY_LIMIT`] each);
/// the oldest records go first.
const MAX_RECORDED_BYTES: usize = 64 * 1024 * 1024;

pub(crate) struct Shared {
    pub env_id: String,
    /// The address the listener is bound to (the `Host` check, signed URLs).
    pub addr: SocketAddr,
    /// `http://addr` as clients reach it on the bound address.
    pub base_url: String,
    /// What admin routes require in [`ADMIN_TOKEN_HEADER`].
    pub admin_token: String,
    pub timeouts: Timeouts,
    pub store: Mutex<Store>,
    /// Models, MySQL-REST tables and SQL templates (a connection of its own).
    pub data: Mutex<data::DataStore>,
    pub keys: TokenKeys,
    pub functions: RwLock<HashMap<String, FunctionHandler>>,
    /// CloudBase Run services (`/v1/cloudrun/{name}`).
    pub containers: RwLock<HashMap<String, FunctionHandler>>,
    /// HTTP APIs (`/v1/apis/{name}`).
    pub apis: RwLock<HashMap<String, FunctionHandler>>,
    /// Database functions (`/v1/rdb/rest/rpc/{name}`), keyed `name` or `schema.name`.
    pub rdb_functions: RwLock<HashMap<String, routes::rpc::Function>>,
    /// Files under the data directory, and the URLs handed out for them.
    pub files: files::FileStore,
    pub faults: Mutex<Vec<FaultRule>>,
    pub requests: Mutex<RequestLog>,
    pub publishable_keys: Vec<String>,
    pub api_keys: Vec<String>,
    pub token_lifetime: Mutex<Duration>,
    pub clock_offset_secs: Mutex<i64>,
    /// Codes per contact and window before `resource_exhausted`.
    pub verification_limit: Mutex<(u32, Duration)>,
    /// Captcha, OAuth and provider-token state (memory only).
    pub auth: Mutex<AuthState>,
    /// Signs custom-login tickets and the fake provider's ID tokens.
    pub ticket_keys: TokenKeys,
    /// The custom-login key id tickets name.
    pub ticket_key_id: String,
    pub ticket_secret: Vec<u8>,
}

/// The request log, bounded by count and by bytes held (oldest dropped first).
#[derive(Default)]
pub(crate) struct RequestLog {
    records: std::collections::VecDeque<RecordedRequest>,
    bytes: usize,
}

impl RequestLog {
    fn push(&mut self, req: RecordedRequest) {
        self.bytes = self.bytes.saturating_add(req.held_bytes());
        self.records.push_back(req);
        while self.records.len() > MAX_RECORDED || self.bytes > MAX_RECORDED_BYTES {
            let Some(old) = self.records.pop_front() else {
                break;
            };
            self.bytes = self.bytes.saturating_sub(old.held_bytes());
        }
    }

    fn clear(&mut self) {
        self.records.clear();
        self.bytes = 0;
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &RecordedRequest> {
        self.records.iter()
    }
}

/// A third-party identity the fake provider vouched for.
#[derive(Clone, Debug)]
pub(crate) struct ProviderIdentity {
    pub provider_id: String,
    pub provider_user_id: String,
    pub name: String,
    pub expires_at: i64,
}

/// Auth state kept in memory: captchas, OAuth codes, provider tokens.
#[derive(Debug)]
pub(crate) struct AuthState {
    /// Failed password sign-ins per login before a captcha is required.
    pub captcha_after_failures: u32,
    pub failed_passwords: HashMap<String, u32>,
    /// Challenge token → (answer, expires at).
    pub captcha_challenges: HashMap<String, (String, i64)>,
    /// Captcha token → expires at.
    pub captcha_tokens: HashMap<String, i64>,
    /// OAuth code → identity (and the redirect URI it was issued for).
    pub oauth_codes: HashMap<String, (ProviderIdentity, String)>,
    pub provider_tokens: HashMap<String, ProviderIdentity>,
}

impl AuthState {
    fn new() -> Self {
        Self {
            captcha_after_failures: DEFAULT_CAPTCHA_AFTER_FAILURES,
            failed_passwords: HashMap::new(),
            captcha_challenges: HashMap::new(),
            captcha_tokens: HashMap::new(),
            oauth_codes: HashMap::new(),
            provider_tokens: HashMap::new(),
        }
    }
}

/// Failed password sign-ins (per login) after which `/signin` asks for a captcha.
pub const DEFAULT_CAPTCHA_AFTER_FAILURES: u32 = 3;

/// Locks a mutex, recovering from poisoning (a panicking handler must not take the
/// whole emulator down).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    /// The emulator's clock in Unix seconds, with the test offset applied.
    pub fn now(&self) -> u64 {
        let real = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0) as i64;
        real.saturating_add(*lock(&self.clock_offset_secs)).max(0) as u64
    }

    /// `http://host:port` for URLs handed out (file URLs, the fake provider's page): the
    /// bound address. Only when bound to every interface (`0.0.0.0`, `::`) is the
    /// caller's `Host` used, which the guard has already limited to an IP literal or a
    /// loopback name.
    pub(crate) fn origin(&self, headers: &http::HeaderMap) -> String {
        if self.addr.ip().is_unspecified()
            && let Some(host) = headers
                .get(http::header::HOST)
                .and_then(|v| v.to_str().ok())
        {
            return format!("http://{host}");
        }
        self.base_url.clone()
    }

    /// Verifies an access token: signature, expiry (emulator clock) and revocation.
    pub(crate) fn authenticate(&self, token: &str) -> Result<Claims, tokens::TokenError> {
        let claims = self.keys.verify(token, self.now())?;
        match lock(&self.store).is_access_token_revoked(token) {
            Ok(false) => Ok(claims),
            _ => Err(tokens::TokenError::Invalid),
        }
    }

    fn take_fault(&self, method: &http::Method, path: &str) -> Option<FaultRule> {
        let mut faults = lock(&self.faults);
        let i = faults.iter().position(|f| f.matches(method, path))?;
        if faults[i].times <= 1 {
            return Some(faults.remove(i));
        }
        faults[i].times -= 1;
        Some(faults[i].clone())
    }

    fn record(&self, req: RecordedRequest) {
        lock(&self.requests).push(req);
    }

    fn reset(&self) {
        lock(&self.faults).clear();
        lock(&self.requests).clear();
        *lock(&self.clock_offset_secs) = 0;
        *lock(&self.auth) = AuthState::new();
        if let Err(e) = lock(&self.store).reset() {
            tracing::warn!("emulator reset failed: {e}");
        }
        self.files.reset();
        if let Err(e) = lock(&self.data).reset() {
            tracing::warn!("emulator data reset failed: {e}");
        }
    }
}

/// Where auth state is kept when the data lives in `data_path`: the same name with
/// `.auth` appended (`state.sqlite` → `state.sqlite.auth`). A separate file, so that
/// no data route (MySQL REST, models, SQL templates, `mysqlCommand`) can reach it.
pub fn auth_database_path(data_path: &std::path::Path) -> PathBuf {
    let mut name = data_path.as_os_str().to_owned();
    name.push(".auth");
    PathBuf::from(name)
}

/// Configures and starts an [`Emulator`].
#[must_use]
pub struct EmulatorBuilder {
    addr: SocketAddr,
    env_id: String,
    db_path: Option<PathBuf>,
    token_lifetime: Duration,
    functions: HashMap<String, FunctionHandler>,
    containers: HashMap<String, FunctionHandler>,
    apis: HashMap<String, FunctionHandler>,
    data_dir: Option<PathBuf>,
    publishable_keys: Vec<String>,
    api_keys: Vec<String>,
    admin_token: Option<String>,
    timeouts: Timeouts,
    max_connections: usize,
}

impl EmulatorBuilder {
    /// How long to wait on slow clients (default [`Timeouts::default`]).
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// At most this many connections served at once (default
    /// [`DEFAULT_MAX_CONNECTIONS`]); further clients wait in the listen queue.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// The admin token the admin routes require (default: a random one made at start,
    /// see [`Emulator::admin_token`]). Required when binding a non-loopback address.
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.admin_token = Some(token.into());
        self
    }

    /// Listen here instead of `127.0.0.1:0` (an ephemeral loopback port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// The environment id put in tokens (default `emulator-env`; any id is served).
    pub fn env_id(mut self, env_id: impl Into<String>) -> Self {
        self.env_id = env_id.into();
        self
    }

    /// Keep state in SQLite files instead of memory: the data (models, MySQL-REST
    /// tables) in `path`, auth state (users, tokens, codes) in a file of its own beside
    /// it ([`auth_database_path`]), which no data route can name or attach.
    pub fn database_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.db_path = Some(path.into());
        self
    }

    /// Lifetime of issued access tokens (default 7200 s, as the real service).
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// Registers a cloud function.
    pub fn function<F>(mut self, name: impl Into<String>, handler: F) -> Self
    where
        F: Fn(&FunctionRequest) -> FunctionResponse + Send + Sync + 'static,
    {
        self.functions.insert(name.into(), Arc::new(handler));
        self
    }

    /// Registers a CloudBase Run service: the closure sees every request to
    /// `/v1/cloudrun/{name}{path}` (method, path, query, headers, body).
    pub fn container<F>(mut self, name: impl Into<String>, handler: F) -> Self
    where
        F: Fn(&FunctionRequest) -> FunctionResponse + Send + Sync + 'static,
    {
        self.containers.insert(name.into(), Arc::new(handler));
        self
    }

    /// Registers an HTTP API: the closure sees every request to
    /// `/v1/apis/{name}{path}`.
    pub fn api<F>(mut self, name: impl Into<String>, handler: F) -> Self
    where
        F: Fn(&FunctionRequest) -> FunctionResponse + Send + Sync + 'static,
    {
        self.apis.insert(name.into(), Arc::new(handler));
        self
    }

    /// Keep stored files here (default: a fresh temporary directory, removed when
    /// the emulator stops).
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Accepts this Publishable Key as a bearer.
    pub fn publishable_key(mut self, key: impl Into<String>) -> Self {
        self.publishable_keys.push(key.into());
        self
    }

    /// Accepts this API key as a bearer (admin rights).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_keys.push(key.into());
        self
    }

    /// Starts serving on a background thread with its own runtime; usable from
    /// blocking code and from inside any async runtime alike.
    pub fn start(self) -> Result<Emulator, EmulatorError> {
        if !self.addr.ip().is_loopback() && self.admin_token.is_none() {
            return Err(EmulatorError::AdminTokenRequired(self.addr));
        }
        let listener =
            std::net::TcpListener::bind(self.addr).map_err(|source| EmulatorError::Bind {
                addr: self.addr,
                source,
            })?;
        listener
            .set_nonblocking(true)
            .map_err(EmulatorError::Start)?;
        let local = listener.local_addr().map_err(EmulatorError::Start)?;
        let mut secret = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut secret);
        let mut ticket_secret = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut ticket_secret);
        let mut functions = self.functions;
        functions
            .entry("echo".to_owned())
            .or_insert_with(|| Arc::new(routes::functions::echo));
        functions
            .entry("sleep".to_owned())
            .or_insert_with(|| Arc::new(routes::functions::sleep));
        functions
            .entry("fail".to_owned())
            .or_insert_with(|| Arc::new(routes::functions::fail));
        let files = files::FileStore::open(self.data_dir)?;
        let data = data::DataStore::open(self.db_path.as_deref())?;
        if let Some(path) = &self.db_path
            && data.has_legacy_auth_tables()?
        {
            return Err(EmulatorError::LegacyDatabase(path.clone()));
        }
        let auth_path = self.db_path.as_deref().map(auth_database_path);
        let host = match local.ip() {
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            std::net::IpAddr::V4(ip) => ip.to_string(),
        };
        let base_url = format!("http://{host}:{}", local.port());
        let shared = Arc::new(Shared {
            env_id: self.env_id,
            addr: local,
            base_url,
            admin_token: self
                .admin_token
                .unwrap_or_else(|| routes::auth::random_hex(24)),
            timeouts: self.timeouts,
            store: Mutex::new(Store::open(auth_path.as_deref())?),
            data: Mutex::new(data),
            keys: TokenKeys::new(&secret),
            functions: RwLock::new(functions),
            containers: RwLock::new(self.containers),
            apis: RwLock::new(self.apis),
            rdb_functions: RwLock::new(HashMap::new()),
            files,
            faults: Mutex::new(Vec::new()),
            requests: Mutex::new(RequestLog::default()),
            publishable_keys: self.publishable_keys,
            api_keys: self.api_keys,
            token_lifetime: Mutex::new(self.token_lifetime),
            clock_offset_secs: Mutex::new(0),
            verification_limit: Mutex::new((5, Duration::from_secs(60))),
            auth: Mutex::new(AuthState::new()),
            ticket_keys: TokenKeys::new(&ticket_secret),
            ticket_key_id: format!("emulator-key-{}", routes::auth::random_hex(4)),
            ticket_secret: ticket_secret.to_vec(),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("cloudbase-emulator")
            .enable_all()
            .build()
            .map_err(EmulatorError::Start)?;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
        let app = routes::router(shared.clone());
        let limits = ServeLimits {
            headers: self.timeouts.headers,
            max_connections: self.max_connections,
        };
        let thread = std::thread::Builder::new()
            .name("cloudbase-emulator".to_owned())
            .spawn(move || runtime.block_on(serve(listener, app, limits, stop_rx)))
            .map_err(EmulatorError::Start)?;
        Ok(Emulator {
            shared,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }
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
            .field("base_url", &self.shared.base_url)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// A builder with defaults: `127.0.0.1:0`, in-memory SQLite, 2 h tokens.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            env_id: "emulator-env".to_owned(),
            db_path: None,
            token_lifetime: Duration::from_secs(7200),
            functions: HashMap::new(),
            containers: HashMap::new(),
            apis: HashMap::new(),
            data_dir: None,
            publishable_keys: Vec::new(),
            api_keys: Vec::new(),
            admin_token: None,
            timeouts: Timeouts::default(),
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }

    /// Starts an emulator with the defaults.
    pub fn start() -> Result<Self, EmulatorError> {
        Self::builder().start()
    }

    /// `http://127.0.0.1:PORT`: use it as the client's base URL.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
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
        &self.shared.admin_token
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// The environment id the emulator puts in tokens.
    pub fn env_id(&self) -> &str {
        &self.shared.env_id
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
        let mut functions = self
            .shared
            .functions
            .write()
            .unwrap_or_else(|p| p.into_inner());
        functions.insert(name.into(), Arc::new(handler));
    }

    /// Registers (or replaces) a CloudBase Run service while running.
    pub fn register_container<F>(&self, name: impl Into<String>, handler: F)
    where
        F: Fn(&FunctionRequest) -> FunctionResponse + Send + Sync + 'static,
    {
        let mut containers = self
            .shared
            .containers
            .write()
            .unwrap_or_else(|p| p.into_inner());
        containers.insert(name.into(), Arc::new(handler));
    }

    /// Registers (or replaces) an HTTP API while running.
    pub fn register_api<F>(&self, name: impl Into<String>, handler: F)
    where
        F: Fn(&FunctionRequest) -> FunctionResponse + Send + Sync + 'static,
    {
        let mut apis = self.shared.apis.write().unwrap_or_else(|p| p.into_inner());
        apis.insert(name.into(), Arc::new(handler));
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

    /// Sets the lifetime of tokens issued from now on.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        *lock(&self.shared.token_lifetime) = lifetime;
    }

    /// Shifts the emulator's clock (token expiry checks) by `secs`.
    pub fn set_clock_offset(&self, secs: i64) {
        *lock(&self.shared.clock_offset_secs) = secs;
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

    /// The latest code sent to `to` (an email address or `+CC NNNN` phone number).
    pub fn last_code(&self, to: &str) -> Option<String> {
        self.outbox()
            .into_iter()
            .rev()
            .find(|m| m.to == to)
            .map(|m| m.code)
    }

    /// At most `max` codes per contact within `window` (default 5 per 60 s); more
    /// answer `resource_exhausted` with `retry_after`.
    pub fn set_verification_rate_limit(&self, max: u32, window: Duration) {
        *lock(&self.shared.verification_limit) = (max, window);
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
    /// environment's custom-login key: `{key_id}/@@/{JWT}` with `{env, iat, exp, uid,
    /// refresh, expire}` in milliseconds (auth.md §5.5). The real service signs with
    /// RS256 and a downloaded private key; the emulator signs and checks HS256 with
    /// its own key ([`Emulator::custom_login_key`]).
    pub fn custom_ticket(&self, uid: &str) -> String {
        routes::identity::mint_ticket(&self.shared, uid)
    }

    /// The custom-login key: `(key id, HS256 secret)`, for servers under test that
    /// mint their own tickets.
    pub fn custom_login_key(&self) -> (String, Vec<u8>) {
        (
            self.shared.ticket_key_id.clone(),
            self.shared.ticket_secret.clone(),
        )
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
            .rdb_functions
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.into(), routes::rpc::Function::Rust(Arc::new(function)));
    }

    /// Declares database function `name` (`schema.name` for another schema) as one
    /// SQL statement on the data database, arguments bound as `:name` parameters; it
    /// answers its rows. Also `POST /__emulator/rpc/{name}` with the SQL as the body.
    pub fn sql_function(&self, name: impl Into<String>, sql: impl Into<String>) {
        self.shared
            .rdb_functions
            .write()
            .unwrap_or_else(|p| p.into_inner())
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

pub(crate) use faults::FaultRuleJson;
pub(crate) const MAX_BODY: usize = MAX_REQUEST_BYTES;
