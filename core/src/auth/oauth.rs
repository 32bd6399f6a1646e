//! The OAuth web flow (docs/protocol/auth.md §5.5): the provider's authorization URL
//! (`GET /auth/v1/provider/uri`), the flow value the app keeps, the provider's callback,
//! and its completion (code exchange, then sign-in or link).

use http::Method;
use serde::Deserialize;

use super::identity::{
    Grant, ProviderToken, bind_request, check_provider, grant_request, provider_sign_in_request,
    provider_token,
};
use super::wire::{auth_get, json, required, signed_in};
use crate::error::{BuildError, Error, SessionError};
use crate::operation::{OneShot, Operation, Progress, RequestContext, ResponseContext};
use crate::request::{Access, HttpResponse, RequestSpec};
use crate::secret::Secret;
use crate::session::{AuthEventKind, Credentials};

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
/// (the JS SDK's `genProviderRedirectUri`, docs/protocol/auth.md §5.5). Values are percent-encoded;
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

impl OneShot for GenProviderRedirectUri {
    type Output = ProviderRedirect;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
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

/// The JS SDK's OAuth `state`: `prd-<provider>-<random>`.
fn flow_state(provider_id: &str, nonce: &str) -> String {
    format!("prd-{provider_id}-{nonce}")
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

    /// A sign-in flow (the JS SDK's `signInWithOAuth`) with its `state`,
    /// `prd-<provider>-<nonce>` (pass a fresh random value).
    pub fn sign_in(provider_id: &str, redirect_uri: impl Into<String>, nonce: &str) -> Self {
        Self::new(
            provider_id,
            redirect_uri,
            flow_state(provider_id, nonce),
            OAuthPurpose::SignIn,
        )
    }

    /// A link flow (the JS SDK's `linkIdentity`), `state` as [`StartOAuth::sign_in`].
    pub fn link(provider_id: &str, redirect_uri: impl Into<String>, nonce: &str) -> Self {
        Self::new(
            provider_id,
            redirect_uri,
            flow_state(provider_id, nonce),
            OAuthPurpose::Link,
        )
    }

    /// The scopes to ask the provider for.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.inner = self.inner.scope(scope);
        self
    }
}

impl OneShot for StartOAuth {
    type Output = OAuthFlow;

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        if self.purpose == OAuthPurpose::Link && cx.session.credentials().is_none() {
            return Err(SessionError::NotSignedIn.into());
        }
        required("state", &self.inner.state)?;
        OneShot::request(&self.inner, cx)
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
#[derive(Clone, Debug)]
#[must_use]
pub struct VerifyOAuth {
    flow: OAuthFlow,
    callback: OAuthCallback,
    /// The first request's result: then sign in or bind with it.
    exchanged: Option<ProviderToken>,
}

impl VerifyOAuth {
    /// Completes `flow` with what the provider sent back.
    pub fn new(flow: &OAuthFlow, callback: OAuthCallback) -> Self {
        Self {
            flow: flow.clone(),
            callback,
            exchanged: None,
        }
    }
}

impl Operation for VerifyOAuth {
    type Output = Credentials;

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        match (&self.exchanged, self.flow.purpose) {
            (None, _) => {
                if self.callback.state != self.flow.state {
                    return Err(BuildError::InvalidInput {
                        field: "state",
                        reason: "the callback's state is not the flow's: refused (possible request forgery)".into(),
                    }.into());
                }
                if self.flow.purpose == OAuthPurpose::Link && cx.session.credentials().is_none() {
                    return Err(SessionError::NotSignedIn.into());
                }
                Ok(grant_request(
                    &self.flow.provider_id,
                    &Grant::Code {
                        code: self.callback.code.clone(),
                        redirect_uri: self.flow.redirect_uri.clone(),
                    },
                )?)
            }
            (Some(t), OAuthPurpose::SignIn) => Ok(provider_sign_in_request(t, false, cx.now)?),
            (Some(t), _) => Ok(bind_request(t)?),
        }
    }

    fn on_response(
        &mut self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<Credentials>, Error> {
        if self.exchanged.is_none() {
            self.exchanged = Some(provider_token(&self.flow.provider_id, &response, cx.now)?);
            return Ok(Progress::Next);
        }
        let credentials = match self.flow.purpose {
            OAuthPurpose::SignIn => signed_in(&response, cx),
            _ => {
                cx.session.emit(AuthEventKind::BindIdentity);
                cx.session
                    .credentials()
                    .cloned()
                    .ok_or_else(|| Error::from(SessionError::NotSignedIn))
            }
        };
        credentials.map(Progress::Done)
    }
}
