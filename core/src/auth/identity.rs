//! Third-party identities (docs/protocol/auth.md §5.5): provider tokens, ID-token and custom-ticket
//! sign-in, and linking identities to a user. The OAuth web flow is in `oauth.rs`.

use std::time::SystemTime;

use http::Method;
use serde::Deserialize;
use serde_json::Value;

use super::wire::{auth_get, auth_post, json, object, required, signed_in};
use crate::error::{BuildError, Error};
use crate::operation::{OneShot, Operation, Progress, RequestContext, ResponseContext};
use crate::request::{Access, HttpResponse, RequestSpec};
use crate::secret::Secret;
use crate::session::{AuthEventKind, Credentials};

/// A provider token: proof of a third-party identity, exchanged for a session or
/// bound to a user (`POST /auth/v1/provider/token`, valid about an hour).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ProviderToken {
    /// The token.
    pub token: Secret,
    /// The provider it came from.
    pub provider_id: String,
    /// When it stops working.
    pub expires_at: SystemTime,
    /// The provider's profile of the user (`provider_profile`), as sent.
    pub profile: Value,
}

#[derive(Deserialize)]
struct ProviderTokenAnswer {
    provider_token: Secret,
    #[serde(default = "an_hour")]
    expires_in: u64,
    #[serde(default)]
    provider_profile: Value,
}

fn an_hour() -> u64 {
    3600
}

/// What the provider gave the app.
#[derive(Clone, Debug)]
pub(super) enum Grant {
    Code { code: Secret, redirect_uri: String },
    IdToken(Secret),
    AccessToken(Secret),
}

pub(super) fn check_provider(provider_id: &str) -> Result<(), BuildError> {
    required("provider id", provider_id)
}

pub(super) fn grant_request(provider_id: &str, grant: &Grant) -> Result<RequestSpec, BuildError> {
    check_provider(provider_id)?;
    let id = Some(Value::from(provider_id));
    let map = match grant {
        Grant::Code { code, redirect_uri } => object([
            ("provider_id", id),
            ("provider_code", Some(code.expose().into())),
            ("provider_redirect_uri", Some(redirect_uri.as_str().into())),
        ]),
        Grant::IdToken(t) => object([
            ("provider_id", id),
            ("provider_id_token", Some(t.expose().into())),
        ]),
        Grant::AccessToken(t) => object([
            ("provider_id", id),
            ("provider_access_token", Some(t.expose().into())),
        ]),
    };
    auth_post("provider/token", Access::ClientId, map)
}

pub(super) fn provider_token(
    provider_id: &str,
    response: &HttpResponse,
    now: SystemTime,
) -> Result<ProviderToken, Error> {
    let a: ProviderTokenAnswer = json(response)?;
    Ok(ProviderToken {
        token: a.provider_token,
        provider_id: provider_id.to_owned(),
        expires_at: crate::expiry::expires_after(now, a.expires_in, "expires_in")?,
        profile: a.provider_profile,
    })
}

/// Exchanges what a provider gave the app for a [`ProviderToken`]:
/// `POST /auth/v1/provider/token {provider_id, provider_code, provider_redirect_uri}`
/// (or `provider_id_token` / `provider_access_token`), the JS SDK's
/// `grantProviderToken`.
///
/// ```
/// use cloudbase_core::auth::GrantProviderToken;
/// let op = GrantProviderToken::code("github", "code-from-callback", "https://app.example/cb");
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct GrantProviderToken {
    provider_id: String,
    grant: Grant,
}

impl GrantProviderToken {
    /// An authorization code from the provider's redirect.
    pub fn code(
        provider_id: impl Into<String>,
        code: impl Into<Secret>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        Self {
            provider_id: provider_id.into(),
            grant: Grant::Code {
                code: code.into(),
                redirect_uri: redirect_uri.into(),
            },
        }
    }

    /// An OpenID Connect ID token the app obtained from the provider.
    pub fn id_token(provider_id: impl Into<String>, id_token: impl Into<Secret>) -> Self {
        Self {
            provider_id: provider_id.into(),
            grant: Grant::IdToken(id_token.into()),
        }
    }

    /// A provider access token the app obtained.
    pub fn access_token(provider_id: impl Into<String>, token: impl Into<Secret>) -> Self {
        Self {
            provider_id: provider_id.into(),
            grant: Grant::AccessToken(token.into()),
        }
    }
}

impl OneShot for GrantProviderToken {
    type Output = ProviderToken;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        Ok(grant_request(&self.provider_id, &self.grant)?)
    }

    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<ProviderToken, Error> {
        provider_token(&self.provider_id, &response, cx.now)
    }
}

pub(super) fn provider_sign_in_request(
    token: &ProviderToken,
    force_disable_sign_up: bool,
    now: SystemTime,
) -> Result<RequestSpec, BuildError> {
    if now >= token.expires_at {
        return Err(BuildError::VerificationExpired);
    }
    let map = object([
        ("provider_token", Some(token.token.expose().into())),
        ("provider_id", Some(token.provider_id.as_str().into())),
        (
            "force_disable_sign_up",
            force_disable_sign_up.then_some(Value::Bool(true)),
        ),
    ]);
    auth_post("signin/with/provider", Access::ClientId, map)
}

/// Signs in with a [`ProviderToken`]: `POST /auth/v1/signin/with/provider
/// {provider_token, provider_id}` (`SIGNED_IN`). A new identity becomes a new user
/// unless sign-up is disabled. (The JS SDK's `signInWithProvider`.)
#[derive(Clone, Debug)]
#[must_use]
pub struct SignInWithProvider {
    token: ProviderToken,
    force_disable_sign_up: bool,
}

impl SignInWithProvider {
    /// Signs in with `token`.
    pub fn new(token: ProviderToken) -> Self {
        Self {
            token,
            force_disable_sign_up: false,
        }
    }

    /// Fail instead of creating a user for an unknown identity.
    pub fn disable_sign_up(mut self) -> Self {
        self.force_disable_sign_up = true;
        self
    }
}

impl OneShot for SignInWithProvider {
    type Output = Credentials;

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        Ok(provider_sign_in_request(
            &self.token,
            self.force_disable_sign_up,
            cx.now,
        )?)
    }

    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Credentials, Error> {
        signed_in(&response, cx)
    }
}

/// Signs in with a provider's OpenID Connect ID token: `POST /provider/token
/// {provider_id, provider_id_token}`, then `POST /signin/with/provider` (`SIGNED_IN`).
///
/// The JS SDK's `signInWithIdToken({token})` posts the token straight to
/// `/signin/with/provider` as a `provider_token`; docs/protocol/auth.md §5.5 infers that a raw ID
/// token must be exchanged first, which is what this does. To sign in with a provider
/// token you already have, use [`SignInWithProvider`].
#[derive(Clone, Debug)]
#[must_use]
pub struct SignInWithIdToken {
    provider_id: String,
    id_token: Secret,
    /// The first request's result: then sign in with it.
    exchanged: Option<ProviderToken>,
}

impl SignInWithIdToken {
    /// Signs in with `id_token` issued by `provider_id`.
    pub fn new(provider_id: impl Into<String>, id_token: impl Into<Secret>) -> Self {
        Self {
            provider_id: provider_id.into(),
            id_token: id_token.into(),
            exchanged: None,
        }
    }
}

impl Operation for SignInWithIdToken {
    type Output = Credentials;

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        match &self.exchanged {
            None => {
                required("id token", self.id_token.expose())?;
                Ok(grant_request(
                    &self.provider_id,
                    &Grant::IdToken(self.id_token.clone()),
                )?)
            }
            Some(t) => Ok(provider_sign_in_request(t, false, cx.now)?),
        }
    }

    fn on_response(
        &mut self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<Credentials>, Error> {
        if self.exchanged.is_none() {
            self.exchanged = Some(provider_token(&self.provider_id, &response, cx.now)?);
            return Ok(Progress::Next);
        }
        signed_in(&response, cx).map(Progress::Done)
    }
}

pub(super) fn bind_request(token: &ProviderToken) -> Result<RequestSpec, BuildError> {
    let map = object([("provider_token", Some(token.token.expose().into()))]);
    auth_post("user/provider/bind", Access::User, map)
}

/// Binds a third-party identity to the signed-in user: `POST /auth/v1/user/provider/bind
/// {provider_token}` (`BIND_IDENTITY`). The JS SDK's `bindWithProvider`.
#[derive(Clone, Debug)]
#[must_use]
pub struct BindWithProvider {
    token: ProviderToken,
}

impl BindWithProvider {
    /// Binds the identity `token` proves.
    pub fn new(token: ProviderToken) -> Self {
        Self { token }
    }
}

impl OneShot for BindWithProvider {
    type Output = ();

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        Ok(bind_request(&self.token)?)
    }

    fn parse(&self, _: HttpResponse, cx: &mut ResponseContext<'_>) -> Result<(), Error> {
        cx.session.emit(AuthEventKind::BindIdentity);
        Ok(())
    }
}

/// Unbinds a third-party identity: `DELETE /auth/v1/user/provider/{provider_id}`
/// (the JS SDK's `unlinkIdentity` / `unbindProvider`).
#[derive(Clone, Debug)]
#[must_use]
pub struct UnbindProvider {
    provider_id: String,
}

impl UnbindProvider {
    /// Unbinds `provider_id`.
    pub fn new(provider_id: impl Into<String>) -> Self {
        Self {
            provider_id: provider_id.into(),
        }
    }
}

impl OneShot for UnbindProvider {
    type Output = ();

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        check_provider(&self.provider_id)?;
        Ok(auth_get(Method::DELETE, "user/provider", Access::User).segment(&self.provider_id))
    }

    fn is_idempotent(&self) -> bool {
        true
    }

    fn parse(&self, _: HttpResponse, _: &mut ResponseContext<'_>) -> Result<(), Error> {
        Ok(())
    }
}

/// A provider the user can sign in with, and whether it is bound to them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Identity {
    /// The provider id (`github`, `google`, a WeChat app id, …).
    pub id: String,
    /// The provider's display name.
    #[serde(default)]
    pub name: String,
    /// The user's name at the provider, when bound.
    #[serde(default)]
    pub provider_user_name: Option<String>,
    /// Whether the identity is bound to the signed-in user.
    #[serde(default)]
    pub bind: bool,
}

#[derive(Deserialize)]
struct IdentityList {
    #[serde(default)]
    data: Vec<Identity>,
}

/// Lists the providers and which are bound: `GET /auth/v1/user/provider` (the JS
/// SDK's `getProviders` / `getUserIdentities`).
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct GetProviders {
    bound_only: bool,
}

impl GetProviders {
    /// A listing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only the identities bound to the user (the JS SDK's `getUserIdentities`).
    pub fn bound_only(mut self) -> Self {
        self.bound_only = true;
        self
    }
}

impl OneShot for GetProviders {
    type Output = Vec<Identity>;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        Ok(auth_get(Method::GET, "user/provider", Access::User))
    }

    fn is_idempotent(&self) -> bool {
        true
    }

    fn parse(
        &self,
        response: HttpResponse,
        _: &mut ResponseContext<'_>,
    ) -> Result<Vec<Identity>, Error> {
        let mut all = json::<IdentityList>(&response)?.data;
        if self.bound_only {
            all.retain(|i| i.bind);
        }
        Ok(all)
    }
}

/// Signs in with a custom-login ticket minted by the app's server:
/// `POST /auth/v1/signin/custom {"provider_id": "custom", ticket}` (`SIGNED_IN`).
///
/// ```
/// use cloudbase_core::auth::SignInWithCustomTicket;
/// let op = SignInWithCustomTicket::new("key-id/@@/eyJ...");
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct SignInWithCustomTicket {
    ticket: Secret,
}

impl SignInWithCustomTicket {
    /// Signs in with `ticket`.
    pub fn new(ticket: impl Into<Secret>) -> Self {
        Self {
            ticket: ticket.into(),
        }
    }

    /// Signs in with the ticket a source produced (e.g. a call to the app's server,
    /// the JS SDK's `setCustomSignFunc`); its error is an input error.
    pub fn from_source<E: std::fmt::Display>(
        ticket: Result<String, E>,
    ) -> Result<Self, BuildError> {
        ticket.map(Self::new).map_err(|e| BuildError::InvalidInput {
            field: "ticket",
            reason: e.to_string(),
        })
    }
}

impl OneShot for SignInWithCustomTicket {
    type Output = Credentials;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        required("ticket", self.ticket.expose())?;
        let map = object([
            ("provider_id", Some("custom".into())),
            ("ticket", Some(self.ticket.expose().into())),
        ]);
        Ok(auth_post("signin/custom", Access::ClientId, map)?)
    }

    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Credentials, Error> {
        signed_in(&response, cx)
    }
}
