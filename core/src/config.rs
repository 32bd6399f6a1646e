//! Client configuration: which environment, where it lives, and how to authenticate.

use std::time::Duration;

use url::{Host, Url};

pub use crate::error::ConfigError;
use crate::retry::RetryPolicy;
use crate::secret::Secret;
pub use crate::transport_options::TransportOptions;
pub use crate::verification_options::VerificationOptions;

/// Regions whose environments are served by the mainland gateway. Every other region
/// uses the international gateway origin (the node-sdk rule, protocol README).
const MAINLAND_REGIONS: &[&str] = &[
    "ap-shanghai",
    "ap-guangzhou",
    "ap-shenzhen-fsi",
    "ap-shanghai-fsi",
    "ap-nanjing",
    "ap-beijing",
    "ap-chengdu",
    "ap-chongqing",
    "ap-hongkong",
];

/// The refresh margin used when none is given (docs/protocol/auth.md §3: the JS SDK refreshes 30 s early).
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(30);

/// The region used when none is given, as in the official SDKs.
pub const DEFAULT_REGION: &str = "ap-shanghai";

/// What the client presents when no user is signed in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credential {
    /// Nothing: gateway calls need a signed-in user.
    #[default]
    None,
    /// A Publishable Key: safe to ship in clients, grants anonymous-user rights.
    PublishableKey(Secret),
    /// An API key: server-side only, grants admin rights.
    ApiKey(Secret),
    /// A Tencent Cloud SecretId / SecretKey pair: server-side only. The client
    /// exchanges it for an admin access token (`POST /auth/v1/token/clientCredential`,
    /// docs/protocol/auth.md §5.1), keeps the token and renews it before it expires;
    /// gateway calls without a signed-in user carry that token.
    ServerSecret {
        /// The SecretId (sent in the clear inside the Basic credential).
        secret_id: String,
        /// The SecretKey.
        secret_key: Secret,
    },
}

impl Credential {
    /// The key, if any.
    pub fn key(&self) -> Option<&Secret> {
        match self {
            Credential::None | Credential::ServerSecret { .. } => None,
            Credential::PublishableKey(k) | Credential::ApiKey(k) => Some(k),
        }
    }

    /// Whether gateway calls carry a token obtained with server credentials.
    pub fn is_server_secret(&self) -> bool {
        matches!(self, Credential::ServerSecret { .. })
    }
}

/// The language the server answers messages in (`Accept-Language`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Language {
    /// `zh-CN`, the official SDKs' default.
    #[default]
    ZhCn,
    /// `en-US`.
    EnUs,
}

impl Language {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::ZhCn => "zh-CN",
            Language::EnUs => "en-US",
        }
    }
}

/// Everything the client needs to know about the environment it talks to.
///
/// Build one with [`Config::builder`]; every field is validated there, so a `Config`
/// that exists is usable.
///
/// ```
/// use cloudbase_core::Config;
///
/// let config = Config::builder("my-env-1a2b")
///     .region("ap-singapore")
///     .publishable_key("pk_example")
///     .build()?;
/// assert_eq!(config.gateway_origin().as_str(), "https://my-env-1a2b.api.intl.tcloudbasegateway.com/");
/// assert_eq!(config.client_id(), "my-env-1a2b");
/// # Ok::<(), cloudbase_core::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    env_id: String,
    region: String,
    credential: Credential,
    client_id: String,
    /// `client_id=<client id>`, percent-encoded once (credential-less auth calls add
    /// it to their query; encoding it per call was ~0.5k of the ~3.9k instructions building a sign-in took).
    client_id_pair: String,
    language: Language,
    device_id: Option<String>,
    origin: Url,
    retry: RetryPolicy,
    transport: TransportOptions,
    refresh_margin: Duration,
    verification: VerificationOptions,
}

impl Config {
    /// Starts a configuration for environment `env_id`.
    pub fn builder(env_id: impl Into<String>) -> ConfigBuilder {
        ConfigBuilder {
            env_id: env_id.into(),
            region: None,
            credential: Credential::None,
            client_id: None,
            language: Language::default(),
            device_id: None,
            base_url: None,
            retry: RetryPolicy::default(),
            transport: TransportOptions::default(),
            refresh_margin: DEFAULT_REFRESH_MARGIN,
            verification: VerificationOptions::default(),
        }
    }

    /// A configuration from the process environment (twelve-factor style):
    /// `CLOUDBASE_ENV` (required), `CLOUDBASE_REGION`, `CLOUDBASE_PUBLISHABLE_KEY` or
    /// `CLOUDBASE_API_KEY`, and `CLOUDBASE_EMULATOR_HOST` (`host:port` of a local
    /// emulator: every call goes there, like Firebase's `FIREBASE_AUTH_EMULATOR_HOST`).
    /// An error names the variable. Reading the environment is the only thing this
    /// does beyond [`Config::from_vars`].
    ///
    /// ```no_run
    /// let config = cloudbase_core::Config::from_env()?;
    /// # Ok::<(), cloudbase_core::ConfigError>(())
    /// ```
    pub fn from_env() -> Result<Config, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// As [`Config::from_env`], with the variables looked up by `var` (tests, or a
    /// configuration source of the app's own).
    ///
    /// ```
    /// use cloudbase_core::Config;
    /// let vars = [("CLOUDBASE_ENV", "my-env"), ("CLOUDBASE_EMULATOR_HOST", "127.0.0.1:8787")];
    /// let config = Config::from_vars(|name| {
    ///     vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    /// })?;
    /// assert_eq!(config.gateway_origin().as_str(), "http://127.0.0.1:8787/");
    /// # Ok::<(), cloudbase_core::ConfigError>(())
    /// ```
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let named = |variable: &'static str| {
            move |e: ConfigError| ConfigError::Env {
                variable,
                reason: e.to_string(),
            }
        };
        let present = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let env = present("CLOUDBASE_ENV").ok_or(ConfigError::Env {
            variable: "CLOUDBASE_ENV",
            reason: "not set".into(),
        })?;
        let mut builder = Config::builder(env.trim());
        if let Some(region) = present("CLOUDBASE_REGION") {
            builder = builder.region(region.trim());
        }
        let (publishable, api, secret_id, secret_key) = (
            present("CLOUDBASE_PUBLISHABLE_KEY"),
            present("CLOUDBASE_API_KEY"),
            present("CLOUDBASE_SECRET_ID"),
            present("CLOUDBASE_SECRET_KEY"),
        );
        let chosen = [publishable.is_some(), api.is_some(), secret_id.is_some()];
        if chosen.iter().filter(|set| **set).count() > 1 {
            return Err(ConfigError::Env {
                variable: "CLOUDBASE_API_KEY",
                reason: "set only one of CLOUDBASE_PUBLISHABLE_KEY, CLOUDBASE_API_KEY and \
                         CLOUDBASE_SECRET_ID"
                    .into(),
            });
        }
        builder = match (publishable, api, secret_id, secret_key) {
            (Some(key), ..) => builder.publishable_key(key.trim()),
            (_, Some(key), ..) => builder.api_key(key.trim()),
            (_, _, Some(id), Some(key)) => builder.server_secret(id.trim(), key.trim()),
            (_, _, Some(_), None) => {
                return Err(ConfigError::Env {
                    variable: "CLOUDBASE_SECRET_KEY",
                    reason: "not set (CLOUDBASE_SECRET_ID is)".into(),
                });
            }
            (_, _, None, Some(_)) => {
                return Err(ConfigError::Env {
                    variable: "CLOUDBASE_SECRET_ID",
                    reason: "not set (CLOUDBASE_SECRET_KEY is)".into(),
                });
            }
            _ => builder,
        };
        let emulator = present("CLOUDBASE_EMULATOR_HOST");
        if let Some(host) = &emulator {
            let host = host.trim();
            let url = if host.contains("://") {
                host.to_owned()
            } else {
                format!("http://{host}")
            };
            builder = builder.base_url(url);
        }
        builder.build().map_err(|e| match (&e, &emulator) {
            (ConfigError::InvalidBaseUrl { .. } | ConfigError::InsecureBaseUrl(_), Some(_)) => {
                named("CLOUDBASE_EMULATOR_HOST")(e)
            }
            (ConfigError::InvalidRegion(_), _) => named("CLOUDBASE_REGION")(e),
            (ConfigError::InvalidKey, _) => {
                named("CLOUDBASE_PUBLISHABLE_KEY or CLOUDBASE_API_KEY")(e)
            }
            (ConfigError::InvalidServerSecret, _) => {
                named("CLOUDBASE_SECRET_ID or CLOUDBASE_SECRET_KEY")(e)
            }
            _ => named("CLOUDBASE_ENV")(e),
        })
    }

    /// How long before expiry an access token is refreshed (default 30 s).
    pub fn refresh_margin(&self) -> Duration {
        self.refresh_margin
    }

    /// The environment id.
    pub fn env_id(&self) -> &str {
        &self.env_id
    }

    /// The region (default `ap-shanghai`).
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The credential used when no user is signed in.
    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    /// The OAuth client id (defaults to the environment id).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// `client_id=…`, percent-encoded, for a request's query.
    pub(crate) fn client_id_pair(&self) -> &str {
        &self.client_id_pair
    }

    /// The `Accept-Language` choice.
    pub fn language(&self) -> Language {
        self.language
    }

    /// The caller-provided device id, if any (otherwise the client generates one).
    pub fn device_id(&self) -> Option<&str> {
        self.device_id.as_deref()
    }

    /// The retry policy.
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Timeouts and size limits for the adapters.
    pub fn transport(&self) -> &TransportOptions {
        &self.transport
    }

    /// How users' access tokens are verified (backends).
    pub fn verification(&self) -> &VerificationOptions {
        &self.verification
    }

    /// Whether this region is served by the international gateway.
    pub fn uses_intl_gateway(&self) -> bool {
        uses_intl_gateway(&self.region)
    }

    /// The origin every `/auth/...` and `/v1/...` path is appended to: the base-URL
    /// override if set, else `https://{env}.api.tcloudbasegateway.com` (or the
    /// `api.intl.` host outside the mainland regions).
    pub fn gateway_origin(&self) -> &Url {
        &self.origin
    }
}

/// Builder for [`Config`]; see [`Config::builder`].
#[derive(Clone, Debug)]
#[must_use]
pub struct ConfigBuilder {
    env_id: String,
    region: Option<String>,
    credential: Credential,
    client_id: Option<String>,
    language: Language,
    device_id: Option<String>,
    base_url: Option<String>,
    retry: RetryPolicy,
    transport: TransportOptions,
    refresh_margin: Duration,
    verification: VerificationOptions,
}

impl ConfigBuilder {
    /// How users' access tokens are verified on a backend (leeway, key set path and
    /// caching, expected issuer and audience).
    pub fn token_verification(mut self, options: VerificationOptions) -> Self {
        self.verification = options;
        self
    }

    /// Refresh the access token this long before it expires (default 30 s, as the
    /// JS SDK).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// The region, e.g. `ap-shanghai` (default) or `ap-singapore`.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Use a Publishable Key when no user is signed in.
    pub fn publishable_key(mut self, key: impl Into<Secret>) -> Self {
        self.credential = Credential::PublishableKey(key.into());
        self
    }

    /// Use an API key (server-side, admin rights) when no user is signed in.
    pub fn api_key(mut self, key: impl Into<Secret>) -> Self {
        self.credential = Credential::ApiKey(key.into());
        self
    }

    /// Use server credentials (a Tencent Cloud SecretId / SecretKey pair) when no
    /// user is signed in: the client obtains an admin token with them and renews it
    /// before it expires.
    pub fn server_secret(
        mut self,
        secret_id: impl Into<String>,
        secret_key: impl Into<Secret>,
    ) -> Self {
        self.credential = Credential::ServerSecret {
            secret_id: secret_id.into(),
            secret_key: secret_key.into(),
        };
        self
    }

    /// Set the credential directly.
    pub fn credential(mut self, credential: Credential) -> Self {
        self.credential = credential;
        self
    }

    /// The OAuth client id; defaults to the environment id.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// The `Accept-Language` sent with every request.
    pub fn language(mut self, language: Language) -> Self {
        self.language = language;
        self
    }

    /// A stable device id (16–48 characters). Without one, the client generates a
    /// 32-hex id from its random source; persist and pass it back to keep anonymous
    /// users stable across restarts.
    pub fn device_id(mut self, device_id: impl Into<String>) -> Self {
        self.device_id = Some(device_id.into());
        self
    }

    /// Send everything to this origin instead of the public gateway, e.g. a local
    /// emulator at `http://127.0.0.1:8787`. Plain `http` is accepted only for loopback
    /// hosts.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// How failed attempts are retried.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Timeouts and the response-size limit.
    pub fn transport(mut self, transport: TransportOptions) -> Self {
        self.transport = transport;
        self
    }

    /// Validates everything and builds the [`Config`].
    pub fn build(self) -> Result<Config, ConfigError> {
        validate_env_id(&self.env_id)?;
        let region = self.region.unwrap_or_else(|| DEFAULT_REGION.to_owned());
        if !is_host_label(&region) {
            return Err(ConfigError::InvalidRegion(region));
        }
        let client_id = self.client_id.unwrap_or_else(|| self.env_id.clone());
        if client_id.is_empty() || !client_id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ConfigError::InvalidClientId(client_id));
        }
        if let Some(key) = self.credential.key()
            && (key.is_empty() || !key.expose().bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(ConfigError::InvalidKey);
        }
        if let Credential::ServerSecret {
            secret_id,
            secret_key,
        } = &self.credential
        {
            // Basic credentials: the id may not hold the `:` that ends it.
            let header_safe = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic());
            if !header_safe(secret_id)
                || secret_id.contains(':')
                || !header_safe(secret_key.expose())
            {
                return Err(ConfigError::InvalidServerSecret);
            }
        }
        if let Some(id) = &self.device_id {
            let ok_chars = id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !(16..=48).contains(&id.len()) || !ok_chars {
                return Err(ConfigError::InvalidDeviceId);
            }
        }
        let origin = match self.base_url.as_deref() {
            Some(raw) => parse_base_url(raw)?,
            None => {
                let host = if uses_intl_gateway(&region) {
                    "api.intl.tcloudbasegateway.com"
                } else {
                    "api.tcloudbasegateway.com"
                };
                Url::parse(&format!("https://{}.{host}/", self.env_id)).map_err(|_| {
                    ConfigError::InvalidEnvId {
                        env_id: self.env_id.clone(),
                        reason: "does not form a valid host name",
                    }
                })?
            }
        };
        let client_id_pair = format!(
            "client_id={}",
            percent_encoding::utf8_percent_encode(&client_id, crate::request::COMPONENT)
        );
        Ok(Config {
            env_id: self.env_id,
            region,
            credential: self.credential,
            client_id,
            client_id_pair,
            language: self.language,
            device_id: self.device_id,
            origin,
            retry: self.retry,
            transport: self.transport,
            refresh_margin: self.refresh_margin,
            verification: self.verification,
        })
    }
}

/// Whether environments in `region` are served by the international gateway.
fn uses_intl_gateway(region: &str) -> bool {
    !MAINLAND_REGIONS.contains(&region)
}

fn validate_env_id(env_id: &str) -> Result<(), ConfigError> {
    if env_id.is_empty() {
        return Err(ConfigError::EmptyEnvId);
    }
    let invalid = |reason| ConfigError::InvalidEnvId {
        env_id: env_id.to_owned(),
        reason,
    };
    if env_id.len() > 63 {
        return Err(invalid("longer than 63 characters"));
    }
    if !env_id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(invalid("only letters, digits and '-' are allowed"));
    }
    if env_id.starts_with('-') || env_id.ends_with('-') {
        return Err(invalid("must not start or end with '-'"));
    }
    Ok(())
}

fn is_host_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn parse_base_url(raw: &str) -> Result<Url, ConfigError> {
    let invalid = |reason| ConfigError::InvalidBaseUrl {
        url: raw.to_owned(),
        reason,
    };
    let mut url = Url::parse(raw).map_err(|_| invalid("not an absolute URL"))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("must not have a query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must not carry user info"));
    }
    let host = url.host().ok_or_else(|| invalid("has no host"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&host) => {}
        "http" => return Err(ConfigError::InsecureBaseUrl(raw.to_owned())),
        _ => return Err(invalid("scheme must be https (or http for loopback)")),
    }
    // Paths are appended to the base; make sure it ends with exactly one '/'.
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

#[cfg(test)]
mod tests {

    fn vars<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn configuration_from_the_environment_names_the_variable_at_fault() {
        let missing = Config::from_vars(vars(&[])).unwrap_err();
        assert!(matches!(
            missing,
            ConfigError::Env {
                variable: "CLOUDBASE_ENV",
                ..
            }
        ));
        let both = Config::from_vars(vars(&[
            ("CLOUDBASE_ENV", "e"),
            ("CLOUDBASE_PUBLISHABLE_KEY", "pk"),
            ("CLOUDBASE_API_KEY", "ak"),
        ]))
        .unwrap_err();
        assert!(matches!(
            both,
            ConfigError::Env {
                variable: "CLOUDBASE_API_KEY",
                ..
            }
        ));
        let remote = Config::from_vars(vars(&[
            ("CLOUDBASE_ENV", "e"),
            ("CLOUDBASE_EMULATOR_HOST", "example.com:8787"),
        ]))
        .unwrap_err();
        assert!(
            matches!(
                remote,
                ConfigError::Env {
                    variable: "CLOUDBASE_EMULATOR_HOST",
                    ..
                }
            ),
            "{remote}"
        );
        let region =
            Config::from_vars(vars(&[("CLOUDBASE_ENV", "e"), ("CLOUDBASE_REGION", "a b")]))
                .unwrap_err();
        assert!(matches!(
            region,
            ConfigError::Env {
                variable: "CLOUDBASE_REGION",
                ..
            }
        ));
        let ok = Config::from_vars(vars(&[
            ("CLOUDBASE_ENV", "my-env"),
            ("CLOUDBASE_REGION", "ap-guangzhou"),
            ("CLOUDBASE_PUBLISHABLE_KEY", "pk_x"),
        ]))
        .unwrap();
        assert_eq!(ok.env_id(), "my-env");
        assert_eq!(ok.region(), "ap-guangzhou");
        assert!(ok.credential().key().is_some());
    }

    use super::*;

    fn build(b: ConfigBuilder) -> Result<Config, ConfigError> {
        b.build()
    }

    #[test]
    fn defaults_follow_the_official_sdks() {
        let c = build(Config::builder("demo-env")).expect("valid");
        assert_eq!(c.region(), "ap-shanghai");
        assert_eq!(c.client_id(), "demo-env");
        assert_eq!(c.language().as_str(), "zh-CN");
        assert_eq!(
            c.gateway_origin().as_str(),
            "https://demo-env.api.tcloudbasegateway.com/"
        );
        assert!(!c.uses_intl_gateway());
    }

    #[test]
    fn international_regions_use_the_intl_gateway() {
        let c = build(Config::builder("e1").region("ap-singapore")).expect("valid");
        assert_eq!(
            c.gateway_origin().as_str(),
            "https://e1.api.intl.tcloudbasegateway.com/"
        );
        let hk = build(Config::builder("e1").region("ap-hongkong")).expect("valid");
        assert!(!hk.uses_intl_gateway());
    }

    #[test]
    fn env_id_must_be_a_host_label() {
        assert_eq!(
            build(Config::builder("")).err(),
            Some(ConfigError::EmptyEnvId)
        );
        for bad in ["a.b", "a/b", "-a", "a-", "a b", "ä", &"x".repeat(64)] {
            assert!(
                matches!(
                    build(Config::builder(bad)),
                    Err(ConfigError::InvalidEnvId { .. })
                ),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn plain_http_only_for_loopback() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://localhost:1",
            "http://[::1]:9",
            "https://example.com/prefix",
        ] {
            assert!(build(Config::builder("e").base_url(ok)).is_ok(), "{ok}");
        }
        for insecure in [
            "http://example.com",
            "http://10.0.0.1:80",
            "http://192.168.1.1",
        ] {
            assert_eq!(
                build(Config::builder("e").base_url(insecure)).err(),
                Some(ConfigError::InsecureBaseUrl(insecure.to_owned()))
            );
        }
        for bad in [
            "ftp://127.0.0.1",
            "not a url",
            "https://h/?q=1",
            "https://u:p@h/",
        ] {
            assert!(matches!(
                build(Config::builder("e").base_url(bad)),
                Err(ConfigError::InvalidBaseUrl { .. })
            ));
        }
    }

    #[test]
    fn base_url_path_gets_a_trailing_slash() {
        let c = build(Config::builder("e").base_url("https://proxy.example/cb")).expect("valid");
        assert_eq!(c.gateway_origin().as_str(), "https://proxy.example/cb/");
    }

    #[test]
    fn keys_device_ids_and_client_ids_are_checked() {
        assert_eq!(
            build(Config::builder("e").publishable_key("a b")).err(),
            Some(ConfigError::InvalidKey)
        );
        assert_eq!(
            build(Config::builder("e").api_key("")).err(),
            Some(ConfigError::InvalidKey)
        );
        assert_eq!(
            build(Config::builder("e").device_id("short")).err(),
            Some(ConfigError::InvalidDeviceId)
        );
        assert!(build(Config::builder("e").device_id("0123456789abcdef")).is_ok());
        assert!(matches!(
            build(Config::builder("e").client_id("has space")),
            Err(ConfigError::InvalidClientId(_))
        ));
    }

    #[test]
    fn debug_never_shows_the_key() {
        let c = build(Config::builder("e").api_key("sk_very_secret")).expect("valid");
        assert!(!format!("{c:?}").contains("sk_very_secret"));
    }
}
