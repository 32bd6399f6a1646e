//! The state one client shares between its calls.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use rand_core::RngCore;

use crate::captcha::{CaptchaCache, CaptchaSolver};
use crate::config::Config;
use crate::ids;
use crate::persistence::StoreLink;
use crate::refresh_slot::RefreshSlot;
use crate::session::Session;

/// The state one client shares between its calls: configuration, session, device id,
/// the refresh slot and the random source.
pub struct ClientState {
    /// Shared with requests being built outside the lock.
    pub(crate) config: Arc<Config>,
    pub(crate) session: Session,
    pub(crate) device_id: String,
    /// `device_id` as the `x-device-id` header value, built once (every auth request
    /// sends it).
    pub(crate) device_id_header: Option<http::HeaderValue>,
    pub(crate) refresh: RefreshSlot,
    pub(crate) rng: Box<dyn RngCore + Send>,
    captcha_solver: Option<Arc<dyn CaptchaSolver>>,
    pub(crate) captcha_cache: CaptchaCache,
    /// The admin token of server credentials, once obtained (never persisted).
    pub(crate) server_token: Option<crate::auth::ServerToken>,
    /// The key set users' tokens are verified with.
    #[cfg(feature = "backend")]
    pub(crate) key_cache: crate::backend::KeyCache,
    /// Where the session is kept, if anywhere.
    pub(crate) store: Option<StoreLink>,
    /// Numbers session changes for the store, so the newest one wins.
    pub(crate) persist_seq: u64,
    /// The change just made is already what the store holds (read from it, or
    /// written under its lock): the next persist is skipped.
    pub(crate) store_in_sync: bool,
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientState")
            .field("config", &self.config)
            .field("session", &self.session)
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

impl ClientState {
    /// A fresh state. `rng` supplies request ids, the device id (when the config has
    /// none) and backoff jitter; pass a seeded generator for reproducible tests.
    ///
    /// ```
    /// use cloudbase_core::{ClientState, Config};
    /// use rand::SeedableRng;
    ///
    /// let config = Config::builder("demo-env").build()?;
    /// let state = ClientState::new(config, Box::new(rand::rngs::StdRng::seed_from_u64(7)));
    /// assert_eq!(state.device_id().len(), 32);
    /// # Ok::<(), cloudbase_core::ConfigError>(())
    /// ```
    pub fn new(config: Config, mut rng: Box<dyn RngCore + Send>) -> Self {
        let device_id = match config.device_id() {
            Some(id) => id.to_owned(),
            None => ids::device_id(rng.as_mut()),
        };
        let device_id_header = http::HeaderValue::from_str(&device_id).ok();
        Self {
            config: Arc::new(config),
            session: Session::default(),
            device_id_header,
            device_id,
            refresh: RefreshSlot::default(),
            rng,
            captcha_solver: None,
            captcha_cache: CaptchaCache::default(),
            server_token: None,
            #[cfg(feature = "backend")]
            key_cache: Default::default(),
            store: None,
            persist_seq: 0,
            store_in_sync: false,
        }
    }

    /// Answers captcha challenges from now on (`None`: give them to the caller as
    /// [`Error::Captcha`](crate::Error::Captcha)).
    pub fn set_captcha_solver(&mut self, solver: Option<Arc<dyn CaptchaSolver>>) {
        self.captcha_solver = solver;
    }

    /// The captcha solver, if one is set.
    pub fn captcha_solver(&self) -> Option<Arc<dyn CaptchaSolver>> {
        self.captcha_solver.clone()
    }

    /// `bytes` random bytes as lower-case hex (OAuth `state` values and the like).
    pub fn random_hex(&mut self, bytes: usize) -> String {
        let mut b = vec![0u8; bytes];
        self.rng.fill_bytes(&mut b);
        crate::ids::hex(&b)
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The session.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The session, for changing it directly.
    pub fn session_mut(&mut self) -> &mut Session {
        &mut self.session
    }

    /// The `x-device-id` this client sends.
    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    /// Moves whenever a refresh starts or finishes ([`Step::Wait`](crate::Step::Wait) waits on it).
    pub fn refresh_generation(&self) -> u64 {
        self.refresh.generation
    }

    /// Whether a refresh is in flight.
    pub fn refresh_in_flight(&self) -> bool {
        self.refresh.in_flight()
    }

    /// A `Step::Wait` for the refresh in flight: woken by the generation moving,
    /// re-checked at the latest after one attempt's timeouts.
    pub(crate) fn wait_for_refresh(&self, now: SystemTime) -> (u64, SystemTime) {
        let t = self.config.transport();
        (
            self.refresh.generation,
            crate::expiry::deadline_after(now, t.connect_timeout.saturating_add(t.request_timeout)),
        )
    }
}
