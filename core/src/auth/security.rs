//! Account security (docs/protocol/auth.md §5.4 "Also"): the signed-in user's security history
//! (`GET /user/security/history`), signing out everywhere (`DELETE /user/revoke/all`),
//! revoking one device (`DELETE /user/authorized/devices/{device_id}`), and a summary
//! of a profile's protections computed locally.

use http::Method;
use serde::Deserialize;

use super::wire::{auth_get, required};
use super::{GetUser, User};
use crate::error::{BuildError, Error};
use crate::operation::{OneShot, RequestContext, ResponseContext};
use crate::request::{Access, HttpResponse, RequestSpec};
use crate::response::decode_json;

/// Which events a [`GetSecurityHistory`] lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecurityEventKind {
    /// Sign-ins (`query[action]=USER_LOGIN`; the JS SDK's `LOGIN`).
    Login,
    /// Everything but sign-ins (`ne_query[action]=USER_LOGIN`; the JS SDK's `MODIFY`).
    Other,
}

/// One entry of the security history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct SecurityEvent {
    /// The event id.
    #[serde(default)]
    pub id: Option<String>,
    /// What happened (`USER_LOGIN`, …), when the service says.
    #[serde(default)]
    pub action: Option<String>,
    /// The client's address.
    #[serde(default)]
    pub ip: Option<String>,
    /// The client's `User-Agent`.
    #[serde(default)]
    pub user_agent: Option<String>,
    /// The app's client id.
    #[serde(default)]
    pub client_id: Option<String>,
    /// The `x-device-id` of the client.
    #[serde(default)]
    pub device_id: Option<String>,
    /// When, as sent (an RFC 3339 time or a number).
    #[serde(default)]
    pub created_at: Option<serde_json::Value>,
    /// Extra details, as sent.
    #[serde(default)]
    pub meta: Option<serde_json::Value>,
}

/// A page of the security history.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SecurityHistory {
    /// The events, newest first as the service orders them.
    pub events: Vec<SecurityEvent>,
    /// Pass to [`GetSecurityHistory::page_token`] for the next page; `None` on the last.
    pub next_page_token: Option<String>,
}

/// The signed-in user's login (or other) events: `GET /auth/v1/user/security/history
/// ?query[action]=USER_LOGIN&limit=N[&page_token=]` (the JS SDK's
/// `getUserBehaviorLog`). The page's shape is not documented: a bare array of events
/// or `{data, next_page_token}` are both read (docs/protocol/limits.md).
///
/// ```
/// use cloudbase_core::auth::{GetSecurityHistory, SecurityEventKind};
/// let op = GetSecurityHistory::new(SecurityEventKind::Login).limit(20);
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct GetSecurityHistory {
    kind: SecurityEventKind,
    limit: u32,
    page_token: Option<String>,
}

impl GetSecurityHistory {
    /// The first page (10 events) of `kind`.
    pub fn new(kind: SecurityEventKind) -> Self {
        Self {
            kind,
            limit: 10,
            page_token: None,
        }
    }

    /// Events per page (1 to 100).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    /// The page after the one that answered this token.
    pub fn page_token(mut self, token: impl Into<String>) -> Self {
        self.page_token = Some(token.into());
        self
    }
}

impl OneShot for GetSecurityHistory {
    type Output = SecurityHistory;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        if !(1..=100).contains(&self.limit) {
            return Err(BuildError::InvalidInput {
                field: "limit",
                reason: format!("{} is outside 1..=100", self.limit),
            }
            .into());
        }
        let filter = match self.kind {
            SecurityEventKind::Login => "query[action]",
            SecurityEventKind::Other => "ne_query[action]",
        };
        let mut spec = auth_get(Method::GET, "user/security/history", Access::User)
            .query(filter, "USER_LOGIN")
            .query("limit", self.limit.to_string());
        if let Some(token) = self.page_token.as_deref().filter(|t| !t.is_empty()) {
            spec = spec.query("page_token", token);
        }
        Ok(spec)
    }

    fn is_idempotent(&self) -> bool {
        true
    }

    fn parse(
        &self,
        response: HttpResponse,
        _: &mut ResponseContext<'_>,
    ) -> Result<SecurityHistory, Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Page {
            Bare(Vec<SecurityEvent>),
            Wrapped {
                #[serde(default, alias = "items", alias = "list")]
                data: Vec<SecurityEvent>,
                #[serde(default)]
                next_page_token: Option<String>,
            },
        }
        let page: Page = decode_json(response.status(), response.body())?;
        Ok(match page {
            Page::Bare(events) => SecurityHistory {
                events,
                next_page_token: None,
            },
            Page::Wrapped {
                data,
                next_page_token,
            } => SecurityHistory {
                events: data,
                next_page_token: next_page_token.filter(|t| !t.is_empty()),
            },
        })
    }
}

/// Signs the user out on every device: `DELETE /auth/v1/user/revoke/all` (the JS
/// SDK's `revokeAllDevices`). This client's session ends too (`SIGNED_OUT`).
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct RevokeAllSessions;

impl RevokeAllSessions {
    /// Everywhere.
    pub fn new() -> Self {
        Self
    }
}

impl OneShot for RevokeAllSessions {
    type Output = ();

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        Ok(auth_get(Method::DELETE, "user/revoke/all", Access::User))
    }

    fn parse(&self, _: HttpResponse, cx: &mut ResponseContext<'_>) -> Result<(), Error> {
        cx.session.sign_out();
        Ok(())
    }
}

/// Ends the sessions of one of the user's devices: `DELETE
/// /auth/v1/user/authorized/devices/{device_id}` (the JS SDK's `revokeDevice`). This
/// client's own session is left as it is, as in the JS SDK, even for its own device.
#[derive(Clone, Debug)]
#[must_use]
pub struct RevokeDevice {
    device_id: String,
}

impl RevokeDevice {
    /// The device with this `x-device-id`.
    pub fn new(device_id: impl Into<String>) -> Self {
        Self {
            device_id: device_id.into(),
        }
    }
}

impl OneShot for RevokeDevice {
    type Output = ();

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        required("device id", &self.device_id)?;
        Ok(
            auth_get(Method::DELETE, "user/authorized/devices", Access::User)
                .segment(&self.device_id),
        )
    }

    fn is_idempotent(&self) -> bool {
        true
    }

    fn parse(&self, _: HttpResponse, _: &mut ResponseContext<'_>) -> Result<(), Error> {
        Ok(())
    }
}

/// What protects an account, read from its profile by the SDK — not a figure the
/// service computes (the Authing-style `getSecurityLevel` has no CloudBase endpoint).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SecurityLevel {
    /// A password is set ([`User::password_set`]).
    pub password_set: bool,
    /// The email address is verified.
    pub email_verified: bool,
    /// A phone number is bound.
    pub phone_bound: bool,
    /// How many third-party identities are linked.
    pub linked_identities: usize,
}

impl SecurityLevel {
    /// How many of the four protections (password, verified email, phone, a linked
    /// identity) the account has: 0 to 4.
    pub fn score(&self) -> u8 {
        u8::from(self.password_set)
            + u8::from(self.email_verified)
            + u8::from(self.phone_bound)
            + u8::from(self.linked_identities > 0)
    }
}

impl User {
    /// The account's protections, computed from this profile (no request).
    ///
    /// ```
    /// let user: cloudbase_core::auth::User =
    ///     serde_json::from_str(r#"{"sub": "u-1", "has_password": true, "phone_number": "+86 138"}"#)?;
    /// let level = user.security_level();
    /// assert!(level.password_set && level.phone_bound && !level.email_verified);
    /// assert_eq!(level.score(), 2);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn security_level(&self) -> SecurityLevel {
        SecurityLevel {
            password_set: self.password_set().unwrap_or(false),
            email_verified: self.email.is_some() && self.email_verified == Some(true),
            phone_bound: self.phone_number.as_deref().is_some_and(|p| !p.is_empty()),
            linked_identities: self.providers.len(),
        }
    }
}

/// The account's protections from a fresh profile: `GET /auth/v1/user/me`, then
/// [`User::security_level`]. Idempotent.
///
/// ```
/// use cloudbase_core::auth::GetSecurityLevel;
/// let op = GetSecurityLevel::new();
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct GetSecurityLevel {
    user: GetUser,
}

impl GetSecurityLevel {
    /// A read of the protections.
    pub fn new() -> Self {
        Self::default()
    }
}

impl OneShot for GetSecurityLevel {
    type Output = SecurityLevel;

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        OneShot::request(&self.user, cx)
    }

    fn is_idempotent(&self) -> bool {
        true
    }

    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<SecurityLevel, Error> {
        Ok(self.user.parse(response, cx)?.security_level())
    }
}
