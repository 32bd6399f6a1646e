//! The signed-in user's credentials.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// The token response of every sign-in and refresh (auth.md §2), as sent.
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct TokenResponse {
    /// `Bearer`.
    #[serde(default = "bearer")]
    pub token_type: String,
    /// The access token (a JWT).
    pub access_token: Secret,
    /// The refresh token; anonymous sessions may have none.
    #[serde(default)]
    pub refresh_token: Option<Secret>,
    /// Lifetime of the access token in seconds.
    pub expires_in: u64,
    /// `anonymous`, `user`, …
    #[serde(default)]
    pub scope: Option<String>,
    /// The user id.
    #[serde(default)]
    pub sub: Option<String>,
    /// The user's groups.
    #[serde(default)]
    pub groups: Vec<String>,
    /// An OpenID Connect id token, when the server sends one.
    #[serde(default)]
    pub id_token: Option<Secret>,
}

fn bearer() -> String {
    "Bearer".to_owned()
}

/// A signed-in user's credentials, with the expiry fixed at the moment of receipt.
///
/// Serializable for persistence; `Debug` never shows a token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Credentials {
    /// `Bearer`.
    pub token_type: String,
    /// The access token.
    pub access_token: Secret,
    /// The refresh token, if the server issued one.
    pub refresh_token: Option<Secret>,
    /// When the access token expires (`receipt time + expires_in`).
    #[serde(with = "unix_seconds")]
    pub expires_at: SystemTime,
    /// The scope (`anonymous`, `user`, …).
    pub scope: Option<String>,
    /// The user id.
    pub sub: Option<String>,
    /// The user's groups.
    pub groups: Vec<String>,
    /// An OpenID Connect id token, if any.
    pub id_token: Option<Secret>,
}

impl Credentials {
    /// Fixes the expiry of a token response received at `now`.
    pub fn from_response(response: TokenResponse, now: SystemTime) -> Self {
        Self {
            token_type: response.token_type,
            access_token: response.access_token,
            refresh_token: response.refresh_token,
            expires_at: now + Duration::from_secs(response.expires_in),
            scope: response.scope,
            sub: response.sub,
            groups: response.groups,
            id_token: response.id_token,
        }
    }

    /// Whether the access token expires within `margin` of `now`.
    pub fn expires_within(&self, now: SystemTime, margin: Duration) -> bool {
        now + margin >= self.expires_at
    }

    /// Whether this is an anonymous user's session.
    pub fn is_anonymous(&self) -> bool {
        self.scope.as_deref() == Some("anonymous")
    }
}

/// The client's sign-in state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    credentials: Option<Credentials>,
}

impl Session {
    /// The current credentials, if signed in.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// Replaces the credentials (after a sign-in or refresh).
    pub fn set(&mut self, credentials: Credentials) {
        self.credentials = Some(credentials);
    }

    /// Forgets the credentials.
    pub fn clear(&mut self) {
        self.credentials = None;
    }
}

mod unix_seconds {
    use std::time::{Duration, SystemTime};

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        let secs = t
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs();
        s.serialize_u64(secs)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SystemTime, D::Error> {
        let secs = u64::deserialize(d)?;
        Ok(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response() -> TokenResponse {
        serde_json::from_str(
            r#"{"token_type":"Bearer","access_token":"AT-secret","refresh_token":"RT-secret",
                "expires_in":7200,"scope":"anonymous","sub":"anon-1","groups":["anonymous"]}"#,
        )
        .expect("valid token response")
    }

    #[test]
    fn expiry_is_fixed_at_receipt() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let c = Credentials::from_response(response(), now);
        assert_eq!(c.expires_at, now + Duration::from_secs(7200));
        assert!(!c.expires_within(now, Duration::from_secs(30)));
        assert!(c.expires_within(now + Duration::from_secs(7171), Duration::from_secs(30)));
        assert!(c.is_anonymous());
    }

    #[test]
    fn debug_hides_tokens_and_serde_round_trips() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let mut s = Session::default();
        s.set(Credentials::from_response(response(), now));
        let shown = format!("{s:?} {s:#?}");
        assert!(
            !shown.contains("AT-secret") && !shown.contains("RT-secret"),
            "{shown}"
        );
        let json = serde_json::to_string(&s).expect("serializes");
        let back: Session = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, s);
    }
}
