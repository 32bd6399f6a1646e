//! Configuring and starting an emulator.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use crate::handlers::{FunctionHandler, FunctionRequest, FunctionResponse};
use crate::server::{DEFAULT_MAX_CONNECTIONS, ServeLimits, Timeouts, serve};
use crate::shared::{AuthState, Handlers, Keys, RequestLog, Settings, Shared, Site};
use crate::store::Store;
use crate::tokens::{AccessKeys, HmacKey, PendingKey};
use crate::{Emulator, EmulatorError, auth_database_path, data, files, routes};

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
    server_secrets: Vec<(String, String)>,
    admin_token: Option<String>,
    timeouts: Timeouts,
    max_connections: usize,
}

impl EmulatorBuilder {
    /// The defaults: `127.0.0.1:0`, in-memory SQLite, 2 h tokens.
    pub(crate) fn new() -> Self {
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
            server_secrets: Vec::new(),
            admin_token: None,
            timeouts: Timeouts::default(),
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }

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

    /// Accepts this SecretId / SecretKey pair at `POST /auth/v1/token/clientCredential`
    /// (repeatable). Without one, the emulator makes up a pair
    /// ([`Emulator::server_secret`]).
    pub fn server_secret(
        mut self,
        secret_id: impl Into<String>,
        secret_key: impl Into<String>,
    ) -> Self {
        self.server_secrets
            .push((secret_id.into(), secret_key.into()));
        self
    }

    /// Starts serving on a background thread with its own runtime; usable from
    /// blocking code and from inside any async runtime alike.
    pub fn start(self) -> Result<Emulator, EmulatorError> {
        if !self.addr.ip().is_loopback() && self.admin_token.is_none() {
            return Err(EmulatorError::AdminTokenRequired(self.addr));
        }
        // Key generation (a tenth of a second or more) runs while the rest starts.
        let access_keys = AccessKeys::new();
        let listener =
            std::net::TcpListener::bind(self.addr).map_err(|source| EmulatorError::Bind {
                addr: self.addr,
                source,
            })?;
        listener
            .set_nonblocking(true)
            .map_err(EmulatorError::Start)?;
        let local = listener.local_addr().map_err(EmulatorError::Start)?;
        let mut provider_secret = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut provider_secret);
        let mut server_secrets = self.server_secrets;
        if server_secrets.is_empty() {
            server_secrets.push((
                format!("AKIDemulator{}", crate::ids::random_hex(8)),
                crate::ids::random_hex(16),
            ));
        }
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
            site: Site {
                env_id: self.env_id,
                addr: local,
                base_url,
                admin_token: self
                    .admin_token
                    .unwrap_or_else(|| crate::ids::random_hex(24)),
                timeouts: self.timeouts,
                publishable_keys: self.publishable_keys,
                api_keys: self.api_keys,
                server_secrets,
            },
            keys: Keys {
                access: access_keys,
                custom_login: PendingKey::spawn(format!(
                    "emulator-key-{}",
                    crate::ids::random_hex(4)
                )),
                provider: HmacKey::new(&provider_secret),
            },
            store: Mutex::new(Store::open(auth_path.as_deref())?),
            data: Mutex::new(data),
            files,
            handlers: RwLock::new(Handlers {
                functions,
                containers: self.containers,
                apis: self.apis,
                rdb_functions: HashMap::new(),
            }),
            settings: Mutex::new(Settings {
                token_lifetime: self.token_lifetime,
                // The documented example's `expires_in` (docs/protocol/auth.md §2).
                server_token_lifetime: Duration::from_secs(432_000),
                clock_offset_secs: 0,
                verification_limit: (5, Duration::from_secs(60)),
            }),
            auth: Mutex::new(AuthState::new()),
            ai: Mutex::new(Default::default()),
            faults: Mutex::new(Vec::new()),
            requests: Mutex::new(RequestLog::default()),
            recorded: std::sync::Condvar::new(),
        });
        // The access-token key is generated on a background thread while the rest
        // starts; serving begins only once it is ready, so a first sign-in never waits
        // on key generation (with a short client timeout it would time out).
        shared
            .keys
            .access
            .all()
            .map_err(EmulatorError::SigningKey)?;
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
