//! `PATCH /auth/v1/provider/token`: adds to a provider token what the provider gave
//! later (a mini program's encrypted phone data, a second code), docs/protocol/auth.md §5.5.

use http::Method;
use serde_json::{Map, Value};

use super::ProviderToken;
use super::identity::provider_token;
use super::wire::auth_json;
use crate::error::{BuildError, Error};
use crate::operation::{OneShot, RequestContext, ResponseContext};
use crate::request::{Access, HttpResponse, RequestSpec};

/// Updates a [`ProviderToken`]: `PATCH /auth/v1/provider/token {provider_token,
/// provider_id, provider_params: {…}}` (the JS SDK's `patchProviderToken`); answers the
/// token as `POST /provider/token` does.
///
/// ```no_run
/// # fn token() -> cloudbase_core::auth::ProviderToken { unimplemented!() }
/// use cloudbase_core::auth::PatchProviderToken;
/// let op = PatchProviderToken::new(&token())
///     .param("provider_code_type", "phone")
///     .param("code", "wx-phone-code");
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct PatchProviderToken {
    token: ProviderToken,
    params: Map<String, Value>,
}

impl PatchProviderToken {
    /// Patches `token` (its provider id goes along).
    pub fn new(token: &ProviderToken) -> Self {
        Self {
            token: token.clone(),
            params: Map::new(),
        }
    }

    /// One of `provider_params` (`encryptedData`, `iv`, `code`, `provider_code_type`).
    pub fn param(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.insert(key.into(), Value::String(value.into()));
        self
    }
}

impl OneShot for PatchProviderToken {
    type Output = ProviderToken;

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        if cx.now >= self.token.expires_at {
            return Err(BuildError::VerificationExpired.into());
        }
        let mut map = Map::new();
        map.insert(
            "provider_token".into(),
            self.token.token.expose().to_owned().into(),
        );
        map.insert("provider_id".into(), self.token.provider_id.clone().into());
        map.insert("provider_params".into(), Value::Object(self.params.clone()));
        Ok(auth_json(
            Method::PATCH,
            "provider/token",
            Access::ClientId,
            map,
        )?)
    }

    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<ProviderToken, Error> {
        provider_token(&self.token.provider_id, &response, cx.now)
    }
}
