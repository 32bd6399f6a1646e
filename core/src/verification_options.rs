//! How users' access tokens are verified on a backend (the `backend` feature's
//! `verify_access_token`): clock leeway, where the key set comes from and how long
//! it is cached, which issuer and audience are expected.

use std::time::Duration;

/// How users' access tokens are verified. Defaults: 60 s leeway, key set from
/// `GET /auth/v1/certs` (unconfirmed in the official reference; docs/protocol/auth.md),
/// cached 10 minutes, an unknown `kid` refetches at most every 30 s, and a cached set
/// keeps verifying for an hour past its age while fetches fail.
///
/// ```
/// use cloudbase_core::config::VerificationOptions;
/// use std::time::Duration;
///
/// let options = VerificationOptions::new().leeway(Duration::from_secs(5)).key_set_path("certs");
/// assert_eq!(options.leeway_value(), Duration::from_secs(5));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct VerificationOptions {
    pub(crate) leeway: Duration,
    pub(crate) key_set_path: String,
    pub(crate) cache_for: Duration,
    pub(crate) refetch_interval: Duration,
    pub(crate) stale_for: Duration,
    pub(crate) issuer: Option<String>,
    pub(crate) audience: Option<String>,
}

impl Default for VerificationOptions {
    fn default() -> Self {
        Self {
            leeway: Duration::from_secs(60),
            key_set_path: "certs".to_owned(),
            cache_for: Duration::from_secs(600),
            refetch_interval: Duration::from_secs(30),
            stale_for: Duration::from_secs(3600),
            issuer: None,
            audience: None,
        }
    }
}

impl VerificationOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Clock difference tolerated on `exp`, `nbf` and `iat` (default 60 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The key set's path under `/auth/v1/` (default `certs`).
    pub fn key_set_path(mut self, path: impl Into<String>) -> Self {
        self.key_set_path = path.into();
        self
    }

    /// How long a fetched key set is used before it is fetched again (default 10 min).
    pub fn cache_for(mut self, age: Duration) -> Self {
        self.cache_for = age;
        self
    }

    /// The least time between two fetches caused by unknown `kid`s or failures
    /// (default 30 s), so forged kids cannot make the client hammer the server.
    pub fn refetch_interval(mut self, interval: Duration) -> Self {
        self.refetch_interval = interval;
        self
    }

    /// How long past its age a cached set keeps verifying while fetches fail
    /// (default 1 hour).
    pub fn stale_for(mut self, extra: Duration) -> Self {
        self.stale_for = extra;
        self
    }

    /// The exact `iss` required. Default: when a token has an `iss`, its host must
    /// start with `{env_id}.`.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// The `aud` required. Default: when a token has an `aud`, it must be the client
    /// id or the environment id.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The leeway set.
    pub fn leeway_value(&self) -> Duration {
        self.leeway
    }
}
