//! The state a running emulator owns: its site (address, keys it accepts), the
//! stores, the registered handlers, test settings and hooks.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, SystemTime};

use crate::data::DataStore;
use crate::faults::{FaultRule, RecordedRequest};
use crate::files::FileStore;
use crate::handlers::FunctionHandler;
use crate::routes;
use crate::server::Timeouts;
use crate::store::Store;
use crate::tokens::{self, AccessKeys, Claims, HmacKey, PendingKey};

/// Largest request body the emulator reads.
pub(crate) const MAX_REQUEST_BYTES: usize = 64 * 1024 * 1024;
/// Requests kept in the log; the oldest go first.
const MAX_RECORDED: usize = 100_000;
/// Bytes the log may hold in all (bodies are cut to [`RECORDED_BODY_LIMIT`] each);
/// the oldest records go first.
const MAX_RECORDED_BYTES: usize = 64 * 1024 * 1024;

/// What the emulator knows about where it serves and whom it accepts: fixed at start.
pub(crate) struct Site {
    pub env_id: String,
    /// The address the listener is bound to (the `Host` check, signed URLs).
    pub addr: SocketAddr,
    /// `http://addr` as clients reach it on the bound address.
    pub base_url: String,
    /// What admin routes require in [`ADMIN_TOKEN_HEADER`](crate::ADMIN_TOKEN_HEADER).
    pub admin_token: String,
    pub timeouts: Timeouts,
    pub publishable_keys: Vec<String>,
    pub api_keys: Vec<String>,
    /// SecretId / SecretKey pairs `/token/clientCredential` accepts.
    pub server_secrets: Vec<(String, String)>,
}

/// The closures that answer compute routes.
#[derive(Default)]
pub(crate) struct Handlers {
    pub functions: HashMap<String, FunctionHandler>,
    /// CloudBase Run services (`/v1/cloudrun/{name}`).
    pub containers: HashMap<String, FunctionHandler>,
    /// HTTP APIs (`/v1/apis/{name}`).
    pub apis: HashMap<String, FunctionHandler>,
    /// Database functions (`/v1/rdb/rest/rpc/{name}`), keyed `name` or `schema.name`.
    pub rdb_functions: HashMap<String, routes::rpc::Function>,
}

/// What tests may change while the emulator runs.
pub(crate) struct Settings {
    pub token_lifetime: Duration,
    /// Lifetime of server-credential (admin) tokens.
    pub server_token_lifetime: Duration,
    pub clock_offset_secs: i64,
    /// Codes per contact and window before `resource_exhausted`.
    pub verification_limit: (u32, Duration),
}

/// The AI routes' state.
#[derive(Default)]
pub(crate) struct AiState {
    pub models: HashMap<String, crate::ai_script::ModelScript>,
    pub agents: HashMap<String, crate::routes::aibot::Agent>,
    pub conversations: HashMap<String, Vec<serde_json::Value>>,
}

/// The keys tokens are signed with.
pub(crate) struct Keys {
    /// Access tokens (RS256, published at `/auth/v1/certs`).
    pub access: AccessKeys,
    /// The custom-login key tickets are verified with; its kid is the key file's
    /// `private_key_id`.
    pub custom_login: PendingKey,
    /// The fake identity provider's ID tokens.
    pub provider: HmacKey,
}

/// Everything a running emulator owns, shared by its request handlers.
pub(crate) struct Shared {
    pub site: Site,
    pub keys: Keys,
    /// Users, sessions, codes (the auth database).
    pub store: Mutex<Store>,
    /// Models, MySQL-REST tables and SQL templates (a connection of its own).
    pub data: Mutex<DataStore>,
    /// Files under the data directory, and the URLs handed out for them.
    pub files: FileStore,
    pub handlers: RwLock<Handlers>,
    pub settings: Mutex<Settings>,
    /// Scripted models, agents and conversations (memory only).
    pub ai: Mutex<AiState>,
    /// Captcha, OAuth and provider-token state (memory only).
    pub auth: Mutex<AuthState>,
    pub faults: Mutex<Vec<FaultRule>>,
    pub requests: Mutex<RequestLog>,
    /// Signalled whenever a request is recorded (tests wait on it instead of sleeping).
    pub recorded: Condvar,
}

/// The request log, bounded by count and by bytes held (oldest dropped first).
#[derive(Default)]
pub(crate) struct RequestLog {
    records: std::collections::VecDeque<RecordedRequest>,
    bytes: usize,
}

impl RequestLog {
    pub(crate) fn push(&mut self, req: RecordedRequest) {
        self.bytes = self.bytes.saturating_add(req.held_bytes());
        self.records.push_back(req);
        while self.records.len() > MAX_RECORDED || self.bytes > MAX_RECORDED_BYTES {
            let Some(old) = self.records.pop_front() else {
                break;
            };
            self.bytes = self.bytes.saturating_sub(old.held_bytes());
        }
    }

    pub(crate) fn clear(&mut self) {
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
    pub(crate) fn new() -> Self {
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
    /// The registered handlers, for reading.
    pub(crate) fn handlers(&self) -> RwLockReadGuard<'_, Handlers> {
        self.handlers.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The registered handlers, for registering.
    pub(crate) fn handlers_mut(&self) -> RwLockWriteGuard<'_, Handlers> {
        self.handlers.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The emulator's clock in Unix seconds, with the test offset applied.
    pub fn now(&self) -> u64 {
        let real = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0) as i64;
        real.saturating_add(lock(&self.settings).clock_offset_secs)
            .max(0) as u64
    }

    /// `http://host:port` for URLs handed out (file URLs, the fake provider's page): the
    /// bound address. Only when bound to every interface (`0.0.0.0`, `::`) is the
    /// caller's `Host` used, which the guard has already limited to an IP literal or a
    /// loopback name.
    pub(crate) fn origin(&self, headers: &http::HeaderMap) -> String {
        if self.site.addr.ip().is_unspecified()
            && let Some(host) = headers
                .get(http::header::HOST)
                .and_then(|v| v.to_str().ok())
        {
            return format!("http://{host}");
        }
        self.site.base_url.clone()
    }

    /// Verifies an access token: signature, expiry (emulator clock) and revocation.
    pub(crate) fn authenticate(&self, token: &str) -> Result<Claims, tokens::TokenError> {
        let claims = self.keys.access.verify(token, self.now())?;
        match lock(&self.store).is_access_token_revoked(token) {
            Ok(false) => Ok(claims),
            _ => Err(tokens::TokenError::Invalid),
        }
    }

    pub(crate) fn take_fault(&self, method: &http::Method, path: &str) -> Option<FaultRule> {
        let mut faults = lock(&self.faults);
        let i = faults.iter().position(|f| f.matches(method, path))?;
        if faults[i].times <= 1 {
            return Some(faults.remove(i));
        }
        faults[i].times -= 1;
        Some(faults[i].clone())
    }

    pub(crate) fn record(&self, req: RecordedRequest) {
        lock(&self.requests).push(req);
        self.recorded.notify_all();
    }

    pub(crate) fn reset(&self) {
        lock(&self.faults).clear();
        lock(&self.requests).clear();
        lock(&self.settings).clock_offset_secs = 0;
        *lock(&self.auth) = AuthState::new();
        {
            // Agents and conversations made through the API are data; scripted models
            // and agents are registrations, kept like registered functions.
            let mut ai = lock(&self.ai);
            ai.agents.retain(|_, a| a.script.is_some());
            ai.conversations.clear();
        }
        if let Err(e) = lock(&self.store).reset() {
            tracing::warn!("emulator reset failed: {e}");
        }
        self.files.reset();
        if let Err(e) = lock(&self.data).reset() {
            tracing::warn!("emulator data reset failed: {e}");
        }
    }
}
