//! Third-party identities (auth.md §5.5): the OAuth web flow, provider tokens,
//! ID-token and custom-ticket sign-in, and linking identities to a user.

use std::time::SystemTime;

use http::Method;
use serde::Deserialize;
use serde_json::Value;

use super::wire::{FirstStep, auth_get, auth_post, json, object, required, signed_in};
use crate::call::{Operation, Progress, RequestContext, ResponseContext};
use crate::error::{BuildError, Error};
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
enum Grant {
    Code { code: Secret, redirect_uri: String },
    IdToken(Secret),
    AccessToken(Secret),
}

fn check_provider(provider_id: &str) -> Result<(), BuildError> {
    required("provider id", provider_id)
}

fn grant_request(provider_id: &str, grant: &Grant) -> Result<RequestSpec, BuildError> {
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

impl Operation for GrantProviderToken {
    type Output = ProviderToken;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
        grant_request(&self.provider_id, &self.grant)
    }

    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<ProviderToken, Error> {
        provider_token(&self.provider_id, &response, cx.now)
    }
}

fn provider_sign_in_request(
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

impl Operation for SignInWithProvider {
    type Output = Credentials;

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
        provider_sign_in_request(&self.token, self.force_disable_sign_up, cx.now)
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
/// `/signin/with/provider` as a `provider_token`; auth.md §5.5 infers that a raw ID
/// token must be exchanged first, which is what this does. To sign in with a provider
/// token you already have, use [`SignInWithProvider`].
#[derive(Debug)]
#[must_use]
pub struct SignInWithIdToken {
    provider_id: String,
    id_token: Secret,
    exchanged: FirstStep<ProviderToken>,
}

impl SignInWithIdToken {
    /// Signs in with `id_token` issued by `provider_id`.
    pub fn new(provider_id: impl Into<String>, id_token: impl Into<Secret>) -> Self {
        Self {
            provider_id: provider_id.into(),
            id_token: id_token.into(),
            exchanged: FirstStep::new(),
        }
    }
}

impl Operation for SignInWithIdToken {
    type Output = Credentials;

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
        match &self.exchanged.get() {
            None => {
                required("id token", self.id_token.expose())?;
                grant_request(&self.provider_id, &Grant::IdToken(self.id_token.clone()))
            }
            Some(t) => provider_sign_in_request(t, false, cx.now),
        }
    }

    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Credentials, Error> {
        signed_in(&response, cx)
    }

    fn parse_step(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<Credentials>, Error> {
        self.exchanged.parse_step(
            response,
            cx,
            |r, cx| provider_token(&self.provider_id, r, cx.now),
            |r, cx| self.parse(r, cx),
        )
    }
}

/// The provider's authorization page (`GET /auth/v1/provider/uri`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProviderRedirect {
    /// Where to send the user.
    pub uri: String,
    /// The provider's sign-out page, if it has one.
    pub signout_uri: Option<String>,
}

#[derive(Deserialize)]
struct RedirectAnswer {
    uri: String,
    #[serde(default)]
    signout_uri: Option<String>,
}

/// The JS SDK decodes the returned `uri` once; a server sending it encoded
/// (`https%3A%2F%2F…`) is read the same way, and a plain URL is kept as is (decoding
/// a plain URL would break its own encoded query).
fn decode_uri(uri: String) -> String {
    if uri.starts_with("http://") || uri.starts_with("https://") {
        return uri;
    }
    percent_encoding::percent_decode_str(&uri)
        .decode_utf8()
        .map(|c| c.into_owned())
        .unwrap_or(uri)
}

/// Asks for a provider's authorization URL: `GET /auth/v1/provider/uri?provider_id=
/// &state=[&scope=]&response_type=code&redirect_uri=[&other_params[k]=v]&client_id=`
/// (the JS SDK's `genProviderRedirectUri`, auth.md §5.5). Values are percent-encoded;
/// the redirect URI is sent as given.
///
/// ```
/// use cloudbase_core::auth::GenProviderRedirectUri;
/// let op = GenProviderRedirectUri::new("github", "https://app.example/callback", "st-123");
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct GenProviderRedirectUri {
    provider_id: String,
    redirect_uri: String,
    state: String,
    scope: Option<String>,
    other: Vec<(String, String)>,
    /// `code` for the public operation; none for [`StartOAuth`] (the JS SDK's
    /// `signInWithOAuth` sends none).
    response_type: Option<&'static str>,
}

impl GenProviderRedirectUri {
    /// For `provider_id`, coming back to `redirect_uri` with `state`.
    pub fn new(
        provider_id: impl Into<String>,
        redirect_uri: impl Into<String>,
        state: impl Into<String>,
    ) -> Self {
        Self {
            provider_id: provider_id.into(),
            redirect_uri: redirect_uri.into(),
            state: state.into(),
            scope: None,
            other: Vec::new(),
            response_type: Some("code"),
        }
    }

    /// The scopes to ask the provider for.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// A provider-specific parameter (`other_params[key]=value`).
    pub fn param(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.other.push((key.into(), value.into()));
        self
    }
}

impl Operation for GenProviderRedirectUri {
    type Output = ProviderRedirect;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
        check_provider(&self.provider_id)?;
        required("redirect uri", &self.redirect_uri)?;
        let mut spec = auth_get(Method::GET, "provider/uri", Access::ClientId)
            .query("provider_id", self.provider_id.as_str());
        if !self.state.is_empty() {
            spec = spec.query("state", self.state.as_str());
        }
        if let Some(s) = self.scope.as_deref().filter(|s| !s.is_empty()) {
            spec = spec.query("scope", s);
        }
        if let Some(t) = self.response_type {
            spec = spec.query("response_type", t);
        }
        spec = spec.query("redirect_uri", self.redirect_uri.as_str());
        for (k, v) in self.other.iter().filter(|(_, v)| !v.is_empty()) {
            spec = spec.query(format!("other_params[{k}]"), v.as_str());
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
    ) -> Result<ProviderRedirect, Error> {
        let a: RedirectAnswer = json(&response)?;
        Ok(ProviderRedirect {
            uri: decode_uri(a.uri),
            signout_uri: a.signout_uri.map(decode_uri),
        })
    }
}

/// What an OAuth flow ends in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OAuthPurpose {
    /// Sign in (or up) with the identity.
    SignIn,
    /// Bind the identity to the signed-in user (`link_identity`).
    Link,
}

/// A started OAuth web flow: send the user to `authorize_url`, keep this value (or
/// its fields) until the provider redirects back, then pass it with the callback's
/// `code` and `state` to [`VerifyOAuth`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OAuthFlow {
    /// The provider.
    pub provider_id: String,
    /// Where to send the user.
    pub authorize_url: String,
    /// The value the callback must carry back (checked against CSRF).
    pub state: String,
    /// The callback URL registered with the provider: the given URL's origin and
    /// path only (a fragment is not allowed in a redirect URI, RFC 6749 §3.1.2, and a
    /// query breaks exact-match registration), as the JS SDK sends it.
    pub redirect_uri: String,
    /// The URL as the app gave it, query and fragment included, so that it can restore
    /// them after the callback.
    pub return_url: String,
    /// Sign in, or link to the current user.
    pub purpose: OAuthPurpose,
}

/// The origin and path of `url` (query and fragment dropped); a URL that does not
/// parse is sent as given, and the server judges it.
fn registered_redirect(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            parsed.set_query(None);
            parsed.set_fragment(None);
            parsed.into()
        }
        Err(_) => url.to_owned(),
    }
}

impl OAuthFlow {
    /// Rebuilds a flow from the fields the app kept (e.g. in a cookie); the redirect
    /// URI may be the full return URL (its query and fragment are dropped again).
    pub fn new(
        provider_id: impl Into<String>,
        state: impl Into<String>,
        redirect_uri: impl Into<String>,
        purpose: OAuthPurpose,
    ) -> Self {
        let return_url = redirect_uri.into();
        Self {
            provider_id: provider_id.into(),
            authorize_url: String::new(),
            state: state.into(),
            redirect_uri: registered_redirect(&return_url),
            return_url,
            purpose,
        }
    }
}

/// Starts an OAuth web flow (the JS SDK's `signInWithOAuth` / `linkIdentity` first
/// half): `GET /auth/v1/provider/uri` → an [`OAuthFlow`]. As the JS SDK, the redirect
/// URI sent (and later exchanged with the code) is the given URL's origin and path;
/// the full URL stays in [`OAuthFlow::return_url`].
#[derive(Clone, Debug)]
#[must_use]
pub struct StartOAuth {
    inner: GenProviderRedirectUri,
    return_url: String,
    purpose: OAuthPurpose,
}

impl StartOAuth {
    /// A flow for `provider_id` returning to `redirect_uri` with `state` (use a fresh
    /// random value per flow; the clients generate one).
    pub fn new(
        provider_id: impl Into<String>,
        redirect_uri: impl Into<String>,
        state: impl Into<String>,
        purpose: OAuthPurpose,
    ) -> Self {
        let return_url: String = redirect_uri.into();
        let mut inner =
            GenProviderRedirectUri::new(provider_id, registered_redirect(&return_url), state);
        inner.response_type = None;
        Self {
            inner,
            return_url,
            purpose,
        }
    }

    /// The scopes to ask the provider for.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.inner = self.inner.scope(scope);
        self
    }
}

impl Operation for StartOAuth {
    type Output = OAuthFlow;

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
        if self.purpose == OAuthPurpose::Link && cx.session.credentials().is_none() {
            return Err(BuildError::NotSignedIn);
        }
        required("state", &self.inner.state)?;
        self.inner.request(cx)
    }

    fn is_idempotent(&self) -> bool {
        true
    }

    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<OAuthFlow, Error> {
        let redirect = self.inner.parse(response, cx)?;
        Ok(OAuthFlow {
            provider_id: self.inner.provider_id.clone(),
            authorize_url: redirect.uri,
            state: self.inner.state.clone(),
            redirect_uri: self.inner.redirect_uri.clone(),
            return_url: self.return_url.clone(),
            purpose: self.purpose,
        })
    }
}

/// The provider's redirect back to the app: `?code=&state=` (or `?error=`).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct OAuthCallback {
    /// The authorization code.
    pub code: Secret,
    /// The state it carried.
    pub state: String,
}

impl OAuthCallback {
    /// From the two values.
    pub fn new(code: impl Into<Secret>, state: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            state: state.into(),
        }
    }

    /// Reads the callback URL the provider redirected to. An `error` parameter (the
    /// user declined, …) or a missing `code` is a typed error.
    ///
    /// ```
    /// use cloudbase_core::auth::OAuthCallback;
    /// let cb = OAuthCallback::from_url("https://app.example/cb?code=abc&state=st-1")?;
    /// assert_eq!(cb.state, "st-1");
    /// # Ok::<(), cloudbase_core::BuildError>(())
    /// ```
    pub fn from_url(url: &str) -> Result<Self, BuildError> {
        let parsed = url::Url::parse(url).map_err(|e| BuildError::InvalidInput {
            field: "callback url",
            reason: e.to_string(),
        })?;
        let get = |k: &str| {
            parsed
                .query_pairs()
                .find(|(name, _)| name == k)
                .map(|(_, v)| v.into_owned())
        };
        if let Some(error) = get("error") {
            let detail = get("error_description").unwrap_or_default();
            return Err(BuildError::InvalidInput {
                field: "callback url",
                reason: format!("the provider answered {error}: {detail}"),
            });
        }
        match (get("code"), get("state")) {
            (Some(code), state) if !code.is_empty() => {
                Ok(Self::new(code, state.unwrap_or_default()))
            }
            _ => Err(BuildError::InvalidInput {
                field: "callback url",
                reason: "no code parameter".into(),
            }),
        }
    }
}

/// Completes an OAuth web flow (the JS SDK's `verifyOAuth`): checks the callback's
/// `state` against the flow's (a mismatch is refused without a request), exchanges
/// the code (`POST /provider/token`), then signs in (`POST /signin/with/provider`,
/// `SIGNED_IN`) or, for a link, binds the identity (`POST /user/provider/bind`,
/// `BIND_IDENTITY`). Returns the session's credentials.
#[derive(Debug)]
#[must_use]
pub struct VerifyOAuth {
    flow: OAuthFlow,
    callback: OAuthCallback,
    exchanged: FirstStep<ProviderToken>,
}

impl VerifyOAuth {
    /// Completes `flow` with what the provider sent back.
    pub fn new(flow: &OAuthFlow, callback: OAuthCallback) -> Self {
        Self {
            flow: flow.clone(),
            callback,
            exchanged: FirstStep::new(),
        }
    }
}

impl Operation for VerifyOAuth {
    type Output = Credentials;

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
        match (&self.exchanged.get(), self.flow.purpose) {
            (None, _) => {
                if self.callback.state != self.flow.state {
                    return Err(BuildError::InvalidInput {
                        field: "state",
                        reason: "the callback's state is not the flow's: refused (possible request forgery)".into(),
                    });
                }
                if self.flow.purpose == OAuthPurpose::Link && cx.session.credentials().is_none() {
                    return Err(BuildError::NotSignedIn);
                }
                grant_request(
                    &self.flow.provider_id,
                    &Grant::Code {
                        code: self.callback.code.clone(),
                        redirect_uri: self.flow.redirect_uri.clone(),
                    },
                )
            }
            (Some(t), OAuthPurpose::SignIn) => provider_sign_in_request(t, false, cx.now),
            (Some(t), _) => bind_request(t),
        }
    }

    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Credentials, Error> {
        match self.flow.purpose {
            OAuthPurpose::SignIn => signed_in(&response, cx),
            _ => {
                cx.session.emit(AuthEventKind::BindIdentity);
                cx.session
                    .credentials()
                    .cloned()
                    .ok_or_else(|| BuildError::NotSignedIn.into())
            }
        }
    }

    fn parse_step(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<Credentials>, Error> {
        self.exchanged.parse_step(
            response,
            cx,
            |r, cx| provider_token(&self.flow.provider_id, r, cx.now),
            |r, cx| self.parse(r, cx),
        )
    }
}

fn bind_request(token: &ProviderToken) -> Result<RequestSpec, BuildError> {
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

impl Operation for BindWithProvider {
    type Output = ();

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
        bind_request(&self.token)
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

impl Operation for UnbindProvider {
    type Output = ();

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
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
pub struct GetProviders;

impl GetProviders {
    /// A listing.
    pub fn new() -> Self {
        Self
    }
}

impl Operation for GetProviders {
    type Output = Vec<Identity>;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
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
        Ok(json::<IdentityList>(&response)?.data)
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
}

impl Operation for SignInWithCustomTicket {
    type Output = Credentials;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
        required("ticket", self.ticket.expose())?;
        let map = object([
            ("provider_id", Some("custom".into())),
            ("ticket", Some(self.ticket.expose().into())),
        ]);
        auth_post("signin/custom", Access::ClientId, map)
    }

    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Credentials, Error> {
        signed_in(&response, cx)
    }
}
