//! Custom-login tickets, as the node-sdk's `createTicket` makes them
//! (docs/protocol/auth.md §5.5): `{private_key_id}/@@/{JWT}`, RS256, times in ms.

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::Deserialize;

use crate::error::TokenError;
use crate::secret::Secret;

/// How long a ticket can be exchanged for a session (node-sdk: 10 minutes).
const TICKET_LIFETIME_MS: u64 = 10 * 60 * 1000;
/// The default `refresh`: how often the session is re-checked (1 hour, in ms).
const DEFAULT_REFRESH_MS: u64 = 3_600_000;
/// The default `expire`: the session's end, 7 days from now.
const DEFAULT_EXPIRE: Duration = Duration::from_secs(7 * 24 * 3600);

/// The custom-login private key file the console issues:
/// `{"private_key_id", "private_key" (PEM), "env_id"}`. `Debug` never shows the key.
#[derive(Clone)]
pub struct CustomLoginKey {
    private_key_id: String,
    env_id: String,
    key: jsonwebtoken::EncodingKey,
}

impl fmt::Debug for CustomLoginKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomLoginKey")
            .field("private_key_id", &self.private_key_id)
            .field("env_id", &self.env_id)
            .field("private_key", &"<redacted>")
            .finish()
    }
}

#[derive(Deserialize)]
struct KeyFile {
    private_key_id: String,
    private_key: Secret,
    env_id: String,
}

impl CustomLoginKey {
    /// Reads the key file's JSON text. A file that is not JSON, lacks a field, or whose
    /// key is not an RSA private key in PEM (PKCS#1 or PKCS#8) is
    /// [`TokenError::InvalidKey`].
    ///
    /// ```no_run
    /// use cloudbase_core::backend::CustomLoginKey;
    ///
    /// let text = std::fs::read_to_string("tcb_custom_login_key.json")?;
    /// let key = CustomLoginKey::from_json(&text)?;
    /// assert_eq!(key.env_id(), "demo-env");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_json(text: &str) -> Result<Self, TokenError> {
        let file: KeyFile = serde_json::from_str(text)
            .map_err(|e| TokenError::InvalidKey(format!("custom-login key file: {e}")))?;
        if file.private_key_id.is_empty() || file.private_key_id.contains("/@@/") {
            return Err(TokenError::InvalidKey(
                "custom-login key file: private_key_id is empty or contains /@@/".into(),
            ));
        }
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(file.private_key.expose().as_bytes())
            .map_err(|e| TokenError::InvalidKey(format!("custom-login private_key: {e}")))?;
        Ok(Self {
            private_key_id: file.private_key_id,
            env_id: file.env_id,
            key,
        })
    }

    /// The key's id (the ticket's prefix).
    pub fn private_key_id(&self) -> &str {
        &self.private_key_id
    }

    /// The environment the key belongs to.
    pub fn env_id(&self) -> &str {
        &self.env_id
    }
}

/// What a ticket says besides the uid (node-sdk `createTicket(uid, {refresh, expire})`).
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct TicketOptions {
    refresh: Option<Duration>,
    expire_at: Option<SystemTime>,
}

impl TicketOptions {
    /// The defaults: `refresh` 1 hour, `expire` 7 days after the ticket is made.
    pub fn new() -> Self {
        Self::default()
    }

    /// How often the session made from the ticket is re-checked (`refresh`).
    pub fn refresh(mut self, every: Duration) -> Self {
        self.refresh = Some(every);
        self
    }

    /// When the session made from the ticket ends (`expire`).
    pub fn expire_at(mut self, at: SystemTime) -> Self {
        self.expire_at = Some(at);
        self
    }
}

/// Whether `uid` matches `^[a-zA-Z0-9_\-#@~=*(){}[\]:.,<>+]{4,32}$`.
pub fn is_valid_uid(uid: &str) -> bool {
    (4..=32).contains(&uid.len())
        && uid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-#@~=*(){}[]:.,<>+".contains(&b))
}

fn millis(at: SystemTime) -> Result<u64, TokenError> {
    let ms = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|_| TokenError::InvalidTime("a time before 1970"))?
        .as_millis();
    u64::try_from(ms).map_err(|_| TokenError::InvalidTime("a time beyond the clock"))
}

/// Makes a ticket for `uid` at time `now` with the key of environment `env`: the
/// text a client posts to `/auth/v1/signin/custom`. Pure computation: nothing is
/// sent. Refused, unsigned: a uid outside the rule ([`TokenError::InvalidUid`]), a key
/// of another environment, an `expire` not after `now`.
///
/// ```no_run
/// use cloudbase_core::backend::{CustomLoginKey, TicketOptions, create_ticket};
///
/// let key = CustomLoginKey::from_json(&std::fs::read_to_string("key.json")?)?;
/// let ticket = create_ticket(&key, "demo-env", "user-42", &TicketOptions::new(), std::time::SystemTime::now())?;
/// assert!(ticket.expose().starts_with(key.private_key_id()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn create_ticket(
    key: &CustomLoginKey,
    env: &str,
    uid: &str,
    options: &TicketOptions,
    now: SystemTime,
) -> Result<Secret, TokenError> {
    if !is_valid_uid(uid) {
        return Err(TokenError::InvalidUid(uid.to_owned()));
    }
    if key.env_id != env {
        return Err(TokenError::KeyForAnotherEnvironment {
            key_env: key.env_id.clone(),
            env: env.to_owned(),
        });
    }
    let iat = millis(now)?;
    let exp = iat
        .checked_add(TICKET_LIFETIME_MS)
        .ok_or(TokenError::InvalidTime("a time beyond the clock"))?;
    let refresh = match options.refresh {
        Some(every) => u64::try_from(every.as_millis())
            .map_err(|_| TokenError::InvalidTime("a refresh beyond the clock"))?,
        None => DEFAULT_REFRESH_MS,
    };
    let expire = match options.expire_at {
        Some(at) => millis(at)?,
        None => millis(
            now.checked_add(DEFAULT_EXPIRE)
                .ok_or(TokenError::InvalidTime("a time beyond the clock"))?,
        )?,
    };
    if expire <= iat {
        return Err(TokenError::InvalidTime("expire is not after now"));
    }
    // The field order of node-sdk's payload.
    let payload = serde_json::json!({
        "alg": "RS256",
        "env": env,
        "iat": iat,
        "exp": exp,
        "uid": uid,
        "refresh": refresh,
        "expire": expire,
    });
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    let jwt = jsonwebtoken::encode(&header, &payload, &key.key)
        .map_err(|e| TokenError::InvalidKey(format!("signing failed: {e}")))?;
    Ok(Secret::from(format!("{}/@@/{jwt}", key.private_key_id)))
}
