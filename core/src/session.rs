//! The signed-in user's credentials.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// The token response of every sign-in and refresh (docs/protocol/auth.md §2), as sent.
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
    /// Fixes the expiry of a token response received at `now`, in whole seconds
    /// rounded down (the safe side), so it survives persistence unchanged.
    ///
    /// A lifetime no clock can hold (`expires_in` of more than ten years, such as
    /// `u64::MAX`) is [`DecodeError::Lifetime`](crate::error::DecodeError::Lifetime).
    pub fn from_response(
        response: TokenResponse,
        now: SystemTime,
    ) -> Result<Self, crate::error::DecodeError> {
        let whole = crate::expiry::whole_seconds(now);
        Ok(Self {
            token_type: response.token_type,
            access_token: response.access_token,
            refresh_token: response.refresh_token,
            expires_at: crate::expiry::expires_after(whole, response.expires_in, "expires_in")?,
            scope: response.scope,
            sub: response.sub,
            groups: response.groups,
            id_token: response.id_token,
        })
    }

    /// Decodes a token response body received at `now` (the JSON path of any
    /// mismatch is in the error). Every sign-in kind and refresh answers with one.
    pub fn decode(
        response: &crate::request::HttpResponse,
        now: SystemTime,
    ) -> Result<Self, crate::error::DecodeError> {
        let token: TokenResponse =
            crate::response::decode_json(response.status(), response.body())?;
        Self::from_response(token, now)
    }

    /// Whether the access token expires within `margin` of `now`.
    pub fn expires_within(&self, now: SystemTime, margin: Duration) -> bool {
        now.checked_add(margin).is_none_or(|t| t >= self.expires_at)
    }

    /// Whether this is an anonymous user's session.
    pub fn is_anonymous(&self) -> bool {
        self.scope.as_deref() == Some("anonymous")
    }
}

/// What changed in the sign-in state (docs/protocol/auth.md §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum AuthEventKind {
    /// The state a subscriber starts from (with or without a session).
    InitialSession,
    /// A user signed in (any sign-in kind, or a session was set).
    SignedIn,
    /// The user signed out, or the session ended (`invalid_grant` on refresh).
    SignedOut,
    /// The access token was refreshed.
    TokenRefreshed,
    /// The user's profile changed.
    UserUpdated,
    /// A password was reset through the recovery flow.
    PasswordRecovery,
    /// A third-party identity was bound.
    BindIdentity,
}

/// An auth state change, with the credentials as they are after it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthEvent {
    /// What happened.
    pub kind: AuthEventKind,
    /// The credentials after the change (`None` when signed out).
    pub credentials: Option<Credentials>,
}

/// The client's sign-in state, and the events its changes produced (drained by the
/// adapter after every step; never persisted).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    credentials: Option<Credentials>,
    #[serde(skip)]
    events: Vec<AuthEvent>,
}

impl AuthEvent {
    /// An event of `kind` with `credentials`.
    pub fn new(kind: AuthEventKind, credentials: Option<Credentials>) -> Self {
        Self { kind, credentials }
    }
}

impl Session {
    /// A session holding `credentials` (e.g. restored from a store). Emits nothing.
    pub fn restored(credentials: Option<Credentials>) -> Self {
        Self {
            credentials,
            events: Vec::new(),
        }
    }

    /// The current credentials, if signed in.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// Stores the credentials of a new sign-in and emits `SIGNED_IN`.
    pub fn sign_in(&mut self, credentials: Credentials) {
        self.credentials = Some(credentials);
        self.emit(AuthEventKind::SignedIn);
    }

    /// Stores refreshed credentials and emits `TOKEN_REFRESHED`.
    pub fn refreshed(&mut self, credentials: Credentials) {
        self.credentials = Some(credentials);
        self.emit(AuthEventKind::TokenRefreshed);
    }

    /// Forgets the credentials; emits `SIGNED_OUT` once, only if there were any.
    pub fn sign_out(&mut self) {
        if self.credentials.take().is_some() {
            self.emit(AuthEventKind::SignedOut);
        }
    }

    /// Records an event about the current credentials.
    pub fn emit(&mut self, kind: AuthEventKind) {
        self.events
            .push(AuthEvent::new(kind, self.credentials.clone()));
    }

    /// Takes the events recorded since the last call.
    pub fn take_events(&mut self) -> Vec<AuthEvent> {
        std::mem::take(&mut self.events)
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
        crate::expiry::unix_seconds(secs)
            .ok_or_else(|| serde::de::Error::custom(format!("expiry {secs} is out of range")))
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
        let now = SystemTime::UNIX_EPOCH
            .checked_add(Duration::from_secs(1_000))
            .unwrap();
        let c = Credentials::from_response(response(), now).unwrap();
        assert_eq!(
            c.expires_at,
            now.checked_add(Duration::from_secs(7200)).unwrap()
        );
        assert!(!c.expires_within(now, Duration::from_secs(30)));
        assert!(c.expires_within(
            now.checked_add(Duration::from_secs(7171)).unwrap(),
            Duration::from_secs(30)
        ));
        assert!(c.is_anonymous());
    }

    #[test]
    fn debug_hides_tokens_and_serde_round_trips() {
        let now = SystemTime::UNIX_EPOCH
            .checked_add(Duration::from_secs(1_000))
            .unwrap();
        let mut s = Session::default();
        s.sign_in(Credentials::from_response(response(), now).unwrap());
        let _ = s.take_events();
        let shown = format!("{s:?} {s:#?}");
        assert!(
            !shown.contains("AT-secret") && !shown.contains("RT-secret"),
            "{shown}"
        );
        let json = serde_json::to_string(&s).expect("serializes");
        let back: Session = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, s);
    }

    #[test]
    fn events_follow_the_changes_and_sign_out_fires_once() {
        let now = SystemTime::UNIX_EPOCH;
        let mut s = Session::default();
        s.sign_out();
        assert!(
            s.take_events().is_empty(),
            "no SIGNED_OUT without a session"
        );
        s.sign_in(Credentials::from_response(response(), now).unwrap());
        s.refreshed(Credentials::from_response(response(), now).unwrap());
        s.sign_out();
        s.sign_out();
        let kinds: Vec<_> = s.take_events().into_iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                AuthEventKind::SignedIn,
                AuthEventKind::TokenRefreshed,
                AuthEventKind::SignedOut
            ]
        );
        assert!(s.take_events().is_empty());
    }
}
