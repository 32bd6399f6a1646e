//! Image captcha operations (docs/protocol/auth.md, "Captcha"): fetch a challenge,
//! verify its answer. The types they exchange are the
//! client state's (`crate::captcha`), re-exported here.

use std::time::SystemTime;

use serde::Deserialize;

use super::wire::{auth_post, json, object};
use crate::captcha::{CaptchaChallenge, CaptchaToken};
use crate::error::{BuildError, Error};
use crate::operation::{OneShot, Operation, Progress, RequestContext, ResponseContext};
use crate::request::{Access, HttpResponse, RequestSpec};
use crate::secret::Secret;

#[derive(Deserialize)]
struct ChallengeAnswer {
    token: Secret,
    data: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default = "five_minutes")]
    expires_in: u64,
}

fn five_minutes() -> u64 {
    300
}

/// Gets a captcha image: `POST /auth/v1/captcha/data {state, redirect_uri: ""}` (the
/// JS SDK's `createCaptchaData`). `state` names what the captcha is for; the driver
/// uses `"<METHOD>:<path>"` of the protected call, as the JS SDK.
///
/// ```
/// use cloudbase_core::auth::CreateCaptchaData;
/// let op = CreateCaptchaData::new("POST:/v1/signin");
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct CreateCaptchaData {
    state: String,
}

impl CreateCaptchaData {
    /// A challenge for `state`.
    pub fn new(state: impl Into<String>) -> Self {
        Self {
            state: state.into(),
        }
    }

    /// A challenge the app asks for itself, with the JS SDK's `state`
    /// (`captcha-<nonce>`; pass a fresh random value).
    pub fn with_nonce(nonce: &str) -> Self {
        Self::new(app_state(nonce))
    }
}

impl OneShot for CreateCaptchaData {
    type Output = CaptchaChallenge;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        let map = object([
            ("state", Some(self.state.as_str().into())),
            ("redirect_uri", Some("".into())),
        ]);
        Ok(auth_post("captcha/data", Access::ClientId, map)?)
    }

    fn captcha_protected(&self) -> bool {
        false
    }

    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<CaptchaChallenge, Error> {
        challenge(&response, cx.now)
    }
}

fn challenge(response: &HttpResponse, now: SystemTime) -> Result<CaptchaChallenge, Error> {
    let a: ChallengeAnswer = json(response)?;
    Ok(CaptchaChallenge {
        token: a.token,
        data_url: a.data,
        kind: a.kind,
        expires_at: crate::expiry::expires_after(now, a.expires_in, "expires_in")?,
    })
}

/// The `state` the JS SDK's `createCaptchaData` sends when the app asks for a
/// challenge itself: `captcha-<random>`.
fn app_state(nonce: &str) -> String {
    format!("captcha-{nonce}")
}

/// The client's captcha token (the JS SDK's `getCaptchaToken`): the cached one while
/// it is valid, sending nothing; otherwise a challenge (`POST /auth/v1/captcha/data`)
/// answered by the client's solver and verified (`POST /auth/v1/captcha/data/verify`,
/// which caches the new token). Without a solver the challenge comes back as
/// [`Error::Captcha`].
///
/// ```
/// use cloudbase_core::auth::GetCaptchaToken;
/// let op = GetCaptchaToken::new("3f9a0c2b");
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct GetCaptchaToken {
    create: CreateCaptchaData,
    /// A challenge was already handed to the solver: a second one is given up.
    asked: bool,
}

impl GetCaptchaToken {
    /// `nonce` (random, e.g. hex) makes the challenge's `state` unique.
    pub fn new(nonce: &str) -> Self {
        Self {
            create: CreateCaptchaData::with_nonce(nonce),
            asked: false,
        }
    }
}

impl Operation for GetCaptchaToken {
    type Output = CaptchaToken;

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        OneShot::request(&self.create, cx)
    }

    fn captcha_protected(&self) -> bool {
        false
    }

    fn finish_locally(
        &mut self,
        cx: &mut ResponseContext<'_>,
    ) -> Option<Result<CaptchaToken, Error>> {
        cx.captcha_cache.get(cx.now).cloned().map(Ok)
    }

    fn on_response(
        &mut self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<CaptchaToken>, Error> {
        let challenge = challenge(&response, cx.now)?;
        if std::mem::replace(&mut self.asked, true) {
            // The verified token did not stay valid long enough to be read back.
            return Err(Error::Captcha(Box::new(challenge)));
        }
        Ok(Progress::Captcha(challenge))
    }
}

#[derive(Deserialize)]
struct VerifiedAnswer {
    captcha_token: Secret,
    #[serde(default = "five_minutes")]
    expires_in: u64,
}

/// Answers a challenge: `POST /auth/v1/captcha/data/verify {token, key}` → a
/// [`CaptchaToken`], which the client caches for later protected calls (the JS SDK's
/// `verifyCaptchaData`). A wrong answer is the server's error; get a new challenge.
#[derive(Clone, Debug)]
#[must_use]
pub struct VerifyCaptchaData {
    token: Secret,
    key: Secret,
}

impl VerifyCaptchaData {
    /// `key` is the text the user read in the image of `challenge`.
    pub fn new(challenge: &CaptchaChallenge, key: impl Into<Secret>) -> Self {
        Self {
            token: challenge.token.clone(),
            key: key.into(),
        }
    }
}

impl OneShot for VerifyCaptchaData {
    type Output = CaptchaToken;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        let key = self.key.expose().trim();
        if key.is_empty() || key.chars().count() > 16 {
            return Err(BuildError::InvalidInput {
                field: "captcha answer",
                reason: "give the characters shown in the image".into(),
            }
            .into());
        }
        let map = object([
            ("token", Some(self.token.expose().into())),
            ("key", Some(key.into())),
        ]);
        Ok(auth_post("captcha/data/verify", Access::ClientId, map)?)
    }

    fn captcha_protected(&self) -> bool {
        false
    }

    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<CaptchaToken, Error> {
        let a: VerifiedAnswer = json(&response)?;
        let token = CaptchaToken {
            token: a.captcha_token,
            expires_at: crate::expiry::expires_after(
                cx.now,
                a.expires_in.saturating_sub(10),
                "expires_in",
            )?,
        };
        cx.captcha_cache.store(token.clone());
        Ok(token)
    }
}
